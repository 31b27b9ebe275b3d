/* Internals of `simcon run` shared by the orchestrator (runner.c) and its
 * stages (run_simmat.c, run_sets.c, run_consistency.c, run_contrasts.c,
 * run_behaviour.c, run_tables.c, run_manifest.c).
 *
 * Not a public interface: runner.h is. Dependencies run one way: runner.c
 * calls the stages; a stage calls run_services.c and the layers below,
 * never runner.c or another stage. A stage takes what it needs as
 * arguments (the run context below and earlier stages' result structs)
 * and returns its own result struct; the orchestrator owns every result
 * and passes it on.
 *
 * Threading invariant: a task writes only its own result slot and draws
 * only from its own sc_rng, so results are a pure function of the inputs
 * and the spec seed whatever the thread count. OpenBLAS runs with one
 * thread during the whole run (sc_blas_set_threads(1)): parallelism comes
 * from the task pool, and one BLAS thread keeps sums in a fixed order. */
#ifndef SC_RUN_INTERNAL_H
#define SC_RUN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "atomic.h"
#include "boot_ci.h"
#include "err.h"
#include "format.h"
#include "loader.h"
#include "mat.h"
#include "progress.h"
#include "runner.h"
#include "sha256.h"
#include "simcsv.h"
#include "spec.h"
#include "stat_limits.h"
#include "stats.h"

/* Text shown in Markdown/LaTeX tables for a value that does not exist
 * (skipped test, undefined statistic). In CSV files such a value is an
 * empty field, which pandas, R's read.csv and the figure code
 * (core/report/plot_data.c) all read as missing. */
#define SC_RUN_NA "NA"

/* ## Run context: what the run is (read by every stage) */

typedef struct run_metric {
    const sc_spec_metric *sm;
    const sc_plugin *plugin;
    sc_argset args;
    char params[1024]; /* sc_argset_format: canonical "k=v,..."           */
    bool symmetric;    /* SC_METRIC_SYMMETRIC in the effective flags      */
    bool f32;          /* params select precision=float32: E in float32   */
} run_metric;

/* What the similarity engine did for one (dataset, metric) this process
 * computed (core/host/simmat.h, sc_simmat_job.info), for manifest.json. */
typedef struct run_embed {
    bool computed; /* this process computed the matrix           */
    bool embed;    /* embed path (else pairwise: no E)            */
    bool float32;  /* E held 4-byte entries                       */
    bool spilled;  /* E went to a spill file                      */
    size_t bytes;  /* E's bytes: m x embed length x entry size    */
} run_embed;

