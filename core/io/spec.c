/* Experiment specs: libyaml -> checked sc_spec (contract in spec.h).
 *
 * This file is the entry point: it reads the file, sets the defaults and
 * runs the stages (spec_int.h lists them: the tree builder, the
 * validator's sections, the canonical emitter), and holds the small public
 * helpers (freeing, path templates, metadata look-up).
 *
 * Invariants: every failure leaves the caller's sc_spec zeroed (safe to
 * free) and fills ONE line "<spec>:<line>:<col>: <key>: expected <what>,
 * found <what>" with SC_ESPEC (SC_EIO when the file cannot be read,
 * SC_ENOMEM); all memory goes through core/base/mem.h so the
 * failure-injection test can prove there are no leaks on any path. */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "atomic.h"
#include "mem.h"
#include "methods.h"
#include "prep.h"
#include "spec_int.h"

/* The spec file, at most SC_SPEC_MAX_BYTES. Opened with fopen, not
 * sc_open_regular: a spec may come from a pipe (<(...)); the size is found
 * by reading one byte past the cap, not by trusting fseek/ftell (pipes,
 * /proc files). */
static int read_file(const char *path, char **out, size_t *len, sc_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sc_err_set(err, SC_EIO, "%s: cannot open the spec: %s", path,
                          strerror(errno));
    int rc = sc_read_stream(f, SC_SPEC_MAX_BYTES + 2, out, len);
    fclose(f);
    if (rc == SC_ENOMEM)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory reading the spec",
                          path);
    if (rc == SC_EIO)
        return sc_err_set(err, SC_EIO, "%s: cannot read the spec", path);
    if (rc != SC_OK)
        return sc_err_set(err, SC_ESPEC,
                          "%s: spec larger than %d bytes; a spec lists "
                          "models and datasets, not data",
                          path, SC_SPEC_MAX_BYTES);
    return SC_OK;
}

static int set_dir(sc_spec *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        s->dir = sc_strdup(".");
    else if (slash == path)
        s->dir = sc_strdup("/");
    else {
        size_t len = (size_t)(slash - path);
        s->dir = sc_malloc(len + 1);
        if (s->dir != NULL) {
            memcpy(s->dir, path, len);
            s->dir[len] = '\0';
        }
    }
    s->path = sc_strdup(path);
    return s->dir && s->path ? SC_OK : SC_ENOMEM;
}

int sc_spec_load(const char *path, sc_spec *spec, sc_err *err)
{
    memset(spec, 0, sizeof *spec);
    char *text = NULL;
    size_t len = 0;
    node *root = NULL;
    ctx c = {path, err, spec};
    int rc = read_file(path, &text, &len, err);
    if (rc != SC_OK)
        return rc;
    /* Defaults (spec.h); the parsers overwrite what the file sets. */
    spec->consistency_corr = SC_CORR_PEARSON;
    spec->behaviour_corr = SC_CORR_PEARSON;
    spec->permutations = 9999;
    spec->bootstrap = 1000;
    spec->over = SC_OVER_MODELS;
    spec->ci = 0.95;
    spec->interval = SC_CI_BCA;
    spec->correction = SC_PADJ_HOLM;
    spec->threads = 1;
    spec->normalize = SC_NORM_L2;
    rc = set_dir(spec, path);
    if (rc != SC_OK) {
        rc = spec_oom(&c);
        goto fail;
    }
    rc = spec_build_tree(&c, text, len, &root);
    if (rc != SC_OK)
        goto fail;
    if (root == NULL) {
        rc = sc_err_set(err, SC_ESPEC,
                        "%s: the spec is empty; see experiments/example.yaml "
                        "for the keys",
                        path);
        goto fail;
    }
    rc = spec_parse_top(&c, root);
    if (rc != SC_OK)
        goto fail;
    spec_node_free(root);
    sc_free(text);
    return SC_OK;
fail:
    spec_node_free(root);
    sc_free(text);
    sc_spec_free(spec);
    return rc;
}

static void free_kv(sc_spec_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sc_free(kv[i].key);
        sc_free(kv[i].value);
    }
    sc_free(kv);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sc_free(v[i]);
    sc_free(v);
}

