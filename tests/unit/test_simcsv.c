/* Unit tests for core/simcsv: exact round trip of %.17g numbers, the
 * written text byte for byte, every reading error with its file:line
 * message, atomic writes, and alignment by model name.
 *
 * Expected values are the literal inputs (a round trip must reproduce
 * them bit for bit) and the format spelled out in simcsv.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "mem.h"
#include "simcsv.h"

static char dir[256];

static void make_dir(void)
{
    if (dir[0] != '\0')
        return;
    snprintf(dir, sizeof dir, "/tmp/sc_simcsv_XXXXXX");
    if (mkdtemp(dir) == NULL)
        dir[0] = '\0';
}

static const char *path_of(const char *name)
{
    static char buf[512];
    make_dir();
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static const char *write_text(const char *name, const char *text)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

static void make(sc_simmat *sm, size_t m, const char *const *names,
                 const double *v)
{
    sc_err err;
    sm->m = m;
    sm->names = sc_calloc(m, sizeof *sm->names);
    for (size_t k = 0; k < m; k++)
        sm->names[k] = sc_strdup(names[k]);
    sc_matrix_init(&sm->s, m, m, &err);
    memcpy(sm->s.data, v, m * m * sizeof *v);
}

static const char *const names3[3] = {"vit_b16", "resnet50", "dino-v2 (L)"};
/* High-entropy values, including ones %.6g would round: 1/3, 0.1, 2.385. */
static const double vals3[9] = {1,      0.1,     1.0 / 3, 0.1,   1,
                                -2.385, 1.0 / 3, -2.385,  1e-300};

SC_TEST(round_trip_is_exact_and_text_is_as_documented)
{
    sc_simmat a = {0}, b = {0};
    make(&a, 3, names3, vals3);
    const char *p = path_of("rt.csv");
    sc_err err;
    expect_int(sc_simcsv_write(p, &a, &err), SC_OK, "write");
    expect_int(sc_simcsv_read(p, &b, &err), SC_OK, "read back");
    int same = b.m == 3;
    for (size_t k = 0; same && k < 9; k++)
        same &= b.s.data[k] == vals3[k];
    expect_true(same, "every double bit-identical after the round trip");
    for (size_t k = 0; k < 3 && k < b.m; k++)
        expect_str(b.names[k], names3[k], "name %zu", k);
    FILE *f = fopen(p, "rb");
    char text[512] = {0};
    size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[got] = '\0';
    expect_str(text,
               ",vit_b16,resnet50,dino-v2 (L)\n"
               "vit_b16,1,0.10000000000000001,0.33333333333333331\n"
               "resnet50,0.10000000000000001,1,-2.3849999999999998\n"
               "dino-v2 (L),0.33333333333333331,-2.3849999999999998,"
               "1e-300\n",
               "file text: header, rows, %%.17g (Python '%%.17g' %% v "
               "gives the same digits)");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    expect_true(access(tmp, F_OK) != 0, "no temp file left behind");
    sc_simmat_deinit(&a);
    sc_simmat_deinit(&b);
}

SC_TEST(crlf_and_final_newline_accepted)
{
    const char *p = write_text("crlf.csv", ",a,b\r\na,1,0.5\r\nb,0.5,1");
    sc_simmat s = {0};
    sc_err err;
    expect_int(sc_simcsv_read(p, &s, &err), SC_OK, "CRLF, no final newline");
    expect_true(s.m == 2 && s.s.data[1] == 0.5, "values read");
    sc_simmat_deinit(&s);
}

typedef struct bad_case {
    const char *text;
    int status;
    const char *msg; /* expected message after "<path>" */
} bad_case;

