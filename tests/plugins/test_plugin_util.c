/* Unit tests of include/simcon/plugin_util.h, the helpers plugins share.
 *
 * The helpers are tested on their own: this program does not link the
 * simcon core. It hands them a small host table of its own (below): plain
 * loops for dot and gemm, GSL's Golub-Reinsch SVD (gsl_linalg_SV_decomp)
 * for svd, and a counting allocator that can fail
 * the Nth allocation, so every cleanup path is checked to leave nothing
 * allocated.
 *
 * Where each expected value comes from (none from simcon's output):
 *   zero variance   the rule's closed form, var2 <= (16 n eps)^2 scale2,
 *                   probed exactly at the bound and one ulp above it;
 *   centring        hand-computed means of small integer matrices (exact
 *                   in double), e.g. columns (1,3,5) and (2,4,9): means 3
 *                   and 5, sum of centred squares 34, raw squares 136;
 *                   and a column near 1e8 / 3 against its exact rational
 *                   centring (Python fractions, rounded once);
 *   left_svd        closed-form SVDs: diag-like matrices whose singular
 *                   values and vectors are read off, and [[1,0,1],[0,1,1]]
 *                   with X X^T = [[2,1],[1,2]], eigenvalues 3 and 1, so
 *                   s = (sqrt 3, 1), U = [[1,1],[1,-1]]/sqrt 2 up to signs;
 *                   for a random matrix, the identity U diag(s^2) U^T =
 *                   X X^T with X X^T formed here by plain loops;
 *   rank            numpy.linalg.matrix_rank's rule s_i > s_1 max(n,d) eps
 *                   on hand-picked singular values;
 *   cross_sv        principal angles: e1,e2 against (cos t, 0, sin t) in
 *                   R^3 has the one cosine |cos t|;
 *   top-k           a hand-worked example with ties, and random rows with
 *                   many ties against a brute-force full sort (insertion
 *                   sort by value descending, index ascending) written
 *                   here independently of the heap. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simcon/plugin_util.h"
#include "test.h"

/* ## A host table of our own */

struct sc_ctx {
    long live;       /* blocks allocated and not yet freed      */
    long fail_at;    /* fail the allocation with this count (1-based; 0:
                        never)                                  */
    long count;      /* allocations so far                      */
    int last_status; /* status passed to fail(), or 0           */
    char msg[512];   /* message passed to fail()                */
};

static int t_fail(sc_ctx *ctx, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int t_fail(sc_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
    ctx->last_status = status;
    return status;
}

static void t_log(sc_ctx *ctx, int level, const char *fmt, ...)
{
    (void)ctx;
    (void)level;
    (void)fmt;
}

static void *t_alloc(sc_ctx *ctx, size_t bytes)
{
    if (ctx->fail_at > 0 && ++ctx->count == ctx->fail_at) {
        ctx->last_status = SC_ENOMEM;
        return NULL;
    }
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (p != NULL)
        ctx->live++;
    return p;
}

static void t_free(sc_ctx *ctx, void *p)
{
    if (p == NULL)
        return;
    ctx->live--;
    free(p);
}

static int t_gemm(sc_ctx *ctx, int ta, int tb, size_t m, size_t n, size_t k,
                  double alpha, const double *a, size_t lda, const double *b,
                  size_t ldb, double beta, double *c, size_t ldc)
{
    (void)ctx;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++) {
                double x = ta ? a[p * lda + i] : a[i * lda + p];
                double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                s += x * y;
            }
            c[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
        }
    return SC_OK;
}

static double t_dot(size_t n, const double *x, const double *y)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* host->svd semantics (plugin.h): A (rows x cols, rows >= cols) becomes
 * U, s decreasing, vt = V^T. */
