/* Statistics engine: model-pair sets, correlations over pairs, Mantel
 * permutation tests, a generic bootstrap with percentile and BCa intervals,
 * label-permutation tests for category contrasts, and Holm / BH corrections.
 *
 * Purpose: simcon's p-values and CIs for consistency, behaviour and contrast
 * estimates (docs/FORMULAS.md, "Statistics that simcon adds"). Model pairs are
 * not independent (each model is in m-1 pairs), so every test here resamples
 * MODELS (or stimuli, or datasets), never pairs.
 *
 * Invariants shared by the whole module:
 * - An m x m similarity matrix is an sc_matrix with rows == cols == m. Only
 *   its strict upper triangle is read: the value of the unordered pair {i,j}
 *   is S[min(i,j), max(i,j)]. Diagonal and lower triangle are ignored.
 * - Randomness comes only from the sc_rng the caller passes (one stream per
 *   task, see rng.h). Each function draws its replicates in order from it,
 *   so the result is a pure function of (inputs, rng seed).
 * - Permutation p-values are p = (1 + #{T* >= T}) / (1 + B), never 0, where
 *   B counts the permutations whose statistic is defined. Every decision on
 *   computed values -- "T* >= T", replicates below the estimate in BCa,
 *   Spearman ranks, a constant side -- treats values within the relative
 *   tolerance SC_TIE_RTOL (core/num/tie.h) as equal, so permutations and
 *   replicates that reproduce T up to rounding count as ties on every CPU.
 * - A replicate whose statistic is undefined (callback returned SC_EDOM:
 *   fewer than 2 pairs, zero variance) is excluded and counted in the
 *   result's n_undefined; any other failure status aborts the call.
 * - All allocation goes through core/base/mem.h; results are plain structs
 * owned by the caller; nothing is written to an output on failure except where
 *   stated.
 *
 * References: Mantel (1967) Cancer Res 27:209; Legendre & Legendre (2012)
 * Numerical Ecology 3rd ed., sec. 10.5; Efron & Tibshirani (1993) An
 * Introduction to the Bootstrap, ch. 13-14 (percentile, BCa, jackknife
 * acceleration); Holm (1979) Scand J Stat 6:65; Benjamini & Hochberg (1995)
 * JRSS-B 57:289; Phipson & Smyth (2010) SAGMB 9(1):39 (p never 0). */
#ifndef SC_STATS_H
#define SC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "methods.h"
#include "mat.h"
#include "progress.h"
#include "rng.h"
#include "tie.h"

/* Category value meaning "no category": such a model is in no within,
 * between or anchor set. */
#define SC_CAT_NONE SIZE_MAX

/* ## Model-pair sets */

/* A list of unordered model pairs over an m x m matrix. Pair k is
 * (i[k], j[k]). Builders produce i[k] < j[k], in lexicographic order, each
 * pair once; sc_pairs_resample_models may repeat pairs (see there).
 * Caller-provided struct: sc_pairs_init_* / sc_pairs_deinit. n may be 0 or
 * 1: callers report such a set as skipped ("<= 1 pair"), this module does not
 * decide that. */
typedef struct sc_pairs {
    size_t m;  /* the matrix the indices refer to is m x m */
    size_t n;  /* number of pairs                          */
    size_t *i; /* n entries, sc_malloc'ed (NULL when n = 0) */
    size_t *j; /* n entries                                 */
} sc_pairs;

/* All m(m-1)/2 pairs i < j. Statuses: SC_EINVAL (m > 2^26, the pair count
 * would overflow a sane allocation), SC_ENOMEM. */
int sc_pairs_init_all(sc_pairs *p, size_t m, sc_err *err);

/* Pairs with both models in category c: cat[i] == cat[j] == c.
 * [in] cat: m category indices (SC_CAT_NONE = none). c != SC_CAT_NONE.
 * Statuses: SC_EINVAL (c is SC_CAT_NONE), SC_ENOMEM. */
int sc_pairs_init_within(sc_pairs *p, const size_t *cat, size_t m, size_t c,
                         sc_err *err);

/* Pairs with one model in c1 and the other in c2 (c1 != c2, either order
 * in the matrix; stored i < j). Statuses: SC_EINVAL (c1 == c2: "use
 * sc_pairs_init_within"; SC_CAT_NONE given), SC_ENOMEM. */
