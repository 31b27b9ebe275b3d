/* Unit tests for the statistics engine, part 4: Mantel tests and bootstrap
 * CIs of many dataset pairs over one shared stream (core/stats/stats_many.c).
 *
 * What is checked and where the expected values come from:
 * - Identity with the per-pair engine (exact, not a tolerance): for every
 *   dataset pair, sc_mantel_many's p and count equal sc_mantel's for that
 *   pair alone with an rng in the same state, and sc_boot_ci_many's bounds
 *   equal sc_boot_ci(sc_consistency_boot_stat) bit for bit; over all,
 *   within, between and anchor pair sets, Pearson and Spearman, percentile
 *   and BCa, three alternatives, exact enumeration, and matrices built so
 *   that many permutations give a statistic EQUAL to the observed one (the
 *   GEMM's rounding must not flip those counts: tie rule, core/num/tie.h).
 *   sc_mantel and sc_boot are pinned to independent references in
 *   test_stats_pinned.c and test_stats_boot.c; the replay of the shared
 *   stream itself is pinned in test_stats_pinned.c.
 * - Subset independence: a pair's p and CI are the same whether it is
 *   computed alone, with a few others, or with all.
 * - Monte-Carlo agreement with the per-task streams the runner used before
 *   (one stream per dataset pair): both are estimates of the same
 *   permutation p-value P with B draws, so p_shared - p_task has mean
 *   ~0 and sd sqrt(2 P (1 - P) / B) (binomial); every row must lie within
 *   5 sd + 2/(B+1) (per row a normal tail of 5.7e-7; over the 135 rows
 *   below, a false failure has probability < 1e-4 by the union bound; the
 *   seeds are fixed, so the verdict is deterministic). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../test.h"
#include "boot_ci.h"
#include "mat.h"
#include "mem.h"
#include "stats.h"
#include "stats_many.h"

#define MAXD 10

/* D symmetric m x m matrices: a shared random structure plus noise of
 * weight w each (GSL's own generator, seed fixed); blocks > 0 replaces
 * every value by one that depends only on the models' categories i % blocks
 * and j % blocks (many permutations then leave the statistic unchanged). */
static void make_sims(sc_matrix *s, size_t D, size_t m, double w, size_t blocks,
                      unsigned long seed)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    sc_err err;
    double *base = sc_calloc(m * m, sizeof *base);
    for (size_t i = 0; i < m * m; i++)
        base[i] = gsl_rng_uniform(g);
    for (size_t d = 0; d < D; d++) {
        sc_matrix_init(&s[d], m, m, &err);
        double noise[16][16];
        for (size_t i = 0; i < 16; i++)
            for (size_t j = 0; j < 16; j++)
                noise[i][j] = gsl_rng_uniform(g);
        for (size_t i = 0; i < m; i++)
            for (size_t j = i; j < m; j++) {
                size_t bi = blocks ? i % blocks : i,
                       bj = blocks ? j % blocks : j;
                size_t lo = bi < bj ? bi : bj, hi = bi < bj ? bj : bi;
                double v = i == j ? 1
                                  : (1 - w) * base[lo * m + hi] +
                                        w * noise[lo % 16][hi % 16];
                s[d].data[i * m + j] = s[d].data[j * m + i] = v;
            }
    }
    sc_free(base);
    gsl_rng_free(g);
}

typedef struct pairlist {
    size_t a[MAXD * MAXD], b[MAXD * MAXD], n;
} pairlist;

/* Every ordered pair a < b, plus two reversed ones (b's labels permuted,
 * so the direction matters). */
static void all_pairs(pairlist *pl, size_t D)
{
    pl->n = 0;
    for (size_t a = 0; a < D; a++)
        for (size_t b = a + 1; b < D; b++) {
            pl->a[pl->n] = a;
            pl->b[pl->n++] = b;
        }
    pl->a[pl->n] = 1;
    pl->b[pl->n++] = 0;
    pl->a[pl->n] = D - 1;
    pl->b[pl->n++] = 0;
}

