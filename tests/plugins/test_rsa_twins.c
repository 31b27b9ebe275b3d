/* The RDM fill of plugins/rsa.c (twin_groups, fill_row, fill_rdm), tested
 * on its own: this file includes the plugin's source, so its static
 * functions are reachable, and hands them a host table of plain
 * malloc/free.
 *
 * Expected values are written here independently of the code under test:
 *   groups     a brute-force memcmp of every pair of rows (the former
 *              per-pair test of fill_rdm), on rows with many byte-equal
 *              copies, rows equal as numbers but not as bytes (-0.0 and
 *              +0.0, which must stay apart) and rows with NaN payloads;
 *   clip       D = 1 - clip(r, -1, 1) evaluated as the definition reads,
 *              for r exactly at, one ulp beyond and far beyond +-1
 *              (fill_row computes clip(1 - r, 0, 2); every double must
 *              agree bit for bit);
 *   twins      a Gram whose entries for duplicated rows carry rounding
 *              noise (as a BLAS may leave it) still gives D_ij = 0 exactly
 *              for those pairs and the formula elsewhere (Req. 3). */
#include "../../plugins/rsa.c"

#include <stdio.h>

#include "plugin_source_host.h"
#include "test.h"

#define TW_N 300
#define TW_D 7
#define TW_LD 9

SC_TEST(groups_match_pairwise_memcmp)
{
    static double a[TW_N * TW_LD];
    uint64_t st = 7;
    for (size_t i = 0; i < TW_N; i++) {
        for (size_t j = 0; j < TW_LD; j++)
            a[i * TW_LD + j] = 2.385 * uniform(&st) - 1.0;
        double pick = uniform(&st);
        if (i > 0 && pick < 0.4) /* a byte copy of an earlier row */
            memcpy(a + i * TW_LD,
                   a + (size_t)(uniform(&st) * (double)i) * TW_LD,
                   TW_D * sizeof *a);
        else if (i > 0 && pick < 0.5) /* only the padding differs */
            memcpy(a + i * TW_LD, a + (i - 1) * TW_LD, TW_D * sizeof *a);
    }
    /* Equal as numbers, not as bytes: rows 10/11 differ by -0.0 vs +0.0,
     * rows 20/21 by NaN payload; rows 30/31 equal with -0.0 in both. */
    for (size_t j = 0; j < TW_D; j++) {
        a[10 * TW_LD + j] = a[11 * TW_LD + j] = (double)j;
        a[20 * TW_LD + j] = a[21 * TW_LD + j] = (double)j;
        a[30 * TW_LD + j] = a[31 * TW_LD + j] = 0.5 * (double)j;
    }
    a[10 * TW_LD] = -0.0;
    a[11 * TW_LD] = 0.0;
    uint64_t q1 = UINT64_C(0x7ff8000000000001),
             q2 = UINT64_C(0x7ff8000000000002);
    memcpy(a + 20 * TW_LD + 3, &q1, sizeof q1);
    memcpy(a + 21 * TW_LD + 3, &q2, sizeof q2);
    a[30 * TW_LD + 2] = a[31 * TW_LD + 2] = -0.0;

    sc_mat x = {TW_N, TW_D, TW_LD, a};
    row_key *keys = malloc(TW_N * sizeof *keys);
    size_t *grp = malloc(TW_N * sizeof *grp);
    int any = twin_groups(&x, keys, grp);
    int bad = 0, want_any = 0;
    for (size_t i = 0; i < TW_N; i++) {
        size_t first = i;
        for (size_t k = 0; k < i; k++)
            if (memcmp(a + k * TW_LD, a + i * TW_LD, TW_D * sizeof *a) == 0) {
                first = k;
                break;
            }
        want_any |= first != i;
        bad += grp[i] != first;
    }
    expect_int(bad, 0, "%d rows: group = first byte-equal row (memcmp)", TW_N);
    expect_int(any, want_any, "reports that some rows are equal");
    expect_true(want_any, "the data have byte-equal rows");
    expect_true(grp[11] == 11 && grp[21] == 21,
                "-0.0 vs +0.0 and two NaN payloads: not equal bytes");
    expect_int((long long)grp[31], 30, "-0.0 in both rows: equal bytes");
    free(keys);
    free(grp);
}

