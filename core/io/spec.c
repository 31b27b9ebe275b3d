/* Experiment specs: libyaml -> checked sc_spec (contract in spec.h).
 *
 * Two passes. (1) The libyaml EVENT parser builds a small private tree of
 * scalars, mappings and sequences, each node remembering its 1-based
 * line:col. The event API (rather than yaml_parser_load) lets us see aliases
 * and anchors and refuse them (an alias makes one node appear in several
 * places, which invites exponential expansion and confusing locations, and a
 * spec has no need for them), cap the nesting depth explicitly
 * (SC_SPEC_MAX_DEPTH) and detect duplicate keys while building. (2) A
 * validator walks the tree in a fixed order (name, seed, data, models,
 * datasets, behaviour, metrics, analyses, statistics, runtime), checks every
 * key against the allowed set (unknown keys are errors, with a "did you
 * mean" for near misses), converts values and fills sc_spec with defaults.
 *
 * Invariants: only this file sees libyaml and its 1-on-success convention;
 * every failure leaves the caller's sc_spec zeroed (safe to free) and fills
 * ONE line "<spec>:<line>:<col>: <key>: expected <what>, found <what>" with
 * SC_ESPEC (SC_EIO when the file cannot be read, SC_ENOMEM); all memory goes
 * through core/base/mem.h so the failure-injection test can prove there are no
 * leaks on any path.
 *
 * References: libyaml 0.2.5 yaml.h (yaml_parser_parse, yaml_event_t,
 * yaml_mark_t is 0-based); YAML 1.1 spec sec. 10.3 (null is ~, null, Null,
 * NULL or empty). */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "mem.h"
#include "numtext.h"
#include "prep.h"
#include "methods.h"

/* ## Tree */

enum { N_SCALAR, N_MAP, N_SEQ };

typedef struct node {
    int kind;
    char *text; /* scalar text (NUL-terminated), else NULL      */
    bool plain; /* scalar written without quotes                 */
    sc_spec_loc loc;
    size_t n;           /* seq: items; map: key/value pairs              */
    size_t nk;          /* kid pointers stored (a map may hold a pending
                           key without its value yet)                    */
    size_t cap;         /* allocated entries in kids                     */
    struct node **kids; /* seq: n items; map: 2n (key0, val0, key1, ...) */
    size_t *slots;      /* map: hash index of its keys (pair index + 1,
                           0 = empty), so the duplicate-key check is O(1)
                           per key, not a scan of the keys before it     */
    size_t nslots;      /* power of two, at least twice the keys         */
} node;

static void node_free(node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nk; i++)
        node_free(n->kids[i]);
    sc_free(n->kids);
    sc_free(n->slots);
    sc_free(n->text);
    sc_free(n);
}

/* Validation context: the spec being filled and where errors go. */
typedef struct ctx {
    const char *path;
    sc_err *err;
    sc_spec *spec;
} ctx;

__attribute__((format(printf, 3, 4))) static int fail(ctx *c, sc_spec_loc loc,
                                                      const char *fmt, ...)
{
    char msg[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sc_err_set(c->err, SC_ESPEC, "%s:%u:%u: %s", c->path, loc.line,
                      loc.col, msg);
}

static int oom(ctx *c)
{
    return sc_err_set(c->err, SC_ENOMEM, "%s: out of memory reading the spec",
                      c->path);
}

static sc_spec_loc mark_loc(yaml_mark_t m)
{
    sc_spec_loc loc = {(unsigned)m.line + 1, (unsigned)m.column + 1};
    return loc;
}

static bool is_null(const node *n)
{
    if (n->kind != N_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

/* What a node is, for "found ..." (quoted and shortened scalars). */
static const char *found(const node *n, char *buf, size_t cap)
{
    if (n == NULL)
        return "nothing";
    if (n->kind == N_MAP)
        return "a mapping";
    if (n->kind == N_SEQ)
        return "a sequence";
    if (is_null(n))
        return "null";
    /* Long scalars are cut: the message must stay one readable line. */
    snprintf(buf, cap, "'%.60s%s'", n->text, strlen(n->text) > 60 ? "..." : "");
    return buf;
}

static int expected(ctx *c, const node *n, const char *key, const char *what)
{
    char buf[96];
    return fail(c, n->loc, "%s: expected %s, found %s", key, what,
                found(n, buf, sizeof buf));
}

/* A value longer than its documented limit (spec.h). */
static int too_long(ctx *c, const node *n, const char *key, size_t limit)
{
    return fail(c, n->loc,
                "%s: %zu characters, longer than the limit of %zu; shorten "
                "it",
                key, strlen(n->text), limit);
}

/* A list longer than its documented limit (spec.h). */
static int too_many(ctx *c, const node *n, const char *key, const char *what,
                    size_t limit)
{
    return fail(c, n->loc,
                "%s: %zu %s, more than the limit of %zu; split the "
                "experiment into several specs",
                key, n->n, what, limit);
}

/* ## Building the tree from libyaml events */

static int yaml_error(ctx *c, const yaml_parser_t *p, const char *text,
                      size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return oom(c);
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
        return fail(c, loc, "invalid YAML: %s (%s at line %u, column %u)%s",
                    p->problem ? p->problem : "syntax error", p->context,
                    cl.line, cl.col, hint);
    }
    return fail(c, loc, "invalid YAML: %s%s",
                p->problem ? p->problem : "syntax error", hint);
}

static int node_new(ctx *c, int kind, yaml_mark_t m, node **out)
{
    node *n = sc_calloc(1, sizeof *n);
    if (n == NULL)
        return oom(c);
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
            return oom(c);
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
            return oom(c);
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
            int rc =
                fail(c, kid->loc, "mapping keys must be plain text, found %s",
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
            return fail(c, kid->loc,
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

static int build_tree(ctx *c, const char *text, size_t len, node **root)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    node *stack[SC_SPEC_MAX_DEPTH];
    bool pending[SC_SPEC_MAX_DEPTH] = {false};
    size_t depth = 0, docs = 0;
    int rc = SC_OK;
    bool done = false;
    *root = NULL;
    while (rc == SC_OK && !done) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            rc = yaml_error(c, &p, text, len);
            break;
        }
        sc_spec_loc loc = mark_loc(e.start_mark);
        node *n = NULL;
        if (event_anchor(&e) != NULL) {
            rc = fail(c, loc,
                      "YAML anchors (&%.40s) and aliases are not supported "
                      "in specs; write the value out",
                      event_anchor(&e));
            yaml_event_delete(&e);
            break;
        }
        switch (e.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                rc = fail(c, loc,
                          "a spec holds one YAML document; remove "
                          "the second '---'");
            break;
        case YAML_ALIAS_EVENT:
            rc = fail(c, loc,
                      "YAML aliases (*%.40s) are not supported in specs; "
                      "write the value out",
                      (const char *)e.data.alias.anchor);
            break;
        case YAML_SCALAR_EVENT:
            rc = node_new(c, N_SCALAR, e.start_mark, &n);
            if (rc != SC_OK)
                break;
            n->text = sc_malloc(e.data.scalar.length + 1);
            if (n->text == NULL) {
                node_free(n);
                rc = oom(c);
                break;
            }
            memcpy(n->text, e.data.scalar.value, e.data.scalar.length);
            n->text[e.data.scalar.length] = '\0';
            if (strlen(n->text) != e.data.scalar.length) {
                node_free(n);
                rc = fail(c, loc, "text contains a NUL character; remove it");
                break;
            }
            n->plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            rc = attach(c, stack, pending, depth, root, n);
            if (rc != SC_OK)
                node_free(n);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth == SC_SPEC_MAX_DEPTH) {
                rc = fail(c, loc,
                          "nesting deeper than %d levels; a spec needs at "
                          "most 5",
                          SC_SPEC_MAX_DEPTH);
                break;
            }
            rc = node_new(c, e.type == YAML_MAPPING_START_EVENT ? N_MAP : N_SEQ,
                          e.start_mark, &n);
            if (rc != SC_OK)
                break;
            rc = attach(c, stack, pending, depth, root, n);
            if (rc != SC_OK) {
                node_free(n);
                break;
            }
            pending[depth] = false;
            stack[depth++] = n;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    if (rc != SC_OK) {
        node_free(*root);
        *root = NULL;
    }
    return rc;
}

/* ## Small helpers */

static size_t edit_distance(const char *a, const char *b)
{
    /* Levenshtein with two rows; keys are short, so a fixed cap suffices
     * (longer strings are simply never suggested). */
    enum { CAP = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= CAP || lb >= CAP)
        return SIZE_MAX;
    size_t prev[CAP], cur[CAP];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] =
                sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* The closest candidate within distance 2, or NULL. */
static const char *suggest(const char *word, const char *const *cand, size_t n)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cand[i]);
        if (d < bestd) {
            bestd = d;
            best = cand[i];
        }
    }
    return best;
}

