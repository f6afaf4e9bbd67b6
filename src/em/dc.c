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
        cholmod_finish(&dc->cm);
    }
    free(dc->unk);
    free(dc->vfix);
    free(dc->v);
    free(dc->i);
    free(dc);
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
    *out = dc;
    return 0;
}

int ts_em_dc_solve(ts_em_dc *dc, const double *res_ohm)
{
    if (!dc) return ts_error_set(TS_ERR_INVAL, "ts_em_dc_solve: NULL");
    const ts_em_netlist *nl = dc->nl;
    const double *R = res_ohm ? res_ohm : nl->res_ohm;
    int nf = dc->nfree;
    cholmod_common *cm = &dc->cm;
    for (int k = 0; k < nl->nnodes; k++)
        if (dc->unk[k] < 0) dc->v[k] = dc->vfix[k];
    if (nf > 0) {
        size_t nz = (size_t)nl->nres * 3 + 1;
        cholmod_triplet *T = cholmod_allocate_triplet((size_t)nf, (size_t)nf, nz, -1, CHOLMOD_REAL, cm);
        cholmod_dense *bvec = cholmod_zeros((size_t)nf, 1, CHOLMOD_REAL, cm);
        if (!T || !bvec) {
            cholmod_free_triplet(&T, cm);
            cholmod_free_dense(&bvec, cm);
            return ts_error_set(TS_ERR_NOMEM, "out of memory building the grid matrix");
        }
        int *Ti = T->i, *Tj = T->j;
        double *Tx = T->x, *rhs = bvec->x;
        size_t t = 0;
        for (int r = 0; r < nl->nres; r++) {
            if (!(R[r] > 0) || !isfinite(R[r])) {
                cholmod_free_triplet(&T, cm);
                cholmod_free_dense(&bvec, cm);
                return ts_error_set(TS_ERR_RANGE, "resistor '%s': resistance %g is not positive",
                                    nl->res_names[r], R[r]);
            }
            double g = 1.0 / R[r];
            int a = nl->res_a[r], b = nl->res_b[r];
            int ua = a >= 0 ? dc->unk[a] : -1, ub = b >= 0 ? dc->unk[b] : -1;
            double va = a >= 0 ? dc->vfix[a] : 0.0, vb = b >= 0 ? dc->vfix[b] : 0.0;
            if (ua >= 0) {
                Ti[t] = ua; Tj[t] = ua; Tx[t] = g; t++;
                if (ub < 0) rhs[ua] += g * vb;
            }
            if (ub >= 0) {
                Ti[t] = ub; Tj[t] = ub; Tx[t] = g; t++;
                if (ua < 0) rhs[ub] += g * va;
            }
            if (ua >= 0 && ub >= 0) {
                Ti[t] = ua > ub ? ua : ub;
                Tj[t] = ua > ub ? ub : ua;
                Tx[t] = -g;
                t++;
            }
        }
        T->nnz = t;
        for (int s = 0; s < nl->ncur; s++) {
            double I = nl->cur_amp[s] * dc->scale;
            int a = nl->cur_a[s], b = nl->cur_b[s];
            if (a >= 0 && dc->unk[a] >= 0) rhs[dc->unk[a]] -= I;
            if (b >= 0 && dc->unk[b] >= 0) rhs[dc->unk[b]] += I;
        }
        cholmod_sparse *A = cholmod_triplet_to_sparse(T, t, cm);
        cholmod_free_triplet(&T, cm);
        if (!A) {
            cholmod_free_dense(&bvec, cm);
            return ts_error_set(TS_ERR_NOMEM, "out of memory converting the grid matrix");
        }
        if (!dc->L) dc->L = cholmod_analyze(A, cm);
        int ok = dc->L && cholmod_factorize(A, dc->L, cm);
        if (!ok || cm->status == CHOLMOD_NOT_POSDEF) {
            cholmod_free_sparse(&A, cm);
            cholmod_free_dense(&bvec, cm);
            return ts_error_set(TS_ERR_SINGULAR, "%s: grid matrix is not positive definite (CHOLMOD status %d)",
                                nl->path, cm->status);
        }
        cholmod_dense *x = cholmod_solve(CHOLMOD_A, dc->L, bvec, cm);
        cholmod_free_sparse(&A, cm);
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
