/* `clkfac env` through the program: list names every id, show writes the frames and the sheet
 * of a pixel game, eval measures the uniform-random baseline (reproducibly, within the ranges
 * the environments' rules give) and a trained agent saved by `clkfac train`, and bad input
 * (options, corrupt or mismatched policy files) exits 2 naming the value. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_support.h"
#include "harness.h"

static void test_list_names_every_id(void **state)
{
    (void)state;
    CS_NEED_BIN();
    static char out[16384];
    assert_int_equal(cs_run("env list", out, sizeof out), 0);
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    for (size_t i = 0; i < n; i++)
        if (!strstr(out, ids[i])) fail_msg("env list does not name %s:\n%s", ids[i], out);
    assert_non_null(strstr(out, "Discrete(6), minimal 3")); /* Breakout's two action sets */
}

/* Reads "| id | episodes | mean | [lo, hi] | sd | max | len | truncated |" rows of env eval. */
static int random_row(const char *out, const char *id, double *mean, double *lo, double *hi,
                      double *len)
{
    char key[128];
    snprintf(key, sizeof key, "| %s |", id);
    const char *p = strstr(out, key);
    long eps;
    double sd, mx;
    return p && sscanf(p + strlen(key), " %ld | %lf | [%lf, %lf] | %lf | %lf | %lf |", &eps, mean,
                       lo, hi, &sd, &mx, len) == 7;
}

static void test_random_baseline(void **state)
{
    (void)state;
    CS_NEED_BIN();
    static char a[8192], b[8192];
    const char *args = "env eval --env CartPole-v1,Pendulum-v1,Breakout --episodes 300 --seed 4";
    assert_int_equal(cs_run(args, a, sizeof a), 0);
    assert_int_equal(cs_run(args, b, sizeof b), 0);
    assert_string_equal(a, b); /* seeded: the same table every time */
    double mean, lo, hi, len;
    /* CartPole: a random policy keeps the pole up about 22 steps (reward 1 per step). */
    if (!random_row(a, "CartPole-v1", &mean, &lo, &hi, &len)) fail_msg("no CartPole row:\n%s", a);
    assert_true(mean > 15 && mean < 30 && lo <= mean && mean <= hi);
    assert_true(fabs(len - mean) < 0.051); /* printed to 0.1 and 0.001 */
    /* Pendulum (continuous, uniform torques in [-2, 2]): about -1200 over the 200-step limit. */
    if (!random_row(a, "Pendulum-v1", &mean, &lo, &hi, &len)) fail_msg("no Pendulum row:\n%s", a);
    assert_true(mean > -1500 && mean < -900 && lo <= mean && mean <= hi && len == 200);
    /* The short name is reported by its full id; random Breakout scores about half a brick. */
    if (!random_row(a, "MinAtar/Breakout-v1", &mean, &lo, &hi, &len))
        fail_msg("no Breakout row:\n%s", a);
    assert_true(mean > 0.3 && mean < 0.8 && lo <= mean && mean <= hi);
    /* Another seed plays other episodes. */
    assert_int_equal(cs_run("env eval --env CartPole-v1 --episodes 300 --seed 5", b, sizeof b), 0);
    double mean5;
    assert_true(random_row(b, "CartPole-v1", &mean5, &lo, &hi, &len));
    assert_true(random_row(a, "CartPole-v1", &mean, &lo, &hi, &len));
    assert_true(mean5 != mean);
}

/* data/random.csv (the baseline the report draws) is what the program measures now: a rule
 * change that moves a random agent has to rewrite it. The quick environments are re-measured. */
static void test_random_csv_matches_the_program(void **state)
{
    (void)state;
    CS_NEED_BIN();
    const char *src = getenv("CLKFAC_SOURCE_DIR");
    if (!src) {
        print_message("SKIP %s: CLKFAC_SOURCE_DIR is not set (run under ctest)\n", __func__);
        skip();
    }
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/data/random.csv", src);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char out[8192];
    assert_int_equal(cs_run("env eval --env CartPole-v1,Breakout,Asterix,Seaquest,SpaceInvaders "
                            "--episodes 1000 --seed 0", out, sizeof out), 0);
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        char env[128];
        double want, mean, lo, hi, len;
        if (line[0] == '#' || sscanf(line, "%127[^,],%lf", env, &want) != 2) continue;
        if (!random_row(out, env, &mean, &lo, &hi, &len)) continue; /* not re-measured here */
        if (fabs(mean - want) > 0.0005)
            fail_msg("%s: data/random.csv says %g, env eval measures %.3f", env, want, mean);
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 5);
}

static void test_show_writes_frames_and_sheet(void **state)
{
    (void)state;
    CS_NEED_BIN();
    char *d = cs_tempdir("envshow");
    char args[1024], out[8192], p[1024];
    snprintf(args, sizeof args, "env show --env Freeway --steps 12 --scale 4 --out %s", d);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "not finished; --steps 12 reached")); /* Freeway lasts 2500 */
    struct stat sb;
    for (int i = 0; i <= 12; i++) {
        snprintf(p, sizeof p, "%s/frame_%04d.png", d, i);
        if (stat(p, &sb) || sb.st_size == 0) fail_msg("%s missing or empty", p);
    }
    snprintf(p, sizeof p, "%s/frame_0013.png", d);
    assert_int_not_equal(stat(p, &sb), 0);
    snprintf(p, sizeof p, "%s/sheet.png", d);
    assert_int_equal(stat(p, &sb), 0);
    cs_rmtree(d);
    free(d);
}

