/* tinsel xct ptychotomo: ptycho-tomography of an IC phantom.
 * Per angle: L-slab multislice far-field data (src/xct/ptycho*.c); then
 *  (a) the classical pipeline (seed 001, notes/xct.md): single-slice ePIE per
 *      angle -> phase projections -> tomography with the existing algorithms;
 *  (b) the Approximant: two gradient iterations of L-slice ptychography per
 *      angle, slab phases rotated back to the sample frame and averaged;
 *  (c) the ideal reference: the same tomography from the true projections.
 * Library: include/tinsel/xct.h; user guide: docs/xct.md. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "xct_app.h"

#define HC_KEV_NM 1.23984193

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

typedef struct {
    long nx, ny, np, nang, iters, slices, approx_iters, tomo_iters;
    double range, step, photons, voxel, energy;
    const char *tomo, *probe;
    uint64_t seed;
} pt_opts;

static int save_stack(const ts_run *run, const char *name, const float *v, int w, int h, int pages,
                      int png_page)
{
    ts_image *im = ts_image_create(w, h, pages, TS_F32);
    if (!im) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    memcpy(im->data, v, (size_t)w * h * pages * sizeof(float));
    char *p = ts_run_path(run, name);
    int rc = p ? ts_tiff_write(p, im) : ts_error_set(TS_ERR_NOMEM, "out of memory");
    free(p);
    ts_image_destroy(im);
    if (rc || png_page < 0) return rc;
    char png[256];
    snprintf(png, sizeof png, "%.*s.png", (int)(strlen(name) - 4), name);
    p = ts_run_path(run, png);
    TS_CHECK_ALLOC(p);
    rc = xct_write_png(p, v + (size_t)png_page * w * h, w, h, 0, 0);
    free(p);
    return rc;
}

/* One angle: simulate, classical single-slice ePIE, Approximant. Outputs:
 * phase[n][n] (classical, rad), slabs_nm[L][n][n] (Approximant, -arg/k). */
