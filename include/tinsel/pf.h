/* tinsel pf: multi-phase-field growth of Cu3Sn / Cu6Sn5 between Cu and Sn
 * with diffusion, laminate elasticity and J2 viscoplasticity (seed 002,
 * notes/phasefield.md). One-dimensional planar layers (x = layer normal).
 *
 * Units: SI throughout. Lengths m, time s, energies densities J/m^3,
 * stresses and stiffnesses Pa, diffusivities m^2/s, mobilities
 * M = D/A in m^5/(J s), L in m^3/(J s), compositions = Sn mole fraction.
 *
 * Conventions: functions return 0 or a negative ts_status (reason in
 * ts_error_message()); *_destroy accepts NULL; ownership stated per call.
 */
#ifndef TINSEL_PF_H
#define TINSEL_PF_H

#include <stddef.h>

#include "tinsel/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_PF_MAXPHASE 6
#define TS_PF_NAMELEN 16

/* Which interface-mobility model sets L_rho,sigma. */
typedef enum {
    TS_PF_L_CONSTANT = 0, /* L_rs = L_const for every pair (seed sec. 3.7) */
    TS_PF_L_DIFFUSION = 1 /* seed eq. (8): 4m/(3 kappa dc_eq^2) (M_r + M_s)/2 */
} ts_pf_lmode;

/* How the normal (x) direction is loaded. */
typedef enum {
    TS_PF_NORMAL_STRAIN = 0, /* <eps11> = applied_e11 (periodic cell, seed) */
    TS_PF_NORMAL_STRESS = 1  /* sigma11 = applied_s11 (e.g. free surface) */
} ts_pf_normal;

/* One phase: parabolic free energy f = A/2 (c-c0)^2 + B (c-c0) + C
 * (seed eq. (10)), diffusivity, elastic stiffness and viscoplasticity. */
typedef struct {
    char name[TS_PF_NAMELEN];
    double A, B, C;   /* J/m^3 */
    double c0;        /* Sn mole fraction at the parabola's minimum */
    double D;         /* interdiffusion coefficient, m^2/s (> 0) */
    double c_init;    /* initial composition of the layer */
    double width;     /* initial layer width, m */
    double stiff[6][6]; /* Voigt stiffness in the sample frame, Pa (rotate
                           crystal data with ts_pf_stiffness_rotate) */
    double eig[6];    /* eigenstrain, Voigt with engineering shears */
    int plastic;      /* 1: J2 viscoplastic (seed eq. (3), (9)) */
    double R0, K, n;  /* yield stress Pa, drag stress Pa, exponent */
} ts_pf_phase;

/* The whole model and its numerics. */
typedef struct {
    int nphase;                  /* 2..TS_PF_MAXPHASE, left to right in x */
    ts_pf_phase ph[TS_PF_MAXPHASE];
    double kappa;                /* gradient coefficient, J/m */
    double gamma;                /* Moelans gamma (dimensionless) */
    double m;                    /* well height, J/m^3 */
    ts_pf_lmode lmode;
    double L_const;              /* m^3/(J s), for TS_PF_L_CONSTANT */
    int mechanics;               /* 0: chemistry + interfaces only */
    ts_pf_normal normal;
    double applied_e11;          /* average normal strain (NORMAL_STRAIN) */
    double applied_s11;          /* normal stress, Pa (NORMAL_STRESS) */
    double applied_e22;          /* in-plane strain along y (uniform) */
    /* grid and time */
    int n;                       /* grid points */
    double dx;                   /* m */
    int tanh_init;               /* 1: equilibrium tanh profiles, 0: sharp */
    double t_end;                /* s */
    double dt_init, dt_min, dt_max; /* s */
    double tol;                  /* local error tolerance on eta and c (absolute) */
    int adaptive;                /* 0: fixed dt = dt_init */
} ts_pf_params;

/* The seed's parameters with the note's errata (cubic Cu C44 = C55 = C66,
 * plastic only Cu and Sn, deviatoric flow rule) for ZeroEig, no load.
 * cu_tangent = 1 replaces C_Cu = -1.71e9 by -1.79e9 so that the Cu/Cu3Sn
 * common tangent is the seed's stated 0.0427/0.2525 (printed C gives
 * 0.02874/0.25040). Fills *p completely. */
void ts_pf_params_default(ts_pf_params *p, int cu_tangent);

