/* tinsel nn: a small neural-network core in C (float32, CPU, OpenMP + OpenBLAS).
 *
 * Serves micro (conditional DDPM U-Net), xct (learned prior, conv3d) and em
 * (BPINN).  Design (llm.c style):
 *   - tensors are float32, contiguous, row-major NC[D]HW (last index fastest);
 *   - each layer is a pair of plain functions, forward and backward, that take
 *     raw pointers plus shapes, so a CUDA backend can take them over one by one;
 *   - backward functions ACCUMULATE (+=) into every gradient they write
 *     (input and parameter gradients), as PyTorch does for parameters; this
 *     makes skip connections and shared inputs free.  Zero gradients first.
 *     Any gradient pointer documented as "NULL ok" is skipped when NULL;
 *   - parameters live in one contiguous block per model (ts_nn_params) with a
 *     parallel gradient block, so optimisers, EMA, clipping and zeroing are
 *     single loops; activations come from a bump arena (ts_nn_arena);
 *   - results are deterministic for a fixed seed and thread count: every
 *     reduction has a fixed order (no atomics).
 * Units: none (dimensionless numbers).
 * All functions return 0 or a negative ts_status with a reason (ts_error_set).
 */
#ifndef TINSEL_NN_H
#define TINSEL_NN_H

#include <stddef.h>
#include <stdint.h>

#include "tinsel/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_NN_MAXDIM 6

/* ------------------------------------------------------------------ threads */

/* Threads for OpenMP loops and OpenBLAS (n >= 1). Process-wide. */
void ts_nn_set_threads(int n);
int ts_nn_get_threads(void);

/* ------------------------------------------------------------------ arena */

/* A bump allocator for activations and scratch: 64-byte aligned float blocks
 * from a list of chunks (grows as needed; pointers stay valid until reset past
 * them or destroy). */
typedef struct ts_nn_arena ts_nn_arena;
typedef struct { size_t chunk, used; } ts_nn_arena_mark;

/* chunk_floats: default chunk size in floats (0: 4 Mi floats). Caller owns *out. */
int ts_nn_arena_create(size_t chunk_floats, ts_nn_arena **out);
void ts_nn_arena_destroy(ts_nn_arena *a);
/* n floats, zeroed, 64-byte aligned; borrowed from the arena. NULL (with
 * TS_ERR_NOMEM recorded) on allocation failure. */
float *ts_nn_arena_alloc(ts_nn_arena *a, size_t n);
/* The same without zeroing (contents undefined): for activations and outputs
 * that the next call overwrites completely (every _forward output), not for
 * gradients, which backward functions accumulate into. */
float *ts_nn_arena_alloc_raw(ts_nn_arena *a, size_t n);
ts_nn_arena_mark ts_nn_arena_get_mark(const ts_nn_arena *a);
/* Forget every allocation made after mark (memory kept for reuse). */
void ts_nn_arena_reset(ts_nn_arena *a, ts_nn_arena_mark mark);
size_t ts_nn_arena_used(const ts_nn_arena *a); /* floats in use */

/* ------------------------------------------------------------------ tensors */

typedef struct {
    float *data;                /* numel floats, contiguous row-major */
    int ndim;                   /* 0..TS_NN_MAXDIM */
    int64_t shape[TS_NN_MAXDIM];
    size_t numel;
    int owned;                  /* 1: data freed by ts_nn_tensor_destroy */
} ts_nn_tensor;

/* Owned, zeroed data. Caller owns *out. */
int ts_nn_tensor_create(int ndim, const int64_t *shape, ts_nn_tensor **out);
/* Data borrowed from the arena (valid until the arena is reset past it). */
int ts_nn_tensor_create_in(ts_nn_arena *a, int ndim, const int64_t *shape, ts_nn_tensor **out);
/* Borrowed data (caller keeps ownership of data). */
int ts_nn_tensor_wrap(float *data, int ndim, const int64_t *shape, ts_nn_tensor **out);
void ts_nn_tensor_destroy(ts_nn_tensor *t); /* frees data only if owned; NULL ok */
size_t ts_nn_shape_numel(int ndim, const int64_t *shape);

