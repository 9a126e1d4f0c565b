/* The per-device tuning database (format in cl/tune.h) and the parameter spaces of the CLBlast
 * kernels clkfac tunes. Parsing is strict: an unknown key, a missing parameter, a value outside
 * the kernel's constraints or a bad checksum refuses the whole file, so a database is used
 * entirely or not at all. */
#include <clblast_c.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl/tune.h"
#include "cl_sources.h"
#include "core/text.h"

#define P(name, ...)                                                                            \
    {                                                                                          \
        name, (int)(sizeof((size_t[]){__VA_ARGS__}) / sizeof(size_t)), { __VA_ARGS__ }         \
    }

/* The search spaces: the values the tuner tries (a database may hold any value that meets the
 * constraints). Names and meanings are CLBlast 1.5's (doc/tuning.md and its kernels). */
static const tune_kernel KERNELS[TUNE_KERNELS] = {
    {"XgemmDirect", 10,
     {P("KWID", 2, 4, 8, 16), P("MDIMAD", 8, 16, 32), P("MDIMCD", 8, 16, 32),
      P("NDIMBD", 8, 16, 32), P("NDIMCD", 8, 16, 32), P("PADA", 0, 1), P("PADB", 0, 1),
      P("VWMD", 1, 2, 4, 8), P("VWND", 1, 2, 4, 8), P("WGD", 8, 16, 32, 64)}},
    {"Xgemv", 2, {P("WGS1", 32, 64, 128, 256), P("WPT1", 1, 2, 4)}},
    {"Copy", 4,
     {P("COPY_DIMX", 8, 16, 32), P("COPY_DIMY", 8, 16, 32), P("COPY_VW", 1, 2, 4, 8),
      P("COPY_WPT", 1, 2, 4, 8)}},
    {"Pad", 4,
     {P("PAD_DIMX", 8, 16, 32), P("PAD_DIMY", 8, 16, 32), P("PAD_WPTX", 1, 2, 4),
      P("PAD_WPTY", 1, 2, 4)}},
    {"Transpose", 4,
     {P("TRA_DIM", 4, 8, 16, 32), P("TRA_PAD", 0, 1), P("TRA_SHUFFLE", 0, 1),
      P("TRA_WPT", 1, 2, 4, 8, 16)}},
    {"Padtranspose", 3,
     {P("PADTRA_PAD", 0, 1), P("PADTRA_TILE", 8, 16, 32), P("PADTRA_WPT", 1, 2, 4, 8, 16)}},
    {"Xgemm", 16,
     {P("GEMMK", 0), P("KREG", 1), P("KWG", 16, 32, 64), P("KWI", 2, 4, 8, 16),
      P("MDIMA", 8, 16), P("MDIMC", 8, 16), P("MWG", 32, 64, 128), P("NDIMB", 8, 16),
      P("NDIMC", 8, 16), P("NWG", 32, 64, 128), P("SA", 0, 1), P("SB", 0, 1), P("STRM", 0),
      P("STRN", 0), P("VWM", 1, 2, 4, 8, 16), P("VWN", 1, 2, 4, 8)}},
};
#undef P

const tune_kernel *tune_kernel_get(int k)
{
    return k >= 0 && k < TUNE_KERNELS ? &KERNELS[k] : NULL;
}

const char *clkfac_clblast_kernel_name(int k)
{
    return k >= 0 && k < CLKFAC_CLBLAST_TUNED ? KERNELS[k].name : NULL;
}

int clkfac_clblast_kernel_params(int k)
{
    return k >= 0 && k < CLKFAC_CLBLAST_TUNED ? KERNELS[k].n_params : 0;
}

const char *clkfac_clblast_param_name(int k, int i)
{
    if (k < 0 || k >= CLKFAC_CLBLAST_TUNED || i < 0 || i >= KERNELS[k].n_params) return NULL;
    return KERNELS[k].params[i].name;
}

static int pow2(size_t x) { return x && !(x & (x - 1)); }
static int divides(size_t a, size_t b) { return a && b % a == 0; } /* a | b */

