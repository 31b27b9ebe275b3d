/* TEMPLATE: skeleton of a simcon metric plugin. NOT BUILT (the plugin
 * CMakeLists.txt skips this file). Copy it to plugins/<name>.c, where
 * <name> is lower_snake, unique, and equal to the descriptor's .name; then
 * replace every "template" and every TODO. plugins/cka.c is a complete
 * example of every optional callback. docs/PLUGINS.md is the guide: the
 * contract in brief, the shared helpers, and how to add the tests and the
 * golden reference values.
 *
 * Header comment of a real plugin:
 *   - the definition as one formula line, e.g.
 *       f(X, Y) = <s(X), s(Y)> / (|s(X)| |s(Y)|)
 *   - the citation (paper, DOI, reference implementation and version);
 *   - numbered requirements the code and tests cite as "Req. N": inputs,
 *     domain errors (which inputs give SC_EDOM, with what message), output
 *     range, invariances (these must match the flags: the contract tests
 *     check every flag you set);
 *   - the memory a state holds, as a formula in n (rows) and d (columns).
 *
 * Rules (include/simcon/plugin.h has the full contract):
 *   - include only "simcon/plugin.h", "simcon/plugin_util.h" (optional:
 *     the helpers plugins share, header-only, no ABI) and C standard
 *     headers; link only libc/libm (the build uses -z defs, so anything
 *     else fails to link);
 *   - before writing a numerical helper, look in plugin_util.h: column
 *     centring (with a row subset), the zero-variance rule, the left
 *     singular basis and numerical rank, singular values of A^T B, top-k
 *     with the lower index winning ties, the kNN input checks;
 *   - no malloc/free: host->alloc/host->free; no mutable statics (compare
 *     runs concurrently on many threads); no I/O, printing, exit, abort,
 *     threads, RNG, locale or signals;
 *   - every failure: `return host->fail(ctx, SC_EDOM, "...");` with one
 *     line saying what was expected, what was found and what to do; never
 *     a NaN result;
 *   - products through host->gemm/syrk/dot (OpenBLAS), decompositions
 *     through host->svd/eigh; hand-written numerics only where none fits,
 *     said so in a comment. */
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h" /* optional: shared helpers (sc_pu_*) */

/* ## Parameters: one entry per parameter, in the order of args->value. */

enum { P_EXAMPLE };

static const sc_param template_params[] = {
    /* name, type, flags, default, lo, hi, choices, one-line doc */
    {"example", SC_PARAM_REAL, 0, 1.0, 0.0, 10.0, NULL,
     "TODO: what it controls, and its unit"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* ## State: everything prepare computes from ONE representation, so that
 * compare does as little as possible per pair. */

typedef struct template_state {
    size_t n;    /* rows (stimuli); the host guarantees equal n per pair */
    double *s;   /* TODO: the prepared statistic, e.g. n x n           */
    double self; /* TODO: e.g. <s, s> for a cosine-type metric         */
} template_state;

static void state_free(const sc_host *host, sc_ctx *ctx, template_state *st)
{
    if (st == NULL)
        return;
    host->free(ctx, st->s);
    host->free(ctx, st);
}

/* ## Callbacks */

/* Optional: reject parameter combinations the schema cannot express. */
static int template_check_args(const sc_host *host, sc_ctx *ctx,
                               const sc_args *args)
{
    (void)host;
    (void)ctx;
    (void)args;
    return SC_OK;
}

/* Required: build the state. x->rows >= desc.min_rows (host-checked).
 * On failure leave *state NULL and free everything allocated so far. */
static int template_prepare(const sc_host *host, sc_ctx *ctx,
                            const sc_args *args, const sc_mat *x, void **state)
{
    (void)args;
    *state = NULL;
    template_state *st = host->alloc(ctx, sizeof *st);
    if (st == NULL)
        return SC_ENOMEM; /* host->alloc already recorded the message */
    memset(st, 0, sizeof *st);
    st->n = x->rows;
    st->s = host->alloc(ctx, x->rows * x->rows * sizeof *st->s);
    if (st->s == NULL) {
        state_free(host, ctx, st);
        return SC_ENOMEM;
    }
    /* TODO: compute the statistic; e.g. the Gram matrix X X^T: */
    int rc = host->syrk(ctx, SC_NOTRANS, x->rows, x->cols, 1.0, x->data, x->ld,
                        0.0, st->s, x->rows);
    if (rc != SC_OK) {
        state_free(host, ctx, st);
        return rc;
    }
    st->self = host->dot(x->rows * x->rows, st->s, st->s);
    if (!(st->self > 0.0)) { /* TODO: the metric's real domain check */
        state_free(host, ctx, st);
        return host->fail(ctx, SC_EDOM,
                          "representation is all zero; template needs a "
                          "non-zero statistic");
    }
    *state = st;
    return SC_OK;
}

/* Required: combine two states; write a finite value. Scratch memory, if
 * any, through host->alloc and freed before returning. */
static int template_compare(const sc_host *host, sc_ctx *ctx,
                            const sc_args *args, const void *sx, const void *sy,
                            double *value)
{
    (void)ctx;
    (void)args;
    const template_state *x = sx, *y = sy;
    double cross = host->dot(x->n * x->n, x->s, y->s);
    *value = cross / sqrt(x->self * y->self); /* TODO: the definition */
    return SC_OK;
}

/* Required: free a state; NULL is a no-op. */
static void template_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

/* ## Descriptor: set flags honestly (the contract tests derive their
 * checks from them); use flags_for if they depend on parameters. Optional
 * callbacks left NULL: flags_for, compare_subset (bootstrap over stimuli
 * from the states), embed_len/embed (batched all-pairs path, only if
 * compare is the cosine of one vector per state). */

static const sc_metric template_desc = {
    .abi_version = SC_ABI_VERSION,
    .host_api_min = 1,
    .name = "template", /* must equal the file stem */
    .version = "0.1.0", /* bump when the output changes */
    .reference = "TODO: citation or DOI",
    .summary = "TODO: one line, what it measures",
    .flags = SC_METRIC_SYMMETRIC, /* TODO */
    .min_rows = 2,
    .params = template_params,
    .check_args = template_check_args,
    .flags_for = NULL,
    .prepare = template_prepare,
    .compare = template_compare,
    .release = template_release,
    .compare_subset = NULL,
    .embed_len = NULL,
    .embed = NULL,
};

SC_PLUGIN_DEFINE(template_desc)
