/* Tests of core/host/simmat.c (issue 6): the all-pairs engine must equal the
 * definition, compare(prepare(X_i), prepare(X_j)) pair by pair, whatever
 * path, block size, spill or thread count it takes.
 *
 * The reference in every check is the pairwise loop over sc_metric_compare
 * written here (the plugin's compare is the definition, plugin.h), so the
 * expected values do not come from the code under test. Tolerance 1e-12:
 * the embed path sums the same products in another order, so results are
 * compared with a tolerance, never bitwise (except the same path with
 * another thread count, which must be bit-identical).
 *
 * Nothing here passes vacuously: a configuration whose pairwise definition
 * fails is a test failure, not a skip; every plugin in the build folder
 * must load; at least one plugin besides cka (rsa) must offer an embedding;
 * and each test asserts how many configurations it checked. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "../test_plugin.h"
#include "init.h"
#include "loader.h"
#include "mat.h"
#include "metric.h"
#include "simmat.h"

#define M 6
#define N 26

static gsl_rng *rng;
static sc_matrix reps[M];
static sc_mat views[M];

/* Representations with shared low-rank structure: X_i = Z W_i + noise,
 * widths 3..40 so that linear CKA's auto path mixes feature-space and Gram
 * states. */
static void make_reps(void)
{
    static const size_t widths[M] = {3, 17, 40, 8, 25, 4};
    double z[N * 3];
    for (size_t i = 0; i < N * 3; i++)
        z[i] = gsl_ran_gaussian(rng, 1.0);
    for (size_t r = 0; r < M; r++) {
        size_t d = widths[r];
        sc_matrix_init(&reps[r], N, d, NULL);
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t k = 0; k < 3; k++)
                    s += z[i * 3 + k] *
                         cos(0.7 * (double)(j + 1) * (double)(k + 1) +
                             (double)r);
                reps[r].data[i * d + j] =
                    (r % 2 ? tanh(s) : s) + 0.4 * gsl_ran_gaussian(rng, 1.0);
            }
        views[r] = sc_matrix_view(&reps[r]);
    }
}

/* Pairwise definition; returns 0 if the metric cannot run on these
 * inputs (the caller reports that as a failure). */
static int pairwise(const sc_plugin *p, const sc_args *a, double *S)
{
    void *st[M] = {0};
    sc_err err;
    int ok = 1;
    for (size_t i = 0; i < M && ok; i++)
        ok = sc_metric_prepare(p, a, &views[i], &st[i], &err) == SC_OK;
    for (size_t i = 0; i < M && ok; i++)
        for (size_t j = 0; j < M && ok; j++)
            ok = sc_metric_compare(p, a, st[i], st[j], &S[i * M + j], &err) ==
                 SC_OK;
    if (!ok)
        printf("# %s: %s\n", p->desc->name, err.msg);
    for (size_t i = 0; i < M; i++)
        sc_metric_release(p, st[i]);
    return ok;
}

static double max_diff(const double *a, const double *b)
{
    double worst = 0.0;
    for (size_t k = 0; k < M * M; k++) {
        double d = fabs(a[k] - b[k]) / (fabs(b[k]) > 1.0 ? fabs(b[k]) : 1.0);
        if (!(d <= worst))
            worst = isnan(d) ? HUGE_VAL : d;
    }
    return worst;
}

static int parse(const sc_plugin *p, const char *text, sc_argset *a)
{
    sc_err err;
    return sc_test_args(p, text, a, &err);
}

/* One configuration: simmat under several option sets vs the definition.
 * Returns 1 if the configuration was checked. */
