/* 1D (mixed Reuss/Voigt laminate) vs 2D (Hu-Chen) at the same state: the
 * seed's VolEig grid (512 cells of 0.05 um, kappa/2, 2m), the common tanh
 * start, Cu and Sn elastic (and, in one case, viscoplastic), 10 fixed steps
 * of 1e-3 s. Compared: sigma11 and the interface rates R_r = integral of
 * d(eta_r)/dt dx (m/s).
 *
 * 2D with the rank-one mixture (the default; for planar layers n = x, the
 * seed's mixed scheme) must agree with 1D in every case (measured to
 * <= 1e-6 relative; tolerance 1e-4 for the Hu-Chen tolerance 1e-9 in strain
 * and the rounding of the FFTs). 2D with the equal-strain mixture
 * (mixture = voigt) agrees only for the small misfit of EqEig (Cu3Sn =
 * Cu6Sn5 = -0.00327); with the VolEig misfit (Cu6Sn5 -0.0279) its interface
 * rates differ by 30-56 % and x4 (docs/pf.md, "The seed's 2D periodic
 * set-up"), which the test pins so that it fails if the mixtures stop
 * differing. */
#include "tinsel/pf.h"
#include "ts_test.h"

typedef struct {
    double s11_1d, s11_2d; /* Pa */
    double r1[4], r2[4];   /* integral d eta_r/dt dx, m/s: 1D, 2D (row y = 0) */
} rates;

static int interface_rates(double eig_cu6sn5, double e22, int mixture, int plastic, rates *out)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.n = 512;
    p.dx = 0.05e-6;
    p.kappa = 1.125e-7;
    p.m = 1e7;
    p.mechanics = 1;
    p.applied_e22 = e22;
    p.ph[0].plastic = p.ph[3].plastic = plastic;
    p.ph[1].eig[0] = p.ph[1].eig[1] = -0.00327;
    p.ph[2].eig[0] = p.ph[2].eig[1] = eig_cu6sn5;
    p.adaptive = 0;
    p.dt_init = 1e-3;
    ts_pf_sim2d *s = NULL;
    ts_pf_sim *o = NULL;
    int rc = ts_pf_sim2d_create(&p, 2, p.dx, 0, 0, &s);
    if (!rc) ts_pf_sim2d_set_mixture(s, mixture);
    if (!rc) rc = ts_pf_sim_create(&p, &o);
    size_t n = (size_t)p.n, P = (size_t)p.nphase;
    double *e0 = rc ? NULL : malloc(P * n * sizeof(double));
    if (!rc && !e0) rc = TS_ERR_NOMEM;
    if (!rc) memcpy(e0, ts_pf_sim_eta(o), P * n * sizeof(double));
    /* the two solvers start from the same profiles */
    for (size_t r = 0; !rc && r < P; r++)
        for (size_t i = 0; i < n; i++)
            if (fabs(ts_pf_sim2d_eta(s)[r * 2 * n + i] - e0[r * n + i]) > 1e-15) rc = TS_ERR_INVAL;
    for (int k = 0; !rc && k < 10; k++) {
        rc = ts_pf_sim_step(o);
        if (!rc) rc = ts_pf_sim2d_step(s);
    }
    if (!rc) {
        double t = ts_pf_sim_time(o), s12;
        ts_pf_sim_stress(o, &out->s11_1d, &s12);
        out->s11_2d = ts_pf_sim2d_stress(s)[0];
        for (size_t r = 0; r < P; r++) {
            out->r1[r] = out->r2[r] = 0;
            for (size_t i = 0; i < n; i++) {
                out->r1[r] += (ts_pf_sim_eta(o)[r * n + i] - e0[r * n + i]) / t * p.dx;
                out->r2[r] += (ts_pf_sim2d_eta(s)[r * 2 * n + i] - e0[r * n + i]) / t * p.dx;
            }
        }
        printf("  %s, eig(Cu6Sn5) %g, e22 %g%s: sigma11 1D %.7e 2D %.7e Pa; R (m/s) 1D / 2D: Cu3Sn %.6e / %.6e, "
               "Cu6Sn5 %.6e / %.6e, Sn %.6e / %.6e\n",
               mixture == TS_PF_MIX_RANK1 ? "rank1" : "voigt", eig_cu6sn5, e22, plastic ? ", plastic" : "",
               out->s11_1d, out->s11_2d, out->r1[1], out->r2[1], out->r1[2], out->r2[2], out->r1[3], out->r2[3]);
    }
    free(e0);
    ts_pf_sim2d_destroy(s);
    ts_pf_sim_destroy(o);
    return rc;
}

