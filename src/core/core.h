/* Internal helpers of the core module: error reporting macros, checked allocation, timing.
 * Not part of the public API; every module may include it. */
#ifndef CLKFAC_CORE_INTERNAL_H
#define CLKFAC_CORE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "clkfac/common.h"

#if defined(__GNUC__)
#define CORE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CORE_PRINTF(a, b)
#endif

/* Records "file:line: message" as this thread's last error and returns st. */
clkfac_status core_fail(clkfac_status st, const char *file, int line, const char *fmt, ...)
    CORE_PRINTF(4, 5);
/* Appends text (e.g. a build log) to the last error detail. */
void core_error_append(const char *text);

#define CORE_FAIL(st, ...) core_fail((st), __FILE__, __LINE__, __VA_ARGS__)
/* For what is wrong with the user's input (their file and line, a value they gave): the
 * message alone, without clkfac's source location, so a program can show it as it is. */
#define CORE_FAIL_INPUT(st, ...) core_fail((st), NULL, 0, __VA_ARGS__)

/* Evaluate a clkfac call; on error jump to the local label `cleanup` with st set. */
#define CORE_TRY(expr)                      \
    do {                                    \
        st = (expr);                        \
        if (st != CLKFAC_OK) goto cleanup;  \
    } while (0)

void *core_calloc(size_t n, size_t size); /* NULL on overflow or failure */
char *core_strdup(const char *s);
double core_now(void);                    /* monotonic seconds */
uint64_t core_fnv1a(uint64_t h, const void *data, size_t len);
#define CORE_FNV_INIT 0xcbf29ce484222325ULL

/* A 64-bit word stored / loaded little-endian (file formats: checkpoints). */
static inline void core_put_u64le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint64_t core_get_u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

#endif
