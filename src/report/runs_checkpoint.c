/* checkpoint.bin of a run folder (see runs_checkpoint.h): a header (magic, version, body length,
 * FNV-1a 64 of the body) and named sections in a fixed order, each validated on reading; file
 * digests for summary.json; the settings comparison that names the first differing field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/text.h"
#include "report/runs.h"
#include "report/runs_checkpoint.h"

#define MAGIC "CLKFACCK"
#define HEADER_LEN 32 /* magic, version, body length, checksum: 8 bytes each */
#define NAME_LEN 16

/* The fixed-size numbers of a checkpoint as little-endian words (doubles by their bits). */
#define N_WORDS (7 + 100 + 1 + 4)
static void to_words(uint64_t *w, const runs_checkpoint *c)
{
    uint64_t head[7] = {c->episodes_bytes, c->episodes_sum, c->updates_bytes, c->updates_sum,
                        c->n_episodes,     c->recent_n,     c->recent_i};
    memcpy(w, head, sizeof head);
    memcpy(w + 7, c->recent, sizeof c->recent);
    memcpy(w + 107, &c->wall_seconds, sizeof c->wall_seconds);
    memcpy(w + 108, c->events, sizeof c->events);
}

static void from_words(runs_checkpoint *c, const uint64_t *w)
{
    c->episodes_bytes = w[0], c->episodes_sum = w[1], c->updates_bytes = w[2];
    c->updates_sum = w[3], c->n_episodes = w[4], c->recent_n = w[5], c->recent_i = w[6];
    memcpy(c->recent, w + 7, sizeof c->recent);
    memcpy(&c->wall_seconds, w + 107, sizeof c->wall_seconds);
    memcpy(c->events, w + 108, sizeof c->events);
}

static int put_section(core_text *t, const char *name, const void *data, size_t len)
{
    unsigned char head[NAME_LEN + 8] = {0};
    memcpy(head, name, strlen(name));
    core_put_u64le(head + NAME_LEN, len);
    return core_text_put(t, (const char *)head, sizeof head) || core_text_put(t, data, len);
}

clkfac_status runs_checkpoint_write(const char *dir, const runs_checkpoint *c)
{
    uint64_t words[N_WORDS];
    unsigned char wb[N_WORDS * 8];
    to_words(words, c);
    for (size_t i = 0; i < N_WORDS; i++) core_put_u64le(wb + 8 * i, words[i]);
    core_text t = {0};
    unsigned char head[HEADER_LEN] = {0};
    core_text_put(&t, (const char *)head, sizeof head);
    put_section(&t, "settings", c->settings, strlen(c->settings));
    put_section(&t, "counters", wb, sizeof wb);
    put_section(&t, "agent", c->agent, c->agent_size);
    put_section(&t, "envs", c->envs, c->envs_size);
    if (t.oom) {
        core_text_free(&t);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for the checkpoint");
    }
    unsigned char *b = (unsigned char *)t.s;
    memcpy(b, MAGIC, 8);
    core_put_u64le(b + 8, RUNS_CHECKPOINT_VERSION);
    core_put_u64le(b + 16, t.n - HEADER_LEN);
    core_put_u64le(b + 24, core_fnv1a(CORE_FNV_INIT, b + HEADER_LEN, t.n - HEADER_LEN));
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, RUNS_CHECKPOINT_FILE);
    clkfac_status st = clkfac_file_write_atomic(path, t.s, t.n);
    core_text_free(&t);
    return st;
}

/* The whole file: 0, or an errno. */
static int read_binary(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno ? errno : EIO;
    core_text t = {0};
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        if (core_text_put(&t, buf, k)) break;
    int err = t.oom ? ENOMEM : ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        core_text_free(&t);
        return err;
    }
    *out = (unsigned char *)t.s;
    *len = t.n;
    return 0;
}

/* The next section, which must be called name: its bytes at *data, *len. */
static int take_section(const unsigned char *b, size_t n, size_t *at, const char *name,
                        const unsigned char **data, size_t *len, const char *path)
{
    char stored[NAME_LEN + 1] = {0};
    if (n - *at < NAME_LEN + 8)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: ends before section '%s' (corrupt)", path,
                               name);
    memcpy(stored, b + *at, NAME_LEN);
    uint64_t l = core_get_u64le(b + *at + NAME_LEN);
    if (strcmp(stored, name))
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: section '%.16s' where '%s' belongs "
                               "(corrupt)", path, stored, name);
    if (l > n - *at - NAME_LEN - 8)
        return CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: section '%s' of %llu bytes runs past the "
                               "end (corrupt)", path, name, (unsigned long long)l);
    *data = b + *at + NAME_LEN + 8;
    *len = (size_t)l;
    *at += NAME_LEN + 8 + (size_t)l;
    return CLKFAC_OK;
}

static void *dup_bytes(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d) memcpy(d, p, n);
    return d;
}

