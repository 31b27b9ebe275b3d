/* Error records.
 *
 * A fallible core function returns an int status (enum sc_status) and, on
 * failure, fills the caller's sc_err with one line saying what failed, where
 * (file, line:col for specs, row/column for data) and what to do. Callers may
 * prefix context ("spec.yaml: ") but never overwrite the message. There is no
 * global "last error": the record travels with the call. */
#ifndef SC_ERR_H
#define SC_ERR_H

#include <stdarg.h>
#include <stddef.h>

#include "simcon/status.h"

#define SC_ERR_MSG 1024

typedef struct sc_err {
    int code;             /* enum sc_status; SC_OK when nothing failed */
    char msg[SC_ERR_MSG]; /* one line, no trailing newline              */
} sc_err;

/* Reset err to SC_OK with an empty message. err may be NULL. */
void sc_err_clear(sc_err *err);

/* Record a failure: sets err->code and formats the message. Returns code so a
 * caller can write `return sc_err_set(err, SC_EIO, "...")`. err may be NULL,
 * in which case only the code is returned. */
int sc_err_set(sc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sc_err_vset(sc_err *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prepend context to an existing message ("ctx: old message"); keeps the
 * code. Returns err->code (SC_OK if err is NULL). */
int sc_err_prefix(sc_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy src to dst (cap bytes, always NUL-terminated), writing control
 * characters (bytes below 0x20 and DEL) as \n, \r, \t or \xHH so the
 * text stays on one line and carries no terminal escape sequence. Cuts at a
 * whole escape when dst is full. Returns the length written. sc_err_set and
 * sc_err_prefix apply it to every message. */
size_t sc_escape_ctl(char *dst, size_t cap, const char *src);

/* Name of a status code, e.g. "SC_EIO (input/output)". Never NULL. */
const char *sc_strerror(int status);

#endif
