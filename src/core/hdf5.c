/* HDF5 datasets: shape, (hyperslab) reads converted to float/double, and an
 * atomic multi-dataset writer. HDF5's own error stack printing is silenced;
 * failures become ts_error messages. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

static void silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static hid_t open_file(const char *path)
{
    silence();
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        ts_error_set(TS_ERR_NOTFOUND, "%s: cannot open", path);
        return -1;
    }
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0) {
        ts_error_set(TS_ERR_FORMAT, "%s: not an HDF5 file (or truncated)", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) ts_error_set(TS_ERR_FORMAT, "%s: cannot open HDF5 file (corrupt or truncated?)", path);
    return f;
}

static hid_t open_dataset(hid_t f, const char *path, const char *dataset)
{
    if (H5Lexists(f, dataset, H5P_DEFAULT) <= 0) {
        /* H5Lexists fails on missing intermediate groups too: either way, not found. */
        ts_error_set(TS_ERR_NOTFOUND, "%s: no dataset '%s'", path, dataset);
        return -1;
    }
    hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
    if (d < 0) ts_error_set(TS_ERR_FORMAT, "%s: '%s' is not a readable dataset", path, dataset);
    return d;
}

int ts_h5_info(const char *path, const char *dataset, int *rank, size_t dims[8])
{
    hid_t f = open_file(path);
    if (f < 0) return ts_error_code();
    hid_t d = open_dataset(f, path, dataset);
    if (d < 0) {
        H5Fclose(f);
        return ts_error_code();
    }
    hid_t s = H5Dget_space(d);
    int r = H5Sget_simple_extent_ndims(s);
    int rc = 0;
    if (r < 0 || r > 8) {
        rc = ts_error_set(TS_ERR_UNSUPPORTED, "%s: '%s' has rank %d; at most 8 supported", path, dataset, r);
    } else {
        hsize_t hd[8];
        H5Sget_simple_extent_dims(s, hd, NULL);
        for (int i = 0; i < r; i++) dims[i] = (size_t)hd[i];
        *rank = r;
    }
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    return rc;
}

static int read_as(const char *path, const char *dataset, const size_t *start, const size_t *count,
                   void *out, hid_t memtype)
{
    hid_t f = open_file(path);
    if (f < 0) return ts_error_code();
    hid_t d = open_dataset(f, path, dataset);
    if (d < 0) {
        H5Fclose(f);
        return ts_error_code();
    }
    int rc = 0;
    hid_t fs = H5Dget_space(d), ms = H5S_ALL;
    hid_t ft = H5Dget_type(d);
    H5T_class_t cls = H5Tget_class(ft);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: '%s' is not numeric", path, dataset);
    } else if (start && count) {
        int r = H5Sget_simple_extent_ndims(fs);
        hsize_t hd[32], hs[32], hc[32];
        H5Sget_simple_extent_dims(fs, hd, NULL);
        for (int i = 0; i < r && !rc; i++) {
            hs[i] = start[i];
            hc[i] = count[i];
            if (hs[i] + hc[i] > hd[i])
                rc = ts_error_set(TS_ERR_RANGE, "%s: '%s' dimension %d: slab %zu+%zu exceeds size %llu", path, dataset,
                                  i, start[i], count[i], (unsigned long long)hd[i]);
        }
        if (!rc) {
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, hs, NULL, hc, NULL);
            ms = H5Screate_simple(r, hc, NULL);
        }
    }
    if (!rc && H5Dread(d, memtype, ms, fs, H5P_DEFAULT, out) < 0)
        rc = ts_error_set(TS_ERR_FORMAT, "%s: reading '%s' failed (truncated or corrupt file?)", path, dataset);
    if (ms != H5S_ALL) H5Sclose(ms);
    H5Tclose(ft);
    H5Sclose(fs);
    H5Dclose(d);
    H5Fclose(f);
    return rc;
}

int ts_h5_read_f32(const char *path, const char *dataset, const size_t *start, const size_t *count, float *out)
{
    return read_as(path, dataset, start, count, out, H5T_NATIVE_FLOAT);
}

int ts_h5_read_f64(const char *path, const char *dataset, const size_t *start, const size_t *count, double *out)
{
    return read_as(path, dataset, start, count, out, H5T_NATIVE_DOUBLE);
}

struct ts_h5_writer {
    hid_t f;
    char *path, *tmp;
};

int ts_h5_writer_open(const char *path, ts_h5_writer **out)
{
    *out = NULL;
    silence();
    ts_h5_writer *w = calloc(1, sizeof *w);
    TS_CHECK_ALLOC(w);
    w->path = malloc(strlen(path) + 1);
    w->tmp = ts_tmp_path(path);
    if (!w->path || !w->tmp) {
        free(w->path);
        free(w->tmp);
        free(w);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    strcpy(w->path, path);
    w->f = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->f < 0) {
        int rc = ts_error_set(TS_ERR_IO, "%s: cannot create HDF5 file", path);
        free(w->path);
        free(w->tmp);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int ts_h5_writer_add(ts_h5_writer *w, const char *dataset, ts_h5_type type, int rank, const size_t *dims,
                     const void *data)
{
    static const hid_t *const types[] = {&H5T_NATIVE_UINT8_g, &H5T_NATIVE_UINT16_g, &H5T_NATIVE_INT32_g,
                                         &H5T_NATIVE_INT64_g, &H5T_NATIVE_FLOAT_g, &H5T_NATIVE_DOUBLE_g};
    if ((int)type < 0 || (int)type > 5 || rank < 1 || rank > 32)
        return ts_error_set(TS_ERR_INVAL, "%s: bad type or rank for '%s'", w->path, dataset);
    H5open();
    hsize_t hd[32];
    for (int i = 0; i < rank; i++) hd[i] = dims[i];
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t s = H5Screate_simple(rank, hd, NULL);
    hid_t t = *types[type];
    hid_t d = H5Dcreate2(w->f, dataset, t, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (d < 0)
        rc = ts_error_set(TS_ERR_IO, "%s: cannot create dataset '%s' (exists already?)", w->path, dataset);
    else if (H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = ts_error_set(TS_ERR_IO, "%s: writing '%s' failed", w->path, dataset);
    if (d >= 0) H5Dclose(d);
    H5Sclose(s);
    H5Pclose(lcpl);
    return rc;
}

int ts_h5_writer_attr(ts_h5_writer *w, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(w->f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (a < 0 || H5Awrite(a, t, value) < 0) rc = ts_error_set(TS_ERR_IO, "%s: cannot write attribute '%s'", w->path, name);
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc;
}

static void writer_free(ts_h5_writer *w)
{
    free(w->path);
    free(w->tmp);
    free(w);
}

int ts_h5_writer_commit(ts_h5_writer *w)
{
    int rc = 0;
    if (H5Fclose(w->f) < 0) {
        remove(w->tmp);
        rc = ts_error_set(TS_ERR_IO, "%s: closing HDF5 file failed", w->path);
    } else {
        rc = ts_tmp_commit(w->tmp, w->path);
    }
    writer_free(w);
    return rc;
}

void ts_h5_writer_abort(ts_h5_writer *w)
{
    if (!w) return;
    H5Fclose(w->f);
    remove(w->tmp);
    writer_free(w);
}