int tune_valid(int k, const size_t *v, size_t max_wg, uint64_t local_mem)
{
    const tune_kernel *t = tune_kernel_get(k);
    if (!t) return 0;
    size_t wg = 0, lmem = 0;
    switch (k) {
    case 0: { /* XgemmDirect: KWID MDIMAD MDIMCD NDIMBD NDIMCD PADA PADB VWMD VWND WGD */
        size_t kwid = v[0], mda = v[1], mdc = v[2], ndb = v[3], ndc = v[4], vwm = v[7],
               vwn = v[8], wgd = v[9];
        if (v[5] > 1 || v[6] > 1 || !pow2(vwm) || !pow2(vwn)) return 0;
        if (!divides(kwid, wgd) || !divides(mdc * vwm, wgd) || !divides(ndc * vwn, wgd) ||
            !divides(mda * vwm, wgd) || !divides(ndb * vwn, wgd))
            return 0;
        if (!divides(mda, mdc * ndc) || !divides(ndb, mdc * ndc) ||
            !divides(mdc * ndc / mda, wgd) || !divides(mdc * ndc / ndb, wgd))
            return 0;
        wg = mdc * ndc;
        lmem = 2 * wgd * (wgd + 1) * sizeof(float);
        break;
    }
    case 1: /* Xgemv: WGS1 WPT1 */
        if (!pow2(v[0]) || !pow2(v[1])) return 0;
        wg = v[0];
        lmem = v[0] * sizeof(float);
        break;
    case 2: /* Copy: DIMX DIMY VW WPT */
    case 3: /* Pad: DIMX DIMY WPTX WPTY */
        if (!pow2(v[0]) || !pow2(v[1]) || !pow2(v[2]) || !pow2(v[3])) return 0;
        wg = v[0] * v[1];
        break;
    case 4: /* Transpose: DIM PAD SHUFFLE WPT */
        if (!pow2(v[0]) || v[1] > 1 || v[2] > 1 || !pow2(v[3])) return 0;
        wg = v[0] * v[0];
        lmem = (v[0] * v[3]) * (v[0] * v[3] + v[1]) * sizeof(float);
        break;
    case 5: /* Padtranspose: PAD TILE WPT */
        if (v[0] > 1 || !pow2(v[1]) || !pow2(v[2])) return 0;
        wg = v[1] * v[1];
        lmem = (v[1] * v[2]) * (v[1] * v[2] + v[0]) * sizeof(float);
        break;
    case TUNE_XGEMM: {
        /* GEMMK KREG KWG KWI MDIMA MDIMC MWG NDIMB NDIMC NWG SA SB STRM STRN VWM VWN. Only the
         * GEMMK=0 kernel: GEMMK=1 with MWG != NWG corrupts memory in CLBlast 1.5.3. */
        size_t kwg = v[2], kwi = v[3], mda = v[4], mdc = v[5], mwg = v[6], ndb = v[7],
               ndc = v[8], nwg = v[9], vwm = v[14], vwn = v[15];
        if (v[0] != 0 || v[1] != 1 || v[10] > 1 || v[11] > 1 || v[12] > 1 || v[13] > 1)
            return 0;
        if (!pow2(vwm) || !pow2(vwn) || !divides(kwi, kwg) || !divides(mdc * vwm, mwg) ||
            !divides(ndc * vwn, nwg) || !divides(mda * vwm, mwg) || !divides(ndb * vwn, nwg))
            return 0;
        if (!divides(mda, mdc * ndc) || !divides(ndb, mdc * ndc) ||
            !divides(mdc * ndc / mda, kwg) || !divides(mdc * ndc / ndb, kwg))
            return 0;
        wg = mdc * ndc;
        lmem = (v[10] ? kwg * mwg : 0) + (v[11] ? kwg * nwg : 0);
        lmem *= sizeof(float);
        break;
    }
    default: return 0;
    }
    if (max_wg && wg > max_wg) return 0;
    if (local_mem && lmem > local_mem) return 0;
    return 1;
}

const size_t *tune_profile_values(const clkfac_device_profile *p, int k)
{
    if (k == TUNE_XGEMM) return p->xgemm_override ? p->xgemm : NULL;
    if (k < 0 || k >= CLKFAC_CLBLAST_TUNED) return NULL;
    return (p->clblast_set >> k) & 1u ? p->clblast[k] : NULL;
}

