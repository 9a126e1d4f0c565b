/* `clkfac report` end to end on a synthetic suite (2 algorithms x 2 seeds on CartPole-v1 plus
 * step-cost rows): table values against hand-computed ones, every plot decodes, a re-written
 * (resumed) run folder gives byte-identical results, folders are merged, and bad input exits 2
 * naming the file. */
/* ctest-labels: unit */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char g_dir[256]; /* the fake suite folder */

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t k = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[k] = '\0';
    if (len) *len = k;
    return s;
}

/* Episodes of one run: `n` episodes, episode i (1-based) finishing at timestep dt * i with
 * return base + slope * i. `extra` is appended verbatim (a resumed run's re-logging). */
static void write_run_env(const char *env, const char *algo, int seed, int n, double dt,
                          double base, double slope, double wall, const char *extra)
{
    char dir[512], path[600], envdir[64];
    snprintf(envdir, sizeof envdir, "%s", env);
    for (char *c = envdir; *c; c++)
        if (*c == '/') *c = '-';
    snprintf(dir, sizeof dir, "%s/runs/%s__%s__seed%d", g_dir, algo, envdir, seed);
    TH_OK(clkfac_mkdir_p(dir));
    size_t cap = (size_t)n * 64 + 64 + (extra ? strlen(extra) : 0);
    char *s = malloc(cap);
    size_t k = (size_t)snprintf(s, cap, "timestep,episode,return,length\n");
    for (int i = 1; i <= n; i++)
        k += (size_t)snprintf(s + k, cap - k, "%.0f,%d,%.6g,%.0f\n", dt * i, i - 1,
                              base + slope * i, dt);
    if (extra) snprintf(s + k, cap - k, "%s", extra);
    snprintf(path, sizeof path, "%s/episodes.csv", dir);
    put(path, s);
    free(s);
    char json[512];
    /* keys in another order than cmd_train writes, nested objects, escapes: a real reader */
    snprintf(json, sizeof json,
             "{ \"options\": {\"algo\": \"not-this\", \"lr\": [1, 2, {\"x\": null}]},\n"
             "  \"wall_seconds\": %g, \"seed\": %d, \"finished\": true,\n"
             "  \"algo\": \"%s\", \"env\": \"%s\",\n"
             "  \"provenance\": {\"device\": \"Test \\\"CPU\\\"\", \"date\": \"2024\"} }\n",
             wall, seed, algo, env);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    put(path, json);
}

static void write_run(const char *algo, int seed, int n, double dt, double base, double slope,
                      double wall, const char *extra)
{
    write_run_env("CartPole-v1", algo, seed, n, dt, base, slope, wall, extra);
}

