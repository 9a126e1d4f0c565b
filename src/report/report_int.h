/* Internals of the benchmark report (clkfac_report_write): the runs and data files read, the
 * shared formatting helpers, and the parts each file of src/report/report_*.c writes. */
#ifndef CLKFAC_REPORT_INT_H
#define CLKFAC_REPORT_INT_H

#include <stddef.h>

#include "clkfac/clkfac.h"
#include "core/core.h"
#include "core/text.h"

#define REP_GRID 201   /* points of the common timestep grids (200 intervals) */
#define REP_NAME 128   /* longest algorithm / environment / net name kept */
#define REP_ABSENT 1   /* a reader's return when an optional file is not there */

typedef struct rep_run {
    char name[REP_NAME * 2]; /* folder name */
    char algo[REP_NAME], env[REP_NAME], device[256];
    long seed;
    int finished; /* 1, 0 or -1 when not recorded */
    int damaged;  /* finished, but episodes.csv holds fewer episodes than summary.json counts */
    double wall;  /* NaN when not recorded */
    double *t, *r;
    size_t n;
    /* derived */
    double final, auc, cross_t;
    long cross_ep;
} rep_run;

typedef struct rep_value {
    char env[REP_NAME];
    double value;
} rep_value;

typedef struct rep_published {
    char source[256], setting[128], metric[64], algo[REP_NAME], env[REP_NAME], value[64],
        note[128];
} rep_published;

typedef struct rep_step {
    char algo[REP_NAME], net[REP_NAME], phase[REP_NAME];
    long batch;
    double ms, tps;
} rep_step;

typedef struct report {
    const clkfac_report_options *o;
    const char *dir, *data_opt;  /* dir: the first folder (default out, step data) */
    char dirs_text[4200];        /* "A/runs, B/runs" for the index and provenance */
    char steps_path[4200];       /* the step_cost.csv read */
    char out[4096];
    size_t window;
    rep_run *runs;
    size_t nruns;
    rep_value *thr;
    size_t nthr;
    char thr_source[4200];
    rep_value *thr_derived; /* halfway thresholds where thresholds.csv names none */
    size_t nthr_derived;
    rep_value *rnd; /* the uniform-random policy's mean return */
    size_t nrnd;
    char rnd_source[4200];
    rep_published *pub;
    size_t npub;
    char pub_source[4200];
    rep_step *steps;
    size_t nsteps;
    char *prov;
    core_text index;
} report;

/* Errors: the message becomes the last error (as the user should read it) and st is returned. */
#define rep_err(st, ...) CORE_FAIL_INPUT((st), __VA_ARGS__)
/* A failed library call: "what: STATUS: detail" as the last error; returns st. */
clkfac_status rep_fail(const char *what, clkfac_status st);
void rep_warn(const report *R, const char *fmt, ...) CORE_PRINTF(2, 3);

int rep_is_dir(const char *path);
int rep_is_file(const char *path);
void rep_copy(char *dst, size_t cap, const char *src);
void rep_file_stem(char *dst, size_t cap, const char *src);
void rep_num_csv(char *buf, size_t len, double v);
void rep_num_md(char *buf, size_t len, double v, int decimals);
void rep_ret_md(char *buf, size_t len, double v);
int rep_cmp_str(const void *a, const void *b);

/* report_data.c: data/ files and step costs */
clkfac_status rep_load_thresholds(report *R);
clkfac_status rep_load_random(report *R);
clkfac_status rep_load_published(report *R);
clkfac_status rep_load_steps(report *R, const char *path);
/* thresholds.csv's value, else the derived one (rep_derive_thresholds), else NaN */
double rep_threshold_of(const report *R, const char *env);
int rep_threshold_is_derived(const report *R, const char *env);
double rep_random_of(const report *R, const char *env);

/* report_runs.c: the run folders */
clkfac_status rep_load_runs(report *R);

/* report_tables.c: the results and published tables, learning curves */
clkfac_status rep_write_text(const report *R, const char *name, const char *s, size_t n);
clkfac_status rep_write_tables(const report *R, const char *stem, const clkfac_table *data,
                               const clkfac_table *shown, const char *title, const char *notes);
clkfac_status rep_results(report *R);
clkfac_status rep_curve_plot(report *R, size_t a, size_t b);
clkfac_status rep_published_table(report *R);

/* report_aggregate.c: across environments. rep_derive_thresholds gives every environment
 * without a thresholds.csv entry the threshold halfway from the random policy's return to the
 * best mean final return of an algorithm in this report (where that beats random play). */
clkfac_status rep_derive_thresholds(report *R);
clkfac_status rep_aggregate(report *R);

/* report_steps.c: step-cost table and plots */
clkfac_status rep_step_report(report *R);

#endif