void sc_spec_free(sc_spec *spec)
{
    if (spec == NULL)
        return;
    sc_free(spec->path);
    sc_free(spec->dir);
    sc_free(spec->name);
    sc_free(spec->root);
    sc_free(spec->features);
    sc_free(spec->ids);
    for (size_t i = 0; i < spec->nmodels; i++) {
        sc_free(spec->models[i].name);
        free_kv(spec->models[i].meta, spec->models[i].nmeta);
    }
    sc_free(spec->models);
    for (size_t i = 0; i < spec->ndatasets; i++) {
        sc_free(spec->datasets[i].name);
        sc_free(spec->datasets[i].domain);
        free_kv(spec->datasets[i].meta, spec->datasets[i].nmeta);
    }
    sc_free(spec->datasets);
    for (size_t i = 0; i < spec->nmetrics; i++) {
        sc_spec_metric *m = &spec->metrics[i];
        sc_free(m->name);
        sc_free(m->plugin);
        free_strv(m->keys, m->nparams);
        /* values may be one short of keys when parsing stopped between
         * the key and its value; the array is calloc'ed, so NULLs are
         * fine to free. */
        free_strv(m->values, m->nparams);
        sc_free(m->param_locs);
    }
    sc_free(spec->metrics);
    sc_free(spec->behaviour_accuracy);
    free_strv(spec->groupby, spec->ngroupby);
    free_strv(spec->anchors, spec->nanchors);
    for (size_t i = 0; i < spec->ncontrasts; i++)
        sc_free(spec->contrasts[i].attribute);
    sc_free(spec->contrasts);
    sc_free(spec->plugin_dir);
    memset(spec, 0, sizeof *spec);
}

int sc_spec_path(const sc_spec *spec, const char *tmpl, const char *dataset,
                 const char *model, char *buf, size_t cap, sc_err *err)
{
    size_t used = 0;
    int w = 0;
    if (tmpl[0] != '/' && strcmp(spec->root, ".") != 0) {
        w = snprintf(buf, cap, "%s/", spec->root);
        if (w < 0 || (size_t)w >= cap)
            goto toolong;
        used = (size_t)w;
    }
    for (const char *p = tmpl; *p;) {
        const char *sub = NULL;
        size_t skip = 1;
        if (strncmp(p, "{dataset}", 9) == 0) {
            sub = dataset;
            skip = 9;
        } else if (strncmp(p, "{model}", 7) == 0) {
            sub = model;
            skip = 7;
        }
        if (skip > 1 && sub == NULL)
            return sc_err_set(err, SC_EINVAL,
                              "%s: template '%s' needs a %s name", spec->path,
                              tmpl, skip == 9 ? "dataset" : "model");
        if (sub != NULL) {
            w = snprintf(buf + used, cap - used, "%s", sub);
            if (w < 0 || (size_t)w >= cap - used)
                goto toolong;
            used += (size_t)w;
        } else {
            if (used + 1 >= cap)
                goto toolong;
            buf[used++] = *p;
            buf[used] = '\0';
        }
        p += skip;
    }
    size_t comp = spec_longest_component(buf);
    if (used >= PATH_MAX)
        goto toolong;
    if (comp > NAME_MAX) {
        /* Point at the template in the spec when it is one of its own. */
        sc_spec_loc loc = tmpl == spec->features ? spec->features_loc
                          : tmpl == spec->ids    ? spec->ids_loc
                                                 : (sc_spec_loc){0, 0};
        char where[600];
        if (loc.line > 0)
            sc_spec_where(spec, loc, where, sizeof where);
        else
            snprintf(where, sizeof where, "%s: ", spec->path);
        return sc_err_set(err, SC_EINVAL,
                          "%spath from template '%s' has a file or folder "
                          "name of %zu characters, longer than the limit "
                          "(NAME_MAX) of %d; use shorter names",
                          where, tmpl, comp, NAME_MAX);
    }
    return SC_OK;
toolong:
    return sc_err_set(err, SC_EINVAL,
                      "%s: path from template '%s' is longer than %zu bytes "
                      "(the limit; PATH_MAX is %d); use a shorter data.root",
                      spec->path, tmpl, cap < PATH_MAX ? cap : PATH_MAX,
                      PATH_MAX);
}

void sc_spec_where(const sc_spec *spec, sc_spec_loc loc, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s:%u:%u: ", spec->path, loc.line, loc.col);
}
