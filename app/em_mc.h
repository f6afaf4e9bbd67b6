/* `tinsel em mc` and `tinsel em bpinn`: the stochastic EM commands (issue #10). */
#ifndef TS_APP_EM_MC_H
#define TS_APP_EM_MC_H

#include "tinsel/core.h"
#include "tinsel/em.h"

/* Resolve [material] [geometry] [failure] (and [solver] when o != NULL)
 * from cfg (engine_em.c). */
int em_config_params(ts_config *c, ts_em_params *p, ts_em_options *o);

int em_cmd_mc(int argc, char **argv);
int em_cmd_bpinn(int argc, char **argv);
/* MC outputs: mc_nodes.csv, mc_trees.csv, mc_samples.csv, mc_convergence.csv,
 * mc_stress.png (mean ± std over time, seed Fig. 4), mc_ttf.png; registered
 * with rep (paths prefixed with relprefix) when rep is not NULL. */
int em_mc_write(const char *dir, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r, ts_report *rep,
                const char *relprefix);
/* The same with the plotted vertices chosen (global vertex indices of r,
 * at most 8; nsel = 0: the four most stressed). */
int em_mc_write_sel(const char *dir, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r, ts_report *rep,
                    const char *relprefix, const int *sel, int nsel);
/* Keep only the tree named name of (*list)[*ntrees] (path for messages);
 * *list is replaced by a one-element list. */
int em_tree_pick(ts_em_tree ***list, int *ntrees, const char *path, const char *name);
/* The tree for the BPINN from netlist path: tree_name (NULL: the netlist
 * must hold exactly one tree), the void at node void_node, vertex names set;
 * checks the junction model's requirements (no loops, void at a leaf,
 * <= 4 arms per node) with file:line messages. Caller owns *out. */
int em_tree_for_bpinn(const char *path, const char *tree_name, const char *void_node, const ts_em_params *p,
                      const ts_em_options *o, ts_em_tree **out);
/* `em bpinn predict --nodes`: chosen nodes (LABEL=NODE or NODE; netlist
 * node names for trees from a netlist, vertex indices otherwise). */
#define EM_MAX_NODES 8
typedef struct {
    char label[64], node[128];
    int vertex;
} em_node_sel;
/* Mean and std [K+1][nvert] of the BPINN (b*), the FV MC (f*) and the
 * exact-flux-oracle MC (o*) on the same draws (borrowed). */
typedef struct {
    const double *bm, *bs, *fm, *fs, *om, *os;
} em_node_stats;
int em_bpinn_parse_nodes(const char *spec, const ts_em_tree *t, em_node_sel *sel, int *nsel);
/* nodes.csv, node_errors.csv (RMSE over t_n > 0 of the mean / range and of
 * the std / smax) and node_<label>.png into run; prints the error table. */
int em_bpinn_write_nodes(ts_run *run, const ts_em_tree *t, const em_node_sel *sel, int nsel, int K, double dt,
                         const em_node_stats *st, double range, double smax);
void em_mc_print_summary(FILE *fp, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r);

#endif
