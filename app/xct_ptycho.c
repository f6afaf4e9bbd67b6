/* tinsel xct ptycho simulate|recon and tinsel xct ptychotomo.
 * Library: include/tinsel/xct.h (ptychography); user guide: docs/xct.md. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xct_app.h"

#define PT_PI 3.14159265358979323846
#define HC_KEV_NM 1.23984193 /* lambda[nm] = 1.23984193 / E[keV] */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* run.ini [section] with every option's value */
int xct_write_ini_opts(ts_run *run, const char *section, const ts_opt *o, int n)
{
    ts_config *c = ts_config_create();
    if (!c) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
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
        rc = ts_config_set(c, section, o[i].name, buf);
    }
    if (!rc) rc = ts_run_write_ini(run, c);
    ts_config_destroy(c);
    return rc;
}

static int write_tiff(const ts_run *run, const char *name, const float *v, int w, int h, int pages)
{
    ts_image *im = ts_image_create(w, h, pages, TS_F32);
    if (!im) return ts_error_set(TS_ERR_NOMEM, "%s: out of memory", name);
    memcpy(im->data, v, (size_t)w * h * pages * sizeof(float));
    char *p = ts_run_path(run, name);
    int rc = p ? ts_tiff_write(p, im) : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(p);
    ts_image_destroy(im);
    return rc;
}

static int write_png(const ts_run *run, const char *name, const float *v, int w, int h)
{
    char *p = ts_run_path(run, name);
    TS_CHECK_ALLOC(p);
    int rc = xct_write_png(p, v, w, h, 0, 0);
    free(p);
    return rc;
}

/* phase (rad) / amplitude of complex [pages][n][n] into float */
static void cplx_split(const double complex *z, size_t n, float *ph, float *amp)
{
    for (size_t i = 0; i < n; i++) {
        if (ph) ph[i] = (float)carg(z[i]);
        if (amp) amp[i] = (float)cabs(z[i]);
    }
}

/* log10(1 + I) of one pattern, fftshifted: out[np][np] */
static void pattern_preview(const double *inten, int np, float *out)
{
    for (int r = 0; r < np; r++)
        for (int c = 0; c < np; c++)
            out[(size_t)((r + np / 2) % np) * np + (c + np / 2) % np] = (float)log10(1 + inten[(size_t)r * np + c]);
}

static int h5_add_cplx(ts_h5_writer *w, const char *name, const double complex *z, int rank,
                       const size_t *dims)
{
    size_t d[8], tot = 1;
    for (int i = 0; i < rank; i++) tot *= (d[i] = dims[i]);
    d[rank] = 2;
    /* double complex is laid out as double[2] (C17 6.2.5) */
    return ts_h5_writer_add(w, name, TS_H5_F64, rank + 1, d, (const double *)z);
}

/* ------------------------------------------------------------ simulate */

typedef struct {
    long n, np, nz, layers, modes, slices, exact;
    double step, energy, voxel, photons, decay;
    const char *scan, *probe;
    uint64_t seed;
} sim_opts;

/* Probe of the options: zone plate (na 0.5, stop 0.3, defocus so the ring
 * spans about half the window) or Gaussian (sigma np/8, curvature). */
static int make_probe(const char *kind, int np, int modes, double voxel, double lambda, double decay,
                      double photons, double complex *probe)
{
    if (!strcmp(kind, "gaussian"))
        return ts_xct_ptycho_probe_gaussian(np, modes, np / 8.0, 0.02, decay, photons, probe);
    if (!strcmp(kind, "zoneplate")) {
        /* defocus: the ring radius ~ defocus x na lambda / (2 dx) ~ np/4 px */
        double defocus = (np / 4.0) * voxel / (0.5 * lambda / (2 * voxel));
        return ts_xct_ptycho_probe_zoneplate(np, modes, 0.5, 0.3, defocus, voxel, lambda, decay,
                                             photons, probe);
    }
    return ts_error_set(TS_ERR_INVAL, "unknown probe '%s' (expected zoneplate, gaussian)", kind);
}