/* ------------------------------------------------------------ parameters */

/* Named parameters of one model in one contiguous block, with gradients.
 * Declare with _add, then _alloc once; then data/grad pointers are stable. */
typedef struct ts_nn_params ts_nn_params;

int ts_nn_params_create(ts_nn_params **out); /* caller owns */
void ts_nn_params_destroy(ts_nn_params *p);
/* Declare a parameter (name unique, <= 127 chars); *idx its index. */
int ts_nn_params_add(ts_nn_params *p, const char *name, int ndim, const int64_t *shape, int *idx);
/* Allocate (zeroed) values and gradients for everything declared. */
int ts_nn_params_alloc(ts_nn_params *p);
int ts_nn_params_count(const ts_nn_params *p);
size_t ts_nn_params_total(const ts_nn_params *p); /* floats in all parameters */
/* Borrowed pointers (NULL before _alloc or for a bad index). */
float *ts_nn_params_data(ts_nn_params *p, int idx);
float *ts_nn_params_grad(ts_nn_params *p, int idx);
float *ts_nn_params_flat(ts_nn_params *p);      /* all values [total] */
float *ts_nn_params_flat_grad(ts_nn_params *p); /* all gradients [total] */
const char *ts_nn_params_name(const ts_nn_params *p, int idx);
int ts_nn_params_shape(const ts_nn_params *p, int idx, int *ndim, int64_t shape[TS_NN_MAXDIM]);
int ts_nn_params_find(const ts_nn_params *p, const char *name); /* index or -1 */
void ts_nn_params_zero_grad(ts_nn_params *p);

/* PyTorch default initialisation: U(-bound, bound) with bound = 1/sqrt(fan_in)
 * (kaiming_uniform with a = sqrt(5) for weights, the same bound for biases). */
void ts_nn_init_uniform(float *w, size_t n, double bound, ts_rng *rng);
void ts_nn_init_normal(float *w, size_t n, double sd, ts_rng *rng);
void ts_nn_init_const(float *w, size_t n, float v);

/* ------------------------------------------------------------ convolution */

/* Shape of a 2-D or 3-D convolution (cross-correlation, as torch.nn.ConvNd).
 * 2-D: d = kd = sd = 1, pd = 0. Output [n, oc, od, oh, ow] with
 * o* = (in + 2 p - k) / s + 1. Weight [oc, c, kd, kh, kw], bias [oc]. */
typedef struct {
    int n, c, d, h, w;   /* input [n, c, d, h, w] */
    int oc;              /* output channels */
    int kd, kh, kw;      /* kernel */
    int sd, sh, sw;      /* stride */
    int pd, ph, pw;      /* zero padding on both sides */
    int od, oh, ow;      /* output size, set by the _shape functions */
} ts_nn_conv_shape;

int ts_nn_conv2d_shape(ts_nn_conv_shape *s, int n, int c, int h, int w, int oc,
                       int kh, int kw, int sh, int sw, int ph, int pw);
int ts_nn_conv3d_shape(ts_nn_conv_shape *s, int n, int c, int d, int h, int w, int oc,
                       int k, int stride, int pad); /* cubic kernel/stride/pad */
size_t ts_nn_conv_out_numel(const ts_nn_conv_shape *s);

/* Fast path. 2-D stride-1 convolutions (kernel > 1x1) on a CPU with AVX-512 or
 * AVX2+FMA: a direct register-blocked kernel on zero-padded planes (forward and
 * input gradient) and one GEMM per kernel tap over the whole batch (weight
 * gradient), no im2col; 1x1 stride-1 convs: sgemm on the input directly; all
 * others: im2col + OpenBLAS sgemm. ts_nn_set_conv_algo picks a path.
 * out [n, oc, od, oh, ow] (overwritten); inp [n, c, d, h, w];
 * weight [oc, c, kd, kh, kw]; bias [oc] or NULL. */
