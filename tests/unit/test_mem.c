/* core/mem: alignment, overflow checks, failure injection, recycling. */
#include <sys/mman.h>

#include <pthread.h>
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

/* Recycled huge blocks (mem.c): kept pages serve any later request, in
 * place when a kept block is large enough, else by growing the largest
 * kept block (its pages moved, the growth fresh), and the kept bytes stay
 * within the bound (live + kept <= 9/8 of the peak of live bytes). Sizes
 * are multiples of 2 MiB, the rounding of huge blocks. Where the pages
 * came from is read from their bytes: a fresh anonymous page reads 0
 * (mmap(2)), a recycled one still holds what was written to it. */
static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* 1 if [p, p + n) is mapped: msync fails with ENOMEM on unmapped pages. */
static int is_mapped(void *p, size_t n)
{
    return msync(p, n, MS_ASYNC) == 0;
}

SC_TEST(recycled_huge_blocks)
{
    const size_t mib = (size_t)1 << 20;
    sc_mem_recycle_trim();
    expect_true(sc_mem_huge_live() == 0, "no huge block live at the start");
    unsigned char *a = sc_aligned_alloc(6 * mib, 1);
    expect_true(a != NULL, "6 MiB block");
    if (a == NULL)
        return;
    memset(a, 0x5a, 6 * mib);
    sc_aligned_free(a);
    expect_true(sc_mem_recycle_kept() == 6 * mib, "the freed block is kept");
    expect_true(sc_mem_huge_live() == 0, "and no longer live");
    unsigned char *b = sc_aligned_alloc(6 * mib - 100, 1);
    expect_true(b == a, "a request of the same rounded size gets it back");
    expect_true(sc_mem_recycle_kept() == 0, "and it is no longer kept");
    expect_true(all_bytes(b, 6 * mib - 100, 0x5a), "its pages, not fresh ones");
    unsigned char *e = sc_aligned_alloc(3 * mib, 1);
    expect_true(e != NULL, "3 MiB: below the huge size, never recycled");
    sc_aligned_free(e);
    expect_true(sc_mem_recycle_kept() == 0, "nothing kept for it");
    sc_aligned_free(b);

    /* Shrink: 4 MiB served in place by the kept 6 MiB; its last 2 MiB
     * stay kept. */
    unsigned char *c = sc_aligned_alloc(4 * mib, 1);
    expect_true(c == a, "a smaller request is served in place");
    expect_true(sc_mem_recycle_kept() == 2 * mib, "the tail stays kept");
    if (c == NULL)
        return;
    memset(c, 0xc3, 4 * mib);

    /* Grow: 4 MiB from the kept 2 MiB tail: its pages (0x5a) first, then
     * 2 MiB of fresh ones (0). */
    unsigned char *d = sc_aligned_alloc(4 * mib, 1);
    expect_true(d != NULL && (uintptr_t)d % SC_MEM_HUGE_PAGE == 0,
                "grown block is 2 MiB aligned");
    if (d == NULL)
        return;
    expect_true(sc_mem_recycle_kept() == 0, "the tail was taken");
    expect_true(all_bytes(d, 2 * mib, 0x5a), "grown: the kept pages moved");
    expect_true(all_bytes(d + 2 * mib, 2 * mib, 0), "grown: then fresh pages");
    expect_true(!is_mapped(a + 4 * mib, 2 * mib), "moved from the old place");
    memset(d, 0x3c, 4 * mib); /* writable over the whole new size */
    expect_true(all_bytes(c, 4 * mib, 0xc3), "the block in place untouched");
    expect_true(sc_mem_huge_live() == 8 * mib, "8 MiB live");
    sc_aligned_free(d);

    /* A grown block grows again (it is one mapping). */
    unsigned char *g = sc_aligned_alloc(6 * mib, 1);
    expect_true(g != NULL, "6 MiB block");
    if (g == NULL)
        return;
    expect_true(all_bytes(g, 4 * mib, 0x3c), "grown again: its pages moved");
    expect_true(all_bytes(g + 4 * mib, 2 * mib, 0), "then fresh pages");
    memset(g, 0x99, 6 * mib);
    sc_aligned_free(c);
    sc_aligned_free(g);
    expect_true(sc_mem_recycle_kept() == 10 * mib, "both kept");

    /* Bound: the peak of live bytes is 10 MiB (c and g; the tests above
     * stay below it, those below run later), so live + kept
     * may pass 11.25 MiB only by the block being made. A 40 MiB block
     * grows the largest kept block (g) by 34 fresh MiB; keeping c too
     * would pass the bound: it goes back to the system first. */
    unsigned char *f = sc_aligned_alloc(40 * mib, 1);
    expect_true(f != NULL, "40 MiB block");
    if (f == NULL)
        return;
    expect_true(sc_mem_recycle_kept() == 0, "the other kept block evicted");
    expect_true(all_bytes(f, 6 * mib, 0x99), "40 MiB: g's pages first");
    expect_true(all_bytes(f + 6 * mib, 34 * mib, 0), "then fresh pages");
    memset(f, 0x77, 40 * mib);
    expect_true(all_bytes(f + 39 * mib, mib, 0x77), "writable to the end");
    sc_aligned_free(f);
    expect_true(sc_mem_recycle_kept() == 40 * mib, "kept (within the bound)");

    /* Failure injection applies to recycled blocks too. */
    sc_mem_fail_after(1);
    expect_true(sc_aligned_alloc(40 * mib, 1) == NULL,
                "injected failure even with a kept block");
    sc_mem_fail_after(0);
    sc_mem_recycle_trim();
    expect_true(sc_mem_recycle_kept() == 0, "trim gives everything back");
    expect_true(!is_mapped(f, 40 * mib), "and unmaps it");
    expect_true(sc_mem_huge_live() == 0, "nothing leaked");
}

