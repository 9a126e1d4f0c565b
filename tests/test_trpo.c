/* TRPO pieces on the device against double-precision references: the network R-op (J v) vs a
 * central difference of the double reference forward and of the device forward, the exact
 * Fisher-vector product vs F = (1/n) sum_i J_i^T M_i J_i built on the host, conjugate gradient
 * vs an exact double solve and a double CG, and whole TRPO updates (KL of an accepted step,
 * bit-identical parameters after a rejected line search). */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref/ref_nn.h"
#include "rl/agent_internal.h"

static clkfac_nn *make_net(const char *spec, const int *shape, size_t rank, size_t n,
                           const clkfac_nn_head_spec *heads, size_t n_heads, clkfac_nn_act act)
{
    clkfac_nn_options o = CLKFAC_NN_OPTIONS_INIT;
    o.act = act;
    o.heads = heads;
    o.n_heads = n_heads;
    o.seed = 7;
    clkfac_nn *net = NULL;
    TH_OK(clkfac_nn_create_str(&net, th_ctx(), spec, shape, rank, n, &o));
    return net;
}

/* Random parameters of a useful size (the orthogonal init makes heads tiny), uploaded. */
static double *randomize(clkfac_nn *net, th_rng *r, float scale)
{
    size_t P = clkfac_nn_param_count(net);
    float *w = malloc(P * sizeof *w);
    double *d = malloc(P * sizeof *d);
    th_fill_normal(r, w, P, scale);
    for (size_t i = 0; i < P; i++) d[i] = w[i];
    TH_OK(clkfac_buffer_write(th_ctx(), clkfac_nn_params(net), 0, w, P));
    free(w);
    return d;
}

/* ---- R-op ------------------------------------------------------------------------------------- */

static void rop_case(const char *spec, const int *shape, size_t rank, clkfac_nn_act act)
{
    clkfac_context *ctx = th_ctx();
    th_rng rng = {42};
    const size_t n = 7;
    clkfac_nn_head_spec heads[2] = {{"pi", 4, 1.0f}, {"v", 1, 1.0f}};
    clkfac_nn *net = make_net(spec, shape, rank, n, heads, 2, act);
    size_t P = clkfac_nn_param_count(net), D = clkfac_nn_input_size(net);
    double *p = randomize(net, &rng, 0.4f);
    float *x = malloc(n * D * sizeof *x), *v = malloc(P * sizeof *v);
    th_fill_normal(&rng, x, n * D, 1.0f);
    th_fill_normal(&rng, v, P, 1.0f);
    cl_mem xb = th_upload(x, n * D), vb = th_upload(v, P);
    clkfac_nn_rop_state *rop = NULL;
    TH_OK(clkfac_nn_rop_create(&rop, net));
    TH_OK(clkfac_nn_forward(net, n, xb, 0));
    TH_OK(clkfac_nn_rop(rop, n, vb, 0));
    /* double reference: central difference of the double forward along v (step 1e-6: the error
     * is rounding, ~1e-9 relative) */
    ref_net r;
    ref_net_init(&r, net, n);
    double *xd = th_to_double(x, n * D), *pp = malloc(P * sizeof *pp);
    const double h = 1e-6;
    for (size_t o = 0; o < 2; o++) {
        size_t u = heads[o].units;
        double *plus = malloc(n * u * sizeof *plus), *ref = malloc(n * u * sizeof *ref);
        for (size_t i = 0; i < P; i++) pp[i] = p[i] + h * v[i];
        ref_net_forward(&r, pp, xd);
        memcpy(plus, ref_net_output(&r, o), n * u * sizeof *plus);
        for (size_t i = 0; i < P; i++) pp[i] = p[i] - h * v[i];
        ref_net_forward(&r, pp, xd);
        const double *minus = ref_net_output(&r, o);
        for (size_t j = 0; j < n * u; j++) ref[j] = (plus[j] - minus[j]) / (2 * h);
        clkfac_nn_view jv;
        TH_OK(clkfac_nn_rop_output(&jv, rop, o));
        assert_int_equal(jv.rows, n);
        assert_int_equal(jv.cols, u);
        float *got = malloc(n * u * sizeof *got);
        th_download(jv.buf, jv.off, got, n * u);
        /* |a - b| <= 1e-4 max|ref| + 1e-3 |b| (float GEMM chains of a few hundred terms) */
        th_assert_close(got, ref, n * u, 1e-4 * fmax(th_max_abs(ref, n * u), 1e-6), 1e-3, "rop vs ref");
        double e_ref = th_nrm_err(got, ref, n * u);
        /* device finite difference along v (float: step 1e-2, normalized error <= 1e-4) */
        const float hf = 1e-2f;
        float *pf = malloc(P * sizeof *pf), *op = malloc(n * u * sizeof *op),
              *om = malloc(n * u * sizeof *om);
        clkfac_nn_view out;
        for (size_t i = 0; i < P; i++) pf[i] = (float)p[i] + hf * v[i];
        TH_OK(clkfac_buffer_write(ctx, clkfac_nn_params(net), 0, pf, P));
        TH_OK(clkfac_nn_forward(net, n, xb, 0));
        TH_OK(clkfac_nn_output(&out, net, o));
        th_download(out.buf, out.off, op, n * u);
        for (size_t i = 0; i < P; i++) pf[i] = (float)p[i] - hf * v[i];
        TH_OK(clkfac_buffer_write(ctx, clkfac_nn_params(net), 0, pf, P));
        TH_OK(clkfac_nn_forward(net, n, xb, 0));
        TH_OK(clkfac_nn_output(&out, net, o));
        th_download(out.buf, out.off, om, n * u);
        double *fd = malloc(n * u * sizeof *fd);
        for (size_t j = 0; j < n * u; j++) fd[j] = ((double)op[j] - om[j]) / (2.0 * hf);
        double e_fd = th_nrm_err(got, fd, n * u);
        print_message("rop %s head %s: normalized error vs double %.2e, vs device FD %.2e\n",
                      spec, heads[o].name, e_ref, e_fd);
        if (!(e_fd <= 1e-4)) fail_msg("rop vs device finite difference: %g", e_fd);
        /* restore and re-run for the next head */
        for (size_t i = 0; i < P; i++) pf[i] = (float)p[i];
        TH_OK(clkfac_buffer_write(ctx, clkfac_nn_params(net), 0, pf, P));
        TH_OK(clkfac_nn_forward(net, n, xb, 0));
        TH_OK(clkfac_nn_rop(rop, n, vb, 0));
        free(pf); free(op); free(om); free(fd); free(got); free(plus); free(ref);
    }
    ref_net_free(&r);
    clkfac_nn_rop_free(rop);
    clkfac_nn_free(net);
    clkfac_buffer_free(xb);
    clkfac_buffer_free(vb);
    free(x); free(v); free(p); free(xd); free(pp);
}

