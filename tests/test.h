/* Minimal test harness (header only).
 *
 * One executable per module. Each check prints one TAP-like line
 * ("ok N - what" / "not ok N - what: details") so a failure says exactly
 * which expectation broke; main() returns non-zero if any check failed, which
 * is what CTest looks at. Descriptions are printf formats so a check can name
 * its inputs. Usage:
 *
 *     SC_TEST(parses_v1) { expect_int(rc, SC_OK, "load %s", path); }
 *     int main(void) { return sc_test_run(); }
 */
#ifndef SC_TEST_H
#define SC_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef void (*sc_test_fn)(void);

#define SC_TEST_MAX 512
static sc_test_fn sc_test_fns[SC_TEST_MAX];
static const char *sc_test_names[SC_TEST_MAX];
static int sc_test_count, sc_test_checks, sc_test_failures;

/* Registers a test through a constructor so tests need no list of their own. */
#define SC_TEST(name)                                                         \
    static void test_##name(void);                                            \
    __attribute__((constructor)) static void register_##name(void)            \
    {                                                                         \
        if (sc_test_count < SC_TEST_MAX) {                                    \
            sc_test_names[sc_test_count] = #name;                             \
            sc_test_fns[sc_test_count++] = test_##name;                       \
        }                                                                     \
    }                                                                         \
    static void test_##name(void)

__attribute__((format(printf, 3, 0))) static inline int
sc_test_report(int ok, const char *detail, const char *fmt, va_list ap)
{
    sc_test_checks++;
    printf("%sok %d - ", ok ? "" : "not ", sc_test_checks);
    vprintf(fmt, ap);
    if (!ok) {
        printf(": %s", detail);
        sc_test_failures++;
    }
    printf("\n");
    fflush(stdout);
    return ok;
}

__attribute__((format(printf, 2, 3))) static inline int
expect_true(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ok = sc_test_report(cond != 0, "condition is false", fmt, ap);
    va_end(ap);
    return ok;
}

__attribute__((format(printf, 3, 4))) static inline int
expect_int(long long got, long long want, const char *fmt, ...)
{
    char detail[128];
    snprintf(detail, sizeof detail, "got %lld, want %lld", got, want);
    va_list ap;
    va_start(ap, fmt);
    int ok = sc_test_report(got == want, detail, fmt, ap);
    va_end(ap);
    return ok;
}

__attribute__((format(printf, 3, 4))) static inline int
expect_str(const char *got, const char *want, const char *fmt, ...)
{
    char detail[2048];
    snprintf(detail, sizeof detail, "got \"%s\", want \"%s\"",
             got ? got : "(null)", want ? want : "(null)");
    va_list ap;
    va_start(ap, fmt);
    int ok = sc_test_report(got && want && strcmp(got, want) == 0, detail,
                            fmt, ap);
    va_end(ap);
    return ok;
}

/* Substring match, for error messages whose prefix carries a temp path. */
__attribute__((format(printf, 3, 4))) static inline int
expect_contains(const char *got, const char *needle, const char *fmt, ...)
{
    char detail[2048];
    snprintf(detail, sizeof detail, "\"%s\" does not contain \"%s\"",
             got ? got : "(null)", needle);
    va_list ap;
    va_start(ap, fmt);
    int ok = sc_test_report(got && strstr(got, needle) != NULL, detail, fmt,
                            ap);
    va_end(ap);
    return ok;
}

/* |got - want| <= rtol * |want| (and both finite). */
__attribute__((format(printf, 4, 5))) static inline int
expect_rel(double got, double want, double rtol, const char *fmt, ...)
{
    char detail[160];
    double err = fabs(got - want);
    snprintf(detail, sizeof detail, "got %.17g, want %.17g (rel err %.3g > %.3g)",
             got, want, want != 0 ? err / fabs(want) : err, rtol);
    va_list ap;
    va_start(ap, fmt);
    int ok = sc_test_report(isfinite(got) && err <= rtol * fabs(want), detail,
                            fmt, ap);
    va_end(ap);
    return ok;
}

/* |got - want| <= atol. */
__attribute__((format(printf, 4, 5))) static inline int
expect_abs(double got, double want, double atol, const char *fmt, ...)
{
    char detail[160];
    snprintf(detail, sizeof detail, "got %.17g, want %.17g (abs err %.3g > %.3g)",
             got, want, fabs(got - want), atol);
    va_list ap;
    va_start(ap, fmt);
    int ok = sc_test_report(isfinite(got) && fabs(got - want) <= atol, detail,
                            fmt, ap);
    va_end(ap);
    return ok;
}

static inline int sc_test_run(void)
{
    for (int t = 0; t < sc_test_count; t++) {
        printf("# %s\n", sc_test_names[t]);
        sc_test_fns[t]();
    }
    printf("# %d checks, %d failed\n", sc_test_checks, sc_test_failures);
    return sc_test_failures == 0 && sc_test_checks > 0 ? 0 : 1;
}

#endif
