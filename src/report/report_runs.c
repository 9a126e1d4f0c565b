/* The report's runs: every DIR/runs/<algo>__<env>__seed<k>/ folder read through the run-folder
 * module, merged over suite folders (a run found twice is taken from the first) and sorted by
 * environment, algorithm and seed, so listing order never changes the report. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/runs.h"
#include "report/report_int.h"

/* <algo>__<env>__seed<k> */
static int parse_run_name(const char *name, char *algo, char *env, long *seed)
{
    const char *a = strstr(name, "__");
    const char *b = a ? strstr(a + 2, "__seed") : NULL;
    if (!a || !b || a == name || b == a + 2 || (size_t)(a - name) >= REP_NAME ||
        (size_t)(b - a - 2) >= REP_NAME)
        return -1;
    char *end = NULL;
    long s = strtol(b + 6, &end, 10);
    if (end == b + 6 || *end) return -1;
    snprintf(algo, REP_NAME, "%.*s", (int)(a - name), name);
    snprintf(env, REP_NAME, "%.*s", (int)(b - a - 2), a + 2);
    *seed = s;
    return 0;
}

static int cmp_run(const void *a, const void *b)
{
    const rep_run *x = a, *y = b;
    int c = strcmp(x->env, y->env);
    if (!c) c = strcmp(x->algo, y->algo);
    if (!c) c = (x->seed > y->seed) - (x->seed < y->seed);
    if (!c) c = strcmp(x->name, y->name);
    return c;
}

/* ---- collecting runs ------------------------------------------------------------------------ */

/* The sub-folders of rdir, sorted (listing order must not matter). */
static clkfac_status list_folders(char ***out, size_t *n_out, const char *rdir, const char *dir)
{
    DIR *d = opendir(rdir);
    if (!d)
        return rep_err(CLKFAC_ERR_FORMAT, "no runs: cannot open %s (%s); expected "
                                          "%s/runs/<algo>__<env>__seed<k>/episodes.csv",
                       rdir, strerror(errno), dir);
    char **names = NULL;
    size_t nn = 0;
    clkfac_status st = CLKFAC_OK;
    struct dirent *de;
    while (!st && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", rdir, de->d_name);
        if (!rep_is_dir(p)) continue;
        char **g = realloc(names, (nn + 1) * sizeof *g);
        if (g) names = g;
        if (!g || !(g[nn] = strdup(de->d_name))) st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
        else nn++;
    }
    closedir(d);
    if (nn) qsort(names, nn, sizeof *names, rep_cmp_str);
    *out = names;
    *n_out = nn;
    return st;
}

/* One run folder into ru: 0 kept, REP_ABSENT skipped (warning given), or an error. Who ran
 * comes from summary.json, else from the folder name; a finished run whose episodes.csv holds
 * fewer episodes than its summary counts is kept, marked damaged, with a warning. */
static clkfac_status read_run(report *R, rep_run *ru, const char *rdir, const char *name)
{
    char path[8400], nalgo[REP_NAME] = "", nenv[REP_NAME] = "";
    long nseed = 0;
    memset(ru, 0, sizeof *ru);
    snprintf(ru->name, sizeof ru->name, "%s", name);
    int named = !parse_run_name(name, nalgo, nenv, &nseed);
    runs_summary sm;
    snprintf(path, sizeof path, "%s/%s/summary.json", rdir, name);
    int s = runs_summary_read(&sm, path);
    if (s < 0) return s;
    if (!(sm.have_algo || named) || !(sm.have_env || named) || !(sm.have_seed || named)) {
        rep_warn(R, "%s/%s: cannot tell the algorithm, environment and seed (summary.json lacks "
                    "them and the name is not <algo>__<env>__seed<k>); skipped", rdir, name);
        return REP_ABSENT;
    }
    rep_copy(ru->algo, REP_NAME, sm.have_algo ? sm.algo : nalgo);
    rep_copy(ru->env, REP_NAME, sm.have_env ? sm.env : nenv);
    ru->seed = sm.have_seed ? sm.seed : nseed;
    ru->wall = sm.wall_seconds;
    ru->finished = sm.finished;
    snprintf(ru->device, sizeof ru->device, "%s", sm.device);
    snprintf(path, sizeof path, "%s/%s/episodes.csv", rdir, name);
    runs_episodes e;
    int rc = runs_episodes_read(&e, path);
    if (rc == RUNS_MISSING) {
        rep_warn(R, "%s/%s: no episodes.csv yet; skipped", rdir, name);
        return REP_ABSENT;
    }
    if (rc) return rc;
    if (e.partial_line)
        rep_warn(R, "%s:%zu: last line has no newline (an interrupted write?); ignored", path,
                 e.partial_line);
    if (e.n == 0) {
        rep_warn(R, "%s: no finished episode yet; run skipped", path);
        runs_episodes_free(&e);
        return REP_ABSENT;
    }
    if (sm.finished == 1 && sm.episodes >= 0 && (long long)e.n != sm.episodes) {
        rep_warn(R, "%s: %zu episodes, but summary.json counts %lld (the file was cut short?); "
                    "the run is reported as it is and listed as damaged",
                 path, e.n, sm.episodes);
        ru->damaged = 1;
    }
    ru->t = e.t;
    ru->r = e.r;
    ru->n = e.n;
    return CLKFAC_OK;
}

/* Appends the runs of dir/runs; a (algo, env, seed) already read from an earlier folder is
 * skipped with a warning. */
static clkfac_status load_runs_from(report *R, const char *dir)
{
    char rdir[4200];
    snprintf(rdir, sizeof rdir, "%s/runs", dir);
    char **names = NULL;
    size_t nn = 0;
    clkfac_status st = list_folders(&names, &nn, rdir, dir);
    rep_run *grown = st ? NULL : realloc(R->runs, (R->nruns + nn + 1) * sizeof *R->runs);
    if (!st && !grown) st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    if (grown) R->runs = grown;
    for (size_t i = 0; i < nn && !st; i++) {
        rep_run *ru = &R->runs[R->nruns];
        int rc = read_run(R, ru, rdir, names[i]);
        if (rc < 0) st = rc;
        if (rc) continue;
        /* one folder per (algo, env, seed): a second would count a seed twice */
        int dup = 0;
        for (size_t k = 0; k < R->nruns && !dup; k++)
            dup = !strcmp(R->runs[k].algo, ru->algo) && !strcmp(R->runs[k].env, ru->env) &&
                  R->runs[k].seed == ru->seed;
        if (dup) {
            rep_warn(R, "%s/%s: %s on %s seed %ld already read from another folder; skipped",
                     rdir, names[i], ru->algo, ru->env, ru->seed);
            free(ru->t);
            free(ru->r);
            continue;
        }
        R->nruns++;
    }
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
    return st;
}

clkfac_status rep_load_runs(report *R)
{
    for (size_t i = 0; i < R->o->n_dirs; i++) {
        clkfac_status st = load_runs_from(R, R->o->dirs[i]);
        if (st) return st;
    }
    if (!R->nruns)
        return rep_err(CLKFAC_ERR_FORMAT, "no runs with episodes under %s (expected "
                                          "<algo>__<env>__seed<k>/episodes.csv folders)",
                       R->dirs_text);
    qsort(R->runs, R->nruns, sizeof *R->runs, cmp_run);
    return CLKFAC_OK;
}
