/* Seed 002 Appendix D.1 (frozen laminate, equal stiffness, beta viscoplastic,
 * strain ramp 1.775e-3 -> 1.82e-3 at 1e-10 per step of 10) against the
 * independent SciPy recomputation tests/oracles/pf/appendix_d.py
 * (appendix_d.csv: fsolve on the full 3D laminate conditions per
 * backward-Euler step, dt = 1000 as here). Two readings:
 *   A: seed y (laminate normal) = our x, seed x (load) = our y, z plane
 *      strain, average normal strain zero (oracle reading 1);
 *   N: laminate normal along the load (our x), other average strains zero
 *      (oracle reading 3; the only reading with eps_pl = p (1, -1/2, -1/2)
 *      exactly, as the seed prints).
 * Tolerance: 1e-6 relative on p and the components (both sides converge
 * their iterations to ~1e-10; the step sizes are identical). The end state is
 * also checked against the viscous overstress J2 = R0 + K pdot^(1/n).
 * The seed's p = 1.4453e-4 is reproduced by neither reading (A 1.2333e-4, N
 * 1.3225e-4), nor by any other in the oracle; with the stated stiffness J2
 * already exceeds R0 at the starting strain, which the text calls elastic
 * (docs/pf.md). */
#include "tinsel/pf.h"
#include "ts_test.h"

/* oracle row of reading code `code` with dt = 1000: p, epl_xx, epl_yy, epl_zz (seed axes) */
static int oracle_row(int code, double out[4])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/oracles/pf/appendix_d.csv", TS_SOURCE_DIR);
    char **names = NULL;
    int nc = 0;
    double *g = NULL;
    size_t nr = 0;
    int rc = ts_csv_read(path, &names, &nc, &g, &nr), found = 0;
    for (size_t i = 0; !rc && i < nr; i++)
        if (g[i * nc] == code && g[i * nc + 1] == 1000) {
            for (int j = 0; j < 4; j++) out[j] = g[i * nc + 2 + j];
            found = 1;
        }
    free(g);
    ts_strv_free(names, nc);
    return rc ? rc : (found ? 0 : -1);
}

static void run_ramp(int normal_load)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    p.nphase = 2;
    p.n = 64;
    p.dx = 1e-6;
    p.ph[0].width = p.ph[1].width = 32e-6;
    snprintf(p.ph[0].name, TS_PF_NAMELEN, "%s", "alpha");
    snprintf(p.ph[1].name, TS_PF_NAMELEN, "%s", "beta");
    for (int r = 0; r < 2; r++) {
        memset(p.ph[r].stiff, 0, sizeof p.ph[r].stiff);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) p.ph[r].stiff[i][j] = 144000;
            p.ph[r].stiff[i][i] = 197000;
            p.ph[r].stiff[i + 3][i + 3] = 90000;
        }
        memset(p.ph[r].eig, 0, sizeof p.ph[r].eig);
        p.ph[r].A = 1e3;
        p.ph[r].B = p.ph[r].C = 0;
        p.ph[r].c0 = p.ph[r].c_init = r ? 0.8 : 0.2;
        p.ph[r].D = 1e-30; /* frozen (seed: M = L = 0) */
        p.ph[r].plastic = r == 1;
    }
    p.ph[1].R0 = 86;
    p.ph[1].K = 150;
    p.ph[1].n = 5;
    p.mechanics = 1;
    p.applied_e22 = 1.775e-3;
    p.tanh_init = 0;
    p.L_const = 1e-30;
    p.adaptive = 0;
    p.dt_init = p.dt_max = 1000; /* 100 seed steps per step: backward Euler, smooth ramp */
    ts_pf_sim *s = NULL;
    TS_CHECK_OK(ts_pf_sim_create(&p, &s));
    if (!s) return;
    long nst = 4500;
    if (normal_load) {
        p.applied_e11 = 1.775e-3;
        p.applied_e22 = 0;
        ts_pf_sim_destroy(s);
        s = NULL;
        TS_CHECK_OK(ts_pf_sim_create(&p, &s));
        if (!s) return;
    }
    for (long k = 1; k <= nst; k++) {
        double e = 1.775e-3 + 1e-8 * k;
        if (normal_load)
            ts_pf_sim_set_load(s, e, 0, 0);
        else
            ts_pf_sim_set_load(s, 0, 0, e);
        TS_CHECK_OK(ts_pf_sim_step(s));
    }
    int k = p.n + 48; /* inside beta */
    const double *e = ts_pf_sim_epl(s) + 6 * k, pc = ts_pf_sim_pcum(s)[k];
    double s11, s12;
    ts_pf_sim_stress(s, &s11, &s12);
    ts_pf_phase_mech m;
    TS_CHECK_OK(ts_pf_phase_response(&p, 1, s11, s12, normal_load ? 0 : 1.82e-3, e, &m));
    double J2 = ts_pf_von_mises(m.sig);
    /* seed axes: load x, then y, z; ours: reading A load = y, normal = x; reading N load = normal = x */
    double load = normal_load ? e[0] : e[1], ey = normal_load ? e[1] : e[0], ez = e[2];
    printf("  reading %s: p = %.8e (seed 1.4453e-4), eps_pl load %.8e, y %.8e, z %.8e (seed -7.2267e-5), J2 = %.6g\n",
           normal_load ? "N" : "A", pc, load, ey, ez, J2);
    double o[4] = {0};
    TS_CHECK_OK(oracle_row(normal_load ? 3 : 1, o));
    const double rtol = 1e-6;
    TS_CHECK_CLOSE(pc, o[0], 0, rtol);
    TS_CHECK_CLOSE(load, o[1], 0, rtol);
    TS_CHECK_CLOSE(ey, o[2], 0, rtol);
    TS_CHECK_CLOSE(ez, o[3], 0, rtol);
    /* rate: d eps/dt = 1e-11, pdot ~ 2/3 of it (incompressible flow in a
     * fully constrained laminate) -> overstress K pdot^(1/n) */
    double over = p.ph[1].K * pow(1e-11 / 1.5, 1.0 / p.ph[1].n);
    TS_CHECK_CLOSE(J2, p.ph[1].R0 + over, 0.05 * over, 0);
    ts_pf_sim_destroy(s);
}

static void test_appendix_d_laminate_normal_y(void) { run_ramp(0); }
static void test_appendix_d_laminate_normal_load(void) { run_ramp(1); }

int main(void)
{
    TS_RUN(test_appendix_d_laminate_normal_y);
    TS_RUN(test_appendix_d_laminate_normal_load);
    return ts_test_summary();
}
