/* Spec reader, stage 2a: the one-line messages every check gives, and
 * the typed values read from tree nodes (see spec_int.h for the stages).
 *
 * Every failure fills ONE line "<spec>:<line>:<col>: <key>: expected
 * <what>, found <what>" with SC_ESPEC (SC_ENOMEM when out of memory).
 * Unknown keys are errors, with a "did you mean" for near misses.
 *
 * Reference: YAML 1.1 spec sec. 10.3 (null is ~, null, Null, NULL or
 * empty). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "methods.h"
#include "spec_int.h"

int spec_fail(ctx *c, sc_spec_loc loc, const char *fmt, ...)
{
    char msg[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sc_err_set(c->err, SC_ESPEC, "%s:%u:%u: %s", c->path, loc.line,
                      loc.col, msg);
}

int spec_oom(ctx *c)
{
    return sc_err_set(c->err, SC_ENOMEM, "%s: out of memory reading the spec",
                      c->path);
}

bool spec_is_null(const node *n)
{
    if (n->kind != N_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

/* What a node is, for "found ..." (quoted and shortened scalars). */
const char *spec_found(const node *n, char *buf, size_t cap)
{
    if (n == NULL)
        return "nothing";
    if (n->kind == N_MAP)
        return "a mapping";
    if (n->kind == N_SEQ)
        return "a sequence";
    if (spec_is_null(n))
        return "null";
    /* Long scalars are cut: the message must stay one readable line. */
    snprintf(buf, cap, "'%.60s%s'", n->text, strlen(n->text) > 60 ? "..." : "");
    return buf;
}

int spec_expected(ctx *c, const node *n, const char *key, const char *what)
{
    char buf[96];
    return spec_fail(c, n->loc, "%s: expected %s, found %s", key, what,
                     spec_found(n, buf, sizeof buf));
}

/* A value longer than its documented limit (spec.h). */
int spec_too_long(ctx *c, const node *n, const char *key, size_t limit)
{
    return spec_fail(
        c, n->loc,
        "%s: %zu characters, longer than the limit of %zu; shorten "
        "it",
        key, strlen(n->text), limit);
}

/* A list longer than its documented limit (spec.h). */
int spec_too_many(ctx *c, const node *n, const char *key, const char *what,
                  size_t limit)
{
    return spec_fail(c, n->loc,
                     "%s: %zu %s, more than the limit of %zu; split the "
                     "experiment into several specs",
                     key, n->n, what, limit);
}

size_t spec_edit_distance(const char *a, const char *b)
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
static const char *spec_suggest(const char *word, const char *const *cand,
                                size_t n)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = spec_edit_distance(word, cand[i]);
        if (d < bestd) {
            bestd = d;
            best = cand[i];
        }
    }
    return best;
}

void spec_join_list(const char *const *items, size_t n, char *buf, size_t cap)
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
int spec_check_keys(ctx *c, const node *map, const char *where,
                    const char *const *allowed, size_t n)
{
    for (size_t i = 0; i < map->n; i++) {
        const node *k = map->kids[2 * i];
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = strcmp(k->text, allowed[j]) == 0;
        if (ok)
            continue;
        const char *s = spec_suggest(k->text, allowed, n);
        char list[512];
        spec_join_list(allowed, n, list, sizeof list);
        char full[160];
        snprintf(full, sizeof full, "%s%s%.60s", where, where[0] ? "." : "",
                 k->text);
        if (s != NULL)
            return spec_fail(c, k->loc, "%s: unknown key; did you mean '%s'?",
                             full, s);
        return spec_fail(c, k->loc, "%s: unknown key; expected one of: %s",
                         full, list);
    }
    return SC_OK;
}

const node *spec_get(const node *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->kids[2 * i]->text, key) == 0)
            return map->kids[2 * i + 1];
    return NULL;
}

int spec_missing(ctx *c, const node *map, const char *where, const char *key)
{
    if (where[0] == '\0')
        return spec_fail(c, map->loc, "missing required key '%s'", key);
    return spec_fail(c, map->loc, "%s: missing required key '%s'", where, key);
}

int spec_want_map(ctx *c, const node *n, const char *key)
{
    return n->kind == N_MAP ? SC_OK : spec_expected(c, n, key, "a mapping");
}

/* A non-empty scalar, copied. */
int spec_get_text(ctx *c, const node *n, const char *key, char **out)
{
    if (n->kind != N_SCALAR || spec_is_null(n) || n->text[0] == '\0')
        return spec_expected(c, n, key, "a non-empty string");
    *out = sc_strdup(n->text);
    return *out ? SC_OK : spec_oom(c);
}

/* Names become file and folder names and CSV fields: [a-zA-Z0-9_.-]+, not
 * starting with '.' or '-' (no hidden files, no "..", no option look-alike). */
bool spec_name_ok(const char *s)
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

int spec_get_name(ctx *c, const node *n, const char *key, char **out)
{
    if (n->kind != N_SCALAR || !spec_name_ok(n->text))
        return spec_expected(c, n, key, NAME_RULE);
    if (strlen(n->text) > SC_SPEC_MAX_NAME)
        return spec_too_long(c, n, key, SC_SPEC_MAX_NAME);
    *out = sc_strdup(n->text);
    return *out ? SC_OK : spec_oom(c);
}

