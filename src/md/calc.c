/* ts_md_calc: owns neighbour lists and MEAM work arrays; decides when to
 * rebuild the Verlet lists (an atom moved more than skin/2, the atom count
 * or the cell changed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/calc_internal.h"

int ts_md_calc_create(const ts_md_meam *p, double skin, int nthreads, int reference,
                      ts_md_calc **out)
{
    *out = NULL;
    if (!p) return ts_error_set(TS_ERR_INVAL, "calc: no potential");
    if (!(skin >= 0.0) || skin > 10.0)
        return ts_error_set(TS_ERR_RANGE, "calc: neighbour skin %g Å outside [0, 10]", skin);
    ts_md_calc *c = calloc(1, sizeof *c);
    TS_CHECK_ALLOC(c);
    c->pot = p;
    c->skin = skin;
    c->nthreads = nthreads;
    c->reference = reference;
    c->rhalf = p->rc;
    double rs = ts_md_meam_screen_radius(p);
    c->rfull = rs > p->rc ? rs : p->rc;
    *out = c;
    return 0;
}

void ts_md_calc_destroy(ts_md_calc *c)
{
    if (!c) return;
    md_neigh_free(&c->nb);
    double *arrs[] = {c->rho0, c->rho, c->rho1, c->rho2, c->rho3, c->gamma, c->dgamma1,
                      c->dgamma2, c->dgamma3, c->frhop, c->t_ave, c->tbuf, c->tforce, c->scrfcn};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) free(arrs[k]);
    if (c->kc)
        for (int t = 0; t < c->kc_nt; t++) {
            free(c->kc[t].k);
            free(c->kc[t].d);
        }
    free(c->kc);
    free(c->kc_tid);
    free(c->kc_cnt);
    free(c->kc_off);
    free(c);
}

void ts_md_calc_invalidate(ts_md_calc *c) { c->valid = 0; }
long ts_md_calc_nbuilds(const ts_md_calc *c) { return c->nbuilds; }

/* The lists stay valid while every atom, ghosts included, is within skin/2
 * of its position at the last build (a changed cell moves the ghosts:
 * their images are recomputed from the new cell first, so small NPT cell
 * changes do not force rebuilds). Updates the ghost positions. */
static int need_rebuild(ts_md_calc *c, const ts_md_system *s)
{
    md_neigh *nb = &c->nb;
    if (!c->valid || nb->n_at_build != s->n) return 1;
    md_neigh_update_ghosts(c, s);
    double lim = 0.25 * c->skin * c->skin;
    for (int i = 0; i < nb->nall; i++) {
        double dx = nb->xall[3 * i] - nb->x_at_build[3 * i],
               dy = nb->xall[3 * i + 1] - nb->x_at_build[3 * i + 1],
               dz = nb->xall[3 * i + 2] - nb->x_at_build[3 * i + 2];
        if (dx * dx + dy * dy + dz * dz > lim) return 1;
    }
    /* the ghost region must still cover the list radius: an image just
     * outside it moves by at most (img_max + 1) sum_d |dh_d|; keep that
     * below skin/4 */
    double dh = 0;
    for (int q = 0; q < 9; q++) dh = fmax(dh, fabs(s->cell[q] - nb->cell_built[q]));
    if (3.0 * dh * (nb->img_max + 1) > 0.25 * c->skin) return 1;
    return 0;
}

int ts_md_calc_compute(ts_md_calc *c, ts_md_system *s, ts_md_result *res, double *eatom)
{
    if (!c || !s || !res) return ts_error_set(TS_ERR_INVAL, "calc: NULL argument");
    if (s->n < 1) return ts_error_set(TS_ERR_INVAL, "calc: no atoms");
    for (int i = 0; i < s->n; i++)
        if (s->type[i] < 0 || s->type[i] >= c->pot->nelt)
            return ts_error_set(TS_ERR_INVAL,
                                "calc: atom %d has type %d but the potential has %d element(s)",
                                i + 1, s->type[i] + 1, c->pot->nelt);
    if (need_rebuild(c, s)) {
        ts_md_system_wrap(s);
        TS_TRY(md_neigh_build(c, s));
        c->valid = 1;
        c->nbuilds++;
    }
    memcpy(c->nb.cell_at_build, s->cell, sizeof c->nb.cell_at_build);
    return md_meam_compute(c, s, res, eatom);
}
