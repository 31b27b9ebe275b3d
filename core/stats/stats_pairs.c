/* Model-pair sets (see stats.h, "Model-pair sets").
 *
 * Invariants: builders emit pairs i < j in lexicographic order, each once;
 * the resample helper emits pairs in lexicographic order of resample
 * positions and never pairs a model with its own copy. Every builder runs
 * two passes (count, then fill) so it allocates exactly once and leaves p
 * empty on failure. */
#include <string.h>

#include "mem.h"
#include "stats.h"

/* Above this many models the pair arrays (2 * m^2/2 size_t) would be tens of
 * gigabytes; such an m is certainly a bug in the caller, not a study. */
#define MAX_MODELS ((size_t)1 << 26)

/* Which pairs a builder keeps. */
typedef enum pick { PICK_ALL, PICK_WITHIN, PICK_BETWEEN, PICK_ANCHOR } pick;

typedef struct rule {
    pick kind;
    const size_t *cat;
    size_t c1, c2, anchor;
} rule;

static bool keep(const rule *r, size_t i, size_t j)
{
    switch (r->kind) {
    case PICK_ALL:
        return true;
    case PICK_WITHIN:
        return r->cat[i] == r->c1 && r->cat[j] == r->c1;
    case PICK_BETWEEN:
        return (r->cat[i] == r->c1 && r->cat[j] == r->c2) ||
               (r->cat[i] == r->c2 && r->cat[j] == r->c1);
    case PICK_ANCHOR:
        return (i == r->anchor && r->cat[j] == r->c1) ||
               (j == r->anchor && r->cat[i] == r->c1);
    }
    return false;
}

static void empty(sc_pairs *p, size_t m)
{
    p->m = m;
    p->n = 0;
    p->i = NULL;
    p->j = NULL;
}

/* Allocate arrays for n pairs (none when n == 0). */
static int alloc_pairs(sc_pairs *p, size_t n, sc_err *err)
{
    if (n == 0)
        return SC_OK;
    p->i = sc_calloc(n, sizeof *p->i);
    p->j = sc_calloc(n, sizeof *p->j);
    if (p->i == NULL || p->j == NULL) {
        sc_free(p->i);
        sc_free(p->j);
        p->i = p->j = NULL;
        return sc_err_set(err, SC_ENOMEM,
                          "pairs: cannot allocate %zu model pairs; free "
                          "memory or use fewer models",
                          n);
    }
    p->n = n;
    return SC_OK;
}

static int build(sc_pairs *p, size_t m, const rule *r, sc_err *err)
{
    empty(p, m);
    if (m > MAX_MODELS)
        return sc_err_set(err, SC_EINVAL,
                          "pairs: %zu models is more than the supported %zu; "
                          "check the model count",
                          m, MAX_MODELS);
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            n += keep(r, i, j);
    int rc = alloc_pairs(p, n, err);
    if (rc != SC_OK)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            if (keep(r, i, j)) {
                p->i[k] = i;
                p->j[k] = j;
                k++;
            }
    return SC_OK;
}

int sc_pairs_init_all(sc_pairs *p, size_t m, sc_err *err)
{
    rule r = {PICK_ALL, NULL, 0, 0, 0};
    return build(p, m, &r, err);
}

int sc_pairs_init_within(sc_pairs *p, const size_t *cat, size_t m, size_t c,
                         sc_err *err)
{
    empty(p, m);
    if (c == SC_CAT_NONE)
        return sc_err_set(err, SC_EINVAL,
                          "pairs: within-category set asked for SC_CAT_NONE; "
                          "pass a real category index");
    rule r = {PICK_WITHIN, cat, c, c, 0};
    return build(p, m, &r, err);
}

int sc_pairs_init_between(sc_pairs *p, const size_t *cat, size_t m, size_t c1,
                          size_t c2, sc_err *err)
{
    empty(p, m);
    if (c1 == SC_CAT_NONE || c2 == SC_CAT_NONE)
        return sc_err_set(err, SC_EINVAL,
                          "pairs: between-category set asked for "
                          "SC_CAT_NONE; pass real category indices");
    if (c1 == c2)
        return sc_err_set(err, SC_EINVAL,
                          "pairs: between-category set with c1 == c2 == %zu; "
                          "use sc_pairs_init_within",
                          c1);
    rule r = {PICK_BETWEEN, cat, c1, c2, 0};
    return build(p, m, &r, err);
}

int sc_pairs_init_anchor(sc_pairs *p, const size_t *cat, size_t m,
                         size_t anchor, size_t c, sc_err *err)
{
    empty(p, m);
    if (anchor >= m)
        return sc_err_set(err, SC_EINVAL,
                          "pairs: anchor model %zu out of range (%zu models); "
                          "check the anchor index",
                          anchor, m);
    if (c == SC_CAT_NONE)
        return sc_err_set(err, SC_EINVAL,
                          "pairs: anchor set asked for SC_CAT_NONE; pass a "
                          "real category index");
    rule r = {PICK_ANCHOR, cat, c, c, anchor};
    return build(p, m, &r, err);
}

int sc_pairs_resample_models(const sc_pairs *base, const size_t *res,
                             size_t m_res, bool by_position, sc_pairs *out,
                             sc_err *err)
{
    size_t m = base->m;
    empty(out, by_position ? m_res : m);
    for (size_t a = 0; a < m_res; a++)
        if (res[a] >= m)
            return sc_err_set(err, SC_EINVAL,
                              "pairs: resampled model index %zu at position "
                              "%zu is out of range (%zu models)",
                              res[a], a, m);
    /* Membership of the base set as an m x m symmetric mask, so each
     * resample pair is an O(1) lookup. */
    unsigned char *in = sc_calloc(m * m, 1);
    if (in == NULL && m > 0)
        return sc_err_set(err, SC_ENOMEM,
                          "pairs: cannot allocate a %zu x %zu pair mask; free "
                          "memory",
                          m, m);
    for (size_t k = 0; k < base->n; k++) {
        in[base->i[k] * m + base->j[k]] = 1;
        in[base->j[k] * m + base->i[k]] = 1;
    }
    size_t n = 0;
    for (size_t a = 0; a < m_res; a++)
        for (size_t b = a + 1; b < m_res; b++)
            n += res[a] != res[b] && in[res[a] * m + res[b]];
    int rc = alloc_pairs(out, n, err);
    if (rc != SC_OK) {
        sc_free(in);
        return rc;
    }
    size_t k = 0;
    for (size_t a = 0; a < m_res; a++)
        for (size_t b = a + 1; b < m_res; b++) {
            size_t ia = res[a], ib = res[b];
            if (ia == ib || !in[ia * m + ib])
                continue;
            if (by_position) {
                out->i[k] = a;
                out->j[k] = b;
            } else {
                out->i[k] = ia < ib ? ia : ib;
                out->j[k] = ia < ib ? ib : ia;
            }
            k++;
        }
    sc_free(in);
    return SC_OK;
}

void sc_pairs_deinit(sc_pairs *p)
{
    if (p == NULL)
        return;
    sc_free(p->i);
    sc_free(p->j);
    empty(p, 0);
}
