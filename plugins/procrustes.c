/* procrustes: orthogonal Procrustes similarity of two representations.
 *
 * Definition: with X~ = (X - 1 mean(X)) / ||X - 1 mean(X)||_F (columns
 * centred, unit Frobenius norm) and likewise Y~,
 *   procrustes(X, Y) = ||X~^T Y~||_* = max over orthogonal R of <X~ R, Y~>
 * (nuclear norm: the sum of singular values). The Procrustes distance of
 * Ding et al. is 2 - 2 ||X~^T Y~||_*, Williams et al.'s angular shape
 * metric arccos ||X~^T Y~||_*; both are functions of this similarity.
 * Different widths: pad the narrower matrix with zero columns; that adds
 * zero rows or columns to X~^T Y~, which leaves its singular values
 * unchanged, so no padding is ever materialised.
 * References: Ding, Denain & Steinhardt, "Grounding Representation
 * Similarity with Statistical Testing", NeurIPS 2021; Williams, Kunz,
 * Kornblith & Linderman, "Generalized Shape Metrics on Neural
 * Representations", NeurIPS 2021; Schoenemann, Psychometrika 31, 1966.
 *
 * Requirements
 *   Req. 1  n >= 2 (descriptor min_rows).
 *   Req. 2  Zero variance (all rows equal up to the rounding of the
 *           centring): SC_EDOM. Non-finite features: SC_ENUMERIC.
 *   Req. 3  Value in [0, 1] (||A^T B||_* <= ||A||_F ||B||_F), clamped to
 *           absorb rounding; symmetric; compare(x, x) = tr(X~^T X~) = 1.
 *   Req. 4  Invariant to joint permutation of stimuli, orthogonal
 *           transforms, positive scaling and shifts of the features.
 *   Req. 5  prepare reduces X~ to Z (n x r, r = min(n, d)) with
 *           Z Z^T = X~ X~^T: Z = X~ when d <= n, else Z = V S from the SVD
 *           X~^T = V S W^T (host->svd). ||X~^T Y~||_* = ||Z_x^T Z_y||_*
 *           because X~ = Z Q^T with Q having orthonormal columns, which
 *           leaves singular values unchanged. compare: one GEMM and one SVD
 *           of an r_x x r_y matrix, O(n r_x r_y + r^3).
 *
 * Hand-written: centring only; products and SVD go through the host. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"

/* Zero variance: ||Xc||_F below what rounding alone leaves of data of the
 * given magnitude. Centring sums n terms (relative error ~ n eps); 16 is
 * head-room for the two-pass mean (the same rule as plugins/cka.c). */
#define PROCRUSTES_ZERO_ULPS 16.0

static const sc_param procrustes_params[] = {{NULL, 0, 0, 0, 0, 0, NULL, NULL}};

typedef struct procrustes_state {
    size_t n, r;
    double *z; /* n x r, Z Z^T = X~ X~^T, ||Z||_F = 1 */
} procrustes_state;

static void state_free(const sc_host *host, sc_ctx *ctx, procrustes_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->z);
    host->free(ctx, s);
}

/* Column-centre x into xc (n x d, two-pass means). Returns sum(xc^2) and
 * sum(x^2) for the zero-variance test. */
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

