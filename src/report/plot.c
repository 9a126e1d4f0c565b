/* Result plots: line plots with shaded bands (linear or log x) and grouped/stacked bar charts,
 * drawn with cairo onto an image surface and handed to png.c as RGB with provenance text.
 * Layout is computed from measured text, so long legends and tick labels never overlap. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/plot.h"
#include "core/core.h"

#ifndef CLKFAC_HAVE_CAIRO
#error "clkfac plots need cairo: install libcairo2-dev (scripts/setup.sh does) and re-run cmake"
#endif
#include <cairo.h>

#define FONT "DejaVu Sans"
#define MAX_SERIES 64
#define MAX_HLINES 8
#define PI 3.14159265358979323846

typedef struct series {
    char *name;
    double *x, *y, *lo, *hi; /* lo/hi NULL without a band */
    size_t n;
} series;

typedef struct segment {
    char *name;
    double *v; /* ncat * ngroups */
} segment;

struct clkfac_plot {
    clkfac_plot_kind kind;
    char *title, *xlabel, *ylabel, *subtitle;
    int width, height, log_x;
    series *s;
    size_t ns;
    size_t ncat, ngroups;
    char **cats, **groups;
    segment *seg;
    size_t nseg;
    double hline_y[MAX_HLINES];
    char *hline_label[MAX_HLINES];
    size_t nh;
};

/* Okabe & Ito (2008), ordered for contrast on white; yellow last because thin yellow lines
 * vanish. Lines also cycle dash patterns so series stay apart in greyscale. */
static const unsigned char PALETTE[8][3] = {
    {0, 114, 178},   /* blue */
    {213, 94, 0},    /* vermillion */
    {0, 158, 115},   /* bluish green */
    {204, 121, 167}, /* reddish purple */
    {230, 159, 0},   /* orange */
    {86, 180, 233},  /* sky blue */
    {0, 0, 0},       /* black */
    {240, 228, 66},  /* yellow */
};

static void set_colour(cairo_t *cr, size_t i, double alpha)
{
    const unsigned char *c = PALETTE[i % 8];
    cairo_set_source_rgba(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0, alpha);
}

static void set_dash(cairo_t *cr, size_t i)
{
    static const double d1[] = {10, 5}, d2[] = {10, 4, 2.5, 4}, d3[] = {4, 4};
    switch ((i / 8 + i) % 4) {
    case 1: cairo_set_dash(cr, d1, 2, 0); break;
    case 2: cairo_set_dash(cr, d2, 4, 0); break;
    case 3: cairo_set_dash(cr, d3, 2, 0); break;
    default: cairo_set_dash(cr, NULL, 0, 0); break;
    }
}

/* ---- object ------------------------------------------------------------------------------ */

clkfac_status clkfac_plot_create(clkfac_plot **out, clkfac_plot_kind kind, const char *title,
                                 const char *xlabel, const char *ylabel)
{
    if (kind != CLKFAC_PLOT_LINES && kind != CLKFAC_PLOT_BARS)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "plot kind %d: expected LINES or BARS", (int)kind);
    clkfac_plot *p = core_calloc(1, sizeof *p);
    if (!p) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    p->kind = kind;
    p->width = CLKFAC_PLOT_WIDTH;
    p->height = CLKFAC_PLOT_HEIGHT;
    p->title = core_strdup(title ? title : "");
    p->xlabel = core_strdup(xlabel ? xlabel : "");
    p->ylabel = core_strdup(ylabel ? ylabel : "");
    if (!p->title || !p->xlabel || !p->ylabel) {
        clkfac_plot_free(p);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    *out = p;
    return CLKFAC_OK;
}

