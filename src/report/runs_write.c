/* Writing a run folder (see runs.h): episodes are drained from the vector env and update
 * statistics from the device in blocks, appended to in-memory CSVs, and the files rewritten
 * atomically now and then, so an interrupted run always leaves valid files. summary.json is
 * built with jansson; its options block comes from one function (summary_options). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/text.h"
#include "report/runs.h"
#include "report/runs_checkpoint.h"

/* summary.json: two-space indent; 15 significant digits give back the short decimals the
 * numbers are rounded to (0.001, not 0.0010000000474974513). */
#define RUNS_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

/* Numerical events counted over the run (run_files.events), and the unrecoverable case: this
 * many consecutive updates skipped for non-finite values ends the run as diverged. */
enum { RUNS_EVENT_SKIPPED, RUNS_EVENT_DAMPING, RUNS_EVENT_EIGEN, RUNS_EVENT_RUN };
#define RUNS_MAX_SKIPPED 10

typedef struct run_files {
    core_text episodes, updates;
    size_t n_episodes;
    double recent[100]; /* last 100 returns, ring */
    size_t recent_n, recent_i;
    uint64_t events[4]; /* numerical events so far (RUNS_EVENT_*) */
} run_files;

/* 1 when DIR/name could not be summed (errno in *err) */
static int digest_json(json_t *files, const char *dir, const char *name)
{
    uint64_t bytes = 0, sum = 0;
    if (runs_file_digest(dir, name, &bytes, &sum)) return 1;
    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sum);
    return json_object_set_new(files, name, json_pack("{s:I, s:s}", "bytes", (json_int_t)bytes,
                                                      "fnv1a64", hex));
}

static double recent_mean(const run_files *f)
{
    if (!f->recent_n) return NAN;
    double s = 0;
    for (size_t i = 0; i < f->recent_n; i++) s += f->recent[i];
    return s / (double)f->recent_n;
}

/* The header of updates.csv: the common columns, then the algorithm's own. */
static int updates_header(core_text *t, const clkfac_agent_options *o)
{
    return core_text_printf(t, "update,timestep,loss,policy_loss,value_loss,entropy,grad_norm,lr%s%s\n",
                            o->algo == CLKFAC_ALGO_TRPO    ? ",kl,cg_residual,ls_steps,accepted"
                            : o->algo != CLKFAC_ALGO_ACKTR ? ""
                            : o->measure_kl                ? ",trust_q,trust_nu,damping,kl"
                                                           : ",trust_q,trust_nu,damping",
                            o->algo == CLKFAC_ALGO_ACKTR ? ",skipped,damping_raised,eigen_fallback"
                                                         : ",skipped");
}

static int update_row(core_text *t, const clkfac_update_stats *s, const clkfac_agent_options *o)
{
    core_text_printf(t, "%llu,%llu,%.7g,%.7g,%.7g,%.7g,%.7g,%.7g", (unsigned long long)s->update,
                     (unsigned long long)s->timestep, s->loss, s->policy_loss, s->value_loss,
                     s->entropy, s->grad_norm, s->lr);
    if (o->algo == CLKFAC_ALGO_ACKTR)
        core_text_printf(t, ",%.7g,%.7g,%.7g", s->trust_q, s->trust_nu,
                         (double)(o->kfac_damping + o->weight_decay));
    if (o->algo == CLKFAC_ALGO_ACKTR && o->measure_kl) core_text_printf(t, ",%.7g", s->kl);
    if (o->algo == CLKFAC_ALGO_TRPO)
        core_text_printf(t, ",%.7g,%.7g,%.7g,%.7g", s->kl, s->cg_residual, s->ls_steps,
                         s->accepted);
    /* the update's numerical events (recovered from; see clkfac_update_stats) */
    core_text_printf(t, ",%.0f", (double)s->skipped);
    if (o->algo == CLKFAC_ALGO_ACKTR)
        core_text_printf(t, ",%.0f,%.0f", (double)s->damping_raised, (double)s->eigen_fallback);
    return core_text_printf(t, "\n");
}

