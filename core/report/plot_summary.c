/* figures/summary.svg: the paper's main figure in one file (issue 16).
 *
 * Three panels for the first metric (sorted name order, as in every other
 * list of metrics), sized for a two-column paper: 680 px = 180 mm at
 * 96 px per inch, text at least 10 px = 7.5 pt at that size.
 *  a  consistency of all model pairs across dataset pairs: the D x D
 *     heatmap of consistency.csv's "all" rows (datasets grouped by domain),
 *     r printed in cells big enough, RdBu on [-1, 1] with labelled ends;
 *  b  consistency by category of the first models.csv attribute: one box
 *     per within-category model set over dataset pairs (sc_plot_box_stats,
 *     as in the box plots: type-7 quartiles, Tukey whiskers with the tie
 *     rule; every dataset pair a seeded jittered point), the
 *     all-pairs IQR as a grey band, and a bracket per contrast of
 *     contrasts.csv with its q (bold with * when q < 0.05); at most
 *     SC_SUMMARY_BRACKETS brackets, the smallest q first;
 *  c  similarity vs accuracy gap: one point per model pair, both averaged
 *     over the datasets with behaviour/<dataset>/gap.csv, coloured by
 *     category pair, with least-squares line and 95% band.
 * A panel whose input is missing says so in place. No summary is drawn
 * without consistency.csv. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "plot_int.h"
#include "rng.h"
#include "results_schema.h"

#define WIDTH 680.0
#define FONT 10.0
#define FONT_LETTER 14.0
#define ROW1 300.0 /* height of the row with panels a and c */
#define B_PLOT_H 170.0
#define BRACKET_STEP 16.0
#define SC_SUMMARY_BRACKETS 10
#define VALUE_CELL 32.0
#define JITTER_SEED 16u

typedef struct sbox {
    double *v;
    size_t n;
    sc_boxstat st; /* sc_plot_box_stats: the box plots' rule, tie-robust */
} sbox;

typedef struct sdata {
    size_t k, nd, m;
    const size_t *dorder; /* the plotset's display order of datasets */
    double *cons;         /* nd * nd, display order; NAN = none */
    const char *attr;
    size_t ncat;
    const char **cats; /* spec order = colour index */
    sbox *box;         /* ncat */
    sbox all;
    size_t nc;
    size_t *ca, *cb;
    double *q;
    double *xs, *ys; /* m(m-1)/2 mean gap, mean similarity */
    size_t ngap;
    long *catk; /* m: category index of each model, -1 if none */
} sdata;

static long cat_find(const sdata *d, const char *c)
{
    for (size_t i = 0; i < d->ncat; i++)
        if (strcmp(d->cats[i], c) == 0)
            return (long)i;
    return -1;
}

static void sdata_free(sdata *d)
{
    sc_free(d->cons);
    sc_free(d->cats);
    for (size_t c = 0; d->box && c < d->ncat; c++)
        sc_free(d->box[c].v);
    sc_free(d->box);
    sc_free(d->all.v);
    sc_free(d->ca);
    sc_free(d->cb);
    sc_free(d->q);
    sc_free(d->xs);
    sc_free(d->ys);
    sc_free(d->catk);
}

/* r values of consistency.csv for (metric k, set) into b (sorted). */
static int set_values(const sc_plotset *ps, const int *c, size_t k,
                      const char *set, sbox *b, sc_err *err)
{
    const sc_tidy *t = &ps->cons;
    b->v = sc_malloc((t->nrows + 1) * sizeof *b->v);
    if (!b->v)
        return sc_err_set(err, SC_ENOMEM, "summary: out of memory");
    b->n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(sc_tidy_at(t, r, c[0]), ps->metrics[k]) != 0 ||
            strcmp(sc_tidy_at(t, r, c[3]), set) != 0)
            continue;
        double v;
        int has;
        int rc = sc_tidy_num(t, r, c[4], &v, &has, err);
        if (rc != SC_OK)
            return rc;
        if (has)
            b->v[b->n++] = v;
    }
    if (b->n)
        sc_plot_box_stats(b->v, b->n, &b->st);
    return SC_OK;
}

