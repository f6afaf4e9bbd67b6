/* Variable projection for the BPINN MAP (Golub & Pereyra, SIAM J. Numer.
 * Anal. 10 (1973) 413): with the hidden layers fixed, the scaled stress
 * jumps of eq. (11) are affine in the output-layer weights (W3, b3) of all
 * junction networks, r = r_cur + A δ, so the output-layer part of the MAP
 * (Gaussian likelihood sd s_n, prior sd s_p) is a ridge least-squares
 * problem solved exactly:
 *   (AᵀA + λ I) δ = -(Aᵀ r_cur + λ w),   λ = s_n² / s_p²,
 * by a sparse Cholesky factorisation (CHOLMOD). A is sparse because of the
 * tree: an output weight of junction q moves the flux of one arm and, by
 * the built-in conservation, of q's last arm; that changes the stresses at
 * both ends of those two segments (pulse responses of the closed forms), so
 * only the jumps at q and at the junctions at the far ends of the two
 * segments. The gradient methods (Adam, BFGS) converge slowly here because
 * the flux -> stress map is an Abel-type integral operator; the exact solve
 * of the linear part removes most of that ill-conditioning. */
#include <cholmod.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bpinn_priv.h"
#include "tinsel/core.h"

static double arm_sign(const struct ts_em_bpinn *b, int e)
{
    return b->tree->width[e / 2] * (e % 2 ? 1.0 : -1.0);
}

