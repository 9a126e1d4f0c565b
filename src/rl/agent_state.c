/* An agent's whole training state as bytes, for checkpoints (clkfac_agent_get_state and
 * clkfac_agent_set_state): counters, the current observations, pending update records, every
 * parameter, and each algorithm's state (optimizers, K-FAC factors and inverses, counters) as a
 * list of named items, so a restored agent continues bit-exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl/agent_internal.h"

#define STATE_MAGIC "CLKFACAG"
#define STATE_VERSION 1u
#define NAME_LEN 32
/* header: magic (8), version (4), item count (4), payload bytes (8), FNV-1a of the payload (8) */
#define HEADER_LEN 32
/* item: name (NAME_LEN, NUL-padded), byte count (8), then the bytes */
#define ITEM_HEAD (NAME_LEN + 8)

enum { IO_SIZE, IO_SAVE, IO_CHECK, IO_LOAD };

struct agent_state_io {
    int mode;
    clkfac_agent *ag;
    unsigned char *buf; /* SAVE: the payload being written; CHECK/LOAD: the payload read */
    size_t at, len;     /* cursor, payload length */
    unsigned items;
};

/* One item: n floats of device buffer buf (host == NULL), or bytes at host. SIZE counts, SAVE
 * appends, CHECK compares the name and size with the next stored item, LOAD restores it. */
clkfac_status agent_state_item(agent_state_io *io, const char *name, cl_mem buf, size_t n,
                               void *host, size_t bytes)
{
    if (!host) bytes = n * sizeof(float);
    io->items++;
    if (io->mode == IO_SIZE) {
        io->len += ITEM_HEAD + bytes;
        return CLKFAC_OK;
    }
    if (io->mode == IO_SAVE) {
        unsigned char *p = io->buf + io->at;
        memset(p, 0, NAME_LEN);
        snprintf((char *)p, NAME_LEN, "%s", name);
        core_put_u64le(p + NAME_LEN, bytes);
        io->at += ITEM_HEAD + bytes;
        if (host) {
            memcpy(p + ITEM_HEAD, host, bytes);
            return CLKFAC_OK;
        }
        return clkfac_buffer_read(io->ag->ctx, buf, 0, (float *)(void *)(p + ITEM_HEAD), n);
    }
    if (io->len - io->at < ITEM_HEAD)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: ends before item %u ('%s')", io->items,
                         name);
    const unsigned char *p = io->buf + io->at;
    char stored[NAME_LEN + 1];
    memcpy(stored, p, NAME_LEN);
    stored[NAME_LEN] = '\0';
    uint64_t have = core_get_u64le(p + NAME_LEN);
    if (strncmp(stored, name, NAME_LEN))
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: item %u is '%s'; this agent expects "
                         "'%s' (another algorithm or network?)", io->items, stored, name);
    if (have != bytes || io->len - io->at - ITEM_HEAD < have)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: '%s' holds %llu bytes; this agent's is "
                         "%zu bytes (another network size or environment count?)", name,
                         (unsigned long long)have, bytes);
    io->at += ITEM_HEAD + bytes;
    if (io->mode == IO_CHECK) return CLKFAC_OK;
    if (host) {
        memcpy(host, p + ITEM_HEAD, bytes);
        return CLKFAC_OK;
    }
    /* the bytes may sit at any alignment in the file image: copy out before the write */
    float *tmp = malloc(bytes ? bytes : 1);
    if (!tmp) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "agent state: out of host memory");
    memcpy(tmp, p + ITEM_HEAD, bytes);
    clkfac_status st = clkfac_buffer_write(io->ag->ctx, buf, 0, tmp, n);
    free(tmp);
    return st;
}

clkfac_status agent_state_optim(agent_state_io *io, const char *name, clkfac_optim *opt,
                                size_t state_floats)
{
    char k[NAME_LEN];
    snprintf(k, sizeof k, "%s.state", name);
    clkfac_status st = agent_state_item(io, k, clkfac_optim_state(opt), state_floats, NULL, 0);
    snprintf(k, sizeof k, "%s.stats", name);
    return st ? st : agent_state_item(io, k, clkfac_optim_stats(opt), CLKFAC_OPTIM_STATS, NULL, 0);
}

