/* Last stage of `simcon run`: manifest.json, written after every table
 * and figure (a result folder without its manifest is not a result;
 * sc_stage_begin also relies on its "simcon_result" and "name" keys to
 * recognise a previous result of the same spec). report.html alone comes
 * after it, because it shows the manifest.
 *
 * Contents: simcon version, spec path and the spec file's SHA-256, the
 * effective spec (sc_spec_canonical) and its SHA-256 (spec_sha256: equal
 * for two files that differ only in comments or defaults written out),
 * the master seed and the seed-derivation rule (each CSV row carries its
 * task seed), statistics settings and which unit each CI
 * resamples, thread count and BLAS threads, GSL version, OpenBLAS
 * configuration, RNG type, each metric's plugin (name, version, reference,
 * path, canonical parameters, symmetric or not), every input file with its
 * SHA-256, per-dataset stimulus counts, cache use, wall time per stage and
 * the SHA-256 of every output file. Wall times appear only here, so the
 * CSV/MD/TeX files of two runs are byte-identical. */
#include <dirent.h>
#include <gsl/gsl_version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blas.h"
#include "mem.h"
#include "metric.h"
#include "prep.h"
#include "results_schema.h"
#include "run_internal.h"
#include "run_plan.h"

#ifndef SC_VERSION
#define SC_VERSION "unknown"
#endif

/* JSON string literal of text (RFC 8259 sec. 7). */
static void jstr(sc_buf *b, const char *text)
{
    sc_buf_json(b, text);
}

static void jnum(sc_buf *b, double v)
{
    sc_buf_printf(b, "%.17g", v);
}

/* ## Output files, sorted, with their SHA-256 */

typedef struct flist {
    char **rel;
    size_t n, cap;
    bool failed; /* a folder could not be read      */
    bool nomem;  /* an allocation failed            */
} flist;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *root, const char *rel, flist *fl)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (d == NULL) {
        fl->failed = true;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') /* ., .., .cache */
            continue;
        char child[4096];
        snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "",
                 e->d_name);
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", root, child);
        struct stat st;
        if (lstat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(root, child, fl);
        } else if (S_ISREG(st.st_mode)) {
            if (fl->n == fl->cap) {
                size_t cap = fl->cap ? 2 * fl->cap : 64;
                char **p = sc_realloc(fl->rel, cap * sizeof *p);
                if (p == NULL) {
                    fl->nomem = true;
                    break;
                }
                fl->rel = p;
                fl->cap = cap;
            }
            fl->rel[fl->n] = sc_strdup(child);
            if (fl->rel[fl->n] == NULL) {
                fl->nomem = true;
                break;
            }
            fl->n++;
        }
    }
    closedir(d);
}

static void flist_free(flist *fl)
{
    for (size_t k = 0; k < fl->n; k++)
        sc_free(fl->rel[k]);
    sc_free(fl->rel);
}

static const char *over_name(int over)
{
    return over == SC_OVER_STIMULI    ? "stimuli"
           : over == SC_OVER_DATASETS ? "datasets"
                                      : "models";
}

/* Name, version, spec (file, effective text, hashes), seed and its rule. */
static void put_spec(sc_buf *b, const sc_spec *spec, const char *canon,
                     const char *file_sha, const char *spec_sha)
{
    sc_buf_puts(b, "{\n  \"simcon_result\": true,\n  \"name\": ");
    jstr(b, spec->name);
    sc_buf_puts(b, ",\n  \"simcon_version\": ");
    jstr(b, SC_VERSION);
    sc_buf_puts(b, ",\n  \"spec_path\": ");
    jstr(b, spec->path);
    sc_buf_printf(b,
                  ",\n  \"spec_file_sha256\": \"%s\",\n  \"spec_sha256\": "
                  "\"%s\",\n  \"spec\": ",
                  file_sha, spec_sha);
    jstr(b, canon);
    sc_buf_printf(b, ",\n  \"seed\": %llu,\n", (unsigned long long)spec->seed);
    sc_buf_puts(b,
                "  \"seed_rule\": \"each task draws from its own "
                "gsl_rng_mt19937 stream seeded with sc_rng_task_seed(seed, "
                "task_id) (core/num/rng.h); task ids: consistency/<metric>/"
                "<model_set> (one stream for all dataset pairs of the set: "
                "permutations, then bootstrap resamples), contrast/<metric>/"
                "<attribute>/<c1>|<c2>, contrast-mean/<metric>/<attribute>/"
                "<c>, behaviour/<metric>/<dataset>, behaviour/<metric>/"
                "mean:<domain>, median/<metric>/<model_set>, subsample/"
                "<dataset>, stimuli/<dataset>; each CSV row's seed column is "
                "its task seed\",\n");
    sc_buf_puts(b, "  \"rng\": \"gsl_rng_mt19937\",\n");
}

