/* Double-precision references for the nn layers and networks (see ref_nn.h). The convolution is
 * computed directly from its definition, not through patches, so the device's im2col + GEMM +
 * col2im path is checked against an independent formulation. */
#include "ref/ref_nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ref_act(int act, double s)
{
    switch (act) {
    case CLKFAC_NN_ACT_RELU: return s > 0 ? s : 0;
    case CLKFAC_NN_ACT_TANH: return tanh(s);
    case CLKFAC_NN_ACT_ELU: return s > 0 ? s : expm1(s);
    default: return s;
    }
}

double ref_act_grad(int act, double s)
{
    switch (act) {
    case CLKFAC_NN_ACT_RELU: return s > 0 ? 1 : 0;
    case CLKFAC_NN_ACT_TANH: return 1 - tanh(s) * tanh(s);
    case CLKFAC_NN_ACT_ELU: return s > 0 ? 1 : exp(s);
    default: return 1;
    }
}

void ref_dense_forward(double *s, const double *x, const double *w, size_t n, size_t d_in,
                       size_t d_out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t o = 0; o < d_out; o++) {
            const double *wr = w + o * (d_in + 1);
            double acc = wr[d_in];
            for (size_t i = 0; i < d_in; i++) acc += wr[i] * x[r * d_in + i];
            s[r * d_out + o] = acc;
        }
}

void ref_dense_backward(double *dx, double *dw, const double *ds, const double *x,
                        const double *w, size_t n, size_t d_in, size_t d_out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t o = 0; o < d_out; o++) {
            double g = ds[r * d_out + o];
            for (size_t i = 0; i < d_in; i++) dw[o * (d_in + 1) + i] += g * x[r * d_in + i];
            dw[o * (d_in + 1) + d_in] += g;
        }
    if (!dx) return;
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < d_in; i++) {
            double acc = 0;
            for (size_t o = 0; o < d_out; o++) acc += ds[r * d_out + o] * w[o * (d_in + 1) + i];
            dx[r * d_in + i] = acc;
        }
}

/* Input index read by output (oy, ox) through kernel tap (ky, kx), or -1 for padding. */
static long tap(const clkfac_conv_geom *g, int n, int c, int oy, int ox, int ky, int kx)
{
    int iy = oy * g->stride_h - g->pad_h + ky * g->dil_h;
    int ix = ox * g->stride_w - g->pad_w + kx * g->dil_w;
    if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) return -1;
    return (((long)n * g->c + c) * g->h + iy) * g->w + ix;
}

void ref_conv_forward(double *y, const double *x, const double *w, const clkfac_conv_geom *g,
                      int c_out, int ho, int wo)
{
    size_t d1 = (size_t)g->c * g->kh * g->kw + 1;
    for (int n = 0; n < g->n; n++)
        for (int k = 0; k < c_out; k++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    const double *wk = w + (size_t)k * d1;
                    double acc = wk[d1 - 1];
                    for (int c = 0; c < g->c; c++)
                        for (int ky = 0; ky < g->kh; ky++)
                            for (int kx = 0; kx < g->kw; kx++) {
                                long i = tap(g, n, c, oy, ox, ky, kx);
                                if (i >= 0) acc += wk[(c * g->kh + ky) * g->kw + kx] * x[i];
                            }
                    y[(((size_t)n * c_out + k) * ho + oy) * wo + ox] = acc;
                }
}

void ref_conv_backward(double *dx, double *dw, const double *dy, const double *x,
                       const double *w, const clkfac_conv_geom *g, int c_out, int ho, int wo)
{
    size_t d1 = (size_t)g->c * g->kh * g->kw + 1;
    if (dx) memset(dx, 0, (size_t)g->n * g->c * g->h * g->w * sizeof *dx);
    for (int n = 0; n < g->n; n++)
        for (int k = 0; k < c_out; k++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double gy = dy[(((size_t)n * c_out + k) * ho + oy) * wo + ox];
                    dw[(size_t)k * d1 + d1 - 1] += gy;
                    for (int c = 0; c < g->c; c++)
                        for (int ky = 0; ky < g->kh; ky++)
                            for (int kx = 0; kx < g->kw; kx++) {
                                long i = tap(g, n, c, oy, ox, ky, kx);
                                if (i < 0) continue;
                                size_t j = (size_t)k * d1 + (size_t)((c * g->kh + ky) * g->kw + kx);
                                dw[j] += gy * x[i];
                                if (dx) dx[i] += gy * w[j];
                            }
                }
}

