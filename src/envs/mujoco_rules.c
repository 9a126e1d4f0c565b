/* The MuJoCo tasks' rules on plain arrays (see mujoco_rules.h). Numbers are the defaults of
 * Gymnasium's v5 tasks as documented there: frame skips, weights, health ranges, reset noise. */
#include <math.h>
#include <string.h>

#include "envs/mujoco_rules.h"

static const mjr_spec specs[MJR_COUNT] = {
    /* name, id, model, nq, nv, nu, n_ext, frame_skip, timestep, obs, act_limit, max_steps */
    {"InvertedPendulum", "MuJoCo/InvertedPendulum-v1", "inverted_pendulum.xml",
     2, 2, 1, 0, 2, 0.02, 4, 3.0, 1000},
    {"InvertedDoublePendulum", "MuJoCo/InvertedDoublePendulum-v1",
     "inverted_double_pendulum.xml", 3, 3, 1, 3, 5, 0.01, 9, 1.0, 1000},
    {"Reacher", "MuJoCo/Reacher-v1", "reacher.xml", 4, 4, 2, 3, 2, 0.01, 10, 1.0, 50},
    {"HalfCheetah", "MuJoCo/HalfCheetah-v1", "half_cheetah.xml", 9, 9, 6, 0, 5, 0.01, 17, 1.0,
     1000},
    {"Hopper", "MuJoCo/Hopper-v1", "hopper.xml", 6, 6, 3, 0, 4, 0.002, 11, 1.0, 1000},
    {"Walker2d", "MuJoCo/Walker2d-v1", "walker2d.xml", 9, 9, 6, 0, 4, 0.002, 17, 1.0, 1000},
    {"Swimmer", "MuJoCo/Swimmer-v1", "swimmer.xml", 5, 5, 2, 0, 4, 0.01, 8, 1.0, 1000},
};

const mjr_spec *mjr_spec_of(mjr_task t) { return &specs[t]; }

int mjr_task_of_id(const char *id)
{
    for (int t = 0; t < MJR_COUNT; t++)
        if (strcmp(specs[t].id, id) == 0) return t;
    return -1;
}

static double clip10(double v) { return v < -10.0 ? -10.0 : v > 10.0 ? 10.0 : v; }

static double sum_sq(const float *a, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)a[i] * (double)a[i];
    return s;
}

/* Hopper: z = qpos[1] > 0.7, angle = qpos[2] in (-0.2, 0.2), every entry of qpos[2:] and qvel
 * in (-100, 100). Walker2d: z in (0.8, 2), angle in (-1, 1). All bounds strict. */
int mjr_healthy(mjr_task t, const double *qpos, const double *qvel, const double *ext)
{
    const mjr_spec *s = &specs[t];
    switch (t) {
    case MJR_INVERTED_PENDULUM:
        for (int i = 0; i < s->nq; i++)
            if (!isfinite(qpos[i]) || !isfinite(qvel[i])) return 0;
        return fabs(qpos[1]) <= 0.2;
    case MJR_INVERTED_DOUBLE_PENDULUM:
        return ext[1] > 1.0;
    case MJR_HOPPER: {
        for (int i = 2; i < s->nq; i++)
            if (!(qpos[i] > -100.0 && qpos[i] < 100.0)) return 0;
        for (int i = 0; i < s->nv; i++)
            if (!(qvel[i] > -100.0 && qvel[i] < 100.0)) return 0;
        return qpos[1] > 0.7 && qpos[2] > -0.2 && qpos[2] < 0.2;
    }
    case MJR_WALKER2D:
        return qpos[1] > 0.8 && qpos[1] < 2.0 && qpos[2] > -1.0 && qpos[2] < 1.0;
    default:
        return 1;
    }
}

void mjr_reward(mjr_task t, const double *qpos_before, const double *qpos, const double *qvel,
                const double *ext, const float *action, mjr_terms *o)
{
    const mjr_spec *s = &specs[t];
    const double dt = s->timestep * s->frame_skip;
    memset(o, 0, sizeof *o);
    switch (t) {
    case MJR_INVERTED_PENDULUM:
        o->terminated = !mjr_healthy(t, qpos, qvel, ext);
        o->healthy = o->terminated ? 0.0 : 1.0;
        break;
    case MJR_INVERTED_DOUBLE_PENDULUM: {
        const double x = ext[0], z = ext[1];
        o->dist = -(0.01 * x * x + (z - 2.0) * (z - 2.0));
        o->vel = -(1e-3 * qvel[1] * qvel[1] + 5e-3 * qvel[2] * qvel[2]);
        o->terminated = !mjr_healthy(t, qpos, qvel, ext);
        o->healthy = o->terminated ? 0.0 : 10.0;
        break;
    }
    case MJR_REACHER:
        o->dist = -sqrt(ext[0] * ext[0] + ext[1] * ext[1] + ext[2] * ext[2]);
        o->ctrl = -sum_sq(action, s->nu);
        break;
    case MJR_HALF_CHEETAH:
        o->x_velocity = (qpos[0] - qpos_before[0]) / dt;
        o->forward = o->x_velocity;
        o->ctrl = -0.1 * sum_sq(action, s->nu);
        break;
    case MJR_HOPPER:
    case MJR_WALKER2D:
        o->x_velocity = (qpos[0] - qpos_before[0]) / dt;
        o->forward = o->x_velocity;
        o->ctrl = -1e-3 * sum_sq(action, s->nu);
        o->terminated = !mjr_healthy(t, qpos, qvel, ext);
        o->healthy = o->terminated ? 0.0 : 1.0;
        break;
    case MJR_SWIMMER:
        o->x_velocity = (qpos[0] - qpos_before[0]) / dt;
        o->forward = o->x_velocity;
        o->ctrl = -1e-4 * sum_sq(action, s->nu);
        break;
    default:
        break;
    }
    o->total = o->forward + o->healthy + o->dist + o->vel + o->ctrl;
}

