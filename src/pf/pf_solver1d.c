/* One-dimensional multi-phase-field solver (planar layers, normal x).
 *
 * Equations (seed 002):
 *   phi_r = eta_r^2 / sum eta^2                                  eq. (1)
 *   dc/dt = d/dx [ (sum phi_r M_r) d mu/dx ],  M_r = D_r / A_r    eqs. (5), (6)
 *   deta_r/dt = -L(eta) [ (2 eta_r/sum eta^2)(g_r - sum phi_s g_s)
 *                + m (eta_r^3 - eta_r + 2 gamma eta_r sum_{s!=r} eta_s^2)
 *                - kappa d2eta_r/dx2 ]                            eqs. (7), (A.4), (A.5), (B.3)
 *   g_r = omega_r(mu) + w_r - S11 eps11_r - S12 gamma12_r + R0_r p_r
 *   L(eta) = sum_{r<s} L_rs |eta_r eta_s| / sum_{r<s} |eta_r eta_s|   (below eq. (7))
 * omega_r is the grand potential of phase r (pf_chem.c). The elastic part
 * w_r - S11 eps11_r - S12 gamma12_r is d f_el / d phi_r at fixed local total
 * strain for the mixed Reuss/Voigt scheme (App. A.3): by the envelope theorem
 * the strain partition that equalises S11, S12 makes the Lagrange multipliers
 * of sum phi eps11_r = eps11 and sum phi gamma12_r = gamma12 equal to S11, S12.
 * This replaces the seed's chain of derivatives (A.14)-(C.9) by its closed
 * form; a test checks it against finite differences.
 *
 * Discretisation: cell-centred finite volumes, zero flux at both ends.
 * A step of size dt (Lie splitting):
 *   1. mechanics: global S11, S12 with the backward-Euler return map of the
 *      plastic phases (Newton on the two averages, pf_mech.c);
 *   2. eta: linearly implicit, kappa-Laplacian implicit (tridiagonal), the
 *      local terms explicit;
 *   3. c: backward Euler with phi at the new eta. mu is linear in c for a
 *      fixed phi (closed-form partition), so this is one tridiagonal solve,
 *      conservative to round-off.
 * Error estimate (first-order scheme): the local error of step n is
 *   LTE ~ dt_n/(dt_n + dt_{n-1}) * |dy_n - (dt_n/dt_{n-1}) dy_{n-1}|
 * (the second difference of the solution), max over eta and c; steps with
 * LTE > tol are rejected and dt follows dt * clamp(0.9 sqrt(tol/LTE), 0.2, 2).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/pf.h"

struct ts_pf_sim {
    ts_pf_params p;
    int n, P;
    double t, dt, dt_prev;
    long steps, rejected;
    int have_prev;
    double s11, s12;
    double Lp[TS_PF_MAXPHASE][TS_PF_MAXPHASE];
    /* per-phase constants: 1/A, c0 - B/A, D/A, 1/(2A) */
    double invA[TS_PF_MAXPHASE], cb[TS_PF_MAXPHASE], mob[TS_PF_MAXPHASE], half_invA[TS_PF_MAXPHASE];
    /* state */
    double *eta, *c, *epl, *pcum;
    /* saved state for rejection */
    double *eta0, *c0, *epl0, *pcum0;
    double s11_0, s12_0;
    /* previous accepted increments (error estimate) */
    double *deta_prev, *dc_prev;
    /* work */
    double *phi, *g, *wa, *wb, *wc, *wd, *epl_t, *pcum_t, *eps1, *eps6;
};

/* ---------------------------------------------------------------- helpers */

static void compute_phi(int P, int n, const double *eta, double *phi)
{
    for (int i = 0; i < n; i++) {
        double s2 = 0;
        for (int r = 0; r < P; r++) s2 += eta[r * n + i] * eta[r * n + i];
        if (s2 < 1e-30) s2 = 1e-30;
        double inv = 1.0 / s2;
        for (int r = 0; r < P; r++) phi[r * n + i] = eta[r * n + i] * eta[r * n + i] * inv;
    }
}

/* Thomas algorithm for nrhs right-hand sides d[k*stride + i] sharing one
 * matrix (a, b, c as above; b is overwritten). One division per row. */
static void thomas_multi(int n, const double *a, double *b, const double *c, double *d,
                         int nrhs, size_t stride)
{
    /* forward: b[i] becomes 1 / (pivot i) */
    b[0] = 1.0 / b[0];
    for (int i = 1; i < n; i++) {
        double w = a[i] * b[i - 1];
        for (int k = 0; k < nrhs; k++) d[k * stride + i] -= w * d[k * stride + i - 1];
        b[i] = 1.0 / (b[i] - w * c[i - 1]);
    }
    for (int k = 0; k < nrhs; k++) {
        double *x = d + k * stride;
        x[n - 1] *= b[n - 1];
        for (int i = n - 2; i >= 0; i--) x[i] = (x[i] - c[i] * x[i + 1]) * b[i];
    }
}

