/* Similarity matrices as CSV (format and invariants in simcsv.h).
 *
 * Reading loads the whole file (an m x m matrix of %.17g numbers is about
 * 25 m^2 bytes: 100 KB for the paper's 64 models) and parses it line by
 * line, so every error can name its 1-based line. Numbers go through strtod
 * in the C locale's syntax (simcon never calls setlocale, so the decimal
 * point is '.'), and a field must be consumed entirely: "0.5x" or "" is an
 * error, never a silent 0. Reading refuses a FIFO or device without
 * blocking (sc_fopen_regular). Writing formats in memory and writes it with
 * sc_atomic_write (atomic.h), the one writer of every simcon output. */
#include "simcsv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "mem.h"
#include "numtext.h"

/* Largest file we accept: 1 GiB is a 6000-model matrix, far beyond any
 * study, so a bigger file is the wrong file. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

void sc_simmat_deinit(sc_simmat *sm)
{
    if (sm == NULL)
        return;
    if (sm->names != NULL)
        for (size_t k = 0; k < sm->m; k++)
            sc_free(sm->names[k]);
    sc_free(sm->names);
    sm->names = NULL;
    sc_matrix_deinit(&sm->s);
    sm->m = 0;
}

/* ## Reading */

static int slurp(const char *path, char **text, size_t *len, sc_err *err)
{
    int why = 0;
    FILE *f = sc_fopen_regular(path, &why);
    if (f == NULL) {
        *text = NULL;
        return sc_err_set(err, SC_EIO, "%s: cannot open: %s; check the path",
                          path, sc_open_strerror(why));
    }
    int rc = sc_read_stream(f, MAX_FILE_BYTES, text, len);
    int saved = errno;
    fclose(f);
    if (rc == SC_READ_TOO_BIG)
        return sc_err_set(err, SC_EIO,
                          "%s: larger than %zu bytes; this is not a "
                          "similarity matrix",
                          path, MAX_FILE_BYTES);
    if (rc == SC_ENOMEM)
        return sc_err_set(err, SC_ENOMEM, "%s: cannot allocate a read buffer",
                          path);
    if (rc != SC_OK)
        return sc_err_set(err, SC_EIO, "%s: read error: %s", path,
                          strerror(saved));
    return SC_OK;
}

/* Cut the next line out of *cursor (in place); NULL at end of text. Strips
 * one trailing '\r'. */
static char *next_line(char **cursor, char *end)
{
    char *s = *cursor;
    if (s >= end)
        return NULL;
    char *nl = memchr(s, '\n', (size_t)(end - s));
    char *stop = nl != NULL ? nl : end;
    *cursor = nl != NULL ? nl + 1 : end;
    *stop = '\0';
    if (stop > s && stop[-1] == '\r')
        stop[-1] = '\0';
    return s;
}

static size_t count_fields(const char *line)
{
    size_t n = 1;
    for (const char *c = line; *c; c++)
        n += *c == ',';
    return n;
}

/* Next comma-separated field of *cursor, cut in place. */
static char *next_field(char **cursor)
{
    char *s = *cursor;
    char *comma = strchr(s, ',');
    if (comma != NULL) {
        *comma = '\0';
        *cursor = comma + 1;
    } else {
        *cursor = s + strlen(s);
    }
    return s;
}

