/* Subcommands of the simcon executable.
 *
 * Each subcommand lives in core/cmd_<name>.c and has the signature of
 * sc_command_fn: argv[0] is the subcommand name; it prints its own one-line
 * error to stderr ("simcon <cmd>: <message>") and returns the process exit
 * status: 0 ok, 1 the run failed, 2 usage or spec error. main.c holds the
 * table; adding a subcommand is one declaration here and one row there. */
#ifndef SC_COMMANDS_H
#define SC_COMMANDS_H

#include <stddef.h>

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

/* Shared by `simcon check` and the library's simcon_check (core/api.c). */
struct sc_spec;
struct sc_inputs_report;
struct sc_err;
/* Load metric k of spec and parse its params; errors point at the spec. */
int sc_check_metric(const struct sc_spec *spec, size_t k, const char *dir,
                    struct sc_err *err);
/* The metric's data-dependent constraints (min_rows, k < n) for the row
 * counts of an inputs report; errors point at the spec. */
int sc_check_metric_rows(const struct sc_spec *spec, size_t k, const char *dir,
                         const size_t *rows, struct sc_err *err);
/* The "ok: M models x D datasets x K metrics, n = ... stimuli" line
 * (loaded 0: noting that plugins were found but not loaded). */
void sc_check_summary(const struct sc_spec *spec,
                      const struct sc_inputs_report *rep, int loaded, char *buf,
                      size_t cap);

#endif