SC_TEST(read_errors_name_file_line_and_fix)
{
    static const bad_case cases[] = {
        {"", SC_EIO,
         ":1: empty file or empty header; expected \",name1,name2,...\""},
        {"a,b\n", SC_EIO,
         ":1: header must start with ',' followed by the model names "
         "(\",name1,name2,...\")"},
        {",a,,c\n", SC_EIO,
         ":1: model name 2 is empty; every column needs a name"},
        {",a,\"b\"\n", SC_EIO,
         ":1: model name 2 (\"b\") is quoted; simcon CSV uses no quoting, "
         "so names cannot contain ',' or '\"'"},
        {",a,b,a\n", SC_EIO,
         ":1: model name 'a' appears twice (columns 1 and 3); names must "
         "be unique"},
        {",a,b\na,1,0.5\nb,0.5\n", SC_EIO,
         ":3: 2 fields, expected 3 (the row name and 2 numbers)"},
        {",a,b\na,1,0.5\nc,0.5,1\n", SC_EIO,
         ":3: row 2 is named 'c' but header column 2 is 'b'; rows must "
         "follow the header order"},
        {",a,b\na,1,0.5x\nb,0.5,1\n", SC_EIO,
         ":2: column 'b': '0.5x' is not a number"},
        {",a,b\na,1,\nb,0.5,1\n", SC_EIO, ":2: column 'b': '' is not a number"},
        /* strtod reads hexadecimal; a CSV number is decimal (issue 18). */
        {",a,b\na,1,0x1p-1\nb,0.5,1\n", SC_EIO,
         ":2: column 'b': '0x1p-1' is not a number"},
        {",a,b\na,1,nan\nb,0.5,1\n", SC_ENUMERIC,
         ":2: column 'b': non-finite value 'nan'; recompute the matrix"},
        {",a,b\na,1,0.5\n", SC_EIO,
         ":3: 1 rows but 2 names in the header; the matrix must be square"},
        {",a,b\na,1,0.5\nb,0.5,1\nc,1,1\n", SC_EIO,
         ":4: more rows than the 2 names in the header; the matrix must be "
         "square"},
        {",a,b\na,1,0.5\n\nb,0.5,1\n", SC_EIO,
         ":3: empty line inside the matrix; remove it"},
        /* CRLF strips one CR; a second one was kept in the name (fuzz). */
        {",a,b\r\r\na,1,0.5\r\nb,0.5,1\r\n", SC_EIO,
         ":1: model name 2 contains a control character (e.g. a stray "
         "carriage return); names must be printable text"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.csv", c);
        const char *p = write_text(name, cases[c].text);
        char want[1024];
        snprintf(want, sizeof want, "%s%s", p, cases[c].msg);
        sc_simmat s = {0};
        sc_err err;
        int rc = sc_simcsv_read(p, &s, &err);
        expect_int(rc, cases[c].status, "case %zu status", c);
        expect_str(err.msg, want, "case %zu message", c);
        expect_true(s.m == 0 && s.names == NULL && s.s.data == NULL,
                    "case %zu leaves the output empty", c);
    }
    sc_simmat s = {0};
    sc_err err;
    expect_int(sc_simcsv_read(path_of("missing.csv"), &s, &err), SC_EIO,
               "missing file");
    expect_contains(err.msg, "missing.csv: cannot open: No such file",
                    "missing file message");
}

/* fuzz_simcsv's finding: a NUL byte cut the header short as a C string,
 * and the name before it ("\r\r\r") was accepted. */
SC_TEST(nul_byte_is_refused_with_its_line)
{
    static const char text[] = ",a,b\na,1,0.5\nb,0.5\0,1\n";
    const char *p = path_of("nul.csv");
    FILE *f = fopen(p, "wb");
    expect_true(f != NULL, "create nul.csv");
    if (f == NULL)
        return;
    fwrite(text, 1, sizeof text - 1, f);
    fclose(f);
    sc_simmat s = {0};
    sc_err err;
    expect_int(sc_simcsv_read(p, &s, &err), SC_EIO, "NUL byte status");
    char want[1024];
    snprintf(want, sizeof want,
             "%s:3: NUL byte; a similarity CSV is text, rewrite the file", p);
    expect_str(err.msg, want, "NUL byte message");
    expect_true(s.m == 0 && s.names == NULL && s.s.data == NULL,
                "NUL byte leaves the output empty");
}

SC_TEST(write_errors_leave_nothing)
{
    const char *const bad_names[2] = {"a,b", "c"};
    const double v[4] = {1, 0.5, 0.5, 1};
    sc_simmat s = {0};
    make(&s, 2, bad_names, v);
    const char *p = path_of("never.csv");
    sc_err err;
    expect_int(sc_simcsv_write(p, &s, &err), SC_EINVAL, "comma in a name");
    expect_str(err.msg,
               "simcsv: model name 1 ('a,b') is empty or contains ',', '\"' "
               "or a line break; rename the model",
               "bad name message");
    expect_true(access(p, F_OK) != 0, "no file written");
    sc_free(s.names[0]);
    s.names[0] = sc_strdup("a");
    s.s.data[3] = 1.0 / 0.0;
    expect_int(sc_simcsv_write(p, &s, &err), SC_ENUMERIC, "inf entry");
    expect_str(err.msg,
               "simcsv: entry ('c', 'c') is not finite; refusing to write it",
               "inf message");
    s.s.data[3] = 1;
    expect_int(sc_simcsv_write("/nonexistent-dir/x.csv", &s, &err), SC_EIO,
               "unwritable folder");
    expect_contains(err.msg, "cannot create", "unwritable message");
    expect_true(access(p, F_OK) != 0, "still no file");
    sc_simmat_deinit(&s);
}

SC_TEST(align_by_name)
{
    const char *const order_b[3] = {"dino-v2 (L)", "vit_b16", "resnet50"};
    /* b lists the same matrix as vals3 in the order (2, 0, 1). */
    const double vb[9] = {1e-300, 1.0 / 3, -2.385, 1.0 / 3, 1,
                          0.1,    -2.385,  0.1,    1};
    sc_simmat a = {0}, b = {0}, out = {0};
    make(&a, 3, names3, vals3);
    make(&b, 3, order_b, vb);
    sc_err err;
    expect_int(sc_simmat_align(&a, "A.csv", &b, "B.csv", &out, &err), SC_OK,
               "align");
    int same = out.m == 3;
    for (size_t k = 0; same && k < 9; k++)
        same &= out.s.data[k] == vals3[k];
    expect_true(same, "b reordered to a's order equals a");
    sc_simmat_deinit(&out);
    sc_free(b.names[1]);
    b.names[1] = sc_strdup("vit_l14");
    expect_int(sc_simmat_align(&a, "A.csv", &b, "B.csv", &out, &err), SC_EINVAL,
               "missing model");
    expect_str(err.msg,
               "model 'vit_b16' of A.csv is missing from B.csv; both "
               "matrices must have the same models",
               "missing model message");
    expect_true(out.m == 0 && out.names == NULL, "no partial output");
    sc_simmat_deinit(&a);
    sc_simmat_deinit(&b);
}

/* Every allocation failure while reading, writing or aligning is reported
 * as SC_ENOMEM with an empty output (ASan checks for leaks). */
SC_TEST(allocation_failures_are_reported)
{
    sc_simmat a = {0};
    make(&a, 3, names3, vals3);
    const char *p = path_of("oom.csv");
    sc_err err;
    sc_simcsv_write(p, &a, &err);
    int rc = SC_ENOMEM, only_enomem = 1, empty = 1;
    long n;
    for (n = 1; n < 100 && rc != SC_OK; n++) {
        sc_simmat b = {0}, c = {0};
        sc_mem_fail_after(n);
        rc = sc_simcsv_read(p, &b, &err);
        if (rc == SC_OK) {
            rc = sc_simmat_align(&a, "a", &b, "b", &c, &err);
            empty &= rc == SC_OK || (c.m == 0 && c.names == NULL);
        } else {
            empty &= b.m == 0 && b.names == NULL && b.s.data == NULL;
        }
        if (rc == SC_OK)
            rc = sc_simcsv_write(p, &c, &err);
        sc_mem_fail_after(0);
        only_enomem &= rc == SC_OK || rc == SC_ENOMEM;
        sc_simmat_deinit(&b);
        sc_simmat_deinit(&c);
    }
    expect_true(only_enomem, "failures are SC_ENOMEM");
    expect_true(empty, "failed calls leave their output empty");
    expect_int(rc, SC_OK, "succeeds after %ld failures", n - 2);
    sc_simmat_deinit(&a);
}

int main(void)
{
    int rc = sc_test_run();
    if (dir[0] != '\0') {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return rc;
}
