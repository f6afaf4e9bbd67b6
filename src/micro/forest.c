/* Random forest classifier (Breiman 2001) as used by ilastik's pixel
 * classification (seed 000 Methods, ref. 79): bootstrap samples, at each
 * node mtry random features, split minimising the weighted Gini impurity
 *   G = n_L (1 - Σ_c p_Lc²) + n_R (1 - Σ_c p_Rc²),
 * soft voting (mean of the leaves' class fractions, as scikit-learn's
 * predict_proba).  Split thresholds are searched on per-feature quantile
 * bins (64; midpoints between quantiles) instead of every distinct value
 * (the histogram method of LightGBM / scikit-learn's HistGradientBoosting):
 * left child iff x <= threshold.  Trees are independent, each with its own
 * random stream (seed, tree index): results do not depend on the thread
 * count.  Layout: flat node arrays (feature, threshold, children, leaf
 * class fractions), ready for another backend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micro_internal.h"

#define NBINS 64

struct ts_micro_forest {
    int ntrees, nfeat, nclass;
    size_t nnodes;
    int32_t *root;  /* [ntrees] */
    int32_t *feat;  /* [nnodes]; -1 for a leaf */
    float *thr;     /* [nnodes] */
    int32_t *left, *right; /* [nnodes] absolute node indices */
    float *value;   /* [nnodes][nclass] class fractions (leaves) */
    /* packed copy for prediction: children are adjacent (right = left + 1),
     * so one 12-byte record per node */
    struct pnode {
        int32_t feat;
        float thr;
        int32_t left;
    } *pk;
};

/* Build the packed nodes; error if a split's children are not adjacent. */
static int forest_pack(ts_micro_forest *f)
{
    free(f->pk);
    f->pk = malloc(f->nnodes * sizeof *f->pk);
    TS_CHECK_ALLOC(f->pk);
    for (size_t i = 0; i < f->nnodes; i++) {
        if (f->feat[i] >= 0 && f->right[i] != f->left[i] + 1)
            return ts_error_set(TS_ERR_FORMAT, "forest: node %zu has non-adjacent children", i);
        f->pk[i].feat = f->feat[i];
        f->pk[i].thr = f->thr[i];
        f->pk[i].left = f->left[i];
    }
    return 0;
}

void ts_micro_forest_opts_default(ts_micro_forest_opts *o)
{
    o->ntrees = 32;
    o->max_depth = 14;
    o->min_leaf = 2;
    o->mtry = 0;
    o->seed = 1;
}

void ts_micro_forest_destroy(ts_micro_forest *f)
{
    if (!f) return;
    free(f->root);
    free(f->feat);
    free(f->thr);
    free(f->left);
    free(f->right);
    free(f->value);
    free(f->pk);
    free(f);
}

int ts_micro_forest_reweight(ts_micro_forest *f, const double *wc)
{
    if (!f || !wc) return ts_error_set(TS_ERR_INVAL, "forest reweight: NULL argument");
    for (int c = 0; c < f->nclass; c++)
        if (!(wc[c] >= 0) || !isfinite(wc[c]))
            return ts_error_set(TS_ERR_RANGE, "forest reweight: weight %d = %g must be finite and >= 0", c, wc[c]);
    for (size_t i = 0; i < f->nnodes; i++) {
        float *v = f->value + i * f->nclass;
        double s = 0;
        for (int c = 0; c < f->nclass; c++) s += v[c] * wc[c];
        if (s > 0)
            for (int c = 0; c < f->nclass; c++) v[c] = (float)(v[c] * wc[c] / s);
    }
    return 0;
}

int ts_micro_forest_nclass(const ts_micro_forest *f) { return f ? f->nclass : 0; }
int ts_micro_forest_nfeat(const ts_micro_forest *f) { return f ? f->nfeat : 0; }

/* One tree under construction. */
typedef struct {
    size_t n, cap;
    int32_t *feat, *left, *right;
    float *thr, *value;
    int nclass;
} tree;

