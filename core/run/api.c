/* The library API (include/simcon/simcon.h) over the core modules.
 *
 * Every function here is a thin shell around what the matching command
 * does (cmd_compare.c, cmd_matrix.c, cmd_mantel.c, cmd_check.c,
 * cmd_run.c), so the library and the command line give the same numbers
 * bit for bit: same loader, same parameter parsing, same normalisation
 * (sc_prep_apply), same metric calls and the same all-pairs engine. What
 * differs is only where the data comes from (caller memory instead of
 * .npy files) and how errors travel (a malloc'ed message instead of
 * stderr).
 *
 * Invariants: no static mutable state in this file (handles carry
 * everything); every returned string is malloc'ed (simcon_free is free);
 * *errmsg is NULL after a success. */
#define _GNU_SOURCE /* dladdr */
#include "simcon/simcon.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blas.h"
#include "check_plan.h"
#include "params.h"
#include "spec_check.h"
#include "inputs.h"
#include "loader.h"
#include "mat.h"
#include "mem.h"
#include "metric.h"
#include "prep.h"
#include "rng.h"
#include "runner.h"
#include "simmat.h"
#include "spec.h"
#include "stats.h"

#ifndef SC_VERSION
#define SC_VERSION "unknown"
#endif

/* Seed and permutations of `simcon mantel` (cmd_mantel.c). */
#define API_MANTEL_DEFAULT_SEED UINT64_C(241105561)
#define API_MANTEL_DEFAULT_PERMS 9999

struct simcon_registry {
    char *plugin_dir; /* the caller's folder, or the one next to this
                         library; NULL: none */
    int explicit_dir; /* plugin_dir came from the caller */
};

/* The plugin folder for a spec: the registry's own when the caller gave
 * one, else the spec's runtime.plugin_dir, else the registry's default. */
static const char *spec_plugin_dir(const simcon_registry *reg,
                                   const sc_spec *spec)
{
    if (reg != NULL && reg->explicit_dir)
        return reg->plugin_dir;
    if (spec->plugin_dir != NULL)
        return spec->plugin_dir;
    return reg != NULL ? reg->plugin_dir : NULL;
}

struct simcon_metric {
    const sc_plugin *plugin; /* owned by the loader (process-wide) */
    sc_argset args;
};

/* ## Errors and strings */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* Hand err to the caller and return its code (never SC_OK). A
 * cancellation reads the same wherever it was noticed. */
static int give_err(const sc_err *err, int rc, char **errmsg)
{
    if (rc == SC_OK)
        rc = SC_EINVAL;
    if (errmsg != NULL) {
        const char *msg = err->msg[0] != '\0' ? err->msg : sc_strerror(rc);
        if (rc == SC_ECANCELED)
            msg = "canceled by the caller; nothing was written";
        *errmsg = dup_str(msg);
    }
    return rc;
}

static int set_fail(char **errmsg, int rc, const char *msg)
{
    sc_err err;
    sc_err_set(&err, rc, "%s", msg);
    return give_err(&err, rc, errmsg);
}

static void ok(char **errmsg)
{
    if (errmsg != NULL)
        *errmsg = NULL;
}

int simcon_api_version(void)
{
    return SC_API_VERSION;
}

const char *simcon_version(void)
{
    return SC_VERSION;
}

void simcon_free(void *p)
{
    free(p);
}

const char *simcon_strerror(int status)
{
    return sc_strerror(status);
}

/* ## Registry */

/* <folder of the object holding this function>/simcon/plugins, if it is a
 * folder: an installed libsimcon.so finds its installed plugins wherever
 * the tree was moved. */
static char *plugins_next_to_library(void)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)simcon_api_version, &info) == 0 ||
        info.dli_fname == NULL)
        return NULL;
    const char *slash = strrchr(info.dli_fname, '/');
    if (slash == NULL)
        return NULL;
    size_t len = (size_t)(slash - info.dli_fname);
    const char *tail = "/simcon/plugins";
    char *dir = malloc(len + strlen(tail) + 1);
    if (dir == NULL)
        return NULL;
    memcpy(dir, info.dli_fname, len);
    strcpy(dir + len, tail);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(dir);
        return NULL;
    }
    return dir;
}

