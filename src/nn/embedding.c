/* Embeddings.
 * Sinusoidal timestep embedding (Vaswani et al. 2017 §3.5; Ho et al. 2020 code,
 * diffusion_utils get_timestep_embedding): half = dim/2,
 *   f_i = exp(-ln(max_period) · i / (half - shift)),  i = 0..half-1,
 *   out[n] = [sin(t_n f_0) .. sin(t_n f_{half-1}) | cos(t_n f_0) .. cos(t_n f_{half-1})]
 * evaluated in double and rounded once (so large t keeps full float accuracy).
 * Learned embedding (torch.nn.Embedding): out[i] = table[idx[i]];
 *   backward dtable[idx[i]] += dout[i] (serial: repeated indices add in order). */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

int ts_nn_timestep_embedding(float *out, const float *t, int n, int dim, double max_period,
                             int shift)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(dim);
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(t);
    if (dim % 2) return ts_error_set(TS_ERR_INVAL, "nn timestep embedding: dim %d must be even", dim);
    const int half = dim / 2;
    if (half - shift <= 0 || shift < 0)
        return ts_error_set(TS_ERR_INVAL, "nn timestep embedding: dim %d too small for shift %d", dim, shift);
    if (!(max_period > 1.0))
        return ts_error_set(TS_ERR_INVAL, "nn timestep embedding: max_period must be > 1");
    const double k = log(max_period) / (double)(half - shift);
    for (int b = 0; b < n; b++)
        for (int i = 0; i < half; i++) {
            double a = (double)t[b] * exp(-k * i);
            out[(size_t)b * dim + i] = (float)sin(a);
            out[(size_t)b * dim + half + i] = (float)cos(a);
        }
    return TS_OK;
}

int ts_nn_embedding_forward(float *out, const int32_t *idx, const float *table, int n, int num,
                            int dim)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(num);
    TS_NN_CHECK_POS(dim);
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(idx);
    TS_NN_CHECK_PTR(table);
    for (int i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= num)
            return ts_error_set(TS_ERR_RANGE, "nn embedding: index %d at %d outside [0, %d)", (int)idx[i], i, num);
        memcpy(out + (size_t)i * dim, table + (size_t)idx[i] * dim, (size_t)dim * sizeof(float));
    }
    return TS_OK;
}

int ts_nn_embedding_backward(float *dtable, const float *dout, const int32_t *idx, int n, int num,
                             int dim)
{
    TS_NN_CHECK_POS(n);
    TS_NN_CHECK_POS(num);
    TS_NN_CHECK_POS(dim);
    TS_NN_CHECK_PTR(dtable);
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(idx);
    for (int i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= num)
            return ts_error_set(TS_ERR_RANGE, "nn embedding: index %d at %d outside [0, %d)", (int)idx[i], i, num);
        float *r = dtable + (size_t)idx[i] * dim;
        const float *g = dout + (size_t)i * dim;
        for (int j = 0; j < dim; j++) r[j] += g[j];
    }
    return TS_OK;
}
