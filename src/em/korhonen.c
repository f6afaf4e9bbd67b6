/* Korhonen stress on interconnect trees and meshes, seed 003 eq. (1)-(2):
 *   dσ/dt = d/dx [ κ (dσ/dx + G) ]  on every wire,
 *   σ continuous and Σ_arms w κ (dσ/dx + G)·n = 0 at junctions (the width w
 *   is the note's correction of the seed), zero flux at blocked ends,
 *   void (post-nucleation): dσ/dn = σ/δ (Robin; erratum of eq. (2) in the
 *   note) or σ = 0 (Dirichlet, δ -> 0).
 * Vertex-centred finite volumes (second order in space): point p has the
 * volume V_p = Σ_{cells at p} w h/2 (per unit thickness) and
 *   V_p dσ_p/dt = Σ_e c_e (σ_q - σ_p) + Σ_e s_e,p,   c_e = κ w/h,
 *   s_e,p = ±κ w G (+ at the cell's start point, - at its end).
 * Theta scheme in time. Trees: leaf-to-root elimination, O(N) per step.
 * Meshes: CHOLMOD factorisation (cached while dt and the void are fixed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cholmod.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

struct ts_em_fv {
    int nvert, nwire, ncell, npts, ne;
    int *ea, *eb;     /* [ne] points */
    int *ewire;       /* [ne] */
    double *cond;     /* [ne] κ w / h, m^2/s */
    double *kw;       /* [ne] κ w, m^3/s */
    double *G;        /* [nwire] Pa/m */
    double *vol;      /* [npts] m^2 */
    double *sigma;    /* [npts] Pa */
    double *len;      /* [nwire] */
    double kappa;
    int void_v;       /* -1 none */
    double delta;
    /* tree path */
    int is_tree, force_sparse;
    int *order;       /* [npts] BFS order */
    int *parent, *pedge; /* [npts] -1 for roots */
    double *d, *r, *off; /* work [npts], [npts], [ne] */
    double *src;      /* [npts] source term b */
    double *fk;       /* [npts] elimination multipliers off/d per point (tree path) */
    double *offp;     /* [npts] coupling of each point to its parent */
    int tree_valid;   /* the tree factorisation (d, fk) matches tree_dt/theta/void */
    double tree_dt, tree_theta;
    int tree_void;
    double tree_delta;
    double *Asig;     /* [npts] */
    /* sparse path */
    int cm_started;
    cholmod_common cm;
    cholmod_factor *L;
    int *unk;         /* [npts] */
    double fact_dt, fact_theta;
    int fact_void;
    double fact_delta;
    int fact_valid;
    int sym_pattern;  /* Dirichlet vertex of the symbolic analysis (-1 none) */
    int src_valid;    /* src and robin match G and the void */
    double robin;
};

void ts_em_fv_destroy(ts_em_fv *fv)
{
    if (!fv) return;
    if (fv->cm_started) {
        if (fv->L) cholmod_free_factor(&fv->L, &fv->cm);
        cholmod_finish(&fv->cm);
    }
    free(fv->ea);
    free(fv->eb);
    free(fv->ewire);
    free(fv->cond);
    free(fv->kw);
    free(fv->G);
    free(fv->vol);
    free(fv->sigma);
    free(fv->len);
    free(fv->order);
    free(fv->parent);
    free(fv->pedge);
    free(fv->d);
    free(fv->r);
    free(fv->off);
    free(fv->src);
    free(fv->fk);
    free(fv->offp);
    free(fv->Asig);
    free(fv->unk);
    free(fv);
}

