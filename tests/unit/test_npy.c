/* Tests for core/io/npy.c: the .npy reader, header peek and atomic writer.
 *
 * Expected values come from NumPy, not from our code: every valid fixture in
 * tests/npy/fixtures/ was written by numpy.lib.format.write_array, and
 * fixtures/values.txt holds NumPy's own float64 value of each element
 * (repr(float(x)), row-major), both produced by tests/npy/make_fixtures.py
 * (NumPy 1.24.2). Conversions to double are exact (or, for 64-bit integers
 * beyond 2^53, correctly rounded exactly as Python's float() rounds), so
 * values are compared for exact equality. Each malformed fixture's expected
 * status and message phrase is the contract stated in core/io/npy.h; the
 * numbers inside messages (byte counts, positions) are derived in the
 * comments next to each row from the generator's documented construction. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "npy.h"
#include "../test.h"

#define FIX SC_TEST_DIR "/npy/fixtures/"

/* ## Valid fixtures against NumPy's values */

SC_TEST(valid_fixtures_match_numpy_values)
{
    FILE *f = fopen(FIX "values.txt", "r");
    if (!expect_true(f != NULL, "open %s", FIX "values.txt"))
        return;
    static char line[8192];
    int files = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#')
            continue;
        char *save = NULL;
        char *name = strtok_r(line, " \n", &save);
        if (name == NULL)
            continue;
        size_t rows = strtoul(strtok_r(NULL, " \n", &save), NULL, 10);
        size_t cols = strtoul(strtok_r(NULL, " \n", &save), NULL, 10);
        char path[512];
        snprintf(path, sizeof path, FIX "%s", name);
        sc_matrix m;
        sc_err err;
        sc_err_clear(&err);
        int rc = sc_npy_load(path, &m, &err);
        expect_int(rc, SC_OK, "load %s (%s)", name, err.msg);
        expect_int((long long)m.rows, (long long)rows, "%s rows", name);
        expect_int((long long)m.cols, (long long)cols, "%s cols", name);
        size_t bad = 0, first = 0, k = 0;
        double want_first = 0, got_first = 0;
        char *tok;
        while ((tok = strtok_r(NULL, " \n", &save)) != NULL) {
            double want = strtod(tok, NULL);
            double got = k < m.rows * m.cols ? m.data[k] : (double)NAN;
            if (!(got == want)) {
                if (bad++ == 0) {
                    first = k;
                    want_first = want;
                    got_first = got;
                }
            }
            k++;
        }
        expect_int((long long)k, (long long)(rows * cols),
                   "%s: values.txt lists rows*cols values", name);
        expect_int((long long)bad, 0,
                   "%s: every value equals NumPy's (first mismatch at "
                   "element %zu: got %.17g, want %.17g)",
                   name, first, got_first, want_first);
        size_t pr = 0, pc = 0;
        rc = sc_npy_peek(path, &pr, &pc, &err);
        expect_int(rc, SC_OK, "peek %s", name);
        expect_true(pr == rows && pc == cols, "peek %s shape %zu x %zu", name,
                    pr, pc);
        sc_matrix_deinit(&m);
        files++;
    }
    fclose(f);
    /* 11 float + 8 int C-order + 6 big-endian Fortran int files + the
     * vector + 2 hand-written headers = 28 lines in values.txt. */
    expect_int(files, 28, "number of valid fixtures checked");
}

SC_TEST(half_keeps_signed_zero)
{
    /* f2_c.npy element (2, 0) is -0.0 (make_fixtures.py, `half`). */
    sc_matrix m;
    sc_err err;
    int rc = sc_npy_load(FIX "f2_c.npy", &m, &err);
    expect_int(rc, SC_OK, "load f2_c.npy");
    if (rc != SC_OK)
        return;
    expect_true(m.data[2 * 3 + 0] == 0.0 && signbit(m.data[2 * 3 + 0]),
                "half -0.0 stays negative zero");
    sc_matrix_deinit(&m);
}

/* ## Rejections: status, key phrase, file name, empty output */

typedef struct reject_case {
    const char *file;
    int status;
    const char *phrase;
} reject_case;

