/* Joins: channel concatenation (torch.cat(dim=1)), residual add, and the
 * per-channel broadcast add used to inject a time embedding into a feature map.
 *   concat: out [n, ca+cb, sp] = [a [n, ca, sp] | b [n, cb, sp]]
 *   add:    out = a + b;  da += dout, db += dout
 *   add_channel: x [n, c, sp] += v [n, c];  dv [n, c] += Σ_sp dout */
#include <string.h>

#include "nn/nn_internal.h"

void ts_nn_concat_forward(float *out, const float *a, const float *b, int n, int ca, int cb, int sp)
{
    for (int i = 0; i < n; i++) {
        float *o = out + (size_t)i * (ca + cb) * sp;
        memcpy(o, a + (size_t)i * ca * sp, (size_t)ca * sp * sizeof(float));
        memcpy(o + (size_t)ca * sp, b + (size_t)i * cb * sp, (size_t)cb * sp * sizeof(float));
    }
}

void ts_nn_concat_backward(float *da, float *db, const float *dout, int n, int ca, int cb, int sp)
{
    for (int i = 0; i < n; i++) {
        const float *d = dout + (size_t)i * (ca + cb) * sp;
        if (da) ts_nn_add_forward(da + (size_t)i * ca * sp, da + (size_t)i * ca * sp, d, (size_t)ca * sp);
        if (db)
            ts_nn_add_forward(db + (size_t)i * cb * sp, db + (size_t)i * cb * sp, d + (size_t)ca * sp,
                              (size_t)cb * sp);
    }
}

void ts_nn_add_forward(float *out, const float *a, const float *b, size_t len)
{
    TS_NN_OMP(parallel for schedule(static) if (len > TS_NN_PAR_MIN))
    for (size_t i = 0; i < len; i++) out[i] = a[i] + b[i];
}

void ts_nn_add_backward(float *da, float *db, const float *dout, size_t len)
{
    if (da) ts_nn_add_forward(da, da, dout, len);
    if (db) ts_nn_add_forward(db, db, dout, len);
}

void ts_nn_add_channel_forward(float *x, const float *v, int n, int c, int sp)
{
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * sp > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        float *p = x + (size_t)pl * sp, a = v[pl];
        for (int i = 0; i < sp; i++) p[i] += a;
    }
}

void ts_nn_add_channel_backward(float *dv, const float *dout, int n, int c, int sp)
{
    TS_NN_OMP(parallel for schedule(static) if ((size_t)n * c * sp > TS_NN_PAR_MIN))
    for (int pl = 0; pl < n * c; pl++) {
        const float *p = dout + (size_t)pl * sp;
        double s = 0.0;
        for (int i = 0; i < sp; i++) s += p[i];
        dv[pl] += (float)s;
    }
}
