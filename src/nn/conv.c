/* Convolution (2-D and 3-D), the fast path: im2col + OpenBLAS sgemm.
 *
 * torch.nn.Conv2d/Conv3d (cross-correlation, zero padding, no dilation, groups 1):
 *   out[n,o,z,y,x] = b[o] + Σ_{c,a,i,j} W[o,c,a,i,j] inp[n,c, z sd - pd + a, y sh - ph + i, x sw - pw + j]
 * Per image the input is unrolled into col [c kd kh kw, od oh ow] so that
 *   out_n [oc, osp] = W [oc, ckk] · col [ckk, osp]                (forward)
 *   dW    [oc, ckk] += dout_n [oc, osp] · colᵀ                    (weight gradient)
 *   dcol  [ckk, osp] = Wᵀ · dout_n, folded back by col2im          (input gradient)
 * For stride 1 the input gradient is instead the forward convolution of dout
 * with the flipped, channel-swapped kernel (conv_backward_data_s1).
 * 1x1 stride-1 unpadded convolutions skip the unrolling (col = inp_n).
 * Threading: one OpenMP team calling single-threaded sgemm, so no two thread
 * pools alternate. Forward: thread t owns the output positions [j0, j1) of every
 * image (a contiguous column block of col) and unrolls just that block.
 * Backward: with at least as many images as threads, each thread takes whole
 * images (no barriers); otherwise column blocks, with a barrier before dcol is
 * folded in parallel over channels. Weight gradients go to per-thread partials
 * summed in thread order: results are deterministic for a given thread count.
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

/* Output positions x in [*xa, *xb) read an input column inside [0, w) for tap e. */
static void valid_range(int w, int ow, int sw, int pw, int e, int *xa, int *xb)
{
    int lo = pw - e, hi = w - 1 + pw - e; /* need lo <= x sw <= hi */
    int a = lo > 0 ? (lo + sw - 1) / sw : 0;
    int b = hi >= 0 ? hi / sw + 1 : 0;
    if (b > ow) b = ow;
    if (a > b) a = b;
    *xa = a;
    *xb = b;
}

/* col [ckk, len] = columns j0 .. j0+len-1 of the unrolled image inp [c, d, h, w]
 * (zeros where a tap falls in the padding). */
static void im2col_range(const ts_nn_conv_shape *s, const float *inp, size_t j0, size_t len, float *col)
{
    const int rows = s->c * s->kd * s->kh * s->kw;
    const size_t isp = (size_t)s->d * s->h * s->w;
    for (int r = 0; r < rows; r++) {
        int e = r % s->kw, b = (r / s->kw) % s->kh, a = (r / (s->kw * s->kh)) % s->kd;
        int ci = r / (s->kw * s->kh * s->kd), xa, xb;
        valid_range(s->w, s->ow, s->sw, s->pw, e, &xa, &xb);
        const float *ip = inp + (size_t)ci * isp;
        float *cp = col + (size_t)r * len;
        size_t p = j0, k = 0;
        int x = (int)(p % (size_t)s->ow), y = (int)((p / (size_t)s->ow) % (size_t)s->oh);
        int z = (int)(p / ((size_t)s->ow * s->oh));
        while (k < len) {
            int run = s->ow - x;
            if ((size_t)run > len - k) run = (int)(len - k);
            int iz = z * s->sd - s->pd + a, iy = y * s->sh - s->ph + b;
            float *dst = cp + k;
            if (iz < 0 || iz >= s->d || iy < 0 || iy >= s->h) {
                memset(dst, 0, (size_t)run * sizeof(float));
            } else {
                const float *irow = ip + ((size_t)iz * s->h + iy) * s->w;
                int qa = xa - x, qb = xb - x; /* valid q in [qa, qb) within [0, run) */
                if (qa < 0) qa = 0;
                if (qb > run) qb = run;
                if (qb < qa) qb = qa;
                for (int q = 0; q < qa; q++) dst[q] = 0.0f;
                if (s->sw == 1) {
                    if (qb > qa) memcpy(dst + qa, irow + (x + qa) - s->pw + e, (size_t)(qb - qa) * sizeof(float));
                } else {
                    const float *src = irow + (ptrdiff_t)(x + qa) * s->sw - s->pw + e;
                    for (int q = qa; q < qb; q++, src += s->sw) dst[q] = *src;
                }
                for (int q = qb; q < run; q++) dst[q] = 0.0f;
            }
            k += (size_t)run;
            x = 0;
            if (++y == s->oh) {
                y = 0;
                z++;
            }
        }
    }
}

