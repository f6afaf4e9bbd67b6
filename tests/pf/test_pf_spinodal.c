/* PFHub BM1a/1b (2D, FFTW): free energy vs the independent NumPy/SciPy
 * implementation (tests/oracles/pf/pfhub_bm1.py), energy decrease, mass
 * conservation, and the scheme's exact linear amplification factor. */
#include "tinsel/pf.h"
#include "ts_test.h"

static void test_vs_numpy(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/oracles/pf/pfhub_bm1.csv", TS_SOURCE_DIR);
    char **names = NULL;
    int nc = 0;
    double *g = NULL;
    size_t nr = 0;
    TS_CHECK_OK(ts_csv_read(path, &names, &nc, &g, &nr));
    if (!g) return;
    for (int variant = 0; variant < 2; variant++) {
        ts_pf_bm1_params p;
        ts_pf_bm1_default(&p, variant);
        ts_pf_bm1 *s = NULL;
        TS_CHECK_OK(ts_pf_bm1_create(&p, &s));
        if (!s) continue;
        double mass0 = 0;
        for (int k = 0; k < p.nx * p.ny; k++) mass0 += ts_pf_bm1_field(s)[k];
        double Fprev = ts_pf_bm1_energy(s);
        long step = 0;
        int monotone = 1, rows = 0;
        for (size_t r = 0; r < nr; r++) {
            const double *row = g + r * (size_t)nc; /* variant, n, dt, step, time, F */
            if ((int)row[0] != variant) continue;
            while (step < (long)row[3]) {
                TS_CHECK_OK(ts_pf_bm1_step(s, row[2]));
                step++;
                double F = ts_pf_bm1_energy(s);
                monotone &= F <= Fprev * (1 + 1e-14);
                Fprev = F;
            }
            /* FFT round-off accumulated over 400 steps: 1e-10 relative */
            TS_CHECK_CLOSE(ts_pf_bm1_energy(s), row[5], 0, 1e-10);
            rows++;
        }
        TS_CHECK(rows == 9);
        TS_CHECK(monotone);
        double mass1 = 0;
        for (int k = 0; k < p.nx * p.ny; k++) mass1 += ts_pf_bm1_field(s)[k];
        TS_CHECK_CLOSE(mass1, mass0, 0, 1e-12);
        printf("  BM1%c: F(200) = %.6f\n", variant ? 'b' : 'a',
               ts_pf_bm1_energy(s));
        ts_pf_bm1_destroy(s);
    }
    free(g);
    ts_strv_free(names, nc);
}

/* A small cosine mode in the linear regime around c = 0.5 (f'' = -0.8)
 * is multiplied per step by (1 + dt M lam (f'' - S)) / (1 - dt M lam S + dt M kappa lam^2). */
static void test_linear_mode(void)
{
    for (int variant = 0; variant < 2; variant++) {
        ts_pf_bm1_params p;
        ts_pf_bm1_default(&p, variant);
        p.nx = p.ny = 64;
        ts_pf_bm1 *s = NULL;
        TS_CHECK_OK(ts_pf_bm1_create(&p, &s));
        if (!s) continue;
        double *c = malloc(64 * 64 * sizeof(double));
        int m = 3;
        double pi = 3.14159265358979323846, amp = 1e-7;
        double kx = variant ? pi * m / 64 : 2 * pi * m / 64;
        for (int j = 0; j < 64; j++)
            for (int i = 0; i < 64; i++) c[j * 64 + i] = 0.5 + amp * cos(kx * (i + (variant ? 0.5 : 0.0)));
        ts_pf_bm1_set_field(s, c);
        double lam = -(2 - 2 * cos(kx)), dt = 0.3, fpp = -0.8;
        double G = (1 + dt * p.M * lam * (fpp - p.S)) / (1 - dt * p.M * lam * p.S + dt * p.M * p.kappa * lam * lam);
        for (int k = 0; k < 10; k++) TS_CHECK_OK(ts_pf_bm1_step(s, dt));
        double a = ts_pf_bm1_field(s)[0] - 0.5;
        double expect = amp * pow(G, 10) * cos(variant ? kx * 0.5 : 0.0);
        /* nonlinear terms are O(amp^2) relative: 1e-6 */
        TS_CHECK_CLOSE(a, expect, 0, 1e-6);
        free(c);
        ts_pf_bm1_destroy(s);
    }
}

int main(void)
{
    TS_RUN(test_vs_numpy);
    TS_RUN(test_linear_mode);
    return ts_test_summary();
}
