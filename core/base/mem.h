/* All core allocation goes through here.
 *
 * One place to allocate means one place to fail: tests call
 * sc_mem_fail_after(N) to make the Nth allocation from now return NULL and
 * check that every caller reports SC_ENOMEM and leaks nothing. Aligned blocks
 * (64 bytes, a cache line and the widest SIMD load) back matrices and plugin
 * states. Every function accepts a size of 0 and returns a unique pointer or
 * NULL; sc_free(NULL) is a no-op. */
#ifndef SC_MEM_H
#define SC_MEM_H

#include <stddef.h>

#define SC_MEM_ALIGN 64

/* Blocks of at least SC_MEM_HUGE_MIN bytes are aligned to
 * SC_MEM_HUGE_PAGE and advised for transparent huge pages (mem.c). */
#define SC_MEM_HUGE_PAGE ((size_t)2 << 20)
#define SC_MEM_HUGE_MIN ((size_t)4 << 20)

/* The one checked multiply for sizes: *out = a * b (or a * b * c) and 1,
 * or *out = SIZE_MAX and 0 when the product does not fit a size_t. Every
 * product of counts that sizes an allocation goes through it (issue 18:
 * bootstrap x stimuli x sizeof wrapped to a small buffer); SIZE_MAX then
 * makes the allocation fail cleanly if a caller passes it on. */
int sc_size_mul(size_t a, size_t b, size_t *out);
int sc_size_mul3(size_t a, size_t b, size_t c, size_t *out);

void *sc_malloc(size_t bytes);
void *sc_calloc(size_t count, size_t size); /* checks count*size overflow */
void *sc_realloc(void *p, size_t bytes);
char *sc_strdup(const char *s);
void sc_free(void *p);

/* 64-byte aligned (2 MiB from SC_MEM_HUGE_MIN up); release with
 * sc_aligned_free. count * size is overflow-checked. */
void *sc_aligned_alloc(size_t count, size_t size);
void sc_aligned_free(void *p);

/* Huge blocks (SC_MEM_HUGE_MIN and up) are mapped directly; freed by
 * sc_aligned_free, their pages are kept, already faulted in, for later
 * requests of any size (served in place, or grown by moving the pages),
 * within a bound of an eighth over the peak of live huge bytes (mem.c).
 * Trim gives every kept block back to the system; kept reports their
 * bytes, huge_live the bytes of huge blocks in use (LeakSanitizer does
 * not see mapped blocks: tests check this instead). */
void sc_mem_recycle_trim(void);
size_t sc_mem_recycle_kept(void);
size_t sc_mem_huge_live(void);
/* Under AddressSanitizer: abort with a one-line report if huge blocks are
 * still allocated (a leak LeakSanitizer cannot see); a no-op otherwise.
 * The CLI calls it when a command has returned. */
void sc_mem_check_huge_leaks(void);

/* Test hook: the nth allocation from now (1 = the next) and every later one
 * fail until sc_mem_fail_after(0) switches failure injection off. */
void sc_mem_fail_after(long n);

#endif