/* Parts of one block served in place are joined again when freed. */
SC_TEST(recycle_joins_parts)
{
    const size_t mib = (size_t)1 << 20;
    sc_mem_recycle_trim();
    unsigned char *x = sc_aligned_alloc(12 * mib, 1);
    expect_true(x != NULL, "12 MiB block");
    if (x == NULL)
        return;
    memset(x, 1, 12 * mib); /* touched: kept whole */
    sc_aligned_free(x);
    unsigned char *y1 = sc_aligned_alloc(4 * mib, 1);
    unsigned char *y2 = sc_aligned_alloc(4 * mib, 1);
    expect_true(x != NULL && y1 == x && y2 == x + 4 * mib,
                "two 4 MiB parts in place, one after the other");
    expect_true(sc_mem_recycle_kept() == 4 * mib, "4 MiB left kept");
    sc_aligned_free(y1);
    sc_aligned_free(y2); /* touches both y1 and the tail */
    unsigned char *z = sc_aligned_alloc(12 * mib, 1);
    expect_true(z == x, "the whole 12 MiB serves again in place");
    expect_true(sc_mem_recycle_kept() == 0, "nothing else kept");
    sc_aligned_free(z);
    sc_mem_recycle_trim();
    expect_true(sc_mem_huge_live() == 0, "nothing leaked");
}

/* Only the touched part of a freed block is kept (to the end of its last
 * 2 MiB with a page written): the rest was never faulted in, so keeping
 * it would save nothing. */
SC_TEST(recycle_keeps_touched_part)
{
    const size_t mib = (size_t)1 << 20;
    sc_mem_recycle_trim();
    unsigned char *p = sc_aligned_alloc(8 * mib, 1);
    expect_true(p != NULL, "8 MiB block");
    if (p == NULL)
        return;
    memset(p, 2, 3 * mib);
    sc_aligned_free(p);
    expect_true(sc_mem_recycle_kept() == 4 * mib, "4 MiB kept (%zu)",
                sc_mem_recycle_kept() / mib);
    expect_true(is_mapped(p, 4 * mib), "the touched part still mapped");
    expect_true(!is_mapped(p + 4 * mib, 4 * mib), "the rest unmapped");
    unsigned char *q = sc_aligned_alloc(8 * mib, 1);
    expect_true(q != NULL, "8 MiB again");
    if (q != NULL) {
        expect_true(all_bytes(q, 3 * mib, 2), "grown from the touched part");
        sc_aligned_free(q);
    }
    unsigned char *u = sc_aligned_alloc(6 * mib, 1);
    expect_true(u != NULL, "6 MiB");
    sc_aligned_free(u); /* never written: nothing to keep */
    sc_mem_recycle_trim();
    expect_true(sc_mem_recycle_kept() == 0 && sc_mem_huge_live() == 0,
                "nothing kept or live after trim");
}

/* More freed blocks than slots: the rest are unmapped at once, so kept
 * memory stays bounded by the slots too. Only each block's first page is
 * written (its first 2 MiB is kept). */
SC_TEST(recycle_slots_are_bounded)
{
    enum { N = 80 };
    const size_t mib = (size_t)1 << 20;
    void *p[N];
    sc_mem_recycle_trim();
    size_t got = 0;
    for (size_t i = 0; i < N; i++) {
        unsigned char *b = sc_aligned_alloc(4 * mib, 1);
        got += b != NULL;
        if (b != NULL)
            b[0] = 1;
        p[i] = b;
    }
    expect_true(got == N, "%d blocks of 4 MiB", N);
    for (size_t i = 0; i < N; i++)
        sc_aligned_free(p[i]);
    size_t kept = sc_mem_recycle_kept();
    expect_true(kept == 64 * 2 * mib, /* RECYCLE_SLOTS = 64 (mem.c) */
                "64 slots of 2 MiB kept (%zu MiB)", kept / mib);
    expect_true(sc_mem_huge_live() == 0, "none live");
    sc_mem_recycle_trim();
    expect_true(sc_mem_recycle_kept() == 0, "trimmed");
}

/* Two threads allocating and freeing blocks of mixed sizes at once: the
 * recycler's bookkeeping stays exact (every block usable over its whole
 * size, nothing live at the end). */
static void *churn(void *arg)
{
    const size_t mib = (size_t)1 << 20;
    unsigned seed = (unsigned)(uintptr_t)arg;
    long bad = 0;
    for (int round = 0; round < 60; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t bytes = (4 + (seed >> 16) % 12) * mib - 64;
        unsigned char *p = sc_aligned_alloc(bytes, 1);
        if (p == NULL) {
            bad++;
            continue;
        }
        p[0] = (unsigned char)round;
        p[bytes - 1] = (unsigned char)round;
        bad += p[0] != (unsigned char)round;
        sc_aligned_free(p);
    }
    return (void *)bad;
}

SC_TEST(recycle_under_threads)
{
    pthread_t t[2];
    int made = 0;
    for (int i = 0; i < 2; i++)
        made += pthread_create(&t[i], NULL, churn,
                               (void *)(uintptr_t)(7 + 31 * i)) == 0;
    expect_true(made == 2, "two threads");
    long bad = 0;
    for (int i = 0; i < made; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    expect_true(bad == 0, "every block allocated and usable");
    expect_true(sc_mem_huge_live() == 0, "nothing live after");
    sc_mem_recycle_trim();
    expect_true(sc_mem_recycle_kept() == 0, "trimmed");
}

int main(void)
{
    return sc_test_run();
}
