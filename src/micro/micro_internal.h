/* Private helpers of the micro engine. */
#ifndef TS_MICRO_INTERNAL_H
#define TS_MICRO_INTERNAL_H

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#include <stddef.h>
#include <stdint.h>

#include "tinsel/core.h"
#include "tinsel/micro.h"

/* Scales of the filter bank (pixels). */
#define TS_MICRO_NSCALES 5
extern const double ts_micro_scales[TS_MICRO_NSCALES];

/* scipy.ndimage 'reflect' index (half-sample symmetric), any i. */
static inline int ts_micro_reflect(int i, int n)
{
    if (n == 1) return 0;
    int p = 2 * n;
    i %= p;
    if (i < 0) i += p;
    return i < n ? i : p - 1 - i;
}

/* 1-D sampled Gaussian derivative kernel as scipy's _gaussian_kernel1d:
 * k[0..2r], r = (int)(4 sigma + 0.5).  Caller frees. */
double *ts_micro_gauss_kernel(double sigma, int order, int *radius);

/* Convolution along an axis with a given kernel (fast: OpenMP + border
 * table; ref: per-tap reflect). */
void ts_micro_conv1d(const float *in, float *out, int w, int h, const double *k, int r, int axis);
void ts_micro_conv1d_ref(const float *in, float *out, int w, int h, const double *k, int r,
                         int axis);

/* Prior shift: every leaf's class fractions v_c -> v_c w_c / Σ v w
 * (used to undo class-balanced sampling). */
int ts_micro_forest_reweight(ts_micro_forest *f, const double *wc);

#endif
