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
 * Hand-written: centring and the R^2 sum; products and SVD via the host. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"

/* ## Parameters */

enum { P_ALPHA };

/* Upper bound for alpha: beyond it every f_i of realistic features is
 * below 1e-12 and R^2 is numerically 0. */
#define LINREG_ALPHA_MAX 1e12

static const sc_param linreg_params[] = {
    {"alpha", SC_PARAM_REAL, 0, 1.0, 0.0, LINREG_ALPHA_MAX, NULL,
     "ridge penalty (0 = least squares); compare(x, y) predicts y from x"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* Zero variance test, as plugins/cka.c: ||Xc||_F below the rounding the
 * two-pass centring of n values leaves (n eps relative, 16 head-room). */
#define LINREG_ZERO_ULPS 16.0

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
 * back as *u) and its min(n, d) singular values sv (decreasing). */
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

static int linreg_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                          const sc_mat *x, void **state)
{
    (void)args;
    *state = NULL;
    size_t n = x->rows, d = x->cols, m = n < d ? n : d;
    linreg_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    double *xc = host->alloc(ctx, n * d * sizeof *xc);
    double *sv = host->alloc(ctx, m * sizeof *sv);
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
    double tol = LINREG_ZERO_ULPS * (double)n * DBL_EPSILON;
    if (var2 <= tol * tol * scale2) {
        host->free(ctx, xc);
        rc = host->fail(ctx, SC_EDOM,
                        "representation has zero variance over its %zu rows "
                        "(all rows equal): R^2 of a constant target is 0/0; "
                        "drop it or check the features",
                        n);
        goto done;
    }
    rc = left_svd(host, ctx, xc, n, d, &u, sv);
    if (rc != SC_OK)
        goto done;
    double cut = sv[0] * (double)(n > d ? n : d) * DBL_EPSILON; /* Req. 2 */
    size_t r = 0;
    double total = 0.0;
    for (size_t i = 0; i < m; i++)
        total += sv[i] * sv[i];
    while (r < m && sv[r] > cut)
        r++;
    s->r = r;
    s->total = total;
    s->u = host->alloc(ctx, n * r * sizeof *s->u);
    s->s2 = host->alloc(ctx, r * sizeof *s->s2);
    if (s->u == NULL || s->s2 == NULL) {
        rc = SC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(s->u + i * r, u + i * m, r * sizeof *s->u);
    for (size_t i = 0; i < r; i++)
        s->s2[i] = sv[i] * sv[i];
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
