/* Interconnect trees from a power-grid netlist (notes/em.md "Inputs"):
 * wires are R cards between nodes of one layer, vias (R cards across
 * layers) are blocking terminals; trees are connected sets of wires, grouped
 * by EMspice's R<net>-<tree>-<branch> names when present, else by
 * connectivity. Loops are allowed (meshes). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

void ts_em_trees_destroy(ts_em_trees *t)
{
    if (!t) return;
    if (t->tree_names)
        for (int i = 0; i < t->ntrees; i++) free(t->tree_names[i]);
    free(t->tree_names);
    free(t->tree_first);
    free(t->tree_wires);
    free(t->tree_layer);
    free(t->tree_loops);
    free(t->wire_tree);
    free(t->wire_len);
    free(t->wire_width);
    free(t->wire_thick);
    free(t);
}

/* Length of the "R<net>-<tree>" prefix if name has the form
 * R<digits>-<digits>-<digits>, else 0. */
static size_t name_group_len(const char *s)
{
    if (s[0] != 'R' && s[0] != 'r') return 0;
    const char *p = s + 1;
    size_t dash2 = 0;
    for (int part = 0; part < 3; part++) {
        const char *q = p;
        while (isdigit((unsigned char)*p)) p++;
        if (p == q) return 0;
        if (part < 2) {
            if (*p != '-') return 0;
            if (part == 1) dash2 = (size_t)(p - s);
            p++;
        }
    }
    return *p == '\0' ? dash2 : 0;
}

static int uf_find(int *par, int x)
{
    while (par[x] != x) {
        par[x] = par[par[x]];
        x = par[x];
    }
    return x;
}

typedef struct {
    const char *s;
    size_t n;
    int wire;
} gkey;

static int gkey_cmp(const void *a, const void *b)
{
    const gkey *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = strncmp(x->s, y->s, n);
    if (c) return c;
    return (x->n > y->n) - (x->n < y->n);
}

