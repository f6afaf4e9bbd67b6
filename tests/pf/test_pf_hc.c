/* Hu-Chen spectral elasticity: a y-uniform laminate of the four phases'
 * stiffnesses (rotated monoclinic Cu6Sn5, so shear couples) with eigenstrains
 * and an applied in-plane strain equals the exact laminate solution
 * (sigma11, sigma12 uniform, eps22 = Ebar22, <eps11> = Ebar11, <g12> = 0);
 * a scalloped 2D structure satisfies div sigma = 0 spectrally. */
#include "tinsel/pf.h"
#include "ts_test.h"

#define NX 128
#define NY 8

static void mixture(const ts_pf_params *p, const double *phi, size_t n, size_t k, double C[3][3], double es[3],
                    const double (*Cr)[3][3], const double (*eig)[3])
{
    memset(C, 0, 9 * sizeof(double));
    es[0] = es[1] = es[2] = 0;
    for (int r = 0; r < p->nphase; r++)
        for (int a = 0; a < 3; a++) {
            es[a] += phi[r * n + k] * eig[r][a];
            for (int b = 0; b < 3; b++) C[a][b] += phi[r * n + k] * Cr[r][a][b];
        }
}

/* exact laminate: per point e1, g from (s11, s12) and e22 */
static void exact_avg(const ts_pf_params *p, const double *phi, const double (*Cr)[3][3], const double (*eig)[3],
                      double E22, double s11, double s12, double *a1, double *a6)
{
    size_t n = (size_t)NX * NY;
    *a1 = *a6 = 0;
    for (int i = 0; i < NX; i++) {
        double C[3][3], es[3];
        mixture(p, phi, n, (size_t)i, C, es, Cr, eig);
        double e2 = E22 - es[1];
        double r1 = s11 - C[0][1] * e2, r6 = s12 - C[2][1] * e2;
        double det = C[0][0] * C[2][2] - C[0][2] * C[0][2];
        double e1 = (C[2][2] * r1 - C[0][2] * r6) / det, g = (C[0][0] * r6 - C[0][2] * r1) / det;
        *a1 += (e1 + es[0]) / NX;
        *a6 += (g + es[2]) / NX;
    }
}

