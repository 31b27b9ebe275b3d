/* Spec reader, stage 2b: the top level and the sections name, seed, data,
 * models, datasets, behaviour and metrics (see spec_int.h for the stages).
 * The validator walks the tree in a fixed order (name, seed, data, models,
 * datasets, behaviour, metrics, analyses, statistics, runtime, figures),
 * checks every key against the allowed set, converts values and fills
 * sc_spec; the first failure ends the walk with its one-line message. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "methods.h"
#include "prep.h"
#include "spec_int.h"

/* data.features and data.ids: path templates with only the placeholders
 * {dataset} and {model}. */
static int parse_templates(ctx *c, const node *n)
{
    sc_spec *s = c->spec;
    const node *v = spec_get(n, "features");
    if (v == NULL)
        return spec_missing(c, n, "data", "features");
    s->features_loc = v->loc;
    int rc = spec_get_text(c, v, "data.features", &s->features);
    if (rc != SC_OK)
        return rc;
    /* Only the two placeholders exist; each must be there, or all models
     * (or datasets) would read the same file. */
    if (strstr(s->features, "{model}") == NULL ||
        strstr(s->features, "{dataset}") == NULL)
        return spec_expected(c, v, "data.features",
                             "a path template with {dataset} and {model}");
    for (const char *p = strchr(s->features, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p, "{model}", 7) != 0 && strncmp(p, "{dataset}", 9) != 0)
            return spec_expected(c, v, "data.features",
                                 "only the placeholders {dataset} and {model}");
    if ((v = spec_get(n, "ids")) == NULL)
        return SC_OK;
    s->ids_loc = v->loc;
    rc = spec_get_text(c, v, "data.ids", &s->ids);
    if (rc != SC_OK)
        return rc;
    /* Per dataset, or per model ({model}: every model's file must list the
     * same ids in the same order, checked row by row). */
    if (strstr(s->ids, "{dataset}") == NULL)
        return spec_expected(c, v, "data.ids",
                             "a path template with {dataset} (and optionally "
                             "{model})");
    for (const char *p = strchr(s->ids, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p, "{dataset}", 9) != 0 && strncmp(p, "{model}", 7) != 0)
            return spec_expected(c, v, "data.ids",
                                 "only the placeholders {dataset} and {model}");
    return SC_OK;
}

/* data.normalize, allow_vector, max_stimuli, flatten. */
static int parse_data_options(ctx *c, const node *n)
{
    sc_spec *s = c->spec;
    int rc = SC_OK;
    const node *v;
    s->normalize = SC_NORM_L2;
    if ((v = spec_get(n, "normalize")) != NULL) {
        static const char *const norms[] = {"none", "center", "l2"};
        size_t k = 0;
        rc = spec_get_choice(c, v, "data.normalize", norms, 3, &k);
        if (rc != SC_OK)
            return rc;
        sc_err tmp;
        rc = sc_norm_parse(norms[k], &s->normalize, &tmp);
        if (rc != SC_OK)
            return spec_expected(c, v, "data.normalize", "none, center or l2");
    }
    if ((v = spec_get(n, "allow_vector")) != NULL &&
        (rc = spec_get_bool(c, v, "data.allow_vector", &s->allow_vector)))
        return rc;
    if ((v = spec_get(n, "max_stimuli")) != NULL)
        rc = spec_get_count(c, v, "data.max_stimuli", SC_SPEC_MAX_STIMULI,
                            &s->max_stimuli);
    if (rc == SC_OK && (v = spec_get(n, "flatten")) != NULL) {
        bool on = false;
        rc = spec_get_bool(c, v, "data.flatten", &on);
        s->flatten = on;
    }
    return rc;
}

static int parse_data(ctx *c, const node *n)
{
    static const char *const keys[] = {
        "root",        "features",     "ids",    "normalize",
        "max_stimuli", "allow_vector", "flatten"};
    sc_spec *s = c->spec;
    int rc = spec_want_map(c, n, "data");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "data", keys, 7);
    if (rc == SC_OK)
        rc = parse_templates(c, n);
    if (rc != SC_OK)
        return rc;
    char *root = NULL;
    const node *v = spec_get(n, "root");
    if (v != NULL && (rc = spec_get_text(c, v, "data.root", &root)) != SC_OK)
        return rc;
    rc = spec_resolve(c, v, "data.root", root ? root : ".", &s->root);
    sc_free(root);
    if (rc != SC_OK)
        return rc;
    return parse_data_options(c, n);
}

