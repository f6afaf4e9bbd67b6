/* tinsel nn: commands of the neural-network core.
 *   tinsel nn check MODEL.safetensors   list and validate the tensors of a model file
 *   tinsel nn fit [options]             train an MLP on a known function (the demo task)
 * The fit task: f(x, y) = sin(πx) cos(πy) on [-1, 1]², learned from random
 * samples by an MLP (tanh) with Adam/AdamW/SGD, a learning-rate schedule,
 * gradient clipping and an EMA of the weights; validated on a 64 × 64 grid.
 * Units: none (a dimensionless function). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tinsel/core.h"
#include "tinsel/nn.h"

#define NN_PI 3.14159265358979323846
#define NN_GRID 64

/* ------------------------------------------------------------------ check */

static int cmd_check(int argc, char **argv)
{
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel nn check MODEL.safetensors",
                          "Reads a safetensors file (as written by tinsel or PyTorch), checks its header, offsets and "
                          "sizes, and lists every tensor with dtype, shape and value statistics. Exit status 1 if "
                          "the file is malformed or holds NaN/Inf.",
                          NULL, 0, pos, 1, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel: nn check needs one MODEL.safetensors (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_nn_safetensors *st = NULL;
    if ((rc = ts_nn_st_read(pos[0], &st)) != 0) return ts_cli_fail(rc, "nn check");
    int n = ts_nn_st_count(st);
    size_t total = 0, nonfinite = 0;
    printf("%s: %d tensors\n", pos[0], n);
    printf("%-40s %-5s %-20s %12s %12s %12s\n", "name", "dtype", "shape", "min", "max", "mean");
    for (int i = 0; i < n; i++) {
        int nd;
        int64_t shp[TS_NN_MAXDIM];
        ts_nn_st_shape(st, i, &nd, shp);
        char s[64] = "[";
        for (int k = 0; k < nd; k++) {
            char d[24];
            snprintf(d, sizeof d, "%s%lld", k ? "," : "", (long long)shp[k]);
            strncat(s, d, sizeof s - strlen(s) - 2);
        }
        strcat(s, "]");
        size_t ne = ts_nn_shape_numel(nd, shp);
        const float *v = ts_nn_st_data(st, i);
        double mn = INFINITY, mx = -INFINITY, sum = 0;
        for (size_t k = 0; k < ne; k++) {
            if (!isfinite(v[k])) {
                nonfinite++;
                continue;
            }
            mn = fmin(mn, v[k]);
            mx = fmax(mx, v[k]);
            sum += v[k];
        }
        total += ne;
        if (ne)
            printf("%-40s %-5s %-20s %12.5g %12.5g %12.5g\n", ts_nn_st_name(st, i), ts_nn_st_dtype(st, i), s, mn, mx,
                   sum / (double)ne);
        else
            printf("%-40s %-5s %-20s %12s %12s %12s\n", ts_nn_st_name(st, i), ts_nn_st_dtype(st, i), s, "-", "-", "-");
    }
    const char *fmt = ts_nn_st_meta(st, "format");
    printf("%zu values%s%s\n", total, fmt ? ", metadata format = " : "", fmt ? fmt : "");
    ts_nn_st_destroy(st);
    if (nonfinite) {
        fprintf(stderr, "tinsel: nn check: %s holds %zu NaN/Inf values\n", pos[0], nonfinite);
        return TS_EXIT_FAIL;
    }
    return TS_EXIT_OK;
}

/* ------------------------------------------------------------------ fit */

typedef struct {
    long steps, hidden, layers, points, eval_every;
    double lr, clip, ema;
    const char *optim, *schedule;
    uint64_t seed;
    long threads;
} fit_opts;

typedef struct {
    double val_rmse, val_rmse_ema, rel_rmse_ema, seconds, first_loss, last_loss;
} fit_result;

static double target_fn(double x, double y) { return sin(NN_PI * x) * cos(NN_PI * y); }

/* RMSE of the network on the validation grid; pred [NN_GRID²] filled. */
static int eval_grid(ts_nn_mlp *m, ts_nn_arena *A, const float *grid, const float *truth, float *pred, double *rmse)
{
    ts_nn_arena_mark mk = ts_nn_arena_get_mark(A);
    TS_TRY(ts_nn_mlp_forward(m, A, grid, NN_GRID * NN_GRID, pred));
    ts_nn_arena_reset(A, mk);
    double s = 0;
    for (int i = 0; i < NN_GRID * NN_GRID; i++) s += ((double)pred[i] - truth[i]) * ((double)pred[i] - truth[i]);
    *rmse = sqrt(s / (NN_GRID * NN_GRID));
    return TS_OK;
}

static int write_heat(const char *dir, const char *name, const float *v, const char *title, const char *cbar, double lo,
                      double hi)
{
    double *d = malloc(sizeof(double) * NN_GRID * NN_GRID);
    TS_CHECK_ALLOC(d);
    /* row 0 at the top: y = +1 */
    for (int r = 0; r < NN_GRID; r++)
        for (int c = 0; c < NN_GRID; c++) d[r * NN_GRID + c] = v[(NN_GRID - 1 - r) * NN_GRID + c];
    char *path = ts_path_join(dir, name);
    double ext[4] = {-1, 1, -1, 1};
    int rc = path ? ts_heatmap_write_png(path, d, NN_GRID, NN_GRID, ext, lo, hi, title, "x (-)", "y (-)", cbar)
                  : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(path);
    free(d);
    return rc;
}

static int fit_run(const fit_opts *o, const char *outdir, fit_result *res)
{
    static const char *const optims[] = {"adam", "adamw", "sgd"};
    static const char *const scheds[] = {"constant", "cosine", "onecycle", "poly"};
    int io = -1, is = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(o->optim, optims[i])) io = i;
    for (int i = 0; i < 4; i++)
        if (!strcmp(o->schedule, scheds[i])) is = i;
    if (io < 0) return ts_error_set(TS_ERR_USAGE, "--optim must be adam, adamw or sgd, got '%s'", o->optim);
    if (is < 0)
        return ts_error_set(TS_ERR_USAGE, "--schedule must be constant, cosine, onecycle or poly, got '%s'", o->schedule);
    if (o->steps < 1 || o->steps > 10000000 || o->hidden < 1 || o->hidden > 4096 || o->layers < 1 || o->layers > 16 ||
        o->points < 2 || o->points > 10000000 || o->eval_every < 1)
        return ts_error_set(TS_ERR_RANGE, "fit: steps 1..1e7, hidden 1..4096, layers 1..16, points 2..1e7, eval-every >= 1");
    if (!(o->lr > 0) || !(o->clip >= 0) || !(o->ema >= 0 && o->ema < 1))
        return ts_error_set(TS_ERR_RANGE, "fit: need lr > 0, clip >= 0 (0: off), 0 <= ema < 1");
    if (o->threads > 0) ts_nn_set_threads((int)o->threads);

    ts_run *run = NULL;
    ts_config *cfg = ts_config_create();
    if (!cfg) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    char buf[64];
#define SETL(k, v) (snprintf(buf, sizeof buf, "%ld", (long)(v)), ts_config_set(cfg, "fit", k, buf))
#define SETD(k, v) (snprintf(buf, sizeof buf, "%.17g", (double)(v)), ts_config_set(cfg, "fit", k, buf))
    SETL("steps", o->steps), SETL("hidden", o->hidden), SETL("layers", o->layers), SETL("points", o->points);
    SETD("lr", o->lr), SETD("clip", o->clip), SETD("ema", o->ema), SETL("threads", ts_nn_get_threads());
    ts_config_set(cfg, "fit", "optim", o->optim);
    ts_config_set(cfg, "fit", "schedule", o->schedule);
    ts_config_set(cfg, "fit", "task", "sin(pi x) cos(pi y) on [-1,1]^2");
    {
        const char *sv;
        long lv;
        double dv;
        ts_config_get_long(cfg, "fit", "steps", 0, 1, 10000000, &lv);
        ts_config_get_long(cfg, "fit", "hidden", 0, 1, 4096, &lv);
        ts_config_get_long(cfg, "fit", "layers", 0, 1, 16, &lv);
        ts_config_get_long(cfg, "fit", "points", 0, 2, 10000000, &lv);
        ts_config_get_long(cfg, "fit", "threads", 0, 1, 4096, &lv);
        ts_config_get_double(cfg, "fit", "lr", 0, 0, INFINITY, &dv);
        ts_config_get_double(cfg, "fit", "clip", 0, 0, INFINITY, &dv);
        ts_config_get_double(cfg, "fit", "ema", 0, 0, 1, &dv);
        ts_config_get_string(cfg, "fit", "optim", "", &sv);
        ts_config_get_string(cfg, "fit", "schedule", "", &sv);
        ts_config_get_string(cfg, "fit", "task", "", &sv);
    }
#undef SETL
#undef SETD
    int rc = ts_run_create(outdir, "nn fit", o->seed, &run);
    if (rc) {
        ts_config_destroy(cfg);
        return rc;
    }

    /* model, data */
    ts_nn_params *P = NULL;
    ts_nn_mlp *m = NULL;
    ts_nn_arena *A = NULL;
    ts_nn_optim *opt = NULL;
    ts_rng *rng = ts_rng_create(o->seed, 0);
    ts_csv *csv = NULL;
    ts_progress *prog = NULL;
    int *sizes = malloc(sizeof(int) * (size_t)(o->layers + 2));
    float *x = malloc(sizeof(float) * 2 * (size_t)o->points), *y = malloc(sizeof(float) * (size_t)o->points);
    float *grid = malloc(sizeof(float) * 2 * NN_GRID * NN_GRID), *truth = malloc(sizeof(float) * NN_GRID * NN_GRID);
    float *pred = malloc(sizeof(float) * NN_GRID * NN_GRID), *out = malloc(sizeof(float) * (size_t)o->points);
    float *dout = malloc(sizeof(float) * (size_t)o->points), *ema = NULL, *saved = NULL, *err = NULL;
    double *hist_step = NULL, *hist_loss = NULL, *hist_val = NULL;
    size_t nhist = 0;
    if (!rng || !sizes || !x || !y || !grid || !truth || !pred || !out || !dout) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (long i = 0; i < o->points; i++) {
        double a = 2 * ts_rng_uniform(rng) - 1, b = 2 * ts_rng_uniform(rng) - 1;
        x[2 * i] = (float)a, x[2 * i + 1] = (float)b, y[i] = (float)target_fn(a, b);
    }
    double rms_truth = 0;
    for (int r = 0; r < NN_GRID; r++)
        for (int c = 0; c < NN_GRID; c++) {
            double gx = -1 + 2.0 * c / (NN_GRID - 1), gy = -1 + 2.0 * r / (NN_GRID - 1);
            grid[2 * (r * NN_GRID + c)] = (float)gx, grid[2 * (r * NN_GRID + c) + 1] = (float)gy;
            truth[r * NN_GRID + c] = (float)target_fn(gx, gy);
            rms_truth += truth[r * NN_GRID + c] * (double)truth[r * NN_GRID + c];
        }
    rms_truth = sqrt(rms_truth / (NN_GRID * NN_GRID));
    sizes[0] = 2;
    for (long k = 1; k <= o->layers; k++) sizes[k] = (int)o->hidden;
    sizes[o->layers + 1] = 1;
    if ((rc = ts_nn_params_create(&P)) || (rc = ts_nn_mlp_create(P, "net", (int)o->layers + 1, sizes, TS_NN_ACT_TANH, &m)) ||
        (rc = ts_nn_params_alloc(P)) || (rc = ts_nn_mlp_init(m, rng)) || (rc = ts_nn_arena_create(0, &A)))
        goto done;
    size_t np = ts_nn_params_total(P);
    ts_nn_optim_config oc = ts_nn_optim_defaults(io == 0 ? TS_NN_ADAM : io == 1 ? TS_NN_ADAMW : TS_NN_SGD);
    oc.lr = o->lr;
    if (io == 2) oc.momentum = 0.9;
    if ((rc = ts_nn_optim_create(&oc, np, &opt))) goto done;
    ts_nn_lr_schedule sch = ts_nn_lr_defaults((ts_nn_lr_kind)is, o->lr, o->steps);
    sch.min_lr = o->lr * 1e-2;
    ema = malloc(np * sizeof(float));
    saved = malloc(np * sizeof(float));
    size_t hcap = (size_t)(o->steps / o->eval_every + 2);
    hist_step = malloc(hcap * sizeof(double)), hist_loss = malloc(hcap * sizeof(double)),
    hist_val = malloc(hcap * sizeof(double));
    if (!ema || !saved || !hist_step || !hist_loss || !hist_val) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(ema, ts_nn_params_flat(P), np * sizeof(float));
    char *csvpath = ts_run_path(run, "loss.csv");
    const char *hdr[] = {"step", "lr", "train_mse", "val_rmse", "val_rmse_ema"};
    rc = csvpath ? ts_csv_open(csvpath, 5, hdr, &csv) : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(csvpath);
    if (rc) goto done;
    prog = ts_progress_create("nn fit", (double)o->steps, "step");
    double t0 = ts_time_now(), loss = 0;
    for (long step = 0; step < o->steps; step++) {
        if (ts_interrupted()) {
            rc = ts_error_set(TS_ERR_INTERRUPTED, "nn fit interrupted at step %ld", step);
            goto done;
        }
        ts_nn_arena_mark mk = ts_nn_arena_get_mark(A);
        ts_nn_params_zero_grad(P);
        if ((rc = ts_nn_mlp_forward(m, A, x, (int)o->points, out))) goto done;
        if ((rc = ts_nn_mse_forward(&loss, out, y, (size_t)o->points))) goto done;
        if (!isfinite(loss)) {
            rc = ts_error_set(TS_ERR_NUMERIC, "nn fit: loss is %g at step %ld (learning rate too high?)", loss, step);
            goto done;
        }
        memset(dout, 0, sizeof(float) * (size_t)o->points);
        ts_nn_mse_backward(dout, out, y, (size_t)o->points, 1.0f);
        if ((rc = ts_nn_mlp_backward(m, A, dout, NULL))) goto done;
        ts_nn_arena_reset(A, mk);
        if (o->clip > 0) ts_nn_clip_grad_norm(ts_nn_params_flat_grad(P), np, o->clip);
        double lr = ts_nn_lr_at(&sch, step);
        if ((rc = ts_nn_optim_step(opt, ts_nn_params_flat(P), ts_nn_params_flat_grad(P), lr))) goto done;
        ts_nn_ema_update(ema, ts_nn_params_flat(P), np, o->ema);
        if (step == 0) res->first_loss = loss;
        if (step % o->eval_every == 0 || step == o->steps - 1) {
            double v, ve;
            if ((rc = eval_grid(m, A, grid, truth, pred, &v))) goto done;
            memcpy(saved, ts_nn_params_flat(P), np * sizeof(float));
            memcpy(ts_nn_params_flat(P), ema, np * sizeof(float));
            rc = eval_grid(m, A, grid, truth, pred, &ve);
            memcpy(ts_nn_params_flat(P), saved, np * sizeof(float));
            if (rc) goto done;
            double row[5] = {(double)step, lr, loss, v, ve};
            if ((rc = ts_csv_row_d(csv, row))) goto done;
            hist_step[nhist] = (double)step + 1, hist_loss[nhist] = loss, hist_val[nhist] = v * v;
            nhist++;
            res->val_rmse = v, res->val_rmse_ema = ve;
            char note[64];
            snprintf(note, sizeof note, "loss %.3g", loss);
            ts_progress_update(prog, (double)step + 1, note);
        }
    }
    res->last_loss = loss;
    res->seconds = ts_time_now() - t0;
    res->rel_rmse_ema = res->val_rmse_ema / rms_truth;
    rc = ts_csv_close(csv);
    csv = NULL;
    if (rc) goto done;
    /* EMA weights are the model that is saved and plotted */
    memcpy(ts_nn_params_flat(P), ema, np * sizeof(float));
    if ((rc = eval_grid(m, A, grid, truth, pred, &res->val_rmse_ema))) goto done;
    {
        char *mp = ts_run_path(run, "model.safetensors");
        char arch[128], steps[32];
        snprintf(arch, sizeof arch, "mlp 2-%ldx%ld-1 tanh, torch.nn.Sequential names", o->hidden, o->layers);
        snprintf(steps, sizeof steps, "%ld", o->steps);
        const char *meta[] = {"format", "pt", "architecture", arch, "steps", steps, "weights", "ema"};
        rc = mp ? ts_nn_params_save(P, mp, 4, meta) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(mp);
        if (rc) goto done;
    }
    {
        ts_plot *pl = ts_plot_create("MLP fit of sin(pi x) cos(pi y)", "step (-)", "mean squared error (-)");
        char *pp = ts_run_path(run, "loss.png");
        if (!pl || !pp) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc) {
            ts_plot_set_log(pl, 1, 1);
            rc = ts_plot_line(pl, nhist, hist_step, hist_loss, "training MSE (samples)");
        }
        if (!rc) rc = ts_plot_line(pl, nhist, hist_step, hist_val, "validation MSE (64x64 grid)");
        if (!rc) rc = ts_plot_write_png(pl, pp, 800, 560);
        ts_plot_destroy(pl);
        free(pp);
        if (rc) goto done;
    }
    err = malloc(sizeof(float) * NN_GRID * NN_GRID);
    if (!err) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < NN_GRID * NN_GRID; i++) err[i] = pred[i] - truth[i];
    double emax = 0;
    for (int i = 0; i < NN_GRID * NN_GRID; i++) emax = fmax(emax, fabs(err[i]));
    if ((rc = write_heat(ts_run_dir(run), "fit.png", pred, "network (EMA weights)", "f (-)", -1, 1)) ||
        (rc = write_heat(ts_run_dir(run), "error.png", err, "network - sin(pi x) cos(pi y)", "error (-)", -emax - 1e-12,
                         emax + 1e-12)))
        goto done;
    rc = ts_run_write_ini(run, cfg);
