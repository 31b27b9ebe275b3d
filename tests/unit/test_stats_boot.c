/* Unit tests for the statistics engine, part 2: percentile and BCa
 * intervals, the bootstrap engine, label-permutation tests and the
 * ready-made consistency / contrast statistics.
 *
 * Provenance of expected values (tests/stat/ref_unit.py, NumPy 1.24.2 and
 * SciPy 1.10.1, output tests/stat/ref_unit.out):
 * - law.*: law-school data of Efron & Tibshirani (1993), Table 3.1
 *   (r = 0.776 as published there). law_boot_reps.txt holds 2000 bootstrap
 *   replicates drawn by NumPy; scipy.stats.bootstrap computed its BCa and
 *   percentile intervals from exactly those replicates (bootstrap_result
 *   argument), so sc_ci_bca / sc_ci_percentile must agree to rounding.
 *   law.scipy_B40000.BCa is SciPy's interval from its own 40000 draws: the
 *   Monte-Carlo target for our engine's own resampling.
 * - contrast.*, consistency.*: the pair rule and the contrast statistic
 *   written out independently in Python (section 6 of ref_unit.py).
 * - bca_ties_*: closed form, evaluated with Python's statistics.NormalDist
 *   (not GSL): z0 = Phi^-1(0.4) = -0.2533471031357998 when 2 of 10
 *   replicates lie below the estimate and 4 tie with it (half each);
 *   Phi^-1(0.2) = -0.8416212335729142 when the 4 count as above; the
 *   bounds are the type-7 quantiles at alpha = Phi(z0 + (z0 + z)/(1 - a(z0
 *   + z))), a = 5.6e-16 from the symmetric jackknife: 0.20613712129455306,
 *   0.9171165053996028. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_statistics_double.h>

#include "../test.h"
#include "../tie_nudge.h"
#include "mat.h"
#include "mem.h"
#include "stats.h"

#ifndef SC_TEST_DIR
#error "SC_TEST_DIR must point at tests/"
#endif

static const double lsat[15] = {576, 635, 558, 578, 666, 580, 555, 661,
                                651, 605, 653, 575, 545, 572, 594};
static const double gpa[15] = {3.39, 3.30, 2.81, 3.03, 3.44, 3.07, 3.00, 3.43,
                               3.36, 3.13, 3.12, 2.74, 2.76, 2.88, 2.96};

/* Statistic for sc_boot: correlation of (LSAT, GPA) over the schools idx. */
static int law_corr(const size_t *idx, size_t n, void *ud, double *out,
                    sc_err *err)
{
    (void)ud;
    double x[32], y[32];
    for (size_t k = 0; k < n; k++) {
        x[k] = lsat[idx[k]];
        y[k] = gpa[idx[k]];
    }
    return sc_corr(x, y, n, SC_CORR_PEARSON, NULL, out, err);
}

static size_t read_reps(double *reps, size_t cap)
{
    FILE *f = fopen(SC_TEST_DIR "/stat/data/law_boot_reps.txt", "r");
    if (f == NULL)
        return 0;
    char line[128];
    size_t n = 0;
    while (n < cap && fgets(line, sizeof line, f) != NULL)
        if (line[0] != '#')
            reps[n++] = strtod(line, NULL);
    fclose(f);
    return n;
}

SC_TEST(intervals_match_scipy_on_the_same_replicates)
{
    static double reps[2000];
    size_t nb = read_reps(reps, 2000);
    expect_int((long long)nb, 2000, "read law_boot_reps.txt");
    /* Jackknife (leave one school out) and the estimate, as scipy does. */
    double jack[15], est;
    size_t all[15], idx[14];
    sc_err err;
    for (size_t k = 0; k < 15; k++)
        all[k] = k;
    law_corr(all, 15, NULL, &est, &err);
    expect_rel(est, 0.77637449128940705, 1e-13, "law r (E&T: 0.776)");
    for (size_t i = 0; i < 15; i++) {
        size_t c = 0;
        for (size_t k = 0; k < 15; k++)
            if (k != i)
                idx[c++] = k;
        law_corr(idx, 14, NULL, &jack[i], &err);
    }
    double lo, hi, z0, a;
    expect_int(
        sc_ci_bca(reps, nb, est, jack, 15, 0.95, &lo, &hi, &z0, &a, &err),
        SC_OK, "BCa from given replicates");
    /* scipy.stats.bootstrap(method='BCa', bootstrap_result=reps). */
    expect_rel(lo, 0.29367359731044179, 1e-10, "BCa lo = scipy");
    expect_rel(hi, 0.9439658589068739, 1e-10, "BCa hi = scipy");
    expect_int(sc_ci_percentile(reps, nb, 0.95, &lo, &hi, &err), SC_OK,
               "percentile from given replicates");
    expect_rel(lo, 0.42876726559005224, 1e-12, "percentile lo = scipy");
    expect_rel(hi, 0.96138896758858405, 1e-12, "percentile hi = scipy");
}

