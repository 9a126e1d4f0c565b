/* The device profile (clkfac/device.h): every per-device decision of clkfac in one struct,
 * made once when a context is created from the device's kind and capabilities, and the
 * environment overrides. Modules read ctx->profile instead of comparing device names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ocl.h"
#include "cl/tune.h"
#include "core/text.h"

static const char *const ENGINE_NAMES[] = {"auto", "clblast", "host"};

clkfac_status clkfac_blas_engine_parse(clkfac_blas_engine *out, const char *name)
{
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, ENGINE_NAMES[i])) {
            *out = (clkfac_blas_engine)i;
            return CLKFAC_OK;
        }
    return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "BLAS engine '%s'; expected auto, clblast or host",
                     name ? name : "(null)");
}

const char *clkfac_blas_engine_name(clkfac_blas_engine engine)
{
    return (unsigned)engine < 3 ? ENGINE_NAMES[engine] : "unknown";
}

static const char *const XGEMM_NAMES[CLKFAC_XGEMM_PARAMS] = {
    "GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB",
    "NDIMC", "NWG",  "SA",  "SB",  "STRM",  "STRN",  "VWM", "VWN"};

const char *clkfac_xgemm_param_name(int i)
{
    return i >= 0 && i < CLKFAC_XGEMM_PARAMS ? XGEMM_NAMES[i] : "?";
}

static int parse_xgemm(const char *spec, size_t vals[CLKFAC_XGEMM_PARAMS])
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        char *eq = strchr(tok, '='), *end = NULL;
        if (!eq) return -1;
        *eq = '\0';
        int found = 0;
        for (int i = 0; i < CLKFAC_XGEMM_PARAMS; i++)
            if (!strcmp(tok, XGEMM_NAMES[i])) {
                vals[i] = strtoul(eq + 1, &end, 10);
                found = end != eq + 1 && *end == '\0';
            }
        if (!found) return -1;
    }
    return 0;
}

int ocl_host_blas_capable(const clkfac_context *ctx, const char **why)
{
#ifndef CLKFAC_HAVE_CBLAS
    if (why) *why = "clkfac was built without a host CBLAS (install libopenblas-dev, reconfigure)";
    return 0;
#else
    cl_device_exec_capabilities caps = 0;
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof caps, &caps,
                        NULL) != CL_SUCCESS ||
        !(caps & CL_EXEC_NATIVE_KERNEL)) {
        if (why) *why = "the device does not run native kernels (CL_EXEC_NATIVE_KERNEL)";
        return 0;
    }
    if (why) *why = "";
    return 1;
#endif
}

/* Applies the tuned values to ctx->profile: the shipped default (PoCL CPUs), then the device's
 * database in the cache, unless $CLKFAC_TUNE says otherwise ("off": neither; "shipped": no
 * database; a path: that database). A database that fails its checks is refused (the profile
 * keeps what it had) and the reason lands in profile.tuning_note, which `clkfac devices` and
 * the provenance show. */
static void profile_load_tuning(clkfac_context *ctx, int pocl_cpu)
{
    clkfac_device_profile *p = &ctx->profile;
    snprintf(p->tuning, sizeof p->tuning, "built-in");
    p->tuning_note[0] = '\0';
    const char *mode = getenv("CLKFAC_TUNE");
    if (mode && !strcmp(mode, "off")) {
        snprintf(p->tuning, sizeof p->tuning, "built-in (CLKFAC_TUNE=off)");
        return;
    }
    if (pocl_cpu) {
        if (tune_db_apply(ctx, (const char *)clkfac_tune_pocl_cpu_text, 1, p) == CLKFAC_OK)
            snprintf(p->tuning, sizeof p->tuning, "shipped default (data/tune/pocl-cpu.txt)");
        else /* a defect of the shipped file, caught by test_tune */
            snprintf(p->tuning_note, sizeof p->tuning_note, "shipped default refused: %s",
                     clkfac_last_error());
    }
    if (mode && !strcmp(mode, "shipped")) return;
    char path[1100];
    if (mode && *mode)
        snprintf(path, sizeof path, "%s", mode);
    else
        tune_db_path(ctx, path, sizeof path);
    if (!path[0]) return;
    char *text = NULL;
    size_t len = 0;
    int e = core_read_file(path, &text, &len);
    if (e == ENOENT && !(mode && *mode)) return; /* not tuned yet */
    if (e) {
        snprintf(p->tuning_note, sizeof p->tuning_note, "tuning database %.200s refused: cannot "
                 "read it (%s)", path, strerror(e));
        return;
    }
    if (tune_db_apply(ctx, text, 0, p) == CLKFAC_OK)
        snprintf(p->tuning, sizeof p->tuning, "tuned db %.180s", path);
    else
        snprintf(p->tuning_note, sizeof p->tuning_note, "tuning database %.150s refused (%.40s kept):"
                 " %.160s", path, p->tuning, clkfac_last_error());
    free(text);
}

