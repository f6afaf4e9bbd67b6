/* Choosing one tree of a SPICE netlist for `tinsel em mc --tree` and for the
 * BPINN (`tinsel em bpinn train GRID.sp --void-node NODE`, issue #10 item 6),
 * with the junction model's requirements (ts_em_jmodel_create: a tree
 * without loops, the void at a leaf, at most 4 arms per junction) checked
 * up front so that errors name netlist nodes and lines. Units: SI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "em_mc.h"

int em_tree_pick(ts_em_tree ***list, int *ntrees, const char *path, const char *name)
{
    int keep = -1;
    for (int i = 0; i < *ntrees; i++)
        if (!strcmp((*list)[i]->name, name)) keep = i;
    if (keep < 0) return ts_error_set(TS_ERR_NOTFOUND, "%s: no tree named '%s'", path, name);
    ts_em_tree *k = (*list)[keep];
    (*list)[keep] = NULL;
    ts_em_tree_list_destroy(*list, *ntrees);
    *ntrees = 0;
    *list = calloc(1, sizeof **list);
    if (!*list) {
        ts_em_tree_destroy(k);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    (*list)[0] = k;
    *ntrees = 1;
    return 0;
}

/* The junction model's requirements on tree t of netlist nl, reported with
 * netlist names and lines. */
static int check_junction_model(const ts_em_netlist *nl, const ts_em_tree *t)
{
    if (t->nwire != t->nvert - 1)
        return ts_error_set(TS_ERR_UNSUPPORTED, "%s: tree %s has %d loop(s) (%d wires, %d nodes); the junction model needs a tree",
                            nl->path, t->name, t->nwire - t->nvert + 1, t->nwire, t->nvert);
    int *deg = calloc((size_t)t->nvert, sizeof(int));
    TS_CHECK_ALLOC(deg);
    int rc = 0;
    for (int k = 0; k < t->nwire && !rc; k++) {
        int ends[2] = {t->wa[k], t->wb[k]};
        for (int e = 0; e < 2 && !rc; e++)
            if (++deg[ends[e]] > 4) {
                int r = t->wire_res[k];
                rc = ts_error_set(TS_ERR_UNSUPPORTED,
                                  "%s:%d: resistor '%s' is the 5th wire at node '%s'; the junction model allows at most "
                                  "4 arms per junction (left, up, right, down)",
                                  nl->path, nl->res_line[r], nl->res_names[r], t->vert_name[ends[e]]);
            }
    }
    int v = t->void_vertex;
    if (!rc && deg[v] != 1)
        rc = ts_error_set(TS_ERR_UNSUPPORTED,
                          "%s:%d: void node '%s' joins %d wires of tree %s; the junction model needs the void at a leaf "
                          "(a node with one wire)",
                          nl->path, nl->node_line[t->vert_node[v]], t->vert_name[v], deg[v], t->name);
    free(deg);
    return rc;
}

int em_tree_for_bpinn(const char *path, const char *tree_name, const char *void_node, const ts_em_params *p,
                      const ts_em_options *o, ts_em_tree **out)
{
    *out = NULL;
    ts_em_netlist *nl = NULL;
    ts_em_tree **list = NULL;
    int ntrees = 0;
    int rc = ts_em_netlist_read(path, &nl);
    if (!rc) rc = ts_em_tree_from_netlist(nl, p, o, NULL, &list, &ntrees);
    if (!rc && tree_name) rc = em_tree_pick(&list, &ntrees, path, tree_name);
    else if (!rc && ntrees != 1)
        rc = ts_error_set(TS_ERR_INVAL, "%s: %d trees (first: %s); choose one with --tree NAME", path, ntrees,
                          ntrees ? list[0]->name : "none");
    ts_em_tree *t = rc ? NULL : list[0];
    if (!rc) rc = ts_em_tree_name_vertices(t, nl);
    if (!rc) {
        int node = ts_em_netlist_find(nl, void_node);
        t->void_vertex = -1;
        for (int v = 0; v < t->nvert && node >= 0; v++)
            if (t->vert_node[v] == node) t->void_vertex = v;
        if (node < 0) rc = ts_error_set(TS_ERR_NOTFOUND, "%s: --void-node '%s' is not a node of the netlist", path, void_node);
        else if (t->void_vertex < 0)
            rc = ts_error_set(TS_ERR_NOTFOUND, "%s:%d: --void-node '%s' is not a node of tree %s", path, nl->node_line[node],
                              void_node, t->name);
    }
    if (!rc) rc = check_junction_model(nl, t);
    if (!rc) {
        list[0] = NULL;
        *out = t;
    }
    ts_em_tree_list_destroy(list, ntrees);
    ts_em_netlist_destroy(nl);
    return rc;
}