static clkfac_status drain(clkfac_agent *ag, clkfac_vecenv *env, run_files *f,
                           const clkfac_agent_options *o)
{
    clkfac_episode_record rec[256];
    size_t k;
    while ((k = clkfac_vecenv_drain(env, rec, 256)) > 0)
        for (size_t i = 0; i < k; i++) {
            if (core_text_printf(&f->episodes, "%llu,%zu,%.6g,%llu\n",
                                 (unsigned long long)rec[i].timestep, f->n_episodes++, rec[i].ret,
                                 (unsigned long long)rec[i].length))
                return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for episodes.csv");
            f->recent[f->recent_i] = rec[i].ret;
            f->recent_i = (f->recent_i + 1) % 100;
            if (f->recent_n < 100) f->recent_n++;
        }
    clkfac_update_stats st[256];
    size_t n = 0;
    clkfac_status diverged = CLKFAC_OK;
    do {
        clkfac_status s = clkfac_agent_read_stats(ag, st, 256, &n);
        if (s) return s;
        for (size_t i = 0; i < n; i++) {
            if (update_row(&f->updates, &st[i], o))
                return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for updates.csv");
            f->events[RUNS_EVENT_SKIPPED] += st[i].skipped > 0;
            f->events[RUNS_EVENT_DAMPING] += (uint64_t)st[i].damping_raised;
            f->events[RUNS_EVENT_EIGEN] += (uint64_t)st[i].eigen_fallback;
            f->events[RUNS_EVENT_RUN] = st[i].skipped > 0 ? f->events[RUNS_EVENT_RUN] + 1 : 0;
            if (f->events[RUNS_EVENT_RUN] == RUNS_MAX_SKIPPED && !diverged)
                diverged = CORE_FAIL(CLKFAC_ERR_NONFINITE, "training diverged: %llu updates in a row "
                                 "(to update %llu, timestep %llu) met a non-finite gradient or "
                                 "step and were skipped", (unsigned long long)RUNS_MAX_SKIPPED,
                                 (unsigned long long)st[i].update,
                                 (unsigned long long)st[i].timestep);
        }
    } while (n == 256);
    return diverged; /* every row is written first */
}

static clkfac_status write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return clkfac_file_write_atomic(path, data, len);
}

json_t *runs_provenance_object(clkfac_context *ctx)
{
    char *prov = NULL;
    if (clkfac_provenance(&prov, ctx)) return NULL;
    json_t *o = json_object();
    for (char *save = NULL, *line = strtok_r(prov, "\n", &save); o && line;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strstr(line, ": ");
        if (!colon) continue;
        *colon = '\0';
        if (json_object_set_new(o, line, json_string(colon + 2))) {
            json_decref(o);
            o = NULL;
        }
    }
    free(prov);
    return o;
}

/* A number as the printf format fmt shows it (so summary.json keeps the old precision). */
static json_t *real_as(const char *fmt, double v)
{
    if (!isfinite(v)) return json_null();
    char b[64];
    snprintf(b, sizeof b, fmt, v);
    return json_real(strtod(b, NULL));
}

static json_t *uint_json(uint64_t v) { return json_integer((json_int_t)v); }

/* The "options" block of summary.json: the number of environment copies and every agent option
 * that applies to the algorithm, as the agent's option table writes them (networks as the agent
 * resolved them). */
static clkfac_status summary_options(json_t **out, const runs_spec *s, clkfac_agent *ag)
{
    clkfac_agent_options shown = *s->ag;
    shown.net = clkfac_agent_net(ag);
    shown.activation = clkfac_agent_activation(ag);
    char opts[4096], text[4200];
    clkfac_status st = clkfac_agent_options_text(opts, sizeof opts, &shown, 1);
    if (st) return st;
    snprintf(text, sizeof text, "{\"n_envs\": %ld, %s}", s->n_envs, opts);
    json_error_t err;
    *out = json_loads(text, 0, &err);
    if (!*out)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "the options text is not JSON (%s): %s", err.text,
                         text);
    return CLKFAC_OK;
}

static json_t *summary_timing(clkfac_agent *ag)
{
    clkfac_agent_timing tm;
    clkfac_agent_timing_get(&tm, ag);
    uint64_t up = clkfac_agent_updates(ag);
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "env_seconds", real_as("%.3f", tm.env_seconds),
                     "inference_seconds", real_as("%.3f", tm.inference_seconds),
                     "update_seconds", real_as("%.3f", tm.update_seconds),
                     "blocking_calls", uint_json(tm.blocking_calls),
                     "blocking_calls_per_update",
                     real_as("%.2f", up ? (double)tm.blocking_calls / (double)up : 0.0));
}

