/* compare fails with a message holding LF, ESC, CR and BEL: simcon must
 * print it as one line with the characters escaped (issue 18, defect 12). */
#include "fixture_common.h"

static int ctl_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const void *sx, const void *sy, double *value)
{
    (void)args;
    (void)sx;
    (void)sy;
    (void)value;
    return host->fail(ctx, SC_EDOM, "line one\nline two \x1b[31mred\r\a");
}

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "bad_ctlmsg", "1.0.0", "test fixture",
    "test fixture", SC_METRIC_SYMMETRIC, 2, fx_params, NULL, NULL,
    fx_prepare, ctl_compare, fx_release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
