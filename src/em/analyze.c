/* Full-grid EM analysis (notes/em.md): DC solve -> trees -> Korhonen stress
 * (seed 003 eq. (1)) -> nucleation at the first tree node with σ >= σ_crit ->
 * post-void stress (eq. (2), Robin or Dirichlet) -> void length
 *   L_void = -(1/(B w_v)) ∫ w σ dx      (EMspice convention, with widths)
 * -> resistance change of the voided wire
 *   ΔR = ρ_Ta L_void/(h_Ta w)  [ - ρ_Cu L_void/(h_Cu w) in the full form]
 * -> failure when ΔR/R >= threshold or L_void >= w (open) -> TTF per tree,
 * grid TTF = min over trees; the DC solution is recomputed at every output
 * time with the voided resistances. Trees advance independently (OpenMP). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

#define EM_YEAR_S 3.15576e7 /* Julian year, s */

void ts_em_params_default(ts_em_params *p)
{
    memset(p, 0, sizeof *p);
    p->T = 373.0;
    p->D0 = 7.5e-8;
    p->e = 1.609e-19;
    p->Ea = 0.84 * 1.609e-19; /* EMspice: Ea_ratio * E */
    p->kB = 1.3806e-23;
    p->B = 1e11;
    p->Omega = 1.182e-29;
    p->Z = 10.0;
    p->rho_cu = 3e-8;
    p->rho_ta = 1.76e-7;
    p->h_cu = 9e-8;
    p->h_ta = 2e-8;
    p->sigma_crit = 5e8;
    p->sigma_T = 0.0;
    p->delta = 1e-9;
    p->coord_unit = 1e-9;
    p->thickness = 6e-7;
    p->thickness_hi = 1.2e-6;
    p->width = 0.0;
    p->dr_threshold = 0.1;
    p->dr_full = 0;
    p->open_on_width = 1;
}

double ts_em_kappa(const ts_em_params *p)
{
    double Da = p->D0 * exp(-p->Ea / (p->kB * p->T));
    return Da * p->B * p->Omega / (p->kB * p->T);
}

/* Electron wind: atoms drift with the electrons, against the conventional
 * current j, so tensile stress builds at the cathode end (where electrons
 * enter the wire, the downstream end of the current). With Z = |Z*| this is
 * G = -e ρ j Z/Ω along the current (docs/em.md: sign convention). */
double ts_em_G(const ts_em_params *p, double j) { return -p->e * p->rho_cu * j * p->Z / p->Omega; }

void ts_em_options_default(ts_em_options *o)
{
    memset(o, 0, sizeof *o);
    o->years = 10.0;
    o->nout = 40;
    o->nsub = 5;
    o->theta = 1.0;
    o->ncell = 19;
    o->current_scale = 1.0;
    o->rule = TS_EM_TREES_AUTO;
    o->resolve_dc = 1;
    o->nthreads = 0;
    o->steps_per_decade = 20;
}

void ts_em_result_destroy(ts_em_result *r)
{
    if (!r) return;
    free(r->nseg);
    free(r->layer);
    free(r->loops);
    free(r->max_stress);
    free(r->t_nuc);
    free(r->void_len);
    free(r->dr_rel);
    free(r->ttf);
    free(r->void_wire);
    free(r->times);
    free(r->hist_max);
    free(r->hist_void);
    free(r->hist_dr);
    free(r->vert_node);
    free(r->vert_tree);
    free(r->vert_sigma);
    free(r->prof_s);
    free(r->prof_t);
    free(r->prof_sigma);
    free(r);
}

/* Per-tree state. */
typedef struct {
    ts_em_fv *fv;
    int nw, nv;
    int *wires;      /* resistor indices (borrowed from trees) */
    int *vnode;      /* [nv] netlist node per vertex */
    int *wa, *wb;    /* [nw] local vertices */
    double *len, *wid, *Gw;
    int void_v, void_wire;
    double t_nuc, ttf, lvoid, dr, dR, smax_prev;
    double snap_off; /* offset into profile snapshots */
} tree_state;

