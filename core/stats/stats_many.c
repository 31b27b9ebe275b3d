/* Mantel tests and model-bootstrap CIs of many dataset pairs over one
 * pair set, sharing every random draw (see stats_many.h).
 *
 * Layout: the datasets that occur as the first member of an active pair
 * ("a side") and as the second ("b side") each get a row index; a
 * permutation batch holds, for PERM_BATCH permutations, the standardised
 * permuted values of every b-side dataset, and one GEMM
 *   C (na x batch*nb) = Z_A (na x n) . Y (batch*nb x n)^T
 * gives every pair's permuted statistic. z = (v - mean) / ||v - mean||
 * (of the tie ranks for Spearman), so z_a . z_b is Pearson's r. The
 * observed statistic is the caller's (sc_corr_pairs, GSL), and each count
 * compares with the tie rule, so the last bits the GEMM changes decide
 * nothing (core/num/tie.h).
 *
 * The bootstrap does not use the GEMM: its B (1,000) replicates are few
 * next to the permutations, and computing each replicate's correlation
 * with gsl_stats_correlation on the same gathered values as
 * sc_consistency_boot_stat keeps every CI bound identical to the per-pair
 * engine's to the last bit. What is shared is the draw, the resampled pair
 * set, the gather and (Spearman) the ranking of each dataset. */
#include "stats_many.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "blas.h"
#include "mem.h"

/* Permutations per GEMM: C has na x 32 nb entries, Y 32 nb n doubles
 * (11 MB for 23 datasets and 2,016 pairs). */
#define PERM_BATCH 32

static double upper(const sc_matrix *s, size_t i, size_t j)
{
    return i < j ? s->data[i * s->cols + j] : s->data[j * s->cols + i];
}

static int check_shapes(const sc_many *mp, sc_err *err)
{
    size_t m = mp->pairs->m;
    for (size_t q = 0; q < mp->nq; q++)
        if (mp->a[q] >= mp->nsims || mp->b[q] >= mp->nsims)
            return sc_err_set(err, SC_EINVAL,
                              "many pairs: pair %zu names dataset %zu/%zu of "
                              "%zu",
                              q, mp->a[q], mp->b[q], mp->nsims);
    for (size_t d = 0; d < mp->nsims; d++)
        if (mp->sims[d]->rows != m || mp->sims[d]->cols != m)
            return sc_err_set(err, SC_EINVAL,
                              "many pairs: matrix %zu is %zux%zu but the pair "
                              "set is over %zu models",
                              d, mp->sims[d]->rows, mp->sims[d]->cols, m);
    return SC_OK;
}

/* Row index of each dataset on the a and b sides of the active pairs
 * (SIZE_MAX: not on that side); *na, *nb: rows on each side. */
static void side_rows(const sc_many *mp, const double *active, size_t *ra,
                      size_t *rb, size_t *na, size_t *nb)
{
    for (size_t d = 0; d < mp->nsims; d++)
        ra[d] = rb[d] = SIZE_MAX;
    *na = *nb = 0;
    for (size_t q = 0; q < mp->nq; q++) {
        if (!isfinite(active[q]))
            continue;
        if (ra[mp->a[q]] == SIZE_MAX)
            ra[mp->a[q]] = (*na)++;
        if (rb[mp->b[q]] == SIZE_MAX)
            rb[mp->b[q]] = (*nb)++;
    }
}

/* All n values tied (the rule of sc_corr's constant side). */
static bool all_tied(const double *v, size_t n)
{
    if (n == 0)
        return true;
    double lo = v[0], hi = v[0];
    for (size_t k = 1; k < n; k++) {
        lo = v[k] < lo ? v[k] : lo;
        hi = v[k] > hi ? v[k] : hi;
    }
    return sc_tie_eq(lo, hi);
}

static int check_finite(const double *v, size_t n, sc_err *err)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k]))
            return sc_err_set(err, SC_ENUMERIC,
                              "correlation: non-finite value at position %zu "
                              "(%g); check the input matrices",
                              k, v[k]);
    return SC_OK;
}

/* The values (Pearson) or tie ranks (Spearman) of v[0..n) that sc_corr
 * correlates, into out; *ok false when v is constant (tie rule). scratch:
 * 2n doubles. */
