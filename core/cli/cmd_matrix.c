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
#include "prep.h"
#include "progress.h"
#include "simcsv.h"
#include "simmat.h"

static void usage(FILE *out)
{
    fputs(
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
        out);
}

/* --float32: add precision=float32 when the metric offers that choice and
 * the user did not set precision (see the file comment). */
static int float32_precision(const char *metric, const char *dir, sc_kvlist *kv,
                             sc_err *err)
{
    for (size_t i = 0; i < kv->count; i++)
        if (strcmp(kv->key[i], "precision") == 0)
            return SC_OK;
    const sc_plugin *p = NULL;
    int rc = sc_loader_open(metric, dir, &p, err);
    if (rc != SC_OK)
        return rc;
    long k = sc_cli_param_index(p, "precision");
    const sc_param *par = k >= 0 ? &p->desc->params[k] : NULL;
    if (par == NULL || par->type != SC_PARAM_ENUM || par->choices == NULL ||
        strstr(par->choices, "float32") == NULL)
        return SC_OK;
    return sc_kvlist_add(kv, "precision=float32", err);
}

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
} loader;

static int load_rep(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                    sc_err *err)
{
    const loader *ld = ud;
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

int sc_cmd_matrix(int argc, char **argv)
{
    const char *metric = "cka", *dir = NULL, *norm = "l2", *out = NULL;
    unsigned vec = 0;
    int quiet = 0;
    sc_simmat_opts opts = {0};
    opts.use_embed = 1;
    opts.threads = 1;
    int show_info = 0;
    unsigned flat = 0;
    sc_simmat_extra extra = {0};
    sc_kvlist kv = {0};
    sc_err err;
    sc_err_clear(&err);
    int rc = SC_OK;
    const char **files = sc_calloc((size_t)argc, sizeof *files);
    size_t m = 0;
    if (files == NULL) {
        fprintf(stderr, "simcon matrix: out of memory\n");
        return SC_EXIT_FAIL;
    }
    for (int i = 1; i < argc && rc == SC_OK; i++) {
        const char *a = argv[i];
        int has_next = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            sc_kvlist_deinit(&kv);
            sc_free(files);
            return SC_EXIT_OK;
        } else if (strcmp(a, "-m") == 0 && has_next) {
            metric = argv[++i];
        } else if (strcmp(a, "-p") == 0 && has_next) {
            rc = sc_kvlist_add(&kv, argv[++i], &err);
        } else if (strcmp(a, "--normalize") == 0 && has_next) {
            norm = argv[++i];
        } else if (strcmp(a, "--plugin-dir") == 0 && has_next) {
            dir = argv[++i];
        } else if (strcmp(a, "--cache-dir") == 0 && has_next) {
            opts.cache_dir = argv[++i];
        } else if (strcmp(a, "-o") == 0 && has_next) {
            out = argv[++i];
        } else if (strcmp(a, "--threads") == 0 && has_next) {
            unsigned long t = 0;
            rc = sc_parse_uint("--threads", argv[++i], &t, &err);
            if (rc == SC_OK && t > 1024)
                rc = sc_err_set(&err, SC_EINVAL,
                                "--threads %lu is more than 1024", t);
            opts.threads = (unsigned)t;
        } else if (strcmp(a, "--memory") == 0 && has_next) {
            rc = sc_parse_memory("--memory", argv[++i], &opts.memory_budget,
                                 &err);
        } else if (strcmp(a, "--info") == 0) {
            show_info = 1;
        } else if (strcmp(a, "--float32") == 0) {
            extra.float32 = 1;
        } else if (strcmp(a, "--allow-vector") == 0) {
            vec = SC_NPY_ALLOW_VECTOR;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--flatten") == 0) {
            flat = SC_NPY_FLATTEN;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = sc_err_set(&err, SC_EINVAL,
                            "unknown or incomplete option '%s'; see 'simcon "
                            "matrix --help'",
                            a);
        } else {
            files[m++] = a;
        }
    }
    if (rc == SC_OK && out == NULL)
        rc = sc_err_set(&err, SC_EINVAL,
                        "no output file; add -o OUT.csv (see 'simcon matrix "
                        "--help')");
    if (rc == SC_OK && m < 1)
        rc = sc_err_set(&err, SC_EINVAL,
                        "no input files; give one .npy file per model");
    /* A device, FIFO, socket or link as OUT is refused before any work
     * (the atomic write checks again right before its rename). */
    if (rc == SC_OK)
        rc = sc_output_check(out, &err);
    int mode = 0;
    if (rc == SC_OK)
        rc = sc_norm_parse(norm, &mode, &err);
    const sc_plugin *p = NULL;
    sc_argset args = {0};
    if (rc == SC_OK && extra.float32)
        rc = float32_precision(metric, dir, &kv, &err);
    if (rc == SC_OK)
        rc = sc_cli_metric(metric, &kv, dir, &p, &args, &err);
    sc_simmat sm = {0};
    if (rc == SC_OK) {
        sm.m = m;
        sm.names = sc_calloc(m, sizeof *sm.names);
        if (sm.names == NULL)
            rc = sc_err_set(&err, SC_ENOMEM, "out of memory");
        for (size_t i = 0; rc == SC_OK && i < m; i++) {
            sm.names[i] = stem_of(files[i]);
            if (sm.names[i] == NULL)
                rc = sc_err_set(&err, SC_ENOMEM, "out of memory");
            for (size_t j = 0; rc == SC_OK && j < i; j++)
                if (strcmp(sm.names[i], sm.names[j]) == 0)
                    rc = sc_err_set(&err, SC_EINVAL,
                                    "%s and %s have the same name '%s'; "
                                    "rename one (names are file stems)",
                                    files[j], files[i], sm.names[i]);
        }
    }
    if (rc != SC_OK) {
        fprintf(stderr, "simcon matrix: %s\n", err.msg);
        sc_simmat_deinit(&sm);
        sc_argset_deinit(&args);
        sc_kvlist_deinit(&kv);
        sc_free(files);
        return sc_exit_code(rc);
    }

    /* Headers first: a missing file or a row-count mismatch is reported
     * before any computing. The features themselves are loaded one at a
     * time by the workers (load_rep), so memory holds one representation
     * per thread, not all m (64 x 10,000 x 1,300 doubles would be 6.7 GB). */
    size_t rows = 0;
    for (size_t i = 0; rc == SC_OK && i < m; i++) {
        size_t r = 0, c = 0;
        rc = sc_npy_peek_ex(files[i], vec | flat, &r, &c, &err);
        if (rc == SC_OK && i == 0)
            rows = r;
        if (rc == SC_OK && r != rows)
            rc = sc_err_set(&err, SC_EINVAL,
                            "%s has %zu rows but %s has %zu; rows must be "
                            "the same stimuli in the same order",
                            files[i], r, files[0], rows);
    }
    loader ld = {files, mode, vec | flat};
    char settings[768];
    sc_cli_settings(p, &args, mode, settings, sizeof settings);
    if (rc == SC_OK && !quiet)
        fprintf(stderr, "simcon matrix: %s%s, %zu models x %zu stimuli\n",
                settings, extra.float32 ? " (float32 embeddings)" : "", m,
                rows);
    if (rc == SC_OK)
        rc = sc_matrix_init(&sm.s, m, m, &err);
    sc_simmat_info info;
    sc_progress prog;
    sc_progress_init(&prog, "simcon matrix", quiet);
    extra.progress = &prog;
    if (rc == SC_OK) {
        sc_blas_set_threads((int)opts.threads);
        rc = sc_simmat_compute_lazy(p, &args.args, m, rows, load_rep, &ld,
                                    &opts, &extra, sm.s.data, &info, &err);
        if (rc != SC_OK && err.msg[0] != '\0')
            sc_err_prefix(&err, "metric %s", metric);
    }
    sc_progress_deinit(&prog);
    if (rc == SC_OK)
        rc = sc_simcsv_write(out, &sm, &err);
    if (rc == SC_OK)
        rc = write_sidecar(out, p, &args, mode, extra.float32, vec | flat,
                           files, m, rows, &err);
    if (rc == SC_OK && !quiet)
        fprintf(stderr, "simcon matrix: wrote %s and %s.json\n", out, out);
    if (rc == SC_OK && show_info)
        fprintf(stderr,
                "simcon matrix: m=%zu n=%zu path=%s embed_len=%zu "
                "blocks=%zu spilled=%d float32=%d precision=%s threads=%u "
                "prepare=%.3fs pairs=%.3fs cpu_prepare=%.3fs "
                "cpu_pairs=%.3fs\n",
                m, rows, info.used_embed ? "embed" : "pairwise", info.embed_len,
                info.blocks, info.spilled, info.float32,
                sc_metric_precision(p, &args.args), opts.threads,
                info.seconds_prepare, info.seconds_pairs, info.cpu_prepare,
                info.cpu_pairs);
    sc_simmat_deinit(&sm);
    sc_argset_deinit(&args);
    sc_kvlist_deinit(&kv);
    sc_free(files);
    if (rc != SC_OK) {
        fprintf(stderr, "simcon matrix: %s\n", err.msg);
        return sc_exit_code(rc);
    }
    return SC_EXIT_OK;
}
