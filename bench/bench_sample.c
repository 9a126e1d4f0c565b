/* `clkfac bench sample`: the sample-efficiency suite — algorithms x environments x seeds at a
 * step budget, each run trained through the library and written to OUT/runs/<algo>__<env>__seed<k>/
 * exactly as `clkfac train` writes it (report/runs.h), with a manifest OUT/suite.json. Resumable:
 * finished runs are kept, unfinished ones continued from their checkpoint (or restarted from
 * scratch when they have none), so results are deterministic.
 *
 * Under mpirun the runs to do are dealt out across the ranks (each run whole on one rank, on the
 * device of its local rank when the machine has several GPUs and no --device names one): every
 * run folder holds what a single process would write, rank 0 alone checks the folder, probes,
 * writes suite.json and prints the table, and a resume works the same with any number of
 * ranks. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/text.h"
#include "report/runs.h"

#define MAX_ALGOS 8
#define MAX_ENVS 16
#define MAX_SEEDS 64

/* An algorithm as a suite names it: the agent's algorithm, whether it forces separate actor and
 * critic networks (otherwise the environment's preset decides: a shared trunk unless the preset
 * says --separate, as the MuJoCo and Acrobot presets do), and for ACKTR whether the critic is
 * Euclidean (first-order). */
typedef struct variant {
    const char *name;
    clkfac_algo algo;
    int separate;
    int critic_euclidean;
    unsigned stats_every; /* ACKTR's T_s; 0: the preset's (1) */
    float stats_fraction; /* ACKTR's f; 0: the preset's (1) */
} variant;

static const variant VARIANTS[] = {
    {"a2c", CLKFAC_ALGO_A2C, 0, 0, 0, 0},
    {"acktr", CLKFAC_ALGO_ACKTR, 0, 0, 0, 0},
    {"trpo", CLKFAC_ALGO_TRPO, 1, 0, 0, 0}, /* the agent always separates TRPO's networks */
    {"a2c-separate", CLKFAC_ALGO_A2C, 1, 0, 0, 0},
    {"acktr-separate", CLKFAC_ALGO_ACKTR, 1, 0, 0, 0},
    {"acktr-euclidean", CLKFAC_ALGO_ACKTR, 1, 1, 0, 0},
    /* cheaper statistics (README, "The cost of ACKTR per update"): every T_s updates, from the
     * first f of the batch */
    {"acktr-ts10", CLKFAC_ALGO_ACKTR, 0, 0, 10, 0},
    {"acktr-ts2-f0.1", CLKFAC_ALGO_ACKTR, 0, 0, 2, 0.1f},
    {"acktr-ts10-f0.5", CLKFAC_ALGO_ACKTR, 0, 0, 10, 0.5f},
};
#define N_VARIANTS (sizeof VARIANTS / sizeof VARIANTS[0])

typedef bench_sample_preset preset;

static const preset PRESETS[] = {
    {"quick", "a2c,acktr,trpo", "CartPole-v1", "2", 300000,
     "README main job: A2C vs ACKTR vs TRPO on CartPole-v1, seeds 1-2, 300k steps each (about 3 "
     "min on 2 cores)", NULL},
    {"paper", "a2c,acktr,trpo", "CartPole-v1,Acrobot-v1,Pendulum-v1,MinAtar/Breakout-v1", "3", 0,
     "A2C vs ACKTR vs TRPO, seeds 1-3, at the reference budgets (CartPole-v1 and Acrobot-v1 "
     "500k, Pendulum-v1 1M, MinAtar/Breakout-v1 5M steps)", NULL},
    {"pixels", "a2c,acktr,trpo",
     "MinAtar/Breakout-v1,MinAtar/Freeway-v1,MinAtar/SpaceInvaders-v1,MinAtar/Seaquest-v1,"
     "MinAtar/Asterix-v1",
     "3", 1000000,
     "A2C vs ACKTR vs TRPO from pixels (conv 16 3x3 + dense 128) on the five MinAtar games, "
     "seeds 1-3, 1M frames for Breakout, Freeway and Space Invaders and 500k for Seaquest and "
     "Asterix (one thread at 16k / 4k / 2k frames per second for A2C / ACKTR / TRPO: about 40 "
     "min of one idle core per game at 1M, 3 seeds; suites of a few games in their own "
     "folders run in parallel, and `clkfac report A B ...` reports them together)",
     "MinAtar/Seaquest-v1=500000,MinAtar/Asterix-v1=500000"},
    {"mujoco", "a2c,acktr,trpo", "MuJoCo/HalfCheetah-v1,MuJoCo/Hopper-v1,MuJoCo/Reacher-v1", "3",
     1000000,
     "A2C vs ACKTR vs TRPO on the ACKTR paper's MuJoCo tasks HalfCheetah, Hopper and Reacher "
     "(Gaussian policy, separate tanh 64x64 actor and critic), seeds 1-3, 1M steps each",
     NULL},
    {"critic", "acktr,acktr-separate,acktr-euclidean", "CartPole-v1,Pendulum-v1", "3", 0,
     "the ACKTR paper's critic study: ACKTR with the Gauss-Newton critic (shared trunk, and "
     "separate networks each preconditioned by K-FAC) vs ACKTR with a Euclidean critic (separate "
     "critic fitted by Adam at vf_lr 1e-3, actor preconditioned by K-FAC). Seeds 1-3 at the "
     "reference budgets", NULL},
};
#define N_PRESETS (sizeof PRESETS / sizeof PRESETS[0])
static const preset CUSTOM = {"custom", "a2c,acktr", "CartPole-v1", "3", 0, NULL, NULL};