typedef struct sc_runctx {
    const sc_spec *spec;
    sc_run_opts opts;    /* effective options (spec values filled)     */
    const char *out;     /* staging folder (NULL for a planned task)   */
    size_t m, D, M;      /* models, datasets, metrics                  */
    size_t npairs;       /* dataset pairs, D(D-1)/2                     */
    run_metric *metrics; /* M                                          */

    /* Stage 1 results, filled by run_simmat.c alone and only read after
     * it: the matrices and what manifest.json says about the inputs. */
    sc_matrix *sims;    /* M*D, index k*D+d: m x m, symmetrised       */
    double **boot_sims; /* M*D, over: stimuli only: B*m*m replicates  */
    char (*feature_sha)[SC_SHA256_HEX]; /* D*m feature files              */
    char **feature_path; /* D*m                                        */
    char (*ids_sha)[SC_SHA256_HEX]; /* D ("" when no ids)              */
    char **ids_path;    /* D, NULL when no ids                         */
    size_t *n_rows;     /* D: stimuli in the files                    */
    size_t *n_used;     /* D: after max_stimuli                       */
    size_t *sim_passes; /* D: engine passes of the similarity stage   */
    /* D: when (seconds since the similarity stage began) the dataset's
     * prepares ended (the next dataset starts then; its products may go on
     * behind it) and its matrices were stored; 0 when not computed. */
    double *sim_prepared_s, *sim_done_s;
    struct timespec sim_t0; /* start of the similarity stage              */
    /* Feature checksums at load (run_simmat.c, "Checksums"): the
     * similarity stage of a run without --resume hashes each feature file
     * right after loading it, not in a pass of its own. */
    bool sha_at_load;
    run_embed *sim_embed;     /* M*D, index k*D+d: the engine's report      */
    uint32_t *subsample_seed; /* D: 0 when not subsampled                   */
    size_t cache_reused, cache_computed;
    /* Stimulus bootstrap (over: stimuli) within runtime.memory: states
     * prepared, passes over the models (1 when every state fitted), the
     * largest state (bytes, with kept features) and the budget used. */
    size_t boot_prepares, boot_passes, boot_state_max, boot_budget;
    /* M*D, index k*D+d: the cache key of each matrix ("" until known); the
     * planned statistics tasks key their results by them (run_plan.h). */
    char (*sim_key)[SC_SHA256_HEX];
    /* Units of each statistics stage (consistency, contrasts, behaviour:
     * run_plan.h) read from a plan's tasks and computed by this process. */
    size_t units_reused[3], units_computed[3];

    /* Progress on a terminal (core/base/progress.h; off when quiet or piped).
     */
    sc_progress progress;
} sc_runctx;

/* ## Results that stages hand on (owned by the orchestrator) */

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

/* The attributes and model sets of the spec (run_sets.c). */
typedef struct run_sets {
    run_attr *attrs;
    size_t nattrs;
    run_set *sets;
    size_t nsets;
} run_sets;

/* Consistency r per (metric, set, dataset pair) and its CI (stage 2):
 * r[(k * nsets + s) * npairs + q], NaN when skipped or undefined. */
typedef struct run_cons {
    double *r, *lo, *hi;
} run_cons;

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

/* The rows of contrasts.csv, in file order (stage 3). */
typedef struct run_contrasts {
    run_contrast_row *rows;
    size_t n;
} run_contrasts;

/* One row of consistency.csv (metric k, datasets a < b, set s). */
typedef struct run_cons_row {
    size_t k, a, b, s;
    double r, lo, hi, p, q;
    size_t n_perm; /* permutations behind p (0: no p) */
    uint32_t seed; /* the stream of (metric, set), shared by its rows */
    const char *ci_method;
    char note[512]; /* why a value is NA */
} run_cons_row;

/* One row of tables/consistency_by_<attribute>.csv: the distribution of a
 * set's consistency over the dataset pairs (run_consistency.c). */
typedef struct run_median {
    size_t k, s;
    size_t n; /* dataset pairs with a defined r */
    double med, lo, hi, q1, q3;
    uint32_t seed;
    char note[512]; /* why a value is NA */
} run_median;

typedef struct run_medians {
    run_median *rows;
    size_t n;
} run_medians;

/* What manifest.json records besides the context (stage 4 and timings). */
typedef struct run_stage_time {
    const char *name;
    double seconds;
} run_stage_time;

#define SC_RUN_MAX_STAGES 8

typedef struct run_manifest_in {
    char accuracy_sha[SC_SHA256_HEX]; /* behaviour.accuracy, "" if none */
    run_stage_time stages[SC_RUN_MAX_STAGES];
    size_t nstages;
    double total_seconds;
} run_manifest_in;

/* ## Stages (each returns a status and fills err; on failure its result
 * may be partly filled and is freed by its free function all the same) */

int sc_run_similarity(sc_runctx *rc, sc_err *err);
/* One (dataset, metric) of a planned run (sc_run_similarity_task): found
 * in a cache, else computed by compute (NULL: the engine; the task runner
 * passes the assembly of a blocked metric's pairs, run_task.c) and
 * written to the task cache. */
