/* simcon library API: representational similarity from C (and, through
 * ctypes, from Python: python/simcon).
 *
 * Link: `cc $(pkg-config --cflags simcon) app.c $(pkg-config --libs simcon)`
 * against libsimcon.so (soname libsimcon.so.SC_API_VERSION), or the static
 * libsimcon.a (then also `pkg-config --libs --static simcon`).
 *
 * Conventions.
 *  - Every fallible function returns an enum sc_status (simcon/status.h):
 *    SC_OK (0) or an error code. On failure, if errmsg is not NULL, *errmsg
 *    receives ONE line (what failed, where, what to do) allocated with
 *    malloc; the caller frees it with simcon_free(). On success *errmsg is
 *    set to NULL. Nothing is printed.
 *  - Handles are opaque and owned by the caller (close/free functions
 *    below). The API keeps no global state of its own: everything lives in
 *    the handles and the arguments. Two things are process-wide by nature
 *    and documented as such: a plugin shared object is dlopen()ed once per
 *    process and stays loaded (opening metrics is serialised internally,
 *    so handles may be used from several threads), and OpenBLAS's thread
 *    count (simcon_matrix and simcon_run set it to 1 while they run, which
 *    keeps results independent of the thread count).
 *  - Calls on DIFFERENT handles may run concurrently; one metric handle may
 *    be used by several threads at once (it is read-only after open).
 *
 * Versioning: SC_API_VERSION changes on every incompatible change of this
 * header; it is also the soname's number. simcon_api_version() returns the
 * library's value, so a program can refuse a library built from another
 * header at run time. */
#ifndef SIMCON_SIMCON_H
#define SIMCON_SIMCON_H

#include <stddef.h>
#include <stdint.h>

#include "simcon/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_API_VERSION 1

#if defined(__GNUC__)
#define SIMCON_API __attribute__((visibility("default")))
#else
#define SIMCON_API
#endif

/* Status returned when a cancellation callback asked to stop. */
#define SIMCON_CANCELED SC_ECANCELED

/* ## Version and memory */

/* SC_API_VERSION of the library actually loaded. */
SIMCON_API int simcon_api_version(void);
/* The simcon release, e.g. "0.1.0"; static storage. */
SIMCON_API const char *simcon_version(void);
/* Free anything simcon returned (error messages, strings). NULL is fine. */
SIMCON_API void simcon_free(void *p);
/* Name of a status code, e.g. "SC_EIO (input/output)"; static storage. */
SIMCON_API const char *simcon_strerror(int status);

/* ## Callbacks (progress and cancellation)
 *
 * progress(user, stage, done, total): called after each unit of work of a
 * stage ("similarity emoji/cka_linear", "consistency", "matrix prepare",
 * ...); done runs from 1 to total within one stage. Calls are serialised
 * (never two at once) but may come from a worker thread.
 * cancel(user): polled between units of work; return non-zero to stop.
 * The call then returns SIMCON_CANCELED as soon as the running units end,
 * with nothing written (simcon_run leaves no result folder) and the output
 * buffer of simcon_matrix unspecified. Either pointer may be NULL. */
typedef void (*simcon_progress_fn)(void *user, const char *stage, size_t done,
                                   size_t total);
typedef int (*simcon_cancel_fn)(void *user);
typedef struct simcon_callbacks {
    simcon_progress_fn progress;
    simcon_cancel_fn cancel;
    void *user;
} simcon_callbacks;

/* ## Plugin registry and metrics */

typedef struct simcon_registry simcon_registry;
typedef struct simcon_metric simcon_metric;

/* Open a registry: where metrics are looked up. Search order for a metric
 * name: plugin_dir (if not NULL), $SIMCON_PLUGIN_PATH (colon-separated),
 * the plugin folder next to this library (<libdir>/simcon/plugins, so an
 * installed tree can be moved), the build tree, the configured install
 * folder. Statuses: SC_ENOMEM. */
