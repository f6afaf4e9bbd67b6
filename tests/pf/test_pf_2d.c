/* 2D solver (chemistry + interfaces, FFTW): a y-uniform start reproduces
 * the 1D solver; mass is conserved with scallops; bad input is rejected. */
#include "tinsel/pf.h"
#include "ts_test.h"
#include <float.h>
#include <omp.h>

/* Planar layers, 256 cells, 20 000 s at the default step cap dt_max = 50 s:
 * the 2D solver (PCG c step at the default c_tol) against the 1D solver
 * (tridiagonal c step). Growth d(t) - d(0) (0.08 um Cu3Sn, 0.42 um Cu6Sn5)
 * within 1 %, thickness within 0.1 % (measured at c_tol = 1e-3: +0.03 % and
 * +0.05 % of the growth, 1e-5 and 9e-5 of the thickness). The old 4 defect-correction sweeps at the same dt miss the Cu3Sn
 * growth by ~90 % (docs/pf.md): checked too, so that this test can fail. */
static void test_planar_matches_1d(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    TS_CHECK(p.dt_max == 50.0);
    ts_pf_sim2d *s = NULL, *w = NULL;
    ts_pf_sim *o = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, 2, 0.1e-6, 0, 0, &s));
    TS_CHECK_OK(ts_pf_sim2d_create(&p, 2, 0.1e-6, 0, 0, &w));
    TS_CHECK_OK(ts_pf_sim_create(&p, &o));
    if (!s || !o || !w) return;
    ts_pf_sim2d_set_c_solver(w, TS_PF_C_SWEEPS, 0, 0);
    TS_CHECK_OK(ts_pf_sim2d_advance(s, 20000.0));
    TS_CHECK_OK(ts_pf_sim2d_advance(w, 20000.0));
    TS_CHECK_OK(ts_pf_sim_advance(o, 20000.0));
    double d2[4], d1[4], dw[4], d0 = 2e-6; /* initial Cu3Sn, Cu6Sn5 widths */
    ts_pf_sim2d_thickness(s, d2);
    ts_pf_sim2d_thickness(w, dw);
    ts_pf_sim_thickness(o, d1);
    ts_pf_sim2d_stats st;
    ts_pf_sim2d_stats_get(s, &st);
    printf("  20000 s, dt_max 50 s: Cu3Sn 2D %.5f um 1D %.5f um (growth %+.3f %%); Cu6Sn5 2D %.5f um 1D %.5f um "
           "(growth %+.3f %%); %ld steps, %ld PCG iterations (max %d per step); 4 sweeps: Cu3Sn growth %+.1f %%\n",
           d2[1] * 1e6, d1[1] * 1e6, 100 * ((d2[1] - d0) / (d1[1] - d0) - 1), d2[2] * 1e6, d1[2] * 1e6,
           100 * ((d2[2] - d0) / (d1[2] - d0) - 1), st.steps, st.c_iters, st.c_iters_max,
           100 * ((dw[1] - d0) / (d1[1] - d0) - 1));
    TS_CHECK(d1[1] - d0 > 0.05e-6 && d1[2] - d0 > 0.2e-6); /* both layers grow */
    TS_CHECK_CLOSE(d2[1] - d0, d1[1] - d0, 0, 0.01);
    TS_CHECK_CLOSE(d2[2] - d0, d1[2] - d0, 0, 0.01);
    TS_CHECK_CLOSE(d2[1], d1[1], 0, 1e-3);
    TS_CHECK_CLOSE(d2[2], d1[2], 0, 1e-3);
    TS_CHECK(st.rejected == 0 && st.rej_c_solve == 0);
    TS_CHECK(fabs((dw[1] - d0) / (d1[1] - d0) - 1) > 0.1); /* the unconverged sweeps are visibly off */
    ts_pf_sim2d_destroy(w);
    /* y-uniformity is kept */
    const double *eta = ts_pf_sim2d_eta(s);
    double dev = 0;
    for (int j = 1; j < 2; j++)
        for (int i = 0; i < p.n; i++) dev = fmax(dev, fabs(eta[j * p.n + i] - eta[i]));
    TS_CHECK(dev < 1e-10);
    ts_pf_sim2d_destroy(s);
    ts_pf_sim_destroy(o);
}

