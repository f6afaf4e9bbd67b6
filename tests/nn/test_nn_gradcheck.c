/* Property tests without an external oracle:
 *  - central finite differences against every layer's backward, in double
 *    accumulation of L = Σ r ⊙ f(inputs) (r fixed random weights);
 *  - the fast convolution (im2col + sgemm, OpenMP) against the direct reference
 *    on random 2-D and 3-D shapes, 1 and 2 threads;
 *  - bitwise determinism for a fixed thread count;
 *  - the tensor / arena / parameter API and its error paths.
 * FD tolerance: h = 1e-2 (1e-3 for max-pooling, whose kinks are farther than
 * that from random inputs); float32 forward noise ~1e-7·|L|/h and truncation
 * O(h²) ≈ 1e-4 relative; FD_RTOL = 1e-2 relative with a floor of
 * FD_ASCALE = 2e-3 · max|gradient| of the tensor. A wrong term in a backward
 * formula gives errors of order 1. Fast-vs-reference: REF_RTOL = 1e-5 with a
 * floor 1e-5 · max|ref| (summation order only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "golden.h"
#include "tinsel/nn.h"
#include "ts_test.h"

#define FD_RTOL 1e-2
#define FD_ASCALE 2e-3
#define REF_RTOL 1e-5
#define REF_ASCALE 1e-5
#define FD_SAMPLES 24

typedef struct fdcase fdcase;
struct fdcase {
    const char *name;
    int nt;             /* differentiated tensors */
    float *t[6];
    size_t n[6];
    float *g[6];        /* analytic gradients (zeroed before bwd) */
    size_t nout;
    float *out, *r;     /* output and the weights r = dL/dout */
    double h;
    int iarg[8];        /* layer sizes */
    float *aux[4];      /* caches */
    void (*fwd)(fdcase *c);
    void (*bwd)(fdcase *c);
};

static ts_rng *R;

static float *rnd(size_t n, double sd)
{
    float *v = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = (float)ts_rng_normal(R, 0.0, sd);
    return v;
}

