/* The tinsel xct commands end to end: phantom -> project -> recon with every
 * algorithm, the reconstruction compared with the phantom's attenuation;
 * bad input gives a non-zero exit and no output files. */
#include <sys/stat.h>

#include "ts_test.h"
#include "tinsel/xct.h"

#define BIN TS_BINARY_DIR "/tinsel"

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_pipeline(void)
{
    char *dir = ts_test_tmpdir("xct_cli");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/ph", dir);
    TS_CHECK(sh(BIN " xct phantom --quiet --nx 64 --ny 3 --nz 48 --layers 3 --out %s%s > /dev/null", cmd, "") == 0);
    char mu[512], proj[512], h5[512];
    snprintf(mu, sizeof mu, "%s/ph/mu.tif", dir);
    snprintf(proj, sizeof proj, "%s/pr", dir);
    TS_CHECK(ts_file_exists(mu));
    /* attenuation per voxel is ~1e-3: scale by 1000 so noise-free counts carry it */
    TS_CHECK(sh(BIN " xct project %s --quiet --angles 120 --noise 0 --scale 1000 --out %s > /dev/null", mu, proj) == 0);
    snprintf(h5, sizeof h5, "%s/pr/projections.h5", dir);
    TS_CHECK(ts_file_exists(h5));
    ts_image *ph = NULL;
    TS_CHECK_OK(ts_tiff_read(mu, &ph));
    if (!ph) return;
    static const char *algos[5] = {"fbp", "art", "sirt", "sart", "tv"};
    static const char *extra[5] = {"", "--iters 3", "--iters 200 --stall 0", "--iters 10",
                                   "--iters 100 --tv-weight 0.001"};
    for (int a = 0; a < 5; a++) {
        char out[512], args[2048];
        snprintf(out, sizeof out, "%s/rec_%s", dir, algos[a]);
        snprintf(args, sizeof args, "--algo %s %s --quiet --out %s", algos[a], extra[a], out);
        TS_CHECK(sh(BIN " xct recon %s %s > /dev/null", h5, args) == 0);
        char tif[700];
        snprintf(tif, sizeof tif, "%s/recon.tif", out);
        ts_image *rec = NULL;
        TS_CHECK_OK(ts_tiff_read(tif, &rec));
        if (!rec) continue;
        TS_CHECK(rec->pages == 3);
        /* compare slice 1 with the phantom (x1000), centred in the square */
        int n = rec->width, r0 = (n - ph->height) / 2, c0 = (n - ph->width) / 2;
        double num = 0, den = 0;
        for (int r = 0; r < ph->height; r++)
            for (int c = 0; c < ph->width; c++) {
                double t = 1000 * ts_image_get(ph, 1, r, c), v = ts_image_get(rec, 1, r0 + r, c0 + c);
                num += (v - t) * (v - t);
                den += t * t;
            }
        printf("%s: relative error vs phantom %.4f\n", algos[a], sqrt(num / den));
        /* 120 noise-free angles over 180 deg: every algorithm within 25 % */
        TS_CHECK(sqrt(num / den) < 0.25);
        ts_image_destroy(rec);
    }
    ts_image_destroy(ph);
    /* bad input: exit 1, no output folder content */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad", dir);
    TS_CHECK(sh(BIN " xct recon /nonexistent.h5 --quiet --out %s%s 2> /dev/null", bad, "") == 1);
    char tif[700];
    snprintf(tif, sizeof tif, "%s/recon.tif", bad);
    TS_CHECK(!ts_file_exists(tif));
    TS_CHECK(sh(BIN " xct recon %s --algo magic --out %s 2> /dev/null", h5, bad) == 2);
    TS_CHECK(sh(BIN " xct project %s --angles 0 --out %s 2> /dev/null", mu, bad) == 1);
    TS_CHECK(sh(BIN " xct recon %s --rows 99 --out %s 2> /dev/null", h5, bad) == 1);
    TS_CHECK(!ts_file_exists(tif));
    TS_CHECK(sh(BIN " xct recon --help > /dev/null%s%s", "", "") == 0);
    free(dir);
}

int main(void)
{
    TS_RUN(test_pipeline);
    return ts_test_summary();
}
