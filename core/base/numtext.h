/* Numbers written as text (spec values, CSV cells, parameters, sizes).
 *
 * strtod also accepts hexadecimal ("0x1p-1" is 0.5) and C99 spellings that
 * no user means in a results table or a confidence level, so a typo or a
 * hostile file could slip a value past a reader that only checks "strtod
 * consumed everything". Every reader of a decimal number first asks
 * sc_is_decimal, then converts with strtod. */
#ifndef SC_NUMTEXT_H
#define SC_NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* True when the whole of s is a decimal number
 *     [+-]? ( digits [. digits?] | . digits ) ( [eE] [+-]? digits )?
 * or one of the words inf, infinity, nan (any case, optional sign), which
 * callers then refuse as non-finite with their own message. False for
 * hexadecimal (0x...), "nan(...)", empty text and surrounding spaces. */
bool sc_is_decimal(const char *s);

/* Option values (command line and spec): OPT names the option in the
 * message. A positive integer; a size such as 512M or 8G. */
int sc_parse_uint(const char *opt, const char *text, unsigned long *out,
                  sc_err *err);
int sc_parse_bytes(const char *opt, const char *text, size_t *out, sc_err *err);

/* The memory budget (--memory, runtime.memory): a size of at least
 * SC_MIN_MEMORY. Below that the engine would spill every matrix to disk
 * for no reason, and "--memory 1" is almost surely a missing suffix. */
#define SC_MIN_MEMORY ((size_t)1 << 20)
int sc_parse_memory(const char *opt, const char *text, size_t *out,
                    sc_err *err);

#endif
