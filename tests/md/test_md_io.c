/* Structure files: LAMMPS data, extended XYZ and POSCAR round trips give the
 * same energy as the structure they came from (energies compared to 1e-12
 * relative: text output with 17 significant digits for data files, 10 for
 * extxyz positions, hence 1e-8 eV/atom there). */
#include "md_test_util.h"
#include "ts_test.h"

static ts_md_meam *pot;

static double energy(ts_md_system *s)
{
    ts_md_calc *c = NULL;
    ts_md_result r = {0};
    if (ts_md_system_bind(s, pot) || ts_md_calc_create(pot, 1.0, 0, 0, &c) ||
        ts_md_calc_compute(c, s, &r, NULL))
        r.energy = NAN;
    ts_md_calc_destroy(c);
    return r.energy / s->n;
}

static void test_roundtrips(void)
{
    char *d = ts_test_tmpdir("md_io");
    free(d);
    ts_md_system *s = NULL, *t = NULL;
    TS_CHECK_OK(md_golden_cell("ternary_triclinic", &s));
    if (!s) return;
    double e0 = energy(s);
    TS_CHECK_OK(ts_md_write_lammps_data("scratch/md_io/a.data", s));
    TS_CHECK_OK(ts_md_read_lammps_data("scratch/md_io/a.data", &t));
    if (t) TS_CHECK_CLOSE(energy(t), e0, 0, 1e-12);
    ts_md_system_destroy(t);
    t = NULL;
    FILE *fp = fopen("scratch/md_io/a.extxyz", "w");
    TS_CHECK(fp != NULL);
    if (fp) {
        double e = e0 * s->n;
        TS_CHECK_OK(ts_md_write_extxyz(fp, s, &e, 1));
        fclose(fp);
        TS_CHECK_OK(ts_md_read_extxyz("scratch/md_io/a.extxyz", md_test_elements, 3, &t));
        if (t) TS_CHECK_CLOSE(energy(t), e0, 1e-8, 0);
        ts_md_system_destroy(t);
        t = NULL;
    }
    ts_md_system_destroy(s);
}

static void test_poscar(void)
{
    /* beta-Sn written as a VASP 5 POSCAR (direct coordinates) vs the builder */
    FILE *fp = fopen("scratch/md_io/POSCAR", "w");
    TS_CHECK(fp != NULL);
    if (!fp) return;
    double a = 5.8588, c = 3.2059;
    fprintf(fp, "beta-Sn\n1.0\n%.10f 0 0\n0 %.10f 0\n0 0 %.10f\nSn\n4\nDirect\n"
                "0 0 0\n0.5 0.5 0.5\n0 0.5 0.25\n0.5 0 0.75\n", a, a, c);
    fclose(fp);
    ts_md_system *s = NULL, *b = NULL;
    TS_CHECK_OK(ts_md_read_poscar("scratch/md_io/POSCAR", md_test_elements, 3, &s));
    int n1[3] = {1, 1, 1}, ty[2] = {2, 2};
    TS_CHECK_OK(ts_md_build_lattice("bsn", a, c / a, n1, ty, &b));
    if (s && b) TS_CHECK_CLOSE(energy(s), energy(b), 0, 1e-12);
    if (s) TS_CHECK_CLOSE(energy(s), -3.10197904, 1e-5, 0); /* LAMMPS props golden, near a0 */
    ts_md_system_destroy(s);
    ts_md_system_destroy(b);
    /* errors carry file:line */
    fp = fopen("scratch/md_io/POSCAR_bad", "w");
    if (fp) {
        fprintf(fp, "x\n1.0\n5 0 0\n0 5 0\n0 0 5\nSn\n2\nDirect\n0 0 0\n0.5 zz\n");
        fclose(fp);
    }
    TS_CHECK_ERR(ts_md_read_poscar("scratch/md_io/POSCAR_bad", md_test_elements, 3, &s), TS_ERR_PARSE);
    TS_CHECK(strstr(ts_error_message(), "POSCAR_bad:10") != NULL);
    fp = fopen("scratch/md_io/bad.extxyz", "w");
    if (fp) {
        fprintf(fp, "2\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\nAg 0 0 0\nXx 1 1 1\n");
        fclose(fp);
    }
    TS_CHECK_ERR(ts_md_read_extxyz("scratch/md_io/bad.extxyz", md_test_elements, 3, &s), TS_ERR_NOTFOUND);
    TS_CHECK(strstr(ts_error_message(), "bad.extxyz:4") != NULL);
}

int main(void)
{
    ts_log_set_level(TS_LOG_WARN);
    TS_CHECK_OK(md_test_load_pot("agcusn", &pot));
    TS_RUN(test_roundtrips);
    TS_RUN(test_poscar);
    ts_md_meam_destroy(pot);
    return ts_test_summary();
}
