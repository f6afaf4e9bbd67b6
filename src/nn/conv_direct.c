/* Stride-1 2-D convolution without im2col: a direct register-blocked kernel
 * (AVX-512 or AVX2 + FMA, chosen at run time) for the forward pass, and the
 * weight gradient as kh·kw "shifted" GEMMs (OpenBLAS) over the whole batch.
 *
 * Same definition as conv.c (torch.nn.Conv2d, cross-correlation, zero padding):
 *   out[n,o,y,x] = b[o] + Σ_{c,i,j} W[o,c,i,j] inp[n,c, y - ph + i, x - pw + j].
 * Flat padded frame: each input channel is copied into a zero-padded plane of
 * hp × wp = (h + 2ph) × (w + 2pw) floats; output position (y, x) gets the flat
 * index p = y·wp + x, and tap (i, j) reads the plane at p + i·wp + j. Over the
 * flat index p ∈ [0, oh·wp) the convolution is one 1-D sweep
 *   outf[o, p] = Σ_c Σ_{i,j} W[o,c,i,j] plane_c[p + off_ij],  off_ij = i·wp + j,
 * whose columns x ≥ ow (kw - 1 per row) are computed and discarded. The kernel
 * keeps an OB × (XB vectors) block of outf in registers and, per channel and
 * tap, loads XB input vectors and broadcasts OB weights: OB·XB FMAs per
 * XB + OB loads. Each output element is summed by one thread in a fixed order
 * (c, i, j), so the result does not depend on the thread count.
 * Weight gradient (same frame; dout copied into [oc][n][hp·wp] with zeros in
 * the discarded columns and rows):
 *   dW[o,c,i,j] = Σ_{n,p} doutf[o, n, p] · plane_{n,c}[p + off_ij],
 * for each tap one GEMM  dW_ij [oc, c] = Doutf [oc, K] · X_ijᵀ,  K = n·hp·wp,
 * where X_ij [c, K] is the padded input shifted by off_ij (row stride K): no
 * unrolled copy. The K range is split over threads into partials added in
 * thread order (deterministic for a fixed thread count).
 * The input gradient of a stride-1 convolution is itself such a forward
 * convolution (conv.c, conv_backward_data_s1).
 * conv_ref.c stays the definition; tests/nn/test_nn_gradcheck.c compares.
 */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TS_NN_HAVE_X86 1
#include <immintrin.h>
#else
#define TS_NN_HAVE_X86 0
#endif

static int g_conv_algo = TS_NN_CONV_AUTO;

void ts_nn_set_conv_algo(int algo)
{
    g_conv_algo = (algo == TS_NN_CONV_GEMM || algo == TS_NN_CONV_DIRECT || algo == TS_NN_CONV_DIRECT_AVX2)
                      ? algo
                      : TS_NN_CONV_AUTO;
}

int ts_nn_get_conv_algo(void) { return g_conv_algo; }

/* Kernel geometry of an instruction set: OB output channels × XB vectors of
 * VL floats per register block. */
typedef struct {
    int ob, vl, xb;
    void (*ker)(const float *in, size_t plane, int c, const int *off, int kk, const float *wr, float *tile);
} direct_isa;

