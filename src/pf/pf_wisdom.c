/* FFTW wisdom for bit-reproducible 2D restarts.
 *
 * The 2D solver plans its transforms with FFTW_MEASURE: FFTW times candidate
 * algorithms and keeps the fastest, so two processes can pick different
 * algorithms and their results differ in the last bits. A restarted run then
 * drifts from the uninterrupted one. The run folder keeps the plans as FFTW
 * wisdom (fftw_wisdom.txt); a restart imports it before planning, so the
 * planner returns the very same algorithms and the restarted run repeats the
 * uninterrupted one bit for bit (same machine, same thread count).
 */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>

#include "tinsel/core.h"
#include "tinsel/pf.h"

int ts_pf_fft_wisdom_import(const char *path)
{
    /* FFTW accepts wisdom only from a planner of the same configuration, and
     * the threads library changes it: the solver initialises threads on large
     * grids, so an import before that refused every threaded run's wisdom
     * ("not FFTW wisdom" on --restart at 512^2). Initialise first, always, so
     * that every run2d exports and imports with the same configuration
     * (repeated calls are no-ops). */
    if (!fftw_init_threads()) return ts_error_set(TS_ERR_UNSUPPORTED, "FFTW threads cannot be initialised");
    if (!ts_file_exists(path)) return 0;
    if (!fftw_import_wisdom_from_filename(path))
        return ts_error_set(TS_ERR_PARSE, "%s:1: not FFTW wisdom (expected the file a pf run2d wrote)", path);
    return 0;
}

int ts_pf_fft_wisdom_export(const char *path)
{
    char *tmp = ts_tmp_path(path);
    TS_CHECK_ALLOC(tmp);
    int ok = fftw_export_wisdom_to_filename(tmp);
    int rc = ok ? ts_tmp_commit(tmp, path) : ts_error_set(TS_ERR_IO, "%s: cannot write FFTW wisdom", path);
    if (!ok) remove(tmp);
    free(tmp);
    return rc;
}
