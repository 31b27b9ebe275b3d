/* Stage 3 of `simcon run`: category contrasts (the paper's headline claim:
 * some objectives give more consistent similarity than others).
 *
 * For metric k, contrast attribute g and categories c1 < c2 (first
 * appearance order), with W_c(d, e) the consistency of datasets d < e over
 * the within-category pairs of c:
 *   mean_c = mean over the D(D-1)/2 dataset pairs of W_c(d, e),
 *   effect = mean_c1 - mean_c2                    (sc_contrast in stats.h).
 * - p: label permutation (sc_perm_labels + sc_contrast_dots_stat): the
 *   attribute's labels are shuffled across the m models (group sizes kept)
 *   and the effect recomputed over all dataset pairs (exactly over all m!
 *   arrangements when m! <= B), as dot products of each dataset's
 *   standardised within-category values (stats.h); two-sided, since either
 * category may be the more consistent one: twice the smaller one-sided p,
 * because the null is off centre with unequal group sizes (null_mean column).
 * - CI of the effect: the jackknife-t interval over the models of the two
 *   categories (sc_jackknife_t_ci on sc_contrast_boot_stat; ci_method
 *   jackknife-t; deterministic). The per-category means get the
 *   jackknife-z interval over the category's models (sc_jackknife_z_ci,
 *   deterministic), reported in the appended columns mean_a_lo, mean_a_hi,
 *   mean_b_lo, mean_b_hi.
 * - q: the spec's correction within a family (statistics.family:
 *   question: metric x attribute; metric: all rows of one metric).
 * - NA with a note: a category mean needs SC_MIN_CORR_PAIRS within pairs,
 *   a mean's CI SC_MIN_CI_MODELS models in its category, the effect's CI
 *   SC_MIN_CI_EFFECT_MODELS models in each of the two (stat_limits.h).
 * Task seed: sc_rng_task_seed(seed, "contrast/<metric>/<g>/<c1>|<c2>"),
 * permutations first, then bootstrap. Every category pair gets a row; one
 * whose categories are too small says so in its note. The
 * stimulus bootstrap does not apply here (the contrast is about models);
 * contrasts always resample models.
 *
 * contrasts.csv columns: metric,attribute,category_a,category_b,
 * n_models_a,n_models_b,mean_a,mean_b,effect,ci_lo,ci_hi,p,q,B,seed,
 * ci_method,mean_a_lo,mean_a_hi,mean_b_lo,mean_b_hi,null_mean,n_perm,note. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "rng.h"
#include "results_schema.h"
#include "run_internal.h"
#include "run_plan.h"

/* Mean over dataset pairs of the within-category consistency, on a model
 * resample (sc_boot_stat_fn). */
typedef struct mean_within {
    const sc_matrix *const *sims;
    size_t D;
    const sc_pairs *pairs; /* within-category pairs over m */
    sc_corr_method method;
} mean_within;

static int mean_within_stat(const size_t *idx, size_t n_idx, void *ud,
                            double *out, sc_err *err)
{
    const mean_within *mw = ud;
    sc_pairs rp = {0};
    int st = sc_pairs_resample_models(mw->pairs, idx, n_idx, false, &rp, err);
    if (st != SC_OK)
        return st;
    if (rp.n <= 1) {
        sc_pairs_deinit(&rp);
        return SC_EDOM;
    }
    double sum = 0;
    size_t cnt = 0;
    for (size_t d = 0; d < mw->D && st == SC_OK; d++)
        for (size_t e = d + 1; e < mw->D && st == SC_OK; e++) {
            double r;
            st = sc_corr_pairs(mw->sims[d], mw->sims[e], &rp, mw->method, NULL,
                               &r, err);
            sum += r;
            cnt++;
        }
    sc_pairs_deinit(&rp);
    if (st != SC_OK)
        return st;
    *out = sum / (double)cnt;
    return SC_OK;
}

