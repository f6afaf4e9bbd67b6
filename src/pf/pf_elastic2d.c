/* Mechanical equilibrium on a periodic 2D grid by the spectral iterative
 * perturbation method of Hu & Chen (seed 002 sec. 3.1, ref. [36]):
 * plane strain, components (11, 22, 12) with engineering shear, local
 * stiffness and eigenstrain interpolated linearly in the phase fractions
 * (Voigt/Khachaturyan; ts_pf_hc_solve), or any given local stiffness and
 * eigenstress (ts_pf_hc_solve_field; the 2D solver's rank-one mixture, pf_rank1.c):
 *   C(x) = sum phi_r C_r (reduced 3x3: Voigt 1, 2, 6), eps*(x) = sum phi_r eps*_r,
 * plus an optional eigenstress field sx (plastic and per-phase eigenstrains
 * of the Voigt-Taylor mixture: sigma = C(x) eps - sx).
 * With a homogeneous reference C0, strain eps = Ebar + d(x), the stress is
 * sigma = C0 (Ebar + d) + tau, tau = (C - C0)(Ebar + d) - C eps* - sx. Equilibrium
 * div sigma = 0 in Fourier space (k the spectral wave vector):
 *   K(k) u^ = -i tau^ k,  K_ik = C0_ijkl k_j k_l,
 *   d^_ij = 1/2 [k_j (N tau^ k)_i + k_i (N tau^ k)_j],  N = K^-1,
 * iterated d <- d(tau(d)) until max|d_new - d| < tol (average strain = Ebar,
 * strain-controlled).
 */
#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/pf.h"

/* OpenMP only above this many grid points: on small grids (the 1D-like
 * y = 2 tests) the parallel regions cost more than they save. */
#define PF_OMP_MIN 16384
/* FFTW_MEASURE above PF_OMP_MIN points, FFTW_ESTIMATE below (pf_solver2d.c) */
unsigned ts_pf_fft_plan_flags_(size_t npts);

struct ts_pf_hc {
    int nx, ny;
    double dx, dy;
    double C0[3][3];
    double *f;          /* real scratch [ny][nx] */
    fftw_complex *F[3]; /* spectra of tau components [ny][nx/2+1] */
    fftw_plan fwd[3], bwd[3];
    double *d;          /* [3][n] heterogeneous strain */
    double *tau;        /* [3][n] */
    double *dC, *b;     /* per solve: C(x) - C0 [9][n], C(x) eps*(x) + sx [3][n] */
    int iters;
};

void ts_pf_hc_destroy(ts_pf_hc *h)
{
    if (!h) return;
    for (int c = 0; c < 3; c++) {
        if (h->fwd[c]) fftw_destroy_plan(h->fwd[c]);
        if (h->bwd[c]) fftw_destroy_plan(h->bwd[c]);
        fftw_free(h->F[c]);
    }
    fftw_free(h->tau);
    free(h->d);
    free(h->dC);
    free(h->b);
    fftw_free(h->f);
    free(h);
}

int ts_pf_hc_create(int nx, int ny, double dx, double dy, const double C0[3][3], ts_pf_hc **out)
{
    *out = NULL;
    if (nx < 2 || ny < 2 || !(dx > 0) || !(dy > 0))
        return ts_error_set(TS_ERR_RANGE, "Hu-Chen grid %d x %d, spacing %g, %g", nx, ny, dx, dy);
    ts_pf_hc *h = calloc(1, sizeof *h);
    TS_CHECK_ALLOC(h);
    h->nx = nx;
    h->ny = ny;
    h->dx = dx;
    h->dy = dy;
    memcpy(h->C0, C0, sizeof h->C0);
    size_t n = (size_t)nx * ny, ns = (size_t)ny * (nx / 2 + 1);
    h->f = fftw_alloc_real(n);
    h->tau = fftw_alloc_real(3 * n);
    h->d = calloc(3 * n, sizeof(double));
    h->dC = malloc(9 * n * sizeof(double));
    h->b = malloc(3 * n * sizeof(double));
    int ok = h->f && h->tau && h->d && h->dC && h->b;
    /* FFTW OpenMP threads for the plans (count reset to 1 afterwards) */
    int nthr = omp_get_max_threads(), thr = nthr > 1 && n >= PF_OMP_MIN && fftw_init_threads();
    if (thr) fftw_plan_with_nthreads(nthr);
    for (int c = 0; ok && c < 3; c++) {
        h->F[c] = fftw_alloc_complex(ns);
        ok = h->F[c] != NULL;
        if (ok) {
            h->fwd[c] = fftw_plan_dft_r2c_2d(ny, nx, h->tau + c * n, h->F[c], ts_pf_fft_plan_flags_(n));
            h->bwd[c] = fftw_plan_dft_c2r_2d(ny, nx, h->F[c], h->tau + c * n, ts_pf_fft_plan_flags_(n));
            ok = h->fwd[c] && h->bwd[c];
        }
    }
    if (thr) fftw_plan_with_nthreads(1);
    if (!ok) {
        ts_pf_hc_destroy(h);
        return ts_error_set(TS_ERR_NOMEM, "Hu-Chen: out of memory / FFTW planning failed");
    }
    *out = h;
    return 0;
}