/* Every item of the agent, in a fixed order: the shared part, then the algorithm's. */
static clkfac_status visit(agent_state_io *io)
{
    clkfac_agent *ag = io->ag;
    size_t N = ag->n_envs, os = ag->obs_size;
    uint64_t counters[5] = {ag->timestep, ag->updates, ag->act_draws, ag->dropped, 0};
    uint64_t ring[3] = {ag->ring_first, ag->ring_count, ag->last_slot};
    clkfac_status st;
    if ((st = agent_state_item(io, "agent.counters", NULL, 0, counters, sizeof counters)) ||
        (st = agent_state_item(io, "agent.obs", NULL, 0, ag->h_obs, N * os * sizeof(float))) ||
        (st = agent_state_item(io, "agent.ring", NULL, 0, ring, sizeof ring)) ||
        (st = agent_state_item(io, "agent.ring_update", NULL, 0, ag->ring_update,
                               sizeof ag->ring_update)) ||
        (st = agent_state_item(io, "agent.ring_timestep", NULL, 0, ag->ring_timestep,
                               sizeof ag->ring_timestep)) ||
        (st = agent_state_item(io, "agent.ring_events", NULL, 0, ag->ring_events,
                               sizeof ag->ring_events)) ||
        (st = agent_state_item(io, "agent.ring_records", ag->ring, RING * RING_W, NULL, 0)) ||
        (st = agent_state_item(io, "agent.loss_stats", ag->loss_stats, CLKFAC_A2C_STATS, NULL, 0)) ||
        (st = agent_state_item(io, "agent.algo_stats", ag->algo_stats, REC_ALGO_N, NULL, 0)) ||
        (st = agent_state_item(io, "actor.params", clkfac_nn_params(ag->actor),
                               clkfac_nn_param_count(ag->actor), NULL, 0)) ||
        (ag->critic != ag->actor &&
         (st = agent_state_item(io, "critic.params", clkfac_nn_params(ag->critic),
                                clkfac_nn_param_count(ag->critic), NULL, 0))) ||
        (ag->logstd && (st = agent_state_item(io, "logstd", ag->logstd, ag->n_out, NULL, 0))) ||
        (st = ag->alg->state(ag, io)))
        return st;
    if (io->mode == IO_LOAD) {
        if (counters[2 + 2] != 0 || ring[1] > RING || ring[0] >= RING || ring[2] >= RING)
            return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: ring position %llu + %llu out of range",
                             (unsigned long long)ring[0], (unsigned long long)ring[1]);
        ag->timestep = counters[0];
        ag->updates = counters[1];
        ag->act_draws = counters[2];
        ag->dropped = counters[3];
        ag->ring_first = (size_t)ring[0];
        ag->ring_count = (size_t)ring[1];
        ag->last_slot = (size_t)ring[2];
    }
    return CLKFAC_OK;
}

clkfac_status clkfac_agent_get_state(void **out, size_t *size, clkfac_agent *ag)
{
    *out = NULL;
    *size = 0;
    agent_state_io io = {IO_SIZE, ag, NULL, 0, 0, 0};
    clkfac_status st = visit(&io);
    if (st) return st;
    size_t len = io.len;
    unsigned char *b = malloc(HEADER_LEN + len);
    if (!b) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "agent state: out of host memory (%zu bytes)",
                             HEADER_LEN + len);
    io = (agent_state_io){IO_SAVE, ag, b + HEADER_LEN, 0, len, 0};
    if ((st = visit(&io))) {
        free(b);
        return st;
    }
    memcpy(b, STATE_MAGIC, 8);
    core_put_u64le(b + 8, STATE_VERSION | (uint64_t)io.items << 32);
    core_put_u64le(b + 16, len);
    core_put_u64le(b + 24, core_fnv1a(CORE_FNV_INIT, b + HEADER_LEN, len));
    *out = b;
    *size = HEADER_LEN + len;
    return CLKFAC_OK;
}

clkfac_status clkfac_agent_set_state(clkfac_agent *ag, const void *buf, size_t size)
{
    const unsigned char *b = buf;
    if (!b || size < HEADER_LEN || memcmp(b, STATE_MAGIC, 8))
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: %zu bytes without the '%s' header",
                         size, STATE_MAGIC);
    uint64_t vi = core_get_u64le(b + 8), len = core_get_u64le(b + 16), sum = core_get_u64le(b + 24);
    if ((vi & 0xffffffffu) != STATE_VERSION)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: version %llu; this build reads %u",
                         (unsigned long long)(vi & 0xffffffffu), STATE_VERSION);
    if (len != size - HEADER_LEN)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: header says %llu payload bytes, %zu "
                         "given (cut short?)", (unsigned long long)len, size - HEADER_LEN);
    if (core_fnv1a(CORE_FNV_INIT, b + HEADER_LEN, len) != sum)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: checksum mismatch (corrupt)");
    /* check every item's name and size before anything is written */
    agent_state_io io = {IO_CHECK, ag, (unsigned char *)(uintptr_t)(b + HEADER_LEN), 0, len, 0};
    clkfac_status st = visit(&io);
    if (!st && (io.items != (vi >> 32) || io.at != len))
        st = CORE_FAIL(CLKFAC_ERR_FORMAT, "agent state: %llu items in %llu bytes; this agent "
                       "has %u items in %zu bytes", (unsigned long long)(vi >> 32),
                       (unsigned long long)len, io.items, io.at);
    if (st) return st;
    io = (agent_state_io){IO_LOAD, ag, (unsigned char *)(uintptr_t)(b + HEADER_LEN), 0, len, 0};
    return visit(&io);
}
