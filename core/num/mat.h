/* Owned dense matrices.
 *
 * sc_matrix owns a contiguous, row-major, 64-byte aligned block of doubles:
 * element (i, j) is data[i * cols + j]. Rows are stimuli, columns are units
 * (features). Plugins never see this type: they get borrowed sc_mat views
 * (include/simcon/plugin.h) built with sc_matrix_view. */
#ifndef SC_MAT_H
#define SC_MAT_H

#include <stddef.h>

#include "err.h"
#include "simcon/plugin.h"

typedef struct sc_matrix {
    size_t rows, cols;
    double *data;
} sc_matrix;

/* Allocate rows x cols, zero-filled. On failure returns SC_ENOMEM and leaves
 * m empty (safe to deinit). */
int sc_matrix_init(sc_matrix *m, size_t rows, size_t cols, sc_err *err);
/* Free the block and reset m to empty. Safe on an empty or zeroed m. */
void sc_matrix_deinit(sc_matrix *m);
/* Borrowed view of m for plugins; valid while m is alive and unchanged. */
sc_mat sc_matrix_view(const sc_matrix *m);

/* The one symmetrisation of a similarity matrix (m x m, row-major): both
 * S[a][b] and S[b][a] become (S[a][b] + S[b][a]) / 2, i.e. (S + S^T) / 2.
 * An asymmetric metric (linreg: X predicts Y is not Y predicts X) is
 * analysed this way by `simcon run` and by `simcon mantel`, so both report
 * the same statistic. Returns the largest |S[a][b] - S[b][a]| before
 * averaging (0 for a symmetric matrix). */
double sc_symmetrize(double *s, size_t m);

#endif
