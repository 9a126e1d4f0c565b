/* The run files shared by `clkfac train` and `clkfac bench sample` (see runlog.h): episodes are
 * drained from the vector env and update statistics from the device in blocks, appended to
 * in-memory CSVs, and the whole files rewritten atomically now and then, so an interrupted run
 * always leaves valid files. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/runlog.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int runlog_printf(runlog_text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return -1;
        if (t->s && t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return 0;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->n + (size_t)k + 1) cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) return -1;
        t->s = p;
        t->cap = cap;
    }
}

typedef struct run_files {
    runlog_text episodes, updates;
    size_t n_episodes;
    double recent[100]; /* last 100 returns, ring */
    size_t recent_n, recent_i;
} run_files;

static double recent_mean(const run_files *f)
{
    if (!f->recent_n) return NAN;
    double s = 0;
    for (size_t i = 0; i < f->recent_n; i++) s += f->recent[i];
    return s / (double)f->recent_n;
}

static int drain(clkfac_agent *ag, clkfac_vecenv *env, run_files *f, const clkfac_agent_options *o)
{
    clkfac_episode_record rec[256];
    size_t k;
    while ((k = clkfac_vecenv_drain(env, rec, 256)) > 0)
        for (size_t i = 0; i < k; i++) {
            if (runlog_printf(&f->episodes, "%llu,%zu,%.6g,%llu\n",
                              (unsigned long long)rec[i].timestep, f->n_episodes++, rec[i].ret,
                              (unsigned long long)rec[i].length))
                return -1;
            f->recent[f->recent_i] = rec[i].ret;
            f->recent_i = (f->recent_i + 1) % 100;
            if (f->recent_n < 100) f->recent_n++;
        }
    clkfac_update_stats st[256];
    size_t n = 0;
    do {
        if (clkfac_agent_read_stats(ag, st, 256, &n)) return -2;
        for (size_t i = 0; i < n; i++)
            if (runlog_printf(&f->updates, "%llu,%llu,%.7g,%.7g,%.7g,%.7g,%.7g,%.7g",
                              (unsigned long long)st[i].update, (unsigned long long)st[i].timestep,
                              st[i].loss, st[i].policy_loss, st[i].value_loss, st[i].entropy,
                              st[i].grad_norm, st[i].lr) ||
                (o->algo == CLKFAC_ALGO_ACKTR &&
                 runlog_printf(&f->updates, ",%.7g,%.7g,%.7g", st[i].trust_q, st[i].trust_nu,
                               (double)(o->kfac_damping + o->weight_decay))) ||
                (o->algo == CLKFAC_ALGO_ACKTR && o->measure_kl &&
                 runlog_printf(&f->updates, ",%.7g", st[i].kl)) ||
                (o->algo == CLKFAC_ALGO_TRPO &&
                 runlog_printf(&f->updates, ",%.7g,%.7g,%.7g,%.7g", st[i].kl, st[i].cg_residual,
                               st[i].ls_steps, st[i].accepted)) ||
                runlog_printf(&f->updates, "\n"))
                return -1;
    } while (n == 256);
    return 0;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    clkfac_status st = clkfac_file_write_atomic(path, data, len);
    if (st) return cli_fail("writing results", st);
    return 0;
}

