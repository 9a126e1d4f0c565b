/* Every op of the op table (tests/ops/) x its shapes x every engine against its double
 * reference: operands at non-zero offsets with sentinels before and after, outputs starting as
 * NaN (they must be fully written), inputs checked unchanged, the normalized error within the
 * op's stated tolerance, NaN/Inf agreeing, and one poisoned run per shape where a NaN input must
 * propagate or be refused as the op's description says. Shapes: 1, odd sizes, non-multiples of
 * the tile sizes (CLBlast's 32/64/128, the Cholesky block), and conv cases with stride > 1,
 * padding, dilation and batch 1. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness.h"
#include "ops/ops.h"

#define LEAD 5            /* floats before every operand (a non-zero offset), all sentinels */
#define TAIL 17           /* floats after it */
#define SENTINEL 12345.0f
#define KEPT -777.25f     /* outputs of a refused call: must stay this */
#define MAX_SHAPES 128

/* ---- shapes per op --------------------------------------------------------------------- */

typedef struct conv_case { int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, k; } conv_case;

/* 24 systematic cases (stride 1-4 x padding 0-2 x dilation 1-2) plus hand-picked ones. */
static size_t conv_cases(conv_case *out)
{
    size_t n = 0;
    for (int s = 1; s <= 4; s++)
        for (int p = 0; p <= 2; p++)
            for (int d = 1; d <= 2; d++) {
                int i = (int)n;
                conv_case c = {1 + i % 3, 1 + (i * 7) % 4, 7 + (i % 5), 9 + (i * 3) % 4,
                               1 + (i % 3) + (s > 2), 2 + (i % 2), s, s, p, p, d, d, i % 2,
                               1 + (i * 5) % 6};
                out[n++] = c;
            }
    const conv_case extra[] = {
        {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1},   /* smallest */
        {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1},   /* smallest with bias */
        {2, 4, 20, 20, 8, 8, 4, 4, 0, 0, 1, 1, 1, 5}, /* Atari first layer, small image */
        {3, 3, 10, 10, 3, 3, 1, 1, 0, 0, 1, 1, 1, 16},/* pixel-game layer */
        {2, 3, 11, 6, 3, 2, 2, 3, 1, 2, 2, 1, 0, 7},  /* non-square everything */
        {1, 5, 13, 13, 5, 5, 3, 3, 2, 2, 1, 1, 1, 3},
        {4, 2, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1, 9},   /* 1x1 kernel */
        {1, 2, 6, 6, 2, 2, 1, 1, 2, 2, 2, 2, 1, 2},   /* padding bigger than kernel reach */
        {2, 1, 9, 4, 4, 1, 4, 1, 0, 0, 1, 1, 0, 4},
        {1, 33, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 33}, /* D = 298: not a tile multiple */
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) out[n++] = extra[i];
    return n;
}

static ops_shape conv_shape(const conv_case *c)
{
    ops_shape s = {0};
    clkfac_conv_geom g = {c->n, c->c, c->h, c->w, c->kh, c->kw, c->sh, c->sw,
                          c->ph, c->pw, c->dh, c->dw, c->bias};
    s.conv = g;
    s.k = (size_t)c->k;
    return s;
}

static const size_t VEC_N[] = {1, 2, 7, 63, 64, 65, 1000, 4097, 100003};
#define N_VEC (sizeof VEC_N / sizeof VEC_N[0])

