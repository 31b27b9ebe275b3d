/* Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md).
 *
 * The readers under test take a path, so each input is handed to them as a
 * file (or, for the result-folder reader, a folder of files) inside a private
 * temporary folder. Nothing outside that folder is created or removed.
 *
 * sc_fuzz_check aborts (a libFuzzer "crash") when a documented invariant of
 * the reader does not hold, so the harnesses find wrong answers as well as
 * memory errors. */
#ifndef SC_FUZZ_UTIL_H
#define SC_FUZZ_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

#define sc_fuzz_check(cond, what)                                              \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", __FILE__,  \
                    __LINE__, what);                                           \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The private temporary folder of this process: mkdtemp under $TMPDIR,
 * else /dev/shm (a RAM file system: several times faster than a disk for
 * the plot harness), else /tmp; removed with its contents at exit. Inputs
 * are written as plain files in it, so the readers see a regular file or
 * folder exactly as from a user (no /proc or memfd special files). */
static char sc_fuzz_root[4096];

static int sc_fuzz_rm_entry(const char *p, const struct stat *st, int flag,
                            struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p) == 0 ? 0 : -1;
}

/* Remove the tree at p without following symlinks. */
static inline void sc_fuzz_rm_tree(const char *p)
{
    struct stat st;
    if (lstat(p, &st) == 0)
        nftw(p, sc_fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void sc_fuzz_cleanup(void)
{
    if (sc_fuzz_root[0])
        sc_fuzz_rm_tree(sc_fuzz_root);
    sc_fuzz_root[0] = '\0';
}

static inline const char *sc_fuzz_tmpdir(void)
{
    if (sc_fuzz_root[0])
        return sc_fuzz_root;
    const char *t = getenv("TMPDIR");
    if (!t || !t[0])
        t = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(sc_fuzz_root, sizeof sc_fuzz_root, "%s/simcon-fuzz-XXXXXX", t);
    sc_fuzz_check(mkdtemp(sc_fuzz_root) != NULL, "mkdtemp failed");
    atexit(sc_fuzz_cleanup);
    return sc_fuzz_root;
}

/* Write data to <private folder>/name (replacing it) and return its path in
 * buf. Aborts if the system refuses: a harness problem, not a finding. */
static inline const char *sc_fuzz_file(char *buf, size_t cap, const char *name,
                                       const uint8_t *data, size_t size)
{
    int w = snprintf(buf, cap, "%s/%s", sc_fuzz_tmpdir(), name);
    sc_fuzz_check(w > 0 && (size_t)w < cap, "path too long");
    int fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    sc_fuzz_check(fd >= 0, "cannot create the input file");
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n < 0 && errno == EINTR)
            continue;
        sc_fuzz_check(n > 0, "cannot write the input file");
        off += (size_t)n;
    }
    sc_fuzz_check(close(fd) == 0, "cannot close the input file");
    return buf;
}

/* A failure message: non-empty, NUL-terminated inside the buffer, a known
 * status. */
static inline void sc_fuzz_check_err(int rc, const sc_err *err)
{
    sc_fuzz_check(rc != SC_OK, "check_err called on success");
    sc_fuzz_check(err->code == rc, "err->code differs from the status");
    sc_fuzz_check(memchr(err->msg, '\0', sizeof err->msg) != NULL,
                  "message not terminated");
    sc_fuzz_check(err->msg[0] != '\0', "empty error message");
}

#endif
