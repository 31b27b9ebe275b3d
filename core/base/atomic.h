/* Files, folders and inputs: the one file-system layer of simcon.
 *
 * Purpose: `simcon run` must never leave a half-written table, and must
 * never write or remove anything outside its output folder and cache. Every
 * file simcon writes and every folder it removes goes through this module,
 * under one rule:
 *
 * - Writes: only regular files. sc_atomic_write (and sc_afile for streamed
 *   writers) refuses an output path that is a device, FIFO, socket, folder
 *   or symbolic link (links are refused, not written through: following one
 *   could write outside the output folder). The bytes go to a uniquely
 *   named temp file "<dir>/.<name>.tmp-<random>" created with O_EXCL in the
 *   same folder, are fsync()ed, renamed over path, and the folder is
 *   fsync()ed, so path holds either its old contents or the complete new
 *   file.
 * - Removal: sc_rmtree never follows a symbolic link (openat with
 *   O_NOFOLLOW, fstatat with AT_SYMLINK_NOFOLLOW, unlinkat), never crosses
 *   into another file system, and removes a link itself, not its target.
 * - Inputs: sc_open_regular opens with O_NONBLOCK and checks fstat says
 *   regular file before any read, so a FIFO or device given as an input is
 *   refused instead of hanging.
 * - Result folders: a run builds its whole result in a staging folder
 *   (sc_stage_begin) and moves it into place only when every file is
 *   written (sc_stage_commit); a failed run removes it (sc_stage_abort). DIR
 *   is at every moment absent, the previous result untouched, or the
 *   complete new result. Staging names carry a random part and are created
 *   with mkdir's exclusive create, so they are unique even across PID
 *   namespaces, and the run holds an flock() lock on the result folder for
 *   its whole life, so a second run of the same DIR fails at once with a
 *   clear message instead of mixing results.
 *
 * Layout for DIR (an ordinary folder, or absent):
 *   <DIR>.simcon-lock           lock file, removed when the run ends
 *   <DIR>.tmp-<random>/<base>   staging; <base> is DIR's own name, so
 *                               anything recording its folder's name
 *                               (report.html) shows the final name
 *   <DIR>.old-<random>          the previous result during the swap
 * The swap is two renames (DIR -> DIR.old-*, staging -> DIR) and removal of
 * the old folder. A crash between the two renames leaves the previous
 * result under DIR.old-*: the next run of the same DIR moves it back first,
 * and every successful run removes left-over DIR.tmp-* and DIR.old-*
 * folders of earlier runs (they are stale: the lock says no other run is
 * active).
 *
 * Layout for DIR that is a mount point (a Docker volume, a tmpfs): DIR
 * itself cannot be renamed (EBUSY), and a sibling staging folder would sit
 * on another file system (EXDEV), so everything happens inside it:
 *   DIR/.simcon-lock, DIR/.simcon-stage-<random>/<base>,
 *   DIR/.simcon-old-<random>
 * The swap moves DIR's entries into .simcon-old-* (manifest.json first)
 * and the staged entries into DIR (manifest.json last), so DIR holds a
 * manifest.json only while it holds a complete result. A crash during the
 * swap leaves DIR without manifest.json and the previous result in
 * .simcon-old-*; the next successful run removes both.
 *
 * Replacing an existing DIR: allowed only when DIR is empty or is a simcon
 * result folder of the same spec name (its manifest.json carries
 * "name": "<name>", JSON-escaped, compared in full). Otherwise
 * sc_stage_begin refuses before any work.
 *
 * The layer is four modules with one private header (fs_int.h): fs_write.c
 * (the atomic file writer and shared path helpers), fs_read.c (inputs and
 * the whole-file reader), fs_tree.c (mkdir, rmtree, folder swap, left-overs
 * of earlier runs), fs_stage.c (the lock and the staged result folder).
 * sc_buf, the text buffer every result file is formatted in, is in buf.h. */
#ifndef SC_ATOMIC_H
#define SC_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

/* ## Files */

/* Is path usable as an output file? SC_OK when it does not exist or is a
 * regular file; SC_EIO ("<path>: is a <kind>; simcon writes only regular
 * files ...") when it is a device, FIFO, socket, folder or symbolic link. */
int sc_output_check(const char *path, sc_err *err);

