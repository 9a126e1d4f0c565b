/* The one growing text buffer and the one whole-file reader of the code base (internal: the
 * library, the command-line program and the benchmarks include it as "core/text.h"). */
#ifndef CLKFAC_CORE_TEXT_H
#define CLKFAC_CORE_TEXT_H

#include <stddef.h>

#if defined(__GNUC__)
#define CORE_TEXT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CORE_TEXT_PRINTF(a, b)
#endif

/* A growing NUL-terminated string; start from {0}, free with core_text_free. Once an append
 * fails (out of memory) the text keeps what it had, oom stays set and later appends do
 * nothing, so a caller may append many times and check once. */
typedef struct core_text {
    char *s;
    size_t n, cap;
    int oom;
} core_text;

/* Appends formatted text; 0, or -1 when out of memory (now or before). */
int core_text_printf(core_text *t, const char *fmt, ...) CORE_TEXT_PRINTF(2, 3);
/* Appends len bytes of s; 0 or -1 as above. */
int core_text_put(core_text *t, const char *s, size_t len);
/* Frees the text and leaves it empty ({0}). */
void core_text_free(core_text *t);

/* Reads a whole file into *out (malloc'd, NUL-terminated, *len bytes before the NUL). Returns 0
 * or an errno value: ENOENT when missing, EISDIR for a folder, EILSEQ when the file holds a NUL
 * byte (not text), ENOMEM, or the error of the failed read. Nothing is set on failure. */
int core_read_file(const char *path, char **out, size_t *len);
/* 1 when name is one of the entries of a comma-separated list ("a,b,c"), else 0. */
int core_list_has(const char *list, const char *name);

#endif
