/* knn: mutual k-nearest-neighbour alignment of two representations.
 *
 * Definition (Huh et al. 2024, mutual_knn in minyoungg/platonic-rep
 * metrics.py): N_X(i) = the k rows j != i with the largest cosine
 * similarity cos(x_i, x_j);
 *   overlap (default): knn(X, Y) = (1/n) sum_i |N_X(i) & N_Y(i)| / k,
 *   jaccard:           knn(X, Y) = (1/n) sum_i |N_X(i) & N_Y(i)|
 *                                              / |N_X(i) | N_Y(i)|.
 * Reference: Huh, Cheung, Wang & Isola, "The Platonic Representation
 * Hypothesis", ICML 2024 (arXiv:2405.07987). Their code ranks by the inner
 * product of rows it has L2-normalised beforehand, i.e. by cosine.
 *
 * Requirements
 *   Req. 1  1 <= k < n: k >= n (not enough other stimuli) is SC_EDOM naming
 *           k and n; k is bounded by the schema.
 *   Req. 2  A row of zeros has no cosine similarity: SC_EDOM naming the
 *           row. All rows bit-identical (a constant representation: every
 *           candidate ties, the lists would be pure tie-breaking): SC_EDOM.
 *           Non-finite features: SC_ENUMERIC naming the row.
 *   Req. 3  Neighbour order: cosine similarity descending, the stimulus
 *           itself excluded, ties broken by the LOWER row index first
 *           (deterministic; torch.argsort in the reference code leaves tie
 *           order unspecified). Ties are exact equality of the computed
 *           cosines.
 *   Req. 4  Value in [0, 1]; symmetric; compare(x, x) = 1.
 *   Req. 5  Invariant to joint permutation of stimuli (up to Req. 3 ties),
 *           orthogonal transforms and positive scaling of the features
 *           (cosine is); not to a feature shift.
 *   Req. 6  prepare computes the neighbour lists once (O(n^2 d) for the
 *           Gram via host->syrk, O(n^2 log k) for the per-row top-k) and
 *           keeps only n k indices, sorted by index; compare intersects
 *           the sorted lists: O(n k).
 *
 * compare_subset is not offered: neighbours within a resample are not a
 * function of the full-sample lists, so the host re-prepares from X[idx].
 * The per-row top-k selection (bounded heap, ties to the lower index):
 * include/simcon/plugin_util.h. Hand-written here: the list intersection. */
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

/* ## Parameters */

enum { P_K, P_SCORE };
enum { SCORE_OVERLAP = 0, SCORE_JACCARD = 1 };

/* Largest k accepted by the schema: far above any useful neighbourhood
 * size, small enough that n k indices of a state stay addressable. */
#define KNN_K_MAX 1000000

