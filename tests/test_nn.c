/* Network layers and sequential networks against double-precision references: dense, conv2d
 * (stride 1-4, padding 0-2, dilation, odd sizes, batch 1) and activation forward/backward, central
 * finite differences of the references, whole networks (saved K-FAC tensors, gradients, input
 * gradients) vs a double reference, a finite-difference check through the device forward,
 * orthogonal initialisation, layout, and description parsing errors. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "ref/ref_kfac.h"
#include "ref/ref_nn.h"

#define GUARD 13          /* sentinel floats after every output */
#define SENTINEL 12345.0f

static void check_sentinels(cl_mem m, size_t off, size_t count, const char *what)
{
    th_check_sentinels(m, off, count, SENTINEL, what);
}

static float *rand_f(th_rng *r, size_t n, float scale)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    th_fill_normal(r, x, n, scale);
    return x;
}

/* Float results of sums over up to a few thousand products: absolute tolerance relative to the
 * largest reference entry, plus a relative part. */
static void assert_sum_close(const float *got, const double *ref, size_t n, const char *what)
{
    th_assert_close(got, ref, n, 2e-5 * fmax(th_max_abs(ref, n), 1e-30), 1e-4, what);
}

/* Central difference of f at every coordinate of v (double), compared with the analytic g:
 * |fd - g| <= 1e-6 * (1 + |g|). The references are linear or smooth, so a step of 1e-6 leaves
 * only rounding (~1e-10 here). */
typedef double (*loss_fn)(void *ctx);
static void fd_check(double *v, size_t n, const double *g, loss_fn f, void *ctx, const char *what)
{
    const double h = 1e-6;
    for (size_t i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + h;
        double lp = f(ctx);
        v[i] = keep - h;
        double lm = f(ctx);
        v[i] = keep;
        double fd = (lp - lm) / (2 * h);
        if (fabs(fd - g[i]) > 1e-6 * (1 + fabs(g[i])))
            fail_msg("%s[%zu]: finite difference %.10g, analytic %.10g", what, i, fd, g[i]);
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

static void test_parse_descriptions(void **state)
{
    (void)state;
    clkfac_nn_layer_spec l[8];
    size_t n = 99;
    TH_OK(clkfac_nn_parse(l, 8, &n, "conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512"));
    assert_int_equal(n, 4);
    assert_int_equal(l[0].kind, CLKFAC_NN_CONV);
    assert_int_equal(l[0].units, 32);
    assert_int_equal(l[0].kernel, 8);
    assert_int_equal(l[0].stride, 4);
    assert_int_equal(l[0].pad, 0);
    assert_true(l[0].gain == 0.0f);
    assert_int_equal(l[3].kind, CLKFAC_NN_DENSE);
    assert_int_equal(l[3].units, 512);
    TH_OK(clkfac_nn_parse(l, 8, &n, "  conv:3,3,1,2@0.5 flatten\tdense:64@1.0\n dense:7 "));
    assert_int_equal(n, 3);
    assert_int_equal(l[0].pad, 2);
    assert_true(l[0].gain == 0.5f);
    assert_true(l[1].gain == 1.0f && l[1].units == 64);
    assert_true(l[2].gain == 0.0f && l[2].units == 7);
    TH_OK(clkfac_nn_parse(l, 8, &n, ""));
    assert_int_equal(n, 0);

    clkfac_nn_act a;
    const char *names[] = {"relu", "tanh", "elu", "identity", "linear"};
    const clkfac_nn_act want[] = {CLKFAC_NN_ACT_RELU, CLKFAC_NN_ACT_TANH, CLKFAC_NN_ACT_ELU,
                                  CLKFAC_NN_ACT_IDENTITY, CLKFAC_NN_ACT_IDENTITY};
    for (size_t i = 0; i < 5; i++) {
        TH_OK(clkfac_nn_act_parse(&a, names[i]));
        assert_int_equal(a, want[i]);
    }
    assert_string_equal(clkfac_nn_act_name(CLKFAC_NN_ACT_ELU), "elu");
    assert_int_equal(clkfac_nn_act_parse(&a, "sigmoid"), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "'sigmoid'"));
    assert_non_null(strstr(clkfac_last_error(), "expected relu, tanh, elu or identity"));
}

static void test_parse_errors_name_token(void **state)
{
    (void)state;
    static const struct { const char *spec, *token, *expect; } bad[] = {
        {"conv:32,8", "'conv:32,8'", "expected conv:FILTERS,KERNEL,STRIDE[,PAD]"},
        {"conv:32,8,0", "'conv:32,8,0'", "STRIDE >= 1"},
        {"conv:0,8,4", "'conv:0,8,4'", "FILTERS, KERNEL, STRIDE >= 1"},
        {"conv:1,2,3,4,5", "'conv:1,2,3,4,5'", "expected conv:FILTERS"},
        {"conv:1,2,3,", "'conv:1,2,3,'", "expected conv:FILTERS"},
        {"conv:1,,3", "'conv:1,,3'", "expected conv:FILTERS"},
        {"dense:", "'dense:'", "expected dense:UNITS"},
        {"dense:-3", "'dense:-3'", "expected dense:UNITS"},
        {"dense:3x", "'dense:3x'", "expected dense:UNITS"},
        {"dense:3,4", "'dense:3,4'", "expected dense:UNITS"},
        {"dense:0", "'dense:0'", "expected dense:UNITS"},
        {"dense:99999999999", "'dense:99999999999'", "expected dense:UNITS"},
        {"lstm:5", "'lstm:5'", "expected conv:FILTERS,KERNEL,STRIDE[,PAD], dense:UNITS or flatten"},
        {"dense:5 relu", "token 2 'relu'", "expected conv:FILTERS"},
        {"dense:5@", "'dense:5@'", "expected a positive number"},
        {"dense:5@-1", "'dense:5@-1'", "expected a positive number"},
        {"dense:5@abc", "'dense:5@abc'", "expected a positive number"},
        {"dense:5@nan", "'dense:5@nan'", "expected a positive number"},
        {"flatten@2", "'flatten@2'", "no @gain"},
        {"Dense:5", "'Dense:5'", "expected conv:"},
    };
    clkfac_nn_layer_spec l[8];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 77;
        clkfac_status st = clkfac_nn_parse(l, 8, &n, bad[i].spec);
        if (st != CLKFAC_ERR_INVALID_ARG) fail_msg("'%s' parsed (status %d)", bad[i].spec, st);
        assert_int_equal(n, 77); /* *n_out untouched on failure */
        const char *e = clkfac_last_error();
        if (!strstr(e, bad[i].token) || !strstr(e, bad[i].expect))
            fail_msg("'%s': detail '%s' lacks '%s' or '%s'", bad[i].spec, e, bad[i].token,
                     bad[i].expect);
    }
    size_t n;
    assert_int_equal(clkfac_nn_parse(l, 2, &n, "dense:1 dense:2 dense:3"), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "more than 2 layers"));
    assert_int_equal(clkfac_nn_parse(l, 2, &n, NULL), CLKFAC_ERR_INVALID_ARG);
}

/* ---- dense layer ---------------------------------------------------------------------------- */

typedef struct dense_fd {
    double *x, *w, *wt;
    size_t n, din, dout;
} dense_fd;

static double dense_loss(void *p)
{
    dense_fd *c = p;
    double *s = malloc(c->n * c->dout * sizeof *s), l = 0;
    ref_dense_forward(s, c->x, c->w, c->n, c->din, c->dout);
    for (size_t i = 0; i < c->n * c->dout; i++) l += c->wt[i] * s[i];
    free(s);
    return l;
}

