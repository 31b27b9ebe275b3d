/* Reading inputs: open only regular files without blocking on a FIFO or
 * device (sc_open_regular), read-ahead hints (sc_prefetch_file), and the
 * one whole-file reader (sc_read_stream, sc_read_file); rules in
 * atomic.h. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

int sc_open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return SC_NOT_REGULAR;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

FILE *sc_fopen_regular(const char *path, int *why)
{
    int fd = sc_open_regular(path);
    if (fd < 0) {
        *why = fd == SC_NOT_REGULAR ? SC_NOT_REGULAR : errno;
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        *why = errno;
        close(fd);
    }
    return f;
}

void sc_prefetch_file(const char *path)
{
    int fd = sc_open_regular(path);
    if (fd < 0)
        return;
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
    close(fd);
}

void sc_prefetch_next(const char *const *paths, size_t count, size_t i,
                      unsigned threads)
{
    for (size_t k = i + 1; k < count && k <= i + threads + 4; k++)
        sc_prefetch_file(paths[k]);
}

const char *sc_open_strerror(int why)
{
    return why == SC_NOT_REGULAR
               ? "not a regular file (a FIFO, device, socket or folder); "
                 "give the path of a file"
               : strerror(why);
}

int sc_read_text(const char *path, char **text, size_t *len, sc_err *err)
{
    return sc_read_file(path, NULL, text, len, err);
}

int sc_read_stream(FILE *f, size_t max, char **text, size_t *len)
{
    *text = NULL;
    sc_buf b = {0};
    char chunk[8192];
    size_t got;
    bool too_big = false;
    while (!too_big && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sc_buf_append(&b, chunk, got);
        if (b.failed)
            break;
        too_big = max > 0 && b.len >= max - 1;
    }
    int saved = errno;
    int rc = too_big     ? SC_READ_TOO_BIG
             : ferror(f) ? SC_EIO
             : b.failed  ? SC_ENOMEM
                         : SC_OK;
    if (rc == SC_OK && b.data == NULL) {
        sc_buf_append(&b, "", 0);
        rc = b.failed ? SC_ENOMEM : SC_OK;
    }
    if (rc != SC_OK) {
        sc_buf_deinit(&b);
        errno = saved;
        return rc;
    }
    *text = b.data;
    if (len != NULL)
        *len = b.len;
    return SC_OK;
}

int sc_read_file(const char *path, const char *what, char **text, size_t *len,
                 sc_err *err)
{
    *text = NULL;
    int why = 0;
    FILE *f = sc_fopen_regular(path, &why);
    if (f == NULL && what != NULL)
        return sc_err_set(err, SC_EIO, "%s: cannot open the %s: %s", path, what,
                          sc_open_strerror(why));
    if (f == NULL)
        return sc_err_set(err, SC_EIO, "%s: cannot open: %s; check the path",
                          path, sc_open_strerror(why));
    int rc = sc_read_stream(f, 0, text, len);
    fclose(f);
    if (rc == SC_EIO)
        return what != NULL
                   ? sc_err_set(err, SC_EIO, "%s: cannot read the %s", path,
                                what)
                   : sc_err_set(err, SC_EIO, "%s: read error; check the file",
                                path);
    if (rc != SC_OK)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    return SC_OK;
}
