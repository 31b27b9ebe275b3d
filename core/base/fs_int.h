/* Internals shared by the modules of the file-system layer (fs_write.c,
 * fs_read.c, fs_tree.c, fs_stage.c); not for use outside core/base. The
 * public interface and the rules it keeps are in atomic.h. */
#ifndef SC_FS_INT_H
#define SC_FS_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>

/* ## Names (fs_write.c) */

/* a followed by b; sc_malloc'ed, NULL when out of memory. */
char *sc_fs_join(const char *a, const char *b);
/* "<dir>/<name>"; sc_malloc'ed, NULL when out of memory. */
char *sc_fs_path(const char *dir, const char *name);
/* A copy of path without trailing slashes ("/" stays "/"); sc_malloc'ed. */
char *sc_fs_strip(const char *path);
/* Split path into its folder (sc_malloc'ed, "." when none) and last
 * component (points into path). path has no trailing slash. */
char *sc_fs_dir_of(const char *path, const char **base);
/* Last path component (after the last '/'; path has no trailing slash). */
const char *sc_fs_base_name(const char *path);
/* Eight characters [0-9a-z] that differ between calls, processes and
 * machines (see fs_write.c). */
void sc_fs_random_tag(char out[9]);
/* fsync a folder (or the folder holding path) so a rename in it is
 * durable. Failure is ignored: some file systems refuse fsync on folders,
 * and the data is already safe in the renamed file. No allocation. */
void sc_fs_sync_dir(const char *dir);
void sc_fs_sync_parent(const char *path);
/* "symbolic link", "folder", "FIFO", ... for messages. */
const char *sc_fs_kind_of(mode_t m);
/* The next entry of d other than "." and ".."; NULL at the end. */
struct dirent *sc_fs_next_entry(DIR *d);

/* ## Layout of a result folder (fs_tree.c) */

/* Is dir an existing folder on another file system than its parent (a
 * mount point)? */
bool sc_fs_is_mount_point(const char *dir);
/* Names simcon keeps inside a mount-point result folder. */
bool sc_fs_reserved_inside(const char *name);
/* Which left-over of final's base is entry of its folder? 't' staging, 'o'
 * old, 0 neither. */
int sc_fs_leftover_kind(const char *base, const char *entry);
/* 1: folder holds a simcon result of spec name; 0: it does not (or has no
 * readable manifest.json: *readable false); -1: out of memory. */
int sc_fs_same_spec(const char *folder, const char *name, bool *readable);

#endif
