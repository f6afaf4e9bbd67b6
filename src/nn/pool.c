/* 2-D max and average pooling (torch.nn.MaxPool2d / AvgPool2d, floor mode).
 *   oh = (h + 2 pad - k) / stride + 1, window rows y·stride - pad .. + k - 1.
 *   max: padding acts as -inf; the first maximum in row-major scan order wins
 *        (a NaN wins, as in PyTorch); backward sends dout to that element.
 *   avg: count_include_pad = True: divisor k² (padding counted as zeros).
 * inp [n, c, h, w], out [n, c, oh, ow]; parallel over (n, c) planes. */
#include <math.h>

#include "nn/nn_internal.h"

int ts_nn_pool2d_out(int h, int w, int k, int stride, int pad, int *oh, int *ow)
{
    if (h <= 0 || w <= 0 || k <= 0 || stride <= 0 || pad < 0)
        return ts_error_set(TS_ERR_INVAL, "nn pool: sizes, kernel and stride must be > 0");
    if (2 * pad > k)
        return ts_error_set(TS_ERR_INVAL, "nn pool: pad %d should be at most half of kernel %d", pad, k);
    if (h + 2 * pad < k || w + 2 * pad < k)
        return ts_error_set(TS_ERR_INVAL, "nn pool: kernel %d larger than padded input %dx%d", k,
                            h + 2 * pad, w + 2 * pad);
    if (oh) *oh = (h + 2 * pad - k) / stride + 1;
    if (ow) *ow = (w + 2 * pad - k) / stride + 1;
    return TS_OK;
}

/* Index in the plane of the window's maximum (-1 if the window is all padding). */
static long max_index(const float *p, int h, int w, int y0, int x0, int k)
{
    long best = -1;
    float m = -INFINITY;
    for (int i = 0; i < k; i++) {
        int iy = y0 + i;
        if (iy < 0 || iy >= h) continue;
        for (int j = 0; j < k; j++) {
            int ix = x0 + j;
            if (ix < 0 || ix >= w) continue;
            float v = p[(size_t)iy * w + ix];
            if (best < 0 || v > m || isnan(v)) {
                m = v;
                best = (long)iy * w + ix;
                if (isnan(v)) return best;
            }
        }
    }
    return best;
}

int ts_nn_maxpool2d_forward(float *out, const float *inp, int n, int c, int h, int w, int k,
                            int stride, int pad)
{
    int oh, ow;
    TS_TRY(ts_nn_pool2d_out(h, w, k, stride, pad, &oh, &ow));
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * h * w > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        const float *p = inp + (size_t)pl * h * w;
        float *o = out + (size_t)pl * oh * ow;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                long i = max_index(p, h, w, y * stride - pad, x * stride - pad, k);
                o[(size_t)y * ow + x] = i >= 0 ? p[i] : -INFINITY;
            }
    }
    return TS_OK;
}

int ts_nn_maxpool2d_backward(float *dinp, const float *dout, const float *inp, int n, int c,
                             int h, int w, int k, int stride, int pad)
{
    int oh, ow;
    TS_TRY(ts_nn_pool2d_out(h, w, k, stride, pad, &oh, &ow));
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * h * w > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        const float *p = inp + (size_t)pl * h * w;
        const float *d = dout + (size_t)pl * oh * ow;
        float *g = dinp + (size_t)pl * h * w;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                long i = max_index(p, h, w, y * stride - pad, x * stride - pad, k);
                if (i >= 0) g[i] += d[(size_t)y * ow + x];
            }
    }
    return TS_OK;
}

int ts_nn_avgpool2d_forward(float *out, const float *inp, int n, int c, int h, int w, int k,
                            int stride, int pad)
{
    int oh, ow;
    TS_TRY(ts_nn_pool2d_out(h, w, k, stride, pad, &oh, &ow));
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    const float inv = 1.0f / (float)(k * k);
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * h * w > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        const float *p = inp + (size_t)pl * h * w;
        float *o = out + (size_t)pl * oh * ow;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                float s = 0.0f;
                for (int i = 0; i < k; i++) {
                    int iy = y * stride - pad + i;
                    if (iy < 0 || iy >= h) continue;
                    for (int j = 0; j < k; j++) {
                        int ix = x * stride - pad + j;
                        if (ix >= 0 && ix < w) s += p[(size_t)iy * w + ix];
                    }
                }
                o[(size_t)y * ow + x] = s * inv;
            }
    }
    return TS_OK;
}

int ts_nn_avgpool2d_backward(float *dinp, const float *dout, int n, int c, int h, int w, int k,
                             int stride, int pad)
{
    int oh, ow;
    TS_TRY(ts_nn_pool2d_out(h, w, k, stride, pad, &oh, &ow));
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    const float inv = 1.0f / (float)(k * k);
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * h * w > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        const float *d = dout + (size_t)pl * oh * ow;
        float *g = dinp + (size_t)pl * h * w;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                float v = d[(size_t)y * ow + x] * inv;
                for (int i = 0; i < k; i++) {
                    int iy = y * stride - pad + i;
                    if (iy < 0 || iy >= h) continue;
                    for (int j = 0; j < k; j++) {
                        int ix = x * stride - pad + j;
                        if (ix >= 0 && ix < w) g[(size_t)iy * w + ix] += v;
                    }
                }
            }
    }
    return TS_OK;
}
