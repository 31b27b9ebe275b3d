/* cka: centred kernel alignment (linear or RBF kernel, U-centred or HKH).
 *
 * Definition (docs/FORMULAS.md, "The paper's definitions"):
 *   CKA(X, Y) = <K~, L~> / sqrt(<K~, K~> <L~, L~>)
 * where K = k(X) is the n x n kernel matrix of the rows of X and K~ its
 * centred version:
 *   unbiased (default, the paper's U-centring, Szekely & Rizzo 2014): zero
 *     the diagonal; m_j = sum_i K_ij / (n-2); m <- m - sum(m) / (2(n-1));
 *     K~_ij = K_ij - m_i - m_j; zero the diagonal again;
 *   biased: K~ = H K H with H = I - 11^T/n (Kornblith et al. 2019).
 * Kernels: linear K = X X^T; RBF K_ij = exp(-||x_i - x_j||^2 / (2 s^2)) with
 *   s = sigma (absolute, as the paper's code: thingsvision 2.6.10 CKANumPy);
 *   s^2 = sigma_rel^2 * median of ALL n^2 squared distances (zero diagonal
 *     included, as Kornblith et al.'s demo notebook, gram_rbf(threshold));
 *   neither: s = sqrt(median of the NON-ZERO off-diagonal squared distances)
 *     (thingsvision: sigma = sqrt(median(KX[KX != 0]))).
 * References: Kornblith et al., "Similarity of Neural Network
 * Representations Revisited", ICML 2019; Ciernik et al., arXiv 2411.05561;
 * Szekely & Rizzo, Ann. Stat. 42(6) 2014 (U-centring).
 *
 * Requirements
 *   Req. 1  n >= 4 for unbiased (the U-centred space of 3 points is {0});
 *           n >= 2 for biased (descriptor min_rows). Else SC_EDOM.
 *   Req. 2  A representation whose centred kernel is zero (all rows equal,
 *           or an RBF kernel that is constant) is SC_EDOM, never NaN.
 *   Req. 3  Robust to a constant offset on every feature (+300): features
 *           are centred in double before any Gram is formed. Centring the
 *           features does not change K~ (both centrings remove every
 *           u 1^T + 1 u^T term, and RBF depends only on distances).
 *   Req. 4  Values: unbiased in [-1, 1], biased in [0, 1] (PSD kernels);
 *           the result is clamped to that range to absorb rounding.
 *   Req. 5  Invariances (flags_for): symmetric, self-one and shift
 *           invariant always; orthogonal invariance always (both kernels
 *           depend on inner products / distances only); isotropic scale
 *           invariance for linear, and for RBF with a median-based bandwidth
 *           (not with an absolute sigma).
 *   Req. 6  Linear kernel, d << n: the "feature" path never forms the n x n
 *           Gram; it uses ||Xc^T Yc||_F^2 (biased) or, unbiased,
 *           <K~,L~> = ||Xc^T Yc||^2 - a.b - 2 r.s/(n-2) + R S/((n-1)(n-2))
 *           with a_i = ||x_i||^2, r = K'1 (K' = K with zero diagonal),
 *           R = sum r (Song et al. 2007's HSIC_1 numerator; the U-centring
 *           is an orthogonal projection, so <K~,L~> = <K~,L'>). Chosen by
 *           path=auto when 2 d^2 <= n (a pair then costs n d^2 <= n^2 / 2
 *           flops instead of n^2), or forced by path=gram|features. Both
 *           paths give the same value (tests/plugins/test_cka_props.c).
 *   Req. 7  The n x n Gram of the float64-centred features comes from
 *           host->gram(SC_GRAM_CENTRED), which the all-pairs engine
 *           computes once per representation for every metric that asks
 *           (linear and RBF CKA, RSA's correlation RDM), bit-identical to
 *           a Gram formed here. precision=float32 (opt-in; default float64
 *           is unchanged) adds SC_GRAM_FLOAT32: the host's float32 SYRK
 *           on the features rounded to float32 (about 2x the dgemm rate),
 *           then widened to double; everything after it (RBF distances
 *           and exponentials, centring, HSIC, embedding, compare_subset)
 *           stays in float64. Applies where prepare forms an n x n Gram
 *           (linear Gram path, RBF); the feature path and mixed pairs are
 *           float64 regardless. Accuracy: within 1e-6 relative of the
 *           float64 result (tests/cka/test_cka_float32.c, golden rows
 *           *_f32 in tests/golden/cka.tsv against the float64 numpy
 *           reference). Needs host API revision 3 (host->gram), so the
 *           plugin declares host_api_min = 3.
 *
 * Memory: a Gram-path state holds the centred n x n kernel (8 n^2 bytes,
 * 800 MB at n = 10,000); linear adds 2 n doubles from which compare_subset
 * rebuilds the uncentred Gram, RBF another n x n (the squared distances,
 * which a median bandwidth needs on every subset; only its upper triangle
 * is written and read): 16 n^2 bytes. RBF prepare
 * with a median bandwidth also needs a temporary n(n-1)/2 doubles for the
 * selection. A feature-path state holds n x d plus 3 n doubles. compare_subset
 * allocates 2 count^2 doubles of scratch.
 *
 * Numerics are hand-written only where no host routine fits: kernel
 * centring, quickselect for the median, the exponentials. Feature centring
 * and the zero-variance rule come from include/simcon/plugin_util.h.
 * Products go through host->syrk/gemm/dot (OpenBLAS). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "simcon/plugin.h"
#include "simcon/plugin_util.h"

/* ## Parameters */

