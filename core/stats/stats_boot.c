/* Generic bootstrap engine with percentile and BCa intervals (see stats.h,
 * "Bootstrap").
 *
 * The engine knows nothing about models or stimuli: it draws unit indices
 * and hands them to the caller's statistic, which maps them (a model
 * resample drops self-copy pairs via sc_pairs_resample_models; a stimulus
 * resample selects rows). That keeps one tested implementation of the
 * interval logic for every resampling unit.
 *
 * Numerics: quantiles are GSL's gsl_stats_quantile_from_sorted_data, which
 * interpolates linearly at position (nb-1)f, the same rule as numpy's
 * default percentile (Hyndman & Fan type 7), so given the same replicates we
 * agree with scipy.stats.bootstrap to rounding. Phi and Phi^-1 are GSL's
 * gsl_cdf_ugaussian_P / _Pinv. BCa follows Efron & Tibshirani (1993)
 * eq. 14.10-14.15 with the jackknife acceleration of eq. 14.15; z0 counts
 * ties with the estimate as half, as scipy 1.10 does (its
 * _percentile_of_score, "mean" kind), which matters for discrete
 * statistics. Unlike scipy, a tie is decided with the relative tolerance
 * of core/num/tie.h, not with ==: with few models many resamples draw the
 * same models as the estimate (with 3 models, 26 of 500), and their value
 * differs from the estimate only by rounding that depends on the CPU's
 * BLAS kernel. Counted exactly, that noise moved z0 from +0.059 to -0.237
 * and a bound of the bundled example from 0.70 to 0.65 between machines. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "mem.h"
#include "stats.h"

static int check_level(double level, sc_err *err)
{
    if (!(level > 0 && level < 1))
        return sc_err_set(err, SC_EINVAL,
                          "confidence level %g is outside (0, 1); use e.g. "
                          "0.95",
                          level);
    return SC_OK;
}

/* Sorted copy of nb finite replicates (caller frees). */
static int sorted_copy(const double *reps, size_t nb, double **out, sc_err *err)
{
    *out = NULL;
    for (size_t k = 0; k < nb; k++)
        if (!isfinite(reps[k]))
            return sc_err_set(err, SC_ENUMERIC,
                              "bootstrap: replicate %zu is not finite; drop "
                              "undefined replicates before the interval",
                              k);
    double *s = sc_calloc(nb, sizeof *s);
    if (s == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "bootstrap: cannot allocate %zu replicates; free "
                          "memory or lower B",
                          nb);
    memcpy(s, reps, nb * sizeof *s);
    gsl_sort(s, 1, nb);
    *out = s;
    return SC_OK;
}

int sc_ci_percentile(const double *reps, size_t nb, double level, double *lo,
                     double *hi, sc_err *err)
{
    if (nb < 2)
        return sc_err_set(err, SC_EINVAL,
                          "percentile interval needs >= 2 replicates, got "
                          "%zu",
                          nb);
    int rc = check_level(level, err);
    if (rc != SC_OK)
        return rc;
    double *s;
    rc = sorted_copy(reps, nb, &s, err);
    if (rc != SC_OK)
        return rc;
    *lo = gsl_stats_quantile_from_sorted_data(s, 1, nb, (1 - level) / 2);
    *hi = gsl_stats_quantile_from_sorted_data(s, 1, nb, (1 + level) / 2);
    sc_free(s);
    return SC_OK;
}

