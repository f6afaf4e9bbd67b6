/* tinsel xct study: the seed's two sweeps (seed 001, Figs. 3 and 5) for the
 * classical algorithms on an IC phantom slice -- the number of angles N at
 * the widest range, then the angular range at fixed N -- with PSNR, SSIM,
 * MS-SSIM, PCC, DSC and BER against the phantom, slices and power spectra
 * (the missing wedge, seed Fig. 6a).
 * Data avoid the "inverse crime": projections are computed on a 3x finer
 * grid (each voxel split 3x3, detector bins integrated over 3 fine bins), then
 * Gaussian noise is added; reconstructions use the coarse Joseph model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_app.h"

#define FINE 3
#define NMET 8 /* psnr ssim msssim pcc dsc ber dsc_truth ber_truth */
#define XCT_PI 3.14159265358979323846

void xct_study_defaults(xct_study_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->nx = 160;
    c->nz = 64;
    c->layers = 4;
    c->pitch1 = 8;
    c->voxel_nm = 14.0;
    c->energy_kev = 8.8;
    c->angles = "141,71,35,29,17,9";
    c->ranges = "70,50,30,17,10";
    c->n_fixed = 29;
    c->range_max = 70.0;
    c->algos = "fbp,art,sirt,sart,tv";
    c->sirt_iters = 100;
    c->sart_iters = 10;
    c->art_iters = 3;
    c->tv_iters = 100;
    c->tv_inner = 10;
    c->tv_weight = 0.5;
    c->noise = 0.01;
    c->seed = 1;
}

/* Sinogram [nang][n] of the n x n image img for angles theta, computed on a
 * FINE x finer grid (see top). */
static int fine_sinogram(int n, const float *img, int nang, const double *theta, float *out)
{
    int nf = FINE * n + 2; /* +2 so the fine centre nf/2 falls on a coarse pixel centre */
    float *F = calloc((size_t)nf * nf, sizeof *F);
    float *sf = malloc((size_t)nang * nf * sizeof *sf);
    ts_xct_geom *g = NULL;
    ts_xct_op *op = NULL;
    int rc = 0;
    if (!F || !sf) {
        rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
        goto done;
    }
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++)
            for (int i = 0; i < FINE; i++)
                for (int j = 0; j < FINE; j++)
                    F[(size_t)(FINE * r + i) * nf + FINE * c + j] = img[(size_t)r * n + c];
    if ((rc = ts_xct_geom_create(nf, nf, nang, theta, -1, &g))) goto done;
    if ((rc = ts_xct_op_joseph_create(g, &op))) goto done;
    if ((rc = op->forward(op, F, sf))) goto done;
    for (int a = 0; a < nang; a++)
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int j = 0; j < FINE; j++) s += sf[(size_t)a * nf + FINE * k + j];
            out[(size_t)a * n + k] = (float)(s / (FINE * FINE)); /* mean bin, coarse length */
        }
done:
    ts_xct_op_destroy(op);
    ts_xct_geom_destroy(g);
    free(F);
    free(sf);
    return rc;
}


/* Seed 001 binarisation: a two-Gaussian EM fit of the gold standard (GS)
 * over the sample's pixels (truth > 0: the seed's volumes hold no vacuum),
 * the Bayes rule applied to GS and test images on the same pixels. */
typedef struct {
    size_t m;                 /* number of sample pixels */
    size_t *idx;              /* [m] their indices in the n x n image */
    ts_xct_gmm2 gmm;
    uint8_t *gs_lab, *truth_lab, *lab; /* [m] */
    float *buf;
} binarizer;

static void rect_values(const binarizer *B, const float *img, float *out)
{
    for (size_t i = 0; i < B->m; i++) out[i] = img[B->idx[i]];
}

