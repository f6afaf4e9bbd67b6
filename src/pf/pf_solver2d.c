/* Two-dimensional multi-phase-field solver, chemistry + interfaces only
 * (no mechanics), with FFTW.
 *
 * Equations: as pf_solver1d.c (seed 002 eqs. (1), (5)-(8), (10), (A.4),
 * (A.5), (B.3)) without the elastic and plastic terms.
 * Grid: x (layer normal) has nx cells with zero flux at both ends, y (along
 * the layers) has ny cells and is periodic. Arrays are [ny][nx], x fastest;
 * eta[r][ny][nx]. The 2D real-to-real transform (y: R2HC/HC2R, x: DCT-II/
 * DCT-III = REDFT10/REDFT01) diagonalises the second-order finite-difference
 * Laplacian with these boundary conditions:
 *   lam(i, j) = -(2 - 2 cos(pi i/nx))/dx^2 - (2 - 2 cos(2 pi m_j/ny))/dy^2,
 * m_j the y frequency of half-complex index j.
 * A step (Lie splitting, as in 1D):
 *   eta: (1 - dt Lmax kappa lap) eta+ = eta + dt [-L F_local + L kappa lap eta]
 *        - dt Lmax kappa lap eta   (stabilised: exact 1D scheme when L = Lmax);
 *   c:   backward Euler c+ - dt div(M grad mu(c+, phi+)) = c (linear in c),
 *        by preconditioned conjugate gradients in S^{1/2} mu (c_pcg, the
 *        default), or by the old defect-correction sweeps of the splitting
 *        (1 - dt A lap) c^{k+1} = c + dt [div(M grad mu(c^k)) - A lap c^k],
 *        A = max(max_r D_r, max face M/S) (c_sweeps).
 * Error control: the same second-difference local error estimate as 1D.
 * Threads: every pointwise and stencil loop is an OpenMP loop with a static
 * schedule, the FFTs use FFTW's OpenMP threads, the return map a dynamic
 * schedule (elastic points return at once). Floating-point sums (the CG dot
 * products, the mass-free projection) are per-row partial sums added in row
 * order, so the loops give the same bits for any thread count; the other
 * reductions are max/min.
 */
#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinsel/pf.h"

/* OpenMP only above this many grid points: on small grids (the 1D-like
 * y = 2 tests) the parallel regions cost more than they save. */
#define PF_OMP_MIN 16384
/* FFTW planning: FFTW_MEASURE times candidate algorithms (~4x faster
 * transforms at 512^2), so two processes may pick different ones and differ
 * in the last bits; FFTW_ESTIMATE is deterministic. Small grids (the tests,
 * where speed does not matter) use ESTIMATE so that separate runs agree bit
 * for bit; restarts of measured runs reuse the run's wisdom (pf_wisdom.c). */
unsigned ts_pf_fft_plan_flags_(size_t npts); /* also used by pf_elastic2d.c */
unsigned ts_pf_fft_plan_flags_(size_t npts) { return npts >= PF_OMP_MIN ? FFTW_MEASURE : FFTW_ESTIMATE; }

struct ts_pf_sim2d {
    ts_pf_params p;
    int nx, ny, P;
    double dy;
    double t, dt, dt_prev;
    long steps, rejected;
    int have_prev;
    double Lp[TS_PF_MAXPHASE][TS_PF_MAXPHASE], Lmax, Adiff;
    int c_iters; /* defect-correction sweeps of the c step */
    /* mechanics (Hu-Chen, Voigt-interpolated, elastic only) */
    ts_pf_hc *hc;
    double Cr[TS_PF_MAXPHASE][3][3], eig[TS_PF_MAXPHASE][3], Ebar[3];
    double *eps, *sig, *sx;   /* [3][n] total strain, stress, eigenstress */
    int mixture;              /* TS_PF_MIX_RANK1 (default) or TS_PF_MIX_VOIGT */
    double *Cx, *nrm;         /* rank1: [9][n] local stiffness C_eff, [2][n] normal (0, 0: equal strain) */
    double *epl, *pcum;       /* [P][n][6], [P][n] plastic state */
    double *epl0, *pcum0;     /* saved for rejected steps */
    double *rrate, *rrate0;   /* [P][n] return-map theta/dt (warm start), saved copy */
    double *hd1, *hd2;        /* [3][n] Hu-Chen strain after the last two accepted steps */
    int nhd;                  /* how many of hd1, hd2 are set (0..2) */
    double *gm, *gm0;         /* [P][n] elastic + plastic driving force of the last
                                 mechanics update (J/m^3), saved copy */
    int mech_every;           /* mechanics (equilibrium + return map) every k-th step */
    long mech_count, mech_count0;
    double mech_acc, mech_acc0; /* time since the last mechanics update, s */
    int mech_ran;             /* the last raw step updated the mechanics */
    int plastic;
    double *eta, *c, *eta0, *c0, *deta_prev, *dc_prev;
    double *phi, *g, *rhs, *lap, *mu, *Mb, *spec, *lam;
    double *buf;              /* [n] aligned copy for arrays of another alignment */
    fftw_plan fwd, bwd;       /* r2r plans on (rhs -> spec -> rhs), executed on any
                                 fftw_alloc'ed array (same alignment) */
    double hc_tol;            /* Hu-Chen strain tolerance */
    double prof[TS_PF2D_NPROF];
    long hc_iters;
    ts_pf_sim2d_stats st; /* step-control diagnostics */
    int c_split_local;
    double c_conv; /* > 0: c sweeps until the change is below this (max 200) */
    int c_solver;  /* TS_PF_C_PCG (default) or TS_PF_C_SWEEPS */
    double c_tol;  /* PCG: relative residual (c units, vs the explicit change) */
    int c_maxit;   /* PCG: iteration cap; beyond it the step is rejected */
    int c_fail;    /* the last raw step's c solve did not converge */
    double *cg_sh, *cg_x, *cg_r, *cg_z, *cg_p, *cg_q; /* [n] PCG work (sweeps: x, r, q) */
    double *cg_gh, *cg_dg;                            /* [n] preconditioner weights */
    double *cg_red;                                   /* [2 ny] per-row partial sums */
};

static const char *PROF_NAMES[TS_PF2D_NPROF] = {"partition+g",  "mech: Hu-Chen",    "mech: return map+w",
                                                "eta: explicit", "eta: Helmholtz FFT", "c: stencil",
                                                "c: Helmholtz FFT", "step control"};

void ts_pf_sim2d_set_hc_tol(ts_pf_sim2d *s, double tol)
{
    if (tol > 0) s->hc_tol = tol;
}

void ts_pf_sim2d_set_mixture(ts_pf_sim2d *s, int mixture)
{
    if (mixture == TS_PF_MIX_RANK1 || mixture == TS_PF_MIX_VOIGT) s->mixture = mixture;
}

void ts_pf_sim2d_set_mech_every(ts_pf_sim2d *s, int k)
{
    if (k >= 1) s->mech_every = k;
}

const char *ts_pf_sim2d_profile_name(int i) { return (i >= 0 && i < TS_PF2D_NPROF) ? PROF_NAMES[i] : "?"; }

void ts_pf_sim2d_profile(const ts_pf_sim2d *s, double sec[TS_PF2D_NPROF], long *hc_iters)
{
    for (int i = 0; i < TS_PF2D_NPROF; i++) sec[i] = s->prof[i];
    if (hc_iters) *hc_iters = s->hc_iters;
}

void ts_pf_sim2d_set_c_split_local(ts_pf_sim2d *s, int on) { s->c_split_local = on; }
void ts_pf_sim2d_set_c_conv(ts_pf_sim2d *s, double tol) { s->c_conv = tol; }

void ts_pf_sim2d_set_c_solver(ts_pf_sim2d *s, int solver, double tol, int max_iter)
{
    if (solver == TS_PF_C_PCG || solver == TS_PF_C_SWEEPS) s->c_solver = solver;
    if (tol > 0) s->c_tol = tol;
    if (max_iter >= 1) s->c_maxit = max_iter;
}

void ts_pf_sim2d_stats_get(const ts_pf_sim2d *s, ts_pf_sim2d_stats *st) { *st = s->st; }

double *ts_pf_hc_strain_(ts_pf_hc *h); /* pf_elastic2d.c: the warm-start strain [3][n] */
int ts_pf_all_finite_(const double *v, size_t n); /* pf_solver1d.c */

static size_t N2(const ts_pf_sim2d *s) { return (size_t)s->nx * s->ny; }

