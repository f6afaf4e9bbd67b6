/* Full tier: time-step convergence of armcore's nucleation times and TTFs,
 * and the IBM-class synthetic grid (about 30k resistors, trees of 1 to
 * >1000 segments, loops) over 10 years. */
#include "ts_test.h"
#include "tinsel/em.h"

static void test_armcore_time_convergence(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/em/armcore.sp", TS_SOURCE_DIR);
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_read(path, &nl));
    if (!nl) return;
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_result *r[3] = {NULL, NULL, NULL};
    const int nsub[3] = {5, 20, 80}, spd[3] = {20, 80, 320};
    for (int k = 0; k < 3; k++) {
        ts_em_options o;
        ts_em_options_default(&o);
        o.current_scale = 0.4;
        o.nsub = nsub[k];
        o.steps_per_decade = spd[k];
        TS_CHECK_OK(ts_em_analyze(nl, &p, &o, NULL, &r[k]));
    }
    if (r[0] && r[1] && r[2]) {
        double e01 = 0, e12 = 0;
        int n = 0;
        for (int i = 0; i < r[0]->ntrees; i++) {
            if (!isfinite(r[2]->ttf[i])) continue;
            TS_CHECK(isfinite(r[0]->ttf[i]) && isfinite(r[1]->ttf[i]));
            double ref = r[2]->ttf[i];
            e01 = fmax(e01, fabs(r[0]->ttf[i] - ref) / ref);
            e12 = fmax(e12, fabs(r[1]->ttf[i] - ref) / ref);
            n++;
        }
        printf("     armcore TTF vs 16x finer steps (%d failing trees): default %.3g, 4x finer %.3g (relative)\n", n,
               e01, e12);
        TS_CHECK(n > 0);
        /* BE is first order: 4x finer steps must shrink the error about 4x (>= 2x) */
        TS_CHECK(e12 < 0.5 * e01 || e01 < 1e-3);
        /* the default steps give TTFs within 5 % (documented accuracy of the defaults) */
        TS_CHECK(e01 < 0.05);
    }
    for (int k = 0; k < 3; k++) ts_em_result_destroy(r[k]);
    ts_em_netlist_destroy(nl);
}

static void test_ibm_class_grid(void)
{
    char *text = NULL;
    TS_CHECK_OK(ts_em_grid_synth(20, 1500, 60, 40000, 11, &text));
    ts_em_netlist *nl = NULL;
    if (text) TS_CHECK_OK(ts_em_netlist_parse(text, "ibm-class.sp", &nl));
    free(text);
    if (!nl) return;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    ts_em_result *r = NULL;
    TS_CHECK_OK(ts_em_analyze(nl, &p, &o, NULL, &r));
    if (r) {
        int mx = 0, mn = 1 << 30, loops = 0;
        for (int i = 0; i < r->ntrees; i++) {
            mx = r->nseg[i] > mx ? r->nseg[i] : mx;
            mn = r->nseg[i] < mn ? r->nseg[i] : mn;
            loops += r->loops[i] > 0;
        }
        printf("     %d resistors, %d trees (%d..%d segments, %d with loops), %ld points, %.2f s\n", nl->nres,
               r->ntrees, mn, mx, loops, r->points, r->wall_s);
        TS_CHECK(nl->nres > 30000 && r->ntrees > 500 && mn == 1 && mx > 1000 && loops > 0);
        int finite = 1;
        for (size_t i = 0; i < (size_t)r->nt * r->nvert_total; i++) finite &= isfinite(r->vert_sigma[i]) != 0;
        TS_CHECK(finite);
    }
    ts_em_result_destroy(r);
    ts_em_netlist_destroy(nl);
}

int main(void)
{
    TS_RUN(test_armcore_time_convergence);
    TS_RUN(test_ibm_class_grid);
    return ts_test_summary();
}
