/* The agent's option table (clkfac/agent.h): zero means default with the same defaults the
 * positional _INIT held before, a 0 marked given stays 0, resolving is idempotent, the table
 * describes every field of the struct once, and the options as text list what an algorithm
 * reads. No device needed. */
/* ctest-labels: unit */
#include <stddef.h>
#include <string.h>

#include "harness.h"

static clkfac_agent_options resolved(clkfac_algo algo)
{
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT, r;
    o.algo = algo;
    TH_OK(clkfac_agent_options_resolve(&r, &o));
    return r;
}

/* The values of the version-1 CLKFAC_AGENT_OPTIONS_INIT, written out by hand. */
static void test_defaults_are_the_old_init(void **state)
{
    (void)state;
    clkfac_agent_options o = resolved(CLKFAC_ALGO_A2C);
    assert_int_equal(o.version, CLKFAC_AGENT_OPTIONS_VERSION);
    assert_int_equal(o.algo, CLKFAC_ALGO_A2C);
    assert_int_equal(o.n_steps, 5);
    assert_null(o.net);
    assert_null(o.activation);
    assert_int_equal(o.shared, 1);
    assert_true(o.lr == 7e-4f);
    assert_int_equal(o.schedule, CLKFAC_LR_LINEAR);
    assert_int_equal(o.total_steps, 0);
    assert_true(o.gamma == 0.99f && o.ent_coef == 0.01f && o.vf_coef == 0.5f);
    assert_true(o.max_grad_norm == 0.5f && o.rms_decay == 0.99f && o.rms_eps == 1e-5f);
    assert_true(o.rms_init == 1.0f);
    assert_int_equal(o.seed, 0);
    assert_int_equal(o.sync_timing, 0);
    assert_true(o.kl_clip == 0.001f && o.kfac_damping == 0.01f && o.stats_decay == 0.99f);
    assert_int_equal(o.inv_every, 10);
    assert_true(o.momentum == 0.9f && o.gae_lambda == 0.98f && o.max_kl == 0.01f);
    assert_true(o.cg_damping == 0.1f);
    assert_int_equal(o.cg_iters, 10);
    assert_int_equal(o.vf_iters, 5);
    assert_true(o.vf_lr == 1e-3f);
    assert_int_equal(o.fvp_subsample, 5);
    assert_int_equal(o.measure_kl, 0);
    assert_int_equal(o.stats_every, 1);
    assert_int_equal(o.cold_steps, 1);
    assert_int_equal(o.critic_euclidean, 0);
    assert_int_equal(o.kfac_eigen, 0);
    assert_true(o.weight_decay == 0.0f && o.kl_target == 0.0f);
    /* ACKTR's lr is the trust-region step size: the reference 0.25 */
    assert_true(resolved(CLKFAC_ALGO_ACKTR).lr == 0.25f);
    assert_true(resolved(CLKFAC_ALGO_TRPO).lr == 7e-4f);
    /* NULL: all defaults */
    clkfac_agent_options n;
    TH_OK(clkfac_agent_options_resolve(&n, NULL));
    assert_memory_equal(&n, &o, sizeof o);
}

static void test_given_zero_stays_zero(void **state)
{
    (void)state;
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT, r;
    o.ent_coef = 0.0f; /* plain 0: the default */
    CLKFAC_AGENT_SET(&o, momentum, 0.0f);
    CLKFAC_AGENT_SET(&o, shared, 0);
    CLKFAC_AGENT_SET(&o, schedule, CLKFAC_LR_CONSTANT);
    CLKFAC_AGENT_SET(&o, gamma, 0.5f); /* given and not 0: as is */
    o.lr = 3e-3f;                     /* not 0: as is without the bit */
    TH_OK(clkfac_agent_options_resolve(&r, &o));
    assert_true(r.ent_coef == 0.01f);
    assert_true(r.momentum == 0.0f);
    assert_int_equal(r.shared, 0);
    assert_int_equal(r.schedule, CLKFAC_LR_CONSTANT);
    assert_true(r.gamma == 0.5f && r.lr == 3e-3f);
    /* idempotent: a resolved struct resolves to itself (its zeros are marked given) */
    clkfac_agent_options again;
    TH_OK(clkfac_agent_options_resolve(&again, &r));
    assert_memory_equal(&again, &r, sizeof r);
    assert_true(again.momentum == 0.0f);
    /* in place */
    TH_OK(clkfac_agent_options_resolve(&o, &o));
    assert_memory_equal(&o, &r, sizeof r);
}

