/* NumPy .npy reading and writing (see include/clkfac/npy.h): a strict parser for the header dict
 * that names the file, what it found and what it expected on every rejection, and an atomic
 * writer (temp file in the same directory, fsync, rename). Host-only; no OpenCL here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clkfac/npy.h"
#include "core.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* Headers are a few hundred bytes; anything far larger is a corrupt length field, and refusing it
 * avoids allocating gigabytes because of one bad byte. */
#define NPY_MAX_HEADER (1u << 20)

/* ---- small helpers ------------------------------------------------------------------------ */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes(void *p, size_t width, size_t count)
{
    unsigned char *b = p;
    for (size_t i = 0; i < count; i++, b += width)
        for (size_t j = 0; j < width / 2; j++) {
            unsigned char t = b[j];
            b[j] = b[width - 1 - j];
            b[width - 1 - j] = t;
        }
}

char *clkfac_shape_str(char *buf, size_t cap, int ndim, const size_t *shape)
{
    if (!buf || cap == 0) return buf;
    size_t used = 0;
    buf[0] = '\0';
#define SHAPE_PUT(...)                                                          \
    do {                                                                        \
        if (used < cap) {                                                       \
            int n_ = snprintf(buf + used, cap - used, __VA_ARGS__);             \
            if (n_ > 0) used += (size_t)n_ < cap - used ? (size_t)n_ : cap - used; \
        }                                                                       \
    } while (0)
    SHAPE_PUT("(");
    for (int i = 0; i < ndim; i++) SHAPE_PUT(i ? ",%zu" : "%zu", shape[i]);
    SHAPE_PUT(ndim == 1 ? ",)" : ")");
#undef SHAPE_PUT
    return buf;
}

size_t clkfac_array_size(const clkfac_array *a)
{
    if (!a) return 0;
    size_t n = 1;
    for (int i = 0; i < a->ndim; i++) n *= a->shape[i];
    return n;
}

void clkfac_array_free(clkfac_array *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Element count of a shape, or 0 with *overflow set when count * itemsize would not fit in
 * size_t (so the byte count can be formed safely afterwards). */
static size_t shape_count(int ndim, const size_t *shape, size_t itemsize, int *overflow)
{
    size_t n = 1;
    int zero = 0;
    *overflow = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) zero = 1;
        else if (n > SIZE_MAX / shape[i]) *overflow = 1;
        else n *= shape[i];
    }
    if (!*overflow && n > SIZE_MAX / itemsize) *overflow = 1;
    /* A zero dimension makes the array empty however large the others are. */
    if (zero) {
        *overflow = 0;
        return 0;
    }
    return *overflow ? 0 : n;
}

/* ---- header dict parser ------------------------------------------------------------------- */

typedef struct npy_header {
    char descr[32];
    int have_descr, have_fortran, have_shape;
    int fortran;
    int ndim;
    size_t shape[CLKFAC_ARRAY_MAX_DIMS];
} npy_header;

typedef struct npy_parser {
    const char *path;
    const char *s; /* header text (NUL-terminated copy) */
    size_t n, i;
} npy_parser;