/* -D options of clkfac's own tunables for kernel program `program` (profile.c). */
const char *ocl_profile_defines(const clkfac_context *ctx, const char *program, char *buf,
                                size_t cap)
{
    buf[0] = '\0';
    if (!strcmp(program, "chol") && ctx->profile.chol_wg)
        snprintf(buf, cap, "-DCHOL_WG=%u", ctx->profile.chol_wg);
    return buf;
}

clkfac_status ocl_profile_build(clkfac_context *ctx, clkfac_blas_engine requested)
{
    clkfac_device_profile *p = &ctx->profile;
    memset(p, 0, sizeof *p);
    const int cpu = !strcmp(ctx->info.type, "CPU");
    const int pocl_cpu = cpu && strstr(ctx->info.platform, "Portable Computing Language") != NULL;
    const char *why = NULL;
    const int host_ok = ocl_host_blas_capable(ctx, &why);
    const char *source = "the context options";
    const char *env = getenv("CLKFAC_BLAS");
    if (requested == CLKFAC_BLAS_AUTO && env && *env) {
        clkfac_status st = clkfac_blas_engine_parse(&requested, env);
        if (st)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "CLKFAC_BLAS='%s': expected auto, clblast or "
                             "host", env);
        source = "CLKFAC_BLAS";
    }
    if ((unsigned)requested > CLKFAC_BLAS_HOST)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "BLAS engine %d; expected auto, clblast or host",
                         (int)requested);
    if (requested == CLKFAC_BLAS_HOST && !host_ok)
        return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "BLAS engine 'host' (from %s) on %s: %s", source,
                         ctx->info.name, why);
    if (requested != CLKFAC_BLAS_AUTO) {
        p->blas = requested;
        snprintf(p->blas_reason, sizeof p->blas_reason, "set by %s", source);
    } else if (cpu && host_ok) {
        /* on a CPU the host's own BLAS is the ceiling: CLBlast's OpenCL kernels reach a
         * fraction of it there (DESIGN.md, `clkfac bench kfac`) */
        p->blas = CLKFAC_BLAS_HOST;
        snprintf(p->blas_reason, sizeof p->blas_reason, "CPU device that runs native kernels");
    } else {
        p->blas = CLKFAC_BLAS_CLBLAST;
        snprintf(p->blas_reason, sizeof p->blas_reason, "%s",
                 cpu ? why : "not a CPU device");
    }
    p->host_threads = ctx->info.compute_units ? ctx->info.compute_units : 1;

    /* The Gram X^T X of the K-FAC factors: on CPU devices CLBlast's GEMM over blocks of 4096
     * rows beat its SYRK (it pads and transposes both operands into temporaries, and the blocks
     * keep those in cache: 45 -> 133 GFLOP/s for 256 x 256 x 256000 on PoCL). Elsewhere SYRK
     * does half the flops in one call. */
    p->gram_by_gemm = cpu;
    p->gram_row_block = cpu ? 4096 : 0;
    /* tuned values: the shipped default for PoCL CPUs (CLBlast has no entry for them; its
     * defaults run far below the hardware, DESIGN.md), then this device's database from
     * `clkfac tune`; the environment overrides below win over both */
    profile_load_tuning(ctx, pocl_cpu);
    const char *xg = getenv("CLKFAC_XGEMM");
    if (xg && *xg) {
        if (!strcmp(xg, "default")) {
            p->xgemm_override = 0; /* CLBlast's own Xgemm and direct/indirect threshold */
            p->gemm_min_indirect = 0;
        }
        else if (parse_xgemm(xg, p->xgemm) != 0)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "CLKFAC_XGEMM='%s': expected NAME=value pairs with names among GEMMK "
                             "KREG KWG KWI MDIMA MDIMC MWG NDIMB NDIMC NWG SA SB STRM STRN VWM "
                             "VWN, or 'default'", xg);
        else
            p->xgemm_override = 1;
    }
    /* CLBlast sends GEMMs with m*n*k below MIN_INDIRECT^3 to its "direct" kernel, whose
     * defaults run at 6-8 GFLOP/s under PoCL, against 45-90 for the tuned indirect kernel on
     * the thin K-FAC and network shapes (80x512x3137, 1024x1024x80; `bench kfac`). Tiny GEMMs
     * (small MLPs) stay direct: one launch instead of pad + multiply + copy. */
    const char *mi = getenv("CLKFAC_GEMM_MIN_INDIRECT");
    if (mi && *mi) {
        char *end = NULL;
        unsigned long v = strtoul(mi, &end, 10);
        if (*end != '\0' || v == 0 || v > 100000)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "CLKFAC_GEMM_MIN_INDIRECT='%s': expected a "
                             "whole number in [1, 100000]", mi);
        p->gemm_min_indirect = (unsigned)v;
    }
    /* Conv's memory-bound ops (patch expansion, col2im, activation + layout change) follow
     * the BLAS engine: with the host engine the device is the host's cores, and plain C over
     * the buffers beats PoCL's compiled kernels there (col2im several times over, `clkfac
     * bench step` on the Atari CNN; README "Notes on speed"). $CLKFAC_CONV=host|opencl forces
     * one (host needs native kernels). */
    p->conv_host = p->blas == CLKFAC_BLAS_HOST;
    const char *cv = getenv("CLKFAC_CONV");
    if (cv && *cv) {
        if (!strcmp(cv, "opencl"))
            p->conv_host = 0;
        else if (!strcmp(cv, "host")) {
            cl_device_exec_capabilities caps = 0;
            if (clGetDeviceInfo(ctx->device, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof caps,
                                &caps, NULL) != CL_SUCCESS ||
                !(caps & CL_EXEC_NATIVE_KERNEL))
                return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "CLKFAC_CONV=host on %s: the device "
                                 "does not run native kernels", ctx->info.name);
            p->conv_host = 1;
        } else
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "CLKFAC_CONV='%s': expected host or "
                             "opencl", cv);
    }
    /* with host tasks, the input gradient's patch gradient in chunks of 1M floats (4 MB, in
     * the CPU's cache) between the GEMM that writes it and col2im that reads it */
    p->conv_dx_chunk = p->conv_host ? (size_t)1 << 20 : 0;
    return CLKFAC_OK;
}

