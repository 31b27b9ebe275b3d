/* Stage 5 of `simcon run`: summary tables as the paper reports them, plus
 * the formatting helpers every table uses.
 *
 * Files (CSV keeps full precision "%.17g"; Markdown and LaTeX show two
 * decimals, estimates as "0.71 [0.65, 0.77]", p/q as "<0.001" or three
 * decimals, through the one formatter of core/report/format.h):
 * - models.csv (model,<attributes...>) and datasets.csv (dataset,domain):
 *   the spec's metadata, for the figures (core/report/plot.h) and for readers.
 * - tables/similarity_summary_<metric>.csv|md|tex: per model pair, mean
 *   and standard deviation (n-1 denominator, gsl_stats_sd) of the pair's
 *   similarity across the datasets (paper, fig. 2 summaries). Descriptive:
 *   no CI.
 * - tables/consistency_matrix_<metric>.csv|md|tex: the D x D matrix of
 *   consistency over all model pairs (diagonal 1 by definition); MD/TeX
 *   cells show r [CI] from consistency.csv.
 * - tables/consistency_by_<attribute>.csv|md|tex (headline): per metric and
 *   category pair of the attribute, the distribution of consistency over
 *   the dataset pairs: median with a bootstrap CI over models (the median
 *   recomputed on each model resample; task "median/<metric>/<set>"),
 *   quartiles q1, q3 (type 7, as numpy's default), and a note (no CI below
 *   SC_MIN_CI_MODELS models per side); then the attribute's contrasts
 *   (effect [CI], null mean, p, q, note) from contrasts.csv.
 * Undefined values are empty CSV fields and "NA" in Markdown/LaTeX; the
 * note column says why. */
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "mem.h"
#include "quartiles.h"
#include "rng.h"
#include "run_internal.h"

/* ## Formatting */

void sc_fmt_num(sc_buf *b, double v)
{
    if (!isnan(v))
        sc_buf_printf(b, "%.17g", v);
}

void sc_tex_escape(sc_buf *b, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '\\':
            sc_buf_puts(b, "\\textbackslash{}");
            break;
        case '&':
            sc_buf_puts(b, "\\&");
            break;
        case '%':
            sc_buf_puts(b, "\\%");
            break;
        case '$':
            sc_buf_puts(b, "\\$");
            break;
        case '#':
            sc_buf_puts(b, "\\#");
            break;
        case '_':
            sc_buf_puts(b, "\\_");
            break;
        case '{':
            sc_buf_puts(b, "\\{");
            break;
        case '}':
            sc_buf_puts(b, "\\}");
            break;
        case '~':
            sc_buf_puts(b, "\\textasciitilde{}");
            break;
        case '^':
            sc_buf_puts(b, "\\textasciicircum{}");
            break;
        case '|':
            sc_buf_puts(b, "\\textbar{}");
            break;
        case '<':
            sc_buf_puts(b, "\\textless{}");
            break;
        case '>':
            sc_buf_puts(b, "\\textgreater{}");
            break;
        default:
            sc_buf_printf(b, "%c", *c);
        }
    }
}

void sc_md_escape(sc_buf *b, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '|')
            sc_buf_puts(b, "\\|");
        else
            sc_buf_printf(b, "%c", *c);
    }
}

void sc_table_md(sc_buf *b, const sc_table *t)
{
    if (t->caption != NULL)
        sc_buf_printf(b, "%s\n\n", t->caption);
    sc_buf_puts(b, "|");
    for (size_t c = 0; c < t->ncols; c++) {
        sc_buf_puts(b, " ");
        sc_md_escape(b, t->header[c]);
        sc_buf_puts(b, " |");
    }
    sc_buf_puts(b, "\n|");
    for (size_t c = 0; c < t->ncols; c++)
        sc_buf_puts(b, c == 0 ? ":---|" : "---:|");
    sc_buf_puts(b, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        sc_buf_puts(b, "|");
        for (size_t c = 0; c < t->ncols; c++) {
            sc_buf_puts(b, " ");
            sc_md_escape(b, t->cells[r * t->ncols + c]);
            sc_buf_puts(b, " |");
        }
        sc_buf_puts(b, "\n");
    }
}

