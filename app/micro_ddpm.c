/* `tinsel micro train | sample | generate-matrix`: the conditional DDPM of
 * seed 000 (src/micro/ddpm_model.c, src/micro/unet_model.c) on a dataset
 * written by `tinsel micro dataset` (images/<cond>.tif float stacks in
 * [-1, 1]; the split of each condition follows the seed's Fig. 2 design:
 * seen = train, unseen = PVD-300 h and ECD1-750 h, unknown = never measured). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro_app.h"

#define NC (TS_MICRO_NLEVELS * TS_MICRO_NTIMES)

int micro_cmd_train(int argc, char **argv);
int micro_cmd_sample(int argc, char **argv);
int micro_cmd_generate_matrix(int argc, char **argv);

/* Number of weights (sum of the parameter sizes, without the block's alignment padding). */
static size_t count_weights(ts_nn_params *P)
{
    size_t nw = 0;
    for (int i = 0; i < ts_nn_params_count(P); i++) {
        int nd;
        int64_t shp[TS_NN_MAXDIM];
        if (!ts_nn_params_shape(P, i, &nd, shp)) nw += ts_nn_shape_numel(nd, shp);
    }
    return nw;
}

/* "-n 3" -> "--n 3" (the option parser knows long names only); argv copied. */
static char **short_n(int argc, char **argv)
{
    char **a = malloc((size_t)(argc + 1) * sizeof *a);
    if (!a) return NULL;
    for (int i = 0; i < argc; i++) a[i] = strcmp(argv[i], "-n") ? argv[i] : (char *)"--n";
    a[argc] = NULL;
    return a;
}

/* Real crops of one condition: images/<cond>.tif of a `micro dataset` folder.
 * *img [pages, size, size] malloc'd (caller frees). Missing file: *pages = 0. */
static int read_cell(const char *dataset, int l, int t, int size, float **img, int *pages)
{
    char cn[64], path[2048];
    micro_cond_name(cn, sizeof cn, l, ts_micro_time_h(t));
    snprintf(path, sizeof path, "%s/images/%s.tif", dataset, cn);
    *img = NULL;
    *pages = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    fclose(fp);
    ts_image *im = NULL;
    TS_TRY(ts_tiff_read(path, &im));
    int rc = 0;
    if (im->dtype != TS_F32)
        rc = ts_error_set(TS_ERR_FORMAT, "%s: expected a float32 stack from `tinsel micro dataset`", path);
    else if (im->width != size || im->height != size)
        rc = ts_error_set(TS_ERR_FORMAT, "%s: images are %d x %d px, the model needs %d x %d (one channel)", path,
                          im->width, im->height, size, size);
    if (!rc) {
        size_t n = (size_t)im->pages * size * size;
        if (!(*img = malloc(n * sizeof **img))) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        else {
            memcpy(*img, im->data, n * sizeof **img);
            *pages = im->pages;
        }
    }
    ts_image_destroy(im);
    return rc;
}

static int parse_int_list(const double *v, size_t n, int *out, int maxn, const char *what)
{
    if ((int)n > maxn) return ts_error_set(TS_ERR_PARSE, "[unet] %s: at most %d entries", what, maxn);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != floor(v[i]) || v[i] < 0 || v[i] > 4096)
            return ts_error_set(TS_ERR_PARSE, "[unet] %s: expected non-negative integers", what);
        out[i] = (int)v[i];
    }
    return 0;
}

typedef struct {
    long steps, checkpoint_every, log_every, threads;
} train_opts;

