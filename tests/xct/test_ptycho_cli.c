/* tinsel xct ptycho simulate|recon and ptychotomo end to end, small scale;
 * bad input (probe larger than the object, no overlap, mismatched detector
 * size) gives a non-zero exit and no output files. */
#include <sys/stat.h>
#include <sys/wait.h>

#include "ts_test.h"

#define BIN TS_BINARY_DIR "/tinsel"

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static double csv_last(const char *path, int col)
{
    char **names = NULL;
    int ncols = 0;
    double *data = NULL;
    size_t nrows = 0;
    double v = NAN;
    if (ts_csv_read(path, &names, &ncols, &data, &nrows) == 0 && nrows > 0 && col < ncols)
        v = data[(nrows - 1) * ncols + col];
    ts_strv_free(names, ncols);
    free(data);
    return v;
}

static void test_simulate_recon(void)
{
    char *dir = ts_test_tmpdir("ptycho_cli");
    char cmd[4096], path[1024];
    snprintf(cmd, sizeof cmd, BIN " xct ptycho simulate --quiet --n 64 --np 16 --step 3 --nz 32 --layers 2 "
             "--modes 2 --slices 2 --probe gaussian --out %s/sim > /dev/null", dir);
    TS_CHECK(sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/sim/data.h5", dir);
    TS_CHECK(ts_file_exists(path));
    snprintf(cmd, sizeof cmd, BIN " xct ptycho recon %s/sim/data.h5 --quiet --algo grad --iters 20 "
             "--probe-start 100 --out %s/rec > /dev/null", dir, dir);
    TS_CHECK(sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/rec/recon.csv", dir);
    double de = csv_last(path, 1), oe = csv_last(path, 2);
    printf("grad, 2 slices, 2 modes, 20 iterations: data error %.3e, object error %.3e\n", de, oe);
    TS_CHECK(de < 5e-3);
    TS_CHECK(oe < 0.3);
    snprintf(path, sizeof path, "%s/rec/object_phase.tif", dir);
    ts_image *im = NULL;
    TS_CHECK_OK(ts_tiff_read(path, &im));
    TS_CHECK(im && im->pages == 2 && im->width == 64);
    ts_image_destroy(im);
    /* checkpoint/resume: 10 iterations, then --resume to 20, equals 20 in one go (bit for bit) */
    snprintf(cmd, sizeof cmd, BIN " xct ptycho recon %s/sim/data.h5 --quiet --algo grad --iters 10 --checkpoint 5 "
             "--probe-start 3 --out %s/res > /dev/null && " BIN " xct ptycho recon %s/sim/data.h5 --quiet "
             "--algo grad --iters 20 --checkpoint 5 --probe-start 3 --resume --out %s/res > /dev/null && "
             BIN " xct ptycho recon %s/sim/data.h5 --quiet --algo grad --iters 20 --checkpoint 5 --probe-start 3 "
             "--out %s/one > /dev/null && cmp -s %s/res/recon.csv %s/one/recon.csv && "
             "cmp -s %s/res/object_phase.tif %s/one/object_phase.tif", dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
    TS_CHECK(sh(cmd) == 0);
    /* ePIE is single-slice: a clear error, no output folder */
    snprintf(cmd, sizeof cmd, BIN " xct ptycho recon %s/sim/data.h5 --quiet --algo epie --out %s/bad1 "
             "2> /dev/null", dir, dir);
    TS_CHECK(sh(cmd) == 1);
    snprintf(path, sizeof path, "%s/bad1", dir);
    TS_CHECK(!ts_file_exists(path));
    /* probe larger than the object; no overlap */
    snprintf(cmd, sizeof cmd, BIN " xct ptycho simulate --quiet --n 32 --np 64 --out %s/bad2 2> /dev/null", dir);
    TS_CHECK(sh(cmd) != 0);
    snprintf(cmd, sizeof cmd, BIN " xct ptycho simulate --quiet --n 64 --np 16 --step 16 --out %s/bad3 "
             "2> /dev/null", dir);
    TS_CHECK(sh(cmd) != 0);
    snprintf(path, sizeof path, "%s/bad2", dir);
    TS_CHECK(!ts_file_exists(path));
    snprintf(path, sizeof path, "%s/bad3", dir);
    TS_CHECK(!ts_file_exists(path));
    /* mismatched detector size: patterns 16 x 16 but geometry says 32 */
    snprintf(path, sizeof path, "%s/mismatch.h5", dir);
    ts_h5_writer *w = NULL;
    double geo[8] = {64, 32, 1, 1, 14, 0, 0.14, 1}, inten[2 * 16 * 16] = {0};
    int pos[4] = {0, 0, 8, 8};
    size_t dg = 8, di[3] = {2, 16, 16}, dp[2] = {2, 2};
    TS_CHECK_OK(ts_h5_writer_open(path, &w));
    TS_CHECK_OK(ts_h5_writer_add(w, "/ptycho/geometry", TS_H5_F64, 1, &dg, geo));
    TS_CHECK_OK(ts_h5_writer_add(w, "/ptycho/intensity", TS_H5_F64, 3, di, inten));
    TS_CHECK_OK(ts_h5_writer_add(w, "/ptycho/positions", TS_H5_I32, 2, dp, pos));
    TS_CHECK_OK(ts_h5_writer_commit(w));
    snprintf(cmd, sizeof cmd, BIN " xct ptycho recon %s --quiet --out %s/bad4 2> %s/err.txt", path, dir, dir);
    TS_CHECK(sh(cmd) == 1);
    snprintf(cmd, sizeof cmd, "grep -q 'geometry says a 32 x 32 detector' %s/err.txt", dir);
    TS_CHECK(sh(cmd) == 0);
    free(dir);
}

static void test_ptychotomo(void)
{
    char *dir = ts_test_tmpdir("ptychotomo_cli");
    char cmd[4096], path[1024];
    snprintf(cmd, sizeof cmd, BIN " xct ptychotomo --quiet --nx 40 --ny 4 --np 16 --step 4 --angles 15 "
             "--iters 20 --slices 2 --out %s/pt > /dev/null", dir);
    TS_CHECK(sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/pt/metrics.csv", dir);
    char **names = NULL;
    int ncols = 0;
    double *data = NULL;
    size_t nrows = 0;
    TS_CHECK_OK(ts_csv_read(path, &names, &ncols, &data, &nrows));
    TS_CHECK(nrows == 3 && ncols == 8);
    if (data && nrows == 3 && ncols == 8) {
        /* rows: ptychotomo, approximant, ideal; column 1: PCC over the volume */
        printf("ptychotomo PCC %.4f, approximant %.4f, ideal %.4f\n", data[1], data[8 + 1], data[16 + 1]);
        TS_CHECK(data[1] > 0.7);                  /* the pipeline recovers the sample */
        TS_CHECK(data[1] <= data[16 + 1] + 0.02); /* and does not beat the true projections */
        TS_CHECK(data[8 + 1] > 0.2);
    }
    ts_strv_free(names, ncols);
    free(data);
    snprintf(cmd, sizeof cmd, BIN " xct ptychotomo --quiet --nx 40 --ny 50 --out %s/bad 2> /dev/null", dir);
    TS_CHECK(sh(cmd) != 0);
    snprintf(path, sizeof path, "%s/bad", dir);
    TS_CHECK(!ts_file_exists(path));
    free(dir);
}

int main(void)
{
    TS_RUN(test_simulate_recon);
    TS_RUN(test_ptychotomo);
    return ts_test_summary();
}