/* ---- whole network -------------------------------------------------------------------------- */

static double *alloc_d(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* Floats per example of a layer's input: C*H*W for conv (not the patch width), d_in for dense. */
static size_t layer_in_size(const clkfac_nn_layer_info *L)
{
    if (L->kind == CLKFAC_NN_CONV) return (size_t)L->geom.c * L->geom.h * L->geom.w;
    return L->d_in_h - 1;
}

void ref_net_init(ref_net *r, const clkfac_nn *net, size_t n)
{
    memset(r, 0, sizeof *r);
    r->n_layers = clkfac_nn_layer_count(net);
    r->n = n;
    r->in_size = clkfac_nn_input_size(net);
    r->feat_size = clkfac_nn_feature_size(net);
    r->info = calloc(r->n_layers, sizeof *r->info);
    r->xh = calloc(r->n_layers, sizeof *r->xh);
    r->s = calloc(r->n_layers, sizeof *r->s);
    r->ds = calloc(r->n_layers, sizeof *r->ds);
    r->in = calloc(r->n_layers, sizeof *r->in);
    for (size_t i = 0; i < r->n_layers; i++) {
        clkfac_nn_layer_info_get(&r->info[i], net, i);
        if (!r->info[i].is_head) r->n_trunk = i + 1;
        size_t rows = n * r->info[i].locations;
        r->xh[i] = alloc_d(rows * r->info[i].d_in_h);
        r->s[i] = alloc_d(rows * r->info[i].d_out);
        r->ds[i] = alloc_d(rows * r->info[i].d_out);
        r->in[i] = alloc_d(n * layer_in_size(&r->info[i]));
    }
    r->feat = alloc_d(n * r->feat_size);
    r->dfeat = alloc_d(n * r->feat_size);
    r->dx = alloc_d(n * r->in_size);
}

void ref_net_free(ref_net *r)
{
    for (size_t i = 0; i < r->n_layers; i++) {
        free(r->xh[i]);
        free(r->s[i]);
        free(r->ds[i]);
        free(r->in[i]);
    }
    free(r->xh); free(r->s); free(r->ds); free(r->in); free(r->info);
    free(r->feat); free(r->dfeat); free(r->dx);
    memset(r, 0, sizeof *r);
}

/* xh (n*T, D+1) patches of x (double) in the kfac.h column order, ones column last. */
static void patches_d(double *p, const double *x, const clkfac_conv_geom *g, int ho, int wo)
{
    size_t d1 = (size_t)g->c * g->kh * g->kw + 1;
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                double *row = p + (((size_t)n * ho + oy) * wo + ox) * d1;
                for (int c = 0; c < g->c; c++)
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            long i = tap(g, n, c, oy, ox, ky, kx);
                            row[(c * g->kh + ky) * g->kw + kx] = i >= 0 ? x[i] : 0.0;
                        }
                row[d1 - 1] = 1.0;
            }
}

static void layer_forward(ref_net *r, size_t i, const double *params, const double *in)
{
    const clkfac_nn_layer_info *L = &r->info[i];
    size_t n = r->n, din = L->d_in_h - 1, K = L->d_out, T = L->locations;
    memcpy(r->in[i], in, n * layer_in_size(L) * sizeof *in);
    const double *w = params + L->offset;
    if (L->kind == CLKFAC_NN_CONV) {
        clkfac_conv_geom g = L->geom;
        g.n = (int)n;
        double *y = alloc_d(n * K * T);
        ref_conv_forward(y, in, w, &g, (int)K, L->out_h, L->out_w);
        patches_d(r->xh[i], in, &g, L->out_h, L->out_w);
        for (size_t e = 0; e < n; e++)
            for (size_t k = 0; k < K; k++)
                for (size_t t = 0; t < T; t++)
                    r->s[i][(e * T + t) * K + k] = y[(e * K + k) * T + t];
        free(y);
    } else {
        for (size_t e = 0; e < n; e++) {
            memcpy(r->xh[i] + e * (din + 1), in + e * din, din * sizeof *in);
            r->xh[i][e * (din + 1) + din] = 1.0;
        }
        ref_dense_forward(r->s[i], in, w, n, din, K);
    }
}