static void tex_cell(sc_buf *b, const char *cell)
{
    if (cell[0] == '$') {
        sc_buf_puts(b, cell);
    } else if (cell[0] == '<') { /* "<0.001" from sc_fmt_p: math-mode < */
        sc_buf_puts(b, "$<$");
        sc_tex_escape(b, cell + 1);
    } else {
        sc_tex_escape(b, cell);
    }
}

void sc_table_tex(sc_buf *b, const sc_table *t)
{
    if (t->caption != NULL) {
        sc_buf_puts(b, "% ");
        sc_buf_puts(b, t->caption);
        sc_buf_puts(b, "\n");
    }
    sc_buf_puts(b, "\\begin{tabular}{l");
    for (size_t c = 1; c < t->ncols; c++)
        sc_buf_puts(b, "r");
    sc_buf_puts(b, "}\n\\toprule\n");
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            sc_buf_puts(b, " & ");
        tex_cell(b, t->header[c]);
    }
    sc_buf_puts(b, " \\\\\n\\midrule\n");
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                sc_buf_puts(b, " & ");
            tex_cell(b, t->cells[r * t->ncols + c]);
        }
        sc_buf_puts(b, " \\\\\n");
    }
    sc_buf_puts(b, "\\bottomrule\n\\end{tabular}\n");
}

/* ## Cell storage: a grid of owned strings, appended in row-major order
 * (rows = filled / ncols). After an allocation failure `failed` stays set
 * and later cells are dropped; writers check it once. */

typedef struct rowgrid {
    size_t ncols, filled, cap;
    char **cells;
    bool failed;
} rowgrid;

static void rg_cell(rowgrid *rg, const char *text)
{
    size_t n = rg->filled;
    if (rg->failed)
        return;
    if (n + 1 > rg->cap) {
        size_t cap = rg->cap ? 2 * rg->cap : 64;
        char **p = sc_realloc(rg->cells, cap * sizeof *p);
        if (p == NULL) {
            rg->failed = true;
            return;
        }
        rg->cells = p;
        rg->cap = cap;
    }
    rg->cells[n] = sc_strdup(text);
    if (rg->cells[n] == NULL) {
        rg->failed = true;
        return;
    }
    rg->filled++;
}

static void rg_free(rowgrid *rg)
{
    for (size_t k = 0; k < rg->filled; k++)
        sc_free(rg->cells[k]);
    sc_free(rg->cells);
    rg->cells = NULL;
}

/* Write <base>.md and <base>.tex for the grid. */
static int write_display(const sc_runctx *rc, const char *base,
                         const char *const *header, size_t ncols, rowgrid *rg,
                         const char *caption, const char *md_extra,
                         const char *tex_extra, sc_err *err)
{
    if (rg->failed)
        return sc_err_set(err, SC_ENOMEM, "out of memory formatting %s", base);
    sc_table t = {ncols, rg->filled / ncols, header,
                  (const char *const *)rg->cells, caption};
    sc_buf md = {0}, tex = {0};
    sc_table_md(&md, &t);
    if (md_extra != NULL)
        sc_buf_puts(&md, md_extra);
    sc_table_tex(&tex, &t);
    if (tex_extra != NULL)
        sc_buf_puts(&tex, tex_extra);
    char rel[1024];
    snprintf(rel, sizeof rel, "%s.md", base);
    int st = sc_run_write(rc, rel, &md, err);
    snprintf(rel, sizeof rel, "%s.tex", base);
    if (st == SC_OK)
        st = sc_run_write(rc, rel, &tex, err);
    sc_buf_deinit(&md);
    sc_buf_deinit(&tex);
    return st;
}

/* ## models.csv, datasets.csv */

