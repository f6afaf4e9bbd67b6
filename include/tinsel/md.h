/* tinsel md: 2NN-MEAM molecular dynamics for Ag-Cu-Sn (and any MEAM set in
 * LAMMPS format), property calculations and integrators.
 *
 * Units: LAMMPS "metal" units throughout:
 *   length Å, energy eV, time ps, mass g/mol, velocity Å/ps, force eV/Å,
 *   temperature K, pressure/stress bar (1 eV/Å^3 = 1.6021765e6 bar).
 *
 * Conventions: functions return 0 or a negative ts_status; reasons via
 * ts_error_message(). Objects returned through `**out` are owned by the
 * caller and freed with the matching _destroy (which accepts NULL).
 */
#ifndef TINSEL_MD_H
#define TINSEL_MD_H

#include <stdint.h>

#include "tinsel/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_MD_MAXELT 8

/* eV/Å^3 -> bar (LAMMPS force->nktv2p in metal units). */
#define TS_MD_EVA3_TO_BAR 1.6021765e6
/* Boltzmann constant, eV/K (LAMMPS metal units). */
#define TS_MD_KB 8.617343e-5
/* mvv2e: (g/mol)(Å/ps)^2 -> eV (LAMMPS metal units). */
#define TS_MD_MVV2E 1.0364269e-4

/* ------------------------------------------------------------ potential */

/* A 2NN-MEAM potential read from LAMMPS-format files, as `pair_coeff * *
 * LIBRARY E1 E2 .. PARAMS E1 E2 ..`: `elements` selects entries of the
 * library file in this order; indices in the parameter file refer to it.
 * params may be NULL (library only, LAMMPS "NULL"). */
typedef struct ts_md_meam ts_md_meam;

int ts_md_meam_load(const char *library, const char *params, const char *const *elements,
                    int nelements, ts_md_meam **out);
void ts_md_meam_destroy(ts_md_meam *p);
int ts_md_meam_nelements(const ts_md_meam *p);
const char *ts_md_meam_element(const ts_md_meam *p, int e); /* borrowed */
double ts_md_meam_mass(const ts_md_meam *p, int e);          /* g/mol, from the library */
double ts_md_meam_cutoff(const ts_md_meam *p);               /* rc, Å */
/* Radius (Å) within which atoms k can screen a pair at the cutoff:
 * rc * sqrt(max X_ik over the screening ellipses C < Cmax), i.e.
 * Cmax^2/(4(Cmax-1)) for Cmax >= 2 and 1 otherwise. */
double ts_md_meam_screen_radius(const ts_md_meam *p);
/* Index of element `name` (case-sensitive) or -1. */
int ts_md_meam_find(const ts_md_meam *p, const char *name);
/* Pair function phi_ab(r) (eV) and dphi/dr from the tabulated spline, as
 * used in the force loop (LAMMPS phirar*). */
double ts_md_meam_phi(const ts_md_meam *p, int a, int b, double r, double *dphi);

/* --------------------------------------------------------------- system */

/* Atoms in a periodic (possibly triclinic) cell. The cell rows are the
 * lattice vectors a, b, c (Å); positions are Cartesian (Å). All arrays are
 * flat structure-of-arrays [n][3] owned by the system. */
typedef struct {
    int n;
    double cell[9];   /* row-major: cell[0..2] = a, [3..5] = b, [6..8] = c (Å) */
    double *x;        /* [n][3] positions, Å */
    double *v;        /* [n][3] velocities, Å/ps */
    double *f;        /* [n][3] forces, eV/Å (filled by compute) */
    int *type;        /* [n] element index 0..ntypes-1 */
    int ntypes;
    char elem[TS_MD_MAXELT][8]; /* element symbols of the types */
    double mass[TS_MD_MAXELT];  /* g/mol per type */
} ts_md_system;

