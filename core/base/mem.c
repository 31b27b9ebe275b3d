/* Allocation wrappers with failure injection for tests (see mem.h). */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE), Linux; see below */
#include "mem.h"

#include <sys/mman.h>

#include <pthread.h>

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

/* ## Recycled huge blocks
 *
 * Every model's n x n Gram and plugin states are huge blocks of the same
 * few sizes, allocated and freed once per representation. Freed to the
 * system, each comes back as fresh pages the kernel must zero: at n =
 * 10,000 that page clearing was 24% of the similarity stage's CPU
 * (tests/bench/RESULTS.md, 2026-12-02). So a freed huge block is kept
 * (up to RECYCLE_SLOTS of them) and handed to the next request of about
 * its size, already faulted in: pages are faulted once per worker, not
 * once per model.
 *
 * Memory bound: the bytes of live plus kept huge blocks never exceed the
 * peak of live huge bytes so far plus an eighth (kept blocks are given
 * back to the system, smallest first, before a fresh block would pass
 * it), so recycling raises the peak RSS by at most 12.5% of the huge
 * blocks' peak. sc_mem_recycle_trim returns every kept block (the engine
 * calls it when a similarity matrix is done). SIMCON_MEM_RECYCLE=off
 * (read once) frees every block at once, as before (for measurements).
 *
 * A recycled block holds old bytes where a fresh one happened to hold
 * zeros; sc_aligned_alloc never promised zeros (aligned_alloc does not
 * zero), and every caller writes before it reads. Only blocks from
 * sc_aligned_alloc that are huge (2 MiB aligned and listed in `live`) are
 * tracked; the lists are tiny (a few blocks per worker) and guarded by one
 * mutex, taken only for huge blocks. */
#define RECYCLE_SLOTS 64
/* A kept block serves a request of at least 4/5 of its size. */
#define RECYCLE_FIT(have, need) ((need) >= (have) - (have) / 5)

typedef struct hblock {
    void *p;
    size_t bytes;
} hblock;

static pthread_mutex_t hlock = PTHREAD_MUTEX_INITIALIZER;
static hblock *live; /* huge blocks in use */
static size_t nlive, caplive;
static hblock kept[RECYCLE_SLOTS]; /* freed, kept for reuse */
static size_t nkept;
static size_t live_bytes, kept_bytes, peak_bytes;
static int recycle_mode = -1; /* -1 unread, 0 off, 1 on */

static int recycle_on(void)
{
    if (recycle_mode < 0) {
        const char *env = getenv("SIMCON_MEM_RECYCLE");
        recycle_mode = !(env != NULL &&
                         (strcmp(env, "off") == 0 || strcmp(env, "0") == 0));
    }
    return recycle_mode;
}

/* Drop kept block k (hlock held); returns its pointer for free(). */
static void *kept_take(size_t k)
{
    void *p = kept[k].p;
    kept_bytes -= kept[k].bytes;
    kept[k] = kept[--nkept];
    return p;
}

/* Record p as live (hlock held); 0 if the list cannot grow (then the block
 * is simply not recycled). */
static int live_add(void *p, size_t bytes)
{
    if (nlive == caplive) {
        size_t cap = caplive ? 2 * caplive : 16;
        hblock *grown = realloc(live, cap * sizeof *grown);
        if (grown == NULL)
            return 0;
        live = grown;
        caplive = cap;
    }
    live[nlive].p = p;
    live[nlive++].bytes = bytes;
    live_bytes += bytes;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    return 1;
}

/* A huge block of `bytes` (a multiple of SC_MEM_HUGE_PAGE). */
static void *huge_alloc(size_t bytes)
{
    void *evict[RECYCLE_SLOTS];
    size_t nevict = 0;
    void *p = NULL;
    pthread_mutex_lock(&hlock);
    int on = recycle_on();
    size_t best = nkept;
    for (size_t k = 0; on && k < nkept; k++)
        if (kept[k].bytes >= bytes && RECYCLE_FIT(kept[k].bytes, bytes) &&
            (best == nkept || kept[k].bytes < kept[best].bytes))
            best = k;
    if (best < nkept) {
        size_t have = kept[best].bytes;
        p = kept_take(best);
        (void)live_add(p, have); /* on failure: freed as a plain block */
        pthread_mutex_unlock(&hlock);
        return p;
    }
    /* A fresh block: first give back kept ones, smallest first, while
     * live + kept + this would pass the bound. */
    size_t bound = peak_bytes + peak_bytes / 8;
    while (nkept > 0 && live_bytes + kept_bytes + bytes > bound) {
        size_t small = 0;
        for (size_t k = 1; k < nkept; k++)
            if (kept[k].bytes < kept[small].bytes)
                small = k;
        evict[nevict++] = kept_take(small);
    }
    pthread_mutex_unlock(&hlock);
    for (size_t k = 0; k < nevict; k++)
        free(evict[k]);
    p = aligned_alloc(SC_MEM_HUGE_PAGE, bytes);
    if (p == NULL)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    pthread_mutex_lock(&hlock);
    (void)live_add(p, bytes);
    pthread_mutex_unlock(&hlock);
    return p;
}

/* Free p if it is a tracked huge block (kept for reuse when recycling is
 * on and a slot is free); 0 if p is not one. */
static int huge_free(void *p)
{
    void *drop = NULL;
    pthread_mutex_lock(&hlock);
    size_t i = 0;
    while (i < nlive && live[i].p != p)
        i++;
    if (i == nlive) {
        pthread_mutex_unlock(&hlock);
        return 0;
    }
    hblock b = live[i];
    live[i] = live[--nlive];
    live_bytes -= b.bytes;
    if (recycle_on() && nkept < RECYCLE_SLOTS) {
        kept[nkept++] = b;
        kept_bytes += b.bytes;
    } else {
        drop = b.p;
    }
    pthread_mutex_unlock(&hlock);
    free(drop);
    return 1;
}

void sc_mem_recycle_trim(void)
{
    void *drop[RECYCLE_SLOTS];
    size_t n = 0;
    pthread_mutex_lock(&hlock);
    while (nkept > 0)
        drop[n++] = kept_take(nkept - 1);
    pthread_mutex_unlock(&hlock);
    for (size_t k = 0; k < n; k++)
        free(drop[k]);
}

size_t sc_mem_recycle_kept(void)
{
    pthread_mutex_lock(&hlock);
    size_t bytes = kept_bytes;
    pthread_mutex_unlock(&hlock);
    return bytes;
}

void *sc_aligned_alloc(size_t count, size_t size)
{
    size_t bytes = 0;
    if (!sc_size_mul(count, size, &bytes))
        return NULL;
    if (bytes == 0)
        bytes = 1;
    /* aligned_alloc wants a multiple of the alignment. */
    if (bytes > SIZE_MAX - SC_MEM_HUGE_PAGE)
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
     * advice is ignored and nothing changes. Freed ones are recycled
     * (above). */
    bytes =
        (bytes + SC_MEM_HUGE_PAGE - 1) / SC_MEM_HUGE_PAGE * SC_MEM_HUGE_PAGE;
    return huge_alloc(bytes);
}

void sc_aligned_free(void *p)
{
    /* Only a 2 MiB aligned pointer can be a huge block. */
    if (p != NULL && (uintptr_t)p % SC_MEM_HUGE_PAGE == 0 && huge_free(p))
        return;
    free(p);
}
