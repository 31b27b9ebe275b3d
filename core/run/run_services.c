/* Services of `simcon run` for the orchestrator and every stage: the run
 * context's life cycle, paths and atomic writes inside the staging folder,
 * the task pool, progress and notes, p-value adjustment in families, the
 * shared steps of a row's permutation test and CI, and CSV fields (see
 * run_internal.h). Calls no stage, so the stages depend on it and never on
 * runner.c or on each other. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "mem.h"
#include "metric.h"
#include "run_internal.h"
#include "stat_limits.h"

/* ## The run context */

void sc_run_ctx_init(sc_runctx *rc, const sc_spec *spec,
                     const sc_run_opts *opts)
{
    memset(rc, 0, sizeof *rc);
    rc->spec = spec;
    if (opts != NULL)
        rc->opts = *opts;
    if (rc->opts.threads == 0)
        rc->opts.threads = spec->threads > 0 ? spec->threads : 1;
    if (rc->opts.memory == 0)
        rc->opts.memory = spec->memory;
    if (rc->opts.plugin_dir == NULL)
        rc->opts.plugin_dir = spec->plugin_dir;
    rc->m = spec->nmodels;
    rc->D = spec->ndatasets;
    rc->M = spec->nmetrics;
    rc->npairs = rc->D * (rc->D - (rc->D > 0)) / 2;
    sc_progress_init(&rc->progress, "simcon run", rc->opts.quiet);
    if (rc->opts.progress != NULL)
        sc_progress_set_sink(&rc->progress, rc->opts.progress, rc->opts.user);
    /* Parallelism comes from the task pool; one BLAS thread keeps every
     * product in a fixed summation order (determinism across --threads). */
    sc_blas_set_threads(1);
}

/* Load every metric's plugin and parse its parameters; errors point at the
 * spec entry. */
int sc_run_ctx_load_metrics(sc_runctx *rc, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    rc->metrics = sc_calloc(rc->M, sizeof *rc->metrics);
    if (rc->metrics == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t k = 0; k < rc->M; k++) {
        const sc_spec_metric *sm = &spec->metrics[k];
        run_metric *rm = &rc->metrics[k];
        rm->sm = sm;
        int st =
            sc_loader_open(sm->plugin, rc->opts.plugin_dir, &rm->plugin, err);
        if (st == SC_OK)
            st = sc_argset_parse(rm->plugin, (const char *const *)sm->keys,
                                 (const char *const *)sm->values, sm->nparams,
                                 &rm->args, err);
        if (st != SC_OK) {
            char where[512];
            sc_spec_where(spec, sm->loc, where, sizeof where);
            sc_err_prefix(err, "%smetrics: %s", where, sm->name);
            return st;
        }
        sc_argset_format(rm->plugin, &rm->args, rm->params, sizeof rm->params);
        rm->symmetric = (sc_metric_flags(rm->plugin, &rm->args.args) &
                         SC_METRIC_SYMMETRIC) != 0;
        /* The float32 Gram's metrics store E in float32 too, as `simcon
         * matrix --float32` does (run_simmat.c). */
        rm->f32 = strcmp(sc_metric_precision(rm->plugin, &rm->args.args),
                         "float32") == 0;
    }
    return SC_OK;
}

void sc_run_ctx_free(sc_runctx *rc)
{
    size_t md = rc->M * rc->D;
    if (rc->metrics != NULL)
        for (size_t k = 0; k < rc->M; k++)
            sc_argset_deinit(&rc->metrics[k].args);
    sc_free(rc->metrics);
    if (rc->sims != NULL)
        for (size_t k = 0; k < md; k++)
            sc_matrix_deinit(&rc->sims[k]);
    sc_free(rc->sims);
    if (rc->boot_sims != NULL)
        for (size_t k = 0; k < md; k++)
            sc_free(rc->boot_sims[k]);
    sc_free(rc->boot_sims);
    if (rc->feature_path != NULL)
        for (size_t k = 0; k < rc->D * rc->m; k++)
            sc_free(rc->feature_path[k]);
    sc_free(rc->feature_path);
    sc_free(rc->feature_sha);
    if (rc->ids_path != NULL)
        for (size_t d = 0; d < rc->D; d++)
            sc_free(rc->ids_path[d]);
    sc_free(rc->ids_path);
    sc_free(rc->ids_sha);
    sc_free(rc->n_rows);
    sc_free(rc->n_used);
    sc_free(rc->sim_passes);
    sc_free(rc->sim_prepared_s);
    sc_free(rc->sim_done_s);
    sc_free(rc->sim_embed);
    sc_free(rc->subsample_seed);
    sc_free(rc->sim_key);
    sc_progress_deinit(&rc->progress);
}

