/* clkfac/nn.h — neural networks on the device: dense, conv2d and activation layers as paired
 * forward/backward calls, and sequential networks (a trunk plus named linear output heads) whose
 * parameters live in one flat device buffer, laid out so each layer's gradient block is exactly
 * what clkfac_kfac_precondition takes.
 *
 * Parameter layout. Every dense or conv layer owns ONE row-major block
 *     W_H = [W b]  of shape (d_out, d_in + 1)           dense
 *     W_H = [W b]  of shape (C_out, C_in*kh*kw + 1)      conv (input channel outermost, then
 *                                                         kernel row, then column: the patch order)
 * with the bias as the last column. A network's blocks sit back to back (no gaps) in one
 * parameter buffer, trunk layers first, then the heads in the order given; the gradient buffer
 * has the same layout. clkfac_nn_layer_info_get gives each block's offset and shape.
 *
 * Saved tensors (what K-FAC needs, kept by the forward and backward passes, never recomputed).
 * For a layer with T output locations per example (T = 1 for dense, H_out*W_out for conv):
 *     input   X_H (n*T, d_in + 1)  homogeneous rows: dense [x 1], conv the patch matrix P_H
 *     preact  S   (n*T, d_out)     pre-activation output S = X_H W_H^T, rows form
 *     dpreact DS  (n*T, d_out)     dL/dS after clkfac_nn_backward, rows form
 * Row r = (example, location) = (r / T, r % T). When the loss is a sum over examples, the rows of
 * DS are per-example gradients, so A = (1/n) X_H^T X_H and G = (1/(n*T)) DS^T DS are the kfac.h
 * factors (clkfac_kfac_gram on the views below) and dW_H = DS^T X_H is the gradient block.
 *
 * Activation layout. Between layers activations are per example: (n, C, H, W) row-major for conv
 * outputs, (n, D) for dense ones. Flatten (conv output feeding a dense layer) is a view: the
 * (C, H, W) block of one example is its C*H*W feature vector, and nothing runs.
 *
 * Heads, shared trunk, separate networks. A network is a trunk (layers from a string or an array,
 * each followed by the trunk activation) plus zero or more named linear heads that all read the
 * trunk's output features, e.g. a policy head "pi" with A logits and a value head "v" with 1
 * output. A shared actor-critic is one network with both heads; separate actor and critic
 * networks are two clkfac_nn objects (each with its own parameter and gradient buffers), one with
 * head "pi" and one with head "v". The distributions, losses and optimizers live elsewhere
 * (heads.h and the rl module): they read the head outputs and write dL/d(output) into the buffers
 * clkfac_nn_output_grad names, then call clkfac_nn_backward.
 *
 * Every forward and backward call only enqueues work on the context's queue (a few kernels and
 * CLBlast GEMMs per layer; no host synchronisation, no allocation). Calls marked "blocking"
 * wait. Saved tensors and outputs stay valid until the next forward of the same network. */
#ifndef CLKFAC_NN_H
#define CLKFAC_NN_H

#include "clkfac/device.h"
#include "clkfac/kfac.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- layer kinds, activations, views ----------------------------------------------------- */

typedef enum clkfac_nn_act {
    CLKFAC_NN_ACT_RELU = 0,     /* max(0, s) */
    CLKFAC_NN_ACT_TANH = 1,     /* tanh(s) */
    CLKFAC_NN_ACT_ELU = 2,      /* s > 0 ? s : exp(s) - 1 (alpha = 1) */
    CLKFAC_NN_ACT_IDENTITY = 3  /* s (a pure layout change; heads use it) */
} clkfac_nn_act;

typedef enum clkfac_nn_kind {
    CLKFAC_NN_DENSE = 0,
    CLKFAC_NN_CONV = 1
} clkfac_nn_kind;

/* A matrix inside a device buffer: element (i, j) at buf[off + i*ld + j]. Borrowed. */
typedef struct clkfac_nn_view {
    cl_mem buf;
    size_t off;   /* element offset of row 0 */
    size_t rows;  /* at the batch of the last forward pass */
    size_t cols;
    size_t ld;    /* elements between rows, >= cols */
} clkfac_nn_view;

