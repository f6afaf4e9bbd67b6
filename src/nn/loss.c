/* Losses (sums in double).
 *   MSE:  L = (1/N) Σ (p - t)²;  dL/dp = 2 (p - t) / N.
 *   Negative Pearson, per row r of pred/target [m, k], then averaged:
 *     p̃ = p - mean p, t̃ = t - mean t, a = ‖p̃‖, b = ‖t̃‖, S = p̃·t̃,
 *     ρ = S / (a b + eps),  L = -(1/m) Σ_r ρ_r
 *     dρ/dp_i = t̃_i / (a b + eps) - S b p̃_i / (a (a b + eps)²)
 *   (the centring terms vanish because Σ p̃ = Σ t̃ = 0; for a = 0 the second
 *   term is taken as 0, its limit along p̃ ∥ t̃). */
#include <math.h>

#include "nn/nn_internal.h"

int ts_nn_mse_forward(double *loss, const float *pred, const float *target, size_t len)
{
    TS_NN_CHECK_PTR(loss);
    TS_NN_CHECK_PTR(pred);
    TS_NN_CHECK_PTR(target);
    if (len == 0) return ts_error_set(TS_ERR_INVAL, "nn mse: empty input");
    double s = 0.0;
    for (size_t i = 0; i < len; i++) {
        double d = (double)pred[i] - target[i];
        s += d * d;
    }
    *loss = s / (double)len;
    return TS_OK;
}

void ts_nn_mse_backward(float *dpred, const float *pred, const float *target, size_t len, float dloss)
{
    const float k = (float)(2.0 * dloss / (double)len);
    TS_NN_OMP(parallel for schedule(static) if (len > TS_NN_PAR_MIN))
    for (size_t i = 0; i < len; i++) dpred[i] += k * (pred[i] - target[i]);
}

typedef struct {
    double mp, mt, a, b, s;
} ts_nn_pearson_row;

static ts_nn_pearson_row pearson_row(const float *p, const float *t, int k)
{
    ts_nn_pearson_row r = {0, 0, 0, 0, 0};
    for (int i = 0; i < k; i++) {
        r.mp += p[i];
        r.mt += t[i];
    }
    r.mp /= k;
    r.mt /= k;
    for (int i = 0; i < k; i++) {
        double dp = p[i] - r.mp, dt = t[i] - r.mt;
        r.a += dp * dp;
        r.b += dt * dt;
        r.s += dp * dt;
    }
    r.a = sqrt(r.a);
    r.b = sqrt(r.b);
    return r;
}

int ts_nn_pearson_forward(double *loss, const float *pred, const float *target, int m, int k,
                          double eps)
{
    TS_NN_CHECK_PTR(loss);
    TS_NN_CHECK_PTR(pred);
    TS_NN_CHECK_PTR(target);
    TS_NN_CHECK_POS(m);
    if (k < 2) return ts_error_set(TS_ERR_INVAL, "nn pearson: need at least 2 values per row, got %d", k);
    if (eps < 0) return ts_error_set(TS_ERR_INVAL, "nn pearson: eps must be >= 0");
    double acc = 0.0;
    for (int r = 0; r < m; r++) {
        ts_nn_pearson_row s = pearson_row(pred + (size_t)r * k, target + (size_t)r * k, k);
        double den = s.a * s.b + eps;
        if (den <= 0.0) return ts_error_set(TS_ERR_NUMERIC, "nn pearson: row %d is constant and eps = 0", r);
        acc += s.s / den;
    }
    *loss = -acc / m;
    return TS_OK;
}

int ts_nn_pearson_backward(float *dpred, const float *pred, const float *target, int m, int k,
                           double eps, float dloss)
{
    TS_NN_CHECK_PTR(dpred);
    TS_NN_CHECK_PTR(pred);
    TS_NN_CHECK_PTR(target);
    TS_NN_CHECK_POS(m);
    if (k < 2) return ts_error_set(TS_ERR_INVAL, "nn pearson: need at least 2 values per row, got %d", k);
    for (int r = 0; r < m; r++) {
        const float *p = pred + (size_t)r * k, *t = target + (size_t)r * k;
        ts_nn_pearson_row s = pearson_row(p, t, k);
        double den = s.a * s.b + eps;
        if (den <= 0.0) return ts_error_set(TS_ERR_NUMERIC, "nn pearson: row %d is constant and eps = 0", r);
        double g = -(double)dloss / m;
        double c2 = s.a > 0.0 ? s.s * s.b / (s.a * den * den) : 0.0;
        float *dp = dpred + (size_t)r * k;
        for (int i = 0; i < k; i++)
            dp[i] += (float)(g * ((t[i] - s.mt) / den - c2 * (p[i] - s.mp)));
    }
    return TS_OK;
}