static void test_dense_layer(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    /* n, d_in, d_out, extra leading-dimension padding of x and dx */
    const size_t shapes[][4] = {{1, 1, 1, 0}, {1, 5, 3, 2}, {7, 13, 2, 0}, {33, 65, 17, 3},
                                {64, 100, 10, 0}, {5, 300, 129, 1}};
    th_rng rng = {11};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t n = shapes[si][0], din = shapes[si][1], dout = shapes[si][2];
        size_t ld = din + shapes[si][3], dh = din + 1;
        float *x = rand_f(&rng, n * ld, 1.0f), *w = rand_f(&rng, dout * dh, 0.3f);
        float *ds = rand_f(&rng, n * dout, 1.0f), *dw0 = rand_f(&rng, dout * dh, 1.0f);
        double *xd = malloc(n * din * sizeof *xd);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < din; j++) xd[r * din + j] = x[r * ld + j];
        double *wd = th_to_double(w, dout * dh), *dsd = th_to_double(ds, n * dout);
        double *sref = malloc(n * dout * sizeof *sref), *xhref = malloc(n * dh * sizeof *xhref);
        ref_dense_forward(sref, xd, wd, n, din, dout);
        for (size_t r = 0; r < n; r++) {
            for (size_t j = 0; j < din; j++) xhref[r * dh + j] = xd[r * din + j];
            xhref[r * dh + din] = 1.0;
        }
        cl_mem dx_in = th_upload(x, n * ld), dwb = th_upload(w, dout * dh);
        cl_mem sb = th_alloc(2 + n * dout + GUARD, SENTINEL);
        cl_mem xhb = th_alloc(n * dh + GUARD, SENTINEL);
        TH_OK(clkfac_nn_dense_forward(ctx, sb, 2, xhb, 0, dx_in, 0, ld, dwb, 0, n, din, dout));
        float *s = malloc(n * dout * sizeof *s), *xh = malloc(n * dh * sizeof *xh);
        th_download(sb, 2, s, n * dout);
        th_download(xhb, 0, xh, n * dh);
        char what[128];
        snprintf(what, sizeof what, "dense n%zu %zu->%zu forward", n, din, dout);
        assert_sum_close(s, sref, n * dout, what);
        check_sentinels(sb, 2 + n * dout, GUARD, what);
        th_assert_close(xh, xhref, n * dh, 0, 0, "dense X_H (a copy: exact)");
        check_sentinels(xhb, n * dh, GUARD, "dense X_H");
        /* forward again from the saved X_H alone (the network's path) gives the same s */
        TH_OK(clkfac_nn_dense_forward(ctx, sb, 2, xhb, 0, NULL, 0, 0, dwb, 0, n, din, dout));
        th_download(sb, 2, s, n * dout);
        assert_sum_close(s, sref, n * dout, what);

        /* backward: dw accumulates onto what is there, dx is written then accumulated */
        double *dxref = malloc(n * din * sizeof *dxref), *dwref = th_to_double(dw0, dout * dh);
        ref_dense_backward(dxref, dwref, dsd, xd, wd, n, din, dout);
        cl_mem dsb = th_upload(ds, n * dout), dwg = th_alloc(dout * dh + GUARD, SENTINEL);
        TH_OK(clkfac_buffer_write(ctx, dwg, 0, dw0, dout * dh));
        cl_mem dxb = th_alloc(n * ld + GUARD, SENTINEL);
        TH_OK(clkfac_nn_dense_backward(ctx, dxb, 0, ld, 0, dwg, 0, dsb, 0, xhb, 0, dwb, 0, n, din,
                                       dout));
        float *dx = malloc(n * ld * sizeof *dx), *dw = malloc(dout * dh * sizeof *dw);
        float *dxc = malloc(n * din * sizeof *dxc);
        th_download(dxb, 0, dx, n * ld);
        th_download(dwg, 0, dw, dout * dh);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < ld; j++) {
                if (j < din) dxc[r * din + j] = dx[r * ld + j];
                else if (dx[r * ld + j] != SENTINEL) fail_msg("dense dx wrote its padding");
            }
        snprintf(what, sizeof what, "dense n%zu %zu->%zu dx", n, din, dout);
        assert_sum_close(dxc, dxref, n * din, what);
        check_sentinels(dxb, n * ld, GUARD, what);
        snprintf(what, sizeof what, "dense n%zu %zu->%zu dW_H (added)", n, din, dout);
        assert_sum_close(dw, dwref, dout * dh, what);
        check_sentinels(dwg, dout * dh, GUARD, what);
        /* a second pass with accumulate = 1: dx doubles, dW_H gains the delta again */
        TH_OK(clkfac_nn_dense_backward(ctx, dxb, 0, ld, 1, dwg, 0, dsb, 0, xhb, 0, dwb, 0, n, din,
                                       dout));
        th_download(dxb, 0, dx, n * ld);
        th_download(dwg, 0, dw, dout * dh);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < din; j++) dxc[r * din + j] = dx[r * ld + j];
        for (size_t i = 0; i < n * din; i++) dxref[i] *= 2;
        for (size_t i = 0; i < dout * dh; i++) dwref[i] = 2 * dwref[i] - dw0[i];
        snprintf(what, sizeof what, "dense n%zu %zu->%zu dx accumulated", n, din, dout);
        assert_sum_close(dxc, dxref, n * din, what);
        snprintf(what, sizeof what, "dense n%zu %zu->%zu dW_H added twice", n, din, dout);
        assert_sum_close(dw, dwref, dout * dh, what);
        free(dxc);

        /* the reference backward is the derivative of the reference forward */
        if (n * din + dout * dh <= 2000) {
            double *dxa = malloc(n * din * sizeof *dxa), *dwa = calloc(dout * dh, sizeof *dwa);
            ref_dense_backward(dxa, dwa, dsd, xd, wd, n, din, dout);
            dense_fd c = {xd, wd, dsd, n, din, dout};
            fd_check(xd, n * din, dxa, dense_loss, &c, "dense ref dx");
            fd_check(wd, dout * dh, dwa, dense_loss, &c, "dense ref dW_H");
            free(dxa);
            free(dwa);
        }
        free(x); free(w); free(ds); free(dw0); free(xd); free(wd); free(dsd); free(sref);
        free(xhref); free(s); free(xh); free(dxref); free(dwref); free(dx); free(dw);
        clkfac_buffer_free(dx_in); clkfac_buffer_free(dwb); clkfac_buffer_free(sb);
        clkfac_buffer_free(xhb); clkfac_buffer_free(dsb); clkfac_buffer_free(dwg);
        clkfac_buffer_free(dxb);
    }
}

/* ---- conv layer ----------------------------------------------------------------------------- */

typedef struct conv_case { int n, c, h, w, k, s, p, d, cout; } conv_case;

/* stride 1-4 x padding 0-2 with varying batch (incl. 1), channels, odd sizes; then extras. */
static size_t conv_cases(conv_case *out)
{
    size_t n = 0;
    for (int s = 1; s <= 4; s++)
        for (int p = 0; p <= 2; p++) {
            int i = (int)n;
            conv_case c = {1 + i % 3, 1 + (i * 5) % 4, 7 + (i % 4), 9 + (i * 3) % 5,
                           1 + (i % 3) + (s > 2), s, p, 1, 1 + (i * 7) % 6};
            out[n++] = c;
        }
    const conv_case extra[] = {
        {1, 1, 1, 1, 1, 1, 0, 1, 1},    /* smallest */
        {2, 4, 20, 20, 8, 4, 0, 1, 5},  /* Atari first layer on a small image */
        {3, 3, 11, 6, 3, 2, 1, 2, 7},   /* dilation 2, non-square */
        {1, 5, 13, 13, 5, 3, 2, 1, 3},
        {4, 2, 5, 5, 1, 1, 0, 1, 9},    /* 1x1 kernel */
        {1, 2, 6, 6, 2, 1, 2, 2, 2},    /* padding beyond the kernel's reach */
        {2, 33, 5, 5, 3, 1, 1, 1, 33},  /* D = 297: no tile multiple */
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) out[n++] = extra[i];
    return n;
}

typedef struct conv_fd {
    double *x, *w, *wt;
    clkfac_conv_geom g;
    int cout, ho, wo;
} conv_fd;

