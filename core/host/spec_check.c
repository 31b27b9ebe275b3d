/* A spec's metrics checked against their plugins (see spec_check.h). */
#include "spec_check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "loader.h"

/* Load metric k's plugin and parse its params, pointing errors at the
 * spec: an individual bad parameter at its value, anything else (unknown
 * plugin, cross-parameter checks) at the plugin or params entry. */
int sc_check_metric(const sc_spec *spec, size_t k, const char *dir, int load,
                    sc_err *err)
{
    const sc_spec_metric *m = &spec->metrics[k];
    char where[600];
    const sc_plugin *p = NULL;
    int rc;
    if (!load) {
        char file[4096];
        rc = sc_loader_locate(m->plugin, dir, file, sizeof file, err);
        if (rc != SC_OK) {
            sc_spec_where(spec, m->plugin_loc, where, sizeof where);
            sc_err_prefix(err, "%smetrics[%zu].plugin", where, k);
        }
        return rc;
    }
    rc = sc_loader_open(m->plugin, dir, &p, err);
    if (rc != SC_OK) {
        sc_spec_where(spec, m->plugin_loc, where, sizeof where);
        sc_err_prefix(err, "%smetrics[%zu].plugin", where, k);
        return rc;
    }
    const char *const *keys = (const char *const *)m->keys;
    const char *const *vals = (const char *const *)m->values;
    sc_argset a = {0};
    rc = sc_argset_parse(p, keys, vals, m->nparams, &a, err);
    sc_argset_deinit(&a);
    if (rc == SC_OK)
        return SC_OK;
    /* Which parameter is at fault? The one whose removal makes the rest
     * parse (an unknown key, a value out of range). Parameters depend on
     * each other (sigma needs kernel=rbf), so parsing each alone would
     * blame the wrong one; if no single removal helps, point at params. */
    sc_spec_loc loc = m->param_loc;
    char at[200];
    snprintf(at, sizeof at, "metrics[%zu].params", k);
    const char *kk[SC_CLI_MAX_PARAMS];
    const char *vv[SC_CLI_MAX_PARAMS];
    size_t culprits = 0;
    for (size_t i = 0; i < m->nparams && m->nparams <= SC_CLI_MAX_PARAMS; i++) {
        size_t n = 0;
        for (size_t j = 0; j < m->nparams; j++)
            if (j != i) {
                kk[n] = keys[j];
                vv[n++] = vals[j];
            }
        sc_err tmp;
        sc_argset b = {0};
        if (sc_argset_parse(p, kk, vv, n, &b, &tmp) == SC_OK) {
            culprits++;
            loc = m->param_locs[i];
            snprintf(at, sizeof at, "metrics[%zu].params.%s", k, keys[i]);
        }
        sc_argset_deinit(&b);
    }
    if (culprits != 1) {
        loc = m->param_loc;
        snprintf(at, sizeof at, "metrics[%zu].params", k);
    }
    sc_spec_where(spec, loc, where, sizeof where);
    sc_err_prefix(err, "%s%s", where, at);
    return rc;
}

/* The stimuli a metric will see on dataset d: the file's rows, capped by
 * data.max_stimuli. */
static size_t used_rows(const sc_spec *spec, const size_t *rows, size_t d)
{
    size_t n = rows[d];
    return spec->max_stimuli > 0 && n > spec->max_stimuli ? spec->max_stimuli
                                                          : n;
}

/* Data-dependent constraints of metric k (see the caller). */
int sc_check_metric_rows(const sc_spec *spec, size_t k, const char *dir,
                         const size_t *rows, sc_err *err)
{
    const sc_spec_metric *m = &spec->metrics[k];
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(m->plugin, dir, &p, err);
    if (rc != SC_OK)
        return rc;
    sc_argset a = {0};
    rc = sc_argset_parse(p, (const char *const *)m->keys,
                         (const char *const *)m->values, m->nparams, &a, err);
    if (rc != SC_OK)
        return rc;
    char where[600];
    for (size_t d = 0; d < spec->ndatasets && rc == SC_OK; d++) {
        size_t n = used_rows(spec, rows, d);
        if (n < p->desc->min_rows) {
            sc_spec_where(spec, m->plugin_loc, where, sizeof where);
            rc = sc_err_set(err, SC_ESPEC,
                            "%smetrics[%zu]: metric %s needs at least %zu "
                            "stimuli, dataset '%s' has %zu; add stimuli or "
                            "choose another metric",
                            where, k, m->name, p->desc->min_rows,
                            spec->datasets[d].name, n);
            break;
        }
        for (size_t i = 0; i < p->nparams; i++) {
            const sc_param *pp = &p->desc->params[i];
            if (strcmp(pp->name, "k") != 0 || pp->type != SC_PARAM_INT)
                continue;
            double kv = a.value[i];
            if (kv >= (double)n) {
                sc_spec_loc loc = m->param_loc;
                for (size_t j = 0; j < m->nparams; j++)
                    if (strcmp(m->keys[j], "k") == 0)
                        loc = m->param_locs[j];
                sc_spec_where(spec, loc, where, sizeof where);
                rc = sc_err_set(err, SC_ESPEC,
                                "%smetrics[%zu].params.k: k = %.0f neighbours "
                                "needs more stimuli than dataset '%s' has "
                                "(%zu); use k < %zu",
                                where, k, kv, spec->datasets[d].name, n, n);
                break;
            }
        }
    }
    sc_argset_deinit(&a);
    return rc;
}

void sc_check_summary(const sc_spec *spec, const sc_inputs_report *rep,
                      int loaded, char *buf, size_t cap)
{
    size_t lo = SIZE_MAX, hi = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        size_t n = rep->rows[d];
        if (spec->max_stimuli > 0 && n > spec->max_stimuli)
            n = spec->max_stimuli;
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    const char *note =
        loaded ? "" : " (plugins found, not loaded: parameters not checked)";
    if (lo == hi)
        snprintf(buf, cap,
                 "ok: %zu models x %zu datasets x %zu metrics, n = %zu "
                 "stimuli%s",
                 spec->nmodels, spec->ndatasets, spec->nmetrics, lo, note);
    else
        snprintf(buf, cap,
                 "ok: %zu models x %zu datasets x %zu metrics, n = %zu to "
                 "%zu stimuli%s",
                 spec->nmodels, spec->ndatasets, spec->nmetrics, lo, hi, note);
}