/* Observed statistic of every pair (NaN when undefined). */
static void observed(const sc_matrix *s, const pairlist *pl, const sc_pairs *p,
                     sc_corr_method method, double *t)
{
    sc_err err;
    for (size_t q = 0; q < pl->n; q++)
        if (sc_corr_pairs(&s[pl->a[q]], &s[pl->b[q]], p, method, NULL, &t[q],
                          &err) != SC_OK)
            t[q] = NAN;
}

typedef struct config {
    size_t perms;
    bool exact;
    sc_alternative alt;
    sc_ci_opts ci;
} config;

/* The shared engine on pl against the per-pair engine, pair by pair, both
 * from seed: p, count and CI must be identical. Returns the shared p's. */
static void compare_engines(const sc_matrix *s, size_t D, const pairlist *pl,
                            const sc_pairs *p, sc_corr_method method,
                            const config *c, uint32_t seed, const char *what,
                            double *p_out, double *lo_out, double *hi_out)
{
    sc_err err;
    const sc_matrix *sims[MAXD];
    for (size_t d = 0; d < D; d++)
        sims[d] = &s[d];
    double t[MAXD * MAXD], pv[MAXD * MAXD], lo[MAXD * MAXD], hi[MAXD * MAXD];
    size_t nperm[MAXD * MAXD];
    observed(s, pl, p, method, t);
    sc_many mp = {sims, D, p, method, pl->a, pl->b, pl->n};
    sc_mantel_opts mo = {method, c->alt, c->perms, c->exact};
    sc_rng rng;
    sc_rng_init(&rng, seed, &err);
    expect_int(
        sc_mantel_many(&mp, &mo, t, c->exact ? NULL : &rng, pv, nperm, &err),
        SC_OK, "%s: sc_mantel_many runs (%s)", what, err.msg);
    expect_int(sc_boot_ci_many(&mp, &c->ci, t, &rng, lo, hi, &err), SC_OK,
               "%s: sc_boot_ci_many runs (%s)", what, err.msg);
    sc_rng_deinit(&rng);
    for (size_t q = 0; q < pl->n; q++) {
        sc_rng one;
        sc_rng_init(&one, seed, &err);
        sc_mantel_result mr;
        int st = sc_mantel(sims[pl->a[q]], sims[pl->b[q]], p, &mo,
                           c->exact ? NULL : &one, &mr, &err);
        if (isnan(t[q])) {
            expect_true(isnan(pv[q]) && nperm[q] == 0,
                        "%s pair %zu: undefined r gives no p", what, q);
        } else if (st == SC_OK && fabs(t[q]) < 1e-12) {
            /* r is mathematically 0 (a rank correlation over 4 pairs can
             * be): computed as +-1e-17 by either engine, and the relative
             * tie rule does not tie values at 0 (its documented exception,
             * core/num/tie.h), so both counts depend on rounding there,
             * the per-pair engine's across CPUs too. Only the range. */
            expect_true(pv[q] > 0 && pv[q] <= 1 && nperm[q] == mr.b,
                        "%s pair %zu,%zu (r = 0): p %.4g in (0, 1]", what,
                        pl->a[q], pl->b[q], pv[q]);
        } else if (st == SC_OK) {
            expect_true(pv[q] == mr.p && nperm[q] == mr.b,
                        "%s pair %zu,%zu (r %.17g): p %.17g (B %zu) == "
                        "per-pair %.17g (B %zu)",
                        what, pl->a[q], pl->b[q], t[q], pv[q], nperm[q], mr.p,
                        mr.b);
        } else {
            /* Undefined under every permutation (they were drawn). */
            expect_true(st == SC_EDOM && isnan(pv[q]),
                        "%s pair %zu: per-pair EDOM, shared NaN", what, q);
        }
        sc_consistency cs = {sims[pl->a[q]], sims[pl->b[q]], p, method};
        double l1 = NAN, h1 = NAN;
        if (!isnan(t[q]))
            expect_int(sc_boot_ci(p->m, sc_consistency_boot_stat, &cs, &c->ci,
                                  &one, &l1, &h1, &err),
                       SC_OK, "%s pair %zu: sc_boot_ci runs", what, q);
        expect_true(memcmp(&l1, &lo[q], sizeof l1) == 0 &&
                        memcmp(&h1, &hi[q], sizeof h1) == 0,
                    "%s pair %zu,%zu: CI [%.17g, %.17g] == per-pair [%.17g, "
                    "%.17g] bit for bit",
                    what, pl->a[q], pl->b[q], lo[q], hi[q], l1, h1);
        sc_rng_deinit(&one);
        if (p_out != NULL) {
            p_out[q] = pv[q];
            lo_out[q] = lo[q];
            hi_out[q] = hi[q];
        }
    }
}

