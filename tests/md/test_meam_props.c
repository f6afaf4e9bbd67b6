/* Property tests of the MEAM kernel where no external oracle is needed:
 * forces = -grad E and virial = -dE/dstrain by central finite differences,
 * threaded = serial = brute-force reference kernel, a cell and its
 * replication give the same energy per atom, and the parameter reader's
 * errors carry file:line. */
#include <unistd.h>

#include "md_test_util.h"
#include "ts_test.h"

/* Central differences with h = 1e-5 Å: truncation ~ h^2 |E'''| ~ 1e-9 eV/Å,
 * rounding ~ eps |E| / h ~ 2e-16 * 600 eV / 1e-5 Å ~ 1e-8 eV/Å; the spline
 * tables (C1 cubic Hermite, as LAMMPS) keep E differentiable. */
#define FD_H 1e-5
#define TOL_FD 2e-6 /* eV/Å */

static ts_md_system *load(const char *name, ts_md_meam **pot)
{
    md_golden g;
    ts_md_system *s = NULL;
    if (md_golden_read(name, &g)) return NULL;
    free(g.forces);
    if (md_test_load_pot(g.pot, pot) || md_golden_cell(name, &s)) return NULL;
    ts_md_system_bind(s, *pot);
    return s;
}

static int full_tier = 0;

static void test_fd_forces(void)
{
    const char *cells[] = {"ternary_triclinic", "var1_ternary", "var2_liquid", "ternary_liquid"};
    int ncells = full_tier ? 4 : 1;
    for (int cc = 0; cc < ncells; cc++) {
        ts_md_meam *pot = NULL;
        ts_md_system *s = load(cells[cc], &pot);
        TS_CHECK(s != NULL);
        if (!s) { ts_md_meam_destroy(pot); continue; }
        ts_md_calc *c;
        TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 0, 0, &c));
        ts_md_result r, rp, rm;
        TS_CHECK_OK(ts_md_calc_compute(c, s, &r, NULL));
        double *f0 = malloc((size_t)s->n * 3 * sizeof *f0);
        memcpy(f0, s->f, (size_t)s->n * 3 * sizeof *f0);
        double worst = 0;
        for (int i = 0; i < s->n; i += s->n / (full_tier ? 7 : 3))
            for (int d = 0; d < 3; d++) {
                double x = s->x[3 * i + d];
                s->x[3 * i + d] = x + FD_H;
                ts_md_calc_compute(c, s, &rp, NULL);
                s->x[3 * i + d] = x - FD_H;
                ts_md_calc_compute(c, s, &rm, NULL);
                s->x[3 * i + d] = x;
                double fd = -(rp.energy - rm.energy) / (2 * FD_H);
                worst = fmax(worst, fabs(fd - f0[3 * i + d]));
                TS_CHECK_CLOSE(f0[3 * i + d], fd, TOL_FD, 0.0);
            }
        /* virial: E(h (I + e)) with all atoms following; W_ab = -dE/de_ab */
        double h0[9], *x0 = malloc((size_t)s->n * 3 * sizeof *x0), worstv = 0;
        memcpy(h0, s->cell, sizeof h0);
        memcpy(x0, s->x, (size_t)s->n * 3 * sizeof *x0);
        static const int comp[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
        for (int m = 0; m < 6; m++) {
            double e[2];
            for (int sg = 0; sg < 2; sg++) {
                double D[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, h = sg ? -FD_H : FD_H;
                /* symmetric strain: row vectors x' = x (I + eps) */
                D[3 * comp[m][0] + comp[m][1]] += m < 3 ? h : 0.5 * h;
                if (m >= 3) D[3 * comp[m][1] + comp[m][0]] += 0.5 * h;
                for (int rr = 0; rr < 3; rr++)
                    for (int q = 0; q < 3; q++)
                        s->cell[3 * rr + q] = h0[3 * rr] * D[q] + h0[3 * rr + 1] * D[3 + q] + h0[3 * rr + 2] * D[6 + q];
                for (int i = 0; i < s->n; i++)
                    for (int q = 0; q < 3; q++)
                        s->x[3 * i + q] = x0[3 * i] * D[q] + x0[3 * i + 1] * D[3 + q] + x0[3 * i + 2] * D[6 + q];
                ts_md_calc_compute(c, s, sg ? &rm : &rp, NULL);
                e[sg] = sg ? rm.energy : rp.energy;
            }
            double fdw = -(e[0] - e[1]) / (2 * FD_H);
            worstv = fmax(worstv, fabs(fdw - r.virial[m]));
            TS_CHECK_CLOSE(r.virial[m], fdw, 1e-4, 1e-7);
        }
        memcpy(s->cell, h0, sizeof h0);
        memcpy(s->x, x0, (size_t)s->n * 3 * sizeof *x0);
        printf("  %-18s FD: max |F - F_fd| = %.2e eV/A, max |W - W_fd| = %.2e eV\n", cells[cc],
               worst, worstv);
        free(f0);
        free(x0);
        ts_md_calc_destroy(c);
        ts_md_system_destroy(s);
        ts_md_meam_destroy(pot);
    }
}

