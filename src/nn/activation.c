/* Pointwise activations, forward and backward side by side (x [n] -> y [n]).
 *   GELU (exact, Hendrycks & Gimpel 2016; torch approximate='none'):
 *     y = x Φ(x) = x/2 (1 + erf(x/√2));  y' = Φ(x) + x φ(x),  φ(x) = e^{-x²/2}/√(2π)
 *   SiLU (torch.nn.SiLU):  y = x σ(x);   y' = σ(x) (1 + x (1 - σ(x)))
 *   tanh:                  y' = 1 - y²
 * erf is Abramowitz & Stegun 7.1.26, erf(x) = 1 - t(a1 + t(a2 + ...)) e^{-x²} with
 * t = 1/(1 + p|x|), |error| <= 1.5e-7 (5.8e-7 measured in float against double
 * erf): the formula of PyTorch's AVX2 Vectorized<float>::erf, and 4x faster than
 * glibc's erff here.
 * Backward adds into dinp. */
#include <math.h>

#include "nn/nn_internal.h"

#define TS_NN_SQRT1_2 0.70710678118654752440f
#define TS_NN_INV_SQRT_2PI 0.39894228040143267794f

static inline float erf_as(float x)
{
    float ax = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float r = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    return copysignf(1.0f - r * expf(-ax * ax), x);
}

void ts_nn_gelu_forward(float *out, const float *inp, size_t n)
{
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + erf_as(x * TS_NN_SQRT1_2));
    }
}

void ts_nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    TS_NN_OMP(parallel for schedule(static) if (n > TS_NN_PAR_MIN))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erf_as(x * TS_NN_SQRT1_2));
        float pdf = TS_NN_INV_SQRT_2PI * expf(-0.5f * x * x);
        dinp[i] += dout[i] * (cdf + x * pdf);
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
