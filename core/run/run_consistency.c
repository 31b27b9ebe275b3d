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
 * Statistics per row. Randomness: ONE stream per (metric, set), seeded by
 * sc_rng_task_seed(seed, "consistency/<metric>/<set>") (made collision-free
 * over the (metric, set) table by sc_rng_assign_seeds), serves every
 * dataset pair of that set: its permutations are drawn first, then its
 * bootstrap resamples, and every dataset pair is evaluated on the same
 * draws (stats_many.h: one GEMM per batch of permutations). A row's
 * values are those of the per-pair engines (sc_mantel, sc_boot_ci) run on
 * that stream, so they depend on neither the thread count nor which other
 * dataset pairs are computed with it (sc_run_cons_rows, the unit of work of
 * a chunk task). One task per (metric, set).
 * - p: Mantel test, one-sided "greater" (the paper's hypothesis is that
 *   similarity structure is shared, i.e. r > 0), permuting the m model
 *   labels of S_b jointly in rows and columns; p = (1+#{T*>=T})/(1+B), or
 *   the exact #{T*>=T}/m! when m! <= B (sc_run_perm_count); n_perm is the
 *   count behind p.
 * - CI: over models the jackknife-z interval (sc_jackknife_z_ci on
 *   sc_consistency_boot_stat: leave-one-model-out, Fisher z, t_{n-1}). Over
 *   stimuli none (sc_run_corr_ci: SC_STIMULUS_CI_VALIDATED is 0; the
 *   percentile interval over stage 1's replicates S^(r) under-covers, see
 *   stat_limits.h; stage 1 then computes no replicates, run_plan.h).
 *   With statistics.over: datasets the per-row CI is over models (datasets
 *   are the unit only of aggregates over datasets). A CI over models needs
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "quartiles.h"
#include "rng.h"
#include "results_schema.h"
#include "run_internal.h"
#include "run_plan.h"
#include "stats_many.h"

/* ## Consistency rows of one (metric, set) */

typedef run_cons_row cons_row;

typedef struct cons_job {
    sc_runctx *rc;
    const run_sets *sets;
    cons_row *rows;
    size_t n; /* rows planned */
} cons_job;

static void row_id(const sc_runctx *rc, const run_sets *sets,
                   const cons_row *row, char *buf, size_t cap)
{
    snprintf(buf, cap, "consistency/%s/%s/%s/%s", rc->metrics[row->k].sm->name,
             rc->spec->datasets[row->a].name, rc->spec->datasets[row->b].name,
             sets->sets[row->s].name);
}

/* Seed of the stream of (metric k, set s): sc_rng_task_seed(seed,
 * "consistency/<metric>/<set>"), made collision-free over every (metric,
 * set) of the table by sc_rng_assign_seeds, so it depends on the spec
 * alone, not on which dataset pairs are computed. */
static int set_seed(const sc_runctx *rc, const run_sets *sets, size_t k,
                    size_t s, uint32_t *seed, sc_err *err)
{
    size_t n = rc->M * sets->nsets;
    uint32_t *seeds = sc_malloc((n + 1) * sizeof *seeds);
    char **ids = sc_calloc(n + 1, sizeof *ids);
    int st = seeds != NULL && ids != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t t = 0; t < n && st == SC_OK; t++) {
        char id[1024];
        snprintf(id, sizeof id, "consistency/%s/%s",
                 rc->metrics[t / sets->nsets].sm->name,
                 sets->sets[t % sets->nsets].name);
        ids[t] = sc_strdup(id);
        if (ids[t] == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    if (st == SC_OK)
        st = sc_rng_assign_seeds(rc->spec->seed, (const char *const *)ids, n,
                                 seeds, err);
    if (st == SC_OK)
        *seed = seeds[k * sets->nsets + s];
    if (ids != NULL)
        for (size_t t = 0; t < n; t++)
            sc_free(ids[t]);
    sc_free(ids);
    sc_free(seeds);
    return st;
}

/* The row's r, or the note saying why it has none (then r stays NaN). */
static int row_r(const sc_runctx *rc, const run_sets *sets, cons_row *row,
                 sc_err *err)
{
    const sc_pairs *pairs = &sets->sets[row->s].pairs;
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
        pairs, (sc_corr_method)rc->spec->consistency_corr, NULL, &row->r, err);
    if (st == SC_EDOM) { /* constant similarities: r undefined */
        row->r = NAN;
        sc_note_add(row->note, sizeof row->note,
                    "r undefined: constant similarities on a side");
        return SC_OK;
    }
    if (st != SC_OK) {
        char id[1024];
        row_id(rc, sets, row, id, sizeof id);
        sc_err_prefix(err, "%s", id);
    }
    return st;
}

/* p of every row with an r: one Mantel test per row, one shared stream. */
static int rows_p(const sc_runctx *rc, const sc_many *mp, const double *r,
                  sc_rng *rng, cons_row *rows, double *tmp, size_t *nperm,
                  sc_err *err)
{
    const sc_spec *spec = rc->spec;
    bool exact = false, any = false;
    for (size_t q = 0; q < mp->nq; q++)
        if (!isnan(r[q]))
            any = sc_run_p_wanted(spec, rc->m, &exact, rows[q].note,
                                  sizeof rows[q].note);
    if (!any)
        return SC_OK;
    sc_mantel_opts mo = {mp->method, SC_ALT_GREATER, spec->permutations, exact};
    int st = sc_mantel_many(mp, &mo, r, exact ? NULL : rng, tmp, nperm, err);
    for (size_t q = 0; q < mp->nq && st == SC_OK; q++) {
        if (isnan(r[q]))
            continue;
        rows[q].p = tmp[q];
        rows[q].n_perm = nperm[q];
        sc_run_p_done(nperm[q] > 0 ? SC_OK : SC_EDOM, exact, nperm[q],
                      "the statistic is undefined under every permutation",
                      rows[q].note, sizeof rows[q].note);
    }
    return st;
}

/* CI of every row with an r: over models, one shared stream; or from
 * stage 1's stimulus replicates (percentile of corr(S_a^(r), S_b^(r)) over
 * the replicates where it is defined). */
static int rows_ci(const sc_runctx *rc, const run_set *set, const sc_many *mp,
                   double *r, sc_rng *rng, cons_row *rows, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    int st = SC_OK;
    for (size_t q = 0; q < mp->nq; q++) {
        cons_row *row = &rows[q];
        if (isnan(r[q]))
            continue;
        if (spec->bootstrap == 0) {
            sc_note_add(row->note, sizeof row->note,
                        "no CI: statistics.bootstrap is 0");
            r[q] = NAN;
        } else if (spec->over != SC_OVER_STIMULI &&
                   set->side < SC_MIN_CI_MODELS) {
            sc_note_add(row->note, sizeof row->note,
                        "too few models for a CI (%zu < %d per side)",
                        set->side, SC_MIN_CI_MODELS);
            r[q] = NAN;
        } else if (spec->over == SC_OVER_STIMULI) {
            size_t ka = row->k * rc->D + row->a, kb = row->k * rc->D + row->b;
            st = sc_run_corr_ci(spec, &rc->sims[ka], &rc->sims[kb],
                                rc->boot_sims[ka], rc->boot_sims[kb],
                                &set->pairs, mp->method, rng, &row->lo,
                                &row->hi, row->note, sizeof row->note, err);
            if (st != SC_OK)
                return st;
            r[q] = NAN;
        }
    }
    /* Over models: the jackknife-z interval of each row (deterministic,
     * no draws), not the spec's bootstrap interval, whose coverage misses
     * 0.93-0.97 (docs/STATISTICS.md). */
    (void)rng;
    for (size_t q = 0; q < mp->nq && st == SC_OK; q++) {
        cons_row *row = &rows[q];
        if (isnan(r[q]))
            continue;
        size_t ka = row->k * rc->D + row->a, kb = row->k * rc->D + row->b;
        sc_consistency cs = {&rc->sims[ka], &rc->sims[kb], &set->pairs,
                             mp->method};
        st = sc_jackknife_z_ci(&set->pairs, sc_consistency_boot_stat, &cs,
                               spec->ci, &row->lo, &row->hi, err);
        if (st == SC_OK)
            sc_run_ci_note(row->lo, row->note, sizeof row->note);
    }
    return st;
}

/* Row of metric k, set s and dataset pair q (< npairs), before any
 * statistic. */
static void init_row(const sc_runctx *rc, size_t k, size_t s, size_t q,
                     uint32_t seed, cons_row *row)
{
    for (size_t a = 0, i = 0; a < rc->D; a++)
        for (size_t b = a + 1; b < rc->D; b++, i++)
            if (i == q) {
                row->a = a;
                row->b = b;
            }
    row->k = k;
    row->s = s;
    row->seed = seed;
    row->r = row->lo = row->hi = row->p = row->q = NAN;
    row->ci_method =
        rc->spec->over == SC_OVER_STIMULI ? "percentile" : SC_CI_JACKKNIFE_Z;
}

int sc_run_cons_rows(sc_runctx *rc, const run_sets *sets, size_t k, size_t s,
                     const size_t *q, size_t nq, run_cons_row *rows,
                     sc_err *err)
{
    const sc_spec *spec = rc->spec;
    const run_set *set = &sets->sets[s];
    size_t *ab = sc_malloc((3 * nq + 1) * sizeof *ab);
    double *r = sc_malloc((4 * nq + 1) * sizeof *r);
    const sc_matrix **sims = sc_malloc((rc->D + 1) * sizeof *sims);
    int st = ab != NULL && r != NULL && sims != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory");
    uint32_t seed = 0;
    if (st == SC_OK)
        st = set_seed(rc, sets, k, s, &seed, err);
    /* The batched engine sees only the datasets of these pairs (a planned
     * task loads only those matrices), numbered in order of first use;
     * it assigns its rows by first use in q too, so the numbers do not
     * change a value. slot[d]: dataset d's number, SIZE_MAX if unused. */
    size_t *slot = sc_malloc((rc->D + 1) * sizeof *slot), nsims = 0;
    if (st == SC_OK && slot == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t d = 0; d < rc->D && st == SC_OK; d++)
        slot[d] = SIZE_MAX;
    for (size_t t = 0; t < nq && st == SC_OK; t++) {
        cons_row *row = &rows[t];
        memset(row, 0, sizeof *row);
        if (q[t] >= rc->npairs) {
            st = sc_err_set(err, SC_EINVAL,
                            "consistency: dataset pair %zu of %zu", q[t],
                            rc->npairs);
            break;
        }
        init_row(rc, k, s, q[t], seed, row);
        for (size_t side = 0; side < 2; side++) {
            size_t d = side == 0 ? row->a : row->b;
            if (slot[d] == SIZE_MAX) {
                slot[d] = nsims;
                sims[nsims++] = &rc->sims[k * rc->D + d];
            }
            ab[side * nq + t] = slot[d];
        }
        st = row_r(rc, sets, row, err);
        r[t] = row->r;
    }
    sc_many mp = {(const sc_matrix *const *)sims,
                  nsims,
                  &set->pairs,
                  (sc_corr_method)spec->consistency_corr,
                  ab,
                  ab + nq,
                  nq};
    sc_rng rng = {0};
    if (st == SC_OK)
        st = sc_rng_init(&rng, seed, err);
    if (st == SC_OK)
        st = rows_p(rc, &mp, r, &rng, rows, r + nq, ab + 2 * nq, err);
    if (st == SC_OK)
        st = rows_ci(rc, set, &mp, r, &rng, rows, err);
    sc_rng_deinit(&rng);
    if (st != SC_OK && nq > 0) {
        char id[1024];
        snprintf(id, sizeof id, "consistency/%s/%s", rc->metrics[k].sm->name,
                 set->name);
        sc_err_prefix(err, "%s", id);
    }
    sc_free(ab);
    sc_free(r);
    sc_free(sims);
    sc_free(slot);
    return st;
}

/* ## The stage */

/* Rows in table order (metric, dataset pair, set); returns how many. The
 * (metric, set) tasks then fill them. */
static size_t plan_rows(const cons_job *job)
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
    return t;
}