static void tree_free(tree_state *s)
{
    ts_em_fv_destroy(s->fv);
    free(s->vnode);
    free(s->wa);
    free(s->wb);
    free(s->len);
    free(s->wid);
    free(s->Gw);
}

static int set_currents(tree_state *s, const ts_em_trees *tr, const ts_em_params *p, const double *I)
{
    for (int k = 0; k < s->nw; k++) {
        int r = s->wires[k];
        double j = I[r] / (tr->wire_width[r] * tr->wire_thick[r]);
        s->Gw[k] = ts_em_G(p, j);
    }
    return ts_em_fv_set_G(s->fv, s->Gw);
}

/* Advance one tree over [t0, t0 + nsub dt]: nucleation and growth checks
 * after every implicit step. */
/* Step sizes over [t0, t_out]: geometric from dt0 (growth factor `grow`)
 * until they reach dtmax; the same sequence for every tree. */
static double next_dt(double t, double t_out, double dt0, double grow, double dtmax)
{
    double dt = t > 0 ? t * (grow - 1.0) : dt0;
    if (dt < dt0) dt = dt0;
    if (dt > dtmax) dt = dtmax;
    if (t + dt > t_out * (1 - 1e-12) || t_out - (t + dt) < 1e-3 * dt) dt = t_out - t;
    return dt;
}

static int tree_advance(tree_state *s, const ts_em_netlist *nl, const ts_em_params *p, double t0, double t_out,
                        double dt0, double grow, double dtmax, double theta, double *smax_out, long *nsteps)
{
    double smax_all = -INFINITY;
    for (double t = t0; t < t_out;) {
        double dt = next_dt(t, t_out, dt0, grow, dtmax);
        TS_TRY(ts_em_fv_step(s->fv, dt, theta));
        (*nsteps)++;
        double t1 = t + dt;
        t = t1;
        const double *sig = ts_em_fv_sigma(s->fv);
        int np = ts_em_fv_npoints(s->fv);
        for (int q = 0; q < np; q++)
            if (sig[q] > smax_all) smax_all = sig[q];
        if (s->void_v < 0) {
            int vmax = 0;
            for (int v = 1; v < s->nv; v++)
                if (sig[v] > sig[vmax]) vmax = v;
            double sm = sig[vmax];
            if (sm >= p->sigma_crit) {
                double f = sm > s->smax_prev ? (p->sigma_crit - s->smax_prev) / (sm - s->smax_prev) : 1.0;
                if (f < 0) f = 0;
                if (f > 1) f = 1;
                s->t_nuc = t1 - dt + f * dt;
                s->void_v = vmax;
                /* the void sits in the wire at vmax carrying the largest |G| */
                double best = -1;
                for (int w = 0; w < s->nw; w++)
                    if ((s->wa[w] == vmax || s->wb[w] == vmax) && fabs(s->Gw[w]) > best) {
                        best = fabs(s->Gw[w]);
                        s->void_wire = w;
                    }
                TS_TRY(ts_em_fv_set_void(s->fv, vmax, p->delta));
            }
            s->smax_prev = sm;
        } else if (!isfinite(s->ttf)) {
            int w = s->void_wire, r = s->wires[w];
            double wv = s->wid[w];
            double lv = -ts_em_fv_integral(s->fv) / (p->B * wv);
            if (lv < 0) lv = 0;
            double dR = lv * (p->rho_ta / (p->h_ta * wv) - (p->dr_full ? p->rho_cu / (p->h_cu * wv) : 0.0));
            double dr = dR / nl->res_ohm[r];
            int fail = dr >= p->dr_threshold || (p->open_on_width && lv >= wv);
            if (fail) {
                /* linear interpolation of the criterion within the step */
                double f = 1.0;
                if (dr >= p->dr_threshold && dr > s->dr) f = (p->dr_threshold - s->dr) / (dr - s->dr);
                else if (lv >= wv && lv > s->lvoid) f = (wv - s->lvoid) / (lv - s->lvoid);
                if (f < 0) f = 0;
                if (f > 1) f = 1;
                s->ttf = t1 - dt + f * dt;
            }
            s->lvoid = lv;
            s->dR = dR;
            s->dr = dr;
        } else {
            int w = s->void_wire;
            double wv = s->wid[w];
            double lv = -ts_em_fv_integral(s->fv) / (p->B * wv);
            if (lv < 0) lv = 0;
            s->lvoid = lv;
            s->dR = lv * (p->rho_ta / (p->h_ta * wv) - (p->dr_full ? p->rho_cu / (p->h_cu * wv) : 0.0));
            s->dr = s->dR / nl->res_ohm[s->wires[w]];
        }
    }
    *smax_out = smax_all;
    return 0;
}

