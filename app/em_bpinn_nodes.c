/* `tinsel em bpinn predict --nodes LIST`: the seed's Fig. 4 (b)-(e) for
 * chosen tree nodes — mean ± std of the stress over time from the BPINN,
 * the finite-volume Monte Carlo and the exact-flux-oracle Monte Carlo on
 * the same draws (issue #10 item 6). Outputs nodes.csv, node_errors.csv and
 * one PNG per node (node_<label>.png). Units: SI (s, Pa); plots in years
 * and MPa. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "em_mc.h"

#define YEAR_S 3.15576e7

int em_bpinn_parse_nodes(const char *spec, const ts_em_tree *t, em_node_sel *sel, int *nsel)
{
    char buf[2048];
    *nsel = 0;
    if (strlen(spec) >= sizeof buf) return ts_error_set(TS_ERR_RANGE, "--nodes: list too long");
    strcpy(buf, spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*nsel == EM_MAX_NODES) return ts_error_set(TS_ERR_RANGE, "--nodes: at most %d nodes", EM_MAX_NODES);
        char *eq = strchr(tok, '='), *node = eq ? eq + 1 : tok;
        if (eq) *eq = '\0';
        const char *label = tok;
        if (!*label || !*node) return ts_error_set(TS_ERR_INVAL, "--nodes: empty entry in '%s' (expected NODE or LABEL=NODE)", spec);
        if (strlen(label) >= sizeof sel->label || strlen(node) >= sizeof sel->node)
            return ts_error_set(TS_ERR_RANGE, "--nodes: name '%s' too long", node);
        int v = ts_em_tree_find_vertex(t, node);
        if (v < 0 && !t->vert_name) {
            char *end;
            long k = strtol(node, &end, 10);
            if (*end == '\0' && end != node && k >= 0 && k < t->nvert) v = (int)k;
        }
        if (v < 0)
            return ts_error_set(TS_ERR_NOTFOUND, "--nodes: '%s' is not a %s of tree %s", node,
                                t->vert_name ? "node" : "vertex index", t->name);
        for (int k = 0; k < *nsel; k++)
            if (!strcmp(sel[k].label, label)) return ts_error_set(TS_ERR_INVAL, "--nodes: label '%s' given twice", label);
        em_node_sel *s = &sel[(*nsel)++];
        strcpy(s->label, label);
        strcpy(s->node, node);
        s->vertex = v;
    }
    if (*nsel == 0) return ts_error_set(TS_ERR_INVAL, "--nodes: no node in '%s'", spec);
    return 0;
}

/* RMSE over t_n > 0 (rows 1..K of [K+1][nv]) of a - b at vertex v, / scale. */
static double rmse_vertex(const double *a, const double *b, int K, int nv, int v, double scale)
{
    double s = 0;
    for (int n = 1; n <= K; n++) {
        size_t q = (size_t)n * nv + v;
        s += (a[q] - b[q]) * (a[q] - b[q]);
    }
    return scale > 0 ? sqrt(s / K) / scale : 0;
}

