/* Streaming statistics for the Monte Carlo (issue #10): Welford's running
 * mean and variance (Welford, Technometrics 4 (1962) 419; Knuth TAOCP 2,
 * 4.2.2) and the P² quantile estimator (Jain & Chlamtac, CACM 28 (1985)
 * 1076-1085): five markers per quantile moved by piecewise-parabolic
 * interpolation; O(1) memory per stream, no samples stored. For n <= 5 the
 * markers hold the sorted observations and quantiles are exact (linear
 * interpolation between order statistics, numpy's default "linear"). */
#include <math.h>
#include <string.h>

#include "tinsel/em.h"

void ts_em_stat_init(ts_em_stat *s, int nq, const double *probs)
{
    memset(s, 0, sizeof *s);
    if (nq < 0) nq = 0;
    if (nq > 4) nq = 4;
    s->nq = nq;
    for (int i = 0; i < nq; i++) {
        double p = probs[i];
        s->p[i] = p;
        for (int k = 0; k < 5; k++) s->pos[i][k] = k + 1;
        s->want[i][0] = 1;
        s->want[i][1] = 1 + 2 * p;
        s->want[i][2] = 1 + 4 * p;
        s->want[i][3] = 3 + 2 * p;
        s->want[i][4] = 5;
    }
}

static void p2_push(ts_em_stat *s, int i, double x, long n_before)
{
    double *q = s->q[i], *pos = s->pos[i], *want = s->want[i];
    double p = s->p[i];
    if (n_before < 5) { /* warm-up: insertion into the sorted first values */
        int k = (int)n_before;
        while (k > 0 && q[k - 1] > x) {
            q[k] = q[k - 1];
            k--;
        }
        q[k] = x;
        return;
    }
    int k;
    if (x < q[0]) {
        q[0] = x;
        k = 0;
    } else if (x >= q[4]) {
        q[4] = x;
        k = 3;
    } else {
        k = 0;
        while (k < 3 && x >= q[k + 1]) k++;
    }
    for (int m = k + 1; m < 5; m++) pos[m] += 1;
    const double dn[5] = {0, p / 2, p, (1 + p) / 2, 1};
    for (int m = 0; m < 5; m++) want[m] += dn[m];
    for (int m = 1; m <= 3; m++) {
        double d = want[m] - pos[m];
        if ((d >= 1 && pos[m + 1] - pos[m] > 1) || (d <= -1 && pos[m - 1] - pos[m] < -1)) {
            double ds = d > 0 ? 1.0 : -1.0;
            double qp = q[m] + ds / (pos[m + 1] - pos[m - 1]) *
                                   ((pos[m] - pos[m - 1] + ds) * (q[m + 1] - q[m]) / (pos[m + 1] - pos[m]) +
                                    (pos[m + 1] - pos[m] - ds) * (q[m] - q[m - 1]) / (pos[m] - pos[m - 1]));
            if (q[m - 1] < qp && qp < q[m + 1]) q[m] = qp;
            else {
                int o = m + (int)ds;
                q[m] = q[m] + ds * (q[o] - q[m]) / (pos[o] - pos[m]);
            }
            pos[m] += ds;
        }
    }
}

void ts_em_stat_push(ts_em_stat *s, double x)
{
    long n0 = s->n;
    for (int i = 0; i < s->nq; i++) p2_push(s, i, x, n0);
    s->n = n0 + 1;
    double d = x - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
}

double ts_em_stat_std(const ts_em_stat *s)
{
    return s->n > 1 ? sqrt(s->m2 / (double)(s->n - 1)) : 0.0;
}

double ts_em_stat_quantile(const ts_em_stat *s, int i)
{
    if (i < 0 || i >= s->nq || s->n == 0) return NAN;
    if (s->n <= 5) {
        double h = s->p[i] * (double)(s->n - 1);
        int lo = (int)floor(h);
        if (lo >= s->n - 1) return s->q[i][s->n - 1];
        return s->q[i][lo] + (h - lo) * (s->q[i][lo + 1] - s->q[i][lo]);
    }
    return s->q[i][2];
}
