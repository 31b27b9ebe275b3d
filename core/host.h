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
#include "simcon/plugin.h"

struct sc_ctx {
    sc_err *err;        /* where fail() writes; may be NULL              */
    const char *metric; /* metric name for messages                      */
    long live_blocks;   /* alloc() minus free() during this context      */
    int failed;         /* fail() was called                             */
};

void sc_ctx_init(sc_ctx *ctx, sc_err *err, const char *metric);

/* The process-wide host table (immutable). */
const sc_host *sc_host_get(void);

/* Log threshold: messages below it are dropped (default SC_LOG_WARN;
 * SIMCON_LOG=debug|info|warn overrides at first use). */
void sc_host_set_log_level(int level);

#endif