int sc_ci_bca(const double *reps, size_t nb, double est, const double *jack,
              size_t nj, double level, double *lo, double *hi, double *z0,
              double *accel, sc_err *err)
{
    if (nb < 2 || nj < 2)
        return sc_err_set(err, SC_EINVAL,
                          "BCa interval needs >= 2 replicates and >= 2 "
                          "jackknife values, got %zu and %zu",
                          nb, nj);
    int rc = check_level(level, err);
    if (rc != SC_OK)
        return rc;
    for (size_t k = 0; k < nj; k++)
        if (!isfinite(jack[k]))
            return sc_err_set(err, SC_ENUMERIC,
                              "BCa: jackknife value %zu is not finite", k);
    if (!isfinite(est))
        return sc_err_set(err, SC_ENUMERIC, "BCa: the estimate is not finite");
    double *s;
    rc = sorted_copy(reps, nb, &s, err);
    if (rc != SC_OK)
        return rc;

    double below = 0;
    for (size_t k = 0; k < nb; k++) {
        int c = sc_tie_cmp(s[k], est);
        below += c < 0 ? 1.0 : (c == 0 ? 0.5 : 0.0);
    }
    double frac = below / (double)nb;
    if (frac <= 0 || frac >= 1) {
        sc_free(s);
        return sc_err_set(err, SC_EDOM,
                          "BCa undefined: all %zu replicates lie on one side "
                          "of the estimate %.6g; use the percentile method "
                          "or check the statistic",
                          nb, est);
    }
    double z0_hat = gsl_cdf_ugaussian_Pinv(frac);

    double jbar = gsl_stats_mean(jack, 1, nj);
    double s2 = 0, s3 = 0;
    bool all_tied = true;
    for (size_t k = 0; k < nj; k++) {
        double d = jbar - jack[k];
        s2 += d * d;
        s3 += d * d * d;
        all_tied = all_tied && sc_tie_eq(jack[k], jbar);
    }
    /* All leave-one-out values equal: no skewness information, a = 0.
     * "Equal" up to the tie rule: a is scale-free, so values that differ
     * only by rounding would otherwise give an arbitrary a in [-big, big]. */
    double a_hat = all_tied || !(s2 > 0) ? 0 : s3 / (6 * pow(s2, 1.5));

    double z_lo = gsl_cdf_ugaussian_Pinv((1 - level) / 2);
    double z_hi = gsl_cdf_ugaussian_Pinv((1 + level) / 2);
    double n1 = z0_hat + z_lo, n2 = z0_hat + z_hi;
    double a1 = gsl_cdf_ugaussian_P(z0_hat + n1 / (1 - a_hat * n1));
    double a2 = gsl_cdf_ugaussian_P(z0_hat + n2 / (1 - a_hat * n2));
    *lo = gsl_stats_quantile_from_sorted_data(s, 1, nb, a1);
    *hi = gsl_stats_quantile_from_sorted_data(s, 1, nb, a2);
    if (z0 != NULL)
        *z0 = z0_hat;
    if (accel != NULL)
        *accel = a_hat;
    sc_free(s);
    return SC_OK;
}

static int check_opts(size_t n_units, const sc_boot_opts *o, size_t n_draw,
                      sc_err *err)
{
    if (n_units < 2)
        return sc_err_set(err, SC_EINVAL, "bootstrap needs >= 2 units, got %zu",
                          n_units);
    if (o->b < 2)
        return sc_err_set(err, SC_EINVAL,
                          "bootstrap needs B >= 2 replicates, got %zu", o->b);
    int rc = check_level(o->level, err);
    if (rc != SC_OK)
        return rc;
    if (n_draw > n_units || n_draw == 0)
        return sc_err_set(err, SC_EINVAL,
                          "bootstrap: %zu units per resample out of %zu; use "
                          "1 .. %zu (0 means all)",
                          n_draw, n_units, n_units);
    if (o->method == SC_CI_BCA && (n_draw != n_units || o->without_replacement))
        return sc_err_set(err, SC_EINVAL,
                          "bootstrap: BCa needs n-out-of-n resampling with "
                          "replacement; use the percentile method for "
                          "subsampling");
    if (o->method != SC_CI_BCA && o->method != SC_CI_PERCENTILE)
        return sc_err_set(err, SC_EINVAL, "bootstrap: unknown CI method %d",
                          (int)o->method);
    return SC_OK;
}

/* Call stat; map SC_EDOM to "undefined" (*defined = false) and keep every
 * other failure, prefixed with what was being computed. */
static int call_stat(sc_boot_stat_fn stat, void *ud, const size_t *idx,
                     size_t n, const char *what, size_t r, double *out,
                     bool *defined, sc_err *err)
{
    sc_err e;
    sc_err_clear(&e);
    int s = stat(idx, n, ud, out, &e);
    *defined = s == SC_OK && isfinite(*out);
    if (s == SC_OK && !isfinite(*out))
        return sc_err_set(err, SC_ENUMERIC,
                          "bootstrap: %s %zu: the statistic returned a "
                          "non-finite value without an error",
                          what, r);
    if (s == SC_OK || s == SC_EDOM)
        return SC_OK;
    return sc_err_set(err, s, "bootstrap: %s %zu: %s", what, r, e.msg);
}

/* B replicates: draw n_draw units (with or without replacement) and
 * evaluate stat on them. reps gets every replicate (NaN where undefined),
 * good the defined ones, in order (*nb of them). */
static int replicates_run(size_t n_units, size_t n_draw, sc_boot_stat_fn stat,
                          void *ud, const sc_boot_opts *opts, sc_rng *rng,
                          size_t *all, size_t *idx, double *reps, double *good,
                          size_t *nb, sc_err *err)
{
    *nb = 0;
    for (size_t r = 0; r < opts->b; r++) {
        if (opts->without_replacement) {
            gsl_ran_choose(rng->gsl, idx, n_draw, all, n_units, sizeof *idx);
        } else {
            for (size_t k = 0; k < n_draw; k++)
                idx[k] = sc_rng_index(rng, n_units);
        }
        double t;
        bool ok;
        int rc = call_stat(stat, ud, idx, n_draw, "replicate", r, &t, &ok, err);
        if (rc != SC_OK)
            return rc;
        reps[r] = ok ? t : (double)NAN;
        if (ok)
            good[(*nb)++] = t;
    }
    return SC_OK;
}

