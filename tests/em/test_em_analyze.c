/* Whole-grid analysis: armcore stresses against the SciPy finite-volume
 * golden (tests/oracles/em/emspice_armcore.py), a one-wire grid whose
 * nucleation time and void growth follow from the closed forms, thread
 * determinism, and a synthetic grid with meshes. */
#include "ts_test.h"
#include "tinsel/em.h"

#define YEAR 3.15576e7

static ts_em_netlist *armcore(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/em/armcore.sp", TS_SOURCE_DIR);
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_read(path, &nl));
    return nl;
}

/* Same discretisation (BE, 19 cells, 9 steps of 1.5552e6 s), independent
 * assembly and sparse LU in SciPy: agreement to 1e-8 of the largest stress
 * (DC solutions differ at the 1e-12 level; BE amplifies nothing). */
static void test_armcore_vs_scipy_golden(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    p.sigma_crit = 1e15; /* nucleation phase only */
    o.current_scale = 0.4;
    o.years = 9 * 1.5552e6 / YEAR;
    o.nout = 1;
    o.nsub = 9;
    o.steps_per_decade = 0; /* 9 uniform steps as in the golden */
    ts_em_trees *tr = NULL;
    ts_em_result *r = NULL;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, &tr, &r));
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/em/data/armcore_fv_golden.csv", TS_SOURCE_DIR);
    FILE *fp = fopen(path, "r");
    TS_CHECK(fp != NULL);
    if (r && fp) {
        char line[512], tname[128], node[128];
        double s, worst = 0, smax = 0;
        int n = 0;
        while (fgets(line, sizeof line, fp)) {
            if (sscanf(line, "%127[^,],%127[^,],%lf", tname, node, &s) != 3) continue;
            int k = ts_em_netlist_find(nl, node), found = 0;
            for (int v = 0; v < r->nvert_total; v++)
                if (r->vert_node[v] == k && strcmp(tr->tree_names[r->vert_tree[v]], tname) == 0) {
                    double mine = r->vert_sigma[(size_t)(r->nt - 1) * r->nvert_total + v];
                    if (fabs(mine - s) > worst) worst = fabs(mine - s);
                    found = 1;
                }
            if (fabs(s) > smax) smax = fabs(s);
            TS_CHECK(found);
            n++;
        }
        printf("     armcore, 27 trees, %d nodes: max |diff| %.3g Pa of max %.3g Pa\n", n, worst, smax);
        TS_CHECK(n == 859);
        TS_CHECK(worst <= 1e-8 * smax);
    }
    if (fp) fclose(fp);
    ts_em_result_destroy(r);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

/* Bisection on the closed form for σ(L, t) = σ_crit. */
static double closed_form_tnuc(double L, double kappa, double phi, double scrit)
{
    double lo = 1, hi = 1e10;
    for (int it = 0; it < 200; it++) {
        double mid = sqrt(lo * hi);
        ts_em_segment s = {0, L, kappa, phi, phi, NULL, 0, 0, ts_em_segment_P(L, kappa, mid), 0};
        if (ts_em_segment_stress(&s, L, mid) >= scrit) hi = mid;
        else lo = mid;
    }
    return sqrt(lo * hi);
}

static void test_single_wire_lifetime(void)
{
    /* 50 um wire, R = 1 ohm: w = rho l/(R t) = 2.5 um, j = I/(w t) = 1e10 A/m^2 for I = 15 mA */
    const char *text = "V1 n1_0_0 0 1.0\nR1 n1_0_0 n1_50000_0 1.0\nI1 n1_50000_0 0 0.015\n.end\n";
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_parse(text, "wire.sp", &nl));
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    p.delta = 0;         /* Dirichlet void: the closed form (eq. 10) applies */
    p.dr_threshold = 1e9; /* follow the growth to the horizon */
    p.open_on_width = 0;
    o.years = 0.5;
    o.nout = 100;
    o.nsub = 20;
    o.ncell = 100;
    o.theta = 0.5;
    o.resolve_dc = 0;
    ts_em_trees *tr = NULL;
    ts_em_result *r = NULL;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, &tr, &r));
    if (!r) {
        ts_em_netlist_destroy(nl);
        return;
    }
    double kappa = ts_em_kappa(&p), L = 50e-6, w = 2.5e-6;
    double G = ts_em_G(&p, 0.015 / (w * p.thickness)); /* along a -> b, negative */
    double tn = closed_form_tnuc(L, kappa, -G, p.sigma_crit);
    double dt = o.years * YEAR / (o.nout * o.nsub);
    printf("     t_nuc: analysis %.6g s, closed form %.6g s (step %.3g s)\n", r->t_nuc[0], tn, dt);
    /* linear interpolation within a CN step: error well below one step */
    TS_CHECK(fabs(r->t_nuc[0] - tn) < 0.5 * dt);
    /* void growth: closed form (eq. 10, void at x = L) from the t_nuc profile */
    const int nh = 4001;
    double *h = malloc(nh * sizeof(double));
    ts_em_segment s0 = {0, L, kappa, -G, -G, NULL, 0, 0, ts_em_segment_P(L, kappa, tn), 0};
    for (int k = 0; k < nh; k++) h[k] = ts_em_segment_stress(&s0, L * k / (nh - 1), tn);
    double tend = o.years * YEAR;
    ts_em_segment s1 = {1, L, kappa, -G, 0, h, nh, 0, ts_em_segment_P(L, kappa, tend - tn), 400};
    double integ = 0;
    for (int k = 0; k < nh; k++) {
        double x = L * k / (nh - 1), wt = (k == 0 || k == nh - 1) ? 0.5 : 1.0;
        integ += wt * ts_em_segment_stress(&s1, x, tend - tn) * L / (nh - 1);
    }
    double lv = -integ / p.B;
    printf("     void length at %.3g s: analysis %.6g m, closed form %.6g m\n", tend, r->void_len[0], lv);
    /* t_nuc is known to a fraction of a step: 1 % on the void length */
    TS_CHECK_CLOSE(r->void_len[0], lv, 0, 0.01);
    double dr = p.rho_ta * lv / (p.h_ta * w) / 1.0;
    TS_CHECK_CLOSE(r->dr_rel[0], dr, 0, 0.01);
    /* the full form also removes the copper the void displaced */
    ts_em_result *r2 = NULL;
    p.dr_full = 1;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, NULL, &r2));
    if (r2) {
        TS_CHECK_CLOSE(r2->void_len[0], r->void_len[0], 0, 1e-12);
        double dr2 = r->void_len[0] * (p.rho_ta / (p.h_ta * w) - p.rho_cu / (p.h_cu * w)) / 1.0;
        TS_CHECK_CLOSE(r2->dr_rel[0], dr2, 0, 1e-9);
    }
    ts_em_result_destroy(r2);
    free(h);
    ts_em_result_destroy(r);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