/* ## Paths, writes, p adjustment, notes */

double sc_run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t sc_run_pair_index(size_t a, size_t b, size_t D)
{
    /* Pairs before row a: sum_{r<a} (D-1-r) = a(2D-a-1)/2. */
    return a * (2 * D - a - 1) / 2 + (b - a - 1);
}

char *sc_run_path(const sc_runctx *rc, const char *rel)
{
    size_t cap = strlen(rc->out) + strlen(rel) + 2;
    char *s = sc_malloc(cap);
    if (s != NULL)
        snprintf(s, cap, "%s/%s", rc->out, rel);
    return s;
}

int sc_run_write(const sc_runctx *rc, const char *rel, const sc_buf *buf,
                 sc_err *err)
{
    int st = sc_buf_check(buf, rel, err);
    if (st != SC_OK)
        return st;
    char *path = sc_run_path(rc, rel);
    if (path == NULL)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", rel);
    st = sc_atomic_write(path, buf->data ? buf->data : "", buf->len, err);
    sc_free(path);
    return st;
}

int sc_run_adjust(const double *p, const size_t *group, size_t n,
                  int correction, double *q, sc_err *err)
{
    if (correction == SC_SPEC_CORRECTION_NONE) {
        for (size_t k = 0; k < n; k++)
            q[k] = p[k];
        return SC_OK;
    }
    double *fp = sc_malloc((n + 1) * sizeof *fp);
    double *fq = sc_malloc((n + 1) * sizeof *fq);
    size_t *idx = sc_malloc((n + 1) * sizeof *idx);
    bool *done = sc_calloc(n + 1, sizeof *done);
    int st = SC_OK;
    if (fp == NULL || fq == NULL || idx == NULL || done == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory adjusting p-values");
    for (size_t k = 0; k < n && st == SC_OK; k++) {
        if (done[k])
            continue;
        size_t nf = 0;
        for (size_t l = k; l < n; l++)
            if (group[l] == group[k]) {
                done[l] = true;
                idx[nf] = l;
                fp[nf++] = p[l];
            }
        st = sc_padjust(fp, nf, (sc_padjust_method)correction, fq, err);
        for (size_t l = 0; l < nf && st == SC_OK; l++)
            q[idx[l]] = fq[l];
    }
    sc_free(fp);
    sc_free(fq);
    sc_free(idx);
    sc_free(done);
    return st;
}

int sc_run_adjust_rows(void *rows, size_t n, size_t stride, size_t p_off,
                       size_t q_off, sc_run_family_fn family, const void *ud,
                       int correction, sc_err *err)
{
    char *base = rows;
    double *p = sc_malloc((n + 1) * sizeof *p);
    double *q = sc_malloc((n + 1) * sizeof *q);
    size_t *group = sc_malloc((n + 1) * sizeof *group);
    int st = p != NULL && q != NULL && group != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t k = 0; k < n && st == SC_OK; k++) {
        memcpy(&p[k], base + k * stride + p_off, sizeof p[k]);
        group[k] = family(k, ud);
    }
    if (st == SC_OK)
        st = sc_run_adjust(p, group, n, correction, q, err);
    for (size_t k = 0; k < n && st == SC_OK; k++)
        memcpy(base + k * stride + q_off, &q[k], sizeof q[k]);
    sc_free(p);
    sc_free(q);
    sc_free(group);
    return st;
}

void sc_note_add(char *note, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(note);
    if (len > 0 && len + 2 < cap) {
        memcpy(note + len, "; ", 3);
        len += 2;
    }
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note + len, cap - len, fmt, ap);
    va_end(ap);
}

