/* Double-precision references for K-FAC: im2col patches, Gram matrices, conv factors. */
#include "ref_kfac.h"

#include <stdlib.h>
#include <string.h>

void ref_patches(double *p, const float *x, const clkfac_conv_geom *g, int ho, int wo)
{
    size_t D = (size_t)g->c * g->kh * g->kw + (size_t)g->bias;
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                size_t row = ((size_t)n * ho + oy) * wo + ox;
                size_t col = 0;
                for (int c = 0; c < g->c; c++)
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            int iy = oy * g->stride_h - g->pad_h + ky * g->dil_h;
                            int ix = ox * g->stride_w - g->pad_w + kx * g->dil_w;
                            double v = 0.0;
                            if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w)
                                v = x[(((size_t)n * g->c + c) * g->h + iy) * g->w + ix];
                            p[row * D + col++] = v;
                        }
                if (g->bias) p[row * D + col] = 1.0;
            }
}

void ref_gram(double *out, const double *x, size_t rows, size_t cols, double alpha, size_t stride)
{
    size_t used = (rows + stride - 1) / stride;
    double a = alpha * (double)rows / (double)used;
    memset(out, 0, cols * cols * sizeof *out);
    for (size_t r = 0; r < rows; r += stride)
        for (size_t i = 0; i < cols; i++)
            for (size_t j = 0; j < cols; j++) out[i * cols + j] += x[r * cols + i] * x[r * cols + j];
    for (size_t i = 0; i < cols * cols; i++) out[i] *= a;
}

void ref_conv_factors(double *a, double *gf, const float *x, const float *gy,
                      const clkfac_conv_geom *g, int k)
{
    int ho, wo;
    clkfac_conv_out_size(&ho, &wo, g);
    size_t T = (size_t)ho * wo, R = (size_t)g->n * T;
    size_t D = (size_t)g->c * g->kh * g->kw + (size_t)g->bias;
    double *p = malloc(R * D * sizeof *p);
    ref_patches(p, x, g, ho, wo);
    ref_gram(a, p, R, D, 1.0 / g->n, 1);
    free(p);
    ref_conv_g(gf, gy, (size_t)g->n, (size_t)k, T);
}

void ref_conv_g(double *gf, const float *gy, size_t n, size_t k, size_t t)
{
    /* Gamma = 1/(N*T) sum_{n,t} ds ds^T, read straight from NCHW */
    memset(gf, 0, k * k * sizeof *gf);
    for (size_t e = 0; e < n; e++)
        for (size_t l = 0; l < t; l++)
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j < k; j++)
                    gf[i * k + j] +=
                        (double)gy[(e * k + i) * t + l] * (double)gy[(e * k + j) * t + l];
    for (size_t i = 0; i < k * k; i++) gf[i] /= (double)(n * t);
}

void ref_gram_rows(double *out, const float *x, size_t rows, size_t d0, size_t ld, int ones,
                   double alpha, size_t stride)
{
    size_t d = d0 + (ones ? 1 : 0);
    double *xd = malloc((rows * d + 1) * sizeof *xd);
    if (!xd) abort();
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < d0; j++) xd[r * d + j] = x[r * ld + j];
        if (ones) xd[r * d + d0] = 1.0;
    }
    ref_gram(out, xd, rows, d, alpha, stride);
    free(xd);
}
