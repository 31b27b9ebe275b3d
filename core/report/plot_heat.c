/* Heatmaps: per (metric, dataset) the m x m similarity matrix, and per
 * (metric, model set) the D x D dataset-consistency matrix (plot.h).
 *
 * Layout (all sizes in px at 1:1): title on top; category strip along the
 * top and left edges; row names right-aligned left of the matrix; column
 * names below it, rotated -45 degrees; colour bar and legends right of it.
 * Every margin is computed from the estimated width of the longest label
 * (sc_svg_text_width, an upper bound), so names are never clipped.
 * Colours: similarity uses viridis over the metric's range across all
 * datasets (so heatmaps of one metric compare by colour); consistency uses
 * RdBu on [-1, 1] centred on 0. Each cell carries data-row, data-col,
 * data-value (%.17g, the CSV's number) and a <title> tooltip. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "mem.h"
#include "plot_int.h"
#include "results_schema.h"

/* Cell edge: fit the matrix in about 640 px, but never below 14 px (a
 * 10 px label needs that much row pitch) nor above 28 px. */
#define CELL_FIT 640.0
#define CELL_MIN 14.0
#define CELL_MAX 28.0
#define FONT 11.0 /* axis labels */
#define FONT_TITLE 14.0
#define STRIP 10.0 /* category strip thickness */
#define GAP 4.0
#define BAR_W 14.0   /* colour bar width */
#define BAR_STEPS 64 /* rectangles in a colour bar: smooth at 300 px */
#define MISSING_RGB                                                            \
    {                                                                          \
        217, 217, 217                                                          \
    }
#define ROT_MIN_CELL (FONT * 1.4142 + 1.0)
/* Heatmaps that print their values get cells up to 48 px; a value is
 * printed when its cell is at least VALUE_CELL px ("-0.00" at 10 px is
 * about 30 px wide by the sc_svg_text_width bound). */
#define CELL_MAX_VALUES 48.0
#define VALUE_CELL 32.0
#define FONT_VALUE 10.0

typedef struct heat {
    size_t n;
    const char *const *labels; /* n, display order */
    const double *val;         /* n * n, display order; NAN = no value */
    int diverging;             /* RdBu on [-1, 1], else viridis [lo, hi] */
    double lo, hi;
    const char *title;
    const char *value_name;  /* colour bar label and tooltip name */
    const char *const *band; /* n categories or NULL */
    const char *band_name;
    const char **cats; /* distinct categories, colour k = index k */
    size_t nc;
    const char *missing_note; /* tooltip of a NAN cell */
    int values;               /* print values in cells big enough */
} heat;

static sc_rgb colour(const heat *h, double v)
{
    if (h->diverging)
        return sc_palette_rdbu(v);
    return sc_palette_viridis((v - h->lo) / (h->hi - h->lo));
}

/* The value v printed at the centre (cx, cy) of a cell of colour bg. */
static void cell_value(sc_svg *s, double cx, double cy, double v, sc_rgb bg)
{
    char txt[32], hex[8];
    snprintf(txt, sizeof txt, "%.2f", v);
    if (strcmp(txt, "-0.00") == 0)
        snprintf(txt, sizeof txt, "0.00");
    sc_rgb_hex(sc_rgb_contrast(bg), hex);
    sc_svg_printf(s, "<text x=\"");
    sc_svg_num(s, cx);
    sc_svg_printf(s, "\" y=\"");
    sc_svg_num(s, cy + FONT_VALUE * 0.35);
    sc_svg_printf(s,
                  "\" font-size=\"%.0f\" text-anchor=\"middle\" "
                  "fill=\"%s\" pointer-events=\"none\">%s</text>\n",
                  FONT_VALUE, hex, txt);
}

/* Distinct categories of band[n] in first-appearance order. */
static size_t categories(const char *const *band, size_t n, const char **cats)
{
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        while (c < nc && strcmp(cats[c], band[i]) != 0)
            c++;
        if (c == nc)
            cats[nc++] = band[i];
    }
    return nc;
}

