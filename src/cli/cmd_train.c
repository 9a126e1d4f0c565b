/* `clkfac train`: trains an agent on a vector environment and writes, in --out DIR,
 * episodes.csv (timestep, episode, return, length), updates.csv (per-update losses, entropy,
 * gradient norm, learning rate) and summary.json (options, results, timing, provenance). Files
 * are rewritten atomically as the run goes, so an interrupted run leaves valid files; the same
 * seed on the same device gives identical episodes.csv and updates.csv.
 *
 * Under mpirun (N ranks, A2C, ACKTR or TRPO): data-parallel training. Each rank steps --envs / N
 * of the copies (rank k copies k*E/N .. (k+1)*E/N - 1, seeded as those copies of a single
 * process), gradients (TRPO: also every Fisher-vector product, the line search's KL and
 * surrogate) are averaged over the ranks every update, so every rank holds the same parameters. Rank 0
 * writes --out as a single process would (its copies' episodes; the timestep counts every
 * rank's steps); rank k > 0 writes its copies' episodes to --out/rank-k. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/runlog.h"

/* The run's own options; the agent's come from its table (clkfac_agent_option_table). */
typedef struct train_run {
    const char *env, *out, *device;
    uint64_t steps;
    unsigned n_envs;
    int quiet;
    int resume;
    unsigned checkpoint_every;
    double checkpoint_seconds;
    int preset;     /* PRESET_AUTO: data/presets.txt fills what the command line leaves out */
    int placement;  /* clkfac_kfac_placement (ACKTR across ranks) */
    uint64_t given; /* bit k: RUN_OPTIONS[k] was on the command line */
    char applied[512];
} train_run;

enum { PRESET_AUTO, PRESET_NONE };
static const char *const PRESET_CHOICES[] = {"auto", "none", NULL};

static const char *const PLACEMENT_CHOICES[] = {"replicated", "inverse", "gradient", NULL};

static const clkfac_option RUN_OPTIONS[] = {
    CLI_OPTION(STRING, train_run, env, "--env", "ID", 0, 0, 0,
               "environment id or a game's short name (required; listed below)"),
    CLI_OPTION(STRING, train_run, out, "--out", "DIR", 0, 0, 0,
               "results folder (required): episodes.csv, updates.csv, summary.json, and once "
               "finished policy.npy with policy.txt (see clkfac env eval/show --policy DIR)"),
    CLI_OPTION(U64, train_run, steps, "--steps", "N", 1, 1e10, 1e6,
               "environment steps to train (all copies together)"),
    CLI_OPTION(UINT, train_run, n_envs, "--envs", "N", 1, 4096, 16,
               "copies of the environment stepped together (the preset may set it)"),
    CLI_OPTION(STRING, train_run, device, "--device", "SPEC", 0, 0, 0,
               "OpenCL device: P:D, cpu, gpu or part of its name (default $CLKFAC_DEVICE or the "
               "first device; see clkfac devices)"),
    CLI_OPTION(BOOL, train_run, quiet, "--quiet", NULL, 0, 1, 0,
               "no progress line and no final summary line"),
    CLI_OPTION(BOOL, train_run, resume, "--resume", NULL, 0, 1, 0,
               "continue the run in --out from its checkpoint (same options; the result is the "
               "same as an uninterrupted run's); a finished run is verified and kept; without a "
               "checkpoint the run starts from the beginning"),
    CLI_OPTION(UINT, train_run, checkpoint_every, "--checkpoint-every", "N", 0, 1e9, 0,
               "write the checkpoint (--out/checkpoint.bin) every N updates too (0: by time only)"),
    CLI_OPTION(DOUBLE, train_run, checkpoint_seconds, "--checkpoint-seconds", "S", 0, 1e9, 60,
               "write the checkpoint every S seconds of training (0: not by time)"),
    CLI_OPTION_CHOICES(ENUM, train_run, preset, "--preset", PRESET_AUTO, PRESET_CHOICES,
                       "auto: the environment's settings for the algorithm in data/presets.txt "
                       "fill every option not given here (printed at the start, and in "
                       "summary.json); none: the table's defaults shown below"),
    CLI_OPTION_CHOICES(ENUM, train_run, placement, "--kfac-placement", CLKFAC_KFAC_REPLICATED,
                       PLACEMENT_CHOICES,
                       "ACKTR under mpirun: replicated: every rank inverts every layer's factors; "
                       "inverse: each layer's on one rank (balanced by cost), broadcast; gradient: "
                       "each layer's preconditioned gradient computed on that rank, broadcast "
                       "every update (the same update either way)"),
};