/* ------------------------------------------------------------- mechanics */

/* For trial stresses (S11, S12): plastic states after the return map over dt
 * into epl_t/pcum_t (from epl/pcum), per-phase eps11 and gamma12 into
 * eps1/eps6, and the domain averages. Points of a phase whose plastic state
 * equals the previous point's reuse its result (exact; in 1D every layer is
 * uniformly strained, so this is one return map per phase). */
static int mech_eval(ts_pf_sim *s, double S11, double S12, double dt, double *avg1,
                     double *avg6)
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    double e22 = p->applied_e22;
    for (int r = 0; r < P; r++) {
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)r * n + i;
            const double *e0 = s->epl + 6 * k;
            double *et = s->epl_t + 6 * k;
            if (i > 0 && memcmp(e0, e0 - 6, 6 * sizeof(double)) == 0 &&
                s->pcum[k] == s->pcum[k - 1]) {
                memcpy(et, et - 6, 6 * sizeof(double));
                s->pcum_t[k] = s->pcum_t[k - 1];
                s->eps1[k] = s->eps1[k - 1];
                s->eps6[k] = s->eps6[k - 1];
                continue;
            }
            memcpy(et, e0, 6 * sizeof(double));
            s->pcum_t[k] = s->pcum[k];
            if (p->ph[r].plastic && dt > 0)
                TS_TRY(ts_pf_return_map(p, r, S11, S12, e22, dt, et, &s->pcum_t[k], NULL));
            ts_pf_phase_mech m;
            TS_TRY(ts_pf_phase_response(p, r, S11, S12, e22, et, &m));
            s->eps1[k] = m.eps[0];
            s->eps6[k] = m.eps[5];
        }
    }
    double a1 = 0, a6 = 0;
    for (int r = 0; r < P; r++)
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)r * n + i;
            a1 += s->phi[k] * s->eps1[k];
            a6 += s->phi[k] * s->eps6[k];
        }
    *avg1 = a1 / n;
    *avg6 = a6 / n;
    return 0;
}

static void mech_residual(const ts_pf_sim *s, double S11, double a1, double a6, double r[2])
{
    if (s->p.normal == TS_PF_NORMAL_STRESS)
        r[0] = (S11 - s->p.applied_s11) * 1e-11; /* scaled to strain-like units */
    else
        r[0] = a1 - s->p.applied_e11;
    r[1] = a6; /* no applied shear: <gamma12> = 0 */
}

/* Solve the global laminate equilibrium with plastic flow over dt; on
 * success epl/pcum hold the new plastic state and S11, S12 the stresses. */
static int mech_solve(ts_pf_sim *s, double dt)
{
    if (!s->p.mechanics) {
        s->s11 = s->s12 = 0;
        return 0;
    }
    double x[2] = {s->s11, s->s12};
    if (s->p.normal == TS_PF_NORMAL_STRESS) x[0] = s->p.applied_s11;
    double a1, a6, r[2];
    TS_TRY(mech_eval(s, x[0], x[1], dt, &a1, &a6));
    mech_residual(s, x[0], a1, a6, r);
    const double tol = 1e-13; /* strain: 1e-13 * 1e11 Pa = 0.01 Pa in stress */
    int it;
    for (it = 0; it < 60 && (fabs(r[0]) > tol || fabs(r[1]) > tol); it++) {
        double J[2][2];
        for (int j = 0; j < 2; j++) {
            double h = fmax(1e3, 1e-7 * fabs(x[j]));
            double xp[2] = {x[0], x[1]};
            xp[j] += h;
            double b1, b6, rp[2];
            TS_TRY(mech_eval(s, xp[0], xp[1], dt, &b1, &b6));
            mech_residual(s, xp[0], b1, b6, rp);
            J[0][j] = (rp[0] - r[0]) / h;
            J[1][j] = (rp[1] - r[1]) / h;
        }
        double det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
        if (!(fabs(det) > 0))
            return ts_error_set(TS_ERR_SINGULAR, "laminate equilibrium: singular Jacobian at t = %g s", s->t);
        double d0 = (J[1][1] * r[0] - J[0][1] * r[1]) / det;
        double d1 = (J[0][0] * r[1] - J[1][0] * r[0]) / det;
        double nr0 = fabs(r[0]) + fabs(r[1]);
        double lam = 1.0;
        for (int ls = 0; ls < 30; ls++) {
            double xn[2] = {x[0] - lam * d0, x[1] - lam * d1};
            double rn[2];
            TS_TRY(mech_eval(s, xn[0], xn[1], dt, &a1, &a6));
            mech_residual(s, xn[0], a1, a6, rn);
            if (fabs(rn[0]) + fabs(rn[1]) < nr0 || ls == 29) {
                x[0] = xn[0];
                x[1] = xn[1];
                r[0] = rn[0];
                r[1] = rn[1];
                break;
            }
            lam *= 0.5;
        }
    }
    if (fabs(r[0]) > tol || fabs(r[1]) > tol)
        return ts_error_set(TS_ERR_CONVERGE,
                            "laminate equilibrium did not converge at t = %g s (residual %g, %g)",
                            s->t, r[0], r[1]);
    /* the last mech_eval was at x: commit */
    memcpy(s->epl, s->epl_t, sizeof(double) * 6 * (size_t)s->P * s->n);
    memcpy(s->pcum, s->pcum_t, sizeof(double) * (size_t)s->P * s->n);
    s->s11 = x[0];
    s->s12 = x[1];
    return 0;
}