static size_t cat_index(const char **cats, size_t nc, const char *c)
{
    for (size_t k = 0; k < nc; k++)
        if (strcmp(cats[k], c) == 0)
            return k;
    return 0;
}

static void draw_bar(sc_svg *s, const heat *h, double x, double y, double len)
{
    double lo = h->diverging ? -1.0 : h->lo, hi = h->diverging ? 1.0 : h->hi;
    for (int k = 0; k < BAR_STEPS; k++) {
        double v = hi - (hi - lo) * (k + 0.5) / BAR_STEPS;
        sc_svg_rect_open(s, x, y + len * k / BAR_STEPS, BAR_W,
                         len / BAR_STEPS + 0.5, colour(h, v));
        sc_svg_printf(s, "/>\n");
    }
    /* The colour range is already an axis range (both ends ticks). */
    sc_axis ax;
    sc_plot_axis(lo, hi, lo, hi, &ax);
    for (size_t t = 0; t < ax.n; t++) {
        double ty = y + len * (hi - ax.t[t]) / (hi - lo);
        char lab[32];
        sc_plot_axis_label(&ax, t, lab, sizeof lab);
        sc_svg_line(s, x + BAR_W, ty, x + BAR_W + 4, ty, "#000", 1);
        sc_svg_text(s, x + BAR_W + 6, ty + FONT * 0.35, FONT, SC_SVG_START, 0,
                    0, lab);
    }
    /* Above the top tick label, left-aligned with the bar so it cannot
     * reach back over the category strip. */
    sc_svg_text(s, x, y - FONT - 4, FONT, SC_SVG_START, 0, 0, h->value_name);
}

/* Where the parts of a heatmap go (px). */
typedef struct heat_geom {
    double cell, strip, rot, left, top, side, bar_x, bar_len, width, height;
} heat_geom;

static void heat_layout(const heat *h, heat_geom *g)
{
    size_t n = h->n;
    double cell = CELL_FIT / (double)n;
    double cmax = h->values ? CELL_MAX_VALUES : CELL_MAX;
    cell = cell < CELL_MIN ? CELL_MIN : cell > cmax ? cmax : cell;
    double maxw = 0;
    for (size_t i = 0; i < n; i++) {
        double w = sc_svg_text_width(h->labels[i], FONT);
        maxw = w > maxw ? w : maxw;
    }
    const char **cats = h->cats;
    size_t nc = h->nc;
    double legw = 0;
    if (h->band) {
        legw = sc_svg_text_width(h->band_name, FONT);
        for (size_t c = 0; c < nc; c++) {
            double w = 18 + sc_svg_text_width(cats[c], FONT);
            legw = w > legw ? w : legw;
        }
    }
    double strip = h->band ? STRIP + GAP : 0;
    /* Column names at -45 degrees read best, but neighbours then sit only
     * cell/sqrt(2) apart across the text; below ROT_MIN_CELL that is less
     * than the font height and they overlap, so they stand vertically. */
    double rot = cell >= ROT_MIN_CELL ? -45.0 : -90.0;
    double diag = rot == -45.0 ? maxw * 0.7072 : maxw;
    double left = 10 + (maxw + strip + 6 > diag ? maxw + strip + 6 : diag);
    double top = 48 + strip + FONT;
    double side = cell * (double)n;
    double bar_x = left + side + 24;
    double right = bar_x + BAR_W + 6 + sc_svg_text_width("-0.00", FONT) + 16;
    if (h->band)
        right += legw + 10;
    double bottom = top + side + strip + 8 + diag + FONT + 10;
    double titlew = sc_svg_text_width(h->title, FONT_TITLE) + 20;
    double width = right > titlew ? right : titlew;
    double bar_len = side < 320 ? side : 320;
    double height = bottom > top + bar_len + 20 ? bottom : top + bar_len + 20;
    if (h->band) {
        double legend_bottom = top + bar_len + 40 + FONT * 1.6 * (nc + 1);
        height = legend_bottom > height ? legend_bottom : height;
    }

    *g = (heat_geom){cell, strip, rot,     left,  top,
                     side, bar_x, bar_len, width, height};
}

