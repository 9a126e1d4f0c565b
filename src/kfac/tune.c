/* The tuner behind `clkfac tune` (clkfac/tune.h). For each tunable it measures the profile's
 * values first (the "before"), then walks the kernel's parameter space from there one
 * parameter step at a time (coordinate descent), keeping a candidate only when it gives results
 * matching a double-precision reference and runs at least 2% faster; finally the chosen values
 * are measured again in the same run (the "after"). CLBlast recompiles a routine's program for
 * every parameter set, so on PoCL the candidates' count, not the timing, bounds the run time:
 * --quick tries a handful per kernel.
 *
 * Lives in kfac because it times K-FAC's operations (the Gram by row blocks) besides CLBlast
 * and linalg; it reaches into the context's profile (cl/ocl.h) to try values. */
#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/tune.h"
#include "clkfac/kfac.h"
#include "clkfac/linalg.h"
#include "clkfac/tune.h"
#include "core/text.h"
#include "linalg/blas.h"

#define ROUTE_INDIRECT 1      /* XGEMM_MIN_INDIRECT_SIZE: every GEMM indirect */
#define ROUTE_DIRECT 100000   /* every GEMM direct */
#define MARGIN 0.98           /* a candidate must beat the best by 2% (timing noise) */
#define MAX_TRIED 256

/* CLBlast 1.5.3's values for devices without a database entry (its "default" entries; what
 * it runs on PoCL CPUs), in tune_kernel_get(k)->params order: where a search starts when the
 * profile has no values for a kernel. */
static const size_t CLBLAST_GENERIC[TUNE_KERNELS][CLKFAC_XGEMM_PARAMS] = {
    {2, 8, 8, 8, 8, 1, 1, 1, 1, 16},                            /* XgemmDirect */
    {64, 1},                                                    /* Xgemv */
    {16, 16, 4, 2},                                             /* Copy */
    {32, 8, 2, 1},                                              /* Pad */
    {8, 0, 1, 4},                                               /* Transpose */
    {0, 8, 4},                                                  /* Padtranspose */
    {0, 1, 32, 2, 8, 8, 32, 16, 16, 32, 1, 1, 0, 0, 4, 2},      /* Xgemm */
};

/* Xgemm's parameters in the order the search moves them (the ones that mattered most on CPUs
 * first, DESIGN.md); other kernels go in table order. */
static const int XGEMM_ORDER[] = {14, 3, 6, 9, 15, 2, 5, 8, 4, 7, 10, 11};

typedef struct tuner {
    clkfac_context *ctx;
    const clkfac_tune_options *o;
    int quick, reps;
    size_t max_wg;
    uint64_t local_mem;
    cl_mem a, b, c, temp;
    size_t temp_bytes, max_a, max_b, max_c;
    /* correctness check: random operands and their double-precision products */
    cl_mem ca, cb, cc;
    float *ha, *hb, *hc;
    clkfac_tune_entry *out;
    size_t cap, n;
    size_t tried_n;
    size_t tried[MAX_TRIED][CLKFAC_XGEMM_PARAMS];
    double med_sum; /* of the last time_set */
} tuner;

static const clkfac_tune_gemm CHECK_GEMM[] = {
    {70, 45, 33, 0, 0}, {64, 128, 32, 1, 0}, {128, 64, 64, 0, 1}, {37, 96, 100, 1, 1}};
#define N_CHECK (sizeof CHECK_GEMM / sizeof CHECK_GEMM[0])
#define CHECK_FLOATS (128 * 128)

static void progress(tuner *t, const char *fmt, ...) CORE_PRINTF(2, 3);
static void progress(tuner *t, const char *fmt, ...)
{
    if (!t->o->progress) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    t->o->progress(t->o->user, line);
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void dims(const clkfac_tune_gemm *s, size_t *lda, size_t *ldb, size_t *na, size_t *nb)
{
    *lda = s->trans_a ? s->m : s->k;
    *ldb = s->trans_b ? s->k : s->n;
    *na = s->m * s->k;
    *nb = s->k * s->n;
}

/* One CLBlast SGEMM C = op(A) op(B) on the tuner's temp buffer; the CLBlast status. */
static int gemm_call(tuner *t, const clkfac_tune_gemm *s, cl_mem a, cl_mem b, cl_mem c)
{
    size_t lda, ldb, na, nb;
    dims(s, &lda, &ldb, &na, &nb);
    const CLBlastTranspose ta = s->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    const CLBlastTranspose tb = s->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    size_t need = 0;
    CLBlastStatusCode r = CLBlastSGemmTempBufferSize(CLBlastLayoutRowMajor, ta, tb, s->m, s->n,
                                                     s->k, 0, lda, 0, ldb, 0, s->n,
                                                     &t->ctx->queue, &need);
    if (r != CLBlastSuccess) return r;
    if (need > t->temp_bytes) {
        if (t->temp) clReleaseMemObject(t->temp);
        t->temp = NULL;
        t->temp_bytes = 0;
        cl_int e = CL_SUCCESS;
        t->temp = clCreateBuffer(t->ctx->cl, CL_MEM_READ_WRITE, need, NULL, &e);
        if (e != CL_SUCCESS) return e;
        t->temp_bytes = need;
    }
    return CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, s->m, s->n, s->k, 1.0f, a,
                                      0, lda, b, 0, ldb, 0.0f, c, 0, s->n, &t->ctx->queue, NULL,
                                      need ? t->temp : NULL);
}

