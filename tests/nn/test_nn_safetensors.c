/* safetensors: reading a file written by an independent Python writer
 * (tests/oracles/nn/gen_safetensors.py: F32/F64/F16/BF16, a scalar, an empty
 * tensor, a \u-escaped name, metadata), writing a file that the ctest
 * test_nn_safetensors_torch then parses with json+struct and loads into torch,
 * and rejecting malformed files with a clear error and no crash (hand-made
 * corruptions plus NMUT random byte mutations). */

#define NMUT 600
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "tinsel/nn.h"
#include "ts_test.h"

static char *DIR_;

static void test_read_python_file(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/oracles/nn/golden/interop.safetensors", TS_SOURCE_DIR);
    golden *g = golden_load("interop_expected.bin");
    TS_CHECK(g != NULL);
    ts_nn_safetensors *st = NULL;
    TS_CHECK_OK(ts_nn_st_read(path, &st));
    if (!st || !g) return;
    TS_CHECK(ts_nn_st_count(st) == 7);
    const char *names[] = {"scalar", "w", "layer.0.bias", "half", "\xce\xb8/weight", "empty", "bf"};
    const int nd[] = {0, 2, 1, 2, 3, 2, 1};
    for (int k = 0; k < 7; k++) {
        int i = ts_nn_st_find(st, names[k]), ndim;
        int64_t shp[TS_NN_MAXDIM];
        TS_CHECK_MSG(i >= 0, "%s", names[k]);
        if (i < 0) continue;
        TS_CHECK_OK(ts_nn_st_shape(st, i, &ndim, shp));
        TS_CHECK(ndim == nd[k]);
        size_t n;
        const float *want = golden_get(g, names[k], &n);
        TS_CHECK(n == ts_nn_shape_numel(ndim, shp));
        /* conversions are exact (F64 rounds to nearest float like numpy's astype) */
        const float *got = ts_nn_st_data(st, i);
        for (size_t j = 0; j < n; j++)
            TS_CHECK_MSG(memcmp(&got[j], &want[j], 4) == 0 || (isnan(got[j]) && isnan(want[j])), "%s[%zu] %g vs %g",
                         names[k], j, got[j], want[j]);
    }
    TS_CHECK(!strcmp(ts_nn_st_dtype(st, ts_nn_st_find(st, "half")), "F16"));
    TS_CHECK(ts_nn_st_meta(st, "format") && !strcmp(ts_nn_st_meta(st, "format"), "pt"));
    TS_CHECK(ts_nn_st_meta(st, "absent") == NULL);
    ts_nn_st_destroy(st);
    golden_free(g);
}

/* The file test_nn_safetensors_torch checks (values in check_safetensors.py). */
static void test_write_for_torch(void)
{
    float a[24], b[7], c = -1.0e-3f;
    for (int i = 0; i < 24; i++) a[i] = (float)(sin(0.37 * i) * 3);
    for (int i = 0; i < 7; i++) b[i] = (float)i - 3.5f;
    const char *names[] = {"a.weight", "b", "c"};
    int nd[] = {3, 1, 0};
    int64_t sa[] = {2, 3, 4}, sb[] = {7};
    const int64_t *shapes[] = {sa, sb, NULL};
    const float *data[] = {a, b, &c};
    const char *meta[] = {"format", "pt", "who", "tinsel"};
    char *path = ts_path_join(DIR_, "written.safetensors");
    TS_CHECK_OK(ts_nn_st_write(path, 3, names, nd, shapes, data, 2, meta));
    /* and it reads back bit for bit */
    ts_nn_safetensors *st = NULL;
    TS_CHECK_OK(ts_nn_st_read(path, &st));
    TS_CHECK(ts_nn_st_count(st) == 3);
    TS_CHECK(memcmp(ts_nn_st_data(st, ts_nn_st_find(st, "a.weight")), a, sizeof a) == 0);
    TS_CHECK(ts_nn_st_data(st, ts_nn_st_find(st, "c"))[0] == c);
    ts_nn_st_destroy(st);
    /* bad arguments */
    const char *dup[] = {"x", "x"};
    TS_CHECK_ERR(ts_nn_st_write(path, 2, dup, nd, shapes, data, 0, NULL), TS_ERR_INVAL);
    /* unwritable destination: error, nothing left behind */
    TS_CHECK(ts_nn_st_write("/nonexistent-dir/x.safetensors", 3, names, nd, shapes, data, 0, NULL) != 0);
    free(path);
}

