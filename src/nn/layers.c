/* Layer forward/backward pairs on the device: dense and conv2d (KFC patches + GEMM against W_H,
 * col2im gather for the input gradient), activations fused with the rows <-> per-example
 * layout change. Each call enqueues a few kernels and CLBlast GEMMs and returns. */
#include "cl/ocl.h"
#include "clkfac/nn.h"
#include "kfac/hostconv.h"
#include "linalg/blas.h"

/* Kernels index with 32-bit integers: every extent plus offset must stay below 2^32. */
static clkfac_status fits_u32(size_t v, const char *what)
{
    if (v > 0xffffffffu)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s = %zu exceeds the 2^32 element limit of the "
                         "kernels", what, v);
    return CLKFAC_OK;
}

_Static_assert(CLKFAC_NN_ACT_RELU == ACT_RELU && CLKFAC_NN_ACT_TANH == ACT_TANH &&
                   CLKFAC_NN_ACT_ELU == ACT_ELU && CLKFAC_NN_ACT_IDENTITY == ACT_IDENTITY,
               "clkfac/nn.h activation codes differ from cl/shared.h");

static clkfac_status check_act(clkfac_nn_act act)
{
    if ((int)act < (int)CLKFAC_NN_ACT_RELU || (int)act > (int)CLKFAC_NN_ACT_IDENTITY)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "activation %d; expected relu (0), tanh (1), "
                         "elu (2) or identity (3)", (int)act);
    return CLKFAC_OK;
}

static clkfac_status append_ones(clkfac_context *ctx, cl_mem x, size_t x_off, size_t ld,
                                 cl_mem xh, size_t xh_off, size_t n, size_t d)
{
    clkfac_status st;
    size_t total = n * (d + 1);
    if ((st = fits_u32(x_off + n * ld, "dense input extent")) ||
        (st = fits_u32(xh_off + total, "dense homogeneous input extent")))
        return st;
    return ocl_run(ctx, "nn", "nn_append_ones", OCL_1D(total, CLKFAC_WG),
                   OCL_ARGS(OCL_M(x), OCL_U(x_off), OCL_U(ld), OCL_M(xh), OCL_U(xh_off), OCL_U(n),
                            OCL_U(d)));
}

static clkfac_status check_dense(size_t n, size_t d_in, size_t d_out)
{
    if (n == 0 || d_in == 0 || d_out == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "dense layer with n=%zu, d_in=%zu, d_out=%zu; "
                         "expected each >= 1", n, d_in, d_out);
    return CLKFAC_OK;
}

clkfac_status clkfac_nn_dense_forward(clkfac_context *ctx, cl_mem s, size_t s_off, cl_mem xh,
                                      size_t xh_off, cl_mem x, size_t x_off, size_t x_ld,
                                      cl_mem w, size_t w_off, size_t n, size_t d_in,
                                      size_t d_out)
{
    clkfac_status st = check_dense(n, d_in, d_out);
    if (st) return st;
    if (x) {
        if (x_ld < d_in)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "dense input leading dimension %zu < d_in "
                             "%zu", x_ld, d_in);
        if ((st = append_ones(ctx, x, x_off, x_ld, xh, xh_off, n, d_in))) return st;
    }
    return blas_gemm(ctx, BLAS_N, BLAS_T, n, d_out, d_in + 1, 1.0f, xh, xh_off, d_in + 1, w,
                     w_off, d_in + 1, 0.0f, s, s_off, d_out);
}

clkfac_status clkfac_nn_dense_backward(clkfac_context *ctx, cl_mem dx, size_t dx_off,
                                       size_t dx_ld, int accumulate, cl_mem dw, size_t dw_off,
                                       cl_mem ds, size_t ds_off, cl_mem xh, size_t xh_off,
                                       cl_mem w, size_t w_off, size_t n, size_t d_in,
                                       size_t d_out)
{
    clkfac_status st = check_dense(n, d_in, d_out);
    if (st) return st;
    if (dx && dx_ld < d_in)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "dense input-gradient leading dimension %zu < "
                         "d_in %zu", dx_ld, d_in);
    /* dW_H += DS^T X_H: the bias column of X_H is ones, so the bias gradient comes for free */
    if ((st = blas_gemm(ctx, BLAS_T, BLAS_N, d_out, d_in + 1, n, 1.0f, ds, ds_off, d_out, xh,
                        xh_off, d_in + 1, 1.0f, dw, dw_off, d_in + 1)))
        return st;
    if (!dx) return CLKFAC_OK;
    return blas_gemm(ctx, BLAS_N, BLAS_N, n, d_in, d_out, 1.0f, ds, ds_off, d_out, w, w_off,
                     d_in + 1, accumulate ? 1.0f : 0.0f, dx, dx_off, dx_ld);
}

