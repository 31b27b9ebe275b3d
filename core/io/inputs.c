/* Input checks of an experiment (contract in inputs.h).
 *
 * Feature files are looked at through sc_npy_peek (header only, cheap even
 * for the paper's 64 x 23 files of 10,000 x d floats) and, when asked,
 * sc_npy_load one file at a time so peak memory stays one matrix. The
 * behaviour table is a small CSV parsed by hand: it is three columns of
 * unquoted fields, and a general CSV library is not among our dependencies.
 *
 * Invariants: problems are collected in spec order (dataset-major, then
 * model), so messages are deterministic; nothing is written to disk; all
 * allocation through core/base/mem.h. */
#include "inputs.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "mat.h"
#include "mem.h"
#include "ids.h"
#include "npy.h"
#include "numtext.h"

/* Paths built from templates; PATH_MAX-like, generous for deep trees. */
#define INPUT_PATH_MAX 4096

static int add_problem(sc_inputs_report *r, const char *line, sc_err *err)
{
    char **p = sc_realloc(r->problems, (r->nproblems + 1) * sizeof *p);
    if (p == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory listing problems");
    r->problems = p;
    p[r->nproblems] = sc_strdup(line);
    if (p[r->nproblems] == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory listing problems");
    r->nproblems++;
    return SC_OK;
}

void sc_inputs_report_deinit(sc_inputs_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nproblems; i++)
        sc_free(r->problems[i]);
    sc_free(r->problems);
    sc_free(r->rows);
    sc_free(r->cols);
    memset(r, 0, sizeof *r);
}

/* Lines of an ids file as ids.h counts them: split at '\n', a last line
 * without '\n' counted (so an empty line is a row, as in sc_ids_same). */
static int count_lines(const char *path, size_t *count, sc_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = sc_read_file(path, "ids file", &text, &len, err);
    if (rc != SC_OK)
        return rc;
    size_t n = 0;
    for (size_t k = 0; k < len; k++)
        if (text[k] == '\n')
            n++;
    if (len > 0 && text[len - 1] != '\n')
        n++;
    sc_free(text);
    *count = n;
    return SC_OK;
}

static int summary(const sc_spec *spec, sc_spec_loc loc, const char *key,
                   int code, size_t bad, size_t total, const char *what,
                   sc_err *err)
{
    char where[512];
    sc_spec_where(spec, loc, where, sizeof where);
    return sc_err_set(err, code,
                      "%s%s: %zu of %zu feature files %s (listed above); "
                      "fix or provide them, then run 'simcon check' again",
                      where, key, bad, total, what);
}

int sc_inputs_check(const sc_spec *spec, unsigned flags, sc_inputs_report *out,
                    sc_err *err)
{
    return sc_inputs_check_progress(spec, flags, NULL, out, err);
}

static unsigned npy_flags(const sc_spec *spec)
{
    return (spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0) |
           (spec->flatten ? SC_NPY_FLATTEN : 0);
}

/* Path of the feature file of dataset d and model m into path. */
static int feature_path(const sc_spec *spec, size_t d, size_t m, char *path,
                        sc_err *err)
{
    return sc_spec_path(spec, spec->features, spec->datasets[d].name,
                        spec->models[m].name, path, INPUT_PATH_MAX, err);
}

/* 1. Every feature file's header: collect all failures; rows and columns
 * into allrows and out->cols. */
static int check_headers(const sc_spec *spec, sc_inputs_report *out,
                         size_t *allrows, char *path, sc_err *err)
{
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    int rc = SC_OK;
    for (size_t d = 0; d < nd && rc == SC_OK; d++)
        for (size_t m = 0; m < nm && rc == SC_OK; m++) {
            rc = feature_path(spec, d, m, path, err);
            if (rc != SC_OK)
                break;
            sc_err e;
            sc_err_clear(&e);
            size_t r = 0, k = 0;
            if (sc_npy_peek_ex(path, npy_flags(spec), &r, &k, &e) != SC_OK) {
                rc = add_problem(out, e.msg, err);
                continue;
            }
            allrows[d * nm + m] = r;
            out->cols[d * nm + m] = k;
        }
    if (rc == SC_OK && out->nproblems > 0)
        rc = summary(spec, spec->features_loc, "data.features", SC_EIO,
                     out->nproblems, nd * nm, "are missing or unreadable", err);
    return rc;
}

int sc_inputs_rows(const sc_spec *spec, size_t d, const size_t *rows, size_t *n,
                   sc_err *err)
{
    size_t r0 = rows[0];
    for (size_t m = 1; m < spec->nmodels; m++) {
        if (rows[m] == r0)
            continue;
        char *first = sc_malloc(INPUT_PATH_MAX),
             *path = sc_malloc(INPUT_PATH_MAX);
        int rc =
            first != NULL && path != NULL
                ? SC_OK
                : sc_err_set(err, SC_ENOMEM, "out of memory checking inputs");
        if (rc == SC_OK)
            rc = feature_path(spec, d, 0, first, err);
        if (rc == SC_OK)
            rc = feature_path(spec, d, m, path, err);
        if (rc == SC_OK)
            rc = sc_err_set(err, SC_EIO,
                            "%s: %zu rows, but %s has %zu; all models of "
                            "dataset '%s' need one row per stimulus, in "
                            "the same order",
                            path, rows[m], first, r0, spec->datasets[d].name);
        sc_free(first);
        sc_free(path);
        return rc;
    }
    *n = r0;
    return SC_OK;
}

/* Model m's ids file (path) against the first model's (first); a
 * difference is added to r, or is the error when r is NULL. */
static int ids_match(const sc_spec *spec, size_t d, size_t m, const char *first,
                     const char *path, sc_inputs_report *r, sc_err *err)
{
    if (r == NULL)
        return sc_ids_same(first, path, spec->models[m].name,
                           spec->datasets[d].name, err);
    sc_err e;
    sc_err_clear(&e);
    int irc = sc_ids_same(first, path, spec->models[m].name,
                          spec->datasets[d].name, &e);
    if (irc == SC_ENOMEM)
        return sc_err_set(err, SC_ENOMEM, "%s", e.msg);
    return irc != SC_OK ? add_problem(r, e.msg, err) : SC_OK;
}

int sc_inputs_ids(const sc_spec *spec, size_t d, size_t n, sc_inputs_report *r,
                  sc_err *err)
{
    if (spec->ids == NULL)
        return SC_OK;
    bool per_model = strstr(spec->ids, "{model}") != NULL;
    const char *ds = spec->datasets[d].name;
    char *first = sc_malloc(INPUT_PATH_MAX), *path = sc_malloc(INPUT_PATH_MAX);
    int rc = first != NULL && path != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory checking inputs");
    for (size_t m = 0; rc == SC_OK && m < (per_model ? spec->nmodels : 1);
         m++) {
        rc = sc_spec_path(spec, spec->ids, ds,
                          per_model ? spec->models[m].name : NULL, path,
                          INPUT_PATH_MAX, err);
        size_t lines = 0;
        if (rc == SC_OK)
            rc = count_lines(path, &lines, err);
        if (rc == SC_OK && lines != n)
            rc = sc_err_set(err, SC_EIO,
                            "%s: %zu ids, but the features of dataset "
                            "'%s' have %zu rows; write one id per line, "
                            "one line per stimulus",
                            path, lines, ds, n);
        if (rc == SC_OK && m == 0)
            memcpy(first, path, strlen(path) + 1);
        else if (rc == SC_OK)
            rc = ids_match(spec, d, m, first, path, r, err);
    }
    sc_free(first);
    sc_free(path);
    return rc;
}

/* 3. ids files of every dataset; differing per-model files are collected
 * into out->problems. */
static int check_all_ids(const sc_spec *spec, sc_inputs_report *out,
                         sc_err *err)
{
    size_t before = out->nproblems;
    int rc = SC_OK;
    for (size_t d = 0; spec->ids != NULL && d < spec->ndatasets && rc == SC_OK;
         d++)
        rc = sc_inputs_ids(spec, d, out->rows[d], out, err);
    if (rc == SC_OK && out->nproblems > before)
        rc = summary(spec, spec->ids_loc, "data.ids", SC_EIO,
                     out->nproblems - before, spec->ndatasets * spec->nmodels,
                     "have ids listing other stimuli or another order than "
                     "the first model's",
                     err);
    return rc;
}

/* 4. Values (NaN/Inf): load each file once, collect all failures. */
static int scan_values(const sc_spec *spec, sc_progress *progress,
                       sc_inputs_report *out, char *path, sc_err *err)
{
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    int worst = SC_OK, rc = SC_OK;
    sc_progress_begin(progress, nd * nm, "reading features");
    for (size_t d = 0; d < nd && rc == SC_OK; d++)
        for (size_t m = 0; m < nm && rc == SC_OK; m++) {
            if (d + m > 0) /* the previous file is done */
                sc_progress_step(progress, 1);
            rc = feature_path(spec, d, m, path, err);
            if (rc != SC_OK)
                break;
            sc_matrix x;
            sc_err e;
            sc_err_clear(&e);
            int lrc = sc_npy_load_ex(path, npy_flags(spec), &x, &e);
            if (lrc == SC_ENOMEM) {
                rc = sc_err_set(err, SC_ENOMEM, "%s", e.msg);
                break;
            }
            if (lrc != SC_OK) {
                if (worst == SC_OK || lrc == SC_ENUMERIC)
                    worst = lrc;
                rc = add_problem(out, e.msg, err);
                continue;
            }
            sc_matrix_deinit(&x);
        }
    if (rc == SC_OK)
        sc_progress_step(progress, 1);
    sc_progress_end(progress);
    if (rc == SC_OK && out->nproblems > 0)
        rc = summary(spec, spec->features_loc, "data.features", worst,
                     out->nproblems, nd * nm,
                     "have unreadable or non-finite values", err);
    return rc;
}

/* 5. The behaviour table. */
static int check_behaviour(const sc_spec *spec, sc_err *err)
{
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    double *acc = sc_calloc(nd * nm + 1, sizeof *acc);
    if (acc == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory checking inputs");
    int rc = sc_behaviour_load(spec, acc, err);
    sc_free(acc);
    return rc;
}

int sc_inputs_check_progress(const sc_spec *spec, unsigned flags,
                             sc_progress *progress, sc_inputs_report *out,
                             sc_err *err)
{
    memset(out, 0, sizeof *out);
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    out->ndatasets = nd;
    out->nmodels = nm;
    out->rows = sc_calloc(nd ? nd : 1, sizeof *out->rows);
    size_t *allrows = sc_calloc(nd * nm + 1, sizeof *allrows);
    out->cols = sc_calloc(nd * nm + 1, sizeof *out->cols);
    char *path = sc_malloc(INPUT_PATH_MAX);
    int rc = SC_OK;
    if (out->rows == NULL || allrows == NULL || out->cols == NULL ||
        path == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "out of memory checking inputs");
    if (rc == SC_OK)
        rc = check_headers(spec, out, allrows, path, err);
    /* 2. One row per stimulus: every model of a dataset has the same n. */
    for (size_t d = 0; d < nd && rc == SC_OK; d++)
        rc = sc_inputs_rows(spec, d, allrows + d * nm, &out->rows[d], err);
    if (rc == SC_OK)
        rc = check_all_ids(spec, out, err);
    if (rc == SC_OK && (flags & SC_INPUTS_SCAN_VALUES))
        rc = scan_values(spec, progress, out, path, err);
    if (rc == SC_OK && spec->behaviour_accuracy != NULL)
        rc = check_behaviour(spec, err);
    sc_free(allrows);
    sc_free(path);
    return rc;
}

/* ## Behaviour table */

/* Split line (modified in place) at ',' into at most cap fields. Returns
 * the field count (which may exceed cap: extra fields are counted, not
 * stored). */
static size_t split(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (n < cap)
            fields[n] = p;
        n++;
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

#define BEH_MAX_COLS 64

/* A behaviour table being read: the spec, the columns found in the
 * header, and per (dataset, model) the line of its row (0 = not seen) and
 * its accuracy. */
typedef struct beh_table {
    const sc_spec *spec;
    const char *path;
    size_t ncols, cd, cm, ca;
    size_t *seen;
    double *val;
} beh_table;

/* The header: which columns are dataset, model, accuracy. A bad header's
 * message shows its first field (the line as split). */
static int beh_header(beh_table *t, char **fields, size_t n, size_t lineno,
                      sc_err *err)
{
    if (n > BEH_MAX_COLS)
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: more than %d columns in the header", t->path,
                          lineno, BEH_MAX_COLS);
    t->ncols = n;
    for (size_t k = 0; k < n; k++) {
        if (strcmp(fields[k], "dataset") == 0)
            t->cd = k;
        else if (strcmp(fields[k], "model") == 0)
            t->cm = k;
        else if (strcmp(fields[k], "accuracy") == 0)
            t->ca = k;
    }
    const char *line = fields[0];
    if (t->cd == SIZE_MAX || t->cm == SIZE_MAX || t->ca == SIZE_MAX)
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: expected a header with the columns "
                          "dataset,model,accuracy, found '%.80s%s'",
                          t->path, lineno, line,
                          strlen(line) > 80 ? "..." : "");
    return SC_OK;
}

/* One data row; rows of datasets or models not in the spec are skipped. */
static int beh_row(beh_table *t, char **fields, size_t n, size_t lineno,
                   sc_err *err)
{
    const sc_spec *spec = t->spec;
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    if (n != t->ncols)
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: expected %zu fields like the header, "
                          "found %zu",
                          t->path, lineno, t->ncols, n);
    size_t d = 0, m = 0;
    while (d < nd && strcmp(spec->datasets[d].name, fields[t->cd]) != 0)
        d++;
    while (m < nm && strcmp(spec->models[m].name, fields[t->cm]) != 0)
        m++;
    if (d == nd || m == nm)
        return SC_OK; /* not in this spec: the table may serve others */
    const char *text = fields[t->ca];
    char *end = NULL;
    errno = 0;
    double a = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(a) ||
        !sc_is_decimal(text)) /* strtod also reads hex */
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: accuracy: expected a finite number, "
                          "found '%.40s'",
                          t->path, lineno, text);
    if (t->seen[d * nm + m] != 0)
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: second row for dataset '%s' and model "
                          "'%s' (first at line %zu); keep one",
                          t->path, lineno, fields[t->cd], fields[t->cm],
                          t->seen[d * nm + m]);
    t->seen[d * nm + m] = lineno;
    t->val[d * nm + m] = a;
    return SC_OK;
}

