/* simcon compare [-m METRIC] [-p KEY=VALUE]... [--normalize none|center|l2]
 *                [--plugin-dir DIR] [--allow-vector] [--flatten] [--quiet]
 *                X.npy Y.npy
 * Prints the similarity of two representations of the same stimuli as one
 * number (%.17g) on stdout, and on stderr one line saying what it was
 * computed with (metric, parameters, normalisation, precision), after
 * progress over the two prepares on a terminal; --quiet drops both.
 * Defaults: metric cka with its default parameters, rows L2-normalised
 * (the paper's preprocessing, the spec default of `simcon run` and the
 * default of `simcon matrix`, so the three agree). --flatten reads N-D
 * arrays as n x (product of the rest), row-major (npy.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "commands.h"
#include "mat.h"
#include "metric.h"
#include "npy.h"
#include "options.h"
#include "prep.h"
#include "progress.h"

/* What the command line asked for. */
typedef struct compare_args {
    sc_metric_args m; /* first: sc_cli_take_param */
    const char *files[2];
    int nfiles;
} compare_args;

static int take_file(void *args, const char *arg, sc_err *err)
{
    compare_args *ca = args;
    if (ca->nfiles == 2)
        return sc_err_set(err, SC_EINVAL,
                          "expected two .npy files, got a third: '%s'", arg);
    ca->files[ca->nfiles++] = arg;
    return SC_OK;
}

static int check_compare(void *args, sc_err *err)
{
    int nfiles = ((compare_args *)args)->nfiles;
    if (nfiles == 2)
        return SC_OK;
    return sc_err_set(err, SC_EINVAL,
                      "expected two .npy files (X and Y), got %d; see "
                      "'simcon compare --help'",
                      nfiles);
}

static const sc_opt compare_options[] = {
    SC_OPT_STRING_AT("-m", "METRIC", compare_args, m.metric),
    SC_OPT_CALLING("-p", "KEY=VALUE", sc_cli_take_param),
    SC_OPT_STRING_AT("--normalize", "MODE", compare_args, m.norm),
    SC_OPT_STRING_AT("--plugin-dir", "DIR", compare_args, m.plugin_dir),
    SC_OPT_FLAG_AT("--allow-vector", compare_args, m.allow_vector),
    SC_OPT_FLAG_AT("--flatten", compare_args, m.flatten),
    SC_OPT_FLAG_AT("--quiet|-q", compare_args, m.quiet),
};

static const sc_cmdline compare_cmdline = {
    .name = "compare",
    .usage =
        "usage: simcon compare [-m METRIC] [-p KEY=VALUE]... [--normalize "
        "none|center|l2]\n"
        "                      [--plugin-dir DIR] [--allow-vector] [--flatten] "
        "[--quiet]\n"
        "                      X.npy Y.npy\n"
        "Prints the similarity of X and Y (.npy files whose rows are the "
        "same stimuli\n"
        "in the same order) as one number on stdout. Writes no files.\n"
        "Paths are relative to the current directory.\n"
        "  -m METRIC         metric plugin (default: cka, unbiased linear "
        "CKA);\n"
        "                    'simcon plugins' lists metrics, parameters, "
        "defaults\n"
        "  -p KEY=VALUE      metric parameter, repeatable (default: the "
        "plugin's)\n"
        "  --normalize MODE  row preprocessing: l2 (default: every row to "
        "unit\n"
        "                    length, as in the paper, 'simcon matrix' and "
        "'simcon\n"
        "                    run'), center (subtract column means) or none\n"
        "  --plugin-dir DIR  also look for plugins in DIR (default: only\n"
        "                    $SIMCON_PLUGIN_PATH, the build tree, the "
        "install folder)\n"
        "  --allow-vector    read a 1-D array (n,) as n x 1 (default: "
        "refused; a\n"
        "                    1-D file is usually labels or ids)\n"
        "  --flatten         read N-D arrays (n x c x h x w) as n x (c*h*w), "
        "each\n"
        "                    stimulus row-major (default: refused)\n"
        "  --quiet           nothing on stderr but errors (default: progress "
        "with an\n"
        "                    ETA when stderr is a terminal, then one line "
        "naming the\n"
        "                    metric, its parameters, normalize and "
        "precision)\n",
    SC_OPTS_TABLE(compare_options),
    .positional = take_file,
    .unknown = "unknown or incomplete option",
    .see = "see",
    .check = check_compare,
};