static int t_svd(sc_ctx *ctx, size_t rows, size_t cols, double *a, size_t lda,
                 double *s, double *vt)
{
    (void)ctx;
    gsl_matrix_view av = gsl_matrix_view_array_with_tda(a, rows, cols, lda);
    gsl_matrix *v = gsl_matrix_alloc(cols, cols);
    gsl_vector *sv = gsl_vector_alloc(cols);
    gsl_vector *work = gsl_vector_alloc(cols);
    int rc = gsl_linalg_SV_decomp(&av.matrix, v, sv, work);
    for (size_t i = 0; i < cols; i++) {
        s[i] = gsl_vector_get(sv, i);
        for (size_t j = 0; vt != NULL && j < cols; j++)
            vt[i * cols + j] = gsl_matrix_get(v, j, i);
    }
    gsl_matrix_free(v);
    gsl_vector_free(sv);
    gsl_vector_free(work);
    return rc == GSL_SUCCESS ? SC_OK : SC_ENUMERIC;
}

static sc_host host_table(void)
{
    sc_host h;
    memset(&h, 0, sizeof h);
    h.abi_version = SC_ABI_VERSION;
    h.api_rev = SC_HOST_API_REV;
    h.size = sizeof h;
    h.fail = t_fail;
    h.log = t_log;
    h.alloc = t_alloc;
    h.free = t_free;
    h.gemm = t_gemm;
    h.dot = t_dot;
    h.svd = t_svd;
    return h;
}

static sc_ctx fresh_ctx(long fail_at)
{
    sc_ctx c;
    memset(&c, 0, sizeof c);
    c.fail_at = fail_at;
    return c;
}

/* Seeded uniform in [-1, 1) (a 64-bit LCG, Knuth MMIX constants). */
static double uniform(unsigned long long *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 4503599627370496.0 - 1.0;
}

/* ## Zero variance */

SC_TEST(zero_variance_rule)
{
    size_t n = 4;
    double tol = 16.0 * 4.0 * DBL_EPSILON, bound = tol * tol * 2.0;
    expect_true(SC_PU_ZERO_ULPS == 16.0, "one constant, 16 ulps");
    expect_int(sc_pu_zero_variance(0.0, 2.0, n), 1, "0 is zero");
    expect_int(sc_pu_zero_variance(bound, 2.0, n), 1, "at the bound: zero");
    expect_int(sc_pu_zero_variance(nextafter(bound, 1.0), 2.0, n), 0,
               "one ulp above the bound: not zero");
    expect_int(sc_pu_zero_variance(1.0, 1.0, n), 0, "unit variance");
    expect_int(sc_pu_zero_variance((double)NAN, 1.0, n), 1,
               "NaN counts as zero");
}

/* ## Centring */

SC_TEST(centre_all_rows_and_a_subset)
{
    sc_host h = host_table();
    const double data[] = {1, 2, 3, 4, 5, 9};
    sc_mat x = {3, 2, 2, data};
    double xc[6], mean[4], var2, scale2;
    sc_pu_centre(&h, &x, NULL, 3, xc, mean, &var2, &scale2);
    const double want[] = {-2, -3, 0, -1, 2, 4};
    for (int i = 0; i < 6; i++)
        expect_abs(xc[i], want[i], 0.0, "centred entry %d", i);
    expect_abs(mean[0], 3.0, 0.0, "mean of column 0");
    expect_abs(mean[1], 5.0, 0.0, "mean of column 1");
    expect_abs(var2, 34.0, 0.0, "sum of centred squares");
    expect_abs(scale2, 136.0, 0.0, "sum of raw squares");

    /* Rows 2, 0, 2 (a bootstrap-style subset with a repeat): rows (5,9),
     * (1,2), (5,9); means 11/3 and 20/3; centred (4/3, 7/3), (-8/3,
     * -14/3), (4/3, 7/3); sum of squares 390/9; raw squares 217. */
    const size_t idx[] = {2, 0, 2};
    sc_pu_centre(&h, &x, idx, 3, xc, mean, &var2, &scale2);
    const double wsub[] = {4.0 / 3,   7.0 / 3, -8.0 / 3,
                           -14.0 / 3, 4.0 / 3, 7.0 / 3};
    for (int i = 0; i < 6; i++)
        expect_abs(xc[i], wsub[i], 4 * DBL_EPSILON * 5, "subset entry %d", i);
    expect_rel(var2, 390.0 / 9.0, 1e-15, "subset sum of centred squares");
    expect_abs(scale2, 217.0, 0.0, "subset sum of raw squares");

    /* ld > cols: the third column of each stored row is not read. */
    const double padded[] = {1, 2, 99, 3, 4, 99, 5, 9, 99};
    sc_mat xp = {3, 2, 3, padded};
    sc_pu_centre(&h, &xp, NULL, 3, xc, mean, &var2, &scale2);
    expect_abs(var2, 34.0, 0.0, "ld 3 view: sum of centred squares");
}

