/* Result writing shared by the benchmark programs: a table as CSV, as Markdown with a title,
 * notes and the provenance block, and as JSON with the provenance beside the rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "core/text.h"

int bench_write_table(const char *dir, const char *stem, clkfac_table *t, const char *title,
                      const char *notes, const char *prov)
{
    clkfac_status st = clkfac_table_write(dir, stem, t, NULL, title, notes, prov);
    if (st) {
        fprintf(stderr, "clkfac: writing results to %s: %s: %s\n", dir, clkfac_status_str(st),
                clkfac_last_error());
        return 1;
    }
    return 0;
}


int bench_list_has(const char *list, const char *name) { return core_list_has(list, name); }

int bench_open(clkfac_context **ctx, const char *suite, const char *out_dir, const char *device)
{
    /* an unusable --out is the user's input (2); the folder is created only once the device
     * opened, and failing then is a runtime failure (1) */
    clkfac_status st = clkfac_dir_check(out_dir);
    if (st) {
        fprintf(stderr, "clkfac: bench %s --out %s: %s\n", suite, out_dir, clkfac_last_error());
        return APP_USAGE;
    }
    int rc = APP_OK;
    *ctx = app_context(device, &rc);
    if (!*ctx) return rc;
    if ((st = clkfac_mkdir_p(out_dir))) {
        fprintf(stderr, "clkfac: bench %s --out %s: %s\n", suite, out_dir, clkfac_last_error());
        clkfac_context_free(*ctx);
        *ctx = NULL;
        return APP_RUNTIME;
    }
    return APP_OK;
}
