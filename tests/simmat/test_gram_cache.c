/* The shared Gram matrix (host->gram, core/host/gram.h; issue 13 item 1).
 *
 * The paper's three metrics (experiments/paper.yaml: cka kernel=linear,
 * cka kernel=rbf sigma=0.4, rsa rdm=correlation corr=spearman) all derive
 * their states from the Gram of the same column-centred features. In one
 * pass of the multi-metric engine (sc_simmat_compute_multi) they must
 *   - compute exactly one Gram per representation (sc_gram_computed), and
 *     three without the cache (SIMCON_GRAM_CACHE=off);
 *   - give bit-identical matrices with and without the cache, and equal to
 *     the one-metric engine (sc_simmat_compute) of each metric bit for bit;
 *   - be bit-identical at 1 and 2 threads;
 *   - equal the pairwise definition (compare(prepare(X_i), prepare(X_j)),
 *     each prepare with its own Gram) within 1e-12: the expected values do
 *     not come from the engine under test.
 * The same for their precision=float32 variants (one float32 Gram), and
 * for a job list that also holds a metric without an embedding (knn) and
 * one whose states mix embedding lengths (cka path=auto with a narrow
 * representation): those are computed on their own, bit-identical to the
 * one-metric engine. Jobs of one pass keep their own E precision
 * (sc_simmat_job.float32, as simcon run sets it per metric). Inputs: m = 5
 * representations, n = 40 stimuli, widths 12..64, rows L2-normalised as the
 * paper does (fixed-seed GSL mt19937). */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "../test_plugin.h"
#include "gram.h"
#include "init.h"
#include "loader.h"
#include "mat.h"
#include "mem.h"
#include "metric.h"
#include "simmat.h"

#define M 5
#define N 40
#define MAXJ 5

static sc_matrix reps[M];
static sc_mat views[M];

static void make_reps(size_t narrow)
{
    static const size_t widths[M] = {12, 64, 30, 47, 21};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1313);
    double z[N * 4];
    for (size_t i = 0; i < N * 4; i++)
        z[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < M; k++) {
        size_t d = k == 0 && narrow ? narrow : widths[k];
        sc_matrix_deinit(&reps[k]);
        sc_matrix_init(&reps[k], N, d, NULL);
        for (size_t i = 0; i < N; i++) {
            double nrm = 0.0;
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t q = 0; q < 4; q++)
                    s += z[i * 4 + q] *
                         cos(0.9 * (double)(j + 1) * (double)(q + 1) +
                             (double)k);
                double v =
                    fabs(k % 2 ? tanh(s) : s) + 0.3 * gsl_ran_gaussian(r, 1.0);
                reps[k].data[i * d + j] = v;
                nrm += v * v;
            }
            for (size_t j = 0; j < d; j++)
                reps[k].data[i * d + j] /= sqrt(nrm);
        }
        views[k] = sc_matrix_view(&reps[k]);
    }
    gsl_rng_free(r);
}

typedef struct cfg {
    const char *plugin, *params;
} cfg;

static void parse(const sc_plugin *p, const char *text, sc_argset *a)
{
    sc_err err;
    if (sc_test_args(p, text, a, &err) != SC_OK) {
        printf("# %s: %s\n", text, err.msg);
        exit(1);
    }
}

/* All jobs in one multi-metric pass; returns the Grams it computed. */
static unsigned long run_multi(const cfg *c, size_t nj, unsigned threads,
                               double (*S)[M * M])
{
    sc_simmat_job jobs[MAXJ];
    sc_argset a[MAXJ];
    memset(a, 0, sizeof a);
    for (size_t j = 0; j < nj; j++) {
        jobs[j].p = sc_test_plugin(c[j].plugin);
        parse(jobs[j].p, c[j].params, &a[j]);
        jobs[j].args = &a[j].args;
        jobs[j].S = S[j];
        jobs[j].label = "";
        jobs[j].float32 = 0;
        jobs[j].info = NULL;
    }
    sc_simmat_opts o = {threads, 0, NULL, 1, 0};
    sc_err err;
    sc_err_clear(&err);
    unsigned long g0 = sc_gram_computed();
    int rc = sc_simmat_compute_multi(jobs, nj, views, M, N, NULL, NULL, &o,
                                     NULL, NULL, &err);
    expect_int(rc, SC_OK, "multi pass (%s)", err.msg);
    for (size_t j = 0; j < nj; j++)
        sc_argset_deinit(&a[j]);
    return sc_gram_computed() - g0;
}

