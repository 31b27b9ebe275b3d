/* Storage for the all-pairs engine's stacked embeddings E (simmat.c):
 * in memory when E fits the memory budget, otherwise in an unlinked file
 * in the cache folder, written and read with pwrite/pread at byte offsets.
 *
 * Why not a memory mapping: the pages of a mapped file count in the
 * process's resident set while they are cached (a 12.8 GB E showed a
 * 19 GB peak RSS under a 4 GB budget), whereas pread/pwrite go through the
 * page cache, which the kernel reclaims as it needs. The file is unlinked
 * at once, so it disappears with its descriptor, even on a crash. */
#ifndef SC_SPILL_H
#define SC_SPILL_H

#include <stddef.h>

#include "err.h"

typedef struct sc_spill {
    void *data; /* in memory; NULL when spilled */
    size_t bytes;
    int fd;      /* spill file, or -1 */
    int spilled; /* 1 when the bytes live in the file */
} sc_spill;

/* Room for bytes: in memory when bytes <= budget and the allocation
 * succeeds, else a file "simcon-simmat-XXXXXX" in cache_dir (NULL or "":
 * $TMPDIR, then /tmp). SC_EIO names the folder and what to do. */
int sc_spill_open(sc_spill *s, size_t bytes, size_t budget,
                  const char *cache_dir, sc_err *err);
/* Whole transfers to and from the file at a byte offset (short reads and
 * writes are continued); only for a spilled store. */
int sc_spill_write(const sc_spill *s, const void *buf, size_t bytes,
                   size_t offset, sc_err *err);
int sc_spill_read(const sc_spill *s, void *buf, size_t bytes, size_t offset,
                  sc_err *err);
/* Frees the memory or closes (and so removes) the file. */
void sc_spill_close(sc_spill *s);

#endif