typedef int (*sc_run_matrix_fn)(sc_runctx *rc, size_t d, size_t k, size_t *rows,
                                sc_simmat *sm, sc_err *err);
int sc_run_similarity_one(sc_runctx *rc, size_t d, size_t k,
                          sc_run_matrix_fn compute, bool *cached,
                          char key[SC_SHA256_HEX], sc_err *err);
/* ## Blocks of model pairs (runtime.model_blocks > 1; run_task.c) */

/* Does metric k of a spec with K > 1 model blocks compute its matrices in
 * blocks (its plugin offers an embedding, and its E is float64)? Its cache
 * key then names K. */
bool sc_run_blocked(const sc_runctx *rc, size_t k);
/* Pieces of run_simmat.c that the block tasks share: hash and check dataset
 * d's files (paths resolved first), the cache key of (d, k), the seeded
 * subsample (NULL: all rows), and the whole matrix through the engine
 * (the pairwise fallback of a blocked metric). */
int sc_run_sim_dataset(sc_runctx *rc, size_t d, sc_err *err);
void sc_run_sim_key(const sc_runctx *rc, size_t d, size_t k,
                    char key[SC_SHA256_HEX]);
int sc_run_sim_rows(sc_runctx *rc, size_t d, size_t **rows, sc_err *err);
int sc_run_sim_matrix(sc_runctx *rc, size_t d, size_t k, size_t *rows,
                      sc_simmat *sm, sc_err *err);
/* sm: the spec's model names and an m x m matrix to fill. */
int sc_run_sim_names(const sc_runctx *rc, sc_simmat *sm, sc_err *err);
/* Model i of dataset d for the engine (ud: a run_lazy). */
typedef struct run_lazy {
    sc_runctx *rc;
    size_t d;
    const size_t *rows;
} run_lazy;
int sc_run_load_lazy(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                     sc_err *err);

/* For a planned statistics task: the matrices (metric k, dataset d) with
 * need[k * D + d] from the task cache (opts.task_dir; hashing the feature
 * files of those datasets for the keys), into sims and sim_key; the others
 * stay empty. A matrix that is not there is SC_EIO naming the similarity
 * task to run first. Computes nothing. */
int sc_run_similarity_cached(sc_runctx *rc, const bool *need, sc_err *err);
int sc_run_build_sets(const sc_runctx *rc, run_sets *out, sc_err *err);
void sc_run_sets_free(run_sets *s);
int sc_run_consistency(sc_runctx *rc, const run_sets *sets, run_cons *out,
                       sc_err *err);
/* Task consistency/<c> of a plan: the rows of units [u0, u1) (unit u =
 * metric u / npairs, dataset pair u % npairs) into the task cache, one
 * file per unit (run_consistency.c); units already there are not redone.
 * *computed and *cached count the units. */
int sc_run_consistency_units(sc_runctx *rc, const run_sets *sets, size_t u0,
                             size_t u1, size_t *computed, size_t *cached,
                             sc_err *err);
void sc_run_cons_free(run_cons *c);
/* The rows of metric k and set s for the dataset pairs q[0..nq)
 * (sc_run_pair_index numbering) into rows[0..nq): r, p, CI, notes and seed;
 * q is left empty (the correction needs the whole family). One random
 * stream per (metric, set), seeded from the spec alone, serves every
 * dataset pair: its permutations first, then its bootstrap draws
 * (stats_many.h), so a row's values do not depend on which other pairs
 * are computed with it, on threads, or on the order of calls. */
int sc_run_cons_rows(sc_runctx *rc, const run_sets *sets, size_t k, size_t s,
                     const size_t *q, size_t nq, run_cons_row *rows,
                     sc_err *err);

/* Median, quartiles and median CI of every within/between set's
 * consistency over the dataset pairs. */
int sc_run_medians(sc_runctx *rc, const run_sets *sets, const run_cons *cons,
                   run_medians *out, sc_err *err);
