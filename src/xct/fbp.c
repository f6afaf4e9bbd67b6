/* Filtered backprojection for parallel beams.
 * f(x, y) = int_0^pi q_theta(x cos theta + y sin theta) d theta,
 * q_theta = p_theta * h  (Kak & Slaney 1988, eqs. 3.45 and 3.61), with the
 * discrete ramp kernel h(0) = 1/4, h(j) = -1/(pi j)^2 for odd j, 0 for even j
 * (unit sample spacing) -- the band-limited ramp without the DC error of a
 * sampled |f| -- optionally windowed in frequency (Shepp-Logan, cosine,
 * Hamming, Hann). The angular integral uses ts_xct_angle_weights (= pi/K for
 * a full uniform scan, as scikit-image's iradon). Backprojection is
 * pixel-driven with linear interpolation on the zero-extended filtered
 * projection (as iradon) -- not the Joseph adjoint of joseph.c, whose
 * footprint is a triangle of half-width max(|cos|, |sin|). Filtering in
 * single precision (FFTW r2c/c2r). Lengths in pixels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

static const char *const filter_names[TS_XCT_FILTER_COUNT_] = {
    "ramlak", "shepp-logan", "cosine", "hamming", "hann"};

const char *ts_xct_filter_name(ts_xct_filter f)
{
    return (f >= 0 && f < TS_XCT_FILTER_COUNT_) ? filter_names[f] : "?";
}

int ts_xct_filter_parse(const char *name, ts_xct_filter *out)
{
    if (name && strcmp(name, "ramp") == 0) {
        *out = TS_XCT_FILTER_RAMLAK;
        return 0;
    }
    for (int i = 0; i < TS_XCT_FILTER_COUNT_; i++)
        if (name && strcmp(name, filter_names[i]) == 0) {
            *out = (ts_xct_filter)i;
            return 0;
        }
    return ts_error_set(TS_ERR_INVAL, "unknown FBP filter '%s' (expected ramlak, shepp-logan, "
                        "cosine, hamming or hann)", name ? name : "(null)");
}

static int padded_length(int ndet, int pad)
{
    if (!pad) return ndet;
    int p = 64;
    while (p < 2 * ndet) p *= 2;
    return p;
}

/* Real frequency response H[0..P/2] of the windowed discrete ramp. */
static int make_filter(ts_xct_filter filter, int P, double *H)
{
    double *h = fftw_malloc(sizeof(double) * (size_t)P);
    fftw_complex *F = fftw_malloc(sizeof(fftw_complex) * (size_t)(P / 2 + 1));
    if (!h || !F) {
        fftw_free(h);
        fftw_free(F);
        return ts_error_set(TS_ERR_NOMEM, "fbp: out of memory for the filter");
    }
    for (int j = 0; j < P; j++) {
        int d = j <= P / 2 ? j : P - j; /* circular distance */
        if (d == 0)
            h[j] = 0.25;
        else if (d % 2 == 1)
            h[j] = -1.0 / (XCT_PI * XCT_PI * (double)d * (double)d);
        else
            h[j] = 0.0;
    }
    fftw_plan pl;
#pragma omp critical(ts_xct_fftw_planner)
    pl = fftw_plan_dft_r2c_1d(P, h, F, FFTW_ESTIMATE);
    if (!pl) {
        fftw_free(h);
        fftw_free(F);
        return ts_error_set(TS_ERR_NOMEM, "fbp: FFTW plan failed");
    }
    fftw_execute(pl);
#pragma omp critical(ts_xct_fftw_planner)
    fftw_destroy_plan(pl);
    for (int j = 0; j <= P / 2; j++) {
        double f = (double)j / P; /* cycles per sample, 0 .. 1/2 */
        double win = 1.0;
        switch (filter) {
        case TS_XCT_FILTER_SHEPP_LOGAN:
            win = j == 0 ? 1.0 : sin(XCT_PI * f) / (XCT_PI * f);
            break;
        case TS_XCT_FILTER_COSINE: win = cos(XCT_PI * f); break;
        case TS_XCT_FILTER_HAMMING: win = 0.54 + 0.46 * cos(2 * XCT_PI * f); break;
        case TS_XCT_FILTER_HANN: win = 0.5 + 0.5 * cos(2 * XCT_PI * f); break;
        default: break;
        }
        /* FFT of the real symmetric kernel is real; 1/P undoes FFTW's scaling */
        H[j] = F[j][0] * win / P;
    }
    fftw_free(h);
    fftw_free(F);
    return 0;
}

