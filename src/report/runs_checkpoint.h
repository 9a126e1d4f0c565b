/* A run folder's checkpoint (checkpoint.bin): what `clkfac train --resume` and bench sample's
 * resume continue from, and the file digests a finished run's summary.json records. Internal to
 * src/report (runs_write.c writes and reads it; runs_read.c verifies digests). */
#ifndef CLKFAC_REPORT_RUNS_CHECKPOINT_H
#define CLKFAC_REPORT_RUNS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "clkfac/clkfac.h"

#define RUNS_CHECKPOINT_FILE "checkpoint.bin"
#define RUNS_CHECKPOINT_VERSION 1u

typedef struct runs_checkpoint {
    char *settings;                 /* "key=value\n" lines: what must match to resume */
    uint64_t episodes_bytes, episodes_sum; /* episodes.csv's length and FNV-1a at the checkpoint */
    uint64_t updates_bytes, updates_sum;
    uint64_t n_episodes, recent_n, recent_i;
    double recent[100];             /* the last returns, the ring of the final mean */
    double wall_seconds;            /* training time before the checkpoint */
    uint64_t events[4];             /* numerical-event counts (runs_write.c's order) */
    void *agent, *envs;             /* clkfac_agent_get_state, clkfac_vecenv_get_state */
    size_t agent_size, envs_size;
} runs_checkpoint;

/* Writes DIR/checkpoint.bin atomically (temporary file, fsync, rename). */
clkfac_status runs_checkpoint_write(const char *dir, const runs_checkpoint *c);
/* Reads and validates DIR/checkpoint.bin (magic, version, length, checksum, every section):
 * CLKFAC_OK, RUNS_MISSING, CLKFAC_ERR_FORMAT naming what is wrong (a corrupt file is refused),
 * CLKFAC_ERR_IO or CLKFAC_ERR_NO_MEMORY. */
int runs_checkpoint_read(runs_checkpoint *c, const char *dir);
void runs_checkpoint_free(runs_checkpoint *c);
/* Removes DIR/checkpoint.bin if there is one. */
void runs_checkpoint_remove(const char *dir);

/* The first line of `want` whose key is missing from or has another value in `have`; -1 when
 * every line agrees (key, cap bytes, gets the key; the values too when they differ). */
int runs_settings_diff(const char *have, const char *want, char *what, size_t cap);

/* Size and FNV-1a 64 of DIR/NAME: 0, or an errno. */
int runs_file_digest(const char *dir, const char *name, uint64_t *bytes, uint64_t *sum);

#endif
