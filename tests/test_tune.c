/* The tuning database (src/cl/tune_db.c) and its use by the device profile: a round trip
 * through text and file, every kind of bad file refused with a clear reason while the context
 * keeps working on the values it had, the shipped PoCL default, and tuned values actually in
 * force (a context built from a database runs CLBlast GEMM/GEMV and the Cholesky kernel with
 * them, checked against double-precision references, and reports them in its profile).
 * ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl/ocl.h"
#include "cl/tune.h"
#include "core/text.h"
#include "harness.h"
#include "linalg/blas.h"

static char g_dir[256];

static void path_in_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* A context on the test device with $CLKFAC_TUNE = mode (NULL: unset) and the given engine. */
static clkfac_context *ctx_with(const char *mode, clkfac_blas_engine blas)
{
    if (mode)
        setenv("CLKFAC_TUNE", mode, 1);
    else
        unsetenv("CLKFAC_TUNE");
    char spec[32];
    const clkfac_device_info *d = clkfac_context_device(th_ctx());
    snprintf(spec, sizeof spec, "%d:%d", d->platform_index, d->device_index);
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.device = spec;
    o.blas = blas;
    o.cache_dir = g_dir; /* its own cache: no database of the user's is read */
    clkfac_context *c = NULL;
    TH_OK(clkfac_context_create(&c, &o));
    unsetenv("CLKFAC_TUNE");
    return c;
}

/* Values that differ from CLBlast's and the shipped ones, each meeting its constraints. */
static void set_tuned(clkfac_device_profile *p)
{
    static const size_t xgemm[16] = {0, 1, 32, 4, 16, 16, 64, 8, 8, 64, 1, 0, 0, 0, 4, 8};
    static const size_t direct[10] = {8, 16, 16, 16, 16, 0, 1, 2, 2, 64};
    static const size_t gemv[2] = {128, 2};
    static const size_t copy[4] = {32, 8, 2, 4};
    static const size_t pad[4] = {16, 16, 1, 2};
    static const size_t tra[4] = {16, 1, 0, 2};
    static const size_t padtra[3] = {1, 16, 2};
    assert_true(tune_valid(TUNE_XGEMM, xgemm, 0, 0));
    tune_profile_set(p, TUNE_XGEMM, xgemm);
    const size_t *v[6] = {direct, gemv, copy, pad, tra, padtra};
    for (int k = 0; k < 6; k++) {
        assert_true(tune_valid(k, v[k], 0, 0));
        tune_profile_set(p, k, v[k]);
    }
    p->chol_wg = 32;
    p->gemm_min_indirect = 64;
    p->gram_row_block = 2048;
}

static void assert_same_tuning(const clkfac_device_profile *a, const clkfac_device_profile *b)
{
    for (int k = 0; k < TUNE_KERNELS; k++) {
        const size_t *x = tune_profile_values(a, k), *y = tune_profile_values(b, k);
        assert_int_equal(x == NULL, y == NULL);
        if (x)
            assert_memory_equal(x, y, (size_t)tune_kernel_get(k)->n_params * sizeof(size_t));
    }
    assert_int_equal(a->chol_wg, b->chol_wg);
    assert_int_equal(a->gemm_min_indirect, b->gemm_min_indirect);
    assert_int_equal(a->gram_row_block, b->gram_row_block);
}

static char *good_text(clkfac_device_profile *tuned)
{
    *tuned = clkfac_context_profile(th_ctx())[0];
    set_tuned(tuned);
    char *text = NULL;
    TH_OK(tune_db_format(th_ctx(), tuned, "test database\nsecond line", &text));
    return text;
}

