/* A valid plugin: the loader must accept it. */
#include "fixture_common.h"

static const sc_metric desc = FX_DESC("good_fixture");
SC_PLUGIN_DEFINE(desc)