/* Mechanical part of g_r at every point into g (added). */
static int mech_drive(ts_pf_sim *s, double *g)
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    for (int r = 0; r < P; r++) {
        double last = 0;
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)r * n + i;
            double v;
            if (i > 0 && memcmp(s->epl + 6 * k, s->epl + 6 * (k - 1), 6 * sizeof(double)) == 0 &&
                s->pcum[k] == s->pcum[k - 1]) {
                v = last;
            } else {
                ts_pf_phase_mech m;
                TS_TRY(ts_pf_phase_response(p, r, s->s11, s->s12, p->applied_e22, s->epl + 6 * k, &m));
                v = m.w - s->s11 * m.eps[0] - s->s12 * m.eps[5] + p->ph[r].R0 * s->pcum[k];
            }
            g[k] += v;
            last = v;
        }
    }
    return 0;
}

/* ----------------------------------------------------------------- create */

const ts_pf_params *ts_pf_sim_params(const ts_pf_sim *s) { return &s->p; }

void ts_pf_sim_destroy(ts_pf_sim *s)
{
    if (!s) return;
    double *arrs[] = {s->eta, s->c, s->epl, s->pcum, s->eta0, s->c0, s->epl0, s->pcum0,
                      s->deta_prev, s->dc_prev, s->phi, s->g, s->wa, s->wb, s->wc,
                      s->wd, s->epl_t, s->pcum_t, s->eps1, s->eps6};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) free(arrs[k]);
    free(s);
}

static void init_layers(ts_pf_sim *s)
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    double bnd[TS_PF_MAXPHASE + 1];
    bnd[0] = 0;
    for (int r = 0; r < P; r++) bnd[r + 1] = bnd[r] + p->ph[r].width;
    double delta = sqrt(2.0 * p->kappa / p->m);
    for (int i = 0; i < n; i++) {
        double x = (i + 0.5) * p->dx;
        double sum = 0;
        for (int r = 0; r < P; r++) {
            double v;
            if (p->tanh_init) {
                double left = (r == 0) ? 1.0 : 0.5 * (1 + tanh((x - bnd[r]) / delta));
                double right = (r == P - 1) ? 1.0 : 0.5 * (1 - tanh((x - bnd[r + 1]) / delta));
                v = left * right;
            } else {
                v = (x >= bnd[r] && x < bnd[r + 1]) ? 1.0 : 0.0;
                if (r == P - 1 && x >= bnd[P]) v = 1.0;
            }
            s->eta[r * n + i] = v;
            sum += v;
        }
        (void)sum;
    }
    compute_phi(P, n, s->eta, s->phi);
    for (int i = 0; i < n; i++) {
        double c = 0;
        for (int r = 0; r < P; r++) c += s->phi[r * n + i] * p->ph[r].c_init;
        s->c[i] = c;
    }
}