/* Statistics settings, threads, library versions, input handling. */
static void put_settings(sc_buf *b, const sc_runctx *rc)
{
    const sc_spec *spec = rc->spec;
    sc_buf_printf(b,
                  "  \"statistics\": {\"permutations\": %zu, \"bootstrap\": "
                  "%zu, \"over\": \"%s\", \"ci\": ",
                  spec->permutations, spec->bootstrap, over_name(spec->over));
    jnum(b, spec->ci);
    sc_buf_printf(b,
                  ", \"interval\": \"%s\", \"correction\": \"%s\", "
                  "\"q_family\": \"all rows of one metric in one table\", "
                  "\"alternatives\": {\"consistency\": \"greater\", "
                  "\"behaviour\": \"two-sided\", \"contrasts\": "
                  "\"two-sided\"}, \"ci_units\": {\"consistency\": \"%s\", "
                  "\"behaviour\": \"%s\", \"behaviour_means\": \"datasets\", "
                  "\"contrasts\": \"models\", \"medians\": \"models\"}},\n",
                  sc_ci_name((sc_ci_method)spec->interval),
                  spec->correction == SC_SPEC_CORRECTION_NONE
                      ? "none"
                      : sc_padjust_name((sc_padjust_method)spec->correction),
                  spec->over == SC_OVER_STIMULI ? "stimuli" : "models",
                  spec->over == SC_OVER_STIMULI ? "stimuli" : "models");
    sc_buf_printf(b, "  \"threads\": %u,\n  \"blas_threads\": 1,\n",
                  rc->opts.threads);
    sc_buf_printf(b, "  \"memory_budget\": %zu,\n", rc->opts.memory);
    sc_buf_puts(b, "  \"gsl_version\": ");
    jstr(b, gsl_version);
    sc_buf_puts(b, ",\n  \"openblas_config\": ");
    jstr(b, sc_blas_config());
    sc_buf_printf(b,
                  ",\n  \"normalize\": \"%s\",\n  \"allow_vector\": %s,\n"
                  "  \"max_stimuli\": %zu,\n",
                  sc_norm_name(spec->normalize),
                  spec->allow_vector ? "true" : "false", spec->max_stimuli);
}

static void put_metrics(sc_buf *b, const sc_runctx *rc)
{
    sc_buf_puts(b, "  \"metrics\": [");
    for (size_t k = 0; k < rc->M; k++) {
        const run_metric *rm = &rc->metrics[k];
        sc_buf_puts(b, k ? ",\n    {" : "\n    {");
        sc_buf_puts(b, "\"name\": ");
        jstr(b, rm->sm->name);
        sc_buf_puts(b, ", \"plugin\": ");
        jstr(b, rm->plugin->desc->name);
        sc_buf_puts(b, ", \"version\": ");
        jstr(b, rm->plugin->desc->version);
        sc_buf_puts(b, ", \"reference\": ");
        jstr(b, rm->plugin->desc->reference ? rm->plugin->desc->reference : "");
        sc_buf_puts(b, ", \"path\": ");
        jstr(b, rm->plugin->path);
        sc_buf_puts(b, ", \"params\": ");
        jstr(b, rm->params);
        sc_buf_printf(b, ", \"precision\": \"%s\"",
                      sc_metric_precision(rm->plugin, &rm->args.args));
        sc_buf_printf(b, ", \"symmetric\": %s}",
                      rm->symmetric ? "true" : "false");
    }
}

/* What the similarity engine did with each matrix this process computed
 * (run_simmat.c, "E's precision"): {dataset: {metric: {"entry": "float32"
 * or "float64", "bytes": E's size, "spilled": bool} or {"entry": "none"}
 * (pairwise path)}}; a fact of this process like similarity_passes (left
 * out when nothing was computed). */