/* process CPU time (all threads), s: the profile counts CPU, not wall time,
 * so that it means something on a loaded machine */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ts_pf_sim2d_destroy(ts_pf_sim2d *s)
{
    if (!s) return;
    if (s->fwd) fftw_destroy_plan(s->fwd);
    if (s->bwd) fftw_destroy_plan(s->bwd);
    double *a[] = {s->eta, s->c, s->eta0, s->c0, s->deta_prev, s->dc_prev, s->phi, s->g,
                   s->rhs, s->lap, s->mu, s->Mb, s->lam, s->buf, s->spec,
                   s->cg_sh, s->cg_x, s->cg_r, s->cg_z, s->cg_p, s->cg_q, s->cg_gh, s->cg_dg};
    for (size_t k = 0; k < sizeof a / sizeof a[0]; k++) fftw_free(a[k]);
    free(s->eps);
    free(s->sig);
    free(s->sx);
    free(s->Cx);
    free(s->nrm);
    free(s->epl);
    free(s->pcum);
    free(s->epl0);
    free(s->pcum0);
    free(s->rrate);
    free(s->rrate0);
    free(s->hd1);
    free(s->hd2);
    free(s->gm);
    free(s->gm0);
    free(s->cg_red);
    ts_pf_hc_destroy(s->hc);
    free(s);
}

/* 5-point FD Laplacian with zero flux in x, periodic in y. Called from
 * inside a parallel region (orphaned worksharing loop). */
static void laplacian(const ts_pf_sim2d *s, const double *f, double *out)
{
    int nx = s->nx, ny = s->ny;
    double ix2 = 1.0 / (s->p.dx * s->p.dx), iy2 = 1.0 / (s->dy * s->dy);
#pragma omp for schedule(static)
    for (int j = 0; j < ny; j++) {
        const double *row = f + (size_t)j * nx;
        const double *up = f + (size_t)((j + 1) % ny) * nx, *dn = f + (size_t)((j + ny - 1) % ny) * nx;
        double *o = out + (size_t)j * nx;
        for (int i = 0; i < nx; i++) {
            double l = (i > 0) ? row[i - 1] : row[i], r = (i < nx - 1) ? row[i + 1] : row[i];
            o[i] = (l - 2 * row[i] + r) * ix2 + (up[i] - 2 * row[i] + dn[i]) * iy2;
        }
    }
}

/* Solve (1 - a lam) x = rhs in place (rhs in real space); x must come from
 * fftw_alloc_real (the plans are executed on new arrays of equal alignment). */
static void helmholtz(ts_pf_sim2d *s, double *x, double a)
{
    long n = (long)N2(s);
    int copy = fftw_alignment_of(x) != fftw_alignment_of(s->rhs);
    if (copy) memcpy(s->buf, x, (size_t)n * sizeof(double));
    double *y = copy ? s->buf : x;
    fftw_execute_r2r(s->fwd, y, s->spec);
    double norm = 1.0 / ((double)s->ny * 2.0 * s->nx);
    double *sp = s->spec;
    const double *lam = s->lam;
#pragma omp parallel for schedule(static) if (n >= PF_OMP_MIN)
    for (long k = 0; k < n; k++) sp[k] *= norm / (1.0 - a * lam[k]);
    fftw_execute_r2r(s->bwd, s->spec, y);
    if (copy) memcpy(x, s->buf, (size_t)n * sizeof(double));
}

static void phases(const ts_pf_sim2d *s, const double *eta, double *phi)
{
    long n = (long)N2(s);
#pragma omp parallel for schedule(static) if (n >= PF_OMP_MIN)
    for (long k = 0; k < n; k++) {
        double s2 = 0;
        for (int r = 0; r < s->P; r++) s2 += eta[r * n + k] * eta[r * n + k];
        if (s2 < 1e-30) s2 = 1e-30;
        double inv = 1.0 / s2;
        for (int r = 0; r < s->P; r++) phi[r * n + k] = eta[r * n + k] * eta[r * n + k] * inv;
    }
}

int ts_pf_sim2d_create(const ts_pf_params *p, int ny, double dy, double scallop_amp,
                       double scallop_period, ts_pf_sim2d **out)
{
    *out = NULL;
    TS_TRY(ts_pf_params_check(p));
    if (p->mechanics && p->normal != TS_PF_NORMAL_STRAIN)
        return ts_error_set(TS_ERR_UNSUPPORTED, "2D mechanics: only strain-controlled loading (normal = strain)");
    if (ny < 2 || !(dy > 0))
        return ts_error_set(TS_ERR_RANGE, "2D grid: ny = %d (>= 2), dy = %g m (> 0)", ny, dy);
    if (scallop_amp < 0 || (scallop_amp > 0 && !(scallop_period > 0)))
        return ts_error_set(TS_ERR_RANGE, "scallops: amplitude %g m >= 0 and period %g m > 0", scallop_amp,
                            scallop_period);
    ts_pf_sim2d *s = calloc(1, sizeof *s);
    TS_CHECK_ALLOC(s);
    s->p = *p;
    s->nx = p->n;
    s->ny = ny;
    s->dy = dy;
    s->P = p->nphase;
    size_t n = N2(s), nP = n * s->P;
    /* every field from fftw_alloc_real: the r2r plans run on any of them */
    double **fa[] = {&s->eta, &s->eta0, &s->deta_prev, &s->phi, &s->g, &s->rhs, &s->lap};
    for (size_t q = 0; q < sizeof fa / sizeof fa[0]; q++)
        if ((*fa[q] = fftw_alloc_real(nP)) != NULL) memset(*fa[q], 0, nP * sizeof(double));
    double **fb[] = {&s->c,     &s->c0,   &s->dc_prev, &s->mu,   &s->Mb,   &s->lam,  &s->spec,
                     &s->cg_sh, &s->cg_x, &s->cg_r,    &s->cg_z, &s->cg_p, &s->cg_q, &s->cg_gh, &s->cg_dg};
    for (size_t q = 0; q < sizeof fb / sizeof fb[0]; q++)
        if ((*fb[q] = fftw_alloc_real(n)) != NULL) memset(*fb[q], 0, n * sizeof(double));
    if ((s->buf = fftw_alloc_real(n)) != NULL) memset(s->buf, 0, n * sizeof(double));
    s->hc_tol = 1e-9;
    s->mech_every = 1;
    s->c_split_local = 1;
    s->c_solver = TS_PF_C_PCG;
    s->c_tol = TS_PF_C_TOL_DEFAULT;
    s->c_maxit = TS_PF_C_MAXIT_DEFAULT;
    s->cg_red = calloc(2 * (size_t)ny, sizeof(double));
    if (p->mechanics) {
        s->eps = calloc(3 * n, sizeof(double));
        s->sig = calloc(3 * n, sizeof(double));
        s->sx = calloc(3 * n, sizeof(double));
        s->Cx = calloc(9 * n, sizeof(double));
        s->nrm = calloc(2 * n, sizeof(double));
        s->epl = calloc(6 * nP, sizeof(double));
        s->pcum = calloc(nP, sizeof(double));
        s->epl0 = calloc(6 * nP, sizeof(double));
        s->pcum0 = calloc(nP, sizeof(double));
        s->rrate = calloc(nP, sizeof(double));
        s->rrate0 = calloc(nP, sizeof(double));
        s->hd1 = calloc(3 * n, sizeof(double));
        s->hd2 = calloc(3 * n, sizeof(double));
        s->gm = calloc(nP, sizeof(double));
        s->gm0 = calloc(nP, sizeof(double));
        double C0[3][3] = {{0}};
        for (int r = 0; r < s->P; r++) {
            ts_pf_reduce_stiffness((const double(*)[6])p->ph[r].stiff, s->Cr[r]);
            /* eigenstrains enter through the eigenstress field sx (per phase) */
            s->eig[r][0] = s->eig[r][1] = s->eig[r][2] = 0;
            s->plastic |= p->ph[r].plastic;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) C0[a][b] += s->Cr[r][a][b] / s->P;
        }
        s->Ebar[0] = p->applied_e11;
        s->Ebar[1] = p->applied_e22;
        s->Ebar[2] = 0;
        int rc = ts_pf_hc_create(s->nx, ny, p->dx, dy, (const double(*)[3])C0, &s->hc);
        if (rc) {
            ts_pf_sim2d_destroy(s);
            return rc;
        }
    }
    if (!s->eta || !s->eta0 || !s->deta_prev || !s->phi || !s->g || !s->rhs || !s->c || !s->c0 ||
        !s->dc_prev || !s->lap || !s->mu || !s->Mb || !s->lam || !s->buf || !s->spec || !s->cg_sh || !s->cg_x ||
        !s->cg_r || !s->cg_z || !s->cg_p || !s->cg_q || !s->cg_gh || !s->cg_dg || !s->cg_red ||
        (p->mechanics && (!s->eps || !s->sig || !s->sx || !s->Cx || !s->nrm || !s->epl || !s->pcum || !s->epl0 || !s->pcum0 ||
                           !s->rrate || !s->rrate0 || !s->hd1 || !s->hd2 || !s->gm || !s->gm0))) {
        ts_pf_sim2d_destroy(s);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for a %d x %d grid", s->nx, ny);
    }
    /* FFTW's OpenMP threads (idempotent initialisation); the thread count is
     * reset to 1 after planning so other FFTW users are unaffected */
    int nthr = omp_get_max_threads();
    if (nthr > 1 && n >= PF_OMP_MIN && fftw_init_threads()) fftw_plan_with_nthreads(nthr);
    s->fwd = fftw_plan_r2r_2d(ny, s->nx, s->rhs, s->spec, FFTW_R2HC, FFTW_REDFT10, ts_pf_fft_plan_flags_(n));
    s->bwd = fftw_plan_r2r_2d(ny, s->nx, s->spec, s->rhs, FFTW_HC2R, FFTW_REDFT01, ts_pf_fft_plan_flags_(n));
    if (nthr > 1 && n >= PF_OMP_MIN) fftw_plan_with_nthreads(1);
    if (!s->fwd || !s->bwd) {
        ts_pf_sim2d_destroy(s);
        return ts_error_set(TS_ERR_NOMEM, "FFTW planning failed");
    }
    double pi = 3.14159265358979323846;
    for (int j = 0; j < ny; j++) {
        int m = (j <= ny / 2) ? j : ny - j;
        double ly = -(2 - 2 * cos(2 * pi * m / ny)) / (dy * dy);
        for (int i = 0; i < s->nx; i++)
            s->lam[(size_t)j * s->nx + i] = ly - (2 - 2 * cos(pi * i / s->nx)) / (p->dx * p->dx);
    }
    s->Lmax = 0;
    s->Adiff = 0;
    for (int r = 0; r < s->P; r++) {
        s->Adiff = fmax(s->Adiff, p->ph[r].D);
        for (int q = 0; q < s->P; q++) {
            s->Lp[r][q] = (r == q) ? 0 : ts_pf_pair_L(p, r, q);
            s->Lmax = fmax(s->Lmax, s->Lp[r][q]);
        }
    }
    /* initial layers; the boundary between phases P-2 and P-1 (Cu6Sn5/Sn) is
     * scalloped: half-ellipse caps of height scallop_amp per period */
    double bnd[TS_PF_MAXPHASE + 1];
    bnd[0] = 0;
    for (int r = 0; r < s->P; r++) bnd[r + 1] = bnd[r] + p->ph[r].width;
    double delta = sqrt(2.0 * p->kappa / p->m);
    for (int j = 0; j < ny; j++) {
        double y = (j + 0.5) * dy, shift = 0;
        if (scallop_amp > 0) {
            double u = fmod(y, scallop_period) / scallop_period * 2.0 - 1.0; /* -1..1 */
            shift = scallop_amp * sqrt(fmax(0.0, 1.0 - u * u));
        }
        for (int i = 0; i < s->nx; i++) {
            double x = (i + 0.5) * p->dx;
            for (int r = 0; r < s->P; r++) {
                double lo = bnd[r] + (r == s->P - 1 ? shift : 0), hi = bnd[r + 1] + (r == s->P - 2 ? shift : 0);
                double left = (r == 0) ? 1.0 : 0.5 * (1 + tanh((x - lo) / delta));
                double right = (r == s->P - 1) ? 1.0 : 0.5 * (1 - tanh((x - hi) / delta));
                s->eta[r * n + (size_t)j * s->nx + i] = left * right;
            }
        }
    }
    phases(s, s->eta, s->phi);
    for (size_t k = 0; k < n; k++) {
        double c = 0;
        for (int r = 0; r < s->P; r++) c += s->phi[r * n + k] * p->ph[r].c_init;
        s->c[k] = c;
    }
    s->dt = p->dt_init;
    s->c_iters = 4;
    *out = s;
    return 0;
}

