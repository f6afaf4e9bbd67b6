/* Random forest: learns a non-linear 2-D problem, is deterministic,
 * survives save/load bit for bit, rejects bad input. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "golden.h"
#include "tinsel/micro.h"
#include "ts_test.h"

/* three classes: inside a disc, upper-right outside, rest */
static int truth(double x, double y)
{
    if ((x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) < 0.09) return 0;
    return x + y > 1.0 ? 1 : 2;
}

static void make(float *X, uint8_t *y, int n, int k)
{
    for (int i = 0; i < n; i++) {
        double a = golden_hash01((uint64_t)i, 1, (uint64_t)k), b = golden_hash01((uint64_t)i, 2, (uint64_t)k);
        X[2 * i] = (float)a;
        X[2 * i + 1] = (float)b;
        y[i] = (uint8_t)truth(a, b);
    }
}

static void test_learns(void)
{
    const int n = 4000, m = 2000;
    float *X = malloc(2 * n * sizeof *X), *T = malloc(2 * m * sizeof *T), *planar = malloc(2 * m * sizeof *planar);
    uint8_t *y = malloc(n), *yt = malloc(m);
    float *p = malloc(3 * m * sizeof *p), *p2 = malloc(3 * m * sizeof *p2);
    make(X, y, n, 1);
    make(T, yt, m, 2);
    for (int i = 0; i < m; i++) planar[i] = T[2 * i], planar[m + i] = T[2 * i + 1];
    ts_micro_forest_opts o;
    ts_micro_forest_opts_default(&o);
    o.mtry = 2;
    ts_micro_forest *f = NULL, *g = NULL;
    TS_CHECK_OK(ts_micro_forest_train(&o, X, y, n, 2, 3, &f));
    TS_CHECK_OK(ts_micro_forest_predict(f, planar, m, m, p));
    int ok = 0;
    for (int i = 0; i < m; i++) {
        int best = 0;
        for (int c = 1; c < 3; c++)
            if (p[3 * i + c] > p[3 * i + best]) best = c;
        ok += best == yt[i];
        TS_CHECK_CLOSE(p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 1.0, 1e-5, 0);
    }
    /* 64 quantile bins on [0,1] and 4000 samples: boundary pixels of width
     * ~1/64 around curves of total length ~2.3 hold ~4 % of the points */
    TS_CHECK_MSG(ok > 0.95 * m, "accuracy %d / %d", ok, m);
    /* blocked OpenMP kernel = reference kernel, bit for bit */
    TS_CHECK_OK(ts_micro_forest_predict_ref(f, planar, m, m, p2));
    TS_CHECK(memcmp(p, p2, 3 * m * sizeof *p) == 0);
    /* same seed, same forest */
    TS_CHECK_OK(ts_micro_forest_train(&o, X, y, n, 2, 3, &g));
    TS_CHECK_OK(ts_micro_forest_predict(g, planar, m, m, p2));
    TS_CHECK(memcmp(p, p2, 3 * m * sizeof *p) == 0);
    ts_micro_forest_destroy(g);
    g = NULL;
    /* save / load */
    char *dir = ts_test_tmpdir("forest");
    char *path = ts_path_join(dir, "m.rf");
    TS_CHECK_OK(ts_micro_forest_save(f, path));
    TS_CHECK_OK(ts_micro_forest_load(path, &g));
    TS_CHECK_OK(ts_micro_forest_predict(g, planar, m, m, p2));
    TS_CHECK(memcmp(p, p2, 3 * m * sizeof *p) == 0);
    /* mutated files (a poor man's fuzzer; the sanitizer build runs this too):
     * load either fails with TS_ERR_FORMAT/NOMEM or gives a forest that
     * predicts without reading out of bounds */
    {
        FILE *in = fopen(path, "rb");
        long len = 0;
        unsigned char *buf = NULL;
        if (in) {
            fseek(in, 0, SEEK_END);
            len = ftell(in);
            rewind(in);
            buf = malloc((size_t)len);
            if (buf && fread(buf, 1, (size_t)len, in) != (size_t)len) len = 0;
            fclose(in);
        }
        char *mpath = ts_path_join(dir, "mut.rf");
        int loaded = 0, rejected = 0;
        for (int trial = 0; trial < 300 && buf && len > 8; trial++) {
            unsigned char *b = malloc((size_t)len);
            memcpy(b, buf, (size_t)len);
            for (int k = 0; k < 1 + trial % 4; k++) {
                uint64_t pos = (uint64_t)(golden_hash01((uint64_t)trial, (uint64_t)k, 5) * (double)len);
                b[pos] ^= (unsigned char)(1u << (trial % 8));
            }
            FILE *mo = fopen(mpath, "wb");
            if (mo) {
                fwrite(b, 1, (size_t)len, mo);
                fclose(mo);
            }
            ts_micro_forest *mf = NULL;
            int rc = ts_micro_forest_load(mpath, &mf);
            if (rc == 0) {
                loaded++;
                if (ts_micro_forest_nfeat(mf) == 2 && ts_micro_forest_nclass(mf) <= 8) {
                    float pp[8 * 16];
                    TS_CHECK_OK(ts_micro_forest_predict(mf, planar, 16, m, pp));
                }
            } else {
                rejected++;
                TS_CHECK(rc == TS_ERR_FORMAT || rc == TS_ERR_NOMEM);
                TS_CHECK(mf == NULL);
            }
            ts_micro_forest_destroy(mf);
            free(b);
        }
        printf("  mutated models: %d loaded, %d rejected\n", loaded, rejected);
        free(mpath);
        free(buf);
    }
    /* a truncated file is rejected */
    FILE *fp = fopen(path, "r+b");
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fclose(fp);
        TS_CHECK(truncate(path, len / 2) == 0);
    }
    ts_micro_forest *h = NULL;
    TS_CHECK_ERR(ts_micro_forest_load(path, &h), TS_ERR_FORMAT);
    TS_CHECK(h == NULL);
    free(path);
    free(dir);
    ts_micro_forest_destroy(f);
    ts_micro_forest_destroy(g);
    /* bad input */
    for (int i = 0; i < n; i++) y[i] = 1;
    TS_CHECK_ERR(ts_micro_forest_train(&o, X, y, n, 2, 3, &f), TS_ERR_INVAL);
    y[0] = 7;
    TS_CHECK_ERR(ts_micro_forest_train(&o, X, y, n, 2, 3, &f), TS_ERR_RANGE);
    free(X);
    free(T);
    free(planar);
    free(y);
    free(yt);
    free(p);
    free(p2);
}

int main(void)
{
    TS_RUN(test_learns);
    return ts_test_summary();
}
