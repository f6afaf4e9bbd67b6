/* Convolution (2-D and 3-D), the fast path: im2col + OpenBLAS sgemm.
 *
 * torch.nn.Conv2d/Conv3d (cross-correlation, zero padding, no dilation, groups 1):
 *   out[n,o,z,y,x] = b[o] + Σ_{c,a,i,j} W[o,c,a,i,j] inp[n,c, z sd - pd + a, y sh - ph + i, x sw - pw + j]
 * Per image the input is unrolled into col [c kd kh kw, od oh ow] so that
 *   out_n [oc, osp] = W [oc, ckk] · col [ckk, osp]                (forward)
 *   dW    [oc, ckk] += dout_n [oc, osp] · colᵀ                    (weight gradient)
 *   dcol  [ckk, osp] = Wᵀ · dout_n, folded back by col2im          (input gradient)
 * 1x1 stride-1 unpadded convolutions skip the unrolling (col = inp_n).
 * The reference kernel (conv_ref.c) is the definition this is tested against.
 */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

static int conv_check(const ts_nn_conv_shape *s)
{
    TS_NN_CHECK_PTR(s);
    if (s->n <= 0 || s->c <= 0 || s->d <= 0 || s->h <= 0 || s->w <= 0 || s->oc <= 0 ||
        s->kd <= 0 || s->kh <= 0 || s->kw <= 0 || s->sd <= 0 || s->sh <= 0 || s->sw <= 0 ||
        s->pd < 0 || s->ph < 0 || s->pw < 0)
        return ts_error_set(TS_ERR_INVAL, "nn conv: sizes, kernel and stride must be > 0, padding >= 0");
    long od = ((long)s->d + 2L * s->pd - s->kd) / s->sd + 1;
    long oh = ((long)s->h + 2L * s->ph - s->kh) / s->sh + 1;
    long ow = ((long)s->w + 2L * s->pw - s->kw) / s->sw + 1;
    if (s->d + 2L * s->pd < s->kd || s->h + 2L * s->ph < s->kh || s->w + 2L * s->pw < s->kw ||
        od <= 0 || oh <= 0 || ow <= 0)
        return ts_error_set(TS_ERR_INVAL, "nn conv: kernel %dx%dx%d larger than padded input %ldx%ldx%ld",
                            s->kd, s->kh, s->kw, s->d + 2L * s->pd, s->h + 2L * s->ph, s->w + 2L * s->pw);
    if (od != s->od || oh != s->oh || ow != s->ow)
        return ts_error_set(TS_ERR_INVAL, "nn conv: output size not set (use ts_nn_conv2d_shape/3d_shape)");
    return TS_OK;
}

/* Used by conv_ref.c as well. */
int ts_nn_conv_check_(const ts_nn_conv_shape *s) { return conv_check(s); }

static void conv_set_out(ts_nn_conv_shape *s)
{
    s->od = (s->d + 2 * s->pd - s->kd) / s->sd + 1;
    s->oh = (s->h + 2 * s->ph - s->kh) / s->sh + 1;
    s->ow = (s->w + 2 * s->pw - s->kw) / s->sw + 1;
}

int ts_nn_conv2d_shape(ts_nn_conv_shape *s, int n, int c, int h, int w, int oc, int kh, int kw,
                       int sh, int sw, int ph, int pw)
{
    TS_NN_CHECK_PTR(s);
    ts_nn_conv_shape t = {n, c, 1, h, w, oc, 1, kh, kw, 1, sh, sw, 0, ph, pw, 0, 0, 0};
    if (n > 0 && c > 0 && h > 0 && w > 0 && kh > 0 && kw > 0 && sh > 0 && sw > 0 && ph >= 0 && pw >= 0)
        conv_set_out(&t);
    *s = t;
    return conv_check(s);
}

