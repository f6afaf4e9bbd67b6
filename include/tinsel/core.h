/* tinsel core: errors, logging, progress, random streams, configuration,
 * run folders, atomic output, CSV, PNG/TIFF/VTK/HDF5 and plots.
 *
 * Conventions (ARCHITECTURE.md):
 *   - functions return int: 0 (TS_OK) or a negative ts_status code;
 *     the reason is recorded with ts_error_set() and read with ts_error_message();
 *   - every function that returns memory says who owns it;
 *   - *_destroy() accepts NULL.
 * Units: none here (core is unit-free).
 */
#ifndef TINSEL_CORE_H
#define TINSEL_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TS_VERSION_MAJOR 0
#define TS_VERSION_MINOR 1
#define TS_VERSION_PATCH 0
#define TS_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define TS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TS_PRINTF(a, b)
#endif

/* ------------------------------------------------------------------ errors */

typedef enum {
    TS_OK = 0,
    TS_ERR_NOMEM = -1,       /* allocation failed */
    TS_ERR_INVAL = -2,       /* invalid argument (caller error) */
    TS_ERR_IO = -3,          /* file could not be opened, read or written */
    TS_ERR_PARSE = -4,       /* malformed input file (file:line in message) */
    TS_ERR_NOTFOUND = -5,    /* file, key, dataset or name not found */
    TS_ERR_FORMAT = -6,      /* unsupported or inconsistent file format */
    TS_ERR_RANGE = -7,       /* value out of its allowed range */
    TS_ERR_CONVERGE = -8,    /* iterative method did not converge */
    TS_ERR_SINGULAR = -9,    /* singular or ill-posed system */
    TS_ERR_UNSUPPORTED = -10,/* option combination not supported */
    TS_ERR_INTERRUPTED = -11,/* run stopped (signal); checkpoint kept */
    TS_ERR_NUMERIC = -12,    /* NaN/Inf or loss of accuracy detected */
    TS_ERR_USAGE = -13,      /* command-line usage error (exit status 2) */
    TS_ERR_COUNT_ = -14
} ts_status;

/* Static English message for a code ("out of memory", ...). Never NULL. */
const char *ts_strerror(int code);

/* Record an error for this thread: code, the C source location and a
 * formatted reason (for input errors the reason starts with "path:line: ").
 * Returns code, so library code can write `return ts_error_set(...)`. */
int ts_error_set_at(const char *src_file, int src_line, int code,
                    const char *fmt, ...) TS_PRINTF(4, 5);
#define ts_error_set(code, ...) ts_error_set_at(__FILE__, __LINE__, (code), __VA_ARGS__)

/* The last recorded reason for this thread ("" if none). Borrowed; valid
 * until the next ts_error_set/clear on this thread. */
const char *ts_error_message(void);
/* Source location "src/core/ini.c:42" of the last error ("" if none). */
const char *ts_error_where(void);
/* Code of the last error (TS_OK if none). */
int ts_error_code(void);
void ts_error_clear(void);