static clkfac_status write_summary(const runs_spec *s, clkfac_context *ctx, clkfac_agent *ag,
                                   const run_files *f, double wall, int finished)
{
    const clkfac_agent_options *o = s->ag;
    uint64_t ts = clkfac_agent_timestep(ag);
    json_t *options = NULL;
    clkfac_status st = summary_options(&options, s, ag);
    if (st) return st;
    json_t *j = json_pack(
        "{s:s, s:s, s:o, s:b, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "algo", s->label ? s->label : clkfac_algo_name(o->algo), "env", s->env,
        "seed", uint_json(o->seed), "finished", finished, "steps_requested", (json_int_t)s->steps,
        "timesteps", uint_json(ts), "updates", uint_json(clkfac_agent_updates(ag)),
        "episodes", uint_json(f->n_episodes),
        "final_mean_return_100", real_as("%.6g", recent_mean(f)),
        "wall_seconds", real_as("%.3f", wall),
        "timesteps_per_second", real_as("%.1f", wall > 0 ? (double)ts / wall : 0.0),
        "timing", summary_timing(ag), "options", options);
    if (j && json_object_set_new(j, "events",
                                 json_pack("{s:o, s:o, s:o}", "skipped_updates",
                                           uint_json(f->events[RUNS_EVENT_SKIPPED]),
                                           "damping_raised", uint_json(f->events[RUNS_EVENT_DAMPING]),
                                           "eigen_fallbacks",
                                           uint_json(f->events[RUNS_EVENT_EIGEN])))) {
        json_decref(j);
        j = NULL;
    }
    int bad = !j;
    if (!bad && s->suite_settings)
        bad = json_object_set_new(j, "suite_settings", json_string(s->suite_settings));
    if (!bad && s->preset) bad = json_object_set_new(j, "preset", json_string(s->preset));
    if (!bad) bad = json_object_set_new(j, "provenance", runs_provenance_object(ctx));
    if (!bad && finished) { /* what a resume checks before it trusts the finished run */
        json_t *files = json_object();
        static const char *const names[] = {"episodes.csv", "updates.csv", "policy.npy",
                                            "policy.txt"};
        for (size_t i = 0; files && i < 4; i++)
            if (digest_json(files, s->dir, names[i])) {
                json_decref(j);
                json_decref(files);
                return CORE_FAIL(CLKFAC_ERR_IO, "%s/%s: cannot read it back to record its checksum",
                                 s->dir, names[i]);
            }
        bad = !files || json_object_set_new(j, "files", files);
    }
    char *text = bad ? NULL : json_dumps(j, RUNS_JSON_FLAGS);
    json_decref(j);
    if (!text) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for summary.json");
    core_text t = {0};
    core_text_printf(&t, "%s\n", text);
    free(text);
    st = t.oom ? CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory")
               : write_file(s->dir, "summary.json", t.s, t.n);
    core_text_free(&t);
    return st;
}

static clkfac_status flush_files(const runs_spec *s, const run_files *f)
{
    clkfac_status st = write_file(s->dir, "episodes.csv", f->episodes.s, f->episodes.n);
    return st ? st : write_file(s->dir, "updates.csv", f->updates.s, f->updates.n);
}

static void progress(const runs_spec *s, clkfac_agent *ag, const run_files *f, double elapsed)
{
    uint64_t ts = clkfac_agent_timestep(ag);
    double frac = (double)ts / (double)s->steps;
    if (frac > 1) frac = 1;
    int filled = (int)(frac * 24);
    char bar[32];
    for (int i = 0; i < 24; i++) bar[i] = i < filled ? '#' : '.';
    bar[24] = '\0';
    double sps = elapsed > 0 ? (double)ts / elapsed : 0;
    double eta = sps > 0 ? ((double)s->steps - (double)ts) / sps : 0;
    double m = recent_mean(f);
    fprintf(stderr, "\r\033[K%s[%s] %3.0f%% %llu/%ld steps | return %s%.1f (last %zu) | %.0f steps/s | ETA %.0fm%02.0fs",
            s->prefix ? s->prefix : "", bar, 100 * frac, (unsigned long long)ts, s->steps,
            isnan(m) ? "n/a " : "", isnan(m) ? 0.0 : m, f->recent_n, sps, floor(eta / 60),
            fmod(eta, 60));
    fflush(stderr);
}

/* policy.npy (the trained parameters, clkfac_agent_read_params order), then policy.txt (what
 * rebuilds the networks; runs_policy_load reads both). */