void ref_net_forward(ref_net *r, const double *params, const double *x)
{
    size_t n = r->n;
    double *cur = alloc_d(n * r->in_size);
    memcpy(cur, x, n * r->in_size * sizeof *x);
    for (size_t i = 0; i < r->n_trunk; i++) {
        const clkfac_nn_layer_info *L = &r->info[i];
        size_t K = L->d_out, T = L->locations;
        layer_forward(r, i, params, cur);
        free(cur);
        cur = alloc_d(n * K * T);
        for (size_t e = 0; e < n; e++)
            for (size_t k = 0; k < K; k++)
                for (size_t t = 0; t < T; t++)
                    cur[(e * K + k) * T + t] = ref_act((int)L->act, r->s[i][(e * T + t) * K + k]);
    }
    memcpy(r->feat, cur, n * r->feat_size * sizeof *cur);
    free(cur);
    for (size_t h = r->n_trunk; h < r->n_layers; h++) layer_forward(r, h, params, r->feat);
}

const double *ref_net_output(const ref_net *r, size_t h)
{
    return r->n_layers > r->n_trunk ? r->s[r->n_trunk + h] : r->feat;
}

void ref_net_backward(ref_net *r, const double *params, double *grads, const double *const *dout)
{
    size_t n = r->n, F = r->feat_size;
    if (r->n_layers == r->n_trunk) {
        memcpy(r->dfeat, dout[0], n * F * sizeof *r->dfeat);
    } else {
        memset(r->dfeat, 0, n * F * sizeof *r->dfeat);
        double *tmp = alloc_d(n * F);
        for (size_t h = r->n_trunk; h < r->n_layers; h++) {
            const clkfac_nn_layer_info *L = &r->info[h];
            memcpy(r->ds[h], dout[h - r->n_trunk], n * L->d_out * sizeof *r->ds[h]);
            ref_dense_backward(tmp, grads + L->offset, r->ds[h], r->feat, params + L->offset, n,
                               F, L->d_out);
            for (size_t j = 0; j < n * F; j++) r->dfeat[j] += tmp[j];
        }
        free(tmp);
    }
    double *dcur = alloc_d(n * F);
    memcpy(dcur, r->dfeat, n * F * sizeof *dcur);
    for (size_t i = r->n_trunk; i-- > 0;) {
        const clkfac_nn_layer_info *L = &r->info[i];
        size_t K = L->d_out, T = L->locations, din = L->d_in_h - 1;
        for (size_t e = 0; e < n; e++)
            for (size_t t = 0; t < T; t++)
                for (size_t k = 0; k < K; k++) {
                    size_t j = (e * T + t) * K + k;
                    r->ds[i][j] = dcur[(e * K + k) * T + t] * ref_act_grad((int)L->act, r->s[i][j]);
                }
        double *dprev = alloc_d(n * layer_in_size(L));
        const double *w = params + L->offset;
        if (L->kind == CLKFAC_NN_CONV) {
            clkfac_conv_geom g = L->geom;
            g.n = (int)n;
            double *dy = alloc_d(n * K * T);
            for (size_t e = 0; e < n; e++)
                for (size_t k = 0; k < K; k++)
                    for (size_t t = 0; t < T; t++)
                        dy[(e * K + k) * T + t] = r->ds[i][(e * T + t) * K + k];
            ref_conv_backward(dprev, grads + L->offset, dy, r->in[i], w, &g, (int)K, L->out_h,
                              L->out_w);
            free(dy);
        } else {
            ref_dense_backward(dprev, grads + L->offset, r->ds[i], r->in[i], w, n, din, K);
        }
        free(dcur);
        dcur = dprev;
    }
    memcpy(r->dx, dcur, n * r->in_size * sizeof *dcur);
    free(dcur);
}
