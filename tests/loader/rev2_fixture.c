/* A plugin built against the previous host API revision (2): compiled with
 * tests/loader/rev2/simcon/plugin.h, a verbatim copy of include/simcon/
 * plugin.h as it was before revision 3 appended host->gram. Revision 3 is
 * additive, so this plugin must keep loading and computing (issue 13). It
 * uses host->ssyrk, the newest call of its revision. */
#include <math.h>

#include "simcon/plugin.h"

_Static_assert(SC_HOST_API_REV == 2, "built against revision 2");

typedef struct r2_state {
    double trace; /* float32 trace of X X^T */
} r2_state;

static int r2_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                      const sc_mat *x, void **state)
{
    (void)args;
    size_t n = x->rows, d = x->cols;
    float *xf = host->alloc(ctx, n * d * sizeof *xf);
    float *g = host->alloc(ctx, n * n * sizeof *g);
    r2_state *s = host->alloc(ctx, sizeof *s);
    if (xf == NULL || g == NULL || s == NULL) {
        host->free(ctx, xf);
        host->free(ctx, g);
        host->free(ctx, s);
        return SC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            xf[i * d + j] = (float)x->data[i * x->ld + j];
    int rc = host->ssyrk(ctx, SC_NOTRANS, n, d, 1.0f, xf, d, 0.0f, g, n);
    s->trace = 0.0;
    for (size_t i = 0; rc == SC_OK && i < n; i++)
        s->trace += (double)g[i * n + i];
    host->free(ctx, xf);
    host->free(ctx, g);
    if (rc != SC_OK) {
        host->free(ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

static int r2_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                      const void *sx, const void *sy, double *value)
{
    (void)host;
    (void)ctx;
    (void)args;
    const r2_state *a = sx, *b = sy;
    *value = 1.0 / (1.0 + fabs(a->trace - b->trace));
    return SC_OK;
}

static void r2_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    host->free(ctx, state);
}

static const sc_param r2_params[] = {{NULL, 0, 0, 0, 0, 0, NULL, NULL}};

static const sc_metric desc = {SC_ABI_VERSION,
                               2,
                               "rev2_fixture",
                               "1.0.0",
                               "test fixture",
                               "test fixture",
                               SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE,
                               1,
                               r2_params,
                               NULL,
                               NULL,
                               r2_prepare,
                               r2_compare,
                               r2_release,
                               NULL,
                               NULL,
                               NULL};
SC_PLUGIN_DEFINE(desc)
