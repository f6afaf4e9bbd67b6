/* Multilayer perceptron on the nn layers (linear.c, activation.c):
 *   h_0 = x, z_k = h_k W_kᵀ + b_k, h_{k+1} = act(z_k) (k < L-1), y = z_{L-1}
 *   backward: dz_{L-1} = dy; dh_k = dz_k W_k; dz_{k-1} = act'(z_{k-1}) ⊙ dh_k
 * Parameter names follow torch.nn.Sequential: "<prefix>.<2k>.weight|bias". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

struct ts_nn_mlp {
    ts_nn_params *P;
    int L;            /* linear layers */
    int *sizes;       /* L + 1 */
    int *iw, *ib;     /* parameter indices */
    ts_nn_act act;
    int rows;         /* of the last forward */
    const float *x;   /* input of the last forward (borrowed) */
    float **z, **h;   /* z[k] [rows, sizes[k+1]], h[k] = act(z[k]) for k < L-1 (arena) */
};

int ts_nn_mlp_create(ts_nn_params *P, const char *prefix, int nlayers, const int *sizes, ts_nn_act act,
                     ts_nn_mlp **out)
{
    TS_NN_CHECK_PTR(P);
    TS_NN_CHECK_PTR(prefix);
    TS_NN_CHECK_PTR(sizes);
    TS_NN_CHECK_PTR(out);
    *out = NULL;
    if (nlayers < 1) return ts_error_set(TS_ERR_INVAL, "nn mlp: need at least one layer");
    if (act < TS_NN_ACT_TANH || act > TS_NN_ACT_SILU) return ts_error_set(TS_ERR_INVAL, "nn mlp: unknown activation");
    for (int k = 0; k <= nlayers; k++)
        if (sizes[k] <= 0) return ts_error_set(TS_ERR_INVAL, "nn mlp: layer size %d is %d", k, sizes[k]);
    ts_nn_mlp *m = calloc(1, sizeof *m);
    TS_CHECK_ALLOC(m);
    m->P = P;
    m->L = nlayers;
    m->act = act;
    m->sizes = malloc((size_t)(nlayers + 1) * sizeof(int));
    m->iw = malloc((size_t)nlayers * sizeof(int));
    m->ib = malloc((size_t)nlayers * sizeof(int));
    m->z = calloc((size_t)nlayers, sizeof(float *));
    m->h = calloc((size_t)nlayers, sizeof(float *));
    if (!m->sizes || !m->iw || !m->ib || !m->z || !m->h) {
        ts_nn_mlp_destroy(m);
        return ts_error_set(TS_ERR_NOMEM, "nn mlp: out of memory");
    }
    memcpy(m->sizes, sizes, (size_t)(nlayers + 1) * sizeof(int));
    for (int k = 0; k < nlayers; k++) {
        char name[160];
        int64_t sw[2] = {sizes[k + 1], sizes[k]}, sb[1] = {sizes[k + 1]};
        int rc;
        snprintf(name, sizeof name, "%s.%d.weight", prefix, 2 * k);
        if ((rc = ts_nn_params_add(P, name, 2, sw, &m->iw[k])) == 0) {
            snprintf(name, sizeof name, "%s.%d.bias", prefix, 2 * k);
            rc = ts_nn_params_add(P, name, 1, sb, &m->ib[k]);
        }
        if (rc) {
            ts_nn_mlp_destroy(m);
            return rc;
        }
    }
    *out = m;
    return TS_OK;
}

void ts_nn_mlp_destroy(ts_nn_mlp *m)
{
    if (!m) return;
    free(m->sizes);
    free(m->iw);
    free(m->ib);
    free(m->z);
    free(m->h);
    free(m);
}