typedef struct cmean {
    size_t k, attr, c;
    size_t u; /* unit: metric x contrast (k * ncontrasts + g) */
    double est, lo, hi;
    size_t n;       /* models in the category */
    char note[256]; /* why est or its CI is NA */
} cmean;

typedef struct con_job {
    sc_runctx *rc;
    bool rows_phase; /* con_task: false: category means; true: rows */
    const run_sets *sets;
    const sc_matrix **sims; /* M*D pointers */
    cmean *means;
    size_t nmeans;
    run_contrast_row *rows;
    size_t nrows;
    size_t *rgroup;  /* nrows: family of each row                        */
    size_t *runit;   /* nrows: unit of each row                          */
    size_t nunits;   /* M * ncontrasts                                    */
    const bool *sel; /* nunits: units to compute (the others are read)  */
} con_job;

/* Mean within-category consistency of cm's category and its CI. */
static int category_mean(const con_job *job, cmean *cm, sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    const run_attr *at = &job->sets->attrs[cm->attr];
    cm->est = cm->lo = cm->hi = NAN;
    cm->note[0] = '\0';
    char task[1024];
    snprintf(task, sizeof task, "contrast-mean/%s/%s/%s",
             rc->metrics[cm->k].sm->name, at->name, at->cats[cm->c]);
    sc_pairs pairs = {0};
    int st = sc_pairs_init_within(&pairs, at->label, rc->m, cm->c, err);
    mean_within mw = {job->sims + cm->k * rc->D, rc->D, &pairs,
                      (sc_corr_method)spec->consistency_corr};
    size_t *all = sc_malloc(rc->m * sizeof *all);
    if (st == SC_OK && all == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; st == SC_OK && i < rc->m; i++)
        all[i] = i;
    bool enough = st == SC_OK && pairs.n >= SC_MIN_CORR_PAIRS;
    if (st == SC_OK && !enough)
        sc_note_add(cm->note, sizeof cm->note,
                    "'%s' has %zu model(s): fewer than %d pairs",
                    at->cats[cm->c], cm->n, SC_MIN_CORR_PAIRS);
    if (enough) {
        st = mean_within_stat(all, rc->m, &mw, &cm->est, err);
        if (st == SC_EDOM) {
            cm->est = NAN;
            st = SC_OK;
            sc_note_add(cm->note, sizeof cm->note,
                        "'%s': consistency undefined", at->cats[cm->c]);
        }
    }
    bool ci_ok = cm->n >= SC_MIN_CI_MODELS;
    if (st == SC_OK && !isnan(cm->est) && spec->bootstrap > 0 && !ci_ok)
        sc_note_add(cm->note, sizeof cm->note,
                    "too few models for a CI of '%s' (%zu < %d)",
                    at->cats[cm->c], cm->n, SC_MIN_CI_MODELS);
    /* A category mean is a (mean of) correlation(s) over pairs: its CI is
     * the jackknife-z interval (docs/STATISTICS.md, contrasts). */
    if (st == SC_OK && spec->bootstrap > 0 && !isnan(cm->est) && ci_ok)
        st = sc_jackknife_z_ci(&pairs, mean_within_stat, &mw, spec->ci, &cm->lo,
                               &cm->hi, err);
    sc_free(all);
    sc_pairs_deinit(&pairs);
    if (st != SC_OK)
        sc_err_prefix(err, "%s", task);
    return st;
}