/* The pair sets of the tests: all, within category 0, between 0 and 1,
 * anchor 2 with category 1 (categories i % 3). */
static void make_sets(sc_pairs *sets, size_t m)
{
    sc_err err;
    size_t cat[64];
    for (size_t i = 0; i < m; i++)
        cat[i] = i % 3;
    sc_pairs_init_all(&sets[0], m, &err);
    sc_pairs_init_within(&sets[1], cat, m, 0, &err);
    sc_pairs_init_between(&sets[2], cat, m, 0, 1, &err);
    sc_pairs_init_anchor(&sets[3], cat, m, 2, 1, &err);
}

SC_TEST(many_pairs_equal_the_per_pair_engine)
{
    const size_t D = 5, m = 12;
    sc_matrix s[MAXD];
    make_sims(s, D, m, 0.6, 0, 11);
    sc_pairs sets[4];
    make_sets(sets, m);
    pairlist pl;
    all_pairs(&pl, D);
    const char *set_name[] = {"all", "within", "between", "anchor"};
    const char *alt_name[] = {"greater", "less", "two-sided"};
    char what[128];
    for (size_t k = 0; k < 4; k++)
        for (int meth = 0; meth < 2; meth++)
            for (int alt = 0; alt < 3; alt++) {
                config c = {199,
                            false,
                            (sc_alternative)alt,
                            {60, 0.9, alt == 1 ? SC_CI_PERCENTILE : SC_CI_BCA}};
                snprintf(what, sizeof what, "%s %s %s", set_name[k],
                         meth ? "spearman" : "pearson", alt_name[alt]);
                compare_engines(s, D, &pl, &sets[k],
                                meth ? SC_CORR_SPEARMAN : SC_CORR_PEARSON, &c,
                                sc_rng_task_seed(7, what), what, NULL, NULL,
                                NULL);
            }
    for (size_t k = 0; k < 4; k++)
        sc_pairs_deinit(&sets[k]);
    for (size_t d = 0; d < D; d++)
        sc_matrix_deinit(&s[d]);
}

/* m = 6 (720 permutations, enumerated) and block matrices whose value
 * depends only on i % 3, j % 3: every permutation that keeps the classes
 * gives T* == T mathematically, computed differently by the GEMM and by
 * GSL; the counts must still agree. */
