/* Layer normalisation over the last dimension (Ba et al. 2016; torch.nn.LayerNorm(c)):
 *   per row: μ, σ² (biased), r = 1/√(σ²+ε), x̂ = (x-μ) r, y = γ x̂ + β
 *   dx = r (ĝ - mean ĝ - x̂ mean(ĝ x̂)) with ĝ = γ dy;  dγ = Σ_rows dy x̂;  dβ = Σ_rows dy.
 * inp [m, c]; gamma/beta [c]; mean/rstd [m]. Statistics in double. */
#include <math.h>

#include "nn/nn_internal.h"

int ts_nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *gamma, const float *beta, int m, int c, float eps)
{
    TS_NN_CHECK_POS(m);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(mean);
    TS_NN_CHECK_PTR(rstd);
    TS_NN_OMP(parallel for schedule(static) if ((size_t)m * c > TS_NN_PAR_MIN))
    for (int i = 0; i < m; i++) {
        const float *x = inp + (size_t)i * c;
        float *y = out + (size_t)i * c;
        double s = 0.0, v = 0.0;
        for (int k = 0; k < c; k++) s += x[k];
        double mu = s / c;
        for (int k = 0; k < c; k++) v += (x[k] - mu) * (x[k] - mu);
        v /= c;
        float r = (float)(1.0 / sqrt(v + eps)), muf = (float)mu;
        mean[i] = muf;
        rstd[i] = r;
        for (int k = 0; k < c; k++)
            y[k] = (x[k] - muf) * r * (gamma ? gamma[k] : 1.0f) + (beta ? beta[k] : 0.0f);
    }
    return TS_OK;
}

int ts_nn_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const float *inp, const float *mean, const float *rstd,
                             const float *gamma, int m, int c)
{
    TS_NN_CHECK_POS(m);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(mean);
    TS_NN_CHECK_PTR(rstd);
    const int par = (size_t)m * c > TS_NN_PAR_MIN;
    if (dgamma || dbeta) {
        TS_NN_OMP(parallel for schedule(static) if (par))
        for (int k = 0; k < c; k++) {
            double sg = 0.0, sb = 0.0;
            for (int i = 0; i < m; i++) {
                float dy = dout[(size_t)i * c + k];
                sg += (double)dy * ((inp[(size_t)i * c + k] - mean[i]) * rstd[i]);
                sb += dy;
            }
            if (dgamma) dgamma[k] += (float)sg;
            if (dbeta) dbeta[k] += (float)sb;
        }
    }
    if (!dinp) return TS_OK;
    TS_NN_OMP(parallel for schedule(static) if (par))
    for (int i = 0; i < m; i++) {
        const float *x = inp + (size_t)i * c, *dy = dout + (size_t)i * c;
        float *dx = dinp + (size_t)i * c;
        float mu = mean[i], r = rstd[i];
        double s1 = 0.0, s2 = 0.0;
        for (int k = 0; k < c; k++) {
            double gh = (double)dy[k] * (gamma ? gamma[k] : 1.0f);
            s1 += gh;
            s2 += gh * ((x[k] - mu) * r);
        }
        float m1 = (float)(s1 / c), m2 = (float)(s2 / c);
        for (int k = 0; k < c; k++) {
            float xh = (x[k] - mu) * r;
            dx[k] += r * (dy[k] * (gamma ? gamma[k] : 1.0f) - m1 - xh * m2);
        }
    }
    return TS_OK;
}