static void write_suite(const char *beta0_extra)
{
    /* alpha: constant returns 100 / 200, episodes of 20 steps up to 6000 */
    write_run("alpha", 0, 300, 20, 100, 0, 10, NULL);
    write_run("alpha", 1, 300, 20, 200, 0, 20, NULL);
    /* beta: returns i / i + 10 at episode i, 10 steps each, up to 6000 */
    write_run("beta", 0, 600, 10, 0, 1, 30, beta0_extra);
    write_run("beta", 1, 600, 10, 10, 1, 50, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/step", g_dir);
    TH_OK(clkfac_mkdir_p(path));
    snprintf(path, sizeof path, "%s/step/step_cost.csv", g_dir);
    put(path, "algo,net,batch,phase,median_ms,timesteps_per_second,min_ms\n"
              "alpha,mlp,80,rollout,4,,3\n"
              "alpha,mlp,80,update,6,,5\n"
              "alpha,mlp,80,total,10,8000,9\n"
              "alpha,mlp,640,rollout,30,,29\n"
              "alpha,mlp,640,update,34,,30\n"
              "beta,mlp,80,rollout,4,,3\n"
              "beta,mlp,80,update,16,,15\n"
              "beta,mlp,640,rollout,30,,3\n"
              "beta,mlp,640,update,50,,40\n"
              "beta,mlp,640,total,80,,70\n");
}

static int run_report(const char *args, char **err)
{
    const char *bin = getenv("CLKFAC_BIN");
    char cmd[2048], errpath[512];
    snprintf(errpath, sizeof errpath, "%s.err", g_dir);
    snprintf(cmd, sizeof cmd, "'%s' report %s > /dev/null 2> '%s'", bin, args, errpath);
    int st = system(cmd);
    if (err) *err = slurp(errpath, NULL);
    unlink(errpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/clkfac_test_report_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (g_dir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
        if (system(cmd) != 0) return -1;
    }
    return 0;
}

#define REQUIRE_BIN()                                                                    \
    do {                                                                                 \
        if (!getenv("CLKFAC_BIN")) {                                                     \
            print_message("SKIP %s: CLKFAC_BIN is not set (ctest sets it)\n", __func__); \
            skip();                                                                      \
        }                                                                                \
    } while (0)

/* The cell of results.csv in the row (env, algo) under header `col`, copied into out. */
static void cell(const char *csv, const char *algo, const char *col, char *out, size_t len)
{
    char *copy = strdup(csv), *save = NULL;
    char *header = strtok_r(copy, "\n", &save);
    int want = -1, i = 0;
    for (char *h = header, *e; h; h = e ? e + 1 : NULL, i++) {
        e = strchr(h, ',');
        if (e) *e = '\0';
        if (!strcmp(h, col)) want = i;
    }
    assert_true(want >= 0);
    out[0] = '\0';
    int found = 0;
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[32];
        int n = 0;
        for (char *p = line; p && n < 32;) {
            f[n++] = p;
            p = strchr(p, ',');
            if (p) *p++ = '\0';
        }
        if (n > want && !strcmp(f[0], "CartPole-v1") && !strcmp(f[1], algo)) {
            snprintf(out, len, "%s", f[want]);
            found = 1;
        }
    }
    free(copy);
    assert_true(found);
}

static double num(const char *csv, const char *algo, const char *col)
{
    char buf[64];
    cell(csv, algo, col, buf, sizeof buf);
    return buf[0] ? strtod(buf, NULL) : NAN;
}

#define ASSERT_NEAR(got, want, tol)                                                       \
    do {                                                                                  \
        double g_ = (got), w_ = (want);                                                   \
        if (!(fabs(g_ - w_) <= (tol))) fail_msg("%s = %.10g, expected %.10g", #got, g_, w_); \
    } while (0)

/* beta's AUC recomputed independently: the grid the report documents (201 points over the
 * span every run covers: from the latest first episode, 20, to the earliest last, 6000), the
 * value at each point the mean of the last <=100 returns of the episodes finished by then. */
static double beta_auc(double base)
{
    double lo = 20, hi = 6000, g[201], y[201], area = 0;
    for (int j = 0; j < 201; j++) g[j] = lo + (hi - lo) * j / (201 - 1);
    g[200] = hi;
    for (int j = 0; j < 201; j++) {
        int k = 0; /* episodes finished: 10 * i <= g */
        while (10.0 * (k + 1) <= g[j]) k++;
        double s = 0;
        int first = k > 100 ? k - 100 + 1 : 1;
        for (int i = first; i <= k; i++) s += base + i;
        y[j] = s / (k - first + 1);
    }
    for (int j = 1; j < 201; j++) area += 0.5 * (g[j] - g[j - 1]) * (y[j] + y[j - 1]);
    return area / (hi - lo);
}

static void check_png(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/report/%s", g_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("missing plot %s", path);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_stdio(&img, f));
    img.format = PNG_FORMAT_RGB;
    size_t n = PNG_IMAGE_SIZE(img);
    unsigned char *px = malloc(n);
    assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
    fclose(f);
    assert_int_equal(img.width, CLKFAC_PLOT_WIDTH);
    assert_int_equal(img.height, CLKFAC_PLOT_HEIGHT);
    size_t differ = 0;
    for (size_t i = 3; i < n; i++) differ += px[i] != px[i % 3];
    assert_true(differ > 1000); /* not one colour */
    free(px);
}

static void test_tables_and_plots(void **state)
{
    (void)state;
    REQUIRE_BIN();
    write_suite(NULL);
    char args[512], *err = NULL;
    snprintf(args, sizeof args, "'%s'", g_dir);
    int rc = run_report(args, &err);
    if (rc) fail_msg("report exited %d: %s", rc, err ? err : "");
    free(err);
    char path[512];
    snprintf(path, sizeof path, "%s/report/results.csv", g_dir);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);

    /* alpha: final means 100 and 200; with two seeds the bootstrap means are 100, 150, 200
     * with probabilities 1/4, 1/2, 1/4, so the 95% interval is [100, 200] */
    ASSERT_NEAR(num(csv, "alpha", "seeds"), 2, 0);
    ASSERT_NEAR(num(csv, "alpha", "threshold"), 475, 0);
    /* the random-policy baseline from data/random.csv */
    ASSERT_NEAR(num(csv, "alpha", "random_return"), 22.476, 1e-9);
    ASSERT_NEAR(num(csv, "alpha", "final_mean"), 150, 1e-9);
    ASSERT_NEAR(num(csv, "alpha", "final_ci_lo"), 100, 1e-9);
    ASSERT_NEAR(num(csv, "alpha", "final_ci_hi"), 200, 1e-9);
    ASSERT_NEAR(num(csv, "alpha", "final_std"), 50 * sqrt(2.0), 1e-6);
    ASSERT_NEAR(num(csv, "alpha", "final_median"), 150, 1e-9);
    ASSERT_NEAR(num(csv, "alpha", "reached"), 0, 0);
    assert_true(isnan(num(csv, "alpha", "episodes_to_threshold")));
    assert_true(isnan(num(csv, "alpha", "timesteps_to_threshold")));
    ASSERT_NEAR(num(csv, "alpha", "auc"), 150, 1e-6); /* constant curves */
    ASSERT_NEAR(num(csv, "alpha", "auc_from"), 20, 0);
    ASSERT_NEAR(num(csv, "alpha", "auc_to"), 6000, 0);
    ASSERT_NEAR(num(csv, "alpha", "wall_seconds"), 15, 1e-9);

    /* beta seed 0: returns 1..600, last 100 average 550.5; the full 100-episode mean at
     * episode k is k - 49.5, first >= 475 at k = 525 (timestep 5250). Seed 1 is 10 higher:
     * 560.5, k = 515 (5150). */
    ASSERT_NEAR(num(csv, "beta", "final_mean"), 555.5, 1e-9);
    ASSERT_NEAR(num(csv, "beta", "final_ci_lo"), 550.5, 1e-9);
    ASSERT_NEAR(num(csv, "beta", "final_ci_hi"), 560.5, 1e-9);
    ASSERT_NEAR(num(csv, "beta", "final_std"), 5 * sqrt(2.0), 1e-6);
    ASSERT_NEAR(num(csv, "beta", "reached"), 2, 0);
    ASSERT_NEAR(num(csv, "beta", "episodes_to_threshold"), 520, 1e-9);
    ASSERT_NEAR(num(csv, "beta", "timesteps_to_threshold"), 5200, 1e-9);
    /* two seeds reached it, at 5250 and 5150: the bootstrap interval spans both */
    ASSERT_NEAR(num(csv, "beta", "timesteps_to_threshold_ci_lo"), 5150, 1e-9);
    ASSERT_NEAR(num(csv, "beta", "timesteps_to_threshold_ci_hi"), 5250, 1e-9);
    assert_true(isnan(num(csv, "alpha", "timesteps_to_threshold_ci_lo")));
    ASSERT_NEAR(num(csv, "beta", "auc"), 0.5 * (beta_auc(0) + beta_auc(10)), 1e-6);
    ASSERT_NEAR(num(csv, "beta", "wall_seconds"), 40, 1e-9);
    free(csv);

    /* Markdown shows the same numbers for people */
    snprintf(path, sizeof path, "%s/report/results.md", g_dir);
    char *md = slurp(path, NULL);
    assert_non_null(md);
    assert_non_null(strstr(md, "| CartPole-v1 | beta | 2 | 555.5 [550.5, 560.5] | 22.5 | 475 | 2/2 seeds | 520 | 5200 [5150, 5250] |"));
    assert_non_null(strstr(md, "| CartPole-v1 | alpha | 2 | 150.0 [100.0, 200.0] | 22.5 | 475 | 0/2 seeds | n/a | n/a | 150.0 | 15.0 |"));
    assert_non_null(strstr(md, "devices: Test \"CPU\""));
    free(md);

    /* step cost: alpha 640 has no total row (sum 64 ms, 640 / 0.064 s = 10000 steps/s); beta
     * 80 likewise (20 ms, 4000/s); measured totals win elsewhere */
    snprintf(path, sizeof path, "%s/report/step_cost.csv", g_dir);
    char *sc = slurp(path, NULL);
    assert_non_null(sc);
    assert_non_null(strstr(sc, "algo,net,batch,rollout_ms,update_ms,total_ms,timesteps_per_second\n"));
    assert_non_null(strstr(sc, "alpha,mlp,80,4,6,10,8000\n"));
    assert_non_null(strstr(sc, "alpha,mlp,640,30,34,64,10000\n"));
    assert_non_null(strstr(sc, "beta,mlp,80,4,16,20,4000\n"));
    assert_non_null(strstr(sc, "beta,mlp,640,30,50,80,8000\n"));
    free(sc);

    /* published anchors for CartPole-v1 are listed, marked as another setting */
    snprintf(path, sizeof path, "%s/report/published.md", g_dir);
    char *pub = slurp(path, NULL);
    assert_non_null(pub);
    assert_non_null(strstr(pub, "different setting"));
    assert_non_null(strstr(pub, "CartPole-v1"));
    free(pub);

    check_png("curves_CartPole-v1.png");
    check_png("step_cost_mlp.png");
    check_png("tps_vs_batch.png");
    snprintf(path, sizeof path, "%s/report/index.md", g_dir);
    char *index = slurp(path, NULL);
    assert_non_null(index);
    static const char *const links[] = {"(results.md)", "(results.csv)", "(results.json)",
                                        "(curves_CartPole-v1.png)", "(step_cost_mlp.png)",
                                        "(tps_vs_batch.png)", "(step_cost.md)", "(published.md)"};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (!strstr(index, links[i])) fail_msg("index.md lacks a link %s", links[i]);
    free(index);
}

static void test_resumed_run_gives_identical_tables(void **state)
{
    (void)state;
    REQUIRE_BIN();
    static const char *const files[] = {"results.csv", "results.md", "results.json",
                                        "step_cost.csv", "published.csv", "index.md",
                                        "curves_CartPole-v1.png"};
    enum { NF = sizeof files / sizeof files[0] };
    char *before[NF], path[512], args[512];
    size_t len[NF];
    write_suite(NULL);
    snprintf(args, sizeof args, "'%s'", g_dir);
    assert_int_equal(run_report(args, NULL), 0);
    for (int i = 0; i < NF; i++) {
        snprintf(path, sizeof path, "%s/report/%s", g_dir, files[i]);
        assert_non_null(before[i] = slurp(path, &len[i]));
    }
    /* the suite is resumed: every run folder written again, and beta seed 0 appended a
     * second header and re-logged its last 50 episodes after restarting from a checkpoint,
     * plus a half-written line from being interrupted once more */
    char extra[8192];
    size_t k = (size_t)snprintf(extra, sizeof extra, "timestep,episode,return,length\n");
    for (int i = 551; i <= 600; i++)
        k += (size_t)snprintf(extra + k, sizeof extra - k, "%d,%d,%d,10\n", 10 * i, i - 1, i);
    snprintf(extra + k, sizeof extra - k, "6010,600,60");
    write_suite(extra);
    char *err = NULL;
    assert_int_equal(run_report(args, &err), 0);
    assert_non_null(strstr(err, "no newline")); /* the partial line was noticed, not used */
    free(err);
    for (int i = 0; i < NF; i++) {
        size_t n;
        snprintf(path, sizeof path, "%s/report/%s", g_dir, files[i]);
        char *after = slurp(path, &n);
        assert_non_null(after);
        if (n != len[i] || memcmp(after, before[i], n)) fail_msg("%s changed on resume", files[i]);
        free(after);
        free(before[i]);
    }
}

static void test_errors_exit_2_naming_the_problem(void **state)
{
    (void)state;
    REQUIRE_BIN();
    char args[768], *err = NULL, path[512];
    /* a folder that does not exist */
    snprintf(args, sizeof args, "'%s/nope'", g_dir);
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "nope"));
    free(err);
    /* a folder without runs */
    snprintf(path, sizeof path, "%s/empty", g_dir);
    TH_OK(clkfac_mkdir_p(path));
    snprintf(args, sizeof args, "'%s'", path);
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "no runs"));
    free(err);
    /* a malformed row: file and line named */
    write_suite(NULL);
    snprintf(path, sizeof path, "%s/runs/beta__CartPole-v1__seed1/episodes.csv", g_dir);
    put(path, "timestep,episode,return,length\n10,0,1,10\n20,1,abc,10\n");
    snprintf(args, sizeof args, "'%s'", g_dir);
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "beta__CartPole-v1__seed1/episodes.csv:3"));
    assert_non_null(strstr(err, "abc"));
    free(err);
    /* a header without a return column */
    put(path, "timestep,episode,reward\n10,0,1\n");
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "episodes.csv:1"));
    assert_non_null(strstr(err, "return"));
    free(err);
    /* malformed JSON */
    write_suite(NULL);
    snprintf(path, sizeof path, "%s/runs/alpha__CartPole-v1__seed0/summary.json", g_dir);
    put(path, "{\"algo\": \"alpha\", \"seed\": }");
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "summary.json"));
    free(err);
    /* an unusable --out (under a file) is the user's input, as in every command: exit 2 */
    write_suite(NULL);
    snprintf(path, sizeof path, "%s/a-file", g_dir);
    put(path, "x");
    snprintf(args, sizeof args, "'%s' --out '%s/a-file/report'", g_dir, g_dir);
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "is not a folder"));
    free(err);
    /* usage errors */
    snprintf(args, sizeof args, "'%s' --bogus", g_dir);
    assert_int_equal(run_report(args, &err), 2);
    free(err);
    assert_int_equal(run_report("", &err), 2);
    free(err);
}