SC_TEST(many_pairs_exact_and_tied_statistics)
{
    const size_t D = 4;
    sc_matrix s[MAXD];
    pairlist pl;
    all_pairs(&pl, D);
    char what[128];
    for (int blocks = 0; blocks < 2; blocks++) {
        size_t m = blocks ? 9 : 6;
        make_sims(s, D, m, 0.5, blocks ? 3 : 0, 23);
        sc_pairs all;
        sc_err err;
        sc_pairs_init_all(&all, m, &err);
        for (int meth = 0; meth < 2; meth++) {
            config c = {blocks ? 2000 : 0,
                        !blocks,
                        SC_ALT_GREATER,
                        {40, 0.9, SC_CI_BCA}};
            snprintf(what, sizeof what, "%s m=%zu %s",
                     blocks ? "tied blocks" : "exact", m,
                     meth ? "spearman" : "pearson");
            compare_engines(s, D, &pl, &all,
                            meth ? SC_CORR_SPEARMAN : SC_CORR_PEARSON, &c,
                            sc_rng_task_seed(9, what), what, NULL, NULL, NULL);
        }
        sc_pairs_deinit(&all);
        for (size_t d = 0; d < D; d++)
            sc_matrix_deinit(&s[d]);
    }
}

/* A pair's p and CI do not depend on the other pairs computed with it. */
SC_TEST(many_pairs_subset_independent)
{
    const size_t D = 6, m = 10;
    sc_matrix s[MAXD];
    make_sims(s, D, m, 0.7, 0, 5);
    sc_pairs sets[4];
    make_sets(sets, m);
    pairlist full, sub;
    all_pairs(&full, D);
    const size_t pick[] = {3, 7, 11};
    sub.n = 3;
    for (size_t k = 0; k < 3; k++) {
        sub.a[k] = full.a[pick[k]];
        sub.b[k] = full.b[pick[k]];
    }
    config c = {299, false, SC_ALT_GREATER, {80, 0.95, SC_CI_BCA}};
    double pf[MAXD * MAXD], lf[MAXD * MAXD], hf[MAXD * MAXD];
    double ps[3], ls[3], hs[3];
    for (size_t k = 0; k < 4; k++) {
        compare_engines(s, D, &full, &sets[k], SC_CORR_PEARSON, &c, 4242,
                        "subset: full", pf, lf, hf);
        compare_engines(s, D, &sub, &sets[k], SC_CORR_PEARSON, &c, 4242,
                        "subset: three pairs", ps, ls, hs);
        for (size_t j = 0; j < 3; j++)
            expect_true(memcmp(&ps[j], &pf[pick[j]], sizeof ps[j]) == 0 &&
                            memcmp(&ls[j], &lf[pick[j]], sizeof ls[j]) == 0 &&
                            memcmp(&hs[j], &hf[pick[j]], sizeof hs[j]) == 0,
                        "set %zu pair %zu: same p and CI alone and with all", k,
                        pick[j]);
    }
    for (size_t k = 0; k < 4; k++)
        sc_pairs_deinit(&sets[k]);
    for (size_t d = 0; d < D; d++)
        sc_matrix_deinit(&s[d]);
}

/* Shared stream against one stream per pair (the old runner's seeding):
 * equal within Monte-Carlo error (bound in the file comment). */
