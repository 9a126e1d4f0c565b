/* `clkfac bench sample`: a tiny suite writes the run folders `clkfac report` reads; running it
 * again redoes nothing; an interrupted run (no summary.json) is redone alone and gives the same
 * bytes; bad suite specs exit 2 naming the value before any run starts. */
/* ctest-labels: unit device */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_support.h"
#include "harness.h"

#define TINY "bench sample --algos a2c --envs CartPole-v1 --seeds 2 --steps 3000 --quiet"

static const char *const RUNS[] = {"a2c__CartPole-v1__seed1", "a2c__CartPole-v1__seed2"};
static const char *const FILES[] = {"episodes.csv", "updates.csv", "summary.json"};

static void run_file(char *buf, size_t cap, const char *out, int run, int file)
{
    snprintf(buf, cap, "%s/runs/%s/%s", out, RUNS[run], FILES[file]);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Modification time in nanoseconds; 0 when missing. */
static long long mtime_ns(const char *p)
{
    struct stat st;
    if (stat(p, &st)) return 0;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, k, b), k);
    fclose(a);
    fclose(b);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_suite(const char *out, const char *extra, char *log, size_t cap)
{
    char args[1024];
    snprintf(args, sizeof args, TINY " %s --out %s", extra, out);
    int rc = cs_run(args, log, cap);
    if (rc != 0) fail_msg("'clkfac %s' exited %d:\n%s", args, rc, log);
}