int ts_nn_conv_forward(const ts_nn_conv_shape *s, float *out, const float *inp,
                       const float *weight, const float *bias);
/* dinp [n,c,d,h,w] (NULL ok), dweight [oc,c,kd,kh,kw], dbias [oc] (NULL ok): +=.
 * dout [n, oc, od, oh, ow]; inp and weight as in forward. */
int ts_nn_conv_backward(const ts_nn_conv_shape *s, float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight);
/* Process-wide choice of the fast path (for tests and benchmarks): AUTO (the
 * direct kernel where it applies, the default), GEMM (im2col + sgemm always),
 * DIRECT (same as AUTO; the direct kernel is used only where it applies),
 * DIRECT_AVX2 (the AVX2 kernel and the sgemm weight gradient even on an
 * AVX-512 CPU, so that tests reach them). */
enum { TS_NN_CONV_AUTO = 0, TS_NN_CONV_GEMM = 1, TS_NN_CONV_DIRECT = 2, TS_NN_CONV_DIRECT_AVX2 = 3 };
void ts_nn_set_conv_algo(int algo);
int ts_nn_get_conv_algo(void);
/* Reference: direct loops, the definition; the fast path is tested against it. */
int ts_nn_conv_forward_ref(const ts_nn_conv_shape *s, float *out, const float *inp,
                           const float *weight, const float *bias);
int ts_nn_conv_backward_ref(const ts_nn_conv_shape *s, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight);

/* ------------------------------------------------------------ linear */

/* out [m, oc] = inp [m, c] · weight [oc, c]ᵀ + bias [oc] (bias NULL ok). */
int ts_nn_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                         int m, int c, int oc);
/* dinp [m, c] (NULL ok), dweight [oc, c], dbias [oc] (NULL ok): +=. */
int ts_nn_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int m, int c, int oc);

/* ------------------------------------------------------------ normalisation */

/* GroupNorm (torch.nn.GroupNorm): inp [n, c, sp] (sp = spatial size), g groups
 * (c % g == 0), gamma/beta [c]; saves mean/rstd [n, g] for backward
 * (rstd = 1/sqrt(var + eps), biased variance). */
int ts_nn_groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *gamma, const float *beta, int n, int c, int sp,
                            int g, float eps);
/* dinp [n,c,sp] (NULL ok), dgamma/dbeta [c] (NULL ok): +=. */
int ts_nn_groupnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const float *inp, const float *mean, const float *rstd,
                             const float *gamma, int n, int c, int sp, int g);
/* GroupNorm followed by GELU in one pass: out = GELU(GroupNorm(inp)) with the
 * shapes of ts_nn_groupnorm_forward (mean, rstd [n, g] saved for backward). The
 * GroupNorm output is not stored; backward recomputes it from inp, mean, rstd,
 * gamma and beta (bitwise the same values as the two separate layers).
 * Backward: dinp += (NULL ok), dgamma, dbeta += (NULL ok); dout is the
 * gradient with respect to out. */
int ts_nn_groupnorm_gelu_forward(float *out, float *mean, float *rstd, const float *inp, const float *gamma,
                                 const float *beta, int n, int c, int sp, int g, float eps);
int ts_nn_groupnorm_gelu_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                  const float *mean, const float *rstd, const float *gamma, const float *beta, int n,
                                  int c, int sp, int g);

/* LayerNorm over the last dimension: inp [m, c], gamma/beta [c]; mean/rstd [m]. */
int ts_nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *gamma, const float *beta, int m, int c, float eps);
int ts_nn_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const float *inp, const float *mean, const float *rstd,
                             const float *gamma, int m, int c);

/* ------------------------------------------------------------ activations */

