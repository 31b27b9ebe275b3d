/* A run as independent tasks over a shared folder (issue 14).
 *
 * `simcon run SPEC -o OUT --plan` splits the run into tasks and writes
 * the plan to OUT.tasks/plan.txt (a work folder beside OUT; simcon writes
 * only there and in OUT):
 *   similarity/<i>  the matrix of dataset i / M and metric i % M (M
 *                   metrics), into OUT.tasks/.cache/<key>.csv, keyed by
 *                   content exactly as the runner's cache (run_simmat.c);
 *   consistency/<c> chunk c of the consistency rows: a contiguous range
 *                   of (metric, dataset pair) units, each unit's rows (all
 *                   model sets) into OUT.tasks/.cache/consistency-<key>.tsv,
 *                   keyed by the two matrices' keys, the statistics
 *                   settings, the sets, the seed and the (metric, set)
 *                   table that the streams' seeds come from
 *                   (run_consistency.c); depends on the similarity tasks;
 *   contrasts/<c>   chunk c of the contrast rows: a contiguous range of
 *                   (metric, contrast attribute) units, each unit's rows
 *                   (every category pair with the category means) into
 *                   OUT.tasks/.cache/contrasts-<key>.tsv, keyed by the
 *                   metric's matrices of every dataset, the settings, the
 *                   seed and the attribute's labels (run_contrasts.c);
 *                   depends on the similarity tasks;
 *   behaviour/<c>   chunk c of the behaviour rows: a contiguous range of
 *                   (metric, row) units (a row: a dataset or a mean over a
 *                   domain's datasets), into
 *                   OUT.tasks/.cache/behaviour-<key>.tsv, keyed by the
 *                   row's matrices, the accuracy table's SHA-256, the
 *                   settings and the seed (run_behaviour.c); depends on the
 *                   similarity tasks;
 *   assemble        everything else (p adjustment and the tables from the
 *                   cached units, tables, figures, manifest, report) into
 *                   OUT; depends on every chunk task (or, with none, every
 *                   similarity task).
 * `--task ID` runs one. A task writes its result with one atomic rename, so
 * a killed task leaves nothing and a rerun of a finished one finds its
 * entry and computes nothing. Each task run also writes a record
 * (OUT.tasks/records/<task>.<host>.<pid>.json: host, Slurm job and array
 * ids, result "computed" or "cached", seconds), which the assemble step
 * lists in manifest.json under "tasks".
 *
 * The plan carries the SHA-256 of the spec file: a task whose spec differs
 * is refused. Results do not depend on where or in which order tasks run:
 * every random draw comes from a per-task seed (core/num/rng.h) and the
 * assemble step reads the cached matrices exactly as `run --resume` does,
 * so tables are byte-identical to a single `simcon run`.
 *
 * Units are cached one by one, not per chunk, so a plan made with another
 * chunk count reuses every finished unit, and the assemble step computes
 * any unit that is missing (a plain run after a plan does the same). A
 * chunk task loads only the matrices its units use.
 *
 * With statistics.over: stimuli, consistency and behaviour are chunk
 * tasks like over: models while SC_STIMULUS_CI_VALIDATED is 0 (no
 * stimulus replicates are computed: sc_plan_stimulus_reps); were it 1,
 * they would run inside the assemble task, since the replicates are not
 * cached.
 *
 * Model blocks (runtime.model_blocks K > 1): before similarity/<i>, each
 * (dataset, metric) i has
 *   prepare/<i>/<b>         b < K: block b's embedding rows (models
 *                           floor(b m / K) .. floor((b + 1) m / K) - 1)
 *                           into OUT.tasks/.cache/rows-<key>-<K>-<b>.bin;
 *   pairs/<i>/<b1>-<b2>     b1 <= b2: their block of products into
 *                           .cache/pairs-<key>-<K>-<b1>-<b2>.bin; depends
 *                           on prepare/<i>/<b1> and prepare/<i>/<b2>;
 * and similarity/<i> depends on every pairs/<i>/<b1>-<b2> and only
 * assembles them (run_task.c; the engine: core/host/simblock.h). <key> is the
 * matrix's cache key, which names K for a blocked metric: blocks give other
 * last bits than K = 1. A metric without an embedding (its plugin has none, or
 * its states have embedding length 0, e.g. RSA with Kendall's tau) keeps
 * these tasks, which only write a marker, and its similarity/<i> computes
 * the whole matrix as with K = 1 (the same bits; its key names K only
 * when the plugin offers an embedding).
 * Every file is written under a temporary name and renamed. */
