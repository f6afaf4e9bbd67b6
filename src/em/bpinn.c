/* BPINN-EM-Post (issue #10, item 3; seed 003 Sec. IV, eqs. (11)-(19), input
 * scaling after eq. (20)): per-junction tanh MLPs give the arm fluxes with
 * conservation built in, the junction model (junction.c: closed forms +
 * Duhamel) gives the segment stresses, the loss is the squared stress jump
 * at the junctions (eq. (11)); Gaussian prior and likelihood (eqs. (13)-(15));
 * posterior by HMC (eqs. (16)-(19): leapfrog + Metropolis) after an Adam warm
 * start to the MAP, with dual-averaging step adaptation during burn-in.
 * Scalings: t/t_end and j/J0 (J0 = 1e9 A/m^2) as inputs (the seed's k_t = 1e-7
 * would put t ~ 30 into tanh for a 10-year horizon), fluxes in units of
 * |G(J0)|, stresses times k_σ = 1e-8 1/Pa (eq. (20)).
 * Double precision throughout (the nn core is float32, too coarse for the
 * Metropolis energy difference); backward written by hand and checked by
 * finite differences in tests/em/test_em_bpinn.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <omp.h>

#include "tinsel/core.h"
#include "tinsel/em.h"
#include "tinsel/nn.h"
#include "bpinn_priv.h"

void ts_em_bpinn_options_default(ts_em_bpinn_options *o)
{
    memset(o, 0, sizeof *o);
    o->hidden = 8;
    o->K = 20;
    o->prior_sd = 1.0;
    o->noise_sd = 0; /* empirical Bayes */
    o->train_draws = 8;
    o->adam_steps = 1500;
    o->bfgs_steps = 0;
    o->adam_lr = 1e-2;
    o->burnin = 30;
    o->samples = 20;
    o->leapfrog = 5;
    o->step0 = 1e-3;
    o->target_accept = 0.65;
    o->seed = 1;
    ts_em_variation_default(&o->var);
    o->nthreads = 0;
    o->method = TS_EM_BPINN_HMC;
    o->hops = 1;
    o->lsq_rounds = 0;
    o->vi_steps = 200;
    o->vi_mc = 1;
    o->vi_lr = 1e-2;
    o->vi_init_sd = 1e-4;
    o->inputs = TS_EM_BPINN_IN_J0;
}

void ts_em_bpinn_destroy(ts_em_bpinn *b)
{
    if (!b) return;
    ts_em_tree_destroy(b->tree);
    ts_em_jmodel_destroy(b->jm);
    free(b->jd);
    free(b->jends);
    free(b->joff);
    free(b->nin);
    free(b->xoff);
    free(b->xseg);
    free(b->map);
    free(b->theta);
    free(b->jtrain);
    bp_work_destroy(b->work);
    free(b);
}

const ts_em_jmodel *ts_em_bpinn_jmodel(const ts_em_bpinn *b) { return b->jm; }

void ts_em_bpinn_timing(const ts_em_bpinn *b, double *setup_s, double *map_s, double *post_s, long *n_eval,
                        double *noise_sd)
{
    if (setup_s) *setup_s = b->t_phase[0];
    if (map_s) *map_s = b->t_phase[1];
    if (post_s) *post_s = b->t_phase[2];
    if (n_eval) *n_eval = b->n_eval;
    if (noise_sd) *noise_sd = b->noise_sd;
}
const ts_em_tree *ts_em_bpinn_tree(const ts_em_bpinn *b) { return b->tree; }
double *ts_em_bpinn_map(ts_em_bpinn *b) { return b->map; }
const ts_em_params *ts_em_bpinn_params(const ts_em_bpinn *b) { return &b->p; }
double ts_em_bpinn_t_end(const ts_em_bpinn *b) { return b->t_end; }

void ts_em_bpinn_info(const ts_em_bpinn *b, double *accept, double *step, double *map_loss, double *train_s,
                      int *nparams, int *nsamples)
{
    if (accept) *accept = b->accept;
    if (step) *step = b->step;
    if (map_loss) *map_loss = b->map_loss;
    if (train_s) *train_s = b->train_s;
    if (nparams) *nparams = b->np;
    if (nsamples) *nsamples = b->S;
}

/* Model skeleton: junction model, parameter layout. */
/* Input lists: hops = 1 is the seed's (t, j_1..j_4), padded with zeros for
 * junctions of fewer than 4 arms; hops >= 2 adds every other segment with
 * both ends within `hops` edges of the junction vertex (breadth-first),
 * after the arms, in segment order. */
static int input_lists(ts_em_bpinn *b)
{
    int nj = b->nj, ns = b->tree->nwire, nv = b->tree->nvert;
    int *dist = malloc((size_t)nv * sizeof(int)), *lst = malloc((size_t)ns * sizeof(int) + 4 * sizeof(int));
    b->nin = malloc((size_t)nj * sizeof(int) + 1);
    b->xoff = malloc(((size_t)nj + 1) * sizeof(int));
    size_t cap = (size_t)nj * (b->hops > 1 ? ns : 4) + 1;
    b->xseg = malloc(cap * sizeof(int));
    if (!dist || !lst || !b->nin || !b->xoff || !b->xseg) {
        free(dist);
        free(lst);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for the network inputs");
    }
    b->xoff[0] = 0;
    b->maxnin = 0;
    for (int q = 0; q < nj; q++) {
        int dq = b->jd[q], m = 0, vq = -1;
        ts_em_jmodel_junction(b->jm, q, &vq, NULL, NULL);
        for (int k = 0; k < dq; k++) lst[m++] = b->jends[4 * q + k] / 2;
        if (b->hops <= 1)
            while (m < 4) lst[m++] = -1;
        else {
            for (int v = 0; v < nv; v++) dist[v] = -1;
            dist[vq] = 0;
            for (int it = 0; it < b->hops; it++)
                for (int s = 0; s < ns; s++) {
                    int a = b->tree->wa[s], c = b->tree->wb[s];
                    if (dist[a] == it && dist[c] < 0) dist[c] = it + 1;
                    else if (dist[c] == it && dist[a] < 0) dist[a] = it + 1;
                }
            for (int s = 0; s < ns; s++) {
                if (dist[b->tree->wa[s]] < 0 || dist[b->tree->wb[s]] < 0) continue;
                int arm = 0;
                for (int k = 0; k < dq; k++) arm |= lst[k] == s;
                if (!arm) lst[m++] = s;
            }
        }
        b->nin[q] = 1 + m;
        if (b->nin[q] > b->maxnin) b->maxnin = b->nin[q];
        b->xoff[q + 1] = b->xoff[q] + m;
        memcpy(b->xseg + b->xoff[q], lst, (size_t)m * sizeof(int));
    }
    free(dist);
    free(lst);
    return 0;
}

