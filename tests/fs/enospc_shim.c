/* LD_PRELOAD shim for the disk-full test (tests/fs/fault.sh).
 *
 * Counts the write() and pwrite() calls of the process on descriptors > 2
 * (stdin/out/err excluded). With SC_ENOSPC_AT=N (1-based) the N-th call and
 * every later one fail with ENOSPC, as on a file system that just filled
 * up; with SC_ENOSPC_AT=0 nothing fails. With SC_ENOSPC_COUNT=FILE the
 * number of calls is written to FILE at exit, so the test knows how many
 * write points a run has. Not part of simcon: built only for the tests. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long fail_at = -1;
static long calls;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);

__attribute__((constructor)) static void shim_init(void)
{
    /* memcpy: ISO C has no cast from dlsym's void * to a function
     * pointer; POSIX guarantees the representations agree. */
    void *w = dlsym(RTLD_NEXT, "write"), *pw = dlsym(RTLD_NEXT, "pwrite");
    memcpy(&real_write, &w, sizeof w);
    memcpy(&real_pwrite, &pw, sizeof pw);
    const char *at = getenv("SC_ENOSPC_AT");
    fail_at = at != NULL ? atol(at) : 0;
}

/* 1 when this call must fail. */
static int full(int fd)
{
    if (fd <= 2)
        return 0;
    long k = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    return fail_at > 0 && k >= fail_at;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return real_write(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return real_pwrite(fd, buf, len, off);
}

__attribute__((destructor)) static void shim_done(void)
{
    const char *path = getenv("SC_ENOSPC_COUNT");
    if (path == NULL || real_write == NULL)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", calls);
    (void)real_write(fd, line, (size_t)n);
    close(fd);
}
