/* `clkfac kfac`: K-FAC factors A and G of one conv or dense layer, and optionally the damped
 * preconditioned gradient, from .npy files. Every input is checked (options, dtypes, shapes)
 * before the device is touched (exit 2); outputs are written only after all device work and
 * health checks passed (exit 1 otherwise, with no output files), as one set: all or none. */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define EIGEN_CLIP 1e-6f /* the ACKTR reference's eigenvalue floor */

/* Evaluates a clkfac call; on error jumps to the local `cleanup` with st set. */
#define TRY(expr)                          \
    do {                                   \
        st = (expr);                       \
        if (st != CLKFAC_OK) goto cleanup; \
    } while (0)

typedef enum { LAYER_NONE, LAYER_CONV, LAYER_DENSE } layer_kind;
typedef enum { METHOD_TIKHONOV, METHOD_EIGEN } precond_method;

typedef struct kfac_args {
    layer_kind layer;
    long in_c, out_c, in_f, out_f;
    long kh, kw, sh, sw, ph, pw, dh, dw;
    int bias;
    const char *x_path, *g_path, *dw_path, *out_dir, *device;
    double damping;
    precond_method method;
    /* which options were given, for "required" and "does not apply" checks */
    const char *seen_conv_opt;   /* first conv-only option seen (for a dense layer error) */
    const char *seen_dense_opt;  /* first dense-only option seen (for a conv layer error) */
    int have_damping, have_method;
} kfac_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clkfac kfac --layer conv --in-channels C --out-channels K --kernel KHxKW\n"
            "                   [--stride S] [--padding P] [--dilation D] [--bias]\n"
            "                   --activations x.npy --output-grads g.npy\n"
            "                   [--weight-grad dw.npy [--damping LAMBDA]\n"
            "                    [--method tikhonov|eigen]] --out DIR [--device SPEC]\n"
            "       clkfac kfac --layer dense --in-features D --out-features K [--bias]\n"
            "                   ...the same inputs and options...\n"
            "\n"
            "Computes the K-FAC Kronecker factors of one layer on an OpenCL device and writes\n"
            "DIR/A.npy and DIR/G.npy (float32), creating DIR if needed; with --weight-grad also\n"
            "DIR/precond.npy, the damped natural gradient G^-1 dW A^-1 (same shape as dw).\n"
            "\n"
            "inputs: .npy, little-endian float32 '<f4' ('<f8' is accepted, rounded to float32)\n"
            "  x.npy   layer inputs: (N,C,H,W) for conv, (N,D) for dense\n"
            "  g.npy   per-example output gradients ds_i = d(-log p(y_i|x_i))/ds_i:\n"
            "          (N,K,H_out,W_out) for conv, (N,K) for dense\n"
            "  dw.npy  weight gradient: (K,C*KH*KW) or (K,C,KH,KW) for conv, (K,D) for dense;\n"
            "          with --bias one more column, the bias gradient, last\n"
            "\n"
            "factors: conv  A = (1/N) P^T P over the im2col patches P (rows (n,oy,ox), columns\n"
            "               (c,ky,kx), then a ones column with --bias), G = (1/(N*T)) sum g g^T\n"
            "               over examples and the T = H_out*W_out output locations\n"
            "         dense A = (1/N) x^T x (x with a ones column with --bias), G = (1/N) g^T g\n"
            "\n"
            "options:\n"
            "  --kernel, --stride, --padding, --dilation  'N' or 'NHxNW' (defaults: stride 1,\n"
            "                     padding 0, dilation 1)\n"
            "  --bias             the layer has a bias: homogeneous coordinate appended to A\n"
            "  --damping LAMBDA   damping (default 0.01)\n"
            "  --method tikhonov  factored Tikhonov (default): (A + pi sqrt(L) I)^-1 and\n"
            "                     (G + sqrt(L)/pi I)^-1,\n"
            "                     pi = sqrt((tr A/dim A) / (tr G/dim G))\n"
            "  --method eigen     eigen-decompositions of A and G (eigenvalues < 1e-6 set to 0),\n"
            "                     v = Q_G [(Q_G^T dW Q_A) / (d_G d_A^T + L)] Q_A^T (ACKTR's rule)\n"
            "  --device SPEC      P:D, cpu, gpu or part of a device name (or CLKFAC_DEVICE)\n"
            "\n"
            "exit status: 0 success; 2 bad options or input files (nothing computed);\n"
            "1 device failure or non-finite / non-positive-definite data (no files written)\n");
}