int simcon_registry_open(const char *plugin_dir, simcon_registry **out,
                         char **errmsg)
{
    ok(errmsg);
    if (out == NULL)
        return set_fail(errmsg, SC_EINVAL, "simcon_registry_open: out is NULL");
    *out = NULL;
    simcon_registry *reg = calloc(1, sizeof *reg);
    if (reg == NULL)
        return set_fail(errmsg, SC_ENOMEM, "out of memory");
    if (plugin_dir != NULL) {
        reg->plugin_dir = dup_str(plugin_dir);
        if (reg->plugin_dir == NULL) {
            free(reg);
            return set_fail(errmsg, SC_ENOMEM, "out of memory");
        }
        reg->explicit_dir = 1;
    } else {
        reg->plugin_dir = plugins_next_to_library();
    }
    *out = reg;
    return SC_OK;
}

void simcon_registry_close(simcon_registry *reg)
{
    if (reg == NULL)
        return;
    free(reg->plugin_dir);
    free(reg);
}

int simcon_registry_list(const simcon_registry *reg, char **names,
                         char **errmsg)
{
    ok(errmsg);
    if (reg == NULL || names == NULL)
        return set_fail(errmsg, SC_EINVAL,
                        "simcon_registry_list: NULL argument");
    *names = NULL;
    sc_err err;
    sc_err_clear(&err);
    char **list = NULL;
    size_t n = 0;
    int rc = sc_loader_find_all(reg->plugin_dir, &list, &n, &err);
    if (rc != SC_OK)
        return give_err(&err, rc, errmsg);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    char *s = malloc(len);
    if (s == NULL) {
        sc_loader_names_free(list, n);
        return set_fail(errmsg, SC_ENOMEM, "out of memory");
    }
    s[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        memcpy(s + at, list[i], l);
        s[at + l] = '\n';
        at += l + 1;
    }
    s[at] = '\0';
    sc_loader_names_free(list, n);
    *names = s;
    return SC_OK;
}

/* ## Metrics */

int simcon_metric_open(const simcon_registry *reg, const char *name,
                       const char *const *params, size_t nparams,
                       simcon_metric **out, char **errmsg)
{
    ok(errmsg);
    if (reg == NULL || name == NULL || out == NULL ||
        (params == NULL && nparams > 0))
        return set_fail(errmsg, SC_EINVAL, "simcon_metric_open: NULL argument");
    *out = NULL;
    sc_err err;
    sc_err_clear(&err);
    sc_kvlist kv = {0};
    int rc = SC_OK;
    for (size_t i = 0; i < nparams && rc == SC_OK; i++)
        rc = params[i] == NULL
                 ? sc_err_set(&err, SC_EINVAL, "parameter %zu is NULL", i)
                 : sc_kvlist_add(&kv, params[i], &err);
    simcon_metric *m = NULL;
    if (rc == SC_OK && (m = calloc(1, sizeof *m)) == NULL)
        rc = sc_err_set(&err, SC_ENOMEM, "out of memory");
    if (rc == SC_OK)
        rc = sc_cli_metric(name, &kv, reg->plugin_dir, &m->plugin, &m->args,
                           &err);
    sc_kvlist_deinit(&kv);
    if (rc != SC_OK) {
        if (m != NULL)
            sc_argset_deinit(&m->args);
        free(m);
        return give_err(&err, rc, errmsg);
    }
    *out = m;
    return SC_OK;
}

void simcon_metric_close(simcon_metric *metric)
{
    if (metric == NULL)
        return;
    sc_argset_deinit(&metric->args);
    free(metric);
}

int simcon_metric_describe(const simcon_metric *metric, char **params,
                           char **path, char **errmsg)
{
    ok(errmsg);
    if (metric == NULL)
        return set_fail(errmsg, SC_EINVAL,
                        "simcon_metric_describe: NULL metric");
    char buf[2048];
    sc_argset_format(metric->plugin, &metric->args, buf, sizeof buf);
    char *a = params != NULL ? dup_str(buf) : NULL;
    char *b = path != NULL ? dup_str(metric->plugin->path) : NULL;
    if ((params != NULL && a == NULL) || (path != NULL && b == NULL)) {
        free(a);
        free(b);
        return set_fail(errmsg, SC_ENOMEM, "out of memory");
    }
    if (params != NULL)
        *params = a;
    if (path != NULL)
        *path = b;
    return SC_OK;
}

