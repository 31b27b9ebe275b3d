/* Plugin call guard: a plugin cannot make a failed run look successful.
 *
 * Every call into plugin code (the loader's dlopen and entry point, the
 * metric gateway core/host/metric.c, parameter checks) is bracketed by
 * sc_guard_enter / sc_guard_leave, which record per thread which plugin and
 * which call is running. main() installs two last-resort handlers:
 *
 * - an atexit handler: exit() while a command is still running (a plugin
 *   calling exit(0) in compare, say) prints one line naming the plugin and
 *   call, then _exit(SC_GUARD_EXIT) so make and scripts see a failure and no
 *   result folder was replaced (staging is never promoted);
 * - a handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT: prints one
 *   line with the signal, plugin and call (async-signal-safe: only write(2)
 *   of a buffer built with plain loops), restores the previous handler
 *   (the default, or a sanitizer's) and re-raises, so the process still
 *   dies of the signal (exit status 128 + signal in a shell). */
#ifndef SC_GUARD_H
#define SC_GUARD_H

/* Exit status after an unexpected exit() during a command: "run failed". */
#define SC_GUARD_EXIT 1

typedef struct sc_guard_frame {
    const char *plugin; /* metric name or plugin path; NULL outside calls */
    const char *call;   /* "compare", "prepare", "load", ...             */
} sc_guard_frame;

/* Install the atexit and signal handlers (once per process) and arm the
 * exit guard: from now until sc_guard_disarm, exit() is unexpected. */
void sc_guard_install(void);
void sc_guard_disarm(void);

/* Record that this thread enters plugin code; returns the previous frame
 * (calls nest: compare_subset may prepare) for sc_guard_leave. The strings
 * must outlive the call. */
sc_guard_frame sc_guard_enter(const char *plugin, const char *call);
void sc_guard_leave(sc_guard_frame prev);

#endif