/* Return map + elastic/plastic driving force at point k (all phases). */
static int mech_point(ts_pf_sim2d *s, long k, double dt)
{
    const ts_pf_params *p = &s->p;
    size_t n = N2(s);
    double e6[6] = {s->eps[k], s->eps[n + k], 0, 0, 0, s->eps[2 * n + k]};
    for (int r = 0; r < s->P; r++) {
        const ts_pf_phase *q = &p->ph[r];
        double *ep = s->epl + ((size_t)r * n + k) * 6;
        if (q->plastic && s->phi[r * n + k] > 1e-3)
            TS_TRY(ts_pf_return_map_strain_fast(p, r, e6, dt, ep, &s->pcum[r * n + k], NULL,
                                                &s->rrate[r * n + k]));
        double el[6], w = 0;
        for (int b = 0; b < 6; b++) el[b] = e6[b] - q->eig[b] - ep[b];
        for (int a = 0; a < 6; a++) {
            double sa = 0;
            for (int b = 0; b < 6; b++) sa += q->stiff[a][b] * el[b];
            w += 0.5 * sa * el[a];
        }
        s->gm[r * n + k] = w + q->R0 * s->pcum[r * n + k];
    }
    return 0;
}

/* pf_rank1.c */
int ts_pf_rank1_reduced_(int P, const double *h, const double nrm[2], const double (*R)[3][3],
                         const double (*q)[3], const double eps[3], double t[2], double (*a)[2], double sig[3]);
int ts_pf_rank1_affine_(int P, const double *h, const double nrm[2], const double (*R)[3][3], const double (*q)[3],
                        double Ceff[3][3], double seff[3]);
void ts_pf_rank1_phase_strain_(const double eps[3], const double nrm[2], const double a[2], double er[3]);

/* Interface normal at point k for the rank-one mixture: n = grad(phi_a -
 * phi_b)/|.| of the two largest phases a, b at the point (central
 * differences; mirror at the x ends, periodic in y). 0 (equal strain) where
 * |grad(phi_a - phi_b)| times the larger spacing is below 1e-12 (bulk: the
 * second phase is absent or its gradient is at rounding level). At a triple
 * junction this is the normal of the locally dominant pair only. */
static int normal_at(const ts_pf_sim2d *s, long k, double nrm[2])
{
    size_t n = N2(s);
    int nx = s->nx, ny = s->ny, i = (int)(k % nx), j = (int)(k / nx);
    int a = 0, b = -1;
    for (int r = 1; r < s->P; r++)
        if (s->phi[r * n + k] > s->phi[a * n + k]) a = r;
    for (int r = 0; r < s->P; r++)
        if (r != a && (b < 0 || s->phi[r * n + k] > s->phi[b * n + k])) b = r;
    long im = i > 0 ? k - 1 : k, ip = i < nx - 1 ? k + 1 : k;
    long jm = (long)((j + ny - 1) % ny) * nx + i, jp = (long)((j + 1) % ny) * nx + i;
    const double *fa = s->phi + a * n, *fb = s->phi + b * n;
    double gx = ((fa[ip] - fb[ip]) - (fa[im] - fb[im])) / (2 * s->p.dx);
    double gy = ((fa[jp] - fb[jp]) - (fa[jm] - fb[jm])) / (2 * s->dy);
    double gn = sqrt(gx * gx + gy * gy);
    nrm[0] = nrm[1] = 0;
    if (!(gn * fmax(s->p.dx, s->dy) > 1e-12)) return 0;
    nrm[0] = gx / gn;
    nrm[1] = gy / gn;
    return 1;
}

/* in-plane eigenstresses q[r] = rows (11, 22, 12) of C_r (eps*_r + eps_pl,r) at point k */
static void eigenstress_at(const ts_pf_sim2d *s, long k, double q[][3])
{
    static const int V[3] = {0, 1, 5};
    size_t n = N2(s);
    for (int r = 0; r < s->P; r++) {
        const ts_pf_phase *ph = &s->p.ph[r];
        const double *ep = s->epl + ((size_t)r * n + k) * 6;
        for (int a = 0; a < 3; a++) {
            double t = 0;
            for (int b = 0; b < 6; b++) t += ph->stiff[V[a]][b] * (ph->eig[b] + ep[b]);
            q[r][a] = t;
        }
    }
}

/* Rank-one mixture at point k: return map of each plastic phase at its own
 * strain eps + B a_r (partition with the plastic strains of the equilibrium
 * solve, held during the flow: staggered as the equal-strain path), then the
 * driving force W_r(eps_r) - t . a_r + R0 p of the partition with the new
 * plastic strains. */
