/* Laminate mechanics and J2 viscoplasticity for planar layers (normal x).
 *
 * Seed 002 App. A.3 (mixed Reuss/Voigt scheme, eqs. (A.8)-(A.11)):
 *   sigma11 = S11 and sigma12 = S12 are common to all phases (and uniform in
 *   x by equilibrium), the total eps22 = E22 is common (and uniform by
 *   compatibility), plane strain eps33 = eps13 = eps23 = 0.
 * With Voigt vectors (engineering shears) and e = eps - eps* - eps_pl the
 * unknown elastic components e1, e6 of a phase solve
 *   [C11 C16; C16 C66] [e1; e6] = [S11; S12] - C_{f,x} e_x,  x = {2,3,4,5},
 * then sigma = C e (all six components), w = 1/2 sigma . e.
 *
 * Viscoplasticity, seed eqs. (3), (9), with the deviator (note erratum):
 *   pdot = <(J2 - R0)/K>^n, eps_pl' = 3/2 pdot s/J2, J2 = sqrt(3/2 s:s).
 * Backward Euler at fixed S11, S12, E22: sigma_x = sigma_x^tr - Kc deps_pl_x
 * with the condensed stiffness Kc = C_xx - C_xf H C_fx (H = [C11 C16; C16 C66]^-1),
 * deps_pl = theta N(sigma), theta = 3/2 dp/J2. For a given theta the stress
 * solves a 4x4 linear system; theta solves the scalar equation
 *   r(theta) = J2(sigma(theta)) - R0 - K (dp/dt)^(1/n) = 0, dp = 2/3 theta J2,
 * by a bracketed Illinois iteration (r(0) > 0, r decreasing).
 */
#include <math.h>
#include <string.h>

#include "tinsel/pf.h"

static const int XI[4] = {1, 2, 3, 4}; /* Voigt 22, 33, 23, 13 (0-based) */

double ts_pf_von_mises(const double *s)
{
    double a = s[0] - s[1], b = s[1] - s[2], c = s[2] - s[0];
    return sqrt(0.5 * (a * a + b * b + c * c) + 3.0 * (s[3] * s[3] + s[4] * s[4] + s[5] * s[5]));
}

int ts_pf_phase_response(const ts_pf_params *p, int ph, double s11, double s12, double e22,
                         const double *epl, ts_pf_phase_mech *out)
{
    const ts_pf_phase *P = &p->ph[ph];
    const double(*C)[6] = P->stiff;
    double e[6];
    double tot_x[4] = {e22, 0, 0, 0};
    for (int k = 0; k < 4; k++) e[XI[k]] = tot_x[k] - P->eig[XI[k]] - (epl ? epl[XI[k]] : 0);
    double r1 = s11, r6 = s12;
    for (int k = 0; k < 4; k++) {
        r1 -= C[0][XI[k]] * e[XI[k]];
        r6 -= C[5][XI[k]] * e[XI[k]];
    }
    double det = C[0][0] * C[5][5] - C[0][5] * C[0][5];
    if (!(det > 0))
        return ts_error_set(TS_ERR_SINGULAR, "phase %s: singular in-plane stiffness", P->name);
    e[0] = (C[5][5] * r1 - C[0][5] * r6) / det;
    e[5] = (C[0][0] * r6 - C[0][5] * r1) / det;
    double w = 0;
    for (int i = 0; i < 6; i++) {
        double s = 0;
        for (int j = 0; j < 6; j++) s += C[i][j] * e[j];
        out->sig[i] = s;
        out->el[i] = e[i];
        w += s * e[i];
    }
    out->w = 0.5 * w;
    for (int i = 0; i < 6; i++) out->eps[i] = e[i] + P->eig[i] + (epl ? epl[i] : 0);
    out->eps[1] = e22;
    out->eps[2] = out->eps[3] = out->eps[4] = 0;
    return 0;
}

