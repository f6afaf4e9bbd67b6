/* The analysis chain of seed 000 Fig. 4a / 6a on synthetic micrographs:
 * condition matrix -> images (3 per condition) -> segmentation (forest
 * trained on a few labelled images of independent random draws, with
 * varied dose and contrast) -> descriptors (exact and segmented labels) ->
 * per-condition mean ± sd -> √t fits per impurity level (Fig. 6 d-e). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micro_internal.h"

const char *ts_micro_desc_name(int k)
{
    static const char *const n[TS_MICRO_NDESC] = {"h_cu3sn_um", "h_cu6sn5_um", "h_imc_um",
                                                  "pore_area_um2", "line_ratio"};
    return k >= 0 && k < TS_MICRO_NDESC ? n[k] : "?";
}

double ts_micro_desc_get(const ts_micro_desc *d, int k)
{
    switch (k) {
    case TS_MICRO_D_CU3SN: return d->h_cu3sn_um;
    case TS_MICRO_D_CU6SN5: return d->h_cu6sn5_um;
    case TS_MICRO_D_IMC: return d->h_imc_um;
    case TS_MICRO_D_PORE: return d->pore_area_per_field_um2;
    case TS_MICRO_D_LINE: return d->line_ratio;
    default: return NAN;
    }
}

void ts_micro_chain_opts_default(ts_micro_chain_opts *o)
{
    memset(o, 0, sizeof *o);
    ts_micro_synth_opts_default(&o->synth);
    o->images_per_condition = 3;
    o->measured_only = 0;
    o->segment = 1;
    o->train_images = 4;
    o->per_class = 1500;
    o->min_blob_px = 6;
    ts_micro_forest_opts_default(&o->forest);
    o->seed = 1;
}

/* Training draws: conditions spread over the matrix, imaging varied. */
static const int train_level[8] = {0, 2, 3, 1, 2, 0, 3, 1};
static const double train_t[8] = {0, 300, 3000, 750, 1000, 100, 750, 3000};
static const double train_dose[8] = {30, 120, 60, 45, 90, 40, 70, 35};
static const double train_contrast[8] = {4.5, 6.5, 5.5, 5.0, 6.0, 4.8, 5.2, 5.8};

int ts_micro_seg_train_synthetic(const ts_micro_synth_opts *o, int ntrain, int per_class,
                                 const ts_micro_forest_opts *fo, uint64_t seed, ts_micro_forest **out)
{
    if (!o || !fo || !out) return ts_error_set(TS_ERR_INVAL, "seg_train_synthetic: NULL argument");
    *out = NULL;
    if (ntrain < 1 || ntrain > 8)
        return ts_error_set(TS_ERR_RANGE, "training images %d outside 1..8", ntrain);
    const size_t npx = (size_t)o->width * o->height;
    float *ti[8] = {NULL};
    uint8_t *tl[8] = {NULL};
    int rc = 0;
    for (int k = 0; k < ntrain && !rc; k++) {
        ti[k] = malloc(npx * sizeof *ti[k]);
        tl[k] = malloc(npx);
        if (!ti[k] || !tl[k]) {
            rc = ts_error_set(TS_ERR_NOMEM, "seg_train_synthetic: out of memory");
            break;
        }
        ts_micro_synth_opts so = *o;
        so.dose = train_dose[k];
        so.contrast = train_contrast[k];
        rc = ts_micro_synth(&so, train_level[k], NULL, train_t[k], seed ^ 0x7124a11ULL, (uint64_t)k, ti[k], tl[k],
                            NULL);
    }
    if (!rc) {
        ts_micro_forest_opts f2 = *fo;
        f2.seed = seed;
        rc = ts_micro_seg_train(&f2, ntrain, (const float *const *)ti, (const uint8_t *const *)tl, o->width,
                                o->height, per_class, seed, out);
    }
    for (int k = 0; k < 8; k++) {
        free(ti[k]);
        free(tl[k]);
    }
    return rc;
}