static int read_train_config(ts_config *cf, ts_micro_ddpm_config *c, train_opts *to)
{
    ts_micro_ddpm_config_default(c);
    ts_micro_unet_config *u = &c->net;
    long v;
    double *ch = NULL, *at = NULL;
    size_t nch = 0, nat = 0;
    int rc = 0;
#define GETL(sec, key, field, lo, hi)                                                  \
    if (!rc && !(rc = ts_config_get_long(cf, sec, key, (long)(field), lo, hi, &v))) (field) = (int)v;
    GETL("unet", "size", u->size, 4, 4096)
    GETL("unet", "levels", u->levels, 1, TS_MICRO_UNET_MAXLEV)
    GETL("unet", "heads", u->heads, 1, 64)
    GETL("unet", "groups", u->groups, 1, 4096)
    GETL("unet", "temb", u->temb, 2, 4096)
    GETL("unet", "cemb", u->cemb, 1, 4096)
    GETL("unet", "convs", u->nconv, 1, TS_MICRO_UNET_MAXCONV)
    GETL("unet", "mid_convs", u->nmid, 1, TS_MICRO_UNET_MAXCONV)
    GETL("unet", "plain_input", u->in_plain, 0, 1) /* 1: no GroupNorm on the first input conv (not the seed) */
    GETL("ddpm", "T", c->T, 2, 100000)
    GETL("train", "batch", c->batch, 1, 4096)
#undef GETL
    if (!rc) rc = ts_config_get_doubles(cf, "unet", "channels", "16,32,32,64", &ch, &nch);
    if (!rc) rc = ts_config_get_doubles(cf, "unet", "attention_levels", "2,3", &at, &nat);
    if (!rc && (int)nch != u->levels + 1)
        rc = ts_error_set(TS_ERR_PARSE, "[unet] channels: %zu entries, levels + 1 = %d needed", nch, u->levels + 1);
    if (!rc) rc = parse_int_list(ch, nch, u->ch, TS_MICRO_UNET_MAXLEV + 1, "channels");
    if (!rc) {
        int lv[TS_MICRO_UNET_MAXLEV + 1];
        memset(u->attn, 0, sizeof u->attn);
        rc = parse_int_list(at, nat, lv, TS_MICRO_UNET_MAXLEV + 1, "attention_levels");
        for (size_t i = 0; i < nat && !rc; i++) {
            if (lv[i] > u->levels) rc = ts_error_set(TS_ERR_PARSE, "[unet] attention_levels: level %d > levels", lv[i]);
            else u->attn[lv[i]] = 1;
        }
    }
    free(ch);
    free(at);
    if (!rc) rc = ts_config_get_double(cf, "ddpm", "beta_start", c->beta1, 1e-8, 0.5, &c->beta1);
    if (!rc) rc = ts_config_get_double(cf, "ddpm", "beta_end", c->betaT, 1e-8, 0.999, &c->betaT);
    if (!rc) rc = ts_config_get_double(cf, "train", "lr", c->lr, 1e-12, 1, &c->lr);
    if (!rc) rc = ts_config_get_double(cf, "train", "ema_decay", c->ema_decay, 0, 0.999999, &c->ema_decay);
    if (!rc) rc = ts_config_get_long(cf, "train", "ema_start", c->ema_start, 0, 1L << 40, &c->ema_start);
    if (!rc) rc = ts_config_get_long(cf, "train", "steps", 2000, 1, 1L << 40, &to->steps);
    if (!rc) rc = ts_config_get_long(cf, "train", "checkpoint_every", 500, 1, 1L << 40, &to->checkpoint_every);
    if (!rc) rc = ts_config_get_long(cf, "train", "log_every", 10, 1, 1L << 40, &to->log_every);
    if (!rc) rc = ts_config_get_long(cf, "train", "threads", 2, 1, 256, &to->threads);
    if (!rc) rc = ts_config_check_unknown(cf);
    if (!rc) rc = ts_micro_unet_config_check(u);
    return rc;
}