static int check_config(const sc_plugin *p, const char *params)
{
    sc_argset a = {0};
    if (parse(p, params, &a) != SC_OK) {
        expect_true(0, "%s: parameters '%s' parse", p->desc->name, params);
        return 0;
    }
    double want[M * M], got[M * M];
    if (!pairwise(p, &a.args, want)) {
        expect_true(0,
                    "%s [%s]: pairwise definition runs on the test inputs "
                    "(every configuration here must be checkable)",
                    p->desc->name, params);
        sc_argset_deinit(&a);
        return 0;
    }
    struct {
        const char *what;
        sc_simmat_opts o;
    } runs[] = {
        {"auto, 1 thread", {1, 0, NULL, 1, 0}},
        {"auto, 3 threads", {3, 0, NULL, 1, 0}},
        {"never embed, 2 threads", {2, 0, NULL, 0, 0}},
        {"forced 7-column blocks, 3 threads", {3, 0, NULL, 1, 7}},
        {"1 KiB budget (spill to file), 2 threads", {2, 1024, NULL, 1, 0}},
        /* blocks that start inside an aligned unit of an O_DIRECT file */
        {"1 KiB budget, forced 7-column blocks, 2 threads",
         {2, 1024, NULL, 1, 7}},
    };
    double first[M * M];
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        sc_err err;
        sc_simmat_info info;
        for (size_t i = 0; i < M * M; i++)
            got[i] = NAN;
        int rc = sc_simmat_compute_info(p, &a.args, views, M, &runs[k].o, NULL,
                                        got, &info, &err);
        expect_int(rc, SC_OK, "%s [%s] %s: runs", p->desc->name, params,
                   runs[k].what);
        if (rc != SC_OK) {
            printf("# %s\n", err.msg);
            continue;
        }
        double d = max_diff(got, want);
        expect_true(d <= 1e-12,
                    "%s [%s] %s: equals pairwise compare (max rel diff "
                    "%.3g, path %s, %zu blocks, spilled %d)",
                    p->desc->name, params, runs[k].what, d,
                    info.used_embed ? "embed" : "pairwise", info.blocks,
                    info.spilled);
        if (k == 0)
            memcpy(first, got, sizeof first);
        else if (runs[k].o.use_embed && runs[k].o.block_cols == 0 &&
                 runs[k].o.memory_budget == 0)
            expect_true(memcmp(first, got, sizeof first) == 0,
                        "%s [%s] %s: bit-identical to 1 thread", p->desc->name,
                        params, runs[k].what);
        /* linear CKA under path=auto puts the d = 3 and d = 4
         * representations (2 d^2 <= n) on the feature path, whose states
         * have no embedding: the engine must then go pairwise. */
        int linear_auto = strcmp(p->desc->name, "cka") == 0 &&
                          strstr(params, "linear") != NULL &&
                          strstr(params, "path=gram") == NULL;
        if (linear_auto)
            expect_int(info.used_embed, 0,
                       "%s [%s] %s: feature-path states: pairwise",
                       p->desc->name, params, runs[k].what);
        else if (p->desc->embed != NULL && runs[k].o.use_embed) {
            expect_int(info.used_embed, 1, "%s [%s] %s: embed path taken",
                       p->desc->name, params, runs[k].what);
            if (runs[k].o.block_cols == 7)
                expect_true(info.blocks > 1, "blocking forced: %zu blocks",
                            info.blocks);
            if (runs[k].o.memory_budget == 1024)
                expect_int(info.spilled, 1, "small budget spills E to file");
        }
    }
    /* float32 embeddings (issue 6): within 1e-6 of the float64 definition,
     * in memory and spilled, with float32 SYRK blocks of 4096 columns. */
    sc_simmat_extra f32 = {.float32 = 1};
    sc_simmat_opts fo[2] = {{2, 0, NULL, 1, 0}, {1, 1024, NULL, 1, 0}};
    for (int k = 0; k < 2; k++) {
        sc_err err;
        sc_simmat_info info;
        int rc = sc_simmat_compute_info(p, &a.args, views, M, &fo[k], &f32, got,
                                        &info, &err);
        expect_int(rc, SC_OK, "%s [%s] float32%s: runs", p->desc->name, params,
                   k ? ", spilled" : "");
        double d = max_diff(got, want);
        expect_true(rc == SC_OK && d <= 1e-6,
                    "%s [%s] float32%s: within 1e-6 of pairwise compare "
                    "(max rel diff %.3g, path %s, float32 %d)",
                    p->desc->name, params, k ? ", spilled" : "", d,
                    info.used_embed ? "embed" : "pairwise", info.float32);
    }
    sc_argset_deinit(&a);
    return 1;
}

