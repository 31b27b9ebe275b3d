/* Compiled alone (C99 and C++) by the header tests: plugin.h must need
 * nothing but the standard headers it includes. */
#include "simcon/plugin.h"

static const sc_param params[] = {{NULL, 0, 0, 0, 0, 0, NULL, NULL}};

static int prep(const sc_host *h, sc_ctx *c, const sc_args *a,
                const sc_mat *x, void **s)
{
    (void)a;
    (void)x;
    *s = h->alloc(c, 8);
    return *s ? SC_OK : SC_ENOMEM;
}
static int cmp(const sc_host *h, sc_ctx *c, const sc_args *a, const void *x,
               const void *y, double *v)
{
    (void)h;
    (void)c;
    (void)a;
    (void)x;
    (void)y;
    *v = 1.0;
    return SC_OK;
}
static void rel(const sc_host *h, sc_ctx *c, void *s)
{
    h->free(c, s);
}
static const sc_metric desc = {SC_ABI_VERSION, SC_HOST_API_REV, "header_only",
                               "1.0.0", "none", "none", 0, 1, params, NULL,
                               NULL, prep, cmp, rel, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