/* Fills out[] with the shapes `op` is checked on; returns how many. */
static size_t shapes_for(const char *op, ops_shape *out)
{
    size_t n = 0;
    ops_shape z = {0};
#define ADD(...) do { ops_shape t_ = z; __VA_ARGS__; out[n++] = t_; } while (0)
    if (!strcmp(op, "gemm")) {
        /* every transpose pair at sizes below, at and above CLBlast's tiles (and the indirect
         * path with the tuned Xgemm parameters), padded leading dimensions, beta 0 / non-zero */
        static const size_t mnk[][3] = {{1, 1, 1},    {1, 7, 3},      {7, 1, 5},   {3, 5, 7},
                                        {33, 17, 65}, {64, 64, 64},   {65, 129, 33},
                                        {127, 31, 257}, {129, 65, 33}, {385, 257, 131},
                                        {520, 400, 450}};
        for (size_t i = 0; i < sizeof mnk / sizeof mnk[0]; i++)
            for (int v = 0; v < 4; v++) {
                if (i == 10 && v % 3) continue; /* the largest: NN and TT only */
                ADD(t_.m = mnk[i][0]; t_.n = mnk[i][1]; t_.k = mnk[i][2]; t_.variant = v;
                    t_.pad = (size_t)(i + (size_t)v) % 3; t_.alpha = (v & 1) ? 0.5f : 1.0f;
                    t_.beta = (i + (size_t)v) % 2 ? -1.0f : 0.0f);
            }
    } else if (!strcmp(op, "dot") || !strcmp(op, "nrm2") || !strcmp(op, "copy")) {
        for (size_t i = 0; i < N_VEC; i++) ADD(t_.n = VEC_N[i]);
    } else if (!strcmp(op, "axpy") || !strcmp(op, "scal")) {
        for (size_t i = 0; i < N_VEC; i++) ADD(t_.n = VEC_N[i]; t_.alpha = i % 2 ? -0.75f : 3.0f);
    } else if (!strcmp(op, "axpy_ratio") || !strcmp(op, "xpay_ratio")) {
        for (size_t i = 0; i < N_VEC; i++)
            for (int v = 0; v < 3; v++) ADD(t_.n = VEC_N[i]; t_.variant = v; t_.alpha = -1.5f);
    } else if (!strcmp(op, "spd_inverse")) {
        static const size_t sizes[] = {1, 2, 3, 31, 32, 33, 63, 64, 65, 100, 127, 257, 513};
        static const double conds[] = {1.0, 1e1, 1e2, 1e3, 1e4, 1e5};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (size_t c = 0; c < sizeof conds / sizeof conds[0]; c++)
                ADD(t_.n = sizes[i]; t_.cond = conds[c]; t_.lambda = 0.5f);
    } else if (!strcmp(op, "patches") || !strcmp(op, "conv_factors")) {
        conv_case cc[64];
        size_t nc = conv_cases(cc);
        for (size_t i = 0; i < nc; i++) {
            ops_shape s = conv_shape(&cc[i]);
            if (!strcmp(op, "patches")) { out[n++] = s; continue; }
            for (int algo = CLKFAC_GRAM_GEMM; algo <= CLKFAC_GRAM_SYRK; algo++) {
                s.algo = algo;
                s.variant = 3;
                out[n++] = s;
            }
        }
        if (!strcmp(op, "conv_factors")) /* one output at a time, as `bench kfac` times them */
            for (int v = 1; v <= 2; v++) {
                ops_shape s = conv_shape(&cc[nc - 8]);
                s.variant = v;
                out[n++] = s;
            }
    } else if (!strcmp(op, "nchw_to_rows")) {
        static const size_t nkt[][3] = {{3, 5, 7}, {1, 1, 1}, {2, 64, 49}, {5, 3, 100}};
        for (size_t i = 0; i < 4; i++) ADD(t_.m = nkt[i][0]; t_.n = nkt[i][1]; t_.k = nkt[i][2]);
    } else if (!strcmp(op, "gram") || !strcmp(op, "gram_homogeneous")) {
        /* rows, cols, pad, stride; more than 2 x 4096 rows takes the row-blocked GEMM path */
        static const size_t rc[][4] = {{1, 1, 0, 1},  {7, 13, 1, 1},  {64, 31, 0, 3},
                                       {80, 100, 3, 1}, {200, 4, 0, 2}, {33, 65, 2, 3},
                                       {700, 256, 1, 1}, {9000, 12, 0, 1}, {9001, 7, 1, 4}};
        for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++)
            for (int algo = CLKFAC_GRAM_AUTO; algo <= CLKFAC_GRAM_SYRK; algo++)
                ADD(t_.m = rc[i][0]; t_.n = rc[i][1]; t_.pad = rc[i][2];
                    t_.stride = (unsigned)rc[i][3]; t_.algo = algo;
                    t_.alpha = 1.0f / (float)rc[i][0]);
    } else if (!strcmp(op, "dense_factors")) {
        static const size_t ndk[][3] = {{1, 1, 1},    {1, 5, 3},   {7, 13, 2}, {64, 31, 17},
                                        {80, 100, 6}, {33, 65, 65}, {200, 4, 129}, {37, 9, 1},
                                        {9000, 12, 1}};
        for (size_t i = 0; i < sizeof ndk / sizeof ndk[0]; i++)
            for (int bias = 0; bias <= 1; bias++)
                for (unsigned stride = 1; stride <= 3; stride += 2)
                    ADD(t_.m = ndk[i][0]; t_.n = ndk[i][1]; t_.k = ndk[i][2]; t_.bias = bias;
                        t_.stride = stride; t_.variant = 3);
        for (int v = 1; v <= 2; v++) /* one output at a time, as `bench kfac` times them */
            ADD(t_.m = 80; t_.n = 100; t_.k = 6; t_.bias = 1; t_.variant = v);
    } else if (!strcmp(op, "ema")) {
        static const size_t ns[] = {1, 70, 1000, 4097};
        for (size_t i = 0; i < 4; i++) {
            ADD(t_.n = ns[i]; t_.decay = 0.9f; t_.cold = 2; t_.count = 0);  /* first: a copy */
            ADD(t_.n = ns[i]; t_.decay = 0.9f; t_.cold = 2; t_.count = 1);  /* cold: the mean */
            ADD(t_.n = ns[i]; t_.decay = 0.9f; t_.cold = 2; t_.count = 2);  /* EMA */
            ADD(t_.n = ns[i]; t_.decay = 0.99f; t_.cold = 0; t_.count = 1); /* cold 0 acts as 1 */
            ADD(t_.n = ns[i]; t_.decay = 0.0f; t_.cold = 5; t_.count = 4);
        }
    } else if (!strcmp(op, "tikhonov")) {
        static const size_t dd[][2] = {{40, 70}, {1, 3}, {129, 33}, {257, 6}, {65, 65}};
        for (size_t i = 0; i < 5; i++)
            ADD(t_.m = dd[i][0]; t_.n = dd[i][1]; t_.lambda = i == 4 ? 1e-3f : 0.01f);
    } else if (!strcmp(op, "precondition")) {
        static const size_t dd[][2] = {{1, 1}, {3, 7}, {17, 33}, {64, 129}, {6, 257}, {65, 3}};
        for (size_t i = 0; i < 6; i++) ADD(t_.m = dd[i][0]; t_.n = dd[i][1]);
    } else if (!strcmp(op, "precondition_eigen")) {
        static const size_t dd[][2] = {{37, 53}, {1, 1}, {65, 17}, {3, 129}};
        for (size_t i = 0; i < 4; i++)
            ADD(t_.m = dd[i][0]; t_.n = dd[i][1]; t_.lambda = i == 3 ? 0.0f : 0.03f);
    } else if (!strcmp(op, "eigen_path")) {
        static const size_t dd[][2] = {{1, 1}, {9, 17}, {17, 33}, {65, 17}, {37, 53}};
        for (size_t i = 0; i < 5; i++) ADD(t_.m = dd[i][0]; t_.n = dd[i][1]; t_.lambda = 0.03f);
    } else if (!strcmp(op, "trust_region")) {
        for (size_t i = 0; i < N_VEC; i++) {
            ADD(t_.n = VEC_N[i]; t_.eta = 0.25f; t_.kl_clip = 0.001f);   /* clipped */
            ADD(t_.n = VEC_N[i]; t_.eta = 0.25f; t_.kl_clip = 1e9f);     /* inside: nu = 1 */
        }
    } else if (!strcmp(op, "scale_by")) {
        for (size_t i = 0; i < N_VEC; i++) ADD(t_.n = VEC_N[i]; t_.alpha = 0.25f);
    }
