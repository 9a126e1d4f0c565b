/* The communicator (clkfac/comm.h): MPI when the build has it (CLKFAC_HAVE_MPI) and the process
 * was started by an MPI launcher, else one process. Device-buffer collectives stage through a
 * mapped view of the buffer: map (waiting for the queue's earlier work), MPI's nonblocking
 * collective on the mapped pointer, and at the wait MPI_Wait then an asynchronous unmap. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl/ocl.h"
#include "clkfac/comm.h"
#include "core/core.h"

#ifdef CLKFAC_HAVE_MPI
#include <mpi.h>
/* MPI is process state: how many communicators use it, and whether clkfac started it (then the
 * last free finalises it; an MPI the application started is left to the application). */
static int g_mpi_users;
static int g_mpi_ours;
#endif

struct clkfac_comm {
    int rank, size, local_rank, local_size;
    int mpi; /* 1: the MPI transport */
#ifdef CLKFAC_HAVE_MPI
    MPI_Comm world, node;
#endif
    clkfac_comm_stats stats;
};

struct clkfac_comm_request {
    clkfac_comm *comm;
    clkfac_context *ctx;
    cl_mem buf;
    void *host;       /* the mapped range */
    cl_event marker;  /* queue position before the map (profiler span start) */
    size_t bytes;
    double t0;
#ifdef CLKFAC_HAVE_MPI
    MPI_Request req;
#endif
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int clkfac_comm_mpi_built(void)
{
#ifdef CLKFAC_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

#ifdef CLKFAC_HAVE_MPI
/* The variables Open MPI's, MPICH's and PMIx launchers set in the processes they start. */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

static clkfac_status mpi_fail(int err, const char *file, int line, const char *call)
{
    char msg[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(err, msg, &len);
    return core_fail(CLKFAC_ERR_INTERNAL, file, line, "%s failed: %s (%d)", call, msg, err);
}
#define MPI_FAIL(err, call) mpi_fail((err), __FILE__, __LINE__, (call))

static clkfac_status mpi_open(clkfac_comm *c)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (finalized)
        return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "MPI was finalised in this process (a "
                                                 "communicator was freed); it cannot be restarted");
    if (!inited) {
        int e = MPI_Init(NULL, NULL);
        if (e != MPI_SUCCESS) return MPI_FAIL(e, "MPI_Init");
        g_mpi_ours = 1;
    }
    g_mpi_users++;
    c->mpi = 1;
    /* errors come back as codes (reported through clkfac_status), not an abort */
    MPI_Comm_dup(MPI_COMM_WORLD, &c->world);
    MPI_Comm_set_errhandler(c->world, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->world, &c->rank);
    MPI_Comm_size(c->world, &c->size);
    MPI_Comm_split_type(c->world, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &c->node);
    MPI_Comm_rank(c->node, &c->local_rank);
    MPI_Comm_size(c->node, &c->local_size);
    return CLKFAC_OK;
}

static MPI_Datatype mpi_type(clkfac_comm_type t)
{
    return t == CLKFAC_COMM_DOUBLE ? MPI_DOUBLE : t == CLKFAC_COMM_INT64 ? MPI_INT64_T : MPI_FLOAT;
}

static MPI_Op mpi_op(clkfac_comm_op op)
{
    return op == CLKFAC_COMM_MAX ? MPI_MAX : op == CLKFAC_COMM_MIN ? MPI_MIN : MPI_SUM;
}
#endif

clkfac_status clkfac_comm_create(clkfac_comm **out)
{
    if (!out) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_comm_create: out is NULL");
    clkfac_comm *c = core_calloc(1, sizeof *c);
    if (!c) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    c->size = c->local_size = 1;
#ifdef CLKFAC_HAVE_MPI
    const char *force = getenv("CLKFAC_COMM");
    if (force && *force && strcmp(force, "single") && strcmp(force, "mpi")) {
        free(c);
        return CORE_FAIL_INPUT(CLKFAC_ERR_INVALID_ARG,
                               "CLKFAC_COMM='%s': expected 'single' or 'mpi' (or unset)", force);
    }
    int want = force && !strcmp(force, "mpi") ? 1 : (!force || strcmp(force, "single")) &&
                                                          launched_by_mpi();
    if (want) {
        clkfac_status st = mpi_open(c);
        if (st) {
            free(c);
            return st;
        }
    }
#else
    const char *force = getenv("CLKFAC_COMM");
    if (force && !strcmp(force, "mpi")) {
        free(c);
        return CORE_FAIL_INPUT(CLKFAC_ERR_UNSUPPORTED, "CLKFAC_COMM=mpi: this build has no MPI "
                                                       "(configure with -DCLKFAC_MPI=ON and "
                                                       "libopenmpi-dev installed)");
    }
#endif
    *out = c;
    return CLKFAC_OK;
}

void clkfac_comm_free(clkfac_comm *c)
{
    if (!c) return;
#ifdef CLKFAC_HAVE_MPI
    if (c->mpi) {
        MPI_Comm_free(&c->node);
        MPI_Comm_free(&c->world);
        if (--g_mpi_users == 0 && g_mpi_ours) {
            MPI_Finalize();
            g_mpi_ours = 0;
        }
    }
#endif
    free(c);
}

int clkfac_comm_rank(const clkfac_comm *c) { return c ? c->rank : 0; }
int clkfac_comm_size(const clkfac_comm *c) { return c ? c->size : 1; }
int clkfac_comm_local_rank(const clkfac_comm *c) { return c ? c->local_rank : 0; }
int clkfac_comm_local_size(const clkfac_comm *c) { return c ? c->local_size : 1; }
const char *clkfac_comm_backend(const clkfac_comm *c) { return c && c->mpi ? "mpi" : "single"; }

void clkfac_comm_stats_get(const clkfac_comm *c, clkfac_comm_stats *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (c) *out = c->stats;
}

void clkfac_comm_stats_reset(clkfac_comm *c)
{
    if (c) memset(&c->stats, 0, sizeof c->stats);
}

static clkfac_status check_root(const clkfac_comm *c, int root, const char *fn)
{
    if (root < 0 || root >= c->size)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: root %d out of range; expected 0..%d", fn,
                         root, c->size - 1);
    return CLKFAC_OK;
}

