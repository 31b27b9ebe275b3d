/* sc_buf, the one growable text buffer of simcon: every result file is
 * formatted in memory first and then written in one atomic step
 * (atomic.h), and whole input files are read into one (sc_read_file). */
#ifndef SC_BUF_H
#define SC_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

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
void sc_buf_vprintf(sc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void sc_buf_puts(sc_buf *b, const char *s);
/* n bytes of data (may hold NUL bytes); data is NUL-terminated after. With
 * n == 0 on an empty buffer, data becomes "" (allocated). */
void sc_buf_append(sc_buf *b, const void *data, size_t n);
/* text as a JSON string: quoted, with '"', '\\' and control characters
 * escaped (UTF-8 passes through). */
void sc_buf_json(sc_buf *b, const char *text);
/* SC_ENOMEM ("out of memory formatting <what>") if an append failed. */
int sc_buf_check(const sc_buf *b, const char *what, sc_err *err);
void sc_buf_deinit(sc_buf *b);

#endif
