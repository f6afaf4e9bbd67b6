/* Reader for LAMMPS-format MEAM files: the element library file (19 values
 * per element: elt lat z ielement atwt / alpha b0 b1 b2 b3 alat esub asub /
 * t0 t1 t2 t3 rozero ibar) and the alloy parameter file (`keyword(i,j,k) =
 * value` lines), with the keywords and defaults of LAMMPS pair_style meam
 * (meam_setup_global.cpp, meam_setup_param.cpp). Errors carry path:line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

static const char *const lattice_names[LAT_COUNT_] = {
    "fcc", "bcc", "hcp", "dim", "dia", "dia3", "b1", "c11", "l12", "b2", "ch4", "lin", "zig", "tri", "sc"};
/* single-element reference structures (usable in the library file) */
static const int lattice_single[LAT_COUNT_] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1};

static int lattice_from_name(const char *s, int single)
{
    for (int i = 0; i < LAT_COUNT_; i++)
        if (strcmp(s, lattice_names[i]) == 0) return (single && !lattice_single[i]) ? -1 : i;
    return -1;
}

/* ---- token stream with line numbers -------------------------------- */

typedef struct {
    char **tok;
    int *line;
    int n, cap;
} tokens;

static void tokens_free(tokens *t)
{
    for (int i = 0; i < t->n; i++) free(t->tok[i]);
    free(t->tok);
    free(t->line);
}

static int tokens_push(tokens *t, const char *s, size_t len, int line)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        char **nt = realloc(t->tok, (size_t)cap * sizeof *nt);
        if (!nt) return ts_error_set(TS_ERR_NOMEM, "out of memory reading MEAM file");
        t->tok = nt;
        int *nl = realloc(t->line, (size_t)cap * sizeof *nl);
        if (!nl) return ts_error_set(TS_ERR_NOMEM, "out of memory reading MEAM file");
        t->line = nl;
        t->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) return ts_error_set(TS_ERR_NOMEM, "out of memory reading MEAM file");
    memcpy(c, s, len);
    c[len] = 0;
    t->tok[t->n] = c;
    t->line[t->n] = line;
    t->n++;
    return 0;
}

/* Split one line (comment '#' removed) at any of seps. */
static int split_line(tokens *t, char *buf, const char *seps, int line)
{
    char *hash = strchr(buf, '#');
    if (hash) *hash = 0;
    char *p = buf;
    while (*p) {
        while (*p && strchr(seps, *p)) p++;
        if (!*p) break;
        char *q = p;
        while (*q && !strchr(seps, *q)) q++;
        TS_TRY(tokens_push(t, p, (size_t)(q - p), line));
        p = q;
    }
    return 0;
}

static int parse_double(const char *path, int line, const char *what, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s: expected a number, got '%s'", path, line,
                            what, s);
    *out = v;
    return 0;
}

static int parse_int(const char *path, int line, const char *what, const char *s, int *out)
{
    double v;
    TS_TRY(parse_double(path, line, what, s, &v));
    if (v != floor(v) || fabs(v) > 1e6)
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s: expected an integer, got '%s'", path, line,
                            what, s);
    *out = (int)v;
    return 0;
}

/* ---- defaults (LAMMPS meam_setup_global) ----------------------------- */

static void set_defaults(ts_md_meam *p)
{
    p->rc = 4.0;
    p->delr = 0.1;
    p->gsmooth_factor = 99.0;
    p->augt1 = 1;
    p->ialloy = 0;
    p->mix_ref_t = 0;
    p->emb_lin_neg = 0;
    p->bkgd_dyn = 0;
    p->erose_form = 0;
    for (int i = 0; i < ME; i++)
        for (int j = 0; j < ME; j++) {
            p->attrac[i][j] = p->repuls[i][j] = 0.0;
            p->delta[i][j] = 0.0;
            p->nn2[i][j] = 0;
            p->zbl[i][j] = 1;
            p->stheta[i][j] = 1.0;
            p->ctheta[i][j] = 0.0;
            p->ebound[i][j] = (2.8 * 2.8) / (4.0 * (2.8 - 1.0));
            if (i != j) {
                p->Ec[i][j] = p->re[i][j] = p->alpha[i][j] = 0.0;
                p->lattce[i][j] = LAT_FCC;
            }
            for (int k = 0; k < ME; k++) {
                p->Cmax[i][j][k] = 2.8;
                p->Cmin[i][j][k] = 2.0;
            }
        }
}

/* ---- library file ---------------------------------------------------- */