static void test_scallops_conserve(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    ts_pf_sim2d *s = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, 16, 0.1e-6, 0.8e-6, 1.6e-6, &s));
    if (!s) return;
    size_t n = (size_t)p.n * 16;
    double m0 = 0, m1 = 0;
    for (size_t k = 0; k < n; k++) m0 += ts_pf_sim2d_c(s)[k];
    TS_CHECK_OK(ts_pf_sim2d_advance(s, 2000.0));
    for (size_t k = 0; k < n; k++) m1 += ts_pf_sim2d_c(s)[k];
    TS_CHECK_CLOSE(m1, m0, 0, 1e-12);
    ts_pf_sim2d_destroy(s);
    p.mechanics = 1;
    p.normal = TS_PF_NORMAL_STRESS;
    TS_CHECK_ERR(ts_pf_sim2d_create(&p, 32, 0.1e-6, 0, 0, &s), TS_ERR_UNSUPPORTED);
    p.mechanics = 0;
    p.normal = TS_PF_NORMAL_STRAIN;
    TS_CHECK_ERR(ts_pf_sim2d_create(&p, 32, 0.1e-6, 1e-6, 0, &s), TS_ERR_RANGE);
}

/* Scallops with elastoplastic mechanics (the VolEig misfit, y compression,
 * Cu and Sn viscoplastic): the rank-one mixture with the local normal (the
 * default) runs, stays finite and conserves mass; the scallops make the
 * normal leave x (the mixture stress differs from equal strain there). */
static void test_scallops_mech_rank1(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.n = 128;
    p.mechanics = 1;
    p.applied_e22 = -0.01;
    p.ph[0].width = p.ph[3].width = 4.4e-6; /* 12.8 um in x */
    p.ph[1].eig[0] = p.ph[1].eig[1] = -0.00327;
    p.ph[2].eig[0] = p.ph[2].eig[1] = -0.0279;
    double s11max[2] = {0, 0};
    for (int mix = 0; mix < 2; mix++) {
        ts_pf_sim2d *s = NULL;
        TS_CHECK_OK(ts_pf_sim2d_create(&p, 16, 0.1e-6, 0.8e-6, 1.6e-6, &s));
        if (!s) return;
        ts_pf_sim2d_set_mixture(s, mix == 0 ? TS_PF_MIX_RANK1 : TS_PF_MIX_VOIGT);
        size_t n = (size_t)p.n * 16;
        double m0 = 0, m1 = 0;
        for (size_t k = 0; k < n; k++) m0 += ts_pf_sim2d_c(s)[k];
        TS_CHECK_OK(ts_pf_sim2d_advance(s, 2000.0));
        int finite = 1;
        for (size_t k = 0; k < n; k++) {
            m1 += ts_pf_sim2d_c(s)[k];
            finite &= isfinite(ts_pf_sim2d_c(s)[k]);
            for (int r = 0; r < p.nphase; r++) finite &= isfinite(ts_pf_sim2d_eta(s)[r * n + k]);
            for (int a = 0; a < 3; a++) finite &= isfinite(ts_pf_sim2d_stress(s)[a * n + k]);
            s11max[mix] = fmax(s11max[mix], fabs(ts_pf_sim2d_stress(s)[k]));
        }
        TS_CHECK(finite);
        TS_CHECK_CLOSE(m1, m0, 0, 1e-12);
        double d[4];
        ts_pf_sim2d_thickness(s, d);
        printf("  scallops, mechanics, %s: 2000 s in %ld steps, Cu3Sn %.4f Cu6Sn5 %.4f um, max |s11| %.4e Pa, "
               "mass %.2e rel.\n",
               mix == 0 ? "rank1" : "voigt", ts_pf_sim2d_steps(s), d[1] * 1e6, d[2] * 1e6, s11max[mix],
               fabs(m1 - m0) / m0);
        ts_pf_sim2d_destroy(s);
    }
    TS_CHECK(fabs(s11max[0] - s11max[1]) > 1e-3 * s11max[1]);
}

