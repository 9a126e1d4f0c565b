/* Convolution's memory-bound ops as host tasks (linalg/hostblas.h) for CPU devices whose
 * profile says conv_host: the KFC patch expansion (im2col), its transpose col2im for the input
 * gradient, and the activations with their rows <-> per-example layout change. Plain C over
 * the buffers' own memory in queue order, split over the device's compute units. Each gives
 * the same bits as its OpenCL kernel (cl/kfac.cl, cl/nn.cl): copies are copies, col2im adds
 * in the kernel's order, and only the activations whose host form is exact (relu, identity)
 * run here. Arguments as the public calls that dispatch to them (kfac.h, nn.h). */
#ifndef CLKFAC_KFAC_HOSTCONV_H
#define CLKFAC_KFAC_HOSTCONV_H

#include "cl/ocl.h"
#include "clkfac/kfac.h"

/* 1 when the profile sends conv's memory-bound ops to host tasks on ctx. */
int hostconv_enabled(const clkfac_context *ctx);

/* p (N*Ho*Wo, C*kh*kw [+1]) from x (N, C, H, W): clkfac_kfac_patches. */
clkfac_status hostconv_patches(clkfac_context *ctx, const clkfac_conv_geom *g, int ho, int wo,
                               cl_mem x, size_t x_off, cl_mem p, size_t p_off);

/* dx (N, C, H, W) [+]= col2im(dp), dp (N*Ho*Wo, ld) with columns (c, ky, kx). */
clkfac_status hostconv_col2im(clkfac_context *ctx, const clkfac_conv_geom *g, int ho, int wo,
                              cl_mem dp, size_t dp_off, size_t ld, cl_mem dx, size_t dx_off,
                              int accumulate);

/* 1 when activation act (ACT_* of cl/shared.h) has an exact host form. */
int hostconv_act_exact(int act);

/* Forward (dy NULL): y[n*ld + k*T + t] = f(s[(n*T + t)*K + k]). Backward:
 * ds[(n*T + t)*K + k] = dy[n*ld + k*T + t] * f'(s[(n*T + t)*K + k]). out is y or ds. */
clkfac_status hostconv_act(clkfac_context *ctx, int act, cl_mem out, size_t out_off, cl_mem dy,
                           size_t dy_off, size_t ld, cl_mem s, size_t s_off, size_t n_ex,
                           size_t k_dim, size_t t);

#endif
