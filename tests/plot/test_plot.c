/* Tests of the plot/report module's logic (label "plot"): UPGMA against
 * scipy, the tidy-CSV reader, tick and p formatting, and the error paths
 * of sc_plot_results / sc_report_write (one-line messages, non-zero
 * status, no partial output, out-of-memory at every allocation).
 * The figure contents themselves are checked against the CSVs by
 * check_figures.py, and the page in a browser by check_report.py.
 * Expected values: UPGMA from scipy 1.10.1 (tests/plot/upgma_ref.py);
 * everything else derived by hand in the comments, including the tie rule
 * (core/num/tie.h) cases: distances, fences and medians equal but for +-1 ulp
 * or +-1e-14 relative decide as exact ties, 1e-7 relative as distinct. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "../test.h"
#include "../tie_nudge.h"
#include "cluster.h"
#include "mem.h"
#include "plot.h"
#include "plot_int.h"

#ifndef SC_FIXTURE_DIR
#error "SC_FIXTURE_DIR must name tests/plot/fixture/results"
#endif

/* ## UPGMA */

/* Distances of 7 points printed by upgma_ref.py (Euclidean, no ties). */
static const double ref_d[49] = {
    0,
    2.3682335188912433,
    2.7970555160740016,
    1.0053720704296494,
    3.3007774871990385,
    1.0208202682157128,
    2.369836916329898,
    2.3682335188912433,
    0,
    2.3951790663747876,
    1.4027262740820106,
    1.5881493695493507,
    2.7530669479691192,
    1.5245177630975639,
    2.7970555160740016,
    2.3951790663747876,
    0,
    2.5734360221307231,
    1.5495773940013453,
    2.2227998245456111,
    0.87091180380105104,
    1.0053720704296494,
    1.4027262740820106,
    2.5734360221307231,
    0,
    2.5967743875816396,
    1.6937989313965218,
    1.8860123037774701,
    3.3007774871990385,
    1.5881493695493507,
    1.5495773940013453,
    2.5967743875816396,
    0,
    3.1836279744970204,
    1.07323811430642,
    1.0208202682157128,
    2.7530669479691192,
    2.2227998245456111,
    1.6937989313965218,
    3.1836279744970204,
    0,
    2.1218079578510394,
    2.369836916329898,
    1.5245177630975639,
    0.87091180380105104,
    1.8860123037774701,
    1.07323811430642,
    2.1218079578510394,
    0,
};

SC_TEST(upgma_matches_scipy)
{
    /* scipy.cluster.hierarchy.linkage(method="average"): Z[:, 2] and
     * leaves_list(Z). */
    static const double want_h[6] = {0.87091180380105104, 1.0053720704296494,
                                     1.3114077541538827,  1.3573095998061173,
                                     1.8359487330072339,  2.464679594244068};
    static const size_t want_order[7] = {5, 0, 3, 1, 4, 2, 6};
    size_t order[7];
    double h[6];
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_upgma(ref_d, 7, order, h, &err), SC_OK, "upgma 7");
    for (int k = 0; k < 6; k++)
        expect_rel(h[k], want_h[k], 1e-12, "merge height %d", k);
    for (int i = 0; i < 7; i++)
        expect_int((long long)order[i], (long long)want_order[i], "leaf %d", i);
}

SC_TEST(upgma_small_and_bad)
{
    size_t order[2];
    double d1[1] = {0};
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_upgma(d1, 1, order, NULL, &err), SC_OK, "m = 1");
    expect_int((long long)order[0], 0, "m = 1 order");
    expect_int(sc_upgma(d1, 0, order, NULL, &err), SC_EINVAL, "m = 0");
    expect_str(err.msg, "clustering: no models", "m = 0 message");
    double d2[4] = {0, NAN, NAN, 0};
    expect_int(sc_upgma(d2, 2, order, NULL, &err), SC_EINVAL, "NaN");
    expect_str(err.msg,
               "clustering: distance of models 0 and 1 is not "
               "finite",
               "NaN message");
}

