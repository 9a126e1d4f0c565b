/* Policy/value heads against double-precision references: every head quantity over many shapes
 * (batch 1, odd action counts, extreme logits), every loss gradient against central differences
 * of the double loss and the device gradient against the analytic double gradient, the samplers
 * (exact agreement with a host Philox, frequencies, moments, determinism), and the output
 * Fisher-vector products against explicit matrices. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref/ref_heads.h"

#define GUARD 13          /* sentinel floats after every output */
#define SENTINEL 12345.0f
#define OFF 3             /* element offset of every device array, to exercise offsets */

/* ---- helpers ----------------------------------------------------------------------------------- */

/* A device array holding x at offset OFF, with sentinels before and after. */
static cl_mem put(const float *x, size_t n)
{
    cl_mem m = th_alloc(OFF + n + GUARD, SENTINEL);
    if (n) TH_OK(clkfac_buffer_write(th_ctx(), m, OFF, x, n));
    return m;
}

/* An output array of n floats at offset OFF, filled with sentinels. */
static cl_mem out_buf(size_t n) { return th_alloc(OFF + n + GUARD, SENTINEL); }

/* Reads n floats from OFF and checks that nothing around them was touched. */
static float *get(cl_mem m, size_t n, const char *what)
{
    float *x = th_malloc(n * sizeof *x);
    th_download(m, OFF, x, n);
    th_check_sentinels(m, OFF + n, GUARD, SENTINEL, what);
    th_check_sentinels(m, 0, OFF, SENTINEL, what);
    return x;
}

/* Logits: random, or (extreme) rows cycling through a huge spread, all equal, +-80 (exp would
 * overflow without the max shift) and a large common offset. */
static void fill_logits(th_rng *r, float *z, size_t n, size_t a, int extreme)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < a; j++) {
            float *v = &z[i * a + j];
            if (!extreme) {
                *v = (float)(1.5 * th_normal(r));
                continue;
            }
            switch (i % 4) {
            case 0: *v = (float)(1e4 * th_normal(r)); break;
            case 1: *v = 3.0f; break;
            case 2: *v = j == i % a ? 80.0f : -80.0f; break;
            default: *v = (float)(1e6 + 2.0 * th_normal(r)); break;
            }
        }
}

static void fill_actions(th_rng *r, float *act, size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) act[i] = (float)(th_next(r) % a);
}

/* Central differences of f over the coordinates of x (all of them for small inputs, otherwise
 * an evenly spread subset), compared with the analytic gradient g. */
typedef double (*loss_fn)(void *ctx);
static void check_fd(loss_fn f, void *fctx, double *x, const double *g, size_t n,
                     const char *what)
{
    const double h = 1e-5;
    size_t stride = n <= 120 ? 1 : n / 60;
    for (size_t i = 0; i < n; i += stride) {
        double x0 = x[i];
        x[i] = x0 + h;
        double lp = f(fctx);
        x[i] = x0 - h;
        double lm = f(fctx);
        x[i] = x0;
        double fd = (lp - lm) / (2 * h);
        if (fabs(fd - g[i]) > 1e-7 + 1e-5 * fabs(g[i]))
            fail_msg("%s: d/dx[%zu] analytic %.12g vs central difference %.12g", what, i, g[i], fd);
    }
}

/* ---- categorical quantities ------------------------------------------------------------------- */

static const size_t cat_shapes[][2] = {{1, 1}, {1, 2}, {1, 7}, {7, 3}, {64, 5}, {33, 18},
                                       {200, 7}, {130, 4}};
#define N_CAT_SHAPES (sizeof cat_shapes / sizeof cat_shapes[0])

static void test_cat_quantities(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {101};
    for (int extreme = 0; extreme <= 1; extreme++)
        for (size_t si = 0; si < N_CAT_SHAPES; si++) {
            size_t n = cat_shapes[si][0], a = cat_shapes[si][1], na = n * a;
            float *z = malloc(na * sizeof *z), *z2 = malloc(na * sizeof *z2);
            float *act = malloc(n * sizeof *act);
            fill_logits(&rng, z, n, a, extreme);
            for (size_t i = 0; i < na; i++) z2[i] = z[i] + (float)(0.3 * th_normal(&rng));
            fill_actions(&rng, act, n, a);
            double *zd = th_to_double(z, na), *z2d = th_to_double(z2, na), *actd = th_to_double(act, n);
            double *lsm = malloc(na * sizeof *lsm), *lp = malloc(n * 8), *h = malloc(n * 8),
                   *kl = malloc(n * 8);
            ref_log_softmax(lsm, zd, n, a);
            ref_cat_log_prob(lp, zd, actd, n, a);
            ref_cat_entropy(h, zd, n, a);
            ref_cat_kl(kl, zd, z2d, n, a);
            cl_mem dz = put(z, na), dz2 = put(z2, na), dact = put(act, n);
            cl_mem o_lsm = out_buf(na), o_rows = out_buf(n), o_mean = out_buf(1);
            char what[128];
            snprintf(what, sizeof what, "n%zu a%zu%s", n, a, extreme ? " extreme" : "");

            TH_OK(clkfac_heads_cat_log_softmax(ctx, n, a, dz, OFF, o_lsm, OFF));
            float *got = get(o_lsm, na, what);
            /* float rounding of the log of the row sum, relative to the largest magnitude */
            th_assert_close(got, lsm, na, 2e-6 + 2e-7 * th_max_abs(lsm, na), 2e-6, "log_softmax");
            free(got);
            /* in place (out aliasing logits) gives the same result */
            cl_mem inplace = put(z, na);
            TH_OK(clkfac_heads_cat_log_softmax(ctx, n, a, inplace, OFF, inplace, OFF));
            got = get(inplace, na, what);
            th_assert_close(got, lsm, na, 2e-6 + 2e-7 * th_max_abs(lsm, na), 2e-6, "in place");
            free(got);
            clkfac_buffer_free(inplace);

            struct { const char *name; double *ref; double atol; } q[3] = {
                {"log_prob", lp, 2e-6 + 2e-7 * th_max_abs(lp, n)},
                {"entropy", h, 4e-6},
                {"kl", kl, 1e-5}};
            for (int k = 0; k < 3; k++) {
                if (k == 0)
                    TH_OK(clkfac_heads_cat_log_prob(ctx, n, a, dz, OFF, dact, OFF, o_rows, OFF,
                                                    o_mean, OFF));
                else if (k == 1)
                    TH_OK(clkfac_heads_cat_entropy(ctx, n, a, dz, OFF, o_rows, OFF, o_mean, OFF));
                else
                    TH_OK(clkfac_heads_cat_kl(ctx, n, a, dz, OFF, dz2, OFF, o_rows, OFF, o_mean,
                                              OFF));
                char w2[160];
                snprintf(w2, sizeof w2, "%s %s rows", what, q[k].name);
                float *rows = get(o_rows, n, w2), *mean = get(o_mean, 1, w2);
                th_assert_close(rows, q[k].ref, n, q[k].atol, 1e-5, w2);
                double m = ref_mean(q[k].ref, n);
                snprintf(w2, sizeof w2, "%s %s mean", what, q[k].name);
                th_assert_close(mean, &m, 1, q[k].atol, 1e-5, w2);
                free(rows);
                free(mean);
            }
            /* mean only (rows NULL) gives the same mean */
            float before;
            th_download(o_mean, OFF, &before, 1);
            TH_OK(clkfac_heads_cat_kl(ctx, n, a, dz, OFF, dz2, OFF, NULL, 0, o_mean, OFF));
            float after;
            th_download(o_mean, OFF, &after, 1);
            assert_true(before == after);

            free(z); free(z2); free(act); free(zd); free(z2d); free(actd);
            free(lsm); free(lp); free(h); free(kl);
            clkfac_buffer_free(dz); clkfac_buffer_free(dz2); clkfac_buffer_free(dact);
            clkfac_buffer_free(o_lsm); clkfac_buffer_free(o_rows); clkfac_buffer_free(o_mean);
        }
}

