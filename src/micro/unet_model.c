/* Conditional U-Net eps_theta(x_t, t, f) of the C-DDPM (seed 000 Methods,
 * "Model architecture"; notes/micrographs.md "Model"):
 *   input block: two 3x3 conv units (conv -> GroupNorm -> GELU);
 *   down block l = 1..L: 2x2 max-pool, then nconv conv units;
 *   bottleneck: nmid conv units at the coarsest level;
 *   up block l = L-1..0: bilinear x2 (align_corners = False), concatenation
 *     with the skip of level l, nconv conv units;
 *   every block: sinusoidal timestep embedding s = SiLU(sin/cos(t)) projected
 *     by a Linear to the block's channels and added per channel after its
 *     convs (seed: "added at every block"); the condition embedding
 *     e = SiLU(Linear(f)) projected by a Linear to two h x w maps
 *     (impurity-like and time-like) concatenated to the block's input
 *     (seed: "mapped to H x W and concatenated at every block");
 *   multi-head self-attention with a residual, x + MHA(x), after the blocks
 *     of the levels flagged in attn (seed: 4 heads, down levels 3-6 and up
 *     levels 6-3 of the 512-px model; the bottleneck gets it at level L);
 *   final 1x1 conv to the image channels.
 * Convs inside units have no bias (GroupNorm follows), except the plain
 * first unit of the input block (in_plain = 1: conv with bias -> GELU; not in
 * the seed, see micro.h). Shapes NCHW.
 * Forward keeps every activation in the caller's arena for backward; the
 * nn layer functions accumulate (+=) gradients, so every gradient buffer is
 * a zeroed arena block. The PyTorch oracle (tests/oracles/micro/
 * make_unet_golden.py) builds the same module with the same parameter names.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/micro.h"

#define GN_EPS 1e-5f /* torch.nn.GroupNorm default */
#define NCMAP 2      /* condition maps per block */

typedef struct {
    int w, gw, gb; /* parameter indices: conv weight, GroupNorm gamma/beta */
    int plain, cb; /* 1: conv (bias cb) -> GELU without GroupNorm (in_plain) */
    int cin, cout;
    /* saved by forward */
    const float *x;
    float *y, *mean, *rstd, *a;
} unit;

enum { BK_INC = 0, BK_DOWN, BK_MID, BK_UP };

typedef struct {
    char name[16];
    int kind, level, h, w;   /* resolution of the block's convs */
    int cf, cs, cout;        /* features in (after pool/upsample), skip, out channels */
    int src, skip;           /* block index of the input features and the skip (-1 none) */
    int nu;
    unit u[TS_MICRO_UNET_MAXCONV];
    int cmw, cmb, tw, tb;    /* condition-map and time-projection Linear */
    int attn, aiw, aib, aow, aob;
    /* saved by forward */
    float *pooled, *cm, *cat, *tv, *pre, *acache, *out;
    float *dout; /* gradient of out (backward) */
} block;

struct ts_micro_unet {
    ts_micro_unet_config c;
    ts_nn_params *P;
    int nb;
    block b[2 * TS_MICRO_UNET_MAXLEV + 2];
    int cw, cb, ow, ob; /* condition Linear(2 -> cemb), output 1x1 conv */
    /* saved by forward */
    int n;
    const float *x, *t, *cond;
    float *ce_pre, *ce, *st, *dce, *dst;
};

static const int maxch = 4096;

void ts_micro_unet_config_default(ts_micro_unet_config *c)
{
    memset(c, 0, sizeof *c);
    c->size = 32;
    c->channels = 1;
    c->levels = 3;
    int ch[] = {16, 32, 32, 64}, at[] = {0, 0, 1, 1};
    for (int l = 0; l <= 3; l++) c->ch[l] = ch[l], c->attn[l] = at[l];
    c->heads = 4;
    c->groups = 1;
    c->temb = 64;
    c->cemb = 16;
    c->nconv = 4;
    c->nmid = 6;
}

