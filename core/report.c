/* report.html: one self-contained page per result folder (plot.h).
 *
 * Content, in order, each linked from the table of contents: what was
 * compared (models with their attributes, datasets with domains, metrics:
 * read from the folder itself), the manifest (manifest.json shown verbatim
 * in a collapsible block: no JSON parser needed, nothing lost), the
 * headline tables (contrasts, behaviour, and a per-(metric, model set)
 * summary of consistency over dataset pairs), links to the files in tables/,
 * and every figure of figures/index.tsv inlined as SVG. Invariants: no script,
 * no external resource (the page renders offline and from file://); every text
 * from the data is HTML-escaped; the page is written atomically; same folder,
 * same bytes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "atomic.h"
#include "mem.h"
#include "plot_int.h"

/* q below this counts as "significant" in the consistency summary: the
 * conventional 5% false-discovery / family-wise level. */
#define SC_REPORT_ALPHA 0.05
/* Models plus datasets listed unfolded up to this many rows: about one
 * screen of table at the page's font size. */
#define SC_REPORT_OPEN_ROWS 24

static const char *const STYLE =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em auto;"
    "max-width:1200px;padding:0 1em;color:#222;line-height:1.4}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;"
    "margin-top:2em}table{border-collapse:collapse;margin:1em 0;"
    "font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;"
    "text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f3f3f3}figure{margin:1.5em 0;overflow-x:auto}"
    "figcaption{font-size:.9em;color:#444}pre{background:#f7f7f7;"
    "padding:1em;overflow-x:auto;font-size:.85em}nav li{margin:.3em 0}"
    ".note{color:#666;font-style:italic}";

/* ## Small output helpers */

static void cell_text(sc_svg *h, const char *text, int numeric)
{
    sc_svg_printf(h, numeric ? "<td class=\"n\">" : "<td>");
    sc_svg_esc(h, text);
    sc_svg_printf(h, "</td>");
}

static void note(sc_svg *h, const char *text)
{
    sc_svg_printf(h, "<p class=\"note\">");
    sc_svg_esc(h, text);
    sc_svg_printf(h, "</p>\n");
}

/* ## Tables from the tidy CSVs */

/* Columns: text columns as they are, then "estimate [CI]", p, q. */
static int estimate_table(sc_svg *h, const sc_tidy *t,
                          const char *const *text_cols, size_t ntext,
                          const char *est_col, const char *est_head,
                          sc_err *err)
{
    int tc[16], ec[5];
    const char *const need[] = {est_col, "ci_lo", "ci_hi", "p", "q"};
    int rc = sc_tidy_need(t, text_cols, ntext, tc, err);
    if (rc == SC_OK)
        rc = sc_tidy_need(t, need, 5, ec, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "<table>\n<tr>");
    for (size_t k = 0; k < ntext; k++) {
        sc_svg_printf(h, "<th>");
        sc_svg_esc(h, text_cols[k]);
        sc_svg_printf(h, "</th>");
    }
    sc_svg_printf(h, "<th>");
    sc_svg_esc(h, est_head);
    sc_svg_printf(h, " [CI]</th><th>p</th><th>q</th></tr>\n");
    for (size_t r = 0; r < t->nrows; r++) {
        double v[5];
        int has[5];
        for (int k = 0; rc == SC_OK && k < 5; k++)
            rc = sc_tidy_num(t, r, ec[k], &v[k], &has[k], err);
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
            cell_text(h, s, numeric);
        }
        char est[96], p[32], q[32];
        if (has[0])
            sc_plot_fmt_est(est, sizeof est, v[0], has[1] && has[2], v[1],
                            v[2]);
        else
            snprintf(est, sizeof est, "n/a");
        sc_plot_fmt_p(p, sizeof p, v[3], has[3]);
        sc_plot_fmt_p(q, sizeof q, v[4], has[4]);
        cell_text(h, est, 1);
        cell_text(h, p, 1);
        cell_text(h, q, 1);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n");
    return SC_OK;
}

