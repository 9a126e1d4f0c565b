/* Reading a run folder (see runs.h): summary.json through jansson, episodes.csv through the
 * project's CSV reader, the saved policy, and the cross-checks of a finished run's files. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "core/text.h"
#include "report/csv.h"
#include "report/runs.h"
#include "report/runs_checkpoint.h"

/* A file read whole: RUNS_MISSING, or a status with the reason named. */
static int read_text(const char *path, char **buf, size_t *len)
{
    int err = core_read_file(path, buf, len);
    if (err == ENOENT) return RUNS_MISSING;
    if (err == EILSEQ) return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: not a text file", path);
    if (err == ENOMEM) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory reading %s", path);
    if (err) return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "cannot read %s: %s", path, strerror(err));
    return CLKFAC_OK;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A member that must be a number (or a string holding one), as a double; 1 when absent or
 * null, -1 when of another type. */
static int member_number(const json_t *o, const char *key, double *v)
{
    const json_t *m = json_object_get(o, key);
    if (!m || json_is_null(m)) return 1;
    if (json_is_number(m)) {
        *v = json_number_value(m);
        return 0;
    }
    if (json_is_string(m) && !csv_num(json_string_value(m), v)) return 0;
    return -1;
}

static int member_string(const json_t *o, const char *key, char *out, size_t cap)
{
    const json_t *m = json_object_get(o, key);
    if (!m) return 1;
    if (!json_is_string(m)) return -1;
    copy_str(out, cap, json_string_value(m));
    return 0;
}

/* A whole number member within [lo, 2^53] (exact in a double); 1 when absent, -1 otherwise. */
static int member_whole(const json_t *o, const char *key, double lo, double *v)
{
    int r = member_number(o, key, v);
    if (r) return r;
    return *v == floor(*v) && *v >= lo && *v <= 9007199254740992.0 ? 0 : -1;
}

/* The members readers use; NULL, or what is wrong (a member of the wrong type). */
static const char *summary_members(runs_summary *sm, const json_t *root)
{
    double v;
    int r;
    if ((r = member_string(root, "algo", sm->algo, sizeof sm->algo)) < 0)
        return "\"algo\" is not a string";
    sm->have_algo = !r;
    if ((r = member_string(root, "env", sm->env, sizeof sm->env)) < 0)
        return "\"env\" is not a string";
    sm->have_env = !r;
    if ((r = member_whole(root, "seed", -9007199254740992.0, &v)) < 0)
        return "\"seed\" is not a whole number";
    sm->have_seed = !r;
    sm->seed = r ? 0 : (long)v;
    if ((r = member_number(root, "wall_seconds", &v)) < 0) return "\"wall_seconds\" is not a number";
    sm->wall_seconds = r ? NAN : v;
    if ((r = member_number(root, "final_mean_return_100", &v)) < 0)
        return "\"final_mean_return_100\" is not a number";
    sm->final_mean_return_100 = r ? NAN : v;
    if ((r = member_whole(root, "episodes", 0, &v)) < 0)
        return "\"episodes\" is not a whole number >= 0";
    sm->episodes = r ? -1 : (long long)v;
    const json_t *fin = json_object_get(root, "finished");
    if (fin && !json_is_boolean(fin) && !json_is_null(fin))
        return "\"finished\" is not true or false";
    sm->finished = json_is_boolean(fin) ? json_is_true(fin) : -1;
    if (member_string(root, "suite_settings", sm->suite_settings, sizeof sm->suite_settings) < 0)
        return "\"suite_settings\" is not a string";
    const json_t *files = json_object_get(root, "files"), *fv;
    const char *fname;
    if (files && !json_is_object(files)) return "\"files\" is not an object";
    json_object_foreach((json_t *)(uintptr_t)files, fname, fv) {
        if (sm->n_files == sizeof sm->files / sizeof sm->files[0]) return "\"files\" lists too many";
        const char *hex = json_string_value(json_object_get(fv, "fnv1a64"));
        char *end = NULL;
        double b;
        if (strlen(fname) >= sizeof sm->files[0].name || strchr(fname, '/') || !hex ||
            strlen(hex) != 16 || member_whole(fv, "bytes", 0, &b))
            return "\"files\" has an entry without a name, \"bytes\" and a 16-digit \"fnv1a64\"";
        sm->files[sm->n_files].fnv1a64 = strtoull(hex, &end, 16);
        if (*end) return "\"files\" has an \"fnv1a64\" that is not hexadecimal";
        copy_str(sm->files[sm->n_files].name, sizeof sm->files[0].name, fname);
        sm->files[sm->n_files++].bytes = (long long)b;
    }
    const json_t *prov = json_object_get(root, "provenance");
    if (json_is_object(prov)) member_string(prov, "device", sm->device, sizeof sm->device);
    return NULL;
}