/* "relu", "tanh", "elu", "identity" (or "linear") -> *out. Unknown names: INVALID_ARG. */
clkfac_status clkfac_nn_act_parse(clkfac_nn_act *out, const char *name);
/* Name of an activation ("relu"); "?" for an unknown value. */
const char *clkfac_nn_act_name(clkfac_nn_act act);

/* ---- layers (paired forward/backward; usable without a network) --------------------------
 * Forward calls overwrite their outputs. Backward calls ADD into parameter gradients (zeroing
 * is explicit) and write the input gradient, adding to it instead when accumulate is 1. */

/* Dense forward: s (n, d_out) = X_H W_H^T.
 * xh: (n, d_in + 1) homogeneous input, saved for the backward pass and for K-FAC. When x is not
 *     NULL it is first filled from x: (n, d_in) with leading dimension x_ld (>= d_in) and a ones
 *     column; with x NULL, xh must already hold the input and its ones column.
 * w: W_H (d_out, d_in + 1). */
clkfac_status clkfac_nn_dense_forward(clkfac_context *ctx, cl_mem s, size_t s_off, cl_mem xh,
                                      size_t xh_off, cl_mem x, size_t x_off, size_t x_ld,
                                      cl_mem w, size_t w_off, size_t n, size_t d_in,
                                      size_t d_out);

/* Dense backward: dw (d_out, d_in + 1) += DS^T X_H and, unless dx is NULL,
 * dx (n, d_in; leading dimension dx_ld >= d_in) = [dx +] DS W where W is W_H without its bias
 * column. ds: (n, d_out); xh: (n, d_in + 1) as saved by the forward; w: W_H (d_out, d_in + 1). */
clkfac_status clkfac_nn_dense_backward(clkfac_context *ctx, cl_mem dx, size_t dx_off,
                                       size_t dx_ld, int accumulate, cl_mem dw, size_t dw_off,
                                       cl_mem ds, size_t ds_off, cl_mem xh, size_t xh_off,
                                       cl_mem w, size_t w_off, size_t n, size_t d_in,
                                       size_t d_out);

/* Conv forward: P_H = patches of x with a ones column, then s (n*T, c_out) = P_H W_H^T in rows
 * form (row (n*H_out + oy)*W_out + ox), T = H_out*W_out. clkfac_nn_act_forward turns s into an
 * (n, c_out, H_out, W_out) output.
 * g: input geometry (n, C, H, W, kernel, stride, padding, dilation); g->bias is ignored (a layer
 *    always has its bias column). x: (n, C, H, W). p: P_H (n*T, C*kh*kw + 1), saved.
 * w: W_H (c_out, C*kh*kw + 1). */
clkfac_status clkfac_nn_conv_forward(clkfac_context *ctx, cl_mem s, size_t s_off, cl_mem p,
                                     size_t p_off, cl_mem x, size_t x_off, cl_mem w,
                                     size_t w_off, const clkfac_conv_geom *g, size_t c_out);

/* Floats of workspace with which clkfac_nn_conv_backward does the whole batch of g at once:
 * n*T*C*kh*kw. Any multiple of T*C*kh*kw (one example) down to one example also works. */
size_t clkfac_nn_conv_workspace(const clkfac_conv_geom *g);

/* Conv backward: dw (c_out, C*kh*kw + 1) += DS^T P_H and, unless dx is NULL, the input gradient
 * dx (n, C, H, W) = [dx +] col2im(DS W), gathered per input element (no atomics).
 * ds: (n*T, c_out) rows form; p: P_H as saved by the forward; w: W_H.
 * work: work_n floats at work_off, used only when dx is given; at least one example's
 *       T*C*kh*kw; with less than clkfac_nn_conv_workspace(g) the examples go in chunks. */
clkfac_status clkfac_nn_conv_backward(clkfac_context *ctx, cl_mem dx, size_t dx_off,
                                      int accumulate, cl_mem dw, size_t dw_off, cl_mem ds,
                                      size_t ds_off, cl_mem p, size_t p_off, cl_mem w,
                                      size_t w_off, const clkfac_conv_geom *g, size_t c_out,
                                      cl_mem work, size_t work_off, size_t work_n);