/* After the last line: a header was there and every pair has a row. */
static int beh_complete(const beh_table *t, sc_err *err)
{
    const sc_spec *spec = t->spec;
    if (t->ncols == 0)
        return sc_err_set(err, SC_EIO,
                          "%s: empty file; expected a header "
                          "dataset,model,accuracy and one row per pair",
                          t->path);
    for (size_t d = 0; d < spec->ndatasets; d++)
        for (size_t m = 0; m < spec->nmodels; m++)
            if (t->seen[d * spec->nmodels + m] == 0)
                return sc_err_set(err, SC_EIO,
                                  "%s: no accuracy for dataset '%s' and model "
                                  "'%s'; add the row '%s,%s,ACCURACY'",
                                  t->path, spec->datasets[d].name,
                                  spec->models[m].name, spec->datasets[d].name,
                                  spec->models[m].name);
    return SC_OK;
}

/* The next line of text at *p (cut in place, a trailing '\r' removed). */
static char *next_line(char **p, char *end, size_t *len)
{
    char *line = *p;
    char *nl = strchr(line, '\n');
    *p = nl ? nl + 1 : end;
    if (nl)
        *nl = '\0';
    size_t l = strlen(line);
    if (l > 0 && line[l - 1] == '\r')
        line[--l] = '\0';
    *len = l;
    return line;
}

