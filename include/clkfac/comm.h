/* clkfac/comm.h — communication between the processes of one job (data-parallel training,
 * suites split across processes). One small interface with two transports: MPI, when the build
 * has it (CMake -DCLKFAC_MPI=ON|OFF|AUTO) and the process was started by an MPI launcher
 * (mpirun sets OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK), and otherwise a single-process
 * communicator (rank 0 of 1) whose collectives leave the data as it is and return at once.
 *
 * Collectives on device buffers map the buffer into host memory (the only host staging; no
 * copy besides what the driver's map makes), run the MPI collective on the mapped pointer
 * nonblocking (MPI_Iallreduce / MPI_Ibcast) and unmap when waited for, so other host work can
 * overlap; while the context is profiling, each appears in the current phase (transfer count and
 * bytes, and the time from the map to the unmap). With one process nothing is mapped.
 *
 * MPI is process-wide state: MPI is initialised by the first clkfac_comm_create and finalised
 * by the clkfac_comm_free of the last communicator; it cannot be started again after that (a
 * later create fails with CLKFAC_ERR_UNSUPPORTED). Collectives must be called by every rank in
 * the same order, from the thread that created the communicator. */
#ifndef CLKFAC_COMM_H
#define CLKFAC_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "clkfac/common.h"
#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_comm clkfac_comm;
typedef struct clkfac_comm_request clkfac_comm_request;

typedef enum clkfac_comm_op { CLKFAC_COMM_SUM = 0, CLKFAC_COMM_MAX = 1, CLKFAC_COMM_MIN = 2 }
    clkfac_comm_op;
typedef enum clkfac_comm_type {
    CLKFAC_COMM_FLOAT = 0,  /* float32 */
    CLKFAC_COMM_DOUBLE = 1,
    CLKFAC_COMM_INT64 = 2   /* int64_t */
} clkfac_comm_type;

/* 1 when this build can use MPI (-DCLKFAC_MPI found it), else 0. */
int clkfac_comm_mpi_built(void);

/* The communicator of all processes started together: MPI when built in and launched by an
 * MPI launcher, else one process. CLKFAC_COMM=single forces the single-process communicator
 * (each process alone) even under mpirun. */
clkfac_status clkfac_comm_create(clkfac_comm **out);
void clkfac_comm_free(clkfac_comm *c);

int clkfac_comm_rank(const clkfac_comm *c);       /* 0 .. size-1 */
int clkfac_comm_size(const clkfac_comm *c);
int clkfac_comm_local_rank(const clkfac_comm *c); /* among the ranks on this machine */
int clkfac_comm_local_size(const clkfac_comm *c);
const char *clkfac_comm_backend(const clkfac_comm *c); /* "mpi" or "single" */

/* ---- host memory (blocking) ------------------------------------------------------------- */
clkfac_status clkfac_comm_barrier(clkfac_comm *c);
/* bytes from root's buf to every rank's buf. */
clkfac_status clkfac_comm_bcast(clkfac_comm *c, void *buf, size_t bytes, int root);
/* count elements of buf combined over the ranks with op, in place, on every rank. */
clkfac_status clkfac_comm_allreduce(clkfac_comm *c, void *buf, size_t count, clkfac_comm_type type,
                                    clkfac_comm_op op);

/* ---- device buffers (float32; nonblocking start, then wait) ------------------------------
 * The start calls map n floats of buf at element offset off (waiting for the queue's earlier
 * work on them) and start the collective; *out is the request (NULL with one process: nothing
 * to wait for). Until clkfac_comm_wait returns, the range must not be used by the device.
 * clkfac_comm_wait completes the collective and enqueues the unmap (asynchronous: later work on
 * the queue sees the result) and frees the request; NULL is a no-op. */
clkfac_status clkfac_comm_allreduce_buffer_start(clkfac_comm_request **out, clkfac_comm *c,
                                                 clkfac_context *ctx, cl_mem buf, size_t off,
                                                 size_t n, clkfac_comm_op op);
clkfac_status clkfac_comm_bcast_buffer_start(clkfac_comm_request **out, clkfac_comm *c,
                                             clkfac_context *ctx, cl_mem buf, size_t off,
                                             size_t n, int root);
clkfac_status clkfac_comm_wait(clkfac_comm_request *req);
/* start + wait */
clkfac_status clkfac_comm_allreduce_buffer(clkfac_comm *c, clkfac_context *ctx, cl_mem buf,
                                           size_t off, size_t n, clkfac_comm_op op);
clkfac_status clkfac_comm_bcast_buffer(clkfac_comm *c, clkfac_context *ctx, cl_mem buf,
                                       size_t off, size_t n, int root);

/* ---- volume and time -------------------------------------------------------------------- */
typedef struct clkfac_comm_stats {
    uint64_t collectives; /* collectives run with more than one rank */
    uint64_t bytes;       /* their payload, bytes per rank (an allreduce of n floats: 4n) */
    double seconds;       /* host wall time inside the collectives (start to wait) */
} clkfac_comm_stats;
void clkfac_comm_stats_get(const clkfac_comm *c, clkfac_comm_stats *out);
void clkfac_comm_stats_reset(clkfac_comm *c);

#ifdef __cplusplus
}
#endif
#endif
