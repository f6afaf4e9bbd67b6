/* Energy minimisation:
 *  - FIRE (Bitzek et al., PRL 97 (2006) 170201) with the standard parameters
 *    (N_min 5, f_inc 1.1, f_dec 0.5, alpha 0.1, f_alpha 0.99), velocity
 *    Verlet with unit masses, max step 0.1 Å;
 *  - conjugate gradient (Polak-Ribiere+, restart on loss of descent) with a
 *    backtracking Armijo line search on the energy; where the energy change
 *    drops below its rounding level (1e-11 relative) the step comes from the
 *    zero of the directional derivative F.d (secant), so that the forces and
 *    the stress can be driven far below what energy differences resolve.
 * Stopping rule: max |F| < ftol and, with the box, every stress component
 * below ptol (bar).
 * Box relaxation (FIRE and CG): the cell h = h0 D with D lower-triangular (keeps
 * the LAMMPS orientation: a along x, b in the xy plane); atoms move with the
 * cell, x = x_ref D. dE/dD = -D^{-T}(W - P V I) where W = sum r (x) f is the
 * virial (eV) (cf. ASE UnitCellFilter); the cell degrees of freedom are
 * scaled by N so their forces compare with atomic forces. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

static double fmax_of(const ts_md_system *s)
{
    double m = 0;
    for (int i = 0; i < s->n; i++) {
        const double *f = s->f + 3 * i;
        double a = f[0] * f[0] + f[1] * f[1] + f[2] * f[2];
        if (a > m) m = a;
    }
    return sqrt(m);
}

/* 3x3 helpers, row-major */
static void mat_mul(const double *a, const double *b, double *c)
{
    double t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    memcpy(c, t, sizeof t);
}

static int mat_inv(const double *h, double *inv)
{
    double det = h[0] * (h[4] * h[8] - h[5] * h[7]) - h[1] * (h[3] * h[8] - h[5] * h[6]) +
                 h[2] * (h[3] * h[7] - h[4] * h[6]);
    if (fabs(det) < 1e-300) return -1;
    inv[0] = (h[4] * h[8] - h[5] * h[7]) / det;
    inv[1] = (h[2] * h[7] - h[1] * h[8]) / det;
    inv[2] = (h[1] * h[5] - h[2] * h[4]) / det;
    inv[3] = (h[5] * h[6] - h[3] * h[8]) / det;
    inv[4] = (h[0] * h[8] - h[2] * h[6]) / det;
    inv[5] = (h[2] * h[3] - h[0] * h[5]) / det;
    inv[6] = (h[3] * h[7] - h[4] * h[6]) / det;
    inv[7] = (h[1] * h[6] - h[0] * h[7]) / det;
    inv[8] = (h[0] * h[4] - h[1] * h[3]) / det;
    return 0;
}

/* lower-triangular cell dof: D00 D11 D22 D10 D20 D21 */
static const int cell_idx[6] = {0, 4, 8, 3, 6, 7};

