/* Needs a host API revision newer than ours: the entry refuses. */
#include "fixture_common.h"

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV + 1, "bad_apimin", "1.0.0",
    "test fixture", "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL,
    NULL, fx_prepare, fx_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