#ifndef SC_RUN_PLAN_H
#define SC_RUN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "runner.h"
#include "spec.h"

#define SC_PLAN_PATH_CAP 4096

/* "<out>.tasks" (trailing slashes of out removed) into buf. */
void sc_plan_work_dir(const char *out, char *buf, size_t cap);

/* Number of similarity tasks: datasets x metrics. */
size_t sc_plan_nsim(const sc_spec *spec);

/* Model blocks K of each (dataset, metric) (runtime.model_blocks; 1 when
 * unset), the block pairs b1 <= b2 per (dataset, metric) (K (K + 1) / 2;
 * 0 when K = 1: no prepare or pairs tasks), and block pair p in row-major
 * order of the upper triangle. */
size_t sc_plan_blocks(const sc_spec *spec);
size_t sc_plan_npairs(const sc_spec *spec);
void sc_plan_pair_of(size_t K, size_t p, size_t *b1, size_t *b2);

/* The statistics stages that a plan splits into chunk tasks, and their
 * task names ("consistency", "contrasts", "behaviour"). */
enum { SC_PLAN_CONS = 0, SC_PLAN_CONTRASTS = 1, SC_PLAN_BEHAVIOUR = 2 };
#define SC_PLAN_NSTAGES 3
extern const char *const sc_plan_stage_names[SC_PLAN_NSTAGES];

/* Whether `run` computes stimulus-bootstrap replicates (B recomputed
 * m x m matrices per dataset and metric, run_simmat.c): only for
 * statistics.over: stimuli with bootstrap > 0 while SC_STIMULUS_CI_VALIDATED
 * (core/stats/stat_limits.h) is 1. At 0 no stimulus-bootstrap CI is
 * printed (NA with SC_NOTE_STIMULUS_CI), so no replicate is computed and
 * r and the permutation p are the same numbers without them. */
bool sc_plan_stimulus_reps(const sc_spec *spec);

/* Units of stage `stage` that its chunk tasks share out; 0 when the stage
 * is not split into tasks (it then runs in the assemble task):
 *   consistency  metrics x dataset pairs; 0 without the analysis, with one
 *                dataset, or when stimulus replicates are computed
 *                (sc_plan_stimulus_reps), since they are not cached;
 *   contrasts    metrics x contrasts (all category pairs of one contrast
 *                attribute share the category means); 0 with one dataset;
 *   behaviour    metrics x rows (datasets, one mean per domain, mean:all);
 *                0 when stimulus replicates are computed (again). */
size_t sc_plan_units(const sc_spec *spec, int stage);

/* Chunk tasks per statistics stage. */
typedef struct sc_plan_layout {
    size_t chunks[SC_PLAN_NSTAGES];
} sc_plan_layout;

/* How many chunk tasks per stage: want > 0 asks for that many (at most one
 * per unit); 0 picks chunks of about SC_PLAN_CHUNK_CPU CPU-seconds by
 * sc_plan_cpu_estimate (at least 1 when the stage has units). */
#define SC_PLAN_CHUNK_CPU 1800.0
int sc_plan_chunks(const sc_spec *spec, size_t want, sc_plan_layout *lay,
                   sc_err *err);
/* Units [*u0, *u1) of chunk c of chunks over units (contiguous, sizes
 * differing by at most one). */
void sc_plan_chunk_range(size_t units, size_t chunks, size_t c, size_t *u0,
                         size_t *u1);

/* Create the work folder (.cache, records) and write plan.txt atomically,
 * with lay's chunk tasks. Statuses: SC_EIO naming the folder or file;
 * SC_ENOMEM. */
int sc_plan_write(const sc_spec *spec, const char *out,
                  const sc_plan_layout *lay, sc_err *err);
/* The chunk tasks of out's plan (SC_EIO naming the file when a stage's
 * line is missing, as in a plan of an older simcon, or it cannot be
 * read). */
int sc_plan_read_layout(const char *out, sc_plan_layout *lay, sc_err *err);

/* Every task of the plan in order (the plan.txt lines and --plan): id,
 * stage, dataset and metric ("-" for none), and what it depends on. */
typedef void (*sc_plan_task_fn)(void *ud, const char *id, const char *stage,
                                const char *ds, const char *metric,
                                const char *dep);
void sc_plan_each_task(const sc_spec *spec, const sc_plan_layout *lay,
                       sc_plan_task_fn fn, void *ud);
/* The task list, one line per task (ID, stage, dataset, metric, depends),
 * with a header line. */
void sc_plan_print(const sc_spec *spec, const sc_plan_layout *lay, FILE *f);

