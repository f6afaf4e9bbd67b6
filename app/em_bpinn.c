/* `tinsel em bpinn train|predict` (issue #10, items 3, 4, 6, 7).
 *   tinsel em bpinn train --gen-segments N [--gen-seed S] [options] --out DIR   -> DIR/model.safetensors
 *   tinsel em bpinn train TREE.sp --void-node NODE [--tree NAME] [options] --out DIR
 *   tinsel em bpinn predict DIR/model.safetensors [--draws N] [--compare] [--nodes LIST] --out DIR2
 * Units: SI (s, Pa, A/m^2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "em_mc.h"

#define YEAR_S 3.15576e7

/* record a value in the run's configuration (read back so it counts as used) */
static int set_str(ts_config *c, const char *sec, const char *key, const char *v)
{
    const char *got;
    TS_TRY(ts_config_set(c, sec, key, v));
    return ts_config_get_string(c, sec, key, v, &got);
}

static int set_num(ts_config *c, const char *sec, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    return set_str(c, sec, key, buf);
}

static int cmd_train(int argc, char **argv)
{
    const char *out = "em-bpinn", *config = NULL, *dist = "normal", *method = "hmc", *inputs = NULL, *tree_name = NULL,
               *void_node = NULL, *scale = NULL;
    uint64_t seed = 1, gen_seed = 1;
    long gen = 0, hidden, K, adam, bfgs, burnin, samples, leapfrog, draws, threads = 0;
    double years = 10, sigma_j, rho, lr, step, noise, prior, target, vi_lr, vi_sd;
    long vi_steps, vi_mc, lsq, hops;
    ts_em_bpinn_options o;
    ts_em_bpinn_options_default(&o);
    hidden = o.hidden, K = o.K, adam = o.adam_steps, bfgs = o.bfgs_steps, burnin = o.burnin, samples = o.samples, leapfrog = o.leapfrog;
    draws = o.train_draws, sigma_j = o.var.sigma_j, rho = o.var.rho, lr = o.adam_lr, step = o.step0;
    noise = o.noise_sd, prior = o.prior_sd, target = o.target_accept;
    hops = o.hops, lsq = o.lsq_rounds, vi_steps = o.vi_steps, vi_mc = o.vi_mc, vi_lr = o.vi_lr, vi_sd = o.vi_init_sd;
    const ts_opt opts[] = {
        {"gen-segments", TS_OPT_LONG, &gen, "N", "generated tree of N segments (10-50 um, 1 um, |j| 5e8-5e9 A/m^2, void at vertex 0)"},
        {"gen-seed", TS_OPT_U64, &gen_seed, "N", "seed of the generated tree"},
        {"tree", TS_OPT_STRING, &tree_name, "NAME", "with TREE.sp: the tree to train on (default: the netlist's only tree)"},
        {"void-node", TS_OPT_STRING, &void_node, "NODE", "with TREE.sp: netlist node of the void (a leaf of the tree; required)"},
        {"scale", TS_OPT_STRING, &scale, "S", "with TREE.sp: multiply every current source (default 1; EMspice 0.4)"},
        {"years", TS_OPT_DOUBLE, &years, "Y", "post-void horizon in years"},
        {"K", TS_OPT_LONG, &K, "N", "time steps of the junction model (piecewise-constant fluxes)"},
        {"hidden", TS_OPT_LONG, &hidden, "N", "units per hidden layer (2 tanh layers per junction)"},
        {"train-draws", TS_OPT_LONG, &draws, "N", "current draws in the likelihood"},
        {"dist", TS_OPT_STRING, &dist, "normal|lognormal", "distribution of the current densities"},
        {"sigma-j", TS_OPT_DOUBLE, &sigma_j, "S", "relative std of the current densities"},
        {"rho", TS_OPT_DOUBLE, &rho, "R", "correlation of the current densities"},
        {"adam-steps", TS_OPT_LONG, &adam, "N", "Adam steps to the MAP before HMC"},
        {"bfgs-steps", TS_OPT_LONG, &bfgs, "N", "GSL BFGS2 iterations refining the MAP after Adam"},
        {"lr", TS_OPT_DOUBLE, &lr, "R", "Adam learning rate (cosine-decayed to 1 %)"},
        {"hops", TS_OPT_LONG, &hops, "R", "network inputs: currents of all segments within R edges of the junction (1: its own arms, the seed's)"},
        {"inputs", TS_OPT_STRING, &inputs, "j0|zscore", "current inputs: j/1e9 A/m^2, or standardised (j - mean)/(sigma_j |mean|) per segment"},
        {"lsq-rounds", TS_OPT_LONG, &lsq, "N", "exact output-layer least-squares solves (variable projection) during/after Adam"},
        {"method", TS_OPT_STRING, &method, "hmc|vi", "posterior: Hamiltonian Monte Carlo or mean-field variational inference"},
        {"vi-steps", TS_OPT_LONG, &vi_steps, "N", "VI: Adam steps on the ELBO"},
        {"vi-mc", TS_OPT_LONG, &vi_mc, "N", "VI: reparameterised draws per step"},
        {"vi-lr", TS_OPT_DOUBLE, &vi_lr, "R", "VI: Adam rate (cosine-decayed to 1 %)"},
        {"vi-init-sd", TS_OPT_DOUBLE, &vi_sd, "S", "VI: initial posterior sd of every weight"},
        {"burnin", TS_OPT_LONG, &burnin, "N", "HMC burn-in iterations (step-size adaptation)"},
        {"samples", TS_OPT_LONG, &samples, "N", "posterior samples kept"},
        {"leapfrog", TS_OPT_LONG, &leapfrog, "N", "leapfrog steps per HMC iteration"},
        {"step", TS_OPT_DOUBLE, &step, "E", "initial leapfrog step"},
        {"target-accept", TS_OPT_DOUBLE, &target, "A", "acceptance rate aimed at in burn-in"},
        {"noise-sd", TS_OPT_DOUBLE, &noise, "S", "likelihood sd of a scaled stress jump (x 1e8 Pa); 0: the MAP's rms jump (empirical Bayes)"},
        {"prior-sd", TS_OPT_DOUBLE, &prior, "S", "prior sd of every weight and bias"},
        {"threads", TS_OPT_LONG, &threads, "N", "OpenMP threads over draws (0: all; trees < 64 segments: 1)"},
        {"config", TS_OPT_STRING, &config, "FILE", "INI with [material] constants (defaults: EMspice)"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (initialisation, draws, HMC)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder: model.safetensors, train.csv, run.ini"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel em bpinn train --gen-segments N | TREE.sp --void-node NODE [options]",
                          "Train the BPINN of seed 003 on a post-void tree: per-junction networks for the arm "
                          "fluxes, closed-form segment stresses, stress-continuity likelihood, Adam to the MAP, "
                          "then Hamiltonian Monte Carlo with step adaptation. Saves the posterior samples. The tree is generated "
                          "(--gen-segments) or read from a SPICE netlist (mean currents from its DC solve; the junction "
                          "model needs a tree without loops, the void at a leaf and at most 4 arms per node).",
                          opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    int di = !strcmp(dist, "normal") ? 0 : !strcmp(dist, "lognormal") ? 1 : -1;
    int mi = !strcmp(method, "hmc") ? TS_EM_BPINN_HMC : !strcmp(method, "vi") ? TS_EM_BPINN_VI : -1;
    int ii = !inputs ? o.inputs : !strcmp(inputs, "j0") ? TS_EM_BPINN_IN_J0 : !strcmp(inputs, "zscore") ? TS_EM_BPINN_IN_ZSCORE : -1;
    if (mi < 0 || ii < 0 || hops < 1 || hops > 1000 || lsq < 0 || lsq > 1000000 || vi_steps < 1 || vi_mc < 1 || vi_mc > 1000 || !(vi_lr > 0) || !(vi_sd > 0) || noise < 0) {
        fprintf(stderr, "tinsel em bpinn train: need --method hmc|vi, --inputs j0|zscore, --vi-steps, --vi-mc >= 1, --vi-lr, --vi-init-sd > 0, "
                        "--noise-sd >= 0, --hops in [1, 1000] (see --help)\n");
        return TS_EXIT_USAGE;
    }
    if ((npos == 1) == (gen > 0) || (npos == 1) != (void_node != NULL) || (npos == 0 && (tree_name || scale))) {
        fprintf(stderr, "tinsel em bpinn train: give either --gen-segments N or TREE.sp with --void-node NODE "
                        "(--tree and --scale only with TREE.sp; see --help)\n");
        return TS_EXIT_USAGE;
    }
    if (gen < 0 || gen > 100000 || di < 0 || !(years > 0) || K < 1 || K > 100000 || hidden < 1 || hidden > 1024 ||
        draws < 1 || draws > 100000 || adam < 0 || bfgs < 0 || bfgs > 10000000 || burnin < 0 || samples < 1 || leapfrog < 1 || threads < 0) {
        fprintf(stderr, "tinsel em bpinn train: need --gen-segments in [1, 1e5], --dist normal|lognormal, --years > 0, "
                        "K, hidden, train-draws, samples, leapfrog >= 1, adam-steps, burnin >= 0 (see --help)\n");
        return TS_EXIT_USAGE;
    }
    o.hidden = (int)hidden, o.K = (int)K, o.adam_steps = (int)adam, o.bfgs_steps = (int)bfgs, o.burnin = (int)burnin, o.samples = (int)samples;
    o.leapfrog = (int)leapfrog, o.train_draws = (int)draws, o.var.sigma_j = sigma_j, o.var.rho = rho;
    o.var.dist = (ts_em_dist)di, o.adam_lr = lr, o.step0 = step, o.noise_sd = noise, o.prior_sd = prior;
    o.target_accept = target, o.seed = seed, o.nthreads = (int)threads;
    o.hops = (int)hops, o.lsq_rounds = (int)lsq, o.method = mi, o.vi_steps = (int)vi_steps, o.vi_mc = (int)vi_mc, o.vi_lr = vi_lr, o.vi_init_sd = vi_sd;
    o.inputs = ii;
    ts_config *cfg = NULL;
    rc = config ? ts_config_load(config, &cfg) : ((cfg = ts_config_create()) ? 0 : TS_ERR_NOMEM);
    if (rc) return ts_cli_fail(rc, "em bpinn train");
    ts_em_params p;
    ts_em_options eo;
    ts_em_params_default(&p);
    ts_em_options_default(&eo);
    if (scale) rc = ts_config_set(cfg, "solver", "current_scale", scale);
    if (!rc) rc = em_config_params(cfg, &p, npos ? &eo : NULL);
    if (!rc) rc = ts_config_check_unknown(cfg);
    ts_em_tree *t = NULL;
    ts_em_bpinn *b = NULL;
    if (!rc && npos) rc = em_tree_for_bpinn(pos[0], tree_name, void_node, &p, &eo, &t);
    else if (!rc) rc = ts_em_tree_generate((int)gen, gen_seed, p.thickness, &p, &t);
    if (!rc) rc = ts_em_bpinn_train(t, &p, years * YEAR_S, &o, &b);
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "em bpinn train", seed, &run);
    if (!rc) {
        char *path = ts_run_path(run, "model.safetensors");
        rc = path ? ts_em_bpinn_save(b, path) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
    }
    double acc = 0, stp = 0, ml = 0, ts = 0, tph[3] = {0, 0, 0}, nsd = 0;
    long nev = 0;
    int np = 0, ns = 0;
    if (!rc) {
        ts_em_bpinn_info(b, &acc, &stp, &ml, &ts, &np, &ns);
        ts_em_bpinn_timing(b, &tph[0], &tph[1], &tph[2], &nev, &nsd);
        static const char *hd[] = {"segments", "junctions", "parameters", "posterior_samples", "accept_rate",
                                   "step", "map_loss", "map_rms_jump_Pa", "train_s", "method_vi", "setup_s", "map_s",
                                   "posterior_s", "evaluations", "noise_sd"};
        char *path = ts_run_path(run, "train.csv");
        ts_csv *c = NULL;
        rc = path ? ts_csv_open(path, 15, hd, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
        double row[15] = {(double)t->nwire, ts_em_jmodel_njunctions(ts_em_bpinn_jmodel(b)), np, ns, acc, stp, ml,
                          sqrt(ml) / 1e-8, ts, mi, tph[0], tph[1], tph[2], (double)nev, nsd};
        if (!rc) rc = ts_csv_row_d(c, row);
        if (!rc) rc = ts_csv_close(c);
        else ts_csv_abort(c);
    }
    if (!rc) {
        if (npos) {
            rc = set_str(cfg, "bpinn", "netlist", pos[0]);
            if (!rc) rc = set_str(cfg, "bpinn", "tree", t->name);
            if (!rc) rc = set_str(cfg, "bpinn", "void_node", void_node);
        } else {
            rc = set_num(cfg, "bpinn", "gen_segments", (double)gen);
            if (!rc) rc = set_num(cfg, "bpinn", "gen_seed", (double)gen_seed);
        }
        if (!rc) rc = set_num(cfg, "bpinn", "years", years);
        if (!rc) rc = set_num(cfg, "bpinn", "K", (double)K);
        if (!rc) rc = set_num(cfg, "bpinn", "hidden", (double)hidden);
        if (!rc) rc = set_num(cfg, "bpinn", "train_draws", (double)draws);
        if (!rc) rc = set_num(cfg, "bpinn", "sigma_j", sigma_j);
        if (!rc) rc = set_num(cfg, "bpinn", "rho", rho);
        if (!rc) rc = set_num(cfg, "bpinn", "adam_steps", (double)adam);
        if (!rc) rc = set_num(cfg, "bpinn", "lr", lr);
        if (!rc) rc = set_num(cfg, "bpinn", "bfgs_steps", (double)bfgs);
        if (!rc) rc = set_num(cfg, "bpinn", "burnin", (double)burnin);
        if (!rc) rc = set_num(cfg, "bpinn", "samples", (double)samples);
        if (!rc) rc = set_num(cfg, "bpinn", "leapfrog", (double)leapfrog);
        if (!rc) rc = set_num(cfg, "bpinn", "step", step);
        if (!rc) rc = set_num(cfg, "bpinn", "noise_sd", noise);
        if (!rc) rc = set_num(cfg, "bpinn", "noise_sd_used", nsd);
        if (!rc) rc = set_num(cfg, "bpinn", "method_vi", mi);
        if (!rc) rc = set_num(cfg, "bpinn", "lsq_rounds", (double)lsq);
        if (!rc) rc = set_num(cfg, "bpinn", "hops", (double)hops);
        if (!rc) rc = set_str(cfg, "bpinn", "inputs", ii == TS_EM_BPINN_IN_ZSCORE ? "zscore" : "j0");
        if (!rc) rc = set_num(cfg, "bpinn", "vi_steps", (double)vi_steps);
        if (!rc) rc = set_num(cfg, "bpinn", "vi_mc", (double)vi_mc);
        if (!rc) rc = set_num(cfg, "bpinn", "vi_lr", vi_lr);
        if (!rc) rc = set_num(cfg, "bpinn", "vi_init_sd", vi_sd);
        if (!rc) rc = set_num(cfg, "bpinn", "prior_sd", prior);
        if (!rc) rc = ts_run_write_ini(run, cfg);
    }
    if (!rc) {
        printf("tree        %s: %d segments, %d junctions, %d parameters, void at %s\n", t->name, t->nwire,
               ts_em_jmodel_njunctions(ts_em_bpinn_jmodel(b)), np, npos ? void_node : "vertex 0");
        printf("MAP         mean squared scaled jump %.4g (rms stress jump %.4g Pa)\n", ml, sqrt(ml) / 1e-8);
        if (mi == TS_EM_BPINN_VI) printf("VI          %d samples from q, geometric-mean posterior sd %.3g\n", ns, stp);
        else printf("HMC         %d samples, acceptance %.3f, step %.3g\n", ns, acc, stp);
        printf("likelihood  noise sd %.4g (scaled jump)\n", nsd);
        printf("time        %.3f s (setup %.3f, MAP %.3f, posterior %.3f; %ld loss+gradient evaluations)\n", ts, tph[0], tph[1],
               tph[2], nev);
        printf("outputs     %s/\n", out);
    }
    ts_run_destroy(run);
    ts_em_bpinn_destroy(b);
    ts_em_tree_destroy(t);
    ts_config_destroy(cfg);
    return rc ? ts_cli_fail(rc, "em bpinn train") : TS_EXIT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* RMSE of a - b over rows 1..K (t > 0) of [K+1][nv], divided by scale. */
static double rmse_rel(const double *a, const double *b, int K, int nv, double scale)
{
    double s = 0;
    for (size_t q = (size_t)nv; q < (size_t)(K + 1) * nv; q++) s += (a[q] - b[q]) * (a[q] - b[q]);
    return sqrt(s / ((double)K * nv)) / scale;
}

static int cmd_predict(int argc, char **argv)
{
    const char *out = "em-bpinn-predict", *dist = "normal", *nodes = NULL;
    uint64_t seed = 1;
    long draws = 100, ncell = 19, compare = 0;
    double sigma_j = 0.1, rho = 0;
    const ts_opt opts[] = {
        {"draws", TS_OPT_LONG, &draws, "N", "current draws (network inputs)"},
        {"dist", TS_OPT_STRING, &dist, "normal|lognormal", "distribution of the current densities"},
        {"sigma-j", TS_OPT_DOUBLE, &sigma_j, "S", "relative std of the current densities"},
        {"rho", TS_OPT_DOUBLE, &rho, "R", "correlation of the current densities"},
        {"seed", TS_OPT_U64, &seed, "N", "seed of the draws (same streams as tinsel em mc)"},
        {"compare", TS_OPT_FLAG, &compare, NULL, "also run Monte Carlo on the same draws: finite volumes and the exact flux oracle"},
        {"ncell", TS_OPT_LONG, &ncell, "N", "finite-volume cells per wire of the comparison MC"},
        {"nodes", TS_OPT_STRING, &nodes, "LIST", "comma-separated NODE or LABEL=NODE (netlist node names; vertex indices for generated trees), at most 8: mean +/- std over time from BPINN, FV MC and oracle MC (seed Fig. 4) in nodes.csv, node_errors.csv, node_<label>.png; implies --compare"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder: prediction.csv, calibration.csv, bpinn_stress.png"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel em bpinn predict MODEL.safetensors [options]",
                          "Stress mean and std over current draws from a trained BPINN, split into input variation "
                          "and posterior (epistemic) spread; with --compare, the same statistics from Monte Carlo "
                          "with the finite-volume solver and with the exact flux oracle, and the errors.",
                          opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    int di = !strcmp(dist, "normal") ? 0 : !strcmp(dist, "lognormal") ? 1 : -1;
    if (npos != 1 || draws < 1 || draws > 10000000 || di < 0 || ncell < 1 || ncell > 100000) {
        fprintf(stderr, "tinsel em bpinn predict: need MODEL.safetensors, --draws >= 1, --dist normal|lognormal, "
                        "--ncell >= 1 (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_em_bpinn *b = NULL;
    rc = ts_em_bpinn_load(pos[0], &b);
    if (rc) return ts_cli_fail(rc, "em bpinn predict");
    const ts_em_tree *t = ts_em_bpinn_tree(b);
    const ts_em_jmodel *jm = ts_em_bpinn_jmodel(b);
    em_node_sel sel[EM_MAX_NODES];
    int nsel = 0;
    if (nodes) {
        compare = 1;
        rc = em_bpinn_parse_nodes(nodes, t, sel, &nsel);
        if (rc) {
            ts_em_bpinn_destroy(b);
            return ts_cli_fail(rc, "em bpinn predict");
        }
    }
    int K = ts_em_jmodel_K(jm), nv = t->nvert, ns = t->nwire;
    size_t nq = (size_t)(K + 1) * nv;
    ts_em_variation v;
    ts_em_variation_default(&v);
    v.dist = (ts_em_dist)di;
    v.sigma_j = sigma_j;
    v.rho = rho;
    double *bm = malloc(nq * sizeof(double)), *bs = malloc(nq * sizeof(double)), *bi = malloc(nq * sizeof(double)),
           *bp = malloc(nq * sizeof(double)), *om = calloc(nq, sizeof(double)), *os = calloc(nq, sizeof(double)),
           *fm = malloc(nq * sizeof(double)), *fs = malloc(nq * sizeof(double));
    if (!bm || !bs || !bi || !bp || !om || !os || !fm || !fs) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    /* wall times and process CPU times (user + sys of all threads, clock()) */
    double t0 = ts_time_now(), c0 = (double)clock() / CLOCKS_PER_SEC;
    if (!rc) rc = ts_em_bpinn_predict(b, &v, draws, seed, bm, bs, bi, bp);
    double t_pred = ts_time_now() - t0, t_orc = 0, t_mc = 0;
    double c_pred = (double)clock() / CLOCKS_PER_SEC - c0, c_orc = 0, c_mc = 0;
    if (!rc && compare) {
        /* the exact flux oracle on the same draws (same junction model) */
        t0 = ts_time_now(), c0 = (double)clock() / CLOCKS_PER_SEC;
        double *j = malloc((size_t)ns * sizeof(double)), *phi = malloc((size_t)2 * ns * K * sizeof(double)),
               *sig = malloc((size_t)2 * ns * K * sizeof(double)), *sv = malloc(nq * sizeof(double));
        if (!j || !phi || !sig || !sv) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (long d = 0; d < draws && !rc; d++) {
            rc = ts_em_variation_draw(&v, t->j_mean, ns, seed, (uint64_t)d, j, NULL, NULL);
            if (!rc) rc = ts_em_jmodel_solve(jm, j, phi);
            if (rc) break;
            ts_em_jmodel_stress(jm, phi, sig);
            ts_em_jmodel_vertex_stress(jm, sig, sv);
            for (size_t q = 0; q < nq; q++) {
                double dl = sv[q] - om[q];
                om[q] += dl / (d + 1);
                os[q] += dl * (sv[q] - om[q]);
            }
        }
        for (size_t q = 0; q < nq; q++) os[q] = sqrt(os[q] / draws); /* population, as the BPINN's */
        free(j);
        free(phi);
        free(sig);
        free(sv);
        t_orc = ts_time_now() - t0;
        c_orc = (double)clock() / CLOCKS_PER_SEC - c0;
        c0 = (double)clock() / CLOCKS_PER_SEC;
        /* finite-volume MC, output times = the model's t_n, Dirichlet void */
        ts_em_params p = *ts_em_bpinn_params(b);
        p.delta = 0;
        ts_em_options o;
        ts_em_options_default(&o);
        o.years = ts_em_bpinn_t_end(b) / YEAR_S;
        o.nout = K;
        o.ncell = (int)ncell;
        ts_em_mc_options m;
        ts_em_mc_options_default(&m);
        m.samples = draws;
        m.seed = seed;
        m.var = v;
        ts_em_mc_result *r = NULL;
        ts_em_tree *tt = (ts_em_tree *)t; /* read only */
        if (!rc) rc = ts_em_mc_run(&tt, 1, &p, &o, &m, &r);
        c_mc = (double)clock() / CLOCKS_PER_SEC - c0;
        if (!rc) {
            t_mc = r->wall_s;
            for (size_t q = 0; q < nq; q++) {
                double n = (double)r->stat[q].n;
                fm[q] = r->stat[q].mean;
                fs[q] = ts_em_stat_std(&r->stat[q]) * sqrt((n - 1) / n); /* population */
            }
        }
        ts_em_mc_result_destroy(r);
    }
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "em bpinn predict", seed, &run);
    if (!rc) {
        static const char *hd[] = {"vertex", "time_s", "mean_Pa", "std_Pa", "std_input_Pa", "std_post_Pa",
                                   "oracle_mean_Pa", "oracle_std_Pa", "fv_mean_Pa", "fv_std_Pa"};
        char *path = ts_run_path(run, "prediction.csv");
        ts_csv *c = NULL;
        rc = path ? ts_csv_open(path, compare ? 10 : 6, hd, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
        double dt = ts_em_jmodel_dt(jm);
        for (int v2 = 0; v2 < nv && !rc; v2++)
            for (int n = 0; n <= K && !rc; n++) {
                size_t q = (size_t)n * nv + v2;
                double row[10] = {v2, n * dt, bm[q], bs[q], bi[q], bp[q], om[q], os[q], fm[q], fs[q]};
                rc = ts_csv_row_d(c, row);
            }
        if (!rc) rc = ts_csv_close(c);
        else ts_csv_abort(c);
    }
    if (!rc && compare) {
        double mx = -INFINITY, mn = INFINITY, smax = 0;
        for (size_t q = 0; q < nq; q++) {
            mx = fmax(mx, fm[q]);
            mn = fmin(mn, fm[q]);
            smax = fmax(smax, fs[q]);
        }
        double range = mx - mn;
        /* calibration of the epistemic part: fraction of vertex-time values
         * (t > 0, not the void) whose BPINN mean error against the exact
         * oracle on the same draws lies within 2 posterior sd */
        double si = 0, sp = 0;
        long ncov = 0, ntot = 0;
        for (size_t q = (size_t)nv; q < nq; q++) {
            si = fmax(si, bi[q]);
            sp = fmax(sp, bp[q]);
            if ((int)(q % nv) == t->void_vertex) continue;
            ntot++;
            if (fabs(bm[q] - om[q]) <= 2 * bp[q]) ncov++;
        }
        double cover = ntot ? (double)ncov / ntot : 0;
        /* shrinkage of the spread: BPINN std / FV std at the vertex-times
         * (t > 0) whose FV std exceeds 20 % of the largest; median, 10 %, 90 % */
        double rq[3] = {NAN, NAN, NAN};
        double *ratio = malloc(nq * sizeof(double));
        size_t nr = 0;
        for (size_t q = (size_t)nv; q < nq && ratio; q++)
            if (fs[q] > 0.2 * smax) ratio[nr++] = bs[q] / fs[q];
        if (nr > 0) {
            qsort(ratio, nr, sizeof(double), cmp_double);
            rq[0] = ratio[nr / 2], rq[1] = ratio[nr / 10], rq[2] = ratio[(9 * nr) / 10];
        }
        free(ratio);
        double e[8] = {rmse_rel(bm, fm, K, nv, range), rmse_rel(bs, fs, K, nv, range), rmse_rel(bs, fs, K, nv, smax),
                       rmse_rel(bm, om, K, nv, range), rmse_rel(bs, os, K, nv, range), rmse_rel(bs, os, K, nv, smax),
                       rmse_rel(om, fm, K, nv, range), rmse_rel(os, fs, K, nv, smax)};
        static const char *hd[] = {"draws", "mean_err_vs_fv", "std_err_vs_fv_range", "std_err_vs_fv_maxstd",
                                   "mean_err_vs_oracle", "std_err_vs_oracle_range", "std_err_vs_oracle_maxstd",
                                   "oracle_vs_fv_mean", "oracle_vs_fv_std_maxstd", "bpinn_predict_s", "oracle_s", "fv_mc_s",
                                   "max_std_input_Pa", "max_std_post_Pa", "post_coverage_2sd", "bpinn_predict_cpu_s",
                                   "oracle_cpu_s", "fv_mc_cpu_s", "std_ratio_median", "std_ratio_p10", "std_ratio_p90"};
        char *path = ts_run_path(run, "calibration.csv");
        ts_csv *c = NULL;
        rc = path ? ts_csv_open(path, 21, hd, &c) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(path);
        double row[21] = {(double)draws, e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], t_pred, t_orc, t_mc, si, sp, cover,
                          c_pred, c_orc, c_mc, rq[0], rq[1], rq[2]};
        if (!rc) rc = ts_csv_row_d(c, row);
        if (!rc) rc = ts_csv_close(c);
        else ts_csv_abort(c);
        if (!rc && nsel > 0) {
            em_node_stats st = {bm, bs, fm, fs, om, os};
            rc = em_bpinn_write_nodes(run, t, sel, nsel, K, ts_em_jmodel_dt(jm), &st, range, smax);
        }
        double ferr = NAN;
        if (!rc) rc = ts_em_bpinn_flux_error(b, t->j_mean, &ferr);
        if (!rc) {
            printf("fluxes      MAP network vs exact flux oracle at the mean currents: RMSE %.4g %% of max |flux|\n", 100 * ferr);
            printf("errors are RMSE over vertices and t_n > 0, relative to the FV mean's range (%.4g Pa) or max std (%.4g Pa)\n",
                   range, smax);
            printf("BPINN  vs FV MC:     mean %.4g %%, std %.4g %% of range (%.4g %% of max std)\n", 100 * e[0], 100 * e[1], 100 * e[2]);
            printf("BPINN  vs oracle MC: mean %.4g %%, std %.4g %% of range (%.4g %% of max std)\n", 100 * e[3], 100 * e[4], 100 * e[5]);
            printf("oracle vs FV MC:     mean %.4g %%, std %.4g %% of max std (discretisations)\n", 100 * e[6], 100 * e[7]);
            printf("times: BPINN predict %.3f s, oracle MC %.3f s, FV MC %.3f s (%ld draws); CPU %.3f, %.3f, %.3f s\n", t_pred,
                   t_orc, t_mc, draws, c_pred, c_orc, c_mc);
            printf("spread:     BPINN std / FV std (where FV std > 20 %% of its max): median %.3g (10-90 %%: %.3g-%.3g)\n",
                   rq[0], rq[1], rq[2]);
            printf("calibration: the BPINN mean is within 2 posterior sd of the oracle mean at %.1f %% of vertex-times\n",
                   100 * cover);
        }
        /* plot: mean ± std at up to 3 most stressed vertices, BPINN vs FV */
        if (!rc) {
            int sel3[3] = {-1, -1, -1};
            for (int k = 0; k < 3; k++)
                for (int v2 = 0; v2 < nv; v2++) {
                    if (v2 == sel3[0] || v2 == sel3[1] || v2 == t->void_vertex) continue;
                    if (sel3[k] < 0 || fabs(fm[(size_t)K * nv + v2]) > fabs(fm[(size_t)K * nv + sel3[k]])) sel3[k] = v2;
                }
            ts_plot *pl = ts_plot_create("BPINN vs Monte Carlo: stress mean +/- std", "time (years)", "stress (MPa)");
            double *x = malloc((size_t)(K + 1) * 8), *y = malloc((size_t)(K + 1) * 8), *ee = malloc((size_t)(K + 1) * 8);
            if (!pl || !x || !y || !ee) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            for (int k = 0; k < 3 && !rc; k++) {
                if (sel3[k] < 0) continue;
                for (int src = 0; src < 2 && !rc; src++) {
                    const double *M = src ? fm : bm, *Sd = src ? fs : bs;
                    for (int n = 0; n <= K; n++) {
                        x[n] = n * ts_em_jmodel_dt(jm) / YEAR_S;
                        y[n] = M[(size_t)n * nv + sel3[k]] / 1e6;
                        ee[n] = Sd[(size_t)n * nv + sel3[k]] / 1e6;
                    }
                    char lab[160];
                    if (t->vert_name) snprintf(lab, sizeof lab, "%s node %.120s", src ? "FV MC" : "BPINN", t->vert_name[sel3[k]]);
                    else snprintf(lab, sizeof lab, "%s vertex %d", src ? "FV MC" : "BPINN", sel3[k]);
                    rc = src ? ts_plot_errorbars(pl, (size_t)K + 1, x, y, ee, lab) : ts_plot_line(pl, (size_t)K + 1, x, y, lab);
                }
            }
            if (!rc) {
                char *png = ts_run_path(run, "bpinn_stress.png");
                rc = png ? ts_plot_write_png(pl, png, 900, 600) : ts_error_set(TS_ERR_NOMEM, "out of memory");
                free(png);
            }
            ts_plot_destroy(pl);
            free(x);
            free(y);
            free(ee);
        }
    }
    if (!rc) {
        ts_config *cfg = ts_config_create();
        rc = cfg ? 0 : ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc) rc = set_str(cfg, "predict", "model", pos[0]);
        if (!rc) rc = set_num(cfg, "predict", "draws", (double)draws);
        if (!rc) rc = set_num(cfg, "predict", "sigma_j", sigma_j);
        if (!rc) rc = set_num(cfg, "predict", "rho", rho);
        if (!rc && nodes) rc = set_str(cfg, "predict", "nodes", nodes);
        if (!rc) rc = ts_run_write_ini(run, cfg);
        ts_config_destroy(cfg);
    }
    if (!rc) {
        double si = 0, sp = 0;
        for (size_t q = 0; q < nq; q++) {
            si = fmax(si, bi[q]);
            sp = fmax(sp, bp[q]);
        }
        printf("spread      max std from input variation %.4g Pa, max posterior (epistemic) std %.4g Pa\n", si, sp);
        printf("outputs     %s/\n", out);
    }
    ts_run_destroy(run);
    free(bm);
    free(bs);
    free(bi);
    free(bp);
    free(om);
    free(os);
    free(fm);
    free(fs);
    ts_em_bpinn_destroy(b);
    return rc ? ts_cli_fail(rc, "em bpinn predict") : TS_EXIT_OK;
}

int em_cmd_bpinn(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "train")) return cmd_train(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "predict")) return cmd_predict(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: tinsel em bpinn train|predict [options]\n"
               "  train    train the BPINN on a post-void tree (generated or from a SPICE netlist), save model.safetensors\n"
               "  predict  stress mean/std over current draws from a model; --compare runs Monte Carlo too\n"
               "See tinsel em bpinn train --help and tinsel em bpinn predict --help.\n");
        return TS_EXIT_OK;
    }
    fprintf(stderr, "tinsel em bpinn: expected 'train' or 'predict' (see tinsel em bpinn --help)\n");
    return TS_EXIT_USAGE;
}