/* Checks ranges and consistency (D > 0, A > 0, widths sum to n*dx within
 * one cell, dt bounds ...). Returns TS_ERR_INVAL/RANGE with a reason. */
int ts_pf_params_check(const ts_pf_params *p);

/* Rotate a Voigt stiffness (Pa) by angle (rad) about z: out = R C R^T
 * as a 4th-order tensor. in and out may not alias. */
void ts_pf_stiffness_rotate(const double in[6][6], double angle, double out[6][6]);

/* Fill *p from an INI run file (see docs/pf.md for keys). Starts from
 * ts_pf_params_default and overrides; errors name file:line. */
int ts_pf_params_from_config(ts_config *cfg, ts_pf_params *p);

/* Index of a phase by name, or TS_ERR_NOTFOUND. */
int ts_pf_phase_index(const ts_pf_params *p, const char *name);

/* Interface mobility of the pair (r, s), m^3/(J s). */
double ts_pf_pair_L(const ts_pf_params *p, int r, int s);

/* ---- thermodynamics (src/pf/pf_chem.c) -------------------------------- */

/* Common tangent of parabolic phases r and s: the root with both
 * compositions in [-0.5, 1.5] closest to the parabolas' minima.
 * Out: compositions cr, cs and diffusion potential mu (J/m^3). */
int ts_pf_common_tangent(const ts_pf_params *p, int r, int s, double *cr,
                         double *cs, double *mu);

/* Equal-diffusion-potential partition at one point (closed form):
 * phi[nphase] phase fractions, c the mixture composition.
 * Out: mu (J/m^3), cph[nphase] phase compositions (may be NULL). */
void ts_pf_partition(const ts_pf_params *p, const double *phi, double c, double *mu,
                     double *cph);

/* ---- mechanics (src/pf/pf_mech.c) ------------------------------------- */

/* Per-phase state of the laminate at one point, Voigt vectors
 * (engineering shears): total strain eps, elastic strain el, stress sig. */
typedef struct {
    double eps[6], el[6], sig[6];
    double w; /* elastic energy density 1/2 sig.el, J/m^3 */
} ts_pf_phase_mech;

/* Stress of phase ph under the laminate constraints: sigma11 = s11,
 * sigma12 = s12 (Reuss), eps22 = e22 (Voigt), eps33 = eps13 = eps23 = 0
 * (plane strain), with plastic strain epl[6] (Voigt, engineering shears). */
int ts_pf_phase_response(const ts_pf_params *p, int ph, double s11, double s12,
                         double e22, const double *epl, ts_pf_phase_mech *out);

/* Backward-Euler J2 return map for phase ph over dt (seed eqs. (3), (9),
 * deviatoric flow) at fixed s11, s12, e22: updates epl[6] and the
 * cumulative plastic strain *pcum in place; *dp receives the increment. */
int ts_pf_return_map(const ts_pf_params *p, int ph, double s11, double s12, double e22,
                     double dt, double *epl, double *pcum, double *dp);

/* The same with all six total-strain components eps[6] fixed (Voigt/equal
 * strain, used by the 2D solver): sigma = C (eps - eps* - eps_pl). */
int ts_pf_return_map_strain(const ts_pf_params *p, int ph, const double *eps, double dt, double *epl,
                            double *pcum, double *dp);
/* Fast variant of ts_pf_return_map_strain (safeguarded Newton with the
 * analytic derivative; same equations and convergence test), used by the 2D
 * solver; agrees with the reference to the iteration tolerance. Thread-safe.
 * rate (may be NULL): in, theta/dt of the previous call at this point (a warm
 * start; 0: none); out, this call's theta/dt (0 when elastic). */
int ts_pf_return_map_strain_fast(const ts_pf_params *p, int ph, const double *eps, double dt, double *epl,
                                 double *pcum, double *dp, double *rate);

/* Partial rank-one (laminate) homogenisation at one point (src/pf/pf_rank1.c;
 * the seed's mixed Reuss/Voigt scheme for an in-plane interface normal n):
 * phase r has the total strain eps + sym(a_r (x) n) (plane strain), with
 * sum h_r a_r = 0 and the common traction sigma_r n = t. */