/* ## Tie rule in UPGMA merge order, whiskers and box order */

SC_TEST(upgma_merge_order_ties_up_to_rounding)
{
    /* d(0,1) and d(2,3) are both 0.3 but for rounding, moved in opposite
     * directions. Tied, the first pair in (i, j) order merges first: ids
     * 4 = {0,1}, 5 = {2,3}, then {4,5} at (0.8+0.9+0.85+0.95)/4 = 0.875;
     * leaves 0 1 2 3. An exact minimum would merge {2,3} first when it is
     * the smaller and give 2 3 0 1. */
    for (int k = 0; k < SC_NUDGES; k++) {
        double a = sc_nudge(0.3, k), b = sc_nudge(0.3, k ^ 1);
        double d[16] = {0,   a,    0.8, 0.9, a,   0,    0.85, 0.95,
                        0.8, 0.85, 0,   b,   0.9, 0.95, b,    0};
        size_t order[4];
        double h[3];
        sc_err err;
        expect_int(sc_upgma(d, 4, order, h, &err), SC_OK, "upgma, %s",
                   sc_nudge_name[k]);
        for (int i = 0; i < 4; i++)
            expect_int((long long)order[i], i, "tie %s: leaf %d",
                       sc_nudge_name[k], i);
        expect_rel(h[2], 0.875, 1e-14, "tie %s: last height", sc_nudge_name[k]);
    }
    /* 1e-7 relative apart: distinct, the smaller d(2,3) merges first. */
    double b = 0.3 * (1 - 1e-7);
    double d[16] = {0,   0.3,  0.8, 0.9, 0.3, 0,    0.85, 0.95,
                    0.8, 0.85, 0,   b,   0.9, 0.95, b,    0};
    size_t order[4];
    sc_err err;
    expect_int(sc_upgma(d, 4, order, NULL, &err), SC_OK, "upgma");
    static const size_t want[4] = {2, 3, 0, 1};
    for (int i = 0; i < 4; i++)
        expect_int((long long)order[i], (long long)want[i],
                   "1e-7 apart: leaf %d", i);
}

SC_TEST(whiskers_tie_with_the_fences_up_to_rounding)
{
    /* Type-7 quartiles of 5 sorted values are v[1] and v[3]: q1 = 0.25,
     * q3 = 0.75, IQR 0.5, fences exactly -0.5 and 1.5. Values at a fence
     * but for rounding are within it: the whiskers reach them. */
    for (int k = 0; k < SC_NUDGES; k++) {
        double lo = sc_nudge(-0.5, k), hi = sc_nudge(1.5, k);
        double v[5] = {hi, 0.5, 0.25, lo, 0.75};
        sc_boxstat st;
        sc_plot_box_stats(v, 5, &st);
        expect_true(st.q1 == 0.25 && st.q3 == 0.75 && st.med == 0.5,
                    "quartiles 0.25 0.5 0.75 (%s)", sc_nudge_name[k]);
        expect_true(st.wlo == lo && st.whi == hi,
                    "whiskers reach the values at the fences %s",
                    sc_nudge_name[k]);
        expect_true(sc_plot_box_inside(&st, lo) && sc_plot_box_inside(&st, hi),
                    "no outlier at the fences %s", sc_nudge_name[k]);
    }
    double lo = -0.5 * (1 + 1e-7), hi = 1.5 * (1 + 1e-7);
    double v[5] = {hi, 0.5, 0.25, lo, 0.75};
    sc_boxstat st;
    sc_plot_box_stats(v, 5, &st);
    expect_true(st.wlo == 0.25 && st.whi == 0.75,
                "1e-7 beyond the fences: whiskers stop at the box");
    expect_true(!sc_plot_box_inside(&st, lo) && !sc_plot_box_inside(&st, hi),
                "1e-7 beyond the fences: outliers");
}

