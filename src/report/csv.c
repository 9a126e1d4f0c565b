/* The CSV line reader and field splitter (see csv.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/csv.h"

char *csv_trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

char *csv_next_line(csv_lines *L)
{
    while (L->p < L->end) {
        char *s = L->p, *nl = memchr(s, '\n', (size_t)(L->end - s));
        L->lineno++;
        if (nl) {
            *nl = '\0';
            L->p = nl + 1;
        } else {
            L->p = L->end;
        }
        char *t = csv_trim(s);
        if (!*t || *t == '#') continue;
        if (!nl && L->drop_partial) {
            L->partial_line = L->lineno;
            return NULL;
        }
        return t;
    }
    return NULL;
}

int csv_split(char *s, char **f, int max)
{
    int n = 0;
    for (;;) {
        if (n == max) return -2;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '"') {
            char *o = ++s;
            f[n] = o;
            for (;;) {
                if (!*s) return -1;
                if (*s == '"') {
                    if (s[1] == '"') { *o++ = '"'; s += 2; continue; }
                    s++;
                    break;
                }
                *o++ = *s++;
            }
            while (*s == ' ' || *s == '\t') s++;
            if (*s && *s != ',') return -1;
            char c = *s;
            *o = '\0';
            n++;
            if (!c) return n;
            s++;
        } else {
            f[n++] = s;
            char *c = strchr(s, ',');
            if (c) *c = '\0';
            f[n - 1] = csv_trim(f[n - 1]);
            if (!c) return n;
            s = c + 1;
        }
    }
}

int csv_col(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(f[i], name)) return i;
    return -1;
}

int csv_num(const char *s, double *v)
{
    if (!*s) return -1;
    char *e = NULL;
    double x = strtod(s, &e);
    if (e == s || *e || !isfinite(x)) return -1;
    *v = x;
    return 0;
}