static int load_cons(const sc_plotset *ps, sdata *d, sc_err *err)
{
    static const char *const need[] = {SC_COL_METRIC, SC_COL_DATASET_A,
                                       SC_COL_DATASET_B, SC_COL_MODEL_SET,
                                       SC_COL_R};
    const sc_tidy *t = &ps->cons;
    int c[5];
    int rc = sc_tidy_need(t, need, 5, c, err);
    int any;
    if (rc == SC_OK)
        rc = sc_plot_cons_matrix(ps, c, ps->metrics[d->k], "all", d->cons, &any,
                                 err);
    if (rc == SC_OK)
        rc = set_values(ps, c, d->k, "all", &d->all, err);
    for (size_t i = 0; rc == SC_OK && i < d->ncat; i++) {
        char set[600];
        snprintf(set, sizeof set, "%s:%s|%s", d->attr, d->cats[i], d->cats[i]);
        rc = set_values(ps, c, d->k, set, &d->box[i], err);
    }
    return rc;
}

static int load_contrasts(const sc_plotset *ps, sdata *d, sc_err *err)
{
    if (!ps->has_contr || !d->attr)
        return SC_OK;
    static const char *const need[] = {SC_COL_METRIC, SC_COL_ATTRIBUTE,
                                       SC_COL_CATEGORY_A, SC_COL_CATEGORY_B,
                                       SC_COL_Q};
    const sc_tidy *t = &ps->contr;
    int c[5];
    int rc = sc_tidy_need(t, need, 5, c, err);
    for (size_t r = 0; rc == SC_OK && r < t->nrows; r++) {
        if (strcmp(sc_tidy_at(t, r, c[0]), ps->metrics[d->k]) != 0 ||
            strcmp(sc_tidy_at(t, r, c[1]), d->attr) != 0)
            continue;
        long a = cat_find(d, sc_tidy_at(t, r, c[2]));
        long b = cat_find(d, sc_tidy_at(t, r, c[3]));
        double q;
        int has;
        rc = sc_tidy_num(t, r, c[4], &q, &has, err);
        if (rc != SC_OK || !has || a < 0 || b < 0 || a == b || !d->box[a].n ||
            !d->box[b].n)
            continue;
        d->ca[d->nc] = (size_t)(a < b ? a : b);
        d->cb[d->nc] = (size_t)(a < b ? b : a);
        d->q[d->nc++] = q;
    }
    return rc;
}

/* Mean gap and mean symmetrised similarity per model pair over the
 * datasets with a gap.csv. */
/* Panel c's points: per model pair the mean over the datasets with a
 * gap.csv of the gap and of the symmetrised similarity. */
static void mean_gaps(const sc_plotset *ps, sdata *d)
{
    size_t m = d->m, np = m * (m - 1) / 2;
    for (size_t p = 0; p < np; p++)
        d->xs[p] = d->ys[p] = 0.0;
    for (size_t ds = 0; ds < ps->nd; ds++) {
        const sc_simmat *gap = &ps->gap[ds];
        if (!gap->m)
            continue;
        const double *s = ps->sim[ds * ps->nk + d->k].s.data;
        size_t p = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = i + 1; j < m; j++, p++) {
                d->xs[p] += gap->s.data[i * m + j];
                d->ys[p] += 0.5 * (s[i * m + j] + s[j * m + i]);
            }
        d->ngap++;
    }
    for (size_t p = 0; d->ngap && p < np; p++) {
        d->xs[p] /= (double)d->ngap;
        d->ys[p] /= (double)d->ngap;
    }
}

