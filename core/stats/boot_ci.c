/* The interval of one table row (see boot_ci.h). */
#include "boot_ci.h"

#include <math.h>
#include <stdint.h>

#include <gsl/gsl_cdf.h>

#include "mem.h"

int sc_boot_ci(size_t n_units, sc_boot_stat_fn stat, void *ud,
               const sc_ci_opts *opts, sc_rng *rng, double *lo, double *hi,
               sc_err *err)
{
    sc_boot_opts bo = {opts->b, opts->level, opts->method, 0, false};
    sc_boot_result br;
    int st = sc_boot(n_units, stat, ud, &bo, rng, &br, NULL, err);
    if (st == SC_OK) {
        *lo = br.lo;
        *hi = br.hi;
    } else if (st == SC_EDOM) {
        *lo = *hi = NAN;
        st = SC_OK;
    }
    return st;
}

int sc_replicate_corr_ci(const double *a, size_t a_stride, const double *b,
                         size_t b_stride, size_t m, size_t nrep,
                         const sc_pairs *pairs, sc_corr_method method,
                         double level, double *lo, double *hi, sc_err *err)
{
    double *reps = sc_malloc((nrep + 1) * sizeof *reps);
    if (reps == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t nd = 0;
    int st = SC_OK;
    for (size_t r = 0; r < nrep && st == SC_OK; r++) {
        /* Read-only views: sc_matrix has no const variant. */
        sc_matrix va = {m, m, (double *)(uintptr_t)(a + r * a_stride)};
        sc_matrix vb = {m, m, (double *)(uintptr_t)(b + r * b_stride)};
        double v;
        st = sc_corr_pairs(&va, &vb, pairs, method, NULL, &v, err);
        if (st == SC_OK)
            reps[nd++] = v;
        else if (st == SC_EDOM)
            st = SC_OK;
    }
    if (st == SC_OK && nd >= 2)
        st = sc_ci_percentile(reps, nd, level, lo, hi, err);
    sc_free(reps);
    return st;
}

/* atanh of a correlation (fisher) or the value itself; false when
 * undefined, or +-1 on the z scale (z infinite). */
static bool to_scale(double r, bool fisher, double *z)
{
    if (!isfinite(r) || (fisher && fabs(r) >= 1))
        return false;
    *z = fisher ? atanh(r) : r;
    return true;
}

/* stat over idx (n units) on the scale; *ok false when undefined. */
static int scaled_stat(sc_boot_stat_fn stat, void *ud, const size_t *idx,
                       size_t n, bool fisher, double *z, bool *ok, sc_err *err)
{
    double r = NAN;
    int st = stat(idx, n, ud, &r, err);
    *ok = st == SC_OK && to_scale(r, fisher, z);
    return st == SC_EDOM ? SC_OK : st;
}

/* The leave-one-out interval over the m units with in[i] (see boot_ci.h):
 * est -+ t_{n-1} se on the scale, mapped back with tanh when fisher. */
static int jackknife_ci(size_t m, const bool *in, bool fisher,
                        sc_boot_stat_fn stat, void *ud, double level,
                        double *lo, double *hi, sc_err *err)
{
    if (!(level > 0 && level < 1))
        return sc_err_set(err, SC_EINVAL,
                          "confidence level %g is outside (0, 1); use e.g. "
                          "0.95",
                          level);
    *lo = *hi = NAN;
    size_t *idx = sc_calloc(m + 1, sizeof *idx);
    double *zj = sc_calloc(m + 1, sizeof *zj);
    int st = SC_OK;
    if (idx == NULL || zj == NULL) {
        st = sc_err_set(err, SC_ENOMEM, "jackknife: out of memory (%zu units)",
                        m);
        goto done;
    }
    for (size_t k = 0; k < m; k++)
        idx[k] = k;
    double z;
    bool ok;
    st = scaled_stat(stat, ud, idx, m, fisher, &z, &ok, err);
    size_t n = 0;
    for (size_t i = 0; i < m && st == SC_OK && ok; i++) {
        if (!in[i])
            continue;
        size_t c = 0;
        for (size_t k = 0; k < m; k++)
            if (k != i)
                idx[c++] = k;
        st = scaled_stat(stat, ud, idx, m - 1, fisher, &zj[n++], &ok, err);
    }
    if (st != SC_OK || !ok || n < 3)
        goto done;
    double mean = 0, ss = 0;
    for (size_t k = 0; k < n; k++)
        mean += zj[k];
    mean /= (double)n;
    for (size_t k = 0; k < n; k++)
        ss += (zj[k] - mean) * (zj[k] - mean);
    double se = sqrt(ss * (double)(n - 1) / (double)n);
    double t = gsl_cdf_tdist_Pinv((1 + level) / 2, (double)(n - 1));
    *lo = fisher ? tanh(z - t * se) : z - t * se;
    *hi = fisher ? tanh(z + t * se) : z + t * se;
done:
    sc_free(idx);
    sc_free(zj);
    return st;
}

int sc_jackknife_z_ci(const sc_pairs *pairs, sc_boot_stat_fn stat, void *ud,
                      double level, double *lo, double *hi, sc_err *err)
{
    bool *in = sc_calloc(pairs->m + 1, sizeof *in);
    if (in == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "jackknife: out of memory (%zu models)", pairs->m);
    for (size_t k = 0; k < pairs->n; k++)
        in[pairs->i[k]] = in[pairs->j[k]] = true;
    int st = jackknife_ci(pairs->m, in, true, stat, ud, level, lo, hi, err);
    sc_free(in);
    return st;
}

int sc_jackknife_t_ci(size_t m, const bool *in, sc_boot_stat_fn stat, void *ud,
                      double level, double *lo, double *hi, sc_err *err)
{
    return jackknife_ci(m, in, false, stat, ud, level, lo, hi, err);
}