static void test_suite_writes_runs_and_resumes(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("sample"), *keep = cs_tempdir("samplekeep");
    char p[1024], q[1024], log[16384];
    run_suite(d, "", log, sizeof log);
    long long t[2][3];
    for (int r = 0; r < 2; r++)
        for (int f = 0; f < 3; f++) {
            run_file(p, sizeof p, d, r, f);
            if (!exists(p)) fail_msg("%s missing after the suite", p);
            t[r][f] = mtime_ns(p);
            snprintf(q, sizeof q, "%s/%d_%s", keep, r, FILES[f]);
            copy_file(p, q);
        }
    snprintf(p, sizeof p, "%s/suite.json", d);
    assert_true(exists(p));
    json_error_t jerr;
    json_t *manifest = json_load_file(p, 0, &jerr);
    if (!manifest) fail_msg("%s: %s", p, jerr.text);
    json_t *algos = json_object_get(manifest, "algos"), *seeds = json_object_get(manifest, "seeds");
    assert_int_equal(json_array_size(algos), 1);
    assert_string_equal(json_string_value(json_array_get(algos, 0)), "a2c");
    assert_int_equal(json_array_size(seeds), 2);
    assert_int_equal(json_integer_value(json_array_get(seeds, 1)), 2);
    assert_int_equal(json_integer_value(json_object_get(manifest, "steps")), 3000);
    assert_true(json_is_object(json_object_get(manifest, "provenance")));
    assert_int_equal(json_array_size(json_object_get(manifest, "runs")), 2);
    json_decref(manifest);
    FILE *fp;
    char js[8192];
    size_t k;

    /* same layout as `clkfac train` */
    run_file(p, sizeof p, d, 0, 0);
    fp = fopen(p, "r");
    assert_non_null(fp);
    char line[256];
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_string_equal(line, "timestep,episode,return,length\n");
    double *ret, *ts;
    size_t n = cs_read_episodes(p, &ret, &ts);
    assert_true(n > 20);
    assert_true(ts[n - 1] <= 3000);
    free(ret);
    free(ts);
    run_file(p, sizeof p, d, 1, 2);
    fp = fopen(p, "r");
    assert_non_null(fp);
    k = fread(js, 1, sizeof js - 1, fp);
    js[k] = '\0';
    fclose(fp);
    const char *keys[] = {"\"algo\": \"a2c\"", "\"env\": \"CartPole-v1\"", "\"seed\": 2",
                          "\"finished\": true", "\"timesteps\": 3000", "\"wall_seconds\"",
                          "\"provenance\""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(js, keys[i])) fail_msg("summary.json lacks %s:\n%s", keys[i], js);

    /* again: nothing redone, and no device work to do */
    double t0 = now_seconds();
    run_suite(d, "", log, sizeof log);
    double again = now_seconds() - t0;
    print_message("second run of a finished suite: %.2f s\n", again);
    assert_true(again < 5.0);
    for (int r = 0; r < 2; r++)
        for (int f = 0; f < 3; f++) {
            run_file(p, sizeof p, d, r, f);
            if (mtime_ns(p) != t[r][f]) fail_msg("%s rewritten by a second run", p);
        }

    /* an interrupt: seed 2 lost its summary and has half an episodes.csv */
    run_file(p, sizeof p, d, 1, 2);
    assert_int_equal(unlink(p), 0);
    run_file(p, sizeof p, d, 1, 0);
    fp = fopen(p, "w");
    assert_non_null(fp);
    fputs("timestep,episode,return,length\n12,0,12,12\n40,1", fp);
    fclose(fp);
    run_suite(d, "", log, sizeof log);
    for (int f = 0; f < 3; f++) {
        run_file(p, sizeof p, d, 0, f);
        if (mtime_ns(p) != t[0][f]) fail_msg("%s (finished) rewritten by the resume", p);
    }
    for (int f = 0; f < 2; f++) { /* summary.json has another date and wall time */
        run_file(p, sizeof p, d, 1, f);
        snprintf(q, sizeof q, "%s/1_%s", keep, FILES[f]);
        if (!cs_same_file(p, q)) fail_msg("%s differs from the uninterrupted run", p);
    }
    run_file(p, sizeof p, d, 1, 2);
    assert_true(exists(p));

    /* the same folder with other settings is refused, not mixed */
    char args[1024], out[8192];
    snprintf(args, sizeof args,
             "bench sample --algos a2c --envs CartPole-v1 --seeds 2 --steps 4000 --quiet --out %s", d);
    int rc = cs_run(args, out, sizeof out);
    if (rc != 2) fail_msg("other settings in the same --out: exit %d, expected 2:\n%s", rc, out);
    assert_non_null(strstr(out, RUNS[0]));

    /* the report reads it */
    snprintf(args, sizeof args, "report %s", d);
    rc = cs_run(args, out, sizeof out);
    if (rc != 0) fail_msg("'clkfac %s' exited %d:\n%s", args, rc, out);
    snprintf(p, sizeof p, "%s/report/index.md", d);
    assert_true(exists(p));
    cs_rmtree(d);
    cs_rmtree(keep);
    free(d);
    free(keep);
}