const bench_sample_preset *bench_sample_presets(size_t *count)
{
    if (count) *count = N_PRESETS;
    return PRESETS;
}

typedef struct suite {
    const preset *base;      /* NULL: options only (quick's lists fill what is not given) */
    const char *algos_opt, *envs_opt, *seeds_opt;
    long steps;              /* 0: per-environment budget */
    int steps_given;         /* --steps: every run's budget, over the preset's budgets */
    const variant *algos[MAX_ALGOS];
    size_t n_algos;
    const char *envs[MAX_ENVS]; /* the registry's strings */
    size_t n_envs;
    long seeds[MAX_SEEDS];
    size_t n_seeds;
    const char *out, *device;
    int quiet, report;
    unsigned checkpoint_every;
    char notes[2048];        /* what a preset left out, for suite.json */
    clkfac_comm *comm;       /* NULL: one process */
    int rank, size;          /* notes, suite.json and the table come from rank 0 */
} suite;

enum { RUN_TODO, RUN_DONE, RUN_SKIP };

typedef struct run_cfg {
    const variant *v;
    const char *env;
    long seed, steps, n_envs;
    clkfac_agent_options ag;
    char name[256];          /* <algo>__<env>__seed<k> */
    char dir[4096];
    char key[1024];          /* every setting, to recognise a finished run as this one */
    int state;
} run_cfg;

/* ---- suite specification ------------------------------------------------------------------- */

static const char *env_lookup(const char *name)
{
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ids[i], name)) return ids[i];
    return NULL;
}

static int unknown_env(const char *name)
{
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    fprintf(stderr, "clkfac: --envs '%s': unknown environment; expected one of:", name);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", ids[i]);
    fprintf(stderr, "\n");
    return APP_USAGE;
}

static void note(suite *s, const char *fmt, const char *a, const char *b)
{
    char line[256];
    snprintf(line, sizeof line, fmt, a, b);
    if (!s->quiet && s->rank == 0) printf("note: %s\n", line);
    size_t k = strlen(s->notes);
    snprintf(s->notes + k, sizeof s->notes - k, "%s%s", k ? "; " : "", line);
}

/* Comma lists from the user are strict (exit 2); from a preset, entries this build lacks are
 * left out with a note. */
static int parse_algos(suite *s, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    s->n_algos = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const variant *v = NULL;
        for (size_t i = 0; i < N_VARIANTS; i++)
            if (!strcmp(VARIANTS[i].name, t)) v = &VARIANTS[i];
        if (!v)
            return app_usage_error("--algos '%s': unknown algorithm; expected a2c, acktr, trpo, "
                                   "a2c-separate, acktr-separate or acktr-euclidean (comma-separated)", t);
        for (size_t i = 0; i < s->n_algos; i++)
            if (s->algos[i] == v) return app_usage_error("--algos: '%s' given twice", t);
        if (s->n_algos == MAX_ALGOS) return app_usage_error("--algos: at most %d", MAX_ALGOS);
        s->algos[s->n_algos++] = v;
    }
    if (!s->n_algos) return app_usage_error("--algos '%s': expected e.g. a2c,acktr", list);
    return 0;
}