/* Condensed stiffness Kc[4][4] over the constrained components. */
static void condensed(const double C[6][6], double Kc[4][4])
{
    double det = C[0][0] * C[5][5] - C[0][5] * C[0][5];
    double H[2][2] = {{C[5][5] / det, -C[0][5] / det}, {-C[0][5] / det, C[0][0] / det}};
    static const int F[2] = {0, 5};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            double acc = C[XI[a]][XI[b]];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) acc -= C[XI[a]][F[i]] * H[i][j] * C[F[j]][XI[b]];
            Kc[a][b] = acc;
        }
}

/* Solve A x = b in place (b becomes x) for a small dense system:
 * A [n][n] row-major, b [n]; Gaussian elimination with partial pivoting.
 * Returns -1 if A is singular. */
static int solve_small(int n, double *A, double *b)
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        if (A[piv * n + k] == 0.0) return -1;
        if (piv != k) {
            for (int j = 0; j < n; j++) {
                double t = A[k * n + j];
                A[k * n + j] = A[piv * n + j];
                A[piv * n + j] = t;
            }
            double t = b[k];
            b[k] = b[piv];
            b[piv] = t;
        }
        for (int i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < n; j++) s -= A[i * n + j] * b[j];
        b[i] = s / A[i * n + i];
    }
    return 0;
}

typedef struct {
    double Kc[4][4];
    double sig_tr[6];
    double R0, K, n, dt;
} rm_ctx;

/* Stress for a given theta; returns r(theta), fills sig[6]. */
/* Plastic flow of the converged return map (associative J2, Voigt 6 with
 * engineering shears): eps_pl += theta N, N the deviator with shears doubled,
 * dp = 2/3 theta J2 added to the cumulative plastic strain. */
static void apply_flow(double th, const double sig[6], double *epl, double *pcum, double *dp_out)
{
    double J2 = ts_pf_von_mises(sig);
    double dp = 2.0 / 3.0 * th * J2;
    double tr3 = (sig[0] + sig[1] + sig[2]) / 3.0;
    double N[6] = {sig[0] - tr3, sig[1] - tr3, sig[2] - tr3, 2 * sig[3], 2 * sig[4], 2 * sig[5]};
    for (int i = 0; i < 6; i++) epl[i] += th * N[i];
    *pcum += dp;
    if (dp_out) *dp_out = dp;
}

static double rm_residual(const rm_ctx *x, double theta, double sig[6], int *bad)
{
    /* N_x = D sigma_x + d, D = [[2/3,-1/3,0,0],[-1/3,2/3,0,0],[0,0,2,0],[0,0,0,2]],
     * d = (-s1/3, -s1/3, 0, 0) */
    static const double D[4][4] = {{2.0 / 3, -1.0 / 3, 0, 0}, {-1.0 / 3, 2.0 / 3, 0, 0},
                                   {0, 0, 2, 0}, {0, 0, 0, 2}};
    double s1 = x->sig_tr[0];
    double d[4] = {-s1 / 3, -s1 / 3, 0, 0};
    double A[4][4], b[4];
    for (int a = 0; a < 4; a++) {
        double kd = 0;
        for (int c = 0; c < 4; c++) kd += x->Kc[a][c] * d[c];
        b[a] = x->sig_tr[XI[a]] - theta * kd;
        for (int c = 0; c < 4; c++) {
            double kD = 0;
            for (int e = 0; e < 4; e++) kD += x->Kc[a][e] * D[e][c];
            A[a][c] = (a == c ? 1.0 : 0.0) + theta * kD;
        }
    }
    if (solve_small(4, &A[0][0], b) != 0) {
        *bad = 1;
        return NAN;
    }
    memcpy(sig, x->sig_tr, 6 * sizeof(double));
    for (int a = 0; a < 4; a++) sig[XI[a]] = b[a];
    double J2 = ts_pf_von_mises(sig);
    double dp = 2.0 / 3.0 * theta * J2;
    double over = dp > 0 ? x->K * pow(dp / x->dt, 1.0 / x->n) : 0.0;
    return J2 - x->R0 - over;
}

