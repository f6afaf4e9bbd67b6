/* PNG line/scatter plots and heat maps with PLplot's pngcairo device.
 * White background, Okabe-Ito colour-blind-safe palette, viridis heat maps.
 * PLplot keeps global state, so every drawing is done under one mutex. */
#include <math.h>
#include <plplot.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"
#include "tinsel/core.h"

static pthread_mutex_t plplot_lock = PTHREAD_MUTEX_INITIALIZER;

enum { SERIES_LINE, SERIES_POINTS, SERIES_ERRORBARS };

typedef struct {
    int kind;
    size_t n;
    double *x, *y, *e;
    char *label;
} series;

struct ts_plot {
    char *title, *xlabel, *ylabel;
    int logx, logy;
    int fixx, fixy;
    ts_legend_pos legend;
    double xlo, xhi, ylo, yhi;
    series *s;
    int ns;
};

/* Okabe & Ito (2008): black, orange, sky blue, bluish green, yellow, blue,
 * vermillion, reddish purple. Index 0 is the white background. */
static const int palette[9][3] = {{255, 255, 255}, {0, 0, 0},     {230, 159, 0},  {86, 180, 233}, {0, 158, 115},
                                  {213, 94, 0},    {0, 114, 178}, {204, 121, 167}, {240, 228, 66}};

enum { GRID_COLOUR = 9 };