typedef struct {
    double sig[3];                    /* mixture stress (s11, s22, s12), Pa */
    double Ceff[3][3], seff[3];       /* sig = Ceff eps - seff (reduced, engineering shear), Pa */
    double t[2];                      /* common traction sigma_r n, Pa (0 without a normal) */
    double a[TS_PF_MAXPHASE][2];      /* strain jumps a_r (dimensionless) */
    double eps_ph[TS_PF_MAXPHASE][6]; /* phase total strains, Voigt (e33 = e23 = e13 = 0) */
    double sig_ph[TS_PF_MAXPHASE][6]; /* phase stresses, Voigt, Pa */
    double w[TS_PF_MAXPHASE];         /* W_r(eps_r) = 1/2 sig_r . el_r, J/m^3 */
    double g[TS_PF_MAXPHASE];         /* dW/dh_r at fixed eps = W_r - t . a_r, J/m^3 */
} ts_pf_rank1;
/* h[nphase] phase weights (>= 0, sum 1); nrm unit in-plane normal (NULL:
 * equal-strain mixture, a_r = 0); epl[nphase] plastic strains (Voigt; NULL
 * or NULL entries: none); eps[3] the mixture strain (e11, e22, g12).
 * TS_ERR_SINGULAR if an acoustic tensor n.C_r.n is singular. */
int ts_pf_rank1_point(const ts_pf_params *p, const double *h, const double nrm[2],
                      const double *const *epl, const double eps[3], ts_pf_rank1 *out);

/* Von Mises stress sqrt(3/2 s':s') of a Voigt stress, Pa. */
double ts_pf_von_mises(const double *sig);

/* ---- 1D solver (src/pf/pf_solver1d.c) --------------------------------- */

typedef struct ts_pf_sim ts_pf_sim;

/* Creates the simulation at t = 0 with the initial layers; copies *p.
 * Caller owns *out. */
int ts_pf_sim_create(const ts_pf_params *p, ts_pf_sim **out);
void ts_pf_sim_destroy(ts_pf_sim *s);

/* Advances by one (adaptive) step; returns TS_ERR_NUMERIC with the step
 * and grid point on NaN or blow-up, TS_ERR_CONVERGE if dt falls below dt_min. */
int ts_pf_sim_step(ts_pf_sim *s);
/* Advances until time t (the last step is shortened to land on t). */
int ts_pf_sim_advance(ts_pf_sim *s, double t);

double ts_pf_sim_time(const ts_pf_sim *s);   /* s */
double ts_pf_sim_dt(const ts_pf_sim *s);     /* the next step's dt, s */
long ts_pf_sim_steps(const ts_pf_sim *s);    /* accepted steps */
long ts_pf_sim_rejected(const ts_pf_sim *s); /* rejected steps */
const ts_pf_params *ts_pf_sim_params(const ts_pf_sim *s); /* borrowed */

/* Borrowed views, valid until the next step: eta[ph*n + i], c[i],
 * plastic strain epl[(ph*n + i)*6 + k], cumulative p[ph*n + i]. */
const double *ts_pf_sim_eta(const ts_pf_sim *s);
const double *ts_pf_sim_c(const ts_pf_sim *s);
const double *ts_pf_sim_epl(const ts_pf_sim *s);
const double *ts_pf_sim_pcum(const ts_pf_sim *s);
/* Set a field (tests, restart): arrays of the shapes above. */
int ts_pf_sim_set_state(ts_pf_sim *s, double t, const double *eta, const double *c);

/* Change the applied load (for load ramps): takes effect at the next step. */
void ts_pf_sim_set_load(ts_pf_sim *s, double e11, double s11, double e22);

/* Uniform stresses of the laminate after the last mechanics solve, Pa. */
void ts_pf_sim_stress(const ts_pf_sim *s, double *s11, double *s12);

/* Layer thickness of each phase, d[ph] = dx * sum_i phi_ph(i), m. */
void ts_pf_sim_thickness(const ts_pf_sim *s, double *d);

/* Profiles at each point (arrays of n, any may be NULL): phase-averaged
 * von Mises stress (Pa), elastic energy density (J/m^3), phase-averaged
 * cumulative plastic strain, diffusion potential (J/m^3). */
int ts_pf_sim_profiles(const ts_pf_sim *s, double *vm, double *fel, double *pbar,
                       double *mu);

/* Total free energy per unit area (J/m^2) and its parts: chemical,
 * interfacial (m f0 + kappa/2 |grad eta|^2), elastic, plastic. */
