/* Built "for another ABI": abi_version is one more than the host's. */
#include "fixture_common.h"

static const sc_metric desc = {
    SC_ABI_VERSION + 1, SC_HOST_API_REV, "bad_abi", "1.0.0", "test fixture",
    "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL, NULL,
    fx_prepare, fx_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
