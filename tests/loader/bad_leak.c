/* compare allocates through the host and does not free: the host must
 * report the leak (it is a plugin bug, and would grow with every pair). */
#include "fixture_common.h"

static int leak_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                        const void *sx, const void *sy, double *value)
{
    (void)args;
    (void)sx;
    (void)sy;
    if (host->alloc(ctx, 64) == NULL)
        return SC_ENOMEM;
    *value = 0.5;
    return SC_OK;
}

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "bad_leak", "1.0.0", "test fixture",
    "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL, NULL,
    fx_prepare, leak_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
