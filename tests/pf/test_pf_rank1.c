/* Rank-one (laminate) phase mixture at one point (src/pf/pf_rank1.c), the
 * 2D solver's default mixture. Property tests on random states (four seed
 * phases, Cu6Sn5 monoclinic and rotated so that every coupling is exercised,
 * random eigen- and plastic strains, random weights and normals):
 *   - the closed form against an independent dense solve of the laminate
 *     conditions (compatibility, sum h a = 0, equal traction);
 *   - traction continuity sigma_r n = t, common tangential strain,
 *     sum h eps_r = eps, sigma = sum h sigma_r = Ceff eps - seff;
 *   - the driving force W_r - t . a_r against central finite differences of
 *     W(eps, h) = sum h_r W_r(eps_r) in h_r at fixed eps;
 *   - n = x is the 1D laminate of pf_mech.c (same phase stresses and
 *     strains; driving forces equal up to the phase-independent t . (e11, g12));
 *   - rotating n, the stiffnesses and all strains together rotates the result. */
#include <math.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/pf.h"
#include "ts_test.h"

#define EPS_REL 1e-9 /* closed-form identities: ~1e4 x machine epsilon of the stiffness scale */

static double uni(ts_rng *g, double lo, double hi) { return lo + (hi - lo) * ts_rng_uniform(g); }

/* random state: weights h (sum 1, one of them possibly tiny), strains, plastic strains */
static void random_state(ts_rng *g, ts_pf_params *p, double *h, double eps[3], double epl[][6], int tiny)
{
    int P = p->nphase;
    double sum = 0;
    for (int r = 0; r < P; r++) sum += (h[r] = uni(g, tiny ? 0 : 0.05, 1) * (tiny && ts_rng_uniform(g) < 0.2 ? 1e-6 : 1));
    for (int r = 0; r < P; r++) h[r] /= sum;
    for (int a = 0; a < 3; a++) eps[a] = uni(g, -0.02, 0.02);
    for (int r = 0; r < P; r++)
        for (int b = 0; b < 6; b++) epl[r][b] = (b == 3 || b == 4) ? 0 : uni(g, -0.005, 0.005);
}

static ts_pf_params seed_phases(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    double C[6][6];
    memcpy(C, p.ph[2].stiff, sizeof C);
    ts_pf_stiffness_rotate((const double(*)[6])C, 0.37, p.ph[2].stiff); /* monoclinic Cu6Sn5, rotated */
    p.ph[1].eig[0] = p.ph[1].eig[1] = -0.00327;
    p.ph[2].eig[0] = p.ph[2].eig[1] = -0.0279;
    p.ph[2].eig[5] = 0.004; /* a shear eigenstrain too */
    return p;
}

static void tensor_of_strain(const double v[6], double E[3][3])
{
    E[0][0] = v[0], E[1][1] = v[1], E[2][2] = v[2];
    E[1][2] = E[2][1] = v[3] / 2, E[0][2] = E[2][0] = v[4] / 2, E[0][1] = E[1][0] = v[5] / 2;
}

/* full 6 components: traction sigma n, common tangential strain, sum h eps_r = eps */
static void check_laminate(const ts_pf_params *p, const double *h, const double n[2], const double eps[3],
                           const ts_pf_rank1 *o)
{
    double sum[3] = {0, 0, 0}, ssum[3] = {0, 0, 0};
    for (int r = 0; r < p->nphase; r++) {
        const double *s = o->sig_ph[r], *e = o->eps_ph[r];
        double t0 = s[0] * n[0] + s[5] * n[1], t1 = s[5] * n[0] + s[1] * n[1];
        TS_CHECK_CLOSE(t0, o->t[0], EPS_REL * 1e11, 0);
        TS_CHECK_CLOSE(t1, o->t[1], EPS_REL * 1e11, 0);
        /* tangential strain s.eps_r.s, s = (-n1, n0), equals that of eps */
        double tr = e[0] * n[1] * n[1] + e[1] * n[0] * n[0] - e[5] * n[0] * n[1];
        double tm = eps[0] * n[1] * n[1] + eps[1] * n[0] * n[0] - eps[2] * n[0] * n[1];
        TS_CHECK_CLOSE(tr, tm, 1e-15, 0);
        TS_CHECK(e[2] == 0 && e[3] == 0 && e[4] == 0);
        static const int V[3] = {0, 1, 5};
        for (int c = 0; c < 3; c++) {
            sum[c] += h[r] * e[V[c]];
            ssum[c] += h[r] * s[V[c]];
        }
    }
    for (int c = 0; c < 3; c++) {
        TS_CHECK_CLOSE(sum[c], eps[c], 1e-15, 0);
        TS_CHECK_CLOSE(ssum[c], o->sig[c], EPS_REL * 1e11, 0);
        double lin = o->Ceff[c][0] * eps[0] + o->Ceff[c][1] * eps[1] + o->Ceff[c][2] * eps[2] - o->seff[c];
        TS_CHECK_CLOSE(lin, o->sig[c], EPS_REL * 1e11, 0);
        for (int d = 0; d < 3; d++) TS_CHECK_CLOSE(o->Ceff[c][d], o->Ceff[d][c], EPS_REL * 1e11, 0);
    }
}