/* p of the effect by label permutation, then its CI over models. */
static int effect_p_ci(const sc_runctx *rc, run_contrast_row *row,
                       const run_attr *at, sc_contrast *ct, sc_rng *rng,
                       sc_err *err)
{
    const sc_spec *spec = rc->spec;
    bool exact;
    int st = SC_OK;
    if (sc_run_p_wanted(spec, rc->m, &exact, row->note, sizeof row->note)) {
        sc_perm_opts po = {spec->permutations, SC_ALT_TWO_SIDED, exact};
        sc_perm_result pr;
        /* The permuted statistics as dot products (stats.h,
         * sc_contrast_dots): the same labellings from the same stream,
         * the same counts up to the tie rule. */
        sc_contrast_dots dots;
        st = sc_contrast_dots_init(&dots, ct, err);
        if (st == SC_OK)
            st = sc_perm_labels(at->label, rc->m, sc_contrast_dots_stat, &dots,
                                &po, exact ? NULL : rng, &pr, err);
        sc_contrast_dots_deinit(&dots);
        if (st == SC_OK) {
            row->p = pr.p;
            row->null_mean = pr.null_mean;
            row->n_perm = pr.b;
        }
        st = sc_run_p_done(st, exact, row->n_perm,
                           "undefined under every permutation", row->note,
                           sizeof row->note);
    }
    bool ci_ok = row->n1 >= SC_MIN_CI_EFFECT_MODELS &&
                 row->n2 >= SC_MIN_CI_EFFECT_MODELS;
    if (st == SC_OK && spec->bootstrap > 0 && !ci_ok)
        sc_note_add(row->note, sizeof row->note,
                    "too few models for a CI of the effect (%zu / %zu < %d "
                    "per category)",
                    row->n1, row->n2, SC_MIN_CI_EFFECT_MODELS);
    if (st == SC_OK && spec->bootstrap == 0)
        sc_note_add(row->note, sizeof row->note,
                    "no CI: statistics.bootstrap is 0");
    if (st == SC_OK && spec->bootstrap > 0 && ci_ok) {
        /* The jackknife-t interval over the two categories' models: the
         * percentile and BCa bootstraps covered 0.93 and 0.91 with 20 models
         * per category, the jackknife-t 0.972-0.976 (docs/STATISTICS.md,
         * contrasts). */
        bool *in = sc_calloc(rc->m + 1, sizeof *in);
        if (in == NULL)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        for (size_t i = 0; i < rc->m; i++)
            in[i] = at->label[i] == ct->c1 || at->label[i] == ct->c2;
        st = sc_jackknife_t_ci(rc->m, in, sc_contrast_boot_stat, ct, spec->ci,
                               &row->lo, &row->hi, err);
        sc_free(in);
    }
    return st;
}

/* The effect of row's categories, its p and its CI. */
static int contrast_row(const con_job *job, run_contrast_row *row, sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    const run_attr *at = &job->sets->attrs[row->attr];
    row->effect = row->lo = row->hi = row->p = row->q = NAN;
    row->null_mean = NAN;
    row->n_perm = 0;
    char task[1024];
    snprintf(task, sizeof task, "contrast/%s/%s/%s|%s",
             rc->metrics[row->k].sm->name, at->name, at->cats[row->c1],
             at->cats[row->c2]);
    row->seed = sc_rng_task_seed(spec->seed, task);
    sc_contrast ct = {(const sc_matrix *const *)(job->sims + row->k * rc->D),
                      rc->D,
                      at->label,
                      rc->m,
                      row->c1,
                      row->c2,
                      (sc_corr_method)spec->consistency_corr};
    /* row->note already holds the means' reasons (set by the caller). */
    if (isnan(row->mean1) || isnan(row->mean2)) {
        sc_note_add(row->note, sizeof row->note,
                    "no effect: a category mean is NA");
        return SC_OK;
    }
    int st = sc_contrast_perm_stat(at->label, rc->m, &ct, &row->effect, err);
    if (st == SC_EDOM) {
        row->effect = NAN;
        sc_note_add(row->note, sizeof row->note, "effect undefined");
        return SC_OK;
    }
    sc_rng rng = {0};
    if (st == SC_OK)
        st = sc_rng_init(&rng, row->seed, err);
    if (st == SC_OK)
        st = effect_p_ci(rc, row, at, &ct, &rng, err);
    sc_rng_deinit(&rng);
    if (st != SC_OK)
        sc_err_prefix(err, "%s", task);
    return st;
}

/* A task of the stage: the category means first, then (rows_phase) the
 * rows, which use them. */