enum { P_KERNEL, P_SIGMA, P_SIGMA_REL, P_UNBIASED, P_PATH, P_PRECISION };
enum { KERNEL_LINEAR = 0, KERNEL_RBF = 1 };
enum { PATH_AUTO = 0, PATH_GRAM = 1, PATH_FEATURES = 2 };
enum { PREC_FLOAT64 = 0, PREC_FLOAT32 = 1 };

/* Bandwidth bounds: wide enough for any feature scale, narrow enough that
 * 1/(2 s^2) stays finite and non-zero in double. */
#define CKA_SIGMA_MIN 1e-100
#define CKA_SIGMA_MAX 1e100

static const sc_param cka_params[] = {
    {"kernel", SC_PARAM_ENUM, 0, KERNEL_LINEAR, 0, 0, "linear|rbf",
     "kernel on the rows: linear (X X^T) or rbf (Gaussian)"},
    {"sigma", SC_PARAM_REAL, SC_PARAM_OPTIONAL, 0, CKA_SIGMA_MIN, CKA_SIGMA_MAX,
     NULL, "rbf: absolute bandwidth (paper: 0.4); unset = median distance"},
    {"sigma_rel", SC_PARAM_REAL, SC_PARAM_OPTIONAL, 0, CKA_SIGMA_MIN,
     CKA_SIGMA_MAX, NULL,
     "rbf: bandwidth as a fraction of the median distance (Kornblith)"},
    {"unbiased", SC_PARAM_BOOL, 0, 1, 0, 1, NULL,
     "true: U-centred HSIC (paper); false: HKH centring"},
    {"path", SC_PARAM_ENUM, 0, PATH_AUTO, 0, 0, "auto|gram|features",
     "linear: n x n Gram or d x d feature products; same value"},
    {"precision", SC_PARAM_ENUM, 0, PREC_FLOAT64, 0, 0, "float64|float32",
     "n x n Gram in float64 (exact) or float32 SYRK of the float64-centred "
     "features, rest float64: ~2x faster Gram; the tests require agreement "
     "with float64 to 1e-6 relative"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL}};

/* ## Numerical cut-offs (named, with why) */

/* Zero variance: SC_PU_ZERO_ULPS and sc_pu_zero_variance
 * (include/simcon/plugin_util.h), for the features and the kernels. */
/* Two rows are duplicates when their squared distance, computed from the
 * Gram as g_ii + g_jj - 2 g_ij, is within the rounding of a length-d dot
 * product (about d * eps * (g_ii + g_jj)); 4 gives head-room. The paper's
 * code then sees an exact zero and excludes it from the median. */
#define CKA_DUP_ULPS 4.0

/* ## State */

typedef struct cka_state {
    size_t n;
    int rbf, unbiased, features, f32;
    /* feature path (linear only) */
    size_t d;
    double *xc;  /* n x d, column-centred features                  */
    double *a;   /* n, squared row norms ||x_i||^2                  */
    double *r;   /* n, row sums of K with zero diagonal (unbiased)  */
    double rsum; /* sum of r                                        */
    /* Gram path */
    double *raw;  /* rbf: n x n squared distances, upper triangle (subsets) */
    double *mvec; /* linear: n centring means (K_ij = K~_ij + m_i + m_j) */
    double *diag; /* linear: n diagonal of the uncentred Gram            */
    double *kc;   /* n x n centred kernel K~                            */
    double self;  /* <K~, K~> (both paths)                              */
} cka_state;

static int is_rbf(const sc_args *args)
{
    return args->value[P_KERNEL] == KERNEL_RBF;
}

static int is_unbiased(const sc_args *args)
{
    return args->value[P_UNBIASED] != 0;
}

static void state_free(const sc_host *host, sc_ctx *ctx, cka_state *s)
{
    if (s == NULL)
        return;
    host->free(ctx, s->xc);
    host->free(ctx, s->a);
    host->free(ctx, s->r);
    host->free(ctx, s->raw);
    host->free(ctx, s->mvec);
    host->free(ctx, s->diag);
    host->free(ctx, s->kc);
    host->free(ctx, s);
}

/* ## Zero variance */

static int fail_zero_variance(const sc_host *host, sc_ctx *ctx, size_t n)
{
    return host->fail(ctx, SC_EDOM,
                      "representation has zero variance over its %zu rows "
                      "(all rows equal, or a constant kernel): CKA is 0/0; "
                      "drop it or check the features",
                      n);
}

/* ## Median bandwidth */

/* k-th smallest of v[0..len-1] (0-based), partially reordering v so that
 * v[0..k-1] <= v[k] <= v[k+1..]. Wirth's selection (Algorithms + Data
 * Structures = Programs, 1976), O(len) expected. Hand-written: plugins may
 * link only libc/libm. Signed indices because j steps below l. */