/* Planar layers with eigenstrains and an applied strain: the 2D model with
 * Hu-Chen mechanics (rank-one mixture, the default; n = x here, so the 1D
 * mixed scheme; elastic) against the 1D laminate (mixed Reuss/Voigt, with
 * plasticity switched off): the same equations, so they agree to the
 * Hu-Chen tolerance (measured: s11 to 1e-5, thicknesses to 2e-5; with the
 * equal-strain mixture 7e-4 and 4e-4). */
static void test_planar_mechanics_vs_1d(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.dt_max = 5.0;
    p.mechanics = 1;
    p.applied_e22 = -0.01;
    p.ph[0].plastic = p.ph[3].plastic = 0;
    p.ph[1].eig[0] = p.ph[1].eig[1] = -0.00327;
    p.ph[2].eig[0] = p.ph[2].eig[1] = -0.00327;
    ts_pf_sim2d *s = NULL;
    ts_pf_sim *o = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, 2, 0.1e-6, 0, 0, &s));
    TS_CHECK_OK(ts_pf_sim_create(&p, &o));
    if (!s || !o) return;
    TS_CHECK_OK(ts_pf_sim2d_advance(s, 20000.0));
    TS_CHECK_OK(ts_pf_sim_advance(o, 20000.0));
    double d2[4], d1[4], s11, s12;
    ts_pf_sim2d_thickness(s, d2);
    ts_pf_sim_thickness(o, d1);
    ts_pf_sim_stress(o, &s11, &s12);
    const double *sg = ts_pf_sim2d_stress(s);
    printf("  mechanics, 20000 s: Cu3Sn 2D %.5f 1D %.5f um; Cu6Sn5 2D %.5f 1D %.5f um; s11 2D %.4e 1D %.4e Pa\n",
           d2[1] * 1e6, d1[1] * 1e6, d2[2] * 1e6, d1[2] * 1e6, sg ? sg[0] : NAN, s11);
    TS_CHECK(sg != NULL);
    if (sg) TS_CHECK_CLOSE(sg[0], s11, 0, 1e-4);
    TS_CHECK_CLOSE(d2[1], d1[1], 0, 2e-4);
    TS_CHECK_CLOSE(d2[2], d1[2], 0, 2e-4);
    ts_pf_sim2d_destroy(s);
    ts_pf_sim_destroy(o);
}

/* The same with J2 viscoplasticity in Cu and Sn: 1D (coupled laminate
 * return map) vs 2D (Hu-Chen + strain-constrained return map at each phase's
 * strain, staggered), with the mechanics every step and every 4th step (same
 * tolerances: the lag of the held driving force must stay inside them).
 * Measured (rank-one mixture): thicknesses to 2e-5, s11 to 4e-4 (2e-3 with
 * mech_every 4), p to 0.16 % (the staggered update at fixed strain). */
