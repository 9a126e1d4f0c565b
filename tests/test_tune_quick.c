/* `clkfac tune --quick` end to end on the test device (PoCL in CI): it finishes, prints the
 * before/after table, writes a database that `--check` accepts, and a context loading that
 * database reports it and computes GEMMs (CLBlast engine) that match double precision.
 * Minutes on a loaded 2-core machine: label slow.
 * ctest-labels: device slow */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/text.h"
#include "harness.h"

static void quick_tune(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const char *bin = getenv("CLKFAC_BIN");
    if (!bin) {
        print_message("SKIP quick_tune: CLKFAC_BIN not set (run through ctest)\n");
        skip();
    }
    char dir[] = "/tmp/clkfac-test-tune-quick-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const clkfac_device_info *d = clkfac_context_device(th_ctx());
    char cmd[1400], db[300], log[300];
    snprintf(db, sizeof db, "%s/db.txt", dir);
    snprintf(log, sizeof log, "%s/out.txt", dir);
    snprintf(cmd, sizeof cmd, "'%s' tune --quick --device %d:%d --db '%s' >'%s' 2>&1", bin,
             d->platform_index, d->device_index, db, log);
    int r = system(cmd);
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(core_read_file(log, &out, &len), 0);
    if (!WIFEXITED(r) || WEXITSTATUS(r) != 0) fail_msg("clkfac tune --quick failed:\n%s", out);
    print_message("%s", out); /* the before/after table: ctest -V shows it */
    assert_non_null(strstr(out, "before ms"));
    assert_non_null(strstr(out, "gemm (as routed)"));
    assert_non_null(strstr(out, "Xgemm "));
    assert_non_null(strstr(out, "chol_wg"));
    assert_non_null(strstr(out, "wrote "));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tune --device %d:%d --check '%s' >/dev/null 2>&1", bin,
             d->platform_index, d->device_index, db);
    r = system(cmd);
    assert_true(WIFEXITED(r) && WEXITSTATUS(r) == 0);
    TH_OK(clkfac_tune_db_check(th_ctx(), db));

    /* a context with it: the source is reported, GEMM is right */
    setenv("CLKFAC_TUNE", db, 1);
    char spec[32];
    snprintf(spec, sizeof spec, "%d:%d", d->platform_index, d->device_index);
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.device = spec;
    o.blas = CLKFAC_BLAS_CLBLAST;
    clkfac_context *c = NULL;
    TH_OK(clkfac_context_create(&c, &o));
    unsetenv("CLKFAC_TUNE");
    assert_non_null(strstr(clkfac_context_profile(c)->tuning, "tuned db"));
    th_rng rng = {7};
    static const size_t shapes[][3] = {{5, 7, 3}, {100, 33, 257}, {257, 257, 300}, {64, 512, 80}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float)),
              *got = malloc(m * n * sizeof(float));
        double *ref = calloc(m * n, sizeof(double));
        th_fill_normal(&rng, a, m * k, 1.0f);
        th_fill_normal(&rng, b, k * n, 1.0f);
        for (size_t i = 0; i < m; i++) /* C = A^T-free: A (m,k), B^T stored (n,k) */
            for (size_t j = 0; j < n; j++)
                for (size_t q = 0; q < k; q++) ref[i * n + j] += (double)a[i * k + q] * b[j * k + q];
        cl_mem da = NULL, dbuf = NULL, dc = NULL;
        TH_OK(clkfac_buffer_create(&da, c, m * k));
        TH_OK(clkfac_buffer_create(&dbuf, c, k * n));
        TH_OK(clkfac_buffer_create(&dc, c, m * n));
        TH_OK(clkfac_buffer_write(c, da, 0, a, m * k));
        TH_OK(clkfac_buffer_write(c, dbuf, 0, b, k * n));
        TH_OK(clkfac_linalg_gemm(c, 0, 1, m, n, k, 1.0f, da, 0, k, dbuf, 0, k, 0.0f, dc, 0, n));
        TH_OK(clkfac_buffer_read(c, dc, 0, got, m * n));
        th_assert_nrm(got, ref, m * n, 1e-10, "GEMM NT with the tuned database");
        clkfac_buffer_free(da);
        clkfac_buffer_free(dbuf);
        clkfac_buffer_free(dc);
        free(a);
        free(b);
        free(got);
        free(ref);
    }
    clkfac_context_free(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(quick_tune)};
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
