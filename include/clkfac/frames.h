/* clkfac/frames.h — pictures of grid observations: one frame of a (C, H, W) binary observation
 * as an RGB image (a color per channel, cells scaled up, optional grid lines), a contact sheet
 * of many frames, and PNG files of either with provenance in tEXt chunks, written atomically. */
#ifndef CLKFAC_FRAMES_H
#define CLKFAC_FRAMES_H

#include "clkfac/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_frame_options {
    unsigned version; /* CLKFAC_FRAME_OPTIONS_VERSION */
    int scale;        /* pixels per cell side, 1..256 (default 24) */
    int grid;         /* 1: one-pixel lines around the cells (default), 0: none */
    int columns;      /* contact sheet: frames per row, 0 = about square (default) */
} clkfac_frame_options;

#define CLKFAC_FRAME_OPTIONS_VERSION 1
#define CLKFAC_FRAME_OPTIONS_INIT { CLKFAC_FRAME_OPTIONS_VERSION, 24, 1, 0 }

typedef struct clkfac_frame_image {
    int width, height;  /* pixels */
    int channels;       /* channels of the observations drawn (for the color legend) */
    unsigned char *rgb; /* (height, width, 3) 8-bit RGB, row-major */
} clkfac_frame_image;

/* The color of channel c (a fixed palette of 12 distinct colors, repeating after that). */
void clkfac_frame_color(int channel, unsigned char rgb[3]);

/* Draws one observation. A cell is "on" in a channel when its value is >= 0.5; a cell on in
 * several channels is split into vertical stripes, one per channel in channel order, so
 * nothing hides behind anything else. Cells on in no channel are background.
 *   obs: (channels, rows, cols), channels 1..64, rows and cols 1..1024
 * opts may be NULL (defaults). Free the image with clkfac_frame_image_free. */
clkfac_status clkfac_frame_render(clkfac_frame_image **out, const float *obs, int channels,
                                  int rows, int cols, const clkfac_frame_options *opts);

/* Draws n frames left to right, top to bottom, opts->columns per row, with a light gap
 * between frames. frames: (n, channels, rows, cols). */
clkfac_status clkfac_frame_sheet(clkfac_frame_image **out, const float *frames, size_t n,
                                 int channels, int rows, int cols,
                                 const clkfac_frame_options *opts);

void clkfac_frame_image_free(clkfac_frame_image *img);

/* Writes the image as PNG (libpng) atomically: temporary file, then rename. tEXt chunks:
 * Title (title), Software ("clkfac <version> (git <commit>)"), Source (where the frames come
 * from: environment id, seed, options; may be NULL) and Description (the channel colors). */
clkfac_status clkfac_frame_write_png(const char *path, const clkfac_frame_image *img,
                                     const char *title, const char *source);

#ifdef __cplusplus
}
#endif
#endif
