/* `clkfac report DIR [DIR2 ..]`: option parsing around clkfac_report_write (clkfac/report.h),
 * which turns the run folders of benchmark suites into tables, learning-curve and step-cost
 * plots and an index page. Exit 2 for a missing DIR, no runs or malformed input (file:line
 * named), 1 when writing fails. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clkfac report DIR [DIR2 ..] [--out DIR/report] [--data DATA_DIR]\n"
            "                     [--window 100]\n"
            "\n"
            "Reads the runs of a benchmark suite and writes tables and plots:\n"
            "  DIR/runs/<algo>__<env>__seed<k>/episodes.csv  timestep,episode,return,length\n"
            "  DIR/runs/<algo>__<env>__seed<k>/summary.json  algo, env, seed, wall_seconds\n"
            "  DIR/step/step_cost.csv (optional)  algo,net,batch,phase,median_ms,\n"
            "                                     timesteps_per_second\n"
            "into DIR/report/: results.{md,csv,json} (final return with a 95%% bootstrap\n"
            "interval over seeds, episodes and timesteps to the solved threshold, AUC, wall\n"
            "time), curves_<env>.png, step-cost plots, published numbers beside ours, and\n"
            "index.md linking all of them. Several folders (suites run in parallel or on\n"
            "other machines) are reported together: their runs are merged, a run (algorithm,\n"
            "environment, seed) found twice is taken from the first folder, the step data\n"
            "and the default --out come from the first folder that has them.\n"
            "  --data DIR   where thresholds.csv and published.csv are (default: the source\n"
            "               tree's data/ found from $CLKFAC_DATA_DIR, $CLKFAC_SOURCE_DIR or the\n"
            "               program's location; built-in thresholds otherwise)\n"
            "  --window K   episodes in the rolling mean (default 100)\n");
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void print_warning(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "clkfac: report: warning: %s\n", message);
}

int cli_report_run(const clkfac_report_options *o)
{
    clkfac_report_info info;
    clkfac_status st = clkfac_report_write(&info, o);
    if (st) {
        fprintf(stderr, "clkfac: report: %s\n", clkfac_last_error());
        return app_exit_code(st);
    }
    printf("report: %zu runs, %zu environment%s -> %s/index.md\n", info.runs, info.environments,
           info.environments == 1 ? "" : "s", info.out);
    return CLI_OK;
}

int cmd_report(int argc, char **argv)
{
    clkfac_report_options o = CLKFAC_REPORT_OPTIONS_INIT;
    const char *dirs[CLKFAC_REPORT_MAX_DIRS];
    o.dirs = dirs;
    o.warn = print_warning;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long n;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        }
        if ((r = cli_opt(argc, argv, &i, "--out", &v))) {
            if (r < 0) return CLI_USAGE;
            o.out = v;
        } else if ((r = cli_opt(argc, argv, &i, "--data", &v))) {
            if (r < 0) return CLI_USAGE;
            if (!is_dir(v)) return cli_usage_error("report: --data %s: not a folder", v);
            o.data_dir = v;
        } else if ((r = cli_opt(argc, argv, &i, "--window", &v))) {
            if (r < 0 || cli_parse_long("--window", v, 1, 100000, &n)) return CLI_USAGE;
            o.window = (size_t)n;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("report: unknown option '%s' (see --help)", argv[i]);
        } else if (o.n_dirs == CLKFAC_REPORT_MAX_DIRS) {
            return cli_usage_error("report: more than %d folders ('%s')", CLKFAC_REPORT_MAX_DIRS,
                                   argv[i]);
        } else {
            dirs[o.n_dirs++] = argv[i];
        }
    }
    if (!o.n_dirs) {
        usage(stderr);
        return CLI_USAGE;
    }
    return cli_report_run(&o);
}
