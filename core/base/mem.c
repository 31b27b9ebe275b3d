/* Allocation wrappers with failure injection for tests (see mem.h). */
#define _GNU_SOURCE /* madvise(MADV_HUGEPAGE), mremap: Linux; see below */
#include "mem.h"

#include <sys/mman.h>

#include <pthread.h>

#include <stdint.h>
#include <stdio.h>
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
 * Every model's n x n Gram and plugin states are huge blocks, allocated
 * and freed once per representation. Freed to the system, each comes back
 * as fresh pages the kernel must zero: at n = 10,000 that page clearing
 * was 24% of the similarity stage's CPU (tests/bench/RESULTS.md,
 * 2026-12-02), and still 9.9% (issue 13) while kept blocks served only
 * requests of about their own size: states sized by a model's embedding
 * width (n x d) differ from model to model, and a kept block too small
 * for a request was given back to make room for a fresh one.
 *
 * So huge blocks are mapped directly (mmap, 2 MiB aligned by mapping
 * 2 MiB more and trimming), and a freed one is kept, already faulted in
 * (only up to its last touched 2 MiB: see touched()), as pages that any
 * later request can use:
 *   - the smallest kept block at least as large serves it in place; the
 *     part past the request stays kept (a block of its own, joined again
 *     with its neighbours of the same mapping when they are freed);
 *   - else the largest kept block is grown to the request by mremap into
 *     a 2 MiB aligned range: its pages are moved, not copied or cleared
 *     (2 MiB aligned source and target keep transparent huge pages
 *     whole), and only the growth is fresh;
 *   - else the block is fresh.
 * Every block stays inside one mapping (mremap moves only such ranges).
 *
 * Memory bound: the bytes of live plus kept huge blocks never exceed the
 * peak of live huge bytes so far plus an eighth (kept blocks are given
 * back to the system, smallest first, before fresh pages would pass it),
 * so recycling raises the peak RSS by at most 12.5% of the huge blocks'
 * peak. sc_mem_recycle_trim returns every kept block (the engine calls it
 * when a similarity matrix is done; simcon run once after its last
 * dataset, so the next dataset's prepares and the deferred products reuse
 * the pages). SIMCON_MEM_RECYCLE=off (read once) unmaps every block at
 * once (for measurements).
 *
 * A recycled block holds old bytes where a fresh one happened to hold
 * zeros; sc_aligned_alloc never promised zeros (aligned_alloc does not
 * zero), and every caller writes before it reads. Under AddressSanitizer
 * kept bytes are poisoned, so a use after free of a huge block is caught;
 * LeakSanitizer does not see mmap (nor did it see the aligned_alloc'd
 * blocks before: `live` kept them reachable), so sc_mem_huge_live reports
 * the live huge bytes for tests. The lists are tiny (a few blocks per
 * worker) and guarded by one mutex, taken only for huge blocks. */
#if defined(__SANITIZE_ADDRESS__)
#define SC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SC_ASAN 1
#endif
#endif
#ifdef SC_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define RECYCLE_SLOTS 64

typedef struct hblock {
    void *p;
    size_t bytes;
    unsigned long map; /* the mapping it lies in: blocks are split, and
                          only parts of one mapping are joined again */
} hblock;

static pthread_mutex_t hlock = PTHREAD_MUTEX_INITIALIZER;
static hblock *live; /* huge blocks in use */
static size_t nlive, caplive;
static hblock kept[RECYCLE_SLOTS]; /* freed, kept for reuse */
static size_t nkept;
static size_t live_bytes, kept_bytes, peak_bytes;
static unsigned long nmaps;
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

static void unmap(hblock b)
{
    UNPOISON(b.p, b.bytes); /* the range may be mapped again later */
    (void)munmap(b.p, b.bytes);
}

/* A fresh range of `bytes` (a multiple of SC_MEM_HUGE_PAGE) at a 2 MiB
 * boundary, advised for transparent huge pages; NULL if none. */
static void *map_aligned(size_t bytes)
{
    size_t span = bytes + SC_MEM_HUGE_PAGE;
    if (span < bytes)
        return NULL;
    char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    size_t head = (SC_MEM_HUGE_PAGE - (uintptr_t)raw % SC_MEM_HUGE_PAGE) %
                  SC_MEM_HUGE_PAGE;
    if (head > 0)
        (void)munmap(raw, head);
    (void)munmap(raw + head + bytes, SC_MEM_HUGE_PAGE - head);
    /* n x n Grams and states are hundreds of MB written front to back:
     * with 4 KiB pages, first-touch faults took ~30% of CKA's prepare at
     * n = 5000 (tests/bench/RESULTS.md). Where THP is off the advice is
     * ignored and nothing changes. */
#ifdef MADV_HUGEPAGE
    (void)madvise(raw + head, bytes, MADV_HUGEPAGE);
#endif
    return raw + head;
}