static int con_task(size_t t, void *ud, sc_err *err)
{
    con_job *job = ud;
    size_t u = job->rows_phase ? job->runit[t] : job->means[t].u;
    if (!job->sel[u])
        return SC_OK;
    return job->rows_phase ? contrast_row(job, &job->rows[t], err)
                           : category_mean(job, &job->means[t], err);
}

static size_t attr_index(const run_sets *sets, const char *name)
{
    for (size_t a = 0; a < sets->nattrs; a++)
        if (strcmp(sets->attrs[a].name, name) == 0)
            return a;
    return SIZE_MAX;
}

static size_t count_cat(const run_attr *at, size_t m, size_t c)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        n += at->label[i] == c;
    return n;
}

/* ## The stage */

/* With one dataset there is nothing to contrast: one row per metric and
 * contrast says so. */
static int write_one_dataset(const sc_runctx *rc, sc_buf *b, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    sc_run_note(rc,
                "contrasts skipped: they average over dataset pairs "
                "and the spec has %zu dataset(s)",
                rc->D);
    for (size_t k = 0; k < rc->M; k++)
        for (size_t g = 0; g < spec->ncontrasts; g++)
            sc_buf_printf(b,
                          "%s,%s,,,,,,,,,,,,%zu,0,none,,,,,,0,one "
                          "dataset: no consistency to contrast\n",
                          rc->metrics[k].sm->name, spec->contrasts[g].attribute,
                          spec->bootstrap);
    return sc_run_write(rc, SC_RES_CONTRASTS, b, err);
}

/* Every category of every (metric, contrast attribute) gets a mean, and
 * every category pair a row (in file order) with its family; the rows'
 * means come later (fill_row), once the means are computed. */
static void plan(con_job *job)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    size_t im = 0, ir = 0;
    for (size_t k = 0; k < rc->M; k++)
        for (size_t g = 0; g < spec->ncontrasts; g++) {
            size_t a = attr_index(job->sets, spec->contrasts[g].attribute);
            const run_attr *at = &job->sets->attrs[a];
            for (size_t c = 0; c < at->ncat; c++) {
                cmean *cm = &job->means[im++];
                cm->k = k;
                cm->attr = a;
                cm->c = c;
                cm->n = count_cat(at, rc->m, c);
                cm->u = k * spec->ncontrasts + g;
            }
            for (size_t c1 = 0; c1 < at->ncat; c1++)
                for (size_t c2 = c1 + 1; c2 < at->ncat; c2++) {
                    job->rgroup[ir] =
                        sc_run_family(spec, k, g, spec->ncontrasts, 0, 1);
                    job->runit[ir] = k * spec->ncontrasts + g;
                    run_contrast_row *row = &job->rows[ir++];
                    row->k = k;
                    row->attr = a;
                    row->c1 = c1;
                    row->c2 = c2;
                }
        }
}

/* The row of categories c1 < c2: sizes, and the two means with their CIs
 * and notes. */
static void fill_row(const con_job *job, run_contrast_row *row)
{
    const run_attr *at = &job->sets->attrs[row->attr];
    row->n1 = count_cat(at, job->rc->m, row->c1);
    row->n2 = count_cat(at, job->rc->m, row->c2);
    row->note[0] = '\0';
    for (size_t t = 0; t < job->nmeans; t++) {
        const cmean *cm = &job->means[t];
        if (cm->k != row->k || cm->attr != row->attr)
            continue;
        if (cm->c == row->c1) {
            row->mean1 = cm->est;
            row->m1lo = cm->lo;
            row->m1hi = cm->hi;
        } else if (cm->c == row->c2) {
            row->mean2 = cm->est;
            row->m2lo = cm->lo;
            row->m2hi = cm->hi;
        } else {
            continue;
        }
        if (cm->note[0] != '\0')
            sc_note_add(row->note, sizeof row->note, "%s", cm->note);
    }
}