/* Suites run in parallel (or on other machines) reported together: the runs of two folders
 * give the same table as one folder holding all of them; a run found in both is taken from the
 * first folder (with a warning); step data and the tables beside it (bench step's paper_tps.md
 * and launch_budget.md, the kernels' resource table in step/kernels/) come from the folder that
 * has them. */
static void test_folders_merged(void **state)
{
    (void)state;
    REQUIRE_BIN();
    write_suite(NULL);
    char args[2048], cmd[2048], *err = NULL, path[600];
    snprintf(args, sizeof args, "'%s' --out '%s/one'", g_dir, g_dir);
    assert_int_equal(run_report(args, NULL), 0);
    /* X: the alpha runs; Y: the beta runs, the step data, and a changed copy of alpha seed 0 */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -rf X Y && mkdir -p X/runs Y/runs && cp -r runs/alpha__* X/runs/ && "
             "cp -r runs/beta__* Y/runs/ && cp -r step Y/ && "
             "cp -r runs/alpha__CartPole-v1__seed0 Y/runs/ && "
             "sed -i 's/,100,20$/,5,20/' Y/runs/alpha__CartPole-v1__seed0/episodes.csv && "
             "printf '| paper layout |\n' > Y/step/paper_tps.md && "
             "printf '| launches |\n' > Y/step/launch_budget.md && mkdir -p Y/step/kernels && "
             "printf '| registers |\n' > Y/step/kernels/kernels.md",
             g_dir);
    assert_int_equal(system(cmd), 0);
    snprintf(args, sizeof args, "'%s/X' '%s/Y' --out '%s/two'", g_dir, g_dir, g_dir);
    if (run_report(args, &err) != 0) fail_msg("report %s failed:\n%s", args, err);
    if (!strstr(err, "already read from another folder"))
        fail_msg("the duplicate run was not reported:\n%s", err);
    free(err);
    /* (the .md, .json and .png files carry the provenance, which names the folders) */
    static const char *const same[] = {"results.csv", "step_cost.csv"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        size_t n1, n2;
        snprintf(path, sizeof path, "%s/one/%s", g_dir, same[i]);
        char *a = slurp(path, &n1);
        snprintf(path, sizeof path, "%s/two/%s", g_dir, same[i]);
        char *b = slurp(path, &n2);
        assert_non_null(a);
        assert_non_null(b);
        if (n1 != n2 || memcmp(a, b, n1))
            fail_msg("%s differs between one folder and two merged ones", same[i]);
        free(a);
        free(b);
    }
    snprintf(path, sizeof path, "%s/two/index.md", g_dir);
    char *index = slurp(path, NULL);
    assert_non_null(index);
    assert_non_null(strstr(index, "X/runs, "));
    assert_non_null(strstr(index, "Y/runs"));
    assert_non_null(strstr(index, "(paper_tps.md)"));
    free(index);
    snprintf(path, sizeof path, "%s/two/paper_tps.md", g_dir);
    char *tps = slurp(path, NULL);
    assert_non_null(tps);
    assert_string_equal(tps, "| paper layout |\n");
    free(tps);
    static const char *const beside[][2] = {{"launch_budget.md", "| launches |\n"},
                                            {"kernels.md", "| registers |\n"}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/two/%s", g_dir, beside[i][0]);
        char *text = slurp(path, NULL);
        if (!text) fail_msg("%s was not copied into the report", beside[i][0]);
        assert_string_equal(text, beside[i][1]);
        free(text);
        snprintf(path, sizeof path, "%s/two/index.md", g_dir);
        text = slurp(path, NULL);
        char link[64];
        snprintf(link, sizeof link, "(%s)", beside[i][0]);
        assert_non_null(strstr(text, link));
        free(text);
    }
    /* a second folder that is not one */
    snprintf(args, sizeof args, "'%s/X' '%s/nope'", g_dir, g_dir);
    assert_int_equal(run_report(args, &err), 2);
    assert_non_null(strstr(err, "nope"));
    free(err);
}

