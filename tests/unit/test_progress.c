/* Progress display (core/base/progress.h): what a terminal sees, and that a
 * disabled display (not a terminal, or --quiet) writes nothing at all.
 * stderr is redirected to a temporary file for each case. Expected ETA:
 * after 1 of 4 steps the remaining 3 take 3x the elapsed time (the closed
 * form elapsed / done * (total - done) of progress.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "progress.h"

/* Run fn with stderr captured; returns the text (static buffer). */
static const char *capture(void (*fn)(bool), bool enabled)
{
    static char text[4096];
    char path[] = "/tmp/sc_progress_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return "";
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn(enabled);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return text;
}

static void four_steps(bool enabled)
{
    sc_progress p;
    sc_progress_init_forced(&p, "simcon test", enabled);
    sc_progress_begin(&p, 4, "phase %d", 1);
    sc_progress_step(&p, 1);
    sc_progress_step(&p, 3);
    sc_progress_end(&p);
    sc_progress_begin(&p, 0, "unknown");
    sc_progress_step(&p, 2);
    sc_progress_deinit(&p);
}

SC_TEST(enabled_shows_bar_eta_and_ends_line)
{
    const char *t = capture(four_steps, true);
    expect_contains(t, "\rsimcon test: phase 1 [", "carriage return + label");
    expect_contains(t, "[#####...............] 1/4 0:00 ETA 0:00",
                    "bar, count, elapsed and ETA after the first step");
    expect_contains(t, "[####################] 4/4 0:00 done",
                    "a complete phase ends with done");
    const char *nl = strstr(t, " done");
    expect_true(nl && nl[strspn(nl + 5, " ") + 5] == '\n',
                "... and a newline after padding");
    expect_contains(t, "simcon test: unknown 2 0:00 done\n",
                    "unknown total: count and time; deinit ends the phase");
}

SC_TEST(disabled_writes_nothing)
{
    const char *t = capture(four_steps, false);
    expect_int((long long)strlen(t), 0, "no output when disabled");
}

SC_TEST(not_a_terminal_is_disabled)
{
    /* Under ctest stderr is a pipe or file; init must decide "off". */
    sc_progress p;
    sc_progress_init(&p, "x", false);
    expect_int(p.enabled, isatty(STDERR_FILENO) != 0,
               "enabled exactly when stderr is a terminal");
    sc_progress_deinit(&p);
    sc_progress_init(&p, "x", true);
    expect_int(p.enabled, 0, "--quiet always disables");
    sc_progress_deinit(&p);
}

SC_TEST(eta_closed_form)
{
    expect_rel(sc_progress_eta(2.0, 1, 4), 6.0, 1e-15, "1 of 4 in 2 s: 6 s");
    expect_rel(sc_progress_eta(10.0, 5, 8), 6.0, 1e-15, "5 of 8 in 10 s");
    expect_true(sc_progress_eta(1.0, 0, 4) == 0.0, "nothing done: 0");
    expect_true(sc_progress_eta(1.0, 4, 4) == 0.0, "all done: 0");
}

SC_TEST(hms)
{
    char b[16];
    sc_progress_hms(0.4, b, sizeof b);
    expect_str(b, "0:00", "0.4 s");
    sc_progress_hms(61, b, sizeof b);
    expect_str(b, "1:01", "61 s");
    sc_progress_hms(3725, b, sizeof b);
    expect_str(b, "1:02:05", "3725 s");
}

int main(void) { return sc_test_run(); }
