/* Unit tests for the statistics engine, part 1: pair sets, correlations,
 * exact Mantel tests, random Mantel behaviour, Holm / BH.
 *
 * Provenance of expected values (never our own output):
 * - corr.*, mantel4.*, mantel5.*: tests/stat/ref_unit.py (NumPy 1.24.2,
 *   SciPy 1.10.1), output in tests/stat/ref_unit.out; the 4-model exact
 *   p-values are also reproduced by R vegan 2.6-4 mantel() given all 23
 *   non-identity permutations (tests/stat/ref_unit_R.out).
 * - bh95.*, ties.*: R 4.2.2 p.adjust (tests/stat/ref_unit.R ->
 *   ref_unit_R.out) on the 15 p-values of Benjamini & Hochberg (1995),
 *   sec. 4.2, where BH at 0.05 rejects 4 hypotheses and Holm 3.
 * - Pair sets and the resample pair rule: enumerated by hand in comments.
 * - Tie rule (core/num/tie.h): values at +-1 ulp and +-1e-14 relative of a tie
 *   must decide exactly as the tie itself, values 1e-7 relative away as
 *   distinct values; expected counts and ranks derived by hand in the
 *   comments, Spearman without ties 13/21 from 1 - 6 sum d^2 / (n(n^2-1)). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "../tie_nudge.h"
#include "mat.h"
#include "mem.h"
#include "stats.h"

static void fill(sc_matrix *s, size_t m, const double *v)
{
    sc_err err;
    sc_matrix_init(s, m, m, &err);
    for (size_t k = 0; k < m * m; k++)
        s->data[k] = v[k];
}

static const double A4[16] = {1,     0.812, 0.347, 0.559, 0.812, 1,
                              0.238, 0.691, 0.347, 0.238, 1,     0.405,
                              0.559, 0.691, 0.405, 1};
static const double B4[16] = {1,     0.733, 0.291, 0.368, 0.733, 1,
                              0.412, 0.877, 0.291, 0.412, 1,     0.154,
                              0.368, 0.877, 0.154, 1};

/* ## Pair sets */

SC_TEST(pair_builders)
{
    sc_pairs p;
    sc_err err;
    expect_int(sc_pairs_init_all(&p, 4, &err), SC_OK, "all pairs of 4");
    expect_int((long long)p.n, 6, "4 models give 6 pairs");
    expect_true(p.i[0] == 0 && p.j[0] == 1 && p.i[5] == 2 && p.j[5] == 3,
                "lexicographic: (0,1) first, (2,3) last");
    sc_pairs_deinit(&p);

    /* cat = {0,1,0,SC_CAT_NONE,1,0}: category 0 = {0,2,5}, 1 = {1,4}. */
    const size_t cat[6] = {0, 1, 0, SC_CAT_NONE, 1, 0};
    sc_pairs_init_within(&p, cat, 6, 0, &err);
    expect_int((long long)p.n, 3, "within 0: (0,2) (0,5) (2,5)");
    expect_true(p.i[1] == 0 && p.j[1] == 5 && p.i[2] == 2 && p.j[2] == 5,
                "within 0 pairs in order");
    sc_pairs_deinit(&p);
    sc_pairs_init_within(&p, cat, 6, 1, &err);
    expect_int((long long)p.n, 1, "within 1: only (1,4), a set to skip");
    sc_pairs_deinit(&p);
    sc_pairs_init_between(&p, cat, 6, 1, 0, &err);
    /* (0,1) (0,4) (1,2) (1,5) (2,4) (4,5): 3 x 2 = 6, model 3 in none. */
    expect_int((long long)p.n, 6, "between 1 and 0: 3 x 2 pairs");
    expect_true(p.i[2] == 1 && p.j[2] == 2 && p.i[5] == 4 && p.j[5] == 5,
                "between pairs stored i < j in order");
    sc_pairs_deinit(&p);
    sc_pairs_init_anchor(&p, cat, 6, 4, 0, &err);
    /* anchor 4 with category 0 = {0,2,5}: (0,4) (2,4) (4,5). */
    expect_int((long long)p.n, 3, "anchor 4 vs category 0");
    expect_true(p.i[0] == 0 && p.j[0] == 4 && p.i[2] == 4 && p.j[2] == 5,
                "anchor pairs normalised to i < j");
    sc_pairs_deinit(&p);
    sc_pairs_init_anchor(&p, cat, 6, 1, 1, &err);
    expect_int((long long)p.n, 1, "anchor never pairs with itself");
    sc_pairs_deinit(&p);
}

