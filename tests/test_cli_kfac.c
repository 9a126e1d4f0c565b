/* `clkfac kfac` end to end: runs the built program on .npy inputs written here and checks A, G
 * and precond.npy against the double-precision references of tests/ref/ (im2col factors,
 * factored Tikhonov, and the eigen rule as the damped Kronecker system), plus the exit codes and
 * messages of bad input (2) and NaN data (1), and that failures leave no output files. */
/* ctest-labels: unit device */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "ref/ref_kfac.h"
#include "ref/ref_linalg.h"

static char g_dir[] = "/tmp/clkfac-cli-kfac-XXXXXX";
static char g_err[8192]; /* stderr of the last run */
static char g_out[8192]; /* stdout of the last run */

static const char *tpath(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static int setup(void **state)
{
    if (!mkdtemp(g_dir)) return -1;
    return th_group_setup(state);
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) return -1;
    return th_group_teardown(state);
}

/* Skips with a reason when the program under test was not given to us. */
#define REQUIRE_BIN()                                                                       \
    do {                                                                                    \
        if (!getenv("CLKFAC_BIN")) {                                                        \
            print_message("SKIP %s: CLKFAC_BIN is not set (run through ctest)\n", __func__); \
            skip();                                                                         \
        }                                                                                   \
    } while (0)

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs "$CLKFAC_BIN kfac <args>" and returns its exit code; stdout/stderr land in g_out/g_err
 * and are echoed so a failing run explains itself in the test log. */
