/* Double-precision references for heads and optimizers (see ref_heads.h). Written for clarity:
 * every quantity is recomputed from its definition, nothing is shared with the device code. */
#include "ref/ref_heads.h"

#include <math.h>

#define LOG_2PI 1.8378770664093454836

/* ---- categorical ------------------------------------------------------------------------------ */

static double row_lse(const double *z, size_t a)
{
    double m = z[0], s = 0.0;
    for (size_t j = 1; j < a; j++) m = fmax(m, z[j]);
    for (size_t j = 0; j < a; j++) s += exp(z[j] - m);
    return m + log(s);
}

void ref_log_softmax(double *out, const double *z, size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) {
        double lse = row_lse(z + i * a, a);
        for (size_t j = 0; j < a; j++) out[i * a + j] = z[i * a + j] - lse;
    }
}

static int index_of(double v, size_t a)
{
    if (!(v >= 0.0 && v < (double)a) || v != floor(v)) return -1;
    return (int)v;
}

void ref_cat_log_prob(double *out, const double *z, const double *act, size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) {
        int k = index_of(act[i], a);
        out[i] = k < 0 ? NAN : z[i * a + (size_t)k] - row_lse(z + i * a, a);
    }
}

void ref_cat_entropy(double *out, const double *z, size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) {
        double lse = row_lse(z + i * a, a), h = 0.0;
        for (size_t j = 0; j < a; j++) {
            double lp = z[i * a + j] - lse;
            h -= exp(lp) * lp;
        }
        out[i] = h;
    }
}

void ref_cat_kl(double *out, const double *z_old, const double *z_new, size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) {
        double lo = row_lse(z_old + i * a, a), ln = row_lse(z_new + i * a, a), kl = 0.0;
        for (size_t j = 0; j < a; j++) {
            double po = z_old[i * a + j] - lo, pn = z_new[i * a + j] - ln;
            kl += exp(po) * (po - pn);
        }
        out[i] = kl;
    }
}

double ref_mean(const double *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

/* ---- Gaussian --------------------------------------------------------------------------------- */

static double gauss_row_logp(const double *mu, const double *ls, const double *x, size_t a)
{
    double s = -0.5 * (double)a * LOG_2PI;
    for (size_t j = 0; j < a; j++) {
        double d = (x[j] - mu[j]) / exp(ls[j]);
        s -= 0.5 * d * d + ls[j];
    }
    return s;
}

void ref_gauss_log_prob(double *out, const double *mu, const double *ls, const double *act,
                        size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) out[i] = gauss_row_logp(mu + i * a, ls, act + i * a, a);
}

void ref_gauss_entropy(double *out, const double *ls, size_t n, size_t a)
{
    double h = 0.5 * (double)a * (LOG_2PI + 1.0);
    for (size_t j = 0; j < a; j++) h += ls[j];
    for (size_t i = 0; i < n; i++) out[i] = h;
}

void ref_gauss_kl(double *out, const double *mu_o, const double *ls_o, const double *mu_n,
                  const double *ls_n, size_t n, size_t a)
{
    for (size_t i = 0; i < n; i++) {
        double kl = 0.0;
        for (size_t j = 0; j < a; j++) {
            double so = exp(ls_o[j]), sn = exp(ls_n[j]), dm = mu_o[i * a + j] - mu_n[i * a + j];
            kl += log(sn / so) + (so * so + dm * dm) / (2.0 * sn * sn) - 0.5;
        }
        out[i] = kl;
    }
}

/* ---- losses ------------------------------------------------------------------------------------ */

