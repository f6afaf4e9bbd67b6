/* PNG and TIFF: goldens written by Pillow/tifffile (tests/oracles/core),
 * round trips, and bad input (missing, truncated, wrong format) giving the
 * right error and no partial output. */
#include <math.h>
#include <unistd.h>

#include "ts_test.h"

#define W 37
#define H 23
#define P 3
#define DATA TS_SOURCE_DIR "/tests/core/data/"

static double golden_u8(int y, int x) { return (x * 7 + y * 13) % 256; }
static double golden_u16(int y, int x) { return (x * 1031 + y * 2053 + 17) % 65536; }
static double golden_f32(int p, int y, int x)
{
    return (float)(sin(0.1 * x + p) * cos(0.2 * y) * (p + 1) + 1e-3 * x * y);
}

static int count_mismatch(const ts_image *im, int page, double (*f)(int, int))
{
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (ts_image_get(im, page, y, x) != f(y, x)) bad++;
    return bad;
}

static void test_png_goldens(void)
{
    ts_image *im = NULL;
    TS_CHECK_OK(ts_png_read(DATA "grey8.png", &im));
    if (im) {
        TS_CHECK(im->width == W && im->height == H && im->pages == 1 && im->dtype == TS_U8);
        TS_CHECK(count_mismatch(im, 0, golden_u8) == 0);
    }
    ts_image_destroy(im);
    im = NULL;
    TS_CHECK_OK(ts_png_read(DATA "grey16.png", &im));
    if (im) {
        TS_CHECK(im->dtype == TS_U16);
        TS_CHECK(count_mismatch(im, 0, golden_u16) == 0);
    }
    ts_image_destroy(im);
}

static void test_tiff_goldens(void)
{
    ts_image *im = NULL;
    TS_CHECK_OK(ts_tiff_read(DATA "grey8.tif", &im));
    if (im) TS_CHECK(im->dtype == TS_U8 && count_mismatch(im, 0, golden_u8) == 0);
    ts_image_destroy(im);
    im = NULL;
    TS_CHECK_OK(ts_tiff_read(DATA "grey16.tif", &im));
    if (im) TS_CHECK(im->dtype == TS_U16 && count_mismatch(im, 0, golden_u16) == 0);
    ts_image_destroy(im);
    im = NULL;
    TS_CHECK_OK(ts_tiff_read(DATA "stack_f32.tif", &im));
    if (im) {
        TS_CHECK(im->dtype == TS_F32 && im->pages == P && im->width == W && im->height == H);
        double maxerr = 0;
        for (int p = 0; p < P && im->pages == P; p++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) maxerr = fmax(maxerr, fabs(ts_image_get(im, p, y, x) - golden_f32(p, y, x)));
        /* float32 written from float64 by numpy; we round the same double. */
        TS_CHECK_MSG(maxerr <= 1e-6, "max error %g", maxerr);
    }
    ts_image_destroy(im);
    im = NULL;
    TS_CHECK_OK(ts_tiff_read(DATA "tiled_f32.tif", &im));
    if (im) {
        TS_CHECK(im->width == W + 11 && im->height == H + 9);
        double maxerr = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) maxerr = fmax(maxerr, fabs(ts_image_get(im, 0, y, x) - golden_f32(0, y, x)));
        TS_CHECK(maxerr <= 1e-6);
        TS_CHECK(ts_image_get(im, 0, H + 8, W + 10) == 0.0);
    }
    ts_image_destroy(im);
}

