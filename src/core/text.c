/* The growing text buffer and the whole-file reader (see text.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/text.h"

static int reserve(core_text *t, size_t extra)
{
    if (t->oom) return -1;
    if (t->n + extra + 1 <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->n + extra + 1) {
        if (cap > ((size_t)-1) / 2) { t->oom = 1; return -1; }
        cap *= 2;
    }
    char *s = realloc(t->s, cap);
    if (!s) { t->oom = 1; return -1; }
    t->s = s;
    t->cap = cap;
    return 0;
}

int core_text_put(core_text *t, const char *s, size_t len)
{
    if (reserve(t, len)) return -1;
    memcpy(t->s + t->n, s, len);
    t->n += len;
    t->s[t->n] = '\0';
    return 0;
}

int core_text_printf(core_text *t, const char *fmt, ...)
{
    if (t->oom) return -1;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) { t->oom = 1; return -1; }
    if (reserve(t, (size_t)k)) return -1;
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
    return 0;
}

void core_text_free(core_text *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

int core_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno ? errno : EIO;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return EISDIR;
    }
    core_text t = {0};
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        if (core_text_put(&t, buf, k)) break;
    int err = t.oom ? ENOMEM : ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!err && !t.s && core_text_put(&t, "", 0)) err = ENOMEM;
    if (!err && memchr(t.s, '\0', t.n)) err = EILSEQ; /* a binary file */
    if (err) {
        core_text_free(&t);
        return err;
    }
    *out = t.s;
    *len = t.n;
    return 0;
}

int core_list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}
