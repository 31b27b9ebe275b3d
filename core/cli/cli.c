/* Shared command-line pieces (see commands.h). */
#include "commands.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "loader.h"
#include "npy.h"
#include "prep.h"

int sc_exit_code(int status)
{
    return status == SC_OK                               ? SC_EXIT_OK
           : (status == SC_ESPEC || status == SC_EINVAL) ? SC_EXIT_USAGE
                                                         : SC_EXIT_FAIL;
}

int sc_cli_fail(const char *cmd, const sc_err *err, int exit_status)
{
    fprintf(stderr, "simcon %s: %s\n", cmd, err->msg);
    return exit_status;
}

int sc_cli_load_spec(const char *cmd, const char *path, sc_spec *spec)
{
    sc_err err;
    sc_err_clear(&err);
    memset(spec, 0, sizeof *spec);
    int rc = sc_spec_load(path, spec, &err);
    if (rc == SC_OK)
        return SC_EXIT_OK;
    sc_spec_free(spec);
    /* Any failure to read the spec is a problem with the argument. */
    return sc_cli_fail(cmd, &err,
                       rc == SC_ENOMEM ? SC_EXIT_FAIL : SC_EXIT_USAGE);
}

int sc_cli_check_inputs(const char *cmd, const sc_spec *spec, unsigned flags,
                        sc_progress *progress, sc_inputs_report *rep,
                        sc_err *err)
{
    memset(rep, 0, sizeof *rep);
    int rc = sc_inputs_check_progress(spec, flags, progress, rep, err);
    for (size_t i = 0; rc != SC_OK && i < rep->nproblems; i++)
        fprintf(stderr, "simcon %s: %s\n", cmd, rep->problems[i]);
    return rc;
}

int sc_cli_open_spec(const char *cmd, const char *path,
                     const sc_data_overrides *ov, sc_spec *spec)
{
    int exit_status = sc_cli_load_spec(cmd, path, spec);
    if (exit_status != SC_EXIT_OK)
        return exit_status;
    sc_err err;
    sc_err_clear(&err);
    if (ov->norm != NULL)
        sc_norm_parse(ov->norm, &spec->normalize, &err); /* checked before */
    if (ov->allow_vector)
        spec->allow_vector = true;
    if (ov->flatten)
        spec->flatten = 1;
    sc_inputs_report rep;
    int rc = sc_cli_check_inputs(cmd, spec, 0, NULL, &rep, &err);
    sc_inputs_report_deinit(&rep);
    if (rc == SC_OK)
        return SC_EXIT_OK;
    sc_spec_free(spec);
    return sc_cli_fail(cmd, &err, SC_EXIT_FAIL);
}

const char *sc_cli_out_dir(const char *out, const sc_spec *spec, char *buf,
                           size_t cap)
{
    if (out != NULL)
        return out;
    snprintf(buf, cap, "results/%s", spec->name);
    return buf;
}

int sc_cli_take_param(void *args, const char *opt, const char *val, sc_err *err)
{
    (void)opt;
    return sc_kvlist_add(&((sc_metric_args *)args)->kv, val, err);
}

unsigned sc_cli_npy_flags(const sc_metric_args *ma)
{
    return (ma->allow_vector ? SC_NPY_ALLOW_VECTOR : 0u) |
           (ma->flatten ? SC_NPY_FLATTEN : 0u);
}

/* --float32: add precision=float32 when the metric offers that choice and
 * the user did not set precision (see cmd_matrix.c's file comment). */
static int float32_precision(const char *metric, const char *dir, sc_kvlist *kv,
                             sc_err *err)
{
    for (size_t i = 0; i < kv->count; i++)
        if (strcmp(kv->key[i], "precision") == 0)
            return SC_OK;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(metric, dir, &p, err);
    if (rc != SC_OK)
        return rc;
    long k = sc_cli_param_index(p, "precision");
    const sc_param *par = k >= 0 ? &p->desc->params[k] : NULL;
    if (par == NULL || par->type != SC_PARAM_ENUM || par->choices == NULL ||
        strstr(par->choices, "float32") == NULL)
        return SC_OK;
    return sc_kvlist_add(kv, "precision=float32", err);
}

int sc_cli_resolve_metric(sc_metric_args *ma, bool float32, int *mode,
                          const sc_plugin **p, sc_argset *args, sc_err *err)
{
    int rc = sc_norm_parse(ma->norm, mode, err);
    if (rc == SC_OK && float32)
        rc = float32_precision(ma->metric, ma->plugin_dir, &ma->kv, err);
    if (rc == SC_OK)
        rc = sc_cli_metric(ma->metric, &ma->kv, ma->plugin_dir, p, args, err);
    return rc;
}