int ts_nn_conv3d_shape(ts_nn_conv_shape *s, int n, int c, int d, int h, int w, int oc, int k,
                       int stride, int pad)
{
    TS_NN_CHECK_PTR(s);
    ts_nn_conv_shape t = {n, c, d, h, w, oc, k, k, k, stride, stride, stride, pad, pad, pad, 0, 0, 0};
    if (n > 0 && c > 0 && d > 0 && h > 0 && w > 0 && k > 0 && stride > 0 && pad >= 0)
        conv_set_out(&t);
    *s = t;
    return conv_check(s);
}

size_t ts_nn_conv_out_numel(const ts_nn_conv_shape *s)
{
    return (size_t)s->n * s->oc * s->od * s->oh * s->ow;
}

static int conv_is_pointwise(const ts_nn_conv_shape *s)
{
    return s->kd == 1 && s->kh == 1 && s->kw == 1 && s->sd == 1 && s->sh == 1 && s->sw == 1 &&
           s->pd == 0 && s->ph == 0 && s->pw == 0;
}

/* inp [c, d, h, w] -> col [c kd kh kw, od oh ow] (zeros outside the input). */
static void im2col(const ts_nn_conv_shape *s, const float *inp, float *col)
{
    const int rows = s->c * s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    TS_NN_OMP(parallel for schedule(static) if (rows * osp > TS_NN_PAR_MIN))
    for (int r = 0; r < rows; r++) {
        int e = r % s->kw, b = (r / s->kw) % s->kh, a = (r / (s->kw * s->kh)) % s->kd;
        int ci = r / (s->kw * s->kh * s->kd);
        const float *ip = inp + (size_t)ci * isp;
        float *cp = col + (size_t)r * osp;
        for (int z = 0; z < s->od; z++) {
            int iz = z * s->sd - s->pd + a;
            for (int y = 0; y < s->oh; y++) {
                int iy = y * s->sh - s->ph + b;
                float *crow = cp + ((size_t)z * s->oh + y) * s->ow;
                if (iz < 0 || iz >= s->d || iy < 0 || iy >= s->h) {
                    memset(crow, 0, (size_t)s->ow * sizeof(float));
                    continue;
                }
                const float *irow = ip + ((size_t)iz * s->h + iy) * s->w;
                if (s->sw == 1) {
                    int x0 = s->pw - e; /* first x with ix >= 0 */
                    for (int x = 0; x < s->ow; x++) {
                        int ix = x - x0;
                        crow[x] = (ix >= 0 && ix < s->w) ? irow[ix] : 0.0f;
                    }
                } else {
                    for (int x = 0; x < s->ow; x++) {
                        int ix = x * s->sw - s->pw + e;
                        crow[x] = (ix >= 0 && ix < s->w) ? irow[ix] : 0.0f;
                    }
                }
            }
        }
    }
}

/* dinp [c, d, h, w] += fold(dcol [c kd kh kw, od oh ow]); parallel over channels
 * (each channel's rows only touch its own plane: no races, fixed order). */
static void col2im_add(const ts_nn_conv_shape *s, const float *dcol, float *dinp)
{
    const int kk = s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    TS_NN_OMP(parallel for schedule(static) if ((size_t)s->c * kk * osp > TS_NN_PAR_MIN))
    for (int ci = 0; ci < s->c; ci++) {
        float *ip = dinp + (size_t)ci * isp;
        for (int k = 0; k < kk; k++) {
            int e = k % s->kw, b = (k / s->kw) % s->kh, a = k / (s->kw * s->kh);
            const float *cp = dcol + ((size_t)ci * kk + k) * osp;
            for (int z = 0; z < s->od; z++) {
                int iz = z * s->sd - s->pd + a;
                if (iz < 0 || iz >= s->d) continue;
                for (int y = 0; y < s->oh; y++) {
                    int iy = y * s->sh - s->ph + b;
                    if (iy < 0 || iy >= s->h) continue;
                    const float *crow = cp + ((size_t)z * s->oh + y) * s->ow;
                    float *irow = ip + ((size_t)iz * s->h + iy) * s->w;
                    for (int x = 0; x < s->ow; x++) {
                        int ix = x * s->sw - s->pw + e;
                        if (ix >= 0 && ix < s->w) irow[ix] += crow[x];
                    }
                }
            }
        }
    }
}

