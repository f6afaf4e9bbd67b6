/* Temperature/pressure ramps of the thermostats and barostat (quick tier):
 *  - exact property: after step k of an n-step ramp the targets are
 *    (1 - k/n) T0 + (k/n) T1 and (1 - k/n) P0 + (k/n) P1 bit for bit, the
 *    endpoints are hit exactly, successive increments equal (T1 - T0)/n, and
 *    after the ramp the targets stay at T1, P1 (NHC, Langevin, MTK NPT);
 *  - statistics: a Langevin run of 108-atom fcc Cu heated 100 -> 300 K in
 *    10 ps follows the target. Oracle: the canonical distribution the
 *    Langevin equation samples, <K> = (3N/2) kT for all 3N momenta, i.e.
 *    <T_reported> = T 3N/(3N - 3) with the 3N - 3 degrees of freedom of the
 *    reported temperature; tolerances are stated below;
 *  - restart in the middle of a ramp: the state of get_state restored into
 *    a fresh integrator (and a fresh force object) continues the
 *    uninterrupted run to rounding level (NHC and Langevin; see below why
 *    not bit for bit). */
#include "md_test_util.h"
#include "ts_test.h"

static ts_md_meam *pot;

static ts_md_system *cu_cell(int rep)
{
    int n[3] = {rep, rep, rep}, t[2] = {1, 1};
    ts_md_system *s = NULL;
    if (ts_md_build_lattice("fcc", 3.6141, 0, n, t, &s)) return NULL;
    ts_md_system_bind(s, pot);
    return s;
}

static void test_targets_exact(void)
{
    static const ts_md_ensemble ens[] = {TS_MD_NHC, TS_MD_LANGEVIN, TS_MD_NPT_ISO};
    const double T0 = 100.0, T1 = 317.3, P0 = 0.0, P1 = -1234.5;
    const long n = 7;
    for (int e = 0; e < 3; e++) {
        ts_md_system *s = cu_cell(2);
        ts_md_velocities(s, T0, 4);
        ts_md_calc *c;
        ts_md_dyn *d;
        ts_md_dyn_params p = {
            .ensemble = ens[e], .dt = 0.002, .temperature = T0, .tdamp = 0.1, .pdamp = 1.0, .seed = 2};
        TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 1, 0, &c));
        TS_CHECK_OK(ts_md_dyn_create(&p, &d));
        TS_CHECK_OK(ts_md_dyn_set_ramp(d, T0, T1, P0, P1, n));
        TS_CHECK(ts_md_dyn_target_temperature(d) == T0);
        ts_md_result r;
        double prev = T0;
        for (long k = 1; k <= n + 3; k++) {
            TS_CHECK_OK(ts_md_dyn_run(d, c, s, 1, &r));
            long kk = k < n ? k : n, nn = 0;
            double f = (double)kk / (double)n;
            TS_CHECK(ts_md_dyn_target_temperature(d) == (1.0 - f) * T0 + f * T1);
            TS_CHECK(ts_md_dyn_target_pressure(d) == (1.0 - f) * P0 + f * P1);
            TS_CHECK(ts_md_dyn_ramp_position(d, &nn) == k && nn == n);
            double inc = ts_md_dyn_target_temperature(d) - prev;
            TS_CHECK(fabs(inc - (k <= n ? (T1 - T0) / n : 0.0)) < 1e-12 * T1);
            prev = ts_md_dyn_target_temperature(d);
            if (k >= n) {
                TS_CHECK(ts_md_dyn_target_temperature(d) == T1);
                TS_CHECK(ts_md_dyn_target_pressure(d) == P1);
            }
        }
        /* a ramp to 0 K is refused for thermostatted ensembles */
        TS_CHECK(ts_md_dyn_set_ramp(d, 700.0, 0.0, 0, 0, 10) == TS_ERR_RANGE);
        ts_md_dyn_destroy(d);
        ts_md_calc_destroy(c);
        ts_md_system_destroy(s);
    }
}

static void test_langevin_heating(void)
{
    ts_md_system *s = cu_cell(3);
    const int N = s->n;
    const double T0 = 100.0, T1 = 300.0, dt = 0.002, tdamp = 0.05;
    const long n = 5000, every = 10;
    ts_md_velocities(s, T0, 11);
    ts_md_calc *c;
    ts_md_dyn *d;
    ts_md_dyn_params p = {.ensemble = TS_MD_LANGEVIN, .dt = dt, .temperature = T0, .tdamp = tdamp, .seed = 5};
    TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 0, 0, &c));
    TS_CHECK_OK(ts_md_dyn_create(&p, &d));
    /* 0.2 ps at T0, then the ramp */
    ts_md_result r;
    TS_CHECK_OK(ts_md_dyn_run(d, c, s, 100, &r));
    TS_CHECK_OK(ts_md_dyn_set_ramp(d, T0, T1, 0, 0, n));
    const double bias = 3.0 * N / (3.0 * N - 3.0); /* canonical <T_reported>/T */
    enum { NB = 5 };
    double bsum[NB] = {0}, sx = 0, sy = 0, sxx = 0, sxy = 0, dsum = 0;
    long m = 0;
    for (long k = every; k <= n; k += every) {
        TS_CHECK_OK(ts_md_dyn_run(d, c, s, every, &r));
        double T = ts_md_temperature(s), Tt = ts_md_dyn_target_temperature(d) * bias;
        double t = k * dt;
        bsum[(k - 1) * NB / n] += T - Tt;
        dsum += T - Tt;
        sx += t;
        sy += T / bias;
        sxx += t * t;
        sxy += t * T / bias;
        m++;
    }
    double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
    double rate = (T1 - T0) / (n * dt);
    printf("  Langevin 100 -> 300 K, %d atoms, 10 ps: <T - T_target 3N/(3N-3)> = %+.2f K; blocks of 2 ps:", N,
           dsum / m);
    for (int b = 0; b < NB; b++)
        printf(" %+.1f", bsum[b] / (m / NB));
    printf(" K; dT/dt = %.2f K/ps (ramp %.2f)\n", slope, rate);
    /* Tolerances: the instantaneous T of N = 108 atoms has sigma = T
     * sqrt(2/(3N - 3)) = 7.9 % (8-24 K here); with a correlation time of
     * ~0.05 ps a 2 ps block holds ~40 independent samples (sigma of the
     * block mean <= 4 K) and the whole ramp ~200 (<= 1.5 K). The lag of
     * a first-order relaxation with time ~tdamp behind a 20 K/ps ramp is
     * ~1 K. Bounds: 4 sigma plus the lag. */
    TS_CHECK(fabs(dsum / m) < 7.0);
    for (int b = 0; b < NB; b++)
        TS_CHECK(fabs(bsum[b] / (m / NB)) < 17.0);
    TS_CHECK(fabs(slope - rate) < 0.1 * rate);
    ts_md_dyn_destroy(d);
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
}