static const reject_case rejects[] = {
    {"bad_magic.npy", SC_EIO, "bad magic"},
    {"bad_version.npy", SC_EIO, "unsupported .npy format version 4.0"},
    /* First 40 bytes of a v1.0 file whose header is 118 bytes:
     * 40 - 10 = 30 bytes after the preamble. */
    {"trunc_header.npy", SC_EIO,
     "truncated header: it declares 118 bytes but the file has only 30"},
    {"empty_file.npy", SC_EIO, "truncated header: file has 0 bytes"},
    {"short_file.npy", SC_EIO, "truncated header: file has 7 bytes"},
    /* 3 x 4 '<f8' = 96 bytes; the generator cut 8. */
    {"trunc_data.npy", SC_EIO,
     "truncated data: shape (3, 4) of '<f8' expected 96 bytes of data, file "
     "has 88"},
    {"extra_data.npy", SC_EIO,
     "shape (3, 4) of '<f8' needs 96 bytes of data but the file has 104"},
    /* 2^32 x 4 x 8 bytes = 137438953472 bytes, the file has 48 (2 x 3). */
    {"big_shape.npy", SC_EIO,
     "expected 137438953472 bytes of data, file has 48"},
    {"huge_shape.npy", SC_EIO, "is too large"},
    {"overflow_dim.npy", SC_EIO,
     "dimension 99999999999999999999999 in 'shape' does not fit in size_t"},
    {"not_dict.npy", SC_EIO, "expected a dict starting with '{', found '['"},
    {"missing_shape.npy", SC_EIO, "header lacks the key 'shape'"},
    {"bad_fortran.npy", SC_EIO, "'fortran_order' must be True or False"},
    {"object.npy", SC_EIO, "unsupported dtype '|O' (Python objects)"},
    {"complex.npy", SC_EIO, "unsupported dtype '<c16' (complex)"},
    {"structured.npy", SC_EIO, "unsupported structured dtype"},
    {"unicode.npy", SC_EIO, "unsupported dtype '<U2' (unicode strings)"},
    {"bool.npy", SC_EIO, "unsupported dtype '|b1' (bool)"},
    {"longdouble.npy", SC_EIO, "unsupported dtype '<f16'"},
    {"descr_nul.npy", SC_EIO,
     "unsupported dtype '<f8\\x00' (the size is not a number)"},
    {"three_d.npy", SC_EIO, "shape (2, 3, 4) has 3 dimensions"},
    {"scalar.npy", SC_EIO, "shape () is a 0-dimensional scalar"},
    {"zero_rows.npy", SC_EIO, "shape (0, 3) has zero rows"},
    {"zero_cols.npy", SC_EIO, "shape (3, 0) has zero columns"},
    /* Positions set by make_fixtures.py. */
    {"nan.npy", SC_ENUMERIC,
     "first non-finite value (NaN) at row 2, column 1 (0-based"},
    {"inf_f4.npy", SC_ENUMERIC,
     "first non-finite value (-Inf) at row 1, column 3 (0-based"},
    /* Fortran order: +Inf at (0, 2) precedes NaN at (2, 0) in row-major
     * order although it comes later in the file. */
    {"inf_fortran.npy", SC_ENUMERIC,
     "first non-finite value (+Inf) at row 0, column 2 (0-based"},
    {"nan_f2.npy", SC_ENUMERIC,
     "first non-finite value (NaN) at row 0, column 1 (0-based"},
};

SC_TEST(rejections)
{
    for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
        const reject_case *c = &rejects[i];
        char path[512];
        snprintf(path, sizeof path, FIX "%s", c->file);
        sc_matrix m = {7, 7, NULL};
        sc_err err;
        sc_err_clear(&err);
        int rc = sc_npy_load(path, &m, &err);
        expect_int(rc, c->status, "%s: status", c->file);
        expect_contains(err.msg, c->phrase, "%s: message", c->file);
        expect_contains(err.msg, path, "%s: message names the file", c->file);
        expect_true(strchr(err.msg, '\n') == NULL, "%s: one line", c->file);
        expect_true(m.rows == 0 && m.cols == 0 && m.data == NULL,
                    "%s: no partial output", c->file);
        /* The header-only peek agrees on every header/size problem and,
         * by design, does not look at values. */
        size_t r = 99, cc = 99;
        sc_err perr;
        rc = sc_npy_peek(path, &r, &cc, &perr);
        if (c->status == SC_EIO) {
            expect_int(rc, SC_EIO, "%s: peek status", c->file);
            expect_str(perr.msg, err.msg, "%s: peek message", c->file);
            expect_true(r == 99 && cc == 99, "%s: peek leaves shape alone",
                        c->file);
        } else {
            expect_int(rc, SC_OK, "%s: peek ignores values", c->file);
        }
    }
}

SC_TEST(missing_file_and_directory)
{
    sc_matrix m;
    sc_err err;
    int rc = sc_npy_load(FIX "no_such_file.npy", &m, &err);
    expect_int(rc, SC_EIO, "missing file status");
    expect_str(err.msg,
               FIX "no_such_file.npy: cannot open: No such file or directory",
               "missing file message");
    rc = sc_npy_load(FIX, &m, &err);
    expect_int(rc, SC_EIO, "directory status");
    expect_contains(err.msg, "not a regular file", "directory message");
}

/* ## Allocation failure */

SC_TEST(load_out_of_memory)
{
    /* The matrix is the only allocation: failing the first one must give
     * SC_ENOMEM with the file named; the second attempt succeeds. */
    int ok_at = 0;
    for (long n = 1; n <= 5 && ok_at == 0; n++) {
        sc_matrix m;
        sc_err err;
        sc_mem_fail_after(n);
        int rc = sc_npy_load(FIX "f8_f_v1.npy", &m, &err);
        sc_mem_fail_after(0);
        if (rc == SC_OK) {
            ok_at = (int)n;
            sc_matrix_deinit(&m);
            break;
        }
        expect_int(rc, SC_ENOMEM, "fail allocation %ld: status", n);
        expect_contains(err.msg, FIX "f8_f_v1.npy: out of memory",
                        "fail allocation %ld: message", n);
        expect_true(m.data == NULL && m.rows == 0, "fail %ld: output empty", n);
    }
    expect_int(ok_at, 2, "load succeeds once allocations stop failing");
}

