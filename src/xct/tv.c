/* TV-regularised reconstruction:
 *   min_x 1/2 ||A x - b||^2 + w TV_iso(x)  subject to lo <= x <= hi,
 * by FISTA (Beck & Teboulle, SIAM J. Imaging Sci. 2 (2009) 183, Alg. FISTA
 * with constant step 1/L, L = 1.05 ||A||^2 from a power iteration) whose
 * proximal step is the constrained TV denoising problem solved by FGP
 * (Beck & Teboulle, IEEE TIP 18 (2009) 2419, Alg. FGP, eqs. 4.7-4.9),
 * TV_iso(x) = sum_ij sqrt((x_ij - x_i+1,j)^2 + (x_ij - x_i,j+1)^2) with the
 * differences across the last row/column taken as 0.
 * The FGP dual variables are warm-started from the previous FISTA step.
 * Stopping: iters, or ||x_k+1 - x_k|| <= stall ||x_k+1|| (the residual is
 * not monotone under FISTA, so the iterate change is used). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

/* L(p, q): p [(n-1) x n] vertical, q [n x (n-1)] horizontal duals -> out [n x n]
 * L(p,q)_ij = p_ij + q_ij - p_i-1,j - q_i,j-1 (terms outside the arrays are 0). */
static void lin_L(int n, const float *p, const float *q, float *out)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = 0;
            if (i < n - 1) v += p[(size_t)i * n + j];
            if (i > 0) v -= p[(size_t)(i - 1) * n + j];
            if (j < n - 1) v += q[(size_t)i * (n - 1) + j];
            if (j > 0) v -= q[(size_t)i * (n - 1) + j - 1];
            out[(size_t)i * n + j] = (float)v;
        }
}

typedef struct {
    int n;
    float *p, *q, *pold, *qold, *r, *s, *tmp;
} fgp_ws;

static void fgp_free(fgp_ws *W)
{
    free(W->p);
    memset(W, 0, sizeof *W);
}

static int fgp_alloc(fgp_ws *W, int n)
{
    size_t d = (size_t)(n - 1) * n, nn = (size_t)n * n;
    W->n = n;
    W->p = calloc(6 * d + nn, sizeof(float));
    if (!W->p) return ts_error_set(TS_ERR_NOMEM, "tv: out of memory");
    W->q = W->p + d;
    W->pold = W->q + d;
    W->qold = W->pold + d;
    W->r = W->qold + d;
    W->s = W->r + d;
    W->tmp = W->s + d;
    return 0;
}

static void proj_box(float *x, size_t nn, double lo, double hi) { xct_box(x, nn, lo, hi); }

/* FGP iterations from the current duals (W->p, W->q); u = P_C[f - w L(p,q)]. */
static void fgp_run(fgp_ws *W, const float *f, double w, double lo, double hi, int iters,
                    float *u)
{
    int n = W->n;
    size_t d = (size_t)(n - 1) * n, nn = (size_t)n * n;
    if (w <= 0) {
        memcpy(u, f, nn * sizeof *u);
        proj_box(u, nn, lo, hi);
        return;
    }
    memcpy(W->r, W->p, d * sizeof(float));
    memcpy(W->s, W->q, d * sizeof(float));
    double t = 1.0;
    const double step = 1.0 / (8.0 * w);
    for (int k = 0; k < iters; k++) {
        /* tmp = P_C[f - w L(r, s)] */
        lin_L(n, W->r, W->s, W->tmp);
        for (size_t i = 0; i < nn; i++) W->tmp[i] = f[i] - (float)w * W->tmp[i];
        proj_box(W->tmp, nn, lo, hi);
        memcpy(W->pold, W->p, d * sizeof(float));
        memcpy(W->qold, W->q, d * sizeof(float));
        /* (p, q) = (r, s) + step L^T(tmp);  L^T(x) = (x_ij - x_i+1,j, x_ij - x_i,j+1) */
        for (int i = 0; i < n - 1; i++)
            for (int j = 0; j < n; j++) {
                size_t a = (size_t)i * n + j;
                W->p[a] = W->r[a] + (float)(step * (W->tmp[a] - W->tmp[a + n]));
            }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n - 1; j++) {
                size_t a = (size_t)i * (n - 1) + j, b = (size_t)i * n + j;
                W->q[a] = W->s[a] + (float)(step * (W->tmp[b] - W->tmp[b + 1]));
            }
        /* isotropic projection onto {p^2 + q^2 <= 1} per pixel */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double pv = i < n - 1 ? W->p[(size_t)i * n + j] : 0.0;
                double qv = j < n - 1 ? W->q[(size_t)i * (n - 1) + j] : 0.0;
                double m = sqrt(pv * pv + qv * qv);
                if (m > 1.0) {
                    if (i < n - 1) W->p[(size_t)i * n + j] = (float)(pv / m);
                    if (j < n - 1) W->q[(size_t)i * (n - 1) + j] = (float)(qv / m);
                }
            }
        double tn = 0.5 * (1.0 + sqrt(1.0 + 4.0 * t * t));
        float beta = (float)((t - 1.0) / tn);
        for (size_t i = 0; i < d; i++) {
            W->r[i] = W->p[i] + beta * (W->p[i] - W->pold[i]);
            W->s[i] = W->q[i] + beta * (W->q[i] - W->qold[i]);
        }
        t = tn;
    }
    lin_L(n, W->p, W->q, u);
    for (size_t i = 0; i < nn; i++) u[i] = f[i] - (float)w * u[i];
    proj_box(u, nn, lo, hi);
}

