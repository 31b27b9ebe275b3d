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

/* What one Mantel test works on: b's values are read through the
 * permutation pi; x holds a's pair values, y and scratch are the
 * correlation's work space. */
typedef struct mantel_work {
    const sc_matrix *b;
    const sc_pairs *p;
    sc_corr_method method;
    size_t *pi;
    const double *x;
    double *y, *scratch;
} mantel_work;

/* Statistic for the current permutation pi of b's labels; SC_EDOM if
 * undefined. */
static int permuted_stat(const mantel_work *w, double *out, sc_err *err)
{
    const sc_pairs *p = w->p;
    for (size_t k = 0; k < p->n; k++)
        w->y[k] = upper(w->b, w->pi[p->i[k]], w->pi[p->j[k]]);
    return sc_corr(w->x, w->y, p->n, w->method, w->scratch, out, err);
}

int sc_mantel(const sc_matrix *a, const sc_matrix *b, const sc_pairs *p,
              const sc_mantel_opts *opts, sc_rng *rng, sc_mantel_result *res,
              sc_err *err)
{
    return sc_mantel_progress(a, b, p, opts, rng, NULL, res, err);
}

static int check_mantel(const sc_matrix *a, const sc_matrix *b,
                        const sc_pairs *p, const sc_mantel_opts *opts,
                        const sc_rng *rng, sc_err *err)
{
    size_t m = p->m;
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
    return SC_OK;
}

/* Counts over the null distribution. */
typedef struct mantel_tally {
    size_t defined, undefined, extreme;
} mantel_tally;

/* The null distribution: in exact mode every permutation once, identity
 * first (m! of them); else opts->perms shuffles of pi. */
static int permutations(mantel_work *w, const sc_mantel_opts *opts, sc_rng *rng,
                        sc_progress *progress, double t_obs,
                        mantel_tally *tally, sc_err *err)
{
    size_t m = w->p->m;
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
            if (r > 0 && !sc_perm_next(w->pi, m))
                break;
        } else {
            if (r == opts->perms)
                break;
            sc_rng_shuffle(rng, w->pi, m);
        }
        double t;
        sc_err_clear(&scratch_err);
        int s = permuted_stat(w, &t, &scratch_err);
        if (s == SC_EDOM) {
            tally->undefined++;
            continue;
        }
        if (s != SC_OK)
            return sc_err_set(err, s, "mantel: permutation %zu: %s", r,
                              scratch_err.msg);
        tally->defined++;
        tally->extreme += sc_stats_as_extreme(t, t_obs, opts->alternative);
    }
    sc_progress_end(progress);
    return SC_OK;
}

int sc_mantel_progress(const sc_matrix *a, const sc_matrix *b,
                       const sc_pairs *p, const sc_mantel_opts *opts,
                       sc_rng *rng, sc_progress *progress,
                       sc_mantel_result *res, sc_err *err)
{
    size_t m = p->m, n = p->n;
    int rc = check_mantel(a, b, p, opts, rng, err);
    if (rc != SC_OK)
        return rc;
    /* One block: x, y (n each), corr scratch; the permutation apart. */
    double *buf = sc_calloc(2 * n + SC_CORR_WORK(n) + 1, sizeof *buf);
    size_t *pi = sc_calloc(m + 1, sizeof *pi);
    if (buf == NULL || pi == NULL) {
        rc = sc_err_set(err, SC_ENOMEM,
                        "mantel: cannot allocate scratch for %zu pairs; free "
                        "memory",
                        n);
        goto fail;
    }
    double *x = buf;
    mantel_work w = {b, p, opts->method, pi, x, buf + n, buf + 2 * n};
    for (size_t i = 0; i < m; i++)
        pi[i] = i;
    for (size_t k = 0; k < n; k++)
        x[k] = upper(a, p->i[k], p->j[k]);
    double t_obs;
    rc = permuted_stat(&w, &t_obs, err);
    if (rc != SC_OK) {
        sc_err_prefix(err, "mantel: observed statistic");
        goto fail;
    }
    mantel_tally tally = {0};
    rc = permutations(&w, opts, rng, progress, t_obs, &tally, err);
    if (rc == SC_OK && tally.defined == 0)
        rc = sc_err_set(err, SC_EDOM,
                        "mantel: the statistic is undefined for all %zu "
                        "permutations; the pair set is too small",
                        tally.undefined);
    if (rc != SC_OK)
        goto fail;
    res->r = t_obs;
    res->p = opts->exact
                 ? (double)tally.extreme / (double)tally.defined
                 : (double)(1 + tally.extreme) / (double)(1 + tally.defined);
    res->b = tally.defined;
    res->n_undefined = tally.undefined;
    res->n_pairs = n;
    res->exact = opts->exact;
    res->seed = opts->exact ? 0 : rng->seed;
fail:
    sc_progress_end(progress);
    sc_free(buf);
    sc_free(pi);
    return rc;
}