static int cmd_simulate(int argc, char **argv)
{
    sim_opts S = {128, 64, 64, 4, 1, 1, 1, 8, 8.8, 14.0, 1e6, 0.5, "fermat", "zoneplate", 1};
    const char *out = "xct-ptycho-sim";
    ts_opt o[] = {
        {"n", TS_OPT_LONG, &S.n, "PX", "object width = height (pixels = phantom voxels in x, y)"},
        {"np", TS_OPT_LONG, &S.np, "PX", "probe window = detector size (pixels)"},
        {"nz", TS_OPT_LONG, &S.nz, "VOX", "phantom depth along the beam (voxels)"},
        {"layers", TS_OPT_LONG, &S.layers, "K", "metal layers of the phantom"},
        {"slices", TS_OPT_LONG, &S.slices, "L", "multislice slices through the depth"},
        {"modes", TS_OPT_LONG, &S.modes, "M", "incoherent probe modes"},
        {"exact", TS_OPT_LONG, &S.exact, "0|1", "1 exact angular spectrum, 0 paraxial"},
        {"step", TS_OPT_DOUBLE, &S.step, "PX", "scan step (pixels; < np for overlap)"},
        {"scan", TS_OPT_STRING, &S.scan, "KIND", "fermat | raster"},
        {"probe", TS_OPT_STRING, &S.probe, "KIND", "zoneplate | gaussian"},
        {"decay", TS_OPT_DOUBLE, &S.decay, "F", "power of mode m relative to mode 0 = F^m"},
        {"photons", TS_OPT_DOUBLE, &S.photons, "N", "photons per position (0: noise-free)"},
        {"energy-kev", TS_OPT_DOUBLE, &S.energy, "KEV", "X-ray energy (keV), 5 .. 8.97"},
        {"voxel-nm", TS_OPT_DOUBLE, &S.voxel, "NM", "voxel = object pixel (nm)"},
        {"seed", TS_OPT_U64, &S.seed, "N", "random seed (phantom, noise)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos_arg;
    char *pos_arg[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct ptycho simulate [options]",
                          "Simulates a far-field ptychography scan of an IC phantom seen from the top: "
                          "the phantom's (delta, beta) at the energy, summed through the depth in L "
                          "slabs, give L complex slices exp(i k (-delta + i beta) dz); a zone-plate-like "
                          "or Gaussian probe with M incoherent modes is scanned on a Fermat spiral or "
                          "raster; angular-spectrum multislice; far-field intensities sum_m |F psi_m|^2 "
                          "(unitary DFT, DC at [0][0]); Poisson noise at the given photons per position. "
                          "Writes data.h5 (/ptycho/intensity [npos][np][np], positions, probe, object "
                          "truth, geometry [n, np, L, M, pixel_nm, dz_nm, lambda_nm, exact]), PNG previews "
                          "(object phase, probe amplitude, first pattern log10(1+I)) and run.ini.",
                          o, no, pos_arg, 0, &npos_arg);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (S.n < 8 || S.n > 2048 || S.np < 4 || S.nz < 8 || S.nz > 4096 || S.slices < 1 ||
        S.slices > S.nz || S.modes < 1 || S.modes > 16 || S.photons < 0 || !(S.decay > 0))
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "ptycho simulate: need 8 <= n <= 2048, np >= 4, "
                                        "8 <= nz, 1 <= slices <= nz, 1 <= modes <= 16, photons >= 0"),
                           "xct ptycho simulate");
    if (S.np > S.n)
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "probe window %ld px larger than the object %ld px",
                                        S.np, S.n), "xct ptycho simulate");
    int n = (int)S.n, np = (int)S.np, L = (int)S.slices, M = (int)S.modes;
    double lambda = HC_KEV_NM / S.energy;
    int *pos = NULL, npos = 0;
    rc = !strcmp(S.scan, "fermat") ? ts_xct_ptycho_scan_fermat(n, np, S.step, &pos, &npos)
         : !strcmp(S.scan, "raster") ? ts_xct_ptycho_scan_raster(n, np, S.step, &pos, &npos)
         : ts_error_set(TS_ERR_INVAL, "unknown scan '%s' (expected fermat, raster)", S.scan);
    if (rc) return ts_cli_fail(rc, "xct ptycho simulate");
    ts_xct_phantom_params pp;
    ts_xct_phantom_params_default(&pp);
    pp.nx = n; pp.ny = n; pp.nz = (int)S.nz; pp.layers = (int)S.layers; pp.voxel_nm = S.voxel;
    pp.energy_kev = S.energy; pp.seed = S.seed; pp.fill = 1.0;
    ts_xct_phantom *ph = NULL;
    ts_xct_ptycho *m = NULL;
    ts_run *run = NULL;
    size_t n2 = (size_t)n * n, nn = (size_t)np * np;
    float *d = calloc((size_t)L * n2, sizeof *d), *b = calloc((size_t)L * n2, sizeof *b);
    float *prev = malloc(n2 * sizeof *prev);
    double complex *obj = malloc((size_t)L * n2 * sizeof *obj), *probe = malloc((size_t)M * nn * sizeof *probe);
    double *inten = malloc((size_t)npos * nn * sizeof *inten);
    if (!d || !b || !prev || !obj || !probe || !inten) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc) rc = ts_xct_phantom_create(&pp, &ph);
    double dz = (double)S.nz / L * S.voxel;
    if (!rc) {
        /* slab l holds depths [l nz/L, (l+1) nz/L) from the top (z row 0) */
        for (int y = 0; y < n; y++)
            for (int z = 0; z < pp.nz; z++) {
                int l = (int)((long)z * L / pp.nz);
                for (int x = 0; x < n; x++) {
                    size_t i = ((size_t)y * pp.nz + z) * n + x, k = (size_t)l * n2 + (size_t)y * n + x;
                    d[k] += (float)(ph->delta[i] * S.voxel);
                    b[k] += (float)(ph->beta[i] * S.voxel);
                }
            }
        rc = ts_xct_ptycho_object_from_index(n, L, d, b, lambda, obj);
    }
    if (!rc) rc = make_probe(S.probe, np, M, S.voxel, lambda, S.decay, S.photons > 0 ? S.photons : 1e6, probe);
    ts_xct_ptycho_geom g = {n, L, np, M, S.voxel, dz, lambda, (int)S.exact};
    if (!rc) rc = ts_xct_ptycho_create(&g, npos, pos, &m);
    double t0 = now_s();
    if (!rc) rc = ts_xct_ptycho_forward(m, obj, probe, inten);
    double tf = now_s() - t0;
    if (!rc && S.photons > 0) rc = ts_xct_ptycho_poisson(inten, (size_t)npos * nn, S.seed);
    if (!rc) rc = ts_run_create(out, "xct ptycho simulate", S.seed, &run);
    if (!rc) {
        char *path = ts_run_path(run, "data.h5");
        ts_h5_writer *w = NULL;
        rc = path ? ts_h5_writer_open(path, &w) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        size_t di[3] = {(size_t)npos, (size_t)np, (size_t)np}, dp[2] = {(size_t)npos, 2};
        size_t dpr[3] = {(size_t)M, (size_t)np, (size_t)np}, dob[3] = {(size_t)L, (size_t)n, (size_t)n};
        size_t dg = 8;
        double geo[8] = {n, np, L, M, S.voxel, dz, lambda, (double)S.exact};
        if (!rc) rc = ts_h5_writer_add(w, "/ptycho/intensity", TS_H5_F64, 3, di, inten);
        if (!rc) rc = ts_h5_writer_add(w, "/ptycho/positions", TS_H5_I32, 2, dp, pos);
        if (!rc) rc = h5_add_cplx(w, "/ptycho/probe", probe, 3, dpr);
        if (!rc) rc = h5_add_cplx(w, "/ptycho/object", obj, 3, dob);
        if (!rc) rc = ts_h5_writer_add(w, "/ptycho/geometry", TS_H5_F64, 1, &dg, geo);
        if (!rc) rc = ts_h5_writer_attr(w, "units", "intensity photons; positions (row, col) px of the "
                                        "window's top-left corner; complex as [..][2]; geometry n, np, L, "
                                        "M, pixel_nm, dz_nm, lambda_nm, exact");
        if (!rc) rc = ts_h5_writer_commit(w);
        else ts_h5_writer_abort(w);
        free(path);
    }
    if (!rc) {
        for (size_t i = 0; i < n2; i++) {
            double complex z = 1;
            for (int l = 0; l < L; l++) z *= obj[(size_t)l * n2 + i];
            prev[i] = (float)carg(z);
        }
        rc = write_png(run, "object_phase.png", prev, n, n);
    }
    if (!rc) {
        cplx_split(probe, nn, NULL, prev);
        rc = write_png(run, "probe_amplitude.png", prev, np, np);
    }
    if (!rc) {
        pattern_preview(inten, np, prev);
        rc = write_png(run, "pattern_000.png", prev, np, np);
    }
    if (!rc) rc = xct_write_ini_opts(run, "xct ptycho simulate", o, no);
    if (!rc)
        printf("ptycho simulate: %d positions (%s, step %g px), %dx%d detector, %d slice(s) dz %.1f nm, "
               "%d mode(s), %.3g photons/position, forward model %.3f s; written to %s\n",
               npos, S.scan, S.step, np, np, L, dz, M, S.photons, tf, out);
    ts_run_destroy(run);
    ts_xct_ptycho_destroy(m);
    ts_xct_phantom_destroy(ph);
    free(d); free(b); free(prev); free(obj); free(probe); free(inten); free(pos);
    return ts_cli_fail(rc, "xct ptycho simulate");
}

