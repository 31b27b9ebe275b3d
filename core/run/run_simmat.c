/* Stage 1 of `simcon run`: representations -> similarity matrices.
 *
 * Per dataset: hash every feature file (SHA-256, for the manifest and the
 * cache key), read the headers (row counts must agree across models), then
 * reuse the cached matrices (--resume) and compute all other metrics in one
 * pass of the all-pairs engine (sc_simmat_compute_multi, core/host/simmat.h):
 * each model's features are loaded, subsampled (max_stimuli) and normalised
 * once for all metrics, and metrics deriving from the same Gram matrix
 * (linear and RBF CKA, RSA's correlation RDM) share it (host->gram). Writes
 * similarity/<dataset>/<metric>.csv (the matrix as computed; both directions
 * for an asymmetric metric) and .cache/<key>.csv. The analyses use the
 * symmetrised matrix (S + S^T) / 2, which for a symmetric metric is S itself up
 * to rounding; we copy S unchanged then, so the analyses read exactly the CSV's
 * upper triangle.
 *
 * Subsampling (max_stimuli < n): one seeded draw without replacement per
 * dataset, the same rows for every model, kept in file order
 * (gsl_ran_choose), seed sc_rng_task_seed(seed, "subsample/<dataset>").
 * Subsampling comes before normalisation, so `center` centres the rows
 * actually analysed.
 *
 * Cache key: SHA-256 of a text listing, line by line, the format version,
 * each model's name and feature-file SHA-256, the ids files' SHA-256, the
 * plugin name and version, the canonical parameters, the normalisation,
 * max_stimuli and the subsample seed (or "none" when every row is used:
 * the seed then cannot change the matrix), and, for a metric whose params
 * select precision=float32, a line "embedding float32": its stacked
 * embeddings E are stored in float32 (sc_simmat_job.float32, within 1e-6
 * relative of float64: simmat.h), which simcon before 2026-12-03 did not
 * do, so the matrices such a simcon cached for precision=float32 are not
 * reused. Keys of float64 metrics are unchanged (same bits as before).
 * A cached file is used only if it parses and lists exactly the spec's
 * models in order.
 *
 * E's precision: a metric with precision=float32 (cka, rsa: float32 Gram)
 * stores E in float32, 4-byte entries (half the memory, spill and
 * bandwidth of float64); plan_passes and simcon check --estimate count 4
 * bytes for it (run_plan.c). manifest.json's "similarity_embeddings" says,
 * per computed (dataset, metric), what the engine did: E's entry type and
 * bytes, and whether it spilled, or "none" (pairwise path, no E).
 *
 * Bootstrap over stimuli (statistics.over: stimuli, only while
 * SC_STIMULUS_CI_VALIDATED is 1: sc_plan_stimulus_reps): replicate r draws n
 * stimulus indices with replacement from the dataset's own stream
 * (sc_rng_task_seed(seed, "stimuli/<dataset>"), the same draws for every
 * metric), and S^(r) is recomputed from prepared states with
 * sc_metric_compare_subset, within the memory budget (see "Bootstrap over
 * stimuli" below). All B replicates are kept (B m^2 doubles per dataset
 * and metric). */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "inputs.h"
#include "metric.h"
#include "mem.h"
#include "npy.h"
#include "npz.h"
#include "prep.h"
#include "rng.h"
#include "run_internal.h"
#include "run_plan.h"
#include "spill.h"
#include "simcsv.h"
#include "simblock.h"
#include "simmat.h"
#include "results_schema.h"

#define PATH_CAP 4096

/* ## Feature files and checksums */

