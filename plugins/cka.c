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
#include <stdint.h>
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

/* sum[j] += row[j] for j < n (per-CPU clones: simcon/clones.h). */
SC_CLONE_BODY void add_row_body(double *sum, const double *row, size_t n)
{
    for (size_t j = 0; j < n; j++)
        sum[j] += row[j];
}
SC_CLONED(add_row, (double *sum, const double *row, size_t n), (sum, row, n))

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
 * adding in^2 to *r2 and out^2 to *s2 (in may be out). Per-CPU clones
 * (simcon/clones.h): the sums stay in row order in every clone. */
SC_CLONE_BODY void centre_span_body(const double *in, double *out, size_t from,
                                    size_t to, double mi, const double *mean,
                                    double *r2, double *s2)
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
SC_CLONED(centre_span,
          (const double *in, double *out, size_t from, size_t to, double mi,
           const double *mean, double *r2, double *s2),
          (in, out, from, to, mi, mean, r2, s2))

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

/* ## Exponentials (RBF kernel)
 *
 * The RBF kernel takes n^2 / 2 exponentials per representation (5e7 at
 * n = 10,000), of arguments x = gamma d2 <= 0. libm's exp is a call per
 * entry, which GCC cannot vectorise; glibc's vector exp (libmvec) is only
 * used under -ffast-math, and GSL's gsl_sf_exp is scalar. So exp_nonpos is
 * written here, without branches, for GCC to vectorise at -O3 (SSE2, two
 * at a time). Method of Tang (ACM TOMS 15(2), 1989), as glibc's exp:
 *   x = (k / N) ln2 + r, |r| <= ln2 / (2N), N = EXP_N, k rounded by adding
 *     1.5 * 2^52 (k lands in the low bits); Cody-Waite: ln2 / N in two
 *     parts, the first with its last 20 bits zero, so that k (ln2/N)_hi
 *     (|k| < 2^18) and x - k (ln2/N)_hi are exact;
 *   e^x = 2^floor(k/N) T_j (1 + t_j) e^r, j = k mod N, T_j = 2^(j/N)
 *     rounded and t_j its relative rounding error (exp_table);
 *   e^r - 1 by Taylor to degree 5: the next term, r^6/720, is < 6e-19.
 * 2^floor(k/N) is added to T_j's exponent bits, with 64 more so that the
 * scale stays normal down to EXP_FLOOR; the final product with 2^-64 is
 * exact for normal results and rounds once for subnormal ones.
 * Accuracy against long double expl, in ulps of the result, on 1e8 seeded
 * arguments in [-745.2, 0] and 1e8 in [-4, 0]: max 0.512 for normal
 * results, 0.751 for subnormal ones (x < -708.4); glibc's exp gives
 * another double for 0.14% of them (one ulp apart). No FMA: the build is C11
 * (-ffp-contract=off) for generic x86-64, so these bits are the same on any
 * x86-64. Tests: tests/plugins/test_cka_exp.c. */

/* Below ln(2^-1075) = -745.13..., e^x rounds to 0. Arguments are clamped
 * here, which keeps the scale 2^(floor(k/N) + 64) normal; every argument
 * in [EXP_FLOOR, -745.14] still gives 0. */
#define EXP_FLOOR (-750.0)
#define EXP_N 128
#define EXP_SHIFT 45 /* 52 - log2(EXP_N): ki's bit 7 to the exponent's 0 */

/* {T_j, t_j}: T_j = 2^(j/128) rounded to nearest, t_j = (2^(j/128) - T_j)
 * / T_j rounded; computed with python3 mpmath 1.3.0 at 200 bits. */
