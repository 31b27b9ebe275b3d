/* Calling a loaded metric (see metric.h).
 *
 * Each wrapper gives the plugin a fresh context bound to the caller's
 * sc_err, then checks what the ABI promises: a failure carries a message, a
 * success leaves a state / a finite value, and compare returns every block
 * it allocated. A plugin that breaks a promise gets an error naming it, so a
 * plugin bug is reported as such instead of corrupting a result.
 *
 * This is where plugin code runs during a computation: every call is
 * bracketed by sc_guard_enter/leave (core/host/guard.h), so an exit() or a
 * crash inside it is reported with the metric and the call. */
#include "metric.h"

#include <math.h>
#include <string.h>

#include "guard.h"
#include "host.h"
#include "mem.h"

typedef struct state_handle {
    void *plugin_state;
    size_t rows;
    size_t bytes; /* host->alloc bytes the prepare left live, + handle */
} state_handle;

/* After a plugin call: make sure a failure has a message. */
static int finish(const sc_plugin *p, sc_ctx *ctx, int rc, const char *what,
                  sc_err *err)
{
    if (rc == SC_OK)
        return SC_OK;
    /* A failed call owns nothing: take back what it did not free. */
    sc_ctx_reclaim(ctx);
    if (!ctx->failed)
        sc_err_set(err, rc,
                   "metric %s: %s failed with status %d but gave no reason "
                   "(plugin bug: report it to the plugin's author)",
                   p->desc->name, what, rc);
    return err ? err->code : rc;
}

int sc_metric_prepare(const sc_plugin *p, const sc_args *args, const sc_mat *x,
                      void **state, sc_err *err)
{
    return sc_metric_prepare_shared(p, args, x, NULL, state, err);
}

/* After prepare: a Gram still borrowed from host->gram is a plugin bug
 * (the cache may free it); hand it back and say so. */
static int check_grams(const sc_plugin *p, sc_ctx *ctx, int rc, sc_err *err)
{
    long kept = sc_ctx_reclaim_grams(ctx);
    if (kept == 0 || rc != SC_OK)
        return rc;
    return sc_err_set(err, SC_EABI,
                      "metric %s: prepare kept %ld Gram matrix(es) from "
                      "host->gram (plugin bug: gram_release before "
                      "returning)",
                      p->desc->name, kept);
}

int sc_metric_prepare_shared(const sc_plugin *p, const sc_args *args,
                             const sc_mat *x, sc_gram_cache *grams,
                             void **state, sc_err *err)
{
    *state = NULL;
    const sc_metric *d = p->desc;
    if (x->rows < d->min_rows)
        return sc_err_set(err, SC_EDOM,
                          "metric %s needs at least %zu stimuli (rows), got "
                          "%zu",
                          d->name, d->min_rows, x->rows);
    state_handle *h = sc_malloc(sizeof *h);
    if (h == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory preparing %s",
                          d->name);
    sc_ctx ctx;
    sc_ctx_init(&ctx, err, d->name);
    ctx.grams = grams;
    void *ps = NULL;
    sc_guard_frame g = sc_guard_enter(d->name, "prepare");
    int rc = d->prepare(sc_host_get(), &ctx, args, x, &ps);
    sc_guard_leave(g);
    int plugin_rc = rc;
    rc = check_grams(p, &ctx, rc, err);
    if (plugin_rc == SC_OK && rc != SC_OK && ps != NULL) {
        /* only the Gram check failed: the state is valid, release it */
        g = sc_guard_enter(d->name, "release");
        d->release(sc_host_get(), &ctx, ps);
        sc_guard_leave(g);
        ps = NULL;
        ctx.failed = 1;
    }
    if (rc == SC_OK && ps == NULL)
        rc = sc_err_set(err, SC_EABI,
                        "metric %s: prepare returned success without a "
                        "state (plugin bug)",
                        d->name);
    else
        rc = finish(p, &ctx, rc, "prepare", err);
    if (rc != SC_OK) {
        sc_free(h);
        return rc;
    }
    h->plugin_state = ps;
    h->rows = x->rows;
    h->bytes = ctx.live_bytes + sizeof *h;
    *state = h;
    return SC_OK;
}

