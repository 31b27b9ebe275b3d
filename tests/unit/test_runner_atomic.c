/* Atomic writes and staged result folders (core/base/fs_*.c).
 *
 * Properties checked (all from atomic.h's contract, no numbers involved):
 * a file is replaced whole and no temp file remains; a failed write leaves
 * the old file untouched; a staging folder replaces a previous result of
 * the same spec, is refused for a foreign or other-spec folder before
 * anything is created, and leaves nothing behind when aborted. Issue 18:
 * outputs that are FIFOs, sockets, folders or links are refused and left
 * as they were; removal never follows a link; a second stage of the same
 * folder fails on the lock instead of deleting the first one's staging
 * (same pid, as in two PID namespaces); a "DIR.old-*" left by a crash is
 * restored or removed; the other-spec guard compares whole names; inputs
 * that are FIFOs are refused without blocking. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
    return lstat(path, &st) == 0;
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

static void put_manifest(const char *dir, const char *name, const char *extra)
{
    char file[4096];
    snprintf(file, sizeof file, "%s/manifest.json", dir);
    FILE *f = fopen(file, "w");
    fprintf(f, "{\n  \"simcon_result\": true,\n  \"name\": \"%s\",\n%s}\n",
            name, extra);
    fclose(f);
}

SC_TEST(atomic_write_replaces_whole_file)
{
    char path[512], tmp[600];
    snprintf(tmp, sizeof tmp, "%s/aw", base);
    mkdir(tmp, 0777);
    snprintf(path, sizeof path, "%s/aw/table.csv", base);
    put(path, "old contents\n");
    sc_err err;
    sc_err_clear(&err);
    const char *text = "a,b\n1,2\n";
    expect_int(sc_atomic_write(path, text, strlen(text), &err), SC_OK, "write");
    char *got = slurp(path);
    expect_str(got, text, "file holds exactly the new bytes");
    sc_free(got);
    snprintf(tmp, sizeof tmp, "%s/aw", base);
    expect_int(count_entries(tmp), 1, "no temp file left beside it");
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
    snprintf(want_tmp, sizeof want_tmp, "%s.tmp-", dir);
    expect_true(strncmp(st.tmp, want_tmp, strlen(want_tmp)) == 0 &&
                    strlen(st.tmp) == strlen(want_tmp) + 8 + 5 &&
                    strcmp(st.tmp + strlen(st.tmp) - 5, "/demo") == 0,
                "staging folder DIR.tmp-<8 random>/demo carries DIR's name "
                "(%s)",
                st.tmp);
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
    /* A staging folder of an earlier run (this one the older name form
     * "<pid>"): under the lock no other run is active, so it is stale. */
    snprintf(stale, sizeof stale, "%s.tmp-4194305", dir);
    mkdir(stale, 0777);
    char inner0[700];
    snprintf(inner0, sizeof inner0, "%s/res2", stale);
    mkdir(inner0, 0777);
    char **dirs = NULL;
    size_t n = 0;
    sc_err err;
    expect_int(sc_stage_stale(dir, NULL, &dirs, &n, &err), SC_OK, "scan");
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

/* Issue 18, defect 2: the atomic write renamed its temp file over any
 * path. Device nodes need root and a private mount namespace: see
 * tests/fs (fs.matrix_special_outputs); FIFO, socket, folder and links are
 * checked here. */
SC_TEST(atomic_write_refuses_special_outputs)
{
    char dir[512], path[600], target[600];
    snprintf(dir, sizeof dir, "%s/special", base);
    mkdir(dir, 0777);
    sc_err err;
    snprintf(path, sizeof path, "%s/fifo", dir);
    expect_int(mkfifo(path, 0666), 0, "mkfifo");
    expect_int(sc_atomic_write(path, "x", 1, &err), SC_EIO, "FIFO refused");
    expect_contains(err.msg, "fifo: is a FIFO; simcon writes only regular",
                    "message says what it is");
    struct stat st;
    expect_true(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode),
                "the FIFO is still a FIFO");
    snprintf(path, sizeof path, "%s/sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", path);
    expect_int(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind socket");
    expect_int(sc_atomic_write(path, "x", 1, &err), SC_EIO, "socket refused");
    expect_contains(err.msg, "is a socket", "message");
    expect_true(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode),
                "the socket is still a socket");
    close(fd);
    snprintf(path, sizeof path, "%s/folder", dir);
    mkdir(path, 0777);
    expect_int(sc_atomic_write(path, "x", 1, &err), SC_EIO, "folder refused");
    expect_contains(err.msg, "is a folder", "message");
    /* A link is refused, not written through and not replaced. */
    snprintf(target, sizeof target, "%s/target.csv", dir);
    put(target, "precious");
    snprintf(path, sizeof path, "%s/link.csv", dir);
    expect_int(symlink("target.csv", path), 0, "symlink");
    expect_int(sc_atomic_write(path, "x", 1, &err), SC_EIO, "link refused");
    expect_contains(err.msg, "is a symbolic link", "message");
    expect_true(lstat(path, &st) == 0 && S_ISLNK(st.st_mode),
                "the link is still a link");
    char *got = slurp(target);
    expect_str(got, "precious", "its target is untouched");
    sc_free(got);
    /* Nothing else was left in the folder (no temp files). */
    expect_int(count_entries(dir), 5, "only the five entries made here");
}