static int write_metadata(const sc_runctx *rc, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    sc_buf b = {0};
    /* Columns: every metadata key in first-appearance order. */
    const char **keys = sc_calloc(64 + 1, sizeof *keys);
    size_t nkeys = 0, capk = 64;
    if (keys == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < rc->m; i++)
        for (size_t t = 0; t < spec->models[i].nmeta; t++) {
            const char *k = spec->models[i].meta[t].key;
            size_t c = 0;
            while (c < nkeys && strcmp(keys[c], k) != 0)
                c++;
            if (c < nkeys)
                continue;
            if (nkeys == capk) {
                const char **p = sc_realloc(keys, 2 * capk * sizeof *p);
                if (p == NULL) {
                    sc_free(keys);
                    return sc_err_set(err, SC_ENOMEM, "out of memory");
                }
                keys = p;
                capk *= 2;
            }
            keys[nkeys++] = k;
        }
    sc_buf_puts(&b, "model");
    for (size_t c = 0; c < nkeys; c++)
        sc_buf_printf(&b, ",%s", keys[c]);
    sc_buf_puts(&b, "\n");
    for (size_t i = 0; i < rc->m; i++) {
        sc_buf_puts(&b, spec->models[i].name);
        for (size_t c = 0; c < nkeys; c++) {
            const char *v = sc_spec_model_meta(&spec->models[i], keys[c]);
            sc_buf_printf(&b, ",%s", v != NULL ? v : "");
        }
        sc_buf_puts(&b, "\n");
    }
    sc_free(keys);
    int st = sc_run_write(rc, "models.csv", &b, err);
    sc_buf_deinit(&b);
    if (st != SC_OK)
        return st;
    sc_buf_puts(&b, "dataset,domain,n_stimuli,n_used\n");
    for (size_t d = 0; d < rc->D; d++)
        sc_buf_printf(&b, "%s,%s,%zu,%zu\n", spec->datasets[d].name,
                      spec->datasets[d].domain ? spec->datasets[d].domain : "",
                      rc->n_rows[d], rc->n_used[d]);
    st = sc_run_write(rc, "datasets.csv", &b, err);
    sc_buf_deinit(&b);
    return st;
}

/* ## Similarity summary */

static int similarity_summary(const sc_runctx *rc, size_t k, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t m = rc->m, D = rc->D;
    const char *mname = rc->metrics[k].sm->name;
    double *v = sc_malloc((D + 1) * sizeof *v);
    if (v == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    sc_buf csv = {0};
    rowgrid rg = {3, 0, 0, NULL, false};
    sc_buf_puts(&csv, "model_a,model_b,mean,std,n_datasets,note\n");
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            for (size_t d = 0; d < D; d++)
                v[d] = rc->sims[k * D + d].data[i * m + j];
            double mean = gsl_stats_mean(v, 1, D);
            double sd = D >= 2 ? gsl_stats_sd_m(v, 1, D, mean) : (double)NAN;
            sc_buf_printf(&csv, "%s,%s,", spec->models[i].name,
                          spec->models[j].name);
            sc_fmt_num(&csv, mean);
            sc_buf_puts(&csv, ",");
            sc_fmt_num(&csv, sd);
            sc_buf_printf(&csv, ",%zu,%s\n", D,
                          D < 2 ? "one dataset: no sd" : "");
            char cell[256], a[64], s[64];
            sc_fmt_fixed(a, sizeof a, mean, 2);
            if (isnan(sd))
                snprintf(cell, sizeof cell, "%s", a);
            else {
                sc_fmt_fixed(s, sizeof s, sd, 2);
                snprintf(cell, sizeof cell, "%s ± %s", a, s);
            }
            rg_cell(&rg, spec->models[i].name);
            rg_cell(&rg, spec->models[j].name);
            rg_cell(&rg, cell);
        }
    sc_free(v);
    char base[1024], rel[1100], caption[1200];
    snprintf(base, sizeof base, "tables/similarity_summary_%s", mname);
    snprintf(rel, sizeof rel, "%s.csv", base);
    snprintf(caption, sizeof caption,
             "Similarity (%s) of each model pair: mean ± sd over %zu "
             "datasets.",
             mname, D);
    int st = sc_run_write(rc, rel, &csv, err);
    const char *const header[] = {"model a", "model b", "mean ± sd"};
    if (st == SC_OK) {
        /* TeX cannot take a raw ±; the TeX file gets its own cells. */
        rowgrid tg = {3, 0, 0, NULL, false};
        for (size_t c = 0; c < rg.filled; c++) {
            const char *cell = rg.cells[c];
            const char *pm = strstr(cell, " ± ");
            if (c % 3 == 2 && pm != NULL) {
                char t[160];
                snprintf(t, sizeof t, "$%.*s \\pm %s$", (int)(pm - cell), cell,
                         pm + strlen(" ± "));
                rg_cell(&tg, t);
            } else {
                rg_cell(&tg, cell);
            }
        }
        sc_buf md = {0}, tex = {0};
        sc_table t = {3, rg.filled / 3, header, (const char *const *)rg.cells,
                      caption};
        const char *const theader[] = {"model a", "model b", "mean $\\pm$ sd"};
        sc_table tt = {3, tg.filled / 3, theader, (const char *const *)tg.cells,
                       caption};
        if (rg.failed || tg.failed)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
        if (st == SC_OK) {
            sc_table_md(&md, &t);
            sc_table_tex(&tex, &tt);
            snprintf(rel, sizeof rel, "%s.md", base);
            st = sc_run_write(rc, rel, &md, err);
        }
        if (st == SC_OK) {
            snprintf(rel, sizeof rel, "%s.tex", base);
            st = sc_run_write(rc, rel, &tex, err);
        }
        sc_buf_deinit(&md);
        sc_buf_deinit(&tex);
        rg_free(&tg);
    }
    sc_buf_deinit(&csv);
    rg_free(&rg);
    return st;
}