static int tree_push(tree *t)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 256;
        int32_t *f = realloc(t->feat, nc * sizeof *f);
        if (f) t->feat = f;
        int32_t *l = realloc(t->left, nc * sizeof *l);
        if (l) t->left = l;
        int32_t *r = realloc(t->right, nc * sizeof *r);
        if (r) t->right = r;
        float *th = realloc(t->thr, nc * sizeof *th);
        if (th) t->thr = th;
        float *v = realloc(t->value, nc * t->nclass * sizeof *v);
        if (v) t->value = v;
        if (!f || !l || !r || !th || !v) return -1;
        t->cap = nc;
    }
    size_t i = t->n++;
    t->feat[i] = -1;
    t->left[i] = t->right[i] = -1;
    t->thr[i] = 0;
    memset(t->value + i * t->nclass, 0, t->nclass * sizeof *t->value);
    return (int)i;
}

typedef struct {
    int node, depth;
    size_t lo, hi;
} job;

/* Xb: binned features [nfeat][n]; edges[f][b] threshold of bin b. */
static int grow_tree(const ts_micro_forest_opts *o, const uint8_t *Xb, const float *edges,
                     const int *nbins, const uint8_t *y, size_t n, int nfeat, int nclass,
                     uint64_t stream, tree *t)
{
    int rc = 0;
    ts_rng *r = ts_rng_create(o->seed, stream);
    uint32_t *idx = malloc(n * sizeof *idx);
    job *stack = malloc((size_t)(2 * o->max_depth + 8) * sizeof *stack);
    int *perm = malloc((size_t)nfeat * sizeof *perm);
    double *hist = malloc((size_t)NBINS * nclass * sizeof *hist);
    double *tot = malloc((size_t)nclass * sizeof *tot), *cl = malloc((size_t)nclass * sizeof *cl);
    if (!r || !idx || !stack || !perm || !hist || !tot || !cl) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)ts_rng_uint(r, n);
    int mtry = o->mtry > 0 ? o->mtry : (int)floor(sqrt((double)nfeat));
    if (mtry > nfeat) mtry = nfeat;
    int sp = 0;
    int rootn = tree_push(t);
    if (rootn < 0) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest: out of memory");
        goto out;
    }
    stack[sp++] = (job){rootn, 0, 0, n};
    while (sp > 0) {
        job jb = stack[--sp];
        size_t m = jb.hi - jb.lo;
        for (int c = 0; c < nclass; c++) tot[c] = 0;
        for (size_t i = jb.lo; i < jb.hi; i++) tot[y[idx[i]]] += 1;
        float *val = t->value + (size_t)jb.node * nclass;
        int pure = 0;
        for (int c = 0; c < nclass; c++) {
            val[c] = (float)(tot[c] / m);
            if (tot[c] == (double)m) pure = 1;
        }
        if (pure || jb.depth >= o->max_depth || m < (size_t)(2 * o->min_leaf)) continue;
        double parent = 0;
        for (int c = 0; c < nclass; c++) parent += tot[c] * tot[c] / m;
        for (int k = 0; k < nfeat; k++) perm[k] = k;
        double best = parent + 1e-12 * m;
        int bf = -1, bb = -1;
        for (int k = 0; k < mtry; k++) {
            int j = k + (int)ts_rng_uint(r, (uint64_t)(nfeat - k));
            int tmpi = perm[k];
            perm[k] = perm[j];
            perm[j] = tmpi;
            int fi = perm[k], nb = nbins[fi];
            if (nb < 2) continue;
            const uint8_t *xb = Xb + (size_t)fi * n;
            memset(hist, 0, (size_t)nb * nclass * sizeof *hist);
            for (size_t i = jb.lo; i < jb.hi; i++) hist[xb[idx[i]] * nclass + y[idx[i]]] += 1;
            for (int c = 0; c < nclass; c++) cl[c] = 0;
            double nl = 0;
            for (int b = 0; b < nb - 1; b++) {
                for (int c = 0; c < nclass; c++) cl[c] += hist[b * nclass + c];
                double bn = 0;
                for (int c = 0; c < nclass; c++) bn += hist[b * nclass + c];
                nl += bn;
                double nr = m - nl;
                if (nl < o->min_leaf || nr < o->min_leaf) continue;
                double sl = 0, sr = 0;
                for (int c = 0; c < nclass; c++) {
                    sl += cl[c] * cl[c];
                    double cr = tot[c] - cl[c];
                    sr += cr * cr;
                }
                double score = sl / nl + sr / nr;
                if (score > best) {
                    best = score;
                    bf = fi;
                    bb = b;
                }
            }
        }
        if (bf < 0) continue;
        /* partition idx[lo..hi) by bin <= bb */
        const uint8_t *xb = Xb + (size_t)bf * n;
        size_t i = jb.lo, j = jb.hi;
        while (i < j) {
            if (xb[idx[i]] <= bb)
                i++;
            else {
                uint32_t tmp = idx[i];
                idx[i] = idx[--j];
                idx[j] = tmp;
            }
        }
        int ln = tree_push(t), rn = tree_push(t);
        if (ln < 0 || rn < 0) {
            rc = ts_error_set(TS_ERR_NOMEM, "forest: out of memory");
            goto out;
        }
        t->feat[jb.node] = bf;
        t->thr[jb.node] = edges[(size_t)bf * NBINS + bb];
        t->left[jb.node] = ln;
        t->right[jb.node] = rn;
        stack[sp++] = (job){rn, jb.depth + 1, i, jb.hi};
        stack[sp++] = (job){ln, jb.depth + 1, jb.lo, i};
    }