static void join_list(const char *const *items, size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w =
            snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", items[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Every key of map must be among allowed (n entries). */
static int check_keys(ctx *c, const node *map, const char *where,
                      const char *const *allowed, size_t n)
{
    for (size_t i = 0; i < map->n; i++) {
        const node *k = map->kids[2 * i];
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = strcmp(k->text, allowed[j]) == 0;
        if (ok)
            continue;
        const char *s = suggest(k->text, allowed, n);
        char list[512];
        join_list(allowed, n, list, sizeof list);
        char full[160];
        snprintf(full, sizeof full, "%s%s%.60s", where, where[0] ? "." : "",
                 k->text);
        if (s != NULL)
            return fail(c, k->loc, "%s: unknown key; did you mean '%s'?", full,
                        s);
        return fail(c, k->loc, "%s: unknown key; expected one of: %s", full,
                    list);
    }
    return SC_OK;
}

static const node *get(const node *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->kids[2 * i]->text, key) == 0)
            return map->kids[2 * i + 1];
    return NULL;
}

static int missing(ctx *c, const node *map, const char *where, const char *key)
{
    if (where[0] == '\0')
        return fail(c, map->loc, "missing required key '%s'", key);
    return fail(c, map->loc, "%s: missing required key '%s'", where, key);
}

static int want_map(ctx *c, const node *n, const char *key)
{
    return n->kind == N_MAP ? SC_OK : expected(c, n, key, "a mapping");
}

/* A non-empty scalar, copied. */
static int get_text(ctx *c, const node *n, const char *key, char **out)
{
    if (n->kind != N_SCALAR || is_null(n) || n->text[0] == '\0')
        return expected(c, n, key, "a non-empty string");
    *out = sc_strdup(n->text);
    return *out ? SC_OK : oom(c);
}

/* Names become file and folder names and CSV fields: [a-zA-Z0-9_.-]+, not
 * starting with '.' or '-' (no hidden files, no "..", no option look-alike). */
