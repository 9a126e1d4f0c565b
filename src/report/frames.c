/* Grid observations drawn as RGB images: a palette color per channel, stripes where channels
 * overlap, grid lines, contact sheets, and PNG output through the shared atomic libpng writer
 * (clkfac_png_write_rgb) with the channel legend in a tEXt chunk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/frames.h"
#include "clkfac/plot.h"
#include "core/core.h"

/* Twelve colors that stay apart from each other and from the near-black background. */
static const unsigned char palette[12][3] = {
    {0xe6, 0x19, 0x4b}, {0x3c, 0xb4, 0x4b}, {0xff, 0xe1, 0x19}, {0x43, 0x63, 0xd8},
    {0xf5, 0x82, 0x31}, {0x42, 0xd4, 0xf4}, {0xf0, 0x32, 0xe6}, {0xbf, 0xef, 0x45},
    {0xfa, 0xbe, 0xd4}, {0xa9, 0x6e, 0xff}, {0x46, 0x99, 0x90}, {0xff, 0xff, 0xff},
};
static const unsigned char background[3] = {0x14, 0x14, 0x18};
static const unsigned char grid_line[3] = {0x3c, 0x3c, 0x44};
static const unsigned char sheet_gap[3] = {0xb0, 0xb0, 0xb0};

#define FRAME_MAX_CHANNELS 64
#define FRAME_MAX_CELLS 1024
/* 256 Mpixel (768 MB of RGB) keeps a mistaken request from exhausting memory. */
#define FRAME_MAX_PIXELS ((size_t)1 << 28)

void clkfac_frame_color(int channel, unsigned char rgb[3])
{
    int c = channel < 0 ? 0 : channel % 12;
    memcpy(rgb, palette[c], 3);
}

static clkfac_status check_args(const float *obs, int channels, int rows, int cols,
                                const clkfac_frame_options *o)
{
    if (!obs) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame: observations must not be NULL");
    if (o->version != CLKFAC_FRAME_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_frame_options.version is %u, expected %u",
                         o->version, CLKFAC_FRAME_OPTIONS_VERSION);
    if (channels < 1 || channels > FRAME_MAX_CHANNELS || rows < 1 || rows > FRAME_MAX_CELLS ||
        cols < 1 || cols > FRAME_MAX_CELLS)
        return CORE_FAIL(CLKFAC_ERR_SHAPE,
                         "frame: observation (%d, %d, %d); expected channels 1..%d and rows, "
                         "cols 1..%d",
                         channels, rows, cols, FRAME_MAX_CHANNELS, FRAME_MAX_CELLS);
    if (o->scale < 1 || o->scale > 256)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame: scale %d; expected 1..256", o->scale);
    if (o->grid != 0 && o->grid != 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame: grid %d; expected 0 or 1", o->grid);
    if (o->columns < 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame: columns %d; expected >= 0", o->columns);
    return CLKFAC_OK;
}

/* Pixels one frame spans along an axis of n cells. */
static size_t frame_extent(int n, const clkfac_frame_options *o)
{
    return (size_t)n * (size_t)o->scale + (o->grid ? (size_t)n + 1 : 0);
}

static clkfac_status image_alloc(clkfac_frame_image **out, size_t w, size_t h, int channels)
{
    if (w == 0 || h == 0 || w > 100000 || h > 100000 || w * h > FRAME_MAX_PIXELS)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "frame image of %zux%zu pixels is too large; lower the scale or the "
                         "number of frames",
                         w, h);
    clkfac_frame_image *img = core_calloc(1, sizeof *img);
    if (img) img->rgb = core_calloc(w * h, 3);
    if (!img || !img->rgb) {
        free(img);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "frame image of %zux%zu pixels", w, h);
    }
    img->width = (int)w;
    img->height = (int)h;
    img->channels = channels;
    *out = img;
    return CLKFAC_OK;
}

static void fill(clkfac_frame_image *img, const unsigned char color[3])
{
    size_t n = (size_t)img->width * (size_t)img->height;
    for (size_t i = 0; i < n; i++) memcpy(img->rgb + 3 * i, color, 3);
}

static void put_pixel(clkfac_frame_image *img, size_t x, size_t y, const unsigned char c[3])
{
    memcpy(img->rgb + 3 * (y * (size_t)img->width + x), c, 3);
}

