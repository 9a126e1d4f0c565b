/* .npy reader/writer: round trips over 0-d..4-d and empty shapes, headers of format 1.0/2.0/3.0
 * built byte by byte here (as NumPy and older NumPy write them), '<f8' conversion, and every
 * rejection with its status and a message that names the file and the problem. */
/* ctest-labels: unit */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char g_dir[] = "/tmp/clkfac-npy-test-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

/* Writes magic + version + little-endian header length + header text (padded with spaces and a
 * newline to a multiple of `align` when align > 0, else taken verbatim) + raw data bytes. */
static void put_npy(const char *path, int major, int minor, const char *header, size_t align,
                    const void *data, size_t nbytes)
{
    size_t lenb = major == 1 ? 2 : 4;
    size_t hl = strlen(header);
    size_t total = 8 + lenb + hl;
    if (align) total = (total + 1 + align - 1) / align * align; /* +1 for the newline */
    size_t hlen = total - 8 - lenb;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x93NUMPY", 1, 6, f);
    fputc(major, f);
    fputc(minor, f);
    for (size_t b = 0; b < lenb; b++) fputc((int)((hlen >> (8 * b)) & 0xff), f);
    fwrite(header, 1, hl, f);
    if (align) {
        for (size_t i = hl; i + 1 < hlen; i++) fputc(' ', f);
        fputc('\n', f);
    }
    if (nbytes) fwrite(data, 1, nbytes, f);
    fclose(f);
}

static void put_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) fwrite(b, 1, n, f);
    fclose(f);
}

static size_t file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (size_t)sb.st_size;
}

/* Reading must fail with st and a message holding the file name and every string in `needles`
 * (NULL-terminated). The output must stay untouched. */
static void expect_reject(const char *path, clkfac_status want, const char *const *needles)
{
    clkfac_array a;
    memset(&a, 0x5a, sizeof a);
    clkfac_status st = clkfac_npy_read(&a, path);
    const char *msg = clkfac_last_error();
    print_message("  rejected as expected: %s\n", msg);
    if (st != want)
        fail_msg("%s: got %s, want %s (%s)", path, clkfac_status_str(st), clkfac_status_str(want),
                 msg);
    if (!strstr(msg, path)) fail_msg("message does not name the file %s: %s", path, msg);
    for (const char *const *n = needles; *n; n++)
        if (!strstr(msg, *n)) fail_msg("message lacks '%s': %s", *n, msg);
    unsigned char *raw = (unsigned char *)&a;
    for (size_t i = 0; i < sizeof a; i++) assert_int_equal(raw[i], 0x5a);
}

#define REJECT(path, st, ...)                                  \
    do {                                                       \
        const char *const needles_[] = {__VA_ARGS__, NULL};   \
        expect_reject((path), (st), needles_);                 \
    } while (0)

static int count_temp_files(void)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

static void test_roundtrip_shapes(void **state)
{
    (void)state;
    static const struct { int ndim; size_t shape[4]; } cases[] = {
        {0, {0}},          {1, {5}},          {1, {1}},       {2, {3, 4}},
        {3, {2, 3, 5}},    {4, {2, 1, 3, 4}}, {2, {0, 3}},    {4, {3, 2, 7, 11}},
    };
    th_rng r = {42};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = 1;
        for (int i = 0; i < cases[c].ndim; i++) n *= cases[c].shape[i];
        float *x = malloc((n + 1) * sizeof *x);
        th_fill_normal(&r, x, n, 3.0f);
        if (n > 2) {
            x[1] = -0.0f;
            x[2] = 1e-40f; /* denormal survives bit for bit */
        }
        const char *p = tpath("rt.npy");
        TH_OK(clkfac_npy_write(p, x, cases[c].ndim, cases[c].shape));
        /* data starts on a 64-byte boundary, as the spec asks */
        assert_int_equal((file_size(p) - n * 4) % 64, 0);
        clkfac_array a;
        TH_OK(clkfac_npy_read(&a, p));
        assert_int_equal(a.ndim, cases[c].ndim);
        for (int i = 0; i < a.ndim; i++) assert_int_equal(a.shape[i], cases[c].shape[i]);
        assert_int_equal(clkfac_array_size(&a), n);
        assert_non_null(a.data);
        if (n) assert_memory_equal(a.data, x, n * sizeof *x);
        clkfac_array_free(&a);
        assert_null(a.data);
        clkfac_array_free(&a); /* twice is harmless */
        clkfac_array_free(NULL);
        free(x);
    }
    assert_int_equal(count_temp_files(), 0);
}