void sc_fmt_text(sc_buf *b, const char *text)
{
    if (strpbrk(text, ",\"\n\r") == NULL) {
        sc_buf_puts(b, text);
        return;
    }
    sc_buf_puts(b, "\"");
    for (const char *c = text; *c; c++)
        sc_buf_puts(b, *c == '"' ? "\"\"" : (char[]){*c, '\0'});
    sc_buf_puts(b, "\"");
}

size_t sc_run_perm_count(size_t m, size_t perms, bool *exact)
{
    size_t f = 1;
    *exact = false;
    if (m > SC_MANTEL_EXACT_MAX || perms == 0)
        return perms;
    for (size_t k = 2; k <= m; k++)
        f *= k;
    if (f > perms)
        return perms;
    *exact = true;
    return f;
}

size_t sc_run_family(const sc_spec *spec, size_t k, size_t part, size_t nparts,
                     size_t kind, size_t nkinds)
{
    if (spec->family == SC_FAMILY_METRIC)
        return k;
    return (k * nparts + part) * nkinds + kind;
}

/* ## A row's permutation test and CI */

bool sc_run_p_wanted(const sc_spec *spec, size_t m, bool *exact, char *note,
                     size_t cap)
{
    *exact = false;
    if (spec->permutations == 0) {
        sc_note_add(note, cap, "no p: statistics.permutations is 0");
        return false;
    }
    sc_run_perm_count(m, spec->permutations, exact);
    return true;
}

int sc_run_p_done(int st, bool exact, size_t n_perm, const char *why,
                  char *note, size_t cap)
{
    if (st == SC_OK && exact)
        sc_note_add(note, cap, "exact test (%zu permutations)", n_perm);
    if (st == SC_EDOM) {
        sc_note_add(note, cap, "no p: %s", why);
        st = SC_OK;
    }
    return st;
}

int sc_run_mantel_p(const sc_spec *spec, const sc_matrix *a, const sc_matrix *b,
                    const sc_pairs *pairs, sc_corr_method method,
                    sc_alternative alt, sc_rng *rng, const char *why, double *p,
                    size_t *n_perm, char *note, size_t cap, sc_err *err)
{
    bool exact;
    if (!sc_run_p_wanted(spec, a->rows, &exact, note, cap))
        return SC_OK;
    sc_mantel_opts mo = {method, alt, spec->permutations, exact};
    sc_mantel_result mr;
    int st = sc_mantel(a, b, pairs, &mo, exact ? NULL : rng, &mr, err);
    if (st == SC_OK) {
        *p = mr.p;
        *n_perm = mr.b;
    }
    return sc_run_p_done(st, exact, *n_perm, why, note, cap);
}

int sc_run_corr_ci(const sc_spec *spec, const sc_matrix *a, const sc_matrix *b,
                   const double *a_reps, const double *b_reps,
                   const sc_pairs *pairs, sc_corr_method method, sc_rng *rng,
                   double *lo, double *hi, char *note, size_t cap, sc_err *err)
{
    size_t m = a->rows;
    int st;
    if (spec->over == SC_OVER_STIMULI && !SC_STIMULUS_CI_VALIDATED) {
        /* stat_limits.h: the percentile interval over stimulus resamples
         * under-covers in the slow simulation; print none. */
        (void)a_reps;
        *lo = *hi = NAN;
        sc_note_add(note, cap, "%s", SC_NOTE_STIMULUS_CI);
        return SC_OK;
    }
    if (spec->over == SC_OVER_STIMULI) {
        st = sc_replicate_corr_ci(
            a_reps, m * m, b_reps != NULL ? b_reps : b->data,
            b_reps != NULL ? m * m : 0, m, spec->bootstrap, pairs, method,
            spec->ci, lo, hi, err);
    } else {
        /* Over models: the jackknife-z interval, not the spec's bootstrap
         * interval, whose coverage misses 0.93-0.97 (docs/STATISTICS.md). */
        (void)rng;
        sc_consistency cs = {a, b, pairs, method};
        st = sc_jackknife_z_ci(pairs, sc_consistency_boot_stat, &cs, spec->ci,
                               lo, hi, err);
    }
    if (st == SC_OK)
        sc_run_ci_note(*lo, note, cap);
    return st;
}

