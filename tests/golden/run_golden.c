/* Golden-test runner: checks one tests/golden/<metric>.tsv against the
 * built plugins.
 *
 * Usage: run_golden TSV DATA_DIR [PLUGIN_DIR [EXPECTED_ROWS]]
 *
 * TSV format (shared by every metric): '#' lines are comments; the first
 * other line is the header
 *   case  metric  params  x  y  normalize  expected  rtol  provenance
 * (tab-separated, exactly nine fields per row). params is "k=v,k=v" or "-";
 * x and y are .npy paths relative to DATA_DIR; normalize is none|center|l2;
 * expected is a %.17g number obtained independently of this code, as the
 * provenance field says (reference script and version, or a closed form in
 * NOTES.md).
 *
 * Each row goes through the same path as `simcon compare`: sc_loader_open,
 * sc_argset_parse, sc_npy_load, sc_prep_apply, sc_metric_prepare/compare.
 *
 * Verdicts (docs/FORMULAS.md, "Golden verdicts"): with tol = max(rtol *
 * |expected|, GOLDEN_ATOL), PASS if |got - expected| <= tol, FAIL otherwise
 * or if the metric reports an error. There is no in-between verdict: a row
 * passes only within its stated rtol. GOLDEN_ATOL = 1e-12 is an absolute
 * floor for expected values at or near 0 (e.g. a CKA of exactly 0 by
 * symmetry), where a relative tolerance would demand more digits than
 * double arithmetic on O(1) inputs delivers. The rtol of a row is what the
 * reference supports: 1e-12 for float64 rows (largest error measured over
 * all rows: 2.9e-14 relative), 1e-6 for float32 rows (the accuracy the
 * float32 path promises).
 *
 * EXPECTED_ROWS (tests/golden/CMakeLists.txt counts the data rows of the
 * file): the run fails unless exactly that many rows were checked, so a
 * file that loses rows, or a parser that skips some, cannot pass.
 *
 * Output: one line per row ("PASS case got=... expected=... err=...
 * tol=..."), then a summary "N rows checked: P PASS, F FAIL". Exit status:
 * 0 all rows pass, 1 some row failed, 2 the TSV itself is malformed
 * (file:line named) or the row count is not EXPECTED_ROWS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "init.h"
#include "loader.h"
#include "mat.h"
#include "metric.h"
#include "npy.h"
#include "prep.h"

#define GOLDEN_ATOL 1e-12
#define MAX_LINE 8192
#define MAX_PARAMS 32
#define NFIELDS 9

static const char *const header[NFIELDS] = {"case",     "metric", "params",
                                            "x",        "y",      "normalize",
                                            "expected", "rtol",   "provenance"};

/* Split line at tabs into at most NFIELDS fields; returns the count. */
static int split_tabs(char *line, char **field)
{
    int count = 0;
    char *p = line;
    for (;;) {
        if (count == NFIELDS)
            return NFIELDS + 1; /* too many */
        field[count++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return count;
}

/* Evaluate one row; fills err on a metric failure. */
static int evaluate(char **f, const char *data_dir, const char *plugin_dir,
                    double *got, sc_err *err)
{
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(f[1], plugin_dir, &p, err);
    if (rc != SC_OK)
        return rc;
    const char *keys[MAX_PARAMS], *values[MAX_PARAMS];
    size_t count = 0;
    char params[MAX_LINE];
    snprintf(params, sizeof params, "%s", f[2]);
    if (strcmp(params, "-") != 0) {
        char *save = NULL;
        for (char *tok = strtok_r(params, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(tok, '=');
            if (eq == NULL || count == MAX_PARAMS)
                return sc_err_set(err, SC_EINVAL,
                                  "parameter '%s' is not key=value (or more "
                                  "than %d parameters)",
                                  tok, MAX_PARAMS);
            *eq = '\0';
            keys[count] = tok;
            values[count++] = eq + 1;
        }
    }
    int mode = 0;
    rc = sc_norm_parse(f[5], &mode, err);
    if (rc != SC_OK)
        return rc;
    sc_argset args = {0};
    rc = sc_argset_parse(p, keys, values, count, &args, err);
    if (rc != SC_OK)
        return rc;
    sc_matrix x = {0}, y = {0};
    void *sx = NULL, *sy = NULL;
    char path[2][4096];
    snprintf(path[0], sizeof path[0], "%s/%s", data_dir, f[3]);
    snprintf(path[1], sizeof path[1], "%s/%s", data_dir, f[4]);
    rc = sc_npy_load(path[0], &x, err);
    if (rc == SC_OK)
        rc = sc_npy_load(path[1], &y, err);
    if (rc == SC_OK)
        rc = sc_prep_apply(&x, mode, path[0], err);
    if (rc == SC_OK)
        rc = sc_prep_apply(&y, mode, path[1], err);
    if (rc == SC_OK) {
        sc_mat vx = sc_matrix_view(&x), vy = sc_matrix_view(&y);
        rc = sc_metric_prepare(p, &args.args, &vx, &sx, err);
        if (rc == SC_OK)
            rc = sc_metric_prepare(p, &args.args, &vy, &sy, err);
    }
    if (rc == SC_OK)
        rc = sc_metric_compare(p, &args.args, sx, sy, got, err);
    sc_metric_release(p, sx);
    sc_metric_release(p, sy);
    sc_matrix_deinit(&x);
    sc_matrix_deinit(&y);
    sc_argset_deinit(&args);
    return rc;
}

static int parse_double(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: run_golden TSV DATA_DIR [PLUGIN_DIR "
                        "[EXPECTED_ROWS]]\n");
        return 2;
    }
    sc_init();
    const char *tsv = argv[1], *data_dir = argv[2];
    const char *plugin_dir = argc >= 4 ? argv[3] : NULL;
    long expected_rows = -1;
    if (argc == 5) {
        char *end = NULL;
        expected_rows = strtol(argv[4], &end, 10);
        if (end == argv[4] || *end != '\0' || expected_rows < 1) {
            fprintf(stderr,
                    "run_golden: EXPECTED_ROWS '%s' is not a positive "
                    "integer\n",
                    argv[4]);
            return 2;
        }
    }
    FILE *fp = fopen(tsv, "r");
    if (fp == NULL) {
        fprintf(stderr, "run_golden: %s: cannot open; check the path\n", tsv);
        return 2;
    }
    char line[MAX_LINE];
    int lineno = 0, seen_header = 0, status = 0;
    int npass = 0, nfail = 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "run_golden: %s:%d: line longer than %d bytes\n",
                    tsv, lineno, MAX_LINE - 2);
            status = 2;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *f[NFIELDS + 1];
        int nf = split_tabs(line, f);
        if (nf != NFIELDS) {
            fprintf(stderr,
                    "run_golden: %s:%d: %d tab-separated fields, expected "
                    "%d (case metric params x y normalize expected rtol "
                    "provenance)\n",
                    tsv, lineno, nf > NFIELDS ? NFIELDS + 1 : nf, NFIELDS);
            status = 2;
            break;
        }
        if (!seen_header) {
            for (int i = 0; i < NFIELDS; i++) {
                if (strcmp(f[i], header[i]) != 0) {
                    fprintf(stderr,
                            "run_golden: %s:%d: header field %d is '%s', "
                            "expected '%s'\n",
                            tsv, lineno, i + 1, f[i], header[i]);
                    status = 2;
                }
            }
            if (status)
                break;
            seen_header = 1;
            continue;
        }
        double expected, rtol;
        if (!parse_double(f[6], &expected) || !parse_double(f[7], &rtol) ||
            rtol < 0) {
            fprintf(stderr,
                    "run_golden: %s:%d: expected '%s' / rtol '%s' is not a "
                    "finite number (rtol >= 0)\n",
                    tsv, lineno, f[6], f[7]);
            status = 2;
            break;
        }
        if (f[8][0] == '\0') {
            fprintf(stderr,
                    "run_golden: %s:%d: empty provenance; say how the "
                    "expected value was obtained\n",
                    tsv, lineno);
            status = 2;
            break;
        }
        double got = 0.0;
        sc_err err;
        sc_err_clear(&err);
        int rc = evaluate(f, data_dir, plugin_dir, &got, &err);
        if (rc != SC_OK) {
            printf("FAIL %s (line %d): error %s: %s\n", f[0], lineno,
                   sc_strerror(rc), err.msg);
            nfail++;
            continue;
        }
        double diff = fabs(got - expected);
        double tol = rtol * fabs(expected);
        if (tol < GOLDEN_ATOL)
            tol = GOLDEN_ATOL;
        const char *verdict;
        if (diff <= tol) {
            verdict = "PASS";
            npass++;
        } else {
            verdict = "FAIL";
            nfail++;
        }
        printf("%s %s got=%.17g expected=%.17g err=%.3g tol=%.3g\n", verdict,
               f[0], got, expected, diff, tol);
    }
    if (status == 0 && ferror(fp)) {
        fprintf(stderr, "run_golden: %s: read error\n", tsv);
        status = 2;
    }
    fclose(fp);
    sc_loader_shutdown();
    if (status)
        return status;
    if (!seen_header || npass + nfail == 0) {
        fprintf(stderr, "run_golden: %s: no header or no rows\n", tsv);
        return 2;
    }
    printf("# %s: %d rows checked: %d PASS, %d FAIL\n", tsv, npass + nfail,
           npass, nfail);
    if (expected_rows >= 0 && npass + nfail != expected_rows) {
        fprintf(stderr,
                "run_golden: %s: checked %d rows, expected %ld; a row was "
                "lost or skipped\n",
                tsv, npass + nfail, expected_rows);
        return 2;
    }
    return nfail > 0 ? 1 : 0;
}