SIMCON_API int simcon_registry_open(const char *plugin_dir,
                                    simcon_registry **out, char **errmsg);
SIMCON_API void simcon_registry_close(simcon_registry *reg);
/* Every metric found, one name per line ("cka\nknn\n..."), malloc'ed. */
SIMCON_API int simcon_registry_list(const simcon_registry *reg, char **names,
                                    char **errmsg);

/* A configured metric: plugin NAME (or a path to a .so) and its parameters
 * as "key=value" texts, checked against the plugin's schema exactly as
 * `simcon compare -p key=value` does (unknown keys, bad values and
 * cross-parameter problems are SC_EINVAL). params may be NULL when
 * nparams is 0. The registry may be closed after this call. */
SIMCON_API int simcon_metric_open(const simcon_registry *reg, const char *name,
                                  const char *const *params, size_t nparams,
                                  simcon_metric **out, char **errmsg);
SIMCON_API void simcon_metric_close(simcon_metric *metric);
/* Canonical "k=v,k=v" of every parameter (defaults included), and the
 * plugin file it came from: both malloc'ed. */
SIMCON_API int simcon_metric_describe(const simcon_metric *metric,
                                      char **params, char **path,
                                      char **errmsg);
/* 1 if compare(X, Y) == compare(Y, X) for this configuration. */
SIMCON_API int simcon_metric_symmetric(const simcon_metric *metric);

/* ## In-memory representations
 *
 * An n x d matrix of float32 or float64: rows are stimuli, columns are
 * units. Element (i, j) is at (char *)data + i * row_stride + j *
 * col_stride. Strides are in BYTES and may be any multiple of the element
 * size, including negative; 0 for both means C-contiguous (row_stride =
 * cols * size, col_stride = size). Values must be finite.
 *
 * Zero copy: a float64 matrix with col_stride == 8, row_stride >= cols * 8
 * a multiple of 8, and an 8-byte aligned data pointer is read in place
 * (NumPy's C-ordered float64 arrays and their row slices) unless
 * normalisation is asked for; anything else (float32, Fortran order,
 * column slices, transposes) is copied once into a float64 row-major
 * buffer. Either way the numbers are identical to the command line's for
 * the same values, bit for bit: the metrics compute in double precision
 * from the same doubles. */
enum simcon_dtype { SIMCON_FLOAT32 = 1, SIMCON_FLOAT64 = 2 };
typedef struct simcon_array {
    const void *data;
    int dtype; /* enum simcon_dtype */
    size_t rows, cols;
    ptrdiff_t row_stride, col_stride; /* bytes; both 0: C-contiguous */
} simcon_array;

/* Row normalisation applied before the metric (the spec's data.normalize):
 * none, center (subtract column means) or l2 (each row to unit norm). */
enum simcon_norm {
    SIMCON_NORM_NONE = 0,
    SIMCON_NORM_CENTER = 1,
    SIMCON_NORM_L2 = 2
};

/* Similarity of X and Y (same stimuli in the same rows), as `simcon compare
 * -m METRIC -p ... --normalize NORM X.npy Y.npy` prints it. Statuses:
 * SC_EINVAL (bad array description, different row counts), SC_EDOM (e.g.
 * zero variance, too few rows for the metric), SC_ENUMERIC (NaN/Inf in
 * the data), SC_ENOMEM. */
SIMCON_API int simcon_compare(const simcon_metric *metric, int normalize,
                              const simcon_array *x, const simcon_array *y,
                              double *value, char **errmsg);

/* All pairs: out[i * m + j] = compare(reps[i], reps[j]), m x m row-major,
 * computed like `simcon matrix` (each representation prepared once; an
 * embedding metric such as CKA or RSA gets all pairs from one blocked
 * SYRK). memory_budget bounds simcon's own buffers (0: half the RAM);
 * beyond it the stacked states spill to a memory-mapped file in
 * spill_dir (NULL: $TMPDIR or /tmp). float32 stores the stacked states in
 * float32 (half the memory; within 1e-6 relative). threads: worker
 * threads (0 = 1). Progress stage names: "matrix". Every array must have
 * the same row count. */
