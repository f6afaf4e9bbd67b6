/* tinsel xct: phantom, project, recon, study and the demo part.
 * Library: include/tinsel/xct.h; user guide: docs/xct.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xct_app.h"

#define XCT_PI 3.14159265358979323846

/* ------------------------------------------------------------- helpers */

int xct_write_png(const char *path, const float *v, int w, int h, double lo, double hi)
{
    ts_image *im = ts_image_from_f32(v, w, h, TS_U8, lo, hi);
    if (!im) return ts_error_set(TS_ERR_NOMEM, "%s: out of memory", path);
    int rc = ts_png_write(path, im);
    ts_image_destroy(im);
    return rc;
}

int xct_parse_list(const char *s, double **out, int *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 8;
    double *v = malloc(cap * sizeof *v);
    TS_CHECK_ALLOC(v);
    const char *p = s;
    while (p && *p) {
        while (*p == ',' || *p == ' ') p++;
        if (!*p) break;
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x) || (*end && *end != ',' && *end != ' ')) {
            free(v);
            return ts_error_set(TS_ERR_INVAL, "bad number list '%s' (expected e.g. 141,71,29)", s);
        }
        if ((size_t)*n == cap) {
            double *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) {
                free(v);
                return ts_error_set(TS_ERR_NOMEM, "out of memory");
            }
            v = nv;
            cap *= 2;
        }
        v[(*n)++] = x;
        p = end;
    }
    if (*n == 0) {
        free(v);
        return ts_error_set(TS_ERR_INVAL, "empty number list '%s'", s ? s : "");
    }
    *out = v;
    return 0;
}

/* Record the options in a config (section = command) so run.ini holds them. */
static ts_config *opts_config(const char *section, const ts_opt *o, int n)
{
    ts_config *c = ts_config_create();
    if (!c) return NULL;
    for (int i = 0; i < n; i++) {
        char buf[256];
        switch (o[i].type) {
        case TS_OPT_FLAG: snprintf(buf, sizeof buf, "%d", *(int *)o[i].dest); break;
        case TS_OPT_LONG: snprintf(buf, sizeof buf, "%ld", *(long *)o[i].dest); break;
        case TS_OPT_U64: snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(uint64_t *)o[i].dest); break;
        case TS_OPT_DOUBLE: snprintf(buf, sizeof buf, "%.17g", *(double *)o[i].dest); break;
        case TS_OPT_STRING: {
            const char *s = *(const char **)o[i].dest;
            snprintf(buf, sizeof buf, "%s", s ? s : "");
            break;
        }
        }
        const char *dummy;
        if (ts_config_set(c, section, o[i].name, buf) ||
            ts_config_get_string(c, section, o[i].name, buf, &dummy)) {
            ts_config_destroy(c);
            return NULL;
        }
    }
    return c;
}

static int finish_run(ts_run *run, const char *section, const ts_opt *o, int n)
{
    ts_config *c = opts_config(section, o, n);
    if (!c) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    int rc = ts_run_write_ini(run, c);
    ts_config_destroy(c);
    return rc;
}

static int write_stack_tiff(const char *path, const float *v, int w, int h, int pages)
{
    ts_image *im = ts_image_create(w, h, pages, TS_F32);
    if (!im) return ts_error_set(TS_ERR_NOMEM, "%s: out of memory", path);
    memcpy(im->data, v, (size_t)w * h * pages * sizeof(float));
    int rc = ts_tiff_write(path, im);
    ts_image_destroy(im);
    return rc;
}

static int write_in(const ts_run *run, const char *name, const float *v, int w, int h, int pages,
                    int png_page)
{
    char *p = ts_run_path(run, name);
    TS_CHECK_ALLOC(p);
    int rc = write_stack_tiff(p, v, w, h, pages);
    free(p);
    if (rc || png_page < 0) return rc;
    char png[256];
    snprintf(png, sizeof png, "%.*s_%03d.png", (int)(strlen(name) - 4), name, png_page);
    p = ts_run_path(run, png);
    TS_CHECK_ALLOC(p);
    rc = xct_write_png(p, v + (size_t)png_page * w * h, w, h, 0, 0);
    free(p);
    return rc;
}

/* ------------------------------------------------------------- phantom */