static void round_trip(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_device_profile tuned;
    char *text = good_text(&tuned);
    /* text -> profile */
    clkfac_device_profile back;
    memset(&back, 0, sizeof back);
    TH_OK(tune_db_apply(th_ctx(), text, 0, &back));
    assert_same_tuning(&tuned, &back);
    /* a context -> file (atomic write into a new folder) -> a new context */
    char path[512];
    path_in_dir(path, sizeof path, "sub/dir/db.txt");
    clkfac_context *c = ctx_with("off", CLKFAC_BLAS_AUTO);
    c->profile = tuned;
    TH_OK(clkfac_tune_save(c, path, "round trip"));
    clkfac_context_free(c);
    TH_OK(clkfac_tune_db_check(th_ctx(), path));
    c = ctx_with(path, CLKFAC_BLAS_AUTO);
    const clkfac_device_profile *p = clkfac_context_profile(c);
    assert_same_tuning(&tuned, p);
    assert_non_null(strstr(p->tuning, "tuned db"));
    assert_string_equal(p->tuning_note, "");
    clkfac_context_free(c);
    /* the default path: in the context's cache folder, loaded without CLKFAC_TUNE */
    c = ctx_with("off", CLKFAC_BLAS_AUTO);
    char def[1100];
    clkfac_tune_db_path(c, def, sizeof def);
    assert_non_null(strstr(def, "/tune/"));
    c->profile = tuned;
    TH_OK(clkfac_tune_save(c, NULL, NULL));
    clkfac_context_free(c);
    c = ctx_with(NULL, CLKFAC_BLAS_AUTO);
    assert_same_tuning(&tuned, clkfac_context_profile(c));
    assert_non_null(strstr(clkfac_context_profile(c)->tuning, def));
    clkfac_context_free(c);
    /* CLKFAC_TUNE=off and =shipped ignore it */
    c = ctx_with("off", CLKFAC_BLAS_AUTO);
    assert_int_equal(clkfac_context_profile(c)->chol_wg, 0);
    assert_int_equal(clkfac_context_profile(c)->clblast_set, 0);
    clkfac_context_free(c);
    c = ctx_with("shipped", CLKFAC_BLAS_AUTO);
    assert_int_equal(clkfac_context_profile(c)->clblast_set, 0);
    clkfac_context_free(c);
    unlink(def);
    free(text);
}

/* Replaces the first occurrence of `from` in text by `to` and, when resum, rewrites the
 * checksum line so only the content check can refuse it. */
static char *edit(const char *text, const char *from, const char *to, int resum)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    core_text t = {0};
    core_text_put(&t, text, (size_t)(at - text));
    core_text_printf(&t, "%s%s", to, at + strlen(from));
    if (resum) {
        char *sum = strstr(t.s, "\nchecksum ");
        assert_non_null(sum);
        sum++;
        assert_non_null(sum);
        uint64_t h = core_fnv1a(CORE_FNV_INIT, t.s, (size_t)(sum - t.s));
        snprintf(sum, t.cap - (size_t)(sum - t.s), "checksum %016llx\n", (unsigned long long)h);
    }
    assert_false(t.oom);
    return t.s;
}

