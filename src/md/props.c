/* Zero-temperature properties with a MEAM potential:
 *  - equilibrium cell by FIRE box relaxation (zero stress), cohesive energy;
 *  - bulk modulus from a third-order Birch-Murnaghan fit E(V) over
 *    0.97..1.03 V0 (seed 004 "Methods": BM EOS; here a cubic polynomial in
 *    V^(-2/3), which is the BM3 form, fitted by least squares with GSL);
 *  - elastic constants C_ij (6x6, Voigt) by +-0.5 % strains from central
 *    differences of the stress (internal positions relaxed);
 *  - vacancy formation energy E_v = E(N-1) - (N-1)/N E(N), positions relaxed
 *    at fixed cell (CG). */
#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

#define BAR_TO_GPA 1e-4
#define EVA3_TO_GPA 160.21766208

static int relax_box(ts_md_calc *c, ts_md_system *s, ts_md_result *r)
{
    ts_md_min_params mp = {.algo = TS_MD_MIN_FIRE, .ftol = 1e-6, .maxiter = 20000,
                           .relax_box = 1, .ptol = 0.01};
    return ts_md_minimize(&mp, c, s, r, NULL);
}

static int relax_atoms(ts_md_calc *c, ts_md_system *s, ts_md_result *r)
{
    ts_md_min_params mp = {.algo = TS_MD_MIN_CG, .ftol = 1e-6, .maxiter = 5000};
    int rc = ts_md_minimize(&mp, c, s, r, NULL);
    if (rc == TS_ERR_CONVERGE) { /* CG stalls at rounding level: accept small forces */
        double fm = 0;
        for (int i = 0; i < 3 * s->n; i++) fm = fmax(fm, fabs(s->f[i]));
        if (fm < 1e-4) {
            ts_error_clear();
            return 0;
        }
    }
    return rc;
}

/* x' = x D, h' = h D (row vectors) */
static void deform(ts_md_system *s, const double *h0, const double *x0, const double D[9])
{
    for (int r = 0; r < 3; r++)
        for (int q = 0; q < 3; q++)
            s->cell[3 * r + q] = h0[3 * r] * D[q] + h0[3 * r + 1] * D[3 + q] + h0[3 * r + 2] * D[6 + q];
    for (int i = 0; i < s->n; i++)
        for (int q = 0; q < 3; q++)
            s->x[3 * i + q] = x0[3 * i] * D[q] + x0[3 * i + 1] * D[3 + q] + x0[3 * i + 2] * D[6 + q];
}

static int bm_fit(const double *V, const double *E, int n, double *v0, double *e0, double *B)
{
    gsl_matrix *X = gsl_matrix_alloc((size_t)n, 4), *cov = gsl_matrix_alloc(4, 4);
    gsl_vector *y = gsl_vector_alloc((size_t)n), *cf = gsl_vector_alloc(4);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc((size_t)n, 4);
    int rc = 0;
    if (!X || !cov || !y || !cf || !w) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory (EOS fit)");
        goto out;
    }
    for (int k = 0; k < n; k++) {
        double x = pow(V[k], -2.0 / 3.0);
        gsl_matrix_set(X, (size_t)k, 0, 1.0);
        gsl_matrix_set(X, (size_t)k, 1, x);
        gsl_matrix_set(X, (size_t)k, 2, x * x);
        gsl_matrix_set(X, (size_t)k, 3, x * x * x);
        gsl_vector_set(y, (size_t)k, E[k]);
    }
    double chisq;
    gsl_multifit_linear(X, y, cf, cov, &chisq, w);
    double a1 = gsl_vector_get(cf, 1), a2 = gsl_vector_get(cf, 2), a3 = gsl_vector_get(cf, 3);
    /* dE/dx = a1 + 2 a2 x + 3 a3 x^2 = 0 near x(V_mid) */
    double xm = pow(V[n / 2], -2.0 / 3.0), x0 = xm;
    for (int it = 0; it < 50; it++) {
        double g = a1 + 2 * a2 * x0 + 3 * a3 * x0 * x0, h = 2 * a2 + 6 * a3 * x0;
        if (h == 0) break;
        x0 -= g / h;
    }
    *v0 = pow(x0, -1.5);
    *e0 = gsl_vector_get(cf, 0) + a1 * x0 + a2 * x0 * x0 + a3 * x0 * x0 * x0;
    /* B = V d2E/dV2 with dx/dV = -2/3 x / V, d2x/dV2 = 10/9 x / V^2 */
    double dEdx = a1 + 2 * a2 * x0 + 3 * a3 * x0 * x0, d2Edx2 = 2 * a2 + 6 * a3 * x0;
    double dxdV = -2.0 / 3.0 * x0 / *v0, d2xdV2 = 10.0 / 9.0 * x0 / (*v0 * *v0);
    *B = *v0 * (d2Edx2 * dxdV * dxdV + dEdx * d2xdV2) * EVA3_TO_GPA;
