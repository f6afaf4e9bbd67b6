/* Pointwise activations, forward and backward side by side (x [n] -> y [n]).
 *   GELU (exact, Hendrycks & Gimpel 2016; torch approximate='none'):
 *     y = x Φ(x) = x/2 (1 + erf(x/√2));  y' = Φ(x) + x φ(x),  φ(x) = e^{-x²/2}/√(2π)
 *   SiLU (torch.nn.SiLU):  y = x σ(x);   y' = σ(x) (1 + x (1 - σ(x)))
 *   tanh:                  y' = 1 - y²
 * erf is Abramowitz & Stegun 7.1.26, erf(x) = 1 - t(a1 + t(a2 + ...)) e^{-x²} with
 * t = 1/(1 + p|x|), |error| <= 1.5e-7 (5.8e-7 measured in float against double
 * erf): the formula of PyTorch's AVX2 Vectorized<float>::erf, and 4x faster than
 * glibc's erff here.
 * e^{-u} in erf and φ is ts_nn_exp_negu_ (nn_internal.h; u = x²/2 >= 0): u
 * clamped to 87 on the ordered bit patterns of non-negative floats, Cody-Waite
 * reduction u = n ln2 + r, |r| <= ln2/2, degree-6 Taylor polynomial and 2^n from
 * the exponent bits; branch-free so that the GELU loops vectorise (omp simd).
 * 2.5e-7 max relative error against double exp on [0, 87].
 * Backward adds into dinp. */
#include <math.h>

#include "nn/nn_internal.h"


/* The GELU loops on a range, compiled for AVX-512, AVX2 and the baseline and
 * picked at load time (the same IEEE operations per element in each: results
 * are bitwise the same; no FMA contraction in ISO C mode). */
TS_NN_CLONES static void gelu_fwd_range(float *restrict out, const float *restrict inp, size_t n)
{
    TS_NN_OMP(simd)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = x * ts_nn_gelu_cdf_(x, ts_nn_exp_negu_(0.5f * x * x));
    }
}

TS_NN_CLONES static void gelu_bwd_range(float *restrict dinp, const float *restrict dout,
                                        const float *restrict inp, size_t n)
{
    /* one exponential serves erf(x/√2) and φ(x): both need e^{-x²/2} */
    TS_NN_OMP(simd)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float e = ts_nn_exp_negu_(0.5f * x * x);
        dinp[i] += dout[i] * (ts_nn_gelu_cdf_(x, e) + x * TS_NN_INV_SQRT_2PI * e);
    }
}

/* Blocks of 4096 elements spread over the team (static, contiguous). */
#define TS_NN_EW_BLOCK 4096

void ts_nn_gelu_forward(float *out, const float *inp, size_t n)
{
    const size_t nb = (n + TS_NN_EW_BLOCK - 1) / TS_NN_EW_BLOCK;
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * TS_NN_EW_BLOCK, len = n - i0 < TS_NN_EW_BLOCK ? n - i0 : TS_NN_EW_BLOCK;
        gelu_fwd_range(out + i0, inp + i0, len);
    }
}

void ts_nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    const size_t nb = (n + TS_NN_EW_BLOCK - 1) / TS_NN_EW_BLOCK;
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * TS_NN_EW_BLOCK, len = n - i0 < TS_NN_EW_BLOCK ? n - i0 : TS_NN_EW_BLOCK;
        gelu_bwd_range(dinp + i0, dout + i0, inp + i0, len);
    }
}

void ts_nn_silu_forward(float *out, const float *inp, size_t n)
{
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = x / (1.0f + expf(-x));
    }
}

void ts_nn_silu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float s = 1.0f / (1.0f + expf(-x));
        dinp[i] += dout[i] * s * (1.0f + x * (1.0f - s));
    }
}

void ts_nn_tanh_forward(float *out, const float *inp, size_t n)
{
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

void ts_nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}