#define N_RUN_OPTIONS (sizeof RUN_OPTIONS / sizeof RUN_OPTIONS[0])

static void usage(void)
{
    size_t n = 0;
    const clkfac_option *agent = clkfac_agent_option_table(&n);
    printf("usage: clkfac train --env ID --out DIR [options]\n"
           "  trains an agent on --envs copies of the environment and writes its results to DIR.\n");
    cli_print_options(RUN_OPTIONS, N_RUN_OPTIONS, CLKFAC_OPTION_FOR_ALL);
    printf("agent, every algorithm:\n");
    cli_print_options(agent, n, CLKFAC_OPTION_FOR_ALL);
    printf("ACKTR (--algo acktr):\n");
    cli_print_options(agent, n, CLKFAC_OPTION_FOR_ACKTR);
    printf("TRPO (--algo trpo; separate actor and critic networks always):\n");
    cli_print_options(agent, n, CLKFAC_OPTION_FOR_TRPO);
    printf("environments:");
    size_t n_ids = 0;
    const char *const *ids = clkfac_env_ids(&n_ids);
    for (size_t i = 0; i < n_ids; i++) printf(" %s", ids[i]);
    printf(" (and the games' short names: Breakout, Freeway, Asterix, Seaquest, SpaceInvaders)\n");
}

/* Parses the command line into run and ag (ag resolved: what the agent will use). Returns 0,
 * -1 after --help, or an exit code. */
static int parse_args(train_run *run, clkfac_agent_options *ag, int argc, char **argv)
{
    size_t n = 0;
    const clkfac_option *rows = clkfac_agent_option_table(&n);
    cli_table tables[] = {{RUN_OPTIONS, N_RUN_OPTIONS, run, &run->given}, {rows, n, ag, &ag->given}};
    int r = cli_parse("train", argc, argv, tables, 2);
    if (r < 0) usage();
    if (r) return r;
    if (!run->env) return cli_usage_error("train: missing --env ID (see clkfac train --help)");
    if (!run->out) return cli_usage_error("train: missing --out DIR");
    clkfac_status st = clkfac_dir_check(run->out); /* created once everything is accepted */
    if (st) return cli_usage_error("--out %s: %s", run->out, clkfac_last_error());
    /* a known id or a game's short name ("Breakout"), recorded by its full id */
    clkfac_env *probe = NULL;
    st = clkfac_env_create(&probe, run->env, 0);
    if (st) return cli_fail("--env", st);
    run->env = clkfac_env_id(probe); /* static: outlives the probe */
    clkfac_env_free(probe);
    if (run->preset == PRESET_AUTO) {
        unsigned envs = 0;
        for (size_t k = 0; k < N_RUN_OPTIONS; k++)
            if (RUN_OPTIONS[k].offset == offsetof(train_run, n_envs) && (run->given >> k & 1))
                envs = run->n_envs;
        if ((st = clkfac_agent_options_preset(ag, &envs, run->env, run->applied,
                                              sizeof run->applied)))
            return cli_fail("the environment's preset", st);
        if (envs) run->n_envs = envs;
    }
    if (ag->algo == CLKFAC_ALGO_TRPO) CLKFAC_AGENT_SET(ag, shared, 0); /* the agent forces it too */
    ag->total_steps = run->steps;
    if ((st = clkfac_agent_options_resolve(ag, ag))) return cli_fail("agent options", st);
    return 0;
}

/* Data-parallel set-up: this rank's share of the copies and its results folder. 0 or an exit
 * code (message printed once, by rank 0). */
