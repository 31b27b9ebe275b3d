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

/* Non-empty lines of a text file (a trailing line without '\n' counts). */
static int count_lines(const char *path, size_t *count, sc_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = sc_read_file(path, "ids file", &text, &len, err);
    if (rc != SC_OK)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t end = j;
        if (end > i && text[end - 1] == '\r')
            end--;
        if (end > i)
            n++;
        i = j + 1;
    }
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

int sc_inputs_check_progress(const sc_spec *spec, unsigned flags,
                             sc_progress *progress, sc_inputs_report *out,
                             sc_err *err)
{
    unsigned flat = spec->flatten ? SC_NPY_FLATTEN : 0;
    memset(out, 0, sizeof *out);
    size_t nd = spec->ndatasets, nm = spec->nmodels;
    out->ndatasets = nd;
    out->nmodels = nm;
    out->rows = sc_calloc(nd ? nd : 1, sizeof *out->rows);
    size_t *allrows = sc_calloc(nd * nm + 1, sizeof *allrows);
    out->cols = sc_calloc(nd * nm + 1, sizeof *out->cols);
    char *path = sc_malloc(INPUT_PATH_MAX);
    char *first = sc_malloc(INPUT_PATH_MAX);
    double *acc = NULL;
    unsigned vec = spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0;
    int rc = SC_OK;
    if (out->rows == NULL || allrows == NULL || out->cols == NULL ||
        path == NULL || first == NULL) {
        rc = sc_err_set(err, SC_ENOMEM, "out of memory checking inputs");
        goto done;
    }

    /* 1. Every feature file's header: collect all failures. */
    for (size_t d = 0; d < nd && rc == SC_OK; d++)
        for (size_t m = 0; m < nm && rc == SC_OK; m++) {
            rc = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                              spec->models[m].name, path, INPUT_PATH_MAX, err);
            if (rc != SC_OK)
                break;
            sc_err e;
            sc_err_clear(&e);
            size_t r = 0, k = 0;
            if (sc_npy_peek_ex(path, vec | flat, &r, &k, &e) != SC_OK) {
                rc = add_problem(out, e.msg, err);
                continue;
            }
            allrows[d * nm + m] = r;
            out->cols[d * nm + m] = k;
        }
    if (rc == SC_OK && out->nproblems > 0) {
        rc = summary(spec, spec->features_loc, "data.features", SC_EIO,
                     out->nproblems, nd * nm, "are missing or unreadable", err);
        goto done;
    }
    if (rc != SC_OK)
        goto done;

    /* 2. One row per stimulus: every model of a dataset has the same n. */
    for (size_t d = 0; d < nd; d++) {
        size_t r0 = allrows[d * nm];
        for (size_t m = 1; m < nm; m++) {
            size_t r = allrows[d * nm + m];
            if (r == r0)
                continue;
            rc = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                              spec->models[0].name, first, INPUT_PATH_MAX, err);
            if (rc == SC_OK)
                rc = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                                  spec->models[m].name, path, INPUT_PATH_MAX,
                                  err);
            if (rc == SC_OK)
                rc = sc_err_set(err, SC_EIO,
                                "%s: %zu rows, but %s has %zu; all models of "
                                "dataset '%s' need one row per stimulus, in "
                                "the same order",
                                path, r, first, r0, spec->datasets[d].name);
            goto done;
        }
        out->rows[d] = r0;
    }

    /* 3. ids files: present, one line per stimulus; with one file per
     * model ({model} in the template), every model's ids equal the first
     * model's row by row (ids.h). */
    bool per_model = spec->ids != NULL && strstr(spec->ids, "{model}") != NULL;
    size_t before = out->nproblems;
    for (size_t d = 0; spec->ids != NULL && d < nd; d++) {
        const char *ds = spec->datasets[d].name;
        for (size_t m = 0; m < (per_model ? nm : 1); m++) {
            rc = sc_spec_path(spec, spec->ids, ds,
                              per_model ? spec->models[m].name : NULL, path,
                              INPUT_PATH_MAX, err);
            size_t lines = 0;
            if (rc == SC_OK)
                rc = count_lines(path, &lines, err);
            if (rc != SC_OK)
                goto done;
            if (lines != out->rows[d]) {
                rc = sc_err_set(err, SC_EIO,
                                "%s: %zu ids, but the features of dataset "
                                "'%s' have %zu rows; write one id per line, "
                                "one line per stimulus",
                                path, lines, ds, out->rows[d]);
                goto done;
            }
            if (m == 0) {
                memcpy(first, path, strlen(path) + 1);
            } else {
                sc_err e;
                sc_err_clear(&e);
                int irc =
                    sc_ids_same(first, path, spec->models[m].name, ds, &e);
                if (irc == SC_ENOMEM) {
                    rc = sc_err_set(err, SC_ENOMEM, "%s", e.msg);
                    goto done;
                }
                if (irc != SC_OK &&
                    (rc = add_problem(out, e.msg, err)) != SC_OK)
                    goto done;
            }
        }
    }
    if (out->nproblems > before) {
        rc = summary(spec, spec->ids_loc, "data.ids", SC_EIO,
                     out->nproblems - before, nd * nm,
                     "have ids listing other stimuli or another order than "
                     "the first model's",
                     err);
        goto done;
    }

    /* 4. Values (NaN/Inf): load each file once, collect all failures. */
    if (flags & SC_INPUTS_SCAN_VALUES) {
        int worst = SC_OK;
        sc_progress_begin(progress, nd * nm, "reading features");
        for (size_t d = 0; d < nd && rc == SC_OK; d++)
            for (size_t m = 0; m < nm && rc == SC_OK; m++) {
                if (d + m > 0) /* the previous file is done */
                    sc_progress_step(progress, 1);
                rc = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                                  spec->models[m].name, path, INPUT_PATH_MAX,
                                  err);
                if (rc != SC_OK)
                    break;
                sc_matrix x;
                sc_err e;
                sc_err_clear(&e);
                int lrc = sc_npy_load_ex(path, vec | flat, &x, &e);
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
        if (rc == SC_OK && out->nproblems > 0) {
            rc = summary(spec, spec->features_loc, "data.features", worst,
                         out->nproblems, nd * nm,
                         "have unreadable or non-finite values", err);
            goto done;
        }
        if (rc != SC_OK)
            goto done;
    }

    /* 5. The behaviour table. */
    if (spec->behaviour_accuracy != NULL) {
        acc = sc_calloc(nd * nm + 1, sizeof *acc);
        if (acc == NULL) {
            rc = sc_err_set(err, SC_ENOMEM, "out of memory checking inputs");
            goto done;
        }
        rc = sc_behaviour_load(spec, acc, err);
    }
