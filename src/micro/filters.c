/* Gaussian-derivative filter bank (the ilastik pixel-classification feature
 * set: Gaussian smoothing, gradient magnitude, Laplacian of Gaussian and
 * Hessian eigenvalues at several scales; Berg et al. 2019, cited as ref. 79
 * in seed 000 Methods).  Kernels follow scipy.ndimage.gaussian_filter1d:
 *   phi(x) = exp(-x²/(2σ²)) / Σ exp(...),  x = -r..r,  r = floor(4σ + 0.5),
 *   order 1: phi · (-x/σ²),   order 2: phi · (x²/σ⁴ - 1/σ²),
 *   out[i] = Σ_x K(x) in[i - x]  with 'reflect' (half-sample) borders.
 * Hessian eigenvalues: λ± = (Ixx + Iyy)/2 ± sqrt(((Ixx - Iyy)/2)² + Ixy²). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micro_internal.h"

const double ts_micro_scales[TS_MICRO_NSCALES] = {0.7, 1.0, 1.6, 3.5, 5.0};

double *ts_micro_gauss_kernel(double sigma, int order, int *radius)
{
    int r = (int)(4.0 * sigma + 0.5);
    double *k = malloc((size_t)(2 * r + 1) * sizeof *k);
    if (!k) return NULL;
    double s2 = sigma * sigma, sum = 0;
    for (int i = -r; i <= r; i++) sum += (k[i + r] = exp(-0.5 * i * i / s2));
    for (int i = -r; i <= r; i++) {
        double v = k[i + r] / sum;
        if (order == 1) v *= -i / s2;
        if (order == 2) v *= (double)i * i / (s2 * s2) - 1.0 / s2;
        k[i + r] = v;
    }
    *radius = r;
    return k;
}

void ts_micro_conv1d_ref(const float *in, float *out, int w, int h, const double *k, int r,
                         int axis)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double acc = 0;
            for (int d = -r; d <= r; d++) {
                int yy = axis == 0 ? ts_micro_reflect(y - d, h) : y;
                int xx = axis == 1 ? ts_micro_reflect(x - d, w) : x;
                acc += k[d + r] * in[(size_t)yy * w + xx];
            }
            out[(size_t)y * w + x] = (float)acc;
        }
}

void ts_micro_conv1d(const float *in, float *out, int w, int h, const double *k, int r,
                     int axis)
{
    if (axis == 1) {
#pragma omp parallel
        {
            double *acc = malloc((size_t)w * sizeof *acc);
#pragma omp for schedule(static)
            for (int y = 0; y < h; y++) {
                const float *row = in + (size_t)y * w;
                float *o = out + (size_t)y * w;
                /* borders (and the fallback without scratch memory): per pixel */
                for (int x = 0; x < w; x++) {
                    if (acc && x - r >= 0 && x + r < w) continue;
                    double a = 0;
                    for (int d = -r; d <= r; d++) a += k[d + r] * row[ts_micro_reflect(x - d, w)];
                    o[x] = (float)a;
                }
                if (!acc || w <= 2 * r) continue;
                /* interior: tap-outer, pixel-inner (contiguous, vectorisable) */
                const int x0 = r, x1 = w - r;
                for (int x = x0; x < x1; x++) acc[x] = 0;
                for (int d = -r; d <= r; d++) {
                    const double kk = k[d + r];
                    const float *src = row - d;
                    for (int x = x0; x < x1; x++) acc[x] += kk * src[x];
                }
                for (int x = x0; x < x1; x++) o[x] = (float)acc[x];
            }
            free(acc);
        }
    } else {
#pragma omp parallel
        {
            double *acc = malloc((size_t)w * sizeof *acc);
#pragma omp for schedule(static)
            for (int y = 0; y < h; y++) {
                float *o = out + (size_t)y * w;
                if (!acc) { /* fall back to the per-pixel path */
                    for (int x = 0; x < w; x++) {
                        double a = 0;
                        for (int d = -r; d <= r; d++)
                            a += k[d + r] * in[(size_t)ts_micro_reflect(y - d, h) * w + x];
                        o[x] = (float)a;
                    }
                    continue;
                }
                for (int x = 0; x < w; x++) acc[x] = 0;
                for (int d = -r; d <= r; d++) {
                    const float *src = in + (size_t)ts_micro_reflect(y - d, h) * w;
                    double kk = k[d + r];
                    for (int x = 0; x < w; x++) acc[x] += kk * src[x];
                }
                for (int x = 0; x < w; x++) o[x] = (float)acc[x];
            }
            free(acc);
        }
    }
}

