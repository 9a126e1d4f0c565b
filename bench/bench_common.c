/* Result writing shared by the benchmark programs: a table as CSV, as Markdown with a title,
 * notes and the provenance block, and as JSON with the provenance beside the rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

int bench_write_table(const char *dir, const char *stem, clkfac_table *t, const char *title,
                      const char *notes, const char *prov)
{
    char path[4096], *csv = NULL, *md = NULL, *json = NULL;
    clkfac_status st;
    if ((st = clkfac_table_csv(&csv, t)) || (st = clkfac_table_markdown(&md, t)) ||
        (st = clkfac_table_json(&json, t)))
        goto out;
    snprintf(path, sizeof path, "%s/%s.csv", dir, stem);
    if ((st = clkfac_file_write_atomic(path, csv, strlen(csv)))) goto out;
    size_t n = strlen(md) + strlen(prov) + strlen(title) + strlen(notes) + 64;
    char *doc = malloc(n);
    if (!doc) { st = CLKFAC_ERR_NO_MEMORY; goto out; }
    snprintf(doc, n, "# %s\n\n%s\n%s\n```\n%s```\n", title, md, notes, prov);
    snprintf(path, sizeof path, "%s/%s.md", dir, stem);
    st = clkfac_file_write_atomic(path, doc, strlen(doc));
    free(doc);
    if (st) goto out;
    snprintf(path, sizeof path, "%s/%s.json", dir, stem);
    size_t jn = strlen(json) + strlen(prov) * 2 + 64;
    char *jdoc = malloc(jn);
    if (!jdoc) { st = CLKFAC_ERR_NO_MEMORY; goto out; }
    /* provenance lines become a JSON string list beside the rows */
    char *pv = malloc(strlen(prov) * 2 + 8), *q = pv;
    for (const char *s = prov; pv && *s; s++) {
        if (*s == '"' || *s == '\\') *q++ = '\\';
        if (*s == '\n') { *q++ = '\\'; *q++ = 'n'; continue; }
        *q++ = *s;
    }
    if (pv) *q = '\0';
    snprintf(jdoc, jn, "{\"provenance\": \"%s\",\n\"rows\": %s}\n", pv ? pv : "", json);
    free(pv);
    st = clkfac_file_write_atomic(path, jdoc, strlen(jdoc));
    free(jdoc);
out:
    free(csv); free(md); free(json);
    if (st) {
        fprintf(stderr, "clkfac: writing results to %s: %s: %s\n", dir, clkfac_status_str(st),
                clkfac_last_error());
        return 1;
    }
    return 0;
}


int bench_list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int bench_open(clkfac_context **ctx, const char *suite, const char *out_dir, const char *device)
{
    clkfac_status st = clkfac_mkdir_p(out_dir);
    if (st) {
        fprintf(stderr, "clkfac: bench %s --out %s: %s\n", suite, out_dir, clkfac_last_error());
        return 2;
    }
    clkfac_context_options co = CLKFAC_CONTEXT_OPTIONS_INIT;
    co.device = device;
    if ((st = clkfac_context_create(ctx, &co))) {
        fprintf(stderr, "clkfac: cannot open an OpenCL device: %s: %s\n", clkfac_status_str(st),
                clkfac_last_error());
        return st == CLKFAC_ERR_NO_DEVICE && device && *device ? 2 : 1;
    }
    return 0;
}
