/* SSIM and MS-SSIM exactly as TensorFlow's tf.image.ssim and
 * tf.image.ssim_multiscale (Wang, Simoncelli & Bovik 2003, seed 000 ref. 75;
 * seed Methods: TensorFlow 2.6.0):
 *   window: 11 x 11 Gaussian, σ = 1.5, normalised (TF's _fspecial_gauss),
 *   VALID filtering (no padding), c1 = (K1 L)², c2 = (K2 L)², K1 0.01, K2 0.03,
 *   l = (2 μx μy + c1) / (μx² + μy² + c1),
 *   cs = (2 (E[xy] - μx μy) + c2) / (E[x² + y²] - μx² - μy² + c2)
 *       (TF's _ssim_helper with compensation 1),
 *   ssim = mean(l · cs), cs = mean(cs);
 *   MS-SSIM = Π_{j<M-1} relu(cs_j)^w_j · relu(ssim_{M-1})^w_{M-1}; between
 *   scales 2 x 2 average pooling (VALID) after padding odd sizes by one
 *   SYMMETRIC row/column at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

#define FS 11
static const double fsigma = 1.5, K1 = 0.01, K2 = 0.03;
static const double tf_weights[5] = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};

/* valid separable filtering with the normalised 1-D Gaussian; out [(h-10)][(w-10)] */
static void filt(const double *in, int w, int h, const double *g, double *tmp, double *out)
{
    int ow = w - FS + 1, oh = h - FS + 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < ow; x++) {
            double a = 0;
            for (int k = 0; k < FS; k++) a += g[k] * in[(size_t)y * w + x + k];
            tmp[(size_t)y * ow + x] = a;
        }
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double a = 0;
            for (int k = 0; k < FS; k++) a += g[k] * tmp[(size_t)(y + k) * ow + x];
            out[(size_t)y * ow + x] = a;
        }
}

static int ssim_core(const double *a, const double *b, int w, int h, double max_val, double *ssim,
                     double *csm)
{
    if (w < FS || h < FS)
        return ts_error_set(TS_ERR_RANGE, "ssim: image %d x %d smaller than the %d x %d window", w, h, FS, FS);
    double g[FS], sum = 0;
    for (int k = 0; k < FS; k++) {
        double x = k - (FS - 1) / 2.0;
        sum += g[k] = exp(-0.5 * x * x / (fsigma * fsigma));
    }
    for (int k = 0; k < FS; k++) g[k] /= sum;
    size_t n = (size_t)w * h;
    int ow = w - FS + 1, oh = h - FS + 1;
    size_t no = (size_t)ow * oh;
    double *buf = malloc((3 * n + (size_t)w * h + 5 * no) * sizeof *buf);
    TS_CHECK_ALLOC(buf);
    double *xy = buf, *xx = buf + n, *tmp = buf + 2 * n, *ma = buf + 3 * n + n, *mb = ma + no;
    double *mxy = mb + no, *mxx = mxy + no;
    for (size_t i = 0; i < n; i++) {
        xy[i] = a[i] * b[i];
        xx[i] = a[i] * a[i] + b[i] * b[i];
    }
    filt(a, w, h, g, tmp, ma);
    filt(b, w, h, g, tmp, mb);
    filt(xy, w, h, g, tmp, mxy);
    filt(xx, w, h, g, tmp, mxx);
    double c1 = (K1 * max_val) * (K1 * max_val), c2 = (K2 * max_val) * (K2 * max_val);
    double s = 0, cs = 0;
    for (size_t i = 0; i < no; i++) {
        double num0 = ma[i] * mb[i] * 2.0, den0 = ma[i] * ma[i] + mb[i] * mb[i];
        double lum = (num0 + c1) / (den0 + c1);
        double num1 = mxy[i] * 2.0, den1 = mxx[i];
        double c = (num1 - num0 + c2) / (den1 - den0 + c2);
        s += lum * c;
        cs += c;
    }
    free(buf);
    *ssim = s / no;
    if (csm) *csm = cs / no;
    return 0;
}

