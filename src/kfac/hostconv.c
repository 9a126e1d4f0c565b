/* Host tasks for convolution's memory-bound ops (hostconv.h). Each task checks its operands'
 * extents before anything is enqueued: the native function cannot fail. */
#include <stdlib.h>
#include <string.h>

#include "../../cl/shared.h"
#include "kfac/hostconv.h"
#include "linalg/hostblas.h"

int hostconv_enabled(const clkfac_context *ctx) { return clkfac_context_profile(ctx)->conv_host; }

typedef struct conv_args {
    int c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, bias, accumulate;
    size_t x_off, p_off, ld;
} conv_args;

_Static_assert(sizeof(conv_args) <= HOSTBLAS_TASK_ARGS, "conv_args outgrows the task block");

static conv_args conv_args_of(const clkfac_conv_geom *g, int ho, int wo)
{
    conv_args a = {.c = g->c, .h = g->h, .w = g->w, .kh = g->kh, .kw = g->kw,
                   .sh = g->stride_h, .sw = g->stride_w, .ph = g->pad_h, .pw = g->pad_w,
                   .dh = g->dil_h, .dw = g->dil_w, .ho = ho, .wo = wo, .bias = g->bias};
    return a;
}

/* ---- patches: items are patch rows (n, oy, ox) --------------------------------------------- */

static void patches_rows(const hostblas_task *t, size_t begin, size_t end)
{
    conv_args a;
    memcpy(&a, t->args, sizeof a);
    const float *x = t->mem[0] + a.x_off;
    float *p = t->mem[1] + a.p_off;
    const size_t kk = (size_t)a.kh * (size_t)a.kw, D = (size_t)a.c * kk + (size_t)a.bias;
    const size_t plane = (size_t)a.h * (size_t)a.w, T = (size_t)a.ho * (size_t)a.wo;
    for (size_t row = begin; row < end; row++) {
        const size_t n = row / T, tt = row % T;
        const int oy = (int)(tt / (size_t)a.wo), ox = (int)(tt % (size_t)a.wo);
        const int x0 = ox * a.sw - a.pw, x_last = x0 + (a.kw - 1) * a.dw;
        const int inside_x = x0 >= 0 && x_last < a.w;
        float *out = p + row * D;
        const float *xn = x + n * (size_t)a.c * plane;
        for (int c = 0; c < a.c; c++) {
            const float *xc = xn + (size_t)c * plane;
            for (int ky = 0; ky < a.kh; ky++, out += a.kw) {
                const int iy = oy * a.sh - a.ph + ky * a.dh;
                /* short runs: plain loops beat memcpy/memset calls (2x on the Atari conv1) */
                if (iy < 0 || iy >= a.h) {
                    for (int kx = 0; kx < a.kw; kx++) out[kx] = 0.0f;
                    continue;
                }
                const float *xr = xc + (size_t)iy * (size_t)a.w;
                if (inside_x && a.dw == 1) {
                    for (int kx = 0; kx < a.kw; kx++) out[kx] = xr[x0 + kx];
                    continue;
                }
                for (int kx = 0; kx < a.kw; kx++) {
                    const int ix = x0 + kx * a.dw;
                    out[kx] = ix >= 0 && ix < a.w ? xr[ix] : 0.0f;
                }
            }
        }
        if (a.bias) *out = 1.0f;
    }
}

clkfac_status hostconv_patches(clkfac_context *ctx, const clkfac_conv_geom *g, int ho, int wo,
                               cl_mem x, size_t x_off, cl_mem p, size_t p_off)
{
    static const char fn[] = "patch expansion (host)";
    const size_t rows = (size_t)g->n * (size_t)ho * (size_t)wo;
    const size_t cols = clkfac_conv_patch_cols(g);
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "x", x, x_off,
                               (size_t)g->n * (size_t)g->c * (size_t)g->h * (size_t)g->w)) ||
        (st = ocl_check_buffer(fn, "p", p, p_off, rows * cols)))
        return st;
    conv_args a = conv_args_of(g, ho, wo);
    a.x_off = x_off;
    a.p_off = p_off;
    hostblas_task t = {.fn = patches_rows, .items = rows, .min_items = 64};
    memcpy(t.args, &a, sizeof a);
    cl_mem bufs[2] = {x, p};
    const int wr[2] = {0, 1};
    return hostblas_task_enqueue(ctx, &t, bufs, wr, 2);
}