/* Elementwise over n values; out may equal inp in forward.
 * GELU exact: x Φ(x) = x/2 (1 + erf(x/√2)); SiLU: x σ(x); tanh. */
void ts_nn_gelu_forward(float *out, const float *inp, size_t n);
void ts_nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n); /* += */
void ts_nn_silu_forward(float *out, const float *inp, size_t n);
void ts_nn_silu_backward(float *dinp, const float *dout, const float *inp, size_t n); /* += */
void ts_nn_tanh_forward(float *out, const float *inp, size_t n);
/* Uses the forward output: d tanh = 1 - out². */
void ts_nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n); /* += */

/* ------------------------------------------------------------ pooling, resampling */

/* 2-D max / average pooling: inp [n, c, h, w] -> out [n, c, oh, ow],
 * oh = (h + 2 pad - k) / stride + 1 (floor mode). Max: padding is -inf and
 * ties go to the first maximum in scan order (as PyTorch). Average: zero
 * padding counted in the divisor (count_include_pad = True, PyTorch default). */
int ts_nn_pool2d_out(int h, int w, int k, int stride, int pad, int *oh, int *ow);
int ts_nn_maxpool2d_forward(float *out, const float *inp, int n, int c, int h, int w,
                            int k, int stride, int pad);
int ts_nn_maxpool2d_backward(float *dinp, const float *dout, const float *inp, int n, int c,
                             int h, int w, int k, int stride, int pad); /* += */
int ts_nn_avgpool2d_forward(float *out, const float *inp, int n, int c, int h, int w,
                            int k, int stride, int pad);
int ts_nn_avgpool2d_backward(float *dinp, const float *dout, int n, int c, int h, int w,
                             int k, int stride, int pad); /* += */

/* Bilinear resize inp [n, c, h, w] -> out [n, c, oh, ow] with PyTorch's
 * F.interpolate(mode="bilinear", size=(oh, ow), align_corners=ac) semantics. */
int ts_nn_upsample_bilinear_forward(float *out, const float *inp, int n, int c, int h, int w,
                                    int oh, int ow, int align_corners);
int ts_nn_upsample_bilinear_backward(float *dinp, const float *dout, int n, int c, int h, int w,
                                     int oh, int ow, int align_corners); /* += */

/* ------------------------------------------------------------ joins */

/* Channel concatenation: a [n, ca, sp], b [n, cb, sp] -> out [n, ca+cb, sp]. */
void ts_nn_concat_forward(float *out, const float *a, const float *b, int n, int ca, int cb,
                          int sp);
void ts_nn_concat_backward(float *da, float *db, const float *dout, int n, int ca, int cb,
                           int sp); /* +=, da/db NULL ok */
/* Residual add: out [len] = a + b (out may alias a or b). */
void ts_nn_add_forward(float *out, const float *a, const float *b, size_t len);
void ts_nn_add_backward(float *da, float *db, const float *dout, size_t len); /* +=, NULL ok */
/* Per-channel broadcast add (time embedding into a feature map):
 * x [n, c, sp] += v [n, c]; backward dv [n, c] += Σ_sp dout. */
void ts_nn_add_channel_forward(float *x, const float *v, int n, int c, int sp);
void ts_nn_add_channel_backward(float *dv, const float *dout, int n, int c, int sp);

/* ------------------------------------------------------------ attention */

/* Multi-head self-attention over the l = h·w (·d) spatial positions of
 * x [n, c, l]; equals torch.nn.MultiheadAttention(c, heads, batch_first=True)
 * applied to x.flatten(2).transpose(1, 2), transposed back:
 *   tokens X [l, c]; Q|K|V = X in_wᵀ + in_b; per head (d = c/heads)
 *   A = softmax(Q Kᵀ/√d); Y = A V; out = (Y out_wᵀ + out_b)ᵀ.
 * in_w [3c, c], in_b [3c], out_w [c, c], out_b [c].
 * cache: ts_nn_attention_cache_size() floats, filled by forward and read by
 * backward (holds tokens, QKV, the attention matrices and Y; note the
 * n·heads·l² term: attention over 4096 positions needs 64 MiB per head and image). */