/* The provenance "key: value" lines as a JSON object's members (values escaped). */
static void provenance_json(runlog_text *j, char *prov)
{
    int first = 1;
    for (char *line = strtok(prov, "\n"); line; line = strtok(NULL, "\n")) {
        char *colon = strstr(line, ": ");
        if (!colon) continue;
        *colon = '\0';
        runlog_printf(j, "%s\"%s\": \"", first ? "" : ", ", line);
        for (const char *p = colon + 2; *p; p++)
            runlog_printf(j, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
        runlog_printf(j, "\"");
        first = 0;
    }
}

int runlog_provenance_json(runlog_text *j, clkfac_context *ctx)
{
    char *prov = NULL;
    if (clkfac_provenance(&prov, ctx)) return -1;
    runlog_printf(j, "{");
    provenance_json(j, prov);
    free(prov);
    return runlog_printf(j, "}");
}

static int write_summary(const runlog_spec *s, clkfac_context *ctx, clkfac_agent *ag,
                         const run_files *f, double wall, int finished)
{
    const clkfac_agent_options *o = s->ag;
    clkfac_agent_timing tm;
    clkfac_agent_timing_get(&tm, ag);
    char *prov = NULL;
    if (clkfac_provenance(&prov, ctx)) return cli_fail("provenance", CLKFAC_ERR_NO_MEMORY);
    runlog_text j = {0};
    uint64_t ts = clkfac_agent_timestep(ag), up = clkfac_agent_updates(ag);
    double mean = recent_mean(f);
    runlog_printf(&j, "{\n  \"algo\": \"%s\",\n  \"env\": \"%s\",\n  \"seed\": %llu,\n",
                  s->label ? s->label : clkfac_algo_name(o->algo), s->env,
                  (unsigned long long)o->seed);
    runlog_printf(&j, "  \"finished\": %s,\n  \"steps_requested\": %ld,\n  \"timesteps\": %llu,\n"
                      "  \"updates\": %llu,\n  \"episodes\": %zu,\n",
                  finished ? "true" : "false", s->steps, (unsigned long long)ts,
                  (unsigned long long)up, f->n_episodes);
    if (isnan(mean)) runlog_printf(&j, "  \"final_mean_return_100\": null,\n");
    else runlog_printf(&j, "  \"final_mean_return_100\": %.6g,\n", mean);
    runlog_printf(&j, "  \"wall_seconds\": %.3f,\n  \"timesteps_per_second\": %.1f,\n", wall,
                  wall > 0 ? (double)ts / wall : 0.0);
    runlog_printf(&j, "  \"timing\": {\"env_seconds\": %.3f, \"inference_seconds\": %.3f, "
                      "\"update_seconds\": %.3f, \"blocking_calls\": %llu, "
                      "\"blocking_calls_per_update\": %.2f},\n",
                  tm.env_seconds, tm.inference_seconds, tm.update_seconds,
                  (unsigned long long)tm.blocking_calls,
                  up ? (double)tm.blocking_calls / (double)up : 0.0);
    clkfac_agent_options shown = *o; /* the networks as the agent resolved them */
    shown.net = clkfac_agent_net(ag);
    shown.activation = clkfac_agent_activation(ag);
    char opts[4096];
    clkfac_status ost = clkfac_agent_options_text(opts, sizeof opts, &shown, 1);
    if (ost) {
        free(prov);
        free(j.s);
        return cli_fail("summary options", ost);
    }
    runlog_printf(&j, "  \"options\": {\"n_envs\": %ld, %s},\n", s->n_envs, opts);
    if (s->extra_json) runlog_printf(&j, "  %s,\n", s->extra_json);
    runlog_printf(&j, "  \"provenance\": {");
    provenance_json(&j, prov);
    runlog_printf(&j, "}\n}\n");
    free(prov);
    int rc = j.s ? write_file(s->dir, "summary.json", j.s, j.n)
                 : cli_fail("summary", CLKFAC_ERR_NO_MEMORY);
    free(j.s);
    return rc;
}

static int flush_files(const runlog_spec *s, const run_files *f)
{
    return write_file(s->dir, "episodes.csv", f->episodes.s, f->episodes.n) ||
           write_file(s->dir, "updates.csv", f->updates.s, f->updates.n);
}

static void progress(const runlog_spec *s, clkfac_agent *ag, const run_files *f, double elapsed)
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

/* policy.npy (the trained parameters, clkfac_agent_read_params order) and policy.txt (what
 * rebuilds the networks: `clkfac env eval/show --policy DIR` read it). */
static int write_policy(const runlog_spec *s, clkfac_agent *ag)
{
    const clkfac_agent_options *o = s->ag;
    size_t n = 0;
    clkfac_status st = clkfac_agent_read_params(ag, NULL, 0, &n);
    float *p = st ? NULL : malloc(n * sizeof *p);
    if (!st && !p) st = CLKFAC_ERR_NO_MEMORY;
    if (!st) st = clkfac_agent_read_params(ag, p, n, &n);
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/policy.npy", s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!st) st = clkfac_npy_write(tmp, p, 1, &n);
    free(p);
    if (!st && rename(tmp, path)) st = CLKFAC_ERR_IO;
    if (st) return cli_fail("writing policy.npy", st);
    runlog_text t = {0};
    runlog_printf(&t, "# clkfac policy: policy.npy holds the parameters of these networks\n"
                      "format=%d\nenv=%s\nalgo=%s\nnet=%s\nactivation=%s\nshared=%d\n"
                      "critic_euclidean=%d\nn_params=%zu\nseed=%llu\ntimesteps=%llu\n",
                  RUNLOG_POLICY_FORMAT, s->env, clkfac_algo_name(o->algo), clkfac_agent_net(ag),
                  clkfac_agent_activation(ag), o->shared, o->critic_euclidean, n,
                  (unsigned long long)o->seed, (unsigned long long)clkfac_agent_timestep(ag));
    int rc = t.s ? write_file(s->dir, "policy.txt", t.s, t.n)
                 : cli_fail("policy.txt", CLKFAC_ERR_NO_MEMORY);
    free(t.s);
    return rc;
}

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

int runlog_policy_load(runlog_policy *p, const char *dir)
{
    memset(p, 0, sizeof *p);
    char path[4096], *text = NULL, num[64], fmt[16];
    snprintf(path, sizeof path, "%s/policy.txt", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_usage_error("--policy '%s': expected random, noop or the folder of a "
                               "finished `clkfac train` run (cannot open %s: %s)", dir, path,
                               strerror(errno));
    text = calloc(1, 8193);
    size_t len = text ? fread(text, 1, 8192, f) : 0;
    fclose(f);
    if (!text) return cli_fail("policy.txt", CLKFAC_ERR_NO_MEMORY);
    text[len] = '\0';
    const char *bad = NULL;
    long format = 0;
    if (policy_field(text, "format", fmt, sizeof fmt) || sscanf(fmt, "%ld", &format) != 1)
        bad = "format";
    else if (format != RUNLOG_POLICY_FORMAT) bad = "format (another version of clkfac wrote it)";
    else if (policy_field(text, "env", p->env, sizeof p->env)) bad = "env";
    else if (policy_field(text, "algo", p->algo, sizeof p->algo)) bad = "algo";
    else if (policy_field(text, "net", p->net, sizeof p->net)) bad = "net";
    else if (policy_field(text, "activation", p->activation, sizeof p->activation))
        bad = "activation";
    else if (policy_field(text, "shared", num, sizeof num) || sscanf(num, "%d", &p->shared) != 1)
        bad = "shared";
    else if (policy_field(text, "critic_euclidean", num, sizeof num) ||
             sscanf(num, "%d", &p->critic_euclidean) != 1)
        bad = "critic_euclidean";
    else if (policy_field(text, "n_params", num, sizeof num) ||
             sscanf(num, "%zu", &p->n_params) != 1 || p->n_params == 0)
        bad = "n_params";
    free(text);
    if (bad) return cli_usage_error("%s: missing or malformed field %s", path, bad);
    snprintf(path, sizeof path, "%s/policy.npy", dir);
    clkfac_array a;
    clkfac_status st = clkfac_npy_read(&a, path);
    if (st) return cli_fail(path, st);
    size_t n = clkfac_array_size(&a);
    if (a.ndim != 1 || n != p->n_params) {
        clkfac_array_free(&a);
        return cli_usage_error("%s: %zu values in %d dimension(s); policy.txt says %zu in one",
                               path, n, a.ndim, p->n_params);
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a.data[i])) {
            double v = (double)a.data[i];
            clkfac_array_free(&a);
            return cli_usage_error("%s: parameter %zu is %g", path, i, v);
        }
    p->params = a.data; /* owned now */
    return CLI_OK;
}

int runlog_train(const runlog_spec *s, clkfac_context *ctx, clkfac_vecenv *env,
                 clkfac_agent *ag, runlog_result *res)
{
    const clkfac_agent_options *o = s->ag;
    run_files *f = calloc(1, sizeof *f);
    if (!f || runlog_printf(&f->episodes, "timestep,episode,return,length\n") ||
        runlog_printf(&f->updates, "update,timestep,loss,policy_loss,value_loss,entropy,grad_norm,lr%s\n",
                      o->algo == CLKFAC_ALGO_TRPO    ? ",kl,cg_residual,ls_steps,accepted"
                      : o->algo != CLKFAC_ALGO_ACKTR ? ""
                      : o->measure_kl                ? ",trust_q,trust_nu,damping,kl"
                                                     : ",trust_q,trust_nu,damping")) {
        if (f) {
            free(f->episodes.s);
            free(f->updates.s);
        }
        free(f);
        return cli_fail("train", CLKFAC_ERR_NO_MEMORY);
    }
    int rc = CLI_OK;
    clkfac_status st;
    double t0 = now_seconds(), last_flush = t0, last_draw = 0;
    while (clkfac_agent_timestep(ag) < (uint64_t)s->steps) {
        if ((st = clkfac_agent_update(ag))) {
            rc = cli_fail("training", st);
            break;
        }
        double now = now_seconds();
        /* statistics are read from the device in blocks, not every update */
        if (clkfac_agent_updates(ag) % 128 == 0 || now - last_flush > s->flush_seconds) {
            if (drain(ag, env, f, o)) { rc = cli_fail("reading statistics", CLKFAC_ERR_NO_MEMORY); break; }
            if ((st = clkfac_context_check(ctx))) { rc = cli_fail("training", st); break; }
        }
        if (now - last_flush > s->flush_seconds) {
            if (flush_files(s, f) || write_summary(s, ctx, ag, f, now - t0, 0)) { rc = CLI_RUNTIME; break; }
            last_flush = now;
        }
        if (s->progress && now - last_draw > 0.25) {
            progress(s, ag, f, now - t0);
            last_draw = now;
        }
    }
    if (drain(ag, env, f, o) && rc == CLI_OK) rc = cli_fail("reading statistics", CLKFAC_ERR_NO_MEMORY);
    if (rc == CLI_OK && (st = clkfac_context_check(ctx))) rc = cli_fail("training", st);
    double wall = now_seconds() - t0;
    if (s->progress) {
        progress(s, ag, f, wall);
        fprintf(stderr, "\n");
    }
    /* whatever happened, what was measured so far is written */
    if (flush_files(s, f) || write_summary(s, ctx, ag, f, wall, rc == CLI_OK)) rc = CLI_RUNTIME;
    if (rc == CLI_OK && write_policy(s, ag)) rc = CLI_RUNTIME; /* only a finished run's */
    if (res) {
        res->timesteps = clkfac_agent_timestep(ag);
        res->episodes = f->n_episodes;
        res->recent_n = f->recent_n;
        res->recent_mean = recent_mean(f);
        res->wall_seconds = wall;
    }
    free(f->episodes.s);
    free(f->updates.s);
    free(f);
    return rc;
}
