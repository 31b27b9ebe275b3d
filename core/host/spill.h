/* Storage for the all-pairs engine's stacked embeddings E (simmat.c):
 * in memory when E fits the memory budget, otherwise in an unlinked file
 * in the cache folder, written and read with pwrite/pread at byte offsets.
 *
 * Why not a memory mapping: the pages of a mapped file count in the
 * process's resident set while they are cached (a 12.8 GB E showed a
 * 19 GB peak RSS under a 4 GB budget), whereas pread/pwrite go through the
 * page cache, which the kernel reclaims as it needs. The file is unlinked
 * at once, so it disappears with its descriptor, even on a crash. Its
 * blocks are reserved when it is opened (fallocate; a filesystem without
 * it gets a sparse file), so a disk too small fails at once, not at a
 * write in the middle of a run.
 *
 * A store of rows (sc_spill_open_rows, the engine's E) goes to the file
 * with O_DIRECT where the filesystem takes it: the device reads and
 * writes our buffers, where pwrite/pread copied every byte into and out
 * of the page cache (about 13% of a full-size dataset's CPU time, perf),
 * and E does not push the next models' features out of the cache (E went
 * to the disk and came back from it anyway: 39.6 GB read for 38.4 GB of
 * E). O_DIRECT wants offsets, lengths and buffers aligned (SC_SPILL_ALIGN),
 * so each row's stride in the file is padded, and the transfers are
 * rounded to whole aligned spans (sc_spill_span). Its writes wait for the
 * device, so a writer thread takes them (sc_spill_take, sc_spill_put): the
 * workers keep computing.
 *
 * Behind a gate (below), the reservation waits until the earlier E's are
 * closed. */
#ifndef SC_SPILL_H
#define SC_SPILL_H

#include <pthread.h>
#include <stddef.h>

#include "err.h"

typedef struct sc_spill_writer sc_spill_writer; /* spill.c */

/* The alignment of O_DIRECT transfers: a multiple of every logical block
 * size in use (512 or 4096 bytes) and of the page size. */
#define SC_SPILL_ALIGN ((size_t)4096)
struct sc_spill_gate;

typedef struct sc_spill {
    void *data; /* in memory; NULL when spilled */
    size_t bytes;
    int fd;      /* spill file, or -1 */
    int spilled; /* 1 when the bytes live in the file */
    /* A store of rows (sc_spill_open_rows); 1 and 0 otherwise. */
    size_t align;       /* SC_SPILL_ALIGN with O_DIRECT, else 1 (no padding) */
    size_t stride;      /* file bytes of a row: its bytes rounded up to align */
    sc_spill_writer *w; /* writer thread (sc_spill_writer_start) or NULL */
    /* Appended (zero = no gate). Under gate->lock: */
    struct sc_spill_gate *gate; /* holding it (sc_spill_gate_hold) or
                                   waiting behind it                   */
    int holding;                /* counted in gate->held               */
    int waiting;                /* opened sparse, not reserved yet     */
    int reserve_err;            /* errno of the delayed reservation    */
    size_t file_bytes;          /* the file's size (0: bytes)          */
    struct sc_spill *next;      /* the gate's waiting list             */
} sc_spill;

/* The spill directory: cache_dir, else $TMPDIR, else /tmp. */
const char *sc_spill_dir(const char *cache_dir);
/* What the spill may use of dir's filesystem: *free_bytes (statvfs,
 * what an unprivileged writer may use) less a safety margin of 5% and
 * SC_SPILL_MARGIN, in *usable. The environment variable
 * SIMCON_SPILL_FREE_BYTES, if set, gives both (no margin): a test-only
 * override, for the tests' disks are not full. */
#define SC_SPILL_MARGIN ((size_t)1 << 30)
int sc_spill_room(const char *dir, size_t *free_bytes, size_t *usable,
                  sc_err *err);
/* bytes for messages: "76.8 GB", "1.4 MB" or "512 bytes" (SI units, as
 * df -H). */
