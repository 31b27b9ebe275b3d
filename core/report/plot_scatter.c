/* Behaviour scatter per (metric, dataset): one point per model pair i < j,
 * x = accuracy gap |acc_i - acc_j| (behaviour/<dataset>/gap.csv), y = the
 * symmetrised similarity (S_ij + S_ji) / 2 (what the runner correlates,
 * so asymmetric metrics are shown as analysed). The title carries r, its
 * CI and the Mantel p and q from behaviour.csv (row metric, dataset).
 * Points are coloured by category pair (first models.csv attribute), with
 * a least-squares trend line and its 95% confidence band (issue 16).
 * Datasets without gap.csv get no scatter (the run had no accuracies). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

#include "mem.h"
#include "plot_int.h"
#include "results_schema.h"

#define FONT 11.0
#define FONT_TITLE 14.0
#define PW 420.0 /* plot area */
#define X0 70.0  /* plot area left edge */
#define TOP 64.0 /* plot area top edge */
#define PH 320.0
#define DOT_R 3.5

/* "r = ... [lo, hi], p = ..., q = ..." for (metric, dataset), or a note. */
static int stats_text(const sc_plotset *ps, const char *metric,
                      const char *dataset, char *out, size_t size, sc_err *err)
{
    snprintf(out, size, "no row in behaviour.csv");
    if (!ps->has_beh)
        return SC_OK;
    static const char *const need[] = {SC_COL_METRIC, SC_COL_DATASET, SC_COL_R,
                                       SC_COL_CI_LO,  SC_COL_CI_HI,   SC_COL_P,
                                       SC_COL_Q};
    int c[7];
    const sc_tidy *t = &ps->beh;
    int rc = sc_tidy_need(t, need, 7, c, err);
    for (size_t r = 0; rc == SC_OK && r < t->nrows; r++) {
        if (strcmp(sc_tidy_at(t, r, c[0]), metric) != 0 ||
            strcmp(sc_tidy_at(t, r, c[1]), dataset) != 0)
            continue;
        sc_statrow st;
        rc = sc_tidy_statrow(t, r, c + 2, SC_NUM_FIGURE, &st, err);
        if (rc != SC_OK)
            break;
        snprintf(out, size, "r = %s, p = %s, q = %s", st.est, st.p, st.q);
        break;
    }
    return rc;
}

/* Data range of v[n] (an empty range is handled by sc_plot_axis). */
static void axis_range(const double *v, size_t n, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
}

/* Least-squares line of y on x with its pointwise 95% confidence band
 * for the mean (Student t, n - 2 df; gsl_fit_linear's covariance). Model
 * pairs share models, so the band is descriptive, not a test: the test is
 * the Mantel p in the title. Drawn only with >= 3 points and x spread. */
void sc_plot_trend(sc_svg *s, const double *xs, const double *ys, size_t n,
                   const sc_axis *xa, const sc_axis *ya, double x0, double top,
                   double pw, double ph)
{
    double c0, c1, v00, v01, v11, ss, xmin = INFINITY, xmax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        xmin = xs[i] < xmin ? xs[i] : xmin;
        xmax = xs[i] > xmax ? xs[i] : xmax;
    }
    if (n < 3 || !(xmax > xmin) ||
        gsl_fit_linear(xs, 1, ys, 1, n, &c0, &c1, &v00, &v01, &v11, &ss) !=
            GSL_SUCCESS)
        return;
    double t = gsl_cdf_tdist_Qinv(0.025, (double)(n - 2));
    enum { K = 41 };
    double px[K], lo[K], hi[K];
    for (int k = 0; k < K; k++) {
        double x = xmin + (xmax - xmin) * k / (K - 1);
        double se = sqrt(fmax(v00 + 2 * x * v01 + x * x * v11, 0.0));
        double y = c0 + c1 * x;
        px[k] = x0 + pw * (x - xa->lo) / (xa->hi - xa->lo);
        lo[k] = fmin(fmax(y - t * se, ya->lo), ya->hi);
        hi[k] = fmin(fmax(y + t * se, ya->lo), ya->hi);
    }
    sc_svg_printf(s, "<path class=\"ci\" fill=\"#bbbbbb\" "
                     "fill-opacity=\"0.45\" stroke=\"none\" d=\"");
    for (int k = 0; k < 2 * K; k++) {
        int i = k < K ? k : 2 * K - 1 - k;
        double y = k < K ? hi[i] : lo[i];
        sc_svg_printf(s, "%s", k ? " L" : "M");
        sc_svg_num(s, px[i]);
        sc_svg_printf(s, " ");
        sc_svg_num(s, top + ph - ph * (y - ya->lo) / (ya->hi - ya->lo));
    }
    sc_svg_printf(s,
                  " Z\"/>\n<path class=\"trend\" stroke=\"#000\" "
                  "stroke-width=\"1.5\" fill=\"none\" "
                  "data-intercept=\"%.17g\" data-slope=\"%.17g\" d=\"M",
                  c0, c1);
    double ya0 = fmin(fmax(c0 + c1 * xmin, ya->lo), ya->hi);
    double ya1 = fmin(fmax(c0 + c1 * xmax, ya->lo), ya->hi);
    sc_svg_num(s, px[0]);
    sc_svg_printf(s, " ");
    sc_svg_num(s, top + ph - ph * (ya0 - ya->lo) / (ya->hi - ya->lo));
    sc_svg_printf(s, " L");
    sc_svg_num(s, px[K - 1]);
    sc_svg_printf(s, " ");
    sc_svg_num(s, top + ph - ph * (ya1 - ya->lo) / (ya->hi - ya->lo));
    sc_svg_printf(s,
                  "\"><title>least-squares line y = %.4f %+.4f x with "
                  "95%% confidence band</title></path>\n",
                  c0, c1);
}