static bool name_ok(const char *s)
{
    if (s[0] == '\0' || s[0] == '.' || s[0] == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

#define NAME_RULE                                                              \
    "a name of letters, digits, '_', '.', '-' (not starting with '.' or '-')"

static int get_name(ctx *c, const node *n, const char *key, char **out)
{
    if (n->kind != N_SCALAR || !name_ok(n->text))
        return expected(c, n, key, NAME_RULE);
    if (strlen(n->text) > SC_SPEC_MAX_NAME)
        return too_long(c, n, key, SC_SPEC_MAX_NAME);
    *out = sc_strdup(n->text);
    return *out ? SC_OK : oom(c);
}

/* Metadata keys: identifiers (they become column names and labels). */
static bool ident_ok(const char *s)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

/* Metadata values end up in CSV fields and in model-set labels such as
 * "objective:a|b", so they may not hold the separators of either. */
static int get_label(ctx *c, const node *n, const char *key, char **out)
{
    if (n->kind != N_SCALAR || is_null(n) || n->text[0] == '\0' ||
        strpbrk(n->text, ",\"|\r\n") != NULL)
        return expected(c, n, key,
                        "non-empty text without ',', '\"', '|' or line "
                        "breaks");
    if (strlen(n->text) > SC_SPEC_MAX_LABEL)
        return too_long(c, n, key, SC_SPEC_MAX_LABEL);
    *out = sc_strdup(n->text);
    return *out ? SC_OK : oom(c);
}

static int get_u64(ctx *c, const node *n, const char *key, const char *what,
                   uint64_t *out)
{
    if (n->kind != N_SCALAR || n->text[0] == '\0')
        return expected(c, n, key, what);
    for (const char *p = n->text; *p; p++)
        if (!isdigit((unsigned char)*p))
            return expected(c, n, key, what);
    errno = 0;
    unsigned long long v = strtoull(n->text, NULL, 10);
    if (errno == ERANGE)
        return expected(c, n, key, what);
    *out = (uint64_t)v;
    return SC_OK;
}

/* A count from 0 to limit (spec.h). */
static int get_count(ctx *c, const node *n, const char *key, size_t limit,
                     size_t *out)
{
    uint64_t v = 0;
    char what[96];
    snprintf(what, sizeof what, "an integer from 0 to %zu (the limit)", limit);
    int rc = get_u64(c, n, key, what, &v);
    if (rc != SC_OK)
        return rc;
    if (v > limit)
        return expected(c, n, key, what);
    *out = (size_t)v;
    return SC_OK;
}

/* One of choices ("a|b|c"): returns the index. */
static int get_choice(ctx *c, const node *n, const char *key,
                      const char *const *choices, size_t nchoices, size_t *out)
{
    if (n->kind == N_SCALAR)
        for (size_t i = 0; i < nchoices; i++)
            if (strcmp(n->text, choices[i]) == 0) {
                *out = i;
                return SC_OK;
            }
    char list[256], what[300];
    join_list(choices, nchoices, list, sizeof list);
    snprintf(what, sizeof what, "one of %s", list);
    return expected(c, n, key, what);
}

/* Length of the longest '/'-separated component of path. */
static size_t longest_component(const char *path)
{
    size_t best = 0, cur = 0;
    for (const char *p = path;; p++) {
        if (*p == '/' || *p == '\0') {
            best = cur > best ? cur : best;
            cur = 0;
            if (*p == '\0')
                return best;
        } else {
            cur++;
        }
    }
}

/* Join a path from the spec (the value of node v, NULL for a default) with
 * the spec's folder. The joined path must fit PATH_MAX, and each of its
 * components NAME_MAX, or opening it would fail late with ENAMETOOLONG. */
static int resolve(ctx *c, const node *v, const char *key, const char *p,
                   char **out)
{
    const char *dir = c->spec->dir;
    if (p[0] == '/' || strcmp(dir, ".") == 0) {
        *out = sc_strdup(p);
    } else {
        size_t len = strlen(dir) + strlen(p) + 2;
        *out = sc_malloc(len);
        /* dir is "/" only for a spec at the file system root. */
        if (*out != NULL)
            snprintf(*out, len, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/",
                     p);
    }
    if (*out == NULL)
        return oom(c);
    sc_spec_loc loc = v ? v->loc : (sc_spec_loc){0, 0};
    size_t comp = longest_component(*out);
    if (strlen(*out) >= PATH_MAX)
        return fail(c, loc,
                    "%s: the path is %zu characters once joined with the "
                    "spec's folder, longer than the limit (PATH_MAX) of %d",
                    key, strlen(*out), PATH_MAX);
    if (comp > NAME_MAX)
        return fail(c, loc,
                    "%s: a file or folder name in the path is %zu "
                    "characters, longer than the limit (NAME_MAX) of %d",
                    key, comp, NAME_MAX);
    return SC_OK;
}

/* ## Sections */

static int parse_data(ctx *c, const node *n)
{
    static const char *const keys[] = {
        "root",        "features",     "ids",    "normalize",
        "max_stimuli", "allow_vector", "flatten"};
    sc_spec *s = c->spec;
    int rc = want_map(c, n, "data");
    if (rc == SC_OK)
        rc = check_keys(c, n, "data", keys, 7);
    if (rc != SC_OK)
        return rc;
    const node *v = get(n, "features");
    if (v == NULL)
        return missing(c, n, "data", "features");
    s->features_loc = v->loc;
    rc = get_text(c, v, "data.features", &s->features);
    if (rc != SC_OK)
        return rc;
    /* Only the two placeholders exist; each must be there, or all models
     * (or datasets) would read the same file. */
    if (strstr(s->features, "{model}") == NULL ||
        strstr(s->features, "{dataset}") == NULL)
        return expected(c, v, "data.features",
                        "a path template with {dataset} and {model}");
    for (const char *p = strchr(s->features, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p, "{model}", 7) != 0 && strncmp(p, "{dataset}", 9) != 0)
            return expected(c, v, "data.features",
                            "only the placeholders {dataset} and {model}");
    if ((v = get(n, "ids")) != NULL) {
        s->ids_loc = v->loc;
        rc = get_text(c, v, "data.ids", &s->ids);
        if (rc != SC_OK)
            return rc;
        /* Per dataset, or per model ({model}: every model's file must
         * list the same ids in the same order, checked row by row). */
        if (strstr(s->ids, "{dataset}") == NULL)
            return expected(c, v, "data.ids",
                            "a path template with {dataset} (and optionally "
                            "{model})");
        for (const char *p = strchr(s->ids, '{'); p; p = strchr(p + 1, '{'))
            if (strncmp(p, "{dataset}", 9) != 0 &&
                strncmp(p, "{model}", 7) != 0)
                return expected(c, v, "data.ids",
                                "only the placeholders {dataset} and {model}");
    }
    char *root = NULL;
    if ((v = get(n, "root")) != NULL) {
        rc = get_text(c, v, "data.root", &root);
        if (rc != SC_OK)
            return rc;
    }
    rc = resolve(c, get(n, "root"), "data.root", root ? root : ".", &s->root);
    sc_free(root);
    if (rc != SC_OK)
        return rc;
    s->normalize = SC_NORM_L2;
    if ((v = get(n, "normalize")) != NULL) {
        static const char *const norms[] = {"none", "center", "l2"};
        size_t k = 0;
        rc = get_choice(c, v, "data.normalize", norms, 3, &k);
        if (rc != SC_OK)
            return rc;
        sc_err tmp;
        rc = sc_norm_parse(norms[k], &s->normalize, &tmp);
        if (rc != SC_OK)
            return expected(c, v, "data.normalize", "none, center or l2");
    }
    if ((v = get(n, "allow_vector")) != NULL) {
        static const char *const bools[] = {"false", "true"};
        size_t k = 0;
        rc = get_choice(c, v, "data.allow_vector", bools, 2, &k);
        if (rc != SC_OK)
            return rc;
        s->allow_vector = k == 1;
    }
    if ((v = get(n, "max_stimuli")) != NULL)
        rc = get_count(c, v, "data.max_stimuli", SC_SPEC_MAX_STIMULI,
                       &s->max_stimuli);
    if (rc == SC_OK && (v = get(n, "flatten")) != NULL) {
        static const char *const tf[] = {"false", "true"};
        size_t k = 0;
        rc = get_choice(c, v, "data.flatten", tf, 2, &k);
        s->flatten = k == 1;
    }
    return rc;
}

/* Metadata of one model/dataset entry: every key but the reserved ones. */
static int parse_meta(ctx *c, const node *e, const char *where,
                      const char *const *reserved, size_t nres,
                      sc_spec_kv **meta, size_t *nmeta)
{
    if (e->n > SC_SPEC_MAX_META + nres)
        return too_many(c, e, where, "keys", SC_SPEC_MAX_META + nres);
    *meta = sc_calloc(e->n ? e->n : 1, sizeof **meta);
    if (*meta == NULL)
        return oom(c);
    for (size_t i = 0; i < e->n; i++) {
        const node *k = e->kids[2 * i], *v = e->kids[2 * i + 1];
        bool res = false;
        for (size_t j = 0; j < nres && !res; j++)
            res = strcmp(k->text, reserved[j]) == 0;
        if (res)
            continue;
        char key[160];
        snprintf(key, sizeof key, "%s.%.60s", where, k->text);
        if (!ident_ok(k->text))
            return fail(c, k->loc,
                        "%s: expected a metadata key of letters, digits "
                        "and '_' (not starting with a digit)",
                        key);
        if (strlen(k->text) > SC_SPEC_MAX_KEY)
            return too_long(c, k, key, SC_SPEC_MAX_KEY);
        sc_spec_kv *kv = &(*meta)[*nmeta];
        kv->loc = v->loc;
        kv->key = sc_strdup(k->text);
        if (kv->key == NULL)
            return oom(c);
        (*nmeta)++;
        int rc = get_label(c, v, key, &kv->value);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

static int want_list(ctx *c, const node *n, const char *key)
{
    if (n->kind != N_SEQ || n->n == 0)
        return expected(c, n, key, "a non-empty sequence");
    return SC_OK;
}

static int parse_models(ctx *c, const node *n)
{
    sc_spec *s = c->spec;
    int rc = want_list(c, n, "models");
    if (rc != SC_OK)
        return rc;
    /* A similarity matrix needs at least one pair. */
    if (n->n < 2)
        return fail(c, n->loc,
                    "models: expected at least 2 models, found 1; "
                    "similarity compares pairs of models");
    if (n->n > SC_SPEC_MAX_MODELS)
        return too_many(c, n, "models", "models", SC_SPEC_MAX_MODELS);
    s->models = sc_calloc(n->n, sizeof *s->models);
    if (s->models == NULL)
        return oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48], key[64];
        snprintf(where, sizeof where, "models[%zu]", i);
        rc = want_map(c, e, where);
        if (rc != SC_OK)
            return rc;
        sc_spec_model *m = &s->models[i];
        s->nmodels++;
        m->loc = e->loc;
        const node *v = get(e, "name");
        if (v == NULL)
            return missing(c, e, where, "name");
        snprintf(key, sizeof key, "%s.name", where);
        rc = get_name(c, v, key, &m->name);
        if (rc != SC_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->models[j].name, m->name) == 0)
                return fail(c, v->loc,
                            "%s: duplicate model name '%s' (first at line "
                            "%u); model names must be unique",
                            key, m->name, s->models[j].loc.line);
        static const char *const res[] = {"name"};
        rc = parse_meta(c, e, where, res, 1, &m->meta, &m->nmeta);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

static int parse_datasets(ctx *c, const node *n)
{
    sc_spec *s = c->spec;
    int rc = want_list(c, n, "datasets");
    if (rc != SC_OK)
        return rc;
    if (n->n > SC_SPEC_MAX_DATASETS)
        return too_many(c, n, "datasets", "datasets", SC_SPEC_MAX_DATASETS);
    s->datasets = sc_calloc(n->n, sizeof *s->datasets);
    if (s->datasets == NULL)
        return oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48], key[64];
        snprintf(where, sizeof where, "datasets[%zu]", i);
        rc = want_map(c, e, where);
        if (rc != SC_OK)
            return rc;
        sc_spec_dataset *d = &s->datasets[i];
        s->ndatasets++;
        d->loc = e->loc;
        const node *v = get(e, "name");
        if (v == NULL)
            return missing(c, e, where, "name");
        snprintf(key, sizeof key, "%s.name", where);
        rc = get_name(c, v, key, &d->name);
        if (rc != SC_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->datasets[j].name, d->name) == 0)
                return fail(c, v->loc,
                            "%s: duplicate dataset name '%s' (first at line "
                            "%u); dataset names must be unique",
                            key, d->name, s->datasets[j].loc.line);
        if ((v = get(e, "domain")) != NULL) {
            snprintf(key, sizeof key, "%s.domain", where);
            rc = get_label(c, v, key, &d->domain);
        } else {
            d->domain = sc_strdup("");
            rc = d->domain ? SC_OK : oom(c);
        }
        if (rc != SC_OK)
            return rc;
        static const char *const res[] = {"name", "domain"};
        rc = parse_meta(c, e, where, res, 2, &d->meta, &d->nmeta);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

static int parse_behaviour(ctx *c, const node *n)
{
    static const char *const keys[] = {"accuracy"};
    int rc = want_map(c, n, "behaviour");
    if (rc == SC_OK)
        rc = check_keys(c, n, "behaviour", keys, 1);
    if (rc != SC_OK)
        return rc;
    const node *v = get(n, "accuracy");
    if (v == NULL)
        return missing(c, n, "behaviour", "accuracy");
    char *p = NULL;
    c->spec->behaviour_loc = v->loc;
    rc = get_text(c, v, "behaviour.accuracy", &p);
    if (rc == SC_OK)
        rc = resolve(c, v, "behaviour.accuracy", p,
                     &c->spec->behaviour_accuracy);
    sc_free(p);
    return rc;
}

static int parse_params(ctx *c, const node *n, const char *where,
                        sc_spec_metric *m)
{
    int rc = want_map(c, n, where);
    if (rc != SC_OK)
        return rc;
    if (n->n > SC_SPEC_MAX_PARAMS)
        return too_many(c, n, where, "parameters", SC_SPEC_MAX_PARAMS);
    size_t cnt = n->n ? n->n : 1;
    m->keys = sc_calloc(cnt, sizeof *m->keys);
    m->values = sc_calloc(cnt, sizeof *m->values);
    m->param_locs = sc_calloc(cnt, sizeof *m->param_locs);
    if (m->keys == NULL || m->values == NULL || m->param_locs == NULL)
        return oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
        char key[160];
        snprintf(key, sizeof key, "%s.%.60s", where, k->text);
        if (!ident_ok(k->text))
            return fail(c, k->loc,
                        "%s: expected a parameter name of letters, digits "
                        "and '_'",
                        key);
        if (strlen(k->text) > SC_SPEC_MAX_KEY)
            return too_long(c, k, key, SC_SPEC_MAX_KEY);
        m->keys[i] = sc_strdup(k->text);
        if (m->keys[i] == NULL)
            return oom(c);
        m->nparams++;
        m->param_locs[i] = v->loc;
        /* Values stay text: the plugin's schema decides their type. */
        if (v->kind != N_SCALAR || is_null(v))
            return expected(c, v, key, "a single value (number or word)");
        if (strlen(v->text) > SC_SPEC_MAX_VALUE)
            return too_long(c, v, key, SC_SPEC_MAX_VALUE);
        m->values[i] = sc_strdup(v->text);
        if (m->values[i] == NULL)
            return oom(c);
    }
    return SC_OK;
}

static int parse_metrics(ctx *c, const node *n)
{
    static const char *const keys[] = {"name", "plugin", "params"};
    sc_spec *s = c->spec;
    int rc = want_list(c, n, "metrics");
    if (rc != SC_OK)
        return rc;
    if (n->n > SC_SPEC_MAX_METRICS)
        return too_many(c, n, "metrics", "metrics", SC_SPEC_MAX_METRICS);
    s->metrics = sc_calloc(n->n, sizeof *s->metrics);
    if (s->metrics == NULL)
        return oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48], key[64];
        snprintf(where, sizeof where, "metrics[%zu]", i);
        rc = want_map(c, e, where);
        if (rc == SC_OK)
            rc = check_keys(c, e, where, keys, 3);
        if (rc != SC_OK)
            return rc;
        sc_spec_metric *m = &s->metrics[i];
        s->nmetrics++;
        m->loc = e->loc;
        m->param_loc = e->loc;
        const node *v = get(e, "name");
        if (v == NULL)
            return missing(c, e, where, "name");
        snprintf(key, sizeof key, "%s.name", where);
        rc = get_name(c, v, key, &m->name);
        if (rc != SC_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->metrics[j].name, m->name) == 0)
                return fail(c, v->loc,
                            "%s: duplicate metric name '%s' (first at line "
                            "%u); metric names must be unique",
                            key, m->name, s->metrics[j].loc.line);
        if ((v = get(e, "plugin")) == NULL)
            return missing(c, e, where, "plugin");
        snprintf(key, sizeof key, "%s.plugin", where);
        m->plugin_loc = v->loc;
        rc = get_text(c, v, key, &m->plugin);
        if (rc != SC_OK)
            return rc;
        /* A path (it has a '/') is relative to the spec's folder, like
         * every other path in a spec; a bare name is looked up on the
         * plugin search path (core/host/loader.c). */
        if (strchr(m->plugin, '/') != NULL) {
            char *rel = m->plugin;
            m->plugin = NULL;
            rc = resolve(c, v, key, rel, &m->plugin);
            sc_free(rel);
            if (rc != SC_OK)
                return rc;
        }
        if ((v = get(e, "params")) != NULL) {
            m->param_loc = v->loc;
            snprintf(key, sizeof key, "%s.params", where);
            rc = parse_params(c, v, key, m);
            if (rc != SC_OK)
                return rc;
        }
    }
    return SC_OK;
}