static double conv_loss(void *p)
{
    conv_fd *c = p;
    size_t ny = (size_t)c->g.n * c->cout * c->ho * c->wo;
    double *y = malloc(ny * sizeof *y), l = 0;
    ref_conv_forward(y, c->x, c->w, &c->g, c->cout, c->ho, c->wo);
    for (size_t i = 0; i < ny; i++) l += c->wt[i] * y[i];
    free(y);
    return l;
}

static void test_conv_layer(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    conv_case cases[32];
    size_t nc = conv_cases(cases), n_fd = 0;
    th_rng rng = {23};
    for (size_t ci = 0; ci < nc; ci++) {
        const conv_case *cc = &cases[ci];
        clkfac_conv_geom g = {cc->n, cc->c, cc->h, cc->w, cc->k, cc->k, cc->s, cc->s,
                              cc->p, cc->p, cc->d, cc->d, 0 /* ignored: always a bias */};
        clkfac_conv_geom gb = g;
        gb.bias = 1;
        int ho, wo;
        TH_OK(clkfac_conv_out_size(&ho, &wo, &gb));
        size_t K = (size_t)cc->cout, T = (size_t)ho * wo, R = (size_t)cc->n * T;
        size_t D1 = clkfac_conv_patch_cols(&gb), nx = (size_t)cc->n * cc->c * cc->h * cc->w;
        float *x = rand_f(&rng, nx, 1.0f), *w = rand_f(&rng, K * D1, 0.3f);
        float *dy = rand_f(&rng, R * K, 1.0f), *dw0 = rand_f(&rng, K * D1, 1.0f);
        double *xd = th_to_double(x, nx), *wd = th_to_double(w, K * D1), *dyd = th_to_double(dy, R * K);
        double *yref = malloc(R * K * sizeof *yref), *sref = malloc(R * K * sizeof *sref);
        double *pref = malloc(R * D1 * sizeof *pref);
        ref_conv_forward(yref, xd, wd, &g, (int)K, ho, wo);
        for (size_t e = 0; e < (size_t)cc->n; e++)
            for (size_t k = 0; k < K; k++)
                for (size_t t = 0; t < T; t++)
                    sref[(e * T + t) * K + k] = yref[(e * K + k) * T + t];
        ref_patches(pref, x, &gb, ho, wo);

        cl_mem xb = th_upload(x, nx), wb = th_upload(w, K * D1);
        cl_mem sb = th_alloc(R * K + GUARD, SENTINEL), pb = th_alloc(5 + R * D1 + GUARD, SENTINEL);
        TH_OK(clkfac_nn_conv_forward(ctx, sb, 0, pb, 5, xb, 0, wb, 0, &g, K));
        float *s = malloc(R * K * sizeof *s), *p = malloc(R * D1 * sizeof *p);
        th_download(sb, 0, s, R * K);
        th_download(pb, 5, p, R * D1);
        char what[160];
        snprintf(what, sizeof what, "conv case %zu (n%d c%d %dx%d k%d s%d p%d d%d -> %zu)", ci,
                 cc->n, cc->c, cc->h, cc->w, cc->k, cc->s, cc->p, cc->d, K);
        assert_sum_close(s, sref, R * K, what);
        check_sentinels(sb, R * K, GUARD, what);
        th_assert_close(p, pref, R * D1, 0, 0, "conv P_H (a copy: exact)");
        check_sentinels(pb, 5 + R * D1, GUARD, "conv P_H");

        /* backward from dy given in rows form (DS) */
        double *dsd = malloc(R * K * sizeof *dsd), *dyn = malloc(R * K * sizeof *dyn);
        for (size_t i = 0; i < R * K; i++) dsd[i] = dyd[i];
        for (size_t e = 0; e < (size_t)cc->n; e++)
            for (size_t k = 0; k < K; k++)
                for (size_t t = 0; t < T; t++) dyn[(e * K + k) * T + t] = dsd[(e * T + t) * K + k];
        double *dxref = malloc(nx * sizeof *dxref), *dwref = th_to_double(dw0, K * D1);
        ref_conv_backward(dxref, dwref, dyn, xd, wd, &g, (int)K, ho, wo);
        size_t ws = clkfac_nn_conv_workspace(&g);
        assert_int_equal(ws, R * (D1 - 1));
        cl_mem dsb = th_upload(dy, R * K), dwg = th_alloc(K * D1 + GUARD, SENTINEL);
        cl_mem dxb = th_alloc(nx + GUARD, SENTINEL), wk = th_alloc(ws + GUARD, SENTINEL);
        TH_OK(clkfac_buffer_write(ctx, dwg, 0, dw0, K * D1));
        TH_OK(clkfac_nn_conv_backward(ctx, dxb, 0, 0, dwg, 0, dsb, 0, pb, 5, wb, 0, &g, K, wk, 0,
                                      ws));
        float *dx = malloc(nx * sizeof *dx), *dw = malloc(K * D1 * sizeof *dw);
        th_download(dxb, 0, dx, nx);
        th_download(dwg, 0, dw, K * D1);
        snprintf(what, sizeof what, "conv case %zu dx", ci);
        assert_sum_close(dx, dxref, nx, what);
        check_sentinels(dxb, nx, GUARD, what);
        check_sentinels(wk, ws, GUARD, "conv workspace");
        snprintf(what, sizeof what, "conv case %zu dW_H (added)", ci);
        assert_sum_close(dw, dwref, K * D1, what);
        check_sentinels(dwg, K * D1, GUARD, what);
        /* accumulate = 1 doubles dx; a workspace of one example (plus a bit) runs it in chunks */
        TH_OK(clkfac_nn_conv_backward(ctx, dxb, 0, 1, dwg, 0, dsb, 0, pb, 5, wb, 0, &g, K, wk, 0,
                                      ws / (size_t)cc->n + 1));
        check_sentinels(wk, ws, GUARD, "conv workspace (chunked)");
        assert_int_equal(clkfac_nn_conv_backward(ctx, dxb, 0, 1, dwg, 0, dsb, 0, pb, 5, wb, 0, &g,
                                                 K, wk, 0, ws / (size_t)cc->n - 1),
                         CLKFAC_ERR_INVALID_ARG);
        th_download(dxb, 0, dx, nx);
        for (size_t i = 0; i < nx; i++) dxref[i] *= 2;
        snprintf(what, sizeof what, "conv case %zu dx accumulated", ci);
        assert_sum_close(dx, dxref, nx, what);
        th_download(dwg, 0, dw, K * D1);
        for (size_t i = 0; i < K * D1; i++) dwref[i] = 2 * dwref[i] - dw0[i];
        snprintf(what, sizeof what, "conv case %zu dW_H added twice", ci);
        assert_sum_close(dw, dwref, K * D1, what);

        if (nx + K * D1 <= 1500) {
            double *dxa = malloc(nx * sizeof *dxa), *dwa = calloc(K * D1, sizeof *dwa);
            ref_conv_backward(dxa, dwa, dyn, xd, wd, &g, (int)K, ho, wo);
            conv_fd c = {xd, wd, dyn, g, (int)K, ho, wo};
            fd_check(xd, nx, dxa, conv_loss, &c, "conv ref dx");
            fd_check(wd, K * D1, dwa, conv_loss, &c, "conv ref dW_H");
            free(dxa);
            free(dwa);
            n_fd++;
        }
        free(x); free(w); free(dy); free(dw0); free(xd); free(wd); free(dyd); free(yref);
        free(sref); free(pref); free(s); free(p); free(dsd); free(dyn); free(dxref); free(dwref);
        free(dx); free(dw);
        clkfac_buffer_free(xb); clkfac_buffer_free(wb); clkfac_buffer_free(sb);
        clkfac_buffer_free(pb); clkfac_buffer_free(dsb); clkfac_buffer_free(dwg);
        clkfac_buffer_free(dxb); clkfac_buffer_free(wk);
    }
    assert_true(n_fd >= 8);
    const clkfac_device_profile *pr = clkfac_context_profile(th_ctx());
    print_message("checked conv forward/backward for %zu shapes (%zu with finite differences); "
                  "blas=%s, conv=%s\n", nc, n_fd, clkfac_blas_engine_name(pr->blas),
                  pr->conv_host ? "host" : "opencl");
}