static int one_angle(const pt_opts *P, int n, int ny, const float *vd, const float *vb, double theta,
                     const int *pos, int npos, const double complex *probe, double lambda, int a,
                     float *phase, float *slabs_nm, double *derr)
{
    const int np = (int)P->np, L = (int)P->slices;
    const size_t n2 = (size_t)n * n, nn = (size_t)np * np;
    const double k = 2 * 3.14159265358979323846 / lambda;
    float *d = malloc((size_t)L * n2 * sizeof *d), *b = malloc((size_t)L * n2 * sizeof *b);
    double complex *obj = malloc((size_t)L * n2 * sizeof *obj), *o = malloc((size_t)L * n2 * sizeof *o);
    double complex *pr = malloc(nn * sizeof *pr);
    double *inten = malloc((size_t)npos * nn * sizeof *inten);
    uint8_t *mask = malloc(n2);
    ts_xct_ptycho *mL = NULL, *m1 = NULL;
    int rc = 0;
    if (!d || !b || !obj || !o || !pr || !inten || !mask) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc) rc = ts_xct_slab_project(n, ny, vd, theta, L, P->voxel, d);
    if (!rc) rc = ts_xct_slab_project(n, ny, vb, theta, L, P->voxel, b);
    /* the sample rows start at y0 = np/2: the probe (centred in its window)
     * then illuminates them fully; rows outside are vacuum */
    const int y0 = np / 2;
    for (int l = 0; !rc && l < L; l++)
        for (int y = ny - 1; y >= 0; y--) {
            float *dl = d + (size_t)l * n2, *bl = b + (size_t)l * n2;
            memcpy(dl + (size_t)(y + y0) * n, dl + (size_t)y * n, n * sizeof *dl);
            memcpy(bl + (size_t)(y + y0) * n, bl + (size_t)y * n, n * sizeof *bl);
            if (y < y0) {
                memset(dl + (size_t)y * n, 0, n * sizeof *dl);
                memset(bl + (size_t)y * n, 0, n * sizeof *bl);
            }
        }
    if (!rc) rc = ts_xct_ptycho_object_from_index(n, L, d, b, lambda, obj);
    ts_xct_ptycho_geom gL = {n, L, np, 1, P->voxel, n * P->voxel / L, lambda, 1};
    ts_xct_ptycho_geom g1 = gL;
    g1.nslices = 1;
    g1.dz_nm = 0;
    if (!rc) rc = ts_xct_ptycho_create(&gL, npos, pos, &mL);
    if (!rc) rc = ts_xct_ptycho_create(&g1, npos, pos, &m1);
    if (!rc) rc = ts_xct_ptycho_forward(mL, obj, probe, inten);
    if (!rc && P->photons > 0) rc = ts_xct_ptycho_poisson(inten, (size_t)npos * nn, P->seed * 100003 + (uint64_t)a);
    /* vacuum reference: illuminated rows at least one row away from the sample */
    if (!rc) rc = ts_xct_ptycho_illum_mask(m1, probe, 0.3, mask);
    if (!rc)
        for (int r = y0 - 1; r <= y0 + ny && r < n; r++)
            if (r >= 0) memset(mask + (size_t)r * n, 0, n);
    ts_xct_ptycho_params p;
    ts_xct_ptycho_params_default(&p);
    p.iters = (int)P->iters;
    p.probe_start = 1 << 30; /* known probe */
    p.seed = P->seed + (uint64_t)a;
    if (!rc) {
        for (size_t i = 0; i < n2; i++) o[i] = 1;
        memcpy(pr, probe, nn * sizeof *pr);
        double *hist = malloc((size_t)p.iters * sizeof *hist);
        ts_xct_ptycho_info info = {hist, NULL, 0};
        rc = hist ? ts_xct_ptycho_reconstruct(m1, &p, inten, o, pr, &info) : ts_error_set(TS_ERR_NOMEM, "oom");
        if (!rc) *derr = hist[info.iters - 1];
        free(hist);
    }
    if (!rc) {
        double complex s = 0;
        for (size_t i = 0; i < n2; i++)
            if (mask[i]) s += o[i];
        double complex g = cabs(s) > 0 ? conj(s) / cabs(s) : 1;
        for (size_t i = 0; i < n2; i++) phase[i] = 0;
        for (int y = 0; y < ny; y++)
            for (int c = 0; c < n; c++)
                phase[(size_t)y * n + c] = (float)carg(o[(size_t)(y + y0) * n + c] * g);
    }
    /* the Approximant: P->approx_iters gradient iterations with L slices */
    if (!rc) {
        for (size_t i = 0; i < (size_t)L * n2; i++) o[i] = 1;
        memcpy(pr, probe, nn * sizeof *pr);
        p.algo = TS_XCT_PTYCHO_GRAD;
        p.iters = (int)P->approx_iters;
        rc = ts_xct_ptycho_reconstruct(mL, &p, inten, o, pr, NULL);
    }
    if (!rc)
        for (int l = 0; l < L; l++) {
            double complex s = 0;
            const double complex *ol = o + (size_t)l * n2;
            for (size_t i = 0; i < n2; i++)
                if (mask[i]) s += ol[i];
            double complex g = cabs(s) > 0 ? conj(s) / cabs(s) : 1;
            float *sl = slabs_nm + (size_t)l * n2;
            for (size_t i = 0; i < n2; i++) sl[i] = 0;
            for (int y = 0; y < ny; y++)
                for (int c = 0; c < n; c++)
                    sl[(size_t)y * n + c] = (float)(-carg(ol[(size_t)(y + y0) * n + c] * g) / k);
        }
    ts_xct_ptycho_destroy(mL);
    ts_xct_ptycho_destroy(m1);
    free(d); free(b); free(obj); free(o); free(pr); free(inten); free(mask);
    return rc;
}

static int metrics_row(ts_csv *csv, int id, const char *name, const float *ref, const float *img, int n, int ny,
                       double t)
{
    ts_xct_metrics mt;
    size_t n2 = (size_t)n * n;
    int rc = ts_xct_metrics_compute(ref + (size_t)(ny / 2) * n2, img + (size_t)(ny / 2) * n2, n, n, 0, &mt);
    double pcc_vol = NAN;
    if (!rc) rc = ts_xct_pcc(ref, img, (size_t)ny * n2, &pcc_vol);
    if (rc) return rc;
    printf("  %-12s PCC(volume) %.4f  mid slice: PCC %.4f SSIM %.4f PSNR %.2f dB DSC %.4f BER %.4f  "
           "(%.2f s)\n", name, pcc_vol, mt.pcc, mt.ssim, mt.psnr, mt.dsc, mt.ber, t);
    if ((rc = ts_csv_cell_i(csv, id))) return rc;
    double v[7] = {pcc_vol, mt.pcc, mt.ssim, mt.psnr, mt.dsc, mt.ber, t};
    for (int i = 0; i < 7 && !rc; i++) rc = ts_csv_cell_d(csv, v[i]);
    return rc ? rc : ts_csv_end_row(csv);
}