static void test_laminate_exact(void)
{
    ts_pf_params p;
    ts_pf_params_default(&p, 1);
    double tmp[6][6];
    ts_pf_stiffness_rotate((const double(*)[6])p.ph[2].stiff, 0.5, tmp);
    memcpy(p.ph[2].stiff, tmp, sizeof tmp);
    double Cr[4][3][3], eig[4][3] = {{0, 0, 0}, {-0.00327, -0.00327, 0}, {-0.0279, -0.0279, 0}, {0, 0, 0}};
    for (int r = 0; r < 4; r++) ts_pf_reduce_stiffness((const double(*)[6])p.ph[r].stiff, Cr[r]);
    size_t n = (size_t)NX * NY;
    double *phi = calloc(4 * n, sizeof(double)), *eps = calloc(3 * n, sizeof(double)),
           *sig = calloc(3 * n, sizeof(double));
    double bnd[5] = {0, 40, 60, 80, 128};
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            double x = i + 0.5, tot = 0, v[4];
            for (int r = 0; r < 4; r++) {
                double l = r == 0 ? 1 : 0.5 * (1 + tanh((x - bnd[r]) / 2.0));
                double rr = r == 3 ? 1 : 0.5 * (1 - tanh((x - bnd[r + 1]) / 2.0));
                v[r] = l * rr * l * rr;
                tot += v[r];
            }
            for (int r = 0; r < 4; r++) phi[r * n + (size_t)j * NX + i] = v[r] / tot;
        }
    double C0[3][3] = {{0}};
    for (int r = 0; r < 4; r++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) C0[a][b] += 0.25 * Cr[r][a][b];
    ts_pf_hc *h = NULL;
    TS_CHECK_OK(ts_pf_hc_create(NX, NY, 0.1e-6, 0.1e-6, (const double(*)[3])C0, &h));
    double E[3] = {0, 0.01, 0};
    TS_CHECK_OK(ts_pf_hc_solve(h, 4, phi, (const double(*)[3][3])Cr, (const double(*)[3])eig, NULL, E, 1e-13, 500,
                               eps, sig));
    printf("  laminate: %d Hu-Chen iterations\n", ts_pf_hc_iterations(h));
    /* exact sigma11, sigma12 from the two averages (affine in s11, s12) */
    double a0, b0, a1, b1, a2, b2;
    exact_avg(&p, phi, (const double(*)[3][3])Cr, (const double(*)[3])eig, E[1], 0, 0, &a0, &b0);
    exact_avg(&p, phi, (const double(*)[3][3])Cr, (const double(*)[3])eig, E[1], 1e9, 0, &a1, &b1);
    exact_avg(&p, phi, (const double(*)[3][3])Cr, (const double(*)[3])eig, E[1], 0, 1e9, &a2, &b2);
    double J[2][2] = {{(a1 - a0) / 1e9, (a2 - a0) / 1e9}, {(b1 - b0) / 1e9, (b2 - b0) / 1e9}};
    double det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
    double s11 = (J[1][1] * (E[0] - a0) - J[0][1] * (E[2] - b0)) / det;
    double s12 = (J[0][0] * (E[2] - b0) - J[1][0] * (E[0] - a0)) / det;
    TS_CHECK(fabs(s12) > 1e6); /* the rotation couples shear */
    double maxd11 = 0, maxd12 = 0, maxe22 = 0;
    for (size_t k = 0; k < n; k++) {
        maxd11 = fmax(maxd11, fabs(sig[k] - s11));
        maxd12 = fmax(maxd12, fabs(sig[2 * n + k] - s12));
        maxe22 = fmax(maxe22, fabs(eps[n + k] - E[1]));
    }
    printf("  sigma11 exact %.6e Pa, max dev %.2e Pa; sigma12 exact %.6e Pa, max dev %.2e Pa\n", s11, maxd11, s12,
           maxd12);
    /* converged to 1e-13 in strain: ~1e-13 * 2e11 Pa = 0.02 Pa, times the iteration's error gain */
    TS_CHECK(maxd11 < 1e-6 * fabs(s11) + 100);
    TS_CHECK(maxd12 < 1e-6 * fabs(s11) + 100);
    TS_CHECK(maxe22 < 1e-12);
    /* the same through ts_pf_hc_solve_field (the 2D solver's rank-one path)
     * with the equal-strain fields Cx = sum phi Cr, bx = Cx eps*(x), fresh solver */
    double *Cx = malloc(9 * n * sizeof(double)), *bx = malloc(3 * n * sizeof(double)),
           *sig2 = malloc(3 * n * sizeof(double));
    ts_pf_hc *h2 = NULL;
    TS_CHECK_OK(ts_pf_hc_create(NX, NY, 0.1e-6, 0.1e-6, (const double(*)[3])C0, &h2));
    if (Cx && bx && sig2 && h2) {
        for (size_t k = 0; k < n; k++) {
            double C[3][3], es[3];
            mixture(&p, phi, n, k, C, es, (const double(*)[3][3])Cr, (const double(*)[3])eig);
            for (int a = 0; a < 3; a++) {
                bx[a * n + k] = C[a][0] * es[0] + C[a][1] * es[1] + C[a][2] * es[2];
                for (int b = 0; b < 3; b++) Cx[(3 * a + b) * n + k] = C[a][b];
            }
        }
        TS_CHECK_OK(ts_pf_hc_solve_field(h2, Cx, bx, E, 1e-13, 500, NULL, sig2));
        double dmax = 0;
        for (size_t k = 0; k < 3 * n; k++) dmax = fmax(dmax, fabs(sig2[k] - sig[k]));
        printf("  ts_pf_hc_solve_field vs ts_pf_hc_solve: max stress difference %.2e Pa\n", dmax);
        TS_CHECK(dmax < 1e-6 * fabs(s11) + 100);
    }
    ts_pf_hc_destroy(h2);
    free(Cx);
    free(bx);
    free(sig2);
    ts_pf_hc_destroy(h);
    free(phi);
    free(eps);
    free(sig);
}

int main(void)
{
    TS_RUN(test_laminate_exact);
    return ts_test_summary();
}
