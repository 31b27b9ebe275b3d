/* svcca: singular vector canonical correlation analysis.
 *
 * Definition: centre the columns of X; SVD X = U S V^T; keep the top k_X
 * singular directions, k_X the smallest count with
 *   sum_{i <= k} s_i^2 >= variance * sum_i s_i^2;
 * likewise for Y. The canonical correlations rho_1 >= ... >= rho_m,
 * m = min(k_X, k_Y), of the reduced representations X' = U_k S_k and Y'
 * are the singular values of U_kX^T U_kY (the cosines of the principal
 * angles between the two column spaces; Bjorck & Golub 1973), and
 *   svcca(X, Y) = (1/m) sum_i rho_i.
 * Reference: Raghu, Gilmer, Yosinski & Sohl-Dickstein, "SVCCA: Singular
 * Vector Canonical Correlation Analysis for Deep Learning Dynamics and
 * Interpretability", NeurIPS 2017 (they keep 99% of the variance).
 * Variance is measured by squared singular values (the variance of the
 * centred data along each direction).
 *
 * PWCCA (Morcos et al. 2018) is not offered: its weights come from CCA on
 * the raw, unreduced activations with the reference code's own epsilon
 * handling, which does not fit this reduced-basis state cleanly.
 *
 * Requirements
 *   Req. 1  n >= 2 (descriptor min_rows); variance in [0.01, 1].
 *   Req. 2  Directions beyond the numerical rank (s_i <= s_1 max(n, d) eps,
 *           numpy.linalg.matrix_rank's rule) are never kept: they are
 *           rounding noise and have no defined direction. Zero variance
 *           (all rows equal up to rounding): SC_EDOM. Non-finite features:
 *           SC_ENUMERIC.
 *   Req. 3  n > k_X is required (CCA with as many directions as stimuli
 *           is degenerate): SC_EDOM otherwise. Centring makes the rank at
 *           most n - 1, so this holds unless rounding says otherwise.
 *   Req. 4  Value in [0, 1] (each rho clamped to [0, 1] against rounding);
 *           symmetric; compare(x, x) = 1.
 *   Req. 5  Invariant to joint permutation of stimuli, orthogonal
 *           transforms, positive scaling and shifts of the features.
 *   Req. 6  prepare: one thin SVD (host->svd; of X^T when d > n, as the
 *           host needs rows >= cols), O(n d min(n, d)); the state keeps the
 *           n x k orthonormal basis U_k. compare: one GEMM and one SVD of a
 *           k_X x k_Y matrix, O(n k_X k_Y + k^3).
 *
 * Hand-written: centring and the variance cut; products and SVDs go
 * through the host. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"

/* ## Parameters */

enum { P_VARIANCE };

/* Below 1% the cut keeps a single direction of almost any representation;
 * the bound keeps the parameter meaningful. */
#define SVCCA_VARIANCE_MIN 0.01