/* Metadata keys: identifiers (they become column names and labels). */
bool spec_ident_ok(const char *s)
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
int spec_get_label(ctx *c, const node *n, const char *key, char **out)
{
    if (n->kind != N_SCALAR || spec_is_null(n) || n->text[0] == '\0' ||
        strpbrk(n->text, ",\"|\r\n") != NULL)
        return spec_expected(c, n, key,
                             "non-empty text without ',', '\"', '|' or line "
                             "breaks");
    if (strlen(n->text) > SC_SPEC_MAX_LABEL)
        return spec_too_long(c, n, key, SC_SPEC_MAX_LABEL);
    *out = sc_strdup(n->text);
    return *out ? SC_OK : spec_oom(c);
}

int spec_get_u64(ctx *c, const node *n, const char *key, const char *what,
                 uint64_t *out)
{
    if (n->kind != N_SCALAR || n->text[0] == '\0')
        return spec_expected(c, n, key, what);
    for (const char *p = n->text; *p; p++)
        if (!isdigit((unsigned char)*p))
            return spec_expected(c, n, key, what);
    errno = 0;
    unsigned long long v = strtoull(n->text, NULL, 10);
    if (errno == ERANGE)
        return spec_expected(c, n, key, what);
    *out = (uint64_t)v;
    return SC_OK;
}

/* A count from 0 to limit (spec.h). */
int spec_get_count(ctx *c, const node *n, const char *key, size_t limit,
                   size_t *out)
{
    uint64_t v = 0;
    char what[96];
    snprintf(what, sizeof what, "an integer from 0 to %zu (the limit)", limit);
    int rc = spec_get_u64(c, n, key, what, &v);
    if (rc != SC_OK)
        return rc;
    if (v > limit)
        return spec_expected(c, n, key, what);
    *out = (size_t)v;
    return SC_OK;
}

/* One of choices ("a|b|c"): returns the index. */
int spec_get_choice(ctx *c, const node *n, const char *key,
                    const char *const *choices, size_t nchoices, size_t *out)
{
    if (n->kind == N_SCALAR)
        for (size_t i = 0; i < nchoices; i++)
            if (strcmp(n->text, choices[i]) == 0) {
                *out = i;
                return SC_OK;
            }
    char list[256], what[300];
    spec_join_list(choices, nchoices, list, sizeof list);
    snprintf(what, sizeof what, "one of %s", list);
    return spec_expected(c, n, key, what);
}

int spec_get_bool(ctx *c, const node *n, const char *key, bool *out)
{
    static const char *const tf[] = {"false", "true"};
    size_t k = 0;
    int rc = spec_get_choice(c, n, key, tf, 2, &k);
    if (rc == SC_OK)
        *out = k == 1;
    return rc;
}

/* Length of the longest '/'-separated component of path. */
size_t spec_longest_component(const char *path)
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
int spec_resolve(ctx *c, const node *v, const char *key, const char *p,
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
        return spec_oom(c);
    sc_spec_loc loc = v ? v->loc : (sc_spec_loc){0, 0};
    size_t comp = spec_longest_component(*out);
    if (strlen(*out) >= PATH_MAX)
        return spec_fail(
            c, loc,
            "%s: the path is %zu characters once joined with the "
            "spec's folder, longer than the limit (PATH_MAX) of %d",
            key, strlen(*out), PATH_MAX);
    if (comp > NAME_MAX)
        return spec_fail(c, loc,
                         "%s: a file or folder name in the path is %zu "
                         "characters, longer than the limit (NAME_MAX) of %d",
                         key, comp, NAME_MAX);
    return SC_OK;
}

int spec_want_list(ctx *c, const node *n, const char *key)
{
    if (n->kind != N_SEQ || n->n == 0)
        return spec_expected(c, n, key, "a non-empty sequence");
    return SC_OK;
}

int spec_get_corr(ctx *c, const node *n, const char *key, int *out)
{
    static const char *const names[] = {"pearson", "spearman"};
    size_t k = 0;
    int rc = spec_get_choice(c, n, key, names, 2, &k);
    if (rc != SC_OK)
        return rc;
    sc_corr_method m = SC_CORR_PEARSON;
    sc_err tmp;
    if (sc_corr_parse(names[k], &m, &tmp) != SC_OK)
        return spec_expected(c, n, key, "pearson or spearman");
    *out = (int)m;
    return SC_OK;
}

/* attribute must be a metadata key of every model. */
int spec_check_attribute(ctx *c, const node *n, const char *key,
                         const char *attr)
{
    const sc_spec *s = c->spec;
    for (size_t i = 0; i < s->nmodels; i++)
        if (sc_spec_model_meta(&s->models[i], attr) == NULL)
            return spec_fail(c, n->loc,
                             "%s: model '%s' (line %u) has no metadata key "
                             "'%s'; add it to every model or remove it here",
                             key, s->models[i].name, s->models[i].loc.line,
                             attr);
    return SC_OK;
}

/* ## Public look-ups and parsers the validator also uses */

const char *sc_spec_model_meta(const sc_spec_model *m, const char *key)
{
    for (size_t i = 0; i < m->nmeta; i++)
        if (strcmp(m->meta[i].key, key) == 0)
            return m->meta[i].value;
    return NULL;
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
