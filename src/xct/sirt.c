/* SIRT: x <- P_box[ x + relax C A^T R (b - A x) ], R = diag(1/row sums),
 * C = diag(1/column sums) (notes/xct.md; Gregor & Benson, IEEE TMI 27 (2008)
 * 918, eq. 3; the form used by ASTRA and TomoPy). Rows/columns with zero sum
 * are left out (weight 0). Stops after p->iters, when the relative residual
 * ||b - Ax||/||b|| <= tol, or when it decreases by less than `stall`
 * (relative) in one iteration. */
#include <math.h>
#include <stdlib.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

int ts_xct_sirt(const ts_xct_op *op, const ts_xct_params *p, const float *b, float *x,
                ts_xct_info *info)
{
    size_t N = op->ncols, M = op->nrows;
    float *R = malloc(M * sizeof *R), *C = malloc(N * sizeof *C);
    float *r = malloc(M * sizeof *r), *u = malloc(N * sizeof *u);
    int rc = 0;
    if (!R || !C || !r || !u) {
        rc = ts_error_set(TS_ERR_NOMEM, "sirt: out of memory");
        goto done;
    }
    for (size_t j = 0; j < N; j++) u[j] = 1.0f;
    if ((rc = op->forward(op, u, R))) goto done;
    for (size_t i = 0; i < M; i++) r[i] = 1.0f;
    if ((rc = op->adjoint(op, r, C))) goto done;
    for (size_t i = 0; i < M; i++) R[i] = R[i] > 0 ? 1.0f / R[i] : 0.0f;
    for (size_t j = 0; j < N; j++) C[j] = C[j] > 0 ? (float)(p->relax / C[j]) : 0.0f;
    double nb = xct_norm2(b, M);
    if (nb == 0) nb = 1;
    double prev = INFINITY, res = INFINITY;
    int it = 0, why = 0;
    for (;;) {
        if ((rc = op->forward(op, x, r))) goto done;
        for (size_t i = 0; i < M; i++) r[i] = b[i] - r[i];
        res = xct_norm2(r, M) / nb;
        if (p->tol > 0 && res <= p->tol) { why = 1; break; }
        if (p->stall > 0 && isfinite(prev) && prev - res < p->stall * prev) { why = 2; break; }
        if (it >= p->iters) break;
        prev = res;
        for (size_t i = 0; i < M; i++) r[i] *= R[i];
        if ((rc = op->adjoint(op, r, u))) goto done;
        for (size_t j = 0; j < N; j++) x[j] += C[j] * u[j];
        xct_box(x, N, p->lo, p->hi);
        it++;
        if (p->progress) ts_progress_update(p->progress, it, NULL);
    }
    if (info) {
        info->iters = it;
        info->residual = res;
        info->stopped_by = why;
    }
done:
    free(R);
    free(C);
    free(r);
    free(u);
    return rc;
}