/* A file being written atomically: open, write (or write to fd), commit or
 * abort. Zero-initialise; fd is -1 when nothing is open. */
typedef struct sc_afile {
    char *path; /* the destination                        */
    char *tmp;  /* "<dir>/.<name>.tmp-<random>", O_EXCL   */
    int fd;
} sc_afile;

/* Check path (sc_output_check) and create its temp file. The folder must
 * exist. Statuses: SC_EIO; SC_ENOMEM. On failure nothing is created. */
int sc_afile_open(sc_afile *a, const char *path, sc_err *err);
/* Append bytes. SC_EIO naming the path and strerror (ENOSPC: "No space
 * left on device"). */
int sc_afile_write(sc_afile *a, const void *data, size_t len, sc_err *err);
/* fsync, close, check path again, rename over it, fsync the folder. On
 * failure the temp file is removed and path untouched. a is emptied. */
int sc_afile_commit(sc_afile *a, sc_err *err);
/* Remove the temp file; a is emptied. Safe on an empty a. */
void sc_afile_abort(sc_afile *a);

/* Write data[0..len-1] to path atomically (sc_afile_open, _write,
 * _commit). Statuses: SC_EIO naming the path, the step (create, write,
 * fsync, rename) and strerror. On failure path is untouched and the temp
 * file removed. */
int sc_atomic_write(const char *path, const void *data, size_t len,
                    sc_err *err);

/* Create path and any missing parents (mode 0777 & ~umask). Existing
 * folders are fine. Statuses: SC_EIO naming the folder. */
int sc_mkdir_p(const char *path, sc_err *err);

/* Remove path recursively without following symbolic links: a link is
 * removed, never its target; a folder on another file system (a mount
 * point) inside path is refused. Missing path is fine. Statuses: SC_EIO
 * naming what could not be removed. Works without allocating (used to
 * clean up after an out-of-memory failure). */
int sc_rmtree(const char *path, sc_err *err);

/* ## Inputs */

/* Open path read-only without blocking (O_NONBLOCK, cleared after the
 * check) and check with fstat that it is a regular file. Returns the
 * descriptor; -1 with errno set when open/fstat fail; SC_NOT_REGULAR when
 * path is a FIFO, device, socket or folder (nothing was read from it). */
#define SC_NOT_REGULAR (-2)
int sc_open_regular(const char *path);
/* The same as a stdio stream ("rb"); NULL with *why = errno or
 * SC_NOT_REGULAR. */
FILE *sc_fopen_regular(const char *path, int *why);
/* A hint that path will be read soon: the kernel starts reading the
 * whole file into the page cache in the background (posix_fadvise
 * POSIX_FADV_WILLNEED), so that a later read or mmap finds it there
 * instead of waiting for the disk a readahead window at a time. Reads
 * nothing itself and reports nothing: a path that cannot be opened, or
 * is not a regular file, is left for the real read to report. */
void sc_prefetch_file(const char *path);
/* For a loader that works through paths[0..count-1] in order on
 * `threads` workers and now loads paths[i]: sc_prefetch_file on the files
 * after it, the other workers' next ones and 4 more, so that a disk that
 * stalls for seconds (seen at full size while the spill writes: single
 * page faults of 4-5 s) has that much time to deliver them (4 models of
 * 50 MB at the paper's scale: 200 MB of page cache). */
void sc_prefetch_next(const char *const *paths, size_t count, size_t i,
                      unsigned threads);
/* strerror(why), or "not a regular file (a FIFO, device, socket or
 * folder)" for SC_NOT_REGULAR. */
const char *sc_open_strerror(int why);

/* Read the rest of stream f into *text (sc_malloc'ed, NUL-terminated;
 * *len its length, len may be NULL): the one whole-file reading loop; the
 * caller words the messages. Returns SC_OK; SC_ENOMEM; SC_EIO on a read
 * error (errno says why); SC_READ_TOO_BIG when max > 0 and f holds max - 1
 * bytes or more. On failure *text is NULL. */
#define SC_READ_TOO_BIG (-3)
int sc_read_stream(FILE *f, size_t max, char **text, size_t *len);
/* Read a whole (small) regular file into *text (sc_malloc'ed,
 * NUL-terminated). Statuses: SC_EIO; SC_ENOMEM. */