static int sdata_load(const sc_plotset *ps, sdata *d, sc_err *err)
{
    memset(d, 0, sizeof *d);
    d->nd = ps->nd;
    d->m = ps->m;
    d->attr = ps->na > 0 ? ps->attrs[0] : NULL;
    size_t m = ps->m, np = m * (m - 1) / 2 + 1, nr = ps->contr.nrows + 1;
    d->dorder = ps->dorder;
    d->cons = sc_malloc((d->nd * d->nd + 1) * sizeof *d->cons);
    d->cats = sc_malloc((m + 1) * sizeof *d->cats);
    d->box = sc_calloc(m + 1, sizeof *d->box);
    d->ca = sc_malloc(nr * sizeof *d->ca);
    d->cb = sc_malloc(nr * sizeof *d->cb);
    d->q = sc_malloc(nr * sizeof *d->q);
    d->xs = sc_malloc(np * sizeof *d->xs);
    d->ys = sc_malloc(np * sizeof *d->ys);
    d->catk = sc_malloc((m + 1) * sizeof *d->catk);
    if (!d->cons || !d->cats || !d->box || !d->ca || !d->cb || !d->q ||
        !d->xs || !d->ys || !d->catk)
        return sc_err_set(err, SC_ENOMEM, "summary: out of memory");
    for (size_t i = 0; i < m; i++) {
        d->catk[i] = -1;
        if (!d->attr)
            continue;
        const char *c = ps->meta[i * ps->na];
        long k = cat_find(d, c);
        if (k < 0) {
            k = (long)d->ncat;
            d->cats[d->ncat++] = c;
        }
        d->catk[i] = k;
    }
    int rc = load_cons(ps, d, err);
    if (rc == SC_OK)
        rc = load_contrasts(ps, d, err);
    if (rc == SC_OK && m > 1)
        mean_gaps(ps, d);
    return rc;
}

/* ## Drawing helpers */

static void letter(sc_svg *s, double x, double y, const char *l,
                   const char *title)
{
    sc_svg_text(s, x, y, FONT_LETTER, SC_SVG_START, 0, 1, l);
    sc_svg_text(s, x + 16, y, FONT, SC_SVG_START, 0, 0, title);
}

/* A panel's letter and its title "<what> (<metric>)". */
static void heading(sc_svg *s, double x, double y, const char *l,
                    const char *what, const char *metric)
{
    char title[300];
    snprintf(title, sizeof title, "%s (%s)", what, metric);
    letter(s, x, y, l, title);
}

/* Vertical colour bar for RdBu on [-1, 1], ticks labelled (both ends). */
static void rdbu_bar(sc_svg *s, double x, double y, double len)
{
    for (int k = 0; k < 32; k++) {
        double v = 1.0 - 2.0 * (k + 0.5) / 32;
        sc_svg_rect_open(s, x, y + len * k / 32, 10, len / 32 + 0.5,
                         sc_palette_rdbu(v));
        sc_svg_printf(s, "/>\n");
    }
    sc_axis ax;
    sc_plot_axis(-1, 1, -1, 1, &ax);
    for (size_t t = 0; t < ax.n; t++) {
        double ty = y + len * (1.0 - ax.t[t]) / 2.0;
        char lab[32];
        sc_plot_axis_label(&ax, t, lab, sizeof lab);
        sc_svg_line(s, x + 10, ty, x + 13, ty, "#000", 1);
        sc_svg_text(s, x + 15, ty + 3.5, FONT, SC_SVG_START, 0, 0, lab);
    }
    sc_svg_text(s, x, y - 6, FONT, SC_SVG_START, 0, 0, "r");
}

