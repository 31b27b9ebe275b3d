/* Unit tests for core/rng: the documented seed mixer, the generator type,
 * seed 0 rejection and the duplicate-seed check.
 *
 * Expected seeds and MT19937 outputs come from tests/stat/ref_unit.py
 * (section 5), recorded in tests/stat/ref_unit.out: the mixer re-implemented
 * in Python, and NumPy 1.24.2's MT19937 with legacy seeding, which is the
 * reference init_genrand of Matsumoto & Nishimura, as GSL's mt19937 is. A
 * match therefore shows both that the mixer is the documented one and that
 * the stream is plain MT19937 started from that seed. */
#include <stdint.h>

#include "../test.h"
#include "rng.h"

typedef struct seed_case {
    uint64_t master;
    const char *task;
    uint32_t seed;
    unsigned long raw[3];
} seed_case;

static const seed_case cases[] = {
    {0, "", 1553988978u, {3097268435ul, 560451550ul, 4255831493ul}},
    {241105561,
     "mantel",
     2687732546u,
     {170817677ul, 3824725905ul, 2111221526ul}},
    {1,
     "consistency/a,b",
     3119342759u,
     {2847975516ul, 2228938569ul, 853368850ul}},
    {UINT64_MAX, "x", 1113875266u, {4058642171ul, 2766069925ul, 1658395071ul}},
};

SC_TEST(task_seed_matches_reference_mixer_and_mt19937)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const seed_case *k = &cases[c];
        uint32_t s = sc_rng_task_seed(k->master, k->task);
        expect_int(s, k->seed, "seed(%llu, '%s')",
                   (unsigned long long)k->master, k->task);
        sc_rng rng;
        sc_err err;
        int rc = sc_rng_init(&rng, s, &err);
        expect_int(rc, SC_OK, "init with seed %u", (unsigned)s);
        expect_str(gsl_rng_name(rng.gsl), "mt19937", "generator type");
        for (int d = 0; d < 3; d++)
            expect_int((long long)gsl_rng_get(rng.gsl), (long long)k->raw[d],
                       "draw %d of seed %u equals numpy MT19937", d,
                       (unsigned)s);
        sc_rng_deinit(&rng);
    }
}

SC_TEST(task_seed_is_deterministic_and_sensitive)
{
    uint32_t a = sc_rng_task_seed(42, "mantel/d=1,2");
    uint32_t b = sc_rng_task_seed(42, "mantel/d=1,2");
    expect_int(a, b, "same inputs, same seed");
    expect_true(a != sc_rng_task_seed(43, "mantel/d=1,2"),
                "master seed changes the task seed");
    expect_true(a != sc_rng_task_seed(42, "mantel/d=1,3"),
                "task id changes the task seed");
    expect_true(a != 0, "task seed is non-zero");
}

SC_TEST(seed_zero_is_rejected)
{
    sc_rng rng;
    sc_err err;
    int rc = sc_rng_init(&rng, 0, &err);
    expect_int(rc, SC_EINVAL, "seed 0 rejected");
    expect_str(err.msg,
               "rng: seed 0 would silently become 4357 in GSL's MT19937; "
               "derive seeds with sc_rng_task_seed",
               "seed 0 message");
    expect_true(rng.gsl == NULL, "no generator left behind");
    sc_rng_deinit(&rng); /* safe on a failed init */
}

SC_TEST(same_seed_same_stream_and_helpers_in_range)
{
    sc_rng r1, r2;
    sc_err err;
    sc_rng_init(&r1, 2385, &err);
    sc_rng_init(&r2, 2385, &err);
    int same = 1, in_range = 1;
    for (int k = 0; k < 1000; k++) {
        size_t i1 = sc_rng_index(&r1, 7), i2 = sc_rng_index(&r2, 7);
        same &= i1 == i2;
        in_range &= i1 < 7;
        double u = sc_rng_uniform(&r1);
        same &= u == sc_rng_uniform(&r2);
        in_range &= u >= 0 && u < 1;
    }
    expect_true(same, "two streams from one seed agree over 2000 draws");
    expect_true(in_range, "index < n and uniform in [0,1)");
    size_t a[6] = {0, 1, 2, 3, 4, 5};
    sc_rng_shuffle(&r1, a, 6);
    int seen = 0;
    for (int k = 0; k < 6; k++)
        seen |= 1 << a[k];
    expect_int(seen, 63, "shuffle is a permutation");
    sc_rng_deinit(&r1);
    sc_rng_deinit(&r2);
}

SC_TEST(duplicate_task_seeds_are_an_error)
{
    const uint32_t seeds[] = {11, 7, 11};
    const char *const ids[] = {"a", "b", "c"};
    sc_err err;
    expect_int(sc_rng_check_unique(seeds, ids, 2, &err), SC_OK,
               "distinct seeds pass");
    int rc = sc_rng_check_unique(seeds, ids, 3, &err);
    expect_int(rc, SC_EINVAL, "duplicate seed found");
    expect_str(err.msg,
               "rng: tasks 'a' and 'c' got the same seed 11 (32-bit "
               "collision); change the master seed",
               "duplicate seed message");
}

/* 200,000 task ids give ~4.7 expected 32-bit collisions (n^2 / 2^33), so
 * the resolver is exercised on real collisions, not a mock. */
SC_TEST(assigned_seeds_are_distinct_and_order_free)
{
    enum { N = 200000 };
    static char buf[N][16];
    static const char *ids[N], *rev[N];
    static uint32_t seeds[N], seeds_rev[N];
    for (size_t k = 0; k < N; k++) {
        snprintf(buf[k], sizeof buf[k], "task/%zu", k);
        ids[k] = buf[k];
        rev[N - 1 - k] = buf[k];
    }
    sc_err err;
    int rc = sc_rng_assign_seeds(42, ids, N, seeds, &err);
    expect_int(rc, SC_OK, "assign 200000 seeds");
    rc = sc_rng_assign_seeds(42, rev, N, seeds_rev, &err);
    expect_int(rc, SC_OK, "assign in reverse order");
    size_t primary = 0, same = 0;
    for (size_t k = 0; k < N; k++) {
        primary += seeds[k] == sc_rng_task_seed(42, ids[k]);
        same += seeds[k] == seeds_rev[N - 1 - k];
    }
    expect_int((long long)same, N, "seeds do not depend on input order");
    expect_true(primary < N, "some collisions were resolved (%zu of %d "
                "kept their primary seed)", primary, N);
    expect_true(primary > N - 100, "only collisions were re-derived");
    expect_int(sc_rng_check_unique(seeds, ids, N, &err), SC_OK,
               "all distinct");
    const char *dup[] = {"x", "y", "x"};
    uint32_t s3[3];
    rc = sc_rng_assign_seeds(1, dup, 3, s3, &err);
    expect_int(rc, SC_EINVAL, "repeated id rejected");
}

int main(void)
{
    return sc_test_run();
}