static void heat_cells(const heat *h, const heat_geom *g, sc_svg *s)
{
    size_t n = h->n;
    double cell = g->cell, left = g->left, top = g->top;
    /* Cells. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double v = h->val[i * n + j];
            sc_rgb missing = MISSING_RGB;
            sc_svg_rect_open(s, left + cell * j, top + cell * i, cell, cell,
                             isnan(v) ? missing : colour(h, v));
            sc_svg_printf(s, " data-row=\"");
            sc_svg_esc(s, h->labels[i]);
            sc_svg_printf(s, "\" data-col=\"");
            sc_svg_esc(s, h->labels[j]);
            sc_svg_printf(s, "\"");
            if (!isnan(v))
                sc_svg_printf(s, " data-value=\"%.17g\"", v);
            sc_svg_printf(s, "><title>");
            sc_svg_esc(s, h->labels[i]);
            sc_svg_printf(s, " \xc3\x97 ");
            sc_svg_esc(s, h->labels[j]);
            if (isnan(v)) {
                sc_svg_printf(s, ": ");
                sc_svg_esc(s, h->missing_note);
            } else {
                sc_svg_printf(s, ": ");
                sc_svg_esc(s, h->value_name);
                sc_svg_printf(s, " = %.4f", v);
            }
            sc_svg_printf(s, "</title></rect>\n");
            if (h->values && !isnan(v) && cell >= VALUE_CELL)
                cell_value(s, left + cell * (j + 0.5), top + cell * (i + 0.5),
                           v, colour(h, v));
        }
    }
}

/* Category strips, legend, and separators between categories when each
 * forms one block (spec order usually; clustered orders interleave
 * them and the lines would only add a grid). */
static void heat_bands(const heat *h, const heat_geom *g, sc_svg *s)
{
    size_t n = h->n, nc = h->nc;
    const char **cats = h->cats;
    double cell = g->cell, strip = g->strip, left = g->left, top = g->top;
    double side = g->side;
    double bar_x = g->bar_x, bar_len = g->bar_len;
    size_t runs = 1;
    for (size_t i = 1; i < n; i++)
        runs += strcmp(h->band[i], h->band[i - 1]) != 0;
    int contiguous = runs == nc;
    for (size_t i = 0; i < n; i++) {
        sc_rgb c = sc_palette_category(cat_index(cats, nc, h->band[i]));
        for (int side_k = 0; side_k < 2; side_k++) {
            if (side_k == 0)
                sc_svg_rect_open(s, left + cell * i, top - strip, cell, STRIP,
                                 c);
            else
                sc_svg_rect_open(s, left - strip, top + cell * i, STRIP, cell,
                                 c);
            sc_svg_printf(s, "><title>");
            sc_svg_esc(s, h->labels[i]);
            sc_svg_printf(s, ": ");
            sc_svg_esc(s, h->band_name);
            sc_svg_printf(s, " = ");
            sc_svg_esc(s, h->band[i]);
            sc_svg_printf(s, "</title></rect>\n");
        }
        if (contiguous && i > 0 && strcmp(h->band[i], h->band[i - 1]) != 0) {
            sc_svg_line(s, left + cell * i, top, left + cell * i, top + side,
                        "#ffffff", 1.5);
            sc_svg_line(s, left, top + cell * i, left + side, top + cell * i,
                        "#ffffff", 1.5);
        }
    }
    double ly = top + bar_len + 40;
    double lx = bar_x;
    sc_svg_text(s, lx, ly, FONT, SC_SVG_START, 0, 1, h->band_name);
    for (size_t c = 0; c < nc; c++) {
        double y = ly + FONT * 1.6 * (c + 1);
        sc_svg_rect_open(s, lx, y - FONT * 0.85, 12, 12,
                         sc_palette_category(c));
        sc_svg_printf(s, "/>\n");
        sc_svg_text(s, lx + 18, y, FONT, SC_SVG_START, 0, 0, cats[c]);
    }
}

static void heat_labels(const heat *h, const heat_geom *g, sc_svg *s)
{
    double cell = g->cell, strip = g->strip, left = g->left, top = g->top;
    double side = g->side, rot = g->rot;
    for (size_t i = 0; i < h->n; i++) {
        double cy = top + cell * (i + 0.5) + FONT * 0.35;
        sc_svg_text(s, left - strip - 6, cy, FONT, SC_SVG_END, 0, 0,
                    h->labels[i]);
        double cx = left + cell * (i + 0.5) + FONT * 0.35;
        sc_svg_text(s, cx, top + side + 8, FONT, SC_SVG_END, rot, 0,
                    h->labels[i]);
    }
}

static int draw_heat(const heat *h, sc_svg *s, sc_err *err)
{
    heat_geom g;
    heat_layout(h, &g);
    sc_svg_begin(s, g.width, g.height, h->title);
    sc_svg_text(s, 10, 24, FONT_TITLE, SC_SVG_START, 0, 1, h->title);
    heat_cells(h, &g, s);
    if (h->band)
        heat_bands(h, &g, s);
    heat_labels(h, &g, s);
    draw_bar(s, h, g.bar_x, g.top, g.bar_len);
    sc_svg_end(s);
    return sc_svg_status(s, err);
}

/* ## Small multiples
 * One figure per metric holding many n x n matrices (every dataset's
 * similarity matrix, or every model subset's consistency matrix) as a grid
 * of panels on one shared colour scale, so panels compare by colour. The
 * colour bar's ends are ticks (sc_plot_axis), so both are labelled. Row
 * and column names are drawn when cells are at least GRID_LABEL_CELL px;
 * values are printed in cells of at least VALUE_CELL px. */
#define GRID_W 1100.0 /* target width of the panel area */
#define GRID_LABEL_CELL 12.0
#define FONT_PANEL 10.0

typedef struct grid {
    size_t np, n;
    const char *const *ptitle; /* np panel titles */
    const char *const *labels; /* n row/column names */
    const double *val;         /* np * n * n; NAN = no value */
    int diverging;
    double lo, hi; /* colour range (viridis) */
    double side;   /* target panel side in px */
    double cmin, cmax;
    int tooltips; /* per-cell <title> and exact data-value */
    const char *title, *value_name;
} grid;

/* Panel p of grid g (cell px cells, column names when labels, row names
 * on the first of the ncol columns), pitch_x x pitch_y apart from
 * (left, top); colours from bar. */
static void grid_panel(const grid *g, const heat *bar, size_t p, double cell,
                       int labels, size_t ncol, double pitch_x, double pitch_y,
                       double left, double top, sc_svg *s)
{
    size_t n = g->n;
    double side = cell * (double)n;
    double px = left + pitch_x * (double)(p % ncol);
    double py = top + FONT_PANEL + 6 + pitch_y * (double)(p / ncol);
    const double *v = g->val + p * n * n;
    sc_svg_text(s, px, py - 5, FONT_PANEL, SC_SVG_START, 0, 0, g->ptitle[p]);
    sc_svg_printf(s, "<g class=\"panel\" data-panel=\"");
    sc_svg_esc(s, g->ptitle[p]);
    sc_svg_printf(s, "\">\n");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double x = v[i * n + j];
            sc_rgb missing = MISSING_RGB;
            sc_rgb c = isnan(x) ? missing : colour(bar, x);
            sc_svg_rect_open(s, px + cell * j, py + cell * i, cell, cell, c);
            if (!g->tooltips) {
                if (!isnan(x))
                    sc_svg_printf(s, " data-v=\"%.6g\"", x);
                sc_svg_printf(s, "/>\n");
            } else {
                if (!isnan(x))
                    sc_svg_printf(s, " data-value=\"%.17g\"", x);
                sc_svg_printf(s, "><title>");
                sc_svg_esc(s, g->labels[i]);
                sc_svg_printf(s, " \xc3\x97 ");
                sc_svg_esc(s, g->labels[j]);
                if (isnan(x))
                    sc_svg_printf(s, ": no value</title></rect>\n");
                else {
                    sc_svg_printf(s, ": ");
                    sc_svg_esc(s, g->value_name);
                    sc_svg_printf(s, " = %.4f</title></rect>\n", x);
                }
            }
            if (!isnan(x) && cell >= VALUE_CELL)
                cell_value(s, px + cell * (j + 0.5), py + cell * (i + 0.5), x,
                           c);
        }
    sc_svg_printf(s, "</g>\n");
    if (labels && p % ncol == 0)
        for (size_t i = 0; i < n; i++)
            sc_svg_text(s, px - 4, py + cell * (i + 0.5) + 3.5, FONT_PANEL,
                        SC_SVG_END, 0, 0, g->labels[i]);
    if (labels)
        for (size_t j = 0; j < n; j++)
            sc_svg_text(s, px + cell * (j + 0.5) + 3.5, py + side + 4,
                        FONT_PANEL, SC_SVG_END, -90, 0, g->labels[j]);
}

