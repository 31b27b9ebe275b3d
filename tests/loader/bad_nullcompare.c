/* Descriptor with compare = NULL, an undocumented parameter and an enum
 * default outside its choices: the loader must list all three problems. */
#include "fixture_common.h"

static const sc_param bad_params[] = {
    {"k", SC_PARAM_INT, 0, 3, 1, 10, NULL, ""},
    {"mode", SC_PARAM_ENUM, 0, 5, 0, 0, "fast|exact", "a choice"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};
static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "bad_nullcompare", "1.0.0",
    "test fixture", "test fixture", SC_METRIC_SYMMETRIC, 2, bad_params, NULL,
    NULL, fx_prepare, NULL, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