/* dense Gaussian elimination with partial pivoting (n <= 16) */
static void gauss(int n, double A[16][16], double b[16])
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i][k]) > fabs(A[piv][k])) piv = i;
        for (int j = 0; j < n; j++) {
            double t = A[k][j];
            A[k][j] = A[piv][j];
            A[piv][j] = t;
        }
        double t = b[k];
        b[k] = b[piv];
        b[piv] = t;
        for (int i = k + 1; i < n; i++) {
            double f = A[i][k] / A[k][k];
            for (int j = k; j < n; j++) A[i][j] -= f * A[k][j];
            b[i] -= f * b[k];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < n; j++) s -= A[i][j] * b[j];
        b[i] = s / A[i][i];
    }
}

/* Independent: unknowns (a_r, t) from the full 6x6 stresses. Phase stress
 * sigma_r(a) = C_r (e6(eps + sym(a x n)) - eig - epl), linear in a: the
 * traction condition B^T sigma_r(a_r) - t = 0 (2 rows per phase, columns of
 * a_r from unit jumps) and sum h a = 0 (2 rows). */
static void independent_solve(const ts_pf_params *p, const double *h, const double n[2], const double eps[3],
                              double epl[][6], double a[][2], double t[2])
{
    int P = p->nphase, N = 2 * P + 2;
    double A[16][16] = {{0}}, b[16] = {0};
    for (int r = 0; r < P; r++) {
        const ts_pf_phase *ph = &p->ph[r];
        double base[6] = {eps[0], eps[1], 0, 0, 0, eps[2]};
        for (int col = -1; col < 2; col++) {
            double e[6], s[6];
            memcpy(e, base, sizeof e);
            if (col >= 0) { /* unit jump a = e_col: sym(a x n) */
                double u[2] = {col == 0, col == 1};
                for (int i = 0; i < 6; i++) e[i] = 0;
                e[0] = u[0] * n[0], e[1] = u[1] * n[1], e[5] = u[0] * n[1] + u[1] * n[0];
            }
            for (int i = 0; i < 6; i++) {
                s[i] = 0;
                for (int j = 0; j < 6; j++)
                    s[i] += ph->stiff[i][j] * (e[j] - (col < 0 ? ph->eig[j] + epl[r][j] : 0));
            }
            double tr0 = s[0] * n[0] + s[5] * n[1], tr1 = s[5] * n[0] + s[1] * n[1];
            if (col < 0) {
                b[2 * r] = -tr0;
                b[2 * r + 1] = -tr1;
            } else {
                A[2 * r][2 * r + col] = tr0;
                A[2 * r + 1][2 * r + col] = tr1;
            }
        }
        A[2 * r][2 * P] = -1;
        A[2 * r + 1][2 * P + 1] = -1;
        A[2 * P][2 * r] = h[r] * 1e11; /* scaled like the traction rows */
        A[2 * P + 1][2 * r + 1] = h[r] * 1e11;
    }
    gauss(N, A, b);
    for (int r = 0; r < P; r++) a[r][0] = b[2 * r], a[r][1] = b[2 * r + 1];
    t[0] = b[2 * P];
    t[1] = b[2 * P + 1];
}

