/* The RBF kernel's exponential of plugins/cka.c (exp_nonpos), tested on
 * its own: this file includes the plugin's source, so its static functions
 * are reachable.
 *
 * Expected values come from sources independent of the code under test:
 *   edges      e^x correctly rounded to double, computed with python3
 *              mpmath 1.3.0 at 400 bits (mpmath.exp, then rounded to
 *              nearest at the double's precision, subnormals included),
 *              at 0, tiny arguments, multiples of ln2, the normal /
 *              subnormal boundary, subnormal results and the underflow
 *              to 0; the code's bound is 1 ulp, so that is what is asked;
 *   exact      e^0 = 1 (the kernel's diagonal), e^-inf = 0, NaN stays NaN;
 *   spread     long double expl (64-bit significand, glibc) on 200,000
 *              arguments spread over [-745.2, 0]: within 1 ulp;
 *   table      2^(j/128) from long double exp2l: T_j is it rounded to
 *              double and T_j (1 + t_j) agrees with it to the long
 *              double's precision;
 *   lanes      the vectorised loop and its scalar remainder give the same
 *              bits: every length 1..9 and offset, against length 1. */
#include "../../plugins/cka.c"

#include <stdio.h>

#include "plugin_source_host.h"
#include "test.h"

/* Distance in ulps of two non-negative doubles: their bit patterns are
 * ordered as integers, across the subnormal boundary too. */
static uint64_t ulp_distance(double a, double b)
{
    uint64_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ua > ub ? ua - ub : ub - ua;
}

static double exp_one(double x)
{
    exp_nonpos(&x, 1);
    return x;
}

static const struct {
    double x, want;
} edges[] = {
    /* -0x1p-1074: smallest subnormal argument */
    {-0x0.0000000000001p-1022, 0x1.0000000000000p+0},
    /* -1e-300: tiny */
    {-0x1.56e1fc2f8f359p-997, 0x1.0000000000000p+0},
    /* -0x1p-53: 1 - 2^-53 + 2^-107: just above 1 - 2^-53 */
    {-0x1.0000000000000p-53, 0x1.fffffffffffffp-1},
    /* -0x1p-54: just past the midpoint below 1: rounds to 1 */
    {-0x1.0000000000000p-54, 0x1.0000000000000p+0},
    /* -1e-10 */
    {-0x1.b7cdfd9d7bdbbp-34, 0x1.ffffffff24190p-1},
    /* -0.5 */
    {-0x1.0000000000000p-1, 0x1.368b2fc6f960ap-1},
    /* -1.0 */
    {-0x1.0000000000000p+0, 0x1.78b56362cef38p-2},
    /* -2.5 */
    {-0x1.4000000000000p+1, 0x1.50385c094f425p-4},
    /* -37.25 */
    {-0x1.2a00000000000p+5, 0x1.3278bcd70e981p-54},
    /* -0.6931471805599453: -ln2 rounded */
    {-0x1.62e42fefa39efp-1, 0x1.0000000000000p-1},
    /* -6.931471805599453: -10 ln2 */
    {-0x1.bb9d3beb8c86bp+2, 0x1.0000000000000p-10},
    /* -69.31471805599453: -100 ln2 */
    {-0x1.1542457337d43p+6, 0x1.ffffffffffff1p-101},
    /* -693.1471805599453: -1000 ln2 */
    {-0x1.5a92d6d005c94p+9, 0x1.ffffffffffe69p-1001},
    /* -708.3964185322641: about ln(2^-1022): smallest normal */
    {-0x1.6232bdd7abcd2p+9, 0x1.000000000007cp-1022},
    /* -708.5: subnormal result */
    {-0x1.6240000000000p+9, 0x0.e6cf6d08897acp-1022},
    /* -720.0: subnormal */
    {-0x1.6800000000000p+9, 0x0.0000993b4dc95p-1022},
    /* -740.0: subnormal */
    {-0x1.7200000000000p+9, 0x0.0000000000055p-1022},
    /* -744.4400719213812: about ln(2^-1074) */
    {-0x1.74385446d71c3p+9, 0x0.0000000000001p-1022},
    /* -745.0: rounds to 2^-1074 */
    {-0x1.7480000000000p+9, 0x0.0000000000001p-1022},
    /* -745.1332191019411: just above ln(2^-1075): rounds up to 2^-1074 */
    {-0x1.74910d52d3051p+9, 0x0.0000000000001p-1022},
    /* -745.1332191019412: just below ln(2^-1075): rounds to 0 */
    {-0x1.74910d52d3052p+9, 0x0.0p+0},
    /* -746.0: 0 */
    {-0x1.7500000000000p+9, 0x0.0p+0},
    /* -1000.0: 0 */
    {-0x1.f400000000000p+9, 0x0.0p+0},
};

