/* rsa: representational similarity analysis (compare two RDMs).
 *
 * Definition: with t(X) the strict upper triangle (row-major, i < j, the
 * order of numpy.triu_indices(n, 1)) of the representational dissimilarity
 * matrix of the rows of X,
 *   RSA(X, Y) = corr(t(X), t(Y)),
 *   rdm = correlation (default): D_ij = 1 - clip(r_ij, -1, 1), r_ij the
 *         Pearson correlation of rows i and j (each row centred over its
 *         features), exactly as thingsvision 2.6.10 compute_rdm (the
 *         paper's pinned reference code);
 *       = cosine:    D_ij = 1 - clip(cos(x_i, x_j), -1, 1);
 *       = euclidean: D_ij = ||x_i - x_j||_2;
 *   corr = spearman (default; Pearson correlation of average ranks, as
 *          scipy.stats.spearmanr) | pearson | kendall (tau-b, as
 *          scipy.stats.kendalltau).
 * References: Kriegeskorte, Mur & Bandettini, "Representational similarity
 * analysis", Front. Syst. Neurosci. 2008; Ciernik et al., arXiv 2411.05561
 * (ICML 2025); Knight, "A computer method for calculating Kendall's tau with
 * ungrouped data", JASA 61(314), 1966.
 *
 * Requirements
 *   Req. 1  n >= 3 stimuli (three RDM entries; fewer cannot be correlated):
 *           descriptor min_rows.
 *   Req. 2  rdm=correlation: a row with zero variance over its features, and
 *           rdm=cosine: a row of zeros, has no RDM entry: SC_EDOM naming the
 *           row. Non-finite features: SC_ENUMERIC naming the row.
 *   Req. 3  RDM entries are computed from the Gram matrix G of the
 *           features (row-centred for correlation; for euclidean, shifted
 *           by row 0, x_i - x_0, which changes no distance, removes any
 *           common offset that would inflate the cancellation in
 *           G_ii + G_jj - 2 G_ij, and keeps integer-valued data integer,
 *           so their distances and ties are exact) as r_ij = G_ij /
 *           sqrt(G_ii G_jj) and D_ij = sqrt(max(0, G_ii + G_jj - 2 G_ij)).
 *           The correlation RDM's row-centred Gram is derived from the
 *           host's Gram of the column-centred features (host->gram,
 *           SC_GRAM_CENTRED: the one CKA uses, so the all-pairs engine
 *           computes one Gram per representation for the paper's three
 *           metrics) plus rank-one corrections (correlation_terms), its
 *           diagonal summed directly; the cosine RDM uses the host's
 *           uncentred Gram. precision=float32 (opt-in; correlation RDM
 *           with spearman or pearson only, rsa_check_args) asks for a
 *           float32-summed Gram (SC_GRAM_FLOAT32), all else float64;
 *           tests/cka/test_cka_float32.c holds it to 1e-6 relative of
 *           float64. Needs host API revision 3 (host_api_min = 3).
 *           Two bit-identical rows (duplicated stimuli, as in a bootstrap
 *           resample) get D_ij = 0 exactly, whatever the BLAS rounding, so
 *           their ties are exact as in scipy on the same data.
 *   Req. 4  All RDM entries equal (no variance to correlate, e.g. every
 *           stimulus equidistant): SC_EDOM, never NaN.
 *   Req. 5  Value in [-1, 1] (clamped to absorb rounding of the final dot
 *           product); symmetric; compare(x, x) = 1.
 *   Req. 6  Invariances: joint permutation of stimuli; orthogonal transform
 *           and positive scaling of the features (all three RDMs; the
 *           correlation RDM also, but only for Q that preserves the row
 *           means, so only the cosine and euclidean RDMs claim
 *           orthogonal invariance); a constant shift of all features is
 *           invariant only for the euclidean RDM (the correlation RDM
 *           removes per-row means, not per-feature means).
 *   Req. 7  prepare does all per-representation work once: RDM and, for
 *           spearman/pearson, its centred, unit-norm (rank) vector, so
 *           compare is one dot product (O(n^2)) and embed offers that
 *           vector for the host's batched all-pairs SYRK. kendall keeps
 *           the raw triangle and its sort order; compare then runs Knight's
 *           O(N log N) algorithm, N = n(n-1)/2 (embed not offered:
 *           embed_len returns 0).
 *   Req. 8  Ties: average ranks (spearman); tau-b tie corrections
 *           (kendall). Ties are exact equality of the computed doubles.
 *
 * compare_subset is not offered: it would need the raw RDM in every state
 * besides the ranks (2 x 4 n^2 bytes per state; 800 MB at n = 10,000) and
 * would still re-rank O(N log N) per resample; re-preparing from the rows
 * costs the same order. The host re-prepares from X[idx].
 *
 * Cost: prepare O(n^2 d) (one SYRK) + O(n^2) (radix ranking), state
 * 8 N bytes (+ 8 N for kendall's order); compare O(n^2) (spearman,
 * pearson) or O(n^2 log n) with 16 N bytes of scratch (kendall).
 * Hand-written numerics: ranking (MSD radix sort on the IEEE-754 bits,
 * buckets fitted to the keys' range, one out-of-cache pass; at most
 * 2^32 - 1 entries, n <= 92,682, else SC_EINVAL), Knight's
 * merge-sort count; the Gram matrix goes through host->syrk (OpenBLAS). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* streaming stores of the ranking's scatter */
#endif

#include "simcon/plugin.h"
#include "simcon/plugin_util.h" /* SC_CLONED */

/* ## Parameters */

enum { P_RDM, P_CORR, P_PRECISION };
enum { RDM_CORRELATION = 0, RDM_COSINE = 1, RDM_EUCLIDEAN = 2 };
enum { CORR_SPEARMAN = 0, CORR_PEARSON = 1, CORR_KENDALL = 2 };
enum { PREC_FLOAT64 = 0, PREC_FLOAT32 = 1 };