static size_t type_size(clkfac_comm_type t)
{
    return t == CLKFAC_COMM_FLOAT ? 4 : 8;
}

/* ---- host memory -------------------------------------------------------------------------- */

clkfac_status clkfac_comm_barrier(clkfac_comm *c)
{
    if (!c) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_comm_barrier: comm is NULL");
#ifdef CLKFAC_HAVE_MPI
    if (c->mpi && c->size > 1) {
        double t0 = now_s();
        int e = MPI_Barrier(c->world);
        c->stats.seconds += now_s() - t0;
        c->stats.collectives++;
        if (e != MPI_SUCCESS) return MPI_FAIL(e, "MPI_Barrier");
    }
#endif
    return CLKFAC_OK;
}

clkfac_status clkfac_comm_bcast(clkfac_comm *c, void *buf, size_t bytes, int root)
{
    if (!c || (!buf && bytes))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_comm_bcast: comm or buf is NULL");
    clkfac_status st = check_root(c, root, "clkfac_comm_bcast");
    if (st) return st;
#ifdef CLKFAC_HAVE_MPI
    if (c->mpi && c->size > 1 && bytes) {
        if (bytes > (size_t)0x7fffffff)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_comm_bcast: %zu bytes; at most 2^31-1",
                             bytes);
        double t0 = now_s();
        int e = MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, c->world);
        c->stats.seconds += now_s() - t0;
        c->stats.collectives++;
        c->stats.bytes += bytes;
        if (e != MPI_SUCCESS) return MPI_FAIL(e, "MPI_Bcast");
    }
#endif
    return CLKFAC_OK;
}