/* dinp [c, d, h, w] += fold(dcol [c kd kh kw, od oh ow]), the rows of channel ci only. */
static void col2im_add(const ts_nn_conv_shape *s, const float *dcol, float *dinp, int ci)
{
    const int kk = s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    float *ip = dinp + (size_t)ci * isp;
    for (int k = 0; k < kk; k++) {
        int e = k % s->kw, b = (k / s->kw) % s->kh, a = k / (s->kw * s->kh), xa, xb;
        valid_range(s->w, s->ow, s->sw, s->pw, e, &xa, &xb);
        const float *cp = dcol + ((size_t)ci * kk + k) * osp;
        for (int z = 0; z < s->od; z++) {
            int iz = z * s->sd - s->pd + a;
            if (iz < 0 || iz >= s->d) continue;
            for (int y = 0; y < s->oh; y++) {
                int iy = y * s->sh - s->ph + b;
                if (iy < 0 || iy >= s->h) continue;
                const float *crow = cp + ((size_t)z * s->oh + y) * s->ow;
                float *irow = ip + ((size_t)iz * s->h + iy) * s->w - s->pw + e;
                if (s->sw == 1)
                    for (int x = xa; x < xb; x++) irow[x] += crow[x];
                else
                    for (int x = xa; x < xb; x++) irow[(ptrdiff_t)x * s->sw] += crow[x];
            }
        }
    }
}

/* Contiguous share [*j0, *j1) of n items for thread t of nt. */
static void split(size_t n, int t, int nt, size_t *j0, size_t *j1)
{
    size_t q = n / (size_t)nt, r = n % (size_t)nt;
    *j0 = (size_t)t * q + ((size_t)t < r ? (size_t)t : r);
    *j1 = *j0 + q + ((size_t)t < r ? 1 : 0);
}

/* Threads for a convolution: 1 when the work is too small to pay for a team. */
static int conv_threads(const ts_nn_conv_shape *s)
{
    double flops = 2.0 * s->n * s->oc * (double)s->od * s->oh * s->ow * s->c * s->kd * s->kh * s->kw;
    int t = ts_nn_get_threads();
    return flops < 2e5 ? 1 : t;
}

/* out = conv(inp) + bias, or out += conv(inp) when accumulate (bias ignored). */
static int conv_forward_impl(const ts_nn_conv_shape *s, float *out, const float *inp, const float *weight,
                             const float *bias, int accumulate)
{
    const int ckk = s->c * s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    const int pointwise = conv_is_pointwise(s);
    const int T = conv_threads(s);
    if (ts_nn_conv_direct_ok_(s)) return ts_nn_conv_direct_forward_(s, out, inp, weight, bias, accumulate, T);
    const size_t chunk = (osp + (size_t)T - 1) / (size_t)T;
    float *cols = NULL;
    if (!pointwise) {
        cols = malloc((size_t)T * ckk * chunk * sizeof(float));
        TS_CHECK_ALLOC(cols);
    }
    TS_NN_OMP(parallel num_threads(T))
    {
        int t = ts_nn_thread_id_(), nt = ts_nn_team_size_();
        size_t j0, j1;
        split(osp, t, nt, &j0, &j1);
        const size_t len = j1 - j0;
        float *col = cols ? cols + (size_t)t * ckk * chunk : NULL;
        for (int n = 0; n < s->n && len > 0; n++) {
            const float *in_n = inp + (size_t)n * s->c * isp;
            float *out_n = out + (size_t)n * s->oc * osp + j0;
            const float *B = in_n + j0;
            int ldb = (int)osp;
            if (!pointwise) {
                im2col_range(s, in_n, j0, len, col);
                B = col;
                ldb = (int)len;
            }
            float beta = accumulate ? 1.0f : 0.0f;
            if (bias && !accumulate) {
                for (int o = 0; o < s->oc; o++)
                    for (size_t i = 0; i < len; i++) out_n[(size_t)o * osp + i] = bias[o];
                beta = 1.0f;
            }
            ts_nn_sgemm(0, 0, s->oc, (int)len, ckk, 1.0f, weight, ckk, B, ldb, beta, out_n, (int)osp);
        }
    }
    free(cols);
    return TS_OK;
}

int ts_nn_conv_forward(const ts_nn_conv_shape *s, float *out, const float *inp,
                       const float *weight, const float *bias)
{
    TS_TRY(conv_check(s));
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    ts_nn_threads_init_();
    return conv_forward_impl(s, out, inp, weight, bias, 0);
}