static double select_kth(double *v, size_t len, size_t k)
{
    ptrdiff_t l = 0, m = (ptrdiff_t)len - 1, kk = (ptrdiff_t)k;
    while (l < m) {
        double pivot = v[kk];
        ptrdiff_t i = l, j = m;
        do {
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            m = j;
    }
    return v[kk];
}

/* Smallest of v[from..len-1]. */
static double min_from(const double *v, size_t from, size_t len)
{
    double m = v[from];
    for (size_t i = from + 1; i < len; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

/* Entry (a, b) of a squared-distance matrix stored on and above its
 * diagonal only (leading dimension ld): it is symmetric, so (b, a) holds
 * the same number. */
static double upper_at(const double *d2, size_t ld, size_t a, size_t b)
{
    return a <= b ? d2[a * ld + b] : d2[b * ld + a];
}

/* RBF bandwidth squared for the n x n squared-distance matrix d2 (upper
 * triangle, upper_at) restricted to idx (NULL: all rows). See the file
 * comment for the three rules. */
static int rbf_sigma2(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                      const double *d2, size_t ld, const size_t *idx, size_t n,
                      double *sigma2)
{
    if (args->given[P_SIGMA]) {
        double s = args->value[P_SIGMA];
        *sigma2 = s * s;
        return SC_OK;
    }
    int rel = args->given[P_SIGMA_REL] != 0;
    size_t pairs = n * (n - 1) / 2;
    double *v = host->alloc(ctx, (pairs ? pairs : 1) * sizeof *v);
    if (v == NULL)
        return SC_ENOMEM;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            double e = idx ? upper_at(d2, ld, idx[i], idx[j]) : d2[i * ld + j];
            if (rel || e != 0.0)
                v[len++] = e;
        }
    }
    double med;
    if (rel) {
        /* Median of the n^2 entries: n zeros (the diagonal), then every
         * pair value twice. Entry k of that sorted list is 0 for k < n,
         * else the ((k - n) / 2)-th smallest pair value. */
        size_t total = n * n;
        size_t k1 = (total - 1) / 2, k2 = total / 2;
        double e1 = k1 < n ? 0.0 : select_kth(v, len, (k1 - n) / 2);
        double e2 = k2 < n ? 0.0 : select_kth(v, len, (k2 - n) / 2);
        med = 0.5 * (e1 + e2);
        double f = args->value[P_SIGMA_REL];
        *sigma2 = f * f * med;
    } else {
        if (len == 0) {
            host->free(ctx, v);
            return fail_zero_variance(host, ctx, n);
        }
        /* numpy.median: middle value, or the mean of the two middle. */
        size_t k = (len - 1) / 2;
        double e1 = select_kth(v, len, k);
        med = len % 2 ? e1 : 0.5 * (e1 + min_from(v, k + 1, len));
        *sigma2 = med;
    }
    host->free(ctx, v);
    if (!(*sigma2 > 0.0) || !isfinite(*sigma2))
        return host->fail(ctx, SC_EDOM,
                          "the median pairwise squared distance is %g, so "
                          "the RBF bandwidth is 0 (most rows coincide); set "
                          "an absolute sigma=",
                          med);
    return SC_OK;
}

/* ## Centring
 *
 * Two passes over an n x n kernel, as thingsvision: (1) the column sums,
 * the diagonal zeroed first when unbiased; (2) subtract the means. The two
 * ordered sums of squares, raw2 of the uncentred kernel and self of the
 * centred one, both run in pass 2, each in the row-major order it always
 * had: a sum is a chain of dependent additions whose latency bounds the
 * pass it runs in, two independent chains in one loop cost about what one
 * costs, and pass 1 is left with column sums, which vectorise. The same
 * operations in the same order, so the same bits. Hand-written: no BLAS
 * routine fuses these. */

/* sum[j] += row[j] for j < n. */
static void add_row(double *sum, const double *row, size_t n)
{
    for (size_t j = 0; j < n; j++)
        sum[j] += row[j];
}

/* Pass 1 over a read-only kernel k (n x n): its column sums into sum, the
 * diagonal counted as 0 when unbiased (adding the 0.0 that pass 1 in place
 * adds after zeroing it). */
static void column_sums(const double *k, size_t n, int unbiased, double *sum)
{
    for (size_t j = 0; j < n; j++)
        sum[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = k + i * n;
        if (!unbiased) {
            add_row(sum, row, n);
            continue;
        }
        add_row(sum, row, i);
        sum[i] += 0.0;
        add_row(sum + i + 1, row + i + 1, n - i - 1);
    }
}

/* The centring means (file comment) from the column sums in mean. */
static void finish_means(double *mean, size_t n, int unbiased)
{
    double div = unbiased ? (double)(n - 2) : (double)n;
    double total = 0.0;
    for (size_t j = 0; j < n; j++) {
        mean[j] /= div;
        total += mean[j];
    }
    double shift =
        unbiased ? total / (2.0 * (double)(n - 1)) : total / (2.0 * (double)n);
    for (size_t j = 0; j < n; j++)
        mean[j] -= shift;
}

/* Pass 2 over the entries [from, to) of one row: out = in - (m_i + m_j),
 * adding in^2 to *r2 and out^2 to *s2 (in may be out). */
static void centre_span(const double *in, double *out, size_t from, size_t to,
                        double mi, const double *mean, double *r2, double *s2)
{
    double a = *r2, b = *s2;
    for (size_t j = from; j < to; j++) {
        double v = in[j];
        a += v * v;
        double c = v - (mi + mean[j]);
        out[j] = c;
        b += c * c;
    }
    *r2 = a;
    *s2 = b;
}

/* Pass 2: dst = src - m_i - m_j (src may be dst; n x n). Unbiased, the
 * diagonal is read as 0 (pass 1 zeroed it, or column_sums counted it so),
 * centred, counted in self and taken out again, then zeroed. *raw2: sum of
 * the src^2 so read; *self: sum of the dst^2. */
static void centre_apply(const double *src, double *dst, size_t n, int unbiased,
                         const double *mean, double *raw2, double *self)
{
    double r2 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *in = src + i * n;
        double *out = dst + i * n, mi = mean[i];
        if (!unbiased) {
            centre_span(in, out, 0, n, mi, mean, &r2, &s2);
            continue;
        }
        centre_span(in, out, 0, i, mi, mean, &r2, &s2);
        double zero = 0.0, c = zero - (mi + mean[i]);
        r2 += zero * zero;
        s2 += c * c;
        centre_span(in, out, i + 1, n, mi, mean, &r2, &s2);
        s2 -= c * c;
        out[i] = 0.0;
    }
    *raw2 = r2;
    *self = s2;
}

