/* GroupNorm followed by GELU, fused (the conv → GroupNorm → GELU unit of the
 * U-Nets): the same equations as groupnorm.c and activation.c,
 *   z = γ_c x̂ + β_c,  x̂ = (x - μ) r,  out = z Φ(z)
 * with dz = dout (Φ(z) + z φ(z)) and the GroupNorm backward
 *   dx = r (γ dz - mean(γ dz) - x̂ mean(γ dz x̂)),  dγ_c = Σ dz x̂,  dβ_c = Σ dz,
 * means over the M = c/G · sp elements of a group. z is recomputed in backward
 * from x, μ, r, γ, β with the expression of ts_nn_groupnorm_forward, so every
 * value equals the one of the two separate layers; only the reductions are
 * grouped differently (per channel in double, then over channels). One pass over
 * the group for the statistics and one to write (forward); one pass for dz and
 * the per-channel sums Σ dz and Σ dz x̂ (dz kept in a per-thread scratch of one
 * group) and one to write dx (backward). No intermediate tensor. Parallel over (image, group); dγ
 * and dβ from per-(image, channel) sums added over images in a fixed order. */
#include <math.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

/* forward of one (image, group) block; statistics by groupnorm.c's ts_nn_gn_stats_ */
TS_NN_CLONES static void gng_fwd_group(float *restrict y, float *mean, float *rstd, const float *restrict x,
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
        for (int i = 0; i < sp; i++) {
            float z = (xc[i] - muf) * r * ga + be;
            yc[i] = z * ts_nn_gelu_cdf_(z, ts_nn_exp_negu_(0.5f * z * z));
        }
    }
}

/* dz = dout · GELU'(z) of one channel row (z recomputed) */
static inline float gng_dz(float x, float d, float mu, float r, float ga, float be)
{
    float z = (x - mu) * r * ga + be;
    float e = ts_nn_exp_negu_(0.5f * z * z);
    return d * (ts_nn_gelu_cdf_(z, e) + z * TS_NN_INV_SQRT_2PI * e);
}

/* backward of one (image, group) block: dz into scratch dzs [cg·sp], per-channel
 * sums sdz[k] = Σ dz, sdx[k] = Σ dz x̂ (double), then dx += r (γ dz - m1 - x̂ m2)
 * when dx */
TS_NN_CLONES static void gng_bwd_group(float *restrict dx, float *restrict dzs, double *sdz, double *sdx,
                                       const float *restrict x, const float *restrict dy, const float *gamma,
                                       const float *beta, float mu, float r, int gi, int cg, int sp)
{
    const size_t len = (size_t)cg * sp;
    double s1 = 0.0, s2 = 0.0; /* Σ γ dz, Σ γ dz x̂ */
    for (int k = 0; k < cg; k++) {
        int ch = gi * cg + k;
        float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
        const float *xk = x + (size_t)k * sp, *dk = dy + (size_t)k * sp;
        float *zk = dzs + (size_t)k * sp;
        double a1 = 0.0, a2 = 0.0;
        TS_NN_OMP(simd reduction(+ : a1, a2))
        for (int i = 0; i < sp; i++) {
            float dz = gng_dz(xk[i], dk[i], mu, r, ga, be);
            zk[i] = dz;
            a1 += dz;
            a2 += (double)dz * ((xk[i] - mu) * r);
        }
        sdz[k] = a1;
        sdx[k] = a2;
        s1 += a1 * ga;
        s2 += a2 * ga;
    }
    if (!dx) return;
    float m1 = (float)(s1 / (double)len), m2 = (float)(s2 / (double)len);
    for (int k = 0; k < cg; k++) {
        float ga = gamma ? gamma[gi * cg + k] : 1.0f;
        const float *xk = x + (size_t)k * sp, *zk = dzs + (size_t)k * sp;
        float *dxk = dx + (size_t)k * sp;
        TS_NN_OMP(simd)
        for (int i = 0; i < sp; i++) {
            float xh = (xk[i] - mu) * r;
            dxk[i] += r * (zk[i] * ga - m1 - xh * m2);
        }
    }
}

static int gng_check(int n, int c, int sp, int g)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_POS(sp);
    TS_NN_CHECK_POS(g);
    if (c % g) return ts_error_set(TS_ERR_INVAL, "nn groupnorm_gelu: %d channels not divisible by %d groups", c, g);
    return TS_OK;
}

int ts_nn_groupnorm_gelu_forward(float *out, float *mean, float *rstd, const float *inp, const float *gamma,
                                 const float *beta, int n, int c, int sp, int g, float eps)
{
    TS_TRY(gng_check(n, c, sp, g));
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(mean);
    TS_NN_CHECK_PTR(rstd);
    const int cg = c / g;
    const size_t len = (size_t)cg * sp;
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * sp > TS_NN_PAR_MIN))
    for (int ng = 0; ng < n * g; ng++)
        gng_fwd_group(out + (size_t)ng * len, mean + ng, rstd + ng, inp + (size_t)ng * len, gamma, beta, ng % g, cg,
                      sp, eps);
    return TS_OK;
}

int ts_nn_groupnorm_gelu_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                  const float *mean, const float *rstd, const float *gamma, const float *beta, int n,
                                  int c, int sp, int g)
{
    TS_TRY(gng_check(n, c, sp, g));
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(mean);
    TS_NN_CHECK_PTR(rstd);
    if (!dinp && !dgamma && !dbeta) return TS_OK;
    const int cg = c / g;
    const size_t len = (size_t)cg * sp;
    const int par = (size_t)n * c * sp > TS_NN_PAR_MIN;
    const int T = par ? ts_nn_get_threads() : 1;
    double *sums = malloc((size_t)2 * n * c * sizeof(double)); /* Σ dz | Σ dz x̂, [n, c] each */
    float *dzs = malloc((size_t)T * len * sizeof(float));       /* dz of one group per thread */
    if (!sums || !dzs) {
        free(sums);
        free(dzs);
        return ts_error_set(TS_ERR_NOMEM, "nn groupnorm_gelu backward: cannot allocate %zu floats", (size_t)T * len);
    }
    double *sdz = sums, *sdx = sums + (size_t)n * c;
    TS_NN_OMP(parallel for schedule(static) num_threads(T))
    for (int ng = 0; ng < n * g; ng++) {
        const size_t c0 = (size_t)(ng / g) * c + (size_t)(ng % g) * cg; /* first (image, channel) of the group */
        gng_bwd_group(dinp ? dinp + (size_t)ng * len : NULL, dzs + (size_t)ts_nn_thread_id_() * len, sdz + c0,
                      sdx + c0, inp + (size_t)ng * len, dout + (size_t)ng * len, gamma, beta, mean[ng], rstd[ng],
                      ng % g, cg, sp);
    }
    for (int ch = 0; ch < c; ch++) {
        double sg = 0.0, sb = 0.0;
        for (int i = 0; i < n; i++) {
            sg += sdx[(size_t)i * c + ch];
            sb += sdz[(size_t)i * c + ch];
        }
        if (dgamma) dgamma[ch] += (float)sg;
        if (dbeta) dbeta[ch] += (float)sb;
    }
    free(sums);
    free(dzs);
    return TS_OK;
}
