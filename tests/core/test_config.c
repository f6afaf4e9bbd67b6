/* INI run files: typed getters, defaults recorded, errors with path:line,
 * unknown keys/sections, resolved configuration round trip. */
#include <limits.h>
#include <math.h>

#include "ts_test.h"

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *p = ts_path_join(dir, name);
    FILE *fp = fopen(p, "w");
    fputs(text, fp);
    fclose(fp);
    return p;
}

static const char *good =
    "; a comment\n"
    "# another\n"
    "[grid]\n"
    "nx = 64\n"
    "  length = 2.5e-6   ; metres\n"
    "\n"
    "[solver]\n"
    "method = cn\n"
    "adaptive = yes\n"
    "times = 1e6, 1e7 1e8\n"
    "name = copper line\n";

static void test_getters(void)
{
    char *d = ts_test_tmpdir("config");
    char *p = write_file(d, "good.ini", good);
    ts_config *c = NULL;
    TS_CHECK_OK(ts_config_load(p, &c));
    if (!c) return;
    long nx;
    double len, tol;
    int adaptive, method;
    const char *name;
    double *times;
    size_t nt;
    static const char *const methods[] = {"be", "cn"};
    TS_CHECK_OK(ts_config_get_long(c, "grid", "nx", 10, 1, 100000, &nx));
    TS_CHECK(nx == 64);
    TS_CHECK_OK(ts_config_get_double(c, "grid", "length", 1.0, 0, INFINITY, &len));
    TS_CHECK(len == 2.5e-6);
    TS_CHECK_OK(ts_config_get_choice(c, "solver", "method", "be", methods, 2, &method));
    TS_CHECK(method == 1);
    TS_CHECK_OK(ts_config_get_bool(c, "solver", "adaptive", 0, &adaptive));
    TS_CHECK(adaptive == 1);
    TS_CHECK_OK(ts_config_get_doubles(c, "solver", "times", "", &times, &nt));
    TS_CHECK(nt == 3 && times[0] == 1e6 && times[2] == 1e8);
    free(times);
    TS_CHECK_OK(ts_config_get_string(c, "solver", "name", "x", &name));
    TS_CHECK(strcmp(name, "copper line") == 0);
    TS_CHECK_OK(ts_config_get_double(c, "solver", "tolerance", 1e-8, 0, 1, &tol));
    TS_CHECK(tol == 1e-8);
    TS_CHECK_OK(ts_config_check_unknown(c));

    /* The resolved configuration reloads to the same values, defaults included. */
    char *r = ts_path_join(d, "resolved.ini");
    FILE *fp = fopen(r, "w");
    TS_CHECK_OK(ts_config_write(c, fp));
    fclose(fp);
    ts_config *c2 = NULL;
    TS_CHECK_OK(ts_config_load(r, &c2));
    if (c2) {
        double tol2, len2;
        TS_CHECK_OK(ts_config_get_double(c2, "solver", "tolerance", 0.5, 0, 1, &tol2));
        TS_CHECK_OK(ts_config_get_double(c2, "grid", "length", 0.5, 0, 1, &len2));
        TS_CHECK(tol2 == 1e-8 && len2 == 2.5e-6);
    }
    ts_config_destroy(c2);
    ts_config_destroy(c);
    ts_config_destroy(NULL);
    free(r);
    free(p);
    free(d);
}

/* Loads text, runs one getter; checks the code and that the message names path:line. */
static void expect_error(const char *text, int code, const char *needle)
{
    char *d = ts_test_tmpdir("config_bad");
    char *p = write_file(d, "bad.ini", text);
    ts_config *c = NULL;
    int rc = ts_config_load(p, &c);
    if (rc == 0) {
        long nx;
        double x;
        int b;
        rc = ts_config_get_long(c, "grid", "nx", 1, 1, 1000, &nx);
        if (!rc) rc = ts_config_get_double(c, "grid", "length", 1, 0, 10, &x);
        if (!rc) rc = ts_config_get_bool(c, "grid", "flag", 0, &b);
        if (!rc) rc = ts_config_check_unknown(c);
    }
    TS_CHECK_MSG(rc == code, "expected %d, got %d (%s) for:\n%s", code, rc, ts_error_message(), text);
    TS_CHECK_MSG(strstr(ts_error_message(), needle) != NULL, "message '%s' lacks '%s'", ts_error_message(), needle);
    ts_config_destroy(c);
    free(p);
    free(d);
}

static void test_bad_input(void)
{
    expect_error("[grid]\nnx = 12x\n", TS_ERR_PARSE, "bad.ini:2: [grid] nx: expected an integer, got '12x'");
    expect_error("[grid]\n\nlength = abc\n", TS_ERR_PARSE, "bad.ini:3:");
    expect_error("[grid]\nnx = 5000\n", TS_ERR_RANGE, "bad.ini:2:");
    expect_error("[grid]\nlength = nan\n", TS_ERR_PARSE, "expected a finite number");
    expect_error("[grid]\nflag = maybe\n", TS_ERR_PARSE, "bad.ini:2:");
    expect_error("[grid]\nnx = 5\nnz = 3\n", TS_ERR_PARSE, "bad.ini:3: unknown key 'nz' in [grid]");
    expect_error("[grid]\nnx = 5\n[gird]\nnx = 3\n", TS_ERR_PARSE, "bad.ini:4: unknown section [gird]");
    expect_error("[grid]\nnx = 5\nnx = 6\n", TS_ERR_PARSE, "bad.ini:3: duplicate key 'nx'");
    expect_error("[grid\nnx = 5\n", TS_ERR_PARSE, "bad.ini:1:");
    expect_error("[grid]\njust words\n", TS_ERR_PARSE, "bad.ini:2:");
    expect_error("nx = 5\n", TS_ERR_PARSE, "bad.ini:1: key 'nx' outside any [section]");
    char longline[1200] = "[grid]\nnx = ";
    memset(longline + strlen(longline), '1', 1000);
    strcat(longline, "\n");
    expect_error(longline, TS_ERR_PARSE, "bad.ini:2: line longer than");
}

static void test_missing_file(void)
{
    ts_config *c = (ts_config *)1;
    TS_CHECK_ERR(ts_config_load("no/such/run.ini", &c), TS_ERR_NOTFOUND);
    TS_CHECK(c == NULL);
    TS_CHECK(strstr(ts_error_message(), "no/such/run.ini") != NULL);
}

static void test_command_line_override(void)
{
    ts_config *c = ts_config_create();
    TS_CHECK_OK(ts_config_set(c, "grid", "nx", "7"));
    long nx;
    TS_CHECK_OK(ts_config_get_long(c, "grid", "nx", 1, 1, 100, &nx));
    TS_CHECK(nx == 7);
    TS_CHECK_OK(ts_config_set(c, "grid", "nx", "oops"));
    TS_CHECK_ERR(ts_config_get_long(c, "grid", "nx", 1, 1, 100, &nx), TS_ERR_PARSE);
    TS_CHECK(strstr(ts_error_message(), "command line") != NULL);
    ts_config_destroy(c);
}

int main(void)
{
    TS_RUN(test_getters);
    TS_RUN(test_bad_input);
    TS_RUN(test_missing_file);
    TS_RUN(test_command_line_override);
    return ts_test_summary();
}
