/* Denoising diffusion probabilistic model (Ho et al. 2020) as used by seed
 * 000 (Methods, eqs. (1)-(4); notes/micrographs.md "Model"):
 *   beta_t linear from beta1 to betaT over T steps, alpha_t = 1 - beta_t,
 *   abar_t = prod_{s<=t} alpha_s                                  (eq. 1-2)
 *   q(x_t | x_0): x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps     (eq. 2)
 *   loss = E || eps - eps_theta(x_t, t, f) ||^2                     (eq. 4)
 *   ancestral step: x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta)
 *                   / sqrt(alpha_t) + sqrt(beta_t) z, z = 0 at t = 0 (eq. 3)
 * Optional, not in the seed: x0 clipping (clip_denoised of Ho et al.'s code:
 *   x0^ = clip((x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), -1, 1) and eps
 *   recomputed from x0^, which makes the ancestral mean the posterior mean
 *   of q(x_{t-1} | x_t, x0^)); deterministic DDIM (Song et al. 2021, eta = 0)
 *   x0^ = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t),
 *   x_s = sqrt(abar_s) x0^ + sqrt(1 - abar_s) eps  on a subsequence of steps.
 * Training: Adam (PyTorch semantics, nn core) and an EMA of the weights that
 * copies the weights until ema_start, then ema = d ema + (1 - d) w.
 * Indices t = 0..T-1 here are the paper's 1..T.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/micro.h"

struct ts_micro_ddpm {
    ts_micro_ddpm_config c;
    ts_micro_unet *net;
    ts_nn_optim *opt;
    ts_nn_arena *A;
    double *beta, *abar;
    float *ema;
    size_t np;
};

void ts_micro_ddpm_cond(double code, double t_h, float f[2])
{
    f[0] = (float)(code / 120.0);
    f[1] = (float)sqrt((t_h > 0 ? t_h : 0) / 3000.0);
}

void ts_micro_ddpm_config_default(ts_micro_ddpm_config *c)
{
    memset(c, 0, sizeof *c);
    ts_micro_unet_config_default(&c->net);
    c->T = 1000;
    c->beta1 = 1e-4;
    c->betaT = 0.02;
    c->lr = 3e-4;
    c->batch = 2;
    c->ema_decay = 0.995;
    c->ema_start = 2000;
    c->seed = 1;
}

int ts_micro_ddpm_schedule(int T, double beta1, double betaT, double *beta, double *abar)
{
    if (T < 2 || !(beta1 > 0) || !(betaT >= beta1) || !(betaT < 1) || !beta || !abar)
        return ts_error_set(TS_ERR_RANGE, "ddpm schedule: need T >= 2 and 0 < beta1 <= betaT < 1 (T %d, %g, %g)", T,
                            beta1, betaT);
    double p = 1.0;
    for (int t = 0; t < T; t++) {
        beta[t] = beta1 + (betaT - beta1) * t / (T - 1); /* torch.linspace(beta1, betaT, T) */
        p *= 1.0 - beta[t];
        abar[t] = p;
    }
    return 0;
}

static int check_config(const ts_micro_ddpm_config *c)
{
    TS_TRY(ts_micro_unet_config_check(&c->net));
    if (c->T < 2 || c->T > 100000) return ts_error_set(TS_ERR_RANGE, "ddpm: T %d outside 2..100000", c->T);
    if (!(c->lr > 0) || c->batch < 1 || c->batch > 4096 || !(c->ema_decay >= 0 && c->ema_decay < 1) ||
        c->ema_start < 0)
        return ts_error_set(TS_ERR_RANGE, "ddpm: need lr > 0, batch 1..4096, ema_decay in [0, 1), ema_start >= 0");
    return 0;
}

