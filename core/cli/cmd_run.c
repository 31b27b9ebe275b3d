/* simcon run SPEC [-o DIR] [--threads N] [--memory SIZE] [--resume]
 *                 [--quiet] [--plugin-dir DIR] [--normalize MODE]
 *                 [--allow-vector] [--flatten] [--plan [--chunks K] | --task
 * ID]
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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "numtext.h"
#include "commands.h"
#include "inputs.h"
#include "loader.h"
#include "options.h"
#include "prep.h"
#include "run_plan.h"
#include "runner.h"
#include "spec.h"

/* What the command line asked for. */
typedef struct run_args {
    sc_run_opts opts;
    sc_data_overrides data;
    const char *spec_path, *task;
    bool plan;
    unsigned long chunks; /* --chunks; 0: from the estimate */
} run_args;

static int take_normalize(void *args, const char *opt, const char *val,
                          sc_err *err)
{
    (void)opt;
    run_args *ra = args;
    int mode = 0;
    ra->data.norm = val;
    return sc_norm_parse(val, &mode, err);
}

static int take_threads(void *args, const char *opt, const char *val,
                        sc_err *err)
{
    return sc_opts_threads(opt, val, &((run_args *)args)->opts.threads, err);
}

static int take_memory(void *args, const char *opt, const char *val,
                       sc_err *err)
{
    return sc_parse_memory(opt, val, &((run_args *)args)->opts.memory, err);
}

/* --chunks K: 1 .. 1000000. */
static int take_chunks(void *args, const char *opt, const char *val,
                       sc_err *err)
{
    run_args *ra = args;
    int rc = sc_parse_uint(opt, val, &ra->chunks, err);
    if (rc == SC_OK && (ra->chunks == 0 || ra->chunks > 1000000))
        rc = sc_err_set(err, SC_EINVAL, "%s expects 1 .. 1000000, got '%s'",
                        opt, val);
    return rc;
}

static int take_spec(void *args, const char *arg, sc_err *err)
{
    run_args *ra = args;
    if (ra->spec_path != NULL)
        return sc_err_set(err, SC_EINVAL,
                          "unexpected argument '%s'; give one spec file", arg);
    ra->spec_path = arg;
    return SC_OK;
}

static int check_run(void *args, sc_err *err)
{
    const run_args *ra = args;
    if (ra->spec_path == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "no spec file given; usage: simcon "
                          "run SPEC [-o DIR] (see 'simcon run --help')");
    if (ra->chunks > 0 && !ra->plan)
        return sc_err_set(err, SC_EINVAL,
                          "--chunks goes with --plan (the plan fixes the "
                          "statistics tasks)");
    if (ra->plan && ra->task != NULL)
        return sc_err_set(err, SC_EINVAL,
                          "--plan and --task exclude each other: make the "
                          "plan first, then run its tasks");
    return SC_OK;
}

static const sc_opt run_options[] = {
    SC_OPT_STRING_AT("-o|--out", "DIR", run_args, opts.out_dir),
    SC_OPT_CALLING("--threads", "N", take_threads),
    SC_OPT_CALLING("--memory", "SIZE", take_memory),
    SC_OPT_FLAG_AT("--resume", run_args, opts.resume),
    SC_OPT_STRING_AT("--plugin-dir", "DIR", run_args, opts.plugin_dir),
    SC_OPT_CALLING("--normalize", "MODE", take_normalize),
    SC_OPT_FLAG_AT("--allow-vector", run_args, data.allow_vector),
    SC_OPT_FLAG_AT("--flatten", run_args, data.flatten),
    SC_OPT_FLAG_AT("--plan", run_args, plan),
    SC_OPT_CALLING("--chunks", "K", take_chunks),
    SC_OPT_STRING_AT("--task", "ID", run_args, task),
    SC_OPT_FLAG_AT("--quiet|-q", run_args, opts.quiet),
};

static const sc_cmdline run_cmdline = {
    .name = "run",
    .usage =
        "usage: simcon run SPEC [-o DIR] [--threads N] [--memory SIZE] "
        "[--resume]\n"
        "                  [--quiet] [--plugin-dir DIR] [--normalize "
        "none|center|l2]\n"
        "                  [--allow-vector] [--flatten] [--plan [--chunks K] | "
        "--task ID]\n"
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
        "                    consistency/<c> per chunk of (metric, dataset "
        "pair),\n"
        "                    contrasts/<c> per chunk of (metric, contrast), "
        "behaviour/<c>\n"
        "                    per chunk of (metric, row), then assemble); see "
        "also\n"
        "                    'simcon slurm'\n"
        "  --chunks K        with --plan: K tasks per statistics stage (at "
        "most one per\n"
        "                    unit; default: chunks of about 30 CPU-minutes "
        "by\n"
        "                    'simcon check --estimate')\n"
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
    SC_OPTS_TABLE(run_options),
    .positional = take_spec,
    .unknown = "unknown or incomplete option",
    .see = "see",
    .check = check_run,
};

/* A plain run; finished tasks of a plan made for this spec are reused. */
static int run_all(const sc_spec *spec, sc_run_opts *opts, const char *work,
                   sc_err *err)
{
    bool plan_exists = false;
    if (sc_plan_matches(spec, opts->out_dir, &plan_exists)) {
        opts->task_dir = work;
        opts->resume = true;
        if (!opts->quiet)
            fprintf(stderr,
                    "simcon run: reusing finished tasks of the plan in %s\n",
                    work);
    } else if (plan_exists && !opts->quiet) {
        fprintf(stderr,
                "simcon run: ignoring %s/plan.txt: made for another "
                "version of %s\n",
                work, spec->path);
    }
    return sc_run(spec, opts, err);
}

/* --plan, --task ID or the whole run. */
static int execute(const sc_spec *spec, run_args *ra, sc_err *err)
{
    char default_out[1024], work[SC_PLAN_PATH_CAP];
    ra->opts.out_dir =
        sc_cli_out_dir(ra->opts.out_dir, spec, default_out, sizeof default_out);
    sc_plan_work_dir(ra->opts.out_dir, work, sizeof work);
    if (ra->task != NULL)
        return sc_plan_run_task(spec, &ra->opts, ra->task, err);
    if (!ra->plan)
        return run_all(spec, &ra->opts, work, err);
    sc_plan_layout lay;
    int rc = sc_plan_chunks(spec, ra->chunks, &lay, err);
    if (rc == SC_OK)
        rc = sc_plan_write(spec, ra->opts.out_dir, &lay, err);
    if (rc == SC_OK) {
        sc_plan_print(spec, &lay, stdout);
        if (!ra->opts.quiet)
            fprintf(stderr, "simcon run: wrote %s/plan.txt\n", work);
    }
    return rc;
}

int sc_cmd_run(int argc, char **argv)
{
    run_args ra;
    memset(&ra, 0, sizeof ra);
    int exit_status;
    if (!sc_opts_run(&run_cmdline, argc, argv, &ra, &exit_status))
        return exit_status;
    sc_spec spec;
    exit_status = sc_cli_open_spec("run", ra.spec_path, &ra.data, &spec);
    if (exit_status != SC_EXIT_OK)
        return exit_status;
    sc_err err;
    sc_err_clear(&err);
    int rc = execute(&spec, &ra, &err);
    if (rc != SC_OK)
        sc_cli_fail("run", &err, 0);
    sc_spec_free(&spec);
    sc_loader_shutdown();
    return sc_exit_code(rc);
}