int micro_cmd_train(int argc, char **argv)
{
    const char *out = "out/micro-train", *config = NULL, *resume = NULL;
    uint64_t seed = 1;
    long steps_cli = 0;
    double max_min = 0;
    ts_opt opts[] = {
        {"config", TS_OPT_STRING, &config, "FILE",
         "INI run file: [unet] size levels channels attention_levels heads groups temb cemb convs mid_convs plain_input; "
         "[ddpm] T beta_start beta_end; [train] steps batch lr ema_decay ema_start checkpoint_every log_every threads "
         "(docs/micro.md; defaults: 32 px, 3 levels, 16,32,32,64, attention 2,3, T 1000, beta 1e-4..0.02, Adam 3e-4, "
         "batch 2, EMA 0.995 from step 2000, 2000 steps)"},
        {"steps", TS_OPT_LONG, &steps_cli, "N", "total optimiser steps (overrides [train] steps; 0 = from the file)"},
        {"resume", TS_OPT_STRING, &resume, "CKPT", "continue from a checkpoint (model.safetensors); the network and "
                                                   "schedule come from it, the run repeats an uninterrupted one exactly"},
        {"max-minutes", TS_OPT_DOUBLE, &max_min, "MIN", "stop cleanly (checkpoint, tables) at the first step after MIN "
                                                       "minutes of training (also on SIGINT/SIGTERM); 0 = no limit; resume later with --resume"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (initial weights, batches, timesteps, noise)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (model.safetensors, loss.csv, loss.png, run.ini)"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro train DATASET --config FILE [options]",
                          "Trains the conditional DDPM (seed 000) on the seen conditions of a `tinsel micro dataset` "
                          "folder: eps-prediction MSE, Adam, EMA of the weights. Conditions enter as impurity code / 120 "
                          "and sqrt(ageing time / 3000 h). Progress shows the loss; checkpoints model.safetensors "
                          "every checkpoint_every steps (weights, EMA, Adam state, step, configuration).",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 1, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 1 || !config) {
        fprintf(stderr, "tinsel micro train: need DATASET and --config FILE (see --help)\n");
        return TS_EXIT_USAGE;
    }
    if (steps_cli < 0 || !(max_min >= 0)) {
        fprintf(stderr, "tinsel micro train: --steps %ld, --max-minutes %g: expected >= 0\n", steps_cli, max_min);
        return TS_EXIT_USAGE;
    }
    ts_config *cf = NULL;
    ts_micro_ddpm_config dc;
    train_opts to;
    if ((rc = ts_config_load(config, &cf))) return ts_cli_fail(rc, "micro train");
    if ((rc = read_train_config(cf, &dc, &to))) {
        ts_config_destroy(cf);
        return ts_cli_fail(rc, "micro train");
    }
    if (steps_cli) to.steps = steps_cli;
    dc.seed = seed;
    ts_nn_set_threads((int)to.threads);
    ts_micro_ddpm *d = NULL;
    if (resume) { /* a sampling file (EMA weights only) has no optimiser state to continue from */
        ts_nn_safetensors *st = NULL;
        rc = ts_nn_st_read(resume, &st);
        if (!rc && !ts_nn_st_meta(st, "optim"))
            rc = ts_error_set(TS_ERR_FORMAT, "%s: a sampling file without optimiser state (EMA weights only); "
                                             "resume from the full checkpoint model.safetensors", resume);
        ts_nn_st_destroy(st);
    }
    if (!rc) rc = resume ? ts_micro_ddpm_load(resume, &d) : ts_micro_ddpm_create(&dc, &d);
    const ts_micro_unet_config *nc = d ? &ts_micro_ddpm_get_config(d)->net : NULL;
    /* the seen conditions of the dataset */
    float *data = NULL, *cond = NULL;
    int N = 0;
    double cmin = INFINITY, cmax = -INFINITY, tmin = INFINITY, tmax = -INFINITY;
    for (int l = 0; l < TS_MICRO_NLEVELS && !rc; l++)
        for (int t = 0; t < TS_MICRO_NTIMES && !rc; t++) {
            if (ts_micro_condition_status(l, t) != TS_MICRO_SEEN) continue;
            float *img = NULL;
            int pages = 0;
            if ((rc = read_cell(pos[0], l, t, nc->size, &img, &pages))) break;
            if (!pages) continue;
            size_t isz = (size_t)nc->size * nc->size;
            float *nd = realloc(data, (size_t)(N + pages) * isz * sizeof *nd);
            float *ncd = nd ? realloc(cond, (size_t)(N + pages) * 2 * sizeof *ncd) : NULL;
            if (nd) data = nd;
            if (ncd) cond = ncd;
            if (!nd || !ncd) {
                free(img);
                rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                break;
            }
            memcpy(data + (size_t)N * isz, img, (size_t)pages * isz * sizeof *img);
            for (int k = 0; k < pages; k++) ts_micro_ddpm_cond(ts_micro_level_code(l), ts_micro_time_h(t), cond + 2 * (N + k));
            N += pages;
            free(img);
            cmin = fmin(cmin, ts_micro_level_code(l)), cmax = fmax(cmax, ts_micro_level_code(l));
            tmin = fmin(tmin, ts_micro_time_h(t)), tmax = fmax(tmax, ts_micro_time_h(t));
        }
    if (!rc && N == 0)
        rc = ts_error_set(TS_ERR_NOTFOUND, "%s: no training images (images/<cond>.tif of seen conditions; run "
                                           "`tinsel micro dataset` first)", pos[0]);
    if (!rc && nc->channels != 1)
        rc = ts_error_set(TS_ERR_FORMAT, "the model has %d image channels; the dataset has grey (1-channel) images",
                          nc->channels);
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "micro train", seed, &run);
    char *ck = run ? ts_run_path(run, "model.safetensors") : NULL, *lp = run ? ts_run_path(run, "loss.csv") : NULL;
    if (!rc && (!ck || !lp)) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    ts_csv *lc = NULL;
    const char *hdr[] = {"step", "loss", "loss_mean_log_every", "seconds"};
    if (!rc) rc = ts_csv_open(lp, 4, hdr, &lc);
    char r1[32], r2[32], r3[32], r4[32], nset[32];
    snprintf(r1, sizeof r1, "%g", cmin), snprintf(r2, sizeof r2, "%g", cmax);
    snprintf(r3, sizeof r3, "%g", tmin), snprintf(r4, sizeof r4, "%g", tmax);
    snprintf(nset, sizeof nset, "%d", N);
    const char *meta[] = {"code_min", r1, "code_max", r2, "hours_min", r3, "hours_max", r4, "train_images", nset};
    long s0 = d ? ts_micro_ddpm_steps(d) : 0;
    if (!rc && s0 >= to.steps)
        rc = ts_error_set(TS_ERR_RANGE, "the checkpoint is at step %ld, nothing to do for --steps %ld", s0, to.steps);
    if (!rc)
        printf("tinsel micro train: %d training images of %d px, %zu weights, steps %ld..%ld\n", N, nc->size,
               count_weights(ts_micro_unet_params(ts_micro_ddpm_unet(d))), s0 + 1, to.steps);
    ts_progress *pg = rc ? NULL : ts_progress_create("micro train", (double)(to.steps - s0), "step");
    double t0 = ts_time_now(), acc = 0;
    size_t nl = 0, cap = 0;
    double *xs = NULL, *ys = NULL;
    int nacc = 0;
    for (long s = s0; s < to.steps && !rc; s++) {
        double loss;
        if ((rc = ts_micro_ddpm_train_step(d, data, cond, N, &loss))) break;
        acc += loss, nacc++;
        rc |= ts_csv_cell_i(lc, s + 1);
        rc |= ts_csv_cell_d(lc, loss);
        rc |= ts_csv_cell_d(lc, (s + 1) % to.log_every == 0 ? acc / nacc : NAN);
        rc |= ts_csv_cell_d(lc, ts_time_now() - t0);
        rc |= ts_csv_end_row(lc);
        if ((s + 1) % to.log_every == 0) {
            char note[64];
            snprintf(note, sizeof note, "loss %.4f", acc / nacc);
            ts_progress_update(pg, (double)(s + 1 - s0), note);
            if (nl == cap) {
                cap = cap ? 2 * cap : 256;
                double *nx = realloc(xs, cap * sizeof *nx), *ny = nx ? realloc(ys, cap * sizeof *ny) : NULL;
                if (nx) xs = nx;
                if (ny) ys = ny;
                if (!nx || !ny) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            }
            if (!rc) xs[nl] = (double)(s + 1), ys[nl++] = acc / nacc;
            acc = 0, nacc = 0;
        }
        int stop = (max_min > 0 && ts_time_now() - t0 > 60.0 * max_min) || ts_interrupted();
        if (!rc && ((s + 1) % to.checkpoint_every == 0 || s + 1 == to.steps || stop)) rc = ts_micro_ddpm_save(d, ck, 5, meta);
        if (stop && !rc) {
            ts_log_warn("stopped (%s) at step %ld of %ld after %.1f min; checkpoint written, continue with --resume",
                        ts_interrupted() ? "interrupted" : "--max-minutes", s + 1, to.steps, (ts_time_now() - t0) / 60);
            to.steps = s + 1;
        }
    }
    ts_progress_destroy(pg);
    double secs = ts_time_now() - t0;
    if (lc) {
        if (rc) ts_csv_abort(lc);
        else rc = ts_csv_close(lc);
    }
    if (!rc && nl > 1) {
        ts_plot *p = ts_plot_create("C-DDPM training", "optimiser step", "eps-prediction MSE (mean per log interval)");
        char *pp = ts_run_path(run, "loss.png");
        if (!p || !pp) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc) ts_plot_set_log(p, 0, 1);
        if (!rc) rc = ts_plot_line(p, nl, xs, ys, "training loss");
        if (!rc) rc = ts_plot_write_png(p, pp, 800, 500);
        ts_plot_destroy(p);
        free(pp);
    }
    if (!rc) rc = ts_run_write_ini(run, cf);
    if (!rc)
        printf("tinsel micro train: %ld steps in %.1f s (%.3f s/step), last logged loss %.4f; wrote %s\n",
               to.steps - s0, secs, secs / (double)(to.steps - s0), nl ? ys[nl - 1] : NAN, ts_run_dir(run));
    free(xs);
    free(ys);
    free(ck);
    free(lp);
    free(data);
    free(cond);
    ts_run_destroy(run);
    ts_micro_ddpm_destroy(d);
    ts_config_destroy(cf);
    return ts_cli_fail(rc, "micro train");
}