double ref_cat_a2c(double stats[4], double *dz, double *dv, const double *z, const double *act,
                   const double *adv, const double *ret, const double *val, size_t n, size_t a,
                   double ent_coef, double vf_coef)
{
    double pg = 0.0, vf = 0.0, ent = 0.0, N = (double)n;
    for (size_t i = 0; i < n; i++) {
        const double *zi = z + i * a;
        double lse = row_lse(zi, a), h = 0.0;
        int k = index_of(act[i], a);
        for (size_t j = 0; j < a; j++) h -= exp(zi[j] - lse) * (zi[j] - lse);
        pg -= (zi[k] - lse) * adv[i];
        ent += h;
        vf += (ret[i] - val[i]) * (ret[i] - val[i]);
        if (dz)
            for (size_t j = 0; j < a; j++) {
                double lp = zi[j] - lse, p = exp(lp);
                dz[i * a + j] = (-adv[i] * (((int)j == k) - p) + ent_coef * p * (lp + h)) / N;
            }
        if (dv) dv[i] = -2.0 * vf_coef * (ret[i] - val[i]) / N;
    }
    pg /= N, vf /= N, ent /= N;
    double total = pg - ent_coef * ent + vf_coef * vf;
    if (stats) stats[0] = total, stats[1] = pg, stats[2] = vf, stats[3] = ent;
    return total;
}

double ref_gauss_a2c(double stats[4], double *dmu, double *dls, double *dv, const double *mu,
                     const double *ls, const double *act, const double *adv, const double *ret,
                     const double *val, size_t n, size_t a, double ent_coef, double vf_coef)
{
    double pg = 0.0, vf = 0.0, N = (double)n;
    if (dls)
        for (size_t j = 0; j < a; j++) dls[j] = -ent_coef;
    for (size_t i = 0; i < n; i++) {
        pg -= gauss_row_logp(mu + i * a, ls, act + i * a, a) * adv[i];
        vf += (ret[i] - val[i]) * (ret[i] - val[i]);
        for (size_t j = 0; j < a; j++) {
            double s2 = exp(2.0 * ls[j]), d = act[i * a + j] - mu[i * a + j];
            if (dmu) dmu[i * a + j] = -adv[i] / N * d / s2;
            if (dls) dls[j] -= adv[i] / N * (d * d / s2 - 1.0);
        }
        if (dv) dv[i] = -2.0 * vf_coef * (ret[i] - val[i]) / N;
    }
    double h;
    ref_gauss_entropy(&h, ls, 1, a);
    pg /= N, vf /= N;
    double total = pg - ent_coef * h + vf_coef * vf;
    if (stats) stats[0] = total, stats[1] = pg, stats[2] = vf, stats[3] = h;
    return total;
}

double ref_cat_nll(double *dz, const double *z, const double *act, size_t n, size_t a)
{
    double l = 0.0, N = (double)n;
    for (size_t i = 0; i < n; i++) {
        double lse = row_lse(z + i * a, a);
        int k = index_of(act[i], a);
        l -= z[i * a + (size_t)k] - lse;
        if (dz)
            for (size_t j = 0; j < a; j++)
                dz[i * a + j] = (exp(z[i * a + j] - lse) - ((int)j == k)) / N;
    }
    return l / N;
}

double ref_gauss_nll(double *dmu, double *dls, const double *mu, const double *ls,
                     const double *act, size_t n, size_t a)
{
    double l = 0.0, N = (double)n;
    if (dls)
        for (size_t j = 0; j < a; j++) dls[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        l -= gauss_row_logp(mu + i * a, ls, act + i * a, a);
        for (size_t j = 0; j < a; j++) {
            double s2 = exp(2.0 * ls[j]), d = act[i * a + j] - mu[i * a + j];
            if (dmu) dmu[i * a + j] = -d / s2 / N;
            if (dls) dls[j] -= (d * d / s2 - 1.0) / N;
        }
    }
    return l / N;
}

double ref_cat_surrogate(double *dz, const double *z, const double *act, const double *lp_old,
                         const double *adv, size_t n, size_t a)
{
    double s = 0.0, N = (double)n;
    for (size_t i = 0; i < n; i++) {
        double lse = row_lse(z + i * a, a);
        int k = index_of(act[i], a);
        double ra = exp(z[i * a + (size_t)k] - lse - lp_old[i]) * adv[i];
        s += ra;
        if (dz)
            for (size_t j = 0; j < a; j++)
                dz[i * a + j] = ra / N * (((int)j == k) - exp(z[i * a + j] - lse));
    }
    return s / N;
}