static int parse_envs(suite *s, const char *list, int strict)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    s->n_envs = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const char *id = env_lookup(t);
        if (!id) {
            if (strict) return unknown_env(t);
            note(s, "%s is not registered in this build; left out of the %s suite", t,
                 s->base ? s->base->name : "custom");
            continue;
        }
        for (size_t i = 0; i < s->n_envs; i++)
            if (s->envs[i] == id) return app_usage_error("--envs: '%s' given twice", t);
        if (s->n_envs == MAX_ENVS) return app_usage_error("--envs: at most %d", MAX_ENVS);
        s->envs[s->n_envs++] = id;
    }
    if (!s->n_envs) return app_usage_error("--envs '%s': expected e.g. CartPole-v1", list);
    return 0;
}

/* A seed or a seed count: a whole number in [lo, hi]; 0, or the usage error printed. */
static int seed_number(const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno)
        return app_usage_error("--seeds '%s': not a whole number (expected a count N for seeds "
                                 "1..N, or a list like 1,2,3)", text);
    if (v < lo || v > hi)
        return app_usage_error("--seeds %s: out of range; expected a value in [%ld, %ld]", text,
                                 lo, hi);
    *out = v;
    return 0;
}

static int parse_seeds(suite *s, const char *list)
{
    s->n_seeds = 0;
    if (!strchr(list, ',')) { /* a count */
        long n;
        if (seed_number(list, 0, MAX_SEEDS, &n)) return APP_USAGE;
        if (n < 1)
            return app_usage_error("--seeds %s: expected at least one seed (a count N >= 1 for "
                                   "seeds 1..N, or a list like 1,2,3)", list);
        for (long k = 1; k <= n; k++) s->seeds[s->n_seeds++] = k;
        return 0;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        long k;
        if (seed_number(t, 0, 2147483647L, &k)) return APP_USAGE;
        for (size_t i = 0; i < s->n_seeds; i++)
            if (s->seeds[i] == k) return app_usage_error("--seeds: seed %ld given twice", k);
        if (s->n_seeds == MAX_SEEDS) return app_usage_error("--seeds: at most %d", MAX_SEEDS);
        s->seeds[s->n_seeds++] = k;
    }
    if (!s->n_seeds) return app_usage_error("--seeds '%s': expected at least one seed", list);
    return 0;
}

/* The suite the options describe: the preset completed or overridden by the lists. */
static int suite_from_options(suite *s, const bench_sample_options *o)
{
    s->base = NULL;
    for (size_t k = 0; o->preset && k < N_PRESETS; k++)
        if (!strcmp(PRESETS[k].name, o->preset)) s->base = &PRESETS[k];
    if (o->preset && !s->base) {
        char names[256] = "";
        for (size_t k = 0; k < N_PRESETS; k++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     k ? (k + 1 < N_PRESETS ? ", " : " or ") : "", PRESETS[k].name);
        return app_usage_error("--preset '%s': unknown preset; expected %s", o->preset, names);
    }
    s->algos_opt = o->algos;
    s->envs_opt = o->envs;
    s->seeds_opt = o->seeds;
    s->steps = (long)o->steps;
    s->steps_given = o->steps > 0;
    s->out = o->out ? o->out : "results/bench-sample";
    s->device = o->device;
    s->quiet = o->quiet;
    s->report = o->report;
    s->checkpoint_every = o->checkpoint_every;
    /* nothing given runs quick; options without a preset fill the rest from CUSTOM */
    if (!s->base && !s->algos_opt && !s->envs_opt && !s->seeds_opt && !s->steps)
        s->base = &PRESETS[0];
    const preset *p = s->base ? s->base : &CUSTOM;
    if (parse_algos(s, s->algos_opt ? s->algos_opt : p->algos) ||
        parse_envs(s, s->envs_opt ? s->envs_opt : p->envs, s->envs_opt != NULL) ||
        parse_seeds(s, s->seeds_opt ? s->seeds_opt : p->seeds))
        return APP_USAGE;
    if (!s->steps) s->steps = p->steps;
    return 0;
}

/* ---- per-run settings --------------------------------------------------------------------- */

