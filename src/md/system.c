/* Atoms in a periodic cell: allocation, wrapping, checks, crystal builders
 * (fcc, bcc, hcp, diamond, beta-Sn, B2, L1_2, D0_3), random substitution,
 * perturbation and replication. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

int md_cell_inverse(const double *h, double *inv);
void md_cell_widths(const double *h, double w[3]);

ts_md_system *ts_md_system_create(int n)
{
    if (n < 0) {
        ts_error_set(TS_ERR_INVAL, "system: negative atom count");
        return NULL;
    }
    ts_md_system *s = calloc(1, sizeof *s);
    if (!s) {
        ts_error_set(TS_ERR_NOMEM, "out of memory (system)");
        return NULL;
    }
    size_t m = (size_t)(n > 0 ? n : 1);
    s->n = n;
    s->x = calloc(3 * m, sizeof(double));
    s->v = calloc(3 * m, sizeof(double));
    s->f = calloc(3 * m, sizeof(double));
    s->type = calloc(m, sizeof(int));
    if (!s->x || !s->v || !s->f || !s->type) {
        ts_md_system_destroy(s);
        ts_error_set(TS_ERR_NOMEM, "out of memory (system of %d atoms)", n);
        return NULL;
    }
    s->ntypes = 1;
    return s;
}

void ts_md_system_destroy(ts_md_system *s)
{
    if (!s) return;
    free(s->x);
    free(s->v);
    free(s->f);
    free(s->type);
    free(s);
}

ts_md_system *ts_md_system_copy(const ts_md_system *s)
{
    ts_md_system *c = ts_md_system_create(s->n);
    if (!c) return NULL;
    memcpy(c->cell, s->cell, sizeof c->cell);
    memcpy(c->x, s->x, (size_t)s->n * 3 * sizeof(double));
    memcpy(c->v, s->v, (size_t)s->n * 3 * sizeof(double));
    memcpy(c->f, s->f, (size_t)s->n * 3 * sizeof(double));
    memcpy(c->type, s->type, (size_t)s->n * sizeof(int));
    c->ntypes = s->ntypes;
    memcpy(c->elem, s->elem, sizeof c->elem);
    memcpy(c->mass, s->mass, sizeof c->mass);
    return c;
}

double ts_md_system_volume(const ts_md_system *s)
{
    const double *h = s->cell;
    return fabs(h[0] * (h[4] * h[8] - h[5] * h[7]) - h[1] * (h[3] * h[8] - h[5] * h[6]) +
                h[2] * (h[3] * h[7] - h[4] * h[6]));
}

void ts_md_system_wrap(ts_md_system *s)
{
    double inv[9];
    if (md_cell_inverse(s->cell, inv)) return;
    for (int i = 0; i < s->n; i++) {
        double *x = s->x + 3 * i, f[3];
        for (int d = 0; d < 3; d++) {
            f[d] = x[0] * inv[d] + x[1] * inv[3 + d] + x[2] * inv[6 + d];
            f[d] -= floor(f[d]);
            if (f[d] >= 1.0) f[d] = 0.0;
        }
        for (int d = 0; d < 3; d++)
            x[d] = f[0] * s->cell[d] + f[1] * s->cell[3 + d] + f[2] * s->cell[6 + d];
    }
}

int ts_md_system_bind(ts_md_system *s, const ts_md_meam *p)
{
    int ne = ts_md_meam_nelements(p);
    for (int i = 0; i < s->n; i++)
        if (s->type[i] < 0 || s->type[i] >= ne)
            return ts_error_set(TS_ERR_INVAL,
                                "atom %d has type %d, but the potential has %d element(s)", i + 1,
                                s->type[i] + 1, ne);
    s->ntypes = ne;
    for (int e = 0; e < ne; e++) {
        snprintf(s->elem[e], sizeof s->elem[e], "%s", ts_md_meam_element(p, e));
        s->mass[e] = ts_md_meam_mass(p, e);
    }
    return 0;
}

int ts_md_system_check(const ts_md_system *s, double frac_tol, double rmin)
{
    double inv[9], w[3];
    TS_TRY(md_cell_inverse(s->cell, inv));
    md_cell_widths(s->cell, w);
    for (int i = 0; i < s->n; i++) {
        const double *x = s->x + 3 * i;
        for (int d = 0; d < 3; d++) {
            double f = x[0] * inv[d] + x[1] * inv[3 + d] + x[2] * inv[6 + d];
            if (f < -frac_tol || f > 1 + frac_tol || !isfinite(f))
                return ts_error_set(TS_ERR_RANGE,
                                    "atom %d at (%g, %g, %g) Å lies outside the cell "
                                    "(fractional coordinate %g along cell vector %d)",
                                    i + 1, x[0], x[1], x[2], f, d + 1);
        }
    }
    /* overlapping atoms: cell list on a coarse grid of the minimum image would
     * be overkill for inputs; an O(N^2) check with all images within rmin */
    double r2min = rmin * rmin;
    int nimg[3];
    for (int d = 0; d < 3; d++) nimg[d] = (int)ceil(rmin / w[d]) + 1;
    if ((double)s->n * s->n > 4e8)
        return 0; /* too large for the quadratic check; lists report later */
    for (int i = 0; i < s->n; i++)
        for (int j = i; j < s->n; j++)
            for (int a = -nimg[0]; a <= nimg[0]; a++)
                for (int b = -nimg[1]; b <= nimg[1]; b++)
                    for (int c = -nimg[2]; c <= nimg[2]; c++) {
                        if (i == j && a == 0 && b == 0 && c == 0) continue;
                        double d2 = 0;
                        for (int d = 0; d < 3; d++) {
                            double dd = s->x[3 * j + d] - s->x[3 * i + d] + a * s->cell[d] +
                                        b * s->cell[3 + d] + c * s->cell[6 + d];
                            d2 += dd * dd;
                        }
                        if (d2 < r2min)
                            return ts_error_set(TS_ERR_RANGE,
                                                "atoms %d and %d overlap: distance %.4g Å < %g Å",
                                                i + 1, j + 1, sqrt(d2), rmin);
                    }
    return 0;
}