static int corr_side(const double *v, size_t n, sc_corr_method method,
                     double *out, double *scratch, bool *ok, sc_err *err)
{
    int st = check_finite(v, n, err);
    if (st != SC_OK)
        return st;
    *ok = n >= 2 && !all_tied(v, n);
    if (method == SC_CORR_SPEARMAN)
        sc_corr_ranks(v, n, out, scratch, scratch + n);
    else if (out != v)
        memcpy(out, v, n * sizeof *out);
    return SC_OK;
}

/* Centre and scale v[0..n) in place to unit length. */
static void standardise(double *v, size_t n)
{
    double mean = 0, ss = 0;
    for (size_t k = 0; k < n; k++)
        mean += v[k];
    mean /= (double)n;
    for (size_t k = 0; k < n; k++) {
        v[k] -= mean;
        ss += v[k] * v[k];
    }
    double s = ss > 0 ? 1 / sqrt(ss) : 0;
    for (size_t k = 0; k < n; k++)
        v[k] *= s;
}

/* ## Mantel */

typedef struct perm_state {
    const sc_many *mp;
    const sc_mantel_opts *opts;
    const double *t_obs;
    size_t n, na, nb, *ra, *rb, *pi;
    double *za, *y, *c, *raw, *scratch;
    bool *ok_a, *ok_y;
    size_t *extreme, *defined;
} perm_state;

/* Standardised b-side values of every b-side dataset under pi, as batch
 * row u. */
static int permuted_rows(perm_state *ps, size_t u, sc_err *err)
{
    const sc_many *mp = ps->mp;
    const sc_pairs *p = mp->pairs;
    for (size_t d = 0; d < mp->nsims; d++) {
        size_t row = ps->rb[d];
        if (row == SIZE_MAX)
            continue;
        for (size_t k = 0; k < p->n; k++)
            ps->raw[k] = upper(mp->sims[d], ps->pi[p->i[k]], ps->pi[p->j[k]]);
        double *yz = ps->y + (u * ps->nb + row) * ps->n;
        bool ok;
        int st =
            corr_side(ps->raw, ps->n, mp->method, yz, ps->scratch, &ok, err);
        if (st != SC_OK)
            return st;
        ps->ok_y[u * ps->nb + row] = ok;
        if (ok)
            standardise(yz, ps->n);
        else
            memset(yz, 0, ps->n * sizeof *yz);
    }
    return SC_OK;
}

/* Count the nu permutations of the batch for every active pair. */
static int count_batch(perm_state *ps, size_t nu, sc_err *err)
{
    const sc_many *mp = ps->mp;
    size_t ldc = nu * ps->nb;
    int st = sc_blas_gemm(0, 1, ps->na, ldc, ps->n, 1.0, ps->za, ps->n, ps->y,
                          ps->n, 0.0, ps->c, ldc, err);
    if (st != SC_OK)
        return st;
    for (size_t q = 0; q < mp->nq; q++) {
        if (!isfinite(ps->t_obs[q]))
            continue;
        size_t ia = ps->ra[mp->a[q]], ib = ps->rb[mp->b[q]];
        if (!ps->ok_a[ia])
            continue;
        for (size_t u = 0; u < nu; u++) {
            if (!ps->ok_y[u * ps->nb + ib])
                continue;
            double t = ps->c[ia * ldc + u * ps->nb + ib];
            ps->defined[q]++;
            ps->extreme[q] +=
                sc_stats_as_extreme(t, ps->t_obs[q], ps->opts->alternative);
        }
    }
    return SC_OK;
}

/* The a side: standardised unpermuted values of every a-side dataset. */
static int a_rows(perm_state *ps, sc_err *err)
{
    const sc_many *mp = ps->mp;
    const sc_pairs *p = mp->pairs;
    for (size_t d = 0; d < mp->nsims; d++) {
        size_t row = ps->ra[d];
        if (row == SIZE_MAX)
            continue;
        for (size_t k = 0; k < p->n; k++)
            ps->raw[k] = upper(mp->sims[d], p->i[k], p->j[k]);
        double *z = ps->za + row * ps->n;
        int st = corr_side(ps->raw, ps->n, mp->method, z, ps->scratch,
                           &ps->ok_a[row], err);
        if (st != SC_OK)
            return st;
        standardise(z, ps->n);
    }
    return SC_OK;
}

