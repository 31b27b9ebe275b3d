/* Spec reader, stage 2c: the sections analyses (consistency, behaviour,
 * contrasts), statistics, runtime and figures (see spec_int.h for the
 * stages). Defaults are set by sc_spec_load; these overwrite what the file
 * sets. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "methods.h"
#include "numtext.h"
#include "spec_int.h"

/* analyses.consistency.groupby: distinct metadata keys of every model. */
static int parse_groupby(ctx *c, const node *v)
{
    sc_spec *s = c->spec;
    if (v->kind != N_SEQ)
        return spec_expected(c, v, "analyses.consistency.groupby",
                             "a sequence of model metadata keys");
    s->groupby = sc_calloc(v->n ? v->n : 1, sizeof *s->groupby);
    if (s->groupby == NULL)
        return spec_oom(c);
    for (size_t i = 0; i < v->n; i++) {
        char key[64];
        snprintf(key, sizeof key, "analyses.consistency.groupby[%zu]", i);
        const node *g = v->kids[i];
        if (g->kind != N_SCALAR || !spec_ident_ok(g->text))
            return spec_expected(c, g, key, "a model metadata key");
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->groupby[j], g->text) == 0)
                return spec_fail(c, g->loc, "%s: '%s' is listed twice", key,
                                 g->text);
        int rc = spec_check_attribute(c, g, key, g->text);
        if (rc != SC_OK)
            return rc;
        s->groupby[i] = sc_strdup(g->text);
        if (s->groupby[i] == NULL)
            return spec_oom(c);
        s->ngroupby++;
    }
    return SC_OK;
}

/* Anchor a (key "analyses.consistency.anchors[i]") must name a model; if
 * not, suggest the closest model name within distance 2. */
static int check_anchor(ctx *c, const node *a, const char *key)
{
    const sc_spec *s = c->spec;
    bool known = false;
    for (size_t j = 0; a->kind == N_SCALAR && j < s->nmodels; j++)
        known = known || strcmp(s->models[j].name, a->text) == 0;
    if (known)
        return SC_OK;
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t j = 0; a->kind == N_SCALAR && j < s->nmodels; j++) {
        size_t d = spec_edit_distance(a->text, s->models[j].name);
        if (d < bestd) {
            bestd = d;
            best = s->models[j].name;
        }
    }
    char buf[96];
    if (best != NULL)
        return spec_fail(c, a->loc,
                         "%s: expected a model name, found %s; did "
                         "you mean '%s'?",
                         key, spec_found(a, buf, sizeof buf), best);
    return spec_expected(c, a, key, "a model name from 'models'");
}

/* analyses.consistency.anchors: distinct model names; need groupby. */
static int parse_anchors(ctx *c, const node *v)
{
    sc_spec *s = c->spec;
    if (v->kind != N_SEQ)
        return spec_expected(c, v, "analyses.consistency.anchors",
                             "a sequence of model names");
    s->anchors = sc_calloc(v->n ? v->n : 1, sizeof *s->anchors);
    if (s->anchors == NULL)
        return spec_oom(c);
    for (size_t i = 0; i < v->n; i++) {
        char key[64];
        snprintf(key, sizeof key, "analyses.consistency.anchors[%zu]", i);
        const node *a = v->kids[i];
        int rc = check_anchor(c, a, key);
        if (rc != SC_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->anchors[j], a->text) == 0)
                return spec_fail(c, a->loc, "%s: '%s' is listed twice", key,
                                 a->text);
        s->anchors[i] = sc_strdup(a->text);
        if (s->anchors[i] == NULL)
            return spec_oom(c);
        s->nanchors++;
    }
    if (s->nanchors > 0 && s->ngroupby == 0)
        return spec_fail(c, v->loc,
                         "analyses.consistency.anchors: anchors are compared "
                         "with each category of a groupby attribute; add "
                         "groupby");
    return SC_OK;
}

static int parse_consistency(ctx *c, const node *n)
{
    static const char *const keys[] = {"correlation", "groupby", "anchors"};
    sc_spec *s = c->spec;
    s->consistency_enabled = 1;
    if (spec_is_null(n))
        return SC_OK; /* "consistency:" alone: the defaults */
    int rc = spec_want_map(c, n, "analyses.consistency");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "analyses.consistency", keys, 3);
    if (rc != SC_OK)
        return rc;
    const node *v = spec_get(n, "correlation");
    if (v != NULL &&
        (rc = spec_get_corr(c, v, "analyses.consistency.correlation",
                            &s->consistency_corr)) != SC_OK)
        return rc;
    if ((v = spec_get(n, "groupby")) != NULL &&
        (rc = parse_groupby(c, v)) != SC_OK)
        return rc;
    if ((v = spec_get(n, "anchors")) != NULL)
        rc = parse_anchors(c, v);
    return rc;
}

