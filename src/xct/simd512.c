/* AVX-512 inner kernels of the parallel-beam projector (joseph.c) and the FBP
 * backprojector (fbp.c): the same arithmetic as their portable loops, without
 * gathers.
 *
 * All three kernels resample a row r[] at 16 equally spaced positions
 * u_j = u_0 + j du, |du| <= sqrt(2), with linear interpolation:
 *     v_j = r[i_j] + f_j (r[i_j + 1] - r[i_j]),  i_j = floor(u_j), f_j = u_j - i_j.
 * The 16 positions span at most 15 |du| + 1 < 23 samples, so they all fall in
 * the 32-sample window starting at b = floor(min_j u_j): the window is two
 * vector loads and r[i_j], r[i_j + 1] are two two-table permutes (vpermt2ps)
 * of it, with window-relative indices i_j - b. Window-relative positions are
 * small (< 24), so they are formed in float from the double u_0 - b without
 * losing the fraction's precision (error ~1e-6 of a sample). Index and
 * fraction both truncate (vcvttps2dq, vreduceps with round-toward-zero): a
 * position rounded to -1e-7 then extrapolates from sample 0 by -1e-7 instead
 * of jumping a sample (floor for the fraction and truncation for the index
 * disagree there).
 *
 * Kernels (equations in joseph.c and fbp.c):
 *   xct_bp_row_avx512     FBP row:     acc[col] = sum_i Q_i(t_i(col))
 *   xct_adj_row_avx512    Joseph A^T:  acc[col] = sum_i footprint-weighted bins
 *   xct_fwd_angle_avx512  Joseph A:    y[k] = (1/a) sum_m lerp(row_m, u_m(k))
 * Callers pad their rows with zeros so that every window is inside memory
 * (margins stated at each kernel). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xct_internal.h"

int xct_bp_margin(int n, int ndet, double center)
{
    double h = n / 2 + 128.0;
    return (int)ceil(sqrt(h * h + 0.25 * n * n) + fabs(center - ndet / 2.0)) + 40;
}

#if XCT_HAVE_AVX512
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,avx512dq")))

int xct_use_avx512(void)
{
    const char *e = getenv("TINSEL_XCT_SIMD");
    if (e && strcmp(e, "generic") == 0) return 0;
    /* no __builtin_cpu_init(): libgcc's constructor has run before any
     * caller, and calling it here from several threads would race */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

