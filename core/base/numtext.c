/* Decimal-only number syntax: see numtext.h. */
#include "numtext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

bool sc_is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (strcasecmp(s, "inf") == 0 || strcasecmp(s, "infinity") == 0 ||
        strcasecmp(s, "nan") == 0)
        return true;
    bool any = false;
    while (digit(*s)) {
        s++;
        any = true;
    }
    if (*s == '.') {
        s++;
        while (digit(*s)) {
            s++;
            any = true;
        }
    }
    if (!any)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!digit(*s))
            return false;
        while (digit(*s))
            s++;
    }
    return *s == '\0';
}

int sc_parse_uint(const char *opt, const char *text, unsigned long *out,
                  sc_err *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] == '-' || end == text || *end != '\0' || errno == ERANGE ||
        v == 0)
        return sc_err_set(err, SC_EINVAL,
                          "%s expects a positive integer, got '%s'", opt, text);
    *out = v;
    return SC_OK;
}

int sc_parse_bytes(const char *opt, const char *text, size_t *out, sc_err *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    double scale = 1.0;
    if (end != text && *end != '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            scale = 1024.0;
            break;
        case 'm':
        case 'M':
            scale = 1024.0 * 1024.0;
            break;
        case 'g':
        case 'G':
            scale = 1024.0 * 1024.0 * 1024.0;
            break;
        default:
            scale = 0.0;
        }
        end++;
        if (*end == 'B' || *end == 'b')
            end++;
    }
    /* The number before the suffix must be decimal: strtod also reads
     * hexadecimal ("0x10G"). */
    char num[64];
    size_t nlen = end ? (size_t)(end - text) : 0;
    int dec = nlen < sizeof num;
    if (dec) {
        memcpy(num, text, nlen);
        num[nlen] = '\0';
        if (scale != 1.0) /* drop the suffix letters counted in end */
            num[strcspn(num, "kKmMgGbB")] = '\0';
        dec = sc_is_decimal(num);
    }
    if (!dec || end == text || *end != '\0' || scale == 0.0 ||
        errno == ERANGE || !(v > 0) || v * scale > 1e18)
        return sc_err_set(err, SC_EINVAL,
                          "%s expects a size such as 512M or 8G, got '%s'", opt,
                          text);
    *out = (size_t)(v * scale);
    return SC_OK;
}

int sc_parse_memory(const char *opt, const char *text, size_t *out, sc_err *err)
{
    int rc = sc_parse_bytes(opt, text, out, err);
    if (rc == SC_OK && *out < SC_MIN_MEMORY)
        return sc_err_set(err, SC_EINVAL,
                          "%s '%s' is below the minimum memory budget of 1M; "
                          "give a size such as 512M or 8G",
                          opt, text);
    return rc;
}
