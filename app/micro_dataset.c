/* `tinsel micro dataset`: the seed's training-set construction (seed 000
 * Methods): one wide micrograph per condition, 450 x 450 px sliding window
 * with a 400 px overlap (stride 50), resize (512 px in the seed), a
 * left-right mirror (keeps the Cu -> solder order; the seed says "vertical
 * flip", see docs/micro.md), intensities scaled to [-1, 1].  Splits: seen
 * (training), unseen (PVD-300 h, ECD1-750 h) and unknown (never measured:
 * written as ground truth for checking generated images, not for training).
 * Silhouette score of the training windows grouped by condition (seed:
 * 0.29 with scikit-learn). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro_app.h"

#define NC (TS_MICRO_NLEVELS * TS_MICRO_NTIMES)

static const char *split_name(int status)
{
    return status == TS_MICRO_SEEN ? "train" : status == TS_MICRO_UNSEEN ? "unseen" : "unknown";
}

int micro_cmd_dataset(int argc, char **argv)
{
    const char *out = "out/micro-dataset";
    long wide = 2100, window = 450, stride = 50, size = 128, sil_px = 16;
    int no_flip = 0;
    double px = 16.75 / 450.0, dose = 60;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"wide", TS_OPT_LONG, &wide, "PX", "width of the wide micrograph per condition (pixels)"},
        {"window", TS_OPT_LONG, &window, "PX", "sliding-window side (pixels; also the micrograph height)"},
        {"stride", TS_OPT_LONG, &stride, "PX", "horizontal window stride (pixels; seed: 50 = 400 px overlap)"},
        {"size", TS_OPT_LONG, &size, "PX", "resized crop side (seed: 512)"},
        {"no-flip", TS_OPT_FLAG, &no_flip, NULL, "no left-right mirror augmentation"},
        {"px", TS_OPT_DOUBLE, &px, "UM", "pixel size of the wide micrograph (µm)"},
        {"dose", TS_OPT_DOUBLE, &dose, "E", "shot-noise dose (electrons per pixel at grey 1)"},
        {"silhouette-px", TS_OPT_LONG, &sil_px, "PX", "side of the down-sampled crops used for the silhouette score (0: skip)"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed"},
        {"out", TS_OPT_STRING, &out, "DIR", "output folder"},
    };
    char *pos[1];
    int npos = 0;
    int rc = ts_cli_parse(argc, argv, "tinsel micro dataset [options]",
                          "Builds the DDPM training set: per condition a wide synthetic micrograph (wide/<cond>.png and "
                          "_labels.png), sliding-window crops resized to SIZE, optionally mirrored, scaled to [-1, 1] "
                          "(grey g -> 2 g - 1), stored as float TIFF stacks images/<cond>.tif with label stacks "
                          "labels/<cond>.tif; index.csv lists every crop with its split (train / unseen / unknown), "
                          "condition and window position; summary.csv holds counts and the silhouette score.",
                          opts, (int)(sizeof opts / sizeof *opts), pos, 0, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (window < 32 || wide < window || stride < 1 || size < 8 || size > 4096 || !(px > 0) || sil_px < 0 ||
        sil_px > 64 || wide > 100000) {
        fprintf(stderr, "tinsel micro dataset: need --window >= 32, --wide >= --window, --stride >= 1, "
                        "--size 8..4096, --px > 0, --silhouette-px 0..64\n");
        return TS_EXIT_USAGE;
    }
    int nwin = (int)((wide - window) / stride) + 1, nflip = no_flip ? 1 : 2;
    int per = nwin * nflip;
    ts_run *run = NULL;
    if ((rc = ts_run_create(out, "micro dataset", seed, &run))) return ts_cli_fail(rc, "micro dataset");
    char *dirs[3] = {ts_run_path(run, "images"), ts_run_path(run, "labels"), ts_run_path(run, "wide")};
    for (int k = 0; k < 3 && !rc; k++) rc = dirs[k] ? ts_mkdir_p(dirs[k]) : ts_error_set(TS_ERR_NOMEM, "oom");
    ts_micro_synth_opts so;
    ts_micro_synth_opts_default(&so);
    so.width = (int)wide;
    so.height = (int)window;
    so.px_um = px;
    so.dose = dose;
    size_t nwide = (size_t)wide * window, ncrop = (size_t)size * size;
    float *img = malloc(nwide * sizeof *img), *crop = malloc((size_t)window * window * sizeof *crop);
    uint8_t *lab = malloc(nwide), *lcrop = malloc((size_t)window * window);
    ts_image *stack = ts_image_create((int)size, (int)size, per, TS_F32);
    ts_image *lstack = ts_image_create((int)size, (int)size, per, TS_U8);
    float *small = malloc(ncrop * sizeof *small);
    /* silhouette vectors of the training crops */
    size_t nsil_cap = (size_t)NC * per, nsil = 0, sd = (size_t)(sil_px * sil_px);
    double *silX = sil_px ? malloc(nsil_cap * (sd ? sd : 1) * sizeof *silX) : NULL;
    int *silL = sil_px ? malloc(nsil_cap * sizeof *silL) : NULL;
    float *svec = sil_px ? malloc((sd ? sd : 1) * sizeof *svec) : NULL;
    if (!rc && (!img || !crop || !lab || !lcrop || !stack || !lstack || !small ||
                (sil_px && (!silX || !silL || !svec))))
        rc = ts_error_set(TS_ERR_NOMEM, "dataset: out of memory (wide %ld x %ld, %d crops of %ld px)", wide, window,
                          per, size);
    ts_csv *idx = NULL;
    if (!rc) {
        const char *hdr[] = {"image_file", "page", "labels_file", "split", "level", "impurity_code", "time_h",
                             "window_x0_px", "flipped", "px_um_resized"};
        char *p = ts_run_path(run, "index.csv");
        rc = p ? ts_csv_open(p, 10, hdr, &idx) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
    }
    int counts[3] = {0, 0, 0};
    ts_progress *pg = ts_progress_create("micro dataset", NC, "condition");
    for (int j = 0; j < NC && !rc; j++) {
        int l = j / TS_MICRO_NTIMES, t = j % TS_MICRO_NTIMES, st = ts_micro_condition_status(l, t);
        double th = ts_micro_time_h(t);
        char cn[64], name[160];
        micro_cond_name(cn, sizeof cn, l, th);
        if ((rc = ts_micro_synth(&so, l, NULL, th, seed, (uint64_t)j, img, lab, NULL))) break;
        snprintf(name, sizeof name, "wide/%s.png", cn);
        char *p = ts_run_path(run, name);
        rc = p ? micro_write_grey_png(p, img, (int)wide, (int)window) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
        snprintf(name, sizeof name, "wide/%s_labels.png", cn);
        p = ts_run_path(run, name);
        if (!rc) rc = p ? micro_write_labels_png(p, lab, (int)wide, (int)window, 0) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
        int page = 0;
        for (int wI = 0; wI < nwin && !rc; wI++) {
            int x0 = wI * (int)stride;
            for (int y = 0; y < window; y++) {
                memcpy(crop + (size_t)y * window, img + (size_t)y * wide + x0, (size_t)window * sizeof *crop);
                memcpy(lcrop + (size_t)y * window, lab + (size_t)y * wide + x0, (size_t)window);
            }
            if ((rc = ts_micro_resize(crop, (int)window, (int)window, small, (int)size, (int)size))) break;
            for (int f = 0; f < nflip && !rc; f++, page++) {
                float *dst = (float *)stack->data + (size_t)page * ncrop;
                uint8_t *ldst = (uint8_t *)lstack->data + (size_t)page * ncrop;
                rc = ts_micro_resize_labels(lcrop, (int)window, (int)window, ldst, (int)size, (int)size);
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++) {
                        int xs = f ? (int)size - 1 - x : x;
                        dst[(size_t)y * size + x] = 2.0f * small[(size_t)y * size + xs] - 1.0f;
                    }
                if (f) /* mirror the labels in place */
                    for (int y = 0; y < size; y++)
                        for (int x = 0; x < size / 2; x++) {
                            uint8_t tmp = ldst[(size_t)y * size + x];
                            ldst[(size_t)y * size + x] = ldst[(size_t)y * size + size - 1 - x];
                            ldst[(size_t)y * size + size - 1 - x] = tmp;
                        }
                char fi[96], fl[96];
                snprintf(fi, sizeof fi, "images/%s.tif", cn);
                snprintf(fl, sizeof fl, "labels/%s.tif", cn);
                rc |= ts_csv_cell_s(idx, fi);
                rc |= ts_csv_cell_i(idx, page);
                rc |= ts_csv_cell_s(idx, fl);
                rc |= ts_csv_cell_s(idx, split_name(st));
                rc |= ts_csv_cell_s(idx, ts_micro_level_name(l));
                rc |= ts_csv_cell_d(idx, ts_micro_level_code(l));
                rc |= ts_csv_cell_d(idx, th);
                rc |= ts_csv_cell_i(idx, x0);
                rc |= ts_csv_cell_i(idx, f);
                rc |= ts_csv_cell_d(idx, px * window / size);
                rc |= ts_csv_end_row(idx);
                counts[st]++;
                if (sil_px && st == TS_MICRO_SEEN && !rc) {
                    rc = ts_micro_resize(small, (int)size, (int)size, svec, (int)sil_px, (int)sil_px);
                    for (size_t q = 0; q < sd; q++)
                        silX[nsil * sd + q] = f ? svec[(q / sil_px) * sil_px + sil_px - 1 - q % sil_px] : svec[q];
                    silL[nsil++] = j;
                }
            }
        }
        if (!rc) {
            snprintf(name, sizeof name, "images/%s.tif", cn);
            p = ts_run_path(run, name);
            rc = p ? ts_tiff_write(p, stack) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        if (!rc) {
            snprintf(name, sizeof name, "labels/%s.tif", cn);
            p = ts_run_path(run, name);
            rc = p ? ts_tiff_write(p, lstack) : ts_error_set(TS_ERR_NOMEM, "oom");
            free(p);
        }
        ts_progress_update(pg, j + 1, cn);
    }
    ts_progress_destroy(pg);
    if (idx) {
        if (rc)
            ts_csv_abort(idx);
        else
            rc = ts_csv_close(idx);
    }
    double sil = NAN;
    if (!rc && sil_px && nsil >= 3) rc = ts_micro_silhouette(silX, nsil, (int)sd, silL, &sil);
    if (!rc) {
        ts_csv *s = NULL;
        const char *hdr[] = {"n_train", "n_unseen", "n_unknown", "crops_per_condition", "crop_px", "silhouette"};
        char *p = ts_run_path(run, "summary.csv");
        rc = p ? ts_csv_open(p, 6, hdr, &s) : ts_error_set(TS_ERR_NOMEM, "oom");
        free(p);
        if (!rc) {
            double v[6] = {counts[0], counts[1], counts[2], per, (double)size, sil};
            rc = ts_csv_row_d(s, v);
            if (rc)
                ts_csv_abort(s);
            else
                rc = ts_csv_close(s);
        }
    }
    if (!rc) rc = ts_run_write_ini(run, NULL);
    if (!rc)
        printf("tinsel micro dataset: %d train, %d unseen, %d unknown crops of %ld px; silhouette %.3f; wrote %s\n",
               counts[0], counts[1], counts[2], size, sil, ts_run_dir(run));
    for (int k = 0; k < 3; k++) free(dirs[k]);
    free(img);
    free(crop);
    free(lab);
    free(lcrop);
    free(small);
    free(silX);
    free(silL);
    free(svec);
    ts_image_destroy(stack);
    ts_image_destroy(lstack);
    ts_run_destroy(run);
    return ts_cli_fail(rc, "micro dataset");
}
