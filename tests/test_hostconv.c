/* Convolution's memory-bound ops as host tasks (src/kfac/hostconv.c, the profile's conv_host)
 * against their OpenCL kernels, bit for bit: the patch expansion, col2im through the conv
 * backward (fresh and accumulated, with a workspace smaller than the batch), and the
 * activations with their layout change (relu and identity run on the host; NaN, Inf, -0 and
 * denormals included). Two contexts on the same device, CLKFAC_CONV=host and =opencl, both
 * with the host BLAS engine so the GEMMs in between are the same (the host side splits the
 * input gradient's GEMM into chunks of examples, which must not change a bit either); every
 * shape also checks the floats after each output (a write outside it) and the patches
 * against the double reference. The layers' values against references and finite
 * differences on both paths are test_nn's (run once per engine). Also: the profile fields,
 * CLKFAC_CONV errors, the task facility's argument check. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kfac/hostconv.h"
#include "linalg/hostblas.h"
#include "ref/ref_kfac.h"

#define PAD 11 /* sentinel floats after every output */
#define SENTINEL 4242.0f

static clkfac_context *g_host, *g_cl;

static clkfac_context *make_ctx(const char *conv)
{
    setenv("CLKFAC_CONV", conv, 1);
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.blas = CLKFAC_BLAS_HOST;
    clkfac_context *c = NULL;
    clkfac_status st = clkfac_context_create(&c, &o);
    unsetenv("CLKFAC_CONV");
    return st ? NULL : c;
}

static int setup(void **state)
{
    (void)state;
    clkfac_context *probe = NULL;
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    if (clkfac_context_create(&probe, &o) != CLKFAC_OK) return 0;
    int native = hostblas_task_available(probe) && hostblas_available(probe, NULL);
    clkfac_context_free(probe);
    if (!native) return 0;
    g_host = make_ctx("host");
    g_cl = make_ctx("opencl");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clkfac_context_free(g_host);
    clkfac_context_free(g_cl);
    return 0;
}

#define REQUIRE_PAIR()                                                                          \
    do {                                                                                        \
        if (!g_host || !g_cl) {                                                                 \
            print_message("SKIP %s: no device running native kernels with a host BLAS\n",      \
                          __func__);                                                            \
            skip();                                                                             \
        }                                                                                       \
    } while (0)

static void ok(clkfac_status st, const char *what)
{
    if (st) fail_msg("%s: %s (%s)", what, clkfac_status_str(st), clkfac_last_error());
}

/* n floats of x (NULL: filled with v) followed by PAD sentinels */
static cl_mem upload(clkfac_context *c, const float *x, size_t n, float v)
{
    cl_mem m = NULL;
    ok(clkfac_buffer_create(&m, c, n + PAD), "buffer");
    ok(clkfac_buffer_fill(c, m, 0, SENTINEL, n + PAD), "fill");
    if (x)
        ok(clkfac_buffer_write(c, m, 0, x, n), "write");
    else if (n)
        ok(clkfac_buffer_fill(c, m, 0, v, n), "fill");
    return m;
}

static float *download(clkfac_context *c, cl_mem m, size_t n, const char *what)
{
    float *x = th_malloc((n + PAD) * sizeof *x);
    ok(clkfac_buffer_read(c, m, 0, x, n + PAD), "read");
    for (size_t i = n; i < n + PAD; i++)
        if (x[i] != SENTINEL) fail_msg("%s: float %zu after the output was written", what, i - n);
    return x;
}

static void same_bits(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]))
            fail_msg("%s: element %zu differs: host %.9g, OpenCL %.9g", what, i, (double)a[i],
                     (double)b[i]);
}

typedef struct shape { int n, c, h, w, kh, kw, s, p, d, cout; } shape;

/* stride 1-4, padding 0-2, dilation 1-2, kernels 1-5 (non-square), batch 1-7, odd sizes; then
 * the Atari layers on small batches. */
