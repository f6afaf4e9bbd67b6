/* Two-class 1-D Gaussian mixture by Expectation-Maximisation (Dempster,
 * Laird & Rubin 1977) and the Bayes decision p(x|0)p(0) = p(x|1)p(1) of
 * seed 001 ("Quantitative metrics"). The decision is the full quadratic rule
 * (two thresholds when the variances differ), not a single threshold. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* log of prior * N(x; m, s) */
static double log_pn(double x, double prior, double m, double s)
{
    double z = (x - m) / s;
    return log(prior) - log(s) - 0.5 * log(2 * XCT_PI) - 0.5 * z * z;
}

int ts_xct_gmm2_fit(const float *v, size_t n, ts_xct_gmm2 *out)
{
    if (n < 4) return ts_error_set(TS_ERR_INVAL, "gmm: need at least 4 values, got %zu", n);
    float *s = malloc(n * sizeof *s);
    TS_CHECK_ALLOC(s);
    memcpy(s, v, n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(s[i])) {
            free(s);
            return ts_error_set(TS_ERR_NUMERIC, "gmm: value %zu is not finite", i);
        }
    qsort(s, n, sizeof *s, cmp_float);
    double lo = s[0], hi = s[n - 1];
    double m0 = s[n / 4], m1 = s[(3 * n) / 4];
    free(s);
    if (!(hi > lo)) return ts_error_set(TS_ERR_SINGULAR, "gmm: all values are equal (%g)", lo);
    if (m1 <= m0) { /* heavy tie at the quartiles: spread the start */
        m0 = lo;
        m1 = hi;
    }
    double floor_sd = 1e-6 * (hi - lo);
    double p0 = 0.5, p1 = 0.5, s0 = (hi - lo) / 4, s1 = (hi - lo) / 4;
    double *resp = malloc(n * sizeof *resp);
    TS_CHECK_ALLOC(resp);
    double ll_old = -INFINITY;
    int it;
    for (it = 1; it <= 500; it++) {
        /* E step: responsibilities of class 1 */
        double n1 = 0, a0 = 0, a1 = 0, ll = 0;
        for (size_t i = 0; i < n; i++) {
            double x = v[i];
            double l0 = log_pn(x, p0, m0, s0), l1 = log_pn(x, p1, m1, s1);
            double mx = fmax(l0, l1);
            double lse = mx + log(exp(l0 - mx) + exp(l1 - mx));
            double r1 = exp(l1 - lse);
            resp[i] = r1;
            ll += lse;
            n1 += r1;
            a0 += (1 - r1) * x;
            a1 += r1 * x;
        }
        double n0 = (double)n - n1;
        if (n0 <= 0 || n1 <= 0) {
            free(resp);
            return ts_error_set(TS_ERR_CONVERGE, "gmm: a class became empty");
        }
        /* M step */
        m0 = a0 / n0;
        m1 = a1 / n1;
        double q0 = 0, q1 = 0;
        for (size_t i = 0; i < n; i++) {
            double x = v[i], r1 = resp[i];
            q0 += (1 - r1) * (x - m0) * (x - m0);
            q1 += r1 * (x - m1) * (x - m1);
        }
        s0 = fmax(sqrt(q0 / n0), floor_sd);
        s1 = fmax(sqrt(q1 / n1), floor_sd);
        p0 = n0 / n;
        p1 = n1 / n;
        if (fabs(ll - ll_old) <= 1e-10 * fabs(ll)) break;
        ll_old = ll;
    }
    free(resp);
    if (m0 > m1) {
        double t;
        t = m0; m0 = m1; m1 = t;
        t = s0; s0 = s1; s1 = t;
        t = p0; p0 = p1; p1 = t;
    }
    out->prior[0] = p0;
    out->prior[1] = p1;
    out->mean[0] = m0;
    out->mean[1] = m1;
    out->sd[0] = s0;
    out->sd[1] = s1;
    out->iters = it;
    return 0;
}

int ts_xct_gmm2_classify(const ts_xct_gmm2 *g, const float *v, size_t n, uint8_t *label)
{
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        label[i] = log_pn(x, g->prior[1], g->mean[1], g->sd[1]) >
                   log_pn(x, g->prior[0], g->mean[0], g->sd[0]);
    }
    return 0;
}
