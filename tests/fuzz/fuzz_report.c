/* libFuzzer harness: `clkfac report` on a suite folder built from the input, every data file it
 * reads being fuzzed at once: runs/<run>/episodes.csv and summary.json, step/step_cost.csv, and
 * the --data folder's thresholds.csv and published.csv. Input: those five files in that order,
 * separated by the separator line (missing parts: the file is absent). The report (tables,
 * plots) is written to a scratch folder and must either succeed or fail with a message. */
#include <stdio.h>
#include <stdlib.h>

#include "clkfac/report.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *user, const char *message)
{
    (void)user;
    (void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[5] = {
        "suite/runs/a2c__CartPole-v1__seed1/episodes.csv",
        "suite/runs/a2c__CartPole-v1__seed1/summary.json", "suite/step/step_cost.csv",
        "data/thresholds.csv", "data/published.csv"};
    for (int k = 0; k < 5; k++) {
        const uint8_t *p;
        size_t n;
        if (fuzz_part(data, size, k, &p, &n)) fuzz_put(k & 3, files[k], p, n);
        else fuzz_remove(files[k]);
    }
    char suite[600], out[600], dataset[600];
    snprintf(suite, sizeof suite, "%s/suite", fuzz_dir());
    snprintf(out, sizeof out, "%s/report", fuzz_dir());
    snprintf(dataset, sizeof dataset, "%s/data", fuzz_dir());
    const char *dirs[1] = {suite};
    clkfac_report_options o = CLKFAC_REPORT_OPTIONS_INIT;
    o.dirs = dirs;
    o.n_dirs = 1;
    o.out = out;
    o.data_dir = dataset;
    o.warn = quiet;
    clkfac_report_info info;
    clkfac_status st = clkfac_report_write(&info, &o);
    if (st != CLKFAC_OK && !*clkfac_last_error()) abort(); /* a failure always says why */
    return 0;
}