int ts_pf_return_map(const ts_pf_params *p, int ph, double s11, double s12, double e22,
                     double dt, double *epl, double *pcum, double *dp_out)
{
    const ts_pf_phase *P = &p->ph[ph];
    if (dp_out) *dp_out = 0;
    if (!P->plastic || !(dt > 0)) return 0;
    ts_pf_phase_mech tr;
    TS_TRY(ts_pf_phase_response(p, ph, s11, s12, e22, epl, &tr));
    double J2tr = ts_pf_von_mises(tr.sig);
    if (!(J2tr > P->R0)) return 0;
    rm_ctx x;
    condensed(P->stiff, x.Kc);
    memcpy(x.sig_tr, tr.sig, sizeof x.sig_tr);
    x.R0 = P->R0;
    x.K = P->K;
    x.n = P->n;
    x.dt = dt;
    int bad = 0;
    double sig[6];
    /* bracket: theta_hi where r < 0; the scale 1/max(Kc_ii) relaxes fully */
    double kmax = 0;
    for (int a = 0; a < 4; a++) kmax = fmax(kmax, fabs(x.Kc[a][a]));
    double lo = 0, rlo = J2tr - P->R0;
    double hi = 1e-3 / kmax, rhi = rm_residual(&x, hi, sig, &bad);
    int it = 0;
    while (!(rhi < 0) && it < 200 && !bad) {
        lo = hi;
        rlo = rhi;
        hi *= 4;
        rhi = rm_residual(&x, hi, sig, &bad);
        it++;
    }
    if (bad || !(rhi < 0))
        return ts_error_set(TS_ERR_CONVERGE,
                            "return map of phase %s: no bracket (J2 trial %g Pa, dt %g s)",
                            P->name, J2tr, dt);
    /* Illinois iteration on [lo, hi] */
    double th = hi, r = rhi;
    int side = 0;
    for (it = 0; it < 200; it++) {
        th = (lo * rhi - hi * rlo) / (rhi - rlo);
        if (!(th > lo && th < hi)) th = 0.5 * (lo + hi);
        r = rm_residual(&x, th, sig, &bad);
        if (bad) break;
        if (fabs(r) <= 1e-10 * P->R0 + 1e-12 * J2tr || (hi - lo) <= 1e-15 * hi) break;
        if ((r > 0) == (rlo > 0)) {
            lo = th;
            rlo = r;
            if (side == -1) rhi *= 0.5;
            side = -1;
        } else {
            hi = th;
            rhi = r;
            if (side == 1) rlo *= 0.5;
            side = 1;
        }
    }
    if (bad || it >= 200)
        return ts_error_set(TS_ERR_CONVERGE, "return map of phase %s did not converge (r = %g Pa)",
                            P->name, r);
    (void)rm_residual(&x, th, sig, &bad);
    apply_flow(th, sig, epl, pcum, dp_out);
    return 0;
}

/* ---- fully strain-constrained return map (2D, Voigt interpolation) ----
 * All six total-strain components fixed: sigma = sigma_tr - C deps_pl, so for
 * a trial theta the stress solves (I + theta C D6) sigma = sigma_tr with
 * D6 sigma = N(sigma) the deviatoric flow direction (engineering shears). */

typedef struct {
    const double (*C)[6];
    double sig_tr[6];
    double R0, K, n, dt;
} rm6_ctx;

static double rm6_residual(const rm6_ctx *x, double theta, double sig[6], int *bad)
{
    static const double D[6][6] = {{2.0 / 3, -1.0 / 3, -1.0 / 3, 0, 0, 0}, {-1.0 / 3, 2.0 / 3, -1.0 / 3, 0, 0, 0},
                                   {-1.0 / 3, -1.0 / 3, 2.0 / 3, 0, 0, 0}, {0, 0, 0, 2, 0, 0},
                                   {0, 0, 0, 0, 2, 0},                    {0, 0, 0, 0, 0, 2}};
    double A[6][6];
    for (int a = 0; a < 6; a++) {
        for (int c = 0; c < 6; c++) {
            double cd = 0;
            for (int e = 0; e < 6; e++) cd += x->C[a][e] * D[e][c];
            A[a][c] = (a == c ? 1.0 : 0.0) + theta * cd;
        }
        sig[a] = x->sig_tr[a];
    }
    if (solve_small(6, &A[0][0], sig) != 0) {
        *bad = 1;
        return NAN;
    }
    double J2 = ts_pf_von_mises(sig);
    double dp = 2.0 / 3.0 * theta * J2;
    return J2 - x->R0 - (dp > 0 ? x->K * pow(dp / x->dt, 1.0 / x->n) : 0.0);
}