SC_TEST(many_pairs_agree_with_per_task_streams_within_mc_error)
{
    const size_t D = 10, m = 12, B = 999;
    sc_matrix s[MAXD];
    /* Heavy noise: p-values spread over (0, 1), not all at 1/(B+1). */
    make_sims(s, D, m, 0.93, 0, 77);
    sc_pairs sets[4];
    make_sets(sets, m);
    pairlist pl;
    all_pairs(&pl, D);
    pl.n -= 2; /* the 45 pairs a < b, as the table has them */
    const sc_matrix *sims[MAXD];
    for (size_t d = 0; d < D; d++)
        sims[d] = &s[d];
    size_t rows = 0, mid = 0, worst_q = 0;
    double worst = 0;
    sc_err err;
    for (size_t k = 0; k < 3; k++) {
        double t[MAXD * MAXD], pv[MAXD * MAXD];
        size_t nperm[MAXD * MAXD];
        observed(s, &pl, &sets[k], SC_CORR_PEARSON, t);
        sc_many mp = {sims, D, &sets[k], SC_CORR_PEARSON, pl.a, pl.b, pl.n};
        sc_mantel_opts mo = {SC_CORR_PEARSON, SC_ALT_GREATER, B, false};
        sc_rng rng;
        sc_rng_init(&rng, sc_rng_task_seed(13, "shared"), &err);
        sc_mantel_many(&mp, &mo, t, &rng, pv, nperm, &err);
        sc_rng_deinit(&rng);
        for (size_t q = 0; q < pl.n; q++) {
            char id[64];
            snprintf(id, sizeof id, "consistency/%zu/%zu/%zu", pl.a[q], pl.b[q],
                     k);
            sc_rng one;
            sc_rng_init(&one, sc_rng_task_seed(13, id), &err);
            sc_mantel_result mr;
            expect_int(sc_mantel(sims[pl.a[q]], sims[pl.b[q]], &sets[k], &mo,
                                 &one, &mr, &err),
                       SC_OK, "per-task mantel %s", id);
            sc_rng_deinit(&one);
            double pbar = 0.5 * (mr.p + pv[q]);
            double bound = 5 * sqrt(2 * pbar * (1 - pbar) / (double)B) +
                           2.0 / (double)(B + 1);
            double dev = fabs(pv[q] - mr.p);
            if (dev / bound > worst) {
                worst = dev / bound;
                worst_q = rows;
            }
            expect_true(dev <= bound,
                        "%s: shared p %.4f vs per-task p %.4f within %.4f", id,
                        pv[q], mr.p, bound);
            mid += mr.p > 0.05 && mr.p < 0.95;
            rows++;
        }
    }
    expect_int((long long)rows, 135, "rows compared");
    /* Not vacuous: most rows have a p far from both ends. */
    expect_true(mid >= 60, "%zu of %zu rows with 0.05 < p < 0.95", mid, rows);
    expect_true(worst <= 1, "largest deviation %.2f of the bound (row %zu)",
                worst, worst_q);
    for (size_t k = 0; k < 4; k++)
        sc_pairs_deinit(&sets[k]);
    for (size_t d = 0; d < D; d++)
        sc_matrix_deinit(&s[d]);
}

SC_TEST(many_pairs_reject_bad_input)
{
    const size_t m = 6;
    sc_matrix s[MAXD];
    make_sims(s, 2, m, 0.5, 0, 3);
    sc_matrix small;
    sc_err err;
    sc_matrix_init(&small, 4, 4, &err);
    const sc_matrix *sims[3] = {&s[0], &s[1], &small};
    sc_pairs all;
    sc_pairs_init_all(&all, m, &err);
    size_t a[1] = {0}, b[1] = {2};
    double t[1] = {0.5}, pv[1], lo[1], hi[1];
    size_t nperm[1];
    sc_many mp = {sims, 3, &all, SC_CORR_PEARSON, a, b, 1};
    sc_mantel_opts mo = {SC_CORR_PEARSON, SC_ALT_GREATER, 9, false};
    sc_rng rng;
    sc_rng_init(&rng, 1, &err);
    expect_int(sc_mantel_many(&mp, &mo, t, &rng, pv, nperm, &err), SC_EINVAL,
               "a 4x4 matrix in a 6-model set is rejected");
    s[1].data[1] = NAN; /* (0, 1) */
    s[1].data[m] = NAN;
    mp.nsims = 2;
    b[0] = 1;
    expect_int(sc_mantel_many(&mp, &mo, t, &rng, pv, nperm, &err), SC_ENUMERIC,
               "a non-finite similarity is an error");
    sc_ci_opts co = {1, 0.95, SC_CI_BCA};
    expect_int(sc_boot_ci_many(&mp, &co, t, &rng, lo, hi, &err), SC_EINVAL,
               "B = 1 is rejected");
    sc_rng_deinit(&rng);
    sc_pairs_deinit(&all);
    sc_matrix_deinit(&small);
    sc_matrix_deinit(&s[0]);
    sc_matrix_deinit(&s[1]);
}

int main(void)
{
    return sc_test_run();
}
