/* The MuJoCo tasks (InvertedPendulum, InvertedDoublePendulum, Reacher, HalfCheetah, Hopper,
 * Walker2d, Swimmer) on libmujoco: this project's MJCF models (data/mujoco/, embedded at build
 * time) stepped frame_skip times per action, with the rules of mujoco_rules.c on mjData's arrays.
 *
 * One mjModel per task is shared by every instance (read-only while stepping; loaded on first
 * use, freed with the last instance); each instance owns its mjData, so stepping allocates
 * nothing. The state bytes hold what the next step depends on: time, qpos, qvel, the solver's
 * warm start, and the extras the observation reads (see mujoco_rules.h), so a restored env
 * continues bit-exactly. */
#include "envs/mujoco.h"

#ifndef CLKFAC_HAVE_MUJOCO
#include "core/core.h"

const char *env_mujoco_missing(void)
{
    return "the MuJoCo tasks are not in this build (libmujoco-dev was not found at configure "
           "time, or -DCLKFAC_WITH_MUJOCO=OFF); install libmujoco-dev (scripts/setup.sh does) "
           "and reconfigure";
}

int env_mujoco_task(const clkfac_env *env)
{
    (void)env;
    return -1;
}

int env_mujoco_pixels(const clkfac_env *env)
{
    (void)env;
    return 0;
}

clkfac_status env_mujoco_set(clkfac_env *env, const double *qpos, const double *qvel)
{
    (void)env;
    (void)qpos;
    (void)qvel;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "%s", env_mujoco_missing());
}

clkfac_status env_mujoco_get(const clkfac_env *env, double *qpos, double *qvel, double *ext)
{
    (void)env;
    (void)qpos;
    (void)qvel;
    (void)ext;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "%s", env_mujoco_missing());
}

clkfac_status clkfac_env_render_gray(const clkfac_env *env, int w, int h, unsigned char *gray)
{
    (void)w;
    (void)h;
    (void)gray;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "%s: %s", env ? clkfac_env_id(env) : "NULL",
                     env_mujoco_missing());
}
#else
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mujoco/mujoco.h>

#include "core/core.h"

/* data/mujoco/ models as NUL-terminated bytes (cmake/embed_text.cmake) */
#define MJCF_TEXT(stem)                   \
    extern const unsigned char stem[];    \
    extern const size_t stem##_len;
MJCF_TEXT(clkfac_mjcf_inverted_pendulum)
MJCF_TEXT(clkfac_mjcf_inverted_double_pendulum)
MJCF_TEXT(clkfac_mjcf_reacher)
MJCF_TEXT(clkfac_mjcf_half_cheetah)
MJCF_TEXT(clkfac_mjcf_hopper)
MJCF_TEXT(clkfac_mjcf_walker2d)
MJCF_TEXT(clkfac_mjcf_swimmer)

static const struct {
    const unsigned char *text;
    const size_t *len;
} mjcf[MJR_COUNT] = {
    {clkfac_mjcf_inverted_pendulum, &clkfac_mjcf_inverted_pendulum_len},
    {clkfac_mjcf_inverted_double_pendulum, &clkfac_mjcf_inverted_double_pendulum_len},
    {clkfac_mjcf_reacher, &clkfac_mjcf_reacher_len},
    {clkfac_mjcf_half_cheetah, &clkfac_mjcf_half_cheetah_len},
    {clkfac_mjcf_hopper, &clkfac_mjcf_hopper_len},
    {clkfac_mjcf_walker2d, &clkfac_mjcf_walker2d_len},
    {clkfac_mjcf_swimmer, &clkfac_mjcf_swimmer_len},
};

const char *env_mujoco_missing(void) { return NULL; }

/* ---- shared models -------------------------------------------------------------------------- */

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static mjModel *models[MJR_COUNT];
static int model_users[MJR_COUNT];

/* MuJoCo's default warning handler appends to MUJOCO_LOG.TXT in the working folder; a library
 * must not write files of its own accord. Warnings stay counted in mjData.warning. */
static void quiet_warning(const char *msg) { (void)msg; }

/* Checks the loaded model against the task's spec, so an edited MJCF that no longer fits the
 * rules (a joint more, another timestep, another control range) fails at creation. */
