/* Internal interface shared by plot_*.c and report.c (not installed).
 *
 * Purpose: one loader for a result folder (sc_plotset), a tidy-CSV reader
 * (sc_tidy) for consistency/behaviour/contrasts/models/datasets.csv, the
 * figure sink that writes SVGs into the staging folder and the index, and
 * small formatting helpers, so each figure module only draws.
 * Invariants: every loaded similarity matrix is aligned to the model order
 * of the first one read (the spec order the runner writes); metadata rows
 * are aligned to the same order; everything is owned by the sc_plotset. */
#ifndef SC_PLOT_INT_H
#define SC_PLOT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "format.h"
#include "plot.h"
#include "simcsv.h"
#include "svg.h"

/* ## Tidy CSV (tidy.c: header line, then rows; RFC 4180 quoting accepted) */
typedef struct sc_tidy {
    char *path; /* for messages */
    size_t ncols, nrows;
    char **head;  /* ncols names */
    char **cell;  /* nrows * ncols, row-major; empty string for "" */
    size_t *line; /* 1-based file line of each row */
} sc_tidy;

/* Read path. SC_EIO "path:line: ..." when the file cannot be read, is
 * empty, has an unterminated quote or a row with a different field count
 * than the header; SC_ENOMEM. On failure t is empty (safe to deinit). */
int sc_tidy_read(const char *path, sc_tidy *t, sc_err *err);
void sc_tidy_deinit(sc_tidy *t);
/* Column index of name, or -1. */
int sc_tidy_col(const sc_tidy *t, const char *name);
/* Look up n required columns into idx; SC_EIO naming the first missing
 * column and the file. */
int sc_tidy_need(const sc_tidy *t, const char *const *names, size_t n, int *idx,
                 sc_err *err);
const char *sc_tidy_at(const sc_tidy *t, size_t row, int col);
/* Parse cell (row, col) as a finite double. Empty cell: *present = 0 and
 * SC_OK. Otherwise SC_EIO "path:line: column 'c': 'x' is not a number". */
int sc_tidy_num(const sc_tidy *t, size_t row, int col, double *v, int *present,
                sc_err *err);
/* An estimate with its CI, p and q as read from one row and as shown. */
typedef struct sc_statrow {
    double v[5]; /* estimate, ci_lo, ci_hi, p, q; NaN where the cell is empty */
    char est[96]; /* "0.71 [0.65, 0.77]" (SC_NUM_FIGURE), "n/a" when missing */
    char p[32], q[32]; /* in the caller's style */
} sc_statrow;
/* Read row's columns col[0..5) (estimate, ci_lo, ci_hi, p, q; errors as
 * sc_tidy_num) into out and format them (format.h): the estimate as the
 * figures print it, p and q in pstyle. */
int sc_tidy_statrow(const sc_tidy *t, size_t row, const int *col,
                    sc_numstyle pstyle, sc_statrow *out, sc_err *err);

/* ## A result folder */
typedef struct sc_plotset {
    char *dir;
    size_t nd;       /* datasets */
    char **datasets; /* nd names, datasets.csv order (else sorted) */
    char **domains;  /* nd domains; "" when datasets.csv is absent */
    size_t nk;       /* metrics (sorted file stems) */
    char **metrics;
    size_t m;          /* models */
    char **models;     /* borrowed from sim[0].names */
    size_t na;         /* attribute columns of models.csv (0 if absent) */
    char **attrs;      /* borrowed from models_csv.head + 1 */
    const char **meta; /* m * na, meta[i * na + a], borrowed */
    sc_simmat *sim;    /* nd * nk, sim[d * nk + k], aligned to models */
    /* Display order of the datasets in every figure and the report:
     * grouped by domain (domains in first-appearance order, datasets in
     * folder order within a domain); dpos is its inverse. */
    size_t *dorder, *dpos;
    /* nd: behaviour/<dataset>/gap.csv aligned to models; .m == 0 for a
     * dataset without one. */
    sc_simmat *gap;
    sc_tidy models_csv, cons, beh, contr;
    int has_cons, has_beh, has_contr;
} sc_plotset;

/* Read every file of the result folder dir that the figures and the report
 * use, once: each is parsed here and nowhere else. */
int sc_plotset_load(const char *dir, sc_plotset *ps, sc_err *err);
void sc_plotset_deinit(sc_plotset *ps);
/* val (nd x nd, in dorder display order) = consistency.csv's r for
 * (metric, set), NAN where there is none (the diagonal, rows without a
 * value, a one-dataset run's row); col: the columns metric, dataset_a,
 * dataset_b, model_set, r. *any: whether any value was found. SC_EINVAL
 * for a dataset without a similarity/ folder; sc_tidy_num's errors. */
int sc_plot_cons_matrix(const sc_plotset *ps, const int *col,
                        const char *metric, const char *set, double *val,
                        int *any, sc_err *err);
/* Index of name in list[n], or -1. */
long sc_plot_find(char *const *list, size_t n, const char *name);

/* ## Figure sink */
typedef struct sc_figsink {
    char *dir;        /* staging folder */
    sc_svg index;     /* index.tsv being built */
    unsigned formats; /* SC_PLOT_PDF / SC_PLOT_PNG besides SVG */
} sc_figsink;

/* Write <base>.pdf and/or <base>.png (formats) of svg, rendered by librsvg
 * and cairo (plot_render.c). SC_EIO naming the file. */
