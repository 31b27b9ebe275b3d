/* Loader and host-wrapper tests against the fixtures in this folder.
 *
 * Each bad_*.c breaks one rule; the test asserts the status and the key
 * phrases of the one-line message (what is wrong and what to do). The
 * good fixture exercises parameter parsing and the metric wrappers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "init.h"
#include "loader.h"
#include "mat.h"
#include "mem.h"
#include "metric.h"

static char path_buf[1024];

static const char *fixture(const char *name)
{
    snprintf(path_buf, sizeof path_buf, "%s/%s.so", SC_FIXTURE_DIR, name);
    return path_buf;
}

static const sc_plugin *load_ok(const char *name)
{
    sc_err err;
    sc_err_clear(&err);
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(fixture(name), NULL, &p, &err);
    expect_int(rc, SC_OK, "load %s (%s)", name, err.msg);
    return p;
}

SC_TEST(good_fixture_loads)
{
    const sc_plugin *p = load_ok("good_fixture");
    if (p == NULL)
        return;
    expect_str(p->desc->name, "good_fixture", "descriptor name");
    expect_int((long long)p->nparams, 4, "parameter count");
    const sc_plugin *again = load_ok("good_fixture");
    expect_true(again == p, "second open returns the loaded plugin");
}

SC_TEST(wrong_abi_says_rebuild)
{
    sc_err err;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(fixture("bad_abi"), NULL, &p, &err);
    expect_int(rc, SC_EABI, "bad_abi rejected");
    char want[256];
    snprintf(want, sizeof want,
             "plugin built for ABI version %d, this simcon has ABI version "
             "%d; rebuild the plugin",
             SC_ABI_VERSION + 1, SC_ABI_VERSION);
    expect_contains(err.msg, want, "message names both versions");
    expect_contains(err.msg, "bad_abi.so", "message names the file");
    expect_true(p == NULL, "no plugin returned");
}

SC_TEST(missing_entry)
{
    sc_err err;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(fixture("bad_noentry"), NULL, &p, &err);
    expect_int(rc, SC_EABI, "bad_noentry rejected");
    expect_contains(err.msg,
                    "bad_noentry.so: not an simcon plugin (no "
                    "symbol sc_plugin_entry)",
                    "message");
}

SC_TEST(invalid_descriptor_lists_every_problem)
{
    sc_err err;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(fixture("bad_nullcompare"), NULL, &p, &err);
    expect_int(rc, SC_EABI, "bad_nullcompare rejected");
    expect_contains(err.msg, "compare is NULL", "names NULL compare");
    expect_contains(err.msg, "parameter 'k' has no doc line", "names doc");
    expect_contains(err.msg,
                    "parameter 'mode': enum default 5 is not a choice index "
                    "(0..1)",
                    "names enum default");
    expect_contains(err.msg, "rebuild it", "says what to do");
}

SC_TEST(host_api_too_old)
{
    sc_err err;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(fixture("bad_apimin"), NULL, &p, &err);
    expect_int(rc, SC_EABI, "bad_apimin refused");
    expect_contains(err.msg, "refused to load", "message");
}

/* Issue 13: revision 3 of the host API (host->gram) is additive. A plugin
 * compiled against the revision-2 header (tests/loader/rev2) loads and
 * computes; its value is closed-form: the trace of X X^T is the sum of
 * squares, 1 + 4 + 9 + 16 = 30 for x and 2 * 30 = 60 for y = sqrt(2) x
 * (exact in float32 for x; y's squares are 2, 8, 18, 32 up to float32
 * rounding), so compare = 1 / (1 + 30) within 1e-6. */
SC_TEST(previous_revision_plugin_loads_and_computes)
{
    const sc_plugin *p = load_ok("rev2_fixture");
    if (p == NULL)
        return;
    expect_int((long long)p->desc->host_api_min, 2, "built for revision 2");
    expect_true(SC_HOST_API_REV > 2, "this host is newer (%d)",
                SC_HOST_API_REV);
    double xd[4] = {1, 2, 3, 4}, yd[4];
    for (size_t i = 0; i < 4; i++)
        yd[i] = sqrt(2.0) * xd[i];
    sc_mat x = {4, 1, 1, xd}, y = {4, 1, 1, yd};
    sc_args none = {0, NULL, NULL};
    sc_err err;
    sc_err_clear(&err);
    void *sx = NULL, *sy = NULL;
    double v = 0.0;
    int rc = sc_metric_prepare(p, &none, &x, &sx, &err);
    if (rc == SC_OK)
        rc = sc_metric_prepare(p, &none, &y, &sy, &err);
    if (rc == SC_OK)
        rc = sc_metric_compare(p, &none, sx, sy, &v, &err);
    expect_int(rc, SC_OK, "prepare and compare (%s)", err.msg);
    expect_true(fabs(v - 1.0 / 31.0) < 1e-6, "value %.9g, expected 1/31", v);
    sc_metric_release(p, sx);
    sc_metric_release(p, sy);
}