SC_TEST(boot_engine_law_school_bca)
{
    sc_rng rng;
    sc_err err;
    sc_rng_init(&rng, sc_rng_task_seed(1993, "law/bca"), &err);
    sc_boot_opts o = {4000, 0.95, SC_CI_BCA, 0, false};
    sc_boot_result res;
    int rc = sc_boot(15, law_corr, NULL, &o, &rng, &res, NULL, &err);
    expect_int(rc, SC_OK, "sc_boot BCa: %s", err.msg);
    expect_rel(res.estimate, 0.77637449128940705, 1e-13, "estimate");
    /* SciPy, own 40000 draws: [0.33496, 0.94086]. At B = 4000 the
     * endpoints vary by sd 0.020 (lo) and 0.0024 (hi) between runs
     * (ref_unit.out law.scipy_B4000, 40 repeats); the tolerances are
     * 3.5 and 4 sd. */
    expect_abs(res.lo, 0.33495911791018423, 0.07, "BCa lo near scipy");
    expect_abs(res.hi, 0.94086076251395268, 0.01, "BCa hi near scipy");
    expect_true(res.z0 != 0 && res.accel != 0, "BCa constants reported");
    expect_int((long long)res.b, 4000, "B reported");
    expect_int(res.method, SC_CI_BCA, "method reported");
    expect_true(res.level == 0.95, "level reported");
    expect_int(res.seed, rng.seed, "seed reported");
    sc_rng_deinit(&rng);
}

/* A statistic that is undefined (SC_EDOM) whenever unit 0 is absent from
 * the resample, else the mean of the drawn unit values. */
static int needs_unit0(const size_t *idx, size_t n, void *ud, double *out,
                       sc_err *err)
{
    const double *v = ud;
    int has0 = 0;
    double s = 0;
    for (size_t k = 0; k < n; k++) {
        has0 |= idx[k] == 0;
        s += v[idx[k]];
    }
    if (!has0)
        return sc_err_set(err, SC_EDOM, "unit 0 absent");
    *out = s / (double)n;
    return SC_OK;
}

SC_TEST(boot_counts_and_excludes_undefined_replicates)
{
    static double v[5] = {2.385, 0.71, 1.93, 3.14, 0.27};
    sc_rng rng;
    sc_err err;
    sc_rng_init(&rng, 77, &err);
    sc_boot_opts o = {1000, 0.9, SC_CI_PERCENTILE, 0, false};
    static double reps[1000];
    sc_boot_result res;
    int rc = sc_boot(5, needs_unit0, v, &o, &rng, &res, reps, &err);
    expect_int(rc, SC_OK, "bootstrap with undefined replicates");
    size_t nan_count = 0;
    for (size_t r = 0; r < 1000; r++)
        nan_count += isnan(reps[r]);
    expect_int((long long)res.n_undefined, (long long)nan_count,
               "undefined count equals NaN replicates");
    /* P(unit 0 absent from 5 draws of 5) = (4/5)^5 = 0.32768; with
     * B = 1000 the count has sd 14.8, so +-75 is 5 sd. */
    expect_abs((double)res.n_undefined, 327.68, 75, "undefined fraction");
    expect_true(res.lo < res.hi, "interval from the defined replicates");
    sc_rng_deinit(&rng);
}