static const sc_param svcca_params[] = {
    {"variance", SC_PARAM_REAL, 0, 0.99, SVCCA_VARIANCE_MIN, 1.0, NULL,
     "fraction of variance the kept singular directions explain (Raghu: "
     "0.99)"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* Zero variance: ||Xc||_F below what rounding alone leaves of data of the
 * given magnitude (n eps relative error of the means; 16 head-room; the
 * same rule as plugins/cka.c). */
#define SVCCA_ZERO_ULPS 16.0

/* ## State */

typedef struct svcca_state {
    size_t n, k;
    double *u; /* n x k, orthonormal columns */
} svcca_state;

static void state_free(const sc_host *host, sc_ctx *ctx, svcca_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->u);
    host->free(ctx, s);
}

/* Column-centre x into xc (n x d, two-pass means); sum(xc^2), sum(x^2). */
static void centre(const sc_mat *x, double *xc, double *var2, double *scale2)
{
    size_t n = x->rows, d = x->cols;
    double s2 = 0.0, v2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = x->data + i * x->ld;
        memcpy(xc + i * d, row, d * sizeof *xc);
        for (size_t j = 0; j < d; j++)
            s2 += row[j] * row[j];
    }
    for (size_t j = 0; j < d; j++) {
        double mean = 0.0, c = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += xc[i * d + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            c += xc[i * d + j] - mean;
        mean += c / (double)n;
        for (size_t i = 0; i < n; i++) {
            xc[i * d + j] -= mean;
            v2 += xc[i * d + j] * xc[i * d + j];
        }
    }
    *var2 = v2;
    *scale2 = s2;
}

/* Left singular vectors of the n x d matrix xc (consumed: freed or handed
 * back as *u) and its r = min(n, d) singular values sv (decreasing). */
static int left_svd(const sc_host *host, sc_ctx *ctx, double *xc, size_t n,
                    size_t d, double **u, double *sv)
{
    *u = NULL;
    if (n >= d) {
        int rc = host->svd(ctx, n, d, xc, d, sv, NULL);
        if (rc != SC_OK) {
            host->free(ctx, xc);
            return rc;
        }
        *u = xc; /* now U, n x d */
        return SC_OK;
    }
    /* d > n: X^T = W S V^T, so X = V S W^T and U = V = (V^T)^T. */
    double *at = host->alloc(ctx, d * n * sizeof *at);
    double *vt = host->alloc(ctx, n * n * sizeof *vt);
    int rc = SC_OK;
    if (at == NULL || vt == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            at[j * n + i] = xc[i * d + j];
    rc = host->svd(ctx, d, n, at, n, sv, vt);
    if (rc != SC_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double t = vt[i * n + j];
            vt[i * n + j] = vt[j * n + i];
            vt[j * n + i] = t;
        }
    *u = vt;
    vt = NULL;
done:
    host->free(ctx, xc);
    host->free(ctx, at);
    host->free(ctx, vt);
    return rc;
}

/* ## Callbacks */

static int svcca_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const sc_mat *x, void **state)
{
    *state = NULL;
    size_t n = x->rows, d = x->cols, r = n < d ? n : d;
    double variance = args->value[P_VARIANCE];
    svcca_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    double *xc = host->alloc(ctx, n * d * sizeof *xc);
    double *sv = host->alloc(ctx, r * sizeof *sv);
    double *u = NULL;
    int rc = SC_OK;
    if (xc == NULL || sv == NULL) {
        host->free(ctx, xc);
        rc = SC_ENOMEM;
        goto done;
    }
    double var2, scale2;
    centre(x, xc, &var2, &scale2);
    if (!isfinite(scale2) || !isfinite(var2)) {
        host->free(ctx, xc);
        rc = host->fail(ctx, SC_ENUMERIC,
                        "the representation has NaN or Inf features (or "
                        "overflows when squared); fix the input");
        goto done;
    }
    double tol = SVCCA_ZERO_ULPS * (double)n * DBL_EPSILON;
    if (var2 <= tol * tol * scale2) {
        host->free(ctx, xc);
        rc = host->fail(ctx, SC_EDOM,
                        "representation has zero variance over its %zu rows "
                        "(all rows equal): no singular directions to keep; "
                        "drop it or check the features",
                        n);
        goto done;
    }
    rc = left_svd(host, ctx, xc, n, d, &u, sv);
    if (rc != SC_OK)
        goto done;
    /* Req. 2: numerical rank, then the variance cut within it. */
    double cut = sv[0] * (double)(n > d ? n : d) * DBL_EPSILON;
    size_t rank = 0;
    double total = 0.0;
    while (rank < r && sv[rank] > cut) {
        total += sv[rank] * sv[rank];
        rank++;
    }
    size_t k = 0;
    double cum = 0.0;
    while (k < rank && cum < variance * total) {
        cum += sv[k] * sv[k];
        k++;
    }
    if (k >= n) {
        rc = host->fail(ctx, SC_EDOM,
                        "keeping %zu singular directions needs more than %zu "
                        "stimuli (CCA with as many directions as stimuli is "
                        "degenerate); lower variance or add stimuli",
                        k, n);
        goto done;
    }
    s->k = k;
    s->u = host->alloc(ctx, n * k * sizeof *s->u);
    if (s->u == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(s->u + i * k, u + i * r, k * sizeof *s->u);
done:
    host->free(ctx, u);
    host->free(ctx, sv);
    if (rc != SC_OK) {
        state_free(host, ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

static int svcca_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const void *px, const void *py, double *value)
{
    (void)args;
    const svcca_state *sx = px, *sy = py;
    if (sx->k < sy->k) { /* host->svd needs rows >= cols */
        const svcca_state *t = sx;
        sx = sy;
        sy = t;
    }
    size_t kx = sx->k, ky = sy->k, n = sx->n;
    double *m = host->alloc(ctx, kx * ky * sizeof *m);
    double *rho = host->alloc(ctx, ky * sizeof *rho);
    int rc = SC_OK;
    if (m == NULL || rho == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    rc = host->gemm(ctx, SC_TRANS, SC_NOTRANS, kx, ky, n, 1.0, sx->u, kx, sy->u,
                    ky, 0.0, m, ky);
    if (rc == SC_OK)
        rc = host->svd(ctx, kx, ky, m, ky, rho, NULL);
    if (rc == SC_OK) {
        double sum = 0.0;
        for (size_t i = 0; i < ky; i++)
            sum += rho[i] > 1.0 ? 1.0 : (rho[i] < 0.0 ? 0.0 : rho[i]);
        *value = sum / (double)ky;
    }
done:
    host->free(ctx, m);
    host->free(ctx, rho);
    return rc;
}

static void svcca_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

static const sc_metric svcca_desc = {
    .abi_version = SC_ABI_VERSION,
    .host_api_min = 1,
    .name = "svcca",
    .version = "1.0.0",
    .reference = "Raghu, Gilmer, Yosinski & Sohl-Dickstein, SVCCA, NeurIPS "
                 "2017, arXiv:1706.05806",
    .summary = "mean canonical correlation of the top singular directions "
               "(SVCCA)",
    .flags = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE | SC_METRIC_RANGE_01 |
             SC_METRIC_ORTHO_INVARIANT | SC_METRIC_SCALE_INVARIANT |
             SC_METRIC_SHIFT_INVARIANT,
    .min_rows = 2,
    .params = svcca_params,
    .check_args = NULL,
    .flags_for = NULL,
    .prepare = svcca_prepare,
    .compare = svcca_compare,
    .release = svcca_release,
    .compare_subset = NULL,
    .embed_len = NULL,
    .embed = NULL,
};

SC_PLUGIN_DEFINE(svcca_desc)
