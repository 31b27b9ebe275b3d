/* One task of a planned run (issue 14; run_plan.h): the entry points
 * that run a single similarity task or the assemble step. They sit above
 * the orchestrator (the assemble step is sc_run on the task cache), apart
 * from run_plan.c, whose task records the manifest stage reads. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "run_internal.h"
#include "run_plan.h"

int sc_run_similarity_task(const sc_spec *spec, const sc_run_opts *opts,
                           size_t d, size_t k, bool *cached, char key[65],
                           sc_err *err)
{
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, opts);
    int st = sc_run_ctx_load_metrics(&rc, err);
    if (st == SC_OK)
        st = sc_run_similarity_one(&rc, d, k, cached, key, err);
    sc_run_ctx_free(&rc);
    return st;
}

/* Task consistency/<c>: the matrices from the task cache, then its units
 * [u0, u1) (sc_run_consistency_units). */
static int consistency_task(const sc_spec *spec, const sc_run_opts *o, size_t c,
                            size_t chunks, size_t *computed, size_t *cached,
                            sc_err *err)
{
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, o);
    run_sets sets;
    memset(&sets, 0, sizeof sets);
    size_t u0 = 0, u1 = 0, npairs = rc.npairs;
    sc_plan_chunk_range(rc.M * npairs, chunks, c, &u0, &u1);
    bool *need = sc_calloc(rc.D + 1, sizeof *need);
    int st = need != NULL ? SC_OK : sc_err_set(err, SC_ENOMEM, "out of memory");
    /* Every dataset's matrices: the batched engine (sc_run_cons_rows)
     * checks all of a metric's matrices, not only the chunk's pairs. */
    for (size_t d = 0; d < rc.D && st == SC_OK; d++)
        need[d] = true;
    if (st == SC_OK)
        st = sc_run_ctx_load_metrics(&rc, err);
    if (st == SC_OK)
        st = sc_run_similarity_cached(&rc, need, err);
    if (st == SC_OK)
        st = sc_run_build_sets(&rc, &sets, err);
    if (st == SC_OK)
        st =
            sc_run_consistency_units(&rc, &sets, u0, u1, computed, cached, err);
    sc_free(need);
    sc_run_sets_free(&sets);
    sc_run_ctx_free(&rc);
    return st;
}

/* The number after prefix in id, below limit, into *v; false otherwise. */
static bool task_number(const char *id, const char *prefix, size_t limit,
                        size_t *v)
{
    size_t len = strlen(prefix);
    if (strncmp(id, prefix, len) != 0)
        return false;
    const char *num = id + len;
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(num, &end, 10);
    if (num[0] < '0' || num[0] > '9' || *end != '\0' || errno != 0 ||
        x >= limit)
        return false;
    *v = (size_t)x;
    return true;
}

static int run_consistency_task(const sc_spec *spec, const sc_run_opts *o,
                                const char *id, size_t c, size_t chunks,
                                sc_err *err)
{
    double t0 = sc_run_now();
    size_t computed = 0, cached = 0;
    int st = consistency_task(spec, o, c, chunks, &computed, &cached, err);
    if (st != SC_OK) {
        sc_err_prefix(err, "task %s", id);
        return st;
    }
    char file[64], key[64];
    snprintf(file, sizeof file, "consistency-%zu", c);
    snprintf(key, sizeof key, "%zu computed, %zu cached", computed, cached);
    st = sc_plan_write_record(o->out_dir, id, file, "-", "-", computed == 0,
                              key, sc_run_now() - t0, err);
    if (st == SC_OK && !o->quiet)
        fprintf(stderr,
                "simcon run: task %s: %s%zu unit(s) (metric x dataset pair) "
                "into %s/.cache\n",
                id, computed == 0 ? "already done, " : "wrote ",
                computed + cached, o->task_dir);
    return st;
}

int sc_plan_run_task(const sc_spec *spec, const sc_run_opts *opts,
                     const char *id, sc_err *err)
{
    const char *out = opts->out_dir;
    char work[SC_PLAN_PATH_CAP];
    sc_plan_work_dir(out, work, sizeof work);
    size_t nsim = sc_plan_nsim(spec), idx = 0, chunks = 0;
    bool assemble = strcmp(id, "assemble") == 0;
    bool cons = task_number(id, "consistency/", SIZE_MAX, &idx);
    if (!assemble && !cons && !task_number(id, "similarity/", nsim, &idx))
        return sc_err_set(err, SC_EINVAL,
                          "--task '%s': no such task; the plan has "
                          "similarity/0 .. similarity/%zu, consistency/<c> "
                          "and assemble (see --plan)",
                          id, nsim > 0 ? nsim - 1 : 0);
    int st = sc_plan_check(spec, out, err);
    if (st == SC_OK)
        st = sc_plan_read_chunks(out, &chunks, err);
    if (st != SC_OK)
        return st;
    if (cons && idx >= chunks)
        return sc_err_set(err, SC_EINVAL,
                          "--task '%s': no such task; the plan has %zu "
                          "consistency task(s) (see %s/plan.txt)",
                          id, chunks, work);
    sc_run_opts o = *opts;
    o.task_dir = work;
    if (assemble) {
        o.resume = true;
        return sc_run(spec, &o, err);
    }
    if (cons)
        return run_consistency_task(spec, &o, id, idx, chunks, err);
    size_t M = spec->nmetrics, d = idx / M, k = idx % M;
    double t0 = sc_run_now();
    bool cached = false;
    char key[SC_SHA256_HEX] = "";
    st = sc_run_similarity_task(spec, &o, d, k, &cached, key, err);
    if (st != SC_OK) {
        sc_err_prefix(err, "task %s", id);
        return st;
    }
    char file[64];
    snprintf(file, sizeof file, "similarity-%zu", idx);
    st = sc_plan_write_record(out, id, file, spec->datasets[d].name,
                              spec->metrics[k].name, cached, key,
                              sc_run_now() - t0, err);
    if (st == SC_OK && !o.quiet)
        fprintf(stderr, "simcon run: task %s (%s/%s): %s %s/.cache/%s.csv\n",
                id, spec->datasets[d].name, spec->metrics[k].name,
                cached ? "already done," : "wrote", work, key);
    return st;
}
