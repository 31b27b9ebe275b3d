/* Tests for core/num/prep.c: parsing of the mode and the none/center/l2
 * transforms.
 *
 * Expected values are derived by hand in the comments (decimal arithmetic on
 * the literal inputs), not taken from our output. Inputs are high-entropy
 * (2.385, -0.0117) plus rows of magnitude 1e200 and 1e-200, whose squares
 * overflow/underflow in a naive norm, and a column with a 1e8 offset for the
 * centring. Tolerances: a few ulps of the result (rtol 2e-15) since each
 * expected value is a handful of correctly rounded operations away. */
#include <math.h>
#include <string.h>

#include "../test.h"
#include "mem.h"
#include "prep.h"

static void fill(sc_matrix *m, size_t rows, size_t cols, const double *v)
{
    sc_err err;
    sc_matrix_init(m, rows, cols, &err);
    memcpy(m->data, v, rows * cols * sizeof *v);
}

SC_TEST(parse_and_name)
{
    const char *names[] = {"none", "center", "l2"};
    const int modes[] = {SC_NORM_NONE, SC_NORM_CENTER, SC_NORM_L2};
    for (int i = 0; i < 3; i++) {
        int mode = -1;
        sc_err err;
        int rc = sc_norm_parse(names[i], &mode, &err);
        expect_int(rc, SC_OK, "parse %s", names[i]);
        expect_int(mode, modes[i], "parse %s -> mode", names[i]);
        expect_str(sc_norm_name(modes[i]), names[i], "name of mode %d",
                   modes[i]);
    }
    int mode = 42;
    sc_err err;
    int rc = sc_norm_parse("L2", &mode, &err);
    expect_int(rc, SC_EINVAL, "parse is case-sensitive");
    expect_str(err.msg, "unknown normalisation 'L2'; use none, center or l2",
               "unknown mode message");
    expect_int(mode, 42, "mode untouched on failure");
    rc = sc_norm_parse(NULL, &mode, &err);
    expect_int(rc, SC_EINVAL, "NULL text");
    expect_str(sc_norm_name(7), "unknown", "name of an invalid mode");
    expect_str(sc_norm_name(-1), "unknown", "name of a negative mode");
}

SC_TEST(none_leaves_matrix)
{
    const double v[4] = {2.385, -0.0117, 0.0, 7.25};
    sc_matrix m;
    fill(&m, 2, 2, v);
    sc_err err;
    int rc = sc_prep_apply(&m, SC_NORM_NONE, "x.npy", &err);
    expect_int(rc, SC_OK, "none");
    expect_true(memcmp(m.data, v, sizeof v) == 0, "none changes nothing");
    sc_matrix_deinit(&m);
}

SC_TEST(center_hand_computed)
{
    /* Column 0: 2.385, -0.0117, 7.25; sum 9.6233, mean 9.6233/3, so
     * x - mean = (3x - 9.6233)/3 = -2.4683/3, -9.6584/3, 12.1267/3.
     * Column 1: 1e8 + {0.125, -0.5, 0.375} (exact in binary64, ulp(1e8)
     * = 2^-26 ~ 1.5e-8): mean 1e8, residuals 0.125, -0.5, 0.375. */
    const double v[6] = {2.385, 1e8 + 0.125, -0.0117, 1e8 - 0.5,
                         7.25,  1e8 + 0.375};
    const double want[6] = {-2.4683 / 3, 0.125, -9.6584 / 3, -0.5,
                            12.1267 / 3, 0.375};
    sc_matrix m;
    fill(&m, 3, 2, v);
    sc_err err;
    int rc = sc_prep_apply(&m, SC_NORM_CENTER, "x.npy", &err);
    expect_int(rc, SC_OK, "center");
    /* Column 0 inputs are rounded decimals, so allow a few ulps of the
     * column's scale (7.25) rather than of each (small) result. */
    for (size_t k = 0; k < 6; k++)
        expect_abs(m.data[k], want[k], k % 2 == 0 ? 1e-14 : 0.0,
                   "centred element %zu", k);
    sc_matrix_deinit(&m);
}