SC_TEST(pair_builder_errors)
{
    sc_pairs p;
    sc_err err;
    const size_t cat[3] = {0, 1, 0};
    expect_int(sc_pairs_init_between(&p, cat, 3, 1, 1, &err), SC_EINVAL,
               "between with c1 == c2");
    expect_str(err.msg,
               "pairs: between-category set with c1 == c2 == 1; use "
               "sc_pairs_init_within",
               "c1 == c2 message");
    expect_true(p.n == 0 && p.i == NULL, "failed builder leaves p empty");
    expect_int(sc_pairs_init_anchor(&p, cat, 3, 3, 0, &err), SC_EINVAL,
               "anchor out of range");
    expect_str(err.msg,
               "pairs: anchor model 3 out of range (3 models); check the "
               "anchor index",
               "anchor message");
    expect_int(sc_pairs_init_within(&p, cat, 3, SC_CAT_NONE, &err), SC_EINVAL,
               "within SC_CAT_NONE");
    sc_mem_fail_after(1);
    int rc = sc_pairs_init_all(&p, 5, &err);
    sc_mem_fail_after(0);
    expect_int(rc, SC_ENOMEM, "allocation failure reported");
    expect_true(p.i == NULL && p.j == NULL, "nothing left allocated");
}

SC_TEST(resample_drops_self_copies)
{
    /* base: all pairs of 4; res = {2,0,2,3}. Positions (a,b), a<b:
     * (0,1) 2-0 keep; (0,2) 2-2 self copy, drop; (0,3) 2-3; (1,2) 0-2;
     * (1,3) 0-3; (2,3) 2-3  -> 5 pairs. */
    sc_pairs base, rp;
    sc_err err;
    sc_pairs_init_all(&base, 4, &err);
    const size_t res[4] = {2, 0, 2, 3};
    expect_int(sc_pairs_resample_models(&base, res, 4, true, &rp, &err), SC_OK,
               "by position");
    expect_int((long long)rp.n, 5, "one self-copy pair dropped");
    const size_t wi[5] = {0, 0, 1, 1, 2}, wj[5] = {1, 3, 2, 3, 3};
    int ok = rp.m == 4;
    for (size_t k = 0; k < rp.n && k < 5; k++)
        ok &= rp.i[k] == wi[k] && rp.j[k] == wj[k];
    expect_true(ok, "positions (0,1) (0,3) (1,2) (1,3) (2,3)");
    sc_pairs_deinit(&rp);
    sc_pairs_resample_models(&base, res, 4, false, &rp, &err);
    const size_t oi[5] = {0, 2, 0, 0, 2}, oj[5] = {2, 3, 2, 3, 3};
    ok = rp.n == 5 && rp.m == 4;
    for (size_t k = 0; k < rp.n && k < 5; k++)
        ok &= rp.i[k] == oi[k] && rp.j[k] == oj[k];
    expect_true(ok, "original pairs (0,2) (2,3) (0,2) (0,3) (2,3)");
    sc_pairs_deinit(&rp);
    sc_pairs_deinit(&base);

    /* Base = within category 0 of {0,1,0,1}: only (0,2). res = {0,2,2,1}:
     * (0,1) 0-2 in; (0,2) 0-2 in; (1,2) self; others involve model 1. */
    const size_t cat[4] = {0, 1, 0, 1};
    sc_pairs_init_within(&base, cat, 4, 0, &err);
    const size_t res2[4] = {0, 2, 2, 1};
    sc_pairs_resample_models(&base, res2, 4, false, &rp, &err);
    expect_int((long long)rp.n, 2, "resample keeps only base pairs");
    sc_pairs_deinit(&rp);
    const size_t bad[2] = {0, 4};
    expect_int(sc_pairs_resample_models(&base, bad, 2, false, &rp, &err),
               SC_EINVAL, "index out of range");
    expect_str(err.msg,
               "pairs: resampled model index 4 at position 1 is out of "
               "range (4 models)",
               "out of range message");
    sc_pairs_deinit(&base);
}