/* "N" or "AxB" into *a, *b (both N for the single form), each within [lo, hi]. */
static int parse_pair(const char *opt, const char *s, long lo, long hi, long *a, long *b)
{
    const char *x = strchr(s, 'x');
    if (!x) {
        if (cli_parse_long(opt, s, lo, hi, a)) return -1;
        *b = *a;
        return 0;
    }
    if (strchr(x + 1, 'x') || x == s || x[1] == '\0') {
        cli_usage_error("%s '%s': expected N or NHxNW, e.g. 3 or 3x3", opt, s);
        return -1;
    }
    char first[64];
    size_t n = (size_t)(x - s);
    if (n >= sizeof first) {
        cli_usage_error("%s '%s': expected N or NHxNW, e.g. 3 or 3x3", opt, s);
        return -1;
    }
    memcpy(first, s, n);
    first[n] = '\0';
    if (cli_parse_long(opt, first, lo, hi, a)) return -1;
    if (cli_parse_long(opt, x + 1, lo, hi, b)) return -1;
    return 0;
}

/* "3" for a square pair, "3x2" otherwise: how a pair is echoed back in messages. */
static const char *pair_str(char *buf, size_t cap, long a, long b)
{
    if (a == b) snprintf(buf, cap, "%ld", a);
    else snprintf(buf, cap, "%ldx%ld", a, b);
    return buf;
}

/* The command line as the option table reads it; pairs stay text until parse_pair. */
typedef struct kfac_cli {
    int layer, in_c, out_c, in_f, out_f, bias, method;
    const char *kernel, *stride, *padding, *dilation;
    const char *x_path, *g_path, *dw_path, *out_dir, *device;
    double damping;
} kfac_cli;

/* Row order: the conv-only rows, then the dense-only rows, as the checks below read them. */
enum { K_LAYER, K_IN_C, K_OUT_C, K_KERNEL, K_STRIDE, K_PADDING, K_DILATION, K_IN_F, K_OUT_F,
       K_BIAS, K_DAMPING, K_METHOD };
#define DIM_MAX (1 << 24) /* far above any real layer, and keeps products in range */
static const clkfac_option KFAC_OPTIONS[] = {
    CLI_OPTION_CHOICES(ENUM, kfac_cli, layer, "--layer", 0,
                       ((const char *const[]){"conv", "dense", NULL}), "the layer's kind"),
    CLI_OPTION(INT, kfac_cli, in_c, "--in-channels", "C", 1, DIM_MAX, 0, "conv input channels"),
    CLI_OPTION(INT, kfac_cli, out_c, "--out-channels", "K", 1, DIM_MAX, 0, "conv filters"),
    CLI_OPTION(STRING, kfac_cli, kernel, "--kernel", "KHxKW", 0, 0, 0, "conv kernel"),
    CLI_OPTION(STRING, kfac_cli, stride, "--stride", "S", 0, 0, 0, "conv stride"),
    CLI_OPTION(STRING, kfac_cli, padding, "--padding", "P", 0, 0, 0, "conv padding"),
    CLI_OPTION(STRING, kfac_cli, dilation, "--dilation", "D", 0, 0, 0, "conv dilation"),
    CLI_OPTION(INT, kfac_cli, in_f, "--in-features", "D", 1, DIM_MAX, 0, "dense inputs"),
    CLI_OPTION(INT, kfac_cli, out_f, "--out-features", "K", 1, DIM_MAX, 0, "dense outputs"),
    CLI_OPTION(BOOL, kfac_cli, bias, "--bias", NULL, 0, 1, 0, "the layer has a bias"),
    /* damping must be positive: with 0 both rules divide by (near) zero */
    CLI_OPTION(DOUBLE, kfac_cli, damping, "--damping", "LAMBDA", 1e-30, 1e30, 0.01, "damping"),
    CLI_OPTION_CHOICES(ENUM, kfac_cli, method, "--method", 0,
                       ((const char *const[]){"tikhonov", "eigen", NULL}), "damping rule"),
    CLI_OPTION(STRING, kfac_cli, x_path, "--activations", "x.npy", 0, 0, 0, "layer inputs"),
    CLI_OPTION(STRING, kfac_cli, g_path, "--output-grads", "g.npy", 0, 0, 0, "output gradients"),
    CLI_OPTION(STRING, kfac_cli, dw_path, "--weight-grad", "dw.npy", 0, 0, 0, "weight gradient"),
    CLI_OPTION(STRING, kfac_cli, out_dir, "--out", "DIR", 0, 0, 0, "results folder"),
    CLI_OPTION(STRING, kfac_cli, device, "--device", "SPEC", 0, 0, 0, "OpenCL device"),
};

