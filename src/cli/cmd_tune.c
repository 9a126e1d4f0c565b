/* `clkfac tune`: measures the device's best parameters for the CLBlast kernels and clkfac's own
 * tunables on the shapes clkfac runs (derived here from the networks' layers: forward, weight
 * gradient, input gradient, the K-FAC factor Grams and the preconditioning products), prints
 * before/after times measured in the same run and writes the device's tuning database, which
 * every later context on the device loads. `--check FILE` validates a database instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

typedef struct tune_cli {
    int quick;
    int no_save;
    int reps;
    const char *device;
    const char *db;
    const char *check;
} tune_cli;

static const clkfac_option OPTIONS[] = {
    CLI_OPTION(BOOL, tune_cli, quick, "--quick", NULL, 0, 1, 0,
               "a few candidates per kernel on the A2C batch (minutes on a CPU under PoCL); "
               "without it a wider search on the ACKTR batch (up to an hour)"),
    CLI_OPTION(BOOL, tune_cli, no_save, "--no-save", NULL, 0, 1, 0,
               "measure and print, write no database"),
    CLI_OPTION(INT, tune_cli, reps, "--reps", "N", 0, 16, 0,
               "timed runs per measurement after a warm-up (default 5 quick, 7 full)"),
    CLI_OPTION(STRING, tune_cli, device, "--device", "SPEC", 0, 0, 0,
               "P:D, cpu, gpu or part of a name (default $CLKFAC_DEVICE, else the first GPU, else "
               "the first device)"),
    CLI_OPTION(STRING, tune_cli, db, "--db", "FILE", 0, 0, 0,
               "database to write (default ~/.cache/clkfac/tune/<device>-<key>.txt, which "
               "contexts load; another path is loaded with CLKFAC_TUNE=FILE)"),
    CLI_OPTION(STRING, tune_cli, check, "--check", "FILE", 0, 0, 0,
               "only check a database against the device (format, checksum, device, driver, "
               "CLBlast version, kernel hash) and exit 0 (valid) or 1"),
};

#define MAX_SHAPES 96

typedef struct shape_set {
    clkfac_tune_gemm gemm[MAX_SHAPES];
    size_t n_gemm;
    clkfac_tune_gemm gemv[16];
    size_t n_gemv;
    size_t factors[32];
    size_t n_factors;
    size_t gram_rows, gram_cols;
} shape_set;

static void add_gemm(shape_set *s, size_t m, size_t n, size_t k, int ta, int tb)
{
    for (size_t i = 0; i < s->n_gemm; i++) {
        const clkfac_tune_gemm *g = &s->gemm[i];
        if (g->m == m && g->n == n && g->k == k && g->trans_a == ta && g->trans_b == tb) return;
    }
    if (s->n_gemm < MAX_SHAPES) s->gemm[s->n_gemm++] = (clkfac_tune_gemm){m, n, k, ta, tb};
}

static void add_factor(shape_set *s, size_t n)
{
    for (size_t i = 0; i < s->n_factors; i++)
        if (s->factors[i] == n) return;
    if (s->n_factors < 32) s->factors[s->n_factors++] = n;
}

/* The GEMMs of one network at batch n_batch, as src/nn/layers.c and src/kfac call them:
 * forward (rows, d_out, d_in+1) NT; weight gradient (d_out, d_in+1, rows) TN; input gradient
 * (rows, d_in, d_out) NN (not for the first layer); factor Grams (d_in, d_in, block) and
 * (d_out, d_out, block) TN over row blocks; preconditioning (d_out, d_in+1, d_out) and
 * (d_out, d_in+1, d_in+1) NN. */
