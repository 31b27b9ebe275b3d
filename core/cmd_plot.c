/* simcon plot RESULTS_DIR [--order spec|cluster] [--band ATTRIBUTE]
 *
 * Draws the figures of an existing result folder into RESULTS_DIR/figures/
 * and writes RESULTS_DIR/report.html (plot.h). `simcon run` does the same
 * at the end of a run; this command redraws with other options (model
 * order, band attribute) without recomputing anything. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "plot.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: simcon plot RESULTS_DIR [--order spec|cluster] "
            "[--band ATTRIBUTE]\n"
            "Writes RESULTS_DIR/figures/*.svg and RESULTS_DIR/report.html "
            "from the CSVs of simcon run.\n"
            "  --order   model order in similarity heatmaps: as in the spec "
            "(default) or\n"
            "            average-linkage clustering on 1 - mean similarity "
            "across datasets\n"
            "  --band    models.csv attribute that colours the category "
            "bands and selects\n"
            "            the category-pair consistency heatmaps (default: "
            "the first one)\n");
}

int sc_cmd_plot(int argc, char **argv)
{
    sc_plot_opts opts = {SC_PLOT_ORDER_SPEC, NULL};
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SC_EXIT_OK;
        }
        if (strcmp(a, "--order") == 0 || strcmp(a, "--band") == 0) {
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
    int rc = sc_plot_results(dir, &opts, &err);
    if (rc == SC_OK)
        rc = sc_report_write(dir, &err);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon plot: %s\n", err.msg);
        return rc == SC_EINVAL ? SC_EXIT_USAGE : SC_EXIT_FAIL;
    }
    return SC_EXIT_OK;
}
