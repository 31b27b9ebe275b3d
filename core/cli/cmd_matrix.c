/* simcon matrix [-m METRIC] [-p KEY=VALUE]... [--normalize none|center|l2]
 *               [--threads N] [--memory BYTES|NNG] [--cache-dir DIR]
 *               [--plugin-dir DIR] [--info] [--float32] [--allow-vector]
 *               [--flatten] [--quiet] -o OUT.csv X1.npy X2.npy ...
 *
 * The all-pairs similarity matrix of m representations of one stimulus set
 * through the fast path (core/host/simmat.h), written atomically as the
 * runner's CSV (core/io/simcsv.h: header ",name1,...", names = file stems,
 * %.17g). Invariants: every input is loaded and checked (same row count, unique
 * stems) before any metric runs; nothing is written unless the whole matrix
 * was computed. --threads sets both the worker threads and the OpenBLAS
 * threads (default 1, so that results and timings do not depend on the
 * machine); --info prints what the engine did (path, blocks, spill, timings) on
 * stderr.
 * --float32 is the one switch for float32 speed: it stores the stacked
 * embeddings in float32 and, when the metric has a 'precision' parameter
 * offering float32 (cka: float32 Gram, issue 6) and the user did not set
 * -p precision=..., also selects precision=float32. An explicit -p
 * precision= always wins, so the two remain separately controllable.
 *
 * Provenance: OUT.csv.json, written next to the CSV after it, records what
 * the matrix was computed with (metric, plugin version, parameters,
 * normalisation, precision, inputs); the CSV itself keeps the plain format
 * every reader (core/io/simcsv.c, pandas) takes. The same facts go to stderr
 * as one line, then a progress display on a terminal and finally
 * "wrote OUT.csv and OUT.csv.json" (all silenced by --quiet). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "blas.h"
#include "params.h"
#include "numtext.h"
#include "commands.h"
#include "mat.h"
#include "mem.h"
#include "metric.h"
#include "npy.h"
#include "options.h"
#include "prep.h"
#include "progress.h"
#include "simcsv.h"
#include "simmat.h"

/* File stem: basename without a trailing ".npy". sc_malloc'ed. */
static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".npy") == 0)
        len -= 4;
    char *s = sc_malloc(len + 1);
    if (s != NULL) {
        memcpy(s, base, len);
        s[len] = '\0';
    }
    return s;
}

/* Lazy inputs for sc_simmat_compute_lazy: load file i, normalise. */
typedef struct loader {
    const char *const *files;
    int mode;
    unsigned npy_flags; /* SC_NPY_ALLOW_VECTOR | SC_NPY_FLATTEN or 0 */
    size_t m;           /* files                                      */
    unsigned threads;   /* workers loading them (sc_prefetch_next)    */
} loader;

static int load_rep(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                    sc_err *err)
{
    const loader *ld = ud;
    /* The next files are the workers' next loads (the pool hands them out
     * in order): read them ahead. */
    sc_prefetch_next(ld->files, ld->m, i, ld->threads);
    int rc = sc_npy_load_ex(ld->files[i], ld->npy_flags, owned, err);
    if (rc == SC_OK)
        rc = sc_prep_apply(owned, ld->mode, ld->files[i], err);
    if (rc != SC_OK) {
        sc_matrix_deinit(owned);
        return rc;
    }
    *view = sc_matrix_view(owned);
    return SC_OK;
}