static void test_rop_dense(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    int shape[1] = {5};
    rop_case("dense:6 dense:3", shape, 1, CLKFAC_NN_ACT_TANH);
    rop_case("", shape, 1, CLKFAC_NN_ACT_TANH); /* heads straight on the input */
}

static void test_rop_conv(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    int shape[3] = {2, 7, 6};
    rop_case("conv:3,3,1,1 conv:2,2,2 dense:5", shape, 3, CLKFAC_NN_ACT_ELU);
    rop_case("conv:3,3,2 conv:2,2,1", shape, 3, CLKFAC_NN_ACT_TANH); /* conv -> heads */
}

/* ---- exact Fisher ------------------------------------------------------------------------------ */

typedef struct fisher_case {
    clkfac_nn *net;
    trpo_fisher f;
    size_t n, P, Pn, A;
    int discrete;
    double *F;      /* (P, P) exact damped Fisher, host */
    cl_mem x, logstd;
    float *ls;
} fisher_case;

/* obs 3, one hidden layer of 4 tanh units; 3 logits (categorical) or 2 means + 2 log-stds. */
static void fisher_setup(fisher_case *c, int discrete, float damping)
{
    clkfac_context *ctx = th_ctx();
    th_rng rng = {discrete ? 5u : 6u};
    memset(c, 0, sizeof *c);
    c->n = 10;
    c->discrete = discrete;
    c->A = discrete ? 3 : 2;
    int shape[1] = {3};
    clkfac_nn_head_spec head = {"pi", (int)c->A, 1.0f};
    c->net = make_net("dense:4", shape, 1, c->n, &head, 1, CLKFAC_NN_ACT_TANH);
    c->Pn = clkfac_nn_param_count(c->net);
    c->P = c->Pn + (discrete ? 0 : c->A);
    double *p = randomize(c->net, &rng, 0.8f);
    float x[30];
    th_fill_normal(&rng, x, c->n * 3, 1.0f);
    c->x = th_upload(x, c->n * 3);
    c->ls = malloc(c->A * sizeof *c->ls);
    for (size_t j = 0; j < c->A; j++) c->ls[j] = -0.3f + 0.4f * (float)j;
    if (!discrete) c->logstd = th_upload(c->ls, c->A);
    TH_OK(trpo_fisher_init(&c->f, ctx, c->net, 0, discrete ? &policy_categorical : &policy_gaussian,
                           c->A, c->logstd, damping));
    TH_OK(clkfac_nn_forward(c->net, c->n, c->x, 0));
    /* host: per-sample Jacobians J_i (A, Pn) from unit output gradients through the double
     * reference backward, M_i the output Fisher, F = (1/n) sum J_i^T M_i J_i (+ 2 I on the
     * log-stds for the Gaussian) + damping I */
    ref_net r;
    ref_net_init(&r, c->net, c->n);
    double *xd = th_to_double(x, c->n * 3);
    ref_net_forward(&r, p, xd);
    const double *out = ref_net_output(&r, 0);
    size_t n = c->n, A = c->A, Pn = c->Pn, P = c->P;
    double *J = calloc(A * Pn, sizeof *J), *dout = calloc(n * A, sizeof *dout);
    c->F = calloc(P * P, sizeof *c->F);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < A; k++) {
            memset(dout, 0, n * A * sizeof *dout);
            dout[i * A + k] = 1.0;
            memset(J + k * Pn, 0, Pn * sizeof *J);
            const double *dd[1] = {dout};
            ref_net_backward(&r, p, J + k * Pn, dd);
        }
        double M[9] = {0};
        if (discrete) {
            double mx = out[i * A], z = 0, pr[3];
            for (size_t k = 1; k < A; k++) mx = fmax(mx, out[i * A + k]);
            for (size_t k = 0; k < A; k++) z += pr[k] = exp(out[i * A + k] - mx);
            for (size_t k = 0; k < A; k++) pr[k] /= z;
            for (size_t a = 0; a < A; a++)
                for (size_t b = 0; b < A; b++) M[a * A + b] = (a == b ? pr[a] : 0) - pr[a] * pr[b];
        } else {
            for (size_t a = 0; a < A; a++) M[a * A + a] = exp(-2.0 * c->ls[a]);
        }
        for (size_t u = 0; u < Pn; u++)
            for (size_t w = 0; w < Pn; w++) {
                double s = 0;
                for (size_t a = 0; a < A; a++)
                    for (size_t b = 0; b < A; b++) s += J[a * Pn + u] * M[a * A + b] * J[b * Pn + w];
                c->F[u * P + w] += s / (double)n;
            }
    }
    for (size_t j = Pn; j < P; j++) c->F[j * P + j] += 2.0;
    for (size_t j = 0; j < P; j++) c->F[j * P + j] += damping;
    ref_net_free(&r);
    free(J); free(dout); free(xd); free(p);
}

