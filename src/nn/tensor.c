/* nn tensors, the activation arena and the thread setting.
 * An arena is a list of 64-byte aligned chunks; allocation bumps an offset,
 * reset rewinds to a mark (memory kept for the next pass). */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "nn/nn_internal.h"

/* ---------------------------------------------------------------- threads */

static int g_nn_threads = 0; /* 0: not set, use the OpenMP default */

/* nn calls sgemm from inside its own OpenMP teams, one thread per block of
 * work, so OpenBLAS itself runs single-threaded (two thread pools taking turns
 * on the same cores were 5-20x slower on a loaded machine). */
void ts_nn_set_threads(int n)
{
    if (n < 1) n = 1;
    g_nn_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(1);
}

void ts_nn_threads_init_(void)
{
    if (g_nn_threads == 0) ts_nn_set_threads(ts_nn_get_threads());
}

int ts_nn_get_threads(void)
{
    if (g_nn_threads > 0) return g_nn_threads;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---------------------------------------------------------------- arena */

#define TS_NN_ALIGN 64
#define TS_NN_ALIGN_F (TS_NN_ALIGN / sizeof(float))

typedef struct {
    float *base;
    size_t cap;  /* floats */
    size_t used; /* floats */
} ts_nn_chunk;

struct ts_nn_arena {
    ts_nn_chunk *chunks;
    size_t nchunks, capchunks;
    size_t cur;        /* chunk in use */
    size_t chunk_floats;
};

int ts_nn_arena_create(size_t chunk_floats, ts_nn_arena **out)
{
    TS_NN_CHECK_PTR(out);
    *out = NULL;
    ts_nn_arena *a = calloc(1, sizeof *a);
    TS_CHECK_ALLOC(a);
    a->chunk_floats = chunk_floats ? chunk_floats : ((size_t)4 << 20);
    *out = a;
    return TS_OK;
}

void ts_nn_arena_destroy(ts_nn_arena *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nchunks; i++) free(a->chunks[i].base);
    free(a->chunks);
    free(a);
}

static size_t round_up(size_t n) { return (n + TS_NN_ALIGN_F - 1) / TS_NN_ALIGN_F * TS_NN_ALIGN_F; }

static int chunk_make(ts_nn_chunk *c, size_t cap)
{
    void *p = NULL;
    if (cap > SIZE_MAX / sizeof(float)) return ts_error_set(TS_ERR_NOMEM, "nn arena: size overflow");
    if (posix_memalign(&p, TS_NN_ALIGN, cap * sizeof(float)) != 0 || !p)
        return ts_error_set(TS_ERR_NOMEM, "nn arena: cannot allocate %zu floats", cap);
    c->base = p;
    c->cap = cap;
    c->used = 0;
    return TS_OK;
}

static float *arena_alloc(ts_nn_arena *a, size_t n, int zero)
{
    if (!a) {
        ts_error_set(TS_ERR_INVAL, "nn arena: NULL arena");
        return NULL;
    }
    size_t need = round_up(n ? n : 1);
    /* current chunk, then the following ones (kept from an earlier pass) */
    while (a->cur < a->nchunks) {
        ts_nn_chunk *c = &a->chunks[a->cur];
        if (c->cap - c->used >= need) {
            float *p = c->base + c->used;
            c->used += need;
            if (zero) memset(p, 0, n * sizeof(float));
            return p;
        }
        if (a->cur + 1 < a->nchunks) {
            a->cur++;
            a->chunks[a->cur].used = 0;
            if (a->chunks[a->cur].cap < need) { /* too small: replace it */
                free(a->chunks[a->cur].base);
                a->chunks[a->cur].base = NULL;
                if (chunk_make(&a->chunks[a->cur], need > a->chunk_floats ? need : a->chunk_floats))
                    return NULL;
            }
            continue;
        }
        break;
    }
    if (a->nchunks == a->capchunks) {
        size_t nc = a->capchunks ? 2 * a->capchunks : 8;
        ts_nn_chunk *cs = realloc(a->chunks, nc * sizeof *cs);
        if (!cs) {
            ts_error_set(TS_ERR_NOMEM, "nn arena: out of memory");
            return NULL;
        }
        a->chunks = cs;
        a->capchunks = nc;
    }
    ts_nn_chunk *c = &a->chunks[a->nchunks];
    if (chunk_make(c, need > a->chunk_floats ? need : a->chunk_floats)) return NULL;
    a->cur = a->nchunks;
    a->nchunks++;
    c->used = need;
    if (zero) memset(c->base, 0, n * sizeof(float));
    return c->base;
}

