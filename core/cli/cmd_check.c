/* simcon check SPEC [--plugin-dir DIR] [--quick] [--list-inputs] [--quiet]
 *                   [--no-load] [--flatten] [--estimate]
 *
 * Validates an experiment without computing anything: the spec itself
 * (core/io/spec.c), every metric plugin and its parameters (the loader's
 * schema check, with errors pointing at the spec's params), and every input
 * file (core/io/inputs.c: all feature files at once, row counts, ids, NaN/Inf,
 * the behaviour table), then the constraints that depend on the data
 * (a metric's min_rows, a neighbour count k < n: errors, since `run` would
 * fail) and the statistics forecast (core/stats/check_plan.h: "stats: ..."
 * lines per table and correction family, warnings for what `run` would leave NA
 * or could never find significant). Prints
 *     ok: N models x D datasets x K metrics, n = ... stimuli
 * on success. Exit status: 0 ok, 2 spec or usage error (including an
 * unknown plugin or parameter), 1 input data errors. Writes nothing.
 *
 * --quick skips reading the feature values (NaN/Inf scan); headers are
 * always checked. --list-inputs prints, after a successful check and
 * instead of the ok line, every input file (features, ids, behaviour
 * table) one per line: Makefile.experiments turns that into dependencies
 * so a changed feature file reruns its experiment (an .npz member is
 * listed as its archive). The value scan reads every feature file
 * (minutes at the paper's scale) and shows progress on a terminal
 * (core/base/progress.h) unless --quiet.
 *
 * --no-load finds each metric's plugin file but does not dlopen it, so no
 * plugin code runs (loading runs the library's constructors and its entry
 * point); parameters are then not checked against the plugin's schema.
 * Use it on a spec you do not trust (docs/SECURITY.md). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check_plan.h"
#include "params.h"
#include "commands.h"
#include "inputs.h"
#include "loader.h"
#include "npz.h"
#include "progress.h"
#include "run_plan.h"
#include "spec.h"
#include "spec_check.h"

static void usage(FILE *out)
{
    fputs(
        "usage: simcon check SPEC [--plugin-dir DIR] [--quick] "
        "[--list-inputs] [--quiet]\n"
        "                    [--no-load] [--flatten] [--estimate]\n"
        "Validates an experiment spec and its inputs without computing: keys "
        "and\n"
        "values, metric plugins and parameters, every feature file (all "
        "missing ones\n"
        "are listed), row counts, 1-D files (refused unless "
        "data.allow_vector: true),\n"
        "ids files and the behaviour table. SPEC is relative to the current\n"
        "directory; input paths inside it are relative to the spec file's "
        "folder.\n"
        "Then forecasts the statistics of `simcon run`: per result table and\n"
        "correction family, the number of tests and the smallest possible p "
        "and q\n"
        "('stats:' lines on stdout), with warnings on stderr for rows that "
        "will be\n"
        "NA (small categories, one dataset) or can never be significant "
        "(smallest\n"
        "q > 0.05); a metric that needs more stimuli than a dataset has "
        "(min rows,\n"
        "k >= n) is an error.\n"
        "Writes no files; prints 'ok: ...' on stdout (default), or with "
        "--list-inputs\n"
        "every input file, one per line (for make dependencies).\n"
        "  --plugin-dir DIR  plugin folder (default: runtime.plugin_dir, "
        "else the\n"
        "                    search path)\n"
        "  --quick           read .npy headers only (default: also scan "
        "every value\n"
        "                    for NaN/Inf)\n"
        "  --quiet           no progress (default: progress with an ETA when "
        "stderr\n"
        "                    is a terminal, while the values are scanned)\n"
        "  --estimate        also print the memory of each task of a "
        "cluster run\n"
        "                    (simcon slurm) and of the spill file (default: "
        "only ok)\n"
        "  --no-load         find the plugins without loading them: no plugin "
        "code\n"
        "                    runs and parameters are not checked (for specs "
        "you\n"
        "                    do not trust; default: load and check them)\n"
        "  --flatten         read N-D features (n x c x h x w) as n x "
        "(c*h*w),\n"
        "                    each stimulus row-major (default: "
        "data.flatten, else\n"
        "                    refused)\n"
        "Exit status: 0 ok, 2 spec or usage error, 1 data error.\n",
        out);
}

/* --estimate: memory per task of a run split into tasks (core/run/run_plan.h),
 * the spill file, and the task count. */
static int print_estimate(const sc_spec *spec, sc_err *err)
{
    unsigned threads = spec->threads > 0 ? spec->threads : 1;
    size_t sim = 0, asmb = 0, embed = 0;
    int st = sc_plan_estimate(spec, threads, spec->memory, &sim, &asmb, err);
    if (st == SC_OK)
        st = sc_plan_embed_bytes(spec, &embed, err);
    if (st != SC_OK)
        return st;
    const double mib = 1024.0 * 1024.0;
    size_t spill = 0;
    if (spec->memory > 0 && embed > spec->memory)
        spill = embed - spec->memory;
    printf("estimate: %zu similarity task(s) (dataset x metric), each about "
           "%.0f MiB with %u thread(s); embedding matrix up to %.0f MiB, "
           "%.0f MiB of it spilled to a file past runtime.memory; assemble "
           "about %.0f MiB\n",
           sc_plan_nsim(spec), (double)sim / mib, threads, (double)embed / mib,
           (double)spill / mib, (double)asmb / mib);
    return SC_OK;
}