static void test_closed_form(void)
{
    ts_pf_params p = seed_phases();
    ts_rng *g = ts_rng_create(11, 0);
    TS_CHECK(g != NULL);
    double maxa = 0, maxt = 0;
    for (int trial = 0; g && trial < 200; trial++) {
        double h[TS_PF_MAXPHASE], eps[3], epl[TS_PF_MAXPHASE][6], a[TS_PF_MAXPHASE][2], t[2];
        random_state(g, &p, h, eps, epl, 1);
        double th = uni(g, 0, 6.283185307179586), n[2] = {cos(th), sin(th)};
        const double *ep[TS_PF_MAXPHASE] = {epl[0], epl[1], epl[2], epl[3]};
        ts_pf_rank1 o;
        TS_CHECK_OK(ts_pf_rank1_point(&p, h, n, ep, eps, &o));
        check_laminate(&p, h, n, eps, &o);
        independent_solve(&p, h, n, eps, epl, a, t);
        for (int r = 0; r < p.nphase; r++)
            for (int i = 0; i < 2; i++) {
                TS_CHECK_CLOSE(o.a[r][i], a[r][i], 1e-12, 1e-8);
                maxa = fmax(maxa, fabs(o.a[r][i] - a[r][i]));
            }
        for (int i = 0; i < 2; i++) {
            TS_CHECK_CLOSE(o.t[i], t[i], 1e-9 * 1e11 * 1e-2, 1e-8);
            maxt = fmax(maxt, fabs(o.t[i] - t[i]));
        }
    }
    printf("  200 random states: max |a - a_dense| %.2e, max |t - t_dense| %.2e Pa\n", maxa, maxt);
    ts_rng_destroy(g);
}

/* W(eps, h) = sum h_r W_r(eps_r), h not renormalised (independent weights) */
static double W_of(const ts_pf_params *p, const double *h, const double n[2], const double *const *ep,
                   const double eps[3])
{
    ts_pf_rank1 o;
    if (ts_pf_rank1_point(p, h, n, ep, eps, &o)) return NAN;
    double W = 0;
    for (int r = 0; r < p->nphase; r++) W += h[r] * o.w[r];
    return W;
}

static void test_driving_force_fd(void)
{
    ts_pf_params p = seed_phases();
    ts_rng *g = ts_rng_create(12, 0);
    double worst = 0;
    for (int trial = 0; g && trial < 50; trial++) {
        double h[TS_PF_MAXPHASE], eps[3], epl[TS_PF_MAXPHASE][6];
        random_state(g, &p, h, eps, epl, 0);
        double th = uni(g, 0, 6.283185307179586), n[2] = {cos(th), sin(th)};
        const double *ep[TS_PF_MAXPHASE] = {epl[0], epl[1], epl[2], epl[3]};
        ts_pf_rank1 o;
        TS_CHECK_OK(ts_pf_rank1_point(&p, h, n, ep, eps, &o));
        double gscale = 0;
        for (int r = 0; r < p.nphase; r++) gscale = fmax(gscale, fabs(o.g[r]));
        for (int r = 0; r < p.nphase; r++) {
            /* step relative to h_r (the partition varies on the scale of h_r):
             * truncation ~(d/h)^2 = 1e-7, rounding ~1e-16 W/d < 1e-9 relative; h_r >= 0.05/4
             * here (with h_r ~ 1e-7 the rounding of W over d would dominate) */
            double d = 3e-4 * h[r], hp[TS_PF_MAXPHASE], hm[TS_PF_MAXPHASE];
            memcpy(hp, h, sizeof hp);
            memcpy(hm, h, sizeof hm);
            hp[r] += d;
            hm[r] -= d;
            double fd = (W_of(&p, hp, n, ep, eps) - W_of(&p, hm, n, ep, eps)) / (hp[r] - hm[r]);
            /* central differences: O(d^2) truncation, rounding ~1e-16 W / d */
            TS_CHECK_CLOSE(o.g[r], fd, 1e-6 * gscale, 1e-6);
            worst = fmax(worst, fabs(o.g[r] - fd) / gscale);
        }
    }
    printf("  driving force vs central differences of W: max |g - fd| / max|g| = %.2e\n", worst);
    ts_rng_destroy(g);
}

