/* Device layer: selection specs, errors that list what exists, buffers, health flags, the
 * program-binary cache (warm load, corrupt entry rebuilt), build-log errors, per-program build
 * options, the typed launcher's argument checks, profiling. */
/* ctest-labels: unit device */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/ocl.h"
#include "clkfac/heads.h"
#include "harness.h"

static void test_spec_matches_none_lists_devices(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_device_info info;
    clkfac_status st = clkfac_device_find(&info, "no-such-device-xyz");
    assert_int_equal(st, CLKFAC_ERR_NO_DEVICE);
    assert_non_null(strstr(clkfac_last_error(), "no-such-device-xyz"));
    assert_non_null(strstr(clkfac_last_error(), th_ctx()->info.name));
    st = clkfac_device_find(&info, "7:3");
    assert_int_equal(st, CLKFAC_ERR_NO_DEVICE);
}

static void test_spec_forms_select_the_device(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const clkfac_device_info *d = clkfac_context_device(th_ctx());
    clkfac_device_info a, b, c;
    char pd[32];
    snprintf(pd, sizeof pd, "%d:%d", d->platform_index, d->device_index);
    TH_OK(clkfac_device_find(&a, pd));
    assert_string_equal(a.name, d->name);
    char sub[8] = {0};
    memcpy(sub, d->name, 5);
    for (char *p = sub; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
    TH_OK(clkfac_device_find(&b, sub)); /* case-insensitive substring */
    assert_string_equal(b.name, d->name);
    TH_OK(clkfac_device_find(&c, d->type[0] == 'G' ? "gpu" : "cpu"));
}

static void test_buffers_roundtrip_fill_copy(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    float x[37], y[37];
    for (int i = 0; i < 37; i++) x[i] = (float)i * 0.5f - 3.0f;
    cl_mem a = th_upload(x, 37), b = th_alloc(40, 7.0f);
    TH_OK(clkfac_buffer_copy(ctx, a, 2, b, 3, 30));
    float z[40];
    th_download(b, 0, z, 40);
    for (int i = 0; i < 40; i++) {
        float want = (i >= 3 && i < 33) ? x[i - 1] : 7.0f;
        assert_true(z[i] == want);
    }
    th_download(a, 0, y, 37);
    assert_memory_equal(x, y, sizeof x);
    /* a non-blocking read lands in queue order, after the fill before it, and is no blocking
     * call; the data is there once finish returns */
    float w[4] = {0};
    uint64_t blocking = clkfac_context_blocking_calls(ctx);
    TH_OK(clkfac_buffer_fill(ctx, a, 5, -2.0f, 2));
    TH_OK(clkfac_buffer_read_async(ctx, a, 4, w, 4));
    assert_int_equal(clkfac_context_blocking_calls(ctx), blocking);
    TH_OK(clkfac_context_finish(ctx));
    assert_true(w[0] == x[4] && w[1] == -2.0f && w[2] == -2.0f && w[3] == x[7]);
    clkfac_buffer_free(a);
    clkfac_buffer_free(b);
    clkfac_buffer_free(NULL); /* no-op */
}

static void test_health_flags_raise_and_clear(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    float x[5] = {1, 2, 3, 4, 5};
    cl_mem a = th_upload(x, 5);
#define CHECK_A ocl_run(ctx, "util", "util_check_finite", OCL_1D(5, 0),                        \
                        OCL_ARGS(OCL_U(5), OCL_M(a), OCL_U(0), OCL_M(ctx->health)))
    TH_OK(CHECK_A);
    TH_OK(clkfac_context_check(ctx));
    x[3] = 0.0f / 0.0f;
    TH_OK(clkfac_buffer_write(ctx, a, 0, x, 5));
    TH_OK(CHECK_A);
#undef CHECK_A
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    TH_OK(clkfac_context_check(ctx)); /* cleared */
    clkfac_buffer_free(a);
}