#undef ADD
    if (n > MAX_SHAPES) fail_msg("%s: %zu shapes > MAX_SHAPES", op, n);
    return n;
}

/* ---- one op x shape x engine ----------------------------------------------------------- */

static void describe(char *buf, size_t cap, const ops_op *op, const ops_engine *e,
                     const ops_shape *s, int poisoned)
{
    const clkfac_conv_geom *g = &s->conv;
    snprintf(buf, cap,
             "%s [%s] m%zu n%zu k%zu pad%zu var%d algo%d bias%d stride%u a%g b%g l%g cond%g "
             "conv(n%d c%d %dx%d k%dx%d s%d p%d d%d b%d)%s",
             op->name, e->name, s->m, s->n, s->k, s->pad, s->variant, s->algo, s->bias, s->stride,
             (double)s->alpha, (double)s->beta, (double)s->lambda, s->cond, g->n, g->c, g->h,
             g->w, g->kh, g->kw, g->stride_h, g->pad_h, g->dil_h, g->bias,
             poisoned == 1 ? " with a NaN input" : poisoned ? " with an Inf input" : "");
}

/* Worst normalized error (and its ratio to the tolerance) seen for the current op. In
 * run_case, poisoned is 0 (clean inputs), 1 (a NaN) or 2 (a +Inf in the op's poison_arg). */