SC_TEST(every_embedding_plugin_matches_pairwise)
{
    char **names = NULL;
    size_t count = 0;
    sc_err err;
    int rc = sc_loader_find_all(SC_BUILD_PLUGIN_DIR, &names, &count, &err);
    expect_int(rc, SC_OK, "list plugins");
    size_t with_embed = 0, checked = 0;
    int rsa_seen = 0;
    for (size_t i = 0; i < count; i++) {
        const sc_plugin *p = NULL;
        if (!expect_int(sc_loader_open(names[i], SC_BUILD_PLUGIN_DIR, &p, &err),
                        SC_OK, "plugin %s loads", names[i]))
            continue;
        if (p->desc->embed == NULL || strcmp(names[i], "cka") == 0)
            continue; /* cka is covered config by config below */
        with_embed++;
        rsa_seen |= strcmp(names[i], "rsa") == 0;
        checked += (size_t)check_config(p, "");
    }
    sc_loader_names_free(names, count);
    printf("# %zu plugins besides cka offer an embedding\n", with_embed);
    expect_true(count >= 7, "found the %zu plugins of the build (>= 7)", count);
    expect_true(rsa_seen, "rsa is among the embedding plugins checked");
    expect_int((long long)checked, (long long)with_embed,
               "every embedding plugin checked (%zu of %zu)", checked,
               with_embed);
}

SC_TEST(cka_configurations)
{
    const sc_plugin *p = NULL;
    sc_err err;
    expect_int(sc_loader_open("cka", SC_BUILD_PLUGIN_DIR, &p, &err), SC_OK,
               "load cka");
    if (p == NULL)
        return;
    static const char *const configs[] = {
        "kernel=linear,unbiased=true",
        "kernel=linear,unbiased=false",
        "kernel=linear,unbiased=true,path=gram",
        "kernel=linear,unbiased=true,path=features",
        "kernel=rbf,unbiased=true",
        "kernel=rbf,unbiased=false,sigma=2.5",
        "kernel=rbf,unbiased=true,sigma_rel=0.8"};
    size_t n = sizeof configs / sizeof configs[0], checked = 0;
    for (size_t k = 0; k < n; k++)
        checked += (size_t)check_config(p, configs[k]);
    expect_int((long long)checked, (long long)n,
               "all %zu cka configurations checked", n);
}

SC_TEST(cka_mixed_states_fall_back)
{
    /* First state on the Gram path (d = 17), a later one on the feature
     * path (d = 3): the embed path starts, meets a state without an
     * embedding and must restart pairwise, with the same values. */
    const sc_plugin *p = NULL;
    sc_err err;
    sc_loader_open("cka", SC_BUILD_PLUGIN_DIR, &p, &err);
    sc_argset a = {0};
    parse(p, "kernel=linear", &a);
    sc_mat v[3] = {views[1], views[2], views[0]};
    double S[9], want[9];
    void *st[3] = {0};
    for (int i = 0; i < 3; i++)
        sc_metric_prepare(p, &a.args, &v[i], &st[i], &err);
    for (int i = 0; i < 9; i++)
        sc_metric_compare(p, &a.args, st[i / 3], st[i % 3], &want[i], &err);
    for (int i = 0; i < 3; i++)
        sc_metric_release(p, st[i]);
    sc_simmat_info info;
    sc_simmat_opts o = {2, 0, NULL, 1, 0};
    int rc = sc_simmat_compute_info(p, &a.args, v, 3, &o, NULL, S, &info, &err);
    expect_int(rc, SC_OK, "mixed Gram/feature states: runs");
    expect_int(info.used_embed, 0, "mixed states: pairwise path");
    for (int i = 0; i < 9; i++)
        expect_rel(S[i], want[i], 1e-12, "mixed states: S[%d]", i);
    sc_argset_deinit(&a);
}

