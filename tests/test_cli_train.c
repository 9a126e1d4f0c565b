/* `clkfac train`: output files and their headers, identical files for the same seed on the same
 * device (different for another seed), and usage errors that exit 2 naming the bad value. */
/* ctest-labels: unit device */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_support.h"
#include "harness.h"

static void path(char *buf, size_t cap, const char *dir, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void test_same_seed_identical_files(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d1 = cs_tempdir("train1"), *d2 = cs_tempdir("train2"), *d3 = cs_tempdir("train3");
    char args[512], out[4096], a[600], b[600];
    const char *files[] = {"episodes.csv", "updates.csv"};
    snprintf(args, sizeof args, "train --env CartPole-v1 --steps 8000 --seed 7 --quiet --out %s", d1);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "train --env CartPole-v1 --steps 8000 --seed 7 --quiet --out %s", d2);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "train --env CartPole-v1 --steps 8000 --seed 8 --quiet --out %s", d3);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    for (int i = 0; i < 2; i++) {
        path(a, sizeof a, d1, files[i]);
        path(b, sizeof b, d2, files[i]);
        if (!cs_same_file(a, b)) fail_msg("%s differs between two runs with seed 7", files[i]);
        path(b, sizeof b, d3, files[i]);
        if (cs_same_file(a, b)) fail_msg("%s is the same for seeds 7 and 8", files[i]);
    }
    double *ret, *ts;
    path(a, sizeof a, d1, "episodes.csv");
    size_t n = cs_read_episodes(a, &ret, &ts);
    assert_true(n > 50);          /* random-ish CartPole episodes are short */
    assert_true(ts[n - 1] <= 8000);
    free(ret);
    free(ts);
    path(a, sizeof a, d1, "updates.csv");
    FILE *f = fopen(a, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "update,timestep,loss,policy_loss,value_loss,entropy,grad_norm,lr,"
                              "skipped\n");
    int rows = 0;
    while (fgets(line, sizeof line, f)) rows++;
    fclose(f);
    assert_int_equal(rows, 200); /* 8000 steps / (8 envs, the preset, x 5 steps) */
    path(a, sizeof a, d1, "summary.json");
    f = fopen(a, "r");
    assert_non_null(f);
    char js[8192];
    size_t k = fread(js, 1, sizeof js - 1, f);
    js[k] = '\0';
    fclose(f);
    assert_non_null(strstr(js, "\"algo\": \"a2c\""));
    assert_non_null(strstr(js, "\"finished\": true"));
    assert_non_null(strstr(js, "\"timesteps\": 8000"));
    /* the options block lists what the agent used, from the table */
    json_t *sum = json_loads(js, 0, NULL), *opt = json_object_get(sum, "options");
    assert_true(json_is_object(opt));
    void *it = json_object_iter(opt); /* members in table order */
    static const char *const first[] = {"n_envs", "algo", "n_steps", "net", "activation"};
    for (int i = 0; i < 5; i++, it = json_object_iter_next(opt, it))
        assert_string_equal(json_object_iter_key(it), first[i]);
    assert_int_equal(json_integer_value(json_object_get(opt, "n_envs")), 8);
    assert_string_equal(json_string_value(json_object_get(opt, "algo")), "a2c");
    assert_int_equal(json_integer_value(json_object_get(opt, "n_steps")), 5);
    assert_string_equal(json_string_value(json_object_get(opt, "net")), "dense:64 dense:64");
    assert_string_equal(json_string_value(json_object_get(opt, "activation")), "tanh");
    json_decref(sum);
    assert_non_null(strstr(js, "\"ent_coef\": 0.01"));
    assert_non_null(strstr(js, "\"total_steps\": 8000"));
    assert_null(strstr(js, "kl_clip")); /* ACKTR's */
    cs_rmtree(d1); cs_rmtree(d2); cs_rmtree(d3);
    free(d1); free(d2); free(d3);
}

static void test_bad_options_exit_2(void **state)
{
    (void)state;
    CS_NEED_BIN();
    cs_expect_usage("train --env NoSuchEnv-v0 --out /tmp/x", "NoSuchEnv-v0");
    cs_expect_usage("train --env NoSuchEnv-v0 --out /tmp/x", "CartPole-v1"); /* lists choices */
    cs_expect_usage("train --env CartPole-v1 --algo ppo --out /tmp/x", "ppo");
    cs_expect_usage("train --env CartPole-v1 --algo ppo --out /tmp/x", "a2c, acktr or trpo");
    cs_expect_usage("train --env CartPole-v1 --steps -5 --out /tmp/x", "-5");
    cs_expect_usage("train --env CartPole-v1 --envs 0 --out /tmp/x", "--envs 0");
    cs_expect_usage("train --env CartPole-v1 --steps 1x --out /tmp/x", "1x");
    cs_expect_usage("train --env CartPole-v1", "--out");
    cs_expect_usage("train --env CartPole-v1 --out /tmp/x --bogus", "--bogus");
    cs_expect_usage("train --env CartPole-v1 --out /tmp/x --activation sigmoid", "sigmoid");
}

