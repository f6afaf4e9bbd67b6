/* Stochastic EM (issue #10): streaming statistics against exact two-pass and
 * sorted-sample values, moments of the variation model against their
 * definitions, the Monte Carlo with zero variance against ts_em_analyze (an
 * independent code path), MC mean/std against the exact linear-response
 * moments (post-void stress is linear in the driving forces), and thread
 * determinism. */
#include <stdlib.h>

#include "tinsel/em.h"
#include "ts_test.h"

#define YEAR 3.15576e7

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void test_stats(void)
{
    enum { N = 20000 };
    static double x[N];
    ts_rng *r = ts_rng_create(7, 0);
    const double probs[3] = {0.05, 0.5, 0.95};
    ts_em_stat s;
    ts_em_stat_init(&s, 3, probs);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        x[i] = 3.0 + 2.0 * ts_rng_normal(r, 0, 1);
        ts_em_stat_push(&s, x[i]);
        sum += x[i];
    }
    double mean = sum / N, m2 = 0;
    for (int i = 0; i < N; i++)
        m2 += (x[i] - mean) * (x[i] - mean);
    /* Welford vs two-pass: both backward stable, agree to ~N eps */
    TS_CHECK_CLOSE(s.mean, mean, 0, 1e-12);
    TS_CHECK_CLOSE(ts_em_stat_std(&s), sqrt(m2 / (N - 1)), 0, 1e-12);
    qsort(x, N, sizeof(double), cmp_d);
    for (int q = 0; q < 3; q++) {
        double h = probs[q] * (N - 1);
        int lo = (int)h;
        double exact = x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
        /* P² on 2e4 normal draws: errors of a few 1e-3 sd; 0.03 sd (= 0.06
         * here) is 3x the sampling std of the 5 % quantile itself */
        printf("     P2 q%.2f: %.5f vs exact %.5f (sd 2)\n", probs[q], ts_em_stat_quantile(&s, q), exact);
        TS_CHECK_CLOSE(ts_em_stat_quantile(&s, q), exact, 0.06, 0);
    }
    /* n <= 5: exact order statistics */
    ts_em_stat t;
    ts_em_stat_init(&t, 3, probs);
    const double v[4] = {4, 1, 3, 2};
    for (int i = 0; i < 4; i++)
        ts_em_stat_push(&t, v[i]);
    TS_CHECK_CLOSE(ts_em_stat_quantile(&t, 1), 2.5, 0, 1e-15);
    TS_CHECK_CLOSE(ts_em_stat_quantile(&t, 0), 1.15, 0, 1e-14);
    ts_rng_destroy(r);
}

static void test_variation(void)
{
    enum { N = 20000 };
    const double mu[3] = {1e9, -2e9, 5e8};
    ts_em_variation v;
    ts_em_variation_default(&v);
    v.sigma_j = 0.2;
    v.rho = 0.6;
    for (int d = 0; d < 2; d++) {
        v.dist = d ? TS_EM_DIST_LOGNORMAL : TS_EM_DIST_NORMAL;
        double s1[3] = {0}, s2[3] = {0}, s01 = 0;
        for (int i = 0; i < N; i++) {
            double j[3];
            TS_CHECK_OK(ts_em_variation_draw(&v, mu, 3, 11, (uint64_t)i, j, NULL, NULL));
            for (int k = 0; k < 3; k++) {
                double z = j[k] / mu[k] - 1;
                s1[k] += z;
                s2[k] += z * z;
                if (d && j[k] * mu[k] <= 0) TS_CHECK_MSG(0, "lognormal draw changed sign");
            }
            s01 += (j[0] / mu[0] - 1) * (j[1] / mu[1] - 1);
        }
        for (int k = 0; k < 3; k++) {
            double m = s1[k] / N, sd = sqrt(s2[k] / N - m * m);
            /* 5 standard errors (deterministic draws: a fixed seed) */
            TS_CHECK_CLOSE(m, 0, 5 * 0.2 / sqrt(N), 0);
            TS_CHECK_CLOSE(sd, 0.2, 5 * 0.2 / sqrt(2.0 * N) * (d ? 2.0 : 1.0), 0);
        }
        double c = (s01 / N - (s1[0] / N) * (s1[1] / N)) / 0.04;
        /* correlation of z is rho; for the lognormal the correlation of
         * exp(s z) is (exp(rho s^2) - 1)/(exp(s^2) - 1) */
        double s2l = log1p(0.04), want = d ? expm1(0.6 * s2l) / expm1(s2l) : 0.6;
        TS_CHECK_CLOSE(c, want, 0.03, 0);
    }
    double j[1], mu1[1] = {1};
    v.sigma_j = -1;
    TS_CHECK_ERR(ts_em_variation_draw(&v, mu1, 1, 1, 0, j, NULL, NULL), TS_ERR_RANGE);
    v.sigma_j = 0.1;
    v.rho = 1.5;
    TS_CHECK_ERR(ts_em_variation_draw(&v, mu1, 1, 1, 0, j, NULL, NULL), TS_ERR_RANGE);
}

