/* The tidy-CSV reader of the figures and the report (sc_tidy, plot_int.h):
 * a header line, then rows of the same field count; RFC 4180 quoting. It
 * reads the CSVs that `simcon run` writes (consistency.csv, behaviour.csv,
 * contrasts.csv, models.csv, datasets.csv), so every error says to rerun
 * it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "mem.h"
#include "numtext.h"
#include "plot_int.h"

void sc_plot_free_strings(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        sc_free(list[i]);
    sc_free(list);
}

void sc_tidy_deinit(sc_tidy *t)
{
    sc_free(t->path);
    sc_plot_free_strings(t->head, t->ncols);
    if (t->cell)
        for (size_t i = 0; i < t->nrows * t->ncols; i++)
            sc_free(t->cell[i]);
    sc_free(t->cell);
    sc_free(t->line);
    memset(t, 0, sizeof *t);
}

static int read_all(const char *path, char **text, size_t *len, sc_err *err)
{
    int why = 0;
    FILE *f = sc_fopen_regular(path, &why);
    if (!f)
        return sc_err_set(err, SC_EIO, "%s: cannot open (%s)", path,
                          sc_open_strerror(why));
    int rc = sc_read_stream(f, 0, text, len);
    fclose(f);
    if (rc == SC_ENOMEM)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    if (rc != SC_OK)
        return sc_err_set(err, SC_EIO, "%s: read error", path);
    return SC_OK;
}

/* Split one record starting at *pos into fields (appended to *fields).
 * Handles "quoted" fields with "" escapes; a record ends at '\n' (a
 * preceding '\r' is dropped) outside quotes. */