int ts_pf_sim_energy(const ts_pf_sim *s, double *total, double parts[4]);

/* Checkpoint (binary, atomic) and restart. Restart checks that the
 * parameters match the ones in the file (grid and phase count). */
int ts_pf_sim_save(const ts_pf_sim *s, const char *path);
int ts_pf_sim_load(const ts_pf_params *p, const char *path, ts_pf_sim **out);

/* ---- analysis (src/pf/pf_fit.c) --------------------------------------- */

/* Least-squares fit d = d0 + sqrt(k t) over t in [t0, t1] (seed eq. (11)):
 * linear regression of d on sqrt(t). Out: k (m^2/s; negative if the layer
 * shrinks: k = -slope^2), its standard error, d0 (m). Needs >= 3 points. */
int ts_pf_fit_k(size_t n, const double *t, const double *d, double t0, double t1,
                double *k, double *k_err, double *d0);

/* ---- planar interface (src/pf/pf_chem.c) ------------------------------ */

/* Analytic two-phase interface energy sqrt(2 kappa m)/3 (gamma = 1.5 only:
 * returns NaN otherwise), J/m^2, and width sqrt(8 kappa/m), m. */
double ts_pf_interface_energy_analytic(const ts_pf_params *p);
double ts_pf_interface_width_analytic(const ts_pf_params *p);

/* ---- 2D solver (src/pf/pf_solver2d.c) ------------------------------------
 * x = layer normal (p->n cells of p->dx, zero flux), y periodic (ny cells of
 * dy). Mechanics (p->mechanics): Hu-Chen equilibrium of the phase mixture
 * (ts_pf_sim2d_set_mixture: rank-one laminate, the default, or equal
 * strain), strain-controlled e11, e22, J2 viscoplasticity by the
 * strain-constrained return map at each phase's strain. The
 * Cu6Sn5/Sn boundary can be
 * scalloped: half-ellipse caps of height scallop_amp (m) every
 * scallop_period (m). Fields are [ny][nx], x fastest; eta[r][ny][nx]. */
typedef struct ts_pf_sim2d ts_pf_sim2d;
int ts_pf_sim2d_create(const ts_pf_params *p, int ny, double dy, double scallop_amp,
                       double scallop_period, ts_pf_sim2d **out); /* caller owns */
void ts_pf_sim2d_destroy(ts_pf_sim2d *s);
int ts_pf_sim2d_step(ts_pf_sim2d *s);
int ts_pf_sim2d_advance(ts_pf_sim2d *s, double t);
double ts_pf_sim2d_time(const ts_pf_sim2d *s);
long ts_pf_sim2d_steps(const ts_pf_sim2d *s);
const double *ts_pf_sim2d_eta(const ts_pf_sim2d *s); /* borrowed */
const double *ts_pf_sim2d_c(const ts_pf_sim2d *s);   /* borrowed */
/* stress [3][ny][nx] (s11, s22, s12, Pa) of the last step; NULL without mechanics */
const double *ts_pf_sim2d_stress(const ts_pf_sim2d *s);
/* cumulative plastic strain [P][ny][nx]; NULL without mechanics */
const double *ts_pf_sim2d_pcum(const ts_pf_sim2d *s);
/* Checkpoint (binary, atomic) and restart; load checks grid, phases, mechanics. */
int ts_pf_sim2d_save(const ts_pf_sim2d *s, const char *path);
int ts_pf_sim2d_load(const ts_pf_params *p, int ny, double dy, const char *path, ts_pf_sim2d **out);
/* FFTW wisdom of the 2D plans (FFTW_MEASURE): export after planning, import
 * before a restart's planning so the restart picks the same algorithms and
 * repeats the uninterrupted run bit for bit. Import of a missing file is a
 * no-op; export is atomic. */
int ts_pf_fft_wisdom_import(const char *path);
int ts_pf_fft_wisdom_export(const char *path);
/* y-averaged layer thickness d[r] = dx dy sum phi_r / (ny dy), m */
void ts_pf_sim2d_thickness(const ts_pf_sim2d *s, double *d);
/* Process CPU seconds (all threads together) spent per part of the step since
 * creation, TS_PF2D_NPROF entries named by
 * ts_pf_sim2d_profile_name(i); *hc_iters the Hu-Chen iterations summed. */
