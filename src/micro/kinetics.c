/* Growth kinetics and Kirkendall enthalpy (seed 000 Methods):
 *   y = k √t + y0 (least squares over √t; GSL gsl_fit_linear, standard
 *   errors from the residual variance with n - 2 degrees of freedom);
 *   eq. (6): D_v = pore-area / t, averaged over the ageing times t > 0;
 *   eq. (7): Q_K = -R T ln(D_v / D0) / 1000 [kJ/mol].
 * Unit choice (the seed's absolute values are not reproducible, see
 * notes/micrographs.md): area in m² and t in s, so D_v is in m²/s like
 * D0 = 5.48e-9 m²/s (Cu3Sn intrinsic diffusivity, seed refs. 98-99). */
#include <math.h>

#include <gsl/gsl_fit.h>

#include "micro_internal.h"

int ts_micro_fit_sqrt(const double *t_h, const double *y, size_t n, ts_micro_sqrt_fit *fit)
{
    if (!t_h || !y || !fit) return ts_error_set(TS_ERR_INVAL, "fit_sqrt: NULL argument");
    if (n < 2) return ts_error_set(TS_ERR_RANGE, "fit_sqrt: %zu points, need at least 2", n);
    double x[64];
    if (n > 64) return ts_error_set(TS_ERR_RANGE, "fit_sqrt: at most 64 ageing times (got %zu)", n);
    double ym = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(t_h[i] >= 0) || !isfinite(y[i]))
            return ts_error_set(TS_ERR_RANGE, "fit_sqrt: point %zu: t = %g h must be >= 0, y finite", i, t_h[i]);
        x[i] = sqrt(t_h[i]);
        ym += y[i];
    }
    ym /= n;
    int distinct = 0;
    for (size_t i = 1; i < n; i++) distinct |= x[i] != x[0];
    if (!distinct) return ts_error_set(TS_ERR_SINGULAR, "fit_sqrt: all ageing times are equal");
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(x, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    fit->k = c1;
    fit->y0 = c0;
    fit->n = (int)n;
    if (n > 2) {
        fit->k_se = sqrt(cov11);
        fit->y0_se = sqrt(cov00);
    } else {
        fit->k_se = fit->y0_se = NAN;
    }
    double tss = 0;
    for (size_t i = 0; i < n; i++) tss += (y[i] - ym) * (y[i] - ym);
    fit->r2 = tss > 0 ? 1.0 - sumsq / tss : 1.0;
    return 0;
}

int ts_micro_kirkendall_q(const double *t_h, const double *area_um2, size_t n, double T_K,
                          double D0_m2s, double *Dv_m2s, double *Q_kJmol)
{
    const double R = 8.314462618; /* J/(mol K), CODATA 2018 */
    if (!t_h || !area_um2 || !Q_kJmol) return ts_error_set(TS_ERR_INVAL, "kirkendall: NULL argument");
    if (!(T_K > 0) || !(D0_m2s > 0))
        return ts_error_set(TS_ERR_RANGE, "kirkendall: T = %g K and D0 = %g m²/s must be > 0", T_K, D0_m2s);
    double s = 0;
    int m = 0;
    for (size_t i = 0; i < n; i++)
        if (t_h[i] > 0) {
            s += area_um2[i] * 1e-12 / (t_h[i] * 3600.0);
            m++;
        }
    if (m == 0) return ts_error_set(TS_ERR_RANGE, "kirkendall: no ageing time > 0");
    double Dv = s / m;
    if (!(Dv > 0))
        return ts_error_set(TS_ERR_RANGE, "kirkendall: mean pore growth D_v = %g m²/s: no pores, Q undefined", Dv);
    if (Dv_m2s) *Dv_m2s = Dv;
    *Q_kJmol = -R * T_K * log(Dv / D0_m2s) / 1000.0;
    return 0;
}