sc_ci_opts sc_run_ci_opts(const sc_spec *spec)
{
    sc_ci_opts o = {spec->bootstrap, spec->ci, (sc_ci_method)spec->interval};
    return o;
}

void sc_run_ci_note(double lo, char *note, size_t cap)
{
    if (isnan(lo))
        sc_note_add(note, cap,
                    "no CI: the statistic is undefined on too many "
                    "resamples");
}

/* ## CSV fields */

void sc_fmt_num(sc_buf *b, double v)
{
    if (!isnan(v))
        sc_buf_printf(b, "%.17g", v);
}

void sc_fmt_draws(sc_buf *b, const sc_spec *spec, size_t m, uint32_t seed,
                  const char *ci_method, size_t n_perm)
{
    bool boot =
        strcmp(ci_method, "percentile") == 0 || strcmp(ci_method, "bca") == 0;
    bool exact = false;
    sc_run_perm_count(m, spec->permutations, &exact);
    if (boot)
        sc_buf_printf(b, "%zu", spec->bootstrap);
    sc_buf_puts(b, ",");
    if (boot || (n_perm > 0 && !exact))
        sc_buf_printf(b, "%u", (unsigned)seed);
    sc_buf_printf(b, ",%s", ci_method);
}

void sc_fmt_stat_tail(sc_buf *b, const double v[5], const sc_spec *spec,
                      size_t m, uint32_t seed, const char *ci_method,
                      size_t n_perm, const char *note)
{
    for (size_t c = 0; c < 5; c++) {
        sc_fmt_num(b, v[c]);
        sc_buf_puts(b, ",");
    }
    sc_fmt_draws(b, spec, m, seed, ci_method, n_perm);
    sc_buf_printf(b, ",%zu,", n_perm);
    sc_fmt_text(b, note);
    sc_buf_puts(b, "\n");
}

/* ## Progress */

