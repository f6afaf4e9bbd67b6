/* Joseph's parallel-beam projector and its exact adjoint.
 * P. M. Joseph, "An improved algorithm for reprojecting rays through pixel
 * images", IEEE TMI 1 (1982) 192: the line integral along a ray is sampled
 * once per pixel row (or column, whichever the ray crosses more steeply) by
 * linear interpolation, times the path length per row 1/a, a = max(|cos|,|sin|).
 * Written as a matrix, the element between ray (theta, k) and pixel p is
 *     A[(theta,k), p] = max(0, 1 - |k - k_p| / a) / a,
 *     k_p = centre + x_p cos(theta) + y_p sin(theta),
 * which the reference kernels evaluate directly. The fast forward kernel
 * marches rays (parallel over angles); the fast adjoint gathers per pixel
 * (parallel over image rows), so both are race-free and exactly transposes
 * of each other up to rounding. On CPUs with AVX-512 their inner loops are
 * the gather-free kernels of simd512.c (the forward then also blocks the image
 * rows in chunks of FWD_CHUNK for the L2 cache); the portable loops stay for
 * other CPUs and for TINSEL_XCT_SIMD=generic. Lengths in pixels (xct.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "tinsel/xct.h"
#include "xct_internal.h"

typedef struct {
    int n, ndet, nang;
    double center, cx, cy;
    double *cs, *sn, *a; /* [nang] cos, sin, max(|cos|,|sin|) */
    int *steep;          /* [nang] 1 if |sin| >= |cos| (march over columns) */
    float *ia;           /* [nang] 1/a in float (AVX-512 adjoint) */
} joseph_ctx;


/* ----------------------------------------------------- reference kernels */

/* sino[nang][ndet] = A img[n][n], straight from the matrix element. */
int ts_xct_joseph_forward_ref(const ts_xct_geom *g, const float *img, float *sino)
{
    int n = g->n, nd = g->ndet;
    double c0 = (double)(n / 2);
    double *acc = malloc((size_t)nd * sizeof *acc);
    TS_CHECK_ALLOC(acc);
    for (int i = 0; i < g->nang; i++) {
        double c = cos(g->theta[i]), s = sin(g->theta[i]);
        double a = fmax(fabs(c), fabs(s));
        for (int k = 0; k < nd; k++) acc[k] = 0;
        for (int r = 0; r < n; r++)
            for (int col = 0; col < n; col++) {
                double kp = g->center + (col - c0) * c + (c0 - r) * s;
                int k0 = (int)floor(kp - a), k1 = (int)ceil(kp + a);
                for (int k = k0; k <= k1; k++) {
                    if (k < 0 || k >= nd) continue;
                    acc[k] += xct_joseph_w(k - kp, a) * img[(size_t)r * n + col];
                }
            }
        for (int k = 0; k < nd; k++) sino[(size_t)i * nd + k] = (float)acc[k];
    }
    free(acc);
    return 0;
}

/* img[n][n] = A^T sino[nang][ndet], straight from the matrix element. */
int ts_xct_joseph_adjoint_ref(const ts_xct_geom *g, const float *sino, float *img)
{
    int n = g->n, nd = g->ndet;
    double c0 = (double)(n / 2);
    for (int r = 0; r < n; r++)
        for (int col = 0; col < n; col++) {
            double acc = 0;
            for (int i = 0; i < g->nang; i++) {
                double c = cos(g->theta[i]), s = sin(g->theta[i]);
                double a = fmax(fabs(c), fabs(s));
                double kp = g->center + (col - c0) * c + (c0 - r) * s;
                int k0 = (int)floor(kp - a), k1 = (int)ceil(kp + a);
                for (int k = k0; k <= k1; k++) {
                    if (k < 0 || k >= nd) continue;
                    acc += xct_joseph_w(k - kp, a) * sino[(size_t)i * nd + k];
                }
            }
            img[(size_t)r * n + col] = (float)acc;
        }
    return 0;
}

/* ------------------------------------------------------------ fast kernels */

/* Ray (i, k) in "march" form: for march index m = 0..n-1 the ray is at
 * fractional position u = base_m + k * inv across the other axis, with
 * base_m = b0 + m * bm. Steep angles (|sin| >= |cos|) march over columns
 * (pixel row = floor(u)), the others over rows (pixel column = floor(u)). */
static void march_coeffs(const joseph_ctx *J, int i, double *b0, double *bm, double *inv)
{
    double c = J->cs[i], s = J->sn[i];
    if (J->steep[i]) {
        /* u = row* = cy + (centre + (m - cx) c - k) / s */
        *b0 = J->cy + (J->center - J->cx * c) / s;
        *bm = c / s;
        *inv = -1.0 / s;
    } else {
        /* u = col* = cx + (k - centre - (cy - m) s) / c */
        *b0 = J->cx + (-J->center - J->cy * s) / c;
        *bm = s / c;
        *inv = 1.0 / c;
    }
}

