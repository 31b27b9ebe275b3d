/* Unit tests for the statistics engine, part 3: permutation p-values pinned
 * to their exact values, not to a tolerance.
 *
 * Monte-Carlo p-values are tested against an independent implementation
 * that uses the SAME permutations: this file replays the stream itself with
 * GSL directly (gsl_rng_mt19937 seeded with the task seed, one
 * gsl_ran_shuffle of the running permutation per replicate, as documented
 * in core/stats/stats.h and docs/FORMULAS.md), computes each permuted statistic
 * with its own Pearson correlation (below; no simcon code), counts the
 * replicates as extreme as the observed one with the documented tie rule,
 * and requires p == (1 + count) / (1 + B) to the last bit. A formula error
 * of order 1/B, e.g. (1 + count) / B or count / B, or a wrong tail, changes
 * p and fails here; a tolerance of several sd could not see it.
 *
 * Direction and sidedness on rows of known sign: with b = a (r = 1), the
 * 'greater' and 'two-sided' p is 1/(B+1) exactly when no replicate reaches
 * r = 1 (the replay counts that); with b = -a (r = -1), 'greater' gives
 * p = 1 and 'less' 1/(B+1).
 *
 * Exact mode with small m is pinned in tests/unit/test_stats.c (counts from
 * the numpy enumeration of all permutations in tests/stat/ref_unit.py). */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../test.h"
#include "mat.h"
#include "mem.h"
#include "stats.h"
#include "stats_many.h"

#define M 7
/* Tie rule (docs/FORMULAS.md): a and b are tied when a == b or
 * |a - b| <= RTOL max(|a|, |b|), RTOL = sqrt(DBL_EPSILON). */
#define TIE_RTOL 1.4901161193847656e-08

/* A fixed 7-model similarity matrix (values typed by hand, no structure). */
static const double A7[M][M] = {
    {1, .81, .35, .56, .12, .77, .43}, {.81, 1, .24, .69, .31, .58, .66},
    {.35, .24, 1, .41, .92, .18, .27}, {.56, .69, .41, 1, .37, .64, .71},
    {.12, .31, .92, .37, 1, .22, .49}, {.77, .58, .18, .64, .22, 1, .33},
    {.43, .66, .27, .71, .49, .33, 1}};
/* Loosely related to A7 (about r = 0.5 over the 21 pairs). */
static const double B7[M][M] = {
    {1, .62, .51, .33, .28, .70, .15}, {.62, 1, .19, .74, .45, .39, .58},
    {.51, .19, 1, .22, .66, .47, .36}, {.33, .74, .22, 1, .29, .81, .63},
    {.28, .45, .66, .29, 1, .14, .55}, {.70, .39, .47, .81, .14, 1, .26},
    {.15, .58, .36, .63, .55, .26, 1}};

static void fill(sc_matrix *s, const double v[M][M], double sign)
{
    sc_err err;
    sc_matrix_init(s, M, M, &err);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < M; j++)
            s->data[i * M + j] = i == j ? 1.0 : sign * v[i][j];
}

/* Plain two-pass Pearson correlation; returns NAN if undefined. */
static double pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0;
    for (size_t k = 0; k < n; k++) {
        mx += x[k];
        my += y[k];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t k = 0; k < n; k++) {
        sxy += (x[k] - mx) * (y[k] - my);
        sxx += (x[k] - mx) * (x[k] - mx);
        syy += (y[k] - my) * (y[k] - my);
    }
    if (sxx == 0 || syy == 0)
        return (double)NAN;
    return sxy / sqrt(sxx * syy);
}

static int tied(double a, double b)
{
    return a == b || fabs(a - b) <= TIE_RTOL * fmax(fabs(a), fabs(b));
}

static int extreme(double t, double t_obs, sc_alternative alt)
{
    if (alt == SC_ALT_GREATER)
        return tied(t, t_obs) || t > t_obs;
    if (alt == SC_ALT_LESS)
        return tied(t, t_obs) || t < t_obs;
    return tied(fabs(t), fabs(t_obs)) || fabs(t) > fabs(t_obs);
}

/* Replays B random permutations of b's model labels over all pairs i < j
 * and counts the extreme ones; *b_def gets the number of defined ones. */
