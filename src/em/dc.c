/* DC analysis of a resistive power grid: nodal analysis with the
 * voltage-source nodes eliminated (modified nodal analysis for sources tied
 * to ground), G v = i with G sparse SPD, solved by CHOLMOD.
 *   Σ_{r∋n} (v_n - v_m)/R_r = -Σ I(leaving n)        (Kirchhoff current law)
 * notes/em.md "Inputs": EMspice scales every current source by 0.4. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cholmod.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

struct ts_em_dc {
    const ts_em_netlist *nl;
    double scale;
    int nfree;
    int *unk;        /* [nnodes] unknown index or -1 (fixed) */
    double *vfix;    /* [nnodes] fixed voltage (valid where unk < 0) */
    double *v;       /* [nnodes] solution */
    double *i;       /* [nres] branch currents a -> b */
    cholmod_common cm;
    cholmod_factor *L;
    cholmod_sparse *A; /* lower triangle, fixed pattern (build_pattern) */
    int *pa, *pb, *po; /* [nres] positions in A->x of (ua,ua), (ub,ub), (max,min); -1 if absent */
    int started;
};

static int uf_find(int *par, int x)
{
    while (par[x] != x) {
        par[x] = par[par[x]];
        x = par[x];
    }
    return x;
}

void ts_em_dc_destroy(ts_em_dc *dc)
{
    if (!dc) return;
    if (dc->started) {
        if (dc->L) cholmod_free_factor(&dc->L, &dc->cm);
        if (dc->A) cholmod_free_sparse(&dc->A, &dc->cm);
        cholmod_finish(&dc->cm);
    }
    free(dc->unk);
    free(dc->vfix);
    free(dc->v);
    free(dc->i);
    free(dc->pa);
    free(dc->pb);
    free(dc->po);
    free(dc);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The conductance matrix's lower triangle as CSC with sorted, unique rows
 * (diagonal first in every column) and, per resistor, the positions its
 * conductance is added to. The pattern depends only on the topology. */
static int build_pattern(ts_em_dc *dc)
{
    const ts_em_netlist *nl = dc->nl;
    int nf = dc->nfree, nr = nl->nres;
    size_t nrs = (size_t)nr + 1;
    dc->pa = malloc(nrs * sizeof(int));
    dc->pb = malloc(nrs * sizeof(int));
    dc->po = malloc(nrs * sizeof(int));
    int *cnt = calloc((size_t)nf + 1, sizeof(int)), *start = malloc(((size_t)nf + 1) * sizeof(int));
    int *rows = malloc(nrs * sizeof(int));
    int rc = 0;
    if (!dc->pa || !dc->pb || !dc->po || !cnt || !start || !rows) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    for (int r = 0; !rc && r < nr; r++) {
        int a = nl->res_a[r], b = nl->res_b[r];
        int ua = a >= 0 ? dc->unk[a] : -1, ub = b >= 0 ? dc->unk[b] : -1;
        if (ua >= 0 && ub >= 0) cnt[ua < ub ? ua : ub]++;
    }
    if (!rc) {
        start[0] = 0;
        for (int c = 0; c < nf; c++) start[c + 1] = start[c] + cnt[c];
        for (int c = 0; c < nf; c++) cnt[c] = start[c];
        for (int r = 0; r < nr; r++) {
            int a = nl->res_a[r], b = nl->res_b[r];
            int ua = a >= 0 ? dc->unk[a] : -1, ub = b >= 0 ? dc->unk[b] : -1;
            if (ua >= 0 && ub >= 0) rows[cnt[ua < ub ? ua : ub]++] = ua > ub ? ua : ub;
        }
        size_t nz = (size_t)nf;
        for (int c = 0; c < nf; c++) {
            int n = start[c + 1] - start[c];
            qsort(rows + start[c], (size_t)n, sizeof(int), cmp_int);
            for (int k = 0; k < n; k++)
                if (k == 0 || rows[start[c] + k] != rows[start[c] + k - 1]) nz++;
        }
        dc->A = cholmod_allocate_sparse((size_t)nf, (size_t)nf, nz, 1, 1, -1, CHOLMOD_REAL, &dc->cm);
        if (!dc->A) rc = ts_error_set(TS_ERR_NOMEM, "out of memory for the grid matrix");
    }
    if (!rc) {
        int *Ap = dc->A->p, *Ai = dc->A->i, q = 0;
        for (int c = 0; c < nf; c++) {
            Ap[c] = q;
            Ai[q++] = c;
            int n = start[c + 1] - start[c];
            for (int k = 0; k < n; k++)
                if (k == 0 || rows[start[c] + k] != rows[start[c] + k - 1]) Ai[q++] = rows[start[c] + k];
        }
        Ap[nf] = q;
        for (int r = 0; r < nr; r++) {
            int a = nl->res_a[r], b = nl->res_b[r];
            int ua = a >= 0 ? dc->unk[a] : -1, ub = b >= 0 ? dc->unk[b] : -1;
            dc->pa[r] = ua >= 0 ? Ap[ua] : -1;
            dc->pb[r] = ub >= 0 ? Ap[ub] : -1;
            dc->po[r] = -1;
            if (ua >= 0 && ub >= 0) {
                int c = ua < ub ? ua : ub, row = ua > ub ? ua : ub;
                int *hit = bsearch(&row, Ai + Ap[c] + 1, (size_t)(Ap[c + 1] - Ap[c] - 1), sizeof(int), cmp_int);
                dc->po[r] = (int)(hit - Ai);
            }
        }
    }
    free(cnt);
    free(start);
    free(rows);
    return rc;
}

/* Checks the topology: sources tied to ground, no dangling nodes, every
 * resistive island holds a fixed node. */
static int check_topology(ts_em_dc *dc)
{
    const ts_em_netlist *nl = dc->nl;
    int n = nl->nnodes;
    for (int k = 0; k < n; k++) dc->unk[k] = 0;
    for (int s = 0; s < nl->nvs; s++) {
        int a = nl->vs_a[s], b = nl->vs_b[s];
        if (a >= 0 && b >= 0)
            return ts_error_set(TS_ERR_UNSUPPORTED,
                                "%s:%d: voltage source between two non-ground nodes ('%s', '%s'): "
                                "only sources to ground are supported (IBM power-grid format)",
                                nl->path, nl->vs_line[s], nl->node_names[a], nl->node_names[b]);
        int node = a >= 0 ? a : b;
        double v = a >= 0 ? nl->vs_volt[s] : -nl->vs_volt[s];
        if (dc->unk[node] == -1 && dc->vfix[node] != v)
            return ts_error_set(TS_ERR_UNSUPPORTED, "%s:%d: node '%s' has two voltage sources with different values",
                                nl->path, nl->vs_line[s], nl->node_names[node]);
        dc->unk[node] = -1;
        dc->vfix[node] = v;
    }
    int *par = malloc((size_t)n * sizeof *par);
    char *has_r = calloc((size_t)n, 1);
    char *island_fixed = calloc((size_t)n, 1);
    if (!par || !has_r || !island_fixed) {
        free(par);
        free(has_r);
        free(island_fixed);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < n; k++) par[k] = k;
    for (int r = 0; r < nl->nres; r++) {
        int a = nl->res_a[r], b = nl->res_b[r];
        if (a >= 0) has_r[a] = 1;
        if (b >= 0) has_r[b] = 1;
        if (a >= 0 && b >= 0) {
            int ra = uf_find(par, a), rb = uf_find(par, b);
            if (ra != rb) par[ra] = rb;
        }
    }
    for (int r = 0; r < nl->nres; r++) { /* resistor to ground: island is anchored */
        int a = nl->res_a[r], b = nl->res_b[r];
        if (a < 0) island_fixed[uf_find(par, b)] = 1;
        if (b < 0) island_fixed[uf_find(par, a)] = 1;
    }
    for (int k = 0; k < n; k++)
        if (dc->unk[k] == -1) island_fixed[uf_find(par, k)] = 1;
    int rc = 0;
    for (int k = 0; k < n && !rc; k++) {
        if (!has_r[k] && dc->unk[k] != -1)
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: dangling node '%s': no resistor connects it to the grid",
                              nl->path, nl->node_line[k], nl->node_names[k]);
        else if (!island_fixed[uf_find(par, k)])
            rc = ts_error_set(TS_ERR_SINGULAR,
                              "%s:%d: singular grid: node '%s' lies on an island with no resistive path "
                              "to a voltage source or ground",
                              nl->path, nl->node_line[k], nl->node_names[k]);
    }
    free(par);
    free(has_r);
    free(island_fixed);
    if (rc) return rc;
    int nf = 0;
    for (int k = 0; k < n; k++)
        if (dc->unk[k] == 0) dc->unk[k] = nf++;
        else dc->unk[k] = -1;
    dc->nfree = nf;
    return 0;
}

