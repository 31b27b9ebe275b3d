/* simcon plot RESULTS_DIR [--order spec|cluster] [--band ATTRIBUTE]
 *                         [--format svg,pdf,png] [--quiet]
 *
 * Draws the figures of an existing result folder into RESULTS_DIR/figures/
 * and writes RESULTS_DIR/report.html (plot.h). `simcon run` does the same
 * at the end of a run; this command redraws with other options (model
 * order, band attribute) without recomputing anything. Progress on a
 * terminal (core/base/progress.h); on success one line names what was written,
 * unless --quiet. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "atomic.h"
#include "commands.h"
#include "plot.h"
#include "progress.h"

static void usage(FILE *out)
{
    fputs("usage: simcon plot RESULTS_DIR [--order spec|cluster] [--band "
          "ATTRIBUTE]\n"
          "                   [--format svg,pdf,png] [--quiet]\n"
          "Redraws the figures of a folder written by 'simcon run' from its "
          "CSVs\n"
          "(nothing is recomputed). RESULTS_DIR is relative to the current "
          "directory.\n"
          "Writes RESULTS_DIR/figures/*.svg (with figures/index.tsv) and\n"
          "RESULTS_DIR/report.html; the previous figures are replaced only "
          "when all\n"
          "new ones were drawn.\n"
          "  --order ORDER     model order in similarity heatmaps: spec "
          "(default: as in\n"
          "                    the spec) or cluster (average linkage on 1 - "
          "mean\n"
          "                    similarity across datasets)\n"
          "  --band ATTRIBUTE  models.csv attribute that colours the category "
          "bands\n"
          "                    of the similarity heatmaps (default: the "
          "first attribute)\n"
          "  --format LIST     figure files, comma-separated: svg (always "
          "written), pdf\n"
          "                    (vector, fonts embedded), png (192 dpi); "
          "default svg\n"
          "  --quiet           nothing on stderr but errors (default: progress "
          "with an\n"
          "                    ETA when stderr is a terminal, then the files "
          "written)\n",
          out);
}

int sc_cmd_plot(int argc, char **argv)
{
    sc_plot_opts opts = {SC_PLOT_ORDER_SPEC, NULL, NULL, 0};
    const char *dir = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SC_EXIT_OK;
        }
        if (strcmp(a, "--format") == 0) {
            char bad[64];
            if (i + 1 >= argc) {
                fprintf(stderr, "simcon plot: --format needs a value, e.g. "
                                "svg,pdf,png\n");
                return SC_EXIT_USAGE;
            }
            if (sc_plot_parse_formats(argv[++i], &opts.formats, bad,
                                      sizeof bad) != SC_OK) {
                fprintf(stderr,
                        "simcon plot: --format: unknown format '%s'; use "
                        "svg, pdf and png, comma-separated\n",
                        bad);
                return SC_EXIT_USAGE;
            }
            continue;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (strcmp(a, "--order") == 0 || strcmp(a, "--band") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr,
                        "simcon plot: %s needs a value; run 'simcon "
                        "plot --help'\n",
                        a);
                return SC_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (a[2] == 'b') {
                opts.band = v;
            } else if (strcmp(v, "spec") == 0) {
                opts.order = SC_PLOT_ORDER_SPEC;
            } else if (strcmp(v, "cluster") == 0) {
                opts.order = SC_PLOT_ORDER_CLUSTER;
            } else {
                fprintf(stderr,
                        "simcon plot: --order expects spec or "
                        "cluster, got '%s'\n",
                        v);
                return SC_EXIT_USAGE;
            }
        } else if (a[0] == '-') {
            fprintf(stderr,
                    "simcon plot: unknown option '%s'; run 'simcon "
                    "plot --help'\n",
                    a);
            return SC_EXIT_USAGE;
        } else if (dir) {
            fprintf(stderr,
                    "simcon plot: one RESULTS_DIR expected, got "
                    "'%s' and '%s'\n",
                    dir, a);
            return SC_EXIT_USAGE;
        } else {
            dir = a;
        }
    }
    if (!dir) {
        usage(stderr);
        return SC_EXIT_USAGE;
    }
    sc_err err;
    sc_err_clear(&err);
    sc_progress prog;
    sc_progress_init(&prog, "simcon plot", quiet);
    opts.progress = &prog;
    /* The same lock as `simcon run` on DIR: a plot never mixes with a run
     * (or another plot) writing the same folder. */
    sc_lock lock;
    int rc = sc_lock_acquire(&lock, dir, &err);
    if (rc == SC_OK) {
        rc = sc_plot_results(dir, &opts, &err);
        if (rc == SC_OK)
            rc = sc_report_write(dir, &err);
        sc_lock_release(&lock);
    }
    sc_progress_deinit(&prog);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon plot: %s\n", err.msg);
        return rc == SC_EINVAL ? SC_EXIT_USAGE : SC_EXIT_FAIL;
    }
    if (!quiet)
        fprintf(stderr, "simcon plot: wrote %s/figures/ and %s/report.html\n",
                dir, dir);
    return SC_EXIT_OK;
}
