/* Compiled alone (C99 and C++) by the header tests: plugin.h and
 * plugin_util.h must need nothing but the standard headers they include,
 * and the helpers must compile warning-free in both languages. */
#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

static const sc_param params[] = {{NULL, 0, 0, 0, 0, 0, NULL, NULL}};

static int prep(const sc_host *h, sc_ctx *c, const sc_args *a, const sc_mat *x,
                void **s)
{
    (void)a;
    *s = NULL;
    /* One call into each kind of helper, so both compilers see them used. */
    int rc = sc_pu_check_neighbours(h, c, x, 1, "no neighbours");
    double *u = NULL, *sv = NULL;
    if (rc == SC_OK)
        rc = sc_pu_centred_basis(h, c, x, "nothing to compare", &u, &sv);
    if (rc == SC_OK && sc_pu_numerical_rank(sv, 1, x->rows, x->cols) == 0)
        rc = SC_EDOM;
    h->free(c, u);
    h->free(c, sv);
    if (rc != SC_OK)
        return rc;
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
static const sc_metric desc = {SC_ABI_VERSION,
                               SC_HOST_API_REV,
                               "header_only",
                               "1.0.0",
                               "none",
                               "none",
                               0,
                               1,
                               params,
                               NULL,
                               NULL,
                               prep,
                               cmp,
                               rel,
                               NULL,
                               NULL,
                               NULL};
SC_PLUGIN_DEFINE(desc)