static const struct {
    double t, tail;
} exp_table[EXP_N] = {
    {0x1.0000000000000p+0, 0x0.0p+0},
    {0x1.0163da9fb3335p+0, 0x1.b3b4f1a88bf6ep-54},
    {0x1.02c9a3e778061p+0, -0x1.160139cd8dc5dp-56},
    {0x1.04315e86e7f85p+0, -0x1.05e7a108766d1p-54},
    {0x1.059b0d3158574p+0, 0x1.cd2523567f613p-55},
    {0x1.0706b29ddf6dep+0, -0x1.bce8023f98efap-55},
    {0x1.0874518759bc8p+0, 0x1.0f74e61e6c861p-57},
    {0x1.09e3ecac6f383p+0, 0x1.0a3e45b33d399p-54},
    {0x1.0b5586cf9890fp+0, 0x1.79aa65d837b6dp-54},
    {0x1.0cc922b7247f7p+0, 0x1.eb51a92fdeffcp-55},
    {0x1.0e3ec32d3d1a2p+0, 0x1.ebe3d702f9cd1p-60},
    {0x1.0fb66affed31bp+0, -0x1.a033489906e0bp-57},
    {0x1.11301d0125b51p+0, -0x1.556522a2fbd0ep-54},
    {0x1.12abdc06c31ccp+0, -0x1.080ef8c4eea55p-58},
    {0x1.1429aaea92de0p+0, -0x1.1c923b9d5f416p-54},
    {0x1.15a98c8a58e51p+0, 0x1.0d3e3e95c55afp-55},
    {0x1.172b83c7d517bp+0, -0x1.01b15eaa59348p-55},
    {0x1.18af9388c8deap+0, -0x1.f1ff055de323dp-55},
    {0x1.1a35beb6fcb75p+0, 0x1.b898c3f1353bfp-55},
    {0x1.1bbe084045cd4p+0, -0x1.6d99c7611eb26p-54},
    {0x1.1d4873168b9aap+0, 0x1.aecf73e3a2f60p-54},
    {0x1.1ed5022fcd91dp+0, -0x1.fe782cb86389dp-55},
    {0x1.2063b88628cd6p+0, 0x1.a6f4144a6c38dp-55},
    {0x1.21f49917ddc96p+0, 0x1.07a05b0e4047dp-55},
    {0x1.2387a6e756238p+0, 0x1.68efde3a8a894p-54},
    {0x1.251ce4fb2a63fp+0, 0x1.75e18f274487dp-55},
    {0x1.26b4565e27cddp+0, 0x1.0472b981fe7f2p-55},
    {0x1.284dfe1f56381p+0, -0x1.6b87b3f71085ep-54},
    {0x1.29e9df51fdee1p+0, 0x1.2f7e16d09ab31p-55},
    {0x1.2b87fd0dad990p+0, -0x1.d219b1a6fbffap-60},
    {0x1.2d285a6e4030bp+0, 0x1.b3782720c0ab4p-55},
    {0x1.2ecafa93e2f56p+0, 0x1.e149289cecb8fp-57},
    {0x1.306fe0a31b715p+0, 0x1.34d754db0abb6p-55},
    {0x1.32170fc4cd831p+0, 0x1.64201e2ac744cp-55},
    {0x1.33c08b26416ffp+0, 0x1.fdd395dd3f84ap-55},
    {0x1.356c55f929ff1p+0, -0x1.6a3803b8e5b04p-55},
    {0x1.371a7373aa9cbp+0, -0x1.24aedcc4b5068p-54},
    {0x1.38cae6d05d866p+0, -0x1.907f81b512d8ep-54},
    {0x1.3a7db34e59ff7p+0, -0x1.1d1e83e9436d2p-56},
    {0x1.3c32dc313a8e5p+0, -0x1.91919b3ce1b15p-54},
    {0x1.3dea64c123422p+0, 0x1.59f48a72a4c6dp-55},
    {0x1.3fa4504ac801cp+0, -0x1.312607a28698ap-54},
    {0x1.4160a21f72e2ap+0, -0x1.8a78f4817895bp-58},
    {0x1.431f5d950a897p+0, -0x1.c2c9b67499a1bp-56},
    {0x1.44e086061892dp+0, 0x1.363ed60c2ac11p-59},
    {0x1.46a41ed1d0057p+0, 0x1.666093b0664efp-54},
    {0x1.486a2b5c13cd0p+0, 0x1.ecce1daa10379p-57},
    {0x1.4a32af0d7d3dep+0, 0x1.3ff8e3f0f1230p-54},
    {0x1.4bfdad5362a27p+0, 0x1.690cebb7aafb0p-56},
    {0x1.4dcb299fddd0dp+0, 0x1.31dbdeb54e077p-54},
    {0x1.4f9b2769d2ca7p+0, -0x1.f94340071a38ep-55},
    {0x1.516daa2cf6642p+0, -0x1.7deccdc93a349p-55},
    {0x1.5342b569d4f82p+0, -0x1.8dec6bd0f385fp-56},
    {0x1.551a4ca5d920fp+0, -0x1.61246ec7b5cf6p-55},
    {0x1.56f4736b527dap+0, 0x1.3350518fdd78ep-54},
    {0x1.58d12d497c7fdp+0, 0x1.b98b72f8a9b05p-56},
    {0x1.5ab07dd485429p+0, 0x1.063e1e21c5409p-54},
    {0x1.5c9268a5946b7p+0, 0x1.4c7855019c6eap-60},
    {0x1.5e76f15ad2148p+0, 0x1.432e62b64c035p-54},
    {0x1.605e1b976dc09p+0, -0x1.ce44a6199769fp-55},
    {0x1.6247eb03a5585p+0, -0x1.c33c53bef4da8p-55},
    {0x1.6434634ccc320p+0, -0x1.45378892be9aep-55},
    {0x1.6623882552225p+0, -0x1.3cedd78565858p-54},
    {0x1.68155d44ca973p+0, 0x1.710aa807e1964p-58},
    {0x1.6a09e667f3bcdp+0, -0x1.3b3efbf5e2228p-54},
    {0x1.6c012750bdabfp+0, -0x1.a12ad8734b982p-57},
    {0x1.6dfb23c651a2fp+0, -0x1.367efb86da9eep-57},
    {0x1.6ff7df9519484p+0, -0x1.0dc3d54e08851p-55},
    {0x1.71f75e8ec5f74p+0, -0x1.81f647e5a3ecfp-56},
    {0x1.73f9a48a58174p+0, -0x1.6ee4ac08b7db0p-55},
    {0x1.75feb564267c9p+0, -0x1.619321e55e68ap-55},
    {0x1.780694fde5d3fp+0, 0x1.09ccb5e09d4d3p-54},
    {0x1.7a11473eb0187p+0, -0x1.b32dcb94da51dp-56},
    {0x1.7c1ed0130c132p+0, 0x1.4ecfd5467c06bp-54},
    {0x1.7e2f336cf4e62p+0, 0x1.5ebe1abd66c55p-57},
    {0x1.80427543e1a12p+0, -0x1.8a1c52fb3cf42p-55},
    {0x1.82589994cce13p+0, -0x1.369b6f13b3734p-54},
    {0x1.8471a4623c7adp+0, -0x1.05e843a19ff1ep-55},
    {0x1.868d99b4492edp+0, -0x1.4d450d872576ep-54},
    {0x1.88ac7d98a6699p+0, 0x1.0ad675b0e8a00p-54},
    {0x1.8ace5422aa0dbp+0, 0x1.db72fc1f0eab4p-55},
    {0x1.8cf3216b5448cp+0, -0x1.5b6609cc5e7ffp-57},
    {0x1.8f1ae99157736p+0, 0x1.bf68359f35f44p-56},
    {0x1.9145b0b91ffc6p+0, -0x1.3091fa71e3d83p-54},
    {0x1.93737b0cdc5e5p+0, -0x1.da9b88b6c1e29p-58},
    {0x1.95a44cbc8520fp+0, -0x1.c23f97c90b959p-57},
    {0x1.97d829fde4e50p+0, -0x1.2434322f4f9aap-54},
    {0x1.9a0f170ca07bap+0, -0x1.5ca6cd7668e4bp-55},
    {0x1.9c49182a3f090p+0, 0x1.1affc2b91ce27p-56},
    {0x1.9e86319e32323p+0, 0x1.dd235e10a73bbp-57},
    {0x1.a0c667b5de565p+0, -0x1.7c50422622263p-55},
    {0x1.a309bec4a2d33p+0, 0x1.b1c86e3e231d5p-55},
    {0x1.a5503b23e255dp+0, -0x1.1bbd1d3bcbb15p-54},
    {0x1.a799e1330b358p+0, 0x1.0cc319cee31d2p-54},
    {0x1.a9e6b5579fdbfp+0, 0x1.469846e735ab3p-55},
    {0x1.ac36bbfd3f37ap+0, -0x1.2dfcd978e9db4p-55},
    {0x1.ae89f995ad3adp+0, 0x1.c1a7792cb3387p-55},
    {0x1.b0e07298db666p+0, -0x1.07b8f4ad1d9fap-54},
    {0x1.b33a2b84f15fbp+0, -0x1.5c3d956dcaebap-58},
    {0x1.b59728de5593ap+0, -0x1.0a40e3da6f640p-54},
    {0x1.b7f76f2fb5e47p+0, -0x1.8d6f438ad9334p-57},
    {0x1.ba5b030a1064ap+0, -0x1.1eee26b588a35p-54},
    {0x1.bcc1e904bc1d2p+0, 0x1.4ffd70a5fddcdp-56},
    {0x1.bf2c25bd71e09p+0, -0x1.1bdfbfa9298acp-54},
    {0x1.c199bdd85529cp+0, 0x1.36eae30af0cb3p-56},
    {0x1.c40ab5fffd07ap+0, 0x1.ee3325c9ffd94p-55},
    {0x1.c67f12e57d14bp+0, 0x1.4e08fd10959acp-55},
    {0x1.c8f6d9406e7b5p+0, 0x1.3cdaf384e1a67p-57},
    {0x1.cb720dcef9069p+0, 0x1.76b2c6c921968p-57},
    {0x1.cdf0b555dc3fap+0, -0x1.08a1883ccb5d2p-55},
    {0x1.d072d4a07897cp+0, -0x1.fad5d3ffffa6fp-55},
    {0x1.d2f87080d89f2p+0, -0x1.00dae3875a949p-54},
    {0x1.d5818dcfba487p+0, 0x1.4a385a63d07a7p-56},
    {0x1.d80e316c98398p+0, -0x1.2919e2040220fp-55},
    {0x1.da9e603db3285p+0, 0x1.e5a50d5c192acp-55},
    {0x1.dd321f301b460p+0, 0x1.43a59ac016b4bp-55},
    {0x1.dfc97337b9b5fp+0, -0x1.2d52107b43e1fp-55},
    {0x1.e264614f5a129p+0, -0x1.92ab93b470dc9p-55},
    {0x1.e502ee78b3ff6p+0, 0x1.4b604603a88d3p-56},
    {0x1.e7a51fbc74c83p+0, 0x1.3c5ec519d7271p-55},
    {0x1.ea4afa2a490dap+0, -0x1.ff7128fd391f0p-55},
    {0x1.ecf482d8e67f1p+0, -0x1.dae98e223747dp-55},
    {0x1.efa1bee615a27p+0, 0x1.ec3bc41aa2008p-55},
    {0x1.f252b376bba97p+0, 0x1.42b94c3a9eb32p-55},
    {0x1.f50765b6e4540p+0, 0x1.a64a931d185eep-55},
    {0x1.f7bfdad9cbe14p+0, -0x1.e37bae43be3edp-55},
    {0x1.fa7c1819e90d8p+0, 0x1.7893b4d91cd9dp-56},
    {0x1.fd3c22b8f71f1p+0, 0x1.305c14160cc89p-58},
};