static ts_md_system *copy_system(const ts_md_system *s)
{
    int one[3] = {1, 1, 1};
    ts_md_system *o = NULL;
    if (ts_md_replicate(s, one, &o)) return NULL;
    /* as a checkpoint file holds them: unwrapped positions, velocities */
    memcpy(o->x, s->x, (size_t)3 * s->n * sizeof *o->x);
    memcpy(o->v, s->v, (size_t)3 * s->n * sizeof *o->v);
    ts_md_system_bind(o, pot);
    return o;
}

static void test_restart_mid_ramp(void)
{
    for (int e = 0; e < 2; e++) {
        ts_md_dyn_params p = {.ensemble = e ? TS_MD_LANGEVIN : TS_MD_NHC,
                              .dt = 0.002,
                              .temperature = 100.0,
                              .tdamp = 0.05,
                              .seed = 8};
        ts_md_system *s = cu_cell(2);
        ts_md_velocities(s, 100.0, 3);
        ts_md_calc *c, *c2;
        ts_md_dyn *d, *d2;
        ts_md_result r, r2;
        TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 1, 0, &c));
        TS_CHECK_OK(ts_md_dyn_create(&p, &d));
        TS_CHECK_OK(ts_md_dyn_set_ramp(d, 100.0, 900.0, 0, 0, 400));
        TS_CHECK_OK(ts_md_dyn_run(d, c, s, 150, &r));
        /* checkpoint at step 150 of 400 */
        double st[TS_MD_DYN_STATE_LEN];
        TS_CHECK(ts_md_dyn_get_state(d, st) == TS_MD_DYN_STATE_LEN);
        ts_md_system *s2 = copy_system(s);
        TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 1, 0, &c2));
        ts_md_dyn_params p2 = p;
        p2.temperature = 555.0; /* overwritten by the restored ramp */
        TS_CHECK_OK(ts_md_dyn_create(&p2, &d2));
        TS_CHECK_OK(ts_md_dyn_set_state(d2, st, TS_MD_DYN_STATE_LEN));
        TS_CHECK(ts_md_dyn_target_temperature(d2) == ts_md_dyn_target_temperature(d));
        TS_CHECK_OK(ts_md_dyn_run(d, c, s, 250, &r));
        TS_CHECK_OK(ts_md_dyn_run(d2, c2, s2, 250, &r2));
        int same = s2->n == s->n;
        double vmax = 0, vref = 0;
        for (int i = 0; i < 3 * s->n; i++) {
            same = same && s->x[i] == s2->x[i] && s->v[i] == s2->v[i];
            vmax = fmax(vmax, fabs(s->v[i] - s2->v[i]));
            vref = fmax(vref, fabs(s->v[i]));
        }
        double dE = fabs(r.energy - r2.energy) / s->n;
        printf("  %s restart at step 150 of a 400-step 100 -> 900 K ramp, 250 steps on: %s; max |dv|/max |v| "
               "= %.2e, |dE|/N = %.2e eV\n",
               e ? "Langevin" : "NHC", same ? "bitwise equal" : "not bitwise", vmax / vref, dE);
        /* not bitwise: the resumed run builds its Verlet list (and wraps the
         * atoms into the cell) at the restart step, the uninterrupted one
         * where the skin ran out, so pair sums round differently; the
         * trajectories agree to rounding level */
        TS_CHECK(vmax < 1e-10 * vref);
        TS_CHECK(dE < 1e-12);
        TS_CHECK(ts_md_dyn_target_temperature(d2) == 900.0);
        ts_md_dyn_destroy(d);
        ts_md_dyn_destroy(d2);
        ts_md_calc_destroy(c);
        ts_md_calc_destroy(c2);
        ts_md_system_destroy(s);
        ts_md_system_destroy(s2);
    }
}

int main(int argc, char **argv)
{
    ts_log_set_level(TS_LOG_WARN);
    TS_CHECK_OK(md_test_load_pot("agcusn", &pot));
    TS_RUN(test_targets_exact);
    TS_RUN(test_restart_mid_ramp);
    /* 5000 steps of 108 atoms (5-90 s): full tier only (md_ramp_heat) */
    if (argc > 1 && !strcmp(argv[1], "full")) TS_RUN(test_langevin_heating);
    ts_md_meam_destroy(pot);
    return ts_test_summary();
}