/* Every input file of the spec, one per line, in spec order. */
static int list_inputs(const sc_spec *spec, sc_err *err)
{
    char path[4096];
    for (size_t d = 0; d < spec->ndatasets; d++) {
        for (size_t m = 0; m < spec->nmodels; m++) {
            int rc = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                                  spec->models[m].name, path, sizeof path, err);
            char file[4096]; /* the archive of an .npz member (npz.h) */
            if (rc == SC_OK)
                rc = sc_npz_file(path, file, sizeof file, err);
            if (rc != SC_OK)
                return rc;
            printf("%s\n", file);
        }
        bool per_model = spec->ids != NULL && strstr(spec->ids, "{model}");
        for (size_t m = 0;
             spec->ids != NULL && m < (per_model ? spec->nmodels : 1); m++) {
            int rc = sc_spec_path(spec, spec->ids, spec->datasets[d].name,
                                  per_model ? spec->models[m].name : NULL, path,
                                  sizeof path, err);
            if (rc != SC_OK)
                return rc;
            printf("%s\n", path);
        }
    }
    if (spec->behaviour_accuracy != NULL)
        printf("%s\n", spec->behaviour_accuracy);
    return SC_OK;
}

int sc_cmd_check(int argc, char **argv)
{
    const char *path = NULL, *dir = NULL;
    unsigned flags = SC_INPUTS_SCAN_VALUES;
    int list = 0, load = 1, flatten = 0;
    bool quiet = false, estimate = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SC_EXIT_OK;
        } else if (strcmp(a, "--plugin-dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(a, "--list-inputs") == 0) {
            list = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (strcmp(a, "--no-load") == 0) {
            load = 0;
        } else if (strcmp(a, "--flatten") == 0) {
            flatten = 1;
        } else if (strcmp(a, "--estimate") == 0) {
            estimate = true;
        } else if (strcmp(a, "--quick") == 0) {
            flags &= ~SC_INPUTS_SCAN_VALUES;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr,
                    "simcon check: unknown or incomplete option '%s'; see "
                    "'simcon check --help'\n",
                    a);
            return SC_EXIT_USAGE;
        } else if (path == NULL) {
            path = a;
        } else {
            fprintf(stderr,
                    "simcon check: expected one spec file, got a second: "
                    "'%s'\n",
                    a);
            return SC_EXIT_USAGE;
        }
    }
    if (path == NULL) {
        usage(stderr);
        return SC_EXIT_USAGE;
    }
    sc_err err;
    sc_err_clear(&err);
    sc_spec spec;
    int rc = sc_spec_load(path, &spec, &err);
    if (rc != SC_OK) {
        /* Any failure to read the spec is a problem with the argument. */
        fprintf(stderr, "simcon check: %s\n", err.msg);
        return rc == SC_ENOMEM ? SC_EXIT_FAIL : SC_EXIT_USAGE;
    }
    if (flatten)
        spec.flatten = 1;
    const char *pdir = dir ? dir : spec.plugin_dir;
    for (size_t k = 0; k < spec.nmetrics && rc == SC_OK; k++)
        rc = sc_check_metric(&spec, k, pdir, load, &err);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon check: %s\n", err.msg);
        sc_spec_free(&spec);
        sc_loader_shutdown();
        /* Unknown plugins and bad parameters are spec errors; a plugin
         * that exists but is broken (ABI) is not the spec's fault. */
        return rc == SC_EABI || rc == SC_ENOMEM ? SC_EXIT_FAIL : SC_EXIT_USAGE;
    }
    sc_inputs_report rep;
    sc_progress prog;
    sc_progress_init(&prog, "simcon check", quiet);
    rc = sc_inputs_check_progress(&spec, flags, &prog, &rep, &err);
    sc_progress_deinit(&prog);
    if (rc != SC_OK) {
        for (size_t i = 0; i < rep.nproblems; i++)
            fprintf(stderr, "simcon check: %s\n", rep.problems[i]);
        fprintf(stderr, "simcon check: %s\n", err.msg);
        sc_inputs_report_deinit(&rep);
        sc_spec_free(&spec);
        sc_loader_shutdown();
        return SC_EXIT_FAIL;
    }
    if (list) {
        rc = list_inputs(&spec, &err);
        if (rc != SC_OK)
            fprintf(stderr, "simcon check: %s\n", err.msg);
        sc_inputs_report_deinit(&rep);
        sc_spec_free(&spec);
        sc_loader_shutdown();
        return rc == SC_OK ? SC_EXIT_OK : SC_EXIT_FAIL;
    }
    /* Constraints of a metric that depend on the data: the descriptor's
     * min_rows (the host refuses fewer stimuli) and a neighbour count k,
     * which every bundled neighbour metric (knn, cknna) needs below the
     * number of stimuli. Both make `run` fail, so they are errors here. */
    for (size_t k = 0; load && k < spec.nmetrics && rc == SC_OK; k++)
        rc = sc_check_metric_rows(&spec, k, pdir, rep.rows, &err);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon check: %s\n", err.msg);
        sc_inputs_report_deinit(&rep);
        sc_spec_free(&spec);
        sc_loader_shutdown();
        return SC_EXIT_USAGE;
    }
    sc_check_plan(&spec, stdout, stderr);
    char line[256];
    sc_check_summary(&spec, &rep, load, line, sizeof line);
    printf("%s\n", line);
    rc = estimate ? print_estimate(&spec, &err) : SC_OK;
    if (rc != SC_OK)
        fprintf(stderr, "simcon check: %s\n", err.msg);
    sc_inputs_report_deinit(&rep);
    sc_spec_free(&spec);
    sc_loader_shutdown();
    return rc == SC_OK ? SC_EXIT_OK : SC_EXIT_FAIL;
}
