/* `clkfac bench kfac`: the cost of every K-FAC operation on the ACKTR paper's Atari network (and
 * its 32-filter third layer variant) and on the pixel-game network, per layer and batch size,
 * from OpenCL profiling events, with GFLOP/s and the ratio to the same device's SGEMM rate
 * measured in the same run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

typedef struct layer_spec {
    const char *name;
    int conv;           /* 1: conv over an image; 0: dense */
    int c, h, w, kh, kw, stride, k; /* conv: input C x H x W, kernel, stride, K filters */
    int d_in, d_out;    /* dense */
} layer_spec;

typedef struct net_spec {
    const char *name;
    const char *about;
    layer_spec layers[8];
    int n_layers;
} net_spec;

/* Atari: 4 x 84 x 84 frames; conv 8x8/4 x32 -> 20x20, 4x4/2 x64 -> 9x9, 3x3/1 x64 -> 7x7,
 * dense 3136 -> 512, heads 512 -> 6 actions and 512 -> 1 value. Pixel games: 4 x 10 x 10. */
static const net_spec NETS[] = {
    {"atari", "ACKTR paper Atari CNN (conv3 with 64 filters)",
     {{"conv1", 1, 4, 84, 84, 8, 8, 4, 32, 0, 0},
      {"conv2", 1, 32, 20, 20, 4, 4, 2, 64, 0, 0},
      {"conv3", 1, 64, 9, 9, 3, 3, 1, 64, 0, 0},
      {"fc", 0, 0, 0, 0, 0, 0, 0, 0, 3136, 512},
      {"pi", 0, 0, 0, 0, 0, 0, 0, 0, 512, 6},
      {"v", 0, 0, 0, 0, 0, 0, 0, 0, 512, 1}},
     6},
    {"atari32", "Atari CNN with the maintainers' 32-filter conv3",
     {{"conv1", 1, 4, 84, 84, 8, 8, 4, 32, 0, 0},
      {"conv2", 1, 32, 20, 20, 4, 4, 2, 64, 0, 0},
      {"conv3", 1, 64, 9, 9, 3, 3, 1, 32, 0, 0},
      {"fc", 0, 0, 0, 0, 0, 0, 0, 0, 1568, 512},
      {"pi", 0, 0, 0, 0, 0, 0, 0, 0, 512, 6},
      {"v", 0, 0, 0, 0, 0, 0, 0, 0, 512, 1}},
     6},
    {"minatar", "pixel-game CNN (conv 3x3 x16 on 10x10, dense 1024 -> 128)",
     {{"conv", 1, 4, 10, 10, 3, 3, 1, 16, 0, 0},
      {"fc", 0, 0, 0, 0, 0, 0, 0, 0, 1024, 128},
      {"pi", 0, 0, 0, 0, 0, 0, 0, 0, 128, 6},
      {"v", 0, 0, 0, 0, 0, 0, 0, 0, 128, 1}},
     4},
};

enum { OP_PATCHES, OP_A, OP_G, OP_EMA, OP_INV, OP_PRECOND, N_OPS };
static const char *OP_NAMES[N_OPS] = {"patches", "A", "G", "ema", "inverse", "precondition"};

double bench_median(const double *v, int n)
{
    double *c = malloc((size_t)n * sizeof *c);
    if (!c || n <= 0) { free(c); return NAN; }
    memcpy(c, v, (size_t)n * sizeof *c);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && c[j - 1] > c[j]; j--) { double t = c[j]; c[j] = c[j - 1]; c[j - 1] = t; }
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

static void fill_random(float *x, size_t n, uint64_t seed, float scale)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = scale * ((float)((s >> 40) & 0xffffff) / 16777216.0f - 0.5f);
    }
}

static clkfac_status upload_random(clkfac_context *ctx, cl_mem *out, size_t n, uint64_t seed,
                                   float scale)
{
    float *h = malloc(n * sizeof *h);
    if (!h) return CLKFAC_ERR_NO_MEMORY;
    fill_random(h, n, seed, scale);
    cl_mem m = NULL;
    clkfac_status st = clkfac_buffer_create(&m, ctx, n);
    if (!st) st = clkfac_buffer_write(ctx, m, 0, h, n);
    free(h);
    if (st) { clkfac_buffer_free(m); return st; }
    *out = m;
    return CLKFAC_OK;
}

