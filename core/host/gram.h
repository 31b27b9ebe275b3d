/* The shared Gram matrices behind host->gram (include/simcon/plugin.h,
 * SC_HOST_API_REV 3).
 *
 * Linear CKA, RBF CKA and RSA with correlation RDMs all derive their
 * states from the Gram matrix of the same (column-centred) features; the
 * all-pairs engine (simmat.c) prepares every metric of a dataset on one
 * representation in a row and hands their prepares one cache, so that
 * Gram is computed once per representation instead of once per metric.
 *
 * A cache lives for one representation (one work item of the engine, on
 * its worker's stack): no locks, and it holds at most SC_GRAM_SLOTS
 * matrices (one per distinct flag set asked for), freed by
 * sc_gram_cache_clear as soon as the last metric has prepared that
 * representation. So at most one cache per worker thread is alive, and
 * the memory is that of the Gram each worker would otherwise form inside
 * a plugin anyway (8 n^2 bytes).
 *
 * Threads: a Gram is computed in fixed row panels, each one GEMM with one
 * BLAS thread (gram.c); the panels of one Gram are shared by the threads
 * the engine's workers leave idle (fewer items left than threads: the
 * probe of representation 0, the tail, a single big model), so both cores
 * work in the prepare stage and the bits never depend on the thread count.
 *
 * Without a cache (simcon compare, a bootstrap re-prepare, or
 * SIMCON_GRAM_CACHE=off) every request computes its own matrix with the
 * same routine, so results are bit-identical with and without the cache
 * (tests/simmat/test_gram_cache.c). */
#ifndef SC_GRAM_H
#define SC_GRAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "simcon/plugin.h"

#define SC_GRAM_SLOTS 4

typedef struct sc_gram_obj sc_gram_obj;

typedef struct sc_gram_cache {
    sc_gram_obj *slot[SC_GRAM_SLOTS];
    size_t used;
    int off; /* SIMCON_GRAM_CACHE=off: every request computes */
    /* Threads for a Gram: the engine's `threads` minus its other busy
     * items (*busy counts the running items, this one included); busy
     * NULL: one thread. Set by the engine after sc_gram_cache_init. */
    unsigned threads;
    const atomic_uint *busy;
} sc_gram_cache;

/* An empty cache; reads SIMCON_GRAM_CACHE ("off" or "0" disables it). */
void sc_gram_cache_init(sc_gram_cache *c);
/* Free every cached matrix (none may still be borrowed). */
void sc_gram_cache_clear(sc_gram_cache *c);

/* The Gram of x with flags SC_GRAM_*: from c when it holds one for the
 * same matrix view and flags, else computed (and kept in c when c is not
 * NULL, enabled and has a free slot). host is the table whose dot the
 * centring uses. */
int sc_gram_get(sc_gram_cache *c, const sc_host *host, const sc_mat *x,
                uint32_t flags, const sc_gram **out, sc_err *err);
/* Return a matrix from sc_gram_get: a cached one stays in its cache, any
 * other is freed. */
void sc_gram_put(const sc_gram *g);

/* Gram matrices computed so far by this process (for tests: with the cache
 * the three paper metrics compute one per representation). */
unsigned long sc_gram_computed(void);

#endif