SC_TEST(centre_cancels_a_large_offset)
{
    /* Columns (1,3,5) and (2,4,9) plus 1e8 / 3 (not an integer, so the
     * stored values are rounded, each by at most half an ulp of 3.3e7,
     * 3.7e-9): the centred values are those of the unshifted matrix up to
     * that rounding, well within 1e8 eps = 2.2e-8. */
    sc_host h = host_table();
    const double base[] = {1, 2, 3, 4, 5, 9}, want[] = {-2, -3, 0, -1, 2, 4};
    double data[6], xc[6], mean[4], var2, scale2;
    for (int i = 0; i < 6; i++)
        data[i] = base[i] + 1e8 / 3.0;
    sc_mat x = {3, 2, 2, data};
    sc_pu_centre(&h, &x, NULL, 3, xc, mean, &var2, &scale2);
    for (int i = 0; i < 6; i++)
        expect_abs(xc[i], want[i], 1e8 * DBL_EPSILON, "offset entry %d", i);
    expect_int(sc_pu_zero_variance(var2, scale2, 3), 0,
               "offset data still has variance");
}

SC_TEST(centre_second_pass_is_exact)
{
    /* Four values near 1e8 / 3 whose one-pass mean is off by an ulp: the
     * centred column then misses the exact one by 3.7e-9. Expected: the
     * exact rational centring of these doubles, x_i - sum(x) / 4 in
     * Python's fractions module, rounded once to double (found by a search
     * over random columns for one where the two differ). */
    const double x[] = {0x1.fca0593bbbbbbp+24, 0x1.fca056eeeeeefp+24,
                        0x1.fca0578888888p+24, 0x1.fca058a222222p+24};
    const double want[] = {0x1.2666666p+0, -0x1.2666666p+0, -0x1.199999ap-1,
                           0x1.199999ap-1};
    sc_host h = host_table();
    sc_mat m = {4, 1, 1, x};
    double xc[4], mean[2], var2, scale2;
    sc_pu_centre(&h, &m, NULL, 4, xc, mean, &var2, &scale2);
    for (int i = 0; i < 4; i++)
        expect_abs(xc[i], want[i], 0.0, "exactly centred entry %d", i);
}

SC_TEST(centre_checked_messages)
{
    sc_host h = host_table();
    const double same[] = {7, 1, 7, 1, 7, 1, 7, 1};
    sc_mat x = {4, 2, 2, same};
    double xc[8], var2 = -1.0;
    sc_ctx c = fresh_ctx(0);
    int rc = sc_pu_centre_checked(&h, &c, &x, xc, &var2, "WHY");
    expect_int(rc, SC_EDOM, "equal rows: SC_EDOM");
    expect_str(c.msg,
               "representation has zero variance over its 4 rows (all rows "
               "equal): WHY; drop it or check the features",
               "equal rows: the message");
    expect_abs(var2, 0.0, 0.0, "equal rows: var2 reported");
    expect_int(c.live, 0, "equal rows: nothing left allocated");

    double bad[] = {1, 2, 3, 4, 5, 6, 7, 8};
    bad[5] = (double)NAN;
    sc_mat xb = {4, 2, 2, bad};
    c = fresh_ctx(0);
    rc = sc_pu_centre_checked(&h, &c, &xb, xc, NULL, "WHY");
    expect_int(rc, SC_ENUMERIC, "NaN feature: SC_ENUMERIC");
    expect_str(c.msg,
               "the representation has NaN or Inf features (or overflows "
               "when squared); fix the input",
               "NaN feature: the message");

    c = fresh_ctx(1);
    expect_int(sc_pu_centre_checked(&h, &c, &xb, xc, NULL, "WHY"), SC_ENOMEM,
               "scratch allocation fails: SC_ENOMEM");
    expect_int(c.live, 0, "scratch allocation fails: nothing allocated");
}