static int write_raw(const char *name, const char *header, const unsigned char *data, size_t nd, long hlen_override)
{
    char *path = ts_path_join(DIR_, name);
    FILE *f = fopen(path, "wb");
    free(path);
    if (!f) return -1;
    uint64_t n = hlen_override >= 0 ? (uint64_t)hlen_override : strlen(header);
    unsigned char h8[8];
    for (int i = 0; i < 8; i++) h8[i] = (unsigned char)(n >> (8 * i));
    fwrite(h8, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    if (nd) fwrite(data, 1, nd, f);
    fclose(f);
    return 0;
}

static int read_named(const char *name)
{
    char *path = ts_path_join(DIR_, name);
    ts_nn_safetensors *st = NULL;
    int rc = ts_nn_st_read(path, &st);
    if (rc) {
        printf("  %-14s -> %s\n", name, ts_error_message());
        TS_CHECK(st == NULL);
        TS_CHECK(strstr(ts_error_message(), name) != NULL); /* the message names the file */
    }
    ts_nn_st_destroy(st);
    free(path);
    return rc;
}

static void test_bad_files(void)
{
    unsigned char d[16] = {0};
    const char *ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    TS_CHECK(write_raw("good.st", ok, d, 8, -1) == 0);
    TS_CHECK_OK(read_named("good.st"));
    struct {
        const char *file, *hdr;
        size_t nd;
        long hlen;
        int code;
    } bad[] = {
        {"short.st", "", 0, 3, TS_ERR_FORMAT}, /* header length past the end */
        {"hlen.st", ok, 8, 1L << 40, TS_ERR_FORMAT},
        {"json.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, -1, TS_ERR_PARSE},
        {"trail.st", "{}x", 0, -1, TS_ERR_PARSE},
        {"size.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_FORMAT},
        {"past.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, -1, TS_ERR_FORMAT},
        {"hole.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1, TS_ERR_FORMAT},
        {"overlap.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1, TS_ERR_FORMAT},
        {"dup.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                   "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1, TS_ERR_PARSE},
        {"dtype.st", "{\"x\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_PARSE},
        {"i64.st", "{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_UNSUPPORTED},
        {"negdim.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_PARSE},
        {"missing.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, -1, TS_ERR_PARSE},
        {"extra.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"q\":1}}", 8, -1, TS_ERR_PARSE},
        {"rank.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_PARSE},
        {"float.st", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_PARSE},
        {"esc.st", "{\"x\\q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_PARSE},
        {"surr.st", "{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, TS_ERR_PARSE},
        {"meta.st", "{\"__metadata__\":{\"a\":1},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1,
         TS_ERR_PARSE},
        {"tail.st", ok, 12, -1, TS_ERR_FORMAT}, /* data block longer than the tensors */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        TS_CHECK(write_raw(bad[k].file, bad[k].hdr, d, bad[k].nd, bad[k].hlen) == 0);
        int rc = read_named(bad[k].file);
        TS_CHECK_MSG(rc == bad[k].code, "%s gave %d, expected %d", bad[k].file, rc, bad[k].code);
    }
    ts_nn_safetensors *st = NULL;
    TS_CHECK_ERR(ts_nn_st_read("/nonexistent/none.safetensors", &st), TS_ERR_IO);
}

/* Random byte mutations of a valid file never crash and either read or fail cleanly. */
static void test_mutations(void)
{
    char src[4096];
    snprintf(src, sizeof src, "%s/tests/oracles/nn/golden/interop.safetensors", TS_SOURCE_DIR);
    FILE *f = fopen(src, "rb");
    TS_CHECK(f != NULL);
    if (!f) return;
    unsigned char buf[2048];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ts_rng *r = ts_rng_create(3, 0);
    char *path = ts_path_join(DIR_, "mut.st");
    int fails = 0, oks = 0;
    for (int it = 0; it < NMUT; it++) {
        unsigned char m[2048];
        memcpy(m, buf, n);
        int nm = 1 + (int)ts_rng_uint(r, 4);
        for (int k = 0; k < nm; k++) {
            size_t pos = (size_t)ts_rng_uint(r, it % 2 ? n : 16 + (n - 16) / 2); /* bias to the header */
            m[pos] = (unsigned char)ts_rng_uint(r, 256);
        }
        size_t len = it % 7 == 0 ? (size_t)ts_rng_uint(r, n) : n; /* sometimes truncated */
        FILE *o = fopen(path, "wb");
        if (!o) break;
        fwrite(m, 1, len, o);
        fclose(o);
        ts_nn_safetensors *st = NULL;
        int rc = ts_nn_st_read(path, &st);
        if (rc) {
            fails++;
            TS_CHECK(st == NULL && ts_error_message()[0] != '\0');
        } else
            oks++;
        ts_nn_st_destroy(st);
    }
    printf("  %d mutations: %d rejected, %d still valid\n", NMUT, fails, oks);
    TS_CHECK(fails > NMUT / 2);
    free(path);
    ts_rng_destroy(r);
}

static void test_params_load_checks(void)
{
    ts_nn_params *P = NULL;
    int64_t s[2] = {2, 3};
    ts_nn_params_create(&P);
    ts_nn_params_add(P, "a.weight", 2, s, NULL);
    TS_CHECK_OK(ts_nn_params_alloc(P));
    char *path = ts_path_join(DIR_, "written.safetensors");
    float before = ts_nn_params_data(P, 0)[0] = 42.0f;
    /* a.weight is [2,3,4] in the file: shape mismatch, nothing copied */
    TS_CHECK_ERR(ts_nn_params_load(P, path, 1), TS_ERR_FORMAT);
    TS_CHECK(ts_nn_params_data(P, 0)[0] == before);
    ts_nn_params_destroy(P);
    ts_nn_params_create(&P);
    ts_nn_params_add(P, "b", 1, (int64_t[]){7}, NULL);
    ts_nn_params_alloc(P);
    TS_CHECK_ERR(ts_nn_params_load(P, path, 0), TS_ERR_FORMAT); /* extra tensors */
    TS_CHECK_OK(ts_nn_params_load(P, path, 1));
    TS_CHECK(ts_nn_params_data(P, 0)[6] == 2.5f);
    ts_nn_params_destroy(P);
    ts_nn_params_create(&P);
    ts_nn_params_add(P, "zz", 1, (int64_t[]){7}, NULL);
    ts_nn_params_alloc(P);
    TS_CHECK_ERR(ts_nn_params_load(P, path, 1), TS_ERR_NOTFOUND);
    ts_nn_params_destroy(P);
    free(path);
}

int main(void)
{
    DIR_ = ts_test_tmpdir("nn_st");
    TS_RUN(test_read_python_file);
    TS_RUN(test_write_for_torch);
    TS_RUN(test_bad_files);
    TS_RUN(test_mutations);
    TS_RUN(test_params_load_checks);
    free(DIR_);
    return ts_test_summary();
}