static double g_worst, g_worst_ratio;

static void run_case(const ops_op *op, const ops_engine *e, const ops_shape *sh, uint64_t seed,
                     int poisoned)
{
    clkfac_context *ctx = th_ctx();
    char what[320];
    describe(what, sizeof what, op, e, sh, poisoned);
    ops_sizes s;
    memset(&s, 0, sizeof s);
    if (op->sizes(&s, sh)) fail_msg("%s: the shape is invalid for this op", what);
    ops_data d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < s.n_args; i++)
        if (s.arg[i].n) d.host[i] = th_malloc(s.arg[i].n * sizeof(float));
    op->init(d.host, &s, sh, seed);
    if (poisoned)
        d.host[op->poison_arg][s.arg[op->poison_arg].n / 2] = poisoned == 1 ? NAN : INFINITY;
    TH_OK(ops_data_create(&d, ctx, &s, LEAD, TAIL, SENTINEL));
    /* Outputs start as NaN: every entry must be written. When the op must refuse the input and
     * keep its outputs, they start as a finite marker instead, so a NaN written is seen. */
    int keep = poisoned && op->nonfinite == OPS_NF_KEEP;
    for (int i = 0; i < s.n_args; i++)
        if (s.arg[i].role == OPS_OUT && s.arg[i].n)
            TH_OK(clkfac_buffer_fill(ctx, d.mem[i], LEAD, keep ? KEPT : NAN, s.arg[i].n));
    TH_OK(clkfac_context_check(ctx)); /* start from clear health flags */

    uint64_t blocking = clkfac_context_blocking_calls(ctx);
    clkfac_status st = op->run(ctx, sh, &d);
    if (!op->blocking && clkfac_context_blocking_calls(ctx) != blocking)
        fail_msg("%s: made %llu blocking host call(s); the op only enqueues", what,
                 (unsigned long long)(clkfac_context_blocking_calls(ctx) - blocking));
    clkfac_status chk = clkfac_context_check(ctx);

    float *got[OPS_MAX_ARGS] = {0};
    double *ref[OPS_MAX_ARGS] = {0};
    for (int i = 0; i < s.n_args; i++) {
        size_t n = s.arg[i].n;
        if (!n) continue;
        char w[400];
        snprintf(w, sizeof w, "%s: %s", what, s.arg[i].name);
        th_check_sentinels(d.mem[i], 0, LEAD, SENTINEL, w);
        th_check_sentinels(d.mem[i], LEAD + n, TAIL, SENTINEL, w);
        got[i] = th_malloc(n * sizeof(float));
        th_download(d.mem[i], LEAD, got[i], n);
        if (s.arg[i].role == OPS_IN) {
            if (memcmp(got[i], d.host[i], n * sizeof(float)))
                fail_msg("%s: input changed by the call", w);
            continue;
        }
        ref[i] = th_malloc(n * sizeof(double));
    }
    /* A refused input always raises the flag; a propagated one when it reaches an output. */
    int expect_flag = keep && op->nonfinite_flag;
    if (!keep) {
        op->ref(ref, d.host, sh);
        for (int i = 0; i < s.n_args && op->nonfinite_flag; i++)
            for (size_t j = 0; ref[i] && j < s.arg[i].n; j++) expect_flag |= !isfinite(ref[i][j]);
    }
    if (expect_flag) {
        if (st != CLKFAC_ERR_NONFINITE && chk != CLKFAC_ERR_NONFINITE)
            fail_msg("%s: returned %s, check %s; expected CLKFAC_ERR_NONFINITE", what,
                     clkfac_status_str(st), clkfac_status_str(chk));
    } else {
        if (st) fail_msg("%s: %s: %s", what, clkfac_status_str(st), clkfac_last_error());
        if (chk)
            fail_msg("%s: health check %s: %s", what, clkfac_status_str(chk), clkfac_last_error());
    }
    if (keep) {
        for (int i = 0; i < s.n_args; i++) {
            if (!got[i] || s.arg[i].role == OPS_IN) continue;
            for (size_t j = 0; j < s.arg[i].n; j++) {
                int kept = s.arg[i].role == OPS_OUT
                               ? got[i][j] == KEPT
                               : !memcmp(&got[i][j], &d.host[i][j], sizeof(float));
                if (!kept)
                    fail_msg("%s: %s[%zu] = %g was written; the op must leave its outputs as "
                             "they were", what, s.arg[i].name, j, (double)got[i][j]);
            }
        }
    } else {
        double tol = op->tol_of ? op->tol_of(sh) : op->tol;
        for (int i = 0; i < s.n_args; i++) {
            if (!ref[i]) continue;
            char w[400];
            snprintf(w, sizeof w, "%s: %s", what, s.arg[i].name);
            double err = th_assert_nrm(got[i], ref[i], s.arg[i].n, tol, w);
            g_worst = fmax(g_worst, err);
            if (tol > 0) g_worst_ratio = fmax(g_worst_ratio, err / tol);
        }
        char msg[256];
        if (!poisoned && op->check && op->check(msg, sizeof msg, got, d.host, sh))
            fail_msg("%s: %s", what, msg);
    }
    for (int i = 0; i < OPS_MAX_ARGS; i++) {
        free(got[i]);
        free(ref[i]);
        free(d.host[i]);
    }
    ops_data_release(&d);
}

