/* The HTML tables of report.html (report_int.h): the headline contrasts,
 * the consistency summary, behaviour.csv and the models and datasets, read
 * from the result folder's CSVs through sc_plotset; p and q in the tables'
 * format (format.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "quartiles.h"
#include "report_int.h"
#include "results_schema.h"
#include "stat_limits.h"

void sc_report_cell(sc_svg *h, const char *text, int numeric)
{
    sc_svg_printf(h, numeric ? "<td class=\"n\">" : "<td>");
    sc_svg_esc(h, text);
    sc_svg_printf(h, "</td>");
}

void sc_report_note(sc_svg *h, const char *text)
{
    sc_svg_printf(h, "<p class=\"note\">");
    sc_svg_esc(h, text);
    sc_svg_printf(h, "</p>\n");
}

/* ## Tables from the tidy CSVs */

/* The metrics as "<code>a</code>, <code>b</code>". */
void sc_report_metric_names(sc_svg *h, const sc_plotset *ps)
{
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, k ? ", <code>" : "<code>");
        sc_svg_esc(h, ps->metrics[k]);
        sc_svg_printf(h, "</code>");
    }
}

/* A <th> cell for each of names[n]. */
static void head_cells(sc_svg *h, const char *const *names, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        sc_svg_printf(h, "<th>");
        sc_svg_esc(h, names[k]);
        sc_svg_printf(h, "</th>");
    }
}