/* BCa from the nb defined replicates: the jackknife leaves unit i out,
 * the others in order (idx is scratch for n_units - 1 indices). */
static int jackknife_bca(size_t n_units, sc_boot_stat_fn stat, void *ud,
                         const sc_boot_opts *opts, double est,
                         const double *good, size_t nb, size_t *idx,
                         sc_boot_result *out, sc_err *err)
{
    double *jack = sc_calloc(n_units, sizeof *jack);
    if (jack == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "bootstrap: cannot allocate %zu jackknife values",
                          n_units);
    size_t nj = 0;
    int rc = SC_OK;
    for (size_t i = 0; i < n_units && rc == SC_OK; i++) {
        size_t c = 0;
        for (size_t k = 0; k < n_units; k++)
            if (k != i)
                idx[c++] = k;
        double t;
        bool ok;
        rc =
            call_stat(stat, ud, idx, n_units - 1, "jackknife", i, &t, &ok, err);
        if (rc == SC_OK && ok)
            jack[nj++] = t;
        else if (rc == SC_OK)
            out->n_jack_undefined++;
    }
    if (rc == SC_OK && nj < 2)
        rc = sc_err_set(err, SC_EDOM,
                        "bootstrap: BCa acceleration needs >= 2 defined "
                        "leave-one-out values, got %zu; use the percentile "
                        "method",
                        nj);
    if (rc == SC_OK)
        rc = sc_ci_bca(good, nb, est, jack, nj, opts->level, &out->lo, &out->hi,
                       &out->z0, &out->accel, err);
    sc_free(jack);
    return rc;
}

/* The statistic on the full sample; undefined there is an error. */
static int estimate(size_t n_units, sc_boot_stat_fn stat, void *ud,
                    const size_t *all, double *est, sc_err *err)
{
    bool ok;
    int rc = call_stat(stat, ud, all, n_units, "estimate", 0, est, &ok, err);
    if (rc == SC_OK && !ok)
        rc = sc_err_set(err, SC_EDOM,
                        "bootstrap: the statistic is undefined on the full "
                        "sample of %zu units",
                        n_units);
    return rc;
}

int sc_boot(size_t n_units, sc_boot_stat_fn stat, void *ud,
            const sc_boot_opts *opts, sc_rng *rng, sc_boot_result *res,
            double *replicates, sc_err *err)
{
    size_t n_draw = opts->n_draw == 0 ? n_units : opts->n_draw;
    int rc = check_opts(n_units, opts, n_draw, err);
    if (rc != SC_OK)
        return rc;
    size_t b = opts->b;
    sc_boot_result out = {0};
    size_t *all = sc_calloc(n_units, sizeof *all);
    size_t *idx = sc_calloc(n_units, sizeof *idx);
    double *reps = sc_calloc(b, sizeof *reps);
    double *good = sc_calloc(b, sizeof *good);
    if (all == NULL || idx == NULL || reps == NULL || good == NULL) {
        rc = sc_err_set(err, SC_ENOMEM,
                        "bootstrap: cannot allocate %zu replicates over %zu "
                        "units; free memory or lower B",
                        b, n_units);
        goto fail;
    }
    for (size_t k = 0; k < n_units; k++)
        all[k] = k;
    double est;
    rc = estimate(n_units, stat, ud, all, &est, err);
    size_t nb = 0;
    if (rc == SC_OK)
        rc = replicates_run(n_units, n_draw, stat, ud, opts, rng, all, idx,
                            reps, good, &nb, err);
    if (rc != SC_OK)
        goto fail;
    if (replicates != NULL)
        memcpy(replicates, reps, b * sizeof *reps);
    if (nb < 2) {
        rc = sc_err_set(err, SC_EDOM,
                        "bootstrap: only %zu of %zu replicates are defined; "
                        "the estimate needs more units or a larger pair set",
                        nb, b);
        goto fail;
    }
    if (opts->method == SC_CI_PERCENTILE)
        rc = sc_ci_percentile(good, nb, opts->level, &out.lo, &out.hi, err);
    else
        rc = jackknife_bca(n_units, stat, ud, opts, est, good, nb, idx, &out,
                           err);
    if (rc != SC_OK)
        goto fail;
    out.estimate = est;
    out.level = opts->level;
    out.method = opts->method;
    out.b = b;
    out.n_undefined = b - nb;
    out.se = gsl_stats_sd(good, 1, nb);
    out.seed = rng->seed;
    *res = out;
fail:
    sc_free(all);
    sc_free(idx);
    sc_free(reps);
    sc_free(good);
    return rc;
}