/* SGEMM GFLOP/s of square n x n x n on this device (median of reps, device time). */
static clkfac_status measure_sgemm(clkfac_context *ctx, size_t n, int reps, double *gflops)
{
    cl_mem a = NULL, b = NULL, c = NULL;
    clkfac_status st;
    double *t = calloc((size_t)reps, sizeof *t);
    if (!t) return CLKFAC_ERR_NO_MEMORY;
    if ((st = upload_random(ctx, &a, n * n, 1, 1)) || (st = upload_random(ctx, &b, n * n, 2, 1)) ||
        (st = clkfac_buffer_create(&c, ctx, n * n)))
        goto done;
    for (int r = -1; r < reps; r++) {
        clkfac_profile_begin(ctx);
        clkfac_profile_phase(ctx, "sgemm");
        if ((st = clkfac_linalg_gemm(ctx, 0, 0, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n))) goto done;
        clkfac_profile_entry e[4];
        size_t ne = 0;
        if ((st = clkfac_profile_collect(ctx, e, 4, &ne))) goto done;
        if (r >= 0) t[r] = ne > 1 ? e[1].seconds : NAN;
    }
    *gflops = 2.0 * (double)n * n * n / bench_median(t, reps) * 1e-9;
done:
    free(t);
    clkfac_buffer_free(a);
    clkfac_buffer_free(b);
    clkfac_buffer_free(c);
    return st;
}

typedef struct layer_result {
    double ms[N_OPS];      /* median device milliseconds */
    double lo[N_OPS], hi[N_OPS];
    double flops[N_OPS];   /* per call, 0 where the op is memory-bound */
    double bytes[N_OPS];
    size_t rows, da, dg;
} layer_result;

