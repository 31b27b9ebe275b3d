/* simcon run SPEC [-o DIR] [--threads N] [--memory SIZE] [--resume]
 *                 [--quiet] [--plugin-dir DIR]
 *
 * Runs every analysis of an experiment spec into a result folder (see
 * runner.h for what is computed and written). Order: parse the spec (exit
 * 2 on any spec or usage error), check every input the way `simcon check`
 * does (all problems listed, exit 1), then run (exit 1 on failure). A
 * failure never leaves a partial result folder and never touches a
 * previous one. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "inputs.h"
#include "loader.h"
#include "runner.h"
#include "spec.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: simcon run SPEC [-o DIR] [--threads N] [--memory SIZE] "
            "[--resume] [--quiet]\n"
            "                  [--plugin-dir DIR]\n"
            "Computes similarity matrices, consistency, contrasts and "
            "behaviour analyses with\n"
            "p-values and CIs, and writes DIR (default results/<name>/): "
            "similarity/, *.csv,\n"
            "tables/*.csv|md|tex and manifest.json. --resume reuses "
            "similarity matrices cached\n"
            "in DIR/.cache (and in folders of interrupted runs). --threads "
            "and --memory override\n"
            "the spec's runtime section.\n");
}

int sc_cmd_run(int argc, char **argv)
{
    sc_run_opts opts;
    memset(&opts, 0, sizeof opts);
    const char *spec_path = NULL;
    sc_err err;
    sc_err_clear(&err);
    int rc = SC_OK;
    for (int i = 1; i < argc && rc == SC_OK; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SC_EXIT_OK;
        } else if (strcmp(a, "--resume") == 0) {
            opts.resume = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            opts.quiet = true;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) &&
                   val != NULL) {
            opts.out_dir = val;
            i++;
        } else if (strcmp(a, "--plugin-dir") == 0 && val != NULL) {
            opts.plugin_dir = val;
            i++;
        } else if (strcmp(a, "--threads") == 0 && val != NULL) {
            unsigned long n = 0;
            rc = sc_cli_parse_uint(a, val, &n, &err);
            if (rc == SC_OK && n > SC_SPEC_MAX_THREADS)
                rc = sc_err_set(&err, SC_EINVAL,
                                "--threads expects at most "
                                "%d, got '%s'",
                                SC_SPEC_MAX_THREADS, val);
            opts.threads = (unsigned)n;
            i++;
        } else if (strcmp(a, "--memory") == 0 && val != NULL) {
            rc = sc_cli_parse_bytes(a, val, &opts.memory, &err);
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = sc_err_set(&err, SC_EINVAL,
                            "unknown or incomplete option "
                            "'%s'; see 'simcon run --help'",
                            a);
        } else if (spec_path == NULL) {
            spec_path = a;
        } else {
            rc = sc_err_set(&err, SC_EINVAL,
                            "unexpected argument '%s'; give "
                            "one spec file",
                            a);
        }
    }
    if (rc == SC_OK && spec_path == NULL)
        rc = sc_err_set(&err, SC_EINVAL,
                        "no spec file given; usage: simcon "
                        "run SPEC [-o DIR] (see 'simcon run --help')");
    if (rc != SC_OK) {
        fprintf(stderr, "simcon run: %s\n", err.msg);
        return SC_EXIT_USAGE;
    }

    sc_spec spec;
    memset(&spec, 0, sizeof spec);
    rc = sc_spec_load(spec_path, &spec, &err);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon run: %s\n", err.msg);
        sc_spec_free(&spec);
        return rc == SC_ENOMEM ? SC_EXIT_FAIL : SC_EXIT_USAGE;
    }
    sc_inputs_report rep;
    memset(&rep, 0, sizeof rep);
    rc = sc_inputs_check(&spec, 0, &rep, &err);
    if (rc != SC_OK) {
        for (size_t i = 0; i < rep.nproblems; i++)
            fprintf(stderr, "simcon run: %s\n", rep.problems[i]);
        fprintf(stderr, "simcon run: %s\n", err.msg);
        sc_inputs_report_deinit(&rep);
        sc_spec_free(&spec);
        return SC_EXIT_FAIL;
    }
    sc_inputs_report_deinit(&rep);
    rc = sc_run(&spec, &opts, &err);
    if (rc != SC_OK)
        fprintf(stderr, "simcon run: %s\n", err.msg);
    sc_spec_free(&spec);
    sc_loader_shutdown();
    return rc == SC_OK ? SC_EXIT_OK : sc_exit_code(rc);
}
