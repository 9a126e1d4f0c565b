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

static mjr_task task_of(const clkfac_env *env) { return (mjr_task)mjr_task_of_id(env->cls->id); }

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
    return CLKFAC_OK;
}

static void mj_destroy(clkfac_env *env)
{
    mj_env *e = env->impl;
    if (!e->m) return;
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

static void mj_observe(const clkfac_env *env, float *obs)
{
    const mj_env *e = env->impl;
    mjr_observe(e->task, e->d->qpos, e->d->qvel, e->ext, obs);
}

/* payload: time, qpos (nq), qvel (nv), qacc_warmstart (nv), extras (n_ext), as f64 */
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
    return CLKFAC_OK;
}

/* ---- test hooks ------------------------------------------------------------------------------ */

int env_mujoco_task(const clkfac_env *env) { return env ? mjr_task_of_id(env->cls->id) : -1; }

clkfac_status env_mujoco_set(clkfac_env *env, const double *qpos, const double *qvel)
{
    if (env_mujoco_task(env) < 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s is not a MuJoCo task",
                         env ? env->cls->id : "NULL");
    put_state(env->impl, qpos, qvel);
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
 * The planar tasks drawn from mjData's geoms (positions, orientations, sizes) with cairo: capsules
 * as round-capped strokes, cylinders as butt-capped ones (a point seen along their axis: a disc),
 * spheres as discs, the floor of the side views as a band. Gray levels from the geoms' colors,
 * lifted so bodies stand out from the black background. */

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

#ifdef CLKFAC_HAVE_CAIRO
#include <cairo.h>

typedef struct mj_view {
    int top;
    double cx, cy, s, w2, h2;
} mj_view;

static void project(const mj_view *v, const double *p, double *u, double *w)
{
    *u = v->w2 + (p[0] - v->cx) * v->s;
    *w = v->h2 - ((v->top ? p[1] : p[2]) - v->cy) * v->s;
}

static void draw_geoms(cairo_t *cr, const mjModel *m, const mjData *d, const mj_view *v, int h)
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
            cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
            cairo_rectangle(cr, 0, y, 2.0 * v->w2, (double)h - y + 1.0);
            cairo_fill(cr);
            continue;
        }
        double g = 0.45 + 0.55 * lum;
        cairo_set_source_rgb(cr, g, g, g);
        double axis[3] = {mat[2], mat[5], mat[8]}; /* the geom's local z in world coordinates */
        double along = v->top ? fabs(axis[2]) : fabs(axis[1]);
        if (type == mjGEOM_SPHERE || ((type == mjGEOM_CAPSULE || type == mjGEOM_CYLINDER) &&
                                      along > 0.999)) {
            double u, y;
            project(v, pos, &u, &y);
            cairo_arc(cr, u, y, size[0] * v->s, 0.0, 2.0 * ENV_PI);
            cairo_fill(cr);
        } else if (type == mjGEOM_CAPSULE || type == mjGEOM_CYLINDER) {
            double a[3], b[3], ua, ya, ub, yb;
            for (int k = 0; k < 3; k++) {
                a[k] = pos[k] - axis[k] * size[1];
                b[k] = pos[k] + axis[k] * size[1];
            }
            project(v, a, &ua, &ya);
            project(v, b, &ub, &yb);
            cairo_set_line_width(cr, 2.0 * size[0] * v->s);
            cairo_set_line_cap(cr, type == mjGEOM_CAPSULE ? CAIRO_LINE_CAP_ROUND
                                                           : CAIRO_LINE_CAP_BUTT);
            cairo_move_to(cr, ua, ya);
            cairo_line_to(cr, ub, yb);
            cairo_stroke(cr);
        }
    }
}
#endif

clkfac_status clkfac_env_render_gray(const clkfac_env *env, int w, int h, unsigned char *gray)
{
    if (!env || !gray) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and gray must not be NULL");
    int t = env_mujoco_task(env);
    if (t < 0)
        return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "%s: only the MuJoCo tasks are drawn as pictures",
                         env->cls->id);
    if (w < 8 || w > 1024 || h < 8 || h > 1024)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "picture size %dx%d; expected 8..1024 a side", w, h);
#ifndef CLKFAC_HAVE_CAIRO
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "%s: clkfac was built without cairo", env->cls->id);
#else
    const mj_env *e = env->impl;
    const mj_camera *c = &cameras[t];
    mj_view v = {c->top, c->cx, c->cy, (double)w / c->width, 0.5 * w, 0.5 * h};
    if (c->follow >= 0) {
        v.cx = e->d->xpos[3 * c->follow];
        if (c->top) v.cy = e->d->xpos[3 * c->follow + 1];
    }
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: a %dx%d picture", env->cls->id, w, h);
    }
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_paint(cr);
    draw_geoms(cr, e->m, e->d, &v, h);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    const unsigned char *px = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t p;
            memcpy(&p, px + (size_t)y * (size_t)stride + 4u * (size_t)x, 4);
            double r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
            gray[(size_t)y * (size_t)w + (size_t)x] =
                (unsigned char)(0.299 * r + 0.587 * g + 0.114 * b + 0.5);
        }
    cairo_surface_destroy(surf);
    return CLKFAC_OK;
#endif
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

#endif /* CLKFAC_HAVE_MUJOCO */