void ts_micro_unet_config_paper(ts_micro_unet_config *c)
{
    memset(c, 0, sizeof *c);
    c->size = 512;
    c->channels = 1;
    c->levels = 6;
    int ch[] = {32, 64, 128, 128, 256, 256, 256};
    for (int l = 0; l <= 6; l++) c->ch[l] = ch[l], c->attn[l] = l >= 3;
    c->heads = 4;
    c->groups = 1;
    c->temb = 256;
    c->cemb = 32;
    c->nconv = 4;
    c->nmid = 6;
}

int ts_micro_unet_config_check(const ts_micro_unet_config *c)
{
    if (!c) return ts_error_set(TS_ERR_INVAL, "unet: NULL configuration");
    if (c->levels < 1 || c->levels > TS_MICRO_UNET_MAXLEV)
        return ts_error_set(TS_ERR_RANGE, "unet: levels %d outside 1..%d", c->levels, TS_MICRO_UNET_MAXLEV);
    if (c->size < 4 || c->size > 4096 || c->size % (1 << c->levels))
        return ts_error_set(TS_ERR_RANGE, "unet: size %d must be in 4..4096 and divisible by 2^levels = %d",
                            c->size, 1 << c->levels);
    if (c->channels < 1 || c->channels > 16)
        return ts_error_set(TS_ERR_RANGE, "unet: image channels %d outside 1..16", c->channels);
    if (c->heads < 1 || c->groups < 1)
        return ts_error_set(TS_ERR_RANGE, "unet: heads %d and groups %d must be >= 1", c->heads, c->groups);
    if (c->temb < 2 || c->temb % 2 || c->temb > maxch)
        return ts_error_set(TS_ERR_RANGE, "unet: temb %d must be even, 2..%d", c->temb, maxch);
    if (c->cemb < 1 || c->cemb > maxch) return ts_error_set(TS_ERR_RANGE, "unet: cemb %d outside 1..%d", c->cemb, maxch);
    if (c->in_plain != 0 && c->in_plain != 1)
        return ts_error_set(TS_ERR_RANGE, "unet: in_plain %d must be 0 (seed) or 1", c->in_plain);
    if (c->nconv < 1 || c->nconv > TS_MICRO_UNET_MAXCONV || c->nmid < 1 || c->nmid > TS_MICRO_UNET_MAXCONV)
        return ts_error_set(TS_ERR_RANGE, "unet: convs per block %d and bottleneck convs %d must be in 1..%d",
                            c->nconv, c->nmid, TS_MICRO_UNET_MAXCONV);
    for (int l = 0; l <= c->levels; l++) {
        if (c->ch[l] < 1 || c->ch[l] > maxch)
            return ts_error_set(TS_ERR_RANGE, "unet: ch[%d] = %d outside 1..%d", l, c->ch[l], maxch);
        if (c->ch[l] % c->groups)
            return ts_error_set(TS_ERR_RANGE, "unet: ch[%d] = %d not divisible by groups %d", l, c->ch[l], c->groups);
        if (c->attn[l] && c->ch[l] % c->heads)
            return ts_error_set(TS_ERR_RANGE, "unet: attention at level %d needs ch %d divisible by heads %d", l,
                                c->ch[l], c->heads);
    }
    return 0;
}

static int fmt_list(char *buf, size_t n, const int *v, int k)
{
    size_t used = 0;
    for (int i = 0; i < k; i++) {
        int m = snprintf(buf + used, n - used, "%s%d", i ? "," : "", v[i]);
        if (m < 0 || (size_t)m >= n - used) return -1;
        used += (size_t)m;
    }
    return 0;
}

int ts_micro_unet_config_format(const ts_micro_unet_config *c, char *buf, size_t n)
{
    char chs[200], ats[200];
    if (fmt_list(chs, sizeof chs, c->ch, c->levels + 1) || fmt_list(ats, sizeof ats, c->attn, c->levels + 1))
        return ts_error_set(TS_ERR_RANGE, "unet: configuration too long to format");
    /* in_plain is written only when set, so seed-layout files keep their form */
    int m = snprintf(buf, n, "size=%d channels=%d levels=%d ch=%s attn=%s heads=%d groups=%d temb=%d cemb=%d "
                             "nconv=%d nmid=%d%s",
                     c->size, c->channels, c->levels, chs, ats, c->heads, c->groups, c->temb, c->cemb, c->nconv,
                     c->nmid, c->in_plain ? " in_plain=1" : "");
    if (m < 0 || (size_t)m >= n) return ts_error_set(TS_ERR_RANGE, "unet: buffer too small for the configuration");
    return 0;
}

