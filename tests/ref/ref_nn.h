/* Double-precision CPU references for the network layers: direct (not im2col) convolution, dense
 * layers, activations, and a whole sequential network built from clkfac_nn_layer_info records.
 * Naive loops written from the definitions; test oracles only. */
#ifndef CLKFAC_REF_NN_H
#define CLKFAC_REF_NN_H

#include <stddef.h>

#include "clkfac/nn.h"

double ref_act(int act, double s);      /* f(s) for a clkfac_nn_act */
double ref_act_grad(int act, double s); /* f'(s) */

/* s (n, d_out) = x (n, d_in) W^T + b with w = W_H (d_out, d_in + 1). */
void ref_dense_forward(double *s, const double *x, const double *w, size_t n, size_t d_in,
                       size_t d_out);
/* dw (d_out, d_in + 1) += ds^T [x 1]; dx (n, d_in) = ds W (overwritten; dx may be NULL). */
void ref_dense_backward(double *dx, double *dw, const double *ds, const double *x,
                        const double *w, size_t n, size_t d_in, size_t d_out);

/* y (N, c_out, Ho, Wo) = direct convolution of x (N, C, H, W) with W_H (c_out, C*kh*kw + 1). */
void ref_conv_forward(double *y, const double *x, const double *w, const clkfac_conv_geom *g,
                      int c_out, int ho, int wo);
/* dw += dL/dW_H and dx (N, C, H, W) = dL/dx (overwritten; may be NULL) for dy (N, c_out, Ho, Wo),
 * by scattering each output gradient over the inputs it read. */
void ref_conv_backward(double *dx, double *dw, const double *dy, const double *x,
                       const double *w, const clkfac_conv_geom *g, int c_out, int ho, int wo);

/* A whole network in double, laid out like the device's (clkfac_nn_layer_info records; trunk
 * first, then heads). Per layer: xh (n*T, d_in_h), s and ds (n*T, d_out) in rows form. */
typedef struct ref_net {
    size_t n_layers, n_trunk, n, in_size, feat_size;
    clkfac_nn_layer_info *info;
    double **xh, **s, **ds;
    double **in;   /* per layer: its input, (n, d_in) dense or (n, C, H, W) conv */
    double *feat;  /* (n, F) trunk output after activation */
    double *dfeat; /* (n, F) */
    double *dx;    /* (n, in_size) */
} ref_net;

/* Copies the layer records of net (a device network) for batch n and allocates the arrays. */
void ref_net_init(ref_net *r, const clkfac_nn *net, size_t n);
void ref_net_free(ref_net *r);
/* x: (n, in_size); params: the flat parameter vector. */
void ref_net_forward(ref_net *r, const double *params, const double *x);
/* Output h of the last forward: head h's values (n, units), or the features without heads. */
const double *ref_net_output(const ref_net *r, size_t h);
/* dout[h]: dL/d(output h); grads (flat) += parameter gradients; fills ds, dfeat and dx. */
void ref_net_backward(ref_net *r, const double *params, double *grads, const double *const *dout);

#endif