/* Metadata of one model/dataset entry: every key but the reserved ones. */
static int parse_meta(ctx *c, const node *e, const char *where,
                      const char *const *reserved, size_t nres,
                      sc_spec_kv **meta, size_t *nmeta)
{
    if (e->n > SC_SPEC_MAX_META + nres)
        return spec_too_many(c, e, where, "keys", SC_SPEC_MAX_META + nres);
    *meta = sc_calloc(e->n ? e->n : 1, sizeof **meta);
    if (*meta == NULL)
        return spec_oom(c);
    for (size_t i = 0; i < e->n; i++) {
        const node *k = e->kids[2 * i], *v = e->kids[2 * i + 1];
        bool res = false;
        for (size_t j = 0; j < nres && !res; j++)
            res = strcmp(k->text, reserved[j]) == 0;
        if (res)
            continue;
        char key[160];
        snprintf(key, sizeof key, "%s.%.60s", where, k->text);
        if (!spec_ident_ok(k->text))
            return spec_fail(c, k->loc,
                             "%s: expected a metadata key of letters, digits "
                             "and '_' (not starting with a digit)",
                             key);
        if (strlen(k->text) > SC_SPEC_MAX_KEY)
            return spec_too_long(c, k, key, SC_SPEC_MAX_KEY);
        sc_spec_kv *kv = &(*meta)[*nmeta];
        kv->loc = v->loc;
        kv->key = sc_strdup(k->text);
        if (kv->key == NULL)
            return spec_oom(c);
        (*nmeta)++;
        int rc = spec_get_label(c, v, key, &kv->value);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

/* A list section (models, datasets, metrics): a non-empty sequence of at
 * most limit entries. */
static int list_section(ctx *c, const node *n, const char *section,
                        size_t limit)
{
    int rc = spec_want_list(c, n, section);
    if (rc == SC_OK && n->n > limit)
        rc = spec_too_many(c, n, section, section, limit);
    return rc;
}

/* Name and line of entry j of a list section, for the duplicate check. */
typedef const char *(*name_at_fn)(const sc_spec *s, size_t j, unsigned *line);

/* The name of entry i of a list section (where is "models[3]"): present,
 * a valid name, and unlike the names of entries 0 .. i-1 (noun: "model"). */
static int entry_name(ctx *c, const node *e, const char *where, size_t i,
                      const char *noun, name_at_fn name_at, char **name)
{
    const node *v = spec_get(e, "name");
    if (v == NULL)
        return spec_missing(c, e, where, "name");
    char key[64];
    snprintf(key, sizeof key, "%s.name", where);
    int rc = spec_get_name(c, v, key, name);
    if (rc != SC_OK)
        return rc;
    for (size_t j = 0; j < i; j++) {
        unsigned line = 0;
        if (strcmp(name_at(c->spec, j, &line), *name) == 0)
            return spec_fail(c, v->loc,
                             "%s: duplicate %s name '%s' (first at line "
                             "%u); %s names must be unique",
                             key, noun, *name, line, noun);
    }
    return SC_OK;
}

static const char *model_at(const sc_spec *s, size_t j, unsigned *line)
{
    *line = s->models[j].loc.line;
    return s->models[j].name;
}

static const char *dataset_at(const sc_spec *s, size_t j, unsigned *line)
{
    *line = s->datasets[j].loc.line;
    return s->datasets[j].name;
}

static const char *metric_at(const sc_spec *s, size_t j, unsigned *line)
{
    *line = s->metrics[j].loc.line;
    return s->metrics[j].name;
}

static int parse_models(ctx *c, const node *n)
{
    static const char *const res[] = {"name"};
    sc_spec *s = c->spec;
    int rc = spec_want_list(c, n, "models");
    if (rc != SC_OK)
        return rc;
    /* A similarity matrix needs at least one pair. */
    if (n->n < 2)
        return spec_fail(c, n->loc,
                         "models: expected at least 2 models, found 1; "
                         "similarity compares pairs of models");
    if ((rc = list_section(c, n, "models", SC_SPEC_MAX_MODELS)) != SC_OK)
        return rc;
    s->models = sc_calloc(n->n, sizeof *s->models);
    if (s->models == NULL)
        return spec_oom(c);
    for (size_t i = 0; rc == SC_OK && i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48];
        snprintf(where, sizeof where, "models[%zu]", i);
        if ((rc = spec_want_map(c, e, where)) != SC_OK)
            return rc;
        sc_spec_model *m = &s->models[i];
        s->nmodels++;
        m->loc = e->loc;
        rc = entry_name(c, e, where, i, "model", model_at, &m->name);
        if (rc == SC_OK)
            rc = parse_meta(c, e, where, res, 1, &m->meta, &m->nmeta);
    }
    return rc;
}

static int parse_datasets(ctx *c, const node *n)
{
    static const char *const res[] = {"name", "domain"};
    sc_spec *s = c->spec;
    int rc = list_section(c, n, "datasets", SC_SPEC_MAX_DATASETS);
    if (rc != SC_OK)
        return rc;
    s->datasets = sc_calloc(n->n, sizeof *s->datasets);
    if (s->datasets == NULL)
        return spec_oom(c);
    for (size_t i = 0; rc == SC_OK && i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48], key[64];
        snprintf(where, sizeof where, "datasets[%zu]", i);
        if ((rc = spec_want_map(c, e, where)) != SC_OK)
            return rc;
        sc_spec_dataset *d = &s->datasets[i];
        s->ndatasets++;
        d->loc = e->loc;
        rc = entry_name(c, e, where, i, "dataset", dataset_at, &d->name);
        if (rc != SC_OK)
            return rc;
        const node *v = spec_get(e, "domain");
        if (v != NULL) {
            snprintf(key, sizeof key, "%s.domain", where);
            rc = spec_get_label(c, v, key, &d->domain);
        } else {
            d->domain = sc_strdup("");
            rc = d->domain ? SC_OK : spec_oom(c);
        }
        if (rc == SC_OK)
            rc = parse_meta(c, e, where, res, 2, &d->meta, &d->nmeta);
    }
    return rc;
}