static int draw_grid(const grid *g, sc_svg *s, sc_err *err)
{
    size_t n = g->n;
    double cell = g->side / (double)n;
    cell = cell < g->cmin ? g->cmin : cell > g->cmax ? g->cmax : cell;
    double side = cell * (double)n;
    int labels = cell >= GRID_LABEL_CELL;
    double labw = 0, ptw = 0;
    for (size_t i = 0; labels && i < n; i++) {
        double w = sc_svg_text_width(g->labels[i], FONT_PANEL);
        labw = w > labw ? w : labw;
    }
    for (size_t p = 0; p < g->np; p++) {
        double w = sc_svg_text_width(g->ptitle[p], FONT_PANEL);
        ptw = w > ptw ? w : ptw;
    }
    double pitch_x = (side > ptw ? side : ptw) + 14;
    double pitch_y = side + FONT_PANEL * 2 + 8 + (labels ? labw + 6 : 0);
    size_t ncol = (size_t)(GRID_W / pitch_x);
    ncol = ncol < 1 ? 1 : ncol > g->np ? g->np : ncol;
    size_t nrow = (g->np + ncol - 1) / ncol;
    double left = 10 + (labels ? labw + 6 : 0), top = 56;
    double bar_x = left + pitch_x * (double)ncol + 10;
    double width = bar_x + BAR_W + 6 + sc_svg_text_width("-0.000", FONT) + 10;
    double titlew = sc_svg_text_width(g->title, FONT_TITLE) + 20;
    width = width > titlew ? width : titlew;
    double height = top + pitch_y * (double)nrow + 10;
    double bar_len = side * 1.5 < 240 ? 240 : side * 1.5;
    if (top + bar_len + 30 > height)
        height = top + bar_len + 30;
    heat bar = {0};
    bar.diverging = g->diverging;
    bar.lo = g->lo;
    bar.hi = g->hi;
    bar.value_name = g->value_name;

    sc_svg_begin(s, width, height, g->title);
    sc_svg_text(s, 10, 24, FONT_TITLE, SC_SVG_START, 0, 1, g->title);
    for (size_t p = 0; p < g->np; p++)
        grid_panel(g, &bar, p, cell, labels, ncol, pitch_x, pitch_y, left, top,
                   s);
    draw_bar(s, &bar, bar_x, top + FONT + 10, bar_len);
    sc_svg_end(s);
    return sc_svg_status(s, err);
}

