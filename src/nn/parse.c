/* Parsing of network descriptions ("conv:32,8,4 conv:64,4,2 dense:512") and activation names.
 * Errors name the offending token and the expected form, because these strings come straight
 * from command lines and configuration files. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/nn.h"
#include "core/core.h"

#define MAX_DIM 1000000 /* generous bound so sizes cannot overflow later products */

static const struct { const char *name; clkfac_nn_act act; } ACTS[] = {
    {"relu", CLKFAC_NN_ACT_RELU}, {"tanh", CLKFAC_NN_ACT_TANH}, {"elu", CLKFAC_NN_ACT_ELU},
    {"identity", CLKFAC_NN_ACT_IDENTITY}, {"linear", CLKFAC_NN_ACT_IDENTITY},
};

clkfac_status clkfac_nn_act_parse(clkfac_nn_act *out, const char *name)
{
    for (size_t i = 0; name && i < sizeof ACTS / sizeof ACTS[0]; i++)
        if (!strcmp(name, ACTS[i].name)) {
            *out = ACTS[i].act;
            return CLKFAC_OK;
        }
    return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "activation '%s'; expected relu, tanh, elu or "
                     "identity", name ? name : "(null)");
}

const char *clkfac_nn_act_name(clkfac_nn_act act)
{
    for (size_t i = 0; i < sizeof ACTS / sizeof ACTS[0]; i++)
        if (ACTS[i].act == act) return ACTS[i].name;
    return "?";
}

/* Reads up to max comma-separated non-negative integers spanning all of s; -1 on junk. */
static int parse_ints(const char *s, int *vals, int max)
{
    int n = 0;
    while (*s) {
        if (n == max || !isdigit((unsigned char)*s)) return -1;
        errno = 0;
        char *end;
        long v = strtol(s, &end, 10);
        if (errno || v > MAX_DIM) return -1;
        vals[n++] = (int)v;
        s = end;
        if (*s == ',') {
            s++;
            if (!*s) return -1;
        } else if (*s) {
            return -1;
        }
    }
    return n;
}

/* One token (NUL-terminated copy) into *out; 1 = a layer, 0 = flatten, <0 = error set. */
static int parse_token(clkfac_nn_layer_spec *out, char *tok, const char *orig, size_t index)
{
    clkfac_nn_layer_spec l = {CLKFAC_NN_DENSE, 0, 0, 0, 0, 0.0f};
    char *at = strchr(tok, '@');
    if (at) {
        *at = '\0';
        char *end;
        errno = 0;
        double g = strtod(at + 1, &end);
        if (at[1] == '\0' || *end || errno || !isfinite(g) || !(g > 0.0)) {
            CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%s': gain '%s' after '@'; "
                      "expected a positive number", index + 1, orig, at + 1);
            return -1;
        }
        l.gain = (float)g;
    }
    if (!strcmp(tok, "flatten")) {
        if (at) {
            CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%s': flatten has no "
                      "parameters, so no @gain", index + 1, orig);
            return -1;
        }
        return 0;
    }
    int v[4];
    if (!strncmp(tok, "conv:", 5)) {
        int n = parse_ints(tok + 5, v, 4);
        if (n < 3 || v[0] < 1 || v[1] < 1 || v[2] < 1) {
            CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%s': expected "
                      "conv:FILTERS,KERNEL,STRIDE[,PAD] with FILTERS, KERNEL, STRIDE >= 1 and "
                      "PAD >= 0 (integers up to %d)", index + 1, orig, MAX_DIM);
            return -1;
        }
        l.kind = CLKFAC_NN_CONV;
        l.units = v[0];
        l.kernel = v[1];
        l.stride = v[2];
        l.pad = n == 4 ? v[3] : 0;
    } else if (!strncmp(tok, "dense:", 6)) {
        int n = parse_ints(tok + 6, v, 1);
        if (n != 1 || v[0] < 1) {
            CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%s': expected dense:UNITS with "
                      "UNITS an integer in [1, %d]", index + 1, orig, MAX_DIM);
            return -1;
        }
        l.units = v[0];
    } else {
        CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%s': expected "
                  "conv:FILTERS,KERNEL,STRIDE[,PAD], dense:UNITS or flatten (each with an "
                  "optional @GAIN)", index + 1, orig);
        return -1;
    }
    *out = l;
    return 1;
}

clkfac_status clkfac_nn_parse(clkfac_nn_layer_spec *layers, size_t cap, size_t *n_out,
                              const char *spec)
{
    if (!spec) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network description is NULL");
    size_t n = 0, index = 0;
    const char *p = spec;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        size_t len = 0;
        while (p[len] && !isspace((unsigned char)p[len])) len++;
        char tok[128], orig[128];
        if (len >= sizeof tok)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%.40s...' is %zu "
                             "characters; expected a layer such as conv:32,8,4 or dense:512",
                             index + 1, p, len);
        memcpy(tok, p, len);
        tok[len] = '\0';
        memcpy(orig, tok, len + 1);
        clkfac_nn_layer_spec l;
        int r = parse_token(&l, tok, orig, index);
        if (r < 0) return CLKFAC_ERR_INVALID_ARG;
        if (r == 1) {
            if (n == cap)
                return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network token %zu '%s': more than %zu "
                                 "layers", index + 1, orig, cap);
            layers[n++] = l;
        }
        p += len;
        index++;
    }
    *n_out = n;
    return CLKFAC_OK;
}