/* ---- activations ----------------------------------------------------------------------------- */

typedef struct act_fd {
    double *s, *wt;
    size_t n;
    int act;
} act_fd;

static double act_loss(void *p)
{
    act_fd *c = p;
    double l = 0;
    for (size_t i = 0; i < c->n; i++) l += c->wt[i] * ref_act(c->act, c->s[i]);
    return l;
}

static void test_activations(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    /* examples, channels, locations, example stride */
    const size_t shapes[][4] = {{1, 1, 1, 1}, {3, 5, 1, 5}, {2, 3, 7, 25}, {4, 16, 9, 145},
                                {17, 33, 1, 34}};
    th_rng rng = {31};
    for (int act = 0; act <= 3; act++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            size_t N = shapes[si][0], K = shapes[si][1], T = shapes[si][2], ld = shapes[si][3];
            size_t R = N * T, total = R * K;
            float *s = rand_f(&rng, total, 2.0f), *dy = rand_f(&rng, N * ld, 1.0f);
            /* keep away from relu's kink so the finite differences are defined */
            for (size_t i = 0; i < total; i++)
                if (fabsf(s[i]) < 1e-3f) s[i] = 0.5f;
            double *yref = malloc(N * ld * sizeof *yref), *dsref = malloc(total * sizeof *dsref);
            for (size_t e = 0; e < N; e++)
                for (size_t k = 0; k < K; k++)
                    for (size_t t = 0; t < T; t++) {
                        size_t r = (e * T + t) * K + k, c = e * ld + k * T + t;
                        yref[c] = ref_act(act, s[r]);
                        dsref[r] = dy[c] * ref_act_grad(act, s[r]);
                    }
            cl_mem sb = th_upload(s, total), yb = th_alloc(N * ld + GUARD, SENTINEL);
            cl_mem dyb = th_upload(dy, N * ld), dsb = th_alloc(total + GUARD, SENTINEL);
            TH_OK(clkfac_nn_act_forward(ctx, (clkfac_nn_act)act, yb, 0, ld, sb, 0, N, K, T));
            TH_OK(clkfac_nn_act_backward(ctx, (clkfac_nn_act)act, dsb, 0, dyb, 0, ld, sb, 0, N, K,
                                         T));
            float *y = malloc(N * ld * sizeof *y), *ds = malloc(total * sizeof *ds);
            th_download(yb, 0, y, N * ld);
            th_download(dsb, 0, ds, total);
            char what[96];
            snprintf(what, sizeof what, "%s forward N%zu K%zu T%zu ld%zu", clkfac_nn_act_name(act),
                     N, K, T, ld);
            for (size_t e = 0; e < N; e++)
                for (size_t j = K * T; j < ld; j++)
                    if (y[e * ld + j] != SENTINEL) fail_msg("%s: wrote the stride gap", what);
            for (size_t e = 0; e < N; e++)
                for (size_t j = K * T; j < ld; j++) yref[e * ld + j] = SENTINEL;
            /* element-wise float math: a few ulp */
            th_assert_close(y, yref, N * ld, 1e-6, 1e-5, what);
            check_sentinels(yb, N * ld, GUARD, what);
            snprintf(what, sizeof what, "%s backward N%zu K%zu T%zu ld%zu",
                     clkfac_nn_act_name(act), N, K, T, ld);
            th_assert_close(ds, dsref, total, 1e-6, 1e-5, what);
            check_sentinels(dsb, total, GUARD, what);

            /* f' of the reference against central differences of f */
            double *sd = th_to_double(s, total), *wt = malloc(total * sizeof *wt);
            double *ga = malloc(total * sizeof *ga);
            for (size_t i = 0; i < total; i++) {
                wt[i] = th_normal(&rng);
                ga[i] = wt[i] * ref_act_grad(act, sd[i]);
            }
            act_fd c = {sd, wt, total, act};
            fd_check(sd, total, ga, act_loss, &c, "activation ref derivative");
            free(sd); free(wt); free(ga);
            free(s); free(dy); free(yref); free(dsref); free(y); free(ds);
            clkfac_buffer_free(sb); clkfac_buffer_free(yb); clkfac_buffer_free(dyb);
            clkfac_buffer_free(dsb);
        }
}

/* ---- networks ----------------------------------------------------------------------------- */

static clkfac_nn *make_net(const char *spec, const int *shape, size_t rank, size_t max_batch,
                           clkfac_nn_act act, const clkfac_nn_head_spec *heads, size_t n_heads,
                           uint64_t seed)
{
    clkfac_nn_options o = CLKFAC_NN_OPTIONS_INIT;
    o.act = act;
    o.heads = heads;
    o.n_heads = n_heads;
    o.seed = seed;
    clkfac_nn *net = NULL;
    TH_OK(clkfac_nn_create_str(&net, th_ctx(), spec, shape, rank, max_batch, &o));
    return net;
}

/* Replaces the initial parameters (zero biases, tiny policy weights) by random ones of scale
 * 1/sqrt(fan-in), so every part of every block is exercised. Returns the host copy. */
static float *randomize_params(clkfac_nn *net, th_rng *rng)
{
    size_t np = clkfac_nn_param_count(net);
    float *p = malloc(np * sizeof *p);
    for (size_t i = 0; i < clkfac_nn_layer_count(net); i++) {
        clkfac_nn_layer_info L;
        TH_OK(clkfac_nn_layer_info_get(&L, net, i));
        th_fill_normal(rng, p + L.offset, L.d_out * L.d_in_h,
                       (float)(1.0 / sqrt((double)L.d_in_h)));
    }
    TH_OK(clkfac_buffer_write(th_ctx(), clkfac_nn_params(net), 0, p, np));
    return p;
}

static float *download_view(const clkfac_nn_view *v)
{
    size_t n = v->rows * v->ld;
    float *raw = malloc(n * sizeof *raw), *out = malloc(v->rows * v->cols * sizeof *out);
    th_download(v->buf, v->off, raw, n - (v->ld - v->cols));
    for (size_t r = 0; r < v->rows; r++)
        memcpy(out + r * v->cols, raw + r * v->ld, v->cols * sizeof *out);
    free(raw);
    return out;
}

static void upload_view(const clkfac_nn_view *v, const float *x)
{
    for (size_t r = 0; r < v->rows; r++)
        TH_OK(clkfac_buffer_write(th_ctx(), v->buf, v->off + r * v->ld, x + r * v->cols, v->cols));
}

/* Normalized error sum (a-b)^2 / sum b^2 <= 1e-8, i.e. a relative RMS error of 1e-4: float
 * layers chained over sums of up to ~3000 products. */
static void assert_nrm(const float *got, const double *ref, size_t n, const char *what)
{
    double e = th_nrm_err(got, ref, n);
    for (size_t i = 0; i < n; i++)
        if (isnan(got[i]) || isinf(got[i])) fail_msg("%s[%zu] = %g", what, i, got[i]);
    if (!(e <= 1e-8)) fail_msg("%s: normalized error %.3g > 1e-8", what, e);
}

static void check_view(const clkfac_nn_view *v, const double *ref, size_t rows, size_t cols,
                       const char *what)
{
    if (v->rows != rows || v->cols != cols || v->ld < cols)
        fail_msg("%s: view %zu x %zu (ld %zu), expected %zu x %zu", what, v->rows, v->cols, v->ld,
                 rows, cols);
    float *got = download_view(v);
    assert_nrm(got, ref, rows * cols, what);
    free(got);
}

typedef struct net_case {
    const char *spec;
    int shape[3];
    size_t rank, max_batch;
    clkfac_nn_act act;
    size_t n_heads;
    size_t batches[2];
} net_case;