typedef struct simcon_matrix_opts {
    unsigned threads;
    size_t memory_budget;
    const char *spill_dir;
    int float32;
} simcon_matrix_opts;
SIMCON_API int simcon_matrix(const simcon_metric *metric, int normalize,
                             const simcon_array *reps, size_t m,
                             const simcon_matrix_opts *opts,
                             const simcon_callbacks *cb, double *out,
                             char **errmsg);

/* ## Mantel test
 *
 * Association of two m x m similarity matrices (row-major, same model
 * order, m >= 3; an asymmetric one is used as (S + S^T) / 2, as the
 * command does) over all model pairs i < j, with a permutation p-value
 * (model labels permuted jointly in rows and columns of B), as `simcon
 * mantel` computes it. simcon_mantel_defaults fills the command's
 * defaults: 9999 permutations, its seed, pearson, greater, not exact.
 * method: "pearson" or "spearman"; alternative: "greater", "less" or
 * "two-sided"; exact enumerates all m! permutations (m <= 8). */
typedef struct simcon_mantel_opts {
    size_t perms;
    uint64_t seed;
    const char *method;
    const char *alternative;
    int exact;
} simcon_mantel_opts;
SIMCON_API void simcon_mantel_defaults(simcon_mantel_opts *opts);
SIMCON_API int simcon_mantel(const double *a, const double *b, size_t m,
                             const simcon_mantel_opts *opts, double *r,
                             double *p, char **errmsg);

/* ## Experiment specs
 *
 * Both take the registry that finds the spec's metric plugins (NULL: the
 * command line's search path). A registry opened with a plugin_dir
 * overrides the spec's runtime.plugin_dir, like --plugin-dir does; one
 * opened with NULL uses the spec's folder if it names one.
 *
 * simcon_check validates a spec and every input it names, as `simcon check`
 * does. flags: SIMCON_CHECK_QUICK reads .npy headers only (no NaN/Inf
 * scan, `--quick`); SIMCON_CHECK_FLATTEN as data.flatten: true
 * (`--flatten`). On success *summary (if not NULL) receives what `simcon
 * check` prints, one line each: its warnings ("simcon check: warning:
 * ..."), the forecast of the run's statistics ("stats: ...") and last the
 * ok line ("ok: 20 models x 4 datasets x 3 metrics, n = 300 stimuli").
 * A metric whose data constraints the inputs break (too few stimuli, k
 * not below n) is SC_ESPEC. On failure *errmsg holds every problem found,
 * one per line. Statuses: SC_ESPEC (the spec, an unknown
 * plugin or parameter), SC_EIO (inputs), SC_EABI, SC_ENOMEM. */
#define SIMCON_CHECK_QUICK 1u
#define SIMCON_CHECK_FLATTEN 2u
SIMCON_API int simcon_check(const simcon_registry *reg, const char *spec_path,
                            unsigned flags, char **summary, char **errmsg);

/* simcon_run: the whole analysis into out_dir, as `simcon run SPEC -o
 * OUT_DIR` (inputs checked first; staged, and moved into place only when
 * everything succeeded). Fields left 0/NULL take the spec's values
 * (out_dir: results/<spec name>). quiet: print nothing on stderr (use the
 * progress callback instead). flatten: as data.flatten: true (N-D
 * features flattened per stimulus, row-major). */
typedef struct simcon_run_opts {
    const char *out_dir;
    unsigned threads;
    size_t memory_budget;
    int resume;
    int quiet;
    int flatten;
} simcon_run_opts;
SIMCON_API int simcon_run(const simcon_registry *reg, const char *spec_path,
                          const simcon_run_opts *opts,
                          const simcon_callbacks *cb, char **errmsg);

#ifdef __cplusplus
}
#endif
#endif