/* Is there a plan for out made from this spec file (same SHA-256)?
 * *exists tells whether a plan file exists at all. */
bool sc_plan_matches(const sc_spec *spec, const char *out, bool *exists);

/* Run task id (see above) of the plan for opts->out_dir. Refuses (SC_EIO)
 * when the plan is missing or unreadable (naming the path: the folder must
 * be shared by every node), when the spec changed since the plan, or when
 * the cache folder is not writable; SC_EINVAL for an unknown id. */
int sc_plan_run_task(const sc_spec *spec, const sc_run_opts *opts,
                     const char *id, sc_err *err);

/* For the task runner (run_task.c): refuse to run a task of out's plan
 * when the plan is missing or unreadable, the spec changed since, or the
 * cache folder is not writable (SC_EIO, the messages of sc_plan_run_task);
 * and write a task's record (records/<file>.<host>.<pid>.json). */
int sc_plan_check(const sc_spec *spec, const char *out, sc_err *err);
int sc_plan_write_record(const char *out, const char *task, const char *file,
                         const char *ds, const char *metric, bool cached,
                         const char *key, double seconds, sc_err *err);

/* The memory budget (--memory, runtime.memory; half of RAM by default)
 * bounds the similarity stage as a whole (issues 13, 14): the running
 * workers' prepare memory is reserved first, and the stacked embeddings E
 * stay in memory only in what is left (core/host/simmat.h), else spill.
 * sc_plan_worker_bytes: one worker's peak while it prepares a model of d
 * features at n stimuli for the paper's metrics on one shared Gram
 * (core/host/gram.h): 24 n^2 + 20 n d bytes (the n x n Gram, 8 n^2, and
 * the largest state being built, CKA RBF's two n x n matrices, 16 n^2;
 * the features, their float32 and centred copies), plus an eighth for the
 * huge blocks that core/base/mem.c keeps for reuse. RSA needs less since
 * its ranking moves 8-byte words: its RDM triangle and those words, 4 n^2
 * each, so 16 n^2 + 20 n d with the Gram; the model, one for all
 * metrics, takes the largest. Measured (`simcon matrix --threads 1`, peak
 * RSS less the m embeddings of 8 n (n - 1) / 2 bytes): n = 6,000, largest
 * d 1,111, m = 4: cka kernel=rbf 1,100 MB (10^6 bytes) against 1,122 MB
 * predicted; rsa precision=float32 758 MB (9/8 (16 n^2 + 20 n d) =
 * 798 MB); n = 8,000, d 1,074, m = 3: that rsa 1,255 MB (1,345 MB; the
 * model 1,921 MB), so for a spec of RSA alone the reserve is about 1.5x
 * its need. At n = 10,000, largest d 4,096, two threads and a 12.8 GB
 * float32 E in memory the model predicts 20.0 GB against 19.4 GB
 * measured (issue 13); at n = 4,500 it predicts every peak of
 * tests/bench/RESULTS.md ("2026-12-03 (issues 13, 14)") within 9%.
 * sc_plan_reserve: threads x that, for the largest d (dmax) of a dataset
 * (the environment variable SIMCON_WORKER_RESERVE, if set, gives it in
 * bytes: a test-only override, for tests of the spill passes at budgets
 * of a few MB).
 * sc_plan_e_room: what the budget leaves for E (0 when the workers alone
 * need more: every E spills). */
double sc_plan_worker_bytes(double n, double d);
size_t sc_plan_reserve(unsigned threads, double n, double dmax);
size_t sc_plan_e_room(size_t budget, size_t reserve);

/* Memory for one similarity task (max over datasets) and for the assemble
 * task, in bytes, from the feature headers (n, d per model), m, the thread
 * count and the memory budget (runtime.memory / --memory; 0: no cap):
 *   similarity: 64 MiB + threads x sc_plan_worker_bytes(n, dmax) + the
 *               embedding matrix E of m rows of n (n + 1) / 2 doubles
 *               (floats, 2 m n (n + 1) bytes, when every metric's params
 *               select precision: float32) when it fits what the workers
 *               leave of the budget (sc_plan_e_room), else what the two
 *               column blocks of a spilled E (at most half the budget
 *               together) add once the
 *               workers are done; the peak the run really reaches with
 *               this many threads;
 *   assemble:   64 MiB + 32 M D m^2 (matrices and their analyses), plus,
 *               when stimulus replicates are computed
 *               (sc_plan_stimulus_reps), 8 B (M D m^2 + n) (replicates and
 *               draws), the resident states min(budget, m x 16 n^2 + 8 n
 *               sum(d)) and per thread 32 n^2 + 16 n d (a state being
 *               prepared and a compare_subset's two n x n scratch
 *               matrices).
 * Statuses: those of sc_npy_peek_ex (a missing file is named). */