static int gemv_call(tuner *t, const clkfac_tune_gemm *s, cl_mem a, cl_mem x, cl_mem y)
{
    return CLBlastSgemv(CLBlastLayoutRowMajor, s->trans_a ? CLBlastTransposeYes
                                                          : CLBlastTransposeNo,
                        s->m, s->n, 1.0f, a, 0, s->n, x, 0, 1, 0.0f, y, 0, 1, &t->ctx->queue,
                        NULL);
}

static int route(tuner *t, size_t min_indirect)
{
    const char *names[1] = {"XGEMM_MIN_INDIRECT_SIZE"};
    return CLBlastOverrideParameters(t->ctx->device, "GemmRoutine", CLBlastPrecisionSingle, 1,
                                     names, &min_indirect);
}

static int apply(tuner *t, int k, const size_t *v)
{
    const tune_kernel *tk = tune_kernel_get(k);
    const char *names[CLKFAC_XGEMM_PARAMS];
    for (int i = 0; i < tk->n_params; i++) names[i] = tk->params[i].name;
    return CLBlastOverrideParameters(t->ctx->device, tk->name, CLBlastPrecisionSingle,
                                     (size_t)tk->n_params, names, v);
}

/* Times one call (warm-up first: compiles a new parameter set), t->reps timed runs; the
 * fastest run in seconds (what decides: on a loaded machine other processes only ever add
 * time), the median added to t->med_sum; -1 when a call fails. */
typedef int (*call_fn)(tuner *t, const clkfac_tune_gemm *s, cl_mem a, cl_mem b, cl_mem c);
static double time_one(tuner *t, call_fn fn, const clkfac_tune_gemm *s)
{
    double v[16];
    if (fn(t, s, t->a, t->b, t->c) != CLBlastSuccess || clFinish(t->ctx->queue) != CL_SUCCESS)
        return -1;
    for (int r = 0; r < t->reps; r++) {
        double t0 = core_now();
        if (fn(t, s, t->a, t->b, t->c) != CLBlastSuccess) return -1;
        if (clFinish(t->ctx->queue) != CL_SUCCESS) return -1;
        v[r] = core_now() - t0;
    }
    t->med_sum += median(v, t->reps); /* sorts v */
    return v[0];
}

/* Sum over the shapes of the fastest runs (t->med_sum: of the medians). */
static double time_set(tuner *t, call_fn fn, const clkfac_tune_gemm *s, size_t n)
{
    double sum = 0;
    t->med_sum = 0;
    for (size_t i = 0; i < n; i++) {
        double x = time_one(t, fn, &s[i]);
        if (x < 0) return -1;
        sum += x;
    }
    return sum;
}

static double gemm_flop(const clkfac_tune_gemm *s, size_t n)
{
    double f = 0;
    for (size_t i = 0; i < n; i++) f += 2.0 * (double)s[i].m * (double)s[i].n * (double)s[i].k;
    return f * 1e-9;
}

/* 1 when GEMM (route as set) gives the double-precision product on the check shapes:
 * normalized error sum (c - ref)^2 / sum ref^2 <= 1e-10 (float32 rounding over k <= 128 is
 * ~1e-13), NaN fails. */
static int check_gemm(tuner *t)
{
    for (size_t i = 0; i < N_CHECK; i++) {
        const clkfac_tune_gemm *s = &CHECK_GEMM[i];
        size_t lda, ldb, na, nb;
        dims(s, &lda, &ldb, &na, &nb);
        if (clkfac_buffer_fill(t->ctx, t->cc, 0, 0.0f, s->m * s->n)) return 0;
        if (gemm_call(t, s, t->ca, t->cb, t->cc) != CLBlastSuccess) return 0;
        if (clkfac_buffer_read(t->ctx, t->cc, 0, t->hc, s->m * s->n)) return 0;
        double err = 0, ref2 = 0;
        for (size_t r = 0; r < s->m; r++)
            for (size_t c = 0; c < s->n; c++) {
                double acc = 0;
                for (size_t q = 0; q < s->k; q++) {
                    double av = s->trans_a ? t->ha[q * lda + r] : t->ha[r * lda + q];
                    double bv = s->trans_b ? t->hb[c * ldb + q] : t->hb[q * ldb + c];
                    acc += av * bv;
                }
                double d = (double)t->hc[r * s->n + c] - acc;
                if (!isfinite(t->hc[r * s->n + c])) return 0;
                err += d * d;
                ref2 += acc * acc;
            }
        if (!(err <= 1e-10 * ref2)) return 0;
    }
    return 1;
}

static int check_gemv(tuner *t)
{
    for (int trans = 0; trans < 2; trans++) {
        const clkfac_tune_gemm s = {70, 45, 0, trans, 0};
        const size_t ny = trans ? s.n : s.m, nx = trans ? s.m : s.n;
        if (clkfac_buffer_fill(t->ctx, t->cc, 0, 0.0f, ny)) return 0;
        if (gemv_call(t, &s, t->ca, t->cb, t->cc) != CLBlastSuccess) return 0;
        if (clkfac_buffer_read(t->ctx, t->cc, 0, t->hc, ny)) return 0;
        double err = 0, ref2 = 0;
        for (size_t i = 0; i < ny; i++) {
            double acc = 0;
            for (size_t j = 0; j < nx; j++)
                acc += (double)(trans ? t->ha[j * s.n + i] : t->ha[i * s.n + j]) * t->hb[j];
            if (!isfinite(t->hc[i])) return 0;
            err += ((double)t->hc[i] - acc) * ((double)t->hc[i] - acc);
            ref2 += acc * acc;
        }
        if (!(err <= 1e-10 * ref2)) return 0;
    }
    return 1;
}