static int cmd_phantom(int argc, char **argv)
{
    ts_xct_phantom_params pp;
    ts_xct_phantom_params_default(&pp);
    long nx = pp.nx, ny = pp.ny, nz = pp.nz, layers = pp.layers, pitch = pp.pitch1,
         thick = pp.thick1, via_h = pp.via_height, sub = pp.substrate, con = pp.contact;
    double growth = pp.pitch_growth, via_p = pp.via_prob, cut_p = pp.cut_prob, fill = pp.fill,
           voxel = pp.voxel_nm, energy = pp.energy_kev;
    uint64_t seed = pp.seed;
    const char *out = "xct-phantom";
    ts_opt o[] = {
        {"nx", TS_OPT_LONG, &nx, "N", "voxels along x (lateral, image columns)"},
        {"ny", TS_OPT_LONG, &ny, "N", "voxels along y (rotation axis; one slice each)"},
        {"nz", TS_OPT_LONG, &nz, "N", "voxels along z (depth, image rows)"},
        {"layers", TS_OPT_LONG, &layers, "K", "metal layers M1..MK"},
        {"pitch", TS_OPT_LONG, &pitch, "VOX", "M1 pitch (voxels); line width = pitch/2"},
        {"growth", TS_OPT_DOUBLE, &growth, "G", "pitch growth per layer"},
        {"thick", TS_OPT_LONG, &thick, "VOX", "M1 thickness (voxels), scaled with the pitch"},
        {"via-height", TS_OPT_LONG, &via_h, "VOX", "dielectric gap between layers (voxels)"},
        {"substrate", TS_OPT_LONG, &sub, "VOX", "Si substrate thickness (voxels)"},
        {"contact", TS_OPT_LONG, &con, "VOX", "contact (W plug) layer thickness (voxels)"},
        {"via-prob", TS_OPT_DOUBLE, &via_p, "P", "probability of a via at a crossing"},
        {"cut-prob", TS_OPT_DOUBLE, &cut_p, "P", "probability per pitch of a line cut"},
        {"fill", TS_OPT_DOUBLE, &fill, "F", "fraction of x occupied by the sample"},
        {"voxel-nm", TS_OPT_DOUBLE, &voxel, "NM", "voxel size (nm)"},
        {"energy-kev", TS_OPT_DOUBLE, &energy, "KEV", "X-ray energy (keV), 5 .. 8.97"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos;
    char *pos[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct phantom [options]",
                          "Generates a synthetic IC volume (Si substrate, W contacts, Cu metal layers with "
                          "alternating direction and growing pitch, vias; SiO2 dielectric) and writes "
                          "multi-page float TIFFs (one page per y slice, nz x nx): delta.tif, beta.tif, "
                          "mu.tif (attenuation per voxel = 4 pi beta voxel / lambda), phase.tif (phase "
                          "per voxel = 2 pi delta voxel / lambda, rad), label.tif (1 = metal), and PNG "
                          "previews of the middle slice.",
                          o, no, pos, 0, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    pp.nx = (int)nx; pp.ny = (int)ny; pp.nz = (int)nz; pp.layers = (int)layers;
    pp.pitch1 = (int)pitch; pp.thick1 = (int)thick; pp.via_height = (int)via_h;
    pp.substrate = (int)sub; pp.contact = (int)con; pp.pitch_growth = growth;
    pp.via_prob = via_p; pp.cut_prob = cut_p; pp.fill = fill; pp.voxel_nm = voxel;
    pp.energy_kev = energy; pp.seed = seed;
    if (nx > 4096 || ny > 4096 || nz > 4096 || nx < 1 || ny < 1 || nz < 1)
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "phantom: sizes must be 1 .. 4096"), "xct phantom");
    ts_xct_phantom *ph = NULL;
    if ((rc = ts_xct_phantom_create(&pp, &ph))) return ts_cli_fail(rc, "xct phantom");
    ts_run *run = NULL;
    size_t nv = (size_t)nx * ny * nz;
    float *buf = malloc(nv * sizeof *buf);
    if (!buf) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc) rc = ts_run_create(out, "xct phantom", seed, &run);
    double lambda_nm = 1.23984193 / energy;
    int mid = (int)ny / 2;
    if (!rc) rc = write_in(run, "delta.tif", ph->delta, (int)nx, (int)nz, (int)ny, mid);
    if (!rc) rc = write_in(run, "beta.tif", ph->beta, (int)nx, (int)nz, (int)ny, -1);
    if (!rc) {
        for (size_t i = 0; i < nv; i++) buf[i] = (float)(4 * XCT_PI * ph->beta[i] * voxel / lambda_nm);
        rc = write_in(run, "mu.tif", buf, (int)nx, (int)nz, (int)ny, -1);
    }
    if (!rc) {
        for (size_t i = 0; i < nv; i++) buf[i] = (float)(2 * XCT_PI * ph->delta[i] * voxel / lambda_nm);
        rc = write_in(run, "phase.tif", buf, (int)nx, (int)nz, (int)ny, -1);
    }
    if (!rc) {
        for (size_t i = 0; i < nv; i++) buf[i] = ph->metal[i];
        rc = write_in(run, "label.tif", buf, (int)nx, (int)nz, (int)ny, mid);
    }
    if (!rc) rc = finish_run(run, "xct phantom", o, no);
    if (!rc) {
        size_t metal = 0;
        for (size_t i = 0; i < nv; i++) metal += ph->metal[i];
        printf("phantom %ld x %ld x %ld voxels of %g nm at %g keV: metal fraction %.4f; written to %s\n",
               nx, ny, nz, voxel, energy, (double)metal / nv, out);
    }
    free(buf);
    ts_run_destroy(run);
    ts_xct_phantom_destroy(ph);
    return ts_cli_fail(rc, "xct phantom");
}

