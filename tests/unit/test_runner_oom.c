/* sc_run under allocation failure (docs/TESTING.md, "Unit tests").
 *
 * Runs the full pipeline on the spec tests' tiny fixture zoo (4 models x 2
 * datasets x 12 stimuli, committed .npy files; tests/spec/data) with a
 * spec written here that enables every analysis, making the Nth
 * allocation fail for a spread of N. Each failing run must return
 * SC_ENOMEM and leave no result folder and no staging folder; the ASan
 * build (LeakSanitizer) proves nothing leaks on these paths. Finally a run
 * without injected failures succeeds. No numbers are checked here (the
 * e2e tests do that against numpy/scipy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "../zoo_spec.h"
#include "atomic.h"
#include "init.h"
#include "loader.h"
#include "mem.h"
#include "runner.h"
#include "spec.h"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

SC_TEST(every_failure_is_clean)
{
    char dir[256], spec_path[512], out[512], stage[600];
    snprintf(dir, sizeof dir, "test_runner_oom_%ld", (long)getpid());
    mkdir(dir, 0777);
    snprintf(spec_path, sizeof spec_path, "%s/oom.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(stage, sizeof stage, "%s.tmp-%ld", out, (long)getpid());
    char tail[600];
    snprintf(tail, sizeof tail,
             "behaviour: {accuracy: %s/spec/data/behaviour.csv}\n"
             "metrics: [{name: cka, plugin: cka}]\n"
             "analyses:\n"
             "  consistency: {groupby: [objective], anchors: [m1]}\n"
             "  behaviour: {correlation: pearson}\n"
             "  contrasts: [{attribute: objective}]\n"
             "statistics: {permutations: 9, bootstrap: 5, interval: bca}\n",
             SC_TEST_DIR);
    expect_int(sc_test_zoo_spec(spec_path, "oom", tail), SC_OK,
               "write the spec");
    sc_spec spec;
    memset(&spec, 0, sizeof spec);
    sc_err err;
    sc_err_clear(&err);
    int st = sc_spec_load(spec_path, &spec, &err);
    expect_int(st, SC_OK, "load the spec: %s", err.msg);
    if (st != SC_OK)
        return;
    sc_run_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.out_dir = out;
    opts.quiet = true;
    opts.threads = 1;
    /* Warm the plugin loader outside the failure window: it keeps loaded
     * plugins for the process, so its own allocations happen once. */
    const sc_plugin *p = NULL;
    expect_int(sc_loader_open("cka", NULL, &p, &err), SC_OK, "load cka");
    size_t runs = 0, bad_status = 0, left_behind = 0;
    long n = 1;
    for (;;) {
        sc_err_clear(&err);
        sc_mem_fail_after(n);
        st = sc_run(&spec, &opts, &err);
        sc_mem_fail_after(0);
        runs++;
        if (st == SC_OK)
            break;
        if (st != SC_ENOMEM) {
            if (bad_status++ == 0)
                printf("# N = %ld: status %d, %s\n", n, st, err.msg);
        }
        if (exists(out) || exists(stage))
            left_behind++;
        /* Every N up to 400, then a geometric spread: the late failures
         * are in the resampling loops, which repeat the same paths. */
        n = n < 400 ? n + 1 : n + n / 8;
    }
    expect_true(runs > 100, "%zu runs with an injected failure", runs - 1);
    expect_int((long long)bad_status, 0, "every failed run said SC_ENOMEM");
    expect_int((long long)left_behind, 0,
               "no failed run left a result or staging folder");
    char manifest[600];
    snprintf(manifest, sizeof manifest, "%s/manifest.json", out);
    expect_true(exists(manifest), "the run without failures finished");
    sc_spec_free(&spec);
    sc_rmtree(dir, &err);
}

int main(void)
{
    sc_init();
    int rc = sc_test_run();
    sc_loader_shutdown();
    return rc;
}