/* ---- the coordinate search over one CLBlast kernel --------------------------------------- */

typedef struct kernel_job {
    int k;
    size_t route;                   /* 0: leave the routing alone */
    call_fn fn;
    const clkfac_tune_gemm *shapes; /* timed */
    size_t n_shapes;
    int (*check)(tuner *t);
    int budget;                     /* candidates besides the starting values */
    const char *shapes_desc;
    double gflop;
} kernel_job;

static int was_tried(tuner *t, const size_t *v, int np)
{
    for (size_t i = 0; i < t->tried_n; i++)
        if (!memcmp(t->tried[i], v, (size_t)np * sizeof(size_t))) return 1;
    if (t->tried_n < MAX_TRIED) memcpy(t->tried[t->tried_n++], v, (size_t)np * sizeof(size_t));
    return 0;
}

/* The value next to v in the parameter's search space, one step up (dir 1) or down (-1);
 * 0 when there is none (v outside the space: the nearest in that direction). */
static int neighbor(const tune_param *p, size_t v, int dir, size_t *out)
{
    if (dir > 0) {
        for (int i = 0; i < p->n; i++)
            if (p->values[i] > v) { *out = p->values[i]; return 1; }
    } else {
        for (int i = p->n - 1; i >= 0; i--)
            if (p->values[i] < v) { *out = p->values[i]; return 1; }
    }
    return 0;
}

static clkfac_tune_entry *entry(tuner *t, const char *what, const char *shapes, double gflop)
{
    static clkfac_tune_entry sink;
    clkfac_tune_entry *e = t->n < t->cap ? &t->out[t->n] : &sink;
    t->n++;
    memset(e, 0, sizeof *e);
    snprintf(e->what, sizeof e->what, "%s", what);
    snprintf(e->shapes, sizeof e->shapes, "%s", shapes);
    e->gflop = gflop;
    return e;
}

static void values_text(char *out, size_t cap, int k, const size_t *v)
{
    const tune_kernel *tk = tune_kernel_get(k);
    size_t n = 0;
    if (cap) out[0] = '\0';
    if (!v) {
        snprintf(out, cap, "CLBlast's own");
        return;
    }
    for (int i = 0; i < tk->n_params && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%zu", i ? "," : "", tk->params[i].name,
                              v[i]);
}

/* Measures candidate v (NULL: CLBlast's own, only before any override of the kernel); time in
 * seconds, or -1 rejected (build/run failure or wrong results). */
static double measure(tuner *t, const kernel_job *j, const size_t *v)
{
    if (j->route && route(t, j->route) != CLBlastSuccess) return -1;
    if (v && apply(t, j->k, v) != CLBlastSuccess) return -1;
    if (!j->check(t)) return -1;
    return time_set(t, j->fn, j->shapes, j->n_shapes);
}

static clkfac_status search_kernel(tuner *t, const kernel_job *j)
{
    clkfac_device_profile *p = &t->ctx->profile;
    const tune_kernel *tk = tune_kernel_get(j->k);
    const int np = tk->n_params;
    clkfac_tune_entry *e = entry(t, tk->name, j->shapes_desc, j->gflop);
    if (!j->n_shapes) {
        snprintf(e->value, sizeof e->value, "not tuned: no shapes");
        return CLKFAC_OK;
    }
    const size_t *start = tune_profile_values(p, j->k);
    size_t center[CLKFAC_XGEMM_PARAMS], best_v[CLKFAC_XGEMM_PARAMS];
    memcpy(center, start ? start : CLBLAST_GENERIC[j->k], sizeof center);
    t->tried_n = 0;
    was_tried(t, center, np);
    double before = measure(t, j, start);
    e->before_med_s = t->med_sum;
    e->tried = 1;
    if (before < 0) {
        /* the starting values fail: every candidate must then pass on its own */
        progress(t, "%s: the starting values (%s) failed the check or the run", tk->name,
                 start ? "the profile's" : "CLBlast's own");
        e->rejected = 1;
        before = INFINITY;
    }
    e->before_s = before;
    double best = before;
    int best_own = start == NULL && isfinite(before);
    memcpy(best_v, center, sizeof best_v);
    progress(t, "%s: start %.2f ms (%s)", tk->name, before * 1e3,
             start ? "the profile's values" : "CLBlast's own values");
    const int passes = t->quick ? 1 : 3;
    int used = 0;
    for (int pass = 0; pass < passes && used < j->budget; pass++) {
        int improved = 0;
        const int n_order = j->k == TUNE_XGEMM ? (int)(sizeof XGEMM_ORDER / sizeof(int)) : np;
        for (int oi = 0; oi < n_order && used < j->budget; oi++) {
            const int i = j->k == TUNE_XGEMM ? XGEMM_ORDER[oi] : oi;
            for (int dir = 1; dir >= -1 && used < j->budget; dir -= 2) {
                size_t cand[CLKFAC_XGEMM_PARAMS];
                memcpy(cand, best_v, sizeof cand);
                if (!neighbor(&tk->params[i], best_v[i], dir, &cand[i])) continue;
                if (!tune_valid(j->k, cand, t->max_wg, t->local_mem)) continue;
                if (was_tried(t, cand, np)) continue;
                used++;
                e->tried++;
                double x = measure(t, j, cand);
                char txt[200];
                values_text(txt, sizeof txt, j->k, cand);
                if (x < 0) {
                    e->rejected++;
                    progress(t, "%s: %s rejected (build, run or check failed)", tk->name, txt);
                    continue;
                }
                progress(t, "%s: %.2f ms with %s%s", tk->name, x * 1e3, txt,
                         x < best * MARGIN ? " (best so far)" : "");
                if (x < best * MARGIN) {
                    best = x;
                    best_own = 0;
                    memcpy(best_v, cand, sizeof best_v);
                    improved = 1;
                }
            }
        }
        if (!improved) break;
    }
    if (!isfinite(best))
        return CORE_FAIL(CLKFAC_ERR_CLBLAST, "tuning %s: no candidate ran correctly on %s",
                         tk->name, t->ctx->info.name);
    /* the choice, in force for the "after" measurement and in the profile. CLBlast's own
     * values cannot be restored once overridden; its generic ones stand in (the same on
     * devices it has no entry for, such as PoCL CPUs). */
    if (best_own) {
        tune_profile_set(p, j->k, NULL);
        if (apply(t, j->k, CLBLAST_GENERIC[j->k]) != CLBlastSuccess)
            return CORE_FAIL(CLKFAC_ERR_CLBLAST, "restoring %s's parameters failed", tk->name);
    } else {
        tune_profile_set(p, j->k, best_v);
        e->changed = !start || memcmp(start, best_v, (size_t)np * sizeof(size_t)) != 0;
    }
    double after = measure(t, j, best_own ? NULL : best_v);
    e->after_s = after;
    e->after_med_s = t->med_sum;
    values_text(e->value, sizeof e->value, j->k, best_own ? NULL : best_v);
    progress(t, "%s: chose %s: %.2f -> %.2f ms", tk->name, e->value, e->before_s * 1e3,
             after * 1e3);
    return CLKFAC_OK;
}

