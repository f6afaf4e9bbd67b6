/* `tinsel micro`: synthetic SEM micrographs of aged Cu–SAC305 interfaces,
 * dataset builder, segmentation, descriptors, kinetics, MS-SSIM (seed 000,
 * notes/micrographs.md, docs/micro.md). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro_app.h"

int micro_cmd_dataset(int argc, char **argv);
int micro_cmd_train(int argc, char **argv);
int micro_cmd_sample(int argc, char **argv);
int micro_cmd_generate_matrix(int argc, char **argv);

#define NC (TS_MICRO_NLEVELS * TS_MICRO_NTIMES)


/* Fill synth options from common command-line values. */
typedef struct {
    long width, height, supersample;
    double px, dose, contrast, brightness, blur, line_noise;
} synth_cli;

static void synth_cli_default(synth_cli *s)
{
    ts_micro_synth_opts o;
    ts_micro_synth_opts_default(&o);
    s->width = o.width;
    s->height = o.height;
    s->supersample = o.supersample;
    s->px = o.px_um;
    s->dose = o.dose;
    s->contrast = o.contrast;
    s->brightness = o.brightness;
    s->blur = o.blur_px;
    s->line_noise = o.line_noise;
}

static int synth_cli_apply(const synth_cli *s, ts_micro_synth_opts *o)
{
    ts_micro_synth_opts_default(o);
    if (s->width < 16 || s->height < 16 || s->width > 20000 || s->height > 20000)
        return ts_error_set(TS_ERR_USAGE, "--width/--height %ld x %ld: expected 16..20000 px", s->width, s->height);
    o->width = (int)s->width;
    o->height = (int)s->height;
    o->supersample = (int)s->supersample;
    o->px_um = s->px;
    o->dose = s->dose;
    o->contrast = s->contrast;
    o->brightness = s->brightness;
    o->blur_px = s->blur;
    o->line_noise = s->line_noise;
    return 0;
}

#define SYNTH_OPTS(sc)                                                                           \
    {"width", TS_OPT_LONG, &(sc).width, "PX", "image width (pixels)"},                            \
    {"height", TS_OPT_LONG, &(sc).height, "PX", "image height (pixels)"},                         \
    {"px", TS_OPT_DOUBLE, &(sc).px, "UM", "pixel size (µm); default 16.75/450 as in the seed"},  \
    {"supersample", TS_OPT_LONG, &(sc).supersample, "N", "sub-pixels per side (partial volume)"}, \
    {"dose", TS_OPT_DOUBLE, &(sc).dose, "E", "electrons per pixel at grey 1 (shot noise; 0 = none)"}, \
    {"contrast", TS_OPT_DOUBLE, &(sc).contrast, "C", "grey per unit backscatter coefficient"},     \
    {"brightness", TS_OPT_DOUBLE, &(sc).brightness, "B", "grey of Cu"},                          \
    {"blur", TS_OPT_DOUBLE, &(sc).blur, "PX", "Gaussian blur sd (pixels)"},                       \
    {"line-noise", TS_OPT_DOUBLE, &(sc).line_noise, "SD", "scan-line grey offset sd"}

/* Level from "PVD".."ECD3", a code 0/30/60/120 or any code in [0, 120]. */
static int parse_level(const char *s, int *level, ts_micro_growth *g, int *interp)
{
    *interp = 0;
    if (ts_micro_level_parse(s, level) == 0) return ts_micro_growth_default(*level, g);
    char *end = NULL;
    double code = strtod(s, &end);
    if (end == s || *end != '\0' || !(code >= 0 && code <= 120))
        return ts_error_set(TS_ERR_USAGE,
                            "--level '%s': expected PVD, ECD1, ECD2, ECD3 or an impurity code in 0..120", s);
    *interp = 1;
    *level = code <= 15 ? 0 : code <= 45 ? 1 : code <= 90 ? 2 : 3;
    return ts_micro_growth_at_code(code, g);
}

/* ------------------------------------------------------------------ synth */

static int synth_one(ts_run *run, ts_csv *csv, const ts_micro_synth_opts *so, int level,
                     const ts_micro_growth *g, double t_h, int status, int k, uint64_t seed,
                     uint64_t stream, float *img, uint8_t *lab, const char *levname)
{
    ts_micro_synth_info info;
    TS_TRY(ts_micro_synth(so, level, g, t_h, seed, stream, img, lab, &info));
    ts_micro_desc d;
    TS_TRY(ts_micro_describe(lab, so->width, so->height, so->px_um, &d));
    char base[96], name[160];
    snprintf(base, sizeof base, "%s_%04.0fh_%d", levname, t_h, k);
    int rc = 0;
    char *p;
    snprintf(name, sizeof name, "%s.png", base);
    p = ts_run_path(run, name);
    TS_CHECK_ALLOC(p);
    rc = micro_write_grey_png(p, img, so->width, so->height);
    free(p);
    if (rc) return rc;
    snprintf(name, sizeof name, "%s_labels.png", base);
    p = ts_run_path(run, name);
    TS_CHECK_ALLOC(p);
    rc = micro_write_labels_png(p, lab, so->width, so->height, 0);
    free(p);
    if (rc) return rc;
    snprintf(name, sizeof name, "%s_labels_rgb.png", base);
    p = ts_run_path(run, name);
    TS_CHECK_ALLOC(p);
    rc = micro_write_labels_png(p, lab, so->width, so->height, 1);
    free(p);
    if (rc) return rc;
    snprintf(name, sizeof name, "%s.png", base);
    rc |= ts_csv_cell_s(csv, name);
    snprintf(name, sizeof name, "%s_labels.png", base);
    rc |= ts_csv_cell_s(csv, name);
    rc |= ts_csv_cell_s(csv, levname);
    rc |= ts_csv_cell_d(csv, t_h);
    rc |= ts_csv_cell_s(csv, status >= 0 ? ts_micro_status_name(status) : "custom");
    rc |= ts_csv_cell_i(csv, k);
    double v[9] = {so->px_um, info.h3_um, info.h6_um, info.pore_area_target_um2, d.h_cu3sn_um,
                   d.h_cu6sn5_um, d.pore_area_um2, d.line_length_um, (double)info.npores};
    for (int q = 0; q < 9; q++) rc |= ts_csv_cell_d(csv, v[q]);
    rc |= ts_csv_end_row(csv);
    return rc;
}

