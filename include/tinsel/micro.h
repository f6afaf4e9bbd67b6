/* tinsel micro: synthetic SEM-BSE micrographs of aged Cu–SAC305 interfaces,
 * segmentation (random forest on a Gaussian-derivative filter bank), physical
 * descriptors, √t growth kinetics, Kirkendall enthalpy, SSIM / MS-SSIM and the
 * silhouette score.  Seed 000 (Cui et al., npj Mater. Degrad. 2025) and
 * notes/micrographs.md.
 *
 * Units: lengths in µm, areas in µm², ageing time in hours (h), growth
 * constants in µm/√h (thickness) and µm²/√h (pore area), temperature in K,
 * enthalpy in kJ/mol, diffusivities in m²/s.  Images are float grey values
 * in [0, 1] stored row-major [height][width] (row 0 at the top: Cu side);
 * label images are uint8 [height][width] with the ts_micro_phase codes.
 */
#ifndef TINSEL_MICRO_H
#define TINSEL_MICRO_H

#include <stddef.h>
#include <stdint.h>

#include "tinsel/core.h"
#include "tinsel/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ conditions */

/* Phase labels (per-pixel classes). */
typedef enum {
    TS_MICRO_CU = 0,
    TS_MICRO_CU3SN = 1,
    TS_MICRO_CU6SN5 = 2,
    TS_MICRO_SAC305 = 3,
    TS_MICRO_PORE = 4,
    TS_MICRO_AG3SN = 5,
    TS_MICRO_NPHASES = 6
} ts_micro_phase;

const char *ts_micro_phase_name(int phase); /* "Cu", "Cu3Sn", ... ; static */

/* Metallisation (impurity level): PVD reference and ECD1 < ECD2 < ECD3. */
enum { TS_MICRO_NLEVELS = 4, TS_MICRO_NTIMES = 7 };
const char *ts_micro_level_name(int level);   /* "PVD", "ECD1", ... ; static */
double ts_micro_level_code(int level);        /* impurity code 0, 30, 60, 120 */
double ts_micro_time_h(int time_index);       /* 0, 50, 100, 300, 750, 1000, 3000 h */
/* Parses "PVD", "ECD1".."ECD3" (case-insensitive) or a code "0","30","60","120". */
int ts_micro_level_parse(const char *s, int *level);

/* Status of a matrix cell in the seed's Fig. 2 design. */
typedef enum {
    TS_MICRO_SEEN = 0,    /* measured, used for training */
    TS_MICRO_UNSEEN = 1,  /* measured, held out (PVD-300 h, ECD1-750 h) */
    TS_MICRO_UNKNOWN = 2  /* never measured (10 cells) */
} ts_micro_status;
int ts_micro_condition_status(int level, int time_index);
const char *ts_micro_status_name(int status); /* "seen", "unseen", "unknown" */

/* Growth law of the generator (the "truth" the analysis must recover):
 *   h3(t) = h3_0 + k3 √t,  h6(t) = h6_0 + k6 √t                   [µm]
 *   pore area per 16.75-µm-wide field A(t) = kp √t                 [µm²]
 * plus, for levels with anomaly_t_h > 0, Cu3Sn -> Cu6Sn5 conversion after
 * anomaly_t_h at rate anomaly_k [µm/√h] (the sum stays parabolic; seed
 * Results, ECD3 750 -> 3000 h).  Interpolation in the impurity code gives
 * any level in between. */
typedef struct {
    double h3_0, h6_0;      /* µm */
    double k3, k6;          /* µm/√h */
    double kp;              /* µm²/√h per 16.75 µm of interface width */
    double anomaly_t_h;     /* h (0: none) */
    double anomaly_k;       /* µm/√h moved from Cu3Sn to Cu6Sn5 after anomaly_t_h */
} ts_micro_growth;

/* Default truth for a level (0..3). */
int ts_micro_growth_default(int level, ts_micro_growth *g);
/* Truth for any impurity code in [0, 120]: linear interpolation of the
 * constants between the neighbouring levels (anomaly only at code 120). */
int ts_micro_growth_at_code(double code, ts_micro_growth *g);
/* Mean thicknesses [µm] and pore area per 16.75 µm width [µm²] at time t_h. */
void ts_micro_growth_eval(const ts_micro_growth *g, double t_h, double *h3, double *h6,
                          double *pore_area);

