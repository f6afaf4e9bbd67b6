/* Private helpers of the xct engine. */
#ifndef TS_XCT_INTERNAL_H
#define TS_XCT_INTERNAL_H

#include <stddef.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "tinsel/xct.h"

#define XCT_PI 3.14159265358979323846

/* Joseph footprint: weight of ray bin k for a pixel projecting at kp, with
 * a = max(|cos|, |sin|): max(0, 1 - |k - kp|/a)/a. */
static inline double xct_joseph_w(double dk, double a)
{
    double u = 1.0 - (dk < 0 ? -dk : dk) / a;
    return u > 0 ? u / a : 0.0;
}

/* 1 inside an active OpenMP parallel region (kernels then run serially). */
static inline int xct_in_parallel(void)
{
#ifdef _OPENMP
    return omp_in_parallel();
#else
    return 1;
#endif
}

/* Hot loops are compiled twice, for AVX2 and for the baseline, and chosen at
 * load time (GCC function multiversioning); results agree to rounding. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define XCT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define XCT_CLONES
#endif

/* AVX-512 kernels (simd512.c), used when the CPU has AVX-512F and the
 * environment does not set TINSEL_XCT_SIMD=generic (which selects the portable
 * loops, e.g. to test them on an AVX-512 machine). */
#if defined(__x86_64__) && defined(__GNUC__)
#define XCT_HAVE_AVX512 1
#else
#define XCT_HAVE_AVX512 0
#endif
int xct_use_avx512(void);
size_t xct_row_ws_size(int na);
void xct_bp_row_avx512(int n, float *acc, const float *Q, size_t ndp, int na,
                       const double *tb, const double *c, void *ws);
void xct_adj_row_avx512(int n, float *acc, const float *Y, size_t ndp, int na, const double *tb,
                        const double *c, const float *ia, void *ws);
void xct_fwd_angle_avx512(int n, int nd, int pad, const float *M, double b0, double bm,
                          double inv, float ia, int m_begin, int m_end, int add, float *y);
/* Zero margin (bins) on each side of a padded projection row such that every
 * pixel of an n x n image, and 128 columns past its right edge, maps inside it
 * with 40 samples to spare (the AVX-512 kernels' 32-sample windows). */
int xct_bp_margin(int n, int ndet, double center);

/* Apply the box constraint in place. */
void xct_box(float *x, size_t n, double lo, double hi);
/* ||v||_2 in double. */
double xct_norm2(const float *v, size_t n);
/* Golden-ratio ordering of m blocks (Kohler 2004), order[m]. */
void xct_golden_order(int m, int *order);

#endif