static int parse_record(const char *path, const char *text, size_t len,
                        size_t *pos, size_t *lineno, char ***fields, size_t *nf,
                        size_t *cap, sc_err *err)
{
    size_t p = *pos;
    size_t start_line = *lineno;
    for (;;) {
        char *field = sc_malloc(len - p + 1);
        if (!field)
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        size_t k = 0;
        if (p < len && text[p] == '"') {
            p++;
            for (;;) {
                if (p >= len) {
                    sc_free(field);
                    return sc_err_set(err, SC_EIO,
                                      "%s:%zu: unterminated "
                                      "quoted field; close the quote",
                                      path, start_line);
                }
                if (text[p] == '"') {
                    if (p + 1 < len && text[p + 1] == '"') {
                        field[k++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (text[p] == '\n')
                    (*lineno)++;
                field[k++] = text[p++];
            }
        }
        while (p < len && text[p] != ',' && text[p] != '\n')
            field[k++] = text[p++];
        if (k > 0 && field[k - 1] == '\r' && (p >= len || text[p] == '\n'))
            k--;
        field[k] = '\0';
        if (*nf == *cap) {
            size_t nc = *cap ? 2 * *cap : 16;
            char **q = sc_realloc(*fields, nc * sizeof *q);
            if (!q) {
                sc_free(field);
                return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
            }
            *fields = q;
            *cap = nc;
        }
        (*fields)[(*nf)++] = field;
        if (p < len && text[p] == ',') {
            p++;
            continue;
        }
        if (p < len) /* '\n' */
            p++;
        (*lineno)++;
        *pos = p;
        return SC_OK;
    }
}

/* Split the one field array of a read table (nf fields, the first ncols
 * the header) into t's head and cells (cells may be empty); takes fields
 * and lines. */
static int tidy_split(sc_tidy *t, char **fields, size_t nf, size_t ncols,
                      size_t nrows, size_t *lines, const char *path,
                      sc_err *err)
{
    t->ncols = ncols;
    t->nrows = nrows;
    t->head = sc_malloc((ncols ? ncols : 1) * sizeof *t->head);
    t->cell = sc_malloc((nf - ncols ? nf - ncols : 1) * sizeof *t->cell);
    t->line = lines;
    if (!t->head || !t->cell) {
        sc_free(t->head);
        sc_free(t->cell);
        t->head = NULL;
        t->cell = NULL;
        t->ncols = t->nrows = 0;
        sc_plot_free_strings(fields, nf);
        sc_tidy_deinit(t);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    memcpy(t->head, fields, ncols * sizeof *fields);
    memcpy(t->cell, fields + ncols, (nf - ncols) * sizeof *fields);
    sc_free(fields);
    return SC_OK;
}

int sc_tidy_read(const char *path, sc_tidy *t, sc_err *err)
{
    memset(t, 0, sizeof *t);
    char *text = NULL;
    size_t len = 0;
    int rc = read_all(path, &text, &len, err);
    if (rc != SC_OK)
        return rc;
    char **fields = NULL;
    size_t nf = 0, cap = 0, pos = 0, lineno = 1;
    size_t *lines = NULL, nrows = 0, lcap = 0;
    t->path = sc_strdup(path);
    if (!t->path)
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    if (rc == SC_OK && len == 0)
        rc = sc_err_set(err, SC_EIO,
                        "%s: empty file; expected a header "
                        "line; rerun simcon run",
                        path);
    if (rc == SC_OK)
        rc = parse_record(path, text, len, &pos, &lineno, &fields, &nf, &cap,
                          err);
    size_t ncols = nf;
    while (rc == SC_OK && pos < len) {
        size_t before = nf, line = lineno;
        /* A blank line (e.g. a final "\r\n") ends nothing and holds nothing. */
        if (text[pos] == '\n' ||
            (text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n')) {
            pos += text[pos] == '\r' ? 2 : 1;
            lineno++;
            continue;
        }
        rc = parse_record(path, text, len, &pos, &lineno, &fields, &nf, &cap,
                          err);
        if (rc != SC_OK)
            break;
        if (nf - before != ncols) {
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: %zu fields but the header "
                            "has %zu; the file is damaged, rerun simcon run",
                            path, line, nf - before, ncols);
            break;
        }
        if (nrows == lcap) {
            size_t nc = lcap ? 2 * lcap : 64;
            size_t *q = sc_realloc(lines, nc * sizeof *q);
            if (!q) {
                rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
                break;
            }
            lines = q;
            lcap = nc;
        }
        lines[nrows++] = line;
    }
    sc_free(text);
    if (rc != SC_OK) {
        sc_plot_free_strings(fields, nf);
        sc_free(lines);
        sc_free(t->path);
        memset(t, 0, sizeof *t);
        return rc;
    }
    return tidy_split(t, fields, nf, ncols, nrows, lines, path, err);
}

int sc_tidy_col(const sc_tidy *t, const char *name)
{
    for (size_t j = 0; j < t->ncols; j++)
        if (strcmp(t->head[j], name) == 0)
            return (int)j;
    return -1;
}

int sc_tidy_need(const sc_tidy *t, const char *const *names, size_t n, int *idx,
                 sc_err *err)
{
    for (size_t i = 0; i < n; i++) {
        idx[i] = sc_tidy_col(t, names[i]);
        if (idx[i] < 0)
            return sc_err_set(err, SC_EIO,
                              "%s:1: no column '%s' in the "
                              "header; the file is not from this simcon "
                              "version, rerun simcon run",
                              t->path, names[i]);
    }
    return SC_OK;
}

const char *sc_tidy_at(const sc_tidy *t, size_t row, int col)
{
    return t->cell[row * t->ncols + (size_t)col];
}

int sc_tidy_num(const sc_tidy *t, size_t row, int col, double *v, int *present,
                sc_err *err)
{
    const char *s = sc_tidy_at(t, row, col);
    *present = 0;
    *v = NAN;
    if (s[0] == '\0')
        return SC_OK;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || !sc_is_decimal(s)) /* no hex */
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: column '%s': '%s' is not a "
                          "number",
                          t->path, t->line[row], t->head[col], s);
    if (!isfinite(x))
        return sc_err_set(err, SC_ENUMERIC,
                          "%s:%zu: column '%s': "
                          "non-finite value '%s'",
                          t->path, t->line[row], t->head[col], s);
    *v = x;
    *present = 1;
    return SC_OK;
}

int sc_tidy_statrow(const sc_tidy *t, size_t row, const int *col,
                    sc_numstyle pstyle, sc_statrow *out, sc_err *err)
{
    for (int k = 0; k < 5; k++) {
        int present;
        int rc = sc_tidy_num(t, row, col[k], &out->v[k], &present, err);
        if (rc != SC_OK)
            return rc;
    }
    sc_fmt_est(out->est, sizeof out->est, out->v[0], out->v[1], out->v[2], 2,
               SC_NUM_FIGURE);
    sc_fmt_p(out->p, sizeof out->p, out->v[3], pstyle);
    sc_fmt_p(out->q, sizeof out->q, out->v[4], pstyle);
    return SC_OK;
}
