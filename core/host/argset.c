/* A metric's parameters: "key=value" text parsed against the plugin's
 * schema into an sc_argset, and the canonical "k=v,..." text of one for
 * manifests and cache keys (declared in loader.h, "Parameters"). Split from
 * the loader, which finds, opens and checks the plugin itself. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "host.h"
#include "loader.h"
#include "mem.h"
#include "numtext.h"

/* Index of `value` in "a|b|c", or -1. */
static long choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    long idx = 0;
    const char *c = choices;
    while (c != NULL && *c != '\0') {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == vlen && strncmp(c, value, len) == 0)
            return idx;
        idx++;
        c = bar ? bar + 1 : NULL;
    }
    return -1;
}

/* Copy choice number idx of "a|b|c" into buf. */
static void choice_name(const char *choices, size_t idx, char *buf, size_t cap)
{
    const char *c = choices;
    for (size_t i = 0; i < idx && c != NULL; i++) {
        c = strchr(c, '|');
        if (c != NULL)
            c++;
    }
    if (c == NULL) {
        snprintf(buf, cap, "?");
        return;
    }
    const char *bar = strchr(c, '|');
    size_t len = bar ? (size_t)(bar - c) : strlen(c);
    snprintf(buf, cap, "%.*s", (int)len, c);
}

static int parse_value(const sc_metric *d, const sc_param *pr, const char *text,
                       double *out, sc_err *err)
{
    switch (pr->type) {
    case SC_PARAM_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 ||
            strcmp(text, "yes") == 0) {
            *out = 1.0;
            return SC_OK;
        }
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 ||
            strcmp(text, "no") == 0) {
            *out = 0.0;
            return SC_OK;
        }
        return sc_err_set(err, SC_EINVAL,
                          "metric %s: parameter %s expects true or false, "
                          "got '%s'",
                          d->name, pr->name, text);
    case SC_PARAM_ENUM: {
        long idx = choice_index(pr->choices, text);
        if (idx < 0)
            return sc_err_set(err, SC_EINVAL,
                              "metric %s: parameter %s expects one of %s, "
                              "got '%s'",
                              d->name, pr->name, pr->choices, text);
        *out = (double)idx;
        return SC_OK;
    }
    case SC_PARAM_INT:
    case SC_PARAM_REAL: {
        char *end = NULL;
        errno = 0;
        double v = strtod(text, &end);
        if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v) ||
            !sc_is_decimal(text)) /* strtod also reads hex */
            return sc_err_set(err, SC_EINVAL,
                              "metric %s: parameter %s expects a%s number, "
                              "got '%s'",
                              d->name, pr->name,
                              pr->type == SC_PARAM_INT ? "n integer" : "",
                              text);
        if (pr->type == SC_PARAM_INT && v != floor(v))
            return sc_err_set(err, SC_EINVAL,
                              "metric %s: parameter %s expects an integer, "
                              "got '%s'",
                              d->name, pr->name, text);
        if (v < pr->lo || v > pr->hi)
            return sc_err_set(err, SC_EINVAL,
                              "metric %s: parameter %s = %s is outside the "
                              "allowed range [%g, %g]",
                              d->name, pr->name, text, pr->lo, pr->hi);
        *out = v;
        return SC_OK;
    }
    default:
        return sc_err_set(err, SC_EABI, "metric %s: parameter %s has bad type",
                          d->name, pr->name);
    }
}

int sc_argset_parse(const sc_plugin *p, const char *const *keys,
                    const char *const *values, size_t count, sc_argset *out,
                    sc_err *err)
{
    const sc_metric *d = p->desc;
    size_t np = p->nparams;
    out->value = sc_calloc(np ? np : 1, sizeof(double));
    out->given = sc_calloc(np ? np : 1, sizeof(uint8_t));
    out->args.count = np;
    out->args.value = out->value;
    out->args.given = out->given;
    if (out->value == NULL || out->given == NULL) {
        sc_argset_deinit(out);
        return sc_err_set(err, SC_ENOMEM, "out of memory parsing parameters");
    }
    for (size_t i = 0; i < np; i++)
        out->value[i] = d->params[i].def;
    int rc = SC_OK;
    for (size_t k = 0; k < count && rc == SC_OK; k++) {
        size_t i = 0;
        while (i < np && strcmp(d->params[i].name, keys[k]) != 0)
            i++;
        if (i == np) {
            char known[512];
            known[0] = '\0';
            for (size_t j = 0; j < np; j++)
                sc_loader_problem_add(known, sizeof known, "%s",
                                      d->params[j].name);
            rc = sc_err_set(err, SC_EINVAL,
                            "metric %s has no parameter '%s' (parameters: "
                            "%s)",
                            d->name, keys[k], np ? known : "none");
        } else if (out->given[i]) {
            rc = sc_err_set(err, SC_EINVAL,
                            "metric %s: parameter %s is given twice", d->name,
                            keys[k]);
        } else {
            rc = parse_value(d, &d->params[i], values[k], &out->value[i], err);
            out->given[i] = 1;
        }
    }
    if (rc == SC_OK && d->check_args != NULL) {
        sc_ctx ctx;
        sc_ctx_init(&ctx, err, d->name);
        sc_guard_frame g = sc_guard_enter(d->name, "check_args");
        rc = d->check_args(sc_host_get(), &ctx, &out->args);
        sc_guard_leave(g);
        if (rc != SC_OK && !ctx.failed)
            sc_err_set(err, rc, "metric %s rejected the parameters", d->name);
    }
    if (rc != SC_OK)
        sc_argset_deinit(out);
    return rc;
}

void sc_argset_deinit(sc_argset *a)
{
    sc_free(a->value);
    sc_free(a->given);
    a->value = NULL;
    a->given = NULL;
    a->args.value = NULL;
    a->args.given = NULL;
    a->args.count = 0;
}

void sc_argset_format(const sc_plugin *p, const sc_argset *a, char *buf,
                      size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < p->nparams && len < cap; i++) {
        const sc_param *pr = &p->desc->params[i];
        char val[128];
        if ((pr->flags & SC_PARAM_OPTIONAL) && !a->given[i])
            snprintf(val, sizeof val, "unset");
        else if (pr->type == SC_PARAM_ENUM)
            choice_name(pr->choices, (size_t)a->value[i], val, sizeof val);
        else if (pr->type == SC_PARAM_BOOL)
            snprintf(val, sizeof val, "%s", a->value[i] ? "true" : "false");
        else
            snprintf(val, sizeof val, "%.17g", a->value[i]);
        int w = snprintf(buf + len, cap - len, "%s%s=%s", i ? "," : "",
                         pr->name, val);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}
