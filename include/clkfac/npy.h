/* clkfac/npy.h — NumPy .npy files on the host: read (format 1.0/2.0/3.0, little-endian float32,
 * or float64 converted to float32) and atomic write of float32 C-order arrays. Lets the `kfac`
 * command and tests exchange arrays with Python without a NumPy dependency. */
#ifndef CLKFAC_NPY_H
#define CLKFAC_NPY_H

#include "clkfac/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most dimensions an array may have (NumPy allows 64; nothing in clkfac needs more than 4). */
#define CLKFAC_ARRAY_MAX_DIMS 8

/* A host array of float32 in row-major (C) order. ndim 0 is a scalar with one element; a
 * dimension of 0 gives an empty array (data is still a valid, freeable pointer). */
typedef struct clkfac_array {
    int ndim;                              /* 0 .. CLKFAC_ARRAY_MAX_DIMS */
    size_t shape[CLKFAC_ARRAY_MAX_DIMS];   /* entries past ndim are 0 */
    float *data;                           /* product(shape) floats; owned, clkfac_array_free */
} clkfac_array;

/* Reads the .npy file at path into *out (set only on success; free with clkfac_array_free).
 *
 * Accepted: format versions 1.0, 2.0 and 3.0; descr '<f4' (read as is) and '<f8' (each value
 * rounded to the nearest float32; magnitudes beyond float range become +-Inf, and NaN stays NaN,
 * so precision is lost silently but non-finite values are kept for later checks); '=' or '|'
 * byte-order marks are not accepted because NumPy never writes them for floats. Shapes of up to
 * CLKFAC_ARRAY_MAX_DIMS dimensions.
 *
 * Errors: CLKFAC_ERR_IO when the file cannot be opened or read; CLKFAC_ERR_FORMAT, with a
 * detail that names the file, what was found and what was expected, for a bad magic string, an
 * unknown version, a truncated header or data, a malformed header dict (missing or unknown keys,
 * bad literals), any other dtype (big-endian '>f4', integers, object or structured arrays),
 * fortran_order True, too many dimensions, a shape whose element or byte count overflows, and
 * bytes left over after the data. CLKFAC_ERR_NO_MEMORY when the data cannot be allocated. */
clkfac_status clkfac_npy_read(clkfac_array *out, const char *path);

/* Writes data (C order, product(shape) floats; shape may be NULL when ndim is 0) as a
 * format-1.0 '<f4' .npy file (2.0 if the header would not fit, which cannot happen within
 * CLKFAC_ARRAY_MAX_DIMS). The header is padded with spaces so the data starts at a multiple of
 * 64 bytes, as NumPy does. Atomic: the bytes go to a temporary file in the same directory that is
 * flushed to disk and then renamed over path, so readers see either the old file or the whole
 * new one, never a partial write. CLKFAC_ERR_INVALID_ARG for a bad ndim/shape/NULL data,
 * CLKFAC_ERR_IO (naming the path and the OS error) when writing fails; the temporary file is
 * removed then. */
clkfac_status clkfac_npy_write(const char *path, const float *data, int ndim,
                               const size_t *shape);

/* Number of elements: product of shape[0..ndim) (1 for ndim 0). */
size_t clkfac_array_size(const clkfac_array *a);

/* Formats a shape the way error messages show it, "(4,3,8,8)", "(5,)" or "()", into buf
 * (always NUL-terminated, truncated to cap). Returns buf. */
char *clkfac_shape_str(char *buf, size_t cap, int ndim, const size_t *shape);

/* Frees a->data and resets *a to an empty array; NULL or an already freed array is a no-op. */
void clkfac_array_free(clkfac_array *a);

#ifdef __cplusplus
}
#endif
#endif