/* Check an allocation: on NULL records TS_ERR_NOMEM and returns it. */
#define TS_CHECK_ALLOC(p)                                                      \
    do {                                                                       \
        if ((p) == NULL)                                                       \
            return ts_error_set(TS_ERR_NOMEM, "out of memory allocating %s", #p); \
    } while (0)
/* Propagate a non-zero status. */
#define TS_TRY(expr)                                                           \
    do {                                                                       \
        int ts_try_rc_ = (expr);                                               \
        if (ts_try_rc_ != 0) return ts_try_rc_;                                \
    } while (0)

/* ------------------------------------------------------------------ logging */

typedef enum { TS_LOG_ERROR = 0, TS_LOG_WARN, TS_LOG_INFO, TS_LOG_DEBUG } ts_log_level;

/* Process-wide level (default INFO). Messages go to stderr. */
void ts_log_set_level(ts_log_level level);
ts_log_level ts_log_get_level(void);
void ts_log(ts_log_level level, const char *fmt, ...) TS_PRINTF(2, 3);
#define ts_log_error(...) ts_log(TS_LOG_ERROR, __VA_ARGS__)
#define ts_log_warn(...) ts_log(TS_LOG_WARN, __VA_ARGS__)
#define ts_log_info(...) ts_log(TS_LOG_INFO, __VA_ARGS__)
#define ts_log_debug(...) ts_log(TS_LOG_DEBUG, __VA_ARGS__)

/* ----------------------------------------------------------------- progress */

/* A progress reporter on stderr: a bar with rate and ETA on a terminal,
 * a plain line every `interval` seconds otherwise, nothing when quiet.
 * Thread-safe: update may be called from any thread. */
typedef struct ts_progress ts_progress;

/* Process-wide quiet switch (set by --quiet). */
void ts_progress_set_quiet(int quiet);
int ts_progress_is_quiet(void);

/* total: work units (steps, samples, ...); unit: their name ("step").
 * Returns NULL only on allocation failure (then progress is simply not shown). */
ts_progress *ts_progress_create(const char *label, double total, const char *unit);
/* done: units completed so far; note: short status text (may be NULL). */
void ts_progress_update(ts_progress *p, double done, const char *note);
/* Finishes the line and frees. Accepts NULL. */
void ts_progress_destroy(ts_progress *p);

/* ------------------------------------------------------------ random streams */

/* A reproducible stream: the same (seed, stream) gives the same numbers on
 * every machine and thread count. Use stream = thread or sample index.
 * Backed by GSL's mt19937 seeded through splitmix64(seed, stream). */
typedef struct ts_rng ts_rng;

ts_rng *ts_rng_create(uint64_t seed, uint64_t stream); /* caller owns; NULL on OOM */
void ts_rng_destroy(ts_rng *r);
double ts_rng_uniform(ts_rng *r);                    /* [0, 1) */
double ts_rng_uniform_pos(ts_rng *r);                /* (0, 1) */
double ts_rng_normal(ts_rng *r, double mean, double sd);
uint64_t ts_rng_uint(ts_rng *r, uint64_t n);         /* [0, n), n >= 1 */
double ts_rng_poisson(ts_rng *r, double mean);       /* Poisson deviate as double */
/* The underlying gsl_rng* (as void* to keep GSL out of this header);
 * borrowed. Use it for any gsl_ran_* distribution. */
void *ts_rng_gsl(ts_rng *r);

/* ------------------------------------------------------------ configuration */

/* INI run files (libinih). Getters record the value they used (including
 * the default) so the resolved configuration can be written to run.ini;
 * ts_config_check_unknown() then rejects any key no getter asked for,
 * with "path:line: unknown key". */
typedef struct ts_config ts_config;

ts_config *ts_config_create(void);                       /* empty; caller owns */
int ts_config_load(const char *path, ts_config **out);   /* caller owns *out */
/* Same, from an open stream; name is used in messages ("name:line: ..."). */
int ts_config_load_stream(FILE *fp, const char *name, ts_config **out);
void ts_config_destroy(ts_config *c);
/* Set or override a value (from the command line: origin "command line"). */
int ts_config_set(ts_config *c, const char *section, const char *key, const char *value);
int ts_config_has(const ts_config *c, const char *section, const char *key);

/* Typed getters. If the key is absent, *out = def. Bad values give
 * TS_ERR_PARSE with "path:line: [section] key: expected ..., got '...'".
 * Range checks are inclusive; pass -INFINITY/INFINITY (or LONG_MIN/MAX) to skip. */
int ts_config_get_double(ts_config *c, const char *section, const char *key,
                         double def, double min, double max, double *out);
int ts_config_get_long(ts_config *c, const char *section, const char *key,
                       long def, long min, long max, long *out);
int ts_config_get_bool(ts_config *c, const char *section, const char *key,
                       int def, int *out);
/* *out is borrowed from c (valid until c is destroyed). */
int ts_config_get_string(ts_config *c, const char *section, const char *key,
                         const char *def, const char **out);
/* One of choices[0..n-1]; *out = index. */
int ts_config_get_choice(ts_config *c, const char *section, const char *key,
                         const char *def, const char *const *choices, int n, int *out);
/* Comma/space separated doubles; *out malloc'd (caller frees), *n its length. */
int ts_config_get_doubles(ts_config *c, const char *section, const char *key,
                          const char *def, double **out, size_t *n);

/* Error for the first key in `section` (or any section if NULL) that no
 * getter asked for. Sections never asked for at all are also errors. */
int ts_config_check_unknown(const ts_config *c);
/* Write the resolved configuration (every value used, defaults included). */
int ts_config_write(const ts_config *c, FILE *fp);

/* ------------------------------------------------------------ atomic output */

/* Write to "<path>.tmp.<pid>", then rename onto path on commit; abort (or
 * destroy without commit) removes the temporary: no partial files. */
typedef struct ts_afile ts_afile;

int ts_afile_open(const char *path, ts_afile **out); /* caller owns *out */
FILE *ts_afile_fp(ts_afile *f);                      /* borrowed */
const char *ts_afile_tmp_path(const ts_afile *f);    /* for libraries that open by name */
int ts_afile_commit(ts_afile *f);                    /* closes, renames, frees */
void ts_afile_abort(ts_afile *f);                    /* closes, removes, frees; NULL ok */

/* Helpers for libraries that write by file name (libtiff, HDF5, PLplot):
 * tmp = ts_tmp_path(path) (caller frees); write tmp; ts_tmp_commit(tmp, path). */
char *ts_tmp_path(const char *path);
int ts_tmp_commit(const char *tmp, const char *path); /* rename; removes tmp on failure */

/* mkdir -p; error if it exists and is not a writable directory. */
int ts_mkdir_p(const char *dir);
/* Join dir and name into a malloc'd path (caller frees); NULL on OOM. */
char *ts_path_join(const char *dir, const char *name);
int ts_file_exists(const char *path);

/* --------------------------------------------------------------- run folders */

/* A run folder: created (mkdir -p) and checked writable; run.ini written on
 * ts_run_finish() with [run] version, git revision, command, seed, date and
 * the resolved configuration. */
typedef struct ts_run ts_run;

int ts_run_create(const char *dir, const char *command, uint64_t seed, ts_run **out);
const char *ts_run_dir(const ts_run *r);            /* borrowed */
uint64_t ts_run_seed(const ts_run *r);
/* malloc'd "<dir>/<name>" (caller frees); NULL on OOM. */
char *ts_run_path(const ts_run *r, const char *name);
/* Writes run.ini atomically; cfg may be NULL. */
int ts_run_write_ini(const ts_run *r, const ts_config *cfg);
void ts_run_destroy(ts_run *r);
/* Git revision of the source tree tinsel was built from ("unknown" if none). */
const char *ts_git_revision(void);

/* ------------------------------------------------------------------- report */

/* The demo report: each engine adds the files it wrote (paths relative to
 * the report's folder) and short text; written as index.md. */
typedef struct ts_report ts_report;

int ts_report_create(const char *dir, ts_report **out);
void ts_report_destroy(ts_report *r);
int ts_report_section(ts_report *r, const char *title);
int ts_report_text(ts_report *r, const char *fmt, ...) TS_PRINTF(2, 3);
/* relpath: relative to the report folder; kind "table", "plot", "image", "field", "data". */
int ts_report_file(ts_report *r, const char *relpath, const char *kind, const char *desc);
int ts_report_write(ts_report *r); /* index.md, atomically */

/* ---------------------------------------------------------------------- CSV */

typedef struct ts_csv ts_csv;

/* Columns named with units, e.g. "time_s". Written atomically on close. */
int ts_csv_open(const char *path, int ncols, const char *const *header, ts_csv **out);
int ts_csv_cell_d(ts_csv *c, double v);       /* %.17g (round-trips) */
int ts_csv_cell_i(ts_csv *c, long v);
int ts_csv_cell_s(ts_csv *c, const char *s);  /* quoted if needed */
int ts_csv_end_row(ts_csv *c);                /* error if cell count != ncols */
int ts_csv_row_d(ts_csv *c, const double *v); /* ncols doubles + end_row */
int ts_csv_close(ts_csv *c);                  /* commit; frees */
void ts_csv_abort(ts_csv *c);                 /* no file; frees; NULL ok */

/* Read a numeric CSV with one header line: *data row-major [nrows][ncols]
 * (malloc'd, caller frees), *names malloc'd array of malloc'd strings
 * (free with ts_strv_free). */
int ts_csv_read(const char *path, char ***names, int *ncols, double **data, size_t *nrows);
void ts_strv_free(char **v, int n);

/* ------------------------------------------------------------------- images */

typedef enum { TS_U8 = 1, TS_U16 = 2, TS_F32 = 4 } ts_dtype;

/* A stack of grey images: data[page][row][col], row-major, contiguous,
 * owned by the image. */
typedef struct {
    int width, height, pages;
    ts_dtype dtype;
    void *data;
} ts_image;

ts_image *ts_image_create(int width, int height, int pages, ts_dtype dtype); /* zeroed; caller owns */
void ts_image_destroy(ts_image *im);
size_t ts_dtype_size(ts_dtype t);
/* Value at (page, row, col) as double. */
double ts_image_get(const ts_image *im, int page, int row, int col);
/* Convert a float field [h][w] to 8/16-bit by linear map [lo,hi] -> [0,max], clipped.
 * If lo == hi the data range is used. Caller owns the result. */
ts_image *ts_image_from_f32(const float *v, int width, int height, ts_dtype dtype, double lo, double hi);

int ts_png_write(const char *path, const ts_image *im);          /* page 0; U8/U16 */
int ts_png_write_rgb(const char *path, int width, int height, const uint8_t *rgb); /* [h][w][3] */
int ts_png_read(const char *path, ts_image **out);               /* grey U8/U16 (colour -> grey) */
int ts_tiff_write(const char *path, const ts_image *im);         /* all pages; U8/U16/F32 */
int ts_tiff_read(const char *path, ts_image **out);              /* all pages, same size/type */

/* -------------------------------------------------------------------- VTK */

/* Legacy binary VTK STRUCTURED_POINTS with point data, readable by ParaView.
 * fields[k]: [nz][ny][nx] doubles (x fastest). */
int ts_vtk_write_image(const char *path, int nx, int ny, int nz,
                       const double spacing[3], const double origin[3],
                       int nfields, const char *const *names, const double *const *fields);

/* -------------------------------------------------------------------- HDF5 */

/* Shape of a dataset: *rank and dims[0..rank-1] (dims has room for 8). */
int ts_h5_info(const char *path, const char *dataset, int *rank, size_t dims[8]);
/* Read (a hyperslab of) a dataset converted to float / double.
 * start, count: NULL for the whole dataset, else rank entries each.
 * out must hold prod(count) values. */
int ts_h5_read_f32(const char *path, const char *dataset, const size_t *start,
                   const size_t *count, float *out);
int ts_h5_read_f64(const char *path, const char *dataset, const size_t *start,
                   const size_t *count, double *out);

/* A file written atomically: datasets added, then commit. Names with '/'
 * create intermediate groups ("/exchange/data"). */
typedef enum { TS_H5_U8, TS_H5_U16, TS_H5_I32, TS_H5_I64, TS_H5_F32, TS_H5_F64 } ts_h5_type;
typedef struct ts_h5_writer ts_h5_writer;
int ts_h5_writer_open(const char *path, ts_h5_writer **out);
/* data: prod(dims) values of `type`, row-major (last dim fastest). */
int ts_h5_writer_add(ts_h5_writer *w, const char *dataset, ts_h5_type type, int rank,
                     const size_t *dims, const void *data);
/* A string attribute on the root group (provenance, units). */
int ts_h5_writer_attr(ts_h5_writer *w, const char *name, const char *value);
int ts_h5_writer_commit(ts_h5_writer *w); /* closes, renames, frees */
void ts_h5_writer_abort(ts_h5_writer *w); /* NULL ok */

/* ------------------------------------------------------------------- plots */

/* PNG line/scatter plots (PLplot, pngcairo device): white background,
 * colour-blind-safe palette (Okabe-Ito), labelled axes with units, legend.
 * Thread-safe (PLplot calls are serialised). */
typedef struct ts_plot ts_plot;

/* Labels should carry units: "time (s)". Caller owns; NULL on OOM. */
ts_plot *ts_plot_create(const char *title, const char *xlabel, const char *ylabel);
void ts_plot_destroy(ts_plot *p);
void ts_plot_set_log(ts_plot *p, int logx, int logy);
/* Fix an axis range (default: data range with a margin). */
void ts_plot_set_xrange(ts_plot *p, double lo, double hi);
void ts_plot_set_yrange(ts_plot *p, double lo, double hi);
/* Legend corner (default TS_LEGEND_TOP_RIGHT); TS_LEGEND_OUTSIDE puts it right of the axes. */
typedef enum {
    TS_LEGEND_TOP_RIGHT, TS_LEGEND_TOP_LEFT, TS_LEGEND_BOTTOM_RIGHT, TS_LEGEND_BOTTOM_LEFT, TS_LEGEND_OUTSIDE
} ts_legend_pos;
void ts_plot_set_legend(ts_plot *p, ts_legend_pos pos);
/* Series are copied. label may be NULL (no legend entry). */
int ts_plot_line(ts_plot *p, size_t n, const double *x, const double *y, const char *label);
int ts_plot_points(ts_plot *p, size_t n, const double *x, const double *y, const char *label);
/* Points with symmetric y error bars. */
int ts_plot_errorbars(ts_plot *p, size_t n, const double *x, const double *y,
                      const double *yerr, const char *label);
int ts_plot_write_png(const ts_plot *p, const char *path, int width, int height);

/* Heat map of v[ny][nx] (row 0 at the top) with axes and a colour bar.
 * extent = {xmin, xmax, ymin, ymax} in axis units (NULL: pixel indices).
 * vmin == vmax: data range. Colour map: viridis. */
int ts_heatmap_write_png(const char *path, const double *v, int nx, int ny,
                         const double extent[4], double vmin, double vmax,
                         const char *title, const char *xlabel, const char *ylabel,
                         const char *cbar_label);
/* Plain colour-mapped image (no axes), one pixel per value. */
int ts_colormap_write_png(const char *path, const double *v, int nx, int ny,
                          double vmin, double vmax);

/* ---------------------------------------------------------- image metrics */

/* TensorFlow tf.image.ssim for one grey image pair [h][w] (doubles):
 * 11x11 Gaussian (σ 1.5) window, K1 0.01, K2 0.03, VALID filtering.
 * Error if h or w < filter_size.  cs (may be NULL) = mean contrast-structure. */
int ts_ssim(const double *a, const double *b, int w, int h, double max_val,
                  double *ssim, double *cs);

/* TensorFlow tf.image.ssim_multiscale: nscales (1..5) scales with weights
 * (0.0448, 0.2856, 0.3001, 0.2363, 0.1333); for nscales < 5 the first
 * nscales weights renormalised to sum 1 (nscales == 5: TF's weights as
 * they are).  2x2 average pooling with symmetric padding of odd sizes.
 * Error (TS_ERR_RANGE) if the image is too small for nscales. */
int ts_msssim(const double *a, const double *b, int w, int h, double max_val,
                    int nscales, double *msssim);
/* Smallest side that nscales allow with an 11-px window. */
int ts_msssim_min_size(int nscales);

/* ------------------------------------------------------------------- misc */

/* Monotonic wall clock in seconds. */
double ts_time_now(void);
/* Cooperative interruption: set by SIGINT/SIGTERM once ts_signals_install()
 * was called (by the tinsel command). Long loops check it, write a
 * checkpoint and return TS_ERR_INTERRUPTED. */
void ts_signals_install(void);
int ts_interrupted(void);

#ifdef __cplusplus
}
#endif
#endif /* TINSEL_CORE_H */
