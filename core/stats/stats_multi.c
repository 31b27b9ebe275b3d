/* Multiple-comparison adjustments across a result table: Holm (1979)
 * step-down adjusted p-values and Benjamini-Hochberg (1995) q-values
 * (see stats.h, "Multiple comparisons").
 *
 * Definitions follow R's p.adjust (stats package), which is the reference
 * the unit tests use: with the n non-NaN p-values sorted ascending,
 *   Holm: q_(k) = min(1, max_{l <= k} (n - l + 1) p_(l))
 *   BH:   q_(k) = min(1, min_{l >= k} (n / l) p_(l))
 * The running max / min is what makes the adjusted values monotone in p.
 * NaN marks a skipped test (e.g. a pair set with <= 1 pair): it is passed
 * through and does not count in n, so skipping a test never makes the
 * others' correction harsher. The sort is gsl_sort_index (heapsort, not
 * stable); ties cannot change the result because tied p-values receive the
 * same running max (Holm) or min (BH). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_sort.h>

#include "mem.h"
#include "stats.h"

int sc_padjust(const double *p, size_t n, sc_padjust_method method, double *out,
               sc_err *err)
{
    if (method != SC_PADJ_HOLM && method != SC_PADJ_BH)
        return sc_err_set(err, SC_EINVAL,
                          "p-value adjustment: unknown "
                          "method %d",
                          (int)method);
    for (size_t k = 0; k < n; k++)
        if (!isnan(p[k]) && !(p[k] >= 0 && p[k] <= 1))
            return sc_err_set(err, SC_EINVAL,
                              "p-value adjustment: p[%zu] = %g is not in "
                              "[0, 1]; pass NaN for a skipped test",
                              k, p[k]);
    /* Compact the non-NaN values, remembering where each came from. */
    double *v = sc_calloc(n + 1, sizeof *v);
    size_t *from = sc_calloc(n + 1, sizeof *from);
    size_t *ord = sc_calloc(n + 1, sizeof *ord);
    if (v == NULL || from == NULL || ord == NULL) {
        sc_free(v);
        sc_free(from);
        sc_free(ord);
        return sc_err_set(err, SC_ENOMEM,
                          "p-value adjustment: cannot allocate %zu values", n);
    }
    size_t nv = 0;
    for (size_t k = 0; k < n; k++)
        if (!isnan(p[k])) {
            v[nv] = p[k];
            from[nv++] = k;
        }
    /* From here on out may alias p: every p value is already in v. */
    for (size_t k = 0; k < n; k++)
        if (isnan(p[k]))
            out[k] = (double)NAN;
    gsl_sort_index(ord, v, 1, nv);
    double nn = (double)nv;
    if (method == SC_PADJ_HOLM) {
        double run = 0;
        for (size_t l = 0; l < nv; l++) {
            double q = (nn - (double)l) * v[ord[l]]; /* (n - rank + 1) p */
            run = q > run ? q : run;
            out[from[ord[l]]] = run < 1 ? run : 1;
        }
    } else {
        double run = 1;
        for (size_t l = nv; l-- > 0;) {
            double q = nn / (double)(l + 1) * v[ord[l]];
            run = q < run ? q : run;
            out[from[ord[l]]] = run;
        }
    }
    sc_free(v);
    sc_free(from);
    sc_free(ord);
    return SC_OK;
}