/* The geometry the layer uses: always with the homogeneous column. */
static clkfac_status conv_geom(clkfac_conv_geom *out, int *ho, int *wo, const clkfac_conv_geom *g,
                               size_t c_out)
{
    if (!g) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv geometry is NULL");
    clkfac_conv_geom h = *g;
    h.bias = 1;
    clkfac_status st = clkfac_conv_out_size(ho, wo, &h);
    if (st) return st;
    if (c_out == 0 || c_out > 0x7fffffff)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv output channels %zu; expected >= 1",
                         c_out);
    *out = h;
    return CLKFAC_OK;
}

size_t clkfac_nn_conv_workspace(const clkfac_conv_geom *g)
{
    clkfac_conv_geom h;
    int ho, wo;
    if (conv_geom(&h, &ho, &wo, g, 1)) return 0;
    return clkfac_conv_patch_rows(&h) * (clkfac_conv_patch_cols(&h) - 1);
}

clkfac_status clkfac_nn_conv_forward(clkfac_context *ctx, cl_mem s, size_t s_off, cl_mem p,
                                     size_t p_off, cl_mem x, size_t x_off, cl_mem w,
                                     size_t w_off, const clkfac_conv_geom *g, size_t c_out)
{
    clkfac_conv_geom h;
    int ho, wo;
    clkfac_status st = conv_geom(&h, &ho, &wo, g, c_out);
    if (st) return st;
    size_t rows = clkfac_conv_patch_rows(&h), cols = clkfac_conv_patch_cols(&h);
    if ((st = clkfac_kfac_patches(ctx, &h, x, x_off, p, p_off))) return st;
    return blas_gemm(ctx, BLAS_N, BLAS_T, rows, c_out, cols, 1.0f, p, p_off, cols, w, w_off, cols,
                     0.0f, s, s_off, c_out);
}

static int gcd_int(int a, int b)
{
    while (b) {
        int r = a % b;
        a = b;
        b = r;
    }
    return a;
}

static clkfac_status col2im(clkfac_context *ctx, const clkfac_conv_geom *g, int ho, int wo,
                            cl_mem dp, size_t dp_off, size_t ld, cl_mem dx, size_t dx_off,
                            int accumulate)
{
    clkfac_status st;
    size_t total = (size_t)g->n * (size_t)g->c * (size_t)g->h * (size_t)g->w;
    if ((st = fits_u32(dx_off + total, "conv input-gradient extent")) ||
        (st = fits_u32(dp_off + clkfac_conv_patch_rows(g) * ld, "conv patch-gradient extent")))
        return st;
    if (hostconv_enabled(ctx))
        return hostconv_col2im(ctx, g, ho, wo, dp, dp_off, ld, dx, dx_off, accumulate);
    /* only every q-th kernel row (column) can land on the stride grid: q = s / gcd(s, d) */
    int qy = g->stride_h / gcd_int(g->stride_h, g->dil_h);
    int qx = g->stride_w / gcd_int(g->stride_w, g->dil_w);
    return ocl_run(ctx, "nn", "nn_col2im", OCL_1D(total, CLKFAC_WG),
                   OCL_ARGS(OCL_M(dp), OCL_U(dp_off), OCL_U(ld), OCL_M(dx), OCL_U(dx_off),
                            OCL_I(accumulate ? 1 : 0), OCL_I(g->c), OCL_I(g->h), OCL_I(g->w),
                            OCL_I(g->kh), OCL_I(g->kw), OCL_I(g->stride_h), OCL_I(g->stride_w),
                            OCL_I(g->pad_h), OCL_I(g->pad_w), OCL_I(g->dil_h), OCL_I(g->dil_w),
                            OCL_I(ho), OCL_I(wo), OCL_I(qy), OCL_I(qx), OCL_U(total)));
}