int ts_nn_mlp_init(ts_nn_mlp *m, ts_rng *rng)
{
    TS_NN_CHECK_PTR(m);
    TS_NN_CHECK_PTR(rng);
    for (int k = 0; k < m->L; k++) {
        float *w = ts_nn_params_data(m->P, m->iw[k]), *b = ts_nn_params_data(m->P, m->ib[k]);
        if (!w || !b) return ts_error_set(TS_ERR_INVAL, "nn mlp: parameters not allocated");
        double bound = 1.0 / sqrt((double)m->sizes[k]);
        ts_nn_init_uniform(w, (size_t)m->sizes[k + 1] * m->sizes[k], bound, rng);
        ts_nn_init_uniform(b, (size_t)m->sizes[k + 1], bound, rng);
    }
    return TS_OK;
}

static void act_fwd(ts_nn_act a, float *out, const float *in, size_t n)
{
    if (a == TS_NN_ACT_TANH) ts_nn_tanh_forward(out, in, n);
    else if (a == TS_NN_ACT_GELU) ts_nn_gelu_forward(out, in, n);
    else ts_nn_silu_forward(out, in, n);
}

int ts_nn_mlp_forward(ts_nn_mlp *m, ts_nn_arena *A, const float *x, int rows, float *y)
{
    TS_NN_CHECK_PTR(m);
    TS_NN_CHECK_PTR(A);
    TS_NN_CHECK_PTR(x);
    TS_NN_CHECK_PTR(y);
    TS_NN_CHECK_POS(rows);
    m->rows = rows;
    m->x = x;
    const float *in = x;
    for (int k = 0; k < m->L; k++) {
        const int last = k == m->L - 1;
        size_t n = (size_t)rows * m->sizes[k + 1];
        m->z[k] = last ? y : ts_nn_arena_alloc_raw(A, n);
        if (!m->z[k]) return ts_error_code();
        TS_TRY(ts_nn_linear_forward(m->z[k], in, ts_nn_params_data(m->P, m->iw[k]),
                                    ts_nn_params_data(m->P, m->ib[k]), rows, m->sizes[k], m->sizes[k + 1]));
        if (!last) {
            m->h[k] = ts_nn_arena_alloc_raw(A, n);
            if (!m->h[k]) return ts_error_code();
            act_fwd(m->act, m->h[k], m->z[k], n);
            in = m->h[k];
        }
    }
    return TS_OK;
}

int ts_nn_mlp_backward(ts_nn_mlp *m, ts_nn_arena *A, const float *dy, float *dx)
{
    TS_NN_CHECK_PTR(m);
    TS_NN_CHECK_PTR(A);
    TS_NN_CHECK_PTR(dy);
    if (!m->x) return ts_error_set(TS_ERR_INVAL, "nn mlp: backward before forward");
    const int rows = m->rows;
    const float *dz = dy;
    for (int k = m->L - 1; k >= 0; k--) {
        const float *in = k ? m->h[k - 1] : m->x;
        float *din = NULL;
        if (k) {
            din = ts_nn_arena_alloc(A, (size_t)rows * m->sizes[k]);
            if (!din) return ts_error_code();
        } else
            din = dx;
        TS_TRY(ts_nn_linear_backward(din, ts_nn_params_grad(m->P, m->iw[k]), ts_nn_params_grad(m->P, m->ib[k]), dz,
                                     in, ts_nn_params_data(m->P, m->iw[k]), rows, m->sizes[k], m->sizes[k + 1]));
        if (k) {
            size_t n = (size_t)rows * m->sizes[k];
            float *dzk = ts_nn_arena_alloc(A, n);
            if (!dzk) return ts_error_code();
            if (m->act == TS_NN_ACT_TANH) ts_nn_tanh_backward(dzk, din, m->h[k - 1], n);
            else if (m->act == TS_NN_ACT_GELU) ts_nn_gelu_backward(dzk, din, m->z[k - 1], n);
            else ts_nn_silu_backward(dzk, din, m->z[k - 1], n);
            dz = dzk;
        }
    }
    return TS_OK;
}
