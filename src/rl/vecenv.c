/* The vector environment: N copies of one environment stepped together with auto-reset, the
 * running return and length of each copy's episode, a growable list of finished episodes, and
 * the whole thing as bytes for checkpoints. Uses only the public env API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/env.h"
#include "core/core.h"

struct clkfac_vecenv {
    size_t n;
    clkfac_env **envs;        /* (n) */
    double *ep_ret;           /* (n) return of each copy's unfinished episode */
    uint64_t *ep_len;         /* (n) */
    uint64_t timestep;        /* steps of all copies together */
    int started;              /* reset has been called */
    size_t obs_size, act_size;
    clkfac_episode_record *rec;
    size_t rec_count, rec_cap;
};

clkfac_status clkfac_vecenv_create(clkfac_vecenv **out, const char *id, size_t n, uint64_t seed,
                                   const clkfac_env_options *opts)
{
    if (!out || !id) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "out and id must not be NULL");
    if (n == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "a vector environment needs n >= 1");
    clkfac_status st = CLKFAC_OK;
    clkfac_vecenv *v = core_calloc(1, sizeof *v);
    if (!v) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "vector environment");
    v->n = n;
    v->envs = core_calloc(n, sizeof *v->envs);
    v->ep_ret = core_calloc(n, sizeof *v->ep_ret);
    v->ep_len = core_calloc(n, sizeof *v->ep_len);
    if (!v->envs || !v->ep_ret || !v->ep_len) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "vector environment of %zu copies", n);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) CORE_TRY(clkfac_env_create_ext(&v->envs[i], id, seed + i, opts));
    v->obs_size = clkfac_env_observation_space(v->envs[0])->size;
    v->act_size = clkfac_env_action_space(v->envs[0])->size;
    *out = v;
    return CLKFAC_OK;
cleanup:
    clkfac_vecenv_free(v);
    return st;
}

void clkfac_vecenv_free(clkfac_vecenv *vec)
{
    if (!vec) return;
    if (vec->envs)
        for (size_t i = 0; i < vec->n; i++) clkfac_env_free(vec->envs[i]);
    free(vec->envs);
    free(vec->ep_ret);
    free(vec->ep_len);
    free(vec->rec);
    free(vec);
}

size_t clkfac_vecenv_num_envs(const clkfac_vecenv *vec) { return vec->n; }

clkfac_env *clkfac_vecenv_env(const clkfac_vecenv *vec, size_t i)
{
    return i < vec->n ? vec->envs[i] : NULL;
}

const clkfac_space *clkfac_vecenv_observation_space(const clkfac_vecenv *vec)
{
    return clkfac_env_observation_space(vec->envs[0]);
}

const clkfac_space *clkfac_vecenv_action_space(const clkfac_vecenv *vec)
{
    return clkfac_env_action_space(vec->envs[0]);
}

uint64_t clkfac_vecenv_timestep(const clkfac_vecenv *vec) { return vec->timestep; }

clkfac_status clkfac_vecenv_reset(clkfac_vecenv *vec, float *obs)
{
    if (!vec || !obs) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "vec and obs must not be NULL");
    for (size_t i = 0; i < vec->n; i++) {
        clkfac_status st = clkfac_env_reset(vec->envs[i], obs + i * vec->obs_size);
        if (st != CLKFAC_OK) return st;
        vec->ep_ret[i] = 0.0;
        vec->ep_len[i] = 0;
    }
    vec->started = 1;
    return CLKFAC_OK;
}

/* Room for one record per copy is made before any copy steps, so a failed allocation cannot
 * leave some copies stepped and their episodes unrecorded. */
static clkfac_status reserve_records(clkfac_vecenv *vec)
{
    size_t need = vec->rec_count + vec->n;
    if (need <= vec->rec_cap) return CLKFAC_OK;
    size_t cap = vec->rec_cap ? vec->rec_cap : 64;
    while (cap < need) cap *= 2;
    clkfac_episode_record *p = realloc(vec->rec, cap * sizeof *p);
    if (!p) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "episode records (%zu)", cap);
    vec->rec = p;
    vec->rec_cap = cap;
    return CLKFAC_OK;
}