int sc_pairs_init_between(sc_pairs *p, const size_t *cat, size_t m, size_t c1,
                          size_t c2, sc_err *err);

/* Pairs of the anchor model with every other model of category c:
 * {anchor, j} for cat[j] == c, j != anchor (stored with i < j).
 * Statuses: SC_EINVAL (anchor >= m; c is SC_CAT_NONE), SC_ENOMEM. */
int sc_pairs_init_anchor(sc_pairs *p, const size_t *cat, size_t m,
                         size_t anchor, size_t c, sc_err *err);

/* Pair set of a bootstrap resample of models.
 * [in] base: the pair set of the estimate, over the original m x m matrix.
 * [in] res: m_res original model indices drawn with replacement (each < m).
 * [in] by_position: selects how the output pairs are expressed:
 *   false: as ORIGINAL model indices over base->m (out->m = base->m); a pair
 *          drawn several times appears several times; i < j. Use this to
 *          read values straight from the original matrices.
 *   true:  as resample POSITIONS (a, b), a < b, over the m_res x m_res
 *          resampled matrix S*[a][b] = S[res[a]][res[b]] (out->m = m_res).
 * Either way the pairs are those (a, b), a < b, whose models res[a] != res[b]
 * (a model is never paired with its own copy) and whose unordered original
 * pair {res[a], res[b]} is in base; order is lexicographic in (a, b).
 * Statuses: SC_EINVAL (an index >= base->m), SC_ENOMEM. */
int sc_pairs_resample_models(const sc_pairs *base, const size_t *res,
                             size_t m_res, bool by_position, sc_pairs *out,
                             sc_err *err);

/* Free the arrays and reset p to empty; safe on a zeroed p. */
void sc_pairs_deinit(sc_pairs *p);

/* ## Correlation */

/* Scratch sizes (doubles) of sc_corr and sc_corr_pairs for n values. */
#define SC_CORR_WORK(n) (4 * (n))
#define SC_CORR_PAIRS_WORK(n) (6 * (n))

/* Correlation of x[0..n-1] and y[0..n-1]. Spearman ranks values tied up to
 * SC_TIE_RTOL (core/num/tie.h) as ties (average rank); "constant" also means
 * "all values tied".
 * [in] work: SC_CORR_WORK(n) doubles of scratch, or NULL to allocate
 *      internally.
 * [out] out: the correlation, in [-1, 1], written only on SC_OK.
 * Statuses: SC_EDOM (n < 2, or x or y constant: undefined; the caller may
 * treat this as "replicate undefined"), SC_ENUMERIC (a non-finite input,
 * naming its position), SC_ENOMEM. */
int sc_corr(const double *x, const double *y, size_t n, sc_corr_method method,
            double *work, double *out, sc_err *err);

/* The average ranks (1-based) sc_corr gives x[0..n-1] for Spearman, with
 * the tie rule of core/num/tie.h; s and g are n doubles of scratch each.
 * Exposed so that a caller correlating one vector with many others ranks it
 * once (stats_many.c). */
void sc_corr_ranks(const double *x, size_t n, double *rank, double *s,
                   double *g);

/* Correlation between the upper-triangle values of a and b over the pairs:
 * x_k = a[i_k, j_k], y_k = b[i_k, j_k] (read as S[min, max]). This is the
 * paper's consistency of two datasets, and the behaviour correlation when b
 * holds |acc_i - acc_j|.
 * [in] a, b: m x m with m == p->m.
 * [in] work: SC_CORR_PAIRS_WORK(p->n) doubles or NULL.
 * Statuses: as sc_corr; SC_EINVAL for shape mismatch. */
int sc_corr_pairs(const sc_matrix *a, const sc_matrix *b, const sc_pairs *p,
                  sc_corr_method method, double *work, double *out,
                  sc_err *err);

/* ## Alternatives and p-values */

typedef enum sc_alternative {
    SC_ALT_GREATER = 0,  /* count T* >= T, ties (tie.h) included      */
    SC_ALT_LESS = 1,     /* count T* <= T, ties included              */
    SC_ALT_TWO_SIDED = 2 /* Mantel: count |T*| >= |T|, ties included (the
                            null of a correlation over pairs is centred
                            near 0); label permutations (sc_perm_labels):
                            twice the smaller one-sided p, capped at 1,
                            because their null need not be centred on 0
                            or symmetric (see there) */
} sc_alternative;