static void test_bad_specs_exit_2(void **state)
{
    (void)state;
    CS_NEED_BIN();
    char *d = cs_tempdir("samplebad");
    char args[1024], p[1024];
    const char *bad[][2] = {
        {"--algos ppo", "ppo"},
        {"--algos a2c,ppo", "a2c, acktr, trpo"}, /* lists the choices */
        {"--envs NoSuchEnv-v0", "NoSuchEnv-v0"},
        {"--envs NoSuchEnv-v0", "CartPole-v1"},
        {"--seeds 0", "--seeds 0"},
        {"--seeds 1,x", "x"},
        {"--steps 0", "--steps 0"},
        {"--steps -5", "-5"},
        {"--steps 1x", "1x"},
        {"--preset huge", "huge"},
        {"--bogus", "--bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(args, sizeof args, "bench sample %s --out %s/out", bad[i][0], d);
        cs_expect_usage(args, bad[i][1]);
    }
    snprintf(p, sizeof p, "%s/out", d);
    if (exists(p)) fail_msg("a bad spec created %s", p);
    /* an output folder below a regular file cannot be created */
    snprintf(p, sizeof p, "%s/file", d);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(args, sizeof args, "bench sample --steps 1000 --seeds 1 --out %s/file/out", d);
    snprintf(p, sizeof p, "%s/file/out", d);
    cs_expect_usage(args, p);
    cs_expect_usage("bench nosuchsuite", "sample");
    /* a flag without its value, last on the line, names the flag */
    const char *valued[] = {"--preset", "--algos", "--envs", "--seeds", "--steps", "--out", "--device"};
    char needle[64];
    for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++) {
        snprintf(args, sizeof args, "bench sample --quiet --out %s/out %s", d, valued[i]);
        snprintf(needle, sizeof needle, "%s needs a value", valued[i]);
        cs_expect_usage(args, needle);
    }
    cs_expect_usage("bench sample --quiet=1", "--quiet takes no value");
    /* the other suites parse through the same table routine */
    cs_expect_usage("bench kfac --reps 0", "--reps 0");
    cs_expect_usage("bench kfac --batch 80,x", "'x'");
    cs_expect_usage("bench kfac --batch", "--batch needs a value");
    cs_expect_usage("bench kfac --nets atari,vgg", "'vgg'");
    cs_expect_usage("bench step --nets x", "expected atari, atari32, minatar or mlp");
    cs_expect_usage("bench step --algos a2c,ppo", "'ppo'");
    cs_expect_usage("bench step --warmup", "--warmup needs a value");
    snprintf(p, sizeof p, "%s/out", d);
    if (exists(p)) fail_msg("a bad command line created %s", p);
    cs_rmtree(d);
    free(d);
}

/* A finished run is trusted only when its files agree with its summary: a missing policy file
 * or an episodes.csv cut at a line boundary has the run done again (to the same bytes), and a
 * summary.json cut mid-file stops the suite saying it is corrupt, leaving the folder alone. */
static void test_damaged_finished_runs(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("sampledamaged");
    char p[1024], q[1024], log[16384], args[1024];
    snprintf(args, sizeof args,
             "bench sample --algos a2c --envs CartPole-v1 --seeds 1 --steps 2000 --out %s", d);
    int rc = cs_run(args, log, sizeof log);
    if (rc) fail_msg("'clkfac %s' exited %d:\n%s", args, rc, log);
    snprintf(p, sizeof p, "%s/runs/%s/episodes.csv", d, RUNS[0]);
    snprintf(q, sizeof q, "%s/episodes.keep", d);
    copy_file(p, q);

    snprintf(p, sizeof p, "%s/runs/%s/policy.npy", d, RUNS[0]);
    assert_int_equal(unlink(p), 0);
    rc = cs_run(args, log, sizeof log);
    if (rc) fail_msg("'clkfac %s' exited %d:\n%s", args, rc, log);
    assert_non_null(strstr(log, "policy.npy is missing"));
    assert_true(exists(p));

    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cd %s/runs/%s && head -n 5 episodes.csv > e && mv e episodes.csv",
             d, RUNS[0]);
    assert_int_equal(system(cmd), 0);
    rc = cs_run(args, log, sizeof log);
    if (rc) fail_msg("'clkfac %s' exited %d:\n%s", args, rc, log);
    assert_non_null(strstr(log, "holds 4 episodes"));
    snprintf(p, sizeof p, "%s/runs/%s/episodes.csv", d, RUNS[0]);
    if (!cs_same_file(p, q)) fail_msg("the redone run's episodes.csv differs from the first");

    snprintf(cmd, sizeof cmd, "cd %s/runs/%s && head -c 200 summary.json > s && mv s summary.json",
             d, RUNS[0]);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/runs/%s/summary.json", d, RUNS[0]);
    long long before = mtime_ns(p);
    rc = cs_run(args, log, sizeof log);
    if (rc != 2) fail_msg("a corrupt summary.json: exit %d, expected 2:\n%s", rc, log);
    assert_non_null(strstr(log, "summary.json: corrupt"));
    assert_null(strstr(log, "other settings"));
    assert_true(mtime_ns(p) == before);
    cs_rmtree(d);
    free(d);
}