static void skip_ws(npy_parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

/* A printable description of the character at the cursor for "found ..." messages. */
static const char *found_desc(const npy_parser *p, char *buf, size_t cap)
{
    if (p->i >= p->n) snprintf(buf, cap, "the end of the header");
    else if (p->s[p->i] == '\'') snprintf(buf, cap, "a quote");
    else if (p->s[p->i] >= 32 && p->s[p->i] < 127) snprintf(buf, cap, "'%c'", p->s[p->i]);
    else snprintf(buf, cap, "byte 0x%02x", (unsigned char)p->s[p->i]);
    return buf;
}

/* FORMAT error for a header that is not the dict NumPy writes; quotes the header (shortened) so
 * the user sees what the file actually holds. */
static clkfac_status malformed(const npy_parser *p, const char *expected)
{
    char f[32];
    found_desc(p, f, sizeof f);
    int shown = p->n > 160 ? 160 : (int)p->n;
    /* trailing padding and the newline make the quoted header unreadable */
    while (shown > 0 && (p->s[shown - 1] == ' ' || p->s[shown - 1] == '\n')) shown--;
    return CORE_FAIL(CLKFAC_ERR_FORMAT,
                     "%s: malformed .npy header at character %zu: expected %s, found %s "
                     "(header: %.*s%s)",
                     p->path, p->i, expected, f, shown, p->s, p->n > 160 ? "..." : "");
}

/* A Python string literal in single or double quotes, no escapes (NumPy never writes any in the
 * keys or descr it emits). */
static clkfac_status parse_string(npy_parser *p, char *out, size_t cap, const char *what)
{
    if (p->i >= p->n || (p->s[p->i] != '\'' && p->s[p->i] != '"')) return malformed(p, what);
    char q = p->s[p->i++];
    size_t start = p->i;
    while (p->i < p->n && p->s[p->i] != q) {
        if (p->s[p->i] == '\\' || p->s[p->i] == '\n') return malformed(p, "a closing quote");
        p->i++;
    }
    if (p->i >= p->n) return malformed(p, "a closing quote");
    size_t len = p->i - start;
    p->i++;
    if (len >= cap) {
        return CORE_FAIL(CLKFAC_ERR_FORMAT,
                         "%s: malformed .npy header: string '%.*s...' is too long for %s", p->path,
                         20, p->s + start, what);
    }
    memcpy(out, p->s + start, len);
    out[len] = '\0';
    return CLKFAC_OK;
}

static int match_word(npy_parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->n - p->i < n || memcmp(p->s + p->i, w, n) != 0) return 0;
    /* "Trueish" is not True */
    if (p->i + n < p->n) {
        char c = p->s[p->i + n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            return 0;
    }
    p->i += n;
    return 1;
}

static clkfac_status parse_shape(npy_parser *p, npy_header *h)
{
    if (p->i >= p->n || p->s[p->i] != '(') return malformed(p, "a shape tuple such as (3, 4)");
    p->i++;
    int nd = 0, commas = 0;
    for (;;) {
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ')') {
            p->i++;
            break;
        }
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') {
            if (p->i < p->n && p->s[p->i] == '-') {
                return CORE_FAIL(CLKFAC_ERR_FORMAT,
                                 "%s: malformed .npy header: negative dimension in shape; "
                                 "expected non-negative integers",
                                 p->path);
            }
            return malformed(p, "a non-negative integer dimension or ')'");
        }
        size_t v = 0;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
            unsigned d = (unsigned)(p->s[p->i] - '0');
            if (v > (SIZE_MAX - d) / 10) {
                return CORE_FAIL(CLKFAC_ERR_FORMAT,
                                 "%s: shape dimension %zu is larger than %zu; the shape cannot be "
                                 "a real array",
                                 p->path, (size_t)nd, (size_t)SIZE_MAX);
            }
            v = v * 10 + d;
            p->i++;
        }
        if (p->i < p->n && p->s[p->i] == 'L') p->i++; /* Python 2 long literal */
        if (nd >= CLKFAC_ARRAY_MAX_DIMS) {
            return CORE_FAIL(CLKFAC_ERR_FORMAT,
                             "%s: array has more than %d dimensions; expected at most %d",
                             p->path, CLKFAC_ARRAY_MAX_DIMS, CLKFAC_ARRAY_MAX_DIMS);
        }
        h->shape[nd++] = v;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            commas++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ')') {
            p->i++;
            break;
        }
        return malformed(p, "',' or ')' in the shape tuple");
    }
    /* In Python "(3)" is the integer 3, not a tuple: NumPy itself rejects it. */
    if (nd == 1 && commas == 0) {
        return CORE_FAIL(CLKFAC_ERR_FORMAT,
                         "%s: malformed .npy header: shape (%zu) is not a tuple; expected (%zu,)",
                         p->path, h->shape[0], h->shape[0]);
    }
    h->ndim = nd;
    return CLKFAC_OK;
}