/* ---- Gaussian quantities ----------------------------------------------------------------------- */

static const size_t gauss_shapes[][2] = {{1, 1}, {1, 6}, {5, 3}, {64, 17}, {200, 2}, {77, 5}};
#define N_GAUSS_SHAPES (sizeof gauss_shapes / sizeof gauss_shapes[0])

/* mean (n, a) ~ N(0, 9), log-std in [-5, 2], actions mostly near the mean, every 7th far out. */
static void fill_gauss(th_rng *r, float *mu, float *ls, float *act, size_t n, size_t a)
{
    for (size_t j = 0; j < a; j++) ls[j] = (float)(-5.0 + 7.0 * th_uniform(r));
    for (size_t i = 0; i < n * a; i++) {
        mu[i] = (float)(3.0 * th_normal(r));
        double far = (i % 7 == 3) ? 20.0 : 1.5;
        act[i] = (float)(mu[i] + exp(ls[i % a]) * far * th_normal(r));
    }
}

static void test_gauss_quantities(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {202};
    for (size_t si = 0; si < N_GAUSS_SHAPES; si++) {
        size_t n = gauss_shapes[si][0], a = gauss_shapes[si][1], na = n * a;
        float *mu = malloc(na * 4), *ls = malloc(a * 4), *act = malloc(na * 4);
        float *mu2 = malloc(na * 4), *ls2 = malloc(a * 4);
        fill_gauss(&rng, mu, ls, act, n, a);
        for (size_t i = 0; i < na; i++) mu2[i] = mu[i] + (float)(0.2 * th_normal(&rng));
        for (size_t j = 0; j < a; j++) ls2[j] = ls[j] + (float)(0.2 * th_normal(&rng));
        double *mud = th_to_double(mu, na), *lsd = th_to_double(ls, a), *actd = th_to_double(act, na);
        double *mu2d = th_to_double(mu2, na), *ls2d = th_to_double(ls2, a);
        double *lp = malloc(n * 8), *h = malloc(n * 8), *kl = malloc(n * 8);
        ref_gauss_log_prob(lp, mud, lsd, actd, n, a);
        ref_gauss_entropy(h, lsd, n, a);
        ref_gauss_kl(kl, mud, lsd, mu2d, ls2d, n, a);
        cl_mem dmu = put(mu, na), dls = put(ls, a), dact = put(act, na);
        cl_mem dmu2 = put(mu2, na), dls2 = put(ls2, a);
        cl_mem o_rows = out_buf(n), o_mean = out_buf(1);
        struct { const char *name; double *ref; } q[3] = {{"log_prob", lp}, {"entropy", h},
                                                           {"kl", kl}};
        for (int k = 0; k < 3; k++) {
            if (k == 0)
                TH_OK(clkfac_heads_gauss_log_prob(ctx, n, a, dmu, OFF, dls, OFF, dact, OFF,
                                                  o_rows, OFF, o_mean, OFF));
            else if (k == 1)
                TH_OK(clkfac_heads_gauss_entropy(ctx, n, a, dls, OFF, o_rows, OFF, o_mean, OFF));
            else
                TH_OK(clkfac_heads_gauss_kl(ctx, n, a, dmu, OFF, dls, OFF, dmu2, OFF, dls2, OFF,
                                            o_rows, OFF, o_mean, OFF));
            char w[128];
            snprintf(w, sizeof w, "gauss n%zu a%zu %s", n, a, q[k].name);
            float *rows = get(o_rows, n, w), *mean = get(o_mean, 1, w);
            /* sums of a terms with magnitudes up to max|ref|: float relative error ~1e-6 */
            double atol = 1e-5 + 2e-6 * th_max_abs(q[k].ref, n);
            th_assert_close(rows, q[k].ref, n, atol, 1e-5, w);
            double m = ref_mean(q[k].ref, n);
            th_assert_close(mean, &m, 1, atol, 1e-5, w);
            free(rows);
            free(mean);
        }
        free(mu); free(ls); free(act); free(mu2); free(ls2);
        free(mud); free(lsd); free(actd); free(mu2d); free(ls2d); free(lp); free(h); free(kl);
        clkfac_buffer_free(dmu); clkfac_buffer_free(dls); clkfac_buffer_free(dact);
        clkfac_buffer_free(dmu2); clkfac_buffer_free(dls2);
        clkfac_buffer_free(o_rows); clkfac_buffer_free(o_mean);
    }
}