int sc_run_contrasts(sc_runctx *rc, const run_sets *sets, run_contrasts *out,
                     sc_err *err);
/* Task contrasts/<c> of a plan: the rows of units [u0, u1) (unit u =
 * metric u / ncontrasts, contrast u % ncontrasts: every category pair of
 * its attribute) into the task cache, one file per unit; units already
 * there are not redone. *computed and *cached count the units. */
int sc_run_contrasts_units(sc_runctx *rc, const run_sets *sets, size_t u0,
                           size_t u1, size_t *computed, size_t *cached,
                           sc_err *err);
/* Writes behaviour.csv and the gap matrices; accuracy_sha receives the
 * SHA-256 of the accuracy table. */
int sc_run_behaviour(sc_runctx *rc, char accuracy_sha[SC_SHA256_HEX],
                     sc_err *err);
/* Task behaviour/<c> of a plan: rows [u0, u1) of the table (unit u = metric
 * u / per, row u % per with per = D + domains + 1: the datasets, then a
 * mean per domain, then mean:all) into the task cache, one file per row;
 * rows already there are not redone. */
int sc_run_behaviour_units(sc_runctx *rc, size_t u0, size_t u1,
                           size_t *computed, size_t *cached, sc_err *err);
/* cons and med are NULL when consistency was not computed. */
int sc_run_tables(const sc_runctx *rc, const run_sets *sets,
                  const run_cons *cons, const run_medians *med,
                  const run_contrasts *con, sc_err *err);
/* The task records of opts.task_dir as a JSON array (run_plan.c), the
 * assemble step's own last, with the units of each statistics stage it
 * reused and computed. */
void sc_run_plan_records_json(const sc_runctx *rc, sc_buf *b);
int sc_run_manifest(const sc_runctx *rc, const run_manifest_in *in,
                    sc_err *err);

/* ## Services for every stage (run_services.c; calls no stage) */

/* The context of spec run with opts (NULL fields: the spec's values), and
 * every metric's plugin loaded with its parameters (errors point at the
 * spec entry). sc_run_ctx_free releases both and stage 1's results. */
void sc_run_ctx_init(sc_runctx *rc, const sc_spec *spec,
                     const sc_run_opts *opts);
int sc_run_ctx_load_metrics(sc_runctx *rc, sc_err *err);
void sc_run_ctx_free(sc_runctx *rc);

/* Seconds on the monotonic clock (wall times for the manifest and task
 * records). */
double sc_run_now(void);

/* Index of dataset pair (a, b), a < b, in the order (0,1), (0,2), ...,
 * (1,2), ... over D datasets. */
size_t sc_run_pair_index(size_t a, size_t b, size_t D);

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

/* sc_run_adjust over the rows of a table (n elements of stride bytes at
 * rows): row k's p is the double at byte offset p_off, its family key
 * family(k, ud), and its q is stored at q_off. */
typedef size_t (*sc_run_family_fn)(size_t k, const void *ud);
int sc_run_adjust_rows(void *rows, size_t n, size_t stride, size_t p_off,
                       size_t q_off, sc_run_family_fn family, const void *ud,
                       int correction, sc_err *err);

/* ## Units of a planned statistics stage in the task cache (run_plan.h)
 *
 * A unit file is a header line, then one line per row: numbers as "%a"
 * (every double round-trips exactly), counts, and the note with \\, \n
 * and \t escaped, tab-separated. */

/* "<opts.task_dir>/.cache/<stage>-<SHA-256 of key>.tsv" into buf. */
int sc_run_unit_path(const sc_runctx *rc, const char *stage, const sc_buf *key,
                     char *buf, size_t cap, sc_err *err);
/* Append one row of nv numbers, nz counts and a note. */
void sc_run_unit_row(sc_buf *b, const double *v, size_t nv, const size_t *z,
                     size_t nz, const char *note);
