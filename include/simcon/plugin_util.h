/* simcon plugin utilities: numerical helpers that several metric plugins
 * share, as static inline functions.
 *
 * This header adds NO ABI: nothing here is exported, called through the
 * host table or seen by the loader; each plugin that includes it compiles
 * its own copy of what it uses, so a plugin built against any version of
 * this file loads into every host of its SC_ABI_VERSION. Like plugin.h it
 * needs only the C standard headers (and, through simcon/clones.h, glibc's
 * <sys/platform/x86.h> where that exists) and compiles warning-free as C99
 * and as C++ (tests/loader/header_only.c checks both).
 *
 * Prefix sc_pu_ ("plugin utility"). Every helper follows the plugin rules
 * of include/simcon/plugin.h: memory only through host->alloc/free,
 * products and decompositions only through the host, failures through
 * host->fail, no mutable state. Unit tests: tests/plugins/test_plugin_util.c
 * (closed-form expected values). docs/PLUGINS.md says when to use which.
 *
 * Contents
 *   SC_PU_ZERO_ULPS, sc_pu_zero_variance  the one zero-variance rule
 *   sc_pu_centre                column centring, optional row subset
 *   sc_pu_centre_checked        the same, plus the finiteness and
 *                               zero-variance checks with their messages
 *   sc_pu_left_svd              left singular basis of an n x d matrix
 *   sc_pu_centred_basis         centre (checked), then left singular basis
 *   sc_pu_numerical_rank        numpy.linalg.matrix_rank's cut
 *   sc_pu_first_columns         copy of the leading columns
 *   sc_pu_cross_sv              singular values of A^T B
 *   sc_pu_cand, sc_pu_top_k, sc_pu_row_top_k
 *                               top-k with the lower index winning ties
 *   sc_pu_rows_identical        all rows bit-identical
 *   sc_pu_check_neighbours      the input checks of a kNN metric
 *   (simcon/clones.h, included here) SC_CLONED, SC_CLONE_BODY
 *                               per-CPU clones of a hot loop */
#ifndef SIMCON_PLUGIN_UTIL_H
#define SIMCON_PLUGIN_UTIL_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "simcon/clones.h"
#include "simcon/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ## Zero variance */

/* A centred quantity is "zero" when it is below what rounding alone leaves
 * of data of the given magnitude: centring sums n terms, whose relative
 * error is about n eps; 16 is head-room for the two passes of the centring
 * and the blocking of BLAS sums. */
#define SC_PU_ZERO_ULPS 16.0

/* 1 when var2 (the sum of squares of the centred data, or of a centred
 * kernel) is zero up to rounding relative to scale2 (the same sum before
 * centring), n being the count of terms summed per mean:
 * var2 <= (SC_PU_ZERO_ULPS n eps)^2 scale2. A NaN var2 or scale2 counts as
 * zero (test finiteness first where NaN must be reported as such). */
static inline int sc_pu_zero_variance(double var2, double scale2, size_t n)
{
    double tol = SC_PU_ZERO_ULPS * (double)n * DBL_EPSILON;
    return !(var2 > tol * tol * scale2);
}

/* ## Centring */

/* Column-centre the rows x[idx[0..n-1]] (idx NULL: the first n rows, i.e.
 * all of them when n = x->rows; repeats allowed) into xc (n x x->cols,
 * row-major, ld x->cols). Two-pass means (the mean, then the mean of the
 * residuals) so that a large common offset cancels to the rounding of the
 * data itself; row-major passes only, so every element is read in memory
 * order. Reports *var2 = sum(xc^2) and *scale2 = sum of the squares of the
 * selected rows of x, both through host->dot, for sc_pu_zero_variance.
 * mean: scratch of 2 x->cols doubles (on return mean[0..cols-1] holds the
 * column means). */