/* bench step's flop-bound ratio, checked against a count by hand for the pixel-game network at
 * batch 80 (Breakout: 4x10x10 input, 6 actions; ACKTR's inverses every 10 updates):
 *   layer (d_out x d_in+1, locations)  multiply-adds per example
 *   conv 16 x 37, 64                   37888
 *   dense 128 x 1025, 1                131200
 *   pi 6 x 129, v 1 x 129              774 + 129          M = 169991
 *   A2C: 2MB + (4MB - 2 * 37888 B) = 75533600; Fisher backward 48334720
 *   factors rows d^2, preconditioning 2 (dg^2 da + dg da^2), inverses (da^3 + dg^3) / 10:
 *   conv 8388226.9, dense 495806697.7, pi 1757830.5, v 1579569 -> 507532324.1
 *   ratio (75533600 + 48334720 + 507532324.1) / 75533600 = 8.359
 * With statistics every T_s updates on a fraction f of the batch (--acktr-variants T_s:f), the
 * Fisher backward and the factors' rows x d^2 terms (conv 8320000, dense 85360720, pi 1334160,
 * v 1331360: 96346240 of the 507532324.1) scale by f / T_s:
 *   10:1  (75533600 + 0.1 (48334720 + 96346240) + 411186084.1) / 75533600 = 6.635
 *   1:0.5 (75533600 + 0.5 (48334720 + 96346240) + 411186084.1) / 75533600 = 7.401
 * Bad settings exit 2 naming the value. */
static void test_step_flop_bound(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("step");
    char args[1024], out[8192], p[512];
    snprintf(args, sizeof args,
             "bench step --nets minatar --batch 80,1000 --algos a2c,acktr --reps 1 --warmup 0 "
             "--acktr-variants 10:1,1:0.5 --window 2 --out %s/step", d);
    int rc = cs_run(args, out, sizeof out);
    if (rc) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
    snprintf(p, sizeof p, "%s/step/step_summary.csv", d);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[1024];
    int found = 0, variants = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, ",flop_bound_vs_a2c"));
    while (fgets(line, sizeof line, f)) {
        const char *last = strrchr(line, ',');
        assert_non_null(last);
        if (strstr(line, ",acktr,")) {
            found++;
            if (strncmp(last, ",8.36", 5)) fail_msg("ACKTR's flop-bound ratio: %s", line);
        } else if (strstr(line, ",acktr T_s=10 f=1,")) {
            variants++;
            if (strncmp(last, ",6.64", 5)) fail_msg("T_s=10's flop-bound ratio: %s", line);
        } else if (strstr(line, ",acktr T_s=1 f=0.5,")) {
            variants++;
            if (strncmp(last, ",7.40", 5)) fail_msg("f=0.5's flop-bound ratio: %s", line);
        } else if (strstr(line, ",a2c,")) {
            assert_int_equal(strncmp(last, ",1.00", 5), 0);
        }
    }
    fclose(f);
    assert_int_equal(found, 1);
    assert_int_equal(variants, 2);
    cs_expect_usage("bench step --acktr-variants 10", "'10': expected T_s:f");
    cs_expect_usage("bench step --acktr-variants 0:1", "--acktr-variants (T_s)");
    cs_expect_usage("bench step --acktr-variants 1:2", "--acktr-variants (f)");
    cs_expect_usage("bench step --window 0", "--window");
    cs_rmtree(d);
    free(d);
}


static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = calloc(1, 1 << 20);
    size_t n = s ? fread(s, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (s && n == 0) {
        free(s);
        return NULL; /* not written yet */
    }
    return s;
}

/* A suite's algorithm takes the environment's preset for the network layout: "acktr" gets
 * separate networks on Acrobot-v1 (whose preset says --separate) and a shared trunk on
 * CartPole-v1, and "acktr-separate" forces separate networks (suite.json's settings). */
