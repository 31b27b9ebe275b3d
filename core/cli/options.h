/* Command-line options: one declarative table per command, one parser.
 *
 * A command lists its options as an array of sc_opt rows (names, the
 * value's name, where the value goes) and describes its whole command line
 * as one sc_cmdline (the rows, the positional arguments, the usage text,
 * the wording of its usage errors, a check of what the options must say
 * together). sc_opts_run walks argv once, left to right, and stops at the
 * first error, so `--bogus --help` is an error and `--help --bogus` prints
 * the usage, exactly as each command did when it parsed argv by hand.
 *
 * Forms accepted (and only these, as before the table existed):
 *   --name / -n           a flag;
 *   --name VALUE          an option with a value: the next argument is the
 *                         value, whatever it looks like (even "--help");
 *   -h / --help           the usage on stdout, exit status 0;
 *   ARG                   a positional argument (anything not starting
 *                         with '-', and a lone "-" unless dash_is_option).
 * "--name=VALUE" is not split: it is reported as an unknown option.
 * Every message goes through sc_err_set, so control characters of argv are
 * escaped (sc_escape_ctl) like those of every other message.
 *
 * The usage text is one string per command, next to its table: the
 * option lines in it are the command's documentation (their wording and
 * wrapping are asserted by the tests), and tests/cli/check_usage.py checks
 * that every option the usage names is one the table accepts. */
#ifndef SC_OPTIONS_H
#define SC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Where an option's value goes. */
typedef enum sc_opt_kind {
    SC_OPT_FLAG,   /* no value; sets the bool at `field` to true      */
    SC_OPT_STRING, /* the value (a const char * into argv) at `field` */
    SC_OPT_CALL    /* the value is given to `fn` (checks, conversions,
                    * repeatable options such as -p)                  */
} sc_opt_kind;

/* args is the command's own struct of parsed arguments; opt the name as
 * typed ("-q" or "--quiet"); val the value. Returns SC_OK or a status
 * with err set (the parse stops there). */
typedef int (*sc_opt_fn)(void *args, const char *opt, const char *val,
                         sc_err *err);

typedef struct sc_opt {
    const char *names; /* "--quiet|-q": '|'-separated                    */
    const char *arg;   /* the value's name ("DIR"); NULL: a flag         */
    sc_opt_kind kind;
    size_t field;        /* offsetof(args struct, member) for FLAG / STRING */
    sc_opt_fn fn;        /* for SC_OPT_CALL                                */
    const char *missing; /* the whole message when the value is missing;
                          * NULL: the command's wording (see sc_cmdline)   */
} sc_opt;

/* Rows of a table: a flag setting type's bool member; an option whose
 * value goes to type's const char * member; an option whose value goes to
 * fn. */
#define SC_OPT_FLAG_AT(names, type, member)                                    \
    {                                                                          \
        (names), NULL, SC_OPT_FLAG, offsetof(type, member), NULL, NULL         \
    }
#define SC_OPT_STRING_AT(names, arg, type, member)                             \
    {                                                                          \
        (names), (arg), SC_OPT_STRING, offsetof(type, member), NULL, NULL      \
    }
#define SC_OPT_CALLING(names, arg, fn)                                         \
    {                                                                          \
        (names), (arg), SC_OPT_CALL, 0, (fn), NULL                             \
    }

/* One command's command line. */
typedef struct sc_cmdline {
    const char *name;  /* "run": messages say "simcon run: ..."      */
    const char *usage; /* for --help (stdout) and SC_OPTS_USAGE (stderr) */
    const sc_opt *opts;
    size_t nopts;
    /* A positional argument; NULL: the command takes none and reports one
     * as an unknown option. */
    int (*positional)(void *args, const char *arg, sc_err *err);
    /* Wording of the unknown-option message:
     *   "<unknown> '<arg>'; <see> 'simcon <name> --help'",
     * e.g. "unknown or incomplete option" and "see". A missing value gives
     * the same message naming the option, unless needs_value is set:
     *   "<option> needs a value; <see> 'simcon <name> --help'". */
    const char *unknown;
    const char *see;
    bool needs_value;
    bool dash_is_option; /* a lone "-" is an (unknown) option, not a path */
    /* What the options must say together, checked after the last one
     * (NULL: nothing): SC_OK, a usage error with err set, or SC_OPTS_USAGE
     * for "print the usage on stderr" (no positional argument at all). */
    int (*check)(void *args, sc_err *err);
} sc_cmdline;

/* .opts and .nopts of an sc_cmdline from an array of rows. */
#define SC_OPTS_TABLE(rows)                                                    \
    .opts = (rows), .nopts = sizeof(rows) / sizeof(rows)[0]

/* A check's status: the usage on stderr, exit status 2. */
#define SC_OPTS_USAGE (-2)

/* Parse argv[1..argc-1] (argv[0] is the command name) into args, then
 * cl->check it. Returns true when the command goes on; false when it
 * returns *exit_status now: 0 after --help / -h (usage on stdout), 2 after
 * a usage error (printed as "simcon <name>: <message>"; 1 if it was out
 * of memory). */
bool sc_opts_run(const sc_cmdline *cl, int argc, char **argv, void *args,
                 int *exit_status);

/* --threads N of run and check: 0 .. SC_SPEC_MAX_THREADS into *out. */
int sc_opts_threads(const char *opt, const char *val, unsigned *out,
                    sc_err *err);

#endif
