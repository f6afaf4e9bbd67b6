/* `tinsel em`: electromigration analysis of power grids (issue #3).
 *   tinsel em analyze GRID.sp [--config FILE] [--years Y] [--out DIR] ...
 *   tinsel em segment --length L --j J [--void none|left|right] [--t T] [--method fdm|closed-form]
 * and the em part of `tinsel demo`. Units: SI. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "em_mc.h"
#include "em_output.h"
#include "tinsel/core.h"
#include "tinsel/em.h"

#define YEAR_S 3.15576e7

/* Core before 9666fb2 formatted range errors of ts_config_get_double/long
 * from ts_error_message() into the same buffer, leaving them empty; if that
 * happens the message is restated here. */
static int range_msg(ts_config *c, int rc, const char *sec, const char *key, double min, double max)
{
    if (rc != TS_ERR_RANGE || *ts_error_message()) return rc;
    const char *raw = NULL;
    ts_config_get_string(c, sec, key, "", &raw);
    return ts_error_set(TS_ERR_RANGE, "[%s] %s: expected a number in [%g, %g], got '%s'", sec, key, min, max,
                        raw ? raw : "");
}
static int get_d(ts_config *c, const char *sec, const char *key, double def, double min, double max, double *out)
{
    return range_msg(c, ts_config_get_double(c, sec, key, def, min, max, out), sec, key, min, max);
}
static int get_l(ts_config *c, const char *sec, const char *key, long def, long min, long max, long *out)
{
    return range_msg(c, ts_config_get_long(c, sec, key, def, min, max, out), sec, key, (double)min, (double)max);
}

/* Resolve every parameter from the configuration (defaults: EMspice's). */
int em_config_params(ts_config *c, ts_em_params *p, ts_em_options *o)
{
    double ea_eV = p->Ea / p->e;
    TS_TRY(get_d(c, "material", "T", p->T, 1, 5000, &p->T));
    TS_TRY(get_d(c, "material", "D0", p->D0, 0, INFINITY, &p->D0));
    TS_TRY(get_d(c, "material", "Ea_eV", ea_eV, 0, 10, &ea_eV));
    TS_TRY(get_d(c, "material", "kB", p->kB, 1e-30, 1, &p->kB));
    TS_TRY(get_d(c, "material", "e", p->e, 1e-25, 1, &p->e));
    p->Ea = ea_eV * p->e;
    TS_TRY(get_d(c, "material", "B", p->B, 1, INFINITY, &p->B));
    TS_TRY(get_d(c, "material", "Omega", p->Omega, 1e-40, 1, &p->Omega));
    TS_TRY(get_d(c, "material", "Z", p->Z, -1000, 1000, &p->Z));
    TS_TRY(get_d(c, "material", "rho_cu", p->rho_cu, 1e-12, 1, &p->rho_cu));
    TS_TRY(get_d(c, "material", "rho_ta", p->rho_ta, 1e-12, 1, &p->rho_ta));
    TS_TRY(get_d(c, "material", "h_cu", p->h_cu, 1e-12, 1, &p->h_cu));
    TS_TRY(get_d(c, "material", "h_ta", p->h_ta, 1e-12, 1, &p->h_ta));
    TS_TRY(get_d(c, "material", "sigma_crit", p->sigma_crit, 1, INFINITY, &p->sigma_crit));
    TS_TRY(get_d(c, "material", "sigma_T", p->sigma_T, -INFINITY, INFINITY, &p->sigma_T));
    TS_TRY(get_d(c, "material", "delta", p->delta, 0, 1, &p->delta));
    TS_TRY(get_d(c, "geometry", "coord_unit", p->coord_unit, 1e-15, 1, &p->coord_unit));
    TS_TRY(get_d(c, "geometry", "thickness", p->thickness, 1e-12, 1, &p->thickness));
    TS_TRY(get_d(c, "geometry", "thickness_hi", p->thickness_hi, 1e-12, 1, &p->thickness_hi));
    TS_TRY(get_d(c, "geometry", "width", p->width, 0, 1, &p->width));
    TS_TRY(get_d(c, "failure", "dr_threshold", p->dr_threshold, 1e-9, INFINITY, &p->dr_threshold));
    static const char *const drf[] = {"emspice", "full"};
    TS_TRY(ts_config_get_choice(c, "failure", "dr_form", "emspice", drf, 2, &p->dr_full));
    TS_TRY(ts_config_get_bool(c, "failure", "open_on_width", p->open_on_width, &p->open_on_width));
    if (!o) return 0;
    long v;
    TS_TRY(get_d(c, "solver", "years", o->years, 1e-9, 1e6, &o->years));
    TS_TRY(get_l(c, "solver", "nout", o->nout, 1, 1000000, &v));
    o->nout = (int)v;
    TS_TRY(get_l(c, "solver", "nsub", o->nsub, 1, 1000000, &v));
    o->nsub = (int)v;
    TS_TRY(get_l(c, "solver", "steps_per_decade", o->steps_per_decade, 0, 10000, &v));
    o->steps_per_decade = (int)v;
    TS_TRY(get_l(c, "solver", "ncell", o->ncell, 1, 100000, &v));
    o->ncell = (int)v;
    static const char *const meth[] = {"be", "cn"};
    int m;
    TS_TRY(ts_config_get_choice(c, "solver", "method", "be", meth, 2, &m));
    o->theta = m ? 0.5 : 1.0;
    TS_TRY(get_d(c, "solver", "current_scale", o->current_scale, -1e6, 1e6, &o->current_scale));
    static const char *const rules[] = {"auto", "name", "connectivity"};
    int ru;
    TS_TRY(ts_config_get_choice(c, "solver", "trees", "auto", rules, 3, &ru));
    o->rule = (ts_em_tree_rule)ru;
    TS_TRY(ts_config_get_bool(c, "solver", "resolve_dc", o->resolve_dc, &o->resolve_dc));
    TS_TRY(get_l(c, "solver", "threads", 0, 0, 1024, &v));
    o->nthreads = (int)v;
    return 0;
}

