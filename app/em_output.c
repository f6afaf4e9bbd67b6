/* Output files of `tinsel em analyze` and of the em demo: per-tree CSV,
 * node stresses over time (HDF5 + node table), PNG plots, summary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_output.h"

#define YEAR_S 3.15576e7

static int reg(ts_report *rep, const char *relprefix, const char *name, const char *kind, const char *desc)
{
    if (!rep) return 0;
    char path[512];
    snprintf(path, sizeof path, "%s%s", relprefix ? relprefix : "", name);
    return ts_report_file(rep, path, kind, desc);
}

static int write_trees_csv(const char *dir, const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_result *r)
{
    static const char *hdr[] = {"tree_id", "name", "layer", "segments", "loops", "max_stress_Pa", "t_nuc_s",
                                "void_wire", "void_length_m", "dR_over_R", "ttf_s"};
    char *path = ts_path_join(dir, "trees.csv");
    TS_CHECK_ALLOC(path);
    ts_csv *c;
    int rc = ts_csv_open(path, 11, hdr, &c);
    free(path);
    if (rc) return rc;
    for (int i = 0; i < r->ntrees && !rc; i++) {
        rc = ts_csv_cell_i(c, i);
        if (!rc) rc = ts_csv_cell_s(c, tr->tree_names[i]);
        if (!rc) rc = ts_csv_cell_i(c, r->layer[i]);
        if (!rc) rc = ts_csv_cell_i(c, r->nseg[i]);
        if (!rc) rc = ts_csv_cell_i(c, r->loops[i]);
        if (!rc) rc = ts_csv_cell_d(c, r->max_stress[i]);
        if (!rc) rc = ts_csv_cell_d(c, r->t_nuc[i]);
        if (!rc) rc = ts_csv_cell_s(c, r->void_wire[i] >= 0 ? nl->res_names[r->void_wire[i]] : "");
        if (!rc) rc = ts_csv_cell_d(c, r->void_len[i]);
        if (!rc) rc = ts_csv_cell_d(c, r->dr_rel[i]);
        if (!rc) rc = ts_csv_cell_d(c, r->ttf[i]);
        if (!rc) rc = ts_csv_end_row(c);
    }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    return ts_csv_close(c);
}

static int write_history_csv(const char *dir, const ts_em_result *r)
{
    static const char *hdr[] = {"time_s", "worst_max_stress_Pa", "worst_void_length_m", "worst_dR_over_R",
                                "grid_max_stress_Pa", "trees_voided", "trees_failed"};
    char *path = ts_path_join(dir, "history.csv");
    TS_CHECK_ALLOC(path);
    ts_csv *c;
    int rc = ts_csv_open(path, 7, hdr, &c);
    free(path);
    if (rc) return rc;
    int w = r->worst, nt = r->nt;
    for (int k = 0; k < nt && !rc; k++) {
        double gmax = -INFINITY;
        long nv = 0, nf = 0;
        for (int i = 0; i < r->ntrees; i++) {
            double s = r->hist_max[(size_t)i * nt + k];
            if (s > gmax) gmax = s;
            if (r->t_nuc[i] <= r->times[k]) nv++;
            if (r->ttf[i] <= r->times[k]) nf++;
        }
        double row[7] = {r->times[k], r->hist_max[(size_t)w * nt + k], r->hist_void[(size_t)w * nt + k],
                         r->hist_dr[(size_t)w * nt + k], gmax, (double)nv, (double)nf};
        rc = ts_csv_row_d(c, row);
    }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    return ts_csv_close(c);
}

static int write_nodes(const char *dir, const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_result *r)
{
    static const char *hdr[] = {"column", "node", "tree_id", "tree", "x_m", "y_m"};
    char *path = ts_path_join(dir, "nodes.csv");
    TS_CHECK_ALLOC(path);
    ts_csv *c;
    int rc = ts_csv_open(path, 6, hdr, &c);
    free(path);
    if (rc) return rc;
    for (int v = 0; v < r->nvert_total && !rc; v++) {
        int n = r->vert_node[v];
        rc = ts_csv_cell_i(c, v);
        if (!rc) rc = ts_csv_cell_s(c, nl->node_names[n]);
        if (!rc) rc = ts_csv_cell_i(c, r->vert_tree[v]);
        if (!rc) rc = ts_csv_cell_s(c, tr->tree_names[r->vert_tree[v]]);
        if (!rc) rc = ts_csv_cell_d(c, (double)nl->node_x[n]);
        if (!rc) rc = ts_csv_cell_d(c, (double)nl->node_y[n]);
        if (!rc) rc = ts_csv_end_row(c);
    }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    rc = ts_csv_close(c);
    if (rc) return rc;
    path = ts_path_join(dir, "node_stress.h5");
    TS_CHECK_ALLOC(path);
    ts_h5_writer *h;
    rc = ts_h5_writer_open(path, &h);
    free(path);
    if (rc) return rc;
    size_t d1[1] = {(size_t)r->nt};
    size_t d2[2] = {(size_t)r->nt, (size_t)r->nvert_total};
    size_t d3[1] = {(size_t)r->nvert_total};
    rc = ts_h5_writer_add(h, "/time", TS_H5_F64, 1, d1, r->times);
    if (!rc) rc = ts_h5_writer_add(h, "/node_stress", TS_H5_F64, 2, d2, r->vert_sigma);
    if (!rc) rc = ts_h5_writer_add(h, "/node_tree", TS_H5_I32, 1, d3, r->vert_tree);
    if (!rc) rc = ts_h5_writer_attr(h, "units", "time: s; node_stress: Pa [time][column]; columns as in nodes.csv");
    if (!rc) rc = ts_h5_writer_attr(h, "source", "tinsel em analyze (Korhonen FV, seed 003 eq. (1)-(2))");
    if (rc) {
        ts_h5_writer_abort(h);
        return rc;
    }
    return ts_h5_writer_commit(h);
}

static int plot_profile(const char *dir, const ts_em_trees *tr, const ts_em_result *r)
{
    char title[160];
    snprintf(title, sizeof title, "stress along tree %s", tr->tree_names[r->worst]);
    ts_plot *pl = ts_plot_create(title, "distance from the tree's first node (um)", "stress (MPa)");
    TS_CHECK_ALLOC(pl);
    int np = r->nprof, rc = 0;
    double *x = malloc((size_t)np * sizeof(double) + 1), *y = malloc((size_t)np * sizeof(double) + 1);
    int *ord = malloc((size_t)np * sizeof(int) + 1);
    if (!x || !y || !ord) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    /* sort the points by distance (insertion sort of an index: profiles are small) */
    for (int q = 0; q < np && !rc; q++) {
        int k = q;
        while (k > 0 && r->prof_s[ord[k - 1]] > r->prof_s[q]) {
            ord[k] = ord[k - 1];
            k--;
        }
        ord[k] = q;
    }
    for (int s = 0; s < r->nprof_t && !rc; s++) {
        for (int q = 0; q < np; q++) {
            x[q] = r->prof_s[ord[q]] * 1e6;
            y[q] = r->prof_sigma[(size_t)s * np + ord[q]] * 1e-6;
        }
        char lab[64];
        snprintf(lab, sizeof lab, "t = %.3g y", r->prof_t[s] / YEAR_S);
        rc = r->loops[r->worst] == 0 && r->nseg[r->worst] == 1 ? ts_plot_line(pl, (size_t)np, x, y, lab)
                                                                 : ts_plot_points(pl, (size_t)np, x, y, lab);
    }
    if (!rc) {
        char *path = ts_path_join(dir, "worst_tree_stress.png");
        rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
    }
    free(x);
    free(y);
    free(ord);
    ts_plot_destroy(pl);
    return rc;
}

