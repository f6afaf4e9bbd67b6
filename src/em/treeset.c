/* Tree problems for the stochastic studies (issue #10): single interconnect
 * trees with mean current densities, from a netlist (DC solve, notes/em.md
 * "Inputs") or generated like the seed's Table I trees (seed 003 Sec. V:
 * 50-250 segments of 10-50 µm, 1 µm wide, j in 5e8-5e9 A/m^2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

int ts_em_tree_alloc(int nvert, int nwire, ts_em_tree **out)
{
    *out = NULL;
    if (nvert < 2 || nwire < 1) return ts_error_set(TS_ERR_RANGE, "tree: need >= 2 vertices and >= 1 wire");
    ts_em_tree *t = calloc(1, sizeof *t);
    TS_CHECK_ALLOC(t);
    t->nvert = nvert;
    t->nwire = nwire;
    t->void_vertex = -1;
    t->wa = calloc((size_t)nwire, sizeof(int));
    t->wb = calloc((size_t)nwire, sizeof(int));
    t->len = calloc((size_t)nwire, sizeof(double));
    t->width = calloc((size_t)nwire, sizeof(double));
    t->j_mean = calloc((size_t)nwire, sizeof(double));
    t->res_ohm = calloc((size_t)nwire, sizeof(double));
    if (!t->wa || !t->wb || !t->len || !t->width || !t->j_mean || !t->res_ohm) {
        ts_em_tree_destroy(t);
        return ts_error_set(TS_ERR_NOMEM, "out of memory for a tree of %d wires", nwire);
    }
    *out = t;
    return 0;
}

void ts_em_tree_destroy(ts_em_tree *t)
{
    if (!t) return;
    free(t->wa);
    free(t->wb);
    free(t->len);
    free(t->width);
    free(t->j_mean);
    free(t->res_ohm);
    free(t->vert_node);
    free(t->wire_res);
    if (t->vert_name)
        for (int v = 0; v < t->nvert; v++) free(t->vert_name[v]);
    free(t->vert_name);
    free(t);
}

void ts_em_tree_list_destroy(ts_em_tree **list, int n)
{
    if (!list) return;
    for (int i = 0; i < n; i++) ts_em_tree_destroy(list[i]);
    free(list);
}

static int set_names(ts_em_tree *t, const char *const *names)
{
    char **nm = calloc((size_t)t->nvert, sizeof(char *));
    int rc = nm ? 0 : ts_error_set(TS_ERR_NOMEM, "out of memory");
    for (int v = 0; v < t->nvert && !rc; v++) {
        nm[v] = malloc(strlen(names[v]) + 1);
        if (nm[v]) strcpy(nm[v], names[v]);
        else rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    if (rc) {
        for (int v = 0; nm && v < t->nvert; v++) free(nm[v]);
        free(nm);
        return rc;
    }
    if (t->vert_name)
        for (int v = 0; v < t->nvert; v++) free(t->vert_name[v]);
    free(t->vert_name);
    t->vert_name = nm;
    return 0;
}

int ts_em_tree_name_vertices(ts_em_tree *t, const ts_em_netlist *nl)
{
    if (!t->vert_node) return ts_error_set(TS_ERR_INVAL, "tree %s does not come from a netlist", t->name);
    const char **names = malloc((size_t)t->nvert * sizeof(char *));
    TS_CHECK_ALLOC(names);
    int rc = 0;
    for (int v = 0; v < t->nvert && !rc; v++) {
        int k = t->vert_node[v];
        if (k < 0 || k >= nl->nnodes) rc = ts_error_set(TS_ERR_INVAL, "tree %s: vertex %d is not a node of %s", t->name, v, nl->path);
        else names[v] = nl->node_names[k];
    }
    if (!rc) rc = set_names(t, names);
    free(names);
    return rc;
}

int ts_em_tree_copy(const ts_em_tree *t, ts_em_tree **out)
{
    TS_TRY(ts_em_tree_alloc(t->nvert, t->nwire, out));
    ts_em_tree *c = *out;
    size_t ni = (size_t)t->nwire * sizeof(int), nd = (size_t)t->nwire * sizeof(double);
    memcpy(c->wa, t->wa, ni);
    memcpy(c->wb, t->wb, ni);
    memcpy(c->len, t->len, nd);
    memcpy(c->width, t->width, nd);
    memcpy(c->j_mean, t->j_mean, nd);
    memcpy(c->res_ohm, t->res_ohm, nd);
    c->void_vertex = t->void_vertex;
    memcpy(c->name, t->name, sizeof c->name);
    int rc = t->vert_name ? set_names(c, (const char *const *)t->vert_name) : 0;
    if (rc) {
        ts_em_tree_destroy(c);
        *out = NULL;
    }
    return rc;
}

int ts_em_tree_find_vertex(const ts_em_tree *t, const char *name)
{
    for (int v = 0; t->vert_name && v < t->nvert; v++)
        if (!strcmp(t->vert_name[v], name)) return v;
    return -1;
}

int ts_em_tree_generate(int nseg, uint64_t seed, double h_wire, const ts_em_params *p, ts_em_tree **out)
{
    *out = NULL;
    if (nseg < 1 || nseg > 10000000) return ts_error_set(TS_ERR_RANGE, "generated tree: 1 <= segments <= 1e7, got %d", nseg);
    if (!(h_wire > 0)) return ts_error_set(TS_ERR_RANGE, "generated tree: wire thickness must be > 0");
    ts_em_tree *t;
    TS_TRY(ts_em_tree_alloc(nseg + 1, nseg, &t));
    int *deg = calloc((size_t)nseg + 1, sizeof(int));
    ts_rng *r = ts_rng_create(seed, 0x7ee5u);
    if (!deg || !r) {
        free(deg);
        ts_rng_destroy(r);
        ts_em_tree_destroy(t);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    /* vertex 0 is a leaf (the void end); its one arm is segment 0 */
    for (int k = 0; k < nseg; k++) {
        int parent;
        if (k == 0) parent = 0;
        else
            do parent = 1 + (int)ts_rng_uint(r, (uint64_t)k); /* vertices 1..k */
            while (deg[parent] >= 4);
        int child = k + 1;
        deg[parent]++;
        deg[child]++;
        double L = 10e-6 + 40e-6 * ts_rng_uniform(r);
        double jm = 5e8 + 4.5e9 * ts_rng_uniform(r);
        if (ts_rng_uniform(r) < 0.5) jm = -jm;
        t->wa[k] = parent;
        t->wb[k] = child;
        t->len[k] = L;
        t->width[k] = 1e-6;
        t->j_mean[k] = jm;
        t->res_ohm[k] = p->rho_cu * L / (1e-6 * h_wire);
    }
    t->void_vertex = 0;
    snprintf(t->name, sizeof t->name, "gen%d-s%llu", nseg, (unsigned long long)seed);
    free(deg);
    ts_rng_destroy(r);
    *out = t;
    return 0;
}

