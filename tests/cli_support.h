/* Helpers for tests that run the clkfac program ($CLKFAC_BIN, set by CTest): run a command and
 * get its exit code and output, make temporary folders, compare files, read episode CSVs. */
#ifndef CLKFAC_TEST_CLI_SUPPORT_H
#define CLKFAC_TEST_CLI_SUPPORT_H

#include <stddef.h>

/* The program path, or NULL (the caller skips with a printed reason). */
const char *cs_bin(void);
/* Runs "$CLKFAC_BIN args" through the shell with stdout+stderr captured into out (may be
 * NULL); returns the exit code (or -1). */
int cs_run(const char *args, char *out, size_t cap);
/* In a cmocka test: skips with a printed reason when CLKFAC_BIN is unset. */
#define CS_NEED_BIN()                                                                    \
    do {                                                                                 \
        if (!cs_bin()) {                                                                 \
            print_message("SKIP %s: CLKFAC_BIN is not set (run under ctest)\n", __func__); \
            skip();                                                                      \
        }                                                                                \
    } while (0)
/* Fails the test unless "clkfac args" exits 2 with needle in its output. */
void cs_expect_usage(const char *args, const char *needle);
/* Writes text to dir/name (fails the test when it cannot). */
void cs_put(const char *dir, const char *name, const char *text);
/* mkdtemp under /tmp; returns a malloc'd path. */
char *cs_tempdir(const char *tag);
void cs_rmtree(const char *dir);
/* 1 when both files exist and are byte-identical. */
int cs_same_file(const char *a, const char *b);
/* Reads episodes.csv (timestep,episode,return,length): returns the count, fills malloc'd arrays. */
size_t cs_read_episodes(const char *path, double **ret, double **timestep);
/* Best mean over any window of k consecutive episodes; *cross_ts = timestep where the window
 * mean first reached threshold (or -1). */
double cs_best_window(const double *ret, const double *ts, size_t n, size_t k, double threshold,
                      double *cross_ts);

#endif
