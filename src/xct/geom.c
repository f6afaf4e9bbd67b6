/* Parallel-beam geometry and angle quadrature.
 * Conventions in include/tinsel/xct.h; the FBP quadrature weights implement
 * the angular integral of the inverse Radon transform,
 * f(x) = int_0^pi (p_theta * h)(x cos theta + y sin theta) d theta
 * (Kak & Slaney 1988, eq. 3.45), by a midpoint rule on the measured angles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

int ts_xct_geom_create(int n, int ndet, int nang, const double *theta, double center,
                       ts_xct_geom **out)
{
    *out = NULL;
    if (n < 2 || ndet < 2)
        return ts_error_set(TS_ERR_INVAL, "xct geometry: image size n = %d and detector bins "
                            "ndet = %d must be >= 2", n, ndet);
    if (nang < 1 || theta == NULL)
        return ts_error_set(TS_ERR_INVAL, "xct geometry: empty angle set (nang = %d)", nang);
    if ((double)n * n > 1e9 || (double)nang * ndet > 1e9)
        return ts_error_set(TS_ERR_RANGE, "xct geometry: size too large (n = %d, nang = %d, "
                            "ndet = %d)", n, nang, ndet);
    for (int i = 0; i < nang; i++)
        if (!isfinite(theta[i]))
            return ts_error_set(TS_ERR_NUMERIC, "xct geometry: angle %d is not finite", i);
    if (!isfinite(center))
        return ts_error_set(TS_ERR_NUMERIC, "xct geometry: centre is not finite");
    if (center > 1.5 * ndet)
        return ts_error_set(TS_ERR_RANGE, "xct geometry: centre %g outside the detector "
                            "(0 .. %d)", center, ndet);
    ts_xct_geom *g = calloc(1, sizeof *g);
    TS_CHECK_ALLOC(g);
    g->theta = malloc((size_t)nang * sizeof *g->theta);
    if (!g->theta) {
        free(g);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for %d angles", nang);
    }
    memcpy(g->theta, theta, (size_t)nang * sizeof *theta);
    g->n = n;
    g->ndet = ndet;
    g->nang = nang;
    g->center = center < 0 ? (double)(ndet / 2) : center;
    *out = g;
    return 0;
}

void ts_xct_geom_destroy(ts_xct_geom *g)
{
    if (!g) return;
    free(g->theta);
    free(g);
}

int ts_xct_angles_linspace(int nang, double lo_deg, double hi_deg, int endpoint, double *theta)
{
    if (nang < 1)
        return ts_error_set(TS_ERR_INVAL, "angles: need at least one angle, got %d", nang);
    if (!isfinite(lo_deg) || !isfinite(hi_deg) || hi_deg < lo_deg)
        return ts_error_set(TS_ERR_INVAL, "angles: bad range [%g, %g] deg", lo_deg, hi_deg);
    double div = endpoint ? (double)(nang > 1 ? nang - 1 : 1) : (double)nang;
    double step = (hi_deg - lo_deg) / div;
    for (int i = 0; i < nang; i++) theta[i] = (lo_deg + step * i) * (XCT_PI / 180.0);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ts_xct_angle_weights(const ts_xct_geom *g, double *w)
{
    int m = g->nang;
    if (m == 1) {
        w[0] = XCT_PI;
        return 0;
    }
    /* sort (value, index) pairs */
    double *s = malloc((size_t)m * 2 * sizeof *s);
    TS_CHECK_ALLOC(s);
    for (int i = 0; i < m; i++) {
        s[2 * i] = g->theta[i];
        s[2 * i + 1] = i;
    }
    qsort(s, (size_t)m, 2 * sizeof *s, cmp_double);
    double total = 0;
    for (int j = 0; j < m; j++) {
        double left = j > 0 ? s[2 * j] - s[2 * (j - 1)] : s[2] - s[0];
        double right = j < m - 1 ? s[2 * (j + 1)] - s[2 * j] : s[2 * j] - s[2 * (j - 1)];
        double wj = 0.5 * (left + right);
        w[(int)s[2 * j + 1]] = wj;
        total += wj;
    }
    /* Over-complete scans (more than pi) would count directions twice:
     * rescale so the weights integrate pi at most. */
    if (total > XCT_PI * (1 + 1e-9))
        for (int i = 0; i < m; i++) w[i] *= XCT_PI / total;
    free(s);
    return 0;
}