static int read_library(ts_md_meam *p, const char *path, const char *const *elements, int nel)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open MEAM library file", path);
    tokens t = {0};
    char buf[4096];
    int line = 0, rc = 0;
    while (fgets(buf, sizeof buf, fp)) {
        line++;
        if ((rc = split_line(&t, buf, " \t\r\n\f'\"", line))) break;
    }
    fclose(fp);
    if (rc) { tokens_free(&t); return rc; }

    int found[ME] = {0};
    for (int pos = 0; pos < t.n;) {
        if (pos + 19 > t.n) {
            rc = ts_error_set(TS_ERR_PARSE,
                              "%s:%d: incomplete MEAM library entry '%s': expected 19 values "
                              "(elt lat z ielement atwt alpha b0 b1 b2 b3 alat esub asub t0 t1 t2 "
                              "t3 rozero ibar), got %d",
                              path, t.line[pos], t.tok[pos], t.n - pos);
            break;
        }
        const char *elt = t.tok[pos];
        int idx = -1;
        for (int e = 0; e < nel; e++)
            if (strcmp(elements[e], elt) == 0) idx = e;
        if (idx >= 0 && !found[idx]) {
            double v[17];
            static const char *const what[17] = {"z", "ielement", "atwt", "alpha", "b0", "b1",
                                                 "b2", "b3", "alat", "esub", "asub", "t0",
                                                 "t1", "t2", "t3", "rozero", "ibar"};
            int lat = lattice_from_name(t.tok[pos + 1], 1);
            if (lat < 0) {
                rc = ts_error_set(TS_ERR_PARSE,
                                  "%s:%d: element %s: unknown single-element lattice '%s' "
                                  "(expected fcc bcc hcp dim dia dia3 lin zig tri sc)",
                                  path, t.line[pos + 1], elt, t.tok[pos + 1]);
                break;
            }
            for (int k = 0; k < 17 && !rc; k++)
                rc = parse_double(path, t.line[pos + 2 + k], what[k], t.tok[pos + 2 + k], &v[k]);
            if (rc) break;
            /* range checks before every double -> int conversion (out-of-range casts are UB) */
            int z = fabs(v[0]) <= 1e6 ? (int)v[0] : -1;
            if (v[0] != z || z != meam_get_Zij((meam_lattice)lat)) {
                rc = ts_error_set(TS_ERR_PARSE,
                                  "%s:%d: element %s: z = %g does not match lattice %s (Z = %d)",
                                  path, t.line[pos + 2], elt, v[0], lattice_names[lat],
                                  meam_get_Zij((meam_lattice)lat));
                break;
            }
            if (!meam_isone(v[11])) {
                rc = ts_error_set(TS_ERR_PARSE,
                                  "%s:%d: element %s: t0 = %g unsupported (must be 1, as in "
                                  "LAMMPS)",
                                  path, t.line[pos + 13], elt, v[11]);
                break;
            }
            int ibar = fabs(v[16]) <= 1e6 ? (int)v[16] : 2; /* 2: not a valid ibar */
            if (v[16] != ibar ||
                !(ibar == 0 || ibar == 1 || ibar == 3 || ibar == 4 || ibar == -5)) {
                rc = ts_error_set(TS_ERR_PARSE,
                                  "%s:%d: element %s: ibar = %g unsupported (expected 0, 1, 3, "
                                  "4 or -5)",
                                  path, t.line[pos + 18], elt, v[16]);
                break;
            }
            if (!(v[1] >= 1 && v[1] <= 118 && v[1] == floor(v[1]))) {
                rc = ts_error_set(TS_ERR_PARSE,
                                  "%s:%d: element %s: ielement = %g is not an atomic number (an "
                                  "integer in [1, 118])",
                                  path, t.line[pos + 3], elt, v[1]);
                break;
            }
            if (v[2] <= 0 || v[8] <= 0 || v[9] <= 0) {
                rc = ts_error_set(TS_ERR_RANGE,
                                  "%s:%d: element %s: atwt, alat and esub must be > 0", path,
                                  t.line[pos], elt);
                break;
            }
            found[idx] = 1;
            snprintf(p->name[idx], sizeof p->name[idx], "%s", elt);
            p->lattce[idx][idx] = (meam_lattice)lat;
            p->ielt[idx] = (int)v[1];
            p->mass[idx] = v[2];
            p->alpha[idx][idx] = v[3];
            p->beta0[idx] = v[4];
            p->beta1[idx] = v[5];
            p->beta2[idx] = v[6];
            p->beta3[idx] = v[7];
            double alat = v[8];
            p->Ec[idx][idx] = v[9];
            p->A[idx] = v[10];
            p->t0[idx] = v[11];
            p->t1[idx] = v[12];
            p->t2[idx] = v[13];
            p->t3[idx] = v[14];
            p->rho0[idx] = v[15];
            p->ibar[idx] = ibar;
            switch ((meam_lattice)lat) {
            case LAT_FCC: p->re[idx][idx] = alat / sqrt(2.0); break;
            case LAT_BCC: p->re[idx][idx] = alat * sqrt(3.0) / 2.0; break;
            case LAT_DIA:
            case LAT_DIA3: p->re[idx][idx] = alat * sqrt(3.0) / 4.0; break;
            default: p->re[idx][idx] = alat; break; /* hcp dim lin zig tri sc */
            }
        }
        pos += 19;
    }
    if (!rc)
        for (int e = 0; e < nel; e++)
            if (!found[e]) {
                rc = ts_error_set(TS_ERR_NOTFOUND, "%s: element '%s' not found in MEAM library",
                                  path, elements[e]);
                break;
            }
    tokens_free(&t);
    return rc;
}