/* The header text and layout must be what np.save writes, so Python reads it and files match. */
static void test_written_header_matches_numpy(void **state)
{
    (void)state;
    const char *p = tpath("hdr.npy");
    size_t shape[2] = {3, 4};
    float x[12] = {0};
    TH_OK(clkfac_npy_write(p, x, 2, shape));
    unsigned char b[128];
    FILE *f = fopen(p, "rb");
    assert_int_equal(fread(b, 1, sizeof b, f), 128);
    fclose(f);
    assert_memory_equal(b, "\x93NUMPY\x01\x00", 8);
    size_t hlen = (size_t)b[8] | (size_t)b[9] << 8;
    assert_int_equal(hlen, 118);
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    assert_memory_equal(b + 10, want, strlen(want));
    for (size_t i = 10 + strlen(want); i < 127; i++) assert_int_equal(b[i], ' ');
    assert_int_equal(b[127], '\n');
    assert_int_equal(file_size(p), 128 + 48);

    size_t one = 7;
    float y[7] = {0};
    TH_OK(clkfac_npy_write(p, y, 1, &one));
    f = fopen(p, "rb");
    assert_int_equal(fread(b, 1, 128, f), 128);
    fclose(f);
    assert_non_null(memchr(b, '(', 128));
    assert_memory_equal((char *)memchr(b, '(', 128), "(7,), }", 7);
}

static void test_overwrite_is_atomic_and_leaves_no_temp(void **state)
{
    (void)state;
    const char *p = tpath("over.npy");
    size_t s1 = 4, s2[2] = {2, 2};
    float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    TH_OK(clkfac_npy_write(p, a, 1, &s1));
    TH_OK(clkfac_npy_write(p, b, 2, s2));
    clkfac_array r;
    TH_OK(clkfac_npy_read(&r, p));
    assert_int_equal(r.ndim, 2);
    assert_memory_equal(r.data, b, sizeof b);
    clkfac_array_free(&r);
    assert_int_equal(count_temp_files(), 0);
}

static void test_write_errors(void **state)
{
    (void)state;
    size_t s = 2;
    float x[2] = {1, 2};
    assert_int_equal(clkfac_npy_write("/nonexistent-dir-clkfac/x.npy", x, 1, &s), CLKFAC_ERR_IO);
    assert_non_null(strstr(clkfac_last_error(), "/nonexistent-dir-clkfac/x.npy"));
    assert_int_equal(clkfac_npy_write(tpath("bad.npy"), x, 9, &s), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_npy_write(tpath("bad.npy"), NULL, 1, &s), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_npy_write(tpath("bad.npy"), x, -1, &s), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(access(tpath("bad.npy"), F_OK), -1);
    assert_int_equal(count_temp_files(), 0);
}

static void test_reads_handmade_headers(void **state)
{
    (void)state;
    const float v[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, 65504.0f};
    static const struct {
        int major;
        const char *header;
        size_t align;
        int ndim;
        size_t shape[2];
    } cases[] = {
        /* NumPy >= 1.14 style, 64-byte alignment */
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 64, 2, {2, 3}},
        /* older NumPy: 16-byte alignment */
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 16, 1, {6}},
        /* keys in another order, double quotes, no trailing comma, no padding at all */
        {1, "{\"shape\": (3,2), \"fortran_order\": False, \"descr\": \"<f4\"}", 0, 2, {3, 2}},
        /* Python 2 long literals */
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", 64, 2, {2, 3}},
        /* format 2.0 and 3.0: 4-byte header length */
        {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 64, 2, {3, 2}},
        {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 6), }", 64, 2, {1, 6}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *p = tpath("hand.npy");
        put_npy(p, cases[c].major, 0, cases[c].header, cases[c].align, v, sizeof v);
        clkfac_array a;
        TH_OK(clkfac_npy_read(&a, p));
        assert_int_equal(a.ndim, cases[c].ndim);
        for (int i = 0; i < a.ndim; i++) assert_int_equal(a.shape[i], cases[c].shape[i]);
        assert_memory_equal(a.data, v, sizeof v);
        clkfac_array_free(&a);
    }
    /* scalar */
    put_npy(tpath("scalar.npy"), 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
            64, v + 2, 4);
    clkfac_array s;
    TH_OK(clkfac_npy_read(&s, tpath("scalar.npy")));
    assert_int_equal(s.ndim, 0);
    assert_int_equal(clkfac_array_size(&s), 1);
    assert_true(s.data[0] == 3.25f);
    clkfac_array_free(&s);
}

