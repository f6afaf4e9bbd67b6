/* Physically consistent variation (issue #10 item 1, --vary physical): the
 * loads and wire widths of a netlist are drawn and the DC grid is re-solved
 * per sample. Checks: (1) zero sigmas reproduce the nominal DC solution and
 * the nominal Monte Carlo bit for bit; (2) Kirchhoff's current law at every
 * node of every sample (and, for contrast, its violation by independently
 * drawn branch currents); (3) two parallel wires with random widths and a
 * random load, where the current split has a closed form and its mean/std
 * follow from a 1-D quadrature; (4) with fully correlated normal loads
 * (rho = 1) every current scales by the common factor g, so post-void
 * stresses are exactly g times the nominal ones (end-to-end MC property). */
#include <stdlib.h>
#include <string.h>

#include "tinsel/em.h"
#include "ts_test.h"

static ts_em_netlist *armcore(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/em/armcore.sp", TS_SOURCE_DIR);
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_read(path, &nl));
    return nl;
}

static void small_options(ts_em_options *o)
{
    ts_em_options_default(o);
    o->resolve_dc = 0;
    o->current_scale = 0.4;
    o->years = 1;
    o->nout = 10;
    o->ncell = 8;
    o->steps_per_decade = 10;
}

/* (1) zero sigma: DC solution and MC statistics identical to the nominal. */
static void test_zero_sigma(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    small_options(&o);
    ts_em_trees *tr = NULL;
    ts_em_tree **list = NULL;
    int nt = 0;
    TS_CHECK_OK(ts_em_tree_from_netlist(nl, &p, &o, &tr, &list, &nt));
    ts_em_dc *dc = NULL, *cl = NULL;
    TS_CHECK_OK(ts_em_dc_create(nl, o.current_scale, &dc));
    TS_CHECK_OK(ts_em_dc_solve(dc, NULL));
    TS_CHECK_OK(ts_em_dc_clone(dc, &cl));
    ts_em_variation v;
    ts_em_variation_default(&v);
    v.vary = TS_EM_VARY_PHYSICAL;
    v.sigma_load = 0;
    v.sigma_w = 0;
    v.dist = TS_EM_DIST_LOGNORMAL;
    double *load = malloc((size_t)nl->ncur * sizeof(double)), *wf = malloc((size_t)nl->nres * sizeof(double)),
           *res = malloc((size_t)nl->nres * sizeof(double));
    TS_CHECK_OK(ts_em_variation_physical(&v, nl, tr, 1, 5, load, wf, res, NULL, NULL));
    TS_CHECK(memcmp(res, nl->res_ohm, (size_t)nl->nres * sizeof(double)) == 0);
    TS_CHECK_OK(ts_em_dc_solve_loads(cl, res, load));
    TS_CHECK(memcmp(ts_em_dc_voltages(cl), ts_em_dc_voltages(dc), (size_t)nl->nnodes * sizeof(double)) == 0);
    TS_CHECK(memcmp(ts_em_dc_currents(cl), ts_em_dc_currents(dc), (size_t)nl->nres * sizeof(double)) == 0);

    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 2;
    m.var.sigma_j = 0;
    ts_em_mc_result *r0 = NULL, *r1 = NULL;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &r0));
    m.var.vary = TS_EM_VARY_PHYSICAL;
    m.var.sigma_load = 0;
    m.nl = nl;
    m.tr = tr;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &r1));
    if (r0 && r1) {
        size_t n = (size_t)r0->nt * r0->nvert_total;
        int same = 1;
        for (size_t q = 0; q < n; q++) same &= r0->stat[q].mean == r1->stat[q].mean && r1->stat[q].m2 == 0;
        for (size_t q = 0; q < (size_t)2 * nt; q++)
            same &= (r0->t_nuc[q] == r1->t_nuc[q] || (isinf(r0->t_nuc[q]) && isinf(r1->t_nuc[q]))) &&
                    (r0->ttf[q] == r1->ttf[q] || (isinf(r0->ttf[q]) && isinf(r1->ttf[q])));
        TS_CHECK_MSG(same, "physical MC with zero sigmas differs from the nominal MC");
        TS_CHECK(r1->dc_s > 0 && r0->dc_s == 0);
    }
    /* a tree not from a netlist, or a missing netlist, is rejected */
    m.nl = NULL;
    ts_em_mc_result_destroy(r0);
    ts_em_mc_result_destroy(r1);
    r0 = NULL;
    TS_CHECK_ERR(ts_em_mc_run(list, nt, &p, &o, &m, &r0), TS_ERR_INVAL);
    TS_CHECK(r0 == NULL);
    free(load);
    free(wf);
    free(res);
    ts_em_dc_destroy(cl);
    ts_em_dc_destroy(dc);
    ts_em_tree_list_destroy(list, nt);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

