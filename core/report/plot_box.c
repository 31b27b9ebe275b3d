/* Box plots of consistency over dataset pairs, one box per category pair
 * of an attribute, per (metric, attribute) -- the paper's figure 3 layout
 * (Ciernik et al. 2025), drawn horizontally so category names stay
 * horizontal and readable.
 *
 * Each box summarises the r values of one model set ("attr:a|b") over all
 * dataset pairs in consistency.csv: quartiles by GSL's type-7 quantile
 * (sc_quartiles_sort, core/stats/quartiles.h: the same definition as numpy's
 * default), whiskers to the most extreme value within 1.5 IQR of the box
 * (Tukey); every dataset pair is drawn as a point over its box, jittered
 * vertically with a fixed seed. Boxes are sorted by median, highest
 * first (ties by name). Both decisions compare computed values and use the
 * tie rule of core/num/tie.h, so they come out the same on every CPU: a value
 * within SC_TIE_RTOL (relative) of a Tukey fence is inside it, and medians
 * tied up to SC_TIE_RTOL are ordered by name. The all-pairs set ("all") is
 * drawn as a grey reference band (IQR) with a dashed median line. Below the
 * axis, each contrast of contrasts.csv for this metric and attribute is printed
 * with its effect, CI, p and q. Box rects carry data-median/-q1/-q3 (%.17g). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "plot_int.h"
#include "quartiles.h"
#include "rng.h"
#include "tie.h"
#include "results_schema.h"

#define FONT 11.0
#define FONT_TITLE 14.0
#define ROW 30.0 /* vertical pitch of one box */
#define BOX_H 16.0
#define PLOT_W 460.0 /* width of the value axis */
#define TUKEY 1.5
/* Seed of the points' vertical jitter (any fixed value). */
#define SC_BOX_JITTER_SEED 16u

typedef struct box {
    const char *set; /* borrowed table cell */
    char label[256]; /* "a \u2013 b" from "attr:a|b" */
    int within;      /* a == b */
    char cat[128];   /* a, for the colour of within-category boxes */
    size_t n;
    double *v; /* sorted values */
    sc_boxstat st;
} box;

int sc_plot_box_inside(const sc_boxstat *st, double v)
{
    return sc_tie_cmp(v, st->fence_lo) >= 0 && sc_tie_cmp(v, st->fence_hi) <= 0;
}

void sc_plot_box_stats(double *v, size_t n, sc_boxstat *st)
{
    sc_quartiles qs = sc_quartiles_sort(v, n);
    st->q1 = qs.q1;
    st->med = qs.med;
    st->q3 = qs.q3;
    double iqr = st->q3 - st->q1;
    st->wlo = st->q1;
    st->whi = st->q3;
    st->fence_lo = st->q1 - TUKEY * iqr;
    st->fence_hi = st->q3 + TUKEY * iqr;
    for (size_t i = 0; i < n; i++) {
        if (!sc_plot_box_inside(st, v[i]))
            continue;
        st->wlo = v[i] < st->wlo ? v[i] : st->wlo;
        st->whi = v[i] > st->whi ? v[i] : st->whi;
    }
}

/* x before y: higher key first, then name (a consistent total order). */
static int before(const double *key, const char *const *name, size_t x,
                  size_t y)
{
    if (key[x] != key[y])
        return key[x] > key[y];
    return strcmp(name[x], name[y]) < 0;
}

