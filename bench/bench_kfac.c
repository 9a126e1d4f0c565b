/* `clkfac bench kfac`: the cost of every K-FAC operation on the ACKTR paper's Atari network (and
 * its 32-filter third layer variant) and on the pixel-game network, per layer and batch size,
 * from OpenCL profiling events, with GFLOP/s and the ratios to the same device's SGEMM rate and,
 * on CPU devices, to the host BLAS's own SGEMM in plain memory (the CPU's ceiling), both
 * measured in the same run. Each layer is a list of op-table calls (tests/ops/, the
 * descriptions test_ops checks): their inputs, flops and bytes come from there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "linalg/hostblas.h"
#include "tests/ops/ops.h"

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

/* The columns of a layer's K-FAC step, each one or two op-table calls timed as one phase. */
enum { OP_PATCHES, OP_A, OP_G, OP_EMA, OP_INV, OP_PRECOND, N_OPS };
static const char *OP_NAMES[N_OPS] = {"patches", "A", "G", "ema", "inverse", "precondition"};

typedef struct bench_call {
    const ops_op *op;
    ops_shape shape;
} bench_call;

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

typedef struct call_data {
    ops_sizes sizes;
    ops_data data;
} call_data;

static void call_data_free(call_data *c)
{
    ops_data_release(&c->data);
    for (int i = 0; i < OPS_MAX_ARGS; i++) {
        free(c->data.host[i]);
        c->data.host[i] = NULL;
    }
}

/* Operands of one call, inputs drawn by the op's own init (as its test draws them). */
static clkfac_status call_data_create(call_data *c, clkfac_context *ctx, const bench_call *b,
                                      uint64_t seed)
{
    memset(c, 0, sizeof *c);
    if (b->op->sizes(&c->sizes, &b->shape)) {
        fprintf(stderr, "clkfac: bench kfac: %s: invalid shape\n", b->op->name);
        return CLKFAC_ERR_INVALID_ARG;
    }
    for (int i = 0; i < c->sizes.n_args; i++)
        if (c->sizes.arg[i].n && !(c->data.host[i] = malloc(c->sizes.arg[i].n * sizeof(float)))) {
            call_data_free(c);
            return CLKFAC_ERR_NO_MEMORY;
        }
    b->op->init(c->data.host, &c->sizes, &b->shape, seed);
    clkfac_status st = ops_data_create(&c->data, ctx, &c->sizes, 0, 0, 0.0f);
    if (st) call_data_free(c);
    return st;
}

/* Times `n` calls as one phase: warm-up, then reps; median/min/max device milliseconds and the
 * summed flops and bytes of the calls from their descriptions. */
typedef struct timing {
    double ms, lo, hi, flops, bytes;
} timing;

static clkfac_status time_calls(clkfac_context *ctx, const bench_call *calls, int n, int reps,
                                int warmup, timing *out)
{
    call_data cd[2];
    clkfac_status st = CLKFAC_OK;
    int made = 0;
    double *t = calloc((size_t)reps, sizeof *t);
    if (n > 2) return CLKFAC_ERR_INVALID_ARG;
    if (!t) return CLKFAC_ERR_NO_MEMORY;
    memset(out, 0, sizeof *out);
    for (; made < n; made++) {
        if ((st = call_data_create(&cd[made], ctx, &calls[made], 1000u + (uint64_t)made)))
            goto done;
        out->flops += cd[made].sizes.flops;
        out->bytes += cd[made].sizes.bytes;
    }
    for (int r = -warmup; r < reps; r++) {
        clkfac_profile_begin(ctx);
        clkfac_profile_phase(ctx, calls[0].op->name);
        for (int i = 0; i < n; i++)
            if ((st = calls[i].op->run(ctx, &calls[i].shape, &cd[i].data))) goto done;
        clkfac_profile_entry e[CLKFAC_PROFILE_MAX_PHASES];
        size_t ne = 0;
        if ((st = clkfac_profile_collect(ctx, e, CLKFAC_PROFILE_MAX_PHASES, &ne)) ||
            (st = clkfac_context_check(ctx)))
            goto done;
        if (r < 0) continue;
        t[r] = 0;
        for (size_t i = 0; i < ne; i++) t[r] += e[i].seconds * 1e3;
    }
    out->ms = bench_median(t, reps);
    out->lo = out->hi = t[0];
    for (int r = 1; r < reps; r++) {
        out->lo = fmin(out->lo, t[r]);
        out->hi = fmax(out->hi, t[r]);
    }
done:
    for (int i = 0; i < made; i++) call_data_free(&cd[i]);
    free(t);
    return st;
}