int sc_read_text(const char *path, char **text, size_t *len, sc_err *err);
/* The same, with messages that name what the file is ("cannot open the ids
 * file: ..."); what == NULL gives sc_read_text's messages. */
int sc_read_file(const char *path, const char *what, char **text, size_t *len,
                 sc_err *err);

/* ## Result folder lock */

/* Holds flock(LOCK_EX) on the lock file of a result folder (see the
 * layouts above) until sc_lock_release. */
typedef struct sc_lock {
    char *path;
    int fd; /* -1 when not held */
} sc_lock;

/* Take the lock of result folder dir without waiting. Statuses: SC_EIO
 * "<dir>: another simcon run is writing this result folder (it holds
 * <lock>); wait for it to finish or choose another -o DIR" when held, or
 * when the lock file cannot be created. */
int sc_lock_acquire(sc_lock *lk, const char *dir, sc_err *err);
/* Remove the lock file and release the lock. Safe on an unheld lock. */
void sc_lock_release(sc_lock *lk);

/* ## Staged result folder */

typedef struct sc_stage {
    char *final;  /* DIR                                           */
    char *root;   /* staging root, exists between begin and
                     commit/abort (see the layouts above)          */
    char *tmp;    /* root/<basename of DIR>: fill this             */
    char *name;   /* the spec's name                               */
    bool inside;  /* DIR is a mount point: staging is inside it    */
    sc_lock lock; /* held from begin to commit/abort               */
} sc_stage;

/* Take DIR's lock, check that final may be (re)placed by a result of spec
 * `name`, create its parent folders and a fresh staging folder.
 * Statuses: SC_EIO when another run holds the lock; when final exists and
 * is not a folder, is a non-empty folder without manifest.json, or holds
 * the result of another spec (the message names it and says "choose
 * another -o DIR or remove it"); or when folders cannot be created.
 * SC_ENOMEM. On failure nothing is created, the lock is released and st is
 * empty. */
int sc_stage_begin(sc_stage *st, const char *final, const char *name,
                   sc_err *err);

/* Move the staging folder into place (see the swaps above), remove stale
 * staging and old folders of earlier runs, release the lock.
 * Statuses: SC_EIO (a rename failed: the message names where the new and
 * the previous result are). st is emptied either way. */
int sc_stage_commit(sc_stage *st, sc_err *err);

/* Remove the staging folder, release the lock, empty st. Safe on an empty
 * st. */
void sc_stage_abort(sc_stage *st);

/* Inner result folders of staging folders of final left by earlier runs
 * that were killed, except own (st->tmp of the running stage, or NULL), in
 * name order; for --resume to harvest cached matrices. Only meaningful
 * while the lock of final is held (then no other run is active).
 * *dirs is sc_malloc'ed (free each and the array). Missing parent: 0. */
int sc_stage_stale(const char *final, const char *own, char ***dirs,
                   size_t *count, sc_err *err);

/* ## Folder swap (used by sc_stage_commit and by `simcon plot` for
 * DIR/figures) */

/* Create a fresh folder "<prefix><random>" with an exclusive mkdir (mode
 * 0777 & ~umask); *out is sc_malloc'ed. Statuses: SC_EIO; SC_ENOMEM. */
int sc_mkdir_unique(const char *prefix, char **out, sc_err *err);

/* Replace folder final by folder staged (same file system). final, when
 * present, must be a real folder (a link or file is refused before
 * anything moves); it is renamed to "<final>.old-<random>", staged is
 * renamed to final, the parent folder fsync()ed and the old folder removed
 * (sc_rmtree: links are not followed). If the second rename fails the old
 * folder is moved back. Statuses: SC_EIO naming where things are. */
int sc_replace_dir(const char *staged, const char *final, sc_err *err);

/* Remove left-overs "<final>.tmp-*", "<final>.old-*" (and the older
 * "<final>.tmp.<pid>", "<final>.old.<pid>") of earlier runs, except own
 * (may be NULL). An old folder is removed only when it is empty, a result
 * of spec name (when not NULL) or a figures folder (has index.tsv). The
 * caller holds the lock that makes them stale. */
void sc_remove_leftovers(const char *final, const char *own, const char *name);

#endif