static void test_f8_is_converted(void **state)
{
    (void)state;
    const double d[6] = {1.5, -2.25, 0.1, 1e300, -1e300, NAN};
    put_npy(tpath("f8.npy"), 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
            64, d, sizeof d);
    clkfac_array a;
    TH_OK(clkfac_npy_read(&a, tpath("f8.npy")));
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[1], 2);
    assert_true(a.data[0] == 1.5f);
    assert_true(a.data[1] == -2.25f);
    assert_true(a.data[2] == (float)0.1); /* rounded to nearest float */
    assert_true(isinf(a.data[3]) && a.data[3] > 0);
    assert_true(isinf(a.data[4]) && a.data[4] < 0);
    assert_true(isnan(a.data[5]));
    clkfac_array_free(&a);

    /* big enough to cross the converter's chunk boundary */
    size_t n = 2500;
    double *big = malloc(n * sizeof *big);
    for (size_t i = 0; i < n; i++) big[i] = (double)i * 0.5 - 100.0;
    put_npy(tpath("f8big.npy"), 1, 0,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2500,), }", 64, big,
            n * sizeof *big);
    TH_OK(clkfac_npy_read(&a, tpath("f8big.npy")));
    for (size_t i = 0; i < n; i++) assert_true(a.data[i] == (float)big[i]);
    clkfac_array_free(&a);
    free(big);
}

static void test_rejects_bad_magic_and_version(void **state)
{
    (void)state;
    const char *p = tpath("magic.npy");
    static const char zip[] = "PK\x03\x04 this is a zip";
    put_bytes(p, zip, sizeof zip - 1);
    REJECT(p, CLKFAC_ERR_FORMAT, "not a .npy file", "50 4b 03 04", "\\x93NUMPY");
    put_bytes(p, "", 0);
    REJECT(p, CLKFAC_ERR_FORMAT, "not a .npy file", "empty");
    /* a folder opens for reading but is not an empty file */
    const char *dir = tpath("folder.npy");
    assert_int_equal(mkdir(dir, 0755), 0);
    REJECT(dir, CLKFAC_ERR_IO, "is a directory", "expected a .npy file");
    assert_int_equal(rmdir(dir), 0);
    p = tpath("magic.npy"); /* tpath's buffer is shared */
    put_bytes(p, "\x93NUM", 4);
    REJECT(p, CLKFAC_ERR_FORMAT, "not a .npy file");
    put_npy(p, 4, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 64, "abcd", 4);
    REJECT(p, CLKFAC_ERR_FORMAT, "version 4.0", "expected 1.0, 2.0 or 3.0");
    put_npy(p, 1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 64, "abcd", 4);
    REJECT(p, CLKFAC_ERR_FORMAT, "version 1.1");
    expect_reject(tpath("does-not-exist.npy"), CLKFAC_ERR_IO,
                  (const char *const[]){"cannot open", NULL});
}

static void test_rejects_truncation(void **state)
{
    (void)state;
    const char *p = tpath("trunc.npy");
    /* cut inside the version / length field */
    put_bytes(p, "\x93NUMPY\x01", 7);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated");
    put_bytes(p, "\x93NUMPY\x01\x00\x76", 9);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated .npy header", "header length");
    /* the header declares 118 bytes, the file stops after 40 */
    char full[128 + 24];
    size_t shape[2] = {2, 3};
    float x[6] = {1, 2, 3, 4, 5, 6};
    TH_OK(clkfac_npy_write(p, x, 2, shape));
    FILE *f = fopen(p, "rb");
    assert_int_equal(fread(full, 1, sizeof full, f), sizeof full);
    fclose(f);
    put_bytes(p, full, 50);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated .npy header", "118");
    /* data cut short by one byte and by a whole row */
    put_bytes(p, full, sizeof full - 1);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated data", "(2,3)", "needs 24 bytes", "only 23");
    put_bytes(p, full, 128 + 12);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated data", "only 12");
    put_bytes(p, full, 128);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated data", "only 0");
    /* extra bytes after the data mean the header and the data disagree */
    char more[sizeof full + 4];
    memcpy(more, full, sizeof full);
    memcpy(more + sizeof full, "junk", 4);
    put_bytes(p, more, sizeof more);
    REJECT(p, CLKFAC_ERR_FORMAT, "4 unexpected bytes");
}