static int parse_behaviour(ctx *c, const node *n)
{
    static const char *const keys[] = {"accuracy"};
    int rc = spec_want_map(c, n, "behaviour");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "behaviour", keys, 1);
    if (rc != SC_OK)
        return rc;
    const node *v = spec_get(n, "accuracy");
    if (v == NULL)
        return spec_missing(c, n, "behaviour", "accuracy");
    char *p = NULL;
    c->spec->behaviour_loc = v->loc;
    rc = spec_get_text(c, v, "behaviour.accuracy", &p);
    if (rc == SC_OK)
        rc = spec_resolve(c, v, "behaviour.accuracy", p,
                          &c->spec->behaviour_accuracy);
    sc_free(p);
    return rc;
}

static int parse_params(ctx *c, const node *n, const char *where,
                        sc_spec_metric *m)
{
    int rc = spec_want_map(c, n, where);
    if (rc != SC_OK)
        return rc;
    if (n->n > SC_SPEC_MAX_PARAMS)
        return spec_too_many(c, n, where, "parameters", SC_SPEC_MAX_PARAMS);
    size_t cnt = n->n ? n->n : 1;
    m->keys = sc_calloc(cnt, sizeof *m->keys);
    m->values = sc_calloc(cnt, sizeof *m->values);
    m->param_locs = sc_calloc(cnt, sizeof *m->param_locs);
    if (m->keys == NULL || m->values == NULL || m->param_locs == NULL)
        return spec_oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
        char key[160];
        snprintf(key, sizeof key, "%s.%.60s", where, k->text);
        if (!spec_ident_ok(k->text))
            return spec_fail(c, k->loc,
                             "%s: expected a parameter name of letters, digits "
                             "and '_'",
                             key);
        if (strlen(k->text) > SC_SPEC_MAX_KEY)
            return spec_too_long(c, k, key, SC_SPEC_MAX_KEY);
        m->keys[i] = sc_strdup(k->text);
        if (m->keys[i] == NULL)
            return spec_oom(c);
        m->nparams++;
        m->param_locs[i] = v->loc;
        /* Values stay text: the plugin's schema decides their type. */
        if (v->kind != N_SCALAR || spec_is_null(v))
            return spec_expected(c, v, key, "a single value (number or word)");
        if (strlen(v->text) > SC_SPEC_MAX_VALUE)
            return spec_too_long(c, v, key, SC_SPEC_MAX_VALUE);
        m->values[i] = sc_strdup(v->text);
        if (m->values[i] == NULL)
            return spec_oom(c);
    }
    return SC_OK;
}