SC_TEST(errors_leave_no_output)
{
    const sc_plugin *p = NULL;
    sc_err err;
    sc_loader_open("cka", SC_BUILD_PLUGIN_DIR, &p, &err);
    sc_argset a = {0};
    parse(p, "kernel=linear", &a);
    double S[M * M];
    for (size_t i = 0; i < M * M; i++)
        S[i] = -7.0;
    sc_mat bad[3] = {views[0], views[1], views[2]};
    bad[2].rows = N - 1;
    int rc = sc_simmat_compute(p, &a.args, bad, 3, NULL, S, &err);
    expect_int(rc, SC_EINVAL, "row counts differ");
    expect_str(err.msg,
               "representation 2 has 25 rows but representation 0 has 26; "
               "all must hold the same stimuli in the same order",
               "row-count message");
    /* A zero-variance representation fails inside the engine. */
    sc_matrix c;
    sc_matrix_init(&c, N, 4, NULL);
    for (size_t i = 0; i < N * 4; i++)
        c.data[i] = 2.5 + (double)(i % 4);
    sc_mat withc[3] = {views[1], views[2], sc_matrix_view(&c)};
    sc_simmat_opts o = {2, 0, NULL, 1, 0};
    rc = sc_simmat_compute(p, &a.args, withc, 3, &o, S, &err);
    expect_int(rc, SC_EDOM, "zero-variance representation: SC_EDOM");
    expect_contains(err.msg,
                    "representation 2: metric cka: representation "
                    "has zero variance",
                    "message names the representation");
    int untouched = 1;
    for (size_t i = 0; i < M * M; i++)
        untouched &= S[i] == -7.0;
    expect_true(untouched, "no partial output on failure");
    sc_matrix_deinit(&c);
    sc_argset_deinit(&a);
}

/* Products on every thread: at n = 400 unbiased linear CKA's embedding
 * has n (n - 1) / 2 = 79,800 entries, 20 parts of the products (4,096
 * columns), more than one group of 16 in flight. The matrix must be the
 * same bits on 1, 2 and 3 threads, in memory and spilled (other blocks),
 * and equal the pairwise definition (computed here with compare, as above)
 * within 1e-12 (float64) or 1e-6 (float32). */
/* Inputs of the multi-metric pass below, loaded lazily: bad_load fails
 * the loads of the representations in fail_mask, and representation 0 is taken
 * from rep0 when set. With others set, representation 0's load returns
 * only once another representation's load has begun (or after 2 s), so
 * that one is in flight, waiting for representation 0's decisions. */
typedef struct bad_inputs {
    unsigned fail_mask; /* bit i: the load of representation i fails */
    const sc_mat *rep0;
    int others;
    atomic_int loaded; /* loads of representations > 0 begun */
} bad_inputs;

