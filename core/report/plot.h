/* Figures and the report page of a result folder (issue 8).
 *
 * Purpose: turn the CSVs that `simcon run` writes into the figures
 * researchers read (similarity heatmaps, dataset-consistency heatmaps,
 * consistency box plots by category pair, behaviour scatters) and one
 * self-contained report.html. Called at the end of `simcon run` and by
 * `simcon plot RESULTS_DIR`.
 *
 * Input (result folder DIR; the runner's contract, issue 5):
 *   similarity/DATASET/METRIC.csv       required (simcsv format)
 *   models.csv    model,<attr1>,...     optional: category bands, box plots
 *   datasets.csv  dataset,domain        optional: dataset order and domains
 *   consistency.csv, behaviour.csv, contrasts.csv   optional (figures that
 *                 need a missing file are skipped)
 *   behaviour/DATASET/gap.csv           optional: behaviour scatters
 *   manifest.json                       optional: report summary
 * Output: DIR/figures/ (SVG files; also PDF and PNG with opts->formats)
 * plus DIR/figures/index.tsv (kind, file, short label, caption; the
 * report's list of files), DIR/report.html. Figures: per metric the
 * similarity heatmap of every dataset and a grid of them all, the "all"
 * consistency heatmap and a grid of every model subset, box plots per
 * attribute, behaviour scatters per dataset, and summary.svg (the
 * multi-panel paper figure, plot_summary.c).
 *
 * Invariants:
 * - Same input, same bytes: directories are listed in sorted order, numbers
 *   are printed with fixed precision (svg.h), nothing depends on time,
 *   locale or the environment.
 * - No partial output: the figures are written into a fresh
 *   DIR/figures.tmp-<random>/ and swapped in for DIR/figures/ only when all
 *   succeeded (sc_replace_dir, atomic.h); report.html is written to a temp
 *   name and renamed. On failure the previous figures and report (if any)
 *   are untouched. DIR/figures that is a symbolic link is refused, and no
 *   removal follows a link.
 * - Every heatmap cell is a <rect> with data-value="%.17g" (the exact
 *   number from the CSV) and a <title> tooltip naming row, column and value.
 * References: Ciernik et al., arXiv 2411.05561 (ICML 2025), figures 2-4;
 * Sokal & Michener (1958) for UPGMA (average linkage; core/stats/cluster.h). */
#ifndef SC_PLOT_H
#define SC_PLOT_H

#include <stddef.h>

#include "err.h"
#include "spec.h"
#include "progress.h"

/* Model order in similarity heatmaps. */
typedef enum sc_plot_order {
    SC_PLOT_ORDER_SPEC = 0,   /* as in the similarity CSVs (= the spec)    */
    SC_PLOT_ORDER_CLUSTER = 1 /* UPGMA leaf order on 1 - mean similarity  */
} sc_plot_order;

typedef struct sc_plot_opts {
    sc_plot_order order;
    /* models.csv column that colours the category bands of the similarity
     * heatmaps (the consistency grids show every model subset of
     * consistency.csv whatever the band); NULL = the first attribute
     * column of models.csv (none if the file is absent). Naming a column
     * that models.csv does not have is an error (SC_EINVAL). */
    const char *band;
    /* Progress display (core/base/progress.h) or NULL: one phase "figures"
     * with a step per figure kind. */
    sc_progress *progress;
    /* Output formats besides SVG, which is always written (the report
     * inlines it): SC_PLOT_PDF | SC_PLOT_PNG, rendered by librsvg and
     * cairo. 0 = SVG only. */
    unsigned formats;
} sc_plot_opts;

/* Write DIR/figures/ (see above). opts NULL means {SC_PLOT_ORDER_SPEC,
 * NULL, NULL, 0}.
 * Statuses: SC_EIO (missing similarity/ folder or file, unreadable or
 * malformed CSV, naming the file and line; cannot write), SC_EINVAL
 * (inconsistent folder: model sets differ between files, unknown band
 * attribute, a metric missing for one dataset), SC_ENUMERIC (non-finite
 * number), SC_ENOMEM. On failure DIR/figures/ is unchanged. */
int sc_plot_results(const char *result_dir, const sc_plot_opts *opts,
                    sc_err *err);

/* Write DIR/report.html, answer first: the headline (contrasts.csv as a
 * table with effect, CI, p, q and the result in words; the box plots of
 * the first models.csv attribute; per metric a grid of small consistency
 * heatmaps, one per model subset of consistency.csv), then top-level
 * <details> sections (consistency summary, behaviour table and scatters,
 * similarity matrices of every dataset, other box plots, models and
 * datasets, figure files and tables, manifest.json). Heatmaps and
 * scatters are drawn on <canvas> by an inline script from one JSON data
 * block (4 significant digits) that also feeds the tooltips, so the page
 * stays under 10 MB at 64 models x 23 datasets. Needs no network. Missing
 * optional inputs are stated on the page, not errors.
 * Statuses: SC_EIO (DIR missing, a malformed CSV, a figure listed in the
 * index but missing, cannot write), SC_EINVAL (gap.csv models differ),
 * SC_ENOMEM. */
int sc_report_write(const char *result_dir, sc_err *err);

#endif