/* ## Consistency matrix */

static int consistency_matrix(const sc_runctx *rc, size_t k, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t D = rc->D;
    const char *mname = rc->metrics[k].sm->name;
    /* Set 0 is "all" (built first and never skipped when m >= 3). */
    if (rc->nsets == 0 || strcmp(rc->sets[0].name, "all") != 0)
        return SC_OK;
    size_t base_slot = (k * rc->nsets + 0) * rc->npairs;
    sc_buf csv = {0};
    rowgrid rg = {D + 1, 0, 0, NULL, false};
    for (size_t d = 0; d < D; d++)
        sc_buf_printf(&csv, ",%s", spec->datasets[d].name);
    sc_buf_puts(&csv, "\n");
    for (size_t a = 0; a < D; a++) {
        sc_buf_puts(&csv, spec->datasets[a].name);
        rg_cell(&rg, spec->datasets[a].name);
        for (size_t b = 0; b < D; b++) {
            char cell[128];
            if (a == b) {
                sc_buf_puts(&csv, ",1");
                snprintf(cell, sizeof cell, "1");
            } else {
                size_t q = base_slot +
                           sc_run_pair_index(a < b ? a : b, a < b ? b : a, D);
                sc_buf_puts(&csv, ",");
                sc_fmt_num(&csv, rc->cons_r[q]);
                sc_fmt_est(cell, sizeof cell, rc->cons_r[q], rc->cons_lo[q],
                           rc->cons_hi[q], 2, SC_NUM_TABLE);
            }
            rg_cell(&rg, cell);
        }
        sc_buf_puts(&csv, "\n");
    }
    char base[1024], rel[1100], caption[1200];
    snprintf(base, sizeof base, "tables/consistency_matrix_%s", mname);
    snprintf(rel, sizeof rel, "%s.csv", base);
    snprintf(caption, sizeof caption,
             "Consistency (%s correlation of %s similarities over all model "
             "pairs) of each dataset pair, r [%.0f%% CI].",
             sc_corr_name((sc_corr_method)spec->consistency_corr), mname,
             100.0 * spec->ci);
    if (spec->bootstrap > 0 && spec->over != SC_OVER_STIMULI &&
        rc->sets[0].side < SC_MIN_CI_MODELS) {
        size_t len = strlen(caption);
        snprintf(caption + len, sizeof caption - len,
                 " No CIs: too few models for a CI (%zu < %d).",
                 rc->sets[0].side, SC_MIN_CI_MODELS);
    }
    int st = sc_run_write(rc, rel, &csv, err);
    const char **header = sc_calloc(D + 1, sizeof *header);
    if (st == SC_OK && header == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK) {
        header[0] = "dataset";
        for (size_t d = 0; d < D; d++)
            header[d + 1] = spec->datasets[d].name;
        st = write_display(rc, base, header, D + 1, &rg, caption, NULL, NULL,
                           err);
    }
    sc_free(header);
    sc_buf_deinit(&csv);
    rg_free(&rg);
    return st;
}

