/* Optimizers on flat device vectors against double-precision references over several steps:
 * momentum SGD, RMSProp (TensorFlow form: epsilon inside the root, mean square starting at 1),
 * Adam (bias correction), the device learning-rate scale, global-norm clipping above and below
 * the limit, skipped steps on NaN/Inf gradients, schedules and argument checks. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref/ref_heads.h"

#define GUARD 11
#define SENTINEL -777.0f
#define POFF 5 /* parameters at an offset inside a larger buffer */
#define GOFF 2

/* Parameters O(1) and updates O(0.01-0.5): float rounding of p over a few steps stays near
 * 1e-6, far below the update, so a 1e-4 relative error in any update rule shows. */
#define P_ATOL 3e-6
#define P_RTOL 2e-6
#define S_RTOL 1e-5

static const size_t sizes[] = {1, 1000, 4097};

typedef struct fixture {
    size_t n;
    float *p0;
    cl_mem p, g;       /* params at POFF (sentinels around), grads at GOFF */
    double *p_ref;
} fixture;

static void fixture_init(fixture *f, size_t n, th_rng *r)
{
    f->n = n;
    f->p0 = malloc(n * sizeof *f->p0);
    th_fill_normal(r, f->p0, n, 1.0f);
    f->p = th_alloc(POFF + n + GUARD, SENTINEL);
    TH_OK(clkfac_buffer_write(th_ctx(), f->p, POFF, f->p0, n));
    f->g = th_alloc(GOFF + n, 0.0f);
    f->p_ref = malloc(n * sizeof *f->p_ref);
    for (size_t i = 0; i < n; i++) f->p_ref[i] = f->p0[i];
}

static void fixture_free(fixture *f)
{
    free(f->p0);
    free(f->p_ref);
    clkfac_buffer_free(f->p);
    clkfac_buffer_free(f->g);
}

/* Uploads a fresh gradient (as float) and returns it in double. */
static double *new_grad(fixture *f, th_rng *r, float scale)
{
    float *g = malloc(f->n * sizeof *g);
    th_fill_normal(r, g, f->n, scale);
    TH_OK(clkfac_buffer_write(th_ctx(), f->g, GOFF, g, f->n));
    double *d = malloc(f->n * sizeof *d);
    for (size_t i = 0; i < f->n; i++) d[i] = g[i];
    free(g);
    return d;
}

static void check_params(const fixture *f, const char *what)
{
    float *p = malloc(f->n * sizeof *p), s[GUARD + POFF];
    th_download(f->p, POFF, p, f->n);
    th_assert_close(p, f->p_ref, f->n, P_ATOL, P_RTOL, what);
    th_download(f->p, POFF + f->n, s, GUARD);
    th_download(f->p, 0, s + GUARD, POFF);
    for (int i = 0; i < GUARD + POFF; i++)
        if (s[i] != SENTINEL) fail_msg("%s: wrote outside the parameters (%d = %g)", what, i, s[i]);
    free(p);
}

static void check_state(clkfac_optim *o, size_t off, const double *ref, size_t n,
                        const char *what)
{
    float *s = malloc(n * sizeof *s);
    th_download(clkfac_optim_state(o), off, s, n);
    /* v = mu v + g and m = b1 m + (1-b1) g can cancel to near zero: the absolute part follows
     * the rounding of the largest operands */
    double mx = 0.0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(ref[i]));
    th_assert_close(s, ref, n, 1e-6 * mx + 1e-30, S_RTOL, what);
    free(s);
}

static float stat(clkfac_optim *o, int slot)
{
    float v;
    th_download(clkfac_optim_stats(o), (size_t)slot, &v, 1);
    return v;
}

/* ---- update rules ------------------------------------------------------------------------------- */

