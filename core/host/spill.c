/* E in memory or in an unlinked spill file (see spill.h). */
#ifdef __linux__
#define _GNU_SOURCE /* fallocate: says EOPNOTSUPP instead of emulating */
#endif
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mem.h"

const char *sc_spill_dir(const char *cache_dir)
{
    const char *dir = cache_dir;
    if (dir == NULL || dir[0] == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    return dir;
}

/* Free bytes for an unprivileged writer on dir's filesystem; 0 when it
 * cannot be asked. */
static int disk_free(const char *dir, size_t *bytes)
{
    struct statvfs v;
    *bytes = 0;
    if (statvfs(dir, &v) != 0)
        return -1;
    double b = (double)v.f_bavail * (double)v.f_frsize;
    *bytes = b >= (double)SIZE_MAX ? SIZE_MAX : (size_t)b;
    return 0;
}

/* sc_spill_room with extra bytes counted as free (the held bytes of a
 * gate; not added to the test-only override). */
static int room_plus(const char *dir, size_t extra, size_t *free_bytes,
                     size_t *usable, sc_err *err)
{
    const char *o = getenv("SIMCON_SPILL_FREE_BYTES");
    if (o != NULL && o[0] != '\0') {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(o, &end, 10);
        if (errno != 0 || end == o || *end != '\0' || o[0] == '-')
            return sc_err_set(err, SC_EINVAL,
                              "SIMCON_SPILL_FREE_BYTES='%s' is not a byte "
                              "count (a test-only override; unset it)",
                              o);
        *free_bytes = v >= SIZE_MAX ? SIZE_MAX : (size_t)v;
        *usable = *free_bytes;
        return SC_OK;
    }
    if (disk_free(dir, free_bytes) != 0)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot read the free space of the spill "
                          "directory (%s); set TMPDIR to a writable folder",
                          dir, strerror(errno));
    *free_bytes =
        *free_bytes > SIZE_MAX - extra ? SIZE_MAX : *free_bytes + extra;
    size_t margin = *free_bytes / 20 + SC_SPILL_MARGIN;
    *usable = *free_bytes > margin ? *free_bytes - margin : 0;
    return SC_OK;
}

int sc_spill_room(const char *dir, size_t *free_bytes, size_t *usable,
                  sc_err *err)
{
    return room_plus(dir, 0, free_bytes, usable, err);
}

const char *sc_spill_size(char buf[SC_SPILL_SIZE_CAP], size_t bytes)
{
    double b = (double)bytes;
    if (b >= 1e9)
        snprintf(buf, SC_SPILL_SIZE_CAP, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(buf, SC_SPILL_SIZE_CAP, "%.1f MB", b / 1e6);
    else
        snprintf(buf, SC_SPILL_SIZE_CAP, "%zu bytes", bytes);
    return buf;
}

int sc_spill_no_room(sc_err *err, const char *dir, size_t need,
                     size_t free_bytes, size_t usable, int why)
{
    char n[SC_SPILL_SIZE_CAP], f[SC_SPILL_SIZE_CAP], u[SC_SPILL_SIZE_CAP];
    sc_spill_size(n, need);
    sc_spill_size(f, free_bytes);
    sc_spill_size(u, usable);
    if (why != 0)
        return sc_err_set(err, SC_EIO,
                          "%s: the spill file needs %zu bytes (%s) but %s "
                          "are free there (%s); free disk space, set TMPDIR "
                          "to a bigger disk, or raise --memory",
                          dir, need, n, f, strerror(why));
    return sc_err_set(err, SC_EIO,
                      "%s: the spill file needs %zu bytes (%s) but only %s "
                      "of the %s free there may be used (a margin of 5%% + "
                      "1 GiB stays free); free disk space, set TMPDIR to a "
                      "bigger disk, or raise --memory",
                      dir, need, n, u, f);
}

/* Reserve the file's blocks now, so that a disk too small fails here, not
 * at a write hours later (a sparse file of ftruncate takes its blocks as
 * it is written). Filesystems without fallocate get the sparse file.
 * Returns 0 or an errno. */
static int reserve(int fd, size_t bytes)
{
    int e;
    do {
#ifdef __linux__
        e = fallocate(fd, 0, 0, (off_t)bytes) == 0 ? 0 : errno;
#else
        e = posix_fallocate(fd, 0, (off_t)bytes);
#endif
    } while (e == EINTR);
    if (e != EOPNOTSUPP && e != EINVAL && e != ENOSYS)
        return e;
    return ftruncate(fd, (off_t)bytes) == 0 ? 0 : errno;
}

/* An empty store: no memory, no file, no layout, no gate. */
static void spill_init(sc_spill *s, size_t bytes)
{
    *s = (sc_spill){0};
    s->bytes = bytes;
    s->fd = -1;
    s->data = NULL;
    s->align = 1;
    s->stride = 0;
    s->w = NULL;
}

/* Creates the spill file in dir and unlinks it at once (it disappears
 * with the descriptor, even on a crash); *fd or SC_EIO. bytes: what it is
 * for, in the message. */
static int create_file(const char *dir, size_t bytes, int *fd, sc_err *err)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/simcon-simmat-XXXXXX", dir);
    if (len < 0 || (size_t)len >= sizeof path)
        return sc_err_set(err, SC_EIO, "cache directory path too long: %s",
                          dir);
    *fd = mkstemp(path);
    if (*fd < 0)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot create the spill file for %zu bytes "
                          "of states (%s); set a writable cache directory "
                          "or a larger --memory",
                          dir, bytes, strerror(errno));
    unlink(path);
    return SC_OK;
}