/* Warnings of a library call, collected. */
typedef struct warnings {
    char text[8192];
    int n;
} warnings;

static void collect(void *user, const char *message)
{
    warnings *w = user;
    size_t k = strlen(w->text);
    snprintf(w->text + k, sizeof w->text - k, "%s\n", message);
    w->n++;
}

static clkfac_status report_lib(const char *out, warnings *w)
{
    const char *dirs[1] = {g_dir};
    clkfac_report_options o = CLKFAC_REPORT_OPTIONS_INIT;
    o.dirs = dirs;
    o.n_dirs = 1;
    o.out = out;
    o.warn = collect;
    o.warn_user = w;
    memset(w, 0, sizeof *w);
    return clkfac_report_write(NULL, &o);
}

/* The report is a library call: the same tables as the program, what it covered in info, and
 * errors as statuses with the message in clkfac_last_error(). */
static void test_library_call(void **state)
{
    (void)state;
    write_suite(NULL);
    char out[600], path[700];
    const char *dirs[2] = {g_dir, "/nonexistent/suite"};
    clkfac_report_options o = CLKFAC_REPORT_OPTIONS_INIT;
    clkfac_report_info info;
    snprintf(out, sizeof out, "%s/lib", g_dir);
    o.dirs = dirs;
    o.n_dirs = 1;
    o.out = out;
    TH_OK(clkfac_report_write(&info, &o));
    assert_int_equal(info.runs, 4);
    assert_int_equal(info.environments, 1);
    assert_string_equal(info.out, out);
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);
    ASSERT_NEAR(num(csv, "beta", "final_mean"), 555.5, 1e-9);
    if (getenv("CLKFAC_BIN")) { /* the program writes the same table */
        char args[700];
        snprintf(args, sizeof args, "'%s' --out '%s/cli'", g_dir, g_dir);
        assert_int_equal(run_report(args, NULL), 0);
        snprintf(path, sizeof path, "%s/cli/results.csv", g_dir);
        char *cli = slurp(path, NULL);
        assert_non_null(cli);
        assert_string_equal(cli, csv);
        free(cli);
    }
    free(csv);
    o.n_dirs = 2; /* a folder that is not there */
    assert_int_equal(clkfac_report_write(&info, &o), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "/nonexistent/suite"));
    o.n_dirs = 0;
    assert_int_equal(clkfac_report_write(&info, &o), CLKFAC_ERR_INVALID_ARG);
    o.n_dirs = 1;
    o.version = 99;
    assert_int_equal(clkfac_report_write(&info, &o), CLKFAC_ERR_INVALID_ARG);
}

