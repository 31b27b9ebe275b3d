/* Stage 2 of `simcon run`: consistency of every dataset pair (paper,
 * docs/FORMULAS.md "The paper's definitions").
 *
 * For metric k, datasets a < b (spec order) and model set P:
 *   r = corr({S_a[i,j]}, {S_b[i,j]}) over the pairs {i,j} in P (i < j),
 * corr = analyses.consistency.correlation (Pearson / Spearman). Sets, in
 * this order: "all"; for each groupby attribute g and its categories in
 * first-appearance order, "g:c1|c2" for c1 <= c2 (within when equal,
 * between otherwise); for each anchor model A, groupby attribute g and
 * category c, "anchor:A|g:c" = {A, j} for every other model j in c. Every
 * set gets its rows, even with 0 or 1 pair; r needs SC_MIN_CORR_PAIRS (3)
 * pairs (stat_limits.h), else it is empty and the note says why. Models
 * without the attribute belong to no category.
 *
 * Statistics per row (one task, one stream seeded by
 * sc_rng_task_seed(seed, "consistency/<metric>/<a>/<b>/<set>"), made
 * collision-free over the table by sc_rng_assign_seeds; the Mantel
 * permutations are drawn first, then the bootstrap resamples):
 * - p: Mantel test, one-sided "greater" (the paper's hypothesis is that
 *   similarity structure is shared, i.e. r > 0), permuting the m model
 *   labels of S_b jointly in rows and columns; p = (1+#{T*>=T})/(1+B), or
 *   the exact #{T*>=T}/m! when m! <= B (sc_run_perm_count); n_perm is the
 *   count behind p.
 * - CI: bootstrap over models (resample m models, drop self-pairs, keep the
 *   pairs of P; sc_consistency_boot_stat) with the spec's interval; or over
 *   stimuli (stage 1's replicates S^(r), percentile interval, since BCa's
 *   jackknife would need n recomputations of every matrix). With
 *   statistics.over: datasets the per-row CI is over models (datasets are
 *   the unit only of aggregates over datasets). A model-bootstrap CI needs
 *   SC_MIN_CI_MODELS models on each side of the set (run_set.side).
 * - q: the spec's correction within a family (statistics.family: question:
 *   metric x attribute x row kind; metric: all rows of one metric; each
 *   metric is always its own family: metrics are alternative views of the
 *   same question, not more tests of it).
 * An undefined r (constant values) leaves r, CI, p and q empty. Every
 * empty value's reason is in the note column (docs/STATISTICS.md).
 *
 * consistency.csv columns: metric,dataset_a,dataset_b,model_set,n_pairs,r,
 * ci_lo,ci_hi,p,q,B,seed,ci_method,n_perm,note. With one dataset: one row
 * per metric, note "one dataset: no consistency". */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "quartiles.h"
#include "rng.h"
#include "results_schema.h"
#include "run_internal.h"

/* ## Consistency tasks */

typedef struct cons_row {
    size_t k, a, b, s;
    double r, lo, hi, p, q;
    size_t n_perm; /* permutations behind p (0: no p) */
    uint32_t seed;
    const char *ci_method;
    char note[512]; /* why a value is NA */
} cons_row;

typedef struct cons_job {
    sc_runctx *rc;
    const run_sets *sets;
    cons_row *rows;
} cons_job;

static void task_id(const cons_job *job, const cons_row *row, char *buf,
                    size_t cap)
{
    const sc_runctx *rc = job->rc;
    snprintf(buf, cap, "consistency/%s/%s/%s/%s", rc->metrics[row->k].sm->name,
             rc->spec->datasets[row->a].name, rc->spec->datasets[row->b].name,
             job->sets->sets[row->s].name);
}

/* CI: over models, or from stage 1's stimulus replicates (percentile of
 * corr(S_a^(r), S_b^(r)) over the replicates where it is defined). */
static int cons_ci(const sc_runctx *rc, cons_row *row, const run_set *set,
                   sc_rng *rng, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    sc_corr_method method = (sc_corr_method)spec->consistency_corr;
    size_t ka = row->k * rc->D + row->a, kb = row->k * rc->D + row->b;
    if (spec->bootstrap == 0) {
        sc_note_add(row->note, sizeof row->note,
                    "no CI: statistics.bootstrap is 0");
        return SC_OK;
    }
    if (spec->over != SC_OVER_STIMULI && set->side < SC_MIN_CI_MODELS) {
        sc_note_add(row->note, sizeof row->note,
                    "too few models for a CI (%zu < %d per side)", set->side,
                    SC_MIN_CI_MODELS);
        return SC_OK;
    }
    return sc_run_corr_ci(
        spec, &rc->sims[ka], &rc->sims[kb],
        spec->over == SC_OVER_STIMULI ? rc->boot_sims[ka] : NULL,
        spec->over == SC_OVER_STIMULI ? rc->boot_sims[kb] : NULL, &set->pairs,
        method, rng, &row->lo, &row->hi, row->note, sizeof row->note, err);
}

