/* The exit-code contract of every command (README, "Exit codes"): 0 ok, 1 runtime failure,
 * 2 usage error (nothing created), 3 a diverged training run. One table: each command against
 * each failure class it can meet, with the words the message must hold and the paths that must
 * not exist afterwards. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_support.h"
#include "core/text.h"
#include "harness.h"

typedef struct exit_case {
    const char *args;    /* '@' stands for the test's folder */
    int code;            /* expected exit code */
    const char *needle;  /* in the output (NULL: anything) */
    const char *absent;  /* a path ('@' expanded) that must not exist afterwards, or NULL */
} exit_case;

static const exit_case CASES[] = {
    /* the program itself */
    {"", 2, "usage: clkfac", NULL},
    {"nosuch", 2, "unknown command 'nosuch'", NULL},
    {"--version", 0, "clkfac", NULL},
    /* devices */
    {"devices", 0, NULL, NULL},
    {"devices --bogus", 2, "unknown option '--bogus'", NULL},
    /* env */
    {"env list", 0, "CartPole-v1", NULL},
    {"env eval --env nosuch", 2, "nosuch", NULL},
    {"env show --env Breakout --steps 2 --out @/frames", 0, NULL, NULL},
    {"env show --env Breakout --steps 2 --out @/afile", 2, "'@/afile' exists and is not a folder",
     NULL},
    {"env show --env Breakout --steps 2 --device nosuch --out @/e_dev", 2, "--device nosuch",
     "@/e_dev"},
    {"env eval --env CartPole-v1 --episodes 2 --device 0:0", 2, "only a trained policy", NULL},
    {"env show --env Breakout --steps 2 --out @/blocked", 1, "frame_0000.png", NULL},
    /* train */
    {"train --env CartPole-v1 --steps 1k --quiet --out @/t_ok", 0, NULL, NULL},
    {"train --env CartPole-v1 --steps 1k --quiet --out @/t_net --net bogus", 2, "'bogus'",
     "@/t_net"},
    {"train --env CartPole-v1 --steps 1k --quiet --out @/t_dev --device nosuch", 2, "nosuch",
     "@/t_dev"},
    {"train --env CartPole-v1 --steps 1k --quiet --out @/t_crit --critic", 2,
     "--critic needs a value", "@/t_crit"},
    {"train --env CartPole-v1 --steps 1k --quiet --out @/afile/sub", 2,
     "'@/afile' is not a folder", NULL},
    {"train --env CartPole-v1 --steps 1k --quiet --out @/t_pol", 1, "writing the policy", NULL},
    {"train --env Pendulum-v1 --algo a2c --lr 10 --max-grad-norm 0 --rms-init 0 --steps 20k "
     "--quiet --out @/t_div",
     3, "training diverged", NULL},
    /* kfac */
    {"kfac --layer dense --in-features 3 --out-features 2 --activations @/x.npy "
     "--output-grads @/g.npy --weight-grad @/dw.npy --out @/k_ok",
     0, "wrote", NULL},
    {"kfac --layer dense --in-features 3 --out-features 2 --activations @/missing.npy "
     "--output-grads @/g.npy --out @/k_miss",
     2, "missing.npy", "@/k_miss"},
    {"kfac --layer dense --in-features 3 --out-features 2 --activations @/frames "
     "--output-grads @/g.npy --out @/k_dir",
     2, "is a directory", "@/k_dir"},
    {"kfac --layer dense --in-features 3 --out-features 2 --activations @/x.npy "
     "--output-grads @/g.npy --out @/afile",
     2, "exists and is not a folder", NULL},
    {"kfac --layer dense --in-features 3 --out-features 2 --activations @/zx.npy "
     "--output-grads @/zg.npy --weight-grad @/dw.npy --out @/k_zero",
     1, "trace <= 0", "@/k_zero"},
    /* report */
    {"report @/suite --out @/r_ok", 0, "report:", NULL},
    {"report @/nosuch", 2, "@/nosuch", NULL},
    {"report @/suite --out @/afile", 2, "exists and is not a folder", NULL},
    {"report @/suite --window 0", 2, "--window", NULL},
    {"report @/suite --out @/r_blocked", 1, "index.md", NULL},
    /* bench */
    {"bench nosuch", 2, "nosuch", NULL},
    {"bench kfac --out @/afile", 2, "exists and is not a folder", NULL},
    {"bench kfac --device nosuch --out @/b_dev", 2, "nosuch", "@/b_dev"},
    {"bench sample --bogus", 2, "--bogus", NULL},
};