static int parse_ints(const char *v, int *out, int maxn, int *k)
{
    *k = 0;
    while (*v && *v != ' ') {
        char *end;
        long x = strtol(v, &end, 10);
        if (end == v || *k >= maxn || x < 0 || x > 1000000) return -1;
        out[(*k)++] = (int)x;
        v = end;
        if (*v == ',') v++;
        else if (*v && *v != ' ') return -1;
    }
    return *k ? 0 : -1;
}

int ts_micro_unet_config_parse(const char *s, ts_micro_unet_config *c)
{
    static const char *keys[] = {"size", "channels", "levels", "ch", "attn", "heads",
                                 "groups", "temb", "cemb", "nconv", "nmid", "in_plain"};
    enum { NK = 12, NREQ = 11 }; /* in_plain is optional (0) */
    int seen[NK] = {0}, nch = 0, nat = 0;
    memset(c, 0, sizeof *c);
    const char *p = s;
    while (p && *p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *eq = strchr(p, '=');
        if (!eq) return ts_error_set(TS_ERR_PARSE, "unet configuration: expected key=value at '%s'", p);
        int key = -1;
        for (int k = 0; k < NK; k++)
            if ((size_t)(eq - p) == strlen(keys[k]) && !strncmp(p, keys[k], (size_t)(eq - p))) key = k;
        if (key < 0) return ts_error_set(TS_ERR_PARSE, "unet configuration: unknown key at '%s'", p);
        int vals[TS_MICRO_UNET_MAXLEV + 2], nv;
        if (parse_ints(eq + 1, vals, TS_MICRO_UNET_MAXLEV + 1, &nv) || (key != 3 && key != 4 && nv != 1))
            return ts_error_set(TS_ERR_PARSE, "unet configuration: bad value for '%s'", keys[key]);
        seen[key] = 1;
        int *dst[] = {&c->size, &c->channels, &c->levels, NULL, NULL, &c->heads,
                      &c->groups, &c->temb, &c->cemb, &c->nconv, &c->nmid, &c->in_plain};
        if (key == 3) {
            memcpy(c->ch, vals, (size_t)nv * sizeof *vals);
            nch = nv;
        } else if (key == 4) {
            memcpy(c->attn, vals, (size_t)nv * sizeof *vals);
            nat = nv;
        } else
            *dst[key] = vals[0];
        p = strchr(eq, ' ');
    }
    for (int k = 0; k < NREQ; k++)
        if (!seen[k]) return ts_error_set(TS_ERR_PARSE, "unet configuration: missing '%s'", keys[k]);
    if (nch != c->levels + 1 || nat != c->levels + 1)
        return ts_error_set(TS_ERR_PARSE, "unet configuration: ch and attn need levels + 1 = %d entries",
                            c->levels + 1);
    return ts_micro_unet_config_check(c);
}

/* ------------------------------------------------------------ construction */

static int add_param(ts_nn_params *P, const char *blk, const char *nm, int ndim, int64_t a, int64_t b,
                     int64_t c3, int64_t d, int *idx)
{
    char name[128];
    int64_t shp[4] = {a, b, c3, d};
    snprintf(name, sizeof name, "%s%s%s", blk, *blk ? "." : "", nm);
    return ts_nn_params_add(P, name, ndim, shp, idx);
}

