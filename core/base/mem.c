/* Allocation wrappers with failure injection for tests (see mem.h). */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE), Linux; see below */
#include "mem.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Countdown to the injected failure; 0 means injection is off. Atomic so the
 * counter stays exact when worker threads allocate. */
static _Atomic long fail_countdown;

void sc_mem_fail_after(long n)
{
    fail_countdown = n;
}

static int should_fail(void)
{
    if (fail_countdown <= 0)
        return 0;
    long left = --fail_countdown;
    if (left <= 0) {
        fail_countdown = 1; /* keep failing until switched off */
        return 1;
    }
    return 0;
}

int sc_size_mul(size_t a, size_t b, size_t *out)
{
    if (__builtin_mul_overflow(a, b, out)) {
        *out = SIZE_MAX;
        return 0;
    }
    return 1;
}

int sc_size_mul3(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab = 0;
    if (!sc_size_mul(a, b, &ab))
        return *out = SIZE_MAX, 0;
    return sc_size_mul(ab, c, out);
}

void *sc_malloc(size_t bytes)
{
    if (should_fail())
        return NULL;
    return malloc(bytes ? bytes : 1);
}

void *sc_calloc(size_t count, size_t size)
{
    size_t bytes = 0;
    if (!sc_size_mul(count, size, &bytes))
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *sc_realloc(void *p, size_t bytes)
{
    if (should_fail())
        return NULL;
    return realloc(p, bytes ? bytes : 1);
}

char *sc_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = sc_malloc(len);
    if (copy != NULL)
        memcpy(copy, s, len);
    return copy;
}

void sc_free(void *p)
{
    free(p);
}

void *sc_aligned_alloc(size_t count, size_t size)
{
    size_t bytes = 0;
    if (!sc_size_mul(count, size, &bytes))
        return NULL;
    if (bytes == 0)
        bytes = 1;
    /* aligned_alloc wants a multiple of the alignment. */
    if (bytes > SIZE_MAX - SC_MEM_ALIGN)
        return NULL;
    bytes = (bytes + SC_MEM_ALIGN - 1) / SC_MEM_ALIGN * SC_MEM_ALIGN;
    if (should_fail())
        return NULL;
    if (bytes < SC_MEM_HUGE_MIN)
        return aligned_alloc(SC_MEM_ALIGN, bytes);
    /* n x n Gram matrices and stacked embeddings are hundreds of MB and
     * are written once front to back: with 4 KiB pages, first-touch page
     * faults took ~30% of CKA's prepare at n = 5000 (perf, see
     * tests/bench/RESULTS.md). Aligning to 2 MiB and asking for
     * transparent huge pages removes most of them; where THP is off the
     * advice is ignored and nothing changes. */
    bytes =
        (bytes + SC_MEM_HUGE_PAGE - 1) / SC_MEM_HUGE_PAGE * SC_MEM_HUGE_PAGE;
    void *p = aligned_alloc(SC_MEM_HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
    if (p != NULL)
        (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void sc_aligned_free(void *p)
{
    free(p);
}
