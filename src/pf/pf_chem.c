/* Chemical free energy: parabolic phases (seed eq. (10)), the
 * equal-diffusion-potential partition (seed eqs. (A.2), (A.3)) in closed
 * form, common tangents, and the planar interface energy of the Moelans
 * multi-well potential (seed eqs. (A.4), (A.5)).
 *
 * Partition: with f_r = A_r/2 (c_r - c0_r)^2 + B_r (c_r - c0_r) + C_r,
 *   mu = df_r/dc_r = A_r (c_r - c0_r) + B_r for every r, and
 *   c = sum phi_r c_r  =>  mu = (c - sum phi_r (c0_r - B_r/A_r)) / sum (phi_r/A_r).
 * Grand potential of phase r: omega_r(mu) = f_r(c_r) - mu c_r
 *   = C_r - mu c0_r - (mu - B_r)^2 / (2 A_r).
 * Common tangent of r, s: omega_r(mu) = omega_s(mu), a quadratic in mu.
 */
#include <math.h>

#include "tinsel/pf.h"

int ts_pf_common_tangent(const ts_pf_params *p, int r, int s, double *cr, double *cs,
                         double *mu)
{
    if (r < 0 || s < 0 || r >= p->nphase || s >= p->nphase || r == s)
        return ts_error_set(TS_ERR_INVAL, "common tangent: bad phase pair (%d, %d)", r, s);
    const ts_pf_phase *a = &p->ph[r], *b = &p->ph[s];
    /* qa mu^2 + qb mu + qc = 0 from omega_r - omega_s = 0 */
    double qa = -1.0 / (2 * a->A) + 1.0 / (2 * b->A);
    double qb = a->B / a->A - b->B / b->A - a->c0 + b->c0;
    double qc = -a->B * a->B / (2 * a->A) + b->B * b->B / (2 * b->A) + a->C - b->C;
    double roots[2];
    int nr = 0;
    if (fabs(qa) * 1e30 < fabs(qb) || qa == 0.0) {
        if (qb == 0.0)
            return ts_error_set(TS_ERR_SINGULAR, "phases %s and %s have no common tangent",
                                a->name, b->name);
        roots[nr++] = -qc / qb;
    } else {
        double disc = qb * qb - 4 * qa * qc;
        if (disc < 0)
            return ts_error_set(TS_ERR_SINGULAR, "phases %s and %s have no common tangent",
                                a->name, b->name);
        /* numerically stable quadratic roots */
        double q = -0.5 * (qb + copysign(sqrt(disc), qb));
        roots[nr++] = q / qa;
        if (q != 0.0) roots[nr++] = qc / q;
    }
    int best = -1;
    double bestd = INFINITY;
    for (int k = 0; k < nr; k++) {
        double x = a->c0 + (roots[k] - a->B) / a->A;
        double y = b->c0 + (roots[k] - b->B) / b->A;
        if (x < -0.5 || x > 1.5 || y < -0.5 || y > 1.5) continue;
        double d = fabs(x - a->c0) + fabs(y - b->c0);
        if (d < bestd) {
            bestd = d;
            best = k;
        }
    }
    if (best < 0)
        return ts_error_set(TS_ERR_SINGULAR,
                            "phases %s and %s: no common tangent with compositions in [-0.5, 1.5]",
                            a->name, b->name);
    *mu = roots[best];
    *cr = a->c0 + (*mu - a->B) / a->A;
    *cs = b->c0 + (*mu - b->B) / b->A;
    return 0;
}

void ts_pf_partition(const ts_pf_params *p, const double *phi, double c, double *mu,
                     double *cph)
{
    double S = 0, R = 0;
    for (int r = 0; r < p->nphase; r++) {
        const ts_pf_phase *ph = &p->ph[r];
        S += phi[r] / ph->A;
        R += phi[r] * (ph->c0 - ph->B / ph->A);
    }
    *mu = (c - R) / S;
    if (cph)
        for (int r = 0; r < p->nphase; r++)
            cph[r] = p->ph[r].c0 + (*mu - p->ph[r].B) / p->ph[r].A;
}

double ts_pf_interface_energy_analytic(const ts_pf_params *p)
{
    /* For gamma = 1.5 the two-phase path is eta1 + eta2 = 1 with
     * f0 = 2 eta^2 (1 - eta)^2, so sigma = sqrt(2 kappa m)/3 (Moelans 2008). */
    if (fabs(p->gamma - 1.5) > 1e-12) return NAN;
    return sqrt(2.0 * p->kappa * p->m) / 3.0;
}

double ts_pf_interface_width_analytic(const ts_pf_params *p)
{
    /* eta = (1 - tanh(x / delta))/2, delta = sqrt(2 kappa/m); width = 1/max|eta'| */
    return sqrt(8.0 * p->kappa / p->m);
}