static clkfac_status bench_layer(clkfac_context *ctx, const layer_spec *L, int batch,
                                 const bench_kfac_options *o, layer_result *res)
{
    clkfac_status st = CLKFAC_OK;
    clkfac_conv_geom g = {batch, L->c, L->h, L->w, L->kh, L->kw, L->stride, L->stride,
                          0, 0, 1, 1, 1};
    int ho = 1, wo = 1;
    size_t da, dg = (size_t)(L->conv ? L->k : L->d_out), rows, nx, ngy;
    if (L->conv) {
        if ((st = clkfac_conv_out_size(&ho, &wo, &g))) return st;
        rows = clkfac_conv_patch_rows(&g);
        da = clkfac_conv_patch_cols(&g);
        nx = (size_t)batch * L->c * L->h * L->w;
    } else {
        rows = (size_t)batch;
        da = (size_t)L->d_in + 1;
        nx = (size_t)batch * L->d_in;
    }
    ngy = rows * dg;
    memset(res, 0, sizeof *res);
    res->rows = rows; res->da = da; res->dg = dg;
    cl_mem x = NULL, gy = NULL, p = NULL, a = NULL, gf = NULL, sa = NULL, sg = NULL,
           ai = NULL, gi = NULL, dw = NULL, v = NULL;
    double *t = calloc((size_t)N_OPS * (size_t)o->reps, sizeof *t);
    if (!t) return CLKFAC_ERR_NO_MEMORY;
    if ((st = upload_random(ctx, &x, nx, 3, 2)) || (st = upload_random(ctx, &gy, ngy, 4, 0.2f)) ||
        (st = upload_random(ctx, &dw, dg * da, 5, 1)) ||
        (st = clkfac_buffer_create(&p, ctx, L->conv ? rows * da : 1)) ||
        (st = clkfac_buffer_create(&a, ctx, da * da)) || (st = clkfac_buffer_create(&gf, ctx, dg * dg)) ||
        (st = clkfac_buffer_create(&sa, ctx, da * da)) || (st = clkfac_buffer_create(&sg, ctx, dg * dg)) ||
        (st = clkfac_buffer_create(&ai, ctx, da * da)) || (st = clkfac_buffer_create(&gi, ctx, dg * dg)) ||
        (st = clkfac_buffer_create(&v, ctx, dg * da)))
        goto done;
    clkfac_ema ea = CLKFAC_EMA_INIT, eg = CLKFAC_EMA_INIT;
    for (int r = -o->warmup; r < o->reps; r++) {
        clkfac_profile_begin(ctx);
        if (L->conv) {
            clkfac_profile_phase(ctx, OP_NAMES[OP_PATCHES]);
            if ((st = clkfac_kfac_patches(ctx, &g, x, 0, p, 0))) goto done;
            clkfac_profile_phase(ctx, OP_NAMES[OP_A]);
            /* as clkfac_kfac_conv_factors does: the ones column as a border */
            if ((st = clkfac_kfac_gram_homogeneous(ctx, NULL, rows, da - 1, da, 1.0f / (float)batch,
                                                   p, 0, a, 0)))
                goto done;
            clkfac_profile_phase(ctx, OP_NAMES[OP_G]);
            if ((st = clkfac_kfac_conv_factors(ctx, NULL, &g, L->k, x, 0, gy, 0, NULL, 0, gf, 0))) goto done;
        } else {
            clkfac_profile_phase(ctx, OP_NAMES[OP_A]);
            if ((st = clkfac_kfac_dense_factors(ctx, NULL, rows, da - 1, dg, 1, x, 0, gy, 0, a, 0, NULL, 0))) goto done;
            clkfac_profile_phase(ctx, OP_NAMES[OP_G]);
            if ((st = clkfac_kfac_dense_factors(ctx, NULL, rows, da - 1, dg, 1, x, 0, gy, 0, NULL, 0, gf, 0))) goto done;
        }
        clkfac_profile_phase(ctx, OP_NAMES[OP_EMA]);
        if ((st = clkfac_kfac_ema_update(ctx, &ea, da * da, sa, 0, a, 0)) ||
            (st = clkfac_kfac_ema_update(ctx, &eg, dg * dg, sg, 0, gf, 0)))
            goto done;
        clkfac_profile_phase(ctx, OP_NAMES[OP_INV]);
        if ((st = clkfac_kfac_inverse_tikhonov(ctx, da, sa, 0, dg, sg, 0, o->damping, ai, 0, gi, 0))) goto done;
        clkfac_profile_phase(ctx, OP_NAMES[OP_PRECOND]);
        if ((st = clkfac_kfac_precondition(ctx, dg, da, gi, 0, ai, 0, dw, 0, v, 0))) goto done;
        clkfac_profile_entry e[CLKFAC_PROFILE_MAX_PHASES];
        size_t ne = 0;
        if ((st = clkfac_profile_collect(ctx, e, CLKFAC_PROFILE_MAX_PHASES, &ne))) goto done;
        if ((st = clkfac_context_check(ctx))) goto done;
        if (r < 0) continue;
        for (size_t i = 0; i < ne; i++)
            for (int op = 0; op < N_OPS; op++)
                if (!strcmp(e[i].phase, OP_NAMES[op])) t[op * o->reps + r] = e[i].seconds * 1e3;
    }
    for (int op = 0; op < N_OPS; op++) {
        double *s = t + op * o->reps;
        res->ms[op] = bench_median(s, o->reps);
        res->lo[op] = res->hi[op] = s[0];
        for (int r = 1; r < o->reps; r++) {
            res->lo[op] = fmin(res->lo[op], s[r]);
            res->hi[op] = fmax(res->hi[op], s[r]);
        }
    }
    int gemm = strcmp(clkfac_context_device(ctx)->type, "CPU") == 0; /* GRAM_AUTO's choice */
    res->flops[OP_A] = gemm ? 2.0 * rows * da * da : (double)rows * da * (da + 1);
    res->flops[OP_G] = gemm ? 2.0 * rows * dg * dg : (double)rows * dg * (dg + 1);
    /* nominal inverse cost: Cholesky n^3/3 + triangular inverse n^3/3 + product n^3/3 */
    res->flops[OP_INV] = (double)da * da * da + (double)dg * dg * dg;
    res->flops[OP_PRECOND] = 2.0 * dg * dg * da + 2.0 * dg * da * da;
    res->bytes[OP_PATCHES] = L->conv ? 4.0 * rows * da : 0;
    res->bytes[OP_EMA] = 4.0 * 3.0 * (double)(da * da + dg * dg);
done:
    free(t);
    cl_mem all[] = {x, gy, p, a, gf, sa, sg, ai, gi, dw, v};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clkfac_buffer_free(all[i]);
    return st;
}