int simcon_metric_symmetric(const simcon_metric *metric)
{
    if (metric == NULL)
        return 0;
    return (sc_metric_flags(metric->plugin, &metric->args.args) &
            SC_METRIC_SYMMETRIC) != 0;
}

/* ## Arrays */

static size_t elem_size(int dtype)
{
    return dtype == SIMCON_FLOAT32 ? 4 : dtype == SIMCON_FLOAT64 ? 8 : 0;
}

static double elem(const simcon_array *a, size_t i, size_t j)
{
    const char *p = (const char *)a->data + (ptrdiff_t)i * a->row_stride +
                    (ptrdiff_t)j * a->col_stride;
    if (a->dtype == SIMCON_FLOAT32) {
        float f;
        memcpy(&f, p, sizeof f);
        return (double)f;
    }
    double d;
    memcpy(&d, p, sizeof d);
    return d;
}

/* Check a's description; fill in C-contiguous strides when both are 0. */
static int array_check(const simcon_array *in, simcon_array *a,
                       const char *what, sc_err *err)
{
    if (in == NULL || in->data == NULL)
        return sc_err_set(err, SC_EINVAL, "%s: no data (NULL)", what);
    *a = *in;
    size_t es = elem_size(a->dtype);
    if (es == 0)
        return sc_err_set(err, SC_EINVAL,
                          "%s: dtype %d is not SIMCON_FLOAT32 (1) or "
                          "SIMCON_FLOAT64 (2); convert the array to float32 "
                          "or float64",
                          what, a->dtype);
    if (a->rows == 0 || a->cols == 0)
        return sc_err_set(err, SC_EINVAL,
                          "%s: shape %zu x %zu is empty; a representation "
                          "needs at least one stimulus and one unit",
                          what, a->rows, a->cols);
    if (a->cols > PTRDIFF_MAX / es || a->rows > PTRDIFF_MAX / es ||
        a->rows > SIZE_MAX / a->cols)
        return sc_err_set(err, SC_EINVAL, "%s: shape %zu x %zu is too large",
                          what, a->rows, a->cols);
    if (a->row_stride == 0 && a->col_stride == 0) {
        a->col_stride = (ptrdiff_t)es;
        a->row_stride = (ptrdiff_t)(a->cols * es);
    }
    if (a->row_stride % (ptrdiff_t)es != 0 ||
        a->col_stride % (ptrdiff_t)es != 0)
        return sc_err_set(err, SC_EINVAL,
                          "%s: strides (%td, %td bytes) are not multiples of "
                          "the element size %zu",
                          what, a->row_stride, a->col_stride, es);
    return SC_OK;
}

/* First non-finite element, as the .npy reader reports it. */
static int scan_finite(const simcon_array *a, const char *what, sc_err *err)
{
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            double v = elem(a, i, j);
            if (!isfinite(v))
                return sc_err_set(err, SC_ENUMERIC,
                                  "%s: first non-finite value (%g) at row "
                                  "%zu, column %zu (0-based); remove or "
                                  "replace NaN/Inf before comparing",
                                  what, v, i, j);
        }
    return SC_OK;
}

/* A view of a for the metric: in place when the layout allows it and no
 * normalisation is needed, else a float64 row-major copy in *owned
 * (normalised). owned must be empty on entry. */
static int array_view(const simcon_array *in, int mode, const char *what,
                      sc_matrix *owned, sc_mat *view, sc_err *err)
{
    simcon_array a = {0};
    int rc = array_check(in, &a, what, err);
    if (rc == SC_OK)
        rc = scan_finite(&a, what, err);
    if (rc != SC_OK)
        return rc;
    if (mode == SC_NORM_NONE && a.dtype == SIMCON_FLOAT64 &&
        a.col_stride == 8 && a.row_stride >= (ptrdiff_t)(a.cols * 8) &&
        ((uintptr_t)a.data % 8) == 0) {
        view->rows = a.rows;
        view->cols = a.cols;
        view->ld = (size_t)a.row_stride / 8;
        view->data = a.data;
        return SC_OK;
    }
    rc = sc_matrix_init(owned, a.rows, a.cols, err);
    if (rc != SC_OK)
        return rc;
    for (size_t i = 0; i < a.rows; i++)
        for (size_t j = 0; j < a.cols; j++)
            owned->data[i * a.cols + j] = elem(&a, i, j);
    rc = sc_prep_apply(owned, mode, what, err);
    if (rc != SC_OK) {
        sc_matrix_deinit(owned);
        return rc;
    }
    *view = sc_matrix_view(owned);
    return SC_OK;
}

