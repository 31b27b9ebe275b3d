/* For tests that include a plugin's source (so its static functions are
 * reachable) and call those functions directly: the host context and a
 * host table's fail/alloc/free as plain malloc/free, and a seeded uniform
 * generator for test data. Include after the plugin's .c file. */
#ifndef SC_TEST_PLUGIN_SOURCE_HOST_H
#define SC_TEST_PLUGIN_SOURCE_HOST_H

#include <stdint.h>
#include <stdlib.h>

struct sc_ctx {
    int status;
};

/* host->fail: records the status; the message is not needed. */
static inline int t_fail(sc_ctx *ctx, int status, const char *fmt, ...)
{
    (void)fmt;
    ctx->status = status;
    return status;
}

static inline void *t_alloc(sc_ctx *ctx, size_t bytes)
{
    (void)ctx;
    return malloc(bytes);
}

static inline void t_free(sc_ctx *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* Seeded uniform in [0, 1) (a 64-bit LCG, Knuth MMIX constants). */
static inline double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

#endif