static size_t shapes(shape *out)
{
    size_t n = 0;
    for (int s = 1; s <= 4; s++)
        for (int p = 0; p <= 2; p++)
            for (int d = 1; d <= 2; d++) {
                int i = (int)n;
                shape sh = {1 + i % 7, 1 + (i * 5) % 5, 6 + (i % 5), 8 + (i * 3) % 7,
                            1 + (i % 4), 1 + ((i + 1) % 5), s, p, d, 1 + (i * 7) % 9};
                while ((sh.kh - 1) * d + 1 > sh.h + 2 * p) sh.kh--;
                while ((sh.kw - 1) * d + 1 > sh.w + 2 * p) sh.kw--;
                out[n++] = sh;
            }
    const shape extra[] = {
        {3, 4, 84, 84, 8, 8, 4, 0, 1, 32}, /* Atari conv1 */
        {5, 32, 20, 20, 4, 4, 2, 0, 1, 64}, /* conv2 */
        {4, 64, 9, 9, 3, 3, 1, 0, 1, 64},  /* conv3 */
        {30, 32, 20, 20, 4, 4, 2, 0, 1, 16}, /* conv2 over more than the profile's dx chunk */
        {1, 1, 1, 1, 1, 1, 1, 0, 1, 1},    /* smallest */
        {2, 3, 5, 7, 3, 3, 1, 3, 1, 2},    /* padding beyond the kernel's reach */
        {2, 2, 13, 12, 3, 2, 2, 1, 3, 3},  /* dilation 3, stride 2: every 2nd kernel row */
        {2, 3, 10, 11, 3, 3, 4, 2, 2, 4},  /* stride 4, dilation 2 */
        {1, 2, 9, 9, 2, 2, 3, 0, 3, 2},    /* stride = dilation: pixels no kernel entry reads */
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) out[n++] = extra[i];
    return n;
}

static void test_profile_and_options(void **state)
{
    (void)state;
    REQUIRE_PAIR();
    assert_int_equal(clkfac_context_profile(g_host)->conv_host, 1);
    assert_int_equal(clkfac_context_profile(g_cl)->conv_host, 0);
    /* the shape list holds one whose patch gradient spans several chunks */
    assert_true(clkfac_context_profile(g_host)->conv_dx_chunk > 0 &&
                clkfac_context_profile(g_host)->conv_dx_chunk < (size_t)30 * 81 * 512);
    assert_int_equal(clkfac_context_profile(g_cl)->conv_dx_chunk, 0);
    char buf[512];
    assert_non_null(strstr(clkfac_device_profile_text(buf, sizeof buf,
                                                      clkfac_context_profile(g_host)),
                           "conv=host"));
    assert_non_null(strstr(clkfac_device_profile_text(buf, sizeof buf,
                                                      clkfac_context_profile(g_cl)),
                           "conv=opencl"));
    /* the default follows the engine */
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    clkfac_context *c = NULL;
    o.blas = CLKFAC_BLAS_CLBLAST;
    ok(clkfac_context_create(&c, &o), "clblast context");
    assert_int_equal(clkfac_context_profile(c)->conv_host, 0);
    clkfac_context_free(c);
    o.blas = CLKFAC_BLAS_HOST;
    ok(clkfac_context_create(&c, &o), "host context");
    assert_int_equal(clkfac_context_profile(c)->conv_host, 1);
    clkfac_context_free(c);
    /* a bad value names itself and what was expected */
    setenv("CLKFAC_CONV", "gpu", 1);
    c = NULL;
    assert_int_equal(clkfac_context_create(&c, &o), CLKFAC_ERR_INVALID_ARG);
    unsetenv("CLKFAC_CONV");
    assert_null(c);
    assert_non_null(strstr(clkfac_last_error(), "CLKFAC_CONV='gpu'"));
    assert_non_null(strstr(clkfac_last_error(), "expected host or opencl"));
    /* the task facility refuses more buffers than it maps */
    hostblas_task t = {.items = 1};
    cl_mem bufs[4] = {0};
    int wr[4] = {0};
    assert_int_equal(hostblas_task_enqueue(g_host, &t, bufs, wr, 4), CLKFAC_ERR_INVALID_ARG);
}

