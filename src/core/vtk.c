/* Legacy VTK STRUCTURED_POINTS writer (binary, big-endian doubles). */
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

static void put_be64(FILE *fp, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(u >> (56 - 8 * i));
    fwrite(b, 1, 8, fp);
}

int ts_vtk_write_image(const char *path, int nx, int ny, int nz, const double spacing[3],
                       const double origin[3], int nfields, const char *const *names,
                       const double *const *fields)
{
    if (nx < 1 || ny < 1 || nz < 1 || nfields < 1)
        return ts_error_set(TS_ERR_INVAL, "%s: bad VTK grid %dx%dx%d with %d fields", path, nx, ny, nz, nfields);
    for (int k = 0; k < nfields; k++)
        if (!names[k] || !*names[k] || strpbrk(names[k], " \t\n"))
            return ts_error_set(TS_ERR_INVAL, "%s: field name %d must be one word", path, k);
    ts_afile *f;
    TS_TRY(ts_afile_open(path, &f));
    FILE *fp = ts_afile_fp(f);
    size_t n = (size_t)nx * (size_t)ny * (size_t)nz;
    fprintf(fp, "# vtk DataFile Version 3.0\ntinsel %s\nBINARY\nDATASET STRUCTURED_POINTS\n", TS_VERSION_STRING);
    fprintf(fp, "DIMENSIONS %d %d %d\nORIGIN %.17g %.17g %.17g\nSPACING %.17g %.17g %.17g\nPOINT_DATA %zu\n", nx, ny,
            nz, origin[0], origin[1], origin[2], spacing[0], spacing[1], spacing[2], n);
    for (int k = 0; k < nfields; k++) {
        fprintf(fp, "SCALARS %s double 1\nLOOKUP_TABLE default\n", names[k]);
        for (size_t i = 0; i < n; i++) put_be64(fp, fields[k][i]);
        fputc('\n', fp);
    }
    return ts_afile_commit(f);
}
