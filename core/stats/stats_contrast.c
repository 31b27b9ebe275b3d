/* Label-permutation tests and the ready-made statistics over similarity
 * matrices (see stats.h, "Label-permutation tests" and "Ready-made
 * statistics").
 *
 * Why shuffle labels: the contrast "pairs of category c1 are more
 * consistent than pairs of c2" is a statement about which models carry
 * which label. Under the null that the label is irrelevant, every
 * assignment of the same multiset of labels to the m models is equally
 * likely, so a uniform shuffle of the label array (which keeps each group's
 * size) generates the null distribution while every pair keeps its real
 * similarity values and their dependence.
 *
 * The bootstrap statistics resample MODELS with replacement; pairs of a
 * model with its own copy are dropped (their similarity is the diagonal,
 * not a pair value), through sc_pairs_resample_models. */
#include <math.h>
#include <string.h>

#include "mem.h"
#include "stats.h"

/* ## Permutation engine */

/* Counts over the null distribution: defined and undefined statistics,
 * their sum, and how many are as extreme as the observed value in each
 * direction and for the requested alternative. */
typedef struct perm_tally {
    size_t defined, undefined, ge, le, ext;
    double sum;
} perm_tally;

/* The null distribution: in exact mode every one of the m! arrangements
 * once, identity first (ord is the index permutation); else opts->perms
 * shuffles of lab. */
static int label_permutations(const size_t *labels, size_t *lab, size_t *ord,
                              size_t m, sc_perm_stat_fn stat, void *ud,
                              const sc_perm_opts *opts, sc_rng *rng,
                              double t_obs, perm_tally *tally, sc_err *err)
{
    bool more = true;
    for (size_t r = 0; more; r++) {
        if (opts->exact) {
            for (size_t i = 0; i < m; i++)
                lab[i] = labels[ord[i]];
            more = sc_perm_next(ord, m);
        } else {
            sc_rng_shuffle(rng, lab, m);
            more = r + 1 < opts->perms;
        }
        double t;
        sc_err e;
        sc_err_clear(&e);
        int s = stat(lab, m, ud, &t, &e);
        if (s == SC_EDOM) {
            tally->undefined++;
            continue;
        }
        if (s != SC_OK)
            return sc_err_set(err, s, "label permutation %zu: %s", r, e.msg);
        tally->defined++;
        tally->sum += t;
        tally->ge += sc_stats_as_extreme(t, t_obs, SC_ALT_GREATER);
        tally->le += sc_stats_as_extreme(t, t_obs, SC_ALT_LESS);
        tally->ext += sc_stats_as_extreme(t, t_obs, opts->alternative);
    }
    return SC_OK;
}

/* p-values from the tally. Random: (1 + #) / (1 + B), the observed
 * labelling counted once (Phipson & Smyth); exact: # / m!, the identity
 * is among them. */
static void perm_result(const perm_tally *tl, double t_obs,
                        const sc_perm_opts *opts, const sc_rng *rng,
                        sc_perm_result *res)
{
    size_t add = opts->exact ? 0 : 1;
    double pg = (double)(add + tl->ge) / (double)(add + tl->defined);
    double pl = (double)(add + tl->le) / (double)(add + tl->defined);
    res->observed = t_obs;
    res->p_greater = pg;
    res->p_less = pl;
    if (opts->alternative == SC_ALT_TWO_SIDED) {
        double p2 = 2.0 * (pg < pl ? pg : pl);
        res->p = p2 < 1.0 ? p2 : 1.0;
    } else {
        res->p = (double)(add + tl->ext) / (double)(add + tl->defined);
    }
    res->null_mean = tl->sum / (double)tl->defined;
    res->b = tl->defined;
    res->n_undefined = tl->undefined;
    res->exact = opts->exact;
    res->seed = opts->exact ? 0 : rng->seed;
}