/* "greater" / "less" / "two-sided" -> alternative; SC_EINVAL otherwise. */
int sc_alternative_parse(const char *text, sc_alternative *out, sc_err *err);
const char *sc_alternative_name(sc_alternative alt); /* never NULL */

/* True when the permuted statistic t_perm is at least as extreme as the
 * observed t_obs under alt, counting values tied with t_obs up to
 * SC_TIE_RTOL relative (sc_tie_cmp) as at least as extreme. vegan::mantel
 * uses the same tolerance, absolute; for |T| <= 1 ours is at most as wide,
 * which changes a count only if a permuted statistic lies between
 * 1.5e-8 |T| and 1.5e-8 of T. */
bool sc_stats_as_extreme(double t_perm, double t_obs, sc_alternative alt);
/* Next permutation of a[0..n-1] in lexicographic order (Knuth's Algorithm
 * L on distinct values); false after the last one. Drives the exact tests. */
bool sc_perm_next(size_t *a, size_t n);

/* ## Mantel test */

typedef struct sc_mantel_opts {
    sc_corr_method method;
    sc_alternative alternative;
    size_t perms; /* B random permutations (>= 1); ignored when exact      */
    bool exact;   /* enumerate all m! permutations (m <= SC_MANTEL_EXACT_MAX);
                     the rng is then not used and may be NULL              */
} sc_mantel_opts;

/* Largest m for the exact mode: 8! = 40320 permutations. */
#define SC_MANTEL_EXACT_MAX 8

typedef struct sc_mantel_result {
    double r;           /* observed correlation over the pairs             */
    double p;           /* random: (1 + #extreme)/(1 + b);
                           exact: #extreme / b, identity included, so >= 1/b */
    size_t b;           /* permutations with a defined statistic            */
    size_t n_undefined; /* permutations excluded (statistic undefined)      */
    size_t n_pairs;     /* pairs in the set                                 */
    bool exact;
    uint32_t seed; /* rng->seed, 0 in exact mode                       */
} sc_mantel_result;

/* Mantel test of association between a and b over the pairs p.
 * Each replicate draws a uniform permutation pi of the m model labels and
 * recomputes the statistic with b's rows AND columns permuted jointly:
 * y*_k = b[pi(i_k), pi(j_k)] (read as upper triangle); a and the pair set
 * are unchanged. Exact mode visits every permutation once (lexicographic),
 * identity included.
 * [in] a, b: m x m with m == p->m, m >= 3 (with m = 2 there is one pair).
 * [in] rng: the task's stream (not used in exact mode).
 * [out] res: filled on SC_OK only.
 * Statuses: SC_EINVAL (shapes, perms == 0 in random mode, exact with
 * m > SC_MANTEL_EXACT_MAX, rng NULL in random mode), SC_EDOM (the observed
 * statistic is undefined: <= 1 pair or a constant side; or every
 * permutation undefined), SC_ENUMERIC, SC_ENOMEM. */
int sc_mantel(const sc_matrix *a, const sc_matrix *b, const sc_pairs *p,
              const sc_mantel_opts *opts, sc_rng *rng, sc_mantel_result *res,
              sc_err *err);
/* The same, showing the permutations on progress (core/base/progress.h; NULL:
 * none). */
int sc_mantel_progress(const sc_matrix *a, const sc_matrix *b,
                       const sc_pairs *p, const sc_mantel_opts *opts,
                       sc_rng *rng, sc_progress *progress,
                       sc_mantel_result *res, sc_err *err);

/* ## Bootstrap */

/* A statistic over resampled units. idx holds n_idx unit indices (with
 * repeats in a bootstrap resample; all units but one in a jackknife
 * leave-one-out; 0 .. n-1 in order for the estimate itself). The caller
 * decides what a unit is (model, stimulus, dataset) and maps indices.
 * Return SC_OK and set *out (finite), SC_EDOM if the statistic is undefined
 * for this resample (counted and excluded), or another status to abort
 * (the engine adds "replicate N" context to err). */