/* ## Writer */

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[256];
    if (tmpdir[0] == '\0') {
        strcpy(tmpdir, "/tmp/sc_test_npy.XXXXXX");
        if (mkdtemp(tmpdir) == NULL)
            tmpdir[0] = '\0';
    }
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static const double sample[6] = {2.385, -0.0117, 1e-300, -7.25e12, 0.1, 3.0};

SC_TEST(save_round_trip)
{
    sc_matrix m;
    sc_err err;
    sc_matrix_init(&m, 3, 2, &err);
    memcpy(m.data, sample, sizeof sample);
    char path[256];
    snprintf(path, sizeof path, "%s", tmp_path("rt.npy"));
    int rc = sc_npy_save(path, &m, &err);
    expect_int(rc, SC_OK, "save %s (%s)", path, err.msg);
    /* Header dict "{'descr': '<f8', 'fortran_order': False, 'shape': (3,
     * 2), }" is 60 bytes; 10 + 60 + 1 = 71 pads to 128; data 6 x 8 = 48. */
    struct stat st;
    expect_int(stat(path, &st), 0, "saved file exists");
    expect_int((long long)st.st_size, 128 + 48, "file size");
    expect_int(count_entries(tmpdir), 1, "no temporary file left behind");
    sc_matrix back;
    rc = sc_npy_load(path, &back, &err);
    expect_int(rc, SC_OK, "load back");
    expect_true(rc == SC_OK && back.rows == 3 && back.cols == 2 &&
                    memcmp(back.data, sample, sizeof sample) == 0,
                "round trip is bit-exact");
    sc_matrix_deinit(&back);

    /* Overwriting replaces the whole file. */
    m.data[0] = -1.5;
    rc = sc_npy_save(path, &m, &err);
    expect_int(rc, SC_OK, "overwrite");
    rc = sc_npy_load(path, &back, &err);
    expect_true(rc == SC_OK && back.data[0] == -1.5, "overwrite visible");
    sc_matrix_deinit(&back);

    /* A failed save (no memory for the temporary name) leaves the old
     * file untouched. */
    m.data[0] = 99.0;
    sc_mem_fail_after(1);
    rc = sc_npy_save(path, &m, &err);
    sc_mem_fail_after(0);
    expect_int(rc, SC_ENOMEM, "save out of memory");
    rc = sc_npy_load(path, &back, &err);
    expect_true(rc == SC_OK && back.data[0] == -1.5,
                "old contents survive a failed save");
    sc_matrix_deinit(&back);
    expect_int(count_entries(tmpdir), 1, "still one file");
    unlink(path);
    sc_matrix_deinit(&m);
}

SC_TEST(save_is_atomic_on_failure)
{
    sc_matrix m;
    sc_err err;
    sc_matrix_init(&m, 3, 2, &err);
    memcpy(m.data, sample, sizeof sample);
    char path[256];
    snprintf(path, sizeof path, "%s", tmp_path("missing_dir/x.npy"));
    int rc = sc_npy_save(path, &m, &err);
    expect_int(rc, SC_EIO, "save into a missing directory");
    expect_contains(err.msg, "cannot create", "message says what failed");
    expect_contains(err.msg, "No such file or directory", "with strerror");
    struct stat st;
    expect_int(stat(path, &st), -1, "nothing created");
    expect_int(count_entries(tmpdir), 0, "directory still empty");

    /* Destination is a directory: the temporary is written, rename fails,
     * and the temporary must be removed again. */
    char dir[256];
    snprintf(dir, sizeof dir, "%s", tmp_path("adir"));
    mkdir(dir, 0755);
    rc = sc_npy_save(dir, &m, &err);
    expect_int(rc, SC_EIO, "save onto a directory");
    expect_contains(err.msg, "is a folder; simcon writes only regular files",
                    "a folder as output is refused before anything is written");
    expect_int(count_entries(tmpdir), 1, "temporary removed");
    rmdir(dir);

    /* Values simcon could not read back are refused before any I/O. */
    m.data[3] = NAN;
    rc = sc_npy_save(tmp_path("nan.npy"), &m, &err);
    expect_int(rc, SC_ENUMERIC, "save NaN");
    expect_contains(err.msg, "row 1, column 1 (0-based)", "NaN position");
    sc_matrix empty = {0, 0, NULL};
    rc = sc_npy_save(tmp_path("empty.npy"), &empty, &err);
    expect_int(rc, SC_EINVAL, "save empty matrix");
    expect_int(count_entries(tmpdir), 0, "nothing written");
    sc_matrix_deinit(&m);
    rmdir(tmpdir);
}

int main(void)
{
    return sc_test_run();
}