/* ------------------------------------------------------------- generator */

typedef struct {
    int width, height;       /* output pixels (default 450 x 450) */
    double px_um;            /* pixel size µm (default 16.75/450) */
    int supersample;         /* sub-pixels per side for partial volume (default 3) */
    double cu_top_um;        /* depth of the Cu/Cu3Sn interface below row 0 (µm) */
    double scallop_amp_um;   /* Cu6Sn5 scallop height at t = 0 (µm) */
    double scallop_tau_h;    /* flattening time: amp(t) = amp0 / (1 + t/tau) */
    double thickness_jitter; /* relative sd of per-image layer thickness (sample scatter) */
    double ag3sn_per_um2;    /* Ag3Sn particle density in the solder (1/µm²) */
    /* imaging */
    double contrast, brightness; /* grey = brightness + contrast (eta - eta_Cu) */
    double blur_px;          /* Gaussian blur sd (pixels) before noise */
    double dose;             /* electrons per pixel for shot noise (0: none) */
    double line_noise;       /* sd of per-scan-line grey offset */
} ts_micro_synth_opts;

void ts_micro_synth_opts_default(ts_micro_synth_opts *o);

/* What the generator placed (exact, from the per-pixel labels). */
typedef struct {
    double h3_um, h6_um;         /* generator mean thicknesses for this image (µm) */
    double pore_area_target_um2; /* generator pore area for this image (µm²) */
    double line_length_um;       /* Cu6Sn5/solder boundary length on the sub-pixel grid (µm) */
    int npores, nag3sn;
} ts_micro_synth_info;

/* Render one micrograph for impurity level (0..3) at t_h hours.
 * img: [height][width] float grey in [0,1] (caller-allocated);
 * labels: [height][width] uint8 phases (caller-allocated);
 * info may be NULL. g may be NULL (defaults of the level).
 * Random stream: (seed, stream). */
int ts_micro_synth(const ts_micro_synth_opts *o, int level, const ts_micro_growth *g,
                   double t_h, uint64_t seed, uint64_t stream, float *img,
                   uint8_t *labels, ts_micro_synth_info *info);

/* ------------------------------------------------------------ filter bank */

/* Gaussian(-derivative) filtering as scipy.ndimage.gaussian_filter1d with
 * mode='reflect', truncate=4: out = in * d^order/dx^order G_sigma along axis
 * (0: rows/y, 1: columns/x).  in/out [h][w], may not alias. */
int ts_micro_gauss1d(const float *in, float *out, int w, int h, double sigma, int order,
                     int axis);

/* The ilastik-style filter bank: for each scale: smoothed intensity,
 * gradient magnitude, Laplacian of Gaussian, two Hessian eigenvalues
 * (scale 0.7 gives only the smoothed intensity).  feat: [nfeat][h][w]. */
int ts_micro_features_count(void);
int ts_micro_features(const float *img, int w, int h, float *feat);
/* Reference (single-threaded) and default (OpenMP) versions agree to 1e-5. */
int ts_micro_features_ref(const float *img, int w, int h, float *feat);

/* ----------------------------------------------------------- random forest */

typedef struct {
    int ntrees;         /* default 32 */
    int max_depth;      /* default 14 */
    int min_leaf;       /* default 2 samples */
    int mtry;           /* features tried per split (0: sqrt(nfeat)) */
    uint64_t seed;
} ts_micro_forest_opts;

void ts_micro_forest_opts_default(ts_micro_forest_opts *o);

typedef struct ts_micro_forest ts_micro_forest;

/* Train on X [n][nfeat] (row-major) with labels y [n] in 0..nclass-1.
 * Gini impurity, bootstrap samples, soft voting.  Caller owns *out. */
int ts_micro_forest_train(const ts_micro_forest_opts *o, const float *X, const uint8_t *y,
                          size_t n, int nfeat, int nclass, ts_micro_forest **out);
void ts_micro_forest_destroy(ts_micro_forest *f);
int ts_micro_forest_nclass(const ts_micro_forest *f);
int ts_micro_forest_nfeat(const ts_micro_forest *f);
/* Class probabilities for n samples given column-major ("planar") features:
 * feat[k*stride + i] is feature k of sample i.  prob: [n][nclass]. */
