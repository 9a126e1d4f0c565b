/* `clkfac env list`: every environment id with its observation and action spaces.
 * `clkfac env show`: plays a pixel game with a policy (random, no-op, or a trained agent saved by
 * `clkfac train`) and writes every frame and a contact sheet as PNG, printing each episode's
 * return.
 * `clkfac env eval`: a policy's mean return over many episodes: the uniform-random baseline every
 * learning curve is read against, or a trained agent's (sampled or greedy) return. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/runlog.h"

#define SHOW_MAX_SHEET 400 /* frames on the contact sheet; longer runs show every k-th */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clkfac env list\n"
            "       clkfac env show --env ID --out DIR [--policy random|noop|RUN_DIR] [--greedy]\n"
            "                       [--seed 0] [--steps 200] [--episodes 1] [--sticky P]\n"
            "                       [--minimal] [--no-ramping] [--scale 24] [--no-grid]\n"
            "                       [--device SPEC]\n"
            "       clkfac env eval --env ID[,ID..]|all [--policy random|noop|RUN_DIR] [--greedy]\n"
            "                       [--episodes 1000] [--seed 0] [--sticky P] [--minimal]\n"
            "                       [--no-ramping] [--device SPEC]\n"
            "  list  prints every environment id with its observation and action spaces and\n"
            "        time limit (the pixel games also answer to Breakout, Freeway, Asterix,\n"
            "        Seaquest, SpaceInvaders)\n"
            "  show  plays a pixel game from reset for up to --steps steps or --episodes\n"
            "        episodes, writes DIR/frame_0000.png (the reset observation), frame_0001.png\n"
            "        (after step 1), ... and DIR/sheet.png (all frames, or every k-th beyond %d),\n"
            "        and prints each episode's return. A MuJoCo task's frames are grayscale\n"
            "        pictures of its state, 8 x --scale pixels square (no sheet).\n"
            "        --scale N      pixels per cell in the frames (1..256; the sheet: a third)\n"
            "  eval  plays --episodes episodes of each environment (one instance seeded with\n"
            "        --seed, reset between episodes) and prints a Markdown table: mean return\n"
            "        with a 95%% bootstrap interval, standard deviation, max, mean length and how\n"
            "        many episodes were truncated (all: every id but the reward-free\n"
            "        Synthetic/Atari-v0).\n"
            "  --policy     random: uniform actions (uniform over a Box's bounds; the default);\n"
            "               noop: action 0; RUN_DIR: the agent a finished `clkfac train --out\n"
            "               RUN_DIR` (or bench sample run) saved in policy.npy/policy.txt, one\n"
            "               draw from its policy per step, or its most likely action with\n"
            "               --greedy. --env may then be left out (the run's environment).\n"
            "  --sticky P   probability the previous action repeats (default 0.1), --minimal the\n"
            "               game's minimal action set, --no-ramping the first frames' difficulty:\n"
            "               pixel games only\n",
            SHOW_MAX_SHEET);
}

/* ---- list ---------------------------------------------------------------------------------- */

/* "Box(4,10,10) in [0, 1]" when every bound is the same, else "Box(4)"; "Discrete(6)". */
static void space_text(char *buf, size_t cap, const clkfac_space *s)
{
    if (s->kind == CLKFAC_SPACE_DISCRETE) {
        snprintf(buf, cap, "Discrete(%d)", s->n);
        return;
    }
    int used = snprintf(buf, cap, "Box(");
    for (int d = 0; d < s->ndim && used > 0 && (size_t)used < cap; d++)
        used += snprintf(buf + used, cap - (size_t)used, "%s%d", d ? "," : "", s->dims[d]);
    int uniform = 1;
    for (size_t i = 1; i < s->size; i++)
        uniform &= s->low[i] == s->low[0] && s->high[i] == s->high[0];
    if (used > 0 && (size_t)used < cap) {
        if (uniform)
            snprintf(buf + used, cap - (size_t)used, ") in [%g, %g]", (double)s->low[0],
                     (double)s->high[0]);
        else
            snprintf(buf + used, cap - (size_t)used, ")");
    }
}