/* ---- builders ----------------------------------------------------------- */

typedef struct {
    double f[3];
    int site; /* 0 or 1: which of types[] */
} basis_site;

int ts_md_build_lattice(const char *kind, double a, double covera, const int n[3],
                        const int types[2], ts_md_system **out)
{
    *out = NULL;
    static const basis_site fcc[] = {{{0, 0, 0}, 0}, {{.5, .5, 0}, 0}, {{.5, 0, .5}, 0},
                                     {{0, .5, .5}, 0}};
    static const basis_site bcc[] = {{{0, 0, 0}, 0}, {{.5, .5, .5}, 0}};
    static const basis_site b2[] = {{{0, 0, 0}, 0}, {{.5, .5, .5}, 1}};
    static const basis_site l12[] = {{{0, 0, 0}, 1}, {{.5, .5, 0}, 0}, {{.5, 0, .5}, 0},
                                     {{0, .5, .5}, 0}};
    static const basis_site dia[] = {
        {{0, 0, 0}, 0},       {{.5, .5, 0}, 0},     {{.5, 0, .5}, 0},     {{0, .5, .5}, 0},
        {{.25, .25, .25}, 0}, {{.75, .75, .25}, 0}, {{.75, .25, .75}, 0}, {{.25, .75, .75}, 0}};
    /* hcp in an orthorhombic cell a x sqrt(3)a x c */
    static const basis_site hcp[] = {{{0, 0, 0}, 0},
                                     {{.5, .5, 0}, 0},
                                     {{.5, 5.0 / 6.0, .5}, 0},
                                     {{0, 1.0 / 3.0, .5}, 0}};
    /* beta-Sn (A5, I4_1/amd, origin choice 1): 4 atoms in the conventional cell */
    static const basis_site bsn[] = {{{0, 0, 0}, 0}, {{.5, .5, .5}, 0}, {{0, .5, .25}, 0},
                                     {{.5, 0, .75}, 0}};
    /* D0_3 (BiF3 type, Fe3Al): majority on fcc + tetrahedral 8c, minority on 4b... */
    static const basis_site d03[] = {
        {{0, 0, 0}, 1},       {{.5, .5, 0}, 1},     {{.5, 0, .5}, 1},     {{0, .5, .5}, 1},
        {{.5, 0, 0}, 0},      {{0, .5, 0}, 0},      {{0, 0, .5}, 0},      {{.5, .5, .5}, 0},
        {{.25, .25, .25}, 0}, {{.75, .75, .25}, 0}, {{.75, .25, .75}, 0}, {{.25, .75, .75}, 0},
        {{.75, .75, .75}, 0}, {{.25, .25, .75}, 0}, {{.25, .75, .25}, 0}, {{.75, .25, .25}, 0}};
    const basis_site *B;
    int nb;
    double ax = a, ay = a, az = a;
    if (!strcmp(kind, "fcc")) { B = fcc; nb = 4; }
    else if (!strcmp(kind, "bcc")) { B = bcc; nb = 2; }
    else if (!strcmp(kind, "b2")) { B = b2; nb = 2; }
    else if (!strcmp(kind, "l12")) { B = l12; nb = 4; }
    else if (!strcmp(kind, "dia")) { B = dia; nb = 8; }
    else if (!strcmp(kind, "d03")) { B = d03; nb = 16; }
    else if (!strcmp(kind, "hcp")) {
        B = hcp; nb = 4;
        ay = a * sqrt(3.0);
        az = a * (covera > 0 ? covera : sqrt(8.0 / 3.0));
    } else if (!strcmp(kind, "bsn")) {
        B = bsn; nb = 4;
        az = a * (covera > 0 ? covera : 0.5456);
    } else
        return ts_error_set(TS_ERR_INVAL,
                            "unknown lattice '%s' (expected fcc bcc hcp dia bsn b2 l12 d03)", kind);
    if (!(a > 0) || n[0] < 1 || n[1] < 1 || n[2] < 1)
        return ts_error_set(TS_ERR_INVAL, "lattice: need a > 0 and repetitions >= 1");
    long natoms = (long)nb * n[0] * n[1] * n[2];
    if (natoms > 50000000L) return ts_error_set(TS_ERR_RANGE, "lattice: too many atoms (%ld)", natoms);
    ts_md_system *s = ts_md_system_create((int)natoms);
    if (!s) return ts_error_code();
    s->cell[0] = ax * n[0];
    s->cell[4] = ay * n[1];
    s->cell[8] = az * n[2];
    int k = 0, maxt = 0;
    for (int i = 0; i < n[0]; i++)
        for (int j = 0; j < n[1]; j++)
            for (int l = 0; l < n[2]; l++)
                for (int b = 0; b < nb; b++, k++) {
                    s->x[3 * k] = (i + B[b].f[0]) * ax;
                    s->x[3 * k + 1] = (j + B[b].f[1]) * ay;
                    s->x[3 * k + 2] = (l + B[b].f[2]) * az;
                    s->type[k] = types ? types[B[b].site] : 0;
                    if (s->type[k] > maxt) maxt = s->type[k];
                }
    s->ntypes = maxt + 1;
    *out = s;
    return 0;
}