/* Condition from --impurity (level name or code) and --hours; warns outside the trained range. */
static int condition_of(const char *imp, double hours, const char *model, double *code)
{
    int level;
    char *end = NULL;
    double v = strtod(imp, &end);
    if (end && end != imp && !*end) *code = v;
    else if (!ts_micro_level_parse(imp, &level)) *code = ts_micro_level_code(level);
    else return ts_error_set(TS_ERR_PARSE, "--impurity '%s': expected PVD, ECD1, ECD2, ECD3 or a code", imp);
    if (!(hours >= 0) || !(*code >= 0))
        return ts_error_set(TS_ERR_RANGE, "--impurity %g --hours %g: expected non-negative values", *code, hours);
    ts_nn_safetensors *st = NULL;
    TS_TRY(ts_nn_st_read(model, &st));
    const char *k[4] = {"code_min", "code_max", "hours_min", "hours_max"};
    double r[4];
    int have = 1;
    for (int i = 0; i < 4; i++) {
        const char *s = ts_nn_st_meta(st, k[i]);
        if (!s) have = 0;
        else r[i] = strtod(s, NULL);
    }
    ts_nn_st_destroy(st);
    if (have && (*code < r[0] || *code > r[1] || hours < r[2] || hours > r[3]))
        ts_log_warn("condition (impurity %g, %g h) lies outside the trained range (codes %g..%g, %g..%g h): "
                    "extrapolation, treat the images with caution",
                    *code, hours, r[0], r[1], r[2], r[3]);
    return 0;
}

static int write_stack(ts_run *run, const char *name, const float *img, int n, int size)
{
    ts_image *im = ts_image_create(size, size, n, TS_F32);
    char *p = ts_run_path(run, name);
    int rc = (!im || !p) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    if (!rc) {
        memcpy(im->data, img, (size_t)n * size * size * sizeof *img);
        rc = ts_tiff_write(p, im);
    }
    ts_image_destroy(im);
    free(p);
    return rc;
}

/* [-1, 1] -> grey PNG */
static int write_png01(ts_run *run, const char *name, const float *img, int size)
{
    float *g = malloc((size_t)size * size * sizeof *g);
    char *p = ts_run_path(run, name);
    int rc = (!g || !p) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    for (size_t i = 0; !rc && i < (size_t)size * size; i++) g[i] = 0.5f * (img[i] + 1.0f);
    if (!rc) rc = micro_write_grey_png(p, g, size, size);
    free(g);
    free(p);
    return rc;
}

