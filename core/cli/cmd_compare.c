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
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "commands.h"
#include "mat.h"
#include "metric.h"
#include "npy.h"
#include "prep.h"
#include "progress.h"

static void usage(FILE *out)
{
    fputs(
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
        out);
}

int sc_cmd_compare(int argc, char **argv)
{
    const char *metric = "cka", *dir = NULL, *norm = "l2";
    unsigned vec = 0;
    int quiet = 0;
    const char *files[2];
    int nfiles = 0;
    unsigned flat = 0;
    sc_kvlist kv = {0};
    sc_err err;
    sc_err_clear(&err);
    int rc = SC_OK;
    for (int i = 1; i < argc && rc == SC_OK; i++) {
        const char *a = argv[i];
        int has_next = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            sc_kvlist_deinit(&kv);
            return SC_EXIT_OK;
        } else if (strcmp(a, "-m") == 0 && has_next) {
            metric = argv[++i];
        } else if (strcmp(a, "-p") == 0 && has_next) {
            rc = sc_kvlist_add(&kv, argv[++i], &err);
        } else if (strcmp(a, "--normalize") == 0 && has_next) {
            norm = argv[++i];
        } else if (strcmp(a, "--plugin-dir") == 0 && has_next) {
            dir = argv[++i];
        } else if (strcmp(a, "--allow-vector") == 0) {
            vec = SC_NPY_ALLOW_VECTOR;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--flatten") == 0) {
            flat = SC_NPY_FLATTEN;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = sc_err_set(&err, SC_EINVAL,
                            "unknown or incomplete option '%s'; see 'simcon "
                            "compare --help'",
                            a);
        } else if (nfiles < 2) {
            files[nfiles++] = a;
        } else {
            rc = sc_err_set(&err, SC_EINVAL,
                            "expected two .npy files, got a third: '%s'", a);
        }
    }
    if (rc == SC_OK && nfiles != 2)
        rc = sc_err_set(&err, SC_EINVAL,
                        "expected two .npy files (X and Y), got %d; see "
                        "'simcon compare --help'",
                        nfiles);
    int mode = 0;
    if (rc == SC_OK)
        rc = sc_norm_parse(norm, &mode, &err);
    const sc_plugin *p = NULL;
    sc_argset args = {0};
    if (rc == SC_OK)
        rc = sc_cli_metric(metric, &kv, dir, &p, &args, &err);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon compare: %s\n", err.msg);
        sc_kvlist_deinit(&kv);
        return SC_EXIT_USAGE;
    }

    sc_matrix x = {0}, y = {0};
    void *sx = NULL, *sy = NULL;
    double value = 0.0;
    /* Two prepares: seconds each at n = 10,000 (an n x n Gram). */
    sc_progress prog;
    sc_progress_init(&prog, "simcon compare", quiet);
    sc_progress_begin(&prog, 2, "prepare");
    rc = sc_npy_load_ex(files[0], vec | flat, &x, &err);
    if (rc == SC_OK)
        rc = sc_npy_load_ex(files[1], vec | flat, &y, &err);
    if (rc == SC_OK && x.rows != y.rows)
        rc = sc_err_set(&err, SC_EINVAL,
                        "%s has %zu rows but %s has %zu; rows must be the "
                        "same stimuli in the same order",
                        files[0], x.rows, files[1], y.rows);
    if (rc == SC_OK)
        rc = sc_prep_apply(&x, mode, files[0], &err);
    if (rc == SC_OK)
        rc = sc_prep_apply(&y, mode, files[1], &err);
    sc_mat vx = sc_matrix_view(&x), vy = sc_matrix_view(&y);
    if (rc == SC_OK &&
        (rc = sc_metric_prepare(p, &args.args, &vx, &sx, &err)) != SC_OK)
        sc_err_prefix(&err, "%s", files[0]);
    if (rc == SC_OK)
        sc_progress_step(&prog, 1);
    if (rc == SC_OK &&
        (rc = sc_metric_prepare(p, &args.args, &vy, &sy, &err)) != SC_OK)
        sc_err_prefix(&err, "%s", files[1]);
    if (rc == SC_OK)
        sc_progress_step(&prog, 1);
    sc_progress_deinit(&prog);
    if (rc == SC_OK)
        rc = sc_metric_compare(p, &args.args, sx, sy, &value, &err);
    char settings[768];
    sc_cli_settings(p, &args, mode, settings, sizeof settings);
    sc_metric_release(p, sx);
    sc_metric_release(p, sy);
    sc_matrix_deinit(&x);
    sc_matrix_deinit(&y);
    sc_argset_deinit(&args);
    sc_kvlist_deinit(&kv);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon compare: %s\n", err.msg);
        return rc == SC_EINVAL ? SC_EXIT_USAGE : SC_EXIT_FAIL;
    }
    if (!quiet)
        fprintf(stderr, "simcon compare: %s\n", settings);
    printf("%.17g\n", value);
    return SC_EXIT_OK;
}
