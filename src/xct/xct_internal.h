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

/* Apply the box constraint in place. */
void xct_box(float *x, size_t n, double lo, double hi);
/* ||v||_2 in double. */
double xct_norm2(const float *v, size_t n);
/* Golden-ratio ordering of m blocks (Kohler 2004), order[m]. */
void xct_golden_order(int m, int *order);

#endif
