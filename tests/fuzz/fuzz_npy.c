/* libFuzzer harness: the .npy reader (clkfac_npy_read) on arbitrary file contents; every float
 * of an accepted file must be readable, and it must survive a write + read round trip. */
#include <stdlib.h>
#include <string.h>

#include "clkfac/clkfac.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_put(0, "in.npy", data, size);
    clkfac_array a;
    if (clkfac_npy_read(&a, path) != CLKFAC_OK) return 0;
    size_t n = clkfac_array_size(&a);
    volatile float sink = 0;
    for (size_t i = 0; i < n; i++) sink += a.data[i]; /* every element is readable */
    /* the round trip on one input in 8 (the writer fsyncs, which would dominate the rate) */
    const char *out = fuzz_put(1, "out.npy", NULL, 0);
    if (size % 8 == 0 && clkfac_npy_write(out, a.data, a.ndim, a.shape) == CLKFAC_OK) {
        clkfac_array b;
        if (clkfac_npy_read(&b, out) != CLKFAC_OK || b.ndim != a.ndim ||
            memcmp(b.data, a.data, n * sizeof(float)) != 0)
            abort(); /* what we write we must read back identically */
        clkfac_array_free(&b);
    }
    clkfac_array_free(&a);
    (void)sink;
    return 0;
}