static void fisher_teardown(fisher_case *c)
{
    trpo_fisher_release(&c->f);
    clkfac_nn_free(c->net);
    clkfac_buffer_free(c->x);
    if (c->logstd) clkfac_buffer_free(c->logstd);
    free(c->F);
    free(c->ls);
}

static void matvec(double *y, const double *F, const double *v, size_t P)
{
    for (size_t i = 0; i < P; i++) {
        double s = 0;
        for (size_t j = 0; j < P; j++) s += F[i * P + j] * v[j];
        y[i] = s;
    }
}

static void fvp_case(int discrete)
{
    fisher_case c;
    fisher_setup(&c, discrete, 0.1f);
    th_rng rng = {11};
    float *v = malloc(c.P * sizeof *v), *got = malloc(c.P * sizeof *got);
    double *ref = malloc(c.P * sizeof *ref), *vd;
    th_fill_normal(&rng, v, c.P, 1.0f);
    vd = th_to_double(v, c.P);
    matvec(ref, c.F, vd, c.P);
    cl_mem vb = th_upload(v, c.P), ob = th_alloc(c.P, 0.0f);
    TH_OK(trpo_fvp(&c.f, c.n, vb, 0, ob, 0));
    th_download(ob, 0, got, c.P);
    /* |a - b| <= 1e-5 max|ref| + 1e-4 |b| */
    double e = th_assert_close(got, ref, c.P, 1e-5 * th_max_abs(ref, c.P), 1e-4, "fvp");
    print_message("fvp %s (P = %zu): max abs error %.2e (max |Fv| %.3g), normalized %.2e\n",
                  discrete ? "categorical" : "gaussian", c.P, e, th_max_abs(ref, c.P),
                  th_nrm_err(got, ref, c.P));
    clkfac_buffer_free(vb);
    clkfac_buffer_free(ob);
    free(v); free(got); free(ref); free(vd);
    fisher_teardown(&c);
}