static void test_sgd_momentum(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {11};
    for (size_t k = 0; k < 3; k++) {
        fixture f;
        fixture_init(&f, sizes[k], &rng);
        clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT;
        o.kind = CLKFAC_OPTIM_SGD;
        o.momentum = 0.9f;
        clkfac_optim *opt = NULL;
        TH_OK(clkfac_optim_create(&opt, ctx, f.n, &o));
        double *v = calloc(f.n, sizeof *v);
        const float lrs[5] = {0.1f, 0.05f, 0.08f, 0.02f, 0.1f};
        for (int s = 0; s < 5; s++) {
            double *g = new_grad(&f, &rng, 0.5f);
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, lrs[s], NULL, 0));
            ref_sgd(f.p_ref, v, g, f.n, lrs[s], (double)o.momentum);
            char w[64];
            snprintf(w, sizeof w, "sgd n%zu step %d", f.n, s + 1);
            check_params(&f, w);
            check_state(opt, 0, v, f.n, w);
            free(g);
        }
        assert_true(stat(opt, CLKFAC_OPTIM_STAT_STEPS) == 5.0f);
        clkfac_optim_free(opt);
        free(v);
        fixture_free(&f);
    }
}

static void test_rmsprop_tensorflow_form(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {22};
    for (size_t k = 0; k < 3; k++)
        for (int init = 1; init >= 0; init--) {
            fixture f;
            fixture_init(&f, sizes[k], &rng);
            clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT; /* RMSProp, TF defaults */
            assert_int_equal(o.kind, CLKFAC_OPTIM_RMSPROP);
            o.rmsprop_init = (float)init;
            clkfac_optim *opt = NULL;
            TH_OK(clkfac_optim_create(&opt, ctx, f.n, &o));
            double *ms = malloc(f.n * sizeof *ms), *p_out = malloc(f.n * sizeof *p_out);
            double *ms_out = malloc(f.n * sizeof *ms_out);
            for (size_t i = 0; i < f.n; i++) ms[i] = init;
            check_state(opt, 0, ms, f.n, "rmsprop initial mean square");
            /* with a zero start the small gradients make ms ~ 1e-8 << eps: epsilon inside the
             * root (sqrt(ms + eps)) and outside (sqrt(ms) + eps) differ by ~30x */
            const float gscale = init ? 0.5f : 1e-3f, lr = init ? 0.05f : 1e-3f;
            for (int s = 0; s < 4; s++) {
                double *g = new_grad(&f, &rng, gscale);
                TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, lr, NULL, 0));
                memcpy(p_out, f.p_ref, f.n * sizeof *p_out);
                memcpy(ms_out, ms, f.n * sizeof *ms);
                ref_rmsprop(f.p_ref, ms, g, f.n, lr, (double)o.rmsprop_decay, (double)o.rmsprop_eps);
                char w[80];
                snprintf(w, sizeof w, "rmsprop n%zu init %d step %d", f.n, init, s + 1);
                check_params(&f, w);
                check_state(opt, 0, ms, f.n, w);
                if (!init) {
                    /* the eps-outside variant must be distinguishable from what we got */
                    size_t far = 0;
                    for (size_t i = 0; i < f.n; i++) {
                        double m2 = (double)o.rmsprop_decay * ms_out[i] +
                                    (1.0 - (double)o.rmsprop_decay) * g[i] * g[i];
                        double alt = p_out[i] - lr * g[i] / (sqrt(m2) + (double)o.rmsprop_eps);
                        far += fabs(alt - f.p_ref[i]) > 100 * (P_ATOL + P_RTOL * fabs(alt));
                    }
                    assert_true(far > f.n / 2);
                }
                free(g);
            }
            clkfac_optim_free(opt);
            free(ms); free(p_out); free(ms_out);
            fixture_free(&f);
        }
}