void clkfac_plot_free(clkfac_plot *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->ns; i++) {
        free(p->s[i].name);
        free(p->s[i].x);
        free(p->s[i].y);
        free(p->s[i].lo);
        free(p->s[i].hi);
    }
    for (size_t i = 0; i < p->nseg; i++) {
        free(p->seg[i].name);
        free(p->seg[i].v);
    }
    for (size_t i = 0; p->cats && i < p->ncat; i++) free(p->cats[i]);
    for (size_t i = 0; p->groups && i < p->ngroups; i++) free(p->groups[i]);
    free(p->cats);
    free(p->groups);
    free(p->s);
    free(p->seg);
    free(p->title);
    free(p->xlabel);
    free(p->ylabel);
    for (size_t i = 0; i < p->nh; i++) free(p->hline_label[i]);
    free(p->subtitle);
    free(p);
}

clkfac_status clkfac_plot_set_subtitle(clkfac_plot *p, const char *subtitle)
{
    char *c = core_strdup(subtitle ? subtitle : "");
    if (!c) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    free(p->subtitle);
    p->subtitle = c;
    return CLKFAC_OK;
}

clkfac_status clkfac_plot_set_size(clkfac_plot *p, int width, int height)
{
    if (width < 200 || height < 200 || width > 8000 || height > 8000)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "plot size %dx%d: expected 200..8000 pixels each way", width, height);
    p->width = width;
    p->height = height;
    return CLKFAC_OK;
}

clkfac_status clkfac_plot_set_log_x(clkfac_plot *p, int on)
{
    if (p->kind != CLKFAC_PLOT_LINES)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "a log x axis needs a line plot");
    p->log_x = on != 0;
    return CLKFAC_OK;
}

static double *dup_array(const double *a, size_t n)
{
    double *c = core_calloc(n ? n : 1, sizeof *c);
    if (c && n) memcpy(c, a, n * sizeof *c);
    return c;
}

clkfac_status clkfac_plot_add_series(clkfac_plot *p, const char *name, const double *x,
                                     const double *y, const double *lo, const double *hi,
                                     size_t n)
{
    if (p->kind != CLKFAC_PLOT_LINES)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "series '%s' added to a bar chart",
                         name ? name : "");
    if ((n && (!x || !y)) || (!lo) != (!hi))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "series '%s': x and y are required, lo and hi go together",
                         name ? name : "");
    if (p->ns == MAX_SERIES)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "more than %d series in one plot", MAX_SERIES);
    series *s = realloc(p->s, (p->ns + 1) * sizeof *s);
    if (!s) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    p->s = s;
    series *e = &s[p->ns];
    memset(e, 0, sizeof *e);
    e->n = n;
    e->name = core_strdup(name ? name : "");
    e->x = dup_array(x, n);
    e->y = dup_array(y, n);
    if (lo) {
        e->lo = dup_array(lo, n);
        e->hi = dup_array(hi, n);
    }
    if (!e->name || !e->x || !e->y || (lo && (!e->lo || !e->hi))) {
        free(e->name);
        free(e->x);
        free(e->y);
        free(e->lo);
        free(e->hi);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    p->ns++;
    return CLKFAC_OK;
}

clkfac_status clkfac_plot_add_hline(clkfac_plot *p, double y, const char *label)
{
    if (p->kind != CLKFAC_PLOT_LINES || !isfinite(y) || p->nh == MAX_HLINES)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "reference line at %g: needs a line plot, a finite y and at most %d lines",
                         y, MAX_HLINES);
    if (!(p->hline_label[p->nh] = core_strdup(label ? label : "")))
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    p->hline_y[p->nh++] = y;
    return CLKFAC_OK;
}

static char **dup_names(const char *const *names, size_t n)
{
    char **c = core_calloc(n, sizeof *c);
    for (size_t i = 0; c && i < n; i++)
        if (!(c[i] = core_strdup(names && names[i] ? names[i] : ""))) {
            while (i--) free(c[i]);
            free(c);
            return NULL;
        }
    return c;
}