typedef int (*sc_boot_stat_fn)(const size_t *idx, size_t n_idx, void *ud,
                               double *out, sc_err *err);

typedef struct sc_boot_opts {
    size_t b;     /* replicates to draw (>= 2)                        */
    double level; /* e.g. 0.95; in (0, 1)                             */
    sc_ci_method method;
    size_t n_draw; /* units per resample; 0 = n_units (m-out-of-n when
                      smaller; BCa requires n_draw == n_units)         */
    bool without_replacement; /* subsample (n_draw < n_units) instead of
                            drawing with replacement; percentile only        */
} sc_boot_opts;

typedef struct sc_boot_result {
    double estimate; /* statistic on all units, idx = 0 .. n-1          */
    double lo, hi;   /* interval at `level` by `method`                 */
    double level;
    sc_ci_method method;
    size_t b;           /* replicates drawn (as requested)                 */
    size_t n_undefined; /* replicates excluded; the CI uses b - n_undefined */
    double se;          /* standard deviation of the defined replicates   */
    double z0, accel;   /* BCa constants (0 for percentile)                */
    size_t n_jack_undefined; /* leave-one-out values excluded (BCa only)   */
    uint32_t seed; /* rng->seed                                       */
} sc_boot_result;

/* Bootstrap CI of stat over n_units units. Replicate r (r = 0 .. b-1) draws
 * n_draw indices from rng in order (gsl_rng_uniform_int with replacement,
 * gsl_ran_choose without), then calls stat. BCa then calls stat n_units
 * more times, leaving out unit i = 0 .. n-1 in turn (jackknife).
 * [in] stat, ud: the statistic and its user data (borrowed).
 * [out] res: filled on SC_OK only.
 * [out] replicates: NULL, or b doubles receiving each replicate in draw
 *       order (NaN where undefined); written even on SC_EDOM, so callers can
 *       inspect a failed run, but never on other failures' early exits.
 * Statuses: SC_EINVAL (n_units < 2, b < 2, level outside (0,1), n_draw >
 * n_units, BCa with n_draw != n_units or without replacement), SC_EDOM
 * (estimate undefined; fewer than 2 defined replicates; BCa undefined: all
 * defined replicates on one side of the estimate, or fewer than 2 defined
 * jackknife values), SC_ENOMEM, or whatever stat returned. */
int sc_boot(size_t n_units, sc_boot_stat_fn stat, void *ud,
            const sc_boot_opts *opts, sc_rng *rng, sc_boot_result *res,
            double *replicates, sc_err *err);

/* Interval from given replicates (for callers with their own loop).
 * reps: nb defined replicates, any order, not modified (copied).
 * Percentile: lo/hi = type-7 quantiles (gsl_stats_quantile_from_sorted_data,
 * the same rule as numpy's default) at (1-level)/2 and (1+level)/2. Order
 * statistics and the interpolation between them are continuous in the
 * replicates, so no tie rule is needed: replicates that move by rounding
 * move the bounds by about as much, never by a jump.
 * Statuses: SC_EINVAL (nb < 2, level), SC_ENUMERIC (non-finite), SC_ENOMEM. */
int sc_ci_percentile(const double *reps, size_t nb, double level, double *lo,
                     double *hi, sc_err *err);

/* BCa interval (Efron & Tibshirani 1993, eq. 14.10-14.15):
 *   z0 = Phi^-1((#{reps < est} + #{reps == est}/2) / nb)   (ties count half)
 *   a  = sum (jbar - j_i)^3 / (6 (sum (jbar - j_i)^2)^(3/2)), 0 if all equal
 * where "==" and "<" are decided with the tie rule of core/num/tie.h: a
 * replicate within SC_TIE_RTOL (relative) of est counts as equal, and the
 * jackknife values are "all equal" when each is within SC_TIE_RTOL of
 * their mean. Replicates that equal the estimate mathematically (e.g. a
 * resample that draws the same models) then count the same on every CPU;
 * with an exact comparison their rounding noise decided z0.
 *   alpha_k = Phi(z0 + (z0 + z_k) / (1 - a (z0 + z_k))), z_k = Phi^-1 of
 *   (1-level)/2 and (1+level)/2; lo/hi = type-7 quantiles at alpha_1/2.
 * [in] jack: nj defined leave-one-out values (nj >= 2).
 * [out] z0, accel: may be NULL.
 * Statuses: SC_EINVAL (nb < 2, nj < 2, level), SC_EDOM (z0 infinite: every
 * replicate strictly above or below est), SC_ENUMERIC, SC_ENOMEM. */