static clkfac_status parse_header(npy_parser *p, npy_header *h)
{
    clkfac_status st;
    memset(h, 0, sizeof *h);
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '{') return malformed(p, "'{' opening the header dict");
    p->i++;
    for (;;) {
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            break;
        }
        char key[32];
        if ((st = parse_string(p, key, sizeof key, "a quoted key or '}'"))) return st;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') return malformed(p, "':' after the key");
        p->i++;
        skip_ws(p);
        if (!strcmp(key, "descr")) {
            if (h->have_descr) return malformed(p, "each key once (second 'descr')");
            if (p->i < p->n && p->s[p->i] == '[') {
                return CORE_FAIL(CLKFAC_ERR_FORMAT,
                                 "%s: dtype is a structured (record) array; expected a plain "
                                 "little-endian float32 '<f4' (or '<f8', converted to float32)",
                                 p->path);
            }
            if ((st = parse_string(p, h->descr, sizeof h->descr, "a quoted dtype such as '<f4'")))
                return st;
            h->have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (h->have_fortran) return malformed(p, "each key once (second 'fortran_order')");
            if (match_word(p, "True")) h->fortran = 1;
            else if (match_word(p, "False")) h->fortran = 0;
            else return malformed(p, "True or False for 'fortran_order'");
            h->have_fortran = 1;
        } else if (!strcmp(key, "shape")) {
            if (h->have_shape) return malformed(p, "each key once (second 'shape')");
            if ((st = parse_shape(p, h))) return st;
            h->have_shape = 1;
        } else {
            return CORE_FAIL(CLKFAC_ERR_FORMAT,
                             "%s: malformed .npy header: unknown key '%s'; expected exactly "
                             "'descr', 'fortran_order' and 'shape'",
                             p->path, key);
        }
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            break;
        }
        return malformed(p, "',' or '}' after a value");
    }
    skip_ws(p);
    if (p->i < p->n) return malformed(p, "only spaces and a newline after the dict");
    if (!h->have_descr || !h->have_fortran || !h->have_shape) {
        return CORE_FAIL(CLKFAC_ERR_FORMAT,
                         "%s: malformed .npy header: missing key%s%s%s; expected 'descr', "
                         "'fortran_order' and 'shape'",
                         p->path, h->have_descr ? "" : " 'descr'",
                         h->have_fortran ? "" : " 'fortran_order'",
                         h->have_shape ? "" : " 'shape'");
    }
    return CLKFAC_OK;
}