/* ---- col2im: items are examples ------------------------------------------------------------
 * The OpenCL kernel gathers, for each input element, its patch entries in the order (ky, kx)
 * ascending, starting from 0. Scattering the patch rows of one example in reverse order
 * (oy, ox descending) adds into each element in exactly that order (oy descending is ky
 * ascending, ox descending kx ascending), so the sums round the same; the scatter reads dp
 * sequentially and writes one example's gradient, which stays in cache. */
static void col2im_examples(const hostblas_task *t, size_t begin, size_t end)
{
    conv_args a;
    memcpy(&a, t->args, sizeof a);
    const float *dp = t->mem[0] + a.p_off;
    float *dx = t->mem[1] + a.x_off;
    const size_t plane = (size_t)a.h * (size_t)a.w, img = (size_t)a.c * plane;
    const size_t T = (size_t)a.ho * (size_t)a.wo;
    float *acc = malloc(img * sizeof *acc);
    if (!acc) abort(); /* one example's gradient: a host that cannot hold it cannot go on */
    for (size_t n = begin; n < end; n++) {
        memset(acc, 0, img * sizeof *acc);
        for (int oy = a.ho - 1; oy >= 0; oy--) {
            for (int ox = a.wo - 1; ox >= 0; ox--) {
                const float *d = dp + (n * T + (size_t)oy * (size_t)a.wo + (size_t)ox) * a.ld;
                const int x0 = ox * a.sw - a.pw, y0 = oy * a.sh - a.ph;
                if (a.dw == 1 && x0 >= 0 && x0 + a.kw <= a.w && y0 >= 0 &&
                    y0 + (a.kh - 1) * a.dh < a.h) {
                    /* the whole patch inside the input: no bounds to check */
                    for (int c = 0; c < a.c; c++) {
                        float *ac = acc + (size_t)c * plane + (size_t)y0 * (size_t)a.w + x0;
                        for (int ky = 0; ky < a.kh; ky++, d += a.kw) {
                            float *ar = ac + (size_t)(ky * a.dh) * (size_t)a.w;
                            for (int kx = 0; kx < a.kw; kx++) ar[kx] += d[kx];
                        }
                    }
                    continue;
                }
                for (int c = 0; c < a.c; c++) {
                    float *ac = acc + (size_t)c * plane;
                    for (int ky = 0; ky < a.kh; ky++, d += a.kw) {
                        const int iy = oy * a.sh - a.ph + ky * a.dh;
                        if (iy < 0 || iy >= a.h) continue;
                        float *ar = ac + (size_t)iy * (size_t)a.w;
                        for (int kx = 0; kx < a.kw; kx++) {
                            const int ix = x0 + kx * a.dw;
                            if (ix >= 0 && ix < a.w) ar[ix] += d[kx];
                        }
                    }
                }
            }
        }
        float *out = dx + n * img;
        if (a.accumulate)
            for (size_t i = 0; i < img; i++) out[i] += acc[i];
        else
            memcpy(out, acc, img * sizeof *acc);
    }
    free(acc);
}