int ts_micro_chain_run(const ts_micro_chain_opts *o, ts_micro_record **recs, size_t *nrec,
                       ts_micro_forest **model)
{
    if (!o || !recs || !nrec) return ts_error_set(TS_ERR_INVAL, "chain: NULL argument");
    *recs = NULL;
    *nrec = 0;
    if (model) *model = NULL;
    if (o->images_per_condition < 1 || o->images_per_condition > 1000)
        return ts_error_set(TS_ERR_RANGE, "chain: images per condition %d outside 1..1000",
                            o->images_per_condition);
    if (o->segment && (o->train_images < 1 || o->train_images > 8))
        return ts_error_set(TS_ERR_RANGE, "chain: training images %d outside 1..8", o->train_images);
    const int w = o->synth.width, h = o->synth.height;
    const size_t npx = (size_t)w * h;
    int ncell = 0;
    for (int l = 0; l < TS_MICRO_NLEVELS; l++)
        for (int t = 0; t < TS_MICRO_NTIMES; t++)
            if (!o->measured_only || ts_micro_condition_status(l, t) != TS_MICRO_UNKNOWN) ncell++;
    size_t nr = (size_t)ncell * o->images_per_condition;
    ts_micro_record *R = calloc(nr, sizeof *R);
    TS_CHECK_ALLOC(R);
    int rc = 0;
    ts_micro_forest *f = NULL;
    if (o->segment &&
        (rc = ts_micro_seg_train_synthetic(&o->synth, o->train_images, o->per_class, &o->forest, o->seed, &f)))
        goto out;
    {
        size_t i = 0;
        for (int l = 0; l < TS_MICRO_NLEVELS; l++)
            for (int t = 0; t < TS_MICRO_NTIMES; t++) {
                int st = ts_micro_condition_status(l, t);
                if (o->measured_only && st == TS_MICRO_UNKNOWN) continue;
                for (int k = 0; k < o->images_per_condition; k++, i++) {
                    R[i].level = l;
                    R[i].time_index = t;
                    R[i].status = st;
                    R[i].image = k;
                    R[i].t_h = ts_micro_time_h(t);
                }
            }
    }
    ts_progress *pg = ts_progress_create("micro chain", (double)nr, "image");
    float *img = malloc(npx * sizeof *img);
    uint8_t *lab = malloc(npx), *seg = malloc(npx);
    if (!img || !lab || !seg) rc = ts_error_set(TS_ERR_NOMEM, "chain: out of memory");
    for (size_t i = 0; i < nr && !rc; i++) {
        if (ts_interrupted()) {
            rc = ts_error_set(TS_ERR_INTERRUPTED, "chain: interrupted after %zu images", i);
            break;
        }
        ts_micro_record *r = &R[i];
        uint64_t stream = (uint64_t)(r->level * TS_MICRO_NTIMES + r->time_index) * 1000u + r->image;
        if ((rc = ts_micro_synth(&o->synth, r->level, NULL, r->t_h, o->seed, stream, img, lab, NULL)))
            break;
        if ((rc = ts_micro_describe(lab, w, h, o->synth.px_um, &r->truth))) break;
        if (o->segment) {
            if ((rc = ts_micro_segment(f, img, w, h, 1, o->min_blob_px, seg))) break;
            if ((rc = ts_micro_describe(seg, w, h, o->synth.px_um, &r->seg))) break;
            ts_micro_iou(seg, lab, npx, r->iou, r->inter, r->uni);
        }
        ts_progress_update(pg, (double)(i + 1), NULL);
    }
    ts_progress_destroy(pg);
    free(img);
    free(lab);
    free(seg);
out:
    if (rc) {
        free(R);
        ts_micro_forest_destroy(f);
        return rc;
    }
    *recs = R;
    *nrec = nr;
    if (model)
        *model = f;
    else
        ts_micro_forest_destroy(f);
    return 0;
}

int ts_micro_condition_stats(const ts_micro_record *recs, size_t n, int use_seg,
                             ts_micro_condstat *out)
{
    if (!recs || !out) return ts_error_set(TS_ERR_INVAL, "condition_stats: NULL argument");
    for (int l = 0; l < TS_MICRO_NLEVELS; l++)
        for (int t = 0; t < TS_MICRO_NTIMES; t++) {
            ts_micro_condstat *c = &out[l * TS_MICRO_NTIMES + t];
            memset(c, 0, sizeof *c);
            c->level = l;
            c->time_index = t;
            c->t_h = ts_micro_time_h(t);
            c->status = ts_micro_condition_status(l, t);
        }
    for (size_t i = 0; i < n; i++) {
        const ts_micro_record *r = &recs[i];
        ts_micro_condstat *c = &out[r->level * TS_MICRO_NTIMES + r->time_index];
        c->n++;
        for (int k = 0; k < TS_MICRO_NDESC; k++)
            c->mean[k] += ts_micro_desc_get(use_seg ? &r->seg : &r->truth, k);
    }
    for (int j = 0; j < TS_MICRO_NLEVELS * TS_MICRO_NTIMES; j++)
        for (int k = 0; k < TS_MICRO_NDESC; k++) {
            if (out[j].n > 0) out[j].mean[k] /= out[j].n;
            out[j].sd[k] = out[j].n > 1 ? 0.0 : NAN;
        }
    for (size_t i = 0; i < n; i++) {
        const ts_micro_record *r = &recs[i];
        ts_micro_condstat *c = &out[r->level * TS_MICRO_NTIMES + r->time_index];
        if (c->n < 2) continue;
        for (int k = 0; k < TS_MICRO_NDESC; k++) {
            double d = ts_micro_desc_get(use_seg ? &r->seg : &r->truth, k) - c->mean[k];
            c->sd[k] += d * d / (c->n - 1);
        }
    }
    for (int j = 0; j < TS_MICRO_NLEVELS * TS_MICRO_NTIMES; j++)
        if (out[j].n > 1)
            for (int k = 0; k < TS_MICRO_NDESC; k++) out[j].sd[k] = sqrt(out[j].sd[k]);
    return 0;
}

int ts_micro_fit_levels(const ts_micro_condstat *cs, ts_micro_sqrt_fit *kimc,
                        ts_micro_sqrt_fit *kpore)
{
    if (!cs || !kimc || !kpore) return ts_error_set(TS_ERR_INVAL, "fit_levels: NULL argument");
    for (int l = 0; l < TS_MICRO_NLEVELS; l++) {
        double t[TS_MICRO_NTIMES], yi[TS_MICRO_NTIMES], yp[TS_MICRO_NTIMES];
        size_t m = 0;
        for (int k = 0; k < TS_MICRO_NTIMES; k++) {
            const ts_micro_condstat *c = &cs[l * TS_MICRO_NTIMES + k];
            if (c->n <= 0) continue;
            t[m] = c->t_h;
            yi[m] = c->mean[TS_MICRO_D_IMC];
            yp[m] = c->mean[TS_MICRO_D_PORE];
            m++;
        }
        memset(&kimc[l], 0, sizeof kimc[l]);
        memset(&kpore[l], 0, sizeof kpore[l]);
        if (m < 2) continue;
        TS_TRY(ts_micro_fit_sqrt(t, yi, m, &kimc[l]));
        TS_TRY(ts_micro_fit_sqrt(t, yp, m, &kpore[l]));
    }
    return 0;
}