static const sc_param rsa_params[] = {
    {"rdm", SC_PARAM_ENUM, 0, RDM_CORRELATION, 0, 0,
     "correlation|cosine|euclidean",
     "dissimilarity of two stimuli: 1 - Pearson r (paper), 1 - cosine, L2"},
    {"corr", SC_PARAM_ENUM, 0, CORR_SPEARMAN, 0, 0, "spearman|pearson|kendall",
     "correlation of the two RDM upper triangles (kendall = tau-b)"},
    {"precision", SC_PARAM_ENUM, 0, PREC_FLOAT64, 0, 0, "float64|float32",
     "rdm=correlation with spearman/pearson: Gram in float64 (exact) or "
     "float32 SYRK of the float64-centred features, rest float64; the "
     "tests require agreement with float64 to 1e-6 relative"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* ## State */

typedef struct rsa_state {
    size_t n;      /* stimuli                                            */
    size_t len;    /* N = n (n - 1) / 2 RDM entries                      */
    int corr;      /* CORR_*                                             */
    double *v;     /* spearman/pearson: centred unit-norm (ranked) RDM
                      triangle; kendall: the raw triangle                */
    size_t *order; /* kendall: indices of v sorted ascending, ties by
                      index; NULL otherwise                              */
    uint64_t ties; /* kendall: sum over tie groups of g (g - 1) / 2      */
} rsa_state;

static void state_free(const sc_host *host, sc_ctx *ctx, rsa_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->v);
    host->free(ctx, s->order);
    host->free(ctx, s);
}

/* ## The RDM */

/* Subtract row 0 from every row of the n x d matrix a (Req. 3); row 0
 * itself becomes zero last. */
static void shift_by_row0(double *a, size_t n, size_t d)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < d; j++)
            a[i * d + j] -= a[j];
    for (size_t j = 0; j < d; j++)
        a[j] = 0.0;
}

/* The features whose Gram matrix gives the euclidean RDM (Req. 3), into
 * a (n x d): the rows shifted by row 0. */
static void rdm_features(const sc_mat *x, int kind, double *a)
{
    size_t n = x->rows, d = x->cols;
    for (size_t i = 0; i < n; i++)
        memcpy(a + i * d, x->data + i * x->ld, d * sizeof *a);
    if (kind == RDM_EUCLIDEAN)
        shift_by_row0(a, n, d);
}

/* Rows of x that are not finite (SC_ENUMERIC) or have no correlation
 * (cosine) distance (SC_EDOM), judged by the squared norm gii of row i of
 * the RDM's features (Req. 2). */
static int check_row(const sc_host *host, sc_ctx *ctx, int kind, size_t i,
                     double gii)
{
    if (!isfinite(gii))
        return host->fail(ctx, SC_ENUMERIC,
                          "row %zu of the representation is not finite "
                          "(NaN or Inf features); fix the input",
                          i);
    if (kind != RDM_EUCLIDEAN && !(gii > 0.0))
        return host->fail(
            ctx, SC_EDOM,
            "row %zu has %s, so its %s distance to other stimuli is "
            "undefined; drop the stimulus or use rdm=euclidean",
            i,
            kind == RDM_CORRELATION ? "zero variance over its features"
                                    : "zero norm",
            kind == RDM_CORRELATION ? "correlation" : "cosine");
    return SC_OK;
}

/* ## Duplicated stimuli (Req. 3)
 *
 * Two byte-equal rows of x get D_ij = 0 exactly. Comparing the rows of
 * every pair (memcmp) cost O(n^2 d) probes in the O(n^2) fill and kept it
 * from vectorising; instead each row gets the index of the first row
 * byte-equal to it (its group), found in O(n d + n log n): rows are hashed,
 * sorted by (hash, index), and rows of equal hash confirmed with memcmp,
 * so the test is still byte equality and a hash collision costs only a
 * memcmp. The fill then zeroes the pairs of rows that have a twin. */

typedef struct row_key {
    uint64_t h; /* hash of the row's bytes */
    size_t i;   /* row index               */
} row_key;

/* splitmix64's finaliser (Steele, Lea & Flood, OOPSLA 2014): every input
 * bit reaches every output bit. */
