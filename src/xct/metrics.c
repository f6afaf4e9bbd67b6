/* Image-quality metrics used by seed 001 (section "Quantitative metrics"):
 *  PSNR = 10 log10(R^2 / MSE);
 *  PCC  = cov(a, b) / (sd(a) sd(b))            (seed ref. 55);
 *  SSIM (Wang et al., IEEE TIP 13 (2004) 600, eq. 13) with scikit-image's
 *       defaults (7x7 uniform window, sample covariance N/(N-1));
 *  MS-SSIM (Wang, Simoncelli & Bovik 2003, eq. 7) exactly as TensorFlow's
 *       tf.image.ssim_multiscale (the seed's weights (0.0448, 0.2856, 0.3001,
 *       0.2363, 0.1333), 11x11 Gaussian sigma 1.5, VALID filtering) —
 *       computed by the shared core implementation (src/core/ssim.c);
 *  DSC, BER: seed 001 eqs. (10), (11), after a two-Gaussian EM fit of the
 *       reference and the Bayes rule p(x|0)p(0) = p(x|1)p(1) (gmm.c).
 * The 2-D power spectrum shows the missing wedge (seed Fig. 6a). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

static double data_range_of(const float *ref, size_t n, double dr)
{
    if (dr > 0) return dr;
    float lo = ref[0], hi = ref[0];
    for (size_t i = 1; i < n; i++) {
        if (ref[i] < lo) lo = ref[i];
        if (ref[i] > hi) hi = ref[i];
    }
    return (double)hi - lo;
}

static int check_finite(const float *v, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return ts_error_set(TS_ERR_NUMERIC, "%s: value %zu is not finite", what, i);
    return 0;
}

int ts_xct_psnr(const float *ref, const float *img, size_t n, double data_range, double *out)
{
    if (n == 0) return ts_error_set(TS_ERR_INVAL, "psnr: empty image");
    TS_TRY(check_finite(ref, n, "psnr reference"));
    TS_TRY(check_finite(img, n, "psnr image"));
    double R = data_range_of(ref, n, data_range), mse = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)ref[i] - img[i];
        mse += d * d;
    }
    mse /= n;
    *out = mse > 0 ? 10.0 * log10(R * R / mse) : INFINITY;
    return 0;
}

int ts_xct_pcc(const float *a, const float *b, size_t n, double *out)
{
    if (n < 2) return ts_error_set(TS_ERR_INVAL, "pcc: need at least 2 values");
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double da = a[i] - ma, db = b[i] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (saa == 0 || sbb == 0) {
        *out = NAN;
        return 0;
    }
    *out = sab / sqrt(saa * sbb);
    return 0;
}

int ts_xct_ssim(const float *ref, const float *img, int w, int h, int win, double data_range,
                double *out)
{
    if (win < 3 || win % 2 == 0 || w < win || h < win)
        return ts_error_set(TS_ERR_INVAL, "ssim: window %d must be odd, >= 3 and fit the %d x %d "
                            "image", win, w, h);
    size_t n = (size_t)w * h;
    TS_TRY(check_finite(ref, n, "ssim reference"));
    TS_TRY(check_finite(img, n, "ssim image"));
    double R = data_range_of(ref, n, data_range);
    double C1 = (0.01 * R) * (0.01 * R), C2 = (0.03 * R) * (0.03 * R);
    double np_ = (double)win * win, cov_norm = np_ / (np_ - 1.0);
    int hw = win / 2;
    double sum = 0;
    long cnt = 0;
#pragma omp parallel for reduction(+ : sum, cnt) schedule(static) if (!xct_in_parallel())
    for (int r = hw; r < h - hw; r++)
        for (int c = hw; c < w - hw; c++) {
            double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
            for (int i = -hw; i <= hw; i++)
                for (int j = -hw; j <= hw; j++) {
                    double x = ref[(size_t)(r + i) * w + c + j], y = img[(size_t)(r + i) * w + c + j];
                    sx += x;
                    sy += y;
                    sxx += x * x;
                    syy += y * y;
                    sxy += x * y;
                }
            double ux = sx / np_, uy = sy / np_;
            double vx = cov_norm * (sxx / np_ - ux * ux), vy = cov_norm * (syy / np_ - uy * uy);
            double vxy = cov_norm * (sxy / np_ - ux * uy);
            double s = (2 * ux * uy + C1) * (2 * vxy + C2) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
            sum += s;
            cnt++;
        }
    *out = sum / cnt;
    return 0;
}

int ts_xct_msssim(const float *ref, const float *img, int w, int h, double data_range,
                  double *out)
{
    if (w < 11 * 16 || h < 11 * 16)
        return ts_error_set(TS_ERR_INVAL, "ms-ssim: image %d x %d smaller than 176 x 176 (5 "
                            "scales of an 11-pixel window)", w, h);
    size_t n = (size_t)w * h;
    TS_TRY(check_finite(ref, n, "ms-ssim reference"));
    TS_TRY(check_finite(img, n, "ms-ssim image"));
    double R = data_range_of(ref, n, data_range);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return ts_error_set(TS_ERR_NOMEM, "ms-ssim: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = ref[i];
        y[i] = img[i];
    }
    /* The shared TensorFlow-formula implementation in core (5 scales, TF's weights). */
    int rc = ts_msssim(x, y, w, h, R, 5, out);
    free(x);
    free(y);
    return rc;
}