static int declare_block(ts_micro_unet *u, block *B)
{
    const ts_micro_unet_config *c = &u->c;
    int rc = 0, hw = B->h * B->w;
    rc |= add_param(u->P, B->name, "cmap.weight", 2, (int64_t)NCMAP * hw, c->cemb, 0, 0, &B->cmw);
    rc |= add_param(u->P, B->name, "cmap.bias", 1, (int64_t)NCMAP * hw, 0, 0, 0, &B->cmb);
    rc |= add_param(u->P, B->name, "temb.weight", 2, B->cout, c->temb, 0, 0, &B->tw);
    rc |= add_param(u->P, B->name, "temb.bias", 1, B->cout, 0, 0, 0, &B->tb);
    for (int k = 0; k < B->nu && !rc; k++) {
        unit *U = &B->u[k];
        U->cin = k ? B->cout : B->cf + B->cs + NCMAP;
        U->cout = B->cout;
        char nm[32];
        snprintf(nm, sizeof nm, "conv%d.weight", k);
        rc |= add_param(u->P, B->name, nm, 4, U->cout, U->cin, 3, 3, &U->w);
        U->plain = B->kind == BK_INC && k == 0 && c->in_plain;
        if (U->plain) { /* conv with bias, no GroupNorm */
            snprintf(nm, sizeof nm, "conv%d.bias", k);
            rc |= add_param(u->P, B->name, nm, 1, U->cout, 0, 0, 0, &U->cb);
            continue;
        }
        snprintf(nm, sizeof nm, "gn%d.weight", k);
        rc |= add_param(u->P, B->name, nm, 1, U->cout, 0, 0, 0, &U->gw);
        snprintf(nm, sizeof nm, "gn%d.bias", k);
        rc |= add_param(u->P, B->name, nm, 1, U->cout, 0, 0, 0, &U->gb);
    }
    if (B->attn && !rc) {
        rc |= add_param(u->P, B->name, "attn.in_proj_weight", 2, 3 * (int64_t)B->cout, B->cout, 0, 0, &B->aiw);
        rc |= add_param(u->P, B->name, "attn.in_proj_bias", 1, 3 * (int64_t)B->cout, 0, 0, 0, &B->aib);
        rc |= add_param(u->P, B->name, "attn.out_proj.weight", 2, B->cout, B->cout, 0, 0, &B->aow);
        rc |= add_param(u->P, B->name, "attn.out_proj.bias", 1, B->cout, 0, 0, 0, &B->aob);
    }
    return rc;
}

int ts_micro_unet_create(const ts_micro_unet_config *c, ts_micro_unet **out)
{
    if (!out) return ts_error_set(TS_ERR_INVAL, "unet: NULL output");
    *out = NULL;
    TS_TRY(ts_micro_unet_config_check(c));
    ts_micro_unet *u = calloc(1, sizeof *u);
    if (!u) return ts_error_set(TS_ERR_NOMEM, "unet: out of memory");
    u->c = *c;
    int rc = ts_nn_params_create(&u->P);
    const int L = c->levels;
    /* blocks: inc, down1..downL, mid, up(L-1)..up0 */
    for (int i = 0; i < 2 * L + 2; i++) {
        block *B = &u->b[i];
        int lev = i <= L ? i : i == L + 1 ? L : 2 * L + 1 - i;
        B->level = lev;
        B->h = B->w = c->size >> lev;
        B->cout = c->ch[lev];
        B->attn = c->attn[lev];
        B->skip = -1;
        if (i == 0) {
            B->kind = BK_INC, B->cf = c->channels, B->src = -1, B->nu = 2;
            snprintf(B->name, sizeof B->name, "inc");
        } else if (i <= L) {
            B->kind = BK_DOWN, B->cf = c->ch[lev - 1], B->src = i - 1, B->nu = c->nconv;
            snprintf(B->name, sizeof B->name, "down%d", lev);
        } else if (i == L + 1) {
            B->kind = BK_MID, B->cf = c->ch[L], B->src = L, B->nu = c->nmid;
            snprintf(B->name, sizeof B->name, "mid");
        } else {
            B->kind = BK_UP, B->cf = c->ch[lev + 1], B->src = i - 1, B->nu = c->nconv;
            B->skip = lev, B->cs = c->ch[lev]; /* block index of level lev's down path = lev */
            snprintf(B->name, sizeof B->name, "up%d", lev);
        }
    }
    u->nb = 2 * L + 2;
    if (!rc) rc = add_param(u->P, "", "cond.weight", 2, c->cemb, 2, 0, 0, &u->cw);
    if (!rc) rc = add_param(u->P, "", "cond.bias", 1, c->cemb, 0, 0, 0, &u->cb);
    for (int i = 0; i < u->nb && !rc; i++) rc = declare_block(u, &u->b[i]);
    if (!rc) rc = add_param(u->P, "", "out.weight", 4, c->channels, c->ch[0], 1, 1, &u->ow);
    if (!rc) rc = add_param(u->P, "", "out.bias", 1, c->channels, 0, 0, 0, &u->ob);
    if (!rc) rc = ts_nn_params_alloc(u->P);
    if (rc) {
        ts_micro_unet_destroy(u);
        return rc < 0 ? rc : ts_error_set(TS_ERR_NOMEM, "unet: cannot declare parameters");
    }
    *out = u;
    return 0;
}

