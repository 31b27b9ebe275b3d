/* core/blas: the checked CBLAS/GSL wrappers behind the host table.
 * Expected values are closed forms computed by hand in the comments. */
#include <math.h>

#include "../test.h"
#include "blas.h"
#include "init.h"

SC_TEST(gemm_small_closed_form)
{
    /* A = [1 2 3; 4 5 6], B = A^T -> A A^T = [14 32; 32 77]. */
    double a[] = {1, 2, 3, 4, 5, 6}, c[4] = {0};
    sc_err err;
    int rc = sc_blas_gemm(0, 1, 2, 2, 3, 1.0, a, 3, a, 3, 0.0, c, 2, &err);
    expect_int(rc, SC_OK, "gemm");
    expect_abs(c[0], 14, 0, "c00");
    expect_abs(c[1], 32, 0, "c01");
    expect_abs(c[3], 77, 0, "c11");
}

SC_TEST(syrk_writes_both_triangles)
{
    double a[] = {1, 2, 3, 4, 5, 6}, c[4] = {-1, -1, -1, -1};
    sc_err err;
    int rc = sc_blas_syrk(0, 2, 3, 1.0, a, 3, 0.0, c, 2, &err);
    expect_int(rc, SC_OK, "syrk");
    expect_abs(c[1], 32, 0, "upper");
    expect_abs(c[2], 32, 0, "lower mirrored");
    /* trans: A is 3 x 2 here ([1 2; 3 4; 5 6]), A^T A = [35 44; 44 56]. */
    rc = sc_blas_syrk(1, 2, 3, 1.0, a, 2, 0.0, c, 2, &err);
    expect_abs(c[0], 35, 0, "A^T A 00");
    expect_abs(c[2], 44, 0, "A^T A 10");
    expect_abs(c[3], 56, 0, "A^T A 11");
}

SC_TEST(bad_leading_dimension_is_an_error)
{
    double a[6] = {0}, c[4] = {0};
    sc_err err;
    int rc = sc_blas_gemm(0, 0, 2, 2, 3, 1.0, a, 2, a, 2, 0.0, c, 2, &err);
    expect_int(rc, SC_EBLAS, "lda < k rejected");
    expect_str(err.msg, "gemm: leading dimension of A is 2, need >= 3",
               "message");
    rc = sc_blas_gemm(0, 0, (size_t)1 << 33, 1, 1, 1.0, a, 1, a, 1, 0.0, c,
                      1, &err);
    expect_int(rc, SC_EBLAS, "dimension beyond blasint");
}

SC_TEST(dot_matches_sum)
{
    double x[5] = {2.385, -1.5, 0.25, 3.0, -0.0117};
    double y[5] = {1.0, 2.0, -4.0, 0.5, 100.0};
    /* 2.385 - 3 - 1 + 1.5 - 1.17 = -1.285 */
    expect_rel(sc_blas_dot(5, x, y), -1.285, 1e-14, "dot");
}

SC_TEST(svd_of_known_matrix)
{
    /* A = [3 0; 4 5]: A^T A = [25 20; 20 25], eigenvalues 45 and 5, so the
     * singular values are sqrt(45) and sqrt(5). */
    double a[] = {3, 0, 4, 5}, s[2], vt[4];
    sc_err err;
    int rc = sc_blas_svd(2, 2, a, 2, s, vt, &err);
    expect_int(rc, SC_OK, "svd");
    expect_rel(s[0], sqrt(45.0), 1e-14, "sigma1");
    expect_rel(s[1], sqrt(5.0), 1e-14, "sigma2");
    /* U diag(s) V^T reproduces A. */
    double u00 = a[0], u01 = a[1], u10 = a[2], u11 = a[3];
    double r10 = u10 * s[0] * vt[0] + u11 * s[1] * vt[2];
    double r11 = u10 * s[0] * vt[1] + u11 * s[1] * vt[3];
    double r00 = u00 * s[0] * vt[0] + u01 * s[1] * vt[2];
    expect_abs(r00, 3, 1e-13, "reconstruct a00");
    expect_abs(r10, 4, 1e-13, "reconstruct a10");
    expect_abs(r11, 5, 1e-13, "reconstruct a11");
    double w[2];
    rc = sc_blas_svd(1, 2, a, 2, w, NULL, &err);
    expect_int(rc, SC_EINVAL, "rows < cols rejected");
}

SC_TEST(eigh_of_known_matrix)
{
    /* [2 1; 1 2] has eigenvalues 3 and 1 with eigenvectors (1,1)/sqrt2 and
     * (1,-1)/sqrt2. */
    double a[] = {2, 1, 1, 2}, w[2], v[4];
    sc_err err;
    int rc = sc_blas_eigh(2, a, 2, w, v, &err);
    expect_int(rc, SC_OK, "eigh");
    expect_rel(w[0], 3, 1e-14, "largest first");
    expect_rel(w[1], 1, 1e-14, "smallest last");
    expect_rel(fabs(v[0]), 1 / sqrt(2.0), 1e-13, "eigenvector column 0");
    expect_rel(fabs(v[2]), 1 / sqrt(2.0), 1e-13, "eigenvector column 0 row 1");
    double b[] = {2, 1, 1, 2};
    rc = sc_blas_eigh(2, b, 2, w, NULL, &err);
    expect_rel(w[0], 3, 1e-14, "values only: sorted decreasing");
}

int main(void)
{
    sc_init();
    return sc_test_run();
}
