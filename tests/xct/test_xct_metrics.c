/* Metrics against scikit-image / scikit-learn / a NumPy transcription of
 * TensorFlow's MS-SSIM (tests/oracles/xct/make_goldens.py), and the TV prox
 * against scikit-image's denoise_tv_chambolle (same ROF minimiser). */
#include "ts_test.h"
#include "tinsel/xct.h"
#include "xct_golden.h"

/* float inputs, double accumulation: metrics agree to ~1e-6 relative;
 * skimage evaluates SSIM in float32 for float32 inputs, hence 1e-5. */
#define METRIC_TOL 1e-5

static void test_psnr_ssim_pcc(void)
{
    size_t n;
    float *ref = golden_f32("metric_ref", &n), *img = golden_f32("metric_test", NULL);
    double *v = golden_f64("metric_values", NULL);
    TS_CHECK(ref && img && v);
    if (!ref || !img || !v) return;
    int w = 128;
    double psnr, s7, s11, pcc;
    TS_CHECK_OK(ts_xct_psnr(ref, img, n, v[4], &psnr));
    TS_CHECK_OK(ts_xct_ssim(ref, img, w, w, 7, v[4], &s7));
    TS_CHECK_OK(ts_xct_ssim(ref, img, w, w, 11, v[4], &s11));
    TS_CHECK_OK(ts_xct_pcc(ref, img, n, &pcc));
    printf("psnr %.8f (skimage %.8f) ssim7 %.8f (%.8f) ssim11 %.8f (%.8f) pcc %.8f (%.8f)\n", psnr,
           v[0], s7, v[1], s11, v[2], pcc, v[3]);
    TS_CHECK_CLOSE(psnr, v[0], 0, METRIC_TOL);
    TS_CHECK_CLOSE(s7, v[1], 0, METRIC_TOL);
    TS_CHECK_CLOSE(s11, v[2], 0, METRIC_TOL);
    TS_CHECK_CLOSE(pcc, v[3], 0, METRIC_TOL);
    /* identity */
    double one;
    TS_CHECK_OK(ts_xct_ssim(ref, ref, w, w, 7, v[4], &one));
    TS_CHECK_CLOSE(one, 1.0, 1e-12, 0);
    TS_CHECK_ERR(ts_xct_ssim(ref, img, w, w, 6, v[4], &one), TS_ERR_INVAL);
    free(ref);
    free(img);
    free(v);
}

static void test_msssim(void)
{
    float *ref = golden_f32("msssim_ref", NULL), *img = golden_f32("msssim_test", NULL);
    double *v = golden_f64("msssim_value", NULL);
    TS_CHECK(ref && img && v);
    if (!ref || !img || !v) return;
    double m;
    TS_CHECK_OK(ts_xct_msssim(ref, img, 200, 200, 1.0, &m));
    printf("ms-ssim %.10f (TF formula in NumPy %.10f)\n", m, v[0]);
    TS_CHECK_CLOSE(m, v[0], 0, METRIC_TOL);
    TS_CHECK_OK(ts_xct_msssim(ref, ref, 200, 200, 1.0, &m));
    TS_CHECK_CLOSE(m, 1.0, 1e-12, 0);
    TS_CHECK_ERR(ts_xct_msssim(ref, img, 100, 100, 1.0, &m), TS_ERR_INVAL);
    free(ref);
    free(img);
    free(v);
}

