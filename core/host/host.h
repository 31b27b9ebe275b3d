/* The host side of the plugin ABI: the per-call context and the function
 * table handed to plugins (include/simcon/plugin.h, sc_host).
 *
 * A context lives on the caller's stack for one plugin call. It routes
 * host->fail into the caller's sc_err (prefixed with the metric name) and
 * counts blocks obtained through host->alloc minus those returned through
 * host->free, so the core can catch a compare that leaks. */
#ifndef SC_HOST_H
#define SC_HOST_H

#include "err.h"
#include "gram.h"
#include "simcon/plugin.h"

/* Blocks allocated through a context are remembered (up to this many at a
 * time) so the host can take back what a compare forgot to free. */
#define SC_CTX_TRACKED 32
/* Gram matrices (host->gram) a context may hold at once. */
#define SC_CTX_GRAMS 4

struct sc_ctx {
    sc_err *err;        /* where fail() writes; may be NULL              */
    const char *metric; /* metric name for messages                      */
    long live_blocks;   /* alloc() minus free() during this context      */
    int failed;         /* fail() was called                             */
    void *tracked[SC_CTX_TRACKED]; /* live blocks from this context      */
    size_t tracked_bytes[SC_CTX_TRACKED]; /* their sizes                 */
    /* Bytes allocated minus the tracked blocks freed: what a prepare leaves
     * in its state (an over-estimate when more than SC_CTX_TRACKED blocks
     * were live at once and some of the untracked ones were freed). */
    size_t live_bytes;
    sc_gram_cache *grams; /* shared Grams of this representation, or NULL */
    const sc_gram *held[SC_CTX_GRAMS]; /* borrowed through host->gram   */
};

void sc_ctx_init(sc_ctx *ctx, sc_err *err, const char *metric);

/* Free the blocks this context allocated and the plugin did not free (a
 * plugin bug the caller reports); returns how many it freed. Blocks past
 * SC_CTX_TRACKED live ones at a time are counted but cannot be reclaimed. */
long sc_ctx_reclaim(sc_ctx *ctx);

/* Hand back the Gram matrices the plugin still holds (a plugin bug the
 * caller reports); returns how many. */
long sc_ctx_reclaim_grams(sc_ctx *ctx);

/* The process-wide host table (immutable). */
const sc_host *sc_host_get(void);

/* Log threshold: messages below it are dropped (default SC_LOG_WARN;
 * SIMCON_LOG=debug|info|warn overrides at first use). */
void sc_host_set_log_level(int level);

#endif