/* SGEMM GFLOP/s of square n x n x n on this device: the table's GEMM. */
static clkfac_status measure_sgemm(clkfac_context *ctx, size_t n, int reps, double *gflops)
{
    bench_call c = {ops_find("gemm"), {0}};
    c.shape.m = c.shape.n = c.shape.k = n;
    c.shape.alpha = 1.0f;
    timing tm;
    clkfac_status st = time_calls(ctx, &c, 1, reps, 1, &tm);
    if (!st) *gflops = tm.flops / (tm.ms * 1e-3) * 1e-9;
    return st;
}

/* GFLOP/s over a reference rate with 3 digits, or "" when either is unknown. */
static void ratio_text(char out[48], double gflops, double ref)
{
    if (isnan(gflops) || isnan(ref) || ref <= 0) out[0] = '\0';
    else snprintf(out, 48, "%.3f", gflops / ref);
}

typedef struct layer_result {
    timing op[N_OPS];
    size_t rows, da, dg;
} layer_result;

/* The op-table calls of one layer's K-FAC step at a batch size: calls[op][0..n[op]). */
static clkfac_status layer_calls(clkfac_context *ctx, const layer_spec *L, int batch, float damping,
                                 bench_call calls[N_OPS][2], int n[N_OPS], layer_result *res)
{
    memset(calls, 0, sizeof(bench_call) * N_OPS * 2);
    memset(n, 0, sizeof(int) * N_OPS);
    /* the Gram algorithm GRAM_AUTO picks, named so the flops count what runs */
    int cpu = !strcmp(clkfac_context_device(ctx)->type, "CPU");
    int algo = cpu ? CLKFAC_GRAM_GEMM : CLKFAC_GRAM_SYRK;
    size_t da, dg = (size_t)(L->conv ? L->k : L->d_out);
    if (L->conv) {
        clkfac_conv_geom g = {batch, L->c, L->h, L->w, L->kh, L->kw, L->stride, L->stride,
                              0, 0, 1, 1, 1};
        int ho, wo;
        clkfac_status st = clkfac_conv_out_size(&ho, &wo, &g);
        if (st) return st;
        res->rows = clkfac_conv_patch_rows(&g);
        da = clkfac_conv_patch_cols(&g);
        bench_call *c = &calls[OP_PATCHES][n[OP_PATCHES]++];
        c->op = ops_find("patches");
        c->shape.conv = g;
        /* A as clkfac_kfac_conv_factors forms it: the ones column as a border */
        c = &calls[OP_A][n[OP_A]++];
        c->op = ops_find("gram_homogeneous");
        c->shape.m = res->rows;
        c->shape.n = da - 1;
        c->shape.pad = 1;
        c->shape.alpha = 1.0f / (float)batch;
        c->shape.algo = algo;
        c = &calls[OP_G][n[OP_G]++];
        c->op = ops_find("conv_factors");
        c->shape.conv = g;
        c->shape.k = dg;
        c->shape.algo = algo;
        c->shape.variant = 2; /* G only */
    } else {
        res->rows = (size_t)batch;
        da = (size_t)L->d_in + 1;
        for (int op = OP_A; op <= OP_G; op++) {
            bench_call *c = &calls[op][n[op]++];
            c->op = ops_find("dense_factors");
            c->shape.m = res->rows;
            c->shape.n = (size_t)L->d_in;
            c->shape.k = dg;
            c->shape.bias = 1;
            c->shape.algo = algo;
            c->shape.variant = op == OP_A ? 1 : 2;
        }
    }
    res->da = da;
    res->dg = dg;
    for (int f = 0; f < 2; f++) { /* running averages of both factors */
        bench_call *c = &calls[OP_EMA][n[OP_EMA]++];
        c->op = ops_find("ema");
        c->shape.n = f ? dg * dg : da * da;
        c->shape.decay = 0.99f;
        c->shape.cold = 1;
        c->shape.count = 1;
    }
    bench_call *c = &calls[OP_INV][n[OP_INV]++];
    c->op = ops_find("tikhonov");
    c->shape.m = da;
    c->shape.n = dg;
    c->shape.lambda = damping;
    c = &calls[OP_PRECOND][n[OP_PRECOND]++];
    c->op = ops_find("precondition");
    c->shape.m = dg;
    c->shape.n = da;
    return CLKFAC_OK;
}