static void test_other_version_refused(void **state)
{
    (void)state;
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT, r;
    o.version = 1;
    assert_int_equal(clkfac_agent_options_resolve(&r, &o), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "version 1"));
}

/* Every byte of the struct after version and given belongs to exactly one row, in order; the
 * names and flags are unique; every default lies in its row's range; an enum's range is its
 * choices. */
static void test_table_describes_every_field_once(void **state)
{
    (void)state;
    size_t n = 0;
    const clkfac_option *t = clkfac_agent_option_table(&n);
    assert_int_equal(n, CLKFAC_AGENT_OPTION_COUNT);
    size_t end = offsetof(clkfac_agent_options, given) + sizeof(uint64_t);
    for (size_t k = 0; k < n; k++) {
        const clkfac_option *d = &t[k];
        if (d->offset < end) fail_msg("row %s overlaps the row before it", d->name);
        end = d->offset + d->size;
        assert_non_null(d->help);
        assert_true(d->algos != 0 && (d->algos & ~CLKFAC_OPTION_FOR_ALL) == 0);
        for (size_t j = 0; j < k; j++) {
            if (!strcmp(d->name, t[j].name)) fail_msg("name %s twice", d->name);
            if (d->flag && t[j].flag && !strcmp(d->flag, t[j].flag))
                fail_msg("flag %s twice", d->flag);
        }
        if (d->flag) assert_true(!strncmp(d->flag, "--", 2));
        if (d->type == CLKFAC_OPTION_ENUM) {
            int c = 0;
            while (d->choices && d->choices[c]) c++;
            if (c < 2 || d->lo != 0 || d->hi != c - 1) fail_msg("enum %s: range is not its choices", d->name);
        }
        for (int a = 0; a < 3 && d->type != CLKFAC_OPTION_STRING; a++)
            if (d->def[a] < d->lo || d->def[a] > d->hi)
                fail_msg("%s: default %g outside [%g, %g]", d->name, d->def[a], d->lo, d->hi);
    }
    /* padding aside, nothing after the last row */
    assert_true(sizeof(clkfac_agent_options) - end < sizeof(void *));
    assert_string_equal(t[0].name, "algo"); /* resolved first: it picks the others' defaults */
}

static void test_text_lists_the_algorithms_options(void **state)
{
    (void)state;
    char buf[4096];
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_ACKTR;
    CLKFAC_AGENT_SET(&o, ent_coef, 0.0f);
    TH_OK(clkfac_agent_options_text(buf, sizeof buf, &o, 0));
    const char *has[] = {"algo=acktr ", "lr=0.25 ", "ent_coef=0 ", "kl_clip=0.001 ",
                         "net=auto ", "shared=true ", "schedule=linear ", "critic_euclidean=gauss-newton "};
    for (size_t i = 0; i < sizeof has / sizeof has[0]; i++)
        if (!strstr(buf, has[i])) fail_msg("'%s' lacks %s", buf, has[i]);
    assert_null(strstr(buf, "max_kl")); /* TRPO's */
    o.algo = CLKFAC_ALGO_TRPO;
    o.net = "dense:8 \"x\"";
    TH_OK(clkfac_agent_options_text(buf, sizeof buf, &o, 1));
    const char *json[] = {"\"algo\": \"trpo\"", "\"max_kl\": 0.01", "\"activation\": null",
                          "\"net\": \"dense:8 \\\"x\\\"\"", "\"shared\": true", "\"seed\": 0"};
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++)
        if (!strstr(buf, json[i])) fail_msg("'%s' lacks %s", buf, json[i]);
    assert_null(strstr(buf, "kl_clip"));
    size_t len = strlen(buf);
    assert_int_equal(clkfac_agent_options_text(buf, len, &o, 1), CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_agent_options_text(buf, len + 1, &o, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_old_init),
        cmocka_unit_test(test_given_zero_stays_zero),
        cmocka_unit_test(test_other_version_refused),
        cmocka_unit_test(test_table_describes_every_field_once),
        cmocka_unit_test(test_text_lists_the_algorithms_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