static double lossval(fdcase *c)
{
    c->fwd(c);
    double s = 0.0;
    for (size_t i = 0; i < c->nout; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

static void fdcheck(fdcase *c)
{
    c->r = rnd(c->nout, 1.0);
    for (int k = 0; k < c->nt; k++) c->g[k] = calloc(c->n[k], sizeof(float));
    c->fwd(c);
    c->bwd(c);
    for (int k = 0; k < c->nt; k++) {
        double gmax = 0, worst = 0;
        for (size_t i = 0; i < c->n[k]; i++) gmax = fmax(gmax, fabs(c->g[k][i]));
        int ok = 1;
        for (int s = 0; s < FD_SAMPLES; s++) {
            size_t i = (size_t)ts_rng_uint(R, c->n[k]);
            float x0 = c->t[k][i];
            c->t[k][i] = (float)(x0 + c->h);
            double lp = lossval(c);
            c->t[k][i] = (float)(x0 - c->h);
            double lm = lossval(c);
            c->t[k][i] = x0;
            double hh = ((double)(float)(x0 + c->h) - (double)(float)(x0 - c->h)) / 2.0;
            double fd = (lp - lm) / (2.0 * hh), an = c->g[k][i];
            double err = fabs(fd - an);
            if (err > worst) worst = err;
            if (!(err <= FD_ASCALE * gmax + FD_RTOL * fabs(an))) {
                if (ok) fprintf(stderr, "  %s tensor %d index %zu: fd %.6g analytic %.6g\n", c->name, k, i, fd, an);
                ok = 0;
            }
        }
        printf("  fd %-14s tensor %d: max |fd - analytic| = %.2e (max|g| %.3g) %s\n", c->name, k, worst, gmax,
               ok ? "ok" : "FAIL");
        TS_CHECK_MSG(ok, "%s tensor %d", c->name, k);
    }
    for (int k = 0; k < c->nt; k++) {
        free(c->t[k]);
        free(c->g[k]);
    }
    for (int k = 0; k < 4; k++) free(c->aux[k]);
    free(c->out);
    free(c->r);
}

/* ---- layer adaptors */
static ts_nn_conv_shape CS;
static void conv_f(fdcase *c) { ts_nn_conv_forward(&CS, c->out, c->t[0], c->t[1], c->t[2]); }
static void conv_b(fdcase *c) { ts_nn_conv_backward(&CS, c->g[0], c->g[1], c->g[2], c->r, c->t[0], c->t[1]); }

static void lin_f(fdcase *c) { ts_nn_linear_forward(c->out, c->t[0], c->t[1], c->t[2], c->iarg[0], c->iarg[1], c->iarg[2]); }
static void lin_b(fdcase *c)
{
    ts_nn_linear_backward(c->g[0], c->g[1], c->g[2], c->r, c->t[0], c->t[1], c->iarg[0], c->iarg[1], c->iarg[2]);
}

static void gn_f(fdcase *c)
{
    ts_nn_groupnorm_forward(c->out, c->aux[0], c->aux[1], c->t[0], c->t[1], c->t[2], c->iarg[0], c->iarg[1],
                            c->iarg[2], c->iarg[3], 1e-5f);
}
static void gn_b(fdcase *c)
{
    ts_nn_groupnorm_backward(c->g[0], c->g[1], c->g[2], c->r, c->t[0], c->aux[0], c->aux[1], c->t[1], c->iarg[0],
                             c->iarg[1], c->iarg[2], c->iarg[3]);
}
static void gng_f(fdcase *c)
{
    ts_nn_groupnorm_gelu_forward(c->out, c->aux[0], c->aux[1], c->t[0], c->t[1], c->t[2], c->iarg[0], c->iarg[1],
                                 c->iarg[2], c->iarg[3], 1e-5f);
}
static void gng_b(fdcase *c)
{
    ts_nn_groupnorm_gelu_backward(c->g[0], c->g[1], c->g[2], c->r, c->t[0], c->aux[0], c->aux[1], c->t[1], c->t[2],
                                  c->iarg[0], c->iarg[1], c->iarg[2], c->iarg[3]);
}
static void ln_f(fdcase *c)
{
    ts_nn_layernorm_forward(c->out, c->aux[0], c->aux[1], c->t[0], c->t[1], c->t[2], c->iarg[0], c->iarg[1], 1e-5f);
}
static void ln_b(fdcase *c)
{
    ts_nn_layernorm_backward(c->g[0], c->g[1], c->g[2], c->r, c->t[0], c->aux[0], c->aux[1], c->t[1], c->iarg[0],
                             c->iarg[1]);
}
static void gelu_f(fdcase *c) { ts_nn_gelu_forward(c->out, c->t[0], c->nout); }
static void gelu_b(fdcase *c) { ts_nn_gelu_backward(c->g[0], c->r, c->t[0], c->nout); }
static void silu_f(fdcase *c) { ts_nn_silu_forward(c->out, c->t[0], c->nout); }
static void silu_b(fdcase *c) { ts_nn_silu_backward(c->g[0], c->r, c->t[0], c->nout); }
static void tanh_f(fdcase *c) { ts_nn_tanh_forward(c->out, c->t[0], c->nout); }
static void tanh_b(fdcase *c)
{
    ts_nn_tanh_forward(c->out, c->t[0], c->nout);
    ts_nn_tanh_backward(c->g[0], c->r, c->out, c->nout);
}
#define P5 c->iarg[0], c->iarg[1], c->iarg[2], c->iarg[3], c->iarg[4], c->iarg[5], c->iarg[6]
static void maxp_f(fdcase *c) { ts_nn_maxpool2d_forward(c->out, c->t[0], P5); }
static void maxp_b(fdcase *c) { ts_nn_maxpool2d_backward(c->g[0], c->r, c->t[0], P5); }
static void avgp_f(fdcase *c) { ts_nn_avgpool2d_forward(c->out, c->t[0], P5); }
static void avgp_b(fdcase *c) { ts_nn_avgpool2d_backward(c->g[0], c->r, P5); }
static void up_f(fdcase *c) { ts_nn_upsample_bilinear_forward(c->out, c->t[0], P5); }
static void up_b(fdcase *c) { ts_nn_upsample_bilinear_backward(c->g[0], c->r, P5); }
static void att_f(fdcase *c)
{
    ts_nn_attention_forward(c->out, c->aux[0], c->t[0], c->t[1], c->t[2], c->t[3], c->t[4], c->iarg[0], c->iarg[1],
                            c->iarg[2], c->iarg[3]);
}
static void att_b(fdcase *c)
{
    ts_nn_attention_backward(c->g[0], c->g[1], c->g[2], c->g[3], c->g[4], c->r, c->aux[0], c->t[1], c->t[3],
                             c->iarg[0], c->iarg[1], c->iarg[2], c->iarg[3]);
}
static const int32_t EIDX[5] = {2, 0, 2, 4, 1};
static void emb_f(fdcase *c) { ts_nn_embedding_forward(c->out, EIDX, c->t[0], 5, 5, 3); }
static void emb_b(fdcase *c) { ts_nn_embedding_backward(c->g[0], c->r, EIDX, 5, 5, 3); }
static void cat_f(fdcase *c) { ts_nn_concat_forward(c->out, c->t[0], c->t[1], 2, 3, 2, 6); }
static void cat_b(fdcase *c) { ts_nn_concat_backward(c->g[0], c->g[1], c->r, 2, 3, 2, 6); }
static void addc_f(fdcase *c)
{
    memcpy(c->out, c->t[0], c->nout * sizeof(float));
    ts_nn_add_channel_forward(c->out, c->t[1], 2, 3, 5);
}
static void addc_b(fdcase *c)
{
    ts_nn_add_backward(c->g[0], NULL, c->r, c->nout);
    ts_nn_add_channel_backward(c->g[1], c->r, 2, 3, 5);
}
/* losses: out[0] = L, r[0] = dL */
static void mse_f(fdcase *c)
{
    double l;
    ts_nn_mse_forward(&l, c->t[0], c->aux[0], c->n[0]);
    c->out[0] = (float)l;
}
static void mse_b(fdcase *c) { ts_nn_mse_backward(c->g[0], c->t[0], c->aux[0], c->n[0], c->r[0]); }
static void pear_f(fdcase *c)
{
    double l;
    ts_nn_pearson_forward(&l, c->t[0], c->aux[0], 3, 12, 1e-8);
    c->out[0] = (float)l;
}
static void pear_b(fdcase *c) { ts_nn_pearson_backward(c->g[0], c->t[0], c->aux[0], 3, 12, 1e-8, c->r[0]); }

static fdcase mk(const char *name, size_t nout, void (*f)(fdcase *), void (*b)(fdcase *))
{
    fdcase c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.nout = nout;
    c.out = calloc(nout, sizeof(float));
    c.fwd = f;
    c.bwd = b;
    c.h = 1e-2;
    return c;
}

static void add_t(fdcase *c, size_t n, double sd)
{
    c->t[c->nt] = rnd(n, sd);
    c->n[c->nt++] = n;
}

static void test_fd_layers(void)
{
    fdcase c;
    /* conv2d 3x3 stride 2 pad 1, conv3d k3 s1 p1 */
    ts_nn_conv2d_shape(&CS, 2, 3, 7, 6, 4, 3, 3, 2, 2, 1, 1);
    c = mk("conv2d", ts_nn_conv_out_numel(&CS), conv_f, conv_b);
    add_t(&c, 2 * 3 * 7 * 6, 1);
    add_t(&c, 4 * 3 * 9, 0.3);
    add_t(&c, 4, 0.3);
    fdcheck(&c);
    /* stride 1, the direct kernel's path where the CPU has one */
    ts_nn_conv2d_shape(&CS, 2, 3, 7, 6, 5, 3, 3, 1, 1, 1, 1);
    c = mk("conv2d s1", ts_nn_conv_out_numel(&CS), conv_f, conv_b);
    add_t(&c, 2 * 3 * 7 * 6, 1);
    add_t(&c, 5 * 3 * 9, 0.3);
    add_t(&c, 5, 0.3);
    fdcheck(&c);
    ts_nn_conv3d_shape(&CS, 1, 2, 4, 5, 3, 3, 3, 1, 1);
    c = mk("conv3d", ts_nn_conv_out_numel(&CS), conv_f, conv_b);
    add_t(&c, 2 * 4 * 5 * 3, 1);
    add_t(&c, 3 * 2 * 27, 0.3);
    add_t(&c, 3, 0.3);
    fdcheck(&c);
    c = mk("linear", 4 * 3, lin_f, lin_b);
    c.iarg[0] = 4, c.iarg[1] = 5, c.iarg[2] = 3;
    add_t(&c, 20, 1);
    add_t(&c, 15, 0.5);
    add_t(&c, 3, 0.5);
    fdcheck(&c);
    c = mk("groupnorm", 2 * 6 * 10, gn_f, gn_b);
    c.iarg[0] = 2, c.iarg[1] = 6, c.iarg[2] = 10, c.iarg[3] = 2;
    add_t(&c, 120, 1);
    add_t(&c, 6, 1);
    add_t(&c, 6, 1);
    c.aux[0] = calloc(4, sizeof(float));
    c.aux[1] = calloc(4, sizeof(float));
    fdcheck(&c);
    c = mk("gn+gelu", 2 * 6 * 10, gng_f, gng_b);
    c.iarg[0] = 2, c.iarg[1] = 6, c.iarg[2] = 10, c.iarg[3] = 3;
    add_t(&c, 120, 1);
    add_t(&c, 6, 1);
    add_t(&c, 6, 1);
    c.aux[0] = calloc(6, sizeof(float));
    c.aux[1] = calloc(6, sizeof(float));
    fdcheck(&c);
    c = mk("layernorm", 5 * 8, ln_f, ln_b);
    c.iarg[0] = 5, c.iarg[1] = 8;
    add_t(&c, 40, 1);
    add_t(&c, 8, 1);
    add_t(&c, 8, 1);
    c.aux[0] = calloc(5, sizeof(float));
    c.aux[1] = calloc(5, sizeof(float));
    fdcheck(&c);
    c = mk("gelu", 64, gelu_f, gelu_b);
    add_t(&c, 64, 2);
    fdcheck(&c);
    c = mk("silu", 64, silu_f, silu_b);
    add_t(&c, 64, 2);
    fdcheck(&c);
    c = mk("tanh", 64, tanh_f, tanh_b);
    add_t(&c, 64, 2);
    fdcheck(&c);
    int pa[7] = {2, 2, 7, 8, 3, 2, 1}, oh, ow;
    ts_nn_pool2d_out(7, 8, 3, 2, 1, &oh, &ow);
    c = mk("maxpool", 2 * 2 * oh * ow, maxp_f, maxp_b);
    memcpy(c.iarg, pa, sizeof pa);
    c.h = 1e-3;
    add_t(&c, 2 * 2 * 56, 1);
    fdcheck(&c);
    c = mk("avgpool", 2 * 2 * oh * ow, avgp_f, avgp_b);
    memcpy(c.iarg, pa, sizeof pa);
    add_t(&c, 2 * 2 * 56, 1);
    fdcheck(&c);
    for (int ac = 0; ac < 2; ac++) {
        int pu[7] = {1, 2, 4, 5, 9, 7, ac};
        c = mk(ac ? "bilinear ac=1" : "bilinear ac=0", 2 * 9 * 7, up_f, up_b);
        memcpy(c.iarg, pu, sizeof pu);
        add_t(&c, 40, 1);
        fdcheck(&c);
    }
    c = mk("attention", 2 * 8 * 6, att_f, att_b);
    c.iarg[0] = 2, c.iarg[1] = 8, c.iarg[2] = 6, c.iarg[3] = 2;
    add_t(&c, 96, 1);
    add_t(&c, 24 * 8, 0.4);
    add_t(&c, 24, 0.2);
    add_t(&c, 64, 0.4);
    add_t(&c, 8, 0.2);
    c.aux[0] = calloc(ts_nn_attention_cache_size(2, 8, 6, 2), sizeof(float));
    fdcheck(&c);
    c = mk("embedding", 15, emb_f, emb_b);
    add_t(&c, 15, 1);
    fdcheck(&c);
    c = mk("concat", 2 * 5 * 6, cat_f, cat_b);
    add_t(&c, 36, 1);
    add_t(&c, 24, 1);
    fdcheck(&c);
    c = mk("add_channel", 30, addc_f, addc_b);
    add_t(&c, 30, 1);
    add_t(&c, 6, 1);
    fdcheck(&c);
    c = mk("mse", 1, mse_f, mse_b);
    add_t(&c, 30, 1);
    c.aux[0] = rnd(30, 1);
    fdcheck(&c);
    c = mk("pearson", 1, pear_f, pear_b);
    add_t(&c, 36, 1);
    c.aux[0] = rnd(36, 1);
    fdcheck(&c);
}

/* ---- fast convolution vs the reference on random shapes */
static void conv_vs_ref(const ts_nn_conv_shape *s, int threads, double *worst)
{
    ts_nn_set_threads(threads);
    size_t nx = (size_t)s->n * s->c * s->d * s->h * s->w, nw = (size_t)s->oc * s->c * s->kd * s->kh * s->kw;
    size_t ny = ts_nn_conv_out_numel(s);
    float *x = rnd(nx, 1), *w = rnd(nw, 0.3), *b = rnd(s->oc, 0.3), *dy = rnd(ny, 1);
    float *y1 = calloc(ny, 4), *y2 = calloc(ny, 4), *dx1 = calloc(nx, 4), *dx2 = calloc(nx, 4);
    float *dw1 = calloc(nw, 4), *dw2 = calloc(nw, 4), *db1 = calloc(s->oc, 4), *db2 = calloc(s->oc, 4);
    TS_CHECK_OK(ts_nn_conv_forward(s, y1, x, w, b));
    TS_CHECK_OK(ts_nn_conv_forward_ref(s, y2, x, w, b));
    TS_CHECK_OK(ts_nn_conv_backward(s, dx1, dw1, db1, dy, x, w));
    TS_CHECK_OK(ts_nn_conv_backward_ref(s, dx2, dw2, db2, dy, x, w));
    const float *got[4] = {y1, dx1, dw1, db1}, *ref[4] = {y2, dx2, dw2, db2};
    size_t nn[4] = {ny, nx, nw, (size_t)s->oc};
    for (int k = 0; k < 4; k++) {
        double m = 0, e = 0;
        for (size_t i = 0; i < nn[k]; i++) m = fmax(m, fabs(ref[k][i]));
        int ok = 1;
        for (size_t i = 0; i < nn[k]; i++) {
            double d = fabs((double)got[k][i] - ref[k][i]);
            e = fmax(e, d / (m > 0 ? m : 1));
            if (!(d <= REF_ASCALE * m + REF_RTOL * fabs(ref[k][i]))) ok = 0;
        }
        *worst = fmax(*worst, e);
        TS_CHECK_MSG(ok, "conv %dx%dx%d k%d%d%d s%d%d%d p%d%d%d tensor %d", s->d, s->h, s->w, s->kd, s->kh, s->kw,
                     s->sd, s->sh, s->sw, s->pd, s->ph, s->pw, k);
    }
    free(x), free(w), free(b), free(dy), free(y1), free(y2), free(dx1), free(dx2);
    free(dw1), free(dw2), free(db1), free(db2);
}

static void test_conv_fast_vs_ref(void)
{
    double worst = 0;
    int cases = 0, ndirect = 0;
    for (int it = 0; it < 24; it++) {
        ts_nn_conv_shape s;
        int is3d = it % 3 == 2;
        int k = 1 + (int)ts_rng_uint(R, 4), st = 1 + (int)ts_rng_uint(R, 2), p = (int)ts_rng_uint(R, (uint64_t)k);
        int h = k + (int)ts_rng_uint(R, 9), w = k + (int)ts_rng_uint(R, 9);
        int n = 1 + (int)ts_rng_uint(R, 2), c = 1 + (int)ts_rng_uint(R, 4), oc = 1 + (int)ts_rng_uint(R, 5);
        int rc = is3d ? ts_nn_conv3d_shape(&s, n, c, k + (int)ts_rng_uint(R, 4), h, w, oc, k, st, p)
                      : ts_nn_conv2d_shape(&s, n, c, h, w, oc, k, 1 + (int)ts_rng_uint(R, 3), st, 1 + (int)ts_rng_uint(R, 2),
                                           p, (int)ts_rng_uint(R, 2));
        if (rc) continue; /* a random shape can be invalid (kernel > padded input): skipped */
        /* both fast paths: the default (direct kernel where it applies) and im2col + sgemm */
        ts_nn_set_conv_algo(TS_NN_CONV_GEMM);
        conv_vs_ref(&s, 1 + it % 2, &worst);
        ts_nn_set_conv_algo(TS_NN_CONV_DIRECT_AVX2);
        conv_vs_ref(&s, 1 + it % 2, &worst);
        ts_nn_set_conv_algo(TS_NN_CONV_AUTO);
        conv_vs_ref(&s, 1 + it % 2, &worst);
        ndirect += ts_nn_conv_direct_ok_(&s);
        cases++;
    }
    /* larger ones that take the OpenMP branches and, for the direct kernel,
     * several register blocks with channel and position tails (oc not a
     * multiple of 8, oh·wp not a multiple of 48), at 1 and 2 threads */
    const int big[4][9] = {/* n c h w oc kh kw ph pw */
                           {2, 16, 24, 24, 16, 3, 3, 1, 1},
                           {3, 5, 13, 17, 11, 3, 3, 1, 1},
                           {2, 7, 9, 30, 9, 5, 3, 2, 1},
                           {1, 19, 40, 33, 21, 3, 3, 0, 1}};
    const int algos[3] = {TS_NN_CONV_GEMM, TS_NN_CONV_DIRECT_AVX2, TS_NN_CONV_AUTO};
    for (int i = 0; i < 4; i++)
        for (int algo = 0; algo < 3; algo++)
            for (int th = 1; th <= 2; th++) {
                const int *b = big[i];
                ts_nn_conv_shape s;
                TS_CHECK_OK(ts_nn_conv2d_shape(&s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], 1, 1, b[7], b[8]));
                ts_nn_set_conv_algo(algos[algo]);
                conv_vs_ref(&s, th, &worst);
                ndirect += algos[algo] != TS_NN_CONV_GEMM && ts_nn_conv_direct_ok_(&s);
            }
    ts_nn_set_conv_algo(TS_NN_CONV_AUTO);
    printf("  fast vs reference: %d random shapes + 4 large, im2col+sgemm, AVX2 direct and default path (%d cases "
           "on the direct kernel), max |err|/max|ref| = %.2e\n",
           cases, ndirect, worst);
    TS_CHECK(cases >= 15);
}

/* ---- fused GroupNorm + GELU against the two oracle-tested layers in sequence */
static void test_groupnorm_gelu_vs_layers(void)
{
    const int shapes[4][4] = {{2, 6, 10, 3}, {3, 32, 64, 8}, {8, 16, 256, 1}, {1, 4, 1000, 4}}; /* n c sp g */
    double worst[6] = {0};
    for (int k = 0; k < 4; k++)
        for (int th = 1; th <= 2; th++) {
            const int n = shapes[k][0], c = shapes[k][1], sp = shapes[k][2], g = shapes[k][3];
            const size_t m = (size_t)n * c * sp;
            ts_nn_set_threads(th);
            float *x = rnd(m, 2), *ga = rnd(c, 1), *be = rnd(c, 1), *dy = rnd(m, 1);
            float *mu = calloc((size_t)n * g, 4), *rs = calloc((size_t)n * g, 4), *mu2 = calloc((size_t)n * g, 4);
            float *rs2 = calloc((size_t)n * g, 4), *z = calloc(m, 4), *y1 = calloc(m, 4), *y2 = calloc(m, 4);
            float *dz = calloc(m, 4), *dx1 = calloc(m, 4), *dx2 = calloc(m, 4);
            float *dg1 = calloc(c, 4), *db1 = calloc(c, 4), *dg2 = calloc(c, 4), *db2 = calloc(c, 4);
            TS_CHECK_OK(ts_nn_groupnorm_gelu_forward(y1, mu, rs, x, ga, be, n, c, sp, g, 1e-5f));
            TS_CHECK_OK(ts_nn_groupnorm_gelu_backward(dx1, dg1, db1, dy, x, mu, rs, ga, be, n, c, sp, g));
            TS_CHECK_OK(ts_nn_groupnorm_forward(z, mu2, rs2, x, ga, be, n, c, sp, g, 1e-5f));
            ts_nn_gelu_forward(y2, z, m);
            ts_nn_gelu_backward(dz, dy, z, m);
            TS_CHECK_OK(ts_nn_groupnorm_backward(dx2, dg2, db2, dz, x, mu2, rs2, ga, n, c, sp, g));
            const float *got[6] = {y1, mu, rs, dx1, dg1, db1}, *ref[6] = {y2, mu2, rs2, dx2, dg2, db2};
            const size_t cnt[6] = {m, (size_t)n * g, (size_t)n * g, m, (size_t)c, (size_t)c};
            for (int t = 0; t < 6; t++) {
                double mx = 0;
                for (size_t i = 0; i < cnt[t]; i++) mx = fmax(mx, fabs(ref[t][i]));
                int ok = 1;
                for (size_t i = 0; i < cnt[t]; i++) {
                    double d = fabs((double)got[t][i] - ref[t][i]);
                    worst[t] = fmax(worst[t], d / (mx > 0 ? mx : 1));
                    if (!(d <= REF_ASCALE * mx + REF_RTOL * fabs(ref[t][i]))) ok = 0;
                }
                TS_CHECK_MSG(ok, "groupnorm_gelu n%d c%d sp%d g%d tensor %d", n, c, sp, g, t);
            }
            free(x), free(ga), free(be), free(dy), free(mu), free(rs), free(mu2), free(rs2), free(z), free(y1);
            free(y2), free(dz), free(dx1), free(dx2), free(dg1), free(db1), free(dg2), free(db2);
        }
    printf("  fused groupnorm+gelu vs groupnorm then gelu, max |err|/max|ref|: y %.1e mean %.1e rstd %.1e dx %.1e "
           "dgamma %.1e dbeta %.1e\n",
           worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]);
}