static int build_states(const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_params *p,
                        const ts_em_options *o, tree_state *st, double kappa)
{
    int *local = malloc((size_t)nl->nnodes * sizeof(int) + 1);
    TS_CHECK_ALLOC(local);
    for (int k = 0; k < nl->nnodes; k++) local[k] = -1;
    int rc = 0;
    for (int i = 0; i < tr->ntrees && !rc; i++) {
        tree_state *s = &st[i];
        s->nw = tr->tree_first[i + 1] - tr->tree_first[i];
        s->wires = tr->tree_wires + tr->tree_first[i];
        s->vnode = malloc((size_t)(2 * s->nw) * sizeof(int));
        s->wa = malloc((size_t)s->nw * sizeof(int));
        s->wb = malloc((size_t)s->nw * sizeof(int));
        s->len = malloc((size_t)s->nw * sizeof(double));
        s->wid = malloc((size_t)s->nw * sizeof(double));
        s->Gw = calloc((size_t)s->nw, sizeof(double));
        s->void_v = -1;
        s->void_wire = -1;
        s->t_nuc = INFINITY;
        s->ttf = INFINITY;
        s->smax_prev = p->sigma_T;
        if (!s->vnode || !s->wa || !s->wb || !s->len || !s->wid || !s->Gw) {
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            break;
        }
        int nv = 0;
        for (int k = 0; k < s->nw; k++) {
            int r = s->wires[k];
            int ends[2] = {nl->res_a[r], nl->res_b[r]};
            for (int e = 0; e < 2; e++)
                if (local[ends[e]] < 0) {
                    local[ends[e]] = nv;
                    s->vnode[nv++] = ends[e];
                }
            s->wa[k] = local[ends[0]];
            s->wb[k] = local[ends[1]];
            s->len[k] = tr->wire_len[r];
            s->wid[k] = tr->wire_width[r];
        }
        s->nv = nv;
        for (int v = 0; v < nv; v++) local[s->vnode[v]] = -1;
        ts_em_wires w = {nv, s->nw, s->wa, s->wb, s->len, s->wid, o->ncell};
        rc = ts_em_fv_create(&w, kappa, p->sigma_T, 0, &s->fv);
    }
    free(local);
    return rc;
}