/* ## Singular bases */

/* |a| == 1 or 0 within 1e-14: the closed-form U up to column signs. */
static void expect_abs_entries(const double *u, const double *want_abs,
                               size_t len, const char *what)
{
    for (size_t i = 0; i < len; i++)
        expect_abs(fabs(u[i]), want_abs[i], 1e-14, "%s: |U| entry %zu", what,
                   i);
}

SC_TEST(left_svd_closed_forms)
{
    sc_host h = host_table();
    sc_ctx c = fresh_ctx(0);
    /* Tall: [[3,0],[0,4],[0,0]] has s = (4, 3), U = (e2, e1). */
    double *a = t_alloc(&c, 6 * sizeof *a), *u = NULL, sv[3];
    const double tall[] = {3, 0, 0, 4, 0, 0};
    memcpy(a, tall, sizeof tall);
    expect_int(sc_pu_left_svd(&h, &c, a, 3, 2, &u, sv), SC_OK, "tall: ok");
    expect_rel(sv[0], 4.0, 1e-15, "tall: s1");
    expect_rel(sv[1], 3.0, 1e-15, "tall: s2");
    const double tall_u[] = {0, 1, 1, 0, 0, 0};
    expect_abs_entries(u, tall_u, 6, "tall");
    t_free(&c, u);

    /* Wide: [[1,1,0,0],[0,0,2,2]]: X X^T = diag(2, 8), s = (2 sqrt 2,
     * sqrt 2), U = [[0,1],[1,0]] up to signs. */
    a = t_alloc(&c, 8 * sizeof *a);
    const double wide[] = {1, 1, 0, 0, 0, 0, 2, 2};
    memcpy(a, wide, sizeof wide);
    expect_int(sc_pu_left_svd(&h, &c, a, 2, 4, &u, sv), SC_OK, "wide: ok");
    expect_rel(sv[0], 2.0 * sqrt(2.0), 1e-15, "wide: s1");
    expect_rel(sv[1], sqrt(2.0), 1e-15, "wide: s2");
    const double wide_u[] = {0, 1, 1, 0};
    expect_abs_entries(u, wide_u, 4, "wide");
    t_free(&c, u);

    /* [[1,0,1],[0,1,1]]: X X^T = [[2,1],[1,2]], s = (sqrt 3, 1),
     * U = [[1,1],[1,-1]] / sqrt 2 up to column signs. */
    a = t_alloc(&c, 6 * sizeof *a);
    const double mix[] = {1, 0, 1, 0, 1, 1};
    memcpy(a, mix, sizeof mix);
    expect_int(sc_pu_left_svd(&h, &c, a, 2, 3, &u, sv), SC_OK, "mixed: ok");
    expect_rel(sv[0], sqrt(3.0), 1e-15, "mixed: s1");
    expect_rel(sv[1], 1.0, 1e-15, "mixed: s2");
    double r = 1.0 / sqrt(2.0);
    const double mix_u[] = {r, r, r, r};
    expect_abs_entries(u, mix_u, 4, "mixed");
    expect_true(u[0] * u[1] * u[2] * u[3] < 0.0,
                "mixed: second column is (1, -1) up to sign");
    t_free(&c, u);
    expect_int(c.live, 0, "closed forms: every block freed");
}

/* U diag(s^2) U^T == X X^T (formed here by plain loops), for tall and wide
 * random matrices; U^T U = I. */