/* Panel a at (x, y), at most w x h. */
static void panel_a(sc_svg *s, const sc_plotset *ps, const sdata *d, double x,
                    double y, double w, double h)
{
    heading(s, x, y, "a", "all model pairs, across datasets",
            ps->metrics[d->k]);
    size_t nd = d->nd;
    int any = 0;
    for (size_t i = 0; i < nd * nd; i++)
        any |= !isnan(d->cons[i]);
    if (!any) {
        sc_svg_text(s, x, y + 30, FONT, SC_SVG_START, 0, 0,
                    "no dataset pairs in consistency.csv");
        return;
    }
    double labw = 0;
    for (size_t i = 0; i < nd; i++) {
        double lw = sc_svg_text_width(ps->datasets[i], FONT);
        labw = lw > labw ? lw : labw;
    }
    double avail_w = w - 45, avail_h = h - 30;
    double cell = fmin(avail_w / (double)nd, avail_h / (double)nd);
    int labels = cell >= 11.0;
    if (labels) {
        double side_w = avail_w - labw - 4;
        cell = fmin(fmin(side_w, avail_h - labw * 0.72) / (double)nd, 48.0);
        labels = cell >= 11.0;
    }
    if (!labels)
        cell = fmin(avail_w / (double)nd, avail_h / (double)nd);
    double left = x + (labels ? labw + 4 : 0), top = y + 14;
    for (size_t i = 0; i < nd; i++)
        for (size_t j = 0; j < nd; j++) {
            double v = d->cons[i * nd + j];
            sc_rgb c = isnan(v) ? (sc_rgb){217, 217, 217} : sc_palette_rdbu(v);
            sc_svg_rect_open(s, left + cell * j, top + cell * i, cell, cell, c);
            if (!isnan(v))
                sc_svg_printf(s, " data-value=\"%.17g\"", v);
            sc_svg_printf(s, "><title>");
            sc_svg_esc(s, ps->datasets[d->dorder[i]]);
            sc_svg_printf(s, " \xc3\x97 ");
            sc_svg_esc(s, ps->datasets[d->dorder[j]]);
            if (isnan(v))
                sc_svg_printf(s, "</title></rect>\n");
            else
                sc_svg_printf(s, ": r = %.4f</title></rect>\n", v);
            if (!isnan(v) && cell >= VALUE_CELL) {
                char txt[16], hex[8];
                snprintf(txt, sizeof txt, "%.2f", v);
                sc_rgb_hex(sc_rgb_contrast(c), hex);
                sc_svg_printf(s, "<text x=\"");
                sc_svg_num(s, left + cell * (j + 0.5));
                sc_svg_printf(s, "\" y=\"");
                sc_svg_num(s, top + cell * (i + 0.5) + 3.5);
                sc_svg_printf(s,
                              "\" font-size=\"10\" text-anchor=\"middle\" "
                              "fill=\"%s\">%s</text>\n",
                              hex, strcmp(txt, "-0.00") == 0 ? "0.00" : txt);
            }
        }
    if (labels)
        for (size_t i = 0; i < nd; i++) {
            const char *n = ps->datasets[d->dorder[i]];
            sc_svg_text(s, left - 4, top + cell * (i + 0.5) + 3.5, FONT,
                        SC_SVG_END, 0, 0, n);
            double cx = left + cell * (i + 0.5) + 3.5;
            sc_svg_text(s, cx, top + cell * nd + 4, FONT, SC_SVG_END, -45, 0,
                        n);
        }
    rdbu_bar(s, left + cell * nd + 8, top + 10, fmin(cell * nd, h - 40) - 10);
}

