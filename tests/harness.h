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
/* Options the next th_group_setup creates its context with (NULL: defaults); a program that
 * runs its group once per engine sets them before each run. */
void th_set_context_options(const clkfac_context_options *o);
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
/* NaN/Inf must agree elementwise (same class and sign); over the finite pairs the normalized
 * error must be <= tol (tol 0: exactly equal). Fails naming `what`; returns the error. */
double th_assert_nrm(const float *got, const double *ref, size_t n, double tol, const char *what);

/* Fails when any of the count floats at off in m is not `sentinel` (a write outside a result). */
void th_check_sentinels(cl_mem m, size_t off, size_t count, float sentinel, const char *what);
/* A malloc'd double copy of n floats (never NULL). */
double *th_to_double(const float *x, size_t n);
/* max |x_i| (0 for n = 0). */
double th_max_abs(const double *x, size_t n);
/* malloc that fails the test instead of returning NULL. */
void *th_malloc(size_t bytes);

#endif