clkfac_status clkfac_vecenv_step(clkfac_vecenv *vec, const float *actions, float *obs,
                                 float *rewards, uint8_t *terminated, uint8_t *truncated,
                                 float *final_obs)
{
    if (!vec || !actions || !obs)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "vec, actions and obs must not be NULL");
    if (!vec->started)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "vector environment: call reset before step");
    clkfac_status st;
    for (size_t i = 0; i < vec->n; i++) {
        st = clkfac_env_check_action(vec->envs[i], actions + i * vec->act_size);
        if (st != CLKFAC_OK) {
            core_error_append(" (vector copy ");
            char idx[32];
            snprintf(idx, sizeof idx, "%zu)", i);
            core_error_append(idx);
            return st;
        }
    }
    st = reserve_records(vec);
    if (st != CLKFAC_OK) return st;

    uint64_t t_end = vec->timestep + vec->n;
    for (size_t i = 0; i < vec->n; i++) {
        float *o = obs + i * vec->obs_size;
        clkfac_step_result r;
        st = clkfac_env_step(&r, vec->envs[i], actions + i * vec->act_size, o);
        if (st != CLKFAC_OK) return st;
        vec->ep_ret[i] += r.reward;
        vec->ep_len[i]++;
        if (rewards) rewards[i] = (float)r.reward;
        if (terminated) terminated[i] = (uint8_t)(r.terminated != 0);
        if (truncated) truncated[i] = (uint8_t)(r.truncated != 0);
        if (final_obs) memcpy(final_obs + i * vec->obs_size, o, vec->obs_size * sizeof *o);
        if (r.terminated || r.truncated) {
            clkfac_episode_record *e = &vec->rec[vec->rec_count++];
            e->ret = vec->ep_ret[i];
            e->length = vec->ep_len[i];
            e->timestep = t_end;
            e->env_index = i;
            e->terminated = r.terminated != 0;
            vec->ep_ret[i] = 0.0;
            vec->ep_len[i] = 0;
            st = clkfac_env_reset(vec->envs[i], o);
            if (st != CLKFAC_OK) return st;
        }
    }
    vec->timestep = t_end;
    return CLKFAC_OK;
}

const clkfac_episode_record *clkfac_vecenv_episodes(const clkfac_vecenv *vec, size_t *count)
{
    if (count) *count = vec->rec_count;
    return vec->rec;
}

size_t clkfac_vecenv_drain(clkfac_vecenv *vec, clkfac_episode_record *out, size_t cap)
{
    size_t k = vec->rec_count < cap ? vec->rec_count : cap;
    if (k == 0) return 0;
    memcpy(out, vec->rec, k * sizeof *out);
    memmove(vec->rec, vec->rec + k, (vec->rec_count - k) * sizeof *vec->rec);
    vec->rec_count -= k;
    return k;
}

void clkfac_vecenv_clear_episodes(clkfac_vecenv *vec) { vec->rec_count = 0; }

/* ---- state as bytes -------------------------------------------------------------------------
 * offset  size  field
 *      0     8  magic "CLKFVEC\0"
 *      8     4  format version (VEC_STATE_FORMAT)
 *     12     4  started
 *     16     8  total size
 *     24     8  n
 *     32     8  timestep
 *     40     8  FNV-1a checksum of every other byte
 *     48     -  per copy: f64 partial return, u64 partial length, then the copy's env state
 * All little-endian. */

#define VEC_STATE_FORMAT 1u
#define VEC_STATE_HEADER 48u
static const unsigned char vec_magic[8] = {'C', 'L', 'K', 'F', 'V', 'E', 'C', 0};

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static size_t copy_stride(const clkfac_vecenv *vec)
{
    return 16 + clkfac_env_state_size(vec->envs[0]);
}

size_t clkfac_vecenv_state_size(const clkfac_vecenv *vec)
{
    return VEC_STATE_HEADER + vec->n * copy_stride(vec);
}

static uint64_t vec_checksum(const unsigned char *p, size_t size)
{
    uint64_t h = core_fnv1a(CORE_FNV_INIT, p, 40);
    return core_fnv1a(h, p + 48, size - 48);
}