/* Panel c: similarity vs gap. */
static void panel_c(sc_svg *s, const sc_plotset *ps, const sdata *d, double x,
                    double y, double w, double h)
{
    heading(s, x, y, "c", "similarity vs accuracy gap", ps->metrics[d->k]);
    size_t np = d->m * (d->m - 1) / 2;
    if (!d->ngap || np == 0) {
        sc_svg_text(s, x, y + 30, FONT, SC_SVG_START, 0, 0,
                    "no accuracies in this run (behaviour/*/gap.csv)");
        return;
    }
    double lo = INFINITY, hi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t p = 0; p < np; p++) {
        lo = fmin(lo, d->xs[p]);
        hi = fmax(hi, d->xs[p]);
        ylo = fmin(ylo, d->ys[p]);
        yhi = fmax(yhi, d->ys[p]);
    }
    sc_axis xa, ya;
    sc_plot_axis(lo, hi, 0.0, INFINITY, &xa);
    sc_plot_axis(ylo, yhi, -INFINITY, INFINITY, &ya);
    double x0 = x + 44, top = y + 14, pw = w - 54, ph = h - 62;
    sc_svg_line(s, x0, top + ph, x0 + pw, top + ph, "#000", 1);
    sc_svg_line(s, x0, top, x0, top + ph, "#000", 1);
    for (size_t t = 0; t < xa.n; t++) {
        double px = sc_plot_axis_pos(&xa, xa.t[t], x0, x0 + pw);
        char lab[32];
        sc_plot_axis_label(&xa, t, lab, sizeof lab);
        sc_svg_line(s, px, top + ph, px, top + ph + 3, "#000", 1);
        sc_svg_text(s, px, top + ph + 14, FONT, SC_SVG_MIDDLE, 0, 0, lab);
    }
    for (size_t t = 0; t < ya.n; t++) {
        double py = sc_plot_axis_pos(&ya, ya.t[t], top + ph, top);
        char lab[32];
        sc_plot_axis_label(&ya, t, lab, sizeof lab);
        sc_svg_line(s, x0 - 3, py, x0, py, "#000", 1);
        sc_svg_text(s, x0 - 5, py + 3.5, FONT, SC_SVG_END, 0, 0, lab);
    }
    char xl[120];
    snprintf(xl, sizeof xl, "accuracy gap, mean over %zu dataset%s", d->ngap,
             d->ngap == 1 ? "" : "s");
    sc_svg_text(s, x0 + pw / 2, top + ph + 30, FONT, SC_SVG_MIDDLE, 0, 0, xl);
    sc_svg_text(s, x + 10, top + ph / 2, FONT, SC_SVG_MIDDLE, -90, 0,
                "similarity, mean");
    sc_plot_trend(s, d->xs, d->ys, np, &xa, &ya, x0, top, pw, ph);
    size_t p = 0;
    for (size_t i = 0; i < d->m; i++)
        for (size_t j = i + 1; j < d->m; j++, p++) {
            sc_rgb c = {150, 150, 150};
            if (d->catk[i] >= 0 && d->catk[i] == d->catk[j])
                c = sc_palette_category((size_t)d->catk[i]);
            char hex[8];
            sc_rgb_hex(c, hex);
            sc_svg_printf(s, "<circle cx=\"");
            sc_svg_num(s, sc_plot_axis_pos(&xa, d->xs[p], x0, x0 + pw));
            sc_svg_printf(s, "\" cy=\"");
            sc_svg_num(s, sc_plot_axis_pos(&ya, d->ys[p], top + ph, top));
            sc_svg_printf(s,
                          "\" r=\"2\" fill=\"%s\" fill-opacity=\"0.75\" "
                          "data-x=\"%.17g\" data-y=\"%.17g\"/>\n",
                          hex, d->xs[p], d->ys[p]);
        }
    sc_svg_text(s, x0 + pw, top + ph + 44, FONT, SC_SVG_END, 0, 0,
                "colour: both models in one category (as in b); grey: "
                "different");
}

/* Bracket levels: each contrast on the lowest level free over its span. */
static size_t bracket_levels(const sdata *d, const size_t *idx, size_t n,
                             size_t *level)
{
    size_t nl = 0;
    for (size_t a = 0; a < n; a++) {
        size_t l = 0;
        for (;; l++) {
            int clash = 0;
            for (size_t b = 0; b < a && !clash; b++)
                clash = level[b] == l && !(d->cb[idx[a]] < d->ca[idx[b]] ||
                                           d->cb[idx[b]] < d->ca[idx[a]]);
            if (!clash)
                break;
        }
        level[a] = l;
        nl = l + 1 > nl ? l + 1 : nl;
    }
    return nl;
}

/* Panel b's plot area and value axis. */
typedef struct bframe {
    double x0, top, pw, ph;
    double pitch, bw; /* box pitch and width */
    sc_axis ya;
} bframe;