static int env_list(void)
{
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    int w = 26; /* the id column fits the longest id */
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(ids[i]) > w) w = (int)strlen(ids[i]);
    printf("%-*s %-24s %-26s %s\n", w, "id", "observation", "actions", "time limit");
    for (size_t i = 0; i < n; i++) {
        clkfac_env *env = NULL;
        clkfac_status st = clkfac_env_create(&env, ids[i], 0);
        if (st) return cli_fail(ids[i], st);
        char obs[96], act[96];
        space_text(obs, sizeof obs, clkfac_env_observation_space(env));
        space_text(act, sizeof act, clkfac_env_action_space(env));
        /* A game's minimal set shows next to the full one. */
        clkfac_env_options o = CLKFAC_ENV_OPTIONS_INIT;
        o.minimal_actions = 1;
        clkfac_env *minimal = NULL;
        if (clkfac_env_action_space(env)->kind == CLKFAC_SPACE_DISCRETE &&
            clkfac_env_observation_space(env)->ndim == 3 &&
            clkfac_env_create_ext(&minimal, ids[i], 0, &o) == CLKFAC_OK) {
            size_t len = strlen(act);
            snprintf(act + len, sizeof act - len, ", minimal %d",
                     clkfac_env_action_space(minimal)->n);
        }
        printf("%-*s %-24s %-26s %llu\n", w, ids[i], obs, act,
               (unsigned long long)clkfac_env_max_steps(env));
        clkfac_env_free(minimal);
        clkfac_env_free(env);
    }
    printf("\nPixel games: Freeway ends (terminated) after 2500 frames; the others have no time\n"
           "rule and 100000 is only a safety truncation. Sticky actions 0.1 by default.\n");
    if (clkfac_env_missing())
        printf("MuJoCo tasks (MuJoCo/HalfCheetah-v1, ...): not available:\n  %s.\n",
               clkfac_env_missing());
    else
        printf("MuJoCo tasks: Gymnasium's v5 rules on this project's models (data/mujoco/);\n"
               "Reacher's limit is 50 steps as registered there, the others 1000. The Pixels\n"
               "variants observe the last 4 grayscale 42x42 pictures instead of the state.\n");
    return CLI_OK;
}

/* ---- options ------------------------------------------------------------------------------- */

typedef struct show_cfg {
    const char *env, *out, *policy, *device;
    long seed, steps, episodes, scale;
    double sticky; /* < 0: the default */
    int minimal, ramping, grid, greedy;
} show_cfg;

/* The command line as the option tables read it (show_cfg keeps its own types). */
typedef struct env_cli {
    const char *env, *out, *policy, *device;
    uint64_t seed;
    int steps, episodes, scale;
    double sticky;
    int minimal, ramping, grid, greedy;
} env_cli;

/* Both subcommands' options, then show's own; eval's --episodes allows more of them. */
static const clkfac_option COMMON_OPTIONS[] = {
    CLI_OPTION(STRING, env_cli, env, "--env", "ID", 0, 0, 0, "environment"),
    CLI_OPTION(U64, env_cli, seed, "--seed", "N", 0, 2147483647, 0, "seed"),
    CLI_OPTION(DOUBLE, env_cli, sticky, "--sticky", "P", 0, 1, -1, "sticky-action probability"),
    CLI_OPTION(STRING, env_cli, policy, "--policy", "NAME", 0, 0, 0, "who acts"),
    CLI_OPTION(STRING, env_cli, device, "--device", "SPEC", 0, 0, 0,
               "OpenCL device of a trained policy (--policy RUN_DIR)"),
    CLI_OPTION(BOOL, env_cli, minimal, "--minimal", NULL, 0, 1, 0, "minimal action set"),
    CLI_OPTION(BOOL, env_cli, ramping, "--no-ramping", NULL, 0, 1, 1, "no difficulty ramp"),
    CLI_OPTION(BOOL, env_cli, greedy, "--greedy", NULL, 0, 1, 0, "most likely action"),
};
static const clkfac_option SHOW_OPTIONS[] = {
    CLI_OPTION(INT, env_cli, episodes, "--episodes", "N", 1, 10000, 1, "episodes"),
    CLI_OPTION(STRING, env_cli, out, "--out", "DIR", 0, 0, 0, "frames folder"),
    CLI_OPTION(INT, env_cli, steps, "--steps", "N", 1, 100000, 200, "steps"),
    CLI_OPTION(INT, env_cli, scale, "--scale", "N", 1, 256, 24, "pixels per cell"),
    CLI_OPTION(BOOL, env_cli, grid, "--no-grid", NULL, 0, 1, 1, "no grid lines"),
};
static const clkfac_option EVAL_OPTIONS[] = {
    CLI_OPTION(INT, env_cli, episodes, "--episodes", "N", 1, 1000000, 1000, "episodes"),
};
#define N_OF(a) (sizeof a / sizeof a[0])

