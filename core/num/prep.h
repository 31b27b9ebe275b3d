/* Preprocessing of a loaded representation before any metric sees it.
 *
 * The paper (Ciernik et al., ICML 2025; docs/FORMULAS.md) L2-normalises
 * every row (stimulus) and does nothing else; `center` (subtract each
 * column's mean) and `none` exist for comparisons with other work. The mode
 * is chosen per experiment (`normalize:` in the spec, `--normalize` on the
 * command line) and recorded with the results.
 *
 * Invariant: sc_prep_apply either transforms the whole matrix or, on
 * failure, leaves it exactly as it was. */
#ifndef SC_PREP_H
#define SC_PREP_H

#include "err.h"
#include "mat.h"

enum sc_norm {
    SC_NORM_NONE,   /* leave the matrix unchanged                     */
    SC_NORM_CENTER, /* x_ij -= mean_i x_ij (column means)             */
    SC_NORM_L2      /* x_ij /= ||x_i||_2 (each row to unit length)    */
};

/* Parse "none", "center" or "l2" (exact, lower case).
 * [in]  text  the user's spelling; NULL is an error.
 * [out] mode  an enum sc_norm value; untouched on failure.
 * Returns SC_OK or SC_EINVAL ("unknown normalisation 'x'; use none, center
 * or l2"). */
int sc_norm_parse(const char *text, int *mode, sc_err *err);

/* The spelling sc_norm_parse accepts for mode, or "unknown" for a value
 * outside enum sc_norm. Never NULL; static storage. */
const char *sc_norm_name(int mode);

/* Apply mode to x in place.
 * [in,out] x     rows >= 1, cols >= 1; finite values (sc_npy_load
 *                guarantees both).
 * [in]     mode  enum sc_norm.
 * [in]     what  names the matrix in messages, e.g. its file path.
 * Returns SC_OK; SC_EINVAL (unknown mode, empty matrix); SC_EDOM (l2 and a
 * row of zero norm: "<what>: row R has zero norm; ..." with R 0-based);
 * SC_ENUMERIC (a non-finite value met while normalising); SC_ENOMEM (the
 * per-column or per-row scratch vector). x is unchanged on every failure. */
int sc_prep_apply(sc_matrix *x, int mode, const char *what, sc_err *err);

#endif