double ref_gauss_surrogate(double *dmu, double *dls, const double *mu, const double *ls,
                           const double *act, const double *lp_old, const double *adv,
                           size_t n, size_t a)
{
    double s = 0.0, N = (double)n;
    if (dls)
        for (size_t j = 0; j < a; j++) dls[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        double ra = exp(gauss_row_logp(mu + i * a, ls, act + i * a, a) - lp_old[i]) * adv[i];
        s += ra;
        for (size_t j = 0; j < a; j++) {
            double s2 = exp(2.0 * ls[j]), d = act[i * a + j] - mu[i * a + j];
            if (dmu) dmu[i * a + j] = ra / N * d / s2;
            if (dls) dls[j] += ra / N * (d * d / s2 - 1.0);
        }
    }
    return s / N;
}

double ref_value_mse(double *dv, const double *val, const double *ret, size_t n)
{
    double s = 0.0, N = (double)n;
    for (size_t i = 0; i < n; i++) {
        double e = val[i] - ret[i];
        s += e * e;
        if (dv) dv[i] = 2.0 * e / N;
    }
    return s / N;
}

void ref_cat_fisher(double *m, const double *z_row, size_t a)
{
    double lse = row_lse(z_row, a);
    for (size_t r = 0; r < a; r++)
        for (size_t c = 0; c < a; c++) {
            double pr = exp(z_row[r] - lse), pc = exp(z_row[c] - lse);
            m[r * a + c] = (r == c ? pr : 0.0) - pr * pc;
        }
}

/* ---- RNG --------------------------------------------------------------------------------------- */

void ref_philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1, n3 = (uint32_t)p0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void ref_rng_draw(uint32_t out[4], uint64_t seed, uint64_t step, uint32_t tag, uint32_t index)
{
    const uint32_t ctr[4] = {index, tag, (uint32_t)step, (uint32_t)(step >> 32)};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    ref_philox4x32_10(out, ctr, key);
}

double ref_u01_co(uint32_t x) { return (double)(x >> 8) / 16777216.0; }
double ref_u01_oc(uint32_t x) { return (double)((x >> 8) + 1u) / 16777216.0; }

double ref_normal(uint64_t seed, uint64_t step, uint32_t tag, uint32_t index)
{
    uint32_t r[4];
    ref_rng_draw(r, seed, step, tag, index);
    return sqrt(-2.0 * log(ref_u01_oc(r[0]))) * cos(6.283185307179586477 * ref_u01_co(r[1]));
}

int ref_cat_sample(const double *z_row, size_t a, uint64_t seed, uint64_t step, uint32_t row,
                   double *margin)
{
    uint32_t r[4];
    ref_rng_draw(r, seed, step, 1u, row);
    double u = ref_u01_co(r[0]), lse = row_lse(z_row, a), c = 0.0, best = INFINITY;
    int pick = -1;
    for (size_t j = 0; j < a; j++) {
        c += exp(z_row[j] - lse);
        if (j + 1 < a) best = fmin(best, fabs(u - c));
        if (pick < 0 && u < c) pick = (int)j;
    }
    if (pick < 0) pick = (int)a - 1;
    if (margin) *margin = best;
    return pick;
}

/* ---- optimizers --------------------------------------------------------------------------------- */

double ref_norm(const double *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += g[i] * g[i];
    return sqrt(s);
}

double ref_clip_scale(const double *g, size_t n, double max_norm)
{
    double nrm = ref_norm(g, n);
    return (max_norm > 0.0 && nrm > max_norm) ? max_norm / nrm : 1.0;
}

void ref_sgd(double *p, double *v, const double *g, size_t n, double lr, double mu)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = mu * v[i] + g[i];
        p[i] -= lr * v[i];
    }
}

void ref_rmsprop(double *p, double *ms, const double *g, size_t n, double lr, double decay,
                 double eps)
{
    for (size_t i = 0; i < n; i++) {
        ms[i] = decay * ms[i] + (1.0 - decay) * g[i] * g[i];
        p[i] -= lr * g[i] / sqrt(ms[i] + eps);
    }
}

void ref_adam(double *p, double *m, double *v, const double *g, size_t n, double lr, double b1,
              double b2, double eps, long t)
{
    double c1 = 1.0 / (1.0 - pow(b1, (double)t)), c2 = 1.0 / (1.0 - pow(b2, (double)t));
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        p[i] -= lr * (m[i] * c1) / (sqrt(v[i] * c2) + eps);
    }
}
