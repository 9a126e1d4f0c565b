/* Sequential networks: a trunk of conv/dense layers with one activation, plus named linear heads
 * reading the trunk's features. Creation lays out the flat parameter vector and allocates every
 * saved tensor once; forward and backward then only enqueue layer calls (layers.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define MAX_TRUNK 64

static size_t out_size(const clkfac_nn_layer_info *L)
{
    return (size_t)L->out_c * (size_t)L->out_h * (size_t)L->out_w;
}

static clkfac_status new_buf(clkfac_nn *net, cl_mem *out, size_t n)
{
    clkfac_status st = clkfac_buffer_create(out, net->ctx, n ? n : 1);
    if (st) return st;
    net->bufs[net->n_bufs++] = *out;
    return CLKFAC_OK;
}

void clkfac_nn_free(clkfac_nn *net)
{
    if (!net) return;
    for (size_t i = 0; i < net->n_bufs; i++) clkfac_buffer_free(net->bufs[i]);
    free(net->bufs);
    free(net->layers);
    free(net->describe);
    free(net);
}

/* ---- validation and layout ------------------------------------------------------------------ */

static clkfac_status check_options(const clkfac_nn_options *o, size_t n_layers)
{
    if (o->version != CLKFAC_NN_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "nn options version %u; expected %u",
                         o->version, CLKFAC_NN_OPTIONS_VERSION);
    if ((int)o->act < 0 || (int)o->act > (int)CLKFAC_NN_ACT_IDENTITY)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "nn options act = %d; expected a "
                         "clkfac_nn_act value", (int)o->act);
    if (!(o->gain > 0.0f) || !isfinite(o->gain))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "nn options gain = %g; expected a positive "
                         "number", (double)o->gain);
    if (o->n_heads && !o->heads)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "nn options n_heads = %zu but heads is NULL",
                         o->n_heads);
    if (n_layers + o->n_heads == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "a network with no layers and no heads; "
                         "expected at least one of either");
    for (size_t h = 0; h < o->n_heads; h++) {
        const clkfac_nn_head_spec *hs = &o->heads[h];
        if (!hs->name || !*hs->name || strlen(hs->name) >= sizeof ((clkfac_nn_layer_info *)0)->name)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "head %zu name '%s'; expected 1 to 23 "
                             "characters", h, hs->name ? hs->name : "(null)");
        if (hs->units < 1)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "head '%s' units = %d; expected >= 1",
                             hs->name, hs->units);
        if (!(hs->gain > 0.0f) || !isfinite(hs->gain))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "head '%s' gain = %g; expected a positive "
                             "number (baselines: 0.01 policy, 1.0 value)", hs->name,
                             (double)hs->gain);
        for (size_t j = 0; j < h; j++)
            if (!strcmp(o->heads[j].name, hs->name))
                return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "head name '%s' used twice", hs->name);
    }
    return CLKFAC_OK;
}

static void spec_str(char *buf, size_t cap, const clkfac_nn_layer_spec *l)
{
    if (l->kind == CLKFAC_NN_CONV)
        snprintf(buf, cap, "conv:%d,%d,%d,%d", l->units, l->kernel, l->stride, l->pad);
    else
        snprintf(buf, cap, "dense:%d", l->units);
}