static void compare_network(clkfac_nn *net, size_t n, th_rng *rng, const char *label)
{
    clkfac_context *ctx = th_ctx();
    size_t in = clkfac_nn_input_size(net), np = clkfac_nn_param_count(net);
    size_t nl = clkfac_nn_layer_count(net), no = clkfac_nn_output_count(net);
    float *pf = malloc(np * sizeof *pf);
    th_download(clkfac_nn_params(net), 0, pf, np);
    double *pd = th_to_double(pf, np);
    float *x = rand_f(rng, n * in, 1.0f);
    double *xd = th_to_double(x, n * in);
    cl_mem xb = th_alloc(3 + n * in, 0.0f), dxb = th_alloc(n * in + GUARD, SENTINEL);
    TH_OK(clkfac_buffer_write(ctx, xb, 3, x, n * in));

    ref_net r;
    ref_net_init(&r, net, n);
    ref_net_forward(&r, pd, xd);
    TH_OK(clkfac_nn_forward(net, n, xb, 3));
    assert_int_equal(clkfac_nn_batch(net), n);
    char what[160];
    clkfac_nn_view v;
    for (size_t h = 0; h < no; h++) {
        clkfac_nn_view ov;
        TH_OK(clkfac_nn_output(&ov, net, h));
        snprintf(what, sizeof what, "%s n%zu output %zu", label, n, h);
        check_view(&ov, ref_net_output(&r, h), n, ov.cols, what);
    }
    TH_OK(clkfac_nn_features(&v, net));
    assert_int_equal(v.ld, v.cols + 1);
    snprintf(what, sizeof what, "%s n%zu features", label, n);
    check_view(&v, r.feat, n, r.feat_size, what);
    for (size_t i = 0; i < nl; i++) {
        size_t rows = n * r.info[i].locations;
        TH_OK(clkfac_nn_layer_input(&v, net, i));
        snprintf(what, sizeof what, "%s n%zu %s saved input X_H", label, n, r.info[i].name);
        check_view(&v, r.xh[i], rows, r.info[i].d_in_h, what);
        TH_OK(clkfac_nn_layer_preact(&v, net, i));
        snprintf(what, sizeof what, "%s n%zu %s preact", label, n, r.info[i].name);
        check_view(&v, r.s[i], rows, r.info[i].d_out, what);
    }

    /* backward of L = sum_h <dout_h, output_h> */
    double **dout = calloc(no, sizeof *dout);
    for (size_t h = 0; h < no; h++) {
        clkfac_nn_view gv;
        TH_OK(clkfac_nn_output_grad(&gv, net, h));
        float *g = rand_f(rng, gv.rows * gv.cols, 1.0f);
        upload_view(&gv, g);
        dout[h] = th_to_double(g, gv.rows * gv.cols);
        free(g);
    }
    double *gref = calloc(np, sizeof *gref);
    ref_net_backward(&r, pd, gref, (const double *const *)dout);
    TH_OK(clkfac_nn_zero_grad(net));
    uint64_t b0 = clkfac_context_blocking_calls(ctx);
    TH_OK(clkfac_nn_forward(net, n, xb, 3));
    TH_OK(clkfac_nn_backward(net, n, dxb, 0));
    /* forward + backward only enqueue: no host round trip */
    assert_int_equal(clkfac_context_blocking_calls(ctx), b0);
    float *g = malloc(np * sizeof *g), *dx = malloc(n * in * sizeof *dx);
    th_download(clkfac_nn_grads(net), 0, g, np);
    th_download(dxb, 0, dx, n * in);
    for (size_t i = 0; i < nl; i++) {
        TH_OK(clkfac_nn_layer_dpreact(&v, net, i));
        snprintf(what, sizeof what, "%s n%zu %s dpreact DS", label, n, r.info[i].name);
        check_view(&v, r.ds[i], n * r.info[i].locations, r.info[i].d_out, what);
        snprintf(what, sizeof what, "%s n%zu %s dW_H", label, n, r.info[i].name);
        assert_nrm(g + r.info[i].offset, gref + r.info[i].offset,
                   r.info[i].d_out * r.info[i].d_in_h, what);
    }
    snprintf(what, sizeof what, "%s n%zu input gradient", label, n);
    assert_nrm(dx, r.dx, n * in, what);
    check_sentinels(dxb, n * in, GUARD, what);
    /* a second backward adds the same gradient again */
    TH_OK(clkfac_nn_backward(net, n, NULL, 0));
    th_download(clkfac_nn_grads(net), 0, g, np);
    for (size_t i = 0; i < np; i++) gref[i] *= 2;
    snprintf(what, sizeof what, "%s n%zu gradients added twice", label, n);
    assert_nrm(g, gref, np, what);

    for (size_t h = 0; h < no; h++) free(dout[h]);
    free(dout); free(gref); free(g); free(dx); free(pf); free(pd); free(x); free(xd);
    ref_net_free(&r);
    clkfac_buffer_free(xb);
    clkfac_buffer_free(dxb);
}

static void test_network_vs_reference(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const clkfac_nn_head_spec heads2[] = {{"pi", 4, 0.01f}, {"v", 1, 1.0f}};
    const clkfac_nn_head_spec heads_atari[] = {{"pi", 6, 0.01f}, {"v", 1, 1.0f}};
    const clkfac_nn_head_spec head1[] = {{"pi", 2, 0.01f}};
    const net_case cases[] = {
        {"conv:4,3,2,1 conv:5,3,1 dense:7", {3, 12, 11}, 3, 5, CLKFAC_NN_ACT_ELU, 2, {5, 2}},
        {"dense:8 dense:8", {6, 0, 0}, 1, 9, CLKFAC_NN_ACT_TANH, 2, {9, 1}},
        {"", {5, 0, 0}, 1, 4, CLKFAC_NN_ACT_RELU, 1, {3, 4}},              /* heads only */
        {"conv:3,2,1 flatten dense:5", {2, 6, 6}, 3, 3, CLKFAC_NN_ACT_RELU, 0, {3, 1}},
        {"conv:3,3,2", {2, 7, 7}, 3, 2, CLKFAC_NN_ACT_RELU, 2, {2, 1}},  /* conv feeds heads */
        {"dense:4", {2, 3, 3}, 3, 2, CLKFAC_NN_ACT_TANH, 0, {1, 2}},      /* flattened input */
        {"conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512", {4, 84, 84}, 3, 2, CLKFAC_NN_ACT_RELU,
         2, {2, 1}},                                                      /* Atari, batch 2 */
    };
    th_rng rng = {97};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const net_case *c = &cases[ci];
        const clkfac_nn_head_spec *hs =
            c->n_heads == 1 ? head1 : (c->shape[1] == 84 ? heads_atari : heads2);
        clkfac_nn *net = make_net(c->spec, c->shape, c->rank, c->max_batch, c->act, hs,
                                  c->n_heads, 5 + ci);
        float *p = randomize_params(net, &rng);
        for (size_t b = 0; b < 2; b++)
            compare_network(net, c->batches[b], &rng, c->spec[0] ? c->spec : "(heads only)");
        print_message("network vs reference: %s\n", clkfac_nn_describe(net));
        free(p);
        clkfac_nn_free(net);
    }
}

/* ---- finite differences through the device forward ------------------------------------------ */

typedef struct dev_fd {
    clkfac_nn *net;
    cl_mem x;
    size_t n;
    double **wt; /* per output (n, cols) */
} dev_fd;

/* L = sum_h <wt_h, output_h>, the outputs computed in float on the device, summed in double. */
static double device_loss(dev_fd *c)
{
    TH_OK(clkfac_nn_forward(c->net, c->n, c->x, 0));
    double l = 0;
    for (size_t h = 0; h < clkfac_nn_output_count(c->net); h++) {
        clkfac_nn_view v;
        TH_OK(clkfac_nn_output(&v, c->net, h));
        float *o = download_view(&v);
        for (size_t i = 0; i < v.rows * v.cols; i++) l += c->wt[h][i] * o[i];
        free(o);
    }
    return l;
}