int runs_checkpoint_read(runs_checkpoint *c, const char *dir)
{
    memset(c, 0, sizeof *c);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, RUNS_CHECKPOINT_FILE);
    unsigned char *b = NULL;
    size_t n = 0;
    int err = read_binary(path, &b, &n);
    if (err == ENOENT) return RUNS_MISSING;
    if (err == ENOMEM) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory reading %s", path);
    if (err) return CORE_FAIL_INPUT(CLKFAC_ERR_IO, "cannot read %s: %s", path, strerror(err));
    int st = CLKFAC_OK;
    if (n < HEADER_LEN || memcmp(b, MAGIC, 8))
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: not a clkfac checkpoint (%zu bytes, no '%s' "
                             "header)", path, n, MAGIC);
    else if (core_get_u64le(b + 8) != RUNS_CHECKPOINT_VERSION)
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: version %llu; this build reads version %u",
                             path, (unsigned long long)core_get_u64le(b + 8), RUNS_CHECKPOINT_VERSION);
    else if (core_get_u64le(b + 16) != n - HEADER_LEN)
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: %zu bytes after the header, it says %llu "
                             "(cut short or corrupt)", path, n - HEADER_LEN,
                             (unsigned long long)core_get_u64le(b + 16));
    else if (core_fnv1a(CORE_FNV_INIT, b + HEADER_LEN, n - HEADER_LEN) != core_get_u64le(b + 24))
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: checksum mismatch (corrupt); not trusted",
                             path);
    size_t at = HEADER_LEN, len = 0;
    const unsigned char *d = NULL;
    if (!st && !(st = take_section(b, n, &at, "settings", &d, &len, path))) {
        c->settings = malloc(len + 1);
        if (c->settings) {
            memcpy(c->settings, d, len);
            c->settings[len] = '\0';
        }
    }
    if (!st && !(st = take_section(b, n, &at, "counters", &d, &len, path))) {
        uint64_t w[N_WORDS];
        if (len != sizeof w)
            st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: counters hold %zu bytes, expected %zu",
                                 path, len, sizeof w);
        for (size_t i = 0; !st && i < N_WORDS; i++) w[i] = core_get_u64le(d + 8 * i);
        if (!st) from_words(c, w);
        if (!st && (c->recent_n > 100 || c->recent_i >= 100))
            st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: recent-return ring %llu/%llu out of range",
                                 path, (unsigned long long)c->recent_i,
                                 (unsigned long long)c->recent_n);
    }
    if (!st && !(st = take_section(b, n, &at, "agent", &d, &len, path))) {
        c->agent = dup_bytes(d, len);
        c->agent_size = len;
    }
    if (!st && !(st = take_section(b, n, &at, "envs", &d, &len, path))) {
        c->envs = dup_bytes(d, len);
        c->envs_size = len;
    }
    if (!st && at != n)
        st = CORE_FAIL_INPUT(CLKFAC_ERR_FORMAT, "%s: %zu bytes after the last section", path,
                             n - at);
    if (!st && (!c->settings || !c->agent || !c->envs))
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory reading %s", path);
    free(b);
    if (st) runs_checkpoint_free(c);
    return st;
}

void runs_checkpoint_free(runs_checkpoint *c)
{
    free(c->settings);
    free(c->agent);
    free(c->envs);
    memset(c, 0, sizeof *c);
}

void runs_checkpoint_remove(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, RUNS_CHECKPOINT_FILE);
    remove(path);
}

/* The value of key in "key=value\n" lines (NULL when absent); *n gets its length. */
static const char *find_key(const char *text, const char *key, size_t klen, size_t *n)
{
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (!strncmp(l, key, klen) && l[klen] == '=') {
            const char *v = l + klen + 1, *e = strchr(v, '\n');
            *n = e ? (size_t)(e - v) : strlen(v);
            return v;
        }
    return NULL;
}

int runs_settings_diff(const char *have, const char *want, char *what, size_t cap)
{
    for (const char *l = want; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *eq = strchr(l, '='), *end = strchr(l, '\n');
        if (!eq || (end && eq > end)) continue;
        size_t klen = (size_t)(eq - l), wn = end ? (size_t)(end - eq - 1) : strlen(eq + 1), hn = 0;
        const char *hv = find_key(have, l, klen, &hn);
        if (hv && hn == wn && !strncmp(hv, eq + 1, wn)) continue;
        if (hv)
            snprintf(what, cap, "%.*s (checkpoint: %.*s; this run: %.*s)", (int)klen, l, (int)hn,
                     hv, (int)wn, eq + 1);
        else
            snprintf(what, cap, "%.*s (not in the checkpoint)", (int)klen, l);
        return 0;
    }
    return -1;
}

int runs_file_digest(const char *dir, const char *name, uint64_t *bytes, uint64_t *sum)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *b = NULL;
    size_t n = 0;
    int err = read_binary(path, &b, &n);
    if (err) return err;
    *bytes = n;
    *sum = core_fnv1a(CORE_FNV_INIT, b, n);
    free(b);
    return 0;
}
