/* Physics-parametrised SEM-BSE micrograph generator with exact labels
 * (notes/micrographs.md, "Synthetic micrographs"; seed 000 Fig. 1c-d, 2).
 *
 * Layer stack from the top (row 0): Cu | Cu3Sn | Cu6Sn5 | SAC305 with
 *   Cu/Cu3Sn      b1(x) = cu_top + r1(x)                (nearly flat)
 *   Cu3Sn/Cu6Sn5  b2(x) = b1(x) + h3 + r2(x)            (gently wavy)
 *   Cu6Sn5/SAC    b3(x) = b2(x) + h6 + s(x) - <s>       (scallops, amplitude
 *                 amp(t) = amp0 / (1 + t/tau): flattening with ageing)
 * where h3, h6 follow the growth law (conditions.c) and r1, r2, s have zero
 * mean over the image, so the mean layer thicknesses are exactly h3 and h6.
 * Kirkendall pores: non-overlapping ellipses wholly inside Cu3Sn, in its
 * biased towards Cu (density ∝ 1/sqrt(depth)), total area kp √t per 16.75 µm of width.  Ag3Sn: rotated
 * ellipses in the solder and larger ones on the Cu6Sn5/solder boundary.
 * Grey levels from backscatter coefficients eta (Cu 0.302, Cu3Sn 0.345,
 * Cu6Sn5 0.370, Ag3Sn 0.405, SAC305 0.412, pore 0):
 *   grey = clamp(brightness + contrast (eta - eta_Cu), 0, 1),
 * rendered on a supersampled grid and box-averaged (partial volume), labels
 * by majority over the sub-pixels; then Gaussian blur, Poisson shot noise
 * with `dose` electrons at grey 1 and per-scan-line offsets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micro_internal.h"

static const double eta_phase[TS_MICRO_NPHASES] = {0.302, 0.345, 0.370, 0.412, 0.0, 0.405};

void ts_micro_synth_opts_default(ts_micro_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->width = 450;
    o->height = 450;
    o->px_um = 16.75 / 450.0;
    o->supersample = 3;
    o->cu_top_um = 1.2;
    o->scallop_amp_um = 1.4;
    o->scallop_tau_h = 300.0;
    o->thickness_jitter = 0.04;
    o->ag3sn_per_um2 = 0.35;
    o->contrast = 5.5;
    o->brightness = 0.25;
    o->blur_px = 0.8;
    o->dose = 60.0;
    o->line_noise = 0.02;
}

/* A smooth zero-mean random profile: a few sinusoids, mean removed on the
 * discrete grid. */
static void random_profile(ts_rng *r, double *p, int n, double dx, double amp)
{
    double ph[4], lam[4], a[4];
    for (int j = 0; j < 4; j++) {
        ph[j] = 2.0 * M_PI * ts_rng_uniform(r);
        lam[j] = 1.5 + 6.0 * ts_rng_uniform(r); /* µm */
        a[j] = amp * (0.3 + 0.7 * ts_rng_uniform(r)) / 2.0;
    }
    double mean = 0;
    for (int i = 0; i < n; i++) {
        double x = (i + 0.5) * dx, v = 0;
        for (int j = 0; j < 4; j++) v += a[j] * sin(2.0 * M_PI * x / lam[j] + ph[j]);
        p[i] = v;
        mean += v;
    }
    mean /= n;
    for (int i = 0; i < n; i++) p[i] -= mean;
}

/* Paint a rotated ellipse (centre cx, cy, semi-axes a, b in µm, angle th)
 * with phase `ph` over fine pixels whose current label is in `allowed`
 * (bit mask).  Returns the number of fine pixels painted. */
