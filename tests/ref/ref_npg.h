/* Double-precision references for the natural policy gradient of a categorical policy: per-sample
 * score vectors from the reference network's backward pass, the exact Fisher, the policy gradient
 * of a fixed surrogate and the damped exact solve x* = (F + lambda I)^-1 g. Test oracles only. */
#ifndef CLKFAC_REF_NPG_H
#define CLKFAC_REF_NPG_H

#include <stddef.h>

#include "ref/ref_nn.h"

/* For a network whose only output (output 0) is a categorical head with A logits, at the batch
 * r->n and parameters params (P = all parameters):
 *   probs  (n, A)      softmax of the logits,
 *   scores (n*A, P)    row i*A + k = d log pi(k | x_i) / dtheta = J_i^T (e_k - p_i).
 * Runs one forward and n*A backward passes of r. */
void ref_npg_cat_scores(double *scores, double *probs, ref_net *r, const double *params,
                        const double *x, size_t A, size_t P);

/* The exact Fisher F (P, P) = (1/n) sum_i E_{k ~ p_i}[s_ik s_ik^T] = (1/n) sum_i J_i^T M_i J_i
 * with M_i = diag(p_i) - p_i p_i^T, from the scores above. Undamped. */
void ref_npg_cat_fisher(double *F, const double *scores, const double *probs, size_t n, size_t A,
                        size_t P);

/* The policy gradient g (P) = (1/m) sum_j adv_j s_{state_j, a_j} of the surrogate
 * (1/m) sum_j adv_j log pi(a_j | x_{state_j}) over m fixed (state index, action, advantage)
 * rows; the scores are those of ref_npg_cat_scores. */
void ref_npg_cat_pg(double *g, const double *scores, size_t m, const size_t *states,
                    const int *actions, const double *adv, size_t A, size_t P);

/* x (P) = (F + lambda I)^-1 g by a Cholesky inverse in double. Returns 0, or -1 when F + lambda I
 * is not numerically positive definite. */
int ref_npg_solve(double *x, const double *F, double lambda, const double *g, size_t P);

/* a.b / (|a| |b|) (0 when either is zero). */
double ref_npg_cosine(const double *a, const double *b, size_t n);

#endif