SC_TEST(boot_errors)
{
    sc_rng rng;
    sc_err err;
    sc_rng_init(&rng, 5, &err);
    sc_boot_result res;
    sc_boot_opts o = {100, 1.0, SC_CI_PERCENTILE, 0, false};
    expect_int(sc_boot(15, law_corr, NULL, &o, &rng, &res, NULL, &err),
               SC_EINVAL, "level 1 rejected");
    expect_str(err.msg, "confidence level 1 is outside (0, 1); use e.g. 0.95",
               "level message");
    o.level = 0.95;
    o.method = SC_CI_BCA;
    o.n_draw = 10;
    expect_int(sc_boot(15, law_corr, NULL, &o, &rng, &res, NULL, &err),
               SC_EINVAL, "BCa with m-out-of-n rejected");
    expect_str(err.msg,
               "bootstrap: BCa needs n-out-of-n resampling with "
               "replacement; use the percentile method for subsampling",
               "BCa subsample message");
    /* Subsampling without replacement, percentile: every replicate is a
     * correlation of 10 distinct schools. */
    o.method = SC_CI_PERCENTILE;
    o.without_replacement = true;
    expect_int(sc_boot(15, law_corr, NULL, &o, &rng, &res, NULL, &err), SC_OK,
               "10-out-of-15 subsampling");
    expect_int((long long)res.n_undefined, 0, "no undefined subsample");
    static double v[3] = {1, 2, 3};
    o = (sc_boot_opts){50, 0.95, SC_CI_PERCENTILE, 0, false};
    /* Estimate uses idx 0..n-1, which contains unit 0: defined. Now make
     * every value undefined by asking for a unit that never comes: use a
     * statistic on 1 unit. */
    expect_int(sc_boot(1, needs_unit0, v, &o, &rng, &res, NULL, &err),
               SC_EINVAL, "one unit rejected");
    expect_str(err.msg, "bootstrap needs >= 2 units, got 1", "units message");
    sc_rng_deinit(&rng);
    double lo, hi;
    const double same[3] = {0.5, 0.5, 0.5}, jk[2] = {0.1, 0.2};
    expect_int(sc_ci_bca(same, 3, 0.1, jk, 2, 0.95, &lo, &hi, NULL, NULL, &err),
               SC_EDOM, "all replicates above the estimate");
    expect_str(err.msg,
               "BCa undefined: all 3 replicates lie on one side of the "
               "estimate 0.1; use the percentile method or check the "
               "statistic",
               "BCa one-sided message");
}

/* ## Ready-made statistics over similarity matrices */

static const double S1[36] = {1,   .71, .42, .63, .35, .58, .71, 1,   .27,
                              .81, .49, .66, .42, .27, 1,   .38, .74, .22,
                              .63, .81, .38, 1,   .31, .69, .35, .49, .74,
                              .31, 1,   .45, .58, .66, .22, .69, .45, 1};
static const double S2[36] = {1,   .68, .51, .57, .29, .62, .68, 1,   .33,
                              .77, .41, .73, .51, .33, 1,   .44, .69, .18,
                              .57, .77, .44, 1,   .36, .64, .29, .41, .69,
                              .36, 1,   .52, .62, .73, .18, .64, .52, 1};
static const double S3[36] = {1,   .75, .39, .66, .43, .54, .75, 1,   .24,
                              .79, .55, .61, .39, .24, 1,   .47, .71, .26,
                              .66, .79, .47, 1,   .28, .74, .43, .55, .71,
                              .28, 1,   .40, .54, .61, .26, .74, .40, 1};

static void load6(sc_matrix *m, const double *v)
{
    sc_err err;
    sc_matrix_init(m, 6, 6, &err);
    for (size_t k = 0; k < 36; k++)
        m->data[k] = v[k];
}