static int parse_header(const char *path, char *line, sc_simmat *out,
                        sc_err *err)
{
    if (line[0] != ',')
        return sc_err_set(err, SC_EIO,
                          "%s:1: header must start with ',' followed by the "
                          "model names (\",name1,name2,...\")",
                          path);
    size_t m = count_fields(line) - 1;
    out->names = sc_calloc(m, sizeof *out->names);
    if (out->names == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s:1: cannot allocate %zu names",
                          path, m);
    char *cur = line + 1;
    for (size_t k = 0; k < m; k++) {
        char *name = next_field(&cur);
        if (name[0] == '\0')
            return sc_err_set(err, SC_EIO,
                              "%s:1: model name %zu is empty; every column "
                              "needs a name",
                              path, k + 1);
        for (const char *c = name; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return sc_err_set(err, SC_EIO,
                                  "%s:1: model name %zu contains a control "
                                  "character (e.g. a stray carriage return); "
                                  "names must be printable text",
                                  path, k + 1);
        if (strchr(name, '"') != NULL)
            return sc_err_set(err, SC_EIO,
                              "%s:1: model name %zu (%s) is quoted; simcon "
                              "CSV uses no quoting, so names cannot contain "
                              "',' or '\"'",
                              path, k + 1, name);
        for (size_t l = 0; l < k; l++)
            if (strcmp(out->names[l], name) == 0)
                return sc_err_set(err, SC_EIO,
                                  "%s:1: model name '%s' appears twice "
                                  "(columns %zu and %zu); names must be "
                                  "unique",
                                  path, name, l + 1, k + 1);
        out->names[k] = sc_strdup(name);
        if (out->names[k] == NULL)
            return sc_err_set(err, SC_ENOMEM, "%s:1: cannot copy names", path);
        out->m = k + 1;
    }
    return SC_OK;
}

static int parse_row(const char *path, size_t lineno, char *line, size_t r,
                     sc_simmat *out, sc_err *err)
{
    size_t m = out->m;
    size_t nf = count_fields(line);
    if (nf != m + 1)
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: %zu fields, expected %zu (the row name "
                          "and %zu numbers)",
                          path, lineno, nf, m + 1, m);
    char *cur = line;
    char *name = next_field(&cur);
    if (strcmp(name, out->names[r]) != 0)
        return sc_err_set(err, SC_EIO,
                          "%s:%zu: row %zu is named '%s' but header column "
                          "%zu is '%s'; rows must follow the header order",
                          path, lineno, r + 1, name, r + 1, out->names[r]);
    for (size_t c = 0; c < m; c++) {
        char *field = next_field(&cur);
        char *end;
        errno = 0;
        double v = strtod(field, &end);
        if (field[0] == '\0' || *end != '\0' || end == field ||
            !sc_is_decimal(field)) /* strtod also reads hex */
            return sc_err_set(err, SC_EIO,
                              "%s:%zu: column '%s': '%s' is not a number", path,
                              lineno, out->names[c], field);
        if (!isfinite(v))
            return sc_err_set(err, SC_ENUMERIC,
                              "%s:%zu: column '%s': non-finite value '%s'; "
                              "recompute the matrix",
                              path, lineno, out->names[c], field);
        out->s.data[r * m + c] = v;
    }
    return SC_OK;
}

/* A NUL byte would silently cut a line short when the line is read as a C
 * string (found by fuzz_simcsv), so text with one is refused, with its line. */
static int refuse_nul(const char *path, const char *text, size_t len,
                      sc_err *err)
{
    const char *nul = memchr(text, '\0', len);
    if (nul == NULL)
        return SC_OK;
    size_t at = 1;
    for (const char *c = text; c < nul; c++)
        at += *c == '\n';
    return sc_err_set(err, SC_EIO,
                      "%s:%zu: NUL byte; a similarity CSV is text, rewrite "
                      "the file",
                      path, at);
}

int sc_simcsv_read(const char *path, sc_simmat *out, sc_err *err)
{
    out->m = 0;
    out->names = NULL;
    out->s = (sc_matrix){0, 0, NULL};
    char *text;
    size_t len = 0;
    int rc = slurp(path, &text, &len, err);
    if (rc != SC_OK)
        return rc;
    rc = refuse_nul(path, text, len, err);
    if (rc != SC_OK)
        goto fail;
    char *cur = text, *end = text + len;
    char *line = next_line(&cur, end);
    if (line == NULL || line[0] == '\0') {
        rc = sc_err_set(err, SC_EIO,
                        "%s:1: empty file or empty header; expected "
                        "\",name1,name2,...\"",
                        path);
        goto fail;
    }
    rc = parse_header(path, line, out, err);
    if (rc != SC_OK)
        goto fail;
    rc = sc_matrix_init(&out->s, out->m, out->m, err);
    if (rc != SC_OK)
        goto fail;
    size_t r = 0, lineno = 1;
    while ((line = next_line(&cur, end)) != NULL) {
        lineno++;
        if (line[0] == '\0') {
            /* Only a final newline may leave an empty line. */
            if (cur >= end)
                break;
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: empty line inside the "
                            "matrix; remove it",
                            path, lineno);
            goto fail;
        }
        if (r == out->m) {
            rc = sc_err_set(err, SC_EIO,
                            "%s:%zu: more rows than the %zu names in the "
                            "header; the matrix must be square",
                            path, lineno, out->m);
            goto fail;
        }
        rc = parse_row(path, lineno, line, r, out, err);
        if (rc != SC_OK)
            goto fail;
        r++;
    }
    if (r != out->m) {
        rc = sc_err_set(err, SC_EIO,
                        "%s:%zu: %zu rows but %zu names in the header; the "
                        "matrix must be square",
                        path, lineno + 1, r, out->m);
        goto fail;
    }
    sc_free(text);
    return SC_OK;
fail:
    sc_free(text);
    sc_simmat_deinit(out);
    return rc;
}