int sc_behaviour_load(const sc_spec *spec, double *acc, sc_err *err)
{
    const char *path = spec->behaviour_accuracy;
    if (path == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "%s: the spec has no behaviour.accuracy table",
                          spec->path);
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    char *text = NULL;
    size_t len = 0;
    int rc = sc_read_file(path, "behaviour table", &text, &len, err);
    if (rc != SC_OK)
        return rc;
    beh_table t = {spec,
                   path,
                   0,
                   SIZE_MAX,
                   SIZE_MAX,
                   SIZE_MAX,
                   sc_calloc(nd * nm + 1, sizeof *t.seen),
                   sc_calloc(nd * nm + 1, sizeof *t.val)};
    if (t.seen == NULL || t.val == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    size_t lineno = 0;
    char *fields[BEH_MAX_COLS];
    for (char *p = text; rc == SC_OK && p < text + len;) {
        size_t l = 0;
        char *line = next_line(&p, text + len, &l);
        lineno++;
        if (l == 0)
            continue;
        if (strchr(line, '"') != NULL) {
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: quoted fields are not supported; write "
                            "plain dataset,model,accuracy values",
                            path, lineno);
            break;
        }
        size_t n = split(line, fields, BEH_MAX_COLS);
        rc = t.ncols == 0 ? beh_header(&t, fields, n, lineno, err)
                          : beh_row(&t, fields, n, lineno, err);
    }
    if (rc == SC_OK)
        rc = beh_complete(&t, err);
    if (rc == SC_OK)
        memcpy(acc, t.val, nd * nm * sizeof *acc);
    sc_free(t.seen);
    sc_free(t.val);
    sc_free(text);
    return rc;
}