size_t ts_nn_attention_cache_size(int n, int c, int l, int heads);
int ts_nn_attention_forward(float *out, float *cache, const float *x, const float *in_w,
                            const float *in_b, const float *out_w, const float *out_b,
                            int n, int c, int l, int heads);
/* dx [n, c, l] (NULL ok), din_w, din_b, dout_w, dout_b: +=. */
int ts_nn_attention_backward(float *dx, float *din_w, float *din_b, float *dout_w,
                             float *dout_b, const float *dout, const float *cache,
                             const float *in_w, const float *out_w, int n, int c, int l,
                             int heads);

/* ------------------------------------------------------------ embeddings */

/* Sinusoidal timestep embedding out [n, dim] (dim even) of t [n]:
 * half = dim/2, f_i = exp(-ln(max_period) i / (half - shift)), i < half,
 * out = [sin(t f_i) | cos(t f_i)]. shift = 1 is Ho et al.'s DDPM code,
 * shift = 0 the Transformer's; max_period usually 10000. No parameters. */
int ts_nn_timestep_embedding(float *out, const float *t, int n, int dim, double max_period,
                             int shift);
/* Learned embedding (torch.nn.Embedding): out [n, dim] = table[idx[i]],
 * table [num, dim]; an index outside [0, num) is TS_ERR_RANGE. */
int ts_nn_embedding_forward(float *out, const int32_t *idx, const float *table, int n,
                            int num, int dim);
int ts_nn_embedding_backward(float *dtable, const float *dout, const int32_t *idx, int n,
                             int num, int dim); /* += */

/* ------------------------------------------------------------ losses */

/* Mean squared error over len values (accumulated in double). */
int ts_nn_mse_forward(double *loss, const float *pred, const float *target, size_t len);
/* dpred += dloss · 2 (pred - target) / len. */
void ts_nn_mse_backward(float *dpred, const float *pred, const float *target, size_t len,
                        float dloss);
/* Negative Pearson correlation, averaged over rows:
 *   loss = -(1/m) Σ_r (p̃_r · t̃_r) / (‖p̃_r‖ ‖t̃_r‖ + eps), p̃ = p - mean p, t̃ = t - mean t,
 * pred/target [m, k]; eps (e.g. 1e-8) keeps a constant row finite (eps = 0 with a
 * constant row: TS_ERR_NUMERIC). */
int ts_nn_pearson_forward(double *loss, const float *pred, const float *target, int m, int k,
                          double eps);
int ts_nn_pearson_backward(float *dpred, const float *pred, const float *target, int m, int k,
                           double eps, float dloss);

/* ------------------------------------------------------------ optimisers */

typedef enum { TS_NN_SGD = 0, TS_NN_ADAM = 1, TS_NN_ADAMW = 2 } ts_nn_optim_kind;

typedef struct {
    ts_nn_optim_kind kind;
    double lr;            /* learning rate (overridden per step by ts_nn_optim_step's lr) */
    double momentum;      /* SGD */
    double dampening;     /* SGD */
    int nesterov;         /* SGD */
    double beta1, beta2;  /* Adam/AdamW */
    double eps;           /* Adam/AdamW */
    double weight_decay;  /* SGD/Adam: L2 added to the gradient; AdamW: decoupled */
} ts_nn_optim_config;

/* PyTorch 1.13 defaults for kind: SGD momentum 0; Adam lr 1e-3, betas
 * (0.9, 0.999), eps 1e-8, weight_decay 0; AdamW the same with weight_decay 1e-2. */
ts_nn_optim_config ts_nn_optim_defaults(ts_nn_optim_kind kind);

