/* tinsel pf: phase-field growth of Cu3Sn / Cu6Sn5 layers (seed 002).
 *   tinsel pf run INPUT.ini [--out DIR] [--restart] [--t-end S]
 *   tinsel pf table INPUT.ini... [--out DIR]     growth constants of several cases
 * Units SI (m, s, Pa, J/m^3). See docs/pf.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tinsel/pf.h"

/* ------------------------------------------------------------ one case */

typedef struct {
    const char *name;
    double fit_t0, fit_t1; /* s */
    long n_out;            /* samples of the thickness history */
    double ck_every;       /* s of simulated time between checkpoints */
    double ref_k[TS_PF_MAXPHASE]; /* reference k for the table (0: none) */
} pf_case;

typedef struct {
    double k[TS_PF_MAXPHASE], kerr[TS_PF_MAXPHASE], d0[TS_PF_MAXPHASE];
    int fit_ok[TS_PF_MAXPHASE];
    long steps, rejected;
    double wall, t_final;
} pf_result;

static int pf_read_case(ts_config *cfg, ts_pf_params *p, pf_case *cs)
{
    TS_TRY(ts_pf_params_from_config(cfg, p));
    memset(cs, 0, sizeof *cs);
    TS_TRY(ts_config_get_string(cfg, "case", "name", "pf", &cs->name));
    TS_TRY(ts_config_get_double(cfg, "output", "fit_t0", 72000.0, 0, INFINITY, &cs->fit_t0));
    TS_TRY(ts_config_get_double(cfg, "output", "fit_t1", 158400.0, 0, INFINITY, &cs->fit_t1));
    TS_TRY(ts_config_get_long(cfg, "output", "n_out", 400, 10, 1000000, &cs->n_out));
    TS_TRY(ts_config_get_double(cfg, "output", "checkpoint_every", p->t_end / 10, 0, INFINITY,
                                &cs->ck_every));
    for (int r = 0; r < p->nphase; r++) {
        char key[64];
        snprintf(key, sizeof key, "ref_k_%s", p->ph[r].name);
        TS_TRY(ts_config_get_double(cfg, "case", key, 0, -1, 1, &cs->ref_k[r]));
    }
    if (!(cs->fit_t1 > cs->fit_t0))
        return ts_error_set(TS_ERR_RANGE, "[output] fit window [%g, %g] s is empty", cs->fit_t0,
                            cs->fit_t1);
    return ts_config_check_unknown(cfg);
}

/* growable history of (t, d[P]) */
typedef struct {
    size_t n, cap;
    int P;
    double *t, *d; /* d[k*P + r] */
} history;

static int hist_push(history *h, double t, const double *d)
{
    if (h->n == h->cap) {
        size_t nc = h->cap ? 2 * h->cap : 512;
        double *nt = realloc(h->t, nc * sizeof(double));
        if (!nt) return ts_error_set(TS_ERR_NOMEM, "out of memory (history)");
        h->t = nt;
        double *nd = realloc(h->d, nc * h->P * sizeof(double));
        if (!nd) return ts_error_set(TS_ERR_NOMEM, "out of memory (history)");
        h->d = nd;
        h->cap = nc;
    }
    h->t[h->n] = t;
    memcpy(h->d + h->n * h->P, d, h->P * sizeof(double));
    h->n++;
    return 0;
}

static int write_history(const char *path, const ts_pf_params *p, const history *h)
{
    const char *hdr[2 + TS_PF_MAXPHASE];
    char names[TS_PF_MAXPHASE][48];
    hdr[0] = "time_s";
    hdr[1] = "sqrt_time_s05";
    for (int r = 0; r < p->nphase; r++) {
        snprintf(names[r], sizeof names[r], "d_%s_m", p->ph[r].name);
        hdr[2 + r] = names[r];
    }
    ts_csv *c = NULL;
    TS_TRY(ts_csv_open(path, 2 + p->nphase, hdr, &c));
    for (size_t k = 0; k < h->n; k++) {
        double row[2 + TS_PF_MAXPHASE];
        row[0] = h->t[k];
        row[1] = sqrt(h->t[k]);
        for (int r = 0; r < p->nphase; r++) row[2 + r] = h->d[k * h->P + r];
        int rc = ts_csv_row_d(c, row);
        if (rc) {
            ts_csv_abort(c);
            return rc;
        }
    }
    return ts_csv_close(c);
}

static int read_history(const char *path, const ts_pf_params *p, history *h)
{
    char **names = NULL;
    int nc = 0;
    double *d = NULL;
    size_t nr = 0;
    TS_TRY(ts_csv_read(path, &names, &nc, &d, &nr));
    int rc = 0;
    if (nc != 2 + p->nphase)
        rc = ts_error_set(TS_ERR_FORMAT, "%s: %d columns, expected %d", path, nc, 2 + p->nphase);
    for (size_t k = 0; !rc && k < nr; k++) rc = hist_push(h, d[k * nc], d + k * nc + 2);
    free(d);
    ts_strv_free(names, nc);
    return rc;
}

/* The history file is committed before the checkpoint (so a checkpoint never
 * points at a missing history), which means a run killed between the two
 * commits leaves a history one output row ahead of the state in the
 * checkpoint. On restart those rows would be computed and pushed again,
 * duplicated in thickness.csv. Drop every row later than the restored time. */
static void hist_trim(history *h, double t)
{
    while (h->n > 0 && h->t[h->n - 1] > t * (1 + 1e-12)) h->n--;
}

/* Test hook, undocumented: TINSEL_PF_TEST_KILL=J makes the process die
 * (_Exit, no cleanup, like SIGKILL) at output sample J after the checkpoint
 * history is committed and before the checkpoint itself is: the worst moment
 * for a kill, reproduced deterministically instead of by a wall-clock timeout. */
static void test_kill_hook(long j)
{
    const char *env = getenv("TINSEL_PF_TEST_KILL");
    if (env && *env && strtol(env, NULL, 10) == j) _Exit(137);
}

static int plot_history(const char *path, const ts_pf_params *p, const history *h)
{
    ts_plot *pl = ts_plot_create("IMC layer thickness", "sqrt(time) (s^1/2)", "thickness (um)");
    if (!pl) return ts_error_set(TS_ERR_NOMEM, "out of memory (plot)");
    double *x = malloc(h->n * sizeof(double)), *y = malloc(h->n * sizeof(double));
    int rc = (!x || !y) ? ts_error_set(TS_ERR_NOMEM, "out of memory (plot)") : 0;
    double ymax = 0;
    for (size_t k = 0; k < h->n * h->P; k++)
        if (k % h->P != 0 && k % h->P != (size_t)h->P - 1) ymax = fmax(ymax, h->d[k] * 1e6);
    ts_plot_set_yrange(pl, 0, 1.05 * ymax + 1e-3);
    for (int r = 1; !rc && r < p->nphase - 1; r++) { /* the intermediate layers */
        for (size_t k = 0; k < h->n; k++) {
            x[k] = sqrt(h->t[k]);
            y[k] = h->d[k * h->P + r] * 1e6;
        }
        rc = ts_plot_line(pl, h->n, x, y, p->ph[r].name);
    }
    if (!rc) rc = ts_plot_write_png(pl, path, 900, 600);
    free(x);
    free(y);
    ts_plot_destroy(pl);
    return rc;
}

