/* n-step returns and GAE on the device against hand-computed cases (termination cuts the
 * bootstrap, truncation bootstraps from the final observation's value) and a double reference
 * on random rollouts. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdlib.h>

#include "clkfac/rl.h"
#include "harness.h"

/* double reference of both recursions */
static void ref_returns(size_t T, size_t N, double gamma, double lambda, int gae, const float *r,
                        const float *ended, const float *boot, const float *v, const float *last,
                        double *ret, double *adv)
{
    for (size_t e = 0; e < N; e++) {
        double R = last[e], next_v = last[e], next_a = 0;
        for (size_t s = T; s-- > 0;) {
            size_t i = s * N + e;
            int cut = ended[i] != 0;
            if (gae) {
                double nv = cut ? boot[i] : next_v;
                double a = r[i] + gamma * nv - v[i] + (cut ? 0 : gamma * lambda * next_a);
                ret[i] = a + v[i];
                adv[i] = a;
                next_v = v[i];
                next_a = a;
            } else {
                R = r[i] + gamma * (cut ? boot[i] : R);
                ret[i] = R;
                adv[i] = R - v[i];
            }
        }
    }
}

static void run(size_t T, size_t N, float gamma, float lambda, int gae, const float *r,
                const float *ended, const float *boot, const float *v, const float *last,
                float *ret, float *adv)
{
    clkfac_context *ctx = th_ctx();
    cl_mem dr = th_upload(r, T * N), de = th_upload(ended, T * N), db = th_upload(boot, T * N),
           dv = th_upload(v, T * N), dl = th_upload(last, N), dret = th_alloc(T * N, 0),
           dadv = th_alloc(T * N, 0);
    if (gae)
        TH_OK(clkfac_rl_gae(ctx, T, N, gamma, lambda, dr, de, db, dv, dl, dret, dadv));
    else
        TH_OK(clkfac_rl_nstep_returns(ctx, T, N, gamma, dr, de, db, dv, dl, dret, dadv));
    th_download(dret, 0, ret, T * N);
    th_download(dadv, 0, adv, T * N);
    cl_mem all[] = {dr, de, db, dv, dl, dret, dadv};
    for (int i = 0; i < 7; i++) clkfac_buffer_free(all[i]);
}

static void test_hand_computed_nstep(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    /* one env, 4 steps, gamma 0.5: terminated at t=1, truncated at t=3 (final obs value 8) */
    const float r[4] = {1, 2, 3, 4}, ended[4] = {0, 1, 0, 1}, boot[4] = {0, 0, 0, 8};
    const float v[4] = {0.5f, 0.25f, 1, 2}, last[1] = {100};
    float ret[4], adv[4];
    run(4, 1, 0.5f, 0, 0, r, ended, boot, v, last, ret, adv);
    /* R3 = 4 + .5*8 = 8 (truncation: bootstrap from the final obs, not from last)
     * R2 = 3 + .5*R3 = 7; R1 = 2 (terminated: no bootstrap); R0 = 1 + .5*2 = 2 */
    const double want[4] = {2, 2, 7, 8};
    th_assert_close(ret, want, 4, 1e-6, 0, "n-step returns");
    const double wadv[4] = {1.5, 1.75, 6, 6};
    th_assert_close(adv, wadv, 4, 1e-6, 0, "n-step advantages");
    /* no episode end: bootstraps from last */
    const float none[4] = {0, 0, 0, 0};
    run(4, 1, 0.5f, 0, 0, r, none, none, v, last, ret, adv);
    const double w2[4] = {1 + .5 * (2 + .5 * (3 + .5 * (4 + .5 * 100))),
                          2 + .5 * (3 + .5 * (4 + .5 * 100)), 3 + .5 * (4 + .5 * 100),
                          4 + .5 * 100};
    th_assert_close(ret, w2, 4, 1e-4, 1e-6, "n-step returns without ends");
}

static void test_hand_computed_gae(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const float r[3] = {1, 0, 2}, ended[3] = {0, 0, 1}, boot[3] = {0, 0, 0};
    const float v[3] = {1, 2, 3}, last[1] = {50};
    float ret[3], adv[3];
    run(3, 1, 0.9f, 0.5f, 1, r, ended, boot, v, last, ret, adv);
    double d2 = 2 - 3.0;               /* terminated: no next value */
    double d1 = 0 + 0.9 * 3 - 2;
    double d0 = 1 + 0.9 * 2 - 1;
    double a2 = d2, a1 = d1 + 0.45 * a2, a0 = d0 + 0.45 * a1;
    const double want[3] = {a0, a1, a2};
    th_assert_close(adv, want, 3, 1e-6, 1e-6, "GAE advantages");
    const double wret[3] = {a0 + 1, a1 + 2, a2 + 3};
    th_assert_close(ret, wret, 3, 1e-6, 1e-6, "GAE returns");
}

static void test_random_rollouts_vs_reference(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    th_rng rng = {3};
    const size_t shapes[][2] = {{1, 1}, {5, 16}, {20, 32}, {7, 33}, {128, 8}};
    for (size_t si = 0; si < 5; si++) {
        size_t T = shapes[si][0], N = shapes[si][1], M = T * N;
        float *r = malloc(M * 4), *ended = malloc(M * 4), *boot = malloc(M * 4), *v = malloc(M * 4),
              *last = malloc(N * 4), *ret = malloc(M * 4), *adv = malloc(M * 4);
        double *rr = malloc(M * 8), *ra = malloc(M * 8);
        th_fill_normal(&rng, r, M, 1);
        th_fill_normal(&rng, v, M, 1);
        th_fill_normal(&rng, last, N, 1);
        for (size_t i = 0; i < M; i++) {
            double u = th_uniform(&rng);
            ended[i] = u < 0.1 ? 1.0f : 0.0f;                        /* ended */
            boot[i] = (u < 0.05) ? (float)th_normal(&rng) : 0.0f;    /* truncated half the time */
        }
        for (int gae = 0; gae <= 1; gae++) {
            run(T, N, 0.99f, 0.95f, gae, r, ended, boot, v, last, ret, adv);
            ref_returns(T, N, 0.99, 0.95, gae, r, ended, boot, v, last, rr, ra);
            th_assert_close(ret, rr, M, 1e-4, 1e-4, gae ? "GAE returns" : "n-step returns");
            th_assert_close(adv, ra, M, 1e-4, 1e-4, gae ? "GAE adv" : "n-step adv");
        }
        free(r); free(ended); free(boot); free(v); free(last); free(ret); free(adv); free(rr); free(ra);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    cl_mem m = th_alloc(4, 0);
    assert_int_equal(clkfac_rl_gae(th_ctx(), 2, 2, 1.5f, 0.9f, m, m, m, m, m, m, m),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_rl_gae(th_ctx(), 0, 2, 0.9f, 0.9f, m, m, m, m, m, m, m),
                     CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_nstep),
        cmocka_unit_test(test_hand_computed_gae),
        cmocka_unit_test(test_random_rollouts_vs_reference),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
