/* libFuzzer harness: a run folder as `bench sample` resumes it and `clkfac report` reads it:
 * summary.json (runs_summary_read), episodes.csv (runs_episodes_read) and the cross-checks of a
 * finished run (runs_verify, which also opens policy.txt / policy.npy). Input: summary.json,
 * the separator line, episodes.csv. */
#include <math.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "report/runs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *js, *csv;
    size_t njs, ncsv;
    fuzz_part(data, size, 0, &js, &njs);
    int have_csv = fuzz_part(data, size, 1, &csv, &ncsv);
    const char *sp = fuzz_put(0, "run/summary.json", js, njs);
    const char *ep = have_csv ? fuzz_put(1, "run/episodes.csv", csv, ncsv) : NULL;
    if (!have_csv) fuzz_remove("run/episodes.csv");
    runs_summary sm;
    int rs = runs_summary_read(&sm, sp);
    if (ep) {
        runs_episodes e;
        if (runs_episodes_read(&e, ep) == 0) {
            for (size_t i = 1; i < e.n; i++)
                if (!(e.t[i] >= e.t[i - 1])) abort(); /* sorted, timesteps never decrease */
            for (size_t i = 0; i < e.n; i++)
                if (!isfinite(e.r[i]) || !isfinite(e.t[i])) abort();
            runs_episodes_free(&e);
        }
    }
    if (rs == 0) {
        char dir[600], why[1024];
        snprintf(dir, sizeof dir, "%s/run", fuzz_dir());
        (void)runs_verify(dir, &sm, why, sizeof why);
    }
    return 0;
}
