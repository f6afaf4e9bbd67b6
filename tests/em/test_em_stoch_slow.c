/* Slow-tier validations of the stochastic analysis (issue #10; numbers in
 * docs/em.md): Monte Carlo on a 250-segment generated tree against the
 * exact linear-response moments, and the BPINN on a 50-segment tree against
 * the exact flux oracle on the same draws, with the documented defaults. */
#include <stdlib.h>

#include "ts_test.h"
#include "tinsel/em.h"
#include "em_oracle.h"

#define YEAR 3.15576e7

static void test_mc_250(void)
{
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.nout = 20;
    ts_em_tree *t = NULL;
    TS_CHECK_OK(ts_em_tree_generate(250, 1, p.thickness, &p, &t));
    if (!t) return;
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 300;
    ts_em_mc_result *r = NULL;
    TS_CHECK_OK(ts_em_mc_run(&t, 1, &p, &o, &m, &r));
    size_t n = (size_t)(o.nout + 1) * t->nvert;
    double *mean = malloc(n * sizeof(double)), *sd = malloc(n * sizeof(double));
    TS_CHECK_OK(ts_em_linear_moments(t, &p, &o, &m.var, mean, sd));
    if (r && mean && sd) {
        double N = (double)m.samples, wm = 0, ws = 0;
        for (size_t q = (size_t)t->nvert; q < n; q++) {
            if (sd[q] < 1e3) continue;
            wm = fmax(wm, fabs(r->stat[q].mean - mean[q]) / (sd[q] / sqrt(N)));
            ws = fmax(ws, fabs(ts_em_stat_std(&r->stat[q]) - sd[q]) / (sd[q] / sqrt(2 * (N - 1))));
        }
        printf("     250 segments, 300 samples in %.2f s: worst mean error %.2f SE, std error %.2f SE\n", r->wall_s, wm, ws);
        /* ~5000 correlated values: 5 SE */
        TS_CHECK(wm < 5 && ws < 5);
    }
    free(mean);
    free(sd);
    ts_em_mc_result_destroy(r);
    ts_em_tree_destroy(t);
}

static void test_bpinn_50(void)
{
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_tree *t = NULL;
    TS_CHECK_OK(ts_em_tree_generate(50, 1, p.thickness, &p, &t));
    if (!t) return;
    ts_em_bpinn_options o;
    ts_em_bpinn_options_default(&o);
    ts_em_bpinn *b = NULL;
    TS_CHECK_OK(ts_em_bpinn_train(t, &p, 10 * YEAR, &o, &b));
    if (!b) {
        ts_em_tree_destroy(t);
        return;
    }
    int K = o.K, nv = t->nvert;
    size_t nq = (size_t)(K + 1) * nv;
    long N = 100;
    double *bm = malloc(nq * 8), *bs = malloc(nq * 8), *om = calloc(nq, 8), *os = calloc(nq, 8);
    TS_CHECK_OK(ts_em_bpinn_predict(b, &o.var, N, 1, bm, bs, NULL, NULL));
    oracle_moments(ts_em_bpinn_jmodel(b), t, &o.var, K, N, 1, om, os);
    double mx = -INFINITY, mn = INFINITY, smax = 0, em = 0, es = 0;
    for (size_t q = 0; q < nq; q++) {
        mx = fmax(mx, om[q]);
        mn = fmin(mn, om[q]);
        smax = fmax(smax, os[q]);
    }
    for (size_t q = (size_t)nv; q < nq; q++) {
        em += (bm[q] - om[q]) * (bm[q] - om[q]);
        es += (bs[q] - os[q]) * (bs[q] - os[q]);
    }
    em = sqrt(em / (nq - nv)) / (mx - mn);
    es = sqrt(es / (nq - nv)) / smax;
    printf("     BPINN 50 segments: mean error %.3g of range, std error %.3g of max std\n", em, es);
    /* documented: 6.9 % and 21 % vs the oracle (docs/em.md, defaults of 2026-11-23: empirical-Bayes
     * noise, 30 + 20 HMC iterations of 5 steps); regressions beyond 8 % / 30 % fail */
    TS_CHECK(em < 0.08);
    TS_CHECK(es < 0.30);
    free(bm);
    free(bs);
    free(om);
    free(os);
    ts_em_bpinn_destroy(b);
    ts_em_tree_destroy(t);
}

int main(void)
{
    ts_progress_set_quiet(1);
    TS_RUN(test_mc_250);
    TS_RUN(test_bpinn_50);
    return ts_test_summary();
}
