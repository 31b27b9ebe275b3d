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
 *   the dataset pairs: median with its jackknife-z CI over models
 *   (sc_jackknife_z_ci: the median recomputed without each model),
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
#include "results_schema.h"
#include "run_internal.h"

/* ## Formatting */

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

/* One Markdown row: "| a | b |" and the end of the line. */
static void md_row(sc_buf *b, const char *const *cells, size_t ncols)
{
    sc_buf_puts(b, "|");
    for (size_t c = 0; c < ncols; c++) {
        sc_buf_puts(b, " ");
        sc_md_escape(b, cells[c]);
        sc_buf_puts(b, " |");
    }
    sc_buf_puts(b, "\n");
}

void sc_table_md(sc_buf *b, const sc_table *t)
{
    if (t->caption != NULL)
        sc_buf_printf(b, "%s\n\n", t->caption);
    md_row(b, t->header, t->ncols);
    sc_buf_puts(b, "|");
    for (size_t c = 0; c < t->ncols; c++)
        sc_buf_puts(b, c == 0 ? ":---|" : "---:|");
    sc_buf_puts(b, "\n");
    for (size_t r = 0; r < t->nrows; r++)
        md_row(b, t->cells + r * t->ncols, t->ncols);
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

/* One LaTeX row: "a & b \\" and the end of the line. */
static void tex_row(sc_buf *b, const char *const *cells, size_t ncols)
{
    for (size_t c = 0; c < ncols; c++) {
        if (c > 0)
            sc_buf_puts(b, " & ");
        tex_cell(b, cells[c]);
    }
    sc_buf_puts(b, " \\\\\n");
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
    tex_row(b, t->header, t->ncols);
    sc_buf_puts(b, "\\midrule\n");
    for (size_t r = 0; r < t->nrows; r++)
        tex_row(b, t->cells + r * t->ncols, t->ncols);
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

/* Write <base>.md from md and <base>.tex from tex, each followed by its
 * extra text (NULL: none). */
static int write_md_tex(const sc_runctx *rc, const char *base,
                        const sc_table *md_table, const sc_table *tex_table,
                        const char *md_extra, const char *tex_extra,
                        sc_err *err)
{
    sc_buf md = {0}, tex = {0};
    sc_table_md(&md, md_table);
    if (md_extra != NULL)
        sc_buf_puts(&md, md_extra);
    sc_table_tex(&tex, tex_table);
    if (tex_extra != NULL)
        sc_buf_puts(&tex, tex_extra);
    char rel[1100];
    snprintf(rel, sizeof rel, "%s.md", base);
    int st = sc_run_write(rc, rel, &md, err);
    snprintf(rel, sizeof rel, "%s.tex", base);
    if (st == SC_OK)
        st = sc_run_write(rc, rel, &tex, err);
    sc_buf_deinit(&md);
    sc_buf_deinit(&tex);
    return st;
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
    return write_md_tex(rc, base, &t, &t, md_extra, tex_extra, err);
}

/* Write csv to <prefix><name>.csv; base receives "<prefix><name>", the
 * stem of the table's .md and .tex files. */
static int write_csv_file(const sc_runctx *rc, const char *prefix,
                          const char *name, const sc_buf *csv, char *base,
                          size_t cap, sc_err *err)
{
    snprintf(base, cap, "%s%s", prefix, name);
    char rel[1100];
    snprintf(rel, sizeof rel, "%s.csv", base);
    return sc_run_write(rc, rel, csv, err);
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
    sc_buf_puts(&b, SC_HDR_MODELS);
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
    int st = sc_run_write(rc, SC_RES_MODELS, &b, err);
    sc_buf_deinit(&b);
    if (st != SC_OK)
        return st;
    sc_buf_puts(&b, SC_HDR_DATASETS "\n");
    for (size_t d = 0; d < rc->D; d++)
        sc_buf_printf(&b, "%s,%s,%zu,%zu\n", spec->datasets[d].name,
                      spec->datasets[d].domain ? spec->datasets[d].domain : "",
                      rc->n_rows[d], rc->n_used[d]);
    st = sc_run_write(rc, SC_RES_DATASETS, &b, err);
    sc_buf_deinit(&b);
    return st;
}

/* ## Similarity summary */

/* The row of model pair (i, j): its CSV line, its Markdown cells and its
 * TeX cells (TeX cannot take a raw ±). v: D scratch doubles. */
static void summary_pair(const sc_runctx *rc, size_t k, size_t i, size_t j,
                         double *v, sc_buf *csv, rowgrid *md, rowgrid *tex)
{
    const sc_spec *spec = rc->spec;
    size_t m = rc->m, D = rc->D;
    for (size_t d = 0; d < D; d++)
        v[d] = rc->sims[k * D + d].data[i * m + j];
    double mean = gsl_stats_mean(v, 1, D);
    double sd = D >= 2 ? gsl_stats_sd_m(v, 1, D, mean) : (double)NAN;
    sc_buf_printf(csv, "%s,%s,", spec->models[i].name, spec->models[j].name);
    sc_fmt_num(csv, mean);
    sc_buf_puts(csv, ",");
    sc_fmt_num(csv, sd);
    sc_buf_printf(csv, ",%zu,%s\n", D, D < 2 ? "one dataset: no sd" : "");
    char cell[256], a[64], s[64];
    sc_fmt_fixed(a, sizeof a, mean, 2);
    if (isnan(sd)) {
        snprintf(cell, sizeof cell, "%s", a);
    } else {
        sc_fmt_fixed(s, sizeof s, sd, 2);
        snprintf(cell, sizeof cell, "%s ± %s", a, s);
    }
    rg_cell(md, spec->models[i].name);
    rg_cell(md, spec->models[j].name);
    rg_cell(md, cell);
    rg_cell(tex, spec->models[i].name);
    rg_cell(tex, spec->models[j].name);
    const char *pm = strstr(cell, " ± ");
    if (pm != NULL) {
        char t[160];
        snprintf(t, sizeof t, "$%.*s \\pm %s$", (int)(pm - cell), cell,
                 pm + strlen(" ± "));
        rg_cell(tex, t);
    } else {
        rg_cell(tex, cell);
    }
}

static int similarity_summary(const sc_runctx *rc, size_t k, sc_err *err)
{
    size_t m = rc->m, D = rc->D;
    const char *mname = rc->metrics[k].sm->name;
    double *v = sc_malloc((D + 1) * sizeof *v);
    if (v == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    sc_buf csv = {0};
    rowgrid rg = {3, 0, 0, NULL, false}, tg = {3, 0, 0, NULL, false};
    sc_buf_puts(&csv, SC_HDR_SIMILARITY_SUMMARY "\n");
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            summary_pair(rc, k, i, j, v, &csv, &rg, &tg);
    sc_free(v);
    char base[1024], caption[1200];
    snprintf(caption, sizeof caption,
             "Similarity (%s) of each model pair: mean ± sd over %zu "
             "datasets.",
             mname, D);
    int st = write_csv_file(rc, SC_RES_SIMILARITY_SUMMARY, mname, &csv, base,
                            sizeof base, err);
    const char *const header[] = {"model a", "model b", "mean ± sd"};
    const char *const theader[] = {"model a", "model b", "mean $\\pm$ sd"};
    sc_table t = {3, rg.filled / 3, header, (const char *const *)rg.cells,
                  caption};
    sc_table tt = {3, tg.filled / 3, theader, (const char *const *)tg.cells,
                   caption};
    if (st == SC_OK && (rg.failed || tg.failed))
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        st = write_md_tex(rc, base, &t, &tt, NULL, NULL, err);
    sc_buf_deinit(&csv);
    rg_free(&rg);
    rg_free(&tg);
    return st;
}

/* ## Consistency matrix */

/* The inputs of the tables: the context and earlier stages' results. */
typedef struct tab_in {
    const sc_runctx *rc;
    const run_sets *sets;
    const run_cons *cons;   /* NULL: no consistency tables */
    const run_medians *med; /* NULL with cons               */
    const run_contrasts *con;
} tab_in;

static int consistency_matrix(const tab_in *in, size_t k, sc_err *err)
{
    const sc_runctx *rc = in->rc;
    const sc_spec *spec = rc->spec;
    const run_sets *sets = in->sets;
    const run_cons *cons = in->cons;
    size_t D = rc->D;
    const char *mname = rc->metrics[k].sm->name;
    /* Set 0 is "all" (built first and never skipped when m >= 3). */
    if (sets->nsets == 0 || strcmp(sets->sets[0].name, "all") != 0)
        return SC_OK;
    size_t base_slot = (k * sets->nsets + 0) * rc->npairs;
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
                sc_fmt_num(&csv, cons->r[q]);
                sc_fmt_est(cell, sizeof cell, cons->r[q], cons->lo[q],
                           cons->hi[q], 2, SC_NUM_TABLE);
            }
            rg_cell(&rg, cell);
        }
        sc_buf_puts(&csv, "\n");
    }
    char base[1024], caption[1200];
    snprintf(caption, sizeof caption,
             "Consistency (%s correlation of %s similarities over all model "
             "pairs) of each dataset pair, r [%.0f%% CI].",
             sc_corr_name((sc_corr_method)spec->consistency_corr), mname,
             100.0 * spec->ci);
    if (spec->bootstrap > 0 && spec->over != SC_OVER_STIMULI &&
        sets->sets[0].side < SC_MIN_CI_MODELS) {
        size_t len = strlen(caption);
        snprintf(caption + len, sizeof caption - len,
                 " No CIs: too few models for a CI (%zu < %d).",
                 sets->sets[0].side, SC_MIN_CI_MODELS);
    }
    int st = write_csv_file(rc, SC_RES_CONSISTENCY_MATRIX, mname, &csv, base,
                            sizeof base, err);
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

static bool is_anchor(const run_set *s)
{
    return strncmp(s->name, "anchor:", 7) == 0;
}

/* The median rows of attribute a: CSV lines and display cells. */
static void median_rows(const tab_in *in, size_t a, sc_buf *csv, rowgrid *rg)
{
    const sc_runctx *rc = in->rc;
    const sc_spec *spec = rc->spec;
    const run_attr *at = &in->sets->attrs[a];
    for (size_t t = 0; t < in->med->n; t++) {
        const run_median *row = &in->med->rows[t];
        const run_set *set = &in->sets->sets[row->s];
        if (set->attr != a || is_anchor(set))
            continue;
        const char *mname = rc->metrics[row->k].sm->name;
        sc_buf_printf(csv, "%s,%s,%zu,", mname, set->name, row->n);
        const double v[] = {row->med, row->lo, row->hi, row->q1, row->q3};
        for (size_t c = 0; c < 5; c++) {
            sc_fmt_num(csv, v[c]);
            sc_buf_puts(csv, ",");
        }
        /* a median row has no p: B and seed only for a bootstrap CI */
        sc_fmt_draws(csv, spec, rc->m, row->seed,
                     !isnan(row->lo) ? SC_CI_JACKKNIFE_Z : "none", 0);
        sc_buf_puts(csv, ",");
        sc_fmt_text(csv, row->note);
        sc_buf_puts(csv, "\n");
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
        rg_cell(rg, mname);
        /* The category pair without the attribute prefix. */
        rg_cell(rg, set->name + strlen(at->name) + 1);
        rg_cell(rg, n);
        rg_cell(rg, med);
        rg_cell(rg, iqr);
        rg_cell(rg, row->note);
    }
}

/* The display cells of attribute a's contrasts (from contrasts.csv). */
static void contrast_rows(const tab_in *in, size_t a, rowgrid *cg)
{
    const run_attr *at = &in->sets->attrs[a];
    for (size_t t = 0; t < in->con->n; t++) {
        const run_contrast_row *cr = &in->con->rows[t];
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
        rg_cell(cg, in->rc->metrics[cr->k].sm->name);
        rg_cell(cg, pair);
        rg_cell(cg, n);
        rg_cell(cg, ma);
        rg_cell(cg, mb);
        rg_cell(cg, eff);
        if (isnan(cr->null_mean))
            snprintf(nm, sizeof nm, "%s", SC_RUN_NA);
        else
            sc_fmt_fixed(nm, sizeof nm, cr->null_mean, 2);
        rg_cell(cg, nm);
        sc_fmt_p(p, sizeof p, cr->p, SC_NUM_TABLE);
        sc_fmt_p(q, sizeof q, cr->q, SC_NUM_TABLE);
        rg_cell(cg, p);
        rg_cell(cg, q);
        rg_cell(cg, cr->note);
    }
}

/* The contrasts' table as text appended to the medians' .md and .tex. */
static int contrast_tables(const tab_in *in, rowgrid *cg, sc_buf *md,
                           sc_buf *tex, sc_err *err)
{
    const sc_spec *spec = in->rc->spec;
    if (cg->filled == 0)
        return SC_OK;
    if (cg->failed)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    char ccap[1400];
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
    const char *const cheader[] = {
        "metric",      "contrast",  "models", "mean a [CI]", "mean b [CI]",
        "effect [CI]", "null mean", "p",      "q",           "note"};
    sc_table ct = {10, cg->filled / 10, cheader, (const char *const *)cg->cells,
                   ccap};
    sc_buf_puts(md, "\n");
    sc_table_md(md, &ct);
    sc_buf_puts(tex, "\n");
    sc_table_tex(tex, &ct);
    return SC_OK;
}

static int by_attribute(const tab_in *in, size_t a, sc_err *err)
{
    const sc_runctx *rc = in->rc;
    const run_attr *at = &in->sets->attrs[a];
    sc_buf csv = {0}, mdx = {0}, texx = {0};
    rowgrid rg = {6, 0, 0, NULL, false}, cg = {10, 0, 0, NULL, false};
    sc_buf_puts(&csv, SC_HDR_CONSISTENCY_BY "\n");
    median_rows(in, a, &csv, &rg);
    contrast_rows(in, a, &cg);
    char base[1024], caption[1400];
    snprintf(caption, sizeof caption,
             "Consistency across %zu dataset pairs by %s category pair: "
             "median r [%.0f%% jackknife-z CI over models] and interquartile "
             "range [q1, q3].",
             rc->npairs, at->name, 100.0 * rc->spec->ci);
    int st = write_csv_file(rc, SC_RES_CONSISTENCY_BY, at->name, &csv, base,
                            sizeof base, err);
    const char *const header[] = {"metric",        "category pair",
                                  "dataset pairs", "median r [CI]",
                                  "IQR",           "note"};
    if (st == SC_OK)
        st = contrast_tables(in, &cg, &mdx, &texx, err);
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

int sc_run_tables(const sc_runctx *rc, const run_sets *sets,
                  const run_cons *cons, const run_medians *med,
                  const run_contrasts *con, sc_err *err)
{
    char *dir = sc_run_path(rc, SC_RES_TABLES_DIR);
    if (dir == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int st = sc_mkdir_p(dir, err);
    sc_free(dir);
    if (st == SC_OK)
        st = write_metadata(rc, err);
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        st = similarity_summary(rc, k, err);
    if (cons == NULL)
        return st;
    tab_in in = {rc, sets, cons, med, con};
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        st = consistency_matrix(&in, k, err);
    for (size_t a = 0; a < sets->nattrs && st == SC_OK; a++)
        st = by_attribute(&in, a, err);
    return st;
}