static size_t replay_mantel(const double *a, const double *b, uint32_t seed,
                            size_t perms, sc_alternative alt, size_t *b_def,
                            double *t_obs)
{
    double x[M * M], y[M * M];
    size_t n = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = i + 1; j < M; j++) {
            x[n] = a[i * M + j];
            y[n++] = b[i * M + j];
        }
    *t_obs = pearson(x, y, n);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    size_t pi[M];
    for (size_t i = 0; i < M; i++)
        pi[i] = i;
    size_t count = 0;
    *b_def = 0;
    for (size_t r = 0; r < perms; r++) {
        gsl_ran_shuffle(g, pi, M, sizeof pi[0]);
        size_t k = 0;
        for (size_t i = 0; i < M; i++)
            for (size_t j = i + 1; j < M; j++)
                y[k++] = b[pi[i] * M + pi[j]]; /* b is symmetric */
        double t = pearson(x, y, n);
        if (isnan(t))
            continue;
        (*b_def)++;
        count += (size_t)extreme(t, *t_obs, alt);
    }
    gsl_rng_free(g);
    return count;
}

static void check_mantel(const sc_matrix *a, const sc_matrix *b, size_t perms,
                         sc_alternative alt, const char *what)
{
    sc_err err;
    sc_pairs p;
    sc_pairs_init_all(&p, M, &err);
    uint32_t seed = sc_rng_task_seed(20, what);
    sc_rng rng;
    sc_rng_init(&rng, seed, &err);
    sc_mantel_opts o = {SC_CORR_PEARSON, alt, perms, false};
    sc_mantel_result res;
    expect_int(sc_mantel(a, b, &p, &o, &rng, &res, &err), SC_OK, "%s: runs",
               what);
    size_t b_def;
    double t_obs;
    size_t count =
        replay_mantel(a->data, b->data, seed, perms, alt, &b_def, &t_obs);
    double want = (double)(1 + count) / (double)(1 + b_def);
    expect_int((long long)res.b, (long long)b_def, "%s: B = %zu", what, perms);
    expect_true(res.p == want,
                "%s: p = %.17g is (1 + %zu) / (1 + %zu) = %.17g exactly", what,
                res.p, count, b_def, want);
    expect_rel(res.r, t_obs, 1e-12, "%s: observed r", what);
    sc_rng_deinit(&rng);
    sc_pairs_deinit(&p);
}

SC_TEST(mantel_random_p_matches_replayed_permutations)
{
    sc_matrix a, b;
    fill(&a, A7, 1);
    fill(&b, B7, 1);
    const size_t perms[] = {9, 99, 999};
    const char *alt_name[] = {"greater", "less", "two-sided"};
    char what[96];
    for (size_t k = 0; k < 3; k++)
        for (int alt = 0; alt < 3; alt++) {
            snprintf(what, sizeof what, "B=%zu %s", perms[k], alt_name[alt]);
            check_mantel(&a, &b, perms[k], (sc_alternative)alt, what);
        }
    sc_matrix_deinit(&a);
    sc_matrix_deinit(&b);
}

/* Known sign: b = a gives r = 1, b = -a gives r = -1. */
SC_TEST(mantel_direction_and_sidedness)
{
    sc_matrix a, neg;
    fill(&a, A7, 1);
    fill(&neg, A7, -1);
    sc_err err;
    sc_pairs p;
    sc_pairs_init_all(&p, M, &err);
    const size_t B = 999;
    struct {
        const sc_matrix *b;
        sc_alternative alt;
        int min_p; /* 1: p = 1/(B+1); 0: p = 1 */
        const char *what;
    } rows[] = {
        {&a, SC_ALT_GREATER, 1, "r = 1, greater"},
        {&a, SC_ALT_TWO_SIDED, 1, "r = 1, two-sided"},
        {&a, SC_ALT_LESS, 0, "r = 1, less"},
        {&neg, SC_ALT_GREATER, 0, "r = -1, greater"},
        {&neg, SC_ALT_LESS, 1, "r = -1, less"},
        {&neg, SC_ALT_TWO_SIDED, 1, "r = -1, two-sided"},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        uint32_t seed = sc_rng_task_seed(2026, rows[k].what);
        sc_rng rng;
        sc_rng_init(&rng, seed, &err);
        sc_mantel_opts o = {SC_CORR_PEARSON, rows[k].alt, B, false};
        sc_mantel_result res;
        expect_int(sc_mantel(&a, rows[k].b, &p, &o, &rng, &res, &err), SC_OK,
                   "%s: runs", rows[k].what);
        size_t b_def;
        double t_obs;
        size_t count = replay_mantel(a.data, rows[k].b->data, seed, B,
                                     rows[k].alt, &b_def, &t_obs);
        expect_rel(fabs(res.r), 1.0, 1e-15, "%s: |r| = 1", rows[k].what);
        if (rows[k].min_p) {
            /* 7! = 5040 labellings: the replay confirms no replicate drew
             * the identity (or an automorphism) for these seeds. */
            expect_int((long long)count, 0, "%s: no replicate reaches |r| = 1",
                       rows[k].what);
            expect_true(res.p == 1.0 / (double)(B + 1),
                        "%s: p = %.17g is 1/(B+1) = 1/1000", rows[k].what,
                        res.p);
        } else {
            expect_true(res.p == 1.0,
                        "%s: p = %.17g is 1 (every replicate "
                        "is at least as extreme)",
                        rows[k].what, res.p);
        }
        expect_true(rows[k].min_p || res.p >= 0.5,
                    "%s: wrong-direction p >= 0.5", rows[k].what);
        sc_rng_deinit(&rng);
    }
    sc_pairs_deinit(&p);
    sc_matrix_deinit(&a);
    sc_matrix_deinit(&neg);
}