static int check_norm(int mode, sc_err *err)
{
    if (mode != SIMCON_NORM_NONE && mode != SIMCON_NORM_CENTER &&
        mode != SIMCON_NORM_L2)
        return sc_err_set(err, SC_EINVAL,
                          "normalisation %d is not SIMCON_NORM_NONE (0), "
                          "SIMCON_NORM_CENTER (1) or SIMCON_NORM_L2 (2)",
                          mode);
    return SC_OK;
}

/* The public values equal enum sc_norm's (core/num/prep.h). */
_Static_assert((int)SIMCON_NORM_NONE == (int)SC_NORM_NONE &&
                   (int)SIMCON_NORM_CENTER == (int)SC_NORM_CENTER &&
                   (int)SIMCON_NORM_L2 == (int)SC_NORM_L2,
               "simcon_norm and sc_norm differ");

/* ## compare */

int simcon_compare(const simcon_metric *metric, int normalize,
                   const simcon_array *x, const simcon_array *y, double *value,
                   char **errmsg)
{
    ok(errmsg);
    if (metric == NULL || value == NULL)
        return set_fail(errmsg, SC_EINVAL, "simcon_compare: NULL argument");
    sc_err err;
    sc_err_clear(&err);
    sc_matrix ox = {0}, oy = {0};
    sc_mat vx = {0}, vy = {0};
    void *sx = NULL, *sy = NULL;
    int rc = check_norm(normalize, &err);
    if (rc == SC_OK)
        rc = array_view(x, normalize, "X", &ox, &vx, &err);
    if (rc == SC_OK)
        rc = array_view(y, normalize, "Y", &oy, &vy, &err);
    if (rc == SC_OK && vx.rows != vy.rows)
        rc = sc_err_set(&err, SC_EINVAL,
                        "X has %zu rows but Y has %zu; rows must be the same "
                        "stimuli in the same order",
                        vx.rows, vy.rows);
    const sc_plugin *p = metric->plugin;
    const sc_args *args = &metric->args.args;
    if (rc == SC_OK &&
        (rc = sc_metric_prepare(p, args, &vx, &sx, &err)) != SC_OK)
        sc_err_prefix(&err, "X");
    if (rc == SC_OK &&
        (rc = sc_metric_prepare(p, args, &vy, &sy, &err)) != SC_OK)
        sc_err_prefix(&err, "Y");
    double v = 0.0;
    if (rc == SC_OK)
        rc = sc_metric_compare(p, args, sx, sy, &v, &err);
    sc_metric_release(p, sx);
    sc_metric_release(p, sy);
    sc_matrix_deinit(&ox);
    sc_matrix_deinit(&oy);
    if (rc != SC_OK)
        return give_err(&err, rc, errmsg);
    *value = v;
    return SC_OK;
}

/* ## matrix */

typedef struct matrix_job {
    const simcon_array *reps;
    int mode;
    const simcon_callbacks *cb;
    pthread_mutex_t lock; /* serialises the progress callback */
    size_t loaded;
    size_t m;
} matrix_job;

static int matrix_load(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                       sc_err *err)
{
    matrix_job *job = ud;
    if (job->cb != NULL && job->cb->cancel != NULL &&
        job->cb->cancel(job->cb->user) != 0)
        return sc_err_set(err, SC_ECANCELED, "canceled by the caller");
    char what[64];
    snprintf(what, sizeof what, "representation %zu", i);
    int rc = array_view(&job->reps[i], job->mode, what, owned, view, err);
    if (rc == SC_OK && job->cb != NULL && job->cb->progress != NULL) {
        pthread_mutex_lock(&job->lock);
        job->loaded++;
        job->cb->progress(job->cb->user, "matrix", job->loaded, job->m);
        pthread_mutex_unlock(&job->lock);
    }
    return rc;
}