static int get_corr(ctx *c, const node *n, const char *key, int *out)
{
    static const char *const names[] = {"pearson", "spearman"};
    size_t k = 0;
    int rc = get_choice(c, n, key, names, 2, &k);
    if (rc != SC_OK)
        return rc;
    sc_corr_method m = SC_CORR_PEARSON;
    sc_err tmp;
    if (sc_corr_parse(names[k], &m, &tmp) != SC_OK)
        return expected(c, n, key, "pearson or spearman");
    *out = (int)m;
    return SC_OK;
}

/* attribute must be a metadata key of every model. */
static int check_attribute(ctx *c, const node *n, const char *key,
                           const char *attr)
{
    const sc_spec *s = c->spec;
    for (size_t i = 0; i < s->nmodels; i++)
        if (sc_spec_model_meta(&s->models[i], attr) == NULL)
            return fail(c, n->loc,
                        "%s: model '%s' (line %u) has no metadata key "
                        "'%s'; add it to every model or remove it here",
                        key, s->models[i].name, s->models[i].loc.line, attr);
    return SC_OK;
}

static int parse_consistency(ctx *c, const node *n)
{
    static const char *const keys[] = {"correlation", "groupby", "anchors"};
    sc_spec *s = c->spec;
    s->consistency_enabled = 1;
    if (is_null(n))
        return SC_OK; /* "consistency:" alone: the defaults */
    int rc = want_map(c, n, "analyses.consistency");
    if (rc == SC_OK)
        rc = check_keys(c, n, "analyses.consistency", keys, 3);
    if (rc != SC_OK)
        return rc;
    const node *v = get(n, "correlation");
    if (v != NULL) {
        rc = get_corr(c, v, "analyses.consistency.correlation",
                      &s->consistency_corr);
        if (rc != SC_OK)
            return rc;
    }
    if ((v = get(n, "groupby")) != NULL) {
        if (v->kind != N_SEQ)
            return expected(c, v, "analyses.consistency.groupby",
                            "a sequence of model metadata keys");
        s->groupby = sc_calloc(v->n ? v->n : 1, sizeof *s->groupby);
        if (s->groupby == NULL)
            return oom(c);
        for (size_t i = 0; i < v->n; i++) {
            char key[64];
            snprintf(key, sizeof key, "analyses.consistency.groupby[%zu]", i);
            const node *g = v->kids[i];
            if (g->kind != N_SCALAR || !ident_ok(g->text))
                return expected(c, g, key, "a model metadata key");
            for (size_t j = 0; j < i; j++)
                if (strcmp(s->groupby[j], g->text) == 0)
                    return fail(c, g->loc, "%s: '%s' is listed twice", key,
                                g->text);
            rc = check_attribute(c, g, key, g->text);
            if (rc != SC_OK)
                return rc;
            s->groupby[i] = sc_strdup(g->text);
            if (s->groupby[i] == NULL)
                return oom(c);
            s->ngroupby++;
        }
    }
    if ((v = get(n, "anchors")) != NULL) {
        if (v->kind != N_SEQ)
            return expected(c, v, "analyses.consistency.anchors",
                            "a sequence of model names");
        s->anchors = sc_calloc(v->n ? v->n : 1, sizeof *s->anchors);
        if (s->anchors == NULL)
            return oom(c);
        for (size_t i = 0; i < v->n; i++) {
            char key[64];
            snprintf(key, sizeof key, "analyses.consistency.anchors[%zu]", i);
            const node *a = v->kids[i];
            bool known = false;
            for (size_t j = 0; a->kind == N_SCALAR && j < s->nmodels; j++)
                known = known || strcmp(s->models[j].name, a->text) == 0;
            if (!known) {
                const char *best = NULL;
                size_t bestd = 3;
                for (size_t j = 0; a->kind == N_SCALAR && j < s->nmodels; j++) {
                    size_t d = edit_distance(a->text, s->models[j].name);
                    if (d < bestd) {
                        bestd = d;
                        best = s->models[j].name;
                    }
                }
                char buf[96];
                if (best != NULL)
                    return fail(c, a->loc,
                                "%s: expected a model name, found %s; did "
                                "you mean '%s'?",
                                key, found(a, buf, sizeof buf), best);
                return expected(c, a, key, "a model name from 'models'");
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(s->anchors[j], a->text) == 0)
                    return fail(c, a->loc, "%s: '%s' is listed twice", key,
                                a->text);
            s->anchors[i] = sc_strdup(a->text);
            if (s->anchors[i] == NULL)
                return oom(c);
            s->nanchors++;
        }
        if (s->nanchors > 0 && s->ngroupby == 0)
            return fail(c, v->loc,
                        "analyses.consistency.anchors: anchors are compared "
                        "with each category of a groupby attribute; add "
                        "groupby");
    }
    return SC_OK;
}

