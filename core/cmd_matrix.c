/* simcon matrix [-m METRIC] [-p KEY=VALUE]... [--normalize none|center|l2]
 *               [--threads N] [--memory BYTES|NNG] [--cache-dir DIR]
 *               [--plugin-dir DIR] [--info] [--float32] -o OUT.csv
 *               X1.npy X2.npy ...
 *
 * The all-pairs similarity matrix of m representations of one stimulus set
 * through the fast path (core/simmat.h), written atomically as the runner's
 * CSV (core/simcsv.h: header ",name1,...", names = file stems, %.17g).
 * Invariants: every input is loaded and checked (same row count, unique
 * stems) before any metric runs; nothing is written unless the whole matrix
 * was computed. --threads sets both the worker threads and the OpenBLAS
 * threads (default 1, as GUIDE.md section 6 asks); --info prints what the
 * engine did (path, blocks, spill, timings) on stderr.
 * --float32 is the one switch for float32 speed: it stores the stacked
 * embeddings in float32 and, when the metric has a 'precision' parameter
 * offering float32 (cka: float32 Gram, issue 6) and the user did not set
 * -p precision=..., also selects precision=float32. An explicit -p
 * precision= always wins, so the two remain separately controllable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "cli.h"
#include "commands.h"
#include "mat.h"
#include "mem.h"
#include "metric.h"
#include "npy.h"
#include "prep.h"
#include "simcsv.h"
#include "simmat.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: simcon matrix [-m METRIC] [-p KEY=VALUE]... "
            "[--normalize none|center|l2]\n"
            "                     [--threads N] [--memory BYTES|NNG] "
            "[--cache-dir DIR]\n"
            "                     [--plugin-dir DIR] [--info] [--float32]\n"
            "                     -o OUT.csv X1.npy X2.npy ...\n"
            "Writes the m x m similarity matrix of the representations "
            "(rows = the same\nstimuli in every file) as CSV; names are the "
            "file stems. Default metric: cka.\n"
            "--float32 keeps the stacked embeddings in float32 (half the "
            "memory) and, for a\nmetric with a 'precision' parameter (cka), "
            "also sets precision=float32 (float32\nGram: prepare 1.6x "
            "faster at n = 5000) unless -p precision=... is given;\n"
            "results agree with the float64 path to 1e-6 relative. --info "
            "reports the path\ntaken.\n");
}

/* Index of parameter NAME in the plugin's schema, or -1. */
static long param_index(const sc_plugin *p, const char *name)
{
    for (size_t i = 0; i < p->nparams; i++)
        if (strcmp(p->desc->params[i].name, name) == 0)
            return (long)i;
    return -1;
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
    long k = param_index(p, "precision");
    const sc_param *par = k >= 0 ? &p->desc->params[k] : NULL;
    if (par == NULL || par->type != SC_PARAM_ENUM || par->choices == NULL ||
        strstr(par->choices, "float32") == NULL)
        return SC_OK;
    return sc_kvlist_add(kv, "precision=float32", err);
}

/* Name of the chosen precision for --info, "-" if the metric has none. */
static const char *precision_name(const sc_plugin *p, const sc_args *args)
{
    long k = param_index(p, "precision");
    if (k < 0 || (size_t)k >= args->count)
        return "-";
    return args->value[k] != 0 ? "float32" : "float64";
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
} loader;

static int load_rep(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                    sc_err *err)
{
    const loader *ld = ud;
    int rc = sc_npy_load(ld->files[i], owned, err);
    if (rc == SC_OK)
        rc = sc_prep_apply(owned, ld->mode, ld->files[i], err);
    if (rc != SC_OK) {
        sc_matrix_deinit(owned);
        return rc;
    }
    *view = sc_matrix_view(owned);
    return SC_OK;
}

int sc_cmd_matrix(int argc, char **argv)
{
    const char *metric = "cka", *dir = NULL, *norm = "none", *out = NULL;
    sc_simmat_opts opts = {0};
    opts.use_embed = 1;
    opts.threads = 1;
    int show_info = 0;
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
            rc = sc_cli_parse_uint("--threads", argv[++i], &t, &err);
            if (rc == SC_OK && t > 1024)
                rc = sc_err_set(&err, SC_EINVAL,
                                "--threads %lu is more than 1024", t);
            opts.threads = (unsigned)t;
        } else if (strcmp(a, "--memory") == 0 && has_next) {
            rc = sc_cli_parse_bytes("--memory", argv[++i], &opts.memory_budget,
                                    &err);
        } else if (strcmp(a, "--info") == 0) {
            show_info = 1;
        } else if (strcmp(a, "--float32") == 0) {
            extra.float32 = 1;
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
        rc = sc_npy_peek(files[i], &r, &c, &err);
        if (rc == SC_OK && i == 0)
            rows = r;
        if (rc == SC_OK && r != rows)
            rc = sc_err_set(&err, SC_EINVAL,
                            "%s has %zu rows but %s has %zu; rows must be "
                            "the same stimuli in the same order",
                            files[i], r, files[0], rows);
    }
    loader ld = {files, mode};
    if (rc == SC_OK)
        rc = sc_matrix_init(&sm.s, m, m, &err);
    sc_simmat_info info;
    if (rc == SC_OK) {
        sc_blas_set_threads((int)opts.threads);
        rc = sc_simmat_compute_lazy(p, &args.args, m, rows, load_rep, &ld,
                                    &opts, &extra, sm.s.data, &info, &err);
        if (rc != SC_OK && err.msg[0] != '\0')
            sc_err_prefix(&err, "metric %s", metric);
    }
    if (rc == SC_OK)
        rc = sc_simcsv_write(out, &sm, &err);
    if (rc == SC_OK && show_info)
        fprintf(stderr,
                "simcon matrix: m=%zu n=%zu path=%s embed_len=%zu "
                "blocks=%zu spilled=%d float32=%d precision=%s threads=%u "
                "prepare=%.3fs pairs=%.3fs cpu_prepare=%.3fs "
                "cpu_pairs=%.3fs\n",
                m, rows, info.used_embed ? "embed" : "pairwise", info.embed_len,
                info.blocks, info.spilled, info.float32,
                precision_name(p, &args.args), opts.threads,
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
