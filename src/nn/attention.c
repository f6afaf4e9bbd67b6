/* Multi-head self-attention over spatial positions (Vaswani et al. 2017, eq. 1;
 * torch.nn.MultiheadAttention(c, heads, batch_first=True), no masks/dropout).
 * Per image, with tokens X = x_nᵀ [l, c] and d = c / heads:
 *   QKV [l, 3c] = X in_wᵀ + in_b                        (Q | K | V column blocks)
 *   S_h [l, l]  = Q_h K_hᵀ / √d,  A_h = softmax_rows(S_h),  Y_h [l, d] = A_h V_h
 *   O [l, c]    = Y out_wᵀ + out_b,  out_n = Oᵀ [c, l]
 * Backward:
 *   dout_w += dOᵀ Y, dout_b += Σ_l dO, dY = dO out_w
 *   dA_h = dY_h V_hᵀ, dV_h = A_hᵀ dY_h, dS_h = A_h ⊙ (dA_h - rowsum(dA_h ⊙ A_h))
 *   dQ_h = dS_h K_h / √d, dK_h = dS_hᵀ Q_h / √d
 *   din_w += dQKVᵀ X, din_b += Σ_l dQKV, dX = dQKV in_w, dx_n += dXᵀ
 * Cache per image: X [l, c] | QKV [l, 3c] | A [heads, l, l] | Y [l, c].
 * All products are sgemm calls with leading dimensions into QKV. Images are
 * shared out to OpenMP threads (whole images per thread, single-threaded BLAS);
 * weight gradients go to per-thread partials added in thread order, so results
 * are deterministic for a given thread count. */
#include <math.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

static size_t per_image(int c, int l, int heads)
{
    return (size_t)l * c * 5 + (size_t)heads * l * l;
}

size_t ts_nn_attention_cache_size(int n, int c, int l, int heads)
{
    return (size_t)n * per_image(c, l, heads);
}

static int attn_check(int n, int c, int l, int heads)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_POS(l);
    TS_NN_CHECK_POS(heads);
    if (c % heads)
        return ts_error_set(TS_ERR_INVAL, "nn attention: %d channels not divisible by %d heads", c, heads);
    return TS_OK;
}

/* dst [cols, rows] = srcᵀ, src [rows, cols] (dst += when add). */
static void transpose(float *dst, const float *src, int rows, int cols, int add)
{
    for (int j = 0; j < cols; j++)
        for (int i = 0; i < rows; i++) {
            float v = src[(size_t)i * cols + j];
            if (add)
                dst[(size_t)j * rows + i] += v;
            else
                dst[(size_t)j * rows + i] = v;
        }
}

/* r [l] = softmax(r): e^{r - max r} (ts_nn_exp_negu_, 2.5e-7 relative; NaN
 * kept) over its sum in double. Compiled for AVX-512, AVX2 and the baseline. */
TS_NN_CLONES static void softmax_row(float *r, int l)
{
    float m = r[0];
    TS_NN_OMP(simd reduction(max : m))
    for (int j = 0; j < l; j++) m = r[j] > m ? r[j] : m;
    double s = 0.0;
    TS_NN_OMP(simd reduction(+ : s))
    for (int j = 0; j < l; j++) {
        float x = r[j], e = ts_nn_exp_negu_(m - x);
        r[j] = x != x ? x : e;
        s += r[j];
    }
    float inv = (float)(1.0 / s);
    TS_NN_OMP(simd)
    for (int j = 0; j < l; j++) r[j] *= inv;
}

/* r [l] = a ⊙ (r - Σ r ⊙ a): softmax backward of one row (r: dA in, dS out). */
TS_NN_CLONES static void softmax_back_row(float *restrict r, const float *restrict a, int l)
{
    double s = 0.0;
    TS_NN_OMP(simd reduction(+ : s))
    for (int j = 0; j < l; j++) s += (double)r[j] * a[j];
    float sf = (float)s;
    TS_NN_OMP(simd)
    for (int j = 0; j < l; j++) r[j] = a[j] * (r[j] - sf);
}

/* Threads for attention over n images. */
static int attn_threads(int n, int c, int l)
{
    int t = ts_nn_get_threads();
    if (t > n) t = n;
    return (double)n * l * c * (double)(l + c) < 1e6 ? 1 : t;
}