static int parse_contrasts(ctx *c, const node *n)
{
    static const char *const keys[] = {"attribute"};
    sc_spec *s = c->spec;
    if (n->kind != N_SEQ)
        return expected(c, n, "analyses.contrasts",
                        "a sequence of {attribute: KEY}");
    s->contrasts = sc_calloc(n->n ? n->n : 1, sizeof *s->contrasts);
    if (s->contrasts == NULL)
        return oom(c);
    for (size_t i = 0; i < n->n; i++) {
        const node *e = n->kids[i];
        char where[48], key[64];
        snprintf(where, sizeof where, "analyses.contrasts[%zu]", i);
        int rc = want_map(c, e, where);
        if (rc == SC_OK)
            rc = check_keys(c, e, where, keys, 1);
        if (rc != SC_OK)
            return rc;
        const node *v = get(e, "attribute");
        if (v == NULL)
            return missing(c, e, where, "attribute");
        snprintf(key, sizeof key, "%s.attribute", where);
        if (v->kind != N_SCALAR || !ident_ok(v->text))
            return expected(c, v, key, "a model metadata key");
        rc = check_attribute(c, v, key, v->text);
        if (rc != SC_OK)
            return rc;
        /* A contrast compares categories: it needs two of them. */
        const char *first = sc_spec_model_meta(&s->models[0], v->text);
        bool two = false;
        for (size_t j = 1; j < s->nmodels && !two; j++)
            two = strcmp(sc_spec_model_meta(&s->models[j], v->text), first);
        if (!two)
            return fail(c, v->loc,
                        "%s: expected an attribute with at least 2 "
                        "categories, found '%s' has only '%s'",
                        key, v->text, first);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->contrasts[j].attribute, v->text) == 0)
                return fail(c, v->loc, "%s: '%s' is listed twice", key,
                            v->text);
        sc_spec_contrast *ct = &s->contrasts[s->ncontrasts];
        ct->loc = v->loc;
        ct->attribute = sc_strdup(v->text);
        if (ct->attribute == NULL)
            return oom(c);
        s->ncontrasts++;
    }
    return SC_OK;
}

