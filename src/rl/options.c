/* The agent's option table, generated from CLKFAC_AGENT_OPTION_LIST (clkfac/agent.h): the
 * descriptor array the command line, the run log and the suites read, the default resolver the
 * agent calls first, and the options as text (a run's summary.json, a suite's run key). */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clkfac/agent.h"
#include "core/core.h"

/* The list's columns as descriptor fields: a default is one number or PER_ALGO(a2c, acktr,
 * trpo); choices are NONE or CHOICES("a", "b", ...). */
#define PER_ALGO(a2c, acktr, trpo) a2c, acktr, trpo
#define DEF_PICK_(_1, _2, _3, name, ...) name
#define DEF_ONE_(v) v, v, v
#define DEF_THREE_(a, b, c) a, b, c
#define DEFAULTS_(...) DEF_PICK_(__VA_ARGS__, DEF_THREE_, unused, DEF_ONE_, unused)(__VA_ARGS__)
#define NONE NULL
#define CHOICES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ROW_(ctype, field, type, flag, meta, lo, hi, def, choices, algos, help)                  \
    {#field, flag, meta, CLKFAC_OPTION_##type, offsetof(clkfac_agent_options, field),           \
     sizeof(((clkfac_agent_options *)0)->field), lo, hi, {DEFAULTS_(def)}, choices,             \
     CLKFAC_OPTION_FOR_##algos, help},

static const clkfac_option TABLE[] = {CLKFAC_AGENT_OPTION_LIST(ROW_)};
#define N_ROWS (sizeof TABLE / sizeof TABLE[0])

/* the storage each type claims; an enum must be int-sized to be read as one */
#define CHECK_SIZE_(ctype, field, type, ...)                                                     \
    _Static_assert(sizeof(((clkfac_agent_options *)0)->field) == SIZE_##type,                   \
                   #field ": its C type does not match its table type " #type);
#define SIZE_BOOL sizeof(int)
#define SIZE_INT sizeof(int)
#define SIZE_UINT sizeof(unsigned)
#define SIZE_U64 sizeof(uint64_t)
#define SIZE_FLOAT sizeof(float)
#define SIZE_DOUBLE sizeof(double)
#define SIZE_ENUM sizeof(int)
#define SIZE_STRING sizeof(const char *)
CLKFAC_AGENT_OPTION_LIST(CHECK_SIZE_)
_Static_assert(CLKFAC_AGENT_OPTION_COUNT <= 64, "the given mask has 64 bits");

const clkfac_option *clkfac_agent_option_table(size_t *count)
{
    if (count) *count = N_ROWS;
    return TABLE;
}

double clkfac_option_get(const clkfac_option *d, const void *base)
{
    const char *p = (const char *)base + d->offset;
    int i;
    unsigned u;
    uint64_t q;
    float f;
    double x;
    const char *s;
    switch (d->type) {
    case CLKFAC_OPTION_UINT: memcpy(&u, p, sizeof u); return u;
    case CLKFAC_OPTION_U64: memcpy(&q, p, sizeof q); return (double)q;
    case CLKFAC_OPTION_FLOAT: memcpy(&f, p, sizeof f); return f;
    case CLKFAC_OPTION_DOUBLE: memcpy(&x, p, sizeof x); return x;
    case CLKFAC_OPTION_STRING: memcpy(&s, p, sizeof s); return s != NULL;
    default: memcpy(&i, p, sizeof i); return i;
    }
}

void clkfac_option_set(const clkfac_option *d, void *base, double v)
{
    char *p = (char *)base + d->offset;
    int i;
    unsigned u;
    uint64_t q;
    float f;
    switch (d->type) { /* each conversion only for its type: out of range it would be undefined */
    case CLKFAC_OPTION_UINT: u = (unsigned)v; memcpy(p, &u, sizeof u); break;
    case CLKFAC_OPTION_U64: q = (uint64_t)v; memcpy(p, &q, sizeof q); break;
    case CLKFAC_OPTION_FLOAT: f = (float)v; memcpy(p, &f, sizeof f); break;
    case CLKFAC_OPTION_DOUBLE: memcpy(p, &v, sizeof v); break;
    case CLKFAC_OPTION_STRING: break; /* NULL is a default (the agent picks by observation) */
    default: i = (int)v; memcpy(p, &i, sizeof i); break;
    }
}

clkfac_status clkfac_agent_options_resolve(clkfac_agent_options *out,
                                           const clkfac_agent_options *in)
{
    clkfac_agent_options o;
    memset(&o, 0, sizeof o);
    o.version = CLKFAC_AGENT_OPTIONS_VERSION;
    if (in && in->version != CLKFAC_AGENT_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "agent options version %u, expected %u",
                         in->version, CLKFAC_AGENT_OPTIONS_VERSION);
    if (in) o = *in;
    /* algo is row 0: resolved first, it picks the other rows' defaults */
    for (size_t k = 0; k < N_ROWS; k++) {
        const clkfac_option *d = &TABLE[k];
        uint64_t bit = (uint64_t)1 << k;
        if (!(o.given & bit) && clkfac_option_get(d, &o) == 0) {
            unsigned a = (unsigned)o.algo < 3 ? (unsigned)o.algo : 0;
            clkfac_option_set(d, &o, d->def[a]);
        }
        o.given |= bit;
    }
    *out = o;
    return CLKFAC_OK;
}

/* Appends to buf at *n what fmt gives; the length is counted even when it does not fit. */
static void put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(*n < cap ? buf + *n : NULL, *n < cap ? cap - *n : 0, fmt, ap);
    va_end(ap);
    if (k > 0) *n += (size_t)k;
}

static void put_string(char *buf, size_t cap, size_t *n, const char *s, int json)
{
    if (!json) {
        put(buf, cap, n, "%s", s);
        return;
    }
    put(buf, cap, n, "\"");
    for (const char *c = s; *c; c++) put(buf, cap, n, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
    put(buf, cap, n, "\"");
}

clkfac_status clkfac_agent_options_text(char *buf, size_t cap, const clkfac_agent_options *opts,
                                        int json)
{
    clkfac_agent_options o;
    clkfac_status st = clkfac_agent_options_resolve(&o, opts);
    if (st) return st;
    size_t n = 0;
    int first = 1;
    for (size_t k = 0; k < N_ROWS; k++) {
        const clkfac_option *d = &TABLE[k];
        if ((unsigned)o.algo < 3 && !(d->algos & (1u << o.algo))) continue;
        put(buf, cap, &n, json ? "%s\"%s\": " : "%s%s=", first ? "" : json ? ", " : " ", d->name);
        first = 0;
        const char *p = (const char *)&o + d->offset, *s;
        uint64_t q;
        double v = clkfac_option_get(d, &o);
        switch (d->type) {
        case CLKFAC_OPTION_BOOL: put(buf, cap, &n, "%s", v != 0 ? "true" : "false"); break;
        case CLKFAC_OPTION_FLOAT: put(buf, cap, &n, "%g", v); break;
        case CLKFAC_OPTION_DOUBLE: put(buf, cap, &n, "%.17g", v); break;
        case CLKFAC_OPTION_U64:
            memcpy(&q, p, sizeof q);
            put(buf, cap, &n, "%" PRIu64, q);
            break;
        case CLKFAC_OPTION_ENUM:
            s = NULL;
            for (int i = 0; d->choices && d->choices[i]; i++)
                if (i == (int)v) s = d->choices[i];
            if (s) put_string(buf, cap, &n, s, json);
            else put(buf, cap, &n, "%.0f", v);
            break;
        case CLKFAC_OPTION_STRING:
            memcpy(&s, p, sizeof s);
            if (s) put_string(buf, cap, &n, s, json);
            else put(buf, cap, &n, "%s", json ? "null" : "auto");
            break;
        default: put(buf, cap, &n, "%.0f", v); break;
        }
    }
    if (n >= cap)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "options text needs %zu bytes, %zu given", n + 1,
                         cap);
    if (n == 0 && cap) buf[0] = '\0';
    return CLKFAC_OK;
}
