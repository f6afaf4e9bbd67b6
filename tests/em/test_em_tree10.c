/* The BPINN on a user tree from a netlist (issue #10 item 6): the
 * 10-segment tree of tests/em/data/tree10.sp (a copy of examples/em/tree10.sp;
 * our geometry in the shape of seed 003 Fig. 4: void at node 1 = n1_0_0,
 * junctions 2, 5, 7 = n1_30000_0, n1_75000_0, n1_100000_0). Trained with
 * the configuration docs/em.md recommends for correlated currents (rho = 1,
 * standardised inputs, Adam 300 + BFGS 2000), the BPINN's mean and std over
 * 100 draws must match the exact-flux-oracle Monte Carlo on the same draws
 * at the reported nodes and over the tree. The same metric must flag the
 * default configuration and a wrong reference (independent currents), and a
 * void at a junction must be rejected. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ts_test.h"
#include "em_oracle.h"

#define YEAR 3.15576e7
/* Tolerances (docs/em.md, "The 10-segment tree"): measured with this
 * configuration at the nodes 0.11-0.14 % (mean, of the tree's stress range)
 * and 0.6-2.9 % (std, of the largest std); over the tree 0.39 % and 2.7 %.
 * About 7x / 3.5x margin for other compilers and CPUs (the BFGS path may
 * differ in the last bits). The default configuration measures 16-54 % (std)
 * at the junctions, independent currents as reference > 40 %. */
#define MEAN_TOL 0.01
#define STD_TOL 0.10

static const char *const NODES[4] = {"n1_0_0", "n1_30000_0", "n1_75000_0", "n1_100000_0"};

static ts_em_tree *read_tree(const ts_em_params *p)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/em/data/tree10.sp", TS_SOURCE_DIR);
    ts_em_netlist *nl = NULL;
    ts_em_tree **list = NULL, *t = NULL;
    int n = 0;
    ts_em_options o;
    ts_em_options_default(&o);
    TS_CHECK_OK(ts_em_netlist_read(path, &nl));
    if (nl) TS_CHECK_OK(ts_em_tree_from_netlist(nl, p, &o, NULL, &list, &n));
    TS_CHECK(n == 1);
    if (n == 1) {
        t = list[0];
        list[0] = NULL;
        TS_CHECK_OK(ts_em_tree_name_vertices(t, nl));
        TS_CHECK(t->nwire == 10 && t->nvert == 11);
    }
    ts_em_tree_list_destroy(list, n);
    ts_em_netlist_destroy(nl);
    return t;
}

/* RMSE over t_n > 0 of the BPINN's mean and std against the reference at
 * vertex v (v < 0: all vertices), relative to the reference's mean range and
 * largest std. */
static void errors(const double *bm, const double *bs, const double *om, const double *os, int K, int nv, int v,
                   double *em, double *es)
{
    double mx = -INFINITY, mn = INFINITY, smax = 0, a = 0, b = 0;
    for (size_t q = 0; q < (size_t)(K + 1) * nv; q++) {
        mx = fmax(mx, om[q]);
        mn = fmin(mn, om[q]);
        smax = fmax(smax, os[q]);
    }
    long cnt = 0;
    for (int n = 1; n <= K; n++)
        for (int u = 0; u < nv; u++) {
            if (v >= 0 && u != v) continue;
            size_t q = (size_t)n * nv + u;
            a += (bm[q] - om[q]) * (bm[q] - om[q]);
            b += (bs[q] - os[q]) * (bs[q] - os[q]);
            cnt++;
        }
    *em = sqrt(a / cnt) / (mx - mn);
    *es = sqrt(b / cnt) / smax;
}

/* Train with (zscore, adam, bfgs), predict 100 draws at rho = 1 and return
 * the worst node errors against the oracle with correlation rho_ref. */
static void run_case(const ts_em_tree *t, const ts_em_params *p, int zscore, int adam, int bfgs, double rho_ref,
                     double *worst_m, double *worst_s, double *tree_m, double *tree_s)
{
    ts_em_bpinn_options o;
    ts_em_bpinn_options_default(&o);
    o.var.rho = 1;
    o.nthreads = 1;
    if (zscore) o.inputs = TS_EM_BPINN_IN_ZSCORE;
    o.adam_steps = adam;
    o.bfgs_steps = bfgs;
    ts_em_bpinn *b = NULL;
    *worst_m = *worst_s = *tree_m = *tree_s = INFINITY;
    TS_CHECK_OK(ts_em_bpinn_train(t, p, 10 * YEAR, &o, &b));
    if (!b) return;
    int K = o.K, nv = t->nvert;
    size_t nq = (size_t)(K + 1) * nv;
    long N = 100;
    double *bm = malloc(nq * 8), *bs = malloc(nq * 8), *om = malloc(nq * 8), *os = malloc(nq * 8);
    ts_em_variation vref = o.var;
    vref.rho = rho_ref;
    if (bm && bs && om && os) {
        TS_CHECK_OK(ts_em_bpinn_predict(b, &o.var, N, 1, bm, bs, NULL, NULL));
        oracle_moments(ts_em_bpinn_jmodel(b), t, &vref, K, N, 1, om, os);
        *worst_m = *worst_s = 0;
        for (int k = 0; k < 4; k++) {
            int v = ts_em_tree_find_vertex(t, NODES[k]);
            TS_CHECK(v >= 0);
            double em, es;
            errors(bm, bs, om, os, K, nv, v, &em, &es);
            printf("  node %-12s mean %.3g %%, std %.3g %%\n", NODES[k], 100 * em, 100 * es);
            *worst_m = fmax(*worst_m, em);
            *worst_s = fmax(*worst_s, es);
        }
        errors(bm, bs, om, os, K, nv, -1, tree_m, tree_s);
        printf("  tree              mean %.3g %%, std %.3g %%\n", 100 * *tree_m, 100 * *tree_s);
    }
    free(bm);
    free(bs);
    free(om);
    free(os);
    ts_em_bpinn_destroy(b);
}