static int check_rows(const sc_plugin *p, const state_handle *a,
                      const state_handle *b, sc_err *err)
{
    if (a->rows != b->rows)
        return sc_err_set(err, SC_EINVAL,
                          "metric %s: representations have different numbers "
                          "of stimuli (%zu vs %zu rows); rows must be the "
                          "same stimuli in the same order",
                          p->desc->name, a->rows, b->rows);
    return SC_OK;
}

static int check_value(const sc_plugin *p, sc_ctx *ctx, double v, sc_err *err)
{
    if (ctx->live_blocks != 0) {
        long kept = ctx->live_blocks;
        sc_ctx_reclaim(ctx); /* the run stops; do not leak on top */
        return sc_err_set(err, SC_EABI,
                          "metric %s: compare kept %ld block(s) from "
                          "host->alloc (plugin bug: compare must free what "
                          "it allocates)",
                          p->desc->name, kept);
    }
    if (!isfinite(v))
        return sc_err_set(err, SC_ENUMERIC,
                          "metric %s returned a non-finite value (%g); a "
                          "plugin must report failures through host->fail",
                          p->desc->name, v);
    return SC_OK;
}

int sc_metric_compare(const sc_plugin *p, const sc_args *args, const void *sx,
                      const void *sy, double *value, sc_err *err)
{
    const state_handle *a = sx, *b = sy;
    int rc = check_rows(p, a, b, err);
    if (rc != SC_OK)
        return rc;
    sc_ctx ctx;
    sc_ctx_init(&ctx, err, p->desc->name);
    double v = 0.0;
    sc_guard_frame g = sc_guard_enter(p->desc->name, "compare");
    rc = p->desc->compare(sc_host_get(), &ctx, args, a->plugin_state,
                          b->plugin_state, &v);
    sc_guard_leave(g);
    rc = finish(p, &ctx, rc, "compare", err);
    if (rc == SC_OK)
        rc = check_value(p, &ctx, v, err);
    if (rc == SC_OK)
        *value = v;
    return rc;
}

/* Rows idx of x, copied into a new matrix view backed by *buf. */
static int gather_rows(const sc_mat *x, const size_t *idx, size_t count,
                       double **buf, sc_mat *out, sc_err *err)
{
    size_t cells = 0;
    sc_size_mul(count, x->cols ? x->cols : 1, &cells); /* SIZE_MAX: fails */
    double *data = sc_aligned_alloc(cells, sizeof(double));
    if (data == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory gathering %zu rows",
                          count);
    for (size_t i = 0; i < count; i++) {
        if (idx[i] >= x->rows) {
            sc_aligned_free(data);
            return sc_err_set(err, SC_EINVAL,
                              "subset index %zu out of range (%zu rows)",
                              idx[i], x->rows);
        }
        memcpy(data + i * x->cols, x->data + idx[i] * x->ld,
               x->cols * sizeof(double));
    }
    *buf = data;
    out->rows = count;
    out->cols = x->cols;
    out->ld = x->cols;
    out->data = data;
    return SC_OK;
}