static int cons_task(size_t t, void *ud, sc_err *err)
{
    cons_job *job = ud;
    sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    cons_row *row = &job->rows[t];
    const run_set *set = &job->sets->sets[row->s];
    const sc_pairs *pairs = &set->pairs;
    row->r = row->lo = row->hi = row->p = row->q = NAN;
    row->n_perm = 0;
    row->note[0] = '\0';
    row->ci_method = spec->over == SC_OVER_STIMULI
                         ? "percentile"
                         : sc_ci_name((sc_ci_method)spec->interval);
    char task[1024];
    task_id(job, row, task, sizeof task);
    if (pairs->n < SC_MIN_CORR_PAIRS) {
        if (pairs->n == 0)
            sc_note_add(row->note, sizeof row->note,
                        "no pairs (a category with 1 model)");
        else
            sc_note_add(row->note, sizeof row->note,
                        "fewer than %d pairs (%zu): no correlation",
                        SC_MIN_CORR_PAIRS, pairs->n);
        return SC_OK;
    }
    int st = sc_corr_pairs(
        &rc->sims[row->k * rc->D + row->a], &rc->sims[row->k * rc->D + row->b],
        pairs, (sc_corr_method)spec->consistency_corr, NULL, &row->r, err);
    if (st == SC_EDOM) { /* constant similarities: r undefined */
        row->r = NAN;
        sc_note_add(row->note, sizeof row->note,
                    "r undefined: constant similarities on a side");
        return SC_OK;
    }
    if (st != SC_OK)
        return sc_err_prefix(err, "%s", task);
    sc_rng rng = {0};
    st = sc_rng_init(&rng, row->seed, err);
    if (st == SC_OK)
        st = sc_run_mantel_p(
            spec, &rc->sims[row->k * rc->D + row->a],
            &rc->sims[row->k * rc->D + row->b], pairs,
            (sc_corr_method)spec->consistency_corr, SC_ALT_GREATER, &rng,
            "the statistic is undefined under every permutation", &row->p,
            &row->n_perm, row->note, sizeof row->note, err);
    if (st == SC_OK)
        st = cons_ci(rc, row, set, &rng, err);
    sc_rng_deinit(&rng);
    if (st != SC_OK)
        sc_err_prefix(err, "%s", task);
    return st;
}

/* ## The stage */

/* Rows in table order (metric, dataset pair, set), each with its seed.
 * Seeds come first, checked before any work: two tasks on one stream would
 * give correlated estimates (rng.h), and a clash is cheaper to report
 * before the run than after it. */
static int plan_rows(const cons_job *job, size_t n, sc_err *err)
{
    const sc_runctx *rc = job->rc;
    size_t nsets = job->sets->nsets, t = 0;
    for (size_t k = 0; k < rc->M; k++)
        for (size_t a = 0; a < rc->D; a++)
            for (size_t b = a + 1; b < rc->D; b++)
                for (size_t s = 0; s < nsets; s++) {
                    cons_row *row = &job->rows[t++];
                    row->k = k;
                    row->a = a;
                    row->b = b;
                    row->s = s;
                }
    uint32_t *seeds = sc_malloc((n + 1) * sizeof *seeds);
    char **ids = sc_calloc(n + 1, sizeof *ids);
    int st = seeds != NULL && ids != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t k = 0; k < n && st == SC_OK; k++) {
        char id[1024];
        task_id(job, &job->rows[k], id, sizeof id);
        ids[k] = sc_strdup(id);
        if (ids[k] == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    if (st == SC_OK)
        st = sc_rng_assign_seeds(rc->spec->seed, (const char *const *)ids, n,
                                 seeds, err);
    for (size_t k = 0; k < n && st == SC_OK; k++)
        job->rows[k].seed = seeds[k];
    if (ids != NULL)
        for (size_t k = 0; k < n; k++)
            sc_free(ids[k]);
    sc_free(ids);
    sc_free(seeds);
    return st;
}

/* Family of row k: metric x attribute x row kind (statistics.family:
 * question) or metric. */
static size_t cons_family(size_t k, const void *ud)
{
    const cons_job *job = ud;
    const run_set *set = &job->sets->sets[job->rows[k].s];
    return sc_run_family(job->rc->spec, job->rows[k].k,
                         set->attr == SIZE_MAX ? 0 : set->attr + 1,
                         job->sets->nattrs + 1, (size_t)set->kind, 4);
}

static void write_row(sc_buf *b, const cons_job *job, const cons_row *row)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    const run_set *set = &job->sets->sets[row->s];
    sc_buf_printf(b, "%s,%s,%s,%s,%zu,", rc->metrics[row->k].sm->name,
                  spec->datasets[row->a].name, spec->datasets[row->b].name,
                  set->name, set->pairs.n);
    const double v[] = {row->r, row->lo, row->hi, row->p, row->q};
    sc_fmt_stat_tail(b, v, spec->bootstrap, row->seed,
                     spec->bootstrap > 0 && !isnan(row->lo) ? row->ci_method
                                                            : "none",
                     row->n_perm, row->note);
}

