/* The RDM ranking of plugins/rsa.c (rank_triangle), tested on its own: this
 * file includes the plugin's source, so its static functions are reachable,
 * and hands them a host table of plain malloc/free.
 *
 * Expected values come from an independent implementation written here: a
 * qsort of (value, index) pairs (value by the C comparison operators, so
 * -0.0 == +0.0; ties by index), average ranks over each run of equal
 * values, and the tie-pair count sum g (g - 1) / 2 over those runs. Ranks
 * are halves of integers below 2^32, exact in double, so everything is
 * compared exactly. The data are RDM-like triangles of ~1e6 entries built
 * to reach every path of the sort: exact ties drawn from a small set
 * (including -0.0, +0.0 and negatives) mixed with continuous values;
 * values a few ulps apart (many nested bucket levels); a range dominated
 * by one outlier (one huge bucket); all equal; two values; and the three
 * entries of n = 3. The sort keys each entry by the top 32 bits of its
 * offset from the minimum and resolves equal ones by the low bits, so
 * these also cover: a range that fits 32 bits (no low bits), many exact
 * ties whose coarse keys collide with unequal neighbours, and buckets too
 * large for the sort's scratch (sorted in place). */
#include "../../plugins/rsa.c"

#include <stdio.h>

#include "plugin_source_host.h"
#include "test.h"

typedef struct ref_pair {
    double v;
    size_t i;
} ref_pair;

