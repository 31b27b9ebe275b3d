/* The CPU model of `simcon check --estimate` (core/run/run_plan.c, "CPU
 * estimate"; issue 14): its structure, against closed forms worked here
 * from the documented terms and the rates in run_plan.h. No timing: the
 * rates' values come from measured runs (tests/bench/RESULTS.md); what is
 * checked is how the estimate scales with n, d, models, metrics, datasets,
 * precision, permutations and threads.
 *
 * Similarity of one dataset, per metric: Gram n^2 dsum / R_gram(p),
 * state m n^2 S(kind), products m (m - 1) / 2 n (n + 1) / R_pairs(p),
 * stacked embeddings 2 e m n (n + 1) / 2 / R_embed (e = 4 or 8 bytes);
 * one `simcon run` shares the Gram among metrics with the same Gram
 * (cka, rsa correlation; per precision), a task pays its own. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "../zoo_spec.h"
#include "run_plan.h"
#include "spec.h"

static char dir[256];

/* Load a spec over the spec tests' fixture zoo (tests/zoo_spec.h; widths
 * 3, 4, 5, 6: dsum 18) with the given metrics and analyses. */
static int load(sc_spec *spec, const char *metrics, const char *extra)
{
    char path[512], tail[1024];
    snprintf(dir, sizeof dir, "test_plan_cpu_%ld", (long)getpid());
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/spec.yaml", dir);
    snprintf(tail, sizeof tail, "metrics: %s\n%s", metrics, extra);
    if (sc_test_zoo_spec(path, "cpu", tail) != SC_OK)
        return SC_EIO;
    memset(spec, 0, sizeof *spec);
    sc_err err;
    sc_err_clear(&err);
    int st = sc_spec_load(path, spec, &err);
    expect_int(st, SC_OK, "load the spec: %s", err.msg);
    unlink(path);
    rmdir(dir);
    return st;
}

/* One metric's terms at n, m, dsum (the closed form of the header). */
static double gram(double n, double dsum, int f32)
{
    return n * n * dsum / (f32 ? SC_PLAN_RATE_GRAM32 : SC_PLAN_RATE_GRAM64);
}

static double rest(double n, double m, double state, int f32)
{
    return m * n * n * state +
           m * (m - 1) / 2 * n * (n + 1) /
               (f32 ? SC_PLAN_RATE_PAIRS32 : SC_PLAN_RATE_PAIRS64) +
           2 * (f32 ? 4.0 : 8.0) * m * n * (n + 1) / 2 / SC_PLAN_RATE_EMBED;
}

SC_TEST(one_metric_closed_form)
{
    sc_spec spec;
    if (load(&spec, "[{name: cka, plugin: cka}]", "") != SC_OK)
        return;
    double run = 0, task = 0;
    sc_plan_sim_seconds(&spec, 1000, 10, 5000, &run, &task);
    double want = gram(1000, 5000, 0) + rest(1000, 10, SC_PLAN_STATE_LINEAR, 0);
    expect_rel(run, want, 1e-12, "linear CKA, float64: the four terms");
    expect_rel(task, want, 1e-12, "one metric: the task is the run");
    /* The Gram is linear in the summed width: 1000 more columns add
     * n^2 x 1000 / R_gram and nothing else. */
    double run2 = 0;
    sc_plan_sim_seconds(&spec, 1000, 10, 6000, &run2, &task);
    expect_rel(run2 - run, 1000.0 * 1000 * 1000 / SC_PLAN_RATE_GRAM64, 1e-9,
               "d grows: only the Gram term grows, by n^2 dd / R_gram64");
    /* n doubles: Gram and states x4 exactly, products and E by
     * (2n (2n + 1)) / (n (n + 1)). */
    double run3 = 0;
    sc_plan_sim_seconds(&spec, 2000, 10, 5000, &run3, &task);
    expect_rel(run3,
               4 * gram(1000, 5000, 0) + 4 * 10 * 1e6 * SC_PLAN_STATE_LINEAR +
                   (rest(1000, 10, 0, 0)) * (2000.0 * 2001) / (1000.0 * 1001),
               1e-12, "n doubles: n^2 terms x4, n (n + 1) terms x 4.004");
    sc_spec_free(&spec);
}

SC_TEST(metrics_share_the_gram)
{
    sc_spec spec;
    if (load(&spec,
             "[{name: lin, plugin: cka, params: {precision: float32}},"
             " {name: rbf, plugin: cka, params: {kernel: rbf, sigma: 0.4,"
             " precision: float32}},"
             " {name: rsa, plugin: rsa, params: {precision: float32}}]",
             "") != SC_OK)
        return;
    double run = 0, task = 0, n = 3000, m = 20, ds = 20000;
    sc_plan_sim_seconds(&spec, n, m, ds, &run, &task);
    double want = gram(n, ds, 1) + rest(n, m, SC_PLAN_STATE_LINEAR, 1) +
                  rest(n, m, SC_PLAN_STATE_RBF, 1) +
                  rest(n, m, SC_PLAN_STATE_RSA, 1);
    expect_rel(run, want, 1e-12,
               "cka linear, cka rbf and rsa correlation, float32: one Gram");
    expect_rel(task, gram(n, ds, 1) + rest(n, m, SC_PLAN_STATE_RSA, 1), 1e-12,
               "the dearest task (rsa) with its own Gram");
    sc_spec_free(&spec);

    /* Another precision or an uncentred Gram is another Gram; a plugin
     * not measured (knn) pays its own Gram and the RSA state. */
    if (load(&spec,
             "[{name: lin, plugin: cka},"
             " {name: lin32, plugin: cka, params: {precision: float32}},"
             " {name: cos, plugin: rsa, params: {rdm: cosine}},"
             " {name: knn, plugin: knn}]",
             "") != SC_OK)
        return;
    sc_plan_sim_seconds(&spec, n, m, ds, &run, &task);
    want = gram(n, ds, 0) + rest(n, m, SC_PLAN_STATE_LINEAR, 0) +
           gram(n, ds, 1) + rest(n, m, SC_PLAN_STATE_LINEAR, 1) +
           gram(n, ds, 0) + rest(n, m, SC_PLAN_STATE_RSA, 0) + gram(n, ds, 0) +
           rest(n, m, SC_PLAN_STATE_RSA, 0);
    expect_rel(run, want, 1e-12,
               "float64 and float32 Grams, the cosine Gram, knn's own");
    sc_spec_free(&spec);
}

