/* Growth-constant fit, seed 002 eq. (11): d = d0 + sqrt(k t), least squares
 * of d on sqrt(t) over a window. k = slope^2 (negative, -slope^2, for a
 * shrinking layer); its standard error from the slope's, 2 |slope| se.
 */
#include <math.h>

#include "tinsel/pf.h"

int ts_pf_fit_k(size_t n, const double *t, const double *d, double t0, double t1, double *k,
                double *k_err, double *d0)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < t0 || t[i] > t1 || t[i] < 0) continue;
        double x = sqrt(t[i]);
        sx += x;
        sy += d[i];
        sxx += x * x;
        sxy += x * d[i];
        m++;
    }
    if (m < 3)
        return ts_error_set(TS_ERR_INVAL, "k fit: %zu points in [%g, %g] s, need >= 3", m, t0, t1);
    double mx = sx / m, my = sy / m;
    double vxx = sxx - m * mx * mx, vxy = sxy - m * mx * my;
    if (!(vxx > 0)) return ts_error_set(TS_ERR_SINGULAR, "k fit: all times equal");
    double slope = vxy / vxx, icpt = my - slope * mx;
    double rss = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < t0 || t[i] > t1 || t[i] < 0) continue;
        double r = d[i] - (icpt + slope * sqrt(t[i]));
        rss += r * r;
    }
    double se = sqrt(rss / (double)(m - 2) / vxx);
    *k = (slope >= 0 ? 1.0 : -1.0) * slope * slope;
    *k_err = 2.0 * fabs(slope) * se;
    *d0 = icpt;
    return 0;
}