/* Centre the n x n symmetric kernel k in place (thingsvision semantics,
 * see the file comment); returns in *self the inner product <K~,K~> and
 * in *raw2 that of the uncentred kernel (diagonal zeroed when unbiased),
 * used by the zero-variance test. mean: scratch of n doubles, left holding
 * the centring means. */
static void centre_kernel(double *k, size_t n, int unbiased, double *mean,
                          double *self, double *raw2)
{
    for (size_t j = 0; j < n; j++)
        mean[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        double *row = k + i * n;
        if (unbiased)
            row[i] = 0.0;
        add_row(mean, row, n);
    }
    finish_means(mean, n, unbiased);
    centre_apply(k, k, n, unbiased, mean, raw2, self);
}

/* ## Symmetric passes (RBF)
 *
 * The squared distances and the RBF kernel are exactly symmetric: the
 * host's Gram has equal triangles (it is mirrored; sc_gram), diag_i +
 * diag_j is commutative, and every later step is a function of one entry.
 * So each is computed on the upper triangle only, half the exponentials;
 * the kernel is copied below the diagonal, the bits of the full
 * computation, and the distances stay upper (upper_at reads them). The
 * rows go in blocks of CKA_BLOCK, which stay in cache while the kernel's
 * are mirrored; then the block's rows, complete, get pass 1 of the
 * centring in the row order centre_kernel has. */

/* Rows per block: each row below receives CKA_BLOCK adjacent doubles (one
 * 64-byte cache line), and a block of 8 rows of the paper's n = 10,000 is
 * 640 KB, within a 1 MB L2. */
#define CKA_BLOCK 8

/* m[i][j] = m[j][i] for the rows i in [r0, r1) and every j < i (n x n):
 * the block's rows are completed from the rows above them, whose upper
 * parts are done. Pulled rather than pushed into the rows below, so that
 * the stores go to the block's own rows, in cache for the column sums
 * that follow, and only the loads (one cache line per row above) miss. */
static void pull_block(double *m, size_t n, size_t r0, size_t r1)
{
    for (size_t j = 0; j + 1 < r1; j++) {
        const double *src = m + j * n;
        for (size_t i = j < r0 ? r0 : j + 1; i < r1; i++)
            m[i * n + j] = src[i];
    }
}

/* One pass over a count x count symmetric output: the squared distances
 * from a Gram, or the RBF kernel from squared distances (pass 1 of its
 * centring included), or both at once. */
typedef struct sym_pass {
    size_t count;
    /* distances, when g != NULL: g (count x count) and its diagonal diag
     * give dist (ld count) on and above the diagonal, which is exactly 0,
     * as are entries within dup (diag_i + diag_j) of 0 (CKA_DUP_ULPS); the
     * lower triangle is never written: nothing reads it (upper_at) */
    const double *g, *diag;
    double dup;
    double *dist;
    /* kernel, when k != NULL: k_ij = exp(gamma d2[idx_i][idx_j]) (idx NULL:
     * all rows; d2, upper triangle, may be dist), then its diagonal zeroed
     * when unbiased and the column sums of k in colsum */
    const double *d2;
    size_t ld;
    const size_t *idx;
    double gamma;
    double *k;
    int unbiased;
    double *colsum;
} sym_pass;

/* Row i of the distances, j >= i. */
static void distance_row(const sym_pass *p, size_t i)
{
    size_t n = p->count;
    const double *gi = p->g + i * n;
    double *out = p->dist + i * n;
    out[i] = 0.0;
    for (size_t j = i + 1; j < n; j++) {
        double norms = p->diag[i] + p->diag[j];
        double e = norms - 2.0 * gi[j];
        out[j] = e <= p->dup * norms ? 0.0 : e;
    }
}

/* Row i of the kernel, j >= i. */
static void kernel_row(const sym_pass *p, size_t i)
{
    size_t n = p->count;
    double *out = p->k + i * n;
    if (p->idx != NULL) {
        size_t a = p->idx[i];
        for (size_t j = i; j < n; j++)
            out[j] = exp(p->gamma * upper_at(p->d2, p->ld, a, p->idx[j]));
    } else {
        const double *di = p->d2 + i * p->ld;
        for (size_t j = i; j < n; j++)
            out[j] = exp(p->gamma * di[j]);
    }
}

static void sym_run(const sym_pass *p)
{
    size_t n = p->count;
    if (p->k != NULL)
        for (size_t j = 0; j < n; j++)
            p->colsum[j] = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += CKA_BLOCK) {
        size_t r1 = n - r0 < CKA_BLOCK ? n : r0 + CKA_BLOCK;
        for (size_t i = r0; i < r1; i++) {
            if (p->g != NULL)
                distance_row(p, i);
            if (p->k != NULL)
                kernel_row(p, i);
        }
        if (p->k == NULL)
            continue;
        pull_block(p->k, n, r0, r1);
        for (size_t i = r0; i < r1; i++) {
            double *row = p->k + i * n;
            if (p->unbiased)
                row[i] = 0.0;
            add_row(p->colsum, row, n);
        }
    }
}

/* Where a Gram-path state keeps its uncentred kernel. RBF: the squared
 * distances on and above the diagonal (a median bandwidth must be
 * recomputed on a subset; upper_at reads them). Linear:
 * nothing extra; K_ij = K~_ij + m_i + m_j off the diagonal (the centring
 * subtracts exactly m_i + m_j, m being the final means vector) and the
 * diagonal K_ii is kept apart, so 2 n doubles replace an n x n copy. */