/* Fills the trunk's layer records from the specs, walking the per-example shape (c, h, w). */
static clkfac_status layout_trunk(clkfac_nn *net, const clkfac_nn_layer_spec *layers,
                                  const clkfac_nn_options *o, size_t *offset)
{
    int c = net->in_shape[0], h = net->in_shape[1], w = net->in_shape[2];
    int flat = net->in_rank == 1; /* no spatial structure left: conv not allowed */
    for (size_t i = 0; i < net->n_trunk; i++) {
        const clkfac_nn_layer_spec *l = &layers[i];
        clkfac_nn_layer_info *L = &net->layers[i].info;
        char tok[64];
        spec_str(tok, sizeof tok, l);
        if (l->units < 1 || (l->kind != CLKFAC_NN_DENSE && l->kind != CLKFAC_NN_CONV) ||
            (l->gain != 0.0f && (!(l->gain > 0.0f) || !isfinite(l->gain))))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trunk layer %zu (%s, kind %d, gain %g): "
                             "expected a dense or conv layer with units >= 1 and gain >= 0", i,
                             tok, (int)l->kind, (double)l->gain);
        L->kind = l->kind;
        L->act = o->act;
        L->gain = l->gain != 0.0f ? l->gain : o->gain;
        L->locations = 1;
        if (l->kind == CLKFAC_NN_CONV) {
            if (flat)
                return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trunk layer %zu (%s): a convolution "
                                 "needs a (C,H,W) input, but %s", i, tok,
                                 net->in_rank == 1 ? "the network input is rank 1 (D)"
                                                   : "it follows a dense layer");
            clkfac_conv_geom g = {(int)net->max_batch, c, h, w, l->kernel, l->kernel,
                                  l->stride, l->stride, l->pad, l->pad, 1, 1, 1};
            int ho = 0, wo = 0;
            if (l->kernel < 1 || l->stride < 1 || l->pad < 0 ||
                clkfac_conv_out_size(&ho, &wo, &g) != CLKFAC_OK) {
                char why[256];
                snprintf(why, sizeof why, "%s", clkfac_last_error());
                return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trunk layer %zu (%s) on a (%d,%d,%d) "
                                 "input: expected kernel >= 1, stride >= 1, pad >= 0 and a "
                                 "kernel that fits (%s)", i, tok, c, h, w, why);
            }
            snprintf(L->name, sizeof L->name, "conv%zu", i);
            L->geom = g;
            L->d_in_h = clkfac_conv_patch_cols(&g);
            L->locations = (size_t)ho * (size_t)wo;
            c = l->units;
            h = ho;
            w = wo;
        } else {
            snprintf(L->name, sizeof L->name, "dense%zu", i);
            L->d_in_h = (size_t)c * (size_t)h * (size_t)w + 1;
            c = l->units;
            h = w = 1;
            flat = 1;
        }
        L->d_out = (size_t)l->units;
        L->out_c = c;
        L->out_h = h;
        L->out_w = w;
        L->offset = *offset;
        *offset += L->d_out * L->d_in_h;
    }
    net->feat_size = (size_t)c * (size_t)h * (size_t)w;
    for (size_t k = 0; k < o->n_heads; k++) {
        clkfac_nn_layer_info *L = &net->layers[net->n_trunk + k].info;
        const clkfac_nn_head_spec *hs = &o->heads[k];
        snprintf(L->name, sizeof L->name, "%s", hs->name);
        L->kind = CLKFAC_NN_DENSE;
        L->is_head = 1;
        L->act = CLKFAC_NN_ACT_IDENTITY;
        L->gain = hs->gain;
        L->d_out = (size_t)hs->units;
        L->d_in_h = net->feat_size + 1;
        L->locations = 1;
        L->out_c = hs->units;
        L->out_h = L->out_w = 1;
        L->offset = *offset;
        *offset += L->d_out * L->d_in_h;
    }
    return CLKFAC_OK;
}

/* Every buffer, sized for max_batch. Dense inputs and the features carry their ones column
 * from here on: the producing activation writes only the first columns of each row. */