/* Reserves bytes of the file fd in dir (reserve), closing it on failure
 * with the one line of sc_spill_no_room. */
static int reserve_or_fail(int fd, const char *dir, size_t bytes, sc_err *err)
{
    int rc = reserve(fd, bytes);
    if (rc == 0)
        return SC_OK;
    close(fd);
    size_t avail = 0;
    (void)disk_free(dir, &avail);
    return sc_spill_no_room(err, dir, bytes, avail, avail, rc);
}

int sc_spill_open(sc_spill *s, size_t bytes, size_t budget,
                  const char *cache_dir, sc_err *err)
{
    spill_init(s, bytes);
    if (bytes <= budget) {
        s->data = sc_aligned_alloc(bytes, 1);
        if (s->data != NULL)
            return SC_OK;
        /* out of memory below the budget: fall through to the file */
    }
    const char *dir = sc_spill_dir(cache_dir);
    int fd = -1;
    int rc = create_file(dir, bytes, &fd, err);
    if (rc == SC_OK)
        rc = reserve_or_fail(fd, dir, bytes, err);
    if (rc != SC_OK)
        return rc;
    s->fd = fd;
    s->spilled = 1;
    return SC_OK;
}

/* Turns O_DIRECT on for fd: 1, or 0 where the filesystem refuses it
 * (EINVAL) or the tests ask for the buffered path. */
static int direct_on(int fd)
{
#ifdef O_DIRECT
    const char *o = getenv("SIMCON_SPILL_BUFFERED");
    if (o != NULL && o[0] != '\0')
        return 0;
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
#else
    (void)fd;
    return 0;
#endif
}

/* O_DIRECT off again, for a filesystem that took the flag but refuses
 * its transfers (EINVAL): 1 if it was on. */
static int direct_off(int fd)
{
#ifdef O_DIRECT
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || !(fl & O_DIRECT))
        return 0;
    return fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0;
#else
    (void)fd;
    return 0;
#endif
}

static size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* Reserves the file's bytes, or, while g holds the bytes of earlier
 * E's, leaves the file sparse (blocks as it is written) on g's waiting
 * list, to be reserved when they are closed (gate_close). */
static int reserve_gated(sc_spill *s, int fd, const char *dir, size_t file,
                         sc_spill_gate *g, sc_err *err)
{
    if (g == NULL)
        return reserve_or_fail(fd, dir, file, err);
    pthread_mutex_lock(&g->lock);
    int rc = SC_OK;
    if (g->held == 0) {
        rc = reserve_or_fail(fd, dir, file, err);
    } else if (ftruncate(fd, (off_t)file) != 0) {
        int e = errno;
        close(fd);
        rc = sc_spill_no_room(err, dir, file, 0, 0, e);
    } else {
        s->waiting = 1;
        s->next = g->first;
        g->first = s;
    }
    if (rc == SC_OK) {
        s->gate = g;
        s->file_bytes = file;
    }
    pthread_mutex_unlock(&g->lock);
    return rc;
}

int sc_spill_open_rows(sc_spill *s, size_t rows, size_t row_bytes,
                       size_t budget, const char *cache_dir, sc_err *err)
{
    return sc_spill_open_rows_gated(s, rows, row_bytes, budget, cache_dir, NULL,
                                    err);
}

