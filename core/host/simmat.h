/* All-pairs similarity of m representations of the same stimuli (issue 6).
 *
 * The paper's code recomputed both Gram matrices for every model pair; here
 * each representation is prepared exactly once, and then
 *   - embed path: when the plugin offers embed/embed_len (compare(x, y) is
 *     the cosine of one fixed-length vector per state, e.g. CKA's centred
 *     Gram), every state's vector is written as one row of an m x L matrix
 *     E and the state is released at once; all m^2 inner products come
 *     from SYRKs over column blocks of E (core/num/blas.h), and
 *     S_ij = G_ij / sqrt(G_ii G_jj). E lives in memory when it fits the
 *     budget, otherwise in an unlinked file in cache_dir (or $TMPDIR, or
 *     /tmp), read block by block (core/host/spill.h);
 *   - pairwise path: otherwise (no embedding, or a state whose embed_len is
 *     0, e.g. linear CKA's feature-space states for d << n), all states are
 *     kept and compare runs over the pairs in parallel threads.
 * Threads: prepares (and pairwise compares) run in parallel worker threads,
 * each with single-threaded BLAS; each worker prepares, embeds and releases
 * its own representations. The SYRK blocks are fixed by the budget, not by
 * the thread count, and accumulate in block order; each block is cut into
 * parts of a fixed width that the worker threads share (one BLAS thread
 * each), added in part order; so the result does not depend on the
 * number of worker threads (bit-identical on one machine, tested). Range
 * flags of the configuration clamp the cosine as the plugin's compare does.
 *
 * Memory: the budget bounds simmat's own buffers (E, m x L doubles, in
 * memory when it fits, else in the spill file, two blocks of at most a
 * quarter of the budget each in memory: one in the products while the
 * next is read); each running worker also holds one
 * plugin state while it prepares (for CKA 16 n^2 bytes) and, with
 * sc_simmat_compute_lazy, one representation's features, so the inputs
 * never need to be in memory all at once. With extra->reserve the
 * workers' share is taken off the budget before E's (issue 13: a 12.2
 * GiB E kept in memory under --memory 12G plus two workers' 6 GB gave a
 * 19.4 GB peak). */
#ifndef SC_SIMMAT_H
#define SC_SIMMAT_H

#include <stddef.h>

#include "err.h"
#include "loader.h"
#include "mat.h"
#include "progress.h"
#include "spill.h"

typedef struct sc_simmat_opts {
    unsigned threads;      /* worker threads; 0 = 1                          */
    size_t memory_budget;  /* bytes for simmat's buffers; 0 = half of RAM    */
    const char *cache_dir; /* spill directory; NULL = $TMPDIR or /tmp       */
    int use_embed;         /* 1 auto (use embed when offered), 0 never      */
    /* Appended after the first version; zero = default. */
    size_t block_cols; /* force SYRK blocks of at most this many columns
                          (0 = derived from the budget); tests use it  */
} sc_simmat_opts;

/* Further options, kept out of sc_simmat_opts so that callers' positional
 * initialisers of it stay complete (-Wmissing-field-initializers). */
typedef struct sc_simmat_extra {
    int float32; /* 1: E stored in float32 (half the memory and bandwidth),
                    SYRK per part of at most SC_SIMMAT_F32_BLOCK columns in
                    float32, the parts summed in float64; 0: all float64 */
    /* Progress display (core/base/progress.h) or NULL: phases "<label>prepare"
     * (one step per representation), then "<label>products" (one step per
     * part of a SYRK block) or "<label>pairs" (one per pair). progress_label
     * may be NULL (""). */
    sc_progress *progress;
    const char *progress_label;
    /* Bytes of the budget reserved for the running workers' prepare memory
     * (their features, Gram and plugin states; simcon run sizes it with
     * sc_plan_reserve, core/run/run_plan.h): an E stays in memory only
     * while the E's held fit the budget less this, else it spills; the
     * products of a spilled E, which run after the prepares, hold two
     * blocks of at most a quarter of the whole budget each. 0: nothing
     * reserved (as before). Results do not depend on it (the blocks'
     * parts are fixed). */
    size_t reserve;
    /* Appended (zero = the former behaviour). sc_simmat_compute_multi
     * only: the E's are opened behind this gate (spill.h: sparse while it
     * holds the bytes of earlier E's). */
    sc_spill_gate *gate;
    /* sc_simmat_compute_multi only: when every job took the embed path
     * and every E spilled, return after the prepares with the products
     * and cosines still to do in *defer (sc_simmat_finish, which may run
     * on another thread while the caller prepares the next dataset);
     * otherwise everything is done as before and *defer is NULL. */
    struct sc_simmat_pending **defer;
    /* sc_simmat_compute_multi only: 1 keeps the recycled pages of freed
     * huge blocks (core/base/mem.h) when it returns, for the caller's next
     * matrix or deferred products; the caller then calls
     * sc_mem_recycle_trim when it is done. 0: they are given back. */
    int keep_pages;
} sc_simmat_extra;