typedef struct ts_nn_optim ts_nn_optim;
/* State for n parameters (flat). Caller owns *out. */
int ts_nn_optim_create(const ts_nn_optim_config *cfg, size_t n, ts_nn_optim **out);
void ts_nn_optim_destroy(ts_nn_optim *o);
/* One step on param [n] with grad [n] at learning rate lr (schedule value),
 * exactly the update order of torch.optim (foreach=False) in float32. */
int ts_nn_optim_step(ts_nn_optim *o, float *param, const float *grad, double lr);
long ts_nn_optim_steps(const ts_nn_optim *o);
/* Optimiser state for checkpoints: m and v (Adam) or momentum buffer (SGD),
 * borrowed [n] arrays (NULL when the kind has none). */
float *ts_nn_optim_state(ts_nn_optim *o, int which);
void ts_nn_optim_set_steps(ts_nn_optim *o, long steps);
/* The configuration the optimiser was created with (borrowed). */
const ts_nn_optim_config *ts_nn_optim_get_config(const ts_nn_optim *o);

/* torch.nn.utils.clip_grad_norm_: total 2-norm of grad [n]; if above max_norm
 * grad *= max_norm / (norm + 1e-6). Returns the norm before clipping. */
double ts_nn_clip_grad_norm(float *grad, size_t n, double max_norm);
/* Exponential moving average of weights: ema = decay ema + (1 - decay) param. */
void ts_nn_ema_update(float *ema, const float *param, size_t n, double decay);

/* Learning-rate schedules (closed forms of torch.optim.lr_scheduler):
 *   CONSTANT  lr = base
 *   COSINE    CosineAnnealingLR(T_max = total, eta_min = min_lr)
 *   ONECYCLE  OneCycleLR(max_lr = base, total_steps = total, pct_start,
 *             anneal cos, div_factor, final_div_factor, three_phase False);
 *             learning rate only (momentum cycling not applied)
 *   POLY      PolynomialLR(total_iters = total, power): base (1 - t/total)^power */
typedef enum { TS_NN_LR_CONSTANT = 0, TS_NN_LR_COSINE, TS_NN_LR_ONECYCLE, TS_NN_LR_POLY } ts_nn_lr_kind;
typedef struct {
    ts_nn_lr_kind kind;
    double base_lr;
    long total;            /* steps (T_max, total_steps, total_iters) */
    double min_lr;         /* cosine eta_min */
    double pct_start;      /* one-cycle: 0.3 */
    double div_factor;     /* one-cycle: 25 */
    double final_div_factor; /* one-cycle: 1e4 */
    double power;          /* poly: 1 */
} ts_nn_lr_schedule;
ts_nn_lr_schedule ts_nn_lr_defaults(ts_nn_lr_kind kind, double base_lr, long total);
/* Learning rate for step t = 0, 1, ... (the value used by the t-th optimiser step). */
double ts_nn_lr_at(const ts_nn_lr_schedule *s, long t);

/* ------------------------------------------------------------ MLP */

/* A multilayer perceptron, torch.nn.Sequential(Linear, act, Linear, act, ...,
 * Linear): sizes[0] inputs, sizes[nlayers] outputs, the activation after every
 * layer but the last. Parameters are registered in P as "<prefix>.<2k>.weight"
 * [sizes[k+1], sizes[k]] and "<prefix>.<2k>.bias" (PyTorch's Sequential names,
 * so weights load from a PyTorch state_dict saved as safetensors). The MLP keeps
 * the activations of its last forward (in the arena) for backward. */
typedef enum { TS_NN_ACT_TANH = 0, TS_NN_ACT_GELU, TS_NN_ACT_SILU } ts_nn_act;
typedef struct ts_nn_mlp ts_nn_mlp;

/* Declare parameters in P (before ts_nn_params_alloc). Caller owns *out; P must
 * outlive the MLP. nlayers >= 1, sizes has nlayers + 1 entries. */