SC_TEST(box_order_ties_up_to_rounding)
{
    /* Highest median first; "a" and "b" have the same median but for
     * rounding and go by name; exact order would put "b" first whenever
     * its rounding came out higher. */
    const char *name[4] = {"a", "b", "c", "d"};
    static const size_t want[4] = {2, 0, 1, 3};
    for (int k = 0; k < SC_NUDGES; k++) {
        double key[4] = {0.61, sc_nudge(0.61, k), 0.75, 0.3};
        size_t order[4];
        sc_plot_order_desc(key, name, 4, order);
        for (int i = 0; i < 4; i++)
            expect_int((long long)order[i], (long long)want[i],
                       "medians tied %s: box %d", sc_nudge_name[k], i);
    }
    double key[4] = {0.61, 0.61 * (1 + 1e-7), 0.75, 0.3};
    size_t order[4];
    sc_plot_order_desc(key, name, 4, order);
    expect_int((long long)order[1], 1, "1e-7 apart: higher median first");
}

/* ## Helpers */

static char tmp_root[256];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

SC_TEST(tidy_reader)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t.csv", tmp_root);
    /* Quoted field with a comma and an escaped quote, CRLF line ends, an
     * empty cell, a final blank line. */
    write_text(path, "a,b,c\r\n1,\"x, \"\"y\"\"\",\r\n2.5,z,-3e-2\r\n\r\n");
    sc_tidy t;
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_tidy_read(path, &t, &err), SC_OK, "read quoted CSV");
    expect_int((long long)t.nrows, 2, "two rows");
    expect_str(sc_tidy_at(&t, 0, 1), "x, \"y\"", "quoted field");
    expect_str(sc_tidy_at(&t, 0, 2), "", "empty last field (CR dropped)");
    double v;
    int has;
    expect_int(sc_tidy_num(&t, 0, 2, &v, &has, &err), SC_OK, "empty num");
    expect_int(has, 0, "empty cell is absent");
    expect_int(sc_tidy_num(&t, 1, 2, &v, &has, &err), SC_OK, "num");
    expect_abs(v, -0.03, 0, "-3e-2 parsed");
    expect_int(sc_tidy_num(&t, 1, 1, &v, &has, &err), SC_EIO, "not a num");
    expect_contains(err.msg, "t.csv:3: column 'b': 'z' is not a number",
                    "not-a-number message names file:line and column");
    int idx[1];
    const char *const want[] = {"q"};
    expect_int(sc_tidy_need(&t, want, 1, idx, &err), SC_EIO, "missing col");
    expect_contains(err.msg, "t.csv:1: no column 'q' in the header",
                    "missing column message");
    sc_tidy_deinit(&t);

    write_text(path, "a,b\n1,2\n3\n");
    expect_int(sc_tidy_read(path, &t, &err), SC_EIO, "short row");
    expect_contains(err.msg, "t.csv:3: 1 fields but the header has 2",
                    "short row message");
    write_text(path, "a,b\n1,\"open\n");
    expect_int(sc_tidy_read(path, &t, &err), SC_EIO, "open quote");
    expect_contains(err.msg, "t.csv:2: unterminated quoted field",
                    "open quote message");
    write_text(path, "");
    expect_int(sc_tidy_read(path, &t, &err), SC_EIO, "empty file");
    expect_contains(err.msg, "t.csv: empty file", "empty file message");
    sc_tidy_deinit(&t);
}

/* Tick labels of ax, space-separated, into out. */
static void axis_text(const sc_axis *ax, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < ax->n; i++) {
        char lab[32];
        sc_plot_axis_label(ax, i, lab, sizeof lab);
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", lab);
    }
}