#define TS_PF2D_NPROF 8
void ts_pf_sim2d_profile(const ts_pf_sim2d *s, double sec[TS_PF2D_NPROF], long *hc_iters);
const char *ts_pf_sim2d_profile_name(int i);
/* Hu-Chen tolerance (max strain change per iteration; default 1e-9). */
void ts_pf_sim2d_set_hc_tol(ts_pf_sim2d *s, double tol);
/* Mixture of the phases inside diffuse interfaces (mechanics):
 * TS_PF_MIX_RANK1 (default): partial rank-one laminate with the local normal
 * n = grad(phi_a - phi_b)/|.| of the two largest phases (ts_pf_rank1_point;
 * equal strain where that gradient is negligible); TS_PF_MIX_VOIGT: equal
 * total strain in all phases (Voigt-Taylor). Other values are ignored. */
#define TS_PF_MIX_RANK1 0
#define TS_PF_MIX_VOIGT 1
void ts_pf_sim2d_set_mixture(ts_pf_sim2d *s, int mixture);
/* Mechanics (equilibrium + return map over the accumulated time) every k-th
 * step, the driving force held in between (default 1: every step). */
void ts_pf_sim2d_set_mech_every(ts_pf_sim2d *s, int k);
/* Step-control diagnostics since creation (or restart). The local error
 * estimate is max over the fields eta_r (r < P) and c (index P); for every
 * attempted step the field and grid point of that maximum are recorded.
 * lim_acc[f]: accepted steps whose error was largest in field f;
 * lim_rej[f]: steps rejected for error > tol with the maximum in field f;
 * rej_bad: steps rejected because c was non-finite or out of range;
 * capped: accepted steps after which the next dt was set by dt_max.
 * Hu-Chen non-convergence and return-map failure are not retried: they end
 * the run with an error. last_*: the last attempted step's maximum (grid
 * point i along x, j along y), error and dt; dp_max: the largest increment
 * of the cumulative plastic strain at any point in the last accepted step. */
typedef struct {
    long steps, rejected, rej_bad, capped;
    long lim_acc[TS_PF_MAXPHASE + 1], lim_rej[TS_PF_MAXPHASE + 1];
    int last_field, last_i, last_j;
    double last_err, last_dt, dp_max;
    long c_sweeps; /* defect-correction sweeps of the c step, all attempted steps */
    double c_face_ratio; /* last step: max over faces of M_face/S over the splitting constant max D */
    long c_iters;        /* PCG iterations of the c step, all attempted steps */
    int c_iters_max, c_last_iters; /* most PCG iterations in one step; in the last step */
    double c_last_res;   /* last step's final relative residual of the c solve */
    long rej_c_solve;    /* steps rejected because the c solve did not converge */
} ts_pf_sim2d_stats;
void ts_pf_sim2d_stats_get(const ts_pf_sim2d *s, ts_pf_sim2d_stats *st);
/* Preconditioner / splitting constant of the c step: on (default) the
 * largest face M/S bound, off max D. */
void ts_pf_sim2d_set_c_split_local(ts_pf_sim2d *s, int on);
/* The c step (backward Euler at fixed phi). TS_PF_C_PCG (default):
 * conjugate gradients on the symmetric form in S^{1/2} mu, preconditioned by
 * the constant-coefficient spectral solve blended with Jacobi where the
 * local diffusivity is small (docs/pf.md, "2D c step"); stops when the residual (c units,
 * 2-norm) is below tol times that of c^n (the explicit-Euler change); a step
 * whose solve needs more than max_iter iterations is rejected (dt reduced;
 * TS_ERR_CONVERGE at dt_min). TS_PF_C_SWEEPS: the old defect-correction
 * sweeps (4, or until max |change| <= ts_pf_sim2d_set_c_conv's tol).
 * tol <= 0 / max_iter < 1 keep the current values. */
#define TS_PF_C_PCG 0
#define TS_PF_C_SWEEPS 1
#define TS_PF_C_TOL_DEFAULT 1e-3
#define TS_PF_C_MAXIT_DEFAULT 200
void ts_pf_sim2d_set_c_solver(ts_pf_sim2d *s, int solver, double tol, int max_iter);
void ts_pf_sim2d_set_c_conv(ts_pf_sim2d *s, double tol);
/* One c solve on given fields (tests, diagnostics): backward Euler
 * c - dt div(M grad((c - R) Sinv)) = c_in with the configured solver.
 * Mb [ny][nx] >= 0 (m^5/(J s)), Sinv [ny][nx] > 0 (J/m^3), R [ny][nx]; c: in c^n, out c+.
 * Overwrites the simulation's work arrays and its c: use a simulation
 * made for this only. TS_ERR_CONVERGE if not converged. */