static void test_rejects_dtypes_and_order(void **state)
{
    (void)state;
    const char *p = tpath("dtype.npy");
    const char data[64] = {0};
    put_npy(p, 1, 0, "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "'>f4'", "big-endian", "expected little-endian float32 '<f4'");
    put_npy(p, 1, 0, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "'<i4'", "signed integers", "'<f4'");
    put_npy(p, 1, 0, "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", 64, data, 8);
    REJECT(p, CLKFAC_ERR_FORMAT, "'<f2'", "'<f4'");
    put_npy(p, 1, 0, "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", 64, data, 32);
    REJECT(p, CLKFAC_ERR_FORMAT, "'|O'", "object array");
    put_npy(p, 1, 0, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", 64, data, 4);
    REJECT(p, CLKFAC_ERR_FORMAT, "'|u1'", "unsigned");
    put_npy(p, 1, 0, "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, "
                     "'shape': (2,), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "structured");
    put_npy(p, 1, 0, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "fortran_order is True", "expected C order");
}

static void test_rejects_malformed_dict(void **state)
{
    (void)state;
    const char *p = tpath("dict.npy");
    const char data[16] = {0};
    static const struct { const char *header; const char *needle; } cases[] = {
        {"['descr', '<f4']", "'{'"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (4,), }", "':'"},
        {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1}", "unknown key"},
        {"{'descr': '<f4', 'fortran_order': Nope, 'shape': (4,), }", "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4), }", "not a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,,), }", "integer"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", "negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,) ", "',' or '}'"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (4,), }", "malformed"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", "once"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } x", "after the dict"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        put_npy(p, 1, 0, cases[c].header, 64, data, 16);
        REJECT(p, CLKFAC_ERR_FORMAT, cases[c].needle);
    }
    /* a NUL inside the header text */
    put_bytes(p, "\x93NUMPY\x01\x00\x04\x00{\0}\n", 14);
    REJECT(p, CLKFAC_ERR_FORMAT, "NUL");
    /* an absurd header length */
    put_bytes(p, "\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 14);
    REJECT(p, CLKFAC_ERR_FORMAT, "header length");
}

static void test_rejects_absurd_shapes(void **state)
{
    (void)state;
    const char *p = tpath("shape.npy");
    const char data[16] = {0};
    /* product overflows 64 bits */
    put_npy(p, 1, 0, "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (4294967296, 4294967296, 4294967296), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "absurd", "overflows");
    /* one dimension beyond 64 bits */
    put_npy(p, 1, 0, "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (99999999999999999999999,), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "larger than");
    /* fits in size_t but the file cannot hold it: no huge allocation, a truncation error */
    put_npy(p, 1, 0, "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (1000000000, 1000000000), }", 64, data, 16);
    REJECT(p, CLKFAC_ERR_FORMAT, "truncated data", "(1000000000,1000000000)");
    put_npy(p, 1, 0, "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", 64, data, 4);
    REJECT(p, CLKFAC_ERR_FORMAT, "more than 8 dimensions");
}

static void test_shape_str(void **state)
{
    (void)state;
    char b[64];
    size_t s[4] = {4, 3, 8, 8};
    assert_string_equal(clkfac_shape_str(b, sizeof b, 4, s), "(4,3,8,8)");
    assert_string_equal(clkfac_shape_str(b, sizeof b, 1, s), "(4,)");
    assert_string_equal(clkfac_shape_str(b, sizeof b, 0, s), "()");
    assert_string_equal(clkfac_shape_str(b, 5, 4, s), "(4,3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_shapes),
        cmocka_unit_test(test_written_header_matches_numpy),
        cmocka_unit_test(test_overwrite_is_atomic_and_leaves_no_temp),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_reads_handmade_headers),
        cmocka_unit_test(test_f8_is_converted),
        cmocka_unit_test(test_rejects_bad_magic_and_version),
        cmocka_unit_test(test_rejects_truncation),
        cmocka_unit_test(test_rejects_dtypes_and_order),
        cmocka_unit_test(test_rejects_malformed_dict),
        cmocka_unit_test(test_rejects_absurd_shapes),
        cmocka_unit_test(test_shape_str),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