typedef struct raw_source {
    const double *d2;   /* rbf: n x n squared distances (upper_at)        */
    const double *kc;   /* linear: centred kernel                         */
    const double *mvec; /* linear: centring means, n                      */
    const double *diag; /* linear: uncentred diagonal, n                  */
    size_t ld;
} raw_source;

/* Linear: entry (i, j) of the uncentred kernel. */
static double raw_at(const raw_source *r, size_t i, size_t j)
{
    if (i == j)
        return r->diag[i];
    return r->kc[i * r->ld + j] + r->mvec[i] + r->mvec[j];
}

/* Centred kernel of the rows idx (NULL: all) of a Gram-path state's raw
 * kernel into out (count x count). mean: scratch of count doubles. */
static int kernel_from_raw(const sc_host *host, sc_ctx *ctx,
                           const sc_args *args, const raw_source *raw,
                           const size_t *idx, size_t count, double *out,
                           double *mean, double *self)
{
    int unbiased = is_unbiased(args);
    double raw2;
    if (is_rbf(args)) {
        double sigma2 = 0.0;
        int rc =
            rbf_sigma2(host, ctx, args, raw->d2, raw->ld, idx, count, &sigma2);
        if (rc != SC_OK)
            return rc;
        sym_pass p = {.count = count,
                      .d2 = raw->d2,
                      .ld = raw->ld,
                      .idx = idx,
                      .gamma = -0.5 / sigma2,
                      .k = out,
                      .unbiased = unbiased,
                      .colsum = mean};
        sym_run(&p);
        finish_means(mean, count, unbiased);
        centre_apply(out, out, count, unbiased, mean, &raw2, self);
    } else {
        /* Filled whole: (K~_ij + m_i) + m_j and (K~_ji + m_j) + m_i may
         * differ in the last bit, so this kernel is not exactly symmetric. */
        for (size_t i = 0; i < count; i++) {
            size_t a = idx ? idx[i] : i;
            for (size_t j = 0; j < count; j++)
                out[i * count + j] = raw_at(raw, a, idx ? idx[j] : j);
        }
        centre_kernel(out, count, unbiased, mean, self, &raw2);
    }
    if (sc_pu_zero_variance(*self, raw2, count))
        return fail_zero_variance(host, ctx, count);
    return SC_OK;
}

/* ## Feature path (linear kernel only) */

/* Cross term <K~x, K~y> of two feature-path states: X^T Y by one GEMM,
 * then the corrections of Req. 6. */
static int feature_cross(const sc_host *host, sc_ctx *ctx, const cka_state *x,
                         const cka_state *y, double *out)
{
    size_t n = x->n;
    double *p = host->alloc(ctx, x->d * y->d * sizeof *p);
    if (p == NULL)
        return SC_ENOMEM;
    int rc = host->gemm(ctx, SC_TRANS, SC_NOTRANS, x->d, y->d, n, 1.0, x->xc,
                        x->d, y->xc, y->d, 0.0, p, y->d);
    if (rc != SC_OK) {
        host->free(ctx, p);
        return rc;
    }
    double v = host->dot(x->d * y->d, p, p);
    host->free(ctx, p);
    if (x->unbiased) {
        double nn = (double)n;
        v += -host->dot(n, x->a, y->a) -
             2.0 * host->dot(n, x->r, y->r) / (nn - 2.0) +
             x->rsum * y->rsum / ((nn - 1.0) * (nn - 2.0));
    }
    *out = v;
    return SC_OK;
}

/* Expand a feature-path state into its centred n x n kernel (for mixed
 * pairs and subsets). mean: scratch of n doubles. */
static int feature_kernel(const sc_host *host, sc_ctx *ctx, const cka_state *s,
                          double *out, double *mean)
{
    int rc = host->syrk(ctx, SC_NOTRANS, s->n, s->d, 1.0, s->xc, s->d, 0.0, out,
                        s->n);
    if (rc != SC_OK)
        return rc;
    double self, raw2;
    centre_kernel(out, s->n, s->unbiased, mean, &self, &raw2);
    return SC_OK;
}

/* ## Plugin callbacks */

static int cka_check_args(const sc_host *host, sc_ctx *ctx, const sc_args *args)
{
    int sig = args->given[P_SIGMA] != 0, rel = args->given[P_SIGMA_REL] != 0;
    if (sig && rel)
        return host->fail(ctx, SC_EINVAL,
                          "sigma and sigma_rel are both set; set one "
                          "(absolute or relative bandwidth), or neither for "
                          "the median distance");
    if (!is_rbf(args) && (sig || rel))
        return host->fail(ctx, SC_EINVAL,
                          "%s applies only to kernel=rbf; drop it or set "
                          "kernel=rbf",
                          sig ? "sigma" : "sigma_rel");
    if (is_rbf(args) && args->value[P_PATH] == PATH_FEATURES)
        return host->fail(ctx, SC_EINVAL,
                          "path=features exists only for kernel=linear; use "
                          "path=auto or path=gram");
    return SC_OK;
}

static uint32_t cka_flags_for(const sc_args *args)
{
    uint32_t f = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE |
                 SC_METRIC_ORTHO_INVARIANT | SC_METRIC_SHIFT_INVARIANT;
    f |= is_unbiased(args) ? SC_METRIC_RANGE_PM1 : SC_METRIC_RANGE_01;
    if (!is_rbf(args) || !args->given[P_SIGMA])
        f |= SC_METRIC_SCALE_INVARIANT;
    return f;
}