static void test_threads_and_reference(void)
{
    ts_md_meam *pot = NULL;
    ts_md_system *s = load("ternary_triclinic", &pot);
    TS_CHECK(s != NULL);
    if (!s) return;
    ts_md_calc *c1, *c2, *cr;
    TS_CHECK_OK(ts_md_calc_create(pot, 0.5, 1, 0, &c1));
    TS_CHECK_OK(ts_md_calc_create(pot, 2.0, 2, 0, &c2));
    TS_CHECK_OK(ts_md_calc_create(pot, 0.0, 1, 1, &cr));
    ts_md_result r1, r2, rr;
    ts_md_system *s2 = ts_md_system_copy(s), *sr = ts_md_system_copy(s);
    TS_CHECK_OK(ts_md_calc_compute(c1, s, &r1, NULL));
    TS_CHECK_OK(ts_md_calc_compute(c2, s2, &r2, NULL));
    TS_CHECK_OK(ts_md_calc_compute(cr, sr, &rr, NULL));
    /* same sums in a different order: 1e-12 relative */
    TS_CHECK_CLOSE(r2.energy, r1.energy, 0, 1e-12);
    TS_CHECK_CLOSE(rr.energy, r1.energy, 0, 1e-12);
    double df = 0;
    for (int i = 0; i < 3 * s->n; i++) df = fmax(df, fmax(fabs(s->f[i] - s2->f[i]), fabs(s->f[i] - sr->f[i])));
    TS_CHECK(df < 1e-10);
    /* per-atom energies sum to the total (1 and 2 threads) */
    double *ea = malloc((size_t)s->n * sizeof *ea), sum = 0, sum2 = 0;
    TS_CHECK_OK(ts_md_calc_compute(c1, s, &r1, ea));
    for (int i = 0; i < s->n; i++) sum += ea[i];
    TS_CHECK_OK(ts_md_calc_compute(c2, s2, &r2, ea));
    for (int i = 0; i < s->n; i++) sum2 += ea[i];
    TS_CHECK_CLOSE(sum, r1.energy, 0, 1e-12);
    TS_CHECK_CLOSE(sum2, r1.energy, 0, 1e-12);
    free(ea);
    ts_md_system_destroy(s2);
    ts_md_system_destroy(sr);
    ts_md_calc_destroy(c1);
    ts_md_calc_destroy(c2);
    ts_md_calc_destroy(cr);
    ts_md_system_destroy(s);
    ts_md_meam_destroy(pot);
}

