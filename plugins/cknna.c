/* cknna: centred kernel nearest-neighbour alignment (CKA restricted to
 * mutual nearest neighbours).
 *
 * Definition (Huh et al. 2024; their code minyoungg/platonic-rep
 * metrics.py, cknna with unbiased=True, distance_agnostic=False):
 *   K = X X^T, L = Y Y^T (linear kernel on the rows as given);
 *   N_K(i) = the k indices j != i with the largest K_ij;
 *   M_ij = [j in N_K(i)] [j in N_L(i)]          (not symmetric in general);
 *   hsic_u(A, B) = ( sum_ij A_ij B_ji + sum(A) sum(B) / ((n-1)(n-2))
 *                    - 2 sum_ij (A B)_ij / (n-2) ) / (n (n-3))
 *                  (Song et al. 2012 eq. 5, A and B with zero diagonal);
 *   sim(K, L) = hsic_u(M o K, M o L);
 *   CKNNA(X, Y) = sim(K, L) / sqrt(sim(K, K) sim(L, L)).
 * Reference: Huh, Cheung, Wang & Isola, "The Platonic Representation
 * Hypothesis", ICML 2024 (arXiv:2405.07987). Their code feeds L2-normalised
 * rows, so K is then the cosine; we use K as given, like the code does.
 * The code's "+ 1e-6" in the denominator is a division guard, not part of
 * the definition; it is omitted (Req. 3 handles the zero case instead).
 *
 * Requirements
 *   Req. 1  n >= 4 (the n (n-3) normaliser; descriptor min_rows) and
 *           2 <= k < n (the reference code rejects k < 2; k >= n is SC_EDOM
 *           naming k and n).
 *   Req. 2  Neighbour order: K_ij descending, j = i excluded, ties to the
 *           LOWER index (torch.topk leaves tie order unspecified).
 *   Req. 3  sim(K, K) <= 0 (e.g. all rows identical, or zero rows: no
 *           neighbour structure) makes the value undefined: SC_EDOM at
 *           prepare. All rows bit-identical is SC_EDOM too. Non-finite
 *           features: SC_ENUMERIC.
 *   Req. 4  NOT symmetric: M o K is not a symmetric matrix, and
 *           sum(A B) != sum(B A) for non-symmetric A, B, so
 *           CKNNA(X, Y) != CKNNA(Y, X) in general (by a little). The
 *           descriptor does not claim SYMMETRIC; compare(x, y) uses x's
 *           kernel as K. Not range-bounded (hsic_u of masked kernels is not
 *           a positive semi-definite form), so no range flag.
 *   Req. 5  compare(x, x) = 1; invariant to joint permutation of stimuli
 *           (up to Req. 2 ties), orthogonal transforms (K depends on inner
 *           products only) and positive scaling (neighbours unchanged, the
 *           ratio is scale-free); not to a feature shift.
 *   Req. 6  prepare computes K once (host->syrk, O(n^2 d)), the neighbour
 *           lists (bounded-heap selection, O(n^2 log k)), keeps only the
 *           n k neighbour indices and kernel values, and sim(K, K);
 *           compare is O(n k log k) with 2 n doubles of scratch.
 *
 * Top-k selection (bounded heap, ties to the lower index):
 * include/simcon/plugin_util.h. Hand-written here: the sparse masked HSIC. */
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

/* ## Parameters */

enum { P_K };

/* Largest k accepted by the schema (see knn.c). */
#define CKNNA_K_MAX 1000000