clkfac_status clkfac_plot_set_bars(clkfac_plot *p, size_t ncat, const char *const *cat_names,
                                   size_t ngroups, const char *const *group_names)
{
    if (p->kind != CLKFAC_PLOT_BARS)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "bar layout set on a line plot");
    if (p->cats) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "bar layout set twice");
    if (ncat == 0 || ngroups == 0 || ncat * ngroups > 4096 || !cat_names ||
        (ngroups > 1 && !group_names))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "bar layout %zu categories x %zu groups: expected 1..4096 bars with "
                         "names for categories (and groups when there are several)",
                         ncat, ngroups);
    char **c = dup_names(cat_names, ncat), **g = dup_names(group_names, ngroups);
    if (!c || !g) {
        for (size_t i = 0; c && i < ncat; i++) free(c[i]);
        for (size_t i = 0; g && i < ngroups; i++) free(g[i]);
        free(c);
        free(g);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    p->cats = c;
    p->groups = g;
    p->ncat = ncat;
    p->ngroups = ngroups;
    return CLKFAC_OK;
}

clkfac_status clkfac_plot_add_segment(clkfac_plot *p, const char *name, const double *values)
{
    if (p->kind != CLKFAC_PLOT_BARS || !p->cats)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "segment '%s': call clkfac_plot_set_bars on a bar chart first",
                         name ? name : "");
    size_t nv = p->ncat * p->ngroups;
    for (size_t i = 0; i < nv; i++)
        if (values[i] < 0 || isinf(values[i]))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "segment '%s' value %zu is %g: expected a finite value >= 0 (or NaN)",
                             name ? name : "", i, values[i]);
    if (p->nseg == MAX_SERIES)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "more than %d segments in one chart", MAX_SERIES);
    segment *s = realloc(p->seg, (p->nseg + 1) * sizeof *s);
    if (!s) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    p->seg = s;
    s[p->nseg].name = core_strdup(name ? name : "");
    s[p->nseg].v = dup_array(values, nv);
    if (!s[p->nseg].name || !s[p->nseg].v) {
        free(s[p->nseg].name);
        free(s[p->nseg].v);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    p->nseg++;
    return CLKFAC_OK;
}

/* ---- ticks and labels -------------------------------------------------------------------- */

/* The 1-2-5 step nearest above raw. */
static double nice_step(double raw)
{
    if (!(raw > 0)) return 1;
    double e = pow(10, floor(log10(raw))), f = raw / e;
    return (f <= 1.0 + 1e-9 ? 1 : f <= 2.0 + 1e-9 ? 2 : f <= 5.0 + 1e-9 ? 5 : 10) * e;
}

static void strip_zeros(char *s)
{
    if (!strchr(s, '.')) return;
    size_t n = strlen(s);
    while (n && s[n - 1] == '0') s[--n] = '\0';
    if (n && s[n - 1] == '.') s[--n] = '\0';
}

static int decimals(double step)
{
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 9 ? 9 : d;
}

/* A tick label with as many decimals as the step needs; with `suffix`, thousands and millions
 * read as k and M (200k, 1.5M), which is how timesteps are quoted. step <= 0: a log-axis tick,
 * whose own magnitude sets the decimals. */
static void fmt_tick(char *buf, size_t len, double v, double step, int suffix)
{
    double a = fabs(v);
    if (step <= 0) step = a > 0 ? pow(10, floor(log10(a) + 1e-9)) : 1;
    if (a < step * 1e-6) v = 0, a = 0;
    double unit = 1;
    const char *suf = "";
    if (suffix && a >= 1e6 && decimals(step / 1e6) <= 2) unit = 1e6, suf = "M";
    else if (suffix && a >= 1e3) unit = 1e3, suf = "k";
    snprintf(buf, len, "%.*f", decimals(step / unit), v / unit);
    strip_zeros(buf);
    if (!strcmp(buf, "-0")) snprintf(buf, len, "0");
    strncat(buf, suf, len - strlen(buf) - 1);
}

typedef struct axis {
    double lo, hi;   /* drawn range (data units) */
    double step;     /* tick step; 0 for log */
    int log, suffix;
    double ticks[64];
    int nt;
} axis;

