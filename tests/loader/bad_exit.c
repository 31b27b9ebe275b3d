/* compare calls exit(0): simcon must not exit 0 (issue 18, defect 5). */
#include <stdlib.h>

#include "fixture_common.h"

static int exit_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                        const void *sx, const void *sy, double *value)
{
    (void)host;
    (void)ctx;
    (void)args;
    (void)sx;
    (void)sy;
    (void)value;
    exit(0);
}

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "bad_exit", "1.0.0", "test fixture",
    "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL, NULL,
    fx_prepare, exit_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