done:
    if (rc && csv) ts_csv_abort(csv);
    ts_progress_destroy(prog);
    ts_nn_optim_destroy(opt);
    ts_nn_arena_destroy(A);
    ts_nn_mlp_destroy(m);
    ts_nn_params_destroy(P);
    ts_rng_destroy(rng);
    free(sizes), free(x), free(y), free(grid), free(truth), free(pred), free(out), free(dout);
    free(ema), free(saved), free(err), free(hist_step), free(hist_loss), free(hist_val);
    ts_run_destroy(run);
    ts_config_destroy(cfg);
    return rc;
}

static fit_opts fit_defaults(void)
{
    fit_opts o = {2000, 32, 2, 1024, 20, 1e-2, 1.0, 0.99, "adam", "cosine", 1, 0};
    return o;
}

static int cmd_fit(int argc, char **argv)
{
    fit_opts o = fit_defaults();
    const char *out = "out/nn-fit";
    const ts_opt opts[] = {
        {"steps", TS_OPT_LONG, &o.steps, "N", "optimiser steps (full batch)"},
        {"hidden", TS_OPT_LONG, &o.hidden, "H", "units per hidden layer"},
        {"layers", TS_OPT_LONG, &o.layers, "L", "hidden layers"},
        {"points", TS_OPT_LONG, &o.points, "N", "random training samples in [-1,1]^2"},
        {"lr", TS_OPT_DOUBLE, &o.lr, "LR", "peak learning rate"},
        {"optim", TS_OPT_STRING, &o.optim, "NAME", "adam, adamw or sgd (momentum 0.9)"},
        {"schedule", TS_OPT_STRING, &o.schedule, "NAME", "constant, cosine, onecycle or poly"},
        {"clip", TS_OPT_DOUBLE, &o.clip, "G", "gradient-norm clipping threshold (0: off)"},
        {"ema", TS_OPT_DOUBLE, &o.ema, "D", "decay of the exponential moving average of weights"},
        {"eval-every", TS_OPT_LONG, &o.eval_every, "N", "steps between validation points"},
        {"threads", TS_OPT_LONG, &o.threads, "T", "OpenMP threads (0: OpenMP default)"},
        {"seed", TS_OPT_U64, &o.seed, "N", "random seed (data and initial weights)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel nn fit [options]",
                          "Trains an MLP (tanh) to fit f(x, y) = sin(pi x) cos(pi y) on [-1,1]^2 from random samples, "
                          "with the nn core's optimiser, learning-rate schedule, gradient clipping and weight EMA. "
                          "Writes loss.csv, loss.png, fit.png, error.png, model.safetensors (EMA weights, PyTorch "
                          "Sequential names) and run.ini into DIR.",
                          opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, &npos);
    if (rc == 1) return TS_EXIT_OK;
    if (rc) return TS_EXIT_USAGE;
    fit_result r;
    memset(&r, 0, sizeof r);
    if ((rc = fit_run(&o, out, &r)) != 0) return ts_cli_fail(rc, "nn fit");
    printf("nn fit: %ld steps in %.2f s; training MSE %.3g -> %.3g; validation RMSE %.4g (EMA weights %.4g, "
           "%.2f%% of the function's RMS); outputs in %s\n",
           o.steps, r.seconds, r.first_loss, r.last_loss, r.val_rmse, r.val_rmse_ema, 100 * r.rel_rmse_ema, out);
    return TS_EXIT_OK;
}

/* ------------------------------------------------------------------ demo */

static int nn_demo(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed)
{
    fit_opts o = fit_defaults();
    o.seed = seed;
    o.threads = 1; /* a 1185-parameter MLP gains nothing from a thread team */
    fit_result r;
    memset(&r, 0, sizeof r);
    TS_TRY(fit_run(&o, outdir, &r));
    ts_report_text(rep,
                   "An MLP 2-%ldx%ld-1 (tanh) learns f(x, y) = sin(pi x) cos(pi y) on [-1, 1]^2 from %ld random "
                   "samples: Adam, cosine learning-rate schedule from %g, gradient clipping at %g, EMA %g, %ld full-batch "
                   "steps in %.1f s. Training MSE %.3g -> %.3g; validation RMSE on a 64x64 grid %.4g with the EMA "
                   "weights (%.2f%% of the function's RMS).",
                   o.hidden, o.layers, o.points, o.lr, o.clip, o.ema, o.steps, r.seconds, r.first_loss, r.last_loss,
                   r.val_rmse_ema, 100 * r.rel_rmse_ema);
    const struct {
        const char *name, *kind, *desc;
    } files[] = {{"loss.png", "plot", "training and validation MSE against step"},
                 {"loss.csv", "table", "step, learning rate, training MSE, validation RMSE (raw and EMA weights)"},
                 {"fit.png", "image", "the network's f on the validation grid"},
                 {"error.png", "image", "network minus the exact function"},
                 {"model.safetensors", "data", "EMA weights (load in PyTorch as an nn.Sequential state_dict)"},
                 {"run.ini", "data", "resolved options, seed and version"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "%s%s", relprefix, files[i].name);
        ts_report_file(rep, rel, files[i].kind, files[i].desc);
    }
    return TS_OK;
}

static const ts_command nn_commands[] = {
    {"check", "list and validate the tensors of a safetensors model file", cmd_check},
    {"fit", "train an MLP on a known function (loss curve, model file)", cmd_fit},
};

const ts_engine ts_engine_nn = {"nn", "neural-network core: model files, a training demo", nn_commands,
                                (int)(sizeof nn_commands / sizeof nn_commands[0]), nn_demo};
