/* Gaussian-derivative filter bank against scipy.ndimage (goldens from
 * tests/oracles/micro/make_goldens.py); OpenMP filter bank against the
 * single-threaded reference kernel. */
#include <math.h>
#include <stdlib.h>

#include "golden.h"
#include "micro/micro_internal.h"
#include "tinsel/micro.h"
#include "ts_test.h"

/* float32 outputs of float64 sums: 4 ulp of float at the values' scale */
#define TOL_F32 (4 * 1.2e-7)

static float *golden_f32(int h, int w, int k)
{
    double *d = malloc((size_t)h * w * sizeof *d);
    float *f = malloc((size_t)h * w * sizeof *f);
    golden_image(d, h, w, k);
    for (int i = 0; i < h * w; i++) f[i] = (float)d[i];
    free(d);
    return f;
}

static void test_gauss1d(void)
{
    const int h = 37, w = 29;
    float *img = golden_f32(h, w, 9), *out = malloc((size_t)h * w * sizeof *out);
    static double g[200 * 6];
    int n = golden_csv("gauss1d.csv", g, 200, 6, NULL);
    TS_CHECK(n == 3 * 3 * 2 * 8);
    for (int r = 0; r < n; r++) {
        const double *v = g + r * 6; /* sigma order axis row col value */
        TS_CHECK_OK(ts_micro_gauss1d(img, out, w, h, v[0], (int)v[1], (int)v[2]));
        TS_CHECK_CLOSE(out[(int)v[3] * w + (int)v[4]], v[5], TOL_F32, TOL_F32);
    }
    TS_CHECK_ERR(ts_micro_gauss1d(img, out, w, h, 0.0, 0, 0), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_micro_gauss1d(img, out, w, h, 1.0, 3, 0), TS_ERR_RANGE);
    free(img);
    free(out);
}

static void test_hessian_features(void)
{
    const int h = 37, w = 29;
    size_t n = (size_t)h * w;
    float *img = golden_f32(h, w, 9);
    int nf = ts_micro_features_count();
    TS_CHECK(nf == 21);
    float *f = malloc(n * nf * sizeof *f);
    TS_CHECK_OK(ts_micro_features(img, w, h, f));
    static double g[32 * 8];
    int rows = golden_csv("hessian.csv", g, 32, 8, NULL);
    TS_CHECK(rows == 16);
    for (int r = 0; r < rows; r++) {
        const double *v = g + r * 8; /* sigma row col smooth gradmag log eig_hi eig_lo */
        /* feature layout: [0] smooth 0.7; then per scale 1.0, 1.6, 3.5, 5.0:
         * smooth, gradmag, LoG, eig_hi, eig_lo */
        int si = v[0] == 1.0 ? 0 : 2;
        int base = 1 + 5 * si;
        size_t p = (size_t)v[1] * w + (size_t)v[2];
        for (int q = 0; q < 5; q++) TS_CHECK_CLOSE(f[(size_t)(base + q) * n + p], v[3 + q], 2 * TOL_F32, 2 * TOL_F32);
    }
    free(f);
    free(img);
}

static void test_fast_vs_reference(void)
{
    const int h = 64, w = 80;
    size_t n = (size_t)h * w;
    float *img = golden_f32(h, w, 3);
    int nf = ts_micro_features_count();
    float *a = malloc(n * nf * sizeof *a), *b = malloc(n * nf * sizeof *b);
    TS_CHECK_OK(ts_micro_features(img, w, h, a));
    TS_CHECK_OK(ts_micro_features_ref(img, w, h, b));
    double worst = 0;
    for (size_t i = 0; i < n * nf; i++) {
        double d = fabs((double)a[i] - b[i]) / (1e-6 + fabs((double)b[i]));
        if (d > worst) worst = d;
    }
    /* same sums in a different association order, rounded to float */
    TS_CHECK_MSG(worst < 1e-4, "worst relative difference %g", worst);
    free(a);
    free(b);
    free(img);
}

static void test_kernels(void)
{
    int r;
    double *k0 = ts_micro_gauss_kernel(1.6, 0, &r), s = 0, m1 = 0, m2 = 0;
    TS_CHECK(r == 6);
    for (int i = -r; i <= r; i++) s += k0[i + r];
    TS_CHECK_CLOSE(s, 1.0, 1e-15, 0);
    double *k1 = ts_micro_gauss_kernel(1.6, 1, &r), *k2 = ts_micro_gauss_kernel(1.6, 2, &r);
    /* convolving x with the 1st-derivative kernel gives 1 (−Σ k1(x) x = 1 in the
     * continuum), x²/2 with the 2nd gives 1; the truncation at 4σ cuts the
     * 4th moment the 2nd-order kernel relies on: 0.9934 at σ = 1.6 */
    for (int i = -r; i <= r; i++) m1 += -k1[i + r] * i, m2 += k2[i + r] * i * i * 0.5;
    TS_CHECK_CLOSE(m1, 1.0, 2e-3, 0);
    TS_CHECK_CLOSE(m2, 1.0, 1e-2, 0);
    free(k0);
    free(k1);
    free(k2);
    TS_CHECK(ts_micro_reflect(-1, 5) == 0 && ts_micro_reflect(5, 5) == 4 && ts_micro_reflect(-7, 5) == 3);
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* normalisation percentiles (quickselect) against a full sort, with and
 * without many ties (8-bit quantised grey) */
static void test_normalize(void)
{
    const int h = 64, w = 80;
    size_t n = (size_t)h * w;
    for (int q = 0; q < 2; q++) {
        float *img = golden_f32(h, w, 4 + q), *out = malloc(n * sizeof *out);
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        if (q)
            for (size_t i = 0; i < n; i++) img[i] = (float)(floor(img[i] * 8) / 8);
        TS_CHECK_OK(ts_micro_normalize(img, out, w, h));
        TS_CHECK_OK(ts_micro_gauss1d(img, a, w, h, 1.0, 0, 1));
        TS_CHECK_OK(ts_micro_gauss1d(a, b, w, h, 1.0, 0, 0));
        qsort(b, n, sizeof *b, cmpf);
        double lo = b[(size_t)(0.02 * (n - 1))], hi = b[(size_t)(0.98 * (n - 1))];
        for (size_t i = 0; i < n; i += 97) TS_CHECK(out[i] == (float)((img[i] - lo) / (hi - lo)));
        free(img);
        free(out);
        free(a);
        free(b);
    }
}

int main(void)
{
    TS_RUN(test_normalize);
    TS_RUN(test_gauss1d);
    TS_RUN(test_hessian_features);
    TS_RUN(test_fast_vs_reference);
    TS_RUN(test_kernels);
    return ts_test_summary();
}
