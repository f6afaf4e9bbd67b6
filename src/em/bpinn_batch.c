/* Batched BPINN kernel (issue #10): the loss of seed 003 eq. (11) and its
 * exact gradient with respect to all network weights, for D current draws
 * at once. The reference kernel (one draw, one time step, one network call
 * at a time) is sq_jumps_ref in bpinn.c; this one is tested against it
 * (tests/em/test_em_bpinn.c) with an absolute + relative tolerance.
 *
 * Structure exploited: a junction's network only sees its own arms, and the
 * stress jumps at a junction depend only on the fluxes of the segments that
 * meet there. So one evaluation is five sweeps, each embarrassingly parallel
 * (OpenMP, static schedule; every item writes only its own outputs, so the
 * result does not depend on the thread count):
 *   1. junctions: networks forward for all (t_n, draw) rows -> arm fluxes ϕ
 *   2. segments:  end stresses σ = Duhamel sum of ϕ (ts_em_jmodel_stress_seg)
 *   3. junctions: jumps r = k_σ (σ_k - σ_{k-1}), Σ r², ∂/∂σ
 *   4. segments:  ∂/∂ϕ by the transposed sum (ts_em_jmodel_adjoint_seg)
 *   5. junctions: networks backward -> the junction's slice of the gradient.
 * Per junction the layers are small matrix products over KD = K·D rows
 * written as loops over contiguous H-vectors (the compiler vectorises them;
 * at H ~ 8 a BLAS call costs more than the product). */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpinn_priv.h"
#include "tinsel/core.h"

/* tanh x = sign(x) (1 - 2/(e^{2|x|} + 1)), e^y with y = k ln2 + r,
 * |r| <= ln2/2, degree-13 Taylor polynomial (truncation < 1e-17) and 2^k
 * from the exponent bits. Absolute error ~2e-16 against libm's tanh
 * (tested); the backward pass uses 1 - tanh², consistent with this value.
 * GCC if-converts (and so vectorises) the clamp only without trapping math;
 * no value changes, FP exceptions are not used anywhere in tinsel. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-trapping-math")))
#endif
TS_EM_SIMD_CLONES void
bp_tanh(int n, double *x)
{
    const double LOG2E = 1.4426950408889634, LN2_HI = 6.93147180369123816490e-01,
                 LN2_LO = 1.90821492927058770002e-10;
    const double SHIFT = 6755399441055744.0; /* 1.5 * 2^52: round to integer in the low bits */
#pragma omp simd
    for (int i = 0; i < n; i++) {
        double v = x[i], y = 2.0 * fabs(v);
        y = y < 40.0 ? y : 40.0;
        double kd = y * LOG2E + SHIFT;
        double kf = kd - SHIFT;
        double r = (y - kf * LN2_HI) - kf * LN2_LO;
        double p = 1.0 / 6227020800.0;
        p = p * r + 1.0 / 479001600.0;
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        uint64_t kb;
        memcpy(&kb, &kd, sizeof kb);
        uint64_t eb = (kb + 1023u) << 52; /* low bits of kd hold k (0..58); high bits shift out */
        double sc;
        memcpy(&sc, &eb, sizeof sc);
        double t = 1.0 - 2.0 / (p * sc + 1.0);
        x[i] = copysign(t, v);
    }
}

void bp_work_destroy(bp_work *w)
{
    if (!w) return;
    free(w->G);
    free(w->xj);
    free(w->tn);
    free(w->h1);
    free(w->h2);
    free(w->phi);
    free(w->sig);
    free(w->dsig);
    free(w->dphi);
    free(w->lossq);
    free(w->scr);
    free(w);
}

