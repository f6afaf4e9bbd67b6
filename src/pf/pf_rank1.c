/* Partial rank-one (laminate) homogenisation of the phase mixture at one
 * point of the 2D solver: the seed's mixed Reuss/Voigt scheme (seed 002
 * App. A.3, eqs. (A.8)-(A.11)) for an interface of any in-plane normal n.
 *
 * Plane strain, in-plane Voigt vectors with engineering shear:
 * eps = (e11, e22, g12), sigma = (s11, s22, s12). Phase r (weight h_r, the
 * phase fraction phi_r) has the total strain
 *   eps_r = eps + B a_r,  B a = Voigt(sym(a (x) n)) = (a1 n1, a2 n2, a1 n2 + a2 n1)
 * (compatible across the interface: the tangential strain is common), with
 *   sum_r h_r a_r = 0                    (the mixture strain is eps),
 *   sigma_r n = B^T sigma_r = t          (equal traction).
 * With sigma_r = R_r eps_r - q_r (R_r the reduced plane-strain stiffness,
 * q_r the in-plane rows of C_r (eps*_r + eps_pl,r), full 6x6 C_r), the
 * acoustic tensor K_r = B^T R_r B and the traction at the common strain
 * r_r = B^T (R_r eps - q_r):
 *   a_r = K_r^-1 (t - r_r),  t = (sum h K^-1)^-1 sum h K_r^-1 r_r,
 *   sigma = sum h_r sigma_r = C_eff eps - s_eff,
 *   C_eff = sum h R - sum h G^T X G + (sum h G^T X) M (sum h X G),
 *   with G_r = B^T R_r, X_r = K_r^-1, M = (sum h X)^-1 (symmetric).
 * Driving force (envelope theorem): W(eps, h) = sum h_r W_r(eps_r) is
 * stationary in the a_r under the constraint sum h a = 0 with multiplier t,
 * so dW/dh_r at fixed eps = W_r(eps_r) - t . a_r, W_r = 1/2 sigma_r : el_r
 * (full 6 components; plastic eps33 acts through C13, C23).
 * For n = x this is exactly the 1D laminate (pf_mech.c): t = (s11, s12),
 * e22 common, each phase's e11, g12 from s11, s12; the 1D driving force
 * w_r - s11 e11_r - s12 g12_r differs from W_r - t . a_r by the
 * phase-independent t . (e11, g12), which cancels in g_r - sum phi g.
 * nrm = NULL: the equal-strain (Voigt-Taylor) mixture, a_r = 0. */
#include <math.h>
#include <string.h>

#include "tinsel/pf.h"

static const int V3[3] = {0, 1, 5}; /* in-plane Voigt components */

/* inverse of a 2x2 matrix; -1 if singular */
static int inv2(double A[2][2], double X[2][2])
{
    double det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
    if (!(fabs(det) > 0) || !isfinite(det)) return -1;
    X[0][0] = A[1][1] / det;
    X[1][1] = A[0][0] / det;
    X[0][1] = -A[0][1] / det;
    X[1][0] = -A[1][0] / det;
    return 0;
}

/* G = B^T R (2x3) for the normal n */
static void make_G(const double R[3][3], const double n[2], double G[2][3])
{
    for (int c = 0; c < 3; c++) {
        G[0][c] = n[0] * R[0][c] + n[1] * R[2][c];
        G[1][c] = n[1] * R[1][c] + n[0] * R[2][c];
    }
}

/* K = G B (2x2) */
static void make_K(double G[2][3], const double n[2], double K[2][2])
{
    for (int a = 0; a < 2; a++) {
        K[a][0] = G[a][0] * n[0] + G[a][2] * n[1];
        K[a][1] = G[a][1] * n[1] + G[a][2] * n[0];
    }
}

void ts_pf_rank1_phase_strain_(const double eps[3], const double nrm[2], const double a[2], double er[3]);

/* A phase's in-plane strain er = eps + B a (B a = Voigt(sym(a (x) n)));
 * nrm = NULL: er = eps (equal strain). Shared with the 2D solver. */