static clkfac_status allocate(clkfac_nn *net)
{
    clkfac_status st;
    size_t mb = net->max_batch, work = 0;
    if ((st = new_buf(net, &net->params, net->n_params)) ||
        (st = new_buf(net, &net->grads, net->n_params)) ||
        (st = new_buf(net, &net->feat, mb * (net->feat_size + 1))) ||
        (st = new_buf(net, &net->dfeat, mb * net->feat_size)) ||
        (st = clkfac_buffer_fill(net->ctx, net->feat, 0, 1.0f, mb * (net->feat_size + 1))) ||
        (st = clkfac_buffer_fill(net->ctx, net->grads, 0, 0.0f, net->n_params)))
        return st;
    for (size_t i = 0; i < net->n_layers; i++) {
        nn_layer *l = &net->layers[i];
        const clkfac_nn_layer_info *L = &l->info;
        size_t rows = mb * L->locations, out = out_size(L);
        if ((st = new_buf(net, &l->s, rows * L->d_out)) ||
            (st = new_buf(net, &l->ds, rows * L->d_out)))
            return st;
        if (L->is_head) {
            l->xh = net->feat;
            continue;
        }
        if (L->kind == CLKFAC_NN_CONV) {
            if ((st = new_buf(net, &l->xh, rows * L->d_in_h))) return st;
            /* the whole batch at once, except for the network input's gradient (rarely
             * wanted, and for a first layer on large images the biggest of all), which goes
             * in chunks through whatever the other layers need */
            size_t ws = clkfac_nn_conv_workspace(&L->geom);
            if (i == 0) ws /= mb;
            if (ws > work) work = ws;
        } else if (i == 0) {
            if ((st = new_buf(net, &l->xh, mb * L->d_in_h))) return st;
        } else {
            l->xh = net->layers[i - 1].y;
        }
        if (i + 1 == net->n_trunk) {
            l->y = net->feat;
            l->y_ld = out + 1;
            l->dy = net->dfeat;
            l->dy_ld = out;
            continue;
        }
        int next_dense = net->layers[i + 1].info.kind == CLKFAC_NN_DENSE;
        l->y_ld = out + (next_dense ? 1 : 0);
        l->dy_ld = out;
        if ((st = new_buf(net, &l->y, mb * l->y_ld)) || (st = new_buf(net, &l->dy, mb * out)))
            return st;
        if (next_dense && (st = clkfac_buffer_fill(net->ctx, l->y, 0, 1.0f, mb * l->y_ld)))
            return st;
    }
    if (net->n_trunk == 0) net->layers[0].xh = net->feat;
    if (work && (st = new_buf(net, &net->work, work))) return st;
    net->work_n = work;
    return CLKFAC_OK;
}

static clkfac_status make_describe(clkfac_nn *net)
{
    size_t cap = 64 + 48 * net->n_layers, len = 0;
    char *d = malloc(cap);
    if (!d) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    if (net->in_rank == 3)
        len += (size_t)snprintf(d + len, cap - len, "in(%d,%d,%d)", net->in_shape[0],
                                net->in_shape[1], net->in_shape[2]);
    else
        len += (size_t)snprintf(d + len, cap - len, "in(%d)", net->in_shape[0]);
    for (size_t i = 0; i < net->n_layers; i++) {
        const clkfac_nn_layer_info *L = &net->layers[i].info;
        const char *sep = (i == net->n_trunk) ? " |" : "";
        if (L->is_head)
            len += (size_t)snprintf(d + len, cap - len, "%s %s:%zu", sep, L->name, L->d_out);
        else if (L->kind == CLKFAC_NN_CONV)
            len += (size_t)snprintf(d + len, cap - len, " conv:%zu,%d,%d,%d", L->d_out,
                                    L->geom.kh, L->geom.stride_h, L->geom.pad_h);
        else
            len += (size_t)snprintf(d + len, cap - len, " dense:%zu", L->d_out);
    }
    snprintf(d + len, cap - len, " act=%s params=%zu", clkfac_nn_act_name(net->act),
             net->n_params);
    net->describe = d;
    return CLKFAC_OK;
}

