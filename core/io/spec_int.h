/* Internals shared by the modules of the spec reader; not for use outside
 * core/io. The pipeline, one stage per file:
 *   spec.c            sc_spec_load: read the file, defaults, free, paths
 *   spec_tree.c       libyaml events -> a tree of nodes with line:col
 *   spec_values.c     messages and typed values read from nodes
 *   spec_validate.c   the top level and the sections name .. metrics
 *   spec_analyses.c   the sections analyses, statistics, runtime, figures
 *   spec_canonical.c  sc_spec_canonical: the spec as canonical text
 * Only spec_tree.c sees libyaml. */
#ifndef SC_SPEC_INT_H
#define SC_SPEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* ## Tree (spec_tree.c) */

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

/* Validation context: the spec being filled and where errors go. */
typedef struct ctx {
    const char *path;
    sc_err *err;
    sc_spec *spec;
} ctx;

void spec_node_free(node *n);
/* Parse text (len bytes) into *root (NULL for an empty document). Refuses
 * anchors, aliases, several documents, duplicate keys, NUL characters and
 * nesting deeper than SC_SPEC_MAX_DEPTH. */
int spec_build_tree(ctx *c, const char *text, size_t len, node **root);

/* ## Messages (spec_values.c): each returns the status it records */

/* SC_ESPEC "<spec>:<line>:<col>: <message>". */
int spec_fail(ctx *c, sc_spec_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int spec_oom(ctx *c);
/* "<key>: expected <what>, found <what n is>". */
int spec_expected(ctx *c, const node *n, const char *key, const char *what);
/* A value longer than its documented limit (spec.h). */
int spec_too_long(ctx *c, const node *n, const char *key, size_t limit);
/* A list longer than its documented limit (spec.h). */
int spec_too_many(ctx *c, const node *n, const char *key, const char *what,
                  size_t limit);
int spec_missing(ctx *c, const node *map, const char *where, const char *key);
/* What a node is, for "found ..." (quoted and shortened scalars). */
const char *spec_found(const node *n, char *buf, size_t cap);
bool spec_is_null(const node *n);
size_t spec_edit_distance(const char *a, const char *b);
void spec_join_list(const char *const *items, size_t n, char *buf, size_t cap);

/* ## Values (spec_values.c) */

/* The value of key in map, or NULL. */
const node *spec_get(const node *map, const char *key);
/* Every key of map must be among allowed (n entries). */
int spec_check_keys(ctx *c, const node *map, const char *where,
                    const char *const *allowed, size_t n);
int spec_want_map(ctx *c, const node *n, const char *key);
int spec_want_list(ctx *c, const node *n, const char *key);
/* A non-empty scalar, copied. */
int spec_get_text(ctx *c, const node *n, const char *key, char **out);
bool spec_name_ok(const char *s);
int spec_get_name(ctx *c, const node *n, const char *key, char **out);
/* Metadata keys and parameter names: identifiers. */
bool spec_ident_ok(const char *s);
int spec_get_label(ctx *c, const node *n, const char *key, char **out);
int spec_get_u64(ctx *c, const node *n, const char *key, const char *what,
                 uint64_t *out);
/* A count from 0 to limit (spec.h). */
int spec_get_count(ctx *c, const node *n, const char *key, size_t limit,
                   size_t *out);
/* One of choices: returns the index. */
int spec_get_choice(ctx *c, const node *n, const char *key,
                    const char *const *choices, size_t nchoices, size_t *out);
/* false or true. */
int spec_get_bool(ctx *c, const node *n, const char *key, bool *out);
int spec_get_corr(ctx *c, const node *n, const char *key, int *out);
/* Length of the longest '/'-separated component of path. */
size_t spec_longest_component(const char *path);
/* A path from the spec joined with the spec's folder (see spec_values.c). */
int spec_resolve(ctx *c, const node *v, const char *key, const char *p,
                 char **out);
/* attribute must be a metadata key of every model. */
int spec_check_attribute(ctx *c, const node *n, const char *key,
                         const char *attr);

/* ## Sections (spec_validate.c, spec_analyses.c) */

int spec_parse_top(ctx *c, const node *root);
int spec_parse_analyses(ctx *c, const node *n);
int spec_parse_statistics(ctx *c, const node *n);
int spec_parse_runtime(ctx *c, const node *n);
int spec_parse_figures(ctx *c, const node *n);

#endif