static const sc_param cknna_params[] = {
    {"k", SC_PARAM_INT, 0, 10, 2, CKNNA_K_MAX, NULL,
     "neighbours per stimulus (by inner product, self excluded); 2 <= k < n"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* ## State */

typedef struct cknna_state {
    size_t n, k;
    size_t *nb;  /* n x k neighbour indices, each row ascending    */
    double *kv;  /* n x k kernel values K[i][nb[i][q]]             */
    double self; /* sim(K, K) > 0                                  */
} cknna_state;

static void state_free(const sc_host *host, sc_ctx *ctx, cknna_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->nb);
    host->free(ctx, s->kv);
    host->free(ctx, s);
}

/* Position of j in the ascending list a[0..k-1], or k if absent. */
static size_t find(const size_t *a, size_t k, size_t j)
{
    size_t lo = 0, hi = k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k && a[lo] == j ? lo : k;
}

/* sim(K, L) = hsic_u(M o K, M o L), K from sa, L from sb, M the mutual
 * mask of both. col (n) and row (n) are scratch. Terms as in the header:
 * T = sum_ij A_ij B_ji, SA = sum A, SB = sum B, U = sum(A B) =
 * sum_m colsum(A)_m rowsum(B)_m. */
static double masked_hsic(const cknna_state *sa, const cknna_state *sb,
                          double *col, double *row)
{
    size_t n = sa->n, k = sa->k;
    double t = 0.0, sum_a = 0.0, sum_b = 0.0, u = 0.0;
    memset(col, 0, n * sizeof *col);
    memset(row, 0, n * sizeof *row);
    for (size_t i = 0; i < n; i++) {
        const size_t *na = sa->nb + i * k, *nb = sb->nb + i * k;
        size_t p = 0, q = 0;
        while (p < k && q < k) {
            if (na[p] < nb[q]) {
                p++;
                continue;
            }
            if (na[p] > nb[q]) {
                q++;
                continue;
            }
            size_t j = na[p];
            double a = sa->kv[i * k + p], b = sb->kv[i * k + q];
            sum_a += a;
            sum_b += b;
            col[j] += a;
            row[i] += b;
            /* B_ji is non-zero iff i is a mutual neighbour of j. */
            size_t pa = find(sa->nb + j * k, k, i);
            size_t pb = find(sb->nb + j * k, k, i);
            if (pa < k && pb < k)
                t += a * sb->kv[j * k + pb];
            p++;
            q++;
        }
    }
    for (size_t m = 0; m < n; m++)
        u += col[m] * row[m];
    double dn = (double)n;
    return (t + sum_a * sum_b / ((dn - 1.0) * (dn - 2.0)) -
            2.0 * u / (dn - 2.0)) /
           (dn * (dn - 3.0));
}

/* ## Callbacks */

/* Kernel K = X X^T of the rows as given, then each row's k best by
 * sc_pu_row_top_k (Req. 2): their indices (ascending) and kernel values
 * into s. g: n x n scratch for K. */
static int neighbours(const sc_host *host, sc_ctx *ctx, const sc_mat *x,
                      cknna_state *s, double *g)
{
    size_t n = x->rows, d = x->cols, k = s->k;
    double *a = host->alloc(ctx, n * d * sizeof *a);
    sc_pu_cand *c = host->alloc(ctx, n * sizeof *c);
    int rc = SC_ENOMEM;
    if (a == NULL || c == NULL)
        goto done;
    for (size_t i = 0; i < n; i++)
        memcpy(a + i * d, x->data + i * x->ld, d * sizeof *a);
    rc = host->syrk(ctx, SC_NOTRANS, n, d, 1.0, a, d, 0.0, g, n);
    for (size_t i = 0; rc == SC_OK && i < n; i++) {
        if (!isfinite(g[i * n + i])) {
            rc = host->fail(ctx, SC_ENUMERIC,
                            "row %zu of the representation is not finite "
                            "(NaN or Inf features); fix the input",
                            i);
            break;
        }
        sc_pu_row_top_k(g + i * n, n, i, k, c);
        for (size_t q = 0; q < k; q++) {
            s->nb[i * k + q] = c[q].j;
            s->kv[i * k + q] = c[q].v;
        }
    }
done:
    host->free(ctx, a);
    host->free(ctx, c);
    return rc;
}

static int cknna_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const sc_mat *x, void **state)
{
    *state = NULL;
    size_t n = x->rows, k = (size_t)args->value[P_K];
    int rc = sc_pu_check_neighbours(host, ctx, x, k,
                                    "no neighbour structure, CKNNA is "
                                    "undefined");
    if (rc != SC_OK)
        return rc;
    cknna_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->k = k;
    double *g = host->alloc(ctx, n * n * sizeof *g);
    s->nb = host->alloc(ctx, n * k * sizeof *s->nb);
    s->kv = host->alloc(ctx, n * k * sizeof *s->kv);
    rc = SC_ENOMEM;
    if (g != NULL && s->nb != NULL && s->kv != NULL)
        rc = neighbours(host, ctx, x, s, g);
    if (rc == SC_OK) {
        /* Scratch for masked_hsic: reuse g (n x n >= 2 n since n >= 4). */
        s->self = masked_hsic(s, s, g, g + n);
        if (!(s->self > 0.0))
            rc = host->fail(ctx, SC_EDOM,
                            "the kNN-masked kernel of this representation has "
                            "non-positive unbiased HSIC (%g): CKNNA is "
                            "undefined (no neighbour structure); check the "
                            "features or k",
                            s->self);
    }
    host->free(ctx, g);
    if (rc != SC_OK) {
        state_free(host, ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

static int cknna_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const void *px, const void *py, double *value)
{
    (void)args;
    const cknna_state *sx = px, *sy = py;
    double *col = host->alloc(ctx, 2 * sx->n * sizeof *col);
    if (col == NULL)
        return SC_ENOMEM;
    double kl = masked_hsic(sx, sy, col, col + sx->n);
    host->free(ctx, col);
    *value = kl / sqrt(sx->self * sy->self);
    return SC_OK;
}

static void cknna_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

static const sc_metric cknna_desc = {
    .abi_version = SC_ABI_VERSION,
    .host_api_min = 1,
    .name = "cknna",
    .version = "1.0.0",
    .reference = "Huh, Cheung, Wang & Isola, The Platonic Representation "
                 "Hypothesis, ICML 2024, arXiv:2405.07987 (cknna)",
    .summary = "CKA (unbiased HSIC, linear kernel) restricted to mutual "
               "k-nearest neighbours",
    .flags = SC_METRIC_SELF_ONE | SC_METRIC_ORTHO_INVARIANT |
             SC_METRIC_SCALE_INVARIANT,
    .min_rows = 4,
    .params = cknna_params,
    .check_args = NULL,
    .flags_for = NULL,
    .prepare = cknna_prepare,
    .compare = cknna_compare,
    .release = cknna_release,
    .compare_subset = NULL,
    .embed_len = NULL,
    .embed = NULL,
};

SC_PLUGIN_DEFINE(cknna_desc)
