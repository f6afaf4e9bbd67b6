/* Private helpers of the nn core. */
#ifndef TS_NN_INTERNAL_H
#define TS_NN_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "tinsel/core.h"
#include "tinsel/nn.h"

/* OpenMP pragmas only when compiled with -fopenmp. */
#ifdef _OPENMP
#include <omp.h>
#define TS_NN_PRAGMA(x) _Pragma(#x)
#define TS_NN_OMP(x) TS_NN_PRAGMA(omp x)
#else
#define TS_NN_OMP(x)
#endif

/* Function multiversioning for vectorised loops: AVX-512, AVX2 and the
 * baseline, chosen by the loader (GCC/Clang on x86-64 with ifunc support). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(__clang__)
#define TS_NN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TS_NN_CLONES
#endif

typedef union {
    float f;
    int32_t i;
} ts_nn_f32bits_;

/* e^{-u} for u >= 0 (NaN and u > 87 give e^{-87}); 2.5e-7 max relative error
 * against double exp on [0, 87]; branch-free so that loops using it vectorise
 * (used by GELU, activation.c, and the attention softmax). */
static inline float ts_nn_exp_negu_(float u)
{
    ts_nn_f32bits_ c, t, sc;
    c.f = u;
    c.i = c.i < 0x42AE0000 ? c.i : 0x42AE0000; /* 87.0f: bit patterns of floats >= 0 are ordered */
    c.i = c.i > 0 ? c.i : 0;                   /* -0 and negative inputs: 0 */
    const float x = -c.f, shifter = 12582912.0f; /* 1.5 2^23: adding it rounds to an integer */
    t.f = x * 1.44269504088896341f + shifter;
    const float nf = t.f - shifter;
    float r = x - nf * 0.693145751953125f; /* ln2 split hi + lo (Cody-Waite) */
    r = r - nf * 1.42860682030941723212e-6f;
    const float p =
        1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
    sc.i = (int32_t)((uint32_t)(t.i - 0x4B400000 + 127) << 23); /* 2^n */
    return p * sc.f;
}

#define TS_NN_SQRT1_2 0.70710678118654752440f
#define TS_NN_INV_SQRT_2PI 0.39894228040143267794f

/* Φ(x) = (1 + erf(x/√2)) / 2 given e = e^{-x²/2}: erf by Abramowitz & Stegun
 * 7.1.26 (|error| <= 1.5e-7), the formula of PyTorch's vectorised erf (GELU in
 * activation.c and the fused GroupNorm + GELU in groupnorm_gelu.c). */
static inline float ts_nn_gelu_cdf_(float x, float e)
{
    float ax = fabsf(x * TS_NN_SQRT1_2);
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float r = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    return 0.5f * (1.0f + copysignf(1.0f - r * e, x));
}

/* Thread index and team size inside a parallel region (0 and 1 without OpenMP). */
#ifdef _OPENMP
static inline int ts_nn_thread_id_(void) { return omp_get_thread_num(); }
static inline int ts_nn_team_size_(void) { return omp_get_num_threads(); }
#else
static inline int ts_nn_thread_id_(void) { return 0; }
static inline int ts_nn_team_size_(void) { return 1; }
#endif

/* Make sure OpenBLAS runs single-threaded inside nn's OpenMP teams (calls
 * ts_nn_set_threads with the OpenMP default once if it was never called). */
void ts_nn_threads_init_(void);

/* Parallelise a loop only when there is enough work to pay for a fork. */
#define TS_NN_PAR_MIN 65536

/* Reject a non-positive dimension. */
#define TS_NN_CHECK_POS(v)                                                      \
    do {                                                                        \
        if ((v) <= 0)                                                           \
            return ts_error_set(TS_ERR_INVAL, "nn: %s must be > 0, got %ld", #v, \
                                (long)(v));                                     \
    } while (0)

#define TS_NN_CHECK_PTR(p)                                                      \
    do {                                                                        \
        if ((p) == NULL) return ts_error_set(TS_ERR_INVAL, "nn: %s is NULL", #p); \
    } while (0)

/* Row-major single-precision GEMM, C [m, n] = alpha op(A) op(B) + beta C,
 * op(A) [m, k], op(B) [k, n]; ta/tb nonzero: transposed. Calls OpenBLAS's
 * Fortran sgemm_ (row-major as the column-major transpose problem): the
 * cblas_sgemm symbol resolves to GSL's reference libgslcblas when -lgslcblas
 * comes first on the link line, about 10x slower (see docs/nn.md). */
void ts_nn_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

/* Direct stride-1 2-D convolution (conv_direct.c). _ok_: 1 when it applies
 * to s on this CPU (and the GEMM path is not forced). forward: out = conv + bias
 * or out += conv (accumulate, bias ignored). backward_weight: dweight += dW,
 * dbias += db (NULL ok). */
int ts_nn_conv_direct_ok_(const ts_nn_conv_shape *s);
int ts_nn_conv_direct_forward_(const ts_nn_conv_shape *s, float *out, const float *inp, const float *weight,
                               const float *bias, int accumulate, int threads);
int ts_nn_conv_direct_backward_weight_(const ts_nn_conv_shape *s, float *dweight, float *dbias,
                                       const float *dout, const float *inp, int threads);
/* Σ p[0..n) in double, the order of conv.c's bias gradient (dbias[o] += Σ over
 * images in order of ts_nn_sum_double_ of each image's channel o). */
double ts_nn_sum_double_(const float *p, size_t n);

/* Validation shared by conv.c and conv_ref.c. */
int ts_nn_conv_check_(const ts_nn_conv_shape *s);

/* Length of the optimiser's flat state (the n it was created with). */
size_t ts_nn_optim_state_size_(const ts_nn_optim *o);

/* Number of floats in parameter idx (0 for a bad index). */
size_t ts_nn_params_numel_(const ts_nn_params *p, int idx);

/* Statistics of one (image, group) block of len values: μ = mean x, r = 1/√(σ²+ε)
 * (biased σ², sums in double). Used by groupnorm.c and the fused GroupNorm + GELU, so both layers
 * normalise with bitwise the same μ and r; inline, so it is compiled inside
 * each caller's AVX-512/AVX2/baseline clone. */
__attribute__((always_inline)) static inline void ts_nn_gn_stats_(const float *restrict x, size_t len, float eps, float *mean, float *rstd)
{
    double s = 0.0;
    TS_NN_OMP(simd reduction(+ : s))
    for (size_t i = 0; i < len; i++) s += x[i];
    double mu = s / (double)len, v = 0.0;
    TS_NN_OMP(simd reduction(+ : v))
    for (size_t i = 0; i < len; i++) {
        double d = x[i] - mu;
        v += d * d;
    }
    v /= (double)len;
    *rstd = (float)(1.0 / sqrt(v + eps));
    *mean = (float)mu;
}

#endif