static void test_determinism(void)
{
    ts_nn_set_threads(2);
    ts_nn_conv_shape s;
    TS_CHECK_OK(ts_nn_conv2d_shape(&s, 4, 16, 32, 32, 32, 3, 3, 1, 1, 1, 1));
    size_t nx = (size_t)4 * 16 * 32 * 32, nw = (size_t)32 * 16 * 9, ny = ts_nn_conv_out_numel(&s);
    float *x = rnd(nx, 1), *w = rnd(nw, 0.1), *dy = rnd(ny, 1);
    float *r1[3], *r2[3];
    for (int rep = 0; rep < 2; rep++) {
        float **r = rep ? r2 : r1;
        r[0] = calloc(ny, 4), r[1] = calloc(nx, 4), r[2] = calloc(nw + 32, 4);
        TS_CHECK_OK(ts_nn_conv_forward(&s, r[0], x, w, NULL));
        TS_CHECK_OK(ts_nn_conv_backward(&s, r[1], r[2], r[2] + nw, dy, x, w));
    }
    TS_CHECK(memcmp(r1[0], r2[0], ny * 4) == 0);
    TS_CHECK(memcmp(r1[1], r2[1], nx * 4) == 0);
    TS_CHECK(memcmp(r1[2], r2[2], (nw + 32) * 4) == 0);
    for (int k = 0; k < 3; k++) free(r1[k]), free(r2[k]);
    free(x), free(w), free(dy);
}

