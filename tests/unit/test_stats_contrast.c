/* Unit tests for the statistics engine, part 5: the category contrast as
 * dot products (sc_contrast_dots_stat, core/stats/stats_contrast.c).
 *
 * What is checked and where the expected values come from:
 * - The statistic per labelling against the definition written out here
 *   with GSL (ref_contrast: the explicit within-category pair list of
 *   each category, gsl_stats_correlation -- gsl_stats_spearman for
 *   Spearman, on inputs without ties -- of every dataset pair over it,
 *   their mean, the difference), and against sc_contrast_perm_stat (the
 *   per-pair engine the runner used before), within 1e-12 absolute, on
 *   random matrices (values of similarity scale: near 1 with a small
 *   spread, and uniform), 2 to 9 datasets, 6 to 40 models, 2 to 4
 *   categories, 300 shuffled labellings each. (Spearman at a spread of
 *   1e-3, where the tie rule ties values that GSL ranks apart, is held to
 *   the per-pair engine only.)
 * - The status in the edge cases is sc_contrast_perm_stat's: a category
 *   with 0 or 1 pair, a dataset constant over a category's pairs (the first
 *   dataset, a later one, a constant next to a non-finite value in either
 *   order) and a non-finite value.
 * - The permutation test gives the same p, one-sided p's, B and undefined
 *   count with either statistic (same stream, tie-robust counts), also on
 *   block matrices where most labellings reproduce the observed statistic
 *   exactly (ties that rounding must not flip) and in exact mode; the null
 *   mean agrees within 1e-12.
 * - Argument checks and allocation failures (SC_ENOMEM, never a crash). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "../test.h"
#include "mat.h"
#include "mem.h"
#include "stats.h"

#define MAXD 9
#define MAXM 40
#define TOL 1e-12

/* D symmetric m x m matrices: base + w * noise (spread around `centre`),
 * GSL's generator with a fixed seed. */
static void make_sims(sc_matrix *s, size_t D, size_t m, double centre, double w,
                      unsigned long seed)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    sc_err err;
    double base[MAXM * MAXM];
    for (size_t i = 0; i < m * m; i++)
        base[i] = gsl_rng_uniform(g);
    for (size_t d = 0; d < D; d++) {
        sc_matrix_init(&s[d], m, m, &err);
        for (size_t i = 0; i < m; i++)
            for (size_t j = i; j < m; j++) {
                double v = centre + w * (base[i * m + j] +
                                         0.7 * gsl_rng_uniform(g) - 0.85);
                s[d].data[i * m + j] = s[d].data[j * m + i] = v;
            }
    }
    gsl_rng_free(g);
}

static void free_sims(sc_matrix *s, size_t D)
{
    for (size_t d = 0; d < D; d++)
        sc_matrix_deinit(&s[d]);
}

/* Mean over d < e of the correlation of S_d and S_e over the pairs i < j
 * with lab[i] == lab[j] == c; SC_EDOM when it is undefined. */
static int ref_mean(const sc_matrix *s, size_t D, const size_t *lab, size_t m,
                    size_t c, bool spearman, double *out)
{
    double x[MAXM * MAXM / 2], y[MAXM * MAXM / 2], work[MAXM * MAXM];
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            n += lab[i] == c && lab[j] == c;
    if (n < 2)
        return SC_EDOM;
    double sum = 0;
    for (size_t d = 0; d < D; d++)
        for (size_t e = d + 1; e < D; e++) {
            size_t k = 0;
            for (size_t i = 0; i < m; i++)
                for (size_t j = i + 1; j < m; j++)
                    if (lab[i] == c && lab[j] == c) {
                        x[k] = s[d].data[i * m + j];
                        y[k] = s[e].data[i * m + j];
                        k++;
                    }
            sum += spearman ? gsl_stats_spearman(x, 1, y, 1, n, work)
                            : gsl_stats_correlation(x, 1, y, 1, n);
        }
    *out = sum / (double)(D * (D - 1) / 2);
    return SC_OK;
}

static int ref_contrast(const sc_matrix *s, size_t D, const size_t *lab,
                        size_t m, size_t c1, size_t c2, bool spearman,
                        double *out)
{
    double a, b;
    int st = ref_mean(s, D, lab, m, c1, spearman, &a);
    if (st == SC_OK)
        st = ref_mean(s, D, lab, m, c2, spearman, &b);
    if (st == SC_OK)
        *out = a - b;
    return st;
}

/* One random design: D datasets, m models, ncat categories; 300
 * labellings (shuffles of the first), each compared with the reference
 * and with sc_contrast_perm_stat. */