static clkfac_status write_policy(const runs_spec *s, clkfac_agent *ag)
{
    const clkfac_agent_options *o = s->ag;
    size_t n = 0;
    clkfac_status st = clkfac_agent_read_params(ag, NULL, 0, &n);
    float *p = st ? NULL : malloc(n * sizeof *p);
    if (!st && !p) st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for the policy");
    if (!st) st = clkfac_agent_read_params(ag, p, n, &n);
    for (size_t i = 0; !st && i < n; i++)
        if (!isfinite(p[i]))
            st = CORE_FAIL(CLKFAC_ERR_NONFINITE, "training diverged: trained parameter %zu of "
                           "%zu is %g; no policy written", i, n, (double)p[i]);
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/policy.npy", s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!st) st = clkfac_npy_write(tmp, p, 1, &n);
    free(p);
    if (!st && rename(tmp, path)) {
        st = CORE_FAIL(CLKFAC_ERR_IO, "cannot rename %s to %s", tmp, path);
        remove(tmp);
    }
    if (st) return st;
    core_text t = {0};
    core_text_printf(&t, "# clkfac policy: policy.npy holds the parameters of these networks\n"
                         "format=%d\nenv=%s\nalgo=%s\nnet=%s\nactivation=%s\nshared=%d\n"
                         "critic_euclidean=%d\nn_params=%zu\nseed=%llu\ntimesteps=%llu\n",
                     RUNS_POLICY_FORMAT, s->env, clkfac_algo_name(o->algo), clkfac_agent_net(ag),
                     clkfac_agent_activation(ag), o->shared, o->critic_euclidean, n,
                     (unsigned long long)o->seed, (unsigned long long)clkfac_agent_timestep(ag));
    st = t.oom ? CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for policy.txt")
               : write_file(s->dir, "policy.txt", t.s, t.n);
    core_text_free(&t);
    return st;
}

/* What must match for a checkpoint to be resumed: the run's own settings and every agent
 * option of its algorithm (networks as the agent resolved them), as "key=value" lines. */
static char *run_settings(const runs_spec *s, clkfac_agent *ag)
{
    clkfac_agent_options o = *s->ag;
    o.net = clkfac_agent_net(ag);
    o.activation = clkfac_agent_activation(ag);
    core_text t = {0};
    core_text_printf(&t, "env=%s\nsteps=%ld\nn_envs=%ld\nlabel=%s\nsuite_settings=%s\n", s->env,
                     s->steps, s->n_envs, s->label ? s->label : "",
                     s->suite_settings ? s->suite_settings : "");
    size_t n = 0;
    const clkfac_option *rows = clkfac_agent_option_table(&n);
    for (size_t i = 0; i < n; i++) {
        const clkfac_option *d = &rows[i];
        if (!(d->algos & (1u << o.algo))) continue;
        if (d->type == CLKFAC_OPTION_STRING) {
            const char *v = *(const char *const *)(const void *)((const char *)&o + d->offset);
            core_text_printf(&t, "%s=%s\n", d->name, v ? v : "");
        } else {
            core_text_printf(&t, "%s=%.17g\n", d->name, clkfac_option_get(d, &o));
        }
    }
    if (t.oom) core_text_free(&t);
    return t.s;
}

static int core_text_reset(core_text *t, const char *data, size_t n)
{
    t->n = 0;
    if (t->s) t->s[0] = '\0';
    return core_text_put(t, data, n);
}

/* A checkpoint: everything read from the device and the environments so far goes to the files
 * (episodes.csv, updates.csv, summary.json), then checkpoint.bin records the agent, the
 * environments, the counters and how many bytes of each CSV belong to this point. */
static clkfac_status checkpoint(const runs_spec *s, clkfac_context *ctx, clkfac_vecenv *env,
                                clkfac_agent *ag, run_files *f, double wall)
{
    clkfac_status st;
    if ((st = drain(ag, env, f, s->ag)) || (st = clkfac_context_check(ctx)) ||
        (st = flush_files(s, f)) || (st = write_summary(s, ctx, ag, f, wall, 0)))
        return st;
    runs_checkpoint c;
    memset(&c, 0, sizeof c);
    c.settings = run_settings(s, ag);
    c.episodes_bytes = f->episodes.n;
    c.episodes_sum = core_fnv1a(CORE_FNV_INIT, f->episodes.s, f->episodes.n);
    c.updates_bytes = f->updates.n;
    c.updates_sum = core_fnv1a(CORE_FNV_INIT, f->updates.s, f->updates.n);
    c.n_episodes = f->n_episodes;
    c.recent_n = f->recent_n;
    c.recent_i = f->recent_i;
    memcpy(c.recent, f->recent, sizeof c.recent);
    c.wall_seconds = wall;
    c.envs_size = clkfac_vecenv_state_size(env);
    c.envs = malloc(c.envs_size);
    if (!c.settings || !c.envs)
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for the checkpoint");
    if (!st) st = clkfac_vecenv_get_state(env, c.envs, c.envs_size);
    if (!st) st = clkfac_agent_get_state(&c.agent, &c.agent_size, ag);
    if (!st) st = runs_checkpoint_write(s->dir, &c);
    runs_checkpoint_free(&c);
    return st;
}