/* ---- parameter file --------------------------------------------------- */

enum {
    K_EC, K_ALPHA, K_RHO0, K_DELTA, K_LATTCE, K_ATTRAC, K_REPULS, K_NN2, K_CMIN, K_CMAX, K_RC,
    K_DELR, K_AUGT1, K_GSMOOTH, K_RE, K_IALLOY, K_MIXREF, K_EROSE, K_ZBL, K_EMBLIN, K_BKGD,
    K_THETA, K_COUNT
};
static const char *const keywords[K_COUNT] = {
    "Ec", "alpha", "rho0", "delta", "lattce", "attrac", "repuls", "nn2", "Cmin", "Cmax", "rc",
    "delr", "augt1", "gsmooth_factor", "re", "ialloy", "mixture_ref_t", "erose_form", "zbl",
    "emb_lin_neg", "bkgd_dyn", "theta"};
static const int nindices[K_COUNT] = {2, 2, 1, 2, 2, 2, 2, 2, 3, 3, 0,
                                      0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 2};

static int flag_value(const char *path, int line, const char *kw, double v, int lo, int hi,
                      int *out)
{
    if (v != floor(v) || v < lo || v > hi)
        return ts_error_set(TS_ERR_PARSE, "%s:%d: %s: expected an integer in [%d, %d], got %g",
                            path, line, kw, lo, hi, v);
    *out = (int)v;
    return 0;
}

