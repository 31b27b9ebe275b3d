/* One task of a planned run (issue 14; run_plan.h): the entry points
 * that run a single similarity task or the assemble step. They sit above
 * the orchestrator (the assemble step is sc_run on the task cache), apart
 * from run_plan.c, whose task records the manifest stage reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int sc_plan_run_task(const sc_spec *spec, const sc_run_opts *opts,
                     const char *id, sc_err *err)
{
    const char *out = opts->out_dir;
    char work[SC_PLAN_PATH_CAP];
    sc_plan_work_dir(out, work, sizeof work);
    size_t nsim = sc_plan_nsim(spec), idx = 0;
    bool assemble = strcmp(id, "assemble") == 0;
    if (!assemble) {
        const char *num = strncmp(id, "similarity/", 11) == 0 ? id + 11 : "";
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(num, &end, 10);
        if (num[0] < '0' || num[0] > '9' || *end != '\0' || errno != 0 ||
            v >= nsim)
            return sc_err_set(err, SC_EINVAL,
                              "--task '%s': no such task; the plan has "
                              "similarity/0 .. similarity/%zu and assemble "
                              "(see --plan)",
                              id, nsim > 0 ? nsim - 1 : 0);
        idx = (size_t)v;
    }
    int st = sc_plan_check(spec, out, err);
    if (st != SC_OK)
        return st;
    sc_run_opts o = *opts;
    o.task_dir = work;
    if (assemble) {
        o.resume = true;
        return sc_run(spec, &o, err);
    }
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