int simcon_matrix(const simcon_metric *metric, int normalize,
                  const simcon_array *reps, size_t m,
                  const simcon_matrix_opts *opts, const simcon_callbacks *cb,
                  double *out, char **errmsg)
{
    ok(errmsg);
    if (metric == NULL || reps == NULL || out == NULL || m == 0)
        return set_fail(errmsg, SC_EINVAL,
                        "simcon_matrix: NULL argument or no representations");
    sc_err err;
    sc_err_clear(&err);
    int rc = check_norm(normalize, &err);
    /* Descriptions and row counts first, before any computing. */
    size_t rows = 0;
    for (size_t i = 0; i < m && rc == SC_OK; i++) {
        simcon_array a = {0};
        char what[64];
        snprintf(what, sizeof what, "representation %zu", i);
        rc = array_check(&reps[i], &a, what, &err);
        if (rc == SC_OK && i == 0)
            rows = a.rows;
        if (rc == SC_OK && a.rows != rows)
            rc = sc_err_set(&err, SC_EINVAL,
                            "representation %zu has %zu rows but "
                            "representation 0 has %zu; rows must be the same "
                            "stimuli in the same order",
                            i, a.rows, rows);
    }
    if (rc != SC_OK)
        return give_err(&err, rc, errmsg);
    sc_simmat_opts so = {0};
    so.use_embed = 1;
    so.threads = opts != NULL && opts->threads > 0 ? opts->threads : 1;
    so.memory_budget = opts != NULL ? opts->memory_budget : 0;
    so.cache_dir = opts != NULL ? opts->spill_dir : NULL;
    sc_simmat_extra extra = {0};
    extra.float32 = opts != NULL && opts->float32 != 0;
    matrix_job job = {reps, normalize, cb, PTHREAD_MUTEX_INITIALIZER, 0, m};
    sc_blas_set_threads(1);
    rc =
        sc_simmat_compute_lazy(metric->plugin, &metric->args.args, m, rows,
                               matrix_load, &job, &so, &extra, out, NULL, &err);
    pthread_mutex_destroy(&job.lock);
    if (rc != SC_OK)
        return give_err(&err, rc, errmsg);
    return SC_OK;
}

/* ## Mantel */

void simcon_mantel_defaults(simcon_mantel_opts *opts)
{
    if (opts == NULL)
        return;
    opts->perms = API_MANTEL_DEFAULT_PERMS;
    opts->seed = API_MANTEL_DEFAULT_SEED;
    opts->method = "pearson";
    opts->alternative = "greater";
    opts->exact = 0;
}

int simcon_mantel(const double *a, const double *b, size_t m,
                  const simcon_mantel_opts *opts, double *r, double *p,
                  char **errmsg)
{
    ok(errmsg);
    if (a == NULL || b == NULL || r == NULL || p == NULL)
        return set_fail(errmsg, SC_EINVAL, "simcon_mantel: NULL argument");
    simcon_mantel_opts o;
    simcon_mantel_defaults(&o);
    if (opts != NULL)
        o = *opts;
    sc_err err;
    sc_err_clear(&err);
    sc_mantel_opts mo = {SC_CORR_PEARSON, SC_ALT_GREATER, o.perms,
                         o.exact != 0};
    int rc = SC_OK;
    if (m < 3)
        rc = sc_err_set(&err, SC_EINVAL,
                        "%zu model(s); a Mantel test needs at least 3 (2 give "
                        "a single pair)",
                        m);
    if (rc == SC_OK && !mo.exact && (o.perms == 0 || o.perms > SIZE_MAX / 2))
        rc = sc_err_set(&err, SC_EINVAL, "perms must be at least 1, got %zu",
                        o.perms);
    if (rc == SC_OK && o.method != NULL)
        rc = sc_corr_parse(o.method, &mo.method, &err);
    if (rc == SC_OK && o.alternative != NULL)
        rc = sc_alternative_parse(o.alternative, &mo.alternative, &err);
    if (rc == SC_OK && m > SIZE_MAX / m / sizeof(double))
        rc = sc_err_set(&err, SC_EINVAL, "m = %zu is too large", m);
    sc_matrix A = {0}, B = {0};
    sc_pairs pairs = {0};
    sc_rng rng = {0};
    sc_mantel_result res;
    memset(&res, 0, sizeof res);
    if (rc == SC_OK)
        rc = sc_matrix_init(&A, m, m, &err);
    if (rc == SC_OK)
        rc = sc_matrix_init(&B, m, m, &err);
    if (rc == SC_OK) {
        memcpy(A.data, a, m * m * sizeof(double));
        memcpy(B.data, b, m * m * sizeof(double));
        /* An asymmetric matrix (linreg's) is analysed as (S + S^T) / 2,
         * as `simcon mantel` and `simcon run` do. */
        sc_symmetrize(A.data, m);
        sc_symmetrize(B.data, m);
        for (size_t k = 0; k < m * m && rc == SC_OK; k++)
            if (!isfinite(A.data[k]) || !isfinite(B.data[k]))
                rc = sc_err_set(&err, SC_ENUMERIC, "%s[%zu][%zu] is not finite",
                                isfinite(A.data[k]) ? "B" : "A", k / m, k % m);
    }
    if (rc == SC_OK)
        rc = sc_pairs_init_all(&pairs, m, &err);
    if (rc == SC_OK && !mo.exact)
        rc = sc_rng_init(&rng, sc_rng_task_seed(o.seed, "mantel"), &err);
    if (rc == SC_OK)
        rc = sc_mantel(&A, &B, &pairs, &mo, mo.exact ? NULL : &rng, &res, &err);
    sc_rng_deinit(&rng);
    sc_pairs_deinit(&pairs);
    sc_matrix_deinit(&A);
    sc_matrix_deinit(&B);
    if (rc != SC_OK)
        return give_err(&err, rc, errmsg);
    *r = res.r;
    *p = res.p;
    return SC_OK;
}

