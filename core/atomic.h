/* Atomic file writes and staged result folders.
 *
 * Purpose: `simcon run` must never leave a half-written table, and must
 * never destroy anything the user had except the previous result of the
 * same spec. Two mechanisms, used together:
 *
 * 1. Files: sc_atomic_write puts the bytes into "<path>.tmp.<pid>",
 *    fsync()s it, rename()s it over path and fsync()s the folder, so path
 *    holds either its old contents or the complete new file.
 * 2. Folders: a run builds its whole result in a staging folder
 *    "<DIR>.tmp-<pid>/<basename of DIR>" (sc_stage_begin; the inner folder
 *    carries DIR's own name, so anything that records its folder's name,
 *    like report.html, shows the final name) and only when every file is
 *    written moves it into place (sc_stage_commit). A failed run removes the
 *    staging folder (sc_stage_abort), so DIR is either absent, the previous
 *    result untouched, or the complete new result. A killed run leaves its
 *    staging folder behind; `--resume` may harvest its cache, and the next
 *    successful run of the same DIR removes it.
 *
 * Replacing an existing DIR: allowed only when DIR is empty or is a simcon
 * result folder of the same spec name (its manifest.json carries
 * "name": "<name>"). Otherwise sc_stage_begin refuses before any work. The
 * swap is two renames (DIR -> DIR.old-<pid>, staging -> DIR) followed by
 * removal of the old folder; a crash between the two renames leaves the
 * previous result intact under DIR.old-<pid> (POSIX has no atomic exchange
 * of two folders; Linux's renameat2(RENAME_EXCHANGE) is a GNU extension we
 * keep out of the core).
 *
 * Also here: sc_buf, a growable text buffer, because every result file is
 * formatted in memory first and then written in one atomic step. */
#ifndef SC_ATOMIC_H
#define SC_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* ## Text buffer */

/* Growable NUL-terminated text. Zero-initialise ({0}) before use. After an
 * allocation failure `failed` stays set and later appends do nothing, so a
 * writer can append freely and check once (sc_buf_check). */
typedef struct sc_buf {
    char *data; /* sc_malloc'ed, NUL-terminated, or NULL when empty */
    size_t len;
    size_t cap;
    bool failed;
} sc_buf;

void sc_buf_printf(sc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sc_buf_puts(sc_buf *b, const char *s);
/* text as a JSON string: quoted, with '"', '\\' and control characters
 * escaped (UTF-8 passes through). */
void sc_buf_json(sc_buf *b, const char *text);
/* SC_ENOMEM ("out of memory formatting <what>") if an append failed. */
int sc_buf_check(const sc_buf *b, const char *what, sc_err *err);
void sc_buf_deinit(sc_buf *b);

/* ## Files */

/* Write data[0..len-1] to path atomically (see above). The folder must
 * exist. Statuses: SC_EIO naming the path, the step (create, write,
 * fsync, rename) and strerror. On failure path is untouched and the temp
 * file removed. */
int sc_atomic_write(const char *path, const void *data, size_t len,
                    sc_err *err);

/* Create path and any missing parents (mode 0777 & ~umask). Existing
 * folders are fine. Statuses: SC_EIO naming the folder. */
int sc_mkdir_p(const char *path, sc_err *err);

/* Remove path recursively (files, links and folders; links are not
 * followed). Missing path is fine. Statuses: SC_EIO naming what could not
 * be removed. */
int sc_rmtree(const char *path, sc_err *err);

/* Read a whole (small) file into *text (sc_malloc'ed, NUL-terminated).
 * Statuses: SC_EIO; SC_ENOMEM. */
int sc_read_text(const char *path, char **text, size_t *len, sc_err *err);

/* ## Staged result folder */

typedef struct sc_stage {
    char *final; /* DIR                                         */
    char *root;  /* DIR.tmp-<pid>, exists between begin and
                    commit/abort                                 */
    char *tmp;   /* DIR.tmp-<pid>/<basename of DIR>: fill this   */
} sc_stage;

/* Check that final may be (re)placed by a result of spec `name`, create
 * its parent folders and a fresh staging folder.
 * Statuses: SC_EIO when final exists and is not a folder, is a non-empty
 * folder without manifest.json, or holds the result of another spec (the
 * message names it and says "choose another -o DIR or remove it"); or when
 * folders cannot be created. SC_ENOMEM. On failure nothing is created
 * and st is empty. */
int sc_stage_begin(sc_stage *st, const char *final, const char *name,
                   sc_err *err);

/* Move the staging folder into place (see the swap above), then remove
 * stale staging folders "<DIR>.tmp-<pid>" of processes that no longer run.
 * Statuses: SC_EIO (rename failed: the staging folder is kept and named in
 * the message). st is emptied either way. */
int sc_stage_commit(sc_stage *st, sc_err *err);

/* Remove the staging folder and empty st. Safe on an empty st. */
void sc_stage_abort(sc_stage *st);

/* Result folders "<final>.tmp-<pid>/<basename>" left by runs that no
 * longer run (their pid is not alive), in name order; for --resume to
 * harvest cached matrices.
 * *dirs is sc_malloc'ed (free each and the array). Missing parent: 0. */
int sc_stage_stale(const char *final, char ***dirs, size_t *count, sc_err *err);

#endif