static int bpinn_setup(const ts_em_tree *t, const ts_em_params *p, double t_end, int K, int H, int hops,
                       ts_em_bpinn **out)
{
    *out = NULL;
    if (H < 1 || H > 1024) return ts_error_set(TS_ERR_RANGE, "bpinn: hidden units must be in [1, 1024], got %d", H);
    if (hops < 1 || hops > 1000) return ts_error_set(TS_ERR_RANGE, "bpinn: hops must be in [1, 1000], got %d", hops);
    ts_em_bpinn *b = calloc(1, sizeof *b);
    TS_CHECK_ALLOC(b);
    b->p = *p;
    b->t_end = t_end;
    b->K = K;
    b->H = H;
    b->hops = hops;
    b->Gs = fabs(ts_em_G(p, J0));
    int rc = ts_em_tree_copy(t, &b->tree);
    if (!rc) rc = ts_em_jmodel_create(t, p, t_end, K, &b->jm);
    if (!rc) {
        b->nj = ts_em_jmodel_njunctions(b->jm);
        b->jd = malloc((size_t)b->nj * sizeof(int) + 1);
        b->jends = malloc((size_t)b->nj * 4 * sizeof(int) + 1);
        b->joff = malloc(((size_t)b->nj + 1) * sizeof(int));
        if (!b->jd || !b->jends || !b->joff) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (int q = 0; q < b->nj && !rc; q++) ts_em_jmodel_junction(b->jm, q, NULL, &b->jd[q], b->jends + 4 * q);
    if (!rc) rc = input_lists(b);
    if (!rc) {
        b->joff[0] = 0;
        for (int q = 0; q < b->nj; q++) {
            int o = b->jd[q] - 1;
            b->joff[q + 1] = b->joff[q] + b->nin[q] * H + H + H * H + H + o * H + o;
        }
        b->np = b->joff[b->nj];
        b->map = calloc((size_t)b->np + 1, sizeof(double));
        if (!b->map) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    if (rc) {
        ts_em_bpinn_destroy(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* One network: x[nin] -> y[o]; activations h1, h2 [H] kept for backward. */
static void net_forward(const double *w, int nin, int H, int o, const double *x, double *h1, double *h2, double *y)
{
    const double *W1 = w, *b1 = W1 + nin * H, *W2 = b1 + H, *b2 = W2 + H * H, *W3 = b2 + H, *b3 = W3 + o * H;
    for (int i = 0; i < H; i++) {
        double a = b1[i];
        for (int k = 0; k < nin; k++) a += W1[i * nin + k] * x[k];
        h1[i] = tanh(a);
    }
    for (int i = 0; i < H; i++) {
        double a = b2[i];
        for (int k = 0; k < H; k++) a += W2[i * H + k] * h1[k];
        h2[i] = tanh(a);
    }
    for (int i = 0; i < o; i++) {
        double a = b3[i];
        for (int k = 0; k < H; k++) a += W3[i * H + k] * h2[k];
        y[i] = a;
    }
}

/* Gradients g (same layout as w) += from dy[o]; dh scratch [2H]. */
static void net_backward(const double *w, double *g, int nin, int H, int o, const double *x, const double *h1,
                         const double *h2, const double *dy, double *dh)
{
    const double *W2 = w + nin * H + H, *W3 = W2 + H * H + H;
    double *gW1 = g, *gb1 = gW1 + nin * H, *gW2 = gb1 + H, *gb2 = gW2 + H * H, *gW3 = gb2 + H, *gb3 = gW3 + o * H;
    double *d2 = dh, *d1 = dh + H;
    for (int k = 0; k < H; k++) d2[k] = 0;
    for (int i = 0; i < o; i++) {
        gb3[i] += dy[i];
        for (int k = 0; k < H; k++) {
            gW3[i * H + k] += dy[i] * h2[k];
            d2[k] += W3[i * H + k] * dy[i];
        }
    }
    for (int k = 0; k < H; k++) d2[k] *= 1 - h2[k] * h2[k];
    for (int k = 0; k < H; k++) d1[k] = 0;
    for (int i = 0; i < H; i++) {
        gb2[i] += d2[i];
        for (int k = 0; k < H; k++) {
            gW2[i * H + k] += d2[i] * h1[k];
            d1[k] += W2[i * H + k] * d2[i];
        }
    }
    for (int i = 0; i < H; i++) {
        double a = d1[i] * (1 - h1[i] * h1[i]);
        gb1[i] += a;
        for (int k = 0; k < nin; k++) gW1[i * nin + k] += a * x[k];
    }
}

static void net_input(const ts_em_bpinn *b, int q, int n, const double *j, double *x)
{
    x[0] = (n + 1) * (b->t_end / b->K) / b->t_end;
    for (int k = 0; k < b->nin[q] - 1; k++) {
        int sg = b->xseg[b->xoff[q] + k];
        x[1 + k] = bp_input(b, sg, sg >= 0 ? j[sg] : 0.0);
    }
}

/* Arm-end gradients of all ends for draw j with weights theta. */
static void fluxes(const ts_em_bpinn *b, const double *theta, const double *j, const double *G, double *phi,
                   double *scratch)
{
    int K = b->K, H = b->H, ns = b->tree->nwire;
    double *h1 = scratch, *h2 = h1 + H, *y = h2 + H;
    /* blocked ends -G; junction arms overwritten below; void ends unused */
    for (int e = 0; e < 2 * ns; e++)
        for (int n = 0; n < K; n++) phi[(size_t)e * K + n] = -G[e / 2];
    for (int q = 0; q < b->nj; q++) {
        int d = b->jd[q], o = d - 1;
        const int *E = b->jends + 4 * q;
        int last = E[d - 1];
        double cl = b->tree->width[last / 2] * (last % 2 ? 1.0 : -1.0);
        for (int n = 0; n < K; n++) {
            double x[b->maxnin];
            net_input(b, q, n, j, x);
            net_forward(theta + b->joff[q], b->nin[q], H, o, x, h1, h2, y);
            double c = 0;
            for (int a = 0; a < o; a++) {
                int e = E[a];
                double psi = y[a] * b->Gs;
                phi[(size_t)e * K + n] = psi - G[e / 2];
                c += b->tree->width[e / 2] * (e % 2 ? 1.0 : -1.0) * psi;
            }
            phi[(size_t)last * K + n] = -c / cl - G[last / 2];
        }
    }
}

int ts_em_bpinn_fluxes(const ts_em_bpinn *b, int s, const double *j, double *phi)
{
    if (s >= b->S) return ts_error_set(TS_ERR_RANGE, "posterior sample %d of %d", s, b->S);
    int ns = b->tree->nwire;
    double *G = malloc((size_t)ns * sizeof(double)), *scr = malloc((size_t)(2 * b->H + 4) * sizeof(double));
    if (!G || !scr) {
        free(G);
        free(scr);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    ts_em_jmodel_G(b->jm, j, G);
    fluxes(b, s < 0 ? b->map : b->theta + (size_t)s * b->np, j, G, phi, scr);
    free(G);
    free(scr);
    return 0;
}

int ts_em_bpinn_flux_error(const ts_em_bpinn *b, const double *j, double *rel)
{
    int K = b->K, ns = b->tree->nwire;
    size_t ne = (size_t)2 * ns * K;
    double *pn = malloc(ne * sizeof(double)), *po = malloc(ne * sizeof(double)), *G = malloc((size_t)ns * sizeof(double));
    int rc = (!pn || !po || !G) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    if (!rc) rc = ts_em_bpinn_fluxes(b, -1, j, pn);
    if (!rc) rc = ts_em_jmodel_solve(b->jm, j, po);
    if (!rc) {
        ts_em_jmodel_G(b->jm, j, G);
        double se = 0, mx = 0;
        long n = 0;
        for (int q = 0; q < b->nj; q++)
            for (int a = 0; a < b->jd[q]; a++) {
                int e = b->jends[4 * q + a];
                for (int k = 0; k < K; k++) {
                    double on = po[(size_t)e * K + k] + G[e / 2], nn = pn[(size_t)e * K + k] + G[e / 2];
                    se += (nn - on) * (nn - on);
                    mx = fmax(mx, fabs(on));
                    n++;
                }
            }
        *rel = n > 0 && mx > 0 ? sqrt(se / n) / mx : 0.0;
    }
    free(pn);
    free(po);
    free(G);
    return rc;
}

/* Σ over draws of the squared scaled jumps (sum, count) and the gradient of
 * Σ r² with respect to theta (accumulated into grad when not NULL).
 * Per-draw buffers, summed in draw order: thread-count independent. */
static int sq_jumps_ref(const ts_em_bpinn *b, const double *theta, double *sum, long *count, double *grad)
{
    int K = b->K, H = b->H, ns = b->tree->nwire, D = b->D, np = b->np;
    size_t ne = (size_t)2 * ns * K;
    double *gd = grad ? calloc((size_t)D * np, sizeof(double)) : NULL;
    double *sd = calloc((size_t)D, sizeof(double));
    if ((grad && !gd) || !sd) {
        free(gd);
        free(sd);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    int err = 0;
    int nthr = b->nthreads > 0 ? b->nthreads : omp_get_max_threads();
    if (nthr > D) nthr = D;
    /* small trees: a parallel region per gradient costs more than it saves */
    if (b->nthreads <= 0 && ns < 64) nthr = 1;
#pragma omp parallel num_threads(nthr)
    {
        double *phi = malloc(ne * sizeof(double)), *sig = malloc(ne * sizeof(double)),
               *dsig = malloc(ne * sizeof(double)), *dphi = malloc(ne * sizeof(double)),
               *G = malloc((size_t)ns * sizeof(double)), *scr = malloc((size_t)(6 * H + 8) * sizeof(double));
        if (!phi || !sig || !dsig || !dphi || !G || !scr) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(static)
        for (int d = 0; d < D; d++) {
            int stop;
#pragma omp atomic read
            stop = err;
            if (stop) continue;
            const double *j = b->jtrain + (size_t)d * ns;
            ts_em_jmodel_G(b->jm, j, G);
            fluxes(b, theta, j, G, phi, scr);
            ts_em_jmodel_stress(b->jm, phi, sig);
            double acc = 0;
            if (grad) memset(dsig, 0, ne * sizeof(double));
            for (int q = 0; q < b->nj; q++) {
                const int *E = b->jends + 4 * q;
                for (int k = 1; k < b->jd[q]; k++)
                    for (int n = 0; n < K; n++) {
                        double r = KSIG * (sig[(size_t)E[k] * K + n] - sig[(size_t)E[k - 1] * K + n]);
                        acc += r * r;
                        if (grad) {
                            dsig[(size_t)E[k] * K + n] += 2 * r * KSIG;
                            dsig[(size_t)E[k - 1] * K + n] -= 2 * r * KSIG;
                        }
                    }
            }
            sd[d] = acc;
            if (!grad) continue;
            ts_em_jmodel_stress_adjoint(b->jm, dsig, dphi);
            double *g = gd + (size_t)d * np, *h1 = scr, *h2 = h1 + H, *y = h2 + H, *dh = y + 4, *dy = dh + 2 * H;
            for (int q = 0; q < b->nj; q++) {
                int dq = b->jd[q], o = dq - 1;
                const int *E = b->jends + 4 * q;
                int last = E[dq - 1];
                double cl = b->tree->width[last / 2] * (last % 2 ? 1.0 : -1.0);
                for (int n = 0; n < K; n++) {
                    double x[b->maxnin];
                    net_input(b, q, n, j, x);
                    net_forward(theta + b->joff[q], b->nin[q], H, o, x, h1, h2, y);
                    double gl = dphi[(size_t)last * K + n];
                    for (int a = 0; a < o; a++) {
                        int e = E[a];
                        double ca = b->tree->width[e / 2] * (e % 2 ? 1.0 : -1.0);
                        dy[a] = (dphi[(size_t)e * K + n] - gl * ca / cl) * b->Gs;
                    }
                    net_backward(theta + b->joff[q], g + b->joff[q], b->nin[q], H, o, x, h1, h2, dy, dh);
                }
            }
        }
        free(phi);
        free(sig);
        free(dsig);
        free(dphi);
        free(G);
        free(scr);
    }
    if (err) {
        free(gd);
        free(sd);
        return ts_error_set(TS_ERR_NOMEM, "out of memory in the loss");
    }
    double s = 0;
    for (int d = 0; d < D; d++) s += sd[d];
    if (grad)
        for (int d = 0; d < D; d++)
            for (int i = 0; i < np; i++) grad[i] += gd[(size_t)d * np + i];
    *sum = s;
    long c = 0;
    for (int q = 0; q < b->nj; q++) c += (long)(b->jd[q] - 1) * K;
    *count = c * D;
    free(gd);
    free(sd);
    return 0;
}

static long jump_count(const ts_em_bpinn *b)
{
    long c = 0;
    for (int q = 0; q < b->nj; q++) c += (long)(b->jd[q] - 1) * b->K;
    return c * b->D;
}

/* Σ r² and its gradient by the batched kernel (bpinn_batch.c) on the
 * training draws; the workspace is created on first use. */
static int sq_jumps(const ts_em_bpinn *b, const double *theta, double *sum, long *count, double *grad)
{
    if (!b->work) {
        int nthr = b->nthreads > 0 ? b->nthreads : omp_get_max_threads();
        /* small problems: a parallel region per gradient costs more than it saves */
        if (b->nthreads <= 0 && (long)b->tree->nwire * b->D < 256) nthr = 1;
        bp_work *w = NULL;
        TS_TRY(bp_work_create(b, b->D, nthr, &w));
        bp_work_set_draws(b, w, b->jtrain);
        ((ts_em_bpinn *)b)->work = w; /* cache: logically const */
    }
    *sum = bp_eval(b, b->work, theta, grad);
    *count = jump_count(b);
    ((ts_em_bpinn *)b)->n_eval++;
    return 0;
}

int ts_em_bpinn_loss(const ts_em_bpinn *b, const double *theta, double *loss, double *grad)
{
    double s = 0;
    long c = 0;
    TS_TRY(sq_jumps(b, theta, &s, &c, grad));
    double inv = c > 0 ? 1.0 / c : 0.0;
    *loss = s * inv;
    if (grad)
        for (int i = 0; i < b->np; i++) grad[i] *= inv;
    return 0;
}

int ts_em_bpinn_loss_ref(const ts_em_bpinn *b, const double *theta, double *loss, double *grad)
{
    double s = 0;
    long c = 0;
    if (grad) memset(grad, 0, (size_t)b->np * sizeof(double));
    TS_TRY(sq_jumps_ref(b, theta, &s, &c, grad));
    double inv = c > 0 ? 1.0 / c : 0.0;
    *loss = s * inv;
    if (grad)
        for (int i = 0; i < b->np; i++) grad[i] *= inv;
    return 0;
}

/* Potential U = Σ r²/(2 s_n²) + Σ θ²/(2 s_p²) and its gradient. */
static int potential(const ts_em_bpinn *b, const double *theta, double *U, double *grad)
{
    double s;
    long c;
    TS_TRY(sq_jumps(b, theta, &s, &c, grad));
    double a = 1.0 / (2 * b->noise_sd * b->noise_sd), ip = 1.0 / (b->prior_sd * b->prior_sd), pr = 0;
    for (int i = 0; i < b->np; i++) {
        grad[i] = a * grad[i] + ip * theta[i];
        pr += theta[i] * theta[i];
    }
    *U = a * s + 0.5 * ip * pr;
    if (!isfinite(*U)) return ts_error_set(TS_ERR_NUMERIC, "bpinn: non-finite potential");
    return 0;
}

/* MAP refinement with GSL's vector BFGS2 on U (potential): the flux ->
 * stress map is an integral operator, badly conditioned for Adam. */
typedef struct {
    const ts_em_bpinn *b;
    int err;
} bfgs_ctx;

static double bfgs_f(const gsl_vector *x, void *par)
{
    bfgs_ctx *c = par;
    double U = 0;
    double *g = malloc((size_t)c->b->np * sizeof(double));
    if (!g || potential(c->b, x->data, &U, g)) U = GSL_POSINF, c->err = 1;
    free(g);
    return U;
}

static void bfgs_fdf(const gsl_vector *x, void *par, double *f, gsl_vector *df)
{
    bfgs_ctx *c = par;
    if (potential(c->b, x->data, f, df->data)) *f = GSL_POSINF, c->err = 1;
}

static void bfgs_df(const gsl_vector *x, void *par, gsl_vector *df)
{
    double f;
    bfgs_fdf(x, par, &f, df);
}

static int map_bfgs(ts_em_bpinn *b, int iters)
{
    bfgs_ctx c = {b, 0};
    gsl_multimin_function_fdf fn = {bfgs_f, bfgs_df, bfgs_fdf, (size_t)b->np, &c};
    gsl_vector *x = gsl_vector_alloc((size_t)b->np);
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)b->np);
    if (!x || !m) {
        if (x) gsl_vector_free(x);
        if (m) gsl_multimin_fdfminimizer_free(m);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for BFGS");
    }
    memcpy(x->data, b->map, (size_t)b->np * sizeof(double));
    int rc = 0;
    if (gsl_multimin_fdfminimizer_set(m, &fn, x, 1e-3, 0.1) == GSL_SUCCESS)
        for (int it = 0; it < iters && !c.err; it++) {
            if (gsl_multimin_fdfminimizer_iterate(m) != GSL_SUCCESS) break; /* no progress: keep the best */
            if (ts_interrupted()) {
                rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted in BFGS");
                break;
            }
        }
    if (!rc && !c.err && isfinite(gsl_multimin_fdfminimizer_minimum(m)))
        memcpy(b->map, gsl_multimin_fdfminimizer_x(m)->data, (size_t)b->np * sizeof(double));
    gsl_multimin_fdfminimizer_free(m);
    gsl_vector_free(x);
    return rc;
}

static int vi_potential(void *ctx, const double *theta, double *U, double *grad)
{
    return potential(ctx, theta, U, grad);
}

int ts_em_bpinn_train(const ts_em_tree *t, const ts_em_params *p, double t_end, const ts_em_bpinn_options *o,
                      ts_em_bpinn **out)
{
    *out = NULL;
    if (!t || !p || !o) return ts_error_set(TS_ERR_INVAL, "ts_em_bpinn_train: NULL argument");
    if (o->K < 1 || o->train_draws < 1 || o->adam_steps < 0 || o->bfgs_steps < 0 || o->burnin < 0 || o->samples < 1 || o->leapfrog < 1 || o->lsq_rounds < 0 ||
        !(o->step0 > 0) || !(o->prior_sd > 0) || !(o->target_accept > 0 && o->target_accept < 1) ||
        !(o->adam_lr > 0) || !(o->noise_sd >= 0) || (o->method != TS_EM_BPINN_HMC && o->method != TS_EM_BPINN_VI) ||
        (o->method == TS_EM_BPINN_VI && (o->vi_steps < 1 || o->vi_mc < 1 || !(o->vi_lr > 0) || !(o->vi_init_sd > 0))) ||
        (o->inputs != TS_EM_BPINN_IN_J0 && o->inputs != TS_EM_BPINN_IN_ZSCORE))
        return ts_error_set(TS_ERR_RANGE, "bpinn options: need K, train_draws, samples, leapfrog >= 1, adam_steps, "
                                          "burnin >= 0, step, prior_sd, adam_lr > 0, noise_sd >= 0 (0: auto), "
                                          "target_accept in (0,1), method hmc|vi (vi: steps, mc >= 1, lr, init_sd > 0)");
    if (o->var.sigma_D0 != 0 || o->var.sigma_T_K != 0 || o->var.sigma_w != 0)
        return ts_error_set(TS_ERR_UNSUPPORTED, "bpinn: only current variation is a network input (sigma_D0 = sigma_T = 0)");
    double wall0 = ts_time_now();
    ts_em_bpinn *b;
    TS_TRY(bpinn_setup(t, p, t_end, o->K, o->hidden, o->hops, &b));
    if (o->inputs == TS_EM_BPINN_IN_ZSCORE) {
        if (!(o->var.sigma_j > 0)) {
            ts_em_bpinn_destroy(b);
            return ts_error_set(TS_ERR_RANGE, "bpinn: standardised inputs need sigma_j > 0");
        }
        b->zscore = 1;
        b->in_sigma = o->var.sigma_j;
    }
    b->noise_sd = o->noise_sd > 0 ? o->noise_sd : 1e-3; /* auto (0): 1e-3 for the MAP, then the MAP's misfit */
    b->prior_sd = o->prior_sd;
    b->method = o->method;
    b->D = o->train_draws;
    b->nthreads = o->nthreads;
    int ns = t->nwire, np = b->np, rc = 0;
    b->jtrain = malloc((size_t)b->D * ns * sizeof(double));
    b->theta = malloc((size_t)o->samples * np * sizeof(double) + 1);
    double *g = malloc((size_t)np * sizeof(double) + 1), *m1 = calloc((size_t)np + 1, sizeof(double)),
           *m2 = calloc((size_t)np + 1, sizeof(double)), *th = malloc((size_t)np * sizeof(double) + 1),
           *mom = malloc((size_t)np * sizeof(double) + 1), *g1 = malloc((size_t)np * sizeof(double) + 1);
    ts_rng *rng = ts_rng_create(o->seed, 0x8badf00dULL);
    if (!b->jtrain || !b->theta || !g || !m1 || !m2 || !th || !mom || !g1 || !rng)
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory for %d parameters", np);
    /* training draws: streams 1e9 + d, apart from the MC/prediction streams */
    for (int d = 0; d < b->D && !rc; d++)
        rc = ts_em_variation_draw(&o->var, t->j_mean, ns, o->seed, 1000000000ULL + (uint64_t)d, b->jtrain + (size_t)d * ns,
                                  NULL, NULL);
    /* Xavier-like init: N(0, 1/fan_in) */
    for (int q = 0; q < b->nj && !rc; q++) {
        int H = b->H, oo = b->jd[q] - 1;
        double *w = b->map + b->joff[q];
        int ni = b->nin[q];
        for (int i = 0; i < ni * H; i++) w[i] = ts_rng_normal(rng, 0, 1.0 / sqrt((double)ni));
        double *W2 = w + ni * H + H, *W3 = W2 + H * H + H;
        for (int i = 0; i < H * H; i++) W2[i] = ts_rng_normal(rng, 0, 1.0 / sqrt((double)H));
        for (int i = 0; i < oo * H; i++) W3[i] = ts_rng_normal(rng, 0, 1.0 / sqrt((double)H));
    }
    b->t_phase[0] = ts_time_now() - wall0;
    /* Adam on U (MAP) with cosine decay of the rate to 1e-2 of it */
    ts_progress *prog = rc ? NULL : ts_progress_create("bpinn", (double)(o->adam_steps + o->burnin + o->samples), "iter");
    double U = 0;
    for (int it = 0; it < o->adam_steps && !rc; it++) {
        rc = potential(b, b->map, &U, g);
        double lr = o->adam_lr * (0.01 + 0.99 * 0.5 * (1 + cos(M_PI * it / o->adam_steps)));
        double c1 = 1 - pow(0.9, it + 1), c2 = 1 - pow(0.999, it + 1);
        for (int i = 0; i < np && !rc; i++) {
            m1[i] = 0.9 * m1[i] + 0.1 * g[i];
            m2[i] = 0.999 * m2[i] + 0.001 * g[i] * g[i];
            b->map[i] -= lr * (m1[i] / c1) / (sqrt(m2[i] / c2) + 1e-12);
        }
        /* variable projection rounds: exact output layer every adam_steps/lsq_rounds steps */
        if (!rc && o->lsq_rounds > 0 && (it + 1) % ((o->adam_steps + o->lsq_rounds - 1) / o->lsq_rounds) == 0) {
            rc = bp_output_lsq(b, b->work, b->map);
            memset(m1, 0, (size_t)np * sizeof(double)); /* restart Adam's moments at the new point */
            memset(m2, 0, (size_t)np * sizeof(double));
        }
        if (it % 50 == 0) ts_progress_update(prog, it, NULL);
        if (ts_interrupted()) rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted in the MAP phase");
    }
    if (!rc && o->bfgs_steps > 0) rc = map_bfgs(b, o->bfgs_steps);
    if (!rc && o->lsq_rounds > 0) { /* the last word on the output layer (also with adam_steps = 0) */
        if (!b->work) rc = potential(b, b->map, &U, g);
        if (!rc) rc = bp_output_lsq(b, b->work, b->map);
    }
    if (!rc) rc = ts_em_bpinn_loss(b, b->map, &b->map_loss, NULL);
    b->t_phase[1] = ts_time_now() - wall0 - b->t_phase[0];
    /* empirical Bayes (noise_sd = 0): the ML estimate of the jump noise is
     * the MAP's rms scaled jump, so the likelihood matches the misfit the
     * network actually leaves */
    if (!rc && o->noise_sd == 0) b->noise_sd = sqrt(b->map_loss) > 1e-12 ? sqrt(b->map_loss) : 1e-12;
    if (!rc && o->method == TS_EM_BPINN_VI) {
        /* mean-field VI from the MAP; posterior samples drawn from q */
        ts_em_vi_options vo;
        ts_em_vi_options_default(&vo);
        vo.steps = o->vi_steps;
        vo.mc = o->vi_mc;
        vo.lr = o->vi_lr;
        vo.init_sd = o->vi_init_sd;
        vo.seed = o->seed;
        memcpy(th, b->map, (size_t)np * sizeof(double));
        rc = ts_em_vi_fit(vi_potential, b, np, &vo, th, m2, &U);
        double lsum = 0;
        for (int s = 0; s < o->samples && !rc; s++)
            for (int i = 0; i < np; i++) b->theta[(size_t)s * np + i] = th[i] + exp(m2[i]) * ts_rng_normal(rng, 0, 1);
        for (int i = 0; i < np && !rc; i++) lsum += m2[i];
        b->S = rc ? 0 : o->samples;
        b->accept = NAN;
        b->step = np > 0 ? exp(lsum / np) : 0; /* geometric mean of the posterior sd */
    } else if (!rc) {
        /* HMC from the MAP */
        memcpy(th, b->map, (size_t)np * sizeof(double));
        if (!rc) rc = potential(b, th, &U, g);
        /* reasonable first step (Hoffman & Gelman alg. 4): double (or halve)
         * the step until the one-step acceptance crosses 1/2 */
        double eps = o->step0;
        for (int tries = 0, dir = 0; tries < 60 && !rc; tries++) {
            double *x = m1, U1 = 0, K0 = 0, K1 = 0;
            for (int i = 0; i < np; i++) {
                mom[i] = ts_rng_normal(rng, 0, 1);
                K0 += 0.5 * mom[i] * mom[i];
            }
            for (int i = 0; i < np; i++) x[i] = th[i] + eps * (mom[i] - 0.5 * eps * g[i]);
            int r1 = potential(b, x, &U1, g1);
            if (r1 && r1 != TS_ERR_NUMERIC) {
                rc = r1;
                break;
            }
            for (int i = 0; i < np; i++) {
                double pm = mom[i] - 0.5 * eps * g[i] - 0.5 * eps * g1[i];
                K1 += 0.5 * pm * pm;
            }
            double la = r1 ? -INFINITY : (U + K0) - (U1 + K1);
            int up = la > log(0.5);
            if (dir == 0) dir = up ? 1 : -1;
            else if ((dir > 0) != up) break;
            eps = dir > 0 ? 2 * eps : 0.5 * eps;
        }
        double mu = log(10 * eps), Hbar = 0, logeps_bar = 0;
        long acc = 0;
        int kept = 0;
        for (int it = 0; it < o->burnin + o->samples && !rc; it++) {
            for (int i = 0; i < np; i++) mom[i] = ts_rng_normal(rng, 0, 1);
            double K0 = 0;
            for (int i = 0; i < np; i++) K0 += 0.5 * mom[i] * mom[i];
            double *x = m1; /* reuse as the proposal */
            memcpy(x, th, (size_t)np * sizeof(double));
            memcpy(g1, g, (size_t)np * sizeof(double));
            double U1 = U;
            for (int l = 0; l < o->leapfrog && !rc; l++) {
                for (int i = 0; i < np; i++) mom[i] -= 0.5 * eps * g1[i];
                for (int i = 0; i < np; i++) x[i] += eps * mom[i];
                rc = potential(b, x, &U1, g1);
                for (int i = 0; i < np; i++) mom[i] -= 0.5 * eps * g1[i];
            }
            if (rc) {
                if (rc == TS_ERR_NUMERIC) rc = 0, U1 = INFINITY; /* divergent trajectory: reject */
                else break;
            }
            double K1 = 0;
            for (int i = 0; i < np; i++) K1 += 0.5 * mom[i] * mom[i];
            double dH = (U + K0) - (U1 + K1);
            double alpha = isfinite(dH) ? (dH >= 0 ? 1.0 : exp(dH)) : 0.0;
            if (ts_rng_uniform(rng) < alpha) {
                memcpy(th, x, (size_t)np * sizeof(double));
                memcpy(g, g1, (size_t)np * sizeof(double));
                U = U1;
                if (it >= o->burnin) acc++;
            }
            if (it < o->burnin) { /* dual averaging (Hoffman & Gelman alg. 5: gamma 0.05, t0 10, kappa 0.75) */
                double mm = it + 1;
                Hbar = (1 - 1 / (mm + 10)) * Hbar + (o->target_accept - alpha) / (mm + 10);
                double le = mu - sqrt(mm) / 0.05 * Hbar;
                double w = pow(mm, -0.75);
                logeps_bar = w * le + (1 - w) * logeps_bar;
                eps = exp(le);
                if (it == o->burnin - 1) eps = exp(logeps_bar);
            } else {
                memcpy(b->theta + (size_t)kept * np, th, (size_t)np * sizeof(double));
                kept++;
            }
            ts_progress_update(prog, o->adam_steps + it + 1, NULL);
            if (ts_interrupted()) rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted in HMC");
        }
        b->S = kept;
        b->accept = o->samples > 0 ? (double)acc / o->samples : 0;
        b->step = eps;
    }
    ts_progress_destroy(prog);
    b->t_phase[2] = ts_time_now() - wall0 - b->t_phase[0] - b->t_phase[1];
    free(g);
    free(m1);
    free(m2);
    free(th);
    free(mom);
    free(g1);
    ts_rng_destroy(rng);
    if (rc) {
        ts_em_bpinn_destroy(b);
        return rc;
    }
    b->train_s = ts_time_now() - wall0;
    *out = b;
    return 0;
}

/* Prediction in batches of draws through the batched kernel (forward only):
 * per batch and posterior sample one evaluation of all junction networks
 * and segments, then Welford over samples per draw and vertex. */
int ts_em_bpinn_predict(const ts_em_bpinn *b, const ts_em_variation *v, long ndraws, uint64_t seed, double *mean,
                        double *std, double *std_input, double *std_post)
{
    if (!b || !v || ndraws < 1) return ts_error_set(TS_ERR_INVAL, "ts_em_bpinn_predict: bad argument");
    if (v->sigma_D0 != 0 || v->sigma_T_K != 0 || v->sigma_w != 0)
        return ts_error_set(TS_ERR_UNSUPPORTED, "bpinn: only current variation is a network input (sigma_D0 = sigma_T = 0)");
    int K = b->K, ns = b->tree->nwire, nv = b->tree->nvert, S = b->S > 0 ? b->S : 1;
    size_t nq = (size_t)(K + 1) * nv;
    int Db = ndraws < 32 ? (int)ndraws : 32;
    int nthr = b->nthreads > 0 ? b->nthreads : omp_get_max_threads();
    if (b->nthreads <= 0 && (long)ns * Db < 256) nthr = 1;
    /* per draw: posterior mean and variance (population over samples) */
    double *pm = malloc((size_t)ndraws * nq * sizeof(double)), *pv = malloc((size_t)ndraws * nq * sizeof(double));
    double *J = malloc((size_t)Db * ns * sizeof(double));
    int *vfirst = calloc((size_t)nv + 1, sizeof(int)), *vends = malloc((size_t)2 * ns * sizeof(int));
    bp_work *w = NULL;
    int rc = (!pm || !pv || !J || !vfirst || !vends) ? ts_error_set(TS_ERR_NOMEM, "out of memory (%ld draws x %zu values)", ndraws, nq) : 0;
    if (!rc) rc = bp_work_create(b, Db, nthr, &w);
    if (!rc) { /* vertex -> ends (CSR) */
        for (int s = 0; s < ns; s++) vfirst[b->tree->wa[s] + 1]++, vfirst[b->tree->wb[s] + 1]++;
        for (int i = 0; i < nv; i++) vfirst[i + 1] += vfirst[i];
        int *fill = calloc((size_t)nv + 1, sizeof(int));
        if (!fill) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int s = 0; s < ns && !rc; s++) {
            vends[vfirst[b->tree->wa[s]] + fill[b->tree->wa[s]]++] = 2 * s;
            vends[vfirst[b->tree->wb[s]] + fill[b->tree->wb[s]]++] = 2 * s + 1;
        }
        free(fill);
    }
    for (long d0 = 0; d0 < ndraws && !rc; d0 += Db) {
        int nb = (int)(ndraws - d0 < Db ? ndraws - d0 : Db);
        for (int d = 0; d < Db && !rc; d++) /* a short last batch repeats its last draw (ignored) */
            rc = ts_em_variation_draw(v, b->tree->j_mean, ns, seed, (uint64_t)(d0 + (d < nb ? d : nb - 1)),
                                      J + (size_t)d * ns, NULL, NULL);
        if (rc) break;
        bp_work_set_draws(b, w, J);
        for (int d = 0; d < nb; d++) {
            memset(pm + (size_t)(d0 + d) * nq, 0, nq * sizeof(double));
            memset(pv + (size_t)(d0 + d) * nq, 0, nq * sizeof(double));
        }
        for (int s = 0; s < S; s++) {
            bp_forward_stress(b, w, b->S > 0 ? b->theta + (size_t)s * b->np : b->map);
#pragma omp parallel for num_threads(nthr) schedule(static)
            for (int vx = 0; vx < nv; vx++) {
                int deg = vfirst[vx + 1] - vfirst[vx];
                for (int n = 0; n < K; n++)
                    for (int d = 0; d < nb; d++) {
                        double acc = 0;
                        for (int k = vfirst[vx]; k < vfirst[vx + 1]; k++) acc += w->sig[((size_t)vends[k] * K + n) * Db + d];
                        double x = vx == b->tree->void_vertex || deg == 0 ? 0.0 : acc / deg;
                        size_t qi = (size_t)(d0 + d) * nq + (size_t)(n + 1) * nv + vx;
                        double dl = x - pm[qi]; /* Welford over samples */
                        pm[qi] += dl / (s + 1);
                        pv[qi] += dl * (x - pm[qi]);
                    }
            }
        }
        for (int d = 0; d < nb; d++)
            for (size_t q = 0; q < nq; q++) pv[(size_t)(d0 + d) * nq + q] /= S;
        if (ts_interrupted()) rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted in predict");
    }
    for (size_t q = 0; q < nq && !rc; q++) {
        double mu = 0, m2 = 0, vp = 0;
        for (long d = 0; d < ndraws; d++) {
            double x = pm[(size_t)d * nq + q], dl = x - mu;
            mu += dl / (d + 1);
            m2 += dl * (x - mu);
            vp += pv[(size_t)d * nq + q];
        }
        double vin = m2 / ndraws, vpo = vp / ndraws;
        if (mean) mean[q] = mu;
        if (std) std[q] = sqrt(vin + vpo);
        if (std_input) std_input[q] = sqrt(vin);
        if (std_post) std_post[q] = sqrt(vpo);
    }
    bp_work_destroy(w);
    free(pm);
    free(pv);
    free(J);
    free(vfirst);
    free(vends);
    return rc;
}

/* ------------------------------------------------------------ files */

int ts_em_bpinn_save(const ts_em_bpinn *b, const char *path)
{
    int ns = b->tree->nwire, np = b->np, S = b->S;
    float *th = malloc(((size_t)S * np + 1) * sizeof(float)), *mp = malloc(((size_t)np + 1) * sizeof(float)),
          *tr = malloc((size_t)5 * ns * sizeof(float));
    if (!th || !mp || !tr) {
        free(th);
        free(mp);
        free(tr);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < (size_t)S * np; i++) th[i] = (float)b->theta[i];
    for (int i = 0; i < np; i++) mp[i] = (float)b->map[i];
    for (int s = 0; s < ns; s++) {
        tr[s] = (float)b->tree->wa[s];
        tr[ns + s] = (float)b->tree->wb[s];
        tr[2 * ns + s] = (float)b->tree->len[s];
        tr[3 * ns + s] = (float)b->tree->width[s];
        tr[4 * ns + s] = (float)b->tree->j_mean[s];
    }
    const char *names[7] = {"theta", "map", "tree.wa", "tree.wb", "tree.len", "tree.width", "tree.j_mean"};
    int nd[7] = {2, 1, 1, 1, 1, 1, 1};
    int64_t s0[2] = {S, np}, s1[1] = {np}, s2[1] = {ns};
    const int64_t *shapes[7] = {s0, s1, s2, s2, s2, s2, s2};
    const float *data[7] = {th, mp, tr, tr + ns, tr + 2 * ns, tr + 3 * ns, tr + 4 * ns};
    char v[19][64];
    const ts_em_params *p = &b->p;
    snprintf(v[0], 64, "%d", b->H);
    snprintf(v[1], 64, "%d", b->K);
    snprintf(v[2], 64, "%.17g", b->t_end);
    snprintf(v[3], 64, "%d", b->tree->void_vertex);
    snprintf(v[4], 64, "%d", b->tree->nvert);
    snprintf(v[5], 64, "%.17g", p->T);
    snprintf(v[6], 64, "%.17g", p->D0);
    snprintf(v[7], 64, "%.17g", p->Ea);
    snprintf(v[8], 64, "%.17g", p->kB);
    snprintf(v[9], 64, "%.17g", p->e);
    snprintf(v[10], 64, "%.17g", p->B);
    snprintf(v[11], 64, "%.17g", p->Omega);
    snprintf(v[12], 64, "%.17g", p->Z);
    snprintf(v[13], 64, "%.17g", p->rho_cu);
    snprintf(v[14], 64, "%.17g", b->noise_sd);
    snprintf(v[15], 64, "%.17g", b->prior_sd);
    snprintf(v[16], 64, "%d", b->hops);
    snprintf(v[17], 64, "%s", b->zscore ? "zscore" : "j0");
    snprintf(v[18], 64, "%.17g", b->in_sigma);
    /* vertex names, space-separated (SPICE node names hold no blanks) */
    char *vn = NULL;
    if (b->tree->vert_name) {
        size_t len = 1;
        for (int k = 0; k < b->tree->nvert; k++) len += strlen(b->tree->vert_name[k]) + 1;
        vn = malloc(len);
        if (!vn) {
            free(th);
            free(mp);
            free(tr);
            return ts_error_set(TS_ERR_NOMEM, "out of memory");
        }
        char *w = vn;
        for (int k = 0; k < b->tree->nvert; k++) {
            size_t n = strlen(b->tree->vert_name[k]);
            if (k) *w++ = ' ';
            memcpy(w, b->tree->vert_name[k], n);
            w += n;
        }
        *w = '\0';
    }
    const char *meta[] = {"format", "tinsel-em-bpinn-1", "hidden", v[0], "K", v[1], "t_end", v[2], "void_vertex", v[3],
                          "nvert", v[4], "T", v[5], "D0", v[6], "Ea", v[7], "kB", v[8], "e", v[9], "B", v[10],
                          "Omega", v[11], "Z", v[12], "rho_cu", v[13], "noise_sd", v[14], "prior_sd", v[15], "hops", v[16],
                          "inputs", v[17], "input_sigma_j", v[18], "name", b->tree->name, "vertex_names", vn};
    int nmeta = (int)(sizeof meta / sizeof meta[0]) / 2 - (vn ? 0 : 1);
    int rc = ts_nn_st_write(path, 7, names, nd, shapes, data, nmeta, meta);
    free(vn);
    free(th);
    free(mp);
    free(tr);
    return rc;
}

static int meta_d(const ts_nn_safetensors *st, const char *path, const char *key, double *out)
{
    const char *s = ts_nn_st_meta(st, key);
    char *end = NULL;
    if (!s) return ts_error_set(TS_ERR_FORMAT, "%s: metadata key '%s' missing", path, key);
    *out = strtod(s, &end);
    if (end == s || *end) return ts_error_set(TS_ERR_FORMAT, "%s: metadata '%s' = '%s' is not a number", path, key, s);
    return 0;
}

/* t->vert_name from the space-separated list s (exactly t->nvert names). */
static int names_parse(ts_em_tree *t, const char *s, const char *path)
{
    t->vert_name = calloc((size_t)t->nvert, sizeof(char *));
    TS_CHECK_ALLOC(t->vert_name);
    int n = 0;
    for (const char *p = s; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t len = strcspn(p, " ");
        if (n == t->nvert) return ts_error_set(TS_ERR_FORMAT, "%s: metadata vertex_names has more than %d names", path, t->nvert);
        t->vert_name[n] = malloc(len + 1);
        TS_CHECK_ALLOC(t->vert_name[n]);
        memcpy(t->vert_name[n], p, len);
        t->vert_name[n++][len] = '\0';
        p += len;
    }
    if (n != t->nvert) return ts_error_set(TS_ERR_FORMAT, "%s: metadata vertex_names has %d names for %d vertices", path, n, t->nvert);
    return 0;
}

int ts_em_bpinn_load(const char *path, ts_em_bpinn **out)
{
    *out = NULL;
    ts_nn_safetensors *st = NULL;
    TS_TRY(ts_nn_st_read(path, &st));
    int rc = 0;
    const char *fmt = ts_nn_st_meta(st, "format");
    if (!fmt || strcmp(fmt, "tinsel-em-bpinn-1")) rc = ts_error_set(TS_ERR_FORMAT, "%s: not a tinsel em BPINN model", path);
    double H = 0, K = 0, t_end = 0, vv = 0, nvd = 0, ns_d, sd_n = 0, sd_p = 0;
    ts_em_params p;
    ts_em_params_default(&p);
    if (!rc) rc = meta_d(st, path, "hidden", &H);
    if (!rc) rc = meta_d(st, path, "K", &K);
    if (!rc) rc = meta_d(st, path, "t_end", &t_end);
    if (!rc) rc = meta_d(st, path, "void_vertex", &vv);
    if (!rc) rc = meta_d(st, path, "nvert", &nvd);
    if (!rc) rc = meta_d(st, path, "T", &p.T);
    if (!rc) rc = meta_d(st, path, "D0", &p.D0);
    if (!rc) rc = meta_d(st, path, "Ea", &p.Ea);
    if (!rc) rc = meta_d(st, path, "kB", &p.kB);
    if (!rc) rc = meta_d(st, path, "e", &p.e);
    if (!rc) rc = meta_d(st, path, "B", &p.B);
    if (!rc) rc = meta_d(st, path, "Omega", &p.Omega);
    if (!rc) rc = meta_d(st, path, "Z", &p.Z);
    if (!rc) rc = meta_d(st, path, "rho_cu", &p.rho_cu);
    if (!rc) rc = meta_d(st, path, "noise_sd", &sd_n);
    if (!rc) rc = meta_d(st, path, "prior_sd", &sd_p);
    double hops = 1; /* absent in files written before the option: the seed's local inputs */
    if (!rc && ts_nn_st_meta(st, "hops")) rc = meta_d(st, path, "hops", &hops);
    if (!rc && !(hops >= 1 && hops <= 1000)) rc = ts_error_set(TS_ERR_FORMAT, "%s: metadata hops = %g out of range", path, hops);
    /* absent in files written before the option: j/J0 inputs */
    const char *inp = ts_nn_st_meta(st, "inputs");
    int zscore = inp && !strcmp(inp, "zscore");
    double in_sigma = 0;
    if (!rc && inp && !zscore && strcmp(inp, "j0")) rc = ts_error_set(TS_ERR_FORMAT, "%s: metadata inputs = '%s' (expected j0 or zscore)", path, inp);
    if (!rc && zscore) rc = meta_d(st, path, "input_sigma_j", &in_sigma);
    if (!rc && zscore && !(in_sigma > 0)) rc = ts_error_set(TS_ERR_FORMAT, "%s: metadata input_sigma_j = %g must be > 0", path, in_sigma);
    int idx[7];
    const char *names[7] = {"theta", "map", "tree.wa", "tree.wb", "tree.len", "tree.width", "tree.j_mean"};
    int64_t shp[7][TS_NN_MAXDIM];
    int ndim[7];
    for (int i = 0; i < 7 && !rc; i++) {
        idx[i] = ts_nn_st_find(st, names[i]);
        if (idx[i] < 0) rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor '%s' missing", path, names[i]);
        else rc = ts_nn_st_shape(st, idx[i], &ndim[i], shp[i]);
    }
    ns_d = rc ? 0 : (double)shp[2][0];
    int ns = (int)ns_d, nv = (int)nvd;
    if (!rc && (ndim[0] != 2 || ns < 1 || nv != ns + 1 || vv < 0 || vv >= nv || H < 1 || K < 1 || !(t_end > 0)))
        rc = ts_error_set(TS_ERR_FORMAT, "%s: inconsistent model (segments %d, vertices %d, void %g)", path, ns, nv, vv);
    for (int i = 3; i < 7 && !rc; i++)
        if (ndim[i] != 1 || shp[i][0] != ns) rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor %s has the wrong shape", path, names[i]);
    ts_em_tree *t = NULL;
    if (!rc) rc = ts_em_tree_alloc(nv, ns, &t);
    for (int s = 0; s < ns && !rc; s++) {
        t->wa[s] = (int)ts_nn_st_data(st, idx[2])[s];
        t->wb[s] = (int)ts_nn_st_data(st, idx[3])[s];
        t->len[s] = ts_nn_st_data(st, idx[4])[s];
        t->width[s] = ts_nn_st_data(st, idx[5])[s];
        t->j_mean[s] = ts_nn_st_data(st, idx[6])[s];
        t->res_ohm[s] = 1;
        if (t->wa[s] < 0 || t->wa[s] >= nv || t->wb[s] < 0 || t->wb[s] >= nv || !(t->len[s] > 0) || !(t->width[s] > 0))
            rc = ts_error_set(TS_ERR_FORMAT, "%s: segment %d has bad ends or size", path, s);
    }
    ts_em_bpinn *b = NULL;
    if (!rc) {
        t->void_vertex = (int)vv;
        const char *nm = ts_nn_st_meta(st, "name");
        snprintf(t->name, sizeof t->name, "%s", nm ? nm : "model");
        const char *vn = ts_nn_st_meta(st, "vertex_names");
        if (vn) rc = names_parse(t, vn, path);
    }
    if (!rc) {
        rc = bpinn_setup(t, &p, t_end, (int)K, (int)H, (int)hops, &b);
    }
    if (!rc && (shp[0][1] != b->np || shp[1][0] != b->np))
        rc = ts_error_set(TS_ERR_FORMAT, "%s: %lld parameters stored, the tree needs %d", path, (long long)shp[1][0], b->np);
    if (!rc) {
        b->S = (int)shp[0][0];
        b->zscore = zscore;
        b->in_sigma = in_sigma;
        b->noise_sd = sd_n;
        b->prior_sd = sd_p;
        b->theta = malloc(((size_t)b->S * b->np + 1) * sizeof(double));
        if (!b->theta) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; !rc && i < (size_t)b->S * b->np; i++) b->theta[i] = ts_nn_st_data(st, idx[0])[i];
        for (int i = 0; !rc && i < b->np; i++) b->map[i] = ts_nn_st_data(st, idx[1])[i];
    }
    ts_em_tree_destroy(t);
    ts_nn_st_destroy(st);
    if (rc) {
        ts_em_bpinn_destroy(b);
        return rc;
    }
    *out = b;
    return 0;
}