void sc_plot_order_desc(const double *key, const char *const *name, size_t n,
                        size_t *order)
{
    /* Insertion sorts: n is a handful of category pairs, and unlike qsort
     * they need no context pointer. First exactly, then each run of keys
     * tied with the run's first (highest) key is re-sorted by name; a
     * tolerant comparator would not be a consistent order to sort by. */
    for (size_t i = 0; i < n; i++) {
        size_t x = i, j = i;
        for (; j > 0 && before(key, name, x, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
    for (size_t a = 0; a < n;) {
        size_t e = a + 1;
        while (e < n && sc_tie_eq(key[order[e]], key[order[a]]))
            e++;
        for (size_t i = a + 1; i < e; i++) {
            size_t x = order[i], j = i;
            for (; j > a && strcmp(name[x], name[order[j - 1]]) < 0; j--)
                order[j] = order[j - 1];
            order[j] = x;
        }
        a = e;
    }
}

/* Boxes by median, highest first, ties (tie rule) by set name. */
static int sort_boxes(box *boxes, size_t nb, sc_err *err)
{
    size_t bytes =
        nb * (sizeof(box) + sizeof(double) + sizeof(char *) + sizeof(size_t));
    box *copy = sc_malloc(bytes + 1);
    if (!copy)
        return sc_err_set(err, SC_ENOMEM, "box plot: out of memory");
    double *key = (double *)(copy + nb);
    const char **name = (const char **)(key + nb);
    size_t *order = (size_t *)(name + nb);
    for (size_t b = 0; b < nb; b++) {
        copy[b] = boxes[b];
        key[b] = boxes[b].st.med;
        name[b] = boxes[b].set;
    }
    sc_plot_order_desc(key, name, nb, order);
    for (size_t b = 0; b < nb; b++)
        boxes[b] = copy[order[b]];
    sc_free(copy);
    return SC_OK;
}

/* Values of r for (metric, set) into b->v (sorted, summarised). */
static int collect(const sc_plotset *ps, const int *col, const char *metric,
                   box *b, sc_err *err)
{
    const sc_tidy *t = &ps->cons;
    b->v = sc_malloc((t->nrows + 1) * sizeof *b->v);
    if (!b->v)
        return sc_err_set(err, SC_ENOMEM, "box plot: out of memory");
    b->n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(sc_tidy_at(t, r, col[0]), metric) != 0 ||
            strcmp(sc_tidy_at(t, r, col[1]), b->set) != 0)
            continue;
        double v;
        int present;
        int rc = sc_tidy_num(t, r, col[2], &v, &present, err);
        if (rc != SC_OK)
            return rc;
        if (present)
            b->v[b->n++] = v;
    }
    if (b->n > 0)
        sc_plot_box_stats(b->v, b->n, &b->st);
    return SC_OK;
}

/* Attribute of a category-pair set "attr:a|b" into out; 0 if set is not
 * one ("all", anchors). */
static int set_attr(const char *set, char *out, size_t size)
{
    const char *colon = strchr(set, ':');
    if (!colon || strchr(colon, '|') == NULL ||
        strncmp(set, "anchor:", 7) == 0 || (size_t)(colon - set) >= size)
        return 0;
    memcpy(out, set, (size_t)(colon - set));
    out[colon - set] = '\0';
    return 1;
}

static double xpos(double v, double lo, double hi, double x0)
{
    return x0 + PLOT_W * (v - lo) / (hi - lo);
}

/* Contrast lines for (metric, attr): "a vs b: effect ..., p, q". */
static int contrast_lines(const sc_plotset *ps, const char *metric,
                          const char *attr, char (*lines)[256], size_t max,
                          size_t *count, sc_err *err)
{
    *count = 0;
    if (!ps->has_contr)
        return SC_OK;
    static const char *const need[] = {
        SC_COL_METRIC,     SC_COL_ATTRIBUTE, SC_COL_CATEGORY_A,
        SC_COL_CATEGORY_B, SC_COL_EFFECT,    SC_COL_CI_LO,
        SC_COL_CI_HI,      SC_COL_P,         SC_COL_Q};
    int c[9];
    const sc_tidy *t = &ps->contr;
    int rc = sc_tidy_need(t, need, 9, c, err);
    for (size_t r = 0; rc == SC_OK && r < t->nrows && *count < max; r++) {
        if (strcmp(sc_tidy_at(t, r, c[0]), metric) != 0 ||
            strcmp(sc_tidy_at(t, r, c[1]), attr) != 0 ||
            sc_tidy_at(t, r, c[3])[0] == '\0')
            continue;
        sc_statrow st;
        rc = sc_tidy_statrow(t, r, c + 4, SC_NUM_FIGURE, &st, err);
        if (rc != SC_OK)
            break;
        snprintf(lines[*count], 256,
                 "%s vs %s (within-category mean r): "
                 "difference %s, permutation p = %s, q = %s",
                 sc_tidy_at(t, r, c[2]), sc_tidy_at(t, r, c[3]), st.est, st.p,
                 st.q);
        (*count)++;
    }
    return rc;
}

/* A box-plot figure's layout: value axis [lo, hi] over PLOT_W px from x0,
 * one ROW per box from top. */
typedef struct layout {
    double lo, hi, x0, top, plot_h, width, height;
    sc_axis ax;
} layout;

static double lx(const layout *L, double v)
{
    return xpos(v, L->lo, L->hi, L->x0);
}

static void lay_out(box *boxes, size_t nb, const box *ref, char (*lines)[256],
                    size_t nl, const char *title, layout *L)
{
    double lo = INFINITY, hi = -INFINITY;
    double labw = 0;
    for (size_t b = 0; b < nb; b++) {
        lo = boxes[b].v[0] < lo ? boxes[b].v[0] : lo;
        hi = boxes[b].v[boxes[b].n - 1] > hi ? boxes[b].v[boxes[b].n - 1] : hi;
        double w = sc_svg_text_width(boxes[b].label, FONT);
        labw = w > labw ? w : labw;
    }
    if (ref) {
        lo = ref->st.q1 < lo ? ref->st.q1 : lo;
        hi = ref->st.q3 > hi ? ref->st.q3 : hi;
    }
    /* r is a correlation: the axis never leaves [-1, 1]. */
    sc_plot_axis(lo, hi, -1.0, 1.0, &L->ax);
    L->lo = L->ax.lo;
    L->hi = L->ax.hi;
    L->x0 = 20 + labw + 10;
    L->top = 60;
    L->plot_h = ROW * (double)nb;
    double nw = sc_svg_text_width("n = 0000", FONT);
    double width = L->x0 + PLOT_W + 20 + nw;
    double tw = sc_svg_text_width(title, FONT_TITLE) + 20;
    for (size_t l = 0; l < nl; l++) {
        double w = sc_svg_text_width(lines[l], FONT) + 20;
        tw = w > tw ? w : tw;
    }
    L->width = tw > width ? tw : width;
    L->height = L->top + L->plot_h + 50 + FONT * 1.6 * (double)(nl + 2);
}

/* The all-pairs reference: a grey IQR band with a dashed median line. */
static void ref_band(sc_svg *s, const layout *L, const box *ref)
{
    char note[160];
    snprintf(note, sizeof note,
             "grey band: all model pairs, median "
             "%.2f, IQR [%.2f, %.2f] over %zu dataset pairs",
             ref->st.med, ref->st.q1, ref->st.q3, ref->n);
    sc_svg_text(s, 10, 44, FONT, SC_SVG_START, 0, 0, note);
    sc_rgb band = {230, 230, 230};
    sc_svg_rect_open(s, lx(L, ref->st.q1), L->top,
                     lx(L, ref->st.q3) - lx(L, ref->st.q1), L->plot_h, band);
    sc_svg_printf(s,
                  "><title>all model pairs: median %.4f, IQR "
                  "[%.4f, %.4f]</title></rect>\n",
                  ref->st.med, ref->st.q1, ref->st.q3);
    double mx = lx(L, ref->st.med);
    sc_svg_line_attrs(s, mx, L->top, mx, L->top + L->plot_h,
                      "stroke=\"#555555\" stroke-width=\"1.5\" "
                      "stroke-dasharray=\"5 3\"");
}

/* Axis with ticks and grid below the boxes. */
static void value_axis(sc_svg *s, const layout *L, const char *metric)
{
    double ay = L->top + L->plot_h, x0 = L->x0;
    sc_svg_line(s, x0, ay, x0 + PLOT_W, ay, "#000", 1);
    for (size_t t = 0; t < L->ax.n; t++) {
        double x = lx(L, L->ax.t[t]);
        char lab[32];
        sc_plot_axis_label(&L->ax, t, lab, sizeof lab);
        sc_svg_line(s, x, L->top, x, ay, "#eeeeee", 0.5);
        sc_svg_line(s, x, ay, x, ay + 4, "#000", 1);
        sc_svg_text(s, x, ay + 16, FONT, SC_SVG_MIDDLE, 0, 0, lab);
    }
    char axis[160];
    snprintf(axis, sizeof axis, "consistency r over dataset pairs (%s)",
             metric);
    sc_svg_text(s, x0 + PLOT_W / 2, ay + 34, FONT, SC_SVG_MIDDLE, 0, 0, axis);
}

/* Box bx in row b. Within-category boxes take their category's colour in
 * the heatmap bands (spec order); between-category boxes are grey. */
static void one_box(sc_svg *s, const layout *L, const sc_plotset *ps,
                    const char *attr, const box *bx, size_t b)
{
    double cy = L->top + ROW * (b + 0.5);
    long ci = sc_plot_cat_index(ps, attr, bx->cat);
    sc_rgb fill = bx->within && ci >= 0 ? sc_palette_category((size_t)ci)
                                        : (sc_rgb){189, 189, 189};
    sc_svg_text(s, L->x0 - 10, cy + FONT * 0.35, FONT, SC_SVG_END, 0, 0,
                bx->label);
    sc_svg_line(s, lx(L, bx->st.wlo), cy, lx(L, bx->st.q1), cy, "#000", 1);
    sc_svg_line(s, lx(L, bx->st.q3), cy, lx(L, bx->st.whi), cy, "#000", 1);
    sc_svg_line(s, lx(L, bx->st.wlo), cy - BOX_H / 4, lx(L, bx->st.wlo),
                cy + BOX_H / 4, "#000", 1);
    sc_svg_line(s, lx(L, bx->st.whi), cy - BOX_H / 4, lx(L, bx->st.whi),
                cy + BOX_H / 4, "#000", 1);
    sc_svg_rect_open(s, lx(L, bx->st.q1), cy - BOX_H / 2,
                     lx(L, bx->st.q3) - lx(L, bx->st.q1), BOX_H, fill);
    sc_svg_printf(s, " stroke=\"#000\" stroke-width=\"1\" data-set=\"");
    sc_svg_esc(s, bx->set);
    sc_svg_printf(s,
                  "\" data-median=\"%.17g\" data-q1=\"%.17g\" "
                  "data-q3=\"%.17g\"><title>",
                  bx->st.med, bx->st.q1, bx->st.q3);
    sc_svg_esc(s, bx->set);
    sc_svg_printf(s,
                  ": median %.4f, IQR [%.4f, %.4f], %zu dataset "
                  "pairs</title></rect>\n",
                  bx->st.med, bx->st.q1, bx->st.q3, bx->n);
    sc_svg_line(s, lx(L, bx->st.med), cy - BOX_H / 2, lx(L, bx->st.med),
                cy + BOX_H / 2, "#000", 2);
    /* Every dataset pair as a point, jittered vertically within the box by
     * a generator seeded from the set's name (same figure, same bytes);
     * points outside the whiskers are Tukey outliers. */
    uint64_t rs = sc_rng_task_seed(SC_BOX_JITTER_SEED, bx->set);
    sc_svg_printf(s, "<g class=\"points\" data-set=\"");
    sc_svg_esc(s, bx->set);
    sc_svg_printf(s, "\" fill=\"#222222\" fill-opacity=\"0.55\">\n");
    for (size_t i = 0; i < bx->n; i++) {
        double u = sc_plot_jitter(&rs);
        sc_svg_printf(s, "<circle cx=\"");
        sc_svg_num(s, lx(L, bx->v[i]));
        sc_svg_printf(s, "\" cy=\"");
        sc_svg_num(s, cy + (u - 0.5) * BOX_H * 0.8);
        sc_svg_printf(s, "\" r=\"2\" data-r=\"%.17g\"/>\n", bx->v[i]);
    }
    sc_svg_printf(s, "</g>\n");
    char n_lab[32];
    snprintf(n_lab, sizeof n_lab, "n = %zu", bx->n);
    sc_svg_text(s, L->x0 + PLOT_W + 10, cy + FONT * 0.35, FONT, SC_SVG_START, 0,
                0, n_lab);
}

static void draw(const sc_plotset *ps, const char *metric, const char *attr,
                 box *boxes, size_t nb, const box *ref, char (*lines)[256],
                 size_t nl, const char *title, sc_svg *s)
{
    layout L;
    lay_out(boxes, nb, ref, lines, nl, title, &L);
    sc_svg_begin(s, L.width, L.height, title);
    sc_svg_text(s, 10, 24, FONT_TITLE, SC_SVG_START, 0, 1, title);
    if (ref)
        ref_band(s, &L, ref);
    value_axis(s, &L, metric);
    for (size_t b = 0; b < nb; b++)
        one_box(s, &L, ps, attr, &boxes[b], b);
    double ly = L.top + L.plot_h + 34 + FONT * 2.2;
    if (nl > 0)
        sc_svg_text(s, 10, ly, FONT, SC_SVG_START, 0, 1,
                    "Category contrasts (contrasts.csv):");
    for (size_t l = 0; l < nl; l++)
        sc_svg_text(s, 10, ly + FONT * 1.6 * (l + 1), FONT, SC_SVG_START, 0, 0,
                    lines[l]);
    sc_svg_end(s);
}

/* The next uniform in [0, 1) of a figure's point jitter: a 64-bit LCG
 * (Knuth's MMIX constants) on *state, so a figure is the same bytes on
 * every machine. */
double sc_plot_jitter(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

#define MAX_LINES 32

static int one_figure(const sc_plotset *ps, const int *col, const char *metric,
                      const char *attr, const char **sets, size_t ns,
                      sc_figsink *fs, sc_err *err)
{
    box *boxes = sc_calloc(ns + 1, sizeof *boxes);
    if (!boxes)
        return sc_err_set(err, SC_ENOMEM, "box plot: out of memory");
    box ref = {0};
    ref.set = "all";
    int rc = SC_OK;
    size_t nb = 0, la = strlen(attr);
    for (size_t q = 0; rc == SC_OK && q < ns; q++) {
        char a[256];
        if (!set_attr(sets[q], a, sizeof a) || strcmp(a, attr) != 0)
            continue;
        box *b = &boxes[nb];
        b->set = sets[q];
        const char *pair = sets[q] + la + 1;
        const char *bar = strchr(pair, '|');
        size_t lc = (size_t)(bar - pair);
        snprintf(b->cat, sizeof b->cat, "%.*s", (int)lc, pair);
        snprintf(b->label, sizeof b->label, "%s \xe2\x80\x93 %s", b->cat,
                 bar + 1);
        b->within = strcmp(bar + 1, b->cat) == 0;
        rc = collect(ps, col, metric, b, err);
        if (rc == SC_OK && b->n > 0)
            nb++;
        else {
            sc_free(b->v);
            b->v = NULL;
        }
    }
    if (rc == SC_OK)
        rc = collect(ps, col, metric, &ref, err);
    char(*lines)[256] = sc_malloc(MAX_LINES * sizeof *lines);
    size_t nl = 0;
    if (rc == SC_OK && !lines)
        rc = sc_err_set(err, SC_ENOMEM, "box plot: out of memory");
    if (rc == SC_OK)
        rc = contrast_lines(ps, metric, attr, lines, MAX_LINES, &nl, err);
    if (rc == SC_OK && nb > 0)
        rc = sort_boxes(boxes, nb, err);
    if (rc == SC_OK && nb > 0) {
        char title[512];
        snprintf(title, sizeof title, "Consistency by %s category pair (%s)",
                 attr, metric);
        sc_svg s;
        sc_svg_init(&s);
        draw(ps, metric, attr, boxes, nb, ref.n > 0 ? &ref : NULL, lines, nl,
             title, &s);
        rc = sc_svg_status(&s, err);
        if (rc == SC_OK)
            rc = sc_figsink_save(fs, "boxes", metric, attr, title, &s, err);
        sc_svg_deinit(&s);
    }
    for (size_t b = 0; b < ns + 1; b++)
        sc_free(boxes[b].v);
    sc_free(boxes);
    sc_free(ref.v);
    sc_free(lines);
    return rc;
}

int sc_plot_boxes(const sc_plotset *ps, sc_figsink *fs, sc_err *err)
{
    if (!ps->has_cons)
        return SC_OK;
    static const char *const need[] = {SC_COL_METRIC, SC_COL_MODEL_SET,
                                       SC_COL_R};
    int col[3];
    int rc = sc_tidy_need(&ps->cons, need, 3, col, err);
    if (rc != SC_OK)
        return rc;
    const sc_tidy *t = &ps->cons;
    /* Distinct category-pair sets and their attributes, in file order. */
    const char **sets = sc_malloc((t->nrows + 1) * sizeof *sets);
    char(*attrs)[128] = sc_malloc((t->nrows + 1) * sizeof *attrs);
    size_t ns = 0, na = 0;
    if (!sets || !attrs)
        rc = sc_err_set(err, SC_ENOMEM, "box plot: out of memory");
    for (size_t r = 0; rc == SC_OK && r < t->nrows; r++) {
        const char *set = sc_tidy_at(t, r, col[1]);
        char a[128];
        if (!set_attr(set, a, sizeof a))
            continue;
        size_t q = 0;
        while (q < ns && strcmp(sets[q], set) != 0)
            q++;
        if (q == ns)
            sets[ns++] = set;
        q = 0;
        while (q < na && strcmp(attrs[q], a) != 0)
            q++;
        if (q == na)
            memcpy(attrs[na++], a, sizeof a);
    }
    for (size_t k = 0; rc == SC_OK && k < ps->nk; k++)
        for (size_t a = 0; rc == SC_OK && a < na; a++)
            rc = one_figure(ps, col, ps->metrics[k], attrs[a], sets, ns, fs,
                            err);
    sc_free(sets);
    sc_free(attrs);
    return rc;
}
