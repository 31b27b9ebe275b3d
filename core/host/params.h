/* Metric parameters: "-p KEY=VALUE" lists and metric set-up.
 *
 * simcon compare, simcon matrix and the runner all turn a metric name plus
 * KEY=VALUE settings into a loaded plugin and a validated argument set; this
 * module does it once so every command reports the same errors. */
#ifndef SC_PARAMS_H
#define SC_PARAMS_H

#include <stddef.h>

#include "err.h"
#include "loader.h"

#define SC_CLI_MAX_PARAMS 32

typedef struct sc_kvlist {
    size_t count;
    const char *key[SC_CLI_MAX_PARAMS];
    const char *value[SC_CLI_MAX_PARAMS];
    char *buf[SC_CLI_MAX_PARAMS]; /* owned copies split at '=' */
} sc_kvlist;

/* Add "KEY=VALUE" (copied). SC_EINVAL if there is no '=' or the list is
 * full. */
int sc_kvlist_add(sc_kvlist *kv, const char *text, sc_err *err);
void sc_kvlist_deinit(sc_kvlist *kv);

/* Load metric NAME and parse kv against its schema. */
int sc_cli_metric(const char *name, const sc_kvlist *kv, const char *plugin_dir,
                  const sc_plugin **plugin, sc_argset *args, sc_err *err);

/* Index of parameter name in p's schema, or -1. */
long sc_cli_param_index(const sc_plugin *p, const char *name);

/* "metric NAME (k=v,...), normalize MODE, precision P": what a command
 * computed with, for its stderr line and sidecar. */
void sc_cli_settings(const sc_plugin *p, const sc_argset *args, int norm,
                     char *buf, size_t cap);

/* Parse a positive thread count / a byte size with optional K/M/G suffix. */

#endif