/* Linear ticks; `extend` widens the range to whole steps (tidy y axes), otherwise ticks are
 * placed inside the data range (x axes that end exactly where training ended). */
static void axis_linear(axis *a, double lo, double hi, int target, int extend)
{
    if (!(hi > lo)) {
        double d = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    }
    a->log = 0;
    a->step = nice_step((hi - lo) / target);
    if (extend) {
        lo = floor(lo / a->step + 1e-9) * a->step;
        hi = ceil(hi / a->step - 1e-9) * a->step;
    }
    a->lo = lo;
    a->hi = hi;
    a->nt = 0;
    for (double t = ceil(lo / a->step - 1e-9) * a->step; t <= hi + a->step * 1e-9 && a->nt < 64;
         t += a->step)
        a->ticks[a->nt++] = fabs(t) < a->step * 1e-9 ? 0 : t;
}

/* Log ticks at 1-2-5 x 10^k (all of 1..9 when the range is short, powers of ten when long). */
static void axis_log(axis *a, double lo, double hi)
{
    if (!(hi > lo)) {
        lo /= 2;
        hi *= 2;
    }
    double pad = pow(hi / lo, 0.04); /* room for end markers */
    a->lo = lo / pad;
    a->hi = hi * pad;
    a->log = 1;
    a->step = 0;
    static const double m125[] = {1, 2, 5}, m19[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, m1[] = {1};
    const double *sets[] = {m125, m19, m1};
    const int sizes[] = {3, 9, 1};
    for (int s = 0; s < 3; s++) {
        a->nt = 0;
        for (int e = (int)floor(log10(a->lo)); e <= (int)ceil(log10(a->hi)); e++)
            for (int k = 0; k < sizes[s]; k++) {
                double t = sets[s][k] * pow(10, e);
                if (t >= a->lo && t <= a->hi && a->nt < 64) a->ticks[a->nt++] = t;
            }
        if (s == 0 && a->nt >= 2 && a->nt <= 10) return;
        if (s == 1 && a->nt >= 2 && a->nt <= 10) return;
    }
    if (a->nt < 2) { /* less than a decade with no 1-9 tick inside twice: label the ends */
        a->nt = 0;
        a->ticks[a->nt++] = lo;
        a->ticks[a->nt++] = hi;
    }
}

static double axis_frac(const axis *a, double v)
{
    if (a->log) return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

/* ---- text -------------------------------------------------------------------------------- */

static void font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Draws s with (x, y) at fraction ha of its width and va of its em height (0 = top). */
static void text_at(cairo_t *cr, const char *s, double x, double y, double ha, double va)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_move_to(cr, x - ha * text_width(cr, s), y + fe.ascent - va * (fe.ascent + fe.descent));
    cairo_show_text(cr, s);
    cairo_new_path(cr); /* show_text leaves a current point; the next line must not start there */
}

/* ---- layout ------------------------------------------------------------------------------ */

typedef struct frame {
    double left, top, right, bottom; /* plot area in pixels */
    axis x, y;
} frame;

static double px_x(const frame *f, double v) { return f->left + axis_frac(&f->x, v) * (f->right - f->left); }
static double px_y(const frame *f, double v) { return f->bottom - axis_frac(&f->y, v) * (f->bottom - f->top); }

static void data_range(const clkfac_plot *p, double *xlo, double *xhi, double *ylo, double *yhi)
{
    *xlo = *ylo = INFINITY;
    *xhi = *yhi = -INFINITY;
    if (p->kind == CLKFAC_PLOT_BARS) {
        *ylo = 0;
        *yhi = 0;
        for (size_t b = 0; b < p->ncat * p->ngroups; b++) {
            double tot = 0;
            for (size_t s = 0; s < p->nseg; s++)
                if (!isnan(p->seg[s].v[b])) tot += p->seg[s].v[b];
            if (tot > *yhi) *yhi = tot;
        }
        if (*yhi <= 0) *yhi = 1;
        return;
    }
    for (size_t i = 0; i < p->ns; i++) {
        const series *s = &p->s[i];
        for (size_t k = 0; k < s->n; k++) {
            /* x spans every point given (a curve's grid may start before its first value) */
            double x = s->x[k];
            if (!isfinite(x) || (p->log_x && x <= 0)) continue;
            if (x < *xlo) *xlo = x;
            if (x > *xhi) *xhi = x;
            const double vals[3] = {s->y[k], s->lo ? s->lo[k] : NAN, s->hi ? s->hi[k] : NAN};
            for (int v = 0; v < 3; v++)
                if (isfinite(vals[v])) {
                    if (vals[v] < *ylo) *ylo = vals[v];
                    if (vals[v] > *yhi) *yhi = vals[v];
                }
        }
    }
    if (!(*xlo <= *xhi)) { /* no usable x: an empty frame rather than a failure */
        *xlo = p->log_x ? 1 : 0;
        *xhi = p->log_x ? 10 : 1;
    }
    if (!(*ylo <= *yhi)) {
        *ylo = p->nh ? p->hline_y[0] : 0;
        *yhi = p->nh ? p->hline_y[0] : 1;
    }
    /* reference lines stay in view: how far a curve is from "solved" is the point of them */
    for (size_t i = 0; i < p->nh; i++) {
        if (p->hline_y[i] < *ylo) *ylo = p->hline_y[i];
        if (p->hline_y[i] > *yhi) *yhi = p->hline_y[i];
    }
}

static double legend_width(cairo_t *cr, const clkfac_plot *p)
{
    font(cr, 14, 0);
    double w = 0;
    size_t n = p->kind == CLKFAC_PLOT_LINES ? p->ns : p->nseg;
    for (size_t i = 0; i < n; i++) {
        double t = text_width(cr, p->kind == CLKFAC_PLOT_LINES ? p->s[i].name : p->seg[i].name);
        if (t > w) w = t;
    }
    w += 52; /* swatch, gaps and frame */
    return w > 0.35 * p->width ? 0.35 * p->width : w;
}

static void layout(cairo_t *cr, const clkfac_plot *p, frame *f)
{
    double xlo, xhi, ylo, yhi;
    data_range(p, &xlo, &xhi, &ylo, &yhi);
    int has_sub = p->subtitle && *p->subtitle;
    f->top = has_sub ? 76 : 56;
    f->right = p->width - legend_width(cr, p) - 24;
    f->bottom = p->height - (p->kind == CLKFAC_PLOT_BARS && p->ngroups > 1 ? 84 : 66);
    axis_linear(&f->y, ylo, yhi, (int)((f->bottom - f->top) / 70) + 1, 1);
    f->y.suffix = fabs(f->y.lo) >= 1e4 || fabs(f->y.hi) >= 1e4;
    /* the left margin fits the widest y tick label */
    font(cr, 13, 0);
    double wmax = 0;
    char buf[64];
    for (int i = 0; i < f->y.nt; i++) {
        fmt_tick(buf, sizeof buf, f->y.ticks[i], f->y.step, f->y.suffix);
        double w = text_width(cr, buf);
        if (w > wmax) wmax = w;
    }
    f->left = 44 + wmax;
    if (p->kind == CLKFAC_PLOT_LINES) {
        if (p->log_x) axis_log(&f->x, xlo, xhi);
        else axis_linear(&f->x, xlo, xhi, (int)((f->right - f->left) / 110) + 1, 0);
        f->x.suffix = fabs(xlo) >= 1e4 || fabs(xhi) >= 1e4;
    }
}

/* ---- drawing ----------------------------------------------------------------------------- */

static void draw_frame(cairo_t *cr, const clkfac_plot *p, const frame *f)
{
    char buf[64];
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, NULL, 0, 0);
    font(cr, 13, 0);
    for (int i = 0; i < f->y.nt; i++) {
        double y = floor(px_y(f, f->y.ticks[i])) + 0.5;
        cairo_set_source_rgb(cr, 0.87, 0.87, 0.87);
        cairo_move_to(cr, f->left, y);
        cairo_line_to(cr, f->right, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        fmt_tick(buf, sizeof buf, f->y.ticks[i], f->y.step, f->y.suffix);
        text_at(cr, buf, f->left - 8, y, 1, 0.5);
    }
    if (p->kind == CLKFAC_PLOT_LINES)
        for (int i = 0; i < f->x.nt; i++) {
            double x = floor(px_x(f, f->x.ticks[i])) + 0.5;
            cairo_set_source_rgb(cr, 0.87, 0.87, 0.87);
            cairo_move_to(cr, x, f->top);
            cairo_line_to(cr, x, f->bottom);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            cairo_move_to(cr, x, f->bottom);
            cairo_line_to(cr, x, f->bottom + 5);
            cairo_stroke(cr);
            fmt_tick(buf, sizeof buf, f->x.ticks[i], f->x.step, f->x.suffix);
            text_at(cr, buf, x, f->bottom + 8, 0.5, 0);
        }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1.2);
    cairo_move_to(cr, f->left, f->top);
    cairo_line_to(cr, f->left, f->bottom);
    cairo_line_to(cr, f->right, f->bottom);
    cairo_stroke(cr);

    /* title, subtitle, axis labels */
    cairo_set_source_rgb(cr, 0, 0, 0);
    font(cr, 20, 1);
    text_at(cr, p->title, p->width / 2.0, 12, 0.5, 0);
    if (p->subtitle && *p->subtitle) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        font(cr, 14, 0);
        text_at(cr, p->subtitle, p->width / 2.0, 40, 0.5, 0);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    font(cr, 15, 0);
    text_at(cr, p->xlabel, (f->left + f->right) / 2, p->height - 8, 0.5, 1);
    cairo_save(cr);
    cairo_translate(cr, 14, (f->top + f->bottom) / 2);
    cairo_rotate(cr, -PI / 2);
    text_at(cr, p->ylabel, 0, 0, 0.5, 0);
    cairo_restore(cr);
}

