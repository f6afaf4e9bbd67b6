/* File helpers of the micro commands: grey image reading with a colour
 * check, label images, the phase colour map, the condition-matrix mosaic
 * and the per-condition CSV tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro_app.h"

/* Colours of seed Fig. 4d: Cu blue, Cu3Sn yellow, Cu6Sn5 purple, SAC305
 * magenta, pores green, Ag3Sn salmon. */
static const uint8_t phase_rgb[TS_MICRO_NPHASES][3] = {
    {0, 90, 200}, {240, 220, 40}, {120, 60, 160}, {220, 60, 200}, {40, 170, 60}, {250, 128, 114}};

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    if (a < b) return 0;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suf[i]) return 0;
    }
    return 1;
}

/* PNG colour type from the IHDR chunk (byte 25), -1 if not a PNG. */
static int png_color_type(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -2;
    unsigned char b[26];
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    if (n < 26 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) return -1;
    return b[25];
}

int micro_read_image(const char *path, ts_image **out)
{
    *out = NULL;
    if (ends_with(path, ".png")) {
        int ct = png_color_type(path);
        if (ct == -2) return ts_error_set(TS_ERR_IO, "%s: cannot open", path);
        if (ct == -1) return ts_error_set(TS_ERR_FORMAT, "%s: not a PNG file", path);
        if (ct != 0 && ct != 4)
            return ts_error_set(TS_ERR_FORMAT,
                                "%s: colour PNG (colour type %d); expected a grey-scale micrograph or label image",
                                path, ct);
        return ts_png_read(path, out);
    }
    if (ends_with(path, ".tif") || ends_with(path, ".tiff")) return ts_tiff_read(path, out);
    return ts_error_set(TS_ERR_FORMAT, "%s: unknown image type; expected .png, .tif or .tiff", path);
}

int micro_read_grey(const char *path, int page, float **img, int *w, int *h)
{
    ts_image *im = NULL;
    TS_TRY(micro_read_image(path, &im));
    if (page < 0 || page >= im->pages) {
        int np = im->pages;
        ts_image_destroy(im);
        return ts_error_set(TS_ERR_RANGE, "%s: page %d requested, file has %d", path, page, np);
    }
    size_t n = (size_t)im->width * im->height;
    float *v = malloc(n * sizeof *v);
    if (!v) {
        ts_image_destroy(im);
        return ts_error_set(TS_ERR_NOMEM, "out of memory reading %s", path);
    }
    double scale = im->dtype == TS_U8 ? 1.0 / 255 : im->dtype == TS_U16 ? 1.0 / 65535 : 1.0;
    for (size_t i = 0; i < n; i++) {
        double x = ts_image_get(im, page, (int)(i / im->width), (int)(i % im->width)) * scale;
        if (!isfinite(x)) {
            ts_image_destroy(im);
            free(v);
            return ts_error_set(TS_ERR_FORMAT, "%s: pixel %zu is not finite", path, i);
        }
        v[i] = (float)x;
    }
    *w = im->width;
    *h = im->height;
    ts_image_destroy(im);
    *img = v;
    return 0;
}

int micro_read_labels(const char *path, uint8_t **lab, int *w, int *h)
{
    ts_image *im = NULL;
    TS_TRY(micro_read_image(path, &im));
    if (im->dtype == TS_F32) {
        ts_image_destroy(im);
        return ts_error_set(TS_ERR_FORMAT, "%s: float image; expected 8/16-bit label codes 0..5", path);
    }
    size_t n = (size_t)im->width * im->height;
    uint8_t *v = malloc(n);
    if (!v) {
        ts_image_destroy(im);
        return ts_error_set(TS_ERR_NOMEM, "out of memory reading %s", path);
    }
    for (size_t i = 0; i < n; i++) {
        double x = ts_image_get(im, 0, (int)(i / im->width), (int)(i % im->width));
        if (x < 0 || x >= TS_MICRO_NPHASES || x != floor(x)) {
            int W = im->width;
            ts_image_destroy(im);
            free(v);
            return ts_error_set(TS_ERR_FORMAT, "%s: pixel (row %zu, col %zu) = %g is not a label code 0..5",
                                path, i / W, i % W, x);
        }
        v[i] = (uint8_t)x;
    }
    *w = im->width;
    *h = im->height;
    ts_image_destroy(im);
    *lab = v;
    return 0;
}