/* ## Similarity heatmaps */

/* Display order of the models for metric k. */
static int model_order(const sc_plotset *ps, const sc_plot_opts *opts, size_t k,
                       size_t *order, sc_err *err)
{
    size_t m = ps->m;
    if (opts->order != SC_PLOT_ORDER_CLUSTER) {
        for (size_t i = 0; i < m; i++)
            order[i] = i;
        return SC_OK;
    }
    /* Distance 1 - mean over datasets of the symmetrised similarity. */
    double *dist = sc_calloc(m * m, sizeof *dist);
    if (!dist)
        return sc_err_set(err, SC_ENOMEM, "clustering: out of memory");
    for (size_t d = 0; d < ps->nd; d++) {
        const double *s = ps->sim[d * ps->nk + k].s.data;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < m; j++)
                dist[i * m + j] += 0.5 * (s[i * m + j] + s[j * m + i]);
    }
    for (size_t i = 0; i < m * m; i++)
        dist[i] = 1.0 - dist[i] / (double)ps->nd;
    int rc = sc_upgma(dist, m, order, NULL, err);
    if (rc != SC_OK)
        sc_err_prefix(err, "metric %s", ps->metrics[k]);
    sc_free(dist);
    return rc;
}

/* Every dataset's similarity matrix of metric k in one figure (display
 * order; no per-cell tooltip: at 64 models x 23 datasets that would be
 * 94,000 of them; the per-dataset figures have them). */