int sc_perm_labels(const size_t *labels, size_t m, sc_perm_stat_fn stat,
                   void *ud, const sc_perm_opts *opts, sc_rng *rng,
                   sc_perm_result *res, sc_err *err)
{
    if (labels == NULL || stat == NULL || (rng == NULL && !opts->exact) ||
        m < 2 || (opts->perms == 0 && !opts->exact) ||
        (opts->exact && m > SC_MANTEL_EXACT_MAX))
        return sc_err_set(err, SC_EINVAL,
                          "label permutation: needs labels, a statistic, an "
                          "rng, m >= 2 and perms >= 1, or exact with m <= %d "
                          "(got m=%zu, perms=%zu)",
                          SC_MANTEL_EXACT_MAX, m, opts->perms);
    size_t *lab = sc_calloc(2 * m, sizeof *lab);
    if (lab == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "label permutation: cannot allocate %zu labels", m);
    size_t *ord = lab + m; /* exact mode: the current index permutation */
    memcpy(lab, labels, m * sizeof *lab);
    for (size_t i = 0; i < m; i++)
        ord[i] = i;
    sc_err e;
    sc_err_clear(&e);
    double t_obs;
    perm_tally tally = {0};
    int rc = stat(lab, m, ud, &t_obs, &e);
    if (rc != SC_OK)
        rc = sc_err_set(err, rc, "label permutation: observed statistic: %s",
                        e.msg);
    else
        rc = label_permutations(labels, lab, ord, m, stat, ud, opts, rng, t_obs,
                                &tally, err);
    if (rc == SC_OK && tally.defined == 0)
        rc = sc_err_set(err, SC_EDOM,
                        "label permutation: the statistic is undefined for "
                        "all %zu permutations; the groups are too small",
                        tally.undefined);
    if (rc == SC_OK)
        perm_result(&tally, t_obs, opts, rng, res);
    sc_free(lab);
    return rc;
}

/* ## Consistency over a model resample */

int sc_consistency_boot_stat(const size_t *idx, size_t n_idx, void *ud,
                             double *out, sc_err *err)
{
    const sc_consistency *c = ud;
    sc_pairs rp;
    int rc = sc_pairs_resample_models(c->pairs, idx, n_idx, false, &rp, err);
    if (rc != SC_OK)
        return rc;
    rc = sc_corr_pairs(c->a, c->b, &rp, c->method, NULL, out, err);
    sc_pairs_deinit(&rp);
    return rc;
}

/* ## Category contrast */

/* Mean over dataset pairs d < e of the correlation over pairs p. */
static int mean_consistency(const sc_contrast *c, const sc_pairs *p,
                            double *mean, sc_err *err)
{
    double *w = sc_calloc(SC_CORR_PAIRS_WORK(p->n) + 1, sizeof *w);
    if (w == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "contrast: cannot allocate scratch for %zu pairs",
                          p->n);
    double sum = 0;
    size_t count = 0;
    int rc = SC_OK;
    for (size_t d = 0; d < c->n_sims && rc == SC_OK; d++)
        for (size_t e = d + 1; e < c->n_sims; e++) {
            double r;
            rc =
                sc_corr_pairs(c->sims[d], c->sims[e], p, c->method, w, &r, err);
            if (rc != SC_OK) {
                sc_err_prefix(err, "contrast: datasets %zu and %zu", d, e);
                break;
            }
            sum += r;
            count++;
        }
    sc_free(w);
    if (rc == SC_OK)
        *mean = sum / (double)count;
    return rc;
}

static int check_contrast(const sc_contrast *c, sc_err *err)
{
    if (c->n_sims < 2 || c->c1 == c->c2)
        return sc_err_set(err, SC_EINVAL,
                          "contrast: needs >= 2 similarity matrices and two "
                          "different categories (got %zu matrices, c1=%zu, "
                          "c2=%zu)",
                          c->n_sims, c->c1, c->c2);
    return SC_OK;
}

/* T = mean consistency within c1 minus within c2, for category labels lab
 * over the models listed in res (NULL: all m models, unresampled). */