static int point_ok(const clkfac_plot *p, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!p->log_x || x > 0);
}

static void draw_series(cairo_t *cr, const clkfac_plot *p, const frame *f)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->left, f->top - 4, f->right - f->left + 4, f->bottom - f->top + 4);
    cairo_clip(cr);
    /* all bands first, so no band hides another series' line */
    for (size_t i = 0; i < p->ns; i++) {
        const series *s = &p->s[i];
        if (!s->lo) continue;
        set_colour(cr, i, 0.20);
        for (size_t a = 0; a < s->n;) {
            if (!point_ok(p, s->x[a], s->lo[a]) || !isfinite(s->hi[a])) { a++; continue; }
            size_t b = a;
            while (b + 1 < s->n && point_ok(p, s->x[b + 1], s->lo[b + 1]) && isfinite(s->hi[b + 1])) b++;
            for (size_t k = a; k <= b; k++) cairo_line_to(cr, px_x(f, s->x[k]), px_y(f, s->hi[k]));
            for (size_t k = b + 1; k-- > a;) cairo_line_to(cr, px_x(f, s->x[k]), px_y(f, s->lo[k]));
            cairo_close_path(cr);
            cairo_fill(cr);
            a = b + 1;
        }
    }
    static const double dash[] = {6, 4};
    cairo_set_line_width(cr, 1.5);
    cairo_set_dash(cr, dash, 2, 0);
    for (size_t i = 0; i < p->nh; i++) {
        double y = px_y(f, p->hline_y[i]);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        cairo_move_to(cr, f->left, y);
        cairo_line_to(cr, f->right, y);
        cairo_stroke(cr);
    }
    cairo_set_line_width(cr, 2.4);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (size_t i = 0; i < p->ns; i++) {
        const series *s = &p->s[i];
        set_colour(cr, i, 1);
        set_dash(cr, i);
        int pen = 0;
        for (size_t k = 0; k < s->n; k++) {
            if (!point_ok(p, s->x[k], s->y[k])) {
                if (pen) cairo_stroke(cr);
                pen = 0;
                continue;
            }
            cairo_line_to(cr, px_x(f, s->x[k]), px_y(f, s->y[k]));
            pen = 1;
        }
        if (pen) cairo_stroke(cr);
        cairo_new_path(cr);
        if (s->n <= 12)
            for (size_t k = 0; k < s->n; k++)
                if (point_ok(p, s->x[k], s->y[k])) {
                    cairo_arc(cr, px_x(f, s->x[k]), px_y(f, s->y[k]), 4.5, 0, 2 * PI);
                    cairo_fill(cr);
                }
    }
    /* reference-line labels last, on a white backing, so curves never hide them; at the left
     * end, where learning curves are still low */
    cairo_set_dash(cr, NULL, 0, 0);
    font(cr, 12, 0);
    for (size_t i = 0; i < p->nh; i++) {
        double y = px_y(f, p->hline_y[i]), w = text_width(cr, p->hline_label[i]);
        int below = y - f->top < 18; /* a line at the top edge gets its label underneath */
        double ty = below ? y + 3 : y - 17;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, f->left + 4, ty, w + 8, 15);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        text_at(cr, p->hline_label[i], f->left + 8, ty + 1, 0, 0);
    }
    cairo_restore(cr);
}