/* ## The rows of a subset of (metric, dataset pair) units
 *
 * Unit u = k * npairs + q (metric k, dataset pair q in sc_run_pair_index
 * order) holds rows [u * nsets, (u + 1) * nsets) of the table. Every
 * statistic of a row depends only on its matrices, its set and the
 * stream of its (metric, set) (sc_run_cons_rows), so any subset of units
 * gives the same rows as the whole table: a planned run computes its
 * chunks in separate processes and gets the bytes of a single run. */

/* Task (k, s): the rows of metric k and set s for the selected dataset
 * pairs, by one call of sc_run_cons_rows (one stream per (metric, set)). */
typedef struct cons_subset {
    cons_job *job;
    const bool *sel; /* M * npairs units */
} cons_subset;

static int subset_task(size_t t, void *ud, sc_err *err)
{
    const cons_subset *cs = ud;
    cons_job *job = cs->job;
    sc_runctx *rc = job->rc;
    size_t nsets = job->sets->nsets, k = t / nsets, s = t % nsets;
    size_t np = rc->npairs, nq = 0;
    size_t *q = sc_malloc((np + 1) * sizeof *q);
    cons_row *rows = sc_malloc((np + 1) * sizeof *rows);
    int st = q != NULL && rows != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < np && st == SC_OK; i++)
        if (cs->sel[k * np + i])
            q[nq++] = i;
    if (st == SC_OK && nq > 0)
        st = sc_run_cons_rows(rc, job->sets, k, s, q, nq, rows, err);
    for (size_t i = 0; i < nq && st == SC_OK; i++)
        job->rows[(k * np + q[i]) * nsets + s] = rows[i];
    sc_free(q);
    sc_free(rows);
    return st;
}