/* Options of `env show` and `env eval` (sub names which); the frame options belong to show. */
static int show_parse(show_cfg *c, int argc, char **argv, const char *sub)
{
    const int show = !strcmp(sub, "show");
    env_cli e;
    memset(&e, 0, sizeof e);
    e.policy = "random";
    cli_defaults(COMMON_OPTIONS, N_OF(COMMON_OPTIONS), &e);
    cli_table t[] = {{COMMON_OPTIONS, N_OF(COMMON_OPTIONS), &e, NULL},
                     {show ? SHOW_OPTIONS : EVAL_OPTIONS, show ? N_OF(SHOW_OPTIONS) : N_OF(EVAL_OPTIONS),
                      &e, NULL}};
    cli_defaults(t[1].rows, t[1].n, &e);
    char cmd[16];
    snprintf(cmd, sizeof cmd, "env %s", sub);
    int r = cli_parse(cmd, argc - 1, argv + 1, t, 2);
    if (r < 0) usage(stdout);
    if (r) return r;
    c->env = e.env;
    c->out = e.out;
    c->policy = e.policy; /* random, noop or a folder: checked when opened */
    c->device = e.device;
    c->seed = (long)e.seed;
    c->steps = show ? e.steps : 0;
    c->episodes = e.episodes;
    c->scale = show ? e.scale : 0;
    c->sticky = e.sticky;
    c->minimal = e.minimal;
    c->ramping = e.ramping;
    c->grid = show ? e.grid : 0;
    c->greedy = e.greedy;
    int builtin = !strcmp(c->policy, "random") || !strcmp(c->policy, "noop");
    if (!c->env && builtin)
        return cli_usage_error("env %s: missing --env ID (see clkfac env list)", sub);
    if (show && !c->out) return cli_usage_error("env show: missing --out DIR");
    if (show && clkfac_dir_check(c->out))
        return cli_usage_error("--out %s: %s", c->out, clkfac_last_error());
    if (c->greedy && builtin)
        return cli_usage_error("--greedy: only for a trained policy (--policy RUN_DIR), not "
                               "--policy %s", c->policy);
    if (c->device && builtin) /* ignoring it would accept any spec, a typo included */
        return cli_usage_error("--device %s: only a trained policy (--policy RUN_DIR) runs on a "
                               "device, not --policy %s", c->device, c->policy);
    return 0;
}

/* ---- policies ------------------------------------------------------------------------------ */

/* splitmix64: the policy's own stream, so the game's RNG sees only the game. */
static uint64_t policy_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Who chooses the actions: uniform random, always action 0, or a trained agent. */
typedef struct policy {
    enum { POLICY_RANDOM, POLICY_NOOP, POLICY_AGENT } kind;
    uint64_t rng;
    int greedy;
    runlog_policy saved;
    clkfac_context *ctx;
    clkfac_vecenv *venv; /* the agent's own (never stepped): clkfac_agent_create needs one */
    clkfac_agent *agent;
} policy;

