/* Slow validation: the default `tinsel xct study` (10 configurations x 5
 * algorithms, 178 x 178, about a minute) reproduces the classical behaviour
 * seed 001 reports (Figs. 3, 5, 6): at 29 angles every method's PCC falls as
 * the range shrinks from +-70 to +-10 deg; FBP is the worst method in every
 * configuration; the TV prior is the best one at +-30, +-17 and +-10 deg.
 * Numbers of a run are listed in docs/xct.md. */
#include <sys/wait.h>

#include "ts_test.h"

#define BIN TS_BINARY_DIR "/tinsel"

static void test_default_study(void)
{
    char *dir = ts_test_tmpdir("xct_study_slow");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, BIN " xct study --quiet --out %s/st > /dev/null 2>&1", dir);
    int rc = system(cmd);
    TS_CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/st/study.csv", dir);
    FILE *f = fopen(path, "r");
    TS_CHECK(f != NULL);
    if (!f) return;
    /* pcc[algo][range index] at 29 angles; ranges 70, 50, 30, 17, 10 */
    static const char *names[5] = {"fbp", "art", "sirt", "sart", "tv"};
    static const double ranges[5] = {70, 50, 30, 17, 10};
    double pcc[5][5];
    int seen = 0;
    char line[1024];
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    double worst_gap = 1e9; /* min over configs of (best other - fbp) */
    double cfg_pcc[16][5];
    int ncfg = 0, cur_n = -1;
    double cur_r = -1;
    while (fgets(line, sizeof line, f)) {
        char alg[16];
        int na;
        double r, ps, ss, ms, p;
        if (sscanf(line, "%15[^,],%d,%lf,%lf,%lf,%lf,%lf", alg, &na, &r, &ps, &ss, &ms, &p) != 7) continue;
        int a = -1;
        for (int k = 0; k < 5; k++)
            if (strcmp(alg, names[k]) == 0) a = k;
        if (a < 0) continue;
        if (na != cur_n || r != cur_r) {
            cur_n = na;
            cur_r = r;
            ncfg++;
        }
        if (ncfg <= 16) cfg_pcc[ncfg - 1][a] = p;
        if (na == 29)
            for (int k = 0; k < 5; k++)
                if (fabs(r - ranges[k]) < 1e-9) {
                    pcc[a][k] = p;
                    seen++;
                }
    }
    fclose(f);
    TS_CHECK(seen == 25);
    TS_CHECK(ncfg == 10);
    if (seen != 25 || ncfg != 10) return;
    for (int a = 0; a < 5; a++)
        for (int k = 1; k < 5; k++)
            TS_CHECK_MSG(pcc[a][k] < pcc[a][k - 1], "%s: PCC at +-%g (%g) not below +-%g (%g)", names[a],
                         ranges[k], pcc[a][k], ranges[k - 1], pcc[a][k - 1]);
    for (int c = 0; c < ncfg; c++)
        for (int a = 1; a < 5; a++) {
            TS_CHECK(cfg_pcc[c][a] > cfg_pcc[c][0]);
            worst_gap = fmin(worst_gap, cfg_pcc[c][a] - cfg_pcc[c][0]);
        }
    for (int k = 2; k < 5; k++)
        for (int a = 0; a < 4; a++)
            TS_CHECK_MSG(pcc[4][k] > pcc[a][k], "+-%g: tv %g not above %s %g", ranges[k], pcc[4][k],
                         names[a], pcc[a][k]);
    printf("29 angles, PCC at +-70 / +-10: fbp %.3f/%.3f art %.3f/%.3f sirt %.3f/%.3f sart %.3f/%.3f "
           "tv %.3f/%.3f; smallest margin over FBP %.3f\n", pcc[0][0], pcc[0][4], pcc[1][0], pcc[1][4],
           pcc[2][0], pcc[2][4], pcc[3][0], pcc[3][4], pcc[4][0], pcc[4][4], worst_gap);
    free(dir);
}

int main(void)
{
    TS_RUN(test_default_study);
    return ts_test_summary();
}