/* ---- clkfac's own tunables -------------------------------------------------------------- */

/* The direct/indirect threshold: each shape timed both ways with the tuned kernels; the
 * threshold is the size of the smallest shape for which indirect wins when that split is the
 * fastest overall. */
static clkfac_status tune_min_indirect(tuner *t, const clkfac_tune_gemm *s, size_t n)
{
    clkfac_device_profile *p = &t->ctx->profile;
    clkfac_tune_entry *e = entry(t, "gemm_min_indirect", "every GEMM shape, direct vs indirect",
                                 gemm_flop(s, n));
    double dt[64], it[64], cube[64];
    if (n > 64) n = 64;
    for (size_t i = 0; i < n; i++) {
        if (route(t, ROUTE_DIRECT) != CLBlastSuccess) return CORE_FAIL(CLKFAC_ERR_CLBLAST, "routing");
        dt[i] = time_one(t, gemm_call, &s[i]);
        if (route(t, ROUTE_INDIRECT) != CLBlastSuccess) return CORE_FAIL(CLKFAC_ERR_CLBLAST, "routing");
        it[i] = time_one(t, gemm_call, &s[i]);
        if (dt[i] < 0 || it[i] < 0)
            return CORE_FAIL(CLKFAC_ERR_CLBLAST, "GEMM %zux%zux%zu failed while choosing the "
                             "direct/indirect threshold", s[i].m, s[i].n, s[i].k);
        cube[i] = cbrt((double)s[i].m * (double)s[i].n * (double)s[i].k);
        progress(t, "gemm %zux%zux%zu: direct %.2f ms, indirect %.2f ms", s[i].m, s[i].n, s[i].k,
                 dt[i] * 1e3, it[i] * 1e3);
    }
    /* total time for threshold T: the shapes with cube >= T run indirect. Candidates: each
     * shape's size (it and every larger one indirect) and "all direct"; the old threshold
     * (0: CLBlast's own, 896 for devices without an entry) stays unless another beats it by
     * the margin. */
    const unsigned old = p->gemm_min_indirect;
    const unsigned old_eff = old ? old : 896;
    double before = 0;
    for (size_t i = 0; i < n; i++) before += cube[i] >= old_eff ? it[i] : dt[i];
    double best = before;
    unsigned best_t = old_eff;
    for (size_t c = 0; c <= n; c++) {
        unsigned thr = c < n ? (unsigned)ceil(cube[c] - 1e-9) : 100000;
        if (thr < 1) thr = 1;
        double tot = 0;
        for (size_t i = 0; i < n; i++) tot += cube[i] >= thr ? it[i] : dt[i];
        if (tot < best * MARGIN) {
            best = tot;
            best_t = thr;
        }
    }
    e->tried = (int)n + 1;
    e->before_s = before;
    e->after_s = best;
    e->changed = best_t != old;
    p->gemm_min_indirect = best_t;
    snprintf(e->value, sizeof e->value, "%u (GEMMs with m*n*k >= %u^3 indirect)", best_t, best_t);
    progress(t, "gemm_min_indirect: %u -> %u", old, best_t);
    return route(t, best_t) == CLBlastSuccess
               ? CLKFAC_OK
               : CORE_FAIL(CLKFAC_ERR_CLBLAST, "setting XGEMM_MIN_INDIRECT_SIZE failed");
}

/* CHOL_WG: each candidate in a fresh context on the same device (the program is built with
 * it), timed on the factor sizes, checked by || (S + I) X - I ||_max. */