static void policy_close(policy *p)
{
    clkfac_agent_free(p->agent);
    clkfac_vecenv_free(p->venv);
    clkfac_context_free(p->ctx);
    free(p->saved.params);
    memset(p, 0, sizeof *p);
}

/* Reads a saved policy's description only (its environment), for --env to default to. */
static int policy_peek(const show_cfg *c, runlog_policy *saved)
{
    memset(saved, 0, sizeof *saved);
    if (!strcmp(c->policy, "random") || !strcmp(c->policy, "noop")) return CLI_OK;
    return runlog_policy_load(saved, c->policy);
}

/* Opens the policy for env_id; a CLI exit code. A saved agent is rebuilt with its networks
 * (from policy.txt) on the device and given its parameters. */
static int policy_open(policy *p, const show_cfg *c, const char *env_id)
{
    memset(p, 0, sizeof *p);
    p->rng = (uint64_t)c->seed ^ 0x706f6c696379ULL; /* "policy" */
    p->greedy = c->greedy;
    if (!strcmp(c->policy, "random")) { p->kind = POLICY_RANDOM; return CLI_OK; }
    if (!strcmp(c->policy, "noop")) { p->kind = POLICY_NOOP; return CLI_OK; }
    p->kind = POLICY_AGENT;
    int rc = runlog_policy_load(&p->saved, c->policy);
    if (rc) return rc;
    clkfac_env *probe = NULL;
    clkfac_status st = clkfac_env_create(&probe, env_id, 0);
    if (st) {
        policy_close(p);
        return cli_fail("--env", st);
    }
    int same = !strcmp(clkfac_env_id(probe), p->saved.env);
    clkfac_env_free(probe);
    if (!same) {
        rc = cli_usage_error("--env %s: the policy in %s was trained on %s", env_id, c->policy,
                             p->saved.env);
        policy_close(p);
        return rc;
    }
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    if ((st = clkfac_algo_parse(&o.algo, p->saved.algo))) {
        policy_close(p);
        return cli_fail(c->policy, st);
    }
    o.net = p->saved.net;
    o.activation = p->saved.activation;
    CLKFAC_AGENT_SET(&o, shared, p->saved.shared); /* 0 means separate, not default */
    o.critic_euclidean = p->saved.critic_euclidean;
    o.seed = (uint64_t)c->seed;
    o.n_steps = 1;
    int ctx_rc = CLI_RUNTIME;
    if (!(p->ctx = cli_context(c->device, &ctx_rc))) {
        policy_close(p);
        return ctx_rc;
    }
    if ((st = clkfac_vecenv_create(&p->venv, env_id, 1, 0, NULL)) ||
        (st = clkfac_agent_create(&p->agent, p->ctx, p->venv, &o)) ||
        (st = clkfac_agent_write_params(p->agent, p->saved.params, p->saved.n_params))) {
        rc = cli_fail(c->policy, st);
        policy_close(p);
        return rc;
    }
    return CLI_OK;
}

/* The action for obs into act (the action space's size floats). */
static clkfac_status policy_act(policy *p, const clkfac_space *as, const float *obs, float *act)
{
    switch (p->kind) {
    case POLICY_AGENT: return clkfac_agent_act(p->agent, obs, 1, p->greedy, act);
    case POLICY_NOOP:
        for (size_t j = 0; j < as->size; j++) act[j] = 0.0f;
        return CLKFAC_OK;
    case POLICY_RANDOM: break;
    }
    if (as->kind == CLKFAC_SPACE_DISCRETE) {
        act[0] = (float)(policy_next(&p->rng) % (uint64_t)as->n);
        return CLKFAC_OK;
    }
    for (size_t j = 0; j < as->size; j++) {
        double u = (double)(policy_next(&p->rng) >> 11) * 0x1.0p-53;
        act[j] = (float)(as->low[j] + u * ((double)as->high[j] - as->low[j]));
    }
    return CLKFAC_OK;
}