const clkfac_device_profile *clkfac_context_profile(const clkfac_context *ctx)
{
    return &ctx->profile;
}

char *clkfac_device_profile_text(char *out, size_t cap, const clkfac_device_profile *p)
{
    size_t n = 0;
#define PUT(...)                                                                                \
    do {                                                                                        \
        if (n < cap) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__);                      \
    } while (0)
    if (cap) out[0] = '\0';
    PUT("blas=%s (%s", clkfac_blas_engine_name(p->blas), p->blas_reason);
    if (p->blas == CLKFAC_BLAS_HOST) PUT("; %u threads", p->host_threads);
    PUT("); gram=%s", p->gram_by_gemm ? "gemm" : "syrk");
    if (p->gram_by_gemm && p->gram_row_block) PUT("/%zu rows", p->gram_row_block);
    PUT("; clblast_xgemm=");
    if (!p->xgemm_override) PUT("default");
    for (int i = 0; p->xgemm_override && i < CLKFAC_XGEMM_PARAMS; i++)
        PUT("%s%s=%zu", i ? "," : "", XGEMM_NAMES[i], p->xgemm[i]);
    if (p->gemm_min_indirect) PUT("; clblast_min_indirect=%u", p->gemm_min_indirect);
    PUT("; conv=%s", p->conv_host ? "host" : "opencl");
    if (p->conv_dx_chunk) PUT("; conv_dx_chunk=%zu", p->conv_dx_chunk);
    for (int k = 0; k < CLKFAC_CLBLAST_TUNED; k++) {
        if (!((p->clblast_set >> k) & 1u)) continue;
        PUT("; clblast_%s=", clkfac_clblast_kernel_name(k));
        for (int i = 0; i < clkfac_clblast_kernel_params(k); i++)
            PUT("%s%s=%zu", i ? "," : "", clkfac_clblast_param_name(k, i), p->clblast[k][i]);
    }
    if (p->chol_wg) PUT("; chol_wg=%u", p->chol_wg);
    if (p->tuning[0]) PUT("; tuning=%s", p->tuning);
    if (p->tuning_note[0]) PUT("; NOTE %s", p->tuning_note);
#undef PUT
    return out;
}