int sc_spill_open_rows_gated(sc_spill *s, size_t rows, size_t row_bytes,
                             size_t budget, const char *cache_dir,
                             sc_spill_gate *g, sc_err *err)
{
    size_t bytes = 0;
    int ok = sc_size_mul(rows, row_bytes, &bytes);
    spill_init(s, bytes);
    if (!ok)
        return sc_err_set(err, SC_ENOMEM,
                          "%zu rows of %zu bytes overflow size_t", rows,
                          row_bytes);
    if (bytes <= budget) {
        s->data = sc_aligned_alloc(bytes, 1);
        if (s->data != NULL)
            return SC_OK;
        /* out of memory below the budget: fall through to the file */
    }
    const char *dir = sc_spill_dir(cache_dir);
    int fd = -1;
    int rc = create_file(dir, bytes, &fd, err);
    if (rc != SC_OK)
        return rc;
    size_t align = direct_on(fd) ? SC_SPILL_ALIGN : 1;
    size_t stride = round_up(row_bytes, align), file = 0;
    if (!sc_size_mul(rows, stride, &file)) {
        close(fd);
        return sc_err_set(err, SC_ENOMEM,
                          "%zu rows of %zu bytes overflow size_t", rows,
                          stride);
    }
    rc = reserve_gated(s, fd, dir, file, g, err);
    if (rc != SC_OK)
        return rc;
    s->fd = fd;
    s->spilled = 1;
    s->align = align;
    s->stride = stride;
    return SC_OK;
}

size_t sc_spill_span(const sc_spill *s, size_t lo, size_t bytes, size_t *at)
{
    *at = lo / s->align * s->align;
    return round_up(lo + bytes, s->align) - *at;
}

size_t sc_spill_round(const sc_spill *s, size_t bytes)
{
    return round_up(bytes, s->align);
}

void *sc_spill_aligned(const sc_spill *s, void *p)
{
    uintptr_t a = (uintptr_t)p;
    return (char *)p + (round_up(a, s->align) - a);
}