/* A CSV of the run folder must still begin with the bytes the checkpoint counted; *t gets them. */
static clkfac_status csv_prefix(core_text *t, const runs_spec *s, const char *name, uint64_t bytes,
                                uint64_t sum)
{
    char path[4200], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    int err = core_read_file(path, &text, &len);
    if (err)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: cannot read it (%s); the checkpoint needs "
                               "its first %llu bytes", path, strerror(err),
                               (unsigned long long)bytes);
    clkfac_status st = CLKFAC_OK;
    if (len < bytes || core_fnv1a(CORE_FNV_INIT, text, (size_t)bytes) != sum)
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: %zu bytes that do not begin with the %llu "
                             "bytes the checkpoint recorded (changed or cut short); not resumed",
                             path, len, (unsigned long long)bytes);
    else if (core_text_reset(t, text, (size_t)bytes))
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for %s", path);
    free(text);
    return st;
}

/* --resume: *how = 2 when the run had finished and its files check out (nothing to do), 1 when
 * the agent, environments and files were restored from checkpoint.bin, 0 when there is no
 * checkpoint (a fresh start). A finished run whose files disagree with summary.json, a corrupt
 * checkpoint or one of another run is refused (CLKFAC_ERR_FORMAT naming it). */
static clkfac_status resume(const runs_spec *s, clkfac_vecenv *env, clkfac_agent *ag,
                            run_files *f, double *wall0, int *how, runs_result *res)
{
    char path[4200], why[1200];
    *how = 0;
    snprintf(path, sizeof path, "%s/summary.json", s->dir);
    runs_summary sm;
    if (runs_summary_read(&sm, path) == CLKFAC_OK && sm.finished == 1) {
        if (runs_verify(s->dir, &sm, why, sizeof why))
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s says the run finished, but %s: not "
                                   "trusted (delete the folder to train it again)", path, why);
        *how = 2;
        res->episodes = sm.episodes > 0 ? (size_t)sm.episodes : 0;
        res->recent_mean = sm.final_mean_return_100;
        res->recent_n = sm.episodes > 100 ? 100 : res->episodes;
        res->wall_seconds = sm.wall_seconds;
        return CLKFAC_OK;
    }
    runs_checkpoint c;
    int rc = runs_checkpoint_read(&c, s->dir);
    if (rc == RUNS_MISSING) return CLKFAC_OK;
    if (rc) return (clkfac_status)rc;
    clkfac_status st = CLKFAC_OK;
    char *want = run_settings(s, ag), what[1024];
    if (!want) st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    else if (!runs_settings_diff(c.settings, want, what, sizeof what))
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s/%s was written by a run with other settings: "
                             "%s; resume with the same options, or delete the folder", s->dir,
                             RUNS_CHECKPOINT_FILE, what);
    free(want);
    if (!st) st = csv_prefix(&f->episodes, s, "episodes.csv", c.episodes_bytes, c.episodes_sum);
    if (!st) st = csv_prefix(&f->updates, s, "updates.csv", c.updates_bytes, c.updates_sum);
    if (!st && (st = clkfac_vecenv_set_state(env, c.envs, c.envs_size)))
        CORE_FAIL_INPUT(st, "%s/%s: environment state: %s", s->dir, RUNS_CHECKPOINT_FILE,
                        clkfac_last_error());
    if (!st && (st = clkfac_agent_set_state(ag, c.agent, c.agent_size)))
        CORE_FAIL_INPUT(st, "%s/%s: %s", s->dir, RUNS_CHECKPOINT_FILE, clkfac_last_error());
    if (!st) {
        clkfac_vecenv_clear_episodes(env);
        f->n_episodes = (size_t)c.n_episodes;
        f->recent_n = (size_t)c.recent_n;
        f->recent_i = (size_t)c.recent_i;
        memcpy(f->recent, c.recent, sizeof f->recent);
        memcpy(f->events, c.events, sizeof f->events);
        *wall0 = c.wall_seconds;
        *how = 1;
    }
    runs_checkpoint_free(&c);
    return st;
}