static void test_patches_and_col2im(void **state)
{
    (void)state;
    REQUIRE_PAIR();
    shape sh[64];
    size_t ns = shapes(sh);
    th_rng r = {77};
    for (size_t i = 0; i < ns; i++) {
        const shape *q = &sh[i];
        clkfac_conv_geom g = {q->n, q->c, q->h, q->w, q->kh, q->kw, q->s, q->s,
                              q->p, q->p, q->d, q->d, 1};
        int ho, wo;
        ok(clkfac_conv_out_size(&ho, &wo, &g), "geometry");
        size_t rows = clkfac_conv_patch_rows(&g), cols = clkfac_conv_patch_cols(&g);
        size_t nx = (size_t)q->n * q->c * q->h * q->w, K = (size_t)q->cout;
        float *x = th_malloc(nx * sizeof *x), *w = th_malloc(K * cols * sizeof *w);
        float *ds = th_malloc(rows * K * sizeof *ds), *dx0 = th_malloc(nx * sizeof *dx0);
        th_fill_normal(&r, x, nx, 1.0f);
        th_fill_normal(&r, w, K * cols, 0.5f);
        th_fill_normal(&r, ds, rows * K, 1.0f);
        th_fill_normal(&r, dx0, nx, 1.0f);
        /* the workspace holds two examples (or one): col2im runs per chunk with offsets */
        size_t per = (size_t)ho * wo * (cols - 1), work_n = per * (q->n > 2 ? 2 : 1);
        float *res[2][4];
        clkfac_context *cx[2] = {g_host, g_cl};
        for (int e = 0; e < 2; e++) {
            clkfac_context *c = cx[e];
            cl_mem xb = upload(c, x, nx, 0), pb = upload(c, NULL, 3 + rows * cols, -7.0f);
            cl_mem wb = upload(c, w, K * cols, 0), dsb = upload(c, ds, rows * K, 0);
            cl_mem dwb = upload(c, NULL, K * cols, 0.0f), dxb = upload(c, NULL, nx, 0.0f);
            cl_mem dxa = upload(c, dx0, nx, 0), wk = upload(c, NULL, work_n, 0.0f);
            /* patches at an offset (3), through the public call and the conv forward */
            ok(clkfac_kfac_patches(c, &g, xb, 0, pb, 3), "patches");
            ok(clkfac_nn_conv_backward(c, dxb, 0, 0, dwb, 0, dsb, 0, pb, 3, wb, 0, &g, K, wk, 0,
                                       work_n),
               "conv backward");
            ok(clkfac_nn_conv_backward(c, dxa, 0, 1, dwb, 0, dsb, 0, pb, 3, wb, 0, &g, K, wk, 0,
                                       work_n),
               "conv backward (accumulate)");
            res[e][0] = download(c, pb, 3 + rows * cols, "patches");
            res[e][1] = download(c, dxb, nx, "dx");
            res[e][2] = download(c, dxa, nx, "dx accumulated");
            res[e][3] = download(c, dwb, K * cols, "dW");
            cl_mem all[] = {xb, pb, wb, dsb, dwb, dxb, dxa, wk};
            for (size_t j = 0; j < sizeof all / sizeof all[0]; j++) clkfac_buffer_free(all[j]);
        }
        char what[160];
        snprintf(what, sizeof what, "shape %zu (n%d c%d %dx%d k%dx%d s%d p%d d%d)", i, q->n,
                 q->c, q->h, q->w, q->kh, q->kw, q->s, q->p, q->d);
        for (int j = 0; j < 3; j++)
            if (res[0][0][j] != -7.0f) fail_msg("%s: patches wrote before their offset", what);
        double *pref = th_malloc(rows * cols * sizeof *pref);
        ref_patches(pref, x, &g, ho, wo);
        th_assert_close(res[0][0] + 3, pref, rows * cols, 0, 0, what); /* a copy: exact */
        free(pref);
        const char *part[] = {"patches", "dx (col2im)", "dx accumulated", "dW"};
        for (int j = 0; j < 4; j++) {
            char w2[200];
            snprintf(w2, sizeof w2, "%s %s", what, part[j]);
            same_bits(res[0][j], res[1][j], j == 0 ? 3 + rows * cols : j == 3 ? K * cols : nx,
                      w2);
            free(res[0][j]);
            free(res[1][j]);
        }
        free(x), free(w), free(ds), free(dx0);
    }
    print_message("patches, col2im (fresh, accumulated, chunked) and dW: %zu shapes, host tasks "
                  "bit-identical to the OpenCL kernels\n", ns);
}

