/* Shared body of the loader test fixtures: a tiny, valid metric ("mean of
 * X minus mean of Y", squashed into (0, 1]) that each bad_*.c then breaks
 * in exactly one way. Built only for tests; never installed. */
#ifndef FIXTURE_COMMON_H
#define FIXTURE_COMMON_H

#include <math.h>

#include "simcon/plugin.h"

typedef struct fx_state {
    double mean;
} fx_state;

__attribute__((unused)) static int fx_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                      const sc_mat *x, void **state)
{
    (void)args;
    fx_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    double sum = 0.0;
    for (size_t i = 0; i < x->rows; i++)
        for (size_t j = 0; j < x->cols; j++)
            sum += x->data[i * x->ld + j];
    s->mean = sum / (double)(x->rows * x->cols);
    *state = s;
    return SC_OK;
}

__attribute__((unused)) static int fx_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                      const void *sx, const void *sy, double *value)
{
    (void)host;
    (void)ctx;
    (void)args;
    const fx_state *a = sx, *b = sy;
    *value = 1.0 / (1.0 + fabs(a->mean - b->mean));
    return SC_OK;
}

__attribute__((unused)) static void fx_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    host->free(ctx, state);
}

static const sc_param fx_params[] = {
    {"k", SC_PARAM_INT, 0, 3, 1, 10, NULL, "a neighbour count"},
    {"mode", SC_PARAM_ENUM, 0, 1, 0, 0, "fast|exact|slow", "a choice"},
    {"sigma", SC_PARAM_REAL, SC_PARAM_OPTIONAL, 0, 0.001, 100, NULL,
     "an optional bandwidth"},
    {"unbiased", SC_PARAM_BOOL, 0, 1, 0, 1, NULL, "a switch"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

#define FX_DESC(NAME)                                                         \
    {SC_ABI_VERSION, SC_HOST_API_REV, NAME, "1.0.0", "test fixture",         \
     "test fixture", SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE, 2, fx_params, \
     NULL, NULL, fx_prepare, fx_compare, fx_release, NULL, NULL, NULL}

#endif