static long paint_ellipse(uint8_t *lab, int W, int H, double fpx, double cx, double cy,
                          double a, double b, double th, int ph, unsigned allowed)
{
    double R = a > b ? a : b;
    int c0 = (int)floor((cx - R) / fpx), c1 = (int)ceil((cx + R) / fpx);
    int r0 = (int)floor((cy - R) / fpx), r1 = (int)ceil((cy + R) / fpx);
    if (c0 < 0) c0 = 0;
    if (r0 < 0) r0 = 0;
    if (c1 > W - 1) c1 = W - 1;
    if (r1 > H - 1) r1 = H - 1;
    double ct = cos(th), st = sin(th);
    long cnt = 0;
    for (int r = r0; r <= r1; r++) {
        double y = (r + 0.5) * fpx - cy;
        for (int c = c0; c <= c1; c++) {
            double x = (c + 0.5) * fpx - cx;
            double u = (ct * x + st * y) / a, v = (-st * x + ct * y) / b;
            if (u * u + v * v <= 1.0) {
                uint8_t *L = &lab[(size_t)r * W + c];
                if (allowed & (1u << *L)) {
                    *L = (uint8_t)ph;
                    cnt++;
                }
            }
        }
    }
    return cnt;
}

typedef struct {
    double cx, cy, R;
} disc;

static int place_pores(ts_rng *r, uint8_t *lab, int W, int H, double fpx, const double *b1,
                       const double *b2, double target_um2, int *npores)
{
    const double margin = 0.03, gap = 0.03; /* µm */
    double placed = 0;
    int cap = 64, n = 0;
    disc *d = malloc((size_t)cap * sizeof *d);
    TS_CHECK_ALLOC(d);
    double wum = W * fpx;
    int failures = 0;
    while (placed < target_um2 && failures < 4000) {
        double a = 0.10 + 0.20 * ts_rng_uniform(r);
        double b = a * (0.5 + 0.4 * ts_rng_uniform(r));
        double rem = target_um2 - placed;
        if (M_PI * a * b > rem) {
            double s = sqrt(rem / (M_PI * a * b));
            a *= s;
            b *= s;
        }
        if (a < 0.04) break;
        double cx = a + (wum - 2 * a) * ts_rng_uniform(r);
        int i0 = (int)floor((cx - a) / fpx), i1 = (int)ceil((cx + a) / fpx);
        if (i0 < 0) i0 = 0;
        if (i1 > W - 1) i1 = W - 1;
        double lo = -1e30, hi = 1e30;
        for (int i = i0; i <= i1; i++) {
            if (b1[i] > lo) lo = b1[i];
            if (b2[i] < hi) hi = b2[i];
        }
        double room = hi - lo - 2 * margin;
        if (room < 2 * b) {
            double nb = room / 2;
            if (nb < 0.03) {
                failures++;
                continue;
            }
            a *= nb / b; /* keep the aspect ratio: same area scale */
            b = nb;
        }
        double u = ts_rng_uniform(r);
        double cy = lo + margin + b + (room - 2 * b) * u * u; /* biased towards Cu */
        double R = a > b ? a : b;
        int ok = 1;
        for (int k = 0; k < n && ok; k++) {
            double dx = d[k].cx - cx, dy = d[k].cy - cy;
            if (sqrt(dx * dx + dy * dy) < d[k].R + R + gap) ok = 0;
        }
        if (!ok) {
            failures++;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            disc *nd = realloc(d, (size_t)cap * sizeof *nd);
            if (!nd) {
                free(d);
                return ts_error_set(TS_ERR_NOMEM, "out of memory placing pores");
            }
            d = nd;
        }
        d[n].cx = cx;
        d[n].cy = cy;
        d[n].R = R;
        n++;
        double th = 0.3 * (ts_rng_uniform(r) - 0.5);
        paint_ellipse(lab, W, H, fpx, cx, cy, a, b, th, TS_MICRO_PORE, 1u << TS_MICRO_CU3SN);
        placed += M_PI * a * b;
    }
    free(d);
    *npores = n;
    return 0;
}