SC_TEST(unresolved_symbol_points_at_ldd)
{
    sc_err err;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(fixture("bad_undef"), NULL, &p, &err);
    expect_int(rc, SC_EIO, "bad_undef cannot load");
    expect_contains(err.msg, "sc_symbol_that_does_not_exist",
                    "names the symbol");
    expect_contains(err.msg, "check its dependencies with ldd", "hint");
}

SC_TEST(unknown_metric_name)
{
    sc_err err;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open("no_such_metric", SC_FIXTURE_DIR, &p, &err);
    expect_int(rc, SC_EINVAL, "unknown metric");
    expect_contains(err.msg, "unknown metric 'no_such_metric'", "message");
    expect_contains(err.msg, SC_FIXTURE_DIR, "lists the searched folder");
    expect_contains(err.msg, "simcon plugins", "says what to do");
    rc = sc_loader_open("Bad-Name", NULL, &p, &err);
    expect_int(rc, SC_EINVAL, "malformed name");
    rc = sc_loader_open(fixture("absent"), NULL, &p, &err);
    expect_int(rc, SC_EIO, "missing path");
    expect_contains(err.msg, "absent.so: no such plugin file", "message");
}

SC_TEST(find_all_lists_fixtures)
{
    sc_err err;
    char **names = NULL;
    size_t count = 0;
    int rc = sc_loader_find_all(SC_FIXTURE_DIR, &names, &count, &err);
    expect_int(rc, SC_OK, "find_all");
    int seen_good = 0, seen_abi = 0;
    for (size_t i = 0; i < count; i++) {
        seen_good |= strcmp(names[i], "good_fixture") == 0;
        seen_abi |= strcmp(names[i], "bad_abi") == 0;
        if (i > 0)
            expect_true(strcmp(names[i - 1], names[i]) < 0,
                        "sorted and unique at %zu", i);
    }
    expect_true(seen_good && seen_abi, "fixtures listed");
    sc_loader_names_free(names, count);
}