/* A valued flag as the last argument is a usage error naming it, for every flag of both tables
 * (it once dereferenced NULL for --critic and was ignored for --net and --device). */
static void test_missing_value_names_the_flag(void **state)
{
    (void)state;
    CS_NEED_BIN();
    const char *run[] = {"--env", "--out", "--steps", "--envs", "--device"};
    char args[256], needle[64];
    for (size_t i = 0; i < sizeof run / sizeof run[0]; i++) {
        snprintf(args, sizeof args, "train --env CartPole-v1 --out /tmp/x %s", run[i]);
        snprintf(needle, sizeof needle, "%s needs a value", run[i]);
        cs_expect_usage(args, needle);
    }
    size_t n = 0;
    const clkfac_option *t = clkfac_agent_option_table(&n);
    size_t valued = 0;
    for (size_t k = 0; k < n; k++) {
        if (!t[k].flag || t[k].type == CLKFAC_OPTION_BOOL) continue;
        snprintf(args, sizeof args, "train --env CartPole-v1 --out /tmp/x %s", t[k].flag);
        snprintf(needle, sizeof needle, "%s needs a value", t[k].flag);
        cs_expect_usage(args, needle);
        valued++;
    }
    assert_true(valued >= 25);
}

/* A bad value names the flag, the value and what was expected. */
static void test_bad_value_names_value_and_expectation(void **state)
{
    (void)state;
    CS_NEED_BIN();
    const char *cases[][3] = {
        {"--gamma 1.5", "--gamma 1.5", "[0, 1]"},
        {"--ent-coef -1", "--ent-coef -1", "[0, 100]"},
        {"--nsteps 0", "--nsteps 0", "[1, 100000]"},
        {"--nsteps 2.5", "--nsteps 2.5", "whole number"},
        {"--momentum 1", "--momentum 1", "[0, 0.999999]"},
        {"--lr abc", "'abc'", "not a number"},
        {"--critic newton", "'newton'", "expected gauss-newton or euclidean"},
        {"--lr-schedule cosine", "'cosine'", "expected constant or linear"},
        {"--activation=sigmoid", "'sigmoid'", "expected tanh, relu or elu"},
        {"--algo ppo", "'ppo'", "expected a2c, acktr or trpo"},
        {"--separate=yes", "--separate", "takes no value"},
        {"--seed 3000000000", "--seed 3000000000", "[0, 2147483647]"},
    };
    char args[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "train --env CartPole-v1 --out /tmp/x %s", cases[i][0]);
        cs_expect_usage(args, cases[i][1]);
        cs_expect_usage(args, cases[i][2]);
    }
}

/* --help shows every flag of the table with its default (the table's, per algorithm). */
static void test_usage_lists_every_option_with_default(void **state)
{
    (void)state;
    CS_NEED_BIN();
    static char out[32768];
    assert_int_equal(cs_run("train --help", out, sizeof out), 0);
    /* one line per paragraph: the wrapping may split a default */
    char *w = out;
    for (const char *r = out; *r; r++) {
        if (*r == '\n' && r[1] == ' ' && r[2] == ' ' && r[3] == ' ') {
            while (r[1] == ' ') r++;
            *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    size_t n = 0;
    const clkfac_option *t = clkfac_agent_option_table(&n);
    for (size_t k = 0; k < n; k++)
        if (t[k].flag && !strstr(out, t[k].flag)) fail_msg("usage lacks %s:\n%s", t[k].flag, out);
    const char *defaults[] = {"(default 1000000)", "(default 16)", "(default a2c)",
                              "(default 0.0007; acktr 0.25)", "(default 0.99)", "(default 0.01)",
                              "(default 5)", "(default linear)", "(default gauss-newton)",
                              "(default 0.001)", "(default 10)", "(default 0.98)"};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!strstr(out, defaults[i])) fail_msg("usage lacks %s:\n%s", defaults[i], out);
}

static void test_unknown_device_fails_with_list(void **state)
{
    (void)state;
    CS_NEED_BIN();
    char *d = cs_tempdir("traindev");
    char args[512], out[8192];
    snprintf(args, sizeof args,
             "train --env CartPole-v1 --steps 100 --device no-such-device --out %s", d);
    int rc = cs_run(args, out, sizeof out);
    if (rc != 2) fail_msg("unknown device: exit %d, expected 2; output:\n%s", rc, out);
    assert_non_null(strstr(out, "no-such-device"));
    assert_non_null(strstr(out, "devices present")); /* lists what exists */
    cs_rmtree(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options_exit_2),
        cmocka_unit_test(test_missing_value_names_the_flag),
        cmocka_unit_test(test_bad_value_names_value_and_expectation),
        cmocka_unit_test(test_usage_lists_every_option_with_default),
        cmocka_unit_test(test_unknown_device_fails_with_list),
        cmocka_unit_test(test_same_seed_identical_files),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