clkfac_status clkfac_nn_create(clkfac_nn **out, clkfac_context *ctx,
                               const clkfac_nn_layer_spec *layers, size_t n_layers,
                               const int *shape, size_t rank, size_t max_batch,
                               const clkfac_nn_options *opts)
{
    clkfac_nn_options defaults = CLKFAC_NN_OPTIONS_INIT;
    if (!opts) opts = &defaults;
    if (!out || !ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "out or ctx is NULL");
    if (n_layers && !layers)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "n_layers = %zu but layers is NULL", n_layers);
    if (n_layers > MAX_TRUNK)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%zu trunk layers; expected at most %d",
                         n_layers, MAX_TRUNK);
    if (!shape || (rank != 1 && rank != 3))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "input shape of rank %zu; expected (C,H,W) or "
                         "(D)", rank);
    for (size_t i = 0; i < rank; i++)
        if (shape[i] < 1)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "input shape dimension %zu = %d; expected "
                             ">= 1", i, shape[i]);
    if (max_batch < 1 || max_batch > 0x7fffffff)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "max_batch = %zu; expected in [1, 2^31)",
                         max_batch);
    clkfac_status st = check_options(opts, n_layers);
    if (st) return st;

    clkfac_nn *net = core_calloc(1, sizeof *net);
    if (!net) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    net->ctx = ctx;
    net->n_trunk = n_layers;
    net->n_layers = n_layers + opts->n_heads;
    net->in_rank = rank;
    net->in_shape[0] = shape[0];
    net->in_shape[1] = rank == 3 ? shape[1] : 1;
    net->in_shape[2] = rank == 3 ? shape[2] : 1;
    net->in_size = (size_t)net->in_shape[0] * (size_t)net->in_shape[1] * (size_t)net->in_shape[2];
    net->max_batch = net->batch = max_batch;
    net->act = opts->act;
    net->layers = core_calloc(net->n_layers, sizeof *net->layers);
    net->bufs = core_calloc(6 * net->n_layers + 8, sizeof *net->bufs);
    if (!net->layers || !net->bufs) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        goto cleanup;
    }
    CORE_TRY(layout_trunk(net, layers, opts, &net->n_params));
    CORE_TRY(allocate(net));
    CORE_TRY(make_describe(net));
    CORE_TRY(clkfac_nn_init_params(net, opts->seed));
    *out = net;
    return CLKFAC_OK;
cleanup:
    clkfac_nn_free(net);
    return st;
}

clkfac_status clkfac_nn_create_str(clkfac_nn **out, clkfac_context *ctx, const char *spec,
                                   const int *shape, size_t rank, size_t max_batch,
                                   const clkfac_nn_options *opts)
{
    clkfac_nn_layer_spec layers[MAX_TRUNK];
    size_t n = 0;
    clkfac_status st = clkfac_nn_parse(layers, MAX_TRUNK, &n, spec);
    if (st) return st;
    return clkfac_nn_create(out, ctx, layers, n, shape, rank, max_batch, opts);
}

clkfac_status clkfac_nn_init_params(clkfac_nn *net, uint64_t seed)
{
    float *w = core_calloc(net->n_params ? net->n_params : 1, sizeof *w);
    if (!w) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "no host memory for %zu parameters",
                             net->n_params);
    clkfac_status st = nn_init_host(net, seed, w);
    if (!st) st = clkfac_buffer_write(net->ctx, net->params, 0, w, net->n_params);
    free(w);
    return st;
}

/* ---- forward and backward ------------------------------------------------------------------ */

static clkfac_status check_batch(const clkfac_nn *net, size_t n)
{
    if (n < 1 || n > net->max_batch)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "batch n = %zu; expected 1 <= n <= max_batch "
                         "%zu", n, net->max_batch);
    return CLKFAC_OK;
}

static clkfac_conv_geom geom_at(const clkfac_nn_layer_info *L, size_t n)
{
    clkfac_conv_geom g = L->geom;
    g.n = (int)n;
    return g;
}

clkfac_status clkfac_nn_forward(clkfac_nn *net, size_t n, cl_mem x, size_t x_off)
{
    clkfac_status st = check_batch(net, n);
    if (st) return st;
    if (!x) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "forward input x is NULL");
    clkfac_context *ctx = net->ctx;
    for (size_t i = 0; i < net->n_layers; i++) {
        nn_layer *l = &net->layers[i];
        const clkfac_nn_layer_info *L = &l->info;
        /* the first layer reads x; later trunk layers find their input already in place (a
         * dense X_H or the previous conv's output), heads read the features */
        cl_mem in = i == 0 ? x : (L->kind == CLKFAC_NN_CONV ? net->layers[i - 1].y : NULL);
        size_t in_off = i == 0 ? x_off : 0;
        if (L->kind == CLKFAC_NN_CONV) {
            clkfac_conv_geom g = geom_at(L, n);
            st = clkfac_nn_conv_forward(ctx, l->s, 0, l->xh, 0, in, in_off, net->params,
                                        L->offset, &g, L->d_out);
        } else {
            st = clkfac_nn_dense_forward(ctx, l->s, 0, l->xh, 0, in, in_off, L->d_in_h - 1,
                                         net->params, L->offset, n, L->d_in_h - 1, L->d_out);
        }
        if (st) return st;
        if (!L->is_head &&
            (st = clkfac_nn_act_forward(ctx, L->act, l->y, 0, l->y_ld, l->s, 0, n,
                                        (size_t)L->out_c, L->locations)))
            return st;
    }
    net->batch = n;
    return CLKFAC_OK;
}

