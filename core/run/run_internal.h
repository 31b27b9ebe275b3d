/* Internals shared by the runner's stage modules (core/run_*.c).
 *
 * Not a public interface: runner.h is. This header holds the run context
 * every stage reads and fills, the task pool (pthreads across independent
 * tasks), progress reporting and the table formatting helpers (exposed so
 * tests/unit/test_runner_tables.c can check them).
 *
 * Threading invariant: a task writes only its own result slot and draws
 * only from its own sc_rng, so results are a pure function of the inputs
 * and the spec seed whatever the thread count. OpenBLAS runs with one
 * thread during the whole run (sc_blas_set_threads(1)): parallelism comes
 * from the task pool, and one BLAS thread keeps sums in a fixed order. */
#ifndef SC_RUN_INTERNAL_H
#define SC_RUN_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "err.h"
#include "format.h"
#include "loader.h"
#include "mat.h"
#include "progress.h"
#include "runner.h"
#include "sha256.h"
#include "spec.h"
#include "stat_limits.h"
#include "stats.h"

/* Text shown in Markdown/LaTeX tables for a value that does not exist
 * (skipped test, undefined statistic). In CSV files such a value is an
 * empty field, which pandas, R's read.csv and the figure code
 * (core/report/plot_data.c) all read as missing. */
#define SC_RUN_NA "NA"

/* ## Run context */

typedef struct run_metric {
    const sc_spec_metric *sm;
    const sc_plugin *plugin;
    sc_argset args;
    char params[1024]; /* sc_argset_format: canonical "k=v,..."           */
    bool symmetric;    /* SC_METRIC_SYMMETRIC in the effective flags      */
} run_metric;

/* A model metadata attribute used by groupby, anchors or contrasts. */
typedef struct run_attr {
    const char *name; /* borrowed from the spec                          */
    size_t ncat;
    const char **cats; /* categories in first-appearance order (borrowed) */
    size_t *label;     /* m entries: category index or SC_CAT_NONE        */
} run_attr;

/* Row kinds of consistency.csv; with statistics.family: question each
 * (metric, attribute, kind) is one correction family. */
enum run_set_kind {
    RUN_SET_ALL = 0,
    RUN_SET_WITHIN = 1,
    RUN_SET_BETWEEN = 2,
    RUN_SET_ANCHOR = 3
};

/* A named set of model pairs for consistency. Sets with fewer than
 * SC_MIN_CORR_PAIRS pairs are kept (their rows say why they are NA). */
typedef struct run_set {
    char name[512];
    sc_pairs pairs;
    size_t attr; /* index into attrs, SIZE_MAX for "all"            */
    int kind;    /* enum run_set_kind                               */
    size_t side; /* distinct models on the smaller side of the set
                    (all: m; within: the category; between: the smaller
                    category; anchor: 1, the anchor)                */
} run_set;

/* One row of contrasts.csv (kept for the headline tables). */
typedef struct run_contrast_row {
    size_t k, attr, c1, c2; /* metric, attribute, categories (c1 < c2)  */
    size_t n1, n2;          /* models in each category                 */
    double mean1, mean2;    /* mean within-category consistency        */
    double m1lo, m1hi, m2lo, m2hi; /* their CIs                        */
    double effect, lo, hi, p, q;
    double null_mean; /* mean of the permutation null of the effect   */
    size_t n_perm;    /* permutations behind p (0: no p)               */
    uint32_t seed;
    char note[512]; /* why a value is NA ("" when none is)           */
} run_contrast_row;

typedef struct run_stage_time {
    const char *name;
    double seconds;
} run_stage_time;

#define SC_RUN_MAX_STAGES 8

typedef struct sc_runctx {
    const sc_spec *spec;
    sc_run_opts opts;    /* effective options (spec values filled)     */
    const char *out;     /* staging folder                             */
    size_t m, D, M;      /* models, datasets, metrics                  */
    run_metric *metrics; /* M                                          */

    /* Stage 1 outputs. */
    sc_matrix *sims;    /* M*D, index k*D+d: m x m, symmetrised       */
    double **boot_sims; /* M*D, over: stimuli only: B*m*m replicates  */
    char (*feature_sha)[SC_SHA256_HEX]; /* D*m feature files              */
    char **feature_path; /* D*m                                        */
    char (*ids_sha)[SC_SHA256_HEX]; /* D ("" when no ids)              */
    char **ids_path;          /* D, NULL when no ids                         */
    size_t *n_rows;           /* D: stimuli in the files                    */
    size_t *n_used;           /* D: after max_stimuli                       */
    uint32_t *subsample_seed; /* D: 0 when not subsampled                   */
    size_t cache_reused, cache_computed;

    /* Attributes and model sets (built once, shared by stages). */
    run_attr *attrs;
    size_t nattrs;
    run_set *sets;
    size_t nsets;

    /* Behaviour inputs. */
    char accuracy_sha[SC_SHA256_HEX];

    /* Consistency r per (metric, set, dataset pair), for tables:
     * cons_r[(k * nsets + s) * npairs + q], NaN when skipped/undefined. */
    double *cons_r;
    double *cons_lo, *cons_hi; /* same layout: the rows' CIs            */
    char (*cons_note)[512];    /* same layout: the rows' notes          */
    size_t npairs;             /* D(D-1)/2                                */

    /* Contrast rows (stage 3), in contrasts.csv order. */
    run_contrast_row *crow;
    size_t ncrow;

    run_stage_time stages[SC_RUN_MAX_STAGES];
    size_t nstages;

    /* Progress on a terminal (core/base/progress.h; off when quiet or piped).
     */
    sc_progress progress;
} sc_runctx;

