/* Plots: every kind renders to a PNG that libpng decodes with the requested size, more than
 * one colour, the series/segment colours actually drawn, and the tEXt provenance chunks; the
 * same plot gives the same bytes; bad calls fail with INVALID_ARG and leave no file. */
/* ctest-labels: unit */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define MAX_TEXT 16

typedef struct decoded {
    int w, h;
    unsigned char *rgb; /* w * h * 3 */
    int ntext;
    char key[MAX_TEXT][80];
    char *val[MAX_TEXT];
} decoded;

static void decoded_free(decoded *d)
{
    free(d->rgb);
    for (int i = 0; i < d->ntext; i++) free(d->val[i]);
    memset(d, 0, sizeof *d);
}

/* Decodes path as 8-bit RGB (the writer's format); returns 0 on success. */
static int decode_png(const char *path, decoded *d)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_read_png(png, info, PNG_TRANSFORM_STRIP_16 | PNG_TRANSFORM_PACKING, NULL);
    int ok = png_get_color_type(png, info) == PNG_COLOR_TYPE_RGB &&
             png_get_bit_depth(png, info) == 8;
    d->w = (int)png_get_image_width(png, info);
    d->h = (int)png_get_image_height(png, info);
    png_bytepp rows = png_get_rows(png, info);
    d->rgb = ok ? malloc((size_t)d->w * (size_t)d->h * 3) : NULL;
    for (int y = 0; d->rgb && y < d->h; y++)
        memcpy(d->rgb + (size_t)y * (size_t)d->w * 3, rows[y], (size_t)d->w * 3);
    png_textp text = NULL;
    int nt = 0;
    png_get_text(png, info, &text, &nt);
    for (int i = 0; i < nt && d->ntext < MAX_TEXT; i++) {
        snprintf(d->key[d->ntext], sizeof d->key[0], "%s", text[i].key);
        d->val[d->ntext++] = strdup(text[i].text ? text[i].text : "");
    }
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return d->rgb ? 0 : -1;
}

static const char *text_of(const decoded *d, const char *key)
{
    for (int i = 0; i < d->ntext; i++)
        if (!strcmp(d->key[i], key)) return d->val[i];
    return NULL;
}

static size_t count_pixels(const decoded *d, int r, int g, int b)
{
    size_t n = 0;
    for (size_t i = 0; i < (size_t)d->w * (size_t)d->h; i++)
        n += d->rgb[3 * i] == r && d->rgb[3 * i + 1] == g && d->rgb[3 * i + 2] == b;
    return n;
}

/* Distinct colours, capped: a blank or single-colour image has 1. */
static int distinct_colours(const decoded *d, int cap)
{
    static unsigned seen[4096];
    int n = 0;
    for (size_t i = 0; i < (size_t)d->w * (size_t)d->h && n < cap; i++) {
        unsigned c = (unsigned)d->rgb[3 * i] << 16 | (unsigned)d->rgb[3 * i + 1] << 8 | d->rgb[3 * i + 2];
        int k = 0;
        while (k < n && seen[k] != c) k++;
        if (k == n) seen[n++] = c;
    }
    return n;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "/tmp/clkfac_test_plot_%ld_%s", (long)getpid(), name);
}

static void check_common(const decoded *d, int w, int h, const char *title, const char *prov)
{
    assert_int_equal(d->w, w);
    assert_int_equal(d->h, h);
    assert_true(distinct_colours(d, 64) >= 20);         /* text, lines, fills: not one colour */
    assert_true(count_pixels(d, 255, 255, 255) > (size_t)(w * h / 3)); /* white background */
    assert_true(count_pixels(d, 255, 255, 255) < (size_t)w * (size_t)h);
    assert_non_null(text_of(d, "Title"));
    assert_string_equal(text_of(d, "Title"), title);
    assert_non_null(text_of(d, "Software"));
    assert_true(!strncmp(text_of(d, "Software"), "clkfac ", 7));
    assert_non_null(strstr(text_of(d, "Software"), clkfac_version()));
    assert_non_null(text_of(d, "Source"));
    assert_string_equal(text_of(d, "Source"), prov);
}