static void check_design(size_t D, size_t m, size_t ncat, double centre,
                         double w, sc_corr_method method, unsigned long seed)
{
    sc_matrix s[MAXD];
    make_sims(s, D, m, centre, w, seed);
    const sc_matrix *sims[MAXD];
    for (size_t d = 0; d < D; d++)
        sims[d] = &s[d];
    size_t lab[MAXM];
    for (size_t i = 0; i < m; i++)
        lab[i] = i % ncat;
    sc_contrast c = {sims, D, lab, m, 0, ncat - 1, method};
    sc_contrast_dots w_dots;
    sc_err err;
    expect_int(sc_contrast_dots_init(&w_dots, &c, &err), SC_OK, "init");
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed + 1);
    double worst_ref = 0, worst_old = 0;
    size_t defined = 0, status_ok = 0, nlab = 300;
    for (size_t r = 0; r < nlab; r++) {
        gsl_ran_shuffle(g, lab, m, sizeof lab[0]);
        double t_new = NAN, t_ref = NAN, t_old = NAN;
        int s_new = sc_contrast_dots_stat(lab, m, &w_dots, &t_new, &err);
        int s_ref = ref_contrast(s, D, lab, m, c.c1, c.c2,
                                 method == SC_CORR_SPEARMAN, &t_ref);
        int s_old = sc_contrast_perm_stat(lab, m, &c, &t_old, &err);
        /* At a spread of 1e-3 some of the 780 values lie within the tie
         * rule's 1.5e-8 of each other: our ranks tie them, GSL's do not,
         * so for Spearman there the per-pair engine is the reference. */
        if (method == SC_CORR_SPEARMAN && w < 0.01)
            t_ref = t_old;
        status_ok += s_new == s_ref && s_new == s_old;
        if (s_new != SC_OK || s_ref != SC_OK || s_old != SC_OK)
            continue;
        defined++;
        worst_ref = fmax(worst_ref, fabs(t_new - t_ref));
        worst_old = fmax(worst_old, fabs(t_new - t_old));
    }
    const char *mname = method == SC_CORR_SPEARMAN ? "spearman" : "pearson";
    expect_int((long long)status_ok, (long long)nlab,
               "D=%zu m=%zu %zu categories %s: same status for every "
               "labelling",
               D, m, ncat, mname);
    expect_true(defined > nlab / 2, "D=%zu m=%zu: %zu labellings defined", D, m,
                defined);
    expect_true(worst_ref <= TOL,
                "D=%zu m=%zu %zu categories %s (values %g +- %g): within "
                "1e-12 of the GSL reference (worst %.3g)",
                D, m, ncat, mname, centre, w, worst_ref);
    expect_true(worst_old <= TOL,
                "D=%zu m=%zu %zu categories %s: within 1e-12 of "
                "sc_contrast_perm_stat (worst %.3g)",
                D, m, ncat, mname, worst_old);
    gsl_rng_free(g);
    sc_contrast_dots_deinit(&w_dots);
    free_sims(s, D);
}

SC_TEST(statistic_matches_the_definition_per_labelling)
{
    /* Similarity-like values: near 0.9 with spread 0.02 (CKA between
     * related models), and uniform on [0, 1). */
    const struct {
        size_t D, m, ncat;
        double centre, w;
    } designs[] = {
        {2, 6, 2, 0.5, 1.0},   {3, 12, 2, 0.9, 0.02},  {5, 20, 3, 0.5, 1.0},
        {9, 33, 4, 0.9, 0.02}, {4, 40, 2, 0.97, 1e-3}, {9, 9, 3, 0.5, 1.0},
    };
    for (size_t k = 0; k < sizeof designs / sizeof designs[0]; k++)
        for (int method = 0; method < 2; method++)
            check_design(designs[k].D, designs[k].m, designs[k].ncat,
                         designs[k].centre, designs[k].w,
                         (sc_corr_method)method, 100 + 7 * k);
}

/* Both engines on the same labelling: same status, values within TOL. */
static void same_as_old(sc_contrast *c, const size_t *lab, int want,
                        const char *what)
{
    sc_contrast_dots w;
    sc_err err;
    expect_int(sc_contrast_dots_init(&w, c, &err), SC_OK, "%s: init", what);
    double t_new = NAN, t_old = NAN;
    int s_new = sc_contrast_dots_stat(lab, c->m, &w, &t_new, &err);
    int s_old = sc_contrast_perm_stat(lab, c->m, c, &t_old, &err);
    expect_int(s_new, want, "%s: status", what);
    expect_int(s_old, want, "%s: sc_contrast_perm_stat's status", what);
    if (want == SC_OK)
        expect_true(fabs(t_new - t_old) <= TOL, "%s: %.17g vs %.17g", what,
                    t_new, t_old);
    sc_contrast_dots_deinit(&w);
}

/* One edit of a matrix: every within-cat pair set to v (ALL), to v up to
 * relative 1e-10 (NEAR: tied by the tie rule, not equal), or one pair of
 * the category (ONE). */