void tune_profile_set(clkfac_device_profile *p, int k, const size_t *v)
{
    if (k == TUNE_XGEMM) {
        p->xgemm_override = v != NULL;
        if (v) memcpy(p->xgemm, v, sizeof p->xgemm);
        return;
    }
    if (k < 0 || k >= CLKFAC_CLBLAST_TUNED) return;
    if (v) {
        memcpy(p->clblast[k], v, (size_t)KERNELS[k].n_params * sizeof(size_t));
        p->clblast_set |= 1u << k;
    } else {
        p->clblast_set &= ~(1u << k);
    }
}

uint64_t tune_kernels_hash(void)
{
    uint64_t h = CORE_FNV_INIT;
#define X(n)                                                                                   \
    h = core_fnv1a(h, #n, sizeof #n);                                                          \
    h = core_fnv1a(h, clkfac_cl_##n, clkfac_cl_##n##_len);
    CLKFAC_CL_PROGRAMS(X)
#undef X
    return h;
}

static uint64_t device_key(const clkfac_context *ctx)
{
    const clkfac_device_info *d = &ctx->info;
    const char *parts[] = {d->name, d->vendor, d->driver_version, d->platform, d->type};
    uint64_t h = CORE_FNV_INIT;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        h = core_fnv1a(h, parts[i], strlen(parts[i]) + 1);
    return h;
}

void tune_db_path(const clkfac_context *ctx, char *out, size_t cap)
{
    if (!ctx->cache_dir[0]) {
        if (cap) out[0] = '\0';
        return;
    }
    char name[48];
    size_t j = 0;
    for (const char *s = ctx->info.name; *s && j + 1 < sizeof name; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (ok)
            name[j++] = c;
        else if (j && name[j - 1] != '-')
            name[j++] = '-';
    }
    while (j && name[j - 1] == '-') j--;
    name[j] = '\0';
    snprintf(out, cap, "%s/tune/%s-%016llx.txt", ctx->cache_dir, j ? name : "device",
             (unsigned long long)device_key(ctx));
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

/* Parses "NAME=value NAME=value ..." for kernel k into v; every parameter exactly once. */
static clkfac_status parse_kernel_line(int k, const char *rest, size_t *v, int line)
{
    const tune_kernel *t = tune_kernel_get(k);
    unsigned seen = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", rest);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: '%s' in the %s line; "
                                   "expected NAME=value", line, tok, t->name);
        *eq = '\0';
        int i = 0;
        while (i < t->n_params && strcmp(tok, t->params[i].name)) i++;
        if (i == t->n_params)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: %s has no parameter '%s'",
                                   line, t->name, tok);
        char *end = NULL;
        errno = 0;
        unsigned long long x = strtoull(eq + 1, &end, 10);
        if (end == eq + 1 || *end || errno || x > 4096 || eq[1] == '-')
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: %s=%s; expected a whole "
                                   "number in [0, 4096]", line, tok, eq + 1);
        if ((seen >> i) & 1u)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: %s given twice", line,
                                   tok);
        seen |= 1u << i;
        v[i] = (size_t)x;
    }
    for (int i = 0; i < t->n_params; i++)
        if (!((seen >> i) & 1u))
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: %s lacks %s (CLBlast needs "
                                   "every parameter of a kernel)", line, t->name,
                                   t->params[i].name);
    if (!tune_valid(k, v, 0, 0))
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: these %s parameters break the "
                               "kernel's constraints (tile sizes must be multiples of the "
                               "threads times the vector widths)", line, t->name);
    return CLKFAC_OK;
}

