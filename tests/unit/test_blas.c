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

/* The mirror is tiled (64 x 64 in core/num/blas.c): check sizes that end
 * mid-tile, a padded ldc, and that the padding is left alone. Expected
 * entries are the defining sums sum_k a_ik a_jk, evaluated directly. */
#define MIRROR_N 150
#define MIRROR_K 3
#define MIRROR_LD 153
SC_TEST(syrk_mirror_across_tiles)
{
    static double a[MIRROR_N * MIRROR_K], c[MIRROR_N * MIRROR_LD];
    static float af[MIRROR_N * MIRROR_K], cf[MIRROR_N * MIRROR_LD];
    for (size_t i = 0; i < MIRROR_N * MIRROR_K; i++) {
        a[i] = sin(2.385 * (double)(i + 1)); /* high entropy, |a| <= 1 */
        af[i] = (float)a[i];
    }
    for (size_t i = 0; i < MIRROR_N * MIRROR_LD; i++) {
        c[i] = -7.0;
        cf[i] = -7.0f;
    }
    sc_err err;
    int rc = sc_blas_syrk(0, MIRROR_N, MIRROR_K, 1.0, a, MIRROR_K, 0.0, c,
                          MIRROR_LD, &err);
    expect_int(rc, SC_OK, "syrk n=150 ldc=153");
    rc = sc_blas_ssyrk(0, MIRROR_N, MIRROR_K, 1.0f, af, MIRROR_K, 0.0f, cf,
                       MIRROR_LD, &err);
    expect_int(rc, SC_OK, "ssyrk n=150 ldc=153");
    double worst = 0.0, worstf = 0.0;
    int pad_ok = 1;
    for (size_t i = 0; i < MIRROR_N; i++) {
        for (size_t j = 0; j < MIRROR_N; j++) {
            double want = 0.0;
            for (size_t k = 0; k < MIRROR_K; k++)
                want += a[i * MIRROR_K + k] * a[j * MIRROR_K + k];
            double e = fabs(c[i * MIRROR_LD + j] - want);
            double ef = fabs((double)cf[i * MIRROR_LD + j] - want);
            worst = e > worst ? e : worst;
            worstf = ef > worstf ? ef : worstf;
        }
        for (size_t j = MIRROR_N; j < MIRROR_LD; j++)
            pad_ok &= c[i * MIRROR_LD + j] == -7.0 &&
                      cf[i * MIRROR_LD + j] == -7.0f;
    }
    /* |a| <= 1, k = 3: double sums are exact to ~3 eps; float to ~1e-6. */
    expect_abs(worst, 0.0, 1e-15, "every entry of both triangles (double)");
    expect_abs(worstf, 0.0, 1e-6, "every entry of both triangles (float)");
    expect_int(pad_ok, 1, "columns beyond n untouched");
}

/* The row-range mirror (the Gram's panels each mirror their own rows):
 * ranges that end mid-tile, applied one by one, write only their own
 * columns below the diagonal. Upper entry (i, j) holds 1000 i + j (exact in
 * float too), so the expected lower entry (j, i) is that number. */
static int mirrored_upto(const double *c, const float *cf, size_t r1)
{
    int ok = 1;
    for (size_t i = 0; i < MIRROR_N; i++)
        for (size_t j = 0; j < MIRROR_LD; j++) {
            double up = 1000.0 * (double)i + (double)j;
            double want = j >= MIRROR_N ? -7.0
                          : j >= i      ? up
                          : j < r1      ? 1000.0 * (double)j + (double)i
                                        : -7.0;
            ok &= c[i * MIRROR_LD + j] == want &&
                  (double)cf[i * MIRROR_LD + j] == want;
        }
    return ok;
}

SC_TEST(mirror_row_ranges)
{
    static double c[MIRROR_N * MIRROR_LD];
    static float cf[MIRROR_N * MIRROR_LD];
    for (size_t i = 0; i < MIRROR_N; i++)
        for (size_t j = 0; j < MIRROR_LD; j++) {
            double v =
                j >= i && j < MIRROR_N ? 1000.0 * (double)i + (double)j : -7.0;
            c[i * MIRROR_LD + j] = v;
            cf[i * MIRROR_LD + j] = (float)v;
        }
    const size_t cut[] = {0, 64, 130, MIRROR_N};
    int ok[3];
    for (size_t r = 0; r < 3; r++) {
        sc_blas_mirror_upper(cut[r], cut[r + 1], MIRROR_N, c, MIRROR_LD);
        sc_blas_smirror_upper(cut[r], cut[r + 1], MIRROR_N, cf, MIRROR_LD);
        ok[r] = mirrored_upto(c, cf, cut[r + 1]);
    }
    expect_int(ok[0], 1, "rows [0, 64): columns 0..63 mirrored, rest kept");
    expect_int(ok[1], 1, "rows [64, 130): columns up to 129 mirrored");
    expect_int(ok[2], 1, "rows [130, 150): whole lower triangle, pad kept");
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