int ts_xct_binary_scores_compute(const uint8_t *ref, const uint8_t *test, size_t n,
                                 ts_xct_binary_scores *out)
{
    if (n == 0) return ts_error_set(TS_ERR_INVAL, "binary scores: empty");
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int a = ref[i] != 0, b = test[i] != 0;
        if (a && b) out->tp++;
        else if (!a && !b) out->tn++;
        else if (b) out->fp++;
        else out->fn++;
    }
    size_t den = 2 * out->tp + out->fn + out->fp;
    out->dsc = den ? 2.0 * out->tp / den : 1.0;
    out->ber = (double)(out->fp + out->fn) / n;
    return 0;
}

int ts_xct_metrics_compute(const float *ref, const float *img, int w, int h, double data_range,
                           ts_xct_metrics *out)
{
    size_t n = (size_t)w * h;
    double R = data_range_of(ref, n, data_range);
    TS_TRY(ts_xct_psnr(ref, img, n, R, &out->psnr));
    TS_TRY(ts_xct_pcc(ref, img, n, &out->pcc));
    TS_TRY(ts_xct_ssim(ref, img, w, h, 7, R, &out->ssim));
    out->msssim = NAN;
    if (w >= 176 && h >= 176) TS_TRY(ts_xct_msssim(ref, img, w, h, R, &out->msssim));
    ts_xct_gmm2 g;
    TS_TRY(ts_xct_gmm2_fit(ref, n, &g));
    uint8_t *la = malloc(n), *lb = malloc(n);
    if (!la || !lb) {
        free(la);
        free(lb);
        return ts_error_set(TS_ERR_NOMEM, "metrics: out of memory");
    }
    int rc = ts_xct_gmm2_classify(&g, ref, n, la);
    if (!rc) rc = ts_xct_gmm2_classify(&g, img, n, lb);
    ts_xct_binary_scores bs;
    if (!rc) rc = ts_xct_binary_scores_compute(la, lb, n, &bs);
    if (!rc) {
        out->dsc = bs.dsc;
        out->ber = bs.ber;
    }
    free(la);
    free(lb);
    return rc;
}

int ts_xct_power_spectrum(int n, const float *img, double *out)
{
    fftw_complex *a = fftw_malloc(sizeof(fftw_complex) * (size_t)n * n);
    TS_CHECK_ALLOC(a);
    fftw_plan pl;
#pragma omp critical(ts_xct_fftw_planner)
    pl = fftw_plan_dft_2d(n, n, a, a, FFTW_FORWARD, FFTW_ESTIMATE);
    if (!pl) {
        fftw_free(a);
        return ts_error_set(TS_ERR_NOMEM, "power spectrum: FFTW plan failed");
    }
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i][0] = img[i];
        a[i][1] = 0;
    }
    fftw_execute(pl);
    double mx = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) {
        double p = a[i][0] * a[i][0] + a[i][1] * a[i][1];
        if (p > mx) mx = p;
    }
    double eps = mx > 0 ? mx * 1e-12 : 1e-30;
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++) {
            const double *v = a[(size_t)r * n + c];
            int rs = (r + n / 2) % n, cs = (c + n / 2) % n; /* fftshift */
            out[(size_t)rs * n + cs] = log10(v[0] * v[0] + v[1] * v[1] + eps);
        }
#pragma omp critical(ts_xct_fftw_planner)
    fftw_destroy_plan(pl);
    fftw_free(a);
    return 0;
}