/* Feature-path state (Req. 6) from the centred features s->xc: the
 * squared row norms a, the row sums r of K with zero diagonal, and
 * self = <K~, K~>. */
static int prepare_features(const sc_host *host, sc_ctx *ctx, cka_state *s)
{
    size_t n = s->n, d = s->d;
    s->a = host->alloc(ctx, n * sizeof *s->a);
    s->r = host->alloc(ctx, n * sizeof *s->r);
    double *colsum = host->alloc(ctx, d * sizeof *colsum);
    if (s->a == NULL || s->r == NULL || colsum == NULL) {
        host->free(ctx, colsum);
        return SC_ENOMEM;
    }
    /* r = K' 1 = Xc (Xc^T 1) - a: about -a, since Xc is centred. */
    for (size_t j = 0; j < d; j++)
        colsum[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = s->xc + i * d;
        s->a[i] = host->dot(d, row, row);
        for (size_t j = 0; j < d; j++)
            colsum[j] += row[j];
    }
    s->rsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        s->r[i] = host->dot(d, s->xc + i * d, colsum) - s->a[i];
        s->rsum += s->r[i];
    }
    host->free(ctx, colsum);
    int rc = feature_cross(host, ctx, s, s, &s->self);
    if (rc != SC_OK)
        return rc;
    /* The exact kernel-level test of the Gram path needs the n x n
     * matrix; the feature-level test already caught all-equal rows, and
     * for the linear kernel self is >= ||Xc||^4 / d > 0. */
    if (!(s->self > 0.0))
        return fail_zero_variance(host, ctx, s->n);
    return SC_OK;
}

/* Gram-path state from the host's Gram of the centred features (gm): the
 * centred kernel kc and, for subsets, the RBF squared distances raw or the
 * linear centring means and diagonal (raw_source). Each n x n pass reads or
 * writes 8 n^2 bytes, so the state is built in few: RBF, the distances and
 * the kernel with its column sums in one symmetric pass (two with a median
 * bandwidth, which needs every distance first), then the centring; linear,
 * the column sums of the Gram, then the centred kernel from it (no copy).
 * scratch: 2 n doubles. */
static int prepare_gram(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                        cka_state *s, const sc_gram *gm, double *scratch)
{
    size_t n = s->n, d = s->d;
    double *mean = scratch, raw2;
    s->kc = host->alloc(ctx, n * n * sizeof *s->kc);
    if (s->kc == NULL)
        return SC_ENOMEM;
    if (s->rbf) {
        s->raw = host->alloc(ctx, n * n * sizeof *s->raw);
        if (s->raw == NULL)
            return SC_ENOMEM;
        double *diag = scratch + n;
        for (size_t i = 0; i < n; i++)
            diag[i] = gm->g[i * n + i];
        /* Rounding of the Gram entries, in the precision they were summed
         * in: a float32 Gram (Req. 7) leaves duplicates apart by up to
         * d * FLT_EPSILON. */
        double eps = s->f32 ? (double)FLT_EPSILON : DBL_EPSILON;
        sym_pass p = {.count = n,
                      .g = gm->g,
                      .diag = diag,
                      .dup = CKA_DUP_ULPS * (double)d * eps,
                      .dist = s->raw,
                      .d2 = s->raw,
                      .ld = n,
                      .unbiased = s->unbiased,
                      .colsum = mean};
        /* An absolute sigma is known before any distance, so one pass makes
         * the distances and the kernel; a median needs every distance. */
        if (!args->given[P_SIGMA]) {
            sym_run(&p);
            p.g = NULL;
        }
        double sigma2 = 0.0;
        int rc = rbf_sigma2(host, ctx, args, s->raw, n, NULL, n, &sigma2);
        if (rc != SC_OK)
            return rc;
        p.gamma = -0.5 / sigma2;
        p.k = s->kc;
        sym_run(&p);
        finish_means(mean, n, s->unbiased);
        centre_apply(s->kc, s->kc, n, s->unbiased, mean, &raw2, &s->self);
    } else {
        s->mvec = host->alloc(ctx, n * sizeof *s->mvec);
        s->diag = host->alloc(ctx, n * sizeof *s->diag);
        if (s->mvec == NULL || s->diag == NULL)
            return SC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            s->diag[i] = gm->g[i * n + i];
        column_sums(gm->g, n, s->unbiased, s->mvec);
        finish_means(s->mvec, n, s->unbiased);
        centre_apply(gm->g, s->kc, n, s->unbiased, s->mvec, &raw2, &s->self);
    }
    if (sc_pu_zero_variance(s->self, raw2, n))
        return fail_zero_variance(host, ctx, n);
    return SC_OK;
}

/* The checks of centred features (Req. 2, 3) from the sums of squares of
 * the centred and of the given features. */
static int check_centred(const sc_host *host, sc_ctx *ctx, double var2,
                         double scale2, size_t n)
{
    /* Values near 1e154 or more overflow when squared: the sums are then
     * Inf (or NaN), which the zero-variance test below would misread as
     * "no variance" (Inf <= tol * Inf). Say what happened instead. */
    if (!isfinite(var2) || !isfinite(scale2))
        return host->fail(ctx, SC_ENUMERIC,
                          "the representation's squared values overflow (or "
                          "it has NaN or Inf features); rescale the "
                          "features, e.g. data.normalize: l2");
    if (sc_pu_zero_variance(var2, scale2, n))
        return fail_zero_variance(host, ctx, n);
    return SC_OK;
}

/* Centre the features of x into s->xc and check them (Req. 2, 3). mean:
 * scratch of 2 d. */