/* ------------------------------------------------------------- project */

static int read_stack(const char *path, float **out, int *w, int *h, int *pages)
{
    ts_image *im = NULL;
    TS_TRY(ts_tiff_read(path, &im));
    size_t n = (size_t)im->width * im->height * im->pages;
    float *v = malloc(n * sizeof *v);
    if (!v) {
        ts_image_destroy(im);
        return ts_error_set(TS_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int p = 0; p < im->pages; p++)
        for (int r = 0; r < im->height; r++)
            for (int c = 0; c < im->width; c++)
                v[((size_t)p * im->height + r) * im->width + c] = (float)ts_image_get(im, p, r, c);
    *w = im->width;
    *h = im->height;
    *pages = im->pages;
    ts_image_destroy(im);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            free(v);
            return ts_error_set(TS_ERR_NUMERIC, "%s: value %zu is NaN or infinite", path, i);
        }
    *out = v;
    return 0;
}

static int make_angles(long nang, double lo, double hi, double **theta)
{
    if (nang < 1) return ts_error_set(TS_ERR_INVAL, "empty angle set (--angles %ld)", nang);
    if (!(hi > lo)) return ts_error_set(TS_ERR_INVAL, "angle range: need --theta-hi > --theta-lo");
    *theta = malloc((size_t)nang * sizeof **theta);
    TS_CHECK_ALLOC(*theta);
    /* a full half-turn excludes its endpoint (it repeats the first angle) */
    int endpoint = hi - lo < 180.0 - 1e-9;
    return ts_xct_angles_linspace((int)nang, lo, hi, endpoint, *theta);
}

static int cmd_project(int argc, char **argv)
{
    long nang = 180;
    double lo = 0, hi = 180, i0 = 1e5, scale = 1.0;
    long noise = 1;
    uint64_t seed = 1;
    const char *out = "xct-project";
    ts_opt o[] = {
        {"angles", TS_OPT_LONG, &nang, "N", "number of projection angles"},
        {"theta-lo", TS_OPT_DOUBLE, &lo, "DEG", "first angle (degrees)"},
        {"theta-hi", TS_OPT_DOUBLE, &hi, "DEG", "last angle (degrees; excluded for a 180-degree range)"},
        {"scale", TS_OPT_DOUBLE, &scale, "S", "factor from TIFF values to attenuation per voxel"},
        {"i0", TS_OPT_DOUBLE, &i0, "COUNTS", "incident counts per detector pixel (white field)"},
        {"noise", TS_OPT_LONG, &noise, "0|1", "Poisson noise on the counts"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed of the noise"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (projections.h5)"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos;
    char *pos[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct project VOLUME.tif [options]",
                          "Simulates a parallel-beam absorption scan of a volume (multi-page float TIFF, "
                          "one page per slice, values = attenuation per voxel, e.g. mu.tif from "
                          "`tinsel xct phantom`) with the Joseph projector: counts I = i0 exp(-line "
                          "integral), white and dark fields; writes a DXchange file projections.h5 "
                          "(theta in degrees). Each slice is centred in a square image whose side is its "
                          "diagonal, so that no ray misses the detector.",
                          o, no, pos, 1, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel: xct project: expected one VOLUME.tif (see --help)\n");
        return TS_EXIT_USAGE;
    }
    float *vol = NULL, *img = NULL;
    double *theta = NULL;
    int w = 0, h = 0, pages = 0;
    ts_xct_geom *g = NULL;
    ts_xct_op *op = NULL;
    ts_run *run = NULL;
    char *path = NULL;
    ts_xct_projections P = {0};
    if ((rc = read_stack(pos[0], &vol, &w, &h, &pages))) goto done;
    if ((rc = make_angles(nang, lo, hi, &theta))) goto done;
    int n = (int)ceil(sqrt((double)w * w + (double)h * h)) + 2;
    n += n % 2;
    if ((rc = ts_xct_geom_create(n, n, (int)nang, theta, -1, &g))) goto done;
    if ((rc = ts_xct_op_joseph_create(g, &op))) goto done;
    P.nang = (int)nang;
    P.nrows = pages;
    P.ndet = n;
    P.theta = theta;
    P.sino = malloc((size_t)pages * nang * n * sizeof *P.sino);
    img = calloc((size_t)n * n, sizeof *img);
    if (!P.sino || !img) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    int r0 = (n - h) / 2, c0 = (n - w) / 2;
    for (int p = 0; p < pages && !rc; p++) {
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
                img[(size_t)(r0 + r) * n + c0 + c] = (float)(scale * vol[((size_t)p * h + r) * w + c]);
        rc = op->forward(op, img, P.sino + (size_t)p * nang * n);
    }
    if (rc) goto done;
    if ((rc = ts_run_create(out, "xct project", seed, &run))) goto done;
    path = ts_run_path(run, "projections.h5");
    if (!path) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = ts_xct_dxchange_write(path, &P, i0, (int)noise, seed))) goto done;
    if ((rc = finish_run(run, "xct project", o, no))) goto done;
    printf("projected %d slices of %d x %d at %ld angles (%g .. %g deg) onto %d bins: %s\n", pages, h,
           w, nang, lo, hi, n, path);
done:
    P.theta = NULL;
    free(P.sino);
    free(path);
    ts_run_destroy(run);
    ts_xct_op_destroy(op);
    ts_xct_geom_destroy(g);
    free(img);
    free(vol);
    free(theta);
    return ts_cli_fail(rc, "xct project");
}

