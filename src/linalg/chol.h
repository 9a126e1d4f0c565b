/* Internal entry points of the device Cholesky inverse (src/linalg/chol.c) for modules that run
 * several factorizations under one guard (factored Tikhonov damping) and launch the other
 * kernels of cl/chol.cl. */
#ifndef CLKFAC_CHOL_INTERNAL_H
#define CLKFAC_CHOL_INTERNAL_H

#include "cl/ocl.h"

/* dst (n, n) at dst_off = (S + gamma_scale * gamma_buf[gamma_off] I)^-1, full symmetric, for S
 * (n, n) at s_off. Does not reset the guard and writes dst even on failure (only the flags
 * say whether it holds a result): dst must be scratch that is copied out with
 * chol_guarded_copy. Uses scratch slots OCL_SCRATCH_LINALG0, LINALG1 and LINALG3, so dst must be
 * none of them.
 * Arguments are expected to be validated already (see chol_check_buffer). */
clkfac_status chol_inverse_into(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                cl_mem gamma_buf, size_t gamma_off, float gamma_scale,
                                cl_mem dst, size_t dst_off);

/* Copies the upper triangle of the (n, n) matrix at x_off (leading dimension ld) to the lower. */
clkfac_status linalg_mirror_upper(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off,
                                  size_t ld);

/* dst[dst_off .. +n) = src[src_off .. +n) unless the guard is set (util_guarded_copy). */
clkfac_status chol_guarded_copy(clkfac_context *ctx, size_t n, cl_mem src, size_t src_off,
                                cl_mem dst, size_t dst_off);

/* Sets the guard and raises NONFINITE if any of x[x_off .. +n) is NaN or Inf
 * (util_check_finite). */
clkfac_status linalg_check_finite(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off);

/* CLKFAC_ERR_INVALID_ARG naming `what` unless buf is set and off + count elements stay
 * addressable by the kernels' 32-bit indices. */
clkfac_status chol_check_buffer(const char *what, cl_mem buf, size_t off, size_t count);

#endif