static void test_api(void)
{
    ts_nn_arena *a = NULL;
    TS_CHECK_OK(ts_nn_arena_create(100, &a));
    float *p1 = ts_nn_arena_alloc(a, 10);
    ts_nn_arena_mark m = ts_nn_arena_get_mark(a);
    float *p2 = ts_nn_arena_alloc(a, 1000); /* larger than a chunk */
    TS_CHECK(p1 && p2 && ((uintptr_t)p1 % 64) == 0 && ((uintptr_t)p2 % 64) == 0);
    p2[999] = 1.0f;
    ts_nn_arena_reset(a, m);
    float *p3 = ts_nn_arena_alloc(a, 1000);
    TS_CHECK(p3 == p2 && p3[999] == 0.0f); /* reused and zeroed */
    p3[999] = 2.0f;
    ts_nn_arena_reset(a, m);
    float *p4 = ts_nn_arena_alloc_raw(a, 1000);
    TS_CHECK(p4 == p2 && p4[999] == 2.0f); /* reused, not zeroed */
    float *p5 = ts_nn_arena_alloc_raw(a, 5000); /* a new chunk */
    TS_CHECK(p5 && ((uintptr_t)p5 % 64) == 0);
    p5[4999] = 1.0f;
    int64_t shp[3] = {2, 3, 4};
    ts_nn_tensor *t = NULL, *u = NULL, *v = NULL;
    TS_CHECK_OK(ts_nn_tensor_create(3, shp, &t));
    TS_CHECK(t && t->numel == 24 && t->owned && t->data[23] == 0.0f);
    TS_CHECK_OK(ts_nn_tensor_create_in(a, 3, shp, &u));
    TS_CHECK(u && !u->owned);
    TS_CHECK_OK(ts_nn_tensor_wrap(t->data, 2, shp, &v));
    TS_CHECK(v && v->numel == 6 && v->data == t->data && !v->owned);
    int64_t bad[2] = {2, -1};
    ts_nn_tensor *w = (ts_nn_tensor *)&bad;
    TS_CHECK_ERR(ts_nn_tensor_create(2, bad, &w), TS_ERR_INVAL);
    TS_CHECK(w == NULL);
    TS_CHECK_ERR(ts_nn_tensor_create(TS_NN_MAXDIM + 1, shp, &w), TS_ERR_INVAL);
    ts_nn_tensor_destroy(v);
    ts_nn_tensor_destroy(u);
    ts_nn_tensor_destroy(t);
    ts_nn_tensor_destroy(NULL);
    ts_nn_arena_destroy(a);
    ts_nn_arena_destroy(NULL);
    ts_nn_params *P = NULL;
    TS_CHECK_OK(ts_nn_params_create(&P));
    TS_CHECK_ERR(ts_nn_params_add(P, "", 1, shp, NULL), TS_ERR_INVAL);
    TS_CHECK_ERR(ts_nn_params_add(P, "x", 2, bad, NULL), TS_ERR_INVAL);
    int i0, i1;
    TS_CHECK_OK(ts_nn_params_add(P, "a", 2, shp, &i0));
    TS_CHECK_OK(ts_nn_params_add(P, "b", 1, shp, &i1));
    TS_CHECK(ts_nn_params_data(P, i0) == NULL);
    TS_CHECK_OK(ts_nn_params_alloc(P));
    TS_CHECK_ERR(ts_nn_params_add(P, "c", 1, shp, NULL), TS_ERR_INVAL);
    TS_CHECK(ts_nn_params_data(P, i1) - ts_nn_params_data(P, i0) == 16); /* 6 floats padded to 16 */
    TS_CHECK(ts_nn_params_find(P, "b") == i1 && ts_nn_params_find(P, "zz") == -1);
    ts_nn_params_destroy(P);
    ts_nn_params_destroy(NULL);
    /* max-pool ties and NaN: the first maximum in scan order wins, a NaN wins
     * (PyTorch's rule), in the 2x2 fast path and the general path alike */
    float pin[16] = {1, 3, 3, 0, 2, 3, NAN, 5, 0, 0, 0, 0, 0, 0, 0, 0}, pout[4], pout3[9], dpin[16] = {0};
    float one4[4] = {1, 1, 1, 1};
    TS_CHECK_OK(ts_nn_maxpool2d_forward(pout, pin, 1, 1, 4, 4, 2, 2, 0));
    TS_CHECK(pout[0] == 3 && isnan(pout[1]) && pout[2] == 0 && pout[3] == 0);
    TS_CHECK_OK(ts_nn_maxpool2d_backward(dpin, one4, pin, 1, 1, 4, 4, 2, 2, 0));
    TS_CHECK(dpin[1] == 1 && dpin[5] == 0 && dpin[6] == 1 && dpin[7] == 0 && dpin[8] == 1);
    TS_CHECK_OK(ts_nn_maxpool2d_forward(pout3, pin, 1, 1, 4, 4, 2, 1, 0)); /* general path, 3x3 out */
    TS_CHECK(pout3[0] == 3 && isnan(pout3[1]) && isnan(pout3[2]) && pout3[3] == 3 && pout3[6] == 0);
    ts_nn_conv_shape s;
    TS_CHECK_ERR(ts_nn_conv2d_shape(&s, 1, 1, 2, 2, 1, 5, 5, 1, 1, 0, 0), TS_ERR_INVAL);
    TS_CHECK_ERR(ts_nn_conv2d_shape(&s, 1, 1, 8, 8, 1, 3, 3, 0, 1, 0, 0), TS_ERR_INVAL);
    TS_CHECK_ERR(ts_nn_upsample_bilinear_forward(p1, p1, 1, 1, 0, 2, 2, 2, 0), TS_ERR_INVAL);
    TS_CHECK_ERR(ts_nn_timestep_embedding(p1, p1, 1, 7, 10000.0, 1), TS_ERR_INVAL);
}

int main(void)
{
    R = ts_rng_create(8, 0);
    if (!R) return 1;
    ts_nn_set_threads(2);
    TS_RUN(test_fd_layers);
    TS_RUN(test_conv_fast_vs_ref);
    TS_RUN(test_groupnorm_gelu_vs_layers);
    TS_RUN(test_determinism);
    TS_RUN(test_api);
    ts_rng_destroy(R);
    return ts_test_summary();
}
