/* SPICE power-grid netlist reader (IBM power-grid benchmark format:
 * R, I, V cards; node names n<layer>_<x>_<y>; notes/em.md "Inputs").
 * Line-numbered errors for every malformed card. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

/* ---- name index: open addressing, FNV-1a -------------------------- */
typedef struct {
    size_t cap; /* power of two */
    int *slot;  /* node index or -1 */
} name_index;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

typedef struct {
    ts_em_netlist *nl;
    name_index idx;
    int cap_nodes, cap_res, cap_cur, cap_vs;
} builder;

static int grow(void **p, int *cap, int need, size_t elt)
{
    if (need <= *cap) return 0;
    int nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, (size_t)nc * elt);
    if (!q) return ts_error_set(TS_ERR_NOMEM, "out of memory growing netlist arrays");
    *p = q;
    *cap = nc;
    return 0;
}

static int index_rehash(builder *b)
{
    size_t nc = b->idx.cap ? b->idx.cap * 2 : 4096;
    int *ns = malloc(nc * sizeof *ns);
    TS_CHECK_ALLOC(ns);
    for (size_t i = 0; i < nc; i++) ns[i] = -1;
    for (int k = 0; k < b->nl->nnodes; k++) {
        size_t h = (size_t)fnv1a(b->nl->node_names[k]) & (nc - 1);
        while (ns[h] >= 0) h = (h + 1) & (nc - 1);
        ns[h] = k;
    }
    free(b->idx.slot);
    b->idx.slot = ns;
    b->idx.cap = nc;
    return 0;
}

static int index_find(const name_index *idx, char **names, const char *s)
{
    if (!idx->cap) return -1;
    size_t h = (size_t)fnv1a(s) & (idx->cap - 1);
    while (idx->slot[h] >= 0) {
        if (strcmp(names[idx->slot[h]], s) == 0) return idx->slot[h];
        h = (h + 1) & (idx->cap - 1);
    }
    return -1;
}

static int is_ground(const char *s)
{
    return strcmp(s, "0") == 0 || strcmp(s, "gnd") == 0 || strcmp(s, "GND") == 0;
}

/* Parse n<layer>_<x>_<y>; returns 1 on success. */
static int parse_coords(const char *s, int *layer, long *x, long *y)
{
    if (s[0] != 'n' && s[0] != 'N') return 0;
    char *end;
    errno = 0;
    long l = strtol(s + 1, &end, 10);
    if (end == s + 1 || *end != '_' || l < 0 || l > 1000000) return 0;
    const char *p = end + 1;
    long xv = strtol(p, &end, 10);
    if (end == p || *end != '_') return 0;
    p = end + 1;
    long yv = strtol(p, &end, 10);
    if (end == p || *end != '\0' || errno) return 0;
    *layer = (int)l;
    *x = xv;
    *y = yv;
    return 1;
}

/* Node index for name (created on first use); -1 for ground. */
static int node_get(builder *b, const char *s, int line, int *out)
{
    if (is_ground(s)) {
        *out = -1;
        return 0;
    }
    ts_em_netlist *nl = b->nl;
    int k = index_find(&b->idx, nl->node_names, s);
    if (k >= 0) {
        *out = k;
        return 0;
    }
    int n = nl->nnodes + 1;
    int c = b->cap_nodes;
    TS_TRY(grow((void **)&nl->node_names, &c, n, sizeof(char *)));
    c = b->cap_nodes;
    TS_TRY(grow((void **)&nl->node_layer, &c, n, sizeof(int)));
    c = b->cap_nodes;
    TS_TRY(grow((void **)&nl->node_x, &c, n, sizeof(long)));
    c = b->cap_nodes;
    TS_TRY(grow((void **)&nl->node_y, &c, n, sizeof(long)));
    c = b->cap_nodes;
    TS_TRY(grow((void **)&nl->node_line, &c, n, sizeof(int)));
    b->cap_nodes = c;
    k = nl->nnodes;
    nl->node_names[k] = malloc(strlen(s) + 1);
    TS_CHECK_ALLOC(nl->node_names[k]);
    strcpy(nl->node_names[k], s);
    int layer = -1;
    long x = 0, y = 0;
    if (!strstr(s, "_X_") && !parse_coords(s, &layer, &x, &y)) layer = -1;
    nl->node_layer[k] = layer;
    nl->node_x[k] = x;
    nl->node_y[k] = y;
    nl->node_line[k] = line;
    nl->nnodes = n;
    if ((size_t)n * 2 > b->idx.cap) {
        TS_TRY(index_rehash(b));
    } else {
        size_t h = (size_t)fnv1a(s) & (b->idx.cap - 1);
        while (b->idx.slot[h] >= 0) h = (h + 1) & (b->idx.cap - 1);
        b->idx.slot[h] = k;
    }
    *out = k;
    return 0;
}