/* Columns: text columns as they are, then "estimate [CI]", p, q. */
static int estimate_table(sc_svg *h, const sc_tidy *t,
                          const char *const *text_cols, size_t ntext,
                          const char *est_col, const char *est_head,
                          sc_err *err)
{
    int tc[16], ec[5];
    const char *const need[] = {est_col, SC_COL_CI_LO, SC_COL_CI_HI, SC_COL_P,
                                SC_COL_Q};
    int rc = sc_tidy_need(t, text_cols, ntext, tc, err);
    if (rc == SC_OK)
        rc = sc_tidy_need(t, need, 5, ec, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "<table>\n<tr>");
    head_cells(h, text_cols, ntext);
    sc_svg_printf(h, "<th>");
    sc_svg_esc(h, est_head);
    sc_svg_printf(h, " [CI]</th><th>p</th><th>q</th></tr>\n");
    for (size_t r = 0; r < t->nrows; r++) {
        sc_statrow st;
        rc = sc_tidy_statrow(t, r, ec, SC_NUM_TABLE, &st, err);
        if (rc != SC_OK)
            return rc;
        sc_svg_printf(h, "<tr>");
        for (size_t k = 0; k < ntext; k++) {
            /* Non-integer numbers (means) at 3 decimals like the
             * estimates; names and counts as they are. */
            const char *s = sc_tidy_at(t, r, tc[k]);
            char *end, fmt[32];
            double x = strtod(s, &end);
            int numeric = s[0] != '\0' && *end == '\0';
            if (numeric && strpbrk(s, ".eE") != NULL) {
                snprintf(fmt, sizeof fmt, "%.3f", x);
                s = fmt;
            }
            sc_report_cell(h, s, numeric);
        }
        sc_report_cell(h, st.est, 1);
        sc_report_cell(h, st.p, 1);
        sc_report_cell(h, st.q, 1);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n");
    return SC_OK;
}

int sc_report_behaviour_table(sc_svg *h, const sc_plotset *ps, sc_err *err)
{
    if (!ps->has_beh) {
        sc_report_note(h,
                       "No behaviour.csv in this folder (no accuracies in the "
                       "spec).");
        return SC_OK;
    }
    sc_report_note(
        h, "Correlation between similarity and the accuracy gap "
           "|acc_i - acc_j| over model pairs (expected negative); Mantel "
           "p, jackknife-z CI over models. Rows mean:<domain> average over "
           "datasets (bootstrap CI over datasets).");
    static const char *const cols[] = {SC_COL_METRIC, SC_COL_DATASET,
                                       SC_COL_DOMAIN, SC_COL_N_PAIRS};
    return estimate_table(h, &ps->beh, cols, 4, "r", "r", err);
}

/* Per (metric, model_set): dataset pairs, median and IQR of r, how many
 * pairs have q < SC_REPORT_ALPHA. */
int sc_report_consistency_table(sc_svg *h, const sc_plotset *ps, sc_err *err)
{
    if (!ps->has_cons) {
        sc_report_note(h, "No consistency.csv in this folder.");
        return SC_OK;
    }
    sc_report_note(h,
                   "Consistency of model-pair similarities across datasets, "
                   "summarised over all dataset pairs (one row per metric and "
                   "model set; per-pair estimates with CIs and p/q are in "
                   "consistency.csv).");
    const sc_tidy *t = &ps->cons;
    static const char *const need[] = {SC_COL_METRIC, SC_COL_MODEL_SET,
                                       SC_COL_R, SC_COL_Q};
    int c[4];
    int rc = sc_tidy_need(t, need, 4, c, err);
    if (rc != SC_OK)
        return rc;
    double *v = sc_malloc((t->nrows + 1) * sizeof *v);
    char *done = sc_calloc(t->nrows + 1, 1);
    if (!v || !done) {
        sc_free(v);
        sc_free(done);
        return sc_err_set(err, SC_ENOMEM, "report: out of memory");
    }
    sc_svg_printf(h,
                  "<table>\n<tr><th>metric</th><th>model set</th>"
                  "<th>dataset pairs</th><th>median r</th>"
                  "<th>IQR</th><th>pairs with q &lt; %.2f</th></tr>\n",
                  SC_REPORT_ALPHA);
    for (size_t r0 = 0; rc == SC_OK && r0 < t->nrows; r0++) {
        if (done[r0])
            continue;
        const char *met = sc_tidy_at(t, r0, c[0]);
        const char *set = sc_tidy_at(t, r0, c[1]);
        size_t n = 0, sig = 0, nq = 0;
        for (size_t r = r0; rc == SC_OK && r < t->nrows; r++) {
            if (done[r] || strcmp(sc_tidy_at(t, r, c[0]), met) != 0 ||
                strcmp(sc_tidy_at(t, r, c[1]), set) != 0)
                continue;
            done[r] = 1;
            double x, q;
            int has, hasq;
            rc = sc_tidy_num(t, r, c[2], &x, &has, err);
            if (rc == SC_OK)
                rc = sc_tidy_num(t, r, c[3], &q, &hasq, err);
            if (rc == SC_OK && has)
                v[n++] = x;
            if (rc == SC_OK && hasq) {
                nq++;
                sig += q < SC_REPORT_ALPHA;
            }
        }
        if (rc != SC_OK || n == 0)
            continue;
        sc_quartiles qs = sc_quartiles_sort(v, n);
        double med = qs.med, q1 = qs.q1, q3 = qs.q3;
        char a[32], b[64], cnt[32], sg[48];
        snprintf(cnt, sizeof cnt, "%zu", n);
        snprintf(a, sizeof a, "%.3f", med);
        snprintf(b, sizeof b, "[%.3f, %.3f]", q1, q3);
        if (nq)
            snprintf(sg, sizeof sg, "%zu of %zu", sig, nq);
        else
            snprintf(sg, sizeof sg, "n/a");
        sc_svg_printf(h, "<tr>");
        sc_report_cell(h, met, 0);
        sc_report_cell(h, set, 0);
        sc_report_cell(h, cnt, 1);
        sc_report_cell(h, a, 1);
        sc_report_cell(h, b, 1);
        sc_report_cell(h, sg, 1);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n");
    sc_free(v);
    sc_free(done);
    return rc;
}

/* ## Summary */

void sc_report_models(sc_svg *h, const sc_plotset *ps)
{
    sc_svg_printf(h, "<p>%zu models, %zu datasets, %zu metrics: ", ps->m,
                  ps->nd, ps->nk);
    sc_report_metric_names(h, ps);
    sc_svg_printf(h, ".</p>\n<table>\n<tr><th>model</th>");
    head_cells(h, (const char *const *)ps->attrs, ps->na);
    sc_svg_printf(h, "</tr>\n");
    for (size_t i = 0; i < ps->m; i++) {
        sc_svg_printf(h, "<tr>");
        sc_report_cell(h, ps->models[i], 0);
        for (size_t a = 0; a < ps->na; a++)
            sc_report_cell(h, ps->meta[i * ps->na + a], 0);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n<table>\n<tr><th>dataset</th>"
                     "<th>domain</th></tr>\n");
    for (size_t d = 0; d < ps->nd; d++) {
        sc_svg_printf(h, "<tr>");
        sc_report_cell(h, ps->datasets[d], 0);
        sc_report_cell(h, ps->domains[d][0] ? ps->domains[d] : "n/a", 0);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n");
}

/* The answer: every two-category contrast with its effect, CI, p, q and
 * the result in words. */
int sc_report_headline(sc_svg *h, const sc_plotset *ps, const char *after,
                       sc_err *err)
{
    if (!ps->has_contr) {
        sc_report_note(h,
                       "No contrasts.csv in this folder (the spec asked for no "
                       "category contrasts); the consistency grid below is the "
                       "result.");
        return SC_OK;
    }
    static const char *const need[] = {
        SC_COL_METRIC,     SC_COL_ATTRIBUTE, SC_COL_CATEGORY_A,
        SC_COL_CATEGORY_B, SC_COL_EFFECT,    SC_COL_CI_LO,
        SC_COL_CI_HI,      SC_COL_P,         SC_COL_Q};
    const sc_tidy *t = &ps->contr;
    int c[9];
    int rc = sc_tidy_need(t, need, 9, c, err);
    size_t n = 0, sig = 0;
    for (size_t r = 0; rc == SC_OK && r < t->nrows; r++) {
        double q;
        int hq;
        if (sc_tidy_at(t, r, c[3])[0] == '\0')
            continue;
        rc = sc_tidy_num(t, r, c[8], &q, &hq, err);
        n++;
        sig += rc == SC_OK && hq && q < SC_REPORT_ALPHA;
    }
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h,
                  "<p><b>%zu of %zu</b> category contrasts differ in "
                  "within-category consistency at q &lt; %.2f ",
                  sig, n, SC_REPORT_ALPHA);
    sc_svg_esc(h, after);
    sc_svg_printf(h,
                  ". Effect = mean consistency difference, jackknife-t CI "
                  "(from %d models per category), permutation p.</p>\n",
                  SC_MIN_CI_EFFECT_MODELS);
    sc_svg_printf(h, "<table id=\"contrasts\">\n<tr><th>metric</th>"
                     "<th>attribute</th><th>contrast</th><th>effect [CI]"
                     "</th><th>p</th><th>q</th><th>result</th></tr>\n");
    for (size_t r = 0; rc == SC_OK && r < t->nrows; r++) {
        if (sc_tidy_at(t, r, c[3])[0] == '\0')
            continue;
        sc_statrow st;
        rc = sc_tidy_statrow(t, r, c + 4, SC_NUM_TABLE, &st, err);
        if (rc != SC_OK)
            break;
        const double *v = st.v;
        /* The effect is signed: which category is the more consistent. */
        char est[96], words[160];
        if (!isnan(v[0]) && !isnan(v[1]) && !isnan(v[2]))
            snprintf(est, sizeof est, "%+.2f [%.2f, %.2f]", v[0], v[1], v[2]);
        else if (!isnan(v[0]))
            snprintf(est, sizeof est, "%+.2f", v[0]);
        else
            snprintf(est, sizeof est, "n/a");
        int is_sig = !isnan(v[4]) && v[4] < SC_REPORT_ALPHA;
        if (isnan(v[4]))
            snprintf(words, sizeof words, "not tested");
        else
            snprintf(words, sizeof words, "%ssignificant %s",
                     is_sig ? "" : "not ", after);
        sc_svg_printf(h, "<tr%s>", is_sig ? " class=\"sig\"" : "");
        sc_report_cell(h, sc_tidy_at(t, r, c[0]), 0);
        sc_report_cell(h, sc_tidy_at(t, r, c[1]), 0);
        sc_svg_printf(h, "<td>");
        sc_svg_esc(h, sc_tidy_at(t, r, c[2]));
        sc_svg_printf(h, " vs ");
        sc_svg_esc(h, sc_tidy_at(t, r, c[3]));
        sc_svg_printf(h, "</td>");
        sc_report_cell(h, est, 1);
        sc_report_cell(h, st.p, 1);
        sc_report_cell(h, st.q, 1);
        sc_report_cell(h, words, 0);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n");
    return rc;
}
