/* Reading and writing NumPy .npy files.
 *
 * Representations arrive as .npy files written by NumPy (np.save), one
 * n x d matrix per (model, dataset): rows are stimuli, columns are units.
 * This module turns such a file into an owned, row-major sc_matrix of
 * doubles and writes matrices back in the most portable form.
 *
 * Reader. Accepts format versions 1.0, 2.0 and 3.0 (3.0 differs only in a
 * UTF-8 header); dtypes float16/32/64 and (u)int8/16/32/64 in either byte
 * order ('<f2' '<f4' '<f8' '>f4' '>f8' '|u1' '|i1' '<i2' ... '<u8', '>i2'
 * ...), each converted to double (exactly, except 64-bit integers beyond
 * 2^53, which round to nearest like NumPy's astype(float)); fortran_order True
 * or False; 1-D shapes (n,) become n x 1, 2-D shapes are taken as is. The
 * file is memory-mapped read-only and converted straight into the matrix, so
 * the data is copied once.
 *
 * Invariants: a successful load yields rows >= 1, cols >= 1 and only finite
 * values. Every failure leaves the output empty (no partial result) and fills
 * err with ONE line that starts with the file path and says what is wrong and
 * what to do. Statuses: SC_EIO for anything about the file (missing,
 * unreadable, bad magic or header, unsupported dtype, shape/size mismatch,
 * empty shape), SC_ENUMERIC for NaN/Inf, SC_ENOMEM when the matrix cannot be
 * allocated.
 *
 * Other inputs: a path ending in ".npz" or containing ".npz:KEY" reads one
 * member of an .npz archive (core/io/npz.h) and parses it exactly like a file;
 * a file without the .npy magic is refused with what it looks like (CSV,
 * zip, torch, pickle, HDF5, gzip) and how to convert it (core/io/sniff.h).
 *
 * Reference: "A Simple File Format for NumPy Arrays" (NEP 1) and
 * numpy/lib/format.py (NumPy 1.24), which define the magic "\x93NUMPY", the
 * version bytes, the little-endian header length (2 bytes in 1.0, 4 bytes in
 * 2.0/3.0) and the header: a Python dict literal with keys 'descr',
 * 'fortran_order' and 'shape', padded with spaces and ended by '\n'. */
#ifndef SC_NPY_H
#define SC_NPY_H

#include <stddef.h>

#include "err.h"
#include "mat.h"

/* Load a 2-D (or 1-D -> n x 1) .npy file as doubles.
 * [in]  path  file to read.
 * [out] out   overwritten (its previous contents are NOT freed: pass an
 *             empty or uninitialised matrix); on SC_OK it owns a rows x cols
 *             matrix the caller releases with sc_matrix_deinit; on failure
 *             it is left empty (rows = cols = 0, data = NULL).
 * [out] err   one-line message on failure; may be NULL.
 * Returns SC_OK, SC_EIO, SC_ENUMERIC ("first non-finite value ... at row R,
 * column C (0-based)", rows and columns counted in the loaded matrix) or
 * SC_ENOMEM. */
int sc_npy_load(const char *path, sc_matrix *out, sc_err *err);

/* Read and validate the header only (magic, version, dtype, shape, and that
 * the file size matches the shape), without reading the data; used by
 * `simcon check`. Values are not inspected, so NaN/Inf go unnoticed here.
 * [out] rows, cols  the shape sc_npy_load would produce (1-D -> n x 1);
 *                   untouched on failure.
 * Returns SC_OK or SC_EIO with the same messages as sc_npy_load. */
int sc_npy_peek(const char *path, size_t *rows, size_t *cols, sc_err *err);

/* Feature files: the same as sc_npy_load / sc_npy_peek, except that a 1-D
 * array is refused (SC_EIO, "<path>: shape (n,) is a 1-D vector, not a
 * stimuli x units matrix ...; ... pass --allow-vector ...") unless flags
 * has SC_NPY_ALLOW_VECTOR. Every command reading representations uses
 * these: a label vector among the feature files is a mistake far more
 * often than a one-unit model. (sc_npy_load and sc_npy_peek themselves
 * allow vectors.)
 * SC_NPY_FLATTEN: an N-D array (n, d1, ..., dk), k >= 2 (e.g. conv maps
 * n x c x h x w), is read as n x (d1 * ... * dk), each stimulus flattened
 * in row-major (C) order: column ((j1 * d2 + j2) * d3 + j3) ... holds
 * element [i, j1, j2, j3, ...], exactly numpy's a.reshape(n, -1), for C-
 * and Fortran-ordered files alike. Without it (and in sc_npy_load /
 * sc_npy_peek) such arrays are refused with a message naming --flatten
 * and data.flatten. */
#define SC_NPY_ALLOW_VECTOR 1u
#define SC_NPY_FLATTEN 2u
int sc_npy_load_ex(const char *path, unsigned flags, sc_matrix *out,
                   sc_err *err);
int sc_npy_peek_ex(const char *path, unsigned flags, size_t *rows, size_t *cols,
                   sc_err *err);

/* Write m as dtype '<f8', C order, format version 1.0, shape (rows, cols),
 * header padded to 64 bytes as NumPy does. Atomic: the data goes to
 * "<path>.tmp.<pid>", which is fsync'ed and then renamed over path, so path
 * holds either its old contents or the complete new file, never a partial
 * one; the temporary is removed on every failure.
 * [in] path  destination; its directory must exist.
 * [in] m     at least 1 x 1, all values finite (the reader would refuse
 *            anything else, so writing it would only defer the error).
 * Returns SC_OK, SC_EINVAL (empty matrix), SC_ENUMERIC (non-finite value),
 * SC_ENOMEM or SC_EIO (open/write/fsync/rename failed, with strerror). */
int sc_npy_save(const char *path, const sc_matrix *m, sc_err *err);

#endif