/* Every permutation in batches: exact mode enumerates (identity first,
 * sc_perm_next), random mode shuffles the running permutation; the random
 * draws happen even without an active pair, so the stream after this call
 * never depends on the pairs. */
static int run_perms(perm_state *ps, sc_rng *rng, sc_err *err)
{
    size_t m = ps->mp->pairs->m;
    bool more = true;
    for (size_t r = 0; more;) {
        size_t nu = 0;
        while (nu < PERM_BATCH) {
            if (ps->opts->exact) {
                if (r > 0 && !sc_perm_next(ps->pi, m)) {
                    more = false;
                    break;
                }
            } else {
                if (r == ps->opts->perms) {
                    more = false;
                    break;
                }
                sc_rng_shuffle(rng, ps->pi, m);
            }
            r++;
            if (ps->na > 0) {
                int st = permuted_rows(ps, nu, err);
                if (st != SC_OK)
                    return st;
            }
            nu++;
        }
        if (nu > 0 && ps->na > 0) {
            int st = count_batch(ps, nu, err);
            if (st != SC_OK)
                return st;
        }
    }
    return SC_OK;
}

int sc_mantel_many(const sc_many *mp, const sc_mantel_opts *opts,
                   const double *t_obs, sc_rng *rng, double *p, size_t *nperm,
                   sc_err *err)
{
    size_t m = mp->pairs->m, n = mp->pairs->n, D = mp->nsims;
    int st = check_shapes(mp, err);
    if (st != SC_OK)
        return st;
    if (opts->method != mp->method ||
        (opts->exact && m > SC_MANTEL_EXACT_MAX) ||
        (!opts->exact && (opts->perms == 0 || rng == NULL)))
        return sc_err_set(err, SC_EINVAL,
                          "many pairs: mantel options need the pairs' method, "
                          "perms >= 1 and an rng, or exact with m <= %d (got "
                          "m=%zu, perms=%zu)",
                          SC_MANTEL_EXACT_MAX, m, opts->perms);
    for (size_t q = 0; q < mp->nq; q++) {
        p[q] = NAN;
        nperm[q] = 0;
    }
    perm_state ps = {.mp = mp, .opts = opts, .t_obs = t_obs, .n = n};
    ps.ra = sc_calloc(2 * D + m + 1, sizeof *ps.ra);
    ps.extreme = sc_calloc(2 * mp->nq + 1, sizeof *ps.extreme);
    if (ps.ra == NULL || ps.extreme == NULL) {
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
        goto done;
    }
    ps.rb = ps.ra + D;
    ps.pi = ps.ra + 2 * D;
    ps.defined = ps.extreme + mp->nq;
    for (size_t i = 0; i < m; i++)
        ps.pi[i] = i;
    /* Pairs need >= 2 values (sc_corr); fewer: nothing is active. */
    side_rows(mp, t_obs, ps.ra, ps.rb, &ps.na, &ps.nb);
    if (n < 2)
        ps.na = ps.nb = 0;
    if (ps.na > 0) {
        size_t ny = (size_t)PERM_BATCH * ps.nb;
        ps.za = sc_malloc(ps.na * n * sizeof *ps.za);
        ps.y = sc_malloc(ny * n * sizeof *ps.y);
        ps.c = sc_malloc(ps.na * ny * sizeof *ps.c);
        ps.raw = sc_malloc(3 * n * sizeof *ps.raw);
        ps.ok_a = sc_calloc(ps.na + ny, sizeof *ps.ok_a);
        if (ps.za == NULL || ps.y == NULL || ps.c == NULL || ps.raw == NULL ||
            ps.ok_a == NULL) {
            st = sc_err_set(err, SC_ENOMEM,
                            "many pairs: cannot allocate the permutation "
                            "batch (%zu x %zu pairs); free memory",
                            ny, n);
            goto done;
        }
        ps.scratch = ps.raw + n;
        ps.ok_y = ps.ok_a + ps.na;
        st = a_rows(&ps, err);
    }
    if (st == SC_OK)
        st = run_perms(&ps, rng, err);
    for (size_t q = 0; q < mp->nq && st == SC_OK && ps.na > 0; q++) {
        if (!isfinite(t_obs[q]) || ps.defined[q] == 0)
            continue;
        nperm[q] = ps.defined[q];
        p[q] = opts->exact
                   ? (double)ps.extreme[q] / (double)ps.defined[q]
                   : (double)(1 + ps.extreme[q]) / (double)(1 + ps.defined[q]);
    }
done:
    sc_free(ps.ra);
    sc_free(ps.extreme);
    sc_free(ps.za);
    sc_free(ps.y);
    sc_free(ps.c);
    sc_free(ps.raw);
    sc_free(ps.ok_a);
    return st;
}