static int cmd_synth(int argc, char **argv)
{
    synth_cli sc;
    synth_cli_default(&sc);
    const char *level_s = "PVD", *out = "out/micro-synth";
    double t_h = 0;
    int matrix = 0;
    long nimg = 1;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"level", TS_OPT_STRING, &level_s, "L", "impurity level: PVD, ECD1, ECD2, ECD3 or a code 0..120"},
        {"time", TS_OPT_DOUBLE, &t_h, "H", "ageing time at 150 °C (hours)"},
        {"matrix", TS_OPT_FLAG, &matrix, NULL, "the whole 4 x 7 condition matrix of the seed (Fig. 2)"},
        {"images", TS_OPT_LONG, &nimg, "N", "images per condition"},
        SYNTH_OPTS(sc),
        {"seed", TS_OPT_U64, &seed, "N", "random seed"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro synth [--level L --time H | --matrix] [options]",
                          "Synthetic SEM-BSE micrographs of aged Cu–SAC305 interfaces with exact per-pixel labels "
                          "(0 Cu, 1 Cu3Sn, 2 Cu6Sn5, 3 SAC305, 4 pore, 5 Ag3Sn). Writes <cond>.png (8-bit grey), "
                          "<cond>_labels.png (codes), <cond>_labels_rgb.png, synth.csv (true descriptors, µm and µm²); "
                          "with --matrix also matrix.csv (18 measured / 10 unknown cells) and matrix.png.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 0, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (nimg < 1 || nimg > 1000) {
        fprintf(stderr, "tinsel micro synth: --images %ld: expected 1..1000\n", nimg);
        return TS_EXIT_USAGE;
    }
    ts_micro_synth_opts so;
    if ((rc = synth_cli_apply(&sc, &so))) return ts_cli_fail(rc, "micro synth");
    int level = 0, interp = 0;
    ts_micro_growth g;
    if (!matrix && (rc = parse_level(level_s, &level, &g, &interp))) return ts_cli_fail(rc, "micro synth");
    if (!matrix && !(t_h >= 0)) {
        fprintf(stderr, "tinsel micro synth: --time %g: expected hours >= 0\n", t_h);
        return TS_EXIT_USAGE;
    }
    ts_run *run = NULL;
    if ((rc = ts_run_create(out, "micro synth", seed, &run))) return ts_cli_fail(rc, "micro synth");
    size_t npx = (size_t)so.width * so.height;
    float *img = malloc(npx * sizeof *img);
    uint8_t *lab = malloc(npx);
    float *cells[NC] = {NULL};
    ts_csv *csv = NULL;
    const char *hdr[] = {"image", "labels", "level", "time_h", "status", "index", "px_um",
                         "gen_h_cu3sn_um", "gen_h_cu6sn5_um", "gen_pore_area_um2", "h_cu3sn_um",
                         "h_cu6sn5_um", "pore_area_um2", "line_length_um", "n_pores"};
    char *p = ts_run_path(run, "synth.csv");
    if (!img || !lab || !p) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc) rc = ts_csv_open(p, 15, hdr, &csv);
    free(p);
    if (!rc && matrix) {
        ts_progress *pg = ts_progress_create("micro synth", (double)NC * nimg, "image");
        for (int l = 0; l < TS_MICRO_NLEVELS && !rc; l++)
            for (int t = 0; t < TS_MICRO_NTIMES && !rc; t++)
                for (int k = 0; k < nimg && !rc; k++) {
                    ts_micro_growth_default(l, &g);
                    rc = synth_one(run, csv, &so, l, &g, ts_micro_time_h(t), ts_micro_condition_status(l, t), k,
                                   seed, (uint64_t)(l * TS_MICRO_NTIMES + t) * 1000u + k, img, lab,
                                   ts_micro_level_name(l));
                    if (!rc && k == 0) {
                        cells[l * TS_MICRO_NTIMES + t] = malloc(npx * sizeof(float));
                        if (!cells[l * TS_MICRO_NTIMES + t])
                            rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
                        else
                            memcpy(cells[l * TS_MICRO_NTIMES + t], img, npx * sizeof(float));
                    }
                    ts_progress_update(pg, (double)((l * TS_MICRO_NTIMES + t) * nimg + k + 1), NULL);
                }
        ts_progress_destroy(pg);
        if (!rc) {
            p = ts_run_path(run, "matrix.png");
            rc = p ? micro_mosaic_png(p, cells, so.width, so.height, 160) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        if (!rc) {
            ts_csv *m = NULL;
            const char *mh[] = {"level", "impurity_code", "time_h", "status"};
            p = ts_run_path(run, "matrix.csv");
            rc = p ? ts_csv_open(p, 4, mh, &m) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
            for (int l = 0; l < TS_MICRO_NLEVELS && !rc; l++)
                for (int t = 0; t < TS_MICRO_NTIMES && !rc; t++) {
                    rc |= ts_csv_cell_s(m, ts_micro_level_name(l));
                    rc |= ts_csv_cell_d(m, ts_micro_level_code(l));
                    rc |= ts_csv_cell_d(m, ts_micro_time_h(t));
                    rc |= ts_csv_cell_s(m, ts_micro_status_name(ts_micro_condition_status(l, t)));
                    rc |= ts_csv_end_row(m);
                }
            if (rc)
                ts_csv_abort(m);
            else
                rc = ts_csv_close(m);
        }
    } else if (!rc) {
        char levname[32];
        if (interp)
            snprintf(levname, sizeof levname, "code%g", strtod(level_s, NULL));
        else
            snprintf(levname, sizeof levname, "%s", ts_micro_level_name(level));
        int status = -1;
        for (int t = 0; t < TS_MICRO_NTIMES; t++)
            if (!interp && ts_micro_time_h(t) == t_h) status = ts_micro_condition_status(level, t);
        for (int k = 0; k < nimg && !rc; k++)
            rc = synth_one(run, csv, &so, level, &g, t_h, status, k, seed, (uint64_t)k, img, lab, levname);
    }
    if (csv) {
        if (rc)
            ts_csv_abort(csv);
        else
            rc = ts_csv_close(csv);
    }
    if (!rc) rc = ts_run_write_ini(run, NULL);
    if (!rc) printf("tinsel micro synth: wrote %s\n", ts_run_dir(run));
    for (int j = 0; j < NC; j++) free(cells[j]);
    free(img);
    free(lab);
    ts_run_destroy(run);
    return ts_cli_fail(rc, "micro synth");
}

/* ---------------------------------------------------------------- segment */

static const char *base_name(const char *path, char *buf, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, n, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    return buf;
}