/* ---- loss gradients: categorical ---------------------------------------------------------------- */

typedef struct cat_case {
    size_t n, a;
    double *z, *act, *adv, *ret, *val, *lp_old;
    double ent, vf;
} cat_case;

static double cat_a2c_loss(void *p)
{
    cat_case *c = p;
    return ref_cat_a2c(NULL, NULL, NULL, c->z, c->act, c->adv, c->ret, c->val, c->n, c->a, c->ent,
                       c->vf);
}
static double cat_nll_loss(void *p)
{
    cat_case *c = p;
    return ref_cat_nll(NULL, c->z, c->act, c->n, c->a);
}
static double cat_surr_loss(void *p)
{
    cat_case *c = p;
    return ref_cat_surrogate(NULL, c->z, c->act, c->lp_old, c->adv, c->n, c->a);
}

/* device gradient vs the analytic double one: float accumulation, relative to the largest entry */
static void close_grad(const float *got, const double *ref, size_t n, const char *what)
{
    th_assert_close(got, ref, n, 2e-6 * th_max_abs(ref, n) + 1e-9, 1e-4, what);
}

static void test_cat_loss_gradients(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {303};
    const size_t shapes[][2] = {{1, 2}, {1, 1}, {7, 3}, {64, 5}, {33, 18}, {130, 6}};
    const float coefs[][2] = {{0.01f, 0.5f}, {0.7f, 0.3f}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int ci = 0; ci < 2; ci++) {
            size_t n = shapes[si][0], a = shapes[si][1], na = n * a;
            float *z = malloc(na * 4), *act = malloc(n * 4), *adv = malloc(n * 4);
            float *ret = malloc(n * 4), *val = malloc(n * 4), *lpo = malloc(n * 4);
            fill_logits(&rng, z, n, a, 0);
            fill_actions(&rng, act, n, a);
            th_fill_normal(&rng, adv, n, 1.0f);
            th_fill_normal(&rng, ret, n, 2.0f);
            th_fill_normal(&rng, val, n, 2.0f);
            /* old log-probs from nearby logits, so ratios stay near 1 */
            for (size_t i = 0; i < n; i++) {
                size_t k = (size_t)act[i];
                double zo[32], lse = 0, mx = -INFINITY;
                for (size_t j = 0; j < a; j++) zo[j] = z[i * a + j] + 0.2 * th_normal(&rng);
                for (size_t j = 0; j < a; j++) mx = fmax(mx, zo[j]);
                for (size_t j = 0; j < a; j++) lse += exp(zo[j] - mx);
                lpo[i] = (float)(zo[k] - mx - log(lse));
            }
            cat_case c = {n, a, th_to_double(z, na), th_to_double(act, n), th_to_double(adv, n), th_to_double(ret, n), th_to_double(val, n),
                          th_to_double(lpo, n), coefs[ci][0], coefs[ci][1]};
            cl_mem d_z = put(z, na), d_act = put(act, n), d_adv = put(adv, n);
            cl_mem d_ret = put(ret, n), d_val = put(val, n), d_lpo = put(lpo, n);
            cl_mem g_z = out_buf(na), g_v = out_buf(n), st = out_buf(CLKFAC_A2C_STATS);
            double *rz = malloc(na * 8), *rv = malloc(n * 8), rs[4];
            char w[128];

            /* A2C */
            clkfac_a2c_loss_options o = CLKFAC_A2C_LOSS_OPTIONS_INIT;
            o.ent_coef = coefs[ci][0];
            o.vf_coef = coefs[ci][1];
            TH_OK(clkfac_heads_cat_a2c_loss(ctx, &o, n, a, d_z, OFF, d_act, OFF, d_adv, OFF,
                                            d_ret, OFF, d_val, OFF, g_z, OFF, g_v, OFF, st, OFF));
            ref_cat_a2c(rs, rz, rv, c.z, c.act, c.adv, c.ret, c.val, n, a, c.ent, c.vf);
            snprintf(w, sizeof w, "cat a2c n%zu a%zu ent%g", n, a, c.ent);
            check_fd(cat_a2c_loss, &c, c.z, rz, na, w);
            check_fd(cat_a2c_loss, &c, c.val, rv, n, w);
            float *gz = get(g_z, na, w), *gv = get(g_v, n, w), *gs = get(st, 4, w);
            close_grad(gz, rz, na, w);
            close_grad(gv, rv, n, w);
            th_assert_close(gs, rs, 4, 2e-6 * th_max_abs(rs, 4), 1e-5, w);
            free(gz); free(gv); free(gs);

            /* ACKTR Fisher pass (actor), per-example scaling */
            TH_OK(clkfac_heads_cat_nll_grad(ctx, n, a, d_z, OFF, d_act, OFF, (float)n, g_z, OFF));
            ref_cat_nll(rz, c.z, c.act, n, a);
            snprintf(w, sizeof w, "cat nll n%zu a%zu", n, a);
            check_fd(cat_nll_loss, &c, c.z, rz, na, w);
            for (size_t i = 0; i < na; i++) rz[i] *= (double)n;
            gz = get(g_z, na, w);
            close_grad(gz, rz, na, w);
            free(gz);

            /* TRPO surrogate with and without its gradient */
            TH_OK(clkfac_heads_cat_surrogate(ctx, n, a, d_z, OFF, d_act, OFF, d_lpo, OFF, d_adv,
                                             OFF, g_z, OFF, st, OFF));
            double sref = ref_cat_surrogate(rz, c.z, c.act, c.lp_old, c.adv, n, a);
            snprintf(w, sizeof w, "cat surrogate n%zu a%zu", n, a);
            check_fd(cat_surr_loss, &c, c.z, rz, na, w);
            gz = get(g_z, na, w);
            gs = get(st, 4, w);
            close_grad(gz, rz, na, w);
            th_assert_close(gs, &sref, 1, 1e-6, 1e-5, w);
            free(gz); free(gs);
            TH_OK(clkfac_buffer_fill(ctx, st, OFF, 0.0f, 1));
            TH_OK(clkfac_heads_cat_surrogate(ctx, n, a, d_z, OFF, d_act, OFF, d_lpo, OFF, d_adv,
                                             OFF, NULL, 0, st, OFF));
            gs = get(st, 4, w);
            th_assert_close(gs, &sref, 1, 1e-6, 1e-5, "surrogate without gradient");
            free(gs);

            free(z); free(act); free(adv); free(ret); free(val); free(lpo);
            free(c.z); free(c.act); free(c.adv); free(c.ret); free(c.val); free(c.lp_old);
            free(rz); free(rv);
            clkfac_buffer_free(d_z); clkfac_buffer_free(d_act); clkfac_buffer_free(d_adv);
            clkfac_buffer_free(d_ret); clkfac_buffer_free(d_val); clkfac_buffer_free(d_lpo);
            clkfac_buffer_free(g_z); clkfac_buffer_free(g_v); clkfac_buffer_free(st);
        }
}