/* Read one row written by sc_run_unit_row at *p (advanced past it); false
 * when the text is not exactly such a row (note: cap bytes). */
bool sc_run_unit_parse(char **p, double *v, size_t nv, size_t *z, size_t nz,
                       char *note, size_t cap);
/* The text of the unit file at path when it is readable, holds no NUL and
 * begins with head; else NULL. sc_free it. */
char *sc_run_unit_read(const char *path, const char *head);

/* Which units of a statistics stage this process computes, shared by
 * the consistency, contrasts and behaviour stages. The caller fills n
 * (units of the stage), [u0, u1) (the units to do: a chunk task's range,
 * or [0, n) for a whole stage), load (unit u from the task cache into the
 * job's rows, false when absent: always false without a plan), store
 * (write unit u atomically) and job. */
typedef struct sc_run_units {
    size_t n, u0, u1;
    bool (*load)(void *job, size_t u);
    int (*store)(const void *job, size_t u, sc_err *err);
    void *job;
    bool *sel;               /* n + 1 flags: compute unit u (sc_free) */
    size_t computed, cached; /* of [u0, u1)                           */
} sc_run_units;
/* Select the units of [u0, u1) that load does not find. With what != NULL
 * (a whole stage of a run or of the assemble task; what names the units
 * in the note, e.g. "behaviour row(s)"): also record the counts in
 * rc->units_computed/units_reused[stage] and note "reused K of n <what>
 * of the plan's tasks" when K > 0. */
int sc_run_units_select(sc_runctx *rc, sc_run_units *us, int stage,
                        const char *what, sc_err *err);
/* Store every selected unit of [u0, u1) (a chunk task's results). */
int sc_run_units_store(const sc_run_units *us, sc_err *err);

/* ## Notes, permutation counts, CIs (every NA in an output has a reason) */