static int build_order(ts_em_fv *fv)
{
    int n = fv->npts, ne = fv->ne;
    int *deg = calloc((size_t)n + 1, sizeof(int));
    int *adj = malloc((size_t)2 * ne * sizeof(int) + 1);
    if (!deg || !adj) {
        free(deg);
        free(adj);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (int e = 0; e < ne; e++) {
        deg[fv->ea[e] + 1]++;
        deg[fv->eb[e] + 1]++;
    }
    for (int i = 0; i < n; i++) deg[i + 1] += deg[i];
    int *fill = malloc((size_t)n * sizeof(int) + 1);
    if (!fill) {
        free(deg);
        free(adj);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    memcpy(fill, deg, (size_t)n * sizeof(int));
    for (int e = 0; e < ne; e++) {
        adj[fill[fv->ea[e]]++] = e;
        adj[fill[fv->eb[e]]++] = e;
    }
    free(fill);
    for (int i = 0; i < n; i++) fv->parent[i] = -2;
    int head = 0, tail = 0, ncomp = 0;
    for (int s = 0; s < n; s++) {
        if (fv->parent[s] != -2) continue;
        ncomp++;
        fv->parent[s] = -1;
        fv->pedge[s] = -1;
        fv->order[tail++] = s;
        while (head < tail) {
            int p = fv->order[head++];
            for (int k = deg[p]; k < deg[p + 1]; k++) {
                int e = adj[k];
                int q = fv->ea[e] == p ? fv->eb[e] : fv->ea[e];
                if (fv->parent[q] != -2) continue;
                fv->parent[q] = p;
                fv->pedge[q] = e;
                fv->order[tail++] = q;
            }
        }
    }
    free(deg);
    free(adj);
    fv->is_tree = (ne == n - ncomp);
    return 0;
}

int ts_em_fv_create(const ts_em_wires *w, double kappa, double sigma0, int force_sparse, ts_em_fv **out)
{
    if (!w || !out || !w->wa || !w->wb || !w->len || !w->width)
        return ts_error_set(TS_ERR_INVAL, "ts_em_fv_create: NULL argument");
    if (w->nvert < 1 || w->nwire < 1 || w->ncell < 1)
        return ts_error_set(TS_ERR_RANGE, "ts_em_fv_create: need nvert >= 1, nwire >= 1, ncell >= 1");
    if (!(kappa > 0) || !isfinite(kappa)) return ts_error_set(TS_ERR_RANGE, "kappa must be > 0, got %g", kappa);
    for (int i = 0; i < w->nwire; i++) {
        if (!(w->len[i] > 0) || !isfinite(w->len[i]))
            return ts_error_set(TS_ERR_RANGE, "wire %d: length must be > 0, got %g m", i, w->len[i]);
        if (!(w->width[i] > 0) || !isfinite(w->width[i]))
            return ts_error_set(TS_ERR_RANGE, "wire %d: width must be > 0, got %g m", i, w->width[i]);
        if (w->wa[i] < 0 || w->wa[i] >= w->nvert || w->wb[i] < 0 || w->wb[i] >= w->nvert || w->wa[i] == w->wb[i])
            return ts_error_set(TS_ERR_RANGE, "wire %d: bad end vertices %d, %d", i, w->wa[i], w->wb[i]);
    }
    *out = NULL;
    ts_em_fv *fv = calloc(1, sizeof *fv);
    TS_CHECK_ALLOC(fv);
    int nc = w->ncell;
    fv->nvert = w->nvert;
    fv->nwire = w->nwire;
    fv->ncell = nc;
    fv->npts = w->nvert + w->nwire * (nc - 1);
    fv->ne = w->nwire * nc;
    fv->kappa = kappa;
    fv->void_v = -1;
    fv->force_sparse = force_sparse;
    size_t n = (size_t)fv->npts, ne = (size_t)fv->ne;
    fv->ea = malloc(ne * sizeof(int));
    fv->eb = malloc(ne * sizeof(int));
    fv->ewire = malloc(ne * sizeof(int));
    fv->cond = malloc(ne * sizeof(double));
    fv->kw = malloc(ne * sizeof(double));
    fv->off = malloc(ne * sizeof(double));
    fv->G = calloc((size_t)w->nwire, sizeof(double));
    fv->len = malloc((size_t)w->nwire * sizeof(double));
    fv->vol = calloc(n, sizeof(double));
    fv->sigma = malloc(n * sizeof(double));
    fv->order = malloc(n * sizeof(int));
    fv->parent = malloc(n * sizeof(int));
    fv->pedge = malloc(n * sizeof(int));
    fv->d = malloc(n * sizeof(double));
    fv->r = malloc(n * sizeof(double));
    fv->src = malloc(n * sizeof(double));
    fv->fk = malloc(n * sizeof(double));
    fv->offp = malloc(n * sizeof(double));
    fv->Asig = malloc(n * sizeof(double));
    fv->unk = malloc(n * sizeof(int));
    if (!fv->ea || !fv->eb || !fv->ewire || !fv->cond || !fv->kw || !fv->off || !fv->G || !fv->len || !fv->vol ||
        !fv->sigma || !fv->order || !fv->parent || !fv->pedge || !fv->d || !fv->r || !fv->src || !fv->fk || !fv->offp || !fv->Asig ||
        !fv->unk) {
        ts_em_fv_destroy(fv);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for %d points", fv->npts);
    }
    for (int i = 0; i < w->nwire; i++) {
        double h = w->len[i] / nc;
        fv->len[i] = w->len[i];
        for (int k = 0; k < nc; k++) {
            int e = i * nc + k;
            int pa = k == 0 ? w->wa[i] : w->nvert + i * (nc - 1) + (k - 1);
            int pb = k == nc - 1 ? w->wb[i] : w->nvert + i * (nc - 1) + k;
            fv->ea[e] = pa;
            fv->eb[e] = pb;
            fv->ewire[e] = i;
            fv->kw[e] = kappa * w->width[i];
            fv->cond[e] = kappa * w->width[i] / h;
            fv->vol[pa] += 0.5 * w->width[i] * h;
            fv->vol[pb] += 0.5 * w->width[i] * h;
        }
    }
    for (size_t p = 0; p < n; p++) fv->sigma[p] = sigma0;
    int rc = build_order(fv);
    if (rc) {
        ts_em_fv_destroy(fv);
        return rc;
    }
    *out = fv;
    return 0;
}

int ts_em_fv_set_G(ts_em_fv *fv, const double *G)
{
    if (!fv || !G) return ts_error_set(TS_ERR_INVAL, "ts_em_fv_set_G: NULL");
    for (int i = 0; i < fv->nwire; i++) {
        if (!isfinite(G[i])) return ts_error_set(TS_ERR_NUMERIC, "wire %d: non-finite G", i);
        fv->G[i] = G[i];
    }
    fv->src_valid = 0;
    return 0;
}

int ts_em_fv_set_void(ts_em_fv *fv, int v, double delta)
{
    if (!fv) return ts_error_set(TS_ERR_INVAL, "ts_em_fv_set_void: NULL");
    if (v < -1 || v >= fv->nvert) return ts_error_set(TS_ERR_RANGE, "void vertex %d out of range", v);
    if (!(delta >= 0) || !isfinite(delta)) return ts_error_set(TS_ERR_RANGE, "delta must be >= 0, got %g", delta);
    fv->void_v = v;
    fv->delta = delta;
    fv->fact_valid = 0;
    fv->tree_valid = 0;
    fv->src_valid = 0;
    if (v >= 0 && delta == 0) fv->sigma[v] = 0.0; /* Dirichlet: the void surface is stress-free */
    return 0;
}

/* src[p] (sources b) and, if asked, Asig[p] = (A σ)_p including the Robin
 * term; returns the Robin coefficient of the void vertex. */
static double assemble(ts_em_fv *fv, int need_Asig)
{
    int n = fv->npts, v = fv->void_v;
    if (!fv->src_valid) { /* sources change only with G and the void */
        memset(fv->src, 0, (size_t)n * sizeof(double));
        double rb = 0.0;
        for (int e = 0; e < fv->ne; e++) {
            int a = fv->ea[e], b = fv->eb[e];
            double s = fv->kw[e] * fv->G[fv->ewire[e]];
            if (a != v) fv->src[a] += s;
            if (b != v) fv->src[b] -= s;
            if ((a == v || b == v) && fv->delta > 0) rb += fv->kw[e] / fv->delta;
        }
        fv->robin = rb;
        fv->src_valid = 1;
    }
    double robin = fv->robin;
    if (need_Asig) {
        memset(fv->Asig, 0, (size_t)n * sizeof(double));
        for (int e = 0; e < fv->ne; e++) {
            int a = fv->ea[e], b = fv->eb[e];
            double f = fv->cond[e] * (fv->sigma[a] - fv->sigma[b]);
            fv->Asig[a] += f;
            fv->Asig[b] -= f;
        }
        if (v >= 0) fv->Asig[v] += robin * fv->sigma[v];
    }
    return robin;
}

/* Leaf-to-root elimination of V + θ dt A on the tree (no fill-in): d holds
 * the eliminated diagonal, fk the multipliers; kept while dt, θ and the void
 * are unchanged, so a step costs two O(N) sweeps over the right-hand side. */
static void factor_tree(ts_em_fv *fv, double dt, double theta, double robin)
{
    int n = fv->npts, v = fv->void_v;
    int dirichlet = v >= 0 && fv->delta == 0;
    for (int p = 0; p < n; p++) fv->d[p] = fv->vol[p];
    for (int e = 0; e < fv->ne; e++) {
        double c = theta * dt * fv->cond[e];
        fv->d[fv->ea[e]] += c;
        fv->d[fv->eb[e]] += c;
        fv->off[e] = -c;
        if (dirichlet && (fv->ea[e] == v || fv->eb[e] == v)) fv->off[e] = 0.0;
    }
    if (v >= 0) fv->d[v] += theta * dt * robin;
    if (dirichlet) fv->d[v] = 1.0;
    for (int k = n - 1; k >= 0; k--) {
        int p = fv->order[k], q = fv->parent[p];
        if (q < 0) {
            fv->fk[p] = 0;
            fv->offp[p] = 0;
            continue;
        }
        double c = fv->off[fv->pedge[p]];
        fv->offp[p] = c;
        fv->fk[p] = c / fv->d[p];
        fv->d[q] -= fv->fk[p] * c;
    }
    fv->tree_dt = dt;
    fv->tree_theta = theta;
    fv->tree_void = v;
    fv->tree_delta = fv->delta;
    fv->tree_valid = 1;
}

static int step_tree(ts_em_fv *fv, double dt, double theta)
{
    int n = fv->npts, v = fv->void_v;
    int dirichlet = v >= 0 && fv->delta == 0;
    double robin = assemble(fv, theta < 1.0);
    if (!fv->tree_valid || fv->tree_dt != dt || fv->tree_theta != theta || fv->tree_void != v ||
        fv->tree_delta != fv->delta)
        factor_tree(fv, dt, theta, robin);
    double *r = fv->r;
    if (theta < 1.0)
        for (int p = 0; p < n; p++)
            r[p] = fv->vol[p] * fv->sigma[p] - (1 - theta) * dt * fv->Asig[p] + dt * fv->src[p];
    else
        for (int p = 0; p < n; p++) r[p] = fv->vol[p] * fv->sigma[p] + dt * fv->src[p];
    if (dirichlet) r[v] = 0.0;
    for (int k = n - 1; k >= 0; k--) {
        int p = fv->order[k], q = fv->parent[p];
        if (q >= 0) r[q] -= fv->fk[p] * r[p];
    }
    for (int k = 0; k < n; k++) {
        int p = fv->order[k], q = fv->parent[p];
        double x = r[p];
        if (q >= 0) x -= fv->offp[p] * fv->sigma[q];
        fv->sigma[p] = x / fv->d[p];
    }
    return 0;
}

static int factor_sparse(ts_em_fv *fv, double dt, double theta)
{
    cholmod_common *cm = &fv->cm;
    if (!fv->cm_started) {
        cholmod_start(cm);
        cm->print = 0;
        fv->cm_started = 1;
    }
    int n = fv->npts, v = fv->void_v;
    int dirichlet = v >= 0 && fv->delta == 0;
    int nu = 0;
    for (int p = 0; p < n; p++) fv->unk[p] = (dirichlet && p == v) ? -1 : nu++;
    double robin = 0;
    if (v >= 0 && fv->delta > 0)
        for (int e = 0; e < fv->ne; e++)
            if (fv->ea[e] == v || fv->eb[e] == v) robin += fv->kw[e] / fv->delta;
    cholmod_triplet *T = cholmod_allocate_triplet((size_t)nu, (size_t)nu, (size_t)(n + 3 * fv->ne), -1,
                                                  CHOLMOD_REAL, cm);
    if (!T) return ts_error_set(TS_ERR_NOMEM, "out of memory (CHOLMOD triplet)");
    int *Ti = T->i, *Tj = T->j;
    double *Tx = T->x;
    size_t t = 0;
    for (int p = 0; p < n; p++) {
        if (fv->unk[p] < 0) continue;
        Ti[t] = Tj[t] = fv->unk[p];
        Tx[t++] = fv->vol[p] + (p == v ? theta * dt * robin : 0.0);
    }
    for (int e = 0; e < fv->ne; e++) {
        int ua = fv->unk[fv->ea[e]], ub = fv->unk[fv->eb[e]];
        double c = theta * dt * fv->cond[e];
        if (ua >= 0) { Ti[t] = Tj[t] = ua; Tx[t++] = c; }
        if (ub >= 0) { Ti[t] = Tj[t] = ub; Tx[t++] = c; }
        if (ua >= 0 && ub >= 0) {
            Ti[t] = ua > ub ? ua : ub;
            Tj[t] = ua > ub ? ub : ua;
            Tx[t++] = -c;
        }
    }
    T->nnz = t;
    cholmod_sparse *A = cholmod_triplet_to_sparse(T, t, cm);
    cholmod_free_triplet(&T, cm);
    if (!A) return ts_error_set(TS_ERR_NOMEM, "out of memory (CHOLMOD sparse)");
    /* the pattern changes only with the Dirichlet vertex: keep the symbolic
     * analysis otherwise and refactor numerically */
    int pattern = dirichlet ? v : -1;
    if (fv->L && fv->sym_pattern != pattern) cholmod_free_factor(&fv->L, cm);
    if (!fv->L) fv->L = cholmod_analyze(A, cm);
    fv->sym_pattern = pattern;
    int ok = fv->L && cholmod_factorize(A, fv->L, cm) && cm->status == CHOLMOD_OK;
    cholmod_free_sparse(&A, cm);
    if (!ok) return ts_error_set(TS_ERR_SINGULAR, "stress matrix factorisation failed (CHOLMOD status %d)", cm->status);
    fv->fact_dt = dt;
    fv->fact_theta = theta;
    fv->fact_void = v;
    fv->fact_delta = fv->delta;
    fv->fact_valid = 1;
    return 0;
}

static int step_sparse(ts_em_fv *fv, double dt, double theta)
{
    if (!fv->fact_valid || fv->fact_dt != dt || fv->fact_theta != theta || fv->fact_void != fv->void_v ||
        fv->fact_delta != fv->delta)
        TS_TRY(factor_sparse(fv, dt, theta));
    cholmod_common *cm = &fv->cm;
    int n = fv->npts;
    assemble(fv, 1);
    int nu = 0;
    for (int p = 0; p < n; p++)
        if (fv->unk[p] >= 0) nu++;
    cholmod_dense *b = cholmod_allocate_dense((size_t)nu, 1, (size_t)nu, CHOLMOD_REAL, cm);
    if (!b) return ts_error_set(TS_ERR_NOMEM, "out of memory (CHOLMOD dense)");
    double *bx = b->x;
    for (int p = 0; p < n; p++)
        if (fv->unk[p] >= 0)
            bx[fv->unk[p]] = fv->vol[p] * fv->sigma[p] - (1 - theta) * dt * fv->Asig[p] + dt * fv->src[p];
    cholmod_dense *x = cholmod_solve(CHOLMOD_A, fv->L, b, cm);
    cholmod_free_dense(&b, cm);
    if (!x) return ts_error_set(TS_ERR_NUMERIC, "CHOLMOD solve failed (status %d)", cm->status);
    const double *xv = x->x;
    for (int p = 0; p < n; p++) fv->sigma[p] = fv->unk[p] >= 0 ? xv[fv->unk[p]] : 0.0;
    cholmod_free_dense(&x, cm);
    return 0;
}

int ts_em_fv_step(ts_em_fv *fv, double dt, double theta)
{
    if (!fv) return ts_error_set(TS_ERR_INVAL, "ts_em_fv_step: NULL");
    if (!(dt > 0) || !isfinite(dt)) return ts_error_set(TS_ERR_RANGE, "time step must be > 0, got %g s", dt);
    if (!(theta >= 0.5 && theta <= 1.0))
        return ts_error_set(TS_ERR_RANGE, "theta must be in [0.5, 1], got %g", theta);
    if (fv->is_tree && !fv->force_sparse) return step_tree(fv, dt, theta);
    return step_sparse(fv, dt, theta);
}

int ts_em_fv_npoints(const ts_em_fv *fv) { return fv ? fv->npts : 0; }
double *ts_em_fv_sigma(ts_em_fv *fv) { return fv ? fv->sigma : NULL; }
int ts_em_fv_is_tree(const ts_em_fv *fv) { return fv ? fv->is_tree : 0; }

void ts_em_fv_point(const ts_em_fv *fv, int k, int *wire, double *x)
{
    /* vertices: report the first wire that touches them */
    if (k < fv->nvert) {
        for (int e = 0; e < fv->ne; e++) {
            if (fv->ea[e] == k && e % fv->ncell == 0) {
                *wire = fv->ewire[e];
                *x = 0.0;
                return;
            }
            if (fv->eb[e] == k && e % fv->ncell == fv->ncell - 1) {
                *wire = fv->ewire[e];
                *x = fv->len[fv->ewire[e]];
                return;
            }
        }
        *wire = -1;
        *x = 0;
        return;
    }
    int j = k - fv->nvert;
    int i = j / (fv->ncell - 1);
    *wire = i;
    *x = fv->len[i] * (double)(j % (fv->ncell - 1) + 1) / fv->ncell;
}

double ts_em_fv_integral(const ts_em_fv *fv)
{
    double s = 0;
    for (int p = 0; p < fv->npts; p++) s += fv->vol[p] * fv->sigma[p];
    return s;
}