int ts_em_trees_build(const ts_em_netlist *nl, const ts_em_params *p, ts_em_tree_rule rule,
                      ts_em_trees **out)
{
    if (!nl || !p || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_trees_build: NULL argument");
    if (!(p->coord_unit > 0) || !(p->thickness > 0) || !(p->thickness_hi > 0) || p->width < 0)
        return ts_error_set(TS_ERR_RANGE, "coord_unit, thickness must be > 0 and width >= 0");
    *out = NULL;
    int nr = nl->nres, nn = nl->nnodes;
    ts_em_trees *t = calloc(1, sizeof *t);
    TS_CHECK_ALLOC(t);
    t->wire_tree = malloc((size_t)nr * sizeof(int));
    t->wire_len = calloc((size_t)nr, sizeof(double));
    t->wire_width = calloc((size_t)nr, sizeof(double));
    t->wire_thick = calloc((size_t)nr, sizeof(double));
    int *group = malloc((size_t)nr * sizeof(int));
    int *par = malloc((size_t)nr * sizeof(int));
    int *deg = calloc((size_t)nn + 1, sizeof(int));
    int *inc = malloc((size_t)2 * nr * sizeof(int) + 1);
    gkey *keys = malloc((size_t)nr * sizeof(gkey) + 1);
    int rc = 0;
    if (!t->wire_tree || !t->wire_len || !t->wire_width || !t->wire_thick || !group || !par || !deg || !inc ||
        !keys) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory building trees");
        goto done;
    }
    /* 1. wires and their geometry */
    int nw = 0, all_named = 1;
    for (int r = 0; r < nr; r++) {
        int a = nl->res_a[r], b = nl->res_b[r];
        t->wire_tree[r] = -1;
        if (a < 0 || b < 0) continue;
        int la = nl->node_layer[a], lb = nl->node_layer[b];
        if (la < 0 || lb < 0 || la != lb) continue; /* via, package or unnamed */
        double dx = (double)(nl->node_x[a] - nl->node_x[b]), dy = (double)(nl->node_y[a] - nl->node_y[b]);
        double len = hypot(dx, dy) * p->coord_unit;
        if (!(len > 0)) {
            rc = ts_error_set(TS_ERR_RANGE, "%s:%d: wire '%s' has zero length (nodes '%s' and '%s' coincide)",
                              nl->path, nl->res_line[r], nl->res_names[r], nl->node_names[a], nl->node_names[b]);
            goto done;
        }
        double th = la <= 3 ? p->thickness : p->thickness_hi;
        double w = p->width > 0 ? p->width : p->rho_cu * len / (nl->res_ohm[r] * th);
        if (!(w > 0) || !isfinite(w)) {
            rc = ts_error_set(TS_ERR_RANGE, "%s:%d: wire '%s' has a non-positive width %g m",
                              nl->path, nl->res_line[r], nl->res_names[r], w);
            goto done;
        }
        t->wire_len[r] = len;
        t->wire_width[r] = w;
        t->wire_thick[r] = th;
        t->wire_tree[r] = 0;
        size_t gl = name_group_len(nl->res_names[r]);
        if (!gl) all_named = 0;
        keys[nw].s = nl->res_names[r];
        keys[nw].n = gl;
        keys[nw].wire = r;
        nw++;
        deg[a]++;
        deg[b]++;
    }
    if (nw == 0) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: no wires (R cards between n<layer>_<x>_<y> nodes of one layer)",
                          nl->path);
        goto done;
    }
    int by_name = rule == TS_EM_TREES_BY_NAME || (rule == TS_EM_TREES_AUTO && all_named);
    if (by_name && !all_named) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: tree rule 'name' needs every wire named R<net>-<tree>-<branch>",
                          nl->path);
        goto done;
    }
    /* 2. name groups */
    for (int r = 0; r < nr; r++) group[r] = 0;
    if (by_name) {
        qsort(keys, (size_t)nw, sizeof *keys, gkey_cmp);
        int g = 0;
        for (int k = 0; k < nw; k++) {
            if (k > 0 && gkey_cmp(&keys[k - 1], &keys[k]) != 0) g++;
            group[keys[k].wire] = g;
        }
    }
    /* 3. incidence (CSR) and union of wires sharing a node within a group */
    {
        int s = 0;
        for (int k = 0; k < nn; k++) {
            int d = deg[k];
            deg[k] = s;
            s += d;
        }
        deg[nn] = s;
        int *fill = malloc((size_t)nn * sizeof(int) + 1);
        if (!fill) {
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(fill, deg, (size_t)nn * sizeof(int));
        for (int r = 0; r < nr; r++) {
            par[r] = r;
            if (t->wire_tree[r] < 0) continue;
            inc[fill[nl->res_a[r]]++] = r;
            inc[fill[nl->res_b[r]]++] = r;
        }
        free(fill);
        for (int k = 0; k < nn; k++)
            for (int i = deg[k]; i < deg[k + 1]; i++)
                for (int j = deg[k]; j < i; j++) {
                    int r1 = inc[i], r2 = inc[j];
                    if (group[r1] != group[r2]) continue;
                    int x = uf_find(par, r1), y = uf_find(par, r2);
                    if (x != y) par[x] = y;
                    break; /* one union per earlier wire of the same group suffices */
                }
    }
    /* 4. number the components in order of first wire */
    int *root_id = malloc((size_t)nr * sizeof(int));
    if (!root_id) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int r = 0; r < nr; r++) root_id[r] = -1;
    int ntr = 0;
    for (int r = 0; r < nr; r++) {
        if (t->wire_tree[r] < 0) continue;
        int x = uf_find(par, r);
        if (root_id[x] < 0) root_id[x] = ntr++;
        t->wire_tree[r] = root_id[x];
    }
    free(root_id);
    t->ntrees = ntr;
    t->tree_first = calloc((size_t)ntr + 1, sizeof(int));
    t->tree_wires = malloc((size_t)nw * sizeof(int));
    t->tree_layer = malloc((size_t)ntr * sizeof(int));
    t->tree_loops = calloc((size_t)ntr, sizeof(int));
    t->tree_names = calloc((size_t)ntr, sizeof(char *));
    int *nverts = calloc((size_t)ntr, sizeof(int));
    if (!t->tree_first || !t->tree_wires || !t->tree_layer || !t->tree_loops || !t->tree_names || !nverts) {
        free(nverts);
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int r = 0; r < nr; r++)
        if (t->wire_tree[r] >= 0) t->tree_first[t->wire_tree[r] + 1]++;
    for (int i = 0; i < ntr; i++) t->tree_first[i + 1] += t->tree_first[i];
    {
        int *fill = malloc((size_t)ntr * sizeof(int) + 1);
        if (!fill) {
            free(nverts);
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(fill, t->tree_first, (size_t)ntr * sizeof(int));
        for (int r = 0; r < nr; r++)
            if (t->wire_tree[r] >= 0) t->tree_wires[fill[t->wire_tree[r]]++] = r;
        free(fill);
    }
    /* vertices per tree: a node belongs to every tree of its wires */
    for (int k = 0; k < nn; k++) {
        for (int i = deg[k]; i < deg[k + 1]; i++) {
            int tr = t->wire_tree[inc[i]], seen = 0;
            for (int j = deg[k]; j < i; j++)
                if (t->wire_tree[inc[j]] == tr) seen = 1;
            if (!seen) nverts[tr]++;
        }
    }
    int *sub = calloc((size_t)ntr, sizeof(int));
    if (!sub) {
        free(nverts);
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < ntr; i++) {
        int r0 = t->tree_wires[t->tree_first[i]];
        int nwi = t->tree_first[i + 1] - t->tree_first[i];
        t->tree_layer[i] = nl->node_layer[nl->res_a[r0]];
        t->tree_loops[i] = nwi - nverts[i] + 1;
        char buf[96];
        if (by_name) {
            size_t gl = name_group_len(nl->res_names[r0]);
            /* count earlier trees with the same group (split groups) */
            int k = 0;
            for (int j = 0; j < i; j++) {
                int r1 = t->tree_wires[t->tree_first[j]];
                if (group[r1] == group[r0]) k++;
            }
            sub[i] = k;
            if (k == 0) snprintf(buf, sizeof buf, "%.*s", (int)(gl < 80 ? gl : 80), nl->res_names[r0]);
            else snprintf(buf, sizeof buf, "%.*s#%d", (int)(gl < 80 ? gl : 80), nl->res_names[r0], k);
        } else {
            snprintf(buf, sizeof buf, "L%d-%d", t->tree_layer[i], i);
        }
        t->tree_names[i] = malloc(strlen(buf) + 1);
        if (!t->tree_names[i]) {
            free(sub);
            free(nverts);
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        strcpy(t->tree_names[i], buf);
    }
    free(sub);
    free(nverts);
done:
    free(group);
    free(par);
    free(deg);
    free(inc);
    free(keys);
    if (rc) {
        ts_em_trees_destroy(t);
        return rc;
    }
    *out = t;
    return 0;
}