/* Stride-1 input gradient as a forward convolution ("full" correlation with the
 * flipped, channel-swapped kernel):
 *   dinp[n,c,z,y,x] = Σ_{o,a,i,j} W[o,c,a,i,j] dout[n,o, z+pd-a, y+ph-i, x+pw-j]
 *                   = conv(dout, W')[n,c,z,y,x],  W'[c,o,a',i',j'] = W[o,c,kd-1-a',kh-1-i',kw-1-j'],
 * padding k-1-p; same output size as the input. An unrolled gather with K = oc·k³
 * instead of a K = oc product followed by a col2im scatter. */
static int conv_backward_data_s1(const ts_nn_conv_shape *s, float *dinp, const float *dout, const float *weight)
{
    ts_nn_conv_shape t = {s->n, s->oc, s->od, s->oh, s->ow, s->c, s->kd, s->kh, s->kw, 1, 1, 1,
                          s->kd - 1 - s->pd, s->kh - 1 - s->ph, s->kw - 1 - s->pw, s->d, s->h, s->w};
    const int kk = s->kd * s->kh * s->kw;
    float *wf = malloc((size_t)s->oc * s->c * kk * sizeof(float));
    TS_CHECK_ALLOC(wf);
    for (int o = 0; o < s->oc; o++)
        for (int c = 0; c < s->c; c++)
            for (int k = 0; k < kk; k++)
                wf[((size_t)c * s->oc + o) * kk + (kk - 1 - k)] = weight[((size_t)o * s->c + c) * kk + k];
    int rc = conv_forward_impl(&t, dinp, dout, wf, NULL, 1);
    free(wf);
    return rc;
}

/* Σ p[i] in double (simd: vector-width interleaved order, fixed per CPU) */
TS_NN_CLONES double ts_nn_sum_double_(const float *p, size_t n)
{
    double acc = 0.0;
    TS_NN_OMP(simd reduction(+ : acc))
    for (size_t i = 0; i < n; i++) acc += p[i];
    return acc;
}

/* dbias[o] += Σ_{n,p} dout[n,o,p]: fixed order, image-major per channel, in double */
static void conv_bias_grad(const ts_nn_conv_shape *s, float *dbias, const float *dout, int T)
{
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    TS_NN_OMP(parallel for schedule(static) num_threads(T))
    for (int o = 0; o < s->oc; o++) {
        double acc = 0.0;
        for (int n = 0; n < s->n; n++) acc += ts_nn_sum_double_(dout + ((size_t)n * s->oc + o) * osp, osp);
        dbias[o] += (float)acc;
    }
}