SC_TEST(consistency_and_contrast_statistics)
{
    sc_matrix s[3];
    load6(&s[0], S1);
    load6(&s[1], S2);
    load6(&s[2], S3);
    const sc_matrix *sims[3] = {&s[0], &s[1], &s[2]};
    const size_t lab[6] = {0, 1, 0, 1, 0, 1};
    sc_err err;
    double t;

    sc_pairs all;
    sc_pairs_init_all(&all, 6, &err);
    sc_consistency cons = {&s[0], &s[1], &all, SC_CORR_PEARSON};
    const size_t res7[6] = {1, 1, 4, 0, 5, 2};
    expect_int(sc_consistency_boot_stat(res7, 6, &cons, &t, &err), SC_OK,
               "consistency on a model resample");
    /* ref_unit.out consistency.boot: 14 pairs, r 0.93833626068147946. */
    expect_rel(t, 0.93833626068147946, 1e-13, "consistency resample r");
    const size_t tiny[3] = {2, 2, 2};
    expect_int(sc_consistency_boot_stat(tiny, 3, &cons, &t, &err), SC_EDOM,
               "resample of one model copy is undefined");

    sc_contrast c = {sims, 3, lab, 6, 0, 1, SC_CORR_PEARSON};
    expect_int(sc_contrast_perm_stat(lab, 6, &c, &t, &err), SC_OK,
               "contrast with true labels");
    /* ref_unit.out contrast.observed */
    expect_rel(t, 0.38654196115697664, 1e-12, "contrast observed");
    const size_t res6[8] = {0, 2, 2, 4, 1, 3, 5, 3};
    expect_int(sc_contrast_boot_stat(res6, 8, &c, &t, &err), SC_OK,
               "contrast on a model resample");
    /* ref_unit.out contrast.boot */
    expect_rel(t, 0.31978195693128053, 1e-12, "contrast resample");

    /* Label permutation test: B = 2000 draws over the 6!/(3!3!) = 20
     * distinct labelings. The observed statistic is defined; p is in
     * (0, 1] and reproducible. */
    sc_rng rng;
    sc_rng_init(&rng, 4242, &err);
    sc_perm_opts po = {2000, SC_ALT_GREATER, false};
    sc_perm_result pr;
    expect_int(
        sc_perm_labels(lab, 6, sc_contrast_perm_stat, &c, &po, &rng, &pr, &err),
        SC_OK, "label permutation test: %s", err.msg);
    expect_rel(pr.observed, 0.38654196115697664, 1e-12, "effect size");
    expect_true(pr.p > 0 && pr.p <= 1, "p in (0, 1]");
    expect_int((long long)(pr.b + pr.n_undefined), 2000, "B accounted");
    sc_rng_deinit(&rng);

    c.c2 = 0;
    expect_int(sc_contrast_perm_stat(lab, 6, &c, &t, &err), SC_EINVAL,
               "same category twice");
    sc_pairs_deinit(&all);
    for (int k = 0; k < 3; k++)
        sc_matrix_deinit(&s[k]);
}

/* Statistic that ignores the labels: every permutation ties, p = 1. */
static int label_blind(const size_t *labels, size_t m, void *ud, double *out,
                       sc_err *err)
{
    (void)labels;
    (void)m;
    (void)ud;
    (void)err;
    *out = 0.385;
    return SC_OK;
}

/* Exact null distribution by hand: labels {0,0,1,1}, T = number of
 * label-0 models among the first two (0, 1 or 2 with probabilities 1/6,
 * 4/6, 1/6 over the 6 distinct labelings). Observed T = 2, so
 * P(T* >= 2) = 1/6. */
static int first_two(const size_t *labels, size_t m, void *ud, double *out,
                     sc_err *err)
{
    (void)m;
    (void)ud;
    (void)err;
    *out = (double)((labels[0] == 0) + (labels[1] == 0));
    return SC_OK;
}

SC_TEST(label_permutation_p_values)
{
    sc_rng rng;
    sc_err err;
    sc_rng_init(&rng, 9, &err);
    const size_t lab[4] = {0, 0, 1, 1};
    sc_perm_opts po = {500, SC_ALT_TWO_SIDED, false};
    sc_perm_result pr;
    sc_perm_labels(lab, 4, label_blind, NULL, &po, &rng, &pr, &err);
    expect_true(pr.p == 1.0, "ties everywhere give p = 1");
    po = (sc_perm_opts){20000, SC_ALT_GREATER, false};
    sc_perm_labels(lab, 4, first_two, NULL, &po, &rng, &pr, &err);
    /* sd of the estimate sqrt(1/6 * 5/6 / 20000) = 0.0026; 0.013 = 5 sd */
    expect_abs(pr.p, 1.0 / 6.0, 0.013, "p near the exact 1/6");
    po.perms = 0;
    expect_int(sc_perm_labels(lab, 4, first_two, NULL, &po, &rng, &pr, &err),
               SC_EINVAL, "perms 0 rejected");
    sc_rng_deinit(&rng);
}