/* n atoms, zeroed arrays. Caller owns; NULL on OOM (error recorded). */
ts_md_system *ts_md_system_create(int n);
void ts_md_system_destroy(ts_md_system *s);
ts_md_system *ts_md_system_copy(const ts_md_system *s);
double ts_md_system_volume(const ts_md_system *s);   /* Å^3 */
/* Map every atom into the cell (fractional coordinates in [0,1)). */
void ts_md_system_wrap(ts_md_system *s);
/* Name types after the potential's elements (symbols and masses). Types of
 * the system must be < nelements. */
int ts_md_system_bind(ts_md_system *s, const ts_md_meam *p);
/* Errors: atoms outside the cell (beyond tol in fractional units) or two
 * atoms closer than rmin Å (periodic). */
int ts_md_system_check(const ts_md_system *s, double frac_tol, double rmin);

/* Structures. Lattice constants in Å; n[3] repetitions of the conventional
 * cell; types[] gives the element index of each basis site class:
 *   fcc, bcc, hcp (c = a*covera), dia: types[0]
 *   b2 (CsCl): types[0] corner, types[1] body centre
 *   l12 (Cu3Au): types[0] face centres (majority), types[1] corners
 *   d03 (Fe3Al): types[0] majority, types[1] minority
 *   bsn (beta-Sn, A5, I4_1/amd): types[0], c = a*covera
 * Orthogonal cells except hcp (orthorhombic 4-atom cell). Caller owns. */
int ts_md_build_lattice(const char *kind, double a, double covera, const int n[3],
                        const int types[2], ts_md_system **out);
/* Random substitution: each atom becomes type t with probability frac[t]
 * (sum 1, ntypes entries). Reproducible from (seed). */
int ts_md_randomize_types(ts_md_system *s, const double *frac, int ntypes, uint64_t seed);
/* Random displacement, Gaussian of sd Å per component. */
int ts_md_perturb(ts_md_system *s, double sd, uint64_t seed);
/* Replicate n[0] x n[1] x n[2] times. Caller owns *out. */
int ts_md_replicate(const ts_md_system *s, const int n[3], ts_md_system **out);

/* --------------------------------------------------------------- files */

/* LAMMPS data file (atomic style, orthogonal or triclinic with xy xz yz).
 * Types in the file are 1-based and mapped to element indices 0-based.
 * Errors give path:line. */
int ts_md_read_lammps_data(const char *path, ts_md_system **out);
int ts_md_write_lammps_data(const char *path, const ts_md_system *s);
/* Extended XYZ (Lattice="..." Properties=species:S:1:pos:R:3[...]); species
 * mapped with elements[] (the potential's order). Reads the first frame. */
int ts_md_read_extxyz(const char *path, const char *const *elements, int nelements,
                      ts_md_system **out);
/* Append (append=1) or write a frame; energy/forces optional (NULL). */
int ts_md_write_extxyz(FILE *fp, const ts_md_system *s, const double *energy, int with_forces);
/* POSCAR (VASP 5, element names on line 6; Direct or Cartesian). */
int ts_md_read_poscar(const char *path, const char *const *elements, int nelements,
                      ts_md_system **out);

/* ---------------------------------------------------------- calculator */

typedef struct {
    double energy;     /* total potential energy, eV */
    double virial[6];  /* sum over pairs/triplets of r (x) f: xx yy zz xy xz yz, eV */
    double stress[6];  /* virial/V * TS_MD_EVA3_TO_BAR: LAMMPS pxx pyy pzz pxy pxz pyz at
                          T = 0 (pressure sign: positive in compression), bar */
} ts_md_result;

/* Neighbour lists (cell + Verlet with skin, Å) and work arrays for one
 * potential. nthreads <= 0: OpenMP default. reference = 1: the reference
 * kernel: brute-force neighbour search, one thread, and the LAMMPS-style
 * second pass over screening atoms for the three-body forces (the fast
 * kernel caches them). */