static void test_activations(void **state)
{
    (void)state;
    REQUIRE_PAIR();
    /* (n examples, K channels, T locations, example stride ld >= K*T) */
    const size_t cases[][4] = {{1, 1, 1, 1}, {3, 5, 7, 40}, {7, 32, 400, 12800},
                               {2, 64, 49, 3200}, {640, 7, 1, 9}, {5, 512, 1, 512}};
    const clkfac_nn_act acts[] = {CLKFAC_NN_ACT_RELU, CLKFAC_NN_ACT_IDENTITY, CLKFAC_NN_ACT_TANH};
    const float special[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e-40f, -1e-40f, 1.0f, -1.0f};
    th_rng r = {5};
    size_t n_runs = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        size_t n = cases[ci][0], K = cases[ci][1], T = cases[ci][2], ld = cases[ci][3];
        size_t ns = n * K * T, ny = (n - 1) * ld + K * T;
        float *s = th_malloc(ns * sizeof *s), *dy = th_malloc(ny * sizeof *dy);
        th_fill_normal(&r, s, ns, 1.0f);
        th_fill_normal(&r, dy, ny, 1.0f);
        for (size_t i = 0; i < ns; i += 3) s[i] = special[(i / 3) % 9];
        for (size_t i = 1; i < ny; i += 5) dy[i] = special[(i / 5 + 4) % 9];
        for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++) {
            float *res[2][2];
            clkfac_context *cx[2] = {g_host, g_cl};
            for (int e = 0; e < 2; e++) {
                clkfac_context *c = cx[e];
                cl_mem sb = upload(c, s, ns, 0), dyb = upload(c, dy, ny, 0);
                cl_mem yb = upload(c, NULL, ny, -3.0f), dsb = upload(c, NULL, ns, -3.0f);
                ok(clkfac_nn_act_forward(c, acts[ai], yb, 0, ld, sb, 0, n, K, T), "act forward");
                ok(clkfac_nn_act_backward(c, acts[ai], dsb, 0, dyb, 0, ld, sb, 0, n, K, T),
                   "act backward");
                res[e][0] = download(c, yb, ny, "y");
                res[e][1] = download(c, dsb, ns, "ds");
                clkfac_buffer_free(sb), clkfac_buffer_free(dyb), clkfac_buffer_free(yb);
                clkfac_buffer_free(dsb);
            }
            char what[160];
            snprintf(what, sizeof what, "activation %d, n%zu K%zu T%zu ld%zu", (int)acts[ai], n,
                     K, T, ld);
            /* y between the examples (ld > K*T) keeps its fill on both paths */
            same_bits(res[0][0], res[1][0], ny, what);
            same_bits(res[0][1], res[1][1], ns, what);
            if (ld > K * T && n > 1 && res[0][0][K * T] != -3.0f)
                fail_msg("%s: wrote between examples", what);
            /* relu of the reference, independently */
            if (acts[ai] == CLKFAC_NN_ACT_RELU)
                for (size_t i = 0; i < n * K * T; i++) {
                    size_t ex = i / (K * T), k = (i % (K * T)) / T, t = i % T;
                    float v = s[(ex * T + t) * K + k], y = res[0][0][ex * ld + k * T + t];
                    float want = isnan(v) ? 0.0f : v > 0.0f ? v : 0.0f;
                    if (!(y == want)) fail_msg("%s: relu(%g) = %g", what, v, y);
                }
            for (int e = 0; e < 2; e++) free(res[e][0]), free(res[e][1]);
            n_runs++;
        }
        free(s), free(dy);
    }
    print_message("activations forward/backward: %zu runs bit-identical host vs OpenCL\n",
                  n_runs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_and_options),
        cmocka_unit_test(test_patches_and_col2im),
        cmocka_unit_test(test_activations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