/* Reference budgets: the stable-baselines zoo's classic-control runs and the MinAtar paper. */
static long env_budget(const char *env)
{
    if (!strcmp(env, "CartPole-v1") || !strcmp(env, "Acrobot-v1")) return 500000;
    if (!strncmp(env, "MinAtar/", 8)) return 5000000;
    return 1000000;
}

/* A run's step budget: --steps, else the preset's budget for the environment, else the
 * preset's steps, else the environment's reference budget. */
static long run_budget(const suite *s, const char *env)
{
    if (s->steps_given) return s->steps;
    const char *b = s->base ? s->base->budgets : NULL;
    size_t len = strlen(env);
    for (; b && *b; b = strchr(b, ',') ? strchr(b, ',') + 1 : b + strlen(b))
        if (!strncmp(b, env, len) && b[len] == '=') return strtol(b + len + 1, NULL, 10);
    return s->steps ? s->steps : env_budget(env);
}

/* The variant's algorithm and critic, then the environment's settings from data/presets.txt
 * (the learning tests' settings and the references; clkfac train uses the same table), 16
 * copies where the table names none. 0, or an exit code after a message. */
static int run_settings(run_cfg *r)
{
    clkfac_agent_options d = CLKFAC_AGENT_OPTIONS_INIT;
    clkfac_agent_options *o = &r->ag;
    *o = d;
    o->algo = r->v->algo;
    if (r->v->separate) CLKFAC_AGENT_SET(o, shared, 0);
    o->critic_euclidean = r->v->critic_euclidean;
    if (r->v->stats_every) CLKFAC_AGENT_SET(o, stats_every, r->v->stats_every);
    if (r->v->stats_fraction > 0) CLKFAC_AGENT_SET(o, stats_fraction, r->v->stats_fraction);
    unsigned envs = 0;
    clkfac_status st = clkfac_agent_options_preset(o, &envs, r->env, NULL, 0);
    if (st) return app_fail("the environment's preset", st);
    r->n_envs = envs ? envs : 16;
    o->seed = (uint64_t)r->seed;
    o->total_steps = (uint64_t)r->steps;
    clkfac_agent_options_resolve(o, o); /* the version is ours: cannot fail */
    return 0;
}

/* Every option of the run's algorithm (the agent's table) and the copies: a finished run with
 * the same key is this run. */
static int run_key(run_cfg *r)
{
    int k = snprintf(r->key, sizeof r->key, "n_envs=%ld ", r->n_envs);
    clkfac_status st = clkfac_agent_options_text(r->key + k, sizeof r->key - (size_t)k, &r->ag, 0);
    return st ? app_fail("the run's settings", st) : 0;
}

/* ---- run folders --------------------------------------------------------------------------- */

/* 1: finished with these settings and its files are whole; 0: to be (re)done (unfinished, or
 * finished with files that do not match its summary: a note says why); -1: finished with other
 * settings (the folder belongs to another suite); -2: summary.json is corrupt (message
 * printed: the folder is left alone). */
static int run_finished(const suite *s, const run_cfg *r)
{
    char path[4200], why[1200];
    snprintf(path, sizeof path, "%s/summary.json", r->dir);
    runs_summary sm;
    int st = runs_summary_read(&sm, path);
    if (st == RUNS_MISSING) return 0;
    if (st) {
        fprintf(stderr, "clkfac: %s; delete that run folder to redo the run\n", clkfac_last_error());
        return -2;
    }
    if (sm.finished != 1) return 0;
    if (strcmp(sm.suite_settings, r->key)) return -1;
    if (runs_verify(r->dir, &sm, why, sizeof why)) {
        if (!s->quiet) printf("note: %s finished but %s; the run is done again\n", r->name, why);
        return 0;
    }
    return 1;
}

/* An interrupted run restarts from nothing: its folder is emptied first, so no file of the old
 * attempt can be mistaken for the new one's. */
static int clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0; /* not there yet */
    struct dirent *e;
    int rc = 0;
    char path[4400];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path)) {
            fprintf(stderr, "clkfac: cannot remove %s from the unfinished run (clear the folder "
                            "by hand)\n", path);
            rc = APP_RUNTIME;
        }
    }
    closedir(d);
    return rc;
}

/* ---- the suite ----------------------------------------------------------------------------- */