/* A SPICE number with optional scale suffix. Returns 1 on success. */
static int parse_value(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(x)) return 0;
    char suf[8];
    size_t n = strlen(end);
    if (n >= sizeof suf) return 0;
    for (size_t i = 0; i <= n; i++) suf[i] = (char)tolower((unsigned char)end[i]);
    double m = 1.0;
    if (suf[0] == '\0') m = 1.0;
    else if (strncmp(suf, "meg", 3) == 0) m = 1e6;
    else if (strncmp(suf, "mil", 3) == 0) m = 25.4e-6;
    else switch (suf[0]) {
        case 'f': m = 1e-15; break;
        case 'p': m = 1e-12; break;
        case 'n': m = 1e-9; break;
        case 'u': m = 1e-6; break;
        case 'm': m = 1e-3; break;
        case 'k': m = 1e3; break;
        case 'g': m = 1e9; break;
        case 't': m = 1e12; break;
        default: return 0;
        }
    /* after the scale letter(s) only unit letters may follow (e.g. "1kohm") */
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)suf[i])) return 0;
    *v = x * m;
    return 1;
}

#define MAXTOK 8

static int tokenize(char *s, char **tok)
{
    int n = 0;
    char *p = s;
    while (*p) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        if (n == MAXTOK) return MAXTOK + 1;
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = '\0';
    }
    return n;
}