static void test_fvp_categorical(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    fvp_case(1);
}

static void test_fvp_gaussian(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    fvp_case(0);
}

/* ---- conjugate gradient ---------------------------------------------------------------------- */

/* Gaussian elimination with partial pivoting in double: x = F^-1 g. */
static void solve(double *x, const double *F, const double *g, size_t P)
{
    double *a = malloc(P * (P + 1) * sizeof *a);
    for (size_t i = 0; i < P; i++) {
        memcpy(a + i * (P + 1), F + i * P, P * sizeof *a);
        a[i * (P + 1) + P] = g[i];
    }
    for (size_t k = 0; k < P; k++) {
        size_t piv = k;
        for (size_t i = k + 1; i < P; i++)
            if (fabs(a[i * (P + 1) + k]) > fabs(a[piv * (P + 1) + k])) piv = i;
        for (size_t j = 0; j <= P; j++) {
            double t = a[k * (P + 1) + j];
            a[k * (P + 1) + j] = a[piv * (P + 1) + j];
            a[piv * (P + 1) + j] = t;
        }
        for (size_t i = k + 1; i < P; i++) {
            double f = a[i * (P + 1) + k] / a[k * (P + 1) + k];
            for (size_t j = k; j <= P; j++) a[i * (P + 1) + j] -= f * a[k * (P + 1) + j];
        }
    }
    for (size_t i = P; i-- > 0;) {
        double s = a[i * (P + 1) + P];
        for (size_t j = i + 1; j < P; j++) s -= a[i * (P + 1) + j] * x[j];
        x[i] = s / a[i * (P + 1) + i];
    }
    free(a);
}

/* The same CG in double, for a fixed iteration count. */
static void ref_cg(double *x, const double *F, const double *g, size_t P, unsigned iters)
{
    double *r = malloc(P * sizeof *r), *p = malloc(P * sizeof *p), *ap = malloc(P * sizeof *ap);
    memcpy(r, g, P * sizeof *r);
    memcpy(p, g, P * sizeof *p);
    memset(x, 0, P * sizeof *x);
    double rr = 0;
    for (size_t i = 0; i < P; i++) rr += r[i] * r[i];
    for (unsigned it = 0; it < iters; it++) {
        matvec(ap, F, p, P);
        double pap = 0, rn = 0;
        for (size_t i = 0; i < P; i++) pap += p[i] * ap[i];
        double al = rr / pap;
        for (size_t i = 0; i < P; i++) {
            x[i] += al * p[i];
            r[i] -= al * ap[i];
            rn += r[i] * r[i];
        }
        for (size_t i = 0; i < P; i++) p[i] = r[i] + rn / rr * p[i];
        rr = rn;
    }
    free(r); free(p); free(ap);
}

static double rel_err(const float *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / den);
}