static int count_cache_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".bin") && !strstr(e->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

/* Context options whose binary cache is a fresh directory made from the mkdtemp template dir;
 * remove_dir deletes it again. */
static clkfac_context_options temp_cache_options(char *dir)
{
    assert_non_null(mkdtemp(dir));
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.cache_dir = dir;
    return o;
}

static void remove_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_binary_cache_warm_and_corrupt(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    char dir[] = "/tmp/clkfac-cache-test-XXXXXX";
    clkfac_context_options o = temp_cache_options(dir);
    clkfac_context *c1 = NULL, *c2 = NULL, *c3 = NULL;
    TH_OK(clkfac_context_create(&c1, &o));
    double cold = 0, warm = 0, again = 0;
    TH_OK(clkfac_context_build_all(c1, &cold));
    int files = count_cache_files(dir);
    assert_true(files >= 1);
    TH_OK(clkfac_context_create(&c2, &o));
    TH_OK(clkfac_context_build_all(c2, &warm));
    print_message("program build: cold %.3f s, warm (binary cache) %.3f s\n", cold, warm);
    /* corrupt every entry: the next context must rebuild, not trust them */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".bin")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r+b");
        assert_non_null(f);
        fseek(f, 40, SEEK_SET);
        fputs("garbage garbage garbage", f);
        fclose(f);
    }
    closedir(d);
    TH_OK(clkfac_context_create(&c3, &o));
    TH_OK(clkfac_context_build_all(c3, &again));
    cl_kernel k;
    TH_OK(ocl_kernel(c3, "util", "util_scale_by", &k));
    assert_int_equal(count_cache_files(dir), files);
    clkfac_context_free(c1);
    clkfac_context_free(c2);
    clkfac_context_free(c3);
    remove_dir(dir);
}

static void test_unknown_kernel_is_an_error(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    cl_kernel k;
    assert_int_equal(ocl_kernel(th_ctx(), "util", "no_such_kernel", &k), CLKFAC_ERR_INTERNAL);
    assert_non_null(strstr(clkfac_last_error(), "no_such_kernel"));
    assert_int_equal(ocl_kernel(th_ctx(), "nofile", "x", &k), CLKFAC_ERR_INTERNAL);
}

/* ocl_run compares each new argument list with the kernel's declaration: a wrong count or a
 * wrong kind is an error naming the kernel (and the argument), even after a good launch. */
static void test_run_checks_arguments(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const float sc[2] = {0.0f, 3.0f};
    cl_mem a = th_alloc(4, 1.0f), s = th_upload(sc, 2);
    TH_OK(ocl_run(ctx, "util", "util_scale_by", OCL_1D(4, 0),
                  OCL_ARGS(OCL_U(3), OCL_M(a), OCL_U(1), OCL_F(2.0f), OCL_M(s), OCL_U(1))));
    float got[4];
    th_download(a, 0, got, 4);
    assert_true(got[0] == 1.0f && got[1] == 6.0f && got[2] == 6.0f && got[3] == 6.0f);
    assert_int_equal(ocl_run(ctx, "util", "util_scale_by", OCL_1D(4, 0),
                             OCL_ARGS(OCL_U(4), OCL_M(a), OCL_U(0), OCL_F(2.0f), OCL_M(s))),
                     CLKFAC_ERR_INTERNAL);
    assert_non_null(strstr(clkfac_last_error(), "util_scale_by declares 6 arguments"));
    clkfac_status st = ocl_run(ctx, "util", "util_scale_by", OCL_1D(4, 0),
                               OCL_ARGS(OCL_U(4), OCL_M(a), OCL_U(0), OCL_U(2), OCL_M(s),
                                        OCL_U(1)));
    if (st != CLKFAC_OK) { /* the driver reports argument types */
        assert_int_equal(st, CLKFAC_ERR_INTERNAL);
        assert_non_null(strstr(clkfac_last_error(), "util_scale_by: argument 3"));
    }
    assert_int_equal(ocl_run(ctx, "util", "util_scale_by", OCL_1D(4, 0),
                             OCL_ARGS(OCL_M(a), OCL_M(a), OCL_U(0), OCL_F(2.0f), OCL_M(s),
                                      OCL_U(1))),
                     CLKFAC_ERR_INTERNAL);
    assert_non_null(strstr(clkfac_last_error(), "argument 0"));
    clkfac_buffer_free(a);
    clkfac_buffer_free(s);
}

/* Per-program -D options reach the kernels (a reduction's work-group size follows them, its
 * results do not change), are part of the cache key (two contexts sharing a cache directory
 * with different options each get their own binary), and are refused once the program is
 * built or for a program that does not exist. */