static const sc_param knn_params[] = {
    {"k", SC_PARAM_INT, 0, 10, 1, KNN_K_MAX, NULL,
     "neighbours per stimulus (by cosine, self excluded); must be < n"},
    {"score", SC_PARAM_ENUM, 0, SCORE_OVERLAP, 0, 0, "overlap|jaccard",
     "per stimulus: |shared| / k (Huh et al.) or |shared| / |union|"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* ## State */

typedef struct knn_state {
    size_t n, k;
    size_t *nb; /* n x k neighbour indices, each row sorted ascending */
} knn_state;

static void state_free(const sc_host *host, sc_ctx *ctx, knn_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->nb);
    host->free(ctx, s);
}

/* ## Callbacks */

/* Rows of x scaled to unit length into u (n x d), so that their Gram
 * matrix holds the cosines (Req. 2). */
static int unit_rows(const sc_host *host, sc_ctx *ctx, const sc_mat *x,
                     double *u)
{
    size_t d = x->cols;
    for (size_t i = 0; i < x->rows; i++) {
        const double *row = x->data + i * x->ld;
        double nrm2 = host->dot(d, row, row);
        if (!isfinite(nrm2))
            return host->fail(ctx, SC_ENUMERIC,
                              "row %zu of the representation is not finite "
                              "(NaN or Inf features); fix the input",
                              i);
        if (!(nrm2 > 0.0))
            return host->fail(ctx, SC_EDOM,
                              "row %zu is all zeros, so its cosine similarity "
                              "to other stimuli is undefined; drop the "
                              "stimulus",
                              i);
        double inv = 1.0 / sqrt(nrm2);
        for (size_t j = 0; j < d; j++)
            u[i * d + j] = row[j] * inv;
    }
    return SC_OK;
}

/* The neighbour lists of s (Req. 3, 6): cosine Gram of x, then each row's
 * k best by sc_pu_row_top_k, kept sorted by index. */
static int neighbours(const sc_host *host, sc_ctx *ctx, const sc_mat *x,
                      knn_state *s)
{
    size_t n = x->rows, d = x->cols, k = s->k;
    double *u = host->alloc(ctx, n * d * sizeof *u);
    double *g = host->alloc(ctx, n * n * sizeof *g);
    sc_pu_cand *c = host->alloc(ctx, n * sizeof *c);
    int rc = SC_ENOMEM;
    if (u == NULL || g == NULL || c == NULL)
        goto done;
    rc = unit_rows(host, ctx, x, u);
    if (rc == SC_OK)
        rc = host->syrk(ctx, SC_NOTRANS, n, d, 1.0, u, d, 0.0, g, n);
    if (rc != SC_OK)
        goto done;
    for (size_t i = 0; i < n; i++) {
        sc_pu_row_top_k(g + i * n, n, i, k, c);
        for (size_t q = 0; q < k; q++)
            s->nb[i * k + q] = c[q].j;
    }
done:
    host->free(ctx, u);
    host->free(ctx, g);
    host->free(ctx, c);
    return rc;
}

static int knn_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const sc_mat *x, void **state)
{
    *state = NULL;
    size_t n = x->rows, k = (size_t)args->value[P_K];
    int rc = sc_pu_check_neighbours(host, ctx, x, k,
                                    "every stimulus ties with every other, "
                                    "so there are no nearest neighbours");
    if (rc != SC_OK)
        return rc;
    knn_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->k = k;
    s->nb = host->alloc(ctx, n * k * sizeof *s->nb);
    rc = s->nb == NULL ? SC_ENOMEM : neighbours(host, ctx, x, s);
    if (rc != SC_OK) {
        state_free(host, ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

/* |a & b| of two ascending lists of length k. */
static size_t shared(const size_t *a, const size_t *b, size_t k)
{
    size_t p = 0, q = 0, c = 0;
    while (p < k && q < k) {
        if (a[p] < b[q]) {
            p++;
        } else if (a[p] > b[q]) {
            q++;
        } else {
            c++;
            p++;
            q++;
        }
    }
    return c;
}

static int knn_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const void *px, const void *py, double *value)
{
    (void)host;
    (void)ctx;
    const knn_state *sx = px, *sy = py;
    size_t n = sx->n, k = sx->k;
    int jaccard = (int)args->value[P_SCORE] == SCORE_JACCARD;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t c = shared(sx->nb + i * k, sy->nb + i * k, k);
        sum +=
            jaccard ? (double)c / (double)(2 * k - c) : (double)c / (double)k;
    }
    *value = sum / (double)n;
    return SC_OK;
}

static void knn_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

static const sc_metric knn_desc = {
    .abi_version = SC_ABI_VERSION,
    .host_api_min = 1,
    .name = "knn",
    .version = "1.0.0",
    .reference = "Huh, Cheung, Wang & Isola, The Platonic Representation "
                 "Hypothesis, ICML 2024, arXiv:2405.07987 (mutual_knn)",
    .summary = "mutual k-nearest-neighbour overlap (cosine neighbours)",
    .flags = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE | SC_METRIC_RANGE_01 |
             SC_METRIC_ORTHO_INVARIANT | SC_METRIC_SCALE_INVARIANT,
    .min_rows = 2,
    .params = knn_params,
    .check_args = NULL,
    .flags_for = NULL,
    .prepare = knn_prepare,
    .compare = knn_compare,
    .release = knn_release,
    .compare_subset = NULL,
    .embed_len = NULL,
    .embed = NULL,
};

SC_PLUGIN_DEFINE(knn_desc)
