/* Double-precision CPU references for the K-FAC kernels: naive loops, written from the
 * definitions in ALGORITHMS.md, used as test oracles only. */
#ifndef CLKFAC_REF_KFAC_H
#define CLKFAC_REF_KFAC_H

#include <stddef.h>

#include "clkfac/kfac.h"

/* p (N*Ho*Wo, C*kh*kw + bias) from x (N, C, H, W) */
void ref_patches(double *p, const float *x, const clkfac_conv_geom *g, int ho, int wo);
/* out (cols, cols) = alpha * sum over rows r = 0, s, 2s, ... of x_r x_r^T * rows/used */
void ref_gram(double *out, const double *x, size_t rows, size_t cols, double alpha,
              size_t stride);
/* out (D, D), D = d0 + ones: ref_gram of the float rows x (rows, d0) with leading dimension ld,
 * with a ones column appended when `ones` (the homogeneous coordinate). */
void ref_gram_rows(double *out, const float *x, size_t rows, size_t d0, size_t ld, int ones,
                   double alpha, size_t stride);
/* gf (K, K) = 1/(N*T) sum over n, t of gy[n,:,t] gy[n,:,t]^T, gy (N, K, T) */
void ref_conv_g(double *gf, const float *gy, size_t n, size_t k, size_t t);
/* conv factors with the kfac.h scaling: a (D, D), g (K, K); gy (N, K, Ho, Wo) */
void ref_conv_factors(double *a, double *gf, const float *x, const float *gy,
                      const clkfac_conv_geom *g, int k);

#endif
