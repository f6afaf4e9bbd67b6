/* Shared helpers for the md tests: the oracle potentials and golden cells. */
#ifndef TS_MD_TEST_UTIL_H
#define TS_MD_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/md.h"

static const char *const md_test_elements[3] = {"Ag", "Cu", "Sn"};

/* Load potential `key` (agcusn, var1, var2) from tests/oracles/md/potentials. */
static inline int md_test_load_pot(const char *key, ts_md_meam **out)
{
    char lib[1024], par[1024];
    const char *base = strcmp(key, "agcusn") == 0 ? "AgCuSn" : key;
    snprintf(lib, sizeof lib, "%s/tests/oracles/md/potentials/%s.library.meam", TS_SOURCE_DIR, base);
    snprintf(par, sizeof par, "%s/tests/oracles/md/potentials/%s.meam", TS_SOURCE_DIR, base);
    return ts_md_meam_load(lib, par, md_test_elements, 3, out);
}

typedef struct {
    char pot[32];
    int n;
    double energy, pressure[6];
    double *forces; /* [n][3] */
} md_golden;

static inline int md_golden_read(const char *name, md_golden *g)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/tests/md/golden/%s.ref", TS_SOURCE_DIR, name);
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    memset(g, 0, sizeof *g);
    int ok = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        if (!strncmp(line, "potential ", 10)) sscanf(line + 10, "%31s", g->pot);
        else if (!strncmp(line, "natoms ", 7)) g->n = atoi(line + 7);
        else if (!strncmp(line, "energy ", 7)) g->energy = atof(line + 7);
        else if (!strncmp(line, "pressure ", 9))
            sscanf(line + 9, "%lf %lf %lf %lf %lf %lf", &g->pressure[0], &g->pressure[1],
                   &g->pressure[2], &g->pressure[3], &g->pressure[4], &g->pressure[5]);
        else if (!strncmp(line, "forces", 6)) {
            g->forces = malloc((size_t)g->n * 3 * sizeof(double));
            if (!g->forces) break;
            int k = 0;
            for (; k < g->n; k++)
                if (!fgets(line, sizeof line, fp) ||
                    sscanf(line, "%lf %lf %lf", &g->forces[3 * k], &g->forces[3 * k + 1],
                           &g->forces[3 * k + 2]) != 3)
                    break;
            ok = (k == g->n);
        }
    }
    fclose(fp);
    return ok ? 0 : -1;
}

static inline int md_golden_cell(const char *name, ts_md_system **out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/md/golden/%s.data", TS_SOURCE_DIR, name);
    return ts_md_read_lammps_data(path, out);
}

#endif
