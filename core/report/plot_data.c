/* Result-folder loading for the figures and the report: sc_plotset (with
 * the tidy CSVs of tidy.c), the figure sink, axis and band helpers (see
 * plot_int.h).
 *
 * Invariants: directory listings are sorted with strcmp so the figure set
 * and its order never depend on the file system; every error names the
 * file (and line) and says what to do; on failure nothing is kept. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "mem.h"
#include "plot_int.h"
#include "results_schema.h"

/* ## Small helpers */

char *sc_plot_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = sc_malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

long sc_plot_find(char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return (long)i;
    return -1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of dir that are sub-folders (want_dir) or regular files
 * ending in suffix (suffix stripped). Hidden entries are skipped. */
static int list_dir(const char *dir, int want_dir, const char *suffix,
                    char ***out, size_t *count, sc_err *err)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot open folder (%s); is it "
                          "a simcon result folder?",
                          dir, strerror(errno));
    char **list = NULL;
    size_t n = 0, cap = 0;
    int rc = SC_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *full = sc_plot_join(dir, e->d_name);
        if (!full) {
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", dir);
            break;
        }
        size_t len = strlen(e->d_name), ls = suffix ? strlen(suffix) : 0;
        int keep = want_dir ? is_dir(full)
                            : (is_file(full) && len > ls &&
                               strcmp(e->d_name + len - ls, suffix) == 0);
        sc_free(full);
        if (!keep)
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **p = sc_realloc(list, nc * sizeof *p);
            if (!p) {
                rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", dir);
                break;
            }
            list = p;
            cap = nc;
        }
        list[n] = sc_strdup(e->d_name);
        if (!list[n]) {
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", dir);
            break;
        }
        if (!want_dir)
            list[n][len - ls] = '\0';
        n++;
    }
    closedir(d);
    if (rc != SC_OK) {
        sc_plot_free_strings(list, n);
        return rc;
    }
    if (n > 1)
        qsort(list, n, sizeof *list, cmp_str);
    *out = list;
    *count = n;
    return SC_OK;
}

/* ## The result folder */

void sc_plotset_deinit(sc_plotset *ps)
{
    if (ps->sim)
        for (size_t i = 0; i < ps->nd * ps->nk; i++)
            sc_simmat_deinit(&ps->sim[i]);
    sc_free(ps->sim);
    if (ps->gap)
        for (size_t d = 0; d < ps->nd; d++)
            sc_simmat_deinit(&ps->gap[d]);
    sc_free(ps->gap);
    sc_free(ps->dorder);
    sc_free(ps->dpos);
    sc_plot_free_strings(ps->datasets, ps->nd);
    sc_plot_free_strings(ps->domains, ps->nd);
    sc_plot_free_strings(ps->metrics, ps->nk);
    sc_free((void *)ps->meta);
    sc_tidy_deinit(&ps->models_csv);
    sc_tidy_deinit(&ps->cons);
    sc_tidy_deinit(&ps->beh);
    sc_tidy_deinit(&ps->contr);
    sc_free(ps->dir);
    memset(ps, 0, sizeof *ps);
}

/* Datasets and domains from datasets.csv if present, else the sorted
 * sub-folders of similarity/. */
