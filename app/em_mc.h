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
void em_mc_print_summary(FILE *fp, ts_em_tree *const *list, int ntrees, const ts_em_mc_result *r);

#endif