/* Damaged run folders: a summary.json nested past any sane depth, one cut off mid-file, and a
 * finished run whose episodes.csv lost rows at a line boundary. The first two are named as
 * corrupt (no crash, no guess); the last is reported with a warning and listed as damaged. */
static void test_damaged_run_folders(void **state)
{
    (void)state;
    char out[600], path[700];
    warnings w;
    snprintf(out, sizeof out, "%s/damaged", g_dir);
    snprintf(path, sizeof path, "%s/runs/alpha__CartPole-v1__seed0/summary.json", g_dir);

    write_suite(NULL);
    /* {"provenance": {"provenance": ...}}: the old hand-written reader recursed once per level
     * here without a limit and overflowed the stack */
    enum { DEPTH = 200000 };
    static const char level[] = "{\"provenance\": ";
    size_t ll = sizeof level - 1;
    char *deep = malloc(DEPTH * (ll + 1) + 8);
    assert_non_null(deep);
    for (size_t i = 0; i < DEPTH; i++) memcpy(deep + i * ll, level, ll);
    memset(deep + DEPTH * ll, '}', DEPTH);
    snprintf(deep + DEPTH * (ll + 1), 8, "\n");
    put(path, deep);
    free(deep);
    assert_int_equal(report_lib(out, &w), CLKFAC_ERR_FORMAT);
    assert_non_null(strstr(clkfac_last_error(), "summary.json"));
    assert_non_null(strstr(clkfac_last_error(), "depth"));

    write_suite(NULL);
    put(path, "{ \"algo\": \"alpha\", \"env\": \"CartPole-v1\", \"seed\": 0, \"fini");
    assert_int_equal(report_lib(out, &w), CLKFAC_ERR_FORMAT);
    assert_non_null(strstr(clkfac_last_error(), "summary.json: corrupt"));
    assert_non_null(strstr(clkfac_last_error(), "line 1"));

    write_suite(NULL); /* 300 episodes written, 200 left */
    put(path, "{\"algo\": \"alpha\", \"env\": \"CartPole-v1\", \"seed\": 0, "
              "\"finished\": true, \"episodes\": 300, \"wall_seconds\": 10}\n");
    char cmd[900];
    snprintf(cmd, sizeof cmd, "cd '%s/runs/alpha__CartPole-v1__seed0' && head -n 201 episodes.csv "
                              "> e && mv e episodes.csv", g_dir);
    assert_int_equal(system(cmd), 0);
    TH_OK(report_lib(out, &w));
    assert_non_null(strstr(w.text, "200 episodes, but summary.json counts 300"));
    snprintf(cmd, sizeof cmd, "%s/index.md", out);
    char *index = slurp(cmd, NULL);
    assert_non_null(index);
    const char *damaged = strstr(index, "## Runs whose episodes.csv was cut short");
    assert_non_null(damaged);
    assert_non_null(strstr(damaged, "- alpha__CartPole-v1__seed0\n"));
    free(index);
    /* the same cut in an unfinished run is a run in progress, not damage */
    put(path, "{\"algo\": \"alpha\", \"env\": \"CartPole-v1\", \"seed\": 0, "
              "\"finished\": false, \"episodes\": 300}\n");
    TH_OK(report_lib(out, &w));
    assert_null(strstr(w.text, "cut short"));
}