/* sigma_j = 0: every sample equals the deterministic analysis without DC
 * re-solve, computed by analyze.c's own loop. */
static void test_mc_zero_variance_vs_analyze(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/em/armcore.sp", TS_SOURCE_DIR);
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_read(path, &nl));
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.resolve_dc = 0;
    o.current_scale = 0.4;
    o.years = 1;
    o.nout = 10;
    o.ncell = 8;
    o.steps_per_decade = 10;
    ts_em_trees *tr = NULL;
    ts_em_result *ra = NULL;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, &tr, &ra));
    ts_em_tree **list = NULL;
    int nt = 0;
    TS_CHECK_OK(ts_em_tree_from_netlist(nl, &p, &o, NULL, &list, &nt));
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 2;
    m.var.sigma_j = 0;
    ts_em_mc_result *rm = NULL;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &rm));
    if (ra && rm) {
        TS_CHECK(nt == ra->ntrees && rm->nvert_total == ra->nvert_total);
        int nfin = 0;
        for (int i = 0; i < nt; i++) {
            for (int s = 0; s < 2; s++) {
                double a = ra->t_nuc[i], b = rm->t_nuc[(size_t)s * nt + i];
                TS_CHECK(isfinite(a) == isfinite(b));
                if (isfinite(a)) TS_CHECK_CLOSE(b, a, 0, 1e-12);
                a = ra->ttf[i], b = rm->ttf[(size_t)s * nt + i];
                TS_CHECK(isfinite(a) == isfinite(b));
                if (isfinite(a)) TS_CHECK_CLOSE(b, a, 0, 1e-12);
                nfin += isfinite(a) != 0;
            }
        }
        TS_CHECK_MSG(nfin > 0, "the test grid should have failing trees");
        double worst = 0, scale = 0;
        for (int k = 0; k < ra->nt; k++)
            for (int v = 0; v < ra->nvert_total; v++) {
                double a = ra->vert_sigma[(size_t)k * ra->nvert_total + v];
                const ts_em_stat *st = &rm->stat[(size_t)k * rm->nvert_total + v];
                worst = fmax(worst, fabs(st->mean - a));
                scale = fmax(scale, fabs(a));
                TS_CHECK(ts_em_stat_std(st) <= 1e-9 * (1 + fabs(a)));
            }
        TS_CHECK_MSG(worst <= 1e-12 * scale, "MC(sigma=0) vs analyze: %g Pa of %g", worst, scale);
    }
    ts_em_mc_result_destroy(rm);
    ts_em_tree_list_destroy(list, nt);
    ts_em_result_destroy(ra);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

/* MC estimates against the exact moments of the linear post-void problem:
 * |mean error| <= 4.5 SE and |std error| <= 4.5 SE_std at every vertex. */