/* Draws obs (channels, rows, cols) with its top-left pixel at (x0, y0). */
static void draw_frame(clkfac_frame_image *img, size_t x0, size_t y0, const float *obs,
                       int channels, int rows, int cols, const clkfac_frame_options *o)
{
    const size_t g = o->grid ? 1 : 0, s = (size_t)o->scale, pitch = s + g;
    const size_t fw = frame_extent(cols, o), fh = frame_extent(rows, o);
    if (g) {
        for (size_t y = 0; y < fh; y++)
            for (size_t x = 0; x < fw; x++)
                if (x % pitch == 0 || y % pitch == 0) put_pixel(img, x0 + x, y0 + y, grid_line);
    }
    const size_t plane = (size_t)rows * (size_t)cols;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int on[FRAME_MAX_CHANNELS], k = 0;
            for (int ch = 0; ch < channels; ch++)
                if (obs[(size_t)ch * plane + (size_t)r * (size_t)cols + (size_t)c] >= 0.5f)
                    on[k++] = ch;
            const size_t cx = x0 + g + (size_t)c * pitch, cy = y0 + g + (size_t)r * pitch;
            for (size_t px = 0; px < s; px++) {
                unsigned char color[3];
                if (k == 0)
                    memcpy(color, background, 3);
                else
                    clkfac_frame_color(on[px * (size_t)k / s], color);
                for (size_t py = 0; py < s; py++) put_pixel(img, cx + px, cy + py, color);
            }
        }
}

clkfac_status clkfac_frame_render(clkfac_frame_image **out, const float *obs, int channels,
                                  int rows, int cols, const clkfac_frame_options *opts)
{
    clkfac_frame_options defaults = CLKFAC_FRAME_OPTIONS_INIT;
    const clkfac_frame_options *o = opts ? opts : &defaults;
    if (!out) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame: out must not be NULL");
    clkfac_status st = check_args(obs, channels, rows, cols, o);
    if (st != CLKFAC_OK) return st;
    clkfac_frame_image *img = NULL;
    st = image_alloc(&img, frame_extent(cols, o), frame_extent(rows, o), channels);
    if (st != CLKFAC_OK) return st;
    fill(img, background);
    draw_frame(img, 0, 0, obs, channels, rows, cols, o);
    *out = img;
    return CLKFAC_OK;
}

clkfac_status clkfac_frame_sheet(clkfac_frame_image **out, const float *frames, size_t n,
                                 int channels, int rows, int cols,
                                 const clkfac_frame_options *opts)
{
    clkfac_frame_options defaults = CLKFAC_FRAME_OPTIONS_INIT;
    const clkfac_frame_options *o = opts ? opts : &defaults;
    if (!out) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame sheet: out must not be NULL");
    clkfac_status st = check_args(frames, channels, rows, cols, o);
    if (st != CLKFAC_OK) return st;
    if (n == 0 || n > 1000000)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame sheet of %zu frames; expected 1..1000000",
                         n);
    size_t per_row = (size_t)o->columns;
    if (per_row == 0)
        while (per_row * per_row < n) per_row++;
    if (per_row > n) per_row = n;
    const size_t n_rows = (n + per_row - 1) / per_row;
    const size_t gap = (size_t)(o->scale < 8 ? 2 : o->scale / 4);
    const size_t fw = frame_extent(cols, o), fh = frame_extent(rows, o);
    clkfac_frame_image *img = NULL;
    st = image_alloc(&img, per_row * (fw + gap) + gap, n_rows * (fh + gap) + gap, channels);
    if (st != CLKFAC_OK) return st;
    fill(img, sheet_gap);
    const size_t frame_size = (size_t)channels * (size_t)rows * (size_t)cols;
    for (size_t i = 0; i < n; i++) {
        size_t x0 = gap + (i % per_row) * (fw + gap), y0 = gap + (i / per_row) * (fh + gap);
        for (size_t y = 0; y < fh; y++)
            for (size_t x = 0; x < fw; x++) put_pixel(img, x0 + x, y0 + y, background);
        draw_frame(img, x0, y0, frames + i * frame_size, channels, rows, cols, o);
    }
    *out = img;
    return CLKFAC_OK;
}

void clkfac_frame_image_free(clkfac_frame_image *img)
{
    if (!img) return;
    free(img->rgb);
    free(img);
}

clkfac_status clkfac_frame_write_png(const char *path, const clkfac_frame_image *img,
                                     const char *title, const char *source)
{
    if (!path || !img || !img->rgb)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "frame PNG: path and image must not be NULL");
    char software[160], legend[1024];
    snprintf(software, sizeof software, "clkfac %s (git %s)", clkfac_version(),
             clkfac_git_commit());
    size_t used = (size_t)snprintf(legend, sizeof legend,
                                   "Channel colors (a cell on in several channels is split "
                                   "into stripes in channel order):");
    for (int c = 0; c < img->channels && used < sizeof legend; c++) {
        unsigned char rgb[3];
        clkfac_frame_color(c, rgb);
        int w = snprintf(legend + used, sizeof legend - used, " %d #%02x%02x%02x", c, rgb[0],
                         rgb[1], rgb[2]);
        if (w < 0) break;
        used += (size_t)w;
    }
    const char *keys[4] = {"Title", "Software", "Description", "Source"};
    const char *values[4] = {title ? title : "clkfac frame", software, legend, source};
    return clkfac_png_write_rgb(path, img->rgb, img->width, img->height, source ? 4 : 3, keys,
                                values);
}