static int write_csv(const cons_job *job, size_t n, sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    sc_buf b = {0};
    sc_buf_puts(&b, SC_HDR_CONSISTENCY "\n");
    if (rc->D == 1)
        for (size_t k = 0; k < rc->M; k++)
            sc_buf_printf(&b,
                          "%s,%s,,all,%zu,,,,,,%zu,0,none,0,one "
                          "dataset: no consistency\n",
                          rc->metrics[k].sm->name, spec->datasets[0].name,
                          job->sets->nsets > 0 ? job->sets->sets[0].pairs.n : 0,
                          spec->bootstrap);
    for (size_t k = 0; k < n; k++)
        write_row(&b, job, &job->rows[k]);
    int st = sc_run_write(rc, SC_RES_CONSISTENCY, &b, err);
    sc_buf_deinit(&b);
    return st;
}

int sc_run_consistency(sc_runctx *rc, const run_sets *sets, run_cons *out,
                       sc_err *err)
{
    size_t n = rc->M * sets->nsets * rc->npairs;
    out->r = sc_malloc((n + 1) * sizeof *out->r);
    out->lo = sc_malloc((n + 1) * sizeof *out->lo);
    out->hi = sc_malloc((n + 1) * sizeof *out->hi);
    cons_job job = {rc, sets, sc_calloc(n + 1, sizeof(cons_row))};
    int st = SC_OK;
    if (out->r == NULL || out->lo == NULL || out->hi == NULL ||
        job.rows == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        st = plan_rows(&job, n, err);
    if (st == SC_OK)
        st = sc_run_parallel(rc, n, cons_task, &job, "consistency", err);
    if (st == SC_OK)
        st = sc_run_adjust_rows(job.rows, n, sizeof *job.rows,
                                offsetof(cons_row, p), offsetof(cons_row, q),
                                cons_family, &job, rc->spec->correction, err);
    for (size_t k = 0; k < n && st == SC_OK; k++) {
        const cons_row *row = &job.rows[k];
        size_t slot = (row->k * sets->nsets + row->s) * rc->npairs +
                      sc_run_pair_index(row->a, row->b, rc->D);
        out->r[slot] = row->r;
        out->lo[slot] = row->lo;
        out->hi[slot] = row->hi;
    }
    if (st == SC_OK)
        st = write_csv(&job, n, err);
    sc_free(job.rows);
    return st;
}

void sc_run_cons_free(run_cons *c)
{
    sc_free(c->r);
    sc_free(c->lo);
    sc_free(c->hi);
    memset(c, 0, sizeof *c);
}

/* ## Medians over dataset pairs (the headline tables' numbers)
 *
 * Per metric and within/between set: the median of the set's consistency
 * over the dataset pairs where it is defined, its quartiles q1, q3 (type 7,
 * numpy's default) and a bootstrap CI of the median over models (the median
 * recomputed on each model resample; task "median/<metric>/<set>"); no CI
 * below SC_MIN_CI_MODELS models per side. */

typedef struct median_ctx {
    const sc_runctx *rc;
    const run_set *set;
    size_t k;
} median_ctx;

/* Median over dataset pairs of the set's consistency on a model resample;
 * dataset pairs where it is undefined are left out (as in the estimate). */
static int median_stat(const size_t *idx, size_t n_idx, void *ud, double *out,
                       sc_err *err)
{
    const median_ctx *mc = ud;
    const sc_runctx *rc = mc->rc;
    sc_pairs rp = {0};
    int st =
        sc_pairs_resample_models(&mc->set->pairs, idx, n_idx, false, &rp, err);
    if (st != SC_OK)
        return st;
    if (rp.n <= 1) {
        sc_pairs_deinit(&rp);
        return SC_EDOM;
    }
    double *v = sc_malloc((rc->npairs + 1) * sizeof *v);
    if (v == NULL) {
        sc_pairs_deinit(&rp);
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    size_t nv = 0;
    for (size_t a = 0; a < rc->D && st == SC_OK; a++)
        for (size_t b = a + 1; b < rc->D && st == SC_OK; b++) {
            double r;
            st = sc_corr_pairs(
                &rc->sims[mc->k * rc->D + a], &rc->sims[mc->k * rc->D + b], &rp,
                (sc_corr_method)rc->spec->consistency_corr, NULL, &r, err);
            if (st == SC_OK)
                v[nv++] = r;
            else if (st == SC_EDOM)
                st = SC_OK;
        }
    sc_pairs_deinit(&rp);
    if (st == SC_OK && nv == 0)
        st = SC_EDOM;
    if (st == SC_OK) {
        *out = sc_quartiles_sort(v, nv).med;
    }
    sc_free(v);
    return st;
}

typedef struct med_job {
    sc_runctx *rc;
    const run_sets *sets;
    const run_cons *cons;
    run_median *rows;
} med_job;

/* Median and quartiles of the row's defined r (row->n of them). */
static int median_estimate(const med_job *job, run_median *row, sc_err *err)
{
    const sc_runctx *rc = job->rc;
    double *v = sc_malloc((rc->npairs + 1) * sizeof *v);
    if (v == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t nv = 0;
    const double *r =
        job->cons->r + (row->k * job->sets->nsets + row->s) * rc->npairs;
    for (size_t q = 0; q < rc->npairs; q++)
        if (!isnan(r[q]))
            v[nv++] = r[q];
    row->n = nv;
    if (nv > 0) {
        sc_quartiles qs = sc_quartiles_sort(v, nv);
        row->med = qs.med;
        row->q1 = qs.q1;
        row->q3 = qs.q3;
    }
    sc_free(v);
    return SC_OK;
}

/* Why the row has no median, or no CI of it (nothing when it has both). */
static bool median_why_not(const sc_spec *spec, run_median *row,
                           const run_set *set)
{
    if (row->n == 0) {
        if (set->pairs.n == 0)
            sc_note_add(row->note, sizeof row->note,
                        "no pairs (a category with 1 model)");
        else if (set->pairs.n < SC_MIN_CORR_PAIRS)
            sc_note_add(row->note, sizeof row->note,
                        "fewer than %d pairs (%zu): no correlation",
                        SC_MIN_CORR_PAIRS, set->pairs.n);
        else
            sc_note_add(row->note, sizeof row->note,
                        "no dataset pair with a defined r");
    } else if (spec->bootstrap == 0) {
        sc_note_add(row->note, sizeof row->note,
                    "no CI: statistics.bootstrap is 0");
    } else if (set->side < SC_MIN_CI_MODELS) {
        sc_note_add(row->note, sizeof row->note,
                    "too few models for a CI (%zu < %d per side)", set->side,
                    SC_MIN_CI_MODELS);
    } else {
        return false;
    }
    return true;
}

static int median_task(size_t t, void *ud, sc_err *err)
{
    med_job *job = ud;
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    run_median *row = &job->rows[t];
    const run_set *set = &job->sets->sets[row->s];
    row->med = row->lo = row->hi = row->q1 = row->q3 = NAN;
    row->note[0] = '\0';
    int st = median_estimate(job, row, err);
    if (st != SC_OK)
        return st;
    char task[1024];
    snprintf(task, sizeof task, "median/%s/%s", rc->metrics[row->k].sm->name,
             set->name);
    row->seed = sc_rng_task_seed(spec->seed, task);
    if (median_why_not(spec, row, set))
        return SC_OK;
    median_ctx mc = {rc, set, row->k};
    sc_rng rng = {0};
    st = sc_rng_init(&rng, row->seed, err);
    sc_ci_opts co = sc_run_ci_opts(spec);
    if (st == SC_OK)
        st = sc_boot_ci(rc->m, median_stat, &mc, &co, &rng, &row->lo, &row->hi,
                        err);
    sc_rng_deinit(&rng);
    if (st == SC_OK)
        sc_run_ci_note(row->lo, row->note, sizeof row->note);
    if (st != SC_OK)
        sc_err_prefix(err, "%s", task);
    return st;
}

/* The sets that get a median: within and between, not "all" or anchors
 * (told apart by name, as the tables do). */
static bool has_median(const run_set *s)
{
    return s->attr != SIZE_MAX && strncmp(s->name, "anchor:", 7) != 0;
}

int sc_run_medians(sc_runctx *rc, const run_sets *sets, const run_cons *cons,
                   run_medians *out, sc_err *err)
{
    size_t n = 0;
    for (size_t s = 0; s < sets->nsets; s++)
        n += has_median(&sets->sets[s]);
    n *= rc->M;
    med_job job = {rc, sets, cons, sc_calloc(n + 1, sizeof(run_median))};
    out->rows = job.rows;
    out->n = n;
    if (job.rows == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t t = 0;
    for (size_t k = 0; k < rc->M; k++)
        for (size_t s = 0; s < sets->nsets; s++)
            if (has_median(&sets->sets[s])) {
                job.rows[t].k = k;
                job.rows[t].s = s;
                t++;
            }
    return sc_run_parallel(rc, n, median_task, &job, "median CIs", err);
}