static void check_gram_identity(size_t n, size_t d, unsigned long long seed)
{
    sc_host h = host_table();
    sc_ctx c = fresh_ctx(0);
    size_t m = n < d ? n : d;
    double *x = malloc(n * d * sizeof *x), *a = t_alloc(&c, n * d * sizeof *a);
    double *sv = malloc(m * sizeof *sv), *u = NULL;
    for (size_t i = 0; i < n * d; i++)
        x[i] = a[i] = uniform(&seed);
    expect_int(sc_pu_left_svd(&h, &c, a, n, d, &u, sv), SC_OK, "%zu x %zu: ok",
               n, d);
    double worst = 0.0, worst_orth = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double g = 0.0, f = 0.0;
            for (size_t p = 0; p < d; p++)
                g += x[i * d + p] * x[j * d + p];
            for (size_t q = 0; q < m; q++)
                f += u[i * m + q] * sv[q] * sv[q] * u[j * m + q];
            worst = fmax(worst, fabs(f - g));
        }
    for (size_t p = 0; p < m; p++)
        for (size_t q = 0; q < m; q++) {
            double e = 0.0;
            for (size_t i = 0; i < n; i++)
                e += u[i * m + p] * u[i * m + q];
            worst_orth = fmax(worst_orth, fabs(e - (p == q ? 1.0 : 0.0)));
        }
    expect_true(worst < 1e-12, "%zu x %zu: U s^2 U^T = X X^T (max err %g)", n,
                d, worst);
    expect_true(worst_orth < 1e-12, "%zu x %zu: U^T U = I (max err %g)", n, d,
                worst_orth);
    for (size_t q = 1; q < m; q++)
        expect_true(sv[q - 1] >= sv[q], "%zu x %zu: s decreasing at %zu", n, d,
                    q);
    t_free(&c, u);
    expect_int(c.live, 0, "%zu x %zu: every block freed", n, d);
    free(x);
    free(sv);
}

SC_TEST(left_svd_random_gram_identity)
{
    check_gram_identity(9, 4, 11);
    check_gram_identity(5, 12, 12);
    check_gram_identity(6, 6, 13);
}

SC_TEST(left_svd_failures_free_everything)
{
    sc_host h = host_table();
    /* Wide path: the input block is allocation 1 of the context; fail the
     * second (a^T) and the third (V^T). */
    for (long k = 2; k <= 3; k++) {
        sc_ctx c = fresh_ctx(k);
        double dummy, *a = t_alloc(&c, 8 * sizeof *a), *u = &dummy, sv[2];
        for (int i = 0; i < 8; i++)
            a[i] = i;
        int rc = sc_pu_left_svd(&h, &c, a, 2, 4, &u, sv);
        expect_int(rc, SC_ENOMEM, "allocation %ld fails: SC_ENOMEM", k);
        expect_true(u == NULL, "allocation %ld fails: *u is NULL", k);
        expect_int(c.live, 0, "allocation %ld fails: input freed too", k);
    }
}

SC_TEST(centred_basis)
{
    /* Rows (2,0), (-2,0), (0,1), (0,-1), each plus 5: centred, Xc^T Xc =
     * diag(8, 2), so s = (2 sqrt 2, sqrt 2) and U = (e1 - e2, e3 - e4)
     * / sqrt 2 up to signs. */
    sc_host h = host_table();
    const double data[] = {7, 5, 3, 5, 5, 6, 5, 4};
    sc_mat x = {4, 2, 2, data};
    sc_ctx c = fresh_ctx(0);
    double *u, *sv;
    expect_int(sc_pu_centred_basis(&h, &c, &x, "WHY", &u, &sv), SC_OK, "ok");
    expect_rel(sv[0], 2.0 * sqrt(2.0), 1e-15, "s1");
    expect_rel(sv[1], sqrt(2.0), 1e-15, "s2");
    double r = 1.0 / sqrt(2.0);
    const double want[] = {r, 0, r, 0, 0, r, 0, r};
    expect_abs_entries(u, want, 8, "centred basis");
    t_free(&c, u);
    t_free(&c, sv);
    expect_int(c.live, 0, "every block freed");

    const double same[] = {1, 2, 1, 2, 1, 2, 1, 2};
    sc_mat xs = {4, 2, 2, same};
    c = fresh_ctx(0);
    double dummy;
    u = sv = &dummy;
    expect_int(sc_pu_centred_basis(&h, &c, &xs, "WHY", &u, &sv), SC_EDOM,
               "equal rows: SC_EDOM");
    expect_true(u == NULL && sv == NULL, "equal rows: outputs NULL");
    expect_int(c.live, 0, "equal rows: nothing left allocated");
    for (long k = 1; k <= 3; k++) { /* sv, the centred copy, the scratch */
        c = fresh_ctx(k);
        int rc = sc_pu_centred_basis(&h, &c, &x, "WHY", &u, &sv);
        expect_int(rc, SC_ENOMEM, "allocation %ld fails: SC_ENOMEM", k);
        expect_int(c.live, 0, "allocation %ld fails: nothing allocated", k);
    }
}