/* Returns 1 to continue, 0 after --help, or -(exit code) on a usage error. */
static int parse_args(kfac_args *a, int argc, char **argv)
{
    kfac_cli c;
    memset(&c, 0, sizeof c);
    cli_defaults(KFAC_OPTIONS, sizeof KFAC_OPTIONS / sizeof KFAC_OPTIONS[0], &c);
    uint64_t given = 0;
    cli_table t = {KFAC_OPTIONS, sizeof KFAC_OPTIONS / sizeof KFAC_OPTIONS[0], &c, &given};
    int r = cli_parse("kfac", argc, argv, &t, 1);
    if (r < 0) {
        usage(stdout);
        return 0;
    }
    if (r) return -r;
#define GIVEN(k) ((given >> (k)) & 1)
    memset(a, 0, sizeof *a);
    a->layer = GIVEN(K_LAYER) ? (c.layer ? LAYER_DENSE : LAYER_CONV) : LAYER_NONE;
    a->in_c = GIVEN(K_IN_C) ? c.in_c : -1;
    a->out_c = GIVEN(K_OUT_C) ? c.out_c : -1;
    a->in_f = GIVEN(K_IN_F) ? c.in_f : -1;
    a->out_f = GIVEN(K_OUT_F) ? c.out_f : -1;
    a->kh = a->kw = -1;
    a->sh = a->sw = a->dh = a->dw = 1;
    if ((c.kernel && parse_pair("--kernel", c.kernel, 1, 4096, &a->kh, &a->kw)) ||
        (c.stride && parse_pair("--stride", c.stride, 1, 1 << 16, &a->sh, &a->sw)) ||
        (c.padding && parse_pair("--padding", c.padding, 0, 1 << 16, &a->ph, &a->pw)) ||
        (c.dilation && parse_pair("--dilation", c.dilation, 1, 1 << 16, &a->dh, &a->dw)))
        return -CLI_USAGE;
    a->bias = c.bias;
    a->x_path = c.x_path;
    a->g_path = c.g_path;
    a->dw_path = c.dw_path;
    a->out_dir = c.out_dir;
    a->device = c.device;
    a->damping = c.damping;
    a->method = c.method ? METHOD_EIGEN : METHOD_TIKHONOV;
    for (int k = K_OUT_F; k >= K_IN_C; k--) /* the first given of each kind */
        if (GIVEN(k)) *(k >= K_IN_F ? &a->seen_dense_opt : &a->seen_conv_opt) = KFAC_OPTIONS[k].flag;
    a->have_damping = GIVEN(K_DAMPING);
    a->have_method = GIVEN(K_METHOD);
#undef GIVEN

    /* required options and options that do not fit the layer */
    if (a->layer == LAYER_NONE) {
        cli_usage_error("kfac: missing --layer conv|dense");
        return -CLI_USAGE;
    }
    if (a->layer == LAYER_CONV) {
        if (a->seen_dense_opt) {
            cli_usage_error("kfac: %s applies to --layer dense, not conv", a->seen_dense_opt);
            return -CLI_USAGE;
        }
        const char *miss = a->in_c < 0 ? "--in-channels C" : a->out_c < 0 ? "--out-channels K"
                           : a->kh < 0 ? "--kernel KHxKW" : NULL;
        if (miss) {
            cli_usage_error("kfac: missing %s (required with --layer conv)", miss);
            return -CLI_USAGE;
        }
    } else {
        if (a->seen_conv_opt) {
            cli_usage_error("kfac: %s applies to --layer conv, not dense", a->seen_conv_opt);
            return -CLI_USAGE;
        }
        const char *miss = a->in_f < 0 ? "--in-features D" : a->out_f < 0 ? "--out-features K"
                                                                           : NULL;
        if (miss) {
            cli_usage_error("kfac: missing %s (required with --layer dense)", miss);
            return -CLI_USAGE;
        }
    }
    const char *miss = !a->x_path ? "--activations x.npy" : !a->g_path ? "--output-grads g.npy"
                       : !a->out_dir ? "--out DIR" : NULL;
    if (miss) {
        cli_usage_error("kfac: missing %s", miss);
        return -CLI_USAGE;
    }
    if (!*a->out_dir) {
        cli_usage_error("kfac: --out: empty directory name");
        return -CLI_USAGE;
    }
    /* "out/" and "out" are the same directory; trimming keeps printed paths clean (argv
     * strings are writable) */
    for (size_t n = strlen(a->out_dir); n > 1 && a->out_dir[n - 1] == '/'; n--)
        ((char *)a->out_dir)[n - 1] = '\0';
    if (!a->dw_path && (a->have_damping || a->have_method)) {
        /* silently ignoring them would hide a forgotten --weight-grad */
        cli_usage_error("kfac: %s only affects the preconditioned gradient; add --weight-grad "
                        "dw.npy",
                        a->have_damping ? "--damping" : "--method");
        return -CLI_USAGE;
    }
    return 1;
}