int ts_pf_sim_create(const ts_pf_params *p, ts_pf_sim **out)
{
    *out = NULL;
    TS_TRY(ts_pf_params_check(p));
    ts_pf_sim *s = calloc(1, sizeof *s);
    TS_CHECK_ALLOC(s);
    s->p = *p;
    s->n = p->n;
    s->P = p->nphase;
    size_t nP = (size_t)s->n * s->P, n = (size_t)s->n;
    s->eta = calloc(nP, sizeof(double));
    s->c = calloc(n, sizeof(double));
    s->epl = calloc(6 * nP, sizeof(double));
    s->pcum = calloc(nP, sizeof(double));
    s->eta0 = calloc(nP, sizeof(double));
    s->c0 = calloc(n, sizeof(double));
    s->epl0 = calloc(6 * nP, sizeof(double));
    s->pcum0 = calloc(nP, sizeof(double));
    s->deta_prev = calloc(nP, sizeof(double));
    s->dc_prev = calloc(n, sizeof(double));
    s->phi = calloc(nP, sizeof(double));
    s->g = calloc(nP, sizeof(double));
    s->wa = calloc(n, sizeof(double));
    s->wb = calloc(n, sizeof(double));
    s->wc = calloc(n, sizeof(double));
    s->wd = calloc(n, sizeof(double));
    s->epl_t = calloc(6 * nP, sizeof(double));
    s->pcum_t = calloc(nP, sizeof(double));
    s->eps1 = calloc(nP, sizeof(double));
    s->eps6 = calloc(nP, sizeof(double));
    if (!s->eta || !s->c || !s->epl || !s->pcum || !s->eta0 || !s->c0 || !s->epl0 ||
        !s->pcum0 || !s->deta_prev || !s->dc_prev || !s->phi || !s->g || !s->wa || !s->wb ||
        !s->wc || !s->wd || !s->epl_t || !s->pcum_t || !s->eps1 || !s->eps6) {
        ts_pf_sim_destroy(s);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for a %d-point, %d-phase grid", s->n, s->P);
    }
    for (int r = 0; r < s->P; r++)
        for (int q = 0; q < s->P; q++) s->Lp[r][q] = (r == q) ? 0 : ts_pf_pair_L(p, r, q);
    for (int r = 0; r < s->P; r++) {
        s->invA[r] = 1.0 / p->ph[r].A;
        s->half_invA[r] = 0.5 / p->ph[r].A;
        s->cb[r] = p->ph[r].c0 - p->ph[r].B / p->ph[r].A;
        s->mob[r] = p->ph[r].D / p->ph[r].A;
    }
    s->dt = p->dt_init;
    init_layers(s);
    if (p->mechanics) {
        int rc = mech_solve(s, 0.0);
        if (rc) {
            ts_pf_sim_destroy(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

/* ------------------------------------------------------------------- step */

/* One trial step of size dt from the current state (in place). */
static int raw_step(ts_pf_sim *s, double dt)
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    double *phi = s->phi, *g = s->g;
    compute_phi(P, n, s->eta, phi);
    /* 1. mechanics (plastic flow over dt, backward Euler) */
    TS_TRY(mech_solve(s, dt));
    /* 2. driving potentials g_r */
    for (int i = 0; i < n; i++) { /* closed-form partition, as ts_pf_partition */
        double Si = 0, Ri = 0;
        for (int r = 0; r < P; r++) {
            Si += phi[r * n + i] * s->invA[r];
            Ri += phi[r * n + i] * s->cb[r];
        }
        double mu = (s->c[i] - Ri) / Si;
        for (int r = 0; r < P; r++) {
            const ts_pf_phase *q = &p->ph[r];
            double d = mu - q->B;
            g[r * n + i] = q->C - mu * q->c0 - d * d * s->half_invA[r];
        }
    }
    if (p->mechanics) TS_TRY(mech_drive(s, g));
    /* 3. eta, linearly implicit in the gradient term */
    double *Lm = s->wd; /* reuse as L(eta) per point */
    double *rhs = s->epl_t; /* scratch of size >= P*n */
    for (int i = 0; i < n; i++) {
        double s2 = 0, gbar = 0, num = 0, den = 0;
        for (int r = 0; r < P; r++) {
            double e = s->eta[r * n + i];
            s2 += e * e;
            gbar += phi[r * n + i] * g[r * n + i];
        }
        if (s2 < 1e-30) s2 = 1e-30;
        double two_inv_s2 = 2.0 / s2;
        for (int r = 0; r < P; r++)
            for (int q = r + 1; q < P; q++) {
                double w = fabs(s->eta[r * n + i] * s->eta[q * n + i]);
                num += s->Lp[r][q] * w;
                den += w;
            }
        double Li;
        if (den > 1e-12) {
            Li = num / den;
        } else { /* bulk: mean of the pairs of the dominant phase */
            int dom = 0;
            for (int r = 1; r < P; r++)
                if (phi[r * n + i] > phi[dom * n + i]) dom = r;
            Li = 0;
            for (int q = 0; q < P; q++)
                if (q != dom) Li += s->Lp[dom][q] / (P - 1);
        }
        Lm[i] = Li;
        for (int r = 0; r < P; r++) {
            double e = s->eta[r * n + i];
            double others = s2 - e * e;
            double F = two_inv_s2 * e * (g[r * n + i] - gbar) +
                       p->m * (e * e * e - e + 2.0 * p->gamma * e * others);
            rhs[r * n + i] = e - dt * Li * F;
        }
    }
    double k2 = p->kappa / (p->dx * p->dx);
    {   /* the matrix (1 - dt L kappa d2/dx2) is the same for every phase */
        double *a = s->wa, *b = s->wb, *c = s->wc;
        for (int i = 0; i < n; i++) {
            double al = dt * Lm[i] * k2;
            a[i] = (i > 0) ? -al : 0;
            c[i] = (i < n - 1) ? -al : 0;
            b[i] = 1.0 + ((i > 0) ? al : 0) + ((i < n - 1) ? al : 0);
        }
        thomas_multi(n, a, b, c, rhs, P, (size_t)n);
    }
    memcpy(s->eta, rhs, sizeof(double) * (size_t)P * n);
    /* 4. c, backward Euler with phi(eta_new): mu_i = (c_i - R_i)/S_i */
    compute_phi(P, n, s->eta, phi);
    double *S = s->eps1, *R = s->eps6, *Mb = s->pcum_t; /* scratch (size >= n) */
    for (int i = 0; i < n; i++) {
        double Si = 0, Ri = 0, Mi = 0;
        for (int r = 0; r < P; r++) {
            double f = phi[r * n + i];
            Si += f * s->invA[r];
            Ri += f * s->cb[r];
            Mi += f * s->mob[r];
        }
        S[i] = 1.0 / Si; /* stored inverted: 1/S */
        R[i] = Ri * S[i]; /* stored as R/S */
        Mb[i] = Mi;
    }
    double h = dt / (p->dx * p->dx);
    double *a = s->wa, *b = s->wb, *c = s->wc, *d = s->g; /* g no longer needed */
    for (int i = 0; i < n; i++) {
        double mp = (i < n - 1) ? 0.5 * (Mb[i] + Mb[i + 1]) : 0.0;
        double mm = (i > 0) ? 0.5 * (Mb[i] + Mb[i - 1]) : 0.0;
        b[i] = 1.0 + h * (mp + mm) * S[i];
        a[i] = (i > 0) ? -h * mm * S[i - 1] : 0;
        c[i] = (i < n - 1) ? -h * mp * S[i + 1] : 0;
        double rr = 0;
        if (i < n - 1) rr += mp * (R[i + 1] - R[i]);
        if (i > 0) rr -= mm * (R[i] - R[i - 1]);
        d[i] = s->c[i] - h * rr;
    }
    thomas_multi(n, a, b, c, d, 1, (size_t)n);
    memcpy(s->c, d, sizeof(double) * n);
    return 0;
}

static int check_finite(const ts_pf_sim *s, int *where_r, int *where_i)
{
    int n = s->n, P = s->P;
    for (int i = 0; i < n; i++) {
        if (!isfinite(s->c[i]) || s->c[i] < -1.0 || s->c[i] > 2.0) {
            *where_r = -1;
            *where_i = i;
            return 1;
        }
        for (int r = 0; r < P; r++) {
            double e = s->eta[r * n + i];
            if (!isfinite(e) || e < -1.0 || e > 2.0) {
                *where_r = r;
                *where_i = i;
                return 1;
            }
        }
    }
    return 0;
}

static void save_state(ts_pf_sim *s)
{
    size_t nP = (size_t)s->n * s->P;
    memcpy(s->eta0, s->eta, nP * sizeof(double));
    memcpy(s->c0, s->c, (size_t)s->n * sizeof(double));
    if (s->p.mechanics) {
        memcpy(s->epl0, s->epl, 6 * nP * sizeof(double));
        memcpy(s->pcum0, s->pcum, nP * sizeof(double));
    }
    s->s11_0 = s->s11;
    s->s12_0 = s->s12;
}

static void restore_state(ts_pf_sim *s)
{
    size_t nP = (size_t)s->n * s->P;
    memcpy(s->eta, s->eta0, nP * sizeof(double));
    memcpy(s->c, s->c0, (size_t)s->n * sizeof(double));
    if (s->p.mechanics) {
        memcpy(s->epl, s->epl0, 6 * nP * sizeof(double));
        memcpy(s->pcum, s->pcum0, nP * sizeof(double));
    }
    s->s11 = s->s11_0;
    s->s12 = s->s12_0;
}

static int step_dt(ts_pf_sim *s, double dt_req, int clip)
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    size_t nP = (size_t)n * P;
    double dt = dt_req;
    for (;;) {
        save_state(s);
        int rc = raw_step(s, dt);
        int wr = 0, wi = 0;
        int blown = (rc == 0) && check_finite(s, &wr, &wi);
        if (rc == TS_ERR_NOMEM) return rc;
        double err = 0;
        if (rc == 0 && !blown && s->have_prev) {
            double ratio = dt / s->dt_prev, fac = dt / (dt + s->dt_prev);
            for (size_t k = 0; k < nP; k++) {
                double d = (s->eta[k] - s->eta0[k]) - ratio * s->deta_prev[k];
                if (fabs(d) > err) err = fabs(d);
            }
            for (int i = 0; i < n; i++) {
                double d = (s->c[i] - s->c0[i]) - ratio * s->dc_prev[i];
                if (fabs(d) > err) err = fabs(d);
            }
            err *= fac;
        }
        int ok = (rc == 0 && !blown && (!p->adaptive || err <= p->tol));
        if (ok) {
            for (size_t k = 0; k < nP; k++) s->deta_prev[k] = s->eta[k] - s->eta0[k];
            for (int i = 0; i < n; i++) s->dc_prev[i] = s->c[i] - s->c0[i];
            s->dt_prev = dt;
            s->have_prev = 1;
            s->t += dt;
            s->steps++;
            if (p->adaptive) {
                double f = (err > 0) ? 0.9 * sqrt(p->tol / err) : 2.0;
                f = fmin(2.0, fmax(0.2, f));
                double nd = (clip ? s->dt : dt) * f;
                s->dt = fmin(p->dt_max, fmax(p->dt_min, nd));
            }
            return 0;
        }
        restore_state(s);
        s->rejected++;
        if (!p->adaptive || dt <= p->dt_min * (1 + 1e-12)) {
            if (blown)
                return ts_error_set(TS_ERR_NUMERIC,
                                    "blow-up at step %ld (t = %g s, dt = %g s): %s%s%s non-finite or out of "
                                    "range at grid point %d (x = %g m)",
                                    s->steps + 1, s->t, dt, wr < 0 ? "c" : "eta[",
                                    wr < 0 ? "" : p->ph[wr].name, wr < 0 ? "" : "]", wi,
                                    (wi + 0.5) * p->dx);
            if (rc) return rc;
            return ts_error_set(TS_ERR_CONVERGE,
                                "time step cannot be stabilised: error %g > tol %g at dt = %g s "
                                "(dt_min %g s, t = %g s)",
                                err, p->tol, dt, p->dt_min, s->t);
        }
        ts_error_clear();
        double f = (rc == 0 && !blown && err > 0) ? fmax(0.1, 0.9 * sqrt(p->tol / err)) : 0.25;
        dt = fmax(p->dt_min, fmin(dt * f, dt * 0.5));
        s->dt = dt;
        clip = 0;
    }
}

int ts_pf_sim_step(ts_pf_sim *s) { return step_dt(s, s->dt, 0); }

int ts_pf_sim_advance(ts_pf_sim *s, double t)
{
    while (s->t < t * (1 - 1e-14) - 1e-300) {
        double dt = s->dt;
        int clip = 0;
        if (s->t + dt > t) {
            dt = t - s->t;
            clip = 1;
        }
        TS_TRY(step_dt(s, dt, clip));
    }
    return 0;
}

/* -------------------------------------------------------------- accessors */

double ts_pf_sim_time(const ts_pf_sim *s) { return s->t; }
double ts_pf_sim_dt(const ts_pf_sim *s) { return s->dt; }
long ts_pf_sim_steps(const ts_pf_sim *s) { return s->steps; }
long ts_pf_sim_rejected(const ts_pf_sim *s) { return s->rejected; }
const double *ts_pf_sim_eta(const ts_pf_sim *s) { return s->eta; }
const double *ts_pf_sim_c(const ts_pf_sim *s) { return s->c; }
const double *ts_pf_sim_epl(const ts_pf_sim *s) { return s->epl; }
const double *ts_pf_sim_pcum(const ts_pf_sim *s) { return s->pcum; }

void ts_pf_sim_set_load(ts_pf_sim *s, double e11, double s11, double e22)
{
    s->p.applied_e11 = e11;
    s->p.applied_s11 = s11;
    s->p.applied_e22 = e22;
}

void ts_pf_sim_stress(const ts_pf_sim *s, double *s11, double *s12)
{
    *s11 = s->s11;
    *s12 = s->s12;
}

int ts_pf_sim_set_state(ts_pf_sim *s, double t, const double *eta, const double *c)
{
    size_t nP = (size_t)s->n * s->P;
    if (eta) memcpy(s->eta, eta, nP * sizeof(double));
    if (c) memcpy(s->c, c, (size_t)s->n * sizeof(double));
    s->t = t;
    s->have_prev = 0;
    compute_phi(s->P, s->n, s->eta, s->phi);
    if (s->p.mechanics) TS_TRY(mech_solve(s, 0.0));
    return 0;
}

/* ------------------------------------------------------------ checkpoint */

static const char CK_MAGIC[8] = "TSPF1D1";

int ts_pf_sim_save(const ts_pf_sim *s, const char *path)
{
    ts_afile *f = NULL;
    TS_TRY(ts_afile_open(path, &f));
    FILE *fp = ts_afile_fp(f);
    size_t nP = (size_t)s->n * s->P, n = (size_t)s->n;
    int hdr[3] = {s->n, s->P, s->have_prev};
    double sc[6] = {s->t, s->dt, s->dt_prev, s->s11, s->s12, s->p.dx};
    long cnt[2] = {s->steps, s->rejected};
    int ok = fwrite(CK_MAGIC, 1, 8, fp) == 8 && fwrite(hdr, sizeof hdr, 1, fp) == 1 &&
             fwrite(sc, sizeof sc, 1, fp) == 1 && fwrite(cnt, sizeof cnt, 1, fp) == 1 &&
             fwrite(s->eta, sizeof(double), nP, fp) == nP &&
             fwrite(s->c, sizeof(double), n, fp) == n &&
             fwrite(s->epl, sizeof(double), 6 * nP, fp) == 6 * nP &&
             fwrite(s->pcum, sizeof(double), nP, fp) == nP &&
             fwrite(s->deta_prev, sizeof(double), nP, fp) == nP &&
             fwrite(s->dc_prev, sizeof(double), n, fp) == n;
    if (!ok) {
        ts_afile_abort(f);
        return ts_error_set(TS_ERR_IO, "%s: write failed", path);
    }
    return ts_afile_commit(f);
}

/* 1 if all n values are finite (checkpoint readers of 1D and 2D). */
int ts_pf_all_finite_(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

int ts_pf_sim_load(const ts_pf_params *p, const char *path, ts_pf_sim **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open checkpoint", path);
    char magic[8];
    int hdr[3];
    double sc[6];
    long cnt[2];
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, CK_MAGIC, 8) != 0 ||
        fread(hdr, sizeof hdr, 1, fp) != 1 || fread(sc, sizeof sc, 1, fp) != 1 ||
        fread(cnt, sizeof cnt, 1, fp) != 1) {
        fclose(fp);
        return ts_error_set(TS_ERR_FORMAT, "%s: not a tinsel pf 1D checkpoint", path);
    }
    if (hdr[0] != p->n || hdr[1] != p->nphase || sc[5] != p->dx) {
        fclose(fp);
        return ts_error_set(TS_ERR_FORMAT,
                            "%s: checkpoint has n = %d, %d phases, dx = %g m; the input has n = %d, "
                            "%d phases, dx = %g m",
                            path, hdr[0], hdr[1], sc[5], p->n, p->nphase, p->dx);
    }
    ts_pf_sim *s = NULL;
    int rc = ts_pf_sim_create(p, &s);
    if (rc) {
        fclose(fp);
        return rc;
    }
    size_t nP = (size_t)s->n * s->P, n = (size_t)s->n;
    int ok = fread(s->eta, sizeof(double), nP, fp) == nP &&
             fread(s->c, sizeof(double), n, fp) == n &&
             fread(s->epl, sizeof(double), 6 * nP, fp) == 6 * nP &&
             fread(s->pcum, sizeof(double), nP, fp) == nP &&
             fread(s->deta_prev, sizeof(double), nP, fp) == nP &&
             fread(s->dc_prev, sizeof(double), n, fp) == n;
    fclose(fp);
    if (!ok) {
        ts_pf_sim_destroy(s);
        return ts_error_set(TS_ERR_FORMAT, "%s: truncated checkpoint", path);
    }
    /* a corrupt file must not start a run that hangs (dt <= 0) or spreads NaN */
    int bad = !(sc[0] >= 0 && isfinite(sc[0]) && sc[1] > 0 && isfinite(sc[1]) && isfinite(sc[2]) &&
                isfinite(sc[3]) && isfinite(sc[4]) && cnt[0] >= 0 && cnt[1] >= 0 &&
                (hdr[2] == 0 || hdr[2] == 1));
    bad = bad || !ts_pf_all_finite_(s->eta, nP) || !ts_pf_all_finite_(s->pcum, nP) ||
          !ts_pf_all_finite_(s->deta_prev, nP) || !ts_pf_all_finite_(s->c, n) ||
          !ts_pf_all_finite_(s->dc_prev, n) || !ts_pf_all_finite_(s->epl, 6 * nP);
    if (bad) {
        ts_pf_sim_destroy(s);
        return ts_error_set(TS_ERR_FORMAT,
                            "%s: corrupt checkpoint (non-finite field, negative time or step size <= 0)",
                            path);
    }
    s->have_prev = hdr[2];
    s->t = sc[0];
    s->dt = sc[1];
    s->dt_prev = sc[2];
    s->s11 = sc[3];
    s->s12 = sc[4];
    s->steps = cnt[0];
    s->rejected = cnt[1];
    *out = s;
    return 0;
}

void ts_pf_sim_thickness(const ts_pf_sim *s, double *d)
{
    int n = s->n, P = s->P;
    for (int r = 0; r < P; r++) d[r] = 0;
    for (int i = 0; i < n; i++) {
        double s2 = 0;
        for (int r = 0; r < P; r++) s2 += s->eta[r * n + i] * s->eta[r * n + i];
        if (s2 < 1e-30) continue;
        for (int r = 0; r < P; r++) d[r] += s->eta[r * n + i] * s->eta[r * n + i] / s2;
    }
    for (int r = 0; r < P; r++) d[r] *= s->p.dx;
}

int ts_pf_sim_profiles(const ts_pf_sim *s, double *vm, double *fel, double *pbar, double *mu)
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    for (int i = 0; i < n; i++) {
        double s2 = 0, ph[TS_PF_MAXPHASE];
        for (int r = 0; r < P; r++) s2 += s->eta[r * n + i] * s->eta[r * n + i];
        if (s2 < 1e-30) s2 = 1e-30;
        for (int r = 0; r < P; r++) ph[r] = s->eta[r * n + i] * s->eta[r * n + i] / s2;
        double v = 0, f = 0, pb = 0;
        if (p->mechanics) {
            for (int r = 0; r < P; r++) {
                size_t k = (size_t)r * n + i;
                ts_pf_phase_mech m;
                TS_TRY(ts_pf_phase_response(p, r, s->s11, s->s12, p->applied_e22, s->epl + 6 * k, &m));
                v += ph[r] * ts_pf_von_mises(m.sig);
                f += ph[r] * m.w;
                pb += ph[r] * s->pcum[k];
            }
        }
        if (vm) vm[i] = v;
        if (fel) fel[i] = f;
        if (pbar) pbar[i] = pb;
        if (mu) ts_pf_partition(p, ph, s->c[i], &mu[i], NULL);
    }
    return 0;
}

