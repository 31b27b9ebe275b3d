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
 * Centring, the zero-variance rule, the left singular basis, the rank cut
 * and the singular values of U_kX^T U_kY: include/simcon/plugin_util.h.
 * Hand-written here: the variance cut; products and SVDs go through the
 * host. */
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

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

/* ## Callbacks */

/* Req. 2: the smallest k whose leading directions, within the numerical
 * rank, explain the fraction variance of the total. */
static size_t variance_cut(const double *sv, size_t rank, double variance)
{
    double total = 0.0;
    for (size_t i = 0; i < rank; i++)
        total += sv[i] * sv[i];
    size_t k = 0;
    double cum = 0.0;
    while (k < rank && cum < variance * total) {
        cum += sv[k] * sv[k];
        k++;
    }
    return k;
}

static int svcca_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const sc_mat *x, void **state)
{
    *state = NULL;
    size_t n = x->rows, d = x->cols, r = n < d ? n : d;
    double *u, *sv;
    int rc = sc_pu_centred_basis(host, ctx, x, "no singular directions to keep",
                                 &u, &sv);
    if (rc != SC_OK)
        return rc;
    size_t rank = sc_pu_numerical_rank(sv, r, n, d);
    size_t k = variance_cut(sv, rank, args->value[P_VARIANCE]);
    host->free(ctx, sv);
    if (k >= n) {
        host->free(ctx, u);
        return host->fail(ctx, SC_EDOM,
                          "keeping %zu singular directions needs more than "
                          "%zu stimuli (CCA with as many directions as "
                          "stimuli is degenerate); lower variance or add "
                          "stimuli",
                          k, n);
    }
    svcca_state *s = host->alloc(ctx, sizeof *s);
    double *uk = sc_pu_first_columns(host, ctx, u, n, r, k);
    host->free(ctx, u);
    if (s == NULL || uk == NULL) {
        host->free(ctx, s);
        host->free(ctx, uk);
        return SC_ENOMEM;
    }
    s->n = n;
    s->k = k;
    s->u = uk;
    *state = s;
    return SC_OK;
}

static int svcca_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const void *px, const void *py, double *value)
{
    (void)args;
    const svcca_state *sx = px, *sy = py;
    size_t m = sx->k < sy->k ? sx->k : sy->k;
    double *rho = host->alloc(ctx, m * sizeof *rho);
    if (rho == NULL)
        return SC_ENOMEM;
    int rc = sc_pu_cross_sv(host, ctx, sx->n, sx->u, sx->k, sy->u, sy->k, rho);
    if (rc == SC_OK) {
        double sum = 0.0;
        for (size_t i = 0; i < m; i++)
            sum += rho[i] > 1.0 ? 1.0 : (rho[i] < 0.0 ? 0.0 : rho[i]);
        *value = sum / (double)m;
    }
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