/* ## Correlation */

SC_TEST(correlation_matches_scipy_with_ties)
{
    const double x[8] = {2.385, 1.2, 3.7, 1.2, 5.5, 0.3, 2.385, 4.1};
    const double y[8] = {0.7, 1.9, 2.2, 0.4, 3.3, 1.9, 1.1, 2.8};
    double r;
    sc_err err;
    expect_int(sc_corr(x, y, 8, SC_CORR_PEARSON, NULL, &r, &err), SC_OK,
               "pearson");
    /* scipy.stats.pearsonr, ref_unit.out corr.pearson */
    expect_rel(r, 0.67477502944606704, 1e-13, "pearson = scipy");
    double work[SC_CORR_WORK(8)];
    expect_int(sc_corr(x, y, 8, SC_CORR_SPEARMAN, work, &r, &err), SC_OK,
               "spearman");
    /* scipy.stats.spearmanr (average ranks), ref_unit.out corr.spearman */
    expect_rel(r, 0.67273962802214371, 1e-13, "spearman = scipy (ties)");
}

SC_TEST(correlation_errors)
{
    const double x[3] = {1.5, 1.5, 1.5}, y[3] = {0.2, 2.385, 0.9};
    double r = 42;
    sc_err err;
    expect_int(sc_corr(x, y, 3, SC_CORR_PEARSON, NULL, &r, &err), SC_EDOM,
               "constant side is undefined");
    expect_str(err.msg,
               "correlation is undefined: the first side is constant over "
               "all 3 values",
               "constant message");
    expect_true(r == 42, "no output on failure");
    expect_int(sc_corr(y, y, 1, SC_CORR_PEARSON, NULL, &r, &err), SC_EDOM,
               "one value is undefined");
    const double z[3] = {0.2, NAN, 0.9};
    expect_int(sc_corr(y, z, 3, SC_CORR_SPEARMAN, NULL, &r, &err), SC_ENUMERIC,
               "NaN input");
    expect_contains(err.msg, "non-finite value at position 1", "NaN message");
    sc_corr_method m;
    expect_int(sc_corr_parse("kendall", &m, &err), SC_EINVAL, "parse");
    expect_str(err.msg,
               "unknown correlation 'kendall'; use pearson or "
               "spearman",
               "parse message");
    expect_int(sc_corr_parse("spearman", &m, &err), SC_OK, "parse ok");
    expect_int(m, SC_CORR_SPEARMAN, "parsed spearman");
}

SC_TEST(corr_pairs_reads_upper_triangle)
{
    sc_matrix a, b;
    fill(&a, 4, A4);
    fill(&b, 4, B4);
    /* Scribble on the lower triangle and diagonal: must be ignored. */
    a.data[1 * 4 + 0] = 99;
    b.data[3 * 4 + 2] = -7;
    b.data[0] = 5;
    sc_pairs p;
    sc_err err;
    sc_pairs_init_all(&p, 4, &err);
    double r;
    expect_int(sc_corr_pairs(&a, &b, &p, SC_CORR_PEARSON, NULL, &r, &err),
               SC_OK, "corr over all pairs");
    /* ref_unit.out mantel4.pearson r (the observed statistic). */
    expect_rel(r, 0.75198794506522826, 1e-13, "upper-triangle correlation");
    sc_pairs_deinit(&p);
    sc_pairs_init_all(&p, 3, &err);
    expect_int(sc_corr_pairs(&a, &b, &p, SC_CORR_PEARSON, NULL, &r, &err),
               SC_EINVAL, "shape mismatch");
    expect_str(err.msg,
               "correlation over pairs: matrices are 4x4 and 4x4 but the "
               "pair set is over 3 models",
               "shape message");
    sc_pairs_deinit(&p);
    sc_matrix_deinit(&a);
    sc_matrix_deinit(&b);
}

/* ## Mantel */

