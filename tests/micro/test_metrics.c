/* SSIM / MS-SSIM against the TF-formula NumPy oracle (cross-checked with
 * scikit-image), silhouette against scikit-learn, √t fit against
 * scipy.stats.linregress, Kirkendall enthalpy against eq. (7) by hand. */
#include <math.h>
#include <stdlib.h>

#include "golden.h"
#include "tinsel/micro.h"
#include "ts_test.h"

/* float64 everywhere; valid filtering sums ~121 products per output and
 * averages ~30000 outputs: agreement to 1e-12 relative is a few hundred ulps */
#define TOL_SSIM 1e-12

static void test_ssim_goldens(void)
{
    double g[8 * 8];
    char names[8][16];
    int n = golden_csv("ssim.csv", g, 8, 8, names);
    TS_CHECK(n == 5);
    for (int r = 0; r < n; r++) {
        const double *v = g + r * 8; /* height width max_val scales k ssim cs msssim */
        int h = (int)v[0], w = (int)v[1], sc = (int)v[3], k = (int)v[4];
        double mv = v[2];
        double *a = malloc((size_t)h * w * sizeof *a), *b = malloc((size_t)h * w * sizeof *b);
        golden_pair(a, b, h, w, k);
        if (mv == 2.0)
            for (int i = 0; i < h * w; i++) a[i] = 2 * a[i] - 1, b[i] = 2 * b[i] - 1;
        double s, cs, ms;
        TS_CHECK_OK(ts_ssim(a, b, w, h, mv, &s, &cs));
        TS_CHECK_CLOSE(s, v[5], 0, TOL_SSIM);
        TS_CHECK_CLOSE(cs, v[6], 0, TOL_SSIM);
        TS_CHECK_OK(ts_msssim(a, b, w, h, mv, sc, &ms));
        TS_CHECK_CLOSE(ms, v[7], 0, TOL_SSIM);
        /* identity: SSIM(a, a) = 1 exactly up to rounding */
        TS_CHECK_OK(ts_msssim(a, a, w, h, mv, sc, &ms));
        TS_CHECK_CLOSE(ms, 1.0, 1e-12, 0);
        free(a);
        free(b);
    }
}

static void test_ssim_errors(void)
{
    double a[160 * 160] = {0}, b[160 * 160] = {0}, s;
    TS_CHECK(ts_msssim_min_size(5) == 161);
    TS_CHECK(ts_msssim_min_size(1) == 11);
    /* 160 px is one too few for 5 scales */
    TS_CHECK_ERR(ts_msssim(a, b, 160, 160, 1.0, 5, &s), TS_ERR_RANGE);
    TS_CHECK(strstr(ts_error_message(), "too small") != NULL);
    TS_CHECK_OK(ts_msssim(a, b, 160, 160, 1.0, 4, &s));
    TS_CHECK_ERR(ts_msssim(a, b, 160, 160, 1.0, 6, &s), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_ssim(a, b, 10, 16, 1.0, &s, NULL), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_ssim(a, b, 16, 16, 0.0, &s, NULL), TS_ERR_RANGE);
}

static void test_silhouette(void)
{
    double g[6];
    TS_CHECK(golden_csv("silhouette.csv", g, 1, 6, NULL) == 1);
    int n = (int)g[0], d = (int)g[1], k = (int)g[2], single = (int)g[4];
    double off = g[3];
    double *X = malloc((size_t)n * d * sizeof *X);
    int *lab = malloc((size_t)n * sizeof *lab);
    for (int i = 0; i < n; i++) {
        lab[i] = i % 3;
        if (i == single) lab[i] = 3;
        for (int q = 0; q < d; q++) X[i * d + q] = golden_hash01((uint64_t)i, (uint64_t)q, (uint64_t)k) + lab[i] * off;
    }
    double s;
    TS_CHECK_OK(ts_micro_silhouette(X, (size_t)n, d, lab, &s));
    TS_CHECK_CLOSE(s, g[5], 0, 1e-13);
    for (int i = 0; i < n; i++) lab[i] = 0;
    TS_CHECK_ERR(ts_micro_silhouette(X, (size_t)n, d, lab, &s), TS_ERR_RANGE);
    for (int i = 0; i < n; i++) lab[i] = i;
    TS_CHECK_ERR(ts_micro_silhouette(X, (size_t)n, d, lab, &s), TS_ERR_RANGE);
    free(X);
    free(lab);
}

static void test_sqrt_fit(void)
{
    double g[5];
    TS_CHECK(golden_csv("sqrtfit.csv", g, 1, 5, NULL) == 1);
    double t[6] = {0, 50, 100, 300, 1000, 3000}, e[6] = {0.05, -0.08, 0.03, 0.1, -0.06, 0.02}, y[6];
    for (int i = 0; i < 6; i++) y[i] = 2.3 + 0.15 * sqrt(t[i]) + e[i];
    ts_micro_sqrt_fit f;
    TS_CHECK_OK(ts_micro_fit_sqrt(t, y, 6, &f));
    TS_CHECK_CLOSE(f.k, g[0], 0, 1e-12);
    TS_CHECK_CLOSE(f.y0, g[1], 0, 1e-12);
    TS_CHECK_CLOSE(f.k_se, g[2], 0, 1e-10);
    TS_CHECK_CLOSE(f.y0_se, g[3], 0, 1e-10);
    TS_CHECK_CLOSE(f.r2, g[4], 0, 1e-12);
    TS_CHECK_OK(ts_micro_fit_sqrt(t, y, 2, &f));
    TS_CHECK(isnan(f.k_se));
    double tc[3] = {100, 100, 100};
    TS_CHECK_ERR(ts_micro_fit_sqrt(tc, y, 3, &f), TS_ERR_SINGULAR);
    TS_CHECK_ERR(ts_micro_fit_sqrt(t, y, 1, &f), TS_ERR_RANGE);
}

static void test_kirkendall(void)
{
    /* A = kp sqrt(t): D_v = mean(kp sqrt(t) 1e-12 / (3600 t)) by hand */
    double t[4] = {0, 100, 400, 2500}, a[4];
    for (int i = 0; i < 4; i++) a[i] = 0.05 * sqrt(t[i]);
    double Dv, Q;
    TS_CHECK_OK(ts_micro_kirkendall_q(t, a, 4, 423.15, 5.48e-9, &Dv, &Q));
    double want_dv = (0.05e-12 / 3600) * (1.0 / 10 + 1.0 / 20 + 1.0 / 50) / 3;
    TS_CHECK_CLOSE(Dv, want_dv, 0, 1e-14);
    TS_CHECK_CLOSE(Q, -8.314462618 * 423.15 * log(want_dv / 5.48e-9) / 1000, 0, 1e-14);
    /* more pores -> larger D_v -> smaller Q */
    double Q2;
    for (int i = 0; i < 4; i++) a[i] *= 10;
    TS_CHECK_OK(ts_micro_kirkendall_q(t, a, 4, 423.15, 5.48e-9, NULL, &Q2));
    TS_CHECK_CLOSE(Q - Q2, 8.314462618 * 423.15 * log(10.0) / 1000, 0, 1e-12);
    for (int i = 0; i < 4; i++) a[i] = 0;
    TS_CHECK_ERR(ts_micro_kirkendall_q(t, a, 4, 423.15, 5.48e-9, NULL, &Q), TS_ERR_RANGE);
}

int main(void)
{
    TS_RUN(test_ssim_goldens);
    TS_RUN(test_ssim_errors);
    TS_RUN(test_silhouette);
    TS_RUN(test_sqrt_fit);
    TS_RUN(test_kirkendall);
    return ts_test_summary();
}