/* Kept block b grown to `bytes` in a fresh aligned range: its pages moved
 * there, the rest fresh; NULL (b untouched) if that fails. */
static void *grow(hblock b, size_t bytes)
{
    void *to = map_aligned(bytes);
    if (to == NULL)
        return NULL;
    UNPOISON(b.p, b.bytes);
    void *p = mremap(b.p, b.bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    if (p == MAP_FAILED) {
        POISON(b.p, b.bytes);
        (void)munmap(to, bytes);
        return NULL;
    }
    return p;
}

/* Drop kept block k (hlock held) and return it. */
static hblock kept_take(size_t k)
{
    hblock b = kept[k];
    kept_bytes -= b.bytes;
    kept[k] = kept[--nkept];
    return b;
}

/* Room for one more live block (hlock held); 0 if the list cannot grow. */
static int live_room(void)
{
    if (nlive < caplive)
        return 1;
    size_t cap = caplive ? 2 * caplive : 16;
    hblock *grown = realloc(live, cap * sizeof *grown);
    if (grown == NULL)
        return 0;
    live = grown;
    caplive = cap;
    return 1;
}

/* Record p as live (hlock held, live_room checked). */
static void live_add(void *p, size_t bytes, unsigned long map)
{
    live[nlive].p = p;
    live[nlive].map = map;
    live[nlive++].bytes = bytes;
    live_bytes += bytes;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
}

/* A huge block of `bytes` (a multiple of SC_MEM_HUGE_PAGE). */
static void *huge_alloc(size_t bytes)
{
    hblock evict[RECYCLE_SLOTS], base = {NULL, 0, 0};
    size_t nevict = 0;
    pthread_mutex_lock(&hlock);
    if (!live_room()) {
        pthread_mutex_unlock(&hlock);
        return NULL;
    }
    size_t fit = nkept, big = nkept;
    for (size_t k = 0; recycle_on() && k < nkept; k++) {
        if (kept[k].bytes >= bytes &&
            (fit == nkept || kept[k].bytes < kept[fit].bytes))
            fit = k;
        if (big == nkept || kept[k].bytes > kept[big].bytes)
            big = k;
    }
    if (fit < nkept) { /* in place; the tail stays kept */
        void *p = kept[fit].p;
        kept[fit].p = (char *)p + bytes;
        kept[fit].bytes -= bytes;
        kept_bytes -= bytes;
        live_add(p, bytes, kept[fit].map);
        if (kept[fit].bytes == 0)
            (void)kept_take(fit);
        pthread_mutex_unlock(&hlock);
        UNPOISON(p, bytes);
        return p;
    }
    if (big < nkept)
        base = kept_take(big);
    /* Fresh pages: first give back kept blocks, smallest first, while
     * live + kept + these would pass the bound. */
    size_t fresh = bytes - base.bytes;
    size_t bound = peak_bytes + peak_bytes / 8;
    while (nkept > 0 && live_bytes + base.bytes + kept_bytes + fresh > bound) {
        size_t small = 0;
        for (size_t k = 1; k < nkept; k++)
            if (kept[k].bytes < kept[small].bytes)
                small = k;
        evict[nevict++] = kept_take(small);
    }
    /* Counted live now (base's pages are resident either way), so the
     * bound holds for others while the lock is dropped. */
    live_add(NULL, bytes, 0);
    pthread_mutex_unlock(&hlock);
    for (size_t k = 0; k < nevict; k++)
        unmap(evict[k]);
    void *p = base.p != NULL ? grow(base, bytes) : NULL;
    if (p == NULL && base.p != NULL) /* not grown: base back, p fresh */
        unmap(base);
    if (p == NULL)
        p = map_aligned(bytes);
    pthread_mutex_lock(&hlock);
    size_t i = 0; /* the placeholder: the last NULL entry of its size */
    for (size_t k = 0; k < nlive; k++)
        if (live[k].p == NULL && live[k].bytes == bytes)
            i = k;
    if (p != NULL) {
        live[i].p = p;
        live[i].map = ++nmaps; /* grown or fresh: a mapping of its own */
    } else {
        live_bytes -= bytes;
        live[i] = live[--nlive];
    }
    pthread_mutex_unlock(&hlock);
    return p;
}

/* Keep *b (hlock held), joined with the kept parts of its mapping next to
 * it (fewer, larger blocks serve more requests in place); 0 if no slot is
 * free (then *b, joined parts included, is the caller's to unmap). */
static int keep(hblock *b)
{
    for (int joined = 1; joined;) {
        joined = 0;
        for (size_t k = 0; k < nkept && !joined; k++) {
            char *kp = kept[k].p, *bp = b->p;
            if (kept[k].map != b->map ||
                (kp + kept[k].bytes != bp && bp + b->bytes != kp))
                continue;
            hblock j = kept_take(k);
            b->p = kp < bp ? kp : bp;
            b->bytes += j.bytes;
            joined = 1; /* b may now touch another part */
        }
    }
    if (nkept == RECYCLE_SLOTS)
        return 0;
    kept[nkept++] = *b;
    kept_bytes += b->bytes;
    POISON(b->p, b->bytes);
    return 1;
}

/* Bytes of [p, p + bytes) up to the end of its last 2 MiB that holds a
 * resident page (mincore(2)); bytes if that cannot be told. A block past
 * its touched part (the last, partial column block of a spilled E; a
 * state sized for the widest case) has pages never faulted: kept, they
 * would count as recycled yet be cleared on first touch all the same. */
static size_t touched(char *p, size_t bytes)
{
    unsigned char vec[SC_MEM_HUGE_PAGE / 4096]; /* pages are >= 4 KiB */
    for (size_t end = bytes; end > 0; end -= SC_MEM_HUGE_PAGE) {
        if (mincore(p + end - SC_MEM_HUGE_PAGE, SC_MEM_HUGE_PAGE, vec) != 0)
            return bytes;
        for (size_t k = 0; k < sizeof vec; k++)
            if (vec[k] & 1)
                return end;
    }
    return 0;
}

/* Free p if it is a tracked huge block (its touched part kept for reuse
 * when recycling is on and a slot is free); 0 if p is not one. */
static int huge_free(void *p)
{
    hblock drop = {NULL, 0, 0}, tail = {NULL, 0, 0};
    pthread_mutex_lock(&hlock);
    size_t i = 0;
    while (i < nlive && live[i].p != p)
        i++;
    if (i == nlive) {
        pthread_mutex_unlock(&hlock);
        return 0;
    }
    hblock b = live[i];
    int on = recycle_on();
    pthread_mutex_unlock(&hlock);
    /* Still the caller's block: looked at without the lock. */
    size_t used = on ? touched(b.p, b.bytes) : b.bytes;
    if (used < b.bytes) {
        tail = (hblock){(char *)b.p + used, b.bytes - used, b.map};
        b.bytes = used;
    }
    pthread_mutex_lock(&hlock);
    for (i = 0; live[i].p != p; i++)
        ;
    live_bytes -= live[i].bytes;
    live[i] = live[--nlive];
    if (b.bytes > 0 && (!on || !keep(&b)))
        drop = b;
    pthread_mutex_unlock(&hlock);
    if (drop.p != NULL)
        unmap(drop);
    if (tail.p != NULL)
        unmap(tail);
    return 1;
}

void sc_mem_recycle_trim(void)
{
    hblock drop[RECYCLE_SLOTS];
    size_t n = 0;
    pthread_mutex_lock(&hlock);
    while (nkept > 0)
        drop[n++] = kept_take(nkept - 1);
    pthread_mutex_unlock(&hlock);
    for (size_t k = 0; k < n; k++)
        unmap(drop[k]);
}

size_t sc_mem_recycle_kept(void)
{
    pthread_mutex_lock(&hlock);
    size_t bytes = kept_bytes;
    pthread_mutex_unlock(&hlock);
    return bytes;
}

size_t sc_mem_huge_live(void)
{
    pthread_mutex_lock(&hlock);
    size_t bytes = live_bytes;
    pthread_mutex_unlock(&hlock);
    return bytes;
}

void sc_mem_check_huge_leaks(void)
{
#ifdef SC_ASAN
    size_t bytes = sc_mem_huge_live();
    if (bytes != 0) {
        fprintf(stderr,
                "simcon: %zu bytes of huge blocks (>= %zu bytes each, "
                "mapped, so LeakSanitizer does not see them) were never "
                "freed: a leak\n",
                bytes, (size_t)SC_MEM_HUGE_MIN);
        abort();
    }
#endif
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
    /* Huge: mapped 2 MiB aligned for transparent huge pages, and
     * recycled (above). */
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
