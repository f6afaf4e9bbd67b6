/* Interconnect trees and meshes: the O(N) tree elimination against the
 * CHOLMOD reference path, exact steady states with unequal widths (flux
 * conservation at junctions with w, notes/em.md), a mesh with loops, and
 * atom conservation (∫ w σ dx constant before nucleation). */
#include "ts_test.h"
#include "tinsel/em.h"

/* Steady states of the FV scheme are exact for piecewise-linear σ; after
 * the transient has decayed (BE, dt >> L²/κ) the remaining error is round-off
 * accumulated over the steps: 1e-9 of the stress range. */
#define TOL_STEADY 1e-9
/* Two direct solvers on the same SPD system: 1e-10 relative. */
#define TOL_SOLVER 1e-10

static uint64_t rs = 12345;
static double urand(void)
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return (double)((rs * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

typedef struct {
    int nv, nw, wa[64], wb[64];
    double len[64], wid[64], G[64];
} graph;

/* A random tree of n wires: wire i joins vertex i+1 to a random earlier vertex. */
static void random_tree(graph *g, int n)
{
    g->nv = n + 1;
    g->nw = n;
    for (int i = 0; i < n; i++) {
        g->wa[i] = (int)(urand() * (i + 1));
        g->wb[i] = i + 1;
        if (urand() < 0.5) {
            int t = g->wa[i];
            g->wa[i] = g->wb[i];
            g->wb[i] = t;
        }
        g->len[i] = 10e-6 + 40e-6 * urand();
        g->wid[i] = 0.2e-6 + 2e-6 * urand();
        g->G[i] = 4e13 * (2 * urand() - 1);
    }
}

static void test_tree_vs_sparse(void)
{
    graph g;
    random_tree(&g, 40);
    ts_em_wires w = {g.nv, g.nw, g.wa, g.wb, g.len, g.wid, 20};
    ts_em_fv *a = NULL, *b = NULL;
    TS_CHECK_OK(ts_em_fv_create(&w, 7e-17, 0.0, 0, &a));
    TS_CHECK_OK(ts_em_fv_create(&w, 7e-17, 0.0, 1, &b));
    if (!a || !b) return;
    TS_CHECK(ts_em_fv_is_tree(a));
    TS_CHECK_OK(ts_em_fv_set_G(a, g.G));
    TS_CHECK_OK(ts_em_fv_set_G(b, g.G));
    double smax = 0, d = 0;
    for (int phase = 0; phase < 3; phase++) {
        if (phase == 1) { /* Robin void */
            TS_CHECK_OK(ts_em_fv_set_void(a, 7, 1e-8));
            TS_CHECK_OK(ts_em_fv_set_void(b, 7, 1e-8));
        }
        if (phase == 2) { /* Dirichlet void */
            TS_CHECK_OK(ts_em_fv_set_void(a, 3, 0.0));
            TS_CHECK_OK(ts_em_fv_set_void(b, 3, 0.0));
        }
        for (int k = 0; k < 20; k++) {
            double theta = k % 2 ? 0.5 : 1.0;
            TS_CHECK_OK(ts_em_fv_step(a, 1e6 * (1 + k), theta));
            TS_CHECK_OK(ts_em_fv_step(b, 1e6 * (1 + k), theta));
        }
        for (int q = 0; q < ts_em_fv_npoints(a); q++) {
            double sa = ts_em_fv_sigma(a)[q], sb = ts_em_fv_sigma(b)[q];
            if (fabs(sb) > smax) smax = fabs(sb);
            if (fabs(sa - sb) > d) d = fabs(sa - sb);
        }
    }
    printf("     O(N) tree vs CHOLMOD: max diff %.3g Pa of %.3g Pa\n", d, smax);
    TS_CHECK(d <= TOL_SOLVER * smax);
    ts_em_fv_destroy(a);
    ts_em_fv_destroy(b);
}

/* σ_b - σ_a = -G l on every wire, Σ_e w_e l_e (σ_a + σ_b)/2 = 0. */
static void test_tree_steady_state_with_widths(void)
{
    graph g;
    random_tree(&g, 30);
    double sv[64] = {0};
    int known[64] = {0};
    known[0] = 1;
    for (int pass = 0; pass < g.nw; pass++)
        for (int i = 0; i < g.nw; i++) {
            if (known[g.wa[i]] && !known[g.wb[i]]) {
                sv[g.wb[i]] = sv[g.wa[i]] - g.G[i] * g.len[i];
                known[g.wb[i]] = 1;
            } else if (known[g.wb[i]] && !known[g.wa[i]]) {
                sv[g.wa[i]] = sv[g.wb[i]] + g.G[i] * g.len[i];
                known[g.wa[i]] = 1;
            }
        }
    double num = 0, den = 0;
    for (int i = 0; i < g.nw; i++) {
        num += g.wid[i] * g.len[i] * 0.5 * (sv[g.wa[i]] + sv[g.wb[i]]);
        den += g.wid[i] * g.len[i];
    }
    for (int v = 0; v < g.nv; v++) sv[v] -= num / den;
    ts_em_wires w = {g.nv, g.nw, g.wa, g.wb, g.len, g.wid, 10};
    ts_em_fv *a = NULL;
    TS_CHECK_OK(ts_em_fv_create(&w, 7e-17, 0.0, 0, &a));
    if (!a) return;
    TS_CHECK_OK(ts_em_fv_set_G(a, g.G));
    /* dt ~ 10 L²/κ: the slowest mode decays by ~80 per step, and the
     * condition number of V + dt A stays ~1e6 (round-off ~1e-10) */
    for (int k = 0; k < 60; k++) TS_CHECK_OK(ts_em_fv_step(a, 1e11, 1.0));
    double d = 0, range = 0;
    for (int v = 0; v < g.nv; v++) {
        if (fabs(sv[v]) > range) range = fabs(sv[v]);
        double e = fabs(ts_em_fv_sigma(a)[v] - sv[v]);
        if (e > d) d = e;
    }
    printf("     tree steady state (30 wires, unequal widths): max error %.3g Pa of %.3g Pa\n", d, range);
    TS_CHECK(d <= TOL_STEADY * range);
    ts_em_fv_destroy(a);
}

/* Post-void steady state (the model's far-end compression, docs/em.md
 * "Validity range"): with a Dirichlet void at vertex 0 the flux-free state
 * is ∂σ/∂x = -G on every wire and σ = 0 at the void, so σ_v = -Σ G l
 * along the path from the void — the FV solution must reach it. */
static void test_tree_voided_steady_state(void)
{
    graph g;
    random_tree(&g, 30);
    double sv[64] = {0};
    int known[64] = {0};
    known[0] = 1;
    for (int pass = 0; pass < g.nw; pass++)
        for (int i = 0; i < g.nw; i++) {
            if (known[g.wa[i]] && !known[g.wb[i]]) {
                sv[g.wb[i]] = sv[g.wa[i]] - g.G[i] * g.len[i];
                known[g.wb[i]] = 1;
            } else if (known[g.wb[i]] && !known[g.wa[i]]) {
                sv[g.wa[i]] = sv[g.wb[i]] + g.G[i] * g.len[i];
                known[g.wa[i]] = 1;
            }
        }
    ts_em_wires w = {g.nv, g.nw, g.wa, g.wb, g.len, g.wid, 10};
    ts_em_fv *a = NULL;
    TS_CHECK_OK(ts_em_fv_create(&w, 7e-17, 0.0, 0, &a));
    if (!a) return;
    TS_CHECK_OK(ts_em_fv_set_G(a, g.G));
    TS_CHECK_OK(ts_em_fv_set_void(a, 0, 0.0));
    for (int k = 0; k < 60; k++) TS_CHECK_OK(ts_em_fv_step(a, 1e11, 1.0));
    double d = 0, range = 0;
    for (int v = 0; v < g.nv; v++) {
        if (fabs(sv[v]) > range) range = fabs(sv[v]);
        double e = fabs(ts_em_fv_sigma(a)[v] - sv[v]);
        if (e > d) d = e;
    }
    printf("     voided tree steady state (path sums from the void): max error %.3g Pa of %.3g Pa\n", d, range);
    TS_CHECK(d <= TOL_STEADY * range);
    ts_em_fv_destroy(a);
}

/* A 4x4 vertex mesh (24 wires, 9 loops) driven by a potential field:
 * G = (φ_a - φ_b)/l gives the steady state σ = φ + c. */
static void test_mesh_steady_state(void)
{
    graph g = {0};
    double phi[16];
    for (int v = 0; v < 16; v++) phi[v] = 1e9 * (urand() - 0.5);
    g.nv = 16;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            int v = 4 * r + c;
            if (c < 3) { g.wa[g.nw] = v; g.wb[g.nw] = v + 1; g.nw++; }
            if (r < 3) { g.wa[g.nw] = v + 4; g.wb[g.nw] = v; g.nw++; }
        }
    double num = 0, den = 0;
    for (int i = 0; i < g.nw; i++) {
        g.len[i] = 20e-6 + 20e-6 * urand();
        g.wid[i] = 0.5e-6 + 1e-6 * urand();
        g.G[i] = (phi[g.wa[i]] - phi[g.wb[i]]) / g.len[i];
        num += g.wid[i] * g.len[i] * 0.5 * (phi[g.wa[i]] + phi[g.wb[i]]);
        den += g.wid[i] * g.len[i];
    }
    ts_em_wires w = {g.nv, g.nw, g.wa, g.wb, g.len, g.wid, 8};
    ts_em_fv *a = NULL;
    TS_CHECK_OK(ts_em_fv_create(&w, 7e-17, 0.0, 0, &a));
    if (!a) return;
    TS_CHECK(!ts_em_fv_is_tree(a));
    TS_CHECK_OK(ts_em_fv_set_G(a, g.G));
    for (int k = 0; k < 60; k++) TS_CHECK_OK(ts_em_fv_step(a, 1e10, 1.0));
    double d = 0;
    for (int v = 0; v < 16; v++) {
        double e = fabs(ts_em_fv_sigma(a)[v] - (phi[v] - num / den));
        if (e > d) d = e;
    }
    printf("     mesh steady state (24 wires, 9 loops): max error %.3g Pa of 5e8 Pa\n", d);
    TS_CHECK(d <= TOL_STEADY * 5e8);
    ts_em_fv_destroy(a);
}

/* Atoms are conserved before a void forms: Σ V σ stays 0 (round-off). */
static void test_conservation(void)
{
    graph g;
    random_tree(&g, 25);
    ts_em_wires w = {g.nv, g.nw, g.wa, g.wb, g.len, g.wid, 12};
    ts_em_fv *a = NULL;
    TS_CHECK_OK(ts_em_fv_create(&w, 7e-17, 0.0, 0, &a));
    if (!a) return;
    TS_CHECK_OK(ts_em_fv_set_G(a, g.G));
    double worst = 0, scale = 0;
    for (int k = 0; k < 30; k++) {
        TS_CHECK_OK(ts_em_fv_step(a, 3e6, k % 2 ? 0.5 : 1.0));
        double s = 0, vol = 0;
        for (int i = 0; i < g.nw; i++) vol += g.wid[i] * g.len[i];
        for (int q = 0; q < ts_em_fv_npoints(a); q++)
            if (fabs(ts_em_fv_sigma(a)[q]) > scale) scale = fabs(ts_em_fv_sigma(a)[q]);
        s = ts_em_fv_integral(a) / vol;
        if (fabs(s) > worst) worst = fabs(s);
    }
    printf("     mean stress (should be 0): %.3g Pa with stresses up to %.3g Pa\n", worst, scale);
    TS_CHECK(worst <= 1e-10 * scale);
    ts_em_fv_destroy(a);
}

static void test_bad_geometry(void)
{
    int wa = 0, wb = 1;
    double len = 1e-5, wid = 0.0, neg = -1e-5, okw = 1e-6;
    ts_em_fv *a = NULL;
    ts_em_wires w0 = {2, 1, &wa, &wb, &len, &wid, 10};
    TS_CHECK_ERR(ts_em_fv_create(&w0, 7e-17, 0.0, 0, &a), TS_ERR_RANGE);
    TS_CHECK(strstr(ts_error_message(), "width") != NULL);
    ts_em_wires w1 = {2, 1, &wa, &wb, &neg, &okw, 10};
    TS_CHECK_ERR(ts_em_fv_create(&w1, 7e-17, 0.0, 0, &a), TS_ERR_RANGE);
    TS_CHECK(strstr(ts_error_message(), "length") != NULL);
    TS_CHECK(a == NULL);
}

int main(void)
{
    TS_RUN(test_tree_vs_sparse);
    TS_RUN(test_tree_steady_state_with_widths);
    TS_RUN(test_tree_voided_steady_state);
    TS_RUN(test_mesh_steady_state);
    TS_RUN(test_conservation);
    TS_RUN(test_bad_geometry);
    return ts_test_summary();
}
