/* libFuzzer harness: a saved policy (runs_policy_load: policy.txt then policy.npy of a run
 * folder), the files `clkfac env eval/show --policy RUN_DIR` trusts. Input: policy.txt, the
 * separator line, policy.npy. */
#include <math.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "report/runs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *txt, *npy;
    size_t ntxt, nnpy;
    fuzz_part(data, size, 0, &txt, &ntxt);
    int have_npy = fuzz_part(data, size, 1, &npy, &nnpy);
    fuzz_put(0, "run/policy.txt", txt, ntxt);
    if (have_npy) fuzz_put(1, "run/policy.npy", npy, nnpy);
    else fuzz_remove("run/policy.npy");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/run", fuzz_dir());
    runs_policy p;
    if (runs_policy_load(&p, dir) == CLKFAC_OK) {
        for (size_t i = 0; i < p.n_params; i++)
            if (!isfinite(p.params[i])) abort(); /* the loader refuses non-finite parameters */
        free(p.params);
    }
    return 0;
}