clkfac_status clkfac_vecenv_get_state(const clkfac_vecenv *vec, void *buf, size_t cap)
{
    if (!vec || !buf) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "vec and buf must not be NULL");
    size_t size = clkfac_vecenv_state_size(vec), stride = copy_stride(vec);
    if (cap < size)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "vector state needs %zu bytes, buffer has %zu",
                         size, cap);
    unsigned char *p = buf;
    memset(p, 0, VEC_STATE_HEADER);
    memcpy(p, vec_magic, sizeof vec_magic);
    put_le(p + 8, VEC_STATE_FORMAT, 4);
    put_le(p + 12, (uint64_t)vec->started, 4);
    put_le(p + 16, size, 8);
    put_le(p + 24, vec->n, 8);
    put_le(p + 32, vec->timestep, 8);
    for (size_t i = 0; i < vec->n; i++) {
        unsigned char *q = p + VEC_STATE_HEADER + i * stride;
        uint64_t bits;
        memcpy(&bits, &vec->ep_ret[i], sizeof bits);
        put_le(q, bits, 8);
        put_le(q + 8, vec->ep_len[i], 8);
        clkfac_status st = clkfac_env_get_state(vec->envs[i], q + 16, stride - 16);
        if (st != CLKFAC_OK) return st;
    }
    put_le(p + 40, vec_checksum(p, size), 8);
    return CLKFAC_OK;
}

static clkfac_status check_vec_header(const clkfac_vecenv *vec, const unsigned char *p,
                                      size_t size)
{
    size_t want = clkfac_vecenv_state_size(vec);
    if (size != want)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "vector state is %zu bytes, expected %zu", size, want);
    if (memcmp(p, vec_magic, sizeof vec_magic) != 0)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "not a vector environment state (bad magic)");
    if (get_le(p + 8, 4) != VEC_STATE_FORMAT)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "vector state format %u, expected %u",
                         (unsigned)get_le(p + 8, 4), VEC_STATE_FORMAT);
    if (get_le(p + 16, 8) != want || get_le(p + 24, 8) != vec->n)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "vector state is for %llu copies, this has %zu",
                         (unsigned long long)get_le(p + 24, 8), vec->n);
    if (get_le(p + 40, 8) != vec_checksum(p, size))
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "vector state checksum mismatch (corrupted bytes)");
    if (get_le(p + 12, 4) > 1)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "vector state has invalid started flag");
    return CLKFAC_OK;
}

clkfac_status clkfac_vecenv_set_state(clkfac_vecenv *vec, const void *buf, size_t size)
{
    if (!vec || !buf) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "vec and buf must not be NULL");
    const unsigned char *p = buf;
    clkfac_status st = check_vec_header(vec, p, size);
    if (st != CLKFAC_OK) return st;
    size_t stride = copy_stride(vec);
    for (size_t i = 0; i < vec->n; i++) {
        double r;
        uint64_t bits = get_le(p + VEC_STATE_HEADER + i * stride, 8);
        memcpy(&r, &bits, sizeof r);
        if (!isfinite(r))
            return CORE_FAIL(CLKFAC_ERR_FORMAT, "vector state: copy %zu has a non-finite return",
                             i);
    }

    /* Copies are restored one by one; a backup makes the whole restore all-or-nothing. */
    unsigned char *backup = malloc(size);
    if (!backup) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "vector state backup (%zu bytes)", size);
    st = clkfac_vecenv_get_state(vec, backup, size);
    size_t done = 0;
    for (; st == CLKFAC_OK && done < vec->n; done++) {
        st = clkfac_env_set_state(vec->envs[done], p + VEC_STATE_HEADER + done * stride + 16,
                                  stride - 16);
        if (st != CLKFAC_OK) break;
    }
    if (st != CLKFAC_OK) {
        for (size_t i = 0; i < done; i++)
            (void)clkfac_env_set_state(vec->envs[i], backup + VEC_STATE_HEADER + i * stride + 16,
                                       stride - 16);
        free(backup);
        return st;
    }
    for (size_t i = 0; i < vec->n; i++) {
        const unsigned char *q = p + VEC_STATE_HEADER + i * stride;
        uint64_t bits = get_le(q, 8);
        memcpy(&vec->ep_ret[i], &bits, sizeof bits);
        vec->ep_len[i] = get_le(q + 8, 8);
    }
    vec->timestep = get_le(p + 32, 8);
    vec->started = (int)get_le(p + 12, 4);
    free(backup);
    return CLKFAC_OK;
}
