/* Subcommands of the simcon executable.
 *
 * Each subcommand lives in core/cli/cmd_<name>.c and has the signature of
 * sc_command_fn: argv[0] is the subcommand name; it prints its own one-line
 * error to stderr ("simcon <cmd>: <message>") and returns the process exit
 * status: 0 ok, 1 the run failed, 2 usage or spec error. Its options are
 * one table parsed by sc_opts_parse (options.h). main.c holds the table of
 * commands; adding a subcommand is one declaration here and one row there. */
#ifndef SC_COMMANDS_H
#define SC_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "inputs.h"
#include "params.h"
#include "progress.h"
#include "spec.h"

typedef int (*sc_command_fn)(int argc, char **argv);

int sc_cmd_plugins(int argc, char **argv);
int sc_cmd_compare(int argc, char **argv);
int sc_cmd_mantel(int argc, char **argv);
int sc_cmd_plot(int argc, char **argv);
int sc_cmd_check(int argc, char **argv);
int sc_cmd_matrix(int argc, char **argv);
int sc_cmd_run(int argc, char **argv);
int sc_cmd_slurm(int argc, char **argv);

/* Exit statuses. */
#define SC_EXIT_OK 0
#define SC_EXIT_FAIL 1
#define SC_EXIT_USAGE 2

/* Map a status to an exit code: spec/usage errors 2, everything else 1. */
int sc_exit_code(int status);

/* Print "simcon <cmd>: <err's message>" on stderr; returns exit_status. */
int sc_cli_fail(const char *cmd, const sc_err *err, int exit_status);

/* sc_spec_load for command cmd ("run"). Returns SC_EXIT_OK, or, after
 * printing the error, the exit status: 1 out of memory, else 2 (any other
 * failure to read the spec is a problem with the argument); spec is then
 * already released. */
int sc_cli_load_spec(const char *cmd, const char *path, sc_spec *spec);

/* Check every input of spec (sc_inputs_check_progress; progress may be
 * NULL); on failure each problem is printed as "simcon <cmd>: <problem>"
 * and err holds the summary, not printed. rep is filled in both cases:
 * release it with sc_inputs_report_deinit. */
int sc_cli_check_inputs(const char *cmd, const sc_spec *spec, unsigned flags,
                        sc_progress *progress, sc_inputs_report *rep,
                        sc_err *err);

/* The options compare and matrix share: the metric and its parameters,
 * the rows' preprocessing, how .npy files are read, and --quiet. The first
 * member of each one's argument struct, so that one option callback
 * (sc_cli_take_param) serves both. */
typedef struct sc_metric_args {
    const char *metric, *plugin_dir, *norm; /* defaults: cka, none, l2 */
    sc_kvlist kv;                           /* -p KEY=VALUE, repeated  */
    bool allow_vector, flatten, quiet;
} sc_metric_args;

/* -p KEY=VALUE: an sc_opt callback for an args struct that starts with an
 * sc_metric_args. */
int sc_cli_take_param(void *args, const char *opt, const char *val,
                      sc_err *err);

/* The rows' preprocessing (*mode) and the metric with its parameters, as
 * ma names them. float32 (matrix --float32) adds -p precision=float32
 * when the metric offers that choice and -p did not set precision. */
int sc_cli_resolve_metric(sc_metric_args *ma, bool float32, int *mode,
                          const sc_plugin **p, sc_argset *args, sc_err *err);

/* The sc_npy_load_ex flags asked for (--allow-vector, --flatten). */
unsigned sc_cli_npy_flags(const sc_metric_args *ma);

/* Command-line overrides of the spec's data keys (run --normalize,
 * --allow-vector, --flatten); NULL / false: the spec's. */
typedef struct sc_data_overrides {
    const char *norm; /* already checked with sc_norm_parse */
    bool allow_vector, flatten;
} sc_data_overrides;

/* The spec of a run: loaded (sc_cli_load_spec), ov applied, every input
 * checked (sc_cli_check_inputs). Returns SC_EXIT_OK, or, after printing
 * the errors and releasing spec, the exit status (2 spec, 1 inputs). */
int sc_cli_open_spec(const char *cmd, const char *path,
                     const sc_data_overrides *ov, sc_spec *spec);

/* The result folder: out, or by default "results/<spec name>" in buf. */
const char *sc_cli_out_dir(const char *out, const sc_spec *spec, char *buf,
                           size_t cap);

#endif