out:
    ts_rng_destroy(r);
    free(idx);
    free(stack);
    free(perm);
    free(hist);
    free(tot);
    free(cl);
    return rc;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int ts_micro_forest_train(const ts_micro_forest_opts *o, const float *X, const uint8_t *y,
                          size_t n, int nfeat, int nclass, ts_micro_forest **out)
{
    if (!o || !X || !y || !out) return ts_error_set(TS_ERR_INVAL, "forest: NULL argument");
    *out = NULL;
    if (n < 2 || nfeat < 1 || nclass < 2 || nclass > 255)
        return ts_error_set(TS_ERR_RANGE,
                            "forest: need >= 2 samples, >= 1 feature, 2..255 classes (got %zu, %d, %d)",
                            n, nfeat, nclass);
    if (o->ntrees < 1 || o->max_depth < 1 || o->max_depth > 60 || o->min_leaf < 1)
        return ts_error_set(TS_ERR_RANGE, "forest: ntrees >= 1, depth 1..60, min_leaf >= 1");
    if (n > UINT32_MAX) return ts_error_set(TS_ERR_RANGE, "forest: too many samples");
    int *seen = calloc((size_t)nclass, sizeof *seen);
    TS_CHECK_ALLOC(seen);
    for (size_t i = 0; i < n; i++) {
        if (y[i] >= nclass) {
            free(seen);
            return ts_error_set(TS_ERR_RANGE, "forest: label %d of sample %zu outside 0..%d", y[i],
                                i, nclass - 1);
        }
        seen[y[i]] = 1;
    }
    int nseen = 0;
    for (int c = 0; c < nclass; c++) nseen += seen[c];
    free(seen);
    if (nseen < 2) return ts_error_set(TS_ERR_INVAL, "forest: training labels hold a single class");

    int rc = 0;
    uint8_t *Xb = malloc(n * nfeat);
    float *edges = malloc((size_t)nfeat * NBINS * sizeof *edges);
    int *nbins = malloc((size_t)nfeat * sizeof *nbins);
    float *col = malloc(n * sizeof *col);
    tree *trees = calloc((size_t)o->ntrees, sizeof *trees);
    ts_micro_forest *f = calloc(1, sizeof *f);
    if (!Xb || !edges || !nbins || !col || !trees || !f) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest: out of memory for %zu samples", n);
        goto out;
    }
    /* quantile bins per feature */
    for (int k = 0; k < nfeat; k++) {
        for (size_t i = 0; i < n; i++) {
            col[i] = X[i * nfeat + k];
            if (!isfinite(col[i])) {
                rc = ts_error_set(TS_ERR_NUMERIC, "forest: feature %d of sample %zu is not finite", k, i);
                goto out;
            }
        }
        qsort(col, n, sizeof *col, cmp_float);
        float *e = edges + (size_t)k * NBINS;
        int ne = 0;
        float prev = col[0];
        for (int b = 1; b < NBINS; b++) {
            float q = col[(size_t)((double)b * (n - 1) / NBINS)];
            if (q > prev) {
                e[ne++] = 0.5f * (prev + q);
                prev = q;
            }
        }
        if (col[n - 1] > prev && ne < NBINS - 1) e[ne++] = 0.5f * (prev + col[n - 1]);
        nbins[k] = ne + 1;
        for (size_t i = 0; i < n; i++) {
            float v = X[i * nfeat + k];
            int lo = 0, hi = ne; /* count edges < v */
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (e[mid] < v)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            Xb[(size_t)k * n + i] = (uint8_t)lo;
        }
    }
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : fail)
    for (int tI = 0; tI < o->ntrees; tI++) {
        trees[tI].nclass = nclass;
        if (grow_tree(o, Xb, edges, nbins, y, n, nfeat, nclass, (uint64_t)tI, &trees[tI]) != 0)
            fail = 1;
    }
    if (fail) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest: out of memory growing trees");
        goto out;
    }
    size_t tot = 0;
    for (int tI = 0; tI < o->ntrees; tI++) tot += trees[tI].n;
    f->ntrees = o->ntrees;
    f->nfeat = nfeat;
    f->nclass = nclass;
    f->nnodes = tot;
    f->root = malloc((size_t)o->ntrees * sizeof *f->root);
    f->feat = malloc(tot * sizeof *f->feat);
    f->thr = malloc(tot * sizeof *f->thr);
    f->left = malloc(tot * sizeof *f->left);
    f->right = malloc(tot * sizeof *f->right);
    f->value = malloc(tot * nclass * sizeof *f->value);
    if (!f->root || !f->feat || !f->thr || !f->left || !f->right || !f->value) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest: out of memory");
        goto out;
    }
    size_t off = 0;
    for (int tI = 0; tI < o->ntrees; tI++) {
        tree *t = &trees[tI];
        f->root[tI] = (int32_t)off;
        for (size_t i = 0; i < t->n; i++) {
            f->feat[off + i] = t->feat[i];
            f->thr[off + i] = t->thr[i];
            f->left[off + i] = t->left[i] < 0 ? -1 : (int32_t)(t->left[i] + off);
            f->right[off + i] = t->right[i] < 0 ? -1 : (int32_t)(t->right[i] + off);
        }
        memcpy(f->value + off * nclass, t->value, t->n * nclass * sizeof *f->value);
        off += t->n;
    }
    if ((rc = forest_pack(f)) != 0) goto out;
    *out = f;
    f = NULL;