/* Issue 18, defect 1 (and the rule for every removal): sc_rmtree removes a
 * link, never what it points to. */
SC_TEST(rmtree_never_follows_links)
{
    char outside[512], tree[512], p[700];
    snprintf(outside, sizeof outside, "%s/outside", base);
    mkdir(outside, 0777);
    snprintf(p, sizeof p, "%s/canary", outside);
    put(p, "alive");
    snprintf(tree, sizeof tree, "%s/tree", base);
    mkdir(tree, 0777);
    snprintf(p, sizeof p, "%s/sub", tree);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/sub/dirlink", tree);
    expect_int(symlink("../../outside", p), 0, "link to a folder outside");
    snprintf(p, sizeof p, "%s/filelink", tree);
    expect_int(symlink("../outside/canary", p), 0, "link to a file outside");
    sc_err err;
    expect_int(sc_rmtree(tree, &err), SC_OK, "remove the tree");
    expect_true(!exists(tree), "tree gone");
    snprintf(p, sizeof p, "%s/canary", outside);
    char *got = slurp(p);
    expect_str(got, "alive", "the link targets are untouched");
    sc_free(got);
    /* A path that is itself a link: the link goes, the target stays. */
    snprintf(p, sizeof p, "%s/toplink", base);
    expect_int(symlink("outside", p), 0, "top-level link");
    expect_int(sc_rmtree(p, &err), SC_OK, "remove the link");
    expect_true(!exists(p), "link gone");
    expect_int(count_entries(outside), 1, "the folder it named is intact");
}

/* Issue 18, defect 4: the staging folder was DIR.tmp-<pid> and a second
 * run with the same pid (another PID namespace) deleted the first one's as
 * its own. Two stages in one process have the same pid, like that. */
SC_TEST(second_stage_of_same_folder_fails_on_lock)
{
    char dir[512], file[700];
    snprintf(dir, sizeof dir, "%s/shared", base);
    sc_stage a, b;
    sc_err err;
    expect_int(sc_stage_begin(&a, dir, "demo", &err), SC_OK, "first run");
    snprintf(file, sizeof file, "%s/similarity.csv", a.tmp);
    put(file, "first run's matrix");
    expect_int(sc_stage_begin(&b, dir, "demo", &err), SC_EIO,
               "second run (same pid) refused");
    expect_contains(err.msg, "another simcon run is writing this result folder",
                    "message says why");
    expect_contains(err.msg, "wait for it to finish or choose another -o DIR",
                    "and what to do");
    char *got = slurp(file);
    expect_str(got, "first run's matrix",
               "the first run's staging is untouched");
    sc_free(got);
    put_manifest(a.tmp, "demo", "");
    expect_int(sc_stage_commit(&a, &err), SC_OK, "first run commits");
    snprintf(file, sizeof file, "%s/similarity.csv", dir);
    expect_true(exists(file), "its result is complete");
    snprintf(file, sizeof file, "%s.simcon-lock", dir);
    expect_true(!exists(file), "lock file removed when the run ends");
    expect_int(sc_stage_begin(&b, dir, "demo", &err), SC_OK,
               "a later run gets the lock");
    sc_stage_abort(&b);
    /* A staging folder named after our own pid, from another process
     * (the old naming): begin must not delete it as its own. */
    snprintf(file, sizeof file, "%s.tmp-%ld", dir, (long)getpid());
    mkdir(file, 0777);
    char inner[800];
    snprintf(inner, sizeof inner, "%s/other-run.csv", file);
    put(inner, "x");
    expect_int(sc_stage_begin(&b, dir, "demo", &err), SC_OK, "begin");
    expect_true(exists(inner), "a same-pid folder is not taken as ours");
    expect_true(strcmp(b.root, file) != 0, "our staging has its own name");
    sc_stage_abort(&b);
    sc_rmtree(file, &err);
}

/* Issue 18, defect 13: "DIR.old-<pid>" left by a crash between the two
 * renames of the swap was never cleaned up. */