static clkfac_status check_model(const mjr_spec *s, const mjModel *m)
{
    if (m->nq != s->nq || m->nv != s->nv || m->nu != s->nu)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "%s: model %s has nq %d nv %d nu %d, expected %d %d %d",
                         s->id, s->model, m->nq, m->nv, m->nu, s->nq, s->nv, s->nu);
    if (m->opt.timestep != s->timestep)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "%s: model %s has timestep %g, expected %g", s->id,
                         s->model, m->opt.timestep, s->timestep);
    for (int i = 0; i < m->nu; i++)
        if (!m->actuator_ctrllimited[i] || m->actuator_ctrlrange[2 * i] != -s->act_limit ||
            m->actuator_ctrlrange[2 * i + 1] != s->act_limit)
            return CORE_FAIL(CLKFAC_ERR_INTERNAL,
                             "%s: actuator %d of %s is not limited to [-%g, %g]", s->id, i,
                             s->model, s->act_limit, s->act_limit);
    return CLKFAC_OK;
}

static clkfac_status load_model(mjr_task t, mjModel **out)
{
    const mjr_spec *s = mjr_spec_of(t);
    if (mj_version() != mjVERSION_HEADER)
        return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED,
                         "%s: libmujoco is version %d but clkfac was built against %d", s->id,
                         mj_version(), mjVERSION_HEADER);
    if (!mju_user_warning) mju_user_warning = quiet_warning;
    mjVFS *vfs = malloc(sizeof *vfs); /* ~2 MB of name slots */
    if (!vfs) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: MuJoCo file system", s->id);
    mj_defaultVFS(vfs);
    int len = (int)*mjcf[t].len;
    if (mj_makeEmptyFileVFS(vfs, s->model, len) != 0) {
        free(vfs);
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "%s: cannot place %s in MuJoCo's file system",
                         s->id, s->model);
    }
    memcpy(vfs->filedata[mj_findFileVFS(vfs, s->model)], mjcf[t].text, (size_t)len);
    char err[1000] = "";
    mjModel *m = mj_loadXML(s->model, vfs, err, (int)sizeof err);
    mj_deleteVFS(vfs);
    free(vfs);
    if (!m)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "%s: MuJoCo refused data/mujoco/%s: %s", s->id,
                         s->model, err);
    clkfac_status st = check_model(s, m);
    if (st != CLKFAC_OK) {
        mj_deleteModel(m);
        return st;
    }
    *out = m;
    return CLKFAC_OK;
}

static clkfac_status model_acquire(mjr_task t, mjModel **out)
{
    clkfac_status st = CLKFAC_OK;
    pthread_mutex_lock(&model_lock);
    if (!models[t]) st = load_model(t, &models[t]);
    if (st == CLKFAC_OK) {
        model_users[t]++;
        *out = models[t];
    }
    pthread_mutex_unlock(&model_lock);
    return st;
}

static void model_release(mjr_task t)
{
    pthread_mutex_lock(&model_lock);
    if (--model_users[t] == 0) {
        mj_deleteModel(models[t]);
        models[t] = NULL;
    }
    pthread_mutex_unlock(&model_lock);
}

/* ---- one instance --------------------------------------------------------------------------- */

typedef struct mj_env {
    mjr_task task;
    const mjr_spec *spec;
    mjModel *m;
    mjData *d;
    int ext_id[2]; /* IDP: the tip site; Reacher: the fingertip and target bodies */
    double ext[MJR_MAX_EXT];
    /* pixel variants: the frame stack (ENV_MJ_PIX_FRAMES pictures, oldest first) and the
     * canvas a picture is drawn on, made at creation so stepping allocates nothing */
    int pix;
    unsigned char *frames;
    float *canvas;
} mj_env;

/* The extras as the reference reads them from the data as it stands. */
static void read_ext(mj_env *e)
{
    const mjData *d = e->d;
    if (e->task == MJR_INVERTED_DOUBLE_PENDULUM) {
        e->ext[0] = d->site_xpos[3 * e->ext_id[0] + 0];
        e->ext[1] = d->site_xpos[3 * e->ext_id[0] + 2];
        e->ext[2] = d->qfrc_constraint[0];
    } else if (e->task == MJR_REACHER) {
        for (int k = 0; k < 3; k++)
            e->ext[k] = d->xpos[3 * e->ext_id[0] + k] - d->xpos[3 * e->ext_id[1] + k];
    }
}