static inline void sc_pu_centre(const sc_host *host, const sc_mat *x,
                                const size_t *idx, size_t n, double *xc,
                                double *mean, double *var2, double *scale2)
{
    size_t d = x->cols;
    double s2 = 0.0;
    for (size_t j = 0; j < d; j++)
        mean[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = x->data + (idx ? idx[i] : i) * x->ld;
        memcpy(xc + i * d, row, d * sizeof *xc);
        s2 += host->dot(d, row, row);
        for (size_t j = 0; j < d; j++)
            mean[j] += row[j];
    }
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)n;
    /* Second pass: the mean of the residuals removes the rounding of the
     * first mean when all values share a large offset. */
    double *corr = mean + d;
    for (size_t j = 0; j < d; j++)
        corr[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = xc + i * d;
        for (size_t j = 0; j < d; j++)
            corr[j] += row[j] - mean[j];
    }
    for (size_t j = 0; j < d; j++)
        mean[j] += corr[j] / (double)n;
    for (size_t i = 0; i < n; i++) {
        double *row = xc + i * d;
        for (size_t j = 0; j < d; j++)
            row[j] -= mean[j];
    }
    *var2 = host->dot(n * d, xc, xc);
    *scale2 = s2;
}

/* sc_pu_centre of all rows of x into xc (n x d), with the checks every
 * centring metric makes (scratch allocated and freed here):
 *   non-finite sums (NaN or Inf features, or squares that overflow):
 *     SC_ENUMERIC "the representation has NaN or Inf features (or
 *     overflows when squared); fix the input";
 *   zero variance (sc_pu_zero_variance): SC_EDOM "representation has zero
 *     variance over its <n> rows (all rows equal): <why>; drop it or check
 *     the features", why saying what is undefined then (e.g. "R^2 of a
 *     constant target is 0/0").
 * *var2 (may be NULL) receives sum(xc^2). */
static inline int sc_pu_centre_checked(const sc_host *host, sc_ctx *ctx,
                                       const sc_mat *x, double *xc,
                                       double *var2, const char *why)
{
    size_t n = x->rows;
    double *mean = (double *)host->alloc(ctx, 2 * x->cols * sizeof *mean);
    if (mean == NULL)
        return SC_ENOMEM;
    double v2, s2;
    sc_pu_centre(host, x, NULL, n, xc, mean, &v2, &s2);
    host->free(ctx, mean);
    if (var2 != NULL)
        *var2 = v2;
    if (!isfinite(s2) || !isfinite(v2))
        return host->fail(ctx, SC_ENUMERIC,
                          "the representation has NaN or Inf features (or "
                          "overflows when squared); fix the input");
    if (sc_pu_zero_variance(v2, s2, n))
        return host->fail(ctx, SC_EDOM,
                          "representation has zero variance over its %zu "
                          "rows (all rows equal): %s; drop it or check the "
                          "features",
                          n, why);
    return SC_OK;
}

/* ## Singular bases */

/* Left singular vectors of the n x d matrix a (row-major, ld d) and its
 * m = min(n, d) singular values sv (decreasing). a must come from
 * host->alloc and is consumed: on SC_OK *u (n x m, row-major, ld m) owns
 * the vectors (it is a itself when n >= d, else a new block and a is
 * freed); on failure a is freed and *u is NULL. The caller frees *u.
 * d > n goes through the SVD of a^T (host->svd needs rows >= cols):
 * a^T = W S V^T gives a = V S W^T, so U = V = (V^T)^T. */