int ts_xct_tv_prox(int n, const float *f, double w, double lo, double hi, int iters, float *u)
{
    if (n < 2 || iters < 1 || !(w >= 0))
        return ts_error_set(TS_ERR_INVAL, "tv prox: need n >= 2, iters >= 1, w >= 0 (got %d, %d, %g)",
                            n, iters, w);
    fgp_ws W;
    TS_TRY(fgp_alloc(&W, n));
    fgp_run(&W, f, w, lo, hi, iters, u);
    fgp_free(&W);
    return 0;
}

int ts_xct_tv_fista(const ts_xct_op *op, int n, const ts_xct_params *p, const float *b,
                    float *x, ts_xct_info *info)
{
    size_t N = op->ncols, M = op->nrows;
    if ((size_t)n * n != N)
        return ts_error_set(TS_ERR_INVAL, "tv: image %d x %d does not match %zu unknowns", n, n, N);
    double L;
    TS_TRY(ts_xct_op_norm2(op, 30, &L));
    if (!(L > 0)) return ts_error_set(TS_ERR_SINGULAR, "tv: operator norm is zero");
    L *= 1.05; /* power iteration underestimates */
    fgp_ws W = {0};
    float *y = malloc(N * sizeof *y), *xo = malloc(N * sizeof *xo), *g = malloc(N * sizeof *g);
    float *r = malloc(M * sizeof *r);
    int rc = 0;
    if (!y || !xo || !g || !r) {
        rc = ts_error_set(TS_ERR_NOMEM, "tv: out of memory");
        goto done;
    }
    if ((rc = fgp_alloc(&W, n))) goto done;
    memcpy(y, x, N * sizeof *y);
    double t = 1.0;
    int it = 0, why = 0;
    for (it = 0; it < p->iters; it++) {
        /* gradient step at y */
        if ((rc = op->forward(op, y, r))) goto done;
        for (size_t i = 0; i < M; i++) r[i] -= b[i];
        if ((rc = op->adjoint(op, r, g))) goto done;
        for (size_t j = 0; j < N; j++) g[j] = y[j] - (float)(g[j] / L);
        memcpy(xo, x, N * sizeof *x);
        fgp_run(&W, g, p->tv_weight / L, p->lo, p->hi, p->tv_inner, x);
        double tn = 0.5 * (1.0 + sqrt(1.0 + 4.0 * t * t));
        float beta = (float)((t - 1.0) / tn);
        double dx = 0, nx = 0;
        for (size_t j = 0; j < N; j++) {
            double dj = x[j] - xo[j];
            dx += dj * dj;
            nx += (double)x[j] * x[j];
            y[j] = x[j] + beta * (x[j] - xo[j]);
        }
        t = tn;
        if (p->progress) ts_progress_update(p->progress, it + 1, NULL);
        if (p->stall > 0 && nx > 0 && sqrt(dx) <= p->stall * sqrt(nx)) {
            it++;
            why = 2;
            break;
        }
    }
    if (info) {
        if ((rc = op->forward(op, x, r))) goto done;
        for (size_t i = 0; i < M; i++) r[i] = b[i] - r[i];
        double nb = xct_norm2(b, M);
        info->iters = it;
        info->residual = xct_norm2(r, M) / (nb > 0 ? nb : 1);
        info->stopped_by = why;
    }
done:
    fgp_free(&W);
    free(y);
    free(xo);
    free(g);
    free(r);
    return rc;
}
