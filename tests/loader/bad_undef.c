/* Depends on a symbol nothing provides: dlopen(RTLD_NOW) must fail and the
 * message must point at ldd. Linked without -z defs on purpose. */
#include "fixture_common.h"

extern double sc_symbol_that_does_not_exist(double);

static int undef_compare(const sc_host *host, sc_ctx *ctx,
                         const sc_args *args, const void *sx, const void *sy,
                         double *value)
{
    (void)host;
    (void)ctx;
    (void)args;
    (void)sx;
    (void)sy;
    *value = sc_symbol_that_does_not_exist(0.5);
    return SC_OK;
}

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "bad_undef", "1.0.0", "test fixture",
    "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL, NULL,
    fx_prepare, undef_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