static void binary_metrics(binarizer *B, const float *img, int n, double *out)
{
    (void)n;
    size_t m = B->m;
    rect_values(B, img, B->buf);
    ts_xct_gmm2_classify(&B->gmm, B->buf, m, B->lab);
    ts_xct_binary_scores s;
    ts_xct_binary_scores_compute(B->gs_lab, B->lab, m, &s);
    out[0] = s.dsc;
    out[1] = s.ber;
    ts_xct_binary_scores_compute(B->truth_lab, B->lab, m, &s);
    out[2] = s.dsc;
    out[3] = s.ber;
}

static int continuous_metrics(const float *truth, const float *x, int n, double range, double *mv)
{
    size_t nn = (size_t)n * n;
    TS_TRY(ts_xct_psnr(truth, x, nn, range, &mv[0]));
    TS_TRY(ts_xct_ssim(truth, x, n, n, 7, range, &mv[1]));
    mv[2] = NAN;
    if (n >= 176) TS_TRY(ts_xct_msssim(truth, x, n, n, range, &mv[2]));
    return ts_xct_pcc(truth, x, nn, &mv[3]);
}

static void binarizer_free(binarizer *B)
{
    free(B->gs_lab);
    free(B->idx);
    memset(B, 0, sizeof *B);
}

/* Gold standard as seed 001: SART (5 sweeps) from 349 angles over +-70.4 deg,
 * same noise model; then the EM fit. label: true metal label image [n][n]. */
static int binarizer_init(binarizer *B, const float *truth, const float *label, int n,
                          double noise, uint64_t seed, float *gs)
{
    memset(B, 0, sizeof *B);
    size_t nn = (size_t)n * n, m = 0;
    for (size_t i = 0; i < nn; i++) m += truth[i] > 0;
    B->m = m;
    B->idx = malloc((m ? m : 1) * sizeof *B->idx);
    TS_CHECK_ALLOC(B->idx);
    for (size_t i = 0, j = 0; i < nn; i++)
        if (truth[i] > 0) B->idx[j++] = i;
    const int na = 349;
    double *theta = malloc(na * sizeof *theta);
    float *sino = malloc((size_t)na * n * sizeof *sino);
    B->gs_lab = malloc(3 * m + m * sizeof(float));
    ts_xct_geom *g = NULL;
    int rc = 0;
    if (!theta || !sino || !B->gs_lab) {
        rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
        goto done;
    }
    B->truth_lab = B->gs_lab + m;
    B->lab = B->truth_lab + m;
    B->buf = (float *)(B->lab + m);
    if ((rc = ts_xct_angles_linspace(na, -70.4, 70.4, 1, theta))) goto done;
    if ((rc = fine_sinogram(n, truth, na, theta, sino))) goto done;
    float bmax = 0;
    for (int i = 0; i < na * n; i++) bmax = fmaxf(bmax, sino[i]);
    ts_rng *rng = ts_rng_create(seed, 0);
    if (!rng) {
        rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
        goto done;
    }
    for (int i = 0; i < na * n; i++) sino[i] += (float)ts_rng_normal(rng, 0, noise * bmax);
    ts_rng_destroy(rng);
    if ((rc = ts_xct_geom_create(n, n, na, theta, -1, &g))) goto done;
    ts_xct_params p;
    ts_xct_params_default(&p);
    p.algo = TS_XCT_SART;
    p.iters = 5;
    p.stall = 0;
    if ((rc = ts_xct_reconstruct(g, &p, 1, sino, gs, NULL))) goto done;
    rect_values(B, gs, B->buf);
    if ((rc = ts_xct_gmm2_fit(B->buf, m, &B->gmm))) goto done;
    ts_xct_gmm2_classify(&B->gmm, B->buf, m, B->gs_lab);
    rect_values(B, label, B->buf);
    for (size_t i = 0; i < m; i++) B->truth_lab[i] = B->buf[i] > 0.5f;
done:
    ts_xct_geom_destroy(g);
    free(theta);
    free(sino);
    if (rc) binarizer_free(B);
    return rc;
}

typedef struct {
    int nang;
    double range;
} config;