/* r, CI, p, n_perm, seed and note of every row of the units with sel[u]
 * (q is left for the whole table): one task per (metric, set), each
 * calling sc_run_cons_rows with the selected dataset pairs of its metric.
 * The one place the rows are computed, for the whole run and for a chunk
 * of a plan alike. */
static int cons_compute(cons_job *job, const bool *sel, sc_err *err)
{
    sc_runctx *rc = job->rc;
    cons_subset cs = {job, sel};
    size_t ntasks = job->n > 0 ? rc->M * job->sets->nsets : 0;
    return sc_run_parallel(rc, ntasks, subset_task, &cs, "consistency", err);
}

#ifndef SC_VERSION
#define SC_VERSION "unknown"
#endif

#define UNIT_MAGIC "simcon consistency rows v2"
#define UNIT_PATH_CAP 4608

/* Cache key of unit u: its two matrices' keys, the statistics settings,
 * the spec seed with every metric and set name (the (metric, set) streams'
 * seeds are assigned over that table) and every set's pairs. */
static void unit_key(const cons_job *job, size_t u, char key[SC_SHA256_HEX])
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    size_t nsets = job->sets->nsets;
    const cons_row *r0 = &job->rows[u * nsets];
    sc_buf b = {0};
    sc_buf_printf(&b, "%s\nsimcon\t%s\na\t%s\nb\t%s\n", UNIT_MAGIC, SC_VERSION,
                  rc->sim_key[r0->k * rc->D + r0->a],
                  rc->sim_key[r0->k * rc->D + r0->b]);
    sc_buf_printf(&b,
                  "corr %d perm %zu boot %zu interval %d ci %.17g over %d\n",
                  spec->consistency_corr, spec->permutations, spec->bootstrap,
                  spec->interval, spec->ci, (int)spec->over);
    sc_buf_printf(&b, "seed %u metric %zu\n", (unsigned)spec->seed, r0->k);
    for (size_t k = 0; k < rc->M; k++)
        sc_buf_printf(&b, "metric\t%s\n", rc->metrics[k].sm->name);
    for (size_t s = 0; s < nsets; s++) {
        const run_set *set = &job->sets->sets[s];
        sc_buf_printf(&b, "set\t%s\t%zu\t%zu\n", set->name, set->side,
                      set->pairs.n);
        for (size_t p = 0; p < set->pairs.n; p++)
            sc_buf_printf(&b, "%zu %zu\n", set->pairs.i[p], set->pairs.j[p]);
    }
    uint8_t dig[32];
    sc_sha256 c;
    sc_sha256_init(&c);
    sc_sha256_update(&c, b.data, b.len);
    sc_sha256_final(&c, dig);
    sc_buf_deinit(&b);
    for (size_t i = 0; i < 32; i++)
        snprintf(key + 2 * i, 3, "%02x", dig[i]);
}