static void test_replication(void)
{
    /* 32-atom cell (width 7.2 Å < 2 rc: several images of each neighbour)
     * against its 2x2x1 replica */
    ts_md_meam *pot = NULL;
    ts_md_system *s = load("cu_fcc_small", &pot), *big = NULL;
    TS_CHECK(s != NULL);
    if (!s) return;
    int rep[3] = {2, 2, 1};
    TS_CHECK_OK(ts_md_replicate(s, rep, &big));
    ts_md_calc *c;
    TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 0, 0, &c));
    ts_md_result r1, r2;
    TS_CHECK_OK(ts_md_calc_compute(c, s, &r1, NULL));
    TS_CHECK_OK(ts_md_calc_compute(c, big, &r2, NULL));
    TS_CHECK_CLOSE(r2.energy / big->n, r1.energy / s->n, 1e-12, 0);
    for (int m = 0; m < 6; m++) TS_CHECK_CLOSE(r2.stress[m], r1.stress[m], 1e-6, 1e-10);
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    ts_md_system_destroy(big);
    ts_md_meam_destroy(pot);
}

static int write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return -1;
    fputs(text, fp);
    return fclose(fp);
}

static void expect_error(const char *lib, const char *par, int code, const char *needle)
{
    const char *el[3] = {"Ag", "Cu", "Sn"};
    ts_md_meam *p = NULL;
    write_file("scratch/lib.meam", lib);
    write_file("scratch/par.meam", par);
    TS_CHECK_ERR(ts_md_meam_load("scratch/lib.meam", "scratch/par.meam", el, 3, &p), code);
    TS_CHECK_MSG(strstr(ts_error_message(), needle) != NULL, "message '%s' lacks '%s'",
                 ts_error_message(), needle);
    TS_CHECK(p == NULL);
}

static void test_reader_errors(void)
{
    char *d = ts_test_tmpdir("md_reader");
    free(d);
    const char *lib =
        "# test\n'Ag' 'fcc' 12 47 107.87\n6.4 5.1 5.1 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 3\n"
        "'Cu' 'fcc' 12 29 63.5\n4.9 2.5 2.2 1.4 0.1 3.61 3.54 0.73\n1 1.4 1.8 1.2 1 3\n"
        "'Sn' 'fcc' 12 50 118.7\n5.8 5.5 5.1 4.5 4.3 4.92 3.05 1.05\n1 1.3 3.6 -0.9 1 3\n";
    expect_error(lib, "rc = 5.0\nfoo(1,1) = 2\n", TS_ERR_PARSE, "par.meam:2: unknown MEAM keyword 'foo'");
    expect_error(lib, "Ec(1,2) = abc\n", TS_ERR_PARSE, "par.meam:1: Ec: expected a number");
    expect_error(lib, "\n\nCmin(1,4,1) = 0.5\n", TS_ERR_RANGE, "par.meam:3: Cmin: element index 4");
    expect_error(lib, "lattce(1,2) = 'xyz'\n", TS_ERR_PARSE, "par.meam:1: lattce: unknown reference");
    expect_error(lib, "nn2(1,1) = 2\n", TS_ERR_PARSE, "par.meam:1: nn2: expected an integer in [0, 1]");
    expect_error(lib, "Cmin(1,1) = 0.5\n", TS_ERR_PARSE, "par.meam:1: Cmin: expected 3 index");
    expect_error(lib, "ialloy = 7\n", TS_ERR_PARSE, "ialloy: expected an integer in [0, 2]");
    const char *badz =
        "'Ag' 'fcc' 8 47 107.87\n6.4 5.1 5.1 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 3\n";
    expect_error(badz, "", TS_ERR_PARSE, "lib.meam:1: element Ag: z = 8 does not match lattice fcc");
    const char *short_lib = "'Ag' 'fcc' 12 47 107.87\n6.4 5.1 5.1\n";
    expect_error(short_lib, "", TS_ERR_PARSE, "lib.meam:1: incomplete MEAM library entry 'Ag'");
    const char *nocu = "'Ag' 'fcc' 12 47 107.87\n6.4 5.1 5.1 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 3\n";
    expect_error(nocu, "", TS_ERR_NOTFOUND, "element 'Cu' not found");
    const char *badnum = "'Ag' 'fcc' 12 47 107.87\n6.4 5.1 x5 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 3\n";
    expect_error(badnum, "", TS_ERR_PARSE, "lib.meam:2: b1: expected a number, got 'x5'");
    const char *t0 = "'Ag' 'fcc' 12 47 107.87\n6.4 5.1 5 2.4 4.5 4.07 2.85 0.71\n2 1.2 1.7 1.2 1 3\n";
    expect_error(t0, "", TS_ERR_PARSE, "lib.meam:3: element Ag: t0 = 2 unsupported");
    expect_error(lib, "Cmin(1,1,1) = 3.0\n", TS_ERR_RANGE, "need Cmax > Cmin");
    /* out-of-range numbers where integers are expected (the fuzzer's UB find: 1.1e112 cast to int) */
    const char *bigel = "'Ag' 'fcc' 12 1.1e112 107.87\n6.4 5.1 5 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 3\n";
    expect_error(bigel, "", TS_ERR_PARSE, "lib.meam:1: element Ag: ielement = 1.1e+112 is not an atomic number");
    const char *bigz = "'Ag' 'fcc' 1e300 47 107.87\n6.4 5.1 5 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 3\n";
    expect_error(bigz, "", TS_ERR_PARSE, "lib.meam:1: element Ag: z = 1e+300 does not match lattice fcc");
    const char *bigibar = "'Ag' 'fcc' 12 47 107.87\n6.4 5.1 5 2.4 4.5 4.07 2.85 0.71\n1 1.2 1.7 1.2 1 -3e40\n";
    expect_error(bigibar, "", TS_ERR_PARSE, "lib.meam:3: element Ag: ibar = -3e+40 unsupported");
}

