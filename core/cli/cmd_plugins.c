/* simcon plugins [--plugin-dir DIR]: every metric found in the search path,
 * with version, reference, flags and parameter schema. A plugin that fails
 * to load is listed with its error (and the exit status is 1), so a broken
 * install is visible rather than silently missing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "loader.h"
#include "options.h"

static void print_flags(uint32_t f)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {SC_METRIC_SYMMETRIC, "symmetric"},
        {SC_METRIC_SELF_ONE, "self=1"},
        {SC_METRIC_RANGE_01, "range [0,1]"},
        {SC_METRIC_RANGE_PM1, "range [-1,1]"},
        {SC_METRIC_ORTHO_INVARIANT, "orthogonal-invariant"},
        {SC_METRIC_SCALE_INVARIANT, "scale-invariant"},
        {SC_METRIC_SHIFT_INVARIANT, "shift-invariant"},
    };
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit) {
            printf("%s%s", first ? "" : ", ", names[i].name);
            first = 0;
        }
    printf("%s\n", first ? "none" : "");
}

static void print_param(const sc_param *pr)
{
    const char *type = pr->type == SC_PARAM_INT    ? "int"
                       : pr->type == SC_PARAM_REAL ? "real"
                       : pr->type == SC_PARAM_BOOL ? "bool"
                                                   : "enum";
    printf("    %-12s %-5s ", pr->name, type);
    if (pr->type == SC_PARAM_ENUM) {
        /* Name the default choice rather than its index. */
        const char *c = pr->choices;
        for (int i = 0; i < (int)pr->def && c; i++) {
            c = strchr(c, '|');
            c = c ? c + 1 : NULL;
        }
        const char *bar = c ? strchr(c, '|') : NULL;
        int len = c ? (bar ? (int)(bar - c) : (int)strlen(c)) : 0;
        printf("default %.*s, one of %s", len, c ? c : "", pr->choices);
    } else if (pr->flags & SC_PARAM_OPTIONAL) {
        printf("optional, in [%g, %g]", pr->lo, pr->hi);
    } else if (pr->type == SC_PARAM_BOOL) {
        printf("default %s", pr->def ? "true" : "false");
    } else {
        printf("default %g, in [%g, %g]", pr->def, pr->lo, pr->hi);
    }
    printf("\n                       %s\n", pr->doc);
}

typedef struct plugins_args {
    const char *plugin_dir;
} plugins_args;

static const sc_opt plugins_options[] = {
    SC_OPT_STRING_AT("--plugin-dir", "DIR", plugins_args, plugin_dir),
};

static const sc_cmdline plugins_cmdline = {
    .name = "plugins",
    .usage = "usage: simcon plugins [--plugin-dir DIR]\n"
             "Lists every metric plugin found in DIR, "
             "$SIMCON_PLUGIN_PATH, the build tree\n"
             "and the install folder (default: all but DIR), with "
             "version, reference,\n"
             "properties and each parameter's type, default and "
             "range. Writes no files;\n"
             "prints to stdout. DIR is relative to the current "
             "directory.\n"
             "docs/metrics.md explains every metric.\n",
    SC_OPTS_TABLE(plugins_options),
    .unknown = "unknown option",
    .see = "see",
};

/* One plugin: its descriptor and parameter schema. */
static void print_plugin(const sc_plugin *p)
{
    const sc_metric *d = p->desc;
    printf("%s %s — %s\n", d->name, d->version, d->summary ? d->summary : "");
    printf("  file:       %s\n", p->path);
    printf("  reference:  %s\n", d->reference);
    printf("  min rows:   %zu\n", d->min_rows);
    printf("  properties: ");
    print_flags(d->flags);
    printf("  paths:      prepare/compare%s%s\n",
           d->compare_subset ? ", stimulus subsets" : "",
           d->embed ? ", batched all-pairs" : "");
    if (p->nparams == 0)
        printf("  parameters: none\n");
    else
        printf("  parameters:\n");
    for (size_t i = 0; i < p->nparams; i++)
        print_param(&d->params[i]);
    printf("\n");
}

int sc_cmd_plugins(int argc, char **argv)
{
    plugins_args pa = {NULL};
    int exit_status;
    if (!sc_opts_run(&plugins_cmdline, argc, argv, &pa, &exit_status))
        return exit_status;
    sc_err err;
    sc_err_clear(&err);
    const char *dir = pa.plugin_dir;
    char **names = NULL;
    size_t count = 0;
    if (sc_loader_find_all(dir, &names, &count, &err) != SC_OK)
        return sc_cli_fail("plugins", &err, SC_EXIT_FAIL);
    if (count == 0)
        printf("no plugins found; set SIMCON_PLUGIN_PATH or --plugin-dir\n");
    int status = SC_EXIT_OK;
    for (size_t k = 0; k < count; k++) {
        const sc_plugin *p = NULL;
        if (sc_loader_open(names[k], dir, &p, &err) == SC_OK)
            print_plugin(p);
        else
            status = sc_cli_fail("plugins", &err, SC_EXIT_FAIL);
    }
    sc_loader_names_free(names, count);
    return status;
}
