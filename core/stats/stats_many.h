/* Mantel tests and model-bootstrap CIs of many dataset pairs over ONE
 * model-pair set, with every random draw shared by all the pairs.
 *
 * Why: the consistency table of a study with D datasets has D(D-1)/2 rows
 * per (metric, model set), and each row's Mantel test permutes the same m
 * model labels. Drawing one permutation for all rows turns the B x
 * D(D-1)/2 correlations into B small matrix products: with z_d the
 * standardised pair values of dataset d (Pearson; its tie ranks for
 * Spearman), corr(x_a, y_b o pi) = z_a . z_b(pi), so one permutation gives
 * every pair as one entry of Z_A Z_B(pi)^T (Z: datasets x pairs). Likewise
 * one bootstrap draw of models gives every pair from one resampled pair
 * set whose values are gathered and ranked once per dataset.
 *
 * Contract (what the tests check): for every dataset pair q, the result is
 * the one sc_mantel / sc_boot_ci give for that pair alone when handed an
 * rng in the same state, so each pair's p and CI are a function of the
 * stream and the pair only, never of which other pairs are computed with
 * it:
 * - sc_mantel_many consumes the stream exactly as ONE sc_mantel call
 *   (opts->perms gsl_ran_shuffle calls of a running permutation, identity
 *   first; nothing in exact mode), whatever nq is, and p[q] equals
 *   sc_mantel's p for (a[q], b[q]). The permuted statistics come from a
 *   GEMM, so they differ from sc_mantel's by rounding (~1e-15); the count
 *   #{T* >= T} uses the tie rule of core/num/tie.h (relative 1.5e-8) and so
 *   is the same.
 * - sc_boot_ci_many consumes the stream exactly as ONE sc_boot_ci call
 *   (B resamples of m models, sc_rng_index each), and lo[q], hi[q] equal
 *   sc_boot_ci(m, sc_consistency_boot_stat, ...) for the pair to the last
 *   bit: each replicate's correlation is computed by the same GSL routine
 *   on the same values in the same order. */
#ifndef SC_STATS_MANY_H
#define SC_STATS_MANY_H

#include <stddef.h>

#include "boot_ci.h"
#include "err.h"
#include "rng.h"
#include "stats.h"

/* The dataset pairs: sims[a[q]] against sims[b[q]] over pairs, q < nq.
 * Every matrix is m x m with m == pairs->m; a[q] != b[q] is not required. */
typedef struct sc_many {
    const sc_matrix *const *sims;
    size_t nsims;
    const sc_pairs *pairs;
    sc_corr_method method;
    const size_t *a, *b;
    size_t nq;
} sc_many;

/* Mantel test of every pair q whose observed statistic t_obs[q] is finite
 * (t_obs[q] = sc_corr_pairs of the pair; NaN: skip the pair), b's model
 * labels permuted (opts as sc_mantel: method must equal mp->method).
 * [out] p, nperm: nq entries; p[q] = (1 + #extreme) / (1 + B) (exact:
 *       #extreme / m!) over the B permutations where the statistic is
 *       defined, nperm[q] = B; NaN and 0 for a skipped pair or one whose
 *       statistic is undefined under every permutation.
 * Statuses: SC_EINVAL (shapes, opts as sc_mantel), SC_ENUMERIC (a
 * non-finite similarity), SC_ENOMEM, SC_EBLAS. */
int sc_mantel_many(const sc_many *mp, const sc_mantel_opts *opts,
                   const double *t_obs, sc_rng *rng, double *p, size_t *nperm,
                   sc_err *err);

/* Model-bootstrap CI (opts: B, level, percentile or BCa) of every pair q
 * whose estimate est[q] (sc_corr_pairs of the pair) is finite; NaN est:
 * skip. lo[q], hi[q]: nq entries, NaN when skipped or when the interval is
 * undefined (sc_boot_ci's SC_EDOM cases).
 * Statuses: SC_EINVAL (m < 2, B < 2, level), SC_ENUMERIC, SC_ENOMEM. */
int sc_boot_ci_many(const sc_many *mp, const sc_ci_opts *opts,
                    const double *est, sc_rng *rng, double *lo, double *hi,
                    sc_err *err);

#endif
