/* Table formatting of `simcon run` (core/run/run_tables.c, run_internal.h).
 *
 * Expected strings are written by hand from the documented formats: an
 * estimate with its CI as "0.71 [0.65, 0.77]" (two decimals, C printf
 * rounding: 0.705 is stored as 0.70499999999999996 and so prints 0.70),
 * p-values as "<0.001" below 0.001 (TeX "$<$0.001"), LaTeX escaping of
 * the characters that are special in text mode (LaTeX manual, sec. 2.4.1:
 * # $ % & ~ _ ^ \ { }), Markdown '|' escaped as "\|" (GitHub Flavored
 * Markdown spec, sec. 4.10 tables), and the booktabs layout
 * (\toprule/\midrule/\bottomrule). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "run_internal.h"

SC_TEST(estimate_with_interval)
{
    char s[128];
    sc_fmt_est(s, sizeof s, 0.7131, 0.6549, 0.7702, 2, SC_NUM_TABLE);
    expect_str(s, "0.71 [0.65, 0.77]", "estimate [lo, hi] at 2 decimals");
    sc_fmt_est(s, sizeof s, -0.385, -0.52, -0.2385, 2, SC_NUM_TABLE);
    expect_str(s, "-0.39 [-0.52, -0.24]", "negative values keep the sign");
    sc_fmt_est(s, sizeof s, -0.001, -0.004, 0.003, 2, SC_NUM_TABLE);
    expect_str(s, "0.00 [0.00, 0.00]", "a rounded -0.00 prints as 0.00");
    sc_fmt_est(s, sizeof s, 0.5, NAN, NAN, 2, SC_NUM_TABLE);
    expect_str(s, "0.50", "no interval: estimate alone");
    sc_fmt_est(s, sizeof s, NAN, 0.1, 0.2, 2, SC_NUM_TABLE);
    expect_str(s, "NA", "undefined estimate: NA");
    sc_fmt_est(s, sizeof s, 0.12345, 0.1, 0.2, 3, SC_NUM_TABLE);
    expect_str(s, "0.123 [0.100, 0.200]", "digits parameter");
}

SC_TEST(p_values)
{
    char s[32];
    sc_fmt_p(s, sizeof s, 0.0005, SC_NUM_TABLE);
    expect_str(s, "<0.001", "p below 0.001, Markdown");
    sc_fmt_p(s, sizeof s, 0.0005, SC_NUM_TEX);
    expect_str(s, "$<$0.001", "p below 0.001, LaTeX");
    sc_fmt_p(s, sizeof s, 0.001, SC_NUM_TABLE);
    expect_str(s, "0.001", "p = 0.001 is shown as a number");
    sc_fmt_p(s, sizeof s, 0.04731, SC_NUM_TABLE);
    expect_str(s, "0.047", "three decimals");
    sc_fmt_p(s, sizeof s, 1.0, SC_NUM_TABLE);
    expect_str(s, "1.000", "p = 1");
    sc_fmt_p(s, sizeof s, NAN, SC_NUM_TEX);
    expect_str(s, "NA", "no test: NA");
}

SC_TEST(csv_numbers)
{
    sc_buf b = {0};
    sc_fmt_num(&b, 0.1);
    sc_buf_puts(&b, ",");
    sc_fmt_num(&b, NAN);
    sc_buf_puts(&b, ",");
    sc_fmt_num(&b, -2.385e-7);
    /* Expected text from Python 3.11: "%.17g" % 0.1, "%.17g" % -2.385e-7. */
    expect_str(b.data, "0.10000000000000001,,-2.3850000000000002e-07",
               "%%.17g round-trips; NaN is an empty field");
    sc_buf_deinit(&b);
}

SC_TEST(tex_escape)
{
    sc_buf b = {0};
    sc_tex_escape(&b, "cka_rbf_0.4 & 50% of $x#{y}~^\\ a|b<c>d");
    expect_str(b.data,
               "cka\\_rbf\\_0.4 \\& 50\\% of \\$x\\#\\{y\\}"
               "\\textasciitilde{}\\textasciicircum{}\\textbackslash{} "
               "a\\textbar{}b\\textless{}c\\textgreater{}d",
               "every text-mode special character escaped");
    sc_buf_deinit(&b);
}

SC_TEST(markdown_table)
{
    const char *const header[] = {"metric", "category pair", "r"};
    const char *const cells[] = {"cka_linear",        "ssl|ssl",
                                 "0.71 [0.65, 0.77]", "rsa",
                                 "ssl|supervised",    "<0.001"};
    sc_table t = {3, 2, header, cells, "Caption."};
    sc_buf b = {0};
    sc_table_md(&b, &t);
    expect_str(b.data,
               "Caption.\n\n"
               "| metric | category pair | r |\n"
               "|:---|---:|---:|\n"
               "| cka_linear | ssl\\|ssl | 0.71 [0.65, 0.77] |\n"
               "| rsa | ssl\\|supervised | <0.001 |\n",
               "GitHub Markdown table, '|' escaped in cells");
    sc_buf_deinit(&b);
}

SC_TEST(tex_table)
{
    const char *const header[] = {"metric", "p", "mean $\\pm$ sd"};
    const char *const cells[] = {"cka_linear", "<0.001", "$0.71 \\pm 0.05$",
                                 "50% & more", "0.047",  "0.20"};
    sc_table t = {3, 2, header, cells, "Caption."};
    sc_buf b = {0};
    sc_table_tex(&b, &t);
    expect_str(b.data,
               "% Caption.\n"
               "\\begin{tabular}{lrr}\n"
               "\\toprule\n"
               "metric & p & mean \\$\\textbackslash{}pm\\$ sd \\\\\n"
               "\\midrule\n"
               "cka\\_linear & $<$0.001 & $0.71 \\pm 0.05$ \\\\\n"
               "50\\% \\& more & 0.047 & 0.20 \\\\\n"
               "\\bottomrule\n"
               "\\end{tabular}\n",
               "booktabs tabular: '$'-cells verbatim, '<' as math, rest "
               "escaped");
    sc_buf_deinit(&b);
}

SC_TEST(pair_index_and_adjust)
{
    /* D = 4: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3) -> 0..5. */
    size_t want = 0, bad = 0;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = a + 1; b < 4; b++)
            bad += sc_run_pair_index(a, b, 4) != want++;
    expect_int((long long)bad, 0, "dataset pairs numbered in row order");
    /* Two families adjusted separately. Holm on family 0 {0.01, 0.04}:
     * sorted 0.01*2 = 0.02, max(0.02, 0.04*1) = 0.04. Family 1 {0.03}
     * alone: 0.03. NaN stays NaN and is not counted. */
    const double p[] = {0.04, 0.03, 0.01, NAN};
    const size_t g[] = {0, 1, 0, 0};
    double q[4];
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_run_adjust(p, g, 4, 0 /* SC_PADJ_HOLM */, q, &err), SC_OK,
               "adjust");
    expect_abs(q[0], 0.04, 1e-15, "holm family 0, p = 0.04");
    expect_abs(q[2], 0.02, 1e-15, "holm family 0, p = 0.01");
    expect_abs(q[1], 0.03, 1e-15, "family 1 of one test");
    expect_true(isnan(q[3]), "NaN p gives NaN q");
    expect_int(sc_run_adjust(p, g, 4, SC_SPEC_CORRECTION_NONE, q, &err), SC_OK,
               "correction none");
    expect_abs(q[2], 0.01, 0, "correction none: q = p");
}

int main(void)
{
    return sc_test_run();
}
