/* simcon metric plugin ABI.
 *
 * This header IS the contract between the simcon runner (the host) and a
 * metric plugin (a shared object built from one C file). It needs only the C
 * standard headers below, compiles as C99 and as C++, and a plugin includes
 * nothing else from the project but, if it wants them, the header-only
 * helpers of simcon/plugin_util.h (no ABI of their own). docs/PLUGINS.md is
 * the plugin-writing guide.
 *
 * Life of a plugin
 *   1. The host dlopen()s "<dir>/<name>.so" and looks up the one exported
 *      symbol, sc_plugin_entry, and calls it with the host function table.
 *   2. The entry returns a pointer to a static, immutable sc_metric
 *      descriptor (or NULL to refuse, after host->log'ing why).
 *   3. The host checks abi_version == SC_ABI_VERSION and host_api_min <=
 *      SC_HOST_API_REV, validates the descriptor and the parameter schema.
 *   4. Per representation X (n stimuli x d units): prepare(X) -> state. All
 *      work that depends on one representation only (centred Gram matrix,
 *      ranked RDM, neighbour lists, SVD) happens here, once.
 *   5. Per pair: compare(state_x, state_y) -> value. States are read-only
 *      here, so compare may run concurrently on any pairs.
 *   6. release(state) when the host is done with a state.
 *
 * Rules (checked in review and, where possible, by the contract tests)
 *   - A plugin computes; it never resamples, seeds, sets threads, reads or
 *     writes files, prints, exits, aborts, or touches signals or locale.
 *   - All memory through host->alloc/free; no mutable statics.
 *   - Every failure via host->fail(ctx, status, fmt, ...), whose return value
 *     the plugin returns. Never encode failure as NaN: the host rejects a
 *     non-finite value as SC_ENUMERIC anyway.
 *
 * Evolution
 *   - Appending a function to sc_host bumps SC_HOST_API_REV (additive).
 *   - Any change to sc_metric, sc_param, sc_mat, sc_args or to the meaning of
 *     a field bumps SC_ABI_VERSION; the loader requires an exact match.
 *   tests/unit/test_abi.c pins every field offset. */
#ifndef SIMCON_PLUGIN_H
#define SIMCON_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_ABI_VERSION 1  /* breaking change: bump; loader needs exact match */
#define SC_HOST_API_REV 3 /* additive change to sc_host: bump               */
/* Revision history: 1 initial table; 2 appends ssyrk; 3 appends gram and
 * gram_release (the shared Gram matrix, sc_gram below). */

/* Status codes shared with the host (same values as include/simcon/status.h,
 * repeated here so that this header stands alone). */
#ifndef SC_STATUS_ENUM_DEFINED
#define SC_STATUS_ENUM_DEFINED
enum sc_status {
    SC_OK = 0,
    SC_EINVAL = 1,
    SC_EDOM = 2,
    SC_ENOMEM = 3,
    SC_EIO = 4,
    SC_ESPEC = 5,
    SC_EABI = 6,
    SC_ENUMERIC = 7,
    SC_EBLAS = 8,
    SC_ECANCELED = 9
};
#endif

/* ## Data views */

/* Borrowed, read-only, row-major view: element (i, j) is data[i * ld + j].
 * rows = stimuli, cols = units, ld >= cols. Valid only during the call that
 * receives it; a plugin copies what it keeps into its state. */
typedef struct sc_mat {
    size_t rows;
    size_t cols;
    size_t ld;
    const double *data;
} sc_mat;

/* ## Parameter schema */

enum sc_param_type {
    SC_PARAM_INT = 1,  /* integral value stored as double, within [lo, hi]  */
    SC_PARAM_REAL = 2, /* finite double within [lo, hi]                      */
    SC_PARAM_BOOL = 3, /* 0 or 1; spelled true/false by users                */
    SC_PARAM_ENUM = 4  /* index into choices ("linear|rbf": linear = 0)      */
};

/* Parameter flags. */
/* SC_PARAM_OPTIONAL: may be left unset; def is then ignored and
 * sc_args.given[i] = 0 tells the plugin. */
#define SC_PARAM_OPTIONAL 0x1u

/* One schema entry. A metric's schema is a static array ending with an
 * entry whose name is NULL. */
