/* The files of one training run — episodes.csv, updates.csv and summary.json in one folder — and
 * the loop that trains an agent while keeping them current. `clkfac train` and `clkfac bench
 * sample` both use it, so a suite's run folders are exactly what `clkfac train --out` writes. */
#ifndef CLKFAC_CLI_RUNLOG_H
#define CLKFAC_CLI_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "clkfac/clkfac.h"

/* A growing string; start from {0}, free s. */
typedef struct runlog_text {
    char *s;
    size_t n, cap;
} runlog_text;

/* Appends formatted text; -1 when out of memory (the text keeps what it had). */
int runlog_printf(runlog_text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Appends the provenance of ctx (may be NULL) as a JSON object {"key": "value", ...}; -1 when
 * out of memory. */
int runlog_provenance_json(runlog_text *j, clkfac_context *ctx);

/* What one run is: the folder (must exist), the environment, how many copies and steps, the
 * agent options (seed included), and how to show progress. */
typedef struct runlog_spec {
    const char *dir;
    const char *env;
    long steps, n_envs;
    const clkfac_agent_options *ag;
    const char *label;        /* "algo" in summary.json; NULL: the algorithm's name */
    const char *extra_json;   /* NULL, or members ("\"key\": value") added to summary.json */
    double flush_seconds;     /* rewrite the files this often while training */
    int progress;             /* draw a progress line on stderr (callers check isatty) */
    const char *prefix;       /* printed before the progress bar; may be NULL */
} runlog_spec;

typedef struct runlog_result {
    uint64_t timesteps;
    size_t episodes;
    size_t recent_n;          /* episodes in recent_mean (at most 100) */
    double recent_mean;       /* mean return of the last 100 episodes; NaN when none */
    double wall_seconds;
} runlog_result;

/* Trains ag (acting in env) until spec->steps timesteps, writing the three files atomically as
 * it goes and once more at the end whatever happened; summary.json says "finished": true only
 * when the whole budget ran without error, and only then are the trained parameters written
 * (policy.npy, with policy.txt describing the networks; runlog_policy_load reads them back).
 * Returns a process exit code (message printed). */
int runlog_train(const runlog_spec *spec, clkfac_context *ctx, clkfac_vecenv *env,
                 clkfac_agent *ag, runlog_result *res);

#define RUNLOG_POLICY_FORMAT 1

/* A saved policy: policy.txt's fields and policy.npy's parameters (free params). */
typedef struct runlog_policy {
    char env[128], algo[32], net[256], activation[32];
    int shared, critic_euclidean;
    size_t n_params;
    float *params;
} runlog_policy;

/* Reads DIR/policy.txt and DIR/policy.npy; a process exit code (message printed: a missing
 * or corrupt file, a wrong count or a non-finite parameter is a usage error naming it). */
int runlog_policy_load(runlog_policy *p, const char *dir);


#endif
