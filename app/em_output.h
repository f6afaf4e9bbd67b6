/* Output writers shared by `tinsel em analyze` and the em demo. */
#ifndef TS_APP_EM_OUTPUT_H
#define TS_APP_EM_OUTPUT_H

#include <stdio.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

/* Writes trees.csv, history.csv, nodes.csv, node_stress.h5 and the PNG plots
 * into dir (atomically, file by file); registers them with rep when rep is
 * not NULL (paths prefixed with relprefix). */
int em_write_outputs(const char *dir, const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_result *r,
                     ts_report *rep, const char *relprefix);
/* One-screen summary. */
void em_print_summary(FILE *fp, const ts_em_netlist *nl, const ts_em_trees *tr, const ts_em_result *r);

#endif