static void cg_case(int discrete)
{
    fisher_case c;
    fisher_setup(&c, discrete, 0.1f);
    th_rng rng = {13};
    size_t P = c.P;
    float *g = malloc(P * sizeof *g), *got = malloc(P * sizeof *got), sc[8];
    double *gd, *exact = malloc(P * sizeof *exact), *cg10 = malloc(P * sizeof *cg10);
    th_fill_normal(&rng, g, P, 1.0f);
    gd = th_to_double(g, P);
    solve(exact, c.F, gd, P);
    ref_cg(cg10, c.F, gd, P, 10);
    cl_mem gb = th_upload(g, P), xb = th_alloc(P, 0.0f), work = th_alloc(3 * P, 0.0f),
           scb = th_alloc(8, 0.0f);
    /* 10 iterations (the TRPO setting) vs the same iterations in double: float rounding only */
    TH_OK(trpo_cg(&c.f, c.n, gb, xb, 10, work, scb, 0, 4));
    th_download(xb, 0, got, P);
    th_download(scb, 0, sc, 8);
    double e10 = rel_err(got, cg10, P), e10x = rel_err(got, exact, P);
    /* residual recorded on the device vs ||g - F x|| of the returned x */
    double *fx = malloc(P * sizeof *fx), *xd = th_to_double(got, P), res = 0;
    matvec(fx, c.F, xd, P);
    for (size_t i = 0; i < P; i++) res += (gd[i] - fx[i]) * (gd[i] - fx[i]);
    res = sqrt(res);
    /* 3P iterations: converged to the exact solution of (F + damping I) x = g */
    TH_OK(trpo_cg(&c.f, c.n, gb, xb, (unsigned)(3 * P), work, scb, 0, 4));
    th_download(xb, 0, got, P);
    double eall = rel_err(got, exact, P);
    print_message("cg %s (P = %zu): 10 iters vs double CG %.2e (vs exact %.2e, residual device "
                  "%.3e host %.3e); %zu iters vs exact %.2e\n",
                  discrete ? "categorical" : "gaussian", P, e10, e10x, (double)sc[4], res, 3 * P,
                  eall);
    if (!(e10 <= 1e-3)) fail_msg("CG(10) differs from double CG(10) by %g", e10);
    if (!(eall <= 1e-3)) fail_msg("CG(%zu) differs from the exact solve by %g", 3 * P, eall);
    if (!(fabs(sc[4] - res) <= 1e-3 * fmax(1.0, res) + 0.05 * res))
        fail_msg("recorded residual %g vs true %g", (double)sc[4], res);
    clkfac_buffer_free(gb); clkfac_buffer_free(xb); clkfac_buffer_free(work);
    clkfac_buffer_free(scb);
    free(g); free(got); free(gd); free(exact); free(cg10); free(fx); free(xd);
    fisher_teardown(&c);
}

static void test_cg_categorical(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    cg_case(1);
}

static void test_cg_gaussian(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    cg_case(0);
}

/* ---- whole updates ------------------------------------------------------------------------------ */

