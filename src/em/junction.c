/* Junction model of a post-void tree and the exact flux oracle (issue #10,
 * item 5). Seed 003 Sec. IV: segments solved by the closed forms (eqs. (7)
 * and (10) with the note's errata, closedform.c) driven by their end
 * gradients ϕ(t); junctions impose stress continuity (eq. (1), 1st BC) and
 * atomic flux conservation (2nd BC, with widths as in notes/em.md); blocked
 * terminals ϕ = -G (3rd BC); the void end σ = 0 (eq. (9)).
 * ϕ piecewise constant on t_n = nΔt: Duhamel superposition of the closed
 * form's step responses (exact for that ϕ; the only approximation is the
 * piecewise-constant ϕ, O(Δt)). Junction stress is linear in ϕ, so one
 * dense LU of the lag-1 system (the same at every step on a uniform grid)
 * and forward substitution in time give the fluxes directly. */
#include <lapacke.h>
#include <math.h>
#include <umfpack.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"
#include "bpinn_priv.h"

enum { END_BLOCKED = 0, END_ARM = 1, END_VOID = 2 };

struct ts_em_jmodel {
    int ns, nv, K;
    double dt, kappa;
    ts_em_params p;
    int *wa, *wb;
    double *width;
    int void_v;
    int *etype;    /* [2 ns] */
    double *R;     /* [ns][2 (a)][2 (b)][K]: σ at end a, unit step of ϕ at end b, lag (k+1)Δt */
    double *Rd;    /* same layout: Rd[m] = R[m] - R[m-1] (R[-1] = 0), response to a unit pulse */
    int nj;
    int *jv, *jn, *jends; /* [nj], [nj], [nj][4] */
    int *vfirst, *vends;  /* CSR vertex -> ends [nv+1], [2 ns] */
    int nu;
    int *uidx;     /* [2 ns] unknown index or -1 */
    double *LU;    /* [nu][nu] dense reference (row-major), NULL unless requested */
    lapack_int *piv;
    int dense;
    int *Ap, *Ai;  /* CSC of the lag-1 system [nu+1], [nnz] */
    double *Ax;
    void *numeric; /* UMFPACK factors */
};

void ts_em_jmodel_destroy(ts_em_jmodel *m)
{
    if (!m) return;
    free(m->wa);
    free(m->wb);
    free(m->width);
    free(m->etype);
    free(m->R);
    free(m->Rd);
    free(m->jv);
    free(m->jn);
    free(m->jends);
    free(m->vfirst);
    free(m->vends);
    free(m->uidx);
    free(m->LU);
    free(m->piv);
    free(m->Ap);
    free(m->Ai);
    free(m->Ax);
    if (m->numeric) umfpack_di_free_numeric(&m->numeric);
    free(m);
}

int ts_em_jmodel_set_dense(ts_em_jmodel *m, int dense)
{
    m->dense = dense != 0;
    if (!m->dense || m->LU || m->nu == 0) return 0;
    int nu = m->nu;
    m->LU = calloc((size_t)nu * nu, sizeof(double));
    m->piv = malloc((size_t)nu * sizeof(lapack_int));
    if (!m->LU || !m->piv) return ts_error_set(TS_ERR_NOMEM, "out of memory for the %d x %d flux system", nu, nu);
    for (int c = 0; c < nu; c++)
        for (int k = m->Ap[c]; k < m->Ap[c + 1]; k++) m->LU[(size_t)m->Ai[k] * nu + c] += m->Ax[k];
    lapack_int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, nu, nu, m->LU, nu, m->piv);
    if (info != 0) return ts_error_set(TS_ERR_SINGULAR, "jmodel: flux system singular (LAPACK info %d)", (int)info);
    return 0;
}

int ts_em_jmodel_K(const ts_em_jmodel *m) { return m->K; }
double ts_em_jmodel_dt(const ts_em_jmodel *m) { return m->dt; }
int ts_em_jmodel_njunctions(const ts_em_jmodel *m) { return m->nj; }