#if TS_NN_HAVE_X86
/* tile [8][48] = Σ_c Σ_t wr[c][t][0..7] ⊗ in[c·plane + off[t] + 0..47] */
__attribute__((target("avx512f,fma"))) static void ker_avx512(const float *in, size_t plane, int c,
                                                              const int *off, int kk, const float *wr,
                                                              float *tile)
{
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m512 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    __m512 a40 = a00, a41 = a00, a42 = a00, a50 = a00, a51 = a00, a52 = a00;
    __m512 a60 = a00, a61 = a00, a62 = a00, a70 = a00, a71 = a00, a72 = a00;
    for (int ci = 0; ci < c; ci++, in += plane) {
#pragma GCC unroll 9
        for (int t = 0; t < kk; t++, wr += 8) {
            const float *ip = in + off[t];
            const __m512 x0 = _mm512_loadu_ps(ip), x1 = _mm512_loadu_ps(ip + 16), x2 = _mm512_loadu_ps(ip + 32);
            __m512 w;
#define TS_NN_ROW(o)                                 \
    w = _mm512_set1_ps(wr[o]);                       \
    a##o##0 = _mm512_fmadd_ps(w, x0, a##o##0);       \
    a##o##1 = _mm512_fmadd_ps(w, x1, a##o##1);       \
    a##o##2 = _mm512_fmadd_ps(w, x2, a##o##2);
            TS_NN_ROW(0) TS_NN_ROW(1) TS_NN_ROW(2) TS_NN_ROW(3)
            TS_NN_ROW(4) TS_NN_ROW(5) TS_NN_ROW(6) TS_NN_ROW(7)
#undef TS_NN_ROW
        }
    }
#define TS_NN_ST(o)                                  \
    _mm512_storeu_ps(tile + (o) * 48, a##o##0);      \
    _mm512_storeu_ps(tile + (o) * 48 + 16, a##o##1); \
    _mm512_storeu_ps(tile + (o) * 48 + 32, a##o##2);
    TS_NN_ST(0) TS_NN_ST(1) TS_NN_ST(2) TS_NN_ST(3) TS_NN_ST(4) TS_NN_ST(5) TS_NN_ST(6) TS_NN_ST(7)
#undef TS_NN_ST
}

/* tile [4][24] with 8-float vectors (AVX2: 16 registers) */
__attribute__((target("avx2,fma"))) static void ker_avx2(const float *in, size_t plane, int c, const int *off,
                                                         int kk, const float *wr, float *tile)
{
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    for (int ci = 0; ci < c; ci++, in += plane) {
        for (int t = 0; t < kk; t++, wr += 4) {
            const float *ip = in + off[t];
            const __m256 x0 = _mm256_loadu_ps(ip), x1 = _mm256_loadu_ps(ip + 8), x2 = _mm256_loadu_ps(ip + 16);
            __m256 w;
#define TS_NN_ROW(o)                                 \
    w = _mm256_broadcast_ss(wr + (o));               \
    a##o##0 = _mm256_fmadd_ps(w, x0, a##o##0);       \
    a##o##1 = _mm256_fmadd_ps(w, x1, a##o##1);       \
    a##o##2 = _mm256_fmadd_ps(w, x2, a##o##2);
            TS_NN_ROW(0) TS_NN_ROW(1) TS_NN_ROW(2) TS_NN_ROW(3)
#undef TS_NN_ROW
        }
    }
#define TS_NN_ST(o)                                 \
    _mm256_storeu_ps(tile + (o) * 24, a##o##0);     \
    _mm256_storeu_ps(tile + (o) * 24 + 8, a##o##1); \
    _mm256_storeu_ps(tile + (o) * 24 + 16, a##o##2);
    TS_NN_ST(0) TS_NN_ST(1) TS_NN_ST(2) TS_NN_ST(3)
#undef TS_NN_ST
}
#endif

#if TS_NN_HAVE_X86
/* r[o·3 + j] = Σ_{k < len} d[o·ld + k] · x[k + j], o < 8, j < 3; len a multiple of 16 */
__attribute__((target("avx512f,fma"))) static void kerw_avx512(const float *d, size_t ld, const float *x,
                                                               size_t len, float *r)
{
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m512 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    __m512 a40 = a00, a41 = a00, a42 = a00, a50 = a00, a51 = a00, a52 = a00;
    __m512 a60 = a00, a61 = a00, a62 = a00, a70 = a00, a71 = a00, a72 = a00;
    for (size_t k = 0; k < len; k += 16) {
        const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 1), x2 = _mm512_loadu_ps(x + k + 2);
        __m512 v;
#define TS_NN_ROW(o)                                 \
    v = _mm512_loadu_ps(d + (o) * ld + k);           \
    __asm__("" : "+v"(v)); /* one load, three uses */ \
    a##o##0 = _mm512_fmadd_ps(v, x0, a##o##0);       \
    a##o##1 = _mm512_fmadd_ps(v, x1, a##o##1);       \
    a##o##2 = _mm512_fmadd_ps(v, x2, a##o##2);
        TS_NN_ROW(0) TS_NN_ROW(1) TS_NN_ROW(2) TS_NN_ROW(3)
        TS_NN_ROW(4) TS_NN_ROW(5) TS_NN_ROW(6) TS_NN_ROW(7)
#undef TS_NN_ROW
    }
#define TS_NN_ST(o)                                  \
    r[(o) * 3] = _mm512_reduce_add_ps(a##o##0);      \
    r[(o) * 3 + 1] = _mm512_reduce_add_ps(a##o##1);  \
    r[(o) * 3 + 2] = _mm512_reduce_add_ps(a##o##2);
    TS_NN_ST(0) TS_NN_ST(1) TS_NN_ST(2) TS_NN_ST(3) TS_NN_ST(4) TS_NN_ST(5) TS_NN_ST(6) TS_NN_ST(7)
#undef TS_NN_ST
}
#endif

#if TS_NN_HAVE_X86
static int have_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && g_conv_algo != TS_NN_CONV_DIRECT_AVX2;
}
#endif

/* The kernel for this CPU, or NULL (then conv.c uses im2col + sgemm). */
static int direct_isa_get(direct_isa *k)
{
#if TS_NN_HAVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && g_conv_algo != TS_NN_CONV_DIRECT_AVX2) {
        *k = (direct_isa){8, 16, 3, ker_avx512};
        return 1;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *k = (direct_isa){4, 8, 3, ker_avx2};
        return 1;
    }
#endif
    (void)k;
    return 0;
}

int ts_nn_conv_direct_ok_(const ts_nn_conv_shape *s)
{
    direct_isa k;
    if (g_conv_algo == TS_NN_CONV_GEMM) return 0;
    if (s->d != 1 || s->kd != 1 || s->pd != 0 || s->sh != 1 || s->sw != 1 || s->sd != 1) return 0;
    if (s->kh == 1 && s->kw == 1 && s->ph == 0 && s->pw == 0) return 0; /* 1x1: plain GEMM, no unrolling */
    if (s->ph >= s->kh || s->pw >= s->kw) return 0; /* all-padding taps: leave to the general path */
    return direct_isa_get(&k);
}

/* Contiguous share [*j0, *j1) of n items for thread t of nt. */
static void split(size_t n, int t, int nt, size_t *j0, size_t *j1)
{
    size_t q = n / (size_t)nt, r = n % (size_t)nt;
    *j0 = (size_t)t * q + ((size_t)t < r ? (size_t)t : r);
    *j1 = *j0 + q + ((size_t)t < r ? 1 : 0);
}

/* dst plane [hp, wp] = src [h, w] with ph rows / pw columns of zeros around. */
static void pad_plane(float *dst, const float *src, int h, int w, int ph, int pw)
{
    const int wp = w + 2 * pw, hp = h + 2 * ph;
    memset(dst, 0, (size_t)ph * wp * sizeof(float));
    for (int y = 0; y < h; y++) {
        float *d = dst + (size_t)(y + ph) * wp;
        for (int x = 0; x < pw; x++) d[x] = 0.0f;
        memcpy(d + pw, src + (size_t)y * w, (size_t)w * sizeof(float));
        for (int x = pw + w; x < wp; x++) d[x] = 0.0f;
    }
    memset(dst + (size_t)(h + ph) * wp, 0, (size_t)(hp - h - ph) * wp * sizeof(float));
}

/* dst[0..n) = src + b, or dst += src when accumulate */
TS_NN_CLONES static void row_out(float *restrict dst, const float *restrict src, size_t n, float b, int accumulate)
{
    if (accumulate) {
        TS_NN_OMP(simd)
        for (size_t i = 0; i < n; i++) dst[i] += src[i];
    } else {
        TS_NN_OMP(simd)
        for (size_t i = 0; i < n; i++) dst[i] = src[i] + b;
    }
}

static void *alloc_aligned(size_t nfloats)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (nfloats ? nfloats : 1) * sizeof(float)) != 0) return NULL;
    return p;
}

int ts_nn_conv_direct_forward_(const ts_nn_conv_shape *s, float *out, const float *inp, const float *weight,
                               const float *bias, int accumulate, int threads)
{
    direct_isa K;
    if (!direct_isa_get(&K)) return ts_error_set(TS_ERR_INVAL, "nn conv: no direct kernel for this CPU");
    const int OB = K.ob, PB = K.vl * K.xb;
    const int hp = s->h + 2 * s->ph, wp = s->w + 2 * s->pw, kk = s->kh * s->kw;
    const size_t plane = (size_t)hp * wp, P = (size_t)s->oh * wp;
    const size_t nblk = (P + PB - 1) / PB;
    const int nob = (s->oc + OB - 1) / OB;
    /* reads reach (c-1)·plane + nblk·PB - 1 + (kh-1)·wp + kw-1: slack after the last plane */
    const size_t need = (size_t)(s->c - 1) * plane + nblk * PB + (size_t)(s->kh - 1) * wp + s->kw;
    size_t istride = need > (size_t)s->c * plane ? need : (size_t)s->c * plane;
    istride = (istride + 15) / 16 * 16;
    const size_t osp = (size_t)s->oh * s->ow, isp = (size_t)s->h * s->w;
    int *off = malloc((size_t)kk * sizeof(int));
    float *wr = alloc_aligned((size_t)nob * s->c * kk * OB);
    float *xin = alloc_aligned((size_t)s->n * istride);
    float *tiles = alloc_aligned((size_t)threads * OB * PB);
    if (!off || !wr || !xin || !tiles) {
        free(off);
        free(wr);
        free(xin);
        free(tiles);
        return ts_error_set(TS_ERR_NOMEM, "nn conv: cannot allocate the direct workspace (%zu floats)",
                            (size_t)s->n * istride);
    }
    for (int i = 0; i < s->kh; i++)
        for (int j = 0; j < s->kw; j++) off[i * s->kw + j] = i * wp + j;
    /* wr [ob][c][tap][OB], zeros past oc */
    for (int b = 0; b < nob; b++)
        for (int ci = 0; ci < s->c; ci++)
            for (int t = 0; t < kk; t++)
                for (int o = 0; o < OB; o++) {
                    int og = b * OB + o;
                    wr[(((size_t)b * s->c + ci) * kk + t) * OB + o] =
                        og < s->oc ? weight[((size_t)og * s->c + ci) * kk + t] : 0.0f;
                }
    const size_t nitems = (size_t)s->n * nblk;
    TS_NN_OMP(parallel num_threads(threads))
    {
        int t = ts_nn_thread_id_(), nt = ts_nn_team_size_();
        size_t j0, j1;
        /* padded planes, parallel over (image, channel) */
        split((size_t)s->n * s->c, t, nt, &j0, &j1);
        for (size_t q = j0; q < j1; q++) {
            size_t n = q / (size_t)s->c, ci = q % (size_t)s->c;
            float *dst = xin + n * istride + ci * plane;
            pad_plane(dst, inp + (n * s->c + ci) * isp, s->h, s->w, s->ph, s->pw);
            if (ci + 1 == (size_t)s->c) memset(dst + plane, 0, (istride - (size_t)s->c * plane) * sizeof(float));
        }
        TS_NN_OMP(barrier)
        float *tile = tiles + (size_t)t * OB * PB;
        split(nitems, t, nt, &j0, &j1);
        for (size_t it = j0; it < j1; it++) {
            const size_t n = it / nblk, p0 = (it % nblk) * PB;
            const size_t pend = p0 + PB < P ? p0 + PB : P;
            const float *xn = xin + n * istride + p0;
            for (int b = 0; b < nob; b++) {
                K.ker(xn, plane, s->c, off, kk, wr + (size_t)b * s->c * kk * OB, tile);
                const int ocnt = s->oc - b * OB < OB ? s->oc - b * OB : OB;
                for (int o = 0; o < ocnt; o++) {
                    const int og = b * OB + o;
                    float *on = out + ((size_t)n * s->oc + og) * osp;
                    const float *tr = tile + (size_t)o * PB;
                    const float bv = (!accumulate && bias) ? bias[og] : 0.0f;
                    /* rows of the flat range [p0, pend), columns x < ow only */
                    for (size_t p = p0; p < pend;) {
                        size_t y = p / (size_t)wp, x = p - y * (size_t)wp;
                        size_t rowend = (y + 1) * (size_t)wp;
                        size_t e = rowend < pend ? rowend : pend;
                        if (x < (size_t)s->ow) {
                            size_t xe = e - y * (size_t)wp;
                            if (xe > (size_t)s->ow) xe = (size_t)s->ow;
                            float *dst = on + y * (size_t)s->ow;
                            const float *src = tr + (p - p0) - x;
                            row_out(dst + x, src + x, xe - x, bv, accumulate);
                        }
                        p = e;
                    }
                }
            }
        }
    }
    free(off);
    free(wr);
    free(xin);
    free(tiles);
    return TS_OK;
}

#if TS_NN_HAVE_X86
/* Weight gradient with kerw_avx512: dW[o,c,i,j] = Σ_k doutf[o,k] xin[c, k + i·wp + j].
 * Thread t owns the (8-channel output block, input channel) pairs of its share,
 * so every entry is summed by one thread in a fixed order (K chunks of KC
 * positions, 16 lanes each, lanes added at the end of each chunk): the result
 * does not depend on the thread count. */
static int backward_weight_avx512(const ts_nn_conv_shape *s, float *dweight, float *dbias, const float *dout,
                                  const float *inp, int threads)
{
    enum { OB = 8, KC = 4096 };
    const int hp = s->h + 2 * s->ph, wp = s->w + 2 * s->pw;
    const size_t plane = (size_t)hp * wp, Kt = (size_t)s->n * plane, Kp = (Kt + 15) / 16 * 16;
    const size_t osp = (size_t)s->oh * s->ow, isp = (size_t)s->h * s->w;
    const int nob = (s->oc + OB - 1) / OB, njb = (s->kw + 2) / 3;
    const size_t xstride = Kp + (size_t)(s->kh - 1) * wp + (size_t)njb * 3 + 16;
    float *doutf = alloc_aligned((size_t)nob * OB * Kp);
    float *xin = alloc_aligned((size_t)s->c * xstride);
    float *dwt = calloc((size_t)nob * OB * s->c * s->kh * njb * 3, sizeof(float)); /* [ob·8+o][c][i][jb·3+j] */
    if (!doutf || !xin || !dwt) {
        free(doutf);
        free(xin);
        free(dwt);
        return ts_error_set(TS_ERR_NOMEM, "nn conv backward: cannot allocate the workspace (%zu floats)",
                            (size_t)s->c * xstride);
    }
    const size_t wrow = (size_t)s->kh * njb * 3; /* dwt floats per (o, c) */
    TS_NN_OMP(parallel num_threads(threads))
    {
        int t = ts_nn_thread_id_(), nt = ts_nn_team_size_();
        size_t j0, j1;
        split((size_t)s->n * s->c, t, nt, &j0, &j1);
        for (size_t q = j0; q < j1; q++) {
            size_t n = q / (size_t)s->c, ci = q % (size_t)s->c;
            float *dst = xin + ci * xstride + n * plane;
            pad_plane(dst, inp + (n * s->c + ci) * isp, s->h, s->w, s->ph, s->pw);
            if (n + 1 == (size_t)s->n) memset(dst + plane, 0, (xstride - Kt) * sizeof(float));
        }
        split((size_t)nob * OB, t, nt, &j0, &j1);
        for (size_t o = j0; o < j1; o++) {
            float *row = doutf + o * Kp;
            if (o >= (size_t)s->oc) {
                memset(row, 0, Kp * sizeof(float));
                continue;
            }
            double bsum = 0.0; /* the bias gradient while the rows are in cache */
            for (int n = 0; n < s->n; n++) {
                float *dst = row + (size_t)n * plane;
                const float *src = dout + ((size_t)n * s->oc + o) * osp;
                if (dbias) bsum += ts_nn_sum_double_(src, osp);
                for (int y = 0; y < s->oh; y++) {
                    float *dd = dst + (size_t)y * wp;
                    memcpy(dd, src + (size_t)y * s->ow, (size_t)s->ow * sizeof(float));
                    for (int x = s->ow; x < wp; x++) dd[x] = 0.0f;
                }
                memset(dst + (size_t)s->oh * wp, 0, (plane - (size_t)s->oh * wp) * sizeof(float));
            }
            memset(row + Kt, 0, (Kp - Kt) * sizeof(float));
            if (dbias) dbias[o] += (float)bsum;
        }
        TS_NN_OMP(barrier)
        split((size_t)nob * s->c, t, nt, &j0, &j1);
        float r[OB * 3];
        for (size_t k0 = 0; k0 < Kp; k0 += KC) {
            const size_t kc = Kp - k0 < KC ? Kp - k0 : KC;
            for (size_t q = j0; q < j1; q++) {
                const size_t b = q / (size_t)s->c, ci = q % (size_t)s->c;
                const float *d = doutf + b * OB * Kp + k0;
                for (int i = 0; i < s->kh; i++)
                    for (int jb = 0; jb < njb; jb++) {
                        kerw_avx512(d, Kp, xin + ci * xstride + k0 + (size_t)i * wp + (size_t)jb * 3, kc, r);
                        for (int o = 0; o < OB; o++) {
                            float *w = dwt + ((b * OB + o) * s->c + ci) * wrow + ((size_t)i * njb + jb) * 3;
                            w[0] += r[o * 3];
                            w[1] += r[o * 3 + 1];
                            w[2] += r[o * 3 + 2];
                        }
                    }
            }
        }
    }
    for (int o = 0; o < s->oc; o++)
        for (int ci = 0; ci < s->c; ci++)
            for (int i = 0; i < s->kh; i++)
                for (int j = 0; j < s->kw; j++)
                    dweight[(((size_t)o * s->c + ci) * s->kh + i) * s->kw + j] +=
                        dwt[((size_t)o * s->c + ci) * wrow + (size_t)i * njb * 3 + j];
    free(doutf);
    free(xin);
    free(dwt);
    return TS_OK;
}
#endif

int ts_nn_conv_direct_backward_weight_(const ts_nn_conv_shape *s, float *dweight, float *dbias,
                                       const float *dout, const float *inp, int threads)
{
    const int hp = s->h + 2 * s->ph, wp = s->w + 2 * s->pw, kk = s->kh * s->kw;
    const size_t plane = (size_t)hp * wp, Kt = (size_t)s->n * plane;
    const size_t osp = (size_t)s->oh * s->ow, isp = (size_t)s->h * s->w;
    const size_t nw = (size_t)s->oc * s->c * kk;
#if TS_NN_HAVE_X86
    if (have_avx512()) return backward_weight_avx512(s, dweight, dbias, dout, inp, threads);
#endif
    if (dbias) { /* image-major per channel in double, as conv.c */
        const size_t osp1 = (size_t)s->oh * s->ow;
        TS_NN_OMP(parallel for schedule(static) num_threads(threads))
        for (int o = 0; o < s->oc; o++) {
            double acc = 0.0;
            for (int n = 0; n < s->n; n++) acc += ts_nn_sum_double_(dout + ((size_t)n * s->oc + o) * osp1, osp1);
            dbias[o] += (float)acc;
        }
    }
    if (Kt > 0x7fffffffu) return ts_error_set(TS_ERR_RANGE, "nn conv: batch too large for one GEMM");
    /* doutf [oc][n·plane]: dout at p = y·wp + x of image n, zeros elsewhere;
     * xin [c][n·plane + slack]: padded planes (slack: shifted reads past the last one) */
    const size_t xstride = Kt + (size_t)(s->kh - 1) * wp + s->kw + 16;
    float *doutf = alloc_aligned((size_t)s->oc * Kt);
    float *xin = alloc_aligned((size_t)s->c * xstride);
    float *part = alloc_aligned((size_t)threads * nw);
    if (!doutf || !xin || !part) {
        free(doutf);
        free(xin);
        free(part);
        return ts_error_set(TS_ERR_NOMEM, "nn conv backward: cannot allocate the workspace (%zu floats)",
                            (size_t)s->c * xstride);
    }
    TS_NN_OMP(parallel num_threads(threads))
    {
        int t = ts_nn_thread_id_(), nt = ts_nn_team_size_();
        size_t j0, j1;
        split((size_t)s->n * s->c, t, nt, &j0, &j1);
        for (size_t q = j0; q < j1; q++) {
            size_t n = q / (size_t)s->c, ci = q % (size_t)s->c;
            float *dst = xin + ci * xstride + n * plane;
            pad_plane(dst, inp + (n * s->c + ci) * isp, s->h, s->w, s->ph, s->pw);
            if (n + 1 == (size_t)s->n) memset(dst + plane, 0, (xstride - Kt) * sizeof(float));
        }
        split((size_t)s->n * s->oc, t, nt, &j0, &j1);
        for (size_t q = j0; q < j1; q++) {
            size_t n = q / (size_t)s->oc, o = q % (size_t)s->oc;
            float *dst = doutf + o * Kt + n * plane;
            const float *src = dout + (n * s->oc + o) * osp;
            for (int y = 0; y < s->oh; y++) {
                float *d = dst + (size_t)y * wp;
                memcpy(d, src + (size_t)y * s->ow, (size_t)s->ow * sizeof(float));
                for (int x = s->ow; x < wp; x++) d[x] = 0.0f;
            }
            memset(dst + (size_t)s->oh * wp, 0, (plane - (size_t)s->oh * wp) * sizeof(float));
        }
        TS_NN_OMP(barrier)
        /* thread t: positions [k0, k1) of every tap into its partial [tap][oc][c] */
        size_t k0, k1;
        split(Kt, t, nt, &k0, &k1);
        float *pt = part + (size_t)t * nw;
        for (int tap = 0; tap < kk; tap++) {
            const size_t off = (size_t)(tap / s->kw) * wp + (size_t)(tap % s->kw);
            float *c_t = pt + (size_t)tap * s->oc * s->c;
            if (k1 > k0)
                ts_nn_sgemm(0, 1, s->oc, s->c, (int)(k1 - k0), 1.0f, doutf + k0, (int)Kt, xin + off + k0,
                            (int)xstride, 0.0f, c_t, s->c);
            else
                memset(c_t, 0, (size_t)s->oc * s->c * sizeof(float));
        }
        TS_NN_OMP(barrier)
        /* dW[o][c][tap] += Σ_t part[t][tap][o][c], in thread order */
        split((size_t)s->oc * s->c, t, nt, &j0, &j1);
        for (size_t q = j0; q < j1; q++)
            for (int tap = 0; tap < kk; tap++) {
                float acc = dweight[q * kk + tap];
                for (int u = 0; u < nt; u++) acc += part[(size_t)u * nw + (size_t)tap * s->oc * s->c + q];
                dweight[q * kk + tap] = acc;
            }
    }
    free(doutf);
    free(xin);
    free(part);
    return TS_OK;
}
