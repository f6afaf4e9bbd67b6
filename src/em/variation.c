/* Variation model of the stochastic EM analysis (issue #10; seed 003,
 * stochastic analysis section; notes/em.md "Stochastic analysis"): branch
 * current densities as normal or lognormal random variables around the DC
 * means, equicorrelated through one common factor, plus per-sample D0 and T.
 *   normal:    j = mu (1 + s_j z)
 *   lognormal: j = sign(mu) |mu| exp(s z - s^2/2), s^2 = ln(1 + s_j^2)
 *              E[j] = mu, std(j)/|mu| = s_j (moments of the lognormal)
 *   z_k = sqrt(rho) z_0 + sqrt(1 - rho) e_k,  corr(z_k, z_l) = rho.
 * D0 factor: lognormal with mean 1 and relative std sigma_D0 (same formula). */
#include <math.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

void ts_em_variation_default(ts_em_variation *v)
{
    v->dist = TS_EM_DIST_NORMAL;
    v->sigma_j = 0.1;
    v->rho = 0.0;
    v->sigma_D0 = 0.0;
    v->sigma_T_K = 0.0;
    v->sigma_w = 0.0;
    v->vary = TS_EM_VARY_CURRENTS;
    v->sigma_load = 0.1;
}

/* Lognormal factor with mean 1 and relative std rel for a standard normal z. */
static double lognormal_factor(double rel, double z)
{
    double s2 = log1p(rel * rel);
    return exp(sqrt(s2) * z - 0.5 * s2);
}

/* The draws both sampling modes start with, in a fixed order (common
 * factor z0, D0, T); draws_next gives the correlated standard normal
 * sqrt(rho) z0 + sqrt(1 - rho) z of the next input. Checks the parameters
 * the modes share. */
typedef struct {
    ts_rng *r;
    double z0, zD, zT, a, b;
} draws;

static int draws_begin(const ts_em_variation *v, uint64_t seed, uint64_t sample, draws *d)
{
    if (!(v->rho >= 0 && v->rho <= 1) || !(v->sigma_D0 >= 0) || !isfinite(v->sigma_D0) || !(v->sigma_T_K >= 0) ||
        !isfinite(v->sigma_T_K))
        return ts_error_set(TS_ERR_RANGE, "variation: need 0 <= rho <= 1, sigma_D0 >= 0, sigma_T >= 0 (got %g, %g, %g)",
                            v->rho, v->sigma_D0, v->sigma_T_K);
    if (v->dist != TS_EM_DIST_NORMAL && v->dist != TS_EM_DIST_LOGNORMAL)
        return ts_error_set(TS_ERR_RANGE, "variation: unknown distribution %d", (int)v->dist);
    d->r = ts_rng_create(seed, sample);
    TS_CHECK_ALLOC(d->r);
    d->z0 = ts_rng_normal(d->r, 0, 1);
    d->zD = ts_rng_normal(d->r, 0, 1);
    d->zT = ts_rng_normal(d->r, 0, 1);
    d->a = sqrt(v->rho);
    d->b = sqrt(1.0 - v->rho);
    return 0;
}

static double draws_next(draws *d) { return d->a * d->z0 + d->b * ts_rng_normal(d->r, 0, 1); }

/* the scalar factors from the first draws; frees the stream */
static void draws_end(const ts_em_variation *v, draws *d, double *D0_factor, double *dT)
{
    if (D0_factor) *D0_factor = v->sigma_D0 > 0 ? lognormal_factor(v->sigma_D0, d->zD) : 1.0;
    if (dT) *dT = v->sigma_T_K * d->zT;
    ts_rng_destroy(d->r);
}