out:
    if (trees)
        for (int tI = 0; tI < o->ntrees; tI++) {
            free(trees[tI].feat);
            free(trees[tI].left);
            free(trees[tI].right);
            free(trees[tI].thr);
            free(trees[tI].value);
        }
    free(trees);
    free(Xb);
    free(edges);
    free(nbins);
    free(col);
    ts_micro_forest_destroy(f);
    return rc;
}

/* Blocked variant: 256 samples at a time are transposed to row-major
 * [256][nfeat] (fits in L2), then each tree runs over the block, so node
 * arrays and features stay cached.  Same arithmetic order per sample as
 * the reference (trees in order), so results are identical. */
#define PBLOCK 256
int ts_micro_forest_predict(const ts_micro_forest *f, const float *feat, size_t n, size_t stride,
                            float *prob)
{
    if (!f || !feat || !prob) return ts_error_set(TS_ERR_INVAL, "forest predict: NULL argument");
    if (stride < n) return ts_error_set(TS_ERR_INVAL, "forest predict: stride %zu < n %zu", stride, n);
    const int nc = f->nclass, nf = f->nfeat;
    const float inv = 1.0f / f->ntrees;
    const size_t nblk = (n + PBLOCK - 1) / PBLOCK;
    int fail = 0;
#pragma omp parallel reduction(| : fail)
    {
        float *xb = malloc((size_t)PBLOCK * nf * sizeof *xb);
        if (!xb) fail = 1;
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblk; b++) {
            if (!xb) continue;
            size_t i0 = b * PBLOCK, m = n - i0 < PBLOCK ? n - i0 : PBLOCK;
            for (int k = 0; k < nf; k++)
                for (size_t i = 0; i < m; i++) xb[i * nf + k] = feat[(size_t)k * stride + i0 + i];
            for (size_t i = 0; i < m * nc; i++) prob[i0 * nc + i] = 0;
            for (int t = 0; t < f->ntrees; t++) {
                const int32_t root = f->root[t];
                const struct pnode *pk = f->pk;
                for (size_t i = 0; i < m; i++) {
                    const float *x = xb + i * nf;
                    int32_t node = root;
                    while (pk[node].feat >= 0) /* right = left + 1 (a branch: faster than branch-free here) */
                        node = x[pk[node].feat] <= pk[node].thr ? pk[node].left : pk[node].left + 1;
                    const float *v = f->value + (size_t)node * nc;
                    float *p = prob + (i0 + i) * nc;
                    for (int c = 0; c < nc; c++) p[c] += v[c];
                }
            }
            for (size_t i = 0; i < m * nc; i++) prob[i0 * nc + i] *= inv;
        }
        free(xb);
    }
    if (fail) return ts_error_set(TS_ERR_NOMEM, "forest predict: out of memory");
    return 0;
}

