/* Damped inverses beyond the op table (test_ops.c checks spd_inverse, Tikhonov and eigen
 * preconditioning against their references): the guard on non-SPD and non-finite input, in-place
 * use, refused arguments, the value of pi, and the host eigendecomposition with clipping. */
/* ctest-labels: unit device */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref/ref_linalg.h"

/* Every output buffer carries PAD sentinel floats on each side; a write outside the (n, n)
 * result shows up as a changed sentinel. */
#define PAD 17
static const float SENTINEL = -12345.5f;
#define EPS_F ((double)FLT_EPSILON)

static cl_mem alloc_padded(size_t n) { return th_alloc(n + 2 * PAD, SENTINEL); }

static void check_pads(cl_mem m, size_t n, const char *what)
{
    th_check_sentinels(m, 0, PAD, SENTINEL, what);
    th_check_sentinels(m, PAD + n, PAD, SENTINEL, what);
}

static double *random_orthogonal(th_rng *r, size_t n)
{
    double *q = th_malloc(n * n * sizeof *q);
    do {
        for (size_t i = 0; i < n * n; i++) q[i] = th_normal(r);
    } while (ref_orthonormalize(q, n) != 0);
    return q;
}

/* s (n, n) symmetric with s + shift*I having eigenvalues log-spaced over [1, cond], so
 * cond(s + shift I) is exactly cond. Returned as float (what the device sees). */
