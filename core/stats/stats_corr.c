/* Pearson and Spearman correlation, plain and over model-pair sets.
 *
 * Pearson is GSL 2.7's gsl_stats_correlation (a one-pass Welford-type
 * update, stable for values near 1 such as similarity matrices). Spearman
 * is the Pearson correlation of average ranks, as gsl_stats_spearman and
 * scipy.stats.spearmanr define it, but ranked here with the tie rule of
 * core/num/tie.h: values within SC_TIE_RTOL (relative) of the smallest value
 * of their group share the group's average rank. The values ranked are
 * computed similarities, so two that are mathematically equal differ by
 * CPU-dependent rounding; an exact rule would give them ranks k and k+1 in
 * an order set by that noise. Without near-ties the ranks are
 * gsl_stats_spearman's (both then correlate them with
 * gsl_stats_correlation). We add the checks GSL
 * leaves out: a constant side (GSL then returns 0/0 = NaN, which must not
 * leak as a number; "constant" again up to the tie rule) and non-finite
 * input. The unit tests pin both against scipy.stats (ties included). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "mem.h"
#include "stats.h"

/* All n values tied (core/num/tie.h): the smallest and the largest are. That
 * is the same test as "the ranking below puts them in one group". */
static bool constant(const double *x, size_t n)
{
    double lo = x[0], hi = x[0];
    for (size_t k = 1; k < n; k++) {
        lo = x[k] < lo ? x[k] : lo;
        hi = x[k] > hi ? x[k] : hi;
    }
    return sc_tie_eq(lo, hi);
}

/* First position in sorted s[0..n) whose value is >= v. */
static size_t lower_bound(const double *s, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Average ranks (1-based) of x[0..n) into rank, with ties decided by the
 * tie rule: sorted ascending, a group starts at its smallest value and
 * takes every following value tied with that anchor, so a group never
 * spans more than SC_TIE_RTOL; each member gets the mean of the group's
 * positions. s and g: n doubles of scratch each (sorted values, the rank
 * of each sorted position). Exactly equal values always share a group. */
void sc_corr_ranks(const double *x, size_t n, double *rank, double *s,
                   double *g)
{
    memcpy(s, x, n * sizeof *s);
    gsl_sort(s, 1, n);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && sc_tie_eq(s[b], s[a]))
            b++;
        double avg = 0.5 * (double)(a + 1 + b); /* mean of a+1 .. b */
        for (size_t k = a; k < b; k++)
            g[k] = avg;
        a = b;
    }
    for (size_t k = 0; k < n; k++)
        rank[k] = g[lower_bound(s, n, x[k])];
}

int sc_corr(const double *x, const double *y, size_t n, sc_corr_method method,
            double *work, double *out, sc_err *err)
{
    if (n < 2)
        return sc_err_set(err, SC_EDOM,
                          "correlation over %zu value(s) is undefined; at "
                          "least 2 are needed",
                          n);
    for (size_t k = 0; k < n; k++)
        if (!isfinite(x[k]) || !isfinite(y[k]))
            return sc_err_set(err, SC_ENUMERIC,
                              "correlation: non-finite value at position %zu "
                              "(x=%g, y=%g); check the input matrices",
                              k, x[k], y[k]);
    if (constant(x, n) || constant(y, n))
        return sc_err_set(err, SC_EDOM,
                          "correlation is undefined: the %s side is constant "
                          "over all %zu values",
                          constant(x, n) ? "first" : "second", n);
    double r;
    if (method == SC_CORR_PEARSON) {
        r = gsl_stats_correlation(x, 1, y, 1, n);
    } else if (method == SC_CORR_SPEARMAN) {
        double *w = work;
        if (w == NULL) {
            w = sc_calloc(SC_CORR_WORK(n), sizeof *w);
            if (w == NULL)
                return sc_err_set(err, SC_ENOMEM,
                                  "correlation: cannot allocate %zu doubles "
                                  "of rank scratch; free memory",
                                  SC_CORR_WORK(n));
        }
        double *rx = w, *ry = w + n, *s = w + 2 * n, *g = w + 3 * n;
        sc_corr_ranks(x, n, rx, s, g);
        sc_corr_ranks(y, n, ry, s, g);
        r = gsl_stats_correlation(rx, 1, ry, 1, n);
        if (w != work)
            sc_free(w);
    } else {
        return sc_err_set(err, SC_EINVAL, "correlation: unknown method %d",
                          (int)method);
    }
    if (!isfinite(r))
        return sc_err_set(err, SC_ENUMERIC,
                          "correlation of %zu values came out non-finite; "
                          "check the input for extreme magnitudes",
                          n);
    /* Rounding can push |r| a few ulps past 1; the definition cannot. */
    *out = r > 1 ? 1 : (r < -1 ? -1 : r);
    return SC_OK;
}

static double upper(const sc_matrix *s, size_t i, size_t j)
{
    return i < j ? s->data[i * s->cols + j] : s->data[j * s->cols + i];
}

int sc_corr_pairs(const sc_matrix *a, const sc_matrix *b, const sc_pairs *p,
                  sc_corr_method method, double *work, double *out, sc_err *err)
{
    size_t m = p->m;
    if (a->rows != m || a->cols != m || b->rows != m || b->cols != m)
        return sc_err_set(err, SC_EINVAL,
                          "correlation over pairs: matrices are %zux%zu and "
                          "%zux%zu but the pair set is over %zu models",
                          a->rows, a->cols, b->rows, b->cols, m);
    size_t n = p->n;
    double *w = work;
    if (w == NULL) {
        w = sc_calloc(SC_CORR_PAIRS_WORK(n) + 1, sizeof *w);
        if (w == NULL)
            return sc_err_set(err, SC_ENOMEM,
                              "correlation over pairs: cannot allocate %zu "
                              "doubles; free memory",
                              SC_CORR_PAIRS_WORK(n));
    }
    double *x = w, *y = w + n;
    for (size_t k = 0; k < n; k++) {
        x[k] = upper(a, p->i[k], p->j[k]);
        y[k] = upper(b, p->i[k], p->j[k]);
    }
    int rc = sc_corr(x, y, n, method, w + 2 * n, out, err);
    if (w != work)
        sc_free(w);
    return rc;
}
