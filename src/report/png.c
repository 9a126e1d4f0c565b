/* PNG writing for result images: 8-bit RGB through libpng into memory, tEXt chunks for the
 * provenance, then one atomic file write, so a reader never sees half an image. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/plot.h"
#include "clkfac/report.h"
#include "core/core.h"
#include "core/text.h"

/* The encoded bytes go into a core_text (it holds any bytes; n counts them). */
static void mem_write(png_structp png, png_bytep data, png_size_t len)
{
    core_text *b = png_get_io_ptr(png);
    if (core_text_put(b, (const char *)data, len)) png_error(png, "out of host memory");
}

static void mem_flush(png_structp png) { (void)png; }

/* libpng reports through longjmp; the message becomes the thread's last error first. */
static void on_png_error(png_structp png, png_const_charp msg)
{
    CORE_FAIL(CLKFAC_ERR_IO, "libpng: %s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* tEXt holds Latin-1 without control characters except newline; anything else (UTF-8 bytes
 * of a device name, tabs) becomes '?' rather than making the file invalid. */
static char *latin1_copy(const char *s)
{
    char *c = core_strdup(s ? s : "");
    if (!c) return NULL;
    for (unsigned char *p = (unsigned char *)c; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p >= 0x7f) *p = '?';
    return c;
}

/* Everything libpng may jump out of lives here; every pointer is set before setjmp and never
 * changed after, as setjmp requires. */
static clkfac_status encode(core_text *buf, const unsigned char *rgb, int width, int height,
                            png_textp text, int ntext, png_bytep *rows)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error,
                                              on_png_warning);
    if (!png) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "libpng: cannot create a writer");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "libpng: cannot create an info struct");
    }
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)(rgb + (size_t)y * (size_t)width * 3);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return CLKFAC_ERR_IO; /* on_png_error recorded the detail */
    }
    png_set_write_fn(png, buf, mem_write, mem_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (ntext) png_set_text(png, info, text, ntext);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    return CLKFAC_OK;
}

clkfac_status clkfac_png_write_rgb(const char *path, const unsigned char *rgb, int width,
                                   int height, size_t ntext, const char *const *keys,
                                   const char *const *values)
{
    if (!path || !rgb || width <= 0 || height <= 0 || width > 100000 || height > 100000)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "PNG %dx%d: expected a positive size", width,
                         height);
    for (size_t i = 0; i < ntext; i++) {
        size_t kl = keys[i] ? strlen(keys[i]) : 0;
        if (kl < 1 || kl > 79)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "PNG text key '%s': expected 1 to 79 characters",
                             keys[i] ? keys[i] : "(null)");
    }
    clkfac_status st = CLKFAC_OK;
    core_text buf = {0};
    png_textp text = core_calloc(ntext ? ntext : 1, sizeof *text);
    png_bytep *rows = core_calloc((size_t)height, sizeof *rows);
    if (!text || !rows) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory writing '%s'", path);
        goto cleanup;
    }
    for (size_t i = 0; i < ntext; i++) {
        text[i].compression = PNG_TEXT_COMPRESSION_NONE;
        text[i].key = latin1_copy(keys[i]);
        text[i].text = latin1_copy(values[i]);
        if (!text[i].key || !text[i].text) {
            st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory writing '%s'", path);
            goto cleanup;
        }
    }
    CORE_TRY(encode(&buf, rgb, width, height, text, (int)ntext, rows));
    CORE_TRY(clkfac_file_write_atomic(path, buf.s, buf.n));
cleanup:
    for (size_t i = 0; text && i < ntext; i++) {
        free(text[i].key);
        free(text[i].text);
    }
    free(text);
    free(rows);
    core_text_free(&buf);
    return st;
}