/* --------------------------------------------------------------- recon */

static int read_cplx(const char *path, const char *name, size_t expect, double complex **out)
{
    int rank;
    size_t d[8], tot = 1;
    *out = NULL;
    int rc = ts_h5_info(path, name, &rank, d);
    if (rc) return rc;
    for (int i = 0; i < rank; i++) tot *= d[i];
    if (rank < 2 || d[rank - 1] != 2 || tot != 2 * expect)
        return ts_error_set(TS_ERR_FORMAT, "%s: %s has %zu values, expected %zu complex", path, name,
                            tot / 2, expect);
    double complex *z = malloc(expect * sizeof *z);
    TS_CHECK_ALLOC(z);
    if ((rc = ts_h5_read_f64(path, name, NULL, NULL, (double *)z))) {
        free(z);
        return rc;
    }
    *out = z;
    return 0;
}

/* Checkpoint of a reconstruction: object, probe, iterations done and the
 * history so far (written atomically). */
static int ckpt_write(const char *path, const double complex *obj, int L, int n,
                      const double complex *probe, int M, int np, int done, const double *de,
                      const double *oe)
{
    ts_h5_writer *w = NULL;
    int rc = ts_h5_writer_open(path, &w);
    if (rc) return rc;
    size_t dob[3] = {(size_t)L, (size_t)n, (size_t)n}, dpr[3] = {(size_t)M, (size_t)np, (size_t)np};
    size_t one = 1, dh = (size_t)done;
    double d = done;
    rc = h5_add_cplx(w, "/checkpoint/object", obj, 3, dob);
    if (!rc) rc = h5_add_cplx(w, "/checkpoint/probe", probe, 3, dpr);
    if (!rc) rc = ts_h5_writer_add(w, "/checkpoint/iterations", TS_H5_F64, 1, &one, &d);
    if (!rc) rc = ts_h5_writer_add(w, "/checkpoint/data_error", TS_H5_F64, 1, &dh, de);
    if (!rc) rc = ts_h5_writer_add(w, "/checkpoint/object_error", TS_H5_F64, 1, &dh, oe);
    if (!rc) return ts_h5_writer_commit(w);
    ts_h5_writer_abort(w);
    return rc;
}

