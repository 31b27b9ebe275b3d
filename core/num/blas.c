/* CBLAS and GSL linear-algebra wrappers (see blas.h).
 *
 * Why the checks: CBLAS takes blasint (32-bit on Debian's OpenBLAS) while we
 * count in size_t; a silent narrowing would compute on the wrong shape. And
 * a non-conformant leading dimension makes OpenBLAS print "parameter N had
 * an illegal value" and return without computing, leaving garbage in C. */
#include "blas.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "mem.h"

static int fits(size_t v)
{
    return v <= (size_t)INT_MAX;
}

static int check_dims(const char *what, size_t a, size_t b, size_t c,
                      sc_err *err)
{
    if (!fits(a) || !fits(b) || !fits(c))
        return sc_err_set(err, SC_EBLAS,
                          "%s: dimension %zu x %zu x %zu exceeds the BLAS "
                          "integer range (%d); split the problem",
                          what, a, b, c, INT_MAX);
    return SC_OK;
}

static int check_ld(const char *what, const char *name, size_t ld, size_t cols,
                    sc_err *err)
{
    if (ld < cols || ld == 0 || !fits(ld))
        return sc_err_set(err, SC_EBLAS,
                          "%s: leading dimension of %s is %zu, need >= %zu",
                          what, name, ld, cols ? cols : 1);
    return SC_OK;
}

int sc_blas_gemm(int trans_a, int trans_b, size_t m, size_t n, size_t k,
                 double alpha, const double *a, size_t lda, const double *b,
                 size_t ldb, double beta, double *c, size_t ldc, sc_err *err)
{
    int rc = check_dims("gemm", m, n, k, err);
    if (rc == SC_OK)
        rc = check_ld("gemm", "A", lda, trans_a ? m : k, err);
    if (rc == SC_OK)
        rc = check_ld("gemm", "B", ldb, trans_b ? k : n, err);
    if (rc == SC_OK)
        rc = check_ld("gemm", "C", ldc, n, err);
    if (rc != SC_OK)
        return rc;
    if (m == 0 || n == 0)
        return SC_OK;
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
                (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c,
                (blasint)ldc);
    return SC_OK;
}

int sc_blas_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  float alpha, const float *a, size_t lda, const float *b,
                  size_t ldb, float beta, float *c, size_t ldc, sc_err *err)
{
    int rc = check_dims("sgemm", m, n, k, err);
    if (rc == SC_OK)
        rc = check_ld("sgemm", "A", lda, trans_a ? m : k, err);
    if (rc == SC_OK)
        rc = check_ld("sgemm", "B", ldb, trans_b ? k : n, err);
    if (rc == SC_OK)
        rc = check_ld("sgemm", "C", ldc, n, err);
    if (rc != SC_OK)
        return rc;
    if (m == 0 || n == 0)
        return SC_OK;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
                (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c,
                (blasint)ldc);
    return SC_OK;
}

/* SYRK fills one triangle; mirror it so callers may read either.
 *
 * Blocked transpose: a plain row-by-row loop reads the upper triangle along
 * rows but writes the lower one down columns, one cache line per element,
 * so at n = 5000 it touches every line of the 200 MB matrix n times over.
 * Copying tile by tile (MIRROR_TILE x MIRROR_TILE, 32 KB of doubles per
 * tile: the source and destination tiles stay in L2 together) writes each
 * destination line while it is still cached. Measured on the n = 5000,
 * k = 1 micro-benchmark (tests/bench/RESULTS.md): see there. Hand-written:
 * neither CBLAS nor GSL offers an in-place triangle mirror. */
#define MIRROR_TILE 64