static void test_gmm_dsc_ber(void)
{
    size_t n;
    float *vals = golden_f32("gmm_values", &n), *tv = golden_f32("gmm_test", NULL);
    double *fit = golden_f64("gmm_fit", NULL), *sc = golden_f64("gmm_scores", NULL);
    TS_CHECK(vals && tv && fit && sc);
    if (!vals || !tv || !fit || !sc) return;
    ts_xct_gmm2 g;
    TS_CHECK_OK(ts_xct_gmm2_fit(vals, n, &g));
    printf("gmm priors %.6f %.6f means %.6f %.6f sd %.6f %.6f (%d its)\n", g.prior[0], g.prior[1],
           g.mean[0], g.mean[1], g.sd[0], g.sd[1], g.iters);
    /* both converge to the same maximum-likelihood fit (sklearn tol 1e-10,
     * reg_covar 0): 1e-6 absolute on values of order 0.05 .. 0.9 */
    for (int k = 0; k < 2; k++) {
        TS_CHECK_CLOSE(g.prior[k], fit[k], 1e-6, 0);
        TS_CHECK_CLOSE(g.mean[k], fit[2 + k], 1e-6, 0);
        TS_CHECK_CLOSE(g.sd[k], fit[4 + k], 1e-6, 0);
    }
    uint8_t *la = malloc(n), *lb = malloc(n);
    TS_CHECK_OK(ts_xct_gmm2_classify(&g, vals, n, la));
    TS_CHECK_OK(ts_xct_gmm2_classify(&g, tv, n, lb));
    ts_xct_binary_scores b;
    TS_CHECK_OK(ts_xct_binary_scores_compute(la, lb, n, &b));
    printf("dsc %.6f (%.6f) ber %.6f (%.6f) tp %zu tn %zu fp %zu fn %zu\n", b.dsc, sc[0], b.ber,
           sc[1], b.tp, b.tn, b.fp, b.fn);
    /* a sample within 1e-5 of the decision boundary could flip: allow 2 */
    TS_CHECK(fabs((double)b.tp - sc[2]) <= 2 && fabs((double)b.fp - sc[4]) <= 2 &&
             fabs((double)b.fn - sc[5]) <= 2);
    TS_CHECK_CLOSE(b.dsc, sc[0], 1e-3, 0);
    TS_CHECK_CLOSE(b.ber, sc[1], 5e-4, 0);
    free(la);
    free(lb);
    free(vals);
    free(tv);
    free(fit);
    free(sc);
}

static void test_binary_scores_hand(void)
{
    uint8_t r[8] = {1, 1, 1, 0, 0, 0, 0, 1}, t[8] = {1, 1, 0, 1, 0, 0, 0, 0};
    ts_xct_binary_scores b;
    TS_CHECK_OK(ts_xct_binary_scores_compute(r, t, 8, &b));
    /* TP 2, TN 3, FP 1, FN 2: DSC 4/7, BER 3/8 (seed eqs. 10, 11) */
    TS_CHECK_CLOSE(b.dsc, 4.0 / 7.0, 1e-15, 0);
    TS_CHECK_CLOSE(b.ber, 3.0 / 8.0, 1e-15, 0);
}

static void test_tv_prox_vs_chambolle(void)
{
    size_t n;
    float *f = golden_f32("tv_f", &n), *u_sk = golden_f32("tv_u", NULL);
    double *w = golden_f64("tv_weight", NULL);
    TS_CHECK(f && u_sk && w);
    if (!f || !u_sk || !w) return;
    int m = 48;
    float *u = malloc(n * sizeof *u);
    TS_CHECK_OK(ts_xct_tv_prox(m, f, w[0], -INFINITY, INFINITY, 2000, u));
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (u[i] - u_sk[i]) * (double)(u[i] - u_sk[i]);
        den += (double)u_sk[i] * u_sk[i];
    }
    printf("tv prox (FGP, 2000 its) vs skimage chambolle: rel L2 %.3g\n", sqrt(num / den));
    /* the same strictly convex problem; both iterations stopped near
     * convergence (FGP O(1/k^2) at k = 2000, Chambolle eps 1e-12) */
    TS_CHECK(sqrt(num / den) < 1e-3); /* measured 2.7e-4 */
    /* box constraint respected */
    TS_CHECK_OK(ts_xct_tv_prox(m, f, w[0], 0.0, 0.5, 50, u));
    float lo = 1, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = fminf(lo, u[i]);
        hi = fmaxf(hi, u[i]);
    }
    TS_CHECK(lo >= 0.0f && hi <= 0.5f);
    free(u);
    free(f);
    free(u_sk);
    free(w);
}

int main(void)
{
    TS_RUN(test_psnr_ssim_pcc);
    TS_RUN(test_msssim);
    TS_RUN(test_gmm_dsc_ber);
    TS_RUN(test_binary_scores_hand);
    TS_RUN(test_tv_prox_vs_chambolle);
    return ts_test_summary();
}
