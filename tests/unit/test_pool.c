/* core/base/pool: the one thread pool (runner stages and the all-pairs
 * engine) and its BLAS-thread policy (core/num/blas.c). Expected values
 * are counts and sums written out in the comments. */
#include <pthread.h>
#include <stdatomic.h>

#include "../test.h"
#include "blas.h"
#include "pool.h"

#define N_ITEMS 1000

typedef struct job {
    atomic_int runs[N_ITEMS]; /* times each item ran */
    size_t fail_a, fail_b;    /* items that fail (N_ITEMS: none) */
    int quiet_fail;           /* fail without filling the record */
    atomic_int blas_seen[N_ITEMS];
} job;

static int item(void *ctx, size_t k, sc_err *err)
{
    job *j = ctx;
    atomic_fetch_add(&j->runs[k], 1);
    atomic_store(&j->blas_seen[k], sc_blas_get_threads());
    if (k != j->fail_a && k != j->fail_b)
        return SC_OK;
    if (j->quiet_fail)
        return SC_EIO;
    return sc_err_set(err, k == j->fail_a ? SC_ENUMERIC : SC_EIO,
                      "item %zu says no", k);
}

static void job_init(job *j, size_t fail_a, size_t fail_b)
{
    memset(j, 0, sizeof *j);
    j->fail_a = fail_a;
    j->fail_b = fail_b;
}

SC_TEST(every_item_runs_once_whatever_the_threads)
{
    static job j;
    unsigned threads[] = {0, 1, 2, 3, 8, 2000};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        job_init(&j, N_ITEMS, N_ITEMS);
        sc_err err;
        int rc = sc_pool_run(item, &j, N_ITEMS, threads[t], NULL, &err);
        expect_int(rc, SC_OK, "%u threads: no failure", threads[t]);
        int once = 1;
        for (size_t k = 0; k < N_ITEMS; k++)
            once &= atomic_load(&j.runs[k]) == 1;
        expect_true(once, "%u threads: each of %d items ran once", threads[t],
                    N_ITEMS);
    }
}

SC_TEST(nothing_to_do)
{
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_pool_run(item, NULL, 0, 4, NULL, &err), SC_OK, "0 items");
    expect_int(err.code, SC_OK, "0 items: record untouched");
}

/* Items 37 and 500 fail with different codes: whatever the threads, the
 * error is item 37's, because every item below it ran to the end. */
SC_TEST(lowest_failed_item_is_reported)
{
    static job j;
    for (unsigned t = 1; t <= 8; t *= 2) {
        job_init(&j, 37, 500);
        sc_err err;
        sc_err_clear(&err);
        int rc = sc_pool_run(item, &j, N_ITEMS, t, NULL, &err);
        expect_int(rc, SC_ENUMERIC, "%u threads: code of item 37", t);
        expect_str(err.msg, "item 37 says no", "%u threads: its message", t);
        int below = 1;
        for (size_t k = 0; k < 37; k++)
            below &= atomic_load(&j.runs[k]) == 1;
        expect_true(below, "%u threads: items 0..36 all ran", t);
    }
}

/* One thread: items are taken in order and none starts after a failure,
 * so exactly items 0..5 run when item 5 fails. */
SC_TEST(no_item_starts_after_a_failure)
{
    static job j;
    job_init(&j, 5, N_ITEMS);
    sc_err err;
    int rc = sc_pool_run(item, &j, N_ITEMS, 1, NULL, &err);
    expect_int(rc, SC_ENUMERIC, "item 5 failed");
    int ran = 0;
    for (size_t k = 0; k < N_ITEMS; k++)
        ran += atomic_load(&j.runs[k]);
    expect_int(ran, 6, "items 0..5 ran, no more");
}

SC_TEST(failure_without_a_message_names_the_item)
{
    static job j;
    job_init(&j, 3, N_ITEMS);
    j.quiet_fail = 1;
    sc_err err;
    int rc = sc_pool_run(item, &j, 10, 2, NULL, &err);
    expect_int(rc, SC_EIO, "the item's code");
    expect_str(err.msg, "item 3 failed", "generic message");
    job_init(&j, 3, N_ITEMS);
    expect_int(sc_pool_run(item, &j, 10, 2, NULL, NULL), SC_ENUMERIC,
               "err may be NULL");
}

/* A recording policy: enter is told min(threads, items), once, and leave
 * gets enter's value back. */
static size_t seen_workers;
static int enters, leaves, left_with;
static int rec_enter(size_t workers)
{
    seen_workers = workers;
    enters++;
    return 42;
}
static void rec_leave(int saved)
{
    leaves++;
    left_with = saved;
}

SC_TEST(policy_hooks_surround_the_workers)
{
    static job j;
    const sc_pool_policy rec = {rec_enter, rec_leave};
    struct {
        unsigned threads;
        size_t count, workers;
    } cases[] = {{4, 100, 4}, {8, 3, 3}, {0, 10, 1}, {1, 10, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        job_init(&j, N_ITEMS, N_ITEMS);
        enters = leaves = left_with = 0;
        sc_pool_run(item, &j, cases[c].count, cases[c].threads, &rec, NULL);
        expect_int(enters, 1, "case %zu: enter once", c);
        expect_int((long long)seen_workers, (long long)cases[c].workers,
                   "case %zu: %u threads, %zu items", c, cases[c].threads,
                   cases[c].count);
        expect_int(leaves, 1, "case %zu: leave once", c);
        expect_int(left_with, 42, "case %zu: leave gets enter's value", c);
    }
    enters = 0;
    sc_pool_run(item, &j, 0, 4, &rec, NULL);
    expect_int(enters, 0, "0 items: no hooks");
}

/* The policy both users state: with the caller at 2 BLAS threads, items on
 * two workers see 1 and the caller gets 2 back; on one worker the items
 * see the caller's 2 (nothing to share). The pthread OpenBLAS that CI
 * installs honours openblas_set_num_threads above OPENBLAS_NUM_THREADS. */
SC_TEST(blas_one_thread_per_worker)
{
    static job j;
    int before = sc_blas_get_threads();
    sc_blas_set_threads(2);
    expect_int(sc_blas_get_threads(), 2, "precondition: caller at 2");
    job_init(&j, N_ITEMS, N_ITEMS);
    sc_pool_run(item, &j, 50, 2, &sc_blas_one_per_worker, NULL);
    int all_one = 1;
    for (size_t k = 0; k < 50; k++)
        all_one &= atomic_load(&j.blas_seen[k]) == 1;
    expect_true(all_one, "2 workers: every item ran with 1 BLAS thread");
    expect_int(sc_blas_get_threads(), 2, "2 workers: caller's 2 restored");
    job_init(&j, N_ITEMS, N_ITEMS);
    sc_pool_run(item, &j, 50, 1, &sc_blas_one_per_worker, NULL);
    int all_two = 1;
    for (size_t k = 0; k < 50; k++)
        all_two &= atomic_load(&j.blas_seen[k]) == 2;
    expect_true(all_two, "1 worker: items keep the caller's 2");
    expect_int(sc_blas_get_threads(), 2, "1 worker: still 2");
    sc_blas_set_threads(before);
}

int main(void)
{
    return sc_test_run();
}