/* e^x of the clamped x (EXP_FLOOR <= x <= 0, or NaN: NaN). */
static inline double exp_clamped(double x)
{
    const double shift = 0x1.8p52;
    const double n_ln2 = 0x1.71547652b82fep0 * EXP_N; /* N / ln2 */
    const double ln2_hi = 0x1.62e42feep-1 / EXP_N;    /* fdlibm's ln2HI / N */
    const double ln2_lo = 0x1.a39ef35793c76p-33 / EXP_N;
    double kd = x * n_ln2 + shift;
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shift;
    double r = (x - kd * ln2_hi) - kd * ln2_lo;
    size_t j = ki % EXP_N;
    double t = exp_table[j].t;
    uint64_t sbits;
    memcpy(&sbits, &t, sizeof sbits);
    /* ki - j is k rounded down to a multiple of N, plus 1.5 * 2^52, whose
     * bits shift out: the exponent grows by floor(k/N) + 64. */
    sbits += (ki - j + 64 * EXP_N) << EXP_SHIFT;
    double scale;
    memcpy(&scale, &sbits, sizeof scale);
    double q = 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    double tmp = exp_table[j].tail + r + r * r * q;
    return (scale + scale * tmp) * 0x1p-64;
}

/* v[j] = e^v[j] for j < len, every v[j] <= 0 (or NaN). Two loops: a clamp
 * folded into the same loop gets its own path (jump threading) and the
 * loop then does not vectorise. Per-CPU clones (simcon/clones.h). */