static int parse_contrasts(ctx *c, const node *n)
{
    static const char *const keys[] = {"attribute"};
    sc_spec *s = c->spec;
    if (n->kind != N_SEQ)
        return spec_expected(c, n, "analyses.contrasts",
                             "a sequence of {attribute: KEY}");
    s->contrasts = sc_calloc(n->n ? n->n : 1, sizeof *s->contrasts);
    if (s->contrasts == NULL)
        return spec_oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48], key[64];
        snprintf(where, sizeof where, "analyses.contrasts[%zu]", i);
        int rc = spec_want_map(c, e, where);
        if (rc == SC_OK)
            rc = spec_check_keys(c, e, where, keys, 1);
        if (rc != SC_OK)
            return rc;
        const node *v = spec_get(e, "attribute");
        if (v == NULL)
            return spec_missing(c, e, where, "attribute");
        snprintf(key, sizeof key, "%s.attribute", where);
        if (v->kind != N_SCALAR || !spec_ident_ok(v->text))
            return spec_expected(c, v, key, "a model metadata key");
        rc = spec_check_attribute(c, v, key, v->text);
        if (rc != SC_OK)
            return rc;
        /* A contrast compares categories: it needs two of them. */
        const char *first = sc_spec_model_meta(&s->models[0], v->text);
        bool two = false;
        for (size_t j = 1; j < s->nmodels && !two; j++)
            two = strcmp(sc_spec_model_meta(&s->models[j], v->text), first);
        if (!two)
            return spec_fail(c, v->loc,
                             "%s: expected an attribute with at least 2 "
                             "categories, found '%s' has only '%s'",
                             key, v->text, first);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->contrasts[j].attribute, v->text) == 0)
                return spec_fail(c, v->loc, "%s: '%s' is listed twice", key,
                                 v->text);
        sc_spec_contrast *ct = &s->contrasts[s->ncontrasts];
        ct->loc = v->loc;
        ct->attribute = sc_strdup(v->text);
        if (ct->attribute == NULL)
            return spec_oom(c);
        s->ncontrasts++;
    }
    return SC_OK;
}

int spec_parse_analyses(ctx *c, const node *n)
{
    static const char *const keys[] = {"consistency", "behaviour", "contrasts"};
    sc_spec *s = c->spec;
    int rc = spec_want_map(c, n, "analyses");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "analyses", keys, 3);
    if (rc != SC_OK)
        return rc;
    const node *v = spec_get(n, "consistency");
    if (v != NULL && (rc = parse_consistency(c, v)) != SC_OK)
        return rc;
    if ((v = spec_get(n, "behaviour")) != NULL) {
        static const char *const bkeys[] = {"correlation"};
        s->behaviour_enabled = 1;
        if (!spec_is_null(v)) {
            rc = spec_want_map(c, v, "analyses.behaviour");
            if (rc == SC_OK)
                rc = spec_check_keys(c, v, "analyses.behaviour", bkeys, 1);
            const node *w = rc == SC_OK ? spec_get(v, "correlation") : NULL;
            if (w != NULL)
                rc = spec_get_corr(c, w, "analyses.behaviour.correlation",
                                   &s->behaviour_corr);
            if (rc != SC_OK)
                return rc;
        }
        if (s->behaviour_accuracy == NULL)
            return spec_fail(
                c, v->loc,
                "analyses.behaviour: needs behaviour.accuracy (a CSV "
                "with columns dataset,model,accuracy); add it or "
                "remove this analysis");
    }
    if ((v = spec_get(n, "contrasts")) != NULL)
        rc = parse_contrasts(c, v);
    return rc;
}

int spec_parse_statistics(ctx *c, const node *n)
{
    static const char *const keys[] = {
        "permutations", "bootstrap",  "over",  "ci",
        "interval",     "correction", "family"};
    sc_spec *s = c->spec;
    int rc = spec_want_map(c, n, "statistics");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "statistics", keys, 7);
    if (rc != SC_OK)
        return rc;
    const node *v;
    if ((v = spec_get(n, "permutations")) != NULL &&
        (rc = spec_get_count(c, v, "statistics.permutations",
                             SC_SPEC_MAX_PERMUTATIONS, &s->permutations)))
        return rc;
    if ((v = spec_get(n, "bootstrap")) != NULL &&
        (rc = spec_get_count(c, v, "statistics.bootstrap",
                             SC_SPEC_MAX_BOOTSTRAP, &s->bootstrap)))
        return rc;
    if ((v = spec_get(n, "over")) != NULL) {
        static const char *const over[] = {"models", "stimuli", "datasets"};
        size_t k = 0;
        if ((rc = spec_get_choice(c, v, "statistics.over", over, 3, &k)))
            return rc;
        s->over = (int)k; /* same order as enum sc_spec_over */
    }
    if ((v = spec_get(n, "ci")) != NULL) {
        char *end = NULL;
        /* Decimal only: strtod would also take "0x1p-1" (0.5). */
        bool dec = v->kind == N_SCALAR && sc_is_decimal(v->text);
        double x = dec ? strtod(v->text, &end) : 0.0;
        if (!dec || end == v->text || *end != '\0' || !(x > 0.0 && x < 1.0))
            return spec_expected(c, v, "statistics.ci",
                                 "a confidence level strictly between 0 and 1 "
                                 "(e.g. 0.95)");
        s->ci = x;
    }
    if ((v = spec_get(n, "interval")) != NULL) {
        static const char *const iv[] = {"percentile", "bca"};
        size_t k = 0;
        if ((rc = spec_get_choice(c, v, "statistics.interval", iv, 2, &k)))
            return rc;
        sc_ci_method m = SC_CI_BCA;
        sc_err tmp;
        if (sc_ci_parse(iv[k], &m, &tmp) != SC_OK)
            return spec_expected(c, v, "statistics.interval",
                                 "percentile or bca");
        s->interval = (int)m;
    }
    if ((v = spec_get(n, "correction")) != NULL) {
        static const char *const cr[] = {"holm", "bh", "none"};
        size_t k = 0;
        if ((rc = spec_get_choice(c, v, "statistics.correction", cr, 3, &k)))
            return rc;
        if (k == 2) {
            s->correction = SC_SPEC_CORRECTION_NONE;
        } else {
            sc_padjust_method m = SC_PADJ_HOLM;
            sc_err tmp;
            if (sc_padjust_parse(cr[k], &m, &tmp) != SC_OK)
                return spec_expected(c, v, "statistics.correction",
                                     "holm, bh or none");
            s->correction = (int)m;
        }
    }
    if ((v = spec_get(n, "family")) != NULL) {
        static const char *const fam[] = {"question", "metric"};
        size_t k = 0;
        if ((rc = spec_get_choice(c, v, "statistics.family", fam, 2, &k)))
            return rc;
        s->family = (int)k; /* same order as enum sc_spec_family */
    }
    return SC_OK;
}