static char *dupstr(const char *s)
{
    if (!s) s = "";
    char *d = malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

ts_plot *ts_plot_create(const char *title, const char *xlabel, const char *ylabel)
{
    ts_plot *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->title = dupstr(title);
    p->xlabel = dupstr(xlabel);
    p->ylabel = dupstr(ylabel);
    if (!p->title || !p->xlabel || !p->ylabel) {
        ts_plot_destroy(p);
        return NULL;
    }
    return p;
}

void ts_plot_destroy(ts_plot *p)
{
    if (!p) return;
    for (int i = 0; i < p->ns; i++) {
        free(p->s[i].x);
        free(p->s[i].y);
        free(p->s[i].e);
        free(p->s[i].label);
    }
    free(p->s);
    free(p->title);
    free(p->xlabel);
    free(p->ylabel);
    free(p);
}

void ts_plot_set_log(ts_plot *p, int logx, int logy)
{
    p->logx = logx;
    p->logy = logy;
}
void ts_plot_set_legend(ts_plot *p, ts_legend_pos pos) { p->legend = pos; }

void ts_plot_set_xrange(ts_plot *p, double lo, double hi)
{
    p->fixx = 1;
    p->xlo = lo;
    p->xhi = hi;
}
void ts_plot_set_yrange(ts_plot *p, double lo, double hi)
{
    p->fixy = 1;
    p->ylo = lo;
    p->yhi = hi;
}

static int add_series(ts_plot *p, int kind, size_t n, const double *x, const double *y, const double *e,
                      const char *label)
{
    if (n == 0) return ts_error_set(TS_ERR_INVAL, "plot '%s': empty series", p->title);
    series *ns = realloc(p->s, (size_t)(p->ns + 1) * sizeof *ns);
    TS_CHECK_ALLOC(ns);
    p->s = ns;
    series *s = &p->s[p->ns];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->n = n;
    s->x = malloc(n * sizeof *s->x);
    s->y = malloc(n * sizeof *s->y);
    s->e = e ? malloc(n * sizeof *s->e) : NULL;
    s->label = label ? dupstr(label) : NULL;
    if (!s->x || !s->y || (e && !s->e) || (label && !s->label)) {
        free(s->x);
        free(s->y);
        free(s->e);
        free(s->label);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    memcpy(s->x, x, n * sizeof *x);
    memcpy(s->y, y, n * sizeof *y);
    if (e) memcpy(s->e, e, n * sizeof *e);
    p->ns++;
    return 0;
}

int ts_plot_line(ts_plot *p, size_t n, const double *x, const double *y, const char *label)
{
    return add_series(p, SERIES_LINE, n, x, y, NULL, label);
}
int ts_plot_points(ts_plot *p, size_t n, const double *x, const double *y, const char *label)
{
    return add_series(p, SERIES_POINTS, n, x, y, NULL, label);
}
int ts_plot_errorbars(ts_plot *p, size_t n, const double *x, const double *y, const double *yerr,
                      const char *label)
{
    return add_series(p, SERIES_ERRORBARS, n, x, y, yerr, label);
}

/* Axis value as drawn: log10 on log axes; NaN if not drawable. */
static double axis_val(double v, int logaxis)
{
    if (!isfinite(v)) return NAN;
    if (logaxis) return v > 0 ? log10(v) : NAN;
    return v;
}

static void auto_range(const ts_plot *p, int axis, double *lo, double *hi)
{
    int logaxis = axis ? p->logy : p->logx;
    double a = INFINITY, b = -INFINITY;
    for (int i = 0; i < p->ns; i++)
        for (size_t k = 0; k < p->s[i].n; k++) {
            double v = axis ? p->s[i].y[k] : p->s[i].x[k];
            double e = axis && p->s[i].e ? fabs(p->s[i].e[k]) : 0;
            double v1 = axis_val(v - e, logaxis), v2 = axis_val(v + e, logaxis);
            if (isnan(v1)) v1 = axis_val(v, logaxis);
            if (isfinite(v1)) a = fmin(a, v1), b = fmax(b, v1);
            if (isfinite(v2)) a = fmin(a, v2), b = fmax(b, v2);
        }
    if (!isfinite(a)) a = 0, b = 1;
    if (!(b > a)) {
        double d = a != 0 ? 0.05 * fabs(a) : 1;
        a -= d;
        b += d;
    }
    double m = 0.04 * (b - a);
    *lo = a - (axis || !logaxis ? m : 0);
    *hi = b + (axis || !logaxis ? m : 0);
}

/* Start a PLplot stream on a temporary PNG. Caller holds the lock. */
static void begin(const char *tmp, int width, int height)
{
    plsdev("pngcairo");
    plsfnam(tmp);
    char geom[64];
    snprintf(geom, sizeof geom, "%dx%d", width, height);
    plsetopt("geometry", geom);
    for (int i = 0; i < 9; i++) plscol0(i, palette[i][0], palette[i][1], palette[i][2]);
    plscol0(GRID_COLOUR, 215, 215, 215);
    plscolbg(255, 255, 255);
    plinit();
    pladv(0);
    plschr(0, 1.1);
}

static int check_path(const char *path, char **tmp)
{
    *tmp = ts_tmp_path(path);
    TS_CHECK_ALLOC(*tmp);
    FILE *fp = fopen(*tmp, "wb"); /* PLplot exits on open failure: probe first */
    if (!fp) {
        int rc = ts_error_set(TS_ERR_IO, "%s: cannot create plot file", path);
        free(*tmp);
        return rc;
    }
    fclose(fp);
    return 0;
}

int ts_plot_write_png(const ts_plot *p, const char *path, int width, int height)
{
    if (p->ns == 0) return ts_error_set(TS_ERR_INVAL, "plot '%s': no data", p->title);
    if (width < 100 || height < 100 || width > 8000 || height > 8000)
        return ts_error_set(TS_ERR_INVAL, "%s: plot size %dx%d out of range", path, width, height);
    double xlo, xhi, ylo, yhi;
    auto_range(p, 0, &xlo, &xhi);
    auto_range(p, 1, &ylo, &yhi);
    if (p->fixx) xlo = axis_val(p->xlo, p->logx), xhi = axis_val(p->xhi, p->logx);
    if (p->fixy) ylo = axis_val(p->ylo, p->logy), yhi = axis_val(p->yhi, p->logy);
    if (!(xhi > xlo) || !(yhi > ylo)) return ts_error_set(TS_ERR_INVAL, "plot '%s': empty axis range", p->title);
    char *tmp;
    TS_TRY(check_path(path, &tmp));

    pthread_mutex_lock(&plplot_lock);
    PLINT strm;
    plmkstrm(&strm);
    begin(tmp, width, height);
    int outside = p->legend == TS_LEGEND_OUTSIDE;
    plvpor(0.12, outside ? 0.70 : 0.95, 0.12, 0.90);
    plwind(xlo, xhi, ylo, yhi);
    char xopt[16] = "bcnst", yopt[16] = "bcnstv";
    if (p->logx) strcat(xopt, "l");
    if (p->logy) strcat(yopt, "l");
    /* Light grid first, then the axes on top. */
    plcol0(GRID_COLOUR);
    plwidth(0.8);
    char xg[8] = "g", yg[8] = "g";
    if (p->logx) strcat(xg, "l");
    if (p->logy) strcat(yg, "l");
    plbox(xg, 0, 0, yg, 0, 0);
    plcol0(1);
    plwidth(1.0);
    plbox(xopt, 0, 0, yopt, 0, 0);
    pllab(p->xlabel, p->ylabel, p->title);

    int nl = 0;
    PLINT opt[64], lcol[64], lsty[64], scol[64], snum[64], tcol[64];
    PLFLT lwid[64], sscl[64];
    const char *text[64], *sym[64];
    for (int i = 0; i < p->ns; i++) {
        const series *s = &p->s[i];
        int col = 1 + (i % 8);
        plcol0(col);
        double *xs = malloc(s->n * sizeof *xs), *ys = malloc(s->n * sizeof *ys);
        if (!xs || !ys) {
            free(xs);
            free(ys);
            continue;
        }
        /* Draw runs of drawable points (NaN or non-positive on log axes break a line). */
        size_t m = 0;
        for (size_t k = 0; k <= s->n; k++) {
            double xv = k < s->n ? axis_val(s->x[k], p->logx) : NAN;
            double yv = k < s->n ? axis_val(s->y[k], p->logy) : NAN;
            if (isfinite(xv) && isfinite(yv)) {
                xs[m] = xv;
                ys[m] = yv;
                m++;
                continue;
            }
            if (m > 0) {
                if (s->kind == SERIES_LINE) {
                    plwidth(2.0);
                    if (m > 1) plline((PLINT)m, xs, ys);
                    else plstring(1, xs, ys, "#(728)");
                    plwidth(1.0);
                } else {
                    plstring((PLINT)m, xs, ys, "#(728)");
                }
            }
            m = 0;
        }
        if (s->kind == SERIES_ERRORBARS) {
            for (size_t k = 0; k < s->n; k++) {
                double xv = axis_val(s->x[k], p->logx);
                double lo = axis_val(s->y[k] - fabs(s->e[k]), p->logy);
                double hi = axis_val(s->y[k] + fabs(s->e[k]), p->logy);
                if (isfinite(xv) && isfinite(lo) && isfinite(hi)) plerry(1, &xv, &lo, &hi);
            }
        }
        free(xs);
        free(ys);
        if (s->label && nl < 64) {
            opt[nl] = s->kind == SERIES_LINE ? PL_LEGEND_LINE : PL_LEGEND_SYMBOL;
            lcol[nl] = col;
            lsty[nl] = 1;
            lwid[nl] = 2.0;
            scol[nl] = col;
            sscl[nl] = 1.0;
            snum[nl] = 1;
            sym[nl] = "#(728)";
            tcol[nl] = 1;
            text[nl] = s->label;
            nl++;
        }
    }
    if (nl > 0) {
        PLFLT lw, lh;
        plcol0(1);
        static const PLINT where[5] = {
            PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE,
            PL_POSITION_TOP | PL_POSITION_LEFT | PL_POSITION_INSIDE,
            PL_POSITION_BOTTOM | PL_POSITION_RIGHT | PL_POSITION_INSIDE,
            PL_POSITION_BOTTOM | PL_POSITION_LEFT | PL_POSITION_INSIDE,
            PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_OUTSIDE,
        };
        int li = (int)p->legend >= 0 && (int)p->legend < 5 ? (int)p->legend : 0;
        pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, where[li], 0.02, 0.02, 0.08, 0, 1, 1, 0, 0,
                 nl, opt, 1.0, 0.9, 2.0, 0.0, tcol, text, NULL,
                 NULL, NULL, NULL, lcol, lsty, lwid, scol, sscl, snum, sym);
    }
    plend1();
    pthread_mutex_unlock(&plplot_lock);
    int rc = ts_tmp_commit(tmp, path);
    free(tmp);
    return rc;
}

int ts_heatmap_write_png(const char *path, const double *v, int nx, int ny, const double extent[4], double vmin,
                         double vmax, const char *title, const char *xlabel, const char *ylabel,
                         const char *cbar_label)
{
    if (nx < 1 || ny < 1) return ts_error_set(TS_ERR_INVAL, "%s: empty heat map", path);
    if (vmin == vmax) ts_data_range(v, (size_t)nx * (size_t)ny, &vmin, &vmax);
    if (!isfinite(vmin) || !isfinite(vmax) || !(vmax > vmin))
        return ts_error_set(TS_ERR_INVAL, "%s: bad colour range [%g, %g]", path, vmin, vmax);
    double ext[4] = {0, nx, 0, ny};
    if (extent) memcpy(ext, extent, sizeof ext);
    /* PLplot wants idata[ix][iy] with iy upwards; our rows run top to bottom. */
    PLFLT **z = malloc((size_t)nx * sizeof *z);
    PLFLT *zbuf = malloc((size_t)nx * (size_t)ny * sizeof *zbuf);
    if (!z || !zbuf) {
        free(z);
        free(zbuf);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < nx; i++) {
        z[i] = zbuf + (size_t)i * (size_t)ny;
        for (int j = 0; j < ny; j++) {
            double val = v[(size_t)(ny - 1 - j) * (size_t)nx + (size_t)i];
            z[i][j] = isfinite(val) ? fmin(fmax(val, vmin), vmax) : vmin;
        }
    }
    char *tmp;
    int rc = check_path(path, &tmp);
    if (rc) {
        free(z);
        free(zbuf);
        return rc;
    }
    int W = 900, H = (int)fmin(1600, fmax(450, 560.0 * ny / nx + 220));
    pthread_mutex_lock(&plplot_lock);
    PLINT strm;
    plmkstrm(&strm);
    begin(tmp, W, H);
    PLFLT r[256], g[256], b[256];
    for (int i = 0; i < 256; i++) {
        double c[3];
        ts_viridis(i / 255.0, c);
        r[i] = c[0], g[i] = c[1], b[i] = c[2];
    }
    PLINT ri[256], gi[256], bi[256];
    for (int i = 0; i < 256; i++) ri[i] = (PLINT)lround(255 * r[i]), gi[i] = (PLINT)lround(255 * g[i]), bi[i] = (PLINT)lround(255 * b[i]);
    plscmap1n(256);
    plscmap1(ri, gi, bi, 256);
    plvpor(0.12, 0.78, 0.16, 0.86);
    plwind(ext[0], ext[1], ext[2], ext[3]);
    plimage((PLFLT_MATRIX)z, nx, ny, ext[0], ext[1], ext[2], ext[3], vmin, vmax, ext[0], ext[1], ext[2], ext[3]);
    plcol0(1);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    pllab(xlabel ? xlabel : "", ylabel ? ylabel : "", title ? title : "");
    PLFLT cw, ch;
    const char *labels[1] = {cbar_label ? cbar_label : ""};
    PLINT label_opts[1] = {PL_COLORBAR_LABEL_RIGHT};
    const char *axis_opts[1] = {"bcvtm"};
    PLFLT ticks[1] = {0.0};
    PLINT sub_ticks[1] = {0};
    PLINT n_values[1] = {2};
    PLFLT vals[2] = {vmin, vmax};
    const PLFLT *values[1] = {vals};
    plcolorbar(&cw, &ch, PL_COLORBAR_GRADIENT, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_VIEWPORT, 0.03,
               0.0, 0.04, 0.8, 0, 1, 1, 0.0, 0.0, 0, 0.0, 1, label_opts, labels, 1, axis_opts, ticks, sub_ticks,
               n_values, values);
    plend1();
    pthread_mutex_unlock(&plplot_lock);
    free(z);
    free(zbuf);
    rc = ts_tmp_commit(tmp, path);
    free(tmp);
    return rc;
}