int runs_summary_read(runs_summary *sm, const char *path)
{
    memset(sm, 0, sizeof *sm);
    sm->wall_seconds = sm->final_mean_return_100 = NAN;
    sm->finished = -1;
    sm->episodes = -1;
    char *buf = NULL;
    size_t len = 0;
    int rc = read_text(path, &buf, &len);
    if (rc) return rc;
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    free(buf);
    if (!root)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: corrupt (not valid JSON: %s at line %d, "
                                                  "column %d); expected an object with \"algo\", "
                                                  "\"env\", \"seed\", \"wall_seconds\"",
                               path, err.text, err.line, err.column);
    const char *bad = json_is_object(root) ? summary_members(sm, root) : "not a JSON object";
    json_decref(root);
    if (bad) return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: %s", path, bad);
    return CLKFAC_OK;
}

/* ---- episodes.csv --------------------------------------------------------------------------- */

typedef struct ep {
    double t, r, idx;
    size_t order, line;
} ep;

static int cmp_ep(const void *a, const void *b)
{
    const ep *x = a, *y = b;
    if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int whole_count(double v) { return v >= 0 && v <= 9007199254740992.0 && v == floor(v); }

/* One data row into x; a format error names the field. */
static clkfac_status episode_row(ep *x, char **f, const int *c, const char *path, size_t line)
{
    static const char *const names[3] = {"timestep", "episode", "return"};
    /* counts are whole numbers exact in a double (<= 2^53), so the curves' grids over them
     * cannot overflow and no count leaves the range of an integer */
    int bad = csv_num(f[c[0]], &x->t) || !whole_count(x->t)     ? 0
              : csv_num(f[c[1]], &x->idx) || !whole_count(x->idx) ? 1
              : csv_num(f[c[2]], &x->r)                            ? 2
                                                                   : -1;
    if (bad < 0) return CLKFAC_OK;
    return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s:%zu: %s '%s' is not %s", path, line, names[bad],
                           f[c[bad]],
                           bad == 2 ? "a finite number" : "a whole number in [0, 2^53]");
}

/* Sorted by episode, the last row of each index kept, timesteps checked not to decrease. */
static clkfac_status episodes_order(ep *e, size_t *n, const char *path)
{
    if (*n) qsort(e, *n, sizeof *e, cmp_ep);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        if (i + 1 < *n && e[i + 1].idx == e[i].idx) continue;
        e[m++] = e[i];
    }
    *n = m;
    for (size_t i = 1; i < m; i++)
        if (e[i].t < e[i - 1].t)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT,
                                   "%s:%zu: episode %.0f finished at timestep %.0f, before "
                                   "episode %.0f (timestep %.0f, line %zu); timesteps must not "
                                   "decrease",
                                   path, e[i].line, e[i].idx, e[i].t, e[i - 1].idx, e[i - 1].t,
                                   e[i - 1].line);
    return CLKFAC_OK;
}

