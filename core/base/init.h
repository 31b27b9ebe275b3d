/* Process-wide set-up, called once by main() (and by tests) before any other
 * core function.
 *
 * GSL's default error handler aborts the process; the core checks every GSL
 * status instead, so the handler is switched off here. Numbers are written
 * with '.' as decimal point whatever the user's locale (we never call
 * setlocale, so the "C" locale stays in force; this is stated, not done). */
#ifndef SC_INIT_H
#define SC_INIT_H

void sc_init(void);

#endif
