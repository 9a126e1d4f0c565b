/* Tuned parameters of a device (`clkfac tune`): the parameter spaces of the CLBlast kernels
 * clkfac tunes and their constraints, and the per-device database that holds the chosen values
 * (src/cl/tune_db.c). The device profile loads a database at context creation (profile.c); the
 * search itself is src/linalg/tune.c.
 *
 * Database: a text file, one "key value" line each, '#' comments:
 *     clkfac-tune 1
 *     device <name>   vendor <vendor>   driver <version>   platform <name>   type <CPU|GPU|...>
 *     clblast 1.5.3                     (the CLBlast the values were measured with)
 *     kernels <16 hex digits>           (hash of clkfac's embedded cl/ sources)
 *     Xgemm GEMMK=0 KREG=1 ...          (one line per CLBlast kernel: every parameter)
 *     clkfac gemm_min_indirect=128 gram_row_block=4096 chol_wg=64
 *     checksum <16 hex digits>          (FNV-1a of every byte before this line)
 * A database in the cache must match the context's device, vendor, driver, platform, type,
 * CLBlast version and kernel hash, and carry a valid checksum. The shipped defaults (data/tune/)
 * may write '*' for device, vendor, driver and kernels and omit the checksum. */
#ifndef CLKFAC_TUNE_INTERNAL_H
#define CLKFAC_TUNE_INTERNAL_H

#include "cl/ocl.h"

/* The tunable CLBlast kernels: 0..CLKFAC_CLBLAST_TUNED-1 as in the profile's clblast[], then
 * Xgemm (the profile's xgemm[]). */
#define TUNE_XGEMM CLKFAC_CLBLAST_TUNED
#define TUNE_KERNELS (CLKFAC_CLBLAST_TUNED + 1)
#define TUNE_MAX_VALUES 6

typedef struct tune_param {
    const char *name;
    int n;                          /* values in the search space */
    size_t values[TUNE_MAX_VALUES]; /* ascending */
} tune_param;

typedef struct tune_kernel {
    const char *name; /* as CLBlast names it */
    int n_params;
    tune_param params[CLKFAC_XGEMM_PARAMS];
} tune_kernel;

/* Kernel k < TUNE_KERNELS. */
const tune_kernel *tune_kernel_get(int k);
/* 1 when the values v (in tune_kernel_get(k)->params order) satisfy the kernel's constraints
 * (divisibility of tiles by threads and vector widths), with at most max_wg work-items per
 * group and local_mem bytes of local memory (0: no limit), else 0. */
int tune_valid(int k, const size_t *v, size_t max_wg, uint64_t local_mem);
/* The profile's values of kernel k (NULL: not set, CLBlast's own apply); Xgemm: xgemm[]. */
const size_t *tune_profile_values(const clkfac_device_profile *p, int k);
/* Sets (v != NULL) or clears (NULL) kernel k's values in the profile. */
void tune_profile_set(clkfac_device_profile *p, int k, const size_t *v);

/* Hash of every embedded kernel source (the "kernels" key). */
uint64_t tune_kernels_hash(void);
/* The database path of ctx's device: <cache>/tune/<device>-<key>.txt; "" without a cache. */
void tune_db_path(const clkfac_context *ctx, char *out, size_t cap);
/* Applies a database text to p after checking it against ctx (shipped: the embedded default,
 * which may use '*' and no checksum). On any problem p is left as it was and the status is
 * CLKFAC_ERR_FORMAT (malformed, bad checksum, impossible values) or
 * CLKFAC_ERR_UNSUPPORTED (recorded for another device, driver, CLBlast or kernel set), with a
 * message naming the line and what was expected. */
clkfac_status tune_db_apply(const clkfac_context *ctx, const char *text, int shipped,
                            clkfac_device_profile *p);
/* The database text of p's tuned values for ctx (malloc'd), with comment lines. */
clkfac_status tune_db_format(const clkfac_context *ctx, const clkfac_device_profile *p,
                             const char *comment, char **out);
/* Writes text to path atomically (temporary file in the same folder, fsync, rename), creating
 * the folders. */
clkfac_status tune_db_write(const char *path, const char *text);

/* -D options of the profile's tunables of clkfac's own kernels for program `program` ("" when
 * none; profile.c). Borrowed (buf). */
const char *ocl_profile_defines(const clkfac_context *ctx, const char *program, char *buf,
                                size_t cap);

/* The shipped default for PoCL CPUs (data/tune/pocl-cpu.txt, embedded). */
extern const unsigned char clkfac_tune_pocl_cpu_text[];
extern const size_t clkfac_tune_pocl_cpu_text_len;

#endif