/* ---- loss gradients: Gaussian ------------------------------------------------------------------- */

typedef struct gauss_case {
    size_t n, a;
    double *mu, *ls, *act, *adv, *ret, *val, *lp_old;
    double ent, vf;
} gauss_case;

static double gauss_a2c_loss(void *p)
{
    gauss_case *c = p;
    return ref_gauss_a2c(NULL, NULL, NULL, NULL, c->mu, c->ls, c->act, c->adv, c->ret, c->val,
                         c->n, c->a, c->ent, c->vf);
}
static double gauss_nll_loss(void *p)
{
    gauss_case *c = p;
    return ref_gauss_nll(NULL, NULL, c->mu, c->ls, c->act, c->n, c->a);
}
static double gauss_surr_loss(void *p)
{
    gauss_case *c = p;
    return ref_gauss_surrogate(NULL, NULL, c->mu, c->ls, c->act, c->lp_old, c->adv, c->n, c->a);
}

static void test_gauss_loss_gradients(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {404};
    const size_t shapes[][2] = {{1, 1}, {1, 4}, {9, 3}, {64, 6}, {150, 2}, {33, 17}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t n = shapes[si][0], a = shapes[si][1], na = n * a;
        float *mu = malloc(na * 4), *ls = malloc(a * 4), *act = malloc(na * 4);
        float *adv = malloc(n * 4), *ret = malloc(n * 4), *val = malloc(n * 4);
        float *lpo = malloc(n * 4);
        /* moderate log-std so exp(log-ratio) stays in range for the surrogate */
        for (size_t j = 0; j < a; j++) ls[j] = (float)(-1.0 + 1.5 * th_uniform(&rng));
        for (size_t i = 0; i < na; i++) {
            mu[i] = (float)th_normal(&rng);
            act[i] = (float)(mu[i] + exp(ls[i % a]) * th_normal(&rng));
        }
        th_fill_normal(&rng, adv, n, 1.0f);
        th_fill_normal(&rng, ret, n, 2.0f);
        th_fill_normal(&rng, val, n, 2.0f);
        gauss_case c = {n, a, th_to_double(mu, na), th_to_double(ls, a), th_to_double(act, na), th_to_double(adv, n), th_to_double(ret, n),
                        th_to_double(val, n), NULL, 0.3, 0.5};
        double *lpd = malloc(n * 8);
        ref_gauss_log_prob(lpd, c.mu, c.ls, c.act, n, a);
        for (size_t i = 0; i < n; i++) lpo[i] = (float)(lpd[i] + 0.1 * th_normal(&rng));
        c.lp_old = th_to_double(lpo, n);
        cl_mem d_mu = put(mu, na), d_ls = put(ls, a), d_act = put(act, na), d_adv = put(adv, n);
        cl_mem d_ret = put(ret, n), d_val = put(val, n), d_lpo = put(lpo, n);
        cl_mem g_mu = out_buf(na), g_ls = out_buf(a), g_v = out_buf(n), st = out_buf(4);
        double *rmu = malloc(na * 8), *rls = malloc(a * 8), *rv = malloc(n * 8), rs[4];
        char w[128];

        clkfac_a2c_loss_options o = {CLKFAC_A2C_LOSS_OPTIONS_VERSION, (float)c.ent, (float)c.vf};
        TH_OK(clkfac_heads_gauss_a2c_loss(ctx, &o, n, a, d_mu, OFF, d_ls, OFF, d_act, OFF, d_adv,
                                          OFF, d_ret, OFF, d_val, OFF, g_mu, OFF, g_ls, OFF, g_v,
                                          OFF, st, OFF));
        ref_gauss_a2c(rs, rmu, rls, rv, c.mu, c.ls, c.act, c.adv, c.ret, c.val, n, a, c.ent, c.vf);
        snprintf(w, sizeof w, "gauss a2c n%zu a%zu", n, a);
        check_fd(gauss_a2c_loss, &c, c.mu, rmu, na, w);
        check_fd(gauss_a2c_loss, &c, c.ls, rls, a, w);
        check_fd(gauss_a2c_loss, &c, c.val, rv, n, w);
        float *gmu = get(g_mu, na, w), *gls = get(g_ls, a, w), *gv = get(g_v, n, w);
        float *gs = get(st, 4, w);
        close_grad(gmu, rmu, na, w);
        close_grad(gls, rls, a, w);
        close_grad(gv, rv, n, w);
        th_assert_close(gs, rs, 4, 2e-6 * th_max_abs(rs, 4), 1e-5, w);
        free(gmu); free(gls); free(gv); free(gs);

        const float scale = 2.5f;
        TH_OK(clkfac_heads_gauss_nll_grad(ctx, n, a, d_mu, OFF, d_ls, OFF, d_act, OFF, scale,
                                          g_mu, OFF, g_ls, OFF));
        ref_gauss_nll(rmu, rls, c.mu, c.ls, c.act, n, a);
        snprintf(w, sizeof w, "gauss nll n%zu a%zu", n, a);
        check_fd(gauss_nll_loss, &c, c.mu, rmu, na, w);
        check_fd(gauss_nll_loss, &c, c.ls, rls, a, w);
        for (size_t i = 0; i < na; i++) rmu[i] *= scale;
        for (size_t j = 0; j < a; j++) rls[j] *= scale;
        gmu = get(g_mu, na, w);
        gls = get(g_ls, a, w);
        close_grad(gmu, rmu, na, w);
        close_grad(gls, rls, a, w);
        free(gmu); free(gls);

        TH_OK(clkfac_heads_gauss_surrogate(ctx, n, a, d_mu, OFF, d_ls, OFF, d_act, OFF, d_lpo, OFF,
                                           d_adv, OFF, g_mu, OFF, g_ls, OFF, st, OFF));
        double sref = ref_gauss_surrogate(rmu, rls, c.mu, c.ls, c.act, c.lp_old, c.adv, n, a);
        snprintf(w, sizeof w, "gauss surrogate n%zu a%zu", n, a);
        check_fd(gauss_surr_loss, &c, c.mu, rmu, na, w);
        check_fd(gauss_surr_loss, &c, c.ls, rls, a, w);
        gmu = get(g_mu, na, w);
        gls = get(g_ls, a, w);
        gs = get(st, 4, w);
        close_grad(gmu, rmu, na, w);
        close_grad(gls, rls, a, w);
        th_assert_close(gs, &sref, 1, 1e-6, 2e-5, w);
        free(gmu); free(gls); free(gs);

        free(mu); free(ls); free(act); free(adv); free(ret); free(val); free(lpo); free(lpd);
        free(c.mu); free(c.ls); free(c.act); free(c.adv); free(c.ret); free(c.val);
        free(c.lp_old); free(rmu); free(rls); free(rv);
        clkfac_buffer_free(d_mu); clkfac_buffer_free(d_ls); clkfac_buffer_free(d_act);
        clkfac_buffer_free(d_adv); clkfac_buffer_free(d_ret); clkfac_buffer_free(d_val);
        clkfac_buffer_free(d_lpo); clkfac_buffer_free(g_mu); clkfac_buffer_free(g_ls);
        clkfac_buffer_free(g_v); clkfac_buffer_free(st);
    }
}