static int load_datasets(sc_plotset *ps, const char *simdir, sc_err *err)
{
    char *path = sc_plot_join(ps->dir, SC_RES_DATASETS);
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int rc = SC_OK;
    if (!is_file(path)) {
        rc = list_dir(simdir, 1, NULL, &ps->datasets, &ps->nd, err);
        if (rc == SC_OK) {
            ps->domains = sc_calloc(ps->nd ? ps->nd : 1, sizeof(char *));
            if (!ps->domains)
                rc = sc_err_set(err, SC_ENOMEM, "out of memory");
            for (size_t i = 0; rc == SC_OK && i < ps->nd; i++)
                if (!(ps->domains[i] = sc_strdup("")))
                    rc = sc_err_set(err, SC_ENOMEM, "out of memory");
        }
        sc_free(path);
        return rc;
    }
    sc_tidy t;
    rc = sc_tidy_read(path, &t, err);
    int idx[2];
    static const char *const need[] = {SC_COL_DATASET, SC_COL_DOMAIN};
    if (rc == SC_OK)
        rc = sc_tidy_need(&t, need, 2, idx, err);
    if (rc == SC_OK) {
        size_t n = t.nrows ? t.nrows : 1;
        ps->datasets = sc_calloc(n, sizeof(char *));
        ps->domains = sc_calloc(n, sizeof(char *));
        if (!ps->datasets || !ps->domains)
            rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    for (size_t r = 0; rc == SC_OK && r < t.nrows; r++) {
        const char *name = sc_tidy_at(&t, r, idx[0]);
        if (name[0] == '\0' || sc_plot_find(ps->datasets, ps->nd, name) >= 0) {
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: dataset name '%s' is empty "
                            "or repeated; rerun simcon run",
                            path, t.line[r], name);
            break;
        }
        ps->datasets[ps->nd] = sc_strdup(name);
        ps->domains[ps->nd] = sc_strdup(sc_tidy_at(&t, r, idx[1]));
        ps->nd++;
        if (!ps->datasets[ps->nd - 1] || !ps->domains[ps->nd - 1])
            rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    if (rc == SC_OK && ps->nd == 0)
        rc = sc_err_set(err, SC_EIO,
                        "%s: lists no dataset; rerun simcon "
                        "run",
                        path);
    sc_tidy_deinit(&t);
    sc_free(path);
    return rc;
}

/* models.csv: attribute columns aligned to ps->models. */
static int load_models(sc_plotset *ps, sc_err *err)
{
    char *path = sc_plot_join(ps->dir, SC_RES_MODELS);
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    if (!is_file(path)) {
        sc_free(path);
        return SC_OK;
    }
    sc_tidy *t = &ps->models_csv;
    int rc = sc_tidy_read(path, t, err);
    if (rc == SC_OK && (t->ncols < 1 || strcmp(t->head[0], SC_COL_MODEL) != 0))
        rc = sc_err_set(err, SC_EIO,
                        "%s:1: the first column must be "
                        "'" SC_COL_MODEL "'; rerun simcon run",
                        path);
    if (rc == SC_OK) {
        ps->na = t->ncols - 1;
        ps->attrs = t->head + 1;
        ps->meta = sc_calloc(ps->m * (ps->na ? ps->na : 1), sizeof(char *));
        if (!ps->meta)
            rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == SC_OK && i < ps->m; i++) {
        size_t r = 0;
        while (r < t->nrows && strcmp(sc_tidy_at(t, r, 0), ps->models[i]))
            r++;
        if (r == t->nrows) {
            rc = sc_err_set(err, SC_EINVAL,
                            "%s: model '%s' of the "
                            "similarity matrices is not listed; rerun "
                            "simcon run",
                            path, ps->models[i]);
            break;
        }
        for (size_t a = 0; a < ps->na; a++)
            ps->meta[i * ps->na + a] = sc_tidy_at(t, r, (int)(a + 1));
    }
    sc_free(path);
    return rc;
}

/* Optional tidy table DIR/name; *has = 0 if absent. */
static int load_optional(const sc_plotset *ps, const char *name, sc_tidy *t,
                         int *has, sc_err *err)
{
    char *path = sc_plot_join(ps->dir, name);
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int rc = SC_OK;
    *has = is_file(path);
    if (*has)
        rc = sc_tidy_read(path, t, err);
    sc_free(path);
    return rc;
}

static int load_matrices(sc_plotset *ps, const char *simdir, sc_err *err)
{
    char *first = sc_plot_join(simdir, ps->datasets[0]);
    if (!first)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int rc = list_dir(first, 0, ".csv", &ps->metrics, &ps->nk, err);
    if (rc == SC_OK && ps->nk == 0)
        rc = sc_err_set(err, SC_EIO,
                        "%s: no <metric>.csv similarity "
                        "matrix; is the run finished?",
                        first);
    sc_free(first);
    if (rc != SC_OK)
        return rc;
    ps->sim = sc_calloc(ps->nd * ps->nk, sizeof *ps->sim);
    if (!ps->sim)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t d = 0; rc == SC_OK && d < ps->nd; d++) {
        for (size_t k = 0; rc == SC_OK && k < ps->nk; k++) {
            char rel[1024];
            snprintf(rel, sizeof rel, "%s/%s.csv", ps->datasets[d],
                     ps->metrics[k]);
            char *path = sc_plot_join(simdir, rel);
            if (!path)
                return sc_err_set(err, SC_ENOMEM, "out of memory");
            sc_simmat raw = {0};
            if (!is_file(path))
                rc = sc_err_set(err, SC_EINVAL,
                                "%s: missing, but metric "
                                "'%s' exists for dataset '%s'; rerun simcon "
                                "run",
                                path, ps->metrics[k], ps->datasets[0]);
            if (rc == SC_OK)
                rc = sc_simcsv_read(path, &raw, err);
            if (rc == SC_OK && d == 0 && k == 0) {
                ps->sim[0] = raw; /* the reference order */
                memset(&raw, 0, sizeof raw);
                ps->m = ps->sim[0].m;
                ps->models = ps->sim[0].names;
            } else if (rc == SC_OK) {
                rc = sc_simmat_align(&ps->sim[0], "the first matrix", &raw,
                                     path, &ps->sim[d * ps->nk + k], err);
                if (rc != SC_OK)
                    sc_err_prefix(err, "%s", path);
            }
            sc_simmat_deinit(&raw);
            sc_free(path);
        }
    }
    return rc;
}

