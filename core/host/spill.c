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

int sc_spill_room(const char *dir, size_t *free_bytes, size_t *usable,
                  sc_err *err)
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
    size_t margin = *free_bytes / 20 + SC_SPILL_MARGIN;
    *usable = *free_bytes > margin ? *free_bytes - margin : 0;
    return SC_OK;
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

int sc_spill_open(sc_spill *s, size_t bytes, size_t budget,
                  const char *cache_dir, sc_err *err)
{
    s->bytes = bytes;
    s->spilled = 0;
    s->fd = -1;
    s->data = NULL;
    if (bytes <= budget) {
        s->data = sc_aligned_alloc(bytes, 1);
        if (s->data != NULL)
            return SC_OK;
        /* out of memory below the budget: fall through to the file */
    }
    const char *dir = sc_spill_dir(cache_dir);
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/simcon-simmat-XXXXXX", dir);
    if (len < 0 || (size_t)len >= sizeof path)
        return sc_err_set(err, SC_EIO, "cache directory path too long: %s",
                          dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot create the spill file for %zu bytes "
                          "of states (%s); set a writable cache directory "
                          "or a larger --memory",
                          dir, bytes, strerror(errno));
    unlink(path); /* the file disappears with the descriptor, even on crash */
    int rc = reserve(fd, bytes);
    if (rc != 0) {
        close(fd);
        size_t avail = 0;
        (void)disk_free(dir, &avail);
        return sc_spill_no_room(err, dir, bytes, avail, avail, rc);
    }
    s->fd = fd;
    s->spilled = 1;
    return SC_OK;
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

void sc_spill_close(sc_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    sc_aligned_free(s->data);
    s->data = NULL;
}
