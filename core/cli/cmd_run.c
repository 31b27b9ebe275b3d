/* simcon run SPEC [-o DIR] [--threads N] [--memory SIZE] [--resume]
 *                 [--quiet] [--plugin-dir DIR] [--normalize MODE]
 *                 [--allow-vector] [--flatten] [--plan | --task ID]
 *
 * Runs every analysis of an experiment spec into a result folder (see
 * runner.h for what is computed and written). Order: parse the spec (exit
 * 2 on any spec or usage error), check every input the way `simcon check`
 * does (all problems listed, exit 1), then run (exit 1 on failure). A
 * failure never leaves a partial result folder and never touches a
 * previous one. --normalize and --allow-vector override the spec's
 * data.normalize / data.allow_vector (the same option names as compare and
 * matrix); the manifest records what was used. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "numtext.h"
#include "commands.h"
#include "inputs.h"
#include "loader.h"
#include "prep.h"
#include "run_plan.h"
#include "runner.h"
#include "spec.h"

static void usage(FILE *out)
{
    fputs(
        "usage: simcon run SPEC [-o DIR] [--threads N] [--memory SIZE] "
        "[--resume]\n"
        "                  [--quiet] [--plugin-dir DIR] [--normalize "
        "none|center|l2]\n"
        "                  [--allow-vector] [--flatten] [--plan | --task ID]\n"
        "Runs every analysis of the experiment spec: similarity matrices, "
        "consistency,\n"
        "contrasts and behaviour with p-values and CIs, tables, figures, "
        "report.\n"
        "Writes DIR (default: results/<spec name>/, relative to the current\n"
        "directory): similarity/<dataset>/<metric>.csv, consistency.csv,\n"
        "contrasts.csv, behaviour.csv, tables/*.csv|md|tex, figures/*.svg,\n"
        "manifest.json (normalize, metric parameters and precision, seeds,\n"
        "checksums) and report.html. DIR appears only when everything "
        "succeeded; a\n"
        "previous result of the same spec is replaced. Input paths inside the "
        "spec\n"
        "are relative to the spec file's folder.\n"
        "  -o DIR            result folder (default: results/<spec name>/)\n"
        "  --threads N       worker threads (default: runtime.threads, else "
        "1)\n"
        "  --memory SIZE     memory budget, e.g. 8G (default: runtime.memory, "
        "else\n"
        "                    half of RAM)\n"
        "  --resume          reuse similarity matrices cached in DIR/.cache "
        "and in\n"
        "                    folders of interrupted runs (default: recompute)\n"
        "  --plugin-dir DIR  plugin folder (default: runtime.plugin_dir, else "
        "the\n"
        "                    search path)\n"
        "  --normalize MODE  override data.normalize (default: the spec's, "
        "whose\n"
        "                    default is l2, as in compare and matrix)\n"
        "  --allow-vector    read 1-D feature files (n,) as n x 1 (default:\n"
        "                    data.allow_vector, whose default is false: "
        "refused)\n"
        "  --plan            split the run into tasks for separate processes "
        "or\n"
        "                    nodes sharing DIR's filesystem: write "
        "DIR.tasks/plan.txt\n"
        "                    and list the tasks (similarity/<i> per "
        "(dataset, metric),\n"
        "                    then assemble); see also 'simcon slurm'\n"
        "  --task ID         run one task of the plan (refused if SPEC "
        "changed since);\n"
        "                    a finished task is not redone. Once a plan "
        "exists, a plain\n"
        "                    run reuses its finished tasks\n"
        "  --quiet           nothing on stderr but errors (default: progress "
        "with an\n"
        "                    ETA when stderr is a terminal, notes such as "
        "reused\n"
        "                    caches, then the folder written)\n",
        out);
}

int sc_cmd_run(int argc, char **argv)
{
    sc_run_opts opts;
    memset(&opts, 0, sizeof opts);
    const char *spec_path = NULL, *norm = NULL, *task = NULL;
    bool plan = false;
    bool allow_vector = false;
    int flatten = 0;
    sc_err err;
    sc_err_clear(&err);
    int rc = SC_OK;
    for (int i = 1; i < argc && rc == SC_OK; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SC_EXIT_OK;
        } else if (strcmp(a, "--plan") == 0) {
            plan = true;
        } else if (strcmp(a, "--task") == 0 && val != NULL) {
            task = val;
            i++;
        } else if (strcmp(a, "--resume") == 0) {
            opts.resume = true;
        } else if (strcmp(a, "--flatten") == 0) {
            flatten = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            opts.quiet = true;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) &&
                   val != NULL) {
            opts.out_dir = val;
            i++;
        } else if (strcmp(a, "--normalize") == 0 && val != NULL) {
            int mode = 0;
            rc = sc_norm_parse(val, &mode, &err);
            norm = val;
            i++;
        } else if (strcmp(a, "--allow-vector") == 0) {
            allow_vector = true;
        } else if (strcmp(a, "--plugin-dir") == 0 && val != NULL) {
            opts.plugin_dir = val;
            i++;
        } else if (strcmp(a, "--threads") == 0 && val != NULL) {
            unsigned long n = 0;
            rc = sc_parse_uint(a, val, &n, &err);
            if (rc == SC_OK && n > SC_SPEC_MAX_THREADS)
                rc = sc_err_set(&err, SC_EINVAL,
                                "--threads expects at most "
                                "%d, got '%s'",
                                SC_SPEC_MAX_THREADS, val);
            opts.threads = (unsigned)n;
            i++;
        } else if (strcmp(a, "--memory") == 0 && val != NULL) {
            rc = sc_parse_memory(a, val, &opts.memory, &err);
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
    if (rc == SC_OK && plan && task != NULL)
        rc = sc_err_set(&err, SC_EINVAL,
                        "--plan and --task exclude each other: make the "
                        "plan first, then run its tasks");
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
    if (norm != NULL)
        sc_norm_parse(norm, &spec.normalize, &err); /* checked above */
    if (allow_vector)
        spec.allow_vector = true;
    if (flatten)
        spec.flatten = 1;
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
    char default_out[1024];
    if (opts.out_dir == NULL) {
        snprintf(default_out, sizeof default_out, "results/%s", spec.name);
        opts.out_dir = default_out;
    }
    char work[SC_PLAN_PATH_CAP];
    sc_plan_work_dir(opts.out_dir, work, sizeof work);
    bool plan_exists = false;
    if (plan) {
        rc = sc_plan_write(&spec, opts.out_dir, &err);
        if (rc == SC_OK) {
            sc_plan_print(&spec, stdout);
            if (!opts.quiet)
                fprintf(stderr, "simcon run: wrote %s/plan.txt\n", work);
        }
    } else if (task != NULL) {
        rc = sc_plan_run_task(&spec, &opts, task, &err);
    } else {
        /* A plan of this spec: its finished tasks are reused. */
        if (sc_plan_matches(&spec, opts.out_dir, &plan_exists)) {
            opts.task_dir = work;
            opts.resume = true;
            if (!opts.quiet)
                fprintf(stderr,
                        "simcon run: reusing finished tasks of the plan in "
                        "%s\n",
                        work);
        } else if (plan_exists && !opts.quiet) {
            fprintf(stderr,
                    "simcon run: ignoring %s/plan.txt: made for another "
                    "version of %s\n",
                    work, spec.path);
        }
        rc = sc_run(&spec, &opts, &err);
    }
    if (rc != SC_OK)
        fprintf(stderr, "simcon run: %s\n", err.msg);
    sc_spec_free(&spec);
    sc_loader_shutdown();
    return rc == SC_OK ? SC_EXIT_OK : sc_exit_code(rc);
}
