/* HDF5: a golden written by h5py, hyperslabs, a real DXchange file, round
 * trips through the atomic writer, and bad input. */
#include <math.h>

#include "ts_test.h"

#define DATA TS_SOURCE_DIR "/tests/core/data/"

static void test_golden(void)
{
    int rank;
    size_t dims[8];
    TS_CHECK_OK(ts_h5_info(DATA "golden.h5", "/exchange/data", &rank, dims));
    TS_CHECK(rank == 3 && dims[0] == 4 && dims[1] == 5 && dims[2] == 6);
    float all[120];
    TS_CHECK_OK(ts_h5_read_f32(DATA "golden.h5", "/exchange/data", NULL, NULL, all));
    int bad = 0;
    for (int z = 0; z < 4; z++)
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 6; x++) bad += all[(z * 5 + y) * 6 + x] != (float)(z * 100 + y * 10 + x - 50);
    TS_CHECK(bad == 0);
    size_t start[3] = {2, 1, 3}, count[3] = {1, 3, 2};
    double slab[6];
    TS_CHECK_OK(ts_h5_read_f64(DATA "golden.h5", "exchange/data", start, count, slab));
    TS_CHECK(slab[0] == 200 + 10 + 3 - 50 && slab[5] == 200 + 30 + 4 - 50);
    double theta[7];
    TS_CHECK_OK(ts_h5_read_f64(DATA "golden.h5", "/exchange/theta", NULL, NULL, theta));
    TS_CHECK_CLOSE(theta[6], M_PI, 0, 4 * 2.2e-16);
    size_t over[3] = {3, 0, 0}, cnt[3] = {2, 1, 1};
    TS_CHECK_ERR(ts_h5_read_f64(DATA "golden.h5", "/exchange/data", over, cnt, slab), TS_ERR_RANGE);
}

static void test_real_dxchange(void)
{
    const char *p = TS_SHARED_DIR "/data/xct/tooth.h5";
    if (!ts_file_exists(p)) {
        printf("skip: %s not present\n", p);
        return;
    }
    int rank;
    size_t dims[8];
    TS_CHECK_OK(ts_h5_info(p, "/exchange/data", &rank, dims));
    TS_CHECK(rank == 3 && dims[0] == 181 && dims[1] == 2 && dims[2] == 640);
    size_t start[3] = {0, 0, 0}, count[3] = {1, 1, 2};
    float v[2];
    TS_CHECK_OK(ts_h5_read_f32(p, "/exchange/data", start, count, v));
    TS_CHECK(v[0] == 26963.25f && v[1] == 28432.75f); /* values listed by h5py */
}

static void test_round_trip(void)
{
    char *d = ts_test_tmpdir("h5");
    char *p = ts_path_join(d, "rt.h5");
    ts_h5_writer *w;
    TS_CHECK_OK(ts_h5_writer_open(p, &w));
    double a[2][3] = {{1, 2, 3}, {4, 5, 6.5}};
    uint16_t b[4] = {1, 65535, 7, 0};
    size_t da[2] = {2, 3}, db[1] = {4};
    TS_CHECK_OK(ts_h5_writer_add(w, "/fields/sigma", TS_H5_F64, 2, da, a));
    TS_CHECK_OK(ts_h5_writer_add(w, "counts", TS_H5_U16, 1, db, b));
    TS_CHECK_ERR(ts_h5_writer_add(w, "counts", TS_H5_U16, 1, db, b), TS_ERR_IO);
    TS_CHECK_OK(ts_h5_writer_attr(w, "units", "Pa"));
    TS_CHECK(!ts_file_exists(p));
    TS_CHECK_OK(ts_h5_writer_commit(w));
    double back[6];
    TS_CHECK_OK(ts_h5_read_f64(p, "/fields/sigma", NULL, NULL, back));
    TS_CHECK(memcmp(back, a, sizeof back) == 0);
    float cb[4];
    TS_CHECK_OK(ts_h5_read_f32(p, "counts", NULL, NULL, cb));
    TS_CHECK(cb[1] == 65535.0f);
    char *q = ts_path_join(d, "aborted.h5");
    TS_CHECK_OK(ts_h5_writer_open(q, &w));
    ts_h5_writer_abort(w);
    TS_CHECK(!ts_file_exists(q));
    free(q);
    free(p);
    free(d);
}

static void test_bad_input(void)
{
    char *d = ts_test_tmpdir("h5bad");
    int rank;
    size_t dims[8];
    TS_CHECK_ERR(ts_h5_info("no/such.h5", "/x", &rank, dims), TS_ERR_NOTFOUND);
    TS_CHECK_ERR(ts_h5_info(DATA "golden.h5", "/exchange/nope", &rank, dims), TS_ERR_NOTFOUND);
    TS_CHECK_ERR(ts_h5_info(DATA "golden.h5", "/nogroup/nope", &rank, dims), TS_ERR_NOTFOUND);
    TS_CHECK_ERR(ts_h5_info(DATA "grey8.png", "/x", &rank, dims), TS_ERR_FORMAT);
    /* Truncated copy of a real file. */
    char *t = ts_path_join(d, "trunc.h5");
    FILE *in = fopen(DATA "golden.h5", "rb"), *out = fopen(t, "wb");
    for (int i = 0; i < 1500; i++) {
        int c = fgetc(in);
        if (c == EOF) break;
        fputc(c, out);
    }
    fclose(in);
    fclose(out);
    float v[120];
    int rc = ts_h5_read_f32(t, "/exchange/data", NULL, NULL, v);
    TS_CHECK_MSG(rc == TS_ERR_FORMAT || rc == TS_ERR_NOTFOUND, "rc %d: %s", rc, ts_error_message());
    TS_CHECK(strstr(ts_error_message(), "trunc.h5") != NULL);
    /* Unwritable destination: no file, an error. */
    char *bad = ts_path_join(t, "x.h5");
    ts_h5_writer *w = NULL;
    TS_CHECK_ERR(ts_h5_writer_open(bad, &w), TS_ERR_IO);
    TS_CHECK(w == NULL);
    free(bad);
    free(t);
    free(d);
}

int main(void)
{
    TS_RUN(test_golden);
    TS_RUN(test_real_dxchange);
    TS_RUN(test_round_trip);
    TS_RUN(test_bad_input);
    return ts_test_summary();
}
