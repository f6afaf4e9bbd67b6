/* Segmentation without the true labels (seed 000 Methods: ilastik pixel
 * classification, then manual fixes).  Here the manual fixes are replaced by
 * physics-based clean-up:
 *  1. per-image grey normalisation: p2/p98 percentiles of the σ = 1
 *     smoothed image -> 0/1 (contrast and brightness invariance);
 *  2. filter bank (filters.c) -> random-forest class probabilities; the
 *     training draws take half of each class's pixels from its edge
 *     (pixels with a 4-neighbour of another class), where partial volume
 *     decides (not for SAC305 and Ag3Sn, whose faint contrast then makes
 *     the forest drop Ag3Sn altogether), and the class priors of the images are restored afterwards;
 *  3. layer order: along every column the layers must run
 *     Cu -> Cu3Sn -> Cu6Sn5 -> SAC305 (seed Fig. 1c-d).  The layer path
 *     minimising Σ_rows -log P(layer) (P(Cu3Sn layer) = p_Cu3Sn + p_pore,
 *     P(Cu6Sn5 layer) = p_Cu6Sn5 + p_Ag3Sn, P(solder) = p_SAC305 + p_Ag3Sn),
 *     with the cost averaged over ±2 neighbouring columns, is found by
 *     dynamic programming over monotone paths; inside its layer a pixel
 *     keeps the more probable of (Cu3Sn, pore) or (host, Ag3Sn);
 *  4. connectivity: pore and Ag3Sn components (4-connected) smaller than
 *     min_blob_px go back to the host phase. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micro_internal.h"

/* k-th smallest of v[0..n) (Hoare's selection; v is reordered). */
static float select_kth(float *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

int ts_micro_normalize(const float *in, float *out, int w, int h)
{
    if (!in || !out || w < 2 || h < 2) return ts_error_set(TS_ERR_INVAL, "normalize: empty image");
    size_t n = (size_t)w * h;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return ts_error_set(TS_ERR_NOMEM, "normalize: out of memory");
    }
    int rc = ts_micro_gauss1d(in, a, w, h, 1.0, 0, 1);
    if (!rc) rc = ts_micro_gauss1d(a, b, w, h, 1.0, 0, 0);
    if (!rc) {
        double lo = select_kth(b, n, (size_t)(0.02 * (n - 1)));
        double hi = select_kth(b, n, (size_t)(0.98 * (n - 1)));
        if (!(hi - lo > 1e-6))
            rc = ts_error_set(TS_ERR_RANGE, "normalize: image has no contrast (p2 = p98 = %g)", lo);
        else
            for (size_t i = 0; i < n; i++) out[i] = (float)((in[i] - lo) / (hi - lo));
    }
    free(a);
    free(b);
    return rc;
}

/* normalised image -> planar features [nfeat][n]; caller frees *feat */
static int image_features(const float *img, int w, int h, float **feat)
{
    size_t n = (size_t)w * h;
    int nf = ts_micro_features_count();
    float *norm = malloc(n * sizeof *norm);
    float *f = malloc(n * nf * sizeof *f);
    if (!norm || !f) {
        free(norm);
        free(f);
        return ts_error_set(TS_ERR_NOMEM, "segment: out of memory for %d features", nf);
    }
    int rc = ts_micro_normalize(img, norm, w, h);
    if (!rc) rc = ts_micro_features(norm, w, h, f);
    free(norm);
    if (rc) {
        free(f);
        return rc;
    }
    *feat = f;
    return 0;
}