/* OUT.json: the provenance of OUT (see the file comment). */
static int write_sidecar(const char *out, const sc_plugin *p,
                         const sc_argset *args, int mode, int f32, unsigned vec,
                         const char *const *files, size_t m, size_t rows,
                         sc_err *err)
{
    char params[512];
    sc_argset_format(p, args, params, sizeof params);
    sc_buf b = {0};
    sc_buf_printf(&b, "{\n  \"simcon\": \"%s\",\n  \"command\": \"matrix\",\n",
                  SC_VERSION);
    sc_buf_puts(&b, "  \"csv\": ");
    sc_buf_json(&b, out);
    sc_buf_puts(&b, ",\n  \"metric\": ");
    sc_buf_json(&b, p->desc->name);
    sc_buf_puts(&b, ",\n  \"plugin_version\": ");
    sc_buf_json(&b, p->desc->version);
    sc_buf_puts(&b, ",\n  \"params\": ");
    sc_buf_json(&b, params);
    sc_buf_printf(&b,
                  ",\n  \"normalize\": \"%s\",\n  \"precision\": \"%s\",\n"
                  "  \"embeddings\": \"%s\",\n  \"allow_vector\": %s,\n"
                  "%s  \"n_stimuli\": %zu,\n  \"inputs\": [",
                  sc_norm_name(mode), sc_metric_precision(p, &args->args),
                  f32 ? "float32" : "float64",
                  (vec & SC_NPY_ALLOW_VECTOR) ? "true" : "false",
                  (vec & SC_NPY_FLATTEN) ? "  \"flatten\": true,\n" : "", rows);
    for (size_t i = 0; i < m; i++) {
        sc_buf_puts(&b, i ? ",\n    " : "\n    ");
        sc_buf_json(&b, files[i]);
    }
    sc_buf_puts(&b, "\n  ]\n}\n");
    size_t len = strlen(out) + 6;
    char *path = sc_malloc(len);
    int rc = sc_buf_check(&b, "the sidecar", err);
    if (rc == SC_OK && path == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (rc == SC_OK) {
        snprintf(path, len, "%s.json", out);
        rc = sc_atomic_write(path, b.data, b.len, err);
    }
    sc_free(path);
    sc_buf_deinit(&b);
    return rc;
}

/* ## The command line */

/* What the command line asked for. */
typedef struct matrix_args {
    sc_metric_args m; /* first: sc_cli_take_param */
    const char *out;
    sc_simmat_opts opts;
    bool info, float32;
    const char **files; /* argc slots, nfiles used */
    size_t nfiles;
} matrix_args;

static int take_threads(void *args, const char *opt, const char *val,
                        sc_err *err)
{
    (void)opt;
    unsigned long t = 0;
    int rc = sc_parse_uint("--threads", val, &t, err);
    if (rc == SC_OK && t > 1024)
        rc = sc_err_set(err, SC_EINVAL, "--threads %lu is more than 1024", t);
    ((matrix_args *)args)->opts.threads = (unsigned)t;
    return rc;
}

static int take_memory(void *args, const char *opt, const char *val,
                       sc_err *err)
{
    (void)opt;
    return sc_parse_memory("--memory", val,
                           &((matrix_args *)args)->opts.memory_budget, err);
}

static int take_file(void *args, const char *arg, sc_err *err)
{
    (void)err;
    matrix_args *ma = args;
    ma->files[ma->nfiles++] = arg;
    return SC_OK;
}

static int check_matrix(void *args, sc_err *err)
{
    const matrix_args *ma = args;
    if (ma->out == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "no output file; add -o OUT.csv (see 'simcon "
                          "matrix --help')");
    if (ma->nfiles < 1)
        return sc_err_set(err, SC_EINVAL,
                          "no input files; give one .npy file per model");
    return SC_OK;
}

static const sc_opt matrix_options[] = {
    SC_OPT_STRING_AT("-o", "OUT.csv", matrix_args, out),
    SC_OPT_STRING_AT("-m", "METRIC", matrix_args, m.metric),
    SC_OPT_CALLING("-p", "KEY=VALUE", sc_cli_take_param),
    SC_OPT_STRING_AT("--normalize", "MODE", matrix_args, m.norm),
    SC_OPT_CALLING("--threads", "N", take_threads),
    SC_OPT_CALLING("--memory", "SIZE", take_memory),
    SC_OPT_STRING_AT("--cache-dir", "DIR", matrix_args, opts.cache_dir),
    SC_OPT_STRING_AT("--plugin-dir", "DIR", matrix_args, m.plugin_dir),
    SC_OPT_FLAG_AT("--float32", matrix_args, float32),
    SC_OPT_FLAG_AT("--allow-vector", matrix_args, m.allow_vector),
    SC_OPT_FLAG_AT("--flatten", matrix_args, m.flatten),
    SC_OPT_FLAG_AT("--info", matrix_args, info),
    SC_OPT_FLAG_AT("--quiet|-q", matrix_args, m.quiet),
};

static const sc_cmdline matrix_cmdline = {
    .name = "matrix",
    .usage =
        "usage: simcon matrix [-m METRIC] [-p KEY=VALUE]... [--normalize "
        "none|center|l2]\n"
        "                     [--threads N] [--memory SIZE] [--cache-dir DIR]\n"
        "                     [--plugin-dir DIR] [--info] [--float32] "
        "[--allow-vector]\n"
        "                     [--flatten] [--quiet] -o OUT.csv X1.npy X2.npy "
        "...\n"
        "Computes the m x m similarity matrix of m representations (.npy files "
        "whose\n"
        "rows are the same stimuli in the same order).\n"
        "Writes OUT.csv (header ',name1,...', names = file stems, values "
        "%.17g) and\n"
        "OUT.csv.json (metric, parameters, normalize, precision, inputs); "
        "nothing\n"
        "unless the whole matrix was computed. Paths are relative to the "
        "current\n"
        "directory.\n"
        "  -m METRIC         metric plugin (default: cka, unbiased linear "
        "CKA)\n"
        "  -p KEY=VALUE      metric parameter, repeatable (default: the "
        "plugin's,\n"
        "                    listed by 'simcon plugins')\n"
        "  --normalize MODE  row preprocessing: l2 (default, as in the paper,\n"
        "                    'simcon compare' and 'simcon run'), center or "
        "none\n"
        "  --threads N       worker and BLAS threads (default: 1)\n"
        "  --memory SIZE     budget for the stacked embeddings, e.g. 512M or "
        "8G\n"
        "                    (default: half of RAM); beyond it they spill to a "
        "file\n"
        "  --cache-dir DIR   folder of that spill file (default: $TMPDIR or "
        "/tmp)\n"
        "  --plugin-dir DIR  also look for plugins in DIR\n"
        "  --float32         float32 embeddings (half the memory) and, for "
        "cka, the\n"
        "                    float32 Gram (precision=float32) unless -p "
        "precision=\n"
        "                    is given (default: float64 throughout). The "
        "tests\n"
        "                    require agreement with float64 to 1e-6 relative.\n"
        "  --allow-vector    read a 1-D array (n,) as n x 1 (default: "
        "refused)\n"
        "  --flatten         read N-D arrays (n x c x h x w) as n x (c*h*w), "
        "each\n"
        "                    stimulus row-major (default: refused)\n"
        "  --info            print the path taken and timings on stderr\n"
        "  --quiet           nothing on stderr but errors (default: the "
        "settings\n"
        "                    line, progress with an ETA when stderr is a "
        "terminal,\n"
        "                    then the files written)\n",
    SC_OPTS_TABLE(matrix_options),
    .positional = take_file,
    .unknown = "unknown or incomplete option",
    .see = "see",
    .check = check_matrix,
};

/* ## The matrix */

/* Everything one run of the command computes with. */
typedef struct matrix_job {
    matrix_args a;
    int mode;
    const sc_plugin *p;
    sc_argset args;
    sc_simmat sm; /* names = file stems; s = the result */
    size_t rows;
} matrix_job;

/* One name per file, its stem; two equal stems are an error. */
static int name_models(matrix_job *job, sc_err *err)
{
    const char **files = job->a.files;
    size_t m = job->a.nfiles;
    job->sm.m = m;
    job->sm.names = sc_calloc(m, sizeof *job->sm.names);
    if (job->sm.names == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++) {
        char *name = job->sm.names[i] = stem_of(files[i]);
        if (name == NULL)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        for (size_t j = 0; j < i; j++)
            if (strcmp(name, job->sm.names[j]) == 0)
                return sc_err_set(err, SC_EINVAL,
                                  "%s and %s have the same name '%s'; "
                                  "rename one (names are file stems)",
                                  files[j], files[i], name);
    }
    return SC_OK;
}

/* What the options name: OUT checked, the metric loaded with its
 * parameters, one name per input. */
static int resolve(matrix_job *job, sc_err *err)
{
    matrix_args *ma = &job->a;
    /* A device, FIFO, socket or link as OUT is refused before any work
     * (the atomic write checks again right before its rename). */
    int rc = sc_output_check(ma->out, err);
    if (rc == SC_OK)
        rc = sc_cli_resolve_metric(&ma->m, ma->float32, &job->mode, &job->p,
                                   &job->args, err);
    if (rc == SC_OK)
        rc = name_models(job, err);
    return rc;
}

/* Headers first: a missing file or a row-count mismatch is reported
 * before any computing. The features themselves are loaded one at a
 * time by the workers (load_rep), so memory holds one representation
 * per thread, not all m (64 x 10,000 x 1,300 doubles would be 6.7 GB). */
static int check_rows(matrix_job *job, sc_err *err)
{
    const char **files = job->a.files;
    unsigned flags = sc_cli_npy_flags(&job->a.m);
    for (size_t i = 0; i < job->a.nfiles; i++) {
        size_t r = 0, c = 0;
        int rc = sc_npy_peek_ex(files[i], flags, &r, &c, err);
        if (rc != SC_OK)
            return rc;
        if (i == 0)
            job->rows = r;
        if (r != job->rows)
            return sc_err_set(err, SC_EINVAL,
                              "%s has %zu rows but %s has %zu; rows must be "
                              "the same stimuli in the same order",
                              files[i], r, files[0], job->rows);
    }
    return SC_OK;
}

static int compute(matrix_job *job, sc_simmat_info *info, sc_err *err)
{
    matrix_args *ma = &job->a;
    size_t m = ma->nfiles;
    loader ld = {ma->files, job->mode, sc_cli_npy_flags(&ma->m), m,
                 ma->opts.threads};
    int rc = sc_matrix_init(&job->sm.s, m, m, err);
    sc_simmat_extra extra = {0};
    extra.float32 = ma->float32;
    sc_progress prog;
    sc_progress_init(&prog, "simcon matrix", ma->m.quiet);
    extra.progress = &prog;
    if (rc == SC_OK) {
        sc_blas_set_threads((int)ma->opts.threads);
        rc = sc_simmat_compute_lazy(job->p, &job->args.args, m, job->rows,
                                    load_rep, &ld, &ma->opts, &extra,
                                    job->sm.s.data, info, err);
        if (rc != SC_OK && err->msg[0] != '\0')
            sc_err_prefix(err, "metric %s", ma->m.metric);
    }
    sc_progress_deinit(&prog);
    return rc;
}

static void print_info(const matrix_job *job, const sc_simmat_info *info)
{
    fprintf(stderr,
            "simcon matrix: m=%zu n=%zu path=%s embed_len=%zu "
            "blocks=%zu spilled=%d float32=%d precision=%s threads=%u "
            "prepare=%.3fs pairs=%.3fs cpu_prepare=%.3fs "
            "cpu_pairs=%.3fs\n",
            job->a.nfiles, job->rows, info->used_embed ? "embed" : "pairwise",
            info->embed_len, info->blocks, info->spilled, info->float32,
            sc_metric_precision(job->p, &job->args.args), job->a.opts.threads,
            info->seconds_prepare, info->seconds_pairs, info->cpu_prepare,
            info->cpu_pairs);
}

/* Check the inputs, compute, write OUT.csv and its sidecar, report. */
static int execute(matrix_job *job, sc_err *err)
{
    const matrix_args *ma = &job->a;
    int rc = check_rows(job, err);
    char settings[768];
    sc_cli_settings(job->p, &job->args, job->mode, settings, sizeof settings);
    if (rc == SC_OK && !ma->m.quiet)
        fprintf(stderr, "simcon matrix: %s%s, %zu models x %zu stimuli\n",
                settings, ma->float32 ? " (float32 embeddings)" : "",
                ma->nfiles, job->rows);
    sc_simmat_info info;
    if (rc == SC_OK)
        rc = compute(job, &info, err);
    if (rc == SC_OK)
        rc = sc_simcsv_write(ma->out, &job->sm, err);
    if (rc == SC_OK)
        rc = write_sidecar(ma->out, job->p, &job->args, job->mode, ma->float32,
                           sc_cli_npy_flags(&ma->m), ma->files, ma->nfiles,
                           job->rows, err);
    if (rc == SC_OK && !ma->m.quiet)
        fprintf(stderr, "simcon matrix: wrote %s and %s.json\n", ma->out,
                ma->out);
    if (rc == SC_OK && ma->info)
        print_info(job, &info);
    return rc;
}

int sc_cmd_matrix(int argc, char **argv)
{
    matrix_job job = {0};
    job.a.m.metric = "cka";
    job.a.m.norm = "l2";
    job.a.opts.use_embed = 1;
    job.a.opts.threads = 1;
    job.a.files = sc_calloc((size_t)argc, sizeof *job.a.files);
    if (job.a.files == NULL) {
        fprintf(stderr, "simcon matrix: out of memory\n");
        return SC_EXIT_FAIL;
    }
    int exit_status;
    if (!sc_opts_run(&matrix_cmdline, argc, argv, &job.a, &exit_status)) {
        sc_kvlist_deinit(&job.a.m.kv);
        sc_free(job.a.files);
        return exit_status;
    }
    sc_err err;
    sc_err_clear(&err);
    int rc = resolve(&job, &err);
    if (rc == SC_OK)
        rc = execute(&job, &err);
    if (rc != SC_OK)
        sc_cli_fail("matrix", &err, 0);
    sc_simmat_deinit(&job.sm);
    sc_argset_deinit(&job.args);
    sc_kvlist_deinit(&job.a.m.kv);
    sc_free(job.a.files);
    return sc_exit_code(rc);
}