/* --------------------------------------------------------------- recon */

typedef struct {
    const char *algo, *filter;
    long iters, tv_inner, pad, row0, nrows, size, find_center, normalize, minus_log, repeat, label;
    double relax, lo, hi, tol, stall, tv_weight, center, search, label_min;
    uint64_t seed;
    const char *out;
} recon_opts;

/* Reconstructs projections.h5-style input; returns 0 and fills *vol, *n. */
static int do_recon(const char *input, const recon_opts *R, ts_run *run, double *center_used,
                    double *t_recon, double *cpu_recon, float **vol_out, int *n_out, int *nslices)
{
    ts_xct_projections P = {0};
    ts_xct_geom *g = NULL;
    float *vol = NULL;
    int rc = ts_xct_dxchange_read(input, (int)R->row0, (int)R->nrows, (int)R->normalize,
                                  (int)R->minus_log, &P);
    if (rc) return rc;
    ts_xct_params p;
    ts_xct_params_default(&p);
    if ((rc = ts_xct_algo_parse(R->algo, &p.algo))) goto done;
    if ((rc = ts_xct_filter_parse(R->filter, &p.filter))) goto done;
    p.pad = (int)R->pad;
    /* 0: the algorithm's default number of iterations */
    p.iters = R->iters > 0 ? (int)R->iters
            : p.algo == TS_XCT_ART ? 5 : p.algo == TS_XCT_SART ? 10 : 100;
    p.relax = R->relax > 0 ? R->relax : (p.algo == TS_XCT_ART ? 0.5 : 1.0);
    p.lo = R->lo;
    p.hi = R->hi > R->lo ? R->hi : INFINITY;
    p.tol = R->tol;
    p.stall = R->stall;
    p.tv_weight = R->tv_weight;
    p.tv_inner = (int)R->tv_inner;
    int n = R->size > 0 ? (int)R->size : P.ndet;
    double center = R->center;
    if ((rc = ts_xct_geom_create(n, P.ndet, P.nang, P.theta, center, &g))) goto done;
    if (R->find_center) {
        int mid = P.nrows / 2;
        double c0 = P.ndet / 2.0, lo = fmax(0, c0 - R->search), hi = fmin(P.ndet - 1, c0 + R->search);
        double best;
        if ((rc = ts_xct_find_center(g, P.sino + (size_t)mid * P.nang * P.ndet, lo, hi, 0.25, &best)))
            goto done;
        ts_log_info("centre of rotation: %.2f (searched %.1f .. %.1f on slice %d)", best, lo, hi,
                    (int)R->row0 + mid);
        g->center = best;
    }
    *center_used = g->center;
    vol = malloc((size_t)P.nrows * n * n * sizeof *vol);
    if (!vol) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory for %d slices of %d x %d", P.nrows, n, n);
        goto done;
    }
    double best_t = INFINITY, best_cpu = INFINITY;
    for (long rep = 0; rep < (R->repeat > 0 ? R->repeat : 1) && !rc; rep++) {
        ts_progress *prog = P.nrows > 1 ? ts_progress_create("xct recon", P.nrows, "slice")
                          : p.algo != TS_XCT_FBP ? ts_progress_create("xct recon", p.iters, "iteration")
                                                 : NULL;
        double t0 = ts_time_now();
        clock_t c0 = clock();
        rc = ts_xct_reconstruct(g, &p, P.nrows, P.sino, vol, prog);
        double t = ts_time_now() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        ts_progress_destroy(prog);
        if (t < best_t) best_t = t;
        if (cpu < best_cpu) best_cpu = cpu;
    }
    *t_recon = best_t;
    *cpu_recon = best_cpu;
    (void)run;
