/* em benchmark (issue #3 item 8). Built by tests/em/CMakeLists.txt as
 * build/tests/em/bench_em; run through bench/em/run.sh, which also runs the
 * SciPy anchor on the same tree and prints the ratios.
 *
 *   bench_em [--sigma REL] [--samples N] [--dump FILE] [--armcore FILE]
 *
 * 1. a random 250-segment tree, 20 grid nodes per branch (19 cells): time
 *    per implicit step (BE and CN, O(N) tree elimination and CHOLMOD);
 * 2. Monte Carlo: N samples (default 30) of branch current densities drawn
 *    from normal distributions (means 5e8..5e9 A/m^2, sd = REL x mean),
 *    100 BE steps to 1e8 s each; mean and sd of the peak stress;
 * 3. armcore (EMspice's ARM grid) analysed over 10 years;
 * 4. an IBM-class synthetic grid (about 30k resistors, about 1000 trees of
 *    1 to >1000 segments, some with loops) over 10 years.
 * Units: SI. Timings are wall-clock (ts_time_now). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

#define NSEG 250
#define NCELL 19

static uint64_t rs = 20240521;
static double urand(void)
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return (double)((rs * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static double nrand(void)
{
    double u = urand() + 1e-300, v = urand();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

int main(int argc, char **argv)
{
    double rel = 0.1;
    int samples = 30;
    const char *dump = NULL, *armcore = "examples/em/armcore.sp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sigma")) rel = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--samples")) samples = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--dump")) dump = argv[i + 1];
        else if (!strcmp(argv[i], "--armcore")) armcore = argv[i + 1];
    }
    ts_progress_set_quiet(1);
    ts_em_params p;
    ts_em_params_default(&p);
    double kappa = ts_em_kappa(&p);
    /* 1. random tree, 10-50 um segments, 1 um wide (seed 003 section V) */
    int wa[NSEG], wb[NSEG];
    double len[NSEG], wid[NSEG], jm[NSEG], G[NSEG];
    for (int i = 0; i < NSEG; i++) {
        wa[i] = (int)(urand() * (i + 1));
        wb[i] = i + 1;
        len[i] = 10e-6 + 40e-6 * urand();
        wid[i] = 1e-6;
        jm[i] = (5e8 + 4.5e9 * urand()) * (urand() < 0.5 ? -1 : 1);
        G[i] = ts_em_G(&p, jm[i]);
    }
    ts_em_wires w = {NSEG + 1, NSEG, wa, wb, len, wid, NCELL};
    if (dump) {
        FILE *f = fopen(dump, "w");
        if (!f) return 1;
        fprintf(f, "# wa wb len_m width_m G_Pa_per_m ; ncell %d kappa %.17g\n", NCELL, kappa);
        for (int i = 0; i < NSEG; i++) fprintf(f, "%d %d %.17g %.17g %.17g\n", wa[i], wb[i], len[i], wid[i], G[i]);
        fclose(f);
    }
    const char *names[3] = {"BE, O(N) tree", "CN, O(N) tree", "BE, CHOLMOD (cached factor)"};
    for (int v = 0; v < 3; v++) {
        ts_em_fv *fv = NULL;
        if (ts_em_fv_create(&w, kappa, 0, v == 2, &fv) || ts_em_fv_set_G(fv, G)) {
            fprintf(stderr, "%s\n", ts_error_message());
            return 1;
        }
        int nsteps = 2000;
        double t0 = ts_time_now();
        for (int k = 0; k < nsteps; k++)
            if (ts_em_fv_step(fv, 1e5, v == 1 ? 0.5 : 1.0)) return 1;
        double per = (ts_time_now() - t0) / nsteps;
        printf("tree250 %-28s %6d points: %.3g ms per step\n", names[v], ts_em_fv_npoints(fv), per * 1e3);
        ts_em_fv_destroy(fv);
    }
    /* 2. Monte Carlo */
    double t0 = ts_time_now(), s1 = 0, s2 = 0;
    for (int smp = 0; smp < samples; smp++) {
        for (int i = 0; i < NSEG; i++) G[i] = ts_em_G(&p, jm[i] * (1 + rel * nrand()));
        ts_em_fv *fv = NULL;
        if (ts_em_fv_create(&w, kappa, 0, 0, &fv) || ts_em_fv_set_G(fv, G)) return 1;
        for (int k = 0; k < 100; k++)
            if (ts_em_fv_step(fv, 1e6, 1.0)) return 1;
        double mx = -INFINITY;
        for (int q = 0; q < ts_em_fv_npoints(fv); q++) mx = fmax(mx, ts_em_fv_sigma(fv)[q]);
        s1 += mx;
        s2 += mx * mx;
        ts_em_fv_destroy(fv);
    }
    double mc = ts_time_now() - t0, mean = s1 / samples;
    printf("mc250   %d samples (sd %.0f %% of each mean), 100 BE steps each: %.3f s; peak stress %.4g +- %.3g MPa\n",
           samples, 100 * rel, mc, mean * 1e-6, sqrt(fmax(0, s2 / samples - mean * mean)) * 1e-6);
    printf("        seed 003 Table I, 250 segments: EMSpice MC 3656 s, BPINN 57.1 s\n");
    /* 3. armcore */
    ts_em_netlist *nl = NULL;
    if (ts_em_netlist_read(armcore, &nl) == 0) {
        ts_em_options o;
        ts_em_options_default(&o);
        o.current_scale = 0.4;
        ts_em_result *r = NULL;
        t0 = ts_time_now();
        ts_em_dc *dc = NULL;
        if (ts_em_dc_create(nl, 0.4, &dc) || ts_em_dc_solve(dc, NULL)) return 1;
        double tdc = ts_time_now() - t0;
        ts_em_dc_destroy(dc);
        t0 = ts_time_now();
        if (ts_em_analyze(nl, &p, &o, NULL, &r)) {
            fprintf(stderr, "%s\n", ts_error_message());
            return 1;
        }
        printf("armcore DC solve (CHOLMOD): %.3g ms; analysis 10 years: %.3f s (%ld tree-steps, %ld points)\n",
               tdc * 1e3, ts_time_now() - t0, r->steps, r->points);
        ts_em_result_destroy(r);
        ts_em_netlist_destroy(nl);
    } else {
        printf("armcore: %s (skipped)\n", ts_error_message());
    }
    /* 4. IBM-class synthetic grid */
    char *text = NULL;
    if (ts_em_grid_synth(20, 1500, 60, 40000, 11, &text)) return 1;
    nl = NULL;
    t0 = ts_time_now();
    if (ts_em_netlist_parse(text, "ibm-class.sp", &nl)) return 1;
    double tparse = ts_time_now() - t0;
    free(text);
    ts_em_options o;
    ts_em_options_default(&o);
    ts_em_result *r = NULL;
    t0 = ts_time_now();
    if (ts_em_analyze(nl, &p, &o, NULL, &r)) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    double tan = ts_time_now() - t0;
    int mn = 1 << 30, mx = 0, loops = 0, nv = 0;
    for (int i = 0; i < r->ntrees; i++) {
        mn = r->nseg[i] < mn ? r->nseg[i] : mn;
        mx = r->nseg[i] > mx ? r->nseg[i] : mx;
        loops += r->loops[i] > 0;
        nv += isfinite(r->t_nuc[i]) != 0;
    }
    printf("ibm-class grid: %d resistors, %d trees (%d..%d segments, %d with loops), %ld points; parse %.3f s, "
           "analysis 10 years %.3f s (%ld tree-steps), %d voids\n",
           nl->nres, r->ntrees, mn, mx, loops, r->points, tparse, tan, r->steps, nv);
    ts_em_result_destroy(r);
    ts_em_netlist_destroy(nl);
    return 0;
}
