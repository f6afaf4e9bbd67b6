/* Optimisers with the update order of torch.optim 1.13 (single-tensor path):
 *   SGD:   g ← g + λ p;  b ← g (first step) | μ b + (1-τ) g;  g ← g + μ b (Nesterov) | b;
 *          p ← p - η g
 *   Adam (Kingma & Ba 2015, Alg. 1 in PyTorch's arrangement):
 *          g ← g + λ p;  m ← β₁ m + (1-β₁) g;  v ← β₂ v + (1-β₂) g²;
 *          p ← p - (η / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + ε)
 *   AdamW (Loshchilov & Hutter 2019): p ← p (1 - η λ), then Adam with λ = 0.
 * Element updates are float32 with scalar coefficients rounded to float, as
 * PyTorch's CPU kernels do; bias corrections are computed in double.
 * Also gradient-norm clipping (torch.nn.utils.clip_grad_norm_) and the EMA of
 * weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

struct ts_nn_optim {
    ts_nn_optim_config cfg;
    size_t n;
    long steps;
    float *m; /* Adam first moment, or SGD momentum buffer */
    float *v; /* Adam second moment */
};

ts_nn_optim_config ts_nn_optim_defaults(ts_nn_optim_kind kind)
{
    ts_nn_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.lr = kind == TS_NN_SGD ? 1e-2 : 1e-3;
    c.weight_decay = kind == TS_NN_ADAMW ? 1e-2 : 0.0;
    return c;
}

int ts_nn_optim_create(const ts_nn_optim_config *cfg, size_t n, ts_nn_optim **out)
{
    TS_NN_CHECK_PTR(cfg);
    TS_NN_CHECK_PTR(out);
    *out = NULL;
    if (cfg->kind < TS_NN_SGD || cfg->kind > TS_NN_ADAMW)
        return ts_error_set(TS_ERR_INVAL, "nn optim: unknown kind %d", (int)cfg->kind);
    if (!(cfg->lr >= 0) || !(cfg->weight_decay >= 0) || !(cfg->momentum >= 0) ||
        !(cfg->beta1 >= 0 && cfg->beta1 < 1) || !(cfg->beta2 >= 0 && cfg->beta2 < 1) || !(cfg->eps >= 0))
        return ts_error_set(TS_ERR_RANGE, "nn optim: need lr, weight_decay, momentum, eps >= 0 and betas in [0, 1)");
    if (cfg->kind == TS_NN_SGD && cfg->nesterov && (cfg->momentum <= 0 || cfg->dampening != 0))
        return ts_error_set(TS_ERR_INVAL, "nn optim: Nesterov momentum requires a momentum and zero dampening");
    if (n == 0) return ts_error_set(TS_ERR_INVAL, "nn optim: no parameters");
    ts_nn_optim *o = calloc(1, sizeof *o);
    TS_CHECK_ALLOC(o);
    o->cfg = *cfg;
    o->n = n;
    int need_m = cfg->kind != TS_NN_SGD || cfg->momentum != 0;
    int need_v = cfg->kind != TS_NN_SGD;
    if (need_m) o->m = calloc(n, sizeof(float));
    if (need_v) o->v = calloc(n, sizeof(float));
    if ((need_m && !o->m) || (need_v && !o->v)) {
        ts_nn_optim_destroy(o);
        return ts_error_set(TS_ERR_NOMEM, "nn optim: cannot allocate state for %zu parameters", n);
    }
    *out = o;
    return TS_OK;
}

void ts_nn_optim_destroy(ts_nn_optim *o)
{
    if (!o) return;
    free(o->m);
    free(o->v);
    free(o);
}

long ts_nn_optim_steps(const ts_nn_optim *o) { return o ? o->steps : 0; }
void ts_nn_optim_set_steps(ts_nn_optim *o, long steps)
{
    if (o && steps >= 0) o->steps = steps;
}

float *ts_nn_optim_state(ts_nn_optim *o, int which)
{
    if (!o) return NULL;
    return which == 0 ? o->m : which == 1 ? o->v : NULL;
}

static void sgd_step(ts_nn_optim *o, float *p, const float *grad, double lr)
{
    const float wd = (float)o->cfg.weight_decay, mu = (float)o->cfg.momentum;
    const float damp1 = (float)(1.0 - o->cfg.dampening), nlr = (float)(-lr);
    const int first = o->steps == 0, nest = o->cfg.nesterov;
    float *b = o->m;
    TS_NN_OMP(parallel for schedule(static) if (o->n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < o->n; i++) {
        float g = grad[i];
        if (wd != 0.0f) g = g + wd * p[i];
        if (b) {
            b[i] = first ? g : b[i] * mu + damp1 * g;
            g = nest ? g + mu * b[i] : b[i];
        }
        p[i] = p[i] + nlr * g;
    }
}

static void adam_step(ts_nn_optim *o, float *p, const float *grad, double lr)
{
    const double t = (double)o->steps + 1.0;
    const double b1 = o->cfg.beta1, b2 = o->cfg.beta2;
    const double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
    const float step = (float)(-lr / bc1), bc2s = (float)sqrt(bc2), eps = (float)o->cfg.eps;
    const float b1f = (float)b1, b2f = (float)b2, a1 = (float)(1.0 - b1), a2 = (float)(1.0 - b2);
    const int adamw = o->cfg.kind == TS_NN_ADAMW;
    const float wd = (float)o->cfg.weight_decay, decay = (float)(1.0 - lr * o->cfg.weight_decay);
    float *m = o->m, *v = o->v;
    TS_NN_OMP(parallel for schedule(static) if (o->n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < o->n; i++) {
        float g = grad[i];
        if (adamw)
            p[i] = p[i] * decay;
        else if (wd != 0.0f)
            g = g + wd * p[i];
        m[i] = m[i] * b1f + a1 * g;
        v[i] = v[i] * b2f + a2 * g * g;
        float den = sqrtf(v[i]) / bc2s + eps;
        p[i] = p[i] + step * (m[i] / den);
    }
}

int ts_nn_optim_step(ts_nn_optim *o, float *param, const float *grad, double lr)
{
    TS_NN_CHECK_PTR(o);
    TS_NN_CHECK_PTR(param);
    TS_NN_CHECK_PTR(grad);
    if (!(lr >= 0) || !isfinite(lr)) return ts_error_set(TS_ERR_RANGE, "nn optim: learning rate %g", lr);
    if (o->cfg.kind == TS_NN_SGD)
        sgd_step(o, param, grad, lr);
    else
        adam_step(o, param, grad, lr);
    o->steps++;
    return TS_OK;
}

double ts_nn_clip_grad_norm(float *grad, size_t n, double max_norm)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)grad[i] * grad[i];
    double norm = sqrt(s);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        float cf = (float)coef;
        for (size_t i = 0; i < n; i++) grad[i] *= cf;
    }
    return norm;
}

void ts_nn_ema_update(float *ema, const float *param, size_t n, double decay)
{
    const float d = (float)decay, e = (float)(1.0 - decay);
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) ema[i] = d * ema[i] + e * param[i];
}