SC_TEST(ticks_and_p)
{
    /* Expected ticks derived by hand from the rule in plot_int.h: the
     * smallest step 1, 2 or 5 x 10^e whose rounded-out range has <= 8
     * ticks. */
    sc_axis ax;
    char txt[256];
    /* [0.13, 0.97]: step 0.1 gives 0.1..1.0 = 10 ticks, 0.2 gives 0..1 = 6 */
    sc_plot_axis(0.13, 0.97, -INFINITY, INFINITY, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "0.0 0.2 0.4 0.6 0.8 1.0", "ticks of [0.13, 0.97]");
    /* [-1, 1] within [-1, 1]: 0.2 gives 11 ticks, 0.5 gives 5. */
    sc_plot_axis(-1, 1, -1, 1, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "-1.0 -0.5 0.0 0.5 1.0", "ticks of [-1, 1]");
    expect_abs(ax.t[2], 0.0, 0, "zero tick is exactly 0");
    /* The issue-16 bug: one dataset pair (r = 0.95) gave "0.9 1.0 1.0 1.1
     * 1.1" on an axis past 1. Now: 0.95 +- 0.05 = [0.9, 1.0], step 0.02. */
    sc_plot_axis(0.95, 0.95, -1, 1, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "0.90 0.92 0.94 0.96 0.98 1.00", "one value r = 0.95");
    expect_true(ax.hi <= 1.0, "r axis ends at 1, not past it");
    /* One value r = 1: [0.95, 1.05] clipped to [0.95, 1], step 0.01. */
    sc_plot_axis(1, 1, -1, 1, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "0.95 0.96 0.97 0.98 0.99 1.00", "one value r = 1");
    /* All equal 0: [-0.05, 0.05] rounded out to step 0.02. */
    sc_plot_axis(0, 0, -INFINITY, INFINITY, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "-0.06 -0.04 -0.02 0.00 0.02 0.04 0.06", "all zero");
    /* All equal 1000: +-50 -> [950, 1050], step 20 -> 940..1060. */
    sc_plot_axis(1000, 1000, -INFINITY, INFINITY, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "940 960 980 1000 1020 1040 1060", "all equal 1000");
    /* A range past [-1, 1] (a similarity scale need not be bounded): step
     * 0.5 gives -2..2.5 = 10 ticks, 1 gives -2..3 = 6. Clipped to [-1, 1]
     * it is the correlation axis above. */
    sc_plot_axis(-1.7, 2.3, -INFINITY, INFINITY, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "-2 -1 0 1 2 3", "range [-1.7, 2.3]");
    sc_plot_axis(-1.7, 2.3, -1, 1, &ax);
    axis_text(&ax, txt, sizeof txt);
    expect_str(txt, "-1.0 -0.5 0.0 0.5 1.0", "range past [-1, 1], clipped");
    /* Properties over many ranges (fixed LCG): 4-8 ticks, the data inside
     * the axis, both ends ticks, no two labels alike. */
    unsigned long long st = 16;
    int bad = 0;
    for (int k = 0; k < 20000 && !bad; k++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(st >> 11) / 9007199254740992.0;
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double w = (double)(st >> 11) / 9007199254740992.0;
        double lo = (u - 0.5) * pow(10.0, (int)(w * 8) - 4);
        double hi = lo + w * pow(10.0, (int)(u * 8) - 4);
        sc_plot_axis(lo, hi, -INFINITY, INFINITY, &ax);
        bad = ax.n < 4 || ax.n > SC_AXIS_MAX || ax.lo > lo || ax.hi < hi ||
              ax.t[0] != ax.lo ||
              fabs(ax.t[ax.n - 1] - ax.hi) > 1e-9 * (ax.hi - ax.lo);
        for (size_t i = 1; i < ax.n && !bad; i++) {
            char a[32], b[32];
            sc_plot_axis_label(&ax, i - 1, a, sizeof a);
            sc_plot_axis_label(&ax, i, b, sizeof b);
            bad = strcmp(a, b) == 0;
        }
        if (bad)
            expect_true(0, "axis of [%.17g, %.17g]: %zu ticks from %g to %g",
                        lo, hi, ax.n, ax.lo, ax.hi);
    }
    char buf[64];
    sc_fmt_p(buf, sizeof buf, 0.0031, SC_NUM_FIGURE);
    expect_str(buf, "0.0031", "p 0.0031");
    /* Two significant digits: 0.04731 -> 0.047, 0.1 -> 0.1. */
    sc_fmt_p(buf, sizeof buf, 0.04731, SC_NUM_FIGURE);
    expect_str(buf, "0.047", "p 0.04731 to two significant digits");
    sc_fmt_p(buf, sizeof buf, 0.1, SC_NUM_FIGURE);
    expect_str(buf, "0.1", "p 0.1");
    sc_fmt_p(buf, sizeof buf, 0.00001, SC_NUM_FIGURE);
    expect_str(buf, "<0.0001", "tiny p");
    sc_fmt_p(buf, sizeof buf, NAN, SC_NUM_FIGURE);
    expect_str(buf, "n/a", "absent p");
    sc_fmt_est(buf, sizeof buf, 0.714, 0.651, 0.7749, 2, SC_NUM_FIGURE);
    expect_str(buf, "0.71 [0.65, 0.77]", "estimate with CI");
}

