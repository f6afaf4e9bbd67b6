/* Synthetic IC phantoms (notes/xct.md, "Synthetic IC phantoms"; seed 001
 * "Materials and methods": 16 nm node, 14 nm voxels, 8.8 keV).
 * Layers along z from the bottom: Si substrate, contact layer (W plugs under
 * M1 lines, in SiO2), metal layers M1..Mk in SiO2 whose preferred direction
 * alternates (M1 along y, M2 along x, ...), pitch_k = pitch1 growth^(k-1),
 * width = pitch/2, thickness thick1 pitch_k/pitch1, separated by via gaps
 * crossed by Cu vias at crossings of adjacent layers; lines are cut at random
 * (cut_prob per pitch). Refractive index n = 1 - delta + i beta with the
 * table of notes/xct.md at 8.8 keV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

static const char *const mat_names[TS_XCT_MAT_COUNT_] = {"vacuum", "SiO2", "Si", "Cu", "W"};
/* delta, beta at 8.8 keV (notes/xct.md) */
static const double mat_db[TS_XCT_MAT_COUNT_][2] = {
    {0, 0}, {5.95e-6, 6.8e-8}, {6.33e-6, 1.28e-7}, {1.90e-5, 4.06e-7}, {3.80e-5, 2.90e-6}};

const char *ts_xct_material_name(ts_xct_material m)
{
    return (m >= 0 && m < TS_XCT_MAT_COUNT_) ? mat_names[m] : "?";
}

int ts_xct_material_index(ts_xct_material m, double energy_kev, double *delta, double *beta)
{
    if (m < 0 || m >= TS_XCT_MAT_COUNT_)
        return ts_error_set(TS_ERR_INVAL, "unknown material %d", (int)m);
    if (!(energy_kev >= 5.0 && energy_kev <= 8.97))
        return ts_error_set(TS_ERR_RANGE, "energy %g keV outside [5, 8.97] keV (the table is at "
                            "8.8 keV and scaled only where no absorption edge of Si, O, Cu, W lies)",
                            energy_kev);
    double r = 8.8 / energy_kev;
    *delta = mat_db[m][0] * r * r;
    *beta = mat_db[m][1] * r * r * r * r;
    return 0;
}

void ts_xct_phantom_params_default(ts_xct_phantom_params *p)
{
    memset(p, 0, sizeof *p);
    p->nx = 128;
    p->ny = 64;
    p->nz = 64;
    p->voxel_nm = 14.0;
    p->energy_kev = 8.8;
    p->layers = 4;
    p->pitch1 = 8;
    p->pitch_growth = 1.5;
    p->thick1 = 4;
    p->via_height = 3;
    p->substrate = 8;
    p->contact = 4;
    p->via_prob = 0.5;
    p->cut_prob = 0.15;
    p->fill = 0.9;
    p->seed = 1;
}

void ts_xct_phantom_destroy(ts_xct_phantom *ph)
{
    if (!ph) return;
    free(ph->material);
    free(ph->delta);
    free(ph);
}

typedef struct {
    int pitch, width, thick, z0; /* z0: bottom of the layer (z up from the bottom) */
    int along_y;                 /* 1: lines run along y */
    int ntracks, first;          /* tracks at first + j pitch (across coordinate) */
    uint8_t *present;            /* [ntracks][len along]: 1 where the line exists */
    int len;
} layer_t;