/* metrics[i].plugin and .params of entry e (where "metrics[i]"). */
static int parse_plugin(ctx *c, const node *e, const char *where,
                        sc_spec_metric *m)
{
    char key[64];
    const node *v = spec_get(e, "plugin");
    if (v == NULL)
        return spec_missing(c, e, where, "plugin");
    snprintf(key, sizeof key, "%s.plugin", where);
    m->plugin_loc = v->loc;
    int rc = spec_get_text(c, v, key, &m->plugin);
    if (rc != SC_OK)
        return rc;
    /* A path (it has a '/') is relative to the spec's folder, like every
     * other path in a spec; a bare name is looked up on the plugin search
     * path (core/host/loader.c). */
    if (strchr(m->plugin, '/') != NULL) {
        char *rel = m->plugin;
        m->plugin = NULL;
        rc = spec_resolve(c, v, key, rel, &m->plugin);
        sc_free(rel);
        if (rc != SC_OK)
            return rc;
    }
    if ((v = spec_get(e, "params")) != NULL) {
        m->param_loc = v->loc;
        snprintf(key, sizeof key, "%s.params", where);
        rc = parse_params(c, v, key, m);
    }
    return rc;
}

static int parse_metrics(ctx *c, const node *n)
{
    static const char *const keys[] = {"name", "plugin", "params"};
    sc_spec *s = c->spec;
    int rc = list_section(c, n, "metrics", SC_SPEC_MAX_METRICS);
    if (rc != SC_OK)
        return rc;
    s->metrics = sc_calloc(n->n, sizeof *s->metrics);
    if (s->metrics == NULL)
        return spec_oom(c);
    for (size_t i = 0; rc == SC_OK && i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48];
        snprintf(where, sizeof where, "metrics[%zu]", i);
        rc = spec_want_map(c, e, where);
        if (rc == SC_OK)
            rc = spec_check_keys(c, e, where, keys, 3);
        if (rc != SC_OK)
            return rc;
        sc_spec_metric *m = &s->metrics[i];
        s->nmetrics++;
        m->loc = e->loc;
        m->param_loc = e->loc;
        rc = entry_name(c, e, where, i, "metric", metric_at, &m->name);
        if (rc == SC_OK)
            rc = parse_plugin(c, e, where, m);
    }
    return rc;
}

int spec_parse_top(ctx *c, const node *root)
{
    static const char *const keys[] = {
        "name",    "seed",     "data",       "models",  "datasets", "behaviour",
        "metrics", "analyses", "statistics", "runtime", "figures"};
    static const char *const required[] = {"name", "data", "models", "datasets",
                                           "metrics"};
    sc_spec *s = c->spec;
    if (root->kind != N_MAP)
        return spec_expected(c, root, "top level",
                             "a mapping of keys (name:, data:, models:, ...)");
    int rc = spec_check_keys(c, root, "", keys, 11);
    if (rc != SC_OK)
        return rc;
    for (size_t i = 0; i < 5; i++)
        if (spec_get(root, required[i]) == NULL)
            return spec_missing(c, root, "", required[i]);
    if ((rc = spec_get_name(c, spec_get(root, "name"), "name", &s->name)))
        return rc;
    const node *v = spec_get(root, "seed");
    if (v != NULL &&
        (rc = spec_get_u64(c, v, "seed", "an integer from 0 to 2^64-1",
                           &s->seed)))
        return rc;
    if ((rc = parse_data(c, spec_get(root, "data"))))
        return rc;
    if ((rc = parse_models(c, spec_get(root, "models"))))
        return rc;
    if ((rc = parse_datasets(c, spec_get(root, "datasets"))))
        return rc;
    if ((v = spec_get(root, "behaviour")) != NULL &&
        (rc = parse_behaviour(c, v)))
        return rc;
    if ((rc = parse_metrics(c, spec_get(root, "metrics"))))
        return rc;
    if ((v = spec_get(root, "analyses")) != NULL &&
        (rc = spec_parse_analyses(c, v)))
        return rc;
    if ((v = spec_get(root, "statistics")) != NULL &&
        (rc = spec_parse_statistics(c, v)))
        return rc;
    if ((v = spec_get(root, "runtime")) != NULL &&
        (rc = spec_parse_runtime(c, v)))
        return rc;
    if ((v = spec_get(root, "figures")) != NULL &&
        (rc = spec_parse_figures(c, v)))
        return rc;
    return SC_OK;
}