/* The pixel variants and the state task each one shows. */
static const struct {
    const env_class *cls;
    mjr_task task;
} pixel_classes[] = {
    {&env_class_mujoco_inverted_pendulum_pixels, MJR_INVERTED_PENDULUM},
    {&env_class_mujoco_reacher_pixels, MJR_REACHER},
    {&env_class_mujoco_half_cheetah_pixels, MJR_HALF_CHEETAH},
};

static int pixel_task(const env_class *cls)
{
    for (size_t i = 0; i < sizeof pixel_classes / sizeof pixel_classes[0]; i++)
        if (pixel_classes[i].cls == cls) return (int)pixel_classes[i].task;
    return -1;
}

static int task_of_class(const env_class *cls)
{
    int t = mjr_task_of_id(cls->id);
    return t >= 0 ? t : pixel_task(cls);
}

static mjr_task task_of(const clkfac_env *env) { return (mjr_task)task_of_class(env->cls); }

static clkfac_status pix_init(clkfac_env *env);
static void pix_destroy(mj_env *e);
static void pix_fill(mj_env *e);

static clkfac_status mj_init(clkfac_env *env)
{
    mj_env *e = env->impl;
    e->task = task_of(env);
    e->spec = mjr_spec_of(e->task);
    clkfac_status st = model_acquire(e->task, &e->m);
    if (st != CLKFAC_OK) return st;
    e->d = mj_makeData(e->m);
    if (!e->d) {
        model_release(e->task);
        e->m = NULL;
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: MuJoCo data", e->spec->id);
    }
    e->ext_id[0] = e->ext_id[1] = -1;
    if (e->task == MJR_INVERTED_DOUBLE_PENDULUM) {
        e->ext_id[0] = mj_name2id(e->m, mjOBJ_SITE, "tip");
    } else if (e->task == MJR_REACHER) {
        e->ext_id[0] = mj_name2id(e->m, mjOBJ_BODY, "fingertip");
        e->ext_id[1] = mj_name2id(e->m, mjOBJ_BODY, "target");
    }
    if (e->spec->n_ext && (e->ext_id[0] < 0 || (e->task == MJR_REACHER && e->ext_id[1] < 0))) {
        mj_deleteData(e->d);
        model_release(e->task);
        e->d = NULL;
        e->m = NULL;
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "%s: model %s lacks the tip/fingertip/target names",
                         e->spec->id, e->spec->model);
    }
    mj_forward(e->m, e->d);
    read_ext(e);
    if (pixel_task(env->cls) < 0) return CLKFAC_OK;
    st = pix_init(env);
    if (st != CLKFAC_OK) {
        pix_destroy(e);
        mj_deleteData(e->d);
        model_release(e->task);
        e->d = NULL;
        e->m = NULL;
    }
    return st;
}

static void mj_destroy(clkfac_env *env)
{
    mj_env *e = env->impl;
    if (!e->m) return;
    pix_destroy(e);
    mj_deleteData(e->d);
    model_release(e->task);
    e->d = NULL;
    e->m = NULL;
}

/* Reset as the reference does: data reset, the start state written, one forward pass. */
static void put_state(mj_env *e, const double *qpos, const double *qvel)
{
    mj_resetData(e->m, e->d);
    memcpy(e->d->qpos, qpos, (size_t)e->spec->nq * sizeof *qpos);
    memcpy(e->d->qvel, qvel, (size_t)e->spec->nv * sizeof *qvel);
    mj_forward(e->m, e->d);
    read_ext(e);
}

static void mj_reset(clkfac_env *env)
{
    mj_env *e = env->impl;
    double qpos[MJR_MAX_NQ], qvel[MJR_MAX_NV];
    mjr_reset_state(e->task, &env->rng, e->m->qpos0, qpos, qvel);
    put_state(e, qpos, qvel);
    if (e->pix) pix_fill(e);
}

