/* Folders: create (sc_mkdir_p, sc_mkdir_unique), remove without following
 * links (sc_rmtree), swap a new folder into place (sc_replace_dir), and
 * recognise and remove what earlier runs left (sc_remove_leftovers, and the
 * layout helpers staging shares through fs_int.h); rules in atomic.h. */
#include "atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fs_int.h"
#include "mem.h"

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
    while (rc == SC_OK && (e = sc_fs_next_entry(d)) != NULL) {
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

/* ## Layout of a result folder */

bool sc_fs_is_mount_point(const char *dir)
{
    struct stat st, up;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    char *parent = sc_fs_join(dir, "/..");
    if (parent == NULL)
        return false;
    bool mp = stat(parent, &up) == 0 &&
              (up.st_dev != st.st_dev || up.st_ino == st.st_ino);
    sc_free(parent);
    return mp;
}

bool sc_fs_reserved_inside(const char *name)
{
    return strcmp(name, ".simcon-lock") == 0 ||
           strncmp(name, ".simcon-stage-", 14) == 0 ||
           strncmp(name, ".simcon-old-", 12) == 0;
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

int sc_fs_same_spec(const char *folder, const char *name, bool *readable)
{
    *readable = false;
    char *mpath = sc_fs_join(folder, "/manifest.json");
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
        sc_fs_random_tag(tag);
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
        sc_fs_random_tag(tag);
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
                              final, sc_fs_kind_of(st.st_mode));
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
    sc_fs_sync_parent(final);
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
static bool old_is_ours(const char *path, const char *name)
{
    bool readable = false;
    bool ours = name != NULL && sc_fs_same_spec(path, name, &readable) == 1;
    if (!ours) {
        char *idx = sc_fs_join(path, "/index.tsv");
        struct stat st;
        ours = idx != NULL && lstat(idx, &st) == 0 && S_ISREG(st.st_mode);
        sc_free(idx);
    }
    if (!ours) {
        DIR *d = opendir(path);
        if (d != NULL) {
            ours = sc_fs_next_entry(d) == NULL;
            closedir(d);
        }
    }
    return ours;
}

/* Current left-over names end in 8 characters [0-9a-z]; older
 * versions used ".tmp-<pid>", ".tmp.<pid>", ".old-<pid>", ".old.<pid>". */
int sc_fs_leftover_kind(const char *base, const char *entry)
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
    char *parent = sc_fs_dir_of(final, &base);
    if (parent == NULL)
        return;
    DIR *d = opendir(parent);
    if (d == NULL) {
        sc_free(parent);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int kind = sc_fs_leftover_kind(base, e->d_name);
        if (kind == 0)
            continue;
        char *path = sc_fs_path(parent, e->d_name);
        if (path == NULL)
            break;
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
