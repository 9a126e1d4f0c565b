/* Double-precision references for K-FAC: im2col patches, Gram matrices, conv factors, matmul. */
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
    /* Gamma = 1/(N*T) sum_{n,t} ds ds^T, read straight from NCHW */
    memset(gf, 0, (size_t)k * k * sizeof *gf);
    for (int n = 0; n < g->n; n++)
        for (size_t t = 0; t < T; t++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    gf[(size_t)i * k + j] += (double)gy[((size_t)n * k + i) * T + t] *
                                             (double)gy[((size_t)n * k + j) * T + t];
    for (size_t i = 0; i < (size_t)k * k; i++) gf[i] /= (double)R;
}

void ref_matmul(double *c, const double *a, const double *b, size_t m, size_t k, size_t n)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t l = 0; l < k; l++) s += a[i * k + l] * b[l * n + j];
            c[i * n + j] = s;
        }
}