/* Full pwrite (wbuf) or pread (rbuf): both may transfer less than asked. */
static int spill_io(const sc_spill *s, const char *wbuf, char *rbuf,
                    size_t bytes, size_t offset, sc_err *err)
{
    while (bytes > 0) {
        ssize_t got = wbuf != NULL ? pwrite(s->fd, wbuf, bytes, (off_t)offset)
                                   : pread(s->fd, rbuf, bytes, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        /* A filesystem that took O_DIRECT at open but not its transfers:
         * buffered from now on (the aligned layout stays valid). */
        if (got < 0 && errno == EINVAL && direct_off(s->fd))
            continue;
        if (got <= 0)
            return sc_err_set(err, SC_EIO,
                              "spill file: %s of %zu bytes at offset %zu "
                              "failed (%s); free disk space or use another "
                              "cache directory",
                              wbuf != NULL ? "write" : "read", bytes, offset,
                              got < 0 ? strerror(errno) : "end of file");
        if (wbuf != NULL)
            wbuf += got;
        else
            rbuf += got;
        bytes -= (size_t)got;
        offset += (size_t)got;
    }
    return SC_OK;
}

int sc_spill_write(const sc_spill *s, const void *buf, size_t bytes,
                   size_t offset, sc_err *err)
{
    return spill_io(s, buf, NULL, bytes, offset, err);
}

int sc_spill_read(const sc_spill *s, void *buf, size_t bytes, size_t offset,
                  sc_err *err)
{
    return spill_io(s, NULL, buf, bytes, offset, err);
}

/* ## The writer thread
 *
 * The free buffers are a stack, the queued writes a ring of nbuf slots
 * (never more writes queued than buffers). One mutex guards both, one
 * condition variable wakes the writer (a write queued, or stop) and the
 * workers (a buffer freed). After a failure the writer frees what is
 * queued without writing it, and every take and put returns the error. */

typedef struct spill_job {
    char *buf;
    size_t bytes, offset; /* bytes already rounded up to align */
} spill_job;

struct sc_spill_writer {
    const sc_spill *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *mem;    /* the buffers' allocation (not aligned) */
    char **free;  /* free buffers: a stack of nfree */
    spill_job *q; /* queued writes: ring from head, count of them */
    size_t nbuf, nfree, head, count;
    int stop;     /* finish: write what is queued and end */
    int threaded; /* the writer runs on tid, else put writes */
    int rc;       /* the first failure, and its line */
    sc_err err;
    pthread_t tid;
};

/* The writer's error into *err, if any (under mu). */
static int writer_error(sc_spill_writer *w, sc_err *err)
{
    if (err != NULL && w->rc != SC_OK)
        *err = w->err;
    return w->rc;
}

static void *writer_thread(void *arg)
{
    sc_spill_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->count == 0)
            break;
        spill_job j = w->q[w->head];
        w->head = (w->head + 1) % w->nbuf;
        w->count--;
        int failed = w->rc != SC_OK;
        pthread_mutex_unlock(&w->mu);
        sc_err e;
        int rc =
            failed ? SC_OK : spill_io(w->s, j.buf, NULL, j.bytes, j.offset, &e);
        pthread_mutex_lock(&w->mu);
        if (rc != SC_OK && w->rc == SC_OK) {
            w->rc = rc;
            w->err = e;
        }
        w->free[w->nfree++] = j.buf;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int sc_spill_writer_start(sc_spill *s, size_t nbuf, size_t cap, sc_err *err)
{
    sc_spill_writer *w = sc_calloc(1, sizeof *w);
    size_t each = round_up(cap, s->align), bytes = 0;
    if (w != NULL && sc_size_mul(nbuf, each, &bytes) &&
        bytes <= SIZE_MAX - s->align) {
        w->mem = sc_aligned_alloc(bytes + s->align - 1, 1);
        w->free = sc_calloc(nbuf, sizeof *w->free);
        w->q = sc_calloc(nbuf, sizeof *w->q);
    }
    if (w == NULL || w->mem == NULL || w->free == NULL || w->q == NULL ||
        nbuf == 0) {
        if (w != NULL) {
            sc_aligned_free(w->mem);
            sc_free(w->free);
            sc_free(w->q);
        }
        sc_free(w);
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory for the spill writer's %zu buffers "
                          "of %zu bytes",
                          nbuf, each);
    }
    w->s = s;
    w->nbuf = nbuf;
    char *base = sc_spill_aligned(s, w->mem);
    for (size_t k = 0; k < nbuf; k++)
        w->free[w->nfree++] = base + k * each;
    w->rc = SC_OK;
    sc_err_clear(&w->err);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->threaded = pthread_create(&w->tid, NULL, writer_thread, w) == 0;
    s->w = w;
    return SC_OK;
}

