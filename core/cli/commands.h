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

#endif