/* Reads one input; any failure is the user's input (missing, unreadable or malformed file), so
 * it is a usage error, except running out of memory. */
static int read_input(clkfac_array *out, const char *opt, const char *path)
{
    clkfac_status st = clkfac_npy_read(out, path);
    if (!st) return 0;
    char what[64];
    snprintf(what, sizeof what, "kfac: %s", opt);
    cli_fail(what, st);
    return st == CLKFAC_ERR_NO_MEMORY ? -CLI_RUNTIME : -CLI_USAGE;
}

static int shape_equal(const clkfac_array *a, int ndim, const size_t *shape)
{
    if (a->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (a->shape[i] != shape[i]) return 0;
    return 1;
}

/* Everything the device phase needs, derived from the arguments and the checked shapes. */
typedef struct kfac_plan {
    clkfac_conv_geom geom;
    size_t n, da, dg;        /* examples, dim A, dim G */
    size_t x_len, g_len, dw_len;
} kfac_plan;

/* Checks x, g and dw against the options; prints a message naming both shapes on mismatch.
 * Returns 0 or -CLI_USAGE. */
static int check_shapes(kfac_plan *pl, const kfac_args *a, const clkfac_array *x,
                        const clkfac_array *g, const clkfac_array *dw)
{
    char xs[96], gs[96], ws[96], want[96];
    clkfac_shape_str(xs, sizeof xs, x->ndim, x->shape);
    clkfac_shape_str(gs, sizeof gs, g->ndim, g->shape);
    memset(pl, 0, sizeof *pl);
    if (a->layer == LAYER_CONV) {
        long c = a->in_c, k = a->out_c;
        if (x->ndim != 4 || x->shape[1] != (size_t)c) {
            return -cli_usage_error("kfac: %s has shape %s but --layer conv with --in-channels "
                                    "%ld needs (N,%ld,H,W)",
                                    a->x_path, xs, c, c);
        }
        for (int i = 0; i < 4; i++) {
            if (x->shape[i] == 0 || x->shape[i] > INT_MAX) {
                return -cli_usage_error("kfac: %s has shape %s; expected every dimension in "
                                        "[1, %d]",
                                        a->x_path, xs, INT_MAX);
            }
        }
        clkfac_conv_geom *q = &pl->geom;
        q->n = (int)x->shape[0];
        q->c = (int)c;
        q->h = (int)x->shape[2];
        q->w = (int)x->shape[3];
        q->kh = (int)a->kh;
        q->kw = (int)a->kw;
        q->stride_h = (int)a->sh;
        q->stride_w = (int)a->sw;
        q->pad_h = (int)a->ph;
        q->pad_w = (int)a->pw;
        q->dil_h = (int)a->dh;
        q->dil_w = (int)a->dw;
        q->bias = a->bias;
        char kb[48], sb[48], pb[48], db[48];
        snprintf(kb, sizeof kb, "%ldx%ld", a->kh, a->kw); /* kernels read best as 3x3 */
        pair_str(sb, sizeof sb, a->sh, a->sw);
        pair_str(pb, sizeof pb, a->ph, a->pw);
        pair_str(db, sizeof db, a->dh, a->dw);
        /* the dilated kernel must fit the padded input; said here in the user's terms */
        long eff_h = a->dh * (a->kh - 1) + 1, eff_w = a->dw * (a->kw - 1) + 1;
        long in_h = (long)q->h + 2 * a->ph, in_w = (long)q->w + 2 * a->pw;
        if (eff_h > in_h || eff_w > in_w) {
            return -cli_usage_error("kfac: kernel %s with dilation %s spans %ldx%ld but the "
                                    "input %s from %s, padded by %s, is only %ldx%ld",
                                    kb, db, eff_h, eff_w, xs, a->x_path, pb, in_h, in_w);
        }
        int ho = 0, wo = 0;
        clkfac_status st = clkfac_conv_out_size(&ho, &wo, q);
        if (st) return -cli_fail("kfac: conv geometry", st);
        size_t gw[4] = {x->shape[0], (size_t)k, (size_t)ho, (size_t)wo};
        if (!shape_equal(g, 4, gw)) {
            clkfac_shape_str(want, sizeof want, 4, gw);
            return -cli_usage_error("kfac: %s has shape %s but --out-channels %ld with input %s, "
                                    "kernel %s, stride %s, padding %s%s%s needs %s",
                                    a->g_path, gs, k, xs, kb, sb, pb,
                                    (a->dh != 1 || a->dw != 1) ? ", dilation " : "",
                                    (a->dh != 1 || a->dw != 1) ? db : "", want);
        }
        pl->n = x->shape[0];
        pl->da = (size_t)c * (size_t)a->kh * (size_t)a->kw + (size_t)a->bias;
        pl->dg = (size_t)k;
        if (dw) {
            size_t w2[2] = {pl->dg, pl->da};
            size_t w4[4] = {pl->dg, (size_t)c, (size_t)a->kh, (size_t)a->kw};
            /* (K,C,KH,KW) is the same memory as (K, C*KH*KW), PyTorch's layout */
            if (!shape_equal(dw, 2, w2) && (a->bias || !shape_equal(dw, 4, w4))) {
                clkfac_shape_str(ws, sizeof ws, dw->ndim, dw->shape);
                clkfac_shape_str(want, sizeof want, 2, w2);
                return -cli_usage_error("kfac: %s has shape %s but --out-channels %ld, "
                                        "--in-channels %ld, kernel %s%s need %s",
                                        a->dw_path, ws, k, c, kb,
                                        a->bias ? " and --bias (last column)" : "", want);
            }
        }
    } else {
        long d = a->in_f, k = a->out_f;
        if (x->ndim != 2 || x->shape[1] != (size_t)d || x->shape[0] == 0) {
            return -cli_usage_error("kfac: %s has shape %s but --layer dense with --in-features "
                                    "%ld needs (N,%ld) with N >= 1",
                                    a->x_path, xs, d, d);
        }
        size_t gw[2] = {x->shape[0], (size_t)k};
        if (!shape_equal(g, 2, gw)) {
            clkfac_shape_str(want, sizeof want, 2, gw);
            return -cli_usage_error("kfac: %s has shape %s but --out-features %ld with input %s "
                                    "needs %s",
                                    a->g_path, gs, k, xs, want);
        }
        pl->n = x->shape[0];
        pl->da = (size_t)d + (size_t)a->bias;
        pl->dg = (size_t)k;
        if (dw) {
            size_t w2[2] = {pl->dg, pl->da};
            if (!shape_equal(dw, 2, w2)) {
                clkfac_shape_str(ws, sizeof ws, dw->ndim, dw->shape);
                clkfac_shape_str(want, sizeof want, 2, w2);
                return -cli_usage_error("kfac: %s has shape %s but --out-features %ld, "
                                        "--in-features %ld%s need %s",
                                        a->dw_path, ws, k, d,
                                        a->bias ? " and --bias (last column)" : "", want);
            }
        }
    }
    pl->x_len = clkfac_array_size(x);
    pl->g_len = clkfac_array_size(g);
    pl->dw_len = dw ? clkfac_array_size(dw) : 0;
    return 0;
}

/* The output set is A.npy, G.npy and (with --weight-grad) precond.npy. --out must be missing,
 * empty, or hold only a previous set, because the new set replaces the folder as a whole: it is
 * written into a staging folder beside DIR, then swapped with DIR in one rename, so a kill or a
 * full disk leaves either the old set or the new one, never a mix. */
static const char *const OUTPUTS[] = {"A.npy", "G.npy", "precond.npy"};

static int is_output_name(const char *name)
{
    for (size_t i = 0; i < sizeof OUTPUTS / sizeof OUTPUTS[0]; i++)
        if (!strcmp(name, OUTPUTS[i])) return 1;
    return 0;
}

/* Usage-checks --out before anything is read or created; 0 or -CLI_USAGE. */
static int check_out_dir(const char *dir)
{
    clkfac_status st = clkfac_dir_check(dir);
    if (st) return -cli_usage_error("kfac: --out %s: %s", dir, clkfac_last_error());
    DIR *d = opendir(dir);
    if (!d) return 0; /* missing: created at the end */
    struct dirent *e;
    const char *other = NULL;
    while (!other && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !is_output_name(e->d_name))
            other = e->d_name;
    int rc = other ? -cli_usage_error("kfac: --out %s holds '%s'; expected a new or empty "
                                      "folder, or one holding only a previous result (A.npy, "
                                      "G.npy, precond.npy), which is replaced as a whole",
                                      dir, other)
                   : 0;
    closedir(d);
    return rc;
}

/* Removes a staging or replaced folder holding only output files (and npy temporaries). */
static void remove_set(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

/* fsync of a folder, so a rename in it is on disk before the command reports success. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

/* Host results of the device phase. */
typedef struct kfac_result {
    float *a, *g, *v;
} kfac_result;

/* Uploads, computes and reads back; prints the error and returns -CLI_RUNTIME (or the code
 * cli_fail chooses) on failure. */
static int run_device(kfac_result *res, const kfac_args *a, const kfac_plan *pl,
                      const clkfac_array *x, const clkfac_array *g, const clkfac_array *dw)
{
    int rc = 0;
    clkfac_status st = CLKFAC_OK;
    const char *stage = "opening the device";
    cl_mem bx = NULL, bg = NULL, ba = NULL, bgf = NULL, bdw = NULL, bv = NULL;
    cl_mem ainv = NULL, ginv = NULL, qa = NULL, qg = NULL, eva = NULL, evg = NULL;
    const size_t da = pl->da, dg = pl->dg;
    int ctx_rc = CLI_RUNTIME;
    clkfac_context *ctx = cli_context(a->device, &ctx_rc);
    if (!ctx) return -ctx_rc;

    res->a = malloc(da * da * sizeof(float));
    res->g = malloc(dg * dg * sizeof(float));
    res->v = dw ? malloc(pl->dw_len * sizeof(float)) : NULL;
    if (!res->a || !res->g || (dw && !res->v)) {
        stage = "allocating host memory";
        st = CLKFAC_ERR_NO_MEMORY;
        goto cleanup;
    }

    stage = "uploading the inputs";
    TRY(clkfac_buffer_create(&bx, ctx, pl->x_len));
    TRY(clkfac_buffer_create(&bg, ctx, pl->g_len));
    TRY(clkfac_buffer_create(&ba, ctx, da * da));
    TRY(clkfac_buffer_create(&bgf, ctx, dg * dg));
    TRY(clkfac_buffer_write(ctx, bx, 0, x->data, pl->x_len));
    TRY(clkfac_buffer_write(ctx, bg, 0, g->data, pl->g_len));

    stage = "computing the factors";
    if (a->layer == LAYER_CONV) {
        TRY(clkfac_kfac_conv_factors(ctx, NULL, &pl->geom, (int)dg, bx, 0, bg, 0, ba, 0,
                                              bgf, 0));
    } else {
        TRY(clkfac_kfac_dense_factors(ctx, NULL, pl->n, (size_t)a->in_f, dg, a->bias, bx,
                                               0, bg, 0, ba, 0, bgf, 0));
    }
    /* one health check here so NaN/Inf in the inputs is reported as such, not as a failed
     * factorization further on */
    TRY(clkfac_context_check(ctx));
    TRY(clkfac_buffer_read(ctx, ba, 0, res->a, da * da));
    TRY(clkfac_buffer_read(ctx, bgf, 0, res->g, dg * dg));
    if (!all_finite(res->a, da * da) || !all_finite(res->g, dg * dg)) {
        /* the device flags should have caught this; never write NaN to a file regardless */
        st = CLKFAC_ERR_NONFINITE;
        fprintf(stderr, "clkfac: kfac: %s: %s: the factors are not finite: %s or %s holds NaN "
                        "or Inf (or values too large for float32)\n",
                stage, clkfac_status_str(st), a->x_path, a->g_path);
        rc = -CLI_RUNTIME;
        goto cleanup;
    }

    if (dw) {
        float lambda = (float)a->damping;
        stage = "preconditioning the weight gradient";
        TRY(clkfac_buffer_create(&bdw, ctx, pl->dw_len));
        TRY(clkfac_buffer_create(&bv, ctx, pl->dw_len));
        TRY(clkfac_buffer_write(ctx, bdw, 0, dw->data, pl->dw_len));
        if (a->method == METHOD_TIKHONOV) {
            TRY(clkfac_buffer_create(&ainv, ctx, da * da));
            TRY(clkfac_buffer_create(&ginv, ctx, dg * dg));
            TRY(clkfac_kfac_inverse_tikhonov(ctx, da, ba, 0, dg, bgf, 0, lambda, ainv, 0,
                                                      ginv, 0));
            TRY(clkfac_kfac_precondition(ctx, dg, da, ginv, 0, ainv, 0, bdw, 0, bv, 0));
        } else {
            TRY(clkfac_buffer_create(&qa, ctx, da * da));
            TRY(clkfac_buffer_create(&qg, ctx, dg * dg));
            TRY(clkfac_buffer_create(&eva, ctx, da));
            TRY(clkfac_buffer_create(&evg, ctx, dg));
            TRY(clkfac_kfac_eigen(ctx, da, ba, 0, EIGEN_CLIP, qa, 0, eva, 0));
            TRY(clkfac_kfac_eigen(ctx, dg, bgf, 0, EIGEN_CLIP, qg, 0, evg, 0));
            TRY(clkfac_kfac_precondition_eigen(ctx, dg, da, qg, 0, evg, 0, qa, 0, eva, 0,
                                                        lambda, bdw, 0, bv, 0));
        }
        TRY(clkfac_context_check(ctx));
        TRY(clkfac_buffer_read(ctx, bv, 0, res->v, pl->dw_len));
        if (!all_finite(res->v, pl->dw_len)) {
            st = CLKFAC_ERR_NONFINITE;
            fprintf(stderr, "clkfac: kfac: %s: %s: the preconditioned gradient is not finite "
                            "(NaN/Inf in %s, or damping %g too small for these factors)\n",
                    stage, clkfac_status_str(st), a->dw_path, a->damping);
            rc = -CLI_RUNTIME;
            goto cleanup;
        }
    }

cleanup:
    if (st && !rc) {
        char what[128];
        snprintf(what, sizeof what, "kfac: %s", stage);
        cli_fail(what, st);
        /* after the inputs were checked, whatever fails here is a runtime failure */
        rc = -CLI_RUNTIME;
    }
    cl_mem bufs[] = {bx, bg, ba, bgf, bdw, bv, ainv, ginv, qa, qg, eva, evg};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) clkfac_buffer_free(bufs[i]);
    clkfac_context_free(ctx);
    return rc;
}

/* Writes the set into a staging folder beside dir and swaps it in; prints the error and
 * returns -CLI_RUNTIME on failure, leaving dir as it was. */
static int write_outputs(const char *dir, const float *const data[3], const int ndim[3],
                         const size_t *const shape[3])
{
    char parent[4096], stage[4200], path[4300];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (!slash) snprintf(parent, sizeof parent, ".");
    else if (slash == parent) parent[1] = '\0';
    else *slash = '\0';
    const char *base = slash ? dir + (slash - parent) + 1 : dir;
    snprintf(stage, sizeof stage, "%s/.%s.kfac-XXXXXX", parent, base);
    clkfac_status st = clkfac_mkdir_p(parent);
    if (st || !mkdtemp(stage)) {
        fprintf(stderr, "clkfac: kfac: cannot create a staging folder for --out %s in %s: %s\n",
                dir, parent, st ? clkfac_last_error() : strerror(errno));
        return -CLI_RUNTIME;
    }
    for (int i = 0; i < 3 && !st; i++) {
        if (!data[i]) continue;
        snprintf(path, sizeof path, "%s/%s", stage, OUTPUTS[i]);
        st = clkfac_npy_write(path, data[i], ndim[i], shape[i]);
    }
    if (st) {
        cli_fail("kfac: writing the results", st);
        remove_set(stage);
        return -CLI_RUNTIME;
    }
    mode_t mask = umask(0);
    umask(mask);
    chmod(stage, 0777 & ~mask); /* mkdtemp's 0700 is for the staging only */
    sync_dir(stage);
    /* a missing (or empty) DIR is replaced by one rename; an existing set is exchanged with
     * the new one atomically, then removed */
    int err = 0;
    if (rename(stage, dir) != 0) {
        err = errno;
        if ((err == EEXIST || err == ENOTEMPTY) &&
            renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
            err = 0;
            remove_set(stage); /* now the previous set */
        }
    }
    if (err) {
        fprintf(stderr, "clkfac: kfac: cannot move the results into --out %s: %s\n", dir,
                strerror(err));
        remove_set(stage);
        return -CLI_RUNTIME;
    }
    sync_dir(parent);
    return 0;
}

int cmd_kfac(int argc, char **argv)
{
    kfac_args a;
    int r = parse_args(&a, argc, argv);
    if (r <= 0) return -r;

    int rc = CLI_OK;
    clkfac_array x = {0}, g = {0}, dw = {0};
    kfac_result res = {NULL, NULL, NULL};
    kfac_plan pl;
    if ((r = check_out_dir(a.out_dir)) || (r = read_input(&x, "--activations", a.x_path)) ||
        (r = read_input(&g, "--output-grads", a.g_path)) ||
        (a.dw_path && (r = read_input(&dw, "--weight-grad", a.dw_path))) ||
        (r = check_shapes(&pl, &a, &x, &g, a.dw_path ? &dw : NULL))) {
        rc = -r;
        goto done;
    }
    if ((r = run_device(&res, &a, &pl, &x, &g, a.dw_path ? &dw : NULL))) {
        rc = -r;
        goto done;
    }

    /* everything succeeded: only now touch the output directory */
    size_t sa[2] = {pl.da, pl.da}, sg[2] = {pl.dg, pl.dg};
    const float *const data[3] = {res.a, res.g, a.dw_path ? res.v : NULL};
    const int ndim[3] = {2, 2, dw.ndim};
    const size_t *const shape[3] = {sa, sg, dw.shape};
    if ((r = write_outputs(a.out_dir, data, ndim, shape))) {
        rc = -r;
        goto done;
    }
    char s1[64], s2[64], s3[96];
    printf("wrote %s/A.npy %s, %s/G.npy %s", a.out_dir, clkfac_shape_str(s1, sizeof s1, 2, sa),
           a.out_dir, clkfac_shape_str(s2, sizeof s2, 2, sg));
    if (a.dw_path) {
        printf(", %s/precond.npy %s (%s, damping %g)", a.out_dir,
               clkfac_shape_str(s3, sizeof s3, dw.ndim, dw.shape),
               a.method == METHOD_EIGEN ? "eigen" : "tikhonov", a.damping);
    }
    printf("\n");

done:
    free(res.a);
    free(res.g);
    free(res.v);
    clkfac_array_free(&x);
    clkfac_array_free(&g);
    clkfac_array_free(&dw);
    return rc;
}