static run_cfg *plan_runs(const suite *s, size_t *n_out)
{
    size_t n = s->n_seeds * s->n_envs * s->n_algos, k = 0;
    run_cfg *runs = calloc(n, sizeof *runs);
    if (!runs) return NULL;
    /* seeds outermost: a suite stopped early has whole comparisons, not one algorithm's runs */
    for (size_t si = 0; si < s->n_seeds; si++)
        for (size_t ei = 0; ei < s->n_envs; ei++)
            for (size_t ai = 0; ai < s->n_algos; ai++, k++) {
                run_cfg *r = &runs[k];
                r->v = s->algos[ai];
                r->env = s->envs[ei];
                r->seed = s->seeds[si];
                r->steps = run_budget(s, r->env);
                if (run_settings(r) || run_key(r)) { /* message printed */
                    free(runs);
                    return NULL;
                }
                char envdir[128];
                snprintf(envdir, sizeof envdir, "%s", r->env);
                for (char *c = envdir; *c; c++)
                    if (*c == '/') *c = '-'; /* MinAtar/Breakout-v1: one folder level */
                snprintf(r->name, sizeof r->name, "%s__%s__seed%ld", r->v->name, envdir, r->seed);
                snprintf(r->dir, sizeof r->dir, "%s/runs/%s", s->out, r->name);
            }
    *n_out = n;
    return runs;
}

/* Creating each pending (algorithm, environment) agent once before any run finds what this
 * build cannot do (CLKFAC_ERR_UNSUPPORTED) and bad settings up front. */
static int probe(suite *s, clkfac_context *ctx, run_cfg *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        run_cfg *r = &runs[i];
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= runs[j].state != RUN_DONE && runs[j].v == r->v && runs[j].env == r->env;
        if (r->state != RUN_TODO || seen) continue;
        clkfac_vecenv *env = NULL;
        clkfac_agent *ag = NULL;
        clkfac_status st = clkfac_vecenv_create(&env, r->env, (size_t)r->n_envs, 0, NULL);
        if (!st) st = clkfac_agent_create(&ag, ctx, env, &r->ag);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
        if (st == CLKFAC_ERR_UNSUPPORTED) {
            if (s->algos_opt)
                return app_usage_error("--algos %s: this build's agent cannot run %s on %s (%s)",
                                       r->v->name, r->v->name, r->env, clkfac_last_error());
            note(s, "%s is not supported by this build's agent; left out on %s", r->v->name,
                 r->env);
            for (size_t j = i; j < n; j++)
                if (runs[j].v == r->v && runs[j].env == r->env) runs[j].state = RUN_SKIP;
        } else if (st) {
            char what[256];
            snprintf(what, sizeof what, "%s on %s", r->v->name, r->env);
            return app_fail(what, st);
        }
    }
    return 0;
}

static json_t *json_strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *manifest_runs(const run_cfg *runs, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(
                a, json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:s}", "name", runs[i].name, "algo",
                             runs[i].v->name, "env", runs[i].env, "seed", (json_int_t)runs[i].seed,
                             "steps", (json_int_t)runs[i].steps, "skipped",
                             runs[i].state == RUN_SKIP, "settings", runs[i].key))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* OUT/suite.json: what the suite is (preset, lists, budgets, notes), every run with its settings,
 * and the provenance. */
static int write_manifest(const suite *s, clkfac_context *ctx, const run_cfg *runs, size_t n)
{
    const char *names[MAX_ALGOS];
    for (size_t i = 0; i < s->n_algos; i++) names[i] = s->algos[i]->name;
    json_t *seeds = json_array();
    for (size_t i = 0; seeds && i < s->n_seeds; i++)
        json_array_append_new(seeds, json_integer((json_int_t)s->seeds[i]));
    json_t *j = json_pack("{s:s, s:s}", "suite", "sample", "preset",
                          s->base ? s->base->name : "custom");
    int bad = !j || !seeds;
    if (!bad && s->base) bad = json_object_set_new(j, "about", json_string(s->base->about));
    if (!bad) bad = json_object_set_new(j, "algos", json_strings(names, s->n_algos));
    if (!bad) bad = json_object_set_new(j, "envs", json_strings(s->envs, s->n_envs));
    if (!bad) bad = json_object_set(j, "seeds", seeds);
    if (!bad)
        bad = json_object_set_new(j, "steps",
                                  s->steps && (s->steps_given || !s->base || !s->base->budgets)
                                      ? json_integer((json_int_t)s->steps)
                                      : json_string("per environment (see runs)"));
    if (!bad) bad = json_object_set_new(j, "notes", json_string(s->notes));
    if (!bad) bad = json_object_set_new(j, "runs", manifest_runs(runs, n));
    if (!bad) bad = json_object_set_new(j, "provenance", runs_provenance_object(ctx));
    char *text = bad ? NULL : json_dumps(j, JSON_INDENT(2));
    json_decref(seeds);
    json_decref(j);
    core_text t = {0};
    if (text) core_text_printf(&t, "%s\n", text);
    free(text);
    char path[4200];
    snprintf(path, sizeof path, "%s/suite.json", s->out);
    clkfac_status st = !text || t.oom ? CLKFAC_ERR_NO_MEMORY : clkfac_file_write_atomic(path, t.s, t.n);
    core_text_free(&t);
    if (st == CLKFAC_ERR_NO_MEMORY) return app_fail("suite.json", st);
    if (st) return app_usage_error("--out %s: cannot write %s: %s", s->out, path, clkfac_last_error());
    return 0;
}