/* ## Bootstrap */

typedef struct boot_state {
    const sc_many *mp;
    const double *est;
    size_t *rows; /* row of each dataset among the used ones, SIZE_MAX */
    size_t nused;
    size_t cap;      /* pairs a resample can have: m(m-1)/2      */
    double *vals;    /* nused x cap: gathered values (ranks)     */
    double *scratch; /* 3 x cap                                  */
    bool *ok;        /* nused                                    */
} boot_state;

/* The statistic of every active pair on the pair set of the resample idx
 * (as sc_consistency_boot_stat: resampled models, self-copies dropped):
 * t[q] and def[q] (false: undefined on this resample). */
static int resample_stats(boot_state *bs, const size_t *idx, size_t n_idx,
                          double *t, bool *def, sc_err *err)
{
    const sc_many *mp = bs->mp;
    sc_pairs rp;
    int st = sc_pairs_resample_models(mp->pairs, idx, n_idx, false, &rp, err);
    if (st != SC_OK)
        return st;
    size_t n = rp.n;
    for (size_t d = 0; d < mp->nsims && st == SC_OK && n >= 2; d++) {
        size_t row = bs->rows[d];
        if (row == SIZE_MAX)
            continue;
        double *v = bs->scratch;
        for (size_t k = 0; k < n; k++)
            v[k] = upper(mp->sims[d], rp.i[k], rp.j[k]);
        st = corr_side(v, n, mp->method, bs->vals + row * bs->cap, v + n,
                       &bs->ok[row], err);
    }
    for (size_t q = 0; q < mp->nq && st == SC_OK; q++) {
        def[q] = false;
        if (!isfinite(bs->est[q]) || n < 2)
            continue;
        size_t ia = bs->rows[mp->a[q]], ib = bs->rows[mp->b[q]];
        if (!bs->ok[ia] || !bs->ok[ib])
            continue;
        double r = gsl_stats_correlation(bs->vals + ia * bs->cap, 1,
                                         bs->vals + ib * bs->cap, 1, n);
        if (!isfinite(r))
            st = sc_err_set(err, SC_ENUMERIC,
                            "correlation of %zu values came out non-finite; "
                            "check the input for extreme magnitudes",
                            n);
        t[q] = r > 1 ? 1 : (r < -1 ? -1 : r);
        def[q] = true;
    }
    sc_pairs_deinit(&rp);
    return st;
}

/* The interval of pair q from its nb defined replicates and nj defined
 * leave-one-out values (BCa); NaN where sc_boot_ci gives none. */
static int pair_interval(const sc_ci_opts *opts, double est, const double *good,
                         size_t nb, const double *jack, size_t nj, double *lo,
                         double *hi, sc_err *err)
{
    int st = SC_EDOM;
    if (nb >= 2 && opts->method == SC_CI_PERCENTILE)
        st = sc_ci_percentile(good, nb, opts->level, lo, hi, err);
    else if (nb >= 2 && nj >= 2)
        st = sc_ci_bca(good, nb, est, jack, nj, opts->level, lo, hi, NULL, NULL,
                       err);
    if (st == SC_EDOM) {
        *lo = *hi = NAN;
        st = SC_OK;
    }
    return st;
}

/* Replicates (good: nq x B, defined ones first per pair) and, for BCa,
 * the jackknife (jack: nq x m). */