static int plot_void(const char *dir, const ts_em_trees *tr, const ts_em_result *r)
{
    int nt = r->nt, w = r->worst, rc = 0;
    double *t = malloc((size_t)nt * sizeof(double)), *a = malloc((size_t)nt * sizeof(double)),
           *b = malloc((size_t)nt * sizeof(double));
    if (!t || !a || !b) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    for (int k = 0; k < nt && !rc; k++) {
        t[k] = r->times[k] / YEAR_S;
        a[k] = r->hist_void[(size_t)w * nt + k] * 1e6;
        b[k] = r->hist_dr[(size_t)w * nt + k] * 100.0;
    }
    char title[160];
    snprintf(title, sizeof title, "void of tree %s", tr->tree_names[w]);
    const char *names[2] = {"void_length.png", "resistance_change.png"};
    const char *ylab[2] = {"void length (um)", "dR/R of the voided wire (%)"};
    for (int f = 0; f < 2 && !rc; f++) {
        ts_plot *pl = ts_plot_create(title, "time (years)", ylab[f]);
        if (!pl) {
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            break;
        }
        rc = ts_plot_line(pl, (size_t)nt, t, f ? b : a, f ? "dR/R" : "L_void");
        if (!rc) {
            char *path = ts_path_join(dir, names[f]);
            rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
            free(path);
        }
        ts_plot_destroy(pl);
    }
    free(t);
    free(a);
    free(b);
    return rc;
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Empirical distribution of the finite TTFs over the trees. */
static int plot_ttf(const char *dir, const ts_em_result *r, int *nfailed)
{
    int n = 0, rc = 0;
    double *t = malloc((size_t)r->ntrees * sizeof(double) + 1), *f = malloc((size_t)r->ntrees * sizeof(double) + 1);
    if (!t || !f) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < r->ntrees && !rc; i++)
        if (isfinite(r->ttf[i])) t[n++] = r->ttf[i] / YEAR_S;
    *nfailed = n;
    if (!rc) {
        qsort(t, (size_t)n, sizeof(double), cmp_d);
        for (int i = 0; i < n; i++) f[i] = 100.0 * (i + 1) / r->ntrees;
        ts_plot *pl = ts_plot_create("time to failure over trees", "TTF (years)", "trees failed (%)");
        if (!pl) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc && n > 0) {
            ts_plot_set_log(pl, 1, 0);
            rc = ts_plot_points(pl, (size_t)n, t, f, "failed trees (cumulative)");
        } else if (!rc) {
            double x0[2] = {0, r->times[r->nt - 1] / YEAR_S}, y0[2] = {0, 0};
            rc = ts_plot_line(pl, 2, x0, y0, "no tree failed within the horizon");
        }
        if (!rc) {
            char *path = ts_path_join(dir, "ttf_distribution.png");
            rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
            free(path);
        }
        ts_plot_destroy(pl);
    }
    free(t);
    free(f);
    return rc;
}