/* stress of a reduced stiffness on a Voigt-2D strain (e11, e22, g12) */
static void mul3(double C[3][3], const double *e, double *s)
{
    for (int a = 0; a < 3; a++) s[a] = C[a][0] * e[0] + C[a][1] * e[1] + C[a][2] * e[2];
}

/* The fixed-point iteration on h->d with the polarisation parts h->dC = C(x) - C0
 * and h->b = C(x) eps*(x) + sx (set by the caller). */
static int hc_iterate(ts_pf_hc *h, const double Ebar[3], double tol, int maxit)
{
    int nx = h->nx, ny = h->ny;
    size_t n = (size_t)nx * ny;
    long nl = (long)n;
    double pi = 3.14159265358979323846;
    double change = INFINITY;
    int it;
    for (it = 0; it < maxit; it++) {
        /* polarisation tau(d) = (C(x) - C0)(Ebar + d) - C(x) eps* - sx */
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
        for (long k = 0; k < nl; k++) {
            double e[3];
            for (int a = 0; a < 3; a++) e[a] = Ebar[a] + h->d[a * n + k];
            for (int a = 0; a < 3; a++)
                h->tau[a * n + k] = h->dC[(3 * a) * n + k] * e[0] + h->dC[(3 * a + 1) * n + k] * e[1] +
                                    h->dC[(3 * a + 2) * n + k] * e[2] - h->b[a * n + k];
        }
        for (int c = 0; c < 3; c++) fftw_execute(h->fwd[c]);
        /* Green operator: d^ from tau^ */
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
        for (int j = 0; j < ny; j++) {
            int mj = (j <= ny / 2) ? j : j - ny;
            double ky = 2 * pi * mj / (ny * h->dy);
            for (int i = 0; i <= nx / 2; i++) {
                size_t q = (size_t)j * (nx / 2 + 1) + i;
                double kx = 2 * pi * i / (nx * h->dx);
                if (i == 0 && j == 0) {
                    for (int c = 0; c < 3; c++) h->F[c][q][0] = h->F[c][q][1] = 0;
                    continue;
                }
                const double(*C0)[3] = (const double(*)[3])h->C0;
                /* K_ik = C0_ijkl k_j k_l in 2D (Voigt 1=11, 2=22, 3=12) */
                double K11 = C0[0][0] * kx * kx + 2 * C0[0][2] * kx * ky + C0[2][2] * ky * ky;
                double K22 = C0[2][2] * kx * kx + 2 * C0[1][2] * kx * ky + C0[1][1] * ky * ky;
                double K12 = C0[0][2] * kx * kx + (C0[0][1] + C0[2][2]) * kx * ky + C0[1][2] * ky * ky;
                double det = K11 * K22 - K12 * K12;
                double N11 = K22 / det, N22 = K11 / det, N12 = -K12 / det;
                for (int part = 0; part < 2; part++) {
                    double t11 = h->F[0][q][part], t22 = h->F[1][q][part], t12 = h->F[2][q][part];
                    double v1 = t11 * kx + t12 * ky, v2 = t12 * kx + t22 * ky; /* tau k */
                    double w1 = N11 * v1 + N12 * v2, w2 = N12 * v1 + N22 * v2; /* N tau k */
                    h->F[0][q][part] = kx * w1;
                    h->F[1][q][part] = ky * w2;
                    h->F[2][q][part] = kx * w2 + ky * w1; /* engineering shear */
                }
            }
        }
        /* K u^ = i tau^ k gives u^ = i N tau^ k and d^ = i sym(k u^) = -sym(k (N tau^ k)):
         * the minus sign is applied with the 1/n normalisation below */
        change = 0;
        for (int c = 0; c < 3; c++) {
            fftw_execute(h->bwd[c]);
#pragma omp parallel for schedule(static) reduction(max : change) if (nl >= PF_OMP_MIN)
            for (long k = 0; k < nl; k++) {
                double v = -h->tau[c * n + k] / (double)n;
                double dd = fabs(v - h->d[c * n + k]);
                if (dd > change) change = dd;
                h->d[c * n + k] = v;
            }
        }
        if (change < tol) break;
    }
    h->iters = it + 1;
    if (!(change < tol))
        return ts_error_set(TS_ERR_CONVERGE, "Hu-Chen iteration: change %g > tol %g after %d iterations", change,
                            tol, maxit);
    return 0;
}