int micro_write_grey_png(const char *path, const float *img, int w, int h)
{
    ts_image *im = ts_image_from_f32(img, w, h, TS_U8, 0.0, 1.0);
    TS_CHECK_ALLOC(im);
    int rc = ts_png_write(path, im);
    ts_image_destroy(im);
    return rc;
}

int micro_write_labels_png(const char *path, const uint8_t *lab, int w, int h, int rgb)
{
    if (rgb) {
        uint8_t *c = malloc((size_t)w * h * 3);
        TS_CHECK_ALLOC(c);
        for (size_t i = 0; i < (size_t)w * h; i++) memcpy(c + 3 * i, phase_rgb[lab[i] % TS_MICRO_NPHASES], 3);
        int rc = ts_png_write_rgb(path, w, h, c);
        free(c);
        return rc;
    }
    ts_image *im = ts_image_create(w, h, 1, TS_U8);
    TS_CHECK_ALLOC(im);
    memcpy(im->data, lab, (size_t)w * h);
    int rc = ts_png_write(path, im);
    ts_image_destroy(im);
    return rc;
}

int micro_mosaic_png(const char *path, float *const *cells, int w, int h, int cell_px)
{
    const int gap = 4, L = TS_MICRO_NLEVELS, T = TS_MICRO_NTIMES;
    int W = T * cell_px + (T + 1) * gap, H = L * cell_px + (L + 1) * gap;
    uint8_t *rgb = malloc((size_t)W * H * 3);
    float *small = malloc((size_t)cell_px * cell_px * sizeof *small);
    if (!rgb || !small) {
        free(rgb);
        free(small);
        return ts_error_set(TS_ERR_NOMEM, "mosaic: out of memory");
    }
    memset(rgb, 255, (size_t)W * H * 3);
    int rc = 0;
    for (int l = 0; l < L && !rc; l++)
        for (int t = 0; t < T && !rc; t++) {
            const float *c = cells[l * T + t];
            int st = ts_micro_condition_status(l, t);
            int x0 = gap + t * (cell_px + gap), y0 = gap + l * (cell_px + gap);
            /* frame: pink for unknown cells (seed Fig. 2), orange for unseen */
            uint8_t fr[3] = {255, 255, 255};
            if (st == TS_MICRO_UNKNOWN) fr[0] = 250, fr[1] = 170, fr[2] = 200;
            if (st == TS_MICRO_UNSEEN) fr[0] = 230, fr[1] = 159, fr[2] = 0;
            for (int y = y0 - gap / 2; y < y0 + cell_px + gap / 2; y++)
                for (int x = x0 - gap / 2; x < x0 + cell_px + gap / 2; x++)
                    if (y >= 0 && x >= 0 && y < H && x < W) memcpy(rgb + 3 * ((size_t)y * W + x), fr, 3);
            if (!c) continue;
            if ((rc = ts_micro_resize(c, w, h, small, cell_px, cell_px))) break;
            for (int y = 0; y < cell_px; y++)
                for (int x = 0; x < cell_px; x++) {
                    double v = small[y * cell_px + x];
                    uint8_t g = (uint8_t)(v < 0 ? 0 : v > 1 ? 255 : v * 255 + 0.5);
                    uint8_t *p = rgb + 3 * ((size_t)(y0 + y) * W + x0 + x);
                    p[0] = p[1] = p[2] = g;
                }
        }
    if (!rc) rc = ts_png_write_rgb(path, W, H, rgb);
    free(rgb);
    free(small);
    return rc;
}

