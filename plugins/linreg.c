/* linreg: linear predictivity (ridge regression R^2) of Y from X.
 *
 * Definition: with X, Y column-centred,
 *   B = argmin ||Y - X B||_F^2 + alpha ||B||_F^2 = (X^T X + alpha I)^-1 X^T Y,
 *   linreg(X -> Y) = 1 - ||Y - X B||_F^2 / ||Y||_F^2
 * (in-sample, fitted on all stimuli, pooled over all columns of Y).
 * DIRECTION: compare(x, y) predicts y from x. The metric is asymmetric; the
 * descriptor does not claim SYMMETRIC, so runners evaluate both directions.
 * Through the thin SVD X = U S V^T (host->svd), X B = U diag(f) U^T Y with
 * f_i = s_i^2 / (s_i^2 + alpha), and with Y = U_Y S_Y V_Y^T and
 * P = U^T U_Y S_Y:
 *   R^2 = sum_i (2 f_i - f_i^2) ||P_i||^2 / sum_j s_Yj^2.
 * References: ridge regression, Hoerl & Kennard, Technometrics 12(1), 1970;
 * linear predictivity as a representational similarity: Yamins et al.,
 * PNAS 2014; Schrimpf et al., Brain-Score, bioRxiv 2018 (there with
 * cross-validation; here in-sample, as the issue specifies).
 *
 * Default alpha = 1.0: the paper's features have unit-norm rows, so the
 * total variance sum s_i^2 is at most n and a direction carrying a 1/n
 * share of it has s_i^2 of about 1; alpha = 1 thus halves the fit of
 * directions below that share and leaves the dominant ones intact (f ~ 1),
 * a mild, scale-appropriate ridge. alpha = 0 is ordinary least squares
 * (minimum-norm), which interpolates (R^2 = 1) whenever rank(X) >= n - 1,
 * i.e. for every wide representation.
 *
 * Requirements
 *   Req. 1  n >= 2 (descriptor min_rows); alpha in [0, 1e12].
 *   Req. 2  Singular values s_i <= s_1 max(n, d) eps (numpy's matrix_rank
 *           and lstsq rcond rule) are treated as zero, so alpha = 0 gives
 *           the minimum-norm least-squares fit of numpy.linalg.lstsq.
 *   Req. 3  Zero variance (all rows equal up to the rounding of the
 *           centring) of either side: SC_EDOM (R^2 is 0/0 for a constant
 *           target; a constant predictor is refused too, since it is the
 *           same state). Non-finite features: SC_ENUMERIC.
 *   Req. 4  Value in [0, 1] (0 <= 2f - f^2 <= 1; clamped against
 *           rounding). NOT symmetric. compare(x, x) = 1 iff alpha = 0
 *           (flags_for adds SELF_ONE then).
 *   Req. 5  Invariant to joint permutation of stimuli, orthogonal
 *           transforms and shifts of either side, and positive scaling of
 *           Y; positive scaling of X only when alpha = 0 (flags_for adds
 *           SCALE_INVARIANT then; with alpha > 0 the penalty is not scale
 *           free).
 *   Req. 6  prepare: one thin SVD (of X^T when d > n, as host->svd needs
 *           rows >= cols), O(n d min(n, d)); the state keeps U (n x r) and
 *           s (r), r the numerical rank, serving both as predictor and as
 *           target. compare: one GEMM U_X^T U_Y, O(n r_X r_Y).
 *
 * Centring, the zero-variance rule, the left singular basis and the rank
 * cut: include/simcon/plugin_util.h. Hand-written here: the R^2 sum;
 * products and SVD via the host. */
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

/* ## Parameters */

enum { P_ALPHA };

/* Upper bound for alpha: beyond it every f_i of realistic features is
 * below 1e-12 and R^2 is numerically 0. */
#define LINREG_ALPHA_MAX 1e12

