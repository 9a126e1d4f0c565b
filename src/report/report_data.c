/* The report's data files: data/thresholds.csv (the "solved" return per environment),
 * data/random.csv (the uniform-random policy's return), data/published.csv (numbers from papers)
 * found from --data, the environment or the program's location; and a suite's step costs. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "report/csv.h"
#include "report/report_int.h"

/* Used when no data/thresholds.csv is found; the same values as that file. */
static const rep_value BUILTIN_THRESHOLDS[] = {
    {"CartPole-v1", 475}, {"Acrobot-v1", -100}, {"MountainCar-v0", -110},
    {"MountainCarContinuous-v0", 90}, {"Pendulum-v1", -200},
};

/* Splits a data row into f (*nf fields); a row with fewer than need fields is a format error
 * naming file and line. */
static clkfac_status split_row(char **f, int *nf, char *line, int need, const char *path,
                               size_t lineno)
{
    *nf = csv_split(line, f, CSV_MAX_FIELDS);
    if (*nf >= need) return CLKFAC_OK;
    return rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: expected %d fields, found %d", path, lineno, need,
                   *nf < 0 ? 0 : *nf);
}

/* data/<name>: --data, $CLKFAC_DATA_DIR, $CLKFAC_SOURCE_DIR/data, next to the program
 * (build trees sit inside the source tree), then ./data. */
static int find_data(const report *R, const char *name, char *path, size_t cap)
{
    const char *env_dirs[2] = {getenv("CLKFAC_DATA_DIR"), getenv("CLKFAC_SOURCE_DIR")};
    if (R->data_opt) {
        snprintf(path, cap, "%s/%s", R->data_opt, name);
        return rep_is_file(path) ? 0 : -1; /* an explicit folder is the only place looked at */
    }
    if (env_dirs[0] && *env_dirs[0]) {
        snprintf(path, cap, "%s/%s", env_dirs[0], name);
        if (rep_is_file(path)) return 0;
    }
    if (env_dirs[1] && *env_dirs[1]) {
        snprintf(path, cap, "%s/data/%s", env_dirs[1], name);
        if (rep_is_file(path)) return 0;
    }
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        static const char *const up[] = {"..", "../..", "../share/clkfac"};
        for (size_t i = 0; i < 3; i++) {
            if (snprintf(path, cap, "%s/%s/data/%s", exe, up[i], name) < (int)cap &&
                rep_is_file(path))
                return 0;
        }
    }
    snprintf(path, cap, "data/%s", name);
    return rep_is_file(path) ? 0 : -1;
}

/* The canonical form of a found data file, so provenance reads /src/data/x.csv, not
 * /src/build/../data/x.csv. */
static void show_path(char *dst, size_t cap, const char *path)
{
    char *real = realpath(path, NULL);
    rep_copy(dst, cap, real ? real : path);
    free(real);
}

/* Finds data/<file> and reads it whole: REP_ABSENT when there is none (nothing set), else a CLI exit
 * code; path gets where it is, source the path shown in the report. */
static int read_data(report *R, const char *file, char *path, size_t pcap, char *source,
                     size_t cap, char **buf, size_t *len)
{
    if (find_data(R, file, path, pcap)) return REP_ABSENT;
    show_path(source, cap, path);
    int err = core_read_file(path, buf, len);
    if (err) return rep_err(err == EILSEQ ? CLKFAC_ERR_FORMAT : CLKFAC_ERR_IO, "cannot read %s: %s",
                            path, err == EILSEQ ? "not a text file" : strerror(err));
    return CLKFAC_OK;
}

/* Reads data/<file> (header with "environment" and value_col) into *out; REP_ABSENT when none
 * is found (nothing set), else a CLI exit code. source gets the path read. */
