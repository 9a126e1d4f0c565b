/* The run-folder module (src/report/runs.h): summary.json and episodes.csv read back with every
 * malformed case named (wrong types, huge numbers, a folder for a file, a cut file, no rows),
 * and a finished run whose policy could not be written never says "finished". */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_support.h"
#include "harness.h"
#include "report/runs.h"

static void put(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* runs_summary_read on text: the status, and the message when it failed. */
static int summary_of(runs_summary *sm, const char *dir, const char *text)
{
    char path[600];
    put(dir, "summary.json", text);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    return runs_summary_read(sm, path);
}

static void expect_bad_summary(const char *dir, const char *text, const char *needle)
{
    runs_summary sm;
    int rc = summary_of(&sm, dir, text);
    if (rc != CLKFAC_ERR_FORMAT) fail_msg("'%s': status %d, expected CLKFAC_ERR_FORMAT", text, rc);
    if (!strstr(clkfac_last_error(), needle))
        fail_msg("'%s': message '%s' lacks '%s'", text, clkfac_last_error(), needle);
}

static void test_summary_reader(void **state)
{
    (void)state;
    char *d = cs_tempdir("runs_summary");
    char path[600];
    runs_summary sm;
    snprintf(path, sizeof path, "%s/summary.json", d);
    assert_int_equal(runs_summary_read(&sm, path), RUNS_MISSING);
    TH_OK(summary_of(&sm, d, "{\"algo\": \"acktr\", \"env\": \"Pendulum-v1\", \"seed\": 3, "
                             "\"finished\": true, \"episodes\": 12, \"wall_seconds\": 1.5, "
                             "\"final_mean_return_100\": null, \"extra\": [1, {\"a\": 2}], "
                             "\"provenance\": {\"device\": \"dev \\\"x\\\"\"}}"));
    assert_string_equal(sm.algo, "acktr");
    assert_string_equal(sm.env, "Pendulum-v1");
    assert_int_equal(sm.seed, 3);
    assert_int_equal(sm.finished, 1);
    assert_int_equal(sm.episodes, 12);
    assert_true(sm.wall_seconds == 1.5);
    assert_true(isnan(sm.final_mean_return_100));
    assert_string_equal(sm.device, "dev \"x\"");
    TH_OK(summary_of(&sm, d, "{}")); /* nothing recorded: the reader says so */
    assert_false(sm.have_algo || sm.have_env || sm.have_seed);
    assert_int_equal(sm.finished, -1);
    assert_int_equal(sm.episodes, -1);
    expect_bad_summary(d, "{\"seed\": 1e300}", "\"seed\" is not a whole number");
    expect_bad_summary(d, "{\"seed\": 1.5}", "\"seed\" is not a whole number");
    expect_bad_summary(d, "{\"episodes\": -1}", "\"episodes\"");
    expect_bad_summary(d, "{\"finished\": \"yes\"}", "\"finished\"");
    expect_bad_summary(d, "{\"algo\": 3}", "\"algo\"");
    expect_bad_summary(d, "[1, 2]", "not a JSON object");
    expect_bad_summary(d, "{\"algo\": \"a2c\", \"seed\": 1, \"fin", "corrupt");
    expect_bad_summary(d, "{\"a\": 1, \"a\": 2}", "corrupt"); /* duplicate member */
    expect_bad_summary(d, "", "corrupt");
    /* a folder where the file should be is an I/O error naming it, not an empty file */
    cs_rmtree(d);
    free(d);
    d = cs_tempdir("runs_summary_dir");
    snprintf(path, sizeof path, "%s/summary.json", d);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(runs_summary_read(&sm, path), CLKFAC_ERR_IO);
    assert_non_null(strstr(clkfac_last_error(), "Is a directory"));
    cs_rmtree(d);
    free(d);
}

static void test_episodes_reader(void **state)
{
    (void)state;
    char *d = cs_tempdir("runs_episodes");
    char path[600];
    runs_episodes e;
    snprintf(path, sizeof path, "%s/episodes.csv", d);
    assert_int_equal(runs_episodes_read(&e, path), RUNS_MISSING);
    /* a resumed run: a second header, episode 1 logged again (the later row wins), a '#' line
     * and an unfinished last line */
    put(d, "episodes.csv", "timestep,episode,return,length\n10,0,1.5,10\n20,1,2,10\n"
                           "# resumed\ntimestep,episode,return,length\n21,1,3,11\n30,2,4,9\n40,3");
    TH_OK(runs_episodes_read(&e, path));
    assert_int_equal(e.n, 3);
    assert_true(e.t[1] == 21 && e.r[1] == 3);
    assert_true(e.t[2] == 30 && e.r[2] == 4);
    assert_int_equal(e.partial_line, 8);
    runs_episodes_free(&e);
    put(d, "episodes.csv", "timestep,episode,return,length\n"); /* no episode yet */
    TH_OK(runs_episodes_read(&e, path));
    assert_int_equal(e.n, 0);
    runs_episodes_free(&e);
    static const char *const bad[][2] = {
        {"", "empty"},
        {"timestep,episode,reward\n", "lacks 'return'"},
        {"timestep,episode,return\n1,0\n", ":2: expected 3 fields"},
        {"timestep,episode,return\n1,0.5,2\n", "episode '0.5'"},
        {"timestep,episode,return\n-1,0,2\n", "timestep '-1'"},
        {"timestep,episode,return\n1e308,0,2\n", "timestep '1e308' is not a whole number"},
        {"timestep,episode,return\n2.5,0,2\n", "timestep '2.5'"},
        {"timestep,episode,return\n1,1e300,2\n", "episode '1e300'"},
        {"timestep,episode,return\n1,0,nan\n", "return 'nan'"},
        {"timestep,episode,return\n5,0,1\n3,1,1\n", "timesteps must not decrease"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put(d, "episodes.csv", bad[i][0]);
        int rc = runs_episodes_read(&e, path);
        if (rc != CLKFAC_ERR_FORMAT || !strstr(clkfac_last_error(), bad[i][1]))
            fail_msg("'%s': status %d, message '%s', expected one with '%s'", bad[i][0], rc,
                     clkfac_last_error(), bad[i][1]);
    }
    cs_rmtree(d);
    free(d);
}

/* The policy is written before the summary says finished: when policy.npy cannot be written
 * (a folder stands in its place), the run fails and its summary says "finished": false, and
 * runs_verify names what is missing. */
static void test_unfinished_without_policy(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("runs_policy");
    char args[800], out[8192], path[700], why[1024];
    snprintf(path, sizeof path, "%s/policy.npy", d);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/policy.npy/keep", d);
    assert_int_equal(mkdir(path, 0755), 0); /* a non-empty folder: rename onto it fails */
    snprintf(args, sizeof args, "train --quiet --env CartPole-v1 --steps 1k --out %s", d);
    int rc = cs_run(args, out, sizeof out);
    if (rc != 1) fail_msg("exit %d, expected 1:\n%s", rc, out);
    assert_non_null(strstr(out, "writing the policy"));
    runs_summary sm;
    snprintf(path, sizeof path, "%s/summary.json", d);
    TH_OK(runs_summary_read(&sm, path));
    assert_int_equal(sm.finished, 0);
    snprintf(path, sizeof path, "%s/policy.npy", d);
    cs_rmtree(path);
    rc = cs_run(args, out, sizeof out);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/summary.json", d);
    TH_OK(runs_summary_read(&sm, path));
    assert_int_equal(sm.finished, 1);
    assert_int_equal(runs_verify(d, &sm, why, sizeof why), 0);
    snprintf(path, sizeof path, "%s/policy.txt", d);
    assert_int_equal(remove(path), 0);
    assert_int_equal(runs_verify(d, &sm, why, sizeof why), -1);
    assert_non_null(strstr(why, "policy.txt is missing"));
    cs_rmtree(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_reader),
        cmocka_unit_test(test_episodes_reader),
        cmocka_unit_test(test_unfinished_without_policy),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