SC_TEST(mantel_exact_four_models)
{
    sc_matrix a, b;
    fill(&a, 4, A4);
    fill(&b, 4, B4);
    sc_pairs p;
    sc_err err;
    sc_pairs_init_all(&p, 4, &err);
    /* ref_unit.out mantel4.{pearson,spearman}: numpy enumeration of all 24
     * permutations; vegan 2.6-4 gives p 0.125 and 0.20833 likewise. */
    const struct {
        sc_corr_method method;
        double r, p[3];
    } want[2] = {
        {SC_CORR_PEARSON,
         0.75198794506522826,
         {0.125, 0.91666666666666663, 0.20833333333333334}},
        {SC_CORR_SPEARMAN,
         0.54285714285714293,
         {0.20833333333333334, 0.875, 0.45833333333333331}},
    };
    for (int w = 0; w < 2; w++)
        for (int alt = 0; alt < 3; alt++) {
            sc_mantel_opts o = {want[w].method, (sc_alternative)alt, 0, true};
            sc_mantel_result res;
            int rc = sc_mantel(&a, &b, &p, &o, NULL, &res, &err);
            expect_int(rc, SC_OK, "exact %s %s", sc_corr_name(o.method),
                       sc_alternative_name(o.alternative));
            expect_rel(res.r, want[w].r, 1e-13, "r (%s)",
                       sc_corr_name(o.method));
            expect_rel(res.p, want[w].p[alt], 1e-15, "exact p, %s %s",
                       sc_corr_name(o.method),
                       sc_alternative_name(o.alternative));
            expect_int((long long)res.b, 24, "24 permutations");
        }
    sc_pairs_deinit(&p);
    sc_matrix_deinit(&a);
    sc_matrix_deinit(&b);
}

SC_TEST(mantel_exact_between_pair_set)
{
    static const double A5[25] = {
        1,     0.623, 0.271, 0.845, 0.432, 0.623, 1,     0.518, 0.194,
        0.707, 0.271, 0.518, 1,     0.366, 0.589, 0.845, 0.194, 0.366,
        1,     0.253, 0.432, 0.707, 0.589, 0.253, 1};
    static const double B5[25] = {
        1,     0.581, 0.312, 0.774, 0.495, 0.581, 1,     0.447, 0.263,
        0.652, 0.312, 0.447, 1,     0.218, 0.731, 0.774, 0.263, 0.218,
        1,     0.336, 0.495, 0.652, 0.731, 0.336, 1};
    sc_matrix a, b;
    fill(&a, 5, A5);
    fill(&b, 5, B5);
    const size_t cat[5] = {0, 0, 1, 1, 0};
    sc_pairs p;
    sc_err err;
    sc_pairs_init_between(&p, cat, 5, 0, 1, &err);
    sc_mantel_opts o = {SC_CORR_PEARSON, SC_ALT_GREATER, 0, true};
    sc_mantel_result res;
    expect_int(sc_mantel(&a, &b, &p, &o, NULL, &res, &err), SC_OK,
               "exact between-category Mantel");
    /* ref_unit.out mantel5.between.pearson: r 0.94083..., p 1/120. */
    expect_rel(res.r, 0.94083434410508482, 1e-13, "r over between pairs");
    expect_rel(res.p, 0.0083333333333333332, 1e-15, "p = 1/120");
    expect_int((long long)res.b, 120, "5! permutations");
    expect_int((long long)res.n_pairs, 6, "6 between pairs");
    sc_pairs_deinit(&p);
    sc_matrix_deinit(&a);
    sc_matrix_deinit(&b);
}