SC_CLONE_BODY void exp_nonpos_body(double *v, size_t len)
{
    for (size_t j = 0; j < len; j++)
        v[j] = v[j] < EXP_FLOOR ? EXP_FLOOR : v[j];
    for (size_t j = 0; j < len; j++)
        v[j] = exp_clamped(v[j]);
}
SC_CLONED(exp_nonpos, (double *v, size_t len), (v, len))

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

/* Row i of the distances, j >= i (per-CPU clones: simcon/clones.h). */
SC_CLONE_BODY void distance_row_body(const sym_pass *p, size_t i)
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
SC_CLONED(distance_row, (const sym_pass *p, size_t i), (p, i))

/* out[j] = gamma d[j] for j < len (per-CPU clones: simcon/clones.h). */
SC_CLONE_BODY void scale_row_body(double *out, const double *d, double gamma,
                                  size_t len)
{
    for (size_t j = 0; j < len; j++)
        out[j] = gamma * d[j];
}
SC_CLONED(scale_row, (double *out, const double *d, double gamma, size_t len),
          (out, d, gamma, len))

/* Row i of the kernel, j >= i. */
static void kernel_row(const sym_pass *p, size_t i)
{
    size_t n = p->count;
    double *out = p->k + i * n;
    if (p->idx != NULL) {
        size_t a = p->idx[i];
        for (size_t j = i; j < n; j++)
            out[j] = p->gamma * upper_at(p->d2, p->ld, a, p->idx[j]);
    } else {
        const double *di = p->d2 + i * p->ld;
        scale_row(out + i, di + i, p->gamma, n - i);
    }
    exp_nonpos(out + i, n - i);
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
    /* Row by row, so that the inner loop has no branch and vectorises
     * (scale_row: out = sqrt(2) row, as before). */
    while (k < count) {
        size_t run = n - j < count - k ? n - j : count - k;
        scale_row(out + k, s->kc + i * n + j, r2, run);
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
