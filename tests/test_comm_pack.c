/* Packed upper triangles of symmetric K-FAC factors (clkfac_kfac_pack_upper / _unpack_upper,
 * what data-parallel ACKTR sends between ranks) against a CPU reference over many sizes and
 * offsets: packing copies the upper triangle row by row (exactly), unpacking writes alpha times
 * it into both triangles (a float product, exactly alpha * value rounded once, which the double
 * reference gives), nothing outside the ranges is touched, and bad sizes fail naming them. */
/* ctest-labels: unit device */
#include <stdlib.h>
#include <string.h>

#include "clkfac/kfac.h"
#include "harness.h"

static void test_pack_unpack_sizes(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    static const size_t sizes[] = {1,  2,  3,  4,  5,  7,  8,  9,  15, 16,  17,  31,  32,
                                   33, 47, 63, 64, 65, 100, 127, 128, 129, 200, 255, 257};
    th_rng rng = {99};
    const float sentinel = -12345.0f;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t d = sizes[k], np = clkfac_kfac_packed_size(d);
        assert_int_equal(np, d * (d + 1) / 2);
        size_t s_off = (size_t)(th_uniform(&rng) * 17), p_off = (size_t)(th_uniform(&rng) * 13);
        float *s = th_malloc((s_off + d * d + 8) * sizeof *s);
        for (size_t i = 0; i < s_off + d * d + 8; i++) s[i] = sentinel;
        th_fill_normal(&rng, s + s_off, d * d, 1.0f); /* not symmetric: the lower half is unused */
        cl_mem sb = th_upload(s, s_off + d * d + 8);
        cl_mem pb = th_alloc(p_off + np + 8, sentinel);
        TH_OK(clkfac_kfac_pack_upper(ctx, d, sb, s_off, pb, p_off));
        float *p = th_malloc((np + 1) * sizeof *p);
        th_download(pb, p_off, p, np);
        size_t at = 0; /* the reference order: row i, columns i..d-1 */
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++, at++)
                if (p[at] != s[s_off + i * d + j])
                    fail_msg("d %zu: packed[%zu] = %g, expected s(%zu, %zu) = %g", d, at,
                             (double)p[at], i, j, (double)s[s_off + i * d + j]);
        th_check_sentinels(pb, 0, p_off, sentinel, "before the packed range");
        th_check_sentinels(pb, p_off + np, 8, sentinel, "after the packed range");

        /* unpack with a scale into another buffer: both triangles alpha * upper */
        float alpha = (float)(0.25 + th_uniform(&rng));
        cl_mem ub = th_alloc(s_off + d * d + 8, sentinel);
        TH_OK(clkfac_kfac_unpack_upper(ctx, d, alpha, pb, p_off, ub, s_off));
        float *u = th_malloc(d * d * sizeof *u);
        th_download(ub, s_off, u, d * d);
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                size_t lo = i < j ? i : j, hi = i < j ? j : i;
                float ref = (float)((double)alpha * (double)s[s_off + lo * d + hi]);
                if (u[i * d + j] != ref)
                    fail_msg("d %zu: unpacked (%zu, %zu) = %.9g, expected %.9g", d, i, j,
                             (double)u[i * d + j], (double)ref);
            }
        th_check_sentinels(ub, 0, s_off, sentinel, "before the unpacked range");
        th_check_sentinels(ub, s_off + d * d, 8, sentinel, "after the unpacked range");

        /* a symmetric matrix survives pack + unpack(1) bit for bit */
        TH_OK(clkfac_kfac_pack_upper(ctx, d, ub, s_off, pb, p_off));
        TH_OK(clkfac_kfac_unpack_upper(ctx, d, 1.0f, pb, p_off, sb, s_off));
        float *back = th_malloc(d * d * sizeof *back);
        th_download(sb, s_off, back, d * d);
        assert_memory_equal(back, u, d * d * sizeof *u);
        free(back);
        free(u);
        free(p);
        free(s);
        clkfac_buffer_free(sb);
        clkfac_buffer_free(pb);
        clkfac_buffer_free(ub);
    }
}

static void test_pack_bad_input(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    cl_mem b = th_alloc(16, 0.0f);
    assert_int_equal(clkfac_kfac_pack_upper(ctx, 0, b, 0, b, 0), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "d 0"));
    assert_non_null(strstr(clkfac_last_error(), "expected d >= 1"));
    assert_int_equal(clkfac_kfac_unpack_upper(ctx, 3, 1.0f, NULL, 0, b, 0), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "missing"));
    assert_int_equal(clkfac_kfac_packed_size(0), 0);
    clkfac_buffer_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_unpack_sizes),
        cmocka_unit_test(test_pack_bad_input),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