/* The whole estimate on the fixture: every dataset's similarity adds up
 * (n = 12, m = 4, dsum = 18 in both), and max_stimuli caps n. */
SC_TEST(similarity_adds_up_over_datasets)
{
    sc_spec spec;
    if (load(&spec, "[{name: cka, plugin: cka}, {name: rsa, plugin: rsa}]",
             "") != SC_OK)
        return;
    sc_err err;
    sc_err_clear(&err);
    sc_plan_cpu cpu;
    expect_int(sc_plan_cpu_estimate(&spec, &cpu, &err), SC_OK, "estimate: %s",
               err.msg);
    double run = 0, task = 0;
    sc_plan_sim_seconds(&spec, 12, 4, 18, &run, &task);
    expect_rel(cpu.similarity, 2 * run, 1e-12, "two datasets: twice one");
    expect_rel(cpu.similarity_task, task, 1e-12, "the largest task");
    expect_rel(run,
               gram(12, 18, 0) + rest(12, 4, SC_PLAN_STATE_LINEAR, 0) +
                   rest(12, 4, SC_PLAN_STATE_RSA, 0),
               1e-12, "n = 12, m = 4, dsum = 18 from the .npy headers");
    sc_spec_free(&spec);

    if (load(&spec, "[{name: cka, plugin: cka}, {name: rsa, plugin: rsa}]",
             "") != SC_OK)
        return;
    spec.max_stimuli = 6;
    expect_int(sc_plan_cpu_estimate(&spec, &cpu, &err), SC_OK, "estimate: %s",
               err.msg);
    sc_plan_sim_seconds(&spec, 6, 4, 18, &run, &task);
    expect_rel(cpu.similarity, 2 * run, 1e-12, "max_stimuli 6: n = 6");
    sc_spec_free(&spec);
}

/* Consistency of the set "all" (k = 6 pairs of 4 models; D = 2, one
 * dataset pair): per metric P permutations at c + k (D - 1) / R_gather +
 * k (D - 1)^2 / R_gemm, plus 1 + m correlations (r and the jackknife) at
 * the correlation rate. 9 permutations: below 4! = 24, so random. */
SC_TEST(consistency_closed_form)
{
    sc_spec spec;
    if (load(&spec, "[{name: cka, plugin: cka}, {name: rsa, plugin: rsa}]",
             "analyses: {consistency: {correlation: pearson}}\n"
             "statistics: {permutations: 9, bootstrap: 5}\n") != SC_OK)
        return;
    sc_err err;
    sc_err_clear(&err);
    sc_plan_cpu cpu, cpu2;
    expect_int(sc_plan_cpu_estimate(&spec, &cpu, &err), SC_OK, "estimate: %s",
               err.msg);
    double k = 6, M = 2, P = 9, Dm1 = 1, m = 4;
    double perm = SC_PLAN_COST_PERM + k * Dm1 / SC_PLAN_RATE_PERM_GATHER +
                  k * Dm1 * Dm1 / SC_PLAN_RATE_PERM_GEMM;
    double corr = M * (1 + m) * (SC_PLAN_COST_CORR + k / SC_PLAN_RATE_TERMS);
    expect_rel(cpu.consistency, M * P * perm + corr, 1e-12,
               "2 metrics x 9 permutations + 2 x 5 correlations");
    spec.permutations = 19;
    expect_int(sc_plan_cpu_estimate(&spec, &cpu2, &err), SC_OK, "estimate: %s",
               err.msg);
    expect_rel(cpu2.consistency - cpu.consistency, M * 10 * perm, 1e-9,
               "10 more permutations: 10 x M per-permutation costs");
    sc_spec_free(&spec);
}

/* Wall time: CPU over the threads, stage by stage; a thread per unit at
 * most (the similarity stage's units are models). */
SC_TEST(wall_divides_by_threads)
{
    sc_plan_cpu cpu = {10, 40, 8, 4, 2, 6};
    sc_plan_cpu w1, w2, w64;
    sc_plan_wall(&cpu, 1, 4, &w1);
    sc_plan_wall(&cpu, 2, 4, &w2);
    sc_plan_wall(&cpu, 64, 4, &w64);
    expect_rel(w1.similarity, 40, 1e-12, "1 thread: wall = CPU");
    expect_rel(w2.similarity, 20, 1e-12, "2 threads: half");
    expect_rel(w2.consistency, 4, 1e-12, "consistency halves too");
    expect_rel(w2.assemble, 6, 1e-12, "assemble runs on one thread");
    expect_rel(w64.similarity, 10, 1e-12,
               "64 threads, 4 models: 4 workers at most");
}

int main(void)
{
    return sc_test_run();
}