int ts_em_dc_create(const ts_em_netlist *nl, double current_scale, ts_em_dc **out)
{
    if (!nl || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_dc_create: NULL argument");
    if (!isfinite(current_scale)) return ts_error_set(TS_ERR_INVAL, "current_scale must be finite");
    *out = NULL;
    ts_em_dc *dc = calloc(1, sizeof *dc);
    TS_CHECK_ALLOC(dc);
    dc->nl = nl;
    dc->scale = current_scale;
    size_t n = (size_t)(nl->nnodes > 0 ? nl->nnodes : 1);
    dc->unk = malloc(n * sizeof *dc->unk);
    dc->vfix = calloc(n, sizeof *dc->vfix);
    dc->v = calloc(n, sizeof *dc->v);
    dc->i = calloc((size_t)nl->nres + 1, sizeof *dc->i);
    if (!dc->unk || !dc->vfix || !dc->v || !dc->i) {
        ts_em_dc_destroy(dc);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    int rc = check_topology(dc);
    if (rc) {
        ts_em_dc_destroy(dc);
        return rc;
    }
    cholmod_start(&dc->cm);
    dc->cm.print = 0;
    dc->started = 1;
    if (dc->nfree > 0) rc = build_pattern(dc);
    if (rc) {
        ts_em_dc_destroy(dc);
        return rc;
    }
    *out = dc;
    return 0;
}

int ts_em_dc_clone(const ts_em_dc *src, ts_em_dc **out)
{
    if (!src || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_dc_clone: NULL argument");
    int rc = ts_em_dc_create(src->nl, src->scale, out);
    if (rc || !src->L) return rc;
    (*out)->L = cholmod_copy_factor(src->L, &(*out)->cm);
    if (!(*out)->L) {
        ts_em_dc_destroy(*out);
        *out = NULL;
        return ts_error_set(TS_ERR_NOMEM, "out of memory copying the grid factor");
    }
    return 0;
}

int ts_em_dc_solve(ts_em_dc *dc, const double *res_ohm) { return ts_em_dc_solve_loads(dc, res_ohm, NULL); }

int ts_em_dc_solve_loads(ts_em_dc *dc, const double *res_ohm, const double *load)
{
    if (!dc) return ts_error_set(TS_ERR_INVAL, "ts_em_dc_solve: NULL");
    const ts_em_netlist *nl = dc->nl;
    const double *R = res_ohm ? res_ohm : nl->res_ohm;
    int nf = dc->nfree;
    cholmod_common *cm = &dc->cm;
    for (int r = 0; r < nl->nres; r++)
        if (!(R[r] > 0) || !isfinite(R[r]))
            return ts_error_set(TS_ERR_RANGE, "resistor '%s': resistance %g is not positive", nl->res_names[r], R[r]);
    for (int k = 0; k < nl->nnodes; k++)
        if (dc->unk[k] < 0) dc->v[k] = dc->vfix[k];
    if (nf > 0) {
        cholmod_dense *bvec = cholmod_zeros((size_t)nf, 1, CHOLMOD_REAL, cm);
        if (!bvec) return ts_error_set(TS_ERR_NOMEM, "out of memory building the grid matrix");
        cholmod_sparse *A = dc->A;
        double *Ax = A->x, *rhs = bvec->x;
        size_t nz = (size_t)((int *)A->p)[nf];
        memset(Ax, 0, nz * sizeof(double));
        for (int r = 0; r < nl->nres; r++) {
            double g = 1.0 / R[r];
            int a = nl->res_a[r], b = nl->res_b[r];
            int ua = a >= 0 ? dc->unk[a] : -1, ub = b >= 0 ? dc->unk[b] : -1;
            double va = a >= 0 ? dc->vfix[a] : 0.0, vb = b >= 0 ? dc->vfix[b] : 0.0;
            if (ua >= 0) {
                Ax[dc->pa[r]] += g;
                if (ub < 0) rhs[ua] += g * vb;
            }
            if (ub >= 0) {
                Ax[dc->pb[r]] += g;
                if (ua < 0) rhs[ub] += g * va;
            }
            if (dc->po[r] >= 0) Ax[dc->po[r]] -= g;
        }
        for (int s = 0; s < nl->ncur; s++) {
            double I = nl->cur_amp[s] * dc->scale;
            if (load) I *= load[s];
            int a = nl->cur_a[s], b = nl->cur_b[s];
            if (a >= 0 && dc->unk[a] >= 0) rhs[dc->unk[a]] -= I;
            if (b >= 0 && dc->unk[b] >= 0) rhs[dc->unk[b]] += I;
        }
        if (!dc->L) dc->L = cholmod_analyze(A, cm);
        int ok = dc->L && cholmod_factorize(A, dc->L, cm);
        if (!ok || cm->status == CHOLMOD_NOT_POSDEF) {
            cholmod_free_dense(&bvec, cm);
            return ts_error_set(TS_ERR_SINGULAR, "%s: grid matrix is not positive definite (CHOLMOD status %d)",
                                nl->path, cm->status);
        }
        cholmod_dense *x = cholmod_solve(CHOLMOD_A, dc->L, bvec, cm);
        cholmod_free_dense(&bvec, cm);
        if (!x) return ts_error_set(TS_ERR_NUMERIC, "CHOLMOD solve failed (status %d)", cm->status);
        const double *xv = x->x;
        for (int k = 0; k < nl->nnodes; k++)
            if (dc->unk[k] >= 0) dc->v[k] = xv[dc->unk[k]];
        cholmod_free_dense(&x, cm);
    }
    for (int r = 0; r < nl->nres; r++) {
        int a = nl->res_a[r], b = nl->res_b[r];
        double va = a >= 0 ? dc->v[a] : 0.0, vb = b >= 0 ? dc->v[b] : 0.0;
        dc->i[r] = (va - vb) / R[r];
    }
    for (int k = 0; k < nl->nnodes; k++)
        if (!isfinite(dc->v[k]))
            return ts_error_set(TS_ERR_NUMERIC, "non-finite voltage at node '%s'", nl->node_names[k]);
    return 0;
}

const double *ts_em_dc_voltages(const ts_em_dc *dc) { return dc ? dc->v : NULL; }
const double *ts_em_dc_currents(const ts_em_dc *dc) { return dc ? dc->i : NULL; }
