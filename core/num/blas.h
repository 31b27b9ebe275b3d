/* The only door to CBLAS/LAPACK-style numerics.
 *
 * Only core/num/blas.c includes cblas.h. Every wrapper is row-major, checks
 * each size_t -> blasint narrowing and that leading dimensions are conformant
 * before it calls OpenBLAS, and reports a violation as SC_EBLAS rather than
 * letting the BLAS print and continue. The SVD is LAPACK's dgesdd (shipped
 * inside OpenBLAS); the symmetric eigensolver is GSL's (blas_gsl.c). */
#ifndef SC_BLAS_H
#define SC_BLAS_H

#include <stddef.h>

#include "err.h"
#include "pool.h"

/* C = alpha op(A) op(B) + beta C; op(A) m x k, op(B) k x n, all row-major.
 * trans_a/trans_b: 0 no transpose, 1 transpose. */
int sc_blas_gemm(int trans_a, int trans_b, size_t m, size_t n, size_t k,
                 double alpha, const double *a, size_t lda, const double *b,
                 size_t ldb, double beta, double *c, size_t ldc, sc_err *err);

/* C = alpha op(A) op(A)^T + beta C, C n x n; op(A) n x k (trans: A is
 * k x n). Writes both triangles. */
int sc_blas_syrk(int trans, size_t n, size_t k, double alpha, const double *a,
                 size_t lda, double beta, double *c, size_t ldc, sc_err *err);

/* Single-precision variant of syrk for float32 fast paths. */
int sc_blas_ssyrk(int trans, size_t n, size_t k, float alpha, const float *a,
                  size_t lda, float beta, float *c, size_t ldc, sc_err *err);
int sc_blas_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  float alpha, const float *a, size_t lda, const float *b,
                  size_t ldb, float beta, float *c, size_t ldc, sc_err *err);

/* Copy rows [r0, r1) of the strict upper triangle of the n x n C (ld ldc)
 * onto the lower one: C[j][i] = C[i][j] for r0 <= i < r1, i < j < n. Tiled
 * (see blas.c), so a plain transpose's one cache miss per element is
 * avoided; disjoint row ranges write disjoint entries, so threads may
 * mirror different ranges at once. sc_blas_syrk uses it on [0, n). */
void sc_blas_mirror_upper(size_t r0, size_t r1, size_t n, double *c,
                          size_t ldc);
void sc_blas_smirror_upper(size_t r0, size_t r1, size_t n, float *c,
                           size_t ldc);

/* sum x[i] y[i], i < n (contiguous). Blocks n so any size works. */
double sc_blas_dot(size_t n, const double *x, const double *y);

/* Thin SVD, rows >= cols: A (overwritten by U), s decreasing, optional vt
 * (cols x cols row-major V^T). */
int sc_blas_svd(size_t rows, size_t cols, double *a, size_t lda, double *s,
                double *vt, sc_err *err);

/* Symmetric eigen-decomposition: w decreasing, optional eigenvectors as
 * columns of vecs (n x n row-major). A is destroyed. */
int sc_blas_eigh(size_t n, double *a, size_t lda, double *w, double *vecs,
                 sc_err *err);

/* Number of BLAS threads: set (0 leaves it) and read, plus the library's
 * configuration string for manifests. */
void sc_blas_set_threads(int n);
int sc_blas_get_threads(void);
const char *sc_blas_config(void);

/* The thread pool's BLAS-thread policy (core/base/pool.h): while two or
 * more workers run, every BLAS call uses one thread, so workers x BLAS
 * threads never exceed the workers; with one worker nothing changes. The
 * caller's setting is restored when the pool ends, so its own serial BLAS
 * calls keep whatever it chose. */
extern const sc_pool_policy sc_blas_one_per_worker;
/* One BLAS thread for every item, even on one worker: for work split into
 * fixed pieces whose bits must not depend on the thread count (the Gram
 * panels of core/host/gram.c). */
extern const sc_pool_policy sc_blas_serial;

#endif
