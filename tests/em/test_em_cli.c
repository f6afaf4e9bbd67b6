/* Command line: bad input gives a clear error, a non-zero exit and no
 * output folder; `segment` with both methods agrees (issue #3 items 7, 9). */
#include <sys/stat.h>
#include <sys/wait.h>

#include "ts_test.h"

static int run(const char *args, char *out, size_t n)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/tinsel %s 2>&1", TS_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t k = 0;
    int c;
    while ((c = fgetc(p)) != EOF)
        if (k + 1 < n) out[k++] = (char)c;
    out[k] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int dir_exists(const char *d)
{
    struct stat s;
    return stat(d, &s) == 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_bad_inputs(void)
{
    char *d = ts_test_tmpdir("em_cli");
    if (!d) return;
    const char *cases[][2] = {
        {"R1 n1_0_0 n1_10_0 1\nQ7 n1_0_0 0 1\n", "bad.sp:2: unknown card 'Q7'"},
        {"V1 n1_0_0 0 1\nR1 n1_0_0 n1_10_0 1\nI1 n1_5_5 0 1m\n", "bad.sp:3: dangling node 'n1_5_5'"},
        {"V1 n1_0_0 0 1\nR1 n1_0_0 n1_10_0 1\nR2 n1_20_0 n1_30_0 1\n", "singular grid"},
        {"V1 n1_0_0 0 1\nR1 n1_0_0 n1_10_0 -1\n", "bad.sp:2: resistor 'R1': expected a positive resistance"},
    };
    for (int i = 0; i < 4; i++) {
        char sp[512], out[512], args[2048], buf[8192];
        snprintf(sp, sizeof sp, "%s/bad.sp", d);
        snprintf(out, sizeof out, "%s/out%d", d, i);
        write_file(sp, cases[i][0]);
        snprintf(args, sizeof args, "em analyze %s --out %s --quiet", sp, out);
        int rc = run(args, buf, sizeof buf);
        TS_CHECK_MSG(rc != 0, "case %d exit %d", i, rc);
        TS_CHECK_MSG(strstr(buf, cases[i][1]) != NULL, "case %d: output '%s' lacks '%s'", i, buf, cases[i][1]);
        TS_CHECK_MSG(!dir_exists(out), "case %d left %s", i, out);
    }
    /* a zero wire width from the configuration */
    char ini[512], sp[512], out[512], args[3072], buf[8192];
    snprintf(ini, sizeof ini, "%s/w.ini", d);
    snprintf(sp, sizeof sp, "%s/ok.sp", d);
    snprintf(out, sizeof out, "%s/outw", d);
    write_file(ini, "[geometry]\nwidth = -1e-6\n");
    write_file(sp, "V1 n1_0_0 0 1\nR1 n1_0_0 n1_1000_0 1\nI1 n1_1000_0 0 1m\n");
    snprintf(args, sizeof args, "em analyze %s --config %s --out %s --quiet", sp, ini, out);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK_MSG(strstr(buf, "width") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em analyze %s --years 0.01 --out %s --quiet", sp, out);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    char f[1200];
    snprintf(f, sizeof f, "%s/trees.csv", out);
    TS_CHECK(dir_exists(f));
    snprintf(f, sizeof f, "%s/node_stress.h5", out);
    TS_CHECK(dir_exists(f));
    free(d);
}

static void test_segment_methods_agree(void)
{
    static char a[1 << 16], b[1 << 16];
    TS_CHECK(run("em segment --method fdm --t 1e8 --ncell 100 --quiet", a, sizeof a) == 0);
    TS_CHECK(run("em segment --method closed-form --t 1e8 --ncell 100 --quiet", b, sizeof b) == 0);
    char *pa = strchr(a, '\n'), *pb = strchr(b, '\n');
    double worst = 0, range = 0;
    int n = 0;
    while (pa && pb) {
        double xa, sa, xb, sb;
        if (sscanf(pa + 1, "%lf,%lf", &xa, &sa) != 2 || sscanf(pb + 1, "%lf,%lf", &xb, &sb) != 2) break;
        TS_CHECK_CLOSE(xa, xb, 1e-15, 1e-12);
        if (fabs(sa - sb) > worst) worst = fabs(sa - sb);
        if (fabs(sb) > range) range = fabs(sb);
        n++;
        pa = strchr(pa + 1, '\n');
        pb = strchr(pb + 1, '\n');
    }
    printf("     segment fdm vs closed-form: %d points, max diff %.3g Pa of %.3g Pa\n", n, worst, range);
    TS_CHECK(n == 101);
    TS_CHECK(worst < 1e-4 * 2 * range);
}

/* `em mc` and `em bpinn`: usage errors exit 2, bad inputs fail without an
 * output folder, small runs write their tables (issue #10). */
static void test_mc_bpinn_cli(void)
{
    char *d = ts_test_tmpdir("em_cli_mc");
    if (!d) return;
    char out[512], args[3072], buf[8192], sp[512], f[1200];
    snprintf(out, sizeof out, "%s/mc", d);
    TS_CHECK(run("em mc --quiet", buf, sizeof buf) == 2);
    snprintf(args, sizeof args, "em mc --gen-segments 5 --samples 0 --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em mc --gen-segments 5 --void-at 99 --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK_MSG(strstr(buf, "void") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em mc --gen-segments 5 --sigma-j -0.1 --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK_MSG(strstr(buf, "sigma_j") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(sp, sizeof sp, "%s/bad.sp", d);
    write_file(sp, "V1 n1_0_0 0 1\nR1 n1_0_0 n1_10_0 1\nQ7 x 0 1\n");
    snprintf(args, sizeof args, "em mc %s --out %s --quiet", sp, out);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK_MSG(strstr(buf, "bad.sp:3") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em mc --gen-segments 8 --samples 4 --nodes 2,99 --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK_MSG(strstr(buf, "'99'") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em mc --gen-segments 8 --samples 8 --nout 4 --nodes 2,5 --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(f, sizeof f, "%s/mc_nodes.csv", out);
    TS_CHECK(dir_exists(f));
    snprintf(f, sizeof f, "%s/mc_stress.png", out);
    TS_CHECK(dir_exists(f));
    /* --vary physical: grids only; bad sigma fails; a small grid runs */
    snprintf(out, sizeof out, "%s/mcp", d);
    snprintf(args, sizeof args, "em mc --gen-segments 5 --vary physical --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    snprintf(args, sizeof args, "em mc --gen-segments 5 --vary kirchhoff --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    snprintf(sp, sizeof sp, "%s/two.sp", d);
    write_file(sp, "V1 n1_0_0 0 1\nR1 n1_0_0 n1_20000_0 0.5\nR2 n1_20000_0 n1_40000_0 0.5\nI1 n1_40000_0 0 0.02\n");
    snprintf(args, sizeof args, "em mc %s --vary physical --sigma-load -1 --out %s --quiet", sp, out);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK_MSG(strstr(buf, "sigma_load") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em mc %s --vary physical --sigma-w 0.1 --samples 4 --nout 4 --out %s --quiet", sp, out);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(f, sizeof f, "%s/mc_nodes.csv", out);
    TS_CHECK(dir_exists(f));
    /* bpinn */
    char model[600], pout[512];
    snprintf(out, sizeof out, "%s/bp", d);
    snprintf(pout, sizeof pout, "%s/bpp", d);
    snprintf(args, sizeof args, "em bpinn predict %s/none.safetensors --out %s --quiet", d, pout);
    TS_CHECK(run(args, buf, sizeof buf) != 0);
    TS_CHECK(!dir_exists(pout));
    TS_CHECK(run("em bpinn fly --quiet", buf, sizeof buf) == 2);
    snprintf(args, sizeof args, "em bpinn train --gen-segments 4 --K 4 --adam-steps 20 --burnin 2 --samples 2 --out %s --quiet", out);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(model, sizeof model, "%s/model.safetensors", out);
    TS_CHECK(dir_exists(model));
    snprintf(args, sizeof args, "em bpinn predict %s --draws 4 --compare --out %s --quiet", model, pout);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(f, sizeof f, "%s/calibration.csv", pout);
    TS_CHECK(dir_exists(f));
    /* --nodes on a generated tree: vertex indices, optionally labelled */
    snprintf(args, sizeof args, "em bpinn predict %s --draws 4 --nodes 1,v2=2 --out %s/bpn --quiet", model, d);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(f, sizeof f, "%s/bpn/node_v2.png", d);
    TS_CHECK(dir_exists(f));
    snprintf(args, sizeof args, "em bpinn predict %s --draws 4 --nodes n1_0_0 --out %s/bpn2 --quiet", model, d);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "'n1_0_0' is not a vertex index") != NULL, "output '%s'", buf);
    snprintf(f, sizeof f, "%s/bpn2", d);
    TS_CHECK(!dir_exists(f));
    /* standardised inputs: trained, saved, reloaded and predicted; bad value is a usage error */
    snprintf(args, sizeof args, "em bpinn train --gen-segments 4 --K 4 --adam-steps 20 --burnin 2 --samples 2 --inputs foo --out %s/bz --quiet", d);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    snprintf(args, sizeof args, "em bpinn train --gen-segments 4 --K 4 --adam-steps 20 --burnin 2 --samples 2 --inputs zscore --out %s/bz --quiet", d);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(args, sizeof args, "em bpinn predict %s/bz/model.safetensors --draws 4 --compare --out %s/bzp --quiet", d, d);
    TS_CHECK(run(args, buf, sizeof buf) == 0);
    snprintf(f, sizeof f, "%s/bzp/calibration.csv", d);
    TS_CHECK(dir_exists(f));
    free(d);
}

/* Line (1-based) of the first line of path that contains s, or -1. */
static int first_line_with(const char *path, const char *s)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    int n = 0, found = -1;
    while (fp && found < 0 && fgets(line, sizeof line, fp)) {
        n++;
        if (line[0] != '*' && strstr(line, s)) found = n;
    }
    if (fp) fclose(fp);
    return found;
}

/* `em bpinn train TREE.sp --void-node NODE [--tree NAME]` and `predict
 * --nodes` (issue #10 item 6): usage errors exit 2; a tree the junction
 * model cannot take fails with file:line and no output folder; the
 * 10-segment example trains and predicts with node names in the outputs. */
static void test_bpinn_tree_cli(void)
{
    char *d = ts_test_tmpdir("em_cli_tree");
    if (!d) return;
    char sp[1024], out[512], args[4096], buf[8192], f[1200], want[512];
    snprintf(sp, sizeof sp, "%s/tests/em/data/tree10.sp", TS_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/bp", d);
    const char *fast = "--K 4 --adam-steps 20 --burnin 2 --samples 2";
    /* usage: the netlist needs --void-node; not both tree sources; --tree/--void-node only with a netlist */
    snprintf(args, sizeof args, "em bpinn train %s %s --out %s --quiet", sp, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    snprintf(args, sizeof args, "em bpinn train %s --gen-segments 4 --void-node n1_0_0 %s --out %s --quiet", sp, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    snprintf(args, sizeof args, "em bpinn train --gen-segments 4 --tree R1-1 %s --out %s --quiet", fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 2);
    TS_CHECK(!dir_exists(out));
    /* bad void nodes: unknown, and a junction of 4 arms (file:line of its first mention) */
    snprintf(args, sizeof args, "em bpinn train %s --void-node n9_9_9 %s --out %s --quiet", sp, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "'n9_9_9' is not a node of the netlist") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(args, sizeof args, "em bpinn train %s --void-node n1_30000_0 %s --out %s --quiet", sp, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    snprintf(want, sizeof want, "tree10.sp:%d: void node 'n1_30000_0' joins 4 wires", first_line_with(sp, "n1_30000_0 "));
    TS_CHECK_MSG(strstr(buf, want) != NULL, "output '%s' lacks '%s'", buf, want);
    TS_CHECK(!dir_exists(out));
    /* five arms at one node, a loop, two trees */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/star.sp", d);
    write_file(bad, "V1 n1_0_0 0 1\nR1 n1_0_0 n1_10000_0 0.5\nR2 n1_10000_0 n1_20000_0 0.5\nR3 n1_10000_0 n1_10000_10000 0.5\n"
                    "R4 n1_10000_0 n1_10000_-10000 0.5\nR5 n1_10000_0 n1_20000_10000 0.7\nI1 n1_20000_0 0 1m\n");
    snprintf(args, sizeof args, "em bpinn train %s --void-node n1_0_0 %s --out %s --quiet", bad, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "star.sp:6: resistor 'R5' is the 5th wire at node 'n1_10000_0'") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(bad, sizeof bad, "%s/loop.sp", d);
    write_file(bad, "V1 n1_0_0 0 1\nR1 n1_0_0 n1_10000_0 0.5\nR2 n1_10000_0 n1_20000_0 0.5\nR3 n1_20000_0 n1_10000_10000 0.5\n"
                    "R4 n1_10000_10000 n1_10000_0 0.5\nI1 n1_20000_0 0 1m\n");
    snprintf(args, sizeof args, "em bpinn train %s --void-node n1_0_0 %s --out %s --quiet", bad, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "has 1 loop(s)") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    snprintf(bad, sizeof bad, "%s/two.sp", d);
    write_file(bad, "V1 n1_0_0 0 1\nR1 n1_0_0 n1_10000_0 0.5\nI1 n1_10000_0 0 1m\n"
                    "V2 n1_50000_0 0 1\nR2 n1_50000_0 n1_60000_0 0.5\nI2 n1_60000_0 0 1m\n");
    snprintf(args, sizeof args, "em bpinn train %s --void-node n1_0_0 %s --out %s --quiet", bad, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "choose one with --tree") != NULL, "output '%s'", buf);
    snprintf(args, sizeof args, "em bpinn train %s --tree nope --void-node n1_0_0 %s --out %s --quiet", bad, fast, out);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "no tree named 'nope'") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(out));
    /* the 10-segment tree: train, then the Fig.-4 outputs with node names */
    snprintf(args, sizeof args, "em bpinn train %s --tree R1-1 --void-node n1_0_0 %s --out %s --quiet", sp, fast, out);
    TS_CHECK_MSG(run(args, buf, sizeof buf) == 0, "output '%s'", buf);
    char pout[600];
    snprintf(pout, sizeof pout, "%s/bpp", d);
    snprintf(args, sizeof args, "em bpinn predict %s/model.safetensors --draws 4 --nodes 1=n1_0_0,2=n1_30000_0,9=n1_9_9 --out %s --quiet",
             out, pout);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "'n1_9_9' is not a node of tree R1-1") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(pout));
    snprintf(args, sizeof args, "em bpinn predict %s/model.safetensors --draws 4 --nodes 1=n1_0_0,1=n1_30000_0 --out %s --quiet", out, pout);
    TS_CHECK(run(args, buf, sizeof buf) == 1);
    TS_CHECK_MSG(strstr(buf, "label '1' given twice") != NULL, "output '%s'", buf);
    TS_CHECK(!dir_exists(pout));
    snprintf(args, sizeof args, "em bpinn predict %s/model.safetensors --draws 4 --nodes 1=n1_0_0,2=n1_30000_0,n1_75000_0 --out %s --quiet",
             out, pout);
    TS_CHECK_MSG(run(args, buf, sizeof buf) == 0, "output '%s'", buf);
    const char *files[] = {"node_1.png", "node_2.png", "node_n1_75000_0.png", "node_errors.csv", "calibration.csv"};
    for (int i = 0; i < 5; i++) {
        snprintf(f, sizeof f, "%s/%s", pout, files[i]);
        TS_CHECK_MSG(dir_exists(f), "missing %s", f);
    }
    snprintf(f, sizeof f, "%s/nodes.csv", pout);
    FILE *fp = fopen(f, "r");
    char line[512] = "";
    TS_CHECK(fp && fgets(line, sizeof line, fp));
    TS_CHECK_MSG(strstr(line, "label,node,time_s,bpinn_mean_Pa") == line, "header '%s'", line);
    TS_CHECK(fp && fgets(line, sizeof line, fp));
    TS_CHECK_MSG(strstr(line, "1,n1_0_0,0,") == line, "first row '%s'", line);
    if (fp) fclose(fp);
    free(d);
}

int main(void)
{
    TS_RUN(test_bad_inputs);
    TS_RUN(test_mc_bpinn_cli);
    TS_RUN(test_bpinn_tree_cli);
    TS_RUN(test_segment_methods_agree);
    return ts_test_summary();
}