clkfac_status hostconv_col2im(clkfac_context *ctx, const clkfac_conv_geom *g, int ho, int wo,
                              cl_mem dp, size_t dp_off, size_t ld, cl_mem dx, size_t dx_off,
                              int accumulate)
{
    static const char fn[] = "col2im (host)";
    const size_t rows = (size_t)g->n * (size_t)ho * (size_t)wo;
    const size_t d = (size_t)g->c * (size_t)g->kh * (size_t)g->kw;
    if (ld < d)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: patch-gradient leading dimension %zu < %zu "
                         "columns", fn, ld, d);
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "dp", dp, dp_off, (rows - 1) * ld + d)) ||
        (st = ocl_check_buffer(fn, "dx", dx, dx_off,
                               (size_t)g->n * (size_t)g->c * (size_t)g->h * (size_t)g->w)))
        return st;
    conv_args a = conv_args_of(g, ho, wo);
    a.p_off = dp_off;
    a.x_off = dx_off;
    a.ld = ld;
    a.accumulate = accumulate ? 1 : 0;
    hostblas_task t = {.fn = col2im_examples, .items = (size_t)g->n, .min_items = 1};
    memcpy(t.args, &a, sizeof a);
    cl_mem bufs[2] = {dp, dx};
    const int wr[2] = {0, 1};
    return hostblas_task_enqueue(ctx, &t, bufs, wr, 2);
}

/* ---- activations with the layout change: items are examples -------------------------------- */

typedef struct act_args {
    int act, backward;
    size_t out_off, dy_off, ld, s_off, k, t;
} act_args;

int hostconv_act_exact(int act) { return act == ACT_RELU || act == ACT_IDENTITY; }

/* cl/prelude.cl's act_f and act_df for the exact activations: fmax(s, 0), which gives 0 for a
 * NaN s and +0 for s = -0 under PoCL (test_hostconv pins both), and the step s > 0. */
static inline float relu_f(float s) { return s > 0.0f ? s : 0.0f; }

static void act_examples(const hostblas_task *t, size_t begin, size_t end)
{
    act_args a;
    memcpy(&a, t->args, sizeof a);
    float *out = t->mem[0] + a.out_off;
    const float *dy = t->mem[1] ? t->mem[1] + a.dy_off : NULL, *s = t->mem[2] + a.s_off;
    const size_t K = a.k, T = a.t, per = K * T;
    const int relu = a.act == ACT_RELU;
    for (size_t n = begin; n < end; n++) {
        const float *sn = s + n * per;
        if (!a.backward) {
            float *y = out + n * a.ld;
            for (size_t tt = 0; tt < T; tt++)
                for (size_t k = 0; k < K; k++) {
                    const float v = sn[tt * K + k];
                    y[k * T + tt] = relu ? relu_f(v) : v;
                }
        } else {
            float *ds = out + n * per;
            const float *d = dy + n * a.ld;
            for (size_t tt = 0; tt < T; tt++)
                for (size_t k = 0; k < K; k++) {
                    const float v = sn[tt * K + k];
                    ds[tt * K + k] = d[k * T + tt] * (relu ? (v > 0.0f ? 1.0f : 0.0f) : 1.0f);
                }
        }
    }
}

clkfac_status hostconv_act(clkfac_context *ctx, int act, cl_mem out, size_t out_off, cl_mem dy,
                           size_t dy_off, size_t ld, cl_mem s, size_t s_off, size_t n_ex,
                           size_t k_dim, size_t t)
{
    static const char fn[] = "activation (host)";
    if (!hostconv_act_exact(act))
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "%s: activation %d has no exact host form", fn, act);
    const size_t per = k_dim * t, strided = (n_ex - 1) * ld + per;
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "s", s, s_off, n_ex * per)) ||
        (st = ocl_check_buffer(fn, dy ? "ds" : "y", out, out_off, dy ? n_ex * per : strided)) ||
        (dy && (st = ocl_check_buffer(fn, "dy", dy, dy_off, strided))))
        return st;
    act_args a = {.act = act, .backward = dy != NULL, .out_off = out_off, .dy_off = dy_off,
                  .ld = ld, .s_off = s_off, .k = k_dim, .t = t};
    hostblas_task h = {.fn = act_examples, .items = n_ex,
                       .min_items = per >= 4096 ? 1 : 4096 / per + 1};
    memcpy(h.args, &a, sizeof a);
    cl_mem bufs[3] = {out, dy, s};
    const int wr[3] = {1, 0, 0};
    return hostblas_task_enqueue(ctx, &h, bufs, wr, 3);
}