static void put_embeddings(sc_buf *b, const sc_runctx *rc)
{
    size_t nd = 0;
    for (size_t d = 0; rc->sim_embed != NULL && d < rc->D; d++) {
        size_t nm = 0;
        for (size_t k = 0; k < rc->M; k++) {
            const run_embed *re = &rc->sim_embed[k * rc->D + d];
            if (!re->computed)
                continue;
            if (nm++ == 0) {
                sc_buf_puts(b, nd++ ? "}, " : ", \"similarity_embeddings\": {");
                jstr(b, rc->spec->datasets[d].name);
                sc_buf_puts(b, ": {");
            } else {
                sc_buf_puts(b, ", ");
            }
            jstr(b, rc->metrics[k].sm->name);
            if (re->embed)
                sc_buf_printf(b,
                              ": {\"entry\": \"%s\", \"bytes\": %zu, "
                              "\"spilled\": %s}",
                              re->float32 ? "float32" : "float64", re->bytes,
                              re->spilled ? "true" : "false");
            else
                sc_buf_puts(b, ": {\"entry\": \"none\"}");
        }
    }
    if (nd > 0)
        sc_buf_puts(b, "}}");
}

/* The similarity stage as this process ran it: engine passes and
 * timeline of each dataset it computed. */
static void put_similarity_facts(sc_buf *b, const sc_runctx *rc)
{
    const sc_spec *spec = rc->spec;
    /* The engine passes of the datasets whose matrices this process
     * computed (run_simmat.c, plan_passes): like the counts, a fact of
     * this process, not of the result (a --resume computes none; then
     * the member is left out). */
    size_t n = 0;
    for (size_t d = 0; rc->sim_passes != NULL && d < rc->D; d++) {
        if (rc->sim_passes[d] == 0)
            continue;
        sc_buf_puts(b, n++ ? ", " : ", \"similarity_passes\": {");
        jstr(b, spec->datasets[d].name);
        sc_buf_printf(b, ": %zu", rc->sim_passes[d]);
    }
    if (n > 0)
        sc_buf_puts(b, "}");
    /* When each of those datasets' prepares ended and its matrices were
     * stored, in seconds since the similarity stage began: with the
     * products of one dataset running behind the next one's prepares, the
     * stage's total alone does not say what a dataset costs. */
    n = 0;
    for (size_t d = 0; rc->sim_passes != NULL && d < rc->D; d++) {
        if (rc->sim_passes[d] == 0)
            continue;
        sc_buf_puts(b, n++ ? ", " : ", \"similarity_timeline\": {");
        jstr(b, spec->datasets[d].name);
        sc_buf_puts(b, ": {\"prepared\": ");
        jnum(b, rc->sim_prepared_s[d]);
        sc_buf_puts(b, ", \"done\": ");
        jnum(b, rc->sim_done_s[d]);
        sc_buf_puts(b, "}");
    }
    if (n > 0)
        sc_buf_puts(b, "}");
}

/* Datasets, input files with their SHA-256, cache use. */
static void put_inputs(sc_buf *b, const sc_runctx *rc, const char *accuracy_sha)
{
    const sc_spec *spec = rc->spec;
    sc_buf_puts(b, "\n  ],\n  \"datasets\": [");
    for (size_t d = 0; d < rc->D; d++) {
        sc_buf_puts(b, d ? ",\n    {" : "\n    {");
        sc_buf_puts(b, "\"name\": ");
        jstr(b, spec->datasets[d].name);
        sc_buf_printf(b,
                      ", \"n_stimuli\": %zu, \"n_used\": %zu, "
                      "\"subsample_seed\": %u",
                      rc->n_rows[d], rc->n_used[d],
                      (unsigned)rc->subsample_seed[d]);
        if (rc->ids_sha[d][0]) {
            sc_buf_printf(b, ", \"ids_sha256\": \"%s\"", rc->ids_sha[d]);
        }
        sc_buf_puts(b, "}");
    }
    sc_buf_puts(b, "\n  ],\n  \"inputs\": [");
    for (size_t f = 0; f < rc->D * rc->m; f++) {
        sc_buf_puts(b, f ? ",\n    {\"path\": " : "\n    {\"path\": ");
        jstr(b, rc->feature_path[f]);
        sc_buf_printf(b, ", \"sha256\": \"%s\"}", rc->feature_sha[f]);
    }
    if (spec->behaviour_enabled && spec->behaviour_accuracy != NULL &&
        accuracy_sha[0]) {
        sc_buf_puts(b, ",\n    {\"path\": ");
        jstr(b, spec->behaviour_accuracy);
        sc_buf_printf(b, ", \"sha256\": \"%s\"}", accuracy_sha);
    }
    sc_buf_printf(b,
                  "\n  ],\n  \"cache\": {\"reused\": %zu, \"computed\": "
                  "%zu",
                  rc->cache_reused, rc->cache_computed);
    put_similarity_facts(b, rc);
    put_embeddings(b, rc);
    sc_buf_puts(b, "},\n");
    /* over: stimuli: no replicates while no stimulus CI is printed
     * (run_plan.h, sc_plan_stimulus_reps); else how the states fitted the
     * budget (run_simmat.c). */
    if (spec->over == SC_OVER_STIMULI && spec->bootstrap > 0 &&
        !sc_plan_stimulus_reps(spec))
        sc_buf_puts(b, "  \"stimulus_bootstrap\": {\"replicates\": 0, "
                       "\"why\": \"no stimulus-bootstrap CI is printed (not "
                       "validated: docs/STATISTICS.md), so none is "
                       "computed\"},\n");
    else if (rc->boot_passes > 0)
        sc_buf_printf(b,
                      "  \"stimulus_bootstrap\": {\"budget_bytes\": %zu, "
                      "\"largest_state_bytes\": %zu, \"passes\": %zu, "
                      "\"prepares\": %zu},\n",
                      rc->boot_budget, rc->boot_state_max, rc->boot_passes,
                      rc->boot_prepares);
}

