/* Private helpers of the `tinsel micro` commands (app/micro_*.c). */
#ifndef TS_MICRO_APP_H
#define TS_MICRO_APP_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "tinsel/core.h"
#include "tinsel/micro.h"

/* Reads a PNG (grey only: colour PNGs are rejected) or TIFF. Caller owns *out. */
int micro_read_image(const char *path, ts_image **out);
/* Grey image -> floats in [0,1] (U8 /255, U16 /65535, F32 as is). Caller frees. */
int micro_read_grey(const char *path, int page, float **img, int *w, int *h);
/* Label image with codes 0..5. Caller frees. */
int micro_read_labels(const char *path, uint8_t **lab, int *w, int *h);
int micro_write_grey_png(const char *path, const float *img, int w, int h);
/* rgb = 0: label codes as 8-bit grey; rgb = 1: colour map of seed Fig. 4d. */
int micro_write_labels_png(const char *path, const uint8_t *lab, int w, int h, int rgb);
/* 4 x 7 mosaic like seed Fig. 2 (cells[l*7+t] may be NULL), unknown cells framed pink. */
int micro_mosaic_png(const char *path, float *const *cells, int w, int h, int cell_px);
int micro_write_condstats(const char *path, const ts_micro_condstat *cs);
int micro_read_condstats(const char *path, ts_micro_condstat *cs);
int micro_cond_name(char *buf, size_t n, int level, double t_h);

/* An index of label images with their condition: CSV with a header naming
 * at least the columns labels, level (PVD..ECD3 or code), time_h (one of the
 * seven ageing times); other columns are ignored (synth.csv of
 * `tinsel micro synth` is such an index).  Relative paths are relative to
 * the index file's folder.  Caller frees *rows. */
typedef struct {
    char file[1024];
    int level, time_index;
} micro_index_row;
int micro_read_index(const char *path, micro_index_row **rows, int *n);

/* Kinetics analysis of one (and optionally a second, "generated") table:
 * writes kinetics.csv, enthalpy.csv, deviation tables and Fig. 6 b-e plots
 * into dir; adds them to rep (may be NULL) with relprefix. */
int micro_kinetics_write(const char *dir, const char *relprefix, ts_report *rep,
                         const ts_micro_condstat *real, const ts_micro_condstat *gen,
                         const char *real_name, const char *gen_name, double T_K, double D0);

#endif