static int contrasts_table(sc_svg *h, const sc_plotset *ps, sc_err *err)
{
    if (!ps->has_contr) {
        note(h, "No contrasts.csv in this folder (the spec asked for no "
                "category contrasts).");
        return SC_OK;
    }
    note(h, "Does within-category consistency (mean r over dataset pairs) "
            "differ between two categories? Effect = mean_a - mean_b, "
            "bootstrap CI over models, permutation p (category labels "
            "shuffled), q corrected across the table.");
    const sc_tidy *t = &ps->contr;
    static const char *const cols[] = {"metric",     "attribute",  "category_a",
                                       "category_b", "n_models_a", "n_models_b",
                                       "mean_a",     "mean_b"};
    return estimate_table(h, t, cols, 8, "effect", "effect", err);
}

static int behaviour_table(sc_svg *h, const sc_plotset *ps, sc_err *err)
{
    if (!ps->has_beh) {
        note(h, "No behaviour.csv in this folder (no accuracies in the "
                "spec).");
        return SC_OK;
    }
    note(h, "Correlation between similarity and the accuracy gap "
            "|acc_i - acc_j| over model pairs (expected negative); Mantel "
            "p, bootstrap CI over models. Rows mean:<domain> average over "
            "datasets.");
    static const char *const cols[] = {"metric", "dataset", "domain",
                                       "n_pairs"};
    return estimate_table(h, &ps->beh, cols, 4, "r", "r", err);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per (metric, model_set): dataset pairs, median and IQR of r, how many
 * pairs have q < SC_REPORT_ALPHA. */
static int consistency_table(sc_svg *h, const sc_plotset *ps, sc_err *err)
{
    if (!ps->has_cons) {
        note(h, "No consistency.csv in this folder.");
        return SC_OK;
    }
    note(h, "Consistency of model-pair similarities across datasets, "
            "summarised over all dataset pairs (one row per metric and "
            "model set; per-pair estimates with CIs and p/q are in "
            "consistency.csv).");
    const sc_tidy *t = &ps->cons;
    static const char *const need[] = {"metric", "model_set", "r", "q"};
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
        qsort(v, n, sizeof *v, cmp_dbl);
        double med = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5);
        double q1 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
        double q3 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.75);
        char a[32], b[64], cnt[32], sg[48];
        snprintf(cnt, sizeof cnt, "%zu", n);
        snprintf(a, sizeof a, "%.3f", med);
        snprintf(b, sizeof b, "[%.3f, %.3f]", q1, q3);
        if (nq)
            snprintf(sg, sizeof sg, "%zu of %zu", sig, nq);
        else
            snprintf(sg, sizeof sg, "n/a");
        sc_svg_printf(h, "<tr>");
        cell_text(h, met, 0);
        cell_text(h, set, 0);
        cell_text(h, cnt, 1);
        cell_text(h, a, 1);
        cell_text(h, b, 1);
        cell_text(h, sg, 1);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n");
    sc_free(v);
    sc_free(done);
    return rc;
}

/* ## Summary */