int sc_plan_estimate(const sc_spec *spec, unsigned threads, size_t budget,
                     size_t *sim_bytes, size_t *assemble_bytes, sc_err *err);
/* With K > 1 model blocks (sc_plan_blocks), per task of the largest
 * dataset, in bytes:
 *   prepare   64 MiB + threads x (16 n d + 16 n^2 + 512 KiB): each worker's
 *             features, normalised copy, state and embedding chunk; the
 *             block's rows go straight to its file in the task cache;
 *   rows      that file: ceil(m / K) x n (n + 1) / 2 doubles (disk);
 *   pairs     64 MiB + two blocks' groups of 16 parts of 4,096 columns and
 *             the parts' products (sc_simblock_product_bytes): the rows
 *             are streamed, never whole in memory;
 *   finalise  64 MiB + 24 m^2 (similarity/<i> of a blocked metric).
 * Statuses: those of sc_npy_peek_ex. */
typedef struct sc_plan_blocks_est {
    size_t prepare, rows, pairs, finalise;
} sc_plan_blocks_est;
int sc_plan_block_estimate(const sc_spec *spec, unsigned threads,
                           sc_plan_blocks_est *out, sc_err *err);
/* The largest embedding matrix E of one (dataset, metric), 4 m n (n + 1)
 * bytes (2 m n (n + 1) when every metric's params select precision:
 * float32: 4-byte entries), uncapped: what spills to a file beyond the
 * budget. */
int sc_plan_embed_bytes(const sc_spec *spec, size_t *bytes, sc_err *err);

/* The spill of the similarity stage as the runner will do it
 * (run_plan.c): per dataset, one line on f with the bytes its metrics'
 * embedding matrices spill beyond the memory budget (0: the runner's
 * default, half of RAM) and the threads' reserve (sc_plan_reserve) leave, the
 * free space of the spill directory ($TMPDIR or /tmp) and the passes the runner
 * splits the metrics into; *fits false when some metric alone does not fit (the
 * run would fail before computing). The metrics' plugins are loaded (plugin_dir
 * NULL: the spec's). Statuses: those of sc_npy_peek_ex, of loading the plugins,
 * and of sc_spill_room. */
int sc_plan_spill_report(const sc_spec *spec, size_t budget, unsigned threads,
                         const char *plugin_dir, FILE *f, bool *fits,
                         sc_err *err);
/* sc_plan_reserve for dataset d at n stimuli (its largest d from the
 * feature headers). Statuses: those of sc_npy_peek_ex. */
/* The largest sc_plan_reserve over the spec's datasets (n after
 * max_stimuli). */
int sc_plan_reserve_max(const sc_spec *spec, unsigned threads, size_t *reserve,
                        sc_err *err);
int sc_plan_dataset_reserve(const sc_spec *spec, size_t d, size_t n,
                            unsigned threads, size_t *reserve, sc_err *err);

/* The CPU model's rates (run_plan.c, "CPU estimate", has the model),
 * CPU-seconds on this machine class (2 vCPU AMD EPYC, AVX-512, OpenBLAS
 * COOPERLAKE kernels), measured on 2026-12-03 at load
 * average 8-14 (other benchmarks beside: CPU times ~10-20% high).
 *
 * Gram, n^2 d per CPU-second: tests/bench/gemm_probe.c at n = 2000
 * (OPENBLAS_NUM_THREADS=1) gave dgemm 53.1 and sgemm 102.4 GFLOP/s per
 * CPU-s, and a SYRK is n^2 d flops; 85% of that for the panels, the
 * float64 -> float32 rounding and the mirror (the paper-size profile of
 * RESULTS.md, session 8: sgemm + packing 104 CPU-s per dataset for the
 * 8.45e12 Gram flops and the products). */
#define SC_PLAN_RATE_GRAM64 4.5e10
#define SC_PLAN_RATE_GRAM32 8.7e10
/* Products, model-pair entries n (n + 1) per CPU-second: cpu_pairs of
 * `simcon matrix --info --threads 2` on 64 paper_gen.py models at
 * n = 2000 (2016 pairs: 0.215 s float32, 0.45 s float64). */