/* Label permutation (contrasts, behaviour means): the statistic is the
 * difference of the mean of v over label 0 and label 1. */
static const double V8[8] = {0.91, 0.42, 0.77, 0.15, 0.66, 0.38, 0.83, 0.29};
static const size_t L8[8] = {0, 1, 0, 1, 0, 1, 1, 0};

static double mean_diff(const size_t *lab)
{
    double s[2] = {0, 0};
    size_t c[2] = {0, 0};
    for (size_t i = 0; i < 8; i++) {
        s[lab[i]] += V8[i];
        c[lab[i]]++;
    }
    return s[0] / (double)c[0] - s[1] / (double)c[1];
}

static int stat_mean_diff(const size_t *labels, size_t m, void *ud, double *out,
                          sc_err *err)
{
    (void)m;
    (void)ud;
    (void)err;
    *out = mean_diff(labels);
    return SC_OK;
}

SC_TEST(label_permutation_p_matches_replayed_permutations)
{
    const size_t perms[] = {9, 99, 999};
    const char *alt_name[] = {"greater", "less", "two-sided"};
    for (size_t k = 0; k < 3; k++)
        for (int alt = 0; alt < 3; alt++) {
            char what[96];
            snprintf(what, sizeof what, "labels B=%zu %s", perms[k],
                     alt_name[alt]);
            uint32_t seed = sc_rng_task_seed(20, what);
            sc_rng rng;
            sc_err err;
            sc_rng_init(&rng, seed, &err);
            sc_perm_opts o = {perms[k], (sc_alternative)alt, false};
            sc_perm_result res;
            expect_int(sc_perm_labels(L8, 8, stat_mean_diff, NULL, &o, &rng,
                                      &res, &err),
                       SC_OK, "%s: runs", what);
            /* Replay: the label array is shuffled in place each replicate;
             * both tails are counted. */
            gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(g, seed);
            size_t lab[8];
            for (size_t i = 0; i < 8; i++)
                lab[i] = L8[i];
            double t_obs = mean_diff(lab);
            size_t ge = 0, le = 0;
            for (size_t r = 0; r < perms[k]; r++) {
                gsl_ran_shuffle(g, lab, 8, sizeof lab[0]);
                double t = mean_diff(lab);
                ge += (size_t)extreme(t, t_obs, SC_ALT_GREATER);
                le += (size_t)extreme(t, t_obs, SC_ALT_LESS);
            }
            gsl_rng_free(g);
            double pg = (double)(1 + ge) / (double)(1 + perms[k]);
            double pl = (double)(1 + le) / (double)(1 + perms[k]);
            expect_true(res.p_greater == pg,
                        "%s: p_greater = %.17g is (1 + %zu) / (1 + %zu)", what,
                        res.p_greater, ge, perms[k]);
            expect_true(res.p_less == pl,
                        "%s: p_less = %.17g is (1 + %zu) / (1 + %zu)", what,
                        res.p_less, le, perms[k]);
            /* The label test's two-sided p doubles the smaller tail
             * (docs/STATISTICS.md), capped at 1. */
            double want = alt == SC_ALT_GREATER ? pg
                          : alt == SC_ALT_LESS  ? pl
                                                : fmin(1.0, 2.0 * fmin(pg, pl));
            expect_true(res.p == want, "%s: p = %.17g, want %.17g", what, res.p,
                        want);
            expect_int((long long)res.b, (long long)perms[k], "%s: B", what);
            sc_rng_deinit(&rng);
        }
}

/* The shared stream of many dataset pairs (stats_many.h; the runner's
 * consistency rows of one metric and model set, docs/FORMULAS.md): ONE
 * mt19937 stream, one gsl_ran_shuffle of the running permutation per
 * replicate, and every pair (a, b) evaluated on that same permutation of
 * b's labels. Replayed here for three matrices and four ordered pairs
 * (reversed ones included: only b is permuted), with this file's Pearson
 * and tie rule; p must be (1 + count) / (1 + B) of the replay exactly. */