static int contrast(const sc_contrast *c, const size_t *lab, const size_t *res,
                    size_t n_res, double *out, sc_err *err)
{
    int rc = check_contrast(c, err);
    if (rc != SC_OK)
        return rc;
    double mean[2];
    size_t cats[2] = {c->c1, c->c2};
    for (size_t g = 0; g < 2; g++) {
        sc_pairs base, rp;
        rc = sc_pairs_init_within(&base, lab, c->m, cats[g], err);
        if (rc != SC_OK)
            return rc;
        if (res != NULL) {
            rc = sc_pairs_resample_models(&base, res, n_res, false, &rp, err);
            sc_pairs_deinit(&base);
            if (rc != SC_OK)
                return rc;
        } else {
            rp = base;
        }
        rc = mean_consistency(c, &rp, &mean[g], err);
        sc_pairs_deinit(&rp);
        if (rc != SC_OK)
            return rc;
    }
    *out = mean[0] - mean[1];
    return SC_OK;
}

int sc_contrast_perm_stat(const size_t *labels, size_t m, void *ud, double *out,
                          sc_err *err)
{
    const sc_contrast *c = ud;
    if (m != c->m)
        return sc_err_set(err, SC_EINVAL, "contrast: %zu labels for %zu models",
                          m, c->m);
    return contrast(c, labels, NULL, 0, out, err);
}

int sc_contrast_boot_stat(const size_t *idx, size_t n_idx, void *ud,
                          double *out, sc_err *err)
{
    const sc_contrast *c = ud;
    return contrast(c, c->labels, idx, n_idx, out, err);
}

/* ## Category contrast as dot products (stats.h, sc_contrast_dots) */

int sc_contrast_dots_init(sc_contrast_dots *w, const sc_contrast *c,
                          sc_err *err)
{
    memset(w, 0, sizeof *w);
    int rc = check_contrast(c, err);
    if (rc != SC_OK)
        return rc;
    for (size_t d = 0; d < c->n_sims; d++)
        if (c->sims[d]->rows != c->m || c->sims[d]->cols != c->m)
            return sc_err_set(err, SC_EINVAL,
                              "contrast: matrix %zu is %zux%zu but there are "
                              "%zu models",
                              d, c->sims[d]->rows, c->sims[d]->cols, c->m);
    if (c->c1 == SC_CAT_NONE || c->c2 == SC_CAT_NONE)
        return sc_err_set(err, SC_EINVAL,
                          "contrast: a compared category is 'none'");
    w->c = c;
    w->cap = c->m * (c->m - (c->m > 0)) / 2;
    w->members = sc_calloc(c->m + 1, sizeof *w->members);
    w->idx = sc_calloc(w->cap + 1, sizeof *w->idx);
    w->work = sc_calloc(5 * w->cap + 1, sizeof *w->work);
    if (w->members == NULL || w->idx == NULL || w->work == NULL) {
        sc_contrast_dots_deinit(w);
        return sc_err_set(err, SC_ENOMEM,
                          "contrast: cannot allocate scratch for %zu models",
                          c->m);
    }
    return SC_OK;
}

void sc_contrast_dots_deinit(sc_contrast_dots *w)
{
    sc_free(w->members);
    sc_free(w->idx);
    sc_free(w->work);
    memset(w, 0, sizeof *w);
}

/* The within-c pairs of lab as flat indices into an m x m matrix, in the
 * order of sc_pairs_init_within (lexicographic, i < j); their count. */
static size_t within_index(sc_contrast_dots *w, const size_t *lab, size_t c)
{
    size_t m = w->c->m, nm = 0, n = 0;
    for (size_t i = 0; i < m; i++)
        if (lab[i] == c)
            w->members[nm++] = i;
    for (size_t a = 0; a < nm; a++)
        for (size_t b = a + 1; b < nm; b++)
            w->idx[n++] = w->members[a] * m + w->members[b];
    return n;
}

/* Dataset d's n values over the selected pairs into v; *tied when they
 * are all tied (sc_corr's constant side). SC_ENUMERIC on a non-finite
 * value. */