/* Index of dataset pair (a, b), a < b, in the order (0,1), (0,2), ...,
 * (1,2), ... over D datasets. */
size_t sc_run_pair_index(size_t a, size_t b, size_t D);

/* ## Stages (each returns a status and fills err) */
int sc_run_similarity(sc_runctx *rc, sc_err *err);
/* One (dataset, metric) of a planned run (sc_run_similarity_task). */
int sc_run_similarity_one(sc_runctx *rc, size_t d, size_t k, bool *cached,
                          char key[SC_SHA256_HEX], sc_err *err);
/* The task records of opts.task_dir as a JSON array (run_plan.c). */
void sc_run_plan_records_json(const char *task_dir, sc_buf *b);
int sc_run_build_sets(sc_runctx *rc, sc_err *err);
int sc_run_consistency(sc_runctx *rc, sc_err *err);
int sc_run_contrasts(sc_runctx *rc, sc_err *err);
int sc_run_behaviour(sc_runctx *rc, sc_err *err);
int sc_run_tables(sc_runctx *rc, sc_err *err);
int sc_run_manifest(sc_runctx *rc, double total_seconds, sc_err *err);

/* ## Task pool */

/* Run fn(k, ud, err) for k = 0 .. n-1 on up to rc->opts.threads threads.
 * Stops handing out tasks after the first failure and returns the failure
 * of the lowest-numbered failed task. Progress is reported under label. */
typedef int (*sc_run_task_fn)(size_t k, void *ud, sc_err *err);
int sc_run_parallel(sc_runctx *rc, size_t n, sc_run_task_fn fn, void *ud,
                    const char *label, sc_err *err);

/* The caller's cancellation callback (sc_run_opts.cancel) asked to stop:
 * fills err (SC_ECANCELED) and returns it; SC_OK otherwise. */
int sc_run_canceled(const sc_runctx *rc, sc_err *err);
/* One informational line on stderr unless quiet (also when piped: notes
 * are facts about the result, such as a reused cache, not progress). */
void sc_run_note(const sc_runctx *rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "<out>/<rel>" into an sc_malloc'ed string (NULL on ENOMEM). */
char *sc_run_path(const sc_runctx *rc, const char *rel);
/* Write buf to <out>/<rel> atomically. */
int sc_run_write(const sc_runctx *rc, const char *rel, const sc_buf *buf,
                 sc_err *err);

/* Adjust the p-values of rows [0, n) in groups: rows with equal group[k]
 * are one family (q from sc_padjust on that family; NaN p stay NaN).
 * correction may be SC_SPEC_CORRECTION_NONE (q = p). */
int sc_run_adjust(const double *p, const size_t *group, size_t n,
                  int correction, double *q, sc_err *err);

/* ## Notes and permutation counts (every NA in an output has a reason) */

/* Append "; <text>" (or just <text> to an empty note) to note[cap]. */
void sc_note_add(char *note, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A CSV text field: quoted (with "" for ") when it holds , " or a newline. */
void sc_fmt_text(sc_buf *b, const char *text);
/* Permutations `run` uses for a label permutation of m models with the spec
 * asking for perms: m! when m! <= perms and m <= SC_MANTEL_EXACT_MAX (the
 * exact distribution, *exact = true), else perms. */
size_t sc_run_perm_count(size_t m, size_t perms, bool *exact);
/* The family key of a row for sc_run_adjust: metric k alone under
 * statistics.family: metric; else (k, part, kind) with part < nparts and
 * kind < nkinds. */
size_t sc_run_family(const sc_spec *spec, size_t k, size_t part, size_t nparts,
                     size_t kind, size_t nkinds);

/* ## Formatting (tested in tests/unit/test_runner_tables.c) */

/* A CSV number: "%.17g", or an empty field for NaN. */
void sc_fmt_num(sc_buf *b, double v);
/* Estimates and p-values: sc_fmt_est, sc_fmt_p (core/report/format.h). */
/* LaTeX-escape text: \ & % $ # _ { } ~ ^ become their text-mode forms. */
void sc_tex_escape(sc_buf *b, const char *text);
/* Markdown cell: '|' becomes "\|" so category pairs stay in their cell. */
void sc_md_escape(sc_buf *b, const char *text);

/* A display table: ncols header cells, nrows x ncols body cells (strings,
 * borrowed). Rendered as GitHub Markdown or a booktabs tabular; the first
 * column is left-aligned, the others right-aligned. */
typedef struct sc_table {
    size_t ncols, nrows;
    const char *const *header;
    const char *const *cells; /* row-major nrows x ncols */
    const char *caption;      /* may be NULL */
} sc_table;

void sc_table_md(sc_buf *b, const sc_table *t);
/* Cells that begin with '$' are copied verbatim (already math); a leading
 * '<' (p-values from sc_fmt_p) becomes "$<$"; everything else is escaped
 * with sc_tex_escape. */
void sc_table_tex(sc_buf *b, const sc_table *t);

#endif