int sc_spill_take(const sc_spill *s, void **buf, sc_err *err)
{
    sc_spill_writer *w = s->w;
    *buf = NULL;
    pthread_mutex_lock(&w->mu);
    while (w->nfree == 0 && w->rc == SC_OK)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->rc != SC_OK ? writer_error(w, err) : SC_OK;
    if (rc == SC_OK)
        *buf = w->free[--w->nfree];
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void sc_spill_untake(const sc_spill *s, void *buf)
{
    sc_spill_writer *w = s->w;
    pthread_mutex_lock(&w->mu);
    w->free[w->nfree++] = buf;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int sc_spill_put(const sc_spill *s, void *buf, size_t bytes, size_t offset,
                 sc_err *err)
{
    sc_spill_writer *w = s->w;
    size_t padded = round_up(bytes, s->align);
    memset((char *)buf + bytes, 0, padded - bytes);
    if (!w->threaded) { /* no thread: the write happens here */
        sc_err e;
        int rc = spill_io(s, buf, NULL, padded, offset, &e);
        pthread_mutex_lock(&w->mu);
        if (rc != SC_OK && w->rc == SC_OK) {
            w->rc = rc;
            w->err = e;
        }
        w->free[w->nfree++] = buf;
        rc = writer_error(w, err);
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    int rc = w->rc;
    if (rc != SC_OK) {
        w->free[w->nfree++] = buf;
        writer_error(w, err);
    } else { /* a slot is free: the buffer was one of nbuf */
        w->q[(w->head + w->count) % w->nbuf] = (spill_job){buf, padded, offset};
        w->count++;
    }
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int sc_spill_writer_finish(sc_spill *s, sc_err *err)
{
    sc_spill_writer *w = s->w;
    if (w == NULL)
        return SC_OK;
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->tid, NULL);
    }
    int rc = writer_error(w, err);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    sc_aligned_free(w->mem);
    sc_free(w->free);
    sc_free(w->q);
    sc_free(w);
    s->w = NULL;
    return rc;
}

static void fetch_rows(sc_spill_fetch *f)
{
    f->rc = SC_OK;
    for (size_t i = f->rows; i-- > 0 && f->rc == SC_OK;) {
        size_t at = f->offset + i * f->stride;
        f->rc =
            sc_spill_read(f->s, f->buf + i * f->piece, f->piece, at, &f->err);
    }
}

static void *fetch_thread(void *arg)
{
    fetch_rows(arg);
    return NULL;
}

void sc_spill_fetch_start(sc_spill_fetch *f, const sc_spill *s, void *buf,
                          size_t rows, size_t piece, size_t stride,
                          size_t offset)
{
    f->s = s;
    f->buf = buf;
    f->rows = rows;
    f->piece = piece;
    f->stride = stride;
    f->offset = offset;
    f->rc = SC_OK;
    sc_err_clear(&f->err);
    f->threaded = pthread_create(&f->tid, NULL, fetch_thread, f) == 0;
    if (!f->threaded)
        fetch_rows(f);
}

int sc_spill_fetch_wait(sc_spill_fetch *f, sc_err *err)
{
    if (f->threaded)
        pthread_join(f->tid, NULL);
    f->threaded = 0;
    if (f->rc != SC_OK && err != NULL)
        *err = f->err;
    return f->rc;
}

/* The bytes of s's file (rows padded for O_DIRECT). */
static size_t spill_file_bytes(const sc_spill *s)
{
    return s->file_bytes > 0 ? s->file_bytes : s->bytes;
}

void sc_spill_gate_init(sc_spill_gate *g)
{
    pthread_mutex_init(&g->lock, NULL);
    g->held = 0;
    g->first = NULL;
}

void sc_spill_gate_deinit(sc_spill_gate *g)
{
    pthread_mutex_destroy(&g->lock);
}

void sc_spill_gate_hold(sc_spill_gate *g, sc_spill *s)
{
    if (!s->spilled || s->holding)
        return;
    pthread_mutex_lock(&g->lock);
    g->held += spill_file_bytes(s);
    s->holding = 1;
    s->gate = g;
    pthread_mutex_unlock(&g->lock);
}

int sc_spill_gate_room(sc_spill_gate *g, const char *dir, size_t *free_bytes,
                       size_t *usable, sc_err *err)
{
    pthread_mutex_lock(&g->lock);
    int rc = room_plus(dir, g->held, free_bytes, usable, err);
    pthread_mutex_unlock(&g->lock);
    return rc;
}

int sc_spill_reserved(sc_spill *s, const char *cache_dir, sc_err *err)
{
    if (s->gate == NULL)
        return SC_OK;
    pthread_mutex_lock(&s->gate->lock);
    int why = s->reserve_err;
    pthread_mutex_unlock(&s->gate->lock);
    if (why == 0)
        return SC_OK;
    size_t avail = 0;
    const char *dir = sc_spill_dir(cache_dir);
    (void)disk_free(dir, &avail);
    return sc_spill_no_room(err, dir, spill_file_bytes(s), avail, avail, why);
}

/* Under g->lock: s leaves the gate, its file closed in between (a held
 * file's blocks are freed before the others are reserved; a waiting one
 * is off the list before its descriptor goes). The last held E out
 * reserves the E's waiting: a failure is kept in their reserve_err, their
 * writes go on in the sparse file, the caller checks sc_spill_reserved. */
static void gate_close(sc_spill_gate *g, sc_spill *s)
{
    if (s->waiting) {
        for (sc_spill **p = &g->first; *p != NULL; p = &(*p)->next)
            if (*p == s) {
                *p = s->next;
                break;
            }
        s->waiting = 0;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->holding) {
        g->held -= spill_file_bytes(s);
        s->holding = 0;
    }
    if (g->held > 0)
        return;
    for (sc_spill *w = g->first; w != NULL; w = w->next) {
        w->reserve_err = reserve(w->fd, spill_file_bytes(w));
        w->waiting = 0;
    }
    g->first = NULL;
}

void sc_spill_close(sc_spill *s)
{
    /* Already finished, or an error path whose own error is reported. */
    (void)sc_spill_writer_finish(s, NULL);
    sc_spill_gate *g = s->gate;
    if (g != NULL) {
        pthread_mutex_lock(&g->lock);
        gate_close(g, s);
        pthread_mutex_unlock(&g->lock);
        s->gate = NULL;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    sc_aligned_free(s->data);
    s->data = NULL;
}