SC_TEST(mantel_random_mode)
{
    sc_matrix a, b;
    fill(&a, 4, A4);
    fill(&b, 4, B4);
    sc_pairs p;
    sc_err err;
    sc_pairs_init_all(&p, 4, &err);
    sc_rng rng;
    sc_rng_init(&rng, sc_rng_task_seed(7, "mantel-unit"), &err);
    sc_mantel_opts o = {SC_CORR_PEARSON, SC_ALT_GREATER, 20000, false};
    sc_mantel_result res;
    expect_int(sc_mantel(&a, &b, &p, &o, &rng, &res, &err), SC_OK,
               "random Mantel");
    /* Random permutations estimate the exact p 0.125 (3 of 24): with
     * B = 20000 its sd is sqrt(.125 * .875 / 20000) = 0.0023; 0.012 is
     * > 5 sd, so a failure means a bias, not bad luck. */
    expect_abs(res.p, 0.125, 0.012, "random p near exact p");
    expect_true(res.p > 0, "p never 0");
    expect_int((long long)res.b, 20000, "B recorded");
    expect_int(res.seed, rng.seed, "seed recorded");
    sc_rng_deinit(&rng);

    /* Same seed, same p (task reproducibility). */
    sc_rng r1, r2;
    sc_mantel_result x1, x2;
    o.perms = 999;
    sc_rng_init(&r1, 31, &err);
    sc_rng_init(&r2, 31, &err);
    sc_mantel(&a, &b, &p, &o, &r1, &x1, &err);
    sc_mantel(&a, &b, &p, &o, &r2, &x2, &err);
    expect_true(x1.p == x2.p, "identical p from identical seeds");
    sc_rng_deinit(&r1);
    sc_rng_deinit(&r2);

    o.exact = true;
    sc_matrix big_a, big_b;
    sc_matrix_init(&big_a, 9, 9, &err);
    sc_matrix_init(&big_b, 9, 9, &err);
    sc_pairs p9;
    sc_pairs_init_all(&p9, 9, &err);
    expect_int(sc_mantel(&big_a, &big_b, &p9, &o, NULL, &res, &err), SC_EINVAL,
               "exact with m = 9 refused");
    expect_str(err.msg,
               "mantel: exact enumeration of 9! permutations is too many "
               "(limit 8 models); use random permutations",
               "exact limit message");
    o.exact = false;
    o.perms = 0;
    expect_int(sc_mantel(&a, &b, &p, &o, NULL, &res, &err), SC_EINVAL,
               "random mode without perms/rng");
    /* All-constant b: the observed statistic is undefined. */
    o.perms = 10;
    expect_int(sc_mantel(&big_a, &big_b, &p9, &o, &rng, &res, &err), SC_EDOM,
               "constant matrix");
    expect_str(err.msg,
               "mantel: observed statistic: correlation is undefined: the "
               "first side is constant over all 36 values",
               "constant matrix message");
    sc_pairs_deinit(&p9);
    sc_matrix_deinit(&big_a);
    sc_matrix_deinit(&big_b);
    sc_pairs_deinit(&p);
    sc_matrix_deinit(&a);
    sc_matrix_deinit(&b);
}

/* ## Multiple comparisons */

SC_TEST(holm_and_bh_on_benjamini_hochberg_1995)
{
    const double p[15] = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201,
                          0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
                          0.4262, 0.5719, 0.6528, 0.7590, 1.000};
    /* R 4.2.2 p.adjust, ref_unit_R.out bh95.holm / bh95.BH. */
    const double holm[15] = {0.0015,
                             0.0055999999999999999,
                             0.0247,
                             0.11399999999999999,
                             0.22109999999999999,
                             0.27799999999999997,
                             0.27799999999999997,
                             0.27799999999999997,
                             0.32130000000000003,
                             1,
                             1,
                             1,
                             1,
                             1,
                             1};
    const double bh[15] = {0.0015,
                           0.0030000000000000001,
                           0.0094999999999999998,
                           0.035624999999999997,
                           0.060299999999999999,
                           0.063857142857142862,
                           0.063857142857142862,
                           0.064500000000000002,
                           0.076500000000000012,
                           0.48599999999999999,
                           0.58118181818181813,
                           0.71487499999999993,
                           0.75323076923076926,
                           0.81321428571428567,
                           1};
    double q[15];
    sc_err err;
    expect_int(sc_padjust(p, 15, SC_PADJ_HOLM, q, &err), SC_OK, "holm");
    int nrej = 0;
    for (int k = 0; k < 15; k++) {
        expect_rel(q[k], holm[k], 1e-12, "holm[%d]", k);
        nrej += q[k] <= 0.05;
    }
    expect_int(nrej, 3, "Holm rejects 3 at 0.05");
    expect_int(sc_padjust(p, 15, SC_PADJ_BH, q, &err), SC_OK, "bh");
    nrej = 0;
    for (int k = 0; k < 15; k++) {
        expect_rel(q[k], bh[k], 1e-12, "bh[%d]", k);
        nrej += q[k] <= 0.05;
    }
    expect_int(nrej, 4, "BH rejects 4 at 0.05 (BH 1995, sec. 4.2)");
}