static uint64_t mix64(uint64_t z)
{
    z ^= z >> 30;
    z *= UINT64_C(0xbf58476d1ce4e5b9);
    z ^= z >> 27;
    z *= UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Hash of the row's bytes: four chains h = (h ^ w) K over the words
 * j mod 4 (K odd: each step is a bijection of h, so rows differing in
 * one word always hash apart), joined by mix64. Four independent chains
 * run at memory speed instead of one multiply latency per word (n d
 * words: 4e7 at the paper's widest model). */
enum { HASH_LANES = 4 };

static uint64_t row_hash(const double *row, size_t d)
{
    const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t h[HASH_LANES] = {1, 2, 3, 4}, w;
    size_t j = 0;
    for (; j + HASH_LANES <= d; j += HASH_LANES)
        for (size_t l = 0; l < HASH_LANES; l++) {
            memcpy(&w, row + j + l, sizeof w); /* the bytes memcmp sees */
            h[l] = (h[l] ^ w) * k;
        }
    for (; j < d; j++) {
        memcpy(&w, row + j, sizeof w);
        h[0] = (h[0] ^ w) * k;
    }
    uint64_t out = 0;
    for (size_t l = 0; l < HASH_LANES; l++)
        out = mix64(out ^ h[l]);
    return out;
}

static int cmp_row_key(const void *pa, const void *pb)
{
    const row_key *a = pa, *b = pb;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* grp[i] = the smallest index of a row byte-equal to row i of x; returns
 * whether any two rows are equal. keys: scratch of n. */
static int twin_groups(const sc_mat *x, row_key *keys, size_t *grp)
{
    size_t n = x->rows, d = x->cols, bytes = d * sizeof *x->data;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        keys[i].h = row_hash(x->data + i * x->ld, d);
        keys[i].i = i;
        grp[i] = i;
    }
    qsort(keys, n, sizeof *keys, cmp_row_key);
    for (size_t r0 = 0, r1; r0 < n; r0 = r1) {
        for (r1 = r0 + 1; r1 < n && keys[r1].h == keys[r0].h; r1++) {
            /* Equal hashes, in index order: join the first earlier group
             * leader whose bytes are equal. */
            const double *row = x->data + keys[r1].i * x->ld;
            for (size_t q = r0; q < r1; q++) {
                size_t lead = keys[q].i;
                if (grp[lead] == lead &&
                    memcmp(x->data + lead * x->ld, row, bytes) == 0) {
                    grp[keys[r1].i] = lead;
                    any = 1;
                    break;
                }
            }
        }
    }
    return any;
}

/* The strict upper triangle of the RDM into t from the Gram g of the RDM's
 * features (n x n, ld n): g_ii from diag, g_ij = g[i n + j] + u_i + u_j +
 * s - w_i w_j when u (and w) are given, else g[i n + j] (Req. 3). */
typedef struct gram_view {
    const double *g, *diag, *u, *w;
    double s;
} gram_view;

/* Row i of the triangle, t[0 .. n-i-2] = D_i,i+1 .. D_i,n-1: one loop per
 * kind and no branch, so the compiler vectorises the sqrt and the
 * division (restrict: t never overlaps the inputs; rsa.c is built with
 * -fno-math-errno, plugins/CMakeLists.txt). The arithmetic is the
 * definition's, except that 1 - clip(r, -1, 1) is taken as
 * clip(1 - r, 0, 2): the same double for every r (1 - r is exact near
 * r = 1 and rounding is monotone, so r > 1 gives 1 - r < 0, r < -1 gives
 * 1 - r >= 2, and r in [-1, 1] gives 1 - r in [0, 2], unclipped), but with
 * the subtraction outside the branch, where the compiler does not have to
 * speculate it, so both clips become vector min/max. isless/isgreater: no
 * comparison that could raise an exception. Per-CPU clones
 * (simcon/clones.h). */
SC_CLONE_BODY void fill_row_body(int kind, const gram_view *gv, size_t n,
                                 size_t i, double *restrict t)
{
    const double *restrict g = gv->g + i * n;
    const double *restrict dg = gv->diag;
    double gii = dg[i];
    if (kind == RDM_EUCLIDEAN) {
        for (size_t j = i + 1; j < n; j++) {
            double d2 = gii + dg[j] - 2.0 * g[j];
            t[j - i - 1] = sqrt(d2 > 0.0 ? d2 : 0.0);
        }
    } else if (gv->u == NULL) {
        for (size_t j = i + 1; j < n; j++) {
            double r = g[j] / sqrt(gii * dg[j]);
            double v = 1.0 - r;
            v = isless(v, 0.0) ? 0.0 : v;
            t[j - i - 1] = isgreater(v, 2.0) ? 2.0 : v;
        }
    } else {
        const double *restrict u = gv->u, *restrict w = gv->w;
        double ui = u[i], wi = w[i], s = gv->s;
        for (size_t j = i + 1; j < n; j++) {
            double gij = g[j] + (ui + u[j] + s - wi * w[j]);
            double r = gij / sqrt(gii * dg[j]);
            double v = 1.0 - r;
            v = isless(v, 0.0) ? 0.0 : v;
            t[j - i - 1] = isgreater(v, 2.0) ? 2.0 : v;
        }
    }
}
SC_CLONED(fill_row,
          (int kind, const gram_view *gv, size_t n, size_t i,
           double *restrict t),
          (kind, gv, n, i, t))

/* The whole triangle (Req. 3), duplicated stimuli at exactly 0. */
static int fill_rdm(const sc_host *host, sc_ctx *ctx, const sc_mat *x, int kind,
                    const gram_view *gv, double *t)
{
    size_t n = x->rows;
    row_key *keys = host->alloc(ctx, n * sizeof *keys);
    size_t *grp = host->alloc(ctx, n * sizeof *grp);
    int rc = keys == NULL || grp == NULL ? SC_ENOMEM : SC_OK;
    int twins = rc == SC_OK && twin_groups(x, keys, grp);
    for (size_t i = 0, p = 0; rc == SC_OK && i + 1 < n; i++) {
        fill_row(kind, gv, n, i, t + p);
        for (size_t j = i + 1; twins && j < n; j++)
            if (grp[j] == grp[i])
                t[p + j - i - 1] = 0.0; /* duplicated stimulus */
        p += n - i - 1;
    }
    host->free(ctx, keys);
    host->free(ctx, grp);
    return rc;
}

/* Euclidean RDM: the Gram of the rows shifted by row 0, formed here. */
static int rdm_euclidean(const sc_host *host, sc_ctx *ctx, const sc_mat *x,
                         double *t)
{
    size_t n = x->rows, d = x->cols;
    double *a = host->alloc(ctx, n * d * sizeof *a);
    double *g = host->alloc(ctx, n * n * sizeof *g);
    double *diag = host->alloc(ctx, n * sizeof *diag);
    int rc = SC_ENOMEM;
    if (a != NULL && g != NULL && diag != NULL) {
        rdm_features(x, RDM_EUCLIDEAN, a);
        rc = host->syrk(ctx, SC_NOTRANS, n, d, 1.0, a, d, 0.0, g, n);
    }
    for (size_t i = 0; rc == SC_OK && i < n; i++) {
        diag[i] = g[i * n + i];
        rc = check_row(host, ctx, RDM_EUCLIDEAN, i, diag[i]);
    }
    if (rc == SC_OK) {
        gram_view gv = {g, diag, NULL, NULL, 0.0};
        rc = fill_rdm(host, ctx, x, RDM_EUCLIDEAN, &gv, t);
    }
    host->free(ctx, a);
    host->free(ctx, g);
    host->free(ctx, diag);
    return rc;
}

/* Correlation RDM from the host's Gram Gc of the column-centred features
 * Xc = X - 1 c^T (shared with CKA). With c' = c - mean(c), w_i the mean of
 * row i of Xc and u_i = Xc_i . c', the row-centred rows are
 * X - mu 1^T = Xc + 1 c'^T - w 1^T, whose Gram is
 *   Gr = Gc + u 1^T + 1 u^T + (c'.c') 1 1^T - d w w^T
 * (Xc 1 = d w, c'.1 = 0). Every term is free of a common offset. The
 * diagonal is summed directly from the row-centred row (two-pass row
 * mean, as thingsvision), so a constant row is exactly zero (Req. 2).
 * The float32 path rounds only Gc. vec: scratch of 3 n + d doubles. */
static void correlation_terms(const sc_mat *x, const sc_gram *gm, double *vec,
                              gram_view *gv)
{
    size_t n = x->rows, d = x->cols;
    double *diag = vec, *u = vec + n, *w = vec + 2 * n, *cp = vec + 3 * n;
    double cbar = 0.0, s = 0.0;
    for (size_t j = 0; j < d; j++)
        cbar += gm->mean[j];
    cbar /= (double)d;
    for (size_t j = 0; j < d; j++) {
        cp[j] = gm->mean[j] - cbar;
        s += cp[j] * cp[j];
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = x->data + i * x->ld;
        double mean = 0.0, c = 0.0, ui = 0.0, wi = 0.0, rr = 0.0;
        for (size_t j = 0; j < d; j++)
            mean += row[j];
        mean /= (double)d;
        for (size_t j = 0; j < d; j++)
            c += row[j] - mean;
        mean += c / (double)d;
        for (size_t j = 0; j < d; j++) {
            double e = row[j] - mean, xc = row[j] - gm->mean[j];
            rr += e * e;
            ui += xc * cp[j];
            wi += xc;
        }
        diag[i] = rr;
        u[i] = ui;
        w[i] = wi / sqrt((double)d); /* d w_i w_j = w[i] w[j] */
    }
    gv->g = gm->g;
    gv->diag = diag;
    gv->u = u;
    gv->w = w;
    gv->s = s;
}

/* Fill t (length n(n-1)/2) with the strict upper triangle of the RDM of x.
 * Req. 2, 3; correlation and cosine from host->gram (f32: float32). */
static int compute_rdm(const sc_host *host, sc_ctx *ctx, const sc_mat *x,
                       int kind, int f32, double *t)
{
    if (kind == RDM_EUCLIDEAN)
        return rdm_euclidean(host, ctx, x, t);
    size_t n = x->rows, d = x->cols;
    uint32_t flags = (kind == RDM_CORRELATION ? SC_GRAM_CENTRED : 0u) |
                     (f32 ? SC_GRAM_FLOAT32 : 0u);
    const sc_gram *gm = NULL;
    double *vec = host->alloc(ctx, (3 * n + d + 1) * sizeof *vec);
    int rc = vec == NULL ? SC_ENOMEM : host->gram(ctx, x, flags, &gm);
    gram_view gv = {NULL, vec, NULL, NULL, 0.0};
    if (rc == SC_OK && kind == RDM_CORRELATION) {
        correlation_terms(x, gm, vec, &gv);
    } else if (rc == SC_OK) {
        gv.g = gm->g;
        for (size_t i = 0; i < n; i++)
            vec[i] = gm->g[i * n + i];
    }
    for (size_t i = 0; rc == SC_OK && i < n; i++)
        rc = check_row(host, ctx, kind, i, gv.diag[i]);
    if (rc == SC_OK)
        rc = fill_rdm(host, ctx, x, kind, &gv, t);
    host->gram_release(ctx, gm);
    host->free(ctx, vec);
    return rc;
}

/* ## Ranking
 *
 * The doubles map to unsigned 64-bit keys that sort as they do: x >= 0
 * maps to its IEEE-754 bits | 2^63, x < 0 to ~bits; -0.0 is keyed as
 * +0.0, so equal keys are exactly equal doubles (Req. 8; NaN cannot reach
 * here: compute_rdm rejects non-finite rows). The sort moves 8-byte
 * words, not 16-byte (key, index) records. One pass scatters the entries
 * into up to 2^13 buckets by the top bits of key - kmin (kmin, kmax from
 * a first read-only pass; the buckets fit the keys' range; so few that
 * every bucket's staged line stays in cache), as words sub << 32 | index,
 * sub being the 32 bits of key - kmin just below the bucket's bits (the
 * bucket's own bits would be the same in all its words). Index < 2^32
 * makes the words distinct, so sorting a bucket's words orders it by sub
 * with ties in index order whatever the sort (stable or not). Each
 * bucket (a few thousand words, in cache) is sorted by two counting
 * passes (LSD) over the top log2(m) + 3 or so bits of its subs, which
 * leaves few words sharing those bits, then by one insertion sort (or,
 * if that moves too many words, by sorting each run sharing those bits
 * by an MSD radix sort). A run of equal subs (their full keys differ at
 * most in the cshift low bits that sub dropped) is re-keyed by those
 * bits, looked up in t, and sorted again, so the order is exact: by
 * value, ties by index.
 *
 * Each bucket, still in cache, then hands on its tie groups: kendall
 * writes the order; spearman writes each average rank to its entry's
 * position (random access, as any inverse permutation; prefetched a few
 * dozen words ahead). O(N): a word passes a bounded number of levels (64
 * bits, at least 3 a level) and one re-key per run. Scratch 8 N bytes
 * of words plus SORT_CAP words for the staged lines and the bucket sorts;
 * a larger bucket (data whose range a few outliers dominate) is split in
 * place (American flag sort) until its parts fit. */

/* The out-of-cache pass makes about len / 2^BUCKET_BITS buckets (a few
 * thousand words each, sorted within L2), at most 2^TOP_BITS: measured at
 * N = 1.25e7 and 5e7, 2^16 buckets were slower (their write heads miss
 * the cache), as were buckets of 2^14 words and more. LSD_BITS: digit
 * bits of sort_bucket's passes (up to 2^(2 LSD_BITS) cells); LSD_SPARE:
 * those passes sort by about 2^LSD_SPARE cells per word, so that the
 * insertion sort after them has little to move. SUB_BITS: at most that
 * many a level of sort_words; SMALL_SORT: insertion sort at or below it;
 * SORT_CAP: scratch words of the bucket sorts (512 KB, within L2), also
 * holding the scatter's staged lines (2^TOP_BITS lines of LINE_WORDS
 * words, one 64-byte cache line each). */
enum {
    BUCKET_BITS = 13,
    TOP_BITS = 13,
    LSD_BITS = 9,
    SUB_BITS = 8,
    SMALL_SORT = 24,
    SORT_CAP = 65536,
    LSD_SPARE = 3,
    LINE_WORDS = 8,
    WIDE_BITS = 58,
    WIDE_GAIN = 4
};

#define IDX_MASK UINT64_C(0xffffffff)

/* Spearman's rank of each sorted word goes to a random entry of t: a
 * cache miss per word, which stalls the stores. Prefetching the line a
 * few dozen words ahead keeps that many misses in flight instead. */
enum { PREFETCH_AHEAD = 32 };
#if defined(__GNUC__)
#define PREFETCH_W(p) __builtin_prefetch((p), 1)
#else
#define PREFETCH_W(p) ((void)(p))
#endif

static uint64_t key_of(double v)
{
    uint64_t u;
    if (v == 0.0)
        v = 0.0; /* -0.0 and +0.0 are one key */
    memcpy(&u, &v, sizeof u);
    return (u >> 63) != 0 ? ~u : u | (UINT64_C(1) << 63);
}

/* Bits needed to write x (0 for 0). */
static int bit_length(uint64_t x)
{
    int b = 0;
    while (x != 0) {
        x >>= 1;
        b++;
    }
    return b;
}

/* The shift that maps x - lo, for x in [lo, lo + range], to at most 2^bits
 * buckets. */
static int bucket_shift(uint64_t range, int bits)
{
    int b = bit_length(range);
    return b > bits ? b - bits : 0;
}

static int is_sorted(const uint64_t *r, size_t m)
{
    for (size_t p = 1; p < m; p++)
        if (r[p] < r[p - 1])
            return 0;
    return 1;
}

/* Insertion sort of r[0..m-1] that gives up (returns 0, r still a
 * permutation of its words, each moved only past greater ones) once it
 * has moved more than budget words; 1 when sorted. */
static int insertion_sort_bounded(uint64_t *r, size_t m, size_t budget)
{
    size_t moved = 0;
    for (size_t p = 1; p < m; p++) {
        uint64_t x = r[p];
        size_t q = p;
        while (q > 0 && r[q - 1] > x) {
            r[q] = r[q - 1];
            q--;
        }
        r[q] = x;
        moved += p - q;
        if (moved > budget)
            return 0;
    }
    return 1;
}

/* The unbounded one: at most m(m-1)/2 moves, never above SIZE_MAX. */
static void insertion_sort(uint64_t *r, size_t m)
{
    (void)insertion_sort_bounded(r, m, SIZE_MAX);
}

/* Sort the distinct words r[0..m-1] ascending; tmp: cap words of scratch.
 * Up to cap words go out of place through tmp; more are permuted in place
 * (cycle leader, American flag sort) by the same digit. */
static void sort_words(uint64_t *r, size_t m, uint64_t *tmp, size_t cap)
{
    if (m <= SMALL_SORT) {
        insertion_sort(r, m);
        return;
    }
    uint64_t lo = r[0], hi = r[0];
    for (size_t p = 1; p < m; p++) {
        lo = r[p] < lo ? r[p] : lo;
        hi = r[p] > hi ? r[p] : hi;
    }
    /* About m / 4 buckets: a few words each, left to the insertion sort
     * below, without counters to spare. */
    int bits = bit_length(m) - 2;
    int shift = bucket_shift(hi - lo, bits < SUB_BITS ? bits : SUB_BITS);
    size_t nb = (size_t)((hi - lo) >> shift) + 1;
    size_t h[(1 << SUB_BITS) + 1], next[1 << SUB_BITS];
    memset(h, 0, (nb + 1) * sizeof *h);
    for (size_t p = 0; p < m; p++)
        h[((r[p] - lo) >> shift) + 1]++;
    for (size_t b = 1; b <= nb; b++)
        h[b] += h[b - 1];
    /* h[b] is the start of bucket b, h[b + 1] its end. */
    memcpy(next, h, nb * sizeof *next);
    if (m <= cap) {
        for (size_t p = 0; p < m; p++)
            tmp[next[(r[p] - lo) >> shift]++] = r[p];
        memcpy(r, tmp, m * sizeof *r);
        /* Large buckets by recursion, then one insertion sort over all:
         * it moves no word past its bucket, so it costs what sorting each
         * small bucket alone would, without a call per bucket. */
        for (size_t b = 0; b < nb; b++)
            if (h[b + 1] - h[b] > SMALL_SORT)
                sort_words(r + h[b], h[b + 1] - h[b], tmp, cap);
        insertion_sort(r, m);
        return;
    }
    for (size_t b = 0; b < nb; b++)
        while (next[b] < h[b + 1]) {
            uint64_t x = r[next[b]];
            size_t d = (size_t)((x - lo) >> shift);
            while (d != b) { /* x to its bucket; carry what was there */
                uint64_t y = r[next[d]];
                r[next[d]++] = x;
                x = y;
                d = (size_t)((x - lo) >> shift);
            }
            r[next[b]++] = x;
        }
    for (size_t b = 0; b < nb; b++)
        if (h[b + 1] - h[b] > 1)
            sort_words(r + h[b], h[b + 1] - h[b], tmp, cap);
}

/* Sort the words w[0..m-1] of one top bucket, whose subs differ only in
 * their low tbits bits, by two stable counting passes (LSD) over the top
 * d of those bits, d = log2(m) + LSD_SPARE or so (w -> tmp -> w: few
 * counters, no recursion; 1.3x faster than sort_words here); then by an
 * insertion sort, which moves a word only within its run sharing those
 * d bits (rarely more than one word); if runs are long (values that
 * cluster), it gives up and each run is sorted by sort_words. Stable
 * from index order, as the words need not be. tmp: m words. */
static void sort_bucket(uint64_t *w, size_t m, uint64_t *tmp, int tbits)
{
    int d = bit_length(m) + LSD_SPARE;
    d = d < 2 * LSD_BITS ? d : 2 * LSD_BITS;
    d = d < tbits ? d : tbits;
    int d1 = d / 2, d2 = d - d1;
    int s1 = 32 + tbits - d, s2 = s1 + d1;
    uint64_t m1 = (UINT64_C(1) << d1) - 1, m2 = (UINT64_C(1) << d2) - 1;
    uint32_t c1[(1 << LSD_BITS) + 1] = {0}, c2[(1 << LSD_BITS) + 1] = {0};
    for (size_t p = 0; p < m; p++) {
        c1[((w[p] >> s1) & m1) + 1]++;
        c2[((w[p] >> s2) & m2) + 1]++;
    }
    for (size_t b = 1; b <= m1 + 1; b++)
        c1[b] += c1[b - 1];
    for (size_t b = 1; b <= m2 + 1; b++)
        c2[b] += c2[b - 1];
    for (size_t p = 0; p < m; p++)
        tmp[c1[(w[p] >> s1) & m1]++] = w[p];
    for (size_t p = 0; p < m; p++)
        w[c2[(tmp[p] >> s2) & m2]++] = tmp[p];
    if (d == tbits)
        return; /* sorted by all of sub, ties in index order */
    if (insertion_sort_bounded(w, m, m))
        return;
    for (size_t a = 0; a < m;) {
        size_t b = a + 1;
        while (b < m && w[b] >> s1 == w[a] >> s1)
            b++;
        if (b - a > 1 && !is_sorted(w + a, b - a))
            sort_words(w + a, b - a, tmp, SORT_CAP);
        a = b;
    }
}

/* The key ranges of one ranking: a key >= kmin goes to bucket low +
 * ((key - kmin) >> shift), one below kmin (low = 1: all equal, see
 * rank_entries) to bucket 0; the low 32 bits of (key - kmin) >> cshift
 * are a word's sub, the low cshift bits resolve equal subs. */
typedef struct rank_keys {
    uint64_t kmin;
    int shift, cshift;
    size_t low;
} rank_keys;

/* The bucket of key; low: rk->low, passed as a constant so that the
 * passes over all entries without a bucket 0 apart do not test for it. */
static size_t bucket_of(const rank_keys *rk, uint64_t key, int low)
{
    if (!low)
        return (size_t)((key - rk->kmin) >> rk->shift);
    size_t b = (size_t)((key - rk->kmin) >> rk->shift) + 1;
    return key < rk->kmin ? 0 : b;
}

/* Where the ranking's results go: kendall's sorted order, or spearman's
 * average ranks, written to the entries' positions in t. */
typedef struct rank_out {
    size_t *order; /* kendall; NULL for spearman */
    double *t;     /* spearman                   */
} rank_out;

/* The words r[0..g-1], at sorted positions pos..pos+g-1, hold one value.
 * Each rank is written to its entry's position (random access; the
 * entries of t that the ranking reads later are other runs', never
 * these). */
static void emit_group(const rank_out *o, const uint64_t *r, size_t g,
                       size_t pos)
{
    if (o->order != NULL) {
        size_t *order = o->order + pos;
        for (size_t q = 0; q < g; q++)
            order[q] = (size_t)(r[q] & IDX_MASK);
        return;
    }
    /* Positions pos..pos+g-1 hold ranks pos+1..pos+g; their average. */
    double rank = 0.5 * ((double)(pos + 1) + (double)(pos + g));
    double *t = o->t;
    for (size_t q = 0; q < g; q++)
        t[r[q] & IDX_MASK] = rank;
}

/* Sort the words r[0..m-1] of one bucket (sorted positions pos..pos+m-1,
 * subs differing in their low tbits bits), resolve its runs of
 * equal subs by the keys' low bits (read in t, which o->t
 * overwrites with ranks only for this bucket's entries, after their runs
 * are read), emit its tie groups and return their tie pairs, sum
 * g (g - 1) / 2. tmp: min(len, SORT_CAP) words. */
static uint64_t rank_bucket(uint64_t *r, size_t m, size_t pos, int tbits,
                            const double *t, const rank_keys *rk, uint64_t *tmp,
                            const rank_out *o)
{
    uint64_t ties = 0;
    if (!is_sorted(r, m)) {
        if (m <= SORT_CAP)
            sort_bucket(r, m, tmp, tbits);
        else /* outliers squeezed the rest into a few buckets */
            sort_words(r, m, tmp, SORT_CAP);
    }
    uint64_t low = (UINT64_C(1) << rk->cshift) - 1;
    size_t ahead = 0; /* words whose rank's line is prefetched */
    for (size_t a = 0; a < m;) {
        size_t end = a + PREFETCH_AHEAD < m ? a + PREFETCH_AHEAD : m;
        for (; o->order == NULL && ahead < end; ahead++)
            PREFETCH_W(o->t + (r[ahead] & IDX_MASK));
        uint64_t c = r[a] >> 32;
        size_t b = a + 1;
        while (b < m && r[b] >> 32 == c)
            b++;
        if (b - a == 1 || rk->cshift == 0) { /* sub is the full key */
            uint64_t g = (uint64_t)(b - a);
            ties += g * (g - 1) / 2;
            emit_group(o, r + a, b - a, pos + a);
            a = b;
            continue;
        }
        for (size_t q = a; q < b; q++) {
            uint64_t i = r[q] & IDX_MASK;
            uint64_t k = key_of(t[i]) - rk->kmin;
            r[q] = (k & low) << 32 | i;
        }
        if (!is_sorted(r + a, b - a))
            sort_words(r + a, b - a, tmp, SORT_CAP);
        for (size_t u = a; u < b;) {
            size_t v = u + 1;
            while (v < b && r[v] >> 32 == r[u] >> 32)
                v++;
            uint64_t g = (uint64_t)(v - u);
            ties += g * (g - 1) / 2;
            emit_group(o, r + u, v - u, pos + u);
            u = v;
        }
        a = b;
    }
    return ties;
}

/* Write the 8 words of a staged line to dst (a whole cache line of w),
 * past the cache: the line is complete, so it need not be read first
 * (read for ownership), and w is read again only bucket by bucket. */
static void flush_line(uint64_t *dst, const uint64_t *line)
{
#if defined(__SSE2__)
    for (int q = 0; q < LINE_WORDS; q += 2) {
        __m128i v = _mm_loadu_si128((const __m128i *)(line + q));
        _mm_stream_si128((__m128i *)(dst + q), v);
    }
#else
    memcpy(dst, line, LINE_WORDS * sizeof *dst);
#endif
}

/* The scatter of the words of t into their buckets (start[b], the first
 * position of bucket b; next[b], its write head, becomes its end),
 * through one staged line of LINE_WORDS words per bucket in stage (nb
 * lines): a word goes to its bucket's line, in cache, and a full line to
 * w as a whole (flush_line). Straight to w, each word would be a store
 * to one of up to 2^TOP_BITS lines spread over len words, and the store
 * that first touches a line would wait for memory. A bucket's first and
 * last lines may be shared with its neighbours: only its own words are
 * written there. */
static void scatter_staged(const double *t, size_t len, const rank_keys *rk,
                           int low, size_t nb, const size_t *start,
                           size_t *next, uint64_t *w, uint64_t *stage)
{
    for (size_t p = 0; p < len; p++) {
        uint64_t key = key_of(t[p]), k = key - rk->kmin;
        size_t b = bucket_of(rk, key, low);
        size_t at = next[b]++;
        uint64_t *line = stage + b * LINE_WORDS;
        line[at % LINE_WORDS] = (k >> rk->cshift) << 32 | (uint64_t)p;
        if (at % LINE_WORDS != LINE_WORDS - 1)
            continue;
        size_t first = at + 1 - LINE_WORDS;
        if (first >= start[b]) {
            flush_line(w + first, line);
            continue;
        }
        for (size_t q = start[b]; q <= at; q++)
            w[q] = line[q % LINE_WORDS];
    }
    for (size_t b = 0; b < nb; b++) { /* the lines not yet full */
        size_t q = next[b] - next[b] % LINE_WORDS;
        for (q = q > start[b] ? q : start[b]; q < next[b]; q++)
            w[q] = stage[b * LINE_WORDS + q % LINE_WORDS];
    }
#if defined(__SSE2__)
    _mm_sfence(); /* the streamed lines before any later store */
#endif
}

/* Sort the entries of t, emit their tie groups into o and return the
 * tie-pair count. w: len words; h: 2^(TOP_BITS + 1) + 1 counters; tmp:
 * min(len, SORT_CAP) words. */
static uint64_t rank_entries(const double *t, size_t len, uint64_t *w,
                             size_t *h, uint64_t *tmp, const rank_out *o)
{
    double vmin = t[0], vmax = t[0];
    for (size_t p = 1; p < len; p++) {
        vmin = t[p] < vmin ? t[p] : vmin;
        vmax = t[p] > vmax ? t[p] : vmax;
    }
    /* key_of is monotone, so the extreme keys are those of the extremes. */
    rank_keys rk = {key_of(vmin), 0, 0, 0};
    uint64_t range = key_of(vmax) - rk.kmin;
    if (bit_length(range) > WIDE_BITS) {
        /* Exact zeros (duplicated stimuli) below values near 1 stretch
         * the range over ~1,000 binades and leave those values in a few
         * huge buckets. The entries equal to vmin (one tie group) then
         * get bucket 0 of their own, the others the range from the next
         * value up, if that is much narrower. */
        double next = vmax;
        for (size_t p = 0; p < len; p++)
            next = t[p] > vmin && t[p] < next ? t[p] : next;
        uint64_t rest = key_of(vmax) - key_of(next);
        if (bit_length(rest) + WIDE_GAIN <= bit_length(range)) {
            rk = (rank_keys){key_of(next), 0, 0, 1};
            range = rest;
        }
    }
    int top = bit_length(len) - BUCKET_BITS;
    top = top < 1 ? 1 : (top > TOP_BITS ? TOP_BITS : top);
    rk.shift = bucket_shift(range, top);
    if ((range >> rk.shift) + rk.low >= (UINT64_C(1) << top))
        rk.shift++; /* bucket 0 too within 2^top */
    rk.cshift = rk.shift > 32 ? rk.shift - 32 : 0;
    size_t nb = (size_t)(range >> rk.shift) + 1 + rk.low;
    memset(h, 0, (nb + 1) * sizeof *h);
    if (rk.low != 0)
        for (size_t p = 0; p < len; p++)
            h[bucket_of(&rk, key_of(t[p]), 1) + 1]++;
    else
        for (size_t p = 0; p < len; p++)
            h[bucket_of(&rk, key_of(t[p]), 0) + 1]++;
    for (size_t b = 1; b <= nb; b++)
        h[b] += h[b - 1];
    if (len >= SORT_CAP) { /* tmp holds nb <= 2^TOP_BITS staged lines */
        memcpy(h + nb + 1, h, nb * sizeof *h);
        if (rk.low != 0)
            scatter_staged(t, len, &rk, 1, nb, h + nb + 1, h, w, tmp);
        else
            scatter_staged(t, len, &rk, 0, nb, h + nb + 1, h, w, tmp);
    } else {
        for (size_t p = 0; p < len; p++) {
            uint64_t key = key_of(t[p]), k = key - rk.kmin;
            w[h[bucket_of(&rk, key, (int)rk.low)]++] =
                (k >> rk.cshift) << 32 | (uint64_t)p;
        }
    }
    /* h[b] is now the end of bucket b, the start of bucket b + 1. */
    uint64_t ties = 0, g = h[0];
    size_t b = 0, a = 0;
    if (rk.low != 0) { /* all equal, in index order: one tie group */
        emit_group(o, w, h[0], 0);
        ties += g * (g - 1) / 2;
        a = h[b++];
    }
    for (; b < nb; a = h[b++])
        ties += rank_bucket(w + a, h[b] - a, a, rk.shift - rk.cshift, t, &rk,
                            tmp, o);
    return ties;
}

/* Sort t; write the sorted order into order (if not NULL), replace t by its
 * average ranks (if ranks; else t keeps its values, -0.0 becoming +0.0),
 * and return the tie-pair count. Req. 8. */
static int rank_triangle(const sc_host *host, sc_ctx *ctx, double *t,
                         size_t len, int ranks, size_t *order, uint64_t *ties)
{
    if (len > UINT32_MAX)
        return host->fail(ctx, SC_EINVAL,
                          "%zu RDM entries exceed the 2^32 the ranking "
                          "supports (n > 92,682 stimuli); subsample the "
                          "stimuli",
                          len);
    size_t cap = len < SORT_CAP ? len : SORT_CAP;
    uint64_t *w = host->alloc(ctx, len * sizeof *w);
    uint64_t *tmp = host->alloc(ctx, cap * sizeof *tmp);
    size_t *hist = host->alloc(ctx, ((2 << TOP_BITS) + 1) * sizeof *hist);
    int rc = SC_ENOMEM;
    if (w != NULL && tmp != NULL && hist != NULL) {
        rank_out o = {ranks ? NULL : order, t};
        *ties = rank_entries(t, len, w, hist, tmp, &o);
        for (size_t p = 0; !ranks && p < len; p++)
            if (t[p] == 0.0)
                t[p] = 0.0; /* as its key; kendall compares values only */
        rc = SC_OK;
    }
    host->free(ctx, w);
    host->free(ctx, tmp);
    host->free(ctx, hist);
    return rc;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Centre v and scale it to unit norm; SC_EDOM if it is constant (Req. 4). */
static int centre_unit(const sc_host *host, sc_ctx *ctx, double *v, size_t len)
{
    double mean = 0.0;
    for (size_t p = 0; p < len; p++)
        mean += v[p];
    mean /= (double)len;
    for (size_t p = 0; p < len; p++)
        v[p] -= mean;
    double nrm = sqrt(host->dot(len, v, v));
    if (!(nrm > 0.0))
        return host->fail(ctx, SC_EDOM,
                          "all %zu RDM entries are equal (every pair of "
                          "stimuli equally dissimilar): their correlation "
                          "is undefined; check the features",
                          len);
    for (size_t p = 0; p < len; p++)
        v[p] /= nrm;
    return SC_OK;
}

/* ## Callbacks */

static int rsa_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const sc_mat *x, void **state)
{
    *state = NULL;
    size_t n = x->rows;
    int kind = (int)args->value[P_RDM], corr = (int)args->value[P_CORR];
    rsa_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->len = n * (n - 1) / 2;
    s->corr = corr;
    s->v = host->alloc(ctx, s->len * sizeof *s->v);
    if (s->v == NULL) {
        state_free(host, ctx, s);
        return SC_ENOMEM;
    }
    int f32 = args->value[P_PRECISION] == PREC_FLOAT32;
    int rc = compute_rdm(host, ctx, x, kind, f32, s->v);
    if (rc == SC_OK && corr == CORR_KENDALL) {
        s->order = host->alloc(ctx, s->len * sizeof *s->order);
        rc = s->order == NULL ? SC_ENOMEM
                              : rank_triangle(host, ctx, s->v, s->len, 0,
                                              s->order, &s->ties);
        uint64_t all = (uint64_t)s->len * (uint64_t)(s->len - 1) / 2;
        if (rc == SC_OK && s->ties == all)
            rc = host->fail(ctx, SC_EDOM,
                            "all %zu RDM entries are equal (every pair of "
                            "stimuli equally dissimilar): Kendall's tau is "
                            "undefined; check the features",
                            s->len);
    } else if (rc == SC_OK) {
        uint64_t unused;
        if (corr == CORR_SPEARMAN)
            rc = rank_triangle(host, ctx, s->v, s->len, 1, NULL, &unused);
        if (rc == SC_OK)
            rc = centre_unit(host, ctx, s->v, s->len);
    }
    if (rc != SC_OK) {
        state_free(host, ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

/* Merge-sort y[0..len-1] ascending (buf: scratch of len) and return the
 * number of strict inversions (i < j, y_i > y_j). Equal elements are taken
 * from the left run first, so ties are never counted as swaps. Bottom-up,
 * so no recursion depth. */
static uint64_t count_swaps(double *y, double *buf, size_t len)
{
    uint64_t swaps = 0;
    double *src = y, *dst = buf;
    for (size_t w = 1; w < len; w *= 2) {
        for (size_t lo = 0; lo < len; lo += 2 * w) {
            size_t mid = lo + w < len ? lo + w : len;
            size_t hi = lo + 2 * w < len ? lo + 2 * w : len;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) {
                if (src[b] < src[a]) {
                    swaps += (uint64_t)(mid - a);
                    dst[o++] = src[b++];
                } else {
                    dst[o++] = src[a++];
                }
            }
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        double *tmp = src;
        src = dst;
        dst = tmp;
    }
    if (src != y)
        memcpy(y, src, len * sizeof *y);
    return swaps;
}

/* Kendall tau-b by Knight (1966): order pairs by x (ties by y), count the
 * joint ties, then count the discordant pairs as the swaps of a merge sort
 * on y. tau_b = (n0 - n1 - n2 + n3 - 2 swaps) / sqrt((n0 - n1)(n0 - n2)). */
static int kendall(const sc_host *host, sc_ctx *ctx, const rsa_state *sx,
                   const rsa_state *sy, double *value)
{
    size_t len = sx->len;
    double *y = host->alloc(ctx, len * sizeof *y);
    double *buf = host->alloc(ctx, len * sizeof *buf);
    if (y == NULL || buf == NULL) {
        host->free(ctx, y);
        host->free(ctx, buf);
        return SC_ENOMEM;
    }
    for (size_t p = 0; p < len; p++)
        y[p] = sy->v[sx->order[p]];
    uint64_t joint = 0;
    for (size_t a = 0; a < len;) {
        size_t b = a + 1;
        double xa = sx->v[sx->order[a]];
        while (b < len && sx->v[sx->order[b]] == xa)
            b++;
        if (b - a > 1) {
            qsort(y + a, b - a, sizeof *y, cmp_double);
            for (size_t c = a; c < b;) {
                size_t e = c + 1;
                while (e < b && y[e] == y[c])
                    e++;
                uint64_t g = (uint64_t)(e - c);
                joint += g * (g - 1) / 2;
                c = e;
            }
        }
        a = b;
    }
    uint64_t swaps = count_swaps(y, buf, len);
    host->free(ctx, y);
    host->free(ctx, buf);
    double n0 = (double)((uint64_t)len * (uint64_t)(len - 1) / 2);
    double n1 = (double)sx->ties, n2 = (double)sy->ties;
    double num = n0 - n1 - n2 + (double)joint - 2.0 * (double)swaps;
    double tau = num / (sqrt(n0 - n1) * sqrt(n0 - n2));
    *value = tau > 1.0 ? 1.0 : (tau < -1.0 ? -1.0 : tau);
    return SC_OK;
}

static int rsa_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const void *px, const void *py, double *value)
{
    (void)args;
    const rsa_state *sx = px, *sy = py;
    if (sx->corr == CORR_KENDALL)
        return kendall(host, ctx, sx, sy, value);
    /* Both vectors are centred and unit-norm: the correlation is their dot
     * product (Req. 7), clamped to [-1, 1] against rounding (Req. 5). */
    double r = host->dot(sx->len, sx->v, sy->v);
    *value = r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r);
    return SC_OK;
}

static void rsa_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

static size_t rsa_embed_len(const void *state)
{
    const rsa_state *s = state;
    return s->corr == CORR_KENDALL ? 0 : s->len;
}

static int rsa_embed(const sc_host *host, sc_ctx *ctx, const void *state,
                     size_t offset, size_t count, double *out)
{
    const rsa_state *s = state;
    if (s->corr == CORR_KENDALL)
        return host->fail(ctx, SC_EINVAL,
                          "rsa with corr=kendall has no embedding (embed_len "
                          "is 0); use compare");
    if (offset > s->len || count > s->len - offset)
        return host->fail(ctx, SC_EINVAL,
                          "embed range [%zu, %zu) exceeds the %zu RDM "
                          "entries",
                          offset, offset + count, s->len);
    memcpy(out, s->v + offset, count * sizeof *out);
    return SC_OK;
}

/* precision=float32 only where tests/cka/test_cka_float32.c proves it
 * within 1e-6 relative of float64: the correlation RDM (centred Gram) with
 * spearman or pearson. Measured outside it: cosine RDM (uncentred Gram)
 * 1.1e-6 on a zoo pair, kendall 3.2e-6 on a bootstrap subset. */
static int rsa_check_args(const sc_host *host, sc_ctx *ctx, const sc_args *args)
{
    if (args->value[P_PRECISION] == PREC_FLOAT32 &&
        (args->value[P_RDM] != RDM_CORRELATION ||
         args->value[P_CORR] == CORR_KENDALL))
        return host->fail(ctx, SC_EINVAL,
                          "precision=float32 applies to rdm=correlation with "
                          "corr=spearman or corr=pearson only (elsewhere its "
                          "accuracy is not within 1e-6); use "
                          "precision=float64");
    return SC_OK;
}

/* Req. 6: orthogonal invariance needs an RDM built from inner products of
 * the raw rows (cosine, euclidean); a shift of all features changes cosine
 * and correlation distances but not euclidean ones. */
static uint32_t rsa_flags_for(const sc_args *args)
{
    uint32_t f = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE |
                 SC_METRIC_RANGE_PM1 | SC_METRIC_SCALE_INVARIANT;
    int kind = (int)args->value[P_RDM];
    if (kind != RDM_CORRELATION)
        f |= SC_METRIC_ORTHO_INVARIANT;
    if (kind == RDM_EUCLIDEAN)
        f |= SC_METRIC_SHIFT_INVARIANT;
    return f;
}

static const sc_metric rsa_desc = {
    .abi_version = SC_ABI_VERSION,
    /* 3: the correlation and cosine RDMs come from host->gram (Req. 3). */
    .host_api_min = 3,
    .name = "rsa",
    .version = "1.1.0",
    .reference = "Kriegeskorte et al. 2008, doi:10.3389/neuro.06.004.2008; "
                 "RDM as thingsvision 2.6.10 (Ciernik et al. 2025, "
                 "arXiv:2411.05561)",
    .summary = "correlation between the representational dissimilarity "
               "matrices (upper triangles) of two representations",
    .flags = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE | SC_METRIC_RANGE_PM1 |
             SC_METRIC_SCALE_INVARIANT,
    .min_rows = 3,
    .params = rsa_params,
    .check_args = rsa_check_args,
    .flags_for = rsa_flags_for,
    .prepare = rsa_prepare,
    .compare = rsa_compare,
    .release = rsa_release,
    .compare_subset = NULL,
    .embed_len = rsa_embed_len,
    .embed = rsa_embed,
};

SC_PLUGIN_DEFINE(rsa_desc)