int ts_micro_ddpm_create(const ts_micro_ddpm_config *c, ts_micro_ddpm **out)
{
    if (!c || !out) return ts_error_set(TS_ERR_INVAL, "ddpm: NULL argument");
    *out = NULL;
    TS_TRY(check_config(c));
    ts_micro_ddpm *d = calloc(1, sizeof *d);
    if (!d) return ts_error_set(TS_ERR_NOMEM, "ddpm: out of memory");
    d->c = *c;
    int rc = ts_micro_unet_create(&c->net, &d->net);
    if (!rc) {
        d->np = ts_nn_params_total(ts_micro_unet_params(d->net));
        d->beta = malloc((size_t)c->T * sizeof *d->beta);
        d->abar = malloc((size_t)c->T * sizeof *d->abar);
        d->ema = malloc(d->np * sizeof *d->ema);
        if (!d->beta || !d->abar || !d->ema) rc = ts_error_set(TS_ERR_NOMEM, "ddpm: out of memory");
    }
    if (!rc) rc = ts_micro_ddpm_schedule(c->T, c->beta1, c->betaT, d->beta, d->abar);
    if (!rc) {
        ts_nn_optim_config oc = ts_nn_optim_defaults(TS_NN_ADAM);
        oc.lr = c->lr;
        rc = ts_nn_optim_create(&oc, d->np, &d->opt);
    }
    if (!rc) rc = ts_nn_arena_create(0, &d->A);
    if (!rc) {
        ts_rng *r = ts_rng_create(c->seed, 0x0e7);
        rc = r ? ts_micro_unet_init(d->net, r) : ts_error_set(TS_ERR_NOMEM, "ddpm: out of memory");
        ts_rng_destroy(r);
    }
    if (rc) {
        ts_micro_ddpm_destroy(d);
        return rc;
    }
    memcpy(d->ema, ts_nn_params_flat(ts_micro_unet_params(d->net)), d->np * sizeof *d->ema);
    *out = d;
    return 0;
}

void ts_micro_ddpm_destroy(ts_micro_ddpm *d)
{
    if (!d) return;
    ts_micro_unet_destroy(d->net);
    ts_nn_optim_destroy(d->opt);
    ts_nn_arena_destroy(d->A);
    free(d->beta);
    free(d->abar);
    free(d->ema);
    free(d);
}

const ts_micro_ddpm_config *ts_micro_ddpm_get_config(const ts_micro_ddpm *d) { return d ? &d->c : NULL; }
ts_micro_unet *ts_micro_ddpm_unet(ts_micro_ddpm *d) { return d ? d->net : NULL; }
const float *ts_micro_ddpm_ema(const ts_micro_ddpm *d) { return d ? d->ema : NULL; }
long ts_micro_ddpm_steps(const ts_micro_ddpm *d) { return d ? ts_nn_optim_steps(d->opt) : 0; }

void ts_micro_ddpm_q_sample(const ts_micro_ddpm *d, int t, const float *x0, const float *eps, float *xt, size_t len)
{
    const double a = sqrt(d->abar[t]), b = sqrt(1.0 - d->abar[t]);
    for (size_t i = 0; i < len; i++) xt[i] = (float)(a * x0[i] + b * eps[i]);
}