int bp_work_create(const struct ts_em_bpinn *b, int D, int nthr, bp_work **out)
{
    *out = NULL;
    if (D < 1 || nthr < 1) return ts_error_set(TS_ERR_INVAL, "bp_work_create: D = %d, threads = %d", D, nthr);
    bp_work *w = calloc(1, sizeof *w);
    TS_CHECK_ALLOC(w);
    int ns = b->tree->nwire, H = b->H, K = b->K;
    w->D = D;
    w->KD = K * D;
    w->nthr = nthr;
    size_t KD = (size_t)w->KD, ne = (size_t)2 * ns * KD, na = (size_t)b->nj * KD * H + 1;
    /* scratch per thread: dy [KD][4], d2 [KD][H], d1 [KD][H], c [D][H], W2T [H][H] */
    w->scr_len = (int)(KD * 4 + 2 * KD * H + (size_t)D * H + (size_t)H * H + 8);
    w->G = malloc((size_t)D * ns * sizeof(double));
    w->xj = calloc((size_t)b->xoff[b->nj] * D + 1, sizeof(double));
    w->tn = malloc((size_t)K * sizeof(double));
    w->h1 = malloc(na * sizeof(double));
    w->h2 = malloc(na * sizeof(double));
    w->phi = calloc(ne, sizeof(double));
    w->sig = calloc(ne, sizeof(double));
    w->dsig = calloc(ne, sizeof(double));
    w->dphi = calloc(ne, sizeof(double));
    w->lossq = calloc((size_t)b->nj + 1, sizeof(double));
    w->scr = malloc((size_t)nthr * w->scr_len * sizeof(double));
    if (!w->G || !w->xj || !w->tn || !w->h1 || !w->h2 || !w->phi || !w->sig || !w->dsig || !w->dphi ||
        !w->lossq || !w->scr) {
        bp_work_destroy(w);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for the BPINN workspace (%d draws)", D);
    }
    for (int n = 0; n < K; n++)
        w->tn[n] = (n + 1) * (b->t_end / K) / b->t_end;
    *out = w;
    return 0;
}

void bp_work_set_draws(const struct ts_em_bpinn *b, bp_work *w, const double *J)
{
    int ns = b->tree->nwire, D = w->D, K = b->K;
    for (int d = 0; d < D; d++)
        ts_em_jmodel_G(b->jm, J + (size_t)d * ns, w->G + (size_t)d * ns);
    for (int q = 0; q < b->nj; q++) {
        int m = b->nin[q] - 1;
        for (int d = 0; d < D; d++)
            for (int k = 0; k < m; k++) {
                int sg = b->xseg[b->xoff[q] + k];
                w->xj[(size_t)b->xoff[q] * D + (size_t)d * m + k] = bp_input(b, sg, sg >= 0 ? J[(size_t)d * ns + sg] : 0.0);
            }
    }
    /* every end starts at the blocked value -G; junction arms are overwritten
     * by each forward pass, void ends are never read */
    for (int e = 0; e < 2 * ns; e++)
        for (int n = 0; n < K; n++)
            for (int d = 0; d < D; d++)
                w->phi[((size_t)e * K + n) * D + d] = -w->G[(size_t)d * ns + e / 2];
}

static double arm_sign(const struct ts_em_bpinn *b, int e)
{
    return b->tree->width[e / 2] * (e % 2 ? 1.0 : -1.0);
}

/* Sweep 1 for junction q: activations into h1, h2 (rows r = n D + d) and
 * the arm fluxes into phi. scr: per-thread scratch. */