SC_TEST(padjust_unsorted_ties_nan_and_errors)
{
    /* R: p.adjust(c(.04,.01,.04,.20,.03), "holm"/"BH"), ref_unit_R.out
     * ties.*; NaN entries inserted here must be passed through and not
     * counted. */
    const double p[7] = {0.04, NAN, 0.01, 0.04, 0.20, 0.03, NAN};
    const double holm[5] = {0.12, 0.05, 0.12, 0.2, 0.12};
    const double bh[5] = {0.05, 0.05, 0.05, 0.2, 0.05};
    const int at[5] = {0, 2, 3, 4, 5};
    double q[7];
    sc_err err;
    sc_padjust(p, 7, SC_PADJ_HOLM, q, &err);
    for (int k = 0; k < 5; k++)
        expect_rel(q[at[k]], holm[k], 1e-12, "holm with NaN, entry %d", at[k]);
    expect_true(isnan(q[1]) && isnan(q[6]), "NaN passed through (holm)");
    double inplace[7];
    for (int k = 0; k < 7; k++)
        inplace[k] = p[k];
    sc_padjust(inplace, 7, SC_PADJ_BH, inplace, &err);
    for (int k = 0; k < 5; k++)
        expect_rel(inplace[at[k]], bh[k], 1e-12, "BH in place, entry %d",
                   at[k]);
    expect_true(isnan(inplace[1]) && isnan(inplace[6]),
                "NaN passed through (BH)");
    const double bad[2] = {0.5, 1.5};
    expect_int(sc_padjust(bad, 2, SC_PADJ_BH, q, &err), SC_EINVAL,
               "p > 1 rejected");
    expect_str(err.msg,
               "p-value adjustment: p[1] = 1.5 is not in [0, 1]; pass NaN "
               "for a skipped test",
               "bad p message");
    sc_padjust_method m;
    expect_int(sc_padjust_parse("fdr", &m, &err), SC_OK, "fdr alias");
    expect_int(m, SC_PADJ_BH, "fdr is BH");
    expect_int(sc_padjust_parse("bonferroni", &m, &err), SC_EINVAL,
               "unknown method");
}

/* ## Tie rule (core/num/tie.h): decisions on computed values */

SC_TEST(tie_rule_tolerance)
{
    expect_true(SC_TIE_RTOL == sqrt(DBL_EPSILON), "SC_TIE_RTOL = sqrt(eps)");
    for (int k = 0; k < SC_NUDGES; k++) {
        double v = 0.7342;
        expect_true(sc_tie_eq(sc_nudge(v, k), v), "%s is tied",
                    sc_nudge_name[k]);
        expect_int(sc_tie_cmp(sc_nudge(v, k), v), 0, "%s compares 0",
                   sc_nudge_name[k]);
        expect_int(sc_tie_cmp(-sc_nudge(v, k), -v), 0,
                   "negative, %s compares 0", sc_nudge_name[k]);
    }
    /* 2^-26 = SC_TIE_RTOL apart at 1: tied; 2^-25: not. */
    expect_true(sc_tie_eq(1.0, 1.0 + ldexp(1, -26)), "1 + 2^-26 tied");
    expect_true(!sc_tie_eq(1.0, 1.0 + ldexp(1, -25)), "1 + 2^-25 not tied");
    expect_int(sc_tie_cmp(0.61, 0.61 * (1 + 1e-7)), -1, "1e-7 rel below");
    expect_int(sc_tie_cmp(0.61 * (1 + 1e-7), 0.61), 1, "1e-7 rel above");
    expect_true(sc_tie_eq(0, 0) && sc_tie_eq(0.0, -0.0), "zeros tied");
    expect_true(!sc_tie_eq(0, 1e-300), "relative: 0 and 1e-300 differ");
    expect_true(sc_tie_eq((double)INFINITY, (double)INFINITY), "inf tied");
    expect_true(!sc_tie_eq((double)INFINITY, 1e308), "inf vs finite");
    expect_true(!sc_tie_eq((double)NAN, (double)NAN), "NaN tied with nothing");
}