static int centre_checked(const sc_host *host, sc_ctx *ctx, const sc_mat *x,
                          cka_state *s, double *mean)
{
    double var2, scale2;
    sc_pu_centre(host, x, NULL, s->n, s->xc, mean, &var2, &scale2);
    return check_centred(host, ctx, var2, scale2, s->n);
}

/* Gram path (Req. 7): the Gram of the centred features comes from the
 * host (host->gram, shared with every other metric of the run that asks
 * for the same Gram of this representation), then the state from it. */
static int prepare_from_host_gram(const sc_host *host, sc_ctx *ctx,
                                  const sc_args *args, const sc_mat *x,
                                  cka_state *s)
{
    const sc_gram *gm = NULL;
    uint32_t flags = SC_GRAM_CENTRED | (s->f32 ? SC_GRAM_FLOAT32 : 0u);
    int rc = host->gram(ctx, x, flags, &gm);
    if (rc != SC_OK)
        return rc;
    double *scratch = host->alloc(ctx, 2 * s->n * sizeof *scratch);
    rc = scratch == NULL ? SC_ENOMEM
                         : check_centred(host, ctx, gm->var2, gm->scale2, s->n);
    if (rc == SC_OK)
        rc = prepare_gram(host, ctx, args, s, gm, scratch);
    host->gram_release(ctx, gm);
    host->free(ctx, scratch);
    return rc;
}

static int cka_prepare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const sc_mat *x, void **state)
{
    *state = NULL;
    size_t n = x->rows, d = x->cols;
    int unbiased = is_unbiased(args);
    if (unbiased && n < 4)
        return host->fail(ctx, SC_EDOM,
                          "unbiased CKA needs at least 4 rows (stimuli), got "
                          "%zu; add stimuli or set unbiased=false",
                          n);
    cka_state *s = host->alloc(ctx, sizeof *s);
    if (s == NULL)
        return SC_ENOMEM;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->d = d;
    s->rbf = is_rbf(args);
    s->unbiased = unbiased;
    s->f32 = args->value[P_PRECISION] == PREC_FLOAT32;
    int path = (int)args->value[P_PATH];
    s->features = !s->rbf && (path == PATH_FEATURES ||
                              (path == PATH_AUTO && 2 * d * d <= n));
    int rc = SC_ENOMEM;
    if (!s->features) {
        rc = prepare_from_host_gram(host, ctx, args, x, s);
    } else {
        s->xc = host->alloc(ctx, n * d * sizeof *s->xc);
        /* scratch: 2 d for the column means */
        double *mean = host->alloc(ctx, (d > 0 ? 2 * d : 1) * sizeof *mean);
        if (s->xc != NULL && mean != NULL)
            rc = centre_checked(host, ctx, x, s, mean);
        if (rc == SC_OK)
            rc = prepare_features(host, ctx, s);
        host->free(ctx, mean);
    }
    if (rc != SC_OK) {
        state_free(host, ctx, s);
        return rc;
    }
    *state = s;
    return SC_OK;
}

static void cka_release(const sc_host *host, sc_ctx *ctx, void *state)
{
    state_free(host, ctx, state);
}

/* Cosine of the two centred kernels, clamped to the range Cauchy-Schwarz
 * guarantees (Req. 4). */
static double finish(double cross, double sx, double sy, int unbiased)
{
    double v = cross / sqrt(sx * sy);
    double lo = unbiased ? -1.0 : 0.0;
    return v > 1.0 ? 1.0 : (v < lo ? lo : v);
}

static int cka_compare(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                       const void *sx, const void *sy, double *value)
{
    (void)args;
    const cka_state *x = sx, *y = sy;
    size_t n = x->n;
    double cross = 0.0;
    if (x->features && y->features) {
        int rc = feature_cross(host, ctx, x, y, &cross);
        if (rc != SC_OK)
            return rc;
    } else if (!x->features && !y->features) {
        cross = host->dot(n * n, x->kc, y->kc);
    } else {
        /* Mixed pair (different d around the auto threshold): expand the
         * feature-path side to its n x n centred kernel. */
        const cka_state *f = x->features ? x : y, *g = x->features ? y : x;
        double *k = host->alloc(ctx, n * n * sizeof *k);
        double *mean = host->alloc(ctx, n * sizeof *mean);
        int rc = k && mean ? feature_kernel(host, ctx, f, k, mean) : SC_ENOMEM;
        if (rc == SC_OK)
            cross = host->dot(n * n, k, g->kc);
        host->free(ctx, k);
        host->free(ctx, mean);
        if (rc != SC_OK)
            return rc;
    }
    *value = finish(cross, x->self, y->self, x->unbiased);
    return SC_OK;
}

/* Centred kernel of one state on the rows idx, into out (count^2). */
static int subset_kernel(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                         const cka_state *s, const size_t *idx, size_t count,
                         double *out, double *mean, double *self)
{
    if (!s->features) {
        raw_source src = {s->raw, s->kc, s->mvec, s->diag, s->n};
        return kernel_from_raw(host, ctx, args, &src, idx, count, out, mean,
                               self);
    }
    /* Feature path: re-centre the selected rows (a subset is not centred)
     * and form their Gram; centring again is exact, not an approximation. */
    double *xs = host->alloc(ctx, count * s->d * sizeof *xs);
    double *cm = host->alloc(ctx, 2 * s->d * sizeof *cm);
    if (xs == NULL || cm == NULL) {
        host->free(ctx, xs);
        host->free(ctx, cm);
        return SC_ENOMEM;
    }
    sc_mat view = {s->n, s->d, s->d, s->xc};
    double var2, scale2;
    sc_pu_centre(host, &view, idx, count, xs, cm, &var2, &scale2);
    host->free(ctx, cm);
    int rc = host->syrk(ctx, SC_NOTRANS, count, s->d, 1.0, xs, s->d, 0.0, out,
                        count);
    host->free(ctx, xs);
    if (rc != SC_OK)
        return rc;
    double raw2;
    centre_kernel(out, count, s->unbiased, mean, self, &raw2);
    if (sc_pu_zero_variance(*self, raw2, count))
        return fail_zero_variance(host, ctx, count);
    return SC_OK;
}

