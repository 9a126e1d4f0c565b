/* Forward-mode differentiation (the R-op) of a network along a parameter direction v: every
 * layer's J v of its pre-activation and output, seeded by the saved inputs of the last forward,
 * so a Fisher-vector product costs one R-op plus one backward pass (TRPO). */
#include <stdlib.h>

#include "linalg/blas.h"
#include "nn/nn_internal.h"

struct clkfac_nn_rop_state {
    clkfac_nn *net;
    cl_mem *js;      /* per layer: J v of the pre-activation (max*T, d_out), rows form */
    cl_mem *jy;      /* per trunk layer: J v of its output, laid out like y (zero ones column) */
    cl_mem patches;  /* patch matrix of a conv layer's input direction (no ones column) */
    cl_mem *bufs;
    size_t n_bufs;
};

static clkfac_status rop_buf(clkfac_nn_rop_state *r, cl_mem *out, size_t n)
{
    clkfac_status st = clkfac_buffer_create(out, r->net->ctx, n ? n : 1);
    if (st) return st;
    r->bufs[r->n_bufs++] = *out;
    /* zero once: the homogeneous column of a direction must stay 0 (the ones column of an
     * input does not depend on the parameters) */
    return clkfac_buffer_fill(r->net->ctx, *out, 0, 0.0f, n ? n : 1);
}

void clkfac_nn_rop_free(clkfac_nn_rop_state *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_bufs; i++) clkfac_buffer_free(r->bufs[i]);
    free(r->bufs);
    free(r->js);
    free(r->jy);
    free(r);
}

clkfac_status clkfac_nn_rop_create(clkfac_nn_rop_state **out, clkfac_nn *net)
{
    if (!out || !net) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rop: out or net is NULL");
    clkfac_nn_rop_state *r = core_calloc(1, sizeof *r);
    if (!r) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    clkfac_status st = CLKFAC_OK;
    r->net = net;
    r->js = core_calloc(net->n_layers, sizeof *r->js);
    r->jy = core_calloc(net->n_layers, sizeof *r->jy);
    r->bufs = core_calloc(2 * net->n_layers + 1, sizeof *r->bufs);
    if (!r->js || !r->jy || !r->bufs) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        goto cleanup;
    }
    size_t mb = net->max_batch, patch = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        const nn_layer *l = &net->layers[i];
        const clkfac_nn_layer_info *L = &l->info;
        CORE_TRY(rop_buf(r, &r->js[i], mb * L->locations * L->d_out));
        if (L->is_head) continue;
        CORE_TRY(rop_buf(r, &r->jy[i], mb * l->y_ld));
        /* the first layer's input does not depend on the parameters: no patches needed */
        if (L->kind == CLKFAC_NN_CONV && i > 0) {
            size_t p = mb * L->locations * (L->d_in_h - 1);
            if (p > patch) patch = p;
        }
    }
    if (patch) CORE_TRY(rop_buf(r, &r->patches, patch));
    *out = r;
    return CLKFAC_OK;
cleanup:
    clkfac_nn_rop_free(r);
    return st;
}

static clkfac_status rop_act(clkfac_context *ctx, clkfac_nn_act act, cl_mem jy, size_t y_ld,
                             cl_mem s, cl_mem js, size_t n, size_t k_dim, size_t t)
{
    return ocl_run(ctx, "rop", "rop_act", OCL_1D(n * k_dim * t, CLKFAC_WG),
                   OCL_ARGS(OCL_I(act), OCL_M(jy), OCL_U(y_ld), OCL_M(s), OCL_M(js), OCL_U(n),
                            OCL_U(k_dim), OCL_U(t)));
}

clkfac_status clkfac_nn_rop(clkfac_nn_rop_state *r, size_t n, cl_mem v, size_t v_off)
{
    if (!r || !v) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rop: state or direction is NULL");
    clkfac_nn *net = r->net;
    if (n != net->batch || n < 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rop with n = %zu after a forward with n = %zu; "
                         "expected the same batch", n, net->batch);
    clkfac_context *ctx = net->ctx;
    clkfac_status st;
    for (size_t i = 0; i < net->n_layers; i++) {
        const nn_layer *l = &net->layers[i];
        const clkfac_nn_layer_info *L = &l->info;
        size_t rows = n * L->locations, cols = L->d_in_h;
        /* Jv_s = X_H V_H^T (the direction's own block, on the saved input) ... */
        if ((st = blas_gemm(ctx, BLAS_N, BLAS_T, rows, L->d_out, cols, 1.0f, l->xh, 0, cols, v,
                            v_off + L->offset, cols, 0.0f, r->js[i], 0, L->d_out)))
            return st;
        /* ... + (J v of the input) W^T, for every layer whose input depends on the parameters:
         * heads read the last trunk output, later trunk layers the previous layer's output */
        size_t prev = L->is_head ? net->n_trunk : i;
        if (prev > 0) {
            cl_mem jx = r->jy[prev - 1];
            if (L->kind == CLKFAC_NN_CONV) {
                clkfac_conv_geom g = L->geom;
                g.n = (int)n;
                g.bias = 0;
                if ((st = clkfac_kfac_patches(ctx, &g, jx, 0, r->patches, 0)) ||
                    (st = blas_gemm(ctx, BLAS_N, BLAS_T, rows, L->d_out, cols - 1, 1.0f,
                                    r->patches, 0, cols - 1, net->params, L->offset, cols, 1.0f,
                                    r->js[i], 0, L->d_out)))
                    return st;
            } else if ((st = blas_gemm(ctx, BLAS_N, BLAS_T, rows, L->d_out, cols, 1.0f, jx, 0,
                                       cols, net->params, L->offset, cols, 1.0f, r->js[i], 0,
                                       L->d_out))) {
                /* jx rows carry a zero homogeneous column, so the bias column adds nothing */
                return st;
            }
        }
        if (!L->is_head &&
            (st = rop_act(ctx, L->act, r->jy[i], l->y_ld, l->s, r->js[i], n, (size_t)L->out_c,
                          L->locations)))
            return st;
    }
    return CLKFAC_OK;
}

clkfac_status clkfac_nn_rop_output(clkfac_nn_view *out, const clkfac_nn_rop_state *r,
                                   size_t h)
{
    const clkfac_nn *net = r->net;
    size_t n_out = clkfac_nn_output_count(net);
    if (h >= n_out)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rop output %zu; the network has %zu", h, n_out);
    clkfac_nn_view v;
    if (net->n_layers == net->n_trunk) {
        v.buf = r->jy[net->n_trunk - 1];
        v.off = 0;
        v.rows = net->batch;
        v.cols = net->feat_size;
        v.ld = net->feat_size + 1;
    } else {
        const clkfac_nn_layer_info *L = &net->layers[net->n_trunk + h].info;
        v.buf = r->js[net->n_trunk + h];
        v.off = 0;
        v.rows = net->batch;
        v.cols = L->d_out;
        v.ld = L->d_out;
    }
    *out = v;
    return CLKFAC_OK;
}