/* The environment with the pixel-game options applied to games. */
static clkfac_status env_open(clkfac_env **env, const char *id, const show_cfg *c)
{
    clkfac_status st = clkfac_env_create(env, id, (uint64_t)c->seed);
    if (st || clkfac_env_observation_space(*env)->ndim != 3) return st;
    clkfac_env_free(*env);
    *env = NULL;
    clkfac_env_options o = CLKFAC_ENV_OPTIONS_INIT;
    o.sticky_prob = c->sticky;
    o.minimal_actions = c->minimal;
    o.ramping = c->ramping;
    return clkfac_env_create_ext(env, id, (uint64_t)c->seed, &o);
}

/* ---- show ---------------------------------------------------------------------------------- */

/* Frames kept for the sheet: (count, frame floats), grown by doubling. */
typedef struct frame_log {
    float *data;
    size_t count, cap, size;
} frame_log;

static int log_push(frame_log *l, const float *obs)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        float *p = realloc(l->data, cap * l->size * sizeof *p);
        if (!p) return -1;
        l->data = p;
        l->cap = cap;
    }
    memcpy(l->data + l->count * l->size, obs, l->size * sizeof *obs);
    l->count++;
    return 0;
}

/* A MuJoCo task's picture (clkfac_env_render_gray), 8 * --scale pixels square (32..1024). */
static clkfac_status render_picture(clkfac_frame_image **out, const clkfac_env *env, long scale)
{
    long side = 8 * scale < 32 ? 32 : 8 * scale > 1024 ? 1024 : 8 * scale;
    clkfac_frame_image *img = calloc(1, sizeof *img);
    unsigned char *gray = malloc((size_t)(side * side));
    if (img) img->rgb = malloc((size_t)(side * side * 3));
    if (!img || !gray || !img->rgb) {
        free(gray);
        clkfac_frame_image_free(img);
        return CLKFAC_ERR_NO_MEMORY;
    }
    clkfac_status st = clkfac_env_render_gray(env, (int)side, (int)side, gray);
    img->width = img->height = (int)side;
    img->channels = 1;
    for (long i = 0; i < side * side; i++)
        img->rgb[3 * i] = img->rgb[3 * i + 1] = img->rgb[3 * i + 2] = gray[i];
    free(gray);
    if (st) {
        clkfac_frame_image_free(img);
        return st;
    }
    *out = img;
    return CLKFAC_OK;
}

static clkfac_status write_frame(const show_cfg *c, const clkfac_env *env, const float *obs,
                                 size_t index, const char *where, const char *source,
                                 const clkfac_frame_options *fo)
{
    const clkfac_space *s = clkfac_env_observation_space(env);
    clkfac_frame_image *img = NULL;
    const int game = s->ndim == 3 && clkfac_env_action_space(env)->kind == CLKFAC_SPACE_DISCRETE;
    clkfac_status st = game
                           ? clkfac_frame_render(&img, obs, s->dims[0], s->dims[1], s->dims[2], fo)
                           : render_picture(&img, env, c->scale);
    if (st) return st;
    char path[4096], title[256];
    snprintf(path, sizeof path, "%s/frame_%04zu.png", c->out, index);
    snprintf(title, sizeof title, "%s frame %zu (%s)", clkfac_env_id(env), index, where);
    st = clkfac_frame_write_png(path, img, title, source);
    clkfac_frame_image_free(img);
    return st;
}