void ts_pf_rank1_phase_strain_(const double eps[3], const double nrm[2], const double a[2], double er[3])
{
    er[0] = eps[0];
    er[1] = eps[1];
    er[2] = eps[2];
    if (!nrm) return;
    er[0] += a[0] * nrm[0];
    er[1] += a[1] * nrm[1];
    er[2] += a[0] * nrm[1] + a[1] * nrm[0];
}

/* The part of the partition that depends only on the weights, the normal
 * and the stiffnesses: X_r = K_r^-1 and M = (sum h X)^-1. -1 if singular. */
static int prepare(int P, const double *h, const double nrm[2], const double (*R)[3][3],
                   double X[][2][2], double M[2][2])
{
    double Y[2][2] = {{0}};
    for (int r = 0; r < P; r++) {
        double G[2][3], K[2][2];
        make_G(R[r], nrm, G);
        make_K(G, nrm, K);
        if (inv2(K, X[r]) != 0) return -1;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) Y[i][j] += h[r] * X[r][i][j];
    }
    return inv2(Y, M);
}

/* The partition for one strain and eigenstress given prepare()'s X, M
 * (ignored for nrm = NULL, equal strain). */
static void apply(int P, const double *h, const double nrm[2], const double (*R)[3][3], double X[][2][2],
                  double M[2][2], const double (*q)[3], const double eps[3], double t[2], double (*a)[2],
                  double sig[3])
{
    double rr[TS_PF_MAXPHASE][2], y[2] = {0}, tt[2] = {0, 0}, aa[TS_PF_MAXPHASE][2];
    if (nrm) {
        for (int r = 0; r < P; r++) {
            double sr[3];
            for (int c = 0; c < 3; c++)
                sr[c] = R[r][c][0] * eps[0] + R[r][c][1] * eps[1] + R[r][c][2] * eps[2] - (q ? q[r][c] : 0);
            rr[r][0] = nrm[0] * sr[0] + nrm[1] * sr[2];
            rr[r][1] = nrm[1] * sr[1] + nrm[0] * sr[2];
            for (int i = 0; i < 2; i++) y[i] += h[r] * (X[r][i][0] * rr[r][0] + X[r][i][1] * rr[r][1]);
        }
        tt[0] = M[0][0] * y[0] + M[0][1] * y[1];
        tt[1] = M[1][0] * y[0] + M[1][1] * y[1];
        for (int r = 0; r < P; r++)
            for (int i = 0; i < 2; i++)
                aa[r][i] = X[r][i][0] * (tt[0] - rr[r][0]) + X[r][i][1] * (tt[1] - rr[r][1]);
    } else {
        memset(aa, 0, sizeof aa);
    }
    if (sig) {
        sig[0] = sig[1] = sig[2] = 0;
        for (int r = 0; r < P; r++) {
            double er[3];
            ts_pf_rank1_phase_strain_(eps, nrm, aa[r], er);
            for (int c = 0; c < 3; c++)
                sig[c] += h[r] * (R[r][c][0] * er[0] + R[r][c][1] * er[1] + R[r][c][2] * er[2] - (q ? q[r][c] : 0));
        }
    }
    if (t) {
        t[0] = tt[0];
        t[1] = tt[1];
    }
    if (a) memcpy(a, aa, (size_t)P * sizeof aa[0]);
}

int ts_pf_rank1_reduced_(int P, const double *h, const double nrm[2], const double (*R)[3][3],
                         const double (*q)[3], const double eps[3], double t[2], double (*a)[2], double sig[3]);

/* The partition on reduced data (the solver's kernel): P phases, weights
 * h[P] >= 0 (sum 1), unit normal nrm (NULL: equal strain), R[P] reduced
 * stiffnesses (Pa), q[P] in-plane eigenstresses C_r (eps* + eps_pl) (Pa, NULL:
 * none), eps[3] the mixture strain. Out: t[2] traction (Pa), a[P][2] jumps,
 * sig[3] the mixture stress (any may be NULL). -1 if an acoustic tensor is
 * singular. */
