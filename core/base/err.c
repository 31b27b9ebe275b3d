/* Error records: see err.h. Messages are truncated, never overflowed, and
 * always one line: control characters coming from a spec scalar, a file
 * name or a plugin's host->fail text are escaped here, the one place every
 * message is formatted, so a hostile input cannot split a message or send
 * terminal escape sequences to the user's terminal. */
#include "err.h"

#include <stdio.h>
#include <string.h>

size_t sc_escape_ctl(char *dst, size_t cap, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;
    if (cap == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        char rep[5];
        size_t rlen = 0;
        if (*p >= 0x20 && *p != 0x7f) {
            rep[rlen++] = (char)*p;
        } else {
            rep[rlen++] = '\\';
            switch (*p) {
            case '\n':
                rep[rlen++] = 'n';
                break;
            case '\r':
                rep[rlen++] = 'r';
                break;
            case '\t':
                rep[rlen++] = 't';
                break;
            default:
                rep[rlen++] = 'x';
                rep[rlen++] = hex[*p >> 4];
                rep[rlen++] = hex[*p & 15];
            }
        }
        if (len + rlen >= cap)
            break; /* truncate at a whole escape, never mid-sequence */
        memcpy(dst + len, rep, rlen);
        len += rlen;
    }
    dst[len] = '\0';
    return len;
}

void sc_err_clear(sc_err *err)
{
    if (err == NULL)
        return;
    err->code = SC_OK;
    err->msg[0] = '\0';
}

int sc_err_vset(sc_err *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    err->code = code;
    char raw[SC_ERR_MSG];
    vsnprintf(raw, sizeof raw, fmt, ap);
    sc_escape_ctl(err->msg, sizeof err->msg, raw);
    return code;
}

int sc_err_set(sc_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sc_err_vset(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

int sc_err_prefix(sc_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return SC_OK;
    char raw[SC_ERR_MSG], prefix[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    sc_escape_ctl(prefix, sizeof prefix, raw);
    /* "prefix: msg", truncated to the record's size. */
    size_t plen = strlen(prefix), mlen = strlen(err->msg);
    if (plen + 2 >= sizeof err->msg)
        plen = sizeof err->msg - 3;
    if (plen + 2 + mlen >= sizeof err->msg)
        mlen = sizeof err->msg - 3 - plen;
    memmove(err->msg + plen + 2, err->msg, mlen);
    err->msg[plen + 2 + mlen] = '\0';
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    return err->code;
}

const char *sc_strerror(int status)
{
    switch (status) {
    case SC_OK:
        return "SC_OK (success)";
    case SC_EINVAL:
        return "SC_EINVAL (invalid argument)";
    case SC_EDOM:
        return "SC_EDOM (outside the metric's domain)";
    case SC_ENOMEM:
        return "SC_ENOMEM (out of memory)";
    case SC_EIO:
        return "SC_EIO (input/output)";
    case SC_ESPEC:
        return "SC_ESPEC (invalid experiment spec)";
    case SC_EABI:
        return "SC_EABI (plugin ABI mismatch)";
    case SC_ENUMERIC:
        return "SC_ENUMERIC (non-finite number)";
    case SC_EBLAS:
        return "SC_EBLAS (BLAS dimension error)";
    case SC_ECANCELED:
        return "SC_ECANCELED (canceled by the caller)";
    default:
        return "unknown status";
    }
}