static void test_bad_input(void)
{
    ts_md_meam *pot = NULL;
    ts_md_system *s = load("ag_fcc", &pot);
    TS_CHECK(s != NULL);
    if (!s) return;
    TS_CHECK_OK(ts_md_system_check(s, 1e-6, 0.5));
    s->x[3] = s->x[0] + 0.1; /* atom 2 on top of atom 1 */
    s->x[4] = s->x[1];
    s->x[5] = s->x[2];
    TS_CHECK_ERR(ts_md_system_check(s, 1e-6, 0.5), TS_ERR_RANGE);
    TS_CHECK(strstr(ts_error_message(), "atoms 1 and 2 overlap") != NULL);
    s->x[3] = -5.0;
    TS_CHECK_ERR(ts_md_system_check(s, 1e-6, 0.5), TS_ERR_RANGE);
    TS_CHECK(strstr(ts_error_message(), "outside the cell") != NULL);
    s->type[7] = 5;
    ts_md_calc *c;
    ts_md_result r;
    TS_CHECK_OK(ts_md_calc_create(pot, 1.0, 0, 0, &c));
    TS_CHECK_ERR(ts_md_calc_compute(c, s, &r, NULL), TS_ERR_INVAL);
    TS_CHECK(strstr(ts_error_message(), "atom 8 has type 6") != NULL);
    ts_md_calc_destroy(c);
    ts_md_system_destroy(s);
    ts_md_meam_destroy(pot);
    /* a LAMMPS data file with a bad atom line */
    write_file("scratch/bad.data", "x\n\n2 atoms\n1 atom types\n0 5 xlo xhi\n0 5 ylo yhi\n0 5 zlo zhi\n\nAtoms\n\n1 1 0 0 0\n2 1 1.0 zz 1\n");
    ts_md_system *b = NULL;
    TS_CHECK_ERR(ts_md_read_lammps_data("scratch/bad.data", &b), TS_ERR_PARSE);
    TS_CHECK(strstr(ts_error_message(), "bad.data:12") != NULL);
    TS_CHECK(b == NULL);
}

int main(int argc, char **argv)
{
    full_tier = argc > 1 && strcmp(argv[1], "full") == 0;
    ts_log_set_level(TS_LOG_WARN);
    TS_RUN(test_fd_forces);
    TS_RUN(test_threads_and_reference);
    TS_RUN(test_replication);
    TS_RUN(test_reader_errors);
    TS_RUN(test_bad_input);
    return ts_test_summary();
}