int ts_pf_rank1_reduced_(int P, const double *h, const double nrm[2], const double (*R)[3][3],
                         const double (*q)[3], const double eps[3], double t[2], double (*a)[2], double sig[3])
{
    double X[TS_PF_MAXPHASE][2][2], M[2][2];
    if (nrm && prepare(P, h, nrm, R, X, M) != 0) return -1;
    apply(P, h, nrm, R, X, M, q, eps, t, a, sig);
    return 0;
}

int ts_pf_rank1_affine_(int P, const double *h, const double nrm[2], const double (*R)[3][3], const double (*q)[3],
                        double Ceff[3][3], double seff[3]);

/* sigma = Ceff eps - seff of the partition (exact: the map is affine in
 * eps; Ceff from unit strains without eigenstress, seff = -sigma(0); the
 * acoustic tensors are inverted once for the four evaluations). */
int ts_pf_rank1_affine_(int P, const double *h, const double nrm[2], const double (*R)[3][3], const double (*q)[3],
                        double Ceff[3][3], double seff[3])
{
    double X[TS_PF_MAXPHASE][2][2], M[2][2];
    if (nrm && prepare(P, h, nrm, R, X, M) != 0) return -1;
    for (int j = 0; j < 3; j++) {
        double e[3] = {0, 0, 0}, s[3];
        e[j] = 1.0;
        apply(P, h, nrm, R, X, M, NULL, e, NULL, NULL, s);
        for (int i = 0; i < 3; i++) Ceff[i][j] = s[i];
    }
    static const double zero[3] = {0, 0, 0};
    double s0[3];
    apply(P, h, nrm, R, X, M, q, zero, NULL, NULL, s0);
    for (int i = 0; i < 3; i++) seff[i] = -s0[i];
    return 0;
}

int ts_pf_rank1_point(const ts_pf_params *p, const double *h, const double nrm[2],
                      const double *const *epl, const double eps[3], ts_pf_rank1 *out)
{
    int P = p->nphase;
    double R[TS_PF_MAXPHASE][3][3], q[TS_PF_MAXPHASE][3];
    for (int r = 0; r < P; r++) {
        const ts_pf_phase *ph = &p->ph[r];
        ts_pf_reduce_stiffness((const double(*)[6])ph->stiff, R[r]);
        for (int c = 0; c < 3; c++) {
            double acc = 0;
            for (int b = 0; b < 6; b++) acc += ph->stiff[V3[c]][b] * (ph->eig[b] + (epl && epl[r] ? epl[r][b] : 0));
            q[r][c] = acc;
        }
    }
    double a[TS_PF_MAXPHASE][2];
    if (ts_pf_rank1_reduced_(P, h, nrm, (const double(*)[3][3])R, (const double(*)[3])q, eps, out->t, a,
                             out->sig) != 0)
        return ts_error_set(TS_ERR_SINGULAR, "rank-one mixture: singular acoustic tensor (n = %g, %g)",
                            nrm ? nrm[0] : 0.0, nrm ? nrm[1] : 0.0);
    if (ts_pf_rank1_affine_(P, h, nrm, (const double(*)[3][3])R, (const double(*)[3])q, out->Ceff, out->seff) != 0)
        return ts_error_set(TS_ERR_SINGULAR, "rank-one mixture: singular acoustic tensor");
    for (int r = 0; r < P; r++) {
        const ts_pf_phase *ph = &p->ph[r];
        double er[3];
        ts_pf_rank1_phase_strain_(eps, nrm, a[r], er);
        double e6[6] = {er[0], er[1], 0, 0, 0, er[2]}, el[6], w = 0;
        for (int b = 0; b < 6; b++) el[b] = e6[b] - ph->eig[b] - (epl && epl[r] ? epl[r][b] : 0);
        for (int i = 0; i < 6; i++) {
            double s = 0;
            for (int j = 0; j < 6; j++) s += ph->stiff[i][j] * el[j];
            out->sig_ph[r][i] = s;
            w += 0.5 * s * el[i];
        }
        memcpy(out->eps_ph[r], e6, sizeof e6);
        out->a[r][0] = a[r][0];
        out->a[r][1] = a[r][1];
        out->w[r] = w;
        out->g[r] = w - (out->t[0] * a[r][0] + out->t[1] * a[r][1]);
    }
    return 0;
}
