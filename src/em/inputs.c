/* Inputs users already have: EMspice's constant file (EM_spice_constant.txt,
 * "key,value" lines) and a synthetic IBM-style power grid for tests,
 * benchmarks and the demo (notes/em.md "Inputs"). */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

int ts_em_params_read_emspice(const char *path, ts_em_params *p, int *nx)
{
    if (!path || !p) return ts_error_set(TS_ERR_INVAL, "ts_em_params_read_emspice: NULL argument");
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char line[256];
    int ln = 0, rc = 0;
    double e = p->e, ea_ratio = NAN;
    while (fgets(line, sizeof line, fp)) {
        ln++;
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        if (!*s || *s == '#') continue;
        char *comma = strchr(s, ',');
        if (!comma) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected 'key,value'", path, ln);
            break;
        }
        *comma = '\0';
        char *key = s, *end;
        size_t kl = strlen(key);
        while (kl && isspace((unsigned char)key[kl - 1])) key[--kl] = '\0';
        errno = 0;
        double v = strtod(comma + 1, &end);
        while (*end && isspace((unsigned char)*end)) end++;
        if (end == comma + 1 || *end || errno || !isfinite(v)) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: %s: expected a number", path, ln, key);
            break;
        }
        if (!strcmp(key, "T")) p->T = v;
        else if (!strcmp(key, "D0")) p->D0 = v;
        else if (!strcmp(key, "E")) e = v;
        else if (!strcmp(key, "Ea_ratio")) ea_ratio = v;
        else if (!strcmp(key, "kB")) p->kB = v;
        else if (!strcmp(key, "B0")) p->B = v;
        else if (!strcmp(key, "Omega")) p->Omega = v;
        else if (!strcmp(key, "cu_res")) p->rho_cu = v;
        else if (!strcmp(key, "hCu")) p->h_cu = v;
        else if (!strcmp(key, "Ta_res")) p->rho_ta = v;
        else if (!strcmp(key, "hTa")) p->h_ta = v;
        else if (!strcmp(key, "Z")) p->Z = v;
        else if (!strcmp(key, "nx")) {
            if (nx) *nx = (int)v;
        } else if (!strcmp(key, "wire_length") || !strcmp(key, "t_total") || !strcmp(key, "tstep")) {
            /* EMspice's normalisation and step length: not model constants */
        } else {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: unknown key '%s'", path, ln, key);
            break;
        }
    }
    fclose(fp);
    if (rc) return rc;
    p->e = e;
    if (isfinite(ea_ratio)) p->Ea = ea_ratio * e;
    return 0;
}

/* xorshift64* for the generator (self-contained and reproducible). */
static double urand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct {
    char *buf;
    size_t len, cap;
    int err;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) TS_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->err) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->err = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap * 2 + (size_t)n + 1024;
        char *q = realloc(b->buf, nc);
        if (!q) {
            b->err = 1;
            return;
        }
        b->buf = q;
        b->cap = nc;
    }
}

/* Layer 1: horizontal stripes (rows) split into random-length wires chains
 * of 1..maxseg segments, some neighbouring chains strapped (loops);
 * layer 2: vertical stripes; vias at every crossing node of layer 2 columns;
 * supply at the top of every layer-2 column; current sinks on layer 1. */
int ts_em_grid_synth(int nrows, int ncols, int maxseg, double pitch_nm, uint64_t seed, char **out)
{
    if (!out || nrows < 1 || ncols < 2 || maxseg < 1 || !(pitch_nm > 0))
        return ts_error_set(TS_ERR_INVAL, "ts_em_grid_synth: need nrows >= 1, ncols >= 2, maxseg >= 1, pitch > 0");
    *out = NULL;
    sbuf b = {malloc(1 << 16), 0, 1 << 16, 0};
    TS_CHECK_ALLOC(b.buf);
    uint64_t s = seed * 2654435761ULL + 88172645463325252ULL;
    long pitch = (long)pitch_nm, rowp = 4 * pitch;
    int viastep = 8; /* a layer-2 column every 8 layer-1 nodes */
    sb_printf(&b, "* synthetic IBM-style power grid: %d rows x %d columns, chains of <= %d segments\n", nrows,
              ncols, maxseg);
    long nr = 0, ni = 0;
    for (int r = 0; r < nrows; r++) {
        long y = r * rowp;
        int c = 0;
        while (c < ncols - 1) {
            /* mostly short chains, a few spanning much of the row (IBM-like size spread) */
            int len = urand(&s) < 0.03 ? 1 + (int)(urand(&s) * ncols) : 1 + (int)(urand(&s) * maxseg);
            if (c + len > ncols - 1) len = ncols - 1 - c;
            /* every chain has its own supply pad through a via at its start */
            sb_printf(&b, "Rp_%d_%d n1_%ld_%ld n3_%ld_%ld 0.05\n", r, c, c * pitch, y, c * pitch, y);
            sb_printf(&b, "vp_%d_%d n3_%ld_%ld 0 1.8\n", r, c, c * pitch, y);
            for (int k = 0; k < len; k++, c++) {
                double ohm = 0.5 + urand(&s);
                sb_printf(&b, "R1_%ld n1_%ld_%ld n1_%ld_%ld %.6g\n", nr++, c * pitch, y, (c + 1) * pitch, y, ohm);
            }
            c++; /* gap: the next chain starts one pitch further */
        }
        /* straps to the next row: loops within layer 1 */
        if (r + 1 < nrows && urand(&s) < 0.3) {
            int c0 = (int)(urand(&s) * (ncols / 4));
            for (long yy = y; yy < y + rowp; yy += pitch)
                sb_printf(&b, "R1_%ld n1_%ld_%ld n1_%ld_%ld %.6g\n", nr++, c0 * pitch, yy, c0 * pitch, yy + pitch,
                          0.5);
            for (long yy = y; yy < y + rowp; yy += pitch)
                sb_printf(&b, "R1_%ld n1_%ld_%ld n1_%ld_%ld %.6g\n", nr++, (c0 + 1) * pitch, yy, (c0 + 1) * pitch,
                          yy + pitch, 0.5);
        }
    }
    /* layer-1 node set: every c*pitch on every row except the gaps (gaps have no node);
     * vias and layer 2 only at columns c = 0, viastep, 2 viastep ... that exist */
    for (int c = 0; c < ncols; c += viastep) {
        for (int r = 0; r < nrows; r++) {
            long y = r * rowp;
            sb_printf(&b, "Rv_%d_%d n1_%ld_%ld n2_%ld_%ld 0.05\n", c, r, c * pitch, y, c * pitch, y);
            if (r + 1 < nrows)
                sb_printf(&b, "R2_%d_%d n2_%ld_%ld n2_%ld_%ld 0.2\n", c, r, c * pitch, y, c * pitch, y + rowp);
        }
        sb_printf(&b, "vdd%d n2_%ld_%ld 0 1.8\n", c, c * pitch, (long)(nrows - 1) * rowp);
    }
    for (int r = 0; r < nrows; r++)
        for (int c = 1; c < ncols; c += 3) {
            double amp = 2e-4 * (0.2 + urand(&s));
            sb_printf(&b, "i%ld n1_%ld_%ld 0 %.6g\n", ni++, c * pitch, r * rowp, amp);
        }
    sb_printf(&b, ".end\n");
    if (b.err) {
        free(b.buf);
        return ts_error_set(TS_ERR_NOMEM, "out of memory generating the grid");
    }
    *out = b.buf;
    return 0;
}