int ts_nn_mlp_create(ts_nn_params *P, const char *prefix, int nlayers, const int *sizes,
                     ts_nn_act act, ts_nn_mlp **out);
void ts_nn_mlp_destroy(ts_nn_mlp *m);
/* PyTorch's default Linear initialisation (after ts_nn_params_alloc). */
int ts_nn_mlp_init(ts_nn_mlp *m, ts_rng *rng);
/* y [rows, sizes[nlayers]] = MLP(x [rows, sizes[0]]); activations from arena A
 * (x must stay valid until backward). */
int ts_nn_mlp_forward(ts_nn_mlp *m, ts_nn_arena *A, const float *x, int rows, float *y);
/* Parameter gradients += from dy [rows, out]; dx [rows, in] += (NULL ok).
 * Uses the activations of the last forward. */
int ts_nn_mlp_backward(ts_nn_mlp *m, ts_nn_arena *A, const float *dy, float *dx);

/* ------------------------------------------------------------ safetensors */

/* A safetensors file (https://github.com/huggingface/safetensors format):
 * u64 little-endian header length N, N bytes of JSON, then raw data.
 * Reading accepts F32, F64, F16 and BF16 (converted to float32) and checks
 * every offset, shape and size; writing stores F32 little-endian. */
typedef struct ts_nn_safetensors ts_nn_safetensors;

int ts_nn_st_read(const char *path, ts_nn_safetensors **out); /* caller owns */
void ts_nn_st_destroy(ts_nn_safetensors *st);
int ts_nn_st_count(const ts_nn_safetensors *st);
const char *ts_nn_st_name(const ts_nn_safetensors *st, int i);      /* borrowed */
const char *ts_nn_st_dtype(const ts_nn_safetensors *st, int i);     /* "F32", ... */
int ts_nn_st_shape(const ts_nn_safetensors *st, int i, int *ndim, int64_t shape[TS_NN_MAXDIM]);
const float *ts_nn_st_data(const ts_nn_safetensors *st, int i);     /* borrowed float32 */
int ts_nn_st_find(const ts_nn_safetensors *st, const char *name);  /* index or -1 */
/* Value of a "__metadata__" key (borrowed) or NULL. */
const char *ts_nn_st_meta(const ts_nn_safetensors *st, const char *key);

/* Write n tensors atomically. meta_kv: 2*nmeta strings (key, value), may be NULL. */
int ts_nn_st_write(const char *path, int n, const char *const *names, const int *ndims,
                   const int64_t *const *shapes, const float *const *data,
                   int nmeta, const char *const *meta_kv);
/* All parameters of p (names, shapes) to/from a file. Load requires every
 * parameter present with the same shape; extra tensors in the file are an error
 * unless allow_extra. */
int ts_nn_params_save(ts_nn_params *p, const char *path, int nmeta, const char *const *meta_kv);
int ts_nn_params_load(ts_nn_params *p, const char *path, int allow_extra);

/* Training checkpoints (resume exactly): one safetensors file holding the
 * parameters "<name>", the EMA weights "ema/<name>" (when ema != NULL; flat,
 * laid out like ts_nn_params_flat), the optimiser state "optim.m/<name>",
 * "optim.v/<name>" (when o != NULL and the kind has them) and metadata "step"
 * (optimiser steps), "optim" (sgd|adam|adamw) plus meta_kv. Written atomically.
 * Load checks names, shapes and the optimiser kind before copying anything, and
 * sets the optimiser's step count; o and ema may be NULL to skip them. */
int ts_nn_checkpoint_save(const char *path, ts_nn_params *p, ts_nn_optim *o, const float *ema,
                          int nmeta, const char *const *meta_kv);
int ts_nn_checkpoint_load(const char *path, ts_nn_params *p, ts_nn_optim *o, float *ema);

#ifdef __cplusplus
}
#endif
#endif /* TINSEL_NN_H */