static void test_threads_deterministic(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.current_scale = 0.4;
    o.nout = 10;
    ts_em_result *a = NULL, *b = NULL;
    o.nthreads = 1;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, NULL, &a));
    o.nthreads = 2;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, NULL, &b));
    if (a && b) {
        int same = a->nvert_total == b->nvert_total;
        for (size_t i = 0; same && i < (size_t)a->nt * a->nvert_total; i++) same = a->vert_sigma[i] == b->vert_sigma[i];
        for (int i = 0; same && i < a->ntrees; i++)
            same = (a->ttf[i] == b->ttf[i] || (isinf(a->ttf[i]) && isinf(b->ttf[i])));
        TS_CHECK(same);
        int nf = 0;
        for (int i = 0; i < a->ntrees; i++) {
            nf += isfinite(a->ttf[i]) != 0;
            if (isfinite(a->ttf[i])) TS_CHECK(a->ttf[i] >= a->t_nuc[i]);
        }
        printf("     armcore 10 years: %d of %d trees fail, grid TTF %.3g years, %.3f s\n", nf, a->ntrees,
               a->grid_ttf / YEAR, a->wall_s);
        TS_CHECK(nf > 0);
        /* without the DC re-solve the voided wires keep their resistance: results differ */
        ts_em_result *c = NULL;
        o.resolve_dc = 0;
        TS_CHECK_OK(ts_em_analyze(nl, &p, &o, NULL, &c));
        if (c) {
            int differ = 0;
            for (size_t i = 0; i < (size_t)a->nt * a->nvert_total; i++) differ |= a->vert_sigma[i] != c->vert_sigma[i];
            TS_CHECK(differ);
        }
        ts_em_result_destroy(c);
    }
    ts_em_result_destroy(a);
    ts_em_result_destroy(b);
    ts_em_netlist_destroy(nl);
}

static void test_synthetic_meshes(void)
{
    char *text = NULL;
    TS_CHECK_OK(ts_em_grid_synth(10, 120, 40, 40000, 3, &text));
    ts_em_netlist *nl = NULL;
    if (text) TS_CHECK_OK(ts_em_netlist_parse(text, "synth.sp", &nl));
    free(text);
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    o.nout = 10;
    ts_em_trees *tr = NULL;
    ts_em_result *r = NULL;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, &tr, &r));
    if (r) {
        int loops = 0;
        for (int i = 0; i < r->ntrees; i++) loops += r->loops[i] > 0;
        printf("     synthetic grid: %d trees, %d with loops, %ld points, %.3f s\n", r->ntrees, loops, r->points,
               r->wall_s);
        TS_CHECK(loops > 0);
        for (size_t i = 0; i < (size_t)r->nt * r->nvert_total; i++)
            if (!isfinite(r->vert_sigma[i])) {
                TS_CHECK(isfinite(r->vert_sigma[i]));
                break;
            }
    }
    ts_em_result_destroy(r);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
}

int main(void)
{
    TS_RUN(test_armcore_vs_scipy_golden);
    TS_RUN(test_single_wire_lifetime);
    TS_RUN(test_threads_deterministic);
    TS_RUN(test_synthetic_meshes);
    return ts_test_summary();
}