/* ## Specs */

/* Join the problems of an inputs report and the final message, one per
 * line. */
static int give_report(const sc_inputs_report *rep, const sc_err *err, int rc,
                       char **errmsg)
{
    if (errmsg == NULL)
        return rc == SC_OK ? SC_EINVAL : rc;
    size_t len = strlen(err->msg) + 1;
    for (size_t i = 0; i < rep->nproblems; i++)
        len += strlen(rep->problems[i]) + 1;
    char *s = malloc(len);
    if (s == NULL)
        return give_err(err, rc, errmsg);
    size_t at = 0;
    for (size_t i = 0; i < rep->nproblems; i++) {
        size_t l = strlen(rep->problems[i]);
        memcpy(s + at, rep->problems[i], l);
        s[at + l] = '\n';
        at += l + 1;
    }
    strcpy(s + at, err->msg);
    *errmsg = s;
    return rc == SC_OK ? SC_EINVAL : rc;
}

/* Load spec_path into spec for the entry point `who` (flatten: as
 * --flatten). On failure spec is freed and errmsg says why. */
static int load_spec(const char *who, const char *spec_path, bool flatten,
                     sc_spec *spec, char **errmsg)
{
    memset(spec, 0, sizeof *spec);
    if (spec_path == NULL) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s: no spec path", who);
        return set_fail(errmsg, SC_EINVAL, msg);
    }
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(spec_path, spec, &err);
    if (rc != SC_OK) {
        sc_spec_free(spec);
        return give_err(&err, rc == SC_ENOMEM ? rc : SC_ESPEC, errmsg);
    }
    if (flatten)
        spec->flatten = 1;
    return SC_OK;
}

/* The input check of `simcon check` / `simcon run` (flags of
 * sc_inputs_check) into rep; on failure rep is released and errmsg lists
 * every problem, one per line, then the summary. */
static int check_inputs(const sc_spec *spec, unsigned flags,
                        sc_inputs_report *rep, char **errmsg)
{
    sc_err err;
    sc_err_clear(&err);
    memset(rep, 0, sizeof *rep);
    int rc = sc_inputs_check(spec, flags, rep, &err);
    if (rc != SC_OK) {
        rc = give_report(rep, &err, rc, errmsg);
        sc_inputs_report_deinit(rep);
    }
    return rc;
}