int ts_pf_hc_solve(ts_pf_hc *h, int P, const double *phi, const double (*Cr)[3][3],
                   const double (*eig)[3], const double *sx, const double Ebar[3], double tol, int maxit,
                   double *eps, double *sig)
{
    int nx = h->nx, ny = h->ny;
    size_t n = (size_t)nx * ny;
    long nl = (long)n;
    /* the parts of the polarisation that do not change during the iteration */
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) {
        double C[3][3] = {{0}}, es[3] = {0}, sE[3];
        for (int r = 0; r < P; r++) {
            double f = phi[r * n + k];
            for (int a = 0; a < 3; a++) {
                es[a] += f * eig[r][a];
                for (int c = 0; c < 3; c++) C[a][c] += f * Cr[r][a][c];
            }
        }
        mul3(C, es, sE);
        for (int a = 0; a < 3; a++) {
            h->b[a * n + k] = sE[a] + (sx ? sx[a * n + k] : 0);
            for (int c = 0; c < 3; c++) h->dC[(3 * a + c) * n + k] = C[a][c] - h->C0[a][c];
        }
    }
    TS_TRY(hc_iterate(h, Ebar, tol, maxit));
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) {
        double C[3][3] = {{0}}, es[3] = {0}, e[3], s[3];
        for (int r = 0; r < P; r++) {
            double f = phi[r * n + k];
            for (int a = 0; a < 3; a++) {
                es[a] += f * eig[r][a];
                for (int b = 0; b < 3; b++) C[a][b] += f * Cr[r][a][b];
            }
        }
        for (int a = 0; a < 3; a++) {
            e[a] = Ebar[a] + h->d[a * n + k];
            if (eps) eps[a * n + k] = e[a];
            e[a] -= es[a];
        }
        mul3(C, e, s);
        if (sig)
            for (int a = 0; a < 3; a++) sig[a * n + k] = s[a] - (sx ? sx[a * n + k] : 0);
    }
    return 0;
}

int ts_pf_hc_solve_field(ts_pf_hc *h, const double *Cx, const double *bx, const double Ebar[3], double tol,
                         int maxit, double *eps, double *sig)
{
    size_t n = (size_t)h->nx * h->ny;
    long nl = (long)n;
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++)
        for (int a = 0; a < 3; a++) {
            h->b[a * n + k] = bx[a * n + k];
            for (int c = 0; c < 3; c++) h->dC[(3 * a + c) * n + k] = Cx[(3 * a + c) * n + k] - h->C0[a][c];
        }
    TS_TRY(hc_iterate(h, Ebar, tol, maxit));
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) {
        double e[3];
        for (int a = 0; a < 3; a++) {
            e[a] = Ebar[a] + h->d[a * n + k];
            if (eps) eps[a * n + k] = e[a];
        }
        if (sig)
            for (int a = 0; a < 3; a++)
                sig[a * n + k] = Cx[(3 * a) * n + k] * e[0] + Cx[(3 * a + 1) * n + k] * e[1] +
                                 Cx[(3 * a + 2) * n + k] * e[2] - bx[a * n + k];
    }
    return 0;
}

int ts_pf_hc_iterations(const ts_pf_hc *h) { return h->iters; }

void ts_pf_reduce_stiffness(const double C[6][6], double R[3][3])
{
    static const int v[3] = {0, 1, 5};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) R[a][b] = C[v[a]][v[b]];
}

double *ts_pf_hc_strain_(ts_pf_hc *h) { return h->d; }