SC_TEST(old_folder_left_by_crash_is_restored_or_removed)
{
    char dir[512], old[700], file[800];
    snprintf(dir, sizeof dir, "%s/crash", base);
    /* Crash between the renames: DIR is gone, DIR.old-* holds it. */
    snprintf(old, sizeof old, "%s.old-4194305", dir);
    mkdir(old, 0777);
    put_manifest(old, "demo", "  \"run\": 1\n");
    sc_stage st;
    sc_err err;
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_OK, "begin");
    snprintf(file, sizeof file, "%s/manifest.json", dir);
    char *got = slurp(file);
    expect_contains(got, "\"run\": 1",
                    "the previous result is moved back to DIR");
    sc_free(got);
    expect_true(!exists(old), "and no longer under DIR.old-*");
    sc_stage_abort(&st);
    expect_true(exists(file), "a failed run leaves it in DIR");
    /* Both present (crash after the second rename): the next successful
     * run removes the left-over. A user's folder of that form stays. */
    mkdir(old, 0777);
    put_manifest(old, "demo", "");
    char mine[700];
    snprintf(mine, sizeof mine, "%s.old-backup", dir);
    mkdir(mine, 0777);
    snprintf(file, sizeof file, "%s/thesis.tex", mine);
    put(file, "precious");
    expect_int(sc_stage_begin(&st, dir, "demo", &err), SC_OK, "begin");
    put_manifest(st.tmp, "demo", "  \"run\": 2\n");
    expect_int(sc_stage_commit(&st, &err), SC_OK, "commit");
    expect_true(!exists(old), "left-over DIR.old-* removed");
    expect_true(exists(file), "a folder that is not simcon's is kept");
    snprintf(file, sizeof file, "%s/manifest.json", dir);
    got = slurp(file);
    expect_contains(got, "\"run\": 2", "new result in place");
    sc_free(got);
}

/* Issue 18, defect 14: the guard built "name": "<name>" in a 512-byte
 * buffer, so two long names sharing a 495-character prefix matched. */
SC_TEST(other_spec_guard_compares_whole_names)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/longname", base);
    mkdir(dir, 0777);
    char a[701], b[701];
    memset(a, 'x', 700);
    memset(b, 'x', 700);
    a[700] = b[700] = '\0';
    a[699] = 'a';
    b[699] = 'b';
    put_manifest(dir, a, "");
    sc_stage st;
    sc_err err;
    expect_int(sc_stage_begin(&st, dir, b, &err), SC_EIO,
               "a 700-character name differing in its last character is "
               "another spec");
    expect_contains(err.msg, "holds the result of another spec", "message");
    expect_int(sc_stage_begin(&st, dir, a, &err), SC_OK,
               "the same long name may replace it");
    sc_stage_abort(&st);
    /* Names with JSON escapes (as the manifest writes them). */
    put_manifest(dir, "q\\\"x", "");
    expect_int(sc_stage_begin(&st, dir, "q\"x", &err), SC_OK,
               "a name with a quote matches its escaped form");
    sc_stage_abort(&st);
}

/* Issue 18, defect 9: a FIFO as an input blocked in open(). With no
 * writer, a blocking open of a FIFO never returns; this test would hang
 * (CTest timeout) before the fix. */
SC_TEST(fifo_input_refused_without_blocking)
{
    char path[512];
    snprintf(path, sizeof path, "%s/ids.fifo", base);
    expect_int(mkfifo(path, 0666), 0, "mkfifo");
    expect_int(sc_open_regular(path), SC_NOT_REGULAR, "FIFO refused");
    char *text = NULL;
    sc_err err;
    expect_int(sc_read_text(path, &text, NULL, &err), SC_EIO, "read refused");
    expect_contains(err.msg, "not a regular file", "message");
    snprintf(path, sizeof path, "%s/regular.txt", base);
    put(path, "ok");
    int fd = sc_open_regular(path);
    expect_true(fd >= 0, "a regular file opens");
    char c[2];
    expect_int((long long)read(fd, c, 2), 2, "and reads normally (blocking)");
    close(fd);
}

/* sc_prefetch_file is a hint: on a FIFO it must not block (a writer-less
 * FIFO would hang a blocking open; CTest's timeout catches that) nor
 * consume anything, on a missing path it must do nothing, and a regular
 * file reads back unchanged after it. */
SC_TEST(prefetch_is_only_a_hint)
{
    char path[512];
    snprintf(path, sizeof path, "%s/prefetch.fifo", base);
    expect_int(mkfifo(path, 0666), 0, "mkfifo");
    sc_prefetch_file(path);
    struct stat st;
    expect_int(stat(path, &st), 0, "the FIFO is still there");
    expect_true(S_ISFIFO(st.st_mode), "and still a FIFO");
    snprintf(path, sizeof path, "%s/prefetch-missing.npy", base);
    sc_prefetch_file(path);
    expect_int(stat(path, &st), -1, "a missing path is not created");
    snprintf(path, sizeof path, "%s/prefetch.txt", base);
    put(path, "features");
    sc_prefetch_file(path);
    char *text = NULL;
    size_t len = 0;
    sc_err err;
    expect_int(sc_read_text(path, &text, &len, &err), SC_OK, "reads");
    expect_int((long long)len, 8, "all of it");
    expect_true(text != NULL && memcmp(text, "features", 8) == 0, "unchanged");
    sc_free(text);
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