static double bpos(const bframe *f, double v)
{
    return sc_plot_axis_pos(&f->ya, v, f->top + f->ph, f->top);
}

/* The contrasts to bracket: smallest q first (ties: file order), at most
 * SC_SUMMARY_BRACKETS; returns how many. */
static size_t pick_brackets(const sdata *d, size_t *idx)
{
    size_t shown = 0;
    char used[4096] = {0};
    while (shown < SC_SUMMARY_BRACKETS && shown < d->nc) {
        size_t best = d->nc;
        for (size_t c = 0; c < d->nc && c < sizeof used; c++)
            if (!used[c] && (best == d->nc || d->q[c] < d->q[best]))
                best = c;
        if (best == d->nc)
            break;
        used[best] = 1;
        idx[shown++] = best;
    }
    return shown;
}

/* Value axis with grid lines, and the all-pairs IQR band and median. */
static void b_axis(sc_svg *s, const bframe *f, const sdata *d, double x)
{
    double x0 = f->x0, top = f->top, pw = f->pw, ph = f->ph;
    sc_svg_line(s, x0, top, x0, top + ph, "#000", 1);
    for (size_t t = 0; t < f->ya.n; t++) {
        double py = bpos(f, f->ya.t[t]);
        char lab[32];
        sc_plot_axis_label(&f->ya, t, lab, sizeof lab);
        sc_svg_line(s, x0, py, x0 + pw, py, "#eeeeee", 0.5);
        sc_svg_line(s, x0 - 3, py, x0, py, "#000", 1);
        sc_svg_text(s, x0 - 5, py + 3.5, FONT, SC_SVG_END, 0, 0, lab);
    }
    sc_svg_text(s, x + 10, top + ph / 2, FONT, SC_SVG_MIDDLE, -90, 0,
                "consistency r");
    if (!d->all.n)
        return;
    double y1 = bpos(f, d->all.st.q3);
    double y2 = bpos(f, d->all.st.q1);
    sc_svg_rect_open(s, x0, y1, pw, y2 - y1, (sc_rgb){230, 230, 230});
    sc_svg_printf(s,
                  "><title>all model pairs: IQR [%.4f, %.4f]</title>"
                  "</rect>\n",
                  d->all.st.q1, d->all.st.q3);
    double my = bpos(f, d->all.st.med);
    sc_svg_line_attrs(s, x0, my, x0 + pw, my,
                      "stroke=\"#555555\" stroke-width=\"1\" "
                      "stroke-dasharray=\"5 3\"");
}

