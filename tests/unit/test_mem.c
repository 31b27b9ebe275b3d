/* core/mem: alignment, overflow checks and failure injection. */
#include <stdint.h>
#include <string.h>

#include "../test.h"
#include "mem.h"

SC_TEST(aligned_blocks)
{
    void *small = sc_aligned_alloc(3, sizeof(double));
    expect_true(small != NULL && (uintptr_t)small % SC_MEM_ALIGN == 0,
                "small block is %d-byte aligned", SC_MEM_ALIGN);
    /* 5 MiB: above SC_MEM_HUGE_MIN, so aligned for huge pages. */
    size_t n = (5u << 20) / sizeof(double);
    double *big = sc_aligned_alloc(n, sizeof(double));
    expect_true(big != NULL && (uintptr_t)big % SC_MEM_HUGE_PAGE == 0,
                "large block is 2 MiB aligned");
    if (big != NULL) {
        big[0] = 2.385;
        big[n - 1] = -0.0117; /* the whole requested size is usable */
        expect_abs(big[n - 1], -0.0117, 0, "last element writable");
    }
    sc_aligned_free(small);
    sc_aligned_free(big);
}

SC_TEST(overflow_is_refused)
{
    expect_true(sc_aligned_alloc(SIZE_MAX / 2, 4) == NULL,
                "aligned count*size overflow");
    expect_true(sc_calloc(SIZE_MAX / 2, 4) == NULL, "calloc overflow");
}

SC_TEST(failure_injection)
{
    sc_mem_fail_after(2);
    void *a = sc_malloc(8);
    void *b = sc_malloc(8);
    void *c = sc_aligned_alloc(1, 8);
    sc_mem_fail_after(0);
    void *d = sc_malloc(8);
    expect_true(a != NULL, "first allocation succeeds");
    expect_true(b == NULL, "second allocation fails");
    expect_true(c == NULL, "later allocations keep failing");
    expect_true(d != NULL, "switched off again");
    char *s = sc_strdup("simcon");
    expect_str(s, "simcon", "strdup copies");
    sc_free(a);
    sc_free(d);
    sc_free(s);
    sc_free(NULL); /* a no-op */
}

/* Recycled huge blocks (mem.c): a freed huge block comes back for a
 * request of about its size, never for a much smaller or larger one, and
 * the kept bytes stay within the bound (live + kept <= 9/8 of the peak of
 * live bytes). Sizes are multiples of 2 MiB, the rounding of huge blocks. */
SC_TEST(recycled_huge_blocks)
{
    const size_t mib = (size_t)1 << 20;
    sc_mem_recycle_trim();
    unsigned char *a = sc_aligned_alloc(6 * mib, 1);
    expect_true(a != NULL, "6 MiB block");
    if (a == NULL)
        return;
    memset(a, 0x5a, 6 * mib);
    sc_aligned_free(a);
    expect_true(sc_mem_recycle_kept() == 6 * mib, "the freed block is kept");
    unsigned char *b = sc_aligned_alloc(6 * mib - 100, 1);
    expect_true(b == a, "a request of the same rounded size gets it back");
    expect_true(sc_mem_recycle_kept() == 0, "and it is no longer kept");
    unsigned char *e = sc_aligned_alloc(3 * mib, 1);
    expect_true(e != NULL, "3 MiB: below the huge size, never recycled");
    sc_aligned_free(e);
    expect_true(sc_mem_recycle_kept() == 0, "nothing kept for it");
    /* 4 MiB (while b is live: peak 10 MiB) is less than 4/5 of 6 MiB: it
     * would not be served by a kept 6 MiB block. */
    unsigned char *c = sc_aligned_alloc(4 * mib, 1);
    expect_true(c != NULL && c != a, "a second block of its own");
    sc_aligned_free(b);
    /* live 4 + kept 6 = 10 MiB is within 9/8 of the peak (10 MiB). */
    expect_true(sc_mem_recycle_kept() == 6 * mib,
                "the freed block is kept while within the bound");
    /* A fresh 40 MiB block: live 44 + kept 6 would pass 9/8 x 10: the
     * kept block goes back to the system first. */
    unsigned char *d = sc_aligned_alloc(40 * mib, 1);
    expect_true(d != NULL, "40 MiB block");
    expect_true(sc_mem_recycle_kept() == 0, "kept block evicted");
    sc_aligned_free(c);
    sc_aligned_free(d);
    expect_true(sc_mem_recycle_kept() == 44 * mib, "both kept");
    /* Failure injection applies to recycled blocks too. */
    sc_mem_fail_after(1);
    expect_true(sc_aligned_alloc(40 * mib, 1) == NULL,
                "injected failure even with a kept block");
    sc_mem_fail_after(0);
    sc_mem_recycle_trim();
    expect_true(sc_mem_recycle_kept() == 0, "trim gives everything back");
}

int main(void)
{
    return sc_test_run();
}
