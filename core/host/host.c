/* The host function table for plugins (see host.h and plugin.h).
 *
 * Everything a plugin may do beyond libc/libm goes through here: errors,
 * logging, aligned allocation, and BLAS/GSL numerics via core/num/blas.c. The
 * table is a static constant, so it is safe to share between threads. */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "mem.h"

static int log_level = -1; /* -1: not yet read from SIMCON_LOG */

void sc_host_set_log_level(int level)
{
    log_level = level;
}

static int current_log_level(void)
{
    if (log_level < 0) {
        const char *env = getenv("SIMCON_LOG");
        if (env && strcmp(env, "debug") == 0)
            log_level = SC_LOG_DEBUG;
        else if (env && strcmp(env, "info") == 0)
            log_level = SC_LOG_INFO;
        else
            log_level = SC_LOG_WARN;
    }
    return log_level;
}

void sc_ctx_init(sc_ctx *ctx, sc_err *err, const char *metric)
{
    ctx->err = err;
    ctx->metric = metric ? metric : "plugin";
    ctx->live_blocks = 0;
    ctx->failed = 0;
    ctx->live_bytes = 0;
    for (size_t i = 0; i < SC_CTX_TRACKED; i++) {
        ctx->tracked[i] = NULL;
        ctx->tracked_bytes[i] = 0;
    }
    ctx->grams = NULL;
    for (size_t i = 0; i < SC_CTX_GRAMS; i++)
        ctx->held[i] = NULL;
}

long sc_ctx_reclaim_grams(sc_ctx *ctx)
{
    long held = 0;
    for (size_t i = 0; i < SC_CTX_GRAMS; i++)
        if (ctx->held[i] != NULL) {
            sc_gram_put(ctx->held[i]);
            ctx->held[i] = NULL;
            held++;
        }
    return held;
}

long sc_ctx_reclaim(sc_ctx *ctx)
{
    long freed = 0;
    for (size_t i = 0; i < SC_CTX_TRACKED; i++)
        if (ctx->tracked[i] != NULL) {
            sc_aligned_free(ctx->tracked[i]);
            ctx->tracked[i] = NULL;
            ctx->live_bytes -= ctx->tracked_bytes[i];
            ctx->tracked_bytes[i] = 0;
            ctx->live_blocks--;
            freed++;
        }
    return freed;
}

