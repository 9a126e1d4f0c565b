/* `clkfac train`: trains an agent on a vector environment and writes, in --out DIR,
 * episodes.csv (timestep, episode, return, length), updates.csv (per-update losses, entropy,
 * gradient norm, learning rate) and summary.json (options, results, timing, provenance). Files
 * are rewritten atomically as the run goes, so an interrupted run leaves valid files; the same
 * seed on the same device gives identical episodes.csv and updates.csv. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/runlog.h"

typedef struct train_cfg {
    const char *env, *out, *device;
    long steps, n_envs;
    int quiet, lr_given;
    double flush_seconds;
    clkfac_agent_options ag;
} train_cfg;

static void usage(void)
{
    printf("usage: clkfac train --env ID --out DIR [--algo a2c] [--steps 1M] [--seed 0]\n"
           "                    [--envs 16] [--nsteps 5] [--lr 7e-4] [--lr-schedule linear|constant]\n"
           "                    [--gamma 0.99] [--ent-coef 0.01] [--vf-coef 0.5]\n"
           "                    [--max-grad-norm 0.5] [--rms-init 1] [--net 'dense:64 dense:64']\n"
           "                    [--activation tanh|relu|elu] [--separate] [--device SPEC] [--quiet]\n"
           "                    [--sync-timing (wait for each update so the time split is exact)]\n"
           "  ACKTR: --algo acktr [--lr 0.25 (step size eta)] [--kl-clip 0.001] [--damping 0.01]\n"
           "         [--stats-decay 0.99] [--stats-every 1] [--cold-steps 1] [--inv-every 10]\n"
           "         [--momentum 0.9] [--measure-kl] [--critic gauss-newton|euclidean]\n"
           "         [--vf-lr 1e-3 (Adam rate of a Euclidean critic)] [--kfac-eigen]\n"
           "         [--weight-decay 0] [--kl-target KL (adaptive step, continuous control)]\n"
           "  TRPO:  --algo trpo [--max-kl 0.01] [--cg-damping 0.1] [--gae-lambda 0.98]\n"
           "         (separate actor and critic always; the critic uses Adam at 1e-3)\n"
           "  trains on a vector of --envs copies of the environment; writes DIR/episodes.csv,\n"
           "  DIR/updates.csv and DIR/summary.json, and once finished the trained parameters\n"
           "  DIR/policy.npy with DIR/policy.txt (see clkfac env eval/show --policy DIR).\n"
           "  Environments:");
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    for (size_t i = 0; i < n; i++) printf(" %s", ids[i]);
    printf(" (and the games' short names: Breakout, Freeway, Asterix, Seaquest, SpaceInvaders)\n");
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
        if (!strcmp(argv[i], "--kfac-eigen")) { c->ag.kfac_eigen = 1; continue; }
        if (!strcmp(argv[i], "--sync-timing")) { c->ag.sync_timing = 1; continue; }
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
        else if (OPT("--weight-decay")) { if (cli_parse_double("--weight-decay", v, 0, 1e3, &d)) return CLI_USAGE; c->ag.weight_decay = (float)d; }
        else if (OPT("--kl-target")) { if (cli_parse_double("--kl-target", v, 0, 1e3, &d)) return CLI_USAGE; c->ag.kl_target = (float)d; }
        else if (OPT("--critic")) {
            if (!strcmp(v, "gauss-newton")) c->ag.critic_euclidean = 0;
            else if (!strcmp(v, "euclidean")) c->ag.critic_euclidean = 1;
            else return cli_usage_error("--critic '%s': expected gauss-newton or euclidean", v);
        } else if (OPT("--vf-lr")) { if (cli_parse_double("--vf-lr", v, 1e-12, 10, &d)) return CLI_USAGE; c->ag.vf_lr = (float)d; }
        else if (OPT("--max-kl")) { if (cli_parse_double("--max-kl", v, 1e-12, 1e6, &d)) return CLI_USAGE; c->ag.max_kl = (float)d; }
        else if (OPT("--cg-damping")) { if (cli_parse_double("--cg-damping", v, 0, 1e6, &d)) return CLI_USAGE; c->ag.cg_damping = (float)d; }
        else if (OPT("--gae-lambda")) { if (cli_parse_double("--gae-lambda", v, 0, 1, &d)) return CLI_USAGE; c->ag.gae_lambda = (float)d; }
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
    /* a known id or a game's short name ("Breakout"), recorded by its full id */
    clkfac_env *probe = NULL;
    clkfac_status st = clkfac_env_create(&probe, c->env, 0);
    if (st) return cli_fail("--env", st);
    c->env = clkfac_env_id(probe); /* static: outlives the probe */
    clkfac_env_free(probe);
    if (c->ag.algo == CLKFAC_ALGO_TRPO) c->ag.shared = 0; /* the agent forces it too */
    /* ACKTR's lr is the trust-region step size eta (reference 0.25), not an RMSProp rate */
    if (c->ag.algo == CLKFAC_ALGO_ACKTR && !c->lr_given) c->ag.lr = 0.25f;
    c->ag.total_steps = (uint64_t)c->steps;
    return 0;
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
    int rc = CLI_OK;
    if ((st = clkfac_agent_create(&ag, ctx, env, &c.ag))) {
        rc = cli_fail("creating the agent", st);
        goto done;
    }
    runlog_spec spec = {c.out, c.env, c.steps, c.n_envs, &c.ag, NULL, NULL, c.flush_seconds,
                        !c.quiet && isatty(fileno(stderr)), NULL};
    runlog_result res;
    rc = runlog_train(&spec, ctx, env, ag, &res);
    if (rc == CLI_OK && !c.quiet)
        printf("%s on %s: %llu steps, %zu episodes, mean return (last %zu) %.2f, %.0f steps/s; "
               "results in %s\n",
               clkfac_algo_name(c.ag.algo), c.env, (unsigned long long)res.timesteps,
               res.episodes, res.recent_n, res.recent_mean,
               (double)res.timesteps / res.wall_seconds, c.out);
done:
    clkfac_agent_free(ag);
    clkfac_context_free(ctx);
    clkfac_vecenv_free(env);
    return rc;
}