/* With all G_ii = 1, r_ij = g_ij exactly (sqrt(1 * 1) = 1, x / 1 = x). */
SC_TEST(clip_matches_definition)
{
    const double r[] = {1.0,
                        nextafter(1.0, 2.0),
                        nextafter(1.0, 0.0),
                        1.5,
                        2.0,
                        3.7e10,
                        -1.0,
                        nextafter(-1.0, -2.0),
                        nextafter(-1.0, 0.0),
                        -1.5,
                        -2.0,
                        -3.7e10,
                        0.0,
                        -0.0,
                        1e-300,
                        0.2385,
                        -0.7071067811865476,
                        0.9999999999999999,
                        -0.9999999999999999};
    const size_t m = sizeof r / sizeof r[0], n = m + 1;
    double *g = calloc(n * n, sizeof *g), *diag = malloc(n * sizeof *diag);
    double *t = malloc(m * sizeof *t), *zero = calloc(n, sizeof *zero);
    for (size_t j = 0; j < n; j++)
        diag[j] = 1.0;
    for (size_t k = 0; k < m; k++)
        g[k + 1] = r[k]; /* row 0 against rows 1..m */
    int bad = 0;
    for (int centred = 0; centred < 2; centred++) {
        /* u = w = s = 0: g_ij + (0 + 0 + 0 - 0 * 0) = g_ij exactly. */
        gram_view gv = {g, diag, centred ? zero : NULL, zero, 0.0};
        fill_row(RDM_CORRELATION, &gv, n, 0, t);
        for (size_t k = 0; k < m; k++) {
            double c = r[k] > 1.0 ? 1.0 : (r[k] < -1.0 ? -1.0 : r[k]);
            double want = 1.0 - c;
            bad += memcmp(&t[k], &want, sizeof want) != 0;
        }
    }
    expect_int(bad, 0, "1 - clip(r, -1, 1), bit for bit, %zu values x 2", m);
    free(g);
    free(diag);
    free(t);
    free(zero);
}

/* Rows 0, 3 and 5 are byte-equal, as are 1 and 4; the Gram's entries for
 * those pairs are off by a few ulps (as a blocked BLAS sum may be), so the
 * formula alone would not give 0. Every rdm kind: those pairs are exactly
 * 0, every other pair is the formula on the given Gram. */
SC_TEST(duplicated_rows_are_exactly_zero)
{
    enum { N = 6, D = 3 };
    const double a[N * D] = {0.3, -1.2, 2.385, 1.1, 0.4,  -0.7,
                             2.0, 0.5,  0.25,  0.3, -1.2, 2.385,
                             1.1, 0.4,  -0.7,  0.3, -1.2, 2.385};
    double g[N * N], diag[N], t[N * (N - 1) / 2];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < D; k++)
                s += a[i * D + k] * a[j * D + k];
            g[i * N + j] = s;
        }
    for (size_t i = 0; i < N; i++)
        diag[i] = g[i * N + i];
    g[0 * N + 3] *= 1.0 - 4e-16; /* noise on twin pairs */
    g[0 * N + 5] *= 1.0 + 4e-16;
    g[1 * N + 4] *= 1.0 - 4e-16;
    sc_mat x = {N, D, D, a};
    const sc_host host = {.alloc = t_alloc, .free = t_free};
    sc_ctx ctx = {0};
    const int kinds[] = {RDM_CORRELATION, RDM_COSINE, RDM_EUCLIDEAN};
    for (size_t kk = 0; kk < 3; kk++) {
        gram_view gv = {g, diag, NULL, NULL, 0.0};
        int rc = fill_rdm(&host, &ctx, &x, kinds[kk], &gv, t);
        expect_int(rc, SC_OK, "fill_rdm kind %d", kinds[kk]);
        int bad_twin = 0, bad_other = 0, noisy = 0;
        for (size_t i = 0, p = 0; i < N; i++)
            for (size_t j = i + 1; j < N; j++, p++) {
                int twin = memcmp(a + i * D, a + j * D, sizeof a[0] * D) == 0;
                double gij = g[i * N + j], want;
                if (kinds[kk] == RDM_EUCLIDEAN) {
                    double d2 = diag[i] + diag[j] - 2.0 * gij;
                    want = sqrt(d2 > 0.0 ? d2 : 0.0);
                } else {
                    double r = gij / sqrt(diag[i] * diag[j]);
                    r = r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r);
                    want = 1.0 - r;
                }
                noisy += twin && want != 0.0;
                if (twin)
                    bad_twin += t[p] != 0.0;
                else
                    bad_other += memcmp(&t[p], &want, sizeof want) != 0;
            }
        expect_int(bad_twin, 0, "kind %d: the 4 twin pairs are exactly 0",
                   kinds[kk]);
        expect_int(bad_other, 0, "kind %d: other pairs, the formula",
                   kinds[kk]);
        expect_int(noisy, 2, "kind %d: the formula alone gives 2 twins > 0",
                   kinds[kk]);
    }
}

int main(void)
{
    return sc_test_run();
}