static int unit_path(const cons_job *job, size_t u, char *buf, size_t cap,
                     sc_err *err)
{
    char key[SC_SHA256_HEX];
    unit_key(job, u, key);
    if (snprintf(buf, cap, "%s/.cache/consistency-%s.tsv",
                 job->rc->opts.task_dir, key) >= (int)cap)
        return sc_err_set(err, SC_EIO, "%s: path too long",
                          job->rc->opts.task_dir);
    return SC_OK;
}

/* The unit's rows as text: "%a" round-trips every double exactly. */
static void unit_text(const cons_job *job, size_t u, sc_buf *b)
{
    size_t nsets = job->sets->nsets;
    sc_buf_printf(b, "%s\t%zu\n", UNIT_MAGIC, nsets);
    for (size_t s = 0; s < nsets; s++) {
        const cons_row *row = &job->rows[u * nsets + s];
        sc_buf_printf(b, "%a\t%a\t%a\t%a\t%zu\t%u\t", row->r, row->lo, row->hi,
                      row->p, row->n_perm, (unsigned)row->seed);
        for (const char *c = row->note; *c; c++) {
            if (*c == '\\')
                sc_buf_puts(b, "\\\\");
            else if (*c == '\n')
                sc_buf_puts(b, "\\n");
            else if (*c == '\t')
                sc_buf_puts(b, "\\t");
            else
                sc_buf_printf(b, "%c", *c);
        }
        sc_buf_puts(b, "\n");
    }
}

