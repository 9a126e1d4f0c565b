/* Internal layout of a clkfac_nn shared by the network, parsing and initialisation code: one
 * record per parameter layer with its saved-tensor buffers, allocated once at creation. */
#ifndef CLKFAC_NN_INTERNAL_H
#define CLKFAC_NN_INTERNAL_H

#include "cl/ocl.h"
#include "clkfac/nn.h"

typedef struct nn_layer {
    clkfac_nn_layer_info info;
    /* saved tensors, sized for max_batch; several layers may name one buffer (a dense layer's
     * X_H is where its predecessor writes, the heads share the features): net->bufs owns them */
    cl_mem xh;          /* X_H or P_H (max*T, d_in_h) */
    cl_mem s;           /* preact (max*T, d_out) */
    cl_mem ds;          /* dpreact (max*T, d_out) */
    /* trunk layers: where the activation goes and where its gradient arrives, as per-example
     * blocks of out_c*out_h*out_w floats with example stride y_ld / dy_ld */
    cl_mem y;           /* the next layer's input: its X_H (dense, stride F+1) or a conv input */
    size_t y_ld;
    cl_mem dy;          /* dL/d(output after activation) (max, out size) */
    size_t dy_ld;
} nn_layer;

struct clkfac_nn {
    clkfac_context *ctx;
    nn_layer *layers;   /* trunk layers then heads */
    size_t n_layers;
    size_t n_trunk;
    int in_shape[3];    /* (C, H, W); rank-1 inputs are (D, 1, 1) */
    size_t in_rank;
    size_t in_size;
    size_t feat_size;   /* F */
    size_t max_batch;
    size_t batch;
    clkfac_nn_act act;
    cl_mem params, grads;
    size_t n_params;
    cl_mem feat;        /* features as X_H (max, F+1): the heads' shared input */
    cl_mem dfeat;       /* dL/dfeatures (max, F) */
    cl_mem work;        /* conv input-gradient workspace of work_n floats */
    size_t work_n;
    char *describe;
    cl_mem *bufs;       /* every buffer above, released by clkfac_nn_free */
    size_t n_bufs;
};

/* Host-side orthogonal initialisation of every block of net (double precision) into w
 * (n_params floats). */
clkfac_status nn_init_host(const clkfac_nn *net, uint64_t seed, float *w);

#endif
