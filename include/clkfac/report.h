/* clkfac/report.h — result files: a string table written as CSV, Markdown or JSON, atomic file
 * writes (temporary file + rename, so a reader never sees half a file and an interrupted run
 * leaves the previous version), the provenance block every result file carries, and the
 * benchmark report (`clkfac report`): tables and plots from the run folders of suites. */
#ifndef CLKFAC_REPORT_H
#define CLKFAC_REPORT_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_table clkfac_table;

clkfac_status clkfac_table_create(clkfac_table **out, size_t ncols, const char *const *headers);
void clkfac_table_free(clkfac_table *t);
/* Appends a row of ncols cells (copied). */
clkfac_status clkfac_table_add_row(clkfac_table *t, const char *const *cells);
size_t clkfac_table_rows(const clkfac_table *t);

/* Renders to a malloc'd string (caller frees). CSV quotes cells as RFC 4180 needs; JSON is an
 * array of objects, cells that parse fully as finite numbers written as numbers. */
clkfac_status clkfac_table_csv(char **out, const clkfac_table *t);
clkfac_status clkfac_table_markdown(char **out, const clkfac_table *t);
clkfac_status clkfac_table_json(char **out, const clkfac_table *t);

/* Writes DIR/STEM.csv (data), DIR/STEM.md (title, the table `shown` (NULL: data), notes and
 * the provenance in a code block) and DIR/STEM.json ({"provenance": prov, "rows": data's rows
 * with empty cells as null}), each atomically. */
clkfac_status clkfac_table_write(const char *dir, const char *stem, const clkfac_table *data,
                                 const clkfac_table *shown, const char *title, const char *notes,
                                 const char *prov);

/* Writes len bytes to path atomically (temp file in the same folder, fsync, rename). */
clkfac_status clkfac_file_write_atomic(const char *path, const void *data, size_t len);
/* Creates a folder and its parents; an unwritable or non-folder path is CLKFAC_ERR_IO. */
clkfac_status clkfac_mkdir_p(const char *path);
/* Checks, creating nothing, that path can be a results folder: a writable folder, or missing
 * with its nearest existing ancestor a writable folder. Otherwise CLKFAC_ERR_INVALID_ARG (the
 * path is the user's input) naming what is in the way. Commands call it while validating
 * their options and create the folder only once everything else was accepted. */
clkfac_status clkfac_dir_check(const char *path);

/* Provenance as "key: value" lines (clkfac version and git commit, device, platform, driver,
 * CLBlast kernel parameters, UTC date). ctx may be NULL (no device lines). Caller frees. */
clkfac_status clkfac_provenance(char **out, clkfac_context *ctx);

/* ---- the benchmark report ------------------------------------------------------------------ */

#define CLKFAC_REPORT_MAX_DIRS 32

/* A warning while reading the runs (a run skipped, a line ignored); the message has no newline. */
typedef void (*clkfac_report_warn_fn)(void *user, const char *message);

typedef struct clkfac_report_options {
    int version;
    const char *const *dirs;   /* suite folders, each holding runs/<algo>__<env>__seed<k>/ */
    size_t n_dirs;             /* 1 to CLKFAC_REPORT_MAX_DIRS */
    const char *out;           /* NULL: <dirs[0]>/report */
    const char *data_dir;      /* NULL: found from $CLKFAC_DATA_DIR, $CLKFAC_SOURCE_DIR, the
                                  program's location, ./data (built-in thresholds otherwise) */
    size_t window;             /* episodes in the rolling mean; 0: CLKFAC_STATS_WINDOW */
    clkfac_report_warn_fn warn; /* NULL: warnings are dropped */
    void *warn_user;
} clkfac_report_options;

#define CLKFAC_REPORT_OPTIONS_VERSION 1
#define CLKFAC_REPORT_OPTIONS_INIT {CLKFAC_REPORT_OPTIONS_VERSION, NULL, 0, NULL, NULL, 0, NULL, NULL}

/* What a report covered. */
typedef struct clkfac_report_info {
    size_t runs, environments;
    char out[4096];            /* the folder written */
} clkfac_report_info;

/* Reads the runs of the suite folders (episodes.csv, summary.json; step/step_cost.csv of the
 * first folder that has one; data/thresholds.csv, random.csv and published.csv) and writes
 * results.{csv,md,json}, curves_<env>.png, step-cost tables and plots, published.{csv,md,json}
 * and index.md into the output folder. The same inputs give the same bytes. Malformed input
 * (file:line named in clkfac_last_error()) is CLKFAC_ERR_FORMAT, a missing folder or bad option
 * CLKFAC_ERR_INVALID_ARG, a write failure CLKFAC_ERR_IO. info may be NULL. */
clkfac_status clkfac_report_write(clkfac_report_info *info, const clkfac_report_options *o);

#ifdef __cplusplus
}
#endif
#endif