#define SC_PLAN_RATE_PAIRS64 1.8e10
#define SC_PLAN_RATE_PAIRS32 3.7e10
/* States, seconds per model and n^2; E, bytes per second of 2 x E.
 * The differences between metrics from single-metric `simcon matrix`
 * runs (process CPU, 16 models at n = 4000 and 64 at n = 2000, both
 * precisions: RBF 0.8-1.4 s and RSA 2.9-4.9 s above linear CKA per
 * 2.56e8 model x n^2 entries: +4e-9 and +1.5e-8); the linear state and
 * E's rate then fitted (least squares, relative) with the rates above to
 * the CPU (user + sys, /usr/bin/time) of `simcon run SPEC --threads 2` on
 * the paper's three metrics (tests/bench/paper_gen.py features, the
 * first 16 or all 64 models of experiments/paper.yaml, max_stimuli
 * n): 16 models n = 2000 4.47 s f32 / 6.07 s f64, n = 4000 15.6 / 20.3 s;
 * 64 models n = 2000 20.7 / 25.4 s, n = 4000 54.4 / 78.7 s; and the
 * paper's dataset at n = 10,000, f32, 359 CPU-s (RESULTS.md, session 8,
 * E spilled). The model gives 0.79-1.19x of each (the paper 1.12x:
 * 403 s; the previous model 1,279 s, 3.6x). */
#define SC_PLAN_STATE_LINEAR 4.9e-9
#define SC_PLAN_STATE_RBF 8.9e-9
#define SC_PLAN_STATE_RSA 1.99e-8
#define SC_PLAN_RATE_EMBED 1.05e9
/* A correlation over k model pairs (consistency's r and jackknife, the
 * medians): SC_PLAN_COST_CORR + k / SC_PLAN_RATE_TERMS seconds, fitted to
 * two variants of the bundled example (RESULTS.md, "CPU-hours
 * estimate"). */
#define SC_PLAN_COST_CORR 3.0e-7
#define SC_PLAN_RATE_TERMS 6.0e7
/* Consistency's batched permutations, per permutation of a (metric, set)
 * over k pairs and D datasets: SC_PLAN_COST_PERM + k (D - 1) /
 * SC_PLAN_RATE_PERM_GATHER (each b-side dataset's permuted values gathered
 * and standardised) + k (D - 1)^2 / SC_PLAN_RATE_PERM_GEMM (the GEMM).
 * Fitted (2026-12-03) to the CPU of the permutations
 * alone, user + sys of `simcon run SPEC -o COPY --resume --threads 2` at
 * 9,999 permutations minus the same at 0, consistency only (the paper's
 * 64 models and groupby, 30 sets, sum k = 10,080, 3 float32 metrics;
 * features of tests/bench/paper_gen.py): all 23 datasets 57.97 - 14.77 =
 * 43.2 s, the first 8 15.49 - 2.87 = 12.6 s; and the e2e zoo of the
 * previous fit (D = 3: 8.6e-6 s per permutation over 33 tasks, sum k =
 * 294). The previous model, k (dp + D) / 3.3e8 s, counted each GEMM
 * entry like a gathered value: 252 s instead of 43 s at D = 23. */
#define SC_PLAN_COST_PERM 1.6e-7
#define SC_PLAN_RATE_PERM_GATHER 1.8e8
#define SC_PLAN_RATE_PERM_GEMM 2.6e10
/* CPU-seconds of the similarity stage on one dataset of n stimuli (after
 * max_stimuli) and m models of summed width dsum: *run, every metric of
 * the spec as one `simcon run` computes them (shared Grams counted once);
 * *task, the dearest single (dataset, metric) task (its own Gram). */
void sc_plan_sim_seconds(const sc_spec *spec, double n, double m, double dsum,
                         double *run, double *task);

/* CPU-seconds per stage at the measured rates (run_plan.c, where the
 * work model and the rates' sources are): the largest similarity task and
 * all of them, then the statistics stages, each as one process would run
 * it, and the assemble step (medians, feature checksums, tables, figures,
 * report). Statuses: those of sc_npy_peek_ex; SC_ENOMEM. */
typedef struct sc_plan_cpu {
    double similarity_task, similarity;
    double consistency, contrasts, behaviour, assemble;
} sc_plan_cpu;
int sc_plan_cpu_estimate(const sc_spec *spec, sc_plan_cpu *out, sc_err *err);
/* Wall-clock seconds of cpu's stages with `threads` workers on a machine
 * of their own: the statistics stages divide by the threads (their units
 * run in parallel), the similarity stage by at most the models (one model
 * per worker), the assemble step runs on one thread. A lower bound: the
 * spill's I/O waits and other processes come on top. */
void sc_plan_wall(const sc_plan_cpu *cpu, unsigned threads, size_t models,
                  sc_plan_cpu *wall);

#endif