static void mj_env_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mj_env *e = env->impl;
    const mjr_spec *s = e->spec;
    double qpos_before[MJR_MAX_NQ];
    memcpy(qpos_before, e->d->qpos, (size_t)s->nq * sizeof(double));
    for (int i = 0; i < s->nu; i++) e->d->ctrl[i] = (double)action[i]; /* clamped by MuJoCo */
    for (int k = 0; k < s->frame_skip; k++) mj_step(e->m, e->d);
    mj_rnePostConstraint(e->m, e->d);
    read_ext(e);
    mjr_terms terms;
    mjr_reward(e->task, qpos_before, e->d->qpos, e->d->qvel, e->ext, action, &terms);
    *reward = terms.total;
    *terminated = terms.terminated;
}

static void pix_push(mj_env *e);

static void pix_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mj_env_step(env, action, reward, terminated);
    pix_push(env->impl);
}

/* The stack as floats in [0, 1], oldest frame first: (ENV_MJ_PIX_FRAMES, side, side). */
static void pix_observe(const clkfac_env *env, float *obs)
{
    const mj_env *e = env->impl;
    const size_t n = (size_t)ENV_MJ_PIX_FRAMES * ENV_MJ_PIX_SIDE * ENV_MJ_PIX_SIDE;
    for (size_t i = 0; i < n; i++) obs[i] = (float)e->frames[i] / 255.0f;
}

static void mj_observe(const clkfac_env *env, float *obs)
{
    const mj_env *e = env->impl;
    mjr_observe(e->task, e->d->qpos, e->d->qvel, e->ext, obs);
}

#define PIX_FRAME_BYTES ((size_t)ENV_MJ_PIX_SIDE * ENV_MJ_PIX_SIDE)
#define PIX_STACK_BYTES (ENV_MJ_PIX_FRAMES * PIX_FRAME_BYTES)

/* payload: time, qpos (nq), qvel (nv), qacc_warmstart (nv), extras (n_ext), as f64; a pixel
 * variant then its frame stack (PIX_STACK_BYTES) */
static size_t payload_doubles(const mjr_spec *s) { return 1u + (size_t)(s->nq + 2 * s->nv + s->n_ext); }

static void mj_save(const clkfac_env *env, unsigned char *p)
{
    const mj_env *e = env->impl;
    const mjr_spec *s = e->spec;
    size_t k = 0;
    env_put_f64(p + 8 * k++, e->d->time);
    for (int i = 0; i < s->nq; i++) env_put_f64(p + 8 * k++, e->d->qpos[i]);
    for (int i = 0; i < s->nv; i++) env_put_f64(p + 8 * k++, e->d->qvel[i]);
    for (int i = 0; i < s->nv; i++) env_put_f64(p + 8 * k++, e->d->qacc_warmstart[i]);
    for (int i = 0; i < s->n_ext; i++) env_put_f64(p + 8 * k++, e->ext[i]);
    if (e->pix) /* the frame stack, oldest first: every byte is a valid gray level */
        memcpy(p + 8 * k, e->frames, PIX_STACK_BYTES);
}

/* impl is a scratch copy of env->impl: it shares the live mjData, so everything is checked
 * first and written only when the whole payload is good. */
static clkfac_status mj_load(const clkfac_env *env, void *impl, const unsigned char *p)
{
    mj_env *e = impl;
    const mjr_spec *s = e->spec;
    size_t n = payload_doubles(s);
    for (size_t k = 0; k < n; k++) {
        double v = env_get_f64(p + 8 * k);
        if (!isfinite(v) || fabs(v) > 1e10) /* MuJoCo resets any state beyond mjMAXVAL 1e10 */
            return CORE_FAIL(CLKFAC_ERR_FORMAT,
                             "%s: state value %zu is %g; expected a finite value within +-1e10",
                             env->cls->id, k, v);
    }
    if (env_get_f64(p) < 0.0)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state time %g is negative", env->cls->id,
                         env_get_f64(p));
    size_t k = 0;
    mj_resetData(e->m, e->d);
    e->d->time = env_get_f64(p + 8 * k++);
    for (int i = 0; i < s->nq; i++) e->d->qpos[i] = env_get_f64(p + 8 * k++);
    for (int i = 0; i < s->nv; i++) e->d->qvel[i] = env_get_f64(p + 8 * k++);
    /* derived quantities (positions for rendering) from the restored state; the warm start is
     * written after the forward pass so nothing overwrites it */
    mj_forward(e->m, e->d);
    for (int i = 0; i < s->nv; i++) e->d->qacc_warmstart[i] = env_get_f64(p + 8 * k++);
    for (int i = 0; i < s->n_ext; i++) e->ext[i] = env_get_f64(p + 8 * k++);
    if (e->pix) memcpy(e->frames, p + 8 * k, PIX_STACK_BYTES);
    return CLKFAC_OK;
}