static int load_env_values(report *R, const char *file, const char *value_col, rep_value **out,
                           size_t *n_out, char *source, size_t cap)
{
    char path[4096], *buf = NULL;
    size_t len = 0;
    int got = read_data(R, file, path, sizeof path, source, cap, &buf, &len);
    if (got) return got;
    csv_lines L = {buf, buf + len, 0, 0, 0};
    char *f[CSV_MAX_FIELDS], *line = csv_next_line(&L);
    int rc = CLKFAC_OK, nf = line ? csv_split(line, f, CSV_MAX_FIELDS) : 0;
    int ce = nf > 0 ? csv_col(f, nf, "environment") : -1, cv = nf > 0 ? csv_col(f, nf, value_col) : -1;
    if (ce < 0 || cv < 0) {
        rc = rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: expected a header with environment,%s", path,
                          L.lineno ? L.lineno : 1, value_col);
        goto done;
    }
    while ((line = csv_next_line(&L))) {
        nf = csv_split(line, f, CSV_MAX_FIELDS);
        double v;
        if (nf <= (ce > cv ? ce : cv) || csv_num(f[cv], &v)) {
            rc = rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: expected environment,%s with a number", path,
                              L.lineno, value_col);
            goto done;
        }
        rep_value *g = realloc(*out, (*n_out + 1) * sizeof *g);
        if (!g) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
        *out = g;
        rep_copy(g[*n_out].env, REP_NAME, f[ce]);
        g[(*n_out)++].value = v;
    }
done:
    free(buf);
    return rc;
}

clkfac_status rep_load_thresholds(report *R)
{
    int rc = load_env_values(R, "thresholds.csv", "threshold", &R->thr, &R->nthr, R->thr_source,
                             sizeof R->thr_source);
    if (rc != REP_ABSENT) return rc;
    if (R->data_opt)
        return rep_err(CLKFAC_ERR_FORMAT, "--data %s: no thresholds.csv there", R->data_opt);
    R->nthr = sizeof BUILTIN_THRESHOLDS / sizeof BUILTIN_THRESHOLDS[0];
    R->thr = malloc(sizeof BUILTIN_THRESHOLDS);
    if (!R->thr) return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    memcpy(R->thr, BUILTIN_THRESHOLDS, sizeof BUILTIN_THRESHOLDS);
    snprintf(R->thr_source, sizeof R->thr_source, "built-in (no data/thresholds.csv found)");
    return CLKFAC_OK;
}

/* The uniform-random policy's mean return per environment (data/random.csv, written from
 * `clkfac env eval --env all`): optional. */
clkfac_status rep_load_random(report *R)
{
    int rc = load_env_values(R, "random.csv", "random_return", &R->rnd, &R->nrnd,
                             R->rnd_source, sizeof R->rnd_source);
    if (rc != REP_ABSENT) return rc;
    snprintf(R->rnd_source, sizeof R->rnd_source, "none (no data/random.csv found)");
    return CLKFAC_OK;
}

static double value_of(const rep_value *t, size_t n, const char *env)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].env, env)) return t[i].value;
    return NAN;
}

double rep_threshold_of(const report *R, const char *env)
{
    double v = value_of(R->thr, R->nthr, env);
    return isfinite(v) ? v : value_of(R->thr_derived, R->nthr_derived, env);
}

int rep_threshold_is_derived(const report *R, const char *env)
{
    return !isfinite(value_of(R->thr, R->nthr, env)) &&
           isfinite(value_of(R->thr_derived, R->nthr_derived, env));
}

double rep_random_of(const report *R, const char *env)
{
    return value_of(R->rnd, R->nrnd, env);
}

clkfac_status rep_load_published(report *R)
{
    char path[4096], *buf = NULL;
    size_t len = 0;
    int got = read_data(R, "published.csv", path, sizeof path, R->pub_source,
                        sizeof R->pub_source, &buf, &len);
    if (got == REP_ABSENT) {
        snprintf(R->pub_source, sizeof R->pub_source, "not found");
        return CLKFAC_OK;
    }
    if (got) return got;
    csv_lines L = {buf, buf + len, 0, 0, 0};
    char *f[CSV_MAX_FIELDS], *line = csv_next_line(&L);
    int rc = CLKFAC_OK, nf = line ? csv_split(line, f, CSV_MAX_FIELDS) : 0;
    static const char *const cols[7] = {"source", "setting", "metric", "algorithm",
                                        "environment", "value", "note"};
    int c[7], need = 0;
    for (int i = 0; i < 7; i++) {
        c[i] = nf > 0 ? csv_col(f, nf, cols[i]) : -1;
        if (c[i] < 0 && i != 6) {
            rc = rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: header lacks '%s' (expected "
                              "source,setting,metric,algorithm,environment,value,note)",
                              path, L.lineno ? L.lineno : 1, cols[i]);
            goto done;
        }
        if (c[i] + 1 > need && i != 6) need = c[i] + 1;
    }
    while ((line = csv_next_line(&L))) {
        if ((rc = split_row(f, &nf, line, need, path, L.lineno))) goto done;
        rep_published *g = realloc(R->pub, (R->npub + 1) * sizeof *g);
        if (!g) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
        R->pub = g;
        rep_published *p = &g[R->npub++];
        snprintf(p->source, sizeof p->source, "%s", f[c[0]]);
        snprintf(p->setting, sizeof p->setting, "%s", f[c[1]]);
        snprintf(p->metric, sizeof p->metric, "%s", f[c[2]]);
        rep_copy(p->algo, REP_NAME, f[c[3]]);
        rep_copy(p->env, REP_NAME, f[c[4]]);
        snprintf(p->value, sizeof p->value, "%s", f[c[5]]);
        snprintf(p->note, sizeof p->note, "%s", c[6] >= 0 && c[6] < nf ? f[c[6]] : "");
    }
done:
    free(buf);
    return rc;
}