/* Forward of one image: X, QKV, A, Y in the cache block; o [l, c] scratch. */
static void attn_image(float *out_b, float *blk, float *o, const float *x_b, const float *in_w, const float *in_b,
                       const float *out_w, const float *out_bias, int c, int l, int heads)
{
    const int d = c / heads, c3 = 3 * c;
    const float scale = (float)(1.0 / sqrt((double)d));
    float *X = blk, *QKV = X + (size_t)l * c, *A = QKV + (size_t)l * c3, *Y = A + (size_t)heads * l * l;
    transpose(X, x_b, c, l, 0);
    for (int i = 0; i < l; i++)
        for (int j = 0; j < c3; j++) QKV[(size_t)i * c3 + j] = in_b ? in_b[j] : 0.0f;
    ts_nn_sgemm(0, 1, l, c3, c, 1.0f, X, c, in_w, c, 1.0f, QKV, c3);
    for (int h = 0; h < heads; h++) {
        const float *Q = QKV + h * d, *K = QKV + c + h * d, *V = QKV + 2 * c + h * d;
        float *Ah = A + (size_t)h * l * l;
        ts_nn_sgemm(0, 1, l, l, d, scale, Q, c3, K, c3, 0.0f, Ah, l);
        for (int i = 0; i < l; i++) softmax_row(Ah + (size_t)i * l, l);
        ts_nn_sgemm(0, 0, l, d, l, 1.0f, Ah, l, V, c3, 0.0f, Y + h * d, c);
    }
    for (int i = 0; i < l; i++)
        for (int j = 0; j < c; j++) o[(size_t)i * c + j] = out_bias ? out_bias[j] : 0.0f;
    ts_nn_sgemm(0, 1, l, c, c, 1.0f, Y, c, out_w, c, 1.0f, o, c);
    transpose(out_b, o, l, c, 0);
}

int ts_nn_attention_forward(float *out, float *cache, const float *x, const float *in_w,
                            const float *in_b, const float *out_w, const float *out_b,
                            int n, int c, int l, int heads)
{
    TS_TRY(attn_check(n, c, l, heads));
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(cache);
    TS_NN_CHECK_PTR(x);
    TS_NN_CHECK_PTR(in_w);
    TS_NN_CHECK_PTR(out_w);
    ts_nn_threads_init_();
    const int T = attn_threads(n, c, l);
    float *o = malloc((size_t)T * l * c * sizeof(float));
    TS_CHECK_ALLOC(o);
    TS_NN_OMP(parallel for schedule(static) num_threads(T))
    for (int b = 0; b < n; b++)
        attn_image(out + (size_t)b * c * l, cache + (size_t)b * per_image(c, l, heads),
                   o + (size_t)ts_nn_thread_id_() * l * c, x + (size_t)b * c * l, in_w, in_b, out_w, out_b, c, l,
                   heads);
    free(o);
    return TS_OK;
}

/* Backward of one image into the thread's partial gradients g = din_w | din_b |
 * dout_w | dout_b; scr: dO | dY | dQKV | dS | dX. */