static int add_element(builder *b, char kind, char **tok, int ntok, const char *path, int line)
{
    ts_em_netlist *nl = b->nl;
    const char *what = kind == 'r' ? "resistor" : kind == 'i' ? "current source" : "voltage source";
    int vi = 3;
    if (kind != 'r' && ntok >= 5 && (strcmp(tok[3], "dc") == 0 || strcmp(tok[3], "DC") == 0)) vi = 4;
    if (ntok < vi + 1)
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s '%s': expected '<name> <node+> <node-> <value>', got %d fields",
                            path, line, what, tok[0], ntok);
    if (ntok > vi + 1)
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s '%s': unexpected extra field '%s' after the value",
                            path, line, what, tok[0], tok[vi + 1]);
    double v;
    if (!parse_value(tok[vi], &v))
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s '%s': expected a number, got '%s'", path, line, what,
                            tok[0], tok[vi]);
    int a, c;
    TS_TRY(node_get(b, tok[1], line, &a));
    TS_TRY(node_get(b, tok[2], line, &c));
    if (a == c)
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s '%s': both terminals are node '%s'", path, line, what,
                            tok[0], tok[1]);
    if (kind == 'r') {
        if (!(v > 0))
            return ts_error_set(TS_ERR_PARSE, "%s:%d: resistor '%s': expected a positive resistance, got %g",
                                path, line, tok[0], v);
        int n = nl->nres + 1, c0 = b->cap_res, cc;
        cc = c0; TS_TRY(grow((void **)&nl->res_names, &cc, n, sizeof(char *)));
        cc = c0; TS_TRY(grow((void **)&nl->res_a, &cc, n, sizeof(int)));
        cc = c0; TS_TRY(grow((void **)&nl->res_b, &cc, n, sizeof(int)));
        cc = c0; TS_TRY(grow((void **)&nl->res_ohm, &cc, n, sizeof(double)));
        cc = c0; TS_TRY(grow((void **)&nl->res_line, &cc, n, sizeof(int)));
        b->cap_res = cc;
        char *nm = malloc(strlen(tok[0]) + 1);
        TS_CHECK_ALLOC(nm);
        strcpy(nm, tok[0]);
        int k = nl->nres;
        nl->res_names[k] = nm;
        nl->res_a[k] = a;
        nl->res_b[k] = c;
        nl->res_ohm[k] = v;
        nl->res_line[k] = line;
        nl->nres = n;
    } else if (kind == 'i') {
        int n = nl->ncur + 1, c0 = b->cap_cur, cc;
        cc = c0; TS_TRY(grow((void **)&nl->cur_a, &cc, n, sizeof(int)));
        cc = c0; TS_TRY(grow((void **)&nl->cur_b, &cc, n, sizeof(int)));
        cc = c0; TS_TRY(grow((void **)&nl->cur_amp, &cc, n, sizeof(double)));
        cc = c0; TS_TRY(grow((void **)&nl->cur_line, &cc, n, sizeof(int)));
        b->cap_cur = cc;
        int k = nl->ncur;
        nl->cur_a[k] = a;
        nl->cur_b[k] = c;
        nl->cur_amp[k] = v;
        nl->cur_line[k] = line;
        nl->ncur = n;
    } else {
        int n = nl->nvs + 1, c0 = b->cap_vs, cc;
        cc = c0; TS_TRY(grow((void **)&nl->vs_a, &cc, n, sizeof(int)));
        cc = c0; TS_TRY(grow((void **)&nl->vs_b, &cc, n, sizeof(int)));
        cc = c0; TS_TRY(grow((void **)&nl->vs_volt, &cc, n, sizeof(double)));
        cc = c0; TS_TRY(grow((void **)&nl->vs_line, &cc, n, sizeof(int)));
        b->cap_vs = cc;
        int k = nl->nvs;
        nl->vs_a[k] = a;
        nl->vs_b[k] = c;
        nl->vs_volt[k] = v;
        nl->vs_line[k] = line;
        nl->nvs = n;
    }
    return 0;
}

/* One line (modified in place). *done set at .end. */
static int parse_line(builder *b, char *s, const char *path, int line, int *done)
{
    char *tok[MAXTOK];
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = '\0';
    char *p = s;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p || *p == '*') return 0;
    if (*p == '.') {
        if (strncmp(p, ".end", 4) == 0 && (p[4] == '\0' || isspace((unsigned char)p[4])) &&
            strncmp(p, ".ends", 5) != 0) {
            *done = 1;
        }
        return 0; /* .op, .print, .tran, .option ...: not needed for DC */
    }
    if (*p == '+')
        return ts_error_set(TS_ERR_PARSE, "%s:%d: continuation lines ('+') are not supported; join the card",
                            path, line);
    char kind = (char)tolower((unsigned char)*p);
    if (kind != 'r' && kind != 'i' && kind != 'v') {
        char card[32];
        snprintf(card, sizeof card, "%.31s", p);
        char *sp = card;
        while (*sp && !isspace((unsigned char)*sp)) sp++;
        *sp = '\0';
        return ts_error_set(TS_ERR_PARSE,
                            "%s:%d: unknown card '%s': expected R (resistor), I (current source), "
                            "V (voltage source), a '*' comment or a dot command",
                            path, line, card);
    }
    int n = tokenize(p, tok);
    if (n > MAXTOK)
        return ts_error_set(TS_ERR_PARSE, "%s:%d: too many fields on card '%s'", path, line, tok[0]);
    return add_element(b, kind, tok, n, path, line);
}

