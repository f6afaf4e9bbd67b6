/* DXchange HDF5 projections (De Carlo et al., J. Synchrotron Rad. 21 (2014)
 * 1224): /exchange/data [angle][row][column], /exchange/data_white,
 * /exchange/data_dark [frame][row][column], /exchange/theta (degrees).
 * Flat/dark correction T = (I - D)/(W - D), D, W the frame means, and the
 * line integral -log T (Beer-Lambert), as TomoPy's normalize + minus_log. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/xct.h"
#include "xct_internal.h"

#define T_MIN 1e-6 /* smallest transmission kept before -log (TomoPy clips likewise) */

void ts_xct_projections_free(ts_xct_projections *p)
{
    if (!p) return;
    free(p->sino);
    free(p->theta);
    p->sino = NULL;
    p->theta = NULL;
}

/* v: [frames][rows][cols] read from rows row0.. of dataset ds */
static int check_finite(const char *path, const char *ds, const float *v, size_t n, size_t rows,
                        size_t cols, int row0)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return ts_error_set(TS_ERR_NUMERIC, "%s: %s[%zu][%zu][%zu] is NaN or infinite", path, ds,
                                i / (rows * cols), (size_t)row0 + (i / cols) % rows, i % cols);
    return 0;
}

/* Mean over frames of rows [row0, row0+nrows) of a [frames][rows][ndet] dataset. */
static int frame_mean(const char *path, const char *ds, size_t rows, size_t ndet, int row0,
                      int nrows, double *out)
{
    int rank;
    size_t d[8];
    TS_TRY(ts_h5_info(path, ds, &rank, d));
    if (rank != 3 || d[1] != rows || d[2] != ndet || d[0] < 1)
        return ts_error_set(TS_ERR_FORMAT, "%s: %s: expected [frames >= 1][%zu][%zu], got rank %d "
                            "(%zu x %zu x %zu)", path, ds, rows, ndet, rank, d[0],
                            rank > 1 ? d[1] : 0, rank > 2 ? d[2] : 0);
    size_t start[3] = {0, (size_t)row0, 0}, count[3] = {d[0], (size_t)nrows, ndet};
    size_t m = (size_t)nrows * ndet;
    float *buf = malloc(d[0] * m * sizeof *buf);
    TS_CHECK_ALLOC(buf);
    int rc = ts_h5_read_f32(path, ds, start, count, buf);
    if (!rc) rc = check_finite(path, ds, buf, d[0] * m, (size_t)nrows, ndet, row0);
    if (!rc) {
        for (size_t i = 0; i < m; i++) out[i] = 0;
        for (size_t f = 0; f < d[0]; f++)
            for (size_t i = 0; i < m; i++) out[i] += buf[f * m + i];
        for (size_t i = 0; i < m; i++) out[i] /= (double)d[0];
    }
    free(buf);
    return rc;
}