int ts_pf_return_map_strain(const ts_pf_params *p, int ph, const double *eps, double dt, double *epl,
                            double *pcum, double *dp_out)
{
    const ts_pf_phase *P = &p->ph[ph];
    if (dp_out) *dp_out = 0;
    if (!P->plastic || !(dt > 0)) return 0;
    rm6_ctx x;
    x.C = (const double(*)[6])P->stiff;
    for (int a = 0; a < 6; a++) {
        double s = 0;
        for (int b = 0; b < 6; b++) s += P->stiff[a][b] * (eps[b] - P->eig[b] - epl[b]);
        x.sig_tr[a] = s;
    }
    double J2tr = ts_pf_von_mises(x.sig_tr);
    if (!(J2tr > P->R0)) return 0;
    x.R0 = P->R0;
    x.K = P->K;
    x.n = P->n;
    x.dt = dt;
    double cmax = 0, sig[6];
    for (int a = 0; a < 6; a++) cmax = fmax(cmax, fabs(P->stiff[a][a]));
    int bad = 0, it = 0;
    double lo = 0, rlo = J2tr - P->R0, hi = 1e-3 / cmax, rhi = rm6_residual(&x, hi, sig, &bad);
    while (!(rhi < 0) && it < 200 && !bad) {
        lo = hi;
        rlo = rhi;
        hi *= 4;
        rhi = rm6_residual(&x, hi, sig, &bad);
        it++;
    }
    if (bad || !(rhi < 0))
        return ts_error_set(TS_ERR_CONVERGE, "return map (strain) of phase %s: no bracket", P->name);
    double th = hi, r = rhi;
    int side = 0;
    for (it = 0; it < 200; it++) {
        th = (lo * rhi - hi * rlo) / (rhi - rlo);
        if (!(th > lo && th < hi)) th = 0.5 * (lo + hi);
        r = rm6_residual(&x, th, sig, &bad);
        if (bad) break;
        if (fabs(r) <= 1e-10 * P->R0 + 1e-12 * J2tr || (hi - lo) <= 1e-15 * hi) break;
        if ((r > 0) == (rlo > 0)) {
            lo = th;
            rlo = r;
            if (side == -1) rhi *= 0.5;
            side = -1;
        } else {
            hi = th;
            rhi = r;
            if (side == 1) rlo *= 0.5;
            side = 1;
        }
    }
    if (bad || it >= 200)
        return ts_error_set(TS_ERR_CONVERGE, "return map (strain) of phase %s did not converge", P->name);
    (void)rm6_residual(&x, th, sig, &bad);
    apply_flow(th, sig, epl, pcum, dp_out);
    return 0;
}

/* ---- the same return map by safeguarded Newton (fast variant) ----
 * Same equations and the same convergence test as ts_pf_return_map_strain
 * (the reference kernel, kept): r(theta) = J2(sigma(theta)) - R0 - K (dp/dt)^(1/n),
 * dp = 2/3 theta J2, (I + theta C D6) sigma = sigma_tr. r is decreasing and,
 * for the stiffnesses here, convex, so Newton steps taken from a point with
 * r > 0 stay left of the root and converge monotonically. The iteration
 * starts at the warm start (theta/dt of the previous call times dt) or at the
 * perfectly plastic estimate (J2tr/R0 - 1)/(3 G), G the largest diagonal
 * shear stiffness; it keeps a bracket [lo, hi] (r(lo) > 0 > r(hi)) and falls
 * back to bisection whenever a Newton step leaves it (non-convex r). The
 * derivative is analytic: dsigma/dtheta = -(I + theta C D6)^-1 C D6 sigma (one
 * LU per evaluation, two solves). When the shear components 23 and 13 are
 * decoupled from the others in C and carry no trial stress (plane strain
 * with Cu, Sn about z), they stay zero and a 4x4 system on (11, 22, 33, 12)
 * is solved instead of 6x6 (exact). Tested against the reference
 * (tests/pf/test_pf_unit.c). */