static void test_adam_bias_correction(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {33};
    for (size_t k = 0; k < 3; k++) {
        fixture f;
        fixture_init(&f, sizes[k], &rng);
        clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT;
        o.kind = CLKFAC_OPTIM_ADAM;
        clkfac_optim *opt = NULL;
        TH_OK(clkfac_optim_create(&opt, ctx, f.n, &o));
        double *m = calloc(f.n, sizeof *m), *v = calloc(f.n, sizeof *v);
        const float lr = 0.02f;
        for (long t = 1; t <= 6; t++) {
            double *g = new_grad(&f, &rng, 0.5f);
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, lr, NULL, 0));
            ref_adam(f.p_ref, m, v, g, f.n, lr, (double)o.adam_beta1, (double)o.adam_beta2,
                     (double)o.adam_eps, t);
            char w[64];
            snprintf(w, sizeof w, "adam n%zu step %ld", f.n, t);
            check_params(&f, w);
            check_state(opt, 0, m, f.n, w);
            check_state(opt, f.n, v, f.n, w);
            if (t == 1) {
                /* bias-corrected first step: m/sqrt(v) = g/|g|, so every parameter moves by lr
                 * (uncorrected it would move by lr * 0.1 / sqrt(0.001) = 3.2 lr) */
                float *p = malloc(f.n * sizeof *p);
                th_download(f.p, POFF, p, f.n);
                for (size_t i = 0; i < f.n; i++)
                    if (fabs(g[i]) > 1e-2 &&
                        fabs(fabs((double)p[i] - f.p0[i]) - lr) > 1e-5 * lr + 4e-7 * (1 + fabs(p[i])))
                        fail_msg("adam first step moved p[%zu] by %g, expected %g", i,
                                 fabs((double)p[i] - f.p0[i]), (double)lr);
                free(p);
            }
            free(g);
        }
        assert_true(stat(opt, CLKFAC_OPTIM_STAT_STEPS) == 6.0f);
        /* reset restarts the bias correction */
        TH_OK(clkfac_optim_reset(opt));
        assert_true(stat(opt, CLKFAC_OPTIM_STAT_STEPS) == 0.0f);
        clkfac_optim_free(opt);
        free(m); free(v);
        fixture_free(&f);
    }
}

/* ---- learning-rate scale on the device ---------------------------------------------------------- */

static void test_device_lr_scale(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {44};
    fixture f;
    fixture_init(&f, 777, &rng);
    clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT;
    o.kind = CLKFAC_OPTIM_SGD;
    o.momentum = 0.0f;
    clkfac_optim *opt = NULL;
    TH_OK(clkfac_optim_create(&opt, ctx, f.n, &o));
    /* e.g. ACKTR's nu in slot 1 of a trust-region buffer */
    const float nu = 0.37f, lr = 0.25f;
    float tr[2] = {123.0f, nu};
    cl_mem scal = th_upload(tr, 2);
    double *v = calloc(f.n, sizeof *v);
    double *g = new_grad(&f, &rng, 1.0f);
    uint64_t before = clkfac_context_blocking_calls(ctx);
    TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, lr, scal, 1));
    assert_true(clkfac_context_blocking_calls(ctx) == before); /* a step never waits */
    ref_sgd(f.p_ref, v, g, f.n, (double)lr * nu, 0.0);
    check_params(&f, "sgd with device lr scale");
    float lr_eff = stat(opt, CLKFAC_OPTIM_STAT_LR);
    assert_true(lr_eff == lr * nu);
    free(g);
    free(v);
    clkfac_buffer_free(scal);
    clkfac_optim_free(opt);
    fixture_free(&f);
}

/* ---- clipping ----------------------------------------------------------------------------------- */