static int resolve_paths(sc_runctx *rc, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t nf = rc->D * rc->m;
    rc->feature_path = sc_calloc(nf, sizeof *rc->feature_path);
    rc->feature_sha = sc_calloc(nf, sizeof *rc->feature_sha);
    rc->ids_path = sc_calloc(rc->D, sizeof *rc->ids_path);
    rc->ids_sha = sc_calloc(rc->D, sizeof *rc->ids_sha);
    rc->n_rows = sc_calloc(rc->D, sizeof *rc->n_rows);
    rc->n_used = sc_calloc(rc->D, sizeof *rc->n_used);
    rc->sim_passes = sc_calloc(rc->D, sizeof *rc->sim_passes);
    rc->sim_prepared_s = sc_calloc(rc->D, sizeof *rc->sim_prepared_s);
    rc->sim_done_s = sc_calloc(rc->D, sizeof *rc->sim_done_s);
    rc->subsample_seed = sc_calloc(rc->D, sizeof *rc->subsample_seed);
    size_t md = 0;
    sc_size_mul(rc->M, rc->D, &md); /* SIZE_MAX on overflow: calloc fails */
    rc->sims = sc_calloc(md, sizeof *rc->sims);
    rc->boot_sims = sc_calloc(md, sizeof *rc->boot_sims);
    rc->sim_key = sc_calloc(md, sizeof *rc->sim_key);
    rc->sim_embed = sc_calloc(md, sizeof *rc->sim_embed);
    if (rc->sim_key == NULL || rc->feature_path == NULL ||
        rc->feature_sha == NULL || rc->ids_path == NULL ||
        rc->ids_sha == NULL || rc->n_rows == NULL || rc->n_used == NULL ||
        rc->sim_passes == NULL || rc->sim_embed == NULL ||
        rc->sim_prepared_s == NULL || rc->sim_done_s == NULL ||
        rc->subsample_seed == NULL || rc->sims == NULL || rc->boot_sims == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    /* The inputs were checked (sc_inputs_check) before the run started;
     * the headers and ids are checked again per dataset in
     * hash_and_check, with the same checks (core/io/inputs.h). */
    char buf[PATH_CAP];
    for (size_t d = 0; d < rc->D; d++) {
        const char *ds = spec->datasets[d].name;
        for (size_t i = 0; i < rc->m; i++) {
            int st = sc_spec_path(spec, spec->features, ds,
                                  spec->models[i].name, buf, sizeof buf, err);
            if (st != SC_OK)
                return st;
            rc->feature_path[d * rc->m + i] = sc_strdup(buf);
            if (rc->feature_path[d * rc->m + i] == NULL)
                return sc_err_set(err, SC_ENOMEM, "out of memory");
        }
        if (spec->ids != NULL && strstr(spec->ids, "{model}") == NULL) {
            int st =
                sc_spec_path(spec, spec->ids, ds, NULL, buf, sizeof buf, err);
            if (st != SC_OK)
                return st;
            rc->ids_path[d] = sc_strdup(buf);
            if (rc->ids_path[d] == NULL)
                return sc_err_set(err, SC_ENOMEM, "out of memory");
        }
    }
    return SC_OK;
}

/* One model's feature file of dataset d: its rows (header only) and its
 * SHA-256, each into the model's own slot. */
/* ## Checksums
 *
 * Every feature file's SHA-256 goes into the cache keys and the manifest.
 * With --resume the keys are looked up before anything is computed, so
 * the files are hashed up front, in a pass of their own (hash_features).
 * Without it nothing is looked up, and each file is hashed right after
 * the similarity stage loaded it (sc_run_load_lazy), from the page cache
 * its load just filled: a fresh run reads each feature file from the disk
 * once, not twice (3.4 GB a dataset at the paper's scale, about 4 s of
 * the disk before every dataset), and the digest is that of the bytes as
 * loaded. The keys are computed when the matrices are stored
 * (dataset_store), once every file of the dataset is hashed. */

/* SHA-256 of model i's feature file on dataset d (of the archive, for an
 * .npz member) into rc->feature_sha. */
static int hash_feature(sc_runctx *rc, size_t d, size_t i, sc_err *err)
{
    const char *path = rc->feature_path[d * rc->m + i];
    char file[PATH_CAP]; /* the archive of an .npz member */
    int st = sc_npz_file(path, file, sizeof file, err);
    if (st == SC_OK)
        st = sc_sha256_file(file, rc->feature_sha[d * rc->m + i], err);
    return st;
}

typedef struct hash_job {
    sc_runctx *rc;
    size_t d;
    unsigned flags; /* sc_npy_peek_ex flags of the spec */
    size_t *rows;
} hash_job;

static int hash_one(size_t i, void *ud, sc_err *err)
{
    hash_job *j = ud;
    sc_runctx *rc = j->rc;
    const char *path = rc->feature_path[j->d * rc->m + i];
    size_t cols = 0;
    int st = sc_npy_peek_ex(path, j->flags, &j->rows[i], &cols, err);
    if (st == SC_OK && !rc->sha_at_load)
        st = hash_feature(rc, j->d, i, err);
    return st;
}

/* Row counts (headers only) and SHA-256 of dataset d's feature files
 * (the latter later, at load, with rc->sha_at_load: "Checksums").
 * Checksums read every byte of every feature file, 3.5 GB per dataset at
 * the paper's scale, so the files are hashed on the run's threads (one
 * file per item, progress counting files). Each digest depends on its file
 * only, and the pool reports the lowest-numbered failure, so digests and
 * errors are those of a serial loop. */
static int hash_features(sc_runctx *rc, size_t d, size_t *rows, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    hash_job job = {rc, d,
                    (spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0) |
                        (spec->flatten ? SC_NPY_FLATTEN : 0),
                    rows};
    char label[160];
    snprintf(label, sizeof label, "%s %s",
             rc->sha_at_load ? "headers" : "checksums", spec->datasets[d].name);
    return sc_run_parallel(rc, rc->m, hash_one, &job, label, err);
}

/* SHA-256 of dataset d's ids file (the first model's when there is one
 * per model: sc_inputs_ids checked that the others list the same ids). */
static int hash_ids(sc_runctx *rc, size_t d, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    rc->ids_sha[d][0] = '\0';
    if (spec->ids == NULL)
        return SC_OK;
    char buf[PATH_CAP];
    const char *path = rc->ids_path[d];
    if (path == NULL) {
        int st = sc_spec_path(spec, spec->ids, spec->datasets[d].name,
                              spec->models[0].name, buf, sizeof buf, err);
        if (st != SC_OK)
            return st;
        path = buf;
    }
    return sc_sha256_file(path, rc->ids_sha[d], err);
}

/* Hash the dataset's files and check them with the input checks of
 * `simcon check` (sc_inputs_rows, sc_inputs_ids): rows agree across
 * models, ids files match. */
static int hash_and_check(sc_runctx *rc, size_t d, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    const char *ds = spec->datasets[d].name;
    size_t n0 = 0;
    size_t *rows = sc_calloc(rc->m, sizeof *rows);
    if (rows == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int st = hash_features(rc, d, rows, err);
    if (st == SC_OK)
        st = sc_inputs_rows(spec, d, rows, &n0, err);
    sc_free(rows);
    if (st == SC_OK)
        st = sc_inputs_ids(spec, d, n0, NULL, err);
    if (st == SC_OK)
        st = hash_ids(rc, d, err);
    if (st != SC_OK)
        return st;
    rc->n_rows[d] = n0;
    rc->n_used[d] = n0;
    if (spec->max_stimuli > 0 && n0 > spec->max_stimuli) {
        char task[512];
        snprintf(task, sizeof task, "subsample/%s", ds);
        rc->subsample_seed[d] = sc_rng_task_seed(spec->seed, task);
        rc->n_used[d] = spec->max_stimuli;
    }
    return SC_OK;
}

static void cache_key(const sc_runctx *rc, size_t d, size_t k,
                      char key[SC_SHA256_HEX])
{
    const sc_spec *spec = rc->spec;
    const run_metric *rm = &rc->metrics[k];
    sc_sha256 c;
    sc_sha256_init(&c);
    char line[2048];
#define ADD(...)                                                               \
    do {                                                                       \
        int w_ = snprintf(line, sizeof line, __VA_ARGS__);                     \
        sc_sha256_update(&c, line, w_ > 0 ? strlen(line) : 0);                 \
    } while (0)
    ADD("simcon similarity cache v1\n");
    for (size_t i = 0; i < rc->m; i++)
        ADD("model\t%s\t%s\n", spec->models[i].name,
            rc->feature_sha[d * rc->m + i]);
    ADD("ids\t%s\n", rc->ids_sha[d][0] ? rc->ids_sha[d] : "none");
    ADD("plugin\t%s\t%s\n", rm->plugin->desc->name, rm->plugin->desc->version);
    ADD("params\t%s\n", rm->params);
    ADD("normalize\t%s\n", sc_norm_name(spec->normalize));
    ADD("max_stimuli\t%zu\n", spec->max_stimuli);
    if (rc->subsample_seed[d] != 0)
        ADD("subsample_seed\t%u\n", (unsigned)rc->subsample_seed[d]);
    else
        ADD("subsample_seed\tnone\n");
    if (rm->f32)
        ADD("embedding\tfloat32\n");
    /* Blocks change the products' last bits (simblock.h): K > 1 is another
     * matrix; K = 1 keeps the key of every earlier run. */
    if (sc_run_blocked(rc, k))
        ADD("model_blocks\t%zu\n", spec->model_blocks);
#undef ADD
    uint8_t dig[32];
    sc_sha256_final(&c, dig);
    for (size_t b = 0; b < 32; b++)
        snprintf(key + 2 * b, 3, "%02x", dig[b]);
}

/* Does the cached matrix list exactly the spec's models in order? */
static bool cache_matches(const sc_runctx *rc, const sc_simmat *sm)
{
    if (sm->m != rc->m)
        return false;
    for (size_t i = 0; i < rc->m; i++)
        if (strcmp(sm->names[i], rc->spec->models[i].name) != 0)
            return false;
    return true;
}

/* Look for .cache/<key>.csv in the task folder (opts.task_dir), the
 * previous result and in staging folders of runs that were killed. On a hit,
 * *out holds the matrix and found_path the file. */
static bool cache_lookup(const sc_runctx *rc, const char *key, sc_simmat *out,
                         char *found_path, size_t cap)
{
    char **stale = NULL;
    size_t nstale = 0;
    sc_err ignored;
    /* Staging folders are stale only under the result folder's lock, which
     * a single task (rc->out NULL: no staging) does not hold. */
    if (rc->out != NULL)
        (void)sc_stage_stale(rc->opts.out_dir, rc->out, &stale, &nstale,
                             &ignored);
    bool hit = false;
    /* The task folder of a planned run (core/run/run_plan.c) first, then the
     * previous result, then killed runs. */
    const char *task_dir = rc->opts.task_dir;
    for (size_t c = task_dir ? 0 : 1; c <= nstale + 1 && !hit; c++) {
        const char *base = c == 0   ? task_dir
                           : c == 1 ? rc->opts.out_dir
                                    : stale[c - 2];
        snprintf(found_path, cap, "%s/.cache/%s.csv", base, key);
        if (access(found_path, R_OK) != 0)
            continue;
        sc_simmat sm = {0};
        if (sc_simcsv_read(found_path, &sm, &ignored) == SC_OK &&
            cache_matches(rc, &sm)) {
            *out = sm;
            hit = true;
        } else {
            sc_simmat_deinit(&sm);
        }
    }
    for (size_t c = 0; c < nstale; c++)
        sc_free(stale[c]);
    sc_free(stale);
    return hit;
}

/* ## Loading */

static int take_rows(sc_matrix *x, const size_t *rows, size_t k, sc_err *err)
{
    sc_matrix y = {0};
    int st = sc_matrix_init(&y, k, x->cols, err);
    if (st != SC_OK)
        return st;
    for (size_t r = 0; r < k; r++)
        memcpy(y.data + r * x->cols, x->data + rows[r] * x->cols,
               x->cols * sizeof(double));
    sc_matrix_deinit(x);
    *x = y;
    return SC_OK;
}

/* The seeded subsample of dataset d (max_stimuli), or *rows = NULL for
 * all stimuli. */
static int subsample_rows(sc_runctx *rc, size_t d, size_t **rows, sc_err *err)
{
    *rows = NULL;
    if (rc->subsample_seed[d] == 0)
        return SC_OK;
    size_t n = rc->n_rows[d], k = rc->n_used[d];
    size_t *all = sc_malloc(n * sizeof *all);
    size_t *pick = sc_malloc(k * sizeof *pick);
    sc_rng rng = {0};
    int st = SC_OK;
    if (all == NULL || pick == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        st = sc_rng_init(&rng, rc->subsample_seed[d], err);
    if (st == SC_OK) {
        for (size_t t = 0; t < n; t++)
            all[t] = t;
        gsl_ran_choose(rng.gsl, pick, k, all, n, sizeof *all);
    }
    sc_rng_deinit(&rng);
    sc_free(all);
    if (st != SC_OK) {
        sc_free(pick);
        return st;
    }
    *rows = pick;
    return SC_OK;
}

/* Features of model i on dataset d: loaded, checked, subsampled (rows may
 * be NULL) and normalised, into x (empty on failure). */
static int load_one(sc_runctx *rc, size_t d, size_t i, const size_t *rows,
                    sc_matrix *x, sc_err *err)
{
    const char *path = rc->feature_path[d * rc->m + i];
    int st = sc_npy_load_ex(path,
                            (rc->spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0) |
                                (rc->spec->flatten ? SC_NPY_FLATTEN : 0),
                            x, err);
    if (st == SC_OK && x->rows != rc->n_rows[d])
        st = sc_err_set(err, SC_EIO,
                        "%s: %zu rows, expected %zu; "
                        "the file changed during the run",
                        path, x->rows, rc->n_rows[d]);
    if (st == SC_OK && rows != NULL)
        st = take_rows(x, rows, rc->n_used[d], err);
    if (st == SC_OK)
        st = sc_prep_apply(x, rc->spec->normalize, path, err);
    if (st != SC_OK)
        sc_matrix_deinit(x);
    return st;
}

/* Lazy inputs for sc_simmat_compute_lazy: one model's features at a time,
 * so a dataset never has to fit in memory as a whole (64 models x 10,000
 * stimuli x 1,300 units are 6.7 GB as doubles). */
int sc_run_load_lazy(void *ud, size_t i, sc_matrix *owned, sc_mat *view,
                     sc_err *err)
{
    const run_lazy *li = ud;
    int st = sc_run_canceled(li->rc, err);
    if (st != SC_OK)
        return st;
    /* The pool hands out models in order, so the next ones are about to be
     * loaded by the other workers: their files start coming in from the
     * disk now, while this one computes (a full-size dataset's features
     * are 3.4 GB; read on demand, page faults on them held a worker for
     * seconds at a time). */
    size_t m = li->rc->m;
    sc_prefetch_next((const char *const *)li->rc->feature_path + li->d * m, m,
                     i, li->rc->opts.threads);
    st = load_one(li->rc, li->d, i, li->rows, owned, err);
    /* Its checksum now, while its pages are in memory ("Checksums"); a
     * model loaded again (a later pass) keeps the first digest. One load
     * of a model at a time, so the slot has one writer. */
    if (st == SC_OK && li->rc->sha_at_load &&
        li->rc->feature_sha[li->d * m + i][0] == '\0')
        st = hash_feature(li->rc, li->d, i, err);
    if (st == SC_OK)
        *view = sc_matrix_view(owned);
    else
        sc_matrix_deinit(owned);
    return st;
}

/* ## Bootstrap over stimuli
 *
 * Replicate r of every model pair needs both models' prepared states (and,
 * for a plugin without compare_subset, their features: the host then
 * re-prepares from the resampled rows). Keeping all m states is 51 GB for
 * CKA at n = 10,000 and 64 models, so they are kept within the memory
 * budget (runtime.memory, --memory; half of RAM by default) and recomputed
 * when they do not fit:
 *   pass: prepare models s, s+1, ... (T at a time, T = threads) while they
 *         and T more states of the largest size seen fit the budget; these
 *         stay resident as block A = [s, e). Replicates of the pairs inside
 *         A, then the models after A stream through T at a time: prepared,
 *         replicates of the pairs A x batch, released. Then A is released
 *         and the next pass starts at e.
 * When every state fits, that is one pass and m prepares, as before; else
 * about m^2 / (2 |A|) prepares, which at the paper's scale cost far less
 * than the B m^2 / 2 subset comparisons. A state's size is what its
 * prepare kept from host->alloc (sc_metric_state_bytes), plus the kept
 * features. Each entry S^(r)_ab is compare_subset of the same two states
 * on the same draws whichever pass computes it, so the replicates are
 * byte-identical for every budget and thread count. Outside the budget:
 * per running worker, one prepare's scratch and one compare_subset's
 * (CKA: two count x count matrices), and the replicates themselves
 * (B m^2 doubles per dataset and metric). */

typedef struct boot_slot {
    void *state;
    sc_matrix x;  /* features, kept only without compare_subset */
    size_t bytes; /* state + kept features */
} boot_slot;

typedef struct boot_job {
    sc_runctx *rc;
    size_t d;
    const size_t *rows; /* subsample, or NULL */
    const run_metric *rm;
    boot_slot *slot;   /* m; live only for prepared models */
    bool keep_x;       /* plugin offers no compare_subset */
    const size_t *idx; /* B x n stimulus draws */
    size_t n, m, B;
    size_t first;          /* prepare task t: model first + t */
    size_t a0, a1, b0, b1; /* replicate task: pairs in [a0, a1) x [b0, b1),
                              or within [a0, a1) when b0 == b1 */
    double *out;           /* B x m x m */
    const char *dataset;
} boot_job;

static int boot_prepare_task(size_t t, void *ud, sc_err *err)
{
    boot_job *j = ud;
    size_t i = j->first + t;
    boot_slot *sl = &j->slot[i];
    int st = sc_run_canceled(j->rc, err);
    if (st == SC_OK)
        st = load_one(j->rc, j->d, i, j->rows, &sl->x, err);
    if (st == SC_OK) {
        sc_mat v = sc_matrix_view(&sl->x);
        st = sc_metric_prepare(j->rm->plugin, &j->rm->args.args, &v, &sl->state,
                               err);
    }
    if (st != SC_OK || !j->keep_x)
        sc_matrix_deinit(&sl->x);
    if (st != SC_OK)
        return sc_err_prefix(err, "dataset '%s', metric '%s', model %zu",
                             j->dataset, j->rm->sm->name, i);
    sl->bytes = sc_metric_state_bytes(sl->state) +
                (j->keep_x ? sl->x.rows * sl->x.cols * sizeof(double) : 0);
    return SC_OK;
}

static void boot_release(boot_job *j, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        sc_metric_release(j->rm->plugin, j->slot[i].state);
        j->slot[i].state = NULL;
        sc_matrix_deinit(&j->slot[i].x);
    }
}

static int boot_pair(const boot_job *j, size_t r, size_t a, size_t b,
                     sc_err *err)
{
    const boot_slot *sa = &j->slot[a], *sb = &j->slot[b];
    sc_mat va = sc_matrix_view(&sa->x), vb = sc_matrix_view(&sb->x);
    double v = 0;
    int st = sc_metric_compare_subset(
        j->rm->plugin, &j->rm->args.args, sa->state, sb->state,
        j->keep_x ? &va : NULL, j->keep_x ? &vb : NULL, j->idx + r * j->n, j->n,
        &v, err);
    if (st != SC_OK)
        return sc_err_prefix(err,
                             "dataset '%s', metric '%s', stimulus bootstrap "
                             "replicate %zu",
                             j->dataset, j->rm->sm->name, r);
    j->out[r * j->m * j->m + a * j->m + b] = v;
    return SC_OK;
}

static int boot_replicate_task(size_t r, void *ud, sc_err *err)
{
    const boot_job *j = ud;
    bool sym = j->rm->symmetric;
    int st = SC_OK;
    for (size_t a = j->a0; a < j->a1 && st == SC_OK; a++) {
        if (j->b0 == j->b1) { /* within [a0, a1) */
            for (size_t b = sym ? a + 1 : j->a0; b < j->a1 && st == SC_OK; b++)
                if (b != a)
                    st = boot_pair(j, r, a, b, err);
            continue;
        }
        for (size_t b = j->b0; b < j->b1 && st == SC_OK; b++) {
            st = boot_pair(j, r, a, b, err);
            if (st == SC_OK && !sym)
                st = boot_pair(j, r, b, a, err);
        }
    }
    return st;
}

/* Prepare models [from, from + count) in parallel; the largest slot so far
 * in *maxb, the sum over these in *sum. */
static int boot_prepare(boot_job *j, size_t from, size_t count, size_t *maxb,
                        size_t *sum, const char *label, sc_err *err)
{
    j->first = from;
    int st = sc_run_parallel(j->rc, count, boot_prepare_task, j, label, err);
    j->rc->boot_prepares += count;
    for (size_t i = from; i < from + count && st == SC_OK; i++) {
        *sum += j->slot[i].bytes;
        *maxb = j->slot[i].bytes > *maxb ? j->slot[i].bytes : *maxb;
    }
    return st;
}

/* One pass (see above): block A from model s, then the rest streamed.
 * *next is where the next pass starts. */
static int boot_pass(boot_job *j, size_t s, size_t budget, size_t *next,
                     sc_err *err)
{
    size_t m = j->m, T = j->rc->opts.threads > 0 ? j->rc->opts.threads : 1;
    size_t e = s, used = 0, maxb = 0;
    char label[160];
    snprintf(label, sizeof label, "prepare (bootstrap) %s/%s", j->dataset,
             j->rm->sm->name);
    int st = SC_OK;
    /* Fill A: one batch of T, then the largest batch that still leaves
     * room for a stream batch (or all the rest, when it fits). */
    size_t cnt = m - e < T ? m - e : T;
    while (cnt > 0) {
        st = boot_prepare(j, e, cnt, &maxb, &used, label, err);
        e += cnt;
        size_t rest = m - e;
        cnt = 0;
        for (size_t c = rest < T ? rest : T; st == SC_OK && c > 0; c--) {
            size_t stream = rest - c < T ? rest - c : T;
            if ((double)used + (double)(c + stream) * (double)maxb <=
                (double)budget) {
                cnt = c;
                break;
            }
        }
    }
    j->rc->boot_state_max =
        maxb > j->rc->boot_state_max ? maxb : j->rc->boot_state_max;
    snprintf(label, sizeof label, "stimulus bootstrap %s/%s models %zu-%zu",
             j->dataset, j->rm->sm->name, s, e - 1);
    j->a0 = s;
    j->a1 = e;
    j->b0 = j->b1 = 0;
    if (st == SC_OK && e - s > 1)
        st = sc_run_parallel(j->rc, j->B, boot_replicate_task, j, label, err);
    for (size_t t = e; t < m && st == SC_OK;) {
        size_t room = budget > used && maxb > 0 ? (budget - used) / maxb : 0;
        size_t nb = m - t < T ? m - t : T;
        nb = room < nb ? (room > 0 ? room : 1) : nb;
        size_t sb = 0, mb = maxb;
        st = boot_prepare(j, t, nb, &mb, &sb, label, err);
        j->rc->boot_state_max =
            mb > j->rc->boot_state_max ? mb : j->rc->boot_state_max;
        j->b0 = t;
        j->b1 = t + nb;
        if (st == SC_OK)
            st = sc_run_parallel(j->rc, j->B, boot_replicate_task, j, label,
                                 err);
        boot_release(j, t, t + nb);
        t += nb;
    }
    boot_release(j, s, m);
    *next = e;
    return st;
}

/* Replicates of dataset d for metric k into rc->boot_sims. */
static int boot_metric(sc_runctx *rc, size_t d, size_t k, const size_t *rows,
                       const size_t *idx, size_t outn, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t m = rc->m, B = spec->bootstrap;
    const run_metric *rm = &rc->metrics[k];
    boot_job j = {.rc = rc,
                  .d = d,
                  .rows = rows,
                  .rm = rm,
                  .keep_x = rm->plugin->desc->compare_subset == NULL,
                  .idx = idx,
                  .n = rc->n_used[d],
                  .m = m,
                  .B = B,
                  .dataset = spec->datasets[d].name};
    j.slot = sc_calloc(m, sizeof *j.slot);
    j.out = sc_calloc(outn, sizeof *j.out);
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    rc->boot_budget = budget;
    int st = SC_OK;
    if (j.slot == NULL || j.out == NULL)
        st = sc_err_set(err, SC_ENOMEM,
                        "out of memory for the stimulus bootstrap of dataset "
                        "'%s'",
                        j.dataset);
    for (size_t s = 0; s < m && st == SC_OK; rc->boot_passes++) {
        size_t next = m;
        st = boot_pass(&j, s, budget, &next, err);
        s = next;
    }
    /* Symmetrise (the statistics read the upper triangle). */
    if (st == SC_OK && !rm->symmetric)
        for (size_t r = 0; r < B; r++)
            (void)sc_symmetrize(j.out + r * m * m, m);
    if (j.slot != NULL)
        boot_release(&j, 0, m);
    sc_free(j.slot);
    if (st == SC_OK)
        rc->boot_sims[k * rc->D + d] = j.out;
    else
        sc_free(j.out);
    return st;
}

static int stimulus_bootstrap(sc_runctx *rc, size_t d, const size_t *rows,
                              sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t n = rc->n_used[d], m = rc->m, B = spec->bootstrap;
    const char *ds = spec->datasets[d].name;
    size_t draws = 0, outn = 0;
    if (!sc_size_mul(B, n, &draws) || !sc_size_mul3(B, m, m, &outn))
        return sc_err_set(err, SC_ENOMEM,
                          "dataset '%s': %zu stimulus bootstrap replicates "
                          "of %zu stimuli and %zu models do not fit in "
                          "memory; lower statistics.bootstrap",
                          ds, B, n, m);
    size_t *idx = sc_calloc(draws, sizeof *idx);
    if (idx == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory for %zu stimulus "
                          "bootstrap draws of dataset '%s'",
                          B, ds);
    char task[512];
    snprintf(task, sizeof task, "stimuli/%s", ds);
    sc_rng rng = {0};
    int st = sc_rng_init(&rng, sc_rng_task_seed(spec->seed, task), err);
    if (st == SC_OK)
        for (size_t t = 0; t < draws; t++)
            idx[t] = sc_rng_index(&rng, n);
    sc_rng_deinit(&rng);
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        st = boot_metric(rc, d, k, rows, idx, outn, err);
    sc_free(idx);
    return st;
}

/* ## The stage */

/* The analysis copy of the matrix (symmetrised for an asymmetric metric)
 * and its key, for the later stages. */
static int keep(sc_runctx *rc, size_t d, size_t k, const sc_simmat *sm,
                const char *key, sc_err *err)
{
    size_t m = rc->m;
    sc_matrix *S = &rc->sims[k * rc->D + d];
    int st = sc_matrix_init(S, m, m, err);
    if (st != SC_OK)
        return st;
    memcpy(S->data, sm->s.data, m * m * sizeof *S->data);
    if (!rc->metrics[k].symmetric)
        (void)sc_symmetrize(S->data, m);
    snprintf(rc->sim_key[k * rc->D + d], SC_SHA256_HEX, "%s", key);
    return SC_OK;
}

static int store(sc_runctx *rc, size_t d, size_t k, const sc_simmat *sm,
                 const char *key, const char *reuse_from, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    char rel[PATH_CAP];
    snprintf(rel, sizeof rel, SC_RES_SIMILARITY_DIR "/%s",
             spec->datasets[d].name);
    char *dir = sc_run_path(rc, rel);
    if (dir == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int st = sc_mkdir_p(dir, err);
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s.csv", dir, rc->metrics[k].sm->name);
    sc_free(dir);
    if (st == SC_OK)
        st = sc_simcsv_write(path, sm, err);
    char *cdir = sc_run_path(rc, SC_RES_CACHE_DIR);
    if (cdir == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    if (st == SC_OK)
        st = sc_mkdir_p(cdir, err);
    snprintf(path, sizeof path, "%s/%s.csv", cdir, key);
    sc_free(cdir);
    /* A reused entry is linked, not rewritten: same bytes, same inode, so
     * the cache file's mtime shows it was not recomputed. */
    if (st == SC_OK && (reuse_from == NULL || link(reuse_from, path) != 0))
        st = sc_simcsv_write(path, sm, err);
    if (st != SC_OK)
        return st;
    return keep(rc, d, k, sm, key, err);
}

static int fill_names(const sc_runctx *rc, sc_simmat *sm, sc_err *err)
{
    sm->m = rc->m;
    sm->names = sc_calloc(rc->m, sizeof *sm->names);
    if (sm->names == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < rc->m; i++) {
        sm->names[i] = sc_strdup(rc->spec->models[i].name);
        if (sm->names[i] == NULL)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    return sc_matrix_init(&sm->s, rc->m, rc->m, err);
}

/* The bytes of the budget kept for the running workers' prepare memory on
 * dataset d (sc_plan_reserve: threads x one worker's peak for the
 * dataset's largest d), with one note when the workers alone need more
 * than the budget: the run goes on with every E spilled, but its peak is
 * then the workers' need, not the budget. */
static int reserve_workers(sc_runctx *rc, size_t d, size_t budget,
                           size_t *reserve, sc_err *err)
{
    unsigned T = rc->opts.threads > 0 ? rc->opts.threads : 1;
    int st =
        sc_plan_dataset_reserve(rc->spec, d, rc->n_used[d], T, reserve, err);
    if (st == SC_OK && *reserve > budget) {
        char need[SC_SPILL_SIZE_CAP], bud[SC_SPILL_SIZE_CAP];
        sc_run_note(rc,
                    "similarity %s: %u worker thread(s) need about %s to "
                    "prepare the models (n = %zu), more than the memory "
                    "budget (%s): every embedding matrix spills to disk and "
                    "the process will use about %s; raise --memory or lower "
                    "--threads to stay within it",
                    rc->spec->datasets[d].name, T,
                    sc_spill_size(need, *reserve), rc->n_used[d],
                    sc_spill_size(bud, budget), sc_spill_size(need, *reserve));
    }
    return st;
}

/* Compute the matrix of dataset d and metric k into sm through the lazy
 * engine, which loads each model's features when it is prepared (rows: the
 * subsample or NULL). */
static int compute_matrix(sc_runctx *rc, size_t d, size_t k, size_t *lazy_rows,
                          sc_simmat *sm, sc_err *err)
{
    const char *ds = rc->spec->datasets[d].name;
    const run_metric *rm = &rc->metrics[k];
    int st = fill_names(rc, sm, err);
    if (st != SC_OK)
        return st;
    sc_simmat_opts so = {rc->opts.threads, rc->opts.memory, NULL, 1, 0};
    char label[96];
    snprintf(label, sizeof label, "similarity %s/%s ", ds, rm->sm->name);
    sc_simmat_extra ex = {0};
    ex.float32 = rm->f32;
    ex.progress = &rc->progress;
    ex.progress_label = label;
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    st = reserve_workers(rc, d, budget, &ex.reserve, err);
    run_lazy li = {rc, d, lazy_rows};
    if (st == SC_OK)
        st = sc_simmat_compute_lazy(rm->plugin, &rm->args.args, rc->m,
                                    rc->n_used[d], sc_run_load_lazy, &li, &so,
                                    &ex, sm->s.data, NULL, err);
    if (st != SC_OK)
        sc_err_prefix(err,
                      "dataset '%s', metric '%s' (models "
                      "numbered from 0 in spec order)",
                      ds, rm->sm->name);
    return st;
}

/* ## Overlapped datasets (issue 13)
 *
 * The products of a spilled E mostly wait for the disk (at full size
 * 33-58 s per dataset, CPUs nearly idle, after a prepare of ~175 s with
 * both cores busy), so the products of dataset d run on a thread of their
 * own (dataset_finish, which also writes d's outputs) while dataset d + 1
 * is hashed and prepared on the run's threads; the two are joined before
 * d + 1's products start (the last dataset's run on the calling thread,
 * with their progress line). Only when d's products are all that is left
 * of its similarity (sc_simmat_extra.defer: every metric embedded, every
 * E spilled), there are no model blocks (runtime.model_blocks) and no
 * stimulus replicates. A dataset whose products cannot wait (an E in
 * memory) runs them inside its engine pass, alongside those behind it:
 * within the budget too (its blocks of a quarter of budget - budget / 8,
 * or its E's in memory, plus budget / 8).
 *
 * Memory: --memory bounds both phases together. The deferred products get
 * a quarter of the budget as theirs (sc_simmat_finish: two column blocks
 * of budget / 16, so they hold budget / 8), and the next dataset plans its
 * workers' reserve and E's in the budget less those budget / 8 (held):
 * the blocks' size never changes the bits (the parts are fixed,
 * simmat.c), and E's that spilled for d spill for d + 1 as well unless
 * its shape is smaller.
 * Disk: d's E's are held on the run's spill gate (spill.h) until its
 * products close them; d + 1's E's are sparse until then and reserved
 * right after; d + 1's passes are planned with d's held bytes counted as
 * free (they will be), so what can never fit still fails before
 * computing.
 * Bits: the products' parts and their order are those of the engine
 * run in one go, and each dataset's outputs are written by one thread
 * after its products, so nothing depends on which phase ends first. */
/* What one engine pass left for later: its jobs, whose products run on
 * the background thread (sim_overlap.pending), kept until they are done. */
typedef struct sim_jobs {
    sc_simmat_job *jobs;
    sc_simmat_info *infos;
    char (*labels)[96];
} sim_jobs;

typedef struct sim_overlap {
    sc_spill_gate *gate;
    size_t held;        /* budget bytes of the products running behind   */
    const char *behind; /* their dataset, for the progress line, or NULL */
    bool may_defer;     /* this dataset's products may wait               */
    sc_simmat_pending *pending; /* out: its products, when they wait      */
    sim_jobs jobs;              /* out: their jobs                        */
} sim_overlap;

/* The passes of dataset d's metrics ks[0..nk-1] (run_plan.c): all in one
 * when their E's spill nothing or their spill fits the spill directory,
 * else the fewest consecutive groups that fit, with a notice; first[0..
 * *passes] the groups' first metrics. A metric that alone does not fit
 * fails here, before anything is computed, with the one-line message of
 * a failed reservation (core/host/spill.h). */
static int plan_passes(sc_runctx *rc, size_t d, const size_t *ks, size_t nk,
                       const sim_overlap *ov, size_t *first, size_t *passes,
                       size_t *reserve, sc_err *err)
{
    const char *ds = rc->spec->datasets[d].name;
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    size_t *eb = sc_calloc(nk, sizeof *eb);
    if (eb == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    /* The running workers' prepare memory first, E's in what is left. */
    int st = reserve_workers(rc, d, budget, reserve, err);
    size_t room = sc_plan_e_room(budget - ov->held, *reserve);
    sc_plan_spill sp;
    if (st == SC_OK)
        st = sc_plan_dataset_spill(rc, d, rc->n_used[d], ks, nk, room, SIZE_MAX,
                                   first, eb, &sp, err);
    const char *dir = sc_spill_dir(NULL);
    size_t free_b = 0, usable = 0;
    /* The E's of a dataset whose products still run count as free: they
     * are closed before this dataset's E's are reserved (spill.h). */
    if (st == SC_OK && sp.spill > 0)
        st = sc_spill_gate_room(ov->gate, dir, &free_b, &usable, err);
    if (st == SC_OK && sp.spill > 0)
        sc_plan_passes(eb, nk, room, usable, first, &sp);
    sc_free(eb);
    if (st != SC_OK)
        return st;
    *passes = sp.passes;
    if (sp.passes == 0) {
        sc_spill_no_room(err, dir, sp.too_big_bytes, free_b, usable, 0);
        return sc_err_prefix(err, "dataset '%s', metric '%s': before computing",
                             ds, rc->metrics[ks[sp.too_big]].sm->name);
    }
    char need[SC_SPILL_SIZE_CAP], bud[SC_SPILL_SIZE_CAP], fb[SC_SPILL_SIZE_CAP];
    if (sp.spill > 0)
        sc_run_note(rc,
                    "similarity %s: the %zu metrics' states need %s of "
                    "spill beyond the memory budget (%s), %s free in %s: "
                    "%zu pass%s (the Gram is computed once per pass)",
                    ds, nk, sc_spill_size(need, sp.spill),
                    sc_spill_size(bud, budget), sc_spill_size(fb, free_b), dir,
                    sp.passes, sp.passes == 1 ? "" : "es");
    return SC_OK;
}

static void sim_jobs_free(sim_jobs *sj)
{
    sc_free(sj->jobs);
    sc_free(sj->infos);
    sc_free(sj->labels);
    *sj = (sim_jobs){0};
}

/* The manifest's record of what the engine did for (ks[j], d). */
static void record_embeds(sc_runctx *rc, size_t d, const size_t *ks, size_t nk,
                          const sc_simmat_info *infos)
{
    for (size_t j = 0; j < nk; j++) {
        const sc_simmat_info *in = &infos[j];
        run_embed *re = &rc->sim_embed[ks[j] * rc->D + d];
        re->computed = true;
        re->embed = in->used_embed != 0;
        re->float32 = in->used_embed && in->float32;
        re->spilled = in->used_embed && in->spilled;
        if (!in->used_embed ||
            !sc_size_mul3(rc->m, in->embed_len,
                          in->float32 ? sizeof(float) : sizeof(double),
                          &re->bytes))
            re->bytes = 0;
    }
}

/* Compute the matrices of dataset d for the metrics ks[0..nk-1] into
 * sms[0..nk-1] through the all-pairs engine (sc_simmat_compute_multi):
 * each model's features are loaded once per pass for all of its metrics,
 * and the metrics that derive from the same Gram matrix share it. One
 * pass unless the spill would not fit the disk (plan_passes); a metric's
 * matrix is the same bits whichever metrics share its pass (the engine's
 * blocks do not depend on them, tests/run/spill_passes.sh). Lazily from
 * the features (rows: the subsample or NULL). With ov->may_defer and one
 * pass whose E's all spilled, the products are left pending in
 * ov->pending (ov->jobs kept for them; sms filled by dataset_finish). */
static int compute_matrices(sc_runctx *rc, size_t d, const size_t *ks,
                            size_t nk, size_t *lazy_rows, sc_simmat *sms,
                            sim_overlap *ov, sc_err *err)
{
    const char *ds = rc->spec->datasets[d].name;
    sim_jobs sj = {0};
    sj.jobs = sc_calloc(nk, sizeof *sj.jobs);
    sj.infos = sc_calloc(nk, sizeof *sj.infos);
    sj.labels = sc_calloc(nk, sizeof *sj.labels);
    size_t *first = sc_calloc(nk + 1, sizeof *first);
    int st = sj.jobs == NULL || sj.infos == NULL || sj.labels == NULL ||
                     first == NULL
                 ? sc_err_set(err, SC_ENOMEM, "out of memory")
                 : SC_OK;
    for (size_t j = 0; j < nk && st == SC_OK; j++) {
        const run_metric *rm = &rc->metrics[ks[j]];
        st = fill_names(rc, &sms[j], err);
        snprintf(sj.labels[j], sizeof sj.labels[j], "similarity %s/%s ", ds,
                 rm->sm->name);
        sj.jobs[j].p = rm->plugin;
        sj.jobs[j].args = &rm->args.args;
        sj.jobs[j].S = sms[j].s.data;
        sj.jobs[j].label = sj.labels[j];
        sj.jobs[j].float32 = rm->f32;
        sj.jobs[j].info = &sj.infos[j];
    }
    size_t passes = 0, reserve = 0;
    if (st == SC_OK)
        st = plan_passes(rc, d, ks, nk, ov, first, &passes, &reserve, err);
    char label[96];
    /* While the previous dataset's products run behind this prepare, its
     * line says so (they have no line of their own). */
    if (ov->behind != NULL)
        snprintf(label, sizeof label, "similarity %s (+ %s products) ", ds,
                 ov->behind);
    else
        snprintf(label, sizeof label, "similarity %s ", ds);
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    sc_simmat_opts so = {rc->opts.threads, budget - ov->held, NULL, 1, 0};
    run_lazy li = {rc, d, lazy_rows};
    size_t failed = 0;
    for (size_t p = 0; p < passes && st == SC_OK; p++) {
        size_t a = first[p], cnt = first[p + 1] - a;
        sc_simmat_extra ex = {0};
        ex.progress = &rc->progress;
        ex.progress_label =
            cnt == 1 && ov->behind == NULL ? sj.labels[a] : label;
        ex.reserve = reserve;
        ex.gate = ov->gate;
        ex.defer = ov->may_defer && passes == 1 ? &ov->pending : NULL;
        /* Trimmed once, after the last dataset (sc_run_similarity): a
         * trim here gave the prepares' pages back just before this
         * dataset's products and the next dataset's prepares asked for as
         * many again, fresh pages the kernel had to clear (issue 13). */
        ex.keep_pages = 1;
        st = sc_simmat_compute_multi(sj.jobs + a, cnt, NULL, rc->m,
                                     rc->n_used[d], sc_run_load_lazy, &li, &so,
                                     &ex, &failed, err);
        if (st != SC_OK)
            sc_err_prefix(
                err,
                "dataset '%s', metric '%s' (models "
                "numbered from 0 in spec order)",
                ds, rc->metrics[ks[a + (failed < cnt ? failed : 0)]].sm->name);
    }
    if (st == SC_OK)
        rc->sim_passes[d] = passes;
    if (st == SC_OK && ov->pending != NULL)
        ov->jobs = sj; /* kept for the products */
    else {
        if (st == SC_OK)
            record_embeds(rc, d, ks, nk, sj.infos);
        sim_jobs_free(&sj);
    }
    sc_free(first);
    return st;
}

/* Per-metric bookkeeping of one dataset (one_dataset). */
typedef struct dataset_metrics {
    sc_simmat *sms;              /* M matrices: cached or computed     */
    char (*keys)[SC_SHA256_HEX]; /* M cache keys                       */
    char (*found)[PATH_CAP];     /* M cache files found (hits)         */
    bool *hit;                   /* M                                  */
    size_t *ks, nk;              /* the metrics to compute             */
} dataset_metrics;

static void dm_free(dataset_metrics *dm, size_t M)
{
    for (size_t k = 0; dm->sms != NULL && k < M; k++)
        sc_simmat_deinit(&dm->sms[k]);
    sc_free(dm->sms);
    sc_free(dm->keys);
    sc_free(dm->found);
    sc_free(dm->hit);
    sc_free(dm->ks);
}

/* Cache keys and --resume hits of dataset d; the misses into dm->ks. */
static int lookup_cached(sc_runctx *rc, size_t d, dataset_metrics *dm,
                         sc_err *err)
{
    size_t M = rc->M;
    dm->sms = sc_calloc(M, sizeof *dm->sms);
    dm->keys = sc_calloc(M, sizeof *dm->keys);
    dm->found = sc_calloc(M, sizeof *dm->found);
    dm->hit = sc_calloc(M, sizeof *dm->hit);
    dm->ks = sc_calloc(M, sizeof *dm->ks);
    if (dm->sms == NULL || dm->keys == NULL || dm->found == NULL ||
        dm->hit == NULL || dm->ks == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t k = 0; k < M; k++) {
        cache_key(rc, d, k, dm->keys[k]);
        dm->hit[k] =
            rc->opts.resume &&
            cache_lookup(rc, dm->keys[k], &dm->sms[k], dm->found[k], PATH_CAP);
        if (dm->hit[k]) {
            sc_run_note(rc, "reused cached similarity %s/%s (%s)",
                        rc->spec->datasets[d].name, rc->metrics[k].sm->name,
                        dm->found[k]);
            rc->cache_reused++;
        } else {
            dm->ks[dm->nk++] = k;
        }
    }
    return SC_OK;
}

bool sc_run_blocked(const sc_runctx *rc, size_t k)
{
    /* precision=float32 (E in float32) is not blocked yet: the blocks'
     * rows and products are float64. */
    const sc_metric *d = rc->metrics[k].plugin->desc;
    return rc->spec->model_blocks > 1 && d->embed != NULL &&
           d->embed_len != NULL && !rc->metrics[k].f32;
}

/* The matrix of (d, k) in runtime.model_blocks blocks in this process
 * (core/host/simblock.h): the same functions, and so the same bits, as the
 * planned prepare, pairs and similarity tasks (run_task.c). A metric whose
 * states have no embedding here goes through the engine as with K = 1. */
static int blocked_matrix(sc_runctx *rc, size_t d, size_t k, size_t *rows,
                          sc_simmat *sm, sc_err *err)
{
    const run_metric *rm = &rc->metrics[k];
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    run_lazy li = {rc, d, rows};
    int pairwise = 0;
    int st = fill_names(rc, sm, err);
    if (st == SC_OK)
        st = sc_simblock_matrix(rm->plugin, &rm->args.args, rc->m,
                                rc->spec->model_blocks, rc->n_used[d],
                                sc_run_load_lazy, &li, rc->opts.threads, budget,
                                sm->s.data, &pairwise, err);
    if (st != SC_OK)
        return sc_err_prefix(err,
                             "dataset '%s', metric '%s' (models numbered from "
                             "0 in spec order)",
                             rc->spec->datasets[d].name, rm->sm->name);
    if (!pairwise)
        return SC_OK;
    sc_simmat_deinit(sm);
    return compute_matrix(rc, d, k, rows, sm, err);
}

/* The missing matrices of dataset d (rows: the subsample or NULL): the
 * blocked metrics (runtime.model_blocks > 1) one by one in blocks, all
 * others in one engine pass. */
static int compute_missing(sc_runctx *rc, size_t d, dataset_metrics *dm,
                           size_t *rows, sim_overlap *ov, sc_err *err)
{
    int st = SC_OK;
    size_t nk = dm->nk, nrest = 0;
    sc_simmat *computed = sc_calloc(nk + 1, sizeof *computed);
    sc_simmat *others = sc_calloc(nk + 1, sizeof *others);
    size_t *rest = sc_calloc(nk + 1, sizeof *rest);
    if (computed == NULL || others == NULL || rest == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t j = 0; j < nk && st == SC_OK; j++) {
        if (sc_run_blocked(rc, dm->ks[j]))
            st = blocked_matrix(rc, d, dm->ks[j], rows, &computed[j], err);
        else
            rest[nrest++] = dm->ks[j];
    }
    if (st == SC_OK && nrest > 0)
        st = compute_matrices(rc, d, rest, nrest, rows, others, ov, err);
    rc->cache_computed += nk;
    for (size_t j = 0, r = 0; st == SC_OK && j < nk; j++)
        dm->sms[dm->ks[j]] =
            sc_run_blocked(rc, dm->ks[j]) ? computed[j] : others[r++];
    for (size_t j = 0; st != SC_OK && computed != NULL && j < nk; j++)
        sc_simmat_deinit(&computed[j]);
    for (size_t j = 0; st != SC_OK && others != NULL && j < nk; j++)
        sc_simmat_deinit(&others[j]);
    sc_free(rest);
    sc_free(others);
    sc_free(computed);
    return st;
}

/* One dataset of the stage: its bookkeeping and, while its products run
 * on the background thread, that thread. */
typedef struct ds_run {
    size_t d;
    dataset_metrics dm;
    size_t *rows;   /* the subsample (NULL: every stimulus) */
    sim_overlap ov; /* pending products and their jobs       */
    pthread_t tid;
    bool threaded; /* dataset_finish runs on tid */
    int st;        /* its status and error       */
    sc_err err;
} ds_run;

static void ds_free(sc_runctx *rc, ds_run *ds)
{
    if (ds == NULL)
        return;
    sc_simmat_pending_free(ds->ov.pending);
    sim_jobs_free(&ds->ov.jobs);
    dm_free(&ds->dm, rc->M);
    sc_free(ds->rows);
    sc_free(ds);
}

/* Every matrix of dataset d to the result (CSV, cache file, analysis
 * copy), then its stimulus replicates. */
static int dataset_store(sc_runctx *rc, ds_run *ds, bool need_boot, sc_err *err)
{
    size_t d = ds->d;
    int st = SC_OK;
    /* Checksums taken at load: every file has its digest now (one the
     * engine did not load is hashed here), and the keys are recomputed
     * from them ("Checksums"). */
    for (size_t i = 0; rc->sha_at_load && i < rc->m && st == SC_OK; i++)
        if (rc->feature_sha[d * rc->m + i][0] == '\0')
            st = hash_feature(rc, d, i, err);
    for (size_t k = 0; rc->sha_at_load && k < rc->M && st == SC_OK; k++)
        cache_key(rc, d, k, ds->dm.keys[k]);
    for (size_t k = 0; k < rc->M && st == SC_OK; k++) {
        st = store(rc, d, k, &ds->dm.sms[k], ds->dm.keys[k],
                   ds->dm.hit[k] ? ds->dm.found[k] : NULL, err);
        if (st == SC_OK)
            st = sc_run_canceled(rc, err);
    }
    if (st == SC_OK && need_boot)
        st = stimulus_bootstrap(rc, d, ds->rows, err);
    return st;
}

/* Hash, look up the cache, prepare (and, unless they wait in ds->ov,
 * the products): dataset_store follows, now or after dataset_finish. */
static int dataset_start(sc_runctx *rc, ds_run *ds, bool need_boot, sc_err *err)
{
    size_t d = ds->d;
    int st = hash_and_check(rc, d, err);
    if (st != SC_OK)
        return st;
    /* Cached matrices first; every other metric in one engine pass. */
    st = lookup_cached(rc, d, &ds->dm, err);
    if (st == SC_OK && (ds->dm.nk > 0 || need_boot))
        st = subsample_rows(rc, d, &ds->rows, err);
    if (st == SC_OK && ds->dm.nk > 0)
        st = compute_missing(rc, d, &ds->dm, ds->rows, &ds->ov, err);
    return st;
}

/* The deferred products of ds (budget: as sc_simmat_finish's), then its
 * outputs. On the background thread it touches only dataset ds->d's slots
 * of rc (progress NULL). */
static int dataset_finish(sc_runctx *rc, ds_run *ds, size_t budget,
                          sc_progress *progress, sc_err *err)
{
    size_t failed = 0, nk = ds->dm.nk;
    sc_simmat_pending *pd = ds->ov.pending;
    ds->ov.pending = NULL; /* sc_simmat_finish frees it */
    int st = sc_simmat_finish(pd, budget, progress, &failed, err);
    if (st != SC_OK)
        return sc_err_prefix(
            err,
            "dataset '%s', metric '%s' (models "
            "numbered from 0 in spec order)",
            rc->spec->datasets[ds->d].name,
            rc->metrics[ds->dm.ks[failed < nk ? failed : 0]].sm->name);
    record_embeds(rc, ds->d, ds->dm.ks, nk, ds->ov.jobs.infos);
    sim_jobs_free(&ds->ov.jobs);
    return dataset_store(rc, ds, false, err);
}

/* Seconds since the similarity stage began (manifest.json's
 * cache.similarity_timeline: where a long study's time went). */
static double stage_seconds(const sc_runctx *rc)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - rc->sim_t0.tv_sec) +
           1e-9 * (double)(t.tv_nsec - rc->sim_t0.tv_nsec);
}

/* The dataset's matrices are stored: its "done" time, if it computed any
 * (on the background thread: only dataset ds->d's slot). */
static void mark_done(sc_runctx *rc, const ds_run *ds)
{
    if (rc->sim_passes[ds->d] > 0)
        rc->sim_done_s[ds->d] = stage_seconds(rc);
}

typedef struct finish_arg {
    sc_runctx *rc;
    ds_run *ds;
} finish_arg;

/* The background products get a quarter of the budget for their two
 * column blocks, which so hold budget / 8 (see "Overlapped datasets"). */
static size_t behind_budget(const sc_runctx *rc)
{
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    return budget / 4;
}

static void *finish_thread(void *arg)
{
    finish_arg *fa = arg;
    fa->ds->st = dataset_finish(fa->rc, fa->ds, behind_budget(fa->rc), NULL,
                                &fa->ds->err);
    mark_done(fa->rc, fa->ds);
    sc_free(fa);
    return NULL;
}

/* Starts dataset_finish of ds on a thread of its own; when no thread can
 * be created it runs here. */
static void finish_start(sc_runctx *rc, ds_run *ds)
{
    sc_err_clear(&ds->err);
    finish_arg *fa = sc_malloc(sizeof *fa);
    if (fa != NULL) {
        fa->rc = rc;
        fa->ds = ds;
        ds->threaded = pthread_create(&ds->tid, NULL, finish_thread, fa) == 0;
        if (ds->threaded)
            return;
        sc_free(fa);
    }
    ds->st = dataset_finish(rc, ds, behind_budget(rc), NULL, &ds->err);
    mark_done(rc, ds);
}

/* Waits for ds's background products and outputs: their status, the
 * error in *err. */
static int finish_wait(ds_run *ds, sc_err *err)
{
    if (ds->threaded)
        pthread_join(ds->tid, NULL);
    ds->threaded = false;
    if (ds->st != SC_OK && err != NULL)
        *err = ds->err;
    return ds->st;
}

int sc_run_similarity(sc_runctx *rc, sc_err *err)
{
    int st = resolve_paths(rc, err);
    /* Nothing is looked up without --resume: checksums at load. */
    rc->sha_at_load = !rc->opts.resume;
    /* No replicates while no stimulus CI is printed (run_plan.h). */
    bool need_boot = sc_plan_stimulus_reps(rc->spec);
    bool overlap = !need_boot && rc->spec->model_blocks <= 1;
    size_t budget =
        rc->opts.memory > 0 ? rc->opts.memory : sc_simmat_default_budget();
    sc_spill_gate gate;
    sc_spill_gate_init(&gate);
    clock_gettime(CLOCK_MONOTONIC, &rc->sim_t0);
    ds_run *behind = NULL; /* the dataset whose products run now */
    for (size_t d = 0; d < rc->D && st == SC_OK; d++) {
        ds_run *ds = sc_calloc(1, sizeof *ds);
        if (ds == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
        if (ds != NULL) {
            ds->d = d;
            ds->ov.gate = &gate;
            /* The last dataset's products wait too, for the ones
             * behind it (one products phase at a time on the disk). */
            ds->ov.may_defer = overlap;
            ds->ov.held = behind != NULL ? budget / 8 : 0;
            ds->ov.behind =
                behind != NULL ? rc->spec->datasets[behind->d].name : NULL;
            st = dataset_start(rc, ds, need_boot, err);
            if (st == SC_OK && rc->sim_passes[d] > 0)
                rc->sim_prepared_s[d] = stage_seconds(rc);
        }
        /* The dataset before first: its error (it would have come first
         * without the overlap) wins over this one's. */
        if (behind != NULL && finish_wait(behind, NULL) != SC_OK) {
            if (err != NULL)
                *err = behind->err;
            st = behind->st;
        }
        ds_free(rc, behind);
        behind = NULL;
        if (st == SC_OK && ds->ov.pending != NULL && d + 1 < rc->D) {
            /* Only now: the E's before them are closed, these reserved. */
            sc_simmat_pending_hold(ds->ov.pending, &gate);
            finish_start(rc, ds);
            behind = ds;
        } else if (st == SC_OK && ds->ov.pending != NULL) {
            st = dataset_finish(rc, ds, budget, &rc->progress, err);
            mark_done(rc, ds);
            ds_free(rc, ds);
        } else {
            if (st == SC_OK)
                st = dataset_store(rc, ds, need_boot, err);
            if (ds != NULL)
                mark_done(rc, ds);
            ds_free(rc, ds);
        }
    }
    if (behind != NULL && finish_wait(behind, err) != SC_OK && st == SC_OK)
        st = behind->st;
    ds_free(rc, behind);
    sc_spill_gate_deinit(&gate);
    sc_mem_recycle_trim();   /* kept across the datasets (compute_matrices) */
    rc->sha_at_load = false; /* every other caller hashes up front */
    return st;
}

/* ## One task of a planned run (core/run/run_plan.c) */

int sc_run_similarity_one(sc_runctx *rc, size_t d, size_t k,
                          sc_run_matrix_fn compute, bool *cached,
                          char key[SC_SHA256_HEX], sc_err *err)
{
    *cached = false;
    int st = resolve_paths(rc, err);
    if (st == SC_OK)
        st = hash_and_check(rc, d, err);
    if (st != SC_OK)
        return st;
    cache_key(rc, d, k, key);
    char dir[PATH_CAP], path[PATH_CAP], found[PATH_CAP];
    if (snprintf(dir, sizeof dir, "%s/.cache", rc->opts.task_dir) >=
            (int)sizeof dir ||
        snprintf(path, sizeof path, "%s/%s.csv", dir, key) >= (int)sizeof path)
        return sc_err_set(err, SC_EIO, "%s: path too long", rc->opts.task_dir);
    sc_simmat sm = {0};
    if (cache_lookup(rc, key, &sm, found, sizeof found)) {
        /* Done before (or by a local run): nothing to compute. A hit
         * outside the task folder is linked into it. */
        *cached = true;
        if (strcmp(found, path) != 0 && link(found, path) != 0)
            st = sc_simcsv_write(path, &sm, err);
        sc_simmat_deinit(&sm);
        return st;
    }
    size_t *rows = NULL;
    st = subsample_rows(rc, d, &rows, err);
    if (st == SC_OK && compute != NULL)
        st = compute(rc, d, k, rows, &sm, err);
    else if (st == SC_OK)
        st = compute_matrix(rc, d, k, rows, &sm, err);
    /* One atomic rename: a task killed before it leaves no entry, and two
     * runs of the same task write the same bytes. */
    if (st == SC_OK)
        st = sc_simcsv_write(path, &sm, err);
    sc_free(rows);
    sc_simmat_deinit(&sm);
    return st;
}

int sc_run_sim_dataset(sc_runctx *rc, size_t d, sc_err *err)
{
    int st = resolve_paths(rc, err);
    return st == SC_OK ? hash_and_check(rc, d, err) : st;
}

void sc_run_sim_key(const sc_runctx *rc, size_t d, size_t k,
                    char key[SC_SHA256_HEX])
{
    cache_key(rc, d, k, key);
}

int sc_run_sim_rows(sc_runctx *rc, size_t d, size_t **rows, sc_err *err)
{
    return subsample_rows(rc, d, rows, err);
}

int sc_run_sim_names(const sc_runctx *rc, sc_simmat *sm, sc_err *err)
{
    return fill_names(rc, sm, err);
}

int sc_run_sim_matrix(sc_runctx *rc, size_t d, size_t k, size_t *rows,
                      sc_simmat *sm, sc_err *err)
{
    return compute_matrix(rc, d, k, rows, sm, err);
}

int sc_run_similarity_cached(sc_runctx *rc, const bool *need, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    int st = resolve_paths(rc, err);
    for (size_t d = 0; d < rc->D && st == SC_OK; d++) {
        bool any = false;
        for (size_t k = 0; k < rc->M; k++)
            any = any || need[k * rc->D + d];
        if (!any)
            continue;
        st = hash_and_check(rc, d, err);
        for (size_t k = 0; k < rc->M && st == SC_OK; k++) {
            if (!need[k * rc->D + d])
                continue;
            char key[SC_SHA256_HEX], found[PATH_CAP];
            cache_key(rc, d, k, key);
            sc_simmat sm = {0};
            if (!cache_lookup(rc, key, &sm, found, sizeof found))
                return sc_err_set(err, SC_EIO,
                                  "%s/.cache/%s.csv: no similarity matrix of "
                                  "dataset '%s', metric '%s' on this host; "
                                  "run task similarity/%zu first (its array "
                                  "element must have succeeded)",
                                  rc->opts.task_dir, key,
                                  spec->datasets[d].name,
                                  rc->metrics[k].sm->name, d * rc->M + k);
            st = keep(rc, d, k, &sm, key, err);
            sc_simmat_deinit(&sm);
        }
    }
    return st;
}