void mjr_observe(mjr_task t, const double *qpos, const double *qvel, const double *ext,
                 float *obs)
{
    const mjr_spec *s = &specs[t];
    int k = 0;
    switch (t) {
    case MJR_INVERTED_PENDULUM: /* qpos, qvel */
        for (int i = 0; i < s->nq; i++) obs[k++] = (float)qpos[i];
        for (int i = 0; i < s->nv; i++) obs[k++] = (float)qvel[i];
        break;
    case MJR_INVERTED_DOUBLE_PENDULUM: /* x, sin/cos of both hinges, clipped qvel and force */
        obs[k++] = (float)qpos[0];
        obs[k++] = (float)sin(qpos[1]);
        obs[k++] = (float)sin(qpos[2]);
        obs[k++] = (float)cos(qpos[1]);
        obs[k++] = (float)cos(qpos[2]);
        for (int i = 0; i < s->nv; i++) obs[k++] = (float)clip10(qvel[i]);
        obs[k++] = (float)clip10(ext[2]);
        break;
    case MJR_REACHER: /* cos, sin of the arm's angles, target, arm velocities, tip - target */
        obs[k++] = (float)cos(qpos[0]);
        obs[k++] = (float)cos(qpos[1]);
        obs[k++] = (float)sin(qpos[0]);
        obs[k++] = (float)sin(qpos[1]);
        obs[k++] = (float)qpos[2];
        obs[k++] = (float)qpos[3];
        obs[k++] = (float)qvel[0];
        obs[k++] = (float)qvel[1];
        obs[k++] = (float)ext[0];
        obs[k++] = (float)ext[1];
        break;
    case MJR_HALF_CHEETAH: /* qpos without x, qvel */
        for (int i = 1; i < s->nq; i++) obs[k++] = (float)qpos[i];
        for (int i = 0; i < s->nv; i++) obs[k++] = (float)qvel[i];
        break;
    case MJR_HOPPER:
    case MJR_WALKER2D: /* qpos without x, qvel clipped to +-10 */
        for (int i = 1; i < s->nq; i++) obs[k++] = (float)qpos[i];
        for (int i = 0; i < s->nv; i++) obs[k++] = (float)clip10(qvel[i]);
        break;
    case MJR_SWIMMER: /* qpos without x and y, qvel */
        for (int i = 2; i < s->nq; i++) obs[k++] = (float)qpos[i];
        for (int i = 0; i < s->nv; i++) obs[k++] = (float)qvel[i];
        break;
    default:
        break;
    }
}

/* Uniform noise of +-scale on qpos and qvel, except HalfCheetah and InvertedDoublePendulum
 * whose velocities get scale * N(0, 1); Reacher's target is drawn separately. */
void mjr_reset_state(mjr_task t, core_rng *rng, const double *qpos0, double *qpos, double *qvel)
{
    const mjr_spec *s = &specs[t];
    double scale = 0.1;
    int normal_vel = 0;
    switch (t) {
    case MJR_INVERTED_PENDULUM: scale = 0.01; break;
    case MJR_INVERTED_DOUBLE_PENDULUM: scale = 0.1; normal_vel = 1; break;
    case MJR_HALF_CHEETAH: scale = 0.1; normal_vel = 1; break;
    case MJR_HOPPER: case MJR_WALKER2D: scale = 5e-3; break;
    default: scale = 0.1; break; /* Reacher (qpos only), Swimmer */
    }
    for (int i = 0; i < s->nq; i++) qpos[i] = qpos0[i] + core_rng_range(rng, -scale, scale);
    if (t == MJR_REACHER) {
        double gx, gy;
        do { /* uniform in the disc of radius 0.2 */
            gx = core_rng_range(rng, -0.2, 0.2);
            gy = core_rng_range(rng, -0.2, 0.2);
        } while (!(sqrt(gx * gx + gy * gy) < 0.2));
        qpos[2] = gx;
        qpos[3] = gy;
        for (int i = 0; i < s->nv; i++) qvel[i] = core_rng_range(rng, -0.005, 0.005);
        qvel[2] = qvel[3] = 0.0;
        return;
    }
    for (int i = 0; i < s->nv; i++)
        qvel[i] = normal_vel ? scale * core_rng_normal(rng) : core_rng_range(rng, -scale, scale);
}
