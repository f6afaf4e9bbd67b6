/* Benchmark: µs per atom-step of the MEAM force computation inside NVE
 * velocity-Verlet MD (neighbour lists with 1.0 Å skin, rebuilt as needed) for
 * a given structure, written as a LAMMPS data file for the matching LAMMPS
 * run (bench/md/run_bench.py prints the ratio). Wall and CPU time are printed (the CPU
 * time is the fairer measure on a loaded machine for one thread).
 * Usage: bench_md LIB PARAMS KIND A COVERA NX NY NZ TYPE NSTEPS NTHREADS T0 OUT.data */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "tinsel/md.h"

int main(int argc, char **argv)
{
    if (argc != 14) {
        fprintf(stderr, "usage: %s LIB PARAMS KIND A COVERA NX NY NZ TYPE NSTEPS NTHREADS T0 OUT.data\n", argv[0]);
        return 2;
    }
    const char *el[3] = {"Ag", "Cu", "Sn"};
    ts_md_meam *pot;
    if (ts_md_meam_load(argv[1], argv[2], el, 3, &pot)) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    int n[3] = {atoi(argv[6]), atoi(argv[7]), atoi(argv[8])}, ty = atoi(argv[9]);
    int types[2] = {ty, ty};
    ts_md_system *s;
    if (ts_md_build_lattice(argv[3], atof(argv[4]), atof(argv[5]), n, types, &s) ||
        ts_md_system_bind(s, pot)) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    double T0 = atof(argv[12]);
    if (T0 > 2000) { /* "liquid": strongly perturbed start */
        ts_md_perturb(s, 0.25, 7);
        T0 = 1500;
    }
    ts_md_velocities(s, T0, 42);
    if (ts_md_write_lammps_data(argv[13], s)) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    ts_md_calc *c;
    ts_md_dyn *d;
    ts_md_dyn_params dp = {.ensemble = TS_MD_NVE, .dt = 0.002};
    ts_md_calc_create(pot, 1.0, atoi(argv[11]), 0, &c);
    ts_md_dyn_create(&dp, &d);
    ts_md_result r;
    long nsteps = atol(argv[10]);
    ts_md_dyn_run(d, c, s, 1, &r); /* warm up, first list */
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = ts_time_now();
    if (ts_md_dyn_run(d, c, s, nsteps, &r)) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    double t = ts_time_now() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + 1e-6 * (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                 (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + 1e-6 * (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
    printf("tinsel: N=%d steps=%ld time=%.3f s  %.3f us/atom-step  cpu %.3f us/atom-step  E/N=%.6f eV  builds=%ld\n",
           s->n, nsteps, t, 1e6 * t / ((double)nsteps * s->n), 1e6 * cpu / ((double)nsteps * s->n),
           r.energy / s->n, ts_md_calc_nbuilds(c));
    ts_md_dyn_destroy(d);
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    ts_md_meam_destroy(pot);
    return 0;
}