static double time_chol(tuner *t, unsigned wg, const size_t *sizes, size_t n_sizes, int *bad)
{
    *bad = 0;
    char spec[32];
    snprintf(spec, sizeof spec, "%d:%d", t->ctx->info.platform_index, t->ctx->info.device_index);
    clkfac_context_options co = CLKFAC_CONTEXT_OPTIONS_INIT;
    co.device = spec;
    co.profiling = 0;
    co.blas = t->ctx->profile.blas;
    co.cache_dir = t->ctx->cache_dir;
    clkfac_context *c = NULL;
    if (clkfac_context_create(&c, &co)) return -1;
    c->profile = t->ctx->profile; /* the tuned CLBlast values, this work-group size */
    c->profile.chol_wg = wg;
    double total = 0;
    cl_mem s = NULL, g = NULL, x = NULL;
    float *hs = NULL, *hx = NULL;
    for (size_t q = 0; q < n_sizes && total >= 0; q++) {
        const size_t n = sizes[q];
        hs = malloc(n * n * sizeof(float));
        hx = malloc(n * n * sizeof(float));
        if (!hs || !hx || clkfac_buffer_create(&s, c, n * n) || clkfac_buffer_create(&x, c, n * n) ||
            clkfac_buffer_create(&g, c, 1)) {
            total = -1;
            break;
        }
        /* S = M M^T / n, M uniform in [-1, 1): SPD, well conditioned after + I */
        uint64_t r = 12345 + n;
        float *m = hx;
        for (size_t i = 0; i < n * n; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            m[i] = (float)((double)(r >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++) {
                double acc = 0;
                for (size_t k = 0; k < n; k++) acc += (double)m[i * n + k] * m[j * n + k];
                hs[i * n + j] = hs[j * n + i] = (float)(acc / (double)n);
            }
        const float one = 1.0f;
        double v[16];
        int ok = !clkfac_buffer_write(c, s, 0, hs, n * n) && !clkfac_buffer_write(c, g, 0, &one, 1);
        for (int rep = -1; ok && rep < t->reps; rep++) {
            double t0 = core_now();
            ok = !clkfac_linalg_spd_inverse(c, n, s, 0, g, 0, 1.0f, x, 0) &&
                 !clkfac_context_finish(c);
            if (rep >= 0) v[rep] = core_now() - t0;
        }
        if (ok) ok = !clkfac_buffer_read(c, x, 0, hx, n * n);
        if (ok) { /* (S + I) X = I */
            double worst = 0;
            for (size_t i = 0; i < n && ok; i++)
                for (size_t j = 0; j < n; j++) {
                    double acc = hx[i * n + j];
                    for (size_t k = 0; k < n; k++) acc += (double)hs[i * n + k] * hx[k * n + j];
                    double d = fabs(acc - (i == j ? 1.0 : 0.0));
                    if (!(d <= worst)) worst = d;
                }
            if (!(worst <= 1e-3)) {
                *bad = 1;
                ok = 0;
            }
        }
        if (ok) median(v, t->reps); /* sorts: v[0] the fastest */
        total = ok ? total + v[0] : -1;
        clkfac_buffer_free(s);
        clkfac_buffer_free(x);
        clkfac_buffer_free(g);
        s = x = g = NULL;
        free(hs);
        free(hx);
        hs = hx = NULL;
    }
    clkfac_buffer_free(s);
    clkfac_buffer_free(x);
    clkfac_buffer_free(g);
    free(hs);
    free(hx);
    clkfac_context_free(c);
    return total;
}

static clkfac_status tune_chol(tuner *t)
{
    size_t n = t->o->n_factors;
    if (t->quick && n > 2) n = 2;
    char desc[96] = "SPD inverse n =";
    for (size_t i = 0; i < n; i++)
        snprintf(desc + strlen(desc), sizeof desc - strlen(desc), " %zu", t->o->factors[i]);
    double fl = 0;
    for (size_t i = 0; i < n; i++) fl += (double)t->o->factors[i] * t->o->factors[i] * t->o->factors[i] * 1e-9;
    clkfac_tune_entry *e = entry(t, "chol_wg", desc, fl);
    if (!n) {
        snprintf(e->value, sizeof e->value, "not tuned: no factor sizes");
        return CLKFAC_OK;
    }
    const unsigned start = t->ctx->profile.chol_wg ? t->ctx->profile.chol_wg : CLKFAC_WG;
    static const unsigned CANDS[] = {16, 32, 64, 128, 256};
    int bad = 0;
    double before = time_chol(t, start, t->o->factors, n, &bad);
    e->tried = 1;
    if (before < 0) {
        e->rejected = 1;
        before = INFINITY;
    }
    e->before_s = before;
    double best = before;
    unsigned best_wg = start;
    progress(t, "chol_wg: %u %.2f ms", start, before * 1e3);
    for (size_t i = 0; i < sizeof CANDS / sizeof CANDS[0]; i++) {
        const unsigned wg = CANDS[i];
        if (wg == start || wg > t->max_wg) continue;
        if (t->quick && (wg * 2 < start || wg > start * 2)) continue; /* quick: the neighbors */
        e->tried++;
        double x = time_chol(t, wg, t->o->factors, n, &bad);
        if (x < 0) {
            e->rejected++;
            progress(t, "chol_wg: %u rejected (%s)", wg, bad ? "wrong inverse" : "failed");
            continue;
        }
        progress(t, "chol_wg: %u %.2f ms", wg, x * 1e3);
        if (x < best * MARGIN) {
            best = x;
            best_wg = wg;
        }
    }
    if (!isfinite(best))
        return CORE_FAIL(CLKFAC_ERR_BUILD, "tuning chol_wg: no work-group size ran correctly");
    e->after_s = best_wg == start ? before : time_chol(t, best_wg, t->o->factors, n, &bad);
    e->changed = best_wg != start;
    t->ctx->profile.chol_wg = best_wg == CLKFAC_WG && !t->ctx->profile.chol_wg ? 0 : best_wg;
    snprintf(e->value, sizeof e->value, "%u", best_wg);
    return CLKFAC_OK;
}

/* Rows per GEMM of a tall Gram (profile.gram_row_block), on the profile's engine. */
static clkfac_status tune_gram(tuner *t)
{
    clkfac_device_profile *p = &t->ctx->profile;
    const size_t rows = t->o->gram_rows, cols = t->o->gram_cols;
    char desc[96];
    snprintf(desc, sizeof desc, "Gram X^T X, X %zu x %zu (%s engine)", rows, cols,
             clkfac_blas_engine_name(p->blas));
    clkfac_tune_entry *e = entry(t, "gram_row_block", desc,
                                 2.0 * (double)rows * (double)cols * (double)cols * 1e-9);
    if (!rows || !cols || !p->gram_by_gemm) {
        snprintf(e->value, sizeof e->value, "not tuned: %s",
                 p->gram_by_gemm ? "no Gram shape" : "this device's Gram is one SYRK");
        return CLKFAC_OK;
    }
    clkfac_status st = CLKFAC_OK;
    cl_mem x = NULL, g = NULL;
    float *hx = NULL, *hg = NULL;
    double *ref = NULL;
    const size_t chk_rows = rows < 8192 ? rows : 8192; /* reference on the first rows */
    hx = malloc(rows * cols * sizeof(float));
    hg = malloc(cols * cols * sizeof(float));
    ref = calloc(cols * cols, sizeof(double));
    if (!hx || !hg || !ref) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        goto cleanup;
    }
    uint64_t r = 777;
    for (size_t i = 0; i < rows * cols; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        hx[i] = (float)((double)(r >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
    }
    for (size_t q = 0; q < chk_rows; q++)
        for (size_t i = 0; i < cols; i++) {
            const double a = hx[q * cols + i];
            for (size_t j = 0; j < cols; j++) ref[i * cols + j] += a * hx[q * cols + j];
        }
    if ((st = clkfac_buffer_create(&x, t->ctx, rows * cols)) ||
        (st = clkfac_buffer_create(&g, t->ctx, cols * cols)) ||
        (st = clkfac_buffer_write(t->ctx, x, 0, hx, rows * cols)))
        goto cleanup;
    const size_t start = p->gram_row_block;
    static const size_t CANDS[] = {1024, 2048, 4096, 8192, 16384, 32768, 0};
    double best = INFINITY, before = INFINITY;
    size_t best_b = start;
    for (int ci = -1; ci < (int)(sizeof CANDS / sizeof CANDS[0]); ci++) {
        const size_t blk = ci < 0 ? start : CANDS[ci];
        if (ci >= 0 && (blk == start || (blk && blk >= rows))) continue;
        if (t->quick && ci >= 0 && blk && start && (blk * 2 < start || blk > start * 2)) continue;
        p->gram_row_block = blk;
        e->tried++;
        /* check: the Gram of the first chk_rows rows */
        int ok = !clkfac_kfac_gram(t->ctx, NULL, chk_rows, cols, cols, 1.0f, x, 0, g, 0) &&
                 !clkfac_buffer_read(t->ctx, g, 0, hg, cols * cols);
        double err = 0, ref2 = 0;
        for (size_t i = 0; ok && i < cols * cols; i++) {
            err += ((double)hg[i] - ref[i]) * ((double)hg[i] - ref[i]);
            ref2 += ref[i] * ref[i];
        }
        if (!ok || !(err <= 1e-10 * ref2)) {
            e->rejected++;
            progress(t, "gram_row_block: %zu rejected", blk);
            continue;
        }
        double v[16];
        for (int rep = -1; ok && rep < t->reps; rep++) {
            double t0 = core_now();
            ok = !clkfac_kfac_gram(t->ctx, NULL, rows, cols, cols, 1.0f, x, 0, g, 0) &&
                 !clkfac_context_finish(t->ctx);
            if (rep >= 0) v[rep] = core_now() - t0;
        }
        if (!ok) {
            e->rejected++;
            continue;
        }
        median(v, t->reps); /* sorts: v[0] the fastest */
        double tm = v[0];
        progress(t, "gram_row_block: %zu %.2f ms", blk, tm * 1e3);
        if (ci < 0) before = best = tm;
        else if (tm < best * MARGIN) {
            best = tm;
            best_b = blk;
        }
    }
    p->gram_row_block = best_b;
    e->before_s = before;
    e->after_s = best;
    e->changed = best_b != start;
    snprintf(e->value, sizeof e->value, "%zu%s", best_b, best_b ? " rows" : " (one call)");
cleanup:
    clkfac_buffer_free(x);
    clkfac_buffer_free(g);
    free(hx);
    free(hg);
    free(ref);
    return st;
}

/* ---- the run ---------------------------------------------------------------------------- */

static void tuner_free(tuner *t)
{
    clkfac_buffer_free(t->a);
    clkfac_buffer_free(t->b);
    clkfac_buffer_free(t->c);
    clkfac_buffer_free(t->ca);
    clkfac_buffer_free(t->cb);
    clkfac_buffer_free(t->cc);
    if (t->temp) clReleaseMemObject(t->temp);
    free(t->ha);
    free(t->hb);
    free(t->hc);
}

static clkfac_status tuner_init(tuner *t)
{
    size_t wg = 0;
    cl_ulong lm = 0;
    clGetDeviceInfo(t->ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    clGetDeviceInfo(t->ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL);
    t->max_wg = wg ? wg : 256;
    t->local_mem = lm;
    size_t na = 1, nb = 1, nc = 1;
    for (size_t i = 0; i < t->o->n_gemm; i++) {
        const clkfac_tune_gemm *s = &t->o->gemm[i];
        if (s->m * s->k > na) na = s->m * s->k;
        if (s->k * s->n > nb) nb = s->k * s->n;
        if (s->m * s->n > nc) nc = s->m * s->n;
    }
    for (size_t i = 0; i < t->o->n_gemv; i++) {
        const clkfac_tune_gemm *s = &t->o->gemv[i];
        if (s->m * s->n > na) na = s->m * s->n;
        if (s->m > nb) nb = s->m;
        if (s->n > nb) nb = s->n;
        if (s->m > nc) nc = s->m;
        if (s->n > nc) nc = s->n;
    }
    clkfac_status st;
    if ((st = clkfac_buffer_create(&t->a, t->ctx, na)) ||
        (st = clkfac_buffer_create(&t->b, t->ctx, nb)) ||
        (st = clkfac_buffer_create(&t->c, t->ctx, nc)) ||
        (st = clkfac_buffer_create(&t->ca, t->ctx, CHECK_FLOATS)) ||
        (st = clkfac_buffer_create(&t->cb, t->ctx, CHECK_FLOATS)) ||
        (st = clkfac_buffer_create(&t->cc, t->ctx, CHECK_FLOATS)))
        return st;
    t->ha = malloc(CHECK_FLOATS * sizeof(float));
    t->hb = malloc(CHECK_FLOATS * sizeof(float));
    t->hc = malloc(CHECK_FLOATS * sizeof(float));
    if (!t->ha || !t->hb || !t->hc) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    uint64_t r = 99;
    for (size_t i = 0; i < CHECK_FLOATS; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        t->ha[i] = (float)((double)(r >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        t->hb[i] = (float)((double)(r >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
    }
    if ((st = clkfac_buffer_write(t->ctx, t->ca, 0, t->ha, CHECK_FLOATS)) ||
        (st = clkfac_buffer_write(t->ctx, t->cb, 0, t->hb, CHECK_FLOATS)) ||
        (st = clkfac_buffer_fill(t->ctx, t->a, 0, 0.5f, na)) ||
        (st = clkfac_buffer_fill(t->ctx, t->b, 0, 0.25f, nb)) ||
        (st = clkfac_buffer_fill(t->ctx, t->c, 0, 0.0f, nc)))
        return st;
    return clkfac_context_finish(t->ctx);
}

static void shapes_desc(char *out, size_t cap, const clkfac_tune_gemm *s, size_t n)
{
    size_t len = 0;
    if (cap) out[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%zux%zux%zu%s%s", i ? " " : "", s[i].m,
                                s[i].n, s[i].k, s[i].trans_a ? "T" : "N",
                                s[i].trans_b ? "T" : "N");
}

clkfac_status clkfac_tune_run(clkfac_context *ctx, const clkfac_tune_options *opts,
                              clkfac_tune_entry *out, size_t cap, size_t *n_out)
{
    if (!ctx || !opts || (!out && cap))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_tune_run: context or options is NULL");
    if (opts->version != CLKFAC_TUNE_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "tune options version %u; expected %u",
                         opts->version, CLKFAC_TUNE_OPTIONS_VERSION);
    if (opts->reps < 0 || opts->reps > 16)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "tune reps %d; expected 0 (default) to 16",
                         opts->reps);
    for (size_t i = 0; i < opts->n_gemm; i++) {
        const clkfac_tune_gemm *s = &opts->gemm[i];
        if (!s->m || !s->n || !s->k || s->m * s->k > (1u << 28) || s->k * s->n > (1u << 28))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "tune GEMM shape %zu: %zu x %zu x %zu; "
                             "expected sizes >= 1 with operands of at most 2^28 floats", i,
                             s->m, s->n, s->k);
    }
    for (size_t i = 0; i < opts->n_factors; i++)
        if (opts->factors[i] < 1 || opts->factors[i] > 8192)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "tune factor size %zu; expected 1 to 8192",
                             opts->factors[i]);
    tuner *t = core_calloc(1, sizeof *t);
    if (!t) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    t->ctx = ctx;
    t->o = opts;
    t->quick = opts->quick;
    t->reps = opts->reps ? opts->reps : (opts->quick ? 5 : 7);
    t->out = out;
    t->cap = cap;
    clkfac_status st = tuner_init(t);
    if (st) goto cleanup;
    (void)blas_tuning(ctx); /* the profile's CLBlast values in force (they are the "before") */

    /* shapes: quick keeps the first three GEMMs (the callers order by importance) */
    const clkfac_tune_gemm *g = opts->gemm;
    size_t ng = opts->n_gemm, ng_t = t->quick && ng > 3 ? 3 : ng;
    clkfac_tune_gemm small[64];
    size_t n_small = 0;
    for (size_t i = 0; i < ng && n_small < (t->quick ? 3u : 64u); i++)
        if ((double)g[i].m * g[i].n * g[i].k < 256.0 * 256.0 * 256.0) small[n_small++] = g[i];
    char desc[96], desc_small[96], desc_all[96];
    shapes_desc(desc, sizeof desc, g, ng_t);
    shapes_desc(desc_small, sizeof desc_small, small, n_small);
    shapes_desc(desc_all, sizeof desc_all, g, ng);

    /* every GEMM shape as the profile routes it: the headline before/after */
    clkfac_tune_entry *all = entry(t, "gemm (as routed)", desc_all, gemm_flop(g, ng));
    all->before_s = time_set(t, gemm_call, g, ng);
    all->before_med_s = t->med_sum;
    if (all->before_s < 0) {
        st = CORE_FAIL(CLKFAC_ERR_CLBLAST, "CLBlast SGEMM fails on %s with the profile's "
                       "parameters before tuning", ctx->info.name);
        goto cleanup;
    }
    const size_t all_index = t->n - 1;
    progress(t, "all GEMM shapes as routed: %.2f ms", all->before_s * 1e3);

    const int q = t->quick;
    const kernel_job jobs[] = {
        {TUNE_XGEMM, ROUTE_INDIRECT, gemm_call, g, ng_t, check_gemm, q ? 3 : 48, desc,
         gemm_flop(g, ng_t)},
        {2, ROUTE_INDIRECT, gemm_call, g, ng_t, check_gemm, q ? 1 : 12, desc, gemm_flop(g, ng_t)},
        {3, ROUTE_INDIRECT, gemm_call, g, ng_t, check_gemm, q ? 1 : 12, desc, gemm_flop(g, ng_t)},
        {4, ROUTE_INDIRECT, gemm_call, g, ng_t, check_gemm, q ? 1 : 12, desc, gemm_flop(g, ng_t)},
        {5, ROUTE_INDIRECT, gemm_call, g, ng_t, check_gemm, q ? 1 : 12, desc, gemm_flop(g, ng_t)},
        {0, ROUTE_DIRECT, gemm_call, small, n_small, check_gemm, q ? 2 : 24, desc_small,
         gemm_flop(small, n_small)},
    };
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
        if ((st = search_kernel(t, &jobs[i]))) goto cleanup;
    if (ng && (st = tune_min_indirect(t, g, ng))) goto cleanup;
    {
        double after = time_set(t, gemm_call, g, ng);
        if (all_index < t->cap) {
            t->out[all_index].after_s = after;
            t->out[all_index].after_med_s = t->med_sum;
        }
        progress(t, "all GEMM shapes as routed: %.2f ms after tuning", after * 1e3);
    }
    {
        char dv[96] = "";
        for (size_t i = 0, len = 0; i < opts->n_gemv && len + 1 < sizeof dv; i++)
            len += (size_t)snprintf(dv + len, sizeof dv - len, "%s%zux%zu%s", i ? " " : "",
                                    opts->gemv[i].m, opts->gemv[i].n,
                                    opts->gemv[i].trans_a ? "T" : "N");
        double fl = 0;
        for (size_t i = 0; i < opts->n_gemv; i++)
            fl += 2.0 * (double)opts->gemv[i].m * opts->gemv[i].n * 1e-9;
        const kernel_job jv = {1, 0, gemv_call, opts->gemv, opts->n_gemv, check_gemv,
                               q ? 2 : 12, dv, fl};
        if ((st = search_kernel(t, &jv))) goto cleanup;
    }
    if ((st = tune_chol(t))) goto cleanup;
    if ((st = tune_gram(t))) goto cleanup;
    snprintf(ctx->profile.tuning, sizeof ctx->profile.tuning, "tuned in this process (%s)",
             q ? "quick" : "full");
    ctx->profile.tuning_note[0] = '\0';
    /* the context's BLAS state re-applies the chosen values on its next call */
    if (n_out) *n_out = t->n < cap ? t->n : cap;
cleanup:
    tuner_free(t);
    free(t);
    return st;
}

clkfac_status clkfac_tune_save(clkfac_context *ctx, const char *path, const char *comment)
{
    char def[1100];
    if (!path) {
        tune_db_path(ctx, def, sizeof def);
        if (!def[0])
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "the context has no cache folder (its "
                             "cache_dir is \"\"): give a database path");
        path = def;
    }
    char *text = NULL;
    clkfac_status st = tune_db_format(ctx, &ctx->profile, comment, &text);
    if (st) return st;
    st = tune_db_write(path, text);
    free(text);
    if (!st) snprintf(ctx->profile.tuning, sizeof ctx->profile.tuning, "tuned db %.180s", path);
    return st;
}

void clkfac_tune_db_path(const clkfac_context *ctx, char *out, size_t cap)
{
    tune_db_path(ctx, out, cap);
}

clkfac_status clkfac_tune_db_check(const clkfac_context *ctx, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    int e = core_read_file(path, &text, &len);
    if (e)
        return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "cannot read the tuning database '%s': %s", path,
                               strerror(e));
    clkfac_device_profile p = ctx->profile;
    clkfac_status st = tune_db_apply(ctx, text, 0, &p);
    free(text);
    if (st) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", clkfac_last_error());
        return CORE_FAIL_INPUT(st, "tuning database %s: %s", path, msg);
    }
    return CLKFAC_OK;
}
