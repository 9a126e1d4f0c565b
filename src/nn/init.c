/* Orthogonal parameter initialisation (as in OpenAI baselines' ortho_init): each weight is gain
 * times the orthogonal factor of a Gaussian matrix, biases are zero. Computed on the host in
 * double by Gram-Schmidt (re-orthogonalising when needed) from one seeded xoshiro stream, so a
 * seed gives the same parameters everywhere (no threaded BLAS whose summation order varies). */
#include <math.h>
#include <stdlib.h>

#include "core/rng.h"
#include "nn/nn_internal.h"

/* q: k columns of length m (column j at q + j*m), m >= k, Gaussian on entry, orthonormal on
 * exit. Modified Gram-Schmidt, with a second pass for a column that lost more than half its
 * norm to the projections ("twice is enough"), which keeps orthogonality at machine precision
 * even for the nearly dependent columns of a square Gaussian, while tall ones pay one pass.
 * R's diagonal stays positive, so the factor is Haar-distributed. */
static double col_norm(const double *v, size_t m)
{
    double s = 0.0;
    for (size_t r = 0; r < m; r++) s += v[r] * v[r];
    return sqrt(s);
}

static void orthonormalize(double *q, size_t m, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        double *v = q + j * m;
        double before = col_norm(v, m), after = before;
        for (int pass = 0; pass < 2 && after > 0.0; pass++) {
            for (size_t i = 0; i < j; i++) {
                const double *u = q + i * m;
                double d = 0.0;
                for (size_t r = 0; r < m; r++) d += u[r] * v[r];
                for (size_t r = 0; r < m; r++) v[r] -= d * u[r];
            }
            before = after;
            after = col_norm(v, m);
            if (after >= 0.5 * before) break;
        }
        /* a Gaussian column in the span of the previous ones has probability zero; guard
         * anyway so nothing divides by zero */
        double inv = after > 1e-300 ? 1.0 / after : 0.0;
        for (size_t r = 0; r < m; r++) v[r] *= inv;
    }
}

/* w: W_H (d_out, d_in + 1) row-major; the W part is gain * orthogonal, the bias column 0. */
static void init_block(float *w, size_t d_out, size_t d_in, double gain, core_rng *rng,
                       double *tmp)
{
    size_t m = d_out > d_in ? d_out : d_in, k = d_out > d_in ? d_in : d_out;
    for (size_t i = 0; i < m * k; i++) tmp[i] = core_rng_normal(rng);
    orthonormalize(tmp, m, k);
    for (size_t o = 0; o < d_out; o++) {
        for (size_t i = 0; i < d_in; i++) {
            /* tall: W = Q (column i of Q is column i of W); wide: W = Q^T (row o of W is
             * column o of Q) */
            double v = d_out > d_in ? tmp[i * m + o] : tmp[o * m + i];
            w[o * (d_in + 1) + i] = (float)(gain * v);
        }
        w[o * (d_in + 1) + d_in] = 0.0f;
    }
}

clkfac_status nn_init_host(const clkfac_nn *net, uint64_t seed, float *w)
{
    core_rng rng;
    core_rng_seed(&rng, seed);
    size_t most = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        const clkfac_nn_layer_info *L = &net->layers[i].info;
        size_t sz = L->d_out * (L->d_in_h - 1);
        if (sz > most) most = sz;
    }
    double *tmp = core_calloc(most ? most : 1, sizeof *tmp);
    if (!tmp)
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "no host memory for a %zu-element init matrix",
                         most);
    for (size_t i = 0; i < net->n_layers; i++) {
        const clkfac_nn_layer_info *L = &net->layers[i].info;
        init_block(w + L->offset, L->d_out, L->d_in_h - 1, L->gain, &rng, tmp);
    }
    free(tmp);
    return CLKFAC_OK;
}