static clkfac_status write_sheet(const show_cfg *c, const clkfac_env *env, const frame_log *l,
                                 const char *source, size_t *every)
{
    const clkfac_space *s = clkfac_env_observation_space(env);
    *every = (l->count + SHOW_MAX_SHEET - 1) / SHOW_MAX_SHEET;
    size_t n = (l->count + *every - 1) / *every;
    float *pick = malloc(n * l->size * sizeof *pick);
    if (!pick) return CLKFAC_ERR_NO_MEMORY; /* reported by the caller */
    for (size_t i = 0; i < n; i++)
        memcpy(pick + i * l->size, l->data + i * *every * l->size, l->size * sizeof *pick);
    clkfac_frame_options fo = CLKFAC_FRAME_OPTIONS_INIT;
    fo.scale = c->scale >= 3 ? (int)c->scale / 3 : 1;
    fo.grid = c->grid;
    clkfac_frame_image *img = NULL;
    clkfac_status st = clkfac_frame_sheet(&img, pick, n, s->dims[0], s->dims[1], s->dims[2], &fo);
    free(pick);
    if (st) return st;
    char path[4096], title[256];
    snprintf(path, sizeof path, "%s/sheet.png", c->out);
    snprintf(title, sizeof title, "%s: %zu frames%s", clkfac_env_id(env), l->count,
             *every > 1 ? " (every k-th shown, see Source)" : "");
    st = clkfac_frame_write_png(path, img, title, source);
    clkfac_frame_image_free(img);
    return st;
}

/* Plays and writes; returns a CLI exit code. */
static int show_play(const show_cfg *c, clkfac_env *env, policy *pol, const char *source)
{
    const clkfac_space *os = clkfac_env_observation_space(env);
    const clkfac_space *as = clkfac_env_action_space(env);
    clkfac_frame_options fo = CLKFAC_FRAME_OPTIONS_INIT;
    fo.scale = (int)c->scale;
    fo.grid = c->grid;
    frame_log log = {NULL, 0, 0, os->size};
    /* pixel games: also the contact sheet of observations (MuJoCo's pixel tasks: pictures) */
    const int grid = os->ndim == 3 && as->kind == CLKFAC_SPACE_DISCRETE;
    float *obs = malloc(os->size * sizeof *obs), *act = calloc(as->size, sizeof *act);
    int rc = CLI_OK;
    clkfac_status st = CLKFAC_OK;
    long episode = 1, steps = 0;
    size_t frames = 0;
    double ret = 0;
    char where[128];
    if (!obs || !act) { st = CLKFAC_ERR_NO_MEMORY; goto fail; }
    if ((st = clkfac_env_reset(env, obs))) goto fail;
    snprintf(where, sizeof where, "episode 1, reset");
    for (;;) {
        if (grid && log_push(&log, obs)) { st = CLKFAC_ERR_NO_MEMORY; goto fail; }
        if ((st = write_frame(c, env, obs, frames++, where, source, &fo))) goto fail;
        if (steps == c->steps) {
            printf("episode %ld: return %g after %llu steps (not finished; --steps %ld reached)\n",
                   episode, ret, (unsigned long long)clkfac_env_elapsed_steps(env), c->steps);
            break;
        }
        if ((st = policy_act(pol, as, obs, act))) goto fail;
        clkfac_step_result r;
        if ((st = clkfac_env_step(&r, env, act, obs))) goto fail;
        steps++;
        ret += r.reward;
        if (grid)
            snprintf(where, sizeof where, "episode %ld, step %llu, action %d, reward %g, return %g",
                     episode, (unsigned long long)r.steps, (int)act[0], r.reward, ret);
        else
            snprintf(where, sizeof where, "episode %ld, step %llu, reward %g, return %g", episode,
                     (unsigned long long)r.steps, r.reward, ret);
        if (r.terminated || r.truncated) {
            if (grid && log_push(&log, obs)) { st = CLKFAC_ERR_NO_MEMORY; goto fail; }
            if ((st = write_frame(c, env, obs, frames++, where, source, &fo))) goto fail;
            printf("episode %ld: return %g over %llu steps (%s)\n", episode, ret,
                   (unsigned long long)r.steps, r.terminated ? "terminated" : "truncated");
            if (episode == c->episodes || steps == c->steps) break;
            episode++;
            ret = 0;
            if ((st = clkfac_env_reset(env, obs))) goto fail;
            snprintf(where, sizeof where, "episode %ld, reset", episode);
        }
    }
    size_t every = 1;
    if (!grid) {
        printf("wrote %zu frames (frame_0000.png ..) to %s\n", frames, c->out);
        goto done;
    }
    if ((st = write_sheet(c, env, &log, source, &every))) goto fail;
    printf("wrote %zu frames (frame_0000.png ..) and sheet.png%s to %s\n", log.count,
           every > 1 ? " (every k-th frame)" : "", c->out);
    goto done;
fail:
    if (st == CLKFAC_ERR_NO_MEMORY)
        rc = (fprintf(stderr, "clkfac: env show: out of host memory\n"), CLI_RUNTIME);
    else
        rc = cli_fail("env show", st);
done:
    free(obs);
    free(act);
    free(log.data);
    return rc;
}

