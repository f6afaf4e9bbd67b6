/* SART (Andersen & Kak, Ultrason. Imaging 6 (1984) 81, eq. 14): for each
 * angle block B (golden-ratio order, Kohler 2004),
 *   x <- P_box[ x + relax C_B A_B^T R_B (b_B - A_B x) ],
 * R_B = 1/(row sums of A_B), C_B = 1/(column sums of A_B). One iteration is a
 * sweep over all blocks; stopping rules as SIRT, checked after each sweep.
 * The block column sums are computed once and kept when they fit in 256 MB,
 * else recomputed per block. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

int ts_xct_sart(const ts_xct_op *op, const ts_xct_params *p, const float *b, float *x,
                ts_xct_info *info)
{
    size_t N = op->ncols, M = op->nrows;
    int nb_ = op->nblocks;
    size_t maxb = 0;
    for (int k = 0; k < nb_; k++) {
        size_t len = op->block_start[k + 1] - op->block_start[k];
        if (len > maxb) maxb = len;
    }
    float *rs = malloc(M * sizeof *rs), *r = malloc(M * sizeof *r);
    float *u = malloc(N * sizeof *u), *cb = malloc(N * sizeof *cb);
    float *ones = malloc(maxb * sizeof *ones);
    int *order = malloc((size_t)nb_ * sizeof *order);
    float *cball = NULL; /* [nblocks][N] cached column sums, if small enough */
    if ((double)nb_ * N * sizeof(float) <= 256.0 * 1024 * 1024)
        cball = malloc((size_t)nb_ * N * sizeof *cball);
    int rc = 0;
    if (!rs || !r || !u || !cb || !ones || !order) {
        rc = ts_error_set(TS_ERR_NOMEM, "sart: out of memory");
        goto done;
    }
    for (size_t j = 0; j < N; j++) u[j] = 1.0f;
    if ((rc = op->forward(op, u, rs))) goto done;
    for (size_t i = 0; i < M; i++) rs[i] = rs[i] > 0 ? 1.0f / rs[i] : 0.0f;
    for (size_t i = 0; i < maxb; i++) ones[i] = 1.0f;
    xct_golden_order(nb_, order);
    if (cball)
        for (int k = 0; k < nb_ && !rc; k++) {
            float *c = cball + (size_t)k * N;
            memset(c, 0, N * sizeof *c);
            rc = op->adjoint_rows_add(op, op->block_start[k], op->block_start[k + 1], ones, c);
        }
    if (rc) goto done;
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
        for (int o = 0; o < nb_; o++) {
            int k = order[o];
            size_t r0 = op->block_start[k], r1 = op->block_start[k + 1];
            if ((rc = op->forward_rows(op, r0, r1, x, r + r0))) goto done;
            for (size_t i = r0; i < r1; i++) r[i] = (b[i] - r[i]) * rs[i];
            const float *cbk = cb;
            if (cball) {
                cbk = cball + (size_t)k * N;
            } else {
                memset(cb, 0, N * sizeof *cb);
                if ((rc = op->adjoint_rows_add(op, r0, r1, ones, cb))) goto done;
            }
            memset(u, 0, N * sizeof *u);
            if ((rc = op->adjoint_rows_add(op, r0, r1, r + r0, u))) goto done;
            for (size_t j = 0; j < N; j++)
                if (cbk[j] > 0) x[j] += (float)(p->relax * u[j] / cbk[j]);
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
    free(rs);
    free(r);
    free(u);
    free(cb);
    free(ones);
    free(order);
    free(cball);
    return rc;
}