static void corrupt_files_refused(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_device_profile tuned;
    char *good = good_text(&tuned);
    const clkfac_device_info *d = clkfac_context_device(th_ctx());
    char wrong_dev[300], kern[64], wrong_kern[64];
    snprintf(wrong_dev, sizeof wrong_dev, "device %s", d->name);
    snprintf(kern, sizeof kern, "kernels %016llx", (unsigned long long)tune_kernels_hash());
    snprintf(wrong_kern, sizeof wrong_kern, "kernels %016llx",
             (unsigned long long)(tune_kernels_hash() ^ 1));
    struct {
        const char *name;
        char *text;
        clkfac_status st;
        const char *says;
    } cases[] = {
        {"changed value", edit(good, "WGS1=128", "WGS1=256", 0), CLKFAC_ERR_FORMAT, "checksum"},
        {"cut short", edit(good, "\nchecksum ", "\n# ", 0), CLKFAC_ERR_FORMAT, "checksum line is missing"},
        {"empty", edit(good, good, "", 0), CLKFAC_ERR_FORMAT, "empty"},
        {"not a database", edit(good, good, "\x7f" "ELF\x01\x01 binary junk\n", 0),
         CLKFAC_ERR_FORMAT, "clkfac-tune 1"},
        {"newer format", edit(good, "clkfac-tune 1", "clkfac-tune 2", 1), CLKFAC_ERR_FORMAT,
         "format line"},
        {"other device", edit(good, wrong_dev, "device Some Other GPU", 1),
         CLKFAC_ERR_UNSUPPORTED, "Some Other GPU"},
        {"other driver", edit(good, "driver ", "driver 0.0-old", 1), CLKFAC_ERR_UNSUPPORTED,
         "driver"},
        {"other CLBlast", edit(good, "clblast 1.", "clblast 0.", 1), CLKFAC_ERR_UNSUPPORTED,
         "clblast"},
        {"kernels changed", edit(good, kern, wrong_kern, 1), CLKFAC_ERR_UNSUPPORTED,
         "clkfac tune"},
        {"missing parameter", edit(good, " WPT1=2", "", 1), CLKFAC_ERR_FORMAT, "lacks WPT1"},
        {"unknown parameter", edit(good, "WPT1=2", "WPT1=2 NOPE=3", 1), CLKFAC_ERR_FORMAT,
         "no parameter 'NOPE'"},
        {"broken constraints", edit(good, "MWG=64", "MWG=48", 1), CLKFAC_ERR_FORMAT,
         "constraints"},
        {"negative", edit(good, "chol_wg=32", "chol_wg=-32", 1), CLKFAC_ERR_FORMAT, "chol_wg"},
        {"bad chol_wg", edit(good, "chol_wg=32", "chol_wg=48", 1), CLKFAC_ERR_FORMAT,
         "power of two"},
        {"unknown key", edit(good, "clkfac gemm", "colour blue\nclkfac gemm", 1),
         CLKFAC_ERR_FORMAT, "unknown key 'colour'"},
        {"duplicate kernel", edit(good, "Xgemv ", "Xgemv WGS1=64 WPT1=1\nXgemv ", 1),
         CLKFAC_ERR_FORMAT, "twice"},
        {"missing header", edit(good, "vendor ", "# vendor ", 1), CLKFAC_ERR_FORMAT,
         "'vendor' line is missing"},
        {"wildcard outside shipped", edit(good, wrong_dev, "device *", 1),
         CLKFAC_ERR_UNSUPPORTED, "device '*'"},
    };
    const clkfac_device_profile before = clkfac_context_profile(th_ctx())[0];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clkfac_device_profile p = before;
        clkfac_status st = tune_db_apply(th_ctx(), cases[i].text, 0, &p);
        if (st != cases[i].st || !strstr(clkfac_last_error(), cases[i].says))
            fail_msg("case '%s': status %s, message '%s'; expected %s saying '%s'", cases[i].name,
                     clkfac_status_str(st), clkfac_last_error(), clkfac_status_str(cases[i].st),
                     cases[i].says);
        assert_memory_equal(&p, &before, sizeof p); /* nothing applied */
        /* as a file: refused by --check's function and by a context, which keeps working on
         * the values it had and says why in its profile */
        char path[512];
        path_in_dir(path, sizeof path, "bad.txt");
        write_text(path, cases[i].text);
        assert_int_equal(clkfac_tune_db_check(th_ctx(), path), cases[i].st);
        clkfac_context *c = ctx_with(path, CLKFAC_BLAS_AUTO);
        const clkfac_device_profile *cp = clkfac_context_profile(c);
        assert_non_null(strstr(cp->tuning_note, "refused"));
        assert_non_null(strstr(cp->tuning_note, path));
        assert_null(strstr(cp->tuning, "tuned db"));
        assert_int_equal(cp->chol_wg, 0);
        assert_int_equal(cp->clblast_set, 0);
        char text[2048];
        assert_non_null(strstr(clkfac_device_profile_text(text, sizeof text, cp), "NOTE"));
        clkfac_context_free(c);
        free(cases[i].text);
    }
    /* an unreadable database (a folder) is refused the same way */
    char dir[512];
    path_in_dir(dir, sizeof dir, "a_folder.txt");
    mkdir(dir, 0755);
    assert_int_equal(clkfac_tune_db_check(th_ctx(), dir), CLKFAC_ERR_IO);
    clkfac_context *c = ctx_with(dir, CLKFAC_BLAS_AUTO);
    assert_non_null(strstr(clkfac_context_profile(c)->tuning_note, "cannot read"));
    clkfac_context_free(c);
    rmdir(dir);
    free(good);
}

/* The CLI: `clkfac tune --check` exits 0 for a good database and 1 naming the problem for a
 * bad one. */
static int run_cli(const char *args)
{
    const char *bin = getenv("CLKFAC_BIN");
    if (!bin) return -1;
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "'%s' tune %s >/dev/null 2>&1", bin, args);
    int r = system(cmd);
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static void cli_check(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (!getenv("CLKFAC_BIN")) {
        print_message("SKIP cli_check: CLKFAC_BIN not set (run through ctest)\n");
        skip();
    }
    clkfac_device_profile tuned;
    char *good = good_text(&tuned);
    char path[512], args[700];
    path_in_dir(path, sizeof path, "cli.txt");
    write_text(path, good);
    const clkfac_device_info *d = clkfac_context_device(th_ctx());
    snprintf(args, sizeof args, "--device %d:%d --check '%s'", d->platform_index,
             d->device_index, path);
    assert_int_equal(run_cli(args), 0);
    char *bad = edit(good, "WGS1=128", "WGS1=64", 0);
    write_text(path, bad);
    assert_int_equal(run_cli(args), 1);
    assert_int_equal(run_cli("--reps 99"), 2);
    free(bad);
    free(good);
}