static int parse_analyses(ctx *c, const node *n)
{
    static const char *const keys[] = {"consistency", "behaviour", "contrasts"};
    sc_spec *s = c->spec;
    int rc = want_map(c, n, "analyses");
    if (rc == SC_OK)
        rc = check_keys(c, n, "analyses", keys, 3);
    if (rc != SC_OK)
        return rc;
    const node *v = get(n, "consistency");
    if (v != NULL && (rc = parse_consistency(c, v)) != SC_OK)
        return rc;
    if ((v = get(n, "behaviour")) != NULL) {
        static const char *const bkeys[] = {"correlation"};
        s->behaviour_enabled = 1;
        if (!is_null(v)) {
            rc = want_map(c, v, "analyses.behaviour");
            if (rc == SC_OK)
                rc = check_keys(c, v, "analyses.behaviour", bkeys, 1);
            const node *w = rc == SC_OK ? get(v, "correlation") : NULL;
            if (w != NULL)
                rc = get_corr(c, w, "analyses.behaviour.correlation",
                              &s->behaviour_corr);
            if (rc != SC_OK)
                return rc;
        }
        if (s->behaviour_accuracy == NULL)
            return fail(c, v->loc,
                        "analyses.behaviour: needs behaviour.accuracy (a CSV "
                        "with columns dataset,model,accuracy); add it or "
                        "remove this analysis");
    }
    if ((v = get(n, "contrasts")) != NULL)
        rc = parse_contrasts(c, v);
    return rc;
}

static int parse_statistics(ctx *c, const node *n)
{
    static const char *const keys[] = {
        "permutations", "bootstrap",  "over",  "ci",
        "interval",     "correction", "family"};
    sc_spec *s = c->spec;
    int rc = want_map(c, n, "statistics");
    if (rc == SC_OK)
        rc = check_keys(c, n, "statistics", keys, 7);
    if (rc != SC_OK)
        return rc;
    const node *v;
    if ((v = get(n, "permutations")) != NULL &&
        (rc = get_count(c, v, "statistics.permutations",
                        SC_SPEC_MAX_PERMUTATIONS, &s->permutations)))
        return rc;
    if ((v = get(n, "bootstrap")) != NULL &&
        (rc = get_count(c, v, "statistics.bootstrap", SC_SPEC_MAX_BOOTSTRAP,
                        &s->bootstrap)))
        return rc;
    if ((v = get(n, "over")) != NULL) {
        static const char *const over[] = {"models", "stimuli", "datasets"};
        size_t k = 0;
        if ((rc = get_choice(c, v, "statistics.over", over, 3, &k)))
            return rc;
        s->over = (int)k; /* same order as enum sc_spec_over */
    }
    if ((v = get(n, "ci")) != NULL) {
        char *end = NULL;
        /* Decimal only: strtod would also take "0x1p-1" (0.5). */
        bool dec = v->kind == N_SCALAR && sc_is_decimal(v->text);
        double x = dec ? strtod(v->text, &end) : 0.0;
        if (!dec || end == v->text || *end != '\0' || !(x > 0.0 && x < 1.0))
            return expected(c, v, "statistics.ci",
                            "a confidence level strictly between 0 and 1 "
                            "(e.g. 0.95)");
        s->ci = x;
    }
    if ((v = get(n, "interval")) != NULL) {
        static const char *const iv[] = {"percentile", "bca"};
        size_t k = 0;
        if ((rc = get_choice(c, v, "statistics.interval", iv, 2, &k)))
            return rc;
        sc_ci_method m = SC_CI_BCA;
        sc_err tmp;
        if (sc_ci_parse(iv[k], &m, &tmp) != SC_OK)
            return expected(c, v, "statistics.interval", "percentile or bca");
        s->interval = (int)m;
    }
    if ((v = get(n, "correction")) != NULL) {
        static const char *const cr[] = {"holm", "bh", "none"};
        size_t k = 0;
        if ((rc = get_choice(c, v, "statistics.correction", cr, 3, &k)))
            return rc;
        if (k == 2) {
            s->correction = SC_SPEC_CORRECTION_NONE;
        } else {
            sc_padjust_method m = SC_PADJ_HOLM;
            sc_err tmp;
            if (sc_padjust_parse(cr[k], &m, &tmp) != SC_OK)
                return expected(c, v, "statistics.correction",
                                "holm, bh or none");
            s->correction = (int)m;
        }
    }
    if ((v = get(n, "family")) != NULL) {
        static const char *const fam[] = {"question", "metric"};
        size_t k = 0;
        if ((rc = get_choice(c, v, "statistics.family", fam, 2, &k)))
            return rc;
        s->family = (int)k; /* same order as enum sc_spec_family */
    }
    return SC_OK;
}

