/* clkfac_comm in one process (what every program not started by mpirun gets, in builds with
 * and without MPI): rank 0 of 1, collectives leave host and device data as they are, map
 * nothing and block nothing; bad arguments fail naming the value, exactly as with many ranks
 * (tests/mpi/comm_ranks.c checks the collectives themselves on 2 and 3 ranks). */
/* ctest-labels: unit device */
#include <stdlib.h>
#include <string.h>

#include "clkfac/comm.h"
#include "harness.h"

static void test_single_process_host(void **state)
{
    (void)state;
    unsetenv("CLKFAC_COMM");
    clkfac_comm *c = NULL;
    TH_OK(clkfac_comm_create(&c));
    assert_int_equal(clkfac_comm_rank(c), 0);
    assert_int_equal(clkfac_comm_size(c), 1);
    assert_int_equal(clkfac_comm_local_rank(c), 0);
    assert_int_equal(clkfac_comm_local_size(c), 1);
    assert_string_equal(clkfac_comm_backend(c), "single");
    float f[3] = {1.5f, -2.0f, 3.25f};
    double d[2] = {0.1, 0.2};
    int64_t m[2] = {-4, 9};
    TH_OK(clkfac_comm_allreduce(c, f, 3, CLKFAC_COMM_FLOAT, CLKFAC_COMM_SUM));
    TH_OK(clkfac_comm_allreduce(c, d, 2, CLKFAC_COMM_DOUBLE, CLKFAC_COMM_MIN));
    TH_OK(clkfac_comm_allreduce(c, m, 2, CLKFAC_COMM_INT64, CLKFAC_COMM_MAX));
    assert_true(f[0] == 1.5f && f[1] == -2.0f && f[2] == 3.25f);
    assert_true(d[0] == 0.1 && d[1] == 0.2);
    assert_true(m[0] == -4 && m[1] == 9);
    char msg[8] = "same";
    TH_OK(clkfac_comm_bcast(c, msg, sizeof msg, 0));
    assert_string_equal(msg, "same");
    TH_OK(clkfac_comm_barrier(c));
    clkfac_comm_stats cs;
    clkfac_comm_stats_get(c, &cs);
    assert_true(cs.collectives == 0 && cs.bytes == 0); /* nothing crossed a process */

    /* bad arguments: the value and what was expected */
    assert_int_equal(clkfac_comm_bcast(c, msg, sizeof msg, 1), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "root 1 out of range; expected 0..0"));
    assert_int_equal(clkfac_comm_bcast(c, msg, sizeof msg, -1), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_comm_allreduce(c, NULL, 2, CLKFAC_COMM_FLOAT, CLKFAC_COMM_SUM),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_comm_allreduce(c, f, 3, (clkfac_comm_type)7, CLKFAC_COMM_SUM),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "type 7"));
    assert_int_equal(clkfac_comm_create(NULL), CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_comm_wait(NULL));
    clkfac_comm_free(c);
    clkfac_comm_free(NULL);

    /* CLKFAC_COMM names the transport; anything else is refused with the value */
    setenv("CLKFAC_COMM", "tcp", 1);
    c = NULL;
    assert_int_equal(clkfac_comm_create(&c), CLKFAC_ERR_INVALID_ARG);
    assert_null(c);
    assert_non_null(strstr(clkfac_last_error(), "CLKFAC_COMM='tcp': expected 'single' or 'mpi'"));
    setenv("CLKFAC_COMM", "single", 1);
    TH_OK(clkfac_comm_create(&c));
    assert_string_equal(clkfac_comm_backend(c), "single");
    clkfac_comm_free(c);
    if (!clkfac_comm_mpi_built()) {
        setenv("CLKFAC_COMM", "mpi", 1);
        c = NULL;
        assert_int_equal(clkfac_comm_create(&c), CLKFAC_ERR_UNSUPPORTED);
        assert_non_null(strstr(clkfac_last_error(), "this build has no MPI"));
    }
    unsetenv("CLKFAC_COMM");
}

static void test_single_process_buffers(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    clkfac_comm *c = NULL;
    TH_OK(clkfac_comm_create(&c));
    enum { N = 300 };
    float h[N], got[N];
    for (int i = 0; i < N; i++) h[i] = 0.5f * (float)i - 7.0f;
    cl_mem b = th_upload(h, N);
    uint64_t blocking0 = clkfac_context_blocking_calls(ctx);
    clkfac_comm_request *r = (clkfac_comm_request *)&r; /* set to NULL by a start */
    TH_OK(clkfac_comm_allreduce_buffer_start(&r, c, ctx, b, 10, 200, CLKFAC_COMM_SUM));
    assert_null(r); /* nothing to wait for */
    TH_OK(clkfac_comm_wait(r));
    TH_OK(clkfac_comm_allreduce_buffer(c, ctx, b, 0, N, CLKFAC_COMM_MAX));
    TH_OK(clkfac_comm_bcast_buffer(c, ctx, b, 5, 50, 0));
    assert_int_equal(clkfac_context_blocking_calls(ctx), blocking0); /* no map, no wait */
    th_download(b, 0, got, N);
    assert_memory_equal(got, h, sizeof h);

    /* the checks a multi-rank call makes, made here too */
    r = NULL;
    assert_int_equal(clkfac_comm_allreduce_buffer_start(&r, c, ctx, b, N - 5, 6, CLKFAC_COMM_SUM),
                     CLKFAC_ERR_SHAPE);
    assert_non_null(strstr(clkfac_last_error(), "needs 6 floats from offset 295 but the buffer "
                                                "holds 300"));
    assert_int_equal(clkfac_comm_bcast_buffer(c, ctx, b, 0, N, 2), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "root 2 out of range"));
    assert_int_equal(clkfac_comm_allreduce_buffer(c, ctx, NULL, 0, 1, CLKFAC_COMM_SUM),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_comm_allreduce_buffer(c, ctx, b, 0, 1, (clkfac_comm_op)9),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_comm_allreduce_buffer_start(NULL, c, ctx, b, 0, 1, CLKFAC_COMM_SUM),
                     CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(b);
    clkfac_comm_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_process_host),
        cmocka_unit_test(test_single_process_buffers),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