static int set_if(ts_config *c, const char *sec, const char *key, const char *val)
{
    return val ? ts_config_set(c, sec, key, val) : 0;
}

static int cmd_analyze(int argc, char **argv)
{
    const char *config = NULL, *emspice = NULL, *out = "em-out", *years = NULL, *scale = NULL, *method = NULL,
               *nout = NULL, *nsub = NULL, *ncell = NULL, *threads = NULL, *rule = NULL, *delta = NULL,
               *width = NULL;
    uint64_t seed = 1;
    int no_resolve = 0;
    const ts_opt opts[] = {
        {"config", TS_OPT_STRING, &config, "FILE", "INI file: [material] [geometry] [failure] [solver] (docs/em.md)"},
        {"emspice-constants", TS_OPT_STRING, &emspice, "FILE",
         "read material constants and nx from EMspice's EM_spice_constant.txt"},
        {"years", TS_OPT_STRING, &years, "Y", "analysis horizon in years (default 10)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (CSV, HDF5, PNG, run.ini)"},
        {"seed", TS_OPT_U64, &seed, "N", "recorded in run.ini (the analysis is deterministic)"},
        {"scale", TS_OPT_STRING, &scale, "S", "multiply every current source (default 1; EMspice uses 0.4)"},
        {"method", TS_OPT_STRING, &method, "be|cn", "time stepping: backward Euler or Crank-Nicolson (default be)"},
        {"nout", TS_OPT_STRING, &nout, "N", "output times over the horizon (default 40)"},
        {"nsub", TS_OPT_STRING, &nsub, "N", "implicit steps per output interval (default 5)"},
        {"ncell", TS_OPT_STRING, &ncell, "N", "finite-volume cells per wire (default 19 = EMspice nx 20)"},
        {"trees", TS_OPT_STRING, &rule, "auto|name|connectivity", "how wires group into trees (default auto)"},
        {"delta", TS_OPT_STRING, &delta, "M", "void interface thickness in m, 0 = Dirichlet (default 1e-9)"},
        {"width", TS_OPT_STRING, &width, "M", "wire width in m for every wire (default 0: from R, EMspice)"},
        {"threads", TS_OPT_STRING, &threads, "N", "OpenMP threads (default 0 = all)"},
        {"no-resolve", TS_OPT_FLAG, &no_resolve, NULL, "do not re-solve the DC grid as voids grow"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel em analyze GRID.sp [options]",
                          "DC solve of a SPICE power grid, interconnect trees, Korhonen stress with void "
                          "nucleation and growth, resistance change and time to failure per tree. Writes "
                          "trees.csv, history.csv, nodes.csv, node_stress.h5 and PNG plots into --out.",
                          opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel em analyze: expected one GRID.sp argument (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_config *cfg = NULL;
    rc = config ? ts_config_load(config, &cfg) : ((cfg = ts_config_create()) ? 0 : TS_ERR_NOMEM);
    if (rc) return ts_cli_fail(rc, "em analyze");
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    int nx = 0;
    if (emspice && (rc = ts_em_params_read_emspice(emspice, &p, &nx)) != 0) {
        ts_config_destroy(cfg);
        return ts_cli_fail(rc, "em analyze");
    }
    if (nx > 1) o.ncell = nx - 1;
    char nres[32];
    snprintf(nres, sizeof nres, "%s", no_resolve ? "false" : "true");
    if (!rc) rc = set_if(cfg, "solver", "years", years);
    if (!rc) rc = set_if(cfg, "solver", "current_scale", scale);
    if (!rc) rc = set_if(cfg, "solver", "method", method);
    if (!rc) rc = set_if(cfg, "solver", "nout", nout);
    if (!rc) rc = set_if(cfg, "solver", "nsub", nsub);
    if (!rc) rc = set_if(cfg, "solver", "ncell", ncell);
    if (!rc) rc = set_if(cfg, "solver", "trees", rule);
    if (!rc) rc = set_if(cfg, "solver", "threads", threads);
    if (!rc && no_resolve) rc = set_if(cfg, "solver", "resolve_dc", nres);
    if (!rc) rc = set_if(cfg, "material", "delta", delta);
    if (!rc) rc = set_if(cfg, "geometry", "width", width);
    if (!rc) rc = em_config_params(cfg, &p, &o);
    if (!rc) rc = ts_config_check_unknown(cfg);
    ts_em_netlist *nl = NULL;
    ts_em_trees *tr = NULL;
    ts_em_result *res = NULL;
    if (!rc) rc = ts_em_netlist_read(pos[0], &nl);
    if (!rc) rc = ts_em_analyze(nl, &p, &o, &tr, &res);
    /* only now, with a complete result, the output folder is created */
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "em analyze", seed, &run);
    if (!rc) rc = em_write_outputs(ts_run_dir(run), nl, tr, res, NULL, NULL);
    if (!rc) rc = ts_run_write_ini(run, cfg);
    if (!rc) {
        em_print_summary(stdout, nl, tr, res);
        printf("outputs     %s/\n", out);
    }
    ts_run_destroy(run);
    ts_em_result_destroy(res);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
    ts_config_destroy(cfg);
    return rc ? ts_cli_fail(rc, "em analyze") : TS_EXIT_OK;
}

/* FV solution of one segment with log-spaced steps (CN after one BE step). */
static int segment_fdm(const ts_em_params *p, double L, double G, int kind, double t, int ncell, double sigma0,
                       double delta, int steps_per_decade, double *x, double *s)
{
    int wa = 0, wb = 1;
    double width = 1e-6;
    ts_em_wires w = {2, 1, &wa, &wb, &L, &width, ncell};
    ts_em_fv *fv;
    TS_TRY(ts_em_fv_create(&w, ts_em_kappa(p), sigma0, 0, &fv));
    int rc = ts_em_fv_set_G(fv, &G);
    if (!rc && kind) rc = ts_em_fv_set_void(fv, kind == 1 ? 1 : 0, delta);
    double t0 = t * 1e-7, tc = 0;
    if (!rc) rc = ts_em_fv_step(fv, t0, 1.0);
    tc = t0;
    int n = (int)ceil(steps_per_decade * log10(t / t0));
    double f = pow(t / t0, 1.0 / n);
    for (int i = 0; i < n && !rc; i++) {
        double tn = i == n - 1 ? t : tc * f;
        rc = ts_em_fv_step(fv, tn - tc, 0.5);
        tc = tn;
    }
    int np = ts_em_fv_npoints(fv);
    const double *sig = ts_em_fv_sigma(fv);
    for (int q = 0; q < np && !rc; q++) {
        int wi;
        double xq;
        ts_em_fv_point(fv, q, &wi, &xq);
        /* points: 0 (x=0), 1 (x=L), then interior in order */
        int slot = q == 0 ? 0 : q == 1 ? ncell : q - 1;
        x[slot] = xq;
        s[slot] = sig[q];
    }
    ts_em_fv_destroy(fv);
    return rc;
}

static int cmd_segment(int argc, char **argv)
{
    double L = 50e-6, j = 1e10, t = 1e8, sigma0 = 0, delta = 0;
    long ncell = 200, spd = 200;
    const char *voidpos = "none", *method = "fdm", *out = NULL, *config = NULL;
    uint64_t seed = 1;
    const ts_opt opts[] = {
        {"length", TS_OPT_DOUBLE, &L, "M", "segment length in m"},
        {"j", TS_OPT_DOUBLE, &j, "A/M2", "current density in A/m^2 (along +x)"},
        {"void", TS_OPT_STRING, &voidpos, "none|left|right", "void (sigma = 0) at x = 0 (left) or x = L (right)"},
        {"t", TS_OPT_DOUBLE, &t, "S", "time in s"},
        {"method", TS_OPT_STRING, &method, "fdm|closed-form", "finite volumes or seed eqs. (7)/(10)"},
        {"ncell", TS_OPT_LONG, &ncell, "N", "cells (fdm) / output intervals (closed-form)"},
        {"steps", TS_OPT_LONG, &spd, "N", "fdm time steps per decade of t (log spacing)"},
        {"sigma0", TS_OPT_DOUBLE, &sigma0, "PA", "initial stress in Pa"},
        {"delta", TS_OPT_DOUBLE, &delta, "M", "fdm void interface thickness in m (0: Dirichlet)"},
        {"config", TS_OPT_STRING, &config, "FILE", "INI with [material] constants (defaults: EMspice)"},
        {"out", TS_OPT_STRING, &out, "DIR", "write DIR/segment.csv instead of standard output"},
        {"seed", TS_OPT_U64, &seed, "N", "recorded in run.ini"},
    };
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel em segment [options]",
                          "Stress profile sigma(x, t) of one wire segment with blocked ends (or a void at one "
                          "end) as CSV x_m,sigma_Pa: finite volumes or the closed form of seed 003.",
                          opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    int kind = !strcmp(voidpos, "none") ? 0 : !strcmp(voidpos, "right") ? 1 : !strcmp(voidpos, "left") ? 2 : -1;
    int fdm = !strcmp(method, "fdm") ? 1 : !strcmp(method, "closed-form") ? 0 : -1;
    if (kind < 0 || fdm < 0 || !(L > 0) || !(t > 0) || ncell < 1 || ncell > 1000000 || spd < 1 || !(delta >= 0)) {
        fprintf(stderr, "tinsel em segment: need --void none|left|right, --method fdm|closed-form, "
                        "--length > 0, --t > 0, 1 <= --ncell <= 1e6, --steps >= 1, --delta >= 0\n");
        return TS_EXIT_USAGE;
    }
    ts_config *cfg = NULL;
    rc = config ? ts_config_load(config, &cfg) : ((cfg = ts_config_create()) ? 0 : TS_ERR_NOMEM);
    ts_em_params p;
    ts_em_params_default(&p);
    if (!rc) rc = em_config_params(cfg, &p, NULL);
    if (!rc) rc = ts_config_check_unknown(cfg);
    int n = (int)ncell + 1;
    double *x = malloc((size_t)n * sizeof(double)), *s = malloc((size_t)n * sizeof(double));
    if (!rc && (!x || !s)) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    double G = ts_em_G(&p, j), kappa = ts_em_kappa(&p);
    if (!rc && fdm) rc = segment_fdm(&p, L, G, kind, t, (int)ncell, sigma0, delta, (int)spd, x, s);
    if (!rc && !fdm) {
        int P = ts_em_segment_P(L, kappa, t);
        ts_em_segment sg = {kind, L, kappa, -G, -G, NULL, 0, sigma0, P, 400};
        for (int k = 0; k < n; k++) {
            x[k] = L * k / (n - 1);
            s[k] = ts_em_segment_stress(&sg, x[k], t);
        }
    }
    ts_run *run = NULL;
    if (!rc && out) {
        rc = ts_run_create(out, "em segment", seed, &run);
        static const char *hdr[] = {"x_m", "sigma_Pa"};
        char *path = rc ? NULL : ts_run_path(run, "segment.csv");
        ts_csv *c = NULL;
        if (!rc) rc = path ? ts_csv_open(path, 2, hdr, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int k = 0; k < n && !rc; k++) {
            double row[2] = {x[k], s[k]};
            rc = ts_csv_row_d(c, row);
        }
        if (!rc) rc = ts_csv_close(c);
        else ts_csv_abort(c);
        free(path);
        if (!rc) rc = ts_run_write_ini(run, cfg);
    } else if (!rc) {
        printf("x_m,sigma_Pa\n");
        for (int k = 0; k < n; k++) printf("%.17g,%.17g\n", x[k], s[k]);
    }
    ts_run_destroy(run);
    free(x);
    free(s);
    ts_config_destroy(cfg);
    return rc ? ts_cli_fail(rc, "em segment") : TS_EXIT_OK;
}

/* The demo's grid: armcore from the source tree when it can be found next
 * to the executable (build/../examples/em), else a synthetic grid. */
static char *find_armcore(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *env = getenv("TINSEL_EM_GRID");
    if (env && ts_file_exists(env)) {
        char *r = malloc(strlen(env) + 1);
        if (r) strcpy(r, env);
        return r;
    }
    const char *rel[] = {"/../examples/em/armcore.sp", "/../../examples/em/armcore.sp"};
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        for (int i = 0; i < 2; i++) {
            char buf[PATH_MAX + 64];
            snprintf(buf, sizeof buf, "%s%s", exe, rel[i]);
            if (ts_file_exists(buf)) {
                char *r = malloc(strlen(buf) + 1);
                if (r) strcpy(r, buf);
                return r;
            }
        }
    }
    if (ts_file_exists("examples/em/armcore.sp")) {
        char *r = malloc(32);
        if (r) strcpy(r, "examples/em/armcore.sp");
        return r;
    }
    return NULL;
}

/* The stochastic part of the demo: Monte Carlo over 10 % current variation
 * on a generated 50-segment post-void tree, checked against the exact
 * linear-response moments. */
static int em_demo_mc(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed)
{
    ts_em_params p;
    ts_em_options o;
    ts_em_mc_options m;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    ts_em_mc_options_default(&m);
    m.samples = 64;
    m.seed = seed;
    ts_em_tree *t = NULL;
    ts_em_mc_result *r = NULL;
    int rc = ts_em_tree_generate(50, seed, p.thickness, &p, &t);
    if (!rc) rc = ts_em_mc_run(&t, 1, &p, &o, &m, &r);
    size_t n = t ? (size_t)(o.nout + 1) * t->nvert : 0;
    double *mean = malloc(n * sizeof(double) + 1), *sd = malloc(n * sizeof(double) + 1);
    if (!rc && (!mean || !sd)) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc) rc = ts_em_linear_moments(t, &p, &o, &m.var, mean, sd);
    if (!rc) rc = ts_report_section(rep, "em: Monte Carlo over current variation");
    if (!rc) rc = em_mc_write(outdir, &t, 1, r, rep, relprefix);
    if (!rc) {
        double wm = 0, ws = 0, smax = 0;
        for (size_t q = 0; q < n; q++) {
            smax = fmax(smax, sd[q]);
            wm = fmax(wm, fabs(r->stat[q].mean - mean[q]));
            ws = fmax(ws, fabs(ts_em_stat_std(&r->stat[q]) - sd[q]));
        }
        rc = ts_report_text(rep,
                            "Generated 50-segment tree (10-50 um, 1 um wide, |j| 5e8-5e9 A/m^2, void at vertex 0 at t = 0), "
                            "%ld samples of independent normal current densities with 10 %% relative std, %.2f s. "
                            "Against the exact moments of the linear post-void problem (%d + 2 deterministic solves): "
                            "largest error of the mean %.3g MPa, of the std %.3g MPa (largest std %.3g MPa; the "
                            "sampling standard error of a std with %ld samples is %.0f %% of it).",
                            m.samples, r->wall_s, t->nwire, wm / 1e6, ws / 1e6, smax / 1e6, m.samples,
                            100.0 / sqrt(2.0 * (m.samples - 1)));
    }
    free(mean);
    free(sd);
    ts_em_mc_result_destroy(r);
    ts_em_tree_destroy(t);
    return rc;
}