/* rank-one 2D = 1D laminate for planar layers, every misfit and load */
static void test_rank1_matches_1d(void)
{
    static const double eig[2] = {-0.00327, -0.0279}, e22[2] = {0, -0.025};
    for (int m = 0; m < 2; m++)
        for (int q = 0; q < 2; q++)
            for (int pl = 0; pl < 2; pl++) {
                if (pl && (m == 0 || q == 0)) continue; /* plasticity: VolEig under load only */
                rates a;
                TS_CHECK_OK(interface_rates(eig[m], e22[q], TS_PF_MIX_RANK1, pl, &a));
                /* elastic: same equations (measured <= 1e-6); plastic: 2D updates the
                 * plastic strain after the equilibrium solve (staggered, first order in
                 * dt), 1D solves the two together: measured sigma11 +0.41 %, rates
                 * <= 0.75 % at dt = 1e-3 s (+0.22 %, <= 0.32 % at 1e-4 s) */
                double tol = pl ? 1e-2 : 1e-4;
                TS_CHECK_CLOSE(a.s11_2d, a.s11_1d, 0, tol);
                for (int r = 0; r < 4; r++) {
                    double scale = fmax(fabs(a.r1[1]), fmax(fabs(a.r1[2]), fabs(a.r1[3])));
                    TS_CHECK_CLOSE(a.r2[r], a.r1[r], tol * scale, tol);
                }
            }
}

static void test_small_misfit_agrees(void)
{
    static const double e22[2] = {0, -0.025};
    for (int q = 0; q < 2; q++) {
        rates a;
        TS_CHECK_OK(interface_rates(-0.00327, e22[q], TS_PF_MIX_VOIGT, 0, &a));
        TS_CHECK_CLOSE(a.s11_2d, a.s11_1d, 0, 0.01);
        TS_CHECK_CLOSE(a.r2[2], a.r1[2], 0, 0.01); /* Cu6Sn5 (measured 0.7 %, 0.05 %) */
        TS_CHECK_CLOSE(a.r2[1], a.r1[1], 0, 0.05); /* Cu3Sn (measured 0.5 %, 3.1 %) */
    }
}

static void test_large_misfit_differs(void)
{
    rates a, b;
    TS_CHECK_OK(interface_rates(-0.0279, 0, TS_PF_MIX_VOIGT, 0, &a));
    TS_CHECK_OK(interface_rates(-0.0279, -0.025, TS_PF_MIX_VOIGT, 0, &b));
    /* the bulk mechanics agree (sigma11 to 1.4 % / 0.3 %: the interfaces
     * enter the average-strain constraint) ... */
    TS_CHECK_CLOSE(a.s11_2d, a.s11_1d, 0, 0.03);
    TS_CHECK_CLOSE(b.s11_2d, b.s11_1d, 0, 0.03);
    /* ... the interface rates do not: no load, Cu6Sn5 1D -3.38e-11 vs 2D
     * -4.42e-11 m/s (+31 %); AppCompY, 1D +1.28e-11 vs 2D +0.32e-11 (x0.25) */
    TS_CHECK(a.r1[2] < 0 && a.r2[2] < a.r1[2] * 1.2);
    TS_CHECK(b.r1[2] > 0 && b.r2[2] > 0 && b.r2[2] < 0.5 * b.r1[2]);
}

int main(void)
{
    TS_RUN(test_rank1_matches_1d);
    TS_RUN(test_small_misfit_agrees);
    TS_RUN(test_large_misfit_differs);
    return ts_test_summary();
}
