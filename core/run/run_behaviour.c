/* Stage 4 of `simcon run`: representational similarity vs behaviour.
 *
 * Per metric k and dataset d (paper; docs/FORMULAS.md): with acc the
 * linear-probe accuracies (behaviour.accuracy, read by sc_behaviour_load)
 * and G_d[i,j] = |acc_i - acc_j|,
 *   r = corr({S_d[i,j]}, {G_d[i,j]}) over all model pairs i < j
 * (analyses.behaviour.correlation; expected negative: similar models
 * behave alike).
 * - p: Mantel test, two-sided (the sign is an empirical question here),
 *   permuting the models of the gap matrix jointly in rows and columns.
 * - CI: the jackknife-z interval over models (sc_consistency with b = G_d,
 *   from SC_MIN_CI_MODELS models); with statistics.over: stimuli none (the
 *   percentile interval of corr(S_d^(r), G_d) over stage 1's stimulus
 *   replicates is not validated: sc_run_corr_ci, stat_limits.h).
 * - Rows dataset = "mean:<domain>" (each non-empty domain, in first
 *   appearance order) and "mean:all": the mean of the per-dataset r over
 *   the datasets of the domain. CI: bootstrap over those datasets
 *   (percentile/BCa as the spec says; needs >= 2 datasets, else NA).
 *   p: one permutation of the model labels per replicate, applied to every
 *   dataset's gap matrix, and the mean recomputed (two-sided).
 * - q: the spec's correction within a family (statistics.family:
 *   question: dataset rows and mean rows of a metric separately; metric:
 *   all rows of one metric). p is exact over m! permutations when m! <= B;
 *   the two-sided label-permutation p of the means doubles the smaller
 *   tail. A CI needs SC_MIN_CI_MODELS models (per dataset, over models) or
 *   SC_MIN_CI_DATASETS datasets (means); else NA with a note.
 * Seeds: sc_rng_task_seed(seed, "behaviour/<metric>/<dataset>") and
 * ".../mean:<domain>". Also writes behaviour/<dataset>/gap.csv (G_d in the
 * similarity CSV format) for the figures.
 *
 * behaviour.csv columns: metric,dataset,domain,n_pairs,r,ci_lo,ci_hi,p,q,
 * B,seed,ci_method,n_perm,note. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inputs.h"
#include "mem.h"
#include "rng.h"
#include "results_schema.h"
#include "run_internal.h"
#include "run_plan.h"
#include "simcsv.h"

typedef struct beh_row {
    size_t k;
    size_t d;        /* dataset, or SIZE_MAX for a mean row            */
    const char *dom; /* mean rows: the domain ("" = all)                */
    size_t nds;      /* mean rows: datasets averaged                    */
    size_t *ds;      /* mean rows: their indices (owned)                */
    double r, lo, hi, p, q;
    size_t n_perm; /* permutations behind p (0: no p) */
    uint32_t seed;
    char note[512]; /* why a value is NA */
} beh_row;

typedef struct beh_job {
    sc_runctx *rc;
    sc_matrix *gap; /* D gap matrices */
    sc_pairs all;
    beh_row *rows;
    size_t n;          /* rows: M x (D + domains + 1)                 */
    const char **doms; /* domains in first-appearance order            */
    const bool *sel;   /* n: rows to compute (the others are read)      */
    char acc_sha[SC_SHA256_HEX]; /* the accuracy table's SHA-256       */
} beh_job;

/* ## Mean over datasets */

typedef struct mean_ctx {
    const beh_job *job;
    const beh_row *row;
    const double *r_each; /* per-dataset r of row->ds (for the bootstrap) */
} mean_ctx;

static int mean_boot_stat(const size_t *idx, size_t n_idx, void *ud,
                          double *out, sc_err *err)
{
    (void)err;
    const mean_ctx *mc = ud;
    double s = 0;
    for (size_t t = 0; t < n_idx; t++)
        s += mc->r_each[idx[t]];
    *out = s / (double)n_idx;
    return SC_OK;
}

/* Permutation statistic: labels is a permutation of 0..m-1 (the identity
 * shuffled by sc_perm_labels); mean over the datasets of corr(S_d,
 * G_d[pi, pi]). */
