/* Shared command-line pieces (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
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

int sc_cli_parse_uint(const char *opt, const char *text, unsigned long *out,
                      sc_err *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] == '-' || end == text || *end != '\0' || errno == ERANGE ||
        v == 0)
        return sc_err_set(err, SC_EINVAL,
                          "%s expects a positive integer, got '%s'", opt, text);
    *out = v;
    return SC_OK;
}

int sc_cli_parse_bytes(const char *opt, const char *text, size_t *out,
                       sc_err *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    double scale = 1.0;
    if (end != text && *end != '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            scale = 1024.0;
            break;
        case 'm':
        case 'M':
            scale = 1024.0 * 1024.0;
            break;
        case 'g':
        case 'G':
            scale = 1024.0 * 1024.0 * 1024.0;
            break;
        default:
            scale = 0.0;
        }
        end++;
        if (*end == 'B' || *end == 'b')
            end++;
    }
    /* The number before the suffix must be decimal: strtod also reads
     * hexadecimal ("0x10G"). */
    char num[64];
    size_t nlen = end ? (size_t)(end - text) : 0;
    int dec = nlen < sizeof num;
    if (dec) {
        memcpy(num, text, nlen);
        num[nlen] = '\0';
        if (scale != 1.0) /* drop the suffix letters counted in end */
            num[strcspn(num, "kKmMgGbB")] = '\0';
        dec = sc_is_decimal(num);
    }
    if (!dec || end == text || *end != '\0' || scale == 0.0 ||
        errno == ERANGE || !(v > 0) || v * scale > 1e18)
        return sc_err_set(err, SC_EINVAL,
                          "%s expects a size such as 512M or 8G, got '%s'", opt,
                          text);
    *out = (size_t)(v * scale);
    return SC_OK;
}

int sc_cli_parse_memory(const char *opt, const char *text, size_t *out,
                        sc_err *err)
{
    int rc = sc_cli_parse_bytes(opt, text, out, err);
    if (rc == SC_OK && *out < SC_CLI_MIN_MEMORY)
        return sc_err_set(err, SC_EINVAL,
                          "%s '%s' is below the minimum memory budget of 1M; "
                          "give a size such as 512M or 8G",
                          opt, text);
    return rc;
}

int sc_exit_code(int status)
{
    return status == SC_OK                               ? SC_EXIT_OK
           : (status == SC_ESPEC || status == SC_EINVAL) ? SC_EXIT_USAGE
                                                         : SC_EXIT_FAIL;
}