int sc_plot_render(const sc_svg *svg, const char *base, unsigned formats,
                   sc_err *err);

/* Write svg as <dir>/<kind>_<stem(a)>[__<stem(b)>].svg (<kind>.svg when
 * a is NULL; label then kind), where stem()
 * keeps [A-Za-z0-9._-] and maps other bytes to '_' (a name already taken
 * by an earlier figure gets "_2", "_3", ... before ".svg"), and append
 * "kind\tfile\tlabel\tcaption\n" to the index, label being "a / b" (tabs
 * and newlines in label and caption become spaces). SC_EINVAL when more
 * than 100 figures share one stem, SC_EIO, SC_ENOMEM. */
int sc_figsink_save(sc_figsink *fs, const char *kind, const char *a,
                    const char *b, const char *caption, const sc_svg *svg,
                    sc_err *err);

/* ## Figure modules (each draws every figure of its kind) */
int sc_plot_heatmaps(const sc_plotset *ps, const sc_plot_opts *opts,
                     sc_figsink *fs, sc_err *err);
int sc_plot_consistency(const sc_plotset *ps, const sc_plot_opts *opts,
                        sc_figsink *fs, sc_err *err);
int sc_plot_boxes(const sc_plotset *ps, sc_figsink *fs, sc_err *err);
int sc_plot_behaviour(const sc_plotset *ps, sc_figsink *fs, sc_err *err);
/* figures/summary.svg: the multi-panel paper figure (plot_summary.c). */
int sc_plot_summary(const sc_plotset *ps, sc_figsink *fs, sc_err *err);

/* ## Box-plot summary (plot_box.c) */
typedef struct sc_boxstat {
    double q1, med, q3;        /* type-7 quartiles (numpy's default)   */
    double fence_lo, fence_hi; /* Tukey fences q1 - 1.5 IQR, q3 + 1.5 IQR */
    double wlo, whi;           /* whisker ends                         */
} sc_boxstat;

/* Summary of v[0..n), n >= 1, sorted ascending in place: quartiles,
 * fences, and whiskers to the most extreme values within the fences (q1
 * and q3 when there are none). A value tied with a fence up to the tie rule
 * of core/num/tie.h is within it, so a value that equals the fence but for
 * CPU-dependent rounding is drawn the same on every machine. */
void sc_plot_box_stats(double *v, size_t n, sc_boxstat *st);
/* Non-zero when v is within st's fences (in the box or on a whisker), 0
 * for a point drawn singly (an outlier). */
int sc_plot_box_inside(const sc_boxstat *st, double v);
/* order[0..n) = 0..n-1 sorted by key, highest first; keys tied up to the
 * tie rule (each run anchored at its highest key) by name, ascending.
 * Used for the order of the boxes (key = median). No allocation. */
void sc_plot_order_desc(const double *key, const char *const *name, size_t n,
                        size_t *order);

/* The next uniform in [0, 1) of a figure's point jitter, from *state
 * (seeded with sc_rng_task_seed); plot_box.c. */
double sc_plot_jitter(uint64_t *state);

/* ## Helpers */
/* Free n sc_malloc'ed strings and the array (NULL is fine). */
void sc_plot_free_strings(char **list, size_t n);
/* "<a>/<b>" into a new sc_malloc'ed string (NULL on ENOMEM). */
char *sc_plot_join(const char *a, const char *b);
/* An axis: ticks t[0..n-1] from lo to hi (both ends are ticks, so both
 * are labelled), printed with dec decimals. */
#define SC_AXIS_MAX 8
typedef struct sc_axis {
    double lo, hi;
    size_t n;
    double t[SC_AXIS_MAX];
    int dec;
} sc_axis;
/* The one tick algorithm of every figure: a range holding [lo, hi] (the
 * data), rounded out to a step of 1, 2 or 5 x 10^e with 4-8 ticks, and
 * kept within [min, max] (e.g. [-1, 1] for correlations; +-INFINITY for
 * none). One value or all-equal data get 5% of the value (at least 0.05)
 * on each side. Labels never repeat. */
void sc_plot_axis(double lo, double hi, double min, double max, sc_axis *ax);
/* Tick i as text with ax->dec decimals ("-0.00" folded to "0.00"). */
void sc_plot_axis_label(const sc_axis *ax, size_t i, char *out, size_t size);
/* v mapped linearly from [ax->lo, ax->hi] to [a, b]. */
double sc_plot_axis_pos(const sc_axis *ax, double v, double a, double b);
/* Least-squares line of ys on xs with its 95% confidence band, drawn in
 * the plot area (x0, top, pw x ph) of axes xa, ya; nothing for n < 3 or
 * no spread in x. The line carries data-slope and data-intercept. */
void sc_plot_trend(sc_svg *s, const double *xs, const double *ys, size_t n,
                   const sc_axis *xa, const sc_axis *ya, double x0, double top,
                   double pw, double ph);
/* Resolve the band attribute: opts->band, else the first attribute, else
 * -1. SC_EINVAL if opts->band names no column of models.csv. */
/* Index of category cat among the distinct values of attribute attr in
 * spec model order (the colour index used by every figure), or -1 when
 * models.csv lacks the attribute or the category. */
long sc_plot_cat_index(const sc_plotset *ps, const char *attr, const char *cat);
int sc_plot_band(const sc_plotset *ps, const sc_plot_opts *opts, long *attr,
                 sc_err *err);

#endif