/* Exact enumeration and the two-sided rule, against closed forms for
 * first_two on labels {0,0,1,1}: over the 4! = 24 arrangements T = 2 in 4,
 * 1 in 16, 0 in 4, so P(T* >= 2) = 1/6, P(T* <= 2) = 1, the null mean is
 * E[T] = 2 * 2/4 = 1, and two-sided p = min(1, 2 * min(1/6, 1)) = 1/3
 * (twice the smaller tail, not P(|T*| >= 2) = 1/6: the null is centred on
 * 1, not 0). With T_obs = 0: P(T* <= 0) = 1/6, two-sided again 1/3. */
SC_TEST(label_permutation_exact_and_two_sided)
{
    sc_err err;
    size_t lab[4] = {0, 0, 1, 1};
    sc_perm_opts po = {0, SC_ALT_TWO_SIDED, true};
    sc_perm_result pr;
    expect_int(sc_perm_labels(lab, 4, first_two, NULL, &po, NULL, &pr, &err),
               SC_OK, "exact: no rng needed");
    expect_int((long)pr.b, 24, "exact: 4! arrangements");
    expect_abs(pr.p_greater, 1.0 / 6.0, 1e-15, "P(T* >= 2) = 1/6");
    expect_abs(pr.p_less, 1.0, 1e-15, "P(T* <= 2) = 1");
    expect_abs(pr.null_mean, 1.0, 1e-15, "null mean E[T] = 1");
    expect_abs(pr.p, 1.0 / 3.0, 1e-15, "two-sided: twice the smaller tail");
    size_t flip[4] = {1, 1, 0, 0};
    expect_int(sc_perm_labels(flip, 4, first_two, NULL, &po, NULL, &pr, &err),
               SC_OK, "exact, T_obs = 0");
    expect_abs(pr.p_less, 1.0 / 6.0, 1e-15, "P(T* <= 0) = 1/6");
    expect_abs(pr.p, 1.0 / 3.0, 1e-15, "two-sided 1/3 on the other side");
    po.alternative = SC_ALT_GREATER;
    sc_perm_labels(lab, 4, first_two, NULL, &po, NULL, &pr, &err);
    expect_abs(pr.p, 1.0 / 6.0, 1e-15, "greater: exact 1/6");
    size_t nine[9] = {0};
    expect_int(sc_perm_labels(nine, 9, first_two, NULL, &po, NULL, &pr, &err),
               SC_EINVAL, "exact refused above SC_MANTEL_EXACT_MAX models");
}

/* Allocation failure at every point: each call reports SC_ENOMEM (never a
 * crash or a wrong status) until enough allocations succeed; the ASan
 * build checks that nothing leaks on these paths. */
SC_TEST(allocation_failures_are_reported)
{
    sc_matrix s[3];
    load6(&s[0], S1);
    load6(&s[1], S2);
    load6(&s[2], S3);
    const sc_matrix *sims[3] = {&s[0], &s[1], &s[2]};
    const size_t lab[6] = {0, 1, 0, 1, 0, 1};
    sc_err err;
    sc_pairs all;
    sc_pairs_init_all(&all, 6, &err);
    sc_consistency cons = {&s[0], &s[1], &all, SC_CORR_SPEARMAN};
    sc_contrast c = {sims, 3, lab, 6, 0, 1, SC_CORR_PEARSON};
    for (int op = 0; op < 4; op++) {
        int rc = SC_ENOMEM, only_enomem = 1;
        long n;
        for (n = 1; n < 500 && rc != SC_OK; n++) {
            sc_rng rng;
            sc_rng_init(&rng, 3, &err);
            sc_mem_fail_after(n);
            if (op == 0) {
                sc_boot_opts o = {50, 0.9, SC_CI_BCA, 0, false};
                sc_boot_result res;
                rc = sc_boot(6, sc_consistency_boot_stat, &cons, &o, &rng, &res,
                             NULL, &err);
            } else if (op == 1) {
                sc_perm_opts o = {20, SC_ALT_GREATER, false};
                sc_perm_result res;
                rc = sc_perm_labels(lab, 6, sc_contrast_perm_stat, &c, &o, &rng,
                                    &res, &err);
            } else if (op == 2) {
                sc_mantel_opts o = {SC_CORR_SPEARMAN, SC_ALT_LESS, 30, false};
                sc_mantel_result res;
                rc = sc_mantel(&s[0], &s[2], &all, &o, &rng, &res, &err);
            } else {
                const double p[4] = {0.3, NAN, 0.01, 0.2};
                double q[4];
                rc = sc_padjust(p, 4, SC_PADJ_BH, q, &err);
            }
            sc_mem_fail_after(0);
            sc_rng_deinit(&rng);
            only_enomem &= rc == SC_OK || rc == SC_ENOMEM;
        }
        expect_true(only_enomem, "operation %d: failures are SC_ENOMEM", op);
        expect_int(rc, SC_OK, "operation %d succeeds after %ld failures", op,
                   n - 2);
    }
    sc_pairs_deinit(&all);
    for (int k = 0; k < 3; k++)
        sc_matrix_deinit(&s[k]);
}