static void summary(sc_svg *h, const sc_plotset *ps)
{
    sc_svg_printf(h, "<p>%zu models, %zu datasets, %zu metrics: ", ps->m,
                  ps->nd, ps->nk);
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, k ? ", <code>" : "<code>");
        sc_svg_esc(h, ps->metrics[k]);
        sc_svg_printf(h, "</code>");
    }
    /* Long model lists (the paper has 64) would push the headline tables
     * off the first screen: they start folded. */
    sc_svg_printf(h,
                  ".</p>\n<details%s><summary>Models and datasets"
                  "</summary>\n<table>\n<tr><th>model</th>",
                  ps->m + ps->nd <= SC_REPORT_OPEN_ROWS ? " open" : "");
    for (size_t a = 0; a < ps->na; a++) {
        sc_svg_printf(h, "<th>");
        sc_svg_esc(h, ps->attrs[a]);
        sc_svg_printf(h, "</th>");
    }
    sc_svg_printf(h, "</tr>\n");
    for (size_t i = 0; i < ps->m; i++) {
        sc_svg_printf(h, "<tr>");
        cell_text(h, ps->models[i], 0);
        for (size_t a = 0; a < ps->na; a++)
            cell_text(h, ps->meta[i * ps->na + a], 0);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n<table>\n<tr><th>dataset</th>"
                     "<th>domain</th></tr>\n");
    for (size_t d = 0; d < ps->nd; d++) {
        sc_svg_printf(h, "<tr>");
        cell_text(h, ps->datasets[d], 0);
        cell_text(h, ps->domains[d][0] ? ps->domains[d] : "n/a", 0);
        sc_svg_printf(h, "</tr>\n");
    }
    sc_svg_printf(h, "</table>\n</details>\n");
}

/* Read a whole file (figure or manifest) into a new buffer. */
static int slurp(const char *path, sc_svg *out, sc_err *err)
{
    int why = 0;
    FILE *f = sc_fopen_regular(path, &why);
    if (!f)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot open (%s); rerun simcon "
                          "plot",
                          path, sc_open_strerror(why));
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sc_svg_raw(out, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return sc_err_set(err, SC_EIO, "%s: read error", path);
    return sc_svg_status(out, err);
}

static int manifest(sc_svg *h, const char *dir, sc_err *err)
{
    char *path = sc_plot_join(dir, "manifest.json");
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    struct stat st;
    int rc = SC_OK;
    if (stat(path, &st) != 0) {
        note(h, "No manifest.json in this folder: provenance (spec, input "
                "checksums, versions, seeds) is unknown.");
    } else {
        sc_svg text;
        sc_svg_init(&text);
        rc = slurp(path, &text, err);
        if (rc == SC_OK) {
            sc_svg_printf(h, "<details><summary>manifest.json (spec, input "
                             "checksums, versions, seeds, timings)</summary>"
                             "<pre>");
            sc_svg_esc(h, text.buf ? text.buf : "");
            sc_svg_printf(h, "</pre></details>\n");
        }
        sc_svg_deinit(&text);
    }
    sc_free(path);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Links to the files in tables/ (relative: they open from the same folder). */
static void table_links(sc_svg *h, const char *dir)
{
    char *tdir = sc_plot_join(dir, "tables");
    DIR *d = tdir ? opendir(tdir) : NULL;
    char *names[512];
    size_t n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 512)
            if (e->d_name[0] != '.' && (names[n] = sc_strdup(e->d_name)))
                n++;
        closedir(d);
    }
    sc_free(tdir);
    if (n == 0) {
        note(h, "No tables/ folder.");
        return;
    }
    qsort(names, n, sizeof *names, cmp_str);
    sc_svg_printf(h, "<p>Publication tables: ");
    for (size_t i = 0; i < n; i++) {
        sc_svg_printf(h, "%s<a href=\"tables/", i ? ", " : "");
        sc_svg_esc(h, names[i]);
        sc_svg_printf(h, "\">");
        sc_svg_esc(h, names[i]);
        sc_svg_printf(h, "</a>");
        sc_free(names[i]);
    }
    sc_svg_printf(h, ".</p>\n");
}

/* ## Figures */

typedef struct fig {
    char *kind, *file, *label, *caption; /* pointers into the index text */
} fig;

static const struct {
    const char *kind, *id, *title;
} SECTIONS[] = {
    {"similarity", "fig-similarity", "Similarity matrices"},
    {"consistency", "fig-consistency", "Consistency across datasets"},
    {"boxes", "fig-boxes", "Consistency by category pair"},
    {"behaviour", "fig-behaviour", "Similarity and behaviour"},
};
#define NSECT (sizeof SECTIONS / sizeof SECTIONS[0])

