/* Runs code the moment it is loaded: a library constructor that calls
 * exit(0). `simcon check --no-load` must not run it; plain `check` loads
 * it and must fail naming it (issue 18, defects 5 and 6). */
#include <stdlib.h>

#include "fixture_common.h"

__attribute__((constructor)) static void on_load(void)
{
    exit(0);
}

static const sc_metric desc = FX_DESC("bad_ctor");
SC_PLUGIN_DEFINE(desc)
