/* `clkfac env` through the program: list names every id, show writes the frames and the sheet
 * of a pixel game, random measures the uniform-random baseline (reproducibly, within the
 * ranges the environments' rules give) and bad input exits 2 naming the value. */
/* ctest-labels: unit */
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

/* Reads "| id | episodes | mean | [lo, hi] | sd | max | len | truncated |" rows of env random. */
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
    const char *args = "env random --env CartPole-v1,Pendulum-v1,Breakout --episodes 300 --seed 4";
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
    assert_int_equal(cs_run("env random --env CartPole-v1 --episodes 300 --seed 5", b, sizeof b), 0);
    double mean5;
    assert_true(random_row(b, "CartPole-v1", &mean5, &lo, &hi, &len));
    assert_true(random_row(a, "CartPole-v1", &mean, &lo, &hi, &len));
    assert_true(mean5 != mean);
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
    cs_expect_usage("env play", "expected list, show or random");
    cs_expect_usage("env list extra", "'extra'");
    cs_expect_usage("env random", "missing --env");
    cs_expect_usage("env random --env Nope", "'Nope'");
    cs_expect_usage("env random --env CartPole-v1,Nope", "'Nope'");
    cs_expect_usage("env random --env CartPole-v1 --episodes 0", "--episodes");
    cs_expect_usage("env random --env CartPole-v1 --sticky 1.5", "--sticky");
    cs_expect_usage("env random --env CartPole-v1 --scale 3", "'--scale'");
    cs_expect_usage("env show --env Breakout", "missing --out");
    cs_expect_usage("env show --env CartPole-v1 --out /tmp/x", "pixel games");
    cs_expect_usage("env show --env Breakout --out /tmp/x --policy smart", "'smart'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_names_every_id),
        cmocka_unit_test(test_random_baseline),
        cmocka_unit_test(test_show_writes_frames_and_sheet),
        cmocka_unit_test(test_bad_input_exits_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