/* Activation forward with a layout change from rows to per-example blocks:
 * y[n*y_ld + k*t + j] = f(s[(n*t + j)*k_dim + k]) for example n < n_ex, channel k < k_dim,
 * location j < t. s: (n_ex*t, k_dim) rows form; y: (n_ex, k_dim, t) with example stride
 * y_ld >= k_dim*t. With t = 1 and y_ld = k_dim this is the plain element-wise layer on
 * (n_ex, k_dim); with CLKFAC_NN_ACT_IDENTITY it is the permutation alone. */
clkfac_status clkfac_nn_act_forward(clkfac_context *ctx, clkfac_nn_act act, cl_mem y,
                                    size_t y_off, size_t y_ld, cl_mem s, size_t s_off,
                                    size_t n_ex, size_t k_dim, size_t t);

/* Activation backward, the transpose of the above: ds (n_ex*t, k_dim) rows form
 * = dy (n_ex, k_dim, t; example stride dy_ld) * f'(s), s: the saved pre-activation (rows). */
clkfac_status clkfac_nn_act_backward(clkfac_context *ctx, clkfac_nn_act act, cl_mem ds,
                                     size_t ds_off, cl_mem dy, size_t dy_off, size_t dy_ld,
                                     cl_mem s, size_t s_off, size_t n_ex, size_t k_dim,
                                     size_t t);

/* ---- network description ----------------------------------------------------------------- */

typedef struct clkfac_nn_layer_spec {
    clkfac_nn_kind kind;
    int units;    /* dense: output units; conv: filters (C_out) */
    int kernel;   /* conv: square kernel size */
    int stride;   /* conv: stride (>= 1) */
    int pad;      /* conv: zero padding (>= 0) */
    float gain;   /* orthogonal-init gain; 0 = the options' trunk gain */
} clkfac_nn_layer_spec;

/* Parses a trunk description into at most cap layer specs (*n_out set on success). Tokens are
 * separated by white space:
 *     conv:FILTERS,KERNEL,STRIDE[,PAD]    dense:UNITS    flatten (a no-op, allowed anywhere)
 * each optionally followed by @GAIN, e.g. "conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512" (the
 * Atari network) or "dense:64@1.0 dense:64". "" is an empty trunk. A bad token gives
 * CLKFAC_ERR_INVALID_ARG with a detail naming the token and what was expected. */
clkfac_status clkfac_nn_parse(clkfac_nn_layer_spec *layers, size_t cap, size_t *n_out,
                              const char *spec);

typedef struct clkfac_nn_head_spec {
    const char *name; /* e.g. "pi", "v"; copied; at most 23 characters, unique */
    int units;        /* outputs: A logits, 1 value, ... */
    float gain;       /* orthogonal-init gain: baselines use 0.01 (policy), 1.0 (value) */
} clkfac_nn_head_spec;

typedef struct clkfac_nn_options {
    unsigned version;                 /* CLKFAC_NN_OPTIONS_VERSION */
    clkfac_nn_act act;                /* after every trunk layer; default RELU */
    float gain;                       /* trunk init gain when a layer gives 0; default sqrt(2) */
    uint64_t seed;                    /* parameter initialisation seed; default 0 */
    const clkfac_nn_head_spec *heads; /* n_heads linear heads reading the features; may be NULL */
    size_t n_heads;
} clkfac_nn_options;

#define CLKFAC_NN_OPTIONS_VERSION 1
#define CLKFAC_NN_OPTIONS_INIT { CLKFAC_NN_OPTIONS_VERSION, CLKFAC_NN_ACT_RELU, 1.41421356f, 0u, \
                                 NULL, 0u }

typedef struct clkfac_nn clkfac_nn;

/* Creates a network and allocates, once, its parameters, gradients (zeroed), saved tensors and
 * workspace for batches up to max_batch, then initialises the parameters (see
 * clkfac_nn_init_params; blocking). ctx is borrowed and must outlive the network.
 * layers: n_layers trunk layers (conv layers must come before dense ones).
 * shape: the per-example input, rank 3 (C, H, W) or rank 1 (D).
 * opts may be NULL (defaults; no heads). A network needs at least one layer or head. */
