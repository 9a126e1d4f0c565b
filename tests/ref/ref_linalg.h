/* Double-precision CPU references for the dense linear algebra (Cholesky inverse, factored
 * Tikhonov damping, eigen-damped preconditioning) and the SPD test-matrix builders: naive loops,
 * used as test oracles only. Row-major throughout. */
#ifndef CLKFAC_REF_LINALG_H
#define CLKFAC_REF_LINALG_H

#include <stddef.h>

/* Orthonormalizes the columns of q (n, n) in place (modified Gram-Schmidt, two passes).
 * Returns 0, or -1 if a column is (numerically) dependent on the previous ones. */
int ref_orthonormalize(double *q, size_t n);
/* s (n, n) = Q diag(d) Q^T */
void ref_sym_from_spectrum(double *s, const double *q, const double *d, size_t n);
/* c (m, n) = a (m, k) b (k, n) */
void ref_mat_mul(double *c, const double *a, const double *b, size_t m, size_t k, size_t n);
/* x (n, n) = (s + gamma I)^-1 via a Cholesky factor in double. Returns -1 on success, else the
 * column whose pivot was <= 0 (x then undefined). */
long ref_chol_inverse(double *x, const double *s, size_t n, double gamma);
/* max_ij |((s + gamma I) x - I)_ij| with x given in float */
double ref_inverse_residual(const double *s, double gamma, const float *x, size_t n);
/* pi = sqrt((tr a / da) / (tr g / dg)) */
double ref_tikhonov_pi(const double *a, size_t da, const double *g, size_t dg);
/* v (dg, da) = Q_G [ (Q_G^T dw Q_A) ./ (d_G d_A^T + lambda) ] Q_A^T */
void ref_eig_precondition(double *v, const double *qg, const double *dgv, const double *qa,
                          const double *dav, double lambda, const double *dw, size_t dg,
                          size_t da);

#endif
