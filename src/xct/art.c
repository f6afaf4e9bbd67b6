/* ART (Kaczmarz; Gordon, Bender & Herman, J. Theor. Biol. 29 (1970) 471):
 * for each ray i, x <- x + relax (b_i - a_i . x) / |a_i|^2 a_i. Rays are
 * visited angle by angle in golden-ratio order (Kohler 2004); the box
 * constraint is applied after each angle. One iteration = one sweep over all
 * rays; stopping rules as SIRT, checked after each sweep. */
#include <math.h>
#include <stdlib.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

int ts_xct_art(const ts_xct_op *op, const ts_xct_params *p, const float *b, float *x,
               ts_xct_info *info)
{
    if (!op->row_norms2 || !op->forward_rows || !op->adjoint_rows_add)
        return ts_error_set(TS_ERR_UNSUPPORTED, "art: the operator has no row access");
    size_t N = op->ncols, M = op->nrows;
    double *rn = malloc(M * sizeof *rn);
    float *r = malloc(M * sizeof *r);
    int *order = malloc((size_t)op->nblocks * sizeof *order);
    int rc = 0;
    if (!rn || !r || !order) {
        rc = ts_error_set(TS_ERR_NOMEM, "art: out of memory");
        goto done;
    }
    if ((rc = op->row_norms2(op, rn))) goto done;
    xct_golden_order(op->nblocks, order);
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
        for (int o = 0; o < op->nblocks; o++) {
            int k = order[o];
            for (size_t i = op->block_start[k]; i < op->block_start[k + 1]; i++) {
                if (rn[i] <= 0) continue;
                float ax;
                if ((rc = op->forward_rows(op, i, i + 1, x, &ax))) goto done;
                float c = (float)(p->relax * (b[i] - ax) / rn[i]);
                if ((rc = op->adjoint_rows_add(op, i, i + 1, &c, x))) goto done;
            }
            xct_box(x, N, p->lo, p->hi);
        }
        it++;
        if (p->progress) ts_progress_update(p->progress, it, NULL);
    }
    if (info) {
        info->iters = it;
        info->residual = res;
        info->stopped_by = why;
    }
done:
    free(rn);
    free(r);
    free(order);
    return rc;
}
