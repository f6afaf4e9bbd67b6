/* PNG read/write through libpng: 8/16-bit grey, 8-bit RGB. */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

typedef struct {
    char msg[512];
} png_err_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_err_ctx *ctx = png_get_error_ptr(png);
    if (ctx) snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Writes rows (each `rowbytes` long) with the given colour type and depth. */
static int write_png(const char *path, int width, int height, int color_type, int depth,
                     const uint8_t *data, size_t rowbytes)
{
    if (width <= 0 || height <= 0) return ts_error_set(TS_ERR_INVAL, "%s: empty image", path);
    char *tmp = ts_tmp_path(path);
    TS_CHECK_ALLOC(tmp);
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int e = errno;
        free(tmp);
        return ts_error_set(TS_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    png_err_ctx ctx = {""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile row16 = NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        remove(tmp);
        free(tmp);
        free(row16);
        return ts_error_set(TS_ERR_IO, "%s: PNG write failed: %s", path, ctx.msg[0] ? ctx.msg : "out of memory");
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (depth == 16) {
        /* PNG stores 16-bit samples big-endian. */
        row16 = malloc(rowbytes);
        if (!row16) png_error(png, "out of memory");
        for (int y = 0; y < height; y++) {
            const uint16_t *src = (const uint16_t *)(data + (size_t)y * rowbytes);
            for (size_t x = 0; x < rowbytes / 2; x++) {
                row16[2 * x] = (uint8_t)(src[x] >> 8);
                row16[2 * x + 1] = (uint8_t)(src[x] & 0xff);
            }
            png_write_row(png, row16);
        }
    } else {
        for (int y = 0; y < height; y++) png_write_row(png, data + (size_t)y * rowbytes);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row16);
    int bad = ferror(fp);
    if (fclose(fp) != 0) bad = 1;
    if (bad) {
        remove(tmp);
        free(tmp);
        return ts_error_set(TS_ERR_IO, "%s: write failed", path);
    }
    int rc = ts_tmp_commit(tmp, path);
    free(tmp);
    return rc;
}

int ts_png_write(const char *path, const ts_image *im)
{
    if (!im || (im->dtype != TS_U8 && im->dtype != TS_U16))
        return ts_error_set(TS_ERR_UNSUPPORTED, "%s: PNG holds 8- or 16-bit grey images only", path);
    int depth = im->dtype == TS_U8 ? 8 : 16;
    return write_png(path, im->width, im->height, PNG_COLOR_TYPE_GRAY, depth, im->data,
                     (size_t)im->width * (size_t)(depth / 8));
}

int ts_png_write_rgb(const char *path, int width, int height, const uint8_t *rgb)
{
    return write_png(path, width, height, PNG_COLOR_TYPE_RGB, 8, rgb, (size_t)width * 3);
}

int ts_png_read(const char *path, ts_image **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ts_error_set(TS_ERR_NOTFOUND, "%s: cannot open: %s", path, strerror(errno));
    uint8_t sig[8];
    if (fread(sig, 1, 8, fp) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(fp);
        return ts_error_set(TS_ERR_FORMAT, "%s: not a PNG file (bad signature)", path);
    }
    png_err_ctx ctx = {""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    ts_image *volatile im = NULL;
    uint8_t **volatile rows = NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        ts_image_destroy(im);
        free(rows);
        return ts_error_set(TS_ERR_FORMAT, "%s: corrupt or truncated PNG: %s", path,
                            ctx.msg[0] ? ctx.msg : "out of memory");
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 1u << 16, 1u << 16);
    png_read_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), ctype = png_get_color_type(png, info);
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (ctype & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (ctype & PNG_COLOR_MASK_COLOR || ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_rgb_to_gray_fixed(png, 1, -1, -1); /* ITU-R BT.709 weights */
    if (depth == 16) png_set_swap(png);            /* to host little-endian */
    png_read_update_info(png, info);
    int outdepth = depth == 16 ? 16 : 8;
    im = ts_image_create(w, h, 1, outdepth == 16 ? TS_U16 : TS_U8);
    rows = malloc((size_t)h * sizeof *rows);
    if (!im || !rows) png_error(png, "out of memory");
    size_t rb = (size_t)w * (size_t)(outdepth / 8);
    if (png_get_rowbytes(png, info) != rb) png_error(png, "unexpected row size after conversion");
    for (int y = 0; y < h; y++) rows[y] = (uint8_t *)im->data + (size_t)y * rb;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    fclose(fp);
    *out = im;
    return 0;
}
