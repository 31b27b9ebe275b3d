/* simcon check SPEC [--plugin-dir DIR] [--quick] [--list-inputs] [--quiet]
 *                   [--no-load] [--flatten] [--estimate] [--memory SIZE]
 *                   [--threads N]
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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check_plan.h"
#include "params.h"
#include "commands.h"
#include "inputs.h"
#include "loader.h"
#include "npz.h"
#include "numtext.h"
#include "options.h"
#include "progress.h"
#include "run_plan.h"
#include "simmat.h"
#include "spec.h"
#include "spec_check.h"

/* --estimate's CPU-hours (sc_plan_cpu_estimate) and wall hours with
 * `threads` workers (sc_plan_wall) per stage. */
static int print_cpu(const sc_spec *spec, unsigned threads, sc_err *err)
{
    sc_plan_cpu cpu;
    int st = sc_plan_cpu_estimate(spec, &cpu, err);
    if (st != SC_OK)
        return st;
    const double h = 3600.0;
    printf("estimate: CPU-hours at rates measured on a 2-core AMD EPYC "
           "(README, check --estimate): similarity %.3g (largest task %.3g), "
           "consistency %.3g, contrasts %.3g, behaviour %.3g, assemble %.3g; "
           "total %.3g\n",
           cpu.similarity / h, cpu.similarity_task / h, cpu.consistency / h,
           cpu.contrasts / h, cpu.behaviour / h, cpu.assemble / h,
           (cpu.similarity + cpu.consistency + cpu.contrasts + cpu.behaviour +
            cpu.assemble) /
               h);
    sc_plan_cpu w;
    sc_plan_wall(&cpu, threads, spec->nmodels, &w);
    printf("estimate: wall hours with %u thread(s) on an idle machine of "
           "this class (2-core AMD EPYC, AVX-512; at least: spill I/O and "
           "other load come on top): similarity %.3g, consistency %.3g, "
           "contrasts %.3g, behaviour %.3g, assemble %.3g; total %.3g\n",
           threads, w.similarity / h, w.consistency / h, w.contrasts / h,
           w.behaviour / h, w.assemble / h,
           (w.similarity + w.consistency + w.contrasts + w.behaviour +
            w.assemble) /
               h);
    return SC_OK;
}

/* --estimate: memory per task of a run split into tasks (core/run/run_plan.h),
 * the spill file and the similarity stage's passes as `simcon run` with
 * this budget (--memory, else runtime.memory, else half of RAM) will do
 * them, and the task count. A spill that cannot fit fails, as the run
 * would. */