/* ---- value head ---------------------------------------------------------------------------------- */

typedef struct val_case { size_t n; double *val, *ret; } val_case;
static double value_loss(void *p)
{
    val_case *c = p;
    return ref_value_mse(NULL, c->val, c->ret, c->n);
}

static void test_value_losses(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {505};
    const size_t ns[] = {1, 5, 64, 1000};
    for (size_t k = 0; k < 4; k++) {
        size_t n = ns[k];
        float *v = malloc(n * 4), *r = malloc(n * 4);
        th_fill_normal(&rng, v, n, 1.0f);
        th_fill_normal(&rng, r, n, 3.0f);
        val_case c = {n, th_to_double(v, n), th_to_double(r, n)};
        double *rd = malloc(n * 8);
        double l = ref_value_mse(rd, c.val, c.ret, n);
        check_fd(value_loss, &c, c.val, rd, n, "value mse");
        cl_mem dv = put(v, n), dr = put(r, n), g = out_buf(n), st = out_buf(1);
        TH_OK(clkfac_heads_value_mse(ctx, n, dv, OFF, dr, OFF, g, OFF, st, OFF));
        float *gg = get(g, n, "value mse grad"), *gs = get(st, 1, "value mse stat");
        close_grad(gg, rd, n, "value mse grad");
        th_assert_close(gs, &l, 1, 1e-6, 1e-5, "value mse");
        free(gg); free(gs);

        /* Gauss-Newton critic gradient: -2 scale eps_i / n with eps from the documented draw */
        const uint64_t seed = 0x1234567890abcdefULL, step = 77;
        const float scale = (float)n / 2.0f;
        TH_OK(clkfac_heads_value_fisher_grad(ctx, n, seed, step, scale, g, OFF));
        for (size_t i = 0; i < n; i++)
            rd[i] = -2.0 * scale / (double)n * ref_normal(seed, step, CLKFAC_RNG_TAG_VALUE,
                                                          (uint32_t)i);
        gg = get(g, n, "value fisher grad");
        th_assert_close(gg, rd, n, 2e-5, 1e-5, "value fisher grad vs host Philox");
        if (n == 1000) {
            /* with scale n/2 the gradient is -eps: unit second moment (Gauss-Newton of a
             * unit-variance Gaussian), within 5 standard errors (sd of eps^2 is sqrt(2)) */
            double m2 = 0;
            for (size_t i = 0; i < n; i++) m2 += (double)gg[i] * gg[i];
            m2 /= (double)n;
            assert_true(fabs(m2 - 1.0) < 5.0 * sqrt(2.0 / (double)n));
        }
        free(gg);
        free(v); free(r); free(c.val); free(c.ret); free(rd);
        clkfac_buffer_free(dv); clkfac_buffer_free(dr); clkfac_buffer_free(g);
        clkfac_buffer_free(st);
    }
}

/* ---- RNG and samplers ------------------------------------------------------------------------------ */

static void test_philox_known_answers(void **state)
{
    (void)state;
    /* Random123's published known-answer vectors for Philox4x32-10 */
    const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        ref_philox4x32_10(out, kat[k], kat[k] + 4);
        for (int i = 0; i < 4; i++)
            if (out[i] != kat[k][6 + i])
                fail_msg("Philox KAT %d word %d: %08x, expected %08x", k, i, out[i], kat[k][6 + i]);
    }
}

static float *sample_cat(cl_mem z, size_t n, size_t a, uint64_t seed, uint64_t step)
{
    cl_mem out = out_buf(n);
    TH_OK(clkfac_heads_cat_sample(th_ctx(), n, a, z, OFF, seed, step, out, OFF));
    float *x = get(out, n, "categorical sample");
    clkfac_buffer_free(out);
    return x;
}

