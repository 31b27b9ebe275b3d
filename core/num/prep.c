/* Row/column preprocessing (see prep.h).
 *
 * Both transforms are hand-written rather than BLAS calls: they are O(n p)
 * single passes, only core/num/blas.c may include cblas.h, and the accuracy
 * tricks below are what matters here, not speed.
 *
 *  - center: the column mean uses the corrected two-pass algorithm
 *    mean = m1 + sum_i (x_ij - m1) / n with m1 the plain mean (Bjorck,
 *    "Numerical Methods for Least Squares Problems", 1996, sec. 2.6; Higham,
 *    "Accuracy and Stability of Numerical Algorithms", 2nd ed., sec. 1.9):
 *    the second pass removes most of the rounding error of the first, which
 *    matters for features with a large offset and a small spread.
 *  - l2: the norm is computed as s * sqrt(sum (x_j / s)^2) with s = max |x_j|
 *    (the scaling idea of LAPACK's dnrm2), so squares neither overflow for
 *    |x| ~ 1e200 nor underflow for |x| ~ 1e-200.
 *
 * Failure atomicity: l2 computes every norm before it touches x, so a
 * zero-norm row found late leaves x unchanged; center cannot fail after its
 * scratch allocation. */
#include "prep.h"

#include <math.h>
#include <string.h>

#include "mem.h"

static const char *const names[] = {"none", "center", "l2"};
#define N_MODES (sizeof names / sizeof names[0])

int sc_norm_parse(const char *text, int *mode, sc_err *err)
{
    if (text == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "missing normalisation; use none, center or l2");
    for (size_t i = 0; i < N_MODES; i++) {
        if (strcmp(text, names[i]) == 0) {
            *mode = (int)i;
            return SC_OK;
        }
    }
    return sc_err_set(err, SC_EINVAL,
                      "unknown normalisation '%s'; use none, center or l2",
                      text);
}

const char *sc_norm_name(int mode)
{
    if (mode < 0 || (size_t)mode >= N_MODES)
        return "unknown";
    return names[mode];
}

static int center(sc_matrix *x, const char *what, sc_err *err)
{
    size_t n = x->rows, p = x->cols;
    double *mean = sc_aligned_alloc(p, sizeof *mean);
    if (mean == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "%s: out of memory for %zu column means", what, p);
    /* Row-major storage: accumulate all columns together, row by row, so
     * both passes read memory sequentially. */
    for (size_t j = 0; j < p; j++)
        mean[j] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            mean[j] += x->data[i * p + j];
    for (size_t j = 0; j < p; j++)
        mean[j] /= (double)n;
    /* Correction pass: the mean of the residuals is the first pass's
     * rounding error (exactly zero in exact arithmetic). */
    for (size_t j = 0; j < p; j++) {
        double c = 0.0;
        for (size_t i = 0; i < n; i++)
            c += x->data[i * p + j] - mean[j];
        mean[j] += c / (double)n;
    }
    /* A non-finite input, or a sum beyond DBL_MAX, shows up here; report it
     * before x is modified. */
    for (size_t j = 0; j < p; j++) {
        if (!isfinite(mean[j])) {
            sc_aligned_free(mean);
            return sc_err_set(err, SC_ENUMERIC,
                              "%s: the mean of column %zu (0-based) is not "
                              "finite; check the data for NaN/Inf or huge "
                              "values",
                              what, j);
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            x->data[i * p + j] -= mean[j];
    sc_aligned_free(mean);
    return SC_OK;
}

/* Euclidean norm of v[0..p) as s * r (s = max |v_j|, r = norm of v / s)
 * without overflow/underflow in the sum; returns NaN if any element is not
 * finite. The product itself overflows for rows near DBL_MAX (alternating
 * +-1e308): *scale and *rest then let the caller divide in two steps. */
static double scaled_norm(const double *v, size_t p, double *scale,
                          double *rest)
{
    double s = 0.0;
    for (size_t j = 0; j < p; j++) {
        double a = fabs(v[j]);
        if (!isfinite(a))
            return (double)NAN;
        if (a > s)
            s = a;
    }
    *scale = s;
    *rest = 1.0;
    if (s == 0.0)
        return 0.0;
    double ssq = 0.0;
    for (size_t j = 0; j < p; j++) {
        double t = v[j] / s;
        ssq += t * t;
    }
    *rest = sqrt(ssq);
    return s * *rest;
}

static int l2(sc_matrix *x, const char *what, sc_err *err)
{
    size_t n = x->rows, p = x->cols;
    double *norm = sc_aligned_alloc(n, sizeof *norm);
    if (norm == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory for %zu row norms",
                          what, n);
    int rc = SC_OK;
    for (size_t i = 0; i < n && rc == SC_OK; i++) {
        double *row = x->data + i * p, scale = 0.0, rest = 1.0;
        norm[i] = scaled_norm(row, p, &scale, &rest);
        if (isinf(norm[i]) && isfinite(scale)) {
            /* The norm exceeds DBL_MAX but the row is finite: scale it
             * first (row / scale has norm rest, at most sqrt(p)), then
             * normalise that. */
            for (size_t j = 0; j < p; j++)
                row[j] /= scale;
            norm[i] = rest;
        }
        if (!isfinite(norm[i]))
            rc = sc_err_set(err, SC_ENUMERIC,
                            "%s: row %zu (0-based) contains NaN or Inf; l2 "
                            "normalisation needs finite values",
                            what, i);
        else if (norm[i] == 0.0)
            rc = sc_err_set(err, SC_EDOM,
                            "%s: row %zu (0-based) has zero norm; l2 "
                            "normalisation is undefined -- drop the row or "
                            "use --normalize none",
                            what, i);
    }
    if (rc == SC_OK) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < p; j++)
                x->data[i * p + j] /= norm[i];
    }
    sc_aligned_free(norm);
    return rc;
}

int sc_prep_apply(sc_matrix *x, int mode, const char *what, sc_err *err)
{
    if (what == NULL)
        what = "matrix";
    if (mode < 0 || (size_t)mode >= N_MODES)
        return sc_err_set(err, SC_EINVAL,
                          "%s: unknown normalisation mode %d; use none, "
                          "center or l2",
                          what, mode);
    if (x == NULL || x->data == NULL || x->rows == 0 || x->cols == 0)
        return sc_err_set(err, SC_EINVAL,
                          "%s: cannot normalise an empty matrix", what);
    switch (mode) {
    case SC_NORM_CENTER:
        return center(x, what, err);
    case SC_NORM_L2:
        return l2(x, what, err);
    default:
        return SC_OK;
    }
}