static int fire(const ts_md_min_params *prm, ts_md_calc *c, ts_md_system *s, ts_md_result *res, long *iters)
{
    int n = s->n, box = prm->relax_box, nd = 3 * n + (box ? 6 : 0);
    double *X = calloc((size_t)nd, sizeof *X), *V = calloc((size_t)nd, sizeof *V),
           *F = calloc((size_t)nd, sizeof *F), *xref = malloc((size_t)3 * n * sizeof *xref);
    if (!X || !V || !F || !xref) {
        free(X);
        free(V);
        free(F);
        free(xref);
        return ts_error_set(TS_ERR_NOMEM, "out of memory (FIRE)");
    }
    double h0[9], D[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, Dinv[9], cf = n > 0 ? n : 1;
    memcpy(h0, s->cell, sizeof h0);
    memcpy(xref, s->x, (size_t)3 * n * sizeof *xref);
    for (int k = 0; k < 3 * n; k++)
        X[k] = xref[k];
    if (box)
        for (int q = 0; q < 6; q++)
            X[3 * n + q] = cf * D[cell_idx[q]];
    double dt = 0.02, dtmax = 0.2, alpha = 0.1, pext = 0.0;
    int npos = 0, rc = 0;
    long it;
    for (it = 0; it < prm->maxiter; it++) {
        /* state from X */
        if (box) {
            for (int q = 0; q < 6; q++)
                D[cell_idx[q]] = X[3 * n + q] / cf;
            mat_mul(h0, D, s->cell);
            for (int i = 0; i < n; i++) {
                const double *r = X + 3 * i;
                for (int d = 0; d < 3; d++)
                    s->x[3 * i + d] = r[0] * D[d] + r[1] * D[3 + d] + r[2] * D[6 + d];
            }
        } else {
            memcpy(s->x, X, (size_t)3 * n * sizeof *X);
        }
        if ((rc = ts_md_calc_compute(c, s, res, NULL))) break;
        /* calc_compute may wrap atoms into the cell: keep X consistent */
        if (box) {
            if (mat_inv(D, Dinv)) {
                rc = ts_error_set(TS_ERR_NUMERIC, "FIRE: singular cell");
                break;
            }
            for (int i = 0; i < n; i++)
                for (int d = 0; d < 3; d++)
                    X[3 * i + d] =
                        s->x[3 * i] * Dinv[d] + s->x[3 * i + 1] * Dinv[3 + d] + s->x[3 * i + 2] * Dinv[6 + d];
            /* atom forces in the reference frame: f_ref = f D^T */
            for (int i = 0; i < n; i++)
                for (int d = 0; d < 3; d++)
                    F[3 * i + d] = s->f[3 * i] * D[3 * d] + s->f[3 * i + 1] * D[3 * d + 1] +
                                   s->f[3 * i + 2] * D[3 * d + 2];
            double W[9] = {res->virial[0], res->virial[3], res->virial[4], res->virial[3], res->virial[1],
                           res->virial[5], res->virial[4], res->virial[5], res->virial[2]};
            double vol = ts_md_system_volume(s);
            for (int d = 0; d < 3; d++)
                W[4 * d] -= pext * vol;
            double DinvT[9] = {Dinv[0], Dinv[3], Dinv[6], Dinv[1], Dinv[4],
                               Dinv[7], Dinv[2], Dinv[5], Dinv[8]};
            double G[9];
            mat_mul(DinvT, W, G);
            for (int q = 0; q < 6; q++)
                F[3 * n + q] = G[cell_idx[q]] / cf;
        } else {
            memcpy(X, s->x, (size_t)3 * n * sizeof *X);
            memcpy(F, s->f, (size_t)3 * n * sizeof *F);
        }
        double fm = fmax_of(s);
        int conv = fm < prm->ftol;
        if (box) {
            double smax = 0;
            for (int m = 0; m < 6; m++)
                smax = fmax(smax, fabs(res->stress[m]));
            conv = conv && smax < prm->ptol;
        }
        if (conv) break;
        /* FIRE */
        double P = 0, vn = 0, fn = 0;
        for (int k = 0; k < nd; k++) {
            P += F[k] * V[k];
            vn += V[k] * V[k];
            fn += F[k] * F[k];
        }
        vn = sqrt(vn);
        fn = sqrt(fn);
        if (P > 0) {
            for (int k = 0; k < nd; k++)
                V[k] = (1 - alpha) * V[k] + alpha * vn * F[k] / (fn > 0 ? fn : 1);
            if (++npos > 5) {
                dt = fmin(dt * 1.1, dtmax);
                alpha *= 0.99;
            }
        } else {
            npos = 0;
            dt *= 0.5;
            alpha = 0.1;
            memset(V, 0, (size_t)nd * sizeof *V);
        }
        for (int k = 0; k < nd; k++)
            V[k] += dt * F[k];
        double vmax = 0;
        for (int k = 0; k < nd; k++)
            vmax = fmax(vmax, fabs(V[k] * dt));
        double sc = vmax > 0.1 ? 0.1 / vmax : 1.0;
        for (int k = 0; k < nd; k++)
            X[k] += sc * dt * V[k];
    }
    if (!rc && !box) memcpy(s->x, X, (size_t)3 * n * sizeof *X);
    if (iters) *iters = it;
    free(X);
    free(V);
    free(F);
    free(xref);
    if (rc) return rc;
    if (it >= prm->maxiter)
        return ts_error_set(TS_ERR_CONVERGE, "FIRE: not converged in %ld iterations (max |F| = %g eV/Å)",
                            prm->maxiter, fmax_of(s));
    return 0;
}

/* Generalised coordinates shared by CG: X = [x_ref (3n), cf * D (6, with
 * box)]; F = -dE/dX (same mapping as FIRE above). Evaluates E at X; may
 * rewrite X when the calculator wraps atoms into the cell. */
typedef struct {
    ts_md_calc *c;
    ts_md_system *s;
    ts_md_result *res;
    int box;
    double h0[9], cf;
} gen_ctx;

static int gen_eval(gen_ctx *g, double *X, double *F)
{
    ts_md_system *s = g->s;
    int n = s->n;
    double D[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, Dinv[9];
    if (g->box) {
        for (int q = 0; q < 6; q++)
            D[cell_idx[q]] = X[3 * n + q] / g->cf;
        mat_mul(g->h0, D, s->cell);
        for (int i = 0; i < n; i++)
            for (int d = 0; d < 3; d++)
                s->x[3 * i + d] = X[3 * i] * D[d] + X[3 * i + 1] * D[3 + d] + X[3 * i + 2] * D[6 + d];
    } else {
        memcpy(s->x, X, (size_t)3 * n * sizeof *X);
    }
    TS_TRY(ts_md_calc_compute(g->c, s, g->res, NULL));
    if (!g->box) {
        memcpy(X, s->x, (size_t)3 * n * sizeof *X);
        memcpy(F, s->f, (size_t)3 * n * sizeof *F);
        return 0;
    }
    if (mat_inv(D, Dinv)) return ts_error_set(TS_ERR_NUMERIC, "CG: singular cell");
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) {
            X[3 * i + d] =
                s->x[3 * i] * Dinv[d] + s->x[3 * i + 1] * Dinv[3 + d] + s->x[3 * i + 2] * Dinv[6 + d];
            F[3 * i + d] =
                s->f[3 * i] * D[3 * d] + s->f[3 * i + 1] * D[3 * d + 1] + s->f[3 * i + 2] * D[3 * d + 2];
        }
    const double *v = g->res->virial;
    double W[9] = {v[0], v[3], v[4], v[3], v[1], v[5], v[4], v[5], v[2]};
    double DinvT[9] = {Dinv[0], Dinv[3], Dinv[6], Dinv[1], Dinv[4], Dinv[7], Dinv[2], Dinv[5], Dinv[8]};
    double G[9];
    mat_mul(DinvT, W, G);
    for (int q = 0; q < 6; q++)
        F[3 * n + q] = G[cell_idx[q]] / g->cf;
    return 0;
}

static int gen_converged(const ts_md_min_params *prm, const gen_ctx *g)
{
    if (fmax_of(g->s) >= prm->ftol) return 0;
    if (!g->box) return 1;
    for (int m = 0; m < 6; m++)
        if (fabs(g->res->stress[m]) >= prm->ptol) return 0;
    return 1;
}

static int cg(const ts_md_min_params *prm, ts_md_calc *c, ts_md_system *s, ts_md_result *res, long *iters)
{
    int n = s->n, box = prm->relax_box, nd = 3 * n + (box ? 6 : 0), rc = 0;
    gen_ctx g = {c, s, res, box, {0}, n > 0 ? n : 1};
    memcpy(g.h0, s->cell, sizeof g.h0);
    double *X = malloc((size_t)nd * sizeof *X), *F = malloc((size_t)nd * sizeof *F),
           *d = calloc((size_t)nd, sizeof *d), *g0 = malloc((size_t)nd * sizeof *g0),
           *x0 = malloc((size_t)nd * sizeof *x0);
    if (!X || !F || !d || !g0 || !x0) {
        free(X);
        free(F);
        free(d);
        free(g0);
        free(x0);
        return ts_error_set(TS_ERR_NOMEM, "out of memory (CG)");
    }
    memcpy(X, s->x, (size_t)3 * n * sizeof *X);
    if (box)
        for (int q = 0; q < 6; q++)
            X[3 * n + q] = (q < 3 ? 1.0 : 0.0) * g.cf;
    long it = 0;
    int converged = 0;
    if ((rc = gen_eval(&g, X, F))) goto out;
    memcpy(d, F, (size_t)nd * sizeof *d);
    double alpha = 0.01;
    for (it = 0; it < prm->maxiter; it++) {
        if (gen_converged(prm, &g)) {
            converged = 1;
            break;
        }
        double slope = 0, dmax = 0;
        for (int k = 0; k < nd; k++) {
            slope += d[k] * F[k];
            dmax = fmax(dmax, fabs(d[k]));
        }
        if (slope <= 0) { /* not a descent direction: restart along F */
            memcpy(d, F, (size_t)nd * sizeof *d);
            slope = 0;
            dmax = 0;
            for (int k = 0; k < nd; k++) {
                slope += d[k] * F[k];
                dmax = fmax(dmax, fabs(d[k]));
            }
        }
        if (dmax <= 0) break;
        double e0 = res->energy, a = fmin(alpha * 2.0, 0.2 / dmax);
        /* energy resolution: a change below enoise is rounding, not descent */
        double enoise = 1e-11 * fmax(1.0, fabs(e0));
        memcpy(x0, X, (size_t)nd * sizeof *x0);
        memcpy(g0, F, (size_t)nd * sizeof *g0);
        int ok = 0;
        for (int bt = 0; bt < 40; bt++) {
            for (int k = 0; k < nd; k++)
                X[k] = x0[k] + a * d[k];
            if ((rc = gen_eval(&g, X, F))) goto out;
            if (res->energy <= e0 - 1e-4 * a * slope) {
                ok = 1;
                break;
            }
            if (res->energy - e0 <= enoise) {
                /* Near the minimum the energy difference is lost in rounding
                 * (a 0.01 bar residual stress changes E by ~1e-13 eV), so the
                 * Armijo test cannot see the descent. Use the directional
                 * derivative instead (as LAMMPS's "quadratic" line search):
                 * s(t) = F(x0 + t d).d is linear near the minimum; step to its
                 * zero t* = a s0/(s0 - s1) (secant) when the curvature is
                 * positive, and accept it unless the energy rose measurably. */
                double s1 = 0;
                for (int k = 0; k < nd; k++)
                    s1 += F[k] * d[k];
                if (slope - s1 > 0) {
                    double ts = a * slope / (slope - s1);
                    for (int k = 0; k < nd; k++)
                        X[k] = x0[k] + ts * d[k];
                    if ((rc = gen_eval(&g, X, F))) goto out;
                    if (res->energy - e0 <= enoise) {
                        a = ts;
                        ok = 1;
                        break;
                    }
                }
            }
            a *= 0.5;
        }
        if (!ok) { /* no decrease possible at this precision: restore */
            memcpy(X, x0, (size_t)nd * sizeof *X);
            if ((rc = gen_eval(&g, X, F))) goto out;
            break;
        }
        alpha = a;
        if (prm->etol > 0 && fabs(e0 - res->energy) <= prm->etol * fabs(res->energy)) {
            it++;
            converged = 1;
            break;
        }
        double num = 0, den = 0;
        for (int k = 0; k < nd; k++) {
            num += F[k] * (F[k] - g0[k]);
            den += g0[k] * g0[k];
        }
        double beta = den > 0 ? fmax(0.0, num / den) : 0.0;
        for (int k = 0; k < nd; k++)
            d[k] = F[k] + beta * d[k];
    }
    if (!converged && gen_converged(prm, &g)) converged = 1;
out:
    if (iters) *iters = it;
    free(X);
    free(F);
    free(d);
    free(g0);
    free(x0);
    if (rc) return rc;
    if (!converged)
        return ts_error_set(TS_ERR_CONVERGE, "CG: stopped at max |F| = %g eV/Å after %ld iterations",
                            fmax_of(s), it);
    return 0;
}

int ts_md_minimize(const ts_md_min_params *prm, ts_md_calc *c, ts_md_system *s, ts_md_result *res,
                   long *iters)
{
    if (!(prm->ftol > 0) || prm->maxiter < 1)
        return ts_error_set(TS_ERR_INVAL, "minimize: need ftol > 0 and maxiter >= 1");
    if (prm->relax_box && !(prm->ptol > 0))
        return ts_error_set(TS_ERR_INVAL, "minimize: box relaxation needs ptol > 0 bar");
    if (prm->algo == TS_MD_MIN_FIRE) return fire(prm, c, s, res, iters);
    return cg(prm, c, s, res, iters);
}
