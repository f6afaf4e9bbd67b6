/* Group normalisation (Wu & He 2018; torch.nn.GroupNorm):
 *   per image n and group g (channels g·c/G .. (g+1)·c/G - 1, all sp positions):
 *   μ = mean x, σ² = mean (x-μ)² (biased), r = 1/√(σ²+ε), x̂ = (x-μ) r,
 *   y = γ_c x̂ + β_c.
 * Backward (M = c/G · sp elements per group, ĝ = γ_c dy):
 *   dx = r (ĝ - mean ĝ - x̂ mean(ĝ x̂)),  dγ_c = Σ dy x̂,  dβ_c = Σ dy.
 * Statistics in double; parallel over (n, g) and over channels for dγ/dβ. */
#include <math.h>

#include "nn/nn_internal.h"

int ts_nn_groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *gamma, const float *beta, int n, int c, int sp,
                            int g, float eps)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_POS(sp);
    TS_NN_CHECK_POS(g);
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(mean);
    TS_NN_CHECK_PTR(rstd);
    if (c % g) return ts_error_set(TS_ERR_INVAL, "nn groupnorm: %d channels not divisible by %d groups", c, g);
    const int cg = c / g;
    const size_t len = (size_t)cg * sp;
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * sp > TS_NN_PAR_MIN))
    for (int ng = 0; ng < n * g; ng++) {
        const float *x = inp + (size_t)ng * len;
        float *y = out + (size_t)ng * len;
        double s = 0.0;
        for (size_t i = 0; i < len; i++) s += x[i];
        double mu = s / (double)len, v = 0.0;
        for (size_t i = 0; i < len; i++) {
            double d = x[i] - mu;
            v += d * d;
        }
        v /= (double)len;
        float r = (float)(1.0 / sqrt(v + eps));
        float muf = (float)mu;
        mean[ng] = muf;
        rstd[ng] = r;
        int gi = ng % g;
        for (int k = 0; k < cg; k++) {
            int ch = gi * cg + k;
            float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
            const float *xc = x + (size_t)k * sp;
            float *yc = y + (size_t)k * sp;
            for (int i = 0; i < sp; i++) yc[i] = (xc[i] - muf) * r * ga + be;
        }
    }
    return TS_OK;
}

int ts_nn_groupnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const float *inp, const float *mean, const float *rstd,
                             const float *gamma, int n, int c, int sp, int g)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_POS(sp);
    TS_NN_CHECK_POS(g);
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(mean);
    TS_NN_CHECK_PTR(rstd);
    if (c % g) return ts_error_set(TS_ERR_INVAL, "nn groupnorm: %d channels not divisible by %d groups", c, g);
    const int cg = c / g;
    const size_t len = (size_t)cg * sp;
    const int par = (size_t)n * c * sp > TS_NN_PAR_MIN;
    if (dgamma || dbeta) {
        TS_NN_OMP(parallel for schedule(static) if (par))
        for (int ch = 0; ch < c; ch++) {
            double sg = 0.0, sb = 0.0;
            int gi = ch / cg;
            for (int i = 0; i < n; i++) {
                const float *x = inp + ((size_t)i * c + ch) * sp;
                const float *dy = dout + ((size_t)i * c + ch) * sp;
                float mu = mean[i * g + gi], r = rstd[i * g + gi];
                for (int k = 0; k < sp; k++) {
                    sg += (double)dy[k] * ((x[k] - mu) * r);
                    sb += dy[k];
                }
            }
            if (dgamma) dgamma[ch] += (float)sg;
            if (dbeta) dbeta[ch] += (float)sb;
        }
    }
    if (!dinp) return TS_OK;
    TS_NN_OMP(parallel for schedule(static) if (par))
    for (int ng = 0; ng < n * g; ng++) {
        const float *x = inp + (size_t)ng * len;
        const float *dy = dout + (size_t)ng * len;
        float *dx = dinp + (size_t)ng * len;
        float mu = mean[ng], r = rstd[ng];
        int gi = ng % g;
        double s1 = 0.0, s2 = 0.0; /* Σ ĝ, Σ ĝ x̂ */
        for (int k = 0; k < cg; k++) {
            float ga = gamma ? gamma[gi * cg + k] : 1.0f;
            for (int i = 0; i < sp; i++) {
                size_t j = (size_t)k * sp + i;
                double gh = (double)dy[j] * ga;
                s1 += gh;
                s2 += gh * ((x[j] - mu) * r);
            }
        }
        float m1 = (float)(s1 / (double)len), m2 = (float)(s2 / (double)len);
        for (int k = 0; k < cg; k++) {
            float ga = gamma ? gamma[gi * cg + k] : 1.0f;
            for (int i = 0; i < sp; i++) {
                size_t j = (size_t)k * sp + i;
                float xh = (x[j] - mu) * r;
                dx[j] += r * (dy[j] * ga - m1 - xh * m2);
            }
        }
    }
    return TS_OK;
}
