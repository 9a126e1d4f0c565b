/* Double-precision CPU references for the dense linear algebra (Cholesky inverse and solve,
 * factored Tikhonov damping, eigen-damped preconditioning and the Kronecker system it solves)
 * and the SPD test-matrix builders: naive loops, used as test oracles only. Row-major. */
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
/* Solves (s + gamma I) y = b in place by a Cholesky factor of s (n, n), which is not changed.
 * Returns 0, or -1 when a pivot is <= 0 (b then undefined). */
int ref_spd_solve(double *b, const double *s, size_t n, double gamma);
/* Factored Tikhonov preconditioning: v (dg, da) = G_d^-1 dw A_d^-1 with A_d = a + pi sqrt(l) I,
 * G_d = g + sqrt(l)/pi I, pi = ref_tikhonov_pi. Returns 0, or -1 if a damped factor is not SPD. */
int ref_tikhonov_precondition(double *v, const double *a, size_t da, const double *g, size_t dg,
                              double lambda, const double *dw);
/* v (dg, da) solving G V A + lambda V = dw for symmetric a (da, da), g (dg, dg): vec(V) =
 * (G (x) A + lambda I)^-1 vec(dw), row-major vec; what the eigen rule computes when nothing is
 * clipped. Cubic in dg*da. Returns 0, or -1 if the system is not SPD. */
int ref_kron_solve(double *v, const double *a, size_t da, const double *g, size_t dg,
                   double lambda, const double *dw);
/* v (dg, da) = Q_G [ (Q_G^T dw Q_A) ./ (d_G d_A^T + lambda) ] Q_A^T */
void ref_eig_precondition(double *v, const double *qg, const double *dgv, const double *qa,
                          const double *dav, double lambda, const double *dw, size_t dg,
                          size_t da);

#endif