static void plastic_vs_1d(int mech_every)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.dt_max = 5.0;
    p.mechanics = 1;
    p.applied_e22 = -0.01;
    p.ph[1].eig[0] = p.ph[1].eig[1] = -0.00327;
    p.ph[2].eig[0] = p.ph[2].eig[1] = -0.00327;
    ts_pf_sim2d *s = NULL;
    ts_pf_sim *o = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, 2, 0.1e-6, 0, 0, &s));
    TS_CHECK_OK(ts_pf_sim_create(&p, &o));
    if (!s || !o) return;
    ts_pf_sim2d_set_mech_every(s, mech_every);
    TS_CHECK_OK(ts_pf_sim2d_advance(s, 10000.0));
    TS_CHECK_OK(ts_pf_sim_advance(o, 10000.0));
    double d2[4], d1[4], s11, s12;
    ts_pf_sim2d_thickness(s, d2);
    ts_pf_sim_thickness(o, d1);
    ts_pf_sim_stress(o, &s11, &s12);
    const double *sg = ts_pf_sim2d_stress(s);
    int iSn = p.n - 10, iCu = 10; /* bulk Sn, bulk Cu */
    double pSn2 = ts_pf_sim2d_pcum(s)[3 * 2 * p.n + iSn], pSn1 = ts_pf_sim_pcum(o)[3 * p.n + iSn];
    double pCu2 = ts_pf_sim2d_pcum(s)[iCu], pCu1 = ts_pf_sim_pcum(o)[iCu];
    printf("  plastic, mech_every %d, 10000 s: Cu3Sn 2D %.5f 1D %.5f um; Cu6Sn5 2D %.5f 1D %.5f um; s11 2D %.4e 1D %.4e Pa; "
           "p(Sn) 2D %.5e 1D %.5e; p(Cu) 2D %.5e 1D %.5e\n",
           mech_every, d2[1] * 1e6, d1[1] * 1e6, d2[2] * 1e6, d1[2] * 1e6, sg[0], s11, pSn2, pSn1, pCu2, pCu1);
    TS_CHECK(pSn1 > 1e-3);
    TS_CHECK_CLOSE(pSn2, pSn1, 0, 0.01);
    TS_CHECK_CLOSE(pCu2, pCu1, 1e-7, 0.01);
    TS_CHECK_CLOSE(sg[0], s11, 0, 0.01);
    TS_CHECK_CLOSE(d2[1], d1[1], 0, 5e-4);
    TS_CHECK_CLOSE(d2[2], d1[2], 0, 5e-4);
    ts_pf_sim2d_destroy(s);
    ts_pf_sim_destroy(o);
}

static void test_planar_plastic_vs_1d(void) { plastic_vs_1d(1); }
static void test_planar_plastic_vs_1d_mech_every_4(void) { plastic_vs_1d(4); }

/* 2D checkpoint: save, continue; load, continue: identical (with plasticity). */
static void test_checkpoint_2d(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.n = 64;
    p.dx = 0.4e-6;
    p.mechanics = 1;
    p.applied_e22 = -0.01;
    p.ph[1].eig[0] = p.ph[1].eig[1] = -0.00327;
    p.ph[2].eig[0] = p.ph[2].eig[1] = -0.00327;
    char *dir = ts_test_tmpdir("pf_ck2d");
    char *ck = ts_path_join(dir, "ck2d.bin");
    ts_pf_sim2d *a = NULL, *b = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, 8, 0.4e-6, 0.8e-6, 1.6e-6, &a));
    if (!a || !ck) return;
    ts_pf_sim2d_set_mech_every(a, 3); /* the held driving force and its clock are state too */
    TS_CHECK_OK(ts_pf_sim2d_advance(a, 300.0));
    TS_CHECK_OK(ts_pf_sim2d_save(a, ck));
    TS_CHECK_OK(ts_pf_sim2d_advance(a, 600.0));
    TS_CHECK_OK(ts_pf_sim2d_load(&p, 8, 0.4e-6, ck, &b));
    if (b) {
        TS_CHECK_OK(ts_pf_sim2d_advance(b, 600.0));
        int same = ts_pf_sim2d_steps(a) == ts_pf_sim2d_steps(b);
        for (int k = 0; k < 64 * 8 * 4; k++) same &= ts_pf_sim2d_eta(a)[k] == ts_pf_sim2d_eta(b)[k];
        for (int k = 0; k < 64 * 8 * 4; k++) same &= ts_pf_sim2d_pcum(a)[k] == ts_pf_sim2d_pcum(b)[k];
        TS_CHECK(same);
    }
    ts_pf_sim2d *c = NULL;
    TS_CHECK_ERR(ts_pf_sim2d_load(&p, 16, 0.4e-6, ck, &c), TS_ERR_FORMAT);
    ts_pf_sim2d_destroy(a);
    ts_pf_sim2d_destroy(b);
    free(ck);
    free(dir);
}

/* Step-control diagnostics: every rejected step is attributed to c out of
 * range or to the field whose local error exceeded tol, every accepted step
 * after the first (which has no error estimate) to the field that set the
 * next dt, and the reported grid point is inside the grid and in that field's
 * interface (the error of a bulk point is ~0). */