/* KCL residual at every free node: Σ resistor currents leaving + Σ source
 * currents leaving; returns max |residual| / max |term| over nodes. */
static double kcl(const ts_em_netlist *nl, const double *I, const double *Isrc, const char *fixed, double *absres)
{
    double *sum = calloc((size_t)nl->nnodes, sizeof(double)), *mag = calloc((size_t)nl->nnodes, sizeof(double));
    for (int r = 0; r < nl->nres; r++) {
        if (nl->res_a[r] >= 0) sum[nl->res_a[r]] += I[r], mag[nl->res_a[r]] = fmax(mag[nl->res_a[r]], fabs(I[r]));
        if (nl->res_b[r] >= 0) sum[nl->res_b[r]] -= I[r], mag[nl->res_b[r]] = fmax(mag[nl->res_b[r]], fabs(I[r]));
    }
    for (int s = 0; s < nl->ncur; s++) {
        if (nl->cur_a[s] >= 0) sum[nl->cur_a[s]] += Isrc[s];
        if (nl->cur_b[s] >= 0) sum[nl->cur_b[s]] -= Isrc[s];
    }
    double worst = 0, big = 0;
    for (int k = 0; k < nl->nnodes; k++)
        if (!fixed[k]) {
            worst = fmax(worst, fabs(sum[k]));
            big = fmax(big, mag[k]);
        }
    free(sum);
    free(mag);
    *absres = worst;
    return worst / big;
}

