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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "atomic.h"
#include "commands.h"
#include "options.h"
#include "plot.h"
#include "progress.h"

/* What the command line asked for. */
typedef struct plot_args {
    sc_plot_opts opts;
    const char *dir;
    bool quiet;
} plot_args;

static int take_format(void *args, const char *opt, const char *val,
                       sc_err *err)
{
    (void)opt;
    char bad[64];
    if (sc_plot_parse_formats(val, &((plot_args *)args)->opts.formats, bad,
                              sizeof bad) != SC_OK)
        return sc_err_set(err, SC_EINVAL,
                          "--format: unknown format '%s'; use svg, pdf and "
                          "png, comma-separated",
                          bad);
    return SC_OK;
}

static int take_order(void *args, const char *opt, const char *val, sc_err *err)
{
    (void)opt;
    sc_plot_opts *po = &((plot_args *)args)->opts;
    if (strcmp(val, "spec") == 0)
        po->order = SC_PLOT_ORDER_SPEC;
    else if (strcmp(val, "cluster") == 0)
        po->order = SC_PLOT_ORDER_CLUSTER;
    else
        return sc_err_set(err, SC_EINVAL,
                          "--order expects spec or cluster, got '%s'", val);
    return SC_OK;
}

static int take_dir(void *args, const char *arg, sc_err *err)
{
    plot_args *pa = args;
    if (pa->dir != NULL)
        return sc_err_set(err, SC_EINVAL,
                          "one RESULTS_DIR expected, got '%s' and '%s'",
                          pa->dir, arg);
    pa->dir = arg;
    return SC_OK;
}

/* RESULTS_DIR is required: without it, the usage. */
static int check_plot(void *args, sc_err *err)
{
    (void)err;
    return ((plot_args *)args)->dir == NULL ? SC_OPTS_USAGE : SC_OK;
}

static const sc_opt plot_options[] = {
    SC_OPT_CALLING("--order", "ORDER", take_order),
    SC_OPT_STRING_AT("--band", "ATTRIBUTE", plot_args, opts.band),
    {"--format", "LIST", SC_OPT_CALL, 0, take_format,
     "--format needs a value, e.g. svg,pdf,png"},
    SC_OPT_FLAG_AT("--quiet|-q", plot_args, quiet),
};

static const sc_cmdline plot_cmdline = {
    .name = "plot",
    .usage =
        "usage: simcon plot RESULTS_DIR [--order spec|cluster] [--band "
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
    SC_OPTS_TABLE(plot_options),
    .positional = take_dir,
    .unknown = "unknown option",
    .see = "run",
    .needs_value = true,
    .dash_is_option = true,
    .check = check_plot,
};

/* Figures and report. The same lock as `simcon run` on DIR: a plot never
 * mixes with a run (or another plot) writing the same folder. */
static int draw(const plot_args *pa, sc_err *err)
{
    sc_plot_opts opts = pa->opts;
    sc_progress prog;
    sc_progress_init(&prog, "simcon plot", pa->quiet);
    opts.progress = &prog;
    sc_lock lock;
    int rc = sc_lock_acquire(&lock, pa->dir, err);
    if (rc == SC_OK) {
        rc = sc_plot_results(pa->dir, &opts, err);
        if (rc == SC_OK)
            rc = sc_report_write(pa->dir, err);
        sc_lock_release(&lock);
    }
    sc_progress_deinit(&prog);
    return rc;
}

int sc_cmd_plot(int argc, char **argv)
{
    plot_args pa = {{SC_PLOT_ORDER_SPEC, NULL, NULL, 0}, NULL, false};
    int exit_status;
    if (!sc_opts_run(&plot_cmdline, argc, argv, &pa, &exit_status))
        return exit_status;
    sc_err err;
    sc_err_clear(&err);
    int rc = draw(&pa, &err);
    if (rc != SC_OK)
        return sc_cli_fail("plot", &err,
                           rc == SC_EINVAL ? SC_EXIT_USAGE : SC_EXIT_FAIL);
    if (!pa.quiet)
        fprintf(stderr, "simcon plot: wrote %s/figures/ and %s/report.html\n",
                pa.dir, pa.dir);
    return SC_EXIT_OK;
}
