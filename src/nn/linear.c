/* Linear layer (torch.nn.Linear): out = inp Wᵀ + b, via OpenBLAS sgemm.
 *   forward   out [m, oc]  = inp [m, c] · W [oc, c]ᵀ + b [oc]
 *   backward  dinp [m, c] += dout [m, oc] · W;  dW [oc, c] += doutᵀ · inp;
 *             db [oc] += Σ_m dout */
#include "nn/nn_internal.h"

int ts_nn_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                         int m, int c, int oc)
{
    TS_NN_CHECK_POS(m);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_POS(oc);
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    float beta = 0.0f;
    if (bias) {
        for (int i = 0; i < m; i++)
            for (int o = 0; o < oc; o++) out[(size_t)i * oc + o] = bias[o];
        beta = 1.0f;
    }
    ts_nn_sgemm(0, 1, m, oc, c, 1.0f, inp, c, weight, c, beta, out, oc);
    return TS_OK;
}

int ts_nn_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int m, int c, int oc)
{
    TS_NN_CHECK_POS(m);
    TS_NN_CHECK_POS(c);
    TS_NN_CHECK_POS(oc);
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    TS_NN_CHECK_PTR(dweight);
    if (dinp)
        ts_nn_sgemm(0, 0, m, c, oc, 1.0f, dout, oc, weight, c, 1.0f, dinp, c);
    ts_nn_sgemm(1, 0, oc, c, m, 1.0f, dout, oc, inp, c, 1.0f, dweight, c);
    if (dbias)
        for (int o = 0; o < oc; o++) {
            double acc = 0.0;
            for (int i = 0; i < m; i++) acc += dout[(size_t)i * oc + o];
            dbias[o] += (float)acc;
        }
    return TS_OK;
}