/* Returns CLKFAC_OK (also when there is no step data) or an exit code. */
clkfac_status rep_load_steps(report *R, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int err = core_read_file(path, &buf, &len);
    if (err == ENOENT) return CLKFAC_OK;
    if (err) return rep_err(err == EILSEQ ? CLKFAC_ERR_FORMAT : CLKFAC_ERR_IO, "cannot read %s: %s",
                                 path, err == EILSEQ ? "not a text file" : strerror(err));
    csv_lines L = {buf, buf + len, 0, 1, 0};
    char *f[CSV_MAX_FIELDS], *line = csv_next_line(&L);
    int rc = CLKFAC_OK, nf = line ? csv_split(line, f, CSV_MAX_FIELDS) : 0;
    int ca = nf > 0 ? csv_col(f, nf, "algo") : -1, cn = nf > 0 ? csv_col(f, nf, "net") : -1,
        cb = nf > 0 ? csv_col(f, nf, "batch") : -1, cp = nf > 0 ? csv_col(f, nf, "phase") : -1,
        cm = nf > 0 ? csv_col(f, nf, "median_ms") : -1,
        cs = nf > 0 ? csv_col(f, nf, "timesteps_per_second") : -1;
    if (ca < 0 || cb < 0 || cp < 0 || cm < 0) {
        rc = rep_err(CLKFAC_ERR_FORMAT,
                          "%s:%zu: header lacks '%s' (expected algo,net,batch,phase,median_ms,"
                          "timesteps_per_second,...)",
                          path, L.lineno ? L.lineno : 1,
                          ca < 0 ? "algo" : cb < 0 ? "batch" : cp < 0 ? "phase" : "median_ms");
        goto done;
    }
    int need = 0;
    const int cols[6] = {ca, cn, cb, cp, cm, cs};
    for (int i = 0; i < 6; i++)
        if (cols[i] + 1 > need) need = cols[i] + 1;
    while ((line = csv_next_line(&L))) {
        if ((rc = split_row(f, &nf, line, need, path, L.lineno))) goto done;
        rep_step s;
        double b;
        memset(&s, 0, sizeof s);
        if (csv_num(f[cb], &b) || b < 1 || b != floor(b) || b > 1e9) {
            rc = rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: batch '%s' is not a positive whole number",
                              path, L.lineno, f[cb]);
            goto done;
        }
        if (csv_num(f[cm], &s.ms) || s.ms < 0) {
            rc = rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: median_ms '%s' is not a number >= 0", path,
                              L.lineno, f[cm]);
            goto done;
        }
        s.tps = NAN;
        if (cs >= 0 && *f[cs] && (csv_num(f[cs], &s.tps) || s.tps <= 0)) {
            rc = rep_err(CLKFAC_ERR_FORMAT, "%s:%zu: timesteps_per_second '%s' is not a number > 0",
                              path, L.lineno, f[cs]);
            goto done;
        }
        s.batch = (long)b;
        rep_copy(s.algo, REP_NAME, f[ca]);
        rep_copy(s.net, REP_NAME, cn >= 0 && *f[cn] ? f[cn] : "-");
        rep_copy(s.phase, REP_NAME, f[cp]);
        rep_step *g = realloc(R->steps, (R->nsteps + 1) * sizeof *g);
        if (!g) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
        R->steps = g;
        g[R->nsteps++] = s;
    }
    if (L.partial_line)
        rep_warn(R, "%s:%zu: last line has no newline (an interrupted write?); ignored", path,
             L.partial_line);
done:
    free(buf);
    return rc;
}