static void write_row(sc_buf *b, const con_job *job,
                      const run_contrast_row *row)
{
    const sc_spec *spec = job->rc->spec;
    const run_attr *at = &job->sets->attrs[row->attr];
    sc_buf_printf(b, "%s,%s,%s,%s,%zu,%zu,", job->rc->metrics[row->k].sm->name,
                  at->name, at->cats[row->c1], at->cats[row->c2], row->n1,
                  row->n2);
    const double v[] = {row->mean1, row->mean2, row->effect, row->lo,
                        row->hi,    row->p,     row->q};
    for (size_t c = 0; c < sizeof v / sizeof v[0]; c++) {
        sc_fmt_num(b, v[c]);
        sc_buf_puts(b, ",");
    }
    sc_fmt_draws(b, spec, job->rc->m, row->seed,
                 !isnan(row->lo) ? SC_CI_JACKKNIFE_T : "none", row->n_perm);
    const double w[] = {row->m1lo, row->m1hi, row->m2lo, row->m2hi,
                        row->null_mean};
    for (size_t c = 0; c < 5; c++) {
        sc_buf_puts(b, ",");
        sc_fmt_num(b, w[c]);
    }
    sc_buf_printf(b, ",%zu,", row->n_perm);
    sc_fmt_text(b, row->note);
    sc_buf_puts(b, "\n");
}

/* Family of row k, as plan_rows recorded it (metric x attribute, or
 * metric). */
static size_t group_of(size_t k, const void *ud)
{
    return ((const size_t *)ud)[k];
}

/* The rows and means of every (metric, contrast), planned; nothing
 * computed yet. job->rows is the caller's to free (con_free leaves it). */