/* The value in `csv` at the row whose first cells are k0 (and k1 when given), column `col`. */
static double csv_at(const char *csv, const char *k0, const char *k1, const char *col)
{
    char *copy = strdup(csv), *save = NULL, *f[16];
    int want = -1;
    double v = NAN;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int n = 0;
        for (char *q = line; q && n < 16;) {
            f[n++] = q;
            q = strchr(q, ',');
            if (q) *q++ = '\0';
        }
        if (want < 0) {
            for (int i = 0; i < n; i++)
                if (!strcmp(f[i], col)) want = i;
            assert_true(want >= 0);
        } else if (n > want && !strcmp(f[0], k0) && (!k1 || !strcmp(f[1], k1))) {
            v = f[want][0] ? strtod(f[want], NULL) : NAN;
        }
    }
    free(copy);
    return v;
}

/* Across environments: normalized scores, IQM and probability of improvement against values
 * worked out by hand, the halfway threshold, and an environment left out with its reason. */
static void test_aggregate_across_environments(void **state)
{
    (void)state;
    REQUIRE_BIN();
    char path[600], data[300];
    snprintf(path, sizeof path, "rm -rf '%s/runs' '%s/step'", g_dir, g_dir); /* earlier tests' */
    assert_int_equal(system(path), 0);
    snprintf(data, sizeof data, "%s/data", g_dir);
    TH_OK(clkfac_mkdir_p(data));
    snprintf(path, sizeof path, "%s/thresholds.csv", data);
    put(path, "environment,threshold,source\nCartPole-v1,475,test\n");
    snprintf(path, sizeof path, "%s/random.csv", data);
    put(path, "environment,random_return,ci_lo,ci_hi,mean_length\nCartPole-v1,20,19,21,20\n"
              "MinAtar/Breakout-v1,0.5,0.4,0.6,10\nPendulum-v1,-1200,-1210,-1190,200\n");
    snprintf(path, sizeof path, "%s/published.csv", data);
    put(path, "source,setting,metric,algorithm,environment,value,note\n");
    /* normalized finals u (final = random + D u, constant returns so the final is exact):
     * CartPole (D 100): x {0.5, 1, 1.5, 1} (mean 1: the best), y {0, 0.25, 0.5, 0.25};
     * Breakout (D 10): x {0.2, 0.4, 0.6, 0.8}, y {1, 1, 1, 1} (the best) */
    const double ux[2][4] = {{0.5, 1, 1.5, 1}, {0.2, 0.4, 0.6, 0.8}};
    const double uy[2][4] = {{0, 0.25, 0.5, 0.25}, {1, 1, 1, 1}};
    const char *env[2] = {"CartPole-v1", "MinAtar/Breakout-v1"};
    const double rnd[2] = {20, 0.5}, d[2] = {100, 10};
    for (int e = 0; e < 2; e++)
        for (int k = 0; k < 4; k++) {
            write_run_env(env[e], "x", k, 200, 10, rnd[e] + d[e] * ux[e][k], 0, 1, NULL);
            write_run_env(env[e], "y", k, 200, 10, rnd[e] + d[e] * uy[e][k], 0, 1, NULL);
        }
    write_run_env("Pendulum-v1", "x", 0, 200, 10, -300, 0, 1, NULL); /* no run of y */
    char args[1200], *err = NULL;
    snprintf(args, sizeof args, "'%s' --data '%s' --out '%s/agg'", g_dir, data, g_dir);
    int rc = run_report(args, &err);
    if (rc) fail_msg("report exited %d: %s", rc, err ? err : "");
    free(err);

    snprintf(path, sizeof path, "%s/agg/normalization.csv", g_dir);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);
    ASSERT_NEAR(csv_at(csv, "CartPole-v1", NULL, "best_final_mean"), 120, 1e-9);
    ASSERT_NEAR(csv_at(csv, "MinAtar/Breakout-v1", NULL, "best_final_mean"), 10.5, 1e-9);
    assert_null(strstr(csv, "Pendulum-v1"));
    free(csv);
    snprintf(path, sizeof path, "%s/agg/normalization.md", g_dir);
    char *md = slurp(path, NULL);
    assert_non_null(md);
    assert_non_null(strstr(md, "Pendulum-v1 (no finished run of y)"));
    free(md);

    /* IQM: x pooled 0.2 0.4 0.5 0.6 0.8 1 1 1.5 -> mean(0.5, 0.6, 0.8, 1) = 0.725;
     *      y pooled 0 0.25 0.25 0.5 1 1 1 1 -> mean(0.25, 0.5, 1, 1) = 0.6875 */
    snprintf(path, sizeof path, "%s/agg/aggregate.csv", g_dir);
    csv = slurp(path, NULL);
    assert_non_null(csv);
    ASSERT_NEAR(csv_at(csv, "x", NULL, "iqm"), 0.725, 1e-9);
    ASSERT_NEAR(csv_at(csv, "y", NULL, "iqm"), 0.6875, 1e-9);
    ASSERT_NEAR(csv_at(csv, "x", NULL, "environments"), 2, 0);
    ASSERT_NEAR(csv_at(csv, "x", NULL, "runs"), 8, 0);
    assert_true(csv_at(csv, "x", NULL, "iqm_ci_lo") <= 0.725);
    assert_true(csv_at(csv, "x", NULL, "iqm_ci_hi") >= 0.725);
    free(csv);

    /* P(x > y): CartPole 15.5 / 16 (x = 0.5 ties y = 0.5 once), Breakout 0 -> 15.5 / 32 */
    snprintf(path, sizeof path, "%s/agg/improvement.csv", g_dir);
    csv = slurp(path, NULL);
    assert_non_null(csv);
    ASSERT_NEAR(csv_at(csv, "x", "y", "p_x_beats_y"), 15.5 / 32, 1e-12);
    ASSERT_NEAR(csv_at(csv, "y", "x", "p_x_beats_y"), 16.5 / 32, 1e-12);
    free(csv);

    /* Breakout has no thresholds.csv entry: halfway, 0.5 + (10.5 - 0.5) / 2 = 5.5; x's 6.5
     * and 8.5 reach it at their first full window (episode 100, timestep 1000) */
    snprintf(path, sizeof path, "%s/agg/results.csv", g_dir);
    csv = slurp(path, NULL);
    assert_non_null(csv);
    ASSERT_NEAR(csv_at(csv, "MinAtar/Breakout-v1", "x", "threshold"), 5.5, 1e-9);
    ASSERT_NEAR(csv_at(csv, "MinAtar/Breakout-v1", "x", "reached"), 2, 0);
    ASSERT_NEAR(csv_at(csv, "MinAtar/Breakout-v1", "x", "timesteps_to_threshold"), 1000, 0);
    ASSERT_NEAR(csv_at(csv, "CartPole-v1", "x", "threshold"), 475, 0);
    /* Pendulum: left out of the aggregate, but x alone beats random: -1200 + 900 / 2 */
    ASSERT_NEAR(csv_at(csv, "Pendulum-v1", "x", "threshold"), -750, 1e-9);
    free(csv);
    snprintf(path, sizeof path, "%s/agg/index.md", g_dir);
    md = slurp(path, NULL);
    assert_non_null(md);
    assert_non_null(strstr(md, "## Across environments"));
    assert_non_null(strstr(md, "5.5 (halfway)"));
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_and_plots),
        cmocka_unit_test(test_folders_merged),
        cmocka_unit_test(test_resumed_run_gives_identical_tables),
        cmocka_unit_test(test_errors_exit_2_naming_the_problem),
        cmocka_unit_test(test_library_call),
        cmocka_unit_test(test_damaged_run_folders),
        cmocka_unit_test(test_aggregate_across_environments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
