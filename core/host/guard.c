/* Plugin call guard (see guard.h).
 *
 * The current frame is thread-local: worker threads run plugin calls
 * concurrently, and a signal or an exit() is handled on the thread that
 * raised it, which is the thread whose frame names the culprit. The
 * handlers use only async-signal-safe operations: reading this thread's
 * frame, building the line with loops (no stdio, no malloc), write(2),
 * sigaction, raise and _exit. */
#include "guard.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local sc_guard_frame current;
static atomic_int armed;
static atomic_int installed;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous[NFATAL];

sc_guard_frame sc_guard_enter(const char *plugin, const char *call)
{
    sc_guard_frame prev = current;
    current.plugin = plugin;
    current.call = call;
    return prev;
}

void sc_guard_leave(sc_guard_frame prev)
{
    current = prev;
}

/* A line being built in a fixed buffer; text past the end is dropped. */
typedef struct line {
    char buf[512];
    size_t len;
} line;

/* Append at most max bytes of s, escaping nothing but refusing control
 * characters (written as '?'): names are validated, but a corrupted one
 * must not emit terminal codes. */
static void put(line *l, const char *s, size_t max)
{
    for (size_t i = 0; s != NULL && s[i] != '\0' && i < max; i++)
        if (l->len < sizeof l->buf - 1) {
            unsigned char c = (unsigned char)s[i];
            l->buf[l->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
}

static void put_frame(line *l)
{
    if (current.plugin != NULL) {
        put(l, " in plugin '", 32);
        put(l, current.plugin, 200);
        put(l, "' during ", 32);
        put(l, current.call, 64);
    }
}

static void emit(line *l)
{
    l->buf[l->len++] = '\n';
    size_t off = 0;
    while (off < l->len) {
        ssize_t w = write(STDERR_FILENO, l->buf + off, l->len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

static void on_exit_guard(void)
{
    if (!atomic_load(&armed))
        return;
    line l = {.len = 0};
    put(&l, "simcon: exit() called", 64);
    if (current.plugin != NULL) {
        put_frame(&l);
        put(&l,
            " (a plugin must return a status, never exit: report it to the "
            "plugin's author); the run failed and no result was written",
            200);
    } else {
        put(&l,
            " during a command, outside any plugin call; the run failed and "
            "no result was written",
            200);
    }
    emit(&l);
    _exit(SC_GUARD_EXIT);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (invalid memory access)";
    case SIGBUS:
        return "SIGBUS (bus error)";
    case SIGFPE:
        return "SIGFPE (arithmetic exception)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGABRT:
        return "SIGABRT (abort)";
    default:
        return "a fatal signal";
    }
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    line l = {.len = 0};
    put(&l, "simcon: ", 16);
    put(&l, signal_name(sig), 64);
    if (current.plugin != NULL) {
        put_frame(&l);
        put(&l, " (a plugin bug: report it to the plugin's author)", 80);
    } else {
        put(&l, " outside any plugin call (a simcon bug: please report it)",
            80);
    }
    emit(&l);
    /* Hand the signal to whoever had it before (the default action, or a
     * sanitizer's report). A fault re-executes the faulting instruction on
     * return and reaches that handler; a signal that was sent (raise,
     * abort, kill) is sent again. */
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous[i], NULL);
    if (info == NULL || info->si_code <= 0 || sig == SIGABRT)
        raise(sig);
}

void sc_guard_install(void)
{
    atomic_store(&armed, 1);
    if (atomic_exchange(&installed, 1))
        return;
    atexit(on_exit_guard);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_signals[i], &sa, &previous[i]);
}

void sc_guard_disarm(void)
{
    atomic_store(&armed, 0);
}