static void draw_bars(cairo_t *cr, const clkfac_plot *p, const frame *f)
{
    double slot = (f->right - f->left) / (double)p->ncat;
    double bw = 0.8 * slot / (double)p->ngroups;
    char buf[64];
    for (size_t c = 0; c < p->ncat; c++) {
        double x0 = f->left + slot * ((double)c + 0.1);
        for (size_t g = 0; g < p->ngroups; g++) {
            double x = x0 + bw * (double)g + 0.06 * bw, w = 0.88 * bw;
            double base = 0;
            size_t b = c * p->ngroups + g;
            for (size_t s = 0; s < p->nseg; s++) {
                double v = p->seg[s].v[b];
                if (isnan(v) || v <= 0) continue;
                double y0 = px_y(f, base), y1 = px_y(f, base + v);
                cairo_rectangle(cr, x, y1, w, y0 - y1);
                set_colour(cr, s, 1);
                cairo_fill_preserve(cr);
                cairo_set_source_rgb(cr, 1, 1, 1); /* separates adjacent segments */
                cairo_set_line_width(cr, 1);
                cairo_stroke(cr);
                base += v;
            }
            font(cr, 11, 0);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            if (base > 0) {
                fmt_tick(buf, sizeof buf, base, f->y.step / 100, 0);
                if (text_width(cr, buf) <= bw) text_at(cr, buf, x + w / 2, px_y(f, base) - 3, 0.5, 1);
            }
            if (p->ngroups > 1) { /* shrink a label to its bar rather than overlap the next */
                double size = 12;
                font(cr, size, 0);
                while (size > 7 && text_width(cr, p->groups[g]) > bw - 2) font(cr, --size, 0);
                text_at(cr, p->groups[g], x + w / 2, f->bottom + 6, 0.5, 0);
            }
        }
        font(cr, 14, p->ngroups > 1);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, p->cats[c], f->left + slot * ((double)c + 0.5),
                f->bottom + (p->ngroups > 1 ? 24 : 8), 0.5, 0);
    }
}