static int load_dataset_order(sc_plotset *ps, sc_err *err)
{
    size_t nd = ps->nd, p = 0;
    ps->dorder = sc_malloc((nd + 1) * sizeof *ps->dorder);
    ps->dpos = sc_malloc((nd + 1) * sizeof *ps->dpos);
    if (!ps->dorder || !ps->dpos)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < nd; i++) {
        int first = 1;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(ps->domains[j], ps->domains[i]) != 0;
        for (size_t j = i; first && j < nd; j++)
            if (strcmp(ps->domains[j], ps->domains[i]) == 0)
                ps->dorder[p++] = j;
    }
    for (size_t i = 0; i < nd; i++)
        ps->dpos[ps->dorder[i]] = i;
    return SC_OK;
}

/* behaviour/<dataset>/gap.csv where present (anything that exists by that
 * name is read, so a folder there is an error, not a silent skip). */
static int load_gaps(sc_plotset *ps, sc_err *err)
{
    ps->gap = sc_calloc(ps->nd + 1, sizeof *ps->gap);
    if (!ps->gap)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int rc = SC_OK;
    for (size_t d = 0; rc == SC_OK && d < ps->nd; d++) {
        char rel[1024];
        snprintf(rel, sizeof rel, "behaviour/%s/gap.csv", ps->datasets[d]);
        char *path = sc_plot_join(ps->dir, rel);
        struct stat st;
        if (!path)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        if (stat(path, &st) == 0) {
            sc_simmat raw = {0};
            rc = sc_simcsv_read(path, &raw, err);
            if (rc == SC_OK)
                rc = sc_simmat_align(&ps->sim[0], "the similarity matrices",
                                     &raw, path, &ps->gap[d], err);
            sc_simmat_deinit(&raw);
        }
        sc_free(path);
    }
    return rc;
}

int sc_plot_cons_matrix(const sc_plotset *ps, const int *col,
                        const char *metric, const char *set, double *val,
                        int *any, sc_err *err)
{
    size_t nd = ps->nd;
    *any = 0;
    for (size_t i = 0; i < nd * nd; i++)
        val[i] = NAN;
    const sc_tidy *t = &ps->cons;
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(sc_tidy_at(t, r, col[0]), metric) != 0 ||
            strcmp(sc_tidy_at(t, r, col[3]), set) != 0)
            continue;
        /* A one-dataset run's row ("one dataset: no consistency") has no
         * second dataset and no value. */
        if (sc_tidy_at(t, r, col[2])[0] == '\0')
            continue;
        long a = sc_plot_find(ps->datasets, nd, sc_tidy_at(t, r, col[1]));
        long b = sc_plot_find(ps->datasets, nd, sc_tidy_at(t, r, col[2]));
        if (a < 0 || b < 0)
            return sc_err_set(err, SC_EINVAL,
                              "%s:%zu: dataset '%s' has no "
                              "similarity/ folder; the folder mixes runs, "
                              "rerun simcon run",
                              t->path, t->line[r],
                              sc_tidy_at(t, r, col[a < 0 ? 1 : 2]));
        double v;
        int present;
        int rc = sc_tidy_num(t, r, col[4], &v, &present, err);
        if (rc != SC_OK)
            return rc;
        if (present && a != b) {
            val[ps->dpos[a] * nd + ps->dpos[b]] = v;
            val[ps->dpos[b] * nd + ps->dpos[a]] = v;
            *any = 1;
        }
    }
    return SC_OK;
}

