/* Terminal progress with an ETA (see progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Width of the bar: with the prefix, label and counters the line fits in
 * 80 columns for labels up to about 25 characters. */
#define BAR_WIDTH 20
/* Redraw at most this often (seconds): fast enough to look live, rare
 * enough that drawing costs nothing next to the work. */
#define REDRAW_EVERY 0.1

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sc_wall_seconds(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

double sc_cpu_seconds(void)
{
    return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

void sc_progress_hms(double seconds, char *buf, size_t size)
{
    if (!(seconds >= 0) || seconds > 359999.0)
        seconds = seconds > 0 ? 359999.0 : 0.0;
    unsigned long s = (unsigned long)(seconds + 0.5);
    /* Again on the integer, so the compiler sees the bound too: without it
     * gcc -O3 warns that "%lu:%02lu:%02lu" may not fit 16 bytes. */
    if (s > 359999)
        s = 359999;
    if (s >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%lu:%02lu", s / 60, s % 60);
}

double sc_progress_eta(double elapsed, size_t done, size_t total)
{
    if (done == 0 || done >= total)
        return 0.0;
    return elapsed / (double)done * (double)(total - done);
}

void sc_progress_init_forced(sc_progress *p, const char *who, bool enabled)
{
    memset(p, 0, sizeof *p);
    p->who = who;
    p->enabled = enabled;
    pthread_mutex_init(&p->lock, NULL);
}

void sc_progress_init(sc_progress *p, const char *who, bool quiet)
{
    sc_progress_init_forced(p, who, !quiet && isatty(STDERR_FILENO));
}

void sc_progress_set_sink(sc_progress *p, sc_progress_sink fn, void *user)
{
    pthread_mutex_lock(&p->lock);
    p->sink = fn;
    p->sink_user = user;
    pthread_mutex_unlock(&p->lock);
}

void sc_progress_deinit(sc_progress *p)
{
    sc_progress_end(p);
    pthread_mutex_destroy(&p->lock);
}

/* Draw the current line; lock held. */
static void draw(sc_progress *p, bool final)
{
    double t = sc_wall_seconds();
    double el = t - p->t0;
    char line[400], tel[16], teta[16];
    int len;
    sc_progress_hms(el, tel, sizeof tel);
    if (p->total > 0) {
        size_t done = p->done < p->total ? p->done : p->total;
        char bar[BAR_WIDTH + 1];
        size_t fill = done * BAR_WIDTH / p->total;
        for (size_t k = 0; k < BAR_WIDTH; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        if (final || done == 0) {
            len = snprintf(line, sizeof line, "%s: %s [%s] %zu/%zu %s%s",
                           p->who, p->label, bar, done, p->total, tel,
                           final && done == p->total ? " done" : "");
        } else {
            sc_progress_hms(sc_progress_eta(el, done, p->total), teta,
                            sizeof teta);
            len = snprintf(line, sizeof line, "%s: %s [%s] %zu/%zu %s ETA %s",
                           p->who, p->label, bar, done, p->total, tel, teta);
        }
    } else {
        len = snprintf(line, sizeof line, "%s: %s %zu %s%s", p->who, p->label,
                       p->done, tel, final ? " done" : "");
    }
    if (len < 0)
        return;
    size_t n = strlen(line);
    /* Pad with spaces over a longer previous line. */
    fprintf(stderr, "\r%s%*s", line, p->drawn > n ? (int)(p->drawn - n) : 0,
            "");
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
    p->drawn = final ? 0 : n;
    p->last = t;
}

void sc_progress_begin(sc_progress *p, size_t total, const char *fmt, ...)
{
    if (p == NULL || (!p->enabled && p->sink == NULL))
        return;
    sc_progress_end(p);
    pthread_mutex_lock(&p->lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->label, sizeof p->label, fmt, ap);
    va_end(ap);
    p->total = total;
    p->done = 0;
    p->open = true;
    p->t0 = sc_wall_seconds();
    if (p->enabled)
        draw(p, false);
    pthread_mutex_unlock(&p->lock);
}

void sc_progress_step(sc_progress *p, size_t k)
{
    if (p == NULL || (!p->enabled && p->sink == NULL))
        return;
    pthread_mutex_lock(&p->lock);
    if (p->open) {
        bool first = p->done == 0; /* the first ETA as soon as possible */
        p->done += k;
        if (p->sink != NULL)
            p->sink(p->sink_user, p->label, p->done, p->total);
        if (p->enabled &&
            (first || sc_wall_seconds() - p->last >= REDRAW_EVERY ||
             (p->total > 0 && p->done >= p->total)))
            draw(p, false);
    }
    pthread_mutex_unlock(&p->lock);
}

void sc_progress_end(sc_progress *p)
{
    if (p == NULL || (!p->enabled && p->sink == NULL))
        return;
    pthread_mutex_lock(&p->lock);
    if (p->open) {
        if (p->enabled)
            draw(p, true);
        p->open = false;
    }
    pthread_mutex_unlock(&p->lock);
}
