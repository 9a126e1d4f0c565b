/* clkfac/plot.h — result plots drawn with cairo and written as PNG (libpng) with provenance in
 * tEXt chunks: line plots with shaded bands (learning curves; linear or log x axis) and grouped,
 * stacked bar charts (time per update by phase). Colour-blind-safe palette (Okabe & Ito). */
#ifndef CLKFAC_PLOT_H
#define CLKFAC_PLOT_H

#include <stddef.h>

#include "clkfac/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_plot clkfac_plot;

typedef enum clkfac_plot_kind {
    CLKFAC_PLOT_LINES = 0, /* series of (x, y) with optional [lo, hi] bands */
    CLKFAC_PLOT_BARS = 1   /* categories x groups of bars, each stacked from segments */
} clkfac_plot_kind;

#define CLKFAC_PLOT_WIDTH 960 /* default size in pixels: readable at 100% zoom */
#define CLKFAC_PLOT_HEIGHT 600

/* Title and axis labels (with units, e.g. "timesteps", "return (rolling mean of 100)") are
 * copied; xlabel/ylabel may be NULL. */
clkfac_status clkfac_plot_create(clkfac_plot **out, clkfac_plot_kind kind, const char *title,
                                 const char *xlabel, const char *ylabel);
void clkfac_plot_free(clkfac_plot *p);

/* A second, smaller line under the title (what the line and band show, the number of seeds). */
clkfac_status clkfac_plot_set_subtitle(clkfac_plot *p, const char *subtitle);
/* Size in pixels, 200..8000 each way. */
clkfac_status clkfac_plot_set_size(clkfac_plot *p, int width, int height);
/* Logarithmic x axis (lines only); every x must then be > 0. */
clkfac_status clkfac_plot_set_log_x(clkfac_plot *p, int on);

/* Lines: adds a series of n points. lo/hi (both or neither) bound a shaded band. A NaN y breaks
 * the line (and a NaN lo/hi the band), so curves may start late. Arrays are copied. Series of
 * up to 12 points also get markers, so sparse measurements read as measurements. */
clkfac_status clkfac_plot_add_series(clkfac_plot *p, const char *name, const double *x,
                                     const double *y, const double *lo, const double *hi,
                                     size_t n);

/* Lines: a horizontal reference line (e.g. the environment's "solved" threshold), grey and
 * dashed, labelled at its right end; at most 8 per plot. */
clkfac_status clkfac_plot_add_hline(clkfac_plot *p, double y, const char *label);

/* Bars: ncat categories along x (e.g. algorithms), each holding ngroups bars side by side (e.g.
 * batch sizes; ngroups = 1 for a plain stacked chart). Call once, before adding segments.
 * group_names may be NULL when ngroups == 1; with several groups each bar is labelled. */
clkfac_status clkfac_plot_set_bars(clkfac_plot *p, size_t ncat, const char *const *cat_names,
                                   size_t ngroups, const char *const *group_names);
/* Adds one stacked segment (e.g. a phase) to every bar: values[c * ngroups + g] for category c,
 * group g; values must be >= 0, NaN draws nothing. Segments stack bottom-up in call order. */
clkfac_status clkfac_plot_add_segment(clkfac_plot *p, const char *name, const double *values);

/* Renders and writes the PNG atomically (temporary file + rename). tEXt chunks: Title,
 * Software ("clkfac <version> (git <commit>)"), Source (provenance, may be NULL) and, when set,
 * Description (the subtitle). No timestamps, so the same plot gives the same bytes. */
clkfac_status clkfac_plot_write_png(clkfac_plot *p, const char *path, const char *provenance);

/* Writes a tightly packed 8-bit RGB image (row-major, 3 bytes per pixel) as PNG atomically,
 * with the given tEXt key/value pairs (keys 1..79 Latin-1 characters). Used by the plots and
 * for any other image a result carries. */
clkfac_status clkfac_png_write_rgb(const char *path, const unsigned char *rgb, int width,
                                   int height, size_t ntext, const char *const *keys,
                                   const char *const *values);

#ifdef __cplusplus
}
#endif
#endif