static int check_pair(const double *a, const double *b, int w, int h, double max_val)
{
    if (!a || !b) return ts_error_set(TS_ERR_INVAL, "ssim: NULL image");
    if (w < 1 || h < 1) return ts_error_set(TS_ERR_RANGE, "ssim: empty image");
    if (!(max_val > 0)) return ts_error_set(TS_ERR_RANGE, "ssim: max_val %g must be > 0", max_val);
    return 0;
}

int ts_ssim(const double *a, const double *b, int w, int h, double max_val, double *ssim,
                  double *cs)
{
    TS_TRY(check_pair(a, b, w, h, max_val));
    if (!ssim) return ts_error_set(TS_ERR_INVAL, "ssim: NULL output");
    return ssim_core(a, b, w, h, max_val, ssim, cs);
}

int ts_msssim_min_size(int nscales)
{
    if (nscales < 1) nscales = 1;
    return (FS - 1) * (1 << (nscales - 1)) + 1;
}

/* 2x2 average pool with symmetric padding of an odd side; *w, *h updated */
static void downsample(const double *in, int w, int h, double *out, int *ow, int *oh)
{
    int pw = w + (w & 1), ph = h + (h & 1);
    int nw = pw / 2, nh = ph / 2;
    for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++) {
            double s = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int yy = 2 * y + dy, xx = 2 * x + dx;
                    if (yy >= h) yy = 2 * h - 1 - yy; /* SYMMETRIC: repeats the edge */
                    if (xx >= w) xx = 2 * w - 1 - xx;
                    s += in[(size_t)yy * w + xx];
                }
            out[(size_t)y * nw + x] = 0.25 * s;
        }
    *ow = nw;
    *oh = nh;
}

int ts_msssim(const double *a, const double *b, int w, int h, double max_val, int nscales,
                    double *msssim)
{
    TS_TRY(check_pair(a, b, w, h, max_val));
    if (!msssim) return ts_error_set(TS_ERR_INVAL, "msssim: NULL output");
    if (nscales < 1 || nscales > 5)
        return ts_error_set(TS_ERR_RANGE, "msssim: %d scales, expected 1..5", nscales);
    int need = ts_msssim_min_size(nscales);
    if (w < need || h < need)
        return ts_error_set(TS_ERR_RANGE,
                            "msssim: image %d x %d too small for %d scales (each side >= %d px with an 11-px window); use fewer scales",
                            w, h, nscales, need);
    double wt[5], ws = 0;
    for (int j = 0; j < nscales; j++) ws += wt[j] = tf_weights[j];
    if (nscales < 5)
        for (int j = 0; j < nscales; j++) wt[j] /= ws;
    size_t n = (size_t)w * h;
    double *A = malloc(n * sizeof *A), *B = malloc(n * sizeof *B);
    double *A2 = malloc(n * sizeof *A2), *B2 = malloc(n * sizeof *B2);
    int rc = 0;
    if (!A || !B || !A2 || !B2) {
        rc = ts_error_set(TS_ERR_NOMEM, "msssim: out of memory");
        goto out;
    }
    memcpy(A, a, n * sizeof *A);
    memcpy(B, b, n * sizeof *B);
    double prod = 1.0;
    int cw = w, ch = h;
    for (int j = 0; j < nscales; j++) {
        if (j > 0) {
            int nw, nh;
            downsample(A, cw, ch, A2, &nw, &nh);
            downsample(B, cw, ch, B2, &nw, &nh);
            double *t = A;
            A = A2;
            A2 = t;
            t = B;
            B = B2;
            B2 = t;
            cw = nw;
            ch = nh;
        }
        double s, cs;
        if ((rc = ssim_core(A, B, cw, ch, max_val, &s, &cs)) != 0) goto out;
        double v = j < nscales - 1 ? cs : s;
        if (v < 0) v = 0; /* relu */
        prod *= pow(v, wt[j]);
    }
    *msssim = prod;
out:
    free(A);
    free(B);
    free(A2);
    free(B2);
    return rc;
}