int ts_micro_forest_predict_ref(const ts_micro_forest *f, const float *feat, size_t n, size_t stride,
                                float *prob)
{
    if (!f || !feat || !prob) return ts_error_set(TS_ERR_INVAL, "forest predict: NULL argument");
    if (stride < n) return ts_error_set(TS_ERR_INVAL, "forest predict: stride %zu < n %zu", stride, n);
    const int nc = f->nclass;
    const float inv = 1.0f / f->ntrees;
    for (size_t i = 0; i < n; i++) {
        float *p = prob + i * nc;
        for (int c = 0; c < nc; c++) p[c] = 0;
        for (int t = 0; t < f->ntrees; t++) {
            int32_t node = f->root[t];
            while (f->feat[node] >= 0)
                node = feat[(size_t)f->feat[node] * stride + i] <= f->thr[node] ? f->left[node]
                                                                             : f->right[node];
            const float *v = f->value + (size_t)node * nc;
            for (int c = 0; c < nc; c++) p[c] += v[c];
        }
        for (int c = 0; c < nc; c++) p[c] *= inv;
    }
    return 0;
}

static const char forest_magic[8] = {'T', 'S', 'R', 'F', '0', '0', '1', '\n'};

int ts_micro_forest_save(const ts_micro_forest *f, const char *path)
{
    if (!f || !path) return ts_error_set(TS_ERR_INVAL, "forest save: NULL argument");
    ts_afile *af = NULL;
    TS_TRY(ts_afile_open(path, &af));
    FILE *fp = ts_afile_fp(af);
    int32_t hdr[4] = {f->ntrees, f->nfeat, f->nclass, (int32_t)f->nnodes};
    size_t nn = f->nnodes;
    int ok = fwrite(forest_magic, 1, 8, fp) == 8 && fwrite(hdr, sizeof *hdr, 4, fp) == 4 &&
             fwrite(f->root, sizeof *f->root, f->ntrees, fp) == (size_t)f->ntrees &&
             fwrite(f->feat, sizeof *f->feat, nn, fp) == nn &&
             fwrite(f->thr, sizeof *f->thr, nn, fp) == nn &&
             fwrite(f->left, sizeof *f->left, nn, fp) == nn &&
             fwrite(f->right, sizeof *f->right, nn, fp) == nn &&
             fwrite(f->value, sizeof *f->value, nn * f->nclass, fp) == nn * f->nclass;
    if (!ok) {
        ts_afile_abort(af);
        return ts_error_set(TS_ERR_IO, "%s: write failed", path);
    }
    return ts_afile_commit(af);
}