/* Central difference with step h in float: the step actually taken is (float)(v+h) -
 * (float)(v-h), used as the denominator so rounding of the perturbed value does not count. */
static double device_fd(dev_fd *c, cl_mem buf, size_t idx, float h)
{
    float v, vp, vm;
    th_download(buf, idx, &v, 1);
    vp = v + h;
    vm = v - h;
    TH_OK(clkfac_buffer_write(th_ctx(), buf, idx, &vp, 1));
    double lp = device_loss(c);
    TH_OK(clkfac_buffer_write(th_ctx(), buf, idx, &vm, 1));
    double lm = device_loss(c);
    TH_OK(clkfac_buffer_write(th_ctx(), buf, idx, &v, 1));
    return (lp - lm) / ((double)vp - (double)vm);
}

/* Whole network (conv + dense + policy and value heads) with smooth activations: device
 * gradients vs central differences of the device forward itself, step 1e-2 in float.
 * Tolerance: |fd - g| <= 2e-4 + 1e-2 |g| per coordinate, and over all checked coordinates
 * sum (fd-g)^2 / sum g^2 <= 1e-6. The step's truncation error is O(h^2) times the third
 * derivative and the float rounding of L (~1e-6) over 2h contributes ~5e-5; measured on PoCL:
 * normalized error ~5e-10, worst |fd - g| ~5e-4 (1e-3 + |g|). A wrong transpose, a missing bias
 * column or a dropped activation derivative gives errors of order |g|. */
static void test_network_finite_differences(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const clkfac_nn_head_spec heads[] = {{"pi", 3, 1.0f}, {"v", 1, 1.0f}};
    const int shape[3] = {2, 9, 9};
    const clkfac_nn_act acts[] = {CLKFAC_NN_ACT_TANH, CLKFAC_NN_ACT_ELU};
    th_rng rng = {2024};
    for (size_t ai = 0; ai < 2; ai++) {
        const size_t n = 3;
        clkfac_nn *net = make_net("conv:3,3,2,1 conv:4,2,1 dense:6", shape, 3, 4, acts[ai],
                                  heads, 2, 3);
        float *p = randomize_params(net, &rng);
        size_t in = clkfac_nn_input_size(net), np = clkfac_nn_param_count(net);
        float *x = rand_f(&rng, n * in, 1.0f);
        cl_mem xb = th_upload(x, n * in), dxb = th_alloc(n * in, 0.0f);
        dev_fd c = {net, xb, n, calloc(2, sizeof(double *))};
        TH_OK(clkfac_nn_zero_grad(net));
        TH_OK(clkfac_nn_forward(net, n, xb, 0));
        for (size_t h = 0; h < 2; h++) {
            clkfac_nn_view gv;
            TH_OK(clkfac_nn_output_grad(&gv, net, h));
            float *wt = rand_f(&rng, gv.rows * gv.cols, 1.0f);
            upload_view(&gv, wt);
            c.wt[h] = th_to_double(wt, gv.rows * gv.cols);
            free(wt);
        }
        TH_OK(clkfac_nn_backward(net, n, dxb, 0));
        float *g = malloc(np * sizeof *g), *dx = malloc(n * in * sizeof *dx);
        th_download(clkfac_nn_grads(net), 0, g, np);
        th_download(dxb, 0, dx, n * in);

        /* 4 parameters per layer (one of them a bias) and 8 input coordinates */
        double num = 0, den = 0, worst = 0;
        size_t checked = 0;
        for (size_t i = 0; i < clkfac_nn_layer_count(net) + 1; i++) {
            int is_input = i == clkfac_nn_layer_count(net);
            clkfac_nn_layer_info L;
            if (!is_input) TH_OK(clkfac_nn_layer_info_get(&L, net, i));
            for (int k = 0; k < (is_input ? 8 : 4); k++) {
                size_t idx;
                if (is_input)
                    idx = (size_t)(th_uniform(&rng) * (double)(n * in));
                else if (k == 0) /* a bias: last column of a random row */
                    idx = L.offset + (size_t)(th_uniform(&rng) * (double)L.d_out) * L.d_in_h +
                          L.d_in_h - 1;
                else
                    idx = L.offset + (size_t)(th_uniform(&rng) * (double)(L.d_out * L.d_in_h));
                double an = is_input ? dx[idx] : g[idx];
                double fd = device_fd(&c, is_input ? xb : clkfac_nn_params(net), idx, 1e-2f);
                double err = fabs(fd - an);
                num += err * err;
                den += an * an;
                worst = fmax(worst, err / (1e-3 + fabs(an)));
                checked++;
                if (err > 2e-4 + 1e-2 * fabs(an))
                    fail_msg("%s %s[%zu]: finite difference %.6g, device gradient %.6g",
                             clkfac_nn_act_name(acts[ai]), is_input ? "input" : L.name, idx, fd,
                             an);
            }
        }
        assert_true(den > 1e-2); /* the check is not vacuous */
        if (!(num / den <= 1e-6)) fail_msg("normalized finite-difference error %.3g", num / den);
        print_message("%s network: %zu coordinates, normalized FD error %.2e, worst err/(1e-3+|g|) "
                      "%.2e\n", clkfac_nn_act_name(acts[ai]), checked, num / den, worst);
        free(c.wt[0]); free(c.wt[1]); free(c.wt);
        free(p); free(x); free(g); free(dx);
        clkfac_buffer_free(xb);
        clkfac_buffer_free(dxb);
        clkfac_nn_free(net);
    }
    (void)ctx;
}

/* ---- initialisation ------------------------------------------------------------------------- */

static void check_orthogonal(const float *w, const clkfac_nn_layer_info *L, double gain)
{
    size_t r = L->d_out, c = L->d_in_h - 1, m = r <= c ? r : c;
    /* wide: W W^T = gain^2 I (rows); tall: W^T W = gain^2 I (columns) */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) {
            double acc = 0;
            if (r <= c)
                for (size_t k = 0; k < c; k++)
                    acc += (double)w[i * (c + 1) + k] * w[j * (c + 1) + k];
            else
                for (size_t k = 0; k < r; k++)
                    acc += (double)w[k * (c + 1) + i] * w[k * (c + 1) + j];
            double want = i == j ? gain * gain : 0.0;
            if (fabs(acc - want) > 1e-5 * gain * gain)
                fail_msg("%s (%zu x %zu): (W%sW%s)[%zu][%zu] = %.8g, expected %.8g", L->name, r, c,
                         r <= c ? "" : "^T", r <= c ? "^T" : "", i, j, acc, want);
        }
    for (size_t i = 0; i < r; i++)
        if (w[i * (c + 1) + c] != 0.0f)
            fail_msg("%s: bias %zu = %g, expected 0", L->name, i, w[i * (c + 1) + c]);
}