clkfac_status clkfac_nn_conv_backward(clkfac_context *ctx, cl_mem dx, size_t dx_off,
                                      int accumulate, cl_mem dw, size_t dw_off, cl_mem ds,
                                      size_t ds_off, cl_mem p, size_t p_off, cl_mem w,
                                      size_t w_off, const clkfac_conv_geom *g, size_t c_out,
                                      cl_mem work, size_t work_off, size_t work_n)
{
    clkfac_conv_geom h;
    int ho, wo;
    clkfac_status st = conv_geom(&h, &ho, &wo, g, c_out);
    if (st) return st;
    size_t rows = clkfac_conv_patch_rows(&h), cols = clkfac_conv_patch_cols(&h);
    size_t t = (size_t)ho * (size_t)wo, d = cols - 1, per = t * d;
    size_t chunk = work ? work_n / per : 0, img = (size_t)h.c * (size_t)h.h * (size_t)h.w;
    /* checked before anything is enqueued, so a failed call leaves dw as it was */
    if (dx && chunk == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv backward has a workspace of %zu floats; "
                         "the input gradient needs at least %zu (one example)",
                         work ? work_n : 0, per);
    if ((st = blas_gemm(ctx, BLAS_T, BLAS_N, c_out, cols, rows, 1.0f, ds, ds_off, c_out, p,
                        p_off, cols, 1.0f, dw, dw_off, cols)))
        return st;
    if (!dx) return CLKFAC_OK;
    /* dP = DS W (bias column dropped by reading d columns of W_H), gathered into dx; a
     * workspace smaller than the batch is used for a few examples at a time, and so is one
     * larger than the profile's chunk (what stays in cache between the two) */
    size_t cap = clkfac_context_profile(ctx)->conv_dx_chunk / per;
    if (cap > 0 && cap < chunk) chunk = cap;
    for (size_t a = 0; a < (size_t)h.n; a += chunk) {
        size_t m = (size_t)h.n - a < chunk ? (size_t)h.n - a : chunk;
        clkfac_conv_geom hc = h;
        hc.n = (int)m;
        if ((st = blas_gemm(ctx, BLAS_N, BLAS_N, m * t, d, c_out, 1.0f, ds, ds_off + a * t * c_out,
                            c_out, w, w_off, cols, 0.0f, work, work_off, d)) ||
            (st = col2im(ctx, &hc, ho, wo, work, work_off, d, dx, dx_off + a * img, accumulate)))
            return st;
    }
    return CLKFAC_OK;
}

static clkfac_status act_launch(clkfac_context *ctx, const char *name, clkfac_nn_act act,
                                cl_mem out, size_t out_off, cl_mem in, size_t in_off, size_t ld,
                                cl_mem s, size_t s_off, size_t n_ex, size_t k_dim, size_t t)
{
    clkfac_status st = check_act(act);
    if (st) return st;
    if (n_ex == 0 || k_dim == 0 || t == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "activation over n=%zu examples, %zu channels, "
                         "%zu locations; expected each >= 1", n_ex, k_dim, t);
    if (ld < k_dim * t)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "activation example stride %zu < channels %zu "
                         "x locations %zu", ld, k_dim, t);
    size_t total = n_ex * k_dim * t;
    if ((st = fits_u32(total + s_off, "activation extent")) ||
        (st = fits_u32(n_ex * ld + out_off + in_off, "activation per-example extent")))
        return st;
    if (hostconv_enabled(ctx) && hostconv_act_exact((int)act))
        return hostconv_act(ctx, (int)act, out, out_off, in, in_off, ld, s, s_off, n_ex, k_dim,
                            t);
    if (in) /* backward: the output gradient dy with its example stride */
        return ocl_run(ctx, "nn", name, OCL_1D(total, CLKFAC_WG),
                       OCL_ARGS(OCL_I(act), OCL_M(out), OCL_U(out_off), OCL_M(in), OCL_U(in_off),
                                OCL_U(ld), OCL_M(s), OCL_U(s_off), OCL_U(n_ex), OCL_U(k_dim),
                                OCL_U(t)));
    return ocl_run(ctx, "nn", name, OCL_1D(total, CLKFAC_WG),
                   OCL_ARGS(OCL_I(act), OCL_M(out), OCL_U(out_off), OCL_U(ld), OCL_M(s),
                            OCL_U(s_off), OCL_U(n_ex), OCL_U(k_dim), OCL_U(t)));
}

clkfac_status clkfac_nn_act_forward(clkfac_context *ctx, clkfac_nn_act act, cl_mem y,
                                    size_t y_off, size_t y_ld, cl_mem s, size_t s_off,
                                    size_t n_ex, size_t k_dim, size_t t)
{
    return act_launch(ctx, "nn_act_forward", act, y, y_off, NULL, 0, y_ld, s, s_off, n_ex, k_dim,
                      t);
}

clkfac_status clkfac_nn_act_backward(clkfac_context *ctx, clkfac_nn_act act, cl_mem ds,
                                     size_t ds_off, cl_mem dy, size_t dy_off, size_t dy_ld,
                                     cl_mem s, size_t s_off, size_t n_ex, size_t k_dim,
                                     size_t t)
{
    if (!dy) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "activation backward without dy");
    return act_launch(ctx, "nn_act_backward", act, ds, ds_off, dy, dy_off, dy_ld, s, s_off, n_ex,
                      k_dim, t);
}