/* ---- test hooks ------------------------------------------------------------------------------ */

int env_mujoco_task(const clkfac_env *env) { return env ? task_of_class(env->cls) : -1; }

int env_mujoco_pixels(const clkfac_env *env) { return env && pixel_task(env->cls) >= 0; }

clkfac_status env_mujoco_set(clkfac_env *env, const double *qpos, const double *qvel)
{
    if (env_mujoco_task(env) < 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s is not a MuJoCo task",
                         env ? env->cls->id : "NULL");
    mj_env *e = env->impl;
    put_state(e, qpos, qvel);
    if (e->pix) pix_fill(e);
    env->phase = ENV_PHASE_RUNNING;
    return CLKFAC_OK;
}

clkfac_status env_mujoco_get(const clkfac_env *env, double *qpos, double *qvel, double *ext)
{
    if (env_mujoco_task(env) < 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s is not a MuJoCo task",
                         env ? env->cls->id : "NULL");
    const mj_env *e = env->impl;
    if (qpos) memcpy(qpos, e->d->qpos, (size_t)e->spec->nq * sizeof *qpos);
    if (qvel) memcpy(qvel, e->d->qvel, (size_t)e->spec->nv * sizeof *qvel);
    if (ext) memcpy(ext, e->ext, (size_t)e->spec->n_ext * sizeof *ext);
    return CLKFAC_OK;
}

/* ---- pictures ---------------------------------------------------------------------------------
 * The planar tasks drawn from mjData's geoms (positions, orientations, sizes): capsules as
 * segments with round ends, cylinders with square ends (a point seen along their axis: a disc),
 * spheres as discs, the floor of the side views as a band. Gray levels from the geoms' colors,
 * lifted so bodies stand out from the black background. A small rasterizer of our own rather
 * than a drawing library: it allocates nothing (the pixel tasks draw a picture every step) and
 * gives the same bytes on every machine. Each pixel's coverage by a shape is counted on a 4x4
 * grid of points inside it (antialiasing); shapes are painted in the model's geom order. */

typedef struct mj_camera {
    int top;         /* 1: looking down z (x right, y up); 0: looking along y (x right, z up) */
    int follow;      /* body whose x (and, top view, y) centres the picture; -1: fixed */
    double cx, cy;   /* centre when fixed; the vertical centre when following */
    double width;    /* metres across the picture */
} mj_camera;

static const mj_camera cameras[MJR_COUNT] = {
    {0, -1, 0.0, 0.2, 2.6},  /* InvertedPendulum */
    {0, -1, 0.0, 0.55, 2.6}, /* InvertedDoublePendulum */
    {1, -1, 0.0, 0.0, 0.7},  /* Reacher */
    {0, 1, 0.0, 0.4, 3.0},   /* HalfCheetah: the torso */
    {0, 1, 0.0, 0.9, 2.6},   /* Hopper */
    {0, 1, 0.0, 0.9, 2.6},   /* Walker2d */
    {1, 1, 0.0, 0.0, 4.0},   /* Swimmer */
};

typedef struct mj_view {
    int top;
    double cx, cy, s, w2, h2;
} mj_view;

static void project(const mj_view *v, const double *p, double *u, double *w)
{
    *u = v->w2 + (p[0] - v->cx) * v->s;
    *w = v->h2 - ((v->top ? p[1] : p[2]) - v->cy) * v->s;
}

/* A gray picture being painted: (h, w) levels in [0, 1]. */
typedef struct canvas {
    float *px;
    int w, h;
} canvas;

#define SUB 4 /* coverage sample points per pixel side */

/* Squared distance from (x, y) to the segment a-b; square ends: infinite beyond them. */
static double seg_dist2(double x, double y, const double *a, const double *b, int round_ends)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], len2 = dx * dx + dy * dy;
    double t = len2 > 0.0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / len2 : 0.0;
    if (t < 0.0 || t > 1.0) {
        if (!round_ends) return INFINITY;
        t = t < 0.0 ? 0.0 : 1.0;
    }
    double ex = x - (a[0] + t * dx), ey = y - (a[1] + t * dy);
    return ex * ex + ey * ey;
}

