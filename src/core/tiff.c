/* TIFF read/write through libtiff: 8/16-bit grey, 32-bit float, multi-page. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "tinsel/core.h"

static _Thread_local char tiff_msg[512];

static void on_tiff_error(const char *module, const char *fmt, va_list ap)
{
    (void)module;
    vsnprintf(tiff_msg, sizeof tiff_msg, fmt, ap);
}

static void on_tiff_warning(const char *module, const char *fmt, va_list ap)
{
    (void)module;
    (void)fmt;
    (void)ap;
}

static void quiet_libtiff(void)
{
    TIFFSetErrorHandler(on_tiff_error);
    TIFFSetWarningHandler(on_tiff_warning);
    tiff_msg[0] = '\0';
}

int ts_tiff_write(const char *path, const ts_image *im)
{
    if (!im || !im->data) return ts_error_set(TS_ERR_INVAL, "%s: no image", path);
    quiet_libtiff();
    char *tmp = ts_tmp_path(path);
    TS_CHECK_ALLOC(tmp);
    size_t bytes = (size_t)im->width * (size_t)im->height * (size_t)im->pages * ts_dtype_size(im->dtype);
    TIFF *t = TIFFOpen(tmp, bytes > 0xF0000000u ? "w8" : "w"); /* BigTIFF past 4 GB */
    if (!t) {
        int rc = ts_error_set(TS_ERR_IO, "%s: cannot create: %s", path, tiff_msg[0] ? tiff_msg : strerror(errno));
        free(tmp);
        return rc;
    }
    int bps = (int)ts_dtype_size(im->dtype) * 8;
    size_t rowbytes = (size_t)im->width * ts_dtype_size(im->dtype);
    int ok = 1;
    for (int p = 0; p < im->pages && ok; p++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)im->width);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)im->height);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
        TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, im->dtype == TS_F32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(t, 0));
        if (im->pages > 1) {
            TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
            TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t)p, (uint16_t)im->pages);
        }
        const uint8_t *base = (const uint8_t *)im->data + (size_t)p * (size_t)im->height * rowbytes;
        for (int y = 0; y < im->height && ok; y++)
            ok = TIFFWriteScanline(t, (void *)(base + (size_t)y * rowbytes), (uint32_t)y, 0) == 1;
        if (ok) ok = TIFFWriteDirectory(t) == 1;
    }
    TIFFClose(t);
    int rc;
    if (!ok) {
        remove(tmp);
        rc = ts_error_set(TS_ERR_IO, "%s: TIFF write failed: %s", path, tiff_msg);
    } else {
        rc = ts_tmp_commit(tmp, path);
    }
    free(tmp);
    return rc;
}

/* Reads the current directory's pixels into dst (width*height samples). */
static int read_page(TIFF *t, const char *path, int w, int h, size_t ss, uint8_t *dst)
{
    size_t rowbytes = (size_t)w * ss;
    if (TIFFIsTiled(t)) {
        uint32_t tw, th;
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
        tmsize_t tsz = TIFFTileSize(t);
        uint8_t *buf = malloc((size_t)tsz);
        TS_CHECK_ALLOC(buf);
        for (uint32_t y0 = 0; y0 < (uint32_t)h; y0 += th)
            for (uint32_t x0 = 0; x0 < (uint32_t)w; x0 += tw) {
                if (TIFFReadTile(t, buf, x0, y0, 0, 0) < 0) {
                    free(buf);
                    return ts_error_set(TS_ERR_FORMAT, "%s: corrupt or truncated TIFF tile: %s", path, tiff_msg);
                }
                for (uint32_t y = y0; y < y0 + th && y < (uint32_t)h; y++) {
                    uint32_t nx = x0 + tw <= (uint32_t)w ? tw : (uint32_t)w - x0;
                    memcpy(dst + y * rowbytes + x0 * ss, buf + (size_t)(y - y0) * tw * ss, nx * ss);
                }
            }
        free(buf);
        return 0;
    }
    for (int y = 0; y < h; y++)
        if (TIFFReadScanline(t, dst + (size_t)y * rowbytes, (uint32_t)y, 0) != 1)
            return ts_error_set(TS_ERR_FORMAT, "%s: corrupt or truncated TIFF at row %d: %s", path, y, tiff_msg);
    return 0;
}

int ts_tiff_read(const char *path, ts_image **out)
{
    *out = NULL;
    quiet_libtiff();
    FILE *probe = fopen(path, "rb");
    if (!probe) return ts_error_set(TS_ERR_NOTFOUND, "%s: cannot open: %s", path, strerror(errno));
    fclose(probe);
    TIFF *t = TIFFOpen(path, "r");
    if (!t) return ts_error_set(TS_ERR_FORMAT, "%s: not a readable TIFF: %s", path, tiff_msg);
    int pages = 0;
    do pages++;
    while (TIFFReadDirectory(t));
    TIFFSetDirectory(t, 0);
    ts_image *im = NULL;
    int rc = 0;
    for (int p = 0; p < pages && !rc; p++) {
        if (p > 0 && !TIFFSetDirectory(t, (tdir_t)p)) {
            rc = ts_error_set(TS_ERR_FORMAT, "%s: cannot read page %d: %s", path, p + 1, tiff_msg);
            break;
        }
        uint32_t w = 0, h = 0;
        uint16_t bps = 1, spp = 1, fmt = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
        TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
        TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
        TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
        TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
        TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &fmt);
        TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
        ts_dtype dt = TS_U8;
        if (spp != 1)
            rc = ts_error_set(TS_ERR_UNSUPPORTED, "%s: page %d has %u samples per pixel; expected grey (1)", path, p + 1, spp);
        else if (bps == 8 && (fmt == SAMPLEFORMAT_UINT || fmt == SAMPLEFORMAT_VOID))
            dt = TS_U8;
        else if (bps == 16 && (fmt == SAMPLEFORMAT_UINT || fmt == SAMPLEFORMAT_VOID))
            dt = TS_U16;
        else if (bps == 32 && fmt == SAMPLEFORMAT_IEEEFP)
            dt = TS_F32;
        else
            rc = ts_error_set(TS_ERR_UNSUPPORTED,
                              "%s: page %d is %u-bit format %u; expected 8/16-bit unsigned or 32-bit float", path,
                              p + 1, bps, fmt);
        if (rc) break;
        if (w == 0 || h == 0 || w > (1u << 20) || h > (1u << 20)) {
            rc = ts_error_set(TS_ERR_FORMAT, "%s: page %d has bad size %ux%u", path, p + 1, w, h);
            break;
        }
        if (!im) {
            im = ts_image_create((int)w, (int)h, pages, dt);
            if (!im) {
                rc = ts_error_set(TS_ERR_NOMEM, "%s: out of memory for %ux%ux%d image", path, w, h, pages);
                break;
            }
        } else if ((int)w != im->width || (int)h != im->height || dt != im->dtype) {
            rc = ts_error_set(TS_ERR_FORMAT, "%s: page %d differs in size or type from page 1", path, p + 1);
            break;
        }
        size_t ss = ts_dtype_size(dt);
        rc = read_page(t, path, (int)w, (int)h, ss, (uint8_t *)im->data + (size_t)p * w * h * ss);
    }
    TIFFClose(t);
    if (rc) {
        ts_image_destroy(im);
        return rc;
    }
    *out = im;
    return 0;
}