/* One number field ending in end, or false. */
static bool take_num(char **p, char end, double *v)
{
    char *e = NULL;
    *v = strtod(*p, &e);
    if (e == *p || *e != end)
        return false;
    *p = e + 1;
    return true;
}

/* Read unit u's rows from text; false (rows untouched but for notes) when
 * the text is not exactly what unit_text writes for this unit. */
static bool unit_parse(cons_job *job, size_t u, char *text)
{
    size_t nsets = job->sets->nsets;
    char head[64];
    snprintf(head, sizeof head, "%s\t%zu\n", UNIT_MAGIC, nsets);
    if (strncmp(text, head, strlen(head)) != 0)
        return false;
    char *p = text + strlen(head);
    for (size_t s = 0; s < nsets; s++) {
        cons_row *row = &job->rows[u * nsets + s];
        double v[6];
        for (size_t f = 0; f < 6; f++)
            if (!take_num(&p, '\t', &v[f]) || (f >= 4 && v[f] < 0))
                return false;
        size_t len = 0;
        for (; *p != '\n'; p++) {
            if (*p == '\0' || len + 1 >= sizeof row->note)
                return false;
            char c = *p;
            if (c == '\\') {
                p++;
                c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
                if (c == '\0')
                    return false;
            }
            row->note[len++] = c;
        }
        row->note[len] = '\0';
        p++;
        row->r = v[0];
        row->lo = v[1];
        row->hi = v[2];
        row->p = v[3];
        row->n_perm = (size_t)v[4];
        row->seed = (uint32_t)v[5];
        row->q = NAN;
        row->ci_method = job->rc->spec->over == SC_OVER_STIMULI
                             ? "percentile"
                             : SC_CI_JACKKNIFE_Z;
    }
    return *p == '\0';
}