/* The budget when none is given (memory_budget 0): half of physical RAM,
 * leaving room for the page cache and the running workers' states. */
size_t sc_simmat_default_budget(void);

/* float32 parts stay short so that float32 accumulation inside one SYRK
 * (error ~ sqrt(k) * 6e-8 relative for k terms) stays near 4e-6 before the
 * float64 sum over parts averages it further; tests require agreement
 * with the float64 path to 1e-6 relative. */
#define SC_SIMMAT_F32_BLOCK 4096

/* What a run did, for logs, manifests and the benchmark. */
typedef struct sc_simmat_info {
    int used_embed;         /* 1 embed path, 0 pairwise path                  */
    int spilled;            /* 1 if E went to the spill file                  */
    size_t embed_len;       /* L (embed path)                                 */
    size_t blocks;          /* SYRK column blocks (embed path)                */
    double seconds_prepare; /* wall time: prepare (+ embed) of all reps */
    double seconds_pairs;   /* wall time: SYRK blocks or pairwise compare */
    double cpu_prepare;     /* process CPU seconds (all threads), same    */
    double cpu_pairs;       /* phases: meaningful on a shared machine     */
    int float32;            /* 1 if E was held in float32                 */
    size_t spill_queue;     /* bytes of a spilled E's writer buffers      */
} sc_simmat_info;

/* S is m x m row-major, S[i*m+j] = compare(prepare(X_i), prepare(X_j)); for
 * a non-symmetric metric both directions are computed; the diagonal is
 * computed too.
 * [in]  p, args  loaded metric and its parsed parameters.
 * [in]  reps     m views with equal row counts (>= the metric's min_rows).
 * [in]  opts     may be NULL (all defaults).
 * [out] S        m*m doubles, written only on success (no partial output).
 * Returns SC_OK; SC_EINVAL (m = 0, NULL S, row counts differ: names both
 * representations' indices and counts); a metric's error (prefixed with the
 * representation index, or the pair); SC_ENOMEM; SC_EIO (cache file). */
int sc_simmat_compute(const sc_plugin *p, const sc_args *args,
                      const sc_mat *reps, size_t m, const sc_simmat_opts *opts,
                      double *S, sc_err *err);
/* The same with further options (extra may be NULL) and a report of what
 * was done in *info (may be NULL). */
int sc_simmat_compute_info(const sc_plugin *p, const sc_args *args,
                           const sc_mat *reps, size_t m,
                           const sc_simmat_opts *opts,
                           const sc_simmat_extra *extra, double *S,
                           sc_simmat_info *info, sc_err *err);

/* Inputs loaded on demand: load(ud, i, owned, view, err) makes
 * representation i available as *view for the duration of one prepare; if
 * it had to allocate, it stores the matrix in *owned, which simmat frees
 * right after the prepare (sc_matrix_deinit). Called from worker threads,
 * at most once per representation and path (the pairwise fallback after a
 * mixed embed run loads again), so load must be thread-safe. rows is the
 * stimulus count every representation must have (checked per load). */
typedef int (*sc_simmat_load_fn)(void *ud, size_t i, sc_matrix *owned,
                                 sc_mat *view, sc_err *err);
int sc_simmat_compute_lazy(const sc_plugin *p, const sc_args *args, size_t m,
                           size_t rows, sc_simmat_load_fn load, void *ud,
                           const sc_simmat_opts *opts,
                           const sc_simmat_extra *extra, double *S,
                           sc_simmat_info *info, sc_err *err);

