/* Tie-robust comparison of computed floating-point values: the ONE
 * tolerance every count, rank, quantile choice, branch or merge order on
 * computed statistics uses (permutation counts, the BCa bias correction,
 * Spearman ranks and the constant-side check in the statistics engine,
 * box-plot whiskers and box order, UPGMA merge order).
 *
 * Why: another CPU's BLAS kernel sums in another order and so changes the
 * last bits of every similarity (measured on the bundled example: up to
 * 1.6e-15 between OpenBLAS's Haswell and SkylakeX kernels). A decision taken
 * with an exact `<` or `==` on such values flips at random wherever two
 * values are mathematically equal, e.g. a bootstrap replicate that draws
 * the same models as the estimate: before this rule, such replicates
 * counted 10 below / 16 equal on one machine and 0 / 6 / 20 on another,
 * which moved a BCa bound from 0.70 to 0.65. Treating values within a
 * relative tolerance as equal makes every such decision the same on every
 * machine, so the displayed tables, p, q and CIs do not depend on the CPU
 * (README, "Reproducibility across machines").
 *
 * The value: sqrt(DBL_EPSILON) ~ 1.49e-8, the tie tolerance of
 * vegan::mantel (R) and of R's all.equal. It is ~1e7 times the rounding
 * noise of a correlation over a few hundred model pairs (~1e-15) and far
 * below any difference a table shows (2-3 decimals) or a test can detect
 * with B <= 1e6 resamples, so genuinely different values are never merged
 * in practice.
 *
 * The rule is relative: a and b are tied when |a - b| <= SC_TIE_RTOL *
 * max(|a|, |b|). It is scale-free (a statistic on any scale is treated
 * alike), which also means that two values that are both mathematically 0
 * but computed as +-1e-17 are NOT recognised as tied; no statistic simcon
 * decides on is exactly 0 except by construction in degenerate input.
 * The rule is not transitive; callers that group values (ranks, box
 * order) anchor each group at its first member in sorted order, so a group
 * never spans more than the tolerance. */
#ifndef SC_TIE_H
#define SC_TIE_H

#include <math.h>
#include <stdbool.h>

/* Relative tolerance below which two computed values count as equal:
 * sqrt(DBL_EPSILON) = 2^-26 (see the file comment for why). */
#define SC_TIE_RTOL 1.4901161193847656e-08

/* True when a and b are equal up to SC_TIE_RTOL relative (also when both
 * are the same infinity). NaN is tied with nothing. */
static inline bool sc_tie_eq(double a, double b)
{
    if (a == b)
        return true;
    if (!isfinite(a) || !isfinite(b))
        return false;
    double scale = fmax(fabs(a), fabs(b));
    return fabs(a - b) <= SC_TIE_RTOL * scale;
}

/* Three-way comparison with ties: 0 when sc_tie_eq(a, b), else -1 when
 * a < b and 1 when a > b. NaN arguments compare as 1 (callers check
 * finiteness first). */
static inline int sc_tie_cmp(double a, double b)
{
    if (sc_tie_eq(a, b))
        return 0;
    return a < b ? -1 : 1;
}

#endif