typedef struct ts_md_calc ts_md_calc;
int ts_md_calc_create(const ts_md_meam *p, double skin, int nthreads, int reference,
                      ts_md_calc **out);
void ts_md_calc_destroy(ts_md_calc *c);
/* Energy, forces (into s->f), virial. Rebuilds lists when an atom moved by
 * more than skin/2 or the cell changed. eatom: NULL or [n] per-atom energy. */
int ts_md_calc_compute(ts_md_calc *c, ts_md_system *s, ts_md_result *res, double *eatom);
/* Force a list rebuild at the next compute. */
void ts_md_calc_invalidate(ts_md_calc *c);
long ts_md_calc_nbuilds(const ts_md_calc *c);

/* --------------------------------------------------------- dynamics */

typedef enum { TS_MD_NVE = 0, TS_MD_LANGEVIN, TS_MD_NHC, TS_MD_NPT_ISO, TS_MD_NPT_ANISO } ts_md_ensemble;

typedef struct {
    ts_md_ensemble ensemble;
    double dt;          /* ps */
    double temperature; /* K (target) */
    double tdamp;       /* ps: Langevin damping time / NHC period */
    int nhc_length;     /* thermostat chain length (NHC), default 3 */
    double pressure;    /* bar (target, NPT) */
    double pdamp;       /* ps: barostat period (NPT) */
    uint64_t seed;      /* Langevin noise */
} ts_md_dyn_params;

typedef struct ts_md_dyn ts_md_dyn;
int ts_md_dyn_create(const ts_md_dyn_params *prm, ts_md_dyn **out);
void ts_md_dyn_destroy(ts_md_dyn *d);
/* nsteps steps; on return s holds positions/velocities/forces of the last
 * step and *res its energy. Conserved quantity (eV) via ts_md_dyn_conserved. */
int ts_md_dyn_run(ts_md_dyn *d, ts_md_calc *c, ts_md_system *s, long nsteps, ts_md_result *res);
double ts_md_dyn_conserved(const ts_md_dyn *d, const ts_md_system *s, const ts_md_result *res);
/* Hold atoms with frozen[i] != 0 in place (zero velocity); NULL clears.
 * Fixed-cell ensembles only. The mask is copied. */
int ts_md_dyn_set_frozen(ts_md_dyn *d, const unsigned char *frozen, int n);
/* Linear ramp of the targets over the next nsteps steps (LAMMPS fix
 * nvt/npt/langevin "temp T0 T1", "iso P0 P1"): step k = 1..nsteps uses
 * T = (1 - k/n) T0 + (k/n) T1 and likewise P; after the ramp the targets stay
 * at T1, P1. nsteps = 0: constant targets T0, P0. Resets the ramp position;
 * the NHC chain and barostat velocities are kept. NPT: the barostat mass is
 * recomputed from max(T0, T1) at the next run. */
int ts_md_dyn_set_ramp(ts_md_dyn *d, double T0, double T1, double P0, double P1, long nsteps);
double ts_md_dyn_target_temperature(const ts_md_dyn *d); /* K, of the last step */
double ts_md_dyn_target_pressure(const ts_md_dyn *d);    /* bar */
long ts_md_dyn_ramp_position(const ts_md_dyn *d, long *nsteps);
/* Integrator state for checkpoints: time (ps), NHC chain positions and
 * velocities (10 + 10), MTK strain rates (3), Langevin heat (eV), ramp
 * position k and length n, T0, T1 (K), P0, P1 (bar). set also accepts the
 * 25 values of checkpoints without the ramp.
 * get writes TS_MD_DYN_STATE_LEN values and returns the count. The Langevin
 * noise of step k is drawn from the stream (seed, k), so a run resumed at
 * the restored time continues the uninterrupted run's random sequence. */
