/* nn benchmark, the tinsel side (run by bench/nn/bench_nn.py, which times the
 * same networks in PyTorch and prints the ratio). Not a test.
 *   conv_stack: x [8, 32, 64, 64] -> 4 x (conv3x3 32->32, GroupNorm(8), GELU)
 *   unet:       x [8, 1, 64, 64], two levels (32, 64, 128 channels), two
 *               conv3x3-GN-GELU per block, 4-head attention at 16x16, bilinear
 *               up + skip concat, 1x1 out (the same graph as UNet in bench_nn.py)
 * Blocks use the fused ts_nn_groupnorm_gelu_* (PyTorch: GroupNorm then GELU).
 * Each: forward + backward with a fixed upstream gradient; prints the median
 * and the minimum of `reps` timed runs after one warm-up, and the median
 * process CPU time (all threads) ("name median min cpu_median").
 * usage: bench_nn THREADS REPS [conv_stack|unet] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinsel/core.h"
#include "tinsel/nn.h"

/* Per-layer CPU time (process CPU clock, all threads), printed to stderr when
 * the environment has TS_NN_BENCH_PROFILE=1: the profile of one network. */
enum { P_CONV_F, P_CONV_B, P_GN_F, P_GN_B, P_POOL, P_UP, P_CAT, P_ATTN, P_ZERO, P_NCAT };
static const char *pnames[P_NCAT] = {"conv fwd", "conv bwd", "gn(+gelu) fwd", "gn(+gelu) bwd", "max-pool",
                                     "bilinear", "concat+add", "attention", "zeroing"};
static double ptime[P_NCAT];
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
#define TM(cat, call)                         \
    do {                                      \
        double t0_ = cpu_now();               \
        call;                                 \
        ptime[cat] += cpu_now() - t0_;        \
    } while (0)

static void profile_print(const char *name, int reps)
{
    if (!getenv("TS_NN_BENCH_PROFILE")) return;
    double tot = 0;
    for (int i = 0; i < P_NCAT; i++) tot += ptime[i];
    fprintf(stderr, "profile %s (CPU ms per forward+backward, %d reps + warm-up):\n", name, reps);
    for (int i = 0; i < P_NCAT; i++)
        if (ptime[i] > 0)
            fprintf(stderr, "  %-14s %8.2f  %5.1f %%\n", pnames[i], 1e3 * ptime[i] / (reps + 1), 100 * ptime[i] / tot);
    memset(ptime, 0, sizeof ptime);
}

typedef struct {
    ts_nn_conv_shape s;
    int groups;
    float *w, *b, *gw, *gb;        /* conv weight/bias, GN weight/bias */
    float *dw, *db, *dgw, *dgb;
    float *a, *mean, *rstd;        /* cached: conv out, GroupNorm statistics */
    const float *in;
} block;

static float *rnd(ts_rng *r, size_t n, double sd)
{
    float *v = malloc(n * sizeof(float));
    if (!v) exit(1);
    for (size_t i = 0; i < n; i++) v[i] = (float)ts_rng_normal(r, 0.0, sd);
    return v;
}
static float *zer(size_t n)
{
    float *v = calloc(n, sizeof(float));
    if (!v) exit(1);
    return v;
}

static void block_init(block *B, ts_rng *r, int n, int c, int h, int w, int oc, int groups)
{
    memset(B, 0, sizeof *B);
    ts_nn_conv2d_shape(&B->s, n, c, h, w, oc, 3, 3, 1, 1, 1, 1);
    B->groups = groups;
    B->w = rnd(r, (size_t)oc * c * 9, 1.0 / (3.0 * c));
    B->b = rnd(r, oc, 0.01);
    B->gw = rnd(r, oc, 0.1);
    for (int i = 0; i < oc; i++) B->gw[i] += 1.0f;
    B->gb = rnd(r, oc, 0.1);
    B->dw = zer((size_t)oc * c * 9), B->db = zer(oc), B->dgw = zer(oc), B->dgb = zer(oc);
    size_t no = ts_nn_conv_out_numel(&B->s);
    B->a = zer(no), B->mean = zer((size_t)n * groups), B->rstd = zer((size_t)n * groups);
}

static void block_fwd(block *B, const float *in, float *out)
{
    int sp = B->s.oh * B->s.ow;
    B->in = in;
    TM(P_CONV_F, ts_nn_conv_forward(&B->s, B->a, in, B->w, B->b));
    TM(P_GN_F, ts_nn_groupnorm_gelu_forward(out, B->mean, B->rstd, B->a, B->gw, B->gb, B->s.n, B->s.oc, sp,
                                            B->groups, 1e-5f));
}