static void test_variants_follow_the_preset_layout(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("layout");
    char args[1024], out[4096], path[1100];
    snprintf(args, sizeof args,
             "bench sample --quiet --algos acktr,acktr-separate --envs Acrobot-v1,CartPole-v1 "
             "--seeds 1 --steps 200 --out %s", d);
    int rc = cs_run(args, out, sizeof out);
    if (rc) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
    snprintf(path, sizeof path, "%s/suite.json", d);
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    assert_non_null(m);
    static const struct {
        const char *run, *want;
    } cases[] = {{"acktr__Acrobot-v1__seed1", "shared=false"},
                 {"acktr__CartPole-v1__seed1", "shared=true"},
                 {"acktr-separate__CartPole-v1__seed1", "shared=false"},
                 {"acktr-separate__Acrobot-v1__seed1", "shared=false"}};
    json_t *runs = json_object_get(m, "runs");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int seen = 0;
        for (size_t i = 0; i < json_array_size(runs); i++) {
            json_t *r = json_array_get(runs, i);
            if (strcmp(json_string_value(json_object_get(r, "name")), cases[c].run)) continue;
            const char *set = json_string_value(json_object_get(r, "settings"));
            assert_non_null(set);
            if (!strstr(set, cases[c].want))
                fail_msg("%s: expected %s in its settings: %s", cases[c].run, cases[c].want, set);
            seen = 1;
        }
        if (!seen) fail_msg("suite.json has no run %s", cases[c].run);
    }
    json_decref(m);
    cs_rmtree(d);
    free(d);
}

/* The pixels preset's per-environment budgets: Seaquest 500k, Breakout 1M in suite.json (read as
 * soon as it is written; the suite is then stopped), and --steps overriding both. */
static void test_preset_budgets(void **state)
{
    (void)state;
    CS_NEED_BIN();
    char *d = cs_tempdir("budgets");
    char out[1024], path[1100], args[1400];
    snprintf(out, sizeof out, "%s/out", d);
    snprintf(path, sizeof path, "%s/suite.json", out);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(cs_bin(), cs_bin(), "bench", "sample", "--preset", "pixels", "--algos", "a2c",
              "--envs", "MinAtar/Seaquest-v1,MinAtar/Breakout-v1", "--seeds", "1", "--out", out,
              (char *)NULL);
        _exit(127);
    }
    char *json = NULL;
    for (int i = 0; i < 1200 && !json; i++) { /* up to 120 s for the probe and the manifest */
        usleep(100000);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fclose(f);
        usleep(100000); /* written atomically; let the rename settle */
        json = slurp_file(path);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (!json) fail_msg("no %s within 120 s", path);
    /* runs in plan order: Seaquest then Breakout */
    const char *sq = strstr(json, "MinAtar/Seaquest-v1\""), *br = strstr(json, "MinAtar/Breakout-v1\"");
    assert_non_null(strstr(json, "\"steps\": \"per environment (see runs)\""));
    assert_non_null(sq);
    assert_non_null(br);
    assert_non_null(strstr(json, "\"steps\": 500000"));
    assert_non_null(strstr(json, "\"steps\": 1000000"));
    free(json);
    cs_rmtree(out);
    /* --steps wins over the preset's budgets */
    snprintf(args, sizeof args, "bench sample --quiet --preset pixels --algos a2c --envs "
             "MinAtar/Seaquest-v1 --seeds 1 --steps 800 --out %s", out);
    assert_int_equal(cs_run(args, NULL, 0), 0);
    json = slurp_file(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"steps\": 800"));
    assert_null(strstr(json, "500000"));
    free(json);
    cs_rmtree(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_specs_exit_2),
        cmocka_unit_test(test_preset_budgets),
        cmocka_unit_test(test_suite_writes_runs_and_resumes),
        cmocka_unit_test(test_damaged_finished_runs),
        cmocka_unit_test(test_step_flop_bound),
        cmocka_unit_test(test_variants_follow_the_preset_layout),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