void sc_run_note(const sc_runctx *rc, const char *fmt, ...)
{
    if (rc->opts.quiet)
        return;
    char raw[SC_ERR_MSG], msg[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    sc_escape_ctl(msg, sizeof msg, raw); /* notes are one line, too */
    fprintf(stderr, "simcon run: %s\n", msg);
}

int sc_run_canceled(const sc_runctx *rc, sc_err *err)
{
    if (rc->opts.cancel == NULL || rc->opts.cancel(rc->opts.user) == 0)
        return SC_OK;
    return sc_err_set(err, SC_ECANCELED, "canceled by the caller");
}

/* ## Task pool */

/* The one thread pool (core/base/pool.h) with what the runner adds around
 * each task: the caller's cancellation, before the task starts; a
 * progress step, after it succeeds; a message naming the task, when it
 * failed without one. */
typedef struct run_job {
    sc_runctx *rc;
    sc_run_task_fn fn;
    void *ud;
} run_job;

static int run_task(void *ctx, size_t k, sc_err *err)
{
    run_job *job = ctx;
    int st = sc_run_canceled(job->rc, err);
    if (st == SC_OK)
        st = job->fn(k, job->ud, err);
    if (st != SC_OK) {
        if (err->code == SC_OK)
            sc_err_set(err, st, "task %zu failed (%s)", k, sc_strerror(st));
        return st;
    }
    sc_progress_step(&job->rc->progress, 1);
    return SC_OK;
}

int sc_run_parallel(sc_runctx *rc, size_t n, sc_run_task_fn fn, void *ud,
                    const char *label, sc_err *err)
{
    if (n == 0)
        return SC_OK;
    run_job job = {.rc = rc, .fn = fn, .ud = ud};
    sc_progress_begin(&rc->progress, n, "%s", label);
    /* BLAS policy: one thread per worker. The run has pinned one BLAS
     * thread for its whole length anyway (sc_run_ctx_init), so that its serial
     * products sum in a fixed order too; the pool states the same. */
    int st = sc_pool_run(run_task, &job, n, rc->opts.threads,
                         &sc_blas_one_per_worker, err);
    sc_progress_end(&rc->progress);
    return st;
}

/* ## Units of a planned statistics stage in the task cache */

int sc_run_unit_path(const sc_runctx *rc, const char *stage, const sc_buf *key,
                     char *buf, size_t cap, sc_err *err)
{
    char hex[SC_SHA256_HEX];
    sc_sha256_hex(key->data != NULL ? key->data : "", key->len, hex);
    if (snprintf(buf, cap, "%s/.cache/%s-%s.tsv", rc->opts.task_dir, stage,
                 hex) >= (int)cap)
        return sc_err_set(err, SC_EIO, "%s: path too long", rc->opts.task_dir);
    return SC_OK;
}

void sc_run_unit_row(sc_buf *b, const double *v, size_t nv, const size_t *z,
                     size_t nz, const char *note)
{
    for (size_t f = 0; f < nv; f++)
        sc_buf_printf(b, "%a\t", v[f]);
    for (size_t f = 0; f < nz; f++)
        sc_buf_printf(b, "%zu\t", z[f]);
    for (const char *c = note; *c; c++) {
        if (*c == '\\')
            sc_buf_puts(b, "\\\\");
        else if (*c == '\n')
            sc_buf_puts(b, "\\n");
        else if (*c == '\t')
            sc_buf_puts(b, "\\t");
        else
            sc_buf_printf(b, "%c", *c);
    }
    sc_buf_puts(b, "\n");
}

int sc_run_units_select(sc_runctx *rc, sc_run_units *us, int stage,
                        const char *what, sc_err *err)
{
    us->computed = us->cached = 0;
    us->sel = sc_calloc(us->n + 1, sizeof *us->sel);
    if (us->sel == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t u = us->u0; u < us->u1 && u < us->n; u++) {
        us->sel[u] = rc->opts.task_dir == NULL || !us->load(us->job, u);
        us->computed += us->sel[u];
        us->cached += !us->sel[u];
    }
    if (what == NULL)
        return SC_OK;
    rc->units_reused[stage] = us->cached;
    rc->units_computed[stage] = us->computed;
    if (us->cached > 0)
        sc_run_note(rc, "reused %zu of %zu %s of the plan's tasks", us->cached,
                    us->n, what);
    return SC_OK;
}

int sc_run_units_store(const sc_run_units *us, sc_err *err)
{
    int st = SC_OK;
    for (size_t u = us->u0; u < us->u1 && u < us->n && st == SC_OK; u++)
        if (us->sel[u])
            st = us->store(us->job, u, err);
    return st;
}

bool sc_run_unit_parse(char **p, double *v, size_t nv, size_t *z, size_t nz,
                       char *note, size_t cap)
{
    char *s = *p, *e = NULL;
    for (size_t f = 0; f < nv; f++) {
        v[f] = strtod(s, &e);
        if (e == s || *e != '\t')
            return false;
        s = e + 1;
    }
    for (size_t f = 0; f < nz; f++) {
        if (*s < '0' || *s > '9')
            return false;
        errno = 0;
        unsigned long long x = strtoull(s, &e, 10);
        if (*e != '\t' || errno != 0 || x > SIZE_MAX)
            return false;
        z[f] = (size_t)x;
        s = e + 1;
    }
    size_t len = 0;
    for (; *s != '\n'; s++) {
        if (*s == '\0' || len + 1 >= cap)
            return false;
        char c = *s;
        if (c == '\\') {
            s++;
            c = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
            if (c == '\0')
                return false;
        }
        note[len++] = c;
    }
    note[len] = '\0';
    *p = s + 1;
    return true;
}

char *sc_run_unit_read(const char *path, const char *head)
{
    char *text = NULL;
    size_t len = 0;
    sc_err ignored;
    if (access(path, R_OK) != 0 ||
        sc_read_text(path, &text, &len, &ignored) != SC_OK)
        return NULL;
    if (strlen(text) != len || strncmp(text, head, strlen(head)) != 0) {
        sc_free(text);
        return NULL;
    }
    return text;
}