int micro_cmd_sample(int argc, char **argv)
{
    const char *out = "out/micro-sample", *imp = NULL;
    double hours = NAN;
    long n = 3, ddim = 0, threads = 2;
    int raw = 0, clip = 0;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"impurity", TS_OPT_STRING, &imp, "X", "impurity level PVD, ECD1, ECD2, ECD3 or code 0..120"},
        {"hours", TS_OPT_DOUBLE, &hours, "H", "ageing time at 150 °C (hours)"},
        {"n", TS_OPT_LONG, &n, "N", "images to generate (also -n N)"},
        {"ddim", TS_OPT_LONG, &ddim, "S", "0: ancestral DDPM sampling over all T steps (seed); S > 0: deterministic "
                                          "DDIM on S steps (not in the seed, faster)"},
        {"raw", TS_OPT_FLAG, &raw, NULL, "use the raw weights instead of their EMA"},
        {"clip-x0", TS_OPT_FLAG, &clip, NULL, "clip the x0 estimate to [-1, 1] at every step (Ho et al.'s code; not in the seed)"},
        {"threads", TS_OPT_LONG, &threads, "N", "threads"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed of the sampling noise"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (sample_<k>.png, samples.tif in [-1, 1], run.ini)"},
    };
    char *pos[1];
    int npos = 0;
    char **av = short_n(argc, argv);
    if (!av) return ts_cli_fail(ts_error_set(TS_ERR_NOMEM, "out of memory"), "micro sample");
    int rc = ts_cli_parse(argc, av, "tinsel micro sample MODEL --impurity X --hours H [-n 3] [options]",
                          "Generates micrographs for one ageing condition with a trained C-DDPM checkpoint "
                          "(model.safetensors of `tinsel micro train`). Conditions outside the trained range are "
                          "allowed with a warning.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 1, &npos);
    free(av);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 1 || !imp || isnan(hours) || n < 1 || n > 1000 || ddim < 0 || threads < 1 || threads > 256) {
        fprintf(stderr, "tinsel micro sample: need MODEL, --impurity X, --hours H, -n 1..1000, --ddim >= 0\n");
        return TS_EXIT_USAGE;
    }
    ts_nn_set_threads((int)threads);
    double code = 0;
    if ((rc = condition_of(imp, hours, pos[0], &code))) return ts_cli_fail(rc, "micro sample");
    ts_micro_ddpm *d = NULL;
    if ((rc = ts_micro_ddpm_load(pos[0], &d))) return ts_cli_fail(rc, "micro sample");
    const ts_micro_ddpm_config *dc = ts_micro_ddpm_get_config(d);
    if (ddim > dc->T) {
        ts_micro_ddpm_destroy(d);
        fprintf(stderr, "tinsel micro sample: --ddim %ld exceeds T = %d\n", ddim, dc->T);
        return TS_EXIT_USAGE;
    }
    const int S = dc->net.size;
    float *cond = malloc((size_t)n * 2 * sizeof *cond), *img = malloc((size_t)n * S * S * sizeof *img);
    if (!cond || !img) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    for (long k = 0; k < n && !rc; k++) ts_micro_ddpm_cond(code, hours, cond + 2 * k);
    ts_run *run = NULL;
    double t0 = ts_time_now();
    if (!rc) rc = ts_micro_ddpm_sample(d, !raw, cond, (int)n, (int)ddim, clip, seed, 0, img);
    double secs = ts_time_now() - t0;
    if (!rc) rc = ts_run_create(out, "micro sample", seed, &run);
    for (long k = 0; k < n && !rc; k++) {
        char name[64];
        snprintf(name, sizeof name, "sample_%ld.png", k);
        rc = write_png01(run, name, img + (size_t)k * S * S, S);
    }
    if (!rc) rc = write_stack(run, "samples.tif", img, (int)n, S);
    if (!rc) rc = ts_run_write_ini(run, NULL);
    if (!rc)
        printf("tinsel micro sample: %ld images of %d px (impurity %g, %g h, %s%s) in %.3f s; wrote %s\n", n, S, code,
               hours, ddim ? "DDIM" : "ancestral DDPM", clip ? ", x0 clipped" : "", secs, ts_run_dir(run));
    free(cond);
    free(img);
    ts_run_destroy(run);
    ts_micro_ddpm_destroy(d);
    return ts_cli_fail(rc, "micro sample");
}

/* 4 x 7 mosaic (seed Fig. 5): real tiles plain, generated tiles with a blue
 * (Okabe-Ito #0072B2) inner border; the cell frame shows the status (orange
 * unseen, pink unknown, as `micro synth --matrix`). */
