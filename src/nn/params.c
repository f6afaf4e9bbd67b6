/* Named model parameters in one contiguous block (values) plus one parallel
 * block (gradients); PyTorch-style initialisers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define TS_NN_NAME_MAX 127

typedef struct {
    char name[TS_NN_NAME_MAX + 1];
    int ndim;
    int64_t shape[TS_NN_MAXDIM];
    size_t offset, numel; /* in floats within the block */
} ts_nn_param_entry;

struct ts_nn_params {
    ts_nn_param_entry *e;
    int n, cap;
    size_t total;
    float *data, *grad; /* [total] each, owned */
};

int ts_nn_params_create(ts_nn_params **out)
{
    TS_NN_CHECK_PTR(out);
    *out = calloc(1, sizeof **out);
    TS_CHECK_ALLOC(*out);
    return TS_OK;
}

void ts_nn_params_destroy(ts_nn_params *p)
{
    if (!p) return;
    free(p->e);
    free(p->data);
    free(p->grad);
    free(p);
}

int ts_nn_params_add(ts_nn_params *p, const char *name, int ndim, const int64_t *shape, int *idx)
{
    TS_NN_CHECK_PTR(p);
    TS_NN_CHECK_PTR(name);
    if (p->data) return ts_error_set(TS_ERR_INVAL, "nn params: add '%s' after alloc", name);
    if (strlen(name) == 0 || strlen(name) > TS_NN_NAME_MAX)
        return ts_error_set(TS_ERR_INVAL, "nn params: name length must be 1..%d", TS_NN_NAME_MAX);
    if (ndim < 1 || ndim > TS_NN_MAXDIM || !shape)
        return ts_error_set(TS_ERR_INVAL, "nn params: '%s': ndim %d outside 1..%d", name, ndim,
                            TS_NN_MAXDIM);
    if (ts_nn_params_find(p, name) >= 0)
        return ts_error_set(TS_ERR_INVAL, "nn params: duplicate name '%s'", name);
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0)
            return ts_error_set(TS_ERR_INVAL, "nn params: '%s': dimension %d is %lld", name, i,
                                (long long)shape[i]);
        numel *= (size_t)shape[i];
    }
    if (p->n == p->cap) {
        int nc = p->cap ? 2 * p->cap : 16;
        ts_nn_param_entry *e = realloc(p->e, (size_t)nc * sizeof *e);
        TS_CHECK_ALLOC(e);
        p->e = e;
        p->cap = nc;
    }
    ts_nn_param_entry *en = &p->e[p->n];
    memset(en, 0, sizeof *en);
    strcpy(en->name, name);
    en->ndim = ndim;
    for (int i = 0; i < ndim; i++) en->shape[i] = shape[i];
    en->numel = numel;
    /* keep every parameter 16-float (64-byte) aligned inside the block */
    en->offset = p->total;
    p->total += (numel + 15) / 16 * 16;
    if (idx) *idx = p->n;
    p->n++;
    return TS_OK;
}

int ts_nn_params_alloc(ts_nn_params *p)
{
    TS_NN_CHECK_PTR(p);
    if (p->data) return ts_error_set(TS_ERR_INVAL, "nn params: already allocated");
    size_t bytes = (p->total ? p->total : 16) * sizeof(float);
    void *d = NULL, *g = NULL;
    if (posix_memalign(&d, 64, bytes) != 0) d = NULL;
    if (posix_memalign(&g, 64, bytes) != 0) g = NULL;
    if (!d || !g) {
        free(d);
        free(g);
        return ts_error_set(TS_ERR_NOMEM, "nn params: cannot allocate %zu floats", p->total);
    }
    memset(d, 0, bytes);
    memset(g, 0, bytes);
    p->data = d;
    p->grad = g;
    return TS_OK;
}

int ts_nn_params_count(const ts_nn_params *p) { return p ? p->n : 0; }
size_t ts_nn_params_total(const ts_nn_params *p) { return p ? p->total : 0; }

float *ts_nn_params_data(ts_nn_params *p, int idx)
{
    if (!p || !p->data || idx < 0 || idx >= p->n) return NULL;
    return p->data + p->e[idx].offset;
}

float *ts_nn_params_grad(ts_nn_params *p, int idx)
{
    if (!p || !p->grad || idx < 0 || idx >= p->n) return NULL;
    return p->grad + p->e[idx].offset;
}

float *ts_nn_params_flat(ts_nn_params *p) { return p ? p->data : NULL; }
float *ts_nn_params_flat_grad(ts_nn_params *p) { return p ? p->grad : NULL; }

const char *ts_nn_params_name(const ts_nn_params *p, int idx)
{
    if (!p || idx < 0 || idx >= p->n) return NULL;
    return p->e[idx].name;
}

int ts_nn_params_shape(const ts_nn_params *p, int idx, int *ndim, int64_t shape[TS_NN_MAXDIM])
{
    if (!p || idx < 0 || idx >= p->n)
        return ts_error_set(TS_ERR_INVAL, "nn params: bad index %d", idx);
    if (ndim) *ndim = p->e[idx].ndim;
    if (shape)
        for (int i = 0; i < p->e[idx].ndim; i++) shape[i] = p->e[idx].shape[i];
    return TS_OK;
}

int ts_nn_params_find(const ts_nn_params *p, const char *name)
{
    if (!p || !name) return -1;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->e[i].name, name) == 0) return i;
    return -1;
}

void ts_nn_params_zero_grad(ts_nn_params *p)
{
    if (p && p->grad) memset(p->grad, 0, p->total * sizeof(float));
}

size_t ts_nn_params_numel_(const ts_nn_params *p, int idx)
{
    if (!p || idx < 0 || idx >= p->n) return 0;
    return p->e[idx].numel;
}

/* ---------------------------------------------------------------- init */

void ts_nn_init_uniform(float *w, size_t n, double bound, ts_rng *rng)
{
    for (size_t i = 0; i < n; i++) w[i] = (float)(bound * (2.0 * ts_rng_uniform(rng) - 1.0));
}

void ts_nn_init_normal(float *w, size_t n, double sd, ts_rng *rng)
{
    for (size_t i = 0; i < n; i++) w[i] = (float)ts_rng_normal(rng, 0.0, sd);
}

void ts_nn_init_const(float *w, size_t n, float v)
{
    for (size_t i = 0; i < n; i++) w[i] = v;
}