static const sc_param linreg_params[] = {
    {"alpha", SC_PARAM_REAL, 0, 1.0, 0.0, LINREG_ALPHA_MAX, NULL,
     "ridge penalty (0 = least squares); compare(x, y) predicts y from x"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* ## State */

typedef struct linreg_state {
    size_t n, r;  /* r = numerical rank                     */
    double *u;    /* n x r left singular vectors            */
    double *s2;   /* r squared singular values              */
    double total; /* ||Xc||_F^2 = sum of all s_i^2          */
} linreg_state;

static void state_free(const sc_host *host, sc_ctx *ctx, linreg_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->u);
    host->free(ctx, s->s2);
    host->free(ctx, s);
}

/* ## Callbacks */

static int linreg_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                          const sc_mat *x, void **state)
{
    (void)args;
    *state = NULL;
    size_t n = x->rows, d = x->cols, m = n < d ? n : d;
    double *u, *sv;
    int rc = sc_pu_centred_basis(host, ctx, x,
                                 "R^2 of a constant target is 0/0", &u, &sv);
    if (rc != SC_OK)
        return rc;
    linreg_state *s = host->alloc(ctx, sizeof *s);
    rc = SC_ENOMEM;
    if (s != NULL) {
        memset(s, 0, sizeof *s);
        s->n = n;
        s->r = sc_pu_numerical_rank(sv, m, n, d); /* Req. 2 */
        for (size_t i = 0; i < m; i++)
            s->total += sv[i] * sv[i];
        s->u = sc_pu_first_columns(host, ctx, u, n, m, s->r);
        s->s2 = host->alloc(ctx, s->r * sizeof *s->s2);
    }
    if (s != NULL && s->u != NULL && s->s2 != NULL) {
        for (size_t i = 0; i < s->r; i++)
            s->s2[i] = sv[i] * sv[i];
        *state = s;
        rc = SC_OK;
    } else {
        state_free(host, ctx, s);
    }
    host->free(ctx, u);
    host->free(ctx, sv);
    return rc;
}

/* R^2 of predicting y from x (see the header for the formula). */
static int linreg_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                          const void *px, const void *py, double *value)
{
    const linreg_state *sx = px, *sy = py;
    double alpha = args->value[P_ALPHA];
    size_t rx = sx->r, ry = sy->r, n = sx->n;
    double *w = host->alloc(ctx, rx * ry * sizeof *w);
    if (w == NULL)
        return SC_ENOMEM;
    int rc = host->gemm(ctx, SC_TRANS, SC_NOTRANS, rx, ry, n, 1.0, sx->u, rx,
                        sy->u, ry, 0.0, w, ry);
    if (rc == SC_OK) {
        double explained = 0.0;
        for (size_t i = 0; i < rx; i++) {
            double p2 = 0.0; /* ||P_i||^2 = sum_j W_ij^2 s_Yj^2 */
            for (size_t j = 0; j < ry; j++)
                p2 += w[i * ry + j] * w[i * ry + j] * sy->s2[j];
            double f = sx->s2[i] / (sx->s2[i] + alpha);
            explained += (2.0 * f - f * f) * p2;
        }
        double r2 = explained / sy->total;
        *value = r2 > 1.0 ? 1.0 : (r2 < 0.0 ? 0.0 : r2);
    }
    host->free(ctx, w);
    return rc;
}

static void linreg_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

/* Req. 4, 5: without a penalty the fit of X on itself is perfect and the
 * fit does not depend on the scale of X. */
static uint32_t linreg_flags_for(const sc_args *args)
{
    uint32_t f = SC_METRIC_RANGE_01 | SC_METRIC_ORTHO_INVARIANT |
                 SC_METRIC_SHIFT_INVARIANT;
    if (args->value[P_ALPHA] == 0.0)
        f |= SC_METRIC_SELF_ONE | SC_METRIC_SCALE_INVARIANT;
    return f;
}

static const sc_metric linreg_desc = {
    .abi_version = SC_ABI_VERSION,
    .host_api_min = 1,
    .name = "linreg",
    .version = "1.0.0",
    .reference = "ridge regression (Hoerl & Kennard 1970) R^2 as linear "
                 "predictivity (Yamins et al. 2014, doi:10.1073/"
                 "pnas.1403112111)",
    .summary = "in-sample ridge R^2 predicting y from x (asymmetric: "
               "compare(x, y) predicts y)",
    .flags = SC_METRIC_RANGE_01 | SC_METRIC_ORTHO_INVARIANT |
             SC_METRIC_SHIFT_INVARIANT,
    .min_rows = 2,
    .params = linreg_params,
    .check_args = NULL,
    .flags_for = linreg_flags_for,
    .prepare = linreg_prepare,
    .compare = linreg_compare,
    .release = linreg_release,
    .compare_subset = NULL,
    .embed_len = NULL,
    .embed = NULL,
};

SC_PLUGIN_DEFINE(linreg_desc)