static int cmd_segment(int argc, char **argv)
{
    const char *out = "out/micro-segment", *model = NULL, *truth = NULL, *train = NULL, *train_labels = NULL;
    long ntrain = 4, per_class = 1500, min_blob = 6, trees = 32, depth = 14;
    int no_cleanup = 0;
    double px = 16.75 / 450.0;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"model", TS_OPT_STRING, &model, "FILE", "trained forest (model.rf); default: train on synthetic labelled images"},
        {"truth", TS_OPT_STRING, &truth, "LIST", "comma-separated true label images (codes 0..5), one per input, for IoU"},
        {"train", TS_OPT_STRING, &train, "LIST", "comma-separated grey training images (with --train-labels)"},
        {"train-labels", TS_OPT_STRING, &train_labels, "LIST", "comma-separated label images (codes 0..5) for --train"},
        {"train-images", TS_OPT_LONG, &ntrain, "N", "labelled synthetic training images (1..8) when no --train/--model"},
        {"per-class", TS_OPT_LONG, &per_class, "N", "training pixels per class and image"},
        {"trees", TS_OPT_LONG, &trees, "N", "random-forest trees"},
        {"depth", TS_OPT_LONG, &depth, "N", "maximum tree depth"},
        {"min-blob", TS_OPT_LONG, &min_blob, "PX", "smallest pore / Ag3Sn component kept (pixels)"},
        {"no-cleanup", TS_OPT_FLAG, &no_cleanup, NULL, "skip layer-order and connectivity clean-up"},
        {"px", TS_OPT_DOUBLE, &px, "UM", "pixel size (µm) for descriptors and training images"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed (training)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    char *pos[64];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro segment IMAGE... [options]",
                          "Segments grey micrographs (PNG/TIFF; 8/16-bit or float in [0,1]) into Cu, Cu3Sn, Cu6Sn5, "
                          "SAC305, pore, Ag3Sn with a random forest on a Gaussian-derivative filter bank, then "
                          "layer-order and connectivity clean-up. Writes <name>_seg.png (codes), <name>_seg_rgb.png, "
                          "segment.csv (descriptors in µm / µm², IoU per class with --truth) and model.rf.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 64, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos < 1) {
        fprintf(stderr, "tinsel micro segment: no input image (usage: tinsel micro segment IMAGE... [options])\n");
        return TS_EXIT_USAGE;
    }
    if (!(px > 0) || per_class < 1 || trees < 1 || depth < 1 || depth > 60 || min_blob < 0) {
        fprintf(stderr, "tinsel micro segment: --px > 0, --per-class >= 1, --trees >= 1, --depth 1..60, --min-blob >= 0\n");
        return TS_EXIT_USAGE;
    }
    char *tpaths[64] = {NULL};
    char *tcopy = NULL;
    int ntruth = 0;
    if (truth) {
        tcopy = strdup(truth);
        if (!tcopy) return ts_cli_fail(ts_error_set(TS_ERR_NOMEM, "oom"), "micro segment");
        for (char *s = strtok(tcopy, ","); s && ntruth < 64; s = strtok(NULL, ",")) tpaths[ntruth++] = s;
        if (ntruth != npos) {
            free(tcopy);
            fprintf(stderr, "tinsel micro segment: --truth lists %d files for %d images\n", ntruth, npos);
            return TS_EXIT_USAGE;
        }
    }
    /* read every input first: bad input fails before anything is written */
    float *imgs[64] = {NULL};
    int W[64], H[64];
    for (int i = 0; i < npos && !rc; i++) rc = micro_read_grey(pos[i], 0, &imgs[i], &W[i], &H[i]);
    uint8_t *truths[64] = {NULL};
    for (int i = 0; i < ntruth && !rc; i++) {
        int tw, th;
        rc = micro_read_labels(tpaths[i], &truths[i], &tw, &th);
        if (!rc && (tw != W[i] || th != H[i]))
            rc = ts_error_set(TS_ERR_FORMAT, "%s: %d x %d labels for a %d x %d image (%s)", tpaths[i], tw, th, W[i],
                              H[i], pos[i]);
    }
    ts_micro_forest *f = NULL;
    ts_run *run = NULL;
    /* user-labelled training images */
    float *trimg[16] = {NULL};
    uint8_t *trlab[16] = {NULL};
    int ntr = 0, ntl = 0, trw = 0, trh = 0;
    char *trcopy = NULL, *tlcopy = NULL;
    if (!rc && (train || train_labels)) {
        if (!train || !train_labels || model) {
            rc = ts_error_set(TS_ERR_USAGE, "--train and --train-labels go together, and not with --model");
        } else {
            trcopy = strdup(train);
            tlcopy = strdup(train_labels);
            if (!trcopy || !tlcopy) rc = ts_error_set(TS_ERR_NOMEM, "oom");
            for (char *s = trcopy ? strtok(trcopy, ",") : NULL; !rc && s; s = strtok(NULL, ",")) {
                if (ntr == 16) {
                    rc = ts_error_set(TS_ERR_USAGE, "--train: at most 16 images");
                    break;
                }
                int tw, th;
                rc = micro_read_grey(s, 0, &trimg[ntr], &tw, &th);
                if (!rc && ntr > 0 && (tw != trw || th != trh))
                    rc = ts_error_set(TS_ERR_FORMAT, "%s: %d x %d, but the first training image is %d x %d", s, tw, th,
                                      trw, trh);
                trw = tw;
                trh = th;
                ntr++;
            }
            for (char *s = tlcopy ? strtok(tlcopy, ",") : NULL; !rc && s; s = strtok(NULL, ",")) {
                if (ntl == ntr) {
                    rc = ts_error_set(TS_ERR_USAGE, "--train-labels lists more files than --train");
                    break;
                }
                int tw, th;
                rc = micro_read_labels(s, &trlab[ntl], &tw, &th);
                if (!rc && (tw != trw || th != trh))
                    rc = ts_error_set(TS_ERR_FORMAT, "%s: %d x %d labels for %d x %d training images", s, tw, th, trw, trh);
                ntl++;
            }
            if (!rc && ntl != ntr)
                rc = ts_error_set(TS_ERR_USAGE, "--train lists %d images but --train-labels %d", ntr, ntl);
        }
    }
    if (!rc && model) rc = ts_micro_forest_load(model, &f);
    if (!rc) rc = ts_run_create(out, "micro segment", seed, &run);
    if (!rc && !f && ntr > 0) {
        ts_micro_forest_opts fo;
        ts_micro_forest_opts_default(&fo);
        fo.ntrees = (int)trees;
        fo.max_depth = (int)depth;
        fo.seed = seed;
        double t0 = ts_time_now();
        rc = ts_micro_seg_train(&fo, ntr, (const float *const *)trimg, (const uint8_t *const *)trlab, trw, trh,
                                (int)per_class, seed, &f);
        if (!rc) {
            printf("trained %ld trees on %d labelled images in %.3f s\n", trees, ntr, ts_time_now() - t0);
            char *p = ts_run_path(run, "model.rf");
            rc = p ? ts_micro_forest_save(f, p) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
    }
    if (!rc && !f) {
        ts_micro_synth_opts so;
        ts_micro_synth_opts_default(&so);
        so.width = W[0];
        so.height = H[0];
        so.px_um = px;
        ts_micro_forest_opts fo;
        ts_micro_forest_opts_default(&fo);
        fo.ntrees = (int)trees;
        fo.max_depth = (int)depth;
        double t0 = ts_time_now();
        rc = ts_micro_seg_train_synthetic(&so, (int)ntrain, (int)per_class, &fo, seed, &f);
        if (!rc) {
            ts_log_info("micro segment: trained %ld trees in %.2f s", trees, ts_time_now() - t0);
            char *p = ts_run_path(run, "model.rf");
            rc = p ? ts_micro_forest_save(f, p) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
    }
    ts_csv *csv = NULL;
    if (!rc) {
        const char *hdr[] = {"image", "width_px", "height_px", "px_um", "h_cu3sn_um", "h_cu6sn5_um", "h_imc_um",
                             "pore_area_um2", "line_length_um", "iou_Cu", "iou_Cu3Sn", "iou_Cu6Sn5",
                             "iou_SAC305", "iou_pore", "iou_Ag3Sn", "seconds"};
        char *p = ts_run_path(run, "segment.csv");
        rc = p ? ts_csv_open(p, 16, hdr, &csv) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
    }
    for (int i = 0; i < npos && !rc; i++) {
        size_t n = (size_t)W[i] * H[i];
        uint8_t *seg = malloc(n);
        if (!seg) {
            rc = ts_error_set(TS_ERR_NOMEM, "oom");
            break;
        }
        double t0 = ts_time_now();
        rc = ts_micro_segment(f, imgs[i], W[i], H[i], !no_cleanup, (int)min_blob, seg);
        double dt = ts_time_now() - t0;
        ts_micro_desc d;
        if (!rc) rc = ts_micro_describe(seg, W[i], H[i], px, &d);
        char bn[256], name[300];
        base_name(pos[i], bn, sizeof bn);
        for (int rgb = 0; rgb < 2 && !rc; rgb++) {
            snprintf(name, sizeof name, rgb ? "%s_seg_rgb.png" : "%s_seg.png", bn);
            char *p = ts_run_path(run, name);
            rc = p ? micro_write_labels_png(p, seg, W[i], H[i], rgb) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        double iou[TS_MICRO_NPHASES];
        for (int c = 0; c < TS_MICRO_NPHASES; c++) iou[c] = NAN;
        if (!rc && truths[i]) ts_micro_iou(seg, truths[i], n, iou, NULL, NULL);
        if (!rc) {
            rc |= ts_csv_cell_s(csv, pos[i]);
            double v[15] = {W[i], H[i], px, d.h_cu3sn_um, d.h_cu6sn5_um, d.h_imc_um, d.pore_area_um2,
                            d.line_length_um, iou[0], iou[1], iou[2], iou[3], iou[4], iou[5], dt};
            for (int q = 0; q < 15; q++) rc |= ts_csv_cell_d(csv, v[q]);
            rc |= ts_csv_end_row(csv);
            printf("%s: Cu3Sn %.3f µm, Cu6Sn5 %.3f µm, pores %.3f µm², line %.2f µm (%.2f s)", pos[i],
                   d.h_cu3sn_um, d.h_cu6sn5_um, d.pore_area_um2, d.line_length_um, dt);
            if (truths[i]) {
                printf("; IoU");
                for (int c = 0; c < TS_MICRO_NPHASES; c++) printf(" %s %.3f", ts_micro_phase_name(c), iou[c]);
            }
            printf("\n");
        }
        free(seg);
    }
    if (csv) {
        if (rc)
            ts_csv_abort(csv);
        else
            rc = ts_csv_close(csv);
    }
    if (!rc) rc = ts_run_write_ini(run, NULL);
    for (int i = 0; i < 64; i++) {
        free(imgs[i]);
        free(truths[i]);
    }
    free(tcopy);
    free(trcopy);
    free(tlcopy);
    for (int i = 0; i < 16; i++) {
        free(trimg[i]);
        free(trlab[i]);
    }
    ts_micro_forest_destroy(f);
    ts_run_destroy(run);
    return ts_cli_fail(rc, "micro segment");
}

/* --------------------------------------------------------------- quantify */

static int write_records(const char *path, const ts_micro_record *R, size_t n, int seg)
{
    const char *hdr[4 + 2 * TS_MICRO_NDESC + TS_MICRO_NPHASES];
    char nm[2 * TS_MICRO_NDESC + TS_MICRO_NPHASES][48];
    int nc = 0;
    hdr[nc++] = "level";
    hdr[nc++] = "time_h";
    hdr[nc++] = "status";
    hdr[nc++] = "image";
    for (int k = 0; k < TS_MICRO_NDESC; k++) {
        snprintf(nm[k], sizeof nm[0], "true_%s", ts_micro_desc_name(k));
        hdr[nc++] = nm[k];
    }
    if (seg) {
        for (int k = 0; k < TS_MICRO_NDESC; k++) {
            snprintf(nm[TS_MICRO_NDESC + k], sizeof nm[0], "seg_%s", ts_micro_desc_name(k));
            hdr[nc++] = nm[TS_MICRO_NDESC + k];
        }
        for (int c = 0; c < TS_MICRO_NPHASES; c++) {
            snprintf(nm[2 * TS_MICRO_NDESC + c], sizeof nm[0], "iou_%s", ts_micro_phase_name(c));
            hdr[nc++] = nm[2 * TS_MICRO_NDESC + c];
        }
    }
    ts_csv *c = NULL;
    TS_TRY(ts_csv_open(path, nc, hdr, &c));
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        rc |= ts_csv_cell_s(c, ts_micro_level_name(R[i].level));
        rc |= ts_csv_cell_d(c, R[i].t_h);
        rc |= ts_csv_cell_s(c, ts_micro_status_name(R[i].status));
        rc |= ts_csv_cell_i(c, R[i].image);
        for (int k = 0; k < TS_MICRO_NDESC; k++) rc |= ts_csv_cell_d(c, ts_micro_desc_get(&R[i].truth, k));
        if (seg) {
            for (int k = 0; k < TS_MICRO_NDESC; k++) rc |= ts_csv_cell_d(c, ts_micro_desc_get(&R[i].seg, k));
            for (int q = 0; q < TS_MICRO_NPHASES; q++) rc |= ts_csv_cell_d(c, R[i].iou[q]);
        }
        rc |= ts_csv_end_row(c);
    }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    return ts_csv_close(c);
}

/* pooled IoU per class (Σ intersections / Σ unions) and the worst image */
static int write_iou(const char *path, const ts_micro_record *R, size_t n, double pooled[TS_MICRO_NPHASES])
{
    const char *hdr[] = {"class", "pooled_iou", "min_image_iou", "mean_image_iou"};
    ts_csv *c = NULL;
    TS_TRY(ts_csv_open(path, 4, hdr, &c));
    int rc = 0;
    for (int q = 0; q < TS_MICRO_NPHASES && !rc; q++) {
        double I = 0, U = 0, mn = INFINITY, mean = 0;
        int m = 0;
        for (size_t i = 0; i < n; i++) {
            I += R[i].inter[q];
            U += R[i].uni[q];
            if (isfinite(R[i].iou[q])) {
                if (R[i].iou[q] < mn) mn = R[i].iou[q];
                mean += R[i].iou[q];
                m++;
            }
        }
        pooled[q] = U > 0 ? I / U : NAN;
        rc |= ts_csv_cell_s(c, ts_micro_phase_name(q));
        rc |= ts_csv_cell_d(c, pooled[q]);
        rc |= ts_csv_cell_d(c, m ? mn : NAN);
        rc |= ts_csv_cell_d(c, m ? mean / m : NAN);
        rc |= ts_csv_end_row(c);
    }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    return ts_csv_close(c);
}

/* Run the chain and write its tables into dir (shared with the demo). */
static int quantify_chain(const ts_micro_chain_opts *co, const char *dir, const char *relprefix,
                          ts_report *rep, ts_micro_condstat *cs_true, ts_micro_condstat *cs_seg,
                          double *seconds, double pooled[TS_MICRO_NPHASES])
{
    ts_micro_record *R = NULL;
    size_t n = 0;
    double t0 = ts_time_now();
    TS_TRY(ts_micro_chain_run(co, &R, &n, NULL));
    *seconds = ts_time_now() - t0;
    int rc = 0;
    char *p = ts_path_join(dir, "images.csv");
    rc = p ? write_records(p, R, n, co->segment) : ts_error_set(TS_ERR_NOMEM, "oom");
    free(p);
    if (!rc) rc = ts_micro_condition_stats(R, n, 0, cs_true);
    if (!rc) {
        p = ts_path_join(dir, "conditions_true.csv");
        rc = p ? micro_write_condstats(p, cs_true) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
    }
    if (!rc && co->segment) {
        rc = ts_micro_condition_stats(R, n, 1, cs_seg);
        if (!rc) {
            p = ts_path_join(dir, "conditions_seg.csv");
            rc = p ? micro_write_condstats(p, cs_seg) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        if (!rc) {
            p = ts_path_join(dir, "iou.csv");
            rc = p ? write_iou(p, R, n, pooled) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
    }
    free(R);
    if (!rc && rep) {
        char rel[512];
        snprintf(rel, sizeof rel, "%simages.csv", relprefix);
        ts_report_file(rep, rel, "table", "descriptors per image from exact and segmented labels, IoU per class");
        snprintf(rel, sizeof rel, "%sconditions_true.csv", relprefix);
        ts_report_file(rep, rel, "table", "descriptors per condition (mean ± sd) from the exact labels");
        if (co->segment) {
            snprintf(rel, sizeof rel, "%sconditions_seg.csv", relprefix);
            ts_report_file(rep, rel, "table", "descriptors per condition (mean ± sd) from the segmentation");
            snprintf(rel, sizeof rel, "%siou.csv", relprefix);
            ts_report_file(rep, rel, "table", "IoU per class of the segmentation against the exact labels");
        }
    }
    return rc;
}

static int cmd_quantify(int argc, char **argv)
{
    synth_cli sc;
    synth_cli_default(&sc);
    const char *out = "out/micro-quantify", *index = NULL;
    long nimg = 3;
    int measured_only = 0, no_segment = 0;
    double px = 16.75 / 450.0;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"images", TS_OPT_LONG, &nimg, "N", "images per condition (chain mode)"},
        {"measured-only", TS_OPT_FLAG, &measured_only, NULL, "only the 18 measured conditions"},
        {"no-segment", TS_OPT_FLAG, &no_segment, NULL, "describe the exact labels only"},
        SYNTH_OPTS(sc),
        {"index", TS_OPT_STRING, &index, "CSV", "label images with conditions (columns labels, level, time_h) -> conditions.csv"},
        {"label-px", TS_OPT_DOUBLE, &px, "UM", "pixel size (µm) of label images given as arguments or in --index"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    char *pos[256];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro quantify [LABELS.png ...] [options]",
                          "Descriptors per image and per condition (mean ± sd): Cu3Sn, Cu6Sn5 and cumulative thickness "
                          "(µm), pore area per 16.75 µm field (µm²), Cu6Sn5/solder line length per width. With label "
                          "images as arguments: descriptors of those (labels.csv). With --index (e.g. segmented "
                          "generated images): images.csv and conditions.csv for 'tinsel micro kinetics'. Without: the "
                          "whole chain on the condition matrix (synthesise, segment, measure) -> images.csv, "
                          "conditions_true.csv, conditions_seg.csv, iou.csv.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 256, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    ts_run *run = NULL;
    if (index) {
        if (npos > 0 || !(px > 0)) {
            fprintf(stderr, "tinsel micro quantify: --index takes no image arguments; --label-px must be > 0\n");
            return TS_EXIT_USAGE;
        }
        micro_index_row *rows = NULL;
        int nr = 0;
        if ((rc = micro_read_index(index, &rows, &nr))) return ts_cli_fail(rc, "micro quantify");
        ts_micro_record *R = calloc((size_t)nr, sizeof *R);
        if (!R) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        for (int i = 0; i < nr && !rc; i++) {
            uint8_t *lab = NULL;
            int W = 0, H = 0;
            rc = micro_read_labels(rows[i].file, &lab, &W, &H);
            if (!rc && (rc = ts_micro_describe(lab, W, H, px, &R[i].truth))) {
                char why[512];
                snprintf(why, sizeof why, "%s", ts_error_message());
                ts_error_set(rc, "%s (%s line %d): %s", rows[i].file, index, i + 2, why);
            }
            R[i].level = rows[i].level;
            R[i].time_index = rows[i].time_index;
            R[i].t_h = ts_micro_time_h(rows[i].time_index);
            R[i].status = ts_micro_condition_status(rows[i].level, rows[i].time_index);
            R[i].image = i;
            free(lab);
        }
        ts_micro_condstat *cs = calloc(NC, sizeof *cs);
        if (!rc && !cs) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        if (!rc) rc = ts_micro_condition_stats(R, (size_t)nr, 0, cs);
        if (!rc) rc = ts_run_create(out, "micro quantify", seed, &run);
        if (!rc) {
            char *p = ts_run_path(run, "images.csv");
            rc = p ? write_records(p, R, (size_t)nr, 0) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        if (!rc) {
            char *p = ts_run_path(run, "conditions.csv");
            rc = p ? micro_write_condstats(p, cs) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        if (!rc) printf("tinsel micro quantify: %d label images described\n", nr);
        free(cs);
        free(R);
        free(rows);
    } else if (npos > 0) {
        if (!(px > 0)) {
            fprintf(stderr, "tinsel micro quantify: --label-px must be > 0\n");
            return TS_EXIT_USAGE;
        }
        ts_micro_desc *d = calloc((size_t)npos, sizeof *d);
        if (!d) return ts_cli_fail(ts_error_set(TS_ERR_NOMEM, "oom"), "micro quantify");
        int W = 0, H = 0;
        for (int i = 0; i < npos && !rc; i++) {
            uint8_t *lab = NULL;
            rc = micro_read_labels(pos[i], &lab, &W, &H);
            if (!rc) {
                rc = ts_micro_describe(lab, W, H, px, &d[i]);
                if (rc) {
                    char why[512];
                    snprintf(why, sizeof why, "%s", ts_error_message());
                    ts_error_set(rc, "%s: %s", pos[i], why);
                }
            }
            free(lab);
        }
        if (!rc) rc = ts_run_create(out, "micro quantify", seed, &run);
        ts_csv *c = NULL;
        if (!rc) {
            const char *hdr[] = {"labels", "h_cu3sn_um", "h_cu6sn5_um", "h_imc_um", "pore_area_um2",
                                 "pore_area_per_field_um2", "line_length_um", "line_ratio"};
            char *p = ts_run_path(run, "labels.csv");
            rc = p ? ts_csv_open(p, 8, hdr, &c) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        for (int i = 0; i < npos && !rc; i++) {
            rc |= ts_csv_cell_s(c, pos[i]);
            double v[7] = {d[i].h_cu3sn_um, d[i].h_cu6sn5_um, d[i].h_imc_um, d[i].pore_area_um2,
                           d[i].pore_area_per_field_um2, d[i].line_length_um, d[i].line_ratio};
            for (int q = 0; q < 7; q++) rc |= ts_csv_cell_d(c, v[q]);
            rc |= ts_csv_end_row(c);
            printf("%s: Cu3Sn %.3f µm, Cu6Sn5 %.3f µm, IMC %.3f µm, pores %.3f µm², line %.2f µm\n", pos[i],
                   d[i].h_cu3sn_um, d[i].h_cu6sn5_um, d[i].h_imc_um, d[i].pore_area_um2, d[i].line_length_um);
        }
        if (c) {
            if (rc)
                ts_csv_abort(c);
            else
                rc = ts_csv_close(c);
        }
        free(d);
    } else {
        ts_micro_chain_opts co;
        ts_micro_chain_opts_default(&co);
        if ((rc = synth_cli_apply(&sc, &co.synth))) return ts_cli_fail(rc, "micro quantify");
        if (nimg < 1 || nimg > 1000) {
            fprintf(stderr, "tinsel micro quantify: --images %ld: expected 1..1000\n", nimg);
            return TS_EXIT_USAGE;
        }
        co.images_per_condition = (int)nimg;
        co.measured_only = measured_only;
        co.segment = !no_segment;
        co.seed = seed;
        if ((rc = ts_run_create(out, "micro quantify", seed, &run))) return ts_cli_fail(rc, "micro quantify");
        ts_micro_condstat *ct = calloc(NC, sizeof *ct), *cg = calloc(NC, sizeof *cg);
        double secs = 0, pooled[TS_MICRO_NPHASES];
        if (!ct || !cg) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        if (!rc) rc = quantify_chain(&co, ts_run_dir(run), "", NULL, ct, cg, &secs, pooled);
        if (!rc) {
            int ncell = measured_only ? 18 : NC;
            printf("tinsel micro quantify: %d conditions x %ld images (%d x %d px) synthesised%s and measured in %.1f s\n",
                   ncell, nimg, co.synth.width, co.synth.height, co.segment ? ", segmented" : "", secs);
            if (co.segment) {
                printf("pooled IoU:");
                for (int q = 0; q < TS_MICRO_NPHASES; q++) printf(" %s %.3f", ts_micro_phase_name(q), pooled[q]);
                printf("\n");
            }
        }
        free(ct);
        free(cg);
    }
    if (!rc) rc = ts_run_write_ini(run, NULL);
    if (!rc) printf("tinsel micro quantify: wrote %s\n", ts_run_dir(run));
    ts_run_destroy(run);
    return ts_cli_fail(rc, "micro quantify");
}

/* --------------------------------------------------------------- kinetics */

static int cmd_kinetics(int argc, char **argv)
{
    const char *out = "out/micro-kinetics", *compare = NULL, *name_a = "real", *name_b = "generated";
    double T = 423.15, D0 = 5.48e-9;
    ts_opt opts[] = {
        {"compare", TS_OPT_STRING, &compare, "CSV", "second conditions table (e.g. generated images) for deviations"},
        {"name", TS_OPT_STRING, &name_a, "S", "name of the first table in outputs"},
        {"compare-name", TS_OPT_STRING, &name_b, "S", "name of the second table"},
        {"temperature", TS_OPT_DOUBLE, &T, "K", "ageing temperature (K) for Q_K"},
        {"d0", TS_OPT_DOUBLE, &D0, "M2S", "reference diffusivity D0 (m²/s; Cu3Sn intrinsic, seed)"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro kinetics CONDITIONS.csv [--compare OTHER.csv] [options]",
                          "√t growth fits y = k √t + y0 with standard errors per impurity level for the cumulative "
                          "IMC thickness (µm/√h) and the pore area (µm²/√h); Kirkendall enthalpy Q_K = -R T ln(D_v/D0) "
                          "with D_v = mean(area/t) in m²/s (seed eqs. 6-7) and Q_K/Q_PVD; deviation tables "
                          "(gen - real)/real with --compare; PNG plots in the style of seed Fig. 6 b-e.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 1, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "tinsel micro kinetics: expected one conditions table (from tinsel micro quantify)\n");
        return TS_EXIT_USAGE;
    }
    ts_micro_condstat *a = calloc(NC, sizeof *a), *b = calloc(NC, sizeof *b);
    if (!a || !b) rc = ts_error_set(TS_ERR_NOMEM, "oom");
    if (!rc) rc = micro_read_condstats(pos[0], a);
    if (!rc && compare) rc = micro_read_condstats(compare, b);
    ts_run *run = NULL;
    if (!rc) rc = ts_run_create(out, "micro kinetics", 0, &run);
    if (!rc) rc = micro_kinetics_write(ts_run_dir(run), "", NULL, a, compare ? b : NULL, name_a, name_b, T, D0);
    if (!rc) rc = ts_run_write_ini(run, NULL);
    if (!rc) printf("tinsel micro kinetics: wrote %s\n", ts_run_dir(run));
    ts_run_destroy(run);
    free(a);
    free(b);
    return ts_cli_fail(rc, "micro kinetics");
}

/* ----------------------------------------------------------------- msssim */

static int cmd_msssim(int argc, char **argv)
{
    long scales = 5, page_a = 0, page_b = 0;
    double max_val = 1.0;
    ts_opt opts[] = {
        {"scales", TS_OPT_LONG, &scales, "N", "MS-SSIM scales 1..5 (fewer: TF weights renormalised)"},
        {"max-val", TS_OPT_DOUBLE, &max_val, "L", "dynamic range L of the grey values (1 for [0,1], 2 for [-1,1])"},
        {"page-a", TS_OPT_LONG, &page_a, "P", "TIFF page of A"},
        {"page-b", TS_OPT_LONG, &page_b, "P", "TIFF page of B"},
    };
    char *pos[2];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro msssim A B [options]",
                          "MS-SSIM and SSIM of two grey images as TensorFlow's tf.image.ssim_multiscale / tf.image.ssim "
                          "(11x11 Gaussian window σ 1.5, K1 0.01, K2 0.03). 8-bit images are scaled to [0,1], 16-bit "
                          "likewise, float TIFFs used as they are.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 2, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (npos != 2) {
        fprintf(stderr, "tinsel micro msssim: expected two images A B\n");
        return TS_EXIT_USAGE;
    }
    float *a = NULL, *b = NULL;
    int wa, ha, wb, hb;
    rc = micro_read_grey(pos[0], (int)page_a, &a, &wa, &ha);
    if (!rc) rc = micro_read_grey(pos[1], (int)page_b, &b, &wb, &hb);
    if (!rc && (wa != wb || ha != hb))
        rc = ts_error_set(TS_ERR_FORMAT, "%s is %d x %d but %s is %d x %d: images must have the same size", pos[0], wa,
                          ha, pos[1], wb, hb);
    double *da = NULL, *db = NULL, ms = 0, s = 0;
    if (!rc) {
        size_t n = (size_t)wa * ha;
        da = malloc(n * sizeof *da);
        db = malloc(n * sizeof *db);
        if (!da || !db) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        for (size_t i = 0; !rc && i < n; i++) da[i] = a[i], db[i] = b[i];
    }
    if (!rc) rc = ts_ssim(da, db, wa, ha, max_val, &s, NULL);
    if (!rc) rc = ts_msssim(da, db, wa, ha, max_val, (int)scales, &ms);
    if (!rc) {
        printf("MS-SSIM = %.6f (%ld scales%s)\n", ms, scales, scales < 5 ? ", TF weights renormalised" : "");
        printf("SSIM    = %.6f\n", s);
    }
    free(a);
    free(b);
    free(da);
    free(db);
    return ts_cli_fail(rc, "micro msssim");
}

/* ------------------------------------------------------------------- demo */

/* Runs one `tinsel micro` command with a NULL-terminated argument list. */
static int demo_cmd(int (*fn)(int, char **), const char *what, char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    int ex = fn(argc, argv);
    return ex ? ts_error_set(TS_ERR_NUMERIC, "demo: micro %s failed (exit %d)", what, ex) : 0;
}

/* C-DDPM part of the demo: a 32 px dataset, a short training run of the
 * documented 32 px network (docs/micro.md §9, with plain_input = 1) and ancestral samples of the
 * two unseen conditions and one unknown one. A demonstration of the
 * machinery in about a minute, not a validated model (the validated runs are
 * in docs/micro.md). */
static int demo_ddpm(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed)
{
    char *dir = ts_path_join(outdir, "ddpm");
    TS_CHECK_ALLOC(dir);
    char *ds = ts_path_join(dir, "dataset"), *tr = ts_path_join(dir, "train"), *ini = ts_path_join(dir, "train.ini");
    char *model = tr ? ts_path_join(tr, "model.safetensors") : NULL, seedtxt[32], rel[512];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)seed);
    int rc = (!ds || !tr || !ini || !model) ? ts_error_set(TS_ERR_NOMEM, "oom") : ts_mkdir_p(dir);
    const long steps = 6000;
    if (!rc) {
        ts_afile *f = NULL;
        rc = ts_afile_open(ini, &f);
        if (!rc) {
            fprintf(ts_afile_fp(f), "; tinsel demo: the 32 px validation network of docs/micro.md, %ld steps\n"
                                    "[unet]\nsize = 32\nlevels = 3\nchannels = 16,16,32,32\nattention_levels = 2,3\n"
                                    "heads = 4\ngroups = 1\ntemb = 64\ncemb = 16\nconvs = 4\nmid_convs = 6\nplain_input = 1\n"
                                    "[ddpm]\nT = 1000\nbeta_start = 1e-4\nbeta_end = 0.02\n"
                                    "[train]\nsteps = %ld\nbatch = 4\nlr = 3e-4\nema_decay = 0.995\nema_start = 300\n"
                                    "checkpoint_every = 1000\nlog_every = 20\nthreads = 2\n",
                    steps, steps);
            rc = ts_afile_commit(f);
        }
    }
    double t0 = ts_time_now();
    if (!rc) {
        char *a[] = {"dataset", "--size", "32", "--silhouette-px", "0", "--seed", seedtxt, "--out", ds, NULL};
        rc = demo_cmd(micro_cmd_dataset, "dataset", a);
    }
    if (!rc) {
        char *a[] = {"train", ds, "--config", ini, "--seed", seedtxt, "--out", tr, NULL};
        rc = demo_cmd(micro_cmd_train, "train", a);
    }
    double t1 = ts_time_now();
    static const struct { const char *imp, *hours, *name, *status; } cells[] = {
        {"PVD", "300", "PVD_300h", "unseen"}, {"ECD1", "750", "ECD1_750h", "unseen"}, {"ECD3", "1000", "ECD3_1000h", "unknown"}};
    for (int k = 0; k < 3 && !rc; k++) {
        char sub[64];
        snprintf(sub, sizeof sub, "sample_%s", cells[k].name);
        char *out = ts_path_join(dir, sub);
        if (!out) {
            rc = ts_error_set(TS_ERR_NOMEM, "oom");
            break;
        }
        char *a[] = {"sample", model, "--impurity", (char *)cells[k].imp, "--hours", (char *)cells[k].hours, "--n", "2",
                     "--seed", seedtxt, "--out", out, NULL};
        rc = demo_cmd(micro_cmd_sample, "sample", a);
        free(out);
    }
    if (!rc) {
        ts_report_text(rep, "Conditional DDPM (seed 000): a 32 px network of the seed's topology (334 k weights; first input "
                            "conv without GroupNorm, `plain_input = 1`, docs/micro.md) trained for %ld Adam steps on the 16 seen conditions, then the seed's ancestral sampler (1000 steps) "
                            "for the two unseen cells and one unknown cell: %.0f s for data and training, %.0f s for "
                            "sampling. A demonstration of the machinery, not a validated model: the validated runs and "
                            "their numbers are in docs/micro.md §9.",
                       steps, t1 - t0, ts_time_now() - t1);
        snprintf(rel, sizeof rel, "%sddpm/train/loss.png", relprefix);
        ts_report_file(rep, rel, "image", "C-DDPM training loss (eps-MSE per step)");
        for (int k = 0; k < 3; k++) {
            char d[160];
            snprintf(rel, sizeof rel, "%sddpm/sample_%s/sample_0.png", relprefix, cells[k].name);
            snprintf(d, sizeof d, "C-DDPM sample, %s (%s condition)", cells[k].name, cells[k].status);
            ts_report_file(rep, rel, "image", d);
        }
    }
    free(dir);
    free(ds);
    free(tr);
    free(ini);
    free(model);
    return rc;
}

static int demo(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed)
{
    int rc = 0;
    char rel[512];
    /* 1. the condition matrix (Fig. 2 style) at 300 x 300 px */
    ts_micro_synth_opts so;
    ts_micro_synth_opts_default(&so);
    so.width = so.height = 300;
    so.px_um = 16.75 / 300.0;
    size_t npx = (size_t)so.width * so.height;
    float *cells[NC] = {NULL};
    uint8_t *lab = malloc(npx);
    if (!lab) return ts_error_set(TS_ERR_NOMEM, "oom");
    for (int j = 0; j < NC && !rc; j++) {
        cells[j] = malloc(npx * sizeof(float));
        if (!cells[j]) {
            rc = ts_error_set(TS_ERR_NOMEM, "oom");
            break;
        }
        int l = j / TS_MICRO_NTIMES, t = j % TS_MICRO_NTIMES;
        rc = ts_micro_synth(&so, l, NULL, ts_micro_time_h(t), seed, (uint64_t)j, cells[j], lab, NULL);
        if (!rc && l == 3 && t == 6) {
            char *p = ts_path_join(outdir, "ECD3_3000h.png");
            rc = p ? micro_write_grey_png(p, cells[j], so.width, so.height) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
            p = ts_path_join(outdir, "ECD3_3000h_labels_rgb.png");
            if (!rc) rc = p ? micro_write_labels_png(p, lab, so.width, so.height, 1) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
    }
    if (!rc) {
        char *p = ts_path_join(outdir, "matrix.png");
        rc = p ? micro_mosaic_png(p, cells, so.width, so.height, 120) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
    }
    if (!rc) {
        ts_report_text(rep, "Synthetic SEM-BSE micrographs for the seed's 4 x 7 matrix (rows PVD, ECD1-3; columns 0, 50, "
                            "100, 300, 750, 1000, 3000 h at 150 °C). Pink frames: the 10 unknown conditions; orange: the "
                            "unseen PVD-300 h and ECD1-750 h.");
        snprintf(rel, sizeof rel, "%smatrix.png", relprefix);
        ts_report_file(rep, rel, "image", "condition matrix (Fig. 2 style)");
        snprintf(rel, sizeof rel, "%sECD3_3000h.png", relprefix);
        ts_report_file(rep, rel, "image", "ECD3, 3000 h: grey micrograph");
        snprintf(rel, sizeof rel, "%sECD3_3000h_labels_rgb.png", relprefix);
        ts_report_file(rep, rel, "image", "ECD3, 3000 h: exact labels (Cu blue, Cu3Sn yellow, Cu6Sn5 purple, SAC305 "
                                          "magenta, pores green, Ag3Sn salmon)");
    }
    /* 2. MS-SSIM: same condition (two draws) vs different conditions */
    if (!rc) {
        float *other = malloc(npx * sizeof(float));
        double *a = malloc(npx * sizeof(double)), *b = malloc(npx * sizeof(double));
        if (!other || !a || !b) rc = ts_error_set(TS_ERR_NOMEM, "oom");
        double same = 0, diff = 0;
        if (!rc) rc = ts_micro_synth(&so, 2, NULL, 1000, seed + 1, 16, other, lab, NULL);
        if (!rc) {
            for (size_t i = 0; i < npx; i++) a[i] = cells[2 * TS_MICRO_NTIMES + 5][i], b[i] = other[i];
            rc = ts_msssim(a, b, so.width, so.height, 1.0, 5, &same);
        }
        if (!rc) {
            for (size_t i = 0; i < npx; i++) b[i] = cells[0][i];
            rc = ts_msssim(a, b, so.width, so.height, 1.0, 5, &diff);
        }
        if (!rc)
            ts_report_text(rep, "MS-SSIM (TensorFlow formula, 5 scales): ECD2-1000 h vs another ECD2-1000 h draw %.3f; "
                                "vs PVD-0 h %.3f (seed: 0.79 between generated and real images).", same, diff);
        free(other);
        free(a);
        free(b);
    }
    for (int j = 0; j < NC; j++) free(cells[j]);
    free(lab);
    if (rc) return rc;
    /* 3. chain: 28 conditions x 2 images at 256 x 256, segmentation, kinetics */
    ts_micro_chain_opts co;
    ts_micro_chain_opts_default(&co);
    co.synth.width = co.synth.height = 256;
    co.synth.px_um = 16.75 / 256.0;
    co.images_per_condition = 2;
    co.seed = seed;
    ts_micro_condstat ct[NC], cg[NC];
    double secs = 0, pooled[TS_MICRO_NPHASES];
    TS_TRY(quantify_chain(&co, outdir, relprefix, rep, ct, cg, &secs, pooled));
    ts_report_text(rep, "Chain on 28 conditions x 2 images (256 x 256 px, 65 nm pixels): synthesise, segment (random "
                        "forest trained on 4 labelled images of other draws, 32 trees, then layer-order clean-up), "
                        "measure: %.1f s. Pooled IoU: Cu %.3f, Cu3Sn %.3f, Cu6Sn5 %.3f, SAC305 %.3f, pore %.3f, "
                        "Ag3Sn %.3f.",
                   secs, pooled[0], pooled[1], pooled[2], pooled[3], pooled[4], pooled[5]);
    TS_TRY(micro_kinetics_write(outdir, relprefix, rep, ct, cg, "exact labels", "segmented", 423.15, 5.48e-9));
    /* generator truth for comparison */
    {
        char *p = ts_path_join(outdir, "truth_constants.csv");
        TS_CHECK_ALLOC(p);
        const char *hdr[] = {"level", "k_imc_um_per_sqrth", "k_pore_um2_per_sqrth"};
        ts_csv *c = NULL;
        rc = ts_csv_open(p, 3, hdr, &c);
        free(p);
        if (rc) return rc;
        for (int l = 0; l < TS_MICRO_NLEVELS; l++) {
            ts_micro_growth g;
            ts_micro_growth_default(l, &g);
            rc |= ts_csv_cell_s(c, ts_micro_level_name(l));
            rc |= ts_csv_cell_d(c, g.k3 + g.k6);
            rc |= ts_csv_cell_d(c, g.kp);
            rc |= ts_csv_end_row(c);
        }
        if (rc) {
            ts_csv_abort(c);
            return rc;
        }
        TS_TRY(ts_csv_close(c));
        snprintf(rel, sizeof rel, "%struth_constants.csv", relprefix);
        ts_report_file(rep, rel, "table", "the generator's true growth constants (what kinetics.csv should recover)");
    }
    return demo_ddpm(outdir, relprefix, rep, seed);
}

static const ts_command micro_commands[] = {
    {"synth", "synthetic SEM micrographs with exact labels (one condition or the 4 x 7 matrix)", cmd_synth},
    {"dataset", "sliding-window training set with seen / unseen / unknown splits (TIFF + index CSV)", micro_cmd_dataset},
    {"train", "train the conditional DDPM on a dataset (--config FILE; checkpoint/resume)", micro_cmd_train},
    {"sample", "generate micrographs for one condition with a trained DDPM", micro_cmd_sample},
    {"generate-matrix", "generate the whole 4 x 7 condition matrix, mosaic and validation", micro_cmd_generate_matrix},
    {"segment", "random-forest segmentation on a Gaussian-derivative filter bank + clean-up", cmd_segment},
    {"quantify", "descriptors per image and per condition (the whole chain on the matrix)", cmd_quantify},
    {"kinetics", "√t growth fits, Kirkendall enthalpy, deviation tables, Fig. 6 b-e plots", cmd_kinetics},
    {"msssim", "MS-SSIM and SSIM of two images (TensorFlow's formula)", cmd_msssim},
};

const ts_engine ts_engine_micro = {
    "micro",
    "SEM micrographs of aged Cu–SAC305 interfaces: synthesis, segmentation, descriptors, kinetics, MS-SSIM",
    micro_commands,
    (int)(sizeof micro_commands / sizeof *micro_commands),
    demo,
};
