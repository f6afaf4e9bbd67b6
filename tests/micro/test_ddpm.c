/* C-DDPM: the conditional U-Net against PyTorch (float64 oracle,
 * tests/oracles/micro/make_unet_golden.py), the beta schedule against
 * torch.linspace/cumprod, q(x_t | x_0) statistics, training (loss falls),
 * exact resume from a checkpoint, reproducible sampling, bad input. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/micro.h"
#include "ts_test.h"

/* float32 forward through ~30 conv/GroupNorm/attention layers against a
 * float64 reference: each layer adds a relative rounding error of a few
 * float32 ulps times sqrt(reduction length) (<= 9*34 products); GroupNorm
 * renormalises, so errors do not grow geometrically.  Measured max error
 * relative to the largest |reference| value: see docs/micro.md; 2e-5 is
 * ~170 float32 eps. */
#define TOL_FWD 2e-5
/* gradients pass the same layers twice (forward activations, backward
 * products) plus the attention softmax Jacobian: 1e-4 of the largest
 * gradient entry of the same tensor (~840 float32 eps). */
#define TOL_GRAD 1e-4

static double max_abs(const float *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* the golden under test: the seed's units, or in_plain = 1 (plain first input conv) */
static const char *golden = TS_SOURCE_DIR "/tests/micro/data/unet_tiny.safetensors";

static void test_unet_vs_pytorch(void)
{
    ts_nn_safetensors *st = NULL;
    TS_CHECK_OK(ts_nn_st_read(golden, &st));
    if (!st) return;
    ts_micro_unet_config c;
    TS_CHECK_OK(ts_micro_unet_config_parse(ts_nn_st_meta(st, "unet"), &c));
    ts_micro_unet *u = NULL;
    TS_CHECK_OK(ts_micro_unet_create(&c, &u));
    ts_nn_params *P = ts_micro_unet_params(u);
    TS_CHECK_OK(ts_nn_params_load(P, golden, 1));
    const float *x = ts_nn_st_data(st, ts_nn_st_find(st, "in.x"));
    const float *t = ts_nn_st_data(st, ts_nn_st_find(st, "in.t"));
    const float *cond = ts_nn_st_data(st, ts_nn_st_find(st, "in.cond"));
    const float *g = ts_nn_st_data(st, ts_nn_st_find(st, "in.g"));
    const float *ref = ts_nn_st_data(st, ts_nn_st_find(st, "ref.out"));
    const float *rdx = ts_nn_st_data(st, ts_nn_st_find(st, "ref.dx"));
    const int n = 2;
    const size_t len = (size_t)n * c.size * c.size;
    float *y = calloc(len, sizeof *y), *dx = calloc(len, sizeof *dx);
    ts_nn_arena *A = NULL;
    TS_CHECK_OK(ts_nn_arena_create(0, &A));
    TS_CHECK_OK(ts_micro_unet_forward(u, A, x, t, cond, n, y));
    double ef = max_diff(y, ref, len) / max_abs(ref, len);
    TS_CHECK_MSG(ef <= TOL_FWD, "forward max error / max|ref| = %.3g", ef);
    ts_nn_params_zero_grad(P);
    TS_CHECK_OK(ts_micro_unet_backward(u, A, g, dx));
    double edx = max_diff(dx, rdx, len) / max_abs(rdx, len), eg = 0;
    TS_CHECK_MSG(edx <= TOL_GRAD, "dx max error / max|ref| = %.3g", edx);
    const char *worst = "";
    for (int i = 0; i < ts_nn_params_count(P); i++) {
        char name[300];
        snprintf(name, sizeof name, "grad/%s", ts_nn_params_name(P, i));
        int k = ts_nn_st_find(st, name), nd;
        int64_t shp[TS_NN_MAXDIM];
        TS_CHECK_MSG(k >= 0, "no %s in the golden", name);
        if (k < 0) continue;
        ts_nn_params_shape(P, i, &nd, shp);
        size_t m = ts_nn_shape_numel(nd, shp);
        double e = max_diff(ts_nn_params_grad(P, i), ts_nn_st_data(st, k), m) / fmax(max_abs(ts_nn_st_data(st, k), m), 1e-30);
        if (e > eg) eg = e, worst = ts_nn_params_name(P, i);
        TS_CHECK_MSG(e <= TOL_GRAD, "%s: max error / max|ref| = %.3g", name, e);
    }
    printf("unet (in_plain %d) vs PyTorch float64: forward %.2e, dx %.2e, worst parameter gradient %.2e (%s), %zu weights\n",
           c.in_plain, ef, edx, eg, worst, ts_nn_params_total(P));
    ts_nn_arena_destroy(A);
    free(y);
    free(dx);
    ts_micro_unet_destroy(u);
    ts_nn_st_destroy(st);
}

/* DDIM from the oracle's x_T with the same weights, 10 steps, with and
 * without x0 clipping, against the float64 PyTorch sampler.  The first step
 * divides by sqrt(abar_900) ~ 0.01, so float32 errors of eps (~1e-6
 * relative, above) grow ~100x; clamping is 1-Lipschitz, so the max
 * absolute difference of the clipped outputs bounds the agreement. */
#define TOL_DDIM 1e-4

static void test_ddim_vs_pytorch(void)
{
    const char *path = golden;
    ts_nn_safetensors *st = NULL;
    TS_CHECK_OK(ts_nn_st_read(path, &st));
    if (!st) return;
    ts_micro_ddpm_config c;
    ts_micro_ddpm_config_default(&c);
    TS_CHECK_OK(ts_micro_unet_config_parse(ts_nn_st_meta(st, "unet"), &c.net));
    ts_micro_ddpm *d = NULL;
    TS_CHECK_OK(ts_micro_ddpm_create(&c, &d));
    if (!d) {
        ts_nn_st_destroy(st);
        return;
    }
    TS_CHECK_OK(ts_nn_params_load(ts_micro_unet_params(ts_micro_ddpm_unet(d)), path, 1));
    const int n = 2;
    const size_t len = (size_t)n * c.net.size * c.net.size;
    const float *xT = ts_nn_st_data(st, ts_nn_st_find(st, "in.xT"));
    const float *cond = ts_nn_st_data(st, ts_nn_st_find(st, "in.cond"));
    float *x = malloc(len * sizeof *x);
    for (int clip = 0; clip < 2; clip++) {
        const float *ref = ts_nn_st_data(st, ts_nn_st_find(st, clip ? "ref.ddim10_clip1" : "ref.ddim10_clip0"));
        memcpy(x, xT, len * sizeof *x);
        TS_CHECK_OK(ts_micro_ddpm_denoise(d, 0, cond, n, 10, clip, NULL, x));
        int interior = 0;
        for (size_t i = 0; i < len; i++) interior += fabs(ref[i]) < 0.999;
        double e = max_diff(x, ref, len);
        printf("DDIM 10 steps vs PyTorch float64 (clip_x0 %d): max |diff| %.2e (%d of %zu values inside (-1, 1))\n",
               clip, e, interior, len);
        TS_CHECK_MSG(e <= TOL_DDIM, "DDIM clip %d: max diff %.3g", clip, e);
    }
    TS_CHECK_ERR(ts_micro_ddpm_denoise(d, 0, cond, n, 0, 0, NULL, x), TS_ERR_INVAL); /* ancestral needs noise */
    free(x);
    ts_micro_ddpm_destroy(d);
    ts_nn_st_destroy(st);
}

static void test_schedule(void)
{
    double beta[1000], abar[1000];
    TS_CHECK_OK(ts_micro_ddpm_schedule(1000, 1e-4, 0.02, beta, abar));
    /* torch.linspace(1e-4, 0.02, 1000, float64) and torch.cumprod(1 - beta) */
    TS_CHECK_CLOSE(beta[0], 1e-4, 0, 1e-15);
    TS_CHECK_CLOSE(beta[1], 0.00011991991991991993, 0, 1e-14);
    TS_CHECK_CLOSE(beta[999], 0.02, 0, 1e-15);
    TS_CHECK_CLOSE(abar[0], 0.9999, 0, 1e-15);
    TS_CHECK_CLOSE(abar[499], 0.07858724288177824, 0, 1e-12);
    TS_CHECK_CLOSE(abar[999], 4.035829765375676e-05, 0, 1e-11);
    for (int t = 1; t < 1000; t++) TS_CHECK(abar[t] < abar[t - 1] && beta[t] > beta[t - 1]);
    TS_CHECK_ERR(ts_micro_ddpm_schedule(1, 1e-4, 0.02, beta, abar), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_micro_ddpm_schedule(10, 0.1, 0.02, beta, abar), TS_ERR_RANGE);
}

static ts_micro_ddpm_config tiny_config(void)
{
    ts_micro_ddpm_config c;
    ts_micro_ddpm_config_default(&c);
    ts_micro_unet_config *u = &c.net;
    u->size = 8, u->levels = 1, u->ch[0] = 8, u->ch[1] = 8, u->attn[0] = 0, u->attn[1] = 1;
    u->temb = 16, u->cemb = 8, u->nconv = 2, u->nmid = 2;
    c.batch = 4;
    c.ema_start = 3;
    c.seed = 7;
    return c;
}

/* q(x_t | x_0) = N(sqrt(abar) x0, (1 - abar) I): sample mean and variance of
 * 2^17 draws within 5 standard errors (false-failure rate ~ 1e-6). */
static void test_q_sample_stats(void)
{
    ts_micro_ddpm_config c = tiny_config();
    ts_micro_ddpm *d = NULL;
    TS_CHECK_OK(ts_micro_ddpm_create(&c, &d));
    if (!d) return;
    double beta[1000], abar[1000];
    ts_micro_ddpm_schedule(1000, 1e-4, 0.02, beta, abar);
    const size_t n = 1u << 17;
    float *x0 = malloc(n * sizeof *x0), *eps = malloc(n * sizeof *eps), *xt = malloc(n * sizeof *xt);
    ts_rng *r = ts_rng_create(3, 0);
    for (size_t i = 0; i < n; i++) x0[i] = 0.5f, eps[i] = (float)ts_rng_normal(r, 0, 1);
    int ts[] = {0, 99, 499, 999};
    for (int k = 0; k < 4; k++) {
        ts_micro_ddpm_q_sample(d, ts[k], x0, eps, xt, n);
        double m = 0, v = 0;
        for (size_t i = 0; i < n; i++) m += xt[i];
        m /= n;
        for (size_t i = 0; i < n; i++) v += (xt[i] - m) * (xt[i] - m);
        v /= n - 1;
        double var = 1 - abar[ts[k]];
        TS_CHECK_CLOSE(m, 0.5 * sqrt(abar[ts[k]]), 5 * sqrt(var / n), 0);
        TS_CHECK_CLOSE(v, var, 5 * var * sqrt(2.0 / n), 0);
    }
    ts_rng_destroy(r);
    free(x0);
    free(eps);
    free(xt);
    ts_micro_ddpm_destroy(d);
}

/* a tiny "dataset": 6 images of two conditions, smooth stripes */
static void tiny_data(float *data, float *cond, int N, int S)
{
    for (int k = 0; k < N; k++) {
        ts_micro_ddpm_cond(k % 2 ? 120 : 0, k % 2 ? 3000 : 100, cond + 2 * k);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                data[((size_t)k * S + y) * S + x] = (float)(y < S / 2 + k % 2 ? -0.6 : 0.7) + 0.05f * (float)((x + k) % 3);
    }
}

static void test_train_loss_falls_and_resume(void)
{
    ts_micro_ddpm_config c = tiny_config();
    c.lr = 1e-3; /* a higher rate than the seed's 3e-4 so 40 steps show the fall */
    const int N = 6, S = 8, steps = 40;
    float data[6 * 64], cond[12];
    tiny_data(data, cond, N, S);
    ts_micro_ddpm *d = NULL, *a = NULL, *b = NULL;
    TS_CHECK_OK(ts_micro_ddpm_create(&c, &d));
    if (!d) return;
    double loss[40], first = 0, last = 0;
    for (int s = 0; s < steps; s++) TS_CHECK_OK(ts_micro_ddpm_train_step(d, data, cond, N, &loss[s]));
    for (int s = 0; s < 10; s++) first += loss[s] / 10, last += loss[steps - 10 + s] / 10;
    printf("tiny DDPM: mean loss of steps 1-10 %.4f, of steps 31-40 %.4f\n", first, last);
    TS_CHECK_MSG(last < 0.7 * first, "loss did not fall: %.4f -> %.4f", first, last);
    TS_CHECK(ts_micro_ddpm_steps(d) == steps);

    /* resume: 3 + save/load + 3 steps == 6 uninterrupted steps, bit for bit */
    const char *ck = "ddpm_resume_test.safetensors";
    double la[6], lb[6];
    TS_CHECK_OK(ts_micro_ddpm_create(&c, &a));
    TS_CHECK_OK(ts_micro_ddpm_create(&c, &b));
    if (!a || !b) goto done;
    for (int s = 0; s < 6; s++) TS_CHECK_OK(ts_micro_ddpm_train_step(a, data, cond, N, &la[s]));
    for (int s = 0; s < 3; s++) TS_CHECK_OK(ts_micro_ddpm_train_step(b, data, cond, N, &lb[s]));
    TS_CHECK_OK(ts_micro_ddpm_save(b, ck, 0, NULL));
    ts_micro_ddpm_destroy(b);
    b = NULL;
    TS_CHECK_OK(ts_micro_ddpm_load(ck, &b));
    if (!b) goto done;
    TS_CHECK(ts_micro_ddpm_steps(b) == 3);
    for (int s = 3; s < 6; s++) TS_CHECK_OK(ts_micro_ddpm_train_step(b, data, cond, N, &lb[s]));
    for (int s = 0; s < 6; s++) TS_CHECK_MSG(la[s] == lb[s], "step %d: loss %.17g vs resumed %.17g", s, la[s], lb[s]);
    {
        ts_nn_params *pa = ts_micro_unet_params(ts_micro_ddpm_unet(a)), *pb = ts_micro_unet_params(ts_micro_ddpm_unet(b));
        size_t np = ts_nn_params_total(pa);
        TS_CHECK(memcmp(ts_nn_params_flat(pa), ts_nn_params_flat(pb), np * sizeof(float)) == 0);
        TS_CHECK(memcmp(ts_micro_ddpm_ema(a), ts_micro_ddpm_ema(b), np * sizeof(float)) == 0);
        /* the EMA has started (ema_start 3) and differs from the weights */
        TS_CHECK(memcmp(ts_nn_params_flat(pa), ts_micro_ddpm_ema(a), np * sizeof(float)) != 0);
    }
    remove(ck);

    /* a sampling file (EMA weights as the weights, no ema/ or optimiser tensors, as
     * scripts/ddpm_train_torch.py --export-ema writes): loads with ema = weights and
     * samples exactly as the full checkpoint's EMA does */
    {
        const char *full = "ddpm_full_test.safetensors", *smp = "ddpm_sampling_test.safetensors";
        TS_CHECK_OK(ts_micro_ddpm_save(a, full, 0, NULL));
        ts_nn_safetensors *st = NULL;
        TS_CHECK_OK(ts_nn_st_read(full, &st));
        ts_micro_ddpm *e = NULL;
        if (st) {
            const char *kv[] = {"unet", ts_nn_st_meta(st, "unet"), "ddpm", ts_nn_st_meta(st, "ddpm")};
            ts_nn_params *pa = ts_micro_unet_params(ts_micro_ddpm_unet(a));
            size_t np = ts_nn_params_total(pa);
            float *w = malloc(np * sizeof *w);
            TS_CHECK(w != NULL);
            if (w) { /* write the EMA as the weights, then restore */
                memcpy(w, ts_nn_params_flat(pa), np * sizeof *w);
                memcpy(ts_nn_params_flat(pa), ts_micro_ddpm_ema(a), np * sizeof *w);
                TS_CHECK_OK(ts_nn_checkpoint_save(smp, pa, NULL, NULL, 2, kv));
                memcpy(ts_nn_params_flat(pa), w, np * sizeof *w);
                free(w);
            }
            ts_nn_st_destroy(st);
            TS_CHECK_OK(ts_micro_ddpm_load(smp, &e));
        }
        if (e) {
            ts_nn_params *pe = ts_micro_unet_params(ts_micro_ddpm_unet(e));
            size_t np = ts_nn_params_total(pe);
            TS_CHECK(memcmp(ts_micro_ddpm_ema(e), ts_micro_ddpm_ema(a), np * sizeof(float)) == 0);
            TS_CHECK(memcmp(ts_nn_params_flat(pe), ts_micro_ddpm_ema(a), np * sizeof(float)) == 0);
            float f[2], o1[64], o2[64];
            ts_micro_ddpm_cond(60, 300, f);
            TS_CHECK_OK(ts_micro_ddpm_sample(a, 1, f, 1, 0, 0, 5, 0, o1));
            TS_CHECK_OK(ts_micro_ddpm_sample(e, 1, f, 1, 0, 0, 5, 0, o2));
            TS_CHECK(memcmp(o1, o2, sizeof o1) == 0);
        }
        ts_micro_ddpm_destroy(e);
        remove(full);
        remove(smp);
    }

    /* sampling: reproducible for a fixed seed, in range, DDIM too */
    {
        float f[4], o1[2 * 64], o2[2 * 64];
        ts_micro_ddpm_cond(30, 750, f);
        ts_micro_ddpm_cond(60, 0, f + 2);
        TS_CHECK_OK(ts_micro_ddpm_sample(d, 1, f, 2, 0, 0, 11, 0, o1));
        TS_CHECK_OK(ts_micro_ddpm_sample(d, 1, f, 2, 0, 0, 11, 0, o2));
        TS_CHECK(memcmp(o1, o2, sizeof o1) == 0);
        int inr = 1;
        for (int i = 0; i < 128; i++) inr &= o1[i] >= -1 && o1[i] <= 1;
        TS_CHECK(inr);
        TS_CHECK_OK(ts_micro_ddpm_sample(d, 1, f, 2, 20, 1, 11, 0, o2));
        TS_CHECK_OK(ts_micro_ddpm_sample(d, 1, f, 2, 20, 1, 11, 0, o1));
        TS_CHECK(memcmp(o1, o2, sizeof o1) == 0);
        TS_CHECK_OK(ts_micro_ddpm_sample(d, 1, f, 2, 20, 1, 12, 0, o1));
        TS_CHECK(memcmp(o1, o2, sizeof o1) != 0);
    }
done:
    ts_micro_ddpm_destroy(a);
    ts_micro_ddpm_destroy(b);
    ts_micro_ddpm_destroy(d);
}

static void test_config_and_bad_input(void)
{
    ts_micro_unet_config c, p;
    char buf[512];
    ts_micro_unet_config_paper(&c);
    TS_CHECK_OK(ts_micro_unet_config_check(&c)); /* the seed's 512 px, six-level layout is valid */
    TS_CHECK_OK(ts_micro_unet_config_format(&c, buf, sizeof buf));
    TS_CHECK_OK(ts_micro_unet_config_parse(buf, &p));
    TS_CHECK(memcmp(&c, &p, sizeof c) == 0);
    c.size = 500; /* not divisible by 2^6 */
    TS_CHECK_ERR(ts_micro_unet_config_check(&c), TS_ERR_RANGE);
    ts_micro_unet_config_default(&c);
    c.ch[2] = 30; /* attention at level 2 needs ch % 4 == 0 */
    TS_CHECK_ERR(ts_micro_unet_config_check(&c), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_micro_unet_config_parse("size=32 levels=3", &p), TS_ERR_PARSE);
    TS_CHECK_ERR(ts_micro_unet_config_parse("size=32 colour=3", &p), TS_ERR_PARSE);
    ts_micro_ddpm *d = NULL;
    TS_CHECK(ts_micro_ddpm_load("no/such/checkpoint.safetensors", &d) != 0 && d == NULL);
    /* a weights file without the DDPM metadata */
    TS_CHECK_ERR(ts_micro_ddpm_load(TS_SOURCE_DIR "/tests/micro/data/unet_tiny.safetensors", &d), TS_ERR_FORMAT);
}

/* The seed's 512 px, six-level layout: the network is built (weight count
 * equal to the PyTorch module of the oracle script: 67,843,681, printed by
 * make_unet_golden.py's UNet for this configuration) and, at 128 px with the
 * same six levels and channels, runs a forward and a backward (label full). */
static void test_paper_layout(void)
{
    ts_micro_unet_config c;
    ts_micro_unet_config_paper(&c);
    ts_micro_unet *u = NULL;
    TS_CHECK_OK(ts_micro_unet_create(&c, &u));
    if (!u) return;
    ts_nn_params *P = ts_micro_unet_params(u);
    size_t nw = 0;
    for (int i = 0; i < ts_nn_params_count(P); i++) {
        int nd;
        int64_t shp[TS_NN_MAXDIM];
        ts_nn_params_shape(P, i, &nd, shp);
        nw += ts_nn_shape_numel(nd, shp);
    }
    printf("paper layout (512 px, 6 levels): %zu weights\n", nw);
    TS_CHECK(nw == 67843681);
    ts_micro_unet_destroy(u);
    c.size = 128;
    TS_CHECK_OK(ts_micro_unet_create(&c, &u));
    if (!u) return;
    P = ts_micro_unet_params(u);
    ts_rng *r = ts_rng_create(5, 0);
    TS_CHECK_OK(ts_micro_unet_init(u, r));
    const size_t len = 128 * 128;
    float *x = malloc(len * sizeof *x), *y = malloc(len * sizeof *y), t = 999, f[2] = {0.5f, 0.5f};
    for (size_t i = 0; i < len; i++) x[i] = (float)ts_rng_normal(r, 0, 1);
    ts_nn_arena *A = NULL;
    TS_CHECK_OK(ts_nn_arena_create(0, &A));
    double t0 = ts_time_now();
    TS_CHECK_OK(ts_micro_unet_forward(u, A, x, &t, f, 1, y));
    ts_nn_params_zero_grad(P);
    TS_CHECK_OK(ts_micro_unet_backward(u, A, x, NULL));
    int fin = 1;
    for (size_t i = 0; i < len; i++) fin &= isfinite(y[i]);
    TS_CHECK(fin);
    printf("paper layout at 128 px: forward + backward of one image %.1f s\n", ts_time_now() - t0);
    ts_nn_arena_destroy(A);
    ts_rng_destroy(r);
    free(x);
    free(y);
    ts_micro_unet_destroy(u);
}

/* SIGTERM / SIGINT stop sampling between steps with TS_ERR_INTERRUPTED (run last:
 * the interruption flag stays set for the rest of the process). */
static void test_sampling_interrupted(void)
{
    ts_micro_ddpm_config c = tiny_config();
    ts_micro_ddpm *d = NULL;
    TS_CHECK_OK(ts_micro_ddpm_create(&c, &d));
    if (!d) return;
    float f[2], o[64];
    ts_micro_ddpm_cond(60, 300, f);
    ts_signals_install();
    raise(SIGTERM);
    TS_CHECK(ts_interrupted());
    TS_CHECK(ts_micro_ddpm_sample(d, 1, f, 1, 0, 0, 5, 0, o) == TS_ERR_INTERRUPTED);
    ts_micro_ddpm_destroy(d);
}

/* `micro_ddpm check MODEL VERIFY`: a model trained outside tinsel
 * (scripts/ddpm_train_torch.py) loaded through ts_micro_ddpm_load, its EMA
 * weights run forward on VERIFY's in.x / in.t / in.cond and compared with
 * VERIFY's ref.out (PyTorch, float64 CPU forward of the same weights).
 * Tolerance TOL_FWD as for the oracle above. */
static const char *check_model, *check_verify;

static void test_foreign_model(void)
{
    ts_micro_ddpm *d = NULL;
    ts_nn_safetensors *st = NULL;
    TS_CHECK_OK(ts_micro_ddpm_load(check_model, &d));
    TS_CHECK_OK(ts_nn_st_read(check_verify, &st));
    if (!d || !st) {
        ts_micro_ddpm_destroy(d);
        ts_nn_st_destroy(st);
        return;
    }
    const ts_micro_unet_config *c = &ts_micro_ddpm_get_config(d)->net;
    ts_micro_unet *u = ts_micro_ddpm_unet(d);
    ts_nn_params *P = ts_micro_unet_params(u);
    memcpy(ts_nn_params_flat(P), ts_micro_ddpm_ema(d), ts_nn_params_total(P) * sizeof(float));
    int kx = ts_nn_st_find(st, "in.x"), nd;
    int64_t shp[TS_NN_MAXDIM];
    ts_nn_st_shape(st, kx, &nd, shp);
    const int n = (int)shp[0];
    const size_t len = (size_t)n * c->size * c->size;
    float *y = calloc(len, sizeof *y);
    ts_nn_arena *A = NULL;
    TS_CHECK_OK(ts_nn_arena_create(0, &A));
    TS_CHECK_OK(ts_micro_unet_forward(u, A, ts_nn_st_data(st, kx), ts_nn_st_data(st, ts_nn_st_find(st, "in.t")),
                                      ts_nn_st_data(st, ts_nn_st_find(st, "in.cond")), n, y));
    const float *ref = ts_nn_st_data(st, ts_nn_st_find(st, "ref.out"));
    double ef = max_diff(y, ref, len) / max_abs(ref, len);
    printf("foreign model %s: %d images of %d px, forward max |tinsel - PyTorch| / max |PyTorch| = %.3g "
           "(max |PyTorch| %.3g)\n", check_model, n, c->size, ef, max_abs(ref, len));
    TS_CHECK_MSG(ef <= TOL_FWD, "forward max error / max|ref| = %.3g", ef);
    free(y);
    ts_nn_arena_destroy(A);
    ts_nn_st_destroy(st);
    ts_micro_ddpm_destroy(d);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "check")) {
        ts_nn_set_threads(2);
        check_model = argv[2], check_verify = argv[3];
        TS_RUN(test_foreign_model);
        return ts_test_summary();
    }
    ts_nn_set_threads(1);
    ts_log_set_level(TS_LOG_WARN);
    if (argc > 1 && !strcmp(argv[1], "paper")) {
        ts_nn_set_threads(2);
        TS_RUN(test_paper_layout);
        return ts_test_summary();
    }
    TS_RUN(test_schedule);
    TS_RUN(test_unet_vs_pytorch);
    TS_RUN(test_ddim_vs_pytorch);
    golden = TS_SOURCE_DIR "/tests/micro/data/unet_tiny_plain.safetensors";
    TS_RUN(test_unet_vs_pytorch);
    TS_RUN(test_ddim_vs_pytorch);
    golden = TS_SOURCE_DIR "/tests/micro/data/unet_tiny.safetensors";
    TS_RUN(test_q_sample_stats);
    TS_RUN(test_train_loss_falls_and_resume);
    TS_RUN(test_config_and_bad_input);
    TS_RUN(test_sampling_interrupted);
    return ts_test_summary();
}
