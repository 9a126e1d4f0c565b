/* clkfac/report.h — result files: a string table written as CSV, Markdown or JSON, atomic file
 * writes (temporary file + rename, so a reader never sees half a file and an interrupted run
 * leaves the previous version), and the provenance block every result file carries. */
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

/* Writes len bytes to path atomically (temp file in the same folder, fsync, rename). */
clkfac_status clkfac_file_write_atomic(const char *path, const void *data, size_t len);
/* Creates a folder and its parents; an unwritable or non-folder path is CLKFAC_ERR_IO. */
clkfac_status clkfac_mkdir_p(const char *path);

/* Provenance as "key: value" lines (clkfac version and git commit, device, platform, driver,
 * CLBlast kernel parameters, UTC date). ctx may be NULL (no device lines). Caller frees. */
clkfac_status clkfac_provenance(char **out, clkfac_context *ctx);

#ifdef __cplusplus
}
#endif
#endif