/* The metric's prepared state of x; errors name the file. */
static int prepare(const sc_plugin *p, const sc_argset *args, const char *file,
                   const sc_matrix *x, void **state, sc_progress *prog,
                   sc_err *err)
{
    sc_mat v = sc_matrix_view(x);
    int rc = sc_metric_prepare(p, &args->args, &v, state, err);
    if (rc != SC_OK) {
        sc_err_prefix(err, "%s", file);
        return rc;
    }
    sc_progress_step(prog, 1);
    return SC_OK;
}

static int compute(const compare_args *ca, int mode, const sc_plugin *p,
                   const sc_argset *args, double *value, sc_err *err)
{
    const char *const *files = ca->files;
    unsigned flags = sc_cli_npy_flags(&ca->m);
    sc_matrix x = {0}, y = {0};
    void *sx = NULL, *sy = NULL;
    /* Two prepares: seconds each at n = 10,000 (an n x n Gram). */
    sc_progress prog;
    sc_progress_init(&prog, "simcon compare", ca->m.quiet);
    sc_progress_begin(&prog, 2, "prepare");
    int rc = sc_npy_load_ex(files[0], flags, &x, err);
    if (rc == SC_OK)
        rc = sc_npy_load_ex(files[1], flags, &y, err);
    if (rc == SC_OK && x.rows != y.rows)
        rc = sc_err_set(err, SC_EINVAL,
                        "%s has %zu rows but %s has %zu; rows must be the "
                        "same stimuli in the same order",
                        files[0], x.rows, files[1], y.rows);
    if (rc == SC_OK)
        rc = sc_prep_apply(&x, mode, files[0], err);
    if (rc == SC_OK)
        rc = sc_prep_apply(&y, mode, files[1], err);
    if (rc == SC_OK)
        rc = prepare(p, args, files[0], &x, &sx, &prog, err);
    if (rc == SC_OK)
        rc = prepare(p, args, files[1], &y, &sy, &prog, err);
    sc_progress_deinit(&prog);
    if (rc == SC_OK)
        rc = sc_metric_compare(p, &args->args, sx, sy, value, err);
    sc_metric_release(p, sx);
    sc_metric_release(p, sy);
    sc_matrix_deinit(&x);
    sc_matrix_deinit(&y);
    return rc;
}

/* What it was computed with (stderr), then the value (stdout). */
static void report(const compare_args *ca, int mode, const sc_plugin *p,
                   const sc_argset *args, double value)
{
    char settings[768];
    sc_cli_settings(p, args, mode, settings, sizeof settings);
    if (!ca->m.quiet)
        fprintf(stderr, "simcon compare: %s\n", settings);
    printf("%.17g\n", value);
}

int sc_cmd_compare(int argc, char **argv)
{
    compare_args ca = {
        {"cka", NULL, "l2", {0}, false, false, false}, {NULL, NULL}, 0};
    int exit_status;
    if (!sc_opts_run(&compare_cmdline, argc, argv, &ca, &exit_status)) {
        sc_kvlist_deinit(&ca.m.kv);
        return exit_status;
    }
    const sc_plugin *p = NULL;
    sc_argset args = {0};
    int mode = 0;
    sc_err err;
    sc_err_clear(&err);
    /* Before computing, every failure is a usage error. */
    exit_status = SC_EXIT_USAGE;
    int rc = sc_cli_resolve_metric(&ca.m, false, &mode, &p, &args, &err);
    double value = 0.0;
    if (rc == SC_OK) {
        rc = compute(&ca, mode, p, &args, &value, &err);
        exit_status = rc == SC_EINVAL ? SC_EXIT_USAGE : SC_EXIT_FAIL;
    }
    if (rc == SC_OK) {
        exit_status = SC_EXIT_OK;
        report(&ca, mode, p, &args, value);
    } else {
        sc_cli_fail("compare", &err, 0);
    }
    sc_argset_deinit(&args);
    sc_kvlist_deinit(&ca.m.kv);
    return exit_status;
}