clkfac_status clkfac_nn_backward(clkfac_nn *net, size_t n, cl_mem dx, size_t dx_off)
{
    clkfac_status st = check_batch(net, n);
    if (st) return st;
    if (n > net->batch)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "backward with n = %zu after a forward with n = "
                         "%zu; expected at most the forward's batch (its first n examples)", n,
                         net->batch);
    clkfac_context *ctx = net->ctx;
    /* heads: their DS is what the loss wrote; the features' gradient sums over heads */
    cl_mem feat_grad = net->n_trunk ? net->dfeat : dx;
    size_t fg_off = net->n_trunk ? 0 : dx_off;
    for (size_t h = net->n_trunk; h < net->n_layers; h++) {
        nn_layer *l = &net->layers[h];
        const clkfac_nn_layer_info *L = &l->info;
        if ((st = clkfac_nn_dense_backward(ctx, feat_grad, fg_off, net->feat_size,
                                           h > net->n_trunk, net->grads, L->offset, l->ds, 0,
                                           l->xh, 0, net->params, L->offset, n, net->feat_size,
                                           L->d_out)))
            return st;
    }
    for (size_t i = net->n_trunk; i-- > 0;) {
        nn_layer *l = &net->layers[i];
        const clkfac_nn_layer_info *L = &l->info;
        if ((st = clkfac_nn_act_backward(ctx, L->act, l->ds, 0, l->dy, 0, l->dy_ld, l->s, 0, n,
                                         (size_t)L->out_c, L->locations)))
            return st;
        cl_mem gin = i > 0 ? net->layers[i - 1].dy : dx;
        size_t gin_off = i > 0 ? 0 : dx_off;
        if (L->kind == CLKFAC_NN_CONV) {
            clkfac_conv_geom g = geom_at(L, n);
            st = clkfac_nn_conv_backward(ctx, gin, gin_off, 0, net->grads, L->offset, l->ds, 0,
                                         l->xh, 0, net->params, L->offset, &g, L->d_out,
                                         net->work, 0, net->work_n);
        } else {
            st = clkfac_nn_dense_backward(ctx, gin, gin_off, L->d_in_h - 1, 0, net->grads,
                                          L->offset, l->ds, 0, l->xh, 0, net->params, L->offset,
                                          n, L->d_in_h - 1, L->d_out);
        }
        if (st) return st;
    }
    return CLKFAC_OK;
}

clkfac_status clkfac_nn_zero_grad(clkfac_nn *net)
{
    return clkfac_buffer_fill(net->ctx, net->grads, 0, 0.0f, net->n_params);
}

/* ---- getters --------------------------------------------------------------------------------- */

cl_mem clkfac_nn_params(const clkfac_nn *net) { return net->params; }
cl_mem clkfac_nn_grads(const clkfac_nn *net) { return net->grads; }
size_t clkfac_nn_param_count(const clkfac_nn *net) { return net->n_params; }
size_t clkfac_nn_max_batch(const clkfac_nn *net) { return net->max_batch; }
size_t clkfac_nn_batch(const clkfac_nn *net) { return net->batch; }
size_t clkfac_nn_input_size(const clkfac_nn *net) { return net->in_size; }
size_t clkfac_nn_feature_size(const clkfac_nn *net) { return net->feat_size; }
size_t clkfac_nn_layer_count(const clkfac_nn *net) { return net->n_layers; }
const char *clkfac_nn_describe(const clkfac_nn *net) { return net->describe; }

