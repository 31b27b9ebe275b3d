/* Mantel permutation test over a model-pair set, and the shared
 * alternative / tie rule (see stats.h, "Mantel test").
 *
 * Why models and not pairs are permuted: the m(m-1)/2 pair values share
 * models, so the pairs are not exchangeable under the null; the m model
 * labels are (Mantel 1967; Legendre & Legendre 2012, sec. 10.5.1). Permuting
 * rows and columns of ONE matrix jointly keeps each matrix's internal
 * structure and breaks only the link between the two. The pair set keeps its
 * indices, so a within-category set compares a's within-category values
 * with b's values of whichever models the permutation puts there, which is
 * the null "b's model labels are arbitrary with respect to a".
 *
 * Random mode: the permutation array is reshuffled in place each replicate
 * (gsl_ran_shuffle of any arrangement gives a uniform permutation), so B
 * replicates consume a fixed, ordered part of the task's stream. Exact mode
 * enumerates permutations in lexicographic order with the classic
 * next-permutation step (Knuth TAOCP 4A, Algorithm L), identity first. */
#include <math.h>
#include <string.h>

#include "mem.h"
#include "stats.h"

static const char *const alt_names[] = {"greater", "less", "two-sided"};

int sc_alternative_parse(const char *text, sc_alternative *out, sc_err *err)
{
    for (size_t k = 0; k < 3; k++)
        if (strcmp(text, alt_names[k]) == 0) {
            *out = (sc_alternative)k;
            return SC_OK;
        }
    return sc_err_set(err, SC_EINVAL,
                      "unknown alternative '%s'; use greater, less or "
                      "two-sided",
                      text);
}

const char *sc_alternative_name(sc_alternative alt)
{
    return (unsigned)alt < 3 ? alt_names[alt] : "unknown";
}

bool sc_stats_as_extreme(double t_perm, double t_obs, sc_alternative alt)
{
    switch (alt) {
    case SC_ALT_GREATER:
        return sc_tie_cmp(t_perm, t_obs) >= 0;
    case SC_ALT_LESS:
        return sc_tie_cmp(t_perm, t_obs) <= 0;
    case SC_ALT_TWO_SIDED:
        return sc_tie_cmp(fabs(t_perm), fabs(t_obs)) >= 0;
    }
    return false;
}

/* Knuth's Algorithm L: next permutation in lexicographic order; false after
 * the last one (stats.h; also used by the exact label permutations). */