static int mech_point_rank1(ts_pf_sim2d *s, long k, double dt)
{
    const ts_pf_params *p = &s->p;
    size_t n = N2(s);
    int P = s->P;
    double h[TS_PF_MAXPHASE], q[TS_PF_MAXPHASE][3], a[TS_PF_MAXPHASE][2], t[2];
    double nv[2] = {s->nrm[k], s->nrm[n + k]}, eps[3] = {s->eps[k], s->eps[n + k], s->eps[2 * n + k]};
    const double *nr = (nv[0] != 0 || nv[1] != 0) ? nv : NULL;
    int flow = 0;
    for (int r = 0; r < P; r++) {
        h[r] = s->phi[r * n + k];
        flow |= p->ph[r].plastic && h[r] > 1e-3;
    }
    if (flow) {
        eigenstress_at(s, k, q);
        if (ts_pf_rank1_reduced_(P, h, nr, (const double(*)[3][3])s->Cr, (const double(*)[3])q, eps, t, a, NULL))
            return ts_error_set(TS_ERR_SINGULAR, "rank-one mixture: singular acoustic tensor");
        for (int r = 0; r < P; r++) {
            if (!(p->ph[r].plastic && h[r] > 1e-3)) continue;
            double er[3];
            ts_pf_rank1_phase_strain_(eps, nr, a[r], er);
            double e6[6] = {er[0], er[1], 0, 0, 0, er[2]};
            TS_TRY(ts_pf_return_map_strain_fast(p, r, e6, dt, s->epl + ((size_t)r * n + k) * 6, &s->pcum[r * n + k],
                                                NULL, &s->rrate[r * n + k]));
        }
    }
    eigenstress_at(s, k, q);
    if (ts_pf_rank1_reduced_(P, h, nr, (const double(*)[3][3])s->Cr, (const double(*)[3])q, eps, t, a, NULL))
        return ts_error_set(TS_ERR_SINGULAR, "rank-one mixture: singular acoustic tensor");
    for (int r = 0; r < P; r++) {
        const ts_pf_phase *ph = &p->ph[r];
        const double *ep = s->epl + ((size_t)r * n + k) * 6;
        double er[3];
        ts_pf_rank1_phase_strain_(eps, nr, a[r], er);
        double e6[6] = {er[0], er[1], 0, 0, 0, er[2]}, el[6], w = 0, ta = nr ? t[0] * a[r][0] + t[1] * a[r][1] : 0;
        for (int b = 0; b < 6; b++) el[b] = e6[b] - ph->eig[b] - ep[b];
        for (int i = 0; i < 6; i++) {
            double si = 0;
            for (int j = 0; j < 6; j++) si += ph->stiff[i][j] * el[j];
            w += 0.5 * si * el[i];
        }
        s->gm[r * n + k] = w - ta + ph->R0 * s->pcum[r * n + k];
    }
    return 0;
}

/* Rank-one mixture: normal, C_eff and s_eff (into sx) at every point. */
static int rank1_fields(ts_pf_sim2d *s)
{
    size_t n = N2(s);
    long nl = (long)n, bad = nl;
#pragma omp parallel for schedule(static) reduction(min : bad) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) {
        double h[TS_PF_MAXPHASE], q[TS_PF_MAXPHASE][3], nv[2], C[3][3], se[3];
        int has = normal_at(s, k, nv);
        s->nrm[k] = nv[0];
        s->nrm[n + k] = nv[1];
        for (int r = 0; r < s->P; r++) h[r] = s->phi[r * n + k];
        eigenstress_at(s, k, q);
        if (ts_pf_rank1_affine_(s->P, h, has ? nv : NULL, (const double(*)[3][3])s->Cr, (const double(*)[3])q, C,
                                se) != 0) {
            if (k < bad) bad = k;
            continue;
        }
        for (int a = 0; a < 3; a++) {
            s->sx[a * n + k] = se[a];
            for (int c = 0; c < 3; c++) s->Cx[(3 * a + c) * n + k] = C[a][c];
        }
    }
    if (bad < nl)
        return ts_error_set(TS_ERR_SINGULAR, "rank-one mixture: singular acoustic tensor at grid point (%ld, %ld)",
                            bad % s->nx, bad / s->nx);
    return 0;
}

static int c_solve(ts_pf_sim2d *s, double dt, const double *Sinv, const double *Rr);

static int raw_step2d(ts_pf_sim2d *s, double dt)
{
    const ts_pf_params *p = &s->p;
    size_t n = N2(s);
    long nl = (long)n;
    int P = s->P;
    double t0 = cpu_now(), t1;
    phases(s, s->eta, s->phi);
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) {
        double Si = 0, Ri = 0;
        for (int r = 0; r < P; r++) {
            Si += s->phi[r * n + k] / p->ph[r].A;
            Ri += s->phi[r * n + k] * (p->ph[r].c0 - p->ph[r].B / p->ph[r].A);
        }
        double mu = (s->c[k] - Ri) / Si;
        for (int r = 0; r < P; r++) {
            const ts_pf_phase *q = &p->ph[r];
            double d = mu - q->B;
            s->g[r * n + k] = q->C - mu * q->c0 - d * d / (2 * q->A);
        }
    }
    t1 = cpu_now();
    s->prof[0] += t1 - t0;
    t0 = t1;
    int mech_now = p->mechanics && s->mech_count % s->mech_every == 0;
    double dtm = s->mech_acc + dt; /* the plastic flow integrates over all steps since the last update */
    s->mech_ran = mech_now;
    if (p->mechanics) {
        s->mech_count++;
        s->mech_acc = mech_now ? 0.0 : dtm;
    }
    if (mech_now) {
        /* TS_PF_MIX_RANK1: the seed's mixed scheme as a rank-one laminate with the
         * local normal (pf_rank1.c, rank1_fields, mech_point_rank1).
         * TS_PF_MIX_VOIGT: Voigt-Taylor mixture (seed eqs. (A.6), (A.7) with equal total strain):
         * sigma_r = C_r (eps - eps*_r - eps_pl_r), sigma = sum phi_r sigma_r,
         * d f_el / d phi_r = w_r at fixed strain; plastic flow by the
         * strain-constrained backward-Euler return map where phi_r > 1e-3. */
        int rank1 = s->mixture == TS_PF_MIX_RANK1;
        if (rank1) TS_TRY(rank1_fields(s));
#pragma omp parallel for schedule(static) if (!rank1 && nl >= PF_OMP_MIN)
        for (long k = 0; k < (rank1 ? 0 : nl); k++) {
            double q[TS_PF_MAXPHASE][3];
            eigenstress_at(s, k, q);
            for (int a = 0; a < 3; a++) {
                double acc = 0;
                for (int r = 0; r < P; r++) acc += s->phi[r * n + k] * q[r][a];
                s->sx[a * n + k] = acc;
            }
        }
        /* warm start: linear extrapolation in time of the last two accepted
         * strain fields (the fixed point does not depend on it) */
        if (s->nhd == 2) {
            double *d = ts_pf_hc_strain_(s->hc), ratio = s->mech_every == 1 ? dt / s->dt_prev : 1.0;
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
            for (long k = 0; k < 3 * nl; k++) d[k] = s->hd1[k] + ratio * (s->hd1[k] - s->hd2[k]);
        } else if (s->nhd == 1) {
            memcpy(ts_pf_hc_strain_(s->hc), s->hd1, 3 * n * sizeof(double));
        }
        if (rank1)
            TS_TRY(ts_pf_hc_solve_field(s->hc, s->Cx, s->sx, s->Ebar, s->hc_tol, 1000, s->eps, s->sig));
        else
            TS_TRY(ts_pf_hc_solve(s->hc, P, s->phi, (const double(*)[3][3])s->Cr, (const double(*)[3])s->eig,
                                  s->sx, s->Ebar, s->hc_tol, 1000, s->eps, s->sig));
        s->hc_iters += ts_pf_hc_iterations(s->hc);
        t1 = cpu_now();
        s->prof[1] += t1 - t0;
        t0 = t1;
        long fail = nl;
#pragma omp parallel for schedule(dynamic, 512) reduction(min : fail) if (nl >= PF_OMP_MIN)
        for (long k = 0; k < nl; k++)
            if ((rank1 ? mech_point_rank1(s, k, dtm) : mech_point(s, k, dtm)) != 0 && k < fail) fail = k;
        /* the error record is per thread: repeat the failing point here (the
         * return map leaves the state unchanged on failure) */
        if (fail < nl) {
            TS_TRY(rank1 ? mech_point_rank1(s, fail, dtm) : mech_point(s, fail, dtm));
            return ts_error_set(TS_ERR_CONVERGE, "2D return map failed at grid point (%ld, %ld)", fail % s->nx,
                                fail / s->nx);
        }
        t1 = cpu_now();
        s->prof[2] += t1 - t0;
        t0 = t1;
    }
    if (p->mechanics) {
        /* the driving force of the last mechanics update (this step's with
         * mech_every = 1; between updates the strain field is held) */
        double *g = s->g, *gm = s->gm;
        long nPl = (long)n * P;
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
        for (long k = 0; k < nPl; k++) g[k] += gm[k];
    }
    /* eta: local terms explicit, gradient stabilised; per point once: sum eta^2,
     * gbar = sum phi g, and L(eta) */
