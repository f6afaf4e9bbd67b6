/* Viridis colour map (matplotlib's, sampled at 17 anchors and linearly
 * interpolated; max deviation from the 256-entry table 5/255) and
 * plain colour-mapped PNG images. */
#include <math.h>
#include <stdlib.h>

#include "colormap.h"
#include "tinsel/core.h"

static const double anchors[17][3] = {
    {0.267004, 0.004874, 0.329415}, {0.282327, 0.094955, 0.417331}, {0.278826, 0.175490, 0.483397},
    {0.258965, 0.251537, 0.524736}, {0.229739, 0.322361, 0.545706}, {0.199430, 0.387607, 0.554642},
    {0.172719, 0.448791, 0.557885}, {0.149039, 0.508051, 0.557250}, {0.127568, 0.566949, 0.550556},
    {0.120638, 0.625828, 0.533488}, {0.157851, 0.683765, 0.501686}, {0.246070, 0.738910, 0.452024},
    {0.369214, 0.788888, 0.382914}, {0.515992, 0.831158, 0.294279}, {0.678489, 0.863742, 0.189503},
    {0.845561, 0.887322, 0.099702}, {0.993248, 0.906157, 0.143936},
};
/* Anchor k sits at table entry 16k (the last at 255), i.e. t = 16k/255. */
static double anchor_pos(int k) { return k == 16 ? 1.0 : 16.0 * k / 255.0; }

void ts_viridis(double t, double rgb[3])
{
    if (!isfinite(t)) t = 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    int k = 0;
    while (k < 15 && t > anchor_pos(k + 1)) k++;
    double u = (t - anchor_pos(k)) / (anchor_pos(k + 1) - anchor_pos(k));
    for (int c = 0; c < 3; c++) rgb[c] = anchors[k][c] + u * (anchors[k + 1][c] - anchors[k][c]);
}

void ts_data_range(const double *v, size_t n, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (v[i] < a) a = v[i];
        if (v[i] > b) b = v[i];
    }
    if (!isfinite(a)) a = 0, b = 1;
    if (!(b > a)) b = a + (a != 0 ? fabs(a) * 1e-6 : 1);
    *lo = a;
    *hi = b;
}

int ts_colormap_write_png(const char *path, const double *v, int nx, int ny, double vmin, double vmax)
{
    if (nx < 1 || ny < 1) return ts_error_set(TS_ERR_INVAL, "%s: empty image", path);
    if (vmin == vmax) ts_data_range(v, (size_t)nx * (size_t)ny, &vmin, &vmax);
    uint8_t *rgb = malloc((size_t)nx * (size_t)ny * 3);
    TS_CHECK_ALLOC(rgb);
    for (size_t i = 0; i < (size_t)nx * (size_t)ny; i++) {
        double c[3];
        ts_viridis((v[i] - vmin) / (vmax - vmin), c);
        for (int k = 0; k < 3; k++) rgb[3 * i + (size_t)k] = (uint8_t)lround(255 * c[k]);
    }
    int rc = ts_png_write_rgb(path, nx, ny, rgb);
    free(rgb);
    return rc;
}