static int write_profiles(const ts_run *run, const ts_pf_sim *s)
{
    const ts_pf_params *p = ts_pf_sim_params(s);
    int n = p->n, P = p->nphase;
    double *vm = malloc(n * sizeof(double)), *fel = malloc(n * sizeof(double)),
           *pb = malloc(n * sizeof(double)), *mu = malloc(n * sizeof(double)),
           *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
    int rc = (!vm || !fel || !pb || !mu || !x || !y) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    if (!rc) rc = ts_pf_sim_profiles(s, vm, fel, pb, mu);
    const double *eta = ts_pf_sim_eta(s), *c = ts_pf_sim_c(s);
    char *path = NULL;
    if (!rc) {
        const char *hdr[6 + TS_PF_MAXPHASE];
        char names[TS_PF_MAXPHASE][48];
        hdr[0] = "x_m";
        for (int r = 0; r < P; r++) {
            snprintf(names[r], sizeof names[r], "eta_%s", p->ph[r].name);
            hdr[1 + r] = names[r];
        }
        hdr[1 + P] = "c_Sn";
        hdr[2 + P] = "mu_J_m3";
        hdr[3 + P] = "von_mises_Pa";
        hdr[4 + P] = "f_el_J_m3";
        hdr[5 + P] = "p_cum";
        path = ts_run_path(run, "profiles.csv");
        ts_csv *cv = NULL;
        rc = path ? ts_csv_open(path, 6 + P, hdr, &cv) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int i = 0; !rc && i < n; i++) {
            double row[6 + TS_PF_MAXPHASE];
            row[0] = (i + 0.5) * p->dx;
            for (int r = 0; r < P; r++) row[1 + r] = eta[r * n + i];
            row[1 + P] = c[i];
            row[2 + P] = mu[i];
            row[3 + P] = vm[i];
            row[4 + P] = fel[i];
            row[5 + P] = pb[i];
            rc = ts_csv_row_d(cv, row);
        }
        if (cv) {
            if (rc) ts_csv_abort(cv);
            else rc = ts_csv_close(cv);
        }
        free(path);
    }
    for (int i = 0; i < n && x; i++) x[i] = (i + 0.5) * p->dx * 1e6;
    if (!rc) {
        ts_plot *pl = ts_plot_create("composition", "x (um)", "Sn mole fraction");
        if (!pl) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc) rc = ts_plot_line(pl, n, x, c, "c");
        path = ts_run_path(run, "composition.png");
        if (!rc) rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
        ts_plot_destroy(pl);
    }
    if (!rc && p->mechanics) {
        ts_plot *pl = ts_plot_create("von Mises stress", "x (um)", "stress (MPa)");
        if (!pl) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int i = 0; !rc && i < n; i++) y[i] = vm[i] * 1e-6;
        if (!rc) rc = ts_plot_line(pl, n, x, y, "phase-averaged von Mises");
        path = ts_run_path(run, "stress.png");
        if (!rc) rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
        ts_plot_destroy(pl);
        pl = ts_plot_create("cumulative plastic strain", "x (um)", "p (-)");
        if (!pl && !rc) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc) rc = ts_plot_line(pl, n, x, pb, "phase-averaged p");
        path = ts_run_path(run, "plastic.png");
        if (!rc) rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
        ts_plot_destroy(pl);
    }
    free(vm);
    free(fel);
    free(pb);
    free(mu);
    free(x);
    free(y);
    return rc;
}

static int write_fits(const ts_run *run, const ts_pf_params *p, const pf_case *cs,
                      const history *h, pf_result *res)
{
    char *path = ts_run_path(run, "k_fit.csv");
    if (!path) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    static const char *hdr[] = {"phase", "k_m2_s", "k_err_m2_s", "d0_m", "fit_t0_s", "fit_t1_s", "ref_k_m2_s"};
    ts_csv *c = NULL;
    int rc = ts_csv_open(path, 7, hdr, &c);
    free(path);
    if (rc) return rc;
    double *d = malloc(h->n * sizeof(double));
    if (!d) {
        ts_csv_abort(c);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (int r = 0; !rc && r < p->nphase; r++) {
        for (size_t k = 0; k < h->n; k++) d[k] = h->d[k * h->P + r];
        res->fit_ok[r] = ts_pf_fit_k(h->n, h->t, d, cs->fit_t0, cs->fit_t1, &res->k[r], &res->kerr[r],
                                     &res->d0[r]) == 0;
        if (!res->fit_ok[r]) {
            ts_error_clear();
            res->k[r] = res->kerr[r] = res->d0[r] = NAN;
        }
        rc = ts_csv_cell_s(c, p->ph[r].name);
        if (!rc) rc = ts_csv_cell_d(c, res->k[r]);
        if (!rc) rc = ts_csv_cell_d(c, res->kerr[r]);
        if (!rc) rc = ts_csv_cell_d(c, res->d0[r]);
        if (!rc) rc = ts_csv_cell_d(c, cs->fit_t0);
        if (!rc) rc = ts_csv_cell_d(c, cs->fit_t1);
        if (!rc) rc = ts_csv_cell_d(c, cs->ref_k[r]);
        if (!rc) rc = ts_csv_end_row(c);
    }
    free(d);
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    return ts_csv_close(c);
}

static int save_checkpoint(const ts_run *run, const ts_pf_sim *s, const history *h, long j)
{
    char *ck = ts_run_path(run, "checkpoint.bin"), *hp = ts_run_path(run, "checkpoint_history.csv");
    int rc = (!ck || !hp) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    /* history first: a checkpoint never points at a missing history */
    if (!rc) rc = write_history(hp, ts_pf_sim_params(s), h);
    if (!rc) test_kill_hook(j);
    if (!rc) rc = ts_pf_sim_save(s, ck);
    free(ck);
    free(hp);
    return rc;
}

/* Runs one case into run's folder. */
static int pf_run_case(const ts_pf_params *p, const pf_case *cs, const ts_run *run, int restart,
                       pf_result *res)
{
    memset(res, 0, sizeof *res);
    double w0 = ts_time_now();
    ts_pf_sim *s = NULL;
    history h = {0, 0, p->nphase, NULL, NULL};
    int rc = 0;
    char *ck = ts_run_path(run, "checkpoint.bin"), *hp = ts_run_path(run, "checkpoint_history.csv");
    if (!ck || !hp) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc && restart && ts_file_exists(ck)) {
        rc = ts_pf_sim_load(p, ck, &s);
        if (!rc) rc = read_history(hp, p, &h);
        if (!rc) hist_trim(&h, ts_pf_sim_time(s));
        if (!rc) ts_log_info("pf: restarting %s at t = %g s", cs->name, ts_pf_sim_time(s));
    } else if (!rc) {
        rc = ts_pf_sim_create(p, &s);
        double d[TS_PF_MAXPHASE];
        if (!rc) {
            ts_pf_sim_thickness(s, d);
            rc = hist_push(&h, 0.0, d);
        }
    }
    ts_progress *pg = rc ? NULL : ts_progress_create(cs->name, p->t_end, "s");
    double next_ck = s ? ts_pf_sim_time(s) + cs->ck_every : 0;
    for (long j = 1; !rc && j <= cs->n_out; j++) {
        double t = p->t_end * (double)j / (double)cs->n_out;
        if (t <= ts_pf_sim_time(s) * (1 + 1e-12)) continue;
        rc = ts_pf_sim_advance(s, t);
        if (rc) break;
        double d[TS_PF_MAXPHASE];
        ts_pf_sim_thickness(s, d);
        rc = hist_push(&h, t, d);
        char note[96];
        snprintf(note, sizeof note, "dt %.3g s, %ld steps", ts_pf_sim_dt(s), ts_pf_sim_steps(s));
        ts_progress_update(pg, t, note);
        if (!rc && cs->ck_every > 0 && t >= next_ck && j < cs->n_out) {
            rc = save_checkpoint(run, s, &h, j);
            next_ck = t + cs->ck_every;
        }
        if (!rc && ts_interrupted()) {
            rc = save_checkpoint(run, s, &h, j);
            if (!rc)
                rc = ts_error_set(TS_ERR_INTERRUPTED,
                                  "interrupted at t = %g s; checkpoint written, resume with --restart", t);
        }
    }
    ts_progress_destroy(pg);
    char *path = NULL;
    if (!rc) {
        path = ts_run_path(run, "thickness.csv");
        rc = path ? write_history(path, p, &h) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
    }
    if (!rc) {
        path = ts_run_path(run, "thickness.png");
        rc = path ? plot_history(path, p, &h) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
    }
    if (!rc) rc = write_fits(run, p, cs, &h, res);
    if (!rc) rc = write_profiles(run, s);
    if (s) {
        res->steps = ts_pf_sim_steps(s);
        res->rejected = ts_pf_sim_rejected(s);
        res->t_final = ts_pf_sim_time(s);
    }
    if (!rc) { /* finished: the checkpoint is no longer needed */
        remove(ck);
        remove(hp);
    }
    res->wall = ts_time_now() - w0;
    free(ck);
    free(hp);
    free(h.t);
    free(h.d);
    ts_pf_sim_destroy(s);
    return rc;
}