int ts_micro_ddpm_train_step(ts_micro_ddpm *d, const float *data, const float *cond, int N, double *loss)
{
    if (!d || !data || !cond || N < 1 || !loss) return ts_error_set(TS_ERR_INVAL, "ddpm train: bad arguments");
    const ts_micro_unet_config *nc = &d->c.net;
    const int B = d->c.batch;
    const size_t img = (size_t)nc->channels * nc->size * nc->size, len = (size_t)B * img;
    const long step = ts_nn_optim_steps(d->opt);
    ts_nn_arena_mark mk = ts_nn_arena_get_mark(d->A);
    ts_rng *r = ts_rng_create(d->c.seed ^ 0x5eed7a1full, (uint64_t)step);
    if (!r) return ts_error_set(TS_ERR_NOMEM, "ddpm train: out of memory");
    ts_nn_arena *A = d->A;
    float *x = ts_nn_arena_alloc(A, len), *eps = ts_nn_arena_alloc(A, len), *pred = ts_nn_arena_alloc(A, len);
    float *dpred = ts_nn_arena_alloc(A, len), *tt = ts_nn_arena_alloc(A, (size_t)B), *cc = ts_nn_arena_alloc(A, 2 * (size_t)B);
    int rc = (!x || !eps || !pred || !dpred || !tt || !cc) ? TS_ERR_NOMEM : 0;
    for (int b = 0; b < B && !rc; b++) { /* draw order: image, timestep, noise */
        int k = (int)ts_rng_uint(r, (uint64_t)N), t = (int)ts_rng_uint(r, (uint64_t)d->c.T);
        for (size_t i = 0; i < img; i++) eps[b * img + i] = (float)ts_rng_normal(r, 0, 1);
        ts_micro_ddpm_q_sample(d, t, data + (size_t)k * img, eps + b * img, x + b * img, img);
        tt[b] = (float)t;
        cc[2 * b] = cond[2 * k], cc[2 * b + 1] = cond[2 * k + 1];
    }
    ts_rng_destroy(r);
    ts_nn_params *P = ts_micro_unet_params(d->net);
    ts_nn_params_zero_grad(P);
    if (!rc) rc = ts_micro_unet_forward(d->net, A, x, tt, cc, B, pred);
    if (!rc) rc = ts_nn_mse_forward(loss, pred, eps, len);
    if (!rc) {
        ts_nn_mse_backward(dpred, pred, eps, len, 1.0f);
        rc = ts_micro_unet_backward(d->net, A, dpred, NULL);
    }
    if (!rc && !isfinite(*loss)) rc = ts_error_set(TS_ERR_NUMERIC, "ddpm train: loss is %g at step %ld", *loss, step);
    if (!rc) rc = ts_nn_optim_step(d->opt, ts_nn_params_flat(P), ts_nn_params_flat_grad(P), d->c.lr);
    if (!rc) {
        if (step + 1 < d->c.ema_start)
            memcpy(d->ema, ts_nn_params_flat(P), d->np * sizeof *d->ema);
        else
            ts_nn_ema_update(d->ema, ts_nn_params_flat(P), d->np, d->c.ema_decay);
    }
    ts_nn_arena_reset(A, mk);
    if (rc == TS_ERR_NOMEM) ts_error_set(rc, "ddpm train: out of memory");
    return rc;
}

static int ddpm_meta(const ts_micro_ddpm *d, char *net, size_t nn_, char *dd, size_t nd)
{
    TS_TRY(ts_micro_unet_config_format(&d->c.net, net, nn_));
    int m = snprintf(dd, nd, "T=%d beta1=%.17g betaT=%.17g lr=%.17g batch=%d ema_decay=%.17g ema_start=%ld seed=%llu",
                     d->c.T, d->c.beta1, d->c.betaT, d->c.lr, d->c.batch, d->c.ema_decay, d->c.ema_start,
                     (unsigned long long)d->c.seed);
    return (m < 0 || (size_t)m >= nd) ? ts_error_set(TS_ERR_RANGE, "ddpm: metadata too long") : 0;
}

int ts_micro_ddpm_save(ts_micro_ddpm *d, const char *path, int nmeta, const char *const *meta_kv)
{
    if (!d || !path || nmeta < 0 || (nmeta && !meta_kv)) return ts_error_set(TS_ERR_INVAL, "ddpm save: bad arguments");
    char net[512], dd[512];
    TS_TRY(ddpm_meta(d, net, sizeof net, dd, sizeof dd));
    const char **kv = malloc((size_t)(2 * nmeta + 4) * sizeof *kv);
    if (!kv) return ts_error_set(TS_ERR_NOMEM, "ddpm save: out of memory");
    kv[0] = "unet", kv[1] = net, kv[2] = "ddpm", kv[3] = dd;
    for (int i = 0; i < 2 * nmeta; i++) kv[4 + i] = meta_kv[i];
    int rc = ts_nn_checkpoint_save(path, ts_micro_unet_params(d->net), d->opt, d->ema, nmeta + 2, kv);
    free(kv);
    return rc;
}

