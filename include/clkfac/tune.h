/* Per-device tuning (`clkfac tune`): measures CLBlast's kernels (Xgemm, XgemmDirect, Xgemv and
 * the Copy/Pad/Transpose/Padtranspose helpers of its indirect GEMM) and clkfac's own tunables
 * (the GEMM size where CLBlast switches from its direct to its indirect kernel, the Cholesky
 * block kernel's work-group size, the rows per GEMM of a tall Gram) on the shapes clkfac runs,
 * keeps what is fastest among candidates that give correct results, and writes a per-device
 * database that every later context on the device loads (clkfac_device_profile.tuning). */
#ifndef CLKFAC_TUNE_H
#define CLKFAC_TUNE_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A GEMM clkfac runs: C (m, n) = op(A) op(B), op(A) m x k, trans_a/trans_b 0 or 1. */
typedef struct clkfac_tune_gemm {
    size_t m, n, k;
    int trans_a, trans_b;
} clkfac_tune_gemm;

typedef struct clkfac_tune_options {
    unsigned version;               /* CLKFAC_TUNE_OPTIONS_VERSION */
    int quick;                      /* 1: a few candidates per kernel (minutes on PoCL) */
    const clkfac_tune_gemm *gemm;   /* the GEMM shapes to tune for (most important first) */
    size_t n_gemm;
    const clkfac_tune_gemm *gemv;   /* GEMV shapes: m x n matrix, trans_a (n, k unused) */
    size_t n_gemv;
    const size_t *factors;          /* K-FAC factor sizes (the damped SPD inverse) */
    size_t n_factors;
    size_t gram_rows, gram_cols;    /* the tallest Gram X^T X (rows x cols); 0: not tuned */
    int reps;                       /* timed runs per measurement; 0: 5 quick, 7 full */
    void (*progress)(void *user, const char *line); /* one line per step; may be NULL */
    void *user;
} clkfac_tune_options;

#define CLKFAC_TUNE_OPTIONS_VERSION 1
#define CLKFAC_TUNE_OPTIONS_INIT                                                               \
    { CLKFAC_TUNE_OPTIONS_VERSION, 0, NULL, 0, NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL }

/* One tuned item: its time over its shapes with the profile's values before tuning and with the
 * chosen ones, measured in the same run: sums over the shapes of the fastest of `reps` runs
 * (what the choice is made on; a loaded machine only adds time) and of the medians. */
typedef struct clkfac_tune_entry {
    char what[32];     /* "gemm (as routed)", "Xgemm", ..., "gemm_min_indirect", "chol_wg" */
    char shapes[96];   /* what was timed */
    double before_s, after_s;         /* fastest runs */
    double before_med_s, after_med_s; /* medians (0: not measured) */
    double gflop;      /* floating-point work of one pass over the shapes (0: not counted) */
    int tried;         /* candidates measured (the starting values included) */
    int rejected;      /* candidates that failed to build/run or gave wrong results */
    int changed;       /* 1: the chosen values differ from the starting ones */
    char value[200];   /* the chosen values */
} clkfac_tune_entry;

/* Tunes ctx's device and stores the chosen values in ctx's profile (nothing is written; see
 * clkfac_tune_save). Writes up to cap entries to out (*n_out set). Candidates are checked
 * against a double-precision reference before they are timed. CLBlast's parameters are
 * process-wide per device: after the call the device runs the chosen values in this process.
 * Takes minutes (quick) to an hour (full) on a CPU under PoCL. */
clkfac_status clkfac_tune_run(clkfac_context *ctx, const clkfac_tune_options *opts,
                              clkfac_tune_entry *out, size_t cap, size_t *n_out);

/* Writes ctx's profile's tuned values as the device's database: path NULL = the default in
 * the cache folder (clkfac_tune_db_path). Atomic (temporary file + rename). comment goes into
 * '#' lines. */
clkfac_status clkfac_tune_save(clkfac_context *ctx, const char *path, const char *comment);

/* The default database path of ctx's device ($XDG_CACHE_HOME/clkfac/tune/<device>-<key>.txt,
 * keyed by device name, vendor, driver version, platform and type); "" when the context has no
 * cache folder. */
void clkfac_tune_db_path(const clkfac_context *ctx, char *out, size_t cap);

/* Checks the database at path against ctx (format, checksum, device, driver, CLBlast version,
 * kernel hash, parameter constraints) without applying it: CLKFAC_OK, CLKFAC_ERR_IO (cannot be
 * read), CLKFAC_ERR_FORMAT (malformed or changed) or CLKFAC_ERR_UNSUPPORTED (recorded for another
 * device/driver/CLBlast/kernel set); the last error says what and where. */
clkfac_status clkfac_tune_db_check(const clkfac_context *ctx, const char *path);

#ifdef __cplusplus
}
#endif

#endif