/* One run: continued from its checkpoint when it has one (a checkpoint that cannot be used is
 * named, the folder emptied and the run started again), else from nothing in an emptied folder
 * (no file of an old attempt can be mistaken for the new one's). */
static int train_one(const suite *s, clkfac_context *ctx, const run_cfg *r, size_t k, size_t n,
                     int tty)
{
    clkfac_status st = clkfac_mkdir_p(r->dir);
    if (st) return app_fail(r->dir, st);
    char ck[4200];
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", r->dir);
    int resume = access(ck, F_OK) == 0, rc = APP_OK;
    for (;;) {
        if (!resume && (rc = clear_dir(r->dir))) return rc;
        clkfac_vecenv *env = NULL;
        clkfac_agent *ag = NULL;
        if ((st = clkfac_vecenv_create(&env, r->env, (size_t)r->n_envs, r->ag.seed, NULL)))
            return app_fail("creating the environments", st);
        if ((st = clkfac_agent_create(&ag, ctx, env, &r->ag))) {
            clkfac_vecenv_free(env);
            return app_fail("creating the agent", st);
        }
        char prefix[256];
        snprintf(prefix, sizeof prefix, "run %zu/%zu %s %s seed %ld ", k + 1, n, r->v->name,
                 r->env, r->seed);
        runs_spec spec = {r->dir, r->env, r->steps, r->n_envs, &r->ag, r->v->name, r->key, 10.0,
                          tty, prefix, s->checkpoint_every, 0, resume, NULL};
        runs_result res;
        st = runs_train(&spec, ctx, env, ag, &res);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
        if (st && resume && res.resumed == 0 && res.failed && !strcmp(res.failed, "resuming")) {
            if (!s->quiet)
                printf("note: %s: %s; the run starts again\n", r->name, clkfac_last_error());
            resume = 0;
            continue;
        }
        if (st) { /* a diverged run is exit 3, as in clkfac train */
            app_fail(res.failed, st);
            return app_train_exit_code(st, res.failed);
        }
        if (!s->quiet) {
            char who[32] = "";
            if (s->size > 1) snprintf(who, sizeof who, "[rank %d] ", s->rank);
            printf("%srun %zu/%zu %s %s seed %ld: %llu steps, mean return (last %zu) %.2f, %.1f s%s\n",
                   who, k + 1, n, r->v->name, r->env, r->seed, (unsigned long long)res.timesteps,
                   res.recent_n, res.recent_mean, res.wall_seconds,
                   res.resumed == 1 ? " (resumed from its checkpoint)" : "");
            fflush(stdout);
        }
        return APP_OK;
    }
}

/* Final mean return (last 100 episodes) per environment and algorithm, mean and spread over the
 * seeds whose runs finished, read back from the summaries so kept runs count too. */