int ts_micro_seg_train(const ts_micro_forest_opts *o, int nimg, const float *const *imgs,
                       const uint8_t *const *labels, int w, int h, int per_class, uint64_t seed,
                       ts_micro_forest **out)
{
    if (!o || !imgs || !labels || !out || nimg < 1 || per_class < 1)
        return ts_error_set(TS_ERR_INVAL, "seg_train: need >= 1 labelled image and per_class >= 1");
    size_t n = (size_t)w * h;
    int nf = ts_micro_features_count();
    size_t cap = (size_t)nimg * TS_MICRO_NPHASES * per_class, ns = 0;
    float *X = malloc(cap * nf * sizeof *X);
    uint8_t *y = malloc(cap);
    uint32_t *pool = malloc(n * sizeof *pool);
    ts_rng *r = ts_rng_create(seed, 0x5e6);
    int rc = 0;
    if (!X || !y || !pool || !r) {
        rc = ts_error_set(TS_ERR_NOMEM, "seg_train: out of memory");
        goto out;
    }
    double freq[TS_MICRO_NPHASES] = {0}, took[TS_MICRO_NPHASES] = {0};
    for (int k = 0; k < nimg && !rc; k++) {
        for (size_t i = 0; i < n; i++)
            if (labels[k][i] >= TS_MICRO_NPHASES) {
                rc = ts_error_set(TS_ERR_RANGE, "seg_train: image %d pixel %zu has label %d (expected 0..5)",
                                  k, i, labels[k][i]);
                goto out;
            }
        float *feat = NULL;
        if ((rc = image_features(imgs[k], w, h, &feat)) != 0) goto out;
        const uint8_t *L = labels[k];
        for (int c = 0; c < TS_MICRO_NPHASES; c++) {
            /* pool = [edge pixels (a 4-neighbour of another class) | interior] */
            size_t m = 0, me = 0;
            for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n; i++) {
                    if (L[i] != c) continue;
                    int x = (int)(i % w), yy = (int)(i / w);
                    int edge = (x > 0 && L[i - 1] != c) || (x < w - 1 && L[i + 1] != c) ||
                               (yy > 0 && L[i - w] != c) || (yy < h - 1 && L[i + w] != c);
                    if (edge == (pass == 0)) pool[m++] = (uint32_t)i;
                    if (pass == 0 && edge) me++;
                }
            size_t take = m < (size_t)per_class ? m : (size_t)per_class;
            freq[c] += (double)m;
            took[c] += (double)take;
            /* half of the draws from the edge pixels (where partial volume
             * makes the decision hard), the rest from all of the class */
            size_t take_e = take / 2 < me ? take / 2 : me;
            if (c == TS_MICRO_SAC305 || c == TS_MICRO_AG3SN) take_e = 0; /* see docs/micro.md */
            for (size_t j = 0; j < take; j++) { /* partial Fisher-Yates on each part */
                size_t lo = j < take_e ? j : j, hi = j < take_e ? me : m;
                size_t q = lo + (size_t)ts_rng_uint(r, hi - lo);
                uint32_t t = pool[j];
                pool[j] = pool[q];
                pool[q] = t;
                for (int fI = 0; fI < nf; fI++) X[ns * nf + fI] = feat[(size_t)fI * n + pool[j]];
                y[ns++] = (uint8_t)c;
            }
        }
        free(feat);
    }
    if ((rc = ts_micro_forest_train(o, X, y, ns, nf, TS_MICRO_NPHASES, out)) != 0) goto out;
    {
        /* undo the class-balanced sampling: weight = (image frequency) /
         * (training frequency), so the forest predicts with the images' priors */
        double wc[TS_MICRO_NPHASES], ft = 0, tt = 0;
        for (int c = 0; c < TS_MICRO_NPHASES; c++) ft += freq[c], tt += took[c];
        for (int c = 0; c < TS_MICRO_NPHASES; c++)
            wc[c] = took[c] > 0 ? (freq[c] / ft) / (took[c] / tt) : 0.0;
        rc = ts_micro_forest_reweight(*out, wc);
    }
out:
    free(X);
    free(y);
    free(pool);
    ts_rng_destroy(r);
    return rc;
}

static void layer_dp(const float *prob, int w, int h, uint8_t *labels, double *cost, double *D,
                     uint8_t *from)
{
    const int nc = TS_MICRO_NPHASES, NL = 4;
    const double eps = 1e-4;
    /* cost[y][x][l] */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *p = prob + ((size_t)y * w + x) * nc;
            double *c = cost + ((size_t)y * w + x) * NL;
            c[0] = -log(p[TS_MICRO_CU] + eps);
            c[1] = -log(p[TS_MICRO_CU3SN] + p[TS_MICRO_PORE] + eps);
            c[2] = -log(p[TS_MICRO_CU6SN5] + p[TS_MICRO_AG3SN] + eps);
            c[3] = -log(p[TS_MICRO_SAC305] + p[TS_MICRO_AG3SN] + eps);
        }
    for (int x = 0; x < w; x++) {
        int x0 = x - 2 < 0 ? 0 : x - 2, x1 = x + 2 >= w ? w - 1 : x + 2;
        for (int y = 0; y < h; y++) {
            double cl[4] = {0, 0, 0, 0};
            for (int xx = x0; xx <= x1; xx++)
                for (int l = 0; l < NL; l++) cl[l] += cost[((size_t)y * w + xx) * NL + l];
            for (int l = 0; l < NL; l++) {
                double best = DBL_MAX;
                int arg = 0;
                if (y == 0)
                    best = 0;
                else
                    for (int lp = 0; lp <= l; lp++)
                        if (D[(size_t)(y - 1) * NL + lp] < best) {
                            best = D[(size_t)(y - 1) * NL + lp];
                            arg = lp;
                        }
                D[(size_t)y * NL + l] = best + cl[l] / (x1 - x0 + 1);
                from[(size_t)y * NL + l] = (uint8_t)arg;
            }
        }
        int l = 0;
        for (int k = 1; k < NL; k++)
            if (D[(size_t)(h - 1) * NL + k] < D[(size_t)(h - 1) * NL + l]) l = k;
        for (int y = h - 1; y >= 0; y--) {
            const float *p = prob + ((size_t)y * w + x) * nc;
            int lab;
            switch (l) {
            case 0: lab = TS_MICRO_CU; break;
            case 1: lab = p[TS_MICRO_PORE] > p[TS_MICRO_CU3SN] ? TS_MICRO_PORE : TS_MICRO_CU3SN; break;
            case 2: lab = p[TS_MICRO_AG3SN] > p[TS_MICRO_CU6SN5] ? TS_MICRO_AG3SN : TS_MICRO_CU6SN5; break;
            default: lab = p[TS_MICRO_AG3SN] > p[TS_MICRO_SAC305] ? TS_MICRO_AG3SN : TS_MICRO_SAC305; break;
            }
            labels[(size_t)y * w + x] = (uint8_t)lab;
            if (y > 0) l = from[(size_t)y * NL + l];
        }
    }
}