static int rank_share(const train_run *c, int rank, int size, unsigned *local, char *dir,
                      size_t cap)
{
    *local = c->n_envs;
    snprintf(dir, cap, "%s", c->out);
    if (size < 2) return 0;
    int rc = 0;
    if (c->n_envs % (unsigned)size)
        rc = rank ? CLI_USAGE
                  : cli_usage_error("--envs %u on %d ranks: each rank steps an equal share; "
                                    "expected a multiple of %d", c->n_envs, size, size);
    else if (c->resume)
        rc = rank ? CLI_USAGE
                  : cli_usage_error("--resume on %d ranks: not supported yet (the ranks' "
                                    "checkpoints would need to be of the same update); train "
                                    "again", size);
    if (rc) return rc;
    *local = c->n_envs / (unsigned)size;
    if (rank) snprintf(dir, cap, "%s/rank-%d", c->out, rank);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    train_run c = {NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, PRESET_AUTO, 0, 0, ""};
    cli_defaults(RUN_OPTIONS, N_RUN_OPTIONS, &c);
    clkfac_agent_options ag_opts = CLKFAC_AGENT_OPTIONS_INIT;
    int r = parse_args(&c, &ag_opts, argc, argv);
    if (r) return r < 0 ? CLI_OK : r;
    clkfac_comm *comm = NULL;
    clkfac_status st = clkfac_comm_create(&comm);
    if (st) return cli_fail("starting the communicator", st);
    int rank = clkfac_comm_rank(comm), size = clkfac_comm_size(comm);
    unsigned local = c.n_envs;
    char dir[4200];
    if ((r = rank_share(&c, rank, size, &local, dir, sizeof dir))) {
        clkfac_comm_free(comm);
        return r;
    }
    if (rank) c.quiet = 1;
    if (!c.quiet && c.preset == PRESET_AUTO)
        printf("%s on %s: settings from data/presets.txt: %s\n", clkfac_algo_name(ag_opts.algo),
               c.env, c.applied[0] ? c.applied : "none (every option given or no row)");
    if (!c.quiet && size > 1)
        printf("data-parallel on %d ranks: %u copies each; rank k > 0 writes its episodes to "
               "%s/rank-k\n", size, local, c.out);
    clkfac_vecenv *env = NULL;
    if ((st = clkfac_vecenv_create(&env, c.env, (size_t)local, ag_opts.seed + (uint64_t)rank * local,
                                   NULL))) {
        clkfac_comm_free(comm);
        return cli_fail("creating the environments", st);
    }
    int ctx_rc = CLI_RUNTIME;
    clkfac_context *ctx = cli_context(c.device, &ctx_rc);
    if (!ctx) {
        clkfac_vecenv_free(env);
        clkfac_comm_free(comm);
        return ctx_rc;
    }
    clkfac_agent *ag = NULL;
    int rc = CLI_OK;
    if ((st = clkfac_agent_create(&ag, ctx, env, &ag_opts))) {
        rc = cli_fail("creating the agent", st);
        goto done;
    }
    if ((st = clkfac_agent_set_kfac_placement(ag, (clkfac_kfac_placement)c.placement))) {
        rc = rank ? CLI_USAGE : cli_usage_error("%s", clkfac_last_error());
        goto done;
    }
    if ((st = clkfac_agent_set_comm(ag, comm))) {
        rc = st != CLKFAC_ERR_UNSUPPORTED ? cli_fail("joining the ranks", st)
             : rank ? CLI_USAGE : cli_usage_error("%s", clkfac_last_error());
        goto done;
    }
    if ((st = clkfac_mkdir_p(dir))) { /* after the agent accepted every option (--net too) */
        rc = cli_fail("--out", st);
        goto done;
    }
    runlog_spec spec = {dir, c.env, (long)c.steps, (long)c.n_envs, &ag_opts, NULL, NULL, 10.0,
                        !c.quiet && isatty(fileno(stderr)), NULL, c.checkpoint_every,
                        /* with ranks, by count only: every rank's checkpoint of one update */
                        c.checkpoint_seconds > 0 && size < 2 ? c.checkpoint_seconds : -1.0, c.resume,
                        c.preset == PRESET_AUTO ? c.applied : NULL};
    runlog_result res;
    rc = runlog_train(&spec, ctx, env, ag, &res);
    if (rc == CLI_OK && !c.quiet && res.resumed == 2)
        printf("%s: the run had finished and its files match summary.json; nothing to do\n", c.out);
    else if (rc == CLI_OK && !c.quiet)
        printf("%s on %s: %llu steps, %zu episodes, mean return (last %zu) %.2f, %.0f steps/s; "
               "results in %s\n",
               clkfac_algo_name(ag_opts.algo), c.env, (unsigned long long)res.timesteps,
               res.episodes, res.recent_n, res.recent_mean,
               (double)res.timesteps / res.wall_seconds, c.out);
done:
    clkfac_agent_free(ag);
    clkfac_context_free(ctx);
    clkfac_vecenv_free(env);
    clkfac_comm_free(comm);
    return rc;
}
