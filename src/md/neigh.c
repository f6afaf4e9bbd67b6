/* Periodic images ("ghost" atoms) and cell + Verlet neighbour lists for
 * triclinic cells. Ghosts are all images whose fractional coordinates lie
 * within r_list / w_d of the cell (w_d: perpendicular widths), so cells of
 * any size are handled exactly (an atom may see several images of one
 * neighbour, including its own). Binning is in fractional coordinates with
 * bins at least r_list / w_d wide: for any displacement r, |Δs_d| <= |r| / w_d,
 * so the ±1 neighbouring bins contain every neighbour. The half list keeps
 * pair (i, j) once: owner(j) > i, or owner(j) == i with a positive image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/calc_internal.h"

static void cross(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* inverse of the row-vector cell: s = x * inv (3x3, row-major) */
int md_cell_inverse(const double *h, double *inv)
{
    double det = h[0] * (h[4] * h[8] - h[5] * h[7]) - h[1] * (h[3] * h[8] - h[5] * h[6]) +
                 h[2] * (h[3] * h[7] - h[4] * h[6]);
    if (!(fabs(det) > 1e-12)) return ts_error_set(TS_ERR_INVAL, "cell is singular (volume %g)", det);
    inv[0] = (h[4] * h[8] - h[5] * h[7]) / det;
    inv[1] = (h[2] * h[7] - h[1] * h[8]) / det;
    inv[2] = (h[1] * h[5] - h[2] * h[4]) / det;
    inv[3] = (h[5] * h[6] - h[3] * h[8]) / det;
    inv[4] = (h[0] * h[8] - h[2] * h[6]) / det;
    inv[5] = (h[2] * h[3] - h[0] * h[5]) / det;
    inv[6] = (h[3] * h[7] - h[4] * h[6]) / det;
    inv[7] = (h[1] * h[6] - h[0] * h[7]) / det;
    inv[8] = (h[0] * h[4] - h[1] * h[3]) / det;
    return 0;
}

/* perpendicular widths of the cell, Å */
void md_cell_widths(const double *h, double w[3])
{
    double c[3], vol;
    cross(h + 3, h + 6, c);
    vol = fabs(h[0] * c[0] + h[1] * c[1] + h[2] * c[2]);
    w[0] = vol / sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    cross(h + 6, h, c);
    w[1] = vol / sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    cross(h, h + 3, c);
    w[2] = vol / sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
}

static int grow_all(md_neigh *nb, int need)
{
    if (need <= nb->cap_all) return 0;
    int cap = need + need / 2 + 64;
    double *x = realloc(nb->xall, (size_t)cap * 3 * sizeof *x);
    if (!x) return ts_error_set(TS_ERR_NOMEM, "out of memory (ghost atoms)");
    nb->xall = x;
    double *g = realloc(nb->gshift, (size_t)cap * 3 * sizeof *g);
    if (!g) return ts_error_set(TS_ERR_NOMEM, "out of memory (ghost atoms)");
    nb->gshift = g;
    int *o = realloc(nb->owner, (size_t)cap * sizeof *o);
    if (!o) return ts_error_set(TS_ERR_NOMEM, "out of memory (ghost atoms)");
    nb->owner = o;
    int *t = realloc(nb->typeall, (size_t)cap * sizeof *t);
    if (!t) return ts_error_set(TS_ERR_NOMEM, "out of memory (ghost atoms)");
    nb->typeall = t;
    int *im = realloc(nb->gimg, (size_t)cap * 3 * sizeof *im);
    if (!im) return ts_error_set(TS_ERR_NOMEM, "out of memory (ghost atoms)");
    nb->gimg = im;
    nb->cap_all = cap;
    return 0;
}

static int push_list(int **arr, long *cap, long n, int v)
{
    if (n >= *cap) {
        long nc = *cap ? 2 * *cap : 4096;
        int *a = realloc(*arr, (size_t)nc * sizeof *a);
        if (!a) return ts_error_set(TS_ERR_NOMEM, "out of memory (neighbour list)");
        *arr = a;
        *cap = nc;
    }
    (*arr)[n] = v;
    return 0;
}