/* Checks descr and returns the item size (4 for '<f4', 8 for '<f8'), or 0 with the error set. */
static size_t check_descr(const char *path, const char *d, clkfac_status *st)
{
    static const char expect[] = "expected little-endian float32 '<f4' (or float64 '<f8', "
                                 "converted to float32)";
    *st = CLKFAC_OK;
    if (!strcmp(d, "<f4")) return 4;
    if (!strcmp(d, "<f8")) return 8;
    if (d[0] == '>' && d[1] == 'f') {
        *st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                        "%s: dtype '%s' is big-endian; %s (e.g. a.astype('<f4'))", path, d,
                        expect);
        return 0;
    }
    const char *kind = "an unsupported type";
    char k = (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=') ? d[1] : d[0];
    switch (k) {
    case 'f': kind = "a floating-point width other than 32 or 64 bits"; break;
    case 'i': kind = "signed integers"; break;
    case 'u': kind = "unsigned integers"; break;
    case 'b': kind = "booleans or bytes"; break;
    case '?': kind = "booleans"; break;
    case 'c': kind = "complex numbers"; break;
    case 'O': kind = "Python objects (an object array)"; break;
    case 'U': kind = "unicode strings"; break;
    case 'S': case 'a': kind = "byte strings"; break;
    case 'V': kind = "raw void records"; break;
    case 'M': case 'm': kind = "dates or time deltas"; break;
    default: break;
    }
    *st = CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: dtype '%s' holds %s; %s", path, d, kind, expect);
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Reads count float64 values and stores them as float32, in chunks so the conversion needs no
 * second full-size buffer. Returns the number of values read. */
static size_t read_f8(FILE *f, float *dst, size_t count)
{
    double chunk[1024];
    size_t done = 0;
    int swap = !host_is_little_endian();
    while (done < count) {
        size_t want = count - done < 1024 ? count - done : 1024;
        size_t got = fread(chunk, 8, want, f);
        if (swap) swap_bytes(chunk, 8, got);
        for (size_t j = 0; j < got; j++) dst[done + j] = (float)chunk[j];
        done += got;
        if (got < want) break;
    }
    return done;
}

clkfac_status clkfac_npy_read(clkfac_array *out, const char *path)
{
    if (!out || !path) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_npy_read: NULL argument");
    clkfac_status st = CLKFAC_OK;
    char *hdr = NULL;
    float *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return CORE_FAIL(CLKFAC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));

    /* The file size (when it is a regular file) lets a truncated file or an absurd shape be
     * rejected before allocating anything. */
    struct stat sb;
    int have_stat = fstat(fileno(f), &sb) == 0;
    int known_size = have_stat && S_ISREG(sb.st_mode);
    if (have_stat && S_ISDIR(sb.st_mode)) { /* fopen opens a folder; reading it fails */
        fclose(f);
        return CORE_FAIL(CLKFAC_ERR_IO, "%s: is a directory; expected a .npy file", path);
    }
    size_t fsize = known_size ? (size_t)sb.st_size : 0;

    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < NPY_MAGIC_LEN || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        char shown[64] = "";
        size_t used = 0;
        for (size_t i = 0; i < got && i < NPY_MAGIC_LEN; i++)
            used += (size_t)snprintf(shown + used, sizeof shown - used, "%s%02x", i ? " " : "",
                                     pre[i]);
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       got == 0 ? "%s: not a .npy file: it is empty (%s); expected the magic "
                                  "string \\x93NUMPY"
                                : "%s: not a .npy file: it starts with bytes %s; expected the "
                                  "magic string \\x93NUMPY (93 4e 55 4d 50 59)",
                       path, got == 0 ? "0 bytes" : shown);
        goto cleanup;
    }
    if (got < 8) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: truncated .npy header: the file ends after %zu bytes, before the "
                       "format version",
                       path, got);
        goto cleanup;
    }
    int major = pre[6], minor = pre[7];
    if (!((major == 1 || major == 2 || major == 3) && minor == 0)) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: .npy format version %d.%d is not supported; expected 1.0, 2.0 or 3.0",
                       path, major, minor);
        goto cleanup;
    }
    /* 1.0 has a 2-byte header length; 2.0 and 3.0 (3.0 only allows UTF-8 in the header, which
     * the dict we accept never contains) have 4 bytes. */
    size_t len_bytes = major == 1 ? 2 : 4;
    size_t prefix = 8 + len_bytes;
    if (got < prefix) got += fread(pre + got, 1, prefix - got, f);
    if (got < prefix) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: truncated .npy header: the file ends after %zu bytes, inside the "
                       "%zu-byte header length of format %d.0",
                       path, got, len_bytes, major);
        goto cleanup;
    }
    size_t hlen = major == 1 ? (size_t)pre[8] | (size_t)pre[9] << 8 : (size_t)le32(pre + 8);
    if (hlen > NPY_MAX_HEADER) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: malformed .npy header: header length %zu bytes; expected at most %u",
                       path, hlen, NPY_MAX_HEADER);
        goto cleanup;
    }
    if (known_size && fsize < prefix + hlen) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: truncated .npy header: it declares %zu bytes but the file has only "
                       "%zu after the %zu-byte prefix",
                       path, hlen, fsize - prefix, prefix);
        goto cleanup;
    }
    hdr = malloc(hlen + 1);
    if (!hdr) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: out of memory for the header", path);
        goto cleanup;
    }
    size_t hgot = fread(hdr, 1, hlen, f);
    if (hgot < hlen) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: truncated .npy header: it declares %zu bytes but the file ends after "
                       "%zu",
                       path, hlen, hgot);
        goto cleanup;
    }
    hdr[hlen] = '\0';
    if (memchr(hdr, '\0', hlen)) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: malformed .npy header: NUL byte at character %zu; expected the text "
                       "of a Python dict",
                       path, (size_t)((char *)memchr(hdr, '\0', hlen) - hdr));
        goto cleanup;
    }

    npy_header h;
    npy_parser p = {path, hdr, hlen, 0};
    if ((st = parse_header(&p, &h))) goto cleanup;
    size_t itemsize = check_descr(path, h.descr, &st);
    if (st) goto cleanup;
    if (h.fortran) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: fortran_order is True (column-major data); expected C order "
                       "(save np.ascontiguousarray(a))",
                       path);
        goto cleanup;
    }
    char shp[160];
    clkfac_shape_str(shp, sizeof shp, h.ndim, h.shape);
    int overflow = 0;
    size_t count = shape_count(h.ndim, h.shape, itemsize, &overflow);
    if (overflow) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: shape %s is absurd: its byte count overflows a %zu-bit size",
                       path, shp, sizeof(size_t) * 8);
        goto cleanup;
    }
    size_t nbytes = count * itemsize;
    size_t data_off = prefix + hlen;
    if (known_size && fsize - data_off < nbytes) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: truncated data: shape %s of '%s' needs %zu bytes after the %zu-byte "
                       "header but the file has only %zu",
                       path, shp, h.descr, nbytes, data_off, fsize - data_off);
        goto cleanup;
    }
    if (known_size && fsize - data_off > nbytes) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: %zu unexpected bytes after the data: shape %s of '%s' needs %zu bytes "
                       "after the %zu-byte header but the file has %zu",
                       path, fsize - data_off - nbytes, shp, h.descr, nbytes, data_off,
                       fsize - data_off);
        goto cleanup;
    }
    /* one spare element so an empty array still gets a distinct, freeable pointer */
    data = malloc((count + 1) * sizeof(float));
    if (!data) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: out of memory for %zu floats of shape %s", path,
                       count, shp);
        goto cleanup;
    }
    size_t nread;
    if (itemsize == 4) {
        nread = fread(data, 4, count, f);
        if (!host_is_little_endian()) swap_bytes(data, 4, nread);
    } else {
        nread = read_f8(f, data, count);
    }
    if (nread < count) {
        if (ferror(f)) {
            st = CORE_FAIL(CLKFAC_ERR_IO, "%s: read error: %s", path, strerror(errno));
        } else {
            st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                           "%s: truncated data: shape %s of '%s' needs %zu bytes after the "
                           "header but the file ends after %zu",
                           path, shp, h.descr, nbytes, nread * itemsize);
        }
        goto cleanup;
    }
    if (!known_size && fgetc(f) != EOF) {
        st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                       "%s: unexpected bytes after the data of shape %s '%s'", path, shp,
                       h.descr);
        goto cleanup;
    }

    memset(out, 0, sizeof *out);
    out->ndim = h.ndim;
    for (int i = 0; i < h.ndim; i++) out->shape[i] = h.shape[i];
    out->data = data;
    data = NULL;

