/* The rules of the MuJoCo tasks (Gymnasium's v5 documentation) on plain arrays, apart from the
 * physics: which qpos/qvel entries each observation holds, the reward terms and their weights,
 * the health and termination conditions and the reset noise. mujoco.c calls these with mjData's
 * arrays; the tests and the differential check against Gymnasium (tests/diff/) call them on
 * states written down by hand or recorded from the reference. Compiled with or without libmujoco.
 *
 * "ext" are the few values a task reads from MuJoCo's derived quantities, exactly as the
 * reference reads them from its data after a step (positions from the last substep's forward
 * pass) or after a reset (a fresh forward pass):
 *   InvertedDoublePendulum: tip site x, tip site z, qfrc_constraint[0]     (n_ext 3)
 *   Reacher:                fingertip body position - target body position (n_ext 3)
 *   the others:             none                                           (n_ext 0)      */
#ifndef CLKFAC_ENVS_MUJOCO_RULES_H
#define CLKFAC_ENVS_MUJOCO_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

typedef enum mjr_task {
    MJR_INVERTED_PENDULUM = 0,
    MJR_INVERTED_DOUBLE_PENDULUM,
    MJR_REACHER,
    MJR_HALF_CHEETAH,
    MJR_HOPPER,
    MJR_WALKER2D,
    MJR_SWIMMER,
    MJR_COUNT
} mjr_task;

#define MJR_MAX_NQ 9
#define MJR_MAX_NV 9
#define MJR_MAX_NU 6
#define MJR_MAX_EXT 3
#define MJR_MAX_OBS 17

typedef struct mjr_spec {
    const char *name;    /* "HalfCheetah" */
    const char *id;      /* "MuJoCo/HalfCheetah-v1" */
    const char *model;   /* file in data/mujoco/ */
    int nq, nv, nu, n_ext;
    int frame_skip;
    double timestep;     /* the model's; dt of one env step = timestep * frame_skip */
    int obs_size;
    double act_limit;    /* actions (and actuator ctrlrange) in [-act_limit, act_limit] */
    uint64_t max_steps;  /* Gymnasium's registered limit (Reacher 50, the others 1000) */
} mjr_spec;

const mjr_spec *mjr_spec_of(mjr_task t);
/* The task of a full id ("MuJoCo/Hopper-v1"), or -1. */
int mjr_task_of_id(const char *id);

/* One step's reward as the reference decomposes it. Unused terms are 0. */
typedef struct mjr_terms {
    double forward;    /* forward_reward_weight * x velocity (locomotion) */
    double ctrl;       /* -weight * sum(action^2) (negative or 0) */
    double healthy;    /* healthy / alive reward (InvertedPendulum: the +1) */
    double dist;       /* Reacher: -|fingertip - target|; IDP: -(0.01 x^2 + (z - 2)^2) */
    double vel;        /* IDP: -(1e-3 w1^2 + 5e-3 w2^2) */
    double x_velocity; /* (x after - x before) / dt where the task has one */
    double total;
    int terminated;
} mjr_terms;

/* qpos_before: qpos before the step (nq); qpos, qvel, ext: after it (ext as above; NULL when
 * n_ext is 0); action: the action as given to the step (nu floats, not clipped: the reference's
 * control cost reads it so). Every term is read after the step (v5; v4's Reacher read its
 * distance before). */
void mjr_reward(mjr_task t, const double *qpos_before, const double *qpos, const double *qvel,
                const double *ext, const float *action, mjr_terms *out);

/* The observation (obs_size floats) of a state. */
void mjr_observe(mjr_task t, const double *qpos, const double *qvel, const double *ext,
                 float *obs);

/* The start state: qpos0/qvel0 (the model's initial state; qvel0 is zero) plus the task's noise
 * drawn from rng (qpos first, then qvel; Reacher draws its goal between the two). */
void mjr_reset_state(mjr_task t, core_rng *rng, const double *qpos0, double *qpos, double *qvel);

/* Hopper and Walker2d's health test on a state (1 healthy); the other tasks answer 1 except
 * InvertedPendulum (|hinge| <= 0.2 and finite) and InvertedDoublePendulum (tip z > 1). */
int mjr_healthy(mjr_task t, const double *qpos, const double *qvel, const double *ext);

#endif