static void test_orthogonal_init(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const clkfac_nn_head_spec heads[] = {{"pi", 5, 0.01f}, {"v", 1, 1.0f}};
    const int img[3] = {4, 20, 20}, vec[1] = {3};
    clkfac_nn *a = make_net("conv:8,4,2 conv:16,3,1@1.0 dense:40", img, 3, 1, CLKFAC_NN_ACT_RELU,
                            heads, 2, 7);
    /* tall (64 x 3), square (64 x 64: Gram-Schmidt's hardest case), wide */
    clkfac_nn *t = make_net("dense:64 dense:64 dense:4@0.5", vec, 1, 1, CLKFAC_NN_ACT_TANH,
                            heads + 1, 1, 7);
    const double gains_a[] = {sqrt(2.0), 1.0, sqrt(2.0), 0.01, 1.0};
    const double gains_t[] = {sqrt(2.0), sqrt(2.0), 0.5, 1.0};
    clkfac_nn *nets[2] = {a, t};
    const double *gains[2] = {gains_a, gains_t};
    int saw_tall = 0, saw_wide = 0;
    for (int k = 0; k < 2; k++) {
        size_t np = clkfac_nn_param_count(nets[k]);
        float *w = malloc(np * sizeof *w);
        th_download(clkfac_nn_params(nets[k]), 0, w, np);
        for (size_t i = 0; i < clkfac_nn_layer_count(nets[k]); i++) {
            clkfac_nn_layer_info L;
            TH_OK(clkfac_nn_layer_info_get(&L, nets[k], i));
            assert_true(fabs(L.gain - gains[k][i]) < 1e-6);
            check_orthogonal(w + L.offset, &L, gains[k][i]);
            if (L.d_out > L.d_in_h - 1) saw_tall = 1; else saw_wide = 1;
        }
        free(w);
    }
    assert_true(saw_tall && saw_wide);

    /* same seed: identical; another seed: different; re-initialising restores */
    size_t np = clkfac_nn_param_count(a);
    clkfac_nn *b = make_net("conv:8,4,2 conv:16,3,1@1.0 dense:40", img, 3, 3, CLKFAC_NN_ACT_RELU,
                            heads, 2, 7);
    clkfac_nn *c = make_net("conv:8,4,2 conv:16,3,1@1.0 dense:40", img, 3, 1, CLKFAC_NN_ACT_RELU,
                            heads, 2, 8);
    float *wa = malloc(np * sizeof *wa), *wb = malloc(np * sizeof *wb);
    float *wc = malloc(np * sizeof *wc);
    th_download(clkfac_nn_params(a), 0, wa, np);
    th_download(clkfac_nn_params(b), 0, wb, np);
    th_download(clkfac_nn_params(c), 0, wc, np);
    assert_memory_equal(wa, wb, np * sizeof *wa);
    size_t same = 0, nonzero = 0;
    for (size_t i = 0; i < np; i++)
        if (wa[i] != 0.0f) {
            nonzero++;
            same += wa[i] == wc[i];
        }
    assert_true(nonzero > np / 2);
    assert_true(same < nonzero / 100);
    TH_OK(clkfac_nn_init_params(c, 7));
    th_download(clkfac_nn_params(c), 0, wc, np);
    assert_memory_equal(wa, wc, np * sizeof *wa);
    free(wa); free(wb); free(wc);
    clkfac_nn_free(a); clkfac_nn_free(b); clkfac_nn_free(c); clkfac_nn_free(t);
}

/* ---- layout, views and errors ---------------------------------------------------------------- */

static void test_atari_layout(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const clkfac_nn_head_spec heads[] = {{"pi", 6, 0.01f}, {"v", 1, 1.0f}};
    const int shape[3] = {4, 84, 84};
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    clkfac_nn *net = make_net("conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512", shape, 3, 4,
                              CLKFAC_NN_ACT_RELU, heads, 2, 1);
    double t_create = (double)clock() / CLOCKS_PER_SEC - t0;
    const size_t d_out[] = {32, 64, 64, 512, 6, 1}, d_in_h[] = {257, 513, 577, 3137, 513, 513};
    const size_t locs[] = {400, 81, 49, 1, 1, 1};
    assert_int_equal(clkfac_nn_layer_count(net), 6);
    size_t off = 0;
    for (size_t i = 0; i < 6; i++) {
        clkfac_nn_layer_info L;
        TH_OK(clkfac_nn_layer_info_get(&L, net, i));
        assert_int_equal(L.offset, off);
        assert_int_equal(L.d_out, d_out[i]);
        assert_int_equal(L.d_in_h, d_in_h[i]);
        assert_int_equal(L.locations, locs[i]);
        assert_int_equal(L.is_head, i >= 4);
        off += L.d_out * L.d_in_h;
    }
    assert_int_equal(clkfac_nn_param_count(net), off);
    assert_int_equal(off, 1687719);
    assert_int_equal(clkfac_nn_feature_size(net), 512);
    assert_int_equal(clkfac_nn_input_size(net), 4 * 84 * 84);
    assert_int_equal(clkfac_nn_max_batch(net), 4);
    assert_int_equal(clkfac_nn_output_count(net), 2);
    assert_string_equal(clkfac_nn_describe(net), "in(4,84,84) conv:32,8,4,0 conv:64,4,2,0 "
                        "conv:64,3,1,0 dense:512 | pi:6 v:1 act=relu params=1687719");
    size_t h = 9;
    TH_OK(clkfac_nn_head_find(&h, net, "v"));
    assert_int_equal(h, 1);
    assert_int_equal(clkfac_nn_head_find(&h, net, "q"), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "'pi', 'v'"));
    clkfac_nn_layer_info L;
    TH_OK(clkfac_nn_layer_info_get(&L, net, 1));
    assert_string_equal(L.name, "conv1");
    assert_int_equal(L.geom.c, 32);
    assert_int_equal(L.geom.h, 20);
    assert_int_equal(L.out_h, 9);
    assert_int_equal(L.geom.n, 4);

    /* views follow the batch of the last forward */
    cl_mem x = th_alloc(3 * 4 * 84 * 84, 0.5f);
    TH_OK(clkfac_nn_forward(net, 3, x, 0));
    clkfac_nn_view v;
    TH_OK(clkfac_nn_layer_input(&v, net, 0));
    assert_int_equal(v.rows, 3 * 400);
    assert_int_equal(v.cols, 257);
    TH_OK(clkfac_nn_layer_dpreact(&v, net, 2));
    assert_int_equal(v.rows, 3 * 49);
    assert_int_equal(v.cols, 64);
    TH_OK(clkfac_nn_layer_input(&v, net, 5));
    clkfac_nn_view f;
    TH_OK(clkfac_nn_features(&f, net));
    assert_true(v.buf == f.buf && v.ld == 513); /* heads read the features as their X_H */
    TH_OK(clkfac_nn_output_grad(&v, net, 0));
    assert_int_equal(v.rows, 3);
    assert_int_equal(v.cols, 6);
    print_message("Atari network: %s (host init %.2f s CPU)\n", clkfac_nn_describe(net), t_create);
    clkfac_buffer_free(x);
    clkfac_nn_free(net);
}

static void expect_create_error(const char *spec, const int *shape, size_t rank, size_t max_batch,
                                const clkfac_nn_options *o, const char *expect)
{
    clkfac_nn *net = (clkfac_nn *)(uintptr_t)1;
    clkfac_status st = clkfac_nn_create_str(&net, th_ctx(), spec, shape, rank, max_batch, o);
    if (st != CLKFAC_ERR_INVALID_ARG)
        fail_msg("'%s': status %s, expected CLKFAC_ERR_INVALID_ARG", spec, clkfac_status_str(st));
    assert_true(net == (clkfac_nn *)(uintptr_t)1); /* *out untouched */
    if (!strstr(clkfac_last_error(), expect))
        fail_msg("'%s': detail '%s' lacks '%s'", spec, clkfac_last_error(), expect);
}