static void shipped_default(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    /* the embedded file parses as a shipped default against any device (the platform and type
     * lines decide whether it matches) */
    const char *text = (const char *)clkfac_tune_pocl_cpu_text;
    assert_int_equal(strlen(text), clkfac_tune_pocl_cpu_text_len);
    clkfac_device_profile p = clkfac_context_profile(th_ctx())[0];
    clkfac_status st = tune_db_apply(th_ctx(), text, 1, &p);
    const clkfac_device_info *d = clkfac_context_device(th_ctx());
    const int pocl_cpu = !strcmp(d->type, "CPU") && strstr(d->platform, "Portable Computing");
    if (!pocl_cpu) {
        assert_int_equal(st, CLKFAC_ERR_UNSUPPORTED);
        print_message("SKIP rest of shipped_default: device is not a PoCL CPU\n");
        return;
    }
    TH_OK(st);
    assert_true(p.xgemm_override);
    assert_int_equal(p.gemm_min_indirect, 128);
    /* not a database: without '*'-tolerance and a checksum it is refused */
    assert_int_not_equal(tune_db_apply(th_ctx(), text, 0, &p), CLKFAC_OK);
    clkfac_context *c = ctx_with("shipped", CLKFAC_BLAS_AUTO);
    assert_non_null(strstr(clkfac_context_profile(c)->tuning, "shipped default"));
    assert_true(clkfac_context_profile(c)->xgemm_override);
    clkfac_context_free(c);
    c = ctx_with("off", CLKFAC_BLAS_AUTO);
    assert_non_null(strstr(clkfac_context_profile(c)->tuning, "built-in"));
    assert_false(clkfac_context_profile(c)->xgemm_override);
    clkfac_context_free(c);
}

static void ref_gemm(const float *a, const float *b, double *c, size_t m, size_t n, size_t k,
                     int ta, int tb)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t q = 0; q < k; q++)
                acc += (double)(ta ? a[q * m + i] : a[i * k + q]) *
                       (double)(tb ? b[j * k + q] : b[q * n + j]);
            c[i * n + j] = acc;
        }
}

/* A context built from a database runs with its values: the profile reports them, the
 * Cholesky block kernel is built with CHOL_WG=32, and CLBlast's GEMM (direct and indirect, all
 * transposes, sizes off every tile) and GEMV with the tuned kernels match double precision. */