/* Axes with ticks and labels around the plot area (X0, TOP, PW x PH). */
static void scatter_axes(sc_svg *s, const sc_axis *xa, const sc_axis *ya,
                         const char *metric)
{
    double x0 = X0, top = TOP;
    sc_svg_line(s, x0, top + PH, x0 + PW, top + PH, "#000", 1);
    sc_svg_line(s, x0, top, x0, top + PH, "#000", 1);
    for (size_t t = 0; t < xa->n; t++) {
        double x = x0 + PW * (xa->t[t] - xa->lo) / (xa->hi - xa->lo);
        char lab[32];
        sc_plot_axis_label(xa, t, lab, sizeof lab);
        sc_svg_line(s, x, top + PH, x, top + PH + 4, "#000", 1);
        sc_svg_text(s, x, top + PH + 16, FONT, SC_SVG_MIDDLE, 0, 0, lab);
    }
    for (size_t t = 0; t < ya->n; t++) {
        double y = top + PH - PH * (ya->t[t] - ya->lo) / (ya->hi - ya->lo);
        char lab[32];
        sc_plot_axis_label(ya, t, lab, sizeof lab);
        sc_svg_line(s, x0 - 4, y, x0, y, "#000", 1);
        sc_svg_text(s, x0 - 6, y + FONT * 0.35, FONT, SC_SVG_END, 0, 0, lab);
    }
    sc_svg_text(s, x0 + PW / 2, top + PH + 36, FONT, SC_SVG_MIDDLE, 0, 0,
                "accuracy gap |acc_i \xe2\x88\x92 acc_j|");
    char ylab[160];
    snprintf(ylab, sizeof ylab, "similarity (%s)", metric);
    sc_svg_text(s, 18, top + PH / 2, FONT, SC_SVG_MIDDLE, -90, 0, ylab);
}

/* One point per model pair. Colour by category pair of the first
 * models.csv attribute: a pair within one category takes that category's
 * colour (as in the heatmap bands and box plots), a pair across categories
 * is grey. */
static void scatter_points(sc_svg *s, const sc_plotset *ps, const double *xs,
                           const double *ys, const long *catk,
                           const sc_axis *xa, const sc_axis *ya)
{
    const char *attr = ps->na > 0 ? ps->attrs[0] : NULL;
    size_t m = ps->m, p = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++, p++) {
            sc_rgb c = {150, 150, 150};
            if (attr && catk[i] == catk[j] && catk[i] >= 0)
                c = sc_palette_category((size_t)catk[i]);
            char hex[8];
            sc_rgb_hex(c, hex);
            sc_svg_printf(s, "<circle cx=\"");
            sc_svg_num(s, X0 + PW * (xs[p] - xa->lo) / (xa->hi - xa->lo));
            sc_svg_printf(s, "\" cy=\"");
            sc_svg_num(s, TOP + PH - PH * (ys[p] - ya->lo) / (ya->hi - ya->lo));
            sc_svg_printf(s,
                          "\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.75\""
                          " data-x=\"%.17g\" data-y=\"%.17g\"><title>",
                          DOT_R, hex, xs[p], ys[p]);
            sc_svg_esc(s, ps->models[i]);
            sc_svg_printf(s, " \xc3\x97 ");
            sc_svg_esc(s, ps->models[j]);
            sc_svg_printf(s, ": similarity %.4f, gap %.4f</title></circle>\n",
                          ys[p], xs[p]);
        }
}

/* Legend of the point colours right of the plot. */
static void scatter_legend(sc_svg *s, const sc_plotset *ps, const char *attr)
{
    double lx = X0 + PW + 20, ly = TOP + 10;
    sc_svg_text(s, lx, ly, FONT, SC_SVG_START, 0, 1, "model pair");
    size_t row = 1;
    for (size_t i = 0; i < ps->m; i++) {
        const char *ci = ps->meta[i * ps->na];
        long k = sc_plot_cat_index(ps, attr, ci);
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(ps->meta[j * ps->na], ci) != 0;
        if (!first)
            continue;
        double y = ly + FONT * 1.6 * (double)row++;
        sc_svg_rect_open(s, lx, y - FONT * 0.85, 12, 12,
                         sc_palette_category(k >= 0 ? (size_t)k : 0));
        sc_svg_printf(s, "/>\n");
        char lab[300];
        snprintf(lab, sizeof lab, "both %s", ci);
        sc_svg_text(s, lx + 18, y, FONT, SC_SVG_START, 0, 0, lab);
    }
    double y = ly + FONT * 1.6 * (double)row;
    sc_svg_rect_open(s, lx, y - FONT * 0.85, 12, 12, (sc_rgb){150, 150, 150});
    sc_svg_printf(s, "/>\n");
    sc_svg_text(s, lx + 18, y, FONT, SC_SVG_START, 0, 0,
                "different categories");
}