static clkfac_status bench_layer(clkfac_context *ctx, const layer_spec *L, int batch,
                                 const bench_kfac_options *o, layer_result *res)
{
    bench_call calls[N_OPS][2];
    int n[N_OPS];
    memset(res, 0, sizeof *res);
    clkfac_status st = layer_calls(ctx, L, batch, o->damping, calls, n, res);
    for (int op = 0; op < N_OPS && !st; op++)
        if (n[op]) st = time_calls(ctx, calls[op], n[op], o->reps, o->warmup, &res->op[op]);
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
    /* the CPU's ceiling: the host BLAS in plain memory, same threads (CPU devices only) */
    double hsg = NAN;
    char host_note[256] = "";
    if (!strcmp(clkfac_context_device(ctx)->type, "CPU")) {
        if (tty) fprintf(stderr, "\r\033[Kmeasuring the host BLAS's SGEMM %zu^3 ...\r", sgemm_n);
        if ((st = hostblas_sgemm_ceiling(ctx, sgemm_n, o->reps, &hsg)))
            snprintf(host_note, sizeof host_note, "No host SGEMM ceiling: %s. ", clkfac_last_error());
        else
            snprintf(host_note, sizeof host_note,
                     "Host BLAS SGEMM (%zu^3, plain memory, %u threads, same run): **%.1f "
                     "GFLOP/s**; vs_host columns are GFLOP/s over it. ",
                     sgemm_n, clkfac_context_profile(ctx)->host_threads, hsg);
        st = CLKFAC_OK;
    }
    const char *hdr[] = {"net", "batch", "layer", "rows", "dim_A", "dim_G", "op", "median_ms",
                         "min_ms", "max_ms", "gflops", "gb_per_s", "ratio_to_sgemm",
                         "ratio_to_host_sgemm"};
    const char *shdr[] = {"net", "batch", "layer", "patches_ms", "A_ms", "G_ms", "ema_ms",
                          "inverse_ms", "precondition_ms", "total_ms", "A_gflops", "A_vs_sgemm",
                          "G_vs_sgemm", "A_vs_host", "G_vs_host", "precond_vs_host"};
    clkfac_table *t = NULL, *s = NULL;
    if ((st = clkfac_table_create(&t, 14, hdr)) || (st = clkfac_table_create(&s, 16, shdr))) {
        clkfac_context_free(ctx);
        return 1;
    }
    int rc = 0;
    for (size_t ni = 0; ni < sizeof NETS / sizeof NETS[0] && !rc; ni++) {
        const net_spec *net = &NETS[ni];
        if (!bench_list_has(o->nets, net->name)) continue;
        for (int bi = 0; bi < o->n_batches && !rc; bi++) {
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
                char c[16][48];
                double total = 0;
                for (int op = 0; op < N_OPS; op++) {
                    if (!L->conv && op == OP_PATCHES) continue;
                    total += res.op[op].ms;
                    const timing *tm = &res.op[op];
                    double gf = tm->flops > 0 ? tm->flops / (tm->ms * 1e-3) * 1e-9 : NAN;
                    double gb = tm->bytes > 0 ? tm->bytes / (tm->ms * 1e-3) * 1e-9 : NAN;
                    snprintf(c[0], 48, "%s", net->name);
                    snprintf(c[1], 48, "%d", o->batches[bi]);
                    snprintf(c[2], 48, "%s", L->name);
                    snprintf(c[3], 48, "%zu", res.rows);
                    snprintf(c[4], 48, "%zu", res.da);
                    snprintf(c[5], 48, "%zu", res.dg);
                    snprintf(c[6], 48, "%s", OP_NAMES[op]);
                    snprintf(c[7], 48, "%.4f", tm->ms);
                    snprintf(c[8], 48, "%.4f", tm->lo);
                    snprintf(c[9], 48, "%.4f", tm->hi);
                    if (isnan(gf)) c[10][0] = '\0'; else snprintf(c[10], 48, "%.2f", gf);
                    if (isnan(gb)) c[11][0] = '\0'; else snprintf(c[11], 48, "%.2f", gb);
                    if (isnan(gf)) c[12][0] = '\0'; else snprintf(c[12], 48, "%.3f", gf / sg);
                    ratio_text(c[13], gf, hsg);
                    const char *row[14];
                    for (int i = 0; i < 14; i++) row[i] = c[i];
                    clkfac_table_add_row(t, row);
                }
                double agf = res.op[OP_A].flops / (res.op[OP_A].ms * 1e-3) * 1e-9;
                double ggf = res.op[OP_G].flops / (res.op[OP_G].ms * 1e-3) * 1e-9;
                double pgf = res.op[OP_PRECOND].flops / (res.op[OP_PRECOND].ms * 1e-3) * 1e-9;
                snprintf(c[0], 48, "%s", net->name);
                snprintf(c[1], 48, "%d", o->batches[bi]);
                snprintf(c[2], 48, "%s (%zux%zu, %zu)", L->name, res.da, res.da, res.dg);
                if (L->conv) snprintf(c[3], 48, "%.3f", res.op[OP_PATCHES].ms); else snprintf(c[3], 48, "-");
                snprintf(c[4], 48, "%.3f", res.op[OP_A].ms);
                snprintf(c[5], 48, "%.3f", res.op[OP_G].ms);
                snprintf(c[6], 48, "%.3f", res.op[OP_EMA].ms);
                snprintf(c[7], 48, "%.3f", res.op[OP_INV].ms);
                snprintf(c[8], 48, "%.3f", res.op[OP_PRECOND].ms);
                snprintf(c[9], 48, "%.3f", total);
                snprintf(c[10], 48, "%.1f", agf);
                snprintf(c[11], 48, "%.2f", agf / sg);
                snprintf(c[12], 48, "%.2f", ggf / sg);
                ratio_text(c[13], agf, hsg);
                ratio_text(c[14], ggf, hsg);
                ratio_text(c[15], pgf, hsg);
                const char *row[16];
                for (int i = 0; i < 16; i++) row[i] = c[i];
                clkfac_table_add_row(s, row);
            }
        }
    }
    if (tty) fprintf(stderr, "\r\033[K");
    char *prov = NULL;
    if (!rc && !(st = clkfac_provenance(&prov, ctx))) {
        char notes[1536];
        snprintf(notes, sizeof notes,
                 "Device SGEMM (%s engine, %zu^3, same run): **%.1f GFLOP/s**. %sMedian of %d "
                 "repetitions after %d warm-up, device time from OpenCL profiling events. "
                 "A and G by %s; inverse = factored Tikhonov (damping %g) of both factors by the "
                 "device Cholesky, nominal n^3 flops each. Flops and bytes per op from the op "
                 "table's descriptions (tests/ops/). Ratios are GFLOP/s over the SGEMM "
                 "GFLOP/s.\n",
                 clkfac_blas_engine_name(clkfac_context_profile(ctx)->blas), sgemm_n, sg,
                 host_note, o->reps, o->warmup,
                 strcmp(clkfac_context_device(ctx)->type, "CPU") ? "SYRK (+mirror)" : "GEMM",
                 (double)o->damping);
        printf("SGEMM %zu^3 on %s: %.1f GFLOP/s", sgemm_n, clkfac_context_device(ctx)->name, sg);
        if (!isnan(hsg)) printf("; host BLAS in plain memory: %.1f GFLOP/s", hsg);
        printf("\n\n");
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