#define SC_SPILL_SIZE_CAP 32
const char *sc_spill_size(char buf[SC_SPILL_SIZE_CAP], size_t bytes);
/* SC_EIO, one line: dir has no room for a spill file of need bytes, the
 * free space, and what to do. why: the errno of a failed reservation
 * (free_bytes is then what is free), or 0 when need exceeds usable (the
 * planned passes, sc_spill_room). */
int sc_spill_no_room(sc_err *err, const char *dir, size_t need,
                     size_t free_bytes, size_t usable, int why);

/* Room for bytes: in memory when bytes <= budget and the allocation
 * succeeds, else a file "simcon-simmat-XXXXXX" in cache_dir (NULL or "":
 * $TMPDIR, then /tmp), its blocks reserved. SC_EIO names the folder and
 * what to do. */
int sc_spill_open(sc_spill *s, size_t bytes, size_t budget,
                  const char *cache_dir, sc_err *err);
/* A store of rows rows of row_bytes bytes: in memory as sc_spill_open
 * (row i at data + i * row_bytes), or in a file where row i starts at
 * i * stride. The file is opened with O_DIRECT, align SC_SPILL_ALIGN;
 * where the filesystem refuses it (EINVAL), or the environment variable
 * SIMCON_SPILL_BUFFERED is set (a test-only override, to run the tests on
 * both paths), buffered, align 1 and stride row_bytes: the layout of
 * sc_spill_open. */
int sc_spill_open_rows(sc_spill *s, size_t rows, size_t row_bytes,
                       size_t budget, const char *cache_dir, sc_err *err);
/* The aligned span that a read of bytes bytes at offset lo of a row
 * takes: returns its length, *at its start (<= lo); both multiples of
 * s->align, within the row's stride. */
size_t sc_spill_span(const sc_spill *s, size_t lo, size_t bytes, size_t *at);
/* bytes rounded up to s->align: what a buffer of bytes takes. */
size_t sc_spill_round(const sc_spill *s, size_t bytes);
/* p rounded up to s->align (buffers get align - 1 bytes more). */
void *sc_spill_aligned(const sc_spill *s, void *p);

/* The writer thread of a spilled store: nbuf buffers of cap bytes (cap
 * rounded up to align), taken by the workers (sc_spill_take), filled and
 * handed back to be written (sc_spill_put). A thread that cannot be
 * created is no error: sc_spill_put then writes in the caller. */
int sc_spill_writer_start(sc_spill *s, size_t nbuf, size_t cap, sc_err *err);
/* A free buffer into *buf (waits while all are in flight); or the
 * writer's error, the one line of a failed sc_spill_write (every call
 * after a failure returns it). */
int sc_spill_take(const sc_spill *s, void **buf, sc_err *err);
/* Queues the write of bytes bytes of buf, a taken buffer, at offset (a
 * multiple of align); the bytes up to the next multiple of align are
 * zeroed and written too (they must lie within the row's stride). The
 * buffer goes back to the writer whatever the result; returns the
 * writer's error if it has failed. */
int sc_spill_put(const sc_spill *s, void *buf, size_t bytes, size_t offset,
                 sc_err *err);
/* Gives back a taken buffer unwritten (the caller's own error). */
void sc_spill_untake(const sc_spill *s, void *buf);
/* Waits for every queued write, joins the thread and frees the buffers;
 * SC_OK or the writer's error (NULL err: only the code). A store without
 * a writer: SC_OK. sc_spill_close calls it too. */
int sc_spill_writer_finish(sc_spill *s, sc_err *err);
/* ## Deferred reservation (issue 13: one dataset's products overlapped
 * with the next dataset's prepare)
 *
 * At full size one dataset's E's take 38.4 GB of a disk with about 70 GB
 * free: the products of dataset d, still reading its E's, and the prepare
 * of d + 1, writing its own, cannot both reserve whole E's. They never need
 * to be whole at once (d + 1 writes about 10 GB while d's products run), so
 * d's E's are held on a gate, and an E opened while the gate holds bytes
 * is a sparse file whose blocks are reserved when the last held E is
 * closed. "Fail early" stays for what can never fit: the caller plans
 * d + 1's spill against the free space plus the held bytes
 * (sc_spill_gate_room), which come back when d's E's are closed; and a
 * reservation that fails later (someone else filled the disk) is the
 * one-line message of sc_spill_no_room (sc_spill_reserved). */