/* LU with partial pivoting of an m x m matrix (row stride 6), in place. */
static int lu_m(int m, double A[6][6], int piv[6])
{
    for (int k = 0; k < m; k++) {
        int p = k;
        for (int i = k + 1; i < m; i++)
            if (fabs(A[i][k]) > fabs(A[p][k])) p = i;
        piv[k] = p;
        if (A[p][k] == 0.0) return -1;
        if (p != k)
            for (int j = 0; j < m; j++) {
                double t = A[k][j];
                A[k][j] = A[p][j];
                A[p][j] = t;
            }
        double inv = 1.0 / A[k][k];
        for (int i = k + 1; i < m; i++) {
            double f = A[i][k] * inv;
            A[i][k] = f;
            for (int j = k + 1; j < m; j++) A[i][j] -= f * A[k][j];
        }
    }
    return 0;
}

static void lu_m_solve(int m, double A[6][6], const int piv[6], double b[6])
{
    for (int k = 0; k < m; k++) {
        if (piv[k] != k) {
            double t = b[k];
            b[k] = b[piv[k]];
            b[piv[k]] = t;
        }
        for (int i = k + 1; i < m; i++) b[i] -= A[i][k] * b[k];
    }
    for (int i = m - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < m; j++) s -= A[i][j] * b[j];
        b[i] = s / A[i][i];
    }
}

typedef struct {
    int m, idx[6];   /* active Voigt components */
    double CD[6][6]; /* C D6 on the active components */
    double sig_tr[6];
    double R0, K, n, dt;
} rmn_ctx;

/* r(theta) and dr/dtheta; sig (full Voigt) the stress at theta. -1 if singular. */
static int rmn_eval(const rmn_ctx *x, double theta, double sig[6], double *r, double *dr)
{
    double A[6][6], s[6], ds[6];
    int piv[6], m = x->m;
    for (int a = 0; a < m; a++) {
        for (int c = 0; c < m; c++) A[a][c] = (a == c ? 1.0 : 0.0) + theta * x->CD[a][c];
        s[a] = x->sig_tr[x->idx[a]];
    }
    if (lu_m(m, A, piv) != 0) return -1;
    lu_m_solve(m, A, piv, s);
    for (int a = 0; a < m; a++) {
        double t = 0;
        for (int c = 0; c < m; c++) t += x->CD[a][c] * s[c];
        ds[a] = -t;
    }
    lu_m_solve(m, A, piv, ds);
    double dsf[6] = {0};
    for (int a = 0; a < 6; a++) sig[a] = 0;
    for (int a = 0; a < m; a++) {
        sig[x->idx[a]] = s[a];
        dsf[x->idx[a]] = ds[a];
    }
    double J2 = ts_pf_von_mises(sig);
    double tr3 = (sig[0] + sig[1] + sig[2]) / 3.0;
    double sd = (sig[0] - tr3) * dsf[0] + (sig[1] - tr3) * dsf[1] + (sig[2] - tr3) * dsf[2] +
                2.0 * (sig[3] * dsf[3] + sig[4] * dsf[4] + sig[5] * dsf[5]);
    double dJ2 = J2 > 0 ? 1.5 * sd / J2 : 0.0;
    double dp = 2.0 / 3.0 * theta * J2, ddp = 2.0 / 3.0 * (J2 + theta * dJ2);
    double over = 0, dover = 0;
    if (dp > 0) {
        over = x->K * pow(dp / x->dt, 1.0 / x->n);
        dover = over / (x->n * dp) * ddp;
    }
    *r = J2 - x->R0 - over;
    *dr = dJ2 - dover;
    return isfinite(*r) && isfinite(*dr) ? 0 : -1;
}