int micro_write_condstats(const char *path, const ts_micro_condstat *cs)
{
    const char *hdr[5 + 2 * TS_MICRO_NDESC];
    char names[2 * TS_MICRO_NDESC][48];
    hdr[0] = "level";
    hdr[1] = "impurity_code";
    hdr[2] = "time_h";
    hdr[3] = "status";
    hdr[4] = "n_images";
    for (int k = 0; k < TS_MICRO_NDESC; k++) {
        snprintf(names[2 * k], sizeof names[0], "%s_mean", ts_micro_desc_name(k));
        snprintf(names[2 * k + 1], sizeof names[0], "%s_sd", ts_micro_desc_name(k));
        hdr[5 + 2 * k] = names[2 * k];
        hdr[6 + 2 * k] = names[2 * k + 1];
    }
    ts_csv *c = NULL;
    TS_TRY(ts_csv_open(path, 5 + 2 * TS_MICRO_NDESC, hdr, &c));
    for (int j = 0; j < TS_MICRO_NLEVELS * TS_MICRO_NTIMES; j++) {
        if (cs[j].n <= 0) continue;
        double row[5 + 2 * TS_MICRO_NDESC];
        row[0] = cs[j].level;
        row[1] = ts_micro_level_code(cs[j].level);
        row[2] = cs[j].t_h;
        row[3] = cs[j].status;
        row[4] = cs[j].n;
        for (int k = 0; k < TS_MICRO_NDESC; k++) {
            row[5 + 2 * k] = cs[j].mean[k];
            row[6 + 2 * k] = cs[j].sd[k];
        }
        int rc = ts_csv_row_d(c, row);
        if (rc) {
            ts_csv_abort(c);
            return rc;
        }
    }
    return ts_csv_close(c);
}

int micro_read_condstats(const char *path, ts_micro_condstat *cs)
{
    char **names = NULL;
    int nc = 0;
    double *data = NULL;
    size_t nr = 0;
    TS_TRY(ts_csv_read(path, &names, &nc, &data, &nr));
    int col[5 + 2 * TS_MICRO_NDESC];
    const char *want[5] = {"level", "impurity_code", "time_h", "status", "n_images"};
    char nm[2 * TS_MICRO_NDESC][48];
    int rc = 0;
    for (int k = 0; k < 5 + 2 * TS_MICRO_NDESC && !rc; k++) {
        const char *wn = k < 5 ? want[k] : nm[k - 5];
        if (k >= 5) {
            int d = (k - 5) / 2;
            snprintf(nm[k - 5], sizeof nm[0], "%s_%s", ts_micro_desc_name(d), (k - 5) % 2 ? "sd" : "mean");
        }
        col[k] = -1;
        for (int q = 0; q < nc; q++)
            if (strcmp(names[q], wn) == 0) col[k] = q;
        if (col[k] < 0) rc = ts_error_set(TS_ERR_PARSE, "%s:1: missing column '%s' (expected a conditions table from 'tinsel micro quantify')", path, wn);
    }
    for (int j = 0; j < TS_MICRO_NLEVELS * TS_MICRO_NTIMES; j++) {
        memset(&cs[j], 0, sizeof cs[j]);
        cs[j].level = j / TS_MICRO_NTIMES;
        cs[j].time_index = j % TS_MICRO_NTIMES;
        cs[j].t_h = ts_micro_time_h(j % TS_MICRO_NTIMES);
        cs[j].status = ts_micro_condition_status(cs[j].level, cs[j].time_index);
    }
    for (size_t r = 0; r < nr && !rc; r++) {
        const double *row = data + r * nc;
        double lv = row[col[0]], th = row[col[2]];
        int level = -1, ti = -1;
        for (int l = 0; l < TS_MICRO_NLEVELS; l++)
            if (lv == l) level = l;
        for (int t = 0; t < TS_MICRO_NTIMES; t++)
            if (th == ts_micro_time_h(t)) ti = t;
        if (level < 0 || ti < 0) {
            rc = ts_error_set(TS_ERR_PARSE,
                              "%s:%zu: unknown condition (level %g, %g h): expected level 0..3 and a time of 0, 50, 100, 300, 750, 1000, 3000 h",
                              path, r + 2, lv, th);
            break;
        }
        ts_micro_condstat *c = &cs[level * TS_MICRO_NTIMES + ti];
        c->n = (int)row[col[4]];
        if (c->n < 1) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%zu: n_images must be >= 1", path, r + 2);
            break;
        }
        for (int k = 0; k < TS_MICRO_NDESC; k++) {
            c->mean[k] = row[col[5 + 2 * k]];
            c->sd[k] = row[col[6 + 2 * k]];
        }
    }
    ts_strv_free(names, nc);
    free(data);
    return rc;
}

