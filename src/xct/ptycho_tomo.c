/* Slab projections for multislice ptycho-tomography and the Approximant's
 * back-rotation.
 *
 * Seed 001 (Approximant; notes/xct.md): at each angle the sample is cut into
 * L slabs perpendicular to the beam; the multislice model sees, per slab,
 * the line integral of (delta, beta) over the slab. The Approximant runs two
 * gradient iterations of L-slice ptychography per angle and rotates the slab
 * phases back to the sample frame, averaged over the angles.
 *
 * Geometry (as include/tinsel/xct.h): pixel (row, col) of an n x n slice has
 * x = col - n/2, y = n/2 - row; at angle theta a ray {x cos + y sin = t}
 * runs along s = -x sin(theta) + y cos(theta). Slab l holds the pixels with
 * s in [-n/2 + l n/L, -n/2 + (l+1) n/L) (the end slabs take everything
 * beyond). Line integrals use Joseph's projector with its exact adjoint. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xct_internal.h"

static int slab_of(int n, int L, int row, int col, double st, double ct)
{
    double x = col - n / 2, y = n / 2 - row, s = -x * st + y * ct;
    int l = (int)floor((s + 0.5 * n) * L / n);
    return l < 0 ? 0 : l >= L ? L - 1 : l;
}

int ts_xct_slab_project(int n, int ny, const float *vol, double theta, int nslabs,
                        double voxel_nm, float *out)
{
    if (n < 2 || ny < 1 || ny > n || !vol || !out || nslabs < 1 || nslabs > n || !(voxel_nm > 0) ||
        !isfinite(theta))
        return ts_error_set(TS_ERR_INVAL, "slab project: n >= 2, 1 <= ny <= n, 1 <= slabs <= n, voxel > 0");
    ts_xct_geom *g = NULL;
    ts_xct_op *op = NULL;
    int rc = ts_xct_geom_create(n, n, 1, &theta, -1, &g);
    if (!rc) rc = ts_xct_op_joseph_create(g, &op);
    ts_xct_geom_destroy(g);
    if (rc) return rc;
    const size_t n2 = (size_t)n * n;
    memset(out, 0, (size_t)nslabs * n2 * sizeof *out);
    const double st = sin(theta), ct = cos(theta);
    int err = 0;
#pragma omp parallel for schedule(dynamic)
    for (int y = 0; y < ny; y++) {
        float *img = malloc(n2 * sizeof *img), *row = malloc((size_t)n * sizeof *row);
        if (!img || !row) {
#pragma omp atomic write
            err = 1;
        } else {
            for (int l = 0; l < nslabs; l++) {
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < n; c++)
                        img[(size_t)r * n + c] = slab_of(n, nslabs, r, c, st, ct) == l
                                                     ? vol[(size_t)y * n2 + (size_t)r * n + c] : 0.0f;
                op->forward(op, img, row);
                for (int k = 0; k < n; k++)
                    out[(size_t)l * n2 + (size_t)y * n + k] = (float)(row[k] * voxel_nm);
            }
        }
        free(img);
        free(row);
    }
    ts_xct_op_destroy(op);
    return err ? ts_error_set(TS_ERR_NOMEM, "slab project: out of memory") : 0;
}

int ts_xct_slab_backproject_add(int n, int ny, const float *slab_nm, double theta, int nslabs,
                                double voxel_nm, float *acc, float *wacc)
{
    if (n < 2 || ny < 1 || ny > n || !slab_nm || !acc || !wacc || nslabs < 1 || nslabs > n ||
        !(voxel_nm > 0) || !isfinite(theta))
        return ts_error_set(TS_ERR_INVAL, "slab backproject: bad argument");
    ts_xct_geom *g = NULL;
    ts_xct_op *op = NULL;
    int rc = ts_xct_geom_create(n, n, 1, &theta, -1, &g);
    if (!rc) rc = ts_xct_op_joseph_create(g, &op);
    ts_xct_geom_destroy(g);
    if (rc) return rc;
    const size_t n2 = (size_t)n * n;
    const double st = sin(theta), ct = cos(theta);
    /* path length of every ray through every slab: ell[l][k] = A mask_l */
    float *ell = malloc((size_t)nslabs * n * sizeof *ell), *img = malloc(n2 * sizeof *img);
    uint8_t *lab = malloc(n2);
    if (!ell || !img || !lab) {
        free(ell); free(img); free(lab);
        ts_xct_op_destroy(op);
        return ts_error_set(TS_ERR_NOMEM, "slab backproject: out of memory");
    }
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++) lab[(size_t)r * n + c] = (uint8_t)slab_of(n, nslabs, r, c, st, ct);
    for (int l = 0; l < nslabs; l++) {
        for (size_t i = 0; i < n2; i++) img[i] = lab[i] == l;
        op->forward(op, img, ell + (size_t)l * n);
    }
    free(img);
    int err = 0;
#pragma omp parallel for schedule(dynamic)
    for (int y = 0; y < ny; y++) {
        float *row = malloc((size_t)n * sizeof *row), *one = malloc((size_t)n * sizeof *one),
              *b = malloc(n2 * sizeof *b), *w = malloc(n2 * sizeof *w);
        if (!row || !one || !b || !w) {
#pragma omp atomic write
            err = 1;
        } else {
            for (int l = 0; l < nslabs; l++) {
                const float *el = ell + (size_t)l * n;
                for (int k = 0; k < n; k++) {
                    int ok = el[k] > 0.5f;
                    /* mean delta along the ray inside the slab */
                    row[k] = ok ? (float)(slab_nm[(size_t)l * n2 + (size_t)y * n + k] / (voxel_nm * el[k])) : 0;
                    one[k] = (float)ok;
                }
                memset(b, 0, n2 * sizeof *b);
                memset(w, 0, n2 * sizeof *w);
                op->adjoint(op, row, b);
                op->adjoint(op, one, w);
                for (size_t i = 0; i < n2; i++)
                    if (lab[i] == l) {
                        acc[(size_t)y * n2 + i] += b[i];
                        wacc[(size_t)y * n2 + i] += w[i];
                    }
            }
        }
        free(row); free(one); free(b); free(w);
    }
    free(ell);
    free(lab);
    ts_xct_op_destroy(op);
    return err ? ts_error_set(TS_ERR_NOMEM, "slab backproject: out of memory") : 0;
}