/* args with every '@' replaced by dir */
static void expand(char *out, size_t cap, const char *args, const char *dir)
{
    size_t n = 0;
    for (const char *p = args; *p && n + 1 < cap; p++) {
        if (*p == '@') n += (size_t)snprintf(out + n, cap - n, "%s", dir);
        else out[n++] = *p;
        if (n >= cap) n = cap - 1;
    }
    out[n] = '\0';
}

/* A non-empty folder where a command wants to write the file name: its rename fails. */
static void block(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/%s/keep", dir, name);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void put_npy(const char *dir, const char *name, float v0, int rows, int cols)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    float x[64];
    for (int i = 0; i < rows * cols; i++) x[i] = v0 == 0 ? 0.0f : v0 * sinf(1.0f + (float)i);
    size_t shape[2] = {(size_t)rows, (size_t)cols};
    TH_OK(clkfac_npy_write(path, x, 2, shape));
}

static void fixtures(const char *d)
{
    char path[600];
    cs_put(d, "afile", "not a folder\n");
    put_npy(d, "x.npy", 1.0f, 8, 3);
    put_npy(d, "g.npy", 0.5f, 8, 2);
    put_npy(d, "dw.npy", 1.0f, 2, 3);
    put_npy(d, "zx.npy", 0.0f, 8, 3);
    put_npy(d, "zg.npy", 0.0f, 8, 2);
    snprintf(path, sizeof path, "%s/suite/runs/a2c__CartPole-v1__seed0", d);
    TH_OK(clkfac_mkdir_p(path));
    snprintf(path, sizeof path, "%s/suite/runs/a2c__CartPole-v1__seed0", d);
    cs_put(path, "episodes.csv", "timestep,episode,return,length\n10,0,10,10\n30,1,20,20\n");
    cs_put(path, "summary.json", "{\"algo\": \"a2c\", \"env\": \"CartPole-v1\", \"seed\": 0, "
                                   "\"finished\": true, \"episodes\": 2}\n");
    snprintf(path, sizeof path, "%s/blocked", d);
    TH_OK(clkfac_mkdir_p(path));
    block(path, "frame_0000.png");
    snprintf(path, sizeof path, "%s/t_pol", d);
    TH_OK(clkfac_mkdir_p(path));
    block(path, "policy.npy");
    snprintf(path, sizeof path, "%s/r_blocked", d);
    TH_OK(clkfac_mkdir_p(path));
    block(path, "index.md");
}

static void test_exit_code_table(void **state)
{
    (void)state;
    CS_NEED_BIN();
    TH_REQUIRE_DEVICE();
    char *d = cs_tempdir("exit-codes");
    assert_non_null(d);
    fixtures(d);
    int failures = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const exit_case *c = &CASES[i];
        char args[2048], needle[1024], absent[700], out[16384];
        expand(args, sizeof args, c->args, d);
        int rc = cs_run(args, out, sizeof out);
        const char *why = NULL;
        if (rc != c->code) why = "exit code";
        if (!why && c->needle) {
            expand(needle, sizeof needle, c->needle, d);
            if (!strstr(out, needle)) why = "message";
        }
        struct stat sb;
        if (!why && c->absent) {
            expand(absent, sizeof absent, c->absent, d);
            if (stat(absent, &sb) == 0) why = "created a path before the options were validated";
        }
        print_message("%s exit %d (want %d)  clkfac %s\n", why ? "FAIL" : "ok  ", rc, c->code,
                      c->args);
        if (why) {
            failures++;
            print_message("  %s; output:\n%.2000s\n", why, out);
        }
    }
    /* the diverged run says so in its summary too */
    char path[700], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/t_div/summary.json", d);
    assert_int_equal(core_read_file(path, &text, &len), 0);
    assert_non_null(strstr(text, "\"finished\": false"));
    free(text);
    cs_rmtree(d);
    free(d);
    if (failures) fail_msg("%d of %zu cases broke the exit-code contract", failures,
                           sizeof CASES / sizeof CASES[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code_table),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