int ts_nn_conv_backward(const ts_nn_conv_shape *s, float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight)
{
    TS_TRY(conv_check(s));
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    TS_NN_CHECK_PTR(dweight);
    ts_nn_threads_init_();
    const int ckk = s->c * s->kd * s->kh * s->kw;
    const size_t osp = (size_t)s->od * s->oh * s->ow;
    const size_t isp = (size_t)s->d * s->h * s->w;
    const size_t nw = (size_t)s->oc * ckk;
    const int pointwise = conv_is_pointwise(s);
    const int T = conv_threads(s);
    const size_t chunk = (osp + (size_t)T - 1) / (size_t)T;
    /* Batch-parallel when there are at least as many images as threads (each
     * thread unrolls, multiplies and folds whole images: no barriers); else
     * column blocks of each image with a barrier before the fold. */
    const int by_image = s->n >= T;
    /* stride 1 with padding < kernel: input gradient as a forward convolution */
    const int data_s1 = dinp && !pointwise && s->sd == 1 && s->sh == 1 && s->sw == 1 && s->pd < s->kd &&
                        s->ph < s->kh && s->pw < s->kw;
    if (data_s1) {
        TS_TRY(conv_backward_data_s1(s, dinp, dout, weight));
        dinp = NULL; /* done */
    }
    if (ts_nn_conv_direct_ok_(s)) /* weight (and bias) gradient without im2col (conv_direct.c) */
        return ts_nn_conv_direct_backward_weight_(s, dweight, dbias, dout, inp, T);
    const size_t colsz = by_image ? (size_t)ckk * osp : (size_t)ckk * chunk;
    float *cols = NULL, *dcol = NULL;
    float *dwp = calloc((size_t)T * nw, sizeof(float)); /* per-thread weight-gradient partials */
    if (!pointwise) {
        cols = malloc((size_t)T * colsz * sizeof(float));
        if (dinp) dcol = malloc((by_image ? (size_t)T : 1) * (size_t)ckk * osp * sizeof(float));
    }
    if (!dwp || (!pointwise && (!cols || (dinp && !dcol)))) {
        free(dwp);
        free(cols);
        free(dcol);
        return ts_error_set(TS_ERR_NOMEM, "nn conv backward: cannot allocate workspace (%zu floats)",
                            (size_t)ckk * osp);
    }
    if (dbias) conv_bias_grad(s, dbias, dout, T);
    if (by_image) {
        TS_NN_OMP(parallel num_threads(T))
        {
            int t = ts_nn_thread_id_(), nt = ts_nn_team_size_();
            size_t n0, n1;
            split((size_t)s->n, t, nt, &n0, &n1);
            float *col = cols ? cols + (size_t)t * colsz : NULL;
            float *dc = dcol ? dcol + (size_t)t * ckk * osp : NULL;
            float *dw = dwp + (size_t)t * nw;
            for (size_t n = n0; n < n1; n++) {
                const float *in_n = inp + n * s->c * isp;
                const float *dout_n = dout + n * s->oc * osp;
                float *dinp_n = dinp ? dinp + n * s->c * isp : NULL;
                const float *B = in_n;
                if (!pointwise) {
                    im2col_range(s, in_n, 0, osp, col);
                    B = col;
                }
                ts_nn_sgemm(0, 1, s->oc, ckk, (int)osp, 1.0f, dout_n, (int)osp, B, (int)osp, 1.0f, dw, ckk);
                if (dinp && pointwise)
                    ts_nn_sgemm(1, 0, ckk, (int)osp, s->oc, 1.0f, weight, ckk, dout_n, (int)osp, 1.0f, dinp_n,
                                (int)osp);
                else if (dinp) {
                    ts_nn_sgemm(1, 0, ckk, (int)osp, s->oc, 1.0f, weight, ckk, dout_n, (int)osp, 0.0f, dc, (int)osp);
                    for (int ci = 0; ci < s->c; ci++) col2im_add(s, dc, dinp_n, ci);
                }
            }
        }
    } else {
        TS_NN_OMP(parallel num_threads(T))
        {
            int t = ts_nn_thread_id_(), nt = ts_nn_team_size_();
            size_t j0, j1;
            split(osp, t, nt, &j0, &j1);
            const size_t len = j1 - j0;
            float *col = cols ? cols + (size_t)t * colsz : NULL;
            float *dw = dwp + (size_t)t * nw;
            for (int n = 0; n < s->n; n++) {
                const float *in_n = inp + (size_t)n * s->c * isp;
                const float *dout_n = dout + (size_t)n * s->oc * osp + j0;
                if (len > 0) {
                    const float *B = in_n + j0;
                    int ldb = (int)osp;
                    if (!pointwise) {
                        im2col_range(s, in_n, j0, len, col);
                        B = col;
                        ldb = (int)len;
                    }
                    ts_nn_sgemm(0, 1, s->oc, ckk, (int)len, 1.0f, dout_n, (int)osp, B, ldb, 1.0f, dw, ckk);
                    if (dinp && pointwise)
                        ts_nn_sgemm(1, 0, ckk, (int)len, s->oc, 1.0f, weight, ckk, dout_n, (int)osp, 1.0f,
                                    dinp + (size_t)n * s->c * isp + j0, (int)osp);
                    else if (dinp)
                        ts_nn_sgemm(1, 0, ckk, (int)len, s->oc, 1.0f, weight, ckk, dout_n, (int)osp, 0.0f,
                                    dcol + j0, (int)osp);
                }
                if (dinp && !pointwise) {
                    TS_NN_OMP(barrier)
                    TS_NN_OMP(for schedule(static))
                    for (int ci = 0; ci < s->c; ci++) col2im_add(s, dcol, dinp + (size_t)n * s->c * isp, ci);
                    /* the implicit barrier of the for keeps dcol until every channel is folded */
                }
            }
        }
    }
    /* partials in thread order */
    TS_NN_OMP(parallel for schedule(static) num_threads(T))
    for (size_t i = 0; i < nw; i++) {
        float acc = dweight[i];
        for (int t = 0; t < T; t++) acc += dwp[(size_t)t * nw + i];
        dweight[i] = acc;
    }
    free(dwp);
    free(cols);
    free(dcol);
    return TS_OK;
}