#pragma omp parallel if (nl >= PF_OMP_MIN)
    {
        for (int r = 0; r < P; r++) laplacian(s, s->eta + r * n, s->lap + r * n);
#pragma omp for schedule(static)
        for (long k = 0; k < nl; k++) {
            double s2 = 0, gbar = 0, num = 0, den = 0;
            for (int q = 0; q < P; q++) {
                double e = s->eta[q * n + k];
                s2 += e * e;
                gbar += s->phi[q * n + k] * s->g[q * n + k];
            }
            if (s2 < 1e-30) s2 = 1e-30;
            for (int a = 0; a < P; a++)
                for (int b = a + 1; b < P; b++) {
                    double w = fabs(s->eta[a * n + k] * s->eta[b * n + k]);
                    num += s->Lp[a][b] * w;
                    den += w;
                }
            double Li;
            if (den > 1e-12) {
                Li = num / den;
            } else {
                int dom = 0;
                for (int a = 1; a < P; a++)
                    if (s->phi[a * n + k] > s->phi[dom * n + k]) dom = a;
                Li = 0;
                for (int q = 0; q < P; q++)
                    if (q != dom) Li += s->Lp[dom][q] / (P - 1);
            }
            for (int r = 0; r < P; r++) {
                double e = s->eta[r * n + k];
                double F = 2.0 * e / s2 * (s->g[r * n + k] - gbar) +
                           p->m * (e * e * e - e + 2.0 * p->gamma * e * (s2 - e * e));
                s->rhs[r * n + k] = e + dt * (-Li * F + (Li - s->Lmax) * p->kappa * s->lap[r * n + k]);
            }
        }
    }
    t1 = cpu_now();
    s->prof[3] += t1 - t0;
    t0 = t1;
    for (int r = 0; r < P; r++) helmholtz(s, s->rhs + r * n, dt * s->Lmax * p->kappa);
    memcpy(s->eta, s->rhs, n * P * sizeof(double));
    t1 = cpu_now();
    s->prof[4] += t1 - t0;
    t0 = t1;
    /* c at phi+: face mobilities; mu = (c - R)/S re-evaluated per iterate */
    phases(s, s->eta, s->phi);
    double *Sinv = s->g, *Rr = s->g + n; /* g is free now (P >= 2) */
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) {
        double Si = 0, Ri = 0, Mi = 0;
        for (int r = 0; r < P; r++) {
            const ts_pf_phase *q = &p->ph[r];
            double f = s->phi[r * n + k];
            Si += f / q->A;
            Ri += f * (q->c0 - q->B / q->A);
            Mi += f * q->D / q->A;
        }
        Sinv[k] = 1.0 / Si;
        Rr[k] = Ri;
        s->Mb[k] = Mi;
    }
    return c_solve(s, dt, Sinv, Rr);
}

/* Largest effective diffusivity of a face in c, M_face / S (the coefficient
 * of the neighbour's c in the flux), m^2/s. Sinv [n] = 1/S; uses s->Mb. */
static double face_bound(const ts_pf_sim2d *s, const double *Sinv)
{
    int nx = s->nx, ny = s->ny;
    long nl = (long)N2(s);
    double dfb = 0;
#pragma omp parallel for schedule(static) reduction(max : dfb) if (nl >= PF_OMP_MIN)
    for (int j = 0; j < ny; j++) {
        int ju = (j + 1) % ny;
        for (int i = 0; i < nx; i++) {
            size_t k = (size_t)j * nx + i, ku = (size_t)ju * nx + i;
            double si = Sinv[k], d;
            if (i < nx - 1) {
                d = 0.5 * (s->Mb[k] + s->Mb[k + 1]) * fmax(si, Sinv[k + 1]);
                if (d > dfb) dfb = d;
            }
            d = 0.5 * (s->Mb[k] + s->Mb[ku]) * fmax(si, Sinv[ku]);
            if (d > dfb) dfb = d;
        }
    }
    return dfb;
}

/* div(M grad mu) at row j (arithmetic face mobility, zero flux in x,
 * periodic in y), J/(m^3) * m^5/(J s) / m^2 = 1/s. mu, out [ny][nx]. */
static void div_flux_row(const ts_pf_sim2d *s, int j, const double *mu, double *out)
{
    int nx = s->nx, ny = s->ny;
    double ix2 = 1.0 / (s->p.dx * s->p.dx), iy2 = 1.0 / (s->dy * s->dy);
    const double *M = s->Mb + (size_t)j * nx, *Mu = s->Mb + (size_t)((j + 1) % ny) * nx,
                 *Md = s->Mb + (size_t)((j + ny - 1) % ny) * nx;
    const double *m = mu + (size_t)j * nx, *mup = mu + (size_t)((j + 1) % ny) * nx,
                 *mdn = mu + (size_t)((j + ny - 1) % ny) * nx;
    double *o = out + (size_t)j * nx;
    for (int i = 0; i < nx; i++) {
        double div = 0;
        if (i < nx - 1) div += 0.5 * (M[i] + M[i + 1]) * (m[i + 1] - m[i]) * ix2;
        if (i > 0) div -= 0.5 * (M[i] + M[i - 1]) * (m[i] - m[i - 1]) * ix2;
        div += 0.5 * (M[i] + Mu[i]) * (mup[i] - m[i]) * iy2;
        div -= 0.5 * (M[i] + Md[i]) * (m[i] - mdn[i]) * iy2;
        o[i] = div;
    }
}

/* The old c solver: defect-correction sweeps of the constant-coefficient
 * splitting (1 - dt Ac lap) c^{k+1} = c^n + dt [div(M grad mu(c^k)) - Ac lap c^k]
 * (fixed point = backward Euler); 4 sweeps, or until max |change| <= c_conv. */
static int c_sweeps(ts_pf_sim2d *s, double dt, double Ac, const double *Sinv, const double *Rr)
{
    size_t n = N2(s);
    long nl = (long)n;
    int nx = s->nx, ny = s->ny;
    double ix2 = 1.0 / (s->p.dx * s->p.dx), iy2 = 1.0 / (s->dy * s->dy);
    double *cn = s->cg_q, *ck = s->cg_x, *div = s->cg_r;
    memcpy(ck, s->c, n * sizeof(double));
    int maxit = s->c_conv > 0 ? 200 : s->c_iters;
    for (int it = 0; it < maxit; it++) {
        double t0 = cpu_now();
#pragma omp parallel if (nl >= PF_OMP_MIN)
        {
#pragma omp for schedule(static)
            for (long k = 0; k < nl; k++) s->mu[k] = (ck[k] - Rr[k]) * Sinv[k];
#pragma omp for schedule(static)
            for (int j = 0; j < ny; j++) {
                int ju = (j + 1) % ny, jd = (j + ny - 1) % ny;
                div_flux_row(s, j, s->mu, div);
                for (int i = 0; i < nx; i++) {
                    size_t k = (size_t)j * nx + i, ku = (size_t)ju * nx + i, kd = (size_t)jd * nx + i;
                    double lx = (i < nx - 1 ? ck[k + 1] - ck[k] : 0) - (i > 0 ? ck[k] - ck[k - 1] : 0);
                    double lap = lx * ix2 + (ck[ku] - 2 * ck[k] + ck[kd]) * iy2;
                    cn[k] = s->c[k] + dt * (div[k] - Ac * lap);
                }
            }
        }
        double t1 = cpu_now();
        s->prof[5] += t1 - t0;
        helmholtz(s, cn, dt * Ac);
        double *tmp = ck; /* swap the iterate buffers instead of copying */
        ck = cn;
        cn = tmp;
        s->prof[6] += cpu_now() - t1;
        s->st.c_sweeps++;
        if (s->c_conv > 0) {
            double dd = 0;
#pragma omp parallel for schedule(static) reduction(max : dd) if (nl >= PF_OMP_MIN)
            for (long k = 0; k < nl; k++) dd = fmax(dd, fabs(ck[k] - cn[k]));
            if (dd <= s->c_conv && it + 1 >= s->c_iters) break;
        }
    }
    memcpy(s->c, ck, n * sizeof(double));
    return 0;
}

/* Preconditioner weights of row j: g = min(1, M Sinv / Ac) (the local
 * effective diffusivity over the spectral constant), gh = g^{1/2},
 * dg = (1 - g) / diag(B). */
static void diag_weights(ts_pf_sim2d *s, int j, double dt, double Ac, const double *Sinv)
{
    int nx = s->nx, ny = s->ny;
    double ix2 = 1.0 / (s->p.dx * s->p.dx), iy2 = 1.0 / (s->dy * s->dy);
    const double *M = s->Mb + (size_t)j * nx, *Mu = s->Mb + (size_t)((j + 1) % ny) * nx,
                 *Md = s->Mb + (size_t)((j + ny - 1) % ny) * nx;
    for (int i = 0; i < nx; i++) {
        size_t k = (size_t)j * nx + i;
        double f = 0;
        if (i < nx - 1) f += 0.5 * (M[i] + M[i + 1]) * ix2;
        if (i > 0) f += 0.5 * (M[i] + M[i - 1]) * ix2;
        f += 0.5 * (M[i] + Mu[i]) * iy2 + 0.5 * (M[i] + Md[i]) * iy2;
        double g = fmin(1.0, M[i] * Sinv[k] / Ac);
        s->cg_gh[k] = sqrt(g);
        s->cg_dg[k] = (1 - g) / (1 + dt * Sinv[k] * f);
    }
}

/* Sum of the per-row partial sums red[0..ny) in row order: the reductions of
 * the CG do not depend on the thread count (each row is summed by one thread,
 * left to right; the rows are then added serially). */
static double row_total(const ts_pf_sim2d *s, const double *red)
{
    double t = 0;
    for (int j = 0; j < s->ny; j++) t += red[j];
    return t;
}

/* q = B p = p - dt Sh div(M grad(Sh p)) on the rows of this thread, and
 * red[j] = sum over row j of p q. The symmetric form of the backward-Euler
 * operator in v = S^{1/2} mu (see c_pcg). Orphaned worksharing loops: call
 * inside a parallel region. mu: scratch [n]. */
