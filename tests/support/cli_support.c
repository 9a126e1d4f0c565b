/* Helpers for tests that drive the clkfac program; see cli_support.h. */
#include "cli_support.h"
#include "harness.h"
#include "report/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *cs_bin(void)
{
    const char *b = getenv("CLKFAC_BIN");
    return (b && *b) ? b : NULL;
}

int cs_run(const char *args, char *out, size_t cap)
{
    const char *bin = cs_bin();
    if (!bin) return -1;
    size_t n = strlen(bin) + strlen(args) + 32;
    char *cmd = malloc(n);
    if (!cmd) return -1;
    snprintf(cmd, n, "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) return -1;
    size_t len = 0;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0)
        if (out && len + 1 < cap) {
            size_t c = k < cap - 1 - len ? k : cap - 1 - len;
            memcpy(out + len, buf, c);
            len += c;
        }
    if (out && cap) out[len] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void cs_expect_usage(const char *args, const char *needle)
{
    char out[8192];
    int rc = cs_run(args, out, sizeof out);
    if (rc != 2) fail_msg("'clkfac %s' exited %d, expected 2; output:\n%s", args, rc, out);
    if (!strstr(out, needle)) fail_msg("'clkfac %s': message lacks '%s':\n%s", args, needle, out);
}

void cs_put(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    if (fclose(f) != 0) fail_msg("cannot write %s", path);
}

char *cs_tempdir(const char *tag)
{
    char *d = malloc(256);
    if (!d) return NULL;
    snprintf(d, 256, "/tmp/clkfac-%s-XXXXXX", tag);
    if (!mkdtemp(d)) {
        free(d);
        return NULL;
    }
    return d;
}

void cs_rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[len] = '\0';
    *n = (size_t)len;
    return b;
}

int cs_same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

size_t cs_read_episodes(const char *path, double **ret, double **timestep)
{
    runs_episodes e; /* the run-folder module's reader: the format is known in one place */
    *ret = NULL;
    *timestep = NULL;
    if (runs_episodes_read(&e, path)) return 0;
    *ret = e.r;
    *timestep = e.t;
    return e.n;
}

double cs_best_window(const double *ret, const double *ts, size_t n, size_t k, double threshold,
                      double *cross_ts)
{
    *cross_ts = -1;
    if (n < k) return -1e300;
    double s = 0, best = -1e300;
    for (size_t i = 0; i < n; i++) {
        s += ret[i];
        if (i >= k) s -= ret[i - k];
        if (i + 1 >= k) {
            double m = s / (double)k;
            if (m > best) best = m;
            if (m >= threshold && *cross_ts < 0) *cross_ts = ts[i];
        }
    }
    return best;
}