/* din += d(block)/d(in) · dout; s2: scratch of conv-output size */
static void block_bwd(block *B, const float *dout, float *din, float *s2)
{
    size_t no = ts_nn_conv_out_numel(&B->s);
    int sp = B->s.oh * B->s.ow;
    TM(P_ZERO, memset(s2, 0, no * sizeof(float)));
    TM(P_GN_B, ts_nn_groupnorm_gelu_backward(s2, B->dgw, B->dgb, dout, B->a, B->mean, B->rstd, B->gw, B->gb, B->s.n,
                                             B->s.oc, sp, B->groups));
    TM(P_CONV_B, ts_nn_conv_backward(&B->s, din, B->dw, B->db, s2, B->in, B->w));
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---------------------------------------------------------------- conv stack */
static double conv_stack(int reps, double *tmin, double *cpu)
{
    enum { N = 8, C = 32, H = 64 };
    ts_rng *r = ts_rng_create(1, 0);
    block B[4];
    size_t n = (size_t)N * C * H * H;
    float *act[5], *dact[5];
    for (int i = 0; i < 4; i++) block_init(&B[i], r, N, C, H, H, C, 8);
    act[0] = rnd(r, n, 1.0);
    for (int i = 1; i < 5; i++) act[i] = zer(n);
    for (int i = 0; i < 5; i++) dact[i] = zer(n);
    float *dy = rnd(r, n, 1.0), *s2 = zer(n);
    double t[64], c[64];
    for (int rep = 0; rep <= reps; rep++) {
        double t0 = ts_time_now();
        clock_t c0 = clock();
        for (int i = 0; i < 4; i++) block_fwd(&B[i], act[i], act[i + 1]);
        TM(P_ZERO, memcpy(dact[4], dy, n * sizeof(float)));
        for (int i = 3; i >= 0; i--) {
            TM(P_ZERO, memset(dact[i], 0, n * sizeof(float)));
            block_bwd(&B[i], dact[i + 1], dact[i], s2);
        }
        if (rep) {
            t[rep - 1] = ts_time_now() - t0;
            c[rep - 1] = (double)(clock() - c0) / CLOCKS_PER_SEC;
        }
    }
    qsort(t, (size_t)reps, sizeof(double), cmpd);
    qsort(c, (size_t)reps, sizeof(double), cmpd);
    *cpu = c[reps / 2];
    ts_rng_destroy(r);
    *tmin = t[0];
    profile_print("conv_stack", reps);
    return t[reps / 2];
}

/* ---------------------------------------------------------------- U-Net */
static double unet(int reps, double *tmin, double *cpu)
{
    enum { N = 8, H = 64, C1 = 32, C2 = 64, C3 = 128, HEADS = 4 };
    const int H2 = H / 2, H3 = H / 4, S1 = H * H, S2 = H2 * H2, S3 = H3 * H3;
    ts_rng *r = ts_rng_create(2, 0);
    block b[10];
    block_init(&b[0], r, N, 1, H, H, C1, 8);
    block_init(&b[1], r, N, C1, H, H, C1, 8);
    block_init(&b[2], r, N, C1, H2, H2, C2, 8);
    block_init(&b[3], r, N, C2, H2, H2, C2, 8);
    block_init(&b[4], r, N, C2, H3, H3, C3, 8);
    block_init(&b[5], r, N, C3, H3, H3, C3, 8);
    block_init(&b[6], r, N, C3 + C2, H2, H2, C2, 8);
    block_init(&b[7], r, N, C2, H2, H2, C2, 8);
    block_init(&b[8], r, N, C2 + C1, H, H, C1, 8);
    block_init(&b[9], r, N, C1, H, H, C1, 8);
    ts_nn_conv_shape so;
    ts_nn_conv2d_shape(&so, N, C1, H, H, 1, 1, 1, 1, 1, 0, 0);
    float *ow = rnd(r, C1, 0.2), *ob = zer(1), *dow = zer(C1), *dob = zer(1);
    float *gaw = zer(C3), *gab = zer(C3), *dgaw = zer(C3), *dgab = zer(C3);
    for (int i = 0; i < C3; i++) gaw[i] = 1.0f;
    float *iw = rnd(r, (size_t)3 * C3 * C3, 0.05), *ib = zer(3 * C3), *aw = rnd(r, (size_t)C3 * C3, 0.05), *ab = zer(C3);
    float *diw = zer((size_t)3 * C3 * C3), *dib = zer(3 * C3), *daw = zer((size_t)C3 * C3), *dab = zer(C3);
    float *x = rnd(r, (size_t)N * S1, 1.0), *dy = rnd(r, (size_t)N * S1, 1.0);
    /* activations */
    float *e0 = zer((size_t)N * C1 * S1), *e1 = zer((size_t)N * C1 * S1), *p1 = zer((size_t)N * C1 * S2);
    float *d0 = zer((size_t)N * C2 * S2), *d1 = zer((size_t)N * C2 * S2), *p2 = zer((size_t)N * C2 * S3);
    float *m0 = zer((size_t)N * C3 * S3), *m1 = zer((size_t)N * C3 * S3), *z = zer((size_t)N * C3 * S3);
    float *zm = zer(N), *zr = zer(N), *at = zer((size_t)N * C3 * S3), *m2 = zer((size_t)N * C3 * S3);
    float *cache = zer(ts_nn_attention_cache_size(N, C3, S3, HEADS));
    float *u1 = zer((size_t)N * C3 * S2), *c1 = zer((size_t)N * (C3 + C2) * S2), *v0 = zer((size_t)N * C2 * S2);
    float *v1 = zer((size_t)N * C2 * S2), *u2 = zer((size_t)N * C2 * S1), *c2 = zer((size_t)N * (C2 + C1) * S1);
    float *w0 = zer((size_t)N * C1 * S1), *w1 = zer((size_t)N * C1 * S1), *y = zer((size_t)N * S1);
    /* gradients (one per activation) and scratch */
    size_t big = (size_t)N * (C2 + C1) * S1;
    float *g1 = zer(big), *g2 = zer(big), *s2 = zer(big);
    float *dz = zer((size_t)N * C3 * S3), *dm = zer((size_t)N * C3 * S3);
    float *dskip1 = zer((size_t)N * C1 * S1), *dskip2 = zer((size_t)N * C2 * S2);
    double t[64], c[64];
    for (int rep = 0; rep <= reps; rep++) {
        double t0 = ts_time_now();
        clock_t c0 = clock();
        block_fwd(&b[0], x, e0);
        block_fwd(&b[1], e0, e1);
        TM(P_POOL, ts_nn_maxpool2d_forward(p1, e1, N, C1, H, H, 2, 2, 0));
        block_fwd(&b[2], p1, d0);
        block_fwd(&b[3], d0, d1);
        TM(P_POOL, ts_nn_maxpool2d_forward(p2, d1, N, C2, H2, H2, 2, 2, 0));
        block_fwd(&b[4], p2, m0);
        block_fwd(&b[5], m0, m1);
        TM(P_GN_F, ts_nn_groupnorm_forward(z, zm, zr, m1, gaw, gab, N, C3, S3, 1, 1e-5f));
        TM(P_ATTN, ts_nn_attention_forward(at, cache, z, iw, ib, aw, ab, N, C3, S3, HEADS));
        TM(P_CAT, ts_nn_add_forward(m2, m1, at, (size_t)N * C3 * S3));
        TM(P_UP, ts_nn_upsample_bilinear_forward(u1, m2, N, C3, H3, H3, H2, H2, 0));
        TM(P_CAT, ts_nn_concat_forward(c1, u1, d1, N, C3, C2, S2));
        block_fwd(&b[6], c1, v0);
        block_fwd(&b[7], v0, v1);
        TM(P_UP, ts_nn_upsample_bilinear_forward(u2, v1, N, C2, H2, H2, H, H, 0));
        TM(P_CAT, ts_nn_concat_forward(c2, u2, e1, N, C2, C1, S1));
        block_fwd(&b[8], c2, w0);
        block_fwd(&b[9], w0, w1);
        TM(P_CONV_F, ts_nn_conv_forward(&so, y, w1, ow, ob));
        /* backward: g1/g2 alternate as the running gradient */
        TM(P_ZERO, memset(g1, 0, (size_t)N * C1 * S1 * sizeof(float)));
        ts_nn_conv_backward(&so, g1, dow, dob, dy, w1, ow);                      /* d w1 */
        TM(P_ZERO, memset(g2, 0, (size_t)N * C1 * S1 * sizeof(float)));
        block_bwd(&b[9], g1, g2, s2);                                         /* d w0 */
        TM(P_ZERO, memset(g1, 0, (size_t)N * (C2 + C1) * S1 * sizeof(float)));
        block_bwd(&b[8], g2, g1, s2);                                         /* d c2 */
        TM(P_ZERO, memset(g2, 0, (size_t)N * C2 * S1 * sizeof(float)));
        TM(P_ZERO, memset(dskip1, 0, (size_t)N * C1 * S1 * sizeof(float)));
        ts_nn_concat_backward(g2, dskip1, g1, N, C2, C1, S1);                     /* d u2, d e1 */
        TM(P_ZERO, memset(g1, 0, (size_t)N * C2 * S2 * sizeof(float)));
        ts_nn_upsample_bilinear_backward(g1, g2, N, C2, H2, H2, H, H, 0);        /* d v1 */
        TM(P_ZERO, memset(g2, 0, (size_t)N * C2 * S2 * sizeof(float)));
        block_bwd(&b[7], g1, g2, s2);                                         /* d v0 */
        TM(P_ZERO, memset(g1, 0, (size_t)N * (C3 + C2) * S2 * sizeof(float)));
        block_bwd(&b[6], g2, g1, s2);                                         /* d c1 */
        TM(P_ZERO, memset(g2, 0, (size_t)N * C3 * S2 * sizeof(float)));
        TM(P_ZERO, memset(dskip2, 0, (size_t)N * C2 * S2 * sizeof(float)));
        ts_nn_concat_backward(g2, dskip2, g1, N, C3, C2, S2);                     /* d u1, d d1 */
        TM(P_ZERO, memset(dm, 0, (size_t)N * C3 * S3 * sizeof(float)));
        ts_nn_upsample_bilinear_backward(dm, g2, N, C3, H3, H3, H2, H2, 0);      /* d m2 = d m1 (+attn) */
        TM(P_ZERO, memset(dz, 0, (size_t)N * C3 * S3 * sizeof(float)));
        TM(P_ATTN, ts_nn_attention_backward(dz, diw, dib, daw, dab, dm, cache, iw, aw, N, C3, S3, HEADS));
        TM(P_GN_B, ts_nn_groupnorm_backward(dm, dgaw, dgab, dz, m1, zm, zr, gaw, N, C3, S3, 1));
        TM(P_ZERO, memset(g1, 0, (size_t)N * C3 * S3 * sizeof(float)));
        block_bwd(&b[5], dm, g1, s2);                                         /* d m0 */
        TM(P_ZERO, memset(g2, 0, (size_t)N * C2 * S3 * sizeof(float)));
        block_bwd(&b[4], g1, g2, s2);                                         /* d p2 */
        ts_nn_maxpool2d_backward(dskip2, g2, d1, N, C2, H2, H2, 2, 2, 0);         /* d d1 total */
        TM(P_ZERO, memset(g1, 0, (size_t)N * C2 * S2 * sizeof(float)));
        block_bwd(&b[3], dskip2, g1, s2);                                     /* d d0 */
        TM(P_ZERO, memset(g2, 0, (size_t)N * C1 * S2 * sizeof(float)));
        block_bwd(&b[2], g1, g2, s2);                                         /* d p1 */
        ts_nn_maxpool2d_backward(dskip1, g2, e1, N, C1, H, H, 2, 2, 0);           /* d e1 total */
        TM(P_ZERO, memset(g1, 0, (size_t)N * C1 * S1 * sizeof(float)));
        block_bwd(&b[1], dskip1, g1, s2);                                     /* d e0 */
        block_bwd(&b[0], g1, NULL, s2);                                       /* input grad not needed */
        if (rep) {
            t[rep - 1] = ts_time_now() - t0;
            c[rep - 1] = (double)(clock() - c0) / CLOCKS_PER_SEC;
        }
    }
    qsort(t, (size_t)reps, sizeof(double), cmpd);
    qsort(c, (size_t)reps, sizeof(double), cmpd);
    *cpu = c[reps / 2];
    ts_rng_destroy(r);
    *tmin = t[0];
    profile_print("unet", reps);
    return t[reps / 2];
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, reps = argc > 2 ? atoi(argv[2]) : 5;
    if (threads < 1 || reps < 1 || reps > 64) {
        fprintf(stderr, "usage: bench_nn THREADS REPS (REPS 1..64)\n");
        return 2;
    }
    ts_nn_set_threads(threads);
    const char *only = argc > 3 ? argv[3] : "";
    double med, mn, cpu;
    if (!*only || !strcmp(only, "conv_stack")) {
        med = conv_stack(reps, &mn, &cpu);
        printf("conv_stack %.6f %.6f %.6f\n", med, mn, cpu);
        fflush(stdout);
    }
    if (!*only || !strcmp(only, "unet")) {
        med = unet(reps, &mn, &cpu);
        printf("unet %.6f %.6f %.6f\n", med, mn, cpu);
    }
    return 0;
}
