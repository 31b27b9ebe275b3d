/* Writing files: the one atomic file writer of simcon (sc_output_check,
 * sc_afile, sc_atomic_write; rules in atomic.h), and the path and name
 * helpers the other fs_*.c modules share (fs_int.h). */
#include "atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fs_int.h"
#include "mem.h"

/* ## Names */

static char *concat(const char *a, const char *sep, const char *b)
{
    size_t cap = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *s = sc_malloc(cap);
    if (s != NULL)
        snprintf(s, cap, "%s%s%s", a, sep, b);
    return s;
}

char *sc_fs_join(const char *a, const char *b)
{
    return concat(a, "", b);
}

char *sc_fs_path(const char *dir, const char *name)
{
    return concat(dir, "/", name);
}

/* Eight characters [0-9a-z] that differ between calls, processes and
 * machines: a counter, the time in nanoseconds, the pid and the address of
 * a stack variable (ASLR) are mixed. Uniqueness does not rest on them: every
 * name is created with an exclusive create (O_EXCL, mkdir) and retried on
 * EEXIST, so two processes with the same pid in different PID namespaces
 * still get different folders. */
void sc_fs_random_tag(char out[9])
{
    static atomic_uint_fast64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int local = 0;
    uint64_t x = (uint64_t)atomic_fetch_add(&counter, 1) * 0x9E3779B97F4A7C15u;
    x ^= (uint64_t)ts.tv_nsec + ((uint64_t)ts.tv_sec << 30);
    x ^= (uint64_t)getpid() << 17;
    x ^= (uint64_t)(uintptr_t)&local;
    /* splitmix64 finaliser: every input bit affects every output bit. */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBu;
    x ^= x >> 31;
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (int k = 0; k < 8; k++) {
        out[k] = digits[x % 36];
        x /= 36;
    }
    out[8] = '\0';
}

char *sc_fs_dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *base = path;
        return sc_strdup(".");
    }
    *base = slash + 1;
    if (slash == path)
        return sc_strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = sc_malloc(n + 1);
    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

void sc_fs_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

void sc_fs_sync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    sc_fs_sync_dir(dir);
}

char *sc_fs_strip(const char *path)
{
    char *clean = sc_strdup(path);
    if (clean == NULL)
        return NULL;
    size_t n = strlen(clean);
    while (n > 1 && clean[n - 1] == '/')
        clean[--n] = '\0';
    return clean;
}

const char *sc_fs_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

struct dirent *sc_fs_next_entry(DIR *d)
{
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            return e;
    return NULL;
}

const char *sc_fs_kind_of(mode_t m)
{
    if (S_ISLNK(m))
        return "symbolic link";
    if (S_ISDIR(m))
        return "folder";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISSOCK(m))
        return "socket";
    return "special file";
}

int sc_output_check(const char *path, sc_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? SC_OK
                               : sc_err_set(err, SC_EIO,
                                            "%s: cannot inspect: %s; check "
                                            "the path",
                                            path, strerror(errno));
    if (S_ISREG(st.st_mode))
        return SC_OK;
    return sc_err_set(err, SC_EIO,
                      "%s: is a %s; simcon writes only regular files and "
                      "does not replace or write through %ss; choose "
                      "another output path",
                      path, sc_fs_kind_of(st.st_mode),
                      sc_fs_kind_of(st.st_mode));
}

static void afile_clear(sc_afile *a)
{
    sc_free(a->path);
    sc_free(a->tmp);
    a->path = a->tmp = NULL;
    a->fd = -1;
}

int sc_afile_open(sc_afile *a, const char *path, sc_err *err)
{
    a->path = a->tmp = NULL;
    a->fd = -1;
    int rc = sc_output_check(path, err);
    if (rc != SC_OK)
        return rc;
    const char *base = NULL;
    char *dir = sc_fs_dir_of(path, &base);
    size_t cap = strlen(path) + 32;
    a->path = sc_strdup(path);
    a->tmp = sc_malloc(cap);
    if (dir == NULL || a->path == NULL || a->tmp == NULL) {
        sc_free(dir);
        afile_clear(a);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    int e = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        char tag[9];
        sc_fs_random_tag(tag);
        snprintf(a->tmp, cap, "%s/.%s.tmp-%s", dir, base, tag);
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e = errno;
        if (a->fd >= 0 || e != EEXIST)
            break;
    }
    sc_free(dir);
    if (a->fd < 0) {
        rc = sc_err_set(err, SC_EIO,
                        "%s: cannot create: %s; check that the folder "
                        "exists and is writable",
                        a->tmp, strerror(e));
        afile_clear(a);
    }
    return rc;
}

int sc_afile_write(sc_afile *a, const void *data, size_t len, sc_err *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(a->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return sc_err_set(err, SC_EIO,
                              "%s: cannot write: %s; check free disk space "
                              "and permissions",
                              a->path, w < 0 ? strerror(errno) : "no progress");
        p += w;
        len -= (size_t)w;
    }
    return SC_OK;
}

int sc_afile_commit(sc_afile *a, sc_err *err)
{
    const char *step = NULL;
    int saved = 0;
    if (fsync(a->fd) != 0) {
        step = "fsync";
        saved = errno;
    }
    if (close(a->fd) != 0 && step == NULL) {
        step = "close";
        saved = errno;
    }
    a->fd = -1;
    int rc = SC_OK;
    /* The path may have changed since open (another program made it a
     * link or a FIFO): look again right before the rename. */
    if (step == NULL && (rc = sc_output_check(a->path, err)) != SC_OK) {
        unlink(a->tmp);
        afile_clear(a);
        return rc;
    }
    if (step == NULL && rename(a->tmp, a->path) != 0) {
        step = "rename into place";
        saved = errno;
    }
    if (step != NULL) {
        rc = sc_err_set(err, SC_EIO,
                        "%s: cannot %s: %s; check free disk space and "
                        "permissions",
                        a->path, step, strerror(saved));
        unlink(a->tmp);
    } else {
        sc_fs_sync_parent(a->path);
    }
    afile_clear(a);
    return rc;
}

void sc_afile_abort(sc_afile *a)
{
    if (a->fd >= 0)
        close(a->fd);
    if (a->tmp != NULL)
        unlink(a->tmp);
    afile_clear(a);
}

int sc_atomic_write(const char *path, const void *data, size_t len, sc_err *err)
{
    sc_afile a;
    int rc = sc_afile_open(&a, path, err);
    if (rc != SC_OK)
        return rc;
    rc = sc_afile_write(&a, data, len, err);
    if (rc != SC_OK) {
        sc_afile_abort(&a);
        return rc;
    }
    return sc_afile_commit(&a, err);
}