/* Paints gray g over the points within radius r of the segment a-b (a == b: a disc). */
static void paint_segment(canvas *c, const double *a, const double *b, double r, int round_ends,
                          float g)
{
    double pad = r + 1.0;
    int x0 = (int)floor(fmin(a[0], b[0]) - pad), x1 = (int)ceil(fmax(a[0], b[0]) + pad);
    int y0 = (int)floor(fmin(a[1], b[1]) - pad), y1 = (int)ceil(fmax(a[1], b[1]) + pad);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > c->w) x1 = c->w;
    if (y1 > c->h) y1 = c->h;
    const double r2 = r * r;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            int in = 0;
            for (int j = 0; j < SUB; j++)
                for (int i = 0; i < SUB; i++)
                    in += seg_dist2(x + (i + 0.5) / SUB, y + (j + 0.5) / SUB, a, b, round_ends) <= r2;
            if (!in) continue;
            float cov = (float)in / (float)(SUB * SUB), *p = c->px + (size_t)y * (size_t)c->w + x;
            *p = *p * (1.0f - cov) + g * cov;
        }
}

/* Paints gray g over every row below y0 (the part of a row below it for the row it cuts). */
static void paint_band(canvas *c, double y0, float g)
{
    for (int y = 0; y < c->h; y++) {
        double cov = y + 1.0 - y0;
        if (cov <= 0.0) continue;
        float f = cov >= 1.0 ? 1.0f : (float)cov;
        for (int x = 0; x < c->w; x++) {
            float *p = c->px + (size_t)y * (size_t)c->w + x;
            *p = *p * (1.0f - f) + g * f;
        }
    }
}

static void draw_geoms(canvas *c, const mjModel *m, const mjData *d, const mj_view *v)
{
    for (int i = 0; i < m->ngeom; i++) {
        const double *pos = d->geom_xpos + 3 * i, *mat = d->geom_xmat + 9 * i;
        const double *size = m->geom_size + 3 * i;
        const float *rgba = m->geom_rgba + 4 * i;
        double lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2];
        int type = m->geom_type[i];
        if (type == mjGEOM_PLANE) {
            if (v->top) continue;
            double u, y;
            project(v, pos, &u, &y);
            paint_band(c, y, 0.25f);
            continue;
        }
        float g = (float)(0.45 + 0.55 * lum);
        double axis[3] = {mat[2], mat[5], mat[8]}; /* the geom's local z in world coordinates */
        double along = v->top ? fabs(axis[2]) : fabs(axis[1]);
        if (type == mjGEOM_SPHERE || ((type == mjGEOM_CAPSULE || type == mjGEOM_CYLINDER) &&
                                      along > 0.999)) {
            double q[2];
            project(v, pos, &q[0], &q[1]);
            /* at least a pixel across, so Reacher's target and fingertip (1 cm) stay visible in
             * small pictures */
            double r = size[0] * v->s;
            paint_segment(c, q, q, r < 1.0 ? 1.0 : r, 1, g);
        } else if (type == mjGEOM_CAPSULE || type == mjGEOM_CYLINDER) {
            double a[3], b[3], qa[2], qb[2];
            for (int k = 0; k < 3; k++) {
                a[k] = pos[k] - axis[k] * size[1];
                b[k] = pos[k] + axis[k] * size[1];
            }
            project(v, a, &qa[0], &qa[1]);
            project(v, b, &qb[0], &qb[1]);
            paint_segment(c, qa, qb, size[0] * v->s, type == mjGEOM_CAPSULE, g);
        }
    }
}

/* Draws e's state as task t's camera sees it into gray (h, w), painting on px (h * w floats). */
static void draw_gray(const mj_env *e, mjr_task t, float *px, int w, int h, unsigned char *gray)
{
    const mj_camera *cam = &cameras[t];
    mj_view v = {cam->top, cam->cx, cam->cy, (double)w / cam->width, 0.5 * w, 0.5 * h};
    if (cam->follow >= 0) {
        v.cx = e->d->xpos[3 * cam->follow];
        if (cam->top) v.cy = e->d->xpos[3 * cam->follow + 1];
    }
    canvas c = {px, w, h};
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++) px[i] = 0.0f;
    draw_geoms(&c, e->m, e->d, &v);
    for (size_t i = 0; i < n; i++) {
        float g = px[i] < 0.0f ? 0.0f : px[i] > 1.0f ? 1.0f : px[i];
        gray[i] = (unsigned char)(g * 255.0f + 0.5f);
    }
}