clkfac_status clkfac_nn_create(clkfac_nn **out, clkfac_context *ctx,
                               const clkfac_nn_layer_spec *layers, size_t n_layers,
                               const int *shape, size_t rank, size_t max_batch,
                               const clkfac_nn_options *opts);

/* clkfac_nn_create with the trunk parsed by clkfac_nn_parse. */
clkfac_status clkfac_nn_create_str(clkfac_nn **out, clkfac_context *ctx, const char *spec,
                                   const int *shape, size_t rank, size_t max_batch,
                                   const clkfac_nn_options *opts);

void clkfac_nn_free(clkfac_nn *net);

/* Re-initialises the parameters as OpenAI baselines does: each W (d_out, d_in) is gain times the
 * orthogonal factor of a Gaussian matrix (rows orthonormal when d_out <= d_in, columns otherwise),
 * biases zero. Computed on the host in double from one seeded stream (same seed, same
 * parameters on every platform) and uploaded once. Blocking. */
clkfac_status clkfac_nn_init_params(clkfac_nn *net, uint64_t seed);

/* ---- forward and backward ------------------------------------------------------------------ */

/* Forward pass over n <= max_batch examples. x: (n, C, H, W) or (n, D) at element offset x_off;
 * it is not needed after the call returns (the pass keeps its own copies). Enqueues only. */
clkfac_status clkfac_nn_forward(clkfac_nn *net, size_t n, cl_mem x, size_t x_off);

/* Backward pass for the first n examples of the last forward (n <= its batch; every saved
 * tensor is example-major and examples are independent, so this is the backward of those n
 * examples alone: ACKTR's statistics on part of a batch use it). Reads dL/d(output) from the
 * buffers clkfac_nn_output_grad names (their first n rows), ADDS the parameter gradients into
 * the gradient buffer and leaves every layer's DS in the first n*T rows of its dpreact view.
 * dx: NULL, or the input gradient (n, C, H, W) / (n, D) (overwritten) at element offset dx_off.
 * Enqueues only. */
clkfac_status clkfac_nn_backward(clkfac_nn *net, size_t n, cl_mem dx, size_t dx_off);

/* Sets the gradient buffer to zero (enqueued). */
clkfac_status clkfac_nn_zero_grad(clkfac_nn *net);

/* ---- parameters and layers ----------------------------------------------------------------- */

cl_mem clkfac_nn_params(const clkfac_nn *net);      /* (param_count) flat, borrowed */
cl_mem clkfac_nn_grads(const clkfac_nn *net);       /* (param_count) same layout, borrowed */
size_t clkfac_nn_param_count(const clkfac_nn *net);
size_t clkfac_nn_max_batch(const clkfac_nn *net);
size_t clkfac_nn_batch(const clkfac_nn *net);       /* n of the last forward (max before one) */
size_t clkfac_nn_input_size(const clkfac_nn *net);  /* floats per example of the input */
size_t clkfac_nn_feature_size(const clkfac_nn *net);/* F: floats per example of the features */

/* Number of parameter layers: trunk layers (flatten excluded) followed by the heads. */
size_t clkfac_nn_layer_count(const clkfac_nn *net);

typedef struct clkfac_nn_layer_info {
    char name[24];         /* "conv0", "dense3", ... or the head's name */
    clkfac_nn_kind kind;
    int is_head;           /* 1 for a linear output head */
    clkfac_nn_act act;     /* activation after the layer (IDENTITY for heads) */
    size_t offset;         /* element offset of W_H in the parameter and gradient buffers */
    size_t d_out;          /* rows of W_H: units or C_out */
    size_t d_in_h;         /* columns of W_H: d_in + 1 or C_in*kh*kw + 1 */
    size_t locations;      /* T: output locations per example (1 for dense) */
    clkfac_conv_geom geom; /* conv only: input geometry with n = max_batch, bias = 1 */
    int out_c, out_h, out_w; /* per-example output shape (dense: units, 1, 1) */
    float gain;            /* orthogonal-init gain used */
} clkfac_nn_layer_info;