/* acc[k] += (1-w) row[i0] + w row[i0+1], u = base2 + k inv, i0 = floor(u),
 * for k in [k0, k1] (all u inside the zero-padded row). Position in double,
 * interpolation in float, accumulation over rows in double. */
XCT_CLONES
static void fwd_kernel(double *acc, const float *row, double base2, double inv, int k0, int k1)
{
#pragma omp simd
    for (int k = k0; k <= k1; k++) {
        double u = base2 + k * inv;
        int i0 = (int)u;
        float w = (float)(u - i0);
        float a = row[i0];
        acc[k] += a + w * (row[i0 + 1] - a);
    }
}

/* xr[col] += footprint-weighted bins k0, k0+1 of Yi, t = tb + col c.
 * Position in double, weights in float (relative error ~1e-7). */
XCT_CLONES
static void adj_kernel(int n, float *xr, const float *Yi, double tb, double c, double ia)
{
    const float iaf = (float)ia;
#pragma omp simd
    for (int col = 0; col < n; col++) {
        double t = tb + col * c;
        int k0 = (int)t;
        float d = (float)(t - k0); /* in [0, 1) */
        /* bins k0 (distance d) and k0+1 (distance 1-d); a <= 1 so no other
         * bin is within reach */
        float w0 = 1.0f - d * iaf, w1 = 1.0f - (1.0f - d) * iaf;
        w0 = w0 > 0 ? w0 : 0;
        w1 = w1 > 0 ? w1 : 0;
        xr[col] += (w0 * Yi[k0] + w1 * Yi[k0 + 1]) * iaf;
    }
}

/* Padding (zeros) of the image rows for the AVX-512 forward kernel. */
#define FWD_PAD512 40
/* Rows per cache block of the AVX-512 forward kernel. */
#define FWD_CHUNK 128

static int joseph_forward(const ts_xct_op *op, const float *x, float *y)
{
    const joseph_ctx *J = op->ctx;
    int n = J->n, nd = J->ndet;
    int simd = xct_use_avx512();
    /* padded copies: P[r][pad + col] = x[r][col], PT[col][pad + r] = x[r][col]
     * (pad 2 for the portable kernel, FWD_PAD512 for the AVX-512 one) */
    int pad = simd ? FWD_PAD512 : 2, np = n + 2 * pad;
    size_t npad = (size_t)n * np;
    float *P = calloc(npad * 2, sizeof *P);
    TS_CHECK_ALLOC(P);
    float *PT = P + npad;
    for (int r = 0; r < n; r++)
        for (int col = 0; col < n; col++) {
            float v = x[(size_t)r * n + col];
            P[(size_t)r * np + pad + col] = v;
            PT[(size_t)col * np + pad + r] = v;
        }
    int err = 0;
    if (simd) {
        /* cache blocking: rows in chunks of FWD_CHUNK (both padded copies of
         * a chunk stay in L2) for all angles; a static schedule gives every
         * angle to the same thread in every chunk, so nowait is safe */
#pragma omp parallel if (!xct_in_parallel())
        for (int m0 = 0; m0 < n; m0 += FWD_CHUNK) {
            int m1 = m0 + FWD_CHUNK < n ? m0 + FWD_CHUNK : n;
#pragma omp for schedule(static) nowait
            for (int i = 0; i < J->nang; i++) {
                double b0, bm, inv;
                march_coeffs(J, i, &b0, &bm, &inv);
                xct_fwd_angle_avx512(n, nd, pad, J->steep[i] ? PT : P, b0, bm, inv, J->ia[i], m0,
                                     m1, m0 > 0, y + (size_t)i * nd);
            }
        }
        free(P);
        return 0;
    }
#pragma omp parallel for schedule(dynamic, 1) if (!xct_in_parallel())
    for (int i = 0; i < J->nang; i++) {
        double b0, bm, inv;
        march_coeffs(J, i, &b0, &bm, &inv);
        const float *M = J->steep[i] ? PT : P;
        double *acc = malloc((size_t)nd * sizeof *acc);
        if (!acc) {
#pragma omp atomic write
            err = 1;
            continue;
        }
        for (int k = 0; k < nd; k++) acc[k] = 0;
        for (int m = 0; m < n; m++) {
            const float *row = M + (size_t)m * np;
            double base = b0 + m * bm;
            /* k with -1 <= u = base + k inv <= n: every pixel the ray touches
             * (u in (-1, n)); u stays inside the 2-zero padding */
            double klo, khi;
            if (inv > 0) {
                klo = (-1 - base) / inv;
                khi = (n - base) / inv;
            } else {
                klo = (n - base) / inv;
                khi = (-1 - base) / inv;
            }
            klo = ceil(klo);
            khi = floor(khi);
            int k0 = klo < 0 ? 0 : (int)klo;
            int k1 = khi > nd - 1 ? nd - 1 : (int)khi;
            if (k0 <= k1) fwd_kernel(acc, row, base + 2.0, inv, k0, k1);
        }
        double ia = 1.0 / J->a[i];
        float *yi = y + (size_t)i * nd;
        for (int k = 0; k < nd; k++) yi[k] = (float)(acc[k] * ia);
        free(acc);
    }
    free(P);
    if (err) return ts_error_set(TS_ERR_NOMEM, "joseph forward: out of memory");
    return 0;
}

