/* DC analysis: armcore against EMspice's node voltages, topology errors,
 * and trees of armcore (by name and by connectivity). */
#include "ts_test.h"
#include "tinsel/em.h"

/* tree_node_voltage.txt prints 6 decimals: rounding error <= 5e-7 V; the
 * solvers agree far below that (1e-9 V margin). */
#define TOL_V (5e-7 + 1e-9)

static ts_em_netlist *armcore(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/em/armcore.sp", TS_SOURCE_DIR);
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_read(path, &nl));
    return nl;
}

static void test_armcore_voltages(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    TS_CHECK(nl->nres == 2128 && nl->ncur == 1168 && nl->nvs == 2);
    ts_em_dc *dc = NULL;
    TS_CHECK_OK(ts_em_dc_create(nl, 0.4, &dc));
    TS_CHECK_OK(ts_em_dc_solve(dc, NULL));
    char path[1024];
    snprintf(path, sizeof path, "%s/data/em/emspice-armcore/tree_node_voltage.txt", TS_SHARED_DIR);
    FILE *fp = fopen(path, "r");
    TS_CHECK(fp != NULL);
    if (fp && dc) {
        char name[256];
        double ref, worst = 0;
        int n = 0, missing = 0;
        const double *v = ts_em_dc_voltages(dc);
        while (fscanf(fp, "%255s %lf", name, &ref) == 2) {
            int k = ts_em_netlist_find(nl, name);
            if (k < 0) {
                missing++;
                continue;
            }
            if (fabs(v[k] - ref) > worst) worst = fabs(v[k] - ref);
            n++;
        }
        fclose(fp);
        printf("     armcore vs EMspice: %d node voltages, max |dV| = %.3g V\n", n, worst);
        TS_CHECK(n == 4392 && missing == 0);
        TS_CHECK(worst <= TOL_V);
        /* Kirchhoff: current into every free node sums to zero */
        const double *I = ts_em_dc_currents(dc);
        double *net = calloc((size_t)nl->nnodes, sizeof(double));
        for (int r = 0; r < nl->nres; r++) {
            net[nl->res_a[r]] -= I[r];
            net[nl->res_b[r]] += I[r];
        }
        for (int s = 0; s < nl->ncur; s++) net[nl->cur_a[s]] -= 0.4 * nl->cur_amp[s];
        double kcl = 0;
        for (int k = 0; k < nl->nnodes; k++) {
            int fixed = 0;
            for (int s = 0; s < nl->nvs; s++) fixed |= nl->vs_a[s] == k;
            if (!fixed && fabs(net[k]) > kcl) kcl = fabs(net[k]);
        }
        printf("     max KCL residual %.3g A\n", kcl);
        TS_CHECK(kcl < 1e-12);
        free(net);
    }
    ts_em_dc_destroy(dc);
    ts_em_netlist_destroy(nl);
}

static void test_armcore_trees(void)
{
    ts_em_netlist *nl = armcore();
    if (!nl) return;
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_trees *t = NULL;
    TS_CHECK_OK(ts_em_trees_build(nl, &p, TS_EM_TREES_AUTO, &t));
    if (t) {
        int mn = 1 << 30, mx = 0, loops = 0;
        for (int i = 0; i < t->ntrees; i++) {
            int n = t->tree_first[i + 1] - t->tree_first[i];
            mn = n < mn ? n : mn;
            mx = n > mx ? n : mx;
            loops += t->tree_loops[i] > 0;
        }
        /* notes/em.md: 68 trees of 3-34 segments, all chains */
        TS_CHECK(t->ntrees == 68 && mn == 3 && mx == 34 && loops == 0);
        TS_CHECK(strcmp(t->tree_names[0], "R27-100") == 0);
        int r = 0; /* R27-100-100: 5000 nm long */
        TS_CHECK_CLOSE(t->wire_len[r], 5e-6, 0, 1e-12);
        TS_CHECK_CLOSE(t->wire_width[r], 3e-8 * 5e-6 / (0.736842 * 6e-7), 0, 1e-12);
    }
    ts_em_trees_destroy(t);
    t = NULL;
    TS_CHECK_OK(ts_em_trees_build(nl, &p, TS_EM_TREES_BY_CONNECTIVITY, &t));
    if (t) {
        /* every node is on layer n1: one mesh with loops */
        TS_CHECK(t->ntrees == 1 && t->tree_loops[0] == 2128 - 1168 + 1);
    }
    ts_em_trees_destroy(t);
    ts_em_netlist_destroy(nl);
}

static void expect_dc_error(const char *text, int code, const char *what)
{
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_parse(text, "t.sp", &nl));
    ts_em_dc *dc = NULL;
    TS_CHECK_ERR(ts_em_dc_create(nl, 1.0, &dc), code);
    TS_CHECK_MSG(strstr(ts_error_message(), what) != NULL, "'%s' lacks '%s'", ts_error_message(), what);
    TS_CHECK(dc == NULL);
    ts_em_netlist_destroy(nl);
}

static void test_topology_errors(void)
{
    expect_dc_error("V1 a 0 1\nR1 a b 1\nR2 c d 1\n", TS_ERR_SINGULAR, "singular grid: node 'c'");
    expect_dc_error("V1 a 0 1\nR1 a b 1\nI1 e 0 1m\n", TS_ERR_PARSE, "t.sp:3: dangling node 'e'");
    expect_dc_error("V1 a b 1\nR1 a b 1\nR2 b 0 1\n", TS_ERR_UNSUPPORTED, "two non-ground nodes");
    expect_dc_error("V1 a 0 1\nV2 a 0 2\nR1 a b 1\n", TS_ERR_UNSUPPORTED, "two voltage sources");
}

static void test_tree_geometry_errors(void)
{
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_parse("V1 n1_0_0 0 1\nR1 n1_0_0 n1_00_0 1\n", "z.sp", &nl));
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_trees *t = NULL;
    TS_CHECK_ERR(ts_em_trees_build(nl, &p, TS_EM_TREES_AUTO, &t), TS_ERR_RANGE);
    TS_CHECK(strstr(ts_error_message(), "z.sp:2: wire 'R1' has zero length") != NULL);
    ts_em_netlist_destroy(nl);
}

int main(void)
{
    TS_RUN(test_armcore_voltages);
    TS_RUN(test_armcore_trees);
    TS_RUN(test_topology_errors);
    TS_RUN(test_tree_geometry_errors);
    return ts_test_summary();
}
