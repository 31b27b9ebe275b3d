/* Helpers for tests that call plugins directly (header only): load a
 * plugin from the build tree once, and parse parameter text "k=v,k=v"
 * into an argument set, as `simcon matrix -p` would. */
#ifndef SC_TEST_PLUGIN_H
#define SC_TEST_PLUGIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "loader.h"

/* The plugin `name` from SC_BUILD_PLUGIN_DIR, loaded on first use; a test
 * cannot run without it, so a failure prints why and exits 1. */
static inline const sc_plugin *sc_test_plugin(const char *name)
{
    static struct {
        char name[32];
        const sc_plugin *p;
    } seen[8];
    size_t k = 0;
    while (k < 8 && seen[k].p != NULL && strcmp(seen[k].name, name) != 0)
        k++;
    if (k < 8 && seen[k].p != NULL)
        return seen[k].p;
    const sc_plugin *p = NULL;
    sc_err err;
    sc_init();
    if (sc_loader_open(name, SC_BUILD_PLUGIN_DIR, &p, &err) != SC_OK) {
        printf("# cannot load %s: %s\n", name, err.msg);
        exit(1);
    }
    if (k < 8) {
        snprintf(seen[k].name, sizeof seen[k].name, "%s", name);
        seen[k].p = p;
    }
    return p;
}

/* Parse "k=v,k=v" (at most 8 pairs; "" for none) for plugin p into a.
 * Returns sc_argset_parse's status, SC_EINVAL for an item without '='. */
static inline int sc_test_args(const sc_plugin *p, const char *text,
                               sc_argset *a, sc_err *err)
{
    char buf[512];
    const char *keys[8], *vals[8];
    size_t count = 0;
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t != NULL && count < 8;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL)
            return sc_err_set(err, SC_EINVAL, "'%s': expected key=value", t);
        *eq = '\0';
        keys[count] = t;
        vals[count++] = eq + 1;
    }
    return sc_argset_parse(p, keys, vals, count, a, err);
}

#endif