void md_neigh_free(md_neigh *nb)
{
    free(nb->xall);
    free(nb->owner);
    free(nb->typeall);
    free(nb->gshift);
    free(nb->gimg);
    free(nb->half_off);
    free(nb->half_j);
    free(nb->full_off);
    free(nb->full_j);
    free(nb->full_r);
    free(nb->x_at_build);
    memset(nb, 0, sizeof *nb);
}

void md_neigh_update_ghosts(ts_md_calc *c, const ts_md_system *s)
{
    md_neigh *nb = &c->nb;
    if (memcmp(nb->cell_at_build, s->cell, sizeof nb->cell_at_build) != 0)
        for (int g = nb->nlocal; g < nb->nall; g++) {
            const int *im = nb->gimg + 3 * g;
            for (int d = 0; d < 3; d++)
                nb->gshift[3 * g + d] = im[0] * s->cell[d] + im[1] * s->cell[3 + d] + im[2] * s->cell[6 + d];
        }
    memcpy(nb->xall, s->x, (size_t)s->n * 3 * sizeof(double));
    for (int g = nb->nlocal; g < nb->nall; g++) {
        int o = nb->owner[g];
        for (int d = 0; d < 3; d++) nb->xall[3 * g + d] = s->x[3 * o + d] + nb->gshift[3 * g + d];
    }
}

/* Sort one atom's full-list segment by distance (insertion sort: the
 * segments hold ~100 entries, already roughly ordered by the bin sweep).
 * The screening loops stop at the first k beyond the ellipse bound plus the
 * skin, which is exact because no atom moves more than skin/2 before the
 * next rebuild. */
static void sort_segment(const double *xall, const double *xi, int *j, double *r, int n)
{
    for (int a = 0; a < n; a++) {
        const double *xk = xall + 3 * j[a];
        double dx = xk[0] - xi[0], dy = xk[1] - xi[1], dz = xk[2] - xi[2];
        r[a] = sqrt(dx * dx + dy * dy + dz * dz);
    }
    for (int a = 1; a < n; a++) {
        double rv = r[a];
        int jv = j[a], b = a - 1;
        while (b >= 0 && (r[b] > rv || (r[b] == rv && j[b] > jv))) {
            r[b + 1] = r[b];
            j[b + 1] = j[b];
            b--;
        }
        r[b + 1] = rv;
        j[b + 1] = jv;
    }
}

static int img_positive(const int *im)
{
    if (im[0] != 0) return im[0] > 0;
    if (im[1] != 0) return im[1] > 0;
    return im[2] > 0;
}

