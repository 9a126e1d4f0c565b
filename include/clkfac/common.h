/* clkfac/common.h — status codes, last-error detail and version shared by every module.
 * Every fallible call returns a clkfac_status (0 = OK, negative = error) and sets *out only on
 * success; clkfac_last_error() then holds a thread-local message with the failing call. */
#ifndef CLKFAC_COMMON_H
#define CLKFAC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLKFAC_VERSION_MAJOR 0
#define CLKFAC_VERSION_MINOR 1
#define CLKFAC_VERSION_PATCH 0
#define CLKFAC_VERSION_STRING "0.1.0"

typedef enum clkfac_status {
    CLKFAC_OK = 0,                   /* success */
    CLKFAC_ERR_INVALID_ARG = -1,     /* an argument is out of range or inconsistent */
    CLKFAC_ERR_NO_MEMORY = -2,       /* host or device allocation failed */
    CLKFAC_ERR_NO_DEVICE = -3,       /* no OpenCL platform/device, or the spec matches none */
    CLKFAC_ERR_OPENCL = -4,          /* an OpenCL call failed (detail names it and its code) */
    CLKFAC_ERR_BUILD = -5,           /* a kernel program failed to build (detail has the log) */
    CLKFAC_ERR_CLBLAST = -6,         /* a CLBlast routine failed (detail names it) */
    CLKFAC_ERR_IO = -7,              /* a file could not be read or written */
    CLKFAC_ERR_FORMAT = -8,          /* a file is malformed, truncated or of the wrong dtype */
    CLKFAC_ERR_SHAPE = -9,           /* array shapes do not match what the operation needs */
    CLKFAC_ERR_NONFINITE = -10,      /* NaN or Inf found in gradients, factors or outputs */
    CLKFAC_ERR_NOT_SPD = -11,        /* a matrix that must be positive definite is not */
    CLKFAC_ERR_UNSUPPORTED = -12,    /* the device or build lacks a needed feature */
    CLKFAC_ERR_INTERNAL = -13,       /* a bug in clkfac: please report it */
    CLKFAC_ERR_NUMERIC = -14         /* a host numeric routine (e.g. eigensolver) failed */
} clkfac_status;

/* Name of a status code ("CLKFAC_ERR_NOT_SPD"); never NULL. */
const char *clkfac_status_str(clkfac_status st);

/* Thread-local detail of the last error set on this thread: "file:line: message". Borrowed;
 * valid until the next clkfac call on this thread. Empty string when nothing failed. */
const char *clkfac_last_error(void);

/* Clears the last-error detail of this thread. */
void clkfac_error_clear(void);

/* Version string and the git commit the library was built from ("unknown" outside git). */
const char *clkfac_version(void);
const char *clkfac_git_commit(void);

#ifdef __cplusplus
}
#endif
#endif