static void draw_legend(cairo_t *cr, const clkfac_plot *p, const frame *f)
{
    size_t n = p->kind == CLKFAC_PLOT_LINES ? p->ns : p->nseg;
    if (!n) return;
    double x = f->right + 18, y = f->top, row = 24, w = p->width - x - 8;
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_rectangle(cr, floor(x) + 0.5, floor(y) + 0.5, floor(w), floor(row * (double)n + 10));
    cairo_stroke(cr);
    font(cr, 14, 0);
    for (size_t k = 0; k < n; k++) {
        /* stacked segments are listed top-down in the order they appear on the bars */
        size_t i = p->kind == CLKFAC_PLOT_LINES ? k : n - 1 - k;
        double cy = y + 5 + row * ((double)k + 0.5);
        if (p->kind == CLKFAC_PLOT_LINES) {
            if (p->s[i].lo) {
                set_colour(cr, i, 0.20);
                cairo_rectangle(cr, x + 8, cy - 7, 30, 14);
                cairo_fill(cr);
            }
            set_colour(cr, i, 1);
            set_dash(cr, i);
            cairo_set_line_width(cr, 2.4);
            cairo_move_to(cr, x + 8, cy);
            cairo_line_to(cr, x + 38, cy);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            if (p->s[i].n <= 12) {
                cairo_arc(cr, x + 23, cy, 4.5, 0, 2 * PI);
                cairo_fill(cr);
            }
        } else {
            set_colour(cr, i, 1);
            cairo_rectangle(cr, x + 12, cy - 7, 22, 14);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, p->kind == CLKFAC_PLOT_LINES ? p->s[i].name : p->seg[i].name, x + 46, cy, 0,
                0.5);
    }
}

