/* Atomic writes and staged result folders (core/atomic.c).
 *
 * Properties checked (all from atomic.h's contract, no numbers involved):
 * a file is replaced whole and no temp file remains; a failed write leaves
 * the old file untouched; a staging folder replaces a previous result of
 * the same spec, is refused for a foreign or other-spec folder before
 * anything is created, and leaves nothing behind when aborted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "atomic.h"
#include "mem.h"

static char base[256];

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    sc_err err;
    if (sc_read_text(path, &text, NULL, &err) != SC_OK)
        return NULL;
    return text;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

SC_TEST(atomic_write_replaces_whole_file)
{
    char path[512], tmp[600];
    snprintf(path, sizeof path, "%s/table.csv", base);
    put(path, "old contents\n");
    sc_err err;
    sc_err_clear(&err);
    const char *text = "a,b\n1,2\n";
    expect_int(sc_atomic_write(path, text, strlen(text), &err), SC_OK, "write");
    char *got = slurp(path);
    expect_str(got, text, "file holds exactly the new bytes");
    sc_free(got);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    expect_true(!exists(tmp), "no temp file left");
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.csv", base);
    expect_int(sc_atomic_write(missing, "x", 1, &err), SC_EIO,
               "missing folder");
    expect_contains(err.msg,
                    "cannot create: No such file or directory; "
                    "check that the folder exists and is writable",
                    "message says what failed and what to do");
}

SC_TEST(buffer_formats_and_grows)
{
    sc_buf b = {0};
    for (int k = 0; k < 1000; k++)
        sc_buf_printf(&b, "%d,", k % 10);
    expect_int((long long)b.len, 2000, "1000 appends of 2 bytes");
    expect_true(strncmp(b.data, "0,1,2,", 6) == 0, "content in order");
    sc_err err;
    expect_int(sc_buf_check(&b, "x", &err), SC_OK, "no failure recorded");
    sc_buf_deinit(&b);
    sc_buf c = {0};
    sc_mem_fail_after(1);
    sc_buf_puts(&c, "hello");
    sc_mem_fail_after(0);
    expect_int(sc_buf_check(&c, "table.md", &err), SC_ENOMEM,
               "allocation failure is remembered");
    expect_str(err.msg, "out of memory formatting table.md", "message");
    sc_buf_deinit(&c);
}

SC_TEST(stage_replaces_same_spec_result)
{
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/results/demo", base);
    sc_stage st;
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_OK,
               "first stage (parent folders created)");
    expect_true(!exists(dir), "nothing at DIR before commit");
    char want_tmp[600];
    snprintf(want_tmp, sizeof want_tmp, "%s.tmp-%ld/demo", dir, (long)getpid());
    expect_str(st.tmp, want_tmp, "staging folder carries DIR's name");
    snprintf(file, sizeof file, "%s/manifest.json", st.tmp);
    put(file, "{\n  \"simcon_result\": true,\n  \"name\": \"demo\",\n}\n");
    char root[600];
    snprintf(root, sizeof root, "%s", st.root);
    expect_int(sc_stage_commit(&st, &err), SC_OK, "commit");
    snprintf(file, sizeof file, "%s/manifest.json", dir);
    expect_true(exists(file), "result in place");
    expect_true(!exists(root), "staging root removed after commit");
    /* Second run of the same spec replaces it. */
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_OK,
               "same spec may replace its previous result");
    snprintf(file, sizeof file, "%s/manifest.json", st.tmp);
    put(file, "{\n  \"simcon_result\": true,\n  \"name\": \"demo\",\n"
              "  \"run\": 2\n}\n");
    expect_int(sc_stage_commit(&st, &err), SC_OK, "second commit");
    snprintf(file, sizeof file, "%s/manifest.json", dir);
    char *got = slurp(file);
    expect_contains(got, "\"run\": 2", "the new result replaced the old");
    sc_free(got);
    /* Another spec's name: refused, nothing created. */
    expect_int(sc_stage_begin(&st, dir, "other", &err), SC_EIO,
               "other spec refused");
    expect_contains(err.msg, "holds the result of another spec",
                    "message names the reason");
    expect_contains(err.msg, "choose another -o DIR or remove it",
                    "and what to do");
    /* Aborting a stage removes it and leaves the result alone. */
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_OK, "third stage");
    char tmpdir[512];
    snprintf(tmpdir, sizeof tmpdir, "%s", st.root);
    snprintf(file, sizeof file, "%s/half.csv", st.tmp);
    put(file, "half");
    sc_stage_abort(&st);
    expect_true(!exists(tmpdir), "aborted staging folder removed");
    snprintf(file, sizeof file, "%s/manifest.json", dir);
    got = slurp(file);
    expect_contains(got, "\"run\": 2", "previous result untouched by abort");
    sc_free(got);
}

SC_TEST(stage_refuses_foreign_folder)
{
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/mine", base);
    mkdir(dir, 0777);
    snprintf(file, sizeof file, "%s/thesis.tex", dir);
    put(file, "precious");
    sc_stage st;
    sc_err err;
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_EIO,
               "non-empty folder without manifest refused");
    expect_contains(err.msg, "is not a simcon result folder",
                    "message says why");
    char *got = slurp(file);
    expect_str(got, "precious", "the user's file is intact");
    sc_free(got);
    snprintf(file, sizeof file, "%s/plainfile", base);
    put(file, "x");
    expect_int(sc_stage_begin(&st, file, "demo", &err), SC_EIO,
               "a file at DIR refused");
    expect_contains(err.msg, "exists and is not a folder", "message");
    /* An empty folder may be used. */
    snprintf(dir, sizeof dir, "%s/empty", base);
    mkdir(dir, 0777);
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_OK,
               "an empty folder is fine");
    sc_stage_abort(&st);
}

SC_TEST(stale_stages_found)
{
    char dir[512], stale[600];
    snprintf(dir, sizeof dir, "%s/res2", base);
    /* pid 2^22+1 is above Linux's pid_max default of 2^22, so no process
     * has it: the folder is a leftover of a dead run. */
    snprintf(stale, sizeof stale, "%s.tmp-4194305", dir);
    mkdir(stale, 0777);
    char **dirs = NULL;
    size_t n = 0;
    sc_err err;
    expect_int(sc_stage_stale(dir, &dirs, &n, &err), SC_OK, "scan");
    expect_int((long long)n, 1, "one stale staging folder");
    char inner[700];
    snprintf(inner, sizeof inner, "%s/res2", stale);
    if (n == 1)
        expect_str(dirs[0], inner, "its inner result folder");
    for (size_t k = 0; k < n; k++)
        sc_free(dirs[k]);
    sc_free(dirs);
    expect_int(sc_rmtree(stale, &err), SC_OK, "remove it");
    expect_true(!exists(stale), "gone");
}

int main(void)
{
    snprintf(base, sizeof base, "test_runner_atomic_%ld", (long)getpid());
    mkdir(base, 0777);
    int rc = sc_test_run();
    sc_err err;
    sc_rmtree(base, &err);
    return rc;
}