/* Parse figures/index.tsv (text is modified in place). */
static int parse_index(char *text, const char *path, fig **out, size_t *n,
                       sc_err *err)
{
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    fig *f = sc_calloc(lines + 1, sizeof *f);
    if (!f)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t k = 0, lineno = 0;
    for (char *p = text; *p;) {
        char *end = strchr(p, '\n');
        if (end)
            *end = '\0';
        lineno++;
        char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
        if (t3) {
            *t1 = *t2 = *t3 = '\0';
        }
        /* The file must be a plain name inside figures/. */
        if (!t3 || strchr(t1 + 1, '/') != NULL) {
            sc_free(f);
            return sc_err_set(err, SC_EIO,
                              "%s:%zu: expected 'kind<TAB>"
                              "file<TAB>label<TAB>caption'; rerun simcon "
                              "plot",
                              path, lineno);
        }
        f[k].kind = p;
        f[k].file = t1 + 1;
        f[k].label = t2 + 1;
        f[k].caption = t3 + 1;
        k++;
        if (!end)
            break;
        p = end + 1;
    }
    *out = f;
    *n = k;
    return SC_OK;
}

static int figures(sc_svg *h, const char *dir, const fig *f, size_t nf,
                   sc_err *err)
{
    int rc = SC_OK;
    char *fdir = sc_plot_join(dir, "figures");
    if (!fdir)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t s = 0; rc == SC_OK && s < NSECT; s++) {
        sc_svg_printf(h, "<section id=\"%s\">\n<h2>%s</h2>\n", SECTIONS[s].id,
                      SECTIONS[s].title);
        size_t shown = 0;
        for (size_t i = 0; rc == SC_OK && i < nf; i++) {
            if (strcmp(f[i].kind, SECTIONS[s].kind) != 0)
                continue;
            char *path = sc_plot_join(fdir, f[i].file);
            sc_svg svg;
            sc_svg_init(&svg);
            rc = path ? slurp(path, &svg, err)
                      : sc_err_set(err, SC_ENOMEM, "out of memory");
            if (rc == SC_OK) {
                sc_svg_printf(h, "<figure id=\"fig-%zu\">\n", i + 1);
                sc_svg_raw(h, svg.buf ? svg.buf : "", svg.len);
                sc_svg_printf(h, "<figcaption>Figure %zu. ", i + 1);
                sc_svg_esc(h, f[i].caption);
                sc_svg_printf(h, " (<a href=\"figures/");
                sc_svg_esc(h, f[i].file);
                sc_svg_printf(h, "\">");
                sc_svg_esc(h, f[i].file);
                sc_svg_printf(h, "</a>)</figcaption>\n</figure>\n");
                shown++;
            }
            sc_svg_deinit(&svg);
            sc_free(path);
        }
        if (shown == 0)
            note(h, "No figure of this kind (its input is not in the "
                    "folder).");
        sc_svg_printf(h, "</section>\n");
    }
    sc_free(fdir);
    return rc;
}

static void toc(sc_svg *h, const fig *f, size_t nf)
{
    sc_svg_printf(h, "<nav id=\"toc\">\n<h2>Contents</h2>\n<ul>\n"
                     "<li><a href=\"#summary\">Experiment summary</a></li>\n"
                     "<li><a href=\"#contrasts\">Category contrasts</a>"
                     "</li>\n<li><a href=\"#consistency\">Consistency "
                     "summary</a></li>\n<li><a href=\"#behaviour\">"
                     "Behaviour</a></li>\n");
    /* One line per figure section with a short link per figure: the
     * paper's study has about 70 heatmaps, a list of captions would bury
     * the page. */
    for (size_t s = 0; s < NSECT; s++) {
        sc_svg_printf(h, "<li><a href=\"#%s\">%s</a>", SECTIONS[s].id,
                      SECTIONS[s].title);
        size_t shown = 0;
        for (size_t i = 0; i < nf; i++) {
            if (strcmp(f[i].kind, SECTIONS[s].kind) != 0)
                continue;
            sc_svg_printf(h, "%s<a href=\"#fig-%zu\">",
                          shown ? " \xc2\xb7 " : ": ", i + 1);
            sc_svg_esc(h, f[i].label);
            sc_svg_printf(h, "</a>");
            shown++;
        }
        sc_svg_printf(h, "</li>\n");
    }
    sc_svg_printf(h, "</ul>\n</nav>\n");
}