SC_TEST(permutation_counts_tie_up_to_rounding)
{
    double t = 0.4871;
    for (int k = 0; k < SC_NUDGES; k++) {
        double u = sc_nudge(t, k);
        /* A tie is as extreme in every direction: counted by all three. */
        expect_true(sc_stats_as_extreme(u, t, SC_ALT_GREATER),
                    "greater counts T* = T %s", sc_nudge_name[k]);
        expect_true(sc_stats_as_extreme(u, t, SC_ALT_LESS),
                    "less counts T* = T %s", sc_nudge_name[k]);
        expect_true(sc_stats_as_extreme(-u, t, SC_ALT_TWO_SIDED),
                    "two-sided counts |T*| = |T| %s", sc_nudge_name[k]);
    }
    double below = t * (1 - 1e-7), above = t * (1 + 1e-7);
    expect_true(!sc_stats_as_extreme(below, t, SC_ALT_GREATER),
                "greater: 1e-7 rel below is not counted");
    expect_true(sc_stats_as_extreme(below, t, SC_ALT_LESS),
                "less: 1e-7 rel below is counted");
    expect_true(!sc_stats_as_extreme(above, t, SC_ALT_LESS),
                "less: 1e-7 rel above is not counted");
    expect_true(!sc_stats_as_extreme(-below, t, SC_ALT_TWO_SIDED),
                "two-sided: |T*| 1e-7 rel below |T| is not counted");
}

SC_TEST(spearman_ranks_tie_up_to_rounding)
{
    /* The scipy case of correlation_matches_scipy_with_ties (ties: x 1.2
     * twice, 2.385 twice; y 1.9 twice), with the second member of each tie
     * moved by rounding: still ties, so still scipy's 0.67273962802214371. */
    const double x0[8] = {2.385, 1.2, 3.7, 1.2, 5.5, 0.3, 2.385, 4.1};
    const double y0[8] = {0.7, 1.9, 2.2, 0.4, 3.3, 1.9, 1.1, 2.8};
    double x[8], y[8], work[SC_CORR_WORK(8)], r;
    sc_err err;
    for (int k = 0; k < SC_NUDGES; k++) {
        memcpy(x, x0, sizeof x);
        memcpy(y, y0, sizeof y);
        x[3] = sc_nudge(x[3], k);
        x[6] = sc_nudge(x[6], SC_NUDGES - 1 - k);
        y[5] = sc_nudge(y[5], k);
        expect_int(sc_corr(x, y, 8, SC_CORR_SPEARMAN, work, &r, &err), SC_OK,
                   "spearman, ties moved %s", sc_nudge_name[k]);
        expect_rel(r, 0.67273962802214371, 1e-13,
                   "spearman = scipy's tied value, ties moved %s",
                   sc_nudge_name[k]);
    }
    /* Moved up 1e-7 relative (beyond SC_TIE_RTOL) they are distinct
     * values, ranked after their twins: ranks x 4 2 6 3 8 1 5 7, y 2 4 6 1
     * 8 5 3 7, d^2 sum 32, rho = 1 - 6 * 32 / (8 * 63) = 13/21. */
    memcpy(x, x0, sizeof x);
    memcpy(y, y0, sizeof y);
    x[3] *= 1 + 1e-7;
    x[6] *= 1 + 1e-7;
    y[5] *= 1 + 1e-7;
    expect_int(sc_corr(x, y, 8, SC_CORR_SPEARMAN, NULL, &r, &err), SC_OK,
               "spearman, no ties");
    expect_rel(r, 13.0 / 21.0, 1e-13, "spearman without ties = 13/21");
}

SC_TEST(constant_side_up_to_rounding)
{
    const double y[3] = {0.2, 2.385, 0.9};
    for (int k = 0; k < SC_NUDGES; k++) {
        double x[3] = {0.7342, sc_nudge(0.7342, k),
                       sc_nudge(0.7342, SC_NUDGES - 1 - k)};
        double r = 42;
        sc_err err;
        expect_int(sc_corr(x, y, 3, SC_CORR_PEARSON, NULL, &r, &err), SC_EDOM,
                   "values equal but for %s rounding are constant",
                   sc_nudge_name[k]);
        expect_true(r == 42, "no output");
    }
    double x[3] = {0.7342, 0.7342 * (1 + 1e-7), 0.7342};
    double r;
    sc_err err;
    expect_int(sc_corr(x, y, 3, SC_CORR_PEARSON, NULL, &r, &err), SC_OK,
               "values 1e-7 relative apart are not constant");
}

int main(void)
{
    return sc_test_run();
}