typedef struct sc_param {
    const char *name;    /* [a-z][a-z0-9_]*, unique within the schema       */
    int type;            /* enum sc_param_type                              */
    uint32_t flags;      /* SC_PARAM_*                                      */
    double def;          /* default value (ENUM: index into choices)        */
    double lo, hi;       /* inclusive bounds (ENUM/BOOL: ignored)           */
    const char *choices; /* "a|b|c" for SC_PARAM_ENUM, else NULL            */
    const char *doc;     /* one line, shown by `simcon plugins`             */
} sc_param;

/* Parameter values for one metric configuration, in schema order. The host
 * has parsed, bounds-checked and default-filled them. given[i] is 1 when the
 * user set parameter i explicitly, 0 when the default (or, for an OPTIONAL
 * parameter, nothing) applies. */
typedef struct sc_args {
    size_t count;
    const double *value;
    const uint8_t *given;
} sc_args;

/* ## Shared Gram matrix (since SC_HOST_API_REV 3) */

/* Flags of host->gram. */
/* SC_GRAM_CENTRED: the Gram of the column-centred features Xc = X - 1 m^T,
 * m the column means (two-pass means in float64, as sc_pu_centre of
 * simcon/plugin_util.h computes them), instead of X X^T. */
#define SC_GRAM_CENTRED 0x1u
/* SC_GRAM_FLOAT32: summed by a float32 SYRK of the (centred, in float64)
 * features rounded to float, then widened exactly to double. About twice
 * the rate; the plugin states the accuracy it proves (cf. ssyrk). */
#define SC_GRAM_FLOAT32 0x2u

/* The Gram matrix of one representation, owned by the host. Read-only:
 * never write to g or mean. Valid until host->gram_release. */
typedef struct sc_gram {
    size_t n;           /* rows of the representation = order of g        */
    size_t d;           /* its columns                                    */
    uint32_t flags;     /* the SC_GRAM_* it was computed with             */
    const double *g;    /* n x n, row-major (ld n), both triangles        */
    const double *mean; /* CENTRED: the d column means removed; else NULL */
    double var2;        /* sum of squares of the (centred) features       */
    double scale2;      /* sum of squares of the features as given        */
} sc_gram;

/* ## Host function table */

/* Opaque per-invocation context owned by the host: carries the error record,
 * the log prefix (metric, model, dataset) and allocation accounting. */
typedef struct sc_ctx sc_ctx;

enum sc_log_level { SC_LOG_DEBUG = 0, SC_LOG_INFO = 1, SC_LOG_WARN = 2 };
enum sc_trans { SC_NOTRANS = 0, SC_TRANS = 1 };

