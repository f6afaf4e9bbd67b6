/* Private to the xct commands (app/engine_xct.c, app/xct_study.c). */
#ifndef TS_XCT_APP_H
#define TS_XCT_APP_H

#include <stdint.h>

#include "cli.h"
#include "tinsel/xct.h"

typedef struct {
    int nx, nz, layers, pitch1;      /* phantom cross-section (voxels) */
    double voxel_nm, energy_kev;
    const char *angles;              /* numbers of angles swept at the widest range */
    const char *ranges;              /* half ranges (deg) swept at n_fixed angles */
    long n_fixed;                    /* angles for the range sweep (seed: N* = 29) */
    double range_max;                /* half range for the angle sweep (deg) */
    const char *algos;               /* comma list: fbp,art,sirt,sart,tv */
    long sirt_iters, sart_iters, art_iters, tv_iters, tv_inner;
    double tv_weight;                /* in the image unit (mrad per voxel) */
    double noise;                    /* Gaussian sd relative to the largest projection */
    uint64_t seed;
} xct_study_cfg;

void xct_study_defaults(xct_study_cfg *c);
/* Runs the study into outdir (exists); registers files with rep if rep != NULL
 * (paths prefixed by relprefix). Writes study.csv and PNG plots. */
int xct_study_run(const xct_study_cfg *c, const char *outdir, ts_report *rep,
                  const char *relprefix);

/* Helpers shared by the commands */
/* Writes a float image [h][w] as an 8-bit PNG scaled to [lo, hi] (lo == hi: data range). */
int xct_write_png(const char *path, const float *v, int w, int h, double lo, double hi);
/* Parses a comma list of numbers into *out (malloc'd); *n entries. */
int xct_parse_list(const char *s, double **out, int *n);

#endif