done:
    sc_free(acc);
    sc_free(allrows);
    sc_free(path);
    sc_free(first);
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
    /* line number of each pair's row, 0 = not seen */
    size_t *seen = sc_calloc(nd * nm + 1, sizeof *seen);
    double *val = sc_calloc(nd * nm + 1, sizeof *val);
    if (seen == NULL || val == NULL) {
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t ncols = 0, cd = SIZE_MAX, cm = SIZE_MAX, ca = SIZE_MAX;
    size_t lineno = 0;
    char *fields[BEH_MAX_COLS];
    for (char *p = text; p < text + len && rc == SC_OK;) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : text + len;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t l = strlen(p);
        if (l > 0 && p[l - 1] == '\r')
            p[--l] = '\0';
        char *line = p;
        p = next;
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
        if (ncols == 0) {
            if (n > BEH_MAX_COLS) {
                rc = sc_err_set(err, SC_EIO,
                                "%s:%zu: more than %d columns in the header",
                                path, lineno, BEH_MAX_COLS);
                break;
            }
            ncols = n;
            for (size_t k = 0; k < n; k++) {
                if (strcmp(fields[k], "dataset") == 0)
                    cd = k;
                else if (strcmp(fields[k], "model") == 0)
                    cm = k;
                else if (strcmp(fields[k], "accuracy") == 0)
                    ca = k;
            }
            if (cd == SIZE_MAX || cm == SIZE_MAX || ca == SIZE_MAX)
                rc = sc_err_set(err, SC_EIO,
                                "%s:%zu: expected a header with the columns "
                                "dataset,model,accuracy, found '%.80s%s'",
                                path, lineno, line,
                                strlen(line) > 80 ? "..." : "");
            continue;
        }
        if (n != ncols) {
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: expected %zu fields like the header, "
                            "found %zu",
                            path, lineno, ncols, n);
            break;
        }
        size_t d = 0, m = 0;
        while (d < nd && strcmp(spec->datasets[d].name, fields[cd]) != 0)
            d++;
        while (m < nm && strcmp(spec->models[m].name, fields[cm]) != 0)
            m++;
        if (d == nd || m == nm)
            continue; /* not in this spec: the table may serve others */
        char *end = NULL;
        errno = 0;
        double a = strtod(fields[ca], &end);
        if (end == fields[ca] || *end != '\0' || !isfinite(a) ||
            !sc_is_decimal(fields[ca])) { /* strtod also reads hex */
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: accuracy: expected a finite number, "
                            "found '%.40s'",
                            path, lineno, fields[ca]);
            break;
        }
        if (seen[d * nm + m] != 0) {
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: second row for dataset '%s' and model "
                            "'%s' (first at line %zu); keep one",
                            path, lineno, fields[cd], fields[cm],
                            seen[d * nm + m]);
            break;
        }
        seen[d * nm + m] = lineno;
        val[d * nm + m] = a;
    }
    if (rc == SC_OK && ncols == 0)
        rc = sc_err_set(err, SC_EIO,
                        "%s: empty file; expected a header "
                        "dataset,model,accuracy and one row per pair",
                        path);
    for (size_t d = 0; d < nd && rc == SC_OK; d++)
        for (size_t m = 0; m < nm && rc == SC_OK; m++)
            if (seen[d * nm + m] == 0)
                rc = sc_err_set(err, SC_EIO,
                                "%s: no accuracy for dataset '%s' and model "
                                "'%s'; add the row '%s,%s,ACCURACY'",
                                path, spec->datasets[d].name,
                                spec->models[m].name, spec->datasets[d].name,
                                spec->models[m].name);
    if (rc == SC_OK)
        memcpy(acc, val, nd * nm * sizeof *acc);
done:
    sc_free(seen);
    sc_free(val);
    sc_free(text);
    return rc;
}