/* ## Error paths on copies of the fixture */

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc;
}

static void copy_fixture(const char *dst)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dst,
             SC_FIXTURE_DIR, dst);
    run(cmd);
}

/* Number of entries in dir whose name starts with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

SC_TEST(missing_folder)
{
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_plot_results("/nonexistent/simcon-results", NULL, &err),
               SC_EIO, "missing folder");
    expect_str(err.msg,
               "/nonexistent/simcon-results: no such folder; give "
               "the output folder of simcon run",
               "missing folder message");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/empty", tmp_root);
    mkdir(dir, 0777);
    expect_int(sc_plot_results(dir, NULL, &err), SC_EIO, "no similarity/");
    expect_contains(err.msg, "/empty/similarity: missing;",
                    "no similarity/ message");
    expect_int(sc_report_write(dir, &err), SC_EIO, "report: no similarity/");
}

SC_TEST(bad_csv_leaves_old_figures)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/bad", tmp_root);
    copy_fixture(dir);
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_plot_results(dir, NULL, &err), SC_OK, "first plot");
    snprintf(path, sizeof path, "%s/figures", dir);
    int before = count_prefix(path, "");
    /* Damage consistency.csv: a non-number r on line 3. */
    snprintf(path, sizeof path, "%s/consistency.csv", dir);
    write_text(path, "metric,dataset_a,dataset_b,model_set,n_pairs,r,ci_lo,"
                     "ci_hi,p,q\ncka_linear,flowers,pcam,all,36,0.5,,,,\n"
                     "cka_linear,flowers,dtd,all,36,zero,,,,\n");
    expect_int(sc_plot_results(dir, NULL, &err), SC_EIO, "bad r");
    expect_contains(err.msg,
                    "consistency.csv:3: column 'r': 'zero' is not "
                    "a number",
                    "bad r message");
    expect_true(strchr(err.msg, '\n') == NULL, "message is one line");
    snprintf(path, sizeof path, "%s/figures", dir);
    expect_int(count_prefix(path, ""), before,
               "old figures untouched after a failure");
    expect_int(count_prefix(dir, "figures.tmp"), 0, "no staging folder left");
    expect_int(count_prefix(dir, "figures.old"), 0, "no old folder left");
}

