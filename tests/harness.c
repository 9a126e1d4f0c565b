/* Shared test support; see harness.h. */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static clkfac_context *g_ctx;
static char g_reason[512] = "not initialised";
static const clkfac_context_options *g_opts;

void th_set_context_options(const clkfac_context_options *o) { g_opts = o; }

clkfac_context *th_ctx(void) { return g_ctx; }
const char *th_no_device_reason(void) { return g_reason; }

int th_group_setup(void **state)
{
    (void)state;
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    clkfac_status st = clkfac_context_create(&g_ctx, g_opts ? g_opts : &o);
    if (st) {
        g_ctx = NULL;
        snprintf(g_reason, sizeof g_reason, "%s: %s", clkfac_status_str(st), clkfac_last_error());
        print_message("note: device tests will be skipped: %s\n", g_reason);
    }
    return 0;
}

int th_group_teardown(void **state)
{
    (void)state;
    clkfac_context_free(g_ctx);
    g_ctx = NULL;
    return 0;
}

void th_ok_impl(clkfac_status st, const char *expr, const char *file, int line)
{
    if (st == CLKFAC_OK) return;
    fail_msg("%s:%d: %s returned %s: %s", file, line, expr, clkfac_status_str(st),
             clkfac_last_error());
}

uint64_t th_next(th_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double th_uniform(th_rng *r) { return (double)(th_next(r) >> 11) * (1.0 / 9007199254740992.0); }

double th_normal(th_rng *r)
{
    double u1 = th_uniform(r), u2 = th_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void th_fill_normal(th_rng *r, float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(scale * th_normal(r));
}

cl_mem th_upload(const float *x, size_t n)
{
    cl_mem m = NULL;
    TH_OK(clkfac_buffer_create(&m, g_ctx, n));
    TH_OK(clkfac_buffer_write(g_ctx, m, 0, x, n));
    return m;
}

cl_mem th_alloc(size_t n, float fill)
{
    cl_mem m = NULL;
    TH_OK(clkfac_buffer_create(&m, g_ctx, n));
    TH_OK(clkfac_buffer_fill(g_ctx, m, 0, fill, n));
    return m;
}

void th_download(cl_mem m, size_t off, float *x, size_t n)
{
    TH_OK(clkfac_buffer_read(g_ctx, m, off, x, n));
}

double th_assert_close(const float *got, const double *ref, size_t n, double atol, double rtol,
                       const char *what)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i];
        if (isnan(r) || isinf(r) || isnan(g) || isinf(g)) {
            if ((isnan(r) && isnan(g)) || (isinf(r) && isinf(g) && (r > 0) == (g > 0))) continue;
            fail_msg("%s[%zu]: got %g, reference %g (non-finite disagreement)", what, i, g, r);
        }
        double err = fabs(g - r);
        if (err > worst) worst = err;
        if (err > atol + rtol * fabs(r))
            fail_msg("%s[%zu]: got %.9g, reference %.9g, |diff| %.3g > atol %.1g + rtol %.1g*|ref|",
                     what, i, g, r, err, atol, rtol);
    }
    return worst;
}

double th_nrm_err(const float *got, const double *ref, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
    }
    if (den == 0) return num == 0 ? 0 : INFINITY;
    return num / den;
}

double th_assert_nrm(const float *got, const double *ref, size_t n, double tol, const char *what)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i];
        if (!isfinite(g) || !isfinite(r)) {
            if ((isnan(r) && isnan(g)) || (isinf(r) && isinf(g) && (r > 0) == (g > 0))) continue;
            fail_msg("%s[%zu]: got %g, reference %g (non-finite disagreement)", what, i, g, r);
        }
        num += (g - r) * (g - r);
        den += r * r;
    }
    double e = den > 0 ? num / den : (num > 0 ? INFINITY : 0.0);
    if (!(e <= tol)) {
        size_t worst = 0;
        for (size_t i = 1; i < n; i++)
            if (fabs((double)got[i] - ref[i]) > fabs((double)got[worst] - ref[worst])) worst = i;
        fail_msg("%s: normalized error %.3g > %.1g (worst [%zu]: got %.9g, reference %.9g)", what,
                 e, tol, worst, (double)got[worst], ref[worst]);
    }
    return e;
}

void th_check_sentinels(cl_mem m, size_t off, size_t count, float sentinel, const char *what)
{
    float *s = th_malloc(count * sizeof *s);
    th_download(m, off, s, count);
    for (size_t i = 0; i < count; i++)
        if (s[i] != sentinel) {
            float v = s[i];
            free(s);
            fail_msg("%s: wrote outside its range (guard float %zu at offset %zu = %g)", what, i,
                     off + i, (double)v);
        }
    free(s);
}

double *th_to_double(const float *x, size_t n)
{
    double *d = th_malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

double th_max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

void *th_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) fail_msg("out of host memory (%zu bytes)", bytes);
    return p;
}