static void pcg_apply(const ts_pf_sim2d *s, double dt, const double *Sh, const double *p, double *mu, double *q,
                      double *red)
{
    int nx = s->nx, ny = s->ny;
    long nl = (long)N2(s);
#pragma omp for schedule(static)
    for (long k = 0; k < nl; k++) mu[k] = Sh[k] * p[k];
#pragma omp for schedule(static)
    for (int j = 0; j < ny; j++) {
        div_flux_row(s, j, mu, q);
        double acc = 0;
        for (int i = 0; i < nx; i++) {
            size_t k = (size_t)j * nx + i;
            q[k] = p[k] - dt * Sh[k] * q[k];
            acc += p[k] * q[k];
        }
        red[j] = acc;
    }
}

/* Backward Euler for c at fixed phi, by preconditioned conjugate gradients.
 *   c+ - dt div(M grad mu+) = c^n,  mu = (c - R) Sinv,  Sinv = 1/S = 1/sum(phi/A).
 * In v = S^{1/2} mu = Sh (c - R), Sh = Sinv^{1/2}, this is
 *   B v = v - dt Sh div(M grad(Sh v)) = Sh (c^n - R),
 * B symmetric positive definite (S > 0; -div(M grad) with the arithmetic face
 * mobility is symmetric positive semidefinite with these boundaries). B has
 * the eigenvector w = S^{1/2} (eigenvalue 1: w . (c - c^n) is the mass
 * change), so r0 (mass-free) and the projected preconditioner
 * Pi H^-1 Pi, H = 1 - dt Ac lap (the constant-coefficient spectral solve of the
 * old splitting), Pi = 1 - w w^T / (w . w), keep every iterate mass-conserving.
 * Start: c^n; stop: ||r_c||_2 <= c_tol ||r_c(c^n)||_2, the residual in c
 * units, r_c = r_v / Sh, relative to the explicit-Euler change dt div(M grad mu^n).
 * Returns 0 with s->c updated, or 0 with s->c_fail set (not converged in
 * c_maxit iterations, or a breakdown): the step is rejected. */
/* PCG start (see c_pcg): Sh = Sinv^{1/2}, x = Sh (c^n + guess - R),
 * r = Sh (c^n - R) - B x; *rr0 = ||r(c^n)||_c^2, *rr = ||r||_c^2 (c units),
 * *ww = w . w = sum S. guess [n] mass-free, or NULL. */
static void pcg_start(ts_pf_sim2d *s, double dt, double Ac, const double *Sinv, const double *Rr,
                      const double *guess, double *rr0, double *rr, double *ww)
{
    long nl = (long)N2(s);
    int nx = s->nx, ny = s->ny;
    double *Sh = s->cg_sh, *x = s->cg_x, *r = s->cg_r, *pd = s->cg_p, *q = s->cg_q;
    double *red = s->cg_red, *red2 = s->cg_red + ny;
#pragma omp parallel if (nl >= PF_OMP_MIN)
    {
#pragma omp for schedule(static)
        for (long k = 0; k < nl; k++) {
            Sh[k] = sqrt(Sinv[k]);
            x[k] = Sh[k] * (s->c[k] - Rr[k]);
            s->mu[k] = (s->c[k] - Rr[k]) * Sinv[k];
        }
#pragma omp for schedule(static)
        for (int j = 0; j < ny; j++) {
            div_flux_row(s, j, s->mu, r);
            diag_weights(s, j, dt, Ac, Sinv);
            double a = 0, b = 0;
            for (int i = 0; i < nx; i++) {
                size_t k = (size_t)j * nx + i;
                r[k] *= dt * Sh[k];
                double rc = r[k] / Sh[k];
                a += rc * rc;
                b += 1.0 / Sinv[k];
            }
            red[j] = a;
            red2[j] = b;
        }
    }
    *rr0 = *rr = row_total(s, red);
    *ww = row_total(s, red2);
    if (guess == NULL || !(*rr0 > 0)) return;
    /* r = r0 - B (Sh guess) */
#pragma omp parallel if (nl >= PF_OMP_MIN)
    {
#pragma omp for schedule(static)
        for (long k = 0; k < nl; k++) pd[k] = Sh[k] * guess[k];
        pcg_apply(s, dt, Sh, pd, s->mu, q, red);
#pragma omp for schedule(static)
        for (int j = 0; j < ny; j++) {
            double a = 0;
            for (size_t k = (size_t)j * nx; k < (size_t)(j + 1) * nx; k++) {
                x[k] += pd[k];
                r[k] -= q[k];
                double rc = r[k] / Sh[k];
                a += rc * rc;
            }
            red[j] = a;
        }
    }
    *rr = row_total(s, red);
}

/* z = Pi [G^{1/2} H^-1 G^{1/2} + (1 - G) diag(B)^-1] r (see c_pcg); returns r . z. */
static double pcg_precond(ts_pf_sim2d *s, double dt, double Ac, double ww)
{
    long nl = (long)N2(s);
    int nx = s->nx, ny = s->ny;
    const double *Sh = s->cg_sh, *r = s->cg_r, *gh = s->cg_gh, *dg = s->cg_dg;
    double *z = s->cg_z, *red = s->cg_red;
    double t1 = cpu_now();
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) z[k] = gh[k] * r[k];
    helmholtz(s, z, dt * Ac);
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) z[k] = gh[k] * z[k] + dg[k] * r[k];
    double t2 = cpu_now();
    s->prof[6] += t2 - t1;
    /* projection on the mass-free space: z -= (w . z / w . w) w, w = 1/Sh */
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (int j = 0; j < ny; j++) {
        double a = 0;
        for (size_t k = (size_t)j * nx; k < (size_t)(j + 1) * nx; k++) a += z[k] / Sh[k];
        red[j] = a;
    }
    double gam = row_total(s, red) / ww;
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (int j = 0; j < ny; j++) {
        double a = 0;
        for (size_t k = (size_t)j * nx; k < (size_t)(j + 1) * nx; k++) {
            z[k] -= gam / Sh[k];
            a += r[k] * z[k];
        }
        red[j] = a;
    }
    s->prof[5] += cpu_now() - t2;
    return row_total(s, red);
}

/* x += alpha p, r -= alpha q; returns ||r||_c^2 (c units). */
static double pcg_update(ts_pf_sim2d *s, double alpha)
{
    long nl = (long)N2(s);
    int nx = s->nx, ny = s->ny;
    const double *Sh = s->cg_sh, *pd = s->cg_p, *q = s->cg_q;
    double *x = s->cg_x, *r = s->cg_r, *red = s->cg_red;
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (int j = 0; j < ny; j++) {
        double a = 0;
        for (size_t k = (size_t)j * nx; k < (size_t)(j + 1) * nx; k++) {
            x[k] += alpha * pd[k];
            r[k] -= alpha * q[k];
            double rc = r[k] / Sh[k];
            a += rc * rc;
        }
        red[j] = a;
    }
    return row_total(s, red);
}

static int c_pcg(ts_pf_sim2d *s, double dt, double Ac, const double *Sinv, const double *Rr, const double *guess)
{
    long nl = (long)N2(s);
    double *Sh = s->cg_sh, *x = s->cg_x, *z = s->cg_z, *pd = s->cg_p, *q = s->cg_q;
    double t0 = cpu_now(), rr0, rr, ww, rz = 0;
    pcg_start(s, dt, Ac, Sinv, Rr, guess, &rr0, &rr, &ww);
    double stop2 = s->c_tol * s->c_tol * rr0;
    int it = 0, ok = rr <= stop2;
    s->prof[5] += cpu_now() - t0;
    while (!ok && it < s->c_maxit) {
        double rz_old = rz;
        rz = pcg_precond(s, dt, Ac, ww);
        double beta = it == 0 ? 0.0 : rz / rz_old, t1 = cpu_now();
        /* p = z + beta p; q = B p, p . q */
#pragma omp parallel if (nl >= PF_OMP_MIN)
        {
#pragma omp for schedule(static)
            for (long k = 0; k < nl; k++) pd[k] = it == 0 ? z[k] : z[k] + beta * pd[k];
            pcg_apply(s, dt, Sh, pd, s->mu, q, s->cg_red);
        }
        double pq = row_total(s, s->cg_red);
        if (!(pq > 0) || !(rz > 0)) break; /* breakdown (or NaN) */
        rr = pcg_update(s, rz / pq);
        it++;
        s->prof[5] += cpu_now() - t1;
        ok = rr <= stop2;
    }
    s->st.c_iters += it;
    if (it > s->st.c_iters_max) s->st.c_iters_max = it;
    s->st.c_last_iters = it;
    s->st.c_last_res = rr0 > 0 ? sqrt(rr / rr0) : 0;
    if (!ok) {
        s->c_fail = 1;
        return 0;
    }
#pragma omp parallel for schedule(static) if (nl >= PF_OMP_MIN)
    for (long k = 0; k < nl; k++) s->c[k] = x[k] / Sh[k] + Rr[k];
    return 0;
}

