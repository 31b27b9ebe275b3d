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

/* Domain i among the datasets' non-empty domains in first-appearance
 * order (the behaviour stage's mean rows). */
static const char *nth_domain(const sc_spec *spec, size_t i)
{
    for (size_t d = 0; d < spec->ndatasets; d++) {
        const char *dm = spec->datasets[d].domain;
        bool first = dm != NULL && dm[0] != '\0';
        for (size_t e = 0; e < d && first; e++)
            first = spec->datasets[e].domain == NULL ||
                    strcmp(spec->datasets[e].domain, dm) != 0;
        if (first && i-- == 0)
            return dm;
    }
    return NULL;
}

/* The matrices (k * D + d) that units [u0, u1) of stage g read. */
static void mark_needed(const sc_runctx *rc, int g, size_t u0, size_t u1,
                        bool *need)
{
    const sc_spec *spec = rc->spec;
    size_t D = rc->D;
    for (size_t u = u0; u < u1; u++) {
        if (g == SC_PLAN_CONS) {
            size_t k = u / rc->npairs, q = u % rc->npairs;
            for (size_t a = 0; a < D; a++)
                for (size_t b = a + 1; b < D; b++)
                    if (sc_run_pair_index(a, b, D) == q)
                        need[k * D + a] = need[k * D + b] = true;
        } else if (g == SC_PLAN_CONTRASTS) {
            for (size_t d = 0; d < D; d++)
                need[u / spec->ncontrasts * D + d] = true;
        } else {
            /* Rows: the datasets, a mean per domain (first-appearance
             * order), mean:all. */
            size_t per = sc_plan_units(spec, SC_PLAN_BEHAVIOUR) / rc->M;
            size_t k = u / per, e = u % per;
            const char *dom =
                e >= D && e + 1 < per ? nth_domain(spec, e - D) : NULL;
            for (size_t d = 0; d < D; d++) {
                const char *dm = spec->datasets[d].domain;
                bool in = e < D         ? e == d
                          : dom == NULL ? true
                                        : dm != NULL && strcmp(dm, dom) == 0;
                need[k * D + d] = need[k * D + d] || in;
            }
        }
    }
}

/* Task <stage>/<c>: the matrices its units use, from the task cache, then
 * the units (sc_run_consistency_units, sc_run_contrasts_units,
 * sc_run_behaviour_units). */
static int stats_task(const sc_spec *spec, const sc_run_opts *o, int g,
                      size_t c, size_t chunks, size_t *computed, size_t *cached,
                      sc_err *err)
{
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, o);
    run_sets sets;
    memset(&sets, 0, sizeof sets);
    size_t u0 = 0, u1 = 0;
    sc_plan_chunk_range(sc_plan_units(spec, g), chunks, c, &u0, &u1);
    bool *need = sc_calloc(rc.M * rc.D + 1, sizeof *need);
    int st = need != NULL ? SC_OK : sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK) {
        mark_needed(&rc, g, u0, u1, need);
        st = sc_run_ctx_load_metrics(&rc, err);
    }
    if (st == SC_OK)
        st = sc_run_similarity_cached(&rc, need, err);
    if (st == SC_OK && g != SC_PLAN_BEHAVIOUR)
        st = sc_run_build_sets(&rc, &sets, err);
    if (st == SC_OK && g == SC_PLAN_CONS)
        st =
            sc_run_consistency_units(&rc, &sets, u0, u1, computed, cached, err);
    else if (st == SC_OK && g == SC_PLAN_CONTRASTS)
        st = sc_run_contrasts_units(&rc, &sets, u0, u1, computed, cached, err);
    else if (st == SC_OK)
        st = sc_run_behaviour_units(&rc, u0, u1, computed, cached, err);
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

static int run_stats_task(const sc_spec *spec, const sc_run_opts *o,
                          const char *id, int g, size_t c, size_t chunks,
                          sc_err *err)
{
    double t0 = sc_run_now();
    size_t computed = 0, cached = 0;
    int st = stats_task(spec, o, g, c, chunks, &computed, &cached, err);
    if (st != SC_OK) {
        sc_err_prefix(err, "task %s", id);
        return st;
    }
    char file[64], key[64];
    snprintf(file, sizeof file, "%s-%zu", sc_plan_stage_names[g], c);
    snprintf(key, sizeof key, "%zu computed, %zu cached", computed, cached);
    st = sc_plan_write_record(o->out_dir, id, file, "-", "-", computed == 0,
                              key, sc_run_now() - t0, err);
    if (st == SC_OK && !o->quiet)
        fprintf(stderr, "simcon run: task %s: %s%zu unit(s) into %s/.cache\n",
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
    size_t nsim = sc_plan_nsim(spec), idx = 0;
    bool assemble = strcmp(id, "assemble") == 0;
    int g = -1;
    for (int s = 0; s < SC_PLAN_NSTAGES && g < 0; s++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s/", sc_plan_stage_names[s]);
        if (task_number(id, prefix, SIZE_MAX, &idx))
            g = s;
    }
    if (!assemble && g < 0 && !task_number(id, "similarity/", nsim, &idx))
        return sc_err_set(err, SC_EINVAL,
                          "--task '%s': no such task; the plan has "
                          "similarity/0 .. similarity/%zu, consistency/<c>, "
                          "contrasts/<c>, behaviour/<c> and assemble (see "
                          "--plan)",
                          id, nsim > 0 ? nsim - 1 : 0);
    sc_plan_layout lay;
    int st = sc_plan_check(spec, out, err);
    if (st == SC_OK)
        st = sc_plan_read_layout(out, &lay, err);
    if (st != SC_OK)
        return st;
    if (g >= 0 && idx >= lay.chunks[g])
        return sc_err_set(err, SC_EINVAL,
                          "--task '%s': no such task; the plan has %zu %s "
                          "task(s) (see %s/plan.txt)",
                          id, lay.chunks[g], sc_plan_stage_names[g], work);
    sc_run_opts o = *opts;
    o.task_dir = work;
    if (assemble) {
        o.resume = true;
        return sc_run(spec, &o, err);
    }
    if (g >= 0)
        return run_stats_task(spec, &o, id, g, idx, lay.chunks[g], err);
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