/* The first failure is kept: what failed and its status. */
static void note_fail(clkfac_status *first, const char **what, clkfac_status st, const char *w)
{
    if (st && !*first) {
        *first = st;
        *what = w;
    }
}

clkfac_status runs_train(const runs_spec *s, clkfac_context *ctx, clkfac_vecenv *env,
                         clkfac_agent *ag, runs_result *res)
{
    const clkfac_agent_options *o = s->ag;
    memset(res, 0, sizeof *res);
    res->recent_mean = NAN;
    run_files *f = calloc(1, sizeof *f);
    if (!f || core_text_printf(&f->episodes, "timestep,episode,return,length\n") ||
        updates_header(&f->updates, o)) {
        if (f) {
            core_text_free(&f->episodes);
            core_text_free(&f->updates);
        }
        free(f);
        res->failed = "train";
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    clkfac_status st = CLKFAC_OK, first = CLKFAC_OK;
    const char *what = NULL;
    double wall0 = 0; /* training time before this process (a resumed run) */
    int how = 0;
    if (s->resume)
        note_fail(&first, &what, resume(s, env, ag, f, &wall0, &how, res), "resuming");
    else
        runs_checkpoint_remove(s->dir); /* a fresh start: an old checkpoint is not this run's */
    res->resumed = how;
    if (how == 2 || first) {
        core_text_free(&f->episodes);
        core_text_free(&f->updates);
        free(f);
        res->failed = what;
        return first;
    }
    double every_s = s->checkpoint_seconds == 0 ? 60.0 : s->checkpoint_seconds;
    double t0 = core_now(), last_flush = t0, last_draw = 0, last_ckpt = t0;
    while (!first && clkfac_agent_timestep(ag) < (uint64_t)s->steps) {
        note_fail(&first, &what, clkfac_agent_update(ag), "training");
        if (first) break;
        double now = core_now();
        uint64_t up = clkfac_agent_updates(ag);
        if ((s->checkpoint_every && up % s->checkpoint_every == 0) ||
            (every_s > 0 && now - last_ckpt > every_s)) {
            note_fail(&first, &what, checkpoint(s, ctx, env, ag, f, wall0 + now - t0),
                      "writing the checkpoint");
            last_ckpt = last_flush = now;
        }
        /* statistics are read from the device in blocks, not every update */
        if (!first && (up % 128 == 0 || now - last_flush > s->flush_seconds)) {
            note_fail(&first, &what, drain(ag, env, f, o), "training");
            if (!first) note_fail(&first, &what, clkfac_context_check(ctx), "training");
        }
        if (!first && now - last_flush > s->flush_seconds) {
            if (!(st = flush_files(s, f))) st = write_summary(s, ctx, ag, f, wall0 + now - t0, 0);
            note_fail(&first, &what, st, "writing results");
            last_flush = now;
        }
        if (s->progress && now - last_draw > 0.25) {
            progress(s, ag, f, now - t0);
            last_draw = now;
        }
    }
    note_fail(&first, &what, drain(ag, env, f, o), "training");
    if (!first) note_fail(&first, &what, clkfac_context_check(ctx), "training");
    double wall = wall0 + core_now() - t0;
    if (s->progress) {
        progress(s, ag, f, wall);
        fprintf(stderr, "\n");
    }
    /* whatever happened, what was measured so far is written; a run that used its budget
     * writes its policy, and says finished only once the policy is on disk (with the size and
     * checksum of every file, which a resume checks) */
    note_fail(&first, &what, flush_files(s, f), "writing results");
    int done = !first;
    if (done) note_fail(&first, &what, write_policy(s, ag), "writing the policy");
    note_fail(&first, &what, write_summary(s, ctx, ag, f, wall, done && !first),
              "writing results");
    if (done && !first) runs_checkpoint_remove(s->dir);
    res->timesteps = clkfac_agent_timestep(ag);
    res->episodes = f->n_episodes;
    res->recent_n = f->recent_n;
    res->recent_mean = recent_mean(f);
    res->wall_seconds = wall;
    res->failed = what;
    core_text_free(&f->episodes);
    core_text_free(&f->updates);
    free(f);
    return first;
}
