/* Temporary files for the fuzz harnesses; see fuzz_common.h. */
#include "fuzz_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[512];

static void remove_dir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", g_dir);
}

const char *fuzz_dir(void)
{
    if (!g_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(g_dir, sizeof g_dir, "%s/clkfac-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(g_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(remove_dir);
    }
    return g_dir;
}

const char *fuzz_put(int slot, const char *name, const uint8_t *data, size_t n)
{
    static char paths[4][700];
    char *p = paths[slot & 3];
    snprintf(p, sizeof paths[0], "%s/%s", fuzz_dir(), name);
    for (char *s = p + strlen(fuzz_dir()) + 1; *s; s++) /* subfolders of name */
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) abort();
            *s = '/';
        }
    FILE *f = fopen(p, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror("fuzz: writing an input file");
        abort();
    }
    return p;
}

void fuzz_remove(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", fuzz_dir(), name);
    if (unlink(p) != 0) rmdir(p);
}

int fuzz_part(const uint8_t *data, size_t n, int k, const uint8_t **part, size_t *len)
{
    const size_t sl = strlen(FUZZ_SEP);
    const uint8_t *p = data, *end = data + n;
    for (int i = 0;; i++) {
        const uint8_t *q = p;
        while (q + sl <= end && memcmp(q, FUZZ_SEP, sl) != 0) q++;
        if (q + sl > end) q = end;
        if (i == k) {
            *part = p;
            *len = (size_t)(q - p);
            return 1;
        }
        if (q == end) break;
        p = q + sl;
    }
    *part = data;
    *len = 0;
    return 0;
}