int ts_micro_synth(const ts_micro_synth_opts *o, int level, const ts_micro_growth *g_in,
                   double t_h, uint64_t seed, uint64_t stream, float *img, uint8_t *labels,
                   ts_micro_synth_info *info)
{
    if (!o || !img || !labels) return ts_error_set(TS_ERR_INVAL, "synth: NULL argument");
    if (o->width < 16 || o->height < 16)
        return ts_error_set(TS_ERR_RANGE, "synth: image %d x %d px: expected at least 16 x 16",
                            o->width, o->height);
    if (!(o->px_um > 0) || o->supersample < 1 || o->supersample > 8)
        return ts_error_set(TS_ERR_RANGE,
                            "synth: pixel size %g µm must be > 0 and supersample %d in 1..8",
                            o->px_um, o->supersample);
    if (!(t_h >= 0) || !isfinite(t_h))
        return ts_error_set(TS_ERR_RANGE, "synth: ageing time %g h must be >= 0", t_h);
    if (!(o->dose >= 0) || !(o->blur_px >= 0) || !(o->line_noise >= 0))
        return ts_error_set(TS_ERR_RANGE, "synth: dose, blur and line noise must be >= 0");
    ts_micro_growth g;
    if (g_in)
        g = *g_in;
    else
        TS_TRY(ts_micro_growth_default(level, &g));

    const int s = o->supersample, w = o->width, h = o->height;
    const int W = w * s, H = h * s;
    const double fpx = o->px_um / s, wum = w * o->px_um;
    int rc = 0;
    ts_rng *r = ts_rng_create(seed, stream);
    double *b1 = malloc((size_t)W * sizeof *b1), *b2 = malloc((size_t)W * sizeof *b2);
    double *b3 = malloc((size_t)W * sizeof *b3), *sc = malloc((size_t)W * sizeof *sc);
    uint8_t *lab = malloc((size_t)W * H);
    float *tmp = malloc((size_t)w * h * sizeof *tmp);
    if (!r || !b1 || !b2 || !b3 || !sc || !lab || !tmp) {
        rc = ts_error_set(TS_ERR_NOMEM, "synth: out of memory for a %d x %d render", W, H);
        goto done;
    }

    double h3, h6, area16;
    ts_micro_growth_eval(&g, t_h, &h3, &h6, &area16);
    h3 *= 1.0 + o->thickness_jitter * ts_rng_normal(r, 0, 1);
    h6 *= 1.0 + o->thickness_jitter * ts_rng_normal(r, 0, 1);
    if (h3 < 0.05) h3 = 0.05;
    if (h6 < 0.2) h6 = 0.2;
    double pore_target = area16 * wum / 16.75;

    /* boundaries */
    random_profile(r, b1, W, fpx, 0.06);
    random_profile(r, b2, W, fpx, 0.12 + 0.04 * h3);
    double amp = o->scallop_amp_um / (1.0 + t_h / o->scallop_tau_h);
    {
        int i = 0;
        double grow = 1.0 + t_h / 3000.0;
        while (i < W) {
            double width = (1.5 + 2.0 * ts_rng_uniform(r)) * grow;
            int nw = (int)(width / fpx);
            if (nw < 2) nw = 2;
            double A = amp * (0.6 + 0.6 * ts_rng_uniform(r));
            for (int k = 0; k < nw && i < W; k++, i++) {
                double u = 2.0 * (k + 0.5) / nw - 1.0;
                sc[i] = A * sqrt(1.0 - u * u);
            }
        }
        double mean = 0;
        for (i = 0; i < W; i++) mean += sc[i];
        mean /= W;
        for (i = 0; i < W; i++) sc[i] -= mean;
    }
    for (int i = 0; i < W; i++) {
        b1[i] += o->cu_top_um;
        b2[i] += b1[i] + h3;
        b3[i] = b2[i] + h6 + sc[i];
        if (b3[i] < b2[i] + 0.05) b3[i] = b2[i] + 0.05;
    }
    for (int rr = 0; rr < H; rr++) {
        double y = (rr + 0.5) * fpx;
        uint8_t *L = lab + (size_t)rr * W;
        for (int i = 0; i < W; i++)
            L[i] = y < b1[i] ? TS_MICRO_CU : y < b2[i] ? TS_MICRO_CU3SN
                 : y < b3[i] ? TS_MICRO_CU6SN5 : TS_MICRO_SAC305;
    }
    int npores = 0, nag = 0;
    if ((rc = place_pores(r, lab, W, H, fpx, b1, b2, pore_target, &npores)) != 0) goto done;

    /* Ag3Sn on the Cu6Sn5/solder boundary (larger) and in the solder bulk */
    {
        int nint = (int)ts_rng_poisson(r, 0.25 * wum);
        for (int k = 0; k < nint; k++) {
            double a = 0.2 + 0.3 * ts_rng_uniform(r), b = a * (0.35 + 0.4 * ts_rng_uniform(r));
            double cx = wum * ts_rng_uniform(r);
            int ic = (int)(cx / fpx);
            if (ic >= W) ic = W - 1;
            double cy = b3[ic] + 0.5 * b;
            double th = 0.5 * (ts_rng_uniform(r) - 0.5);
            if (paint_ellipse(lab, W, H, fpx, cx, cy, a, b, th, TS_MICRO_AG3SN,
                              (1u << TS_MICRO_SAC305) | (1u << TS_MICRO_CU6SN5)) > 0)
                nag++;
        }
        double solder_area = 0;
        for (int i = 0; i < W; i++) {
            double d = H * fpx - b3[i];
            if (d > 0) solder_area += d * fpx;
        }
        int nb = (int)ts_rng_poisson(r, o->ag3sn_per_um2 * solder_area);
        for (int k = 0; k < nb; k++) {
            double a = 0.06 + 0.25 * ts_rng_uniform(r), b = a * (0.3 + 0.6 * ts_rng_uniform(r));
            double cx = wum * ts_rng_uniform(r);
            int ic = (int)(cx / fpx);
            if (ic >= W) ic = W - 1;
            double top = b3[ic] + a + 0.1, bot = H * fpx;
            if (top >= bot) continue;
            double cy = top + (bot - top) * ts_rng_uniform(r);
            double th = M_PI * ts_rng_uniform(r);
            if (paint_ellipse(lab, W, H, fpx, cx, cy, a, b, th, TS_MICRO_AG3SN,
                              1u << TS_MICRO_SAC305) > 0)
                nag++;
        }
    }

    /* partial-volume grey and majority labels */
    double grey[TS_MICRO_NPHASES];
    for (int p = 0; p < TS_MICRO_NPHASES; p++) {
        double v = o->brightness + o->contrast * (eta_phase[p] - eta_phase[TS_MICRO_CU]);
        grey[p] = p == TS_MICRO_PORE ? 0.0 : v < 0 ? 0 : v > 1 ? 1 : v;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int cnt[TS_MICRO_NPHASES] = {0};
            double sum = 0;
            for (int dy = 0; dy < s; dy++)
                for (int dx = 0; dx < s; dx++) {
                    int p = lab[(size_t)(y * s + dy) * W + x * s + dx];
                    cnt[p]++;
                    sum += grey[p];
                }
            int best = 0;
            for (int p = 1; p < TS_MICRO_NPHASES; p++)
                if (cnt[p] > cnt[best]) best = p;
            labels[(size_t)y * w + x] = (uint8_t)best;
            img[(size_t)y * w + x] = (float)(sum / (s * s));
        }

    /* blur, shot noise, scan-line noise */
    if (o->blur_px > 0) {
        if ((rc = ts_micro_gauss1d(img, tmp, w, h, o->blur_px, 0, 1)) != 0) goto done;
        if ((rc = ts_micro_gauss1d(tmp, img, w, h, o->blur_px, 0, 0)) != 0) goto done;
    }
    for (int y = 0; y < h; y++) {
        double off = o->line_noise > 0 ? ts_rng_normal(r, 0, o->line_noise) : 0.0;
        for (int x = 0; x < w; x++) {
            double v = img[(size_t)y * w + x];
            if (o->dose > 0) v = ts_rng_poisson(r, v * o->dose) / o->dose;
            v += off;
            img[(size_t)y * w + x] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
        }
    }
    if (info) {
        double L = 0;
        for (int i = 1; i < W; i++) L += hypot(fpx, b3[i] - b3[i - 1]);
        info->line_length_um = L + fpx;
        info->h3_um = h3;
        info->h6_um = h6;
        info->pore_area_target_um2 = pore_target;
        info->npores = npores;
        info->nag3sn = nag;
    }
done:
    ts_rng_destroy(r);
    free(b1);
    free(b2);
    free(b3);
    free(sc);
    free(lab);
    free(tmp);
    return rc;
}
