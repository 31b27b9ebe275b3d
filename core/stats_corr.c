/* Pearson and Spearman correlation, plain and over model-pair sets.
 *
 * GSL 2.7 provides both: gsl_stats_correlation (Pearson, a one-pass
 * Welford-type update, stable for values near 1 such as similarity
 * matrices) and gsl_stats_spearman (Pearson correlation of ranks, ties get
 * their average rank, scratch of 2n doubles). We use them rather than hand
 * code and only add the checks GSL leaves out: a constant side (GSL then
 * returns 0/0 = NaN, which must not leak as a number) and non-finite input.
 * The unit tests pin both against scipy.stats (ties included). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "mem.h"
#include "stats.h"

static const char *const corr_names[] = {"pearson", "spearman"};

int sc_corr_parse(const char *text, sc_corr_method *out, sc_err *err)
{
    for (size_t k = 0; k < 2; k++)
        if (strcmp(text, corr_names[k]) == 0) {
            *out = (sc_corr_method)k;
            return SC_OK;
        }
    return sc_err_set(err, SC_EINVAL,
                      "unknown correlation '%s'; use pearson or spearman",
                      text);
}

const char *sc_corr_name(sc_corr_method method)
{
    return (unsigned)method < 2 ? corr_names[method] : "unknown";
}

static bool constant(const double *x, size_t n)
{
    for (size_t k = 1; k < n; k++)
        if (x[k] != x[0])
            return false;
    return true;
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
            w = sc_calloc(2 * n, sizeof *w);
            if (w == NULL)
                return sc_err_set(err, SC_ENOMEM,
                                  "correlation: cannot allocate %zu doubles "
                                  "of rank scratch; free memory",
                                  2 * n);
        }
        r = gsl_stats_spearman(x, 1, y, 1, n, w);
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
        w = sc_calloc(4 * n + 1, sizeof *w);
        if (w == NULL)
            return sc_err_set(err, SC_ENOMEM,
                              "correlation over pairs: cannot allocate %zu "
                              "doubles; free memory",
                              4 * n);
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