static void draw(const sc_plotset *ps, const sc_simmat *gap,
                 const sc_simmat *sim, const char *title, const char *stats,
                 const char *metric, double *xs, double *ys, const long *catk,
                 sc_svg *s)
{
    size_t m = ps->m, np = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            xs[np] = gap->s.data[i * m + j];
            ys[np] = 0.5 * (sim->s.data[i * m + j] + sim->s.data[j * m + i]);
            np++;
        }
    double xlo, xhi, ylo, yhi;
    axis_range(xs, np, &xlo, &xhi);
    axis_range(ys, np, &ylo, &yhi);
    /* Accuracy gaps are never negative; similarity has no fixed range. */
    sc_axis xa, ya;
    sc_plot_axis(xlo, xhi, 0.0, INFINITY, &xa);
    sc_plot_axis(ylo, yhi, -INFINITY, INFINITY, &ya);
    double legw = 0;
    for (size_t i = 0; ps->na > 0 && i < m; i++) {
        double w = 18 + sc_svg_text_width(ps->meta[i * ps->na], FONT) +
                   sc_svg_text_width("both ", FONT);
        legw = w > legw ? w : legw;
    }
    if (ps->na > 0 &&
        legw < 18 + sc_svg_text_width("different categories", FONT))
        legw = 18 + sc_svg_text_width("different categories", FONT);
    double width = X0 + PW + 30 + (legw > 0 ? legw + 10 : 0);
    double tw = sc_svg_text_width(title, FONT_TITLE) + 20;
    double sw = sc_svg_text_width(stats, FONT) + 20;
    width = tw > width ? tw : width;
    width = sw > width ? sw : width;
    double height = TOP + PH + 50;
    char full[800];
    snprintf(full, sizeof full, "%s: %s", title, stats);
    sc_svg_begin(s, width, height, full);
    sc_svg_text(s, 10, 24, FONT_TITLE, SC_SVG_START, 0, 1, title);
    sc_svg_text(s, 10, 44, FONT, SC_SVG_START, 0, 0, stats);
    scatter_axes(s, &xa, &ya, metric);
    sc_plot_trend(s, xs, ys, np, &xa, &ya, X0, TOP, PW, PH);
    scatter_points(s, ps, xs, ys, catk, &xa, &ya);
    if (ps->na > 0)
        scatter_legend(s, ps, ps->attrs[0]);
    sc_svg_end(s);
}

int sc_plot_behaviour(const sc_plotset *ps, sc_figsink *fs, sc_err *err)
{
    size_t m = ps->m, np = m * (m - 1) / 2;
    if (np == 0)
        return SC_OK;
    double *xs = sc_malloc(np * sizeof *xs), *ys = sc_malloc(np * sizeof *ys);
    long *catk = sc_malloc(m * sizeof *catk);
    int rc = xs && ys && catk
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "scatter: out of memory");
    for (size_t i = 0; rc == SC_OK && i < m; i++)
        catk[i] = ps->na > 0 ? sc_plot_cat_index(ps, ps->attrs[0],
                                                 ps->meta[i * ps->na])
                             : -1;
    for (size_t d = 0; rc == SC_OK && d < ps->nd; d++) {
        const sc_simmat *gap = &ps->gap[d];
        if (!gap->m)
            continue;
        for (size_t k = 0; rc == SC_OK && k < ps->nk; k++) {
            char title[512], stats[256];
            snprintf(title, sizeof title,
                     "Similarity (%s) vs accuracy gap "
                     "on %s",
                     ps->metrics[k], ps->datasets[d]);
            rc = stats_text(ps, ps->metrics[k], ps->datasets[d], stats,
                            sizeof stats, err);
            if (rc != SC_OK)
                break;
            sc_svg s;
            sc_svg_init(&s);
            draw(ps, gap, &ps->sim[d * ps->nk + k], title, stats,
                 ps->metrics[k], xs, ys, catk, &s);
            char caption[800];
            snprintf(caption, sizeof caption, "%s: %s", title, stats);
            rc = sc_svg_status(&s, err);
            if (rc == SC_OK)
                rc = sc_figsink_save(fs, "behaviour", ps->metrics[k],
                                     ps->datasets[d], caption, &s, err);
            sc_svg_deinit(&s);
        }
    }
    sc_free(xs);
    sc_free(ys);
    sc_free(catk);
    return rc;
}
