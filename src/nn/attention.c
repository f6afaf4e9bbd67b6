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
 * All products are OpenBLAS sgemm calls with leading dimensions into QKV. */
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
    TS_NN_OMP(parallel for schedule(static) if ((size_t)rows * cols > TS_NN_PAR_MIN))
    for (int j = 0; j < cols; j++)
        for (int i = 0; i < rows; i++) {
            float v = src[(size_t)i * cols + j];
            if (add)
                dst[(size_t)j * rows + i] += v;
            else
                dst[(size_t)j * rows + i] = v;
        }
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
    const int d = c / heads, c3 = 3 * c;
    const float scale = (float)(1.0 / sqrt((double)d));
    float *o = malloc((size_t)l * c * sizeof(float));
    TS_CHECK_ALLOC(o);
    for (int b = 0; b < n; b++) {
        float *X = cache + (size_t)b * per_image(c, l, heads);
        float *QKV = X + (size_t)l * c;
        float *A = QKV + (size_t)l * c3;
        float *Y = A + (size_t)heads * l * l;
        transpose(X, x + (size_t)b * c * l, c, l, 0);
        for (int i = 0; i < l; i++)
            for (int j = 0; j < c3; j++) QKV[(size_t)i * c3 + j] = in_b ? in_b[j] : 0.0f;
        ts_nn_sgemm(0, 1, l, c3, c, 1.0f, X, c, in_w, c, 1.0f, QKV, c3);
        for (int h = 0; h < heads; h++) {
            const float *Q = QKV + h * d, *K = QKV + c + h * d, *V = QKV + 2 * c + h * d;
            float *Ah = A + (size_t)h * l * l;
            ts_nn_sgemm(0, 1, l, l, d, scale, Q, c3, K, c3, 0.0f, Ah, l);
            TS_NN_OMP(parallel for schedule(static) if ((size_t)l * l > TS_NN_PAR_MIN))
            for (int i = 0; i < l; i++) {
                float *r = Ah + (size_t)i * l;
                float m = r[0];
                for (int j = 1; j < l; j++) m = r[j] > m ? r[j] : m;
                double s = 0.0;
                for (int j = 0; j < l; j++) {
                    r[j] = expf(r[j] - m);
                    s += r[j];
                }
                float inv = (float)(1.0 / s);
                for (int j = 0; j < l; j++) r[j] *= inv;
            }
            ts_nn_sgemm(0, 0, l, d, l, 1.0f, Ah, l, V, c3, 0.0f, Y + h * d, c);
        }
        for (int i = 0; i < l; i++)
            for (int j = 0; j < c; j++) o[(size_t)i * c + j] = out_b ? out_b[j] : 0.0f;
        ts_nn_sgemm(0, 1, l, c, c, 1.0f, Y, c, out_w, c, 1.0f, o, c);
        transpose(out + (size_t)b * c * l, o, l, c, 0);
    }
    free(o);
    return TS_OK;
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
    const int d = c / heads, c3 = 3 * c;
    const float scale = (float)(1.0 / sqrt((double)d));
    /* scratch: dO [l, c] | dY [l, c] | dQKV [l, 3c] | dS [l, l] | dX [l, c] */
    size_t ns = (size_t)l * c * 3 + (size_t)l * c3 + (size_t)l * l;
    float *scr = malloc(ns * sizeof(float));
    TS_CHECK_ALLOC(scr);
    float *dO = scr, *dY = dO + (size_t)l * c, *dQKV = dY + (size_t)l * c;
    float *dS = dQKV + (size_t)l * c3, *dX = dS + (size_t)l * l;
    for (int b = 0; b < n; b++) {
        const float *X = cache + (size_t)b * per_image(c, l, heads);
        const float *QKV = X + (size_t)l * c;
        const float *A = QKV + (size_t)l * c3;
        const float *Y = A + (size_t)heads * l * l;
        transpose(dO, dout + (size_t)b * c * l, c, l, 0);
        if (dout_b)
            for (int j = 0; j < c; j++) {
                double s = 0.0;
                for (int i = 0; i < l; i++) s += dO[(size_t)i * c + j];
                dout_b[j] += (float)s;
            }
        ts_nn_sgemm(1, 0, c, c, l, 1.0f, dO, c, Y, c, 1.0f, dout_w, c);
        ts_nn_sgemm(0, 0, l, c, c, 1.0f, dO, c, out_w, c, 0.0f, dY, c);
        for (int h = 0; h < heads; h++) {
            const float *Q = QKV + h * d, *K = QKV + c + h * d, *V = QKV + 2 * c + h * d;
            const float *Ah = A + (size_t)h * l * l;
            /* dA -> dS (in place) */
            ts_nn_sgemm(0, 1, l, l, d, 1.0f, dY + h * d, c, V, c3, 0.0f, dS, l);
            ts_nn_sgemm(1, 0, l, d, l, 1.0f, Ah, l, dY + h * d, c, 0.0f, dQKV + 2 * c + h * d, c3);
            TS_NN_OMP(parallel for schedule(static) if ((size_t)l * l > TS_NN_PAR_MIN))
            for (int i = 0; i < l; i++) {
                float *r = dS + (size_t)i * l;
                const float *a = Ah + (size_t)i * l;
                double s = 0.0;
                for (int j = 0; j < l; j++) s += (double)r[j] * a[j];
                float sf = (float)s;
                for (int j = 0; j < l; j++) r[j] = a[j] * (r[j] - sf);
            }
            ts_nn_sgemm(0, 0, l, d, l, scale, dS, l, K, c3, 0.0f, dQKV + h * d, c3);
            ts_nn_sgemm(1, 0, l, d, l, scale, dS, l, Q, c3, 0.0f, dQKV + c + h * d, c3);
        }
        if (din_b)
            for (int j = 0; j < c3; j++) {
                double s = 0.0;
                for (int i = 0; i < l; i++) s += dQKV[(size_t)i * c3 + j];
                din_b[j] += (float)s;
            }
        ts_nn_sgemm(1, 0, c3, c, l, 1.0f, dQKV, c3, X, c, 1.0f, din_w, c);
        if (dx) {
            ts_nn_sgemm(0, 0, l, c, c3, 1.0f, dQKV, c3, in_w, c, 0.0f, dX, c);
            transpose(dx + (size_t)b * c * l, dX, l, c, 1);
        }
    }
    free(scr);
    return TS_OK;
}