int sc_plotset_load(const char *dir, sc_plotset *ps, sc_err *err)
{
    memset(ps, 0, sizeof *ps);
    if (!is_dir(dir))
        return sc_err_set(err, SC_EIO,
                          "%s: no such folder; give the output "
                          "folder of simcon run",
                          dir);
    ps->dir = sc_strdup(dir);
    char *simdir = ps->dir ? sc_plot_join(dir, SC_RES_SIMILARITY_DIR) : NULL;
    if (!simdir) {
        sc_plotset_deinit(ps);
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    int rc = SC_OK;
    if (!is_dir(simdir))
        rc = sc_err_set(err, SC_EIO,
                        "%s: missing; %s is not a simcon result "
                        "folder (or the run did not finish)",
                        simdir, dir);
    if (rc == SC_OK)
        rc = load_datasets(ps, simdir, err);
    if (rc == SC_OK && ps->nd == 0)
        rc = sc_err_set(err, SC_EIO,
                        "%s: no dataset folder; is the run "
                        "finished?",
                        simdir);
    if (rc == SC_OK)
        rc = load_matrices(ps, simdir, err);
    if (rc == SC_OK)
        rc = load_models(ps, err);
    if (rc == SC_OK)
        rc = load_optional(ps, SC_RES_CONSISTENCY, &ps->cons, &ps->has_cons,
                           err);
    if (rc == SC_OK)
        rc = load_optional(ps, SC_RES_BEHAVIOUR, &ps->beh, &ps->has_beh, err);
    if (rc == SC_OK)
        rc = load_optional(ps, SC_RES_CONTRASTS, &ps->contr, &ps->has_contr,
                           err);
    if (rc == SC_OK)
        rc = load_dataset_order(ps, err);
    if (rc == SC_OK)
        rc = load_gaps(ps, err);
    sc_free(simdir);
    if (rc != SC_OK)
        sc_plotset_deinit(ps);
    return rc;
}

/* ## Figure sink */

/* Figures whose names reduce to one file stem before we give up: far more
 * than any real spec produces (it needs that many near-identical names). */
#define SC_PLOT_MAX_SAME_STEM 100

static void stem(char *out, size_t size, const char *name)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < size; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
}

int sc_figsink_save(sc_figsink *fs, const char *kind, const char *a,
                    const char *b, const char *caption, const sc_svg *svg,
                    sc_err *err)
{
    char sa[256], sb[256], base[600], file[640];
    stem(sa, sizeof sa, a ? a : "");
    if (!a) {
        snprintf(base, sizeof base, "%s", kind);
    } else if (b) {
        stem(sb, sizeof sb, b);
        snprintf(base, sizeof base, "%s_%s__%s", kind, sa, sb);
    } else {
        snprintf(base, sizeof base, "%s_%s", kind, sa);
    }
    /* Names that differ only in characters stem() maps to '_' (say model
     * sets "objective:a|b_c" and "objective:a_b|c") would share a file:
     * later ones get "_2", "_3", ... in drawing order, which is fixed, so
     * the names stay deterministic. */
    char *path = NULL;
    for (unsigned k = 1; k <= SC_PLOT_MAX_SAME_STEM; k++) {
        if (k == 1)
            snprintf(file, sizeof file, "%s.svg", base);
        else
            snprintf(file, sizeof file, "%s_%u.svg", base, k);
        sc_free(path);
        path = sc_plot_join(fs->dir, file);
        if (!path)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        if (!is_file(path))
            break;
        if (k == SC_PLOT_MAX_SAME_STEM) {
            sc_free(path);
            return sc_err_set(err, SC_EINVAL,
                              "figure %s.svg: more than %d names map to this "
                              "file name; rename model sets, metrics or "
                              "datasets so they differ in letters or digits",
                              base, SC_PLOT_MAX_SAME_STEM);
        }
    }
    int rc = sc_svg_write_file(svg, path, err);
    if (rc == SC_OK && (fs->formats & (SC_PLOT_PDF | SC_PLOT_PNG))) {
        path[strlen(path) - 4] = '\0'; /* drop ".svg" */
        rc = sc_plot_render(svg, path, fs->formats, err);
    }
    sc_free(path);
    if (rc != SC_OK)
        return rc;
    /* Short label "a / b" for the report's table of contents. */
    sc_svg_printf(&fs->index, "%s\t%s\t", kind, file);
    for (const char *p = a ? a : kind; *p; p++)
        sc_svg_raw(&fs->index, (*p == '\t' || *p == '\n') ? " " : p, 1);
    if (b) {
        sc_svg_raw(&fs->index, " / ", 3);
        for (const char *p = b; *p; p++)
            sc_svg_raw(&fs->index, (*p == '\t' || *p == '\n') ? " " : p, 1);
    }
    sc_svg_raw(&fs->index, "\t", 1);
    for (const char *p = caption; *p; p++)
        sc_svg_raw(&fs->index, (*p == '\t' || *p == '\n') ? " " : p, 1);
    sc_svg_raw(&fs->index, "\n", 1);
    return sc_svg_status(&fs->index, err);
}