static void test_global_norm_clipping(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {55};
    for (size_t k = 0; k < 3; k++)
        for (int above = 0; above <= 1; above++) {
            fixture f;
            fixture_init(&f, sizes[k], &rng);
            double *g = new_grad(&f, &rng, 0.3f);
            double norm = ref_norm(g, f.n);
            /* a limit 30% below or above the norm */
            const double max_norm = above ? 0.7 * norm : 1.3 * norm;
            double c = ref_clip_scale(g, f.n, max_norm);
            assert_true(above ? c < 0.75 : c == 1.0);
            char w[80];
            snprintf(w, sizeof w, "clip n%zu %s", f.n, above ? "above" : "below");

            /* inside a step: RMSProp as in the A2C reference; grads stay untouched */
            clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT;
            o.max_grad_norm = (float)max_norm;
            clkfac_optim *opt = NULL;
            TH_OK(clkfac_optim_create(&opt, ctx, f.n, &o));
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, 0.01f, NULL, 0));
            double *ms = malloc(f.n * sizeof *ms), *gc = malloc(f.n * sizeof *gc);
            for (size_t i = 0; i < f.n; i++) ms[i] = 1.0, gc[i] = g[i] * c;
            ref_rmsprop(f.p_ref, ms, gc, f.n, 0.01, (double)o.rmsprop_decay, (double)o.rmsprop_eps);
            check_params(&f, w);
            check_state(opt, 0, ms, f.n, w);
            float sn = stat(opt, CLKFAC_OPTIM_STAT_NORM), sc = stat(opt, CLKFAC_OPTIM_STAT_CLIP);
            th_assert_close(&sn, &norm, 1, 0, 1e-5, "norm stat");
            th_assert_close(&sc, &c, 1, 0, 1e-5, "clip stat");
            float *gd = malloc(f.n * sizeof *gd);
            th_download(f.g, GOFF, gd, f.n);
            for (size_t i = 0; i < f.n; i++) assert_true(gd[i] == (float)g[i]);

            /* standalone: scales in place */
            cl_mem st = th_alloc(4, -1.0f);
            TH_OK(clkfac_optim_clip_grad_norm(ctx, f.n, f.g, GOFF, (float)max_norm, st, 1));
            float s3[4];
            th_download(st, 0, s3, 4);
            th_assert_close(&s3[1], &norm, 1, 0, 1e-5, "standalone norm");
            th_assert_close(&s3[2], &c, 1, 0, 1e-5, "standalone scale");
            assert_true(s3[0] == -1.0f && s3[3] == -1.0f);
            th_download(f.g, GOFF, gd, f.n);
            if (above)
                th_assert_close(gd, gc, f.n, 1e-9, 1e-5, w);
            else
                for (size_t i = 0; i < f.n; i++) assert_true(gd[i] == (float)g[i]);
            free(gd); free(ms); free(gc); free(g);
            clkfac_buffer_free(st);
            clkfac_optim_free(opt);
            fixture_free(&f);
        }
}

/* ---- non-finite gradients ----------------------------------------------------------------------- */