/* ## BCa ties with the estimate up to rounding (core/num/tie.h) */

SC_TEST(bca_ties_with_the_estimate_up_to_rounding)
{
    /* 10 replicates: 2 below the estimate, 4 equal to it (a resample that
     * drew the estimate's units), 4 above. The 4 ties count half each:
     * z0 = Phi^-1((2 + 2) / 10). Moved by rounding, they must still. */
    const double est = 0.5371, jack[4] = {0.52, 0.54, 0.56, 0.58};
    double reps[10] = {0.2, 0.3, est, est, est, est, 0.7, 0.8, 0.9, 0.95};
    double lo, hi, z0, a;
    sc_err err;
    for (int k = -1; k < SC_NUDGES; k++) {
        const char *how = k < 0 ? "exact" : sc_nudge_name[k];
        for (int t = 2; t < 6; t++)
            reps[t] = k < 0 ? est : sc_nudge(est, k);
        expect_int(
            sc_ci_bca(reps, 10, est, jack, 4, 0.95, &lo, &hi, &z0, &a, &err),
            SC_OK, "BCa, ties %s", how);
        expect_rel(z0, -0.2533471031357998, 1e-12, "z0 = Phi^-1(0.4), ties %s",
                   how);
        expect_rel(lo, 0.20613712129455306, 1e-12, "lo, ties %s", how);
        expect_rel(hi, 0.9171165053996028, 1e-12, "hi, ties %s", how);
    }
    /* Mixed directions: two up, two down. */
    reps[2] = sc_nudge(est, 0);
    reps[3] = sc_nudge(est, 1);
    reps[4] = sc_nudge(est, 2);
    reps[5] = sc_nudge(est, 3);
    expect_int(sc_ci_bca(reps, 10, est, jack, 4, 0.95, &lo, &hi, &z0, &a, &err),
               SC_OK, "BCa, ties moved both ways");
    expect_rel(z0, -0.2533471031357998, 1e-12, "z0, ties moved both ways");
    /* 1e-7 relative above (beyond SC_TIE_RTOL): above, not ties. */
    for (int t = 2; t < 6; t++)
        reps[t] = est * (1 + 1e-7);
    expect_int(sc_ci_bca(reps, 10, est, jack, 4, 0.95, &lo, &hi, &z0, &a, &err),
               SC_OK, "BCa, 4 replicates 1e-7 above");
    expect_rel(z0, -0.8416212335729142, 1e-12, "z0 = Phi^-1(0.2)");
}

SC_TEST(bca_jackknife_equal_up_to_rounding)
{
    /* Leave-one-out values equal but for rounding: no skewness, a = 0
     * (with an exact test the noise gave a = s3 / (6 s2^1.5), any size). */
    const double reps[6] = {0.31, 0.42, 0.47, 0.55, 0.63, 0.72};
    for (int k = 0; k < SC_NUDGES; k++) {
        double v = 0.4937;
        double jack[4] = {v, sc_nudge(v, k), sc_nudge(v, SC_NUDGES - 1 - k),
                          sc_nudge(v, k)};
        double lo, hi, z0, a = 42;
        sc_err err;
        expect_int(
            sc_ci_bca(reps, 6, 0.5, jack, 4, 0.95, &lo, &hi, &z0, &a, &err),
            SC_OK, "BCa, jackknife %s", sc_nudge_name[k]);
        expect_true(a == 0, "a = 0 for a jackknife equal up to %s (a = %g)",
                    sc_nudge_name[k], a);
    }
}

int main(void)
{
    return sc_test_run();
}
