/* Shared parts of the reconstruction algorithms: parameters, helpers and the
 * slice-parallel driver ts_xct_reconstruct. Equations in each algorithm's file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

static const char *const algo_names[TS_XCT_ALGO_COUNT_] = {"fbp", "art", "sirt", "sart", "tv"};

const char *ts_xct_algo_name(ts_xct_algo a)
{
    return (a >= 0 && a < TS_XCT_ALGO_COUNT_) ? algo_names[a] : "?";
}

int ts_xct_algo_parse(const char *name, ts_xct_algo *out)
{
    for (int i = 0; i < TS_XCT_ALGO_COUNT_; i++)
        if (name && strcmp(name, algo_names[i]) == 0) {
            *out = (ts_xct_algo)i;
            return 0;
        }
    return ts_error_set(TS_ERR_INVAL, "unknown algorithm '%s' (expected fbp, art, sirt, sart "
                        "or tv)", name ? name : "(null)");
}

void ts_xct_params_default(ts_xct_params *p)
{
    memset(p, 0, sizeof *p);
    p->algo = TS_XCT_FBP;
    p->filter = TS_XCT_FILTER_RAMLAK;
    p->pad = 1;
    p->iters = 50;
    p->relax = 1.0;
    p->lo = 0.0;
    p->hi = INFINITY;
    p->tol = 0.0;
    p->stall = 1e-5;
    p->tv_weight = 0.01;
    p->tv_inner = 20;
    p->progress = NULL;
}

void xct_box(float *x, size_t n, double lo, double hi)
{
    float l = (float)lo, h = (float)hi;
    if (isfinite(lo))
        for (size_t i = 0; i < n; i++)
            if (x[i] < l) x[i] = l;
    if (isfinite(hi))
        for (size_t i = 0; i < n; i++)
            if (x[i] > h) x[i] = h;
}

double xct_norm2(const float *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* Golden-ratio ordering (Kohler 2004, as scikit-image's iradon_sart): the
 * next block is the one closest to the previous position + m/phi (mod m),
 * among those not used yet. */
void xct_golden_order(int m, int *order)
{
    const double step = m * 0.6180339887498949;
    char *used = calloc((size_t)m, 1);
    if (!used) { /* fall back to the natural order */
        for (int i = 0; i < m; i++) order[i] = i;
        return;
    }
    double pos = 0;
    for (int i = 0; i < m; i++) {
        int best = -1;
        double bd = 1e300;
        for (int j = 0; j < m; j++) {
            if (used[j]) continue;
            double d = fabs(j - pos);
            d = fmin(d, m - d);
            if (d < bd) {
                bd = d;
                best = j;
            }
        }
        order[i] = best;
        used[best] = 1;
        pos = fmod(best + step, (double)m);
    }
    free(used);
}

int ts_xct_op_norm2(const ts_xct_op *op, int iters, double *out)
{
    float *x = malloc(op->ncols * sizeof *x), *y = malloc(op->nrows * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return ts_error_set(TS_ERR_NOMEM, "op norm: out of memory");
    }
    for (size_t i = 0; i < op->ncols; i++) x[i] = 1.0f + 0.1f * (float)((i * 7919) % 13);
    double lam = 0;
    int rc = 0;
    for (int it = 0; it < iters && !rc; it++) {
        double nx = xct_norm2(x, op->ncols);
        if (nx == 0) break;
        for (size_t i = 0; i < op->ncols; i++) x[i] = (float)(x[i] / nx);
        rc = op->forward(op, x, y);
        if (!rc) rc = op->adjoint(op, y, x);
        if (!rc) lam = xct_norm2(x, op->ncols); /* ||A^T A v|| with |v| = 1 */
    }
    free(x);
    free(y);
    *out = lam;
    return rc;
}

static int check_params(const ts_xct_params *p)
{
    if (p->iters < 1) return ts_error_set(TS_ERR_INVAL, "iterations must be >= 1, got %d", p->iters);
    if (!(p->relax > 0 && p->relax < 2))
        return ts_error_set(TS_ERR_INVAL, "relaxation must be in (0, 2), got %g", p->relax);
    if (!(p->lo <= p->hi)) return ts_error_set(TS_ERR_INVAL, "box: lo %g > hi %g", p->lo, p->hi);
    if (p->algo == TS_XCT_TV && !(p->tv_weight >= 0 && p->tv_inner >= 1))
        return ts_error_set(TS_ERR_INVAL, "tv: weight %g must be >= 0 and inner iterations %d >= 1",
                            p->tv_weight, p->tv_inner);
    return 0;
}

int ts_xct_reconstruct(const ts_xct_geom *g, const ts_xct_params *p, int nslices,
                       const float *sino, float *vol, ts_progress *prog)
{
    TS_TRY(check_params(p));
    if (nslices < 1) return ts_error_set(TS_ERR_INVAL, "reconstruct: no slices");
    size_t ms = (size_t)g->nang * g->ndet, ns = (size_t)g->n * g->n;
    for (size_t i = 0; i < ms * (size_t)nslices; i++)
        if (!isfinite(sino[i]))
            return ts_error_set(TS_ERR_NUMERIC, "reconstruct: measurement %zu (slice %zu, angle "
                                "%zu, bin %zu) is not finite", i, i / ms, (i % ms) / g->ndet,
                                i % g->ndet);
    ts_xct_op *op = NULL;
    if (p->algo != TS_XCT_FBP) TS_TRY(ts_xct_op_joseph_create(g, &op));
    ts_xct_params ps = *p; /* per-iteration progress only for a single slice */
    ps.progress = nslices == 1 ? prog : NULL;
    p = &ps;
    int err = 0;
    int done = 0;
    /* one slice: kernels use all threads; many: one slice per thread */
#pragma omp parallel for schedule(dynamic, 1) if (nslices > 1)
    for (int s = 0; s < nslices; s++) {
        if (err || ts_interrupted()) continue;
        const float *b = sino + ms * s;
        float *x = vol + ns * s;
        int rc = 0;
        if (p->algo == TS_XCT_FBP) {
            rc = ts_xct_fbp(g, p->filter, p->pad, b, x);
        } else {
            memset(x, 0, ns * sizeof *x);
            xct_box(x, ns, p->lo, p->hi);
            switch (p->algo) {
            case TS_XCT_ART: rc = ts_xct_art(op, p, b, x, NULL); break;
            case TS_XCT_SIRT: rc = ts_xct_sirt(op, p, b, x, NULL); break;
            case TS_XCT_SART: rc = ts_xct_sart(op, p, b, x, NULL); break;
            case TS_XCT_TV: rc = ts_xct_tv_fista(op, g->n, p, b, x, NULL); break;
            default: rc = ts_error_set(TS_ERR_INVAL, "bad algorithm %d", (int)p->algo);
            }
        }
        if (rc) {
#pragma omp critical(ts_xct_recon_err)
            if (!err) {
                err = rc;
                ts_log_error("slice %d: %s", s, ts_error_message());
            }
        }
#pragma omp atomic
        done++;
        if (prog && nslices > 1) ts_progress_update(prog, done, NULL);
    }
    ts_xct_op_destroy(op);
    if (!err && ts_interrupted())
        return ts_error_set(TS_ERR_INTERRUPTED, "reconstruction interrupted");
    if (err)
        return ts_error_set(err, "reconstruction failed (first failing slice logged above)");
    return 0;
}