static int gather(const sc_contrast_dots *w, size_t d, size_t n, double *v,
                  bool *tied, sc_err *err)
{
    const double *s = w->c->sims[d]->data;
    double lo = s[w->idx[0]], hi = lo;
    for (size_t k = 0; k < n; k++) {
        double x = s[w->idx[k]];
        if (!isfinite(x))
            return sc_err_set(err, SC_ENUMERIC,
                              "contrast: dataset %zu: correlation: non-finite "
                              "value at model pair (%zu, %zu) (%g); check the "
                              "input matrices",
                              d, w->idx[k] / w->c->m, w->idx[k] % w->c->m, x);
        v[k] = x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    *tied = sc_tie_eq(lo, hi);
    return SC_OK;
}

/* Mean over dataset pairs d < e of the correlation over the within-c
 * pairs of lab (see stats.h). Statuses as sc_corr_pairs would give them
 * on the first dataset pair that fails, in mean_consistency's order
 * (0,1), (0,2), ..., (1,2), ...: the first failing pair involves the
 * first bad dataset d* and dataset 0 (or 1 when d* = 0), and sc_corr
 * checks both sides' finiteness before either side's constancy. */
static int dots_mean(sc_contrast_dots *w, const size_t *lab, size_t c,
                     double *mean, sc_err *err)
{
    const sc_contrast *ct = w->c;
    size_t n = within_index(w, lab, c), cap = w->cap;
    if (n < 2)
        return sc_err_set(err, SC_EDOM,
                          "contrast: category %zu has %zu within pair(s); a "
                          "correlation needs at least 2",
                          c, n);
    double *v = w->work, *rank = v + cap, *sum = rank + cap,
           *scratch = sum + cap;
    memset(sum, 0, n * sizeof *sum);
    double sq = 0;
    bool first_tied = false;
    for (size_t d = 0; d < ct->n_sims; d++) {
        bool tied = false;
        int st = gather(w, d, n, v, &tied, err);
        if (st != SC_OK)
            return st;
        if (first_tied || (tied && d > 0))
            return sc_err_set(err, SC_EDOM,
                              "contrast: dataset %zu is constant over the %zu "
                              "pairs of category %zu",
                              first_tied ? 0 : d, n, c);
        if (tied) { /* dataset 0: dataset 1's finiteness decides first */
            first_tied = true;
            continue;
        }
        const double *x = v;
        if (ct->method == SC_CORR_SPEARMAN) {
            sc_corr_ranks(v, n, rank, scratch, scratch + n);
            x = rank;
        }
        double mu = 0, ss = 0;
        for (size_t k = 0; k < n; k++)
            mu += x[k];
        mu /= (double)n;
        for (size_t k = 0; k < n; k++)
            ss += (x[k] - mu) * (x[k] - mu);
        double scale = 1 / sqrt(ss);
        for (size_t k = 0; k < n; k++) {
            double z = (x[k] - mu) * scale;
            sum[k] += z;
            sq += z * z;
        }
    }
    double tot = 0;
    for (size_t k = 0; k < n; k++)
        tot += sum[k] * sum[k];
    double D = (double)ct->n_sims;
    *mean = (tot - sq) / (D * (D - 1));
    if (!isfinite(*mean))
        return sc_err_set(err, SC_ENUMERIC,
                          "contrast: the correlations over %zu pairs came out "
                          "non-finite; check the input for extreme magnitudes",
                          n);
    return SC_OK;
}

int sc_contrast_dots_stat(const size_t *labels, size_t m, void *ud, double *out,
                          sc_err *err)
{
    sc_contrast_dots *w = ud;
    if (w->c == NULL || m != w->c->m)
        return sc_err_set(err, SC_EINVAL,
                          "contrast: %zu labels for %zu models (or scratch "
                          "not initialised)",
                          m, w->c == NULL ? 0 : w->c->m);
    double mean[2];
    int rc = dots_mean(w, labels, w->c->c1, &mean[0], err);
    if (rc == SC_OK)
        rc = dots_mean(w, labels, w->c->c2, &mean[1], err);
    if (rc == SC_OK)
        *out = mean[0] - mean[1];
    return rc;
}