/* Describes parameter layer i < clkfac_nn_layer_count. */
clkfac_status clkfac_nn_layer_info_get(clkfac_nn_layer_info *out, const clkfac_nn *net,
                                       size_t i);

/* Saved tensors of parameter layer i at the current batch n (see the header comment):
 * input X_H / P_H (n*T, d_in_h), preact S (n*T, d_out), dpreact DS (n*T, d_out). */
clkfac_status clkfac_nn_layer_input(clkfac_nn_view *out, const clkfac_nn *net, size_t i);
clkfac_status clkfac_nn_layer_preact(clkfac_nn_view *out, const clkfac_nn *net, size_t i);
clkfac_status clkfac_nn_layer_dpreact(clkfac_nn_view *out, const clkfac_nn *net, size_t i);

/* ---- outputs ------------------------------------------------------------------------------- */

/* Number of outputs: the heads, or 1 (the features) for a network without heads. */
size_t clkfac_nn_output_count(const clkfac_nn *net);
/* Index of the head called name. INVALID_ARG naming the heads present when there is none. */
clkfac_status clkfac_nn_head_find(size_t *out, const clkfac_nn *net, const char *name);

/* Output h after a forward: head h's values (n, units) (its preact, heads being linear), or for a
 * network without heads the features (n, F) (h = 0). */
clkfac_status clkfac_nn_output(clkfac_nn_view *out, const clkfac_nn *net, size_t h);
/* Where the loss writes dL/d(output h) before clkfac_nn_backward: (n, units) or (n, F). For a
 * head this is the head's dpreact, so K-FAC sees it there too. */
clkfac_status clkfac_nn_output_grad(clkfac_nn_view *out, const clkfac_nn *net, size_t h);

/* The trunk's output features (n, F) after a forward (post-activation; the input itself for an
 * empty trunk). Its leading dimension is F + 1: the heads read it as their X_H. */
clkfac_status clkfac_nn_features(clkfac_nn_view *out, const clkfac_nn *net);

/* One line for logs and provenance, e.g. "in(4,84,84) conv:32,8,4,0 conv:64,4,2,0
 * conv:64,3,1,0 dense:512 | pi:6 v:1 act=relu params=1687719". Borrowed, valid while net lives. */
const char *clkfac_nn_describe(const clkfac_nn *net);

/* ---- forward-mode derivative (R-op) ---------------------------------------------------------
 * The directional derivative of every output along a parameter direction v, J v, as TRPO's
 * exact Fisher-vector product needs (F v = J^T M J v: this pass, the output Fisher, then
 * clkfac_nn_backward). Per layer Jv_s = X_H V_H^T + Jv_x W^T (conv: the patches of Jv_x), then
 * Jv_y = f'(S) * Jv_s, using the tensors the last forward saved. The state is a separate object
 * holding its own per-layer buffers (sized for max_batch), so a network that never uses it pays
 * nothing and forward/backward are untouched. */
typedef struct clkfac_nn_rop_state clkfac_nn_rop_state;

/* Allocates the R-op buffers for net (borrowed; must outlive the state). */
clkfac_status clkfac_nn_rop_create(clkfac_nn_rop_state **out, clkfac_nn *net);
void clkfac_nn_rop_free(clkfac_nn_rop_state *rop);

/* After a forward at batch n (same n), computes J v for v (param_count floats, the flat
 * parameter layout) at element offset v_off. Enqueues only (GEMMs and one kernel per layer). */
clkfac_status clkfac_nn_rop(clkfac_nn_rop_state *rop, size_t n, cl_mem v,
                            size_t v_off);

/* J v of output h after clkfac_nn_rop: (n, units) for a head, (n, F) with ld F+1 for the features
 * of a network without heads. Borrowed, valid until the next clkfac_nn_rop. */
clkfac_status clkfac_nn_rop_output(clkfac_nn_view *out, const clkfac_nn_rop_state *rop,
                                   size_t h);

#ifdef __cplusplus
}
#endif
#endif