int sc_metric_compare_subset(const sc_plugin *p, const sc_args *args,
                             const void *sx, const void *sy, const sc_mat *x,
                             const sc_mat *y, const size_t *idx, size_t count,
                             double *value, sc_err *err)
{
    const state_handle *a = sx, *b = sy;
    int rc = check_rows(p, a, b, err);
    if (rc != SC_OK)
        return rc;
    for (size_t i = 0; i < count; i++)
        if (idx[i] >= a->rows)
            return sc_err_set(err, SC_EINVAL,
                              "subset index %zu out of range (%zu rows)",
                              idx[i], a->rows);
    if (count < p->desc->min_rows)
        return sc_err_set(err, SC_EDOM,
                          "metric %s needs at least %zu stimuli, subset has "
                          "%zu",
                          p->desc->name, p->desc->min_rows, count);
    if (p->desc->compare_subset != NULL) {
        sc_ctx ctx;
        sc_ctx_init(&ctx, err, p->desc->name);
        double v = 0.0;
        sc_guard_frame g = sc_guard_enter(p->desc->name, "compare_subset");
        rc = p->desc->compare_subset(sc_host_get(), &ctx, args, a->plugin_state,
                                     b->plugin_state, idx, count, &v);
        sc_guard_leave(g);
        rc = finish(p, &ctx, rc, "compare_subset", err);
        if (rc == SC_OK)
            rc = check_value(p, &ctx, v, err);
        if (rc == SC_OK)
            *value = v;
        return rc;
    }
    if (x == NULL || y == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "metric %s offers no compare_subset; the features "
                          "are needed to resample stimuli",
                          p->desc->name);
    double *bx = NULL, *by = NULL;
    void *s1 = NULL, *s2 = NULL;
    sc_mat vx, vy;
    rc = gather_rows(x, idx, count, &bx, &vx, err);
    if (rc == SC_OK)
        rc = gather_rows(y, idx, count, &by, &vy, err);
    if (rc == SC_OK)
        rc = sc_metric_prepare(p, args, &vx, &s1, err);
    if (rc == SC_OK)
        rc = sc_metric_prepare(p, args, &vy, &s2, err);
    if (rc == SC_OK)
        rc = sc_metric_compare(p, args, s1, s2, value, err);
    sc_metric_release(p, s1);
    sc_metric_release(p, s2);
    sc_aligned_free(bx);
    sc_aligned_free(by);
    return rc;
}

void sc_metric_release(const sc_plugin *p, void *state)
{
    state_handle *h = state;
    if (h == NULL)
        return;
    sc_ctx ctx;
    sc_ctx_init(&ctx, NULL, p->desc->name);
    sc_guard_frame g = sc_guard_enter(p->desc->name, "release");
    p->desc->release(sc_host_get(), &ctx, h->plugin_state);
    sc_guard_leave(g);
    sc_free(h);
}

size_t sc_metric_state_rows(const void *state)
{
    const state_handle *h = state;
    return h ? h->rows : 0;
}

size_t sc_metric_state_bytes(const void *state)
{
    const state_handle *h = state;
    return h ? h->bytes : 0;
}

size_t sc_metric_embed_len(const sc_plugin *p, const void *state)
{
    const state_handle *h = state;
    if (p->desc->embed_len == NULL || p->desc->embed == NULL || h == NULL)
        return 0;
    sc_guard_frame g = sc_guard_enter(p->desc->name, "embed_len");
    size_t len = p->desc->embed_len(h->plugin_state);
    sc_guard_leave(g);
    return len;
}

int sc_metric_embed(const sc_plugin *p, const void *state, size_t offset,
                    size_t count, double *out, sc_err *err)
{
    const state_handle *h = state;
    if (p->desc->embed == NULL)
        return sc_err_set(err, SC_EINVAL, "metric %s offers no embedding",
                          p->desc->name);
    sc_ctx ctx;
    sc_ctx_init(&ctx, err, p->desc->name);
    sc_guard_frame g = sc_guard_enter(p->desc->name, "embed");
    int rc = p->desc->embed(sc_host_get(), &ctx, h->plugin_state, offset, count,
                            out);
    sc_guard_leave(g);
    return finish(p, &ctx, rc, "embed", err);
}

uint32_t sc_metric_flags(const sc_plugin *p, const sc_args *args)
{
    if (p->desc->flags_for != NULL) {
        sc_guard_frame g = sc_guard_enter(p->desc->name, "flags_for");
        uint32_t f = p->desc->flags_for(args);
        sc_guard_leave(g);
        return f;
    }
    return p->desc->flags;
}

const char *sc_metric_precision(const sc_plugin *p, const sc_args *args)
{
    for (size_t k = 0; k < p->nparams && k < args->count; k++) {
        const sc_param *par = &p->desc->params[k];
        if (strcmp(par->name, "precision") != 0 || par->choices == NULL)
            continue;
        /* The enum's chosen spelling. */
        const char *c = par->choices;
        for (long i = 0; c != NULL && i < (long)args->value[k]; i++) {
            c = strchr(c, '|');
            c = c ? c + 1 : NULL;
        }
        return c != NULL && strncmp(c, "float32", 7) == 0 ? "float32"
                                                          : "float64";
    }
    return "float64";
}
