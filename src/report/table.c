/* String tables rendered as CSV, Markdown and JSON; atomic file writes; provenance text. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clkfac/linalg.h"
#include "clkfac/report.h"
#include "core/core.h"

struct clkfac_table {
    size_t ncols, nrows, cap;
    char **headers;
    char **cells; /* nrows * ncols */
};

clkfac_status clkfac_table_create(clkfac_table **out, size_t ncols, const char *const *headers)
{
    if (ncols == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "table with 0 columns");
    clkfac_table *t = core_calloc(1, sizeof *t);
    if (!t || !(t->headers = core_calloc(ncols, sizeof *t->headers))) {
        free(t);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        if (!(t->headers[i] = core_strdup(headers[i] ? headers[i] : ""))) {
            clkfac_table_free(t);
            return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        }
    *out = t;
    return CLKFAC_OK;
}

void clkfac_table_free(clkfac_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->ncols; i++) free(t->headers[i]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->headers);
    free(t->cells);
    free(t);
}

size_t clkfac_table_rows(const clkfac_table *t) { return t->nrows; }

clkfac_status clkfac_table_add_row(clkfac_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (!c) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = core_strdup(cells[i] ? cells[i] : "");
        if (!row[i]) {
            while (i--) free(row[i]);
            return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        }
    }
    t->nrows++;
    return CLKFAC_OK;
}

/* growable string */
typedef struct sbuf { char *s; size_t n, cap; int oom; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) { b->oom = 1; return; }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static clkfac_status sb_done(sbuf *b, char **out)
{
    if (b->oom || !b->s) {
        free(b->s);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory rendering a table");
    }
    *out = b->s;
    return CLKFAC_OK;
}

static void csv_cell(sbuf *b, const char *c)
{
    if (!strpbrk(c, ",\"\n\r")) { sb_str(b, c); return; }
    sb_str(b, "\"");
    for (const char *p = c; *p; p++) {
        if (*p == '"') sb_str(b, "\"\"");
        else sb_put(b, p, 1);
    }
    sb_str(b, "\"");
}

clkfac_status clkfac_table_csv(char **out, const clkfac_table *t)
{
    sbuf b = {0};
    for (size_t i = 0; i < t->ncols; i++) { if (i) sb_str(&b, ","); csv_cell(&b, t->headers[i]); }
    sb_str(&b, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++) {
            if (i) sb_str(&b, ",");
            csv_cell(&b, t->cells[r * t->ncols + i]);
        }
        sb_str(&b, "\n");
    }
    return sb_done(&b, out);
}

static void md_cell(sbuf *b, const char *c)
{
    for (const char *p = c; *p; p++) {
        if (*p == '|') sb_str(b, "\\|");
        else if (*p == '\n') sb_str(b, " ");
        else sb_put(b, p, 1);
    }
}

clkfac_status clkfac_table_markdown(char **out, const clkfac_table *t)
{
    sbuf b = {0};
    sb_str(&b, "|");
    for (size_t i = 0; i < t->ncols; i++) { sb_str(&b, " "); md_cell(&b, t->headers[i]); sb_str(&b, " |"); }
    sb_str(&b, "\n|");
    for (size_t i = 0; i < t->ncols; i++) sb_str(&b, "---|");
    sb_str(&b, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        sb_str(&b, "|");
        for (size_t i = 0; i < t->ncols; i++) {
            sb_str(&b, " ");
            md_cell(&b, t->cells[r * t->ncols + i]);
            sb_str(&b, " |");
        }
        sb_str(&b, "\n");
    }
    return sb_done(&b, out);
}

static int is_number(const char *s)
{
    if (!*s) return 0;
    char *end = NULL;
    double v = strtod(s, &end);
    return *end == '\0' && isfinite(v) && strspn(s, "0123456789+-.eE") == strlen(s);
}

static void json_str(sbuf *b, const char *s)
{
    sb_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; sb_put(b, esc, 2); }
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); sb_str(b, esc); }
        else sb_put(b, (const char *)p, 1);
    }
    sb_str(b, "\"");
}

clkfac_status clkfac_table_json(char **out, const clkfac_table *t)
{
    sbuf b = {0};
    sb_str(&b, "[");
    for (size_t r = 0; r < t->nrows; r++) {
        sb_str(&b, r ? ",\n  {" : "\n  {");
        for (size_t i = 0; i < t->ncols; i++) {
            if (i) sb_str(&b, ", ");
            json_str(&b, t->headers[i]);
            sb_str(&b, ": ");
            const char *c = t->cells[r * t->ncols + i];
            if (is_number(c)) sb_str(&b, c);
            else json_str(&b, c);
        }
        sb_str(&b, "}");
    }
    sb_str(&b, "\n]\n");
    return sb_done(&b, out);
}

clkfac_status clkfac_mkdir_p(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "path too long: %s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return CORE_FAIL(CLKFAC_ERR_IO, "cannot create folder '%s': %s", tmp, strerror(errno));
        *s = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return CORE_FAIL(CLKFAC_ERR_IO, "cannot create folder '%s': %s", tmp, strerror(errno));
    struct stat sb;
    if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return CORE_FAIL(CLKFAC_ERR_IO, "'%s' exists and is not a folder", tmp);
    if (access(tmp, W_OK) != 0)
        return CORE_FAIL(CLKFAC_ERR_IO, "folder '%s' is not writable", tmp);
    return CLKFAC_OK;
}

clkfac_status clkfac_file_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return CORE_FAIL(CLKFAC_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return CORE_FAIL(CLKFAC_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return CORE_FAIL(CLKFAC_ERR_IO, "writing '%s' failed: %s", path, strerror(e));
    }
    return CLKFAC_OK;
}

clkfac_status clkfac_provenance(char **out, clkfac_context *ctx)
{
    sbuf b = {0};
    char line[1024];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(line, sizeof line, "clkfac: %s (git %s)\ndate: %s\n", clkfac_version(),
             clkfac_git_commit(), date);
    sb_str(&b, line);
    if (ctx) {
        const clkfac_device_info *d = clkfac_context_device(ctx);
        snprintf(line, sizeof line,
                 "device: %s (%s, %u compute units)\nplatform: %s\ndriver: %s\n"
                 "device_version: %s\nclblast_xgemm: %s\n",
                 d->name, d->type, d->compute_units, d->platform, d->driver_version,
                 d->device_version, clkfac_linalg_tuning(ctx));
        sb_str(&b, line);
    }
    return sb_done(&b, out);
}