static int node_png(ts_run *run, const em_node_sel *s, int K, double dt, int nv, const em_node_stats *st)
{
    char title[256], file[128];
    snprintf(title, sizeof title, "stress at node %s (%s): mean +/- std", s->label, s->node);
    /* file name from the label: letters, digits, '-', '_' and '.' kept */
    size_t k = 0;
    k += (size_t)snprintf(file, sizeof file, "node_");
    for (const char *c = s->label; *c && k + 5 < sizeof file; c++)
        file[k++] = isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.' ? *c : '_';
    strcpy(file + k, ".png");
    ts_plot *pl = ts_plot_create(title, "time (years)", "stress (MPa)");
    double *x = malloc((size_t)(K + 1) * sizeof(double)), *y = malloc((size_t)(K + 1) * sizeof(double)),
           *e = malloc((size_t)(K + 1) * sizeof(double));
    int rc = pl && x && y && e ? 0 : ts_error_set(TS_ERR_NOMEM, "out of memory");
    static const char *lab[3] = {"BPINN", "FV MC", "oracle MC"};
    const double *M[3] = {st->bm, st->fm, st->om}, *S[3] = {st->bs, st->fs, st->os};
    for (int m = 0; m < 3 && !rc; m++) {
        for (int n = 0; n <= K; n++) {
            x[n] = n * dt / YEAR_S;
            y[n] = M[m][(size_t)n * nv + s->vertex] / 1e6;
            e[n] = S[m][(size_t)n * nv + s->vertex] / 1e6;
        }
        rc = ts_plot_errorbars(pl, (size_t)K + 1, x, y, e, lab[m]);
    }
    if (!rc) {
        char *png = ts_run_path(run, file);
        rc = png ? ts_plot_write_png(pl, png, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(png);
    }
    ts_plot_destroy(pl);
    free(x);
    free(y);
    free(e);
    return rc;
}

int em_bpinn_write_nodes(ts_run *run, const ts_em_tree *t, const em_node_sel *sel, int nsel, int K, double dt,
                         const em_node_stats *st, double range, double smax)
{
    int nv = t->nvert, rc = 0;
    static const char *hn[] = {"label", "node", "time_s", "bpinn_mean_Pa", "bpinn_std_Pa", "fv_mean_Pa",
                               "fv_std_Pa", "oracle_mean_Pa", "oracle_std_Pa"};
    char *path = ts_run_path(run, "nodes.csv");
    ts_csv *c = NULL;
    rc = path ? ts_csv_open(path, 9, hn, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(path);
    for (int k = 0; k < nsel && !rc; k++)
        for (int n = 0; n <= K && !rc; n++) {
            size_t q = (size_t)n * nv + sel[k].vertex;
            double row[7] = {n * dt, st->bm[q], st->bs[q], st->fm[q], st->fs[q], st->om[q], st->os[q]};
            rc = ts_csv_cell_s(c, sel[k].label);
            if (!rc) rc = ts_csv_cell_s(c, sel[k].node);
            for (int i = 0; i < 7 && !rc; i++) rc = ts_csv_cell_d(c, row[i]);
            if (!rc) rc = ts_csv_end_row(c);
        }
    if (!rc) rc = ts_csv_close(c);
    else ts_csv_abort(c);
    c = NULL;
    static const char *he[] = {"label", "node", "mean_err_vs_oracle", "std_err_vs_oracle_maxstd", "mean_err_vs_fv",
                               "std_err_vs_fv_maxstd", "final_std_bpinn_Pa", "final_std_oracle_Pa", "final_std_fv_Pa"};
    if (!rc) {
        path = ts_run_path(run, "node_errors.csv");
        rc = path ? ts_csv_open(path, 9, he, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
    }
    if (!rc) {
        printf("nodes       RMSE over t_n > 0; mean / range of the FV mean (%.4g Pa), std / max FV std (%.4g Pa)\n", range, smax);
        printf("            %-8s %-22s %12s %12s %12s %12s\n", "label", "node", "mean vs orc", "std vs orc", "mean vs FV", "std vs FV");
    }
    for (int k = 0; k < nsel && !rc; k++) {
        int v = sel[k].vertex;
        size_t qK = (size_t)K * nv + v;
        double e[7] = {rmse_vertex(st->bm, st->om, K, nv, v, range), rmse_vertex(st->bs, st->os, K, nv, v, smax),
                       rmse_vertex(st->bm, st->fm, K, nv, v, range), rmse_vertex(st->bs, st->fs, K, nv, v, smax),
                       st->bs[qK], st->os[qK], st->fs[qK]};
        rc = ts_csv_cell_s(c, sel[k].label);
        if (!rc) rc = ts_csv_cell_s(c, sel[k].node);
        for (int i = 0; i < 7 && !rc; i++) rc = ts_csv_cell_d(c, e[i]);
        if (!rc) rc = ts_csv_end_row(c);
        if (!rc)
            printf("            %-8s %-22s %11.3f%% %11.3f%% %11.3f%% %11.3f%%\n", sel[k].label, sel[k].node, 100 * e[0],
                   100 * e[1], 100 * e[2], 100 * e[3]);
    }
    if (!rc) rc = ts_csv_close(c);
    else ts_csv_abort(c);
    for (int k = 0; k < nsel && !rc; k++) rc = node_png(run, &sel[k], K, dt, nv, st);
    return rc;
}