static int joseph_adjoint(const ts_xct_op *op, const float *y, float *x)
{
    const joseph_ctx *J = op->ctx;
    int n = J->n, nd = J->ndet, na = J->nang;
    /* zero margin so any pixel's footprint (and the AVX-512 windows) index
     * inside the padded rows */
    int margin = xct_bp_margin(n, nd, J->center);
    int ndp = nd + 2 * margin;
    int simd = xct_use_avx512(), err = 0;
    float *Y = calloc((size_t)na * ndp, sizeof *Y);
    TS_CHECK_ALLOC(Y);
    for (int i = 0; i < na; i++) {
        float *Yi = Y + (size_t)i * ndp + margin;
        const float *yi = y + (size_t)i * nd;
        if (simd) { /* 1/a folded into the data */
            float ia = J->ia[i];
            for (int k = 0; k < nd; k++) Yi[k] = yi[k] * ia;
        } else {
            memcpy(Yi, yi, (size_t)nd * sizeof *y);
        }
    }
#pragma omp parallel if (!xct_in_parallel())
    {
        double *tb = simd ? malloc((size_t)na * sizeof *tb + xct_row_ws_size(na)) : NULL;
        if (simd && !tb) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(static)
        for (int r = 0; r < n; r++) {
            float *xr = x + (size_t)r * n;
            double yv = J->cy - r;
            if (simd) {
                if (!tb) continue;
                /* t = k_p + margin >= 0, so truncation is floor */
                for (int i = 0; i < na; i++)
                    tb[i] = J->center + margin - J->cx * J->cs[i] + yv * J->sn[i];
                xct_adj_row_avx512(n, xr, Y, (size_t)ndp, na, tb, J->cs, J->ia, tb + na);
                continue;
            }
            for (int col = 0; col < n; col++) xr[col] = 0;
            for (int i = 0; i < na; i++) {
                const float *Yi = Y + (size_t)i * ndp; /* padded: bin k at Yi[k + margin] */
                double c = J->cs[i], ia = 1.0 / J->a[i];
                /* t = k_p + margin >= 0, so truncation is floor (no libm call) */
                double tb0 = J->center + margin - J->cx * c + yv * J->sn[i];
                adj_kernel(n, xr, Yi, tb0, c, ia);
            }
        }
        free(tb);
    }
    free(Y);
    if (err) return ts_error_set(TS_ERR_NOMEM, "joseph adjoint: out of memory");
    return 0;
}

/* --------------------------------------------------------- row kernels */

/* Visit the pixels of ray row `row` (= angle * ndet + k): calls are inlined
 * by hand in the three users below for speed. */
#define RAY_SETUP(J, row)                                                  \
    int i_ = (int)((row) / (size_t)(J)->ndet), k_ = (int)((row) % (size_t)(J)->ndet); \
    double b0_, bm_, inv_;                                                 \
    march_coeffs((J), i_, &b0_, &bm_, &inv_);                              \
    int steep_ = (J)->steep[i_];                                           \
    double ia_ = 1.0 / (J)->a[i_]

static int joseph_forward_rows(const ts_xct_op *op, size_t r0, size_t r1, const float *x,
                               float *y)
{
    const joseph_ctx *J = op->ctx;
    int n = J->n;
    for (size_t row = r0; row < r1; row++) {
        RAY_SETUP(J, row);
        double acc = 0;
        for (int m = 0; m < n; m++) {
            double u = b0_ + m * bm_ + k_ * inv_;
            if (!(u > -1.0 && u < (double)n)) continue;
            double fl = floor(u);
            int p0 = (int)fl;
            double w = u - fl;
            if (p0 >= 0)
                acc += (1.0 - w) * x[steep_ ? (size_t)p0 * n + m : (size_t)m * n + p0];
            if (p0 + 1 < n)
                acc += w * x[steep_ ? (size_t)(p0 + 1) * n + m : (size_t)m * n + p0 + 1];
        }
        y[row - r0] = (float)(acc * ia_);
    }
    return 0;
}