static int boot_values(boot_state *bs, const sc_ci_opts *opts, sc_rng *rng,
                       double *good, size_t *nb, double *jack, size_t *nj,
                       sc_err *err)
{
    const sc_many *mp = bs->mp;
    size_t m = mp->pairs->m, nq = mp->nq;
    size_t *idx = sc_calloc(m + 1, sizeof *idx);
    double *t = sc_calloc(nq + 1, sizeof *t);
    bool *def = sc_calloc(nq + 1, sizeof *def);
    int st = idx != NULL && t != NULL && def != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t r = 0; r < opts->b && st == SC_OK; r++) {
        for (size_t k = 0; k < m; k++)
            idx[k] = sc_rng_index(rng, m);
        if (bs->nused == 0)
            continue;
        st = resample_stats(bs, idx, m, t, def, err);
        for (size_t q = 0; q < nq && st == SC_OK; q++)
            if (def[q])
                good[q * opts->b + nb[q]++] = t[q];
        if (st != SC_OK)
            sc_err_prefix(err, "bootstrap: replicate %zu", r);
    }
    for (size_t i = 0;
         i < m && st == SC_OK && opts->method == SC_CI_BCA && bs->nused > 0;
         i++) {
        size_t c = 0;
        for (size_t k = 0; k < m; k++)
            if (k != i)
                idx[c++] = k;
        st = resample_stats(bs, idx, m - 1, t, def, err);
        for (size_t q = 0; q < nq && st == SC_OK; q++)
            if (def[q])
                jack[q * m + nj[q]++] = t[q];
        if (st != SC_OK)
            sc_err_prefix(err, "bootstrap: jackknife %zu", i);
    }
    sc_free(idx);
    sc_free(t);
    sc_free(def);
    return st;
}

int sc_boot_ci_many(const sc_many *mp, const sc_ci_opts *opts,
                    const double *est, sc_rng *rng, double *lo, double *hi,
                    sc_err *err)
{
    size_t m = mp->pairs->m, nq = mp->nq, D = mp->nsims;
    int st = check_shapes(mp, err);
    if (st != SC_OK)
        return st;
    if (m < 2 || opts->b < 2 || !(opts->level > 0 && opts->level < 1) ||
        (opts->method != SC_CI_BCA && opts->method != SC_CI_PERCENTILE))
        return sc_err_set(err, SC_EINVAL,
                          "bootstrap: needs >= 2 models (got %zu), B >= 2 "
                          "(got %zu), a level in (0, 1) (got %g) and a known "
                          "method",
                          m, opts->b, opts->level);
    for (size_t q = 0; q < nq; q++)
        lo[q] = hi[q] = NAN;
    boot_state bs = {.mp = mp, .est = est};
    bs.rows = sc_calloc(D + 1, sizeof *bs.rows);
    size_t *nb = sc_calloc(nq + 1, sizeof *nb);
    size_t *nj = sc_calloc(nq + 1, sizeof *nj);
    if (bs.rows == NULL || nb == NULL || nj == NULL) {
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t d = 0; d < D; d++)
        bs.rows[d] = SIZE_MAX;
    for (size_t q = 0; q < nq; q++)
        if (isfinite(est[q]))
            for (size_t side = 0; side < 2; side++) {
                size_t d = side == 0 ? mp->a[q] : mp->b[q];
                if (bs.rows[d] == SIZE_MAX)
                    bs.rows[d] = bs.nused++;
            }
    /* A resample of m models has up to m(m-1)/2 pairs (more than the base
     * set when models of a small set are drawn repeatedly). */
    bs.cap = m * (m - 1) / 2;
    bs.vals = sc_malloc((bs.nused * bs.cap + 1) * sizeof *bs.vals);
    bs.scratch = sc_malloc((3 * bs.cap + 1) * sizeof *bs.scratch);
    bs.ok = sc_calloc(bs.nused + 1, sizeof *bs.ok);
    double *good = sc_malloc((nq * opts->b + 1) * sizeof *good);
    double *jack = sc_malloc((nq * m + 1) * sizeof *jack);
    if (bs.vals == NULL || bs.scratch == NULL || bs.ok == NULL ||
        good == NULL || jack == NULL)
        st = sc_err_set(err, SC_ENOMEM,
                        "bootstrap: cannot allocate %zu replicates of %zu "
                        "pairs; free memory or lower B",
                        opts->b, nq);
    if (st == SC_OK)
        st = boot_values(&bs, opts, rng, good, nb, jack, nj, err);
    for (size_t q = 0; q < nq && st == SC_OK; q++)
        if (isfinite(est[q]))
            st = pair_interval(opts, est[q], good + q * opts->b, nb[q],
                               jack + q * m, nj[q], &lo[q], &hi[q], err);
    sc_free(good);
    sc_free(jack);
done:
    sc_free(bs.rows);
    sc_free(bs.vals);
    sc_free(bs.scratch);
    sc_free(bs.ok);
    sc_free(nb);
    sc_free(nj);
    return st;
}