out:
    gsl_matrix_free(X);
    gsl_matrix_free(cov);
    gsl_vector_free(y);
    gsl_vector_free(cf);
    if (w) gsl_multifit_linear_free(w);
    return rc;
}

int ts_md_crystal_props_compute(const ts_md_meam *p, const char *kind, double a0, double covera,
                                const int types[2], ts_md_crystal_props *out)
{
    memset(out, 0, sizeof *out);
    int n1[3] = {1, 1, 1};
    ts_md_system *s = NULL;
    ts_md_calc *c = NULL;
    double *x0 = NULL;
    TS_TRY(ts_md_build_lattice(kind, a0, covera, n1, types, &s));
    int rc = ts_md_system_bind(s, p);
    if (!rc) rc = ts_md_calc_create(p, 1.0, 0, 0, &c);
    ts_md_result r;
    if (!rc) rc = relax_box(c, s, &r);
    if (rc) goto out;
    out->a = s->cell[0];
    if (!strcmp(kind, "hcp")) out->covera = s->cell[8] / s->cell[0];
    if (!strcmp(kind, "bsn")) out->covera = s->cell[8] / s->cell[0];
    out->ecoh = r.energy / s->n;
    out->volume = ts_md_system_volume(s) / s->n;
    /* EOS: 7 volumes at fixed shape */
    double h0[9];
    memcpy(h0, s->cell, sizeof h0);
    x0 = malloc((size_t)s->n * 3 * sizeof *x0);
    if (!x0) { rc = ts_error_set(TS_ERR_NOMEM, "out of memory"); goto out; }
    memcpy(x0, s->x, (size_t)s->n * 3 * sizeof *x0);
    double V[7], E[7];
    for (int k = 0; k < 7; k++) {
        double f = cbrt(0.97 + 0.01 * k), D[9] = {f, 0, 0, 0, f, 0, 0, 0, f};
        deform(s, h0, x0, D);
        if ((rc = ts_md_calc_compute(c, s, &r, NULL))) goto out;
        V[k] = ts_md_system_volume(s) / s->n;
        E[k] = r.energy / s->n;
    }
    double v0, e0;
    if ((rc = bm_fit(V, E, 7, &v0, &e0, &out->bulk))) goto out;
    /* elastic constants: six strains (lower-triangular D keeps the LAMMPS
     * orientation; D[7]: c_y += e c_z is gamma_yz, D[6]: gamma_xz, D[3]:
     * gamma_xy), Voigt components of the stress sigma = -p */
    {
        const double d = 0.005;
        static const int didx[6] = {0, 4, 8, 7, 6, 3};
        static const int pvoigt[6] = {0, 1, 2, 5, 4, 3};
        for (int j = 0; j < 6; j++) {
            double pp[2][6];
            for (int sg = 0; sg < 2; sg++) {
                double D[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
                D[didx[j]] += sg ? -d : d;
                deform(s, h0, x0, D);
                if ((rc = relax_atoms(c, s, &r))) goto out;
                for (int m = 0; m < 6; m++) pp[sg][m] = r.stress[pvoigt[m]];
            }
            for (int i = 0; i < 6; i++) out->cij[i][j] = -(pp[0][i] - pp[1][i]) / (2 * d) * BAR_TO_GPA;
        }
        out->c11 = out->cij[0][0];
        out->c12 = out->cij[0][1];
        out->c44 = out->cij[3][3];
    }
out:
    free(x0);
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    return rc;
}

int ts_md_relax_full(const ts_md_meam *p, ts_md_system *s, ts_md_result *res)
{
    ts_md_calc *c = NULL;
    TS_TRY(ts_md_system_bind(s, p));
    TS_TRY(ts_md_calc_create(p, 1.0, 0, 0, &c));
    /* FIRE brings the cell close (0.1 bar); CG with the slope-based line
     * search then converges the atoms and the cell to 1e-3 bar */
    ts_md_min_params mf = {.algo = TS_MD_MIN_FIRE, .ftol = 1e-4, .maxiter = 20000, .relax_box = 1,
                           .ptol = 0.1};
    ts_md_min_params mc = {.algo = TS_MD_MIN_CG, .ftol = 1e-6, .maxiter = 20000, .relax_box = 1,
                           .ptol = 1e-3};
    int rc = ts_md_minimize(&mf, c, s, res, NULL);
    if (!rc) rc = ts_md_minimize(&mc, c, s, res, NULL);
    ts_md_calc_destroy(c);
    return rc;
}

int ts_md_vacancy_energy(const ts_md_meam *p, const char *kind, double a, const int types[2],
                         int n, double *evac)
{
    int nn[3] = {n, n, n};
    ts_md_system *s = NULL, *v = NULL;
    ts_md_calc *c = NULL;
    TS_TRY(ts_md_build_lattice(kind, a, 0, nn, types, &s));
    int rc = ts_md_system_bind(s, p);
    ts_md_result r0, r1;
    if (!rc) rc = ts_md_calc_create(p, 1.0, 0, 0, &c);
    if (!rc) rc = ts_md_calc_compute(c, s, &r0, NULL);
    if (!rc) {
        v = ts_md_system_create(s->n - 1);
        if (!v) rc = ts_error_code();
    }
    if (!rc) {
        memcpy(v->cell, s->cell, sizeof v->cell);
        memcpy(v->x, s->x + 3, (size_t)(s->n - 1) * 3 * sizeof(double));
        memcpy(v->type, s->type + 1, (size_t)(s->n - 1) * sizeof(int));
        rc = ts_md_system_bind(v, p);
    }
    if (!rc) rc = relax_atoms(c, v, &r1);
    if (!rc) *evac = r1.energy - (double)(s->n - 1) / s->n * r0.energy;
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    ts_md_system_destroy(v);
    return rc;
}

/* ---- surfaces and solutes ------------------------------------------------ */

/* fcc crystal in an orthogonal cell with z along the surface normal
 * (hkl = 100, 110 or 111), n[0] x n[1] x n[2] repeats of the smallest
 * orthogonal cell, built by keeping the fcc lattice points that fall in it. */
static int fcc_oriented(double a, int hkl, const int n[3], int type, ts_md_system **out)
{
    double d[3][3], L[3];
    if (hkl == 100) {
        double dd[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        memcpy(d, dd, sizeof d);
        L[0] = L[1] = L[2] = a;
    } else if (hkl == 110) {
        double dd[3][3] = {{0, 0, 1}, {1, -1, 0}, {1, 1, 0}};
        memcpy(d, dd, sizeof d);
        L[0] = a;
        L[1] = L[2] = a / sqrt(2.0);
    } else if (hkl == 111) {
        double dd[3][3] = {{1, -1, 0}, {1, 1, -2}, {1, 1, 1}};
        memcpy(d, dd, sizeof d);
        L[0] = a / sqrt(2.0);
        L[1] = a * sqrt(6.0) / 2.0;
        L[2] = a * sqrt(3.0);
    } else
        return ts_error_set(TS_ERR_INVAL, "surface: hkl must be 100, 110 or 111");
    for (int k = 0; k < 3; k++) {
        double nn = sqrt(d[k][0] * d[k][0] + d[k][1] * d[k][1] + d[k][2] * d[k][2]);
        for (int q = 0; q < 3; q++) d[k][q] /= nn;
    }
    double Lt[3] = {L[0] * n[0], L[1] * n[1], L[2] * n[2]};
    int natoms = (int)lround(4.0 * Lt[0] * Lt[1] * Lt[2] / (a * a * a));
    ts_md_system *s = ts_md_system_create(natoms);
    if (!s) return ts_error_code();
    int m = (int)ceil((Lt[0] + Lt[1] + Lt[2]) / a) + 1, k = 0;
    static const double basis[4][3] = {{0, 0, 0}, {.5, .5, 0}, {.5, 0, .5}, {0, .5, .5}};
    for (int i = -m; i <= m; i++)
        for (int j = -m; j <= m; j++)
            for (int l = -m; l <= m; l++)
                for (int b = 0; b < 4; b++) {
                    double x[3] = {(i + basis[b][0]) * a, (j + basis[b][1]) * a, (l + basis[b][2]) * a}, y[3];
                    int inside = 1;
                    for (int q = 0; q < 3; q++) {
                        y[q] = x[0] * d[q][0] + x[1] * d[q][1] + x[2] * d[q][2];
                        double f = y[q] / Lt[q];
                        if (f < -1e-9 || f >= 1 - 1e-9) inside = 0;
                    }
                    if (!inside) continue;
                    if (k >= natoms) {
                        ts_md_system_destroy(s);
                        return ts_error_set(TS_ERR_NUMERIC, "surface: atom count mismatch");
                    }
                    for (int q = 0; q < 3; q++) s->x[3 * k + q] = fmax(y[q], 0.0);
                    s->type[k++] = type;
                }
    if (k != natoms) {
        ts_md_system_destroy(s);
        return ts_error_set(TS_ERR_NUMERIC, "surface: %d atoms found, %d expected", k, natoms);
    }
    s->cell[0] = Lt[0];
    s->cell[4] = Lt[1];
    s->cell[8] = Lt[2];
    *out = s;
    return 0;
}

int ts_md_surface_energy(const ts_md_meam *p, double a, int type, int hkl, double *gamma)
{
    int n[3] = {hkl == 111 ? 3 : 3, hkl == 111 ? 2 : 3, hkl == 100 ? 5 : hkl == 110 ? 8 : 4};
    if (hkl == 110) n[1] = 4;
    ts_md_system *s = NULL;
    ts_md_calc *c = NULL;
    TS_TRY(fcc_oriented(a, hkl, n, type, &s));
    int rc = ts_md_system_bind(s, p);
    ts_md_result r0, r1;
    if (!rc) rc = ts_md_calc_create(p, 1.0, 0, 0, &c);
    if (!rc) rc = ts_md_calc_compute(c, s, &r0, NULL);
    if (!rc) {
        /* open the surfaces: 15 Å of vacuum along z (> screening radius) */
        s->cell[8] += 15.0;
        ts_md_calc_invalidate(c);
        rc = relax_atoms(c, s, &r1);
    }
    if (!rc) {
        double area = s->cell[0] * s->cell[4];
        *gamma = (r1.energy - r0.energy) / (2.0 * area) * 16.0217663; /* eV/Å^2 -> J/m^2 */
    }
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    return rc;
}

int ts_md_solution_energy(const ts_md_meam *p, const char *kind, double a, int host, int solute,
                          double e_host, double e_solute, int n, double *dh)
{
    int nn[3] = {n, n, n}, types[2] = {host, host};
    ts_md_system *s = NULL;
    ts_md_calc *c = NULL;
    TS_TRY(ts_md_build_lattice(kind, a, 0, nn, types, &s));
    s->type[0] = solute;
    int rc = ts_md_system_bind(s, p);
    ts_md_result r;
    if (!rc) rc = ts_md_calc_create(p, 1.0, 0, 0, &c);
    if (!rc) rc = relax_atoms(c, s, &r);
    if (!rc) *dh = r.energy - (s->n - 1) * e_host - e_solute;
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    return rc;
}