void ts_micro_unet_destroy(ts_micro_unet *u)
{
    if (!u) return;
    ts_nn_params_destroy(u->P);
    free(u);
}

const ts_micro_unet_config *ts_micro_unet_get_config(const ts_micro_unet *u) { return u ? &u->c : NULL; }
ts_nn_params *ts_micro_unet_params(ts_micro_unet *u) { return u ? u->P : NULL; }

static void init_fan(ts_micro_unet *u, int idx, int fan_in, ts_rng *rng)
{
    int nd;
    int64_t shp[TS_NN_MAXDIM];
    ts_nn_params_shape(u->P, idx, &nd, shp);
    ts_nn_init_uniform(ts_nn_params_data(u->P, idx), ts_nn_shape_numel(nd, shp), 1.0 / sqrt((double)fan_in), rng);
}

static void init_const(ts_micro_unet *u, int idx, float v)
{
    int nd;
    int64_t shp[TS_NN_MAXDIM];
    ts_nn_params_shape(u->P, idx, &nd, shp);
    ts_nn_init_const(ts_nn_params_data(u->P, idx), ts_nn_shape_numel(nd, shp), v);
}

int ts_micro_unet_init(ts_micro_unet *u, ts_rng *rng)
{
    if (!u || !rng) return ts_error_set(TS_ERR_INVAL, "unet init: NULL argument");
    const ts_micro_unet_config *c = &u->c;
    init_fan(u, u->cw, 2, rng);
    init_fan(u, u->cb, 2, rng);
    for (int i = 0; i < u->nb; i++) {
        block *B = &u->b[i];
        init_fan(u, B->cmw, c->cemb, rng);
        init_fan(u, B->cmb, c->cemb, rng);
        init_fan(u, B->tw, c->temb, rng);
        init_fan(u, B->tb, c->temb, rng);
        for (int k = 0; k < B->nu; k++) {
            init_fan(u, B->u[k].w, B->u[k].cin * 9, rng);
            if (B->u[k].plain) {
                init_fan(u, B->u[k].cb, B->u[k].cin * 9, rng);
                continue;
            }
            init_const(u, B->u[k].gw, 1.0f);
            init_const(u, B->u[k].gb, 0.0f);
        }
        if (B->attn) { /* torch.nn.MultiheadAttention._reset_parameters */
            double a = sqrt(6.0 / (B->cout + 3.0 * B->cout));
            ts_nn_init_uniform(ts_nn_params_data(u->P, B->aiw), (size_t)3 * B->cout * B->cout, a, rng);
            init_const(u, B->aib, 0.0f);
            init_fan(u, B->aow, B->cout, rng);
            init_const(u, B->aob, 0.0f);
        }
    }
    init_fan(u, u->ow, c->ch[0], rng);
    init_fan(u, u->ob, c->ch[0], rng);
    return 0;
}

/* ------------------------------------------------------------ helpers */

#define PD(i) ts_nn_params_data(u->P, (i))
#define PG(i) ts_nn_params_grad(u->P, (i))

/* out [n, Σc, sp] = channel concatenation of k parts [n, c_i, sp] */
static void cat_fwd(float *out, int n, size_t sp, int k, const float *const *parts, const int *c)
{
    int ct = 0;
    for (int i = 0; i < k; i++) ct += c[i];
    for (int b = 0; b < n; b++) {
        float *o = out + (size_t)b * ct * sp;
        for (int i = 0; i < k; i++) {
            memcpy(o, parts[i] + (size_t)b * c[i] * sp, (size_t)c[i] * sp * sizeof *o);
            o += (size_t)c[i] * sp;
        }
    }
}

