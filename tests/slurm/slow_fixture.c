/* Test fixture for tests/slurm: the loader fixtures' metric ("mean of X
 * minus mean of Y", squashed into (0, 1]) whose prepare first sleeps `ms`
 * milliseconds, so that a similarity task runs long enough to be cancelled
 * mid-task. Built only for tests; never installed. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "../loader/fixture_common.h"

static const sc_param slow_params[] = {
    {"ms", SC_PARAM_INT, 0, 300, 0, 60000, NULL, "sleep per prepare"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

static int slow_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                        const sc_mat *x, void **state)
{
    double ms = args->value[0];
    struct timespec ts = {(time_t)(ms / 1000),
                          (long)((long)ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return fx_prepare(host, ctx, args, x, state);
}

static const sc_metric desc = {SC_ABI_VERSION,
                               SC_HOST_API_REV,
                               "slow_fixture",
                               "1.0.0",
                               "test fixture",
                               "test fixture",
                               SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE,
                               1,
                               slow_params,
                               NULL,
                               NULL,
                               slow_prepare,
                               fx_compare,
                               fx_release,
                               NULL,
                               NULL,
                               NULL};
SC_PLUGIN_DEFINE(desc)