static int sim_grid(const sc_plotset *ps, size_t k, const size_t *order,
                    const char **labels, double lo, double hi, sc_figsink *fs,
                    sc_err *err)
{
    size_t m = ps->m, nd = ps->nd;
    double *val = sc_malloc((nd * m * m + 1) * sizeof *val);
    const char **pt = sc_malloc((nd + 1) * sizeof *pt);
    if (!val || !pt) {
        sc_free(val);
        sc_free(pt);
        return sc_err_set(err, SC_ENOMEM, "heatmaps: out of memory");
    }
    for (size_t d = 0; d < nd; d++) {
        const double *sm = ps->sim[d * ps->nk + k].s.data;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < m; j++)
                val[(d * m + i) * m + j] = sm[order[i] * m + order[j]];
        pt[d] = ps->datasets[d];
    }
    char title[512];
    snprintf(title, sizeof title,
             "Similarity (%s) on every dataset, one colour scale",
             ps->metrics[k]);
    grid g = {nd, m,     pt,  labels, val, 0,     lo,
              hi, 180.0, 2.0, 16.0,   0,   title, ps->metrics[k]};
    sc_svg sv;
    sc_svg_init(&sv);
    int rc = draw_grid(&g, &sv, err);
    if (rc == SC_OK)
        rc = sc_figsink_save(fs, "similarity_grid", ps->metrics[k], NULL, title,
                             &sv, err);
    sc_svg_deinit(&sv);
    sc_free(val);
    sc_free(pt);
    return rc;
}

/* Colour scale of metric k: its range over every dataset rounded out to
 * axis ticks, so the colour bar's ends are labelled. */
static void sim_scale(const sc_plotset *ps, size_t k, double *lo, double *hi)
{
    size_t m = ps->m;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t d = 0; d < ps->nd; d++) {
        const double *s = ps->sim[d * ps->nk + k].s.data;
        for (size_t i = 0; i < m * m; i++) {
            *lo = s[i] < *lo ? s[i] : *lo;
            *hi = s[i] > *hi ? s[i] : *hi;
        }
    }
    sc_axis ax;
    sc_plot_axis(*lo, *hi, -INFINITY, INFINITY, &ax);
    *lo = ax.lo;
    *hi = ax.hi;
}

/* The heatmap of metric k on dataset d in display order (order); h holds
 * the labels, bands and scale, and gets the values and title here. */
static int sim_figure(const sc_plotset *ps, const sc_plot_opts *opts, size_t k,
                      size_t d, const size_t *order, heat *h, double *val,
                      sc_figsink *fs, sc_err *err)
{
    size_t m = ps->m;
    const double *sm = ps->sim[d * ps->nk + k].s.data;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            val[i * m + j] = sm[order[i] * m + order[j]];
    char title[512];
    snprintf(title, sizeof title,
             "Similarity (%s) on %s, models "
             "ordered by %s",
             ps->metrics[k], ps->datasets[d],
             opts->order == SC_PLOT_ORDER_CLUSTER ? "average-linkage clustering"
                                                  : "the spec");
    h->val = val;
    h->title = title;
    sc_svg s = {0};
    sc_svg_init(&s);
    int rc = draw_heat(h, &s, err);
    if (rc == SC_OK)
        rc = sc_figsink_save(fs, "similarity", ps->metrics[k], ps->datasets[d],
                             title, &s, err);
    sc_svg_deinit(&s);
    h->title = NULL;
    return rc;
}