int xct_cmd_ptychotomo(int argc, char **argv)
{
    pt_opts P = {48, 8, 16, 29, 50, 4, 2, 50, 70.0, 4.0, 1e6, 14.0, 8.8, "sirt", "gaussian", 1};
    const char *out = "xct-ptychotomo";
    ts_opt o[] = {
        {"nx", TS_OPT_LONG, &P.nx, "VOX", "phantom width = depth (voxels); the field is n = 1.42 nx"},
        {"ny", TS_OPT_LONG, &P.ny, "VOX", "phantom slices along the rotation axis"},
        {"np", TS_OPT_LONG, &P.np, "PX", "probe window = detector (pixels)"},
        {"step", TS_OPT_DOUBLE, &P.step, "PX", "raster scan step (pixels, < np)"},
        {"probe", TS_OPT_STRING, &P.probe, "KIND", "gaussian | zoneplate"},
        {"photons", TS_OPT_DOUBLE, &P.photons, "N", "photons per position (0: noise-free)"},
        {"angles", TS_OPT_LONG, &P.nang, "N", "projection angles"},
        {"range", TS_OPT_DOUBLE, &P.range, "DEG", "half angular range: angles in [-range, +range]"},
        {"iters", TS_OPT_LONG, &P.iters, "N", "ePIE iterations per angle (classical pipeline)"},
        {"slices", TS_OPT_LONG, &P.slices, "L", "slabs of the multislice data and the Approximant"},
        {"approx-iters", TS_OPT_LONG, &P.approx_iters, "N", "gradient iterations per angle (Approximant)"},
        {"tomo", TS_OPT_STRING, &P.tomo, "ALGO", "tomography: fbp | art | sirt | sart | tv"},
        {"tomo-iters", TS_OPT_LONG, &P.tomo_iters, "N", "iterations of the tomography"},
        {"voxel-nm", TS_OPT_DOUBLE, &P.voxel, "NM", "voxel size (nm)"},
        {"energy-kev", TS_OPT_DOUBLE, &P.energy, "KEV", "X-ray energy (keV), 5 .. 8.97"},
        {"seed", TS_OPT_U64, &P.seed, "N", "random seed (phantom, noise, ePIE order)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    int no = (int)(sizeof o / sizeof o[0]), npos_arg;
    char *pos_arg[1];
    int rc = ts_cli_parse(argc, argv, "tinsel xct ptychotomo [options]",
                          "Ptycho-tomography of a synthetic IC (Cu/W/SiO2/Si): per angle, far-field "
                          "ptychography data of the sample cut into L slabs (multislice, known Gaussian or "
                          "zone-plate probe, Poisson noise), then (a) the classical pipeline: single-slice "
                          "ePIE per angle -> phase projections -delta k voxel -> tomography (FBP/ART/SIRT/"
                          "SART/TV) of delta; (b) the Approximant: 2 gradient iterations of L-slice "
                          "ptychography per angle, slab phases rotated back and averaged over angles; "
                          "(c) the ideal tomography of the true projections. Writes delta_*.tif (one "
                          "page per slice, delta), phase_projections.tif (rad, one page per angle), PNGs "
                          "of the middle slice, metrics.csv (PCC over the volume; PCC, SSIM, PSNR, DSC, "
                          "BER of the middle slice against the phantom, binarised by a 2-class Gaussian "
                          "mixture of the truth) and run.ini.",
                          o, no, pos_arg, 0, &npos_arg);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    ts_xct_algo talgo;
    if ((rc = ts_xct_algo_parse(P.tomo, &talgo))) return ts_cli_fail(rc, "xct ptychotomo");
    if (P.nx < 16 || P.nx > 1024 || P.ny < 1 || P.ny > 1024 || P.nang < 1 || P.nang > 3600 ||
        P.iters < 1 || P.slices < 1 || P.slices > 64 || P.approx_iters < 1 || P.tomo_iters < 1 ||
        !(P.range > 0 && P.range <= 90) || P.photons < 0)
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "ptychotomo: need 16 <= nx <= 1024, 1 <= ny, "
                                        "angles >= 1, 1 <= slices <= 64, iterations >= 1, 0 < range <= 90"),
                           "xct ptychotomo");
    int n = (int)ceil(1.42 * P.nx);
    n += n & 1;
    if (P.np < 4 || (int)P.ny + (int)P.np + 2 > n)
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "ptychotomo: np >= 4 and ny + np + 2 <= the %d px field "
                                        "(vacuum rows for the phase reference), got ny %ld, np %ld",
                                        n, P.ny, P.np), "xct ptychotomo");
    if (P.np > n)
        return ts_cli_fail(ts_error_set(TS_ERR_RANGE, "probe window %ld px larger than the %d px field",
                                        P.np, n), "xct ptychotomo");
    const int ny = (int)P.ny, np = (int)P.np, L = (int)P.slices, nang = (int)P.nang;
    const size_t n2 = (size_t)n * n;
    const double lambda = HC_KEV_NM / P.energy;
    int *pos = NULL, npos = 0;
    if ((rc = ts_xct_ptycho_scan_raster(n, np, P.step, &pos, &npos))) return ts_cli_fail(rc, "xct ptychotomo");
    ts_xct_phantom_params pp;
    ts_xct_phantom_params_default(&pp);
    pp.nx = (int)P.nx; pp.nz = (int)P.nx; pp.ny = ny; pp.voxel_nm = P.voxel; pp.energy_kev = P.energy;
    pp.seed = P.seed; pp.layers = 3;
    ts_xct_phantom *ph = NULL;
    ts_run *run = NULL;
    ts_csv *csv = NULL;
    double *theta = malloc((size_t)nang * sizeof *theta), *derr = malloc((size_t)nang * sizeof *derr);
    float *vd = calloc((size_t)ny * n2, sizeof *vd), *vb = calloc((size_t)ny * n2, sizeof *vb);
    float *phase = malloc((size_t)nang * n2 * sizeof *phase);
    float *slabs = malloc((size_t)nang * L * n2 * sizeof *slabs);
    float *sino = malloc((size_t)ny * nang * n * sizeof *sino), *sino_true = malloc((size_t)ny * nang * n * sizeof *sino);
    float *vol = calloc((size_t)ny * n2, sizeof *vol), *vid = calloc((size_t)ny * n2, sizeof *vid);
    float *acc = calloc((size_t)ny * n2, sizeof *acc), *wacc = calloc((size_t)ny * n2, sizeof *wacc);
    double complex *probe = malloc((size_t)np * np * sizeof *probe);
    if (!theta || !derr || !vd || !vb || !phase || !slabs || !sino || !sino_true || !vol || !vid || !acc ||
        !wacc || !probe)
        rc = ts_error_set(TS_ERR_NOMEM, "ptychotomo: out of memory");
    if (!rc) rc = ts_xct_angles_linspace(nang, -P.range, P.range, 1, theta);
    if (!rc) rc = ts_xct_phantom_create(&pp, &ph);
    for (int y = 0; !rc && y < ny; y++) {
        rc = ts_xct_phantom_slice(ph, y, 0, n, vd + (size_t)y * n2);
        if (!rc) rc = ts_xct_phantom_slice(ph, y, 1, n, vb + (size_t)y * n2);
    }
    if (!rc) {
        double ph_photons = P.photons > 0 ? P.photons : 1e6;
        if (!strcmp(P.probe, "gaussian"))
            rc = ts_xct_ptycho_probe_gaussian(np, 1, np / 8.0, 0.02, 0.5, ph_photons, probe);
        else if (!strcmp(P.probe, "zoneplate"))
            rc = ts_xct_ptycho_probe_zoneplate(np, 1, 0.5, 0.3, (np / 4.0) * P.voxel / (0.25 * lambda / P.voxel),
                                               P.voxel, lambda, 0.5, ph_photons, probe);
        else
            rc = ts_error_set(TS_ERR_INVAL, "unknown probe '%s' (expected gaussian, zoneplate)", P.probe);
    }
    double t0 = wall();
    /* angles in parallel; each angle's ptychography runs on one thread */
    if (!rc) {
        ts_progress *prog = ts_progress_create("ptychography per angle", nang, "angles");
        int done = 0, err = 0;
        char msg[512] = "";
#pragma omp parallel for schedule(dynamic)
        for (int a = 0; a < nang; a++) {
            if (err) continue;
            int lrc = one_angle(&P, n, ny, vd, vb, theta[a], pos, npos, probe, lambda, a,
                                phase + (size_t)a * n2, slabs + (size_t)a * L * n2, &derr[a]);
#pragma omp critical(ptychotomo_progress)
            {
                if (lrc && !err) {
                    err = lrc;
                    snprintf(msg, sizeof msg, "%s", ts_error_message());
                }
                done++;
                ts_progress_update(prog, done, NULL);
            }
        }
        ts_progress_destroy(prog);
        if (err) rc = ts_error_set(err, "%s", msg);
    }
    double t_ptycho = wall() - t0;
    /* phase projections -> sinograms of delta (line integrals in pixels) */
    const double k = 2 * 3.14159265358979323846 / lambda;
    if (!rc)
        for (int y = 0; y < ny; y++)
            for (int a = 0; a < nang; a++)
                for (int t = 0; t < n; t++)
                    sino[((size_t)y * nang + a) * n + t] =
                        (float)(-phase[(size_t)a * n2 + (size_t)y * n + t] / (k * P.voxel));
    /* true projections (the ideal reference) */
    if (!rc) {
        float *one = malloc(n2 * sizeof *one);
        rc = one ? 0 : ts_error_set(TS_ERR_NOMEM, "out of memory");
        for (int a = 0; !rc && a < nang; a++) {
            rc = ts_xct_slab_project(n, ny, vd, theta[a], 1, 1.0, one);
            for (int y = 0; !rc && y < ny; y++)
                memcpy(sino_true + ((size_t)y * nang + a) * n, one + (size_t)y * n, n * sizeof *one);
        }
        free(one);
    }
    ts_xct_geom *g = NULL;
    ts_xct_params tp;
    ts_xct_params_default(&tp);
    tp.algo = talgo;
    tp.iters = (int)P.tomo_iters;
    tp.lo = 0;
    double t_tomo = 0, t_ideal = 0, t_approx = 0;
    if (!rc) rc = ts_xct_geom_create(n, n, nang, theta, -1, &g);
    if (!rc) {
        double t1 = wall();
        rc = ts_xct_reconstruct(g, &tp, ny, sino, vol, NULL);
        t_tomo = wall() - t1;
    }
    if (!rc) {
        double t1 = wall();
        rc = ts_xct_reconstruct(g, &tp, ny, sino_true, vid, NULL);
        t_ideal = wall() - t1;
    }
    if (!rc) {
        double t1 = wall();
        for (int a = 0; !rc && a < nang; a++)
            rc = ts_xct_slab_backproject_add(n, ny, slabs + (size_t)a * L * n2, theta[a], L, P.voxel, acc, wacc);
        for (size_t i = 0; !rc && i < (size_t)ny * n2; i++) acc[i] = wacc[i] > 0 ? acc[i] / wacc[i] : 0;
        t_approx = wall() - t1;
    }
    if (!rc) rc = ts_run_create(out, "xct ptychotomo", P.seed, &run);
    if (!rc) rc = save_stack(run, "delta_true.tif", vd, n, n, ny, ny / 2);
    if (!rc) rc = save_stack(run, "delta_ptychotomo.tif", vol, n, n, ny, ny / 2);
    if (!rc) rc = save_stack(run, "delta_approximant.tif", acc, n, n, ny, ny / 2);
    if (!rc) rc = save_stack(run, "delta_ideal.tif", vid, n, n, ny, ny / 2);
    if (!rc) rc = save_stack(run, "phase_projections.tif", phase, n, n, nang, nang / 2);
    double mean_derr = 0;
    for (int a = 0; !rc && a < nang; a++) mean_derr += derr[a] / nang;
    if (!rc) {
        printf("ptychotomo: phantom %ld x %d x %ld voxels in a %d px field, %d angles over +-%g deg, %d "
               "positions per angle (%dx%d detector, step %g px), %g photons/position, %d slabs\n"
               "  ptychography (all angles, classical + Approximant) %.2f s; mean final ePIE data error %.3e\n",
               P.nx, ny, P.nx, n, nang, P.range, npos, np, np, P.step, P.photons, L, t_ptycho, mean_derr);
        char *cp = ts_run_path(run, "metrics.csv");
        const char *hdr[] = {"method", "pcc_volume", "pcc", "ssim", "psnr_db", "dsc", "ber", "time_s"};
        rc = cp ? ts_csv_open(cp, 8, hdr, &csv) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(cp);
    }
    if (!rc) rc = metrics_row(csv, 0, "ptychotomo", vd, vol, n, ny, t_tomo);
    if (!rc) rc = metrics_row(csv, 1, "approximant", vd, acc, n, ny, t_approx);
    if (!rc) rc = metrics_row(csv, 2, "ideal", vd, vid, n, ny, t_ideal);
    if (!rc) rc = ts_csv_close(csv);
    else ts_csv_abort(csv);
    if (!rc) rc = xct_write_ini_opts(run, "xct ptychotomo", o, no);
    if (!rc) printf("  written to %s\n", out);
    ts_xct_geom_destroy(g);
    ts_run_destroy(run);
    ts_xct_phantom_destroy(ph);
    free(theta); free(derr); free(vd); free(vb); free(phase); free(slabs); free(sino); free(sino_true);
    free(vol); free(vid); free(acc); free(wacc); free(probe); free(pos);
    return ts_cli_fail(rc, "xct ptychotomo");
}