static int parse_ddpm_meta(const char *s, ts_micro_ddpm_config *c, const char *path)
{
    unsigned long long seed;
    if (!s || sscanf(s, "T=%d beta1=%lg betaT=%lg lr=%lg batch=%d ema_decay=%lg ema_start=%ld seed=%llu", &c->T,
                     &c->beta1, &c->betaT, &c->lr, &c->batch, &c->ema_decay, &c->ema_start, &seed) != 8)
        return ts_error_set(TS_ERR_FORMAT, "%s: not a tinsel DDPM checkpoint (metadata 'ddpm' missing or malformed)",
                            path);
    c->seed = seed;
    return 0;
}

int ts_micro_ddpm_load(const char *path, ts_micro_ddpm **out)
{
    if (!path || !out) return ts_error_set(TS_ERR_INVAL, "ddpm load: NULL argument");
    *out = NULL;
    ts_nn_safetensors *st;
    TS_TRY(ts_nn_st_read(path, &st));
    ts_micro_ddpm_config c;
    memset(&c, 0, sizeof c);
    const char *net = ts_nn_st_meta(st, "unet");
    int rc = net ? ts_micro_unet_config_parse(net, &c.net)
                 : ts_error_set(TS_ERR_FORMAT, "%s: not a tinsel DDPM checkpoint (no 'unet' metadata)", path);
    if (!rc) rc = parse_ddpm_meta(ts_nn_st_meta(st, "ddpm"), &c, path);
    ts_micro_ddpm *d = NULL;
    if (!rc) rc = ts_micro_ddpm_create(&c, &d);
    /* A sampling file (scripts/ddpm_train_torch.py --export-ema, model_ema.safetensors)
     * holds the EMA weights as the weights and no optimiser state: loaded with
     * ema = weights; such a model samples but cannot resume training exactly. */
    int full = 1;
    if (!rc) {
        char nm[300];
        snprintf(nm, sizeof nm, "ema/%s", ts_nn_params_name(ts_micro_unet_params(d->net), 0));
        full = ts_nn_st_find(st, nm) >= 0 || ts_nn_st_meta(st, "optim");
    }
    ts_nn_st_destroy(st);
    if (!rc) rc = ts_nn_checkpoint_load(path, ts_micro_unet_params(d->net), full ? d->opt : NULL, full ? d->ema : NULL);
    if (!rc && !full) memcpy(d->ema, ts_nn_params_flat(ts_micro_unet_params(d->net)), d->np * sizeof *d->ema);
    if (rc) {
        ts_micro_ddpm_destroy(d);
        return rc;
    }
    *out = d;
    return 0;
}