#define DEFINE_MIRROR(NAME, T)                                                 \
    void NAME(size_t r0, size_t r1, size_t n, T *c, size_t ldc)                \
    {                                                                          \
        for (size_t ib = r0; ib < r1; ib += MIRROR_TILE) {                     \
            size_t ie = r1 - ib < MIRROR_TILE ? r1 : ib + MIRROR_TILE;         \
            for (size_t jb = ib; jb < n; jb += MIRROR_TILE) {                  \
                size_t je = n - jb < MIRROR_TILE ? n : jb + MIRROR_TILE;       \
                for (size_t i = ib; i < ie; i++) {                             \
                    const T *src = c + i * ldc;                                \
                    for (size_t j = (jb > i ? jb : i + 1); j < je; j++)        \
                        c[j * ldc + i] = src[j];                               \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }

DEFINE_MIRROR(sc_blas_mirror_upper, double)
DEFINE_MIRROR(sc_blas_smirror_upper, float)

int sc_blas_syrk(int trans, size_t n, size_t k, double alpha, const double *a,
                 size_t lda, double beta, double *c, size_t ldc, sc_err *err)
{
    int rc = check_dims("syrk", n, k, 1, err);
    if (rc == SC_OK)
        rc = check_ld("syrk", "A", lda, trans ? n : k, err);
    if (rc == SC_OK)
        rc = check_ld("syrk", "C", ldc, n, err);
    if (rc != SC_OK)
        return rc;
    if (n == 0)
        return SC_OK;
    cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans,
                (blasint)n, (blasint)k, alpha, a, (blasint)lda, beta, c,
                (blasint)ldc);
    sc_blas_mirror_upper(0, n, n, c, ldc);
    return SC_OK;
}

int sc_blas_ssyrk(int trans, size_t n, size_t k, float alpha, const float *a,
                  size_t lda, float beta, float *c, size_t ldc, sc_err *err)
{
    int rc = check_dims("ssyrk", n, k, 1, err);
    if (rc == SC_OK)
        rc = check_ld("ssyrk", "A", lda, trans ? n : k, err);
    if (rc == SC_OK)
        rc = check_ld("ssyrk", "C", ldc, n, err);
    if (rc != SC_OK)
        return rc;
    if (n == 0)
        return SC_OK;
    cblas_ssyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans,
                (blasint)n, (blasint)k, alpha, a, (blasint)lda, beta, c,
                (blasint)ldc);
    sc_blas_smirror_upper(0, n, n, c, ldc);
    return SC_OK;
}

double sc_blas_dot(size_t n, const double *x, const double *y)
{
    /* Blocks of INT_MAX/2 keep each call inside blasint. */
    const size_t block = (size_t)INT_MAX / 2;
    double sum = 0.0;
    for (size_t off = 0; off < n; off += block) {
        size_t len = n - off < block ? n - off : block;
        sum += cblas_ddot((blasint)len, x + off, 1, y + off, 1);
    }
    return sum;
}

/* LAPACK's divide-and-conquer SVD, which OpenBLAS ships (Debian has no
 * separate header for it in libopenblas-dev, so the Fortran prototype is
 * declared here; the trailing size_t is gfortran's hidden length of jobz).
 * Chosen over GSL's SVDs: GSL 2.7's one-sided Jacobi returned U with
 * orthogonality errors of 0.17 on a 300 x 128 input (Procrustes and SVCCA
 * need an orthonormal U), and Golub-Reinsch is far slower at n = 10,000. */
void dgesdd_(const char *jobz, const blasint *m, const blasint *n, double *a,
             const blasint *lda, double *s, double *u, const blasint *ldu,
             double *vt, const blasint *ldvt, double *work,
             const blasint *lwork, blasint *iwork, blasint *info,
             size_t jobz_len);

int sc_blas_svd(size_t rows, size_t cols, double *a, size_t lda, double *s,
                double *vt, sc_err *err)
{
    if (rows < cols)
        return sc_err_set(err, SC_EINVAL,
                          "svd: need rows >= cols, got %zu x %zu; transpose "
                          "the input",
                          rows, cols);
    if (lda < cols)
        return sc_err_set(err, SC_EBLAS, "svd: lda %zu < cols %zu", lda, cols);
    int rc = check_dims("svd", rows, cols, lda, err);
    if (rc != SC_OK || cols == 0)
        return rc;
    /* Row-major A (rows x cols) is column-major A^T (cols x rows). LAPACK
     * factors A^T = V S U^T: its "U" (cols x cols, column-major) is our V,
     * i.e. V^T read row-major; its "VT" (cols x rows, column-major) is U^T,
     * i.e. U read row-major with leading dimension cols. */
    blasint m = (blasint)cols, n = (blasint)rows, ld = (blasint)lda;
    blasint ldu = m, ldvt = m, info = 0, lwork = -1;
    double *u = sc_aligned_alloc(cols * cols, sizeof(double));
    double *ut = sc_aligned_alloc(rows * cols, sizeof(double));
    blasint *iwork = sc_aligned_alloc(8 * cols, sizeof(blasint));
    double *work = NULL, query = 0.0;
    if (u == NULL || ut == NULL || iwork == NULL) {
        rc = sc_err_set(err, SC_ENOMEM, "svd: out of memory (%zu x %zu)", rows,
                        cols);
        goto done;
    }
    dgesdd_("S", &m, &n, a, &ld, s, u, &ldu, ut, &ldvt, &query, &lwork, iwork,
            &info, 1);
    lwork = (blasint)query;
    work =
        info == 0 ? sc_aligned_alloc((size_t)lwork + 1, sizeof(double)) : NULL;
    if (info == 0 && work == NULL) {
        rc = sc_err_set(err, SC_ENOMEM, "svd: out of memory (workspace)");
        goto done;
    }
    if (info == 0)
        dgesdd_("S", &m, &n, a, &ld, s, u, &ldu, ut, &ldvt, work, &lwork, iwork,
                &info, 1);
    if (info != 0) {
        rc = sc_err_set(err, info < 0 ? SC_EBLAS : SC_ENUMERIC,
                        "svd: LAPACK dgesdd %s (info %d)",
                        info < 0 ? "rejected an argument" : "did not converge",
                        (int)info);
        goto done;
    }
    for (size_t i = 0; i < rows; i++)
        memcpy(a + i * lda, ut + i * cols, cols * sizeof(double));
    if (vt != NULL)
        memcpy(vt, u, cols * cols * sizeof(double));
done:
    sc_aligned_free(u);
    sc_aligned_free(ut);
    sc_aligned_free(iwork);
    sc_aligned_free(work);
    return rc;
}

void sc_blas_set_threads(int n)
{
    if (n > 0)
        openblas_set_num_threads(n);
}

int sc_blas_get_threads(void)
{
    return openblas_get_num_threads();
}

/* One worker: the BLAS setting is not touched at all (0 = nothing to
 * restore, as sc_blas_set_threads(0) leaves it). */
static int one_per_worker_enter(size_t workers)
{
    if (workers <= 1)
        return 0;
    int saved = sc_blas_get_threads();
    sc_blas_set_threads(1);
    return saved;
}

static void one_per_worker_leave(int saved)
{
    sc_blas_set_threads(saved);
}

const sc_pool_policy sc_blas_one_per_worker = {one_per_worker_enter,
                                               one_per_worker_leave};

/* Always one BLAS thread, whatever the workers (the caller's setting back
 * afterwards). Pools of this policy may run inside the items of another
 * pool, which has already set one thread: then nothing is written (0 =
 * nothing to restore), so concurrent pools never touch the setting. */
static int serial_enter(size_t workers)
{
    (void)workers;
    int saved = sc_blas_get_threads();
    if (saved == 1)
        return 0;
    sc_blas_set_threads(1);
    return saved;
}

const sc_pool_policy sc_blas_serial = {serial_enter, one_per_worker_leave};

const char *sc_blas_config(void)
{
    return openblas_get_config();
}