static void test_program_options(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    char dir[] = "/tmp/clkfac-opts-test-XXXXXX";
    clkfac_context_options o = temp_cache_options(dir);
    clkfac_context *c[2] = {NULL, NULL};
    float z[3 * 37], mean[2];
    for (size_t i = 0; i < 3 * 37; i++) z[i] = (float)((i * 7919) % 23) * 0.25f - 2.0f;
    size_t wg[2];
    for (int i = 0; i < 2; i++) {
        TH_OK(clkfac_context_create(&c[i], &o));
        TH_OK(clkfac_context_set_program_options(c[i], "heads", i ? "-DHEADS_WG=16" : NULL));
        TH_OK(ocl_kernel_reqd_wg(c[i], "heads", "heads_cat_rowstat", &wg[i]));
        cl_mem dz = NULL, dm = NULL;
        TH_OK(clkfac_buffer_create(&dz, c[i], 3 * 37));
        TH_OK(clkfac_buffer_create(&dm, c[i], 1));
        TH_OK(clkfac_buffer_write(c[i], dz, 0, z, 3 * 37));
        TH_OK(clkfac_heads_cat_entropy(c[i], 37, 3, dz, 0, NULL, 0, dm, 0));
        TH_OK(clkfac_buffer_read(c[i], dm, 0, &mean[i], 1));
        clkfac_buffer_free(dz);
        clkfac_buffer_free(dm);
    }
    assert_int_equal(wg[0], CLKFAC_WG);
    assert_int_equal(wg[1], 16);
    double want = mean[0];
    th_assert_close(&mean[1], &want, 1, 1e-6, 1e-6, "entropy with HEADS_WG=16");
    assert_int_equal(clkfac_context_set_program_options(c[1], "heads", "-DHEADS_WG=32"),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "already built"));
    assert_int_equal(clkfac_context_set_program_options(c[1], "no_such", "-DX=1"),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "heads"));
    clkfac_context_free(c[0]);
    clkfac_context_free(c[1]);
    remove_dir(dir);
}

/* A program that fails to build is CLKFAC_ERR_BUILD naming the program, with the build log in
 * the detail; thanks to the #line the embedding adds, the log points into heads.cl itself, not
 * into the shared header and prelude prepended to it. */
static void test_build_failure_names_the_file(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    char dir[] = "/tmp/clkfac-build-test-XXXXXX";
    clkfac_context_options o = temp_cache_options(dir);
    clkfac_context *ctx = NULL;
    TH_OK(clkfac_context_create(&ctx, &o));
    TH_OK(clkfac_context_set_program_options(ctx, "heads", "-DHEADS_WG=+"));
    size_t wg = 0;
    assert_int_equal(ocl_kernel_reqd_wg(ctx, "heads", "heads_cat_rowstat", &wg), CLKFAC_ERR_BUILD);
    const char *e = clkfac_last_error();
    assert_non_null(strstr(e, "cl/heads.cl"));
    assert_non_null(strstr(e, "heads.cl:"));
    clkfac_context_free(ctx);
    remove_dir(dir);
}

static void test_profiler_sums_phases(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    cl_mem a = th_alloc(1 << 16, 1.0f);
    clkfac_profile_begin(ctx);
    clkfac_profile_phase(ctx, "fill");
    TH_OK(clkfac_buffer_fill(ctx, a, 0, 2.0f, 1 << 16));
    TH_OK(clkfac_buffer_fill(ctx, a, 0, 3.0f, 1 << 16));
    clkfac_profile_phase(ctx, "copy");
    TH_OK(clkfac_buffer_copy(ctx, a, 0, a, 1 << 15, 1 << 15));
    clkfac_profile_entry e[8];
    size_t n = 0;
    TH_OK(clkfac_profile_collect(ctx, e, 8, &n));
    assert_int_equal(n, 3); /* "other", "fill", "copy" */
    assert_string_equal(e[1].phase, "fill");
    assert_int_equal(e[1].commands, 2);
    assert_int_equal(e[2].commands, 1);
    assert_true(e[1].seconds >= 0.0);
    /* more commands than the event list holds: folded into the sums, none lost */
    clkfac_profile_begin(ctx);
    clkfac_profile_phase(ctx, "many");
    for (int i = 0; i < 5000; i++) TH_OK(clkfac_buffer_fill(ctx, a, 0, (float)i, 16));
    TH_OK(clkfac_profile_collect(ctx, e, 8, &n));
    assert_int_equal(n, 2);
    assert_string_equal(e[1].phase, "many");
    assert_int_equal(e[1].commands, 5000);
    assert_true(e[1].seconds > 0.0);
    clkfac_buffer_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_matches_none_lists_devices),
        cmocka_unit_test(test_spec_forms_select_the_device),
        cmocka_unit_test(test_buffers_roundtrip_fill_copy),
        cmocka_unit_test(test_health_flags_raise_and_clear),
        cmocka_unit_test(test_binary_cache_warm_and_corrupt),
        cmocka_unit_test(test_unknown_kernel_is_an_error),
        cmocka_unit_test(test_run_checks_arguments),
        cmocka_unit_test(test_program_options),
        cmocka_unit_test(test_build_failure_names_the_file),
        cmocka_unit_test(test_profiler_sums_phases),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