SC_TEST(edges_within_one_ulp_of_mpmath)
{
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        double got = exp_one(edges[i].x);
        uint64_t d = ulp_distance(got, edges[i].want);
        expect_true(d <= 1, "e^%a = %a, want %a (mpmath), %llu ulp", edges[i].x,
                    got, edges[i].want, (unsigned long long)d);
    }
}

SC_TEST(exact_values)
{
    double one = 1.0, zero = 0.0;
    double got = exp_one(0.0);
    expect_true(memcmp(&got, &one, sizeof got) == 0, "e^0 = %a, want 1", got);
    got = exp_one(-0.0);
    expect_true(memcmp(&got, &one, sizeof got) == 0, "e^-0 = %a, want 1", got);
    got = exp_one(-INFINITY);
    expect_true(memcmp(&got, &zero, sizeof got) == 0, "e^-inf = %a, want +0",
                got);
    got = exp_one(-1e300);
    expect_true(memcmp(&got, &zero, sizeof got) == 0, "e^-1e300 = %a, want +0",
                got);
    expect_true(isnan(exp_one(NAN)), "e^NaN is NaN");
}

/* Seeded spread over [-745.2, 0], the range the kernel's gamma d2 takes
 * (below it every result is 0, tested above). */
SC_TEST(spread_within_one_ulp_of_expl)
{
    enum { COUNT = 200000 };
    double *x = malloc(COUNT * sizeof *x), *y = malloc(COUNT * sizeof *y);
    uint64_t seed = 20261203;
    for (size_t i = 0; i < COUNT; i++)
        y[i] = x[i] = -745.2 * uniform(&seed);
    exp_nonpos(y, COUNT);
    long double worst = 0.0L;
    double worst_x = 0.0;
    for (size_t i = 0; i < COUNT; i++) {
        long double ref = expl((long double)x[i]);
        int e;
        frexpl(ref, &e);
        long double ulp = ldexpl(1.0L, e - 53 < -1074 ? -1074 : e - 53);
        long double err = fabsl((long double)y[i] - ref) / ulp;
        if (err > worst) {
            worst = err;
            worst_x = x[i];
        }
    }
    expect_true(worst <= 1.0L, "max error %.3Lf ulp (at %a) <= 1", worst,
                worst_x);
    free(x);
    free(y);
}

SC_TEST(table_matches_exp2l)
{
    int bad_t = 0, bad_tail = 0;
    for (int j = 0; j < EXP_N; j++) {
        long double ref = exp2l((long double)j / EXP_N);
        if (exp_table[j].t != (double)ref)
            bad_t++;
        long double t = exp_table[j].t;
        if (fabsl(t + t * exp_table[j].tail - ref) > 0x1p-62L * ref)
            bad_tail++;
    }
    expect_int(bad_t, 0, "T_j = 2^(j/128) rounded (exp2l), entries off");
    expect_int(bad_tail, 0, "T_j (1 + t_j) = 2^(j/128) to 2^-62 (exp2l)");
}

SC_TEST(vector_lanes_match_scalar)
{
    double base[16], v[16];
    uint64_t seed = 7;
    for (size_t i = 0; i < 16; i++)
        base[i] = -30.0 * uniform(&seed);
    base[3] = 0.0;
    base[6] = -800.0;
    int bad = 0;
    for (size_t off = 0; off < 4; off++)
        for (size_t len = 1; len <= 9; len++) {
            memcpy(v, base, sizeof v);
            exp_nonpos(v + off, len);
            for (size_t i = off; i < off + len; i++)
                bad += ulp_distance(v[i], exp_one(base[i])) != 0;
        }
    expect_int(bad, 0, "lengths 1..9, offsets 0..3: same bits as length 1");
}

int main(void)
{
    return sc_test_run();
}