static float *spd_with_condition(const double *q, size_t n, double cond, double shift)
{
    double *d = th_malloc(n * sizeof *d), *s = th_malloc(n * n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        d[i] = (n > 1 ? pow(cond, (double)i / (double)(n - 1)) : 1.0) - shift;
    ref_sym_from_spectrum(s, q, d, n);
    float *f = th_malloc(n * n * sizeof *f);
    for (size_t i = 0; i < n * n; i++) f[i] = (float)s[i];
    free(d);
    free(s);
    return f;
}

/* ---- SPD inverse (against its reference over sizes and conditions: test_ops.c) ---------- */

/* Runs spd_inverse on a bad input and checks the expected status and an untouched output. */
static void expect_failure_keeps_output(const float *s, size_t n, float gamma_val,
                                        clkfac_status want, const char *detail)
{
    clkfac_context *ctx = th_ctx();
    cl_mem sbuf = th_upload(s, n * n), gbuf = th_upload(&gamma_val, 1);
    float *before = th_malloc((n * n + 2 * PAD) * sizeof *before);
    for (size_t i = 0; i < n * n + 2 * PAD; i++) before[i] = (float)i * 0.25f - 3.0f;
    cl_mem out = th_upload(before, n * n + 2 * PAD);
    TH_OK(clkfac_context_check(ctx)); /* start from clear flags */
    TH_OK(clkfac_linalg_spd_inverse(ctx, n, sbuf, 0, gbuf, 0, 1.0f, out, PAD));
    clkfac_status st = clkfac_context_check(ctx);
    if (st != want)
        fail_msg("n=%zu: clkfac_context_check returned %s, expected %s (%s)", n,
                 clkfac_status_str(st), clkfac_status_str(want), clkfac_last_error());
    if (detail && !strstr(clkfac_last_error(), detail))
        fail_msg("detail '%s' does not mention '%s'", clkfac_last_error(), detail);
    float *after = th_malloc((n * n + 2 * PAD) * sizeof *after);
    th_download(out, 0, after, n * n + 2 * PAD);
    assert_memory_equal(before, after, (n * n + 2 * PAD) * sizeof *after);
    TH_OK(clkfac_context_check(ctx)); /* flags were cleared by the read */
    free(before);
    free(after);
    clkfac_buffer_free(sbuf);
    clkfac_buffer_free(gbuf);
    clkfac_buffer_free(out);
}

static void test_spd_inverse_not_spd_keeps_output(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    th_rng rng = {7};
    /* a dense matrix with one eigenvalue -1 (the rest in [1, 10]), crossing a block boundary */
    const size_t n = 70;
    double *q = random_orthogonal(&rng, n), *d = th_malloc(n * sizeof *d);
    double *s = th_malloc(n * n * sizeof *s);
    for (size_t i = 0; i < n; i++) d[i] = 1.0 + 9.0 * (double)i / (double)n;
    d[n / 2] = -1.0;
    ref_sym_from_spectrum(s, q, d, n);
    float *f = th_malloc(n * n * sizeof *f);
    for (size_t i = 0; i < n * n; i++) f[i] = (float)s[i];
    expect_failure_keeps_output(f, n, 0.01f, CLKFAC_ERR_NOT_SPD, NULL);

    /* a pivot that fails in the third block: later blocks must cope with the guard set */
    const size_t m = 150;
    float *g = calloc(m * m, sizeof *g);
    assert_non_null(g);
    for (size_t i = 0; i < m; i++) g[i * m + i] = 2.0f;
    g[140 * m + 140] = -3.0f;
    expect_failure_keeps_output(g, m, 0.5f, CLKFAC_ERR_NOT_SPD, "column 140");
    /* S = 0 with gamma = 0: a zero pivot at column 0 */
    memset(g, 0, m * m * sizeof *g);
    expect_failure_keeps_output(g, 5, 0.0f, CLKFAC_ERR_NOT_SPD, "column 0");
    free(g);
    free(q);
    free(d);
    free(s);
    free(f);
}

static void test_spd_inverse_nonfinite_keeps_output(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const size_t n = 40;
    float *s = calloc(n * n, sizeof *s);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) s[i * n + i] = 1.0f + (float)i;
    s[5 * n + 3] = s[3 * n + 5] = NAN;
    expect_failure_keeps_output(s, n, 0.1f, CLKFAC_ERR_NONFINITE, NULL);
    s[5 * n + 3] = s[3 * n + 5] = 0.0f;
    s[2 * n + 30] = INFINITY; /* upper triangle only: still rejected */
    expect_failure_keeps_output(s, n, 0.1f, CLKFAC_ERR_NONFINITE, NULL);
    s[2 * n + 30] = 0.0f;
    expect_failure_keeps_output(s, n, NAN, CLKFAC_ERR_NONFINITE, NULL); /* NaN gamma */

    /* the guard is per operation: a good call right after a failed one writes its result */
    clkfac_context *ctx = th_ctx();
    float gamma = 0.0f;
    cl_mem sb = th_upload(s, n * n), gb = th_upload(&gamma, 1), out = alloc_padded(n * n);
    TH_OK(clkfac_linalg_spd_inverse(ctx, n, sb, 0, gb, 0, 1.0f, out, PAD));
    TH_OK(clkfac_context_check(ctx));
    float x[40];
    for (size_t i = 0; i < n; i++) th_download(out, PAD + i * n + i, &x[i], 1);
    for (size_t i = 0; i < n; i++) assert_float_equal(x[i], 1.0f / (1.0f + (float)i), 1e-6f);
    check_pads(out, n * n, "out after recovery");
    clkfac_buffer_free(sb);
    clkfac_buffer_free(gb);
    clkfac_buffer_free(out);
    free(s);
}

