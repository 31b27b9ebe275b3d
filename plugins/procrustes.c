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
 * Centring, the zero-variance rule, the singular basis and the singular
 * values of Z_x^T Z_y: include/simcon/plugin_util.h; products and SVDs go
 * through the host. */
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

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

/* ||Xc||_F^2 summed column by column, with one accumulator: the order
 * procrustes 1.0.0 has always used, kept so that its values stay
 * bit-identical (the BLAS dot of sc_pu_centre's var2 rounds differently in
 * the last bits, up to 5e-15 relative on the golden cases). */
static double frobenius2(const double *xc, size_t n, size_t d)
{
    double v2 = 0.0;
    for (size_t j = 0; j < d; j++)
        for (size_t i = 0; i < n; i++)
            v2 += xc[i * d + j] * xc[i * d + j];
    return v2;
}

/* Req. 5: Z from the centred, unit-Frobenius X~ (xc, n x d, consumed):
 * X~ itself when d <= n; else V S from the left singular basis V and the
 * singular values S of X~ (plugin_util.h computes it through the SVD of
 * X~^T), the n x n matrix with the Gram matrix of X~. */
static int reduce(const sc_host *host, sc_ctx *ctx, double *xc, size_t n,
                  size_t d, procrustes_state *s)
{
    if (d <= n) {
        s->r = d;
        s->z = xc;
        return SC_OK;
    }
    double *sv = host->alloc(ctx, n * sizeof *sv);
    if (sv == NULL) {
        host->free(ctx, xc);
        return SC_ENOMEM;
    }
    int rc = sc_pu_left_svd(host, ctx, xc, n, d, &s->z, sv);
    if (rc == SC_OK) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                s->z[i * n + j] *= sv[j];
        s->r = n;
    }
    host->free(ctx, sv);
    return rc;
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
    int rc = xc == NULL ? SC_ENOMEM
                        : sc_pu_centre_checked(host, ctx, x, xc, NULL,
                                               "Procrustes similarity is 0/0");
    if (rc != SC_OK) {
        host->free(ctx, xc);
        state_free(host, ctx, s);
        return rc;
    }
    double inv = 1.0 / sqrt(frobenius2(xc, n, d));
    for (size_t p = 0; p < n * d; p++)
        xc[p] *= inv;
    rc = reduce(host, ctx, xc, n, d, s);
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
    size_t m = sx->r < sy->r ? sx->r : sy->r;
    double *sv = host->alloc(ctx, m * sizeof *sv);
    if (sv == NULL)
        return SC_ENOMEM;
    int rc = sc_pu_cross_sv(host, ctx, sx->n, sx->z, sx->r, sy->z, sy->r, sv);
    if (rc == SC_OK) {
        double nuc = 0.0;
        for (size_t i = 0; i < m; i++)
            nuc += sv[i];
        *value = nuc > 1.0 ? 1.0 : (nuc < 0.0 ? 0.0 : nuc);
    }
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