static inline int sc_pu_left_svd(const sc_host *host, sc_ctx *ctx, double *a,
                                 size_t n, size_t d, double **u, double *sv)
{
    *u = NULL;
    if (n >= d) {
        int rc = host->svd(ctx, n, d, a, d, sv, NULL);
        if (rc != SC_OK) {
            host->free(ctx, a);
            return rc;
        }
        *u = a; /* now U, n x d */
        return SC_OK;
    }
    double *at = (double *)host->alloc(ctx, d * n * sizeof *at);
    double *vt = (double *)host->alloc(ctx, n * n * sizeof *vt);
    int rc = SC_OK;
    if (at == NULL || vt == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            at[j * n + i] = a[i * d + j];
    rc = host->svd(ctx, d, n, at, n, sv, vt);
    if (rc != SC_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double t = vt[i * n + j];
            vt[i * n + j] = vt[j * n + i];
            vt[j * n + i] = t;
        }
    *u = vt;
    vt = NULL;
done:
    host->free(ctx, a);
    host->free(ctx, at);
    host->free(ctx, vt);
    return rc;
}

/* Left singular basis of the column-centred x: sc_pu_centre_checked (why:
 * see there), then sc_pu_left_svd. On SC_OK, *u (n x m, ld m,
 * m = min(n, d)) holds the basis and *sv (m doubles) the singular values,
 * decreasing; both are the caller's to free with host->free. On failure
 * both are NULL and nothing is left allocated. */
static inline int sc_pu_centred_basis(const sc_host *host, sc_ctx *ctx,
                                      const sc_mat *x, const char *why,
                                      double **u, double **sv)
{
    size_t n = x->rows, d = x->cols, m = n < d ? n : d;
    *u = NULL;
    *sv = (double *)host->alloc(ctx, m * sizeof **sv);
    double *xc = (double *)host->alloc(ctx, n * d * sizeof *xc);
    int rc = SC_ENOMEM;
    if (*sv != NULL && xc != NULL)
        rc = sc_pu_centre_checked(host, ctx, x, xc, NULL, why);
    if (rc == SC_OK) {
        rc = sc_pu_left_svd(host, ctx, xc, n, d, u, *sv);
        xc = NULL; /* consumed by sc_pu_left_svd */
        if (rc == SC_OK)
            return SC_OK;
    }
    host->free(ctx, xc);
    host->free(ctx, *sv);
    *sv = NULL;
    return rc;
}

/* Numerical rank of an n x d matrix from its m = min(n, d) singular values
 * sv (decreasing): the count of s_i > s_1 max(n, d) eps, the default
 * tolerance of numpy.linalg.matrix_rank (and lstsq's rcond). Directions
 * below it are rounding noise with no defined direction. */
static inline size_t sc_pu_numerical_rank(const double *sv, size_t m, size_t n,
                                          size_t d)
{
    if (m == 0)
        return 0;
    double cut = sv[0] * (double)(n > d ? n : d) * DBL_EPSILON;
    size_t r = 0;
    while (r < m && sv[r] > cut)
        r++;
    return r;
}

/* A new n x r block (host->alloc; the caller frees it) holding the first
 * r columns of the n x m matrix a (row-major, ld m), r <= m: e.g. the
 * leading singular directions of sc_pu_left_svd's basis. NULL when the
 * allocation fails (the host has recorded SC_ENOMEM). */
static inline double *sc_pu_first_columns(const sc_host *host, sc_ctx *ctx,
                                          const double *a, size_t n, size_t m,
                                          size_t r)
{
    double *out = (double *)host->alloc(ctx, n * r * sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * r, a + i * m, r * sizeof *out);
    return out;
}

/* Singular values of A^T B, A n x ra and B n x rb (row-major, ld ra and
 * rb): min(ra, rb) values, decreasing, into sv. One GEMM (the wider side
 * first, as host->svd needs rows >= cols) and one SVD; the ra x rb scratch
 * is allocated and freed here. With orthonormal columns these are the
 * cosines of the principal angles between the two column spaces. */
static inline int sc_pu_cross_sv(const sc_host *host, sc_ctx *ctx, size_t n,
                                 const double *a, size_t ra, const double *b,
                                 size_t rb, double *sv)
{
    if (ra < rb) {
        const double *t = a;
        size_t rt = ra;
        a = b;
        ra = rb;
        b = t;
        rb = rt;
    }
    double *m = (double *)host->alloc(ctx, ra * rb * sizeof *m);
    if (m == NULL)
        return SC_ENOMEM;
    int rc = host->gemm(ctx, SC_TRANS, SC_NOTRANS, ra, rb, n, 1.0, a, ra, b, rb,
                        0.0, m, rb);
    if (rc == SC_OK)
        rc = host->svd(ctx, ra, rb, m, rb, sv, NULL);
    host->free(ctx, m);
    return rc;
}

/* ## Top k with the lower index winning ties */

/* A candidate: value v of item j. */
typedef struct sc_pu_cand {
    double v;
    size_t j;
} sc_pu_cand;

/* The selection order as a predicate: a ranks before b when its value is
 * larger, or equal (exactly) with a lower index. The order is total over
 * distinct indices, so the chosen set is unique and deterministic. */
static inline int sc_pu_cand_before(const sc_pu_cand *a, const sc_pu_cand *b)
{
    return a->v > b->v || (a->v == b->v && a->j < b->j);
}

/* Restore the heap below position p: h[0..k-1] is a heap whose root is the
 * WORST (last in sc_pu_cand_before order) of the k best seen so far. */
static inline void sc_pu_heap_sift(sc_pu_cand *h, size_t k, size_t p)
{
    for (;;) {
        size_t l = 2 * p + 1, r = l + 1, w = p;
        if (l < k && sc_pu_cand_before(&h[w], &h[l]))
            w = l;
        if (r < k && sc_pu_cand_before(&h[w], &h[r]))
            w = r;
        if (w == p)
            return;
        sc_pu_cand t = h[p];
        h[p] = h[w];
        h[w] = t;
        p = w;
    }
}

/* The k best (sc_pu_cand_before order) of the m candidates c[0..m-1],
 * k <= m, into c[0..k-1], in no particular order: a bounded heap,
 * O(m log k) instead of sorting all m. */
static inline void sc_pu_top_k(sc_pu_cand *c, size_t m, size_t k)
{
    if (k == 0)
        return;
    for (size_t p = k / 2; p-- > 0;)
        sc_pu_heap_sift(c, k, p);
    for (size_t q = k; q < m; q++)
        if (sc_pu_cand_before(&c[q], &c[0])) {
            c[0] = c[q];
            sc_pu_heap_sift(c, k, 0);
        }
}

/* qsort comparator: candidates by index ascending. */
static inline int sc_pu_cand_by_index(const void *pa, const void *pb)
{
    const sc_pu_cand *a = (const sc_pu_cand *)pa;
    const sc_pu_cand *b = (const sc_pu_cand *)pb;
    return (a->j > b->j) - (a->j < b->j);
}

/* Nearest neighbours of item self from its row of similarities
 * row[0..n-1]: the k items j != self with the largest row[j], ties to the
 * lower j, into c[0..k-1] sorted by index ascending (c: scratch of n - 1
 * candidates; k <= n - 1). */
static inline void sc_pu_row_top_k(const double *row, size_t n, size_t self,
                                   size_t k, sc_pu_cand *c)
{
    size_t m = 0;
    for (size_t j = 0; j < n; j++)
        if (j != self) {
            c[m].v = row[j];
            c[m].j = j;
            m++;
        }
    sc_pu_top_k(c, m, k);
    qsort(c, k, sizeof *c, sc_pu_cand_by_index);
}

/* ## Degenerate inputs */

/* 1 when every row of x equals row 0 bit for bit (a constant
 * representation: every neighbour ties with every other). */
static inline int sc_pu_rows_identical(const sc_mat *x)
{
    size_t same = 1;
    while (same < x->rows && memcmp(x->data, x->data + same * x->ld,
                                    x->cols * sizeof *x->data) == 0)
        same++;
    return same == x->rows;
}

/* The input checks of a k-nearest-neighbour metric, in this order:
 *   k >= n: SC_EDOM "k = <k> neighbours need at least k + 1 = <k+1>
 *     stimuli, got <n>; lower k";
 *   all rows bit-identical (sc_pu_rows_identical): SC_EDOM "all <n> rows
 *     are identical: <why>; check the features", why saying what is
 *     undefined then.
 * SC_OK otherwise. */
static inline int sc_pu_check_neighbours(const sc_host *host, sc_ctx *ctx,
                                         const sc_mat *x, size_t k,
                                         const char *why)
{
    size_t n = x->rows;
    if (k >= n)
        return host->fail(ctx, SC_EDOM,
                          "k = %zu neighbours need at least k + 1 = %zu "
                          "stimuli, got %zu; lower k",
                          k, k + 1, n);
    if (sc_pu_rows_identical(x))
        return host->fail(ctx, SC_EDOM,
                          "all %zu rows are identical: %s; check the features",
                          n, why);
    return SC_OK;
}

#ifdef __cplusplus
}
#endif
#endif