int ts_micro_gauss1d(const float *in, float *out, int w, int h, double sigma, int order, int axis)
{
    if (!in || !out || w < 1 || h < 1)
        return ts_error_set(TS_ERR_INVAL, "gauss1d: empty image or NULL pointer");
    if (!(sigma > 0) || order < 0 || order > 2 || (axis != 0 && axis != 1))
        return ts_error_set(TS_ERR_RANGE, "gauss1d: sigma %g must be > 0, order 0..2, axis 0/1", sigma);
    int r;
    double *k = ts_micro_gauss_kernel(sigma, order, &r);
    TS_CHECK_ALLOC(k);
    ts_micro_conv1d(in, out, w, h, k, r, axis);
    free(k);
    return 0;
}

int ts_micro_features_count(void) { return 1 + 5 * (TS_MICRO_NSCALES - 1); }

typedef void (*conv_fn)(const float *, float *, int, int, const double *, int, int);

/* One scale of the bank into its planes (first plane index f0). buf: 9 n floats. */
static int one_scale(const float *img, int w, int h, float *feat, int si, float *buf, conv_fn conv)
{
    size_t n = (size_t)w * h;
    float *rx[3] = {buf, buf + n, buf + 2 * n};
    float *G = buf + 3 * n, *Gx = buf + 4 * n, *Gy = buf + 5 * n;
    float *Gxx = buf + 6 * n, *Gyy = buf + 7 * n, *Gxy = buf + 8 * n;
    int f = si == 0 ? 0 : 1 + 5 * (si - 1);
    double s = ts_micro_scales[si];
    double *k[3] = {NULL, NULL, NULL};
    int r = 0, rc = 0;
    for (int o = 0; o < 3; o++)
        if (!(k[o] = ts_micro_gauss_kernel(s, o, &r))) rc = ts_error_set(TS_ERR_NOMEM, "features: out of memory");
    if (!rc) {
        conv(img, rx[0], w, h, k[0], r, 1);
        conv(rx[0], G, w, h, k[0], r, 0);
        memcpy(feat + (size_t)f++ * n, G, n * sizeof *G);
        if (si > 0) {
            conv(img, rx[1], w, h, k[1], r, 1);
            conv(img, rx[2], w, h, k[2], r, 1);
            conv(rx[0], Gy, w, h, k[1], r, 0);
            conv(rx[0], Gyy, w, h, k[2], r, 0);
            conv(rx[1], Gx, w, h, k[0], r, 0);
            conv(rx[1], Gxy, w, h, k[1], r, 0);
            conv(rx[2], Gxx, w, h, k[0], r, 0);
            float *gm = feat + (size_t)f++ * n, *lg = feat + (size_t)f++ * n;
            float *e1 = feat + (size_t)f++ * n, *e2 = feat + (size_t)f++ * n;
            for (size_t i = 0; i < n; i++) {
                double gx = Gx[i], gy = Gy[i], xx = Gxx[i], yy = Gyy[i], xy = Gxy[i];
                gm[i] = (float)sqrt(gx * gx + gy * gy);
                lg[i] = (float)(xx + yy);
                double m = 0.5 * (xx + yy), d = sqrt(0.25 * (xx - yy) * (xx - yy) + xy * xy);
                e1[i] = (float)(m + d);
                e2[i] = (float)(m - d);
            }
        }
    }
    for (int o = 0; o < 3; o++) free(k[o]);
    return rc;
}

static int features_impl(const float *img, int w, int h, float *feat, conv_fn conv, int parallel)
{
    if (!img || !feat || w < 2 || h < 2)
        return ts_error_set(TS_ERR_INVAL, "features: image must be at least 2 x 2");
    size_t n = (size_t)w * h;
    int fail = 0;
    /* parallel: one scale per thread, largest scales first (they cost most);
     * the convolutions inside then run on one thread (no nested teams) */
#pragma omp parallel for schedule(dynamic, 1) reduction(| : fail) if (parallel)
    for (int q = 0; q < TS_MICRO_NSCALES; q++) {
        int si = TS_MICRO_NSCALES - 1 - q;
        float *buf = malloc(9 * n * sizeof *buf);
        if (!buf || one_scale(img, w, h, feat, si, buf, conv) != 0) fail = 1;
        free(buf);
    }
    if (fail) return ts_error_set(TS_ERR_NOMEM, "features: out of memory for a %d x %d image", w, h);
    return 0;
}

int ts_micro_features(const float *img, int w, int h, float *feat)
{
    return features_impl(img, w, h, feat, ts_micro_conv1d, 1);
}

int ts_micro_features_ref(const float *img, int w, int h, float *feat)
{
    return features_impl(img, w, h, feat, ts_micro_conv1d_ref, 0);
}
