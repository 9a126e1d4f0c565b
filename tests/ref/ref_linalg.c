/* Double-precision references for the linear algebra; see ref_linalg.h. Plain loops written
 * from the definitions, kept simple rather than fast. */
#include "ref_linalg.h"

#include <math.h>
#include <stdlib.h>

int ref_orthonormalize(double *q, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        /* the second pass restores orthogonality lost to cancellation in the first */
        for (int pass = 0; pass < 2; pass++)
            for (size_t p = 0; p < j; p++) {
                double dot = 0.0;
                for (size_t i = 0; i < n; i++) dot += q[i * n + p] * q[i * n + j];
                for (size_t i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + p];
            }
        double nrm = 0.0;
        for (size_t i = 0; i < n; i++) nrm += q[i * n + j] * q[i * n + j];
        nrm = sqrt(nrm);
        if (!(nrm > 1e-12)) return -1;
        for (size_t i = 0; i < n; i++) q[i * n + j] /= nrm;
    }
    return 0;
}

void ref_sym_from_spectrum(double *s, const double *q, const double *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < n; k++) acc += q[i * n + k] * d[k] * q[j * n + k];
            s[i * n + j] = s[j * n + i] = acc;
        }
}

void ref_mat_mul(double *c, const double *a, const double *b, size_t m, size_t k, size_t n)
{
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) c[i * n + j] = 0.0;
        for (size_t p = 0; p < k; p++) {
            double aip = a[i * k + p];
            for (size_t j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
        }
    }
}

/* l (n, n) lower = the Cholesky factor of s + gamma I. Returns -1, or the column whose pivot was
 * <= 0. */
static long chol_factor(double *l, const double *s, size_t n, double gamma)
{
    for (size_t j = 0; j < n; j++) {
        double d = s[j * n + j] + gamma;
        for (size_t k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
        if (!(d > 0.0)) return (long)j;
        l[j * n + j] = sqrt(d);
        for (size_t i = j + 1; i < n; i++) {
            double v = s[i * n + j];
            for (size_t k = 0; k < j; k++) v -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = v / l[j * n + j];
        }
    }
    return -1;
}

long ref_chol_inverse(double *x, const double *s, size_t n, double gamma)
{
    double *l = calloc(n * n + 1, sizeof *l);
    if (!l) abort();
    long bad = chol_factor(l, s, n, gamma);
    if (bad >= 0) {
        free(l);
        return bad;
    }
    /* column c of the inverse: forward solve L y = e_c, back solve L^T x = y */
    double *y = malloc(n * sizeof *y);
    if (!y) abort();
    for (size_t c = 0; c < n; c++) {
        for (size_t i = 0; i < n; i++) {
            double v = i == c ? 1.0 : 0.0;
            for (size_t k = 0; k < i; k++) v -= l[i * n + k] * y[k];
            y[i] = v / l[i * n + i];
        }
        for (size_t i = n; i-- > 0;) {
            double v = y[i];
            for (size_t k = i + 1; k < n; k++) v -= l[k * n + i] * x[k * n + c];
            x[i * n + c] = v / l[i * n + i];
        }
    }
    free(y);
    free(l);
    return -1;
}

double ref_inverse_residual(const double *s, double gamma, const float *x, size_t n)
{
    double *xd = malloc(n * n * sizeof *xd), *r = malloc(n * n * sizeof *r);
    if (!xd || !r) abort();
    for (size_t i = 0; i < n * n; i++) xd[i] = x[i];
    ref_mat_mul(r, s, xd, n, n, n);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = r[i * n + j] + gamma * xd[i * n + j] - (i == j ? 1.0 : 0.0);
            if (!(fabs(v) <= worst)) worst = fabs(v); /* NaN propagates as the worst */
        }
    free(xd);
    free(r);
    return worst;
}

