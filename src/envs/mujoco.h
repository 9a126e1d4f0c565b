/* The MuJoCo tasks' environment classes (mujoco.c, built when libmujoco was found at configure
 * time: CLKFAC_HAVE_MUJOCO) and their test hooks. */
#ifndef CLKFAC_ENVS_MUJOCO_H
#define CLKFAC_ENVS_MUJOCO_H

#include "envs/env_impl.h"
#include "envs/mujoco_rules.h"

#ifdef CLKFAC_HAVE_MUJOCO
extern const env_class env_class_mujoco_inverted_pendulum;
extern const env_class env_class_mujoco_inverted_double_pendulum;
extern const env_class env_class_mujoco_reacher;
extern const env_class env_class_mujoco_half_cheetah;
extern const env_class env_class_mujoco_hopper;
extern const env_class env_class_mujoco_walker2d;
extern const env_class env_class_mujoco_swimmer;
/* Pixel variants: the same task, observed as the last ENV_MJ_PIX_FRAMES pictures of
 * clkfac_env_render_gray (ENV_MJ_PIX_SIDE square, gray / 255), oldest first. */
extern const env_class env_class_mujoco_inverted_pendulum_pixels;
extern const env_class env_class_mujoco_reacher_pixels;
extern const env_class env_class_mujoco_half_cheetah_pixels;
#endif

#define ENV_MJ_PIX_SIDE 42
#define ENV_MJ_PIX_FRAMES 4

/* NULL when the MuJoCo tasks are built in, else the reason they are not. */
const char *env_mujoco_missing(void);

/* Test hooks (CLKFAC_ERR_INVALID_ARG for an env that is not a MuJoCo task). set puts the env at
 * (qpos, qvel) with time 0 and no warm start, runs a forward pass for the extras (as a reset
 * does) and starts an episode there without touching the step counter or the RNG (a pixel variant
 * fills its frame stack with that state's picture, as a reset does). get copies the
 * current qpos, qvel and extras (each may be NULL). */
clkfac_status env_mujoco_set(clkfac_env *env, const double *qpos, const double *qvel);
clkfac_status env_mujoco_get(const clkfac_env *env, double *qpos, double *qvel, double *ext);
/* The task of an env (a pixel variant answers its state task's), or -1. */
int env_mujoco_task(const clkfac_env *env);
/* 1 for a pixel variant, else 0. */
int env_mujoco_pixels(const clkfac_env *env);

#endif