enum { ALL, NEAR, ONE };
typedef struct edit {
    size_t d, cat;
    int kind;
    double v;
} edit;

static void apply(sc_matrix *s, const size_t *lab, size_t m, const edit *e)
{
    sc_matrix *x = &s[e->d];
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            if (lab[i] != e->cat || lab[j] != e->cat)
                continue;
            double v = e->kind == NEAR ? e->v * (1 + 1e-10 * (double)k) : e->v;
            if (e->kind != ONE || k == 0)
                x->data[i * m + j] = x->data[j * m + i] = v;
            k++;
        }
}

SC_TEST(edge_cases_give_the_same_status)
{
    enum { D = 5, M = 10 };
    sc_matrix s[D], keep[D];
    const sc_matrix *sims[D];
    make_sims(s, D, M, 0.5, 1.0, 7);
    make_sims(keep, D, M, 0.5, 1.0, 7);
    for (size_t d = 0; d < D; d++)
        sims[d] = &s[d];
    /* categories 0 (4 models), 1 (4), 2 (2 models: 1 pair) */
    const size_t lab[M] = {0, 1, 0, 1, 0, 1, 0, 1, 2, 2};
    const struct {
        edit e[2];
        size_t ne;
        int want;
        const char *what;
    } cases[] = {
        {{{0, 0, ALL, 0.3}}, 1, SC_EDOM, "dataset 0 constant over c1"},
        {{{3, 1, ALL, 0.3}}, 1, SC_EDOM, "dataset 3 constant over c2"},
        {{{2, 0, NEAR, 0.3}}, 1, SC_EDOM, "dataset 2 tied up to 1e-10"},
        {{{0, 0, ALL, 0.3}, {1, 0, ONE, NAN}},
         2,
         SC_ENUMERIC,
         "constant 0, NaN in 1"},
        {{{0, 0, ONE, NAN}, {1, 0, ALL, 0.3}},
         2,
         SC_ENUMERIC,
         "NaN in 0, constant 1"},
        {{{2, 0, ALL, 0.3}, {4, 0, ONE, INFINITY}},
         2,
         SC_EDOM,
         "constant 2, Inf in 4"},
        {{{2, 0, ONE, INFINITY}, {4, 0, ALL, 0.3}},
         2,
         SC_ENUMERIC,
         "Inf in 2, constant 4"},
        {{{1, 0, ALL, 0.3}, {0, 1, ONE, NAN}},
         2,
         SC_EDOM,
         "constant over c1, NaN over c2"},
        {{{0, 1, ONE, NAN}}, 1, SC_ENUMERIC, "NaN over c2"},
    };
    for (int method = 0; method < 2; method++) {
        sc_contrast c = {sims, D, lab, M, 0, 1, (sc_corr_method)method};
        same_as_old(&c, lab, SC_OK, "plain");
        c.c2 = 2;
        same_as_old(&c, lab, SC_EDOM, "a category with 1 pair");
        c.c2 = 3;
        same_as_old(&c, lab, SC_EDOM, "a category with no model");
        c.c2 = 1;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            for (size_t i = 0; i < cases[k].ne; i++)
                apply(s, lab, M, &cases[k].e[i]);
            char what[128];
            snprintf(what, sizeof what, "%s (%s)", cases[k].what,
                     method ? "spearman" : "pearson");
            same_as_old(&c, lab, cases[k].want, what);
            for (size_t d = 0; d < D; d++)
                memcpy(s[d].data, keep[d].data, M * M * sizeof(double));
        }
    }
    free_sims(s, D);
    free_sims(keep, D);
}

/* The permutation test with either statistic: identical p's and counts. */
static void same_test(sc_contrast *c, const sc_perm_opts *po, uint32_t seed,
                      const char *what)
{
    sc_contrast_dots w;
    sc_err err;
    sc_perm_result a, b;
    sc_rng r1, r2;
    sc_rng_init(&r1, seed, &err);
    sc_rng_init(&r2, seed, &err);
    expect_int(sc_contrast_dots_init(&w, c, &err), SC_OK, "%s: init", what);
    int s1 = sc_perm_labels(c->labels, c->m, sc_contrast_perm_stat, c, po,
                            po->exact ? NULL : &r1, &a, &err);
    int s2 = sc_perm_labels(c->labels, c->m, sc_contrast_dots_stat, &w, po,
                            po->exact ? NULL : &r2, &b, &err);
    expect_int(s1, SC_OK, "%s: per-pair engine", what);
    expect_int(s2, SC_OK, "%s: dot products", what);
    expect_true(a.p == b.p && a.p_greater == b.p_greater &&
                    a.p_less == b.p_less,
                "%s: p %.17g / %.17g, greater %.17g / %.17g", what, a.p, b.p,
                a.p_greater, b.p_greater);
    expect_int((long long)b.b, (long long)a.b, "%s: B", what);
    expect_int((long long)b.n_undefined, (long long)a.n_undefined,
               "%s: undefined", what);
    expect_true(fabs(a.null_mean - b.null_mean) <= TOL, "%s: null mean", what);
    expect_true(fabs(a.observed - b.observed) <= TOL, "%s: observed", what);
    sc_contrast_dots_deinit(&w);
    sc_rng_deinit(&r1);
    sc_rng_deinit(&r2);
}