double ref_tikhonov_pi(const double *a, size_t da, const double *g, size_t dg)
{
    double ta = 0.0, tg = 0.0;
    for (size_t i = 0; i < da; i++) ta += a[i * da + i];
    for (size_t i = 0; i < dg; i++) tg += g[i * dg + i];
    return sqrt((ta / (double)da) / (tg / (double)dg));
}

void ref_eig_precondition(double *v, const double *qg, const double *dgv, const double *qa,
                          const double *dav, double lambda, const double *dw, size_t dg,
                          size_t da)
{
    double *t1 = calloc(dg * da, sizeof *t1), *t2 = calloc(dg * da, sizeof *t2);
    if (!t1 || !t2) abort();
    for (size_t i = 0; i < dg; i++) /* t1 = Q_G^T dw */
        for (size_t j = 0; j < da; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < dg; k++) acc += qg[k * dg + i] * dw[k * da + j];
            t1[i * da + j] = acc;
        }
    ref_mat_mul(t2, t1, qa, dg, da, da);
    for (size_t i = 0; i < dg; i++)
        for (size_t j = 0; j < da; j++) t2[i * da + j] /= dgv[i] * dav[j] + lambda;
    ref_mat_mul(t1, qg, t2, dg, dg, da);
    for (size_t i = 0; i < dg; i++) /* v = t1 Q_A^T */
        for (size_t j = 0; j < da; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < da; k++) acc += t1[i * da + k] * qa[j * da + k];
            v[i * da + j] = acc;
        }
    free(t1);
    free(t2);
}

int ref_spd_solve(double *b, const double *s, size_t n, double gamma)
{
    double *l = calloc(n * n + 1, sizeof *l);
    if (!l) abort();
    if (chol_factor(l, s, n, gamma) >= 0) {
        free(l);
        return -1;
    }
    for (size_t i = 0; i < n; i++) { /* L y = b, then L^T x = y */
        for (size_t k = 0; k < i; k++) b[i] -= l[i * n + k] * b[k];
        b[i] /= l[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        for (size_t k = i + 1; k < n; k++) b[i] -= l[k * n + i] * b[k];
        b[i] /= l[i * n + i];
    }
    free(l);
    return 0;
}

int ref_tikhonov_precondition(double *v, const double *a, size_t da, const double *g, size_t dg,
                              double lambda, const double *dw)
{
    double pi = ref_tikhonov_pi(a, da, g, dg), sl = sqrt(lambda);
    double *col = malloc((dg + 1) * sizeof *col);
    if (!col) abort();
    int rc = 0;
    /* rows of X = dw A_d^-1 (A_d symmetric: each row solves A_d x = dw_row), then the columns
     * of V = G_d^-1 X */
    for (size_t r = 0; r < dg && !rc; r++) {
        for (size_t j = 0; j < da; j++) v[r * da + j] = dw[r * da + j];
        rc = ref_spd_solve(v + r * da, a, da, pi * sl);
    }
    for (size_t j = 0; j < da && !rc; j++) {
        for (size_t r = 0; r < dg; r++) col[r] = v[r * da + j];
        rc = ref_spd_solve(col, g, dg, sl / pi);
        for (size_t r = 0; r < dg; r++) v[r * da + j] = col[r];
    }
    free(col);
    return rc;
}

int ref_kron_solve(double *v, const double *a, size_t da, const double *g, size_t dg,
                   double lambda, const double *dw)
{
    size_t m = dg * da;
    double *k = malloc((m * m + 1) * sizeof *k);
    if (!k) abort();
    /* (G V A)[i][j] = sum_{p,q} G[i][p] V[p][q] A[q][j]: row i*da + j, column p*da + q */
    for (size_t i = 0; i < dg; i++)
        for (size_t j = 0; j < da; j++)
            for (size_t p = 0; p < dg; p++)
                for (size_t q = 0; q < da; q++)
                    k[(i * da + j) * m + p * da + q] = g[i * dg + p] * a[q * da + j];
    for (size_t i = 0; i < m; i++) v[i] = dw[i];
    int rc = ref_spd_solve(v, k, m, lambda);
    free(k);
    return rc;
}
