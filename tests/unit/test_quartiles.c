/* The one median/IQR (core/stats/quartiles.c) behind the consistency
 * tables, report.html's summary table and the box plots.
 *
 * Expected values from numpy 1.24.2, run separately:
 *   numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [.25, .5, .75])
 *     -> [1.75, 3.5, 5.25]   (default method "linear" = type 7)
 *   numpy.quantile([0.7], [.25, .5, .75]) -> [0.7, 0.7, 0.7]
 * All three are exact in binary (sums of halves and quarters), so they are
 * compared with ==. */
#include "../test.h"
#include "quartiles.h"

SC_TEST(type7_like_numpy)
{
    double v[8] = {3, 1, 4, 1, 5, 9, 2, 6};
    sc_quartiles q = sc_quartiles_sort(v, 8);
    expect_true(q.q1 == 1.75, "q1 %.17g, numpy 1.75", q.q1);
    expect_true(q.med == 3.5, "median %.17g, numpy 3.5", q.med);
    expect_true(q.q3 == 5.25, "q3 %.17g, numpy 5.25", q.q3);
    int sorted = 1;
    for (int i = 1; i < 8; i++)
        sorted &= v[i - 1] <= v[i];
    expect_true(sorted, "the sample is left sorted ascending");
}

SC_TEST(one_value)
{
    double v[1] = {0.7};
    sc_quartiles q = sc_quartiles_sort(v, 1);
    expect_true(q.q1 == 0.7 && q.med == 0.7 && q.q3 == 0.7,
                "one value is every quartile");
}

int main(void)
{
    return sc_test_run();
}
