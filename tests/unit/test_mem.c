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

int main(void)
{
    return sc_test_run();
}