static inline __attribute__((always_inline)) void junction_forward_h(const struct ts_em_bpinn *b, bp_work *w,
                                                                     const double *theta, int q, double *scr,
                                                                     const int H)
{
    int D = w->D, KD = w->KD, ns = b->tree->nwire, dq = b->jd[q], o = dq - 1;
    const int nin = b->nin[q], m = nin - 1;
    const double *W1 = theta + b->joff[q], *b1 = W1 + nin * H, *W2 = b1 + H, *b2 = W2 + H * H, *W3 = b2 + H,
                 *b3 = W3 + o * H;
    const int *E = b->jends + 4 * q;
    double *h1 = w->h1 + (size_t)q * KD * H, *h2 = w->h2 + (size_t)q * KD * H;
    double *c = scr, *W2T = c + (size_t)D * H;
    const double *xj = w->xj + (size_t)b->xoff[q] * D;
    for (int d = 0; d < D; d++)
        for (int i = 0; i < H; i++) {
            double a = b1[i];
            for (int k = 0; k < m; k++) a += W1[i * nin + 1 + k] * xj[d * m + k];
            c[d * H + i] = a;
        }
    for (int r = 0; r < KD; r++) {
        double t = w->tn[r / D];
        const double *cd = c + (size_t)(r % D) * H;
        double *hr = h1 + (size_t)r * H;
#pragma omp simd
        for (int i = 0; i < H; i++)
            hr[i] = cd[i] + W1[i * nin] * t;
    }
    bp_tanh(KD * H, h1);
    for (int i = 0; i < H; i++)
        for (int k = 0; k < H; k++)
            W2T[k * H + i] = W2[i * H + k];
    for (int r = 0; r < KD; r++) {
        double *a = h2 + (size_t)r * H;
        const double *hr = h1 + (size_t)r * H;
        for (int i = 0; i < H; i++)
            a[i] = b2[i];
        for (int k = 0; k < H; k++) {
            double hk = hr[k];
            const double *wk = W2T + (size_t)k * H;
#pragma omp simd
            for (int i = 0; i < H; i++)
                a[i] += hk * wk[i];
        }
    }
    bp_tanh(KD * H, h2);
    int last = E[dq - 1];
    double cl = arm_sign(b, last);
    double *pl = w->phi + (size_t)last * KD;
    for (int r = 0; r < KD; r++)
        pl[r] = 0;
    for (int a = 0; a < o; a++) {
        int e = E[a];
        double ca = arm_sign(b, e), *pe = w->phi + (size_t)e * KD;
        const double *wa = W3 + (size_t)a * H;
        for (int r = 0; r < KD; r++) {
            const double *hr = h2 + (size_t)r * H;
            double y = b3[a];
#pragma omp simd reduction(+ : y)
            for (int k = 0; k < H; k++)
                y += wa[k] * hr[k];
            double psi = y * b->Gs;
            pe[r] = psi - w->G[(size_t)(r % D) * ns + e / 2];
            pl[r] += ca * psi;
        }
    }
    for (int r = 0; r < KD; r++)
        pl[r] = -pl[r] / cl - w->G[(size_t)(r % D) * ns + last / 2];
}

/* Sweep 3 for junction q: Σ r² and ∂(Σ r²)/∂σ at its arm ends. */
TS_EM_SIMD_CLONES static double junction_jumps(const struct ts_em_bpinn *b, bp_work *w, int q, int grad)
{
    int KD = w->KD, dq = b->jd[q];
    const int *E = b->jends + 4 * q;
    double acc = 0;
    if (grad)
        for (int k = 0; k < dq; k++)
            memset(w->dsig + (size_t)E[k] * KD, 0, (size_t)KD * sizeof(double));
    for (int k = 1; k < dq; k++) {
        const double *sa = w->sig + (size_t)E[k] * KD, *sb = w->sig + (size_t)E[k - 1] * KD;
        double *ga = w->dsig + (size_t)E[k] * KD, *gb = w->dsig + (size_t)E[k - 1] * KD;
#pragma omp simd reduction(+ : acc)
        for (int r = 0; r < KD; r++) {
            double x = KSIG * (sa[r] - sb[r]);
            acc += x * x;
            if (grad) {
                ga[r] += 2 * KSIG * x;
                gb[r] -= 2 * KSIG * x;
            }
        }
    }
    return acc;
}