void ts_em_netlist_destroy(ts_em_netlist *nl)
{
    if (!nl) return;
    for (int i = 0; i < nl->nnodes; i++) free(nl->node_names[i]);
    for (int i = 0; i < nl->nres; i++) free(nl->res_names[i]);
    free(nl->node_names);
    free(nl->node_layer);
    free(nl->node_x);
    free(nl->node_y);
    free(nl->node_line);
    free(nl->res_names);
    free(nl->res_a);
    free(nl->res_b);
    free(nl->res_ohm);
    free(nl->res_line);
    free(nl->cur_a);
    free(nl->cur_b);
    free(nl->cur_amp);
    free(nl->cur_line);
    free(nl->vs_a);
    free(nl->vs_b);
    free(nl->vs_volt);
    free(nl->vs_line);
    free(nl->path);
    name_index *idx = nl->index_;
    if (idx) free(idx->slot);
    free(idx);
    free(nl);
}

static int builder_init(builder *b, const char *name)
{
    memset(b, 0, sizeof *b);
    b->nl = calloc(1, sizeof *b->nl);
    TS_CHECK_ALLOC(b->nl);
    b->nl->path = malloc(strlen(name) + 1);
    if (!b->nl->path) {
        free(b->nl);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    strcpy(b->nl->path, name);
    return 0;
}

static int builder_finish(builder *b, ts_em_netlist **out)
{
    ts_em_netlist *nl = b->nl;
    name_index *idx = malloc(sizeof *idx);
    if (!idx) {
        free(b->idx.slot);
        ts_em_netlist_destroy(nl);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    *idx = b->idx;
    nl->index_ = idx;
    if (nl->nres == 0) {
        int rc = ts_error_set(TS_ERR_PARSE, "%s: no resistors found (expected R cards)", nl->path);
        ts_em_netlist_destroy(nl);
        return rc;
    }
    *out = nl;
    return 0;
}

int ts_em_netlist_read(const char *path, ts_em_netlist **out)
{
    if (!path || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_netlist_read: NULL argument");
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    builder b;
    int rc = builder_init(&b, path);
    if (rc) {
        fclose(fp);
        return rc;
    }
    char *buf = NULL;
    size_t cap = 0;
    int line = 0, done = 0;
    while (!done && getline(&buf, &cap, fp) >= 0) {
        line++;
        rc = parse_line(&b, buf, path, line, &done);
        if (rc) break;
    }
    if (!rc && ferror(fp)) rc = ts_error_set(TS_ERR_IO, "%s: read error", path);
    free(buf);
    fclose(fp);
    if (rc) {
        free(b.idx.slot);
        ts_em_netlist_destroy(b.nl);
        return rc;
    }
    return builder_finish(&b, out);
}

int ts_em_netlist_parse(const char *text, const char *name, ts_em_netlist **out)
{
    if (!text || !name || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_netlist_parse: NULL argument");
    *out = NULL;
    builder b;
    TS_TRY(builder_init(&b, name));
    int rc = 0, line = 0, done = 0;
    const char *p = text;
    char *buf = NULL;
    size_t cap = 0;
    while (*p && !done) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n + 1 > cap) {
            char *nb = realloc(buf, n + 1);
            if (!nb) {
                rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = n + 1;
        }
        memcpy(buf, p, n);
        buf[n] = '\0';
        line++;
        rc = parse_line(&b, buf, name, line, &done);
        if (rc) break;
        p = e ? e + 1 : p + n;
    }
    free(buf);
    if (rc) {
        free(b.idx.slot);
        ts_em_netlist_destroy(b.nl);
        return rc;
    }
    return builder_finish(&b, out);
}

int ts_em_netlist_find(const ts_em_netlist *nl, const char *name)
{
    if (!nl || !name || is_ground(name)) return -1;
    const name_index *idx = nl->index_;
    return idx ? index_find(idx, nl->node_names, name) : -1;
}