static void test_learning_curves_with_bands(void **state)
{
    (void)state;
    enum { N = 300 };
    double x[N], y1[N], lo1[N], hi1[N], y2[N], lo2[N], hi2[N];
    for (int i = 0; i < N; i++) {
        x[i] = 1e6 * i / (N - 1);
        y1[i] = i < 10 ? NAN : 500 * (1 - exp(-i / 60.0)); /* starts late: NaN first */
        lo1[i] = y1[i] - 40;
        hi1[i] = y1[i] + 30;
        y2[i] = 20 + 1.2 * i;
        lo2[i] = y2[i] * 0.8;
        hi2[i] = y2[i] * 1.1;
    }
    clkfac_plot *p = NULL;
    TH_OK(clkfac_plot_create(&p, CLKFAC_PLOT_LINES, "CartPole-v1: learning curves", "timesteps",
                             "episode return (mean of last 100)"));
    TH_OK(clkfac_plot_set_subtitle(p, "line: mean over 3 seeds; band: min to max"));
    TH_OK(clkfac_plot_add_series(p, "acktr (3 seeds)", x, y1, lo1, hi1, N));
    TH_OK(clkfac_plot_add_series(p, "a2c (3 seeds)", x, y2, lo2, hi2, N));
    TH_OK(clkfac_plot_add_hline(p, 475, "threshold 475"));
    char path[256], path2[256];
    tmp_path(path, sizeof path, "curves.png");
    tmp_path(path2, sizeof path2, "curves2.png");
    const char *prov = "clkfac: test\nruns: /nowhere (6 runs)\n";
    TH_OK(clkfac_plot_write_png(p, path, prov));
    TH_OK(clkfac_plot_write_png(p, path2, prov));
    clkfac_plot_free(p);
    decoded d;
    assert_int_equal(decode_png(path, &d), 0);
    check_common(&d, CLKFAC_PLOT_WIDTH, CLKFAC_PLOT_HEIGHT, "CartPole-v1: learning curves", prov);
    assert_non_null(text_of(&d, "Description"));
    /* the first two palette colours (Okabe-Ito blue, vermillion) drawn as solid lines */
    assert_true(count_pixels(&d, 0, 114, 178) > 100);
    assert_true(count_pixels(&d, 213, 94, 0) > 100);
    decoded_free(&d);
    /* deterministic bytes: no timestamps anywhere */
    char *a = NULL, *b = NULL;
    FILE *fa = fopen(path, "rb"), *fb = fopen(path2, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    a = malloc(1 << 22);
    b = malloc(1 << 22);
    size_t na = fread(a, 1, 1 << 22, fa), nb = fread(b, 1, 1 << 22, fb);
    fclose(fa);
    fclose(fb);
    assert_true(na == nb && na > 1000);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    unlink(path);
    unlink(path2);
}

static void test_log_x_throughput_plot(void **state)
{
    (void)state;
    const double batch[4] = {80, 160, 320, 640}, tps1[4] = {900, 1500, 2100, 2400},
                 tps2[4] = {1200, 2300, 3800, 5100};
    clkfac_plot *p = NULL;
    TH_OK(clkfac_plot_create(&p, CLKFAC_PLOT_LINES, "Throughput vs batch size",
                             "batch size (log scale)", "timesteps per second"));
    TH_OK(clkfac_plot_set_log_x(p, 1));
    TH_OK(clkfac_plot_set_size(p, 800, 500));
    TH_OK(clkfac_plot_add_series(p, "acktr", batch, tps1, NULL, NULL, 4));
    TH_OK(clkfac_plot_add_series(p, "a2c", batch, tps2, NULL, NULL, 4));
    char path[256];
    tmp_path(path, sizeof path, "tps.png");
    TH_OK(clkfac_plot_write_png(p, path, "prov"));
    clkfac_plot_free(p);
    decoded d;
    assert_int_equal(decode_png(path, &d), 0);
    check_common(&d, 800, 500, "Throughput vs batch size", "prov");
    assert_null(text_of(&d, "Description")); /* no subtitle, no chunk */
    assert_true(count_pixels(&d, 0, 114, 178) > 100);   /* line and markers */
    decoded_free(&d);
    unlink(path);
}

static void test_grouped_stacked_bars(void **state)
{
    (void)state;
    const char *cats[3] = {"a2c", "acktr", "trpo"}, *groups[2] = {"80", "640"};
    /* values[c * 2 + g] */
    const double rollout[6] = {4, 30, 4, 30, 4, 30}, update[6] = {1, 5, 6, 40, 10, 70},
                 inverse[6] = {0, 0, 3, 3, NAN, NAN};
    clkfac_plot *p = NULL;
    TH_OK(clkfac_plot_create(&p, CLKFAC_PLOT_BARS, "Time per update by phase", "algorithm",
                             "time per update (ms)"));
    assert_int_equal(clkfac_plot_add_segment(p, "rollout", rollout), CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_plot_set_bars(p, 3, cats, 2, groups));
    TH_OK(clkfac_plot_add_segment(p, "rollout", rollout));
    TH_OK(clkfac_plot_add_segment(p, "update", update));
    TH_OK(clkfac_plot_add_segment(p, "inverse", inverse));
    const double negative[6] = {1, 1, -1, 1, 1, 1};
    assert_int_equal(clkfac_plot_add_segment(p, "bad", negative), CLKFAC_ERR_INVALID_ARG);
    char path[256];
    tmp_path(path, sizeof path, "bars.png");
    TH_OK(clkfac_plot_write_png(p, path, "bars provenance"));
    clkfac_plot_free(p);
    decoded d;
    assert_int_equal(decode_png(path, &d), 0);
    check_common(&d, CLKFAC_PLOT_WIDTH, CLKFAC_PLOT_HEIGHT, "Time per update by phase",
                 "bars provenance");
    /* each segment's fill colour covers a real area: blue, vermillion, bluish green */
    assert_true(count_pixels(&d, 0, 114, 178) > 2000);
    assert_true(count_pixels(&d, 213, 94, 0) > 2000);
    assert_true(count_pixels(&d, 0, 158, 115) > 200);
    decoded_free(&d);
    unlink(path);
}

static void test_bad_calls_write_nothing(void **state)
{
    (void)state;
    clkfac_plot *p = NULL;
    char path[256];
    tmp_path(path, sizeof path, "empty.png");
    TH_OK(clkfac_plot_create(&p, CLKFAC_PLOT_LINES, "empty", "x", "y"));
    assert_int_equal(clkfac_plot_write_png(p, path, NULL), CLKFAC_ERR_INVALID_ARG);
    assert_int_not_equal(access(path, F_OK), 0);
    const char *cats[1] = {"a"};
    assert_int_equal(clkfac_plot_set_bars(p, 1, cats, 1, NULL), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_plot_set_size(p, 10, 10), CLKFAC_ERR_INVALID_ARG);
    const double x[2] = {0, 1}, y[2] = {1, 2};
    assert_int_equal(clkfac_plot_add_series(p, "half band", x, y, y, NULL, 2),
                     CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_plot_add_series(p, "ok", x, y, NULL, NULL, 2));
    /* an unwritable destination is an I/O error naming the path */
    assert_int_equal(clkfac_plot_write_png(p, "/nonexistent-dir/x.png", NULL), CLKFAC_ERR_IO);
    assert_non_null(strstr(clkfac_last_error(), "/nonexistent-dir/x.png"));
    clkfac_plot_free(p);
    clkfac_plot_free(NULL);
    TH_OK(clkfac_plot_create(&p, CLKFAC_PLOT_BARS, "no segments", "x", "y"));
    assert_int_equal(clkfac_plot_set_log_x(p, 1), CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_plot_set_bars(p, 1, cats, 1, NULL));
    assert_int_equal(clkfac_plot_write_png(p, path, NULL), CLKFAC_ERR_INVALID_ARG);
    clkfac_plot_free(p);
}

static void test_png_writer_text_chunks(void **state)
{
    (void)state;
    unsigned char rgb[4 * 3 * 3];
    for (int i = 0; i < 36; i++) rgb[i] = (unsigned char)(i * 7);
    const char *keys[2] = {"Title", "Source"}, *vals[2] = {"tiny", "line one\nline \xc3\xa9two"};
    char path[256];
    tmp_path(path, sizeof path, "tiny.png");
    TH_OK(clkfac_png_write_rgb(path, rgb, 4, 3, 2, keys, vals));
    decoded d;
    assert_int_equal(decode_png(path, &d), 0);
    assert_int_equal(d.w, 4);
    assert_int_equal(d.h, 3);
    assert_memory_equal(d.rgb, rgb, sizeof rgb);
    /* non-ASCII bytes become '?' so the chunk stays valid Latin-1 */
    assert_string_equal(text_of(&d, "Source"), "line one\nline ??two");
    decoded_free(&d);
    const char *badkey[1] = {""};
    assert_int_equal(clkfac_png_write_rgb(path, rgb, 4, 3, 1, badkey, vals), CLKFAC_ERR_INVALID_ARG);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learning_curves_with_bands),
        cmocka_unit_test(test_log_x_throughput_plot),
        cmocka_unit_test(test_grouped_stacked_bars),
        cmocka_unit_test(test_bad_calls_write_nothing),
        cmocka_unit_test(test_png_writer_text_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
