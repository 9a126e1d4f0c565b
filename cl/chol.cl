/* Kernels for the blocked Cholesky inverse and the damping around it: loading S + gamma*I with a
 * finiteness check, the diagonal-block factorization and inversion (one work-group per block),
 * strided copies, traces and the factored-Tikhonov shifts, and the eigen-damping divide.
 * health: [0] sticky flags (1 = non-finite, 2 = not SPD), [1] failing column, [2] guard. */

/* Work-group size of the block factorization and the trace reduction (a power of two, for the
 * reduction tree). The host reads it back from the kernel (CL_KERNEL_COMPILE_WORK_GROUP_SIZE), so
 * it can be overridden without touching the host code. */
#ifndef CHOL_WG
#define CHOL_WG CLKFAC_WG
#endif

/* w (n, n) = lower triangle of s + gamma_scale * gamma[g_off] * I, upper triangle zeroed so that
 * the factor later read as a full matrix is exactly L. Any non-finite entry of s (either
 * triangle) or gamma raises NONFINITE and is stored as 0, keeping the rest of the factorization
 * free of NaN while its result is discarded by the guard. */
__kernel void chol_load(const uint n, __global const float *s, const uint s_off,
                        __global const float *gamma, const uint g_off, const float gamma_scale,
                        __global float *w, __global volatile uint *health)
{
    uint c = get_global_id(0), r = get_global_id(1);
    if (r >= n || c >= n) return;
    float v = s[s_off + r * n + c];
    if (r == c) {
        float g = gamma_scale * gamma[g_off];
        if (!isfinite(g)) {
            health_fail(health, HEALTH_NONFINITE);
            g = 0.0f;
        }
        v += g;
    }
    if (!isfinite(v)) {
        health_fail(health, HEALTH_NONFINITE);
        v = 0.0f;
    }
    w[r * n + c] = c <= r ? v : 0.0f;
}

/* In-place lower Cholesky L11 of the b x b diagonal block at a[a_off] (leading dim lda), and its
 * inverse L11^-1 (lower, zeros above) at inv[inv_off] (leading dim ldi), which the host uses for
 * the panel and for assembling L^-1 with GEMMs. Staged in local memory t (at least b rows of ldt
 * floats; ldt = b + 1 avoids bank conflicts on column walks). col0 is the block's first global
 * column, reported on failure. When the guard is already set, or a pivot is <= 0 or not finite,
 * both blocks become the identity: the later GEMM/SYRK calls then stay finite, and the guard
 * keeps their result from ever being copied out. */
