/* Image resampling for the dataset builder (seed 000 Methods: 450 x 450 px
 * crops resized to 512 x 512).  Separable triangle ("bilinear") filter with
 * the support widened by the scale factor on down-sampling, weights
 * normalised per output pixel: the antialiased bilinear of PIL
 * (Image.resize(BILINEAR)) and torchvision's Resize(antialias=True).
 * Pixel centres at (i + 0.5) · scale. */
#include <math.h>
#include <stdlib.h>

#include "micro_internal.h"

typedef struct {
    int lo, n;
    double *w;
} taps;

static int make_taps(int in, int out, taps **res, double **store)
{
    double scale = (double)in / out, fs = scale > 1 ? scale : 1.0, support = fs;
    int maxn = (int)ceil(support) * 2 + 2;
    taps *t = malloc((size_t)out * sizeof *t);
    double *w = malloc((size_t)out * maxn * sizeof *w);
    if (!t || !w) {
        free(t);
        free(w);
        return ts_error_set(TS_ERR_NOMEM, "resize: out of memory");
    }
    for (int i = 0; i < out; i++) {
        double c = (i + 0.5) * scale;
        int lo = (int)floor(c - support), hi = (int)ceil(c + support);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        double *wi = w + (size_t)i * maxn, s = 0;
        int n = 0;
        for (int j = lo; j < hi && n < maxn; j++, n++) {
            double x = fabs((j + 0.5 - c) / fs);
            s += wi[n] = x < 1 ? 1 - x : 0;
        }
        for (int k = 0; k < n; k++) wi[k] = s > 0 ? wi[k] / s : 0;
        t[i].lo = lo;
        t[i].n = n;
        t[i].w = wi;
    }
    *res = t;
    *store = w;
    return 0;
}

int ts_micro_resize(const float *in, int w, int h, float *out, int ow, int oh)
{
    if (!in || !out || w < 1 || h < 1 || ow < 1 || oh < 1)
        return ts_error_set(TS_ERR_INVAL, "resize: empty image or NULL pointer");
    taps *tx = NULL, *ty = NULL;
    double *sx = NULL, *sy = NULL;
    float *tmp = malloc((size_t)ow * h * sizeof *tmp);
    int rc = tmp ? 0 : ts_error_set(TS_ERR_NOMEM, "resize: out of memory");
    if (!rc) rc = make_taps(w, ow, &tx, &sx);
    if (!rc) rc = make_taps(h, oh, &ty, &sy);
    if (!rc) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < ow; x++) {
                double a = 0;
                for (int k = 0; k < tx[x].n; k++) a += tx[x].w[k] * in[(size_t)y * w + tx[x].lo + k];
                tmp[(size_t)y * ow + x] = (float)a;
            }
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double a = 0;
                for (int k = 0; k < ty[y].n; k++) a += ty[y].w[k] * tmp[(size_t)(ty[y].lo + k) * ow + x];
                out[(size_t)y * ow + x] = (float)a;
            }
    }
    free(tmp);
    free(tx);
    free(ty);
    free(sx);
    free(sy);
    return rc;
}

int ts_micro_resize_labels(const uint8_t *in, int w, int h, uint8_t *out, int ow, int oh)
{
    if (!in || !out || w < 1 || h < 1 || ow < 1 || oh < 1)
        return ts_error_set(TS_ERR_INVAL, "resize_labels: empty image or NULL pointer");
    for (int y = 0; y < oh; y++) {
        int sy = (int)((y + 0.5) * h / oh);
        if (sy >= h) sy = h - 1;
        for (int x = 0; x < ow; x++) {
            int sx = (int)((x + 0.5) * w / ow);
            if (sx >= w) sx = w - 1;
            out[(size_t)y * ow + x] = in[(size_t)sy * w + sx];
        }
    }
    return 0;
}