__attribute__((format(printf, 3, 4))) static int
host_fail(sc_ctx *ctx, int status, const char *fmt, ...)
{
    if (status == SC_OK) /* a failure must carry a failing status */
        status = SC_EINVAL;
    if (ctx == NULL)
        return status;
    ctx->failed = 1;
    char msg[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sc_err_set(ctx->err, status, "metric %s: %s", ctx->metric, msg);
    return status;
}

__attribute__((format(printf, 3, 4))) static void
host_log(sc_ctx *ctx, int level, const char *fmt, ...)
{
    if (level < current_log_level())
        return;
    static const char *names[] = {"debug", "info", "warning"};
    const char *lname = level >= 0 && level <= 2 ? names[level] : "log";
    char raw[SC_ERR_MSG], msg[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    sc_escape_ctl(msg, sizeof msg, raw); /* one line, no terminal codes */
    fprintf(stderr, "simcon: %s: metric %s: %s\n", lname,
            ctx ? ctx->metric : "?", msg);
}

static void *host_alloc(sc_ctx *ctx, size_t bytes)
{
    void *p = sc_aligned_alloc(bytes, 1);
    if (p == NULL) {
        if (ctx != NULL) {
            ctx->failed = 1;
            sc_err_set(ctx->err, SC_ENOMEM,
                       "metric %s: out of memory allocating %zu bytes",
                       ctx->metric, bytes);
        }
        return NULL;
    }
    if (ctx != NULL) {
        ctx->live_blocks++;
        ctx->live_bytes += bytes;
        for (size_t i = 0; i < SC_CTX_TRACKED; i++)
            if (ctx->tracked[i] == NULL) {
                ctx->tracked[i] = p;
                ctx->tracked_bytes[i] = bytes;
                break;
            }
    }
    return p;
}

static void host_free(sc_ctx *ctx, void *p)
{
    if (p == NULL)
        return;
    if (ctx != NULL) {
        ctx->live_blocks--;
        for (size_t i = 0; i < SC_CTX_TRACKED; i++)
            if (ctx->tracked[i] == p) {
                ctx->tracked[i] = NULL;
                ctx->live_bytes -= ctx->tracked_bytes[i];
                ctx->tracked_bytes[i] = 0;
                break;
            }
    }
    sc_aligned_free(p);
}

/* The plugin's error record, or NULL without a context. */
static sc_err *ctx_err(const sc_ctx *ctx)
{
    return ctx != NULL ? ctx->err : NULL;
}

/* A numerics call's status as the plugin sees it: a failure marks the
 * context failed and names the metric in front of the wrapper's message. */
static int numerics_result(sc_ctx *ctx, int rc)
{
    if (rc != SC_OK && ctx != NULL) {
        ctx->failed = 1;
        sc_err_prefix(ctx->err, "metric %s", ctx->metric);
    }
    return rc;
}

static int host_gemm(sc_ctx *ctx, int ta, int tb, size_t m, size_t n, size_t k,
                     double alpha, const double *a, size_t lda, const double *b,
                     size_t ldb, double beta, double *c, size_t ldc)
{
    return numerics_result(ctx, sc_blas_gemm(ta, tb, m, n, k, alpha, a, lda, b,
                                             ldb, beta, c, ldc, ctx_err(ctx)));
}

static int host_syrk(sc_ctx *ctx, int trans, size_t n, size_t k, double alpha,
                     const double *a, size_t lda, double beta, double *c,
                     size_t ldc)
{
    return numerics_result(ctx, sc_blas_syrk(trans, n, k, alpha, a, lda, beta,
                                             c, ldc, ctx_err(ctx)));
}

static int host_svd(sc_ctx *ctx, size_t rows, size_t cols, double *a,
                    size_t lda, double *s, double *vt)
{
    return numerics_result(
        ctx, sc_blas_svd(rows, cols, a, lda, s, vt, ctx_err(ctx)));
}

static int host_eigh(sc_ctx *ctx, size_t n, double *a, size_t lda, double *w,
                     double *vecs)
{
    return numerics_result(ctx, sc_blas_eigh(n, a, lda, w, vecs, ctx_err(ctx)));
}

static int host_ssyrk(sc_ctx *ctx, int trans, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, float beta, float *c,
                      size_t ldc)
{
    return numerics_result(ctx, sc_blas_ssyrk(trans, n, k, alpha, a, lda, beta,
                                              c, ldc, ctx_err(ctx)));
}

static const sc_host host_table;

static int host_gram(sc_ctx *ctx, const sc_mat *x, uint32_t flags,
                     const sc_gram **out)
{
    if (out == NULL || x == NULL)
        return host_fail(ctx, SC_EINVAL, "host->gram needs x and out");
    *out = NULL;
    size_t slot = SC_CTX_GRAMS;
    for (size_t i = 0; ctx != NULL && i < SC_CTX_GRAMS; i++)
        if (ctx->held[i] == NULL) {
            slot = i;
            break;
        }
    if (ctx != NULL && slot == SC_CTX_GRAMS)
        return host_fail(ctx, SC_EINVAL,
                         "more than %d Gram matrices held at once; release "
                         "one first (host->gram_release)",
                         SC_CTX_GRAMS);
    int rc = sc_gram_get(ctx != NULL ? ctx->grams : NULL, &host_table, x, flags,
                         out, ctx_err(ctx));
    if (rc != SC_OK)
        return numerics_result(ctx, rc);
    if (ctx != NULL)
        ctx->held[slot] = *out;
    return SC_OK;
}

static void host_gram_release(sc_ctx *ctx, const sc_gram *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; ctx != NULL && i < SC_CTX_GRAMS; i++)
        if (ctx->held[i] == g) {
            ctx->held[i] = NULL;
            break;
        }
    sc_gram_put(g);
}

static const sc_host host_table = {
    .abi_version = SC_ABI_VERSION,
    .api_rev = SC_HOST_API_REV,
    .size = sizeof(sc_host),
    .fail = host_fail,
    .log = host_log,
    .alloc = host_alloc,
    .free = host_free,
    .gemm = host_gemm,
    .syrk = host_syrk,
    .dot = sc_blas_dot,
    .svd = host_svd,
    .eigh = host_eigh,
    .ssyrk = host_ssyrk, /* SC_HOST_API_REV 2 */
    .gram = host_gram,   /* SC_HOST_API_REV 3 */
    .gram_release = host_gram_release,
};

const sc_host *sc_host_get(void)
{
    return &host_table;
}