static void test_tree10_bpinn(void)
{
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_tree *t = read_tree(&p);
    if (!t) return;
    /* the void must be a leaf: a junction is rejected */
    ts_em_bpinn_options o;
    ts_em_bpinn_options_default(&o);
    o.adam_steps = 1;
    ts_em_bpinn *b = NULL;
    t->void_vertex = ts_em_tree_find_vertex(t, "n1_30000_0");
    TS_CHECK(t->void_vertex >= 0);
    TS_CHECK(ts_em_bpinn_train(t, &p, 10 * YEAR, &o, &b) == TS_ERR_UNSUPPORTED);
    TS_CHECK(b == NULL);
    t->void_vertex = ts_em_tree_find_vertex(t, "n1_0_0");
    TS_CHECK(t->void_vertex >= 0);
    if (t->void_vertex < 0) {
        ts_em_tree_destroy(t);
        return;
    }
    double wm, ws, tm, tsd;
    printf("zscore + BFGS, rho = 1, against the oracle at rho = 1:\n");
    run_case(t, &p, 1, 300, 2000, 1, &wm, &ws, &tm, &tsd);
    TS_CHECK_MSG(wm < MEAN_TOL && tm < MEAN_TOL, "mean error %.3g (nodes) %.3g (tree) > %g", wm, tm, MEAN_TOL);
    TS_CHECK_MSG(ws < STD_TOL && tsd < STD_TOL, "std error %.3g (nodes) %.3g (tree) > %g", ws, tsd, STD_TOL);
    /* the metric can fail: a wrong reference (independent currents) ... */
    printf("the same model against the oracle at rho = 0 (wrong reference):\n");
    run_case(t, &p, 1, 300, 2000, 0, &wm, &ws, &tm, &tsd);
    TS_CHECK_MSG(ws > STD_TOL, "wrong reference not detected: std error %.3g", ws);
    /* ... and the default configuration (j/1e9 inputs, Adam only), which
     * docs/em.md reports as inaccurate for the std */
    printf("defaults, rho = 1:\n");
    run_case(t, &p, 0, 1500, 0, 1, &wm, &ws, &tm, &tsd);
    TS_CHECK_MSG(ws > STD_TOL, "default configuration unexpectedly within the tolerance: std error %.3g", ws);
    ts_em_tree_destroy(t);
}

/* The vertex names travel in the model file; a names list that does not
 * match the vertices is a format error. */
static void test_tree10_names_in_model(void)
{
    ts_em_params p;
    ts_em_params_default(&p);
    ts_em_tree *t = read_tree(&p);
    if (!t) return;
    t->void_vertex = ts_em_tree_find_vertex(t, "n1_0_0");
    ts_em_bpinn_options o;
    ts_em_bpinn_options_default(&o);
    o.K = 4;
    o.adam_steps = 5;
    o.burnin = 1;
    o.samples = 2;
    ts_em_bpinn *b = NULL, *b2 = NULL;
    TS_CHECK_OK(ts_em_bpinn_train(t, &p, 10 * YEAR, &o, &b));
    char *dir = ts_test_tmpdir("em_tree10");
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", dir ? dir : ".");
    if (b) TS_CHECK_OK(ts_em_bpinn_save(b, path));
    TS_CHECK_OK(ts_em_bpinn_load(path, &b2));
    if (b2) {
        const ts_em_tree *t2 = ts_em_bpinn_tree(b2);
        TS_CHECK(t2->vert_name != NULL);
        for (int v = 0; t2->vert_name && v < t->nvert; v++) TS_CHECK(!strcmp(t2->vert_name[v], t->vert_name[v]));
        TS_CHECK(ts_em_tree_find_vertex(t2, "n1_100000_0") == ts_em_tree_find_vertex(t, "n1_100000_0"));
    }
    /* join two names in the header (same length): 10 names for 11 vertices */
    FILE *fp = fopen(path, "r+b");
    char head[8192];
    size_t n = fp ? fread(head, 1, sizeof head - 1, fp) : 0;
    head[n] = '\0';
    char *key = NULL;
    for (size_t i = 0; i + 16 < n && !key; i++)
        if (!memcmp(head + i, "\"vertex_names\":\"", 16)) key = head + i + 16;
    char *sp = key ? strchr(key, ' ') : NULL;
    TS_CHECK(sp != NULL);
    if (fp && sp) {
        fseek(fp, (long)(sp - head), SEEK_SET);
        fputc('_', fp);
    }
    if (fp) fclose(fp);
    ts_em_bpinn *b3 = NULL;
    TS_CHECK(ts_em_bpinn_load(path, &b3) == TS_ERR_FORMAT);
    TS_CHECK(b3 == NULL);
    TS_CHECK(strstr(ts_error_message(), "10 names for 11 vertices") != NULL);
    ts_em_bpinn_destroy(b);
    ts_em_bpinn_destroy(b2);
    ts_em_tree_destroy(t);
    free(dir);
}

int main(void)
{
    TS_RUN(test_tree10_bpinn);
    TS_RUN(test_tree10_names_in_model);
    return ts_test_summary();
}