/* ## Writing */

static int check_for_write(const sc_simmat *in, sc_err *err)
{
    if (in->m == 0 || in->s.rows != in->m || in->s.cols != in->m)
        return sc_err_set(err, SC_EINVAL,
                          "simcsv: cannot write a %zux%zu matrix with %zu "
                          "names; it must be m x m with m >= 1",
                          in->s.rows, in->s.cols, in->m);
    for (size_t k = 0; k < in->m; k++) {
        const char *name = in->names[k];
        if (name == NULL || name[0] == '\0' || strpbrk(name, ",\"\r\n"))
            return sc_err_set(err, SC_EINVAL,
                              "simcsv: model name %zu ('%s') is empty or "
                              "contains ',', '\"' or a line break; rename the "
                              "model",
                              k + 1, name ? name : "");
        for (size_t l = 0; l < k; l++)
            if (strcmp(in->names[l], name) == 0)
                return sc_err_set(err, SC_EINVAL,
                                  "simcsv: model name '%s' is used twice; "
                                  "names must be unique",
                                  name);
    }
    for (size_t i = 0; i < in->m; i++)
        for (size_t j = 0; j < in->m; j++)
            if (!isfinite(in->s.data[i * in->m + j]))
                return sc_err_set(err, SC_ENUMERIC,
                                  "simcsv: entry ('%s', '%s') is not finite; "
                                  "refusing to write it",
                                  in->names[i], in->names[j]);
    return SC_OK;
}

int sc_simcsv_write(const char *path, const sc_simmat *in, sc_err *err)
{
    int rc = check_for_write(in, err);
    if (rc != SC_OK)
        return rc;
    /* Formatted in memory, then one atomic write (atomic.h): the path
     * must be absent or a regular file, and holds either its old contents
     * or the whole new table. */
    sc_buf b = {0};
    size_t m = in->m;
    for (size_t k = 0; k < m; k++)
        sc_buf_printf(&b, ",%s", in->names[k]);
    sc_buf_puts(&b, "\n");
    for (size_t i = 0; i < m; i++) {
        sc_buf_puts(&b, in->names[i]);
        for (size_t j = 0; j < m; j++)
            sc_buf_printf(&b, ",%.17g", in->s.data[i * m + j]);
        sc_buf_puts(&b, "\n");
    }
    rc = sc_buf_check(&b, path, err);
    if (rc == SC_OK)
        rc = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return rc;
}

/* ## Aligning two matrices by model name */

int sc_simmat_align(const sc_simmat *ref, const char *ref_label,
                    const sc_simmat *other, const char *other_label,
                    sc_simmat *out, sc_err *err)
{
    out->m = 0;
    out->names = NULL;
    out->s = (sc_matrix){0, 0, NULL};
    size_t m = ref->m;
    size_t *k = sc_calloc(m, sizeof *k);
    if (k == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "align: cannot allocate %zu "
                          "indices",
                          m);
    int rc = SC_OK;
    for (size_t i = 0; i < m && rc == SC_OK; i++) {
        size_t l = 0;
        while (l < other->m && strcmp(other->names[l], ref->names[i]) != 0)
            l++;
        if (l == other->m)
            rc = sc_err_set(err, SC_EINVAL,
                            "model '%s' of %s is missing from %s; both "
                            "matrices must have the same models",
                            ref->names[i], ref_label, other_label);
        k[i] = l;
    }
    if (rc == SC_OK && other->m != m)
        rc = sc_err_set(err, SC_EINVAL,
                        "%s has %zu models but %s has %zu; both matrices "
                        "must have the same models",
                        ref_label, m, other_label, other->m);
    if (rc == SC_OK)
        rc = sc_matrix_init(&out->s, m, m, err);
    if (rc == SC_OK) {
        out->names = sc_calloc(m, sizeof *out->names);
        if (out->names == NULL)
            rc = sc_err_set(err, SC_ENOMEM, "align: cannot allocate names");
    }
    for (size_t i = 0; i < m && rc == SC_OK; i++) {
        out->names[i] = sc_strdup(ref->names[i]);
        if (out->names[i] == NULL)
            rc = sc_err_set(err, SC_ENOMEM, "align: cannot copy names");
        out->m = i + 1;
        for (size_t j = 0; j < m; j++)
            out->s.data[i * m + j] = other->s.data[k[i] * m + k[j]];
    }
    sc_free(k);
    if (rc != SC_OK)
        sc_simmat_deinit(out);
    return rc;
}