static int read_params(ts_md_meam *p, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open MEAM parameter file", path);
    char buf[4096];
    int line = 0, rc = 0;
    while (!rc && fgets(buf, sizeof buf, fp)) {
        line++;
        tokens t = {0};
        if ((rc = split_line(&t, buf, "=(), '\t\n\r\f\"", line))) { tokens_free(&t); break; }
        if (t.n == 0) { tokens_free(&t); continue; }
        int kw = -1;
        for (int k = 0; k < K_COUNT; k++)
            if (strcmp(t.tok[0], keywords[k]) == 0) kw = k;
        if (kw < 0) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: unknown MEAM keyword '%s'", path, line,
                              t.tok[0]);
            tokens_free(&t);
            break;
        }
        if (t.n != nindices[kw] + 2) {
            rc = ts_error_set(TS_ERR_PARSE,
                              "%s:%d: %s: expected %d index(es) and one value, got %d token(s)",
                              path, line, keywords[kw], nindices[kw], t.n - 1);
            tokens_free(&t);
            break;
        }
        int idx[3] = {0, 0, 0};
        for (int k = 0; k < nindices[kw] && !rc; k++) {
            rc = parse_int(path, line, keywords[kw], t.tok[1 + k], &idx[k]);
            if (!rc && (idx[k] < 1 || idx[k] > p->nelt))
                rc = ts_error_set(TS_ERR_RANGE, "%s:%d: %s: element index %d out of range 1..%d",
                                  path, line, keywords[kw], idx[k], p->nelt);
            idx[k]--;
        }
        const char *vs = t.tok[t.n - 1];
        double v = 0;
        int lat = -1;
        if (!rc) {
            if (kw == K_LATTCE) {
                lat = lattice_from_name(vs, 0);
                if (lat < 0)
                    rc = ts_error_set(TS_ERR_PARSE,
                                      "%s:%d: lattce: unknown reference structure '%s' (expected "
                                      "fcc bcc hcp dim dia dia3 b1 c11 l12 b2 ch4 lin zig tri sc)",
                                      path, line, vs);
            } else {
                rc = parse_double(path, line, keywords[kw], vs, &v);
            }
        }
        int i = idx[0], j = idx[1], k = idx[2], lo = i < j ? i : j, hi = i < j ? j : i;
        if (!rc) switch (kw) {
            case K_EC: p->Ec[i][j] = v; break;
            case K_ALPHA: p->alpha[i][j] = v; break;
            case K_RHO0: p->rho0[i] = v; break;
            case K_DELTA: p->delta[i][j] = v; break;
            case K_LATTCE: p->lattce[i][j] = (meam_lattice)lat; break;
            case K_ATTRAC: p->attrac[i][j] = v; break;
            case K_REPULS: p->repuls[i][j] = v; break;
            case K_NN2: rc = flag_value(path, line, "nn2", v, 0, 1, &p->nn2[lo][hi]); break;
            case K_CMIN: p->Cmin[i][j][k] = v; break;
            case K_CMAX: p->Cmax[i][j][k] = v; break;
            case K_RC:
                if (v <= 0) rc = ts_error_set(TS_ERR_RANGE, "%s:%d: rc must be > 0", path, line);
                p->rc = v;
                break;
            case K_DELR:
                if (v <= 0) rc = ts_error_set(TS_ERR_RANGE, "%s:%d: delr must be > 0", path, line);
                p->delr = v;
                break;
            case K_AUGT1: rc = flag_value(path, line, "augt1", v, 0, 1, &p->augt1); break;
            case K_GSMOOTH: p->gsmooth_factor = v; break;
            case K_RE: p->re[i][j] = v; break;
            case K_IALLOY: rc = flag_value(path, line, "ialloy", v, 0, 2, &p->ialloy); break;
            case K_MIXREF: rc = flag_value(path, line, "mixture_ref_t", v, 0, 1, &p->mix_ref_t); break;
            case K_EROSE: rc = flag_value(path, line, "erose_form", v, 0, 2, &p->erose_form); break;
            case K_ZBL: rc = flag_value(path, line, "zbl", v, 0, 1, &p->zbl[lo][hi]); break;
            case K_EMBLIN: rc = flag_value(path, line, "emb_lin_neg", v, 0, 1, &p->emb_lin_neg); break;
            case K_BKGD: rc = flag_value(path, line, "bkgd_dyn", v, 0, 1, &p->bkgd_dyn); break;
            case K_THETA:
                p->stheta[lo][hi] = sin(v / 2 * TS_MD_PI / 180.0);
                p->ctheta[lo][hi] = cos(v / 2 * TS_MD_PI / 180.0);
                break;
            default: break;
            }
        tokens_free(&t);
    }
    fclose(fp);
    return rc;
}

int ts_md_meam_load(const char *library, const char *params, const char *const *elements,
                    int nelements, ts_md_meam **out)
{
    *out = NULL;
    if (!library || !elements || nelements < 1 || nelements > ME)
        return ts_error_set(TS_ERR_INVAL, "MEAM: need a library file and 1..%d elements", ME);
    for (int e = 0; e < nelements; e++)
        for (int f = 0; f < e; f++)
            if (strcmp(elements[e], elements[f]) == 0)
                return ts_error_set(TS_ERR_INVAL, "MEAM: element '%s' given twice", elements[e]);
    ts_md_meam *p = calloc(1, sizeof *p);
    TS_CHECK_ALLOC(p);
    p->nelt = nelements;
    set_defaults(p);
    int rc = read_library(p, library, elements, nelements);
    if (!rc && params && strcmp(params, "NULL") != 0) rc = read_params(p, params);
    if (!rc) rc = ts_md_meam_setup_done(p);
    if (rc) { ts_md_meam_destroy(p); return rc; }
    *out = p;
    return 0;
}

void ts_md_meam_destroy(ts_md_meam *p)
{
    if (!p) return;
    free(p->phir);
    free(p->phirar);
    free(p);
}

int ts_md_meam_nelements(const ts_md_meam *p) { return p->nelt; }
const char *ts_md_meam_element(const ts_md_meam *p, int e)
{
    return (e >= 0 && e < p->nelt) ? p->name[e] : "";
}
double ts_md_meam_mass(const ts_md_meam *p, int e) { return (e >= 0 && e < p->nelt) ? p->mass[e] : 0; }
double ts_md_meam_cutoff(const ts_md_meam *p) { return p->rc; }
double ts_md_meam_screen_radius(const ts_md_meam *p)
{
    double eb = 1.0;
    for (int i = 0; i < p->nelt; i++)
        for (int j = 0; j < p->nelt; j++)
            if (p->ebtight[i][j] > eb) eb = p->ebtight[i][j];
    return p->rc * sqrt(eb);
}
int ts_md_meam_find(const ts_md_meam *p, const char *name)
{
    for (int e = 0; e < p->nelt; e++)
        if (strcmp(p->name[e], name) == 0) return e;
    return -1;
}
