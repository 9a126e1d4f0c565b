/* `clkfac train`: trains an agent on a vector environment and writes, in --out DIR,
 * episodes.csv (timestep, episode, return, length), updates.csv (per-update losses, entropy,
 * gradient norm, learning rate) and summary.json (options, results, timing, provenance). Files
 * are rewritten atomically as the run goes, so an interrupted run leaves valid files; the same
 * seed on the same device gives identical episodes.csv and updates.csv. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct train_cfg {
    const char *env, *out, *device;
    long steps, n_envs;
    int quiet, lr_given;
    double flush_seconds;
    clkfac_agent_options ag;
} train_cfg;

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static int text_printf(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int text_printf(text *t, const char *fmt, ...)
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

static void usage(void)
{
    printf("usage: clkfac train --env ID --out DIR [--algo a2c] [--steps 1M] [--seed 0]\n"
           "                    [--envs 16] [--nsteps 5] [--lr 7e-4] [--lr-schedule linear|constant]\n"
           "                    [--gamma 0.99] [--ent-coef 0.01] [--vf-coef 0.5]\n"
           "                    [--max-grad-norm 0.5] [--rms-init 1] [--net SPEC]\n"
           "                    [--activation tanh|relu|elu] [--separate] [--device SPEC] [--quiet]\n"
           "  ACKTR: --algo acktr [--lr 0.25 (step size eta)] [--kl-clip 0.001] [--damping 0.01]\n"
           "         [--stats-decay 0.99] [--stats-every 1] [--cold-steps 1] [--inv-every 10]\n"
           "         [--momentum 0.9] [--measure-kl]\n"
           "  --net defaults by observation: 'dense:64 dense:64' (tanh) for vectors,\n"
           "  'conv:16,3,1 dense:128' (relu) for 10x10 pixel games, the ACKTR paper's Atari CNN\n"
           "  for 84x84 frames.\n"
           "  trains on a vector of --envs copies of the environment; writes DIR/episodes.csv,\n"
           "  DIR/updates.csv and DIR/summary.json. Environments:");
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    for (size_t i = 0; i < n; i++) printf(" %s", ids[i]);
    printf("\n");
}

static int parse_args(train_cfg *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        double d;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(); return -1; }
        if (!strcmp(argv[i], "--separate")) { c->ag.shared = 0; continue; }
        if (!strcmp(argv[i], "--quiet")) { c->quiet = 1; continue; }
        if (!strcmp(argv[i], "--measure-kl")) { c->ag.measure_kl = 1; continue; }
#define OPT(name) ((r = cli_opt(argc, argv, &i, name, &v)) != 0 && (r > 0 || (exit_usage = 1)))
        int exit_usage = 0;
        if (OPT("--env")) c->env = v;
        else if (OPT("--out")) c->out = v;
        else if (OPT("--device")) c->device = v;
        else if (OPT("--algo")) {
            if (clkfac_algo_parse(&c->ag.algo, v)) return cli_usage_error("--algo: %s", clkfac_last_error());
        } else if (OPT("--steps")) { if (cli_parse_long("--steps", v, 1, 10000000000L, &c->steps)) return CLI_USAGE; }
        else if (OPT("--seed")) {
            long s;
            if (cli_parse_long("--seed", v, 0, 2147483647L, &s)) return CLI_USAGE;
            c->ag.seed = (uint64_t)s;
        } else if (OPT("--envs")) { if (cli_parse_long("--envs", v, 1, 4096, &c->n_envs)) return CLI_USAGE; }
        else if (OPT("--nsteps")) {
            long s;
            if (cli_parse_long("--nsteps", v, 1, 100000, &s)) return CLI_USAGE;
            c->ag.n_steps = (unsigned)s;
        } else if (OPT("--lr")) { if (cli_parse_double("--lr", v, 1e-12, 10, &d)) return CLI_USAGE; c->ag.lr = (float)d; c->lr_given = 1; }
        else if (OPT("--kl-clip")) { if (cli_parse_double("--kl-clip", v, 1e-12, 1e6, &d)) return CLI_USAGE; c->ag.kl_clip = (float)d; }
        else if (OPT("--damping")) { if (cli_parse_double("--damping", v, 1e-12, 1e6, &d)) return CLI_USAGE; c->ag.kfac_damping = (float)d; }
        else if (OPT("--stats-decay")) { if (cli_parse_double("--stats-decay", v, 0, 0.999999, &d)) return CLI_USAGE; c->ag.stats_decay = (float)d; }
        else if (OPT("--momentum")) { if (cli_parse_double("--momentum", v, 0, 0.999999, &d)) return CLI_USAGE; c->ag.momentum = (float)d; }
        else if (OPT("--stats-every")) {
            long k;
            if (cli_parse_long("--stats-every", v, 1, 1000000, &k)) return CLI_USAGE;
            c->ag.stats_every = (unsigned)k;
        } else if (OPT("--cold-steps")) {
            long k;
            if (cli_parse_long("--cold-steps", v, 1, 1000000, &k)) return CLI_USAGE;
            c->ag.cold_steps = (unsigned)k;
        } else if (OPT("--inv-every")) {
            long k;
            if (cli_parse_long("--inv-every", v, 1, 1000000, &k)) return CLI_USAGE;
            c->ag.inv_every = (unsigned)k;
        }
        else if (OPT("--gamma")) { if (cli_parse_double("--gamma", v, 0, 1, &d)) return CLI_USAGE; c->ag.gamma = (float)d; }
        else if (OPT("--ent-coef")) { if (cli_parse_double("--ent-coef", v, 0, 100, &d)) return CLI_USAGE; c->ag.ent_coef = (float)d; }
        else if (OPT("--vf-coef")) { if (cli_parse_double("--vf-coef", v, 0, 100, &d)) return CLI_USAGE; c->ag.vf_coef = (float)d; }
        else if (OPT("--max-grad-norm")) { if (cli_parse_double("--max-grad-norm", v, 0, 1e9, &d)) return CLI_USAGE; c->ag.max_grad_norm = (float)d; }
        else if (OPT("--rms-init")) { if (cli_parse_double("--rms-init", v, 0, 1e6, &d)) return CLI_USAGE; c->ag.rms_init = (float)d; }
        else if (OPT("--net")) c->ag.net = v;
        else if (OPT("--activation")) {
            if (strcmp(v, "tanh") && strcmp(v, "relu") && strcmp(v, "elu"))
                return cli_usage_error("--activation '%s': expected tanh, relu or elu", v);
            c->ag.activation = v;
        } else if (OPT("--lr-schedule")) {
            if (!strcmp(v, "linear")) c->ag.schedule = CLKFAC_LR_LINEAR;
            else if (!strcmp(v, "constant")) c->ag.schedule = CLKFAC_LR_CONSTANT;
            else return cli_usage_error("--lr-schedule '%s': expected linear or constant", v);
        } else if (exit_usage) return CLI_USAGE;
        else return cli_usage_error("train: unknown option '%s' (see clkfac train --help)", argv[i]);
#undef OPT
    }
    if (!c->env) return cli_usage_error("train: missing --env ID (see clkfac train --help)");
    if (!c->out) return cli_usage_error("train: missing --out DIR");
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    int known = 0;
    for (size_t i = 0; i < n; i++) known |= !strcmp(ids[i], c->env);
    if (!known) {
        fprintf(stderr, "clkfac: --env '%s': unknown environment; expected one of:", c->env);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", ids[i]);
        fprintf(stderr, "\n");
        return CLI_USAGE;
    }
    if (c->ag.algo == CLKFAC_ALGO_TRPO)
        return cli_usage_error("--algo %s: not built yet in this version; expected a2c or acktr",
                               clkfac_algo_name(c->ag.algo));
    /* ACKTR's lr is the trust-region step size eta (reference 0.25), not an RMSProp rate */
    if (c->ag.algo == CLKFAC_ALGO_ACKTR && !c->lr_given) c->ag.lr = 0.25f;
    c->ag.total_steps = (uint64_t)c->steps;
    return 0;
}