static void test_nonfinite_gradient_skips_step(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {66};
    const size_t n = 1000;
    for (int kind = CLKFAC_OPTIM_SGD; kind <= CLKFAC_OPTIM_ADAM; kind++)
        for (int bad = 0; bad < 3; bad++) {
            fixture f;
            fixture_init(&f, n, &rng);
            clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT;
            o.kind = (clkfac_optim_kind)kind;
            o.max_grad_norm = 0.5f;
            clkfac_optim *opt = NULL;
            TH_OK(clkfac_optim_create(&opt, ctx, n, &o));
            size_t ns = kind == CLKFAC_OPTIM_ADAM ? 2 * n : n;
            double *g = new_grad(&f, &rng, 1.0f);
            free(g);
            float one = 1.0f;
            cl_mem scal = th_upload(&one, 1);
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, 0.01f, scal, 0));
            TH_OK(clkfac_context_check(ctx));
            float *p0 = malloc(n * 4), *s0 = malloc(ns * 4), st0[CLKFAC_OPTIM_STATS];
            th_download(f.p, POFF, p0, n);
            th_download(clkfac_optim_state(opt), 0, s0, ns);
            th_download(clkfac_optim_stats(opt), 0, st0, CLKFAC_OPTIM_STATS);
            /* bad 0: one NaN gradient entry; 1: an Inf; 2: a NaN device learning-rate scale */
            float *gb = malloc(n * 4);
            th_fill_normal(&rng, gb, n, 1.0f);
            if (bad == 0) gb[n / 3] = NAN;
            if (bad == 1) gb[n - 1] = -INFINITY;
            TH_OK(clkfac_buffer_write(ctx, f.g, GOFF, gb, n));
            if (bad == 2) {
                float nan = NAN;
                TH_OK(clkfac_buffer_write(ctx, scal, 0, &nan, 1));
            }
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, 0.01f, scal, 0));
            assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
            float *p1 = malloc(n * 4), *s1 = malloc(ns * 4), st1[CLKFAC_OPTIM_STATS];
            th_download(f.p, POFF, p1, n);
            th_download(clkfac_optim_state(opt), 0, s1, ns);
            th_download(clkfac_optim_stats(opt), 0, st1, CLKFAC_OPTIM_STATS);
            char w[64];
            snprintf(w, sizeof w, "kind %d bad %d", kind, bad);
            if (memcmp(p0, p1, n * 4)) fail_msg("%s: parameters changed on a skipped step", w);
            if (memcmp(s0, s1, ns * 4)) fail_msg("%s: optimizer state changed on a skipped step", w);
            assert_true(st1[CLKFAC_OPTIM_STAT_STEPS] == st0[CLKFAC_OPTIM_STAT_STEPS]);
            if (bad < 2) assert_false(isfinite(st1[CLKFAC_OPTIM_STAT_NORM]));
            /* skipped again, then at once (no check between, which would clear the guard) a
             * step with a finite gradient: it applies, as optim_prepare clears the guard the
             * skipped step left set (no separate reset or scan runs before it) */
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, 0.01f, scal, 0));
            th_fill_normal(&rng, gb, n, 1.0f);
            TH_OK(clkfac_buffer_write(ctx, f.g, GOFF, gb, n));
            one = 1.0f;
            TH_OK(clkfac_buffer_write(ctx, scal, 0, &one, 1));
            TH_OK(clkfac_optim_step(opt, f.p, POFF, f.g, GOFF, 0.01f, scal, 0));
            assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE); /* the skip's */
            th_download(f.p, POFF, p1, n);
            th_download(clkfac_optim_stats(opt), 0, st1, CLKFAC_OPTIM_STATS);
            if (!memcmp(p0, p1, n * 4)) fail_msg("%s: the step after a skipped one changed nothing", w);
            assert_true(st1[CLKFAC_OPTIM_STAT_STEPS] == st0[CLKFAC_OPTIM_STAT_STEPS] + 1.0f);
            free(p0); free(s0); free(p1); free(s1); free(gb);
            clkfac_buffer_free(scal);
            clkfac_optim_free(opt);
            fixture_free(&f);
        }

    /* standalone clipping of a NaN gradient: flag raised, gradient left as it was */
    float g[5] = {1, 2, NAN, 4, 5}, got[5], st[2];
    cl_mem dg = th_upload(g, 5), ds = th_alloc(2, 0);
    TH_OK(clkfac_optim_clip_grad_norm(ctx, 5, dg, 0, 0.1f, ds, 0));
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    th_download(dg, 0, got, 5);
    th_download(ds, 0, st, 2);
    assert_true(got[0] == 1 && got[1] == 2 && isnan(got[2]) && got[3] == 4 && got[4] == 5);
    assert_true(st[1] == 0.0f);
    clkfac_buffer_free(dg);
    clkfac_buffer_free(ds);
}

/* ---- schedules and argument checks ------------------------------------------------------------- */

