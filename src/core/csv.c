/* CSV tables: an atomic writer with a fixed header, and a numeric reader. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

struct ts_csv {
    ts_afile *f;
    int ncols, col;
    long row;
    char *path;
};

int ts_csv_open(const char *path, int ncols, const char *const *header, ts_csv **out)
{
    *out = NULL;
    if (ncols < 1) return ts_error_set(TS_ERR_INVAL, "%s: a CSV needs at least one column", path);
    ts_csv *c = calloc(1, sizeof *c);
    TS_CHECK_ALLOC(c);
    c->path = malloc(strlen(path) + 1);
    if (!c->path) {
        free(c);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    strcpy(c->path, path);
    int rc = ts_afile_open(path, &c->f);
    if (rc) {
        free(c->path);
        free(c);
        return rc;
    }
    c->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        if ((rc = ts_csv_cell_s(c, header[i])) != 0) break;
    }
    if (!rc) rc = ts_csv_end_row(c);
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    c->row = 0;
    *out = c;
    return 0;
}

static int sep(ts_csv *c)
{
    if (c->col >= c->ncols)
        return ts_error_set(TS_ERR_INVAL, "%s: row %ld has more than %d cells", c->path, c->row + 1, c->ncols);
    if (c->col > 0) fputc(',', ts_afile_fp(c->f));
    c->col++;
    return 0;
}

int ts_csv_cell_d(ts_csv *c, double v)
{
    TS_TRY(sep(c));
    if (isnan(v))
        fputs("nan", ts_afile_fp(c->f));
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", ts_afile_fp(c->f));
    else
        fprintf(ts_afile_fp(c->f), "%.17g", v);
    return 0;
}

int ts_csv_cell_i(ts_csv *c, long v)
{
    TS_TRY(sep(c));
    fprintf(ts_afile_fp(c->f), "%ld", v);
    return 0;
}

int ts_csv_cell_s(ts_csv *c, const char *s)
{
    TS_TRY(sep(c));
    FILE *fp = ts_afile_fp(c->f);
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', fp);
        for (const char *p = s; *p; p++) {
            if (*p == '"') fputc('"', fp);
            fputc(*p, fp);
        }
        fputc('"', fp);
    } else {
        fputs(s, fp);
    }
    return 0;
}

int ts_csv_end_row(ts_csv *c)
{
    if (c->col != c->ncols)
        return ts_error_set(TS_ERR_INVAL, "%s: row %ld has %d cells, expected %d", c->path, c->row + 1,
                            c->col, c->ncols);
    fputc('\n', ts_afile_fp(c->f));
    c->col = 0;
    c->row++;
    return 0;
}

int ts_csv_row_d(ts_csv *c, const double *v)
{
    for (int i = 0; i < c->ncols; i++) TS_TRY(ts_csv_cell_d(c, v[i]));
    return ts_csv_end_row(c);
}

int ts_csv_close(ts_csv *c)
{
    int rc;
    if (c->col != 0) {
        rc = ts_error_set(TS_ERR_INVAL, "%s: last row is incomplete", c->path);
        ts_afile_abort(c->f);
    } else {
        rc = ts_afile_commit(c->f);
    }
    free(c->path);
    free(c);
    return rc;
}

void ts_csv_abort(ts_csv *c)
{
    if (!c) return;
    ts_afile_abort(c->f);
    free(c->path);
    free(c);
}

void ts_strv_free(char **v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Split one line at commas (no quoted commas in numeric tables; quotes are
 * stripped from header names). Returns the number of fields. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    char *s = line;
    for (;;) {
        if (n == max) return max + 1;
        fields[n++] = s;
        char *comma = strchr(s, ',');
        if (!comma) break;
        *comma = '\0';
        s = comma + 1;
    }
    for (int i = 0; i < n; i++) {
        char *f = fields[i];
        while (isspace((unsigned char)*f)) f++;
        char *e = f + strlen(f);
        while (e > f && isspace((unsigned char)e[-1])) *--e = '\0';
        if (*f == '"' && e > f + 1 && e[-1] == '"') {
            f++;
            e[-1] = '\0';
        }
        fields[i] = f;
    }
    return n;
}

int ts_csv_read(const char *path, char ***names, int *ncols, double **data, size_t *nrows)
{
    enum { MAXC = 4096 };
    *names = NULL;
    *data = NULL;
    *ncols = 0;
    *nrows = 0;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_NOTFOUND, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    char **fields = malloc(MAXC * sizeof *fields);
    int rc = 0, nc = 0;
    long lineno = 0;
    size_t rows = 0, dcap = 0;
    double *d = NULL;
    char **hdr = NULL;
    if (!fields) {
        fclose(fp);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    while (getline(&line, &cap, fp) > 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;
        int n = split(line, fields, MAXC);
        if (n > MAXC) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%ld: more than %d columns", path, lineno, MAXC);
            break;
        }
        if (!hdr) {
            nc = n;
            hdr = calloc((size_t)nc, sizeof *hdr);
            if (!hdr) {
                rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                break;
            }
            for (int i = 0; i < nc && !rc; i++) {
                hdr[i] = malloc(strlen(fields[i]) + 1);
                if (!hdr[i])
                    rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                else
                    strcpy(hdr[i], fields[i]);
            }
            continue;
        }
        if (n != nc) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%ld: expected %d values, got %d", path, lineno, nc, n);
            break;
        }
        if ((rows + 1) * (size_t)nc > dcap) {
            size_t ncap = dcap ? 2 * dcap : (size_t)nc * 64;
            double *nd = realloc(d, ncap * sizeof *nd);
            if (!nd) {
                rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                break;
            }
            d = nd;
            dcap = ncap;
        }
        for (int i = 0; i < nc; i++) {
            char *end;
            double v = strtod(fields[i], &end);
            if (end == fields[i] || *end) {
                rc = ts_error_set(TS_ERR_PARSE, "%s:%ld: column %d ('%s'): expected a number, got '%s'",
                                  path, lineno, i + 1, hdr[i], fields[i]);
                break;
            }
            d[rows * (size_t)nc + (size_t)i] = v;
        }
        if (rc) break;
        rows++;
    }
    free(line);
    free(fields);
    if (!rc && ferror(fp)) rc = ts_error_set(TS_ERR_IO, "%s: read error", path);
    if (!rc && !hdr) rc = ts_error_set(TS_ERR_PARSE, "%s: empty file, expected a header line", path);
    fclose(fp);
    if (rc) {
        ts_strv_free(hdr, nc);
        free(d);
        return rc;
    }
    *names = hdr;
    *ncols = nc;
    *data = d;
    *nrows = rows;
    return 0;
}