static void test_bad_input_exits_2(void **state)
{
    (void)state;
    CS_NEED_BIN();
    cs_expect_usage("env", "usage");
    cs_expect_usage("env play", "expected list, show or eval");
    cs_expect_usage("env list extra", "'extra'");
    cs_expect_usage("env eval", "missing --env");
    cs_expect_usage("env eval --env Nope", "'Nope'");
    cs_expect_usage("env eval --env CartPole-v1,Nope", "'Nope'");
    cs_expect_usage("env eval --env CartPole-v1 --episodes 0", "--episodes");
    cs_expect_usage("env eval --env CartPole-v1 --sticky 1.5", "--sticky");
    cs_expect_usage("env eval --env CartPole-v1 --scale 3", "'--scale'");
    cs_expect_usage("env eval --env CartPole-v1 --greedy", "--greedy");
    cs_expect_usage("env eval --policy /nonexistent/run", "/nonexistent/run/policy.txt");
    cs_expect_usage("env show --env Breakout", "missing --out");
    cs_expect_usage("env show --env CartPole-v1 --out /tmp/x", "pixel games");
    cs_expect_usage("env show --env Breakout --out /tmp/x --policy smart", "'smart'");
}

/* A finished training run saves its policy; eval and show play it; corrupt or mismatched
 * files are refused naming the problem. */
static void test_trained_policy(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("policy");
    char args[1024], cmd[1400], p[600];
    static char out[16384], again[16384];
    snprintf(args, sizeof args,
             "train --env Breakout --algo acktr --envs 4 --steps 400 --seed 3 --quiet --out %s", d);
    if (cs_run(args, out, sizeof out)) fail_msg("clkfac %s:\n%s", args, out);
    snprintf(p, sizeof p, "%s/policy.txt", d);
    char *txt = NULL;
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    txt = calloc(1, 4096);
    assert_true(fread(txt, 1, 4095, f) > 0);
    fclose(f);
    assert_non_null(strstr(txt, "env=MinAtar/Breakout-v1\n")); /* the short name resolved */
    assert_non_null(strstr(txt, "net=conv:16,3,1 dense:128\n"));
    free(txt);
    /* eval: the run's environment by default; greedy play is reproducible */
    snprintf(args, sizeof args, "env eval --policy %s --episodes 20 --greedy", d);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    assert_int_equal(cs_run(args, again, sizeof again), 0);
    assert_string_equal(out, again);
    double mean, lo, hi, len;
    if (!random_row(out, "MinAtar/Breakout-v1", &mean, &lo, &hi, &len))
        fail_msg("no Breakout row:\n%s", out);
    assert_true(mean >= 0 && lo <= mean && mean <= hi && len >= 1);
    snprintf(args, sizeof args, "env eval --policy %s --env Breakout --episodes 5 --seed 2", d);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    /* show: frames of the agent playing */
    char *frames = cs_tempdir("policyframes");
    snprintf(args, sizeof args, "env show --policy %s --steps 5 --scale 2 --out %s", d, frames);
    assert_int_equal(cs_run(args, out, sizeof out), 0);
    snprintf(p, sizeof p, "%s/sheet.png", frames);
    f = fopen(p, "rb");
    assert_non_null(f);
    fclose(f);
    cs_rmtree(frames);
    free(frames);
    /* another environment than the run's */
    snprintf(args, sizeof args, "env eval --policy %s --env Freeway", d);
    cs_expect_usage(args, "trained on MinAtar/Breakout-v1");
    /* a policy.npy cut short */
    snprintf(cmd, sizeof cmd, "cp %s/policy.npy %s/policy.bak && head -c 1000 %s/policy.bak > "
                              "%s/policy.npy", d, d, d, d);
    assert_int_equal(system(cmd), 0);
    snprintf(args, sizeof args, "env eval --policy %s", d);
    assert_int_equal(cs_run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "policy.npy"));
    /* a count that does not match the networks */
    snprintf(cmd, sizeof cmd, "cp %s/policy.bak %s/policy.npy && sed -i 's/^n_params=/n_params=1/' "
                              "%s/policy.txt", d, d, d);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cs_run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "policy.npy"));
    /* a flag out of its range (sscanf's %d took 99999999999, undefined behaviour) */
    snprintf(cmd, sizeof cmd, "sed -i 's/^shared=.*/shared=99999999999/' %s/policy.txt", d);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cs_run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "field shared"));
    /* a field missing */
    snprintf(cmd, sizeof cmd, "sed -i '/^net=/d' %s/policy.txt", d);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cs_run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "field net"));
    cs_rmtree(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_names_every_id),
        cmocka_unit_test(test_random_baseline),
        cmocka_unit_test(test_random_csv_matches_the_program),
        cmocka_unit_test(test_show_writes_frames_and_sheet),
        cmocka_unit_test(test_bad_input_exits_2),
        cmocka_unit_test(test_trained_policy),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