static int mosaic(const char *path, float *const *cells, const int *generated, int size, int cell_px)
{
    const int gap = 6, L = TS_MICRO_NLEVELS, T = TS_MICRO_NTIMES, bw = cell_px >= 64 ? 4 : 2;
    int W = T * cell_px + (T + 1) * gap, H = L * cell_px + (L + 1) * gap;
    uint8_t *rgb = malloc((size_t)W * H * 3);
    float *small = malloc((size_t)cell_px * cell_px * sizeof *small);
    int rc = (!rgb || !small) ? ts_error_set(TS_ERR_NOMEM, "mosaic: out of memory") : 0;
    if (!rc) memset(rgb, 255, (size_t)W * H * 3);
    for (int j = 0; j < NC && !rc; j++) {
        int l = j / T, t = j % T, st = ts_micro_condition_status(l, t);
        int x0 = gap + t * (cell_px + gap), y0 = gap + l * (cell_px + gap);
        uint8_t fr[3] = {255, 255, 255};
        if (st == TS_MICRO_UNKNOWN) fr[0] = 250, fr[1] = 170, fr[2] = 200;
        if (st == TS_MICRO_UNSEEN) fr[0] = 230, fr[1] = 159, fr[2] = 0;
        for (int y = y0 - gap / 2; y < y0 + cell_px + gap / 2; y++)
            for (int x = x0 - gap / 2; x < x0 + cell_px + gap / 2; x++)
                if (y >= 0 && x >= 0 && y < H && x < W) memcpy(rgb + 3 * ((size_t)y * W + x), fr, 3);
        if (!cells[j]) continue;
        if ((rc = ts_micro_resize(cells[j], size, size, small, cell_px, cell_px))) break;
        for (int y = 0; y < cell_px; y++)
            for (int x = 0; x < cell_px; x++) {
                uint8_t *p = rgb + 3 * ((size_t)(y0 + y) * W + x0 + x);
                if (generated[j] && (x < bw || y < bw || x >= cell_px - bw || y >= cell_px - bw)) {
                    p[0] = 0, p[1] = 114, p[2] = 178;
                    continue;
                }
                double v = 0.5 * (small[y * cell_px + x] + 1.0);
                p[0] = p[1] = p[2] = (uint8_t)(v < 0 ? 0 : v > 1 ? 255 : v * 255 + 0.5);
            }
    }
    if (!rc) rc = ts_png_write_rgb(path, W, H, rgb);
    free(rgb);
    free(small);
    return rc;
}

/* mean over rows of each row: the layer-stack profile [size] */
static void row_profile(const float *img, int n, int S, double *prof)
{
    for (int y = 0; y < S; y++) {
        double s = 0;
        for (int k = 0; k < n; k++)
            for (int x = 0; x < S; x++) s += img[((size_t)k * S + y) * S + x];
        prof[y] = s / ((double)n * S);
    }
}

static double profile_rmse(const double *a, const double *b, int S)
{
    double s = 0;
    for (int y = 0; y < S; y++) s += (a[y] - b[y]) * (a[y] - b[y]);
    return sqrt(s / S);
}

/* mean MS-SSIM over all pairs (i of a, j of b), skipping i == j when same */
static int mean_msssim(const float *a, int na, const float *b, int nb, int same, int S, int scales, double *out)
{
    double *x = malloc((size_t)S * S * sizeof *x), *y = malloc((size_t)S * S * sizeof *y), s = 0;
    int rc = (!x || !y) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0, cnt = 0;
    for (int i = 0; i < na && !rc; i++)
        for (int j = 0; j < nb && !rc; j++) {
            if (same && i >= j) continue;
            for (size_t q = 0; q < (size_t)S * S; q++) x[q] = a[(size_t)i * S * S + q], y[q] = b[(size_t)j * S * S + q];
            double m;
            if (!(rc = ts_msssim(x, y, S, S, 2.0, scales, &m))) s += m, cnt++;
        }
    *out = cnt ? s / cnt : NAN;
    free(x);
    free(y);
    return rc;
}