static int run_kfac(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' kfac %s > '%s/stdout.txt' 2> '%s/stderr.txt'",
             getenv("CLKFAC_BIN"), args, g_dir, g_dir);
    int rc = system(cmd);
    slurp(tpath("stdout.txt"), g_out, sizeof g_out);
    slurp(tpath("stderr.txt"), g_err, sizeof g_err);
    int code = (rc != -1 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
    /* stdout is shortened: --help would flood the log (and cmocka's message buffer) */
    print_message("  $ clkfac kfac %s\n  -> exit %d%s%.300s%s%s%s\n", args, code,
                  g_out[0] ? "\n  " : "", g_out, strlen(g_out) > 300 ? "...\n" : "",
                  g_err[0] ? "  " : "", g_err);
    return code;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void expect_err(const char *needle)
{
    if (!strstr(g_err, needle)) fail_msg("stderr lacks '%s': %s", needle, g_err);
}

static void write_npy(const char *name, const float *x, int ndim, const size_t *shape)
{
    TH_OK(clkfac_npy_write(tpath(name), x, ndim, shape));
}

static void read_check_shape(clkfac_array *a, const char *path, int ndim, const size_t *shape)
{
    TH_OK(clkfac_npy_read(a, path));
    assert_int_equal(a->ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(a->shape[i], shape[i]);
}

/* ---- double references ----------------------------------------------------------------------- */

typedef struct conv_case {
    size_t n, c, h, w, k, kh, kw, sh, sw, ph, pw, dh, dw;
    int bias;
} conv_case;

static size_t out_dim(size_t in, size_t k, size_t s, size_t p, size_t d)
{
    return (in + 2 * p - (d * (k - 1) + 1)) / s + 1;
}

/* Factored Tikhonov preconditioning of dw (dg, da) from the reference factors. */
static double *ref_tikhonov(size_t da, const double *a, size_t dg, const double *g,
                            const float *dw, double lambda)
{
    double *v = th_malloc(dg * da * sizeof *v), *w = th_to_double(dw, dg * da);
    assert_int_equal(ref_tikhonov_precondition(v, a, da, g, dg, lambda, w), 0);
    free(w);
    return v;
}

/* The eigen rule equals, when no eigenvalue is clipped, the solution of G V A + l V = dW: an
 * independent check that needs no eigensolver here. */
static double *ref_eigen(size_t da, const double *a, size_t dg, const double *g, const float *dw,
                         double lambda)
{
    double *v = th_malloc(dg * da * sizeof *v), *w = th_to_double(dw, dg * da);
    assert_int_equal(ref_kron_solve(v, a, da, g, dg, lambda, w), 0);
    free(w);
    return v;
}

/* ---- success cases ------------------------------------------------------------------------- */

static void run_conv_case(const conv_case *q, int with_dw, double lambda, uint64_t seed)
{
    th_rng r = {seed};
    size_t ho = out_dim(q->h, q->kh, q->sh, q->ph, q->dh);
    size_t wo = out_dim(q->w, q->kw, q->sw, q->pw, q->dw);
    size_t da = q->c * q->kh * q->kw + (size_t)q->bias, dg = q->k;
    size_t xs[4] = {q->n, q->c, q->h, q->w}, gs[4] = {q->n, q->k, ho, wo}, ws[2] = {dg, da};
    size_t nx = q->n * q->c * q->h * q->w, ng = q->n * q->k * ho * wo;
    float *x = malloc(nx * sizeof *x), *g = malloc(ng * sizeof *g), *dw = malloc(dg * da * 4);
    th_fill_normal(&r, x, nx, 1.0f);
    th_fill_normal(&r, g, ng, 0.5f);
    th_fill_normal(&r, dw, dg * da, 1.0f);
    write_npy("x.npy", x, 4, xs);
    write_npy("g.npy", g, 4, gs);
    write_npy("dw.npy", dw, 2, ws);

    char args[2048], outdir[300];
    snprintf(outdir, sizeof outdir, "%s/conv-out-%llu/nested", g_dir, (unsigned long long)seed);
    snprintf(args, sizeof args,
             "--layer conv --in-channels %zu --out-channels %zu --kernel %zux%zu --stride %zux%zu "
             "--padding %zux%zu --dilation %zu%s --activations '%s' --output-grads '%s' %s%s%s "
             "--damping %g --out '%s'",
             q->c, q->k, q->kh, q->kw, q->sh, q->sw, q->ph, q->pw, q->dh, q->bias ? " --bias" : "",
             tpath("x.npy"), tpath("g.npy"), with_dw ? "--weight-grad '" : "",
             with_dw ? tpath("dw.npy") : "", with_dw ? "'" : "", lambda, outdir);
    if (!with_dw) {
        /* --damping without --weight-grad is refused, so drop it for this run */
        char *d = strstr(args, " --damping");
        char *o = strstr(args, " --out ");
        memmove(d, o, strlen(o) + 1);
    }
    assert_int_equal(run_kfac(args), 0);

    char pa[400], pg[400], pv[400];
    snprintf(pa, sizeof pa, "%s/A.npy", outdir);
    snprintf(pg, sizeof pg, "%s/G.npy", outdir);
    snprintf(pv, sizeof pv, "%s/precond.npy", outdir);
    size_t sa[2] = {da, da}, sg[2] = {dg, dg};
    clkfac_array A, G, V;
    read_check_shape(&A, pa, 2, sa);
    read_check_shape(&G, pg, 2, sg);
    clkfac_conv_geom geo = {(int)q->n, (int)q->c, (int)q->h, (int)q->w, (int)q->kh, (int)q->kw,
                            (int)q->sh, (int)q->sw, (int)q->ph, (int)q->pw, (int)q->dh,
                            (int)q->dw, q->bias};
    double *ra = th_malloc(da * da * sizeof *ra), *rg = th_malloc(dg * dg * sizeof *rg);
    ref_conv_factors(ra, rg, x, g, &geo, (int)q->k);
    /* elementwise |got - ref| <= atol + rtol |ref|: float32 sums of a few hundred products */
    th_assert_close(A.data, ra, da * da, 1e-4, 1e-4, "A");
    th_assert_close(G.data, rg, dg * dg, 1e-5, 1e-4, "G");
    if (with_dw) {
        read_check_shape(&V, pv, 2, ws);
        double *rv = ref_tikhonov(da, ra, dg, rg, dw, lambda);
        /* normalized error: the solves amplify float32 rounding by the condition number */
        double e = th_nrm_err(V.data, rv, dg * da);
        print_message("  precond normalized error %.3g\n", e);
        assert_true(e < 1e-6);
        free(rv);
        clkfac_array_free(&V);
    } else {
        assert_false(exists(pv));
    }
    free(ra);
    free(rg);
    clkfac_array_free(&A);
    clkfac_array_free(&G);
    free(x);
    free(g);
    free(dw);
}

static void test_conv_bias_stride_padding(void **state)
{
    (void)state;
    REQUIRE_BIN();
    TH_REQUIRE_DEVICE();
    /* non-square kernel and stride, padding, odd sizes, bias: every indexing path at once */
    conv_case q = {3, 2, 7, 6, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1};
    run_conv_case(&q, 1, 0.01, 11);
}

static void test_conv_dilation_factors_only(void **state)
{
    (void)state;
    REQUIRE_BIN();
    TH_REQUIRE_DEVICE();
    conv_case q = {2, 3, 8, 9, 5, 3, 3, 1, 2, 2, 0, 2, 2, 0};
    run_conv_case(&q, 0, 0.01, 12);
}

static void run_dense_case(int bias, const char *method, double lambda, uint64_t seed)
{
    th_rng r = {seed};
    const size_t n = 24, d = 5, k = 3, da = d + (size_t)bias;
    float x[24 * 5], g[24 * 3], dw[3 * 6];
    th_fill_normal(&r, x, n * d, 1.0f);
    th_fill_normal(&r, g, n * k, 1.0f);
    th_fill_normal(&r, dw, k * da, 1.0f);
    size_t xs[2] = {n, d}, gs[2] = {n, k}, ws[2] = {k, da};
    write_npy("dx.npy", x, 2, xs);
    write_npy("dg.npy", g, 2, gs);
    write_npy("ddw.npy", dw, 2, ws);
    char args[2048], outdir[300];
    snprintf(outdir, sizeof outdir, "%s/dense-%s-%d", g_dir, method, bias);
    snprintf(args, sizeof args,
             "--layer dense --in-features %zu --out-features %zu%s --activations '%s' "
             "--output-grads '%s' --weight-grad '%s' --damping %g --method %s --out '%s'",
             d, k, bias ? " --bias" : "", tpath("dx.npy"), tpath("dg.npy"), tpath("ddw.npy"),
             lambda, method, outdir);
    assert_int_equal(run_kfac(args), 0);
    char pa[400], pg[400], pv[400];
    snprintf(pa, sizeof pa, "%s/A.npy", outdir);
    snprintf(pg, sizeof pg, "%s/G.npy", outdir);
    snprintf(pv, sizeof pv, "%s/precond.npy", outdir);
    size_t sa[2] = {da, da}, sg[2] = {k, k};
    clkfac_array A, G, V;
    read_check_shape(&A, pa, 2, sa);
    read_check_shape(&G, pg, 2, sg);
    read_check_shape(&V, pv, 2, ws);
    double *ra = th_malloc(da * da * sizeof *ra), *rg = th_malloc(k * k * sizeof *rg);
    ref_gram_rows(ra, x, n, d, d, bias, 1.0 / (double)n, 1);
    ref_gram_rows(rg, g, n, k, k, 0, 1.0 / (double)n, 1);
    th_assert_close(A.data, ra, da * da, 1e-5, 1e-4, "A");
    th_assert_close(G.data, rg, k * k, 1e-5, 1e-4, "G");
    double *rv = !strcmp(method, "eigen") ? ref_eigen(da, ra, k, rg, dw, lambda)
                                          : ref_tikhonov(da, ra, k, rg, dw, lambda);
    double e = th_nrm_err(V.data, rv, k * da);
    print_message("  precond (%s) normalized error %.3g\n", method, e);
    assert_true(e < 1e-6);
    free(ra);
    free(rg);
    free(rv);
    clkfac_array_free(&A);
    clkfac_array_free(&G);
    clkfac_array_free(&V);
}

static void test_dense_tikhonov(void **state)
{
    (void)state;
    REQUIRE_BIN();
    TH_REQUIRE_DEVICE();
    run_dense_case(1, "tikhonov", 0.03, 21);
}

static void test_dense_eigen(void **state)
{
    (void)state;
    REQUIRE_BIN();
    TH_REQUIRE_DEVICE();
    /* N = 24 > D + 1, so A and G are full rank and the 1e-6 clip never applies */
    run_dense_case(1, "eigen", 0.05, 22);
}

/* ---- usage errors (exit 2, no device needed) ------------------------------------------------ */

/* Good inputs for a conv layer C=2 -> K=3, 3x3 kernel on (2,2,5,5): g must be (2,3,3,3). */
static void write_good_conv_inputs(void)
{
    th_rng r = {5};
    float x[2 * 2 * 5 * 5], g[2 * 3 * 3 * 3], dw[3 * 18];
    th_fill_normal(&r, x, sizeof x / sizeof x[0], 1.0f);
    th_fill_normal(&r, g, sizeof g / sizeof g[0], 1.0f);
    th_fill_normal(&r, dw, sizeof dw / sizeof dw[0], 1.0f);
    size_t xs[4] = {2, 2, 5, 5}, gs[4] = {2, 3, 3, 3}, ws[2] = {3, 18};
    write_npy("ux.npy", x, 4, xs);
    write_npy("ug.npy", g, 4, gs);
    write_npy("udw.npy", dw, 2, ws);
}

static const char *conv_args(const char *x, const char *g, const char *extra)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "--layer conv --in-channels 2 --out-channels 3 --kernel 3 --activations '%s' "
             "--output-grads '%s' %s",
             tpath(x), tpath(g), extra);
    return buf;
}