static void test_lr_schedules(void **state)
{
    (void)state;
    assert_true(clkfac_optim_lr_at(CLKFAC_LR_CONSTANT, 7e-4f, 12345, 100) == 7e-4f);
    assert_true(clkfac_optim_lr_at(CLKFAC_LR_LINEAR, 7e-4f, 0, 1000) == 7e-4f);
    assert_true(fabsf(clkfac_optim_lr_at(CLKFAC_LR_LINEAR, 7e-4f, 250, 1000) - 5.25e-4f) < 1e-10f);
    assert_true(fabsf(clkfac_optim_lr_at(CLKFAC_LR_LINEAR, 0.25f, 999, 1000) - 0.25e-3f) < 1e-9f);
    assert_true(clkfac_optim_lr_at(CLKFAC_LR_LINEAR, 7e-4f, 1000, 1000) == 0.0f);
    assert_true(clkfac_optim_lr_at(CLKFAC_LR_LINEAR, 7e-4f, 5000, 1000) == 0.0f);
    assert_true(clkfac_optim_lr_at(CLKFAC_LR_LINEAR, 7e-4f, 5, 0) == 7e-4f);
    assert_true(isnan(clkfac_optim_lr_at((clkfac_lr_schedule)9, 7e-4f, 5, 10)));
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    clkfac_optim_free(NULL); /* no-op */
    assert_null(clkfac_optim_stats(NULL));
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    clkfac_optim *opt = NULL;
    clkfac_optim_options o = CLKFAC_OPTIM_OPTIONS_INIT;
    assert_int_equal(clkfac_optim_create(&opt, ctx, 0, &o), CLKFAC_ERR_INVALID_ARG);
    o.version = 7;
    assert_int_equal(clkfac_optim_create(&opt, ctx, 10, &o), CLKFAC_ERR_INVALID_ARG);
    o = (clkfac_optim_options)CLKFAC_OPTIM_OPTIONS_INIT;
    o.kind = CLKFAC_OPTIM_SGD;
    o.momentum = 1.0f;
    assert_int_equal(clkfac_optim_create(&opt, ctx, 10, &o), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "momentum"));
    o = (clkfac_optim_options)CLKFAC_OPTIM_OPTIONS_INIT;
    o.rmsprop_decay = -0.1f;
    assert_int_equal(clkfac_optim_create(&opt, ctx, 10, &o), CLKFAC_ERR_INVALID_ARG);
    o = (clkfac_optim_options)CLKFAC_OPTIM_OPTIONS_INIT;
    o.kind = CLKFAC_OPTIM_ADAM;
    o.adam_eps = 0.0f;
    assert_int_equal(clkfac_optim_create(&opt, ctx, 10, &o), CLKFAC_ERR_INVALID_ARG);
    assert_null(opt); /* *out untouched on failure */

    TH_OK(clkfac_optim_create(&opt, ctx, 10, NULL));
    assert_int_equal(clkfac_optim_size(opt), 10);
    cl_mem p = th_alloc(20, 0), g = th_alloc(8, 0);
    assert_int_equal(clkfac_optim_step(opt, p, 0, g, 0, 0.1f, NULL, 0), CLKFAC_ERR_SHAPE);
    assert_non_null(strstr(clkfac_last_error(), "grads"));
    assert_int_equal(clkfac_optim_step(opt, p, 0, p, 5, 0.1f, NULL, 0), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_optim_step(opt, p, 0, p, 10, NAN, NULL, 0), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_optim_step(opt, p, 0, p, 10, -1.0f, NULL, 0), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_optim_clip_grad_norm(ctx, 8, g, 0, 0.0f, p, 0),
                     CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_optim_step(opt, p, 0, p, 10, 0.1f, NULL, 0));
    TH_OK(clkfac_context_check(ctx));
    clkfac_buffer_free(p);
    clkfac_buffer_free(g);
    clkfac_optim_free(opt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lr_schedules),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_sgd_momentum),
        cmocka_unit_test(test_rmsprop_tensorflow_form),
        cmocka_unit_test(test_adam_bias_correction),
        cmocka_unit_test(test_device_lr_scale),
        cmocka_unit_test(test_global_norm_clipping),
        cmocka_unit_test(test_nonfinite_gradient_skips_step),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