float *ts_nn_arena_alloc(ts_nn_arena *a, size_t n) { return arena_alloc(a, n, 1); }

float *ts_nn_arena_alloc_raw(ts_nn_arena *a, size_t n) { return arena_alloc(a, n, 0); }

ts_nn_arena_mark ts_nn_arena_get_mark(const ts_nn_arena *a)
{
    ts_nn_arena_mark m = {0, 0};
    if (a && a->nchunks) {
        m.chunk = a->cur;
        m.used = a->chunks[a->cur].used;
    }
    return m;
}

void ts_nn_arena_reset(ts_nn_arena *a, ts_nn_arena_mark m)
{
    if (!a || !a->nchunks) return;
    if (m.chunk >= a->nchunks) return;
    a->cur = m.chunk;
    a->chunks[m.chunk].used = m.used;
    for (size_t i = m.chunk + 1; i < a->nchunks; i++) a->chunks[i].used = 0;
}

size_t ts_nn_arena_used(const ts_nn_arena *a)
{
    size_t s = 0;
    if (!a) return 0;
    for (size_t i = 0; i < a->nchunks; i++) s += a->chunks[i].used;
    return s;
}

/* ---------------------------------------------------------------- tensors */

size_t ts_nn_shape_numel(int ndim, const int64_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

static int tensor_head(int ndim, const int64_t *shape, ts_nn_tensor **out)
{
    TS_NN_CHECK_PTR(out);
    *out = NULL;
    if (ndim < 0 || ndim > TS_NN_MAXDIM)
        return ts_error_set(TS_ERR_INVAL, "nn tensor: ndim %d outside 0..%d", ndim, TS_NN_MAXDIM);
    if (ndim > 0 && !shape) return ts_error_set(TS_ERR_INVAL, "nn tensor: NULL shape");
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return ts_error_set(TS_ERR_INVAL, "nn tensor: negative dimension %d", i);
        if (shape[i] && numel > SIZE_MAX / 8 / (size_t)shape[i])
            return ts_error_set(TS_ERR_RANGE, "nn tensor: too many elements");
        numel *= (size_t)shape[i];
    }
    ts_nn_tensor *t = calloc(1, sizeof *t);
    TS_CHECK_ALLOC(t);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = numel;
    *out = t;
    return TS_OK;
}

int ts_nn_tensor_create(int ndim, const int64_t *shape, ts_nn_tensor **out)
{
    ts_nn_tensor *t;
    if (out) *out = NULL;
    TS_TRY(tensor_head(ndim, shape, &t));
    t->data = calloc(t->numel ? t->numel : 1, sizeof(float));
    if (!t->data) {
        size_t numel = t->numel;
        free(t);
        return ts_error_set(TS_ERR_NOMEM, "nn tensor: cannot allocate %zu floats", numel);
    }
    t->owned = 1;
    *out = t;
    return TS_OK;
}

int ts_nn_tensor_create_in(ts_nn_arena *a, int ndim, const int64_t *shape, ts_nn_tensor **out)
{
    ts_nn_tensor *t;
    if (out) *out = NULL;
    TS_NN_CHECK_PTR(a);
    TS_TRY(tensor_head(ndim, shape, &t));
    t->data = ts_nn_arena_alloc(a, t->numel);
    if (!t->data) {
        free(t);
        return ts_error_code() ? ts_error_code() : TS_ERR_NOMEM;
    }
    *out = t;
    return TS_OK;
}

int ts_nn_tensor_wrap(float *data, int ndim, const int64_t *shape, ts_nn_tensor **out)
{
    ts_nn_tensor *t;
    if (out) *out = NULL;
    TS_NN_CHECK_PTR(data);
    TS_TRY(tensor_head(ndim, shape, &t));
    t->data = data;
    *out = t;
    return TS_OK;
}

void ts_nn_tensor_destroy(ts_nn_tensor *t)
{
    if (!t) return;
    if (t->owned) free(t->data);
    free(t);
}
