/* Shared test support: one device context per test program (skipped with a printed reason when
 * no OpenCL device exists), seeded random data, device upload/download, and comparisons against
 * double-precision references with NaN/Inf agreement. */
#ifndef CLKFAC_TEST_HARNESS_H
#define CLKFAC_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clkfac/clkfac.h"

/* The context shared by a test program; NULL when no device (th_require_device skips then). */
clkfac_context *th_ctx(void);
/* cmocka group setup/teardown creating/freeing th_ctx(); setup never fails, so tests that need
 * no device still run. */
int th_group_setup(void **state);
int th_group_teardown(void **state);
/* Skips the current test with a printed reason when no device is available. */
#define TH_REQUIRE_DEVICE()                                                                     \
    do {                                                                                        \
        if (!th_ctx()) {                                                                        \
            print_message("SKIP %s: no OpenCL device (%s)\n", __func__, th_no_device_reason()); \
            skip();                                                                             \
        }                                                                                       \
    } while (0)
const char *th_no_device_reason(void);

/* Fails the test with clkfac's last error when st != CLKFAC_OK. */
#define TH_OK(expr) th_ok_impl((expr), #expr, __FILE__, __LINE__)
void th_ok_impl(clkfac_status st, const char *expr, const char *file, int line);

/* Deterministic RNG (splitmix64). */
typedef struct th_rng { uint64_t s; } th_rng;
uint64_t th_next(th_rng *r);
double th_uniform(th_rng *r);                 /* [0, 1) */
double th_normal(th_rng *r);
void th_fill_normal(th_rng *r, float *x, size_t n, float scale);

/* Device helpers (fail the test on error). */
cl_mem th_upload(const float *x, size_t n);
cl_mem th_alloc(size_t n, float fill);        /* filled with `fill` */
void th_download(cl_mem m, size_t off, float *x, size_t n);

/* |got - ref| <= atol + rtol*|ref| elementwise, NaN/Inf must agree; fails with the worst index.
 * Returns the max abs error. */
double th_assert_close(const float *got, const double *ref, size_t n, double atol, double rtol,
                       const char *what);
/* Normalized error sum (a-b)^2 / sum b^2 (0 when both are zero). */
double th_nrm_err(const float *got, const double *ref, size_t n);

#endif