SC_TEST(numerical_rank_rule)
{
    /* cut = s1 max(n, d) eps. */
    const double sv[] = {1.0, 1e-3, 1e-17};
    expect_int((long long)sc_pu_numerical_rank(sv, 3, 3, 5), 2,
               "1e-17 < 5 eps is cut");
    const double edge[] = {2.0, 2.0 * 4 * DBL_EPSILON};
    expect_int((long long)sc_pu_numerical_rank(edge, 2, 4, 2), 1,
               "exactly at the cut: cut");
    const double above[] = {2.0, nextafter(2.0 * 4 * DBL_EPSILON, 1.0)};
    expect_int((long long)sc_pu_numerical_rank(above, 2, 4, 2), 2,
               "one ulp above the cut: kept");
    const double zero[] = {0.0, 0.0};
    expect_int((long long)sc_pu_numerical_rank(zero, 2, 2, 2), 0,
               "all zero: rank 0");
    expect_int((long long)sc_pu_numerical_rank(NULL, 0, 0, 0), 0,
               "no values: rank 0");
}

SC_TEST(first_columns_copy)
{
    sc_host h = host_table();
    sc_ctx c = fresh_ctx(0);
    const double a[] = {1, 2, 3, 4, 5, 6};
    double *f = sc_pu_first_columns(&h, &c, a, 2, 3, 2);
    const double want[] = {1, 2, 4, 5};
    for (int i = 0; i < 4; i++)
        expect_abs(f[i], want[i], 0.0, "entry %d", i);
    t_free(&c, f);
    c = fresh_ctx(1);
    expect_true(sc_pu_first_columns(&h, &c, a, 2, 3, 2) == NULL,
                "allocation fails: NULL");
}

SC_TEST(cross_singular_values_are_principal_cosines)
{
    sc_host h = host_table();
    sc_ctx c = fresh_ctx(0);
    double t = 0.7, sv[2];
    const double a[] = {1, 0, 0, 1, 0, 0};    /* e1, e2: 3 x 2 */
    const double b[] = {cos(t), 0.0, sin(t)}; /* 3 x 1         */
    expect_int(sc_pu_cross_sv(&h, &c, 3, a, 2, b, 1, sv), SC_OK, "A, B: ok");
    expect_rel(sv[0], fabs(cos(t)), 1e-15, "A^T B: cos t");
    expect_int(sc_pu_cross_sv(&h, &c, 3, b, 1, a, 2, sv), SC_OK, "B, A: ok");
    expect_rel(sv[0], fabs(cos(t)), 1e-15, "B^T A (narrow side first)");
    expect_int(sc_pu_cross_sv(&h, &c, 3, a, 2, a, 2, sv), SC_OK, "A, A: ok");
    expect_rel(sv[0], 1.0, 1e-15, "A^T A: cosine 1");
    expect_rel(sv[1], 1.0, 1e-15, "A^T A: cosine 1 (second)");
    expect_int(c.live, 0, "scratch freed");
    c = fresh_ctx(1);
    expect_int(sc_pu_cross_sv(&h, &c, 3, a, 2, b, 1, sv), SC_ENOMEM,
               "allocation fails: SC_ENOMEM");
}

/* ## Top k */

