/* Decimal-only number syntax: see numtext.h. */
#include "numtext.h"

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