static void test_cat_sampling(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {606};

    /* exact agreement with the host Philox + inverse CDF (a draw may flip only when u lies
     * within float rounding of a CDF boundary) */
    {
        const size_t n = 3000, a = 6;
        float *z = malloc(n * a * 4);
        fill_logits(&rng, z, n, a, 0);
        cl_mem dz = put(z, n * a);
        const uint64_t seed = 42, step = 5;
        float *s = sample_cat(dz, n, a, seed, step);
        size_t flips = 0;
        for (size_t i = 0; i < n; i++) {
            double zr[6], margin;
            for (size_t j = 0; j < a; j++) zr[j] = z[i * a + j];
            int want = ref_cat_sample(zr, a, seed, step, (uint32_t)i, &margin);
            if ((int)s[i] != want) {
                if (margin > 1e-5)
                    fail_msg("row %zu: device drew %g, host %d (u %.3g from a boundary)", i, s[i],
                             want, margin);
                flips++;
            }
        }
        assert_true(flips <= 2);
        /* determinism, and different seeds/steps give different draws */
        float *s2 = sample_cat(dz, n, a, seed, step);
        assert_memory_equal(s, s2, n * sizeof *s);
        float *s3 = sample_cat(dz, n, a, seed + 1, step), *s4 = sample_cat(dz, n, a, seed, step + 1);
        size_t d3 = 0, d4 = 0;
        for (size_t i = 0; i < n; i++) {
            d3 += s3[i] != s[i];
            d4 += s4[i] != s[i];
        }
        /* independent draws disagree with probability 1 - sum p^2 (> 0.3 for these rows) */
        assert_true(d3 > n / 5 && d4 > n / 5);
        free(z); free(s); free(s2); free(s3); free(s4);
        clkfac_buffer_free(dz);
    }

    /* frequencies: 2 x 50000 draws from one distribution, including a class of probability 0 */
    {
        const size_t n = 50000, a = 6, steps = 2;
        const double p[6] = {0.5, 0.25, 0.15, 0.07, 0.03, 0.0};
        float *z = malloc(n * a * 4);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < a; j++)
                z[i * a + j] = p[j] > 0 ? (float)(log(p[j]) + 7.0) : -1e4f;
        cl_mem dz = put(z, n * a);
        double count[6] = {0};
        for (uint64_t st = 0; st < steps; st++) {
            float *s = sample_cat(dz, n, a, 9, st);
            for (size_t i = 0; i < n; i++) {
                assert_true(s[i] >= 0 && s[i] < (float)a && s[i] == floorf(s[i]));
                count[(size_t)s[i]]++;
            }
            free(s);
        }
        double total = (double)(n * steps), chi2 = 0;
        for (size_t j = 0; j < a; j++) {
            double e = total * p[j];
            if (p[j] == 0) {
                assert_true(count[j] == 0);
                continue;
            }
            chi2 += (count[j] - e) * (count[j] - e) / e;
            /* each count within 4.5 binomial standard deviations */
            if (fabs(count[j] - e) > 4.5 * sqrt(e * (1 - p[j])))
                fail_msg("class %zu drawn %g times, expected %g", j, count[j], e);
        }
        /* 4 degrees of freedom: 18.47 is the 0.1% critical value */
        print_message("categorical sampler: chi2 = %.2f over %g draws (4 dof, bound 18.47)\n",
                      chi2, total);
        assert_true(chi2 < 18.47);
        free(z);
        clkfac_buffer_free(dz);
    }

    /* a non-finite row gives NaN and raises the flag */
    {
        TH_OK(clkfac_context_check(ctx));
        float z[6] = {0, 1, 2, 0, NAN, 1};
        cl_mem dz = put(z, 6);
        float *s = sample_cat(dz, 2, 3, 1, 1);
        assert_true(s[0] >= 0 && s[0] < 3);
        assert_true(isnan(s[1]));
        assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
        free(s);
        clkfac_buffer_free(dz);
    }
}

static void test_gauss_sampling(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const size_t n = 20000, a = 3;
    const float ls[3] = {-1.0f, 0.0f, 0.7f}, m[3] = {2.0f, -1.0f, 0.25f};
    float *mu = malloc(n * a * 4);
    for (size_t i = 0; i < n * a; i++) mu[i] = m[i % a];
    cl_mem dmu = put(mu, n * a), dls = put(ls, a), out = out_buf(n * a);
    const uint64_t seed = 0xfeedULL << 33, step = (1ULL << 32) + 3; /* both words of each used */
    TH_OK(clkfac_heads_gauss_sample(ctx, n, a, dmu, OFF, dls, OFF, seed, step, out, OFF));
    float *x = get(out, n * a, "gaussian sample");
    /* exact agreement with host Philox + Box-Muller */
    double *want = malloc(n * a * 8);
    for (size_t e = 0; e < n * a; e++)
        want[e] = m[e % a] + exp((double)ls[e % a]) *
                                 ref_normal(seed, step, CLKFAC_RNG_TAG_GAUSSIAN, (uint32_t)e);
    th_assert_close(x, want, n * a, 2e-5, 1e-5, "gaussian sample vs host Philox");
    /* moments per dimension: mean within 5 sigma/sqrt(n), std within 5 sigma/sqrt(2n) */
    for (size_t j = 0; j < a; j++) {
        double s = 0, s2 = 0, sig = exp((double)ls[j]);
        for (size_t i = 0; i < n; i++) s += x[i * a + j];
        double mean = s / (double)n;
        for (size_t i = 0; i < n; i++) s2 += (x[i * a + j] - mean) * (x[i * a + j] - mean);
        double sd = sqrt(s2 / (double)(n - 1));
        if (fabs(mean - m[j]) > 5 * sig / sqrt((double)n) ||
            fabs(sd - sig) > 5 * sig / sqrt(2.0 * (double)n))
            fail_msg("dimension %zu: sample mean %g sd %g, expected %g and %g", j, mean, sd,
                     (double)m[j], sig);
    }
    /* determinism and seed sensitivity */
    TH_OK(clkfac_heads_gauss_sample(ctx, n, a, dmu, OFF, dls, OFF, seed, step, out, OFF));
    float *y = get(out, n * a, "gaussian sample again");
    assert_memory_equal(x, y, n * a * sizeof *x);
    free(y);
    TH_OK(clkfac_heads_gauss_sample(ctx, n, a, dmu, OFF, dls, OFF, seed ^ 1, step, out, OFF));
    y = get(out, n * a, "gaussian sample other seed");
    size_t same = 0;
    for (size_t e = 0; e < n * a; e++) same += x[e] == y[e];
    assert_true(same < n * a / 100);
    free(y); free(x); free(mu); free(want);
    clkfac_buffer_free(dmu); clkfac_buffer_free(dls); clkfac_buffer_free(out);
}

