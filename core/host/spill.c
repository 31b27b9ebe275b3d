/* E in memory or in an unlinked spill file (see spill.h). */
#include "spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

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
    const char *dir = cache_dir;
    if (dir == NULL || dir[0] == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
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
    if (ftruncate(fd, (off_t)bytes) != 0) {
        int e2 = errno;
        close(fd);
        return sc_err_set(err, SC_EIO,
                          "%s: cannot size the spill file to %zu bytes "
                          "(%s); free disk space or use another cache "
                          "directory",
                          dir, bytes, strerror(e2));
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

void sc_spill_close(sc_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    sc_aligned_free(s->data);
    s->data = NULL;
}