SC_TEST(unknown_band_and_mismatched_models)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/band", tmp_root);
    copy_fixture(dir);
    sc_err err;
    sc_err_clear(&err);
    sc_plot_opts o = {SC_PLOT_ORDER_CLUSTER, "colour", NULL, 0};
    expect_int(sc_plot_results(dir, &o, &err), SC_EINVAL, "unknown band");
    expect_contains(err.msg, "--band colour: ", "band message start");
    expect_contains(err.msg,
                    "/models.csv has no such column; use one of "
                    "its attribute columns",
                    "band message end");
    expect_int(count_prefix(dir, "figures"), 0, "nothing written");
    o.band = "architecture";
    expect_int(sc_plot_results(dir, &o, &err), SC_OK, "band architecture");
    /* A dataset whose matrix lists other models. */
    snprintf(path, sizeof path, "%s/similarity/pcam/rsa.csv", dir);
    write_text(path, ",a,b\na,1,0.5\nb,0.5,1\n");
    expect_int(sc_plot_results(dir, NULL, &err), SC_EINVAL,
               "model sets differ");
    expect_contains(err.msg, "similarity/pcam/rsa.csv", "names the file");
}

SC_TEST(names_with_one_stem_get_distinct_files)
{
    /* Metrics "x&y" and "x_y" both reduce to the stem x_y: the second
     * metric's figures must become ..._2.svg, and the report must still
     * list both. */
    char dir[512], path[1100], cmd[2600];
    snprintf(dir, sizeof dir, "%s/stem", tmp_root);
    copy_fixture(dir);
    snprintf(cmd, sizeof cmd,
             "for d in '%s'/similarity/*/; do cp \"$d/rsa.csv\" "
             "\"$d/x&y.csv\" && cp \"$d/rsa.csv\" \"$d/x_y.csv\"; done",
             dir);
    run(cmd);
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_plot_results(dir, NULL, &err), SC_OK, "plot: %s", err.msg);
    struct stat st;
    snprintf(path, sizeof path, "%s/figures/similarity_x_y__pcam.svg", dir);
    expect_int(stat(path, &st), 0, "first figure keeps the stem");
    snprintf(path, sizeof path, "%s/figures/similarity_x_y__pcam_2.svg", dir);
    expect_int(stat(path, &st), 0, "second figure gets _2");
    snprintf(path, sizeof path, "%s/figures/similarity_grid_x_y_2.svg", dir);
    expect_int(stat(path, &st), 0, "second grid gets _2");
    expect_int(sc_report_write(dir, &err), SC_OK, "report: %s", err.msg);
}

SC_TEST(out_of_memory_everywhere)
{
    /* Fail allocation n = 1, 2, ... until the whole plot + report run
     * succeeds: every failure must be SC_ENOMEM with nothing left behind
     * (ASan builds also check for leaks). */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/oom", tmp_root);
    copy_fixture(dir);
    sc_err err;
    int rc = SC_ENOMEM, bad = 0;
    long n;
    /* Every n up to 16, then steps growing by 1/16: about 150 runs reach
     * the last allocation of the fixture run while still hitting every
     * loader, drawing and writing stage. */
    for (n = 1; n < 10000000 && rc != SC_OK; n += 1 + n / 16) {
        sc_err_clear(&err);
        sc_mem_fail_after(n);
        rc = sc_plot_results(dir, NULL, &err);
        if (rc == SC_OK)
            rc = sc_report_write(dir, &err);
        sc_mem_fail_after(0);
        if (rc != SC_OK && rc != SC_ENOMEM && !bad) {
            bad = 1;
            expect_int(rc, SC_ENOMEM, "failure at allocation %ld: %s", n,
                       err.msg);
        }
    }
    expect_int(rc, SC_OK, "succeeds once allocations succeed (n = %ld)", n);
    expect_int(bad, 0, "every injected failure reported as SC_ENOMEM");
    expect_int(count_prefix(dir, "figures.tmp"), 0, "no staging folder left");
    expect_int(count_prefix(dir, "report.html.tmp"), 0, "no temp report");
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "%s/plot_test.%ld", SC_BUILD_DIR,
             (long)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmp_root,
             tmp_root);
    run(cmd);
    int rc = sc_test_run();
    if (rc == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
        run(cmd);
    }
    return rc;
}