static int procrustes_prepare(const sc_host *host, sc_ctx *ctx,
                              const sc_args *args, const sc_mat *x,
                              void **state)
{
    (void)args;
    *state = NULL;
    size_t n = x->rows, d = x->cols;
    procrustes_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    double *xc = host->alloc(ctx, n * d * sizeof *xc);
    double *at = NULL, *sv = NULL;
    int rc = SC_OK;
    if (xc == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    double var2, scale2;
    centre(x, xc, &var2, &scale2);
    if (!isfinite(scale2) || !isfinite(var2)) {
        rc = host->fail(ctx, SC_ENUMERIC,
                        "the representation has NaN or Inf features (or "
                        "overflows when squared); fix the input");
        goto done;
    }
    double tol = PROCRUSTES_ZERO_ULPS * (double)n * DBL_EPSILON;
    if (var2 <= tol * tol * scale2) {
        rc = host->fail(ctx, SC_EDOM,
                        "representation has zero variance over its %zu rows "
                        "(all rows equal): Procrustes similarity is 0/0; "
                        "drop it or check the features",
                        n);
        goto done;
    }
    double inv = 1.0 / sqrt(var2);
    if (d <= n) {
        for (size_t p = 0; p < n * d; p++)
            xc[p] *= inv;
        s->r = d;
        s->z = xc;
        xc = NULL;
        goto done;
    }
    /* d > n: SVD of X~^T (d x n, rows >= cols as host->svd needs); the
     * n x n matrix V S then has the same Gram matrix as X~. */
    at = host->alloc(ctx, d * n * sizeof *at);
    sv = host->alloc(ctx, n * sizeof *sv);
    s->z = host->alloc(ctx, n * n * sizeof *s->z);
    if (at == NULL || sv == NULL || s->z == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            at[j * n + i] = xc[i * d + j] * inv;
    rc = host->svd(ctx, d, n, at, n, sv, s->z);
    if (rc != SC_OK)
        goto done;
    /* host->svd factored X~^T = U S V^T and wrote V^T into s->z; then
     * X~ = V S U^T, so Z = V S: transpose in place, scale the columns. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double t = s->z[i * n + j];
            s->z[i * n + j] = s->z[j * n + i];
            s->z[j * n + i] = t;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            s->z[i * n + j] *= sv[j];
    s->r = n;
done:
    host->free(ctx, xc);
    host->free(ctx, at);
    host->free(ctx, sv);
    if (rc != SC_OK) {
        state_free(host, ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

static int procrustes_compare(const sc_host *host, sc_ctx *ctx,
                              const sc_args *args, const void *px,
                              const void *py, double *value)
{
    (void)args;
    const procrustes_state *sx = px, *sy = py;
    /* host->svd needs rows >= cols: put the wider state first. */
    if (sx->r < sy->r) {
        const procrustes_state *t = sx;
        sx = sy;
        sy = t;
    }
    size_t rx = sx->r, ry = sy->r, n = sx->n;
    double *m = host->alloc(ctx, rx * ry * sizeof *m);
    double *sv = host->alloc(ctx, ry * sizeof *sv);
    int rc = SC_OK;
    if (m == NULL || sv == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    rc = host->gemm(ctx, SC_TRANS, SC_NOTRANS, rx, ry, n, 1.0, sx->z, rx, sy->z,
                    ry, 0.0, m, ry);
    if (rc == SC_OK)
        rc = host->svd(ctx, rx, ry, m, ry, sv, NULL);
    if (rc == SC_OK) {
        double nuc = 0.0;
        for (size_t i = 0; i < ry; i++)
            nuc += sv[i];
        *value = nuc > 1.0 ? 1.0 : (nuc < 0.0 ? 0.0 : nuc);
    }
done:
    host->free(ctx, m);
    host->free(ctx, sv);
    return rc;
}

static void procrustes_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

static const sc_metric procrustes_desc = {
    .abi_version = SC_ABI_VERSION,
    .host_api_min = 1,
    .name = "procrustes",
    .version = "1.0.0",
    .reference = "Ding et al., NeurIPS 2021, arXiv:2108.01661; Williams et "
                 "al., NeurIPS 2021, arXiv:2110.14739",
    .summary = "orthogonal Procrustes similarity ||X^T Y||_* of centred, "
               "unit-Frobenius representations",
    .flags = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE | SC_METRIC_RANGE_01 |
             SC_METRIC_ORTHO_INVARIANT | SC_METRIC_SCALE_INVARIANT |
             SC_METRIC_SHIFT_INVARIANT,
    .min_rows = 2,
    .params = procrustes_params,
    .check_args = NULL,
    .flags_for = NULL,
    .prepare = procrustes_prepare,
    .compare = procrustes_compare,
    .release = procrustes_release,
    .compare_subset = NULL,
    .embed_len = NULL,
    .embed = NULL,
};

SC_PLUGIN_DEFINE(procrustes_desc)