static int bad_load(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                    sc_err *err)
{
    bad_inputs *in = ud;
    (void)owned;
    if (i > 0)
        atomic_fetch_add(&in->loaded, 1);
    for (int t = 0; i == 0 && in->others && t < 2000; t++) {
        if (atomic_load(&in->loaded) > 0)
            break;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (in->fail_mask & (1u << i))
        return sc_err_set(err, SC_EIO, "cannot read features %zu", i);
    *view = i == 0 && in->rep0 != NULL ? *in->rep0 : views[i];
    return SC_OK;
}

/* Issue 13: representation 0 decides the embed jobs (opens their E's)
 * while the other representations run. When it fails, whether in its
 * load or in a prepare, the pass must end (no representation left
 * waiting for its decision: a hang here is a ctest timeout) with its
 * error and its job, as sc_simmat_compute_multi documents (the lowest
 * failed representation), at every thread count. The expected message of
 * a failed prepare is that of the plugin's own prepare on the same input,
 * called here (metric.h), not the engine's. */
SC_TEST(multi_pass_reports_representation_0_failure)
{
    static const char *const names[2] = {"rsa", "cka"};
    static const char *const params[2] = {"rdm=correlation,corr=spearman",
                                          "kernel=linear"};
    sc_simmat_job jobs[2];
    sc_argset a[2];
    static double S[2][M * M];
    memset(jobs, 0, sizeof jobs);
    memset(a, 0, sizeof a);
    for (size_t k = 0; k < 2; k++) {
        jobs[k].p = sc_test_plugin(names[k]);
        expect_int(parse(jobs[k].p, params[k], &a[k]), SC_OK, "%s", params[k]);
        jobs[k].args = &a[k].args;
        jobs[k].S = S[k];
        jobs[k].label = "";
    }
    /* Every row the same: zero variance once centred (cka fails). */
    sc_matrix flat;
    sc_matrix_init(&flat, N, 4, NULL);
    for (size_t i = 0; i < N * 4; i++)
        flat.data[i] = 2.5 + (double)(i % 4);
    sc_mat flat_view = sc_matrix_view(&flat);
    /* The job whose prepare fails first, by the plugins themselves. */
    sc_err want;
    size_t want_job = 2;
    for (size_t k = 0; k < 2 && want_job == 2; k++) {
        void *st = NULL;
        if (sc_metric_prepare(jobs[k].p, jobs[k].args, &flat_view, &st,
                              &want) != SC_OK)
            want_job = k;
        sc_metric_release(jobs[k].p, st);
    }
    expect_true(want_job < 2, "the fixture fails a prepare");
    char want_msg[sizeof want.msg + 32];
    snprintf(want_msg, sizeof want_msg, "representation 0: %s", want.msg);
    for (unsigned t = 1; t <= 3; t++)
        for (int c = 0; c < 3; c++) {
            /* 0: load of 0 fails; 1: its prepare; 2: both 0 and 3 fail. */
            bad_inputs in = {.fail_mask = c == 0   ? 1u
                                          : c == 1 ? 0u
                                                   : 9u,
                             .rep0 = c == 1 ? &flat_view : NULL,
                             .others = t > 1};
            atomic_init(&in.loaded, 0);
            sc_simmat_opts o = {t, 0, NULL, 1, 0};
            sc_err err;
            sc_err_clear(&err);
            size_t failed = 7;
            int rc = sc_simmat_compute_multi(jobs, 2, NULL, M, N, bad_load, &in,
                                             &o, NULL, &failed, &err);
            if (c == 1) {
                expect_int(rc, want.code, "%u threads: prepare's code", t);
                expect_str(err.msg, want_msg, "%u threads: prepare's message",
                           t);
            } else {
                expect_int(rc, SC_EIO, "%u threads, case %d: load's code", t,
                           c);
                expect_str(err.msg, "representation 0: cannot read features 0",
                           "%u threads, case %d: load's message", t, c);
            }
            /* A load fails outside any job: the first embed job (0). */
            expect_int((long long)failed, c == 1 ? (long long)want_job : 0,
                       "%u threads, case %d: the failed job", t, c);
        }
    sc_matrix_deinit(&flat);
    for (size_t k = 0; k < 2; k++)
        sc_argset_deinit(&a[k]);
}

/* Spill modes: E in memory; a 1 KiB budget (a spilled E with the writer's
 * least buffers); a budget one byte short of E, whose spare room takes one
 * row of E more in the writer's queue (simmat.c, start_writer). */
SC_TEST(products_in_parts_bit_identical)
{
    enum { PM = 16, PN = 400, PD = 12, L = PN * (PN - 1) / 2, CHUNK = 65536 };
    const sc_plugin *p = NULL;
    sc_err err;
    sc_loader_open("cka", SC_BUILD_PLUGIN_DIR, &p, &err);
    sc_argset a = {0};
    parse(p, "kernel=linear,path=gram", &a);
    sc_matrix x[PM];
    sc_mat v[PM];
    for (size_t r = 0; r < PM; r++) {
        sc_matrix_init(&x[r], PN, PD, NULL);
        for (size_t k = 0; k < (size_t)PN * PD; k++)
            x[r].data[k] =
                gsl_ran_gaussian(rng, 1.0) + (r > 0 ? 0.5 * x[0].data[k] : 0.0);
        v[r] = sc_matrix_view(&x[r]);
    }
    double want[PM * PM];
    void *st[PM] = {0};
    for (size_t i = 0; i < PM; i++)
        sc_metric_prepare(p, &a.args, &v[i], &st[i], &err);
    for (size_t i = 0; i < PM * PM; i++)
        sc_metric_compare(p, &a.args, st[i / PM], st[i % PM], &want[i], &err);
    for (size_t i = 0; i < PM; i++)
        sc_metric_release(p, st[i]);
    for (int f32 = 0; f32 < 2; f32++) {
        double first[PM * PM];
        size_t esize = f32 ? sizeof(float) : sizeof(double);
        size_t budgets[3] = {0, 1024, (size_t)PM * L * esize - 1};
        for (int spill = 0; spill < 3; spill++) {
            sc_simmat_extra ex = {.float32 = f32};
            double got[PM * PM];
            for (unsigned t = 1; t <= 3; t++) {
                sc_simmat_opts o = {t, budgets[spill], NULL, 1, 0};
                sc_simmat_info info;
                int rc = sc_simmat_compute_info(p, &a.args, v, PM, &o, &ex, got,
                                                &info, &err);
                expect_int(rc, SC_OK, "parts f32 %d spill %d, %u threads: runs",
                           f32, spill, t);
                expect_true(info.used_embed && info.embed_len == L,
                            "embed path, L = %zu", info.embed_len);
                /* each buffer: one chunk (a multiple of 4 KiB); a row of
                 * 79,800 entries is two of them */
                size_t least = (t + 2) * CHUNK * esize;
                size_t queue[3] = {0, least, least + 2 * CHUNK * esize};
                expect_true(info.spilled == (spill > 0) &&
                                info.spill_queue == queue[spill],
                            "parts f32 %d spill %d, %u threads: spilled %d, "
                            "writer buffers %zu bytes (want %zu)",
                            f32, spill, t, info.spilled, info.spill_queue,
                            queue[spill]);
                double worst = 0.0;
                for (size_t i = 0; i < PM * PM; i++) {
                    double d = fabs(got[i] - want[i]);
                    worst = d > worst ? d : worst;
                }
                expect_true(worst <= (f32 ? 1e-6 : 1e-12),
                            "parts f32 %d spill %d, %u threads: equals "
                            "pairwise (max diff %.3g)",
                            f32, spill, t, worst);
                if (t == 1 && spill == 0)
                    memcpy(first, got, sizeof first);
                else /* the spilled run has blocks of 4,096 columns */
                    expect_true(memcmp(first, got, sizeof got) == 0,
                                "parts f32 %d spill %d: %u threads "
                                "bit-identical to 1 thread in memory",
                                f32, spill, t);
            }
        }
    }
    for (size_t r = 0; r < PM; r++)
        sc_matrix_deinit(&x[r]);
    sc_argset_deinit(&a);
}

int main(void)
{
    sc_init();
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 6);
    make_reps();
    int rc = sc_test_run();
    for (size_t r = 0; r < M; r++)
        sc_matrix_deinit(&reps[r]);
    gsl_rng_free(rng);
    sc_loader_shutdown();
    return rc;
}