clkfac_status clkfac_env_render_gray(const clkfac_env *env, int w, int h, unsigned char *gray)
{
    if (!env || !gray) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and gray must not be NULL");
    int t = env_mujoco_task(env);
    if (t < 0)
        return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "%s: only the MuJoCo tasks are drawn as pictures",
                         env->cls->id);
    if (w < 8 || w > 1024 || h < 8 || h > 1024)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "picture size %dx%d; expected 8..1024 a side", w, h);
    float *px = malloc((size_t)w * (size_t)h * sizeof *px);
    if (!px) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: a %dx%d picture", env->cls->id, w, h);
    draw_gray(env->impl, (mjr_task)t, px, w, h, gray);
    free(px);
    return CLKFAC_OK;
}

/* ---- the pixel variants ------------------------------------------------------------------------
 * The state task's dynamics, rewards, termination and limits; the observation is the stack of the
 * last ENV_MJ_PIX_FRAMES pictures (ENV_MJ_PIX_SIDE square), oldest first, as gray / 255. A reset
 * fills the stack with its first picture; each step shifts it by one and draws the new state
 * last. The stack and the canvas are made once per instance, so a step allocates nothing. */

static float pix_high[ENV_MJ_PIX_FRAMES * ENV_MJ_PIX_SIDE * ENV_MJ_PIX_SIDE];
static const float pix_low[ENV_MJ_PIX_FRAMES * ENV_MJ_PIX_SIDE * ENV_MJ_PIX_SIDE];
static pthread_once_t pix_high_once = PTHREAD_ONCE_INIT;

static void pix_high_fill(void)
{
    for (size_t i = 0; i < sizeof pix_high / sizeof pix_high[0]; i++) pix_high[i] = 1.0f;
}

static clkfac_status pix_init(clkfac_env *env)
{
    mj_env *e = env->impl;
    pthread_once(&pix_high_once, pix_high_fill);
    e->pix = 1;
    e->frames = core_calloc(1, PIX_STACK_BYTES);
    e->canvas = core_calloc(PIX_FRAME_BYTES, sizeof *e->canvas);
    if (!e->frames || !e->canvas)
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: frame stack", env->cls->id);
    pix_fill(e); /* the model's initial state until the first reset */
    return CLKFAC_OK;
}

static void pix_destroy(mj_env *e)
{
    free(e->frames);
    free(e->canvas);
    e->frames = NULL;
    e->canvas = NULL;
}

/* Draws the current state as the newest frame; the older ones move down one slot. */
static void pix_push(mj_env *e)
{
    memmove(e->frames, e->frames + PIX_FRAME_BYTES, PIX_STACK_BYTES - PIX_FRAME_BYTES);
    draw_gray(e, e->task, e->canvas, ENV_MJ_PIX_SIDE, ENV_MJ_PIX_SIDE,
              e->frames + PIX_STACK_BYTES - PIX_FRAME_BYTES);
}

/* Every slot holds the current state's picture (after a reset). */
static void pix_fill(mj_env *e)
{
    pix_push(e);
    for (int k = 0; k + 1 < ENV_MJ_PIX_FRAMES; k++)
        memcpy(e->frames + (size_t)k * PIX_FRAME_BYTES,
               e->frames + PIX_STACK_BYTES - PIX_FRAME_BYTES, PIX_FRAME_BYTES);
}

/* ---- the classes ----------------------------------------------------------------------------- */

#define NEG8 -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY
#define POS8 INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY
static const float obs_low[MJR_MAX_OBS] = {NEG8, NEG8, -INFINITY};
static const float obs_high[MJR_MAX_OBS] = {POS8, POS8, INFINITY};
static const float act1_low[MJR_MAX_NU] = {-1, -1, -1, -1, -1, -1};
static const float act1_high[MJR_MAX_NU] = {1, 1, 1, 1, 1, 1};
static const float act3_low[1] = {-3};
static const float act3_high[1] = {3};