done:
    if (rc) {
        free(vol);
        vol = NULL;
    }
    *vol_out = vol;
    *n_out = g ? g->n : 0;
    *nslices = P.nrows;
    ts_xct_geom_destroy(g);
    ts_xct_projections_free(&P);
    return rc;
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int write_recon_outputs(ts_run *run, const float *vol, int n, int ns, double center,
                               double t, double cpu, const char *algo)
{
    TS_TRY(write_in(run, "recon.tif", vol, n, n, ns, -1));
    /* PNG previews of up to 8 slices, each scaled to its own 0.5..99.5 % range */
    int step = ns > 8 ? ns / 8 : 1;
    for (int s = 0; s < ns; s += step) {
        const float *v = vol + (size_t)s * n * n;
        size_t nn = (size_t)n * n;
        float *tmp = malloc(nn * sizeof *tmp);
        TS_CHECK_ALLOC(tmp);
        memcpy(tmp, v, nn * sizeof *tmp);
        /* percentiles by partial sort: simple O(n log n) */
        qsort(tmp, nn, sizeof *tmp, cmpf);
        double lo = tmp[nn / 200], hi = tmp[nn - 1 - nn / 200];
        free(tmp);
        char name[64];
        snprintf(name, sizeof name, "recon_%03d.png", s);
        char *p = ts_run_path(run, name);
        TS_CHECK_ALLOC(p);
        int rc = xct_write_png(p, v, n, n, lo, hi > lo ? hi : lo + 1);
        free(p);
        TS_TRY(rc);
    }
    char *p = ts_run_path(run, "recon.csv");
    TS_CHECK_ALLOC(p);
    static const char *hdr[6] = {"algorithm", "slices", "size_px", "center_px", "recon_time_s",
                                 "recon_cpu_s"};
    ts_csv *csv;
    int rc = ts_csv_open(p, 6, hdr, &csv);
    free(p);
    TS_TRY(rc);
    ts_csv_cell_s(csv, algo);
    ts_csv_cell_i(csv, ns);
    ts_csv_cell_i(csv, n);
    ts_csv_cell_d(csv, center);
    ts_csv_cell_d(csv, t);
    ts_csv_cell_d(csv, cpu);
    if ((rc = ts_csv_end_row(csv))) {
        ts_csv_abort(csv);
        return rc;
    }
    return ts_csv_close(csv);
}

/* Binarise the volume as seed 001: a two-Gaussian EM fit of the values > vmin
 * inside the reconstruction disc of every slice, the Bayes rule on those voxels
 * (the others: 0). Writes label.tif (uint8 pages) and label.csv. */
static int write_labels(ts_run *run, const float *vol, int n, int ns, double vmin)
{
    size_t nn = (size_t)n * n, m = 0;
    double c = n / 2, R2 = (n / 2.0 - 1) * (n / 2.0 - 1);
    float *in = malloc(nn * ns * sizeof *in);
    uint8_t *lab = malloc(nn * ns);
    ts_image *im = ts_image_create(n, n, ns, TS_U8);
    int rc = 0;
    if (!in || !lab || !im) {
        rc = ts_error_set(TS_ERR_NOMEM, "label: out of memory");
        goto done;
    }
    for (int s = 0; s < ns; s++)
        for (int r = 0; r < n; r++)
            for (int k = 0; k < n; k++) {
                double x = k - c, y = r - c;
                float v = vol[(size_t)s * nn + (size_t)r * n + k];
                if (x * x + y * y <= R2 && v > vmin) in[m++] = v;
            }
    ts_xct_gmm2 g;
    if ((rc = ts_xct_gmm2_fit(in, m, &g))) goto done;
    if ((rc = ts_xct_gmm2_classify(&g, vol, nn * ns, lab))) goto done;
    uint8_t *d = im->data;
    size_t ones = 0;
    for (int s = 0; s < ns; s++)
        for (int r = 0; r < n; r++)
            for (int k = 0; k < n; k++) {
                double x = k - c, y = r - c;
                size_t i = (size_t)s * nn + (size_t)r * n + k;
                d[i] = (x * x + y * y <= R2 && vol[i] > vmin) ? lab[i] : 0;
                ones += d[i];
            }
    char *p = ts_run_path(run, "label.tif");
    if (!p) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = ts_tiff_write(p, im);
    free(p);
    if (rc) goto done;
    p = ts_run_path(run, "label.csv");
    if (!p) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    static const char *hdr[8] = {"prior0", "prior1", "mean0", "mean1", "sd0", "sd1", "em_iterations",
                                 "fraction1"};
    ts_csv *csv = NULL;
    rc = ts_csv_open(p, 8, hdr, &csv);
    free(p);
    if (rc) goto done;
    double row[8] = {g.prior[0], g.prior[1], g.mean[0], g.mean[1], g.sd[0], g.sd[1], g.iters,
                     (double)ones / m};
    if ((rc = ts_csv_row_d(csv, row))) {
        ts_csv_abort(csv);
        goto done;
    }
    rc = ts_csv_close(csv);
done:
    free(in);
    free(lab);
    ts_image_destroy(im);
    return rc;
}