int ts_xct_filter_sinogram(const ts_xct_geom *g, ts_xct_filter filter, int pad,
                           const float *sino, float *q)
{
    if (filter < 0 || filter >= TS_XCT_FILTER_COUNT_)
        return ts_error_set(TS_ERR_INVAL, "fbp: bad filter %d", (int)filter);
    int nd = g->ndet, na = g->nang, P = padded_length(nd, pad), nf = P / 2 + 1;
    double *H = malloc((size_t)nf * sizeof *H);
    TS_CHECK_ALLOC(H);
    int rc = make_filter(filter, P, H);
    if (rc) {
        free(H);
        return rc;
    }
    /* single-precision transforms (the data are float; FFTW's float error
     * ~1e-7 relative is far below the tests' 1e-5) */
    float *Hf = malloc((size_t)nf * sizeof *Hf);
    float *buf = fftwf_malloc(sizeof(float) * (size_t)P);
    fftwf_complex *F = fftwf_malloc(sizeof(fftwf_complex) * (size_t)nf);
    fftwf_plan fw = NULL, bw = NULL;
    if (Hf && buf && F) {
        for (int j = 0; j < nf; j++) Hf[j] = (float)H[j];
#pragma omp critical(ts_xct_fftw_planner)
        {
            fw = fftwf_plan_dft_r2c_1d(P, buf, F, FFTW_ESTIMATE);
            bw = fftwf_plan_dft_c2r_1d(P, F, buf, FFTW_ESTIMATE);
        }
    }
    int err = (!Hf || !buf || !F || !fw || !bw);
    if (!err) {
#pragma omp parallel if (na > 8 && !xct_in_parallel())
        {
            /* per-thread arrays with the planner's alignment */
            float *b = fftwf_malloc(sizeof(float) * (size_t)P);
            fftwf_complex *X = fftwf_malloc(sizeof(fftwf_complex) * (size_t)nf);
            if (!b || !X) {
#pragma omp atomic write
                err = 1;
            } else {
#pragma omp for schedule(static)
                for (int i = 0; i < na; i++) {
                    memcpy(b, sino + (size_t)i * nd, (size_t)nd * sizeof *b);
                    memset(b + nd, 0, (size_t)(P - nd) * sizeof *b);
                    fftwf_execute_dft_r2c(fw, b, X);
                    for (int j = 0; j < nf; j++) {
                        X[j][0] *= Hf[j];
                        X[j][1] *= Hf[j];
                    }
                    fftwf_execute_dft_c2r(bw, X, b);
                    memcpy(q + (size_t)i * nd, b, (size_t)nd * sizeof *b);
                }
            }
            fftwf_free(b);
            fftwf_free(X);
        }
    }
#pragma omp critical(ts_xct_fftw_planner)
    {
        if (fw) fftwf_destroy_plan(fw);
        if (bw) fftwf_destroy_plan(bw);
    }
    fftwf_free(buf);
    fftwf_free(F);
    free(Hf);
    free(H);
    if (err) return ts_error_set(TS_ERR_NOMEM, "fbp: out of memory or FFTW plan failure");
    return 0;
}

/* Zero-extended linear interpolation of q[0..nd-1] at fractional index t. */
static double interp0(const float *q, int nd, double t)
{
    double fl = floor(t);
    int k = (int)fl;
    double w = t - fl;
    double a = (k >= 0 && k < nd) ? q[k] : 0.0;
    double b = (k + 1 >= 0 && k + 1 < nd) ? q[k + 1] : 0.0;
    return a + w * (b - a);
}

int ts_xct_backproject_ref(const ts_xct_geom *g, const float *q, const double *w, float *img)
{
    int n = g->n, nd = g->ndet;
    double c0 = (double)(n / 2);
    for (int r = 0; r < n; r++)
        for (int col = 0; col < n; col++) {
            double acc = 0;
            for (int i = 0; i < g->nang; i++) {
                double t = g->center + (col - c0) * cos(g->theta[i]) + (c0 - r) * sin(g->theta[i]);
                acc += w[i] * interp0(q + (size_t)i * nd, nd, t);
            }
            img[(size_t)r * n + col] = (float)acc;
        }
    return 0;
}