int ts_micro_forest_predict(const ts_micro_forest *f, const float *feat, size_t n,
                            size_t stride, float *prob);
/* Reference kernel (one sample at a time, single thread); the default
 * (blocked, OpenMP) gives bit-identical results. */
int ts_micro_forest_predict_ref(const ts_micro_forest *f, const float *feat, size_t n,
                                size_t stride, float *prob);
int ts_micro_forest_save(const ts_micro_forest *f, const char *path);
int ts_micro_forest_load(const char *path, ts_micro_forest **out);

/* ------------------------------------------------------------ segmentation */

/* Per-image grey normalisation (2nd/98th percentile of the σ=1 smoothed
 * image mapped to 0/1) so a model trained at one contrast applies to
 * another.  in/out [h][w] may alias. */
int ts_micro_normalize(const float *in, float *out, int w, int h);

/* Train a pixel classifier from labelled images: imgs[i], labels[i] each
 * [h][w]; up to per_class pixels per class and image are drawn. */
int ts_micro_seg_train(const ts_micro_forest_opts *o, int nimg, const float *const *imgs,
                       const uint8_t *const *labels, int w, int h, int per_class,
                       uint64_t seed, ts_micro_forest **out);

/* Segment one image: normalise, filter bank, forest probabilities, then
 * clean-up (if cleanup): per-column layer order Cu -> Cu3Sn -> Cu6Sn5 ->
 * SAC305 by dynamic programming over the class log-probabilities (pores only
 * in Cu3Sn, Ag3Sn only in the solder or on the Cu6Sn5/solder boundary) and
 * removal of pore / Ag3Sn components smaller than min_blob_px.
 * labels: [h][w] out. */
int ts_micro_segment(const ts_micro_forest *f, const float *img, int w, int h, int cleanup,
                     int min_blob_px, uint8_t *labels);

/* Intersection over union per class (nan when a class is absent from both).
 * iou[TS_MICRO_NPHASES]; inter/uni (may be NULL) accumulate pixel counts. */
void ts_micro_iou(const uint8_t *pred, const uint8_t *truth, size_t n, double *iou,
                  double *inter, double *uni);

/* ------------------------------------------------------------- descriptors */

typedef struct {
    double h_cu3sn_um, h_cu6sn5_um, h_imc_um; /* phase pixels / width × px (seed Methods) */
    double pore_area_um2;                     /* pore pixels × px² */
    double pore_area_per_field_um2;           /* scaled to a 16.75 µm wide field */
    double line_length_um;                    /* Cu6Sn5/solder boundary length */
    double line_ratio;                        /* line length / image width */
    double phase_frac[TS_MICRO_NPHASES];
} ts_micro_desc;

/* labels [h][w]; px_um pixel size.  Error if no Cu6Sn5 pixel exists. */
int ts_micro_describe(const uint8_t *labels, int w, int h, double px_um, ts_micro_desc *d);

/* ---------------------------------------------------------------- kinetics */

/* Least-squares y = k √t + y0 over n points (t in h).  Standard errors
 * from the residual variance (n > 2; nan for n == 2).  Error for n < 2 or
 * all t equal. */
typedef struct {
    double k, y0;       /* slope (per √h) and intercept */
    double k_se, y0_se; /* standard errors */
    double r2;
    int n;
} ts_micro_sqrt_fit;

int ts_micro_fit_sqrt(const double *t_h, const double *y, size_t n, ts_micro_sqrt_fit *fit);

/* Kirkendall pore formation enthalpy, seed eqs. (6)-(7):
 * D_v = mean over t > 0 of A(t)/t with A in m² and t in s (SI, documented
 * in docs/micro.md), Q = -R T ln(D_v / D0) / 1000 [kJ/mol].
 * Error if no t > 0 or D_v <= 0. */
int ts_micro_kirkendall_q(const double *t_h, const double *area_um2, size_t n, double T_K,
                          double D0_m2s, double *Dv_m2s, double *Q_kJmol);

/* ---------------------------------------------------------------- metrics */

/* SSIM / MS-SSIM (TensorFlow formulas): ts_ssim, ts_msssim in tinsel/core.h. */

/* scikit-learn silhouette_score (euclidean): X [n][d], labels [n] >= 0.
 * Error unless 2 <= number of labels <= n - 1. */
int ts_micro_silhouette(const double *X, size_t n, int d, const int *labels, double *score);

