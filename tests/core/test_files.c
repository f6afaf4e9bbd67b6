/* Atomic files, folders, run folders with run.ini, CSV, VTK, report. */
#include <math.h>
#include <limits.h>
#include <sys/stat.h>

#include "ts_test.h"

static void test_atomic_commit_and_abort(void)
{
    char *d = ts_test_tmpdir("files");
    char *p = ts_path_join(d, "out.txt");
    ts_afile *f;
    TS_CHECK_OK(ts_afile_open(p, &f));
    fputs("hello\n", ts_afile_fp(f));
    TS_CHECK(!ts_file_exists(p)); /* nothing visible before commit */
    TS_CHECK(ts_file_exists(ts_afile_tmp_path(f)));
    TS_CHECK_OK(ts_afile_commit(f));
    TS_CHECK(ts_file_exists(p));
    char *q = ts_path_join(d, "aborted.txt");
    TS_CHECK_OK(ts_afile_open(q, &f));
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", ts_afile_tmp_path(f));
    fputs("partial", ts_afile_fp(f));
    ts_afile_abort(f);
    TS_CHECK(!ts_file_exists(q) && !ts_file_exists(tmp));
    ts_afile_abort(NULL);
    free(p);
    free(q);
    free(d);
}

static void test_folders(void)
{
    char *d = ts_test_tmpdir("folders");
    char *deep = ts_path_join(d, "a/b/c");
    TS_CHECK_OK(ts_mkdir_p(deep));
    TS_CHECK_OK(ts_mkdir_p(deep)); /* exists: fine */
    char *file = ts_path_join(d, "plain");
    FILE *fp = fopen(file, "w");
    fclose(fp);
    TS_CHECK_ERR(ts_mkdir_p(file), TS_ERR_IO);
    char *below = ts_path_join(file, "sub");
    TS_CHECK_ERR(ts_mkdir_p(below), TS_ERR_IO);
    TS_CHECK(strstr(ts_error_message(), "plain") != NULL);
    ts_run *r = NULL;
    TS_CHECK_ERR(ts_run_create(below, "x", 1, &r), TS_ERR_IO);
    TS_CHECK(r == NULL);
    ts_afile *f = NULL;
    char *inside = ts_path_join(below, "x.csv");
    TS_CHECK_ERR(ts_afile_open(inside, &f), TS_ERR_IO);
    free(inside);
    free(deep);
    free(file);
    free(below);
    free(d);
}

static void test_run_ini(void)
{
    char *d = ts_test_tmpdir("run");
    char *dir = ts_path_join(d, "out");
    ts_run *r;
    TS_CHECK_OK(ts_run_create(dir, "em analyze grid.sp", 1234, &r));
    ts_config *c = ts_config_create();
    double v;
    TS_CHECK_OK(ts_config_get_double(c, "solver", "dt", 0.5, 0, 1, &v));
    TS_CHECK_OK(ts_run_write_ini(r, c));
    char *ini = ts_run_path(r, "run.ini");
    ts_config *back = NULL;
    TS_CHECK_OK(ts_config_load(ini, &back));
    if (back) {
        long seed;
        const char *ver, *cmd;
        double dt;
        TS_CHECK_OK(ts_config_get_long(back, "run", "seed", 0, 0, LONG_MAX, &seed));
        TS_CHECK_OK(ts_config_get_string(back, "run", "version", "", &ver));
        TS_CHECK_OK(ts_config_get_string(back, "run", "command", "", &cmd));
        TS_CHECK_OK(ts_config_get_double(back, "solver", "dt", 0, 0, 1, &dt));
        TS_CHECK(seed == 1234 && strcmp(ver, TS_VERSION_STRING) == 0 && dt == 0.5);
        TS_CHECK(strcmp(cmd, "em analyze grid.sp") == 0);
    }
    TS_CHECK(ts_run_seed(r) == 1234);
    ts_config_destroy(back);
    ts_config_destroy(c);
    ts_run_destroy(r);
    ts_run_destroy(NULL);
    free(ini);
    free(dir);
    free(d);
}