/* (2) Kirchhoff's current law in every sample. */
static void test_kcl_every_sample(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_trees *tr = NULL;
    TS_CHECK_OK(ts_em_trees_build(nl, &p, TS_EM_TREES_AUTO, &tr));
    ts_em_dc *dc = NULL, *cl = NULL;
    double scale = 0.4;
    TS_CHECK_OK(ts_em_dc_create(nl, scale, &dc));
    TS_CHECK_OK(ts_em_dc_solve(dc, NULL));
    TS_CHECK_OK(ts_em_dc_clone(dc, &cl));
    char *fixed = calloc((size_t)nl->nnodes, 1);
    for (int s = 0; s < nl->nvs; s++) fixed[nl->vs_a[s] >= 0 ? nl->vs_a[s] : nl->vs_b[s]] = 1;
    size_t nr = (size_t)nl->nres, nc = (size_t)nl->ncur;
    double *load = malloc(nc * sizeof(double)), *wf = malloc(nr * sizeof(double)), *res = malloc(nr * sizeof(double)),
           *Isrc = malloc(nc * sizeof(double)), *Iind = malloc(nr * sizeof(double));
    ts_em_variation v;
    ts_em_variation_default(&v);
    v.vary = TS_EM_VARY_PHYSICAL;
    v.sigma_load = 0.2;
    v.sigma_w = 0.2;
    v.rho = 0.3;
    v.dist = TS_EM_DIST_LOGNORMAL;
    double worst_rel = 0, worst_abs = 0, dmax = 0;
    int nwire = 0;
    for (int s = 0; s < 20; s++) {
        TS_CHECK_OK(ts_em_variation_physical(&v, nl, tr, 3, (uint64_t)s, load, wf, res, NULL, NULL));
        TS_CHECK_OK(ts_em_dc_solve_loads(cl, res, load));
        for (size_t k = 0; k < nc; k++) Isrc[k] = nl->cur_amp[k] * scale * load[k];
        double a = 0, rel = kcl(nl, ts_em_dc_currents(cl), Isrc, fixed, &a);
        worst_rel = fmax(worst_rel, rel);
        worst_abs = fmax(worst_abs, a);
        for (size_t r = 0; r < nr; r++)
            dmax = fmax(dmax, fabs(ts_em_dc_currents(cl)[r] - ts_em_dc_currents(dc)[r]) /
                                  (fabs(ts_em_dc_currents(dc)[r]) + 1e-30));
        /* Ohm's law with the sample's resistances */
        const double *V = ts_em_dc_voltages(cl);
        for (size_t r = 0; r < nr && s == 0; r++) {
            int ia = nl->res_a[r], ib = nl->res_b[r];
            double dv = (ia >= 0 ? V[ia] : 0) - (ib >= 0 ? V[ib] : 0);
            TS_CHECK_CLOSE(ts_em_dc_currents(cl)[r] * res[r], dv, 1e-15, 1e-12);
            nwire += tr->wire_tree[r] >= 0 && wf[r] != 1.0;
        }
    }
    TS_CHECK_MSG(worst_rel < 1e-10 && worst_abs < 1e-12, "KCL: worst residual %g A (%g of the largest branch current)",
                 worst_abs, worst_rel);
    TS_CHECK_MSG(dmax > 0.1, "the draws should move the currents (max relative change %g)", dmax);
    TS_CHECK(nwire > 1000);
    /* contrast: independently drawn branch currents (the CURRENTS mode) break KCL */
    ts_em_variation vi;
    ts_em_variation_default(&vi);
    vi.sigma_j = 0.2;
    TS_CHECK_OK(ts_em_variation_draw(&vi, ts_em_dc_currents(dc), nl->nres, 3, 0, Iind, NULL, NULL));
    for (size_t k = 0; k < nc; k++) Isrc[k] = nl->cur_amp[k] * scale;
    double a = 0, rel = kcl(nl, Iind, Isrc, fixed, &a);
    TS_CHECK_MSG(rel > 1e-3, "independent draws: KCL residual %g of the largest current", rel);
    printf("  KCL, 20 physical samples: %.3g A (%.3g rel); independent draws: %.3g A (%.3g rel)\n", worst_abs,
           worst_rel, a, rel);
    free(fixed);
    free(load);
    free(wf);
    free(res);
    free(Isrc);
    free(Iind);
    ts_em_dc_destroy(cl);
    ts_em_dc_destroy(dc);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

/* (3) Two parallel wires (R1 = 1, R2 = 2 ohm nominal) from a 1 V source to
 * a 1 mA load. Branch 1 carries i1 = I g h, h = 1/(1 + (R1/R2) f2/f1) with
 * f_k lognormal (relative std s_w, s'^2 = ln(1 + s_w^2)) and g lognormal
 * (relative std s_L), independent: f2/f1 = exp(sqrt(2) s' u), u ~ N(0,1), so
 *   E[i1] = I E[h],  Var[i1] = I^2 ((1 + s_L^2) E[h^2] - E[h]^2),
 * with E[h], E[h^2] by the trapezoid rule on u in [-12, 12] (exponentially
 * accurate for this smooth, Gaussian-weighted integrand). */
static void test_parallel_wires(void)
{
    const char *text = "V1 n1_0_0 0 1.0\nR1 n1_0_0 n1_1000_0 1.0\nR2 n1_0_0 n1_1000_0 2.0\nI1 n1_1000_0 0 1e-3\n";
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_parse(text, "parallel.sp", &nl));
    if (!nl) return;
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_trees *tr = NULL;
    TS_CHECK_OK(ts_em_trees_build(nl, &p, TS_EM_TREES_AUTO, &tr));
    ts_em_dc *dc = NULL, *cl = NULL;
    TS_CHECK_OK(ts_em_dc_create(nl, 1.0, &dc));
    TS_CHECK_OK(ts_em_dc_solve(dc, NULL));
    TS_CHECK_CLOSE(ts_em_dc_currents(dc)[0], 1e-3 * 2.0 / 3.0, 0, 1e-11);
    TS_CHECK_OK(ts_em_dc_clone(dc, &cl));
    const double sw = 0.3, sl = 0.15, I = 1e-3, c = 0.5;
    double sp = sqrt(log1p(sw * sw)), Eh = 0, Eh2 = 0, du = 24.0 / 20000;
    for (int k = 0; k <= 20000; k++) {
        double u = -12 + k * du, wgt = (k == 0 || k == 20000 ? 0.5 : 1.0) * du * exp(-0.5 * u * u) / 2.5066282746310002;
        double h = 1.0 / (1.0 + c * exp(sqrt(2.0) * sp * u));
        Eh += wgt * h;
        Eh2 += wgt * h * h;
    }
    double mean_x = I * Eh, sd_x = I * sqrt((1 + sl * sl) * Eh2 - Eh * Eh);
    ts_em_variation v;
    ts_em_variation_default(&v);
    v.vary = TS_EM_VARY_PHYSICAL;
    v.dist = TS_EM_DIST_LOGNORMAL;
    v.sigma_w = sw;
    v.sigma_load = sl;
    enum { N = 4000 };
    static double x[N];
    double load[1], wf[2], res[2], s1 = 0;
    for (int s = 0; s < N; s++) {
        TS_CHECK_OK(ts_em_variation_physical(&v, nl, tr, 11, (uint64_t)s, load, wf, res, NULL, NULL));
        TS_CHECK_OK(ts_em_dc_solve_loads(cl, res, load));
        const double *Ib = ts_em_dc_currents(cl);
        /* per sample: KCL at the load node and the closed-form split. Branch
         * currents are (1 V - v_b)/R with 1 V - v_b ~ 3e-4 V, so they carry
         * ~eps * 1 V/3e-4 V ~ 1e-12 relative rounding: tolerance 1e-11. */
        TS_CHECK_CLOSE(Ib[0] + Ib[1], I * load[0], 0, 1e-11);
        TS_CHECK_CLOSE(Ib[0], I * load[0] / (1.0 + (res[0] / res[1])), 0, 1e-11);
        x[s] = Ib[0];
        s1 += x[s];
    }
    double mean = s1 / N, m2 = 0, m4 = 0;
    for (int s = 0; s < N; s++) {
        double d = x[s] - mean;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    double var = m2 / (N - 1), sd = sqrt(var);
    m4 /= N;
    double se_mean = sd / sqrt(N), se_sd = sqrt(fmax(m4 - var * var, 0) / N) / (2 * sd); /* delta method, sample kurtosis */
    double zm = (mean - mean_x) / se_mean, zs = (sd - sd_x) / se_sd;
    printf("  parallel wires: mean %.6e vs %.6e A (%.2f SE), std %.6e vs %.6e A (%.2f SE), N = %d\n", mean, mean_x, zm,
           sd, sd_x, zs, N);
    TS_CHECK_MSG(fabs(zm) < 4.5 && fabs(zs) < 4.5, "MC vs quadrature: %.2f and %.2f SE (tolerance 4.5)", zm, zs);
    /* sensitivity: a 10 % wrong width sigma is detected */
    double sp2 = sqrt(log1p(1.1 * sw * 1.1 * sw)), Eh_b = 0, Eh2_b = 0;
    for (int k = 0; k <= 20000; k++) {
        double u = -12 + k * du, wgt = (k == 0 || k == 20000 ? 0.5 : 1.0) * du * exp(-0.5 * u * u) / 2.5066282746310002;
        double h = 1.0 / (1.0 + c * exp(sqrt(2.0) * sp2 * u));
        Eh_b += wgt * h;
        Eh2_b += wgt * h * h;
    }
    double sd_b = I * sqrt((1 + sl * sl) * Eh2_b - Eh_b * Eh_b);
    TS_CHECK_MSG(fabs(sd - sd_b) / se_sd > 4.5, "a 10 %% wrong sigma_w should be detected (%.2f SE)",
                 fabs(sd - sd_b) / se_sd);
    ts_em_dc_destroy(cl);
    ts_em_dc_destroy(dc);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

/* (4) rho = 1, normal loads, no width variation: every load is scaled by
 * g = 1 + s z_0, the network is linear, so every branch current is g times
 * the nominal one (armcore's voltage sources alone drive no current: no
 * resistor goes to ground, so their solution is v = VDD everywhere); with a void at t = 0 and σ_T = 0 the FV stress is linear
 * and homogeneous in G, so each sample's stress is g σ_nominal: the MC mean
 * and std are σ_nom mean(g) and |σ_nom| std(g) to round-off. */
static void test_common_load_factor(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    small_options(&o);
    ts_em_trees *tr = NULL;
    ts_em_tree **list = NULL;
    int nt = 0;
    TS_CHECK_OK(ts_em_tree_from_netlist(nl, &p, &o, &tr, &list, &nt));
    for (int i = 0; i < nt; i++) list[i]->void_vertex = 0;
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = 1;
    m.var.sigma_j = 0;
    ts_em_mc_result *r0 = NULL, *r1 = NULL;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &r0));
    m.samples = 6;
    m.seed = 9;
    m.var.vary = TS_EM_VARY_PHYSICAL;
    m.var.sigma_load = 0.25;
    m.var.rho = 1;
    m.nl = nl;
    m.tr = tr;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &r1));
    double g[6], gm = 0, gv = 0;
    double *load = malloc((size_t)nl->ncur * sizeof(double)), *wf = malloc((size_t)nl->nres * sizeof(double)),
           *res = malloc((size_t)nl->nres * sizeof(double));
    for (int s = 0; s < 6; s++) {
        TS_CHECK_OK(ts_em_variation_physical(&m.var, nl, tr, 9, (uint64_t)s, load, wf, res, NULL, NULL));
        g[s] = load[0];
        for (int k = 1; k < nl->ncur; k++) TS_CHECK(load[k] == g[s]);
        gm += g[s] / 6;
    }
    for (int s = 0; s < 6; s++) gv += (g[s] - gm) * (g[s] - gm) / 5;
    if (r0 && r1) {
        double worst_m = 0, worst_s = 0, big = 0;
        size_t n = (size_t)r0->nt * r0->nvert_total;
        for (size_t q = 0; q < n; q++) {
            double a = r0->stat[q].mean;
            big = fmax(big, fabs(a));
            worst_m = fmax(worst_m, fabs(r1->stat[q].mean - a * gm));
            worst_s = fmax(worst_s, fabs(ts_em_stat_std(&r1->stat[q]) - fabs(a) * sqrt(gv)));
        }
        printf("  rho = 1: mean error %.3g Pa, std error %.3g Pa of %.3g Pa (std(g) = %.3f)\n", worst_m, worst_s, big,
               sqrt(gv));
        TS_CHECK_MSG(worst_m <= 1e-10 * big && worst_s <= 1e-10 * big, "%g %g of %g", worst_m, worst_s, big);
        TS_CHECK(sqrt(gv) > 0.05);
    }
    /* thread determinism with loads and widths varied: 1 vs 2 threads bitwise */
    m.var.rho = 0.3;
    m.var.sigma_w = 0.1;
    m.var.dist = TS_EM_DIST_LOGNORMAL;
    m.samples = 4;
    m.batch = 4;
    ts_em_mc_result *ra = NULL, *rb = NULL;
    o.nthreads = 1;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &ra));
    o.nthreads = 2;
    TS_CHECK_OK(ts_em_mc_run(list, nt, &p, &o, &m, &rb));
    if (ra && rb) {
        int same = 1;
        for (size_t q = 0; q < (size_t)ra->nt * ra->nvert_total; q++)
            same &= ra->stat[q].mean == rb->stat[q].mean && ra->stat[q].m2 == rb->stat[q].m2;
        TS_CHECK_MSG(same, "physical MC: 1 and 2 threads differ");
    }
    ts_em_mc_result_destroy(ra);
    ts_em_mc_result_destroy(rb);
    free(load);
    free(wf);
    free(res);
    ts_em_mc_result_destroy(r0);
    ts_em_mc_result_destroy(r1);
    ts_em_tree_list_destroy(list, nt);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

int main(void)
{
    TS_RUN(test_zero_sigma);
    TS_RUN(test_kcl_every_sample);
    TS_RUN(test_parallel_wires);
    TS_RUN(test_common_load_factor);
    return ts_test_summary();
}