/* The c step at phi+ given Sinv = 1/S, Rr = R and s->Mb (all [n]). */
static int c_solve(ts_pf_sim2d *s, double dt, const double *Sinv, const double *Rr)
{
    /* the splitting of the sweeps contracts only for Ac >= the face bound
     * (diagnostic; used as Ac with c_split = face); for the CG the same
     * constant sets the preconditioner */
    double dfb = face_bound(s, Sinv);
    s->st.c_face_ratio = dfb / s->Adiff;
    double Ac = s->c_split_local ? fmax(s->Adiff, dfb) : s->Adiff;
    s->c_fail = 0;
    if (s->c_solver == TS_PF_C_SWEEPS) return c_sweeps(s, dt, Ac, Sinv, Rr);
    const double *guess = NULL;
    if (s->have_prev && s->dt_prev > 0) {
        /* linear extrapolation in time of the last accepted change of c,
         * made mass-free (its round-off mass would be carried into every
         * later step) */
        double ratio = dt / s->dt_prev, *gs = s->cg_z, *red = s->cg_red;
        int nx = s->nx, ny = s->ny;
#pragma omp parallel for schedule(static) if (N2(s) >= PF_OMP_MIN)
        for (int j = 0; j < ny; j++) {
            double a = 0;
            for (size_t k = (size_t)j * nx; k < (size_t)(j + 1) * nx; k++) a += s->dc_prev[k];
            red[j] = a;
        }
        double mean = row_total(s, red) / (double)N2(s);
#pragma omp parallel for schedule(static) if (N2(s) >= PF_OMP_MIN)
        for (size_t k = 0; k < N2(s); k++) gs[k] = ratio * (s->dc_prev[k] - mean);
        guess = gs;
    }
    return c_pcg(s, dt, Ac, Sinv, Rr, guess);
}

int ts_pf_sim2d_c_solve(ts_pf_sim2d *s, double dt, const double *Mb, const double *Sinv, const double *R, double *c)
{
    size_t n = N2(s);
    if (!(dt > 0)) return ts_error_set(TS_ERR_RANGE, "c solve: dt = %g s (> 0)", dt);
    for (size_t k = 0; k < n; k++)
        if (!(Mb[k] >= 0) || !(Sinv[k] > 0) || !isfinite(Sinv[k]))
            return ts_error_set(TS_ERR_RANGE, "c solve: M = %g >= 0, 1/S = %g > 0 at point %zu", Mb[k], Sinv[k], k);
    double *Si = s->g, *Rr = s->g + n;
    memcpy(s->Mb, Mb, n * sizeof(double));
    memcpy(Si, Sinv, n * sizeof(double));
    memcpy(Rr, R, n * sizeof(double));
    memcpy(s->c, c, n * sizeof(double));
    TS_TRY(c_solve(s, dt, Si, Rr));
    if (s->c_fail)
        return ts_error_set(TS_ERR_CONVERGE, "c solve: relative residual %.3g > %.3g after %d iterations",
                            s->st.c_last_res, s->c_tol, s->st.c_last_iters);
    memcpy(c, s->c, n * sizeof(double));
    return 0;
}

int ts_pf_sim2d_step(ts_pf_sim2d *s)
{
    const ts_pf_params *p = &s->p;
    size_t n = N2(s), nP = n * s->P;
    double dt = s->dt;
    for (;;) {
        memcpy(s->eta0, s->eta, nP * sizeof(double));
        memcpy(s->c0, s->c, n * sizeof(double));
        if (s->plastic) {
            memcpy(s->epl0, s->epl, 6 * nP * sizeof(double));
            memcpy(s->pcum0, s->pcum, nP * sizeof(double));
            memcpy(s->rrate0, s->rrate, nP * sizeof(double));
        }
        if (p->mechanics) {
            memcpy(s->gm0, s->gm, nP * sizeof(double));
            s->mech_count0 = s->mech_count;
            s->mech_acc0 = s->mech_acc;
        }
        TS_TRY(raw_step2d(s, dt));
        double tc = cpu_now();
        long badk = (long)n, nl = (long)n, nPl = (long)nP;
#pragma omp parallel for schedule(static) reduction(min : badk) if (nl >= PF_OMP_MIN)
        for (long k = 0; k < nl; k++)
            if ((!isfinite(s->c[k]) || s->c[k] < -1 || s->c[k] > 2) && k < badk) badk = k;
        int bad = badk < nl ? (int)badk : -1, cfail = s->c_fail;
        if (cfail) bad = -1;
        double err = 0;
        int efield = -1;
        long ek = -1;
        if (bad < 0 && !cfail && s->have_prev) {
            double ratio = dt / s->dt_prev;
            /* max per field (eta_r, then c), then the first point attaining the
             * overall maximum (diagnostics: which field and where limit dt) */
            for (int f = 0; f <= s->P; f++) {
                const double *a = f < s->P ? s->eta + (size_t)f * n : s->c;
                const double *a0 = f < s->P ? s->eta0 + (size_t)f * n : s->c0;
                const double *dp = f < s->P ? s->deta_prev + (size_t)f * n : s->dc_prev;
                double e = 0;
#pragma omp parallel for schedule(static) reduction(max : e) if (nl >= PF_OMP_MIN)
                for (long k = 0; k < nl; k++) {
                    double d = fabs((a[k] - a0[k]) - ratio * dp[k]);
                    if (!(d <= e)) e = d; /* NaN propagates */
                }
                if (!isnan(err) && !(e <= err)) { /* a NaN is kept */
                    err = e;
                    efield = f;
                }
            }
            if (efield >= 0 && isfinite(err)) {
                const double *a = efield < s->P ? s->eta + (size_t)efield * n : s->c;
                const double *a0 = efield < s->P ? s->eta0 + (size_t)efield * n : s->c0;
                const double *dp = efield < s->P ? s->deta_prev + (size_t)efield * n : s->dc_prev;
                for (long k = 0; k < nl && ek < 0; k++)
                    if (fabs((a[k] - a0[k]) - ratio * dp[k]) == err) ek = k;
            }
            err *= dt / (dt + s->dt_prev);
        }
        s->st.last_field = efield;
        s->st.last_i = ek >= 0 ? (int)(ek % s->nx) : -1;
        s->st.last_j = ek >= 0 ? (int)(ek / s->nx) : -1;
        s->st.last_err = err;
        s->st.last_dt = dt;
        s->prof[7] += cpu_now() - tc;
        if (bad < 0 && !isfinite(err)) bad = 0;
        if (bad < 0 && !cfail && (!p->adaptive || err <= p->tol)) {
            for (size_t k = 0; k < nP; k++) s->deta_prev[k] = s->eta[k] - s->eta0[k];
            for (size_t k = 0; k < n; k++) s->dc_prev[k] = s->c[k] - s->c0[k];
            s->dt_prev = dt;
            s->have_prev = 1;
            if (p->mechanics && s->mech_ran) {
                double *tmp = s->hd2;
                s->hd2 = s->hd1;
                s->hd1 = tmp;
                memcpy(s->hd1, ts_pf_hc_strain_(s->hc), 3 * n * sizeof(double));
                if (s->nhd < 2) s->nhd++;
            }
            s->t += dt;
            s->steps++;
            s->st.steps++;
            if (efield >= 0) s->st.lim_acc[efield]++;
            if (s->plastic) {
                double dpm = 0;
#pragma omp parallel for schedule(static) reduction(max : dpm) if (nl >= PF_OMP_MIN)
                for (long k = 0; k < nPl; k++) dpm = fmax(dpm, s->pcum[k] - s->pcum0[k]);
                s->st.dp_max = dpm;
            }
            if (p->adaptive) {
                double f = err > 0 ? fmin(2.0, fmax(0.2, 0.9 * sqrt(p->tol / err))) : 2.0;
                if (dt * f >= p->dt_max) s->st.capped++;
                s->dt = fmin(p->dt_max, fmax(p->dt_min, dt * f));
            }
            return 0;
        }
        memcpy(s->eta, s->eta0, nP * sizeof(double));
        memcpy(s->c, s->c0, n * sizeof(double));
        if (s->plastic) {
            memcpy(s->epl, s->epl0, 6 * nP * sizeof(double));
            memcpy(s->pcum, s->pcum0, nP * sizeof(double));
            memcpy(s->rrate, s->rrate0, nP * sizeof(double));
        }
        if (p->mechanics) {
            memcpy(s->gm, s->gm0, nP * sizeof(double));
            s->mech_count = s->mech_count0;
            s->mech_acc = s->mech_acc0;
        }
        s->rejected++;
        s->st.rejected++;
        if (cfail)
            s->st.rej_c_solve++;
        else if (bad >= 0)
            s->st.rej_bad++;
        else if (efield >= 0)
            s->st.lim_rej[efield]++;
        if (!p->adaptive || dt <= p->dt_min * (1 + 1e-12)) {
            if (cfail)
                return ts_error_set(TS_ERR_CONVERGE,
                                    "2D c solve (PCG) not converged at step %ld (t = %g s, dt %g s): relative "
                                    "residual %.3g > c_tol %.3g after %d iterations",
                                    s->steps + 1, s->t, dt, s->st.c_last_res, s->c_tol, s->st.c_last_iters);
            if (bad >= 0)
                return ts_error_set(TS_ERR_NUMERIC, "2D blow-up at step %ld (t = %g s): c at grid point (%d, %d)",
                                    s->steps + 1, s->t, bad % s->nx, bad / s->nx);
            return ts_error_set(TS_ERR_CONVERGE, "2D time step cannot be stabilised (error %g > tol %g at dt %g s)",
                                err, p->tol, dt);
        }
        dt = fmax(p->dt_min, dt * ((bad < 0 && !cfail && err > 0) ? fmax(0.1, fmin(0.5, 0.9 * sqrt(p->tol / err))) : 0.25));
        s->dt = dt;
    }
}