bool sc_perm_next(size_t *a, size_t n)
{
    if (n < 2)
        return false;
    size_t k = n - 1;
    while (k > 0 && a[k - 1] >= a[k])
        k--;
    if (k == 0)
        return false;
    size_t l = n - 1;
    while (a[l] <= a[k - 1])
        l--;
    size_t t = a[k - 1];
    a[k - 1] = a[l];
    a[l] = t;
    for (size_t i = k, j = n - 1; i < j; i++, j--) {
        t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    return true;
}

static double upper(const sc_matrix *s, size_t i, size_t j)
{
    return i < j ? s->data[i * s->cols + j] : s->data[j * s->cols + i];
}

/* Statistic for one permutation pi of b's labels; SC_EDOM if undefined. */
static int permuted_stat(const sc_matrix *b, const sc_pairs *p,
                         const size_t *pi, sc_corr_method method,
                         const double *x, double *y, double *scratch,
                         double *out, sc_err *err)
{
    for (size_t k = 0; k < p->n; k++)
        y[k] = upper(b, pi[p->i[k]], pi[p->j[k]]);
    return sc_corr(x, y, p->n, method, scratch, out, err);
}

int sc_mantel(const sc_matrix *a, const sc_matrix *b, const sc_pairs *p,
              const sc_mantel_opts *opts, sc_rng *rng, sc_mantel_result *res,
              sc_err *err)
{
    return sc_mantel_progress(a, b, p, opts, rng, NULL, res, err);
}

int sc_mantel_progress(const sc_matrix *a, const sc_matrix *b,
                       const sc_pairs *p, const sc_mantel_opts *opts,
                       sc_rng *rng, sc_progress *progress,
                       sc_mantel_result *res, sc_err *err)
{
    size_t m = p->m, n = p->n;
    if (a->rows != m || a->cols != m || b->rows != m || b->cols != m)
        return sc_err_set(err, SC_EINVAL,
                          "mantel: matrices are %zux%zu and %zux%zu but the "
                          "pair set is over %zu models",
                          a->rows, a->cols, b->rows, b->cols, m);
    if (opts->exact && m > SC_MANTEL_EXACT_MAX)
        return sc_err_set(err, SC_EINVAL,
                          "mantel: exact enumeration of %zu! permutations is "
                          "too many (limit %d models); use random "
                          "permutations",
                          m, SC_MANTEL_EXACT_MAX);
    if (!opts->exact && (opts->perms == 0 || rng == NULL))
        return sc_err_set(err, SC_EINVAL,
                          "mantel: random mode needs perms >= 1 and an rng "
                          "(got perms=%zu)",
                          opts->perms);

    /* One block: x, y (n each), corr scratch; the permutation apart. */
    double *w = sc_calloc(2 * n + SC_CORR_WORK(n) + 1, sizeof *w);
    size_t *pi = sc_calloc(m + 1, sizeof *pi);
    int rc = SC_OK;
    if (w == NULL || pi == NULL) {
        rc = sc_err_set(err, SC_ENOMEM,
                        "mantel: cannot allocate scratch for %zu pairs; free "
                        "memory",
                        n);
        goto fail;
    }
    double *x = w, *y = w + n, *scratch = w + 2 * n;
    for (size_t i = 0; i < m; i++)
        pi[i] = i;
    for (size_t k = 0; k < n; k++)
        x[k] = upper(a, p->i[k], p->j[k]);

    double t_obs;
    rc = permuted_stat(b, p, pi, opts->method, x, y, scratch, &t_obs, err);
    if (rc != SC_OK) {
        sc_err_prefix(err, "mantel: observed statistic");
        goto fail;
    }

    size_t defined = 0, undefined = 0, extreme = 0;
    sc_err scratch_err;
    size_t nperm = opts->perms;
    if (opts->exact) /* m! */
        for (size_t k = nperm = 1; k <= m; k++)
            nperm *= k;
    sc_progress_begin(progress, nperm, "permutations");
    for (size_t r = 0;; r++) {
        if (r > 0) /* permutation r - 1 is done */
            sc_progress_step(progress, 1);
        if (opts->exact) {
            /* r == 0 is the identity; then every other permutation once. */
            if (r > 0 && !sc_perm_next(pi, m))
                break;
        } else {
            if (r == opts->perms)
                break;
            sc_rng_shuffle(rng, pi, m);
        }
        double t;
        sc_err_clear(&scratch_err);
        int s = permuted_stat(b, p, pi, opts->method, x, y, scratch, &t,
                              &scratch_err);
        if (s == SC_EDOM) {
            undefined++;
            continue;
        }
        if (s != SC_OK) {
            rc = sc_err_set(err, s, "mantel: permutation %zu: %s", r,
                            scratch_err.msg);
            goto fail;
        }
        defined++;
        extreme += sc_stats_as_extreme(t, t_obs, opts->alternative);
    }
    sc_progress_end(progress);
    if (defined == 0) {
        rc = sc_err_set(err, SC_EDOM,
                        "mantel: the statistic is undefined for all %zu "
                        "permutations; the pair set is too small",
                        undefined);
        goto fail;
    }

    res->r = t_obs;
    res->p = opts->exact ? (double)extreme / (double)defined
                         : (double)(1 + extreme) / (double)(1 + defined);
    res->b = defined;
    res->n_undefined = undefined;
    res->n_pairs = n;
    res->exact = opts->exact;
    res->seed = opts->exact ? 0 : rng->seed;
fail:
    sc_progress_end(progress);
    sc_free(w);
    sc_free(pi);
    return rc;
}