/* The box of category c centred at mx, its points and its labels. */
static void b_box(sc_svg *s, const bframe *f, const sdata *d, size_t c,
                  double mx)
{
    const sbox *bx = &d->box[c];
    double top = f->top, ph = f->ph, bw = f->bw, pitch = f->pitch;
    double yq1 = bpos(f, bx->st.q1);
    double yq3 = bpos(f, bx->st.q3);
    double ylo = bpos(f, bx->st.wlo);
    double yhi = bpos(f, bx->st.whi);
    double ymed = bpos(f, bx->st.med);
    sc_svg_line(s, mx, yq1, mx, ylo, "#000", 1);
    sc_svg_line(s, mx, yq3, mx, yhi, "#000", 1);
    sc_svg_line(s, mx - bw / 4, ylo, mx + bw / 4, ylo, "#000", 1);
    sc_svg_line(s, mx - bw / 4, yhi, mx + bw / 4, yhi, "#000", 1);
    sc_svg_rect_open(s, mx - bw / 2, yq3, bw, yq1 - yq3,
                     sc_palette_category(c));
    sc_svg_printf(s, " stroke=\"#000\" data-set=\"");
    sc_svg_esc(s, d->attr);
    sc_svg_printf(s, ":");
    sc_svg_esc(s, d->cats[c]);
    sc_svg_printf(s, "|");
    sc_svg_esc(s, d->cats[c]);
    sc_svg_printf(s, "\" data-median=\"%.17g\"><title>", bx->st.med);
    sc_svg_esc(s, d->cats[c]);
    sc_svg_printf(s,
                  ": median %.4f, IQR [%.4f, %.4f], %zu dataset "
                  "pairs</title></rect>\n",
                  bx->st.med, bx->st.q1, bx->st.q3, bx->n);
    sc_svg_line(s, mx - bw / 2, ymed, mx + bw / 2, ymed, "#000", 2);
    uint64_t st = sc_rng_task_seed(JITTER_SEED, d->cats[c]);
    sc_svg_printf(s, "<g fill=\"#222222\" fill-opacity=\"0.55\">\n");
    for (size_t i = 0; i < bx->n; i++) {
        double u = sc_plot_jitter(&st);
        sc_svg_printf(s, "<circle cx=\"");
        sc_svg_num(s, mx + (u - 0.5) * bw * 0.8);
        sc_svg_printf(s, "\" cy=\"");
        sc_svg_num(s, bpos(f, bx->v[i]));
        sc_svg_printf(s, "\" r=\"1.8\" data-r=\"%.17g\"/>\n", bx->v[i]);
    }
    sc_svg_printf(s, "</g>\n");
    char lab[300];
    snprintf(lab, sizeof lab, "%s", d->cats[c]);
    double tw = sc_svg_text_width(lab, FONT);
    if (tw <= pitch - 4)
        sc_svg_text(s, mx, top + ph + 14, FONT, SC_SVG_MIDDLE, 0, 0, lab);
    else
        sc_svg_text(s, mx + 3, top + ph + 8, FONT, SC_SVG_END, -30, 0, lab);
    char n_lab[32];
    snprintf(n_lab, sizeof n_lab, "n=%zu", bx->n);
    sc_svg_text(s, mx, top + ph + (tw <= pitch - 4 ? 27 : 40), FONT,
                SC_SVG_MIDDLE, 0, 0, n_lab);
}

/* The bracket of contrast c between box centres cx, at its level. */
static void b_bracket(sc_svg *s, const bframe *f, const sdata *d, size_t c,
                      size_t level, const double *cx)
{
    double x1 = cx[d->ca[c]], x2 = cx[d->cb[c]];
    double by = f->top - 8 - BRACKET_STEP * (double)level;
    sc_svg_printf(s, "<path class=\"bracket\" fill=\"none\" "
                     "stroke=\"#000\" d=\"M");
    sc_svg_num(s, x1);
    sc_svg_printf(s, " ");
    sc_svg_num(s, by + 4);
    sc_svg_printf(s, " V");
    sc_svg_num(s, by);
    sc_svg_printf(s, " H");
    sc_svg_num(s, x2);
    sc_svg_printf(s, " V");
    sc_svg_num(s, by + 4);
    sc_svg_printf(s, "\" data-q=\"%.17g\"/>\n", d->q[c]);
    char q[48], p[32];
    sc_fmt_p(p, sizeof p, d->q[c], SC_NUM_FIGURE);
    snprintf(q, sizeof q, "q = %s%s", p, d->q[c] < 0.05 ? " *" : "");
    sc_svg_rect_open(s, (x1 + x2) / 2 - sc_svg_text_width(q, FONT) / 2, by - 6,
                     sc_svg_text_width(q, FONT), 11, (sc_rgb){255, 255, 255});
    sc_svg_printf(s, "/>\n");
    sc_svg_text(s, (x1 + x2) / 2, by + 3.5, FONT, SC_SVG_MIDDLE, 0,
                d->q[c] < 0.05, q);
}