static int parse_runtime(ctx *c, const node *n)
{
    static const char *const keys[] = {"threads", "memory", "plugin_dir"};
    sc_spec *s = c->spec;
    int rc = want_map(c, n, "runtime");
    if (rc == SC_OK)
        rc = check_keys(c, n, "runtime", keys, 3);
    if (rc != SC_OK)
        return rc;
    const node *v;
    if ((v = get(n, "threads")) != NULL) {
        uint64_t t = 0;
        rc = get_u64(c, v, "runtime.threads", "a positive integer", &t);
        if (rc != SC_OK)
            return rc;
        if (t == 0 || t > SC_SPEC_MAX_THREADS)
            return expected(c, v, "runtime.threads",
                            "a positive integer up to 1024");
        s->threads = (unsigned)t;
    }
    if ((v = get(n, "memory")) != NULL) {
        sc_err tmp;
        if (v->kind != N_SCALAR || sc_parse_bytes("runtime.memory", v->text,
                                                  &s->memory, &tmp) != SC_OK)
            return expected(c, v, "runtime.memory",
                            "a size such as 512M or 8G");
        if (s->memory < SC_MIN_MEMORY)
            return expected(c, v, "runtime.memory",
                            "a size of at least 1M (the minimum memory "
                            "budget), such as 512M or 8G");
    }
    if ((v = get(n, "plugin_dir")) != NULL) {
        char *p = NULL;
        rc = get_text(c, v, "runtime.plugin_dir", &p);
        if (rc == SC_OK)
            rc = resolve(c, v, "runtime.plugin_dir", p, &s->plugin_dir);
        sc_free(p);
    }
    return rc;
}

/* figures: {format: [svg, pdf, png]} -- the files `simcon run` draws
 * (issue 16). Presentation only: not in the canonical spec or its hash. */
static int parse_figures(ctx *c, const node *n)
{
    static const char *const keys[] = {"format"};
    int rc = want_map(c, n, "figures");
    if (rc == SC_OK)
        rc = check_keys(c, n, "figures", keys, 1);
    const node *v = rc == SC_OK ? get(n, "format") : NULL;
    if (v == NULL)
        return rc;
    if (v->kind != N_SEQ || v->n == 0)
        return expected(c, v, "figures.format",
                        "a sequence of formats, e.g. [svg, pdf, png]");
    c->spec->figure_formats = SC_PLOT_SVG;
    for (size_t i = 0; i < v->n; i++) {
        const node *f = v->kids[i];
        unsigned one;
        char bad[64];
        if (f->kind != N_SCALAR ||
            sc_plot_parse_formats(f->text, &one, bad, sizeof bad) != SC_OK ||
            strchr(f->text, ',') != NULL)
            return expected(c, f, "figures.format", "svg, pdf or png");
        c->spec->figure_formats |= one;
    }
    return SC_OK;
}

static int parse_top(ctx *c, const node *root)
{
    static const char *const keys[] = {
        "name",    "seed",     "data",       "models",  "datasets", "behaviour",
        "metrics", "analyses", "statistics", "runtime", "figures"};
    static const char *const required[] = {"name", "data", "models", "datasets",
                                           "metrics"};
    sc_spec *s = c->spec;
    if (root->kind != N_MAP)
        return expected(c, root, "top level",
                        "a mapping of keys (name:, data:, models:, ...)");
    int rc = check_keys(c, root, "", keys, 11);
    if (rc != SC_OK)
        return rc;
    for (size_t i = 0; i < 5; i++)
        if (get(root, required[i]) == NULL)
            return missing(c, root, "", required[i]);
    if ((rc = get_name(c, get(root, "name"), "name", &s->name)))
        return rc;
    const node *v = get(root, "seed");
    if (v != NULL &&
        (rc = get_u64(c, v, "seed", "an integer from 0 to 2^64-1", &s->seed)))
        return rc;
    if ((rc = parse_data(c, get(root, "data"))))
        return rc;
    if ((rc = parse_models(c, get(root, "models"))))
        return rc;
    if ((rc = parse_datasets(c, get(root, "datasets"))))
        return rc;
    if ((v = get(root, "behaviour")) != NULL && (rc = parse_behaviour(c, v)))
        return rc;
    if ((rc = parse_metrics(c, get(root, "metrics"))))
        return rc;
    if ((v = get(root, "analyses")) != NULL && (rc = parse_analyses(c, v)))
        return rc;
    if ((v = get(root, "statistics")) != NULL && (rc = parse_statistics(c, v)))
        return rc;
    if ((v = get(root, "runtime")) != NULL && (rc = parse_runtime(c, v)))
        return rc;
    if ((v = get(root, "figures")) != NULL && (rc = parse_figures(c, v)))
        return rc;
    return SC_OK;
}

/* ## Public API */

static int read_file(const char *path, char **out, size_t *len, sc_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sc_err_set(err, SC_EIO, "%s: cannot open the spec: %s", path,
                          strerror(errno));
    /* Read one byte past the cap so an over-long file is detected without
     * trusting fseek/ftell (pipes, /proc files). */
    char *buf = sc_malloc(SC_SPEC_MAX_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory reading the spec",
                          path);
    }
    size_t n = fread(buf, 1, SC_SPEC_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        sc_free(buf);
        return sc_err_set(err, SC_EIO, "%s: cannot read the spec", path);
    }
    if (n > SC_SPEC_MAX_BYTES) {
        sc_free(buf);
        return sc_err_set(err, SC_ESPEC,
                          "%s: spec larger than %d bytes; a spec lists "
                          "models and datasets, not data",
                          path, SC_SPEC_MAX_BYTES);
    }
    *out = buf;
    *len = n;
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
        rc = oom(&c);
        goto fail;
    }
    rc = build_tree(&c, text, len, &root);
    if (rc != SC_OK)
        goto fail;
    if (root == NULL) {
        rc = sc_err_set(err, SC_ESPEC,
                        "%s: the spec is empty; see experiments/example.yaml "
                        "for the keys",
                        path);
        goto fail;
    }
    rc = parse_top(&c, root);
    if (rc != SC_OK)
        goto fail;
    node_free(root);
    sc_free(text);
    return SC_OK;
fail:
    node_free(root);
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
    size_t comp = longest_component(buf);
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

const char *sc_spec_model_meta(const sc_spec_model *m, const char *key)
{
    for (size_t i = 0; i < m->nmeta; i++)
        if (strcmp(m->meta[i].key, key) == 0)
            return m->meta[i].value;
    return NULL;
}