#define TS_MD_DYN_STATE_LEN 31
int ts_md_dyn_get_state(const ts_md_dyn *d, double *state);
int ts_md_dyn_set_state(ts_md_dyn *d, const double *state, int n);
/* Simulated time so far (ps); settable for restarts. */
double ts_md_dyn_time(const ts_md_dyn *d);
void ts_md_dyn_set_time(ts_md_dyn *d, double t);

double ts_md_kinetic_energy(const ts_md_system *s);            /* eV */
double ts_md_temperature(const ts_md_system *s);               /* K, 3N-3 dof */
/* Maxwell-Boltzmann velocities at T (K), zero total momentum, rescaled to T exactly. */
int ts_md_velocities(ts_md_system *s, double T, uint64_t seed);

/* ------------------------------------------------------- minimisation */

typedef enum { TS_MD_MIN_FIRE = 0, TS_MD_MIN_CG } ts_md_min_algo;
typedef struct {
    ts_md_min_algo algo;
    double ftol;      /* eV/Å: stop when max |F| below */
    double etol;      /* relative energy change between iterations (CG) */
    long maxiter;
    int relax_box;    /* 1: also relax the cell to zero stress (FIRE and CG) */
    double ptol;      /* bar: stress tolerance when relaxing the box */
} ts_md_min_params;

/* Returns 0 on convergence, TS_ERR_CONVERGE when maxiter was reached
 * (s holds the last state). *iters may be NULL. */
int ts_md_minimize(const ts_md_min_params *prm, ts_md_calc *c, ts_md_system *s,
                   ts_md_result *res, long *iters);

/* --------------------------------------------------------- properties */

typedef struct {
    double a;          /* Å, equilibrium lattice constant */
    double covera;     /* c/a (hcp, bsn; else 0) */
    double ecoh;       /* eV/atom, energy per atom at a */
    double volume;     /* Å^3/atom */
    double bulk;       /* GPa, from E(V) fit (Birch-Murnaghan, 3rd order) */
    double c11, c12, c44; /* GPa, = cij[0][0], cij[0][1], cij[3][3] */
    double cij[6][6];  /* GPa, Voigt order xx yy zz yz xz xy: central differences of the
                          stress for ±0.5 % strains (engineering shears), atoms relaxed */
} ts_md_crystal_props;

/* Equilibrium properties of a lattice (kind as in ts_md_build_lattice) with
 * the potential, starting from a0 (Å). */
int ts_md_crystal_props_compute(const ts_md_meam *p, const char *kind, double a0,
                                double covera, const int types[2], ts_md_crystal_props *out);
/* Relax the atoms and all six cell components of s to zero stress (FIRE,
 * then a CG polish): max |F| < 1e-6 eV/Å, every stress component < 1e-3 bar.
 * s is updated in place (LAMMPS orientation kept); *res holds the final
 * energy and stress. For structures read from files (e.g. the intermetallics
 * in data/md/structures). */
int ts_md_relax_full(const ts_md_meam *p, ts_md_system *s, ts_md_result *res);
/* Vacancy formation energy (eV) in a relaxed n x n x n cell of kind at a. */
int ts_md_vacancy_energy(const ts_md_meam *p, const char *kind, double a, const int types[2],
                         int n, double *evac);

/* Relaxed (hkl) surface energy (J/m^2) of fcc element `type` at lattice
 * constant a (Å); hkl = 100, 110 or 111; slab of >= 5 layers, 15 Å vacuum. */
int ts_md_surface_energy(const ts_md_meam *p, double a, int type, int hkl, double *gamma);
/* Dilute heat of solution (eV): one `solute` atom in an n x n x n `kind`
 * host lattice of `host` at a (Å), relaxed at fixed cell:
 * E - (N-1) e_host - e_solute, with e_host, e_solute the energies per atom
 * of the reference phases (eV). */
int ts_md_solution_energy(const ts_md_meam *p, const char *kind, double a, int host, int solute,
                          double e_host, double e_solute, int n, double *dh);

#ifdef __cplusplus
}
#endif
#endif