/* The engine the current group runs on (main runs the group once per engine). */
static const ops_engine *g_engine;


static void test_op(void **state)
{
    const ops_op *op = *state;
    TH_REQUIRE_DEVICE();
    ops_shape *shapes = th_malloc(MAX_SHAPES * sizeof *shapes);
    size_t ns = shapes_for(op->name, shapes);
    if (!ns) fail_msg("%s: no shapes: every op in the table must be checked", op->name);
    /* CLKFAC_OPS_SHAPES=k: every k-th shape only (a reduced set for slow checking devices such
     * as Oclgrind; .ci/oclgrind.sh), the first one always */
    const char *every = getenv("CLKFAC_OPS_SHAPES");
    size_t k = every && atoi(every) > 1 ? (size_t)atoi(every) : 1, kept = 0;
    for (size_t i = 0; i < ns; i += k) shapes[kept++] = shapes[i];
    if (kept < ns) print_message("%s: every %zu-th shape (CLKFAC_OPS_SHAPES)\n", op->name, k);
    ns = kept;
    size_t runs = 0;
    g_worst = g_worst_ratio = 0.0;
    for (size_t i = 0; i < ns; i++) {
        uint64_t seed = 1000u * (uint64_t)i + 17u;
        run_case(op, g_engine, &shapes[i], seed, 0);
        runs++;
        if (op->nonfinite != OPS_NF_UNTESTED) { /* NaN for even shapes, +Inf for odd ones */
            run_case(op, g_engine, &shapes[i], seed, 1 + (int)(i % 2));
            runs++;
        }
    }
    print_message("%s (%s) on %s: %zu shapes, %zu runs; worst normalized error %.3g (%.2g of "
                  "the tolerance)\n",
                  op->name, op->api, g_engine->name, ns, runs, g_worst, g_worst_ratio);
    free(shapes);
}