/* One metric through the one-metric engine, and the pairwise definition. */
static void run_single(const cfg *c, double *S, double *def)
{
    const sc_plugin *p = sc_test_plugin(c->plugin);
    sc_argset a = {0};
    parse(p, c->params, &a);
    sc_simmat_opts o = {1, 0, NULL, 1, 0};
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_simmat_compute(p, &a.args, views, M, &o, S, &err), SC_OK,
               "%s %s: one-metric engine (%s)", c->plugin, c->params, err.msg);
    void *st[M] = {0};
    for (size_t i = 0; i < M; i++)
        expect_int(sc_metric_prepare(p, &a.args, &views[i], &st[i], &err),
                   SC_OK, "prepare %zu (%s)", i, err.msg);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < M; j++)
            if (st[i] != NULL && st[j] != NULL)
                sc_metric_compare(p, &a.args, st[i], st[j], &def[i * M + j],
                                  &err);
    for (size_t i = 0; i < M; i++)
        sc_metric_release(p, st[i]);
    sc_argset_deinit(&a);
}

static void check_configs(const cfg *c, size_t nj, unsigned long grams_cached,
                          unsigned long grams_off, const char *what)
{
    static double on[MAXJ][M * M], off[MAXJ][M * M], two[MAXJ][M * M];
    unsetenv("SIMCON_GRAM_CACHE");
    unsigned long g_on = run_multi(c, nj, 1, on);
    unsigned long g_two = run_multi(c, nj, 2, two);
    setenv("SIMCON_GRAM_CACHE", "off", 1);
    unsigned long g_off = run_multi(c, nj, 1, off);
    unsetenv("SIMCON_GRAM_CACHE");
    expect_int((long long)g_on, (long long)grams_cached,
               "%s: Grams computed with the cache", what);
    expect_int((long long)g_two, (long long)grams_cached,
               "%s: Grams computed with the cache, 2 threads", what);
    expect_int((long long)g_off, (long long)grams_off,
               "%s: Grams computed without the cache", what);
    for (size_t j = 0; j < nj; j++) {
        double single[M * M], def[M * M];
        run_single(&c[j], single, def);
        expect_true(memcmp(on[j], off[j], sizeof on[j]) == 0,
                    "%s: %s %s bit-identical with and without the cache", what,
                    c[j].plugin, c[j].params);
        expect_true(memcmp(on[j], two[j], sizeof on[j]) == 0,
                    "%s: %s %s bit-identical at 1 and 2 threads", what,
                    c[j].plugin, c[j].params);
        expect_true(memcmp(on[j], single, sizeof on[j]) == 0,
                    "%s: %s %s bit-identical to the one-metric engine", what,
                    c[j].plugin, c[j].params);
        double worst = 0.0;
        for (size_t k = 0; k < M * M; k++)
            worst = fmax(worst, fabs(on[j][k] - def[k]));
        expect_true(worst <= 1e-12, "%s: %s %s within 1e-12 of compare (%g)",
                    what, c[j].plugin, c[j].params, worst);
    }
}

static const cfg paper[3] = {{"cka", "kernel=linear"},
                             {"cka", "kernel=rbf,sigma=0.4"},
                             {"rsa", "rdm=correlation,corr=spearman"}};

SC_TEST(paper_metrics_share_one_gram)
{
    make_reps(0);
    check_configs(paper, 3, M, 3 * M, "paper");
}