SC_TEST(l2_hand_computed)
{
    /* Row 0: (3, 0, 4), norm 5 -> (0.6, 0, 0.8).
     * Row 1: (2.385, -0.0117, 0); 2.385^2 = 5.688225 and 0.0117^2 =
     *        0.00013689, norm sqrt(5.68836189).
     * Row 2: (3e200, -4e200, 0), norm 5e200 -> (0.6, -0.8, 0); a naive
     *        sum of squares overflows to Inf.
     * Row 3: (5e-200, 0, -12e-200), norm 13e-200 -> (5/13, 0, -12/13); a
     *        naive sum of squares underflows to 0. */
    const double v[12] = {3, 0, 4, 2.385, -0.0117, 0,
                          3e200, -4e200, 0, 5e-200, 0, -12e-200};
    const double r1 = sqrt(5.68836189);
    const double want[12] = {0.6, 0, 0.8, 2.385 / r1, -0.0117 / r1, 0,
                             0.6, -0.8, 0, 5.0 / 13, 0, -12.0 / 13};
    sc_matrix m;
    fill(&m, 4, 3, v);
    sc_err err;
    int rc = sc_prep_apply(&m, SC_NORM_L2, "x.npy", &err);
    expect_int(rc, SC_OK, "l2");
    for (size_t k = 0; k < 12; k++) {
        if (want[k] == 0.0)
            expect_true(m.data[k] == 0.0, "l2 element %zu stays 0", k);
        else
            expect_rel(m.data[k], want[k], 2e-15, "l2 element %zu", k);
    }
    sc_matrix_deinit(&m);
}

SC_TEST(l2_zero_row_is_domain_error)
{
    const double v[6] = {2.385, 1.0, 0.0, 0.0, -0.0117, 1.0};
    sc_matrix m;
    fill(&m, 3, 2, v);
    sc_err err;
    int rc = sc_prep_apply(&m, SC_NORM_L2, "feat.npy", &err);
    expect_int(rc, SC_EDOM, "zero row status");
    expect_str(err.msg,
               "feat.npy: row 1 (0-based) has zero norm; l2 normalisation "
               "is undefined -- drop the row or use --normalize none",
               "zero row message");
    expect_true(memcmp(m.data, v, sizeof v) == 0,
                "matrix unchanged although row 0 precedes the bad row");
    sc_matrix_deinit(&m);
}

SC_TEST(bad_arguments_and_non_finite)
{
    const double v[4] = {2.385, (double)INFINITY, -0.0117, 1.0};
    sc_matrix m;
    fill(&m, 2, 2, v);
    sc_err err;
    int rc = sc_prep_apply(&m, SC_NORM_L2, "inf.npy", &err);
    expect_int(rc, SC_ENUMERIC, "l2 with Inf");
    expect_contains(err.msg, "inf.npy: row 0 (0-based) contains NaN or Inf",
                    "l2 Inf message");
    rc = sc_prep_apply(&m, SC_NORM_CENTER, "inf.npy", &err);
    expect_int(rc, SC_ENUMERIC, "center with Inf");
    expect_contains(err.msg, "inf.npy: the mean of column 1 (0-based)",
                    "center Inf message");
    expect_true(memcmp(m.data, v, sizeof v) == 0, "unchanged after both");
    rc = sc_prep_apply(&m, 3, "inf.npy", &err);
    expect_int(rc, SC_EINVAL, "invalid mode");
    expect_contains(err.msg, "unknown normalisation mode 3", "mode message");
    sc_matrix empty = {0, 0, NULL};
    rc = sc_prep_apply(&empty, SC_NORM_L2, "e.npy", &err);
    expect_int(rc, SC_EINVAL, "empty matrix");
    expect_str(err.msg, "e.npy: cannot normalise an empty matrix",
               "empty message");
    sc_matrix_deinit(&m);
}

SC_TEST(out_of_memory_leaves_matrix)
{
    const double v[4] = {2.385, -0.0117, 0.5, 7.25};
    const int modes[2] = {SC_NORM_CENTER, SC_NORM_L2};
    for (int i = 0; i < 2; i++) {
        sc_matrix m;
        fill(&m, 2, 2, v);
        sc_err err;
        sc_mem_fail_after(1);
        int rc = sc_prep_apply(&m, modes[i], "x.npy", &err);
        sc_mem_fail_after(0);
        expect_int(rc, SC_ENOMEM, "%s out of memory", sc_norm_name(modes[i]));
        expect_contains(err.msg, "x.npy: out of memory", "%s message",
                        sc_norm_name(modes[i]));
        expect_true(memcmp(m.data, v, sizeof v) == 0, "%s: unchanged",
                    sc_norm_name(modes[i]));
        sc_matrix_deinit(&m);
    }
}

int main(void)
{
    return sc_test_run();
}
