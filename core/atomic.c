/* Atomic file writes and staged result folders (see atomic.h).
 *
 * Only POSIX calls (open/write/fsync/rename, opendir/readdir/lstat, kill
 * with signal 0 to test whether a pid is alive); no GNU extensions. */
#include "atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
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

/* ## Files */

/* fsync the folder holding path so the rename itself is durable. Failure
 * is ignored: some file systems refuse fsync on folders, and the data is
 * already safe in the renamed file. */
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
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int sc_atomic_write(const char *path, const void *data, size_t len, sc_err *err)
{
    size_t cap = strlen(path) + 32;
    char *tmp = sc_malloc(cap);
    if (tmp == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        int rc = sc_err_set(err, SC_EIO,
                            "%s: cannot create: %s; check that the folder "
                            "exists and is writable",
                            tmp, strerror(errno));
        sc_free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    const char *step = NULL;
    int saved = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            step = "write";
            saved = w < 0 ? errno : EIO;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (step == NULL && fsync(fd) != 0) {
        step = "fsync";
        saved = errno;
    }
    if (close(fd) != 0 && step == NULL) {
        step = "close";
        saved = errno;
    }
    if (step == NULL && rename(tmp, path) != 0) {
        step = "rename into place";
        saved = errno;
    }
    int rc = SC_OK;
    if (step != NULL) {
        rc = sc_err_set(err, SC_EIO,
                        "%s: cannot %s: %s; check free disk "
                        "space and permissions",
                        path, step, strerror(saved));
        unlink(tmp);
    } else {
        sync_parent(path);
    }
    sc_free(tmp);
    return rc;
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

/* Longest path sc_rmtree handles; it builds child paths in a stack buffer
 * so that removing a staging folder works even when allocation fails
 * (the failure that made us clean up may be an out-of-memory). */
#define RMTREE_PATH_MAX 4096

int sc_rmtree(const char *path, sc_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT
                   ? SC_OK
                   : sc_err_set(err, SC_EIO, "%s: cannot inspect: %s", path,
                                strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d == NULL)
            return sc_err_set(err, SC_EIO, "%s: cannot open folder: %s", path,
                              strerror(errno));
        int rc = SC_OK;
        struct dirent *e;
        char child[RMTREE_PATH_MAX];
        while (rc == SC_OK && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            int w = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            if (w < 0 || (size_t)w >= sizeof child) {
                rc = sc_err_set(err, SC_EIO,
                                "%s/%s: path too long to "
                                "remove",
                                path, e->d_name);
                break;
            }
            rc = sc_rmtree(child, err);
        }
        closedir(d);
        if (rc != SC_OK)
            return rc;
        if (rmdir(path) != 0)
            return sc_err_set(err, SC_EIO, "%s: cannot remove folder: %s", path,
                              strerror(errno));
        return SC_OK;
    }
    if (unlink(path) != 0)
        return sc_err_set(err, SC_EIO, "%s: cannot remove: %s", path,
                          strerror(errno));
    return SC_OK;
}

int sc_read_text(const char *path, char **text, size_t *len, sc_err *err)
{
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sc_err_set(err, SC_EIO, "%s: cannot open: %s; check the path",
                          path, strerror(errno));
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
        return sc_err_set(err, SC_EIO, "%s: read error; check the file", path);
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

/* ## Staged result folder */

static char *join(const char *a, const char *b)
{
    size_t cap = strlen(a) + strlen(b) + 1;
    char *s = sc_malloc(cap);
    if (s != NULL)
        snprintf(s, cap, "%s%s", a, b);
    return s;
}

/* 1 when folder is empty, 0 when not, -1 when it cannot be read. */
static int folder_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

/* May final be replaced by a result of spec `name`? */
static int check_replaceable(const char *final, const char *name, sc_err *err)
{
    struct stat st;
    if (lstat(final, &st) != 0)
        return errno == ENOENT
                   ? SC_OK
                   : sc_err_set(err, SC_EIO, "%s: cannot inspect: %s", final,
                                strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sc_err_set(err, SC_EIO,
                          "%s: exists and is not a folder; "
                          "choose another -o DIR or remove it",
                          final);
    int empty = folder_empty(final);
    if (empty == 1)
        return SC_OK;
    char *mpath = join(final, "/manifest.json");
    if (mpath == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    char *text = NULL;
    sc_err ignored;
    int rc = sc_read_text(mpath, &text, NULL, &ignored);
    sc_free(mpath);
    if (rc != SC_OK)
        return sc_err_set(err, SC_EIO,
                          "%s: exists and is not a simcon result folder (no "
                          "readable manifest.json), so it is not replaced; "
                          "choose another -o DIR or remove it",
                          final);
    char want[512];
    snprintf(want, sizeof want, "\n  \"name\": \"%s\",", name);
    int same = strstr(text, "\"simcon_result\": true") != NULL &&
               strstr(text, want) != NULL;
    sc_free(text);
    if (!same)
        return sc_err_set(err, SC_EIO,
                          "%s: holds the result of another spec (its "
                          "manifest.json has no \"name\": \"%s\"), so it is "
                          "not replaced; choose another -o DIR or remove it",
                          final, name);
    return SC_OK;
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
    sc_free(st->final);
    sc_free(st->root);
    sc_free(st->tmp);
    st->final = st->root = st->tmp = NULL;
}

int sc_stage_begin(sc_stage *st, const char *final, const char *name,
                   sc_err *err)
{
    st->final = st->root = st->tmp = NULL;
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
    int rc = check_replaceable(clean, name, err);
    /* Parent folders: created if missing (results/ on a first run). */
    char *slash = strrchr(clean, '/');
    if (rc == SC_OK && slash != NULL && slash != clean) {
        *slash = '\0';
        rc = sc_mkdir_p(clean, err);
        *slash = '/';
    }
    if (rc != SC_OK) {
        sc_free(clean);
        return rc;
    }
    char suffix[64];
    snprintf(suffix, sizeof suffix, ".tmp-%ld", (long)getpid());
    st->final = clean;
    st->root = join(clean, suffix);
    size_t cap =
        (st->root ? strlen(st->root) : 0) + strlen(base_name(clean)) + 2;
    st->tmp = st->root != NULL ? sc_malloc(cap) : NULL;
    if (st->root == NULL || st->tmp == NULL) {
        stage_clear(st);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    }
    snprintf(st->tmp, cap, "%s/%s", st->root, base_name(clean));
    /* A folder with our pid can only be a leftover of an earlier process
     * that had the same pid; it is ours to clear. */
    sc_err ignored;
    (void)sc_rmtree(st->root, &ignored);
    if (mkdir(st->root, 0777) != 0 || mkdir(st->tmp, 0777) != 0) {
        rc = sc_err_set(err, SC_EIO,
                        "%s: cannot create the staging folder: "
                        "%s; check permissions",
                        st->tmp, strerror(errno));
        (void)sc_rmtree(st->root, &ignored);
        stage_clear(st);
    }
    return rc;
}

/* pid encoded in "<final>.tmp-<pid>" or -1. */
static long stage_pid(const char *base, const char *entry)
{
    size_t nb = strlen(base);
    if (strncmp(entry, base, nb) != 0 || strncmp(entry + nb, ".tmp-", 5) != 0)
        return -1;
    const char *digits = entry + nb + 5;
    char *end = NULL;
    long pid = strtol(digits, &end, 10);
    if (end == digits || *end != '\0' || pid <= 0)
        return -1;
    return pid;
}

static bool pid_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int sc_stage_stale(const char *final, char ***dirs, size_t *count, sc_err *err)
{
    *dirs = NULL;
    *count = 0;
    char *copy = sc_strdup(final);
    if (copy == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    char *slash = strrchr(copy, '/');
    const char *parent = ".", *base = copy;
    if (slash != NULL) {
        *slash = '\0';
        parent = slash == copy ? "/" : copy;
        base = slash + 1;
    }
    DIR *d = opendir(parent);
    if (d == NULL) {
        sc_free(copy);
        return SC_OK;
    }
    int rc = SC_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && rc == SC_OK) {
        long pid = stage_pid(base, e->d_name);
        if (pid < 0 || pid == (long)getpid() || pid_alive(pid))
            continue;
        char **grown = sc_realloc(*dirs, (*count + 1) * sizeof **dirs);
        size_t cap = strlen(parent) + strlen(e->d_name) + 2;
        char *path = sc_malloc(cap);
        if (grown == NULL || path == NULL) {
            if (grown != NULL)
                *dirs = grown;
            sc_free(path);
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
            break;
        }
        snprintf(path, cap, "%s/%s", parent, e->d_name);
        /* The inner result folder "<root>/<base>". */
        size_t cap2 = strlen(path) + strlen(base) + 2;
        char *inner = sc_malloc(cap2);
        if (inner == NULL) {
            *dirs = grown;
            sc_free(path);
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
            break;
        }
        snprintf(inner, cap2, "%s/%s", path, base);
        sc_free(path);
        path = inner;
        *dirs = grown;
        (*dirs)[(*count)++] = path;
    }
    closedir(d);
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

int sc_stage_commit(sc_stage *st, sc_err *err)
{
    int rc = SC_OK;
    char suffix[64];
    snprintf(suffix, sizeof suffix, ".old-%ld", (long)getpid());
    char *old = join(st->final, suffix);
    if (old == NULL) {
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", st->final);
        stage_clear(st);
        return rc;
    }
    bool had_old = false;
    struct stat sb;
    if (lstat(st->final, &sb) == 0) {
        if (rename(st->final, old) != 0) {
            rc = sc_err_set(err, SC_EIO,
                            "%s: cannot move the previous "
                            "result aside: %s; the new result is in %s",
                            st->final, strerror(errno), st->tmp);
            sc_free(old);
            stage_clear(st);
            return rc;
        }
        had_old = true;
    }
    if (rename(st->tmp, st->final) != 0) {
        rc = sc_err_set(err, SC_EIO,
                        "%s: cannot move the new result into "
                        "place: %s; it is in %s%s%s",
                        st->final, strerror(errno), st->tmp,
                        had_old ? ", the previous one in " : "",
                        had_old ? old : "");
        sc_free(old);
        stage_clear(st);
        return rc;
    }
    sync_parent(st->final);
    sc_err ignored;
    (void)rmdir(st->root);
    if (had_old)
        (void)sc_rmtree(old, &ignored);
    sc_free(old);
    char **stale = NULL;
    size_t nstale = 0;
    if (sc_stage_stale(st->final, &stale, &nstale, &ignored) == SC_OK) {
        for (size_t k = 0; k < nstale; k++) {
            /* Remove the whole "<DIR>.tmp-<pid>", not just its inner
             * folder. */
            char *slash = strrchr(stale[k], '/');
            if (slash != NULL)
                *slash = '\0';
            (void)sc_rmtree(stale[k], &ignored);
            sc_free(stale[k]);
        }
        sc_free(stale);
    }
    stage_clear(st);
    return SC_OK;
}

void sc_stage_abort(sc_stage *st)
{
    if (st->root != NULL) {
        sc_err ignored;
        (void)sc_rmtree(st->root, &ignored);
    }
    stage_clear(st);
}