SC_TEST(float32_variants_share_one_float32_gram)
{
    static const cfg f32[3] = {
        {"cka", "kernel=linear,precision=float32"},
        {"cka", "kernel=rbf,sigma=0.4,precision=float32"},
        {"rsa", "rdm=correlation,corr=spearman,precision=float32"}};
    make_reps(0);
    check_configs(f32, 3, M, 3 * M, "float32");
}

SC_TEST(jobs_off_the_shared_path_match_the_one_metric_engine)
{
    /* Representation 0 is 4 units wide: 2 d^2 <= n, so linear CKA with
     * path=auto keeps a feature-space state there (no embedding: the
     * job goes pairwise) and a Gram state elsewhere. knn has no embedding
     * at all. cka rbf and rsa share their Gram on every representation;
     * knn asks for none; the pairwise cka linear job forms 4 of its own. */
    static const cfg mixed[4] = {{"cka", "kernel=linear"},
                                 {"knn", "k=5"},
                                 {"cka", "kernel=rbf,sigma=0.4"},
                                 {"rsa", "rdm=correlation,corr=spearman"}};
    make_reps(4);
    check_configs(mixed, 4, M + (M - 1), 2 * M + (M - 1), "mixed");
}

SC_TEST(a_gram_is_shared_only_between_equal_requests)
{
    /* cosine RDMs ask for the uncentred Gram: a second matrix. */
    static const cfg two[2] = {{"cka", "kernel=linear"},
                               {"rsa", "rdm=cosine,corr=pearson"}};
    make_reps(0);
    check_configs(two, 2, 2 * M, 2 * M, "two kinds");
}

/* One metric through the one-metric engine with E in float32 or not. */
static void run_single_e(const cfg *c, int f32, double *S)
{
    const sc_plugin *p = sc_test_plugin(c->plugin);
    sc_argset a = {0};
    parse(p, c->params, &a);
    sc_simmat_opts o = {1, 0, NULL, 1, 0};
    sc_simmat_extra ex = {0};
    ex.float32 = f32;
    sc_err err;
    sc_err_clear(&err);
    expect_int(
        sc_simmat_compute_info(p, &a.args, views, M, &o, &ex, S, NULL, &err),
        SC_OK, "%s %s: one-metric engine (%s)", c->plugin, c->params, err.msg);
    sc_argset_deinit(&a);
}

SC_TEST(each_job_keeps_its_own_embedding_precision)
{
    /* simcon run sets sc_simmat_job.float32 per metric (precision=float32
     * ones): in one pass a float32 job must give the bits of the
     * one-metric engine with extra.float32, a float64 job those without,
     * and each job's info must say which it was. The float32 E must change
     * the bits (else the flag could be ignored unseen) and stay within
     * 1e-6 of the float64 E, relative to max(|S_ij|, 1) as in test_simmat.c
     * (the bound is on G_ij relative to sqrt(G_ii G_jj): simmat.h,
     * SC_SIMMAT_F32_BLOCK). */
    static const cfg c[3] = {{"cka", "kernel=linear,precision=float32"},
                             {"rsa", "rdm=correlation,corr=spearman"},
                             {"cka", "kernel=rbf,sigma=0.4"}};
    static const int f32[3] = {1, 0, 1};
    make_reps(0);
    static double S[3][M * M];
    sc_simmat_job jobs[3];
    sc_simmat_info info[3];
    sc_argset a[3];
    memset(jobs, 0, sizeof jobs);
    memset(a, 0, sizeof a);
    for (size_t j = 0; j < 3; j++) {
        jobs[j].p = sc_test_plugin(c[j].plugin);
        parse(jobs[j].p, c[j].params, &a[j]);
        jobs[j].args = &a[j].args;
        jobs[j].S = S[j];
        jobs[j].label = "";
        jobs[j].float32 = f32[j];
        jobs[j].info = &info[j];
        info[j].float32 = -1;
    }
    sc_simmat_opts o = {2, 0, NULL, 1, 0};
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_simmat_compute_multi(jobs, 3, views, M, N, NULL, NULL, &o,
                                       NULL, NULL, &err),
               SC_OK, "mixed-precision pass (%s)", err.msg);
    for (size_t j = 0; j < 3; j++) {
        double want[M * M], other[M * M];
        run_single_e(&c[j], f32[j], want);
        run_single_e(&c[j], !f32[j], other);
        expect_true(memcmp(S[j], want, sizeof want) == 0,
                    "%s %s: bits of the one-metric engine with float32=%d",
                    c[j].plugin, c[j].params, f32[j]);
        expect_true(memcmp(S[j], other, sizeof other) != 0,
                    "%s %s: the E precision changes the bits", c[j].plugin,
                    c[j].params);
        double worst = 0.0;
        for (size_t k = 0; k < M * M; k++)
            worst = fmax(worst,
                         fabs(S[j][k] - other[k]) / fmax(fabs(other[k]), 1.0));
        expect_true(worst <= 1e-6, "%s %s: %g relative from the other E",
                    c[j].plugin, c[j].params, worst);
        expect_int(info[j].float32, f32[j], "%s %s: info.float32", c[j].plugin,
                   c[j].params);
        expect_int(info[j].used_embed, 1, "%s: embed path", c[j].params);
        expect_int((long long)info[j].embed_len, N * (N - 1) / 2,
                   "%s: embedding length", c[j].params);
        sc_argset_deinit(&a[j]);
    }
}