/* ---- output Fisher-vector products ------------------------------------------------------------------- */

typedef struct kl_case { size_t a; const double *z_old; double *z_new; } kl_case;
static double kl_of(const kl_case *c)
{
    double k;
    ref_cat_kl(&k, c->z_old, c->z_new, 1, c->a);
    return k;
}

static void test_fisher_vector_products(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {707};

    /* the explicit M = diag(p) - p p^T is the Hessian of KL(p_old || p(z)) at z = z_old */
    {
        const size_t a = 5;
        double zo[5], zn[5], m[25];
        for (size_t j = 0; j < a; j++) zo[j] = zn[j] = 1.3 * th_normal(&rng);
        ref_cat_fisher(m, zo, a);
        kl_case c = {a, zo, zn};
        const double h = 1e-4;
        for (size_t r = 0; r < a; r++)
            for (size_t q = 0; q < a; q++) {
                double f[4];
                for (int s = 0; s < 4; s++) {
                    memcpy(zn, zo, sizeof zo);
                    zn[r] += (s & 1) ? -h : h;
                    zn[q] += (s & 2) ? -h : h;
                    f[s] = kl_of(&c);
                }
                double hess = (f[0] - f[1] - f[2] + f[3]) / (4 * h * h);
                if (fabs(hess - m[r * a + q]) > 1e-6)
                    fail_msg("softmax Fisher (%zu,%zu) = %g, KL Hessian %g", r, q, m[r * a + q],
                             hess);
            }
    }

    const size_t shapes[][2] = {{1, 1}, {1, 4}, {9, 5}, {70, 18}};
    for (size_t si = 0; si < 4; si++) {
        size_t n = shapes[si][0], a = shapes[si][1], na = n * a;
        float *z = malloc(na * 4), *v = malloc(na * 4);
        fill_logits(&rng, z, n, a, 0);
        th_fill_normal(&rng, v, na, 1.0f);
        cl_mem dz = put(z, na), dv = put(v, na), out = out_buf(na);
        const float scale = 1.0f / (float)n;
        TH_OK(clkfac_heads_cat_fvp(ctx, n, a, dz, OFF, dv, OFF, scale, out, OFF));
        double *want = calloc(na, 8), *m = malloc(a * a * 8), *zr = malloc(a * 8);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < a; j++) zr[j] = z[i * a + j];
            ref_cat_fisher(m, zr, a);
            for (size_t r = 0; r < a; r++)
                for (size_t q = 0; q < a; q++)
                    want[i * a + r] += scale * m[r * a + q] * v[i * a + q];
        }
        float *got = get(out, na, "categorical fvp");
        th_assert_close(got, want, na, 2e-6 * th_max_abs(want, na) + 1e-9, 1e-4, "categorical fvp");
        free(got); free(z); free(v); free(want); free(m); free(zr);
        clkfac_buffer_free(dz); clkfac_buffer_free(dv); clkfac_buffer_free(out);
    }

    /* Gaussian: the Hessian of scale * sum_i KL_i w.r.t. (mean rows, shared log-std) built
     * explicitly by central differences of the double KL, applied to (v_mean, v_ls) */
    {
        const size_t n = 4, a = 3, na = n * a, d = na + a;
        float mu[12], ls[3], vm[12], vl[3];
        for (size_t j = 0; j < a; j++) ls[j] = (float)(-0.5 + th_uniform(&rng));
        th_fill_normal(&rng, mu, na, 1.0f);
        th_fill_normal(&rng, vm, na, 1.0f);
        th_fill_normal(&rng, vl, a, 1.0f);
        const double scale = 0.25;
        double x0[15], x[15], hm[15 * 15], kl[4];
        for (size_t i = 0; i < na; i++) x0[i] = mu[i];
        for (size_t j = 0; j < a; j++) x0[na + j] = ls[j];
        const double h = 1e-4;
        for (size_t r = 0; r < d; r++)
            for (size_t q = 0; q < d; q++) {
                double f[4];
                for (int s = 0; s < 4; s++) {
                    memcpy(x, x0, sizeof x);
                    x[r] += (s & 1) ? -h : h;
                    x[q] += (s & 2) ? -h : h;
                    ref_gauss_kl(kl, x0, x0 + na, x, x + na, n, a);
                    f[s] = scale * (kl[0] + kl[1] + kl[2] + kl[3]);
                }
                hm[r * d + q] = (f[0] - f[1] - f[2] + f[3]) / (4 * h * h);
            }
        double want[15] = {0};
        for (size_t r = 0; r < d; r++)
            for (size_t q = 0; q < d; q++)
                want[r] += hm[r * d + q] * (q < na ? vm[q] : vl[q - na]);
        cl_mem dls = put(ls, a), dvm = put(vm, na), dvl = put(vl, a);
        cl_mem om = out_buf(na), ol = out_buf(a);
        TH_OK(clkfac_heads_gauss_fvp(ctx, n, a, dls, OFF, dvm, OFF, dvl, OFF, (float)scale, om,
                                     OFF, ol, OFF));
        float *gm = get(om, na, "gauss fvp mean"), *gl = get(ol, a, "gauss fvp logstd");
        th_assert_close(gm, want, na, 1e-5, 1e-5, "gauss fvp mean vs KL Hessian");
        th_assert_close(gl, want + na, a, 1e-5, 1e-5, "gauss fvp logstd vs KL Hessian");
        free(gm); free(gl);
        clkfac_buffer_free(dls); clkfac_buffer_free(dvm); clkfac_buffer_free(dvl);
        clkfac_buffer_free(om); clkfac_buffer_free(ol);
    }
}