/* Append "; <text>" (or just <text> to an empty note) to note[cap]. */
void sc_note_add(char *note, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Permutations `run` uses for a label permutation of m models with the spec
 * asking for perms: m! when m! <= perms and m <= SC_MANTEL_EXACT_MAX (the
 * exact distribution, *exact = true), else perms. */
size_t sc_run_perm_count(size_t m, size_t perms, bool *exact);
/* Before a row's permutation test over m models: false, noting "no p:
 * statistics.permutations is 0", when the spec asks for none; else true,
 * and *exact tells whether all m! permutations replace the random ones. */
bool sc_run_p_wanted(const sc_spec *spec, size_t m, bool *exact, char *note,
                     size_t cap);
/* After it, with st the test's status and n_perm its permutations: notes an
 * exact test; SC_EDOM (the statistic undefined under every permutation)
 * leaves p missing and notes "no p: <why>". Returns the status to go on
 * with. */
int sc_run_p_done(int st, bool exact, size_t n_perm, const char *why,
                  char *note, size_t cap);
/* p of a row by the Mantel test of a against b (m x m) over pairs, with
 * the spec's permutations and the notes of sc_run_p_wanted and
 * sc_run_p_done (why: the text for an undefined statistic). */
int sc_run_mantel_p(const sc_spec *spec, const sc_matrix *a, const sc_matrix *b,
                    const sc_pairs *pairs, sc_corr_method method,
                    sc_alternative alt, sc_rng *rng, const char *why, double *p,
                    size_t *n_perm, char *note, size_t cap, sc_err *err);
/* The spec's bootstrap: statistics.bootstrap replicates, ci, interval. */
sc_ci_opts sc_run_ci_opts(const sc_spec *spec);
/* A CI that came out NaN although one was computed: say why. */
void sc_run_ci_note(double lo, char *note, size_t cap);
/* CI of corr(a, b) over pairs (m x m) for a row: over models the
 * jackknife-z interval (sc_jackknife_z_ci, boot_ci.h; rng unused); with
 * statistics.over: stimuli the percentile interval over stage 1's replicates
 * a_reps against b_reps (NULL: b in every replicate). An interval that came out
 * undefined gets its note. */
int sc_run_corr_ci(const sc_spec *spec, const sc_matrix *a, const sc_matrix *b,
                   const double *a_reps, const double *b_reps,
                   const sc_pairs *pairs, sc_corr_method method, sc_rng *rng,
                   double *lo, double *hi, char *note, size_t cap, sc_err *err);
/* The family key of a row for sc_run_adjust: metric k alone under
 * statistics.family: metric; else (k, part, kind) with part < nparts and
 * kind < nkinds. */
size_t sc_run_family(const sc_spec *spec, size_t k, size_t part, size_t nparts,
                     size_t kind, size_t nkinds);

/* ## CSV fields */

/* A CSV number: "%.17g", or an empty field for NaN. */
void sc_fmt_num(sc_buf *b, double v);
/* A CSV text field: quoted (with "" for ") when it holds , " or a newline. */
void sc_fmt_text(sc_buf *b, const char *text);
/* The fields B,seed,ci_method of a row over m models (no commas around).
 * B, the bootstrap resamples, only when ci_method is a bootstrap
 * (percentile, bca): a jackknife interval or no CI resamples nothing.
 * seed, the row's stream, only when the row drew from it: a bootstrap CI,
 * or a p from random permutations (n_perm > 0 and m! > permutations; an
 * exact test enumerates). Empty otherwise (docs/STATISTICS.md). */
void sc_fmt_draws(sc_buf *b, const sc_spec *spec, size_t m, uint32_t seed,
                  const char *ci_method, size_t n_perm);
/* The fields shared by the rows of consistency.csv and behaviour.csv after
 * their keys: r,ci_lo,ci_hi,p,q,B,seed,ci_method,n_perm,note (B and seed by
 * sc_fmt_draws) and the end of the line. */
void sc_fmt_stat_tail(sc_buf *b, const double v[5], const sc_spec *spec,
                      size_t m, uint32_t seed, const char *ci_method,
                      size_t n_perm, const char *note);

/* ## Spill passes of the similarity stage (run_plan.c)
 *
 * sc_plan_embed_len: the embedding length (core/host/simmat.h, embed
 * path) of metric p with args at n stimuli, model 0 having d features; 0
 * when it has none (pairwise path: nothing spilled). Exact for the bundled
 * cka and rsa (their embed_len); another plugin with an embedding is
 * counted n (n + 1) / 2.
 * sc_plan_passes: split jobs 0..nk-1 with E's of ebytes[k] bytes into the
 * fewest consecutive passes whose spill fits usable bytes, placing the
 * E's in memory or spill files exactly as sc_simmat_compute_multi does
 * with this budget; first[0..passes] are the passes' first jobs and nk.
 * out->passes is 0 when a job alone spills more than usable (out->too_big,
 * too_big_bytes). sc_plan_dataset_spill does it for the metrics ks of
 * dataset d at n stimuli, the ebytes into ebytes[0..nk-1]. */
typedef struct sc_plan_spill {
    size_t passes;
    size_t spill;    /* bytes spilled with every job in one pass  */
    size_t max_pass; /* the largest spill of one planned pass      */
    size_t too_big, too_big_bytes;
} sc_plan_spill;
size_t sc_plan_embed_len(const sc_plugin *p, const sc_args *args, size_t n,
                         size_t d);
void sc_plan_passes(const size_t *ebytes, size_t nk, size_t budget,
                    size_t usable, size_t *first, sc_plan_spill *out);
int sc_plan_dataset_spill(const sc_runctx *rc, size_t d, size_t n,
                          const size_t *ks, size_t nk, size_t budget,
                          size_t usable, size_t *first, size_t *ebytes,
                          sc_plan_spill *out, sc_err *err);

/* ## Display tables (run_tables.c; tested in tests/unit/test_runner_tables.c)
 */

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
