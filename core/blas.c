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

static int check_ld(const char *what, const char *name, size_t ld,
                    size_t cols, sc_err *err)
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

/* SYRK fills one triangle; mirror it so callers may read either. */
static void mirror_upper(size_t n, double *c, size_t ldc)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            c[j * ldc + i] = c[i * ldc + j];
}

int sc_blas_syrk(int trans, size_t n, size_t k, double alpha,
                 const double *a, size_t lda, double beta, double *c,
                 size_t ldc, sc_err *err)
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
    mirror_upper(n, c, ldc);
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
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            c[j * ldc + i] = c[i * ldc + j];
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

void sc_blas_set_threads(int n)
{
    if (n > 0)
        openblas_set_num_threads(n);
}

int sc_blas_get_threads(void)
{
    return openblas_get_num_threads();
}

const char *sc_blas_config(void)
{
    return openblas_get_config();
}