/* ---- argument checking, poisoned inputs, no host round trips --------------------------------------- */

static void test_invalid_and_nonfinite(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    float z[9] = {0, 1, 2, 3, 2, 1, 0.5f, 0.5f, 0.5f}, act[3] = {0, 1.5f, 2};
    float adv[3] = {1, 1, 1}, ret[3] = {1, 2, 3}, val[3] = {0, 0, 0};
    cl_mem dz = put(z, 9), dact = put(act, 3), dadv = put(adv, 3), dret = put(ret, 3);
    cl_mem dval = put(val, 3), gz = out_buf(9), gv = out_buf(3), st = out_buf(4);

    assert_int_equal(clkfac_heads_cat_entropy(ctx, 0, 3, dz, OFF, gv, OFF, NULL, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_heads_cat_entropy(ctx, 3, 0, dz, OFF, gv, OFF, NULL, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_heads_cat_entropy(ctx, 3, 3, dz, OFF, NULL, 0, NULL, 0),
                     CLKFAC_ERR_INVALID_ARG);
    /* 5 rows of 3 do not fit in a buffer of OFF + 9 + GUARD floats from offset OFF + 9 */
    assert_int_equal(clkfac_heads_cat_log_softmax(ctx, 5, 3, dz, OFF + 9, gz, OFF),
                     CLKFAC_ERR_SHAPE);
    assert_non_null(strstr(clkfac_last_error(), "logits"));
    clkfac_a2c_loss_options bad = CLKFAC_A2C_LOSS_OPTIONS_INIT;
    bad.version = 99;
    assert_int_equal(clkfac_heads_cat_a2c_loss(ctx, &bad, 3, 3, dz, OFF, dact, OFF, dadv, OFF,
                                               dret, OFF, dval, OFF, gz, OFF, gv, OFF, st, OFF),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_heads_gauss_fvp(ctx, 3, 3, dz, OFF, dz, OFF, dz, OFF, 1.0f, gz, OFF,
                                            NULL, 0),
                     CLKFAC_ERR_INVALID_ARG);

    /* an action that is not an integer in [0, a) poisons its row and the loss, raising the flag */
    TH_OK(clkfac_context_check(ctx));
    TH_OK(clkfac_heads_cat_a2c_loss(ctx, NULL, 3, 3, dz, OFF, dact, OFF, dadv, OFF, dret, OFF,
                                    dval, OFF, gz, OFF, gv, OFF, st, OFF));
    float *g = get(gz, 9, "poisoned a2c"), *s = get(st, 4, "poisoned a2c stats");
    for (int j = 0; j < 3; j++) {
        assert_true(isfinite(g[j]) && isfinite(g[6 + j]));
        assert_true(isnan(g[3 + j]));
    }
    assert_true(isnan(s[CLKFAC_A2C_STAT_LOSS]) && isnan(s[CLKFAC_A2C_STAT_POLICY]));
    assert_true(isfinite(s[CLKFAC_A2C_STAT_VALUE]) && isfinite(s[CLKFAC_A2C_STAT_ENTROPY]));
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    free(g); free(s);

    /* a non-finite regression target poisons the value loss and raises the flag too */
    ret[2] = INFINITY;
    TH_OK(clkfac_buffer_write(ctx, dret, OFF, ret, 3));
    TH_OK(clkfac_heads_value_mse(ctx, 3, dval, OFF, dret, OFF, gv, OFF, st, OFF));
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    ret[2] = 3;
    TH_OK(clkfac_buffer_write(ctx, dret, OFF, ret, 3));

    /* a whole loss pass enqueues work without a single blocking call */
    act[1] = 1.0f;
    TH_OK(clkfac_buffer_write(ctx, dact, OFF, act, 3));
    uint64_t before = clkfac_context_blocking_calls(ctx);
    TH_OK(clkfac_heads_cat_sample(ctx, 3, 3, dz, OFF, 1, 2, dact, OFF));
    TH_OK(clkfac_heads_cat_a2c_loss(ctx, NULL, 3, 3, dz, OFF, dact, OFF, dadv, OFF, dret, OFF,
                                    dval, OFF, gz, OFF, gv, OFF, st, OFF));
    TH_OK(clkfac_heads_cat_nll_grad(ctx, 3, 3, dz, OFF, dact, OFF, 3.0f, gz, OFF));
    TH_OK(clkfac_heads_value_fisher_grad(ctx, 3, 1, 2, 1.5f, gv, OFF));
    TH_OK(clkfac_heads_cat_kl(ctx, 3, 3, dz, OFF, dz, OFF, NULL, 0, st, OFF));
    assert_int_equal(clkfac_context_blocking_calls(ctx), before);
    TH_OK(clkfac_context_check(ctx));
    float klv;
    th_download(st, OFF, &klv, 1);
    assert_true(fabsf(klv) < 1e-6f); /* KL of a distribution with itself */

    clkfac_buffer_free(dz); clkfac_buffer_free(dact); clkfac_buffer_free(dadv);
    clkfac_buffer_free(dret); clkfac_buffer_free(dval); clkfac_buffer_free(gz);
    clkfac_buffer_free(gv); clkfac_buffer_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers),
        cmocka_unit_test(test_cat_quantities),
        cmocka_unit_test(test_gauss_quantities),
        cmocka_unit_test(test_cat_loss_gradients),
        cmocka_unit_test(test_gauss_loss_gradients),
        cmocka_unit_test(test_value_losses),
        cmocka_unit_test(test_cat_sampling),
        cmocka_unit_test(test_gauss_sampling),
        cmocka_unit_test(test_fisher_vector_products),
        cmocka_unit_test(test_invalid_and_nonfinite),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