static int add_network(shape_set *s, const char *spec, int c, int h, int w, size_t n_batch,
                       int n_actions, size_t row_block)
{
    clkfac_nn_layer_spec layers[16];
    size_t nl = 0;
    if (clkfac_nn_parse(layers, 16, &nl, spec)) return -1;
    size_t d_in = 0;
    int conv = 1;
    for (size_t i = 0; i <= nl + 1; i++) {
        size_t d_out, d_in_h, rows;
        if (i < nl && layers[i].kind == CLKFAC_NN_CONV) {
            const int k = layers[i].kernel, st = layers[i].stride, pad = layers[i].pad;
            const int ho = (h + 2 * pad - k) / st + 1, wo = (w + 2 * pad - k) / st + 1;
            d_in_h = (size_t)c * (size_t)(k * k) + 1;
            d_out = (size_t)layers[i].units;
            rows = n_batch * (size_t)(ho * wo);
            c = layers[i].units;
            h = ho;
            w = wo;
        } else {
            if (conv) {
                d_in = (size_t)c * (size_t)h * (size_t)w;
                conv = 0;
            }
            /* trunk dense layers, then the policy head and the value head */
            d_out = i < nl ? (size_t)layers[i].units : i == nl ? (size_t)n_actions : 1;
            d_in_h = d_in + 1;
            rows = n_batch;
            if (i < nl) d_in = d_out;
        }
        const size_t block = rows < row_block ? rows : row_block;
        add_gemm(s, rows, d_out, d_in_h, 0, 1);
        add_gemm(s, d_out, d_in_h, rows, 1, 0);
        if (i > 0) add_gemm(s, rows, d_in_h - 1, d_out, 0, 0);
        add_gemm(s, d_in_h - 1, d_in_h - 1, block, 1, 0);
        if (d_out > 1) add_gemm(s, d_out, d_out, block, 1, 0);
        add_gemm(s, d_out, d_in_h, d_out, 0, 0);
        add_gemm(s, d_out, d_in_h, d_in_h, 0, 0);
        add_factor(s, d_in_h);
        if (d_out > 1) add_factor(s, d_out);
        if (rows * (d_in_h - 1) > s->gram_rows * s->gram_cols) {
            s->gram_rows = rows;
            s->gram_cols = d_in_h - 1;
        }
        if (i >= nl && s->n_gemv < 16) { /* the heads' matrix-vector products */
            s->gemv[s->n_gemv++] = (clkfac_tune_gemm){d_out, d_in_h, 0, 0, 0};
            s->gemv[s->n_gemv++] = (clkfac_tune_gemm){d_out, d_in_h, 0, 1, 0};
        }
        if (i < nl && layers[i].kind != CLKFAC_NN_CONV && s->n_gemv < 16)
            s->gemv[s->n_gemv++] = (clkfac_tune_gemm){d_out, d_in_h, 0, 1, 0};
    }
    return 0;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double flops(const clkfac_tune_gemm *g) { return 2.0 * (double)g->m * g->n * g->k; }

static int by_flops_desc(const void *a, const void *b)
{
    double x = flops(a), y = flops(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

static int by_size_desc(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void on_progress(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "  %s\n", line);
}

int cmd_tune(int argc, char **argv)
{
    tune_cli o;
    memset(&o, 0, sizeof o);
    cli_defaults(OPTIONS, sizeof OPTIONS / sizeof OPTIONS[0], &o);
    cli_table t = {OPTIONS, sizeof OPTIONS / sizeof OPTIONS[0], &o, NULL};
    int r = cli_parse("tune", argc, argv, &t, 1);
    if (r < 0) {
        printf("usage: clkfac tune [options]\n"
               "  tunes CLBlast's kernels (Xgemm, XgemmDirect, Xgemv, Copy/Pad/Transpose) and\n"
               "  clkfac's own (direct/indirect GEMM threshold, Cholesky work-group size, Gram\n"
               "  row blocks) on the shapes of clkfac's networks, prints before/after times\n"
               "  measured in one run and writes the device's tuning database, which every\n"
               "  later context on this device loads (`clkfac devices` shows the source).\n"
               "  CLKFAC_TUNE=off|shipped|FILE chooses what contexts load.\n");
        cli_print_options(OPTIONS, sizeof OPTIONS / sizeof OPTIONS[0], CLKFAC_OPTION_FOR_ALL);
        return CLI_OK;
    }
    if (r) return r;
    int rc = CLI_RUNTIME;
    clkfac_context *ctx = cli_context(o.device, &rc);
    if (!ctx) return rc;
    const clkfac_device_info *d = clkfac_context_device(ctx);
    if (o.check) {
        clkfac_status st = clkfac_tune_db_check(ctx, o.check);
        if (st) {
            fprintf(stderr, "clkfac: %s\n", clkfac_last_error());
            clkfac_context_free(ctx);
            return CLI_RUNTIME;
        }
        printf("%s: a valid tuning database for '%s' (driver %s)\n", o.check, d->name,
               d->driver_version);
        clkfac_context_free(ctx);
        return CLI_OK;
    }

    /* the shapes: the paper's Atari network, MinAtar's and the classic-control MLP, at the
     * A2C batch (quick: 16 envs x 5 steps) or the ACKTR batch (32 x 20) */
    static shape_set s;
    memset(&s, 0, sizeof s);
    const size_t batch = o.quick ? 80 : 640;
    if (add_network(&s, "conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512", 4, 84, 84, batch, 6,
                    4096) ||
        add_network(&s, "conv:16,3,1 dense:128", 4, 10, 10, batch, 3, 4096) ||
        add_network(&s, "dense:64 dense:64", 4, 1, 1, o.quick ? 40 : 80, 2, 4096)) {
        clkfac_context_free(ctx);
        return cli_fail("describing the networks", CLKFAC_ERR_INTERNAL);
    }
    qsort(s.gemm, s.n_gemm, sizeof s.gemm[0], by_flops_desc);
    qsort(s.factors, s.n_factors, sizeof s.factors[0], by_size_desc);
    size_t first_factor = 0; /* quick: the largest factors up to 1024 (3137 takes seconds) */
    if (o.quick)
        while (first_factor < s.n_factors && s.factors[first_factor] > 1024) first_factor++;
    size_t first = 0;
    if (o.quick) {
        /* quick: skip the few multi-GFLOP products (seconds per candidate on a CPU) and keep
         * 16 shapes spread over the sizes, the largest first */
        while (first < s.n_gemm && flops(&s.gemm[first]) > 1.2e9) first++;
        const size_t avail = s.n_gemm - first, keep = 16;
        if (avail > keep) {
            for (size_t i = 0; i < keep; i++)
                s.gemm[first + i] = s.gemm[first + i * (avail - 1) / (keep - 1)];
            s.n_gemm = first + keep;
        }
    }

    clkfac_tune_options to = CLKFAC_TUNE_OPTIONS_INIT;
    to.quick = o.quick;
    to.gemm = s.gemm + first;
    to.n_gemm = s.n_gemm - first;
    to.gemv = s.gemv;
    to.n_gemv = s.n_gemv;
    to.factors = s.factors + first_factor;
    to.n_factors = s.n_factors - first_factor;
    to.gram_rows = s.gram_rows;
    to.gram_cols = s.gram_cols;
    to.reps = o.reps;
    to.progress = on_progress;
    char before[1024];
    clkfac_device_profile_text(before, sizeof before, clkfac_context_profile(ctx));
    printf("tuning '%s' (driver %s), %s; %zu GEMM shapes, %zu GEMV, %zu factor sizes\n",
           d->name, d->driver_version, o.quick ? "quick" : "full", to.n_gemm, to.n_gemv,
           to.n_factors);
    printf("profile before: %s\n", before);
    fflush(stdout);
    clkfac_tune_entry e[32];
    size_t n = 0;
    double t0 = mono_now();
    clkfac_status st = clkfac_tune_run(ctx, &to, e, 32, &n);
    if (st) {
        clkfac_context_free(ctx);
        return cli_fail("tuning", st);
    }
    printf("\n%-18s %9s %9s %7s %9s %9s %8s %6s  %s\n", "tuned", "before ms", "after ms",
           "speedup", "med. bef.", "med. aft.", "GFLOP/s", "tried", "chosen (timed on)");
    for (size_t i = 0; i < n; i++) {
        const clkfac_tune_entry *x = &e[i];
        char rate[16] = "-", mb[16] = "-", ma[16] = "-";
        if (x->gflop > 0 && x->after_s > 0) snprintf(rate, sizeof rate, "%.1f", x->gflop / x->after_s);
        if (x->before_med_s > 0) snprintf(mb, sizeof mb, "%.2f", x->before_med_s * 1e3);
        if (x->after_med_s > 0) snprintf(ma, sizeof ma, "%.2f", x->after_med_s * 1e3);
        if (x->before_s > 0 && x->after_s > 0 && x->before_s < 1e30)
            printf("%-18s %9.2f %9.2f %6.2fx %9s %9s %8s %3d/%-2d  %s (%s)\n", x->what,
                   x->before_s * 1e3, x->after_s * 1e3, x->before_s / x->after_s, mb, ma, rate,
                   x->tried - x->rejected, x->tried, x->value, x->shapes);
        else
            printf("%-18s %9s %9s %7s %9s %9s %8s %3d/%-2d  %s\n", x->what, "-", "-", "-", mb, ma,
                   rate, x->tried - x->rejected, x->tried, x->value);
    }
    printf("(before/after: sums over the shapes of the fastest of %d runs, the profile's values "
           "and the chosen ones measured in this run; med.: the same with medians; tried: "
           "candidates that ran correctly / measured)\n", o.reps ? o.reps : (o.quick ? 5 : 7));
    printf("tuning took %.0f s\n", mono_now() - t0);
    if (!o.no_save) {
        char path[1100];
        if (o.db)
            snprintf(path, sizeof path, "%s", o.db);
        else
            clkfac_tune_db_path(ctx, path, sizeof path);
        char comment[256];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char date[32];
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(comment, sizeof comment, "%s run of clkfac %s (git %s), %s",
                 o.quick ? "quick" : "full", clkfac_version(), clkfac_git_commit(), date);
        st = clkfac_tune_save(ctx, path[0] ? path : NULL, comment);
        if (st) {
            clkfac_context_free(ctx);
            return cli_fail("writing the tuning database", st);
        }
        printf("wrote %s\n", path);
    }
    char after[1024];
    printf("profile after: %s\n",
           clkfac_device_profile_text(after, sizeof after, clkfac_context_profile(ctx)));
    clkfac_context_free(ctx);
    return CLI_OK;
}
