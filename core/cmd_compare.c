/* simcon compare [-m METRIC] [-p KEY=VALUE]... [--normalize none|center|l2]
 *                [--plugin-dir DIR] X.npy Y.npy
 * Prints the similarity of two representations of the same stimuli as one
 * number (%.17g). Defaults: metric cka with its default parameters, no
 * normalisation. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "mat.h"
#include "metric.h"
#include "npy.h"
#include "prep.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: simcon compare [-m METRIC] [-p KEY=VALUE]... "
                 "[--normalize none|center|l2]\n"
                 "                      [--plugin-dir DIR] X.npy Y.npy\n"
                 "Prints the similarity of X and Y (rows = the same stimuli in "
                 "the same order).\n"
                 "Default metric: cka (unbiased linear CKA). 'simcon plugins' "
                 "lists metrics and parameters.\n");
}

int sc_cmd_compare(int argc, char **argv)
{
    const char *metric = "cka", *dir = NULL, *norm = "none";
    const char *files[2];
    int nfiles = 0;
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
    rc = sc_npy_load(files[0], &x, &err);
    if (rc == SC_OK)
        rc = sc_npy_load(files[1], &y, &err);
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
    if (rc == SC_OK &&
        (rc = sc_metric_prepare(p, &args.args, &vy, &sy, &err)) != SC_OK)
        sc_err_prefix(&err, "%s", files[1]);
    if (rc == SC_OK)
        rc = sc_metric_compare(p, &args.args, sx, sy, &value, &err);
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
    printf("%.17g\n", value);
    return SC_EXIT_OK;
}