static int print_estimate(const sc_spec *spec, size_t memory,
                          unsigned threads_opt, bool load,
                          const char *plugin_dir, sc_err *err)
{
    unsigned threads = threads_opt > 0     ? threads_opt
                       : spec->threads > 0 ? spec->threads
                                           : 1;
    size_t budget = memory > 0         ? memory
                    : spec->memory > 0 ? spec->memory
                                       : sc_simmat_default_budget();
    size_t sim = 0, asmb = 0, embed = 0, reserve = 0;
    int st = sc_plan_estimate(spec, threads, budget, &sim, &asmb, err);
    if (st == SC_OK)
        st = sc_plan_embed_bytes(spec, &embed, err);
    if (st == SC_OK)
        st = sc_plan_reserve_max(spec, threads, &reserve, err);
    if (st != SC_OK)
        return st;
    const double mib = 1024.0 * 1024.0;
    size_t spill = embed > sc_plan_e_room(budget, reserve) ? embed : 0;
    printf("estimate: %zu similarity task(s) (dataset x metric), each about "
           "%.0f MiB with %u thread(s); embedding matrix up to %.0f MiB, "
           "%.0f MiB of it spilled to a file past the memory budget "
           "(%.0f MiB) less the workers' prepare memory (%.0f MiB); "
           "assemble about %.0f MiB\n",
           sc_plan_nsim(spec), (double)sim / mib, threads, (double)embed / mib,
           (double)spill / mib, (double)budget / mib, (double)reserve / mib,
           (double)asmb / mib);
    if (reserve > budget)
        printf("warning: %u worker thread(s) need about %.0f MiB to prepare "
               "the models, more than the memory budget (%.0f MiB): every "
               "embedding matrix spills and the run uses about %.0f MiB; "
               "raise --memory or lower --threads\n",
               threads, (double)reserve / mib, (double)budget / mib,
               (double)sim / mib);
    if (sc_plan_blocks(spec) > 1) {
        sc_plan_blocks_est be;
        st = sc_plan_block_estimate(spec, threads, &be, err);
        if (st != SC_OK)
            return st;
        size_t K = sc_plan_blocks(spec);
        printf("estimate: model blocks %zu: %zu prepare task(s), each about "
               "%.0f MiB, writing up to %.0f MiB of embedding rows to the "
               "task cache; %zu pairs task(s), each about %.0f MiB (the rows "
               "streamed); a blocked similarity task about %.0f MiB\n",
               K, sc_plan_nsim(spec) * K, (double)be.prepare / mib,
               (double)be.rows / mib, sc_plan_nsim(spec) * sc_plan_npairs(spec),
               (double)be.pairs / mib, (double)be.finalise / mib);
    }
    if (load) {
        bool fits = true;
        st = sc_plan_spill_report(spec, budget, threads, plugin_dir, stdout,
                                  &fits, err);
        if (st == SC_OK && !fits)
            st = sc_err_set(err, SC_EIO,
                            "the similarity stage's spill would not fit (see "
                            "the estimate lines above); free disk space, set "
                            "TMPDIR to a bigger disk, or raise --memory");
        if (st != SC_OK)
            return st;
    } else {
        printf("estimate: similarity passes and spill not estimated "
               "(--no-load: the metrics' plugins give the states' sizes)\n");
    }
    return print_cpu(spec, threads, err);
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

/* ## The command line */

/* What the command line asked for. */
typedef struct check_args {
    const char *path, *plugin_dir;
    bool list, no_load, flatten, quiet, estimate, quick;
    size_t memory;    /* --memory; 0: runtime.memory, else half of RAM */
    unsigned threads; /* --threads; 0: runtime.threads, else 1 (as run) */
} check_args;

static int take_memory(void *args, const char *opt, const char *val,
                       sc_err *err)
{
    return sc_parse_memory(opt, val, &((check_args *)args)->memory, err);
}

static int take_threads(void *args, const char *opt, const char *val,
                        sc_err *err)
{
    return sc_opts_threads(opt, val, &((check_args *)args)->threads, err);
}

static int take_spec(void *args, const char *arg, sc_err *err)
{
    check_args *ca = args;
    if (ca->path != NULL)
        return sc_err_set(err, SC_EINVAL,
                          "expected one spec file, got a second: '%s'", arg);
    ca->path = arg;
    return SC_OK;
}

/* SPEC is required: without it, the usage. */
static int check_check(void *args, sc_err *err)
{
    (void)err;
    return ((check_args *)args)->path == NULL ? SC_OPTS_USAGE : SC_OK;
}

static const sc_opt check_options[] = {
    SC_OPT_STRING_AT("--plugin-dir", "DIR", check_args, plugin_dir),
    SC_OPT_FLAG_AT("--quick", check_args, quick),
    SC_OPT_FLAG_AT("--quiet|-q", check_args, quiet),
    SC_OPT_FLAG_AT("--estimate", check_args, estimate),
    SC_OPT_CALLING("--memory", "SIZE", take_memory),
    SC_OPT_CALLING("--threads", "N", take_threads),
    SC_OPT_FLAG_AT("--no-load", check_args, no_load),
    SC_OPT_FLAG_AT("--flatten", check_args, flatten),
    SC_OPT_FLAG_AT("--list-inputs", check_args, list),
};

static const sc_cmdline check_cmdline = {
    .name = "check",
    .usage =
        "usage: simcon check SPEC [--plugin-dir DIR] [--quick] "
        "[--list-inputs] [--quiet]\n"
        "                    [--no-load] [--flatten] [--estimate] "
        "[--memory SIZE]\n"
        "                    [--threads N]\n"
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
        "  --estimate        also print the memory, CPU-hours and wall hours "
        "(with\n"
        "                    --threads) of each stage of a cluster run "
        "(simcon slurm),\n"
        "                    and per dataset the spill\n"
        "                    file, the free space of its folder ($TMPDIR or "
        "/tmp) and\n"
        "                    the passes of `simcon run`; fails when the spill "
        "cannot\n"
        "                    fit, as the run would (default: only ok)\n"
        "  --memory SIZE     memory budget of that run, e.g. 12G (default:\n"
        "                    runtime.memory, else half of RAM)\n"
        "  --threads N       worker threads of that run: each holds its own\n"
        "                    prepare memory (default: runtime.threads, else "
        "1)\n"
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
    SC_OPTS_TABLE(check_options),
    .positional = take_spec,
    .unknown = "unknown or incomplete option",
    .see = "see",
    .check = check_check,
};

/* ## The checks */

/* Every metric's plugin and parameters. Unknown plugins and bad
 * parameters are spec errors; a plugin that exists but is broken (ABI) is
 * not the spec's fault. */
static int check_metrics(const sc_spec *spec, const char *pdir, bool load,
                         sc_err *err)
{
    int rc = SC_OK;
    for (size_t k = 0; k < spec->nmetrics && rc == SC_OK; k++)
        rc = sc_check_metric(spec, k, pdir, load, err);
    if (rc == SC_OK)
        return SC_EXIT_OK;
    sc_cli_fail("check", err, 0);
    return rc == SC_EABI || rc == SC_ENOMEM ? SC_EXIT_FAIL : SC_EXIT_USAGE;
}

/* Constraints of a metric that depend on the data: the descriptor's
 * min_rows (the host refuses fewer stimuli) and a neighbour count k,
 * which every bundled neighbour metric (knn, cknna) needs below the
 * number of stimuli. Both make `run` fail, so they are errors here. */
static int check_metric_rows(const sc_spec *spec, const char *pdir,
                             const sc_inputs_report *rep, sc_err *err)
{
    int rc = SC_OK;
    for (size_t k = 0; k < spec->nmetrics && rc == SC_OK; k++)
        rc = sc_check_metric_rows(spec, k, pdir, rep->rows, err);
    return rc == SC_OK ? SC_EXIT_OK : sc_cli_fail("check", err, SC_EXIT_USAGE);
}

/* The statistics forecast, the ok line and --estimate. */
static int report(const sc_spec *spec, const sc_inputs_report *rep, bool load,
                  const check_args *ca, sc_err *err)
{
    sc_check_plan(spec, stdout, stderr);
    char line[256];
    sc_check_summary(spec, rep, load, line, sizeof line);
    printf("%s\n", line);
    const char *pdir = ca->plugin_dir ? ca->plugin_dir : spec->plugin_dir;
    int rc = ca->estimate ? print_estimate(spec, ca->memory, ca->threads, load,
                                           pdir, err)
                          : SC_OK;
    return rc == SC_OK ? SC_EXIT_OK : sc_cli_fail("check", err, SC_EXIT_FAIL);
}

/* Everything after the spec was read; returns the exit status. */
static int check_spec(const check_args *ca, const sc_spec *spec,
                      sc_inputs_report *rep, sc_err *err)
{
    const char *pdir = ca->plugin_dir ? ca->plugin_dir : spec->plugin_dir;
    bool load = !ca->no_load;
    int exit_status = check_metrics(spec, pdir, load, err);
    if (exit_status != SC_EXIT_OK)
        return exit_status;
    sc_progress prog;
    sc_progress_init(&prog, "simcon check", ca->quiet);
    int rc = sc_cli_check_inputs(
        "check", spec, ca->quick ? 0u : (unsigned)SC_INPUTS_SCAN_VALUES, &prog,
        rep, err);
    sc_progress_deinit(&prog);
    if (rc != SC_OK)
        return sc_cli_fail("check", err, SC_EXIT_FAIL);
    if (ca->list) {
        rc = list_inputs(spec, err);
        return rc == SC_OK ? SC_EXIT_OK
                           : sc_cli_fail("check", err, SC_EXIT_FAIL);
    }
    if (load)
        exit_status = check_metric_rows(spec, pdir, rep, err);
    if (exit_status == SC_EXIT_OK)
        exit_status = report(spec, rep, load, ca, err);
    return exit_status;
}

int sc_cmd_check(int argc, char **argv)
{
    check_args ca;
    memset(&ca, 0, sizeof ca);
    int exit_status;
    if (!sc_opts_run(&check_cmdline, argc, argv, &ca, &exit_status))
        return exit_status;
    sc_spec spec;
    exit_status = sc_cli_load_spec("check", ca.path, &spec);
    if (exit_status != SC_EXIT_OK)
        return exit_status;
    if (ca.flatten)
        spec.flatten = 1;
    sc_err err;
    sc_err_clear(&err);
    sc_inputs_report rep;
    memset(&rep, 0, sizeof rep);
    exit_status = check_spec(&ca, &spec, &rep, &err);
    sc_inputs_report_deinit(&rep);
    sc_spec_free(&spec);
    sc_loader_shutdown();
    return exit_status;
}
