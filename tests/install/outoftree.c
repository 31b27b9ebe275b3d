/* An out-of-tree plugin: built by check_install.sh against the INSTALLED
 * header only (pkg-config simcon), then loaded by the installed runner.
 *
 * Metric "outoftree": cosine similarity of the two representations' column
 * means, |<mx, my>| / (|mx| |my|) over the common leading columns; a toy
 * whose value the test derives by hand. */
#include <math.h>

#include <simcon/plugin.h>

typedef struct mean_state {
    size_t cols;
    double *mean;
} mean_state;

static int prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                   const sc_mat *x, void **state)
{
    (void)args;
    mean_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    s->cols = x->cols;
    s->mean = host->alloc(ctx, x->cols * sizeof(double));
    if (s->mean == NULL) {
        host->free(ctx, s);
        return SC_ENOMEM;
    }
    for (size_t j = 0; j < x->cols; j++) {
        double sum = 0.0;
        for (size_t i = 0; i < x->rows; i++)
            sum += x->data[i * x->ld + j];
        s->mean[j] = sum / (double)x->rows;
    }
    *state = s;
    return SC_OK;
}

static int compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                   const void *sx, const void *sy, double *value)
{
    (void)args;
    const mean_state *a = sx, *b = sy;
    size_t d = a->cols < b->cols ? a->cols : b->cols;
    double ab = host->dot(d, a->mean, b->mean);
    double aa = host->dot(d, a->mean, a->mean);
    double bb = host->dot(d, b->mean, b->mean);
    if (aa == 0.0 || bb == 0.0)
        return host->fail(ctx, SC_EDOM, "a column-mean vector is zero");
    *value = fabs(ab) / sqrt(aa * bb);
    return SC_OK;
}

static void release(const sc_host *host, sc_ctx *ctx, void *state)
{
    mean_state *s = state;
    if (s == NULL)
        return;
    host->free(ctx, s->mean);
    host->free(ctx, s);
}

static const sc_param params[] = {{NULL, 0, 0, 0, 0, 0, NULL, NULL}};

static const sc_metric desc = {
    SC_ABI_VERSION, SC_HOST_API_REV, "outoftree", "0.1.0",
    "simcon install test", "cosine of column means (test plugin)",
    SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE | SC_METRIC_RANGE_01, 1, params,
    NULL, NULL, prepare, compare, release, NULL, NULL, NULL};
SC_PLUGIN_DEFINE(desc)
