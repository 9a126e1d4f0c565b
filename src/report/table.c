/* String tables rendered as CSV, Markdown and JSON (jansson) and written as the three files of a
 * result; atomic file writes; provenance text. */
#include <errno.h>
#include <jansson.h>
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
#include "core/text.h"

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

static clkfac_status text_done(core_text *b, char **out)
{
    if (b->oom || !b->s) {
        core_text_free(b);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory rendering a table");
    }
    *out = b->s;
    return CLKFAC_OK;
}

static void text_str(core_text *b, const char *s) { core_text_put(b, s, strlen(s)); }

static void csv_cell(core_text *b, const char *c)
{
    if (!strpbrk(c, ",\"\n\r")) { text_str(b, c); return; }
    text_str(b, "\"");
    for (const char *p = c; *p; p++) {
        if (*p == '"') text_str(b, "\"\"");
        else core_text_put(b, p, 1);
    }
    text_str(b, "\"");
}

clkfac_status clkfac_table_csv(char **out, const clkfac_table *t)
{
    core_text b = {0};
    for (size_t i = 0; i < t->ncols; i++) { if (i) text_str(&b, ","); csv_cell(&b, t->headers[i]); }
    text_str(&b, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++) {
            if (i) text_str(&b, ",");
            csv_cell(&b, t->cells[r * t->ncols + i]);
        }
        text_str(&b, "\n");
    }
    return text_done(&b, out);
}

static void md_cell(core_text *b, const char *c)
{
    for (const char *p = c; *p; p++) {
        if (*p == '|') text_str(b, "\\|");
        else if (*p == '\n') text_str(b, " ");
        else core_text_put(b, p, 1);
    }
}

clkfac_status clkfac_table_markdown(char **out, const clkfac_table *t)
{
    core_text b = {0};
    text_str(&b, "|");
    for (size_t i = 0; i < t->ncols; i++) { text_str(&b, " "); md_cell(&b, t->headers[i]); text_str(&b, " |"); }
    text_str(&b, "\n|");
    for (size_t i = 0; i < t->ncols; i++) text_str(&b, "---|");
    text_str(&b, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        text_str(&b, "|");
        for (size_t i = 0; i < t->ncols; i++) {
            text_str(&b, " ");
            md_cell(&b, t->cells[r * t->ncols + i]);
            text_str(&b, " |");
        }
        text_str(&b, "\n");
    }
    return text_done(&b, out);
}

/* A cell as JSON: a number when the whole cell is one (an integer when written as one), null
 * for an empty cell when empty_null, else a string. */
static json_t *cell_json(const char *c, int empty_null)
{
    if (!*c) return empty_null ? json_null() : json_string("");
    char *end = NULL;
    double v = strtod(c, &end);
    if (*end || !isfinite(v) || strspn(c, "0123456789+-.eE") != strlen(c)) return json_string(c);
    if (!strpbrk(c, ".eE") && fabs(v) < 9e15) return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *rows_json(const clkfac_table *t, int empty_null)
{
    json_t *rows = json_array();
    for (size_t r = 0; rows && r < t->nrows; r++) {
        json_t *o = json_object();
        for (size_t i = 0; o && i < t->ncols; i++)
            if (json_object_set_new(o, t->headers[i], cell_json(t->cells[r * t->ncols + i],
                                                                empty_null))) {
                json_decref(o);
                o = NULL;
            }
        if (json_array_append_new(rows, o)) {
            json_decref(rows);
            rows = NULL;
        }
    }
    return rows;
}

/* Two-space indent; 15 significant digits give back every cell's number as written. */
#define TABLE_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

static clkfac_status dump_json(char **out, json_t *j)
{
    char *s = j ? json_dumps(j, TABLE_JSON_FLAGS) : NULL;
    json_decref(j);
    core_text b = {0};
    if (s) core_text_printf(&b, "%s\n", s);
    free(s);
    if (!s) b.oom = 1;
    return text_done(&b, out);
}

clkfac_status clkfac_table_json(char **out, const clkfac_table *t)
{
    return dump_json(out, rows_json(t, 0));
}

clkfac_status clkfac_table_write(const char *dir, const char *stem, const clkfac_table *data,
                                 const clkfac_table *shown, const char *title, const char *notes,
                                 const char *prov)
{
    char path[4400], *csv = NULL, *md = NULL, *json = NULL;
    core_text doc = {0};
    clkfac_status st;
    if (!shown) shown = data;
    if ((st = clkfac_table_csv(&csv, data)) || (st = clkfac_table_markdown(&md, shown)) ||
        (st = dump_json(&json, json_pack("{s:s, s:o}", "provenance", prov ? prov : "", "rows",
                                         rows_json(data, 1)))))
        goto done;
    core_text_printf(&doc, "# %s\n\n%s\n%s\n\n```\n%s```\n", title, md, notes, prov ? prov : "");
    if (doc.oom) { st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory"); goto done; }
    snprintf(path, sizeof path, "%s/%s.csv", dir, stem);
    if ((st = clkfac_file_write_atomic(path, csv, strlen(csv)))) goto done;
    snprintf(path, sizeof path, "%s/%s.md", dir, stem);
    if ((st = clkfac_file_write_atomic(path, doc.s, doc.n))) goto done;
    snprintf(path, sizeof path, "%s/%s.json", dir, stem);
    st = clkfac_file_write_atomic(path, json, strlen(json));
done:
    free(csv);
    free(md);
    free(json);
    core_text_free(&doc);
    return st;
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

clkfac_status clkfac_dir_check(const char *path)
{
    char p[4096];
    struct stat sb;
    if (!path || !*path) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "empty folder name");
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "path too long: %s", path);
    /* the folder itself, else its nearest existing ancestor ("a/b/" and "a/b" alike) */
    for (int self = 1;; self = 0) {
        if (stat(p, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                return self ? CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "'%s' exists and is not a folder", p)
                            : CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                                        "cannot create folder '%s': '%s' is not a folder", path, p);
            if (access(p, W_OK | X_OK) != 0)
                return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s'%s' is not writable: %s",
                                 self ? "folder " : "cannot create a folder in ", p,
                                 strerror(errno));
            return CLKFAC_OK;
        }
        if (errno != ENOENT && errno != ENOTDIR)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "'%s': %s", p, strerror(errno));
        char *slash = strrchr(p, '/');
        while (slash && slash > p && slash[1] == '\0') { /* trailing slashes */
            *slash = '\0';
            slash = strrchr(p, '/');
        }
        if (!slash) {
            if (!strcmp(p, ".")) return CLKFAC_OK; /* unreachable: "." exists */
            snprintf(p, sizeof p, ".");
        } else if (slash == p) {
            p[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
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
    core_text b = {0};
    char line[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(line, sizeof line, "clkfac: %s (git %s)\ndate: %s\n", clkfac_version(),
             clkfac_git_commit(), date);
    text_str(&b, line);
    if (ctx) {
        const clkfac_device_info *d = clkfac_context_device(ctx);
        char prof[2048];
        clkfac_device_profile_text(prof, sizeof prof, clkfac_context_profile(ctx));
        snprintf(line, sizeof line,
                 "device: %s (%s, %u compute units)\nplatform: %s\ndriver: %s\n"
                 "device_version: %s\ndevice_profile: %s\n",
                 d->name, d->type, d->compute_units, d->platform, d->driver_version,
                 d->device_version, prof);
        text_str(&b, line);
    }
    return text_done(&b, out);
}