int sc_plot_heatmaps(const sc_plotset *ps, const sc_plot_opts *opts,
                     sc_figsink *fs, sc_err *err)
{
    size_t m = ps->m;
    long band_attr;
    int rc = sc_plot_band(ps, opts, &band_attr, err);
    size_t *order = sc_malloc(m * sizeof *order);
    double *val = sc_malloc(m * m * sizeof *val);
    const char **labels = sc_malloc(m * sizeof *labels);
    const char **band = sc_malloc(m * sizeof *band);
    const char **cats = sc_malloc(m * sizeof *cats);
    size_t nc = 0;
    if (rc == SC_OK && (!order || !val || !labels || !band || !cats))
        rc = sc_err_set(err, SC_ENOMEM, "heatmaps: out of memory");
    if (rc == SC_OK && band_attr >= 0) {
        /* Colours follow the spec order of categories in every figure. */
        for (size_t i = 0; i < m; i++)
            band[i] = ps->meta[i * ps->na + (size_t)band_attr];
        nc = categories(band, m, cats);
    }
    for (size_t k = 0; rc == SC_OK && k < ps->nk; k++) {
        rc = model_order(ps, opts, k, order, err);
        double lo, hi;
        sim_scale(ps, k, &lo, &hi);
        for (size_t i = 0; i < m; i++) {
            labels[i] = ps->models[order[i]];
            if (band_attr >= 0)
                band[i] = ps->meta[order[i] * ps->na + (size_t)band_attr];
        }
        heat h = {m,
                  labels,
                  val,
                  0,
                  lo,
                  hi,
                  NULL,
                  ps->metrics[k],
                  band_attr >= 0 ? band : NULL,
                  band_attr >= 0 ? ps->attrs[band_attr] : NULL,
                  cats,
                  nc,
                  "no value",
                  0};
        for (size_t d = 0; rc == SC_OK && d < ps->nd; d++)
            rc = sim_figure(ps, opts, k, d, order, &h, val, fs, err);
        if (rc == SC_OK)
            rc = sim_grid(ps, k, order, labels, lo, hi, fs, err);
    }
    sc_free(order);
    sc_free(val);
    sc_free(labels);
    sc_free(band);
    sc_free(cats);
    return rc;
}

/* ## Consistency heatmaps */

/* What the consistency figures of one result folder share. */
typedef struct cons_figs {
    const sc_plotset *ps;
    int col[5];          /* metric, dataset_a, dataset_b, model_set, r */
    const char **labels; /* nd dataset names, display order */
    const char **doms;   /* nd domains, display order */
    const char **dcats;  /* distinct domains */
    size_t ndc;
    int has_domains;
    const char **sets; /* distinct model sets in file order (table cells) */
    size_t ns;
    double *gval; /* ns * nd * nd: the panels of one metric's grid */
    const char **gtitle;
} cons_figs;

/* Distinct model sets of consistency.csv in file order, and the domains. */
static void cons_figs_index(cons_figs *c)
{
    const sc_plotset *ps = c->ps;
    for (size_t i = 0; i < ps->nd; i++) {
        c->labels[i] = ps->datasets[ps->dorder[i]];
        c->doms[i] = ps->domains[ps->dorder[i]];
        c->has_domains |= c->doms[i][0] != '\0';
    }
    c->ndc = categories(c->doms, ps->nd, c->dcats);
    for (size_t r = 0; r < ps->cons.nrows; r++) {
        const char *set = sc_tidy_at(&ps->cons, r, c->col[3]);
        size_t q = 0;
        while (q < c->ns && strcmp(c->sets[q], set) != 0)
            q++;
        if (q == c->ns)
            c->sets[c->ns++] = set;
    }
}