static int cka_compare_subset(const sc_host *host, sc_ctx *ctx,
                              const sc_args *args, const void *sx,
                              const void *sy, const size_t *idx, size_t count,
                              double *value)
{
    const cka_state *x = sx, *y = sy;
    if (x->unbiased ? count < 4 : count < 2)
        return host->fail(ctx, SC_EDOM,
                          "a stimulus subset of %zu rows is too small for "
                          "CKA (need %d); draw larger subsets",
                          count, x->unbiased ? 4 : 2);
    for (size_t i = 0; i < count; i++)
        if (idx[i] >= x->n)
            return host->fail(ctx, SC_EINVAL,
                              "subset index %zu is %zu, beyond the %zu "
                              "prepared rows",
                              i, idx[i], x->n);
    double *kx = host->alloc(ctx, count * count * sizeof *kx);
    double *ky = host->alloc(ctx, count * count * sizeof *ky);
    double *mean = host->alloc(ctx, count * sizeof *mean);
    int rc = SC_ENOMEM;
    double selfx, selfy;
    if (kx == NULL || ky == NULL || mean == NULL)
        goto done;
    rc = subset_kernel(host, ctx, args, x, idx, count, kx, mean, &selfx);
    if (rc == SC_OK)
        rc = subset_kernel(host, ctx, args, y, idx, count, ky, mean, &selfy);
    if (rc == SC_OK) {
        double cross = host->dot(count * count, kx, ky);
        *value = finish(cross, selfx, selfy, x->unbiased);
    }
done:
    host->free(ctx, kx);
    host->free(ctx, ky);
    host->free(ctx, mean);
    return rc;
}

/* ## Embedding for the all-pairs path
 *
 * <K~, L~> = sum_i K~_ii L~_ii + 2 sum_{i<j} K~_ij L~_ij, so the vector
 * e = (K~_11..K~_nn, sqrt(2) K~_ij for i < j in row-major order) has
 * <e_K, e_L> = <K~, L~>. Unbiased: the diagonal is zero and is left out.
 * A feature-path state offers no embedding (embed_len 0): the host then
 * uses compare, which is the cheaper path for it anyway. */

static size_t cka_embed_len(const void *state)
{
    const cka_state *s = state;
    if (s->features)
        return 0;
    size_t tri = s->n * (s->n - 1) / 2;
    return s->unbiased ? tri : tri + s->n;
}

static int cka_embed(const sc_host *host, sc_ctx *ctx, const void *state,
                     size_t offset, size_t count, double *out)
{
    const cka_state *s = state;
    size_t len = cka_embed_len(s);
    if (len == 0 || offset > len || count > len - offset)
        return host->fail(ctx, SC_EINVAL,
                          "embed range [%zu, %zu) outside the embedding of "
                          "length %zu",
                          offset, offset + count, len);
    size_t n = s->n, k = 0, pos = offset;
    if (!s->unbiased) {
        for (; k < count && pos < n; k++, pos++)
            out[k] = s->kc[pos * n + pos];
        pos -= n;
    }
    if (k == count)
        return SC_OK;
    /* Locate (i, j) of the pos-th strict upper entry: row i holds n-1-i. */
    size_t i = 0;
    while (pos >= n - 1 - i) {
        pos -= n - 1 - i;
        i++;
    }
    size_t j = i + 1 + pos;
    const double r2 = sqrt(2.0);
    /* Row by row, so that the inner loop has no branch and vectorises. */
    while (k < count) {
        size_t run = n - j < count - k ? n - j : count - k;
        const double *row = s->kc + i * n + j;
        double *dst = out + k;
        for (size_t t = 0; t < run; t++)
            dst[t] = r2 * row[t];
        k += run;
        i++;
        j = i + 1;
    }
    return SC_OK;
}

static const sc_metric cka_desc = {
    .abi_version = SC_ABI_VERSION,
    /* 3: the Gram comes from host->gram (Req. 7). The entry refuses an
     * older host, whose table has no such field. */
    .host_api_min = 3,
    .name = "cka",
    .version = "1.1.0",
    .reference = "Kornblith et al., ICML 2019, arXiv:1905.00414; U-centred "
                 "HSIC as in Ciernik et al., arXiv:2411.05561 (thingsvision "
                 "2.6.10)",
    .summary = "centred kernel alignment of the two representations' Gram "
               "matrices",
    .flags = SC_METRIC_SYMMETRIC | SC_METRIC_SELF_ONE | SC_METRIC_RANGE_PM1 |
             SC_METRIC_ORTHO_INVARIANT | SC_METRIC_SCALE_INVARIANT |
             SC_METRIC_SHIFT_INVARIANT,
    .min_rows = 2,
    .params = cka_params,
    .check_args = cka_check_args,
    .flags_for = cka_flags_for,
    .prepare = cka_prepare,
    .compare = cka_compare,
    .release = cka_release,
    .compare_subset = cka_compare_subset,
    .embed_len = cka_embed_len,
    .embed = cka_embed,
};

SC_PLUGIN_DEFINE(cka_desc)