static void test_create_and_call_errors(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const int img[3] = {1, 5, 5}, vec[1] = {5}, zero[3] = {1, 0, 5};
    clkfac_nn_options o = CLKFAC_NN_OPTIONS_INIT;
    expect_create_error("conv:4,3,1", vec, 1, 2, NULL, "needs a (C,H,W) input, but the network "
                        "input is rank 1");
    expect_create_error("dense:4 conv:4,3,1", img, 3, 2, NULL, "it follows a dense layer");
    expect_create_error("conv:4,9,1", img, 3, 2, NULL, "trunk layer 0 (conv:4,9,1,0)");
    expect_create_error("conv:4,9,1", img, 3, 2, NULL, "larger than the padded input");
    expect_create_error("conv:4,3,1,-1", img, 3, 2, NULL, "'conv:4,3,1,-1'");
    expect_create_error("dense:4", img, 2, 2, NULL, "expected (C,H,W) or (D)");
    expect_create_error("dense:4", zero, 3, 2, NULL, "dimension 1 = 0");
    expect_create_error("dense:4", vec, 1, 0, NULL, "max_batch = 0");
    expect_create_error("", vec, 1, 2, NULL, "no layers and no heads");
    clkfac_nn_head_spec dup[] = {{"pi", 2, 1.0f}, {"pi", 1, 1.0f}};
    o.heads = dup;
    o.n_heads = 2;
    expect_create_error("dense:4", vec, 1, 2, &o, "head name 'pi' used twice");
    clkfac_nn_head_spec bad_units[] = {{"v", 0, 1.0f}};
    o.heads = bad_units;
    o.n_heads = 1;
    expect_create_error("dense:4", vec, 1, 2, &o, "head 'v' units = 0");
    clkfac_nn_head_spec bad_gain[] = {{"v", 1, 0.0f}};
    o.heads = bad_gain;
    expect_create_error("dense:4", vec, 1, 2, &o, "head 'v' gain = 0");
    o = (clkfac_nn_options)CLKFAC_NN_OPTIONS_INIT;
    o.version = 99;
    expect_create_error("dense:4", vec, 1, 2, &o, "version 99");
    o = (clkfac_nn_options)CLKFAC_NN_OPTIONS_INIT;
    o.gain = -1.0f;
    expect_create_error("dense:4", vec, 1, 2, &o, "gain = -1");
    clkfac_nn_free(NULL);

    clkfac_nn *net = make_net("dense:4", vec, 1, 3, CLKFAC_NN_ACT_RELU, NULL, 0, 0);
    cl_mem x = th_alloc(3 * 5, 1.0f);
    assert_int_equal(clkfac_nn_forward(net, 0, x, 0), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_nn_forward(net, 4, x, 0), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "batch n = 4"));
    TH_OK(clkfac_nn_forward(net, 2, x, 0));
    assert_int_equal(clkfac_nn_backward(net, 3, NULL, 0), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "expected at most the forward's batch"));
    TH_OK(clkfac_nn_backward(net, 2, NULL, 0));
    clkfac_nn_view v;
    clkfac_nn_layer_info L;
    assert_int_equal(clkfac_nn_layer_info_get(&L, net, 1), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_nn_layer_input(&v, net, 1), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_nn_output(&v, net, 1), CLKFAC_ERR_INVALID_ARG);
    size_t h;
    assert_int_equal(clkfac_nn_head_find(&h, net, "pi"), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "no heads"));
    /* layer-level argument checks */
    assert_int_equal(clkfac_nn_act_forward(th_ctx(), (clkfac_nn_act)7, x, 0, 1, x, 0, 1, 1, 1),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_nn_act_forward(th_ctx(), CLKFAC_NN_ACT_RELU, x, 0, 3, x, 0, 1, 2, 2),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_nn_dense_forward(th_ctx(), x, 0, x, 0, x, 0, 1, x, 0, 1, 2, 1),
                     CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(x);
    clkfac_nn_free(net);
}


/* Backward over the first k examples of a forward of n gives what a forward and backward of
 * those k examples alone give: every layer's DS rows, the parameter gradients and the input
 * gradient (conv, dense and both heads; the examples are independent). */
static void test_backward_on_prefix(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const int shape[3] = {3, 9, 8};
    const clkfac_nn_head_spec heads[] = {{"pi", 4, 0.01f}, {"v", 1, 1.0f}};
    clkfac_nn *net = make_net("conv:4,3,2,1 dense:6", shape, 3, 7, CLKFAC_NN_ACT_TANH, heads, 2, 3);
    th_rng rng = {123};
    free(randomize_params(net, &rng));
    const size_t n = 7, k = 3, in = 3 * 9 * 8, np = clkfac_nn_param_count(net);
    const size_t nl = clkfac_nn_layer_count(net), no = clkfac_nn_output_count(net);
    float *x = malloc(n * in * sizeof *x), *og[2];
    th_fill_normal(&rng, x, n * in, 1.0f);
    cl_mem xd = th_upload(x, n * in), dxd = th_alloc(n * in, 0.0f);
    float *grads[2], *dx[2], *ds[2][8];
    for (int run = 0; run < 2; run++) { /* 0: forward n, backward k; 1: forward k, backward k */
        size_t nf = run ? k : n;
        TH_OK(clkfac_nn_forward(net, nf, xd, 0));
        for (size_t h = 0; h < no; h++) {
            clkfac_nn_view v;
            TH_OK(clkfac_nn_output_grad(&v, net, h));
            if (run == 0) {
                og[h] = malloc(v.rows * v.cols * sizeof *og[h]);
                th_fill_normal(&rng, og[h], v.rows * v.cols, 1.0f);
            }
            upload_view(&v, og[h]); /* rows nf: the first nf rows of the same gradients */
        }
        TH_OK(clkfac_nn_zero_grad(net));
        TH_OK(clkfac_nn_backward(net, k, dxd, 0));
        grads[run] = malloc(np * sizeof *grads[run]);
        th_download(clkfac_nn_grads(net), 0, grads[run], np);
        dx[run] = malloc(k * in * sizeof *dx[run]);
        th_download(dxd, 0, dx[run], k * in);
        for (size_t i = 0; i < nl; i++) {
            clkfac_nn_view v;
            clkfac_nn_layer_info L;
            TH_OK(clkfac_nn_layer_info_get(&L, net, i));
            TH_OK(clkfac_nn_layer_dpreact(&v, net, i));
            v.rows = k * L.locations;
            ds[run][i] = download_view(&v);
        }
    }
    double *ref = malloc(np * sizeof *ref);
    for (size_t i = 0; i < np; i++) ref[i] = grads[1][i];
    assert_nrm(grads[0], ref, np, "parameter gradients of the prefix");
    free(ref);
    ref = malloc(k * in * sizeof *ref);
    for (size_t i = 0; i < k * in; i++) ref[i] = dx[1][i];
    assert_nrm(dx[0], ref, k * in, "input gradient of the prefix");
    free(ref);
    for (size_t i = 0; i < nl; i++) {
        clkfac_nn_layer_info L;
        TH_OK(clkfac_nn_layer_info_get(&L, net, i));
        size_t cnt = k * L.locations * L.d_out;
        ref = malloc(cnt * sizeof *ref);
        for (size_t j = 0; j < cnt; j++) ref[j] = ds[1][i][j];
        assert_nrm(ds[0][i], ref, cnt, "DS rows of the prefix");
        free(ref);
        free(ds[0][i]);
        free(ds[1][i]);
    }
    for (int r = 0; r < 2; r++) {
        free(grads[r]);
        free(dx[r]);
    }
    for (size_t h = 0; h < no; h++) free(og[h]);
    free(x);
    clReleaseMemObject(xd);
    clReleaseMemObject(dxd);
    clkfac_nn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_descriptions),
        cmocka_unit_test(test_parse_errors_name_token),
        cmocka_unit_test(test_dense_layer),
        cmocka_unit_test(test_conv_layer),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_network_vs_reference),
        cmocka_unit_test(test_network_finite_differences),
        cmocka_unit_test(test_orthogonal_init),
        cmocka_unit_test(test_atari_layout),
        cmocka_unit_test(test_create_and_call_errors),
        cmocka_unit_test(test_backward_on_prefix),
    };
    int failed = cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
    /* the default engine on a CPU device runs conv's patches, col2im and activations as host
     * tasks (the profile's conv_host); the layers and networks once more on CLBlast, where the
     * OpenCL kernels do them */
    const struct CMUnitTest again[] = {
        cmocka_unit_test(test_dense_layer),
        cmocka_unit_test(test_conv_layer),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_network_vs_reference),
        cmocka_unit_test(test_network_finite_differences),
    };
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.blas = CLKFAC_BLAS_CLBLAST;
    th_set_context_options(&o);
    failed += _cmocka_run_group_tests("layers on clblast", again, sizeof again / sizeof again[0],
                                      th_group_setup, th_group_teardown);
    return failed;
}