int spec_parse_runtime(ctx *c, const node *n)
{
    static const char *const keys[] = {"threads", "memory", "plugin_dir",
                                       "model_blocks"};
    sc_spec *s = c->spec;
    int rc = spec_want_map(c, n, "runtime");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "runtime", keys, 4);
    if (rc != SC_OK)
        return rc;
    const node *v;
    if ((v = spec_get(n, "threads")) != NULL) {
        uint64_t t = 0;
        rc = spec_get_u64(c, v, "runtime.threads", "a positive integer", &t);
        if (rc != SC_OK)
            return rc;
        if (t == 0 || t > SC_SPEC_MAX_THREADS)
            return spec_expected(c, v, "runtime.threads",
                                 "a positive integer up to 1024");
        s->threads = (unsigned)t;
    }
    if ((v = spec_get(n, "memory")) != NULL) {
        sc_err tmp;
        if (v->kind != N_SCALAR || sc_parse_bytes("runtime.memory", v->text,
                                                  &s->memory, &tmp) != SC_OK)
            return spec_expected(c, v, "runtime.memory",
                                 "a size such as 512M or 8G");
        if (s->memory < SC_MIN_MEMORY)
            return spec_expected(c, v, "runtime.memory",
                                 "a size of at least 1M (the minimum memory "
                                 "budget), such as 512M or 8G");
    }
    if ((v = spec_get(n, "model_blocks")) != NULL) {
        /* The models are parsed before runtime: at most one block per
         * model, so no block is empty. */
        uint64_t k = 0;
        rc = spec_get_u64(c, v, "runtime.model_blocks", "a positive integer",
                          &k);
        if (rc != SC_OK)
            return rc;
        if (k == 0 || k > s->nmodels) {
            char what[96];
            snprintf(what, sizeof what,
                     "an integer from 1 to the number of models (%zu)",
                     s->nmodels);
            return spec_expected(c, v, "runtime.model_blocks", what);
        }
        s->model_blocks = (size_t)k;
    }
    if ((v = spec_get(n, "plugin_dir")) != NULL) {
        char *p = NULL;
        rc = spec_get_text(c, v, "runtime.plugin_dir", &p);
        if (rc == SC_OK)
            rc = spec_resolve(c, v, "runtime.plugin_dir", p, &s->plugin_dir);
        sc_free(p);
    }
    return rc;
}

/* figures: {format: [svg, pdf, png]} -- the files `simcon run` draws
 * (issue 16). Presentation only: not in the canonical spec or its hash. */
int spec_parse_figures(ctx *c, const node *n)
{
    static const char *const keys[] = {"format"};
    int rc = spec_want_map(c, n, "figures");
    if (rc == SC_OK)
        rc = spec_check_keys(c, n, "figures", keys, 1);
    const node *v = rc == SC_OK ? spec_get(n, "format") : NULL;
    if (v == NULL)
        return rc;
    if (v->kind != N_SEQ || v->n == 0)
        return spec_expected(c, v, "figures.format",
                             "a sequence of formats, e.g. [svg, pdf, png]");
    c->spec->figure_formats = SC_PLOT_SVG;
    for (size_t i = 0; i < v->n; i++) {
        const node *f = v->kids[i];
        unsigned one;
        char bad[64];
        if (f->kind != N_SCALAR ||
            sc_plot_parse_formats(f->text, &one, bad, sizeof bad) != SC_OK ||
            strchr(f->text, ',') != NULL)
            return spec_expected(c, f, "figures.format", "svg, pdf or png");
        c->spec->figure_formats |= one;
    }
    return SC_OK;
}
