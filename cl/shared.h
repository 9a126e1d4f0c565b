/* Constants shared by the host (src/) and the OpenCL kernels (cl/): work-group sizes, the health
 * buffer's layout, kernel-kind codes, stats slots and RNG tags. Valid C11 and OpenCL C: the host
 * includes it through src/cl/ocl.h; cmake/embed_cl.cmake prepends it to every kernel program.
 * Where a public header names the same value, the host checks they agree (_Static_assert). */
#ifndef CLKFAC_CL_SHARED_H
#define CLKFAC_CL_SHARED_H

/* ---- work-group sizes (powers of two) ---- */
/* 1-D element-wise launches, and the default of the reduction tunables HEADS_WG, CHOL_WG, WG
 * (each `#ifndef` in its program, so a per-program -D option overrides it) */
#define CLKFAC_WG 64
/* 2-D launches: CLKFAC_WG2_X x CLKFAC_WG2_Y */
#define CLKFAC_WG2_X 16
#define CLKFAC_WG2_Y 4

/* ---- the context's health buffer: HEALTH_WORDS uints ---- */
#define HEALTH_FLAGS 0      /* sticky flags, read and cleared by clkfac_context_check */
#define HEALTH_DETAIL 1     /* the failing column of a NOT_SPD, or HEALTH_DETAIL_TRACE */
#define HEALTH_DETAIL_TRACE 0xffffffffu /* a Tikhonov factor's trace is <= 0 (pi undefined) */
#define HEALTH_GUARD 2      /* per-operation guard: set by checks, guarded writes skip */
#define HEALTH_WORDS 4
#define HEALTH_NONFINITE 1u /* = CLKFAC_HEALTH_NONFINITE */
#define HEALTH_NOT_SPD 2u   /* = CLKFAC_HEALTH_NOT_SPD */

/* ---- activation codes (= clkfac_nn_act) ---- */
#define ACT_RELU 0
#define ACT_TANH 1
#define ACT_ELU 2
#define ACT_IDENTITY 3

/* ---- heads.cl: the statistic of *_rowstat and the row weight of the Gaussian gradients ---- */
#define STAT_LOGP 0
#define STAT_ENTROPY 1
#define STAT_KL 2
#define GRAD_A2C 0  /* w_i = -adv_i / n               (A2C policy term) */
#define GRAD_NLL 1  /* w_i = -scale / n               (ACKTR Fisher pass) */
#define GRAD_SURR 2 /* w_i = ratio_i * adv_i / n       (TRPO surrogate) */

/* RNG tags, the second counter word of a draw (= CLKFAC_RNG_TAG_*) */
#define RNG_TAG_CATEGORICAL 1u
#define RNG_TAG_GAUSSIAN 2u
#define RNG_TAG_VALUE 3u

/* A2C loss stats slots (= CLKFAC_A2C_STAT_*) */
#define A2C_STAT_LOSS 0
#define A2C_STAT_POLICY 1
#define A2C_STAT_VALUE 2
#define A2C_STAT_ENTROPY 3
#define A2C_STATS 4

/* ---- optim.cl: stats slots (= CLKFAC_OPTIM_STAT_*, 4 and 5 internal) and kinds ---- */
#define OPTIM_ST_NORM 0
#define OPTIM_ST_CLIP 1
#define OPTIM_ST_STEPS 2
#define OPTIM_ST_LR 3
#define OPTIM_ST_C1 4 /* Adam 1 / (1 - beta1^t) */
#define OPTIM_ST_C2 5 /* Adam 1 / (1 - beta2^t) */
#define OPTIM_STATS 8
#define OPTIM_SGD 0 /* = clkfac_optim_kind */
#define OPTIM_RMSPROP 1
#define OPTIM_ADAM 2

/* ---- vec.cl: the den_off meaning "no denominator" (= CLKFAC_LINALG_NO_DEN) ---- */
#define VEC_NO_DEN 0xffffffffu

/* ---- chol.cl: the factored-Tikhonov scalars (tr A, tr G, gamma_A, gamma_G, pi) ---- */
#define TIK_TRA 0
#define TIK_TRG 1
#define TIK_GAMMA_A 2
#define TIK_GAMMA_G 3
#define TIK_PI 4
#define TIK_COUNT 5

#endif