static void folder_name(const char *dir, char *out, size_t size)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(out, size, "%.*s", (int)(len - start), dir + start);
}

int sc_report_write(const char *result_dir, sc_err *err)
{
    sc_plotset ps;
    int rc = sc_plotset_load(result_dir, &ps, err);
    if (rc != SC_OK)
        return rc;
    sc_svg h, index;
    sc_svg_init(&h);
    sc_svg_init(&index);
    fig *f = NULL;
    size_t nf = 0;
    char *ipath = sc_plot_join(result_dir, "figures/index.tsv");
    char *out = sc_plot_join(result_dir, "report.html");
    if (!ipath || !out)
        rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    struct stat st;
    if (rc == SC_OK && stat(ipath, &st) == 0) {
        rc = slurp(ipath, &index, err);
        if (rc == SC_OK && index.buf)
            rc = parse_index(index.buf, ipath, &f, &nf, err);
    }
    /* The folder's own name (results/<experiment>/ by default), not its
     * path: the page must not change when the folder is moved. */
    char name[256];
    folder_name(result_dir, name, sizeof name);
    if (rc == SC_OK) {
        sc_svg_printf(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                          "<meta charset=\"utf-8\">\n<title>simcon report: ");
        sc_svg_esc(&h, name);
        sc_svg_printf(&h,
                      "</title>\n<style>%s</style>\n</head>\n<body>\n"
                      "<h1>simcon report</h1>\n<p>Result folder: "
                      "<code>",
                      STYLE);
        sc_svg_esc(&h, name);
        sc_svg_printf(&h, "</code>. Similarity of neural network "
                          "representations and its consistency across "
                          "datasets (Ciernik et al., ICML 2025).</p>\n");
        toc(&h, f, nf);
        sc_svg_printf(&h, "<section id=\"summary\">\n<h2>Experiment "
                          "summary</h2>\n");
        summary(&h, &ps);
        rc = manifest(&h, result_dir, err);
    }
    if (rc == SC_OK) {
        table_links(&h, result_dir);
        sc_svg_printf(&h, "</section>\n<section id=\"contrasts\">\n<h2>"
                          "Category contrasts</h2>\n");
        rc = contrasts_table(&h, &ps, err);
    }
    if (rc == SC_OK) {
        sc_svg_printf(&h, "</section>\n<section id=\"consistency\">\n<h2>"
                          "Consistency summary</h2>\n");
        rc = consistency_table(&h, &ps, err);
    }
    if (rc == SC_OK) {
        sc_svg_printf(&h, "</section>\n<section id=\"behaviour\">\n<h2>"
                          "Behaviour</h2>\n");
        rc = behaviour_table(&h, &ps, err);
        sc_svg_printf(&h, "</section>\n");
    }
    if (rc == SC_OK && nf == 0)
        note(&h, "No figures/index.tsv: run simcon plot on this folder.");
    if (rc == SC_OK)
        rc = figures(&h, result_dir, f, nf, err);
    if (rc == SC_OK) {
        sc_svg_printf(&h, "</body>\n</html>\n");
        rc = sc_svg_write_file(&h, out, err);
    }
    sc_free(f);
    sc_free(ipath);
    sc_free(out);
    sc_svg_deinit(&index);
    sc_svg_deinit(&h);
    sc_plotset_deinit(&ps);
    return rc;
}
