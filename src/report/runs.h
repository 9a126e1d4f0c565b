/* The run folder: the one place that knows the files of a training run and their format.
 * A run folder holds episodes.csv (one row per finished episode), updates.csv (one row per
 * update, columns per algorithm), summary.json (what ran, how far, with which options, on which
 * device) and, once the run finished, policy.npy + policy.txt (the trained parameters and what
 * rebuilds the networks). `clkfac train`, `clkfac bench sample`, `clkfac report` and
 * `clkfac env --policy` all go through this module (internal: "report/runs.h"). */
#ifndef CLKFAC_REPORT_RUNS_H
#define CLKFAC_REPORT_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "clkfac/clkfac.h"

/* ---- writing: training a run ----------------------------------------------------------------- */

/* What one run is: the folder (must exist), the environment, how many copies and steps, the
 * agent options (seed included), and how to show progress. */
typedef struct runs_spec {
    const char *dir;
    const char *env;
    long steps, n_envs;
    const clkfac_agent_options *ag;
    const char *label;          /* "algo" in summary.json; NULL: the algorithm's name */
    const char *suite_settings; /* NULL, or "suite_settings" in summary.json (bench sample) */
    double flush_seconds;       /* rewrite the files this often while training */
    int progress;               /* draw a progress line on stderr (callers check isatty) */
    const char *prefix;         /* printed before the progress bar; may be NULL */
    /* checkpoint.bin (what a resume continues from) every checkpoint_every updates (0: not by
     * count) and every checkpoint_seconds of training (0: 60 s; < 0: not by time) */
    unsigned checkpoint_every;
    double checkpoint_seconds;
    int resume;                 /* continue from DIR's checkpoint (see runs_train) */
    const char *preset;         /* NULL, or "preset" in summary.json: what data/presets.txt set
                                   (clkfac_agent_options_preset; "" when it set nothing) */
} runs_spec;

typedef struct runs_result {
    uint64_t timesteps;
    size_t episodes;
    size_t recent_n;            /* episodes in recent_mean (at most 100) */
    double recent_mean;         /* mean return of the last 100 episodes; NaN when none */
    double wall_seconds;
    const char *failed;         /* on failure: what failed ("training", "writing results", ...) */
    int resumed;                /* 0 a fresh start, 1 continued from the checkpoint, 2 had
                                   finished (verified; nothing trained) */
} runs_result;

/* Trains ag (acting in env) until spec->steps timesteps, writing episodes.csv, updates.csv and
 * summary.json atomically as it goes and once more at the end whatever happened. Only a run
 * that used its whole budget without error writes its policy (policy.npy, then policy.txt), and
 * only after both are on disk does summary.json say "finished": true, recording the size and
 * FNV-1a 64 of those four files ("files"). Checkpoints (checkpoint.bin, atomic) as runs_spec
 * says; a finished run removes it. With spec->resume: a finished run is verified (runs_verify)
 * and nothing is trained; otherwise ag and env (created as for the original run) are restored
 * from the checkpoint, the CSVs cut back to its byte counts, and the run continues, giving the
 * same files as a run never interrupted; no checkpoint is a fresh start. Without resume an old
 * checkpoint is removed. Returns the first failure (res->failed names the step; res is always
 * filled). */
clkfac_status runs_train(const runs_spec *spec, clkfac_context *ctx, clkfac_vecenv *env,
                         clkfac_agent *ag, runs_result *res);

/* The provenance of ctx (may be NULL) as a JSON object {"key": "value", ...} (a new reference;
 * NULL when out of memory), as summary.json holds it, for other result files (a suite's
 * manifest). */
json_t *runs_provenance_object(clkfac_context *ctx);

/* ---- reading ----------------------------------------------------------------------------------- */

enum { RUNS_MISSING = 1 }; /* a reader's return when the file does not exist */

/* The members of summary.json that readers use. */
typedef struct runs_summary {
    char algo[128], env[128], device[256], suite_settings[1024];
    int have_algo, have_env, have_seed;
    long seed;
    int finished;               /* 1, 0, or -1 when not recorded */
    double wall_seconds;        /* NaN when not recorded */
    double final_mean_return_100; /* NaN when not recorded or null */
    long long episodes;         /* -1 when not recorded */
    /* "files" of a finished run: name, size and FNV-1a 64 of each (n_files 0 when absent) */
    size_t n_files;
    struct {
        char name[32];
        long long bytes;
        uint64_t fnv1a64;
    } files[8];
} runs_summary;

/* Reads DIR/summary.json (path is the file): CLKFAC_OK, RUNS_MISSING, CLKFAC_ERR_IO (unreadable)
 * or CLKFAC_ERR_FORMAT for a file that is not one JSON object or has a member of the wrong type
 * (a file cut short mid-write is that: "corrupt", naming line and column). The message is the
 * last error. Extra members are ignored; nesting deeper than the JSON library's limit (2048) is
 * a format error, not a crash. */
int runs_summary_read(runs_summary *out, const char *path);

/* episodes.csv: timesteps and returns in episode order (free t and r). */
typedef struct runs_episodes {
    double *t, *r;
    size_t n;
    size_t partial_line;        /* line number of an unfinished last line (ignored), 0 if none */
} runs_episodes;

/* Reads an episodes.csv: header timestep,episode,return[,length] (extra columns ignored, as are
 * '#' lines and a repeated header from a resumed run); a row repeating an episode index replaces
 * the earlier one; a last line without its newline is left out (partial_line says where).
 * CLKFAC_OK, RUNS_MISSING, CLKFAC_ERR_FORMAT (file:line and the value named in the last error),
 * CLKFAC_ERR_IO or CLKFAC_ERR_NO_MEMORY. */
int runs_episodes_read(runs_episodes *out, const char *path);
void runs_episodes_free(runs_episodes *e);

/* A finished run's files against its summary: the policy files exist, episodes.csv holds the
 * episodes summary.json counts, and every file it lists under "files" has the size and
 * checksum recorded. 0 when they agree; -1 with why (cap bytes) when not. */
int runs_verify(const char *dir, const runs_summary *sm, char *why, size_t cap);

#define RUNS_POLICY_FORMAT 1

/* A saved policy: policy.txt's fields and policy.npy's parameters (free params). */
typedef struct runs_policy {
    char env[128], algo[32], net[256], activation[32];
    int shared, critic_euclidean;
    size_t n_params;
    float *params;
} runs_policy;

/* Reads DIR/policy.txt and DIR/policy.npy. A missing or corrupt file, a wrong count or a
 * non-finite parameter is CLKFAC_ERR_FORMAT (CLKFAC_ERR_IO when a file cannot be opened) with a
 * message naming it; CLKFAC_ERR_NO_MEMORY. */
clkfac_status runs_policy_load(runs_policy *p, const char *dir);

#endif