int sc_ci_bca(const double *reps, size_t nb, double est, const double *jack,
              size_t nj, double level, double *lo, double *hi, double *z0,
              double *accel, sc_err *err);

/* ## Ready-made statistics over similarity matrices (ud for sc_boot and
 * sc_perm_labels). The struct is borrowed by the callback; fill it, then
 * pass its address as ud. */

/* Consistency of two datasets over a pair set, units = MODELS: the callback
 * builds sc_pairs_resample_models(pairs, idx, n_idx, false) and returns
 * sc_corr_pairs(a, b, ...) over it (SC_EDOM when <= 1 pair remains). The
 * same struct serves behaviour correlations (b = accuracy gaps). */
typedef struct sc_consistency {
    const sc_matrix *a, *b; /* m x m                                   */
    const sc_pairs *pairs;  /* base pair set over m                    */
    sc_corr_method method;
} sc_consistency;

int sc_consistency_boot_stat(const size_t *idx, size_t n_idx, void *ud,
                             double *out, sc_err *err);

/* ## Label-permutation tests (category contrasts) */

/* A statistic of the models' category labels: labels[i] is model i's
 * category (permuted across models by the test). Same return convention as
 * sc_boot_stat_fn. */
typedef int (*sc_perm_stat_fn)(const size_t *labels, size_t m, void *ud,
                               double *out, sc_err *err);

typedef struct sc_perm_opts {
    size_t perms; /* B >= 1 (ignored when exact) */
    sc_alternative alternative;
    bool exact; /* enumerate all m! arrangements of the labels (m <=
                   SC_MANTEL_EXACT_MAX); the rng is then not used */
} sc_perm_opts;

typedef struct sc_perm_result {
    double observed;    /* statistic with the true labels: the effect size */
    double p;           /* as the alternative says (below)                 */
    double p_greater;   /* random: (1 + #{T* >= T}) / (1 + b); exact: # / b */
    double p_less;      /* the same with T* <= T                           */
    double null_mean;   /* mean of the defined permuted statistics         */
    size_t b;           /* permutations with a defined statistic           */
    size_t n_undefined; /* permutations excluded                           */
    bool exact;
    uint32_t seed; /* rng->seed, 0 in exact mode                     */
} sc_perm_result;

/* Permutation test that shuffles labels across the m models (a uniform
 * permutation of the label array per replicate, gsl_ran_shuffle, which keeps
 * every group size; or, exact, each of the m! arrangements once, the
 * identity included). The labels array is not modified.
 * p: greater / less as p_greater / p_less; two-sided min(1, 2 min(p_greater,
 * p_less)). Doubling the smaller tail is used because a label-permutation
 * null is in general neither centred on 0 nor symmetric: for a contrast of
 * two categories of unequal size the null mean is the size offset of the
 * two within-category means (+0.09 to +0.20 with sizes 4/3 and 6/3 in the
 * bundled example, skew down to -1.31), so |T*| >= |T| would compare
 * distances from 0, not from the null's centre. docs/STATISTICS.md.
 * Statuses: SC_EINVAL (m < 2, perms 0, NULL args, exact with m too large),
 * SC_EDOM (observed statistic undefined, or every permutation undefined),
 * SC_ENOMEM, or what stat returned. */
int sc_perm_labels(const size_t *labels, size_t m, sc_perm_stat_fn stat,
                   void *ud, const sc_perm_opts *opts, sc_rng *rng,
                   sc_perm_result *res, sc_err *err);

/* The paper's contrast: mean over dataset pairs (d < e) of the
 * within-category-c1 consistency minus the same for c2:
 *   T = mean_{d<e} corr_{within c1}(S_d, S_e) - mean_{d<e} corr_{within c2}.
 * A dataset pair whose consistency is undefined (<= 1 pair, constant) makes
 * the whole statistic undefined (SC_EDOM), so both means always run over the
 * same dataset pairs. */
