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