static void test_mc_vs_linear_moments(void)
{
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.years = 2;
    o.nout = 8;
    o.ncell = 10;
    ts_em_tree *t = NULL;
    TS_CHECK_OK(ts_em_tree_generate(20, 3, p.thickness, &p, &t));
    if (!t) return;
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 400;
    m.var.sigma_j = 0.15;
    m.var.rho = 0.3;
    ts_em_mc_result *r = NULL;
    TS_CHECK_OK(ts_em_mc_run(&t, 1, &p, &o, &m, &r));
    size_t n = (size_t)(o.nout + 1) * t->nvert;
    double *mean = malloc(n * sizeof(double)), *sd = malloc(n * sizeof(double));
    TS_CHECK_OK(ts_em_linear_moments(t, &p, &o, &m.var, mean, sd));
    if (r && mean && sd) {
        double N = (double)m.samples, worst_m = 0, worst_s = 0;
        int checked = 0;
        for (int k = 1; k <= o.nout; k++)
            for (int v = 0; v < t->nvert; v++) {
                size_t q = (size_t)k * t->nvert + v;
                if (sd[q] < 1e3) continue; /* the void vertex: σ ≈ 0 */
                const ts_em_stat *s = &r->stat[q];
                double em = fabs(s->mean - mean[q]) / (sd[q] / sqrt(N));
                double es = fabs(ts_em_stat_std(s) - sd[q]) / (sd[q] / sqrt(2 * (N - 1)));
                worst_m = fmax(worst_m, em);
                worst_s = fmax(worst_s, es);
                /* normal output: quantiles at mean + z sd; SE of q05 ~ 0.11 sd */
                TS_CHECK_CLOSE(ts_em_stat_quantile(s, 0), mean[q] - 1.6449 * sd[q], 0.5 * sd[q], 0);
                TS_CHECK_CLOSE(ts_em_stat_quantile(s, 1), mean[q], 0.3 * sd[q], 0);
                checked++;
            }
        printf("     MC (400) vs exact moments: worst mean error %.2f SE, worst std error %.2f SE over %d "
               "values\n",
               worst_m, worst_s, checked);
        TS_CHECK(checked > 10 * o.nout);
        TS_CHECK_MSG(worst_m < 4.5, "mean error %.2f SE", worst_m);
        TS_CHECK_MSG(worst_s < 4.5, "std error %.2f SE", worst_s);
        /* a wrong spread must be caught: sigma_j 0.12 instead of 0.15 is ~7 SE_std off */
        ts_em_variation w = m.var;
        w.sigma_j = 0.12;
        TS_CHECK_OK(ts_em_linear_moments(t, &p, &o, &w, mean, sd));
        size_t q = (size_t)o.nout * t->nvert + t->nvert - 1;
        TS_CHECK(fabs(ts_em_stat_std(&r->stat[q]) - sd[q]) / (sd[q] / sqrt(2 * (N - 1))) > 4.5);
    }
    t->void_vertex = -1;
    TS_CHECK_ERR(ts_em_linear_moments(t, &p, &o, &m.var, mean, sd), TS_ERR_UNSUPPORTED);
    free(mean);
    free(sd);
    ts_em_mc_result_destroy(r);
    ts_em_tree_destroy(t);
}

/* Width variation (sigma_w): on a single voided wire with fixed branch
 * current, a width factor f scales j by 1/f and nothing else enters (no
 * junction), so σ(x, t; f) = σ_det(x, t)/f exactly. For lognormal f (mean 1,
 * relative std s, s'² = ln(1 + s²)): E[1/f] = e^{s'²},
 * sd(1/f) = e^{s'²} √(e^{s'²} - 1). MC mean and std within 4.5 SE of these. */