int ts_md_randomize_types(ts_md_system *s, const double *frac, int ntypes, uint64_t seed)
{
    double sum = 0;
    for (int t = 0; t < ntypes; t++) {
        if (frac[t] < 0) return ts_error_set(TS_ERR_INVAL, "negative fraction");
        sum += frac[t];
    }
    if (fabs(sum - 1.0) > 1e-6) return ts_error_set(TS_ERR_INVAL, "fractions sum to %g, not 1", sum);
    ts_rng *r = ts_rng_create(seed, 11);
    if (!r) return ts_error_set(TS_ERR_NOMEM, "out of memory (rng)");
    for (int i = 0; i < s->n; i++) {
        double u = ts_rng_uniform(r), c = 0;
        int t = ntypes - 1;
        for (int q = 0; q < ntypes; q++) {
            c += frac[q];
            if (u < c) { t = q; break; }
        }
        s->type[i] = t;
    }
    if (ntypes > s->ntypes) s->ntypes = ntypes;
    ts_rng_destroy(r);
    return 0;
}

int ts_md_perturb(ts_md_system *s, double sd, uint64_t seed)
{
    ts_rng *r = ts_rng_create(seed, 12);
    if (!r) return ts_error_set(TS_ERR_NOMEM, "out of memory (rng)");
    for (int i = 0; i < 3 * s->n; i++) s->x[i] += ts_rng_normal(r, 0.0, sd);
    ts_rng_destroy(r);
    return 0;
}

int ts_md_replicate(const ts_md_system *s, const int n[3], ts_md_system **out)
{
    *out = NULL;
    long total = (long)s->n * n[0] * n[1] * n[2];
    if (n[0] < 1 || n[1] < 1 || n[2] < 1 || total > 50000000L)
        return ts_error_set(TS_ERR_INVAL, "replicate: bad repetition counts");
    ts_md_system *r = ts_md_system_create((int)total);
    if (!r) return ts_error_code();
    int k = 0;
    for (int a = 0; a < n[0]; a++)
        for (int b = 0; b < n[1]; b++)
            for (int c = 0; c < n[2]; c++)
                for (int i = 0; i < s->n; i++, k++) {
                    for (int d = 0; d < 3; d++) {
                        r->x[3 * k + d] = s->x[3 * i + d] + a * s->cell[d] + b * s->cell[3 + d] +
                                          c * s->cell[6 + d];
                        r->v[3 * k + d] = s->v[3 * i + d];
                    }
                    r->type[k] = s->type[i];
                }
    for (int d = 0; d < 3; d++) {
        r->cell[d] = s->cell[d] * n[0];
        r->cell[3 + d] = s->cell[3 + d] * n[1];
        r->cell[6 + d] = s->cell[6 + d] * n[2];
    }
    r->ntypes = s->ntypes;
    memcpy(r->elem, s->elem, sizeof r->elem);
    memcpy(r->mass, s->mass, sizeof r->mass);
    *out = r;
    return 0;
}