static int cmp_pair(const void *pa, const void *pb)
{
    const ref_pair *a = pa, *b = pb;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Rank t (len entries) with rank_triangle, both ways (average ranks; and
 * values + order), against the reference. */
static void check_ranking(const char *what, const double *t, size_t len)
{
    const sc_host host = {.fail = t_fail, .alloc = t_alloc, .free = t_free};
    sc_ctx ctx = {0};
    ref_pair *ref = malloc(len * sizeof *ref);
    double *want = malloc(len * sizeof *want);
    double *r = malloc(len * sizeof *r), *v = malloc(len * sizeof *v);
    size_t *order = malloc(len * sizeof *order);
    for (size_t p = 0; p < len; p++)
        ref[p] = (ref_pair){t[p], p};
    qsort(ref, len, sizeof *ref, cmp_pair);
    uint64_t want_ties = 0;
    for (size_t a = 0, b; a < len; a = b) {
        for (b = a + 1; b < len && ref[b].v == ref[a].v; b++)
            ;
        want_ties += (uint64_t)(b - a) * (uint64_t)(b - a - 1) / 2;
        for (size_t q = a; q < b; q++)
            want[ref[q].i] = ((double)(a + 1) + (double)b) / 2.0;
    }
    memcpy(r, t, len * sizeof *r);
    memcpy(v, t, len * sizeof *v);
    uint64_t ties_r = 0, ties_v = 0;
    int rc = rank_triangle(&host, &ctx, r, len, 1, NULL, &ties_r);
    expect_int(rc, SC_OK, "%s: ranks computed", what);
    rc = rank_triangle(&host, &ctx, v, len, 0, order, &ties_v);
    expect_int(rc, SC_OK, "%s: order computed", what);
    size_t bad_rank = 0, bad_value = 0, bad_order = 0;
    for (size_t p = 0; p < len; p++) {
        bad_rank += r[p] != want[p];
        bad_value += v[p] != t[p];
        bad_order += order[p] != ref[p].i;
    }
    expect_int((long long)bad_rank, 0, "%s: all %zu ranks exact", what, len);
    expect_int((long long)bad_value, 0, "%s: values kept", what);
    expect_int((long long)bad_order, 0,
               "%s: order sorted by value, ties by index", what);
    expect_int((long long)ties_r, (long long)want_ties, "%s: tie pairs", what);
    expect_int((long long)ties_v, (long long)want_ties, "%s: tie pairs (order)",
               what);
    free(ref);
    free(want);
    free(r);
    free(v);
    free(order);
}

enum { LEN = 1000000 };

SC_TEST(ties_from_a_small_set_mixed_with_continuous_values)
{
    static const double set[] = {0.0, -0.0,   1.0,     0.5,  -1.5,
                                 2.0, 1e-300, -1e-300, 0.25, 1.0 + 0x1p-52};
    double *t = malloc(LEN * sizeof *t);
    uint64_t s = 13;
    for (size_t p = 0; p < LEN; p++) {
        double u = uniform(&s);
        if (u < 0.5)
            t[p] = set[(size_t)(uniform(&s) * 10.0)];
        else
            t[p] = 4.0 * uniform(&s) - 2.0;
    }
    check_ranking("small set + continuous", t, LEN);
    for (size_t p = 0; p < LEN; p++) /* RDM-like: D = 1 - r, r near 0 */
        t[p] = 1.0 - 0.05 * (uniform(&s) - 0.5) * (p % 7 == 0 ? 0.0 : 1.0);
    check_ranking("correlation-RDM-like around 1", t, LEN);
    free(t);
}

SC_TEST(values_a_few_ulps_apart)
{
    double *t = malloc(LEN * sizeof *t);
    uint64_t s = 29;
    for (size_t p = 0; p < LEN; p++) {
        double x = 1.0;
        int k = (int)(uniform(&s) * 300.0);
        for (int j = 0; j < k; j++)
            x = nextafter(x, 2.0);
        t[p] = uniform(&s) < 0.5 ? x : 1.0 + 1e-3 * uniform(&s);
    }
    check_ranking("a few ulps apart", t, LEN);
    free(t);
}

SC_TEST(one_outlier_dominates_the_range)
{
    double *t = malloc(LEN * sizeof *t);
    uint64_t s = 31;
    for (size_t p = 0; p < LEN; p++)
        t[p] = 1.0 + 1e-9 * uniform(&s);
    t[LEN / 3] = 1e300;
    t[LEN / 2] = -1e300;
    check_ranking("outliers", t, LEN);
    free(t);
}

/* The value 1.0 + k ulps, as written by nextafter. */
static double ulps_above_one(uint64_t k)
{
    double x;
    uint64_t u;
    memcpy(&u, &(double){1.0}, sizeof u);
    u += k;
    memcpy(&x, &u, sizeof x);
    return x;
}

SC_TEST(coarse_keys_collide_with_exact_ties_in_the_low_bits)
{
    double *t = malloc(LEN * sizeof *t);
    uint64_t s = 37;
    /* Range < 2^32 ulps: coarse is the whole key; draws from 2^20 values
     * tie often. */
    for (size_t p = 0; p < LEN; p++)
        t[p] = ulps_above_one((uint64_t)(uniform(&s) * 1048576.0));
    check_ranking("range within 32 bits, ties", t, LEN);
    /* +-1e300 stretch the range to 2^63, so 1.0 + k ulps (k < 64, exact
     * ties), its negatives and 1.5 + 1e-12 u each share coarse keys that
     * only the low bits tell apart. */
    for (size_t p = 0; p < LEN; p++) {
        double u = uniform(&s);
        uint64_t k = (uint64_t)(uniform(&s) * 64.0);
        t[p] = u < 0.4 ? ulps_above_one(k)
                       : (u < 0.8 ? -ulps_above_one(k) : 1.5 + 1e-12 * u);
    }
    t[7] = 1e300;
    t[LEN - 1] = -1e300;
    check_ranking("coarse collisions, low-bit ties", t, LEN);
    /* [1, 2) and one 1e300: all but one entry in the first bucket (beyond
     * the sort's scratch, split in place); coarse cells of 2^30 ulps, some
     * holding several entries. */
    for (size_t p = 0; p < LEN; p++)
        t[p] = 1.0 + uniform(&s);
    t[LEN / 5] = 1e300;
    check_ranking("large buckets, in place", t, LEN);
    free(t);
}

SC_TEST(a_dense_cluster_inside_one_bucket)
{
    double *t = malloc(LEN * sizeof *t);
    uint64_t s = 41;
    /* [1, 2) with 3% of the entries within 1e-8 of 1.5: the ~2^25 ulps
     * of the cluster share the top bits that a bucket's counting passes
     * sort by, so the words they leave in random order are too many for
     * the bounded insertion sort, and the runs are sorted one by one. */
    for (size_t p = 0; p < LEN; p++)
        t[p] = p % 32 == 0 ? 1.5 + 1e-8 * uniform(&s) : 1.0 + uniform(&s);
    check_ranking("dense cluster in a bucket", t, LEN);
    free(t);
}

SC_TEST(exact_zeros_below_values_near_one)
{
    double *t = malloc(LEN * sizeof *t);
    uint64_t s = 43;
    /* As duplicated stimuli give: exact zeros (+0.0 and -0.0, one tie
     * group kept apart from the range of the others) under correlation
     * distances around 1, some of them tied too. */
    for (size_t p = 0; p < LEN; p++) {
        double u = uniform(&s);
        t[p] = p % 53 == 0 ? (p % 2 == 0 ? 0.0 : -0.0)
                           : (u < 0.1 ? 0.875 : 0.5 + u);
    }
    check_ranking("exact zeros below ~1", t, LEN);
    t[LEN / 2] = 1e-300; /* the next value up is itself far below */
    check_ranking("zeros and one tiny value", t, LEN);
    free(t);
}

SC_TEST(all_equal_two_values_and_three_entries)
{
    double *t = malloc(LEN * sizeof *t);
    for (size_t p = 0; p < LEN; p++)
        t[p] = p % 2 == 0 ? 0.0 : -0.0;
    check_ranking("all equal (+0.0 and -0.0)", t, LEN);
    for (size_t p = 0; p < LEN; p++)
        t[p] = p % 3 == 0 ? 0.75 : 0.5;
    check_ranking("two values", t, LEN);
    const double three[] = {0.5, -0.25, 0.5};
    check_ranking("n = 3", three, 3);
    free(t);
}

int main(void)
{
    return sc_test_run();
}
