/* Similarity matrices as CSV files.
 *
 * Purpose: the on-disk form of one m x m similarity matrix with its model
 * names (results/<e>/similarity/<dataset>/<metric>.csv, and the input of
 * `simcon mantel`). Format, one line per row, '\n' line ends (a '\r' before
 * '\n' is accepted on reading):
 *
 *     ,name1,name2,...,namem
 *     name1,s11,s12,...,s1m
 *     ...
 *     namem,sm1,...,smm
 *
 * Invariants:
 * - Names are non-empty, unique, and contain no ',', '"', '\r', '\n' (no CSV
 *   quoting is used or accepted: a quote is an error, not silently
 *   mis-split). Row k's name equals header name k.
 * - Numbers are written with "%.17g" (round-trips every double exactly) and
 *   must be finite on both reading and writing.
 * - Writing is atomic: the file is written to "<path>.tmp.<pid>" and renamed
 *   over path, so a reader never sees a partial file, and a failed write
 *   leaves no file behind.
 * References: RFC 4180 (CSV; we use its unquoted subset). */
#ifndef SC_SIMCSV_H
#define SC_SIMCSV_H

#include <stddef.h>

#include "err.h"
#include "mat.h"

/* A named similarity matrix. Caller-provided struct; sc_simmat_deinit frees
 * names and matrix. s.rows == s.cols == m. */
typedef struct sc_simmat {
    size_t m;
    char **names; /* m sc_malloc'ed strings */
    sc_matrix s;
} sc_simmat;

/* Read path into out.
 * Statuses: SC_EIO with "path:line: problem; what to do" for: missing or
 * unreadable file, empty file, header not starting with ',', empty, quoted
 * or duplicate name, a row with the wrong number of fields, a row name that
 * differs from the header, fewer or more rows than names, a field that is
 * not a number; SC_ENUMERIC "path:line: column 'name': non-finite value";
 * SC_ENOMEM. On failure out is left empty (safe to deinit). */
int sc_simcsv_read(const char *path, sc_simmat *out, sc_err *err);

/* Write in atomically (see above).
 * Statuses: SC_EINVAL (invalid name: empty, duplicate or with a forbidden
 * character; m == 0; shape), SC_ENUMERIC (non-finite entry, naming row and
 * column), SC_EIO (cannot create, write or rename; names the path and
 * strerror). On failure no file is left at path's temp name and path is
 * untouched. */
int sc_simcsv_write(const char *path, const sc_simmat *in, sc_err *err);

/* Reorder other's models to ref's name order into out (a new matrix:
 * out->s[i][j] = other->s[k(i)][k(j)] where names match).
 * Statuses: SC_EINVAL "model 'x' of <ref_label> is missing from
 * <other_label>" (the first missing name, in ref order) or a size mismatch
 * naming both counts; SC_ENOMEM. Labels (e.g. file paths) are used only in
 * messages. */
int sc_simmat_align(const sc_simmat *ref, const char *ref_label,
                    const sc_simmat *other, const char *other_label,
                    sc_simmat *out, sc_err *err);

/* Free names and matrix; reset to empty. Safe on a zeroed struct. */
void sc_simmat_deinit(sc_simmat *sm);

#endif