/* ---------------------------------------------------------------- dataset */

/* Resample a [h][w] image to [oh][ow] with a triangle (bilinear) filter whose
 * support widens on down-sampling (antialiased, as PIL's BILINEAR). */
int ts_micro_resize(const float *in, int w, int h, float *out, int ow, int oh);
/* Nearest-neighbour resize for label images. */
int ts_micro_resize_labels(const uint8_t *in, int w, int h, uint8_t *out, int ow, int oh);

/* ------------------------------------------------------------------ chain */

/* Descriptor columns used in tables and statistics. */
enum {
    TS_MICRO_D_CU3SN = 0,  /* Cu3Sn thickness µm */
    TS_MICRO_D_CU6SN5,     /* Cu6Sn5 thickness µm */
    TS_MICRO_D_IMC,        /* cumulative IMC thickness µm */
    TS_MICRO_D_PORE,       /* pore area per 16.75 µm field µm² */
    TS_MICRO_D_LINE,       /* Cu6Sn5/solder line length per µm of width (-) */
    TS_MICRO_NDESC
};
const char *ts_micro_desc_name(int k);  /* column name with unit, static */
double ts_micro_desc_get(const ts_micro_desc *d, int k);

/* The whole chain on the condition matrix: synthesise images per condition,
 * segment them with a forest trained on a few labelled images of other
 * random draws, and describe both the exact and the segmented labels. */
typedef struct {
    ts_micro_synth_opts synth;
    int images_per_condition; /* default 3 (seed: 3 per condition) */
    int measured_only;        /* 1: the 18 measured cells only; 0: all 28 */
    int segment;              /* 0: describe exact labels only */
    int train_images;         /* labelled training images (default 4) */
    int per_class;            /* training pixels per class and image (default 1500) */
    int min_blob_px;          /* clean-up threshold (default 6) */
    ts_micro_forest_opts forest;
    uint64_t seed;
} ts_micro_chain_opts;

void ts_micro_chain_opts_default(ts_micro_chain_opts *o);

/* The default "few labelled images": ntrain (1..8) synthetic images of
 * size o->width x o->height at conditions spread over the matrix (PVD-0 h,
 * ECD2-300 h, ECD3-3000 h, ECD1-750 h, ...) with dose 30-120 e- and contrast
 * 4.5-6.5, drawn with (seed ^ 0x7124a11, k) so they never coincide with the
 * chain's test images; then ts_micro_seg_train.  Caller owns *out. */
int ts_micro_seg_train_synthetic(const ts_micro_synth_opts *o, int ntrain, int per_class,
                                 const ts_micro_forest_opts *fo, uint64_t seed,
                                 ts_micro_forest **out);

typedef struct {
    int level, time_index, status, image;
    double t_h;
    ts_micro_desc truth, seg;    /* seg valid only if segmented */
    double iou[TS_MICRO_NPHASES];
    double inter[TS_MICRO_NPHASES], uni[TS_MICRO_NPHASES]; /* pixel counts */
} ts_micro_record;

/* *recs: malloc'd array of *n records (caller frees).  model (may be NULL)
 * receives the trained forest (caller owns).  Progress on stderr. */
int ts_micro_chain_run(const ts_micro_chain_opts *o, ts_micro_record **recs, size_t *n,
                       ts_micro_forest **model);

/* Per-condition mean and sample sd (n - 1) of the descriptors. */
typedef struct {
    int level, time_index, status, n;
    double t_h;
    double mean[TS_MICRO_NDESC], sd[TS_MICRO_NDESC];
} ts_micro_condstat;

/* Aggregate records by condition (use_seg: segmented, else exact labels).
 * out: [TS_MICRO_NLEVELS * TS_MICRO_NTIMES], n = 0 for absent cells. */
int ts_micro_condition_stats(const ts_micro_record *recs, size_t n, int use_seg,
                             ts_micro_condstat *out);

/* √t fits per level of cumulative IMC thickness and pore area from
 * condition means (cells with n > 0).  kimc/kpore [TS_MICRO_NLEVELS];
 * a level with fewer than 2 times gets n = 0. */
int ts_micro_fit_levels(const ts_micro_condstat *cs, ts_micro_sqrt_fit *kimc,
                        ts_micro_sqrt_fit *kpore);