static void attn_image_back(float *dx_b, float *g, float *scr, const float *dout_b_img, const float *blk,
                            const float *in_w, const float *out_w, int c, int l, int heads)
{
    const int d = c / heads, c3 = 3 * c;
    const float scale = (float)(1.0 / sqrt((double)d));
    float *gdin_w = g, *gdin_b = gdin_w + (size_t)c3 * c, *gdout_w = gdin_b + c3, *gdout_b = gdout_w + (size_t)c * c;
    float *dO = scr, *dY = dO + (size_t)l * c, *dQKV = dY + (size_t)l * c;
    float *dS = dQKV + (size_t)l * c3, *dX = dS + (size_t)l * l;
    const float *X = blk, *QKV = X + (size_t)l * c, *A = QKV + (size_t)l * c3, *Y = A + (size_t)heads * l * l;
    transpose(dO, dout_b_img, c, l, 0);
    for (int j = 0; j < c; j++) {
        double s = 0.0;
        for (int i = 0; i < l; i++) s += dO[(size_t)i * c + j];
        gdout_b[j] += (float)s;
    }
    ts_nn_sgemm(1, 0, c, c, l, 1.0f, dO, c, Y, c, 1.0f, gdout_w, c);
    ts_nn_sgemm(0, 0, l, c, c, 1.0f, dO, c, out_w, c, 0.0f, dY, c);
    for (int h = 0; h < heads; h++) {
        const float *Q = QKV + h * d, *K = QKV + c + h * d, *V = QKV + 2 * c + h * d;
        const float *Ah = A + (size_t)h * l * l;
        ts_nn_sgemm(0, 1, l, l, d, 1.0f, dY + h * d, c, V, c3, 0.0f, dS, l); /* dA, then dS in place */
        ts_nn_sgemm(1, 0, l, d, l, 1.0f, Ah, l, dY + h * d, c, 0.0f, dQKV + 2 * c + h * d, c3);
        for (int i = 0; i < l; i++) softmax_back_row(dS + (size_t)i * l, Ah + (size_t)i * l, l);
        ts_nn_sgemm(0, 0, l, d, l, scale, dS, l, K, c3, 0.0f, dQKV + h * d, c3);
        ts_nn_sgemm(1, 0, l, d, l, scale, dS, l, Q, c3, 0.0f, dQKV + c + h * d, c3);
    }
    for (int j = 0; j < c3; j++) {
        double s = 0.0;
        for (int i = 0; i < l; i++) s += dQKV[(size_t)i * c3 + j];
        gdin_b[j] += (float)s;
    }
    ts_nn_sgemm(1, 0, c3, c, l, 1.0f, dQKV, c3, X, c, 1.0f, gdin_w, c);
    if (dx_b) {
        ts_nn_sgemm(0, 0, l, c, c3, 1.0f, dQKV, c3, in_w, c, 0.0f, dX, c);
        transpose(dx_b, dX, l, c, 1);
    }
}

int ts_nn_attention_backward(float *dx, float *din_w, float *din_b, float *dout_w,
                             float *dout_b, const float *dout, const float *cache,
                             const float *in_w, const float *out_w, int n, int c, int l,
                             int heads)
{
    TS_TRY(attn_check(n, c, l, heads));
    TS_NN_CHECK_PTR(din_w);
    TS_NN_CHECK_PTR(dout_w);
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(cache);
    TS_NN_CHECK_PTR(in_w);
    TS_NN_CHECK_PTR(out_w);
    ts_nn_threads_init_();
    const int T = attn_threads(n, c, l), c3 = 3 * c;
    const size_t ng = (size_t)c3 * c + c3 + (size_t)c * c + c;           /* one set of weight gradients */
    const size_t ns = (size_t)l * c * 3 + (size_t)l * c3 + (size_t)l * l; /* scratch per thread */
    float *g = calloc((size_t)T * ng, sizeof(float)), *scr = malloc((size_t)T * ns * sizeof(float));
    if (!g || !scr) {
        free(g);
        free(scr);
        return ts_error_set(TS_ERR_NOMEM, "nn attention backward: cannot allocate %zu floats", (size_t)T * (ng + ns));
    }
    TS_NN_OMP(parallel for schedule(static) num_threads(T))
    for (int b = 0; b < n; b++) {
        int t = ts_nn_thread_id_();
        attn_image_back(dx ? dx + (size_t)b * c * l : NULL, g + (size_t)t * ng, scr + (size_t)t * ns,
                        dout + (size_t)b * c * l, cache + (size_t)b * per_image(c, l, heads), in_w, out_w, c, l,
                        heads);
    }
    /* partials in thread order */
    for (int t = 0; t < T; t++) {
        const float *gt = g + (size_t)t * ng;
        for (size_t i = 0; i < (size_t)c3 * c; i++) din_w[i] += gt[i];
        gt += (size_t)c3 * c;
        if (din_b)
            for (int i = 0; i < c3; i++) din_b[i] += gt[i];
        gt += c3;
        for (size_t i = 0; i < (size_t)c * c; i++) dout_w[i] += gt[i];
        gt += (size_t)c * c;
        if (dout_b)
            for (int i = 0; i < c; i++) dout_b[i] += gt[i];
    }
    free(g);
    free(scr);
    return TS_OK;
}
