/* Grey image stacks: allocation, access, conversion from float fields. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

size_t ts_dtype_size(ts_dtype t) { return t == TS_U8 ? 1 : t == TS_U16 ? 2 : 4; }

ts_image *ts_image_create(int width, int height, int pages, ts_dtype dtype)
{
    if (width <= 0 || height <= 0 || pages <= 0) return NULL;
    if (dtype != TS_U8 && dtype != TS_U16 && dtype != TS_F32) return NULL;
    ts_image *im = malloc(sizeof *im);
    if (!im) return NULL;
    im->width = width;
    im->height = height;
    im->pages = pages;
    im->dtype = dtype;
    im->data = calloc((size_t)width * (size_t)height * (size_t)pages, ts_dtype_size(dtype));
    if (!im->data) {
        free(im);
        return NULL;
    }
    return im;
}

void ts_image_destroy(ts_image *im)
{
    if (!im) return;
    free(im->data);
    free(im);
}

double ts_image_get(const ts_image *im, int page, int row, int col)
{
    size_t i = ((size_t)page * (size_t)im->height + (size_t)row) * (size_t)im->width + (size_t)col;
    switch (im->dtype) {
    case TS_U8: return ((const uint8_t *)im->data)[i];
    case TS_U16: return ((const uint16_t *)im->data)[i];
    default: return ((const float *)im->data)[i];
    }
}

ts_image *ts_image_from_f32(const float *v, int width, int height, ts_dtype dtype, double lo, double hi)
{
    if (dtype != TS_U8 && dtype != TS_U16) return NULL;
    ts_image *im = ts_image_create(width, height, 1, dtype);
    if (!im) return NULL;
    size_t n = (size_t)width * (size_t)height;
    if (lo == hi) {
        lo = INFINITY;
        hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(v[i])) continue;
            if (v[i] < lo) lo = v[i];
            if (v[i] > hi) hi = v[i];
        }
        if (!(hi > lo)) {
            lo = isfinite(lo) ? lo : 0;
            hi = lo + 1;
        }
    }
    double maxv = dtype == TS_U8 ? 255 : 65535;
    for (size_t i = 0; i < n; i++) {
        double t = isfinite(v[i]) ? (v[i] - lo) / (hi - lo) : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double q = floor(t * maxv + 0.5);
        if (dtype == TS_U8)
            ((uint8_t *)im->data)[i] = (uint8_t)q;
        else
            ((uint16_t *)im->data)[i] = (uint16_t)q;
    }
    return im;
}