int bp_output_lsq(const struct ts_em_bpinn *b, bp_work *w, double *theta)
{
    int H = b->H, K = b->K, D = w->D, KD = w->KD, nj = b->nj, ns = b->tree->nwire;
    int *endq = malloc((size_t)2 * ns * sizeof(int)), *endk = malloc((size_t)2 * ns * sizeof(int));
    int *jr = malloc(((size_t)nj + 1) * sizeof(int)), *cq = malloc(((size_t)nj + 1) * sizeof(int));
    double *ds = malloc((size_t)KD * sizeof(double)), *f = malloc((size_t)KD * sizeof(double));
    if (!endq || !endk || !jr || !cq || !ds || !f) {
        free(endq);
        free(endk);
        free(jr);
        free(cq);
        free(ds);
        free(f);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (int e = 0; e < 2 * ns; e++)
        endq[e] = endk[e] = -1;
    jr[0] = cq[0] = 0;
    for (int q = 0; q < nj; q++) {
        for (int k = 0; k < b->jd[q]; k++)
            endq[b->jends[4 * q + k]] = q, endk[b->jends[4 * q + k]] = k;
        jr[q + 1] = jr[q] + (b->jd[q] - 1) * KD;
        cq[q + 1] = cq[q] + (b->jd[q] - 1) * (H + 1);
    }
    int nrow = jr[nj], ncol = cq[nj];
    /* current jumps (and cached activations h2) at theta */
    bp_eval(b, w, theta, NULL);
    cholmod_common cm;
    cholmod_start(&cm);
    size_t cap = (size_t)ncol * 8 * KD + 1;
    cholmod_triplet *T = cholmod_allocate_triplet((size_t)nrow, (size_t)ncol, cap, 0, CHOLMOD_REAL, &cm);
    cholmod_dense *rc_ = cholmod_allocate_dense((size_t)nrow, 1, (size_t)nrow, CHOLMOD_REAL, &cm);
    cholmod_dense *rhs = cholmod_allocate_dense((size_t)ncol, 1, (size_t)ncol, CHOLMOD_REAL, &cm);
    int rc =
        (!T || !rc_ || !rhs)
            ? ts_error_set(TS_ERR_NOMEM, "out of memory for the output-layer system (%d x %d)", nrow, ncol)
            : 0;
    for (int q = 0; q < nj && !rc; q++) {
        const int *E = b->jends + 4 * q;
        double *rv = (double *)rc_->x;
        for (int k = 1; k < b->jd[q]; k++)
            for (int r = 0; r < KD; r++)
                rv[jr[q] + (k - 1) * KD + r] =
                    KSIG * (w->sig[(size_t)E[k] * KD + r] - w->sig[(size_t)E[k - 1] * KD + r]);
    }
    int *Ti = T ? T->i : NULL, *Tj = T ? T->j : NULL;
    double *Tx = T ? T->x : NULL;
    size_t nz = 0;
    for (int q = 0; q < nj && !rc; q++) {
        int dq = b->jd[q], o = dq - 1, last = b->jends[4 * q + dq - 1];
        double cl = arm_sign(b, last);
        const double *h2 = w->h2 + (size_t)q * KD * H;
        for (int a = 0; a < o; a++)
            for (int k = 0; k <= H; k++) {
                int col = cq[q] + a * (H + 1) + k;
                for (int r = 0; r < KD; r++)
                    f[r] = k < H ? h2[(size_t)r * H + k] : 1.0;
                int ends[2] = {b->jends[4 * q + a], last};
                double coef[2] = {b->Gs, -arm_sign(b, ends[0]) / cl * b->Gs};
                for (int m = 0; m < 2; m++) {
                    int s = ends[m] / 2, be = ends[m] % 2;
                    for (int ae = 0; ae < 2; ae++) {
                        int e2 = 2 * s + ae, q2 = endq[e2], p = endk[e2];
                        const double *Rd = ts_em_jmodel_pulse(b->jm, s, ae, be);
                        if (!Rd || q2 < 0) continue;
                        for (int n = 0; n < K; n++)
                            for (int d = 0; d < D; d++) {
                                double acc = 0;
                                for (int kk = 0; kk <= n; kk++)
                                    acc += Rd[n - kk] * f[kk * D + d];
                                ds[n * D + d] = KSIG * coef[m] * acc;
                            }
                        for (int side = 0; side < 2; side++) {
                            int jk =
                                side ? p + 1 : p; /* jump index in q2: p (σ_p enters +), p+1 (σ_p enters -) */
                            if (jk < 1 || jk > b->jd[q2] - 1) continue;
                            double sg = side ? -1.0 : 1.0;
                            for (int r = 0; r < KD; r++) {
                                Ti[nz] = jr[q2] + (jk - 1) * KD + r;
                                Tj[nz] = col;
                                Tx[nz++] = sg * ds[r];
                            }
                        }
                    }
                }
            }
    }
    if (!rc) T->nnz = nz;
    cholmod_sparse *A = rc ? NULL : cholmod_triplet_to_sparse(T, nz, &cm);
    cholmod_free_triplet(&T, &cm);
    cholmod_sparse *At = A ? cholmod_transpose(A, 1, &cm) : NULL;
    cholmod_free_sparse(&A, &cm);
    cholmod_sparse *N0 = At ? cholmod_aat(At, NULL, 0, 1, &cm) : NULL;
    double lam = b->noise_sd * b->noise_sd / (b->prior_sd * b->prior_sd);
    cholmod_sparse *I = N0 ? cholmod_speye((size_t)ncol, (size_t)ncol, CHOLMOD_REAL, &cm) : NULL;
    double one[2] = {1, 0}, l2[2] = {lam, 0}, zero[2] = {0, 0}, mone[2] = {-1, 0};
    cholmod_sparse *N1 = I ? cholmod_add(N0, I, one, l2, 1, 1, &cm) : NULL;
    cholmod_free_sparse(&N0, &cm);
    cholmod_free_sparse(&I, &cm);
    cholmod_sparse *N = N1 ? cholmod_copy(N1, 1, 1, &cm) : NULL; /* symmetric, upper part */
    cholmod_free_sparse(&N1, &cm);
    if (!rc && !N)
        rc = ts_error_set(TS_ERR_NOMEM, "CHOLMOD could not form the output-layer normal matrix (status %d)",
                          cm.status);
    /* rhs = -(Aᵀ r_cur + λ w) */
    if (!rc) {
        cholmod_sdmult(At, 0, mone, zero, rc_, rhs, &cm);
        double *x = rhs->x;
        for (int q = 0; q < nj; q++) {
            int o = b->jd[q] - 1;
            const double *W3 = theta + b->joff[q] + b->nin[q] * H + H + H * H + H;
            for (int a = 0; a < o; a++)
                for (int k = 0; k <= H; k++)
                    x[cq[q] + a * (H + 1) + k] -= lam * (k < H ? W3[a * H + k] : W3[o * H + a]);
        }
    }
    cholmod_factor *L = rc ? NULL : cholmod_analyze(N, &cm);
    if (!rc && (!L || !cholmod_factorize(N, L, &cm) || cm.status != CHOLMOD_OK))
        rc = ts_error_set(TS_ERR_NUMERIC,
                          "output-layer normal matrix not positive definite (CHOLMOD status %d)", cm.status);
    cholmod_dense *dx = rc ? NULL : cholmod_solve(CHOLMOD_A, L, rhs, &cm);
    if (!rc && !dx) rc = ts_error_set(TS_ERR_NUMERIC, "CHOLMOD solve failed (status %d)", cm.status);
    if (!rc) {
        const double *x = dx->x;
        for (int q = 0; q < nj; q++) {
            int o = b->jd[q] - 1;
            double *W3 = theta + b->joff[q] + b->nin[q] * H + H + H * H + H;
            for (int a = 0; a < o; a++)
                for (int k = 0; k <= H; k++) {
                    double v = x[cq[q] + a * (H + 1) + k];
                    if (k < H)
                        W3[a * H + k] += v;
                    else
                        W3[o * H + a] += v;
                }
        }
    }
    cholmod_free_dense(&dx, &cm);
    cholmod_free_factor(&L, &cm);
    cholmod_free_sparse(&N, &cm);
    cholmod_free_sparse(&At, &cm);
    cholmod_free_dense(&rc_, &cm);
    cholmod_free_dense(&rhs, &cm);
    cholmod_finish(&cm);
    free(endq);
    free(endk);
    free(jr);
    free(cq);
    free(ds);
    free(f);
    return rc;
}
