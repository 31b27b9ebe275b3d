/* The result folder's life: the lock that keeps a second run out
 * (sc_lock_*), and staging, committing and aborting a whole result folder
 * (sc_stage_*); layouts and rules in atomic.h. */
#define _DEFAULT_SOURCE /* flock(), see below */
#include "atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fs_int.h"
#include "mem.h"

/* ## Result folder lock
 *
 * flock() is BSD/Linux, not POSIX: it is what makes a lock shared by every
 * process that opens the lock file, including processes in other PID
 * namespaces or containers on the same kernel (POSIX fcntl locks are per
 * process and vanish when any descriptor of the file is closed). */

int sc_lock_acquire(sc_lock *lk, const char *dir, sc_err *err)
{
    lk->fd = -1;
    char *clean = sc_fs_strip(dir);
    if (clean == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", dir);
    lk->path = sc_fs_is_mount_point(clean) ? sc_fs_join(clean, "/.simcon-lock")
                                           : sc_fs_join(clean, ".simcon-lock");
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
    while ((e = sc_fs_next_entry(d)) != NULL)
        if (!sc_fs_reserved_inside(e->d_name)) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

/* The previous result of spec name that an interrupted swap left in
 * folder dir: the entry that is a left-over old folder ("<base>.old-*", or
 * ".simcon-old-*" inside a mount point when base is NULL), is a folder and
 * holds a result of spec name; the first in name order. sc_malloc'ed path
 * or NULL. */
static char *previous_result(const char *dir, const char *base,
                             const char *name)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    struct dirent *e;
    char *best = NULL;
    while ((e = readdir(d)) != NULL) {
        bool old = base != NULL ? sc_fs_leftover_kind(base, e->d_name) == 'o'
                                : strncmp(e->d_name, ".simcon-old-", 12) == 0;
        if (!old)
            continue;
        char *p = sc_fs_path(dir, e->d_name);
        if (p == NULL)
            break;
        bool readable;
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
            sc_fs_same_spec(p, name, &readable) == 1 &&
            (best == NULL || strcmp(p, best) < 0)) {
            sc_free(best);
            best = p;
        } else {
            sc_free(p);
        }
    }
    closedir(d);
    return best;
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
                          final, sc_fs_kind_of(st.st_mode));
    if (folder_empty(final) == 1)
        return SC_OK;
    bool readable;
    int same = sc_fs_same_spec(final, name, &readable);
    if (same < 0)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    if (!readable && inside) {
        /* A mount-point DIR without manifest.json whose .simcon-old-*
         * holds a result of spec name: a swap into it was interrupted. */
        char *previous = previous_result(final, NULL, name);
        sc_free(previous);
        if (previous != NULL)
            return SC_OK;
    }
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
    char *parent = sc_fs_dir_of(final, &base);
    if (parent == NULL)
        return;
    char *best = previous_result(parent, base, name);
    if (best != NULL && rename(best, final) == 0)
        sc_fs_sync_parent(final);
    sc_free(best);
    sc_free(parent);
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
    char *clean = sc_fs_strip(final);
    if (clean == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    if (clean[0] == '\0' || strcmp(sc_fs_base_name(clean), ".") == 0 ||
        strcmp(sc_fs_base_name(clean), "..") == 0 || strcmp(clean, "/") == 0) {
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
    st->inside = sc_fs_is_mount_point(clean);
    if (rc == SC_OK)
        rc = sc_lock_acquire(&st->lock, clean, err);
    if (rc == SC_OK && !st->inside)
        restore_interrupted(clean, name);
    if (rc == SC_OK)
        rc = check_replaceable(clean, name, st->inside, err);
    if (rc == SC_OK) {
        char *prefix = st->inside ? sc_fs_join(clean, "/.simcon-stage-")
                                  : sc_fs_join(clean, ".tmp-");
        rc = prefix != NULL
                 ? sc_mkdir_unique(prefix, &st->root, err)
                 : sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
        sc_free(prefix);
    }
    if (rc == SC_OK) {
        st->tmp = sc_fs_path(st->root, sc_fs_base_name(clean));
        if (st->tmp == NULL) {
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
        } else {
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
    char *copy = sc_fs_strip(final);
    if (copy == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", final);
    bool inside = sc_fs_is_mount_point(copy);
    const char *base = NULL;
    char *parent = inside ? sc_strdup(copy) : sc_fs_dir_of(copy, &base);
    if (inside)
        base = sc_fs_base_name(copy);
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
                            : sc_fs_leftover_kind(base, e->d_name) == 't';
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
    char *a = sc_fs_path(from, name), *b = sc_fs_path(to, name);
    int rc = SC_OK;
    if (a == NULL || b == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
    else if (rename(a, b) != 0)
        rc = sc_err_set(err, SC_EIO, "%s: cannot move to %s: %s", a, to,
                        strerror(errno));
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
    char *m = sc_fs_join(from, "/manifest.json");
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
    while (rc == SC_OK && (e = sc_fs_next_entry(d)) != NULL) {
        if (strcmp(e->d_name, "manifest.json") == 0 ||
            sc_fs_reserved_inside(e->d_name))
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
    char *prefix = sc_fs_join(st->final, "/.simcon-old-");
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
    sc_fs_sync_dir(st->final);
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
        char *p = sc_fs_path(st->final, e->d_name);
        if (p == NULL)
            break;
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