/* ------------------------------------------------- conditional DDPM (C-DDPM)
 * Seed 000 Methods and notes/micrographs.md "Model": a conditional U-Net
 * eps_theta(x_t, t, f) trained on the eps-prediction MSE of a DDPM with T
 * steps and a linear beta schedule; ancestral sampling (and, labelled as
 * such, deterministic DDIM with fewer steps).  Images are [n, channels,
 * size, size] floats in [-1, 1] (grey g -> 2 g - 1, as `micro dataset`).
 * Conditions f [n, 2] = (impurity code / 120, sqrt(t_h / 3000)): both in
 * [0, 1] over the seed's matrix; see ts_micro_ddpm_cond. */

#define TS_MICRO_UNET_MAXLEV 8 /* down blocks at most */
#define TS_MICRO_UNET_MAXCONV 8

typedef struct {
    int size;        /* image side in pixels; divisible by 2^levels */
    int channels;    /* image channels (1: grey SEM) */
    int levels;      /* down blocks (seed: 6); resolution levels 0..levels */
    int ch[TS_MICRO_UNET_MAXLEV + 1];   /* feature channels per resolution level */
    int attn[TS_MICRO_UNET_MAXLEV + 1]; /* 1: self-attention after the blocks of that level */
    int heads;       /* attention heads (seed: 4); ch[l] % heads == 0 where attn[l] */
    int groups;      /* GroupNorm groups (public code of the seed's shape: 1) */
    int temb;        /* sinusoidal timestep-embedding width (even) */
    int cemb;        /* condition-embedding width */
    int nconv;       /* 3x3 conv units per down/up block (seed: 4; input block: 2) */
    int nmid;        /* conv units in the bottleneck (seed: 6) */
    int in_plain;    /* 0 (seed): every conv unit is conv -> GroupNorm -> GELU. 1: the input
                      * block's first unit is conv (with bias) -> GELU, no GroupNorm. With
                      * the seed's units the network is blind to the amplitude of x_t (a
                      * bias-free conv followed by GroupNorm is scale invariant), which
                      * breaks deterministic DDIM sampling; docs/micro.md "DDIM". */
} ts_micro_unet_config;

/* A small CPU configuration: 32 px, 3 levels, channels 16,32,32,64,
 * attention at levels 2..3, 4 heads, GroupNorm(1), temb 64, cemb 16. */
void ts_micro_unet_config_default(ts_micro_unet_config *c);
/* The paper's layout: 512 px, 6 down blocks, channels 32,64,128,128,256,256,256,
 * attention at levels 3..6 (64x64 = 4096 tokens at level 3). Valid, slow on a CPU. */
void ts_micro_unet_config_paper(ts_micro_unet_config *c);
int ts_micro_unet_config_check(const ts_micro_unet_config *c);
/* One-line text form ("size=32 channels=1 levels=3 ch=16,32,32,64 attn=0,0,1,1 ...")
 * and its parser (unknown or missing keys are errors). */
int ts_micro_unet_config_format(const ts_micro_unet_config *c, char *buf, size_t n);
int ts_micro_unet_config_parse(const char *s, ts_micro_unet_config *c);

typedef struct ts_micro_unet ts_micro_unet;
/* Declares and allocates the parameters (names as the PyTorch oracle's
 * state_dict, docs/micro.md). Caller owns *out. */
int ts_micro_unet_create(const ts_micro_unet_config *c, ts_micro_unet **out);
void ts_micro_unet_destroy(ts_micro_unet *u);
const ts_micro_unet_config *ts_micro_unet_get_config(const ts_micro_unet *u);
ts_nn_params *ts_micro_unet_params(ts_micro_unet *u); /* borrowed */
/* PyTorch default initialisations (conv/linear U(+-1/sqrt(fan_in)), GroupNorm 1/0,
 * attention in_proj Xavier-uniform with zero biases). */
int ts_micro_unet_init(ts_micro_unet *u, ts_rng *rng);
/* out [n, channels, size, size] = eps_theta(x [n, channels, size, size],
 * t [n] (timestep index as float), cond [n, 2]).  Activations come from A and
 * are kept (with x, t, cond, which must stay valid) for backward. */
int ts_micro_unet_forward(ts_micro_unet *u, ts_nn_arena *A, const float *x, const float *t,
                          const float *cond, int n, float *out);