static clkfac_status episodes_parse(ep **out, size_t *n_out, csv_lines *L, const char *path)
{
    char *f[CSV_MAX_FIELDS], header[1024], *line = csv_next_line(L);
    if (!line)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: empty (expected the header "
                                                  "timestep,episode,return,length)", path);
    snprintf(header, sizeof header, "%s", line);
    int nf = csv_split(line, f, CSV_MAX_FIELDS);
    int c[3] = {nf > 0 ? csv_col(f, nf, "timestep") : -1, nf > 0 ? csv_col(f, nf, "episode") : -1,
                nf > 0 ? csv_col(f, nf, "return") : -1};
    if (c[0] < 0 || c[1] < 0 || c[2] < 0)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT,
                               "%s:%zu: header '%s' lacks '%s' (expected "
                               "timestep,episode,return,length)",
                               path, L->lineno, header,
                               c[0] < 0 ? "timestep" : c[1] < 0 ? "episode" : "return");
    int need = (c[0] > c[1] ? (c[0] > c[2] ? c[0] : c[2]) : (c[1] > c[2] ? c[1] : c[2])) + 1;
    ep *e = NULL;
    size_t n = 0, cap = 0;
    clkfac_status st = CLKFAC_OK;
    while (!st && (line = csv_next_line(L))) {
        if (!strcmp(line, header)) continue; /* a resumed run appended a second header */
        char raw[256];
        snprintf(raw, sizeof raw, "%s", line);
        nf = csv_split(line, f, CSV_MAX_FIELDS);
        ep x = {0, 0, 0, n, L->lineno};
        if (nf < need)
            st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s:%zu: expected %d fields (%s), found %d in "
                                                    "'%s'",
                                 path, L->lineno, need, header, nf < 0 ? 0 : nf, raw);
        else st = episode_row(&x, f, c, path, L->lineno);
        if (!st && n == cap) {
            cap = cap ? 2 * cap : 1024;
            ep *g = realloc(e, cap * sizeof *g);
            if (!g) st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory reading %s", path);
            else e = g;
        }
        if (!st) e[n++] = x;
    }
    if (!st) st = episodes_order(e, &n, path);
    if (st) {
        free(e);
        return st;
    }
    *out = e;
    *n_out = n;
    return CLKFAC_OK;
}

int runs_episodes_read(runs_episodes *out, const char *path)
{
    memset(out, 0, sizeof *out);
    char *buf = NULL;
    size_t len = 0;
    int rc = read_text(path, &buf, &len);
    if (rc) return rc;
    csv_lines L = {buf, buf + len, 0, 1, 0};
    ep *e = NULL;
    size_t m = 0;
    clkfac_status st = episodes_parse(&e, &m, &L, path);
    free(buf);
    if (st) return st;
    out->t = malloc((m ? m : 1) * sizeof *out->t);
    out->r = malloc((m ? m : 1) * sizeof *out->r);
    if (!out->t || !out->r) {
        free(e);
        runs_episodes_free(out);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory reading %s", path);
    }
    for (size_t i = 0; i < m; i++) {
        out->t[i] = e[i].t;
        out->r[i] = e[i].r;
    }
    out->n = m;
    out->partial_line = L.partial_line;
    free(e);
    return CLKFAC_OK;
}

void runs_episodes_free(runs_episodes *e)
{
    free(e->t);
    free(e->r);
    memset(e, 0, sizeof *e);
}

/* Every file summary.json lists under "files" has its recorded size and checksum. */
static int verify_digests(const char *dir, const runs_summary *sm, char *why, size_t cap)
{
    for (size_t i = 0; i < sm->n_files; i++) {
        uint64_t bytes = 0, sum = 0;
        int err = runs_file_digest(dir, sm->files[i].name, &bytes, &sum);
        if (err) {
            snprintf(why, cap, "%s/%s cannot be read (%s)", dir, sm->files[i].name, strerror(err));
            return -1;
        }
        if ((long long)bytes != sm->files[i].bytes || sum != sm->files[i].fnv1a64) {
            snprintf(why, cap, "%s/%s has %llu bytes with FNV-1a %016llx; summary.json recorded "
                     "%lld bytes, %016llx (changed since)", dir, sm->files[i].name,
                     (unsigned long long)bytes, (unsigned long long)sum, sm->files[i].bytes,
                     (unsigned long long)sm->files[i].fnv1a64);
            return -1;
        }
    }
    return 0;
}