#define OBS_SPACE(n) {CLKFAC_SPACE_BOX, 0, 1, {n, 0, 0, 0}, n, obs_low, obs_high}
#define ACT_SPACE(n, lo, hi) {CLKFAC_SPACE_BOX, 0, 1, {n, 0, 0, 0}, n, lo, hi}

#define MJ_CLASS(var, idstr, steps, nobs, nact, lo, hi, ndoubles)                               \
    static const clkfac_space var##_obs = OBS_SPACE(nobs);                                       \
    static const clkfac_space var##_act = ACT_SPACE(nact, lo, hi);                               \
    const env_class env_class_mujoco_##var = {                                                   \
        .id = idstr,                                                                             \
        .state_version = 1,                                                                      \
        .max_steps = steps,                                                                      \
        .obs_space = &var##_obs,                                                                 \
        .act_space = &var##_act,                                                                 \
        .impl_size = sizeof(mj_env),                                                             \
        .init = mj_init,                                                                         \
        .destroy = mj_destroy,                                                                   \
        .reset = mj_reset,                                                                       \
        .step = mj_env_step,                                                                     \
        .observe = mj_observe,                                                                   \
        .payload_size = 8u * (ndoubles),                                                         \
        .save = mj_save,                                                                         \
        .load = mj_load,                                                                         \
    };

/* payload doubles: 1 + nq + 2 nv + n_ext (checked against the specs by test_mujoco) */
MJ_CLASS(inverted_pendulum, "MuJoCo/InvertedPendulum-v1", 1000, 4, 1, act3_low, act3_high, 7)
MJ_CLASS(inverted_double_pendulum, "MuJoCo/InvertedDoublePendulum-v1", 1000, 9, 1, act1_low,
         act1_high, 13)
MJ_CLASS(reacher, "MuJoCo/Reacher-v1", 50, 10, 2, act1_low, act1_high, 16)
MJ_CLASS(half_cheetah, "MuJoCo/HalfCheetah-v1", 1000, 17, 6, act1_low, act1_high, 28)
MJ_CLASS(hopper, "MuJoCo/Hopper-v1", 1000, 11, 3, act1_low, act1_high, 19)
MJ_CLASS(walker2d, "MuJoCo/Walker2d-v1", 1000, 17, 6, act1_low, act1_high, 28)
MJ_CLASS(swimmer, "MuJoCo/Swimmer-v1", 1000, 8, 2, act1_low, act1_high, 16)

/* The pixel variants: the state class's limits, actions and payload, plus the frame stack. */
static const clkfac_space pix_obs = {CLKFAC_SPACE_BOX, 0, 3,
                                     {ENV_MJ_PIX_FRAMES, ENV_MJ_PIX_SIDE, ENV_MJ_PIX_SIDE, 0},
                                     PIX_STACK_BYTES, pix_low, pix_high};

#define MJ_PIX_CLASS(var, idstr, steps, ndoubles)                                                \
    const env_class env_class_mujoco_##var##_pixels = {                                          \
        .id = idstr,                                                                             \
        .state_version = 1,                                                                      \
        .max_steps = steps,                                                                      \
        .obs_space = &pix_obs,                                                                   \
        .act_space = &var##_act,                                                                 \
        .impl_size = sizeof(mj_env),                                                             \
        .init = mj_init,                                                                         \
        .destroy = mj_destroy,                                                                   \
        .reset = mj_reset,                                                                       \
        .step = pix_step,                                                                        \
        .observe = pix_observe,                                                                  \
        .payload_size = 8u * (ndoubles) + PIX_STACK_BYTES,                                       \
        .save = mj_save,                                                                         \
        .load = mj_load,                                                                         \
    };

MJ_PIX_CLASS(inverted_pendulum, "MuJoCo/InvertedPendulumPixels-v1", 1000, 7)
MJ_PIX_CLASS(reacher, "MuJoCo/ReacherPixels-v1", 50, 16)
MJ_PIX_CLASS(half_cheetah, "MuJoCo/HalfCheetahPixels-v1", 1000, 28)

#endif /* CLKFAC_HAVE_MUJOCO */
