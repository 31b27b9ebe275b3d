/* Metric parameters given as KEY=VALUE text (see params.h). */
#include "params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "metric.h"
#include "numtext.h"
#include "prep.h"

int sc_kvlist_add(sc_kvlist *kv, const char *text, sc_err *err)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text)
        return sc_err_set(err, SC_EINVAL, "-p expects KEY=VALUE, got '%s'",
                          text);
    if (kv->count == SC_CLI_MAX_PARAMS)
        return sc_err_set(err, SC_EINVAL, "more than %d -p settings",
                          SC_CLI_MAX_PARAMS);
    char *copy = sc_strdup(text);
    if (copy == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    copy[eq - text] = '\0';
    kv->buf[kv->count] = copy;
    kv->key[kv->count] = copy;
    kv->value[kv->count] = copy + (eq - text) + 1;
    kv->count++;
    return SC_OK;
}

void sc_kvlist_deinit(sc_kvlist *kv)
{
    for (size_t i = 0; i < kv->count; i++)
        sc_free(kv->buf[i]);
    kv->count = 0;
}

int sc_cli_metric(const char *name, const sc_kvlist *kv, const char *plugin_dir,
                  const sc_plugin **plugin, sc_argset *args, sc_err *err)
{
    int rc = sc_loader_open(name, plugin_dir, plugin, err);
    if (rc != SC_OK)
        return rc;
    return sc_argset_parse(*plugin, kv->key, kv->value, kv->count, args, err);
}

long sc_cli_param_index(const sc_plugin *p, const char *name)
{
    for (size_t i = 0; i < p->nparams; i++)
        if (strcmp(p->desc->params[i].name, name) == 0)
            return (long)i;
    return -1;
}

void sc_cli_settings(const sc_plugin *p, const sc_argset *args, int norm,
                     char *buf, size_t cap)
{
    char params[512];
    sc_argset_format(p, args, params, sizeof params);
    snprintf(buf, cap, "metric %s (%s), normalize %s, precision %s",
             p->desc->name, params[0] ? params : "no parameters",
             sc_norm_name(norm), sc_metric_precision(p, &args->args));
}