int simcon_check(const simcon_registry *reg, const char *spec_path,
                 unsigned flags, char **summary, char **errmsg)
{
    ok(errmsg);
    if (summary != NULL)
        *summary = NULL;
    sc_spec spec;
    int rc = load_spec("simcon_check", spec_path,
                       (flags & SIMCON_CHECK_FLATTEN) != 0, &spec, errmsg);
    if (rc != SC_OK)
        return rc;
    sc_err err;
    sc_err_clear(&err);
    const char *pdir = spec_plugin_dir(reg, &spec);
    for (size_t k = 0; k < spec.nmetrics && rc == SC_OK; k++)
        rc = sc_check_metric(&spec, k, pdir, 1, &err);
    if (rc != SC_OK) {
        sc_spec_free(&spec);
        return give_err(&err, rc == SC_EABI || rc == SC_ENOMEM ? rc : SC_ESPEC,
                        errmsg);
    }
    sc_inputs_report rep;
    rc = check_inputs(&spec,
                      (flags & SIMCON_CHECK_QUICK) ? 0u : SC_INPUTS_SCAN_VALUES,
                      &rep, errmsg);
    if (rc != SC_OK) {
        sc_spec_free(&spec);
        return rc;
    }
    /* Constraints that depend on the data (min_rows, k < n), as `simcon
     * check` tests them: a run would fail on them. */
    for (size_t k = 0; k < spec.nmetrics && rc == SC_OK; k++)
        rc = sc_check_metric_rows(&spec, k, pdir, rep.rows, &err);
    if (rc != SC_OK) {
        sc_inputs_report_deinit(&rep);
        sc_spec_free(&spec);
        return give_err(&err, rc == SC_ENOMEM ? rc : SC_ESPEC, errmsg);
    }
    char line[256];
    sc_check_summary(&spec, &rep, 1, line, sizeof line);
    /* What `simcon check` prints: its warnings (stderr), the statistics
     * forecast and the ok line (stdout). */
    char *plan = NULL, *warn = NULL;
    size_t plan_len = 0, warn_len = 0;
    FILE *po = open_memstream(&plan, &plan_len);
    FILE *wo = open_memstream(&warn, &warn_len);
    if (po != NULL && wo != NULL)
        sc_check_plan(&spec, po, wo);
    if (po != NULL)
        fclose(po);
    if (wo != NULL)
        fclose(wo);
    sc_inputs_report_deinit(&rep);
    sc_spec_free(&spec);
    size_t len = (warn ? warn_len : 0) + (plan ? plan_len : 0) + strlen(line);
    char *text = summary != NULL ? malloc(len + 1) : NULL;
    if (text != NULL)
        snprintf(text, len + 1, "%s%s%s", warn ? warn : "", plan ? plan : "",
                 line);
    free(plan);
    free(warn);
    if (summary != NULL && text == NULL)
        return set_fail(errmsg, SC_ENOMEM, "out of memory");
    if (summary != NULL)
        *summary = text;
    return SC_OK;
}

int simcon_run(const simcon_registry *reg, const char *spec_path,
               const simcon_run_opts *opts, const simcon_callbacks *cb,
               char **errmsg)
{
    ok(errmsg);
    if (spec_path == NULL)
        return set_fail(errmsg, SC_EINVAL, "simcon_run: no spec path");
    sc_run_opts ro;
    memset(&ro, 0, sizeof ro);
    if (opts != NULL) {
        ro.out_dir = opts->out_dir;
        ro.threads = opts->threads;
        ro.memory = opts->memory_budget;
        ro.resume = opts->resume != 0;
        ro.quiet = opts->quiet != 0;
    }
    int flatten = opts != NULL && opts->flatten != 0;
    if (ro.threads > SC_SPEC_MAX_THREADS)
        return set_fail(errmsg, SC_EINVAL, "threads: more than 1024");
    if (cb != NULL) {
        ro.progress = cb->progress;
        ro.cancel = cb->cancel;
        ro.user = cb->user;
    }
    sc_spec spec;
    int rc = load_spec("simcon_run", spec_path, flatten, &spec, errmsg);
    if (rc != SC_OK)
        return rc;
    sc_inputs_report rep;
    rc = check_inputs(&spec, 0, &rep, errmsg);
    if (rc != SC_OK) {
        sc_spec_free(&spec);
        return rc;
    }
    sc_inputs_report_deinit(&rep);
    ro.plugin_dir = spec_plugin_dir(reg, &spec);
    sc_err err;
    sc_err_clear(&err);
    rc = sc_run(&spec, &ro, &err);
    sc_spec_free(&spec);
    if (rc != SC_OK)
        return give_err(&err, rc, errmsg);
    return SC_OK;
}