/* Sweep 5 for junction q: its slice of the gradient (overwritten). */
static inline __attribute__((always_inline)) void junction_backward_h(const struct ts_em_bpinn *b, bp_work *w,
                                                                      const double *theta, double *grad,
                                                                      int q, double *scr, const int H)
{
    int D = w->D, KD = w->KD, dq = b->jd[q], o = dq - 1;
    const int nin = b->nin[q], m = nin - 1;
    const double *W1 = theta + b->joff[q], *W2 = W1 + nin * H + H, *W3 = W2 + H * H + H;
    double *gW1 = grad + b->joff[q], *gb1 = gW1 + nin * H, *gW2 = gb1 + H, *gb2 = gW2 + H * H, *gW3 = gb2 + H,
           *gb3 = gW3 + o * H;
    memset(gW1, 0, (size_t)(b->joff[q + 1] - b->joff[q]) * sizeof(double));
    const int *E = b->jends + 4 * q;
    const double *h1 = w->h1 + (size_t)q * KD * H, *h2 = w->h2 + (size_t)q * KD * H;
    double *dy = scr, *d2 = dy + (size_t)KD * 4, *d1 = d2 + (size_t)KD * H;
    int last = E[dq - 1];
    double cl = arm_sign(b, last);
    const double *gl = w->dphi + (size_t)last * KD;
    for (int a = 0; a < o; a++) {
        double f = arm_sign(b, E[a]) / cl;
        const double *ge = w->dphi + (size_t)E[a] * KD;
        for (int r = 0; r < KD; r++)
            dy[r * 4 + a] = (ge[r] - gl[r] * f) * b->Gs;
    }
    /* ∂/∂h2 row by row, then the output-layer gradients as reductions over
     * rows with the accumulators in registers */
    for (int r = 0; r < KD; r++) {
        const double *hr = h2 + (size_t)r * H;
        double *dr = d2 + (size_t)r * H;
#pragma omp simd
        for (int k = 0; k < H; k++)
            dr[k] = 0;
        for (int a = 0; a < o; a++) {
            double g = dy[r * 4 + a];
            const double *wa = W3 + (size_t)a * H;
#pragma omp simd
            for (int k = 0; k < H; k++)
                dr[k] += g * wa[k];
        }
#pragma omp simd
        for (int k = 0; k < H; k++)
            dr[k] *= 1 - hr[k] * hr[k];
    }
    double acc[H]; /* H is a constant in the specialised copies: registers */
    for (int a = 0; a < o; a++) {
        double sb = 0;
        for (int k = 0; k < H; k++)
            acc[k] = 0;
        for (int r = 0; r < KD; r++) {
            double g = dy[r * 4 + a];
            const double *hr = h2 + (size_t)r * H;
            sb += g;
#pragma omp simd
            for (int k = 0; k < H; k++)
                acc[k] += g * hr[k];
        }
        for (int k = 0; k < H; k++)
            gW3[(size_t)a * H + k] += acc[k];
        gb3[a] += sb;
    }
    /* ∂/∂h1 row by row, then the hidden-layer-2 gradients */
    for (int r = 0; r < KD; r++) {
        const double *hr = h1 + (size_t)r * H, *dr = d2 + (size_t)r * H;
        double *er = d1 + (size_t)r * H;
#pragma omp simd
        for (int k = 0; k < H; k++)
            er[k] = 0;
        for (int i = 0; i < H; i++) {
            double g = dr[i];
            const double *wi = W2 + (size_t)i * H;
#pragma omp simd
            for (int k = 0; k < H; k++)
                er[k] += g * wi[k];
        }
#pragma omp simd
        for (int k = 0; k < H; k++)
            er[k] *= 1 - hr[k] * hr[k];
    }
    for (int i = 0; i < H; i++) {
        double sb = 0;
        for (int k = 0; k < H; k++)
            acc[k] = 0;
        for (int r = 0; r < KD; r++) {
            double g = d2[(size_t)r * H + i];
            const double *hr = h1 + (size_t)r * H;
            sb += g;
#pragma omp simd
            for (int k = 0; k < H; k++)
                acc[k] += g * hr[k];
        }
        for (int k = 0; k < H; k++)
            gW2[(size_t)i * H + k] += acc[k];
        gb2[i] += sb;
    }
    /* first layer: inputs (t_n, x_j(d)) */
    const double *xj = w->xj + (size_t)b->xoff[q] * D;
    double *sd = scr; /* dy is no longer needed: reuse for Σ_n d1 per draw [D][H] */
    for (int i = 0; i < D * H; i++)
        sd[i] = 0;
    for (int r = 0; r < KD; r++) {
        const double *er = d1 + (size_t)r * H;
        double t = w->tn[r / D], *s = sd + (size_t)(r % D) * H;
#pragma omp simd
        for (int i = 0; i < H; i++) {
            gW1[i * nin] += er[i] * t;
            s[i] += er[i];
        }
    }
    for (int d = 0; d < D; d++)
        for (int i = 0; i < H; i++) {
            double g = sd[d * H + i];
            gb1[i] += g;
            for (int k = 0; k < m; k++) gW1[i * nin + 1 + k] += g * xj[d * m + k];
        }
}

