/* Double-precision natural-policy-gradient references (see ref_npg.h). The Fisher is built as the
 * expectation of score outer products under the policy, so it is an independent route to the
 * J^T M J form that the device's Fisher-vector product and K-FAC factors approximate. */
#include "ref/ref_npg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_linalg.h"

void ref_npg_cat_scores(double *scores, double *probs, ref_net *r, const double *params,
                        const double *x, size_t A, size_t P)
{
    size_t n = r->n;
    ref_net_forward(r, params, x);
    const double *logits = ref_net_output(r, 0);
    for (size_t i = 0; i < n; i++) {
        const double *l = logits + i * A;
        double mx = l[0], z = 0;
        for (size_t k = 1; k < A; k++) mx = fmax(mx, l[k]);
        for (size_t k = 0; k < A; k++) z += probs[i * A + k] = exp(l[k] - mx);
        for (size_t k = 0; k < A; k++) probs[i * A + k] /= z;
    }
    /* d log pi(k|x_i)/dlogits_i = e_k - p_i, zero on the other rows; one backward per (i, k)
     * gives the score of that sample alone (backward adds, so the row starts at zero) */
    double *dout = calloc(n * A, sizeof *dout);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < A; k++) {
            for (size_t j = 0; j < A; j++)
                dout[i * A + j] = (j == k ? 1.0 : 0.0) - probs[i * A + j];
            double *s = scores + (i * A + k) * P;
            memset(s, 0, P * sizeof *s);
            const double *dd[1] = {dout};
            ref_net_backward(r, params, s, dd);
            for (size_t j = 0; j < A; j++) dout[i * A + j] = 0.0;
        }
    free(dout);
}

void ref_npg_cat_fisher(double *F, const double *scores, const double *probs, size_t n, size_t A,
                        size_t P)
{
    memset(F, 0, P * P * sizeof *F);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < A; k++) {
            const double *s = scores + (i * A + k) * P;
            double w = probs[i * A + k] / (double)n;
            for (size_t u = 0; u < P; u++) {
                double wu = w * s[u];
                for (size_t v = 0; v < P; v++) F[u * P + v] += wu * s[v];
            }
        }
}

void ref_npg_cat_pg(double *g, const double *scores, size_t m, const size_t *states,
                    const int *actions, const double *adv, size_t A, size_t P)
{
    memset(g, 0, P * sizeof *g);
    for (size_t j = 0; j < m; j++) {
        const double *s = scores + (states[j] * A + (size_t)actions[j]) * P;
        for (size_t u = 0; u < P; u++) g[u] += adv[j] * s[u] / (double)m;
    }
}

int ref_npg_solve(double *x, const double *F, double lambda, const double *g, size_t P)
{
    double *inv = malloc(P * P * sizeof *inv);
    if (ref_chol_inverse(inv, F, P, lambda) != -1) {
        free(inv);
        return -1;
    }
    for (size_t u = 0; u < P; u++) {
        double s = 0;
        for (size_t v = 0; v < P; v++) s += inv[u * P + v] * g[v];
        x[u] = s;
    }
    free(inv);
    return 0;
}

double ref_npg_cosine(const double *a, const double *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}