/* acc[col] += linear interpolation of Qi at t = tb + col c (t >= 0): the
 * portable kernel, vectorised by the compiler (gathers). On CPUs with AVX-512
 * the row kernel xct_bp_row_avx512 (simd512.c) is used instead: no gathers,
 * 6-8x faster at 512^2 x 360 (docs/xct.md, Performance). Measured dead ends
 * on the AVX2 path: explicit AVX2 gathers were 1.6x slower than this loop. */
XCT_CLONES
static void bp_kernel(int n, float *acc, const float *Qi, double tb, double c)
{
#pragma omp simd
    for (int col = 0; col < n; col++) {
        double t = tb + col * c;
        int k = (int)t;
        float f = (float)(t - k);
        float a = Qi[k];
        acc[col] += a + f * (Qi[k + 1] - a);
    }
}

int ts_xct_backproject(const ts_xct_geom *g, const float *q, const double *w, float *img)
{
    int n = g->n, nd = g->ndet, na = g->nang;
    int margin = xct_bp_margin(n, nd, g->center);
    int ndp = nd + 2 * margin;
    int simd = xct_use_avx512(), err = 0;
    /* Q: weighted, zero-extended rows */
    float *Q = calloc((size_t)na * ndp, sizeof *Q);
    double *cs = malloc((size_t)na * 2 * sizeof *cs);
    if (!Q || !cs) {
        free(Q);
        free(cs);
        return ts_error_set(TS_ERR_NOMEM, "backproject: out of memory");
    }
    double *sn = cs + na;
    for (int i = 0; i < na; i++) {
        cs[i] = cos(g->theta[i]);
        sn[i] = sin(g->theta[i]);
        for (int k = 0; k < nd; k++)
            Q[(size_t)i * ndp + margin + k] = (float)(w[i] * q[(size_t)i * nd + k]);
    }
    double c0 = (double)(n / 2);
    /* t + margin >= 0 for every pixel, so (int) truncation is floor */
    double off = g->center + margin;
#pragma omp parallel if (!xct_in_parallel())
    {
        double *tb = simd ? malloc((size_t)na * sizeof *tb + xct_row_ws_size(na)) : NULL;
        if (simd && !tb) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(static)
        for (int r = 0; r < n; r++) {
            float *acc = img + (size_t)r * n;
            if (simd) {
                if (!tb) continue;
                for (int i = 0; i < na; i++) tb[i] = off - c0 * cs[i] + (c0 - r) * sn[i];
                xct_bp_row_avx512(n, acc, Q, (size_t)ndp, na, tb, cs, tb + na);
                continue;
            }
            for (int col = 0; col < n; col++) acc[col] = 0;
            for (int i = 0; i < na; i++) {
                const float *Qi = Q + (size_t)i * ndp;
                double c = cs[i];
                double t0 = off - c0 * c + (c0 - r) * sn[i];
                bp_kernel(n, acc, Qi, t0, c);
            }
        }
        free(tb);
    }
    free(Q);
    free(cs);
    if (err) return ts_error_set(TS_ERR_NOMEM, "backproject: out of memory");
    return 0;
}

int ts_xct_fbp(const ts_xct_geom *g, ts_xct_filter filter, int pad, const float *sino,
               float *img)
{
    for (size_t i = 0; i < (size_t)g->nang * g->ndet; i++)
        if (!isfinite(sino[i]))
            return ts_error_set(TS_ERR_NUMERIC, "fbp: sinogram value %zu (angle %zu, bin %zu) "
                                "is not finite", i, i / g->ndet, i % g->ndet);
    float *q = malloc((size_t)g->nang * g->ndet * sizeof *q);
    double *w = malloc((size_t)g->nang * sizeof *w);
    if (!q || !w) {
        free(q);
        free(w);
        return ts_error_set(TS_ERR_NOMEM, "fbp: out of memory");
    }
    int rc = ts_xct_filter_sinogram(g, filter, pad, sino, q);
    if (!rc) rc = ts_xct_angle_weights(g, w);
    if (!rc) rc = ts_xct_backproject(g, q, w, img);
    free(q);
    free(w);
    return rc;
}