/* Unit u from the task cache (rows filled) or false. */
static bool unit_load(void *ud, size_t u)
{
    cons_job *job = ud;
    char path[UNIT_PATH_CAP];
    sc_err ignored;
    char *text = NULL;
    size_t len = 0;
    if (job->rc->opts.task_dir == NULL ||
        unit_path(job, u, path, sizeof path, &ignored) != SC_OK ||
        access(path, R_OK) != 0 ||
        sc_read_text(path, &text, &len, &ignored) != SC_OK)
        return false;
    bool ok = strlen(text) == len && unit_parse(job, u, text);
    sc_free(text);
    return ok;
}

static int unit_store(const void *ud, size_t u, sc_err *err)
{
    const cons_job *job = ud;
    char path[UNIT_PATH_CAP];
    int st = unit_path(job, u, path, sizeof path, err);
    sc_buf b = {0};
    if (st == SC_OK) {
        unit_text(job, u, &b);
        st = sc_buf_check(&b, path, err);
    }
    /* One atomic rename per unit: a killed task leaves whole units. */
    if (st == SC_OK)
        st = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return st;
}

int sc_run_consistency_units(sc_runctx *rc, const run_sets *sets, size_t u0,
                             size_t u1, size_t *computed, size_t *cached,
                             sc_err *err)
{
    size_t nunits = rc->M * rc->npairs, n = nunits * sets->nsets;
    cons_job job = {rc, sets, sc_calloc(n + 1, sizeof(cons_row)), 0};
    int st =
        job.rows != NULL ? SC_OK : sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        job.n = plan_rows(&job);
    sc_run_units us = {nunits, u0, u1, unit_load, unit_store, &job, NULL, 0, 0};
    if (st == SC_OK)
        st = sc_run_units_select(rc, &us, SC_PLAN_CONS, NULL, err);
    if (st == SC_OK)
        st = cons_compute(&job, us.sel, err);
    if (st == SC_OK)
        st = sc_run_units_store(&us, err);
    *computed = us.computed;
    *cached = us.cached;
    sc_free(us.sel);
    sc_free(job.rows);
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
    sc_fmt_stat_tail(b, v, spec, rc->m, row->seed,
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
    cons_job job = {rc, sets, sc_calloc(n + 1, sizeof(cons_row)), 0};
    int st = SC_OK;
    if (out->r == NULL || out->lo == NULL || out->hi == NULL ||
        job.rows == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t k = 0; k < n && st == SC_OK; k++)
        out->r[k] = out->lo[k] = out->hi[k] = NAN;
    if (st == SC_OK)
        job.n = plan_rows(&job);
    /* Units that tasks of a plan finished are read, the rest computed. */
    size_t nunits = rc->M * rc->npairs;
    sc_run_units us = {nunits, 0,    nunits, unit_load, unit_store,
                       &job,   NULL, 0,      0};
    if (st == SC_OK)
        st = sc_run_units_select(rc, &us, SC_PLAN_CONS, "consistency unit(s)",
                                 err);
    if (st == SC_OK)
        st = cons_compute(&job, us.sel, err);
    sc_free(us.sel);
    if (st == SC_OK)
        st = sc_run_adjust_rows(job.rows, job.n, sizeof *job.rows,
                                offsetof(cons_row, p), offsetof(cons_row, q),
                                cons_family, &job, rc->spec->correction, err);
    for (size_t k = 0; k < job.n && st == SC_OK; k++) {
        const cons_row *row = &job.rows[k];
        size_t slot = (row->k * sets->nsets + row->s) * rc->npairs +
                      sc_run_pair_index(row->a, row->b, rc->D);
        out->r[slot] = row->r;
        out->lo[slot] = row->lo;
        out->hi[slot] = row->hi;
    }
    if (st == SC_OK)
        st = write_csv(&job, job.n, err);
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
    /* The jackknife-z interval of the median: the model bootstrap covered
     * 0.91 at 12 models (docs/STATISTICS.md, medians). */
    median_ctx mc = {rc, set, row->k};
    st = sc_jackknife_z_ci(&set->pairs, median_stat, &mc, spec->ci, &row->lo,
                           &row->hi, err);
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
