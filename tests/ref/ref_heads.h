/* Double-precision CPU references for the policy/value heads and the optimizers: naive loops
 * written from the formulas in clkfac/heads.h and clkfac/optim.h, plus the Philox4x32-10
 * generator the device samplers use. Test oracles only. */
#ifndef CLKFAC_REF_HEADS_H
#define CLKFAC_REF_HEADS_H

#include <stddef.h>
#include <stdint.h>

/* ---- categorical over rows of z (n, a); actions hold integer indices ---------------------- */
void ref_log_softmax(double *out, const double *z, size_t n, size_t a);
void ref_cat_log_prob(double *out, const double *z, const double *act, size_t n, size_t a);
void ref_cat_entropy(double *out, const double *z, size_t n, size_t a);
/* out (n) = KL(softmax(z_old_i) || softmax(z_new_i)) */
void ref_cat_kl(double *out, const double *z_old, const double *z_new, size_t n, size_t a);
double ref_mean(const double *x, size_t n);

/* ---- diagonal Gaussian: mu (n, a), ls (a) --------------------------------------------------- */
void ref_gauss_log_prob(double *out, const double *mu, const double *ls, const double *act,
                        size_t n, size_t a);
void ref_gauss_entropy(double *out, const double *ls, size_t n, size_t a);
void ref_gauss_kl(double *out, const double *mu_o, const double *ls_o, const double *mu_n,
                  const double *ls_n, size_t n, size_t a);

/* ---- losses: the value is returned; gradient outputs may be NULL ---------------------------- */
/* A2C (heads.h): stats (4) = total, policy, value (mean (R-V)^2), entropy */
double ref_cat_a2c(double stats[4], double *dz, double *dv, const double *z, const double *act,
                   const double *adv, const double *ret, const double *val, size_t n, size_t a,
                   double ent_coef, double vf_coef);
double ref_gauss_a2c(double stats[4], double *dmu, double *dls, double *dv, const double *mu,
                     const double *ls, const double *act, const double *adv, const double *ret,
                     const double *val, size_t n, size_t a, double ent_coef, double vf_coef);
/* -mean log p(act) */
double ref_cat_nll(double *dz, const double *z, const double *act, size_t n, size_t a);
double ref_gauss_nll(double *dmu, double *dls, const double *mu, const double *ls,
                     const double *act, size_t n, size_t a);
/* mean exp(log p(act) - lp_old) * adv */
double ref_cat_surrogate(double *dz, const double *z, const double *act, const double *lp_old,
                         const double *adv, size_t n, size_t a);
double ref_gauss_surrogate(double *dmu, double *dls, const double *mu, const double *ls,
                           const double *act, const double *lp_old, const double *adv,
                           size_t n, size_t a);
/* mean (V - R)^2 */
double ref_value_mse(double *dv, const double *val, const double *ret, size_t n);

/* m (a, a) = diag(p) - p p^T for one row of logits */
void ref_cat_fisher(double *m, const double *z_row, size_t a);

/* ---- the device RNG --------------------------------------------------------------------------- */
void ref_philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);
/* the four words of draw (seed, step, tag, index) as documented in heads.h */
void ref_rng_draw(uint32_t out[4], uint64_t seed, uint64_t step, uint32_t tag, uint32_t index);
double ref_u01_co(uint32_t x); /* [0, 1) from the top 24 bits */
double ref_u01_oc(uint32_t x); /* (0, 1] */
/* Box-Muller normal of draw (seed, step, tag, index) */
double ref_normal(uint64_t seed, uint64_t step, uint32_t tag, uint32_t index);
/* Categorical draw for row `row` of logits z_row (a) by inverse CDF; *margin gets the distance
 * of u from the nearest CDF boundary (float rounding can flip a draw only when it is tiny). */
int ref_cat_sample(const double *z_row, size_t a, uint64_t seed, uint64_t step, uint32_t row,
                   double *margin);

/* ---- optimizers on n parameters ------------------------------------------------------------- */
double ref_norm(const double *g, size_t n);
/* scale applied by global-norm clipping (1 when max_norm <= 0 or norm <= max_norm) */
double ref_clip_scale(const double *g, size_t n, double max_norm);
void ref_sgd(double *p, double *v, const double *g, size_t n, double lr, double mu);
void ref_rmsprop(double *p, double *ms, const double *g, size_t n, double lr, double decay,
                 double eps);
/* t: the step number after this update (1 for the first) */
void ref_adam(double *p, double *m, double *v, const double *g, size_t n, double lr, double b1,
              double b2, double eps, long t);

#endif
