/* Spec reader, stage 1: libyaml events -> a small private tree of
 * scalars, mappings and sequences, each node remembering its 1-based
 * line:col (see spec_int.h for the stages).
 *
 * The event API (rather than yaml_parser_load) lets us see aliases and
 * anchors and refuse them (an alias makes one node appear in several
 * places, which invites exponential expansion and confusing locations, and
 * a spec has no need for them), cap the nesting depth explicitly
 * (SC_SPEC_MAX_DEPTH) and detect duplicate keys while building. Only this
 * file sees libyaml and its 1-on-success convention.
 *
 * References: libyaml 0.2.5 yaml.h (yaml_parser_parse, yaml_event_t,
 * yaml_mark_t is 0-based). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

#include "mem.h"
#include "spec_int.h"

void spec_node_free(node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nk; i++)
        spec_node_free(n->kids[i]);
    sc_free(n->kids);
    sc_free(n->slots);
    sc_free(n->text);
    sc_free(n);
}

static sc_spec_loc mark_loc(yaml_mark_t m)
{
    sc_spec_loc loc = {(unsigned)m.line + 1, (unsigned)m.column + 1};
    return loc;
}

static int yaml_error(ctx *c, const yaml_parser_t *p, const char *text,
                      size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return spec_oom(c);
    if (p->error == YAML_READER_ERROR)
        return sc_err_set(c->err, SC_ESPEC,
                          "%s: byte offset %zu: %s; save the spec as UTF-8 "
                          "text",
                          c->path, p->problem_offset,
                          p->problem ? p->problem : "unreadable text");
    sc_spec_loc loc = mark_loc(p->problem_mark);
    /* libyaml's "found character that cannot start any token" at a tab is
     * almost always tab indentation; say so, since YAML forbids it. */
    size_t off = p->problem_mark.index;
    const char *hint = off < len && text[off] == '\t'
                           ? "; YAML indentation must use spaces, not tabs"
                           : "";
    if (p->context != NULL) {
        sc_spec_loc cl = mark_loc(p->context_mark);
        return spec_fail(c, loc,
                         "invalid YAML: %s (%s at line %u, column %u)%s",
                         p->problem ? p->problem : "syntax error", p->context,
                         cl.line, cl.col, hint);
    }
    return spec_fail(c, loc, "invalid YAML: %s%s",
                     p->problem ? p->problem : "syntax error", hint);
}

static int node_new(ctx *c, int kind, yaml_mark_t m, node **out)
{
    node *n = sc_calloc(1, sizeof *n);
    if (n == NULL)
        return spec_oom(c);
    n->kind = kind;
    n->loc = mark_loc(m);
    *out = n;
    return SC_OK;
}

/* Make room for `need` entries in parent->kids. */
static int node_reserve(ctx *c, node *parent, size_t need)
{
    if (need > parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 8;
        while (cap < need)
            cap *= 2;
        node **k = sc_realloc(parent->kids, cap * sizeof *k);
        if (k == NULL)
            return spec_oom(c);
        parent->kids = k;
        parent->cap = cap;
    }
    return SC_OK;
}

/* FNV-1a: keys are short; any fair spread does. */
static size_t key_hash(const char *t)
{
    uint64_t h = 1469598103934665603u;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return (size_t)h;
}

/* Open-addressing probe for text among map's keys: the slot holding it, or
 * the empty slot where it would go. */
static size_t *key_slot(const node *map, const char *text)
{
    size_t mask = map->nslots - 1;
    for (size_t i = key_hash(text) & mask;; i = (i + 1) & mask) {
        size_t *sl = &map->slots[i];
        if (*sl == 0 || strcmp(map->kids[2 * (*sl - 1)]->text, text) == 0)
            return sl;
    }
}

/* Index key (the pair about to become pair map->n) unless an earlier key
 * has the same text: then *first is that key. Keeps the load at most 1/2. */
static int key_index(ctx *c, node *map, const node *key, const node **first)
{
    *first = NULL;
    if (2 * (map->n + 1) > map->nslots) {
        size_t ns = map->nslots ? 2 * map->nslots : 16;
        size_t *old = map->slots, on = map->nslots;
        map->slots = sc_calloc(ns, sizeof *map->slots);
        if (map->slots == NULL) {
            map->slots = old;
            return spec_oom(c);
        }
        map->nslots = ns;
        for (size_t i = 0; i < on; i++)
            if (old[i] != 0)
                *key_slot(map, map->kids[2 * (old[i] - 1)]->text) = old[i];
        sc_free(old);
    }
    size_t *sl = key_slot(map, key->text);
    if (*sl != 0) {
        *first = map->kids[2 * (*sl - 1)];
        return SC_OK;
    }
    *sl = map->n + 1;
    return SC_OK;
}

/* Map under construction: kids holds complete pairs plus possibly a
 * pending key at index 2n. pending[] tracks that per depth. */