static void test_normal_x_is_1d(void)
{
    ts_pf_params p = seed_phases();
    ts_rng *g = ts_rng_create(13, 0);
    double worst_s = 0, worst_g = 0;
    for (int trial = 0; g && trial < 200; trial++) {
        double h[TS_PF_MAXPHASE], eps[3], epl[TS_PF_MAXPHASE][6];
        random_state(g, &p, h, eps, epl, 1);
        const double *ep[TS_PF_MAXPHASE] = {epl[0], epl[1], epl[2], epl[3]};
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double n[2] = {sgn, 0};
            ts_pf_rank1 o;
            TS_CHECK_OK(ts_pf_rank1_point(&p, h, n, ep, eps, &o));
            double s11 = sgn * o.t[0], s12 = sgn * o.t[1]; /* t = sigma n */
            double g1[TS_PF_MAXPHASE], gb1 = 0, gb2 = 0;
            for (int r = 0; r < p.nphase; r++) {
                ts_pf_phase_mech m;
                TS_CHECK_OK(ts_pf_phase_response(&p, r, s11, s12, eps[1], epl[r], &m));
                for (int i = 0; i < 6; i++) {
                    TS_CHECK_CLOSE(o.sig_ph[r][i], m.sig[i], 1e-9 * 1e9, 1e-12);
                    TS_CHECK_CLOSE(o.eps_ph[r][i], m.eps[i], 1e-15, 1e-12);
                    worst_s = fmax(worst_s, fabs(o.sig_ph[r][i] - m.sig[i]));
                }
                g1[r] = m.w - s11 * m.eps[0] - s12 * m.eps[5]; /* the 1D solver's elastic g */
                gb1 += h[r] * g1[r];
                gb2 += h[r] * o.g[r];
            }
            /* equal up to the phase-independent constant t . (e11, g12), which
             * cancels in g_r - sum h g, the combination the eta equation uses */
            for (int r = 0; r < p.nphase; r++) {
                TS_CHECK_CLOSE(o.g[r] - (s11 * eps[0] + s12 * eps[2]), g1[r], 1e-7, 1e-11);
                TS_CHECK_CLOSE(o.g[r] - gb2, g1[r] - gb1, 1e-6, 1e-10);
                worst_g = fmax(worst_g, fabs((o.g[r] - gb2) - (g1[r] - gb1)));
            }
        }
    }
    printf("  n = +-x vs the 1D laminate: max |sigma_r diff| %.2e Pa, max |(g - gbar) diff| %.2e J/m^3\n", worst_s,
           worst_g);
    ts_rng_destroy(g);
}

static void rot_strain(const double v[6], double th, double out[6])
{
    double E[3][3], R[3][3] = {{cos(th), -sin(th), 0}, {sin(th), cos(th), 0}, {0, 0, 1}}, F[3][3];
    tensor_of_strain(v, E);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            F[i][j] = 0;
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++) F[i][j] += R[i][k] * R[j][l] * E[k][l];
        }
    out[0] = F[0][0], out[1] = F[1][1], out[2] = F[2][2];
    out[3] = 2 * F[1][2], out[4] = 2 * F[0][2], out[5] = 2 * F[0][1];
}

static void rot_stress(const double v[6], double th, double out[6])
{
    double e[6] = {v[0], v[1], v[2], 2 * v[3], 2 * v[4], 2 * v[5]}, r[6];
    rot_strain(e, th, r);
    for (int i = 0; i < 6; i++) out[i] = i < 3 ? r[i] : r[i] / 2;
}