/* m representations of n rows with Gaussian entries (MT19937 seeded
 * with seed, drawn in order): representation k has d0 + k * step columns
 * and, for k > 0, every entry shifted by shift; views into v. */
static void gaussian_reps(sc_matrix *x, sc_mat *v, size_t m, size_t n,
                          size_t d0, size_t step, double shift,
                          unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t k = 0; k < m; k++) {
        size_t d = d0 + step * k;
        sc_matrix_init(&x[k], n, d, NULL);
        for (size_t i = 0; i < n * d; i++)
            x[k].data[i] = gsl_ran_gaussian(r, 1.0) + (k ? shift : 0.0);
        v[k] = sc_matrix_view(&x[k]);
    }
    gsl_rng_free(r);
}

/* Issue 13 item 2: a Gram larger than one panel (600 rows: 3 panels of
 * 256) computed while fewer items than threads run, so idle threads share
 * its panels. The matrices must be bit-identical at 1, 2 and 3 threads and
 * equal the pairwise definition within 1e-12. */
#define BIG_N 600
#define BIG_M 2

SC_TEST(panels_shared_by_idle_threads_do_not_change_a_bit)
{
    static sc_matrix big[BIG_M];
    sc_mat bv[BIG_M];
    gaussian_reps(big, bv, BIG_M, BIG_N, 40, 30, 0.5, 600);
    static double S[3][2][BIG_M * BIG_M];
    const sc_plugin *p[2] = {sc_test_plugin("cka"), sc_test_plugin("rsa")};
    const char *params[2] = {"kernel=linear", "rdm=correlation,corr=spearman"};
    sc_argset a[2];
    memset(a, 0, sizeof a);
    sc_simmat_job jobs[2];
    for (size_t j = 0; j < 2; j++) {
        parse(p[j], params[j], &a[j]);
        jobs[j].p = p[j];
        jobs[j].args = &a[j].args;
        jobs[j].label = "";
        jobs[j].float32 = 0;
        jobs[j].info = NULL;
    }
    for (unsigned t = 1; t <= 3; t++) {
        jobs[0].S = S[t - 1][0];
        jobs[1].S = S[t - 1][1];
        sc_simmat_opts o = {t, 0, NULL, 1, 0};
        sc_err err;
        sc_err_clear(&err);
        expect_int(sc_simmat_compute_multi(jobs, 2, bv, BIG_M, BIG_N, NULL,
                                           NULL, &o, NULL, NULL, &err),
                   SC_OK, "%u threads (%s)", t, err.msg);
    }
    for (size_t j = 0; j < 2; j++) {
        expect_true(memcmp(S[0][j], S[1][j], sizeof S[0][j]) == 0,
                    "%s: 1 and 2 threads bit-identical", params[j]);
        expect_true(memcmp(S[0][j], S[2][j], sizeof S[0][j]) == 0,
                    "%s: 1 and 3 threads bit-identical", params[j]);
        void *st[BIG_M] = {0};
        sc_err err;
        double worst = 0.0;
        for (size_t i = 0; i < BIG_M; i++)
            expect_int(
                sc_metric_prepare(p[j], &a[j].args, &bv[i], &st[i], &err),
                SC_OK, "prepare %zu", i);
        for (size_t x = 0; x < BIG_M; x++)
            for (size_t y = 0; y < BIG_M; y++) {
                double v = 0.0;
                if (st[x] != NULL && st[y] != NULL)
                    sc_metric_compare(p[j], &a[j].args, st[x], st[y], &v, &err);
                worst = fmax(worst, fabs(v - S[0][j][x * BIG_M + y]));
            }
        expect_true(worst <= 1e-12, "%s: within 1e-12 of compare (%g)",
                    params[j], worst);
        for (size_t i = 0; i < BIG_M; i++)
            sc_metric_release(p[j], st[i]);
        sc_argset_deinit(&a[j]);
    }
    for (size_t k = 0; k < BIG_M; k++)
        sc_matrix_deinit(&big[k]);
}