typedef struct sc_spill_gate {
    pthread_mutex_t lock;
    size_t held;            /* bytes of the held E's still open          */
    struct sc_spill *first; /* E's waiting for their reservation         */
} sc_spill_gate;
void sc_spill_gate_init(sc_spill_gate *g);
/* Nothing may hold or wait on g any more. */
void sc_spill_gate_deinit(sc_spill_gate *g);
/* Counts a spilled s (open) in g's held bytes until it is closed; an s in
 * memory is not counted. */
void sc_spill_gate_hold(sc_spill_gate *g, sc_spill *s);
/* sc_spill_room of dir with g's held bytes counted as free (they are
 * freed before any E waiting behind g is reserved). The test-only
 * SIMCON_SPILL_FREE_BYTES is taken as is. */
int sc_spill_gate_room(sc_spill_gate *g, const char *dir, size_t *free_bytes,
                       size_t *usable, sc_err *err);
/* sc_spill_open_rows behind g (NULL: sc_spill_open_rows): a file opened
 * while g holds bytes is sparse and reserved when they are released. */
int sc_spill_open_rows_gated(sc_spill *s, size_t rows, size_t row_bytes,
                             size_t budget, const char *cache_dir,
                             sc_spill_gate *g, sc_err *err);
/* SC_OK, or the one line of sc_spill_no_room when s's delayed reservation
 * failed (call once nothing holds its gate: a reservation still waiting
 * counts as OK). */
int sc_spill_reserved(sc_spill *s, const char *cache_dir, sc_err *err);

/* Whole transfers to and from the file at a byte offset (short reads and
 * writes are continued); only for a spilled store. With O_DIRECT (align
 * > 1) offset, bytes and buf are multiples of align. */
int sc_spill_write(const sc_spill *s, const void *buf, size_t bytes,
                   size_t offset, sc_err *err);
int sc_spill_read(const sc_spill *s, void *buf, size_t bytes, size_t offset,
                  sc_err *err);
/* Rows of one column block, read in a thread of its own, so that the
 * products compute one block while the next comes from the disk (before,
 * read and compute took turns: the products phase was the sum of both).
 * Row i of the block is the piece bytes at offset + i * stride of the
 * file, stored at buf + i * piece. The rows are read last first: they
 * were written last (representations are embedded in increasing order),
 * so they are the pages most likely still in the page cache, read before
 * the misses of the older rows can push them out (read first to last, an
 * LRU cache evicts each row just before it is read). Not done:
 * posix_fadvise(DONTNEED) on the pieces read made the products slower
 * (it starts the writeback of pieces still dirty, for nothing). With
 * O_DIRECT there is no cache and the order does not matter; piece, stride,
 * offset and buf are then multiples of align (sc_spill_span). Nor did two
 * reads in flight help there: `dd iflag=direct` read 2 GiB at 1.2-1.9
 * GB/s alone and 1.1-1.2 GB/s as two readers of 1 GiB each. */
typedef struct sc_spill_fetch {
    const sc_spill *s;
    char *buf;
    size_t rows, piece, stride, offset;
    int rc;
    sc_err err;
    pthread_t tid;
    int threaded; /* the reader runs on tid, else it ran in start */
} sc_spill_fetch;
/* Starts the read of rows pieces into buf. A thread that cannot be
 * created is no error: the read then runs here, before start returns. */
void sc_spill_fetch_start(sc_spill_fetch *f, const sc_spill *s, void *buf,
                          size_t rows, size_t piece, size_t stride,
                          size_t offset);
/* Waits for the read: SC_OK with every piece in buf, or its error (the
 * one line of sc_spill_read) in *err. Call exactly once after start. */
int sc_spill_fetch_wait(sc_spill_fetch *f, sc_err *err);
/* Joins the writer, frees the memory or closes (and so removes) the
 * file; a held file's
 * bytes leave its gate (the last one reserves the files waiting there),
 * a waiting file leaves the waiting list. */
void sc_spill_close(sc_spill *s);

#endif