static void test_step_stats(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.dt_init = 20.0; /* far above what tol allows at the start: rejections */
    p.tol = 1e-5;
    ts_pf_sim2d *s = NULL;
    int ny = 8;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, ny, 0.1e-6, 0.8e-6, 1.6e-6, &s));
    if (!s) return;
    TS_CHECK_OK(ts_pf_sim2d_advance(s, 500.0));
    ts_pf_sim2d_stats st;
    ts_pf_sim2d_stats_get(s, &st);
    long acc = 0, rej = 0;
    for (int f = 0; f <= p.nphase; f++) {
        acc += st.lim_acc[f];
        rej += st.lim_rej[f];
    }
    printf("  %ld steps (%ld rejected: %ld error, %ld c range), %ld at dt_max; last: field %d at (%d, %d), "
           "error %.3g, dt %.3g s\n",
           st.steps, st.rejected, rej, st.rej_bad, st.capped, st.last_field, st.last_i, st.last_j, st.last_err,
           st.last_dt);
    TS_CHECK(st.steps == ts_pf_sim2d_steps(s));
    TS_CHECK(st.rejected > 0);
    TS_CHECK(st.rejected == rej + st.rej_bad + st.rej_c_solve);
    TS_CHECK(acc == st.steps - 1);
    TS_CHECK(st.last_field >= 0 && st.last_field <= p.nphase);
    TS_CHECK(st.last_i >= 0 && st.last_i < p.n && st.last_j >= 0 && st.last_j < ny);
    TS_CHECK(st.last_err <= p.tol);
    if (st.last_field >= 0 && st.last_field < p.nphase && st.last_i >= 0) {
        double e = ts_pf_sim2d_eta(s)[(size_t)st.last_field * p.n * ny + (size_t)st.last_j * p.n + st.last_i];
        TS_CHECK(e > 1e-3 && e < 1 - 1e-3);
    }
    ts_pf_sim2d_destroy(s);
}

/* The c step's defect correction (1 - dt A lap) c+ = ... contracts only if A
 * bounds the effective diffusivity of every face, M_face / S (S = sum phi/A_rho):
 * next to nearly pure Sn (1/A_Sn tiny) that is 10-15x max D. With A = max D
 * (the old splitting) a Cu6Sn5 tail in the Sn at a scallop groove drove c
 * above 1 and the error control down to dt ~ 0.1 s (docs/pf.md, "2D step
 * collapse"); with A = max(max D, max face M/S) the same 500 s take a few
 * dozen steps and c stays <= 1. */
static int c_split_run(int solver, int local, double t_end, ts_pf_sim2d_stats *st, double *cmax)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.dt_init = 20.0;
    ts_pf_sim2d *s = NULL;
    int ny = 8;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, ny, 0.1e-6, 0.8e-6, 1.6e-6, &s));
    if (!s) return -1;
    ts_pf_sim2d_set_c_split_local(s, local);
    ts_pf_sim2d_set_c_solver(s, solver, 0, 0);
    int rc = ts_pf_sim2d_advance(s, t_end);
    ts_pf_sim2d_stats_get(s, st);
    *cmax = 0;
    for (size_t k = 0; k < (size_t)p.n * ny; k++) *cmax = fmax(*cmax, ts_pf_sim2d_c(s)[k]);
    ts_pf_sim2d_destroy(s);
    return rc;
}

static void test_c_split_groove(void)
{
    ts_pf_sim2d_stats a, b, c, d;
    double ca, cb, cc, cd;
    TS_CHECK_OK(c_split_run(TS_PF_C_SWEEPS, 1, 500.0, &a, &ca));
    TS_CHECK_OK(c_split_run(TS_PF_C_SWEEPS, 0, 200.0, &b, &cb));
    TS_CHECK_OK(c_split_run(TS_PF_C_PCG, 1, 500.0, &c, &cc));
    TS_CHECK_OK(c_split_run(TS_PF_C_PCG, 0, 500.0, &d, &cd));
    printf("  sweeps, face bound: 500 s in %ld steps (%ld rejected), max c %.6f, last face ratio %.3g\n"
           "  sweeps, A = max D:  200 s in %ld steps (%ld rejected), max c %.6f, last face ratio %.3g\n"
           "  PCG, face bound:    500 s in %ld steps (%ld rejected), max c %.6f, %ld iterations\n"
           "  PCG, A = max D:     500 s in %ld steps (%ld rejected), max c %.6f, %ld iterations\n",
           a.steps, a.rejected, ca, a.c_face_ratio, b.steps, b.rejected, cb, b.c_face_ratio, c.steps, c.rejected,
           cc, c.c_iters, d.steps, d.rejected, cd, d.c_iters);
    TS_CHECK(a.steps < 100);
    TS_CHECK(ca <= 1.0);
    TS_CHECK(b.c_face_ratio > 2); /* the configuration does trigger the bound */
    TS_CHECK(b.rejected > 200);   /* the collapse of the old splitting */
    /* PCG converges with either constant (it only sets the preconditioner) */
    TS_CHECK(c.steps < 100 && d.steps < 100);
    TS_CHECK(cc <= 1.0 && cd <= 1.0);
}