typedef struct run_files {
    text episodes, updates;
    size_t n_episodes;
    double *recent; /* last 100 returns, ring */
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
            if (text_printf(&f->episodes, "%llu,%zu,%.6g,%llu\n", (unsigned long long)rec[i].timestep,
                            f->n_episodes++, rec[i].ret, (unsigned long long)rec[i].length))
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
            if (text_printf(&f->updates, "%llu,%llu,%.7g,%.7g,%.7g,%.7g,%.7g,%.7g",
                            (unsigned long long)st[i].update, (unsigned long long)st[i].timestep,
                            st[i].loss, st[i].policy_loss, st[i].value_loss, st[i].entropy,
                            st[i].grad_norm, st[i].lr) ||
                (o->algo == CLKFAC_ALGO_ACKTR &&
                 text_printf(&f->updates, ",%.7g,%.7g", st[i].trust_q, st[i].trust_nu)) ||
                (o->algo == CLKFAC_ALGO_ACKTR && o->measure_kl &&
                 text_printf(&f->updates, ",%.7g", st[i].kl)) ||
                text_printf(&f->updates, "\n"))
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

static int write_summary(const train_cfg *c, clkfac_context *ctx, clkfac_agent *ag,
                         const run_files *f, double wall, int finished)
{
    clkfac_agent_timing tm;
    clkfac_agent_timing_get(&tm, ag);
    char *prov = NULL;
    if (clkfac_provenance(&prov, ctx)) return cli_fail("provenance", CLKFAC_ERR_NO_MEMORY);
    text j = {0};
    uint64_t ts = clkfac_agent_timestep(ag), up = clkfac_agent_updates(ag);
    double mean = recent_mean(f);
    text_printf(&j, "{\n  \"algo\": \"%s\",\n  \"env\": \"%s\",\n  \"seed\": %llu,\n",
                clkfac_algo_name(c->ag.algo), c->env, (unsigned long long)c->ag.seed);
    text_printf(&j, "  \"finished\": %s,\n  \"steps_requested\": %ld,\n  \"timesteps\": %llu,\n"
                    "  \"updates\": %llu,\n  \"episodes\": %zu,\n",
                finished ? "true" : "false", c->steps, (unsigned long long)ts,
                (unsigned long long)up, f->n_episodes);
    if (isnan(mean)) text_printf(&j, "  \"final_mean_return_100\": null,\n");
    else text_printf(&j, "  \"final_mean_return_100\": %.6g,\n", mean);
    text_printf(&j, "  \"wall_seconds\": %.3f,\n  \"timesteps_per_second\": %.1f,\n", wall,
                wall > 0 ? (double)ts / wall : 0.0);
    text_printf(&j, "  \"timing\": {\"env_seconds\": %.3f, \"inference_seconds\": %.3f, "
                    "\"update_seconds\": %.3f, \"blocking_calls\": %llu, "
                    "\"blocking_calls_per_update\": %.2f},\n",
                tm.env_seconds, tm.inference_seconds, tm.update_seconds,
                (unsigned long long)tm.blocking_calls, up ? (double)tm.blocking_calls / (double)up : 0.0);
    text_printf(&j, "  \"options\": {\"n_envs\": %ld, \"n_steps\": %u, \"net\": \"%s\", "
                    "\"activation\": \"%s\", \"shared\": %s, \"lr\": %g, \"lr_schedule\": \"%s\", "
                    "\"gamma\": %g, \"ent_coef\": %g, \"vf_coef\": %g, \"max_grad_norm\": %g, "
                    "\"rms_decay\": %g, \"rms_eps\": %g, \"rms_init\": %g},\n",
                c->n_envs, c->ag.n_steps, clkfac_agent_net(ag), clkfac_agent_activation(ag),
                c->ag.shared ? "true" : "false", (double)c->ag.lr,
                c->ag.schedule == CLKFAC_LR_LINEAR ? "linear" : "constant", (double)c->ag.gamma,
                (double)c->ag.ent_coef, (double)c->ag.vf_coef, (double)c->ag.max_grad_norm,
                (double)c->ag.rms_decay, (double)c->ag.rms_eps, (double)c->ag.rms_init);
    text_printf(&j, "  \"provenance\": {");
    int first = 1;
    for (char *line = strtok(prov, "\n"); line; line = strtok(NULL, "\n")) {
        char *colon = strstr(line, ": ");
        if (!colon) continue;
        *colon = '\0';
        text_printf(&j, "%s\"%s\": \"", first ? "" : ", ", line);
        for (const char *p = colon + 2; *p; p++)
            text_printf(&j, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
        text_printf(&j, "\"");
        first = 0;
    }
    text_printf(&j, "}\n}\n");
    free(prov);
    int rc = j.s ? write_file(c->out, "summary.json", j.s, j.n) : cli_fail("summary", CLKFAC_ERR_NO_MEMORY);
    free(j.s);
    return rc;
}

static int flush_files(const train_cfg *c, const run_files *f)
{
    return write_file(c->out, "episodes.csv", f->episodes.s, f->episodes.n) ||
           write_file(c->out, "updates.csv", f->updates.s, f->updates.n);
}

static void progress(const train_cfg *c, clkfac_agent *ag, const run_files *f, double elapsed)
{
    uint64_t ts = clkfac_agent_timestep(ag);
    double frac = (double)ts / (double)c->steps;
    if (frac > 1) frac = 1;
    int filled = (int)(frac * 24);
    char bar[32];
    for (int i = 0; i < 24; i++) bar[i] = i < filled ? '#' : '.';
    bar[24] = '\0';
    double sps = elapsed > 0 ? (double)ts / elapsed : 0;
    double eta = sps > 0 ? ((double)c->steps - (double)ts) / sps : 0;
    double m = recent_mean(f);
    fprintf(stderr, "\r\033[K[%s] %3.0f%% %llu/%ld steps | return %s%.1f (last %zu) | %.0f steps/s | ETA %.0fm%02.0fs",
            bar, 100 * frac, (unsigned long long)ts, c->steps, isnan(m) ? "n/a " : "", isnan(m) ? 0.0 : m,
            f->recent_n, sps, floor(eta / 60), fmod(eta, 60));
    fflush(stderr);
}

int cmd_train(int argc, char **argv)
{
    train_cfg c = {NULL, NULL, NULL, 1000000, 16, 0, 0, 10.0, CLKFAC_AGENT_OPTIONS_INIT};
    int r = parse_args(&c, argc, argv);
    if (r) return r < 0 ? CLI_OK : r;
    clkfac_status st = clkfac_mkdir_p(c.out);
    if (st) return cli_usage_error("--out %s: %s", c.out, clkfac_last_error());
    clkfac_vecenv *env = NULL;
    if ((st = clkfac_vecenv_create(&env, c.env, (size_t)c.n_envs, c.ag.seed, NULL)))
        return cli_fail("creating the environments", st);
    int ctx_rc = CLI_RUNTIME;
    clkfac_context *ctx = cli_context(c.device, &ctx_rc);
    if (!ctx) {
        clkfac_vecenv_free(env);
        return ctx_rc;
    }
    clkfac_agent *ag = NULL;
    run_files f = {{0}, {0}, 0, calloc(100, sizeof(double)), 0, 0};
    int rc = CLI_OK;
    if ((st = clkfac_agent_create(&ag, ctx, env, &c.ag))) {
        rc = cli_fail("creating the agent", st);
        goto done;
    }
    if (!f.recent || text_printf(&f.episodes, "timestep,episode,return,length\n") ||
        text_printf(&f.updates, "update,timestep,loss,policy_loss,value_loss,entropy,grad_norm,lr%s\n",
                    c.ag.algo != CLKFAC_ALGO_ACKTR ? ""
                    : c.ag.measure_kl              ? ",trust_q,trust_nu,kl"
                                                   : ",trust_q,trust_nu")) {
        rc = cli_fail("train", CLKFAC_ERR_NO_MEMORY);
        goto done;
    }
    int tty = !c.quiet && isatty(fileno(stderr));
    double t0 = now_seconds(), last_flush = t0, last_draw = 0;
    while (clkfac_agent_timestep(ag) < (uint64_t)c.steps) {
        if ((st = clkfac_agent_update(ag))) {
            rc = cli_fail("training", st);
            break;
        }
        double now = now_seconds();
        /* statistics are read from the device in blocks, not every update */
        if (clkfac_agent_updates(ag) % 128 == 0 || now - last_flush > c.flush_seconds) {
            if (drain(ag, env, &f, &c.ag)) { rc = cli_fail("reading statistics", CLKFAC_ERR_NO_MEMORY); break; }
            if ((st = clkfac_context_check(ctx))) { rc = cli_fail("training", st); break; }
        }
        if (now - last_flush > c.flush_seconds) {
            if (flush_files(&c, &f) || write_summary(&c, ctx, ag, &f, now - t0, 0)) { rc = CLI_RUNTIME; break; }
            last_flush = now;
        }
        if (tty && now - last_draw > 0.25) {
            progress(&c, ag, &f, now - t0);
            last_draw = now;
        }
    }
    if (drain(ag, env, &f, &c.ag) && rc == CLI_OK) rc = cli_fail("reading statistics", CLKFAC_ERR_NO_MEMORY);
    if (rc == CLI_OK && (st = clkfac_context_check(ctx))) rc = cli_fail("training", st);
    double wall = now_seconds() - t0;
    if (tty) {
        progress(&c, ag, &f, wall);
        fprintf(stderr, "\n");
    }
    /* whatever happened, what was measured so far is written */
    if (flush_files(&c, &f) || write_summary(&c, ctx, ag, &f, wall, rc == CLI_OK)) rc = CLI_RUNTIME;
    if (rc == CLI_OK && !c.quiet)
        printf("%s on %s: %llu steps, %zu episodes, mean return (last %zu) %.2f, %.0f steps/s; "
               "results in %s\n",
               clkfac_algo_name(c.ag.algo), c.env, (unsigned long long)clkfac_agent_timestep(ag),
               f.n_episodes, f.recent_n, recent_mean(&f), (double)clkfac_agent_timestep(ag) / wall, c.out);
done:
    free(f.episodes.s);
    free(f.updates.s);
    free(f.recent);
    clkfac_agent_free(ag);
    clkfac_context_free(ctx);
    clkfac_vecenv_free(env);
    return rc;
}
