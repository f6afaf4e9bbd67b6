/* Every nn layer, forward and backward, against PyTorch goldens
 * (tests/oracles/nn/gen_goldens.py -> golden/layers.bin).
 *
 * Tolerances (float32 against float32 PyTorch, different summation orders):
 *   RTOL = 1e-5 relative per element, plus an absolute floor ASCALE = 1e-5 times
 *   the largest reference magnitude of the tensor (entries small through
 *   cancellation carry the rounding error of their large terms). Sums here have
 *   at most ~500 terms: float32 reordering error ~ sqrt(500)·6e-8 ≈ 1.3e-6 of
 *   the term magnitude, so 1e-5 leaves a margin of ~8 without hiding a wrong index
 *   or coefficient (those give errors of order 1). */
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "tinsel/nn.h"
#include "ts_test.h"

#define RTOL 1e-5
#define ASCALE 1e-5

static golden *G;

static const float *gv(const char *cs, const char *field, size_t *n)
{
    char name[256];
    snprintf(name, sizeof name, "%s/%s", cs, field);
    return golden_get(G, name, n);
}

static int meta(const char *cs, int i)
{
    char name[256];
    snprintf(name, sizeof name, "%s/meta", cs);
    return golden_int(G, name, (size_t)i);
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

#define CMP(cs, field, got, n)                                                     \
    do {                                                                           \
        size_t n_ = 0;                                                             \
        const float *w_ = gv(cs, field, &n_);                                      \
        char lab_[128];                                                            \
        snprintf(lab_, sizeof lab_, "%s/%s", cs, field);                           \
        TS_CHECK(n_ == (size_t)(n));                                               \
        TS_CHECK(golden_close(lab_, got, w_, n_ == (size_t)(n) ? n_ : 0, RTOL, ASCALE)); \
    } while (0)

static void check_conv(const char *cs, int is3d, int use_ref)
{
    ts_nn_conv_shape s;
    if (is3d)
        TS_CHECK_OK(ts_nn_conv3d_shape(&s, meta(cs, 0), meta(cs, 1), meta(cs, 2), meta(cs, 3), meta(cs, 4),
                                       meta(cs, 5), meta(cs, 6), meta(cs, 7), meta(cs, 8)));
    else
        TS_CHECK_OK(ts_nn_conv2d_shape(&s, meta(cs, 0), meta(cs, 1), meta(cs, 2), meta(cs, 3), meta(cs, 4),
                                       meta(cs, 5), meta(cs, 6), meta(cs, 7), meta(cs, 8), meta(cs, 9),
                                       meta(cs, 10)));
    size_t nx, nw, nb, ny;
    const float *x = gv(cs, "x", &nx), *w = gv(cs, "w", &nw), *b = gv(cs, "b", &nb), *dy = gv(cs, "dy", &ny);
    TS_CHECK(ny == ts_nn_conv_out_numel(&s));
    float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros(nb);
    if (use_ref) {
        TS_CHECK_OK(ts_nn_conv_forward_ref(&s, y, x, w, b));
        TS_CHECK_OK(ts_nn_conv_backward_ref(&s, dx, dw, db, dy, x, w));
    } else {
        TS_CHECK_OK(ts_nn_conv_forward(&s, y, x, w, b));
        TS_CHECK_OK(ts_nn_conv_backward(&s, dx, dw, db, dy, x, w));
    }
    CMP(cs, "y", y, ny);
    CMP(cs, "dx", dx, nx);
    CMP(cs, "dw", dw, nw);
    CMP(cs, "db", db, nb);
    free(y);
    free(dx);
    free(dw);
    free(db);
}

static void test_conv2d(void)
{
    const char *cs[] = {"conv2d_a", "conv2d_b", "conv2d_c", "conv2d_d"};
    for (int i = 0; i < 4; i++) {
        check_conv(cs[i], 0, 0);
        check_conv(cs[i], 0, 1);
    }
}

static void test_conv3d(void)
{
    check_conv("conv3d_a", 1, 0);
    check_conv("conv3d_a", 1, 1);
    check_conv("conv3d_b", 1, 0);
    check_conv("conv3d_b", 1, 1);
}

static void test_linear(void)
{
    size_t nx, nw, nb, ny;
    const float *x = gv("linear", "x", &nx), *w = gv("linear", "w", &nw), *b = gv("linear", "b", &nb);
    const float *dy = gv("linear", "dy", &ny);
    float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros(nb);
    TS_CHECK_OK(ts_nn_linear_forward(y, x, w, b, 5, 7, 4));
    TS_CHECK_OK(ts_nn_linear_backward(dx, dw, db, dy, x, w, 5, 7, 4));
    CMP("linear", "y", y, ny);
    CMP("linear", "dx", dx, nx);
    CMP("linear", "dw", dw, nw);
    CMP("linear", "db", db, nb);
    free(y);
    free(dx);
    free(dw);
    free(db);
}

static void test_groupnorm(void)
{
    const char *cs[] = {"groupnorm_a", "groupnorm_b"};
    for (int k = 0; k < 2; k++) {
        int n = meta(cs[k], 0), c = meta(cs[k], 1), sp = meta(cs[k], 2), g = meta(cs[k], 3);
        size_t nx;
        const float *x = gv(cs[k], "x", &nx), *ga = gv(cs[k], "gamma", NULL), *be = gv(cs[k], "beta", NULL);
        const float *dy = gv(cs[k], "dy", NULL);
        float *y = zeros(nx), *dx = zeros(nx), *dga = zeros(c), *dbe = zeros(c), *mu = zeros(n * g), *rs = zeros(n * g);
        TS_CHECK_OK(ts_nn_groupnorm_forward(y, mu, rs, x, ga, be, n, c, sp, g, 1e-5f));
        TS_CHECK_OK(ts_nn_groupnorm_backward(dx, dga, dbe, dy, x, mu, rs, ga, n, c, sp, g));
        CMP(cs[k], "y", y, nx);
        CMP(cs[k], "dx", dx, nx);
        CMP(cs[k], "dgamma", dga, c);
        CMP(cs[k], "dbeta", dbe, c);
        free(y);
        free(dx);
        free(dga);
        free(dbe);
        free(mu);
        free(rs);
    }
    float z6[6] = {0}, o6[6], m2[2], r2[2];
    TS_CHECK_ERR(ts_nn_groupnorm_forward(o6, m2, r2, z6, NULL, NULL, 1, 6, 1, 4, 1e-5f), TS_ERR_INVAL);
}

static void test_layernorm(void)
{
    size_t nx;
    const float *x = gv("layernorm", "x", &nx), *ga = gv("layernorm", "gamma", NULL);
    const float *be = gv("layernorm", "beta", NULL), *dy = gv("layernorm", "dy", NULL);
    float *y = zeros(nx), *dx = zeros(nx), *dga = zeros(10), *dbe = zeros(10), *mu = zeros(6), *rs = zeros(6);
    TS_CHECK_OK(ts_nn_layernorm_forward(y, mu, rs, x, ga, be, 6, 10, 1e-5f));
    TS_CHECK_OK(ts_nn_layernorm_backward(dx, dga, dbe, dy, x, mu, rs, ga, 6, 10));
    CMP("layernorm", "y", y, nx);
    CMP("layernorm", "dx", dx, nx);
    CMP("layernorm", "dgamma", dga, 10);
    CMP("layernorm", "dbeta", dbe, 10);
    free(y);
    free(dx);
    free(dga);
    free(dbe);
    free(mu);
    free(rs);
}

static void test_activations(void)
{
    const char *cs[] = {"gelu", "silu", "tanh"};
    for (int k = 0; k < 3; k++) {
        size_t n;
        const float *x = gv(cs[k], "x", &n), *dy = gv(cs[k], "dy", NULL);
        float *y = zeros(n), *dx = zeros(n);
        if (k == 0) {
            ts_nn_gelu_forward(y, x, n);
            ts_nn_gelu_backward(dx, dy, x, n);
        } else if (k == 1) {
            ts_nn_silu_forward(y, x, n);
            ts_nn_silu_backward(dx, dy, x, n);
        } else {
            ts_nn_tanh_forward(y, x, n);
            ts_nn_tanh_backward(dx, dy, y, n);
        }
        CMP(cs[k], "y", y, n);
        CMP(cs[k], "dx", dx, n);
        free(y);
        free(dx);
    }
}

static void test_pooling(void)
{
    const char *cs[] = {"maxpool_a", "maxpool_b", "avgpool_a", "avgpool_b"};
    for (int k = 0; k < 4; k++) {
        int n = meta(cs[k], 0), c = meta(cs[k], 1), h = meta(cs[k], 2), w = meta(cs[k], 3);
        int ks = meta(cs[k], 4), st = meta(cs[k], 5), pd = meta(cs[k], 6), oh, ow;
        TS_CHECK_OK(ts_nn_pool2d_out(h, w, ks, st, pd, &oh, &ow));
        size_t nx, ny;
        const float *x = gv(cs[k], "x", &nx), *dy = gv(cs[k], "dy", &ny);
        TS_CHECK(ny == (size_t)n * c * oh * ow);
        float *y = zeros(ny), *dx = zeros(nx);
        if (k < 2) {
            TS_CHECK_OK(ts_nn_maxpool2d_forward(y, x, n, c, h, w, ks, st, pd));
            TS_CHECK_OK(ts_nn_maxpool2d_backward(dx, dy, x, n, c, h, w, ks, st, pd));
        } else {
            TS_CHECK_OK(ts_nn_avgpool2d_forward(y, x, n, c, h, w, ks, st, pd));
            TS_CHECK_OK(ts_nn_avgpool2d_backward(dx, dy, n, c, h, w, ks, st, pd));
        }
        CMP(cs[k], "y", y, ny);
        CMP(cs[k], "dx", dx, nx);
        free(y);
        free(dx);
    }
}

static void test_upsample(void)
{
    const char *cs[] = {"upsample_a", "upsample_b", "upsample_c", "upsample_d", "upsample_e"};
    for (int k = 0; k < 5; k++) {
        int n = meta(cs[k], 0), c = meta(cs[k], 1), h = meta(cs[k], 2), w = meta(cs[k], 3);
        int oh = meta(cs[k], 4), ow = meta(cs[k], 5), ac = meta(cs[k], 6);
        size_t nx, ny;
        const float *x = gv(cs[k], "x", &nx), *dy = gv(cs[k], "dy", &ny);
        float *y = zeros(ny), *dx = zeros(nx);
        TS_CHECK_OK(ts_nn_upsample_bilinear_forward(y, x, n, c, h, w, oh, ow, ac));
        TS_CHECK_OK(ts_nn_upsample_bilinear_backward(dx, dy, n, c, h, w, oh, ow, ac));
        CMP(cs[k], "y", y, ny);
        CMP(cs[k], "dx", dx, nx);
        free(y);
        free(dx);
    }
}

static void test_concat_add(void)
{
    size_t na, nb, ny;
    const float *a = gv("concat", "a", &na), *b = gv("concat", "b", &nb), *dy = gv("concat", "dy", &ny);
    float *y = zeros(ny), *da = zeros(na), *db = zeros(nb);
    ts_nn_concat_forward(y, a, b, 2, 3, 2, 20);
    ts_nn_concat_backward(da, db, dy, 2, 3, 2, 20);
    CMP("concat", "y", y, ny);
    CMP("concat", "da", da, na);
    CMP("concat", "db", db, nb);
    /* residual add and the per-channel add: definitions checked exactly */
    float s[4] = {1, 2, 3, 4}, t[4] = {0.5f, -1, 2, 8}, o[4], d1[4] = {0}, d2[4] = {1, 1, 1, 1};
    ts_nn_add_forward(o, s, t, 4);
    ts_nn_add_backward(d1, d2, t, 4);
    for (int i = 0; i < 4; i++) {
        TS_CHECK(o[i] == s[i] + t[i]);
        TS_CHECK(d1[i] == t[i] && d2[i] == 1 + t[i]);
    }
    float x[2 * 2 * 3] = {0}, v[4] = {1, 2, 3, 4}, dv[4] = {0};
    ts_nn_add_channel_forward(x, v, 2, 2, 3);
    ts_nn_add_channel_backward(dv, x, 2, 2, 3);
    for (int i = 0; i < 12; i++) TS_CHECK(x[i] == v[i / 3]);
    for (int i = 0; i < 4; i++) TS_CHECK(dv[i] == 3 * v[i]);
    free(y);
    free(da);
    free(db);
}

static void test_attention(void)
{
    int n = meta("attention", 0), c = meta("attention", 1), l = meta("attention", 2), h = meta("attention", 3);
    size_t nx, niw, nib, now, nob;
    const float *x = gv("attention", "x", &nx), *iw = gv("attention", "in_w", &niw);
    const float *ib = gv("attention", "in_b", &nib), *ow = gv("attention", "out_w", &now);
    const float *ob = gv("attention", "out_b", &nob), *dy = gv("attention", "dy", NULL);
    float *cache = zeros(ts_nn_attention_cache_size(n, c, l, h));
    float *y = zeros(nx), *dx = zeros(nx), *diw = zeros(niw), *dib = zeros(nib), *dow = zeros(now),
          *dob = zeros(nob);
    TS_CHECK_OK(ts_nn_attention_forward(y, cache, x, iw, ib, ow, ob, n, c, l, h));
    TS_CHECK_OK(ts_nn_attention_backward(dx, diw, dib, dow, dob, dy, cache, iw, ow, n, c, l, h));
    CMP("attention", "y", y, nx);
    CMP("attention", "dx", dx, nx);
    CMP("attention", "din_w", diw, niw);
    CMP("attention", "din_b", dib, nib);
    CMP("attention", "dout_w", dow, now);
    CMP("attention", "dout_b", dob, nob);
    TS_CHECK_ERR(ts_nn_attention_forward(y, cache, x, iw, ib, ow, ob, n, c, l, 3), TS_ERR_INVAL);
    free(cache);
    free(y);
    free(dx);
    free(diw);
    free(dib);
    free(dow);
    free(dob);
}

static void test_embeddings(void)
{
    const char *cs[] = {"timestep_a", "timestep_b"};
    for (int k = 0; k < 2; k++) {
        int n = meta(cs[k], 0), dim = meta(cs[k], 1), shift = meta(cs[k], 2);
        size_t ny;
        const float *t = gv(cs[k], "t", NULL);
        gv(cs[k], "y", &ny);
        float *y = zeros(ny);
        TS_CHECK_OK(ts_nn_timestep_embedding(y, t, n, dim, 10000.0, shift));
        /* reference in float64, ours in double rounded once: half an ulp of 1 */
        TS_CHECK(golden_close(cs[k], y, gv(cs[k], "y", NULL), ny, 0.0, 1.2e-7));
        free(y);
    }
    size_t ni, nt, ny;
    const float *fi = gv("embedding", "idx", &ni), *tab = gv("embedding", "table", &nt);
    const float *dy = gv("embedding", "dy", &ny);
    int32_t idx[16];
    for (size_t i = 0; i < ni; i++) idx[i] = (int32_t)fi[i];
    float *y = zeros(ny), *dt = zeros(nt);
    TS_CHECK_OK(ts_nn_embedding_forward(y, idx, tab, (int)ni, 10, 6));
    TS_CHECK_OK(ts_nn_embedding_backward(dt, dy, idx, (int)ni, 10, 6));
    CMP("embedding", "y", y, ny);
    CMP("embedding", "dtable", dt, nt);
    idx[2] = 10;
    TS_CHECK_ERR(ts_nn_embedding_forward(y, idx, tab, (int)ni, 10, 6), TS_ERR_RANGE);
    free(y);
    free(dt);
}

static void test_losses(void)
{
    size_t n;
    const float *p = gv("mse", "p", &n), *t = gv("mse", "t", NULL);
    double loss;
    float *dp = zeros(n), lf;
    TS_CHECK_OK(ts_nn_mse_forward(&loss, p, t, n));
    lf = (float)loss;
    CMP("mse", "loss", &lf, 1);
    ts_nn_mse_backward(dp, p, t, n, 1.0f);
    CMP("mse", "dp", dp, n);
    free(dp);
    p = gv("pearson", "p", &n);
    t = gv("pearson", "t", NULL);
    dp = zeros(n);
    TS_CHECK_OK(ts_nn_pearson_forward(&loss, p, t, 3, 20, 1e-8));
    lf = (float)loss;
    CMP("pearson", "loss", &lf, 1);
    TS_CHECK_OK(ts_nn_pearson_backward(dp, p, t, 3, 20, 1e-8, 1.0f));
    CMP("pearson", "dp", dp, n);
    free(dp);
}

int main(void)
{
    ts_nn_set_threads(2);
    G = golden_load("layers.bin");
    if (!G) return 1;
    TS_RUN(test_conv2d);
    TS_RUN(test_conv3d);
    TS_RUN(test_linear);
    TS_RUN(test_groupnorm);
    TS_RUN(test_layernorm);
    TS_RUN(test_activations);
    TS_RUN(test_pooling);
    TS_RUN(test_upsample);
    TS_RUN(test_concat_add);
    TS_RUN(test_attention);
    TS_RUN(test_embeddings);
    TS_RUN(test_losses);
    golden_free(G);
    return ts_test_summary();
}