cleanup:
    free(data);
    free(hdr);
    fclose(f);
    return st;
}

/* ---- writing ------------------------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *b = buf;
    while (n > 0) {
        ssize_t w = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Opens a fresh temporary file next to path (same directory, so rename is atomic). O_EXCL with a
 * name built from the pid and the clock keeps parallel writers apart without global state. */
static int open_temp(const char *path, char *tmp, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, cap, "%s.tmp-%ld-%ld-%d", path, (long)getpid(), (long)ts.tv_nsec, attempt);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

clkfac_status clkfac_npy_write(const char *path, const float *data, int ndim, const size_t *shape)
{
    if (!path || !*path) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_npy_write: no path");
    if (ndim < 0 || ndim > CLKFAC_ARRAY_MAX_DIMS) {
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "clkfac_npy_write %s: ndim %d; expected 0..%d", path, ndim,
                         CLKFAC_ARRAY_MAX_DIMS);
    }
    if (ndim > 0 && !shape)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_npy_write %s: shape is NULL", path);
    int overflow = 0;
    size_t count = shape_count(ndim, shape, 4, &overflow);
    if (overflow) {
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_npy_write %s: shape overflows size_t",
                         path);
    }
    if (count > 0 && !data)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_npy_write %s: data is NULL", path);

    /* The dict exactly as NumPy writes it, so files compare byte for byte with np.save. */
    char dict[512];
    int dl = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndim; i++)
        dl += snprintf(dict + dl, sizeof dict - (size_t)dl, i ? ", %zu" : "%zu", shape[i]);
    dl += snprintf(dict + dl, sizeof dict - (size_t)dl, "%s), }", ndim == 1 ? "," : "");
    /* Version 1.0 (2-byte length) unless the header would not fit in it. */
    int major = (size_t)dl + 1 + NPY_ALIGN > 65535 ? 2 : 1;
    size_t prefix = major == 1 ? 10 : 12;
    size_t total = prefix + (size_t)dl + 1; /* + the terminating newline */
    size_t padded = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    size_t hlen = padded - prefix;
    unsigned char *head = malloc(padded);
    if (!head) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "clkfac_npy_write %s: out of memory", path);
    memcpy(head, NPY_MAGIC, NPY_MAGIC_LEN);
    head[6] = (unsigned char)major;
    head[7] = 0;
    for (size_t b = 0; b < prefix - 8; b++) head[8 + b] = (unsigned char)(hlen >> (8 * b));
    memcpy(head + prefix, dict, (size_t)dl);
    memset(head + prefix + dl, ' ', hlen - (size_t)dl - 1);
    head[padded - 1] = '\n';

    clkfac_status st = CLKFAC_OK;
    size_t cap = strlen(path) + 64;
    char *tmp = malloc(cap);
    int fd = -1;
    if (!tmp) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "clkfac_npy_write %s: out of memory", path);
        goto cleanup;
    }
    fd = open_temp(path, tmp, cap);
    if (fd < 0) {
        st = CORE_FAIL(CLKFAC_ERR_IO, "%s: cannot create a temporary file next to it: %s", path,
                       strerror(errno));
        tmp[0] = '\0'; /* nothing to remove */
        goto cleanup;
    }
    if (write_all(fd, head, padded)) goto io_error;
    if (host_is_little_endian()) {
        if (write_all(fd, data, count * 4)) goto io_error;
    } else {
        float chunk[1024];
        for (size_t i = 0; i < count; i += 1024) {
            size_t m = count - i < 1024 ? count - i : 1024;
            memcpy(chunk, data + i, m * 4);
            swap_bytes(chunk, 4, m);
            if (write_all(fd, chunk, m * 4)) goto io_error;
        }
    }
    /* Flush to disk before the rename so a crash cannot leave the final name pointing at a file
     * whose data never reached the disk. */
    if (fsync(fd) != 0) goto io_error;
    if (close(fd) != 0) {
        fd = -1;
        goto io_error;
    }
    fd = -1;
    if (rename(tmp, path) != 0) goto io_error;
    tmp[0] = '\0';
    goto cleanup;

io_error:
    st = CORE_FAIL(CLKFAC_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
cleanup:
    if (fd >= 0) close(fd);
    if (tmp && tmp[0]) unlink(tmp);
    free(tmp);
    free(head);
    return st;
}