static void recon_defaults(recon_opts *R)
{
    memset(R, 0, sizeof *R);
    R->algo = "fbp";
    R->filter = "shepp-logan";
    R->iters = 0;
    R->tv_inner = 20;
    R->pad = 1;
    R->nrows = 0;
    R->normalize = 1;
    R->minus_log = 1;
    R->repeat = 1;
    R->relax = 0;
    R->lo = 0;
    R->hi = 0;
    R->stall = 1e-5;
    R->tv_weight = 0.01;
    R->center = -1;
    R->search = 20;
    R->label_min = -INFINITY;
    R->seed = 1;
    R->out = "xct-recon";
}

static int cmd_recon(int argc, char **argv)
{
    recon_opts R;
    recon_defaults(&R);
    ts_opt o[] = {
        {"algo", TS_OPT_STRING, &R.algo, "NAME", "fbp, art, sirt, sart or tv"},
        {"filter", TS_OPT_STRING, &R.filter, "NAME", "FBP filter: ramlak, shepp-logan, cosine, hamming, hann"},
        {"pad", TS_OPT_LONG, &R.pad, "0|1", "FBP: zero-pad projections to a power of two >= 2 ndet"},
        {"iters", TS_OPT_LONG, &R.iters, "N", "iterations (ART/SART: sweeps); 0: ART 5, SART 10, SIRT/TV 100"},
        {"relax", TS_OPT_DOUBLE, &R.relax, "L", "relaxation in (0, 2); 0 = 1 (ART 0.5)"},
        {"lo", TS_OPT_DOUBLE, &R.lo, "V", "lower bound of the box constraint (attenuation per pixel)"},
        {"hi", TS_OPT_DOUBLE, &R.hi, "V", "upper bound (<= lo: none)"},
        {"tol", TS_OPT_DOUBLE, &R.tol, "T", "stop when ||b-Ax||/||b|| <= T (0: off)"},
        {"stall", TS_OPT_DOUBLE, &R.stall, "S", "stop when the relative residual improves by < S per iteration"},
        {"tv-weight", TS_OPT_DOUBLE, &R.tv_weight, "W", "TV weight (data units x pixel)"},
        {"tv-inner", TS_OPT_LONG, &R.tv_inner, "N", "FGP iterations per TV proximal step"},
        {"center", TS_OPT_DOUBLE, &R.center, "PX", "rotation axis (detector pixel); < 0: ndet/2"},
        {"find-center", TS_OPT_FLAG, &R.find_center, NULL, "search the rotation axis (entropy)"},
        {"search", TS_OPT_DOUBLE, &R.search, "PX", "half width of the centre search around ndet/2"},
        {"row0", TS_OPT_LONG, &R.row0, "R", "first detector row (slice) to reconstruct"},
        {"rows", TS_OPT_LONG, &R.nrows, "N", "number of rows (0: all)"},
        {"size", TS_OPT_LONG, &R.size, "N", "reconstructed image side (pixels); 0: ndet"},
        {"normalize", TS_OPT_LONG, &R.normalize, "0|1", "flat/dark correction"},
        {"minus-log", TS_OPT_LONG, &R.minus_log, "0|1", "take -log of the normalised data"},
        {"repeat", TS_OPT_LONG, &R.repeat, "N", "repeat the reconstruction N times, report the best time (benchmarks)"},
        {"label", TS_OPT_FLAG, &R.label, NULL, "also write label.tif: two-Gaussian EM fit + Bayes rule (seed 001), 1 = upper class (metal)"},
        {"label-min", TS_OPT_DOUBLE, &R.label_min, "V", "--label: only values > V enter the fit (e.g. half the dielectric's, to leave vacuum out); below: 0"},
        {"seed", TS_OPT_U64, &R.seed, "N", "seed (recorded; the algorithms are deterministic)"},
        {"out", TS_OPT_STRING, &R.out, "DIR", "output folder"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos;
    char *pos[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct recon DATA.h5 [options]",
                          "Reconstructs DXchange projections (/exchange/data, data_white, data_dark, "
                          "theta in degrees): flat/dark correction, -log, optional centre-of-rotation "
                          "search, then FBP, ART, SIRT, SART or TV-FISTA slice by slice. Writes "
                          "recon.tif (multi-page float32, one page per detector row, values = "
                          "attenuation per pixel), recon_NNN.png previews, recon.csv and run.ini.",
                          o, no, pos, 1, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel: xct recon: expected one DATA.h5 (see --help)\n");
        return TS_EXIT_USAGE;
    }
    ts_xct_algo a;
    ts_xct_filter f;
    if ((rc = ts_xct_algo_parse(R.algo, &a)) || (rc = ts_xct_filter_parse(R.filter, &f)))
        return ts_cli_fail(TS_ERR_USAGE, "xct recon");
    float *vol = NULL;
    int n = 0, ns = 0;
    double center = 0, t = 0, cpu = 0;
    ts_run *run = NULL;
    rc = do_recon(pos[0], &R, NULL, &center, &t, &cpu, &vol, &n, &ns);
    if (!rc) rc = ts_run_create(R.out, "xct recon", R.seed, &run);
    if (!rc) rc = write_recon_outputs(run, vol, n, ns, center, t, cpu, R.algo);
    if (!rc && R.label) rc = write_labels(run, vol, n, ns, R.label_min);
    if (!rc) rc = finish_run(run, "xct recon", o, no);
    if (!rc)
        printf("%s: %d slice(s) of %d x %d, centre %.2f px, reconstruction %.4f s; written to %s\n",
               R.algo, ns, n, n, center, t, R.out);
    free(vol);
    ts_run_destroy(run);
    return ts_cli_fail(rc, "xct recon");
}

/* --------------------------------------------------------------- study */

static int cmd_study(int argc, char **argv)
{
    xct_study_cfg c;
    xct_study_defaults(&c);
    long nx = c.nx, nz = c.nz, layers = c.layers, pitch = c.pitch1;
    const char *out = "xct-study";
    ts_opt o[] = {
        {"nx", TS_OPT_LONG, &nx, "N", "phantom width (voxels)"},
        {"nz", TS_OPT_LONG, &nz, "N", "phantom depth (voxels)"},
        {"layers", TS_OPT_LONG, &layers, "K", "metal layers"},
        {"pitch", TS_OPT_LONG, &pitch, "VOX", "M1 pitch (voxels)"},
        {"voxel-nm", TS_OPT_DOUBLE, &c.voxel_nm, "NM", "voxel size (nm)"},
        {"energy-kev", TS_OPT_DOUBLE, &c.energy_kev, "KEV", "X-ray energy (keV)"},
        {"angles", TS_OPT_STRING, &c.angles, "LIST", "numbers of angles for the first sweep"},
        {"range-max", TS_OPT_DOUBLE, &c.range_max, "DEG", "half range of the first sweep (+-deg)"},
        {"ranges", TS_OPT_STRING, &c.ranges, "LIST", "half ranges (deg) for the second sweep"},
        {"n-fixed", TS_OPT_LONG, &c.n_fixed, "N", "angles in the second sweep"},
        {"algos", TS_OPT_STRING, &c.algos, "LIST", "algorithms (fbp,art,sirt,sart,tv)"},
        {"sirt-iters", TS_OPT_LONG, &c.sirt_iters, "N", "SIRT iterations"},
        {"sart-iters", TS_OPT_LONG, &c.sart_iters, "N", "SART sweeps"},
        {"art-iters", TS_OPT_LONG, &c.art_iters, "N", "ART sweeps"},
        {"tv-iters", TS_OPT_LONG, &c.tv_iters, "N", "TV-FISTA iterations"},
        {"tv-inner", TS_OPT_LONG, &c.tv_inner, "N", "FGP iterations per TV step"},
        {"tv-weight", TS_OPT_DOUBLE, &c.tv_weight, "W", "TV weight (mrad)"},
        {"noise", TS_OPT_DOUBLE, &c.noise, "S", "Gaussian noise sd relative to the largest projection"},
        {"seed", TS_OPT_U64, &c.seed, "N", "seed (phantom and noise)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos;
    char *pos[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct study [options]",
                          "Limited-angle study of seed 001 for the classical algorithms on an IC phantom "
                          "slice (phase per voxel, mrad): sweeps the number of angles at +-range-max, "
                          "then the range at n-fixed angles; writes study.csv (PSNR, SSIM, MS-SSIM, PCC, "
                          "DSC, BER, time), metric-vs-sweep plots, slices.png and spectra.png (missing "
                          "wedge). Data are simulated on a 3x finer grid with noise (no inverse crime).",
                          o, no, pos, 0, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (nx < 16 || nx > 1024 || nz < 16 || nz > 1024 || layers < 1 || layers > 12 || pitch < 2 ||
        c.n_fixed < 2 || c.sirt_iters < 1 || c.sart_iters < 1 || c.art_iters < 1 || c.tv_iters < 1 ||
        c.tv_inner < 1 || !(c.noise >= 0) || !(c.range_max > 0 && c.range_max <= 90))
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "study: option out of range (nx, nz 16..1024, "
                                        "layers 1..12, iterations >= 1, noise >= 0, range-max in (0, 90])"),
                           "xct study");
    c.nx = (int)nx;
    c.nz = (int)nz;
    c.layers = (int)layers;
    c.pitch1 = (int)pitch;
    ts_run *run = NULL;
    if ((rc = ts_run_create(out, "xct study", c.seed, &run))) return ts_cli_fail(rc, "xct study");
    rc = xct_study_run(&c, ts_run_dir(run), NULL, NULL);
    if (!rc) rc = finish_run(run, "xct study", o, no);
    if (!rc) printf("study written to %s (study.csv, *_vs_angles.png, *_vs_range.png, slices.png, spectra.png)\n", out);
    ts_run_destroy(run);
    return ts_cli_fail(rc, "xct study");
}

/* ---------------------------------------------------------------- demo */

/* tooth.h5: $TINSEL_XCT_TOOTH, or next to the source tree the binary was
 * built in (<exe>/../../shared/data/xct, <exe>/../examples/xct), or ./ */
static char *find_tooth(void)
{
    const char *env = getenv("TINSEL_XCT_TOOTH");
    if (env && ts_file_exists(env)) {
        char *s = malloc(strlen(env) + 1);
        if (s) strcpy(s, env);
        return s;
    }
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *rel[] = {"/../../shared/data/xct/tooth.h5", "/../examples/xct/tooth.h5",
                         "/../share/tinsel/xct/tooth.h5"};
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        for (int i = 0; i < 3; i++) {
            char buf[4400];
            snprintf(buf, sizeof buf, "%s%s", exe, rel[i]);
            if (ts_file_exists(buf)) {
                char *s = malloc(strlen(buf) + 1);
                if (s) strcpy(s, buf);
                return s;
            }
        }
    }
    const char *cands[] = {"../shared/data/xct/tooth.h5", "shared/data/xct/tooth.h5", "tooth.h5"};
    for (int i = 0; i < 3; i++)
        if (ts_file_exists(cands[i])) {
            char *s = malloc(strlen(cands[i]) + 1);
            if (s) strcpy(s, cands[i]);
            return s;
        }
    return NULL;
}

static int demo(const char *outdir, const char *pre, ts_report *rep, uint64_t seed)
{
    int rc = 0;
    char rel[512];
    /* 1. tooth.h5 end to end */
    char *tooth = find_tooth();
    if (!tooth) {
        ts_report_text(rep, "tooth.h5 not found (set TINSEL_XCT_TOOTH): real-data reconstruction "
                       "skipped.");
    } else {
        recon_opts R;
        recon_defaults(&R);
        R.find_center = 1;
        R.search = 30;
        float *vol = NULL;
        int n = 0, ns = 0;
        double center = 0, t = 0, cpu = 0;
        char *sub = ts_path_join(outdir, "tooth");
        ts_run *run = NULL;
        rc = sub ? do_recon(tooth, &R, NULL, &center, &t, &cpu, &vol, &n, &ns) : TS_ERR_NOMEM;
        if (!rc) rc = ts_run_create(sub, "xct demo tooth", seed, &run);
        if (!rc) rc = write_recon_outputs(run, vol, n, ns, center, t, cpu, "fbp");
        if (!rc) rc = ts_run_write_ini(run, NULL);
        if (!rc) {
            ts_report_text(rep, "Real data: `tooth.h5` (TomoPy, DXchange, %d slices, 181 angles): flat/dark "
                           "correction, -log, entropy centre search -> %.2f px, FBP (Shepp-Logan) in "
                           "%.3f s.", ns, center, t);
            snprintf(rel, sizeof rel, "%stooth/recon_000.png", pre);
            ts_report_file(rep, rel, "image", "tooth.h5 slice 0, FBP");
            snprintf(rel, sizeof rel, "%stooth/recon.tif", pre);
            ts_report_file(rep, rel, "field", "tooth.h5 reconstruction, multi-page float32 TIFF");
            snprintf(rel, sizeof rel, "%stooth/recon.csv", pre);
            ts_report_file(rep, rel, "table", "centre of rotation and timing");
        }
        free(vol);
        free(sub);
        free(tooth);
        ts_run_destroy(run);
        if (rc) return rc;
    }
    /* 2. a small study */
    xct_study_cfg c;
    xct_study_defaults(&c);
    c.seed = seed;
    c.angles = "141,29,9";
    c.ranges = "70,30,10";
    c.algos = "fbp,sirt,sart,tv";
    c.sirt_iters = 50;
    c.sart_iters = 5;
    c.tv_iters = 50;
    ts_report_text(rep, "Limited-angle study on an IC phantom slice (Cu/W/SiO2/Si, 14 nm voxels, 8.8 keV, "
                   "phase per voxel): angles 141, 29, 9 over +-70 deg, then +-30 and +-10 deg at 29 "
                   "angles; FBP, SIRT (50), SART (5 sweeps), TV-FISTA (50).");
    return xct_study_run(&c, outdir, rep, pre);
}

static const ts_command commands[] = {
    {"phantom", "synthetic IC volume (delta, beta, attenuation, phase, metal label) as TIFF stacks", cmd_phantom},
    {"project", "simulate a parallel-beam scan of a TIFF volume into a DXchange file", cmd_project},
    {"recon", "reconstruct DXchange projections: fbp | art | sirt | sart | tv", cmd_recon},
    {"study", "limited-angle study (angles, range) with metrics and plots", cmd_study},
};

const ts_engine ts_engine_xct = {
    "xct", "X-ray tomography of ICs: phantoms, projector, FBP/ART/SIRT/SART/TV, DXchange, metrics",
    commands, (int)(sizeof commands / sizeof commands[0]), demo};