/* Task records of a planned run and wall time per stage. */
static void put_times(sc_buf *b, const sc_runctx *rc, const run_manifest_in *in)
{
    /* A planned run: which task ran where and how long (run_plan.c). */
    if (rc->opts.task_dir != NULL) {
        sc_buf_puts(b, "  \"tasks\": ");
        sc_run_plan_records_json(rc, b);
        sc_buf_puts(b, ",\n");
    }
    sc_buf_puts(b, "  \"wall_seconds\": {");
    for (size_t s = 0; s < in->nstages; s++) {
        sc_buf_printf(b, "%s\"%s\": ", s ? ", " : "", in->stages[s].name);
        jnum(b, in->stages[s].seconds);
    }
    sc_buf_printf(b, "%s\"total\": ", in->nstages ? ", " : "");
    jnum(b, in->total_seconds);
}

/* Every file of the staging folder (sorted) with its SHA-256. */
static int put_outputs(sc_buf *b, const sc_runctx *rc, sc_err *err)
{
    int st = SC_OK;
    sc_buf_puts(b, "},\n  \"outputs\": [");
    flist fl = {0};
    walk(rc->out, "", &fl);
    if (fl.nomem)
        st = sc_err_set(err, SC_ENOMEM, "out of memory listing %s", rc->out);
    else if (fl.failed)
        st = sc_err_set(err, SC_EIO, "%s: cannot list the result files",
                        rc->out);
    if (st == SC_OK)
        qsort(fl.rel, fl.n, sizeof *fl.rel, cmp_str);
    for (size_t f = 0; f < fl.n && st == SC_OK; f++) {
        char *full = sc_run_path(rc, fl.rel[f]);
        char sha[SC_SHA256_HEX];
        if (full == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
        if (st == SC_OK)
            st = sc_sha256_file(full, sha, err);
        sc_free(full);
        if (st == SC_OK) {
            sc_buf_puts(b, f ? ",\n    {\"path\": " : "\n    {\"path\": ");
            jstr(b, fl.rel[f]);
            sc_buf_printf(b, ", \"sha256\": \"%s\"}", sha);
        }
    }
    flist_free(&fl);
    sc_buf_puts(b, "\n  ]\n}\n");
    return st;
}

int sc_run_manifest(const sc_runctx *rc, const run_manifest_in *in, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    char *canon = NULL;
    int st = sc_spec_canonical(spec, &canon, err);
    if (st != SC_OK)
        return st;
    char spec_sha[SC_SHA256_HEX], file_sha[SC_SHA256_HEX];
    sc_sha256_hex(canon, strlen(canon), spec_sha);
    st = sc_sha256_file(spec->path, file_sha, err);
    if (st != SC_OK) {
        sc_free(canon);
        return st;
    }
    sc_buf b = {0};
    put_spec(&b, spec, canon, file_sha, spec_sha);
    put_settings(&b, rc);
    put_metrics(&b, rc);
    put_inputs(&b, rc, in->accuracy_sha);
    put_times(&b, rc, in);
    st = put_outputs(&b, rc, err);
    if (st == SC_OK)
        st = sc_run_write(rc, SC_RES_MANIFEST, &b, err);
    sc_buf_deinit(&b);
    sc_free(canon);
    return st;
}
