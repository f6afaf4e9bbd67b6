/* Convolution reference kernel: the definition of torch.nn.Conv2d/Conv3d
 * (cross-correlation, zero padding), direct loops with double accumulation.
 *   out[n,o,z,y,x] = b[o] + Σ_{c,a,i,j} W[o,c,a,i,j] inp[n,c, z sd-pd+a, y sh-ph+i, x sw-pw+j]
 *   dinp[n,c,iz,iy,ix] += Σ W[o,c,a,i,j] dout[n,o,z,y,x] over the taps that read it
 *   dW[o,c,a,i,j] += Σ_{n,z,y,x} dout[n,o,z,y,x] inp[...];  db[o] += Σ dout[n,o,...]
 * Slow (no BLAS, no threads); the fast path in conv.c is tested against it. */
#include "nn/nn_internal.h"


#define IDX5(a, b, c, d, e, B, C, D, E) (((((size_t)(a) * (B) + (b)) * (C) + (c)) * (D) + (d)) * (E) + (e))

int ts_nn_conv_forward_ref(const ts_nn_conv_shape *s, float *out, const float *inp,
                           const float *weight, const float *bias)
{
    TS_TRY(ts_nn_conv_check_(s));
    TS_NN_CHECK_PTR(out);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    for (int n = 0; n < s->n; n++)
        for (int o = 0; o < s->oc; o++)
            for (int z = 0; z < s->od; z++)
                for (int y = 0; y < s->oh; y++)
                    for (int x = 0; x < s->ow; x++) {
                        double acc = bias ? bias[o] : 0.0;
                        for (int c = 0; c < s->c; c++)
                            for (int a = 0; a < s->kd; a++) {
                                int iz = z * s->sd - s->pd + a;
                                if (iz < 0 || iz >= s->d) continue;
                                for (int i = 0; i < s->kh; i++) {
                                    int iy = y * s->sh - s->ph + i;
                                    if (iy < 0 || iy >= s->h) continue;
                                    for (int j = 0; j < s->kw; j++) {
                                        int ix = x * s->sw - s->pw + j;
                                        if (ix < 0 || ix >= s->w) continue;
                                        acc += (double)weight[IDX5(o, c, a, i, j, s->c, s->kd, s->kh, s->kw)] *
                                               inp[IDX5(n, c, iz, iy, ix, s->c, s->d, s->h, s->w)];
                                    }
                                }
                            }
                        out[IDX5(n, o, z, y, x, s->oc, s->od, s->oh, s->ow)] = (float)acc;
                    }
    return TS_OK;
}

int ts_nn_conv_backward_ref(const ts_nn_conv_shape *s, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight)
{
    TS_TRY(ts_nn_conv_check_(s));
    TS_NN_CHECK_PTR(dout);
    TS_NN_CHECK_PTR(inp);
    TS_NN_CHECK_PTR(weight);
    TS_NN_CHECK_PTR(dweight);
    if (dbias)
        for (int o = 0; o < s->oc; o++) {
            double acc = 0.0;
            for (int n = 0; n < s->n; n++)
                for (int z = 0; z < s->od; z++)
                    for (int y = 0; y < s->oh; y++)
                        for (int x = 0; x < s->ow; x++)
                            acc += dout[IDX5(n, o, z, y, x, s->oc, s->od, s->oh, s->ow)];
            dbias[o] += (float)acc;
        }
    /* weight gradient: one double sum per weight */
    for (int o = 0; o < s->oc; o++)
        for (int c = 0; c < s->c; c++)
            for (int a = 0; a < s->kd; a++)
                for (int i = 0; i < s->kh; i++)
                    for (int j = 0; j < s->kw; j++) {
                        double acc = 0.0;
                        for (int n = 0; n < s->n; n++)
                            for (int z = 0; z < s->od; z++) {
                                int iz = z * s->sd - s->pd + a;
                                if (iz < 0 || iz >= s->d) continue;
                                for (int y = 0; y < s->oh; y++) {
                                    int iy = y * s->sh - s->ph + i;
                                    if (iy < 0 || iy >= s->h) continue;
                                    for (int x = 0; x < s->ow; x++) {
                                        int ix = x * s->sw - s->pw + j;
                                        if (ix < 0 || ix >= s->w) continue;
                                        acc += (double)dout[IDX5(n, o, z, y, x, s->oc, s->od, s->oh, s->ow)] *
                                               inp[IDX5(n, c, iz, iy, ix, s->c, s->d, s->h, s->w)];
                                    }
                                }
                            }
                        dweight[IDX5(o, c, a, i, j, s->c, s->kd, s->kh, s->kw)] += (float)acc;
                    }
    if (!dinp) return TS_OK;
    /* input gradient: gather form, one double sum per input element */
    for (int n = 0; n < s->n; n++)
        for (int c = 0; c < s->c; c++)
            for (int iz = 0; iz < s->d; iz++)
                for (int iy = 0; iy < s->h; iy++)
                    for (int ix = 0; ix < s->w; ix++) {
                        double acc = 0.0;
                        for (int a = 0; a < s->kd; a++) {
                            int tz = iz + s->pd - a;
                            if (tz < 0 || tz % s->sd) continue;
                            int z = tz / s->sd;
                            if (z >= s->od) continue;
                            for (int i = 0; i < s->kh; i++) {
                                int ty = iy + s->ph - i;
                                if (ty < 0 || ty % s->sh) continue;
                                int y = ty / s->sh;
                                if (y >= s->oh) continue;
                                for (int j = 0; j < s->kw; j++) {
                                    int tx = ix + s->pw - j;
                                    if (tx < 0 || tx % s->sw) continue;
                                    int x = tx / s->sw;
                                    if (x >= s->ow) continue;
                                    for (int o = 0; o < s->oc; o++)
                                        acc += (double)weight[IDX5(o, c, a, i, j, s->c, s->kd, s->kh, s->kw)] *
                                               dout[IDX5(n, o, z, y, x, s->oc, s->od, s->oh, s->ow)];
                                }
                            }
                        }
                        dinp[IDX5(n, c, iz, iy, ix, s->c, s->d, s->h, s->w)] += (float)acc;
                    }
    return TS_OK;
}