int ts_pf_sim2d_c_solve(ts_pf_sim2d *s, double dt, const double *Mb, const double *Sinv, const double *R,
                        double *c);

/* ---- Hu-Chen spectral elasticity on a periodic 2D grid (src/pf/pf_elastic2d.c)
 * Plane strain, Voigt-2D vectors (e11, e22, g12) and (s11, s22, s12) in Pa;
 * C(x) = sum phi_r Cr[r], eps*(x) = sum phi_r eig[r]; average strain Ebar. */
typedef struct ts_pf_hc ts_pf_hc;
/* C0: homogeneous reference stiffness (reduced 3x3, Pa). Caller owns *out. */
int ts_pf_hc_create(int nx, int ny, double dx, double dy, const double C0[3][3], ts_pf_hc **out);
void ts_pf_hc_destroy(ts_pf_hc *h);
/* phi[P][ny][nx]; Cr[P] reduced stiffnesses; eig[P] eigenstrains; sx an
 * optional eigenstress field [3][ny][nx] (Pa, NULL: none), so that
 * sigma = C(x) (eps - eps*(x)) - sx; outputs eps[3][ny][nx], sig[3][ny][nx]
 * (either may be NULL). The heterogeneous strain is kept between calls
 * (warm start). tol: max strain change. */
int ts_pf_hc_solve(ts_pf_hc *h, int P, const double *phi, const double (*Cr)[3][3],
                   const double (*eig)[3], const double *sx, const double Ebar[3], double tol, int maxit,
                   double *eps, double *sig);
/* The same for a given local stiffness and eigenstress: sigma = Cx(x) eps - bx(x),
 * Cx [9][ny][nx] (reduced 3x3 row-major per point), bx [3][ny][nx]. */
int ts_pf_hc_solve_field(ts_pf_hc *h, const double *Cx, const double *bx, const double Ebar[3], double tol,
                         int maxit, double *eps, double *sig);
int ts_pf_hc_iterations(const ts_pf_hc *h);
/* Reduced plane-strain stiffness (Voigt 1, 2, 6) of a 6x6 stiffness. */
void ts_pf_reduce_stiffness(const double C[6][6], double R[3][3]);

/* ---- PFHub benchmark 1, spinodal decomposition in 2D (src/pf/pf_spinodal.c)
 * Dimensionless (PFHub units). f = rho (c-ca)^2 (cb-c)^2, kappa, M; FFTW
 * semi-implicit stabilised step with the second-order FD Laplacian's
 * eigenvalues; periodic (1a) or zero flux (1b, cosine transforms). */
typedef struct {
    int nx, ny;        /* grid points */
    double dx;         /* spacing */
    int periodic;      /* 1: BM1a, 0: BM1b */
    double rho, ca, cb, kappa, M, c0, eps;
    double S;          /* stabilisation, >= max|f''|/2 (f'' in [-0.8, 1.6] here) */
} ts_pf_bm1_params;
typedef struct ts_pf_bm1 ts_pf_bm1;

void ts_pf_bm1_default(ts_pf_bm1_params *p, int variant_b); /* 200 x 200, dx = 1 */
int ts_pf_bm1_create(const ts_pf_bm1_params *p, ts_pf_bm1 **out); /* caller owns; PFHub IC */
void ts_pf_bm1_destroy(ts_pf_bm1 *s);
int ts_pf_bm1_set_field(ts_pf_bm1 *s, const double *c);   /* c[ny][nx] copied */
int ts_pf_bm1_step(ts_pf_bm1 *s, double dt);
double ts_pf_bm1_energy(const ts_pf_bm1 *s);               /* total F (forward differences) */
const double *ts_pf_bm1_field(const ts_pf_bm1 *s);         /* borrowed c[ny][nx] */
double ts_pf_bm1_time(const ts_pf_bm1 *s);
/* Undo the clock of a rejected step of size dt (after ts_pf_bm1_set_field). */
void ts_pf_bm1_rewind_(ts_pf_bm1 *s, double dt);

#ifdef __cplusplus
}
#endif
#endif /* TINSEL_PF_H */