static int joseph_adjoint_rows_add(const ts_xct_op *op, size_t r0, size_t r1, const float *y,
                                   float *x)
{
    const joseph_ctx *J = op->ctx;
    int n = J->n;
    for (size_t row = r0; row < r1; row++) {
        RAY_SETUP(J, row);
        double v = y[row - r0] * ia_;
        if (v == 0) continue;
        for (int m = 0; m < n; m++) {
            double u = b0_ + m * bm_ + k_ * inv_;
            if (!(u > -1.0 && u < (double)n)) continue;
            double fl = floor(u);
            int p0 = (int)fl;
            double w = u - fl;
            if (p0 >= 0)
                x[steep_ ? (size_t)p0 * n + m : (size_t)m * n + p0] += (float)((1.0 - w) * v);
            if (p0 + 1 < n)
                x[steep_ ? (size_t)(p0 + 1) * n + m : (size_t)m * n + p0 + 1] += (float)(w * v);
        }
    }
    return 0;
}

static int joseph_row_norms2(const ts_xct_op *op, double *out)
{
    const joseph_ctx *J = op->ctx;
    int n = J->n;
    for (size_t row = 0; row < op->nrows; row++) {
        RAY_SETUP(J, row);
        (void)steep_;
        double acc = 0;
        for (int m = 0; m < n; m++) {
            double u = b0_ + m * bm_ + k_ * inv_;
            if (!(u > -1.0 && u < (double)n)) continue;
            double fl = floor(u);
            int p0 = (int)fl;
            double w = u - fl;
            if (p0 >= 0) acc += (1.0 - w) * (1.0 - w);
            if (p0 + 1 < n) acc += w * w;
        }
        out[row] = acc * ia_ * ia_;
    }
    return 0;
}

static void joseph_free(void *ctx)
{
    joseph_ctx *J = ctx;
    if (!J) return;
    free(J->cs);
    free(J);
}

int ts_xct_op_joseph_create(const ts_xct_geom *g, ts_xct_op **out)
{
    *out = NULL;
    if (!g || g->nang < 1)
        return ts_error_set(TS_ERR_INVAL, "joseph: empty geometry");
    ts_xct_op *op = calloc(1, sizeof *op);
    TS_CHECK_ALLOC(op);
    joseph_ctx *J = calloc(1, sizeof *J);
    size_t na = (size_t)g->nang;
    if (J) J->cs = malloc(na * 3 * sizeof(double) + na * (sizeof(int) + sizeof(float)));
    op->block_start = malloc((na + 1) * sizeof *op->block_start);
    if (!J || !J->cs || !op->block_start) {
        joseph_free(J);
        free(op->block_start);
        free(op);
        return ts_error_set(TS_ERR_NOMEM, "joseph: out of memory");
    }
    J->sn = J->cs + na;
    J->a = J->sn + na;
    J->steep = (int *)(J->a + na);
    J->ia = (float *)(J->steep + na);
    J->n = g->n;
    J->ndet = g->ndet;
    J->nang = g->nang;
    J->center = g->center;
    J->cx = J->cy = (double)(g->n / 2);
    for (size_t i = 0; i < na; i++) {
        J->cs[i] = cos(g->theta[i]);
        J->sn[i] = sin(g->theta[i]);
        J->a[i] = fmax(fabs(J->cs[i]), fabs(J->sn[i]));
        J->steep[i] = fabs(J->sn[i]) >= fabs(J->cs[i]);
        J->ia[i] = (float)(1.0 / J->a[i]);
        op->block_start[i] = i * (size_t)g->ndet;
    }
    op->block_start[na] = na * (size_t)g->ndet;
    op->ncols = (size_t)g->n * g->n;
    op->nrows = na * (size_t)g->ndet;
    op->nblocks = g->nang;
    op->forward = joseph_forward;
    op->adjoint = joseph_adjoint;
    op->forward_rows = joseph_forward_rows;
    op->adjoint_rows_add = joseph_adjoint_rows_add;
    op->row_norms2 = joseph_row_norms2;
    op->ctx = J;
    op->ctx_free = joseph_free;
    *out = op;
    return 0;
}

void ts_xct_op_destroy(ts_xct_op *op)
{
    if (!op) return;
    if (op->ctx_free) op->ctx_free(op->ctx);
    free(op->block_start);
    free(op);
}