int micro_cmd_generate_matrix(int argc, char **argv)
{
    const char *out = "out/micro-matrix", *dataset = NULL;
    long n = 3, ddim = 0, threads = 2, nreal = 6;
    int clip = 0;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"n", TS_OPT_LONG, &n, "N", "images per condition (also -n N; seed: 3)"},
        {"ddim", TS_OPT_LONG, &ddim, "S", "0: ancestral DDPM sampling (seed); S > 0: deterministic DDIM on S steps"},
        {"dataset", TS_OPT_STRING, &dataset, "DIR", "`micro dataset` folder: real tiles for seen cells in the mosaic "
                                                    "and validation.csv against the real-like crops of every cell"},
        {"clip-x0", TS_OPT_FLAG, &clip, NULL, "clip the x0 estimate to [-1, 1] at every step (Ho et al.'s code; not in the seed)"},
        {"real", TS_OPT_LONG, &nreal, "N", "real crops per cell used in validation (spread over the micrograph)"},
        {"threads", TS_OPT_LONG, &threads, "N", "threads"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed of the sampling noise"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (images/<cond>.tif, mosaic.png, validation.csv)"},
    };
    char *pos[1];
    int npos = 0;
    char **av = short_n(argc, argv);
    if (!av) return ts_cli_fail(ts_error_set(TS_ERR_NOMEM, "out of memory"), "micro generate-matrix");
    int rc = ts_cli_parse(argc, av, "tinsel micro generate-matrix MODEL [-n 3] [options]",
                          "Fills the whole 4 x 7 condition matrix (seed Fig. 5) with generated micrographs: "
                          "images/<cond>.tif (n pages in [-1, 1]) per cell and mosaic.png (generated tiles with a blue "
                          "border; frames orange = unseen, pink = unknown). With --dataset, seen cells show a real "
                          "tile and validation.csv compares per cell the generated images with the real-like crops "
                          "(MS-SSIM with max_val 2 and as many scales as the size allows; RMSE of the row-mean "
                          "layer profile) next to the real-vs-real baseline and the trivial baseline 'real crops "
                          "of the nearest seen condition'.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 1, &npos);
    free(av);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 1 || n < 1 || n > 1000 || ddim < 0 || threads < 1 || threads > 256 || nreal < 2 || nreal > 64) {
        fprintf(stderr, "tinsel micro generate-matrix: need MODEL, -n 1..1000, --ddim >= 0, --real 2..64\n");
        return TS_EXIT_USAGE;
    }
    ts_nn_set_threads((int)threads);
    ts_micro_ddpm *d = NULL;
    if ((rc = ts_micro_ddpm_load(pos[0], &d))) return ts_cli_fail(rc, "micro generate-matrix");
    const int S = ts_micro_ddpm_get_config(d)->net.size;
    if (ddim > ts_micro_ddpm_get_config(d)->T) {
        ts_micro_ddpm_destroy(d);
        fprintf(stderr, "tinsel micro generate-matrix: --ddim %ld exceeds T\n", ddim);
        return TS_EXIT_USAGE;
    }
    const size_t isz = (size_t)S * S;
    float *gen = malloc((size_t)NC * n * isz * sizeof *gen), *cond = malloc((size_t)n * 2 * sizeof *cond);
    float *real[NC] = {NULL};
    int npages[NC] = {0};
    if (!gen || !cond) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    /* real crops (validation and mosaic), nreal non-mirrored pages spread over the micrograph */
    for (int j = 0; j < NC && !rc && dataset; j++) {
        float *all = NULL;
        int pages = 0;
        if ((rc = read_cell(dataset, j / TS_MICRO_NTIMES, j % TS_MICRO_NTIMES, S, &all, &pages))) break;
        if (pages < 2) {
            free(all);
            continue;
        }
        int half = pages / 2, m = (int)(nreal < half ? nreal : half);
        if (!(real[j] = malloc((size_t)m * isz * sizeof(float)))) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int k = 0; k < m && !rc; k++) /* even pages are unmirrored in `micro dataset` */
            memcpy(real[j] + k * isz, all + (size_t)(2 * (k * (half - 1) / (m > 1 ? m - 1 : 1))) * isz, isz * sizeof(float));
        npages[j] = m;
        free(all);
    }
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "micro generate-matrix", seed, &run);
    char *idir = run ? ts_run_path(run, "images") : NULL;
    if (!rc) rc = idir ? ts_mkdir_p(idir) : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(idir);
    ts_progress *pg = rc ? NULL : ts_progress_create("micro generate-matrix", NC, "condition");
    double t0 = ts_time_now();
    for (int j = 0; j < NC && !rc; j++) {
        int l = j / TS_MICRO_NTIMES, t = j % TS_MICRO_NTIMES;
        for (long k = 0; k < n; k++) ts_micro_ddpm_cond(ts_micro_level_code(l), ts_micro_time_h(t), cond + 2 * k);
        if ((rc = ts_micro_ddpm_sample(d, 1, cond, (int)n, (int)ddim, clip, seed, (uint64_t)j, gen + (size_t)j * n * isz)))
            break;
        char cn[64], name[128];
        micro_cond_name(cn, sizeof cn, l, ts_micro_time_h(t));
        snprintf(name, sizeof name, "images/%s.tif", cn);
        rc = write_stack(run, name, gen + (size_t)j * n * isz, (int)n, S);
        ts_progress_update(pg, j + 1, cn);
    }
    ts_progress_destroy(pg);
    double secs = ts_time_now() - t0;
    float *cells[NC];
    int generated[NC];
    for (int j = 0; j < NC; j++) {
        int seen = ts_micro_condition_status(j / TS_MICRO_NTIMES, j % TS_MICRO_NTIMES) == TS_MICRO_SEEN;
        generated[j] = !(seen && real[j]);
        cells[j] = generated[j] ? gen + (size_t)j * n * isz : real[j];
    }
    char *mp = run ? ts_run_path(run, "mosaic.png") : NULL;
    if (!rc) rc = mp ? mosaic(mp, cells, generated, S, S < 96 ? 96 : S) : ts_error_set(TS_ERR_NOMEM, "oom");
    free(mp);
    /* also the all-generated mosaic */
    for (int j = 0; j < NC; j++) generated[j] = 1, cells[j] = gen + (size_t)j * n * isz;
    mp = run ? ts_run_path(run, "mosaic_generated.png") : NULL;
    if (!rc) rc = mp ? mosaic(mp, cells, generated, S, S < 96 ? 96 : S) : ts_error_set(TS_ERR_NOMEM, "oom");
    free(mp);
    if (!rc && dataset) {
        int scales = 1;
        while (scales < 5 && S >= ts_msssim_min_size(scales + 1)) scales++;
        ts_csv *v = NULL;
        const char *hdr[] = {"level", "impurity_code", "time_h", "status", "nearest_seen", "msssim_gen_real",
                             "msssim_real_real", "msssim_nearest_real", "profile_rmse_gen", "profile_rmse_nearest",
                             "msssim_scales"};
        char *vp = ts_run_path(run, "validation.csv");
        rc = vp ? ts_csv_open(vp, 11, hdr, &v) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(vp);
        double sums[3][4] = {{0}};
        int cnts[3] = {0};
        double *pr = malloc((size_t)S * sizeof *pr), *pg_ = malloc((size_t)S * sizeof *pg_),
               *pn = malloc((size_t)S * sizeof *pn);
        if (!rc && (!pr || !pg_ || !pn)) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int j = 0; j < NC && !rc; j++) {
            if (!real[j]) continue;
            int l = j / TS_MICRO_NTIMES, t = j % TS_MICRO_NTIMES, st = ts_micro_condition_status(l, t);
            /* nearest other seen cell with real data, in condition space */
            float fj[2], fk[2];
            ts_micro_ddpm_cond(ts_micro_level_code(l), ts_micro_time_h(t), fj);
            int best = -1;
            double bd = INFINITY;
            for (int k = 0; k < NC; k++) {
                if (k == j || !real[k] || ts_micro_condition_status(k / TS_MICRO_NTIMES, k % TS_MICRO_NTIMES) != TS_MICRO_SEEN)
                    continue;
                ts_micro_ddpm_cond(ts_micro_level_code(k / TS_MICRO_NTIMES), ts_micro_time_h(k % TS_MICRO_NTIMES), fk);
                double dd = (fj[0] - fk[0]) * (fj[0] - fk[0]) + (fj[1] - fk[1]) * (fj[1] - fk[1]);
                if (dd < bd) bd = dd, best = k;
            }
            double mg, mr, mn = NAN, eg, en = NAN;
            rc = mean_msssim(gen + (size_t)j * n * isz, (int)n, real[j], npages[j], 0, S, scales, &mg);
            if (!rc) rc = mean_msssim(real[j], npages[j], real[j], npages[j], 1, S, scales, &mr);
            if (!rc && best >= 0) rc = mean_msssim(real[best], npages[best], real[j], npages[j], 0, S, scales, &mn);
            row_profile(real[j], npages[j], S, pr);
            row_profile(gen + (size_t)j * n * isz, (int)n, S, pg_);
            eg = profile_rmse(pg_, pr, S);
            if (best >= 0) {
                row_profile(real[best], npages[best], S, pn);
                en = profile_rmse(pn, pr, S);
            }
            char nb[64] = "none";
            if (best >= 0) micro_cond_name(nb, sizeof nb, best / TS_MICRO_NTIMES, ts_micro_time_h(best % TS_MICRO_NTIMES));
            rc |= ts_csv_cell_s(v, ts_micro_level_name(l));
            rc |= ts_csv_cell_d(v, ts_micro_level_code(l));
            rc |= ts_csv_cell_d(v, ts_micro_time_h(t));
            rc |= ts_csv_cell_s(v, ts_micro_status_name(st));
            rc |= ts_csv_cell_s(v, nb);
            rc |= ts_csv_cell_d(v, mg);
            rc |= ts_csv_cell_d(v, mr);
            rc |= ts_csv_cell_d(v, mn);
            rc |= ts_csv_cell_d(v, eg);
            rc |= ts_csv_cell_d(v, en);
            rc |= ts_csv_cell_i(v, scales);
            rc |= ts_csv_end_row(v);
            if (best >= 0) {
                sums[st][0] += mg, sums[st][1] += mn, sums[st][2] += eg, sums[st][3] += en;
                cnts[st]++;
            }
        }
        if (v) {
            if (rc) ts_csv_abort(v);
            else rc = ts_csv_close(v);
        }
        for (int st = 0; st < 3 && !rc; st++)
            if (cnts[st])
                printf("  %-7s cells %2d: MS-SSIM gen-real %.3f vs nearest-seen baseline %.3f; profile RMSE gen %.4f "
                       "vs baseline %.4f\n",
                       ts_micro_status_name(st), cnts[st], sums[st][0] / cnts[st], sums[st][1] / cnts[st],
                       sums[st][2] / cnts[st], sums[st][3] / cnts[st]);
        free(pr);
        free(pg_);
        free(pn);
    }
    if (!rc) rc = ts_run_write_ini(run, NULL);
    if (!rc)
        printf("tinsel micro generate-matrix: %d conditions x %ld images of %d px (%s%s) in %.1f s; wrote %s\n", NC, n,
               S, ddim ? "DDIM" : "ancestral DDPM", clip ? ", x0 clipped" : "", secs, ts_run_dir(run));
    for (int j = 0; j < NC; j++) free(real[j]);
    free(gen);
    free(cond);
    ts_run_destroy(run);
    ts_micro_ddpm_destroy(d);
    return ts_cli_fail(rc, "micro generate-matrix");
}