/* dparts[i] += slices of dout (NULL parts skipped) */
static void cat_bwd(float *const *dparts, int n, size_t sp, int k, const float *dout, const int *c)
{
    int ct = 0;
    for (int i = 0; i < k; i++) ct += c[i];
    for (int b = 0; b < n; b++) {
        const float *d = dout + (size_t)b * ct * sp;
        for (int i = 0; i < k; i++) {
            if (dparts[i]) {
                float *g = dparts[i] + (size_t)b * c[i] * sp;
                for (size_t q = 0; q < (size_t)c[i] * sp; q++) g[q] += d[q];
            }
            d += (size_t)c[i] * sp;
        }
    }
}

#define ALLOC(ptr, count)                                                      \
    do {                                                                       \
        if (!((ptr) = ts_nn_arena_alloc(A, (count)))) return TS_ERR_NOMEM;     \
    } while (0)
/* not zeroed: only for outputs the next call overwrites completely */
#define ALLOC_RAW(ptr, count)                                                  \
    do {                                                                       \
        if (!((ptr) = ts_nn_arena_alloc_raw(A, (count)))) return TS_ERR_NOMEM; \
    } while (0)

static int block_forward(ts_micro_unet *u, ts_nn_arena *A, block *B, const float *fin)
{
    const int n = u->n, hw = B->h * B->w;
    const size_t sp = (size_t)hw;
    /* 1. resample the incoming features */
    if (B->kind == BK_DOWN) {
        ALLOC(B->pooled, (size_t)n * B->cf * sp);
        TS_TRY(ts_nn_maxpool2d_forward(B->pooled, fin, n, B->cf, 2 * B->h, 2 * B->w, 2, 2, 0));
    } else if (B->kind == BK_UP) {
        ALLOC(B->pooled, (size_t)n * B->cf * sp);
        TS_TRY(ts_nn_upsample_bilinear_forward(B->pooled, fin, n, B->cf, B->h / 2, B->w / 2, B->h, B->w, 0));
    } else
        B->pooled = (float *)fin;
    /* 2. condition maps [n, 2, h, w] */
    ALLOC(B->cm, (size_t)n * NCMAP * sp);
    TS_TRY(ts_nn_linear_forward(B->cm, u->ce, PD(B->cmw), PD(B->cmb), n, u->c.cemb, NCMAP * hw));
    /* 3. concatenation [features | skip | maps] */
    const int cin = B->cf + B->cs + NCMAP;
    ALLOC(B->cat, (size_t)n * cin * sp);
    {
        const float *parts[3];
        int cc[3], k = 0;
        parts[k] = B->pooled, cc[k++] = B->cf;
        if (B->cs) parts[k] = u->b[B->skip].out, cc[k++] = B->cs;
        parts[k] = B->cm, cc[k++] = NCMAP;
        cat_fwd(B->cat, n, sp, k, parts, cc);
    }
    /* 4. conv units */
    const float *x = B->cat;
    for (int k = 0; k < B->nu; k++) {
        unit *U = &B->u[k];
        const size_t m = (size_t)n * U->cout * sp;
        U->x = x;
        ALLOC_RAW(U->y, m);
        ALLOC_RAW(U->a, m);
        if (!U->plain) { /* GroupNorm statistics */
            ALLOC(U->mean, (size_t)n * u->c.groups);
            ALLOC(U->rstd, (size_t)n * u->c.groups);
        }
        ts_nn_conv_shape s;
        TS_TRY(ts_nn_conv2d_shape(&s, n, U->cin, B->h, B->w, U->cout, 3, 3, 1, 1, 1, 1));
        TS_TRY(ts_nn_conv_forward(&s, U->y, x, PD(U->w), U->plain ? PD(U->cb) : NULL));
        if (U->plain) {
            ts_nn_gelu_forward(U->a, U->y, m);
            x = U->a;
            continue;
        }
        /* GroupNorm + GELU fused (the GroupNorm output is recomputed in backward) */
        TS_TRY(ts_nn_groupnorm_gelu_forward(U->a, U->mean, U->rstd, U->y, PD(U->gw), PD(U->gb), n, U->cout, hw,
                                            u->c.groups, GN_EPS));
        x = U->a;
    }
    /* 5. timestep projection added per channel */
    ALLOC(B->tv, (size_t)n * B->cout);
    TS_TRY(ts_nn_linear_forward(B->tv, u->st, PD(B->tw), PD(B->tb), n, u->c.temb, B->cout));
    B->pre = B->u[B->nu - 1].a;
    ts_nn_add_channel_forward(B->pre, B->tv, n, B->cout, hw);
    /* 6. x + MHA(x) */
    if (B->attn) {
        const size_t m = (size_t)n * B->cout * sp;
        ALLOC(B->acache, ts_nn_attention_cache_size(n, B->cout, hw, u->c.heads));
        ALLOC(B->out, m);
        TS_TRY(ts_nn_attention_forward(B->out, B->acache, B->pre, PD(B->aiw), PD(B->aib), PD(B->aow), PD(B->aob), n,
                                       B->cout, hw, u->c.heads));
        ts_nn_add_forward(B->out, B->out, B->pre, m);
    } else
        B->out = B->pre;
    return 0;
}