/* Panel b: height it needs (with its brackets) for drawing at y. */
static double panel_b(sc_svg *s, const sc_plotset *ps, const sdata *d, double x,
                      double y, double w, int draw)
{
    size_t idx[SC_SUMMARY_BRACKETS], level[SC_SUMMARY_BRACKETS];
    size_t shown = pick_brackets(d, idx);
    size_t nl = bracket_levels(d, idx, shown, level);
    bframe f;
    f.top = y + 20 + BRACKET_STEP * (double)nl;
    f.ph = B_PLOT_H;
    double height = f.top - y + f.ph + 64;
    if (!draw)
        return height;
    char title[400];
    snprintf(title, sizeof title,
             "consistency within each %s category, over dataset pairs (%s)",
             d->attr ? d->attr : "model", ps->metrics[d->k]);
    letter(s, x, y, "b", title);
    size_t nb = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t c = 0; c < d->ncat; c++)
        if (d->box[c].n) {
            nb++;
            lo = fmin(lo, d->box[c].v[0]);
            hi = fmax(hi, d->box[c].v[d->box[c].n - 1]);
        }
    if (d->all.n) {
        lo = fmin(lo, d->all.st.q1);
        hi = fmax(hi, d->all.st.q3);
    }
    if (nb == 0) {
        sc_svg_text(s, x, y + 30, FONT, SC_SVG_START, 0, 0,
                    "no within-category model sets in consistency.csv");
        return height;
    }
    sc_plot_axis(lo, hi, -1.0, 1.0, &f.ya);
    f.x0 = x + 44;
    f.pw = w - 54;
    f.pitch = f.pw / (double)nb;
    f.bw = fmin(f.pitch * 0.5, 40.0);
    b_axis(s, &f, d, x);
    double *cx = sc_calloc(d->ncat + 1, sizeof *cx);
    size_t b = 0;
    for (size_t c = 0; c < d->ncat; c++) {
        if (!d->box[c].n)
            continue;
        double mx = f.x0 + f.pitch * (b++ + 0.5);
        if (cx)
            cx[c] = mx;
        b_box(s, &f, d, c, mx);
    }
    for (size_t a = 0; cx && a < shown; a++)
        b_bracket(s, &f, d, idx[a], level[a], cx);
    sc_free(cx);
    if (d->nc > shown) {
        char note[160];
        snprintf(note, sizeof note,
                 "%zu brackets with the smallest q of %zu contrasts shown "
                 "(all in contrasts.csv)",
                 shown, d->nc);
        sc_svg_text(s, f.x0 + f.pw, y + 12, FONT, SC_SVG_END, 0, 0, note);
    }
    if (d->all.n)
        sc_svg_text(s, f.x0 + f.pw, f.top + f.ph + 56, FONT, SC_SVG_END, 0, 0,
                    "grey band and dashed line: IQR and median of all "
                    "model pairs");
    return height;
}

int sc_plot_summary(const sc_plotset *ps, sc_figsink *fs, sc_err *err)
{
    if (!ps->has_cons || ps->nk == 0)
        return SC_OK;
    sdata d;
    int rc = sdata_load(ps, &d, err);
    if (rc == SC_OK) {
        char title[400];
        snprintf(title, sizeof title,
                 "Summary (%s): consistency of all model pairs across "
                 "datasets, by category, and against behaviour",
                 ps->metrics[d.k]);
        double hb = panel_b(NULL, ps, &d, 10, ROW1 + 10, WIDTH - 20, 0);
        sc_svg s;
        sc_svg_init(&s);
        sc_svg_begin(&s, WIDTH, ROW1 + 20 + hb, title);
        panel_a(&s, ps, &d, 10, 20, 300, ROW1 - 20);
        panel_c(&s, ps, &d, 330, 20, WIDTH - 340, ROW1 - 20);
        panel_b(&s, ps, &d, 10, ROW1 + 10, WIDTH - 20, 1);
        sc_svg_end(&s);
        rc = sc_svg_status(&s, err);
        if (rc == SC_OK)
            rc = sc_figsink_save(fs, "summary", NULL, NULL, title, &s, err);
        sc_svg_deinit(&s);
    }
    sdata_free(&d);
    return rc;
}
