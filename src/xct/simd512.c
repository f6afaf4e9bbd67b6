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
 * losing the fraction's precision (error ~1e-6 of a sample).
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
    double h = n / 2 + 64.0;
    return (int)ceil(sqrt(h * h + 0.25 * n * n) + fabs(center - ndet / 2.0)) + 40;
}

#if XCT_HAVE_AVX512
#include <immintrin.h>

#define T512 __attribute__((target("avx512f")))

int xct_use_avx512(void)
{
    const char *e = getenv("TINSEL_XCT_SIMD");
    if (e && strcmp(e, "generic") == 0) return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
}

/* lane offsets 0..15 */
T512 static inline __m512 lane_f(void)
{
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* Linear interpolation of the 32-sample window at r + b at window-relative
 * positions ul (0 <= ul < 31). */
T512 static inline __m512 window_lerp(const float *r, __m512 ul)
{
    __m512i idx = _mm512_cvttps_epi32(ul);
    __m512 f = _mm512_sub_ps(ul, _mm512_cvtepi32_ps(idx));
    __m512 lo = _mm512_loadu_ps(r), hi = _mm512_loadu_ps(r + 16);
    __m512 a = _mm512_permutex2var_ps(lo, idx, hi);
    __m512 b = _mm512_permutex2var_ps(lo, _mm512_add_epi32(idx, _mm512_set1_epi32(1)), hi);
    return _mm512_fmadd_ps(f, _mm512_sub_ps(b, a), a);
}

/* FBP, one image row: acc[0..n-1] = sum_i Q[i*ndp + t], t = tb[i] + col c[i]
 * (linear interpolation). Caller guarantees 0 <= t and t + 32 < ndp for
 * col in [0, n + 15]. tb: [na] row offsets, c: [na] cos theta. */
T512 void xct_bp_row_avx512(int n, float *acc, const float *Q, size_t ndp, int na,
                            const double *tb, const double *c)
{
    const __m512 lane = lane_f();
    for (int col0 = 0; col0 < n; col0 += 64) {
        __m512 s[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                       _mm512_setzero_ps()};
        for (int i = 0; i < na; i++) {
            const float *Qi = Q + (size_t)i * ndp;
            const double ci = c[i], span = ci < 0 ? 15 * ci : 0;
            const __m512 dj = _mm512_mul_ps(lane, _mm512_set1_ps((float)ci));
            for (int b = 0; b < 4; b++) {
                double t0 = tb[i] + (col0 + 16 * b) * ci;
                long base = (long)(t0 + span); /* >= 0: truncation is floor */
                __m512 ul = _mm512_add_ps(_mm512_set1_ps((float)(t0 - (double)base)), dj);
                s[b] = _mm512_add_ps(s[b], window_lerp(Qi + base, ul));
            }
        }
        for (int b = 0; b < 4; b++) {
            int c0 = col0 + 16 * b;
            if (c0 >= n) break;
            __mmask16 m = n - c0 >= 16 ? 0xFFFF : (__mmask16)((1u << (n - c0)) - 1);
            _mm512_mask_storeu_ps(acc + c0, m, s[b]);
        }
    }
}

/* Joseph adjoint, one image row: acc[col] = sum_i [w0 Y_i[k0] + w1 Y_i[k0+1]],
 * t = tb[i] + col c[i], k0 = floor(t), d = t - k0, w0 = max(0, 1 - d ia),
 * w1 = max(0, 1 - (1 - d) ia), ia = 1/a; Y_i already scaled by ia (so the
 * result is the matrix element max(0, 1 - |k - k_p|/a)/a). Same padding
 * contract as xct_bp_row_avx512. */
T512 void xct_adj_row_avx512(int n, float *acc, const float *Y, size_t ndp, int na,
                             const double *tb, const double *c, const float *ia)
{
    const __m512 lane = lane_f(), one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    const __m512i ione = _mm512_set1_epi32(1);
    for (int col0 = 0; col0 < n; col0 += 64) {
        __m512 s[4] = {zero, zero, zero, zero};
        for (int i = 0; i < na; i++) {
            const float *Yi = Y + (size_t)i * ndp;
            const double ci = c[i], span = ci < 0 ? 15 * ci : 0;
            const __m512 dj = _mm512_mul_ps(lane, _mm512_set1_ps((float)ci));
            const __m512 va = _mm512_set1_ps(ia[i]), v1a = _mm512_set1_ps(1.0f - ia[i]);
            for (int b = 0; b < 4; b++) {
                double t0 = tb[i] + (col0 + 16 * b) * ci;
                long base = (long)(t0 + span);
                const float *r = Yi + base;
                __m512 ul = _mm512_add_ps(_mm512_set1_ps((float)(t0 - (double)base)), dj);
                __m512i idx = _mm512_cvttps_epi32(ul);
                __m512 d = _mm512_sub_ps(ul, _mm512_cvtepi32_ps(idx));
                __m512 lo = _mm512_loadu_ps(r), hi = _mm512_loadu_ps(r + 16);
                __m512 y0 = _mm512_permutex2var_ps(lo, idx, hi);
                __m512 y1 = _mm512_permutex2var_ps(lo, _mm512_add_epi32(idx, ione), hi);
                __m512 w0 = _mm512_max_ps(_mm512_fnmadd_ps(d, va, one), zero);
                __m512 w1 = _mm512_max_ps(_mm512_fmadd_ps(d, va, v1a), zero);
                s[b] = _mm512_fmadd_ps(w0, y0, s[b]);
                s[b] = _mm512_fmadd_ps(w1, y1, s[b]);
            }
        }
        for (int b = 0; b < 4; b++) {
            int c0 = col0 + 16 * b;
            if (c0 >= n) break;
            __mmask16 m = n - c0 >= 16 ? 0xFFFF : (__mmask16)((1u << (n - c0)) - 1);
            _mm512_mask_storeu_ps(acc + c0, m, s[b]);
        }
    }
}

/* Joseph forward, one angle: y[k] = ia sum_{m in [mlo_b, mhi_b]} lerp(M_m, u),
 * u = pad + b0 + m bm + k inv, for k = 0..nd-1, where M_m = M + m*np is the
 * m-th padded image row (np = n + 2 pad, pad >= 40 zeros each side) and
 * [mlo_b, mhi_b] is the range of m in which a ray of the 16-ray block b can
 * touch the image (u in (-1, n)); outside it every term is zero. */
T512 void xct_fwd_angle_avx512(int n, int nd, int pad, const float *M, double b0, double bm,
                               double inv, float ia, float *y)
{
    const size_t np = (size_t)n + 2 * (size_t)pad;
    const __m512 dj = _mm512_mul_ps(lane_f(), _mm512_set1_ps((float)inv));
    const double span = inv < 0 ? 15 * inv : 0;
    for (int k0 = 0; k0 < nd; k0 += 16) {
        /* u of lane j at row m: m bm + C_j, C_j = b0 + (k0 + j) inv */
        double ca = b0 + k0 * inv, cb = ca + 15 * inv;
        double cmin = fmin(ca, cb), cmax = fmax(ca, cb);
        /* touch: m bm + cmax > -1 and m bm + cmin < n; one row of slack */
        double lo = 0, hi = n - 1;
        if (bm > 0) {
            lo = fmax(lo, floor((-1 - cmax) / bm) - 1);
            hi = fmin(hi, ceil((n - cmin) / bm) + 1);
        } else if (bm < 0) {
            lo = fmax(lo, floor((n - cmin) / bm) - 1);
            hi = fmin(hi, ceil((-1 - cmax) / bm) + 1);
        } else if (!(cmax > -1 && cmin < n)) {
            hi = -1;
        }
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        int m = (int)lo, mhi = (int)hi;
        for (; m + 1 <= mhi; m += 2) { /* two independent sums */
            double u0 = pad + ca + m * bm;
            long base = (long)(u0 + span);
            s0 = _mm512_add_ps(s0, window_lerp(M + (size_t)m * np + base,
                                               _mm512_add_ps(_mm512_set1_ps((float)(u0 - base)), dj)));
            u0 += bm;
            base = (long)(u0 + span);
            s1 = _mm512_add_ps(s1, window_lerp(M + (size_t)(m + 1) * np + base,
                                               _mm512_add_ps(_mm512_set1_ps((float)(u0 - base)), dj)));
        }
        if (m <= mhi) {
            double u0 = pad + ca + m * bm;
            long base = (long)(u0 + span);
            s0 = _mm512_add_ps(s0, window_lerp(M + (size_t)m * np + base,
                                               _mm512_add_ps(_mm512_set1_ps((float)(u0 - base)), dj)));
        }
        __m512 s = _mm512_mul_ps(_mm512_add_ps(s0, s1), _mm512_set1_ps(ia));
        __mmask16 mk = nd - k0 >= 16 ? 0xFFFF : (__mmask16)((1u << (nd - k0)) - 1);
        _mm512_mask_storeu_ps(y + k0, mk, s);
    }
}

#else

int xct_use_avx512(void) { return 0; }

#endif