static clkfac_status layer_at(const nn_layer **out, const clkfac_nn *net, size_t i)
{
    if (i >= net->n_layers)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "layer %zu; the network has %zu parameter "
                         "layers", i, net->n_layers);
    *out = &net->layers[i];
    return CLKFAC_OK;
}

static clkfac_nn_view view_of(cl_mem buf, size_t rows, size_t cols, size_t ld)
{
    clkfac_nn_view v = {buf, 0, rows, cols, ld};
    return v;
}

clkfac_status clkfac_nn_layer_info_get(clkfac_nn_layer_info *out, const clkfac_nn *net, size_t i)
{
    const nn_layer *l = NULL;
    clkfac_status st = layer_at(&l, net, i);
    if (!st) *out = l->info;
    return st;
}

clkfac_status clkfac_nn_layer_input(clkfac_nn_view *out, const clkfac_nn *net, size_t i)
{
    const nn_layer *l = NULL;
    clkfac_status st = layer_at(&l, net, i);
    if (!st)
        *out = view_of(l->xh, net->batch * l->info.locations, l->info.d_in_h, l->info.d_in_h);
    return st;
}

clkfac_status clkfac_nn_layer_preact(clkfac_nn_view *out, const clkfac_nn *net, size_t i)
{
    const nn_layer *l = NULL;
    clkfac_status st = layer_at(&l, net, i);
    if (!st) *out = view_of(l->s, net->batch * l->info.locations, l->info.d_out, l->info.d_out);
    return st;
}

clkfac_status clkfac_nn_layer_dpreact(clkfac_nn_view *out, const clkfac_nn *net, size_t i)
{
    const nn_layer *l = NULL;
    clkfac_status st = layer_at(&l, net, i);
    if (!st) *out = view_of(l->ds, net->batch * l->info.locations, l->info.d_out, l->info.d_out);
    return st;
}

size_t clkfac_nn_output_count(const clkfac_nn *net)
{
    return net->n_layers > net->n_trunk ? net->n_layers - net->n_trunk : 1;
}

clkfac_status clkfac_nn_head_find(size_t *out, const clkfac_nn *net, const char *name)
{
    char have[256] = "";
    size_t len = 0;
    for (size_t h = net->n_trunk; h < net->n_layers; h++) {
        if (name && !strcmp(net->layers[h].info.name, name)) {
            *out = h - net->n_trunk;
            return CLKFAC_OK;
        }
        if (len < sizeof have)
            len += (size_t)snprintf(have + len, sizeof have - len, "%s'%s'", len ? ", " : "",
                                    net->layers[h].info.name);
    }
    return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "no head named '%s'; the network has %s",
                     name ? name : "(null)", len ? have : "no heads");
}

static clkfac_status output_index(const clkfac_nn *net, size_t h)
{
    if (h >= clkfac_nn_output_count(net))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "output %zu; the network has %zu", h,
                         clkfac_nn_output_count(net));
    return CLKFAC_OK;
}

clkfac_status clkfac_nn_output(clkfac_nn_view *out, const clkfac_nn *net, size_t h)
{
    clkfac_status st = output_index(net, h);
    if (st) return st;
    if (net->n_layers == net->n_trunk) return clkfac_nn_features(out, net);
    return clkfac_nn_layer_preact(out, net, net->n_trunk + h);
}

clkfac_status clkfac_nn_output_grad(clkfac_nn_view *out, const clkfac_nn *net, size_t h)
{
    clkfac_status st = output_index(net, h);
    if (st) return st;
    if (net->n_layers == net->n_trunk) {
        *out = view_of(net->dfeat, net->batch, net->feat_size, net->feat_size);
        return CLKFAC_OK;
    }
    return clkfac_nn_layer_dpreact(out, net, net->n_trunk + h);
}

clkfac_status clkfac_nn_features(clkfac_nn_view *out, const clkfac_nn *net)
{
    *out = view_of(net->feat, net->batch, net->feat_size, net->feat_size + 1);
    return CLKFAC_OK;
}