void sc_spec_where(const sc_spec *spec, sc_spec_loc loc, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s:%u:%u: ", spec->path, loc.line, loc.col);
}

/* ## Canonical text */

/* A growing string; ok turns false at the first allocation failure and
 * every later append is a no-op, so callers check once at the end. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool ok;
} sbuf;

__attribute__((format(printf, 2, 3))) static void put(sbuf *b, const char *fmt,
                                                      ...)
{
    if (!b->ok)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->ok = false;
            return;
        }
        if ((size_t)w < b->cap - b->len) {
            b->len += (size_t)w;
            return;
        }
        size_t cap = 2 * b->cap + (size_t)w + 1;
        char *s = sc_realloc(b->s, cap);
        if (s == NULL) {
            b->ok = false;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* A double-quoted YAML string: every value is quoted the same way, so
 * the text does not depend on how the user quoted it. */
static void put_q(sbuf *b, const char *s)
{
    put(b, "\"");
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            put(b, "\\%c", ch);
        else if (ch < 0x20)
            put(b, "\\x%02x", ch);
        else
            put(b, "%c", ch);
    }
    put(b, "\"");
}

static void put_kvs(sbuf *b, const sc_spec_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put(b, ", %s: ", kv[i].key);
        put_q(b, kv[i].value);
    }
}

int sc_spec_canonical(const sc_spec *spec, char **out, sc_err *err)
{
    sbuf b = {NULL, 0, 0, true};
    b.s = sc_malloc(1024);
    b.cap = 1024;
    if (b.s == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    b.s[0] = '\0';
    put(&b, "# simcon effective spec (canonical form, defaults filled)\n");
    put(&b, "name: ");
    put_q(&b, spec->name);
    put(&b, "\nseed: %llu\ndata:\n  root: ", (unsigned long long)spec->seed);
    put_q(&b, spec->root);
    put(&b, "\n  features: ");
    put_q(&b, spec->features);
    put(&b, "\n  ids: ");
    if (spec->ids)
        put_q(&b, spec->ids);
    else
        put(&b, "null");
    put(&b, "\n  normalize: %s\n  max_stimuli: %zu\n",
        sc_norm_name(spec->normalize), spec->max_stimuli);
    /* Only when set, so the canonical text of existing specs is unchanged
     * (and their checksums and cache keys). */
    if (spec->allow_vector)
        put(&b, "  allow_vector: true\n");
    if (spec->flatten)
        put(&b, "  flatten: true\n");
    put(&b, "models:\n");
    for (size_t i = 0; i < spec->nmodels; i++) {
        put(&b, "  - {name: ");
        put_q(&b, spec->models[i].name);
        put_kvs(&b, spec->models[i].meta, spec->models[i].nmeta);
        put(&b, "}\n");
    }
    put(&b, "datasets:\n");
    for (size_t i = 0; i < spec->ndatasets; i++) {
        put(&b, "  - {name: ");
        put_q(&b, spec->datasets[i].name);
        put(&b, ", domain: ");
        put_q(&b, spec->datasets[i].domain);
        put_kvs(&b, spec->datasets[i].meta, spec->datasets[i].nmeta);
        put(&b, "}\n");
    }
    put(&b, "behaviour:\n  accuracy: ");
    if (spec->behaviour_accuracy)
        put_q(&b, spec->behaviour_accuracy);
    else
        put(&b, "null");
    put(&b, "\nmetrics:\n");
    for (size_t i = 0; i < spec->nmetrics; i++) {
        const sc_spec_metric *m = &spec->metrics[i];
        put(&b, "  - {name: ");
        put_q(&b, m->name);
        put(&b, ", plugin: ");
        put_q(&b, m->plugin);
        put(&b, ", params: {");
        for (size_t k = 0; k < m->nparams; k++) {
            put(&b, "%s%s: ", k ? ", " : "", m->keys[k]);
            put_q(&b, m->values[k]);
        }
        put(&b, "}}\n");
    }
    put(&b, "analyses:\n  consistency: ");
    if (spec->consistency_enabled) {
        put(&b, "{correlation: %s, groupby: [",
            sc_corr_name((sc_corr_method)spec->consistency_corr));
        for (size_t i = 0; i < spec->ngroupby; i++)
            put(&b, "%s%s", i ? ", " : "", spec->groupby[i]);
        put(&b, "], anchors: [");
        for (size_t i = 0; i < spec->nanchors; i++)
            put(&b, "%s%s", i ? ", " : "", spec->anchors[i]);
        put(&b, "]}\n");
    } else {
        put(&b, "null\n");
    }
    put(&b, "  behaviour: ");
    if (spec->behaviour_enabled)
        put(&b, "{correlation: %s}\n",
            sc_corr_name((sc_corr_method)spec->behaviour_corr));
    else
        put(&b, "null\n");
    put(&b, "  contrasts: [");
    for (size_t i = 0; i < spec->ncontrasts; i++)
        put(&b, "%s{attribute: %s}", i ? ", " : "",
            spec->contrasts[i].attribute);
    static const char *const over[] = {"models", "stimuli", "datasets"};
    put(&b,
        "]\nstatistics:\n  permutations: %zu\n  bootstrap: %zu\n  over: %s\n"
        "  ci: %.17g\n  interval: %s\n  correction: %s\n  family: %s\n",
        spec->permutations, spec->bootstrap,
        spec->over >= 0 && spec->over <= 2 ? over[spec->over] : "unknown",
        spec->ci, sc_ci_name((sc_ci_method)spec->interval),
        spec->correction == SC_SPEC_CORRECTION_NONE
            ? "none"
            : sc_padjust_name((sc_padjust_method)spec->correction),
        spec->family == SC_FAMILY_METRIC ? "metric" : "question");
    put(&b,
        "runtime:\n  threads: %u\n  memory: %zu\n  plugin_dir: ", spec->threads,
        spec->memory);
    if (spec->plugin_dir)
        put_q(&b, spec->plugin_dir);
    else
        put(&b, "null");
    put(&b, "\n");
    if (!b.ok) {
        sc_free(b.s);
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory writing the canonical spec");
    }
    *out = b.s;
    return SC_OK;
}

int sc_plot_parse_formats(const char *text, unsigned *formats, char *bad,
                          size_t bad_size)
{
    *formats = SC_PLOT_SVG;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 3 && strncmp(p, "svg", 3) == 0)
            *formats |= SC_PLOT_SVG;
        else if (n == 3 && strncmp(p, "pdf", 3) == 0)
            *formats |= SC_PLOT_PDF;
        else if (n == 3 && strncmp(p, "png", 3) == 0)
            *formats |= SC_PLOT_PNG;
        else {
            snprintf(bad, bad_size, "%.*s", (int)n, p);
            return SC_EINVAL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return SC_OK;
}