/* Renders into a white RGB buffer (caller frees). */
static clkfac_status render(unsigned char **rgb_out, const clkfac_plot *p)
{
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, p->width, p->height);
    if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(sf);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "cairo: cannot create a %dx%d image", p->width,
                         p->height);
    }
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    frame f;
    layout(cr, p, &f);
    draw_frame(cr, p, &f);
    if (p->kind == CLKFAC_PLOT_LINES) draw_series(cr, p, &f);
    else draw_bars(cr, p, &f);
    draw_legend(cr, p, &f);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(sf);
    clkfac_status st = CLKFAC_OK;
    unsigned char *rgb = NULL;
    if (cs != CAIRO_STATUS_SUCCESS) {
        st = CORE_FAIL(CLKFAC_ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cs));
    } else if (!(rgb = core_calloc((size_t)p->width * (size_t)p->height, 3))) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    } else {
        /* ARGB32 is premultiplied native-endian words; composite over white */
        const unsigned char *data = cairo_image_surface_get_data(sf);
        int stride = cairo_image_surface_get_stride(sf);
        for (int y = 0; y < p->height; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
            unsigned char *o = rgb + (size_t)y * (size_t)p->width * 3;
            for (int x = 0; x < p->width; x++) {
                uint32_t px = row[x];
                unsigned a = px >> 24;
                o[3 * x + 0] = (unsigned char)(((px >> 16) & 255) + 255 - a);
                o[3 * x + 1] = (unsigned char)(((px >> 8) & 255) + 255 - a);
                o[3 * x + 2] = (unsigned char)((px & 255) + 255 - a);
            }
        }
        *rgb_out = rgb;
    }
    cairo_surface_destroy(sf);
    return st;
}

clkfac_status clkfac_plot_write_png(clkfac_plot *p, const char *path, const char *provenance)
{
    if (!path) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "plot written to a NULL path");
    if (p->kind == CLKFAC_PLOT_LINES && p->ns == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "plot '%s' has no series", p->title);
    if (p->kind == CLKFAC_PLOT_BARS && (!p->cats || p->nseg == 0))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "bar chart '%s' has no bars or no segments",
                         p->title);
    unsigned char *rgb = NULL;
    clkfac_status st = render(&rgb, p);
    if (st) return st;
    char software[160];
    snprintf(software, sizeof software, "clkfac %s (git %s)", clkfac_version(),
             clkfac_git_commit());
    const char *keys[4] = {"Title", "Software", "Source", "Description"};
    const char *vals[4] = {p->title, software, provenance ? provenance : "", p->subtitle};
    size_t nt = 3 + (p->subtitle && *p->subtitle);
    st = clkfac_png_write_rgb(path, rgb, p->width, p->height, nt, keys, vals);
    free(rgb);
    return st;
}