int md_neigh_build(ts_md_calc *c, const ts_md_system *s)
{
    md_neigh *nb = &c->nb;
    int n = s->n;
    double inv[9], w[3], m[3];
    TS_TRY(md_cell_inverse(s->cell, inv));
    md_cell_widths(s->cell, w);
    double rlist = (c->rfull > c->rhalf ? c->rfull : c->rhalf) + c->skin;
    int nimg[3];
    for (int d = 0; d < 3; d++) {
        m[d] = rlist / w[d];
        nimg[d] = (int)ceil(m[d]) + 1;
    }
    /* wrapped fractional coordinates of local atoms; the stored positions are
     * not modified: ghosts are images relative to the unwrapped positions */
    double *sfrac = malloc((size_t)n * 3 * sizeof *sfrac);
    int *wrapimg = malloc((size_t)n * 3 * sizeof *wrapimg);
    if (!sfrac || !wrapimg) {
        free(sfrac);
        free(wrapimg);
        return ts_error_set(TS_ERR_NOMEM, "out of memory (neighbour build)");
    }
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) {
            const double *x = s->x + 3 * i;
            double sd = x[0] * inv[d] + x[1] * inv[3 + d] + x[2] * inv[6 + d];
            double fl = floor(sd);
            sfrac[3 * i + d] = sd - fl;
            wrapimg[3 * i + d] = -(int)fl; /* image that brings x into the cell */
        }
    nb->nlocal = n;
    int rc = grow_all(nb, n);
    if (rc) goto out;
    for (int i = 0; i < n; i++) {
        nb->owner[i] = i;
        nb->typeall[i] = s->type[i];
        for (int d = 0; d < 3; d++) {
            nb->gshift[3 * i + d] = 0.0;
            nb->gimg[3 * i + d] = 0;
        }
    }
    int nall = n;
    for (int a = -nimg[0]; a <= nimg[0]; a++)
        for (int b = -nimg[1]; b <= nimg[1]; b++)
            for (int cc = -nimg[2]; cc <= nimg[2]; cc++) {
                for (int i = 0; i < n; i++) {
                    int im[3] = {a + wrapimg[3 * i], b + wrapimg[3 * i + 1],
                                 cc + wrapimg[3 * i + 2]};
                    if (im[0] == 0 && im[1] == 0 && im[2] == 0) continue;
                    double f0 = sfrac[3 * i] + a, f1 = sfrac[3 * i + 1] + b,
                           f2 = sfrac[3 * i + 2] + cc;
                    if (f0 < -m[0] || f0 > 1 + m[0] || f1 < -m[1] || f1 > 1 + m[1] ||
                        f2 < -m[2] || f2 > 1 + m[2])
                        continue;
                    if ((rc = grow_all(nb, nall + 1))) goto out;
                    nb->owner[nall] = i;
                    nb->typeall[nall] = s->type[i];
                    for (int d = 0; d < 3; d++) {
                        nb->gimg[3 * nall + d] = im[d];
                        nb->gshift[3 * nall + d] = im[0] * s->cell[d] + im[1] * s->cell[3 + d] +
                                                   im[2] * s->cell[6 + d];
                    }
                    nall++;
                }
            }
    nb->nall = nall;
    md_neigh_update_ghosts(c, s);

    /* lists */
    free(nb->half_off);
    free(nb->full_off);
    nb->half_off = malloc((size_t)(n + 1) * sizeof(int));
    nb->full_off = malloc((size_t)(n + 1) * sizeof(int));
    if (!nb->half_off || !nb->full_off) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory (neighbour list)");
        goto out;
    }
    double rh2 = (c->rhalf + c->skin) * (c->rhalf + c->skin);
    double rf2 = (c->rfull + c->skin) * (c->rfull + c->skin);
    long nh = 0, nf = 0;
    if (c->reference) {
        /* brute force: every atom against every (ghost) atom */
        for (int i = 0; i < n; i++) {
            nb->half_off[i] = (int)nh;
            nb->full_off[i] = (int)nf;
            const double *xi = nb->xall + 3 * i;
            for (int j = 0; j < nall; j++) {
                if (j == i) continue;
                double dx = nb->xall[3 * j] - xi[0], dy = nb->xall[3 * j + 1] - xi[1],
                       dz = nb->xall[3 * j + 2] - xi[2];
                double r2 = dx * dx + dy * dy + dz * dz;
                if (r2 < rf2 && (rc = push_list(&nb->full_j, &nb->full_cap, nf++, j))) goto out;
                int o = nb->owner[j];
                int keep = o > i || (o == i && img_positive(nb->gimg + 3 * j));
                if (keep && r2 < rh2 && (rc = push_list(&nb->half_j, &nb->half_cap, nh++, j)))
                    goto out;
            }
        }
    } else {
        /* bins in fractional coordinates over [-m, 1+m] */
        int nbin[3];
        double lo[3], bw[3];
        for (int d = 0; d < 3; d++) {
            lo[d] = -m[d] - 1e-9;
            double span = 1 + 2 * m[d] + 2e-9;
            nbin[d] = (int)floor(span / m[d]);
            if (nbin[d] < 1) nbin[d] = 1;
            if (nbin[d] > 1000) nbin[d] = 1000;
            bw[d] = span / nbin[d];
        }
        long nbins = (long)nbin[0] * nbin[1] * nbin[2];
        int *head = malloc((size_t)nbins * sizeof *head);
        int *next = malloc((size_t)nall * sizeof *next);
        int *binof = malloc((size_t)nall * sizeof *binof);
        if (!head || !next || !binof) {
            free(head);
            free(next);
            free(binof);
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory (cell list)");
            goto out;
        }
        for (long b = 0; b < nbins; b++) head[b] = -1;
        for (int j = nall - 1; j >= 0; j--) {
            const double *x = nb->xall + 3 * j;
            int bi[3];
            for (int d = 0; d < 3; d++) {
                double sd = x[0] * inv[d] + x[1] * inv[3 + d] + x[2] * inv[6 + d];
                int k = (int)floor((sd - lo[d]) / bw[d]);
                if (k < 0) k = 0;
                if (k >= nbin[d]) k = nbin[d] - 1;
                bi[d] = k;
            }
            long b = ((long)bi[0] * nbin[1] + bi[1]) * nbin[2] + bi[2];
            binof[j] = (int)b;
            next[j] = head[b];
            head[b] = j;
        }
        for (int i = 0; i < n && !rc; i++) {
            nb->half_off[i] = (int)nh;
            nb->full_off[i] = (int)nf;
            const double *xi = nb->xall + 3 * i;
            long b = binof[i];
            int b2 = (int)(b % nbin[2]), b1 = (int)((b / nbin[2]) % nbin[1]),
                b0 = (int)(b / ((long)nbin[1] * nbin[2]));
            for (int d0 = b0 - 1; d0 <= b0 + 1 && !rc; d0++) {
                if (d0 < 0 || d0 >= nbin[0]) continue;
                for (int d1 = b1 - 1; d1 <= b1 + 1 && !rc; d1++) {
                    if (d1 < 0 || d1 >= nbin[1]) continue;
                    for (int d2 = b2 - 1; d2 <= b2 + 1 && !rc; d2++) {
                        if (d2 < 0 || d2 >= nbin[2]) continue;
                        for (int j = head[((long)d0 * nbin[1] + d1) * nbin[2] + d2]; j >= 0;
                             j = next[j]) {
                            if (j == i) continue;
                            double dx = nb->xall[3 * j] - xi[0], dy = nb->xall[3 * j + 1] - xi[1],
                                   dz = nb->xall[3 * j + 2] - xi[2];
                            double r2 = dx * dx + dy * dy + dz * dz;
                            if (r2 >= rf2) continue;
                            if ((rc = push_list(&nb->full_j, &nb->full_cap, nf++, j))) break;
                            int o = nb->owner[j];
                            int keep = o > i || (o == i && img_positive(nb->gimg + 3 * j));
                            if (keep && r2 < rh2 &&
                                (rc = push_list(&nb->half_j, &nb->half_cap, nh++, j)))
                                break;
                        }
                    }
                }
            }
        }
        free(head);
        free(next);
        free(binof);
        if (rc) goto out;
    }
    nb->half_off[n] = (int)nh;
    nb->full_off[n] = (int)nf;
    if (nf > nb->fullr_cap) {
        free(nb->full_r);
        nb->full_r = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *nb->full_r);
        if (!nb->full_r) {
            nb->fullr_cap = 0;
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory (neighbour list)");
            goto out;
        }
        nb->fullr_cap = nf;
    }
    for (int i = 0; i < n; i++)
        sort_segment(nb->xall, nb->xall + 3 * i, nb->full_j + nb->full_off[i],
                     nb->full_r + nb->full_off[i], nb->full_off[i + 1] - nb->full_off[i]);
    if (nh > 2147483000L || nf > 2147483000L) {
        rc = ts_error_set(TS_ERR_RANGE, "neighbour list too long");
        goto out;
    }
    /* remember the build state */
    {
        double *xb = realloc(nb->x_at_build, (size_t)(nall > 0 ? nall : 1) * 3 * sizeof *xb);
        if (!xb) {
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory (neighbour list)");
            goto out;
        }
        nb->x_at_build = xb;
        memcpy(xb, nb->xall, (size_t)nall * 3 * sizeof *xb);
        memcpy(nb->cell_at_build, s->cell, sizeof nb->cell_at_build);
        memcpy(nb->cell_built, s->cell, sizeof nb->cell_built);
        nb->img_max = 0;
        for (int g = n; g < nall; g++)
            for (int d = 0; d < 3; d++)
                if (abs(nb->gimg[3 * g + d]) > nb->img_max) nb->img_max = abs(nb->gimg[3 * g + d]);
        nb->n_at_build = n;
    }
out:
    free(sfrac);
    free(wrapimg);
    return rc;
}