/* lane offsets 0..15 */
T512 static inline __m512 lane_f(void)
{
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* Window bases and window-relative start positions of 8 blocks of 16 lanes:
 * block b's lanes sit at t0_b + j dt (j = 0..15); its window starts at
 * base_b = floor(min_j t0_b + j dt) = trunc(t0_b + span), span = min(0, 15 dt),
 * (t0_b + span >= 0 is the caller's contract) and its lane 0 is at
 * fr_b = t0_b - base_b (float, < 24). */
T512 static inline void positions8(__m512d t0, double span, int *base, float *fr)
{
    __m256i b = _mm512_cvttpd_epi32(_mm512_add_pd(t0, _mm512_set1_pd(span)));
    __m256 f = _mm512_cvtpd_ps(_mm512_sub_pd(t0, _mm512_cvtepi32_pd(b)));
    _mm256_storeu_si256((__m256i *)base, b);
    _mm256_storeu_ps(fr, f);
}

/* r[k] + f (r[k+1] - r[k]) at the 16 positions fr + dj of the 32-sample
 * window at r (r[k+1] by a second permute of the window). */
T512 static inline __m512 lerp16p(const float *r, float fr, __m512 dj)
{
    __m512 ul = _mm512_add_ps(dj, _mm512_set1_ps(fr));
    __m512i idx = _mm512_cvttps_epi32(ul);
    __m512 f = _mm512_reduce_ps(ul, 3); /* ul - trunc(ul), consistent with idx */
    __m512 lo = _mm512_loadu_ps(r), hi = _mm512_loadu_ps(r + 16);
    __m512 a = _mm512_permutex2var_ps(lo, idx, hi);
    __m512 b = _mm512_permutex2var_ps(lo, _mm512_add_epi32(idx, _mm512_set1_epi32(1)), hi);
    return _mm512_fmadd_ps(f, _mm512_sub_ps(b, a), a);
}

/* Store the first `cnt` (<= 16) lanes of v to p. */
T512 static inline void store_n(float *p, int cnt, __m512 v)
{
    __mmask16 m = cnt >= 16 ? 0xFFFF : (__mmask16)((1u << cnt) - 1);
    _mm512_mask_storeu_ps(p, m, v);
}

#define XCT_UNROLL8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* Pass 1 of the row kernels: for every angle i, the window bases and start
 * positions of the 8 blocks of columns col0 .. col0 + 127 and the lane
 * offsets j c_i, into the workspace (na x 128 bytes, xct_row_ws_size). */
typedef struct {
    int base[8];
    float fr[8];
    float dj[16];
} row_pos;

size_t xct_row_ws_size(int na)
{
    return (size_t)na * sizeof(row_pos) + 64;
}

T512 static void row_positions(int col0, int na, const double *tb, const double *c, row_pos *ws)
{
    const __m512 lane = lane_f();
    const __m512d colv = _mm512_add_pd(_mm512_setr_pd(0, 16, 32, 48, 64, 80, 96, 112), _mm512_set1_pd(col0));
    for (int i = 0; i < na; i++) {
        positions8(_mm512_fmadd_pd(colv, _mm512_set1_pd(c[i]), _mm512_set1_pd(tb[i])),
                   c[i] < 0 ? 15 * c[i] : 0, ws[i].base, ws[i].fr);
    }
    if (col0 == 0) /* lane offsets: the same for every chunk */
        for (int i = 0; i < na; i++)
            _mm512_storeu_ps(ws[i].dj, _mm512_mul_ps(lane, _mm512_set1_ps((float)c[i])));
}

static row_pos *ws_align(void *ws)
{
    return (row_pos *)(((size_t)ws + 63) & ~(size_t)63);
}

/* FBP, one image row: acc[col] = sum_i Q_i(t), t = tb[i] + col c[i], with
 * linear interpolation Q_i(t) = Q_i[k] + f (Q_i[k+1] - Q_i[k]), k = floor(t),
 * f = t - k. Q: [na][ndp]. (A variant reading a second, differenced array
 * instead of the second permute was 1.6x slower: memory traffic.) The caller guarantees 0 <= t and
 * t + 32 < ndp for col in [0, n + 127]. tb: [na] row offsets, c: [na]
 * cos theta, ws: xct_row_ws_size(na) bytes. Columns in chunks of 128 (8
 * accumulators in registers). */
T512 void xct_bp_row_avx512(int n, float *acc, const float *Q, size_t ndp, int na, const double *tb,
                            const double *c, void *ws)
{
    row_pos *P = ws_align(ws);
    for (int col0 = 0; col0 < n; col0 += 128) {
        row_positions(col0, na, tb, c, P);
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int i = 0; i < na; i++) {
            const float *Qi = Q + (size_t)i * ndp;
            const __m512 dj = _mm512_load_ps(P[i].dj);
#define XCT_BP(b) s##b = _mm512_add_ps(s##b, lerp16p(Qi + P[i].base[b], P[i].fr[b], dj));
            XCT_UNROLL8(XCT_BP)
#undef XCT_BP
        }
        __m512 sv[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
        for (int b = 0; b < 8 && col0 + 16 * b < n; b++)
            store_n(acc + col0 + 16 * b, n - col0 - 16 * b, sv[b]);
    }
}

/* Joseph adjoint, one image row: acc[col] = sum_i [w0 Y_i[k0] + w1 Y_i[k0+1]],
 * t = tb[i] + col c[i], k0 = floor(t), d = t - k0, w0 = max(0, 1 - d ia),
 * w1 = max(0, 1 - (1 - d) ia), ia = 1/a; Y_i already scaled by ia (so the
 * result is the matrix element max(0, 1 - |k - k_p|/a)/a). Same padding
 * contract, workspace and chunking as xct_bp_row_avx512. */
T512 void xct_adj_row_avx512(int n, float *acc, const float *Y, size_t ndp, int na, const double *tb,
                             const double *c, const float *ia, void *ws)
{
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    const __m512i ione = _mm512_set1_epi32(1);
    row_pos *P = ws_align(ws);
    for (int col0 = 0; col0 < n; col0 += 128) {
        row_positions(col0, na, tb, c, P);
        __m512 s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
        for (int i = 0; i < na; i++) {
            const float *Yi = Y + (size_t)i * ndp;
            const __m512 dj = _mm512_load_ps(P[i].dj);
            const __m512 va = _mm512_set1_ps(ia[i]), v1a = _mm512_set1_ps(1.0f - ia[i]);
#define XCT_ADJ(b)                                                                                           \
    {                                                                                                        \
        const float *r = Yi + P[i].base[b];                                                                  \
        __m512 ul = _mm512_add_ps(dj, _mm512_set1_ps(P[i].fr[b]));                                           \
        __m512i idx = _mm512_cvttps_epi32(ul);                                                               \
        __m512 d = _mm512_reduce_ps(ul, 3);                                                                  \
        __m512 lo = _mm512_loadu_ps(r), hi = _mm512_loadu_ps(r + 16);                                        \
        __m512 y0 = _mm512_permutex2var_ps(lo, idx, hi);                                                     \
        __m512 y1 = _mm512_permutex2var_ps(lo, _mm512_add_epi32(idx, ione), hi);                             \
        __m512 w0 = _mm512_max_ps(_mm512_fnmadd_ps(d, va, one), zero);                                       \
        __m512 w1 = _mm512_max_ps(_mm512_fmadd_ps(d, va, v1a), zero);                                        \
        s##b = _mm512_fmadd_ps(w1, y1, _mm512_fmadd_ps(w0, y0, s##b));                                       \
    }
            XCT_UNROLL8(XCT_ADJ)
#undef XCT_ADJ
        }
        __m512 sv[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
        for (int b = 0; b < 8 && col0 + 16 * b < n; b++)
            store_n(acc + col0 + 16 * b, n - col0 - 16 * b, sv[b]);
    }
}

/* Joseph forward, one angle: y[k] = ia sum_{m in [mlo_b, mhi_b]} lerp(M_m, u),
 * u = pad + b0 + m bm + k inv, for k = 0..nd-1, where M_m = M + m*np is the
 * m-th padded image row (np = n + 2 pad, pad >= 40 zeros each side) and
 * [mlo_b, mhi_b] the range of m in which a ray of the 16-ray block b can
 * touch the image (u in (-1, n)); outside it every term is zero. Pass 1 puts
 * the window bases and start positions of all rows of the block in pos[]
 * (8 rows at a time, positions8); pass 2 sums into two independent sums.
 * Only rows m_begin <= m < m_end are visited (cache blocking by the caller);
 * add != 0 adds to y instead of overwriting it. */
T512 void xct_fwd_angle_avx512(int n, int nd, int pad, const float *M, double b0, double bm, double inv,
                               float ia, int m_begin, int m_end, int add, float *y)
{
    const size_t np = (size_t)n + 2 * (size_t)pad;
    const __m512 dj = _mm512_mul_ps(lane_f(), _mm512_set1_ps((float)inv));
    const __m512d moff = _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7);
    const double span = inv < 0 ? 15 * inv : 0;
    /* per-row positions, 8 rows per entry (n + 8 rows at most) */
    struct {
        int base[8];
        float fr[8];
    } pos[64];
    for (int k0 = 0; k0 < nd; k0 += 16) {
        /* u of lane j at row m: m bm + C_j, C_j = b0 + (k0 + j) inv */
        double ca = b0 + k0 * inv, cb = ca + 15 * inv;
        double cmin = fmin(ca, cb), cmax = fmax(ca, cb);
        /* touch: m bm + cmax > -1 and m bm + cmin < n; two rows of slack */
        double lo = m_begin, hi = m_end - 1;
        if (bm > 0) {
            lo = fmax(lo, floor((-1 - cmax) / bm) - 1);
            hi = fmin(hi, ceil((n - cmin) / bm) + 1);
        } else if (bm < 0) {
            lo = fmax(lo, floor((n - cmin) / bm) - 1);
            hi = fmin(hi, ceil((-1 - cmax) / bm) + 1);
        } else if (!(cmax > -1 && cmin < n)) {
            hi = -1;
        }
        __m512 s0 = _mm512_setzero_ps(), s1 = s0;
        const __m512d vbm = _mm512_set1_pd(bm), vca = _mm512_set1_pd(pad + ca);
        /* rows in chunks of up to 512 (pos[] holds 64 x 8) */
        int mlo = (int)lo, mhi = hi >= lo ? (int)hi : mlo - 1; /* lo in [m_begin, m_end) */
        for (int m0 = mlo; m0 <= mhi; m0 += 512) {
            int cnt = mhi - m0 + 1 < 512 ? mhi - m0 + 1 : 512;
            for (int g = 0; g < cnt; g += 8)
                positions8(_mm512_fmadd_pd(_mm512_add_pd(moff, _mm512_set1_pd(m0 + g)), vbm, vca), span,
                           pos[g / 8].base, pos[g / 8].fr);
            const float *R = M + (size_t)m0 * np;
            int j = 0;
            for (; j + 1 < cnt; j += 2, R += 2 * np) {
                s0 = _mm512_add_ps(s0, lerp16p(R + pos[j / 8].base[j % 8], pos[j / 8].fr[j % 8], dj));
                s1 = _mm512_add_ps(
                    s1, lerp16p(R + np + pos[j / 8].base[j % 8 + 1], pos[j / 8].fr[j % 8 + 1], dj));
            }
            if (j < cnt)
                s0 = _mm512_add_ps(s0, lerp16p(R + pos[j / 8].base[j % 8], pos[j / 8].fr[j % 8], dj));
        }
        __m512 v = _mm512_mul_ps(_mm512_add_ps(s0, s1), _mm512_set1_ps(ia));
        int cnt = nd - k0;
        if (add) {
            __mmask16 mk = cnt >= 16 ? 0xFFFF : (__mmask16)((1u << cnt) - 1);
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, y + k0));
        }
        store_n(y + k0, cnt, v);
    }
}

#else

int xct_use_avx512(void)
{
    return 0;
}

#endif