static int con_setup(con_job *job, sc_runctx *rc, const run_sets *sets,
                     sc_err *err)
{
    const sc_spec *spec = rc->spec;
    memset(job, 0, sizeof *job);
    job->rc = rc;
    job->sets = sets;
    for (size_t k = 0; k < rc->M; k++)
        for (size_t g = 0; g < spec->ncontrasts; g++) {
            const run_attr *at =
                &sets->attrs[attr_index(sets, spec->contrasts[g].attribute)];
            job->nmeans += at->ncat;
            job->nrows += at->ncat * (at->ncat - (at->ncat > 0)) / 2;
        }
    job->nunits = rc->M * spec->ncontrasts;
    job->sims = sc_malloc((rc->M * rc->D + 1) * sizeof *job->sims);
    job->means = sc_calloc(job->nmeans + 1, sizeof *job->means);
    job->rows = sc_calloc(job->nrows + 1, sizeof *job->rows);
    job->rgroup = sc_calloc(2 * job->nrows + 1, sizeof *job->rgroup);
    if (job->sims == NULL || job->means == NULL || job->rows == NULL ||
        job->rgroup == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    job->runit = job->rgroup + job->nrows;
    for (size_t k = 0; k < rc->M * rc->D; k++)
        job->sims[k] = &rc->sims[k];
    plan(job);
    return SC_OK;
}

static void con_free(con_job *job)
{
    sc_free(job->rgroup);
    sc_free(job->sims);
    sc_free(job->means);
}

/* The category means, then the rows, of the units with sel[u]. The one
 * place they are computed, for the whole run and for a chunk task alike:
 * every value depends only on the unit's matrices, labels and seeds. */
static int con_compute(con_job *job, const bool *sel, sc_err *err)
{
    job->sel = sel;
    job->rows_phase = false;
    int st = sc_run_parallel(job->rc, job->nmeans, con_task, job,
                             "contrast means", err);
    if (st == SC_OK) {
        for (size_t r = 0; r < job->nrows; r++)
            if (sel[job->runit[r]])
                fill_row(job, &job->rows[r]);
        job->rows_phase = true;
        st = sc_run_parallel(job->rc, job->nrows, con_task, job, "contrasts",
                             err);
    }
    return st;
}

/* ## Units in the task cache (run_plan.h)
 *
 * Unit u = (metric k, contrast g), u = k * ncontrasts + g: the rows of
 * every category pair of g's attribute, with the category means. Key: the
 * metric's matrices of every dataset, the statistics settings, the seed,
 * the names the rows' seeds are made from and the attribute's labels. */

#ifndef SC_VERSION
#define SC_VERSION "unknown"
#endif
#define UNIT_MAGIC "simcon contrast rows v1"
#define UNIT_STAGE "contrasts"
#define UNIT_PATH_CAP 4608

static int unit_path(const con_job *job, size_t u, char *buf, size_t cap,
                     sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    size_t k = u / spec->ncontrasts, g = u % spec->ncontrasts;
    const run_attr *at =
        &job->sets->attrs[attr_index(job->sets, spec->contrasts[g].attribute)];
    sc_buf b = {0};
    sc_buf_printf(&b, "%s\nsimcon\t%s\n", UNIT_MAGIC, SC_VERSION);
    for (size_t d = 0; d < rc->D; d++)
        sc_buf_printf(&b, "s\t%s\n", rc->sim_key[k * rc->D + d]);
    sc_buf_printf(&b,
                  "corr %d perm %zu boot %zu interval %d ci %.17g seed %u\n",
                  spec->consistency_corr, spec->permutations, spec->bootstrap,
                  spec->interval, spec->ci, (unsigned)spec->seed);
    sc_buf_printf(&b, "metric\t%s\nattribute\t%s\n", rc->metrics[k].sm->name,
                  at->name);
    for (size_t c = 0; c < at->ncat; c++)
        sc_buf_printf(&b, "category\t%s\n", at->cats[c]);
    for (size_t i = 0; i < rc->m; i++)
        sc_buf_printf(&b, "model\t%s\t%zu\n", spec->models[i].name,
                      at->label[i]);
    int st = sc_buf_check(&b, "a contrast unit's key", err);
    if (st == SC_OK)
        st = sc_run_unit_path(rc, UNIT_STAGE, &b, buf, cap, err);
    sc_buf_deinit(&b);
    return st;
}

/* The numbers of a row in a unit file, in this order. */
static void row_values(const run_contrast_row *row, double v[11], size_t z[4])
{
    const double dv[11] = {row->mean1, row->mean2, row->m1lo,     row->m1hi,
                           row->m2lo,  row->m2hi,  row->effect,   row->lo,
                           row->hi,    row->p,     row->null_mean};
    memcpy(v, dv, sizeof dv);
    z[0] = row->n1;
    z[1] = row->n2;
    z[2] = row->n_perm;
    z[3] = row->seed;
}

static size_t unit_rows(const con_job *job, size_t u)
{
    size_t n = 0;
    for (size_t r = 0; r < job->nrows; r++)
        n += job->runit[r] == u;
    return n;
}

/* Unit u's rows from the task cache, or false (rows untouched but for
 * the stats fields of a partly parsed file, which are then recomputed). */
static bool unit_load(void *ud, size_t u)
{
    con_job *job = ud;
    char path[UNIT_PATH_CAP], head[128];
    sc_err ignored;
    if (job->rc->opts.task_dir == NULL ||
        unit_path(job, u, path, sizeof path, &ignored) != SC_OK)
        return false;
    snprintf(head, sizeof head, "%s\t%zu\n", UNIT_MAGIC, unit_rows(job, u));
    char *text = sc_run_unit_read(path, head);
    if (text == NULL)
        return false;
    char *p = text + strlen(head);
    bool ok = true;
    for (size_t r = 0; r < job->nrows && ok; r++) {
        if (job->runit[r] != u)
            continue;
        run_contrast_row *row = &job->rows[r];
        double v[11];
        size_t z[4];
        ok = sc_run_unit_parse(&p, v, 11, z, 4, row->note, sizeof row->note);
        if (!ok)
            break;
        row->mean1 = v[0];
        row->mean2 = v[1];
        row->m1lo = v[2];
        row->m1hi = v[3];
        row->m2lo = v[4];
        row->m2hi = v[5];
        row->effect = v[6];
        row->lo = v[7];
        row->hi = v[8];
        row->p = v[9];
        row->null_mean = v[10];
        row->n1 = z[0];
        row->n2 = z[1];
        row->n_perm = z[2];
        row->seed = (uint32_t)z[3];
        row->q = NAN;
    }
    ok = ok && *p == '\0';
    sc_free(text);
    return ok;
}

/* Unit u's rows into the task cache, with one atomic rename. */
static int unit_store(const void *ud, size_t u, sc_err *err)
{
    const con_job *job = ud;
    char path[UNIT_PATH_CAP];
    int st = unit_path(job, u, path, sizeof path, err);
    sc_buf b = {0};
    sc_buf_printf(&b, "%s\t%zu\n", UNIT_MAGIC, unit_rows(job, u));
    for (size_t r = 0; r < job->nrows; r++)
        if (job->runit[r] == u) {
            double v[11];
            size_t z[4];
            row_values(&job->rows[r], v, z);
            sc_run_unit_row(&b, v, 11, z, 4, job->rows[r].note);
        }
    if (st == SC_OK)
        st = sc_buf_check(&b, path, err);
    if (st == SC_OK)
        st = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return st;
}

int sc_run_contrasts_units(sc_runctx *rc, const run_sets *sets, size_t u0,
                           size_t u1, size_t *computed, size_t *cached,
                           sc_err *err)
{
    *computed = *cached = 0;
    if (rc->D < 2)
        return SC_OK;
    con_job job;
    int st = con_setup(&job, rc, sets, err);
    sc_run_units us = {job.nunits, u0,   u1, unit_load, unit_store,
                       &job,       NULL, 0,  0};
    if (st == SC_OK)
        st = sc_run_units_select(rc, &us, SC_PLAN_CONTRASTS, NULL, err);
    if (st == SC_OK)
        st = con_compute(&job, us.sel, err);
    if (st == SC_OK)
        st = sc_run_units_store(&us, err);
    *computed = us.computed;
    *cached = us.cached;
    sc_free(us.sel);
    sc_free(job.rows);
    con_free(&job);
    return st;
}

int sc_run_contrasts(sc_runctx *rc, const run_sets *sets, run_contrasts *out,
                     sc_err *err)
{
    const sc_spec *spec = rc->spec;
    sc_buf b = {0};
    sc_buf_puts(&b, SC_HDR_CONTRASTS "\n");
    if (rc->D < 2) {
        int st = write_one_dataset(rc, &b, err);
        sc_buf_deinit(&b);
        return st;
    }
    con_job job;
    int st = con_setup(&job, rc, sets, err);
    /* Units that tasks of a plan finished are read, the rest computed. */
    sc_run_units us = {job.nunits, 0,    job.nunits, unit_load, unit_store,
                       &job,       NULL, 0,          0};
    if (st == SC_OK)
        st = sc_run_units_select(rc, &us, SC_PLAN_CONTRASTS, "contrast unit(s)",
                                 err);
    if (st == SC_OK)
        st = con_compute(&job, us.sel, err);
    if (st == SC_OK)
        st = sc_run_adjust_rows(job.rows, job.nrows, sizeof *job.rows,
                                offsetof(run_contrast_row, p),
                                offsetof(run_contrast_row, q), group_of,
                                job.rgroup, spec->correction, err);
    for (size_t r = 0; st == SC_OK && r < job.nrows; r++)
        write_row(&b, &job, &job.rows[r]);
    if (st == SC_OK)
        st = sc_run_write(rc, SC_RES_CONTRASTS, &b, err);
    out->rows = job.rows; /* freed by the caller, also on failure */
    out->n = st == SC_OK ? job.nrows : 0;
    sc_free(us.sel);
    con_free(&job);
    sc_buf_deinit(&b);
    return st;
}