typedef struct sc_host {
    uint32_t abi_version; /* SC_ABI_VERSION of the host                     */
    uint32_t api_rev;     /* SC_HOST_API_REV of the host                    */
    size_t size;          /* sizeof(sc_host) in the host: fields past it
                             do not exist                                   */

    /* Record why the current call failed; returns status, so a plugin
     * writes `return host->fail(ctx, SC_EDOM, "need n >= 4, got %zu", n);`.
     * The message is one line: what was expected, what was found. */
    int (*fail)(sc_ctx *ctx, int status, const char *fmt, ...);
    /* Diagnostic message; the host decides whether and where to show it. */
    void (*log)(sc_ctx *ctx, int level, const char *fmt, ...);

    /* 64-byte aligned memory, NULL on failure (the host then records
     * SC_ENOMEM in ctx; the plugin returns SC_ENOMEM). free(NULL) is a
     * no-op. Memory from alloc may be kept in a state until release. */
    void *(*alloc)(sc_ctx *ctx, size_t bytes);
    void (*free)(sc_ctx *ctx, void *p);

    /* Row-major BLAS, dimension-checked (SC_EBLAS on overflow or a bad
     * leading dimension). C = alpha * op(A) * op(B) + beta * C, where op(A)
     * is m x k and op(B) is k x n. */
    int (*gemm)(sc_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n,
                size_t k, double alpha, const double *a, size_t lda,
                const double *b, size_t ldb, double beta, double *c,
                size_t ldc);
    /* C = alpha * op(A) * op(A)^T + beta * C for n x n C, where op(A) is
     * n x k (SC_TRANS: A is k x n). Both triangles of C are written. */
    int (*syrk)(sc_ctx *ctx, int trans, size_t n, size_t k, double alpha,
                const double *a, size_t lda, double beta, double *c,
                size_t ldc);
    /* sum_i x[i] * y[i] over n contiguous elements. */
    double (*dot)(size_t n, const double *x, const double *y);

    /* Thin SVD of the rows x cols matrix A (row-major, lda >= cols), rows >=
     * cols: A = U diag(s) V^T. On return A holds U (rows x cols), s the cols
     * singular values in decreasing order and, if vt is not NULL, vt the
     * cols x cols matrix V^T (row-major, ld cols). */
    int (*svd)(sc_ctx *ctx, size_t rows, size_t cols, double *a, size_t lda,
               double *s, double *vt);
    /* Symmetric eigen-decomposition of the n x n matrix A (row-major, both
     * triangles valid): eigenvalues w in decreasing order; if vecs is not
     * NULL, vecs (n x n, row-major) holds the eigenvectors as COLUMNS in
     * the same order. A is destroyed. */
    int (*eigh)(sc_ctx *ctx, size_t n, double *a, size_t lda, double *w,
                double *vecs);

    /* ## Since SC_HOST_API_REV 2 (a plugin using these sets host_api_min
     * = 2, so it never loads into an older host). */

    /* Single-precision syrk: C = alpha * op(A) * op(A)^T + beta * C for
     * n x n float C, op(A) n x k (SC_TRANS: A is k x n), row-major, both
     * triangles written, dimension-checked like syrk. About twice the
     * rate of syrk; sums carry float rounding (~1e-7 relative per term),
     * so a plugin offers it only as an opt-in (e.g. cka precision=float32)
     * and states its measured accuracy. */
    int (*ssyrk)(sc_ctx *ctx, int trans, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, float beta, float *c, size_t ldc);

    /* ## Since SC_HOST_API_REV 3 (host_api_min = 3 to use them). */

    /* The Gram matrix of the representation x (prepare's own x: rows =
     * stimuli, the whole matrix) with the given SC_GRAM_* flags, into *out.
     * Within one run of the all-pairs engine the host computes it once per
     * (representation, flags) and hands the same matrix to every metric
     * that asks (e.g. linear CKA, RBF CKA and RSA with correlation RDMs all
     * derive from the centred Gram), so a plugin that derives its state
     * from a Gram should get it here instead of forming its own. Elsewhere
     * (or with SIMCON_GRAM_CACHE=off) it is computed for this call. Either
     * way the bits are the same: one routine computes it. Call only from
     * prepare, pass x unchanged, and gram_release it before prepare
     * returns (the host reports a Gram kept past prepare as a plugin bug);
     * copy what the state keeps. 8 n^2 bytes, counted by the host. */
    int (*gram)(sc_ctx *ctx, const sc_mat *x, uint32_t flags,
                const sc_gram **out);
    /* Hand back a Gram from host->gram. NULL is a no-op. */
    void (*gram_release)(sc_ctx *ctx, const sc_gram *g);
} sc_host;

/* ## Metric descriptor */

/* Metric flags (what the contract test checks):
 *   SYMMETRIC        compare(x, y) == compare(y, x)
 *   SELF_ONE         compare(x, x) == 1
 *   RANGE_01         value in [0, 1]
 *   RANGE_PM1        value in [-1, 1]
 *   ORTHO_INVARIANT  f(X Q, Y) = f(X, Y) for orthogonal Q
 *   SCALE_INVARIANT  f(a X, Y) = f(X, Y) for a > 0
 *   SHIFT_INVARIANT  f(X + 1 c^T, Y) = f(X, Y) */
#define SC_METRIC_SYMMETRIC 0x01u
#define SC_METRIC_SELF_ONE 0x02u
#define SC_METRIC_RANGE_01 0x04u
#define SC_METRIC_RANGE_PM1 0x08u
#define SC_METRIC_ORTHO_INVARIANT 0x10u
#define SC_METRIC_SCALE_INVARIANT 0x20u
#define SC_METRIC_SHIFT_INVARIANT 0x40u