int ts_micro_unet_forward(ts_micro_unet *u, ts_nn_arena *A, const float *x, const float *t, const float *cond,
                          int n, float *out)
{
    if (!u || !A || !x || !t || !cond || !out || n < 1)
        return ts_error_set(TS_ERR_INVAL, "unet forward: NULL argument or n < 1");
    const ts_micro_unet_config *c = &u->c;
    u->n = n, u->x = x, u->t = t, u->cond = cond;
    /* condition embedding e = SiLU(Linear(f)) [n, cemb] */
    ALLOC(u->ce_pre, (size_t)n * c->cemb);
    ALLOC(u->ce, (size_t)n * c->cemb);
    TS_TRY(ts_nn_linear_forward(u->ce_pre, cond, PD(u->cw), PD(u->cb), n, 2, c->cemb));
    ts_nn_silu_forward(u->ce, u->ce_pre, (size_t)n * c->cemb);
    /* timestep embedding s = SiLU(sinusoid(t)) [n, temb] (Transformer form, shift 0) */
    ALLOC(u->st, (size_t)n * c->temb);
    TS_TRY(ts_nn_timestep_embedding(u->st, t, n, c->temb, 10000.0, 0));
    ts_nn_silu_forward(u->st, u->st, (size_t)n * c->temb);
    for (int i = 0; i < u->nb; i++) {
        block *B = &u->b[i];
        TS_TRY(block_forward(u, A, B, B->src < 0 ? x : u->b[B->src].out));
    }
    /* final 1x1 conv */
    ts_nn_conv_shape s;
    TS_TRY(ts_nn_conv2d_shape(&s, n, c->ch[0], c->size, c->size, c->channels, 1, 1, 1, 1, 0, 0));
    return ts_nn_conv_forward(&s, out, u->b[u->nb - 1].out, PD(u->ow), PD(u->ob));
}

