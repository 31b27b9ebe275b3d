/* `simcon run`: the paper's analyses end to end (issue 5).
 *
 * Purpose: from a validated experiment spec (core/io/spec.h) to a result
 * folder with similarity matrices, consistency / contrast / behaviour
 * tables with CIs, p- and q-values, summary tables (CSV, Markdown, LaTeX)
 * and manifest.json. Definitions: docs/FORMULAS.md, "The paper's
 * definitions" and "Statistics that simcon adds"; Ciernik et al., arXiv
 * 2411.05561 (ICML 2025).
 *
 * Stages (each its own module, core/run_*.c):
 *   1. run_simmat.c      load features, check, normalise, subsample; per
 *                        (dataset, metric) the m x m matrix through the
 *                        all-pairs engine (core/host/simmat.h) or the cache.
 *   2. run_consistency.c every dataset pair x model set x metric.
 *   3. run_contrasts.c   within-category consistency contrasts.
 *   4. run_behaviour.c   similarity vs accuracy gap per dataset + means.
 *   5. run_tables.c      summary tables (CSV / Markdown / LaTeX).
 *   6. figures/ (sc_plot_results, core/report/plot.h, issue 8) from the CSVs.
 *   7. run_manifest.c    manifest.json (checksums of everything above).
 *   8. report.html (sc_report_write), which shows the manifest.
 * The folder is staged in DIR.tmp-<pid>/<name> and moved into place only
 * when everything succeeded (core/base/atomic.h): a failed run leaves no result
 * folder and never touches a previous one.
 *
 * Invariants: every random draw comes from a task's own stream seeded by
 * sc_rng_task_seed(spec seed, task id) (core/num/rng.h); the task id is a
 * stable text (e.g. "consistency/<metric>/<model_set>", one stream for
 * every dataset pair of the set) and its
 * seed is printed in each row, so outputs do not depend on the thread
 * count or scheduling. CSV/MD/TeX carry no timestamps; wall times live only
 * in manifest.json. */
#ifndef SC_RUNNER_H
#define SC_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "spec.h"

typedef struct sc_run_opts {
    const char *out_dir;    /* NULL: results/<spec name>                  */
    unsigned threads;       /* 0: the spec's runtime.threads              */
    size_t memory;          /* bytes; 0: the spec's runtime.memory        */
    const char *plugin_dir; /* NULL: the spec's runtime.plugin_dir        */
    bool resume;            /* reuse cached similarity matrices           */
    bool quiet;             /* no progress on stderr                      */
    /* Library callers (core/run/api.c, simcon.h); NULL: none. progress is
     * called under the progress lock after each unit of a stage; cancel
     * is polled before each unit and a non-zero return stops the run
     * with SC_ECANCELED (nothing written, as for any failure). */
    void (*progress)(void *user, const char *stage, size_t done, size_t total);
    int (*cancel)(void *user);
    void *user;
    /* Appended for planned (cluster) runs, core/run/run_plan.h. */
    const char *task_dir; /* "<out>.tasks" of a plan: its .cache is
                             searched first (as with resume) and its task
                             records go into the manifest; NULL: none    */
} sc_run_opts;

/* Run every analysis of spec into the result folder.
 * [in] spec: loaded and validated (sc_spec_load); borrowed.
 * [in] opts: borrowed; NULL fields take the spec's values.
 * Statuses: SC_ESPEC (a spec-level problem found while running, e.g. an
 * anchor that is not a model; message "<spec>:<line>:<col>: ..."),
 * SC_EIO (inputs and their consistency: row counts, ids, accuracy
 * table; the output folder), SC_EINVAL (metric parameters in the spec),
 * SC_EDOM / SC_ENUMERIC (metric failures and NaN/Inf in features, naming
 * dataset, metric and model or file), SC_EABI (plugin), SC_ENOMEM. On any
 * failure the result folder is not created or changed. */
int sc_run(const sc_spec *spec, const sc_run_opts *opts, sc_err *err);

/* One similarity task of a planned run: the matrix of dataset d and
 * metric k into <opts->task_dir>/.cache/<key>.csv (one atomic rename),
 * unless an entry with that key exists already (*cached = true). key
 * receives the cache key (SC_SHA256_HEX = 65 bytes). opts->task_dir and
 * opts->out_dir must be set. Statuses as sc_run. */
int sc_run_similarity_task(const sc_spec *spec, const sc_run_opts *opts,
                           size_t d, size_t k, bool *cached, char key[65],
                           sc_err *err);

#endif
