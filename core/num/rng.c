/* Per-task random streams (see rng.h for the contract).
 *
 * The seed mixer, step by step, and why each step is there:
 * 1. FNV-1a 64 over the task id's bytes (offset basis 0xcbf29ce484222325,
 *    prime 0x100000001b3): a fixed, platform-independent string hash, so the
 *    same task id gives the same seed everywhere. FNV alone mixes the last
 *    bytes poorly into the high bits, hence step 3.
 * 2. XOR with the master seed, so changing the spec's seed changes every
 *    task's stream.
 * 3. SplitMix64's finalizer (Steele et al. 2014; constants from
 *    Stafford's "Mix13"): a bijection on 64 bits with full avalanche, so
 *    nearby ids or masters give unrelated seeds.
 * 4. Fold to 32 bits by XOR of the halves (MT19937 in GSL uses only the low
 *    32 bits of its seed) and replace 0 by 1, because GSL maps seed 0 to its
 *    default 4357 and the recorded seed must be the one in use.
 * Changing any constant here changes every published result: do not. */
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "mem.h"

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

uint32_t sc_rng_task_seed(uint64_t master, const char *task_id)
{
    uint64_t h = FNV64_OFFSET;
    for (const unsigned char *c = (const unsigned char *)task_id; *c; c++) {
        h ^= (uint64_t)*c;
        h *= FNV64_PRIME;
    }
    uint64_t z = h ^ master;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    uint32_t s = (uint32_t)(z ^ (z >> 32));
    return s != 0 ? s : 1u;
}

int sc_rng_init(sc_rng *rng, uint32_t seed, sc_err *err)
{
    rng->gsl = NULL;
    rng->seed = 0;
    if (seed == 0)
        return sc_err_set(err, SC_EINVAL,
                          "rng: seed 0 would silently become 4357 in GSL's "
                          "MT19937; derive seeds with sc_rng_task_seed");
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (g == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "rng: cannot allocate the MT19937 generator; free "
                          "memory and retry");
    gsl_rng_set(g, seed);
    rng->gsl = g;
    rng->seed = seed;
    return SC_OK;
}

void sc_rng_deinit(sc_rng *rng)
{
    if (rng == NULL)
        return;
    if (rng->gsl != NULL)
        gsl_rng_free(rng->gsl);
    rng->gsl = NULL;
    rng->seed = 0;
}

double sc_rng_uniform(sc_rng *rng)
{
    return gsl_rng_uniform(rng->gsl);
}

size_t sc_rng_index(sc_rng *rng, size_t n)
{
    return (size_t)gsl_rng_uniform_int(rng->gsl, (unsigned long)n);
}

void sc_rng_shuffle(sc_rng *rng, size_t *a, size_t n)
{
    gsl_ran_shuffle(rng->gsl, a, n, sizeof *a);
}

/* Sort key for the duplicate check: seed, then original position. */
typedef struct seed_pos {
    uint32_t seed;
    size_t pos;
} seed_pos;

static int cmp_seed_pos(const void *pa, const void *pb)
{
    const seed_pos *a = pa, *b = pb;
    if (a->seed != b->seed)
        return a->seed < b->seed ? -1 : 1;
    return a->pos < b->pos ? -1 : (a->pos > b->pos);
}

int sc_rng_check_unique(const uint32_t *seeds, const char *const *ids, size_t n,
                        sc_err *err)
{
    if (n < 2)
        return SC_OK;
    seed_pos *sp = sc_calloc(n, sizeof *sp);
    if (sp == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "rng: cannot allocate %zu seeds for the duplicate "
                          "check; free memory and retry",
                          n);
    for (size_t k = 0; k < n; k++) {
        sp[k].seed = seeds[k];
        sp[k].pos = k;
    }
    qsort(sp, n, sizeof *sp, cmp_seed_pos);
    int rc = SC_OK;
    for (size_t k = 1; k < n; k++) {
        if (sp[k].seed == sp[k - 1].seed) {
            rc = sc_err_set(err, SC_EINVAL,
                            "rng: tasks '%s' and '%s' got the same seed %u "
                            "(32-bit collision); change the master seed",
                            ids[sp[k - 1].pos], ids[sp[k].pos],
                            (unsigned)sp[k].seed);
            break;
        }
    }
    sc_free(sp);
    return rc;
}

/* ## Collision-free seed assignment (see rng.h) */

static int cmp_id_ptr(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

/* Open-addressing set of 32-bit seeds (0 never occurs: task seeds are
 * non-zero, so 0 marks an empty slot). */
static int seed_set_insert(uint32_t *slots, size_t mask, uint32_t seed)
{
    size_t h = (size_t)(seed * 2654435761u) & mask;
    while (slots[h] != 0) {
        if (slots[h] == seed)
            return 0;
        h = (h + 1) & mask;
    }
    slots[h] = seed;
    return 1;
}

int sc_rng_assign_seeds(uint64_t master, const char *const *ids, size_t n,
                        uint32_t *seeds, sc_err *err)
{
    if (n == 0)
        return SC_OK;
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    const char **order = sc_calloc(n, sizeof *order);
    uint32_t *slots = sc_calloc(cap, sizeof *slots);
    int rc = SC_OK;
    if (order == NULL || slots == NULL) {
        rc = sc_err_set(err, SC_ENOMEM,
                        "rng: cannot allocate seeds for %zu tasks", n);
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        order[k] = ids[k];
    qsort(order, n, sizeof *order, cmp_id_ptr);
    for (size_t k = 1; k < n; k++)
        if (strcmp(order[k - 1], order[k]) == 0) {
            rc = sc_err_set(err, SC_EINVAL,
                            "rng: task id '%s' occurs twice (internal error: "
                            "report it)",
                            order[k]);
            goto done;
        }
    /* Visit in id order; each id's final seed is found by binary search
     * for its position afterwards. */
    uint32_t *by_order = sc_calloc(n, sizeof *by_order);
    if (by_order == NULL) {
        rc = sc_err_set(err, SC_ENOMEM,
                        "rng: cannot allocate seeds for %zu tasks", n);
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        uint32_t seed = sc_rng_task_seed(master, order[k]);
        for (unsigned salt = 1; !seed_set_insert(slots, cap - 1, seed);
             salt++) {
            char alt[1100];
            snprintf(alt, sizeof alt, "%.1024s#%u", order[k], salt);
            seed = sc_rng_task_seed(master, alt);
        }
        by_order[k] = seed;
    }
    for (size_t k = 0; k < n; k++) {
        const char *key = ids[k];
        const char **hit = bsearch(&key, order, n, sizeof *order, cmp_id_ptr);
        seeds[k] = by_order[hit - order];
    }
    sc_free(by_order);
done:
    sc_free(order);
    sc_free(slots);
    return rc;
}