int ts_em_tree_from_netlist(const ts_em_netlist *nl, const ts_em_params *p, const ts_em_options *o,
                            ts_em_trees **trees_out, ts_em_tree ***out, int *ntrees)
{
    *out = NULL;
    *ntrees = 0;
    if (trees_out) *trees_out = NULL;
    ts_em_dc *dc = NULL;
    ts_em_trees *tr = NULL;
    int rc = ts_em_dc_create(nl, o->current_scale, &dc);
    if (!rc) rc = ts_em_dc_solve(dc, NULL);
    if (!rc) rc = ts_em_trees_build(nl, p, o->rule, &tr);
    if (rc) {
        ts_em_dc_destroy(dc);
        return rc;
    }
    const double *I = ts_em_dc_currents(dc);
    ts_em_tree **list = calloc((size_t)tr->ntrees + 1, sizeof *list);
    int *local = malloc((size_t)nl->nnodes * sizeof(int) + 1);
    if (!list || !local) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    for (int k = 0; !rc && k < nl->nnodes; k++) local[k] = -1;
    for (int i = 0; !rc && i < tr->ntrees; i++) {
        int nw = tr->tree_first[i + 1] - tr->tree_first[i];
        const int *wires = tr->tree_wires + tr->tree_first[i];
        int *vnode = malloc((size_t)(2 * nw) * sizeof(int));
        ts_em_tree *t = NULL;
        if (!vnode) {
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            break;
        }
        /* same local vertex numbering as ts_em_analyze */
        int nv = 0;
        for (int k = 0; k < nw; k++) {
            int r = wires[k], ends[2] = {nl->res_a[r], nl->res_b[r]};
            for (int e = 0; e < 2; e++)
                if (local[ends[e]] < 0) {
                    local[ends[e]] = nv;
                    vnode[nv++] = ends[e];
                }
        }
        rc = ts_em_tree_alloc(nv, nw, &t);
        for (int k = 0; !rc && k < nw; k++) {
            int r = wires[k];
            t->wa[k] = local[nl->res_a[r]];
            t->wb[k] = local[nl->res_b[r]];
            t->len[k] = tr->wire_len[r];
            t->width[k] = tr->wire_width[r];
            t->j_mean[k] = I[r] / (tr->wire_width[r] * tr->wire_thick[r]);
            t->res_ohm[k] = nl->res_ohm[r];
        }
        for (int v = 0; v < nv; v++) local[vnode[v]] = -1;
        if (!rc) {
            t->vert_node = malloc((size_t)nv * sizeof(int));
            t->wire_res = malloc((size_t)nw * sizeof(int));
            if (!t->vert_node || !t->wire_res) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            else {
                memcpy(t->vert_node, vnode, (size_t)nv * sizeof(int));
                memcpy(t->wire_res, wires, (size_t)nw * sizeof(int));
            }
        }
        free(vnode);
        if (!rc) snprintf(t->name, sizeof t->name, "%s", tr->tree_names[i]);
        list[i] = t;
    }
    free(local);
    ts_em_dc_destroy(dc);
    if (rc) {
        ts_em_tree_list_destroy(list, tr->ntrees);
        ts_em_trees_destroy(tr);
        return rc;
    }
    *ntrees = tr->ntrees;
    *out = list;
    if (trees_out) *trees_out = tr;
    else ts_em_trees_destroy(tr);
    return 0;
}