/* Parameter gradients += from dout [n, channels, size, size]; dx += (NULL ok).
 * Uses the activations of the last forward (arena not reset in between). */
int ts_micro_unet_backward(ts_micro_unet *u, ts_nn_arena *A, const float *dout, float *dx);

/* Condition vector of impurity code (0..120) and ageing time t_h (h). */
void ts_micro_ddpm_cond(double code, double t_h, float f[2]);

typedef struct {
    ts_micro_unet_config net;
    int T;                 /* diffusion steps (seed: 1000) */
    double beta1, betaT;   /* linear schedule ends (seed: 1e-4, 0.02) */
    double lr;             /* Adam learning rate (seed: 3e-4) */
    int batch;             /* images per step (seed: 2) */
    double ema_decay;      /* EMA of weights (0.995) */
    long ema_start;        /* EMA = copy of the weights before this step (2000) */
    uint64_t seed;         /* training noise, timesteps and batch draws */
} ts_micro_ddpm_config;

void ts_micro_ddpm_config_default(ts_micro_ddpm_config *c);

/* beta [T], alpha_bar [T] (t = 0..T-1 stands for the paper's 1..T), double. */
int ts_micro_ddpm_schedule(int T, double beta1, double betaT, double *beta, double *abar);

typedef struct ts_micro_ddpm ts_micro_ddpm;
/* Model (initialised from seed), schedule, Adam and EMA. Caller owns *out. */
int ts_micro_ddpm_create(const ts_micro_ddpm_config *c, ts_micro_ddpm **out);
void ts_micro_ddpm_destroy(ts_micro_ddpm *d);
const ts_micro_ddpm_config *ts_micro_ddpm_get_config(const ts_micro_ddpm *d);
ts_micro_unet *ts_micro_ddpm_unet(ts_micro_ddpm *d); /* borrowed */
const float *ts_micro_ddpm_ema(const ts_micro_ddpm *d); /* flat EMA weights, borrowed */
long ts_micro_ddpm_steps(const ts_micro_ddpm *d);    /* optimiser steps taken */

/* Noising q(x_t | x_0): xt = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, len values. */
void ts_micro_ddpm_q_sample(const ts_micro_ddpm *d, int t, const float *x0, const float *eps,
                            float *xt, size_t len);
/* One training step (step k draws its batch, timesteps and noise from the
 * stream (seed, k), so a resumed run repeats an uninterrupted one exactly):
 * data [N, channels, size, size], cond [N, 2]; *loss = the batch MSE. */
int ts_micro_ddpm_train_step(ts_micro_ddpm *d, const float *data, const float *cond, int N,
                             double *loss);
/* Checkpoint: weights, EMA, Adam state, step and the configuration (metadata
 * "unet", "ddpm") plus nmeta extra key/value pairs; atomic. */
int ts_micro_ddpm_save(ts_micro_ddpm *d, const char *path, int nmeta, const char *const *meta_kv);
/* Rebuild from a checkpoint (configuration from its metadata). Caller owns *out. */
int ts_micro_ddpm_load(const char *path, ts_micro_ddpm **out);
/* Generate n images out [n, channels, size, size] for cond [n, 2] with the EMA
 * (use_ema) or raw weights. ddim_steps = 0: ancestral DDPM sampling over all T
 * steps (seed); ddim_steps > 0: deterministic DDIM (eta = 0) on ddim_steps
 * evenly spaced steps (not in the seed; faster). Noise from (seed, stream).
 * clip_x0 = 1: the x_0 estimate is clipped to [-1, 1] at every step (clip_denoised
 * of Ho et al.'s reference code; not in the seed). Results clipped to [-1, 1]. */
int ts_micro_ddpm_sample(ts_micro_ddpm *d, int use_ema, const float *cond, int n, int ddim_steps,
                         int clip_x0, uint64_t seed, uint64_t stream, float *out);
/* The same from a given x_T: x [n, channels, size, size] holds x_T on entry and
 * the generated images on return; r: the ancestral noise (NULL allowed for DDIM). */
int ts_micro_ddpm_denoise(ts_micro_ddpm *d, int use_ema, const float *cond, int n, int ddim_steps,
                          int clip_x0, ts_rng *r, float *x);

#ifdef __cplusplus
}
#endif
#endif /* TINSEL_MICRO_H */