/* ---- the c step's linear solve against a dense direct solve.
 * System (backward Euler at fixed phi, finite volumes, zero flux in x,
 * periodic in y): c - dt div(M grad((c - R) Sinv)) = cn, i.e. with the
 * stencil matrix K = -div(M_face grad) (M_face = (M_a + M_b)/2),
 * (I + dt K Sinv) c = cn + dt K (Sinv R). Built densely here from the
 * definition and solved by Gaussian elimination with partial pivoting. */
static void dense_K(int nx, int ny, double dx, double dy, const double *M, double *K)
{
    int n = nx * ny;
    memset(K, 0, (size_t)n * n * sizeof(double));
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            int k = j * nx + i;
            int nb[4] = {i + 1 < nx ? k + 1 : -1, i > 0 ? k - 1 : -1, ((j + 1) % ny) * nx + i,
                         ((j + ny - 1) % ny) * nx + i};
            double h2[4] = {dx * dx, dx * dx, dy * dy, dy * dy};
            for (int f = 0; f < 4; f++) {
                if (nb[f] < 0) continue;
                double m = 0.5 * (M[k] + M[nb[f]]) / h2[f];
                K[(size_t)k * n + k] += m;
                K[(size_t)k * n + nb[f]] -= m;
            }
        }
}

static int dense_solve(int n, double *A, double *b)
{
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[(size_t)r * n + c]) > fabs(A[(size_t)piv * n + c])) piv = r;
        if (A[(size_t)piv * n + c] == 0) return -1;
        if (piv != c) {
            for (int q = 0; q < n; q++) {
                double t = A[(size_t)c * n + q];
                A[(size_t)c * n + q] = A[(size_t)piv * n + q];
                A[(size_t)piv * n + q] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = A[(size_t)r * n + c] / A[(size_t)c * n + c];
            for (int q = c; q < n; q++) A[(size_t)r * n + q] -= f * A[(size_t)c * n + q];
            b[r] -= f * b[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        double t = b[c];
        for (int q = c + 1; q < n; q++) t -= A[(size_t)c * n + q] * b[q];
        b[c] = t / A[(size_t)c * n + c];
    }
    return 0;
}

/* Random fields with the spread of the model: 1/S (= A of the dominant
 * phase) 1e10..1e13 J/m^3, effective diffusivity M/S 1e-19..1e-13 m^2/s,
 * dt D lam up to ~100. The PCG solution at a tight tolerance matches the
 * direct one; at the default tolerance the residual, recomputed here from
 * the dense matrix, is within c_tol of the explicit change, mass is kept,
 * and too few iterations give TS_ERR_CONVERGE. */
static void test_c_solve_vs_dense(void)
{
    int nx = 16, ny = 8, n = nx * ny;
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.n = nx;
    p.dx = 25.6e-6 / nx; /* the seed's layer widths sum to 25.6 um */
    double dy = 1.0e-6, dt = 2e4;
    double *M = malloc(n * sizeof(double)), *Si = malloc(n * sizeof(double)), *R = malloc(n * sizeof(double));
    double *cn = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double)), *ref = malloc(n * sizeof(double));
    double *K = malloc((size_t)n * n * sizeof(double)), *A = malloc((size_t)n * n * sizeof(double));
    ts_pf_sim2d *s = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, ny, dy, 0, 0, &s));
    if (!s || !M || !Si || !R || !cn || !c || !ref || !K || !A) return;
    ts_rng *rng = ts_rng_create(20261123, 0);
    TS_CHECK(rng != NULL);
    if (!rng) return;
    for (int k = 0; k < n; k++) {
        Si[k] = pow(10.0, 10.0 + 3.0 * ts_rng_uniform(rng));
        M[k] = pow(10.0, -19.0 + 6.0 * ts_rng_uniform(rng)) / Si[k];
        R[k] = ts_rng_uniform(rng);
        cn[k] = ts_rng_uniform(rng);
    }
    /* reference: (I + dt K Sinv) c = cn + dt K (Sinv R) */
    dense_K(nx, ny, p.dx, dy, M, K);
    for (int a = 0; a < n; a++) {
        double t = cn[a];
        for (int b = 0; b < n; b++) {
            A[(size_t)a * n + b] = (a == b) + dt * K[(size_t)a * n + b] * Si[b];
            t += dt * K[(size_t)a * n + b] * Si[b] * R[b];
        }
        ref[a] = t;
    }
    TS_CHECK(dense_solve(n, A, ref) == 0);
    double mass0 = 0, dmax = 0, dref = 0;
    for (int k = 0; k < n; k++) mass0 += cn[k];
    /* tight tolerance: the direct solution */
    ts_pf_sim2d_set_c_solver(s, TS_PF_C_PCG, 1e-13, 1000);
    memcpy(c, cn, n * sizeof(double));
    TS_CHECK_OK(ts_pf_sim2d_c_solve(s, dt, M, Si, R, c));
    for (int k = 0; k < n; k++) {
        dmax = fmax(dmax, fabs(c[k] - ref[k]));
        dref = fmax(dref, fabs(ref[k] - cn[k]));
    }
    ts_pf_sim2d_stats st;
    ts_pf_sim2d_stats_get(s, &st);
    printf("  c solve, 16 x 8 random fields: PCG at 1e-13 in %d iterations, max |c - c_direct| %.3g (change %.3g)\n",
           st.c_last_iters, dmax, dref);
    TS_CHECK(dref > 0.1);                /* a stiff solve: c changes by O(1) */
    TS_CHECK(dmax <= 1e-9 * dref);       /* the dense LU's own error ~ cond * eps */
    /* the default tolerance: the residual in c units, recomputed densely */
    ts_pf_sim2d_set_c_solver(s, TS_PF_C_PCG, TS_PF_C_TOL_DEFAULT, TS_PF_C_MAXIT_DEFAULT);
    memcpy(c, cn, n * sizeof(double));
    TS_CHECK_OK(ts_pf_sim2d_c_solve(s, dt, M, Si, R, c));
    ts_pf_sim2d_stats_get(s, &st);
    double rr = 0, r0 = 0, mass = 0;
    for (int a = 0; a < n; a++) {
        double ra = cn[a] - c[a], e = 0;
        for (int b = 0; b < n; b++) {
            ra -= dt * K[(size_t)a * n + b] * Si[b] * (c[b] - R[b]);
            e -= dt * K[(size_t)a * n + b] * Si[b] * (cn[b] - R[b]);
        }
        rr += ra * ra;
        r0 += e * e;
        mass += c[a];
    }
    printf("  at c_tol %.0e: %d iterations, relative residual %.3g (solver's %.3g), mass change %.3g\n",
           TS_PF_C_TOL_DEFAULT, st.c_last_iters, sqrt(rr / r0), st.c_last_res, mass - mass0);
    TS_CHECK(sqrt(rr / r0) <= TS_PF_C_TOL_DEFAULT * (1 + 1e-6));
    TS_CHECK(st.c_last_iters >= 2); /* the test is not trivially converged */
    TS_CHECK_CLOSE(mass, mass0, 0, 64 * DBL_EPSILON);
    /* the old sweeps do not converge this system in 4 sweeps */
    ts_pf_sim2d_set_c_solver(s, TS_PF_C_SWEEPS, 0, 0);
    memcpy(c, cn, n * sizeof(double));
    TS_CHECK_OK(ts_pf_sim2d_c_solve(s, dt, M, Si, R, c));
    double dsw = 0;
    for (int k = 0; k < n; k++) dsw = fmax(dsw, fabs(c[k] - ref[k]));
    printf("  4 sweeps: max |c - c_direct| %.3g\n", dsw);
    TS_CHECK(dsw > 1e-3 * dref);
    /* not converged within the cap: an error, c untouched */
    ts_pf_sim2d_set_c_solver(s, TS_PF_C_PCG, 1e-13, 2);
    memcpy(c, cn, n * sizeof(double));
    TS_CHECK_ERR(ts_pf_sim2d_c_solve(s, dt, M, Si, R, c), TS_ERR_CONVERGE);
    TS_CHECK(memcmp(c, cn, n * sizeof(double)) == 0);
    ts_rng_destroy(rng);
    ts_pf_sim2d_destroy(s);
    free(M);
    free(Si);
    free(R);
    free(cn);
    free(c);
    free(ref);
    free(K);
    free(A);
}