static void print_table(const suite *s, const run_cfg *runs, size_t n)
{
    printf("\n%-22s %-16s %-6s %-22s %s\n", "environment", "algorithm", "seeds",
           "final return (mean+-sd)", "wall s (mean)");
    for (size_t ei = 0; ei < s->n_envs; ei++)
        for (size_t ai = 0; ai < s->n_algos; ai++) {
            double sum = 0, sq = 0, wall = 0;
            size_t m = 0, planned = 0;
            for (size_t i = 0; i < n; i++) {
                if (runs[i].env != s->envs[ei] || runs[i].v != s->algos[ai]) continue;
                if (runs[i].state == RUN_SKIP) continue;
                planned++;
                char path[4200];
                snprintf(path, sizeof path, "%s/summary.json", runs[i].dir);
                runs_summary sm;
                if (runs_summary_read(&sm, path)) continue;
                double v = sm.final_mean_return_100, w = sm.wall_seconds;
                int fin = sm.finished == 1;
                if (!fin || isnan(v)) continue;
                sum += v;
                sq += v * v;
                wall += isnan(w) ? 0 : w;
                m++;
            }
            if (!planned) continue;
            char cell[64] = "n/a", seeds[48];
            if (m) {
                double mean = sum / (double)m;
                double var = m > 1 ? (sq - (double)m * mean * mean) / (double)(m - 1) : 0;
                snprintf(cell, sizeof cell, "%.1f +- %.1f", mean, sqrt(var > 0 ? var : 0));
            }
            snprintf(seeds, sizeof seeds, "%zu/%zu", m, planned);
            printf("%-22s %-16s %-6s %-22s %.1f\n", s->envs[ei], s->algos[ai]->name, seeds, cell,
                   m ? wall / (double)m : 0.0);
        }
}

/* The device of this rank: --device or CLKFAC_DEVICE when given; else, with several ranks on a
 * machine that has more than one GPU, GPU (local rank mod count), so the ranks of a node share
 * its GPUs; else the default. spec is the buffer for a "P:D" spec. */
static const char *rank_device(const suite *s, char *spec, size_t cap)
{
    const char *env = getenv("CLKFAC_DEVICE");
    if ((s->device && *s->device) || (env && *env) || clkfac_comm_local_size(s->comm) < 2)
        return s->device;
    clkfac_device_info *dev = NULL;
    size_t n = 0, gpus = 0;
    if (clkfac_device_list(&dev, &n)) return s->device; /* app_context reports the failure */
    for (size_t i = 0; i < n; i++) gpus += !strcmp(dev[i].type, "GPU");
    const char *pick = s->device;
    if (gpus > 1) {
        size_t want = (size_t)clkfac_comm_local_rank(s->comm) % gpus, k = 0;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(dev[i].type, "GPU") && k++ == want) {
                snprintf(spec, cap, "%d:%d", dev[i].platform_index, dev[i].device_index);
                pick = spec;
            }
    }
    free(dev);
    return pick;
}

/* Deals the runs to do out to the ranks: in suite order, each to the rank with the fewest steps
 * dealt so far (the lowest such rank on ties), so equal budgets go round-robin. owner[i] = rank
 * of run i (-1: nothing to do). The same on every rank: it depends only on the plan. */
static void deal_runs(const run_cfg *runs, size_t n, int size, int *owner)
{
    long long load[256] = {0};
    for (size_t i = 0; i < n; i++) {
        owner[i] = -1;
        if (runs[i].state != RUN_TODO) continue;
        int best = 0;
        for (int r = 1; r < size && r < 256; r++)
            if (load[r] < load[best]) best = r;
        owner[i] = best;
        load[best] += runs[i].steps;
    }
}

/* Rank 0's verdict to every rank: an exit code, and the state of every run. */
static int share_states(suite *s, int rc, run_cfg *runs, size_t n)
{
    if (s->size < 2) return rc;
    int64_t *v = calloc(n + 1, sizeof *v);
    if (!v) return app_fail("bench sample", CLKFAC_ERR_NO_MEMORY);
    v[0] = rc;
    for (size_t i = 0; i < n; i++) v[i + 1] = runs[i].state;
    clkfac_status st = clkfac_comm_bcast(s->comm, v, (n + 1) * sizeof *v, 0);
    if (!st) {
        rc = (int)v[0];
        for (size_t i = 0; i < n; i++) runs[i].state = (int)v[i + 1];
    }
    free(v);
    return st ? app_fail("sharing the suite's state between ranks", st) : rc;
}

/* Rank 0: checks the folder and every run's state (finished, to do, or a folder that belongs
 * to another suite): an exit code (message printed), *todo the runs to do. */
