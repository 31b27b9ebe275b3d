/* The one growable text buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

static bool reserve(sc_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > (size_t)-1 / 2 - b->len) { /* the doubling below would wrap */
        b->failed = true;
        return false;
    }
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

void sc_buf_vprintf(sc_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0 || !reserve(b, n < 0 ? 0 : (size_t)n)) {
        if (n < 0)
            b->failed = true;
        va_end(again);
        return;
    }
    if ((size_t)n < sizeof small)
        memcpy(b->data + b->len, small, (size_t)n + 1);
    else
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    va_end(again);
    b->len += (size_t)n;
}

void sc_buf_printf(sc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sc_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void sc_buf_puts(sc_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

void sc_buf_append(sc_buf *b, const void *data, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
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