static void test_round_trips(void)
{
    char *d = ts_test_tmpdir("images");
    ts_dtype types[3] = {TS_U8, TS_U16, TS_F32};
    for (int t = 0; t < 3; t++) {
        ts_image *im = ts_image_create(W, H, t == 2 ? P : 1, types[t]);
        TS_CHECK(im != NULL);
        if (!im) continue;
        size_t n = (size_t)W * H * (size_t)im->pages;
        for (size_t i = 0; i < n; i++) {
            if (types[t] == TS_U8) ((uint8_t *)im->data)[i] = (uint8_t)(i * 31);
            if (types[t] == TS_U16) ((uint16_t *)im->data)[i] = (uint16_t)(i * 7919);
            if (types[t] == TS_F32) ((float *)im->data)[i] = (float)(sin((double)i) * 1e5);
        }
        char *tif = ts_path_join(d, "rt.tif");
        ts_image *back = NULL;
        TS_CHECK_OK(ts_tiff_write(tif, im));
        TS_CHECK_OK(ts_tiff_read(tif, &back));
        if (back) {
            TS_CHECK(back->pages == im->pages && back->dtype == im->dtype);
            TS_CHECK(memcmp(back->data, im->data, n * ts_dtype_size(im->dtype)) == 0);
        }
        ts_image_destroy(back);
        back = NULL;
        if (types[t] != TS_F32) {
            char *png = ts_path_join(d, "rt.png");
            TS_CHECK_OK(ts_png_write(png, im));
            TS_CHECK_OK(ts_png_read(png, &back));
            if (back) TS_CHECK(back->dtype == im->dtype && memcmp(back->data, im->data, n * ts_dtype_size(im->dtype)) == 0);
            ts_image_destroy(back);
            free(png);
        } else {
            char *png = ts_path_join(d, "rt.png");
            TS_CHECK_ERR(ts_png_write(png, im), TS_ERR_UNSUPPORTED);
            free(png);
        }
        free(tif);
        ts_image_destroy(im);
    }
    free(d);
}

/* Copies the first `keep` bytes of src into dst. */
static void truncate_copy(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    for (long i = 0; in && out && i < keep; i++) {
        int c = fgetc(in);
        if (c == EOF) break;
        fputc(c, out);
    }
    if (in) fclose(in);
    if (out) fclose(out);
}

static void test_bad_input(void)
{
    char *d = ts_test_tmpdir("images_bad");
    ts_image *im = NULL;
    TS_CHECK_ERR(ts_png_read("no/such/file.png", &im), TS_ERR_NOTFOUND);
    TS_CHECK(im == NULL);
    TS_CHECK_ERR(ts_tiff_read("no/such/file.tif", &im), TS_ERR_NOTFOUND);
    char *p = ts_path_join(d, "trunc.png");
    truncate_copy(DATA "grey8.png", p, 80);
    TS_CHECK_ERR(ts_png_read(p, &im), TS_ERR_FORMAT);
    TS_CHECK(strstr(ts_error_message(), "trunc.png") != NULL);
    TS_CHECK(im == NULL);
    /* A TIFF is not a PNG. */
    TS_CHECK_ERR(ts_png_read(DATA "grey8.tif", &im), TS_ERR_FORMAT);
    char *t = ts_path_join(d, "trunc.tif");
    truncate_copy(DATA "stack_f32.tif", t, 3000);
    int rc = ts_tiff_read(t, &im);
    TS_CHECK_MSG(rc == TS_ERR_FORMAT, "rc %d: %s", rc, ts_error_message());
    TS_CHECK(im == NULL);
    truncate_copy(DATA "grey8.tif", t, 6);
    TS_CHECK_ERR(ts_tiff_read(t, &im), TS_ERR_FORMAT);
    /* Unwritable output: a folder below a regular file. No partial file. */
    ts_image *ok = ts_image_create(4, 4, 1, TS_U8);
    char *bad = ts_path_join(p, "x.png");
    TS_CHECK_ERR(ts_png_write(bad, ok), TS_ERR_IO);
    TS_CHECK(!ts_file_exists(bad));
    free(bad);
    bad = ts_path_join(p, "x.tif");
    TS_CHECK_ERR(ts_tiff_write(bad, ok), TS_ERR_IO);
    free(bad);
    ts_image_destroy(ok);
    free(p);
    free(t);
    free(d);
}

static void test_from_f32(void)
{
    float v[4] = {0.0f, 0.5f, 1.0f, 2.0f};
    ts_image *im = ts_image_from_f32(v, 4, 1, TS_U8, 0, 1);
    TS_CHECK(im && ((uint8_t *)im->data)[0] == 0 && ((uint8_t *)im->data)[1] == 128 &&
             ((uint8_t *)im->data)[2] == 255 && ((uint8_t *)im->data)[3] == 255);
    ts_image_destroy(im);
    im = ts_image_from_f32(v, 4, 1, TS_U16, 0, 0); /* data range */
    TS_CHECK(im && ((uint16_t *)im->data)[0] == 0 && ((uint16_t *)im->data)[3] == 65535);
    ts_image_destroy(im);
}

int main(void)
{
    TS_RUN(test_png_goldens);
    TS_RUN(test_tiff_goldens);
    TS_RUN(test_round_trips);
    TS_RUN(test_bad_input);
    TS_RUN(test_from_f32);
    return ts_test_summary();
}