static clkfac_agent *make_agent(const char *env_id, clkfac_vecenv **env, float max_kl)
{
    TH_OK(clkfac_vecenv_create(env, env_id, 8, 3, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_TRPO;
    o.n_steps = 32;
    o.max_kl = max_kl;
    o.seed = 3;
    clkfac_agent *ag = NULL;
    TH_OK(clkfac_agent_create(&ag, th_ctx(), *env, &o));
    return ag;
}

/* Policy parameters (network then log-stds) on the host. */
static float *host_policy(clkfac_agent *ag, size_t *n)
{
    size_t P = clkfac_nn_param_count(ag->actor), A = ag->discrete ? 0 : ag->n_out;
    float *p = malloc((P + A + 1) * sizeof *p);
    th_download(clkfac_nn_params(ag->actor), 0, p, P);
    if (A) th_download(ag->logstd, 0, p + P, A);
    *n = P + A;
    return p;
}

static void set_policy(clkfac_agent *ag, const float *p)
{
    size_t P = clkfac_nn_param_count(ag->actor);
    TH_OK(clkfac_buffer_write(th_ctx(), clkfac_nn_params(ag->actor), 0, p, P));
    if (!ag->discrete) TH_OK(clkfac_buffer_write(th_ctx(), ag->logstd, 0, p + P, ag->n_out));
}

/* Mean KL(old || new) over the last rollout's observations, on the device. */
static double measured_kl(clkfac_agent *ag, const float *old, const float *cur)
{
    clkfac_context *ctx = th_ctx();
    size_t M = ag->n_envs * ag->t_steps, A = ag->n_out;
    cl_mem o_out = th_alloc(M * A, 0.0f), o_ls = th_alloc(A, 0.0f), kl = th_alloc(1, 0.0f);
    clkfac_nn_view pi;
    set_policy(ag, old);
    TH_OK(clkfac_nn_forward(ag->actor, M, ag->obs, 0));
    TH_OK(clkfac_nn_output(&pi, ag->actor, ag->pi_head));
    TH_OK(clkfac_buffer_copy(ctx, pi.buf, pi.off, o_out, 0, M * A));
    if (!ag->discrete) TH_OK(clkfac_buffer_copy(ctx, ag->logstd, 0, o_ls, 0, A));
    set_policy(ag, cur);
    TH_OK(clkfac_nn_forward(ag->actor, M, ag->obs, 0));
    TH_OK(clkfac_nn_output(&pi, ag->actor, ag->pi_head));
    if (ag->discrete)
        TH_OK(clkfac_heads_cat_kl(ctx, M, A, o_out, 0, pi.buf, pi.off, NULL, 0, kl, 0));
    else
        TH_OK(clkfac_heads_gauss_kl(ctx, M, A, o_out, 0, o_ls, 0, pi.buf, pi.off, ag->logstd, 0,
                                    NULL, 0, kl, 0));
    float k;
    th_download(kl, 0, &k, 1);
    clkfac_buffer_free(o_out); clkfac_buffer_free(o_ls); clkfac_buffer_free(kl);
    return k;
}

static void step_case(const char *env_id)
{
    clkfac_vecenv *env = NULL;
    const float max_kl = 0.01f;
    clkfac_agent *ag = make_agent(env_id, &env, max_kl);
    int accepted = 0;
    for (int u = 0; u < 4; u++) {
        size_t np;
        float *before = host_policy(ag, &np);
        TH_OK(clkfac_agent_update(ag));
        float *after = host_policy(ag, &np);
        clkfac_update_stats s;
        size_t k = 0;
        TH_OK(clkfac_agent_read_stats(ag, &s, 1, &k));
        assert_int_equal(k, 1);
        double kl = measured_kl(ag, before, after);
        print_message("trpo %s update %d: accepted %g, halvings %g, recorded KL %.3g, measured "
                      "KL %.3g, CG residual %.3g, surrogate %.4g\n",
                      env_id, u + 1, (double)s.accepted, (double)s.ls_steps, (double)s.kl, kl,
                      (double)s.cg_residual, -(double)s.policy_loss);
        if (s.accepted == 1.0f) {
            accepted++;
            if (!(kl <= 1.5 * max_kl)) fail_msg("accepted step with KL %g > 1.5 max_kl", kl);
            if (!(kl > 0)) fail_msg("accepted step did not move the policy (KL %g)", kl);
            /* the record and the re-measurement agree (same rows; float reductions) */
            if (!(fabs(kl - s.kl) <= 1e-3 * max_kl + 1e-3 * kl))
                fail_msg("recorded KL %g vs measured %g", (double)s.kl, kl);
        } else {
            assert_memory_equal(before, after, np * sizeof *before);
        }
        free(before);
        free(after);
    }
    if (accepted < 3) fail_msg("only %d of 4 TRPO steps accepted", accepted);
    TH_OK(clkfac_context_check(th_ctx()));
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
}

static void test_trpo_step_categorical(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    step_case("CartPole-v1");
}

static void test_trpo_step_gaussian(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    step_case("Pendulum-v1");
}

static void rejected_case(const char *env_id)
{
    clkfac_vecenv *env = NULL;
    clkfac_agent *ag = make_agent(env_id, &env, 0.01f);
    TH_OK(clkfac_agent_update(ag)); /* one normal update first: a policy that is not the init */
    trpo_debug_flip_step(ag);
    size_t np;
    float *before = host_policy(ag, &np);
    TH_OK(clkfac_agent_update(ag));
    float *after = host_policy(ag, &np);
    clkfac_update_stats s[2];
    size_t k = 0;
    TH_OK(clkfac_agent_read_stats(ag, s, 2, &k));
    assert_int_equal(k, 2);
    print_message("trpo %s reversed step: accepted %g, trials %g, KL %g\n", env_id,
                  (double)s[1].accepted, (double)s[1].ls_steps, (double)s[1].kl);
    assert_true(s[1].accepted == 0.0f);
    assert_true(s[1].ls_steps == 10.0f);
    assert_memory_equal(before, after, np * sizeof *before); /* bit-identical */
    free(before);
    free(after);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
}

static void test_trpo_rejected_categorical(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    rejected_case("CartPole-v1");
}

static void test_trpo_rejected_gaussian(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    rejected_case("Pendulum-v1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rop_dense),
        cmocka_unit_test(test_rop_conv),
        cmocka_unit_test(test_fvp_categorical),
        cmocka_unit_test(test_fvp_gaussian),
        cmocka_unit_test(test_cg_categorical),
        cmocka_unit_test(test_cg_gaussian),
        cmocka_unit_test(test_trpo_step_categorical),
        cmocka_unit_test(test_trpo_step_gaussian),
        cmocka_unit_test(test_trpo_rejected_categorical),
        cmocka_unit_test(test_trpo_rejected_gaussian),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