/* ------------------------------------------------------------ commands */

static int cmd_run(int argc, char **argv)
{
    const char *out = "pf-out";
    uint64_t seed = 1;
    int restart = 0;
    double t_end = -1;
    ts_opt opts[] = {
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (run.ini, CSV, PNG, checkpoint)"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (recorded; the 1D model is deterministic)"},
        {"restart", TS_OPT_FLAG, &restart, NULL, "resume from DIR/checkpoint.bin if present"},
        {"t-end", TS_OPT_DOUBLE, &t_end, "S", "override [time] t_end, s (negative: keep)"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel pf run INPUT.ini [options]",
                          "Runs a 1D multi-phase-field simulation of Cu/Cu3Sn/Cu6Sn5/Sn layer growth "
                          "(seed 002) from an INI file (keys: docs/pf.md; examples: examples/pf/). "
                          "Writes thickness.csv/png (m vs s), k_fit.csv (d = d0 + sqrt(k t), m^2/s), "
                          "profiles.csv (x in m, c, mu in J/m^3, von Mises in Pa, f_el in J/m^3, p), "
                          "composition/stress/plastic PNGs and run.ini.",
                          opts, 4, pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel: pf run: expected one INPUT.ini (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_config *cfg = NULL;
    rc = ts_config_load(pos[0], &cfg);
    if (rc) return ts_cli_fail(rc, "pf run");
    if (t_end >= 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", t_end);
        rc = ts_config_set(cfg, "time", "t_end", buf);
    }
    ts_pf_params p;
    pf_case cs;
    if (!rc) rc = pf_read_case(cfg, &p, &cs);
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "pf run", seed, &run);
    if (!rc) rc = ts_run_write_ini(run, cfg);
    pf_result res;
    if (!rc) rc = pf_run_case(&p, &cs, run, restart, &res);
    if (!rc) {
        printf("pf run %s: t = %g s in %ld steps (%ld rejected), %.2f s wall\n", cs.name, res.t_final,
               res.steps, res.rejected, res.wall);
        for (int r = 1; r < p.nphase - 1; r++)
            printf("  k_%s = %.4g +- %.2g m^2/s (fit %g..%g s)%s\n", p.ph[r].name, res.k[r], res.kerr[r],
                   cs.fit_t0, cs.fit_t1, res.k[r] < 0 ? "  [layer shrinks]" : "");
        printf("  outputs in %s/\n", out);
    }
    ts_run_destroy(run);
    ts_config_destroy(cfg);
    return ts_cli_fail(rc, "pf run");
}

/* The seed's Table 1, as config key/value triples (also examples/pf/). */
typedef struct {
    const char *name;
    const char *eigen;
    const char *e11, *e22;
    int fine;        /* VolEig cases: 512 points, dx 0.05 um, kappa/2, 2m */
    double t1;       /* end of fit window */
    double k3, k6;   /* seed values (k6 = 0: shrinks) */
} seed_case;

static const seed_case SEED_CASES[9] = {
    {"NoApp_ZeroEig", "zero", "0", "0", 0, 158400, 1.7021e-17, 4.4460e-17},
    {"NoApp_VolEig", "vol", "0", "0", 1, 158400, 3.4448e-17, 1.1261e-17},
    {"NoApp_EqEig", "eq", "0", "0", 0, 158400, 1.7004e-17, 4.4521e-17},
    {"NoApp_LowEig", "low", "0", "0", 0, 158400, 1.6909e-17, 4.4767e-17},
    {"AppTensY_VolEig", "vol", "0", "0.025", 1, 110100, 3.9599e-17, 2.1472e-18},
    {"AppCompY_VolEig", "vol", "0", "-0.025", 1, 158400, 2.7687e-17, 1.3049e-17},
    {"AppTensY_EqEig", "eq", "0", "0.025", 0, 158400, 1.6351e-17, 3.9134e-17},
    {"AppCompY_EqEig", "eq", "0", "-0.025", 0, 158400, 1.6773e-17, 3.6804e-17},
    {"AppCompX_VolEig", "vol", "-0.025", "0", 1, 158400, 1.1325e-16, 0},
};

static int seed_case_config(const seed_case *sc, const char *lmode, const char *cu, ts_config **out)
{
    ts_config *c = ts_config_create();
    if (!c) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    char b1[64], b2[64], b3[64];
    snprintf(b1, sizeof b1, "%.17g", sc->t1);
    snprintf(b2, sizeof b2, "%.5g", sc->k3);
    snprintf(b3, sizeof b3, "%.5g", sc->k6);
    const char *kv[][3] = {
        {"case", "name", sc->name},
        {"case", "ref_k_Cu3Sn", b2},
        {"case", "ref_k_Cu6Sn5", b3},
        {"model", "eigen", sc->eigen},
        {"model", "interface_mobility", lmode},
        {"model", "cu_free_energy", cu},
        {"mechanics", "enabled", "1"},
        {"mechanics", "e11", sc->e11},
        {"mechanics", "e22", sc->e22},
        {"output", "fit_t1", b1},
        {"output", "n_out", "200"},
    };
    int rc = 0;
    for (size_t k = 0; !rc && k < sizeof kv / sizeof kv[0]; k++) rc = ts_config_set(c, kv[k][0], kv[k][1], kv[k][2]);
    if (!rc && sc->fine) {
        rc = ts_config_set(c, "grid", "n", "512");
        if (!rc) rc = ts_config_set(c, "grid", "dx", "0.05e-6");
        if (!rc) rc = ts_config_set(c, "model", "kappa", "1.125e-7");
        if (!rc) rc = ts_config_set(c, "model", "m", "1e7");
    }
    if (rc) {
        ts_config_destroy(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Runs cfgs[0..n-1] (each into DIR/<case name>), writes DIR/table.csv. */
static int run_table(ts_config **cfgs, int n, const char *out, ts_report *rep, const char *relprefix)
{
    int rc = ts_mkdir_p(out);
    char *tpath = ts_path_join(out, "table.csv");
    if (!rc && !tpath) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    static const char *hdr[] = {"case", "k_Cu3Sn_m2_s", "k_Cu3Sn_err", "ref_k_Cu3Sn", "dev_Cu3Sn_pct",
                                "k_Cu6Sn5_m2_s", "k_Cu6Sn5_err", "ref_k_Cu6Sn5", "dev_Cu6Sn5_pct",
                                "steps", "wall_s"};
    ts_csv *tab = NULL;
    if (!rc) rc = ts_csv_open(tpath, 11, hdr, &tab);
    free(tpath);
    for (int i = 0; !rc && i < n; i++) {
        ts_pf_params p;
        pf_case cs;
        rc = pf_read_case(cfgs[i], &p, &cs);
        char *dir = rc ? NULL : ts_path_join(out, cs.name);
        if (!rc && !dir) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        ts_run *run = NULL;
        if (!rc) rc = ts_run_create(dir, "pf run", 1, &run);
        if (!rc) rc = ts_run_write_ini(run, cfgs[i]);
        pf_result res;
        if (!rc) rc = pf_run_case(&p, &cs, run, 0, &res);
        int i3 = ts_pf_phase_index(&p, "Cu3Sn"), i6 = ts_pf_phase_index(&p, "Cu6Sn5");
        if (!rc && (i3 < 0 || i6 < 0)) rc = i3 < 0 ? i3 : i6;
        if (!rc) {
            int idx[2] = {i3, i6};
            rc = ts_csv_cell_s(tab, cs.name);
            for (int q = 0; !rc && q < 2; q++) {
                int r = idx[q];
                double ref = cs.ref_k[r];
                double dev = ref > 0 ? 100.0 * (res.k[r] - ref) / ref : NAN;
                rc = ts_csv_cell_d(tab, res.k[r]);
                if (!rc) rc = ts_csv_cell_d(tab, res.kerr[r]);
                if (!rc) rc = ts_csv_cell_d(tab, ref);
                if (!rc) rc = ts_csv_cell_d(tab, dev);
            }
            if (!rc) rc = ts_csv_cell_i(tab, res.steps);
            if (!rc) rc = ts_csv_cell_d(tab, res.wall);
            if (!rc) rc = ts_csv_end_row(tab);
            printf("%-18s k_Cu3Sn %.3e (seed %.3e)  k_Cu6Sn5 %+.3e (seed %.3e)  %ld steps %.2f s\n",
                   cs.name, res.k[i3], cs.ref_k[i3], res.k[i6], cs.ref_k[i6], res.steps, res.wall);
            if (rep) {
                ts_report_text(rep,
                               "%s: k(Cu3Sn) = %.3g m^2/s (seed %.3g), k(Cu6Sn5) = %.3g m^2/s (seed %.3g%s); %ld steps, %.2f s",
                               cs.name, res.k[i3], cs.ref_k[i3], res.k[i6], cs.ref_k[i6],
                               cs.ref_k[i6] == 0 ? ": shrinks" : "", res.steps, res.wall);
                char rel[256];
                snprintf(rel, sizeof rel, "%s%s/thickness.png", relprefix, cs.name);
                ts_report_file(rep, rel, "plot", "layer thickness vs sqrt(time)");
                snprintf(rel, sizeof rel, "%s%s/thickness.csv", relprefix, cs.name);
                ts_report_file(rep, rel, "table", "layer thickness vs time (m, s)");
                if (i == 5) {
                    snprintf(rel, sizeof rel, "%s%s/stress.png", relprefix, cs.name);
                    ts_report_file(rep, rel, "plot", "von Mises stress profile at the end");
                    snprintf(rel, sizeof rel, "%s%s/composition.png", relprefix, cs.name);
                    ts_report_file(rep, rel, "plot", "composition profile at the end");
                }
            }
        }
        ts_run_destroy(run);
        free(dir);
    }
    if (tab) {
        if (rc) ts_csv_abort(tab);
        else rc = ts_csv_close(tab);
    }
    if (!rc && rep) {
        char rel[256];
        snprintf(rel, sizeof rel, "%stable.csv", relprefix);
        ts_report_file(rep, rel, "table", "growth constants of the seed's nine cases vs Table 1");
    }
    return rc;
}

static int cmd_table(int argc, char **argv)
{
    const char *out = "pf-table", *lmode = "constant", *cu = "tangent";
    uint64_t seed = 1;
    int seedcases = 0;
    ts_opt opts[] = {
        {"out", TS_OPT_STRING, &out, "DIR", "output folder: DIR/table.csv and one folder per case"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (recorded; deterministic model)"},
        {"seed-cases", TS_OPT_FLAG, &seedcases, NULL, "run the seed's nine Table 1 cases (built in)"},
        {"mobility", TS_OPT_STRING, &lmode, "MODE", "with --seed-cases: constant|diffusion"},
        {"cu", TS_OPT_STRING, &cu, "CHOICE", "with --seed-cases: tangent|printed C_Cu"},
    };
    char *pos[32];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel pf table [INPUT.ini...] [--seed-cases] [options]",
                          "Runs several cases and tabulates the growth constants k (m^2/s) of Cu3Sn "
                          "and Cu6Sn5 next to the reference values given in each file ([case] ref_k_*).",
                          opts, 5, pos, 32, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    int n = seedcases ? 9 : npos;
    if (n == 0) {
        fprintf(stderr, "tinsel: pf table: give INPUT.ini files or --seed-cases\n");
        return TS_EXIT_USAGE;
    }
    ts_config *cfgs[32] = {0};
    for (int i = 0; !rc && i < n; i++)
        rc = seedcases ? seed_case_config(&SEED_CASES[i], lmode, cu, &cfgs[i]) : ts_config_load(pos[i], &cfgs[i]);
    if (!rc) rc = run_table(cfgs, n, out, NULL, "");
    for (int i = 0; i < n; i++) ts_config_destroy(cfgs[i]);
    if (!rc) printf("table: %s/table.csv\n", out);
    return ts_cli_fail(rc, "pf table");
}

static int spinodal_run(int variant_b, double t_end, double dc_target, double dt_max, const char *dir,
                        double *F_end, long *nsteps);

static int pf_demo(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed)
{
    (void)seed;
    ts_report_text(rep,
                   "1D multi-phase-field growth of Cu3Sn and Cu6Sn5 between Cu and Sn at 180 C (seed 002) "
                   "with laminate elasticity and J2 viscoplasticity: the nine strain cases of the seed's "
                   "Table 1, 44 h each, constant interface mobility, tangent-consistent C_Cu.");
    ts_config *cfgs[9] = {0};
    int rc = 0;
    for (int i = 0; !rc && i < 9; i++) rc = seed_case_config(&SEED_CASES[i], "constant", "tangent", &cfgs[i]);
    if (!rc) rc = run_table(cfgs, 9, outdir, rep, relprefix);
    for (int i = 0; i < 9; i++) ts_config_destroy(cfgs[i]);
    for (int v = 0; !rc && v < 2; v++) {
        char *dir = ts_path_join(outdir, v ? "pfhub_bm1b" : "pfhub_bm1a");
        rc = dir ? ts_mkdir_p(dir) : ts_error_set(TS_ERR_NOMEM, "oom");
        double F = 0;
        long ns = 0;
        if (!rc) rc = spinodal_run(v, 1000.0, 0.002, 1.0, dir, &F, &ns);
        if (!rc) {
            ts_report_text(rep, "PFHub benchmark 1%c (%s): free energy %.4f at t = 1000 (%ld steps).",
                           v ? 'b' : 'a', v ? "zero flux" : "periodic", F, ns);
            char rel[256];
            snprintf(rel, sizeof rel, "%s%s/energy.png", relprefix, v ? "pfhub_bm1b" : "pfhub_bm1a");
            ts_report_file(rep, rel, "plot", "PFHub BM1 total free energy vs time");
            snprintf(rel, sizeof rel, "%s%s/c_final.png", relprefix, v ? "pfhub_bm1b" : "pfhub_bm1a");
            ts_report_file(rep, rel, "image", "composition at t = 1000");
        }
        free(dir);
    }
    return rc;
}

/* PFHub BM1 to t_end with a step controlled by max|dc| per step; writes
 * energy.csv/png, c_final.png and c_final.vtk into run's folder. */
static int spinodal_run(int variant_b, double t_end, double dc_target, double dt_max, const char *dir,
                        double *F_end, long *nsteps)
{
    ts_pf_bm1_params p;
    ts_pf_bm1_default(&p, variant_b);
    ts_pf_bm1 *s = NULL;
    TS_TRY(ts_pf_bm1_create(&p, &s));
    size_t nr = (size_t)p.nx * p.ny, cap = 1024, n = 0;
    double *prev = malloc(nr * sizeof(double)), *T = malloc(cap * sizeof(double)),
           *F = malloc(cap * sizeof(double));
    int rc = (!prev || !T || !F) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    double dt = 0.01;
    if (!rc) {
        T[n] = 0;
        F[n++] = ts_pf_bm1_energy(s);
    }
    ts_progress *pg = rc ? NULL : ts_progress_create(variant_b ? "BM1b" : "BM1a", t_end, "time");
    while (!rc && ts_pf_bm1_time(s) < t_end * (1 - 1e-12)) {
        double h = fmin(dt, t_end - ts_pf_bm1_time(s));
        memcpy(prev, ts_pf_bm1_field(s), nr * sizeof(double));
        rc = ts_pf_bm1_step(s, h);
        if (rc) break;
        double dmax = 0;
        const double *c = ts_pf_bm1_field(s);
        for (size_t k = 0; k < nr; k++) dmax = fmax(dmax, fabs(c[k] - prev[k]));
        if (dmax > 2 * dc_target && h > 1e-6) { /* reject: restore, halve */
            ts_pf_bm1_set_field(s, prev);
            ts_pf_bm1_rewind_(s, h);
            dt = 0.5 * h;
            continue;
        }
        dt = fmin(dt_max, h * fmin(1.2, fmax(0.5, 0.9 * dc_target / fmax(dmax, 1e-300))));
        if (n == cap) {
            cap *= 2;
            double *nt = realloc(T, cap * sizeof(double));
            if (nt) T = nt;
            double *nf = realloc(F, cap * sizeof(double));
            if (nf) F = nf;
            if (!nt || !nf) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        }
        if (!rc) {
            T[n] = ts_pf_bm1_time(s);
            F[n++] = ts_pf_bm1_energy(s);
        }
        ts_progress_update(pg, ts_pf_bm1_time(s), NULL);
        if (ts_interrupted()) rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted");
    }
    ts_progress_destroy(pg);
    char *path = NULL;
    if (!rc) {
        static const char *hdr[] = {"time", "free_energy"};
        ts_csv *cv = NULL;
        path = ts_path_join(dir, "energy.csv");
        rc = path ? ts_csv_open(path, 2, hdr, &cv) : ts_error_set(TS_ERR_NOMEM, "oom");
        for (size_t k = 0; !rc && k < n; k++) {
            double row[2] = {T[k], F[k]};
            rc = ts_csv_row_d(cv, row);
        }
        if (cv) {
            if (rc) ts_csv_abort(cv);
            else rc = ts_csv_close(cv);
        }
        free(path);
    }
    if (!rc) {
        ts_plot *pl = ts_plot_create(variant_b ? "PFHub BM1b (no flux)" : "PFHub BM1a (periodic)",
                                     "time (PFHub units)", "total free energy (PFHub units)");
        if (!pl) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        if (!rc) ts_plot_set_log(pl, 1, 1);
        if (!rc) rc = ts_plot_line(pl, n - 1, T + 1, F + 1, "tinsel pf");
        path = ts_path_join(dir, "energy.png");
        if (!rc) rc = path ? ts_plot_write_png(pl, path, 900, 600) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
        ts_plot_destroy(pl);
    }
    if (!rc) {
        double ext[4] = {0, p.nx * p.dx, 0, p.ny * p.dx};
        /* the heat map draws row 0 at the top: flip so that y grows upwards */
        double *flip = malloc(nr * sizeof(double));
        if (!flip) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        for (int j = 0; !rc && j < p.ny; j++)
            memcpy(flip + (size_t)(p.ny - 1 - j) * p.nx, ts_pf_bm1_field(s) + (size_t)j * p.nx,
                   p.nx * sizeof(double));
        path = rc ? NULL : ts_path_join(dir, "c_final.png");
        if (!rc) rc = path ? ts_heatmap_write_png(path, flip, p.nx, p.ny, ext, 0, 0, "c at t_end", "x", "y", "c")
                           : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
        free(flip);
    }
    if (!rc) {
        const char *names[1] = {"c"};
        const double *fields[1] = {ts_pf_bm1_field(s)};
        double sp[3] = {p.dx, p.dx, 1}, org[3] = {0, 0, 0};
        path = ts_path_join(dir, "c_final.vtk");
        rc = path ? ts_vtk_write_image(path, p.nx, p.ny, 1, sp, org, 1, names, fields)
                  : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
    }
    if (!rc) {
        *F_end = F[n - 1];
        *nsteps = (long)n - 1;
    }
    free(prev);
    free(T);
    free(F);
    ts_pf_bm1_destroy(s);
    return rc;
}

static int cmd_spinodal(int argc, char **argv)
{
    const char *out = "pf-spinodal", *variant = "a";
    uint64_t seed = 1;
    double t_end = 1000, dc = 0.001, dt_max = 1;
    ts_opt opts[] = {
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
        {"variant", TS_OPT_STRING, &variant, "a|b", "a: periodic, b: zero flux"},
        {"t-end", TS_OPT_DOUBLE, &t_end, "T", "end time (PFHub units)"},
        {"dc", TS_OPT_DOUBLE, &dc, "X", "target max |dc| per step (step control)"},
        {"dt-max", TS_OPT_DOUBLE, &dt_max, "DT", "largest step"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (recorded; deterministic)"},
    };
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel pf spinodal [options]",
                          "PFHub benchmark 1 (spinodal decomposition, 200 x 200, dx = 1, PFHub units): "
                          "writes energy.csv/png (total free energy vs time), c_final.png and c_final.vtk.",
                          opts, 6, NULL, 0, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    if (strcmp(variant, "a") != 0 && strcmp(variant, "b") != 0) {
        fprintf(stderr, "tinsel: pf spinodal: --variant must be a or b, got '%s'\n", variant);
        return TS_EXIT_USAGE;
    }
    if (!(t_end > 0) || !(dc > 0) || !(dt_max > 0)) {
        fprintf(stderr, "tinsel: pf spinodal: --t-end, --dc and --dt-max must be > 0\n");
        return TS_EXIT_USAGE;
    }
    ts_run *run = NULL;
    rc = ts_run_create(out, "pf spinodal", seed, &run);
    ts_config *cfg = rc ? NULL : ts_config_create();
    char buf[64];
    if (!rc && cfg) {
        ts_config_set(cfg, "spinodal", "variant", variant);
        snprintf(buf, sizeof buf, "%.17g", t_end);
        ts_config_set(cfg, "spinodal", "t_end", buf);
        snprintf(buf, sizeof buf, "%.17g", dc);
        ts_config_set(cfg, "spinodal", "dc", buf);
        snprintf(buf, sizeof buf, "%.17g", dt_max);
        ts_config_set(cfg, "spinodal", "dt_max", buf);
    }
    if (!rc) rc = ts_run_write_ini(run, cfg);
    double F = 0;
    long ns = 0;
    if (!rc) rc = spinodal_run(variant[0] == 'b', t_end, dc, dt_max, ts_run_dir(run), &F, &ns);
    if (!rc) printf("pf spinodal BM1%s: t = %g, F = %.6f, %ld steps; outputs in %s/\n", variant, t_end, F, ns, out);
    ts_config_destroy(cfg);
    ts_run_destroy(run);
    return ts_cli_fail(rc, "pf spinodal");
}

/* 2D run with scalloped Cu6Sn5 (optional Hu-Chen elasticity, no plasticity). */
static int cmd_run2d(int argc, char **argv)
{
    const char *out = "pf-out2d";
    uint64_t seed = 1;
    double t_end = -1;
    int restart = 0;
    ts_opt opts[] = {
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (recorded; deterministic)"},
        {"t-end", TS_OPT_DOUBLE, &t_end, "S", "override [time] t_end, s (negative: keep)"},
        {"restart", TS_OPT_FLAG, &restart, NULL, "resume from DIR/checkpoint2d.bin if present"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel pf run2d INPUT.ini [options]",
                          "2D phase-field growth (FFTW; x = layer normal with zero flux, y periodic; optional "
                          "Hu-Chen elasticity and J2 viscoplasticity) from an INI file: the 1D keys plus [grid2d] ny, dy (m), "
                          "scallop_amp (m), scallop_period (m), hc_tol (Hu-Chen strain tolerance, default 1e-9), mech_every "
                          "(mechanics every k-th step, default 1), c_solver (pcg, default: conjugate gradients to the relative residual "
                          "c_tol, default 1e-3, at most c_max_iter = 200 iterations, else the step is rejected; sweeps: the "
                          "old defect correction, 4 sweeps or until the change is below c_sweep_tol), c_split (face or max_d), "
                          "mixture (rank1, default: the seed's mixed scheme as a rank-one laminate with the local interface "
                          "normal; voigt: equal strain in all phases). "
                          "Writes thickness.csv (m vs s), fields.vtk (eta, c at "
                          "the end), phases.png, composition2d.png and profile.csv (CPU s per part of the step).",
                          opts, 4, pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel: pf run2d: expected one INPUT.ini (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_config *cfg = NULL;
    rc = ts_config_load(pos[0], &cfg);
    if (rc) return ts_cli_fail(rc, "pf run2d");
    if (t_end >= 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", t_end);
        rc = ts_config_set(cfg, "time", "t_end", buf);
    }
    ts_pf_params p;
    long ny = 64, n_out = 100;
    double dy = 0.1e-6, amp = 0, per = 0, ck_every = 0, hc_tol = 1e-9;
    const char *name = "pf2d";
    if (!rc) rc = ts_pf_params_from_config(cfg, &p);
    /* the 2D solver always starts from equilibrium tanh profiles: refuse the
     * 1D option it does not implement instead of ignoring it */
    if (!rc && !p.tanh_init)
        rc = ts_error_set(TS_ERR_UNSUPPORTED, "[grid] init = sharp is not available in 2D (run2d starts from tanh profiles)");
    if (!rc) rc = ts_config_get_string(cfg, "case", "name", "pf2d", &name);
    if (!rc) rc = ts_config_get_long(cfg, "grid2d", "ny", 64, 2, 1 << 16, &ny);
    if (!rc) rc = ts_config_get_double(cfg, "grid2d", "dy", 0.1e-6, 1e-12, 1, &dy);
    if (!rc) rc = ts_config_get_double(cfg, "grid2d", "scallop_amp", 0, 0, 1, &amp);
    if (!rc) rc = ts_config_get_double(cfg, "grid2d", "scallop_period", 0, 0, 1, &per);
    if (!rc) rc = ts_config_get_double(cfg, "grid2d", "hc_tol", 1e-9, 1e-16, 1e-3, &hc_tol);
    long mech_every = 1;
    if (!rc) rc = ts_config_get_long(cfg, "grid2d", "mech_every", 1, 1, 1000, &mech_every);
    const char *csplit = "face";
    if (!rc) rc = ts_config_get_string(cfg, "grid2d", "c_split", "face", &csplit);
    double c_sweep_tol = 0;
    if (!rc) rc = ts_config_get_double(cfg, "grid2d", "c_sweep_tol", 0, 0, 1, &c_sweep_tol);
    if (!rc && strcmp(csplit, "face") != 0 && strcmp(csplit, "max_d") != 0)
        rc = ts_error_set(TS_ERR_RANGE, "[grid2d] c_split must be face or max_d, got '%s'", csplit);
    /* c solver: pcg (default), or the old sweeps, which an input that sets
     * c_sweep_tol gets unless it names c_solver */
    const char *csolver = "pcg";
    double c_tol = TS_PF_C_TOL_DEFAULT;
    long c_max_iter = TS_PF_C_MAXIT_DEFAULT;
    if (!rc) rc = ts_config_get_string(cfg, "grid2d", "c_solver", c_sweep_tol > 0 ? "sweeps" : "pcg", &csolver);
    if (!rc && strcmp(csolver, "pcg") != 0 && strcmp(csolver, "sweeps") != 0)
        rc = ts_error_set(TS_ERR_RANGE, "[grid2d] c_solver must be pcg or sweeps, got '%s'", csolver);
    if (!rc && c_sweep_tol > 0 && strcmp(csolver, "pcg") == 0)
        rc = ts_error_set(TS_ERR_RANGE, "[grid2d] c_sweep_tol applies to c_solver = sweeps; pcg stops at c_tol");
    /* (before the getters, which record the defaults in the resolved configuration) */
    if (!rc && strcmp(csolver, "sweeps") == 0 &&
        (ts_config_has(cfg, "grid2d", "c_tol") || ts_config_has(cfg, "grid2d", "c_max_iter")))
        rc = ts_error_set(TS_ERR_RANGE, "[grid2d] c_tol and c_max_iter apply to c_solver = pcg, not sweeps");
    if (!rc) rc = ts_config_get_double(cfg, "grid2d", "c_tol", TS_PF_C_TOL_DEFAULT, 1e-14, 0.5, &c_tol);
    /* phase mixture inside the interfaces (mechanics): the seed's mixed scheme
     * as a rank-one laminate with the local normal, or equal strain */
    const char *mixture = "rank1";
    if (!rc) rc = ts_config_get_string(cfg, "grid2d", "mixture", "rank1", &mixture);
    if (!rc && strcmp(mixture, "rank1") != 0 && strcmp(mixture, "voigt") != 0)
        rc = ts_error_set(TS_ERR_RANGE, "[grid2d] mixture must be rank1 or voigt, got '%s'", mixture);
    if (!rc) rc = ts_config_get_long(cfg, "grid2d", "c_max_iter", TS_PF_C_MAXIT_DEFAULT, 1, 100000, &c_max_iter);

    if (!rc) rc = ts_config_get_long(cfg, "output", "n_out", 100, 2, 1000000, &n_out);
    if (!rc) rc = ts_config_get_double(cfg, "output", "checkpoint_every", p.t_end / 10, 0, INFINITY, &ck_every);
    if (!rc) rc = ts_config_check_unknown(cfg);
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "pf run2d", seed, &run);
    if (!rc) rc = ts_run_write_ini(run, cfg);
    char *ck = run ? ts_run_path(run, "checkpoint2d.bin") : NULL, *hp = run ? ts_run_path(run, "checkpoint2d_history.csv") : NULL;
    char *wp = run ? ts_run_path(run, "fftw_wisdom.txt") : NULL;
    if (!rc && (!ck || !hp || !wp)) rc = ts_error_set(TS_ERR_NOMEM, "oom");
    ts_pf_sim2d *s = NULL;
    history h = {0, 0, p.nphase, NULL, NULL};
    double d[TS_PF_MAXPHASE], w0 = ts_time_now();
    /* the plans of an interrupted run (or of an earlier run in this folder):
     * FFTW_MEASURE may pick other algorithms in another process, which
     * changes the last bits */
    if (!rc) rc = ts_pf_fft_wisdom_import(wp);
    if (!rc && restart && ts_file_exists(ck)) {
        rc = ts_pf_sim2d_load(&p, (int)ny, dy, ck, &s);
        if (!rc) rc = read_history(hp, &p, &h);
        if (!rc) hist_trim(&h, ts_pf_sim2d_time(s));
        if (!rc) ts_log_info("pf: restarting %s at t = %g s", name, ts_pf_sim2d_time(s));
    } else if (!rc) {
        rc = ts_pf_sim2d_create(&p, (int)ny, dy, amp, per, &s);
        if (!rc) {
            ts_pf_sim2d_thickness(s, d);
            rc = hist_push(&h, 0, d);
        }
    }
    if (!rc) rc = ts_pf_fft_wisdom_export(wp);
    if (s) ts_pf_sim2d_set_hc_tol(s, hc_tol);
    if (s) ts_pf_sim2d_set_mech_every(s, (int)mech_every);
    if (s) ts_pf_sim2d_set_mixture(s, strcmp(mixture, "voigt") == 0 ? TS_PF_MIX_VOIGT : TS_PF_MIX_RANK1);
    if (s) ts_pf_sim2d_set_c_split_local(s, strcmp(csplit, "face") == 0);
    if (s) ts_pf_sim2d_set_c_conv(s, c_sweep_tol);
    if (s)
        ts_pf_sim2d_set_c_solver(s, strcmp(csolver, "pcg") == 0 ? TS_PF_C_PCG : TS_PF_C_SWEEPS, c_tol,
                                 (int)c_max_iter);
    ts_progress *pg = rc ? NULL : ts_progress_create(name, p.t_end, "s");
    double next_ck = s ? ts_pf_sim2d_time(s) + ck_every : 0;
    /* step control per output interval: stepcontrol.csv and the log */
    ts_pf_sim2d_stats st0, st1;
    memset(&st0, 0, sizeof st0);
    ts_csv *scv = NULL;
    if (!rc) {
        const char *sh[12 + 2 * TS_PF_MAXPHASE];
        char shn[2 * TS_PF_MAXPHASE + 2][48];
        int nh = 0;
        sh[nh++] = "t_s";
        sh[nh++] = "steps";
        sh[nh++] = "rejected";
        sh[nh++] = "rej_c_range";
        for (int f = 0; f <= p.nphase; f++) {
            snprintf(shn[f], sizeof shn[f], "rej_err_%s%s", f < p.nphase ? "eta_" : "c", f < p.nphase ? p.ph[f].name : "");
            sh[nh++] = shn[f];
        }
        for (int f = 0; f <= p.nphase; f++) {
            snprintf(shn[p.nphase + 1 + f], sizeof shn[0], "lim_%s%s", f < p.nphase ? "eta_" : "c",
                     f < p.nphase ? p.ph[f].name : "");
            sh[nh++] = shn[p.nphase + 1 + f];
        }
        sh[nh++] = "lim_dt_max";
        sh[nh++] = "last_dt_s";
        sh[nh++] = "last_field";
        sh[nh++] = "last_i";
        sh[nh++] = "last_j";
        sh[nh++] = "dp_max_last";
        sh[nh++] = "rej_c_solve";
        sh[nh++] = "c_pcg_iters";
        char *sp = ts_run_path(run, "stepcontrol.csv");
        rc = sp ? ts_csv_open(sp, nh, sh, &scv) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(sp);
    }
    for (long j = 1; !rc && j <= n_out; j++) {
        double t = p.t_end * (double)j / (double)n_out;
        if (t <= ts_pf_sim2d_time(s) * (1 + 1e-12)) continue;
        rc = ts_pf_sim2d_advance(s, t);
        if (!rc) {
            ts_pf_sim2d_thickness(s, d);
            rc = hist_push(&h, t, d);
        }
        if (!rc) {
            ts_pf_sim2d_stats_get(s, &st1);
            char fld[48] = "-", lim[256] = "", rej[256] = "";
            if (st1.last_field >= 0)
                snprintf(fld, sizeof fld, "%s%s", st1.last_field < p.nphase ? "eta_" : "c",
                         st1.last_field < p.nphase ? p.ph[st1.last_field].name : "");
            size_t ll = 0, rl = 0;
            for (int f = 0; f <= p.nphase; f++) {
                long a = st1.lim_acc[f] - st0.lim_acc[f], b = st1.lim_rej[f] - st0.lim_rej[f];
                const char *nm = f < p.nphase ? p.ph[f].name : "c";
                if (a && ll < sizeof lim) ll += (size_t)snprintf(lim + ll, sizeof lim - ll, " %s %ld", nm, a);
                if (b && rl < sizeof rej) rl += (size_t)snprintf(rej + rl, sizeof rej - rl, " %s %ld", nm, b);
            }
            /* phases present at the last error maximum */
            char at[128] = "";
            if (st1.last_i >= 0) {
                size_t al = 0, kk = (size_t)st1.last_j * p.n + st1.last_i, nn = (size_t)p.n * ny;
                const double *e = ts_pf_sim2d_eta(s);
                double s2 = 0;
                for (int r = 0; r < p.nphase; r++) s2 += e[r * nn + kk] * e[r * nn + kk];
                for (int r = 0; r < p.nphase && al < sizeof at; r++) {
                    double ph = s2 > 0 ? e[r * nn + kk] * e[r * nn + kk] / s2 : 0;
                    if (ph > 0.01) al += (size_t)snprintf(at + al, sizeof at - al, " %s %.2f", p.ph[r].name, ph);
                }
            }
            ts_log_info("pf run2d t = %g s: %ld steps, %ld rejected (c range %ld, c solve %ld; error in:%s); dt set by:%s, "
                        "dt_max %ld; last dt %.3g s, max error in %s at (%d, %d) [phi:%s], dp_max %.3g; c PCG iterations %ld",
                        t, st1.steps - st0.steps, st1.rejected - st0.rejected, st1.rej_bad - st0.rej_bad,
                        st1.rej_c_solve - st0.rej_c_solve, rl ? rej : " -", ll ? lim : " -", st1.capped - st0.capped,
                        st1.last_dt, fld, st1.last_i, st1.last_j, at, st1.dp_max, st1.c_iters - st0.c_iters);
            rc = ts_csv_cell_d(scv, t);
            if (!rc) rc = ts_csv_cell_i(scv, st1.steps - st0.steps);
            if (!rc) rc = ts_csv_cell_i(scv, st1.rejected - st0.rejected);
            if (!rc) rc = ts_csv_cell_i(scv, st1.rej_bad - st0.rej_bad);
            for (int f = 0; !rc && f <= p.nphase; f++) rc = ts_csv_cell_i(scv, st1.lim_rej[f] - st0.lim_rej[f]);
            for (int f = 0; !rc && f <= p.nphase; f++) rc = ts_csv_cell_i(scv, st1.lim_acc[f] - st0.lim_acc[f]);
            if (!rc) rc = ts_csv_cell_i(scv, st1.capped - st0.capped);
            if (!rc) rc = ts_csv_cell_d(scv, st1.last_dt);
            if (!rc) rc = ts_csv_cell_s(scv, fld);
            if (!rc) rc = ts_csv_cell_i(scv, st1.last_i);
            if (!rc) rc = ts_csv_cell_i(scv, st1.last_j);
            if (!rc) rc = ts_csv_cell_d(scv, st1.dp_max);
            if (!rc) rc = ts_csv_cell_i(scv, st1.rej_c_solve - st0.rej_c_solve);
            if (!rc) rc = ts_csv_cell_i(scv, st1.c_iters - st0.c_iters);
            if (!rc) rc = ts_csv_end_row(scv);
            st0 = st1;
        }
        ts_progress_update(pg, t, NULL);
        int stop = !rc && ts_interrupted();
        if (!rc && ((ck_every > 0 && t >= next_ck && j < n_out) || stop)) {
            rc = write_history(hp, &p, &h);
            if (!rc) test_kill_hook(j);
            if (!rc) rc = ts_pf_sim2d_save(s, ck);
            next_ck = t + ck_every;
        }
        if (!rc && stop)
            rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted at t = %g s; checkpoint written, resume with --restart", t);
    }
    ts_progress_destroy(pg);
    if (scv) {
        if (!rc)
            rc = ts_csv_close(scv);
        else
            ts_csv_abort(scv);
    }
    if (!rc) {
        remove(ck);
        remove(hp);
    }
    free(ck);
    free(hp);
    free(wp);
    char *path = NULL;
    if (!rc) {
        path = ts_run_path(run, "thickness.csv");
        rc = path ? write_history(path, &p, &h) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
    }
    int nx = p.n;
    size_t n2 = (size_t)nx * ny;
    double *pm = rc ? NULL : malloc(n2 * sizeof(double)), *flip = rc ? NULL : malloc(n2 * sizeof(double));
    if (!rc && (!pm || !flip)) rc = ts_error_set(TS_ERR_NOMEM, "oom");
    if (!rc) {
        const char *names[TS_PF_MAXPHASE + 4];
        const double *fields[TS_PF_MAXPHASE + 4];
        char nm[TS_PF_MAXPHASE][32];
        for (int r = 0; r < p.nphase; r++) {
            snprintf(nm[r], sizeof nm[r], "eta_%s", p.ph[r].name);
            names[r] = nm[r];
            fields[r] = ts_pf_sim2d_eta(s) + (size_t)r * n2;
        }
        names[p.nphase] = "c_Sn";
        fields[p.nphase] = ts_pf_sim2d_c(s);
        int nf = p.nphase + 1;
        const double *sg = ts_pf_sim2d_stress(s);
        static const char *snames[3] = {"sigma11_Pa", "sigma22_Pa", "sigma12_Pa"};
        for (int a = 0; sg && a < 3; a++) {
            names[nf] = snames[a];
            fields[nf++] = sg + (size_t)a * n2;
        }
        double sp[3] = {p.dx, dy, 1}, org[3] = {0, 0, 0};
        path = ts_run_path(run, "fields.vtk");
        rc = path ? ts_vtk_write_image(path, nx, (int)ny, 1, sp, org, nf, names, fields)
                  : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
    }
    for (int pass = 0; !rc && pass < 2; pass++) {
        /* pass 0: dominant-phase map; pass 1: composition. Row 0 drawn at the top. */
        for (long j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                size_t k = (size_t)j * nx + i;
                double v;
                if (pass == 0) {
                    int dom = 0;
                    for (int r = 1; r < p.nphase; r++)
                        if (ts_pf_sim2d_eta(s)[r * n2 + k] > ts_pf_sim2d_eta(s)[dom * n2 + k]) dom = r;
                    v = dom;
                } else {
                    v = ts_pf_sim2d_c(s)[k];
                }
                pm[(size_t)(ny - 1 - j) * nx + i] = v;
            }
        double ext[4] = {0, nx * p.dx * 1e6, 0, ny * dy * 1e6};
        path = ts_run_path(run, pass ? "composition2d.png" : "phases.png");
        rc = path ? ts_heatmap_write_png(path, pm, nx, (int)ny, ext, 0, pass ? 1 : p.nphase - 1,
                                         pass ? "composition at the end" : "phases (0 Cu, 1 Cu3Sn, 2 Cu6Sn5, 3 Sn)",
                                         "x (um)", "y (um)", pass ? "Sn mole fraction" : "phase index")
                  : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
    }
    (void)flip;
    free(pm);
    free(flip);
    if (!rc) {
        /* process CPU time per part of the step (this run, not counting a restart's past) */
        double sec[TS_PF2D_NPROF];
        long hci = 0;
        ts_pf_sim2d_profile(s, sec, &hci);
        static const char *ph[3] = {"part", "cpu_s", "count"};
        ts_csv *c = NULL;
        path = ts_run_path(run, "profile.csv");
        rc = path ? ts_csv_open(path, 3, ph, &c) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(path);
        for (int i = 0; !rc && i < TS_PF2D_NPROF; i++) {
            rc = ts_csv_cell_s(c, ts_pf_sim2d_profile_name(i));
            if (!rc) rc = ts_csv_cell_d(c, sec[i]);
            if (!rc) rc = ts_csv_cell_i(c, i == 1 ? hci : ts_pf_sim2d_steps(s));
            if (!rc) rc = ts_csv_end_row(c);
        }
        /* step control over the whole run (counts; cpu_s empty) */
        ts_pf_sim2d_stats_get(s, &st1);
        for (int i = 0; !rc && i < 2 * p.nphase + 9; i++) {
            char nm[64];
            long v;
            if (i == 0) {
                snprintf(nm, sizeof nm, "steps accepted");
                v = st1.steps;
            } else if (i == 1) {
                snprintf(nm, sizeof nm, "steps rejected");
                v = st1.rejected;
            } else if (i == 2) {
                snprintf(nm, sizeof nm, "rejected: c out of range");
                v = st1.rej_bad;
            } else if (i < 4 + p.nphase) {
                int f = i - 3;
                snprintf(nm, sizeof nm, "rejected: error in %s%s", f < p.nphase ? "eta_" : "c",
                         f < p.nphase ? p.ph[f].name : "");
                v = st1.lim_rej[f];
            } else if (i < 5 + 2 * p.nphase) {
                int f = i - 4 - p.nphase;
                snprintf(nm, sizeof nm, "dt set by error in %s%s", f < p.nphase ? "eta_" : "c",
                         f < p.nphase ? p.ph[f].name : "");
                v = st1.lim_acc[f];
            } else if (i == 5 + 2 * p.nphase) {
                snprintf(nm, sizeof nm, "of these, next dt capped at dt_max");
                v = st1.capped;
            } else if (i == 6 + 2 * p.nphase) {
                snprintf(nm, sizeof nm, "rejected: c solve not converged");
                v = st1.rej_c_solve;
            } else if (i == 7 + 2 * p.nphase) {
                snprintf(nm, sizeof nm, "c: PCG iterations (all attempted steps)");
                v = st1.c_iters;
            } else {
                snprintf(nm, sizeof nm, "c: most PCG iterations in one step");
                v = st1.c_iters_max;
            }
            rc = ts_csv_cell_s(c, nm);
            if (!rc) rc = ts_csv_cell_s(c, "");
            if (!rc) rc = ts_csv_cell_i(c, v);
            if (!rc) rc = ts_csv_end_row(c);
        }
        if (!rc)
            rc = ts_csv_close(c);
        else
            ts_csv_abort(c);
    }
    if (!rc)
        printf("pf run2d %s: %d x %ld grid, t = %g s in %ld steps, %.1f s wall; d(Cu3Sn) = %.4g m, d(Cu6Sn5) = %.4g m; "
               "outputs in %s/\n",
               name, nx, ny, p.t_end, ts_pf_sim2d_steps(s), ts_time_now() - w0, d[1], d[2], out);
    free(h.t);
    free(h.d);
    ts_pf_sim2d_destroy(s);
    ts_run_destroy(run);
    ts_config_destroy(cfg);
    return ts_cli_fail(rc, "pf run2d");
}

static const ts_command PF_COMMANDS[] = {
    {"run2d", "2D growth (elastoplastic optional) with scalloped Cu6Sn5: thickness, VTK fields, maps", cmd_run2d},
    {"spinodal", "PFHub benchmark 1a/1b (2D spinodal decomposition, FFTW): free energy vs time", cmd_spinodal},
    {"run", "run one INPUT.ini: layer growth, k fits, profiles, checkpoint/restart", cmd_run},
    {"table", "growth constants of several cases (or the seed's nine) vs reference", cmd_table},
};

const ts_engine ts_engine_pf = {
    "pf", "phase-field growth of Cu3Sn/Cu6Sn5 with diffusion, elasticity, viscoplasticity",
    PF_COMMANDS, 4, pf_demo};
