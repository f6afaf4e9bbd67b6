/* Plots: PNGs of the requested size, white background, a legend, log axes;
 * heat maps with colour bar; bad input without partial files. */
#include <math.h>

#include "ts_test.h"

static void test_line_plot(void)
{
    char *d = ts_test_tmpdir("plot");
    char *p = ts_path_join(d, "lines.png");
    ts_plot *pl = ts_plot_create("Stress at the cathode", "time (s)", "stress (MPa)");
    double x[50], y[50], z[50], e[50];
    for (int i = 0; i < 50; i++) x[i] = 1e3 * pow(10, i / 10.0), y[i] = sqrt(x[i]), z[i] = 2 * sqrt(x[i]), e[i] = 0.1 * z[i];
    TS_CHECK_OK(ts_plot_line(pl, 50, x, y, "numerical"));
    TS_CHECK_OK(ts_plot_points(pl, 50, x, z, "closed form"));
    TS_CHECK_OK(ts_plot_errorbars(pl, 10, x, z, e, NULL));
    ts_plot_set_log(pl, 1, 1);
    ts_plot_set_legend(pl, TS_LEGEND_OUTSIDE);
    TS_CHECK_OK(ts_plot_write_png(pl, p, 640, 480));
    ts_image *im = NULL;
    TS_CHECK_OK(ts_png_read(p, &im));
    if (im) {
        TS_CHECK(im->width == 640 && im->height == 480);
        /* Background white, and something non-white was drawn. */
        TS_CHECK(ts_image_get(im, 0, 2, 2) == 255);
        int dark = 0;
        for (int r = 0; r < 480; r++)
            for (int c = 0; c < 640; c++) dark += ts_image_get(im, 0, r, c) < 128;
        TS_CHECK_MSG(dark > 2000, "only %d dark pixels", dark);
    }
    ts_image_destroy(im);
    TS_CHECK_ERR(ts_plot_line(pl, 0, x, y, "empty"), TS_ERR_INVAL);
    char *bad = ts_path_join(p, "x.png"); /* below a file */
    TS_CHECK_ERR(ts_plot_write_png(pl, bad, 640, 480), TS_ERR_IO);
    TS_CHECK(!ts_file_exists(bad));
    ts_plot_destroy(pl);
    ts_plot_destroy(NULL);
    ts_plot *empty = ts_plot_create("t", "x", "y");
    TS_CHECK_ERR(ts_plot_write_png(empty, p, 640, 480), TS_ERR_INVAL);
    ts_plot_destroy(empty);
    free(bad);
    free(p);
    free(d);
}

static void test_heatmap(void)
{
    char *d = ts_test_tmpdir("heat");
    char *p = ts_path_join(d, "heat.png");
    enum { NX = 60, NY = 30 };
    double v[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) v[j * NX + i] = sin(0.2 * i) * cos(0.3 * j);
    double ext[4] = {0, 6e-6, 0, 3e-6};
    TS_CHECK_OK(ts_heatmap_write_png(p, v, NX, NY, ext, 0, 0, "phase", "x (m)", "y (m)", "value (1)"));
    ts_image *im = NULL;
    TS_CHECK_OK(ts_png_read(p, &im));
    TS_CHECK(im && im->width == 900);
    ts_image_destroy(im);
    char *q = ts_path_join(d, "raw.png");
    TS_CHECK_OK(ts_colormap_write_png(q, v, NX, NY, -1, 1));
    TS_CHECK_OK(ts_png_read(q, &im));
    TS_CHECK(im && im->width == NX && im->height == NY);
    ts_image_destroy(im);
    TS_CHECK_ERR(ts_heatmap_write_png(p, v, 0, NY, NULL, 0, 0, "", "", "", ""), TS_ERR_INVAL);
    free(q);
    free(p);
    free(d);
}

int main(void)
{
    TS_RUN(test_line_plot);
    TS_RUN(test_heatmap);
    return ts_test_summary();
}
