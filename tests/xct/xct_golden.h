/* Reading the scikit-image / scikit-learn goldens (tests/oracles/xct). */
#ifndef XCT_GOLDEN_H
#define XCT_GOLDEN_H
#include <stdlib.h>
#include "tinsel/core.h"

#define XCT_GOLDEN TS_SOURCE_DIR "/tests/oracles/xct/goldens_xct.h5"

/* malloc'd float array of the whole dataset (NULL on error); *n its size. */
static inline float *golden_f32(const char *name, size_t *n)
{
    int rank;
    size_t d[8], tot = 1;
    if (ts_h5_info(XCT_GOLDEN, name, &rank, d)) return NULL;
    for (int i = 0; i < rank; i++) tot *= d[i];
    float *v = malloc(tot * sizeof *v);
    if (v && ts_h5_read_f32(XCT_GOLDEN, name, NULL, NULL, v)) {
        free(v);
        return NULL;
    }
    if (n) *n = tot;
    return v;
}

static inline double *golden_f64(const char *name, size_t *n)
{
    int rank;
    size_t d[8], tot = 1;
    if (ts_h5_info(XCT_GOLDEN, name, &rank, d)) return NULL;
    for (int i = 0; i < rank; i++) tot *= d[i];
    double *v = malloc(tot * sizeof *v);
    if (v && ts_h5_read_f64(XCT_GOLDEN, name, NULL, NULL, v)) {
        free(v);
        return NULL;
    }
    if (n) *n = tot;
    return v;
}
#endif
