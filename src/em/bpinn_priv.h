/* Private to src/em/bpinn*.c: the BPINN model and its batched kernel.
 * Units: SI; network inputs and outputs scaled as described in bpinn.c. */
#ifndef TS_EM_BPINN_PRIV_H
#define TS_EM_BPINN_PRIV_H

#include "tinsel/em.h"

#define J0 1e9    /* A/m^2, current-density unit of the network inputs */
#define KSIG 1e-8 /* 1/Pa, stress scale k_σ of eq. (20) */
#define NIN 5     /* inputs with hops = 1: t/t_end and four arm currents (zero-padded) */

struct bp_work;

struct ts_em_bpinn {
    ts_em_tree *tree;
    ts_em_params p;
    double t_end, Gs;
    int K, H, nj, np, S, D, nthreads;
    ts_em_jmodel *jm;
    int *jd, *jends, *joff; /* [nj], [nj][4], [nj+1] */
    int hops;               /* network inputs: currents of the segments within `hops` of the junction */
    int *nin, *xoff, *xseg; /* [nj] inputs incl. t; [nj+1] offsets into xseg; segment per current input (-1: padding) */
    int maxnin;
    int zscore;             /* inputs: 0 j/J0 (eq. 20-style scale), 1 standardised (j - μ)/(s_j |μ|) */
    double in_sigma;        /* s_j: relative std of the training draws (zscore) */
    double *map, *theta;    /* [np], [S][np] */
    double *jtrain;         /* [D][nseg] */
    double noise_sd, prior_sd;
    double accept, step, map_loss, train_s;
    int method;             /* 0 HMC, 1 mean-field VI */
    double t_phase[4];      /* s: setup, MAP, posterior (HMC/VI) — wall */
    long n_eval;            /* potential + gradient evaluations in training */
    struct bp_work *work;   /* batched kernel over the training draws (training only) */
};

/* Network input of the current density j (A/m^2) of segment sg (-1: padding):
 * j/J0, or with zscore the standardised deviation (j - μ_sg)/(s_j |μ_sg|)
 * (μ the tree's mean current density, s_j the relative std of the training
 * draws; a segment with μ = 0 falls back to j/J0). */
static inline double bp_input(const struct ts_em_bpinn *b, int sg, double j)
{
    if (sg < 0) return 0.0;
    double mu = b->tree->j_mean[sg];
    if (!b->zscore || mu == 0) return j / J0;
    return (j - mu) / (b->in_sigma * (mu < 0 ? -mu : mu));
}

/* The batched kernels are compiled twice on x86-64 with GCC: for x86-64-v3 (AVX2 + FMA)
 * (4-wide, chosen at load time when the CPU has it) and for the baseline
 * (2-wide SSE2); results differ only by FMA rounding. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(TS_NO_CLONES)
#define TS_EM_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TS_EM_SIMD_CLONES
#endif

/* Batched evaluation of all junction networks and the junction model for D
 * current draws at once (bpinn_batch.c). Arrays are laid out row r = n D + d
 * (time step n, draw d) so that the D draws are contiguous, matching
 * ts_em_jmodel_stress_seg. Everything is allocated once in bp_work_create:
 * no allocation happens per evaluation (HMC's leapfrog). */
typedef struct bp_work {
    int D, KD, nthr, scr_len;
    double *G;                       /* [D][ns] Pa/m */
    double *xj;                      /* per junction q at xoff[q] D: [D][nin_q - 1] scaled input currents */
    double *tn;                      /* [K] t_n / t_end */
    double *h1, *h2;                 /* [nj][KD][H] tanh activations (cached for backward) */
    double *phi, *sig, *dsig, *dphi; /* [2 ns][K][D] */
    double *lossq;                   /* [nj] Σ r² per junction */
    double *scr;                     /* [nthr][scr_len] per-thread scratch */
} bp_work;

/* D >= 1 draws; nthr >= 1 threads. Caller owns *out (bp_work_destroy). */
int bp_work_create(const struct ts_em_bpinn *b, int D, int nthr, bp_work **out);
void bp_work_destroy(bp_work *w);
/* Current densities J[D][ns] (A/m^2) of the batch; sets G and the blocked ends. */
void bp_work_set_draws(const struct ts_em_bpinn *b, bp_work *w, const double *J);
/* Σ over draws, junctions, arms and t_n of the squared scaled jumps (eq. 11)
 * for weights theta[np]; grad (may be NULL) is overwritten with its gradient. */
double bp_eval(const struct ts_em_bpinn *b, bp_work *w, const double *theta, double *grad);
/* Forward only: w->phi and w->sig (end stresses, Pa) for weights theta. */
void bp_forward_stress(const struct ts_em_bpinn *b, bp_work *w, const double *theta);
/* Variable projection (bpinn_lsq.c): replace the output-layer weights of
 * every junction network in theta by the exact ridge least-squares optimum
 * for the current hidden layers (likelihood sd b->noise_sd, prior sd
 * b->prior_sd) on w's draws. */
int bp_output_lsq(const struct ts_em_bpinn *b, bp_work *w, double *theta);
/* tanh to ~2 ulp absolute (vectorisable polynomial exp), y[i] = tanh(x[i]). */
void bp_tanh(int n, double *x);

#endif