int bench_kfac_run(const bench_kfac_options *o)
{
    clkfac_context *ctx = NULL;
    int open_rc = bench_open(&ctx, "kfac", o->out_dir, o->device);
    if (open_rc) return open_rc;
    clkfac_status st = CLKFAC_OK;
    int tty = isatty(fileno(stderr));
    double sg = 0;
    const size_t sgemm_n = 1024;
    if (tty) fprintf(stderr, "measuring SGEMM %zu^3 ...\r", sgemm_n);
    if ((st = measure_sgemm(ctx, sgemm_n, o->reps, &sg))) {
        fprintf(stderr, "clkfac: SGEMM reference: %s: %s\n", clkfac_status_str(st), clkfac_last_error());
        clkfac_context_free(ctx);
        return 1;
    }
    const char *hdr[] = {"net", "batch", "layer", "rows", "dim_A", "dim_G", "op", "median_ms",
                         "min_ms", "max_ms", "gflops", "gb_per_s", "ratio_to_sgemm"};
    const char *shdr[] = {"net", "batch", "layer", "patches_ms", "A_ms", "G_ms", "ema_ms",
                          "inverse_ms", "precondition_ms", "total_ms", "A_gflops", "A_vs_sgemm",
                          "G_vs_sgemm"};
    clkfac_table *t = NULL, *s = NULL;
    if ((st = clkfac_table_create(&t, 13, hdr)) || (st = clkfac_table_create(&s, 13, shdr))) {
        clkfac_context_free(ctx);
        return 1;
    }
    int rc = 0;
    for (size_t ni = 0; ni < sizeof NETS / sizeof NETS[0] && !rc; ni++) {
        const net_spec *net = &NETS[ni];
        if (!bench_list_has(o->nets, net->name)) continue;
        for (int bi = 0; bi < o->n_batches && !rc; bi++) {
            double tot[N_OPS] = {0};
            for (int li = 0; li < net->n_layers; li++) {
                const layer_spec *L = &net->layers[li];
                if (tty)
                    fprintf(stderr, "\r\033[K%s batch %d layer %s ...", net->name, o->batches[bi], L->name);
                layer_result res;
                if ((st = bench_layer(ctx, L, o->batches[bi], o, &res))) {
                    fprintf(stderr, "\nclkfac: %s %s batch %d: %s: %s\n", net->name, L->name,
                            o->batches[bi], clkfac_status_str(st), clkfac_last_error());
                    rc = 1;
                    break;
                }
                char c[13][48];
                double total = 0;
                for (int op = 0; op < N_OPS; op++) {
                    if (!L->conv && op == OP_PATCHES) continue;
                    total += res.ms[op];
                    tot[op] += res.ms[op];
                    double gf = res.flops[op] > 0 ? res.flops[op] / (res.ms[op] * 1e-3) * 1e-9 : NAN;
                    double gb = res.bytes[op] > 0 ? res.bytes[op] / (res.ms[op] * 1e-3) * 1e-9 : NAN;
                    snprintf(c[0], 48, "%s", net->name);
                    snprintf(c[1], 48, "%d", o->batches[bi]);
                    snprintf(c[2], 48, "%s", L->name);
                    snprintf(c[3], 48, "%zu", res.rows);
                    snprintf(c[4], 48, "%zu", res.da);
                    snprintf(c[5], 48, "%zu", res.dg);
                    snprintf(c[6], 48, "%s", OP_NAMES[op]);
                    snprintf(c[7], 48, "%.4f", res.ms[op]);
                    snprintf(c[8], 48, "%.4f", res.lo[op]);
                    snprintf(c[9], 48, "%.4f", res.hi[op]);
                    if (isnan(gf)) c[10][0] = '\0'; else snprintf(c[10], 48, "%.2f", gf);
                    if (isnan(gb)) c[11][0] = '\0'; else snprintf(c[11], 48, "%.2f", gb);
                    if (isnan(gf)) c[12][0] = '\0'; else snprintf(c[12], 48, "%.3f", gf / sg);
                    const char *row[13];
                    for (int i = 0; i < 13; i++) row[i] = c[i];
                    clkfac_table_add_row(t, row);
                }
                double agf = res.flops[OP_A] / (res.ms[OP_A] * 1e-3) * 1e-9;
                double ggf = res.flops[OP_G] / (res.ms[OP_G] * 1e-3) * 1e-9;
                snprintf(c[0], 48, "%s", net->name);
                snprintf(c[1], 48, "%d", o->batches[bi]);
                snprintf(c[2], 48, "%s (%zux%zu, %zu)", L->name, res.da, res.da, res.dg);
                if (L->conv) snprintf(c[3], 48, "%.3f", res.ms[OP_PATCHES]); else snprintf(c[3], 48, "-");
                snprintf(c[4], 48, "%.3f", res.ms[OP_A]);
                snprintf(c[5], 48, "%.3f", res.ms[OP_G]);
                snprintf(c[6], 48, "%.3f", res.ms[OP_EMA]);
                snprintf(c[7], 48, "%.3f", res.ms[OP_INV]);
                snprintf(c[8], 48, "%.3f", res.ms[OP_PRECOND]);
                snprintf(c[9], 48, "%.3f", total);
                snprintf(c[10], 48, "%.1f", agf);
                snprintf(c[11], 48, "%.2f", agf / sg);
                snprintf(c[12], 48, "%.2f", ggf / sg);
                const char *row[13];
                for (int i = 0; i < 13; i++) row[i] = c[i];
                clkfac_table_add_row(s, row);
            }
        }
    }
    if (tty) fprintf(stderr, "\r\033[K");
    char *prov = NULL;
    if (!rc && !(st = clkfac_provenance(&prov, ctx))) {
        char notes[1024];
        snprintf(notes, sizeof notes,
                 "Device SGEMM (CLBlast, %zu^3, same run): **%.1f GFLOP/s**. Median of %d "
                 "repetitions after %d warm-up, device time from OpenCL profiling events. "
                 "A and G by %s; inverse = factored Tikhonov (damping %g) of both factors by the "
                 "device Cholesky, nominal n^3 flops each. Ratios are GFLOP/s over the SGEMM "
                 "GFLOP/s.\n",
                 sgemm_n, sg, o->reps, o->warmup,
                 strcmp(clkfac_context_device(ctx)->type, "CPU") ? "SYRK (+mirror)" : "GEMM",
                 (double)o->damping);
        printf("SGEMM %zu^3 on %s: %.1f GFLOP/s\n\n", sgemm_n, clkfac_context_device(ctx)->name, sg);
        char *md = NULL;
        if (!clkfac_table_markdown(&md, s)) fputs(md, stdout);
        free(md);
        rc = bench_write_table(o->out_dir, "kfac_ops", t, "K-FAC operations, per op", notes, prov) ||
             bench_write_table(o->out_dir, "kfac_summary", s, "K-FAC cost per layer (ms)", notes,
                               prov);
        if (!rc) printf("\nwrote %s/kfac_summary.{csv,md,json} and %s/kfac_ops.{csv,md,json}\n",
                        o->out_dir, o->out_dir);
    }
    free(prov);
    clkfac_table_free(t);
    clkfac_table_free(s);
    clkfac_context_free(ctx);
    return rc;
}