static int block_backward(ts_micro_unet *u, ts_nn_arena *A, block *B, float *dfin)
{
    const int n = u->n, hw = B->h * B->w;
    const size_t sp = (size_t)hw, m = (size_t)n * B->cout * sp;
    float *dpre = B->dout;
    if (B->attn) {
        ALLOC(dpre, m);
        memcpy(dpre, B->dout, m * sizeof *dpre); /* residual path */
        TS_TRY(ts_nn_attention_backward(dpre, PG(B->aiw), PG(B->aib), PG(B->aow), PG(B->aob), B->dout, B->acache,
                                        PD(B->aiw), PD(B->aow), n, B->cout, hw, u->c.heads));
    }
    /* timestep projection */
    float *dtv;
    ALLOC(dtv, (size_t)n * B->cout);
    ts_nn_add_channel_backward(dtv, dpre, n, B->cout, hw);
    TS_TRY(ts_nn_linear_backward(u->dst, PG(B->tw), PG(B->tb), dtv, u->st, PD(B->tw), n, u->c.temb, B->cout));
    /* conv units in reverse */
    const int cin = B->cf + B->cs + NCMAP;
    float *dcat;
    ALLOC(dcat, (size_t)n * cin * sp);
    const float *da = dpre;
    for (int k = B->nu - 1; k >= 0; k--) {
        unit *U = &B->u[k];
        const size_t mu = (size_t)n * U->cout * sp;
        float *dy, *dx;
        ALLOC(dy, mu);
        if (U->plain)
            ts_nn_gelu_backward(dy, da, U->y, mu);
        else
            TS_TRY(ts_nn_groupnorm_gelu_backward(dy, PG(U->gw), PG(U->gb), da, U->y, U->mean, U->rstd, PD(U->gw),
                                                 PD(U->gb), n, U->cout, hw, u->c.groups));
        if (k) ALLOC(dx, (size_t)n * U->cin * sp);
        else dx = dcat;
        ts_nn_conv_shape s;
        TS_TRY(ts_nn_conv2d_shape(&s, n, U->cin, B->h, B->w, U->cout, 3, 3, 1, 1, 1, 1));
        TS_TRY(ts_nn_conv_backward(&s, dx, PG(U->w), U->plain ? PG(U->cb) : NULL, dy, U->x, PD(U->w)));
        da = dx;
    }
    /* split the concatenation */
    float *dpooled = NULL, *dcm;
    ALLOC(dcm, (size_t)n * NCMAP * sp);
    if (B->kind == BK_DOWN || B->kind == BK_UP) ALLOC(dpooled, (size_t)n * B->cf * sp);
    else dpooled = dfin;
    {
        float *dparts[3];
        int cc[3], k = 0;
        dparts[k] = dpooled, cc[k++] = B->cf;
        if (B->cs) dparts[k] = u->b[B->skip].dout, cc[k++] = B->cs;
        dparts[k] = dcm, cc[k++] = NCMAP;
        cat_bwd(dparts, n, sp, k, dcat, cc);
    }
    TS_TRY(ts_nn_linear_backward(u->dce, PG(B->cmw), PG(B->cmb), dcm, u->ce, PD(B->cmw), n, u->c.cemb, NCMAP * hw));
    if (B->kind == BK_DOWN && dfin)
        TS_TRY(ts_nn_maxpool2d_backward(dfin, dpooled, u->b[B->src].out, n, B->cf, 2 * B->h, 2 * B->w, 2, 2, 0));
    else if (B->kind == BK_UP && dfin)
        TS_TRY(ts_nn_upsample_bilinear_backward(dfin, dpooled, n, B->cf, B->h / 2, B->w / 2, B->h, B->w, 0));
    return 0;
}

int ts_micro_unet_backward(ts_micro_unet *u, ts_nn_arena *A, const float *dout, float *dx)
{
    if (!u || !A || !dout || !u->n) return ts_error_set(TS_ERR_INVAL, "unet backward: NULL argument or no forward");
    const ts_micro_unet_config *c = &u->c;
    const int n = u->n;
    for (int i = 0; i < u->nb; i++) {
        block *B = &u->b[i];
        ALLOC(B->dout, (size_t)n * B->cout * B->h * B->w);
    }
    ALLOC(u->dce, (size_t)n * c->cemb);
    ALLOC(u->dst, (size_t)n * c->temb);
    ts_nn_conv_shape s;
    TS_TRY(ts_nn_conv2d_shape(&s, n, c->ch[0], c->size, c->size, c->channels, 1, 1, 1, 1, 0, 0));
    TS_TRY(ts_nn_conv_backward(&s, u->b[u->nb - 1].dout, PG(u->ow), PG(u->ob), dout, u->b[u->nb - 1].out,
                               PD(u->ow)));
    for (int i = u->nb - 1; i >= 0; i--) {
        block *B = &u->b[i];
        TS_TRY(block_backward(u, A, B, B->src < 0 ? dx : u->b[B->src].dout));
    }
    /* condition embedding; the timestep embedding has no parameters */
    float *dpre;
    ALLOC(dpre, (size_t)n * c->cemb);
    ts_nn_silu_backward(dpre, u->dce, u->ce_pre, (size_t)n * c->cemb);
    return ts_nn_linear_backward(NULL, PG(u->cw), PG(u->cb), dpre, u->cond, PD(u->cw), n, 2, c->cemb);
}