static int env_show(int argc, char **argv)
{
    show_cfg c;
    int r = show_parse(&c, argc, argv, "show");
    if (r) return r < 0 ? CLI_OK : r;
    runlog_policy saved;
    if ((r = policy_peek(&c, &saved))) return r;
    char env_id[128];
    snprintf(env_id, sizeof env_id, "%s", c.env ? c.env : saved.env);
    free(saved.params);
    clkfac_env *env = NULL;
    clkfac_status st = env_open(&env, env_id, &c);
    if (st) return cli_fail("--env", st);
    const clkfac_space *os = clkfac_env_observation_space(env);
    unsigned char probe[64];
    if (os->ndim != 3 && clkfac_env_render_gray(env, 8, 8, probe) != CLKFAC_OK) {
        char sp[96];
        space_text(sp, sizeof sp, os);
        clkfac_env_free(env);
        return cli_usage_error("--env %s: observes %s; env show draws the pixel games "
                               "(Breakout, Freeway, Asterix, Seaquest, SpaceInvaders) and the "
                               "MuJoCo tasks", env_id, sp);
    }
    policy pol;
    if ((r = policy_open(&pol, &c, env_id))) {
        clkfac_env_free(env);
        return r;
    }
    if ((st = clkfac_mkdir_p(c.out))) {
        policy_close(&pol);
        clkfac_env_free(env);
        return cli_fail("--out", st);
    }
    char *prov = NULL, source[2048];
    if (clkfac_provenance(&prov, pol.ctx)) prov = NULL;
    snprintf(source, sizeof source,
             "clkfac env show --env %s --seed %ld --policy %s%s --sticky %g%s%s\n%s",
             clkfac_env_id(env), c.seed, c.policy, c.greedy ? " --greedy" : "",
             c.sticky < 0 ? CLKFAC_ENV_STICKY_DEFAULT : c.sticky, c.minimal ? " --minimal" : "",
             c.ramping ? "" : " --no-ramping", prov ? prov : "");
    free(prov);
    int rc = show_play(&c, env, &pol, source);
    policy_close(&pol);
    clkfac_env_free(env);
    return rc;
}

/* ---- eval ---------------------------------------------------------------------------------- */

typedef struct eval_result {
    double mean, lo, hi, sd, max, mean_len;
    long truncated;
} eval_result;

/* Plays c->episodes episodes of env with the policy. */
static clkfac_status eval_play(eval_result *res, const show_cfg *c, clkfac_env *env, policy *pol)
{
    const clkfac_space *os = clkfac_env_observation_space(env), *as = clkfac_env_action_space(env);
    size_t n = (size_t)c->episodes;
    float *obs = malloc(os->size * sizeof *obs), *act = malloc(as->size * sizeof *act);
    double *ret = malloc(n * sizeof *ret);
    double len = 0;
    clkfac_status st = CLKFAC_OK;
    res->truncated = 0;
    if (!obs || !act || !ret) { st = CLKFAC_ERR_NO_MEMORY; goto done; }
    for (size_t k = 0; k < n; k++) {
        if ((st = clkfac_env_reset(env, obs))) goto done;
        clkfac_step_result r;
        ret[k] = 0;
        do {
            if ((st = policy_act(pol, as, obs, act)) ||
                (st = clkfac_env_step(&r, env, act, obs)))
                goto done;
            ret[k] += r.reward;
        } while (!r.terminated && !r.truncated);
        len += (double)r.steps;
        res->truncated += r.truncated && !r.terminated;
    }
    res->mean = clkfac_stats_mean(ret, n);
    res->sd = clkfac_stats_std(ret, n);
    res->max = ret[0];
    for (size_t k = 1; k < n; k++) res->max = ret[k] > res->max ? ret[k] : res->max;
    res->mean_len = len / (double)n;
    st = clkfac_stats_bootstrap_ci(&res->lo, &res->hi, ret, n, 0.95, 2000,
                                   CLKFAC_STATS_BOOTSTRAP_SEED);
done:
    free(obs);
    free(act);
    free(ret);
    return st;
}