/* Flops and bytes are what `bench kfac` divides by: pin a few against their formulas. */
static void test_flops_and_bytes(void **state)
{
    (void)state;
    ops_shape g = {0};
    g.m = 64; g.n = 32; g.k = 16; g.beta = 0.0f;
    ops_sizes s;
    memset(&s, 0, sizeof s);
    assert_int_equal(ops_find("gemm")->sizes(&s, &g), 0);
    assert_true(s.flops == 2.0 * 64 * 32 * 16);
    assert_true(s.bytes == 4.0 * (64 * 16 + 16 * 32 + 64 * 32));
    ops_shape p = {0};
    p.m = 5; p.n = 7;
    memset(&s, 0, sizeof s);
    assert_int_equal(ops_find("precondition")->sizes(&s, &p), 0);
    assert_true(s.flops == 2.0 * 5 * 5 * 7 + 2.0 * 5 * 7 * 7);
    ops_shape c = {0};
    clkfac_conv_geom geo = {2, 4, 84, 84, 8, 8, 4, 4, 0, 0, 1, 1, 1};
    c.conv = geo;
    memset(&s, 0, sizeof s);
    assert_int_equal(ops_find("patches")->sizes(&s, &c), 0);
    assert_int_equal(s.arg[1].n, (size_t)2 * 20 * 20 * 257);
    assert_true(s.flops == 0.0);
    for (size_t i = 0; i < ops_count(); i++) {
        assert_non_null(ops_get(i)->name);
        assert_ptr_equal(ops_find(ops_get(i)->name), ops_get(i));
    }
    assert_null(ops_find("no such op"));
    assert_null(ops_get(ops_count()));
}

int main(void)
{
    struct CMUnitTest tests[64];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flops_and_bytes);
    /* CLKFAC_OPS_ONLY=name,name: those ops only (with the reduced shape set above) */
    const char *only = getenv("CLKFAC_OPS_ONLY");
    for (size_t i = 0; i < ops_count() && n < 64; i++) {
        if (only && *only && !core_list_has(only, ops_get(i)->name)) continue;
        struct CMUnitTest t = {ops_get(i)->name, test_op, NULL, NULL, (void *)ops_get(i)};
        tests[n++] = t;
    }
    int failed = 0;
    const char *engine = getenv("CLKFAC_OPS_ENGINE"); /* one engine only (clblast or host) */
    for (size_t e = 0; e < OPS_ENGINE_COUNT; e++) {
        if (engine && *engine && strcmp(engine, OPS_ENGINES[e].name)) continue;
        clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
        OPS_ENGINES[e].configure(&o);
        th_set_context_options(&o);
        g_engine = &OPS_ENGINES[e];
        char group[64];
        snprintf(group, sizeof group, "ops on %s", g_engine->name);
        failed += _cmocka_run_group_tests(group, tests, n, th_group_setup, th_group_teardown);
    }
    return failed;
}
