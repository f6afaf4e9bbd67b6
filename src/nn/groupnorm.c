/* Group normalisation (Wu & He 2018; torch.nn.GroupNorm):
 *   per image n and group g (channels g·c/G .. (g+1)·c/G - 1, all sp positions):
 *   μ = mean x, σ² = mean (x-μ)² (biased), r = 1/√(σ²+ε), x̂ = (x-μ) r,
 *   y = γ_c x̂ + β_c.
 * Backward (M = c/G · sp elements per group, ĝ = γ_c dy):
 *   dx = r (ĝ - mean ĝ - x̂ mean(ĝ x̂)),  dγ_c = Σ dy x̂,  dβ_c = Σ dy.
 * Statistics in double; parallel over (n, g) and over channels for dγ/dβ; inner
 * loops vectorised (omp simd reductions: a fixed, vector-width-interleaved order). */
#include <math.h>

#include "nn/nn_internal.h"

/* One (image, group) block of cg channels × sp positions: statistics, then
 * y = (x - μ) r γ + β. The loops are compiled for AVX-512, AVX2 and the
 * baseline (TS_NN_CLONES); the simd reductions add in a vector-width
 * interleaved order, fixed for a given CPU. */
TS_NN_CLONES static void gn_fwd_group(float *restrict y, float *mean, float *rstd, const float *restrict x,
                                      const float *gamma, const float *beta, int gi, int cg, int sp, float eps)
{
    ts_nn_gn_stats_(x, (size_t)cg * sp, eps, mean, rstd);
    const float muf = *mean, r = *rstd;
    for (int k = 0; k < cg; k++) {
        int ch = gi * cg + k;
        float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
        const float *xc = x + (size_t)k * sp;
        float *yc = y + (size_t)k * sp;
        TS_NN_OMP(simd)
        for (int i = 0; i < sp; i++) yc[i] = (xc[i] - muf) * r * ga + be;
    }
}

/* Σ dy x̂ and Σ dy over sp positions of one channel of one image (added to *sg, *sb). */
TS_NN_CLONES static void gn_param_sums(double *sg_, double *sb_, const float *restrict x, const float *restrict dy,
                                       float mu, float r, int sp)
{
    double sg = 0.0, sb = 0.0;
    TS_NN_OMP(simd reduction(+ : sg, sb))
    for (int k = 0; k < sp; k++) {
        sg += (double)dy[k] * ((x[k] - mu) * r);
        sb += dy[k];
    }
    *sg_ += sg;
    *sb_ += sb;
}

/* dx of one (image, group) block: dx += r (ĝ - mean ĝ - x̂ mean(ĝ x̂)), ĝ = γ dy. */
TS_NN_CLONES static void gn_bwd_group(float *restrict dx, const float *restrict x, const float *restrict dy,
                                      const float *gamma, float mu, float r, int gi, int cg, int sp)
{
    const size_t len = (size_t)cg * sp;
    double s1 = 0.0, s2 = 0.0; /* Σ ĝ, Σ ĝ x̂ */
    for (int k = 0; k < cg; k++) {
        float ga = gamma ? gamma[gi * cg + k] : 1.0f;
        const float *xk = x + (size_t)k * sp, *dk = dy + (size_t)k * sp;
        double a1 = 0.0, a2 = 0.0;
        TS_NN_OMP(simd reduction(+ : a1, a2))
        for (int i = 0; i < sp; i++) {
            double gh = (double)dk[i] * ga;
            a1 += gh;
            a2 += gh * ((xk[i] - mu) * r);
        }
        s1 += a1;
        s2 += a2;
    }
    float m1 = (float)(s1 / (double)len), m2 = (float)(s2 / (double)len);
    for (int k = 0; k < cg; k++) {
        float ga = gamma ? gamma[gi * cg + k] : 1.0f;
        const float *xk = x + (size_t)k * sp, *dk = dy + (size_t)k * sp;
        float *dxk = dx + (size_t)k * sp;
        TS_NN_OMP(simd)
        for (int i = 0; i < sp; i++) {
            float xh = (xk[i] - mu) * r;
            dxk[i] += r * (dk[i] * ga - m1 - xh * m2);
        }
    }
}

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
    for (int ng = 0; ng < n * g; ng++)
        gn_fwd_group(out + (size_t)ng * len, mean + ng, rstd + ng, inp + (size_t)ng * len, gamma, beta,
                     ng % g, cg, sp, eps);
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
            for (int i = 0; i < n; i++)
                gn_param_sums(&sg, &sb, inp + ((size_t)i * c + ch) * sp, dout + ((size_t)i * c + ch) * sp,
                              mean[i * g + gi], rstd[i * g + gi], sp);
            if (dgamma) dgamma[ch] += (float)sg;
            if (dbeta) dbeta[ch] += (float)sb;
        }
    }
    if (!dinp) return TS_OK;
    TS_NN_OMP(parallel for schedule(static) if (par))
    for (int ng = 0; ng < n * g; ng++)
        gn_bwd_group(dinp + (size_t)ng * len, inp + (size_t)ng * len, dout + (size_t)ng * len, gamma, mean[ng],
                     rstd[ng], ng % g, cg, sp);
    return TS_OK;
}