SC_TEST(permutation_test_gives_the_same_p)
{
    enum { D = 4, M = 12 };
    sc_matrix s[D];
    const sc_matrix *sims[D];
    make_sims(s, D, M, 0.9, 0.02, 11);
    for (size_t d = 0; d < D; d++)
        sims[d] = &s[d];
    const size_t lab[M] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0};
    sc_contrast c = {sims, D, lab, M, 0, 1, SC_CORR_PEARSON};
    sc_perm_opts po = {999, SC_ALT_TWO_SIDED, false};
    same_test(&c, &po, 5, "random matrices");
    c.method = SC_CORR_SPEARMAN;
    same_test(&c, &po, 6, "random matrices, spearman");
    /* Block matrices: S_d[i][j] depends on the residues {i % 4, j % 4}
     * only (a random table per dataset), so every labelling that gives each
     * category the same residues as the true one (9 of the 924 labellings
     * of two groups of 6) reproduces T exactly: ties that rounding must not
     * flip. */
    const size_t lab4[M] = {0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1};
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 17);
    for (size_t d = 0; d < D; d++) {
        double table[4][4];
        for (size_t a = 0; a < 4; a++)
            for (size_t b = a; b < 4; b++)
                table[a][b] = table[b][a] = gsl_rng_uniform(g);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < M; j++)
                s[d].data[i * M + j] = table[i % 4][j % 4];
    }
    gsl_rng_free(g);
    c.labels = lab4;
    c.method = SC_CORR_PEARSON;
    same_test(&c, &po, 7, "block matrices");
    free_sims(s, D);
    /* Exact enumeration: 7! = 5040 arrangements. */
    enum { M7 = 7 };
    sc_matrix s7[3];
    const sc_matrix *sims7[3];
    make_sims(s7, 3, M7, 0.5, 1.0, 13);
    for (size_t d = 0; d < 3; d++)
        sims7[d] = &s7[d];
    const size_t lab7[M7] = {0, 0, 0, 1, 1, 1, 2};
    sc_contrast c7 = {sims7, 3, lab7, M7, 0, 1, SC_CORR_PEARSON};
    sc_perm_opts pe = {0, SC_ALT_TWO_SIDED, true};
    same_test(&c7, &pe, 0, "exact, m = 7");
    free_sims(s7, 3);
}

SC_TEST(arguments_and_allocation_failures)
{
    enum { D = 3, M = 6 };
    sc_matrix s[D];
    const sc_matrix *sims[D];
    make_sims(s, D, M, 0.5, 1.0, 3);
    for (size_t d = 0; d < D; d++)
        sims[d] = &s[d];
    const size_t lab[M] = {0, 1, 0, 1, 0, 1};
    sc_err err;
    sc_contrast_dots w;
    sc_contrast c = {sims, D, lab, M, 0, 0, SC_CORR_PEARSON};
    expect_int(sc_contrast_dots_init(&w, &c, &err), SC_EINVAL,
               "same category twice");
    c.c2 = 1;
    c.n_sims = 1;
    expect_int(sc_contrast_dots_init(&w, &c, &err), SC_EINVAL, "one matrix");
    c.n_sims = D;
    c.m = 5;
    expect_int(sc_contrast_dots_init(&w, &c, &err), SC_EINVAL,
               "matrices not m x m");
    c.m = M;
    expect_int(sc_contrast_dots_init(&w, &c, &err), SC_OK, "valid");
    double t;
    expect_int(sc_contrast_dots_stat(lab, M - 1, &w, &t, &err), SC_EINVAL,
               "wrong label count");
    sc_contrast_dots_deinit(&w);
    sc_contrast_dots_deinit(&w); /* safe twice */
    int rc = SC_ENOMEM, only_enomem = 1;
    long n;
    for (n = 1; n < 50 && rc != SC_OK; n++) {
        sc_mem_fail_after(n);
        rc = sc_contrast_dots_init(&w, &c, &err);
        sc_mem_fail_after(0);
        only_enomem &= rc == SC_OK || rc == SC_ENOMEM;
        if (rc == SC_OK)
            sc_contrast_dots_deinit(&w);
    }
    expect_true(only_enomem, "allocation failures are SC_ENOMEM");
    expect_int(rc, SC_OK, "init succeeds after %ld failures", n - 2);
    free_sims(s, D);
}

int main(void)
{
    return sc_test_run();
}
