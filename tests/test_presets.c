/* Per-environment settings (data/presets.txt through clkfac_agent_options_preset): every
 * environment has a valid row for every algorithm, what the caller gave wins, the settings text
 * is faithful (`clkfac train` with that text and --preset none runs with the same options), and
 * the training command prints and records them. */
/* ctest-labels: unit device */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_support.h"
#include "harness.h"

static const clkfac_algo ALGOS[] = {CLKFAC_ALGO_A2C, CLKFAC_ALGO_ACKTR, CLKFAC_ALGO_TRPO};

static void test_every_environment_and_algorithm_has_a_valid_row(void **state)
{
    (void)state;
    size_t n_ids = 0;
    const char *const *ids = clkfac_env_ids(&n_ids);
    assert_true(n_ids >= 11);
    for (size_t i = 0; i < n_ids; i++)
        for (size_t a = 0; a < 3; a++) {
            clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT, r;
            o.algo = ALGOS[a];
            unsigned envs = 0;
            char text[512];
            if (clkfac_agent_options_preset(&o, &envs, ids[i], text, sizeof text))
                fail_msg("%s %s: %s", ids[i], clkfac_algo_name(ALGOS[a]), clkfac_last_error());
            if (!text[0] || !envs)
                fail_msg("%s %s: no settings (text '%s', envs %u)", ids[i],
                         clkfac_algo_name(ALGOS[a]), text, envs);
            TH_OK(clkfac_agent_options_resolve(&r, &o));
        }
}

static void test_what_the_caller_gave_wins(void **state)
{
    (void)state;
    /* the table: CartPole-v1 a2c --envs 8 --lr 1e-3; acktr --envs 8 --ent-coef 0 */
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    unsigned envs = 0;
    char text[256];
    TH_OK(clkfac_agent_options_preset(&o, &envs, "CartPole-v1", text, sizeof text));
    assert_true(o.lr == 1e-3f);
    assert_int_equal(envs, 8);
    assert_string_equal(text, "--envs 8 --lr 1e-3");

    clkfac_agent_options g = CLKFAC_AGENT_OPTIONS_INIT;
    g.lr = 5e-4f; /* a plain non-zero assignment counts as given */
    envs = 4;
    TH_OK(clkfac_agent_options_preset(&g, &envs, "CartPole-v1", text, sizeof text));
    assert_true(g.lr == 5e-4f);
    assert_int_equal(envs, 4);
    assert_string_equal(text, "");

    clkfac_agent_options k = CLKFAC_AGENT_OPTIONS_INIT;
    k.algo = CLKFAC_ALGO_ACKTR;
    TH_OK(clkfac_agent_options_preset(&k, NULL, "CartPole-v1", text, sizeof text));
    assert_true(k.ent_coef == 0.0f);
    assert_true(k.given >> CLKFAC_AGENT_OPT_ent_coef & 1); /* a 0 that means 0 */
    clkfac_agent_options r;
    TH_OK(clkfac_agent_options_resolve(&r, &k));
    assert_true(r.ent_coef == 0.0f);

    clkfac_agent_options z = CLKFAC_AGENT_OPTIONS_INIT;
    z.algo = CLKFAC_ALGO_ACKTR;
    CLKFAC_AGENT_SET(&z, ent_coef, 0.02f);
    TH_OK(clkfac_agent_options_preset(&z, NULL, "CartPole-v1", text, sizeof text));
    assert_true(z.ent_coef == 0.02f);
}

static void test_patterns_strings_and_unknown_environments(void **state)
{
    (void)state;
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_TRPO;
    unsigned envs = 0;
    char text[256];
    TH_OK(clkfac_agent_options_preset(&o, &envs, "MinAtar/Seaquest-v1", text, sizeof text));
    assert_non_null(o.net);
    assert_string_equal(o.net, "conv:16,3,1 dense:128");
    assert_string_equal(o.activation, "relu");
    assert_int_equal(o.n_steps, 64);
    assert_non_null(strstr(text, "--net 'conv:16,3,1 dense:128'"));

    clkfac_agent_options u = CLKFAC_AGENT_OPTIONS_INIT;
    envs = 0;
    TH_OK(clkfac_agent_options_preset(&u, &envs, "NoSuchEnv-v0", text, sizeof text));
    assert_int_equal(envs, 0);
    assert_string_equal(text, "");
    assert_int_equal(u.given, 0);
    /* a prefix row is not a prefix match of a full id */
    TH_OK(clkfac_agent_options_preset(&u, &envs, "CartPole", text, sizeof text));
    assert_string_equal(text, "");

    clkfac_agent_options v = CLKFAC_AGENT_OPTIONS_INIT;
    v.version = 1;
    assert_int_equal(clkfac_agent_options_preset(&v, NULL, "CartPole-v1", NULL, 0),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "version 1"));
}

/* The "options" object of DIR/summary.json as text, and its "preset" member (NULL: none). */
static char *summary_part(const char *dir, const char *key)
{
    char p[512];
    snprintf(p, sizeof p, "%s/summary.json", dir);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strstr(buf, key);
    if (!s) return NULL;
    char *e = strchr(s, key[1] == 'o' ? '}' : '\n');
    return e ? strndup(s, (size_t)(e - s)) : NULL;
}

/* `clkfac train` prints the settings and records them; the printed text given as options with
 * --preset none trains with the same options. */
static void test_train_prints_records_and_replays_the_settings(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    const char *cases[][2] = {{"CartPole-v1", "trpo"}, {"Pendulum-v1", "a2c"},
                              {"MinAtar/Breakout-v1", "acktr"}};
    for (size_t c = 0; c < 3; c++) {
        char *d = cs_tempdir("preset");
        char args[1024], out[8192], applied[512] = "";
        snprintf(args, sizeof args, "train --env %s --algo %s --steps 200 --out %s/auto",
                 cases[c][0], cases[c][1], d);
        int rc = cs_run(args, out, sizeof out);
        if (rc) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
        const char *tag = "settings from data/presets.txt: ";
        char *at = strstr(out, tag);
        if (!at) fail_msg("clkfac %s printed no settings:\n%s", args, out);
        at += strlen(tag);
        snprintf(applied, sizeof applied, "%.*s", (int)strcspn(at, "\n"), at);
        snprintf(args, sizeof args, "%s/auto", d);
        char *rec = summary_part(args, "\"preset\"");
        assert_non_null(rec);
        assert_non_null(strstr(rec, applied));
        free(rec);
        snprintf(args, sizeof args,
                 "train --env %s --algo %s --steps 200 --preset none %s --out %s/none",
                 cases[c][0], cases[c][1], applied, d);
        rc = cs_run(args, out, sizeof out);
        if (rc) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
        char pa[512], pn[512];
        snprintf(pa, sizeof pa, "%s/auto", d);
        snprintf(pn, sizeof pn, "%s/none", d);
        char *oa = summary_part(pa, "\"options\""), *on = summary_part(pn, "\"options\"");
        assert_non_null(oa);
        assert_non_null(on);
        if (strcmp(oa, on)) fail_msg("%s %s: options differ:\n%s\n%s", cases[c][0], cases[c][1], oa, on);
        free(oa);
        free(on);
        char *none = summary_part(pn, "\"preset\"");
        assert_null(none);
        cs_rmtree(d);
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_environment_and_algorithm_has_a_valid_row),
        cmocka_unit_test(test_what_the_caller_gave_wins),
        cmocka_unit_test(test_patterns_strings_and_unknown_environments),
        cmocka_unit_test(test_train_prints_records_and_replays_the_settings),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