/* Remove components of `phase` smaller than minpx: each pixel goes to the
 * most frequent other phase among the component's 4-neighbours. */
static int remove_small(uint8_t *lab, int w, int h, int phase, int minpx, uint32_t *queue,
                        uint8_t *mark)
{
    size_t n = (size_t)w * h;
    memset(mark, 0, n);
    for (size_t s = 0; s < n; s++) {
        if (lab[s] != phase || mark[s]) continue;
        size_t head = 0, tail = 0;
        queue[tail++] = (uint32_t)s;
        mark[s] = 1;
        long nb[TS_MICRO_NPHASES] = {0};
        while (head < tail) {
            uint32_t q = queue[head++];
            int x = (int)(q % w), y = (int)(q / w);
            const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
            for (int k = 0; k < 4; k++) {
                int xx = x + dx[k], yy = y + dy[k];
                if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                size_t qq = (size_t)yy * w + xx;
                if (lab[qq] == phase) {
                    if (!mark[qq]) {
                        mark[qq] = 1;
                        queue[tail++] = (uint32_t)qq;
                    }
                } else
                    nb[lab[qq]]++;
            }
        }
        if (tail < (size_t)minpx) {
            int best = -1;
            for (int c = 0; c < TS_MICRO_NPHASES; c++)
                if (c != phase && (best < 0 || nb[c] > nb[best])) best = c;
            if (nb[best] == 0) continue; /* isolated: keep */
            for (size_t k = 0; k < tail; k++) lab[queue[k]] = (uint8_t)best;
        }
    }
    return 0;
}

int ts_micro_segment(const ts_micro_forest *f, const float *img, int w, int h, int cleanup,
                     int min_blob_px, uint8_t *labels)
{
    if (!f || !img || !labels) return ts_error_set(TS_ERR_INVAL, "segment: NULL argument");
    if (w < 8 || h < 8) return ts_error_set(TS_ERR_RANGE, "segment: image %d x %d too small (>= 8 x 8)", w, h);
    if (ts_micro_forest_nclass(f) != TS_MICRO_NPHASES ||
        ts_micro_forest_nfeat(f) != ts_micro_features_count())
        return ts_error_set(TS_ERR_FORMAT,
                            "segment: model has %d classes and %d features, expected %d and %d",
                            ts_micro_forest_nclass(f), ts_micro_forest_nfeat(f), TS_MICRO_NPHASES,
                            ts_micro_features_count());
    size_t n = (size_t)w * h;
    float *feat = NULL;
    TS_TRY(image_features(img, w, h, &feat));
    float *prob = malloc(n * TS_MICRO_NPHASES * sizeof *prob);
    double *cost = malloc(n * 4 * sizeof *cost), *D = malloc((size_t)h * 4 * sizeof *D);
    uint8_t *from = malloc((size_t)h * 4), *mark = malloc(n);
    uint32_t *queue = malloc(n * sizeof *queue);
    int rc = 0;
    if (!prob || !cost || !D || !from || !mark || !queue) {
        rc = ts_error_set(TS_ERR_NOMEM, "segment: out of memory");
        goto out;
    }
    if ((rc = ts_micro_forest_predict(f, feat, n, n, prob)) != 0) goto out;
    if (cleanup) {
        layer_dp(prob, w, h, labels, cost, D, from);
        if (min_blob_px > 1) {
            remove_small(labels, w, h, TS_MICRO_PORE, min_blob_px, queue, mark);
            remove_small(labels, w, h, TS_MICRO_AG3SN, min_blob_px, queue, mark);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const float *p = prob + i * TS_MICRO_NPHASES;
            int best = 0;
            for (int c = 1; c < TS_MICRO_NPHASES; c++)
                if (p[c] > p[best]) best = c;
            labels[i] = (uint8_t)best;
        }
    }
out:
    free(feat);
    free(prob);
    free(cost);
    free(D);
    free(from);
    free(mark);
    free(queue);
    return rc;
}

void ts_micro_iou(const uint8_t *pred, const uint8_t *truth, size_t n, double *iou, double *inter,
                  double *uni)
{
    double I[TS_MICRO_NPHASES] = {0}, U[TS_MICRO_NPHASES] = {0};
    for (size_t i = 0; i < n; i++) {
        int p = pred[i], t = truth[i];
        if (p >= TS_MICRO_NPHASES || t >= TS_MICRO_NPHASES) continue;
        if (p == t) {
            I[p] += 1;
            U[p] += 1;
        } else {
            U[p] += 1;
            U[t] += 1;
        }
    }
    for (int c = 0; c < TS_MICRO_NPHASES; c++) {
        if (inter) inter[c] += I[c];
        if (uni) uni[c] += U[c];
        if (iou) iou[c] = U[c] > 0 ? I[c] / U[c] : NAN;
    }
}
