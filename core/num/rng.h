/* Random streams for resampling: one seeded GSL Mersenne Twister per task.
 *
 * Purpose: every random draw in simcon (permutations, bootstrap resamples,
 * the plugin host's `uniform`) comes from an sc_rng created here, so the
 * generator type is fixed and results are reproducible.
 *
 * Invariants:
 * - The generator is gsl_rng_mt19937, chosen explicitly; gsl_rng_env_setup
 *   is never called, so GSL_RNG_TYPE / GSL_RNG_SEED in the environment
 *   cannot change results.
 * - A "task" is one estimate (e.g. one Mantel test, one bootstrap CI). Its
 *   seed is sc_rng_task_seed(master, task_id), a pure function of the spec's
 *   master seed and a stable text identity of the task, so a task draws the
 *   same numbers whatever the thread count or the order tasks run in. A task
 *   draws all its replicates in order from its own stream.
 * - Task seeds are never 0: GSL's MT19937 keeps the low 32 bits of the seed
 *   and silently replaces 0 by 4357, which would make seed 0 and seed 4357
 *   the same stream. Folding to a non-zero value keeps the map from task to
 *   stream one-to-one as far as 32 bits allow, and the recorded seed is the
 *   one actually used.
 *
 * References: Matsumoto & Nishimura (1998), ACM TOMACS 8(1), MT19937;
 * FNV-1a (Fowler, Noll, Vo; IETF draft-eastlake-fnv); SplitMix64 finalizer
 * (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number
 * generators", OOPSLA). */
#ifndef SC_RNG_H
#define SC_RNG_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "err.h"

/* One random stream. Caller-provided struct: sc_rng_init / sc_rng_deinit.
 * `gsl` may be handed to GSL functions (gsl_ran_*) and to the plugin host's
 * uniform; it stays owned by the sc_rng. */
typedef struct sc_rng {
    gsl_rng *gsl;  /* gsl_rng_mt19937, owned                    */
    uint32_t seed; /* the seed the stream was started from (!= 0) */
} sc_rng;

/* Seed of one task, documented mixer (see rng.c):
 *   h = FNV-1a-64(task_id bytes, without the NUL)
 *   z = SplitMix64-finalizer(h XOR master)
 *   s = (uint32_t)(z XOR (z >> 32)); if s == 0 then s = 1.
 * [in] master: the experiment's seed (spec / --seed).
 * [in] task_id: NUL-terminated stable identity, e.g.
 *      "mantel/dataset=a,b/metric=cka/pairs=all". Not retained.
 * Returns a value in 1 .. 2^32-1. Pure: same inputs, same output, on every
 * platform. */
uint32_t sc_rng_task_seed(uint64_t master, const char *task_id);

/* Start a gsl_rng_mt19937 stream from seed.
 * [out] rng: initialised on SC_OK; left with rng->gsl == NULL on failure.
 * [in] seed: must be non-zero (0 would silently become 4357 in GSL).
 * Statuses: SC_EINVAL (seed 0: "use sc_rng_task_seed"), SC_ENOMEM. */
int sc_rng_init(sc_rng *rng, uint32_t seed, sc_err *err);

/* Free the generator; safe on a zeroed or already deinitialised rng. */
void sc_rng_deinit(sc_rng *rng);

/* Uniform double in [0, 1) (gsl_rng_uniform). */
double sc_rng_uniform(sc_rng *rng);

/* Uniform integer in 0 .. n-1, n >= 1 and n <= 2^32 (gsl_rng_uniform_int,
 * which rejects rather than takes a modulo, so it is unbiased). */
size_t sc_rng_index(sc_rng *rng, size_t n);

/* Uniformly random permutation of a[0..n-1] in place (gsl_ran_shuffle,
 * Fisher-Yates). */
void sc_rng_shuffle(sc_rng *rng, size_t *a, size_t n);

/* Check that the seeds of a batch of tasks are pairwise distinct (the 32-bit
 * fold makes a collision possible, ~n^2/2^33; two tasks on the same stream
 * would give correlated estimates).
 * [in] seeds, ids: n entries each (ids name the tasks in the message).
 * Statuses: SC_EINVAL naming both task ids and the seed ("change the master
 * seed"), SC_ENOMEM. */
int sc_rng_check_unique(const uint32_t *seeds, const char *const *ids, size_t n,
                        sc_err *err);

/* Seeds for a batch of tasks, pairwise distinct by construction.
 * seeds[k] = sc_rng_task_seed(master, ids[k]) unless that value is already
 * taken; the batch is then resolved deterministically: tasks are visited in
 * byte order of their ids, each keeps its seed if no earlier-visited task
 * holds it, otherwise it takes sc_rng_task_seed(master, "<id>#1"), "#2", ...
 * until free. The result depends only on the master seed and the SET of ids
 * (not on their order or on threads). Why: with 32-bit seeds a table of
 * 22,800 tasks (the paper's study) collides with probability ~6%, which
 * must not fail a run; a re-derived stream is as independent as any other.
 * [in] ids: n distinct task ids (a repeated id is SC_EINVAL).
 * [out] seeds: n entries.
 * Statuses: SC_EINVAL, SC_ENOMEM. */
int sc_rng_assign_seeds(uint64_t master, const char *const *ids, size_t n,
                        uint32_t *seeds, sc_err *err);

#endif