/* The common widths get their own copies with H a constant (the H-loops
 * unroll and stay in registers); others run the generic code. */
TS_EM_SIMD_CLONES static void junction_forward(const struct ts_em_bpinn *b, bp_work *w, const double *theta,
                                               int q, double *scr)
{
    switch (b->H) {
    case 8:
        junction_forward_h(b, w, theta, q, scr, 8);
        break;
    case 16:
        junction_forward_h(b, w, theta, q, scr, 16);
        break;
    default:
        junction_forward_h(b, w, theta, q, scr, b->H);
    }
}

TS_EM_SIMD_CLONES static void junction_backward(const struct ts_em_bpinn *b, bp_work *w, const double *theta,
                                                double *grad, int q, double *scr)
{
    switch (b->H) {
    case 8:
        junction_backward_h(b, w, theta, grad, q, scr, 8);
        break;
    case 16:
        junction_backward_h(b, w, theta, grad, q, scr, 16);
        break;
    default:
        junction_backward_h(b, w, theta, grad, q, scr, b->H);
    }
}

void bp_forward_stress(const struct ts_em_bpinn *b, bp_work *w, const double *theta)
{
    int nj = b->nj, ns = b->tree->nwire;
#pragma omp parallel num_threads(w->nthr)
    {
        double *scr = w->scr + (size_t)omp_get_thread_num() * w->scr_len;
#pragma omp for schedule(static)
        for (int q = 0; q < nj; q++)
            junction_forward(b, w, theta, q, scr);
#pragma omp for schedule(static)
        for (int s = 0; s < ns; s++)
            ts_em_jmodel_stress_seg(b->jm, s, w->D, w->phi, w->sig);
    }
}

double bp_eval(const struct ts_em_bpinn *b, bp_work *w, const double *theta, double *grad)
{
    int nj = b->nj, ns = b->tree->nwire;
#pragma omp parallel num_threads(w->nthr)
    {
        double *scr = w->scr + (size_t)omp_get_thread_num() * w->scr_len;
#pragma omp for schedule(static)
        for (int q = 0; q < nj; q++)
            junction_forward(b, w, theta, q, scr);
#pragma omp for schedule(static)
        for (int s = 0; s < ns; s++)
            ts_em_jmodel_stress_seg(b->jm, s, w->D, w->phi, w->sig);
#pragma omp for schedule(static)
        for (int q = 0; q < nj; q++)
            w->lossq[q] = junction_jumps(b, w, q, grad != NULL);
        if (grad) {
#pragma omp for schedule(static)
            for (int s = 0; s < ns; s++)
                ts_em_jmodel_adjoint_seg(b->jm, s, w->D, w->dsig, w->dphi);
#pragma omp for schedule(static)
            for (int q = 0; q < nj; q++)
                junction_backward(b, w, theta, grad, q, scr);
        }
    }
    double s = 0;
    for (int q = 0; q < nj; q++)
        s += w->lossq[q];
    return s;
}
