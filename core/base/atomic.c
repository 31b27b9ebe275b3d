/* Files, folders and inputs (see atomic.h).
 *
 * POSIX.1-2008 calls (openat, fstatat, unlinkat, renameat-free rename,
 * fdopendir, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK) plus flock(), which is
 * BSD/Linux: it is what makes a lock shared by every process that opens the
 * lock file, including processes in other PID namespaces or containers on
 * the same kernel (POSIX fcntl locks are per process and vanish when any
 * descriptor of the file is closed). */
#define _DEFAULT_SOURCE /* flock(), see above */
#include "atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

/* ## Text buffer */

static bool buf_reserve(sc_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = sc_realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void sc_buf_printf(sc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    if ((size_t)n < sizeof small) {
        memcpy(b->data + b->len, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void sc_buf_puts(sc_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

void sc_buf_json(sc_buf *b, const char *text)
{
    sc_buf_puts(b, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        switch (*c) {
        case '"':
            sc_buf_puts(b, "\\\"");
            break;
        case '\\':
            sc_buf_puts(b, "\\\\");
            break;
        case '\n':
            sc_buf_puts(b, "\\n");
            break;
        case '\r':
            sc_buf_puts(b, "\\r");
            break;
        case '\t':
            sc_buf_puts(b, "\\t");
            break;
        default:
            if (*c < 0x20)
                sc_buf_printf(b, "\\u%04x", *c);
            else
                sc_buf_printf(b, "%c", *c);
        }
    }
    sc_buf_puts(b, "\"");
}

int sc_buf_check(const sc_buf *b, const char *what, sc_err *err)
{
    if (b->failed)
        return sc_err_set(err, SC_ENOMEM, "out of memory formatting %s", what);
    return SC_OK;
}

void sc_buf_deinit(sc_buf *b)
{
    sc_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

/* ## Names */

static char *join(const char *a, const char *b)
{
    size_t cap = strlen(a) + strlen(b) + 1;
    char *s = sc_malloc(cap);
    if (s != NULL)
        snprintf(s, cap, "%s%s", a, b);
    return s;
}

/* Eight characters [0-9a-z] that differ between calls, processes and
 * machines: a counter, the time in nanoseconds, the pid and the address of
 * a stack variable (ASLR) are mixed. Uniqueness does not rest on them: every
 * name is created with an exclusive create (O_EXCL, mkdir) and retried on
 * EEXIST, so two processes with the same pid in different PID namespaces
 * still get different folders. */
static void random_tag(char out[9])
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

/* Split path into its folder (sc_malloc'ed, "." when none) and last
 * component (points into path). path has no trailing slash. */
static char *dir_of(const char *path, const char **base)
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

/* fsync the folder holding path so a rename in it is durable. Failure is
 * ignored: some file systems refuse fsync on folders, and the data is
 * already safe in the renamed file. Works without allocating. */
static void sync_parent(const char *path)
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
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* ## Files */

static const char *kind_of(mode_t m)
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
                      path, kind_of(st.st_mode), kind_of(st.st_mode));
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
    char *dir = dir_of(path, &base);
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
        random_tag(tag);
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
        sync_parent(a->path);
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

int sc_mkdir_p(const char *path, sc_err *err)
{
    size_t n = strlen(path);
    char *buf = sc_malloc(n + 1);
    if (buf == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    memcpy(buf, path, n + 1);
    int rc = SC_OK;
    for (size_t k = 1; k <= n && rc == SC_OK; k++) {
        if (buf[k] != '/' && buf[k] != '\0')
            continue;
        char saved = buf[k];
        buf[k] = '\0';
        struct stat st;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            rc = sc_err_set(err, SC_EIO,
                            "%s: cannot create folder: %s; "
                            "check permissions",
                            buf, strerror(errno));
        else if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = sc_err_set(err, SC_EIO,
                            "%s: exists and is not a folder; "
                            "choose another path",
                            buf);
        buf[k] = saved;
    }
    sc_free(buf);
    return rc;
}

/* Deepest folder nesting sc_rmtree descends (one descriptor per level);
 * simcon's own folders are a few levels deep. */
#define RMTREE_MAX_DEPTH 64

/* Remove entry name of the open folder pfd (whose file system is dev).
 * where is the path of pfd, for messages only. */
static int rm_at(int pfd, const char *where, const char *name, dev_t dev,
                 int depth, sc_err *err)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT
                   ? SC_OK
                   : sc_err_set(err, SC_EIO, "%s/%s: cannot inspect: %s", where,
                                name, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        /* Files, links (the link itself), FIFOs, ...: unlinkat never
         * follows a link. */
        if (unlinkat(pfd, name, 0) != 0 && errno != ENOENT)
            return sc_err_set(err, SC_EIO, "%s/%s: cannot remove: %s", where,
                              name, strerror(errno));
        return SC_OK;
    }
    if (st.st_dev != dev)
        return sc_err_set(err, SC_EIO,
                          "%s/%s: is a mount point; simcon does not remove "
                          "other file systems; unmount it",
                          where, name);
    if (depth >= RMTREE_MAX_DEPTH)
        return sc_err_set(err, SC_EIO,
                          "%s/%s: folders nested deeper than %d; not removed",
                          where, name, RMTREE_MAX_DEPTH);
    int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sc_err_set(err, SC_EIO, "%s/%s: cannot open folder: %s", where,
                          name, strerror(errno));
    struct stat now;
    if (fstat(fd, &now) != 0 || now.st_dev != st.st_dev ||
        now.st_ino != st.st_ino) {
        close(fd);
        return sc_err_set(err, SC_EIO,
                          "%s/%s: changed while being removed; not removed",
                          where, name);
    }
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int e = errno;
        close(fd);
        return sc_err_set(err, SC_EIO, "%s/%s: cannot read folder: %s", where,
                          name, strerror(e));
    }
    /* Path of this folder for messages (truncated if very long). */
    char here[1024];
    snprintf(here, sizeof here, "%s/%s", where, name);
    int rc = SC_OK;
    struct dirent *e;
    while (rc == SC_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rc = rm_at(dirfd(d), here, e->d_name, dev, depth + 1, err);
    }
    closedir(d);
    if (rc != SC_OK)
        return rc;
    if (unlinkat(pfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        return sc_err_set(err, SC_EIO, "%s: cannot remove folder: %s", here,
                          strerror(errno));
    return SC_OK;
}

int sc_rmtree(const char *path, sc_err *err)
{
    /* Split without allocating: parent in a stack buffer. */
    char parent[4096];
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof parent)
        return sc_err_set(err, SC_EIO, "%s: path too long to remove", path);
    memcpy(parent, path, n);
    parent[n] = '\0';
    char *slash = strrchr(parent, '/');
    const char *name;
    int pfd;
    if (slash == NULL) {
        name = parent;
        pfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
        *slash = '\0';
        name = slash + 1;
        pfd = open(slash == parent ? "/" : parent,
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (strcmp(name, "") == 0 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        if (pfd >= 0)
            close(pfd);
        return sc_err_set(err, SC_EIO, "%s: not removed (names a parent)",
                          path);
    }
    if (pfd < 0)
        return errno == ENOENT
                   ? SC_OK
                   : sc_err_set(err, SC_EIO, "%s: cannot open its folder: %s",
                                path, strerror(errno));
    struct stat st;
    int rc = SC_OK;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        rc = rm_at(pfd, slash == NULL ? "." : (slash == parent ? "" : parent),
                   name, st.st_dev, 0, err);
    else if (errno != ENOENT)
        rc = sc_err_set(err, SC_EIO, "%s: cannot inspect: %s", path,
                        strerror(errno));
    close(pfd);
    return rc;
}

/* ## Inputs */

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
    sc_buf b = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (!buf_reserve(&b, got))
            break;
        memcpy(b.data + b.len, chunk, got);
        b.len += got;
        b.data[b.len] = '\0';
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        sc_buf_deinit(&b);
        return what != NULL
                   ? sc_err_set(err, SC_EIO, "%s: cannot read the %s", path,
                                what)
                   : sc_err_set(err, SC_EIO, "%s: read error; check the file",
                                path);
    }
    if (b.failed) {
        sc_buf_deinit(&b);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    if (b.data == NULL && !buf_reserve(&b, 0)) {
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    b.data[b.len] = '\0';
    *text = b.data;
    if (len != NULL)
        *len = b.len;
    return SC_OK;
}

/* ## Layout of a result folder */

/* Is dir an existing folder on another file system than its parent (a
 * mount point)? */
static bool is_mount_point(const char *dir)
{
    struct stat st, up;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    char *parent = join(dir, "/..");
    if (parent == NULL)
        return false;
    bool mp = stat(parent, &up) == 0 &&
              (up.st_dev != st.st_dev || up.st_ino == st.st_ino);
    sc_free(parent);
    return mp;
}

/* Names simcon keeps inside a mount-point result folder. */
static bool reserved_inside(const char *name)
{
    return strcmp(name, ".simcon-lock") == 0 ||
           strncmp(name, ".simcon-stage-", 14) == 0 ||
           strncmp(name, ".simcon-old-", 12) == 0;
}

/* ## Result folder lock */

int sc_lock_acquire(sc_lock *lk, const char *dir, sc_err *err)
{
    lk->fd = -1;
    char *clean = sc_strdup(dir);
    if (clean == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", dir);
    size_t n = strlen(clean);
    while (n > 1 && clean[n - 1] == '/')
        clean[--n] = '\0';
    lk->path = is_mount_point(clean) ? join(clean, "/.simcon-lock")
                                     : join(clean, ".simcon-lock");
    sc_free(clean);
    if (lk->path == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", dir);
    /* The lock file is removed on release; a process that opened the old
     * file before it was removed must not think it holds the lock, so
     * after locking, check that the path still names our file. */
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd =
            open(lk->path,
                 O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0666);
        if (fd < 0) {
            int rc = sc_err_set(err, SC_EIO,
                                "%s: cannot create the lock file of %s: %s; "
                                "check permissions",
                                lk->path, dir, strerror(errno));
            sc_free(lk->path);
            lk->path = NULL;
            return rc;
        }
        struct stat mine, now;
        if (fstat(fd, &mine) != 0 || !S_ISREG(mine.st_mode)) {
            close(fd);
            int rc = sc_err_set(err, SC_EIO,
                                "%s: is not a regular file; remove it (it is "
                                "the lock file of %s)",
                                lk->path, dir);
            sc_free(lk->path);
            lk->path = NULL;
            return rc;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            int rc =
                e == EWOULDBLOCK
                    ? sc_err_set(err, SC_EIO,
                                 "%s: another simcon run is writing this "
                                 "result folder (it holds %s); wait for it "
                                 "to finish or choose another -o DIR",
                                 dir, lk->path)
                    : sc_err_set(err, SC_EIO, "%s: cannot lock: %s", lk->path,
                                 strerror(e));
            sc_free(lk->path);
            lk->path = NULL;
            return rc;
        }
        if (lstat(lk->path, &now) == 0 && now.st_dev == mine.st_dev &&
            now.st_ino == mine.st_ino) {
            lk->fd = fd;
            return SC_OK;
        }
        close(fd); /* removed and maybe recreated meanwhile: again */
    }
    int rc =
        sc_err_set(err, SC_EIO, "%s: cannot lock: it keeps changing", lk->path);
    sc_free(lk->path);
    lk->path = NULL;
    return rc;
}

void sc_lock_release(sc_lock *lk)
{
    if (lk->path != NULL && lk->fd >= 0) {
        (void)unlink(lk->path); /* while still locked: see acquire */
        close(lk->fd);
    }
    sc_free(lk->path);
    lk->path = NULL;
    lk->fd = -1;
}

/* ## Folder swap */

int sc_mkdir_unique(const char *prefix, char **out, sc_err *err)
{
    *out = NULL;
    size_t cap = strlen(prefix) + 9;
    char *p = sc_malloc(cap);
    if (p == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", prefix);
    int e = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        char tag[9];
        random_tag(tag);
        snprintf(p, cap, "%s%s", prefix, tag);
        if (mkdir(p, 0777) == 0) {
            *out = p;
            return SC_OK;
        }
        e = errno;
        if (e != EEXIST)
            break;
    }
    int rc = sc_err_set(err, SC_EIO,
                        "%s: cannot create the staging folder: %s; check "
                        "permissions",
                        p, strerror(e));
    sc_free(p);
    return rc;
}

/* A name "<final>.old-<random>" that does not exist yet; sc_malloc'ed. */
static char *unused_name(const char *final, const char *infix)
{
    size_t cap = strlen(final) + strlen(infix) + 9;
    char *p = sc_malloc(cap);
    if (p == NULL)
        return NULL;
    struct stat st;
    for (int attempt = 0; attempt < 100; attempt++) {
        char tag[9];
        random_tag(tag);
        snprintf(p, cap, "%s%s%s", final, infix, tag);
        if (lstat(p, &st) != 0 && errno == ENOENT)
            return p;
    }
    sc_free(p);
    return NULL;
}

int sc_replace_dir(const char *staged, const char *final, sc_err *err)
{
    struct stat st;
    bool had_old = false;
    if (lstat(final, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return sc_err_set(err, SC_EIO,
                              "%s: is a %s, not a folder simcon wrote; it is "
                              "not replaced (a link's target is never "
                              "touched); remove it and rerun",
                              final, kind_of(st.st_mode));
        had_old = true;
    } else if (errno != ENOENT) {
        return sc_err_set(err, SC_EIO, "%s: cannot inspect: %s", final,
                          strerror(errno));
    }
    char *old = had_old ? unused_name(final, ".old-") : NULL;
    if (had_old && old == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    if (had_old && rename(final, old) != 0) {
        int rc = sc_err_set(err, SC_EIO,
                            "%s: cannot move the previous result aside: %s; "
                            "the new one is in %s",
                            final, strerror(errno), staged);
        sc_free(old);
        return rc;
    }
    if (rename(staged, final) != 0) {
        int e = errno;
        bool back = had_old && rename(old, final) == 0;
        int rc = sc_err_set(err, SC_EIO,
                            "%s: cannot move the new result into place: %s; "
                            "it is in %s%s%s",
                            final, strerror(e), staged,
                            had_old && !back ? ", the previous one in " : "",
                            had_old && !back ? old : "");
        sc_free(old);
        return rc;
    }
    sync_parent(final);
    if (had_old) {
        sc_err ignored;
        (void)sc_rmtree(old, &ignored);
    }
    sc_free(old);
    return SC_OK;
}

/* May left-over folder path (a previous result moved aside) be removed?
 * Only when it is empty or recognisably simcon's: a result of spec name
 * (when name is not NULL) or a figures folder (index.tsv). */
static int same_spec(const char *folder, const char *name, bool *readable);

static bool old_is_ours(const char *path, const char *name)
{
    bool readable = false;
    bool ours = name != NULL && same_spec(path, name, &readable) == 1;
    if (!ours) {
        char *idx = join(path, "/index.tsv");
        struct stat st;
        ours = idx != NULL && lstat(idx, &st) == 0 && S_ISREG(st.st_mode);
        sc_free(idx);
    }
    if (!ours) {
        DIR *d = opendir(path);
        if (d != NULL) {
            ours = true;
            struct dirent *e;
            while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
                    ours = false;
            closedir(d);
        }
    }
    return ours;
}

/* Which left-over is entry of folder of final's base? 't' staging, 'o'
 * old, 0 neither. Current names end in 8 characters [0-9a-z]; older
 * versions used ".tmp-<pid>", ".tmp.<pid>", ".old-<pid>", ".old.<pid>". */
static int leftover_kind(const char *base, const char *entry)
{
    size_t nb = strlen(base);
    if (strncmp(entry, base, nb) != 0)
        return 0;
    const char *rest = entry + nb;
    int kind = 0;
    if (strncmp(rest, ".tmp-", 5) == 0 || strncmp(rest, ".tmp.", 5) == 0)
        kind = 't';
    else if (strncmp(rest, ".old-", 5) == 0 || strncmp(rest, ".old.", 5) == 0)
        kind = 'o';
    else
        return 0;
    const char *tag = rest + 5;
    size_t n = strlen(tag);
    if (n == 0 || n > 20)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!((tag[k] >= '0' && tag[k] <= '9') ||
              (tag[k] >= 'a' && tag[k] <= 'z')))
            return 0;
    return kind;
}

void sc_remove_leftovers(const char *final, const char *own, const char *name)
{
    const char *base = NULL;
    char *parent = dir_of(final, &base);
    if (parent == NULL)
        return;
    DIR *d = opendir(parent);
    if (d == NULL) {
        sc_free(parent);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int kind = leftover_kind(base, e->d_name);
        if (kind == 0)
            continue;
        size_t cap = strlen(parent) + strlen(e->d_name) + 2;
        char *path = sc_malloc(cap);
        if (path == NULL)
            break;
        snprintf(path, cap, "%s/%s", parent, e->d_name);
        struct stat st;
        bool dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        bool mine = own != NULL && strncmp(own, path, strlen(path)) == 0 &&
                    (own[strlen(path)] == '\0' || own[strlen(path)] == '/');
        if (dir && !mine && (kind == 't' || old_is_ours(path, name))) {
            sc_err ignored;
            (void)sc_rmtree(path, &ignored);
        }
        sc_free(path);
    }
    closedir(d);
    sc_free(parent);
}

/* ## Staged result folder */

/* 1 when folder is empty (ignoring simcon's reserved names), 0 when not,
 * -1 when it cannot be read. */
static int folder_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            !reserved_inside(e->d_name)) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

/* "\n  \"name\": <name as a JSON string>," (sc_buf_json, as
 * run_manifest.c writes it): the exact line of the manifest; sc_malloc'ed. */
static char *manifest_name_line(const char *name)
{
    sc_buf b = {0};
    sc_buf_puts(&b, "\n  \"name\": ");
    sc_buf_json(&b, name);
    sc_buf_puts(&b, ",");
    if (b.failed) {
        sc_buf_deinit(&b);
        return NULL;
    }
    return b.data;
}

/* 1: folder holds a simcon result of spec name; 0: it does not (or has no
 * readable manifest.json: *readable false); -1: out of memory. */
static int same_spec(const char *folder, const char *name, bool *readable)
{
    *readable = false;
    char *mpath = join(folder, "/manifest.json");
    char *want = manifest_name_line(name);
    if (mpath == NULL || want == NULL) {
        sc_free(mpath);
        sc_free(want);
        return -1;
    }
    char *text = NULL;
    sc_err ignored;
    int rc = sc_read_text(mpath, &text, NULL, &ignored);
    sc_free(mpath);
    if (rc != SC_OK) {
        sc_free(want);
        return rc == SC_ENOMEM ? -1 : 0;
    }
    *readable = true;
    int same = strstr(text, "\"simcon_result\": true") != NULL &&
               strstr(text, want) != NULL;
    sc_free(text);
    sc_free(want);
    return same;
}

/* A mount-point DIR without manifest.json whose .simcon-old-* holds a
 * result of spec name: a swap into it was interrupted. */
static bool interrupted_inside(const char *final, const char *name)
{
    DIR *d = opendir(final);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".simcon-old-", 12) != 0)
            continue;
        size_t cap = strlen(final) + strlen(e->d_name) + 2;
        char *p = sc_malloc(cap);
        if (p == NULL)
            break;
        snprintf(p, cap, "%s/%s", final, e->d_name);
        bool readable;
        found = same_spec(p, name, &readable) == 1;
        sc_free(p);
    }
    closedir(d);
    return found;
}

/* May final be replaced by a result of spec `name`? */
static int check_replaceable(const char *final, const char *name, bool inside,
                             sc_err *err)
{
    struct stat st;
    if (lstat(final, &st) != 0)
        return errno == ENOENT
                   ? SC_OK
                   : sc_err_set(err, SC_EIO, "%s: cannot inspect: %s", final,
                                strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sc_err_set(err, SC_EIO,
                          "%s: exists and is not a folder (it is a %s); "
                          "choose another -o DIR or remove it",
                          final, kind_of(st.st_mode));
    if (folder_empty(final) == 1)
        return SC_OK;
    bool readable;
    int same = same_spec(final, name, &readable);
    if (same < 0)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    if (!readable && inside && interrupted_inside(final, name))
        return SC_OK;
    if (!readable)
        return sc_err_set(err, SC_EIO,
                          "%s: exists and is not a simcon result folder (no "
                          "readable manifest.json), so it is not replaced; "
                          "choose another -o DIR or remove it",
                          final);
    if (!same)
        return sc_err_set(err, SC_EIO,
                          "%s: holds the result of another spec (its "
                          "manifest.json has no \"name\": \"%s\"), so it is "
                          "not replaced; choose another -o DIR or remove it",
                          final, name);
    return SC_OK;
}

/* DIR is absent but a "<DIR>.old-*" holding a result of spec name exists:
 * a crash came between the two renames of a swap. Move it back, so DIR is
 * the previous result again (and the swap below handles it as usual). */
static void restore_interrupted(const char *final, const char *name)
{
    struct stat st;
    if (lstat(final, &st) == 0 || errno != ENOENT)
        return;
    const char *base = NULL;
    char *parent = dir_of(final, &base);
    if (parent == NULL)
        return;
    DIR *d = opendir(parent);
    if (d == NULL) {
        sc_free(parent);
        return;
    }
    struct dirent *e;
    char *best = NULL;
    while ((e = readdir(d)) != NULL) {
        if (leftover_kind(base, e->d_name) != 'o')
            continue;
        size_t cap = strlen(parent) + strlen(e->d_name) + 2;
        char *p = sc_malloc(cap);
        if (p == NULL)
            break;
        snprintf(p, cap, "%s/%s", parent, e->d_name);
        bool readable;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
            same_spec(p, name, &readable) == 1 &&
            (best == NULL || strcmp(p, best) < 0)) {
            sc_free(best);
            best = p;
        } else {
            sc_free(p);
        }
    }
    closedir(d);
    if (best != NULL && rename(best, final) == 0)
        sync_parent(final);
    sc_free(best);
    sc_free(parent);
}

/* Last path component of path (after the last '/'; path has no trailing
 * slash, sc_stage_begin strips them). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static void stage_clear(sc_stage *st)
{
    sc_lock_release(&st->lock);
    sc_free(st->final);
    sc_free(st->root);
    sc_free(st->tmp);
    sc_free(st->name);
    st->final = st->root = st->tmp = st->name = NULL;
    st->inside = false;
}

int sc_stage_begin(sc_stage *st, const char *final, const char *name,
                   sc_err *err)
{
    st->final = st->root = st->tmp = st->name = NULL;
    st->inside = false;
    st->lock.path = NULL;
    st->lock.fd = -1;
    char *clean = sc_strdup(final);
    if (clean == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    size_t n = strlen(clean);
    while (n > 1 && clean[n - 1] == '/')
        clean[--n] = '\0';
    if (n == 0 || strcmp(base_name(clean), ".") == 0 ||
        strcmp(base_name(clean), "..") == 0 || strcmp(clean, "/") == 0) {
        int rc = sc_err_set(err, SC_EIO,
                            "'%s': not usable as a result "
                            "folder; name a folder, e.g. -o results/x",
                            final);
        sc_free(clean);
        return rc;
    }
    /* Parent folders: created if missing (results/ on a first run). The
     * lock file lives beside DIR, so the parent must exist first. */
    int rc = SC_OK;
    char *slash = strrchr(clean, '/');
    if (slash != NULL && slash != clean) {
        *slash = '\0';
        struct stat pst;
        if (stat(clean, &pst) != 0)
            rc = sc_mkdir_p(clean, err);
        *slash = '/';
    }
    st->final = clean;
    st->name = sc_strdup(name);
    if (st->name == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    st->inside = is_mount_point(clean);
    if (rc == SC_OK)
        rc = sc_lock_acquire(&st->lock, clean, err);
    if (rc == SC_OK && !st->inside)
        restore_interrupted(clean, name);
    if (rc == SC_OK)
        rc = check_replaceable(clean, name, st->inside, err);
    if (rc == SC_OK) {
        char *prefix =
            st->inside ? join(clean, "/.simcon-stage-") : join(clean, ".tmp-");
        rc = prefix != NULL
                 ? sc_mkdir_unique(prefix, &st->root, err)
                 : sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
        sc_free(prefix);
    }
    if (rc == SC_OK) {
        size_t cap = strlen(st->root) + strlen(base_name(clean)) + 2;
        st->tmp = sc_malloc(cap);
        if (st->tmp == NULL) {
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
        } else {
            snprintf(st->tmp, cap, "%s/%s", st->root, base_name(clean));
            if (mkdir(st->tmp, 0777) != 0)
                rc = sc_err_set(err, SC_EIO,
                                "%s: cannot create the staging folder: %s; "
                                "check permissions",
                                st->tmp, strerror(errno));
        }
    }
    if (rc != SC_OK) {
        if (st->root != NULL) {
            sc_err ignored;
            (void)sc_rmtree(st->root, &ignored);
        }
        stage_clear(st);
    }
    return rc;
}

int sc_stage_stale(const char *final, const char *own, char ***dirs,
                   size_t *count, sc_err *err)
{
    *dirs = NULL;
    *count = 0;
    char *copy = sc_strdup(final);
    if (copy == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';
    bool inside = is_mount_point(copy);
    const char *base = NULL;
    char *parent = inside ? sc_strdup(copy) : dir_of(copy, &base);
    if (inside)
        base = base_name(copy);
    if (parent == NULL) {
        sc_free(copy);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    }
    DIR *d = opendir(parent);
    if (d == NULL) {
        sc_free(parent);
        sc_free(copy);
        return SC_OK;
    }
    int rc = SC_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && rc == SC_OK) {
        bool match = inside ? strncmp(e->d_name, ".simcon-stage-", 14) == 0
                            : leftover_kind(base, e->d_name) == 't';
        if (!match)
            continue;
        size_t cap = strlen(parent) + strlen(e->d_name) + strlen(base) + 3;
        char *path = sc_malloc(cap);
        char **grown = sc_realloc(*dirs, (*count + 1) * sizeof **dirs);
        if (grown != NULL)
            *dirs = grown;
        if (grown == NULL || path == NULL) {
            sc_free(path);
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
            break;
        }
        /* The inner result folder "<root>/<base>". */
        snprintf(path, cap, "%s/%s/%s", parent, e->d_name, base);
        struct stat st;
        if ((own != NULL && strcmp(own, path) == 0) || lstat(path, &st) != 0 ||
            !S_ISDIR(st.st_mode)) {
            sc_free(path);
            continue;
        }
        (*dirs)[(*count)++] = path;
    }
    closedir(d);
    sc_free(parent);
    sc_free(copy);
    /* readdir order is arbitrary; sort by name so harvesting is
     * deterministic (simple insertion sort: a handful of entries). */
    for (size_t a = 1; a < *count; a++)
        for (size_t b = a; b > 0 && strcmp((*dirs)[b - 1], (*dirs)[b]) > 0;
             b--) {
            char *t = (*dirs)[b];
            (*dirs)[b] = (*dirs)[b - 1];
            (*dirs)[b - 1] = t;
        }
    if (rc != SC_OK) {
        for (size_t k = 0; k < *count; k++)
            sc_free((*dirs)[k]);
        sc_free(*dirs);
        *dirs = NULL;
        *count = 0;
    }
    return rc;
}

/* Move entry name from folder `from` to folder `to` (same file system). */
static int move_entry(const char *from, const char *to, const char *name,
                      sc_err *err)
{
    size_t ca = strlen(from) + strlen(name) + 2;
    size_t cb = strlen(to) + strlen(name) + 2;
    char *a = sc_malloc(ca), *b = sc_malloc(cb);
    int rc = SC_OK;
    if (a == NULL || b == NULL) {
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
    } else {
        snprintf(a, ca, "%s/%s", from, name);
        snprintf(b, cb, "%s/%s", to, name);
        if (rename(a, b) != 0)
            rc = sc_err_set(err, SC_EIO, "%s: cannot move to %s: %s", a, to,
                            strerror(errno));
    }
    sc_free(a);
    sc_free(b);
    return rc;
}

/* Move every entry of from (except simcon's reserved names) into to:
 * manifest.json first when first_manifest, else last. */
static int move_all(const char *from, const char *to, bool first_manifest,
                    sc_err *err)
{
    struct stat st;
    char *m = join(from, "/manifest.json");
    if (m == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", from);
    bool has_manifest = lstat(m, &st) == 0;
    sc_free(m);
    int rc = SC_OK;
    if (first_manifest && has_manifest)
        rc = move_entry(from, to, "manifest.json", err);
    DIR *d = rc == SC_OK ? opendir(from) : NULL;
    if (rc == SC_OK && d == NULL)
        rc = sc_err_set(err, SC_EIO, "%s: cannot read folder: %s", from,
                        strerror(errno));
    struct dirent *e;
    while (rc == SC_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, "manifest.json") == 0 ||
            reserved_inside(e->d_name))
            continue;
        rc = move_entry(from, to, e->d_name, err);
    }
    if (d != NULL)
        closedir(d);
    if (rc == SC_OK && !first_manifest && has_manifest)
        rc = move_entry(from, to, "manifest.json", err);
    return rc;
}

/* The swap into a mount point (see atomic.h). */
static int commit_inside(sc_stage *st, sc_err *err)
{
    char *prefix = join(st->final, "/.simcon-old-");
    char *old = NULL;
    int rc = prefix != NULL
                 ? sc_mkdir_unique(prefix, &old, err)
                 : sc_err_set(err, SC_ENOMEM, "%s: out of memory", st->final);
    sc_free(prefix);
    if (rc == SC_OK)
        rc = move_all(st->final, old, true, err);
    if (rc == SC_OK)
        rc = move_all(st->tmp, st->final, false, err);
    if (rc != SC_OK) {
        sc_err_prefix(err,
                      "%s: the swap into this mount point failed (the "
                      "new result is in %s, the previous one in %s)",
                      st->final, st->tmp, old ? old : "place");
        sc_free(old);
        return rc;
    }
    sync_dir(st->final);
    sc_err ignored;
    (void)sc_rmtree(old, &ignored);
    (void)sc_rmtree(st->root, &ignored);
    sc_free(old);
    /* Left-overs of earlier runs inside the mount point. */
    DIR *d = opendir(st->final);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".simcon-stage-", 14) != 0 &&
            strncmp(e->d_name, ".simcon-old-", 12) != 0)
            continue;
        size_t cap = strlen(st->final) + strlen(e->d_name) + 2;
        char *p = sc_malloc(cap);
        if (p == NULL)
            break;
        snprintf(p, cap, "%s/%s", st->final, e->d_name);
        (void)sc_rmtree(p, &ignored);
        sc_free(p);
    }
    if (d != NULL)
        closedir(d);
    return SC_OK;
}

int sc_stage_commit(sc_stage *st, sc_err *err)
{
    int rc;
    if (st->inside) {
        rc = commit_inside(st, err);
    } else {
        rc = sc_replace_dir(st->tmp, st->final, err);
        if (rc == SC_OK) {
            (void)rmdir(st->root);
            sc_remove_leftovers(st->final, NULL, st->name);
        }
    }
    stage_clear(st);
    return rc;
}

void sc_stage_abort(sc_stage *st)
{
    if (st->root != NULL) {
        sc_err ignored;
        (void)sc_rmtree(st->root, &ignored);
    }
    stage_clear(st);
}