static void test_csv(void)
{
    char *d = ts_test_tmpdir("csv");
    char *p = ts_path_join(d, "t.csv");
    const char *hdr[3] = {"time_s", "stress_Pa", "note"};
    ts_csv *c;
    TS_CHECK_OK(ts_csv_open(p, 3, hdr, &c));
    TS_CHECK_OK(ts_csv_cell_d(c, 0.1));
    TS_CHECK_OK(ts_csv_cell_d(c, 1.0 / 3.0));
    TS_CHECK_OK(ts_csv_cell_s(c, "a, \"b\""));
    TS_CHECK_OK(ts_csv_end_row(c));
    TS_CHECK_ERR(ts_csv_end_row(c), TS_ERR_INVAL); /* empty row */
    TS_CHECK(!ts_file_exists(p));
    TS_CHECK_OK(ts_csv_close(c));
    FILE *fp = fopen(p, "r");
    char line[256];
    TS_CHECK(fgets(line, sizeof line, fp) && strcmp(line, "time_s,stress_Pa,note\n") == 0);
    TS_CHECK(fgets(line, sizeof line, fp) && strcmp(line, "0.10000000000000001,0.33333333333333331,\"a, \"\"b\"\"\"\n") == 0);
    fclose(fp);

    /* Numeric round trip: %.17g is exact. */
    const char *h2[2] = {"x", "y"};
    TS_CHECK_OK(ts_csv_open(p, 2, h2, &c));
    for (int i = 0; i < 100; i++) {
        double row[2] = {i * 0.1, exp(-i * 0.37)};
        TS_CHECK_OK(ts_csv_row_d(c, row));
    }
    TS_CHECK_OK(ts_csv_close(c));
    char **names;
    int nc;
    double *data;
    size_t nr;
    TS_CHECK_OK(ts_csv_read(p, &names, &nc, &data, &nr));
    TS_CHECK(nc == 2 && nr == 100 && strcmp(names[1], "y") == 0);
    int exact = 1;
    for (int i = 0; i < 100 && nr == 100; i++) exact &= data[2 * i] == i * 0.1 && data[2 * i + 1] == exp(-i * 0.37);
    TS_CHECK(exact);
    ts_strv_free(names, nc);
    free(data);

    /* Bad CSV input names path:line. */
    char *bad = ts_path_join(d, "bad.csv");
    fp = fopen(bad, "w");
    fputs("a,b\n1,2\n3,x\n", fp);
    fclose(fp);
    TS_CHECK_ERR(ts_csv_read(bad, &names, &nc, &data, &nr), TS_ERR_PARSE);
    TS_CHECK(strstr(ts_error_message(), "bad.csv:3:") != NULL);
    fp = fopen(bad, "w");
    fputs("a,b\n1,2,3\n", fp);
    fclose(fp);
    TS_CHECK_ERR(ts_csv_read(bad, &names, &nc, &data, &nr), TS_ERR_PARSE);
    TS_CHECK_ERR(ts_csv_read("no/such.csv", &names, &nc, &data, &nr), TS_ERR_NOTFOUND);

    /* An aborted table leaves nothing. */
    char *q = ts_path_join(d, "aborted.csv");
    TS_CHECK_OK(ts_csv_open(q, 2, h2, &c));
    ts_csv_abort(c);
    TS_CHECK(!ts_file_exists(q));
    free(q);
    free(bad);
    free(p);
    free(d);
}

static void test_vtk(void)
{
    char *d = ts_test_tmpdir("vtk");
    char *p = ts_path_join(d, "f.vtk");
    double a[24], b[24];
    for (int i = 0; i < 24; i++) a[i] = i, b[i] = -0.5 * i;
    const double *fields[2] = {a, b};
    const char *names[2] = {"sigma_Pa", "phi"};
    double sp[3] = {1e-6, 1e-6, 1}, org[3] = {0, 0, 0};
    TS_CHECK_OK(ts_vtk_write_image(p, 4, 3, 2, sp, org, 2, names, fields));
    FILE *fp = fopen(p, "rb");
    char line[256];
    int dims = 0, pd = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        if (strcmp(line, "DIMENSIONS 4 3 2\n") == 0) dims = 1;
        if (strcmp(line, "POINT_DATA 24\n") == 0) pd = 1;
        if (strncmp(line, "LOOKUP_TABLE", 12) == 0) break;
    }
    /* First value of the first field, big-endian double 0.0; then 1.0. */
    unsigned char be[16];
    TS_CHECK(fp && fread(be, 1, 16, fp) == 16);
    TS_CHECK(be[8] == 0x3f && be[9] == 0xf0);
    if (fp) fclose(fp);
    TS_CHECK(dims && pd);
    const char *badname[1] = {"two words"};
    TS_CHECK_ERR(ts_vtk_write_image(p, 4, 3, 2, sp, org, 1, badname, fields), TS_ERR_INVAL);
    free(p);
    free(d);
}

static void test_report(void)
{
    char *d = ts_test_tmpdir("report");
    ts_report *r;
    TS_CHECK_OK(ts_report_create(d, &r));
    char *p = ts_path_join(d, "table.csv");
    FILE *fp = fopen(p, "w");
    fputs("a\n1\n", fp);
    fclose(fp);
    TS_CHECK_OK(ts_report_section(r, "em"));
    TS_CHECK_OK(ts_report_file(r, "table.csv", "table", "a table"));
    TS_CHECK_ERR(ts_report_file(r, "missing.png", "plot", "never written"), TS_ERR_NOTFOUND);
    TS_CHECK_OK(ts_report_write(r));
    char *idx = ts_path_join(d, "index.md");
    fp = fopen(idx, "r");
    char buf[4096] = "";
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    buf[n] = '\0';
    if (fp) fclose(fp);
    TS_CHECK(strstr(buf, "[table.csv](table.csv)") != NULL);
    TS_CHECK(strstr(buf, "## em") != NULL);
    ts_report_destroy(r);
    free(idx);
    free(p);
    free(d);
}

int main(void)
{
    TS_RUN(test_atomic_commit_and_abort);
    TS_RUN(test_folders);
    TS_RUN(test_run_ini);
    TS_RUN(test_csv);
    TS_RUN(test_vtk);
    TS_RUN(test_report);
    return ts_test_summary();
}