int ts_xct_dxchange_read(const char *path, int row0, int nrows, int normalize, int minus_log,
                         ts_xct_projections *out)
{
    memset(out, 0, sizeof *out);
    int rank;
    size_t d[8], dt[8];
    TS_TRY(ts_h5_info(path, "/exchange/data", &rank, d));
    if (rank != 3)
        return ts_error_set(TS_ERR_FORMAT, "%s: /exchange/data: expected rank 3 [angles][rows]"
                            "[columns], got rank %d", path, rank);
    int rt;
    TS_TRY(ts_h5_info(path, "/exchange/theta", &rt, dt));
    if (rt != 1)
        return ts_error_set(TS_ERR_FORMAT, "%s: /exchange/theta: expected rank 1, got %d", path, rt);
    if (d[0] == 0 || dt[0] == 0)
        return ts_error_set(TS_ERR_FORMAT, "%s: empty angle set (%zu projections, %zu angles)",
                            path, d[0], dt[0]);
    if (dt[0] != d[0])
        return ts_error_set(TS_ERR_FORMAT, "%s: /exchange/theta has %zu angles but /exchange/data "
                            "has %zu projections", path, dt[0], d[0]);
    if (d[1] == 0 || d[2] < 2)
        return ts_error_set(TS_ERR_FORMAT, "%s: /exchange/data has %zu rows of %zu columns",
                            path, d[1], d[2]);
    if (nrows <= 0) nrows = (int)d[1] - row0; /* all rows from row0 on */
    if (row0 < 0 || nrows < 1 || (size_t)row0 + (size_t)nrows > d[1])
        return ts_error_set(TS_ERR_RANGE, "%s: rows %d .. %d outside 0 .. %zu", path, row0,
                            row0 + nrows - 1, d[1] - 1);
    size_t na = d[0], nd = d[2], m = (size_t)nrows * nd;
    float *raw = malloc(na * m * sizeof *raw);
    double *white = malloc(m * sizeof *white), *dark = malloc(m * sizeof *dark);
    out->sino = malloc(na * m * sizeof *out->sino);
    out->theta = malloc(na * sizeof *out->theta);
    int rc = 0;
    if (!raw || !white || !dark || !out->sino || !out->theta) {
        rc = ts_error_set(TS_ERR_NOMEM, "%s: out of memory for %zu x %d x %zu projections", path,
                          na, nrows, nd);
        goto done;
    }
    if ((rc = ts_h5_read_f64(path, "/exchange/theta", NULL, NULL, out->theta))) goto done;
    for (size_t i = 0; i < na; i++) {
        if (!isfinite(out->theta[i])) {
            rc = ts_error_set(TS_ERR_NUMERIC, "%s: /exchange/theta[%zu] is not finite", path, i);
            goto done;
        }
        out->theta[i] *= XCT_PI / 180.0;
    }
    size_t start[3] = {0, (size_t)row0, 0}, count[3] = {na, (size_t)nrows, nd};
    if ((rc = ts_h5_read_f32(path, "/exchange/data", start, count, raw))) goto done;
    if ((rc = check_finite(path, "/exchange/data", raw, na * m, (size_t)nrows, nd, row0))) goto done;
    if (normalize) {
        if ((rc = frame_mean(path, "/exchange/data_white", d[1], nd, row0, nrows, white))) goto done;
        if ((rc = frame_mean(path, "/exchange/data_dark", d[1], nd, row0, nrows, dark))) goto done;
    }
    size_t bad = 0;
    for (size_t a = 0; a < na; a++)
        for (int r = 0; r < nrows; r++)
            for (size_t k = 0; k < nd; k++) {
                size_t im = r * nd + k;
                double v = raw[(a * nrows + r) * nd + k];
                if (normalize) {
                    double den = white[im] - dark[im];
                    if (den <= 0) {
                        bad++;
                        v = 1.0;
                    } else {
                        v = (v - dark[im]) / den;
                    }
                }
                if (minus_log) v = -log(v > T_MIN ? v : T_MIN);
                out->sino[((size_t)r * na + a) * nd + k] = (float)v;
            }
    if (bad)
        ts_log_warn("%s: %zu detector pixels with white <= dark set to transmission 1", path,
                    bad / na);
    out->nang = (int)na;
    out->nrows = nrows;
    out->ndet = (int)nd;
done:
    free(raw);
    free(white);
    free(dark);
    if (rc) ts_xct_projections_free(out);
    return rc;
}

int ts_xct_dxchange_write(const char *path, const ts_xct_projections *p, double i0, int noise,
                          uint64_t seed)
{
    if (!(i0 > 0)) return ts_error_set(TS_ERR_INVAL, "dxchange write: i0 must be > 0");
    size_t na = p->nang, nr = p->nrows, nd = p->ndet, m = nr * nd;
    const int nflat = 10;
    float *data = malloc(na * m * sizeof *data);
    float *white = malloc(nflat * m * sizeof *white), *dark = calloc(m, sizeof *dark);
    double *deg = malloc(na * sizeof *deg);
    ts_rng *rng = ts_rng_create(seed, 7);
    int rc = 0;
    ts_h5_writer *w = NULL;
    if (!data || !white || !dark || !deg || !rng) {
        rc = ts_error_set(TS_ERR_NOMEM, "dxchange write: out of memory");
        goto done;
    }
    for (size_t a = 0; a < na; a++)
        for (size_t r = 0; r < nr; r++)
            for (size_t k = 0; k < nd; k++) {
                double mean = i0 * exp(-(double)p->sino[(r * na + a) * nd + k]);
                data[(a * nr + r) * nd + k] = (float)(noise ? ts_rng_poisson(rng, mean) : mean);
            }
    for (size_t i = 0; i < nflat * m; i++) white[i] = (float)(noise ? ts_rng_poisson(rng, i0) : i0);
    for (size_t a = 0; a < na; a++) deg[a] = p->theta[a] * 180.0 / XCT_PI;
    if ((rc = ts_h5_writer_open(path, &w))) goto done;
    size_t dd[3] = {na, nr, nd}, dw[3] = {nflat, nr, nd}, dk[3] = {1, nr, nd}, dth[1] = {na};
    if ((rc = ts_h5_writer_add(w, "/exchange/data", TS_H5_F32, 3, dd, data))) goto done;
    if ((rc = ts_h5_writer_add(w, "/exchange/data_white", TS_H5_F32, 3, dw, white))) goto done;
    if ((rc = ts_h5_writer_add(w, "/exchange/data_dark", TS_H5_F32, 3, dk, dark))) goto done;
    if ((rc = ts_h5_writer_add(w, "/exchange/theta", TS_H5_F64, 1, dth, deg))) goto done;
    if ((rc = ts_h5_writer_attr(w, "implements", "exchange"))) goto done;
    if ((rc = ts_h5_writer_attr(w, "provenance", "tinsel xct project (simulated, Beer-Lambert, "
                                "theta in degrees)"))) goto done;
    rc = ts_h5_writer_commit(w);
    w = NULL;
done:
    ts_h5_writer_abort(w);
    free(data);
    free(white);
    free(dark);
    free(deg);
    ts_rng_destroy(rng);
    return rc;
}