/* S_ij = G_ij / sqrt(G_ii G_jj) of the m x m products G (both
 * triangles), clamped to the metric's range as its compare does; SC_ENUMERIC
 * naming the pair when a norm is 0 or the value not finite. The embed
 * path's last step, also used by blocks of model pairs (simblock.h). */
int sc_simmat_cosines(const sc_plugin *p, const sc_args *args, size_t m,
                      const double *g, double *S, sc_err *err);

/* Several metrics on the same representations (a dataset of a run): one
 * job per metric. Every metric on the embed path prepares representation i
 * in the same work item, right after the others: the features are loaded
 * once per representation (not once per metric) and the prepares share
 * one Gram cache (gram.h), so linear CKA, RBF CKA and RSA with correlation
 * RDMs compute one Gram per representation instead of three. Each embed
 * metric writes its own E (the memory budget is shared: an E stays in
 * memory while the E's held in memory fit the budget, less
 * extra->reserve, together), then the
 * products and cosines run metric by metric. A metric without an
 * embedding, or whose states differ in embedding length, is computed
 * afterwards on its own (sc_simmat_compute's pairwise path). Results are
 * those of sc_simmat_compute for each job, bit for bit, with the same
 * budget. reps NULL: load/ud give the inputs as for sc_simmat_compute_lazy.
 * A job's E is float32 when extra->float32 or job->float32 is set, so
 * metrics of one pass may differ in precision (simcon run: the metrics
 * whose params select precision=float32).
 * On failure *failed (if not NULL) is the index of the job whose error err
 * holds: the lowest-numbered representation that failed, and on it the
 * first job in order. */
typedef struct sc_simmat_job {
    const sc_plugin *p;
    const sc_args *args;
    double *S;         /* m x m output, written only on success */
    const char *label; /* progress label prefix of its own phases */
    /* Appended (zero = the former behaviour; callers zero the struct): */
    int float32; /* 1: this job's E in float32 (extra->float32 sets it for
                    every job), with the float32 error bound above */
    sc_simmat_info *info; /* NULL, or on success what was done for this
                             job: used_embed, spilled, embed_len, blocks,
                             float32 (no timings) */
} sc_simmat_job;

int sc_simmat_compute_multi(const sc_simmat_job *jobs, size_t njobs,
                            const sc_mat *reps, size_t m, size_t rows,
                            sc_simmat_load_fn load, void *ud,
                            const sc_simmat_opts *opts,
                            const sc_simmat_extra *extra, size_t *failed,
                            sc_err *err);

/* ## Products later (issue 13: overlapped datasets)
 *
 * The products of a spilled E mostly wait for the disk (at full size 33-58
 * s per dataset with the CPUs nearly idle), so simcon run computes them
 * on a thread of their own while the next dataset prepares. A pending
 * pass owns its E's (spill files) and the copies of its jobs; the jobs'
 * S and info must stay valid until sc_simmat_finish returns. */
typedef struct sc_simmat_pending sc_simmat_pending;

/* Products and cosines of every job of pd, in job order, into their S and
 * info; then frees pd (always, also on failure: the E's are closed). budget
 * gives the products' two column blocks (a quarter of it each, as in
 * sc_simmat_opts.memory_budget); the bits do not depend on it (the parts
 * are fixed). progress NULL: no display. First checks each E's delayed
 * reservation (sc_spill_reserved). On failure *failed (if not NULL) is
 * the job whose error err holds. Thread-safe against other engine calls
 * of the process (it shares nothing with them but the pool). */
int sc_simmat_finish(sc_simmat_pending *pd, size_t budget,
                     sc_progress *progress, size_t *failed, sc_err *err);
/* Holds pd's E's on g (sc_spill_gate_hold) until its products close
 * them: call once the E's are reserved, i.e. once nothing held before
 * them is left (else they would hold back their own reservation). */
void sc_simmat_pending_hold(sc_simmat_pending *pd, sc_spill_gate *g);
/* Drops pd unfinished (its E's closed, no S written); NULL is allowed. */
void sc_simmat_pending_free(sc_simmat_pending *pd);

#endif
