/* clkfac/linalg.h — dense linear algebra on the device as exposed to programs built on clkfac
 * (benchmarks, the algorithms): GEMM through the same CLBlast module the library uses, so the
 * per-device kernel parameters apply. Row-major float32, element offsets. */
#ifndef CLKFAC_LINALG_H
#define CLKFAC_LINALG_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C (m, n) = alpha * op(A) op(B) + beta * C; trans_a/trans_b: 0 = as stored, 1 = transposed. */
clkfac_status clkfac_linalg_gemm(clkfac_context *ctx, int trans_a, int trans_b, size_t m,
                                 size_t n, size_t k, float alpha, cl_mem a, size_t a_off,
                                 size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
                                 cl_mem c, size_t c_off, size_t ldc);

/* The CLBlast Xgemm parameters in force on this context ("default" or "NAME=value,..."), for
 * provenance in benchmark output. Borrowed, valid while ctx lives. */
const char *clkfac_linalg_tuning(clkfac_context *ctx);

#ifdef __cplusplus
}
#endif
#endif
