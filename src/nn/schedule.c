/* Learning-rate schedules, closed forms of torch.optim.lr_scheduler (1.13):
 *   CosineAnnealingLR: η_t = η_min + (η₀ - η_min)(1 + cos(π t / T))/2
 *   OneCycleLR (anneal 'cos', two phases): η goes from η₀/div up to η₀ at
 *     step pct·T - 1, then down to η₀/(div·final_div) at step T - 1, each phase
 *     by a(s, e, x) = e + (s - e)(1 + cos(π x))/2, x the fraction of the phase
 *   PolynomialLR: η_t = η₀ (1 - min(t, T)/T)^power
 * t = 0 is the rate of the first optimiser step. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

#define TS_NN_PI 3.14159265358979323846

ts_nn_lr_schedule ts_nn_lr_defaults(ts_nn_lr_kind kind, double base_lr, long total)
{
    ts_nn_lr_schedule s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.base_lr = base_lr;
    s.total = total;
    s.min_lr = 0.0;
    s.pct_start = 0.3;
    s.div_factor = 25.0;
    s.final_div_factor = 1e4;
    s.power = 1.0;
    return s;
}

static double anneal_cos(double start, double end, double pct)
{
    return end + (start - end) / 2.0 * (cos(TS_NN_PI * pct) + 1.0);
}

double ts_nn_lr_at(const ts_nn_lr_schedule *s, long t)
{
    if (!s) return 0.0;
    if (t < 0) t = 0;
    double T = (double)(s->total > 0 ? s->total : 1);
    switch (s->kind) {
    case TS_NN_LR_CONSTANT:
        return s->base_lr;
    case TS_NN_LR_COSINE:
        return s->min_lr + (s->base_lr - s->min_lr) * (1.0 + cos(TS_NN_PI * (double)t / T)) / 2.0;
    case TS_NN_LR_ONECYCLE: {
        double init = s->base_lr / s->div_factor, minlr = init / s->final_div_factor;
        double end1 = s->pct_start * T - 1.0, end2 = T - 1.0;
        double x = (double)t;
        if (x > T) x = T;
        if (x <= end1) return anneal_cos(init, s->base_lr, x / end1);
        return anneal_cos(s->base_lr, minlr, (x - end1) / (end2 - end1));
    }
    case TS_NN_LR_POLY: {
        double x = (double)t < T ? (double)t : T;
        return s->base_lr * pow(1.0 - x / T, s->power);
    }
    }
    return s->base_lr;
}