int ts_pf_return_map_strain_fast(const ts_pf_params *p, int ph, const double *eps, double dt, double *epl,
                                 double *pcum, double *dp_out, double *rate)
{
    static const double D[6][6] = {{2.0 / 3, -1.0 / 3, -1.0 / 3, 0, 0, 0}, {-1.0 / 3, 2.0 / 3, -1.0 / 3, 0, 0, 0},
                                   {-1.0 / 3, -1.0 / 3, 2.0 / 3, 0, 0, 0}, {0, 0, 0, 2, 0, 0},
                                   {0, 0, 0, 0, 2, 0},                    {0, 0, 0, 0, 0, 2}};
    const ts_pf_phase *P = &p->ph[ph];
    if (dp_out) *dp_out = 0;
    if (!P->plastic || !(dt > 0)) return 0;
    rmn_ctx x;
    for (int a = 0; a < 6; a++) {
        double s = 0;
        for (int b = 0; b < 6; b++) s += P->stiff[a][b] * (eps[b] - P->eig[b] - epl[b]);
        x.sig_tr[a] = s;
    }
    double J2tr = ts_pf_von_mises(x.sig_tr);
    if (!(J2tr > P->R0)) {
        if (rate) *rate = 0;
        return 0;
    }
    x.R0 = P->R0;
    x.K = P->K;
    x.n = P->n;
    x.dt = dt;
    /* active components: drop 23, 13 when decoupled and stress-free */
    int dec = x.sig_tr[3] == 0 && x.sig_tr[4] == 0;
    for (int a = 0; dec && a < 6; a++)
        for (int b = 3; dec && b < 5; b++)
            if (a != 3 && a != 4 && (P->stiff[a][b] != 0 || P->stiff[b][a] != 0)) dec = 0;
    x.m = 0;
    for (int a = 0; a < 6; a++)
        if (!dec || (a != 3 && a != 4)) x.idx[x.m++] = a;
    double G = 0;
    for (int a = 0; a < x.m; a++)
        for (int c = 0; c < x.m; c++) {
            double s = 0;
            for (int e = 0; e < 6; e++) s += P->stiff[x.idx[a]][e] * D[e][x.idx[c]];
            x.CD[a][c] = s;
        }
    for (int a = 3; a < 6; a++) G = fmax(G, P->stiff[a][a]);
    if (!(G > 0)) G = 1e-3 * P->stiff[0][0];
    double tol = 1e-10 * P->R0 + 1e-12 * J2tr, sig[6], r, dr;
    double lo = 0, hi = INFINITY, th = (J2tr / P->R0 - 1.0) / (3.0 * G);
    if (rate && *rate > 0) th = *rate * dt;
    int it, bad = 0;
    for (it = 0; it < 200; it++) {
        if (rmn_eval(&x, th, sig, &r, &dr) != 0) {
            bad = 1;
            break;
        }
        if (fabs(r) <= tol) break;
        if (r > 0)
            lo = th;
        else
            hi = th;
        if (isfinite(hi) && (hi - lo) <= 1e-15 * hi) break;
        double nt = (dr < 0) ? th - r / dr : NAN;
        if (!(nt > lo && nt < hi)) nt = isfinite(hi) ? 0.5 * (lo + hi) : 4.0 * th;
        th = nt;
    }
    if (bad || it >= 200) {
        /* not expected; the reference kernel decides (and reports) */
        int rc = ts_pf_return_map_strain(p, ph, eps, dt, epl, pcum, dp_out);
        if (!rc && rate) *rate = 0;
        return rc;
    }
    apply_flow(th, sig, epl, pcum, dp_out);
    if (rate) *rate = th / dt;
    return 0;
}
