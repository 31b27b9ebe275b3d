/* Progress with an ETA on the terminal: the one progress display of every
 * simcon command (matrix, run, plot, mantel).
 *
 * Purpose: a command that can run longer than about two seconds shows what
 * it is doing, how far it is and how long the rest will take, e.g.
 *     simcon matrix: prepare [##########..........] 32/64 0:07 ETA 0:07
 * redrawn in place ('\r') at most ten times a second.
 *
 * Invariants:
 * - Output appears only when stderr is a terminal (isatty) and the command
 *   was not given --quiet; otherwise every call is a no-op, so pipes, files
 *   and CI logs never see progress. The decision is taken once, at init.
 * - Thread-safe: sc_progress_step may be called from worker threads.
 * - A phase (sc_progress_begin .. sc_progress_end) ends with a newline and
 *   its elapsed time, so the next message starts on a clean line.
 * - ETA = elapsed / done * (total - done), shown once at least one step is
 *   done; total 0 means "unknown": the count and elapsed time only. */
#ifndef SC_PROGRESS_H
#define SC_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* A library caller's progress callback (simcon.h simcon_progress_fn):
 * told of every step, terminal or not. */
typedef void (*sc_progress_sink)(void *user, const char *label, size_t done,
                                 size_t total);

typedef struct sc_progress {
    bool enabled;    /* stderr is a terminal and not --quiet        */
    const char *who; /* line prefix, e.g. "simcon matrix"           */
    char label[128]; /* current phase                               */
    size_t total;    /* steps in the phase; 0 = unknown             */
    size_t done;     /* steps done                                  */
    bool open;       /* a phase is being shown                      */
    double t0;       /* phase start (monotonic seconds)             */
    double last;     /* last redraw                                 */
    size_t drawn;    /* characters of the last line, for erasing    */
    pthread_mutex_t lock;
    sc_progress_sink sink; /* NULL: none                                  */
    void *sink_user;
} sc_progress;

/* Set up; enabled when !quiet and stderr is a terminal. who is borrowed
 * and must outlive p. */
void sc_progress_init(sc_progress *p, const char *who, bool quiet);
/* The same with the decision forced (tests). */
void sc_progress_init_forced(sc_progress *p, const char *who, bool enabled);
void sc_progress_deinit(sc_progress *p);
/* Also report every step to fn(user, label, done, total), under the lock
 * (calls never overlap), whether or not anything is drawn. */
void sc_progress_set_sink(sc_progress *p, sc_progress_sink fn, void *user);

/* Start a phase (ending the previous one if still open): label is copied
 * (printf format), total steps (0 = unknown). Draws at once. */
void sc_progress_begin(sc_progress *p, size_t total, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* k more steps done; redraws when 0.1 s passed since the last draw or the
 * phase is complete. NULL p is allowed (no-op). */
void sc_progress_step(sc_progress *p, size_t k);
/* End the phase: final line with the elapsed time, "done" when every step
 * was done (an interrupted phase keeps its count), and a newline. */
void sc_progress_end(sc_progress *p);

/* Seconds left: elapsed / done * (total - done); 0 when done is 0 or
 * not below total. */
double sc_progress_eta(double elapsed, size_t done, size_t total);

/* Format seconds as "M:SS" or "H:MM:SS" into buf (>= 16 bytes). */
void sc_progress_hms(double seconds, char *buf, size_t size);

/* The clocks behind the display, for anything else that times work:
 * monotonic wall-clock seconds, and CPU seconds of the whole process (all
 * threads; meaningful on a shared machine). Only differences are
 * meaningful. */
double sc_wall_seconds(void);
double sc_cpu_seconds(void);

#endif