/* sc_simmat_extra.keep_pages (simcon run sets it and trims once after its
 * last dataset): the freed huge blocks (n = 1024: each 8 MiB Gram is one)
 * stay kept when the engine returns, and are given back without it; a
 * pass on the kept pages, which hold the last pass's bytes, gives the same
 * bits as one on fresh pages (which the kernel zeroed). */
#define KEEP_N 1024
#define KEEP_M 2

SC_TEST(kept_pages_outlive_the_engine_only_when_asked)
{
    static sc_matrix x[KEEP_M];
    sc_mat xv[KEEP_M];
    gaussian_reps(x, xv, KEEP_M, KEEP_N, 8, 4, 0.0, 1024);
    const sc_plugin *p = sc_test_plugin("cka");
    sc_argset a;
    memset(&a, 0, sizeof a);
    parse(p, "kernel=rbf,sigma=0.4", &a);
    double S[3][KEEP_M * KEEP_M];
    size_t kept[3];
    sc_mem_recycle_trim();
    for (int pass = 0; pass < 3; pass++) {
        sc_simmat_job job = {p, &a.args, S[pass], "", 0, NULL};
        sc_simmat_opts o = {1, 0, NULL, 1, 0};
        sc_simmat_extra ex = {0};
        ex.keep_pages = pass > 0;
        sc_err err;
        sc_err_clear(&err);
        expect_int(sc_simmat_compute_multi(&job, 1, xv, KEEP_M, KEEP_N, NULL,
                                           NULL, &o, &ex, NULL, &err),
                   SC_OK, "pass %d (%s)", pass, err.msg);
        kept[pass] = sc_mem_recycle_kept();
    }
    expect_true(kept[0] == 0, "trimmed without keep_pages (%zu)", kept[0]);
    expect_true(kept[1] >= (size_t)8 << 20, "a Gram's pages kept (%zu)",
                kept[1]);
    expect_true(kept[2] >= (size_t)8 << 20, "kept again (%zu)", kept[2]);
    expect_true(memcmp(S[0], S[1], sizeof S[0]) == 0 &&
                    memcmp(S[0], S[2], sizeof S[0]) == 0,
                "kept pages give the same bits as fresh ones");
    sc_mem_recycle_trim();
    expect_true(sc_mem_recycle_kept() == 0,
                "the caller's trim gives them back");
    sc_argset_deinit(&a);
    for (size_t k = 0; k < KEEP_M; k++)
        sc_matrix_deinit(&x[k]);
}

int main(void)
{
    sc_init();
    int rc = sc_test_run();
    for (size_t k = 0; k < M; k++)
        sc_matrix_deinit(&reps[k]);
    sc_loader_shutdown();
    return rc;
}