static int em_demo(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed)
{
    char *grid = find_armcore();
    ts_em_netlist *nl = NULL;
    int rc;
    ts_em_params p;
    ts_em_options o;
    ts_em_params_default(&p);
    ts_em_options_default(&o);
    if (grid) {
        rc = ts_em_netlist_read(grid, &nl);
        o.current_scale = 0.4; /* EMspice's convention for its ARM grids */
        if (!rc) ts_report_text(rep, "ARM-core power grid `%s` (EMspice's example; currents x 0.4 as in EMspice), "
                                     "EMspice constants, 10 years, backward Euler, 19 cells per wire.", grid);
    } else {
        char *text = NULL;
        rc = ts_em_grid_synth(20, 200, 60, 40000, seed, &text);
        if (!rc) rc = ts_em_netlist_parse(text, "synthetic-grid.sp", &nl);
        free(text);
        if (!rc) ts_report_text(rep, "armcore.sp not found (set TINSEL_EM_GRID); synthetic 20x200 grid instead.");
    }
    free(grid);
    ts_em_trees *tr = NULL;
    ts_em_result *res = NULL;
    if (!rc) rc = ts_em_analyze(nl, &p, &o, &tr, &res);
    if (!rc) rc = em_write_outputs(outdir, nl, tr, res, rep, relprefix);
    if (!rc) {
        int nv = 0, nf = 0;
        for (int i = 0; i < res->ntrees; i++) {
            nv += isfinite(res->t_nuc[i]) != 0;
            nf += isfinite(res->ttf[i]) != 0;
        }
        ts_report_text(rep,
                       "%d trees, %ld grid points, %ld tree-steps in %.3f s; %d trees nucleated a void, %d failed "
                       "(dR/R >= %.0f %% or void >= width); grid TTF %.4g years (tree %s).",
                       res->ntrees, res->points, res->steps, res->wall_s, nv, nf, 100 * p.dr_threshold,
                       res->grid_ttf / YEAR_S, tr->tree_names[res->worst]);
    }
    ts_em_result_destroy(res);
    ts_em_trees_destroy(tr);
    ts_em_netlist_destroy(nl);
    if (!rc) rc = em_demo_mc(outdir, relprefix, rep, seed);
    return rc;
}

static const ts_command em_commands[] = {
    {"analyze", "DC solve, trees, stress, voids, resistance and lifetime of a SPICE power grid", cmd_analyze},
    {"segment", "stress profile of one wire segment (finite volumes or closed form) as CSV", cmd_segment},
    {"bpinn", "Bayesian physics-informed network (train|predict) for post-void stress statistics", em_cmd_bpinn},
    {"mc", "Monte Carlo over branch-current variation: stress statistics, nucleation and TTF distributions", em_cmd_mc},
};

const ts_engine ts_engine_em = {
    "em", "electromigration stress, voids, resistance and lifetime of power-grid interconnect trees",
    em_commands, (int)(sizeof em_commands / sizeof em_commands[0]), em_demo,
};