static int attach(ctx *c, node **stack, bool *pending, size_t depth,
                  node **root, node *kid)
{
    if (depth == 0) {
        *root = kid;
        return SC_OK;
    }
    node *top = stack[depth - 1];
    if (top->kind == N_SEQ) {
        int rc = node_reserve(c, top, top->n + 1);
        if (rc != SC_OK)
            return rc;
        top->kids[top->n++] = kid;
        top->nk++;
        return SC_OK;
    }
    if (!pending[depth - 1]) {
        /* kid is a key. */
        if (kid->kind != N_SCALAR) {
            int rc = spec_fail(c, kid->loc,
                               "mapping keys must be plain text, found %s",
                               kid->kind == N_MAP ? "a mapping" : "a sequence");
            return rc;
        }
        int rc = node_reserve(c, top, 2 * top->n + 1);
        if (rc != SC_OK)
            return rc;
        /* The key must be in kids before indexing (the index refers to
         * keys by position); it is only counted once indexed. */
        top->kids[2 * top->n] = kid;
        const node *first = NULL;
        rc = key_index(c, top, kid, &first);
        if (rc != SC_OK)
            return rc;
        if (first != NULL)
            return spec_fail(c, kid->loc,
                             "duplicate key '%.60s' (first at line %u, "
                             "column %u); remove one of them",
                             kid->text, first->loc.line, first->loc.col);
        top->nk++;
        pending[depth - 1] = true;
        return SC_OK;
    }
    int rc = node_reserve(c, top, 2 * top->n + 2);
    if (rc != SC_OK)
        return rc;
    top->kids[2 * top->n + 1] = kid;
    top->nk++;
    top->n++;
    pending[depth - 1] = false;
    return SC_OK;
}

static const char *event_anchor(const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_SCALAR_EVENT:
        return (const char *)e->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT:
        return (const char *)e->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT:
        return (const char *)e->data.mapping_start.anchor;
    default:
        return NULL;
    }
}

/* State of the tree under construction: the open mappings and sequences
 * (stack), and per depth whether a map holds a key still without value. */
typedef struct builder {
    node *stack[SC_SPEC_MAX_DEPTH];
    bool pending[SC_SPEC_MAX_DEPTH];
    size_t depth, docs;
    node *root;
    bool done;
} builder;

static int add_scalar(ctx *c, builder *b, const yaml_event_t *e)
{
    node *n = NULL;
    int rc = node_new(c, N_SCALAR, e->start_mark, &n);
    if (rc != SC_OK)
        return rc;
    n->text = sc_malloc(e->data.scalar.length + 1);
    if (n->text == NULL) {
        spec_node_free(n);
        return spec_oom(c);
    }
    memcpy(n->text, e->data.scalar.value, e->data.scalar.length);
    n->text[e->data.scalar.length] = '\0';
    if (strlen(n->text) != e->data.scalar.length) {
        spec_node_free(n);
        return spec_fail(c, mark_loc(e->start_mark),
                         "text contains a NUL character; remove it");
    }
    n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    rc = attach(c, b->stack, b->pending, b->depth, &b->root, n);
    if (rc != SC_OK)
        spec_node_free(n);
    return rc;
}

static int open_collection(ctx *c, builder *b, const yaml_event_t *e)
{
    if (b->depth == SC_SPEC_MAX_DEPTH)
        return spec_fail(c, mark_loc(e->start_mark),
                         "nesting deeper than %d levels; a spec needs at "
                         "most 5",
                         SC_SPEC_MAX_DEPTH);
    node *n = NULL;
    int rc = node_new(c, e->type == YAML_MAPPING_START_EVENT ? N_MAP : N_SEQ,
                      e->start_mark, &n);
    if (rc != SC_OK)
        return rc;
    rc = attach(c, b->stack, b->pending, b->depth, &b->root, n);
    if (rc != SC_OK) {
        spec_node_free(n);
        return rc;
    }
    b->pending[b->depth] = false;
    b->stack[b->depth++] = n;
    return SC_OK;
}

static int on_event(ctx *c, builder *b, const yaml_event_t *e)
{
    sc_spec_loc loc = mark_loc(e->start_mark);
    if (event_anchor(e) != NULL)
        return spec_fail(c, loc,
                         "YAML anchors (&%.40s) and aliases are not supported "
                         "in specs; write the value out",
                         event_anchor(e));
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs > 1)
            return spec_fail(c, loc,
                             "a spec holds one YAML document; remove "
                             "the second '---'");
        return SC_OK;
    case YAML_ALIAS_EVENT:
        return spec_fail(c, loc,
                         "YAML aliases (*%.40s) are not supported in specs; "
                         "write the value out",
                         (const char *)e->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        return add_scalar(c, b, e);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return open_collection(c, b, e);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        b->depth--;
        return SC_OK;
    case YAML_STREAM_END_EVENT:
        b->done = true;
        return SC_OK;
    default:
        return SC_OK;
    }
}

int spec_build_tree(ctx *c, const char *text, size_t len, node **root)
{
    *root = NULL;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return spec_oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    builder b;
    memset(&b, 0, sizeof b);
    int rc = SC_OK;
    while (rc == SC_OK && !b.done) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            rc = yaml_error(c, &p, text, len);
            break;
        }
        rc = on_event(c, &b, &e);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    if (rc != SC_OK) {
        spec_node_free(b.root);
        b.root = NULL;
    }
    *root = b.root;
    return rc;
}