static int read_cplx(const char *path, const char *name, size_t expect, double complex **out);

static int ckpt_read(const char *path, size_t nobj, size_t nprobe, int iters, double complex *obj,
                     double complex *probe, int *done, double *de, double *oe)
{
    double d = 0;
    double complex *o = NULL, *p = NULL;
    int rc = ts_h5_read_f64(path, "/checkpoint/iterations", NULL, NULL, &d);
    if (!rc && !(d >= 0 && d <= iters && d == floor(d)))
        rc = ts_error_set(TS_ERR_FORMAT, "%s: checkpoint after %g iterations, but --iters is %d", path, d, iters);
    if (!rc) rc = read_cplx(path, "/checkpoint/object", nobj, &o);
    if (!rc) rc = read_cplx(path, "/checkpoint/probe", nprobe, &p);
    if (!rc && d > 0) rc = ts_h5_read_f64(path, "/checkpoint/data_error", NULL, NULL, de);
    if (!rc && d > 0) rc = ts_h5_read_f64(path, "/checkpoint/object_error", NULL, NULL, oe);
    if (!rc) {
        memcpy(obj, o, nobj * sizeof *obj);
        memcpy(probe, p, nprobe * sizeof *probe);
        *done = (int)d;
    }
    free(o);
    free(p);
    return rc;
}

