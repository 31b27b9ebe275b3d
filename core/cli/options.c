/* The one command-line parser (see options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "numtext.h"
#include "spec.h"

/* After --help / -h: usage printed on stdout. */
#define SC_OPTS_HELP (-1)

/* Is name one of the '|'-separated names? */
static bool has_name(const char *names, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = names; *p != '\0';) {
        size_t n = strcspn(p, "|");
        if (n == len && strncmp(p, name, len) == 0)
            return true;
        p += n + (p[n] == '|');
    }
    return false;
}

/* The row naming name, or NULL. */
static const sc_opt *find(const sc_cmdline *cl, const char *name)
{
    for (size_t k = 0; k < cl->nopts; k++)
        if (has_name(cl->opts[k].names, name))
            return &cl->opts[k];
    return NULL;
}

/* "unknown or incomplete option '-x'; see 'simcon run --help'" and the
 * other commands' wordings (sc_cmdline.unknown, .see). */
static int unknown(const sc_cmdline *cl, const char *arg, sc_err *err)
{
    return sc_err_set(err, SC_EINVAL, "%s '%s'; %s 'simcon %s --help'",
                      cl->unknown, arg, cl->see, cl->name);
}

static int missing_value(const sc_cmdline *cl, const sc_opt *o,
                         const char *name, sc_err *err)
{
    if (o->missing != NULL)
        return sc_err_set(err, SC_EINVAL, "%s", o->missing);
    if (cl->needs_value)
        return sc_err_set(err, SC_EINVAL,
                          "%s needs a value; %s 'simcon %s --help'", name,
                          cl->see, cl->name);
    return unknown(cl, name, err);
}

/* Store or hand over one option's value (val NULL for a flag). */
static int apply(const sc_opt *o, void *args, const char *name, const char *val,
                 sc_err *err)
{
    char *base = args;
    switch (o->kind) {
    case SC_OPT_FLAG:
        *(bool *)(void *)(base + o->field) = true;
        return SC_OK;
    case SC_OPT_STRING:
        *(const char **)(void *)(base + o->field) = val;
        return SC_OK;
    case SC_OPT_CALL:
        return o->fn(args, name, val, err);
    }
    return SC_OK;
}

/* argv, left to right, up to the first error; then cl->check. Returns
 * SC_OK, SC_OPTS_HELP, SC_OPTS_USAGE or an error status with err set. */
static int parse(const sc_cmdline *cl, int argc, char **argv, void *args,
                 sc_err *err)
{
    int rc = SC_OK;
    for (int i = 1; i < argc && rc == SC_OK; i++) {
        const char *a = argv[i];
        bool is_option = a[0] == '-' && (a[1] != '\0' || cl->dash_is_option);
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(cl->usage, stdout);
            return SC_OPTS_HELP;
        }
        if (!is_option) {
            rc = cl->positional != NULL ? cl->positional(args, a, err)
                                        : unknown(cl, a, err);
            continue;
        }
        const sc_opt *o = find(cl, a);
        if (o == NULL) {
            rc = unknown(cl, a, err);
        } else if (o->arg == NULL) {
            rc = apply(o, args, a, NULL, err);
        } else if (i + 1 >= argc) {
            rc = missing_value(cl, o, a, err);
        } else {
            rc = apply(o, args, a, argv[++i], err);
        }
    }
    if (rc == SC_OK && cl->check != NULL)
        rc = cl->check(args, err);
    return rc;
}

bool sc_opts_run(const sc_cmdline *cl, int argc, char **argv, void *args,
                 int *exit_status)
{
    sc_err err;
    sc_err_clear(&err);
    int rc = parse(cl, argc, argv, args, &err);
    if (rc == SC_OK)
        return true;
    if (rc == SC_OPTS_HELP) {
        *exit_status = SC_EXIT_OK;
    } else if (rc == SC_OPTS_USAGE) {
        fputs(cl->usage, stderr);
        *exit_status = SC_EXIT_USAGE;
    } else {
        /* Out of memory is never the command line's fault. */
        *exit_status = sc_cli_fail(
            cl->name, &err, rc == SC_ENOMEM ? SC_EXIT_FAIL : SC_EXIT_USAGE);
    }
    return false;
}

int sc_opts_threads(const char *opt, const char *val, unsigned *out,
                    sc_err *err)
{
    unsigned long n = 0;
    int rc = sc_parse_uint(opt, val, &n, err);
    if (rc == SC_OK && n > SC_SPEC_MAX_THREADS)
        rc = sc_err_set(err, SC_EINVAL, "%s expects at most %d, got '%s'", opt,
                        SC_SPEC_MAX_THREADS, val);
    *out = (unsigned)n;
    return rc;
}