SC_TEST(parameters_parse_and_fail_clearly)
{
    const sc_plugin *p = load_ok("good_fixture");
    if (p == NULL)
        return;
    sc_err err;
    sc_argset a;
    const char *k1[] = {"k", "mode", "unbiased"};
    const char *v1[] = {"7", "slow", "false"};
    int rc = sc_argset_parse(p, k1, v1, 3, &a, &err);
    expect_int(rc, SC_OK, "valid settings");
    if (rc == SC_OK) {
        expect_abs(a.value[0], 7, 0, "k");
        expect_abs(a.value[1], 2, 0, "mode=slow is choice 2");
        expect_int(a.given[2], 0, "sigma not given");
        expect_abs(a.value[3], 0, 0, "unbiased=false");
        char buf[256];
        sc_argset_format(p, &a, buf, sizeof buf);
        expect_str(buf, "k=7,mode=slow,sigma=unset,unbiased=false",
                   "canonical text");
        sc_argset_deinit(&a);
    }
    struct {
        const char *key, *value, *msg;
    } bad[] = {
        {"q", "1",
         "metric good_fixture has no parameter 'q' (parameters: "
         "k; mode; sigma; unbiased)"},
        {"k", "11", "parameter k = 11 is outside the allowed range [1, 10]"},
        {"k", "2.5", "parameter k expects an integer, got '2.5'"},
        {"k", "abc", "parameter k expects an integer number, got 'abc'"},
        {"mode", "quick",
         "parameter mode expects one of fast|exact|slow, "
         "got 'quick'"},
        {"unbiased", "maybe", "parameter unbiased expects true or false"},
        {"sigma", "nan", "parameter sigma expects a number, got 'nan'"},
        {"sigma", "0", "parameter sigma = 0 is outside the allowed range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = sc_argset_parse(p, &bad[i].key, &bad[i].value, 1, &a, &err);
        expect_int(rc, SC_EINVAL, "%s=%s rejected", bad[i].key, bad[i].value);
        expect_contains(err.msg, bad[i].msg, "%s=%s message", bad[i].key,
                        bad[i].value);
    }
    const char *k2[] = {"k", "k"};
    const char *v2[] = {"2", "3"};
    rc = sc_argset_parse(p, k2, v2, 2, &a, &err);
    expect_int(rc, SC_EINVAL, "repeated key");
    expect_contains(err.msg, "parameter k is given twice", "message");
}

/* x: rows x cols with a simple high-entropy pattern plus an offset. */
static void fill(sc_matrix *m, double offset)
{
    for (size_t i = 0; i < m->rows * m->cols; i++)
        m->data[i] = offset + 2.385 * sin(0.7 * (double)i + 0.3);
}

SC_TEST(wrappers_enforce_promises)
{
    sc_err err;
    sc_matrix x, y, z;
    sc_matrix_init(&x, 6, 3, &err);
    sc_matrix_init(&y, 6, 3, &err);
    sc_matrix_init(&z, 5, 3, &err);
    fill(&x, 0.0);
    fill(&y, 0.5);
    fill(&z, 0.0);
    sc_mat vx = sc_matrix_view(&x), vy = sc_matrix_view(&y),
           vz = sc_matrix_view(&z);
    const sc_plugin *good = load_ok("good_fixture");
    const sc_plugin *nanp = load_ok("bad_nan");
    const sc_plugin *leak = load_ok("bad_leak");
    if (!good || !nanp || !leak)
        goto done;
    sc_argset a;
    sc_argset_parse(good, NULL, NULL, 0, &a, &err);
    void *sx = NULL, *sy = NULL, *sz = NULL;
    expect_int(sc_metric_prepare(good, &a.args, &vx, &sx, &err), SC_OK,
               "prepare x");
    expect_int(sc_metric_prepare(good, &a.args, &vy, &sy, &err), SC_OK,
               "prepare y");
    expect_int(sc_metric_prepare(good, &a.args, &vz, &sz, &err), SC_OK,
               "prepare z");
    double v = 0;
    expect_int(sc_metric_compare(good, &a.args, sx, sy, &v, &err), SC_OK,
               "compare");
    /* Closed form: means differ by exactly 0.5, so 1 / (1 + 0.5). */
    expect_rel(v, 1.0 / 1.5, 1e-12, "fixture value");
    expect_int(sc_metric_compare(good, &a.args, sx, sz, &v, &err), SC_EINVAL,
               "mismatched rows");
    expect_contains(err.msg, "different numbers of stimuli (6 vs 5 rows)",
                    "mismatch message");
    size_t idx[] = {0, 0, 3, 5};
    double vs = 0;
    expect_int(sc_metric_compare_subset(good, &a.args, sx, sy, &vx, &vy, idx, 4,
                                        &vs, &err),
               SC_OK, "subset fallback re-prepares");
    expect_true(vs > 0 && vs <= 1, "subset value in range");
    size_t bad_idx[] = {0, 6};
    expect_int(sc_metric_compare_subset(good, &a.args, sx, sy, &vx, &vy,
                                        bad_idx, 2, &vs, &err),
               SC_EINVAL, "subset index out of range");
    sc_matrix one;
    sc_matrix_init(&one, 1, 3, &err);
    sc_mat vone = sc_matrix_view(&one);
    void *s1 = NULL;
    expect_int(sc_metric_prepare(good, &a.args, &vone, &s1, &err), SC_EDOM,
               "below min_rows");
    expect_contains(err.msg, "needs at least 2 stimuli (rows), got 1",
                    "min_rows message");
    sc_matrix_deinit(&one);
    sc_metric_release(good, sx);
    sc_metric_release(good, sy);
    sc_metric_release(good, sz);

    sx = sy = NULL;
    sc_metric_prepare(nanp, &a.args, &vx, &sx, &err);
    sc_metric_prepare(nanp, &a.args, &vy, &sy, &err);
    expect_int(sc_metric_compare(nanp, &a.args, sx, sy, &v, &err), SC_ENUMERIC,
               "NaN result rejected");
    expect_contains(err.msg, "metric bad_nan returned a non-finite value",
                    "NaN message");
    sc_metric_release(nanp, sx);
    sc_metric_release(nanp, sy);

    sx = sy = NULL;
    sc_metric_prepare(leak, &a.args, &vx, &sx, &err);
    sc_metric_prepare(leak, &a.args, &vy, &sy, &err);
    expect_int(sc_metric_compare(leak, &a.args, sx, sy, &v, &err), SC_EABI,
               "leaking compare reported");
    expect_contains(err.msg, "compare kept 1 block(s) from host->alloc",
                    "leak message");
    sc_metric_release(leak, sx);
    sc_metric_release(leak, sy);
    sc_argset_deinit(&a);
done:
    sc_matrix_deinit(&x);
    sc_matrix_deinit(&y);
    sc_matrix_deinit(&z);
}

SC_TEST(out_of_memory_in_prepare)
{
    const sc_plugin *good = load_ok("good_fixture");
    if (!good)
        return;
    sc_err err;
    sc_matrix x;
    sc_matrix_init(&x, 4, 2, &err);
    fill(&x, 1.0);
    sc_mat vx = sc_matrix_view(&x);
    sc_argset a;
    sc_argset_parse(good, NULL, NULL, 0, &a, &err);
    for (long n = 1; n <= 2; n++) {
        void *s = NULL;
        sc_mem_fail_after(n);
        int rc = sc_metric_prepare(good, &a.args, &vx, &s, &err);
        sc_mem_fail_after(0);
        expect_int(rc, SC_ENOMEM, "allocation %ld fails -> SC_ENOMEM", n);
        expect_true(s == NULL, "no state on failure %ld", n);
    }
    sc_argset_deinit(&a);
    sc_matrix_deinit(&x);
}

int main(void)
{
    sc_init();
    int rc = sc_test_run();
    sc_loader_shutdown();
    return rc;
}