static int cmd_recon(int argc, char **argv)
{
    const char *algo_s = "epie", *out = "xct-ptycho-recon";
    long iters = 100, probe_start = 2, blind = 0, ckpt_every = 10, resume = 0;
    double alpha = 1, beta = 1;
    uint64_t seed = 1;
    ts_opt o[] = {
        {"algo", TS_OPT_STRING, &algo_s, "NAME", "epie | rpie (single slice) | grad (any slices)"},
        {"iters", TS_OPT_LONG, &iters, "N", "iterations (passes over all positions)"},
        {"alpha", TS_OPT_DOUBLE, &alpha, "A", "object step (ePIE 1, rPIE 0.1 .. 0.25, grad 1)"},
        {"beta", TS_OPT_DOUBLE, &beta, "B", "probe step (as alpha)"},
        {"probe-start", TS_OPT_LONG, &probe_start, "K", "first iteration that updates the probe"},
        {"blind", TS_OPT_FLAG, &blind, NULL, "start from a Gaussian probe (sigma np/8) with the data's "
                                              "mean power instead of the file's probe"},
        {"checkpoint", TS_OPT_LONG, &ckpt_every, "K", "write DIR/checkpoint.h5 every K iterations and at the "
                                                      "end (0: never)"},
        {"resume", TS_OPT_FLAG, &resume, NULL, "continue from DIR/checkpoint.h5 if present (same options; a "
                                              "larger --iters continues a finished run)"},
        {"seed", TS_OPT_U64, &seed, "N", "random position order (ePIE/rPIE)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos_arg = 0;
    char *pos_arg[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct ptycho recon DATA.h5 [options]",
                          "Phase retrieval of a ptychography data set written by `tinsel xct ptycho "
                          "simulate` (same layout): ePIE, rPIE or the preconditioned gradient of the "
                          "amplitude loss with mixed modes and multislice. The object starts at 1 "
                          "(vacuum), the probe from the file (or Gaussian with --blind). Writes "
                          "object_phase.tif / object_amplitude.tif (one page per slice, rad / 1), "
                          "probe_amplitude.tif (one page per mode), PNG previews, recon.csv (data error "
                          "sum (sqrt(I_model) - sqrt(I))^2 / sum I and, when the file holds the truth, "
                          "the object error per iteration) and run.ini.",
                          o, no, pos_arg, 1, &npos_arg);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos_arg != 1) {
        fprintf(stderr, "tinsel xct ptycho recon: expected DATA.h5 (see --help)\n");
        return TS_EXIT_USAGE;
    }
    const char *path = pos_arg[0];
    ts_xct_ptycho_params p;
    ts_xct_ptycho_params_default(&p);
    if ((rc = ts_xct_ptycho_algo_parse(algo_s, &p.algo))) return ts_cli_fail(rc, "xct ptycho recon");
    if (iters < 1 || iters > 100000)
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "iters must be 1 .. 100000"), "xct ptycho recon");
    p.iters = (int)iters;
    p.alpha = alpha;
    p.beta = beta;
    p.probe_start = probe_start < 0 ? 0 : probe_start > 1000000 ? 1000000 : (int)probe_start;
    p.seed = seed;
    double geo[8];
    int rank;
    size_t d[8];
    rc = ts_h5_info(path, "/ptycho/geometry", &rank, d);
    if (!rc && (rank != 1 || d[0] != 8)) rc = ts_error_set(TS_ERR_FORMAT, "%s: /ptycho/geometry must hold 8 values", path);
    if (!rc) rc = ts_h5_read_f64(path, "/ptycho/geometry", NULL, NULL, geo);
    if (rc) return ts_cli_fail(rc, "xct ptycho recon");
    ts_xct_ptycho_geom g = {(int)geo[0], (int)geo[2], (int)geo[1], (int)geo[3], geo[4], geo[5], geo[6], (int)geo[7]};
    int n = g.n, np = g.np, L = g.nslices, M = g.nmodes;
    size_t n2 = (size_t)n * n, nn = (size_t)np * np;
    rc = ts_h5_info(path, "/ptycho/intensity", &rank, d);
    if (!rc && (rank != 3 || (int)d[1] != np || (int)d[2] != np))
        rc = ts_error_set(TS_ERR_FORMAT, "%s: intensity patterns are %zu x %zu but the geometry says a "
                          "%d x %d detector", path, rank == 3 ? d[1] : 0, rank == 3 ? d[2] : 0, np, np);
    if (rc) return ts_cli_fail(rc, "xct ptycho recon");
    int npos = (int)d[0];
    size_t dpos[8];
    rc = ts_h5_info(path, "/ptycho/positions", &rank, dpos);
    if (!rc && (rank != 2 || (int)dpos[0] != npos || dpos[1] != 2))
        rc = ts_error_set(TS_ERR_FORMAT, "%s: positions must be [%d][2]", path, npos);
    double *inten = NULL, *posd = NULL;
    int *pos = NULL;
    double complex *probe = NULL, *truth = NULL, *obj = NULL;
    ts_xct_ptycho *m = NULL;
    ts_run *run = NULL;
    float *buf = NULL;
    ts_progress *prog = NULL;
    double *de = NULL, *oe = NULL;
    if (!rc) {
        inten = malloc((size_t)npos * nn * sizeof *inten);
        posd = malloc((size_t)npos * 2 * sizeof *posd);
        pos = malloc((size_t)npos * 2 * sizeof *pos);
        obj = malloc((size_t)L * n2 * sizeof *obj);
        buf = malloc((n2 * L > nn * M ? n2 * L : nn * M) * sizeof *buf);
        de = malloc((size_t)iters * sizeof *de);
        oe = malloc((size_t)iters * sizeof *oe);
        if (!inten || !posd || !pos || !obj || !buf || !de || !oe) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = ts_h5_read_f64(path, "/ptycho/intensity", NULL, NULL, inten);
    if (!rc) rc = ts_h5_read_f64(path, "/ptycho/positions", NULL, NULL, posd);
    if (!rc)
        for (int j = 0; j < 2 * npos; j++) pos[j] = (int)posd[j];
    if (!rc) rc = read_cplx(path, "/ptycho/probe", (size_t)M * nn, &probe);
    if (!rc && ts_h5_info(path, "/ptycho/object", &rank, d) == 0) rc = read_cplx(path, "/ptycho/object", (size_t)L * n2, &truth);
    ts_error_clear();
    if (!rc) rc = ts_xct_ptycho_create(&g, npos, pos, &m);
    if (!rc && blind) {
        double mean = 0;
        for (size_t i = 0; i < (size_t)npos * nn; i++) mean += inten[i];
        mean /= npos;
        rc = ts_xct_ptycho_probe_gaussian(np, M, np / 8.0, 0.0, 0.5, mean > 0 ? mean : 1, probe);
    }
    double t = 0;
    int start_it = 0;
    ts_xct_ptycho_info info = {de, oe, 0};
    char *ckpt = NULL;
    if (!rc) {
        for (size_t i = 0; i < (size_t)L * n2; i++) obj[i] = 1;
        p.obj_true = truth;
        /* the solver's own checks, before any output exists */
        if (p.algo != TS_XCT_PTYCHO_GRAD && L != 1)
            rc = ts_error_set(TS_ERR_UNSUPPORTED, "%s is single-slice here; use --algo grad for %d slices",
                              algo_s, L);
        if (!rc && (!(alpha > 0) || !(beta > 0) ||
                    (p.algo == TS_XCT_PTYCHO_RPIE && (alpha > 1 || beta > 1))))
            rc = ts_error_set(TS_ERR_RANGE, "alpha, beta must be > 0 (rPIE: in (0, 1])");
        if (!rc) rc = ts_run_create(out, "xct ptycho recon", seed, &run);
        if (!rc && !(ckpt = ts_run_path(run, "checkpoint.h5"))) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc && resume && ts_file_exists(ckpt)) {
            rc = ckpt_read(ckpt, (size_t)L * n2, (size_t)M * nn, (int)iters, obj, probe, &info.iters, de, oe);
            if (!rc) printf("resuming after %d iterations from %s\n", info.iters, ckpt);
        }
        start_it = info.iters;
        prog = ts_progress_create("ptycho recon", (double)iters, "iterations");
        while (!rc && info.iters < iters) {
            int done = info.iters, chunk = (int)iters - done;
            if (ckpt_every > 0 && chunk > ckpt_every) chunk = (int)ckpt_every;
            /* a chunk continues the same run: probe start, position order shifted */
            ts_xct_ptycho_params pc = p;
            pc.iters = chunk;
            pc.probe_start = p.probe_start > done ? p.probe_start - done : 0;
            pc.seed = p.seed + (uint64_t)done;
            ts_xct_ptycho_info ci = {de + done, oe + done, 0};
            double t0 = now_s();
            rc = ts_xct_ptycho_reconstruct(m, &pc, inten, obj, probe, &ci);
            t += now_s() - t0;
            if (rc) break;
            info.iters += ci.iters;
            char note[64];
            snprintf(note, sizeof note, "data error %.3e", de[info.iters - 1]);
            ts_progress_update(prog, info.iters, note);
            if (ckpt_every > 0)
                rc = ckpt_write(ckpt, obj, L, n, probe, M, np, info.iters, de, oe);
            if (!rc && ts_interrupted())
                rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted after %d iterations%s%s", info.iters,
                                  ckpt_every > 0 ? "; checkpoint " : "", ckpt_every > 0 ? ckpt : "");
        }
        ts_progress_destroy(prog);
    }
    free(ckpt);
    if (!rc) {
        {
            char *cp = ts_run_path(run, "recon.csv");
            ts_csv *csv = NULL;
            const char *hdr[] = {"iteration", "data_error", "object_error"};
            rc = cp ? ts_csv_open(cp, 3, hdr, &csv) : ts_error_set(TS_ERR_NOMEM, "out of memory");
            for (int k = 0; !rc && k < info.iters; k++) {
                double row[3] = {k + 1, de[k], oe[k]};
                rc = ts_csv_row_d(csv, row);
            }
            if (!rc) rc = ts_csv_close(csv);
            else ts_csv_abort(csv);
            free(cp);
        }
        if (!rc) {
            cplx_split(obj, (size_t)L * n2, buf, NULL);
            rc = write_tiff(run, "object_phase.tif", buf, n, n, L);
            if (!rc) rc = write_png(run, "object_phase.png", buf, n, n);
        }
        if (!rc) {
            cplx_split(obj, (size_t)L * n2, NULL, buf);
            rc = write_tiff(run, "object_amplitude.tif", buf, n, n, L);
        }
        if (!rc) {
            cplx_split(probe, (size_t)M * nn, NULL, buf);
            rc = write_tiff(run, "probe_amplitude.tif", buf, np, np, M);
            if (!rc) rc = write_png(run, "probe_amplitude.png", buf, np, np);
        }
        if (!rc) rc = xct_write_ini_opts(run, "xct ptycho recon", o, no);
        if (!rc) {
            double perr = NAN;
            if (truth && L == 1) {
                uint8_t *mask = malloc(n2);
                if (mask && !ts_xct_ptycho_illum_mask(m, probe, 0.3, mask))
                    ts_xct_ptycho_phase_error((int)n2, obj, truth, mask, &perr);
                free(mask);
            }
            int ran = info.iters - start_it;
            printf("ptycho recon (%s): %d iterations, %d in this run in %.3f s (%.2f ms per iteration, %.1f us "
                   "per position); data error %.3e -> %.3e; object error %.3e; phase error %.4f rad; "
                   "written to %s\n", algo_s, info.iters, ran, t, ran ? 1e3 * t / ran : NAN,
                   ran ? 1e6 * t / ran / npos : NAN, de[0], de[info.iters - 1], oe[info.iters - 1], perr, out);
        }
    }
    ts_run_destroy(run);
    ts_xct_ptycho_destroy(m);
    free(inten); free(posd); free(pos); free(probe); free(truth); free(obj); free(buf); free(de); free(oe);
    return ts_cli_fail(rc, "xct ptycho recon");
}

int xct_cmd_ptycho(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "simulate")) return cmd_simulate(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "recon")) return cmd_recon(argc - 1, argv + 1);
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: tinsel xct ptycho simulate|recon [options]   (--help after the subcommand)\n"
            "  simulate  far-field ptychography scan of an IC phantom (mixed-state multislice)\n"
            "  recon     ePIE / rPIE / gradient phase retrieval of a data.h5\n");
    return help ? TS_EXIT_OK : TS_EXIT_USAGE;
}
