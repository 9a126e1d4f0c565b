/* clkfac_comm on N ranks (run by mpirun; tests/mpi/CMakeLists.txt runs it on 2 and 3): host
 * collectives of every type and operation, and device-buffer collectives through mapped memory
 * (a sub-range, with what lies outside it untouched; two requests in flight at once; a broadcast
 * from a rank other than 0), each against the value computed here by hand; the profiler's phase
 * and the communicator's byte counts; and bad arguments refused on every rank before any
 * collective starts. Usage: comm_ranks EXPECTED_SIZE. A failed check is counted, not fatal,
 * so every rank makes the same collective calls; the exit code is 1 when any rank failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/clkfac.h"

static int g_fail;
static int g_rank;

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            g_fail++;                                                                       \
            fprintf(stderr, "rank %d: %s:%d: check failed: %s: ", g_rank, __FILE__, __LINE__, \
                    #cond);                                                                 \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fprintf(stderr, "\n");                                                          \
        }                                                                                   \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: comm_ranks EXPECTED_SIZE\n");
        return 2;
    }
    int want = atoi(argv[1]);
    clkfac_comm *c = NULL;
    clkfac_status st = clkfac_comm_create(&c);
    if (st) {
        fprintf(stderr, "clkfac_comm_create: %s: %s\n", clkfac_status_str(st), clkfac_last_error());
        return 1;
    }
    int rank = clkfac_comm_rank(c), size = clkfac_comm_size(c);
    g_rank = rank;
    CHECK(clkfac_comm_mpi_built(), "built without MPI");
    CHECK(!strcmp(clkfac_comm_backend(c), "mpi"), "backend %s", clkfac_comm_backend(c));
    CHECK(size == want, "size %d, expected %d", size, want);
    CHECK(clkfac_comm_local_size(c) == size, "local size %d (one machine)", clkfac_comm_local_size(c));
    CHECK(clkfac_comm_local_rank(c) >= 0 && clkfac_comm_local_rank(c) < size, "local rank %d",
          clkfac_comm_local_rank(c));

    /* host: float and double sums, int64 max and min */
    float f[5];
    double d[3];
    int64_t m[2], mn[2];
    for (int i = 0; i < 5; i++) f[i] = (float)(rank + 1) + 0.5f * (float)i;
    for (int i = 0; i < 3; i++) d[i] = 1e-3 * (rank + 1) * (i + 1);
    m[0] = mn[0] = 10 * rank;
    m[1] = mn[1] = -(int64_t)rank * 7;
    CHECK(!clkfac_comm_allreduce(c, f, 5, CLKFAC_COMM_FLOAT, CLKFAC_COMM_SUM), "%s", clkfac_last_error());
    CHECK(!clkfac_comm_allreduce(c, d, 3, CLKFAC_COMM_DOUBLE, CLKFAC_COMM_SUM), "%s", clkfac_last_error());
    CHECK(!clkfac_comm_allreduce(c, m, 2, CLKFAC_COMM_INT64, CLKFAC_COMM_MAX), "%s", clkfac_last_error());
    CHECK(!clkfac_comm_allreduce(c, mn, 2, CLKFAC_COMM_INT64, CLKFAC_COMM_MIN), "%s", clkfac_last_error());
    double tri = size * (size + 1) / 2.0;
    for (int i = 0; i < 5; i++)
        CHECK(f[i] == (float)(tri + 0.5 * i * size), "float sum [%d] = %g", i, f[i]);
    for (int i = 0; i < 3; i++)
        CHECK(fabs(d[i] - 1e-3 * tri * (i + 1)) < 1e-15, "double sum [%d] = %.17g", i, d[i]);
    CHECK(m[0] == 10 * (size - 1) && m[1] == 0, "max %lld %lld", (long long)m[0], (long long)m[1]);
    CHECK(mn[0] == 0 && mn[1] == -7 * (int64_t)(size - 1), "min %lld %lld", (long long)mn[0],
          (long long)mn[1]);
    char msg[32] = "";
    int root = size - 1;
    if (rank == root) snprintf(msg, sizeof msg, "from %d", root);
    CHECK(!clkfac_comm_bcast(c, msg, sizeof msg, root), "%s", clkfac_last_error());
    char expect[32];
    snprintf(expect, sizeof expect, "from %d", root);
    CHECK(!strcmp(msg, expect), "bcast got '%s'", msg);
    CHECK(!clkfac_comm_barrier(c), "%s", clkfac_last_error());

    /* bad arguments: refused on every rank, nothing started */
    CHECK(clkfac_comm_bcast(c, msg, sizeof msg, size) == CLKFAC_ERR_INVALID_ARG, "root = size accepted");
    CHECK(strstr(clkfac_last_error(), "root") != NULL, "message: %s", clkfac_last_error());
    CHECK(clkfac_comm_allreduce(c, NULL, 3, CLKFAC_COMM_FLOAT, CLKFAC_COMM_SUM) ==
              CLKFAC_ERR_INVALID_ARG, "NULL buffer accepted");

    /* device buffers */
    clkfac_context *ctx = NULL;
    clkfac_context_options co = CLKFAC_CONTEXT_OPTIONS_INIT;
    st = clkfac_context_create(&ctx, &co);
    if (st) {
        fprintf(stderr, "rank %d: no OpenCL device (%s); device checks not run\n", rank,
                clkfac_last_error());
        g_fail++;
    } else {
        enum { N = 1000, OFF = 100, CNT = 777 };
        cl_mem a = NULL, b = NULL;
        CHECK(!clkfac_buffer_create(&a, ctx, N) && !clkfac_buffer_create(&b, ctx, N), "%s",
              clkfac_last_error());
        float *h = malloc(N * sizeof *h), *g = malloc(N * sizeof *g);
        for (int i = 0; i < N; i++) h[i] = (float)((i % 13) * (rank + 1)) - 0.25f * (float)rank;
        for (int i = 0; i < N; i++) g[i] = (float)(rank == 1 % size ? i : -1);
        CHECK(!clkfac_buffer_write(ctx, a, 0, h, N) && !clkfac_buffer_write(ctx, b, 0, g, N), "%s",
              clkfac_last_error());
        clkfac_comm_stats_reset(c);
        clkfac_profile_begin(ctx);
        clkfac_profile_phase(ctx, "allreduce test");
        uint64_t blocking0 = clkfac_context_blocking_calls(ctx);
        clkfac_comm_request *ra = NULL, *rb = NULL;
        /* two in flight: a sum over a sub-range, a broadcast of all of b from rank 1 % size */
        CHECK(!clkfac_comm_allreduce_buffer_start(&ra, c, ctx, a, OFF, CNT, CLKFAC_COMM_SUM),
              "%s", clkfac_last_error());
        CHECK(!clkfac_comm_bcast_buffer_start(&rb, c, ctx, b, 0, N, 1 % size), "%s",
              clkfac_last_error());
        CHECK(ra && rb, "requests %p %p", (void *)ra, (void *)rb);
        CHECK(!clkfac_comm_wait(rb) && !clkfac_comm_wait(ra), "%s", clkfac_last_error());
        CHECK(clkfac_context_blocking_calls(ctx) - blocking0 == 2, "blocking calls %llu (one map "
              "each)", (unsigned long long)(clkfac_context_blocking_calls(ctx) - blocking0));
        clkfac_profile_entry pe[8];
        size_t np = 0;
        CHECK(!clkfac_profile_collect(ctx, pe, 8, &np), "%s", clkfac_last_error());
        int seen = 0;
        for (size_t i = 0; i < np; i++)
            if (!strcmp(pe[i].phase, "allreduce test")) {
                seen = 1;
                CHECK(pe[i].transfers == 2, "phase transfers %u", pe[i].transfers);
                CHECK(pe[i].bytes == (CNT + N) * sizeof(float), "phase bytes %llu",
                      (unsigned long long)pe[i].bytes);
                CHECK(pe[i].commands >= 2 && pe[i].seconds > 0, "phase commands %u, %g s",
                      pe[i].commands, pe[i].seconds);
            }
        CHECK(seen, "no 'allreduce test' phase among %zu", np);
        clkfac_comm_stats cs;
        clkfac_comm_stats_get(c, &cs);
        CHECK(cs.collectives == 2 && cs.bytes == (CNT + N) * sizeof(float) && cs.seconds > 0,
              "stats %llu collectives, %llu bytes, %g s", (unsigned long long)cs.collectives,
              (unsigned long long)cs.bytes, cs.seconds);
        float *ra_h = malloc(N * sizeof *ra_h), *rb_h = malloc(N * sizeof *rb_h);
        CHECK(!clkfac_buffer_read(ctx, a, 0, ra_h, N) && !clkfac_buffer_read(ctx, b, 0, rb_h, N),
              "%s", clkfac_last_error());
        int bad_a = 0, bad_b = 0;
        for (int i = 0; i < N; i++) {
            double sum = 0;
            for (int r = 0; r < size; r++) sum += (double)((i % 13) * (r + 1)) - 0.25 * r;
            float want_a = i >= OFF && i < OFF + CNT ? (float)sum : h[i];
            if (ra_h[i] != want_a && bad_a++ < 3)
                fprintf(stderr, "rank %d: a[%d] = %g, expected %g\n", rank, i, ra_h[i], want_a);
            if (rb_h[i] != (float)i && bad_b++ < 3)
                fprintf(stderr, "rank %d: b[%d] = %g, expected %d\n", rank, i, rb_h[i], i);
        }
        CHECK(!bad_a && !bad_b, "%d wrong in the sum, %d in the broadcast", bad_a, bad_b);
        /* a range past the buffer's end: refused before any collective */
        clkfac_comm_request *rx = NULL;
        CHECK(clkfac_comm_allreduce_buffer_start(&rx, c, ctx, a, N - 10, 11, CLKFAC_COMM_SUM) ==
                  CLKFAC_ERR_SHAPE && !rx, "a range past the end accepted");
        CHECK(strstr(clkfac_last_error(), "holds 1000") != NULL, "message: %s", clkfac_last_error());
        free(ra_h);
        free(rb_h);
        free(h);
        free(g);
        clkfac_buffer_free(a);
        clkfac_buffer_free(b);
        clkfac_context_free(ctx);
    }
    int64_t fails = g_fail;
    clkfac_comm_allreduce(c, &fails, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_SUM);
    if (rank == 0) printf("comm_ranks: %d ranks, %lld failed checks\n", size, (long long)fails);
    clkfac_comm_free(c);
    return fails ? 1 : 0;
}