/* out may alias s: the factorization works in scratch and only the final copy writes out */
static void test_spd_inverse_in_place(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {5};
    const size_t n = 70;
    double *q = random_orthogonal(&rng, n);
    float *sf = spd_with_condition(q, n, 100.0, 0.25);
    const float gamma = 0.25f;
    cl_mem sb = th_upload(sf, n * n), gb = th_upload(&gamma, 1);
    uint64_t blocking = clkfac_context_blocking_calls(ctx);
    TH_OK(clkfac_linalg_spd_inverse(ctx, n, sb, 0, gb, 0, 1.0f, sb, 0));
    assert_int_equal(clkfac_context_blocking_calls(ctx), blocking); /* gamma never read back */
    TH_OK(clkfac_context_check(ctx));
    float *x = th_malloc(n * n * sizeof *x);
    th_download(sb, 0, x, n * n);
    double *sd = th_to_double(sf, n * n);
    double resid = ref_inverse_residual(sd, 0.25, x, n);
    print_message("spd_inverse in place n=%zu cond 1e2: max|(S+gI)X-I| = %.3g\n", n, resid);
    assert_true(resid <= sqrt((double)n) * EPS_F * 100.0); /* the bound of test_ops.c spd_inverse */
    free(q);
    free(sf);
    free(x);
    free(sd);
    clkfac_buffer_free(sb);
    clkfac_buffer_free(gb);
}