int em_write_outputs(const char *dir, const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_result *r,
                     ts_report *rep, const char *relprefix)
{
    int nfailed = 0;
    TS_TRY(write_trees_csv(dir, nl, tr, r));
    TS_TRY(write_history_csv(dir, r));
    TS_TRY(write_nodes(dir, nl, tr, r));
    TS_TRY(plot_profile(dir, tr, r));
    TS_TRY(plot_void(dir, tr, r));
    TS_TRY(plot_ttf(dir, r, &nfailed));
    TS_TRY(reg(rep, relprefix, "trees.csv", "table",
               "per tree: layer, segments, loops, max stress, t_nuc, void, dR/R, TTF"));
    TS_TRY(reg(rep, relprefix, "history.csv", "table", "worst tree and grid over time"));
    TS_TRY(reg(rep, relprefix, "nodes.csv", "table", "tree nodes (columns of node_stress.h5)"));
    TS_TRY(reg(rep, relprefix, "node_stress.h5", "field", "stress at every tree node over time (Pa)"));
    TS_TRY(reg(rep, relprefix, "worst_tree_stress.png", "plot", "stress along the worst tree at several times"));
    TS_TRY(reg(rep, relprefix, "void_length.png", "plot", "void length of the worst tree vs time"));
    TS_TRY(reg(rep, relprefix, "resistance_change.png", "plot", "dR/R of the worst tree's voided wire vs time"));
    TS_TRY(reg(rep, relprefix, "ttf_distribution.png", "plot", "distribution of TTF over trees"));
    return 0;
}

void em_print_summary(FILE *fp, const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_result *r)
{
    int nv = 0, nf = 0, nloop = 0, smin = 1 << 30, smax = 0;
    double gmax = -INFINITY;
    for (int i = 0; i < r->ntrees; i++) {
        if (isfinite(r->t_nuc[i])) nv++;
        if (isfinite(r->ttf[i])) nf++;
        if (r->loops[i] > 0) nloop++;
        if (r->nseg[i] < smin) smin = r->nseg[i];
        if (r->nseg[i] > smax) smax = r->nseg[i];
        if (r->max_stress[i] > gmax) gmax = r->max_stress[i];
    }
    fprintf(fp, "grid        %s: %d nodes, %d resistors, %d current sources, %d voltage sources\n", nl->path,
            nl->nnodes, nl->nres, nl->ncur, nl->nvs);
    fprintf(fp, "trees       %d (%d..%d segments, %d with loops), %ld grid points\n", r->ntrees, smin, smax, nloop,
            r->points);
    fprintf(fp, "horizon     %.4g years, %ld tree-steps in %.3f s\n", r->times[r->nt - 1] / YEAR_S, r->steps,
            r->wall_s);
    fprintf(fp, "stress      max %.4g MPa\n", gmax * 1e-6);
    fprintf(fp, "voids       %d trees nucleated, %d failed\n", nv, nf);
    if (isfinite(r->grid_ttf))
        fprintf(fp, "grid TTF    %.4g years (tree %s)\n", r->grid_ttf / YEAR_S, tr->tree_names[r->worst]);
    else
        fprintf(fp, "grid TTF    > %.4g years (no failure; worst tree %s)\n", r->times[r->nt - 1] / YEAR_S,
                tr->tree_names[r->worst]);
}