int ts_em_analyze(const ts_em_netlist *nl, const ts_em_params *p, const ts_em_options *o,
                  ts_em_trees **trees_out, ts_em_result **out)
{
    if (!nl || !p || !o || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_analyze: NULL argument");
    if (!(o->years > 0) || o->nout < 1 || o->nsub < 1 || o->ncell < 1 || !(o->theta >= 0.5 && o->theta <= 1))
        return ts_error_set(TS_ERR_RANGE, "options: need years > 0, nout >= 1, nsub >= 1, ncell >= 1, theta in [0.5,1]");
    if (!(p->B > 0) || !(p->sigma_crit > 0) || !(p->h_ta > 0) || !(p->h_cu > 0) || !(p->delta >= 0) ||
        !(p->T > 0) || !(p->Omega > 0))
        return ts_error_set(TS_ERR_RANGE, "parameters: B, sigma_crit, h_ta, h_cu, T, Omega must be > 0, delta >= 0");
    *out = NULL;
    if (trees_out) *trees_out = NULL;
    double wall0 = ts_time_now();
    double kappa = ts_em_kappa(p);
    ts_em_dc *dc = NULL;
    ts_em_trees *tr = NULL;
    tree_state *st = NULL;
    ts_em_result *res = NULL;
    double *Rnow = NULL, *snaps = NULL;
    int *snap_k = NULL;
    ts_progress *prog = NULL;
    int rc = ts_em_dc_create(nl, o->current_scale, &dc);
    if (!rc) rc = ts_em_dc_solve(dc, NULL);
    if (!rc) rc = ts_em_trees_build(nl, p, o->rule, &tr);
    if (rc) goto fail;
    int nt = tr->ntrees;
    st = calloc((size_t)nt, sizeof *st);
    res = calloc(1, sizeof *res);
    Rnow = malloc((size_t)nl->nres * sizeof(double));
    if (!st || !res || !Rnow) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(Rnow, nl->res_ohm, (size_t)nl->nres * sizeof(double));
    rc = build_states(nl, tr, p, o, st, kappa);
    if (rc) goto fail;
    const double *I = ts_em_dc_currents(dc);
    for (int i = 0; i < nt && !rc; i++) rc = set_currents(&st[i], tr, p, I);
    if (rc) goto fail;

    int ntime = o->nout + 1;
    res->ntrees = nt;
    res->nt = ntime;
    res->nseg = malloc((size_t)nt * sizeof(int));
    res->layer = malloc((size_t)nt * sizeof(int));
    res->loops = malloc((size_t)nt * sizeof(int));
    res->max_stress = malloc((size_t)nt * sizeof(double));
    res->t_nuc = malloc((size_t)nt * sizeof(double));
    res->void_len = malloc((size_t)nt * sizeof(double));
    res->dr_rel = malloc((size_t)nt * sizeof(double));
    res->ttf = malloc((size_t)nt * sizeof(double));
    res->void_wire = malloc((size_t)nt * sizeof(int));
    res->times = malloc((size_t)ntime * sizeof(double));
    res->hist_max = malloc((size_t)nt * ntime * sizeof(double));
    res->hist_void = calloc((size_t)nt * ntime, sizeof(double));
    res->hist_dr = calloc((size_t)nt * ntime, sizeof(double));
    int nvt = 0;
    long npts = 0;
    for (int i = 0; i < nt; i++) {
        st[i].snap_off = (double)npts;
        nvt += st[i].nv;
        npts += ts_em_fv_npoints(st[i].fv);
    }
    res->nvert_total = nvt;
    res->points = npts;
    res->vert_node = malloc((size_t)nvt * sizeof(int) + 1);
    res->vert_tree = malloc((size_t)nvt * sizeof(int) + 1);
    res->vert_sigma = malloc((size_t)nvt * ntime * sizeof(double) + 1);
    const int nsnap = 5;
    snap_k = malloc(nsnap * sizeof(int));
    snaps = malloc((size_t)npts * nsnap * sizeof(double) + 1);
    if (!res->nseg || !res->layer || !res->loops || !res->max_stress || !res->t_nuc || !res->void_len ||
        !res->dr_rel || !res->ttf || !res->void_wire || !res->times || !res->hist_max || !res->hist_void ||
        !res->hist_dr || !res->vert_node || !res->vert_tree || !res->vert_sigma || !snap_k || !snaps) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory for the result history");
        goto fail;
    }
    int nsnap_used = 0;
    for (int s = 0; s < nsnap; s++) {
        int kk = (int)lround((double)o->nout * (s + 1) / nsnap);
        if (s == 0 && o->nout >= 10) kk = o->nout / 10;
        if (kk < 1) kk = 1;
        if (nsnap_used == 0 || kk > snap_k[nsnap_used - 1]) snap_k[nsnap_used++] = kk;
    }
    {
        int v0 = 0;
        for (int i = 0; i < nt; i++) {
            res->nseg[i] = st[i].nw;
            res->layer[i] = tr->tree_layer[i];
            res->loops[i] = tr->tree_loops[i];
            res->max_stress[i] = p->sigma_T;
            for (int v = 0; v < st[i].nv; v++) {
                res->vert_node[v0 + v] = st[i].vnode[v];
                res->vert_tree[v0 + v] = i;
            }
            v0 += st[i].nv;
        }
    }
    /* record t = 0 */
    res->times[0] = 0;
    {
        int v0 = 0;
        for (int i = 0; i < nt; i++) {
            res->hist_max[(size_t)i * ntime] = p->sigma_T;
            for (int v = 0; v < st[i].nv; v++) res->vert_sigma[v0 + v] = p->sigma_T;
            v0 += st[i].nv;
        }
    }
    double t_end = o->years * EM_YEAR_S, dt_out = t_end / o->nout, dt = dt_out / o->nsub;
    /* early times resolved geometrically: nucleation can come within the
     * first output interval (armcore: ~1e6 s of a 3e8 s horizon) */
    double grow = o->steps_per_decade > 0 ? pow(10.0, 1.0 / o->steps_per_decade) : 1.0;
    double dt0 = o->steps_per_decade > 0 ? fmin(dt, 1e-6 * t_end) : dt;
    prog = ts_progress_create("em stress", o->nout, "step");
    int snap_next = 0;
    char errbuf[512] = "";
    for (int k = 1; k <= o->nout && !rc; k++) {
        double t0 = (k - 1) * dt_out;
        int err = 0;
        long steps0 = 0;
        int nthr = o->nthreads > 0 ? o->nthreads : omp_get_max_threads();
        /* small grids: a parallel region per output costs more than it saves */
        if (o->nthreads <= 0 && (nt < 4 || npts < 20000)) nthr = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr)
        for (int i = 0; i < nt; i++) {
            double smax;
            long ns = 0;
            int r1 = tree_advance(&st[i], nl, p, t0, k * dt_out, dt0, grow, dt, o->theta, &smax, &ns);
            if (i == 0) steps0 = ns;
            if (r1) {
#pragma omp critical(ts_em_err)
                {
                    if (!err) {
                        err = r1;
                        snprintf(errbuf, sizeof errbuf, "tree %d: %s", i, ts_error_message());
                    }
                }
                continue;
            }
            if (smax > res->max_stress[i]) res->max_stress[i] = smax;
            size_t h = (size_t)i * ntime + k;
            res->hist_max[h] = smax;
            res->hist_void[h] = st[i].lvoid;
            res->hist_dr[h] = st[i].dr;
        }
        if (err) {
            rc = ts_error_set(err, "%s", errbuf);
            break;
        }
        res->steps += (long)nt * steps0;
        res->times[k] = k * dt_out;
        int v0 = 0;
        for (int i = 0; i < nt; i++) {
            const double *sig = ts_em_fv_sigma(st[i].fv);
            for (int v = 0; v < st[i].nv; v++) res->vert_sigma[(size_t)k * nvt + v0 + v] = sig[v];
            v0 += st[i].nv;
        }
        if (snap_next < nsnap_used && k == snap_k[snap_next]) {
            for (int i = 0; i < nt; i++) {
                int np = ts_em_fv_npoints(st[i].fv);
                memcpy(snaps + (size_t)snap_next * npts + (size_t)st[i].snap_off, ts_em_fv_sigma(st[i].fv),
                       (size_t)np * sizeof(double));
            }
            snap_next++;
        }
        /* DC re-solve with the voided resistances */
        if (o->resolve_dc) {
            int changed = 0;
            for (int i = 0; i < nt; i++) {
                if (st[i].void_wire < 0) continue;
                int r = st[i].wires[st[i].void_wire];
                double Rn = nl->res_ohm[r] + st[i].dR;
                if (Rn != Rnow[r]) {
                    Rnow[r] = Rn;
                    changed = 1;
                }
            }
            if (changed) {
                rc = ts_em_dc_solve(dc, Rnow);
                I = ts_em_dc_currents(dc);
                for (int i = 0; i < nt && !rc; i++) rc = set_currents(&st[i], tr, p, I);
            }
        }
        if (ts_interrupted()) rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted at step %d of %d", k, o->nout);
        ts_progress_update(prog, k, NULL);
    }
    ts_progress_destroy(prog);
    prog = NULL;
    if (rc) goto fail;
    res->grid_ttf = INFINITY;
    int worst = 0;
    for (int i = 0; i < nt; i++) {
        res->t_nuc[i] = st[i].t_nuc;
        res->void_len[i] = st[i].lvoid;
        res->dr_rel[i] = st[i].dr;
        res->ttf[i] = st[i].ttf;
        res->void_wire[i] = st[i].void_wire >= 0 ? st[i].wires[st[i].void_wire] : -1;
        if (res->ttf[i] < res->grid_ttf) res->grid_ttf = res->ttf[i];
        int better;
        if (isfinite(res->ttf[worst]) || isfinite(res->ttf[i])) better = res->ttf[i] < res->ttf[worst];
        else if (isfinite(res->t_nuc[worst]) || isfinite(res->t_nuc[i])) better = res->t_nuc[i] < res->t_nuc[worst];
        else better = res->max_stress[i] > res->max_stress[worst];
        if (better) worst = i;
    }
    res->worst = worst;
    /* profile of the worst tree: distance from vertex 0 (Dijkstra on the wires) */
    {
        tree_state *s = &st[worst];
        int np = ts_em_fv_npoints(s->fv);
        double *dist = malloc((size_t)s->nv * sizeof(double));
        char *done = calloc((size_t)s->nv, 1);
        res->prof_s = malloc((size_t)np * sizeof(double));
        res->prof_t = malloc(nsnap * sizeof(double));
        res->prof_sigma = malloc((size_t)np * nsnap * sizeof(double));
        if (!dist || !done || !res->prof_s || !res->prof_t || !res->prof_sigma) {
            free(dist);
            free(done);
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (int v = 0; v < s->nv; v++) dist[v] = INFINITY;
        dist[0] = 0;
        for (int it = 0; it < s->nv; it++) {
            int u = -1;
            for (int v = 0; v < s->nv; v++)
                if (!done[v] && (u < 0 || dist[v] < dist[u])) u = v;
            if (u < 0 || !isfinite(dist[u])) break;
            done[u] = 1;
            for (int w = 0; w < s->nw; w++) {
                int a = s->wa[w], b = s->wb[w];
                if (a == u && dist[u] + s->len[w] < dist[b]) dist[b] = dist[u] + s->len[w];
                if (b == u && dist[u] + s->len[w] < dist[a]) dist[a] = dist[u] + s->len[w];
            }
        }
        for (int q = 0; q < np; q++) {
            int w;
            double x;
            ts_em_fv_point(s->fv, q, &w, &x);
            if (w < 0) {
                res->prof_s[q] = 0;
                continue;
            }
            double da = dist[s->wa[w]] + x, db = dist[s->wb[w]] + (s->len[w] - x);
            res->prof_s[q] = da < db ? da : db;
        }
        free(dist);
        free(done);
        res->nprof = np;
        res->nprof_t = snap_next;
        for (int sidx = 0; sidx < snap_next; sidx++) {
            res->prof_t[sidx] = snap_k[sidx] * dt_out;
            memcpy(res->prof_sigma + (size_t)sidx * np, snaps + (size_t)sidx * npts + (size_t)s->snap_off,
                   (size_t)np * sizeof(double));
        }
    }
    res->wall_s = ts_time_now() - wall0;
    for (int i = 0; i < nt; i++) tree_free(&st[i]);
    free(st);
    free(Rnow);
    free(snaps);
    free(snap_k);
    ts_em_dc_destroy(dc);
    *out = res;
    if (trees_out) *trees_out = tr;
    else ts_em_trees_destroy(tr);
    return 0;
fail:
    ts_progress_destroy(prog);
    if (st && tr)
        for (int i = 0; i < tr->ntrees; i++) tree_free(&st[i]);
    free(st);
    free(Rnow);
    free(snaps);
    free(snap_k);
    ts_em_result_destroy(res);
    ts_em_trees_destroy(tr);
    ts_em_dc_destroy(dc);
    return rc;
}