__kernel __attribute__((reqd_work_group_size(CHOL_WG, 1, 1)))
void chol_potrf_block(const uint b, __global float *a, const uint a_off, const uint lda,
                      const uint col0, __global float *inv, const uint inv_off, const uint ldi,
                      __local float *t, const uint ldt, __global volatile uint *health)
{
    __local int bad; /* -1 fine, -2 guard was set on entry, j >= 0 failing pivot */
    const uint lid = get_local_id(0);
    if (lid == 0) bad = health[HEALTH_GUARD] != 0u ? -2 : -1;
    for (uint idx = lid; idx < b * b; idx += CHOL_WG) {
        uint r = idx / b, c = idx - r * b;
        t[r * ldt + c] = c <= r ? a[a_off + r * lda + c] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    for (uint j = 0; j < b; j++) {
        if (lid == 0 && bad == -1) {
            float d = t[j * ldt + j];
            if (!(d > 0.0f) || isinf(d))
                bad = (int)j;
            else
                t[j * ldt + j] = sqrt(d);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int ok = bad == -1;
        if (ok) {
            const float inv = 1.0f / t[j * ldt + j];
            for (uint i = j + 1 + lid; i < b; i += CHOL_WG) t[i * ldt + j] *= inv;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (ok) {
            /* rank-1 update of the trailing lower triangle, flattened so that all work-items
             * stay busy down to the last columns */
            const uint m = b - j - 1;
            for (uint idx = lid; idx < m * m; idx += CHOL_WG) {
                uint r = idx / m, c = idx - r * m;
                if (c > r) continue;
                r += j + 1;
                c += j + 1;
                t[r * ldt + c] -= t[r * ldt + j] * t[c * ldt + j];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (bad >= 0 && lid == 0) {
        atomic_or(&health[HEALTH_FLAGS], HEALTH_NOT_SPD);
        atomic_xchg(&health[HEALTH_DETAIL], col0 + (uint)bad);
        atomic_or(&health[HEALTH_GUARD], 1u);
    }
    for (uint idx = lid; idx < b * b; idx += CHOL_WG) {
        uint r = idx / b, c = idx - r * b;
        float v = bad == -1 ? (c <= r ? t[r * ldt + c] : 0.0f) : (r == c ? 1.0f : 0.0f);
        a[a_off + r * lda + c] = v;
        if (bad != -1) inv[inv_off + r * ldi + c] = v;
    }
    if (bad != -1) return;
    /* inv = L11^-1 by forward substitution, one column per work-item; a work-item reads back
     * only what it wrote itself, so no barrier is needed */
    for (uint j = lid; j < b; j += CHOL_WG) {
        for (uint i = 0; i < j; i++) inv[inv_off + i * ldi + j] = 0.0f;
        for (uint i = j; i < b; i++) {
            float v = i == j ? 1.0f : 0.0f;
            for (uint k = j; k < i; k++) v -= t[i * ldt + k] * inv[inv_off + k * ldi + j];
            inv[inv_off + i * ldi + j] = v / t[i * ldt + i];
        }
    }
}

/* dst (rows, cols) = src (rows, cols), both strided (leading dims lds, ldd). */
__kernel void chol_copy_block(const uint rows, const uint cols, __global const float *src,
                              const uint src_off, const uint lds, __global float *dst,
                              const uint dst_off, const uint ldd)
{
    uint c = get_global_id(0), r = get_global_id(1);
    if (r >= rows || c >= cols) return;
    dst[dst_off + r * ldd + c] = src[src_off + r * lds + c];
}

/* out[out_off] = trace of a (n, n); one work-group. */
__kernel __attribute__((reqd_work_group_size(CHOL_WG, 1, 1)))
void chol_trace(const uint n, __global const float *a, const uint a_off,
                __global float *out, const uint out_off)
{
    __local float part[CHOL_WG];
    const uint lid = get_local_id(0);
    float acc = 0.0f;
    for (uint i = lid; i < n; i += CHOL_WG) acc += a[a_off + i * n + i];
    acc = wg_sum(part, acc, CHOL_WG);
    if (lid == 0) out[out_off] = acc;
}

/* From sc[0] = tr A, sc[1] = tr G (K-FAC sec. 6.3):
 *   pi = sqrt((tr A / da) / (tr G / dg)), sc[2] = pi * sqrt_lambda, sc[3] = sqrt_lambda / pi,
 *   sc[4] = pi.
 * A pi that is not finite and positive (tr G = 0, a NaN trace, a negative ratio) raises NONFINITE
 * and leaves zero shifts, so the factorizations run on finite data and get discarded. */
__kernel void chol_tikhonov_shifts(__global float *sc, const uint sc_off, const float da,
                                   const float dg, const float sqrt_lambda,
                                   __global volatile uint *health)
{
    if (get_global_id(0) != 0) return;
    float tra = sc[sc_off + TIK_TRA], trg = sc[sc_off + TIK_TRG];
    float pi = sqrt((tra / da) / (trg / dg));
    if (!isfinite(pi) || !(pi > 0.0f)) {
        /* finite traces that are not > 0 (an all-zero factor) leave pi undefined: not a NaN
         * input but a factor that is not positive definite */
        int degenerate = isfinite(tra) && isfinite(trg) && (!(tra > 0.0f) || !(trg > 0.0f));
        if (degenerate) atomic_xchg(&health[HEALTH_DETAIL], HEALTH_DETAIL_TRACE);
        health_fail(health, degenerate ? HEALTH_NOT_SPD : HEALTH_NONFINITE);
        /* shift 1 keeps the (unwritten) factorizations from failing over this detail */
        sc[sc_off + TIK_GAMMA_A] = degenerate ? 1.0f : 0.0f;
        sc[sc_off + TIK_GAMMA_G] = degenerate ? 1.0f : 0.0f;
        sc[sc_off + TIK_PI] = 0.0f;
        return;
    }
    sc[sc_off + TIK_GAMMA_A] = pi * sqrt_lambda;
    sc[sc_off + TIK_GAMMA_G] = sqrt_lambda / pi;
    sc[sc_off + TIK_PI] = pi;
}

/* x (rows, cols) ./= (dr dc^T + lambda), dr (rows), dc (cols). A quotient that is not finite
 * (NaN/Inf in the gradient or the eigenbasis, or a zero denominator) raises NONFINITE so the
 * guarded copy at the end of the preconditioning writes nothing. */
__kernel void chol_eig_divide(const uint rows, const uint cols, __global float *x,
                              __global const float *dr, const uint dr_off,
                              __global const float *dc, const uint dc_off, const float lambda,
                              __global volatile uint *health)
{
    uint c = get_global_id(0), r = get_global_id(1);
    if (r >= rows || c >= cols) return;
    float q = x[r * cols + c] / (dr[dr_off + r] * dc[dc_off + c] + lambda);
    if (!isfinite(q)) {
        health_fail(health, HEALTH_NONFINITE);
        q = 0.0f;
    }
    x[r * cols + c] = q;
}
