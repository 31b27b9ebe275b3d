/* The one thread pool of simcon: run fn(ctx, item, err) for every item in
 * [0, count) on up to `threads` threads, the calling thread among them.
 * Used by the runner's task stages (core/run/runner.c, sc_run_parallel) and
 * by the all-pairs engine (core/host/simmat.c).
 *
 * Invariants:
 * - Items are handed out in increasing order. Once an item has failed no
 *   further item is started (items already running finish), and the error
 *   returned is the one of the lowest-numbered failed item: every item
 *   below it was handed out before it and ran to the end. So, as long as
 *   every item writes only its own output slot, both results and errors
 *   are the same whatever the thread count and the scheduling.
 * - A thread that cannot be created is not an error: fewer threads (at
 *   least the calling one) do all the work.
 *
 * BLAS-thread policy: every caller states one. The items of both users
 * call the BLAS (a plugin's prepare, a bootstrap replicate), and workers x
 * BLAS threads must not oversubscribe the cores. core/base may not call
 * the BLAS (it sits below core/num), so the policy is a pair of hooks that
 * the pool runs on the calling thread: enter(workers) before any worker
 * starts, leave(saved) after the last one has joined. The policy both
 * users state is sc_blas_one_per_worker (core/num/blas.h): one BLAS
 * thread while several workers run, the caller's own setting back
 * afterwards, so a caller that gives its serial BLAS calls N threads
 * (`simcon matrix`, whose SYRK runs on the calling thread) keeps them, and
 * one that pins 1 for determinism (`simcon run`) keeps that. Work whose
 * bits must not depend on the thread count even on one worker states
 * sc_blas_serial instead (one BLAS thread always): the Gram panels of
 * core/host/gram.c, which the threads that a pool of fewer items than
 * threads leaves idle share, so both cores work without BLAS threading. */
#ifndef SC_POOL_H
#define SC_POOL_H

#include <stddef.h>

#include "err.h"

/* One item. err is the item's own record (cleared before the call); a
 * non-SC_OK return marks the item failed. Called from worker threads. */
typedef int (*sc_pool_fn)(void *ctx, size_t item, sc_err *err);

typedef struct sc_pool_policy {
    /* Before the workers start, on the calling thread: workers is the
     * number of threads that will share the items (>= 1). Returns a value
     * handed back to leave (e.g. the setting to restore). */
    int (*enter)(size_t workers);
    /* After every worker has joined, on the calling thread. */
    void (*leave)(int saved);
} sc_pool_policy;

/* Runs the items (count 0: nothing, SC_OK). threads 0 counts as 1; no
 * more threads than items run. policy NULL states that the items never
 * call the BLAS (no hooks run).
 * Returns SC_OK, or the code of the lowest-numbered failed item with its
 * error in *err (err may be NULL); an item that failed without filling
 * its record reads "item <k> failed". */
int sc_pool_run(sc_pool_fn fn, void *ctx, size_t count, unsigned threads,
                const sc_pool_policy *policy, sc_err *err);

#endif
