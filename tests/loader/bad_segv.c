/* compare reads an unmapped address: simcon must say which plugin and call
 * crashed and still die of SIGSEGV (issue 18, defect 5). Address 16, not
 * NULL: UBSan would report a NULL load itself and exit before the fault. */
#include <stdint.h>

#include "fixture_common.h"

static int segv_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                        const void *sx, const void *sy, double *value)
{
    (void)host;
    (void)ctx;
    (void)args;
    (void)sx;
    (void)sy;
    volatile double *volatile nowhere = (volatile double *)(uintptr_t)16;
    *value = *nowhere;
    return SC_OK;
}

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "bad_segv", "1.0.0", "test fixture",
    "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL, NULL,
    fx_prepare, segv_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