typedef struct sc_metric {
    uint32_t abi_version;   /* SC_ABI_VERSION the plugin was built with     */
    uint32_t host_api_min;  /* lowest SC_HOST_API_REV it relies on          */
    const char *name;       /* unique, [a-z][a-z0-9_]*, equals the file stem */
    const char *version;    /* plugin semver, copied into result manifests   */
    const char *reference;  /* citation / DOI of the definition              */
    const char *summary;    /* one line: what it measures                    */
    uint32_t flags;         /* SC_METRIC_*; flags may depend on parameters:
                               see flags_for                                 */
    size_t min_rows;        /* fewest stimuli the metric accepts (host checks
                               before prepare, with a message)               */
    const sc_param *params; /* schema, terminated by {NULL, ...}            */

    /* Optional: reject parameter combinations the schema cannot express
     * (e.g. "set sigma or sigma_rel, not both"). NULL = all valid. */
    int (*check_args)(const sc_host *host, sc_ctx *ctx, const sc_args *args);
    /* Optional: flags for a given configuration (e.g. a kernel choice that
     * loses an invariance). NULL = `flags` for every configuration. */
    uint32_t (*flags_for)(const sc_args *args);

    /* Required. Build the state of one representation. x->rows >= min_rows.
     * The state is the plugin's (allocated with host->alloc) until release.
     * On failure *state is left NULL and nothing is leaked. */
    int (*prepare)(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                   const sc_mat *x, void **state);
    /* Required. Similarity of two prepared states of the same stimuli
     * (same row count, guaranteed by the host). Writes a finite *value.
     * Scratch memory through host->alloc/free, freed before returning. */
    int (*compare)(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                   const void *sx, const void *sy, double *value);
    /* Required. Free a state from prepare. NULL is a no-op. */
    void (*release)(const sc_host *host, sc_ctx *ctx, void *state);

    /* Optional: the value on the stimulus subset idx[0..count-1] (indices
     * into the prepared rows; repeats allowed, as in a bootstrap resample),
     * computed from the prepared states without the features. Must equal
     * what prepare+compare give on the rows X[idx]. NULL = not offered: the
     * host then re-prepares from the subset rows. */
    int (*compare_subset)(const sc_host *host, sc_ctx *ctx, const sc_args *args,
                          const void *sx, const void *sy, const size_t *idx,
                          size_t count, double *value);

    /* Optional batched all-pairs path. Offered when compare(x, y) equals
     * the cosine <e_x, e_y> / (|e_x| |e_y|) of one fixed-length vector per
     * state (CKA: the centred Gram matrix; RSA/Pearson or Spearman: the
     * centred (ranked) RDM triangle). The host then obtains all pairs from
     * one blocked SYRK over the stacked vectors. embed_len gives the length
     * of e for a state; embed writes e[offset .. offset+count-1] into out,
     * so the host can stream long vectors in blocks. Both NULL = not
     * offered. compare remains the definition; the host may check that the
     * two paths agree. */
    size_t (*embed_len)(const void *state);
    int (*embed)(const sc_host *host, sc_ctx *ctx, const void *state,
                 size_t offset, size_t count, double *out);
} sc_metric;

/* ## The entry point */

#if defined(_WIN32)
#define SC_EXPORT __declspec(dllexport)
#else
#define SC_EXPORT __attribute__((visibility("default")))
#endif

#define SC_PLUGIN_ENTRY_SYMBOL "sc_plugin_entry"

typedef const sc_metric *(*sc_plugin_entry_fn)(const sc_host *host);

/* A plugin ends with SC_PLUGIN_DEFINE(desc); where desc is its static const
 * sc_metric. The entry refuses (returns NULL) a host older than the plugin
 * needs, after saying so. */
#ifdef __cplusplus
#define SC_PLUGIN_EXTERN_C extern "C"
#else
#define SC_PLUGIN_EXTERN_C
#endif
#define SC_PLUGIN_DEFINE(desc)                                                 \
    SC_PLUGIN_EXTERN_C SC_EXPORT const sc_metric *sc_plugin_entry(             \
        const sc_host *host);                                                  \
    SC_PLUGIN_EXTERN_C SC_EXPORT const sc_metric *sc_plugin_entry(             \
        const sc_host *host)                                                   \
    {                                                                          \
        if (host == NULL || host->api_rev < (desc).host_api_min)               \
            return NULL;                                                       \
        return &(desc);                                                        \
    }

#ifdef __cplusplus
}
#endif
#endif