SC_TEST(mantel_many_p_matches_one_replayed_stream)
{
    sc_matrix s[3];
    fill(&s[0], A7, 1);
    /* B7 and a mix of A7 and B7 with relabelled models (symmetric; values
     * chosen so that the pairs' p-values spread out). */
    sc_matrix_init(&s[1], M, M, &(sc_err){0});
    sc_matrix_init(&s[2], M, M, &(sc_err){0});
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < M; j++) {
            s[1].data[i * M + j] = i == j ? 1 : B7[(i + 2) % M][(j + 2) % M];
            s[2].data[i * M + j] = i == j
                                       ? 1
                                       : 0.5 * A7[(i + 1) % M][(j + 1) % M] +
                                             0.5 * B7[(i + 4) % M][(j + 4) % M];
        }
    const sc_matrix *sims[3] = {&s[0], &s[1], &s[2]};
    const size_t qa[4] = {0, 0, 1, 2}, qb[4] = {1, 2, 2, 0};
    sc_err err;
    sc_pairs p;
    sc_pairs_init_all(&p, M, &err);
    const size_t B = 999;
    const uint32_t seed = sc_rng_task_seed(20250713, "consistency/cka/all");
    double t_obs[4], pv[4];
    size_t nperm[4];
    for (size_t q = 0; q < 4; q++)
        sc_corr_pairs(sims[qa[q]], sims[qb[q]], &p, SC_CORR_PEARSON, NULL,
                      &t_obs[q], &err);
    sc_many mp = {sims, 3, &p, SC_CORR_PEARSON, qa, qb, 4};
    sc_mantel_opts o = {SC_CORR_PEARSON, SC_ALT_GREATER, B, false};
    sc_rng rng;
    sc_rng_init(&rng, seed, &err);
    expect_int(sc_mantel_many(&mp, &o, t_obs, &rng, pv, nperm, &err), SC_OK,
               "shared stream: runs");
    sc_rng_deinit(&rng);

    /* The replay: GSL directly, no simcon statistics code. */
    double x[4][M * M], y[M * M];
    size_t n = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = i + 1; j < M; j++, n++)
            for (size_t q = 0; q < 4; q++)
                x[q][n] = sims[qa[q]]->data[i * M + j];
    double t0[4];
    for (size_t q = 0; q < 4; q++) {
        for (size_t i = 0, k = 0; i < M; i++)
            for (size_t j = i + 1; j < M; j++)
                y[k++] = sims[qb[q]]->data[i * M + j];
        t0[q] = pearson(x[q], y, n);
    }
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    size_t pi[M], count[4] = {0}, def[4] = {0};
    for (size_t i = 0; i < M; i++)
        pi[i] = i;
    for (size_t r = 0; r < B; r++) {
        gsl_ran_shuffle(g, pi, M, sizeof pi[0]);
        for (size_t q = 0; q < 4; q++) {
            const double *b = sims[qb[q]]->data;
            for (size_t i = 0, k = 0; i < M; i++)
                for (size_t j = i + 1; j < M; j++)
                    y[k++] = b[pi[i] * M + pi[j]];
            double t = pearson(x[q], y, n);
            if (isnan(t))
                continue;
            def[q]++;
            count[q] += (size_t)extreme(t, t0[q], SC_ALT_GREATER);
        }
    }
    gsl_rng_free(g);
    for (size_t q = 0; q < 4; q++) {
        double want = (double)(1 + count[q]) / (double)(1 + def[q]);
        expect_true(pv[q] == want && nperm[q] == def[q],
                    "pair (%zu, %zu): p = %.17g is (1 + %zu) / (1 + %zu) = "
                    "%.17g exactly",
                    qa[q], qb[q], pv[q], count[q], def[q], want);
        expect_rel(t_obs[q], t0[q], 1e-12, "pair (%zu, %zu): observed r", qa[q],
                   qb[q]);
    }
    /* Not vacuous: the pairs' p differ, and none is at the floor. */
    expect_true(pv[0] != pv[1] && pv[1] != pv[2] && pv[0] > 2.0 / (B + 1),
                "distinct p per pair (%.4f, %.4f, %.4f, %.4f)", pv[0], pv[1],
                pv[2], pv[3]);
    sc_pairs_deinit(&p);
    for (size_t k = 0; k < 3; k++)
        sc_matrix_deinit(&s[k]);
}

int main(void)
{
    return sc_test_run();
}
