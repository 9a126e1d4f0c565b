/* Benchmark programs run by `clkfac bench ...`: each measures with warm-up, repetitions and
 * medians, times device work from OpenCL profiling events, and writes CSV, Markdown and JSON
 * with provenance. They use only the public API. */
#ifndef CLKFAC_BENCH_H
#define CLKFAC_BENCH_H

#include "app/app.h" /* messages and exit codes as the command line has them */
#include "clkfac/clkfac.h"

typedef struct bench_kfac_options {
    const char *device;
    const char *out_dir;     /* results folder */
    const char *nets;        /* comma list: atari,atari32,minatar */
    int batches[8];
    int n_batches;
    int reps;                /* measured repetitions (median reported) */
    int warmup;
    float damping;
} bench_kfac_options;

/* Returns a process exit code (0, 1 runtime failure, 2 usage). */
int bench_kfac_run(const bench_kfac_options *o);

typedef struct bench_step_options {
    const char *device;
    const char *out_dir;
    const char *nets;        /* comma list: atari,atari32,minatar,mlp */
    const char *algos;       /* comma list: a2c,acktr,trpo */
    int max_batch;           /* skip batches above this (0: all) */
    const char *batches;     /* comma list of the batches to run (NULL: all) */
    int reps;
    int warmup;
    int window;              /* updates per measured repetition, reported as their mean (1) */
    const char *variants;    /* --acktr-variants as given; parsed into the arrays below */
    /* extra ACKTR rows, each (stats_every, stats_fraction): the cheap settings beside plain
     * ACKTR in the same run; n_variants of them */
    int n_variants;
    unsigned variant_stats_every[8];
    float variant_stats_fraction[8];
} bench_step_options;

/* `clkfac bench step`; returns a process exit code. */
int bench_step_run(const bench_step_options *o);

/* Writes DIR/STEM.csv, DIR/STEM.md (title, table, notes, provenance) and DIR/STEM.json
 * (provenance and rows), each atomically. Returns 0, or 1 with a message on stderr. */
int bench_write_table(const char *dir, const char *stem, clkfac_table *t, const char *title,
                      const char *notes, const char *prov);

/* 1 when the comma-separated list names `name`. */
int bench_list_has(const char *list, const char *name);
/* Creates the results folder and opens the device: 0, or the exit code (2 for an unusable
 * folder or a device spec that matches nothing, 1 for other failures) with a message printed. */
int bench_open(clkfac_context **ctx, const char *suite, const char *out_dir, const char *device);

/* Median of n values (sorts a copy). */
double bench_median(const double *v, int n);

/* `clkfac bench sample` (bench_sample.c): the sample-efficiency suite. A preset names the
 * algorithms, environments, seeds and budget of a suite. */
typedef struct bench_sample_preset {
    const char *name;
    const char *algos, *envs, *seeds; /* as bench_sample_options takes them */
    long steps;                       /* 0: each environment's reference budget */
    const char *about;
    const char *budgets;              /* "ENV=STEPS,..." overriding steps for those
                                         environments (NULL: none); --steps overrides all */
} bench_sample_preset;

/* The presets, the default (quick) first; *count gets their number. */
const bench_sample_preset *bench_sample_presets(size_t *count);

typedef struct bench_sample_options {
    const char *preset;               /* a preset's name; NULL: quick when none of algos, envs,
                                         seeds, steps is given, else those complete
                                         a2c,acktr / CartPole-v1 / 3 */
    const char *algos, *envs, *seeds; /* comma lists overriding the preset's (NULL: keep);
                                         seeds: a count N for 1..N, or a list with a comma */
    uint64_t steps;                   /* > 0: every run's budget */
    const char *out, *device;
    int quiet;
    int report;                       /* the caller reports OUT afterwards: no hint printed */
    unsigned checkpoint_every;        /* a run's checkpoint every N updates (0: every 60 s) */
    clkfac_comm *comm;                /* the processes sharing the suite (mpirun); NULL: one.
                                         Rank 0 checks the folder, writes suite.json and the
                                         table; the runs to do are dealt out across ranks */
} bench_sample_options;

/* Checks the suite (exit 2 naming a bad value before anything is created), then trains every
 * run not finished yet. Returns a process exit code (0, 1 runtime failure, 2 usage), the same on
 * every rank (the largest any rank had). */
int bench_sample_run(const bench_sample_options *o);

/* `clkfac bench scale` (bench_scale.c): data-parallel A2C measured on each rank count (the
 * driver runs itself under mpirun as a worker) and a latency-bandwidth model of A2C and ACKTR's
 * two inverse placements for 8-256 ranks. */
typedef struct bench_scale_options {
    const char *device, *out_dir, *env;
    const char *ranks;       /* comma list of rank counts, e.g. "1,2,3,4" */
    const char *algos;       /* comma list of a2c, acktr, acktr-inverse, acktr-gradient, trpo
                                (the worker: one of them) */
    unsigned n_envs, n_steps; /* copies in all (a multiple of every rank count), rollout length */
    unsigned updates, warmup;
    double alpha_us, beta_gbs; /* the model's network: latency per message, bandwidth */
    int quiet;
    int worker;              /* internal: one rank count, under mpirun */
    clkfac_comm *comm;
} bench_scale_options;

/* Returns a process exit code (0, 1 runtime failure, 2 usage). */
int bench_scale_run(const bench_scale_options *o);

#endif