int ts_nn_conv_forward(const ts_nn_conv_shape *s, float *out, const float *inp,
                       const float *weight, const float *bias)
{
    TS_TRY(conv_check(s));
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    const int ckk = s->c * s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    const int pointwise = conv_is_pointwise(s);
    float *col = NULL;
    if (!pointwise) {
        col = malloc((size_t)ckk * osp * sizeof(float));
        TS_CHECK_ALLOC(col);
    }
    for (int n = 0; n < s->n; n++) {
        const float *in_n = inp + (size_t)n * s->c * isp;
        float *out_n = out + (size_t)n * s->oc * osp;
        const float *B = in_n;
        if (!pointwise) {
            im2col(s, in_n, col);
            B = col;
        }
        float beta = 0.0f;
        if (bias) {
            TS_NN_OMP(parallel for schedule(static) if ((size_t)s->oc * osp > TS_NN_PAR_MIN))
            for (int o = 0; o < s->oc; o++)
                for (size_t i = 0; i < osp; i++) out_n[(size_t)o * osp + i] = bias[o];
            beta = 1.0f;
        }
        ts_nn_sgemm(0, 0, s->oc, (int)osp, ckk, 1.0f, weight, ckk, B, (int)osp, beta, out_n, (int)osp);
    }
    free(col);
    return TS_OK;
}

int ts_nn_conv_backward(const ts_nn_conv_shape *s, float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight)
{
    TS_TRY(conv_check(s));
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    TS_NN_CHECK_PTR(dweight);
    const int ckk = s->c * s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    const int pointwise = conv_is_pointwise(s);
    float *col = NULL, *dcol = NULL;
    if (!pointwise) {
        col = malloc((size_t)ckk * osp * sizeof(float));
        dcol = dinp ? malloc((size_t)ckk * osp * sizeof(float)) : NULL;
        if (!col || (dinp && !dcol)) {
            free(col);
            free(dcol);
            return ts_error_set(TS_ERR_NOMEM, "nn conv backward: cannot allocate %zu floats",
                                (size_t)ckk * osp);
        }
    }
    if (dbias) {
        /* fixed order: image-major sum per channel, in double */
        TS_NN_OMP(parallel for schedule(static) if ((size_t)s->n * s->oc * osp > TS_NN_PAR_MIN))
        for (int o = 0; o < s->oc; o++) {
            double acc = 0.0;
            for (int n = 0; n < s->n; n++) {
                const float *p = dout + ((size_t)n * s->oc + o) * osp;
                for (size_t i = 0; i < osp; i++) acc += p[i];
            }
            dbias[o] += (float)acc;
        }
    }
    for (int n = 0; n < s->n; n++) {
        const float *in_n = inp + (size_t)n * s->c * isp;
        const float *dout_n = dout + (size_t)n * s->oc * osp;
        const float *B = in_n;
        if (!pointwise) {
            im2col(s, in_n, col);
            B = col;
        }
        ts_nn_sgemm(0, 1, s->oc, ckk, (int)osp, 1.0f, dout_n, (int)osp, B, (int)osp, 1.0f, dweight, ckk);
        if (dinp) {
            float *dinp_n = dinp + (size_t)n * s->c * isp;
            if (pointwise) {
                ts_nn_sgemm(1, 0, ckk, (int)osp, s->oc, 1.0f, weight, ckk, dout_n, (int)osp, 1.0f, dinp_n, (int)osp);
            } else {
                ts_nn_sgemm(1, 0, ckk, (int)osp, s->oc, 1.0f, weight, ckk, dout_n, (int)osp, 0.0f, dcol, (int)osp);
                col2im_add(s, dcol, dinp_n);
            }
        }
    }
    free(col);
    free(dcol);
    return TS_OK;
}
