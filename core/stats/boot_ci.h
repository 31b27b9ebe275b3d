/* The interval of one table row: a bootstrap CI where an undefined
 * statistic is a missing value, not an error.
 *
 * Purpose: every analysis of `simcon run` (consistency, behaviour,
 * contrasts, medians) reports a CI per row and leaves it empty, with a
 * note, when the statistic is undefined on the data or on too many
 * resamples. sc_boot and sc_ci_percentile (stats.h) return SC_EDOM then;
 * these wrappers turn that into lo = hi = NaN so callers have one rule. */
#ifndef SC_BOOT_CI_H
#define SC_BOOT_CI_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "stats.h"

/* What a bootstrap interval is asked for: replicates, level, method. */
typedef struct sc_ci_opts {
    size_t b;     /* replicates (>= 2)     */
    double level; /* e.g. 0.95, in (0, 1)  */
    sc_ci_method method;
} sc_ci_opts;

/* Bootstrap CI of stat over n_units units (sc_boot with n_draw = n_units,
 * with replacement), drawing from rng. *lo and *hi are NaN when sc_boot
 * finds the statistic or its interval undefined (SC_EDOM); the status is
 * then SC_OK. Other statuses as sc_boot (lo and hi untouched). */
int sc_boot_ci(size_t n_units, sc_boot_stat_fn stat, void *ud,
               const sc_ci_opts *opts, sc_rng *rng, double *lo, double *hi,
               sc_err *err);

/* Name of the interval of a correlation over model pairs resampled by
 * model (ci_method column): Fisher-z normal interval with the
 * leave-one-model-out jackknife SE and Student-t quantile. */
#define SC_CI_JACKKNIFE_Z "jackknife-z"

/* Interval of a correlation over the model pairs `pairs` (stat over model
 * indices, e.g. sc_consistency_boot_stat): with n the number of distinct
 * models in the pairs, r the estimate on all models and r_(i) the estimate
 * without model i (every model of the pairs, once),
 *   z = atanh r, z_(i) = atanh r_(i), se = sqrt((n-1)/n sum (z_(i) - mean)^2),
 *   [lo, hi] = tanh(z -+ t_{n-1, (1+level)/2} se).
 * Deterministic (no resampling). Chosen over the percentile and BCa model
 * bootstraps by the coverage simulations of docs/STATISTICS.md: the
 * leave-one-node-out jackknife is the variance estimator of pair (dyadic)
 * statistics, Fisher z makes the law of r near-normal, and t_{n-1} accounts
 * for the n leave-one-out values. *lo and *hi are NaN when r or an r_(i)
 * is undefined or +-1 (z infinite) or n < 3; the status is then SC_OK.
 * Statuses: SC_EINVAL (level outside (0, 1)), SC_ENOMEM, and failures of
 * stat other than SC_EDOM. */
int sc_jackknife_z_ci(const sc_pairs *pairs, sc_boot_stat_fn stat, void *ud,
                      double level, double *lo, double *hi, sc_err *err);

/* Name of the raw-scale jackknife interval (a contrast's effect). */
#define SC_CI_JACKKNIFE_T "jackknife-t"

/* The same leave-one-out interval on the raw scale, for a statistic that
 * is not a correlation (a difference of mean correlations): over the m
 * units with in[i] (the others are never left out), n of them,
 * [lo, hi] = est -+ t_{n-1, (1+level)/2} se. NaN when the statistic is
 * undefined on all units or without one of them, or n < 3; statuses as
 * sc_jackknife_z_ci. */
int sc_jackknife_t_ci(size_t m, const bool *in, sc_boot_stat_fn stat, void *ud,
                      double level, double *lo, double *hi, sc_err *err);

/* Percentile CI over precomputed replicates of two m x m matrices:
 * replicate r correlates a + r * a_stride with b + r * b_stride (doubles;
 * a stride of 0 uses the same matrix in every replicate) over pairs.
 * Replicates where the correlation is undefined are left out; with fewer
 * than 2 defined, *lo and *hi are left unchanged. Statuses: SC_ENOMEM and
 * those of sc_corr_pairs other than SC_EDOM, and of sc_ci_percentile. */
int sc_replicate_corr_ci(const double *a, size_t a_stride, const double *b,
                         size_t b_stride, size_t m, size_t nrep,
                         const sc_pairs *pairs, sc_corr_method method,
                         double level, double *lo, double *hi, sc_err *err);

#endif
