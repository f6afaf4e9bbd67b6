/* Private to the md commands: built-in data and shared helpers. */
#ifndef TS_APP_MD_APP_H
#define TS_APP_MD_APP_H

#include "cli.h"
#include "tinsel/md.h"

typedef struct {
    const char *name, *kind;
    int type0, type1;
    double a, covera, energy, c11, c12, c44; /* Å, -, eV/atom, GPa (NAN: not computed) */
} md_ref_row;

/* A text file compiled into the command (name without extension), one
 * string per line (without the newline), NULL-terminated. */
typedef struct {
    const char *name;
    const char *const *lines;
} md_text_file;
/* data/md/structures/NAME.poscar (generated md_structures_gen.c; NULL-terminated). */
extern const md_text_file md_imc_structures[];
extern const int md_imc_nstructures;

/* LAMMPS+KIM oracle values for those structures (tests/md/golden/imc_lammps.csv). */
typedef struct {
    const char *name;
    double e0;         /* eV/atom, cell as in the file */
    double e, a, b, c; /* eV/atom and |a| |b| |c| (Å), box-relaxed */
    double eform;      /* eV/atom vs relaxed fcc Ag, fcc Cu, diamond Sn */
} md_imc_ref;
extern const md_imc_ref md_lammps_imc[];
extern const int md_lammps_nimc;

extern const char md_builtin_library[];
extern const char md_builtin_params[];
extern const md_ref_row md_lammps_props[];
extern const int md_lammps_nprops;

/* Write the built-in potential files into dir; *lib and *par malloc'd paths. */
int md_write_builtin_potential(const char *dir, char **lib, char **par);
/* Property table (CSV + text) for the potential; seeds values where the
 * seed states them; LAMMPS values when `with_lammps` (built-in potential). */
/* with_surfaces: also (100)/(110)/(111) surface energies (slow: relaxed slabs). */
/* workdir: folder where the built-in intermetallic structures are written
 * (as POSCAR files) before they are read and relaxed. */
int md_props_table(const ts_md_meam *pot, const char *csv_path, const char *workdir, int with_lammps,
                   int with_surfaces, FILE *txt);
/* EOS plot E(V) per atom for the pure elements' ground structures. */
int md_eos_plot(const ts_md_meam *pot, const char *png_path);

/* One stage of a multi-stage run ([stage.N] of `md run`): ensemble and
 * damping in dp, targets ramped linearly T0 -> T1, P0 -> P1 over steps. */
typedef struct {
    ts_md_dyn_params dp;
    double T0, T1, P0, P1;
    long steps;
} md_stage;

typedef struct {
    long steps, thermo_every, dump_every, checkpoint_every;
    int msd; /* 1: per-element mean-square displacement and D */
    const char *label;
    /* multi-stage protocol (nstages > 0): stage k covers the global steps
     * (sum_{j<k} steps_j, sum_{j<=k} steps_j]; *pd belongs to stage stage0
     * on entry. A stage with the previous stage's ensemble keeps the
     * integrator (chain, barostat) and only resets the ramp; another
     * ensemble starts a fresh integrator, as a new LAMMPS fix does. */
    int nstages, stage0;
    const md_stage *stages;
} md_run_opts;

/* Enter stage st: keep *pd (ramp reset) when prev has the same ensemble,
 * else replace it by a fresh integrator at time t. */
int md_stage_enter(ts_md_dyn **pd, const md_stage *prev, const md_stage *st, double t);

/* Run MD on s writing thermo.csv/png, traj.extxyz, final.data, checkpoint
 * into the run folder; returns status. start_step for restarts. *pd may be
 * replaced between stages. */
int md_run_dynamics(ts_run *run, ts_md_calc *c, ts_md_dyn **pd, ts_md_system *s, const md_run_opts *o,
                    long start_step, double *D_out);

#endif
