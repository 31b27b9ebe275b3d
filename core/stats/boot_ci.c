/* The interval of one table row (see boot_ci.h). */
#include "boot_ci.h"

#include <math.h>
#include <stdint.h>

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