static int env_eval(int argc, char **argv)
{
    show_cfg c;
    int r = show_parse(&c, argc, argv, "eval");
    if (r) return r < 0 ? CLI_OK : r;
    runlog_policy saved;
    if ((r = policy_peek(&c, &saved))) return r;
    free(saved.params);
    size_t n_ids = 0;
    const char *const *all = clkfac_env_ids(&n_ids);
    char *list = strdup(c.env ? c.env : saved.env);
    if (!list) return (fprintf(stderr, "clkfac: env eval: out of host memory\n"), CLI_RUNTIME);
    /* Check every id before playing any, so a typo fails at once. */
    const char *ids[64];
    size_t n = 0;
    if (!strcmp(list, "all")) {
        for (size_t i = 0; i < n_ids && n < 64; i++) /* the synthetic frames pay nothing */
            if (strncmp(all[i], "Synthetic/", 10)) ids[n++] = all[i];
    } else {
        for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            clkfac_env *probe = NULL;
            clkfac_status st = clkfac_env_create(&probe, t, 0);
            if (st) {
                free(list);
                return cli_fail("--env", st);
            }
            clkfac_env_free(probe);
            if (n == 64) {
                free(list);
                return cli_usage_error("--env: more than 64 environments listed");
            }
            ids[n++] = t;
        }
    }
    if (saved.env[0] && n > 1) {
        free(list);
        return cli_usage_error("--env: one environment for a trained policy (%s was trained "
                               "on %s)", c.policy, saved.env);
    }
    printf("Policy %s%s, %ld episodes each, seed %ld%s\n\n",
           !strcmp(c.policy, "random") ? "uniform random" : c.policy,
           c.greedy ? " (greedy)" : "", c.episodes, c.seed,
           c.sticky >= 0 || c.minimal || !c.ramping ? " (pixel-game options as given)" : "");
    printf("| env | episodes | mean return | 95%% CI | sd | max | mean length | truncated |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    int rc = CLI_OK;
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        clkfac_env *env = NULL;
        policy pol;
        clkfac_status st = env_open(&env, ids[i], &c);
        if (st) {
            rc = cli_fail(ids[i], st);
            break;
        }
        if ((rc = policy_open(&pol, &c, ids[i]))) {
            clkfac_env_free(env);
            break;
        }
        eval_result res;
        if ((st = eval_play(&res, &c, env, &pol)))
            rc = cli_fail(ids[i], st);
        else
            printf("| %s | %ld | %.3f | [%.3f, %.3f] | %.3f | %g | %.1f | %ld |\n",
                   clkfac_env_id(env), c.episodes, res.mean, res.lo, res.hi, res.sd, res.max,
                   res.mean_len, res.truncated);
        fflush(stdout);
        policy_close(&pol);
        clkfac_env_free(env);
    }
    free(list);
    return rc;
}

int cmd_env(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "list")) {
        if (argc > 2)
            return cli_usage_error("env list: unexpected argument '%s'; it takes none", argv[2]);
        return env_list();
    }
    if (!strcmp(argv[1], "show")) return env_show(argc, argv);
    if (!strcmp(argv[1], "eval")) return env_eval(argc, argv);
    return cli_usage_error("env: unknown subcommand '%s'; expected list, show or eval", argv[1]);
}