SC_TEST(row_top_k_hand_example)
{
    /* Item 1's row; itself excluded. Candidates: 0:0.5 2:0.5 3:0.9 4:0.1
     * 5:0.5. The best 3: 3 (0.9), then the 0.5 tie broken to the lower
     * indices 0 and 2; sorted by index: 0, 2, 3. */
    const double row[] = {0.5, 0.9, 0.5, 0.9, 0.1, 0.5};
    sc_pu_cand c[5];
    sc_pu_row_top_k(row, 6, 1, 3, c);
    const size_t want[] = {0, 2, 3};
    for (int q = 0; q < 3; q++) {
        expect_int((long long)c[q].j, (long long)want[q], "neighbour %d", q);
        expect_abs(c[q].v, row[want[q]], 0.0, "value of neighbour %d", q);
    }
    sc_pu_row_top_k(row, 6, 1, 5, c); /* k = n - 1: everyone */
    for (int q = 0; q < 5; q++)
        expect_int((long long)c[q].j, q < 1 ? 0 : q + 1, "k = 5: item %d", q);
}

/* Independent reference: insertion sort of all candidates by value
 * descending, index ascending; the first k, then sorted by index. */
static void brute_top_k(const double *row, size_t n, size_t self, size_t k,
                        size_t *out)
{
    size_t all[64], m = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == self)
            continue;
        size_t p = m++;
        while (p > 0 && (row[all[p - 1]] < row[j] ||
                         (row[all[p - 1]] == row[j] && all[p - 1] > j))) {
            all[p] = all[p - 1];
            p--;
        }
        all[p] = j;
    }
    for (size_t q = 0; q < k; q++)
        out[q] = all[q];
    for (size_t q = 1; q < k; q++) /* by index */
        for (size_t p = q; p > 0 && out[p - 1] > out[p]; p--) {
            size_t t = out[p];
            out[p] = out[p - 1];
            out[p - 1] = t;
        }
}

SC_TEST(row_top_k_matches_a_full_sort)
{
    unsigned long long seed = 2024;
    double row[40];
    sc_pu_cand c[40];
    size_t want[40];
    int bad = 0;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 2 + (size_t)(trial % 38), self = (size_t)trial % n;
        size_t k = 1 + (size_t)trial % (n - 1);
        for (size_t j = 0; j < n; j++) /* values in {0, 1, 2}: many ties */
            row[j] = floor(1.5 * (uniform(&seed) + 1.0));
        sc_pu_row_top_k(row, n, self, k, c);
        brute_top_k(row, n, self, k, want);
        for (size_t q = 0; q < k; q++)
            if (c[q].j != want[q] || c[q].v != row[want[q]])
                bad++;
    }
    expect_int(bad, 0, "300 random rows with ties: same lists as a sort");
}

SC_TEST(top_k_zero_is_a_no_op)
{
    sc_pu_cand c[2] = {{1.0, 0}, {2.0, 1}};
    sc_pu_top_k(c, 2, 0);
    expect_true(c[0].j == 0 && c[1].j == 1, "k = 0 leaves the input alone");
}

/* ## Degenerate inputs */

SC_TEST(neighbour_checks)
{
    sc_host h = host_table();
    const double same[] = {1, 2, 1, 2, 1, 2};
    const double one_differs[] = {1, 2, 1, 2, 1, 2.5};
    sc_mat xs = {3, 2, 2, same}, xd = {3, 2, 2, one_differs};
    expect_int(sc_pu_rows_identical(&xs), 1, "equal rows");
    expect_int(sc_pu_rows_identical(&xd), 0, "last row differs");
    sc_ctx c = fresh_ctx(0);
    expect_int(sc_pu_check_neighbours(&h, &c, &xd, 3, "WHY"), SC_EDOM,
               "k = n: SC_EDOM");
    expect_str(c.msg,
               "k = 3 neighbours need at least k + 1 = 4 stimuli, got 3; "
               "lower k",
               "k = n: the message");
    c = fresh_ctx(0);
    expect_int(sc_pu_check_neighbours(&h, &c, &xs, 2, "WHY"), SC_EDOM,
               "equal rows: SC_EDOM");
    expect_str(c.msg, "all 3 rows are identical: WHY; check the features",
               "equal rows: the message");
    c = fresh_ctx(0);
    expect_int(sc_pu_check_neighbours(&h, &c, &xd, 2, "WHY"), SC_OK,
               "k < n, rows differ: ok");
}

int main(void)
{
    gsl_set_error_handler_off();
    return sc_test_run();
}