int ts_em_variation_draw(const ts_em_variation *v, const double *j_mean, int n, uint64_t seed,
                         uint64_t sample, double *j_out, double *D0_factor, double *dT)
{
    if (!v || (n > 0 && (!j_mean || !j_out)) || n < 0)
        return ts_error_set(TS_ERR_INVAL, "ts_em_variation_draw: NULL argument or n < 0");
    if (!(v->sigma_j >= 0) || !isfinite(v->sigma_j))
        return ts_error_set(TS_ERR_RANGE, "variation: need sigma_j >= 0 (got %g)", v->sigma_j);
    draws d;
    TS_TRY(draws_begin(v, seed, sample, &d));
    int rc = 0;
    /* then one normal per wire */
    for (int k = 0; k < n; k++) {
        double z = draws_next(&d);
        double mu = j_mean[k];
        if (!isfinite(mu)) {
            rc = ts_error_set(TS_ERR_RANGE, "variation: mean current density of wire %d is not finite", k);
            break;
        }
        if (v->dist == TS_EM_DIST_NORMAL)
            j_out[k] = mu * (1.0 + v->sigma_j * z);
        else
            j_out[k] = mu * lognormal_factor(v->sigma_j, z);
    }
    draws_end(v, &d, D0_factor, dT);
    return rc;
}

int ts_em_variation_widths(const ts_em_variation *v, int n, uint64_t seed, uint64_t sample, double *f)
{
    if (!v || n < 0 || (n > 0 && !f))
        return ts_error_set(TS_ERR_INVAL, "ts_em_variation_widths: NULL argument or n < 0");
    if (!(v->sigma_w >= 0) || !isfinite(v->sigma_w))
        return ts_error_set(TS_ERR_RANGE, "variation: need sigma_w >= 0 (got %g)", v->sigma_w);
    for (int k = 0; k < n; k++)
        f[k] = 1.0;
    if (v->sigma_w == 0 || n == 0) return 0;
    ts_rng *r = ts_rng_create(seed, sample);
    TS_CHECK_ALLOC(r);
    /* skip the draws of ts_em_variation_draw: common factor, D0, T, one per wire */
    for (int k = 0; k < 3 + n; k++)
        (void)ts_rng_normal(r, 0, 1);
    for (int k = 0; k < n; k++)
        f[k] = lognormal_factor(v->sigma_w, ts_rng_normal(r, 0, 1));
    ts_rng_destroy(r);
    return 0;
}

/* Physically consistent mode: loads and wire widths are the random inputs;
 * the caller re-solves the grid (ts_em_dc_solve_loads) so that the branch
 * currents satisfy Kirchhoff's laws in every sample. */
int ts_em_variation_physical(const ts_em_variation *v, const ts_em_netlist *nl, const ts_em_trees *tr, uint64_t seed,
                             uint64_t sample, double *load, double *wfac, double *res, double *D0_factor, double *dT)
{
    if (!v || !nl || !tr || (nl->ncur > 0 && !load) || (nl->nres > 0 && (!wfac || !res)))
        return ts_error_set(TS_ERR_INVAL, "ts_em_variation_physical: NULL argument");
    if (!(v->sigma_load >= 0) || !isfinite(v->sigma_load) || !(v->sigma_w >= 0) || !isfinite(v->sigma_w))
        return ts_error_set(TS_ERR_RANGE, "variation: need sigma_load >= 0, sigma_w >= 0 (got %g, %g)",
                            v->sigma_load, v->sigma_w);
    draws d;
    TS_TRY(draws_begin(v, seed, sample, &d));
    /* then one normal per current source, one per wire */
    for (int s = 0; s < nl->ncur; s++) {
        double z = draws_next(&d);
        load[s] = v->dist == TS_EM_DIST_NORMAL ? 1.0 + v->sigma_load * z : lognormal_factor(v->sigma_load, z);
    }
    for (int k = 0; k < nl->nres; k++) {
        wfac[k] = tr->wire_tree[k] >= 0 ? lognormal_factor(v->sigma_w, ts_rng_normal(d.r, 0, 1)) : 1.0;
        res[k] = nl->res_ohm[k] / wfac[k];
    }
    draws_end(v, &d, D0_factor, dT);
    return 0;
}
