/* The attributes and model sets of a run (stage 2's input, shared with
 * contrasts and tables; see run_consistency.c for what each set means).
 *
 * Attributes: every groupby and contrast attribute once, in spec order,
 * with its categories in first-appearance order over the models. Sets, in
 * this order: "all"; for each groupby attribute g and categories c1 <= c2,
 * "g:c1|c2" (within when equal, between otherwise); for each anchor model
 * A, groupby attribute g and category c, "anchor:A|g:c". */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "run_internal.h"

static int add_attr(const sc_runctx *rc, run_sets *out, const char *name,
                    size_t *index, sc_err *err)
{
    for (size_t a = 0; a < out->nattrs; a++)
        if (strcmp(out->attrs[a].name, name) == 0) {
            *index = a;
            return SC_OK;
        }
    run_attr *grown = sc_realloc(out->attrs, (out->nattrs + 1) * sizeof *grown);
    if (grown == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    out->attrs = grown;
    run_attr *at = &out->attrs[out->nattrs];
    memset(at, 0, sizeof *at);
    at->name = name;
    at->cats = sc_calloc(rc->m, sizeof *at->cats);
    at->label = sc_calloc(rc->m, sizeof *at->label);
    out->nattrs++;
    if (at->cats == NULL || at->label == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < rc->m; i++) {
        const char *v = sc_spec_model_meta(&rc->spec->models[i], name);
        at->label[i] = SC_CAT_NONE;
        if (v == NULL)
            continue;
        size_t c = 0;
        while (c < at->ncat && strcmp(at->cats[c], v) != 0)
            c++;
        if (c == at->ncat)
            at->cats[at->ncat++] = v;
        at->label[i] = c;
    }
    *index = out->nattrs - 1;
    return SC_OK;
}

/* Distinct models among the pairs with category c (SIZE_MAX: any). */
static size_t models_in(const sc_pairs *p, const size_t *label, size_t c,
                        size_t m)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        bool seen = false;
        for (size_t k = 0; k < p->n && !seen; k++)
            seen = (p->i[k] == i || p->j[k] == i) &&
                   (c == SIZE_MAX || label[i] == c);
        n += seen;
    }
    return n;
}

/* Every set is kept, even with 0 or 1 pair: its rows say why they are NA
 * (the paper skipped sets with <= 1 pair silently). */
static int push_set(run_sets *out, run_set *s)
{
    run_set *grown = sc_realloc(out->sets, (out->nsets + 1) * sizeof *grown);
    if (grown == NULL) {
        sc_pairs_deinit(&s->pairs);
        return SC_ENOMEM;
    }
    out->sets = grown;
    out->sets[out->nsets++] = *s;
    return SC_OK;
}

/* The within and between sets of groupby attribute ai. */
static int group_sets(size_t m, run_sets *out, size_t ai, sc_err *err)
{
    const run_attr *at = &out->attrs[ai];
    int st = SC_OK;
    run_set s;
    for (size_t c1 = 0; c1 < at->ncat && st == SC_OK; c1++)
        for (size_t c2 = c1; c2 < at->ncat && st == SC_OK; c2++) {
            memset(&s, 0, sizeof s);
            s.attr = ai;
            snprintf(s.name, sizeof s.name, "%s:%s|%s", at->name, at->cats[c1],
                     at->cats[c2]);
            st = c1 == c2
                     ? sc_pairs_init_within(&s.pairs, at->label, m, c1, err)
                     : sc_pairs_init_between(&s.pairs, at->label, m, c1, c2,
                                             err);
            s.kind = c1 == c2 ? RUN_SET_WITHIN : RUN_SET_BETWEEN;
            if (st == SC_OK) {
                size_t n1 = models_in(&s.pairs, at->label, c1, m);
                size_t n2 = models_in(&s.pairs, at->label, c2, m);
                s.side = n1 < n2 ? n1 : n2;
            }
            if (st == SC_OK && push_set(out, &s) != SC_OK)
                st = sc_err_set(err, SC_ENOMEM, "out of memory");
        }
    return st;
}

/* The sets of anchor a: for each groupby attribute (gidx) and category. */
static int anchor_sets(const sc_runctx *rc, run_sets *out, const size_t *gidx,
                       size_t a, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t m = rc->m, anchor = 0;
    while (anchor < m &&
           strcmp(spec->models[anchor].name, spec->anchors[a]) != 0)
        anchor++;
    if (anchor == m)
        return sc_err_set(err, SC_ESPEC,
                          "%s: analyses.consistency."
                          "anchors: '%s' is not a model of the spec; use "
                          "a name from models",
                          spec->path, spec->anchors[a]);
    int st = SC_OK;
    run_set s;
    for (size_t g = 0; g < spec->ngroupby && st == SC_OK; g++) {
        const run_attr *at = &out->attrs[gidx[g]];
        for (size_t c = 0; c < at->ncat && st == SC_OK; c++) {
            memset(&s, 0, sizeof s);
            s.attr = gidx[g];
            snprintf(s.name, sizeof s.name, "anchor:%s|%s:%s", spec->anchors[a],
                     at->name, at->cats[c]);
            st = sc_pairs_init_anchor(&s.pairs, at->label, m, anchor, c, err);
            s.kind = RUN_SET_ANCHOR;
            s.side = 1; /* one side is the anchor alone */
            if (st == SC_OK && push_set(out, &s) != SC_OK)
                st = sc_err_set(err, SC_ENOMEM, "out of memory");
        }
    }
    return st;
}

int sc_run_build_sets(const sc_runctx *rc, run_sets *out, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t m = rc->m;
    int st = SC_OK;
    size_t *gidx = sc_calloc(spec->ngroupby + 1, sizeof *gidx);
    if (gidx == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t g = 0; g < spec->ngroupby && st == SC_OK; g++)
        st = add_attr(rc, out, spec->groupby[g], &gidx[g], err);
    for (size_t c = 0; c < spec->ncontrasts && st == SC_OK; c++) {
        size_t ignored;
        st = add_attr(rc, out, spec->contrasts[c].attribute, &ignored, err);
    }
    run_set s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "all");
    s.attr = SIZE_MAX;
    s.kind = RUN_SET_ALL;
    s.side = m;
    if (st == SC_OK)
        st = sc_pairs_init_all(&s.pairs, m, err);
    if (st == SC_OK && push_set(out, &s) != SC_OK)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t g = 0; g < spec->ngroupby && st == SC_OK; g++)
        st = group_sets(m, out, gidx[g], err);
    for (size_t a = 0; a < spec->nanchors && st == SC_OK; a++)
        st = anchor_sets(rc, out, gidx, a, err);
    sc_free(gidx);
    return st;
}

void sc_run_sets_free(run_sets *s)
{
    if (s->attrs != NULL)
        for (size_t a = 0; a < s->nattrs; a++) {
            sc_free(s->attrs[a].cats);
            sc_free(s->attrs[a].label);
        }
    sc_free(s->attrs);
    if (s->sets != NULL)
        for (size_t k = 0; k < s->nsets; k++)
            sc_pairs_deinit(&s->sets[k].pairs);
    sc_free(s->sets);
    memset(s, 0, sizeof *s);
}