int micro_cond_name(char *buf, size_t n, int level, double t_h)
{
    return snprintf(buf, n, "%s_%04.0fh", ts_micro_level_name(level), t_h);
}

int micro_read_index(const char *path, micro_index_row **rows, int *n)
{
    *rows = NULL;
    *n = 0;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open", path);
    char line[4096];
    int lineno = 0, cap = 0, rc = 0, col_file = -1, col_level = -1, col_time = -1;
    micro_index_row *R = NULL;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        char *field[16];
        int nf = 0;
        for (char *p = line, *q; nf < 16; p = q + 1) {
            field[nf++] = p;
            q = strchr(p, ',');
            if (!q) break;
            *q = '\0';
        }
        if (col_file < 0) { /* header */
            for (int k = 0; k < nf; k++) {
                if (strcmp(field[k], "labels") == 0) col_file = k;
                if (strcmp(field[k], "level") == 0) col_level = k;
                if (strcmp(field[k], "time_h") == 0) col_time = k;
            }
            if (col_file < 0 || col_level < 0 || col_time < 0) {
                rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected a header with columns labels, level, time_h", path, lineno);
                break;
            }
            continue;
        }
        int need = col_file > col_level ? col_file : col_level;
        if (col_time > need) need = col_time;
        if (nf <= need) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: %d fields, expected at least %d", path, lineno, nf, need + 1);
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            micro_index_row *nr = realloc(R, (size_t)cap * sizeof *nr);
            if (!nr) {
                rc = ts_error_set(TS_ERR_NOMEM, "out of memory reading %s", path);
                break;
            }
            R = nr;
        }
        micro_index_row *r = &R[*n];
        /* relative paths are relative to the index file's folder */
        const char *slash = strrchr(path, '/');
        if (field[col_file][0] != '/' && slash)
            snprintf(r->file, sizeof r->file, "%.*s/%s", (int)(slash - path), path, field[col_file]);
        else
            snprintf(r->file, sizeof r->file, "%s", field[col_file]);
        if (ts_micro_level_parse(field[col_level], &r->level) != 0) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: level '%s': expected PVD, ECD1, ECD2, ECD3 or 0, 30, 60, 120", path,
                              lineno, field[col_level]);
            break;
        }
        char *end = NULL;
        double t = strtod(field[col_time], &end);
        r->time_index = -1;
        for (int k = 0; k < TS_MICRO_NTIMES; k++)
            if (end != field[col_time] && *end == '\0' && t == ts_micro_time_h(k)) r->time_index = k;
        if (r->time_index < 0) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: time_h '%s': expected one of 0, 50, 100, 300, 750, 1000, 3000", path,
                              lineno, field[col_time]);
            break;
        }
        (*n)++;
    }
    fclose(fp);
    if (!rc && col_file < 0) rc = ts_error_set(TS_ERR_PARSE, "%s: empty file (expected labels,level,time_h)", path);
    if (!rc && *n == 0) rc = ts_error_set(TS_ERR_PARSE, "%s: no rows", path);
    if (rc) {
        free(R);
        *n = 0;
        return rc;
    }
    *rows = R;
    return 0;
}
