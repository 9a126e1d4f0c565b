/* Status names and the thread-local last-error detail (libgit2 style): the library never prints,
 * it records what failed and where, and the caller decides what to show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "git_commit.h" /* CLKFAC_GIT_COMMIT, generated at build time from HEAD */

static _Thread_local char *err_buf;
static _Thread_local size_t err_cap;

static void err_reserve(size_t need)
{
    if (need <= err_cap) return;
    size_t cap = err_cap ? err_cap : 256;
    while (cap < need) cap *= 2;
    char *p = realloc(err_buf, cap);
    if (!p) return;
    if (!err_buf) p[0] = '\0';
    err_buf = p;
    err_cap = cap;
}

clkfac_status core_fail(clkfac_status st, const char *file, int line, const char *fmt, ...)
{
    const char *base = file ? strrchr(file, '/') : NULL;
    base = base ? base + 1 : file ? file : "";
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t head = strlen(base) + 24;
    err_reserve(head + (size_t)n + 1);
    if (!err_buf || err_cap < head + (size_t)n + 1) return st;
    int h = file ? snprintf(err_buf, err_cap, "%s:%d: ", base, line) : 0;
    va_start(ap, fmt);
    vsnprintf(err_buf + h, err_cap - (size_t)h, fmt, ap);
    va_end(ap);
    return st;
}

void core_error_append(const char *text)
{
    if (!text) return;
    size_t cur = err_buf ? strlen(err_buf) : 0;
    err_reserve(cur + strlen(text) + 1);
    if (!err_buf || err_cap < cur + strlen(text) + 1) return;
    memcpy(err_buf + cur, text, strlen(text) + 1);
}

const char *clkfac_last_error(void) { return err_buf ? err_buf : ""; }

void clkfac_error_clear(void)
{
    if (err_buf) err_buf[0] = '\0';
}

const char *clkfac_status_str(clkfac_status st)
{
    switch (st) {
    case CLKFAC_OK: return "CLKFAC_OK";
    case CLKFAC_ERR_INVALID_ARG: return "CLKFAC_ERR_INVALID_ARG";
    case CLKFAC_ERR_NO_MEMORY: return "CLKFAC_ERR_NO_MEMORY";
    case CLKFAC_ERR_NO_DEVICE: return "CLKFAC_ERR_NO_DEVICE";
    case CLKFAC_ERR_OPENCL: return "CLKFAC_ERR_OPENCL";
    case CLKFAC_ERR_BUILD: return "CLKFAC_ERR_BUILD";
    case CLKFAC_ERR_CLBLAST: return "CLKFAC_ERR_CLBLAST";
    case CLKFAC_ERR_IO: return "CLKFAC_ERR_IO";
    case CLKFAC_ERR_FORMAT: return "CLKFAC_ERR_FORMAT";
    case CLKFAC_ERR_SHAPE: return "CLKFAC_ERR_SHAPE";
    case CLKFAC_ERR_NONFINITE: return "CLKFAC_ERR_NONFINITE";
    case CLKFAC_ERR_NOT_SPD: return "CLKFAC_ERR_NOT_SPD";
    case CLKFAC_ERR_UNSUPPORTED: return "CLKFAC_ERR_UNSUPPORTED";
    case CLKFAC_ERR_INTERNAL: return "CLKFAC_ERR_INTERNAL";
    case CLKFAC_ERR_NUMERIC: return "CLKFAC_ERR_NUMERIC";
    }
    return "CLKFAC_ERR_UNKNOWN";
}


const char *clkfac_version(void) { return CLKFAC_VERSION_STRING; }
const char *clkfac_git_commit(void) { return CLKFAC_GIT_COMMIT; }

void *core_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0) return calloc(1, 1);
    return calloc(n, size);
}

char *core_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

double core_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t core_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