static int has_algo(const char *list, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += l)
        if ((p == list || p[-1] == ',') && (p[l] == ',' || p[l] == '\0')) return 1;
    return 0;
}

static int add_file(ts_report *rep, const char *pre, const char *name, const char *kind,
                    const char *desc)
{
    if (!rep) return 0;
    char rel[512];
    snprintf(rel, sizeof rel, "%s%s", pre ? pre : "", name);
    return ts_report_file(rep, rel, kind, desc);
}

/* Montage of tiles [nt][n][n] in rows x cols into out [rows n][cols n]. */
static void montage(int n, int rows, int cols, const double *const *tiles, double *out)
{
    int W = cols * n;
    for (int t = 0; t < rows * cols; t++) {
        int R = t / cols, C = t % cols;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                out[(size_t)(R * n + r) * W + C * n + c] = tiles[t] ? tiles[t][(size_t)r * n + c] : NAN;
    }
}

int xct_study_run(const xct_study_cfg *c, const char *outdir, ts_report *rep, const char *pre)
{
    double *av = NULL, *rv = NULL;
    int nav = 0, nrv = 0;
    TS_TRY(xct_parse_list(c->angles, &av, &nav));
    int rc = xct_parse_list(c->ranges, &rv, &nrv);
    if (rc) {
        free(av);
        return rc;
    }
    static const char *anames[5] = {"fbp", "art", "sirt", "sart", "tv"};
    int alg[5], nalg = 0;
    for (int a = 0; a < 5; a++)
        if (has_algo(c->algos, anames[a])) alg[nalg++] = a;
    /* every listed name must be known */
    for (const char *p = c->algos; *p;) {
        size_t l = strcspn(p, ",");
        int ok = 0;
        for (int a = 0; a < 5; a++)
            if (l == strlen(anames[a]) && strncmp(p, anames[a], l) == 0) ok = 1;
        if (!ok) {
            free(av);
            free(rv);
            return ts_error_set(TS_ERR_INVAL, "study: unknown algorithm '%.*s' in --algos (fbp, art, "
                                "sirt, sart, tv)", (int)l, p);
        }
        p += l;
        if (*p == ',') p++;
    }
    /* configurations: angle sweep at range_max, then range sweep at n_fixed */
    int ncfg = 0;
    config *cfg = malloc((size_t)(nav + nrv) * sizeof *cfg);
    ts_xct_phantom *ph = NULL;
    float *truth = NULL, *recs = NULL, *sino = NULL, *label = NULL, *gs = NULL;
    binarizer B = {0};
    double *theta = NULL, *metrics = NULL, *times = NULL;
    char *path = NULL;
    ts_csv *csv = NULL;
    if (!cfg) {
        rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
        goto done;
    }
    if (nalg == 0) {
        rc = ts_error_set(TS_ERR_INVAL, "study: no known algorithm in '%s' (fbp, art, sirt, sart, tv)",
                          c->algos);
        goto done;
    }
    for (int i = 0; i < nav; i++) {
        if (!(av[i] >= 2 && av[i] <= 2000 && av[i] == floor(av[i]))) {
            rc = ts_error_set(TS_ERR_INVAL, "study: number of angles %g must be an integer in 2..2000", av[i]);
            goto done;
        }
        cfg[ncfg++] = (config){(int)av[i], c->range_max};
    }
    for (int i = 0; i < nrv; i++) {
        if (!(rv[i] > 0 && rv[i] <= 90)) {
            rc = ts_error_set(TS_ERR_INVAL, "study: half range %g deg must be in (0, 90]", rv[i]);
            goto done;
        }
        int dup = 0;
        for (int j = 0; j < ncfg; j++)
            if (cfg[j].nang == c->n_fixed && fabs(cfg[j].range - rv[i]) < 1e-9) dup = 1;
        if (!dup) cfg[ncfg++] = (config){(int)c->n_fixed, rv[i]};
    }
    /* phantom: the slice with the most metal */
    ts_xct_phantom_params pp;
    ts_xct_phantom_params_default(&pp);
    pp.nx = c->nx;
    pp.nz = c->nz;
    pp.ny = 32;
    pp.layers = c->layers;
    pp.pitch1 = c->pitch1;
    pp.voxel_nm = c->voxel_nm;
    pp.energy_kev = c->energy_kev;
    pp.seed = c->seed;
    if ((rc = ts_xct_phantom_create(&pp, &ph))) goto done;
    int best_y = 0;
    long best_m = -1;
    for (int y = 0; y < ph->ny; y++) {
        long m = 0;
        for (int i = 0; i < ph->nz * ph->nx; i++) m += ph->metal[(size_t)y * ph->nz * ph->nx + i];
        if (m > best_m) {
            best_m = m;
            best_y = y;
        }
    }
    int n = (int)ceil(sqrt((double)c->nx * c->nx + (double)c->nz * c->nz)) + 4;
    n += n % 2;
    if (n < 176) n = 176; /* MS-SSIM needs 176 */
    size_t nn = (size_t)n * n;
    truth = malloc(nn * sizeof *truth);
    recs = malloc((size_t)ncfg * nalg * nn * sizeof *recs);
    metrics = malloc((size_t)ncfg * nalg * NMET * sizeof *metrics);
    times = malloc((size_t)ncfg * nalg * sizeof *times);
    if (!truth || !recs || !metrics || !times) {
        rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory for %d configurations", ncfg);
        goto done;
    }
    if ((rc = ts_xct_phantom_slice(ph, best_y, 0, n, truth))) goto done;
    /* phase shift per voxel (mrad): 2 pi delta voxel / lambda */
    double lambda_nm = 1.23984193 / c->energy_kev;
    float scale = (float)(2 * XCT_PI * c->voxel_nm / lambda_nm * 1e3);
    for (size_t i = 0; i < nn; i++) truth[i] *= scale;
    double tmax = 0;
    for (size_t i = 0; i < nn; i++) tmax = fmax(tmax, truth[i]);
    ts_log_info("study: phantom slice y = %d, %d x %d image, %d configurations x %d algorithms",
                best_y, n, n, ncfg, nalg);
    label = malloc(nn * sizeof *label);
    gs = malloc(nn * sizeof *gs);
    if (!label || !gs) {
        rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
        goto done;
    }
    if ((rc = ts_xct_phantom_slice(ph, best_y, 2, n, label))) goto done;
    if ((rc = binarizer_init(&B, truth, label, n, c->noise, c->seed, gs))) goto done;
    {
        double gsm[NMET];
        if ((rc = continuous_metrics(truth, gs, n, tmax, gsm))) goto done;
        binary_metrics(&B, gs, n, gsm + 4);
        ts_log_info("study: gold standard (SART, 349 angles, +-70.4 deg): PCC %.4f; EM fit priors "
                    "%.3f/%.3f means %.3f/%.3f mrad; vs true metal label DSC %.4f BER %.4f",
                    gsm[3], B.gmm.prior[0], B.gmm.prior[1], B.gmm.mean[0], B.gmm.mean[1], gsm[6], gsm[7]);
        if (rep)
            ts_report_text(rep, "Gold standard (seed 001: SART, 349 angles over +-70.4 deg): PCC %.4f vs "
                           "the phantom; its two-Gaussian EM fit (priors %.3f/%.3f, means %.2f/%.2f mrad) "
                           "binarises every reconstruction; the gold standard itself has DSC %.4f, BER "
                           "%.4f against the true metal label.", gsm[3], B.gmm.prior[0], B.gmm.prior[1],
                           B.gmm.mean[0], B.gmm.mean[1], gsm[6], gsm[7]);
    }
    ts_progress *prog = ts_progress_create("xct study", (double)ncfg * nalg, "recon");
    for (int ci = 0; ci < ncfg && !rc; ci++) {
        int na = cfg[ci].nang;
        free(theta);
        free(sino);
        theta = malloc((size_t)na * sizeof *theta);
        sino = malloc((size_t)na * n * sizeof *sino);
        if (!theta || !sino) {
            rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
            break;
        }
        if ((rc = ts_xct_angles_linspace(na, -cfg[ci].range, cfg[ci].range, 1, theta))) break;
        if ((rc = fine_sinogram(n, truth, na, theta, sino))) break;
        float bmax = 0;
        for (int i = 0; i < na * n; i++) bmax = fmaxf(bmax, sino[i]);
        ts_rng *rng = ts_rng_create(c->seed, (uint64_t)ci + 1);
        if (!rng) {
            rc = ts_error_set(TS_ERR_NOMEM, "study: out of memory");
            break;
        }
        for (int i = 0; i < na * n; i++) sino[i] += (float)ts_rng_normal(rng, 0, c->noise * bmax);
        ts_rng_destroy(rng);
        ts_xct_geom *g = NULL;
        if ((rc = ts_xct_geom_create(n, n, na, theta, -1, &g))) break;
        for (int ai = 0; ai < nalg && !rc; ai++) {
            ts_xct_params p;
            ts_xct_params_default(&p);
            p.algo = (ts_xct_algo)alg[ai];
            p.filter = TS_XCT_FILTER_SHEPP_LOGAN;
            p.stall = 0;
            p.lo = 0;
            p.iters = p.algo == TS_XCT_SIRT  ? (int)c->sirt_iters
                    : p.algo == TS_XCT_SART  ? (int)c->sart_iters
                    : p.algo == TS_XCT_ART   ? (int)c->art_iters
                                             : (int)c->tv_iters;
            if (p.algo == TS_XCT_ART) p.relax = 0.5;
            p.tv_weight = c->tv_weight;
            p.tv_inner = (int)c->tv_inner;
            float *x = recs + ((size_t)ci * nalg + ai) * nn;
            double t0 = ts_time_now();
            rc = ts_xct_reconstruct(g, &p, 1, sino, x, NULL);
            times[ci * nalg + ai] = ts_time_now() - t0;
            if (rc) break;
            double *mv = metrics + ((size_t)ci * nalg + ai) * NMET;
            if ((rc = continuous_metrics(truth, x, n, tmax, mv))) break;
            binary_metrics(&B, x, n, mv + 4);
            ts_progress_update(prog, (double)ci * nalg + ai + 1, anames[alg[ai]]);
        }
        ts_xct_geom_destroy(g);
    }
    ts_progress_destroy(prog);
    if (rc) goto done;
    /* table */
    static const char *hdr[13] = {"algorithm", "n_angles", "half_range_deg", "psnr_db", "ssim",
                                  "msssim", "pcc", "dsc", "ber", "dsc_truth", "ber_truth",
                                  "time_s", "sweep"};
    path = ts_path_join(outdir, "study.csv");
    if (!path) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = ts_csv_open(path, 13, hdr, &csv))) goto done;
    for (int ci = 0; ci < ncfg; ci++)
        for (int ai = 0; ai < nalg; ai++) {
            const double *mv = metrics + ((size_t)ci * nalg + ai) * NMET;
            ts_csv_cell_s(csv, anames[alg[ai]]);
            ts_csv_cell_i(csv, cfg[ci].nang);
            ts_csv_cell_d(csv, cfg[ci].range);
            for (int k = 0; k < NMET; k++) ts_csv_cell_d(csv, mv[k]);
            ts_csv_cell_d(csv, times[ci * nalg + ai]);
            ts_csv_cell_s(csv, ci < nav ? "angles" : "range");
            if ((rc = ts_csv_end_row(csv))) goto done;
        }
    rc = ts_csv_close(csv);
    csv = NULL;
    if (rc) goto done;
    add_file(rep, pre, "study.csv", "table",
             "metrics of every algorithm vs number of angles and angular range");
    /* plots: metric vs N (angle sweep) and vs range (range sweep) */
    static const char *mnames[6] = {"PSNR (dB)", "SSIM", "MS-SSIM", "PCC", "DSC", "BER"};
    static const char *mfile[6] = {"psnr", "ssim", "msssim", "pcc", "dsc", "ber"};
    for (int sweep = 0; sweep < 2 && !rc; sweep++) {
        /* members of the sweep, sorted by the swept variable: the angle sweep
         * at range_max, or every configuration with n_fixed angles (the one
         * at range_max was measured in the angle sweep) */
        int mem[64], nm = 0;
        for (int ci = 0; ci < ncfg && nm < 64; ci++) {
            int in = sweep == 0 ? ci < nav
                                : (cfg[ci].nang == c->n_fixed &&
                                   (ci >= nav || fabs(cfg[ci].range - c->range_max) < 1e-9));
            if (in) mem[nm++] = ci;
        }
        for (int i = 1; i < nm; i++) /* insertion sort by N or range */
            for (int j = i; j > 0; j--) {
                double a = sweep == 0 ? cfg[mem[j - 1]].nang : cfg[mem[j - 1]].range;
                double b = sweep == 0 ? cfg[mem[j]].nang : cfg[mem[j]].range;
                if (a <= b) break;
                int t = mem[j];
                mem[j] = mem[j - 1];
                mem[j - 1] = t;
            }
        if (nm < 2) continue;
        for (int k = 0; k < 6 && !rc; k++) {
            char title[160], fname[64];
            if (sweep == 0)
                snprintf(title, sizeof title, "%s vs number of angles (+-%g deg)", mnames[k], c->range_max);
            else
                snprintf(title, sizeof title, "%s vs angular range (%ld angles)", mnames[k], c->n_fixed);
            ts_plot *pl = ts_plot_create(title, sweep == 0 ? "number of angles N" : "half range (deg)",
                                         mnames[k]);
            if (!pl) {
                rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                break;
            }
            double xs[64], ys[64];
            for (int ai = 0; ai < nalg; ai++) {
                int m = 0;
                for (int q = 0; q < nm; q++) {
                    int ci = mem[q];
                    xs[m] = sweep == 0 ? cfg[ci].nang : cfg[ci].range;
                    ys[m++] = metrics[((size_t)ci * nalg + ai) * NMET + k];
                }
                ts_plot_line(pl, (size_t)m, xs, ys, anames[alg[ai]]);
            }
            snprintf(fname, sizeof fname, "%s_vs_%s.png", mfile[k], sweep == 0 ? "angles" : "range");
            char *pp2 = ts_path_join(outdir, fname);
            rc = pp2 ? ts_plot_write_png(pl, pp2, 800, 560) : TS_ERR_NOMEM;
            free(pp2);
            ts_plot_destroy(pl);
            if (!rc) add_file(rep, pre, fname, "plot", title);
        }
    }
    if (rc) goto done;
    /* slices and power spectra: truth + algorithms at (widest, most angles),
     * (n_fixed, widest) and (n_fixed, narrowest range) */
    {
        int show[3], ns = 0;
        int cmaxN = 0, cfix = -1, cnar = -1;
        for (int ci = 0; ci < nav; ci++)
            if (cfg[ci].nang > cfg[cmaxN].nang) cmaxN = ci;
        for (int ci = 0; ci < ncfg; ci++) {
            if (cfg[ci].nang == c->n_fixed && fabs(cfg[ci].range - c->range_max) < 1e-9) cfix = ci;
            if (cfg[ci].nang == c->n_fixed && (cnar < 0 || cfg[ci].range < cfg[cnar].range)) cnar = ci;
        }
        if (nav > 0) show[ns++] = cmaxN;
        if (cfix >= 0 && cfix != cmaxN) show[ns++] = cfix;
        if (cnar >= 0 && cnar != cfix && cnar != cmaxN) show[ns++] = cnar;
        if (ns == 0) show[ns++] = 0;
        int cols = 1 + nalg;
        double **tiles = calloc((size_t)ns * cols, sizeof *tiles);
        double *big = malloc((size_t)ns * cols * nn * sizeof *big);
        double *all = malloc((size_t)ns * cols * nn * sizeof *all);
        if (!tiles || !big || !all) {
            free(tiles);
            free(big);
            free(all);
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int s = 0; s < ns; s++)
            for (int t = 0; t < cols; t++) {
                double *d = all + ((size_t)s * cols + t) * nn;
                const float *src = t == 0 ? truth : recs + ((size_t)show[s] * nalg + t - 1) * nn;
                for (size_t i = 0; i < nn; i++) d[i] = src[i];
                tiles[s * cols + t] = d;
            }
        montage(n, ns, cols, (const double *const *)tiles, big);
        char title[256];
        int off = snprintf(title, sizeof title, "columns: truth");
        for (int ai = 0; ai < nalg && off < 200; ai++)
            off += snprintf(title + off, sizeof title - off, ", %s", anames[alg[ai]]);
        off += snprintf(title + off, sizeof title - off, "; rows:");
        for (int s = 0; s < ns && off < 240; s++)
            off += snprintf(title + off, sizeof title - off, " N=%d/+-%g", cfg[show[s]].nang, cfg[show[s]].range);
        char *p1 = ts_path_join(outdir, "slices.png");
        rc = p1 ? ts_heatmap_write_png(p1, big, cols * n, ns * n, NULL, 0, tmax, title, "x (voxel)",
                                       "z (voxel)", "phase (mrad/voxel)")
                : TS_ERR_NOMEM;
        free(p1);
        if (!rc) add_file(rep, pre, "slices.png", "image", "IC slice: truth and reconstructions");
        for (int s = 0; s < ns && !rc; s++)
            for (int t = 0; t < cols && !rc; t++) {
                float *fv = malloc(nn * sizeof *fv);
                if (!fv) {
                    rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                    break;
                }
                for (size_t i = 0; i < nn; i++) fv[i] = (float)tiles[s * cols + t][i];
                rc = ts_xct_power_spectrum(n, fv, tiles[s * cols + t]);
                free(fv);
            }
        if (!rc) {
            montage(n, ns, cols, (const double *const *)tiles, big);
            double vmax = -INFINITY;
            for (size_t i = 0; i < (size_t)ns * cols * nn; i++) vmax = fmax(vmax, big[i]);
            char *p2 = ts_path_join(outdir, "spectra.png");
            rc = p2 ? ts_heatmap_write_png(p2, big, cols * n, ns * n, NULL, vmax - 8, vmax, title,
                                           "kx", "kz", "log10 power")
                    : TS_ERR_NOMEM;
            free(p2);
            if (!rc)
                add_file(rep, pre, "spectra.png", "image",
                         "2-D power spectra (log10): the missing wedge around kz");
        }
        free(tiles);
        free(big);
        free(all);
    }
    if (!rc && rep) {
        /* short summary for the report: the fixed-N row at widest and narrowest range */
        for (int ci = 0; ci < ncfg; ci++) {
            if (!(cfg[ci].nang == c->n_fixed)) continue;
            char line[512];
            int off = snprintf(line, sizeof line, "N = %d, +-%g deg: PCC", cfg[ci].nang, cfg[ci].range);
            for (int ai = 0; ai < nalg; ai++)
                off += snprintf(line + off, sizeof line - off, " %s %.3f", anames[alg[ai]],
                                metrics[((size_t)ci * nalg + ai) * NMET + 3]);
            ts_report_text(rep, "%s", line);
        }
    }
done:
    ts_csv_abort(csv);
    binarizer_free(&B);
    free(label);
    free(gs);
    free(path);
    free(av);
    free(rv);
    free(cfg);
    ts_xct_phantom_destroy(ph);
    free(truth);
    free(recs);
    free(sino);
    free(theta);
    free(metrics);
    free(times);
    return rc;
}