int ts_micro_ddpm_denoise(ts_micro_ddpm *d, int use_ema, const float *cond, int n, int ddim_steps, int clip_x0,
                          ts_rng *r, float *out)
{
    if (!d || !cond || n < 1 || !out || ddim_steps < 0 || ddim_steps > d->c.T || (!ddim_steps && !r))
        return ts_error_set(TS_ERR_INVAL, "ddpm sample: bad arguments (n >= 1, 0 <= ddim steps <= T = %d, noise "
                                          "stream for ancestral sampling)", d ? d->c.T : 0);
    const ts_micro_unet_config *nc = &d->c.net;
    const size_t len = (size_t)n * nc->channels * nc->size * nc->size;
    ts_nn_params *P = ts_micro_unet_params(d->net);
    float *saved = NULL;
    if (use_ema) { /* swap the EMA weights in for the duration of sampling */
        if (!(saved = malloc(d->np * sizeof *saved))) return ts_error_set(TS_ERR_NOMEM, "ddpm sample: out of memory");
        memcpy(saved, ts_nn_params_flat(P), d->np * sizeof *saved);
        memcpy(ts_nn_params_flat(P), d->ema, d->np * sizeof *saved);
    }
    ts_nn_arena_mark mk = ts_nn_arena_get_mark(d->A);
    float *eps = ts_nn_arena_alloc(d->A, len), *tt = ts_nn_arena_alloc(d->A, (size_t)n);
    int rc = (!eps || !tt) ? ts_error_set(TS_ERR_NOMEM, "ddpm sample: out of memory") : 0;
    ts_nn_arena_mark mk2 = ts_nn_arena_get_mark(d->A);
    const int T = d->c.T, S = ddim_steps ? ddim_steps : T;
    for (int k = S - 1; k >= 0 && !rc; k--) {
        /* timestep of this iteration and of the next (-1: x_0) */
        int t = ddim_steps ? (int)((long)k * T / S) : k;
        int tp = ddim_steps ? (k ? (int)((long)(k - 1) * T / S) : -1) : k - 1;
        for (int b = 0; b < n; b++) tt[b] = (float)t;
        if (ts_interrupted()) { /* SIGINT / SIGTERM: stop between steps, no images */
            rc = ts_error_set(TS_ERR_INTERRUPTED, "ddpm sample: interrupted at step %d of %d", S - k, S);
            break;
        }
        ts_nn_arena_reset(d->A, mk2);
        rc = ts_micro_unet_forward(d->net, d->A, out, tt, cond, n, eps);
        if (rc) break;
        const double ab = d->abar[t];
        if (clip_x0) { /* Ho et al.'s reference code, clip_denoised: x0^ clipped to [-1, 1], eps made consistent */
            const double sa = sqrt(ab), sb = sqrt(1.0 - ab);
            for (size_t i = 0; i < len; i++) {
                double x0 = (out[i] - sb * eps[i]) / sa;
                x0 = x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
                eps[i] = (float)((out[i] - sa * x0) / sb);
            }
        }
        if (!ddim_steps) {
            const double c1 = 1.0 / sqrt(1.0 - d->beta[t]), c2 = d->beta[t] / sqrt(1.0 - ab), sg = sqrt(d->beta[t]);
            for (size_t i = 0; i < len; i++) {
                double m = c1 * (out[i] - c2 * eps[i]);
                out[i] = (float)(t > 0 ? m + sg * ts_rng_normal(r, 0, 1) : m);
            }
        } else {
            const double abp = tp >= 0 ? d->abar[tp] : 1.0;
            for (size_t i = 0; i < len; i++) {
                double x0 = (out[i] - sqrt(1.0 - ab) * eps[i]) / sqrt(ab);
                out[i] = (float)(sqrt(abp) * x0 + sqrt(1.0 - abp) * eps[i]);
            }
        }
    }
    for (size_t i = 0; i < len && !rc; i++) out[i] = out[i] < -1.0f ? -1.0f : out[i] > 1.0f ? 1.0f : out[i];
    ts_nn_arena_reset(d->A, mk);
    if (saved) {
        memcpy(ts_nn_params_flat(P), saved, d->np * sizeof *saved);
        free(saved);
    }
    return rc;
}

int ts_micro_ddpm_sample(ts_micro_ddpm *d, int use_ema, const float *cond, int n, int ddim_steps, int clip_x0,
                         uint64_t seed, uint64_t stream, float *out)
{
    if (!d || n < 1 || !out) return ts_error_set(TS_ERR_INVAL, "ddpm sample: bad arguments");
    const ts_micro_unet_config *nc = &d->c.net;
    const size_t len = (size_t)n * nc->channels * nc->size * nc->size;
    ts_rng *r = ts_rng_create(seed, stream);
    if (!r) return ts_error_set(TS_ERR_NOMEM, "ddpm sample: out of memory");
    for (size_t i = 0; i < len; i++) out[i] = (float)ts_rng_normal(r, 0, 1); /* x_T */
    int rc = ts_micro_ddpm_denoise(d, use_ema, cond, n, ddim_steps, clip_x0, r, out);
    ts_rng_destroy(r);
    return rc;
}