int runs_verify(const char *dir, const runs_summary *sm, char *why, size_t cap)
{
    char path[4200];
    static const char *const files[2] = {"policy.npy", "policy.txt"};
    for (int i = 0; i < 2; i++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
            snprintf(why, cap, "%s is missing", path);
            return -1;
        }
    }
    if (sm->episodes < 0) return verify_digests(dir, sm, why, cap); /* no count recorded */
    runs_episodes e;
    snprintf(path, sizeof path, "%s/episodes.csv", dir);
    int rc = runs_episodes_read(&e, path);
    if (rc) {
        snprintf(why, cap, "%s", rc == RUNS_MISSING ? "episodes.csv is missing" : clkfac_last_error());
        return -1;
    }
    size_t n = e.n;
    runs_episodes_free(&e);
    if ((long long)n != sm->episodes) {
        snprintf(why, cap, "%s holds %zu episodes, summary.json says %lld (cut short?)", path, n,
                 sm->episodes);
        return -1;
    }
    return verify_digests(dir, sm, why, cap);
}

/* ---- the saved policy ------------------------------------------------------------------------ */

/* One "key=value" field of policy.txt into out (cap bytes); 0, or -1 when absent or too long. */
static int policy_field(const char *text, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, kl) || line[kl] != '=') continue;
        const char *v = line + kl + 1, *end = strchr(v, '\n');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        if (n >= cap) return -1;
        memcpy(out, v, n);
        out[n] = '\0';
        return 0;
    }
    return -1;
}

/* A whole-number field within [lo, hi] (strtoll with range checks: sscanf's %d is undefined
 * on a number out of range, and %zu takes "-1"); 0 or -1. */
static int policy_whole(const char *text, const char *key, long long lo, long long hi,
                        long long *out)
{
    char num[64], *end = NULL;
    if (policy_field(text, key, num, sizeof num) || !num[0]) return -1;
    errno = 0;
    long long v = strtoll(num, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* policy.txt's fields; NULL, or the name of the first missing or malformed one. */
static const char *policy_fields(runs_policy *p, const char *text)
{
    long long format = 0, v = 0;
    if (policy_whole(text, "format", 0, 1000000, &format)) return "format";
    if (format != RUNS_POLICY_FORMAT) return "format (another version of clkfac wrote it)";
    if (policy_field(text, "env", p->env, sizeof p->env)) return "env";
    if (policy_field(text, "algo", p->algo, sizeof p->algo)) return "algo";
    if (policy_field(text, "net", p->net, sizeof p->net)) return "net";
    if (policy_field(text, "activation", p->activation, sizeof p->activation)) return "activation";
    if (policy_whole(text, "shared", 0, 1, &v)) return "shared";
    p->shared = (int)v;
    if (policy_whole(text, "critic_euclidean", 0, 1, &v)) return "critic_euclidean";
    p->critic_euclidean = (int)v;
    if (policy_whole(text, "n_params", 1, (long long)1 << 40, &v)) return "n_params";
    p->n_params = (size_t)v;
    return NULL;
}

clkfac_status runs_policy_load(runs_policy *p, const char *dir)
{
    memset(p, 0, sizeof *p);
    char path[4096], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/policy.txt", dir);
    int err = core_read_file(path, &text, &len);
    if (err)
        return CORE_FAIL_INPUT(err == ENOMEM ? CLKFAC_ERR_NO_MEMORY : CLKFAC_ERR_IO,
                               "--policy '%s': expected random, noop or the folder of a finished "
                               "`clkfac train` run (cannot open %s: %s)",
                               dir, path, strerror(err));
    const char *bad = policy_fields(p, text);
    free(text);
    if (bad) return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: missing or malformed field %s", path, bad);
    snprintf(path, sizeof path, "%s/policy.npy", dir);
    clkfac_array a;
    clkfac_status st = clkfac_npy_read(&a, path);
    if (st) {
        char detail[1024];
        copy_str(detail, sizeof detail, clkfac_last_error());
        return CORE_FAIL_INPUT(st, "%s: %s: %s", path, clkfac_status_str(st), detail);
    }
    size_t n = clkfac_array_size(&a);
    int ndim = a.ndim;
    if (ndim != 1 || n != p->n_params) {
        clkfac_array_free(&a);
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT,
                               "%s: %zu values in %d dimension(s); policy.txt says %zu in one",
                               path, n, ndim, p->n_params);
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a.data[i])) {
            double v = (double)a.data[i];
            clkfac_array_free(&a);
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: parameter %zu is %g", path, i, v);
        }
    p->params = a.data; /* owned now */
    return CLKFAC_OK;
}