clkfac_status clkfac_comm_allreduce(clkfac_comm *c, void *buf, size_t count, clkfac_comm_type type,
                                    clkfac_comm_op op)
{
    if (!c || (!buf && count))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_comm_allreduce: comm or buf is NULL");
    if ((unsigned)type > CLKFAC_COMM_INT64 || (unsigned)op > CLKFAC_COMM_MIN)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_comm_allreduce: type %d or op %d unknown",
                         (int)type, (int)op);
#ifdef CLKFAC_HAVE_MPI
    if (c->mpi && c->size > 1 && count) {
        if (count > (size_t)0x7fffffff)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "clkfac_comm_allreduce: %zu elements; at most 2^31-1", count);
        double t0 = now_s();
        int e = MPI_Allreduce(MPI_IN_PLACE, buf, (int)count, mpi_type(type), mpi_op(op), c->world);
        c->stats.seconds += now_s() - t0;
        c->stats.collectives++;
        c->stats.bytes += count * type_size(type);
        if (e != MPI_SUCCESS) return MPI_FAIL(e, "MPI_Allreduce");
    }
#else
    (void)type_size;
#endif
    return CLKFAC_OK;
}

/* ---- device buffers ----------------------------------------------------------------------- */

#ifdef CLKFAC_HAVE_MPI
static void request_release(clkfac_comm_request *r)
{
    if (r->marker) clReleaseEvent(r->marker);
    free(r);
}

/* Maps the range for reading and writing, waiting for the map (a counted blocking call). */
static clkfac_status buffer_map(clkfac_comm_request **out, clkfac_comm *c, clkfac_context *ctx,
                                cl_mem buf, size_t off, size_t n)
{
    clkfac_comm_request *r = core_calloc(1, sizeof *r);
    if (!r) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    r->comm = c;
    r->ctx = ctx;
    r->buf = buf;
    r->bytes = n * sizeof(float);
    r->t0 = now_s();
    cl_command_queue q = clkfac_context_queue(ctx);
    if (ctx->recording) clEnqueueMarkerWithWaitList(q, 0, NULL, &r->marker);
    ocl_count(ctx, OCL_COUNT_TRANSFER, r->bytes);
    ctx->blocking_calls++;
    cl_int e = CL_SUCCESS;
    r->host = clEnqueueMapBuffer(q, buf, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, off * sizeof(float),
                                 r->bytes, 0, NULL, NULL, &e);
    if (e != CL_SUCCESS || !r->host) {
        request_release(r);
        return OCL_FAIL(e != CL_SUCCESS ? e : CL_MAP_FAILURE, "clEnqueueMapBuffer");
    }
    *out = r;
    return CLKFAC_OK;
}

/* After a failed start: the mapped range goes back to the device unchanged. */
static void buffer_unmap_drop(clkfac_comm_request *r)
{
    clEnqueueUnmapMemObject(clkfac_context_queue(r->ctx), r->buf, r->host, 0, NULL, NULL);
    request_release(r);
}

#ifdef CLKFAC_HAVE_MPI
/* After a nonblocking MPI call on a mapped request: counted and handed out, or unmapped and
 * failed (e: the call's return code). */
static clkfac_status request_started(clkfac_comm_request **out, clkfac_comm *c,
                                     clkfac_comm_request *r, int e, const char *call)
{
    if (e != MPI_SUCCESS) {
        buffer_unmap_drop(r);
        return MPI_FAIL(e, call);
    }
    c->stats.collectives++;
    c->stats.bytes += r->bytes;
    *out = r;
    return CLKFAC_OK;
}
#endif
#endif

/* The same checks with one process as with many: a call that is wrong fails on one rank too. */
static clkfac_status buffer_args(const clkfac_comm *c, const clkfac_context *ctx, cl_mem buf,
                                 size_t off, size_t n, const char *fn)
{
    if (!c || !ctx || !buf)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: comm, ctx or buf is NULL", fn);
    if (n > (size_t)0x7fffffff)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %zu floats; at most 2^31-1", fn, n);
    return n ? ocl_check_buffer(fn, "buf", buf, off, n) : CLKFAC_OK;
}