static void test_usage_wrong_dtype(void **state)
{
    (void)state;
    REQUIRE_BIN();
    write_good_conv_inputs();
    /* an int32 file built by hand (the writer only makes float32) */
    FILE *f = fopen(tpath("int.npy"), "wb");
    assert_non_null(f);
    const char *h = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2, 5, 5), }";
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0};
    fwrite(pre, 1, 10, f);
    fprintf(f, "%-117s\n", h);
    int zero[100] = {0};
    fwrite(zero, 4, 100, f);
    fclose(f);
    char extra[400];
    snprintf(extra, sizeof extra, "--out '%s'", tpath("never1"));
    assert_int_equal(run_kfac(conv_args("int.npy", "ug.npy", extra)), 2);
    expect_err(tpath("int.npy"));
    expect_err("'<i4'");
    expect_err("'<f4'");
    assert_false(exists(tpath("never1")));
}

static void test_usage_mismatched_g_shape(void **state)
{
    (void)state;
    REQUIRE_BIN();
    write_good_conv_inputs();
    /* g for a 4-channel layer where --out-channels says 3 */
    float g[2 * 4 * 3 * 3] = {0};
    size_t gs[4] = {2, 4, 3, 3};
    write_npy("badg.npy", g, 4, gs);
    char extra[400];
    snprintf(extra, sizeof extra, "--out '%s'", tpath("never2"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "badg.npy", extra)), 2);
    expect_err(tpath("badg.npy"));
    expect_err("has shape (2,4,3,3)");
    expect_err("--out-channels 3 with input (2,2,5,5), kernel 3x3, stride 1, padding 0 needs "
               "(2,3,3,3)");
    assert_false(exists(tpath("never2")));

    /* a dw whose width misses the bias column */
    snprintf(extra, sizeof extra, "--bias --weight-grad '%s' --out '%s'", tpath("udw.npy"),
             tpath("never2"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("has shape (3,18)");
    expect_err("(3,19)");
    assert_false(exists(tpath("never2")));
}

static void test_usage_truncated_file(void **state)
{
    (void)state;
    REQUIRE_BIN();
    write_good_conv_inputs();
    /* cut the last 10 bytes of a valid file */
    FILE *f = fopen(tpath("ux.npy"), "rb");
    assert_non_null(f);
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(tpath("cut.npy"), "wb");
    fwrite(buf, 1, n - 10, f);
    fclose(f);
    char extra[400];
    snprintf(extra, sizeof extra, "--out '%s'", tpath("never3"));
    assert_int_equal(run_kfac(conv_args("cut.npy", "ug.npy", extra)), 2);
    expect_err(tpath("cut.npy"));
    expect_err("truncated data");
    assert_false(exists(tpath("never3")));
}

static void test_usage_options(void **state)
{
    (void)state;
    REQUIRE_BIN();
    write_good_conv_inputs();
    char extra[600];
    snprintf(extra, sizeof extra, "--frobnicate 3 --out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("unknown option '--frobnicate'");

    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", "")), 2);
    expect_err("missing --out");

    /* a valued flag last on the line names the flag (never a match without its value) */
    const char *valued[] = {"--layer", "--kernel", "--damping", "--method", "--out", "--device"};
    for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++) {
        snprintf(extra, sizeof extra, "--out '%s' %s", tpath("never4"), valued[i]);
        assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
        char needle[64];
        snprintf(needle, sizeof needle, "%s needs a value", valued[i]);
        expect_err(needle);
    }

    snprintf(extra, sizeof extra, "--stride 0 --out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("--stride 0");

    snprintf(extra, sizeof extra, "--padding 1y1 --out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("--padding '1y1'");

    snprintf(extra, sizeof extra, "--weight-grad '%s' --method newton --out '%s'",
             tpath("udw.npy"), tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("--method 'newton': expected tikhonov or eigen");

    snprintf(extra, sizeof extra, "--damping 0.1 --out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("--weight-grad");

    snprintf(extra, sizeof extra, "--in-features 4 --out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("--in-features applies to --layer dense");

    snprintf(extra, sizeof extra, "--kernel 7 --out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("ux.npy", "ug.npy", extra)), 2);
    expect_err("kernel 7x7");

    snprintf(extra, sizeof extra, "--out '%s'", tpath("never4"));
    assert_int_equal(run_kfac(conv_args("missing.npy", "ug.npy", extra)), 2);
    expect_err("missing.npy");

    assert_int_equal(run_kfac("--layer dense --in-features 3 --activations a.npy"), 2);
    expect_err("missing --out-features");

    assert_false(exists(tpath("never4")));

    assert_int_equal(run_kfac("--help"), 0);
    assert_non_null(strstr(g_out, "usage: clkfac kfac"));
    assert_non_null(strstr(g_out, "--method"));
}

/* ---- runtime failure (exit 1) ---------------------------------------------------------------- */

static void test_nan_in_x_fails_without_output(void **state)
{
    (void)state;
    REQUIRE_BIN();
    TH_REQUIRE_DEVICE();
    write_good_conv_inputs();
    clkfac_array x;
    TH_OK(clkfac_npy_read(&x, tpath("ux.npy")));
    x.data[17] = NAN;
    TH_OK(clkfac_npy_write(tpath("nanx.npy"), x.data, x.ndim, x.shape));
    clkfac_array_free(&x);

    /* an --out that already exists must stay empty; one that does not must not appear */
    assert_int_equal(mkdir(tpath("nan-out"), 0777), 0);
    char extra[600];
    snprintf(extra, sizeof extra, "--weight-grad '%s' --out '%s'", tpath("udw.npy"),
             tpath("nan-out"));
    assert_int_equal(run_kfac(conv_args("nanx.npy", "ug.npy", extra)), 1);
    expect_err("NONFINITE");
    assert_false(exists(tpath("nan-out/A.npy")));
    assert_false(exists(tpath("nan-out/G.npy")));
    assert_false(exists(tpath("nan-out/precond.npy")));

    snprintf(extra, sizeof extra, "--out '%s'", tpath("nan-new"));
    assert_int_equal(run_kfac(conv_args("nanx.npy", "ug.npy", extra)), 1);
    expect_err("NONFINITE");
    assert_false(exists(tpath("nan-new")));
}

/* Bytes of a file (NULL when missing), for comparing output sets. */
static unsigned char *file_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *b = malloc(1 << 20);
    assert_non_null(b);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* The outputs are one set: a run whose writes stop between A and G (a file-size limit between
 * their sizes, like a disk filling up: EFBIG, or SIGXFSZ where not ignored) leaves the previous
 * set whole, a run without
 * --weight-grad replaces a set that had precond.npy, and a folder holding other files is refused
 * before anything is computed. */
static void test_output_set_all_or_nothing(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    enum { N = 8, D = 4, K = 128 };
    th_rng r = {77};
    float *x = malloc(N * D * 4), *g = malloc(N * K * 4), *dw = malloc(K * D * 4);
    th_fill_normal(&r, x, N * D, 1.0f);
    th_fill_normal(&r, g, N * K, 1.0f);
    th_fill_normal(&r, dw, K * D, 1.0f);
    size_t xs[2] = {N, D}, gs[2] = {N, K}, ws[2] = {K, D};
    write_npy("sx.npy", x, 2, xs);
    write_npy("sg.npy", g, 2, gs);
    write_npy("sdw.npy", dw, 2, ws);
    x[0] += 1.0f;
    g[0] += 1.0f;
    write_npy("sx2.npy", x, 2, xs);
    write_npy("sg2.npy", g, 2, gs);
    char args[2048], cmd[4096], out[400], p[3][500];
    snprintf(out, sizeof out, "%s/set-out", g_dir);
    static const char *const names[3] = {"A.npy", "G.npy", "precond.npy"};
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/%s", out, names[i]);
    const char *fmt = "--layer dense --in-features %d --out-features %d --activations '%s' "
                      "--output-grads '%s' %s%s%s--out '%s'";
    snprintf(args, sizeof args, fmt, D, K, tpath("sx.npy"), tpath("sg.npy"), "--weight-grad '",
             tpath("sdw.npy"), "' ", out);
    assert_int_equal(run_kfac(args), 0);
    unsigned char *old[3];
    size_t nold[3];
    for (int i = 0; i < 3; i++) assert_non_null(old[i] = file_bytes(p[i], &nold[i]));

    /* a second run with other inputs, stopped by the limit while writing G */
    snprintf(args, sizeof args, fmt, D, K, tpath("sx2.npy"), tpath("sg2.npy"), "--weight-grad '",
             tpath("sdw.npy"), "' ", out);
    snprintf(cmd, sizeof cmd, "ulimit -f 16; exec '%s' kfac %s > /dev/null 2>&1",
             getenv("CLKFAC_BIN"), args);
    int rc = system(cmd);
    assert_false(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        unsigned char *now = file_bytes(p[i], &n);
        assert_non_null(now);
        if (n != nold[i] || memcmp(now, old[i], n))
            fail_msg("%s changed although the run that wrote it was killed", p[i]);
        free(now);
    }
    DIR *d = opendir(out);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(d))) entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 3);

    /* the same run without the limit and without --weight-grad: a new set, precond.npy gone */
    snprintf(args, sizeof args, fmt, D, K, tpath("sx2.npy"), tpath("sg2.npy"), "", "", "", out);
    assert_int_equal(run_kfac(args), 0);
    size_t n = 0;
    unsigned char *now = file_bytes(p[0], &n);
    assert_true(n == nold[0] && memcmp(now, old[0], n) != 0);
    free(now);
    assert_false(exists(p[2]));

    /* another file in --out: refused (2) before any work, the folder untouched */
    char other[600];
    snprintf(other, sizeof other, "%s/notes.txt", out);
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(run_kfac(args), 2);
    expect_err("holds 'notes.txt'");
    for (int i = 0; i < 3; i++) free(old[i]);
    free(x);
    free(g);
    free(dw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_wrong_dtype),
        cmocka_unit_test(test_usage_mismatched_g_shape),
        cmocka_unit_test(test_usage_truncated_file),
        cmocka_unit_test(test_usage_options),
        cmocka_unit_test(test_conv_bias_stride_padding),
        cmocka_unit_test(test_conv_dilation_factors_only),
        cmocka_unit_test(test_dense_tikhonov),
        cmocka_unit_test(test_dense_eigen),
        cmocka_unit_test(test_nan_in_x_fails_without_output),
        cmocka_unit_test(test_output_set_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