static clkfac_status parse_clkfac_line(const char *rest, clkfac_device_profile *p, int line)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", rest);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '='), *end = NULL;
        if (!eq)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: '%s'; expected NAME=value",
                                   line, tok);
        *eq = '\0';
        errno = 0;
        unsigned long long x = strtoull(eq + 1, &end, 10);
        if (end == eq + 1 || *end || errno || eq[1] == '-')
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: %s=%s; expected a whole "
                                   "number", line, tok, eq + 1);
        if (!strcmp(tok, "gemm_min_indirect")) {
            if (x > 100000)
                return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: gemm_min_indirect=%llu;"
                                       " expected at most 100000", line, x);
            p->gemm_min_indirect = (unsigned)x;
        } else if (!strcmp(tok, "gram_row_block")) {
            if (x != 0 && (x < 64 || x > (1u << 24)))
                return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: gram_row_block=%llu; "
                                       "expected 0 (one call) or 64 to 16777216", line, x);
            p->gram_row_block = (size_t)x;
        } else if (!strcmp(tok, "chol_wg")) {
            if (x != 0 && (!pow2((size_t)x) || x < 8 || x > 1024))
                return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: chol_wg=%llu; expected "
                                       "0 or a power of two in [8, 1024]", line, x);
            p->chol_wg = (unsigned)x;
        } else {
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: unknown clkfac setting "
                                   "'%s'; expected gemm_min_indirect, gram_row_block or chol_wg",
                                   line, tok);
        }
    }
    return CLKFAC_OK;
}

static void clblast_version(char *out, size_t cap)
{
    snprintf(out, cap, "%d.%d.%d", CLBLAST_VERSION_MAJOR, CLBLAST_VERSION_MINOR,
             CLBLAST_VERSION_PATCH);
}

/* Header keys that must match the context. */
enum { H_DEVICE, H_VENDOR, H_DRIVER, H_PLATFORM, H_TYPE, H_CLBLAST, H_KERNELS, H_COUNT };
static const char *const HEADER_KEYS[H_COUNT] = {"device", "vendor",  "driver", "platform",
                                                 "type",   "clblast", "kernels"};

static void header_expected(const clkfac_context *ctx, int h, char *out, size_t cap)
{
    switch (h) {
    case H_DEVICE: snprintf(out, cap, "%s", ctx->info.name); break;
    case H_VENDOR: snprintf(out, cap, "%s", ctx->info.vendor); break;
    case H_DRIVER: snprintf(out, cap, "%s", ctx->info.driver_version); break;
    case H_PLATFORM: snprintf(out, cap, "%s", ctx->info.platform); break;
    case H_TYPE: snprintf(out, cap, "%s", ctx->info.type); break;
    case H_CLBLAST: clblast_version(out, cap); break;
    default: snprintf(out, cap, "%016llx", (unsigned long long)tune_kernels_hash()); break;
    }
}

clkfac_status tune_db_apply(const clkfac_context *ctx, const char *text, int shipped,
                            clkfac_device_profile *out)
{
    clkfac_device_profile p = *out;
    int have[H_COUNT] = {0}, have_format = 0, have_sum = 0, kernel_seen[TUNE_KERNELS] = {0};
    const char *s = text;
    int line = 0;
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        line++;
        char buf[1024];
        if (len >= sizeof buf)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d is %zu characters long; "
                                   "expected at most %zu", line, len, sizeof buf - 1);
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (len && buf[len - 1] == '\r') buf[--len] = '\0';
        const char *begin = s;
        s = eol ? eol + 1 : s + len;
        const char *l = skip_ws(buf);
        if (!*l || *l == '#') continue;
        if (have_sum)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: text after the checksum "
                                   "line", line);
        char key[32];
        size_t kl = strcspn(l, " \t");
        if (kl >= sizeof key)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: unknown key '%.40s'", line,
                                   l);
        memcpy(key, l, kl);
        key[kl] = '\0';
        const char *rest = skip_ws(l + kl);
        if (!have_format) {
            if (strcmp(key, "clkfac-tune") || strcmp(rest, "1"))
                return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: '%.60s'; expected the "
                                       "format line 'clkfac-tune 1' first (not a clkfac tuning "
                                       "database, or a newer format)", line, l);
            have_format = 1;
            continue;
        }
        if (!strcmp(key, "checksum")) {
            char *end = NULL;
            unsigned long long want = strtoull(rest, &end, 16);
            uint64_t got = core_fnv1a(CORE_FNV_INIT, text, (size_t)(begin - text));
            if (end == rest || *skip_ws(end) || want != got)
                return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: checksum '%s' does not "
                                       "match the contents (%016llx): the file was changed or "
                                       "cut short", line, rest, (unsigned long long)got);
            have_sum = 1;
            continue;
        }
        int h = 0;
        while (h < H_COUNT && strcmp(key, HEADER_KEYS[h])) h++;
        if (h < H_COUNT) {
            char want[256];
            header_expected(ctx, h, want, sizeof want);
            const int wild = shipped && !strcmp(rest, "*") && h != H_CLBLAST;
            if (!wild && strcmp(rest, want))
                return CORE_FAIL_INPUT(CLKFAC_ERR_UNSUPPORTED, "line %d: recorded for %s '%s'; "
                                       "this context has '%s'%s", line, key, rest, want,
                                       h == H_KERNELS ? " (clkfac's kernels changed since; run "
                                                        "`clkfac tune` again)"
                                                      : "");
            have[h] = 1;
            continue;
        }
        if (!strcmp(key, "clkfac")) {
            clkfac_status st = parse_clkfac_line(rest, &p, line);
            if (st) return st;
            continue;
        }
        int k = 0;
        while (k < TUNE_KERNELS && strcmp(key, KERNELS[k].name)) k++;
        if (k == TUNE_KERNELS)
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: unknown key '%s'; expected "
                                   "a header key, a CLBlast kernel name, 'clkfac' or 'checksum'",
                                   line, key);
        if (kernel_seen[k])
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "line %d: %s given twice", line, key);
        kernel_seen[k] = 1;
        size_t v[CLKFAC_XGEMM_PARAMS] = {0};
        clkfac_status st = parse_kernel_line(k, rest, v, line);
        if (st) return st;
        tune_profile_set(&p, k, v);
    }
    if (!have_format)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "empty: expected 'clkfac-tune 1' and the "
                               "device keys");
    for (int h = 0; h < H_COUNT; h++)
        if (!have[h])
            return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "the '%s' line is missing (a "
                                   "database names the device it was measured on)",
                                   HEADER_KEYS[h]);
    if (!have_sum && !shipped)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "the checksum line is missing (the file "
                               "was cut short)");
    *out = p;
    return CLKFAC_OK;
}