clkfac_status clkfac_comm_allreduce_buffer_start(clkfac_comm_request **out, clkfac_comm *c,
                                                 clkfac_context *ctx, cl_mem buf, size_t off,
                                                 size_t n, clkfac_comm_op op)
{
    static const char fn[] = "clkfac_comm_allreduce_buffer_start";
    if (!out) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: out is NULL", fn);
    clkfac_status st = buffer_args(c, ctx, buf, off, n, fn);
    if (st) return st;
    if ((unsigned)op > CLKFAC_COMM_MIN)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: op %d unknown", fn, (int)op);
    *out = NULL;
#ifdef CLKFAC_HAVE_MPI
    if (c->mpi && c->size > 1 && n) {
        clkfac_comm_request *r = NULL;
        if ((st = buffer_map(&r, c, ctx, buf, off, n))) return st;
        int e = MPI_Iallreduce(MPI_IN_PLACE, r->host, (int)n, MPI_FLOAT, mpi_op(op), c->world,
                               &r->req);
        return request_started(out, c, r, e, "MPI_Iallreduce");
    }
#else
    (void)off;
    (void)n;
#endif
    return CLKFAC_OK;
}

clkfac_status clkfac_comm_bcast_buffer_start(clkfac_comm_request **out, clkfac_comm *c,
                                             clkfac_context *ctx, cl_mem buf, size_t off,
                                             size_t n, int root)
{
    static const char fn[] = "clkfac_comm_bcast_buffer_start";
    if (!out) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: out is NULL", fn);
    clkfac_status st = buffer_args(c, ctx, buf, off, n, fn);
    if (st || (st = check_root(c, root, fn))) return st;
    *out = NULL;
#ifdef CLKFAC_HAVE_MPI
    if (c->mpi && c->size > 1 && n) {
        clkfac_comm_request *r = NULL;
        if ((st = buffer_map(&r, c, ctx, buf, off, n))) return st;
        int e = MPI_Ibcast(r->host, (int)n, MPI_FLOAT, root, c->world, &r->req);
        return request_started(out, c, r, e, "MPI_Ibcast");
    }
#else
    (void)off;
    (void)n;
#endif
    return CLKFAC_OK;
}

clkfac_status clkfac_comm_wait(clkfac_comm_request *r)
{
    if (!r) return CLKFAC_OK;
#ifdef CLKFAC_HAVE_MPI
    clkfac_status st = CLKFAC_OK;
    int e = MPI_Wait(&r->req, MPI_STATUS_IGNORE);
    if (e != MPI_SUCCESS) st = MPI_FAIL(e, "MPI_Wait");
    cl_event done = NULL;
    cl_int ce = clEnqueueUnmapMemObject(clkfac_context_queue(r->ctx), r->buf, r->host, 0, NULL,
                                        r->marker ? &done : NULL);
    if (ce != CL_SUCCESS && !st) st = OCL_FAIL(ce, "clEnqueueUnmapMemObject");
    if (done) {
        ocl_track_span(r->ctx, r->marker, done); /* map + collective + unmap, in the phase */
        clReleaseEvent(done);
    }
    r->comm->stats.seconds += now_s() - r->t0;
    request_release(r);
    return st;
#else
    free(r);
    return CLKFAC_OK;
#endif
}

clkfac_status clkfac_comm_allreduce_buffer(clkfac_comm *c, clkfac_context *ctx, cl_mem buf,
                                           size_t off, size_t n, clkfac_comm_op op)
{
    clkfac_comm_request *r = NULL;
    clkfac_status st = clkfac_comm_allreduce_buffer_start(&r, c, ctx, buf, off, n, op);
    return st ? st : clkfac_comm_wait(r);
}

clkfac_status clkfac_comm_bcast_buffer(clkfac_comm *c, clkfac_context *ctx, cl_mem buf,
                                       size_t off, size_t n, int root)
{
    clkfac_comm_request *r = NULL;
    clkfac_status st = clkfac_comm_bcast_buffer_start(&r, c, ctx, buf, off, n, root);
    return st ? st : clkfac_comm_wait(r);
}