int ts_micro_forest_load(const char *path, ts_micro_forest **out)
{
    if (!path || !out) return ts_error_set(TS_ERR_INVAL, "forest load: NULL argument");
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open forest model", path);
    char magic[8];
    int32_t hdr[4];
    int rc = 0;
    ts_micro_forest *f = NULL;
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, forest_magic, 8) != 0 ||
        fread(hdr, sizeof *hdr, 4, fp) != 4) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: not a tinsel forest model (expected header TSRF001)", path);
        goto out;
    }
    if (hdr[0] < 1 || hdr[1] < 1 || hdr[2] < 2 || hdr[2] > 255 || hdr[3] < hdr[0]) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: corrupt forest header", path);
        goto out;
    }
    {
        /* The header's counts must match the file's size before anything is
         * allocated: a corrupt header must not ask for terabytes. */
        long here = ftell(fp);
        if (here < 0 || fseek(fp, 0, SEEK_END) != 0) {
            rc = ts_error_set(TS_ERR_IO, "%s: cannot seek", path);
            goto out;
        }
        long end = ftell(fp);
        if (end < 0 || fseek(fp, here, SEEK_SET) != 0) {
            rc = ts_error_set(TS_ERR_IO, "%s: cannot seek", path);
            goto out;
        }
        uint64_t want = (uint64_t)here + 4u * (uint64_t)hdr[0] +
                        (uint64_t)hdr[3] * (16u + 4u * (uint64_t)hdr[2]);
        if ((uint64_t)end != want) {
            rc = ts_error_set(TS_ERR_FORMAT,
                              "%s: forest header says %d trees, %d nodes, %d classes (%llu bytes), "
                              "the file has %ld bytes",
                              path, hdr[0], hdr[3], hdr[2], (unsigned long long)want, end);
            goto out;
        }
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest load: out of memory");
        goto out;
    }
    f->ntrees = hdr[0];
    f->nfeat = hdr[1];
    f->nclass = hdr[2];
    size_t nn = f->nnodes = (size_t)hdr[3];
    f->root = malloc((size_t)f->ntrees * sizeof *f->root);
    f->feat = malloc(nn * sizeof *f->feat);
    f->thr = malloc(nn * sizeof *f->thr);
    f->left = malloc(nn * sizeof *f->left);
    f->right = malloc(nn * sizeof *f->right);
    f->value = malloc(nn * f->nclass * sizeof *f->value);
    if (!f->root || !f->feat || !f->thr || !f->left || !f->right || !f->value) {
        rc = ts_error_set(TS_ERR_NOMEM, "forest load: out of memory");
        goto out;
    }
    if (fread(f->root, sizeof *f->root, f->ntrees, fp) != (size_t)f->ntrees ||
        fread(f->feat, sizeof *f->feat, nn, fp) != nn || fread(f->thr, sizeof *f->thr, nn, fp) != nn ||
        fread(f->left, sizeof *f->left, nn, fp) != nn || fread(f->right, sizeof *f->right, nn, fp) != nn ||
        fread(f->value, sizeof *f->value, nn * f->nclass, fp) != nn * f->nclass) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: truncated forest model", path);
        goto out;
    }
    /* validate links so a corrupt file cannot make predict loop or read out of bounds */
    for (int t = 0; t < f->ntrees; t++)
        if (f->root[t] < 0 || (size_t)f->root[t] >= nn) rc = 1;
    for (size_t i = 0; i < nn && !rc; i++) {
        if (f->feat[i] >= f->nfeat) rc = 1;
        if (f->feat[i] >= 0 && (f->left[i] <= (int32_t)i || f->right[i] <= (int32_t)i ||
                                (size_t)f->left[i] >= nn || (size_t)f->right[i] >= nn))
            rc = 1;
    }
    if (rc) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: corrupt forest model (bad node links)", path);
        goto out;
    }
    if ((rc = forest_pack(f)) != 0) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: corrupt forest model (%s)", path, "children not adjacent");
        goto out;
    }
    *out = f;
    f = NULL;
out:
    fclose(fp);
    ts_micro_forest_destroy(f);
    return rc;
}