int ts_xct_phantom_create(const ts_xct_phantom_params *p, ts_xct_phantom **out)
{
    *out = NULL;
    if (p->nx < 8 || p->ny < 1 || p->nz < 8 || p->layers < 1 || p->layers > 12 || p->pitch1 < 2 ||
        !(p->pitch_growth >= 1.0 && p->pitch_growth <= 4.0) || p->thick1 < 1 || p->via_height < 0 ||
        p->substrate < 0 || p->contact < 0 || !(p->via_prob >= 0 && p->via_prob <= 1) ||
        !(p->cut_prob >= 0 && p->cut_prob < 1) || !(p->fill > 0 && p->fill <= 1) ||
        !(p->voxel_nm > 0))
        return ts_error_set(TS_ERR_INVAL, "phantom: bad parameters (nx, nz >= 8, ny >= 1, 1-12 "
                            "layers, pitch1 >= 2, growth in [1, 4], probabilities in [0, 1], "
                            "fill in (0, 1], voxel > 0)");
    double dtab[TS_XCT_MAT_COUNT_], btab[TS_XCT_MAT_COUNT_];
    for (int m = 0; m < TS_XCT_MAT_COUNT_; m++)
        TS_TRY(ts_xct_material_index((ts_xct_material)m, p->energy_kev, &dtab[m], &btab[m]));
    int nx = p->nx, ny = p->ny, nz = p->nz;
    layer_t L[12];
    memset(L, 0, sizeof L);
    int z = p->substrate + p->contact;
    for (int k = 0; k < p->layers; k++) {
        double g = pow(p->pitch_growth, k);
        L[k].pitch = (int)lround(p->pitch1 * g);
        L[k].width = L[k].pitch / 2 > 0 ? L[k].pitch / 2 : 1;
        L[k].thick = (int)lround(p->thick1 * g);
        if (L[k].thick < 1) L[k].thick = 1;
        if (k > 0) z += p->via_height;
        L[k].z0 = z;
        z += L[k].thick;
        L[k].along_y = (k % 2 == 0);
    }
    int top = z + 2; /* 2 voxels of SiO2 cap */
    if (top > nz)
        return ts_error_set(TS_ERR_RANGE, "phantom: the layer stack needs nz >= %d voxels, got %d",
                            top, nz);
    int xw = (int)lround(p->fill * nx), xs0 = (nx - xw) / 2, xs1 = xs0 + xw;
    ts_xct_phantom *ph = calloc(1, sizeof *ph);
    TS_CHECK_ALLOC(ph);
    size_t nv = (size_t)nx * ny * nz;
    ph->material = calloc(nv * 2, 1);
    ph->delta = malloc(nv * 2 * sizeof(float));
    ts_rng *rng = ts_rng_create(p->seed, 0);
    int rc = 0;
    if (!ph->material || !ph->delta || !rng) {
        rc = ts_error_set(TS_ERR_NOMEM, "phantom: out of memory for %d x %d x %d voxels", nx, ny, nz);
        goto fail;
    }
    ph->metal = ph->material + nv;
    ph->beta = ph->delta + nv;
    ph->nx = nx;
    ph->ny = ny;
    ph->nz = nz;
    ph->voxel_nm = p->voxel_nm;
    ph->energy_kev = p->energy_kev;
    /* tracks and cuts */
    for (int k = 0; k < p->layers; k++) {
        layer_t *l = &L[k];
        int across_lo = l->along_y ? xs0 : 0, across_hi = l->along_y ? xs1 : ny;
        l->len = l->along_y ? ny : nx;
        l->first = across_lo + l->pitch / 4;
        l->ntracks = 0;
        while (l->first + l->ntracks * l->pitch + l->width <= across_hi) l->ntracks++;
        if (l->ntracks == 0) continue;
        l->present = malloc((size_t)l->ntracks * l->len);
        if (!l->present) {
            rc = ts_error_set(TS_ERR_NOMEM, "phantom: out of memory");
            goto fail;
        }
        for (int j = 0; j < l->ntracks; j++) {
            uint8_t *pr = l->present + (size_t)j * l->len;
            memset(pr, 1, (size_t)l->len);
            /* a cut of one pitch with probability cut_prob per pitch */
            for (int a = 0; a < l->len; a += l->pitch)
                if (ts_rng_uniform(rng) < p->cut_prob)
                    for (int b = a; b < a + l->pitch && b < l->len; b++) pr[b] = 0;
        }
    }
#define VOX(y, zz, x) ((size_t)(y) * nz * nx + (size_t)(nz - 1 - (zz)) * nx + (x))
    /* background: vacuum above the cap and outside [xs0, xs1); Si substrate; SiO2 */
    for (int y = 0; y < ny; y++)
        for (int zz = 0; zz < top; zz++)
            for (int x = xs0; x < xs1; x++)
                ph->material[VOX(y, zz, x)] = zz < p->substrate ? TS_XCT_SI : TS_XCT_SIO2;
    /* metal lines */
    for (int k = 0; k < p->layers; k++) {
        layer_t *l = &L[k];
        for (int j = 0; j < l->ntracks; j++) {
            int a0 = l->first + j * l->pitch;
            const uint8_t *pr = l->present + (size_t)j * l->len;
            for (int zz = l->z0; zz < l->z0 + l->thick; zz++)
                for (int w = a0; w < a0 + l->width; w++)
                    for (int s = 0; s < l->len; s++) {
                        if (!pr[s]) continue;
                        int x = l->along_y ? w : s, y = l->along_y ? s : w;
                        if (x < xs0 || x >= xs1) continue;
                        ph->material[VOX(y, zz, x)] = TS_XCT_CU;
                    }
        }
    }
    /* vias between layer k and k+1 at crossings where both lines exist */
    for (int k = 0; k + 1 < p->layers && p->via_height > 0; k++) {
        layer_t *a = &L[k], *b = &L[k + 1];
        layer_t *ly = a->along_y ? a : b, *lx = a->along_y ? b : a;
        int vs = ly->width < lx->width ? ly->width : lx->width;
        int zb = a->z0 + a->thick, zt = b->z0;
        for (int i = 0; i < ly->ntracks; i++)
            for (int j = 0; j < lx->ntracks; j++) {
                int x0 = ly->first + i * ly->pitch, y0 = lx->first + j * lx->pitch;
                int xc = x0 + (ly->width - vs) / 2, yc = y0 + (lx->width - vs) / 2;
                if (ts_rng_uniform(rng) >= p->via_prob) continue;
                if (!ly->present[(size_t)i * ly->len + yc] || !lx->present[(size_t)j * lx->len + xc])
                    continue;
                for (int zz = zb; zz < zt; zz++)
                    for (int y = yc; y < yc + vs && y < ny; y++)
                        for (int x = xc; x < xc + vs && x < xs1; x++)
                            ph->material[VOX(y, zz, x)] = TS_XCT_CU;
            }
    }
    /* contact layer: W plugs under M1 lines, one per pitch with probability via_prob */
    if (p->contact > 0 && L[0].ntracks > 0) {
        layer_t *l = &L[0];
        int vs = l->width;
        for (int j = 0; j < l->ntracks; j++) {
            int x0 = l->first + j * l->pitch;
            for (int s = 0; s + vs <= l->len; s += l->pitch) {
                if (ts_rng_uniform(rng) >= p->via_prob) continue;
                if (!l->present[(size_t)j * l->len + s]) continue;
                for (int zz = p->substrate; zz < p->substrate + p->contact; zz++)
                    for (int y = s; y < s + vs; y++)
                        for (int x = x0; x < x0 + vs; x++)
                            ph->material[VOX(y, zz, x)] = TS_XCT_W;
            }
        }
    }
#undef VOX
    for (size_t i = 0; i < nv; i++) {
        int m = ph->material[i];
        ph->metal[i] = (m == TS_XCT_CU || m == TS_XCT_W);
        ph->delta[i] = (float)dtab[m];
        ph->beta[i] = (float)btab[m];
    }
    for (int k = 0; k < p->layers; k++) free(L[k].present);
    ts_rng_destroy(rng);
    *out = ph;
    return 0;
fail:
    for (int k = 0; k < p->layers; k++) free(L[k].present);
    ts_rng_destroy(rng);
    ts_xct_phantom_destroy(ph);
    return rc;
}

int ts_xct_phantom_slice(const ts_xct_phantom *ph, int y, int field, int n, float *out)
{
    if (y < 0 || y >= ph->ny)
        return ts_error_set(TS_ERR_RANGE, "phantom slice %d outside 0 .. %d", y, ph->ny - 1);
    if (n < ph->nx || n < ph->nz)
        return ts_error_set(TS_ERR_INVAL, "phantom slice: image %d smaller than %d x %d", n,
                            ph->nz, ph->nx);
    if (field < 0 || field > 2) return ts_error_set(TS_ERR_INVAL, "phantom slice: field %d", field);
    memset(out, 0, (size_t)n * n * sizeof *out);
    int r0 = (n - ph->nz) / 2, c0 = (n - ph->nx) / 2;
    size_t base = (size_t)y * ph->nz * ph->nx;
    for (int r = 0; r < ph->nz; r++)
        for (int c = 0; c < ph->nx; c++) {
            size_t i = base + (size_t)r * ph->nx + c;
            float v = field == 0 ? ph->delta[i] : field == 1 ? ph->beta[i] : (float)ph->metal[i];
            out[(size_t)(r0 + r) * n + c0 + c] = v;
        }
    return 0;
}
