/* SPICE reader: accepted syntax and line-numbered errors (issue #3 item 1). */
#include "ts_test.h"
#include "tinsel/em.h"

static void test_good_netlist(void)
{
    const char *text = "* a comment\n"
                       "\n"
                       "   R1   n1_0_0\tn1_1000_0   2.5  \n"
                       "r2 n1_1000_0 n1_2000_0 1.5k\n"
                       "Rvia n1_2000_0 n2_2000_0 1e-3\n"
                       "iB1 n1_1000_0 0 1.0E-3\n"
                       "V1 n2_2000_0 0 DC 1.8\r\n"
                       ".op\n"
                       ".print dc v(n1_0_0)\n"
                       ".end\n"
                       "this line is after .end and ignored\n";
    ts_em_netlist *nl = NULL;
    TS_CHECK_OK(ts_em_netlist_parse(text, "good.sp", &nl));
    if (!nl) return;
    TS_CHECK(nl->nres == 3 && nl->ncur == 1 && nl->nvs == 1 && nl->nnodes == 4);
    TS_CHECK_CLOSE(nl->res_ohm[1], 1500.0, 0, 1e-15);
    TS_CHECK_CLOSE(nl->cur_amp[0], 1e-3, 0, 1e-15);
    TS_CHECK_CLOSE(nl->vs_volt[0], 1.8, 0, 1e-15);
    int k = ts_em_netlist_find(nl, "n2_2000_0");
    TS_CHECK(k >= 0 && nl->node_layer[k] == 2 && nl->node_x[k] == 2000 && nl->node_y[k] == 0);
    TS_CHECK(nl->res_line[0] == 3 && nl->cur_b[0] == -1);
    TS_CHECK(ts_em_netlist_find(nl, "0") == -1);
    ts_em_netlist_destroy(nl);
}

static void expect_error(const char *text, int line, const char *what)
{
    ts_em_netlist *nl = NULL;
    TS_CHECK_ERR(ts_em_netlist_parse(text, "bad.sp", &nl), TS_ERR_PARSE);
    TS_CHECK(nl == NULL);
    char where[32];
    snprintf(where, sizeof where, "bad.sp:%d:", line);
    TS_CHECK_MSG(strstr(ts_error_message(), where) != NULL, "message '%s' lacks '%s'", ts_error_message(), where);
    TS_CHECK_MSG(strstr(ts_error_message(), what) != NULL, "message '%s' lacks '%s'", ts_error_message(), what);
}

static void test_bad_cards(void)
{
    expect_error("R1 a b 1\nC1 a 0 1p\n", 2, "unknown card 'C1'");
    expect_error("R1 a b 1\n\nR2 a\n", 3, "expected '<name> <node+> <node-> <value>'");
    expect_error("R1 a b 1x\n", 1, "expected a number");
    expect_error("R1 a b 1\nR2 a b -5\n", 2, "positive resistance");
    expect_error("R1 a b 0\n", 1, "positive resistance");
    expect_error("R1 a b 1 2\n", 1, "extra field");
    expect_error("R1 a a 1\n", 1, "both terminals");
    expect_error("R1 a b 1\n+ 2\n", 2, "continuation");
    expect_error("I1 a 0 abc\n", 1, "expected a number");
}

static void test_no_resistors(void)
{
    ts_em_netlist *nl = NULL;
    TS_CHECK_ERR(ts_em_netlist_parse("* empty\n.end\n", "empty.sp", &nl), TS_ERR_PARSE);
    TS_CHECK_ERR(ts_em_netlist_read("/nonexistent/grid.sp", &nl), TS_ERR_IO);
}

/* A large synthetic grid reads quickly and consistently. */
static void test_large(void)
{
    char *text = NULL;
    TS_CHECK_OK(ts_em_grid_synth(40, 500, 300, 40000, 7, &text));
    if (!text) return;
    ts_em_netlist *nl = NULL;
    double t0 = ts_time_now();
    TS_CHECK_OK(ts_em_netlist_parse(text, "synth.sp", &nl));
    printf("     synthetic grid: %zu bytes, %d resistors, %d nodes parsed in %.3f s\n", strlen(text),
           nl ? nl->nres : 0, nl ? nl->nnodes : 0, ts_time_now() - t0);
    TS_CHECK(nl && nl->nres > 20000);
    ts_em_netlist_destroy(nl);
    free(text);
}

int main(void)
{
    TS_RUN(test_good_netlist);
    TS_RUN(test_bad_cards);
    TS_RUN(test_no_resistors);
    TS_RUN(test_large);
    return ts_test_summary();
}
