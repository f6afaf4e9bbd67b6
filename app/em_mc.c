/* `tinsel em mc`: Monte Carlo over current variation (issue #10).
 *   tinsel em mc GRID.sp [--samples N] [--sigma-j S] ...   trees of a SPICE grid
 *   tinsel em mc --gen-segments N [--gen-seed S] ...       a generated tree (seed Table I)
 * Units: SI (s, Pa, A/m^2, K). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "em_mc.h"

#define YEAR_S 3.15576e7

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Empirical quantile of sorted v[n] (linear between order statistics; +inf
 * entries sort last, so a quantile beyond the failed fraction is +inf). */
static double quant_sorted(const double *v, int n, double p)
{
    double h = p * (n - 1);
    int lo = (int)floor(h);
    if (lo >= n - 1) return v[n - 1];
    if (!isfinite(v[lo + 1])) return h == lo ? v[lo] : INFINITY;
    return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

/* Record a command-line value in [mc] of run.ini (set, then read back so the
 * configuration marks it as used). */
static int mc_set(ts_config *cfg, const char *key, const char *val)
{
    const char *got;
    TS_TRY(ts_config_set(cfg, "mc", key, val));
    return ts_config_get_string(cfg, "mc", key, val, &got);
}

static int reg(ts_report *rep, const char *relprefix, const char *name, const char *kind, const char *desc)
{
    if (!rep) return 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", relprefix ? relprefix : "", name);
    return ts_report_file(rep, buf, kind, desc);
}

/* Summary of a per-sample scalar over samples for tree i: fraction finite,
 * mean/std/se over the finite values, 5/50/95 % quantiles over all. */
typedef struct {
    double frac, mean, std, se, q05, q50, q95;
} scalar_summary;

static int summarize(const double *x, long ns, int ntrees, int i, scalar_summary *out)
{
    double *v = malloc((size_t)ns * sizeof(double));
    TS_CHECK_ALLOC(v);
    long nf = 0;
    double mean = 0, m2 = 0;
    for (long s = 0; s < ns; s++) {
        double a = x[(size_t)s * ntrees + i];
        v[s] = a;
        if (isfinite(a)) {
            nf++;
            double d = a - mean;
            mean += d / nf;
            m2 += d * (a - mean);
        }
    }
    qsort(v, (size_t)ns, sizeof(double), cmp_d);
    out->frac = (double)nf / ns;
    out->mean = nf ? mean : NAN;
    out->std = nf > 1 ? sqrt(m2 / (nf - 1)) : NAN;
    out->se = nf > 1 ? out->std / sqrt((double)nf) : NAN;
    out->q05 = quant_sorted(v, (int)ns, 0.05);
    out->q50 = quant_sorted(v, (int)ns, 0.5);
    out->q95 = quant_sorted(v, (int)ns, 0.95);
    free(v);
    return 0;
}

/* Up to 4 plotted vertices: largest |mean σ| at the final time, one per tree
 * first, excluding the void vertex (σ ≈ 0 there). */
static int pick_nodes(ts_em_tree *const *list, const ts_em_mc_result *r, int *sel)
{
    int ns = 0, nvt = r->nvert_total;
    const ts_em_stat *last = &r->stat[(size_t)(r->nt - 1) * nvt];
    char *used = calloc((size_t)nvt + 1, 1);
    if (!used) return 0;
    for (int pass = 0; pass < 2 && ns < 4; pass++)
        for (; ns < 4;) {
            int best = -1;
            for (int v = 0; v < nvt; v++) {
                int tr = r->vert_tree[v];
                if (used[v] || r->vert_index[v] == list[tr]->void_vertex) continue;
                int dup = 0;
                for (int k = 0; k < ns && pass == 0; k++) dup |= r->vert_tree[sel[k]] == tr;
                if (dup) continue;
                if (best < 0 || fabs(last[v].mean) > fabs(last[best].mean)) best = v;
            }
            if (best < 0) break;
            used[best] = 1;
            sel[ns++] = best;
        }
    free(used);
    return ns;
}

int em_mc_write(const char *dir, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r, ts_report *rep,
                const char *relprefix)
{
    return em_mc_write_sel(dir, list, ntrees, r, rep, relprefix, NULL, 0);
}

int em_mc_write_sel(const char *dir, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r, ts_report *rep,
                    const char *relprefix, const int *sel_in, int nsel_in)
{
    int rc = 0, nvt = r->nvert_total, nt = r->nt;
    char *path = NULL;
    ts_csv *c = NULL;
    /* node statistics */
    static const char *hn[] = {"tree",      "vertex",     "time_s",    "mean_Pa", "std_Pa",
                               "se_mean_Pa", "se_std_Pa", "q05_Pa",   "q50_Pa",  "q95_Pa"};
    path = ts_path_join(dir, "mc_nodes.csv");
    rc = path ? ts_csv_open(path, 10, hn, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(path);
    for (int v = 0; v < nvt && !rc; v++)
        for (int k = 0; k < nt && !rc; k++) {
            const ts_em_stat *s = &r->stat[(size_t)k * nvt + v];
            double sd = ts_em_stat_std(s), n = (double)s->n;
            rc = ts_csv_cell_s(c, list[r->vert_tree[v]]->name);
            if (!rc) rc = ts_csv_cell_i(c, r->vert_index[v]);
            double row[8] = {r->times[k], s->mean, sd, sd / sqrt(n), n > 1 ? sd / sqrt(2.0 * (n - 1)) : NAN,
                             ts_em_stat_quantile(s, 0), ts_em_stat_quantile(s, 1), ts_em_stat_quantile(s, 2)};
            for (int q = 0; q < 8 && !rc; q++) rc = ts_csv_cell_d(c, row[q]);
            if (!rc) rc = ts_csv_end_row(c);
        }
    if (!rc) rc = ts_csv_close(c);
    else ts_csv_abort(c);
    c = NULL;
    if (!rc) rc = reg(rep, relprefix, "mc_nodes.csv", "table",
                      "Monte Carlo stress statistics per tree vertex and time: mean, std, standard errors, P² quantiles");
    /* per-tree nucleation and TTF */
    static const char *ht[] = {"tree",        "segments",   "frac_nucleated", "t_nuc_mean_s", "t_nuc_std_s",
                               "t_nuc_se_s",  "t_nuc_q05_s", "t_nuc_q50_s",   "t_nuc_q95_s",  "frac_failed",
                               "ttf_mean_s",  "ttf_std_s",  "ttf_se_s",       "ttf_q05_s",    "ttf_q50_s",
                               "ttf_q95_s"};
    if (!rc) {
        path = ts_path_join(dir, "mc_trees.csv");
        rc = path ? ts_csv_open(path, 16, ht, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
    }
    for (int i = 0; i < ntrees && !rc; i++) {
        scalar_summary a, b;
        rc = summarize(r->t_nuc, r->samples, ntrees, i, &a);
        if (!rc) rc = summarize(r->ttf, r->samples, ntrees, i, &b);
        if (!rc) rc = ts_csv_cell_s(c, list[i]->name);
        if (!rc) rc = ts_csv_cell_i(c, list[i]->nwire);
        double row[14] = {a.frac, a.mean, a.std, a.se, a.q05, a.q50, a.q95, b.frac, b.mean, b.std, b.se, b.q05, b.q50, b.q95};
        for (int q = 0; q < 14 && !rc; q++) rc = ts_csv_cell_d(c, row[q]);
        if (!rc) rc = ts_csv_end_row(c);
    }
    if (!rc) rc = ts_csv_close(c);
    else ts_csv_abort(c);
    c = NULL;
    if (!rc) rc = reg(rep, relprefix, "mc_trees.csv", "table",
                      "per tree: fraction nucleated/failed, mean, std, standard error (finite values) and quantiles of t_nuc and TTF");
    /* per-sample scalars */
    static const char *hs[] = {"sample", "tree", "t_nuc_s", "ttf_s"};
    if (!rc) {
        path = ts_path_join(dir, "mc_samples.csv");
        rc = path ? ts_csv_open(path, 4, hs, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
    }
    for (long s = 0; s < r->samples && !rc; s++)
        for (int i = 0; i < ntrees && !rc; i++) {
            rc = ts_csv_cell_i(c, s);
            if (!rc) rc = ts_csv_cell_s(c, list[i]->name);
            if (!rc) rc = ts_csv_cell_d(c, r->t_nuc[(size_t)s * ntrees + i]);
            if (!rc) rc = ts_csv_cell_d(c, r->ttf[(size_t)s * ntrees + i]);
            if (!rc) rc = ts_csv_end_row(c);
        }
    if (!rc) rc = ts_csv_close(c);
    else ts_csv_abort(c);
    c = NULL;
    if (!rc) rc = reg(rep, relprefix, "mc_samples.csv", "table", "nucleation time and TTF of every sample and tree (inf: none)");
    int sel[8], nsel;
    if (nsel_in > 0) {
        nsel = nsel_in > 8 ? 8 : nsel_in;
        memcpy(sel, sel_in, (size_t)nsel * sizeof(int));
    } else nsel = pick_nodes(list, r, sel);
    /* convergence at the plotted vertices */
    static const char *hc[] = {"samples", "tree", "vertex", "mean_Pa", "std_Pa", "se_mean_Pa"};
    if (!rc) {
        path = ts_path_join(dir, "mc_convergence.csv");
        rc = path ? ts_csv_open(path, 6, hc, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
    }
    for (int q = 0; q < r->nconv && !rc; q++)
        for (int k = 0; k < nsel && !rc; k++) {
            int v = sel[k];
            double sd = r->conv_std[(size_t)q * nvt + v];
            rc = ts_csv_cell_i(c, r->conv_n[q]);
            if (!rc) rc = ts_csv_cell_s(c, list[r->vert_tree[v]]->name);
            if (!rc) rc = ts_csv_cell_i(c, r->vert_index[v]);
            if (!rc) rc = ts_csv_cell_d(c, r->conv_mean[(size_t)q * nvt + v]);
            if (!rc) rc = ts_csv_cell_d(c, sd);
            if (!rc) rc = ts_csv_cell_d(c, sd / sqrt((double)r->conv_n[q]));
            if (!rc) rc = ts_csv_end_row(c);
        }
    if (!rc) rc = ts_csv_close(c);
    else ts_csv_abort(c);
    if (!rc) rc = reg(rep, relprefix, "mc_convergence.csv", "table",
                      "mean, std and standard error of the final stress at the plotted vertices after 1, 2, 4, ... samples");
    /* Fig. 4 style: mean ± std over time */
    if (!rc && nsel > 0) {
        ts_plot *pl = ts_plot_create("Monte Carlo stress: mean +/- std", "time (years)", "stress (MPa)");
        double *x = malloc((size_t)nt * sizeof(double)), *y = malloc((size_t)nt * sizeof(double)),
               *e = malloc((size_t)nt * sizeof(double));
        if (!pl || !x || !y || !e) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int k = 0; k < nsel && !rc; k++) {
            int v = sel[k];
            for (int q = 0; q < nt; q++) {
                const ts_em_stat *s = &r->stat[(size_t)q * nvt + v];
                x[q] = r->times[q] / YEAR_S;
                y[q] = s->mean / 1e6;
                e[q] = ts_em_stat_std(s) / 1e6;
            }
            char lab[128];
            snprintf(lab, sizeof lab, "%.60s vertex %d", list[r->vert_tree[v]]->name, r->vert_index[v]);
            rc = ts_plot_errorbars(pl, (size_t)nt, x, y, e, lab);
        }
        if (!rc) {
            path = ts_path_join(dir, "mc_stress.png");
            rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
            free(path);
        }
        ts_plot_destroy(pl);
        free(x);
        free(y);
        free(e);
        if (!rc) rc = reg(rep, relprefix, "mc_stress.png", "plot",
                          "mean +/- one std of the stress over time at the most stressed vertices (seed Fig. 4)");
    }
    /* TTF empirical distribution of the tree with most failures */
    if (!rc) {
        int best = 0, nbest = -1;
        for (int i = 0; i < ntrees; i++) {
            int nf = 0;
            for (long s = 0; s < r->samples; s++) nf += isfinite(r->ttf[(size_t)s * ntrees + i]) != 0;
            if (nf > nbest) {
                nbest = nf;
                best = i;
            }
        }
        double *t = malloc((size_t)r->samples * sizeof(double)), *f = malloc((size_t)r->samples * sizeof(double));
        ts_plot *pl = ts_plot_create("time to failure over Monte Carlo samples", "TTF (years)", "samples failed (%)");
        if (!t || !f || !pl) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        int n = 0;
        for (long s = 0; s < r->samples && !rc; s++) {
            double a = r->ttf[(size_t)s * ntrees + best];
            if (isfinite(a)) t[n++] = a / YEAR_S;
        }
        if (!rc) {
            qsort(t, (size_t)n, sizeof(double), cmp_d);
            for (int k = 0; k < n; k++) f[k] = 100.0 * (k + 1) / r->samples;
            char lab[128];
            snprintf(lab, sizeof lab, "tree %.60s", list[best]->name);
            if (n > 0) rc = ts_plot_points(pl, (size_t)n, t, f, lab);
            else {
                double x0[2] = {0, r->times[r->nt - 1] / YEAR_S}, y0[2] = {0, 0};
                rc = ts_plot_line(pl, 2, x0, y0, "no sample failed within the horizon");
            }
        }
        if (!rc) {
            path = ts_path_join(dir, "mc_ttf.png");
            rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
            free(path);
        }
        ts_plot_destroy(pl);
        free(t);
        free(f);
        if (!rc) rc = reg(rep, relprefix, "mc_ttf.png", "plot", "empirical TTF distribution of the tree that fails most often");
    }
    return rc;
}

void em_mc_print_summary(FILE *fp, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r)
{
    fprintf(fp, "samples     %ld over %d tree(s), %d vertices, %d output times\n", r->samples, ntrees,
            r->nvert_total, r->nt);
    fprintf(fp, "time        %.3f s (%ld implicit tree-steps)\n", r->wall_s, r->steps);
    int shown = 0;
    for (int i = 0; i < ntrees && shown < 5; i++) {
        scalar_summary a, b;
        if (summarize(r->t_nuc, r->samples, ntrees, i, &a) || summarize(r->ttf, r->samples, ntrees, i, &b)) return;
        if (a.frac == 0 && ntrees > 5) continue;
        shown++;
        fprintf(fp, "tree %-14s nucleated %5.1f %%  t_nuc %.4g +/- %.2g y (se %.2g)  failed %5.1f %%  TTF median %.4g y\n",
                list[i]->name, 100 * a.frac, a.mean / YEAR_S, a.std / YEAR_S, a.se / YEAR_S, 100 * b.frac,
                b.q50 / YEAR_S);
    }
}

/* --nodes: names (grid) or indices (generated tree) -> global vertex indices
 * in the order of ts_em_mc_run (trees concatenated). */
static int parse_nodes(const char *spec, const ts_em_netlist *nl, ts_em_tree *const *list, int ntrees, int *sel,
                       int *nsel)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    *nsel = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*nsel == 8) return ts_error_set(TS_ERR_RANGE, "--nodes: at most 8 vertices");
        int found = -1, off = 0;
        if (nl) {
            int node = ts_em_netlist_find(nl, tok);
            for (int i = 0; i < ntrees && found < 0; off += list[i]->nvert, i++)
                for (int v = 0; v < list[i]->nvert && list[i]->vert_node; v++)
                    if (list[i]->vert_node[v] == node && node >= 0) {
                        found = off + v;
                        break;
                    }
        } else {
            char *end;
            long v = strtol(tok, &end, 10);
            if (*end == '\0' && end != tok && v >= 0 && v < list[0]->nvert) found = (int)v;
        }
        if (found < 0)
            return ts_error_set(TS_ERR_NOTFOUND, "--nodes: '%s' is not a %s", tok,
                                nl ? "node of the selected trees" : "vertex index of the generated tree");
        sel[(*nsel)++] = found;
    }
    return 0;
}

int em_cmd_mc(int argc, char **argv)
{
    const char *config = NULL, *out = "em-mc", *years = NULL, *scale = NULL, *method = NULL, *nout = NULL,
               *nsub = NULL, *ncell = NULL, *threads = NULL, *rule = NULL, *delta = NULL, *width = NULL,
               *dist = "normal", *tree_name = NULL, *nodes = NULL, *vary = "currents";
    uint64_t seed = 1, gen_seed = 1;
    long samples = 100, gen = 0, void_at = -2, batch = 64;
    double sigma_j = 0.1, rho = 0, sigma_d0 = 0, sigma_t = 0, sigma_w = 0, sigma_load = 0.1;
    const ts_opt opts[] = {
        {"samples", TS_OPT_LONG, &samples, "N", "Monte Carlo samples"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed; sample i draws from stream (seed, i)"},
        {"vary", TS_OPT_STRING, &vary, "currents|physical", "currents: branch current densities drawn independently (default); physical: loads and wire widths drawn, DC grid re-solved per sample (Kirchhoff holds in every sample)"},
        {"dist", TS_OPT_STRING, &dist, "normal|lognormal", "distribution of the branch current densities (physical: of the loads)"},
        {"sigma-load", TS_OPT_DOUBLE, &sigma_load, "S", "--vary physical: relative std of every current source (correlation --rho)"},
        {"sigma-j", TS_OPT_DOUBLE, &sigma_j, "S", "relative std of each current density (0.1 = 10 %)"},
        {"rho", TS_OPT_DOUBLE, &rho, "R", "correlation between branch currents, 0 (independent) .. 1"},
        {"sigma-d0", TS_OPT_DOUBLE, &sigma_d0, "S", "relative std of the diffusivity prefactor D0 (lognormal)"},
        {"sigma-t", TS_OPT_DOUBLE, &sigma_t, "K", "std of the temperature in K (normal)"},
        {"sigma-w", TS_OPT_DOUBLE, &sigma_w, "S", "relative std of every wire width (lognormal, independent; --vary currents: branch currents fixed, physical: grid re-solved)"},
        {"gen-segments", TS_OPT_LONG, &gen, "N", "instead of GRID.sp: a generated tree of N segments (10-50 um, 1 um wide, |j| 5e8-5e9 A/m^2, void at vertex 0)"},
        {"gen-seed", TS_OPT_U64, &gen_seed, "N", "seed of the generated tree"},
        {"tree", TS_OPT_STRING, &tree_name, "NAME", "only this tree of the grid (default: all)"},
        {"void-at", TS_OPT_LONG, &void_at, "V", "void at vertex V at t = 0 (post-void phase, seed); -1: nucleation at sigma_crit; -2: 0 for generated trees, -1 for grids"},
        {"config", TS_OPT_STRING, &config, "FILE", "INI: [material] [geometry] [failure] [solver] as for em analyze"},
        {"years", TS_OPT_STRING, &years, "Y", "horizon in years (default 10)"},
        {"nout", TS_OPT_STRING, &nout, "N", "output times (statistics) over the horizon (default 40)"},
        {"nsub", TS_OPT_STRING, &nsub, "N", "implicit steps per output interval (default 5)"},
        {"ncell", TS_OPT_STRING, &ncell, "N", "finite-volume cells per wire (default 19)"},
        {"method", TS_OPT_STRING, &method, "be|cn", "time stepping (default be)"},
        {"scale", TS_OPT_STRING, &scale, "S", "multiply every current source of the grid (default 1; EMspice 0.4)"},
        {"trees", TS_OPT_STRING, &rule, "auto|name|connectivity", "grouping of wires into trees"},
        {"delta", TS_OPT_STRING, &delta, "M", "void interface thickness in m, 0 = Dirichlet (default 1e-9)"},
        {"width", TS_OPT_STRING, &width, "M", "wire width in m for every grid wire (default 0: from R)"},
        {"threads", TS_OPT_STRING, &threads, "N", "OpenMP threads over samples (default 0 = all)"},
        {"batch", TS_OPT_LONG, &batch, "N", "samples computed at once before the ordered merge"},
        {"nodes", TS_OPT_STRING, &nodes, "LIST", "comma-separated vertices to plot: netlist node names (grids) or vertex indices (generated tree); default: the 4 most stressed"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel em mc GRID.sp|--gen-segments N [options]",
                          "Monte Carlo of EM stress over random branch currents (and optionally D0, T) with the "
                          "finite-volume solver: streamed mean, std, standard errors and P² quantiles of the stress "
                          "at every tree vertex and output time; nucleation-time and TTF distributions per tree; "
                          "mc_stress.png (mean +/- std, seed Fig. 4). Deterministic for a seed, any thread count.",
                          opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    int dist_i = !strcmp(dist, "normal") ? 0 : !strcmp(dist, "lognormal") ? 1 : -1;
    int vary_i = !strcmp(vary, "currents") ? 0 : !strcmp(vary, "physical") ? 1 : -1;
    if (vary_i < 0 || (vary_i == 1 && gen > 0)) {
        fprintf(stderr, "tinsel em mc: --vary currents|physical; physical needs GRID.sp (not --gen-segments)\n");
        return TS_EXIT_USAGE;
    }
    if ((npos == 1) == (gen > 0) || samples < 1 || dist_i < 0 || batch < 1 || batch > 100000 || void_at < -2 ||
        gen < 0 || gen > 1000000) {
        fprintf(stderr, "tinsel em mc: give either GRID.sp or --gen-segments N (>= 1), --samples >= 1, "
                        "--dist normal|lognormal, 1 <= --batch <= 1e5, --void-at >= -1 (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_config *cfg = NULL;
    rc = config ? ts_config_load(config, &cfg) : ((cfg = ts_config_create()) ? 0 : TS_ERR_NOMEM);
    if (rc) return ts_cli_fail(rc, "em mc");
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    rc = years ? ts_config_set(cfg, "solver", "years", years) : 0;
    if (!rc && scale) rc = ts_config_set(cfg, "solver", "current_scale", scale);
    if (!rc && method) rc = ts_config_set(cfg, "solver", "method", method);
    if (!rc && nout) rc = ts_config_set(cfg, "solver", "nout", nout);
    if (!rc && nsub) rc = ts_config_set(cfg, "solver", "nsub", nsub);
    if (!rc && ncell) rc = ts_config_set(cfg, "solver", "ncell", ncell);
    if (!rc && rule) rc = ts_config_set(cfg, "solver", "trees", rule);
    if (!rc && threads) rc = ts_config_set(cfg, "solver", "threads", threads);
    if (!rc && delta) rc = ts_config_set(cfg, "material", "delta", delta);
    if (!rc && width) rc = ts_config_set(cfg, "geometry", "width", width);
    if (!rc) rc = em_config_params(cfg, &p, &o);
    if (!rc) rc = ts_config_check_unknown(cfg);
    ts_em_mc_options m;
    ts_em_mc_options_default(&m);
    m.samples = samples;
    m.seed = seed;
    m.batch = (int)batch;
    m.var.dist = (ts_em_dist)dist_i;
    m.var.sigma_j = sigma_j;
    m.var.rho = rho;
    m.var.sigma_D0 = sigma_d0;
    m.var.sigma_T_K = sigma_t;
    m.var.sigma_w = sigma_w;
    m.var.vary = (ts_em_vary)vary_i;
    m.var.sigma_load = sigma_load;
    ts_em_trees *trs = NULL;
    ts_em_tree **list = NULL;
    int ntrees = 0;
    ts_em_netlist *nl = NULL;
    if (!rc && gen > 0) {
        list = calloc(1, sizeof *list);
        rc = list ? ts_em_tree_generate((int)gen, gen_seed, p.thickness, &p, &list[0]) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        ntrees = 1;
        if (!rc && void_at != -2) list[0]->void_vertex = (int)void_at;
    } else if (!rc) {
        rc = ts_em_netlist_read(pos[0], &nl);
        if (!rc) rc = ts_em_tree_from_netlist(nl, &p, &o, &trs, &list, &ntrees);
        m.nl = nl;
        m.tr = trs;
        if (!rc && tree_name) rc = em_tree_pick(&list, &ntrees, pos[0], tree_name);
        for (int i = 0; !rc && i < ntrees; i++) {
            if (void_at >= 0 && void_at >= list[i]->nvert)
                rc = ts_error_set(TS_ERR_RANGE, "--void-at %ld: tree %s has only %d vertices", void_at, list[i]->name, list[i]->nvert);
            else if (void_at >= -1) list[i]->void_vertex = (int)void_at;
        }
    }
    if (!rc && gen > 0 && list[0]->void_vertex >= list[0]->nvert)
        rc = ts_error_set(TS_ERR_RANGE, "--void-at %ld: the tree has %d vertices", void_at, list[0]->nvert);
    int sel[8], nsel = 0;
    if (!rc && nodes) rc = parse_nodes(nodes, nl, list, ntrees, sel, &nsel);
    ts_em_mc_result *r = NULL;
    if (!rc) rc = ts_em_mc_run(list, ntrees, &p, &o, &m, &r);
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "em mc", seed, &run);
    if (!rc) {
        char buf[64];
        snprintf(buf, sizeof buf, "%ld", samples);
        rc = mc_set(cfg, "samples", buf);
        if (!rc) rc = mc_set(cfg, "dist", dist);
        snprintf(buf, sizeof buf, "%.17g", sigma_j);
        if (!rc) rc = mc_set(cfg, "sigma_j", buf);
        snprintf(buf, sizeof buf, "%.17g", rho);
        if (!rc) rc = mc_set(cfg, "rho", buf);
        snprintf(buf, sizeof buf, "%.17g", sigma_d0);
        if (!rc) rc = mc_set(cfg, "sigma_D0", buf);
        snprintf(buf, sizeof buf, "%.17g", sigma_t);
        if (!rc) rc = mc_set(cfg, "sigma_T_K", buf);
        snprintf(buf, sizeof buf, "%.17g", sigma_w);
        if (!rc) rc = mc_set(cfg, "sigma_w", buf);
        if (!rc) rc = mc_set(cfg, "vary", vary);
        snprintf(buf, sizeof buf, "%.17g", sigma_load);
        if (!rc && vary_i == 1) rc = mc_set(cfg, "sigma_load", buf);
        snprintf(buf, sizeof buf, "%ld", gen);
        if (!rc) rc = mc_set(cfg, "gen_segments", buf);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)gen_seed);
        if (!rc) rc = mc_set(cfg, "gen_seed", buf);
        snprintf(buf, sizeof buf, "%ld", void_at);
        if (!rc) rc = mc_set(cfg, "void_at", buf);
    }
    if (!rc) rc = em_mc_write_sel(ts_run_dir(run), list, ntrees, r, NULL, NULL, sel, nsel);
    if (!rc) rc = ts_run_write_ini(run, cfg);
    if (!rc) {
        em_mc_print_summary(stdout, list, ntrees, r);
        if (vary_i == 1)
            printf("re-solve    %ld DC solves (loads + widths): %.3g ms per sample (draw + refactor + solve, thread time)\n",
                   r->samples, 1e3 * r->dc_s / (double)r->samples);
        printf("outputs     %s/\n", out);
    }
    ts_run_destroy(run);
    ts_em_mc_result_destroy(r);
    ts_em_tree_list_destroy(list, ntrees);
    ts_em_trees_destroy(trs);
    ts_em_netlist_destroy(nl);
    ts_config_destroy(cfg);
    return rc ? ts_cli_fail(rc, "em mc") : TS_EXIT_OK;
}