static void test_rotation(void)
{
    ts_pf_params p = seed_phases(), q = p;
    ts_rng *g = ts_rng_create(14, 0);
    for (int trial = 0; g && trial < 50; trial++) {
        double h[TS_PF_MAXPHASE], eps[3], epl[TS_PF_MAXPHASE][6], eplq[TS_PF_MAXPHASE][6];
        random_state(g, &p, h, eps, epl, 1);
        double phi0 = uni(g, 0, 6.283185307179586), th = uni(g, 0, 6.283185307179586);
        double n[2] = {cos(phi0), sin(phi0)}, nq[2] = {cos(phi0 + th), sin(phi0 + th)};
        for (int r = 0; r < p.nphase; r++) {
            ts_pf_stiffness_rotate((const double(*)[6])p.ph[r].stiff, th, q.ph[r].stiff);
            rot_strain(p.ph[r].eig, th, q.ph[r].eig);
            rot_strain(epl[r], th, eplq[r]);
        }
        double e6[6] = {eps[0], eps[1], 0, 0, 0, eps[2]}, e6q[6];
        rot_strain(e6, th, e6q);
        double epsq[3] = {e6q[0], e6q[1], e6q[5]};
        const double *ep[TS_PF_MAXPHASE] = {epl[0], epl[1], epl[2], epl[3]};
        const double *epq[TS_PF_MAXPHASE] = {eplq[0], eplq[1], eplq[2], eplq[3]};
        ts_pf_rank1 o, oq;
        TS_CHECK_OK(ts_pf_rank1_point(&p, h, n, ep, eps, &o));
        TS_CHECK_OK(ts_pf_rank1_point(&q, h, nq, epq, epsq, &oq));
        double tr[2] = {cos(th) * o.t[0] - sin(th) * o.t[1], sin(th) * o.t[0] + cos(th) * o.t[1]};
        for (int i = 0; i < 2; i++) TS_CHECK_CLOSE(oq.t[i], tr[i], 1e-9 * 1e9, 1e-9);
        for (int r = 0; r < p.nphase; r++) {
            double sr[6], er[6];
            rot_stress(o.sig_ph[r], th, sr);
            rot_strain(o.eps_ph[r], th, er);
            for (int i = 0; i < 6; i++) {
                TS_CHECK_CLOSE(oq.sig_ph[r][i], sr[i], 1e-9 * 1e9, 1e-9);
                TS_CHECK_CLOSE(oq.eps_ph[r][i], er[i], 1e-15, 1e-9);
            }
            TS_CHECK_CLOSE(oq.g[r], o.g[r], 1e-6, 1e-9);
            TS_CHECK_CLOSE(oq.w[r], o.w[r], 1e-6, 1e-9);
        }
        double s6[6] = {o.sig[0], o.sig[1], 0, 0, 0, o.sig[2]}, s6r[6];
        rot_stress(s6, th, s6r);
        TS_CHECK_CLOSE(oq.sig[0], s6r[0], 1e-9 * 1e9, 1e-9);
        TS_CHECK_CLOSE(oq.sig[1], s6r[1], 1e-9 * 1e9, 1e-9);
        TS_CHECK_CLOSE(oq.sig[2], s6r[5], 1e-9 * 1e9, 1e-9);
    }
    ts_rng_destroy(g);
}

/* without a normal: the equal-strain mixture; with one, for two phases of
 * different stiffness the rank-one mixture is softer along n than equal strain
 * and stiffer than equal stress (the Voigt and Reuss bounds) */
static void test_bounds_and_voigt(void)
{
    ts_pf_params p = seed_phases();
    double h[4] = {0, 0.5, 0, 0.5}, eps[3] = {0.01, -0.004, 0.002}, n[2] = {1, 0};
    ts_pf_rank1 v, r1;
    TS_CHECK_OK(ts_pf_rank1_point(&p, h, NULL, NULL, eps, &v));
    TS_CHECK_OK(ts_pf_rank1_point(&p, h, n, NULL, eps, &r1));
    for (int r = 0; r < 4; r++) TS_CHECK(v.a[r][0] == 0 && v.a[r][1] == 0 && v.g[r] == v.w[r]);
    double R1[3][3], R3[3][3];
    ts_pf_reduce_stiffness((const double(*)[6])p.ph[1].stiff, R1);
    ts_pf_reduce_stiffness((const double(*)[6])p.ph[3].stiff, R3);
    /* Voigt: Ceff = mean; rank-one C11 between the harmonic and arithmetic means of C11 */
    TS_CHECK_CLOSE(v.Ceff[0][0], 0.5 * (R1[0][0] + R3[0][0]), 0, 1e-14);
    TS_CHECK(r1.Ceff[0][0] < v.Ceff[0][0] && r1.Ceff[0][0] > 0.0);
    /* the tangential stiffness C22 keeps a Voigt part: larger than the Reuss value */
    TS_CHECK(r1.Ceff[1][1] > 1.0 / (0.5 / R1[1][1] + 0.5 / R3[1][1]));
}

int main(void)
{
    TS_RUN(test_closed_form);
    TS_RUN(test_driving_force_fd);
    TS_RUN(test_normal_x_is_1d);
    TS_RUN(test_rotation);
    TS_RUN(test_bounds_and_voigt);
    return ts_test_summary();
}