/* ## Consistency by attribute (headline) */

typedef struct median_ctx {
    const sc_runctx *rc;
    size_t k, s;
} median_ctx;

/* Median over dataset pairs of the set's consistency on a model resample;
 * dataset pairs where it is undefined are left out (as in the estimate). */
static int median_stat(const size_t *idx, size_t n_idx, void *ud, double *out,
                       sc_err *err)
{
    const median_ctx *mc = ud;
    const sc_runctx *rc = mc->rc;
    sc_pairs rp = {0};
    int st = sc_pairs_resample_models(&rc->sets[mc->s].pairs, idx, n_idx, false,
                                      &rp, err);
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

typedef struct med_row {
    size_t k, s;
    size_t n; /* dataset pairs with a defined r */
    double med, lo, hi, q1, q3;
    uint32_t seed;
    char note[512]; /* why a value is NA */
} med_row;

typedef struct med_job {
    const sc_runctx *rc;
    med_row *rows;
} med_job;

static int median_task(size_t t, void *ud, sc_err *err)
{
    med_job *job = ud;
    const sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    med_row *row = &job->rows[t];
    const run_set *set = &rc->sets[row->s];
    row->med = row->lo = row->hi = row->q1 = row->q3 = NAN;
    row->note[0] = '\0';
    double *v = sc_malloc((rc->npairs + 1) * sizeof *v);
    if (v == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t nv = 0;
    const double *r = rc->cons_r + (row->k * rc->nsets + row->s) * rc->npairs;
    for (size_t q = 0; q < rc->npairs; q++)
        if (!isnan(r[q]))
            v[nv++] = r[q];
    row->n = nv;
    char task[1024];
    snprintf(task, sizeof task, "median/%s/%s", rc->metrics[row->k].sm->name,
             rc->sets[row->s].name);
    row->seed = sc_rng_task_seed(spec->seed, task);
    int st = SC_OK;
    if (nv > 0) {
        sc_quartiles qs = sc_quartiles_sort(v, nv);
        row->med = qs.med;
        row->q1 = qs.q1;
        row->q3 = qs.q3;
    }
    sc_free(v);
    if (nv == 0) {
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
    }
    if (nv > 0 && spec->bootstrap > 0 && set->side >= SC_MIN_CI_MODELS) {
        median_ctx mc = {rc, row->k, row->s};
        sc_rng rng = {0};
        st = sc_rng_init(&rng, row->seed, err);
        sc_boot_opts bo = {spec->bootstrap, spec->ci,
                           (sc_ci_method)spec->interval, 0, false};
        sc_boot_result br;
        if (st == SC_OK)
            st = sc_boot(rc->m, median_stat, &mc, &bo, &rng, &br, NULL, err);
        if (st == SC_OK) {
            row->lo = br.lo;
            row->hi = br.hi;
        } else if (st == SC_EDOM) {
            st = SC_OK;
        }
        sc_rng_deinit(&rng);
        if (st == SC_OK && isnan(row->lo))
            sc_note_add(row->note, sizeof row->note,
                        "no CI: the statistic is undefined on too many "
                        "resamples");
    }
    if (st != SC_OK)
        sc_err_prefix(err, "%s", task);
    return st;
}

static bool is_anchor(const run_set *s)
{
    return strncmp(s->name, "anchor:", 7) == 0;
}

static int by_attribute(sc_runctx *rc, size_t a, const med_row *rows,
                        size_t nrows, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    const run_attr *at = &rc->attrs[a];
    sc_buf csv = {0};
    rowgrid rg = {6, 0, 0, NULL, false};
    sc_buf_puts(&csv, "metric,model_set,n_dataset_pairs,median,ci_lo,ci_hi,"
                      "q1,q3,B,seed,ci_method,note\n");
    for (size_t t = 0; t < nrows; t++) {
        const med_row *row = &rows[t];
        if (rc->sets[row->s].attr != a || is_anchor(&rc->sets[row->s]))
            continue;
        const char *mname = rc->metrics[row->k].sm->name;
        sc_buf_printf(&csv, "%s,%s,%zu,", mname, rc->sets[row->s].name, row->n);
        const double v[] = {row->med, row->lo, row->hi, row->q1, row->q3};
        for (size_t c = 0; c < 5; c++) {
            sc_fmt_num(&csv, v[c]);
            sc_buf_puts(&csv, ",");
        }
        sc_buf_printf(&csv, "%zu,%u,%s,", spec->bootstrap, (unsigned)row->seed,
                      !isnan(row->lo) ? sc_ci_name((sc_ci_method)spec->interval)
                                      : "none");
        sc_fmt_text(&csv, row->note);
        sc_buf_puts(&csv, "\n");
        char n[32], med[128], iqr[256], q1[64], q3[64];
        snprintf(n, sizeof n, "%zu", row->n);
        sc_fmt_est(med, sizeof med, row->med, row->lo, row->hi, 2,
                   SC_NUM_TABLE);
        if (isnan(row->q1)) {
            snprintf(iqr, sizeof iqr, "%s", SC_RUN_NA);
        } else {
            sc_fmt_fixed(q1, sizeof q1, row->q1, 2);
            sc_fmt_fixed(q3, sizeof q3, row->q3, 2);
            snprintf(iqr, sizeof iqr, "[%s, %s]", q1, q3);
        }
        rg_cell(&rg, mname);
        /* The category pair without the attribute prefix. */
        rg_cell(&rg, rc->sets[row->s].name + strlen(at->name) + 1);
        rg_cell(&rg, n);
        rg_cell(&rg, med);
        rg_cell(&rg, iqr);
        rg_cell(&rg, row->note);
    }
    /* Contrasts of this attribute. */
    rowgrid cg = {10, 0, 0, NULL, false};
    for (size_t t = 0; t < rc->ncrow; t++) {
        const run_contrast_row *cr = &rc->crow[t];
        if (cr->attr != a)
            continue;
        char pair[512], n[64], ma[128], mb[128], eff[128], p[32], q[32], nm[64];
        snprintf(pair, sizeof pair, "%s vs %s", at->cats[cr->c1],
                 at->cats[cr->c2]);
        snprintf(n, sizeof n, "%zu / %zu", cr->n1, cr->n2);
        sc_fmt_est(ma, sizeof ma, cr->mean1, cr->m1lo, cr->m1hi, 2,
                   SC_NUM_TABLE);
        sc_fmt_est(mb, sizeof mb, cr->mean2, cr->m2lo, cr->m2hi, 2,
                   SC_NUM_TABLE);
        sc_fmt_est(eff, sizeof eff, cr->effect, cr->lo, cr->hi, 2,
                   SC_NUM_TABLE);
        rg_cell(&cg, rc->metrics[cr->k].sm->name);
        rg_cell(&cg, pair);
        rg_cell(&cg, n);
        rg_cell(&cg, ma);
        rg_cell(&cg, mb);
        rg_cell(&cg, eff);
        if (isnan(cr->null_mean))
            snprintf(nm, sizeof nm, "%s", SC_RUN_NA);
        else
            sc_fmt_fixed(nm, sizeof nm, cr->null_mean, 2);
        rg_cell(&cg, nm);
        sc_fmt_p(p, sizeof p, cr->p, SC_NUM_TABLE);
        sc_fmt_p(q, sizeof q, cr->q, SC_NUM_TABLE);
        rg_cell(&cg, p);
        rg_cell(&cg, q);
        rg_cell(&cg, cr->note);
    }
    char base[1024], rel[1100], caption[1400], ccap[1400];
    snprintf(base, sizeof base, "tables/consistency_by_%s", at->name);
    snprintf(rel, sizeof rel, "%s.csv", base);
    snprintf(caption, sizeof caption,
             "Consistency across %zu dataset pairs by %s category pair: "
             "median r [%.0f%% bootstrap CI over models] and interquartile "
             "range [q1, q3].",
             rc->npairs, at->name, 100.0 * spec->ci);
    snprintf(ccap, sizeof ccap,
             "Contrasts of mean within-category consistency (label "
             "permutation p, two-sided: twice the smaller one-sided p; null "
             "mean: the effect's mean under the permutation null; q by %s "
             "within each %s).",
             spec->correction == SC_SPEC_CORRECTION_NONE
                 ? "none"
                 : sc_padjust_name((sc_padjust_method)spec->correction),
             spec->family == SC_FAMILY_METRIC ? "metric"
                                              : "metric and attribute");
    int st = sc_run_write(rc, rel, &csv, err);
    const char *const header[] = {"metric",        "category pair",
                                  "dataset pairs", "median r [CI]",
                                  "IQR",           "note"};
    const char *const cheader[] = {
        "metric",      "contrast",  "models", "mean a [CI]", "mean b [CI]",
        "effect [CI]", "null mean", "p",      "q",           "note"};
    sc_buf mdx = {0}, texx = {0};
    if (st == SC_OK && cg.filled > 0) {
        if (cg.failed) {
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
        } else {
            sc_table ct = {10, cg.filled / 10, cheader,
                           (const char *const *)cg.cells, ccap};
            sc_buf_puts(&mdx, "\n");
            sc_table_md(&mdx, &ct);
            sc_buf_puts(&texx, "\n");
            sc_table_tex(&texx, &ct);
        }
    }
    if (st == SC_OK)
        st = sc_buf_check(&mdx, base, err);
    if (st == SC_OK)
        st = sc_buf_check(&texx, base, err);
    if (st == SC_OK)
        st = write_display(rc, base, header, 6, &rg, caption, mdx.data,
                           texx.data, err);
    sc_buf_deinit(&mdx);
    sc_buf_deinit(&texx);
    sc_buf_deinit(&csv);
    rg_free(&rg);
    rg_free(&cg);
    return st;
}

int sc_run_tables(sc_runctx *rc, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    char *dir = sc_run_path(rc, "tables");
    if (dir == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int st = sc_mkdir_p(dir, err);
    sc_free(dir);
    if (st == SC_OK)
        st = write_metadata(rc, err);
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        st = similarity_summary(rc, k, err);
    if (!spec->consistency_enabled || rc->cons_r == NULL || rc->D < 2)
        return st;
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        st = consistency_matrix(rc, k, err);
    /* Medians with CIs for every within/between set of every metric. */
    size_t n = 0;
    for (size_t s = 0; s < rc->nsets; s++)
        n += rc->sets[s].attr != SIZE_MAX && !is_anchor(&rc->sets[s]);
    n *= rc->M;
    med_job job = {rc, sc_calloc(n + 1, sizeof(med_row))};
    if (st == SC_OK && job.rows == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t t = 0;
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        for (size_t s = 0; s < rc->nsets; s++)
            if (rc->sets[s].attr != SIZE_MAX && !is_anchor(&rc->sets[s])) {
                job.rows[t].k = k;
                job.rows[t].s = s;
                t++;
            }
    if (st == SC_OK)
        st = sc_run_parallel(rc, n, median_task, &job, "median CIs", err);
    for (size_t a = 0; a < rc->nattrs && st == SC_OK; a++)
        st = by_attribute(rc, a, job.rows, n, err);
    sc_free(job.rows);
    return st;
}