typedef struct sc_contrast {
    const sc_matrix *const *sims; /* n_sims >= 2 matrices, all m x m      */
    size_t n_sims;
    const size_t *labels; /* m category labels (for the bootstrap stat)  */
    size_t m;
    size_t c1, c2; /* the two categories compared, c1 != c2       */
    sc_corr_method method;
} sc_contrast;

/* sc_perm_stat_fn: T with the given (permuted) labels; ctx->labels unused. */
int sc_contrast_perm_stat(const size_t *labels, size_t m, void *ud, double *out,
                          sc_err *err);

/* sc_boot_stat_fn over MODELS: T on the resample idx (model idx[a] keeps
 * its true label; self-copy pairs dropped as in sc_pairs_resample_models).
 * Gives the effect size's bootstrap CI via sc_boot. */
int sc_contrast_boot_stat(const size_t *idx, size_t n_idx, void *ud,
                          double *out, sc_err *err);

/* The same statistic for many labellings (the permutation test's 1 + B
 * evaluations), as dot products. Under one labelling and one category c,
 * each dataset's values over the within-c pairs W_c (lexicographic, as
 * sc_pairs_init_within) are standardised once,
 *   z_d = (v_d - mean(v_d)) / ||v_d - mean(v_d)||  (tie ranks for Spearman),
 * so that corr(v_d, v_e) = z_d . z_e, and the sum over dataset pairs is
 *   sum_{d<e} z_d . z_e = (||sum_d z_d||^2 - sum_d ||z_d||^2) / 2:
 * D gathers and standardisations per category instead of the D(D-1)/2
 * correlations (each gathering both vectors again) of
 * sc_contrast_perm_stat. The value differs from sc_contrast_perm_stat's
 * by rounding only (below 1e-12 on the unit test's random inputs); the
 * status is the same in the same cases: SC_EDOM when a category has fewer
 * than 2 pairs or a dataset is constant over them (tie rule), SC_ENUMERIC
 * for a non-finite value that sc_contrast_perm_stat reaches first,
 * SC_EINVAL for the shapes. The permutation test then draws the same
 * labellings from the same stream, and its counts compare with the tie
 * rule, so p is the same.
 * Usage: sc_contrast_dots_init(&w, &contrast), then
 * sc_perm_labels(labels, m, sc_contrast_dots_stat, &w, ...); the scratch
 * is w's, so one sc_contrast_dots per thread. */
typedef struct sc_contrast_dots {
    const sc_contrast *c;
    size_t cap;      /* m(m-1)/2: the most pairs a category can have   */
    size_t *members; /* m: the models of the category                   */
    size_t *idx;     /* cap: flat index i * m + j of each selected pair */
    double *work;    /* 5 cap: values, ranks, running sum, 2 scratch    */
} sc_contrast_dots;

/* Scratch for contrast c (borrowed, must outlive w). Statuses: SC_EINVAL
 * (as sc_contrast_perm_stat's checks: < 2 matrices, c1 == c2, a matrix
 * not m x m), SC_ENOMEM. */
int sc_contrast_dots_init(sc_contrast_dots *w, const sc_contrast *c,
                          sc_err *err);
/* Free the scratch; safe on a zeroed w. */
void sc_contrast_dots_deinit(sc_contrast_dots *w);

/* sc_perm_stat_fn: T with the given labels; ud is an sc_contrast_dots. */
int sc_contrast_dots_stat(const size_t *labels, size_t m, void *ud, double *out,
                          sc_err *err);

/* ## Multiple comparisons */

/* Adjusted p-values, as R's p.adjust(p, "holm" | "BH") on the non-NaN
 * entries: NaN entries (skipped tests) are copied to out as NaN and do not
 * count in the number of tests. Holm: sorted ascending, out_(k) =
 * max_{l<=k} min(1, (n-l+1) p_(l)). BH: out_(k) = min_{l>=k} min(1, n/l
 * p_(l)). Both are monotone in p and capped at 1; tied p-values get
 * equal adjusted values whatever their sort order. out may alias p.
 * Statuses: SC_EINVAL (a value outside [0, 1] or infinite, naming its
 * index), SC_ENOMEM. */
int sc_padjust(const double *p, size_t n, sc_padjust_method method, double *out,
               sc_err *err);

#endif