/* The CG's dot products are per-row sums added in row order: on a grid
 * large enough for the OpenMP loops (>= 16384 points) the c solve gives the
 * same bits with 1 and 2 threads (same FFTW plan: one simulation). */
static void test_c_solve_threads(void)
{
    int nx = 128, ny = 128, n = nx * ny;
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.n = nx;
    p.dx = 25.6e-6 / nx;
    double *M = malloc(n * sizeof(double)), *Si = malloc(n * sizeof(double)), *R = malloc(n * sizeof(double));
    double *c1 = malloc(n * sizeof(double)), *c2 = malloc(n * sizeof(double));
    ts_rng *rng = ts_rng_create(7, 0);
    int keep = omp_get_max_threads();
    omp_set_num_threads(2);
    ts_pf_sim2d *s = NULL;
    TS_CHECK_OK(ts_pf_sim2d_create(&p, ny, p.dx, 0, 0, &s));
    if (s && M && Si && R && c1 && c2 && rng) {
        for (int k = 0; k < n; k++) {
            Si[k] = pow(10.0, 10.0 + 3.0 * ts_rng_uniform(rng));
            M[k] = pow(10.0, -19.0 + 6.0 * ts_rng_uniform(rng)) / Si[k];
            R[k] = ts_rng_uniform(rng);
            c1[k] = c2[k] = ts_rng_uniform(rng);
        }
        ts_pf_sim2d_stats a, b;
        omp_set_num_threads(1);
        TS_CHECK_OK(ts_pf_sim2d_c_solve(s, 2e3, M, Si, R, c1));
        ts_pf_sim2d_stats_get(s, &a);
        omp_set_num_threads(2);
        TS_CHECK_OK(ts_pf_sim2d_c_solve(s, 2e3, M, Si, R, c2));
        ts_pf_sim2d_stats_get(s, &b);
        printf("  128 x 128: %d iterations with 1 thread, %d with 2\n", a.c_last_iters, b.c_last_iters);
        TS_CHECK(a.c_last_iters == b.c_last_iters && a.c_last_iters > 1);
        TS_CHECK(memcmp(c1, c2, n * sizeof(double)) == 0);
    }
    omp_set_num_threads(keep);
    ts_rng_destroy(rng);
    ts_pf_sim2d_destroy(s);
    free(M);
    free(Si);
    free(R);
    free(c1);
    free(c2);
}

int main(int argc, char **argv)
{
    int full = argc > 1 && strcmp(argv[1], "full") == 0;
    if (full) {
        TS_RUN(test_planar_plastic_vs_1d);
        TS_RUN(test_planar_plastic_vs_1d_mech_every_4);
        TS_RUN(test_planar_mechanics_vs_1d);
    } else {
        TS_RUN(test_planar_matches_1d);
        TS_RUN(test_scallops_conserve);
        TS_RUN(test_scallops_mech_rank1);
        TS_RUN(test_checkpoint_2d);
        TS_RUN(test_step_stats);
        TS_RUN(test_c_split_groove);
        TS_RUN(test_c_solve_vs_dense);
        TS_RUN(test_c_solve_threads);
    }
    return ts_test_summary();
}