clkfac_status tune_db_format(const clkfac_context *ctx, const clkfac_device_profile *p,
                             const char *comment, char **out)
{
    core_text t = {0};
    core_text_printf(&t, "# clkfac tuning database, written by `clkfac tune`; hand edits must "
                         "update the checksum line\n");
    if (comment && *comment) {
        const char *c = comment;
        while (*c) {
            size_t n = strcspn(c, "\n");
            core_text_printf(&t, "# %.*s\n", (int)n, c);
            c += n;
            if (*c) c++;
        }
    }
    core_text_printf(&t, "clkfac-tune 1\n");
    for (int h = 0; h < H_COUNT; h++) {
        char v[256];
        header_expected(ctx, h, v, sizeof v);
        core_text_printf(&t, "%s %s\n", HEADER_KEYS[h], v);
    }
    for (int k = TUNE_KERNELS - 1; k >= 0; k--) { /* Xgemm first */
        const size_t *v = tune_profile_values(p, k);
        if (!v) continue;
        core_text_printf(&t, "%s", KERNELS[k].name);
        for (int i = 0; i < KERNELS[k].n_params; i++)
            core_text_printf(&t, " %s=%zu", KERNELS[k].params[i].name, v[i]);
        core_text_printf(&t, "\n");
    }
    core_text_printf(&t, "clkfac gemm_min_indirect=%u gram_row_block=%zu chol_wg=%u\n",
                     p->gemm_min_indirect, p->gram_row_block, p->chol_wg);
    if (t.oom) {
        core_text_free(&t);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    uint64_t sum = core_fnv1a(CORE_FNV_INIT, t.s, t.n);
    core_text_printf(&t, "checksum %016llx\n", (unsigned long long)sum);
    if (t.oom) {
        core_text_free(&t);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    *out = t.s;
    return CLKFAC_OK;
}

static int mkdir_parents(const char *path)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return 0;
}

clkfac_status tune_db_write(const char *path, const char *text)
{
    if (mkdir_parents(path) != 0)
        return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "cannot create the folders of '%s': %s", path,
                               strerror(errno));
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "cannot create a file next to '%s': %s", path,
                               strerror(errno));
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    }
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "writing '%s' failed: %s", path, strerror(e));
    }
    return CLKFAC_OK;
}
