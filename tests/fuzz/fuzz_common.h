/* Shared by the libFuzzer harnesses of tests/fuzz/: a private temporary folder per process and
 * files written into it from the fuzzer's bytes, so the readers are driven through their real
 * file paths. An input may hold several files separated by the line FUZZ_SEP. */
#ifndef CLKFAC_FUZZ_COMMON_H
#define CLKFAC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_SEP "\n=====\n"

/* The process's temporary folder (created on first use, under $TMPDIR or /tmp). */
const char *fuzz_dir(void);
/* Writes n bytes to fuzz_dir()/name (creating subfolders of name); returns the full path in a
 * static buffer of its own per slot (0..3), or aborts when the disk refuses. */
const char *fuzz_put(int slot, const char *name, const uint8_t *data, size_t n);
/* Removes fuzz_dir()/name when present (a file or an empty folder). */
void fuzz_remove(const char *name);
/* The k-th part (0-based) of data split at FUZZ_SEP: sets *part and *len, or returns 0 when
 * there are fewer parts (the part is then empty). */
int fuzz_part(const uint8_t *data, size_t n, int k, const uint8_t **part, size_t *len);

#endif