int ts_pf_sim_energy(const ts_pf_sim *s, double *total, double parts[4])
{
    const ts_pf_params *p = &s->p;
    int n = s->n, P = s->P;
    double ch = 0, in = 0, el = 0, pl = 0;
    for (int i = 0; i < n; i++) {
        double s2 = 0, ph[TS_PF_MAXPHASE], cph[TS_PF_MAXPHASE], mu;
        for (int r = 0; r < P; r++) s2 += s->eta[r * n + i] * s->eta[r * n + i];
        if (s2 < 1e-30) s2 = 1e-30;
        for (int r = 0; r < P; r++) ph[r] = s->eta[r * n + i] * s->eta[r * n + i] / s2;
        ts_pf_partition(p, ph, s->c[i], &mu, cph);
        double f0 = 0.25, pairs = 0;
        for (int r = 0; r < P; r++) {
            const ts_pf_phase *q = &p->ph[r];
            double x = cph[r] - q->c0;
            ch += ph[r] * (0.5 * q->A * x * x + q->B * x + q->C);
            double e = s->eta[r * n + i];
            f0 += e * e * e * e / 4 - e * e / 2;
            for (int t = r + 1; t < P; t++) pairs += e * e * s->eta[t * n + i] * s->eta[t * n + i];
        }
        f0 += p->gamma * pairs;
        in += p->m * f0;
        if (i < n - 1)
            for (int r = 0; r < P; r++) {
                double gr = (s->eta[r * n + i + 1] - s->eta[r * n + i]) / p->dx;
                in += 0.5 * p->kappa * gr * gr;
            }
        if (p->mechanics)
            for (int r = 0; r < P; r++) {
                size_t k = (size_t)r * n + i;
                ts_pf_phase_mech m;
                TS_TRY(ts_pf_phase_response(p, r, s->s11, s->s12, p->applied_e22, s->epl + 6 * k, &m));
                el += ph[r] * m.w;
                pl += ph[r] * p->ph[r].R0 * s->pcum[k];
            }
    }
    double dx = p->dx;
    if (parts) {
        parts[0] = ch * dx;
        parts[1] = in * dx;
        parts[2] = el * dx;
        parts[3] = pl * dx;
    }
    *total = (ch + in + el + pl) * dx;
    return 0;
}