static void test_spd_inverse_invalid_args(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    cl_mem b = th_alloc(16, 1.0f);
    assert_int_equal(clkfac_linalg_spd_inverse(ctx, 0, b, 0, b, 0, 1.0f, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "n = 0"));
    assert_int_equal(clkfac_linalg_spd_inverse(ctx, 4, b, 0, b, 0, NAN, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "gamma_scale"));
    assert_int_equal(clkfac_linalg_spd_inverse(ctx, 4, NULL, 0, b, 0, 1.0f, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_linalg_spd_inverse(NULL, 4, b, 0, b, 0, 1.0f, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(b);
}

/* ---- factored Tikhonov --------------------------------------------------------------------- */

/* With A = a I and G = g I the outputs are 1/(a + pi sqrt(lambda)) and 1/(g + sqrt(lambda)/pi),
 * so pi can be read back from either output and compared with sqrt((a) / (g)). */
static void test_tikhonov_pi_value(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const size_t da = 5, dg = 3;
    const double av = 4.0, gv = 0.25, lambda = 0.09;
    float a[25] = {0}, g[9] = {0};
    for (size_t i = 0; i < da; i++) a[i * da + i] = (float)av;
    for (size_t i = 0; i < dg; i++) g[i * dg + i] = (float)gv;
    cl_mem ab = th_upload(a, 25), gb = th_upload(g, 9), ai = alloc_padded(25), gi = alloc_padded(9);
    TH_OK(clkfac_kfac_inverse_tikhonov(ctx, da, ab, 0, dg, gb, 0, (float)lambda, ai, PAD, gi,
                                       PAD));
    TH_OK(clkfac_context_check(ctx));
    float ax[25], gx[9];
    th_download(ai, PAD, ax, 25);
    th_download(gi, PAD, gx, 9);
    double want = sqrt(av / gv); /* = 4 */
    double pi_a = (1.0 / ax[0] - av) / sqrt(lambda);
    double pi_g = sqrt(lambda) / (1.0 / gx[0] - gv);
    print_message("tikhonov pi: expected %.6f, from a_inv %.6f, from g_inv %.6f\n", want, pi_a,
                  pi_g);
    /* 1e-4 relative: pi is recovered from a float inverse through a subtraction */
    assert_true(fabs(pi_a - want) <= 1e-4 * want);
    assert_true(fabs(pi_g - want) <= 1e-4 * want);
    for (size_t i = 0; i < da; i++)
        for (size_t j = 0; j < da; j++)
            assert_true(ax[i * da + j] == (i == j ? ax[0] : 0.0f));
    clkfac_buffer_free(ab);
    clkfac_buffer_free(gb);
    clkfac_buffer_free(ai);
    clkfac_buffer_free(gi);
}

/* Runs the Tikhonov inverse on bad factors; both outputs must stay bit-identical. */
static void tikhonov_expect_failure(const float *a, size_t da, const float *g, size_t dg,
                                    float lambda, clkfac_status want)
{
    clkfac_context *ctx = th_ctx();
    size_t na = da * da + 2 * PAD, ng = dg * dg + 2 * PAD;
    float *ba = th_malloc(na * sizeof *ba), *bg = th_malloc(ng * sizeof *bg);
    for (size_t i = 0; i < na; i++) ba[i] = 0.5f * (float)i;
    for (size_t i = 0; i < ng; i++) bg[i] = -0.5f * (float)i;
    cl_mem ab = th_upload(a, da * da), gb = th_upload(g, dg * dg);
    cl_mem ai = th_upload(ba, na), gi = th_upload(bg, ng);
    TH_OK(clkfac_context_check(ctx));
    TH_OK(clkfac_kfac_inverse_tikhonov(ctx, da, ab, 0, dg, gb, 0, lambda, ai, PAD, gi, PAD));
    clkfac_status st = clkfac_context_check(ctx);
    if (st != want)
        fail_msg("tikhonov: got %s, expected %s (%s)", clkfac_status_str(st),
                 clkfac_status_str(want), clkfac_last_error());
    float *xa = th_malloc(na * sizeof *xa), *xg = th_malloc(ng * sizeof *xg);
    th_download(ai, 0, xa, na);
    th_download(gi, 0, xg, ng);
    assert_memory_equal(xa, ba, na * sizeof *xa);
    assert_memory_equal(xg, bg, ng * sizeof *xg);
    free(ba);
    free(bg);
    free(xa);
    free(xg);
    clkfac_buffer_free(ab);
    clkfac_buffer_free(gb);
    clkfac_buffer_free(ai);
    clkfac_buffer_free(gi);
}

static void test_tikhonov_failures_keep_both_outputs(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    enum { DA = 6, DG = 4 };
    float a[DA * DA] = {0}, g[DG * DG] = {0}, zero[DG * DG] = {0};
    for (int i = 0; i < DA; i++) a[i * DA + i] = 1.0f + (float)i;
    for (int i = 0; i < DG; i++) g[i * DG + i] = 0.5f;
    /* an all-zero factor (tr = 0) leaves pi undefined: NOT_SPD naming the trace, not a NaN
     * input (either factor, or both: 0/0) */
    float azero[DA * DA] = {0};
    tikhonov_expect_failure(a, DA, zero, DG, 0.01f, CLKFAC_ERR_NOT_SPD);
    assert_non_null(strstr(clkfac_last_error(), "trace <= 0"));
    tikhonov_expect_failure(azero, DA, g, DG, 0.01f, CLKFAC_ERR_NOT_SPD);
    assert_non_null(strstr(clkfac_last_error(), "trace <= 0"));
    tikhonov_expect_failure(azero, DA, zero, DG, 0.01f, CLKFAC_ERR_NOT_SPD);
    assert_non_null(strstr(clkfac_last_error(), "trace <= 0"));
    /* G not SPD after damping: A (factored first, successfully) must not be written either */
    float gbad[DG * DG];
    memcpy(gbad, g, sizeof g);
    gbad[2 * DG + 2] = -0.2f; /* tr G stays positive, so pi is fine */
    tikhonov_expect_failure(a, DA, gbad, DG, 0.01f, CLKFAC_ERR_NOT_SPD);
    /* A not SPD: G (fine on its own) must not be written */
    float abad[DA * DA];
    memcpy(abad, a, sizeof a);
    abad[DA * DA - 1] = -2.0f;
    tikhonov_expect_failure(abad, DA, g, DG, 0.01f, CLKFAC_ERR_NOT_SPD);
    /* NaN in A */
    abad[DA * DA - 1] = 6.0f;
    abad[1] = abad[DA] = NAN;
    tikhonov_expect_failure(abad, DA, g, DG, 0.01f, CLKFAC_ERR_NONFINITE);

    clkfac_context *ctx = th_ctx();
    cl_mem b = th_alloc(64, 1.0f);
    assert_int_equal(clkfac_kfac_inverse_tikhonov(ctx, 2, b, 0, 2, b, 0, -1.0f, b, 0, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "lambda"));
    assert_int_equal(clkfac_kfac_inverse_tikhonov(ctx, 2, b, 0, 2, b, 0, NAN, b, 0, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_kfac_inverse_tikhonov(ctx, 0, b, 0, 2, b, 0, 0.1f, b, 0, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "da = 0"));
    clkfac_buffer_free(b);
}

/* ---- eigen damping ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Decomposes Q diag(d) Q^T on the device path; checks Q^T Q = I, the eigenvalues (with clip
 * applied to the known spectrum) and Q diag(d) Q^T = S where nothing was clipped. */
static void check_eigen(size_t n, const double *spec, float clip, th_rng *rng)
{
    clkfac_context *ctx = th_ctx();
    double *q0 = random_orthogonal(rng, n), *s = th_malloc(n * n * sizeof *s);
    ref_sym_from_spectrum(s, q0, spec, n);
    float *sf = th_malloc(n * n * sizeof *sf);
    for (size_t i = 0; i < n * n; i++) sf[i] = (float)s[i];
    cl_mem sb = th_upload(sf, n * n), qb = alloc_padded(n * n), db = alloc_padded(n);
    TH_OK(clkfac_kfac_eigen(ctx, n, sb, 0, clip, qb, PAD, db, PAD));
    check_pads(qb, n * n, "eigen q");
    check_pads(db, n, "eigen d");
    float *q = th_malloc(n * n * sizeof *q), *d = th_malloc(n * sizeof *d);
    th_download(qb, PAD, q, n * n);
    th_download(db, PAD, d, n);

    double *want = th_malloc(n * sizeof *want), *got = th_malloc(n * sizeof *got);
    for (size_t i = 0; i < n; i++) {
        want[i] = spec[i] < clip ? 0.0 : spec[i];
        got[i] = d[i];
    }
    qsort(want, n, sizeof *want, cmp_double);
    qsort(got, n, sizeof *got, cmp_double);
    double smax = 0.0;
    for (size_t i = 0; i < n; i++) smax = fmax(smax, fabs(spec[i]));
    /* eigenvalues of the float-rounded S: |d - d_true| <= ||S - S_f|| <= sqrt(n) eps_f max|d|;
     * clipped ones must be exactly 0 */
    for (size_t i = 0; i < n; i++) {
        if (want[i] == 0.0 && got[i] != 0.0)
            fail_msg("eigenvalue %zu: got %g, expected clipped to 0", i, got[i]);
        if (!(fabs(got[i] - want[i]) <= 4.0 * sqrt((double)n) * EPS_F * smax))
            fail_msg("eigenvalue %zu: got %.9g, expected %.9g", i, got[i], want[i]);
    }
    /* orthonormal columns: |Q^T Q - I| <= 1e-5 (float rounding of a double-precision basis) */
    double worst_orth = 0.0, worst_rec = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0.0, rec = 0.0;
            for (size_t k = 0; k < n; k++) {
                acc += (double)q[k * n + i] * q[k * n + j];
                rec += (double)q[i * n + k] * d[k] * q[j * n + k];
            }
            worst_orth = fmax(worst_orth, fabs(acc - (i == j ? 1.0 : 0.0)));
            worst_rec = fmax(worst_rec, fabs(rec - sf[i * n + j]));
        }
    print_message("eigen n=%zu clip=%g: max|Q^TQ-I| = %.3g, max|Q diag(d) Q^T - S| = %.3g\n", n,
                  (double)clip, worst_orth, worst_rec);
    assert_true(worst_orth <= 1e-5);
    int clipped = 0;
    for (size_t i = 0; i < n; i++) clipped |= spec[i] < clip;
    /* reconstruction |Q diag(d) Q^T - S| <= 1e-5 * max|d| when nothing was clipped; with clipping
     * the error is bounded by the largest clipped magnitude */
    double clip_mag = 0.0;
    for (size_t i = 0; i < n; i++)
        if (spec[i] < clip) clip_mag = fmax(clip_mag, fabs(spec[i]));
    assert_true(worst_rec <= 1e-5 * smax + (clipped ? clip_mag : 0.0));
    free(q0);
    free(s);
    free(sf);
    free(q);
    free(d);
    free(want);
    free(got);
    clkfac_buffer_free(sb);
    clkfac_buffer_free(qb);
    clkfac_buffer_free(db);
}

static void test_eigen_reconstructs_and_clips(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    th_rng rng = {99};
    const size_t n = 57;
    double spec[57];
    for (size_t i = 0; i < n; i++) spec[i] = 1e-3 * pow(1e4, (double)i / (double)(n - 1));
    check_eigen(n, spec, 1e-6f, &rng);
    /* a large clip removes real eigenvalues too (none lies within 5% of 0.5) */
    check_eigen(n, spec, 0.5f, &rng);
    /* tiny and slightly negative eigenvalues (a PSD factor seen through rounding) get clipped;
     * the scale keeps float rounding of S (~1e-8) well below the clip */
    for (size_t i = 0; i < n; i++) spec[i] = 1e-3 * pow(1e2, (double)i / (double)(n - 1));
    for (size_t i = 0; i < 6; i++) spec[i] = (i % 2 ? -1.0 : 1.0) * 1e-9 * (double)(i + 1);
    check_eigen(n, spec, 1e-6f, &rng);
    double one = 2.5;
    check_eigen(1, &one, 1e-6f, &rng);
}

static void test_eigen_nonfinite_writes_nothing(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const size_t n = 8;
    float s[64] = {0};
    for (size_t i = 0; i < n; i++) s[i * n + i] = 1.0f;
    s[3 * n + 4] = s[4 * n + 3] = INFINITY;
    cl_mem sb = th_upload(s, 64), qb = th_alloc(64, 3.0f), db = th_alloc(8, 4.0f);
    assert_int_equal(clkfac_kfac_eigen(ctx, n, sb, 0, 1e-6f, qb, 0, db, 0), CLKFAC_ERR_NONFINITE);
    assert_non_null(strstr(clkfac_last_error(), "S[3][4]"));
    float q[64], d[8];
    th_download(qb, 0, q, 64);
    th_download(db, 0, d, 8);
    for (size_t i = 0; i < 64; i++) assert_true(q[i] == 3.0f);
    for (size_t i = 0; i < 8; i++) assert_true(d[i] == 4.0f);
    assert_int_equal(clkfac_kfac_eigen(ctx, 0, sb, 0, 1e-6f, qb, 0, db, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_kfac_eigen(ctx, n, sb, 0, NAN, qb, 0, db, 0), CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(sb);
    clkfac_buffer_free(qb);
    clkfac_buffer_free(db);
}

static void test_precondition_eigen_rejects_lambda(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    cl_mem b = th_alloc(16, 1.0f);
    assert_int_equal(clkfac_kfac_precondition_eigen(th_ctx(), 2, 2, b, 0, b, 0, b, 0, b, 0,
                                                    INFINITY, b, 0, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "lambda"));
    clkfac_buffer_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spd_inverse_not_spd_keeps_output),
        cmocka_unit_test(test_spd_inverse_nonfinite_keeps_output),
        cmocka_unit_test(test_spd_inverse_in_place),
        cmocka_unit_test(test_spd_inverse_invalid_args),
        cmocka_unit_test(test_tikhonov_pi_value),
        cmocka_unit_test(test_tikhonov_failures_keep_both_outputs),
        cmocka_unit_test(test_eigen_reconstructs_and_clips),
        cmocka_unit_test(test_eigen_nonfinite_writes_nothing),
        cmocka_unit_test(test_precondition_eigen_rejects_lambda),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