/* ## Formatting */

/* One tick algorithm for every axis and colour bar (issue 16). Steps are
 * 1, 2 or 5 x 10^e; the smallest step whose rounded-out range holds at
 * most SC_AXIS_MAX ticks wins, so an axis gets 4-8 ticks (a step one size
 * smaller would give more than 8, and consecutive sizes differ by at most
 * 2.5x). The axis ends are ticks, so both ends are labelled. Labels get
 * just enough decimals to tell the step apart, so two ticks never print
 * alike (the old "0.9 1.0 1.0 1.1 1.1" of a one-value box plot). */
void sc_plot_axis(double lo, double hi, double min, double max, sc_axis *ax)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    double mag = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
    if (hi - lo <= 1e-9 * (mag > 1.0 ? mag : 1.0)) {
        /* One value or all equal: 5% of its size (at least 0.05) each
         * side, so the value sits inside a readable range. */
        double pad = 0.05 * (mag > 1.0 ? mag : 1.0);
        lo -= pad;
        hi += pad;
    }
    if (lo < min)
        lo = min;
    if (hi > max)
        hi = max;
    if (!(hi > lo)) { /* limits narrower than the padding */
        lo = isfinite(min) ? min : lo - 0.5;
        hi = isfinite(max) ? max : hi + 0.5;
    }
    double span = hi - lo;
    static const double mult[3] = {1.0, 2.0, 5.0};
    double step = 1.0, nl = lo, nh = hi;
    int e0 = (int)floor(log10(span)) - 2;
    int found = 0;
    for (int e = e0; !found && e <= e0 + 4; e++)
        for (int k = 0; !found && k < 3; k++) {
            step = mult[k] * pow(10.0, e);
            nl = floor(lo / step + 1e-9) * step;
            nh = ceil(hi / step - 1e-9) * step;
            if (nl < min - 1e-12)
                nl = ceil(min / step - 1e-9) * step;
            if (nh > max + 1e-12)
                nh = floor(max / step + 1e-9) * step;
            double cnt = floor((nh - nl) / step + 0.5) + 1;
            found = cnt <= SC_AXIS_MAX && nh > nl;
        }
    ax->lo = nl;
    ax->hi = nh;
    ax->n = (size_t)floor((nh - nl) / step + 0.5) + 1;
    if (ax->n > SC_AXIS_MAX)
        ax->n = SC_AXIS_MAX;
    for (size_t i = 0; i < ax->n; i++) {
        double t = nl + step * (double)i;
        ax->t[i] = fabs(t) < 1e-9 * step ? 0.0 : t;
    }
    double dec = ceil(-log10(step) - 1e-9);
    ax->dec = dec > 0 ? (int)dec : 0;
}

void sc_plot_axis_label(const sc_axis *ax, size_t i, char *out, size_t size)
{
    snprintf(out, size, "%.*f", ax->dec, ax->t[i]);
    if (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1))
        memmove(out, out + 1, strlen(out)); /* "-0.00" -> "0.00" */
}

double sc_plot_axis_pos(const sc_axis *ax, double v, double a, double b)
{
    return a + (b - a) * (v - ax->lo) / (ax->hi - ax->lo);
}

int sc_plot_band(const sc_plotset *ps, const sc_plot_opts *opts, long *attr,
                 sc_err *err)
{
    *attr = -1;
    if (opts && opts->band) {
        *attr = sc_plot_find(ps->attrs, ps->na, opts->band);
        if (*attr < 0)
            return sc_err_set(err, SC_EINVAL,
                              "--band %s: %s/models.csv has "
                              "no such column%s; use one of its attribute "
                              "columns",
                              opts->band, ps->dir,
                              ps->na ? "" : " (or the file is missing)");
    } else if (ps->na > 0) {
        *attr = 0;
    }
    return SC_OK;
}

long sc_plot_cat_index(const sc_plotset *ps, const char *attr, const char *cat)
{
    long a = sc_plot_find(ps->attrs, ps->na, attr);
    if (a < 0)
        return -1;
    long k = 0;
    for (size_t i = 0; i < ps->m; i++) {
        const char *c = ps->meta[i * ps->na + (size_t)a];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(ps->meta[j * ps->na + (size_t)a], c) == 0;
        if (seen)
            continue;
        if (strcmp(c, cat) == 0)
            return k;
        k++;
    }
    return -1;
}