static int check_runs(const suite *s, run_cfg *runs, size_t n, size_t *todo)
{
    char runs_dir[4200];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", s->out);
    if (clkfac_mkdir_p(runs_dir) || access(runs_dir, W_OK))
        return app_usage_error("--out %s: cannot create or write the results folder %s: %s",
                               s->out, runs_dir, clkfac_last_error());
    *todo = 0;
    for (size_t i = 0; i < n; i++) {
        int f = run_finished(s, &runs[i]);
        if (f == -2) return APP_USAGE;
        if (f < 0)
            return app_usage_error("%s finished with other settings than this suite asks (%s); "
                                   "use another --out or delete that folder", runs[i].dir,
                                   runs[i].key);
        runs[i].state = f ? RUN_DONE : RUN_TODO;
        *todo += !f;
    }
    return 0;
}

int bench_sample_run(const bench_sample_options *o)
{
    suite s;
    memset(&s, 0, sizeof s);
    s.comm = o->comm;
    s.rank = clkfac_comm_rank(o->comm);
    s.size = clkfac_comm_size(o->comm);
    if (s.size > 256) return app_usage_error("bench sample: %d ranks; at most 256", s.size);
    /* the options are checked by rank 0 alone (one message), then by the others in silence */
    int rc = s.rank == 0 ? suite_from_options(&s, o) : 0;
    if (s.size > 1) {
        int64_t v = rc;
        clkfac_status st = clkfac_comm_bcast(s.comm, &v, sizeof v, 0);
        if (st) return app_fail("sharing the suite's options between ranks", st);
        rc = (int)v;
        if (!rc && s.rank) rc = suite_from_options(&s, o); /* keeps comm, rank, size */
    }
    if (rc) return rc;
    size_t n = 0, todo = 0;
    run_cfg *runs = plan_runs(&s, &n);
    if (!runs) return app_fail("bench sample", CLKFAC_ERR_NO_MEMORY);
    int *owner = calloc(n ? n : 1, sizeof *owner);
    if (!owner) {
        free(runs);
        return app_fail("bench sample", CLKFAC_ERR_NO_MEMORY);
    }
    if (s.rank == 0) rc = check_runs(&s, runs, n, &todo);
    rc = share_states(&s, rc, runs, n);
    clkfac_context *ctx = NULL;
    char spec[32];
    if (!rc && s.rank == 0) {
        if (todo) { /* a finished suite needs no device: re-running it is instant */
            int ctx_rc = APP_RUNTIME;
            if (!(ctx = app_context(rank_device(&s, spec, sizeof spec), &ctx_rc)))
                rc = ctx_rc;
            else
                rc = probe(&s, ctx, runs, n);
        }
        if (!rc) rc = write_manifest(&s, ctx, runs, n);
    }
    rc = share_states(&s, rc, runs, n); /* probe's verdicts (runs this build cannot do) */
    deal_runs(runs, n, s.size, owner);
    int mine = 0;
    for (size_t i = 0; i < n; i++) mine |= owner[i] == s.rank;
    if (!rc && mine && !ctx) {
        int ctx_rc = APP_RUNTIME;
        if (!(ctx = app_context(rank_device(&s, spec, sizeof spec), &ctx_rc))) rc = ctx_rc;
    }
    int tty = !s.quiet && s.size == 1 && isatty(fileno(stderr));
    for (size_t i = 0; i < n && !rc; i++) {
        if (runs[i].state == RUN_DONE && !s.quiet && s.rank == 0)
            printf("run %zu/%zu %s %s seed %ld: finished earlier; kept\n", i + 1, n,
                   runs[i].v->name, runs[i].env, runs[i].seed);
        if (owner[i] == s.rank) rc = train_one(&s, ctx, &runs[i], i, n, tty);
    }
    if (s.size > 1) { /* every rank ends with the worst exit code of any */
        int64_t v = rc;
        clkfac_status st = clkfac_comm_allreduce(s.comm, &v, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_MAX);
        rc = st ? app_fail("gathering the ranks' results", st) : (int)v;
    }
    if (s.rank == 0) {
        if (!s.quiet && rc != APP_USAGE) print_table(&s, runs, n);
        if (!rc && !s.quiet && !s.report) {
            printf("\nresults in %s; tables and plots: clkfac report %s\n", s.out, s.out);
        } else if (rc == APP_RUNTIME) {
            fprintf(stderr, "clkfac: finished runs are kept; run the same command again to resume\n");
        }
    }
    clkfac_context_free(ctx);
    free(owner);
    free(runs);
    return rc;
}