/* The all-pairs matrix of metric k alone, with values in its cells. */
static int cons_all(const cons_figs *c, size_t k, const char *set,
                    const double *val, sc_figsink *fs, sc_err *err)
{
    const sc_plotset *ps = c->ps;
    char title[512];
    snprintf(title, sizeof title,
             "Consistency across datasets "
             "(%s), model pairs: %s",
             ps->metrics[k], set);
    heat h = {ps->nd,
              c->labels,
              val,
              1,
              -1,
              1,
              title,
              "r",
              c->has_domains ? c->doms : NULL,
              "domain",
              c->dcats,
              c->ndc,
              "same dataset or no estimate",
              1};
    sc_svg s;
    sc_svg_init(&s);
    int rc = draw_heat(&h, &s, err);
    if (rc == SC_OK)
        rc = sc_figsink_save(fs, "consistency", ps->metrics[k], set, title, &s,
                             err);
    sc_svg_deinit(&s);
    return rc;
}

/* Metric k: the "all" figure, then every model subset as one grid of
 * small multiples. */
static int cons_metric(const cons_figs *c, size_t k, sc_figsink *fs,
                       sc_err *err)
{
    const sc_plotset *ps = c->ps;
    size_t nd = ps->nd, np = 0;
    int rc = SC_OK;
    for (size_t q = 0; rc == SC_OK && q < c->ns; q++) {
        double *v = c->gval + np * nd * nd;
        int any;
        rc = sc_plot_cons_matrix(ps, c->col, ps->metrics[k], c->sets[q], v,
                                 &any, err);
        if (rc != SC_OK || !any)
            continue;
        c->gtitle[np++] = c->sets[q];
        if (strcmp(c->sets[q], "all") == 0)
            rc = cons_all(c, k, c->sets[q], v, fs, err);
    }
    if (rc != SC_OK || np == 0)
        return rc;
    char title[512];
    snprintf(title, sizeof title,
             "Consistency across datasets (%s), every model subset",
             ps->metrics[k]);
    grid g = {np,  nd,  c->gtitle, c->labels, c->gval, 1,     -1.0,
              1.0, 160, 4.0,       48.0,      1,       title, "r"};
    sc_svg s;
    sc_svg_init(&s);
    rc = draw_grid(&g, &s, err);
    if (rc == SC_OK)
        rc = sc_figsink_save(fs, "consistency_grid", ps->metrics[k], NULL,
                             title, &s, err);
    sc_svg_deinit(&s);
    return rc;
}

int sc_plot_consistency(const sc_plotset *ps, const sc_plot_opts *opts,
                        sc_figsink *fs, sc_err *err)
{
    if (!ps->has_cons)
        return SC_OK;
    static const char *const need[] = {SC_COL_METRIC, SC_COL_DATASET_A,
                                       SC_COL_DATASET_B, SC_COL_MODEL_SET,
                                       SC_COL_R};
    cons_figs c = {0};
    c.ps = ps;
    long band;
    int rc = sc_tidy_need(&ps->cons, need, 5, c.col, err);
    if (rc == SC_OK)
        rc = sc_plot_band(ps, opts, &band, err);
    if (rc != SC_OK)
        return rc;
    size_t nd = ps->nd;
    c.labels = sc_malloc(nd * sizeof *c.labels);
    c.doms = sc_malloc(nd * sizeof *c.doms);
    c.dcats = sc_malloc(nd * sizeof *c.dcats);
    c.sets = sc_malloc((ps->cons.nrows + 1) * sizeof *c.sets);
    if (!c.labels || !c.doms || !c.dcats || !c.sets)
        rc = sc_err_set(err, SC_ENOMEM, "consistency: out of memory");
    if (rc == SC_OK) {
        cons_figs_index(&c);
        c.gval = sc_malloc((c.ns * nd * nd + 1) * sizeof *c.gval);
        c.gtitle = sc_malloc((c.ns + 1) * sizeof *c.gtitle);
        if (!c.gval || !c.gtitle)
            rc = sc_err_set(err, SC_ENOMEM, "consistency: out of memory");
    }
    for (size_t k = 0; rc == SC_OK && k < ps->nk; k++)
        rc = cons_metric(&c, k, fs, err);
    sc_free(c.gval);
    sc_free(c.gtitle);
    sc_free(c.labels);
    sc_free(c.doms);
    sc_free(c.dcats);
    sc_free(c.sets);
    return rc;
}