static void tuned_values_in_force(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_device_profile tuned;
    char *good = good_text(&tuned);
    char path[512];
    path_in_dir(path, sizeof path, "applied.txt");
    write_text(path, good);
    clkfac_context *c = ctx_with(path, CLKFAC_BLAS_CLBLAST);
    const clkfac_device_profile *p = clkfac_context_profile(c);
    char text[2048];
    clkfac_device_profile_text(text, sizeof text, p);
    assert_non_null(strstr(text, "clblast_Xgemv=WGS1=128,WPT1=2"));
    assert_non_null(strstr(text, "clblast_XgemmDirect=KWID=8,"));
    assert_non_null(strstr(text, "clblast_Padtranspose=PADTRA_PAD=1,PADTRA_TILE=16,PADTRA_WPT=2"));
    assert_non_null(strstr(text, "KWI=4,MDIMA=16,MDIMC=16,MWG=64"));
    assert_non_null(strstr(text, "chol_wg=32"));
    assert_non_null(strstr(text, "clblast_min_indirect=64"));
    assert_non_null(strstr(text, "tuning=tuned db"));
    assert_non_null(strstr(blas_tuning(c), "Xgemv"));
    size_t wg = 0;
    TH_OK(ocl_kernel_reqd_wg(c, "chol", "chol_potrf_block", &wg));
    assert_int_equal(wg, 32);

    th_rng r = {42};
    static const size_t shapes[][5] = {
        {3, 5, 7, 0, 0},    {33, 17, 9, 1, 0},   {50, 70, 60, 0, 1},  {65, 129, 63, 1, 1},
        {200, 96, 257, 0, 1}, {96, 257, 200, 1, 0}, {130, 130, 130, 0, 0}, {1, 300, 80, 0, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        const int ta = (int)shapes[s][3], tb = (int)shapes[s][4];
        float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float)),
              *got = malloc(m * n * sizeof(float));
        double *ref = malloc(m * n * sizeof(double));
        th_fill_normal(&r, a, m * k, 1.0f);
        th_fill_normal(&r, b, k * n, 1.0f);
        ref_gemm(a, b, ref, m, n, k, ta, tb);
        cl_mem da = NULL, db = NULL, dc = NULL;
        TH_OK(clkfac_buffer_create(&da, c, m * k));
        TH_OK(clkfac_buffer_create(&db, c, k * n));
        TH_OK(clkfac_buffer_create(&dc, c, m * n));
        TH_OK(clkfac_buffer_write(c, da, 0, a, m * k));
        TH_OK(clkfac_buffer_write(c, db, 0, b, k * n));
        TH_OK(clkfac_buffer_fill(c, dc, 0, 0.0f, m * n));
        TH_OK(clkfac_linalg_gemm(c, ta, tb, m, n, k, 1.0f, da, 0, ta ? m : k, db, 0,
                                 tb ? k : n, 0.0f, dc, 0, n));
        TH_OK(clkfac_buffer_read(c, dc, 0, got, m * n));
        char what[64];
        snprintf(what, sizeof what, "tuned GEMM %zux%zux%zu %c%c", m, n, k, ta ? 'T' : 'N',
                 tb ? 'T' : 'N');
        th_assert_nrm(got, ref, m * n, 1e-10, what);
        /* GEMV y = op(A) x with A the (m, k) operand: the tuned Xgemv */
        if (!ta) {
            for (int tr = 0; tr < 2; tr++) {
                const size_t ny = tr ? k : m, nx = tr ? m : k;
                double *yr = malloc(ny * sizeof(double));
                for (size_t i = 0; i < ny; i++) {
                    double acc = 0;
                    for (size_t j = 0; j < nx; j++)
                        acc += (double)(tr ? a[j * k + i] : a[i * k + j]) * b[j];
                    yr[i] = acc;
                }
                TH_OK(blas_gemv(c, tr ? BLAS_T : BLAS_N, m, k, 1.0f, da, 0, k, db, 0, 1, 0.0f,
                                dc, 0, 1));
                TH_OK(clkfac_buffer_read(c, dc, 0, got, ny));
                snprintf(what, sizeof what, "tuned GEMV %zux%zu %c", m, k, tr ? 'T' : 'N');
                th_assert_nrm(got, yr, ny, 1e-10, what);
                free(yr);
            }
        }
        clkfac_buffer_free(da);
        clkfac_buffer_free(db);
        clkfac_buffer_free(dc);
        free(a);
        free(b);
        free(got);
        free(ref);
    }
    /* the damped SPD inverse with the CHOL_WG=32 block kernel: (S + I) X = I */
    const size_t n = 150;
    float *m = malloc(n * n * sizeof(float)), *s = malloc(n * n * sizeof(float)),
          *x = malloc(n * n * sizeof(float));
    th_fill_normal(&r, m, n * n, 1.0f);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double acc = 0;
            for (size_t q = 0; q < n; q++) acc += (double)m[i * n + q] * m[j * n + q];
            s[i * n + j] = s[j * n + i] = (float)(acc / (double)n);
        }
    const float one = 1.0f;
    cl_mem ds = NULL, dg = NULL, dx = NULL;
    TH_OK(clkfac_buffer_create(&ds, c, n * n));
    TH_OK(clkfac_buffer_create(&dx, c, n * n));
    TH_OK(clkfac_buffer_create(&dg, c, 1));
    TH_OK(clkfac_buffer_write(c, ds, 0, s, n * n));
    TH_OK(clkfac_buffer_write(c, dg, 0, &one, 1));
    TH_OK(clkfac_linalg_spd_inverse(c, n, ds, 0, dg, 0, 1.0f, dx, 0));
    TH_OK(clkfac_buffer_read(c, dx, 0, x, n * n));
    double *eye = malloc(n * n * sizeof(double));
    float *prod = malloc(n * n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = x[i * n + j];
            for (size_t q = 0; q < n; q++) acc += (double)s[i * n + q] * x[q * n + j];
            prod[i * n + j] = (float)acc;
            eye[i * n + j] = i == j;
        }
    th_assert_close(prod, eye, n * n, 1e-4, 0, "(S + I) X with CHOL_WG=32");
    clkfac_buffer_free(ds);
    clkfac_buffer_free(dx);
    clkfac_buffer_free(dg);
    free(m);
    free(s);
    free(x);
    free(eye);
    free(prod);
    clkfac_context_free(c);
    free(good);
}

static int setup(void **state)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/clkfac-test-tune-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    return th_group_setup(state);
}

static int teardown(void **state)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) return -1;
    return th_group_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),        cmocka_unit_test(corrupt_files_refused),
        cmocka_unit_test(cli_check),         cmocka_unit_test(shipped_default),
        cmocka_unit_test(tuned_values_in_force),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