int ts_pf_sim2d_advance(ts_pf_sim2d *s, double t)
{
    while (s->t < t * (1 - 1e-14)) {
        double keep = s->dt;
        int clip = s->t + s->dt > t;
        if (clip) s->dt = t - s->t;
        TS_TRY(ts_pf_sim2d_step(s));
        if (clip && s->dt > keep) s->dt = keep;
    }
    return 0;
}

double ts_pf_sim2d_time(const ts_pf_sim2d *s) { return s->t; }
long ts_pf_sim2d_steps(const ts_pf_sim2d *s) { return s->steps; }
const double *ts_pf_sim2d_eta(const ts_pf_sim2d *s) { return s->eta; }
const double *ts_pf_sim2d_c(const ts_pf_sim2d *s) { return s->c; }
const double *ts_pf_sim2d_stress(const ts_pf_sim2d *s) { return s->sig; }
const double *ts_pf_sim2d_pcum(const ts_pf_sim2d *s) { return s->pcum; }

void ts_pf_sim2d_thickness(const ts_pf_sim2d *s, double *d)
{
    size_t n = N2(s);
    for (int r = 0; r < s->P; r++) d[r] = 0;
    for (size_t k = 0; k < n; k++) {
        double s2 = 0;
        for (int r = 0; r < s->P; r++) s2 += s->eta[r * n + k] * s->eta[r * n + k];
        if (s2 < 1e-30) continue;
        for (int r = 0; r < s->P; r++) d[r] += s->eta[r * n + k] * s->eta[r * n + k] / s2;
    }
    for (int r = 0; r < s->P; r++) d[r] *= s->p.dx / s->ny;
}

/* ------------------------------------------------------------ checkpoint */

static const char CK2_MAGIC[8] = "TSPF2D2"; /* 2: + return-map warm start */

int ts_pf_sim2d_save(const ts_pf_sim2d *s, const char *path)
{
    ts_afile *f = NULL;
    TS_TRY(ts_afile_open(path, &f));
    FILE *fp = ts_afile_fp(f);
    size_t n = N2(s), nP = n * s->P;
    int hdr[4] = {s->nx, s->ny, s->P, s->have_prev};
    double sc[5] = {s->t, s->dt, s->dt_prev, s->p.dx, s->dy};
    long cnt[2] = {s->steps, s->rejected};
    int mech = s->p.mechanics != 0;
    int ok = fwrite(CK2_MAGIC, 1, 8, fp) == 8 && fwrite(hdr, sizeof hdr, 1, fp) == 1 &&
             fwrite(sc, sizeof sc, 1, fp) == 1 && fwrite(cnt, sizeof cnt, 1, fp) == 1 &&
             fwrite(&mech, sizeof mech, 1, fp) == 1 && fwrite(s->eta, sizeof(double), nP, fp) == nP &&
             fwrite(s->c, sizeof(double), n, fp) == n && fwrite(s->deta_prev, sizeof(double), nP, fp) == nP &&
             fwrite(s->dc_prev, sizeof(double), n, fp) == n;
    if (ok && mech)
        ok = fwrite(s->epl, sizeof(double), 6 * nP, fp) == 6 * nP && fwrite(s->pcum, sizeof(double), nP, fp) == nP &&
             fwrite(ts_pf_hc_strain_(s->hc), sizeof(double), 3 * n, fp) == 3 * n &&
             fwrite(s->rrate, sizeof(double), nP, fp) == nP && fwrite(&s->hc_tol, sizeof(double), 1, fp) == 1 &&
             fwrite(&s->nhd, sizeof(int), 1, fp) == 1 && fwrite(s->hd1, sizeof(double), 3 * n, fp) == 3 * n &&
             fwrite(s->hd2, sizeof(double), 3 * n, fp) == 3 * n && fwrite(s->gm, sizeof(double), nP, fp) == nP &&
             fwrite(&s->mech_every, sizeof(int), 1, fp) == 1 && fwrite(&s->mech_count, sizeof(long), 1, fp) == 1 &&
             fwrite(&s->mech_acc, sizeof(double), 1, fp) == 1;
    if (!ok) {
        ts_afile_abort(f);
        return ts_error_set(TS_ERR_IO, "%s: write failed", path);
    }
    return ts_afile_commit(f);
}

int ts_pf_sim2d_load(const ts_pf_params *p, int ny, double dy, const char *path, ts_pf_sim2d **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open checkpoint", path);
    char magic[8];
    int hdr[4], mech = 0;
    double sc[5];
    long cnt[2];
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, CK2_MAGIC, 8) != 0 || fread(hdr, sizeof hdr, 1, fp) != 1 ||
        fread(sc, sizeof sc, 1, fp) != 1 || fread(cnt, sizeof cnt, 1, fp) != 1 || fread(&mech, sizeof mech, 1, fp) != 1) {
        fclose(fp);
        return ts_error_set(TS_ERR_FORMAT, "%s: not a tinsel pf 2D checkpoint", path);
    }
    if (hdr[0] != p->n || hdr[1] != ny || hdr[2] != p->nphase || sc[3] != p->dx || sc[4] != dy ||
        mech != (p->mechanics != 0)) {
        fclose(fp);
        return ts_error_set(TS_ERR_FORMAT, "%s: checkpoint grid %d x %d, %d phases, mechanics %d does not match the input",
                            path, hdr[0], hdr[1], hdr[2], mech);
    }
    ts_pf_sim2d *s = NULL;
    int rc = ts_pf_sim2d_create(p, ny, dy, 0, 0, &s);
    if (rc) {
        fclose(fp);
        return rc;
    }
    size_t n = N2(s), nP = n * s->P;
    int ok = fread(s->eta, sizeof(double), nP, fp) == nP && fread(s->c, sizeof(double), n, fp) == n &&
             fread(s->deta_prev, sizeof(double), nP, fp) == nP && fread(s->dc_prev, sizeof(double), n, fp) == n;
    if (ok && mech)
        ok = fread(s->epl, sizeof(double), 6 * nP, fp) == 6 * nP && fread(s->pcum, sizeof(double), nP, fp) == nP &&
             fread(ts_pf_hc_strain_(s->hc), sizeof(double), 3 * n, fp) == 3 * n &&
             fread(s->rrate, sizeof(double), nP, fp) == nP && fread(&s->hc_tol, sizeof(double), 1, fp) == 1 &&
             fread(&s->nhd, sizeof(int), 1, fp) == 1 && fread(s->hd1, sizeof(double), 3 * n, fp) == 3 * n &&
             fread(s->hd2, sizeof(double), 3 * n, fp) == 3 * n && fread(s->gm, sizeof(double), nP, fp) == nP &&
             fread(&s->mech_every, sizeof(int), 1, fp) == 1 && fread(&s->mech_count, sizeof(long), 1, fp) == 1 &&
             fread(&s->mech_acc, sizeof(double), 1, fp) == 1;
    fclose(fp);
    if (!ok) {
        ts_pf_sim2d_destroy(s);
        return ts_error_set(TS_ERR_FORMAT, "%s: truncated checkpoint", path);
    }
    /* as in the 1D reader: a corrupt file must not start a run that hangs or spreads NaN */
    int bad = !(sc[0] >= 0 && isfinite(sc[0]) && sc[1] > 0 && isfinite(sc[1]) && isfinite(sc[2]) && cnt[0] >= 0 &&
                cnt[1] >= 0 && (hdr[3] == 0 || hdr[3] == 1)) ||
              !ts_pf_all_finite_(s->eta, nP) || !ts_pf_all_finite_(s->c, n) ||
              !ts_pf_all_finite_(s->deta_prev, nP) || !ts_pf_all_finite_(s->dc_prev, n);
    if (mech)
        bad = bad || s->mech_every < 1 || !ts_pf_all_finite_(s->epl, 6 * nP) || !ts_pf_all_finite_(s->pcum, nP);
    if (bad) {
        ts_pf_sim2d_destroy(s);
        return ts_error_set(TS_ERR_FORMAT,
                            "%s: corrupt checkpoint (non-finite field, negative time or step size <= 0)", path);
    }
    s->have_prev = hdr[3];
    s->t = sc[0];
    s->dt = sc[1];
    s->dt_prev = sc[2];
    s->steps = cnt[0];
    s->rejected = cnt[1];
    *out = s;
    return 0;
}