int ts_em_jmodel_junction(const ts_em_jmodel *m, int q, int *vertex, int *narm, int *ends)
{
    if (q < 0 || q >= m->nj) return ts_error_set(TS_ERR_RANGE, "junction %d of %d", q, m->nj);
    if (vertex) *vertex = m->jv[q];
    if (narm) *narm = m->jn[q];
    if (ends) memcpy(ends, m->jends + 4 * q, (size_t)m->jn[q] * sizeof(int));
    return 0;
}

void ts_em_jmodel_G(const ts_em_jmodel *m, const double *j, double *G)
{
    for (int s = 0; s < m->ns; s++) G[s] = ts_em_G(&m->p, j[s]);
}

static double *Rp(const ts_em_jmodel *m, int s, int a, int b) { return m->R + ((size_t)s * 4 + 2 * a + b) * m->K; }

int ts_em_jmodel_create(const ts_em_tree *t, const ts_em_params *p, double t_end, int K, ts_em_jmodel **out)
{
    *out = NULL;
    if (!t || !p || K < 1 || !(t_end > 0)) return ts_error_set(TS_ERR_INVAL, "jmodel: need a tree, K >= 1, t_end > 0");
    if (t->void_vertex < 0 || t->void_vertex >= t->nvert)
        return ts_error_set(TS_ERR_UNSUPPORTED, "jmodel: tree %s needs a void vertex (post-void phase)", t->name);
    if (p->sigma_T != 0) return ts_error_set(TS_ERR_UNSUPPORTED, "jmodel: initial stress must be 0 (got %g Pa)", p->sigma_T);
    ts_em_jmodel *m = calloc(1, sizeof *m);
    TS_CHECK_ALLOC(m);
    int ns = t->nwire, nv = t->nvert, rc = 0;
    m->ns = ns;
    m->nv = nv;
    m->K = K;
    m->dt = t_end / K;
    m->kappa = ts_em_kappa(p);
    m->p = *p;
    m->void_v = t->void_vertex;
    m->wa = malloc((size_t)ns * sizeof(int));
    m->wb = malloc((size_t)ns * sizeof(int));
    m->width = malloc((size_t)ns * sizeof(double));
    m->etype = malloc((size_t)2 * ns * sizeof(int));
    m->R = calloc((size_t)ns * 4 * K, sizeof(double));
    m->Rd = calloc((size_t)ns * 4 * K, sizeof(double));
    m->jv = malloc((size_t)nv * sizeof(int));
    m->jn = calloc((size_t)nv, sizeof(int));
    m->jends = malloc((size_t)nv * 4 * sizeof(int));
    m->vfirst = calloc((size_t)nv + 1, sizeof(int));
    m->vends = malloc((size_t)2 * ns * sizeof(int));
    m->uidx = malloc((size_t)2 * ns * sizeof(int));
    if (!m->wa || !m->wb || !m->width || !m->etype || !m->R || !m->Rd || !m->jv || !m->jn || !m->jends || !m->vfirst ||
        !m->vends || !m->uidx) {
        ts_em_jmodel_destroy(m);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for the junction model");
    }
    memcpy(m->wa, t->wa, (size_t)ns * sizeof(int));
    memcpy(m->wb, t->wb, (size_t)ns * sizeof(int));
    memcpy(m->width, t->width, (size_t)ns * sizeof(double));
    for (int s = 0; s < ns; s++) {
        m->vfirst[t->wa[s] + 1]++;
        m->vfirst[t->wb[s] + 1]++;
    }
    for (int v = 0; v < nv; v++) m->vfirst[v + 1] += m->vfirst[v];
    {
        int *fill = calloc((size_t)nv, sizeof(int));
        if (!fill) {
            ts_em_jmodel_destroy(m);
            return ts_error_set(TS_ERR_NOMEM, "out of memory");
        }
        for (int s = 0; s < ns; s++) {
            m->vends[m->vfirst[t->wa[s]] + fill[t->wa[s]]++] = 2 * s;
            m->vends[m->vfirst[t->wb[s]] + fill[t->wb[s]]++] = 2 * s + 1;
        }
        free(fill);
    }
    int vdeg = m->vfirst[m->void_v + 1] - m->vfirst[m->void_v];
    if (vdeg != 1) rc = ts_error_set(TS_ERR_UNSUPPORTED, "jmodel: the void vertex %d has %d arms (needs a leaf)", m->void_v, vdeg);
    m->nj = 0;
    m->nu = 0;
    for (int v = 0; v < nv && !rc; v++) {
        int d = m->vfirst[v + 1] - m->vfirst[v];
        for (int k = m->vfirst[v]; k < m->vfirst[v + 1]; k++) {
            int e = m->vends[k];
            m->etype[e] = v == m->void_v ? END_VOID : d == 1 ? END_BLOCKED : END_ARM;
            m->uidx[e] = m->etype[e] == END_ARM ? m->nu++ : -1;
        }
        if (d >= 2) {
            if (d > 4) {
                rc = ts_error_set(TS_ERR_UNSUPPORTED, "jmodel: vertex %d has %d arms (at most 4: left, up, right, down)", v, d);
                break;
            }
            m->jv[m->nj] = v;
            m->jn[m->nj] = d;
            for (int k = 0; k < d; k++) m->jends[4 * m->nj + k] = m->vends[m->vfirst[v] + k];
            m->nj++;
        }
    }
    if (!rc && ns != nv - 1) rc = ts_error_set(TS_ERR_UNSUPPORTED, "jmodel: tree %s has loops (%d wires, %d vertices)", t->name, ns, nv);
    /* step responses from the closed forms (zero initial stress) */
    for (int s = 0; s < ns && !rc; s++) {
        double L = t->len[s];
        int P = ts_em_segment_P(L, m->kappa, t_end);
        int kind = t->wb[s] == m->void_v ? 1 : t->wa[s] == m->void_v ? 2 : 0;
        for (int k = 0; k < K; k++) {
            double tk = (k + 1) * m->dt;
            if (kind == 0) {
                ts_em_segment sm = {0, L, m->kappa, 1.0, 0.0, NULL, 0, 0.0, P, 1};
                ts_em_segment sp = {0, L, m->kappa, 0.0, 1.0, NULL, 0, 0.0, P, 1};
                Rp(m, s, 0, 0)[k] = ts_em_segment_stress(&sm, 0, tk);
                Rp(m, s, 1, 0)[k] = ts_em_segment_stress(&sm, L, tk);
                Rp(m, s, 0, 1)[k] = ts_em_segment_stress(&sp, 0, tk);
                Rp(m, s, 1, 1)[k] = ts_em_segment_stress(&sp, L, tk);
            } else if (kind == 1) {
                ts_em_segment sm = {1, L, m->kappa, 1.0, 0.0, NULL, 0, 0.0, P, 1};
                Rp(m, s, 0, 0)[k] = ts_em_segment_stress(&sm, 0, tk);
            } else {
                ts_em_segment sp = {2, L, m->kappa, 0.0, 1.0, NULL, 0, 0.0, P, 1};
                Rp(m, s, 1, 1)[k] = ts_em_segment_stress(&sp, L, tk);
            }
        }
    }
    for (size_t i = 0; !rc && i < (size_t)ns * 4; i++)
        for (int k = 0; k < K; k++) m->Rd[i * K + k] = m->R[i * K + k] - (k ? m->R[i * K + k - 1] : 0.0);
    /* lag-1 system: per junction, conservation row then continuity rows */
    if (!rc && m->nu > 0) {
        int nu = m->nu;
        int cap = 16 * m->nj + 1, nz = 0;
        int *Ti = malloc((size_t)cap * sizeof(int)), *Tj = malloc((size_t)cap * sizeof(int));
        double *Tx = malloc((size_t)cap * sizeof(double));
        m->Ap = malloc(((size_t)nu + 1) * sizeof(int));
        m->Ai = malloc((size_t)cap * sizeof(int));
        m->Ax = malloc((size_t)cap * sizeof(double));
        if (!Ti || !Tj || !Tx || !m->Ap || !m->Ai || !m->Ax)
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory for the %d x %d flux system", nu, nu);
        int row = 0;
        for (int q = 0; q < m->nj && !rc; q++) {
            const int *E = m->jends + 4 * q;
            for (int k = 0; k < m->jn[q]; k++) {
                int e = E[k], s = e / 2;
                Ti[nz] = row, Tj[nz] = m->uidx[e], Tx[nz++] = m->width[s] * (e % 2 ? 1.0 : -1.0);
            }
            row++;
            for (int k = 1; k < m->jn[q]; k++, row++)
                for (int side = 0; side < 2; side++) {
                    int e = E[side ? k - 1 : k], s = e / 2, a = e % 2;
                    double sg = side ? -1.0 : 1.0;
                    for (int b = 0; b < 2; b++) {
                        int eb = 2 * s + b;
                        if (m->etype[eb] == END_ARM) Ti[nz] = row, Tj[nz] = m->uidx[eb], Tx[nz++] = sg * Rp(m, s, a, b)[0];
                    }
                }
        }
        if (!rc) { /* duplicates (an arm's own segment on both sides) are summed */
            int st = umfpack_di_triplet_to_col(nu, nu, nz, Ti, Tj, Tx, m->Ap, m->Ai, m->Ax, NULL);
            void *sym = NULL;
            if (st == UMFPACK_OK) st = umfpack_di_symbolic(nu, nu, m->Ap, m->Ai, m->Ax, &sym, NULL, NULL);
            if (st == UMFPACK_OK) st = umfpack_di_numeric(m->Ap, m->Ai, m->Ax, sym, &m->numeric, NULL, NULL);
            if (sym) umfpack_di_free_symbolic(&sym);
            if (st != UMFPACK_OK)
                rc = ts_error_set(st == UMFPACK_WARNING_singular_matrix ? TS_ERR_SINGULAR : TS_ERR_NUMERIC,
                                  "jmodel: UMFPACK status %d on the %d x %d flux system", st, nu, nu);
        }
        free(Ti);
        free(Tj);
        free(Tx);
    }
    if (rc) {
        ts_em_jmodel_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* σ at end e at step n (0-based) from phi [2ns][K], the sum over m <= n. */
static double end_stress(const ts_em_jmodel *m, const double *phi, int e, int n)
{
    if (m->etype[e] == END_VOID) return 0.0;
    int s = e / 2, a = e % 2, K = m->K;
    double acc = 0;
    for (int b = 0; b < 2; b++) {
        int eb = 2 * s + b;
        if (m->etype[eb] == END_VOID) continue;
        const double *r = Rp(m, s, a, b), *f = phi + (size_t)eb * K;
        for (int k = 0; k <= n; k++) acc += (f[k] - (k ? f[k - 1] : 0.0)) * r[n - k];
    }
    return acc;
}

int ts_em_jmodel_stress(const ts_em_jmodel *m, const double *phi, double *sig)
{
    for (int e = 0; e < 2 * m->ns; e++)
        for (int n = 0; n < m->K; n++) sig[(size_t)e * m->K + n] = end_stress(m, phi, e, n);
    return 0;
}

int ts_em_jmodel_stress_adjoint(const ts_em_jmodel *m, const double *dsig, double *dphi)
{
    int K = m->K;
    double *dd = malloc((size_t)(K + 1) * sizeof(double));
    TS_CHECK_ALLOC(dd);
    memset(dphi, 0, (size_t)2 * m->ns * K * sizeof(double));
    for (int s = 0; s < m->ns; s++)
        for (int b = 0; b < 2; b++) {
            int eb = 2 * s + b;
            if (m->etype[eb] == END_VOID) continue;
            /* dd[k] = ∂L/∂Δϕ_k = Σ_a Σ_{n>=k} dsig[a][n] R[a][b][n-k] */
            for (int k = 0; k <= K; k++) dd[k] = 0;
            for (int a = 0; a < 2; a++) {
                int ea = 2 * s + a;
                if (m->etype[ea] == END_VOID) continue;
                const double *r = Rp(m, s, a, b), *g = dsig + (size_t)ea * K;
                for (int k = 0; k < K; k++) {
                    double acc = 0;
                    for (int n = k; n < K; n++) acc += g[n] * r[n - k];
                    dd[k] += acc;
                }
            }
            for (int k = 0; k < K; k++) dphi[(size_t)eb * K + k] = dd[k] - dd[k + 1];
        }
    free(dd);
    return 0;
}

/* Batched kernels (layout [2 ns][K][D], D draws contiguous): with pulse
 * responses Rd, σ_a(t_n) = Σ_b Σ_{k<=n} ϕ_b[k] Rd_ab[n-k] (the Duhamel sum of
 * ts_em_jmodel_stress summed by parts) and its transpose
 * dϕ_b[k] = Σ_a Σ_{n>=k} dσ_a[n] Rd_ab[n-k]. One segment per call, so the
 * caller can run segments in parallel (each writes only its own ends). */
static inline __attribute__((always_inline)) void stress_seg_d(const ts_em_jmodel *m, int s, const int D,
                                                               const double *phi, double *sig)
{
    int K = m->K;
    for (int a = 0; a < 2; a++) {
        int ea = 2 * s + a;
        double *out = sig + (size_t)ea * K * D;
        memset(out, 0, (size_t)K * D * sizeof(double));
        if (m->etype[ea] == END_VOID) continue;
        for (int b = 0; b < 2; b++) {
            int eb = 2 * s + b;
            if (m->etype[eb] == END_VOID) continue;
            const double *r = m->Rd + ((size_t)s * 4 + 2 * a + b) * K, *f = phi + (size_t)eb * K * D;
            for (int n = 0; n < K; n++) {
                double *o = out + (size_t)n * D;
                for (int k = 0; k <= n; k++) {
                    double c = r[n - k];
                    const double *fk = f + (size_t)k * D;
#pragma omp simd
                    for (int d = 0; d < D; d++) o[d] += c * fk[d];
                }
            }
        }
    }
}

static inline __attribute__((always_inline)) void adjoint_seg_d(const ts_em_jmodel *m, int s, const int D,
                                                                const double *dsig, double *dphi)
{
    int K = m->K;
    for (int b = 0; b < 2; b++) {
        int eb = 2 * s + b;
        double *out = dphi + (size_t)eb * K * D;
        memset(out, 0, (size_t)K * D * sizeof(double));
        if (m->etype[eb] == END_VOID) continue;
        for (int a = 0; a < 2; a++) {
            int ea = 2 * s + a;
            if (m->etype[ea] == END_VOID) continue;
            const double *r = m->Rd + ((size_t)s * 4 + 2 * a + b) * K, *g = dsig + (size_t)ea * K * D;
            for (int k = 0; k < K; k++) {
                double *o = out + (size_t)k * D;
                for (int n = k; n < K; n++) {
                    double c = r[n - k];
                    const double *gn = g + (size_t)n * D;
#pragma omp simd
                    for (int d = 0; d < D; d++) o[d] += c * gn[d];
                }
            }
        }
    }
}

/* D = 8 (the training draws' default) and 32 (predict's batch) get copies
 * with D a constant, so each output row stays in registers. */
TS_EM_SIMD_CLONES void ts_em_jmodel_stress_seg(const ts_em_jmodel *m, int s, int D, const double *phi, double *sig)
{
    switch (D) {
    case 8: stress_seg_d(m, s, 8, phi, sig); break;
    case 32: stress_seg_d(m, s, 32, phi, sig); break;
    default: stress_seg_d(m, s, D, phi, sig);
    }
}

TS_EM_SIMD_CLONES void ts_em_jmodel_adjoint_seg(const ts_em_jmodel *m, int s, int D, const double *dsig, double *dphi)
{
    switch (D) {
    case 8: adjoint_seg_d(m, s, 8, dsig, dphi); break;
    case 32: adjoint_seg_d(m, s, 32, dsig, dphi); break;
    default: adjoint_seg_d(m, s, D, dsig, dphi);
    }
}

int ts_em_jmodel_nseg(const ts_em_jmodel *m) { return m->ns; }

const double *ts_em_jmodel_pulse(const ts_em_jmodel *m, int s, int a, int b)
{
    if (m->etype[2 * s + a] == END_VOID || m->etype[2 * s + b] == END_VOID) return NULL;
    return m->Rd + ((size_t)s * 4 + 2 * a + b) * m->K;
}

int ts_em_jmodel_solve(const ts_em_jmodel *m, const double *j, double *phi)
{
    int K = m->K, ns = m->ns, nu = m->nu;
    double *G = malloc((size_t)ns * sizeof(double)), *rhs = malloc(((size_t)nu + 1) * sizeof(double)),
           *sk = malloc((size_t)2 * ns * sizeof(double)), *x = malloc(((size_t)nu + 1) * sizeof(double));
    if (!G || !rhs || !sk || !x) {
        free(G);
        free(rhs);
        free(sk);
        free(x);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    ts_em_jmodel_G(m, j, G);
    for (int e = 0; e < 2 * ns; e++)
        for (int n = 0; n < K; n++) phi[(size_t)e * K + n] = m->etype[e] == END_BLOCKED ? -G[e / 2] : 0.0;
    int rc = 0;
    for (int n = 0; n < K && !rc; n++) {
        /* unknowns at step n provisionally = their previous values (Δ = 0) */
        for (int e = 0; e < 2 * ns; e++)
            if (m->etype[e] == END_ARM) phi[(size_t)e * K + n] = n ? phi[(size_t)e * K + n - 1] : 0.0;
        for (int e = 0; e < 2 * ns; e++) sk[e] = end_stress(m, phi, e, n);
        int row = 0;
        for (int q = 0; q < m->nj; q++) {
            const int *E = m->jends + 4 * q;
            /* conservation: Σ w n (ϕ + G) = 0 for the increments: w n Δϕ = -(w n (ϕ_prev + G)) */
            double c = 0;
            for (int k = 0; k < m->jn[q]; k++) {
                int e = E[k], s = e / 2;
                c += m->width[s] * (e % 2 ? 1.0 : -1.0) * (phi[(size_t)e * K + n] + G[s]);
            }
            rhs[row++] = -c;
            for (int k = 1; k < m->jn[q]; k++) rhs[row++] = -(sk[E[k]] - sk[E[k - 1]]);
        }
        if (nu > 0 && m->dense) {
            lapack_int info = LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'N', nu, 1, m->LU, nu, m->piv, rhs, 1);
            if (info != 0) rc = ts_error_set(TS_ERR_NUMERIC, "jmodel: dgetrs info %d", (int)info);
        } else if (nu > 0) {
            int st = umfpack_di_solve(UMFPACK_A, m->Ap, m->Ai, m->Ax, x, rhs, m->numeric, NULL, NULL);
            if (st != UMFPACK_OK) rc = ts_error_set(TS_ERR_NUMERIC, "jmodel: UMFPACK solve status %d", st);
            else memcpy(rhs, x, (size_t)nu * sizeof(double));
        }
        for (int e = 0; e < 2 * ns && !rc; e++)
            if (m->etype[e] == END_ARM) phi[(size_t)e * K + n] += rhs[m->uidx[e]];
    }
    free(G);
    free(rhs);
    free(sk);
    free(x);
    return rc;
}

void ts_em_jmodel_vertex_stress(const ts_em_jmodel *m, const double *sig, double *sv)
{
    int K = m->K, nv = m->nv;
    for (int v = 0; v < nv; v++) sv[v] = 0;
    for (int n = 0; n < K; n++)
        for (int v = 0; v < nv; v++) {
            double acc = 0;
            int d = m->vfirst[v + 1] - m->vfirst[v];
            for (int k = m->vfirst[v]; k < m->vfirst[v + 1]; k++) acc += sig[(size_t)m->vends[k] * K + n];
            sv[(size_t)(n + 1) * nv + v] = v == m->void_v || d == 0 ? 0.0 : acc / d;
        }
}