static int mean_perm_stat(const size_t *labels, size_t m, void *ud, double *out,
                          sc_err *err)
{
    const mean_ctx *mc = ud;
    const sc_runctx *rc = mc->job->rc;
    const sc_pairs *pairs = &mc->job->all;
    double *x = sc_malloc(2 * pairs->n * sizeof *x);
    if (x == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    double *y = x + pairs->n, s = 0;
    int st = SC_OK;
    for (size_t t = 0; t < mc->row->nds && st == SC_OK; t++) {
        size_t d = mc->row->ds[t];
        const sc_matrix *S = &rc->sims[mc->row->k * rc->D + d];
        const sc_matrix *G = &mc->job->gap[d];
        for (size_t q = 0; q < pairs->n; q++) {
            size_t i = pairs->i[q], j = pairs->j[q];
            size_t pi = labels[i], pj = labels[j];
            x[q] = S->data[i * m + j];
            y[q] = G->data[pi < pj ? pi * m + pj : pj * m + pi];
        }
        double r;
        st = sc_corr(x, y, pairs->n, (sc_corr_method)rc->spec->behaviour_corr,
                     NULL, &r, err);
        s += r;
    }
    sc_free(x);
    if (st != SC_OK)
        return st;
    *out = s / (double)mc->row->nds;
    return SC_OK;
}

/* ## Tasks */

/* CI of a dataset row: over models, or from stage 1's stimulus replicates
 * against the fixed gaps. */
static int dataset_ci(const beh_job *job, beh_row *row, const sc_matrix *S,
                      const sc_matrix *G, sc_rng *rng, sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    sc_corr_method method = (sc_corr_method)spec->behaviour_corr;
    bool ci_ok = spec->over == SC_OVER_STIMULI || rc->m >= SC_MIN_CI_MODELS;
    if (spec->bootstrap == 0) {
        sc_note_add(row->note, sizeof row->note,
                    "no CI: statistics.bootstrap is 0");
        return SC_OK;
    }
    if (!ci_ok) {
        sc_note_add(row->note, sizeof row->note,
                    "too few models for a CI (%zu < %d)", rc->m,
                    SC_MIN_CI_MODELS);
        return SC_OK;
    }
    const double *reps = spec->over == SC_OVER_STIMULI
                             ? rc->boot_sims[row->k * rc->D + row->d]
                             : NULL;
    return sc_run_corr_ci(spec, S, G, reps, NULL, &job->all, method, rng,
                          &row->lo, &row->hi, row->note, sizeof row->note, err);
}

static int dataset_task(beh_job *job, beh_row *row, sc_err *err)
{
    sc_runctx *rc = job->rc;
    const sc_matrix *S = &rc->sims[row->k * rc->D + row->d];
    const sc_matrix *G = &job->gap[row->d];
    sc_corr_method method = (sc_corr_method)rc->spec->behaviour_corr;
    if (job->all.n < SC_MIN_CORR_PAIRS) {
        sc_note_add(row->note, sizeof row->note,
                    "fewer than %d pairs (%zu): no correlation",
                    SC_MIN_CORR_PAIRS, job->all.n);
        return SC_OK;
    }
    int st = sc_corr_pairs(S, G, &job->all, method, NULL, &row->r, err);
    if (st == SC_EDOM) { /* equal accuracies or constant similarity */
        row->r = NAN;
        sc_note_add(row->note, sizeof row->note,
                    "r undefined: equal accuracies or constant similarities");
        return SC_OK;
    }
    sc_rng rng = {0};
    if (st == SC_OK)
        st = sc_rng_init(&rng, row->seed, err);
    if (st == SC_OK)
        st =
            sc_run_mantel_p(rc->spec, S, G, &job->all, method, SC_ALT_TWO_SIDED,
                            &rng, "undefined under every permutation", &row->p,
                            &row->n_perm, row->note, sizeof row->note, err);
    if (st == SC_OK)
        st = dataset_ci(job, row, S, G, &rng, err);
    sc_rng_deinit(&rng);
    return st;
}

/* p and CI of a mean row: label permutation applied to every dataset's
 * gaps; bootstrap over the datasets. */
static int mean_p_ci(beh_row *row, mean_ctx *mc, sc_rng *rng, size_t *ident,
                     sc_err *err)
{
    const sc_runctx *rc = mc->job->rc;
    const sc_spec *spec = rc->spec;
    bool exact;
    int st = SC_OK;
    if (sc_run_p_wanted(spec, rc->m, &exact, row->note, sizeof row->note)) {
        for (size_t i = 0; i < rc->m; i++)
            ident[i] = i;
        sc_perm_opts po = {spec->permutations, SC_ALT_TWO_SIDED, exact};
        sc_perm_result pr;
        st = sc_perm_labels(ident, rc->m, mean_perm_stat, mc, &po,
                            exact ? NULL : rng, &pr, err);
        if (st == SC_OK) {
            row->p = pr.p;
            row->n_perm = pr.b;
        }
        st = sc_run_p_done(st, exact, row->n_perm,
                           "undefined under every permutation", row->note,
                           sizeof row->note);
    }
    if (st == SC_OK && spec->bootstrap == 0)
        sc_note_add(row->note, sizeof row->note,
                    "no CI: statistics.bootstrap is 0");
    else if (st == SC_OK && row->nds < SC_MIN_CI_DATASETS)
        sc_note_add(row->note, sizeof row->note,
                    "too few datasets for a CI of a mean (%zu < %d)", row->nds,
                    SC_MIN_CI_DATASETS);
    if (st == SC_OK && spec->bootstrap > 0 && row->nds >= SC_MIN_CI_DATASETS) {
        /* BCa's jackknife needs n_units >= 2, which holds here. */
        sc_ci_opts co = sc_run_ci_opts(spec);
        st = sc_boot_ci(row->nds, mean_boot_stat, mc, &co, rng, &row->lo,
                        &row->hi, err);
    }
    return st;
}

static int mean_task(beh_job *job, beh_row *row, sc_err *err)
{
    sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    double *r_each = sc_malloc((row->nds + 1) * sizeof *r_each);
    size_t *ident = sc_malloc((rc->m + 1) * sizeof *ident);
    int st = SC_OK;
    if (r_each == NULL || ident == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t t = 0; t < row->nds && st == SC_OK; t++) {
        size_t d = row->ds[t];
        st = sc_corr_pairs(&rc->sims[row->k * rc->D + d], &job->gap[d],
                           &job->all, (sc_corr_method)spec->behaviour_corr,
                           NULL, &r_each[t], err);
    }
    if (st == SC_EDOM) { /* one dataset undefined: the mean is too */
        sc_free(r_each);
        sc_free(ident);
        sc_note_add(row->note, sizeof row->note,
                    "r undefined on a dataset of the mean");
        return SC_OK;
    }
    double s = 0;
    for (size_t t = 0; t < row->nds && st == SC_OK; t++)
        s += r_each[t];
    if (st == SC_OK)
        row->r = s / (double)row->nds;
    mean_ctx mc = {job, row, r_each};
    sc_rng rng = {0};
    if (st == SC_OK)
        st = sc_rng_init(&rng, row->seed, err);
    if (st == SC_OK)
        st = mean_p_ci(row, &mc, &rng, ident, err);
    sc_rng_deinit(&rng);
    sc_free(r_each);
    sc_free(ident);
    return st;
}

static int beh_task(size_t t, void *ud, sc_err *err)
{
    beh_job *job = ud;
    if (!job->sel[t])
        return SC_OK;
    beh_row *row = &job->rows[t];
    row->r = row->lo = row->hi = row->p = row->q = NAN;
    row->n_perm = 0;
    row->note[0] = '\0';
    int st = row->d != SIZE_MAX ? dataset_task(job, row, err)
                                : mean_task(job, row, err);
    if (st != SC_OK)
        sc_err_prefix(err, "behaviour/%s/%s", job->rc->metrics[row->k].sm->name,
                      row->d != SIZE_MAX ? job->rc->spec->datasets[row->d].name
                                         : "mean");
    return st;
}

/* ## The stage */

static int write_gaps(const sc_runctx *rc, const sc_matrix *gap, sc_err *err)
{
    int st = SC_OK;
    sc_simmat sm = {0};
    sm.m = rc->m;
    sm.names = sc_calloc(rc->m, sizeof *sm.names);
    if (sm.names == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < rc->m; i++)
        sm.names[i] = rc->spec->models[i].name; /* borrowed */
    for (size_t d = 0; d < rc->D && st == SC_OK; d++) {
        char rel[1024];
        snprintf(rel, sizeof rel, SC_RES_BEHAVIOUR_DIR "/%s",
                 rc->spec->datasets[d].name);
        char *dir = sc_run_path(rc, rel);
        if (dir == NULL) {
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
            break;
        }
        st = sc_mkdir_p(dir, err);
        size_t cap = strlen(dir) + 16;
        char *path = sc_malloc(cap);
        if (st == SC_OK && path == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
        if (st == SC_OK) {
            snprintf(path, cap, "%s/" SC_RES_GAP, dir);
            sm.s = gap[d];
            st = sc_simcsv_write(path, &sm, err);
        }
        sc_free(path);
        sc_free(dir);
    }
    sc_free(sm.names);
    return st;
}

/* The accuracy table: its SHA-256 and the gap matrices G_d, written to
 * behaviour/<dataset>/gap.csv. */
static int load_gaps(beh_job *job, char accuracy_sha[SC_SHA256_HEX],
                     sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    size_t m = rc->m, D = rc->D;
    double *acc = sc_malloc((D * m + 1) * sizeof *acc);
    job->gap = sc_calloc(D + 1, sizeof *job->gap);
    int st = SC_OK;
    if (acc == NULL || job->gap == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        st = sc_behaviour_load(spec, acc, err);
    if (st == SC_OK)
        st = sc_sha256_file(spec->behaviour_accuracy, accuracy_sha, err);
    for (size_t d = 0; d < D && st == SC_OK; d++) {
        st = sc_matrix_init(&job->gap[d], m, m, err);
        for (size_t i = 0; i < m && st == SC_OK; i++)
            for (size_t j = 0; j < m; j++)
                job->gap[d].data[i * m + j] =
                    fabs(acc[d * m + i] - acc[d * m + j]);
    }
    sc_free(acc);
    /* A planned task has no output folder: assemble writes them. */
    if (st == SC_OK && rc->out != NULL)
        st = write_gaps(rc, job->gap, err);
    return st;
}

/* Domains in first-appearance order; "" (no domain) gets no mean row of
 * its own but counts in mean:all. */
static size_t list_domains(const sc_spec *spec, const char **doms)
{
    size_t ndom = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        const char *dm = spec->datasets[d].domain;
        if (dm == NULL || dm[0] == '\0')
            continue;
        size_t c = 0;
        while (c < ndom && strcmp(doms[c], dm) != 0)
            c++;
        if (c == ndom)
            doms[ndom++] = dm;
    }
    return ndom;
}

/* Row e of metric k: dataset e < D, else the mean over domain doms[e - D]
 * (or over all datasets), with its seed. */
static int plan_row(const beh_job *job, beh_row *row, size_t k, size_t e,
                    const char *const *doms, size_t ndom, sc_err *err)
{
    const sc_spec *spec = job->rc->spec;
    size_t D = job->rc->D;
    const char *mname = job->rc->metrics[k].sm->name;
    char task[1024];
    row->k = k;
    if (e < D) {
        row->d = e;
        snprintf(task, sizeof task, "behaviour/%s/%s", mname,
                 spec->datasets[e].name);
    } else {
        row->d = SIZE_MAX;
        row->dom = e < D + ndom ? doms[e - D] : "";
        row->ds = sc_malloc((D + 1) * sizeof *row->ds);
        if (row->ds == NULL)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        for (size_t d = 0; d < D; d++) {
            const char *dm = spec->datasets[d].domain;
            if (row->dom[0] == '\0' ||
                (dm != NULL && strcmp(dm, row->dom) == 0))
                row->ds[row->nds++] = d;
        }
        snprintf(task, sizeof task, "behaviour/%s/mean:%s", mname,
                 row->dom[0] ? row->dom : "all");
    }
    row->seed = sc_rng_task_seed(spec->seed, task);
    return SC_OK;
}

/* Family of row k: dataset rows and mean rows of a metric
 * (statistics.family: question) or all rows of a metric. */
static size_t beh_family(size_t k, const void *ud)
{
    const beh_job *job = ud;
    return sc_run_family(job->rc->spec, job->rows[k].k, 0, 1,
                         job->rows[k].d == SIZE_MAX, 2);
}

static void write_row(sc_buf *b, const beh_job *job, const beh_row *row)
{
    const sc_spec *spec = job->rc->spec;
    const char *mname = job->rc->metrics[row->k].sm->name;
    bool mean = row->d == SIZE_MAX;
    const char *ci = isnan(row->lo) ? "none"
                     : mean         ? sc_ci_name((sc_ci_method)spec->interval)
                     : spec->over == SC_OVER_STIMULI ? "percentile"
                                                     : SC_CI_JACKKNIFE_Z;
    if (mean)
        sc_buf_printf(b, "%s,mean:%s,%s,%zu,", mname,
                      row->dom[0] ? row->dom : "all", row->dom, job->all.n);
    else
        sc_buf_printf(
            b, "%s,%s,%s,%zu,", mname, spec->datasets[row->d].name,
            spec->datasets[row->d].domain ? spec->datasets[row->d].domain : "",
            job->all.n);
    const double v[] = {row->r, row->lo, row->hi, row->p, row->q};
    sc_fmt_stat_tail(b, v, spec, job->rc->m, row->seed, ci, row->n_perm,
                     row->note);
}

static int write_csv(const beh_job *job, size_t n, sc_err *err)
{
    sc_buf b = {0};
    sc_buf_puts(&b, SC_HDR_BEHAVIOUR "\n");
    for (size_t t = 0; t < n; t++)
        write_row(&b, job, &job->rows[t]);
    int st = sc_run_write(job->rc, SC_RES_BEHAVIOUR, &b, err);
    sc_buf_deinit(&b);
    return st;
}

/* Gaps, pairs, domains and every row planned with its seed; nothing
 * computed yet. */
static int beh_setup(beh_job *job, sc_runctx *rc, sc_err *err)
{
    size_t D = rc->D;
    memset(job, 0, sizeof *job);
    job->rc = rc;
    int st = load_gaps(job, job->acc_sha, err);
    if (st == SC_OK)
        st = sc_pairs_init_all(&job->all, rc->m, err);
    job->doms = sc_calloc(D + 1, sizeof *job->doms);
    size_t ndom = 0;
    if (st == SC_OK && job->doms == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        ndom = list_domains(rc->spec, job->doms);
    size_t per_metric = D + ndom + 1;
    if (st == SC_OK) {
        job->n = rc->M * per_metric;
        job->rows = sc_calloc(job->n + 1, sizeof *job->rows);
        if (job->rows == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        for (size_t e = 0; e < per_metric && st == SC_OK; e++)
            st = plan_row(job, &job->rows[k * per_metric + e], k, e, job->doms,
                          ndom, err);
    return st;
}

static void beh_free(beh_job *job)
{
    if (job->rows != NULL)
        for (size_t t = 0; t < job->n; t++)
            sc_free(job->rows[t].ds);
    sc_free(job->rows);
    sc_free(job->doms);
    sc_pairs_deinit(&job->all);
    if (job->gap != NULL)
        for (size_t d = 0; d < job->rc->D; d++)
            sc_matrix_deinit(&job->gap[d]);
    sc_free(job->gap);
}

/* ## Rows in the task cache (run_plan.h)
 *
 * Unit t = row t of the table. Key: the matrices of the row's datasets,
 * the accuracy table's SHA-256, the statistics settings, the seed and the
 * names its seed is made from. */

#ifndef SC_VERSION
#define SC_VERSION "unknown"
#endif
#define UNIT_MAGIC "simcon behaviour row v1"
#define UNIT_PATH_CAP 4608

static int unit_path(const beh_job *job, size_t t, char *buf, size_t cap,
                     sc_err *err)
{
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    const beh_row *row = &job->rows[t];
    sc_buf b = {0};
    sc_buf_printf(&b, "%s\nsimcon\t%s\naccuracy\t%s\n", UNIT_MAGIC, SC_VERSION,
                  job->acc_sha);
    size_t nds = row->d != SIZE_MAX ? 1 : row->nds;
    for (size_t i = 0; i < nds; i++) {
        size_t d = row->d != SIZE_MAX ? row->d : row->ds[i];
        sc_buf_printf(&b, "s\t%s\t%s\n", spec->datasets[d].name,
                      rc->sim_key[row->k * rc->D + d]);
    }
    sc_buf_printf(&b,
                  "corr %d perm %zu boot %zu interval %d ci %.17g over %d "
                  "seed %u\n",
                  spec->behaviour_corr, spec->permutations, spec->bootstrap,
                  spec->interval, spec->ci, (int)spec->over,
                  (unsigned)spec->seed);
    sc_buf_printf(&b, "metric\t%s\nrow\t%s%s\n", rc->metrics[row->k].sm->name,
                  row->d != SIZE_MAX ? spec->datasets[row->d].name : "mean:",
                  row->d != SIZE_MAX ? "" : row->dom);
    for (size_t i = 0; i < rc->m; i++)
        sc_buf_printf(&b, "model\t%s\n", spec->models[i].name);
    int st = sc_buf_check(&b, "a behaviour unit's key", err);
    if (st == SC_OK)
        st = sc_run_unit_path(rc, "behaviour", &b, buf, cap, err);
    sc_buf_deinit(&b);
    return st;
}

/* Row t from the task cache, or false. */
static bool unit_load(void *ud, size_t t)
{
    beh_job *job = ud;
    char path[UNIT_PATH_CAP];
    sc_err ignored;
    if (job->rc->opts.task_dir == NULL ||
        unit_path(job, t, path, sizeof path, &ignored) != SC_OK)
        return false;
    char *text = sc_run_unit_read(path, UNIT_MAGIC "\n");
    if (text == NULL)
        return false;
    beh_row *row = &job->rows[t];
    char *p = text + strlen(UNIT_MAGIC "\n");
    double v[4];
    size_t z[2];
    bool ok = sc_run_unit_parse(&p, v, 4, z, 2, row->note, sizeof row->note) &&
              *p == '\0';
    sc_free(text);
    if (ok) {
        row->r = v[0];
        row->lo = v[1];
        row->hi = v[2];
        row->p = v[3];
        row->q = NAN;
        row->n_perm = z[0];
        row->seed = (uint32_t)z[1];
    }
    return ok;
}

static int unit_store(const void *ud, size_t t, sc_err *err)
{
    const beh_job *job = ud;
    char path[UNIT_PATH_CAP];
    const beh_row *row = &job->rows[t];
    int st = unit_path(job, t, path, sizeof path, err);
    sc_buf b = {0};
    sc_buf_puts(&b, UNIT_MAGIC "\n");
    const double v[4] = {row->r, row->lo, row->hi, row->p};
    const size_t z[2] = {row->n_perm, row->seed};
    sc_run_unit_row(&b, v, 4, z, 2, row->note);
    if (st == SC_OK)
        st = sc_buf_check(&b, path, err);
    if (st == SC_OK)
        st = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return st;
}

int sc_run_behaviour_units(sc_runctx *rc, size_t u0, size_t u1,
                           size_t *computed, size_t *cached, sc_err *err)
{
    beh_job job;
    int st = beh_setup(&job, rc, err);
    sc_run_units us = {job.n, u0, u1, unit_load, unit_store, &job, NULL, 0, 0};
    if (st == SC_OK)
        st = sc_run_units_select(rc, &us, SC_PLAN_BEHAVIOUR, NULL, err);
    job.sel = us.sel;
    if (st == SC_OK)
        st = sc_run_parallel(rc, job.n, beh_task, &job, "behaviour", err);
    if (st == SC_OK)
        st = sc_run_units_store(&us, err);
    *computed = us.computed;
    *cached = us.cached;
    sc_free(us.sel);
    beh_free(&job);
    return st;
}

int sc_run_behaviour(sc_runctx *rc, char accuracy_sha[SC_SHA256_HEX],
                     sc_err *err)
{
    beh_job job;
    int st = beh_setup(&job, rc, err);
    memcpy(accuracy_sha, job.acc_sha, SC_SHA256_HEX);
    /* Rows that tasks of a plan finished are read, the rest computed. */
    sc_run_units us = {job.n, 0,    job.n, unit_load, unit_store,
                       &job,  NULL, 0,     0};
    if (st == SC_OK)
        st = sc_run_units_select(rc, &us, SC_PLAN_BEHAVIOUR, "behaviour row(s)",
                                 err);
    job.sel = us.sel;
    if (st == SC_OK)
        st = sc_run_parallel(rc, job.n, beh_task, &job, "behaviour", err);
    if (st == SC_OK)
        st = sc_run_adjust_rows(job.rows, job.n, sizeof *job.rows,
                                offsetof(beh_row, p), offsetof(beh_row, q),
                                beh_family, &job, rc->spec->correction, err);
    if (st == SC_OK)
        st = write_csv(&job, job.n, err);
    sc_free(us.sel);
    beh_free(&job);
    return st;
}
