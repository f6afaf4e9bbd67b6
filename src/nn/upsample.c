/* Bilinear resampling with PyTorch's F.interpolate(mode="bilinear", size=...)
 * index rule (aten/src/ATen/native/UpSample.h, area_pixel_compute_source_index):
 *   align_corners: scale = (in-1)/(out-1) (0 if out = 1), src = scale·dst
 *   otherwise:     scale = in/out,  src = max(scale (dst + ½) - ½, 0)
 *   i0 = ⌊src⌋, i1 = i0 + (i0 < in-1), λ = src - i0;
 *   y = (1-λy)[(1-λx) x(i0,j0) + λx x(i0,j1)] + λy[(1-λx) x(i1,j0) + λx x(i1,j1)]
 * Index arithmetic in float as PyTorch does for float tensors.
 * inp [n, c, h, w] -> out [n, c, oh, ow]; backward scatters the same weights. */
#include "nn/nn_internal.h"

#include <stdlib.h>

typedef struct {
    int i0, i1;
    float l0, l1;
} ts_nn_lerp;

static void lerp_table(ts_nn_lerp *t, int in, int out, int align_corners)
{
    float scale;
    if (align_corners)
        scale = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    else
        scale = (float)in / (float)out;
    for (int o = 0; o < out; o++) {
        float src;
        if (align_corners)
            src = scale * (float)o;
        else {
            src = scale * ((float)o + 0.5f) - 0.5f;
            if (src < 0.0f) src = 0.0f;
        }
        int i0 = (int)src;
        if (i0 > in - 1) i0 = in - 1;
        t[o].i0 = i0;
        t[o].i1 = i0 + (i0 < in - 1 ? 1 : 0);
        t[o].l1 = src - (float)i0;
        t[o].l0 = 1.0f - t[o].l1;
    }
}

static int tables(int h, int w, int oh, int ow, int ac, ts_nn_lerp **ty, ts_nn_lerp **tx)
{
    if (h <= 0 || w <= 0 || oh <= 0 || ow <= 0)
        return ts_error_set(TS_ERR_INVAL, "nn upsample: sizes must be > 0 (%dx%d -> %dx%d)", h, w, oh, ow);
    *ty = malloc((size_t)oh * sizeof **ty);
    *tx = malloc((size_t)ow * sizeof **tx);
    if (!*ty || !*tx) {
        free(*ty);
        free(*tx);
        return ts_error_set(TS_ERR_NOMEM, "nn upsample: out of memory");
    }
    lerp_table(*ty, h, oh, ac);
    lerp_table(*tx, w, ow, ac);
    return TS_OK;
}

int ts_nn_upsample_bilinear_forward(float *out, const float *inp, int n, int c, int h, int w,
                                    int oh, int ow, int align_corners)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    ts_nn_lerp *ty, *tx;
    TS_TRY(tables(h, w, oh, ow, align_corners, &ty, &tx));
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * oh * ow > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        const float *p = inp + (size_t)pl * h * w;
        float *o = out + (size_t)pl * oh * ow;
        for (int y = 0; y < oh; y++) {
            const float *r0 = p + (size_t)ty[y].i0 * w, *r1 = p + (size_t)ty[y].i1 * w;
            float a0 = ty[y].l0, a1 = ty[y].l1;
            for (int x = 0; x < ow; x++) {
                int j0 = tx[x].i0, j1 = tx[x].i1;
                float b0 = tx[x].l0, b1 = tx[x].l1;
                o[(size_t)y * ow + x] = a0 * (b0 * r0[j0] + b1 * r0[j1]) + a1 * (b0 * r1[j0] + b1 * r1[j1]);
            }
        }
    }
    free(ty);
    free(tx);
    return TS_OK;
}

int ts_nn_upsample_bilinear_backward(float *dinp, const float *dout, int n, int c, int h, int w,
                                     int oh, int ow, int align_corners)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    ts_nn_lerp *ty, *tx;
    TS_TRY(tables(h, w, oh, ow, align_corners, &ty, &tx));
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * oh * ow > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        float *g = dinp + (size_t)pl * h * w;
        const float *d = dout + (size_t)pl * oh * ow;
        for (int y = 0; y < oh; y++) {
            float *r0 = g + (size_t)ty[y].i0 * w, *r1 = g + (size_t)ty[y].i1 * w;
            float a0 = ty[y].l0, a1 = ty[y].l1;
            for (int x = 0; x < ow; x++) {
                int j0 = tx[x].i0, j1 = tx[x].i1;
                float b0 = tx[x].l0, b1 = tx[x].l1, v = d[(size_t)y * ow + x];
                r0[j0] += a0 * b0 * v;
                r0[j1] += a0 * b1 * v;
                r1[j0] += a1 * b0 * v;
                r1[j1] += a1 * b1 * v;
            }
        }
    }
    free(ty);
    free(tx);
    return TS_OK;
}