static void test_mc_width_variation(void)
{
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.years = 2;
    o.nout = 6;
    o.ncell = 10;
    ts_em_tree *t = NULL;
    TS_CHECK_OK(ts_em_tree_alloc(2, 1, &t));
    if (!t) return;
    t->wa[0] = 0;
    t->wb[0] = 1;
    t->len[0] = 30e-6;
    t->width[0] = 1e-6;
    t->j_mean[0] = 3e9;
    t->res_ohm[0] = 10;
    t->void_vertex = 0;
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 400;
    m.var.sigma_j = 0;
    m.var.sigma_w = 0.2;
    ts_em_mc_result *r = NULL;
    size_t n = (size_t)(o.nout + 1) * t->nvert;
    double *det = malloc(n * sizeof(double));
    TS_CHECK_OK(ts_em_tree_simulate(t, &p, &o, t->j_mean, det, NULL, NULL, NULL));
    TS_CHECK_OK(ts_em_mc_run(&t, 1, &p, &o, &m, &r));
    if (r && det) {
        double s2 = log1p(0.2 * 0.2), e1 = exp(s2), sd1 = exp(s2) * sqrt(exp(s2) - 1), N = (double)m.samples;
        double wm = 0, ws = 0;
        for (int k = 1; k <= o.nout; k++) {
            size_t q = (size_t)k * t->nvert + 1; /* the blocked far end */
            const ts_em_stat *st = &r->stat[q];
            double mu = det[q] * e1, sd = fabs(det[q]) * sd1;
            wm = fmax(wm, fabs(st->mean - mu) / (sd / sqrt(N)));
            ws = fmax(ws, fabs(ts_em_stat_std(st) - sd) / (sd / sqrt(2 * (N - 1))));
        }
        printf("     width variation (s = 0.2), one wire: worst mean error %.2f SE, std error %.2f SE\n", wm,
               ws);
        /* the std's SE uses the normal approximation; 1/f is mildly skewed
         * (kurtosis ~3.7 at s = 0.2), hence 4.5 SE as elsewhere */
        TS_CHECK_MSG(wm < 4.5, "width variation: mean error %.2f SE", wm);
        TS_CHECK_MSG(ws < 4.5, "width variation: std error %.2f SE", ws);
    }
    /* the current draws do not change when width variation is switched on */
    double j1[3], j2[3], f[3], jm[3] = {1e9, -2e9, 3e9};
    ts_em_variation v;
    ts_em_variation_default(&v);
    TS_CHECK_OK(ts_em_variation_draw(&v, jm, 3, 5, 7, j1, NULL, NULL));
    v.sigma_w = 0.3;
    TS_CHECK_OK(ts_em_variation_draw(&v, jm, 3, 5, 7, j2, NULL, NULL));
    TS_CHECK_OK(ts_em_variation_widths(&v, 3, 5, 7, f));
    for (int k = 0; k < 3; k++)
        TS_CHECK(j1[k] == j2[k] && f[k] > 0 && f[k] != 1.0);
    v.sigma_w = -1;
    TS_CHECK_ERR(ts_em_variation_widths(&v, 3, 5, 7, f), TS_ERR_RANGE);
    free(det);
    ts_em_mc_result_destroy(r);
    ts_em_tree_destroy(t);
}

static void test_mc_threads(void)
{
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.nout = 6;
    o.ncell = 8;
    ts_em_tree *t = NULL;
    TS_CHECK_OK(ts_em_tree_generate(30, 9, p.thickness, &p, &t));
    if (!t) return;
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 37;
    m.batch = 8;
    m.var.dist = TS_EM_DIST_LOGNORMAL;
    m.var.sigma_D0 = 0.1;
    m.var.sigma_T_K = 2;
    ts_em_mc_result *r1 = NULL, *r2 = NULL;
    o.nthreads = 1;
    TS_CHECK_OK(ts_em_mc_run(&t, 1, &p, &o, &m, &r1));
    o.nthreads = 2;
    TS_CHECK_OK(ts_em_mc_run(&t, 1, &p, &o, &m, &r2));
    if (r1 && r2) {
        size_t n = (size_t)r1->nt * r1->nvert_total;
        int same = 1;
        for (size_t q = 0; q < n; q++)
            same &= r1->stat[q].mean == r2->stat[q].mean && r1->stat[q].m2 == r2->stat[q].m2 &&
                    ts_em_stat_quantile(&r1->stat[q], 0) == ts_em_stat_quantile(&r2->stat[q], 0);
        for (long s = 0; s < m.samples; s++)
            same &= r1->ttf[s] == r2->ttf[s] || (isinf(r1->ttf[s]) && isinf(r2->ttf[s]));
        TS_CHECK_MSG(same, "1 and 2 threads differ");
        TS_CHECK(r1->nconv == 7 && r1->conv_n[6] == 37); /* 1 2 4 8 16 32 37 */
    }
    m.samples = 0;
    ts_em_mc_result *r3 = NULL;
    TS_CHECK_ERR(ts_em_mc_run(&t, 1, &p, &o, &m, &r3), TS_ERR_RANGE);
    ts_em_mc_result_destroy(r1);
    ts_em_mc_result_destroy(r2);
    ts_em_tree_destroy(t);
}

int main(void)
{
    TS_RUN(test_stats);
    TS_RUN(test_variation);
    TS_RUN(test_mc_zero_variance_vs_analyze);
    TS_RUN(test_mc_vs_linear_moments);
    TS_RUN(test_mc_width_variation);
    TS_RUN(test_mc_threads);
    return ts_test_summary();
}
