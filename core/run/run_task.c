/* One task of a planned run (issue 14; run_plan.h): the entry points
 * that run a single similarity, prepare, pairs or statistics task or the
 * assemble step. They sit above
 * the orchestrator (the assemble step is sc_run on the task cache), apart
 * from run_plan.c, whose task records the manifest stage reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "run_internal.h"
#include "run_plan.h"
#include "simblock.h"
#include "simmat.h"

/* ## Blocks of model pairs (runtime.model_blocks > 1)
 *
 * Task prepare/<i>/<b> writes block b's rows of E (core/host/simblock.h)
 * to .cache/rows-<key>-<K>-<b>.bin, task pairs/<i>/<b1>-<b2> reads two of
 * them and writes their block of products to
 * .cache/pairs-<key>-<K>-<b1>-<b2>.bin, and similarity/<i> assembles the
 * products, takes the cosines and writes .cache/<key>.csv as always (key:
 * the matrix's cache key, which names K). Each file is written to a
 * temporary name and renamed (core/base/atomic.h), so a killed task leaves
 * nothing and a finished one is found and not redone. A file starts with
 * a 32-byte header: "SCBLK1\0\0", rows, columns, and a flag that is 1 when
 * the metric took the pairwise path on these inputs (a state of embedding
 * length 0 or lengths that differ, e.g. RSA with Kendall's tau);
 * similarity/<i> then computes the whole matrix as with K = 1. A plain
 * `simcon run` with the same K runs the same engine functions in one
 * process (run_simmat.c), so both give the same bits
 * (tests/slurm/blocks_test.py). */

#define BLK_HEADER 32
#define BLK_PATH 4096

static const char blk_magic[8] = {'S', 'C', 'B', 'L', 'K', '1', 0, 0};

typedef struct blk_header {
    char magic[8];
    uint64_t rows, cols, pairwise;
} blk_header;

/* Block b2 <= b (pairs) or b2 = SIZE_MAX (rows): the task cache file. */
static int blk_path(const sc_runctx *rc, const char *key, size_t b, size_t b2,
                    char *path, sc_err *err)
{
    size_t K = rc->spec->model_blocks;
    int w = b2 == SIZE_MAX
                ? snprintf(path, BLK_PATH, "%s/.cache/rows-%s-%zu-%zu.bin",
                           rc->opts.task_dir, key, K, b)
                : snprintf(path, BLK_PATH, "%s/.cache/pairs-%s-%zu-%zu-%zu.bin",
                           rc->opts.task_dir, key, K, b, b2);
    if (w < 0 || w >= BLK_PATH)
        return sc_err_set(err, SC_EIO, "%s: path too long", rc->opts.task_dir);
    return SC_OK;
}

/* Open path and check its header: rows as expected, size matching.
 * *fd -1 (and SC_OK) when there is no valid file. */
static void blk_open(const char *path, size_t rows, blk_header *h, int *fd)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return;
    struct stat sb;
    size_t want = 0;
    bool ok =
        pread(*fd, h, sizeof *h, 0) == (ssize_t)sizeof *h &&
        memcmp(h->magic, blk_magic, sizeof blk_magic) == 0 && h->rows == rows &&
        fstat(*fd, &sb) == 0 &&
        (h->pairwise || sc_size_mul3(h->rows, h->cols, sizeof(double), &want));
    if (ok)
        ok = (uint64_t)sb.st_size == BLK_HEADER + (h->pairwise ? 0 : want);
    if (!ok) {
        close(*fd);
        *fd = -1;
    }
}

/* Write header and (unless pairwise) data atomically to path. */
static int blk_write(const char *path, size_t rows, size_t cols, bool pairwise,
                     const double *data, sc_err *err)
{
    blk_header h = {{0}, rows, cols, pairwise ? 1u : 0u};
    memcpy(h.magic, blk_magic, sizeof blk_magic);
    sc_afile a;
    int st = sc_afile_open(&a, path, err);
    if (st != SC_OK)
        return st;
    st = sc_afile_write(&a, &h, sizeof h, err);
    if (st == SC_OK && !pairwise)
        st = sc_afile_write(&a, data, rows * cols * sizeof *data, err);
    if (st == SC_OK)
        return sc_afile_commit(&a, err);
    sc_afile_abort(&a);
    return st;
}

/* A task's rows file being written: data after the header. */
static int open_task(void *ud, sc_simblock_rows *out, sc_err *err)
{
    const sc_afile *a = ud;
    size_t bytes = 0;
    if (!sc_size_mul3(out->rows, out->len, sizeof(double), &bytes))
        return sc_err_set(err, SC_ENOMEM,
                          "a block of %zu rows of %zu overflows", out->rows,
                          out->len);
    out->sp.data = NULL;
    out->sp.bytes = BLK_HEADER + bytes;
    out->sp.fd = a->fd;
    out->sp.spilled = 1;
    out->base = BLK_HEADER;
    return SC_OK;
}

static size_t task_index(const sc_runctx *rc, size_t d, size_t k)
{
    return d * rc->M + k;
}

/* Rows file of block b (must exist: SC_EIO naming it and its task). */
static int open_rows(sc_runctx *rc, size_t d, size_t k, const char *key,
                     size_t b, sc_simblock_rows *out, bool *pairwise,
                     sc_err *err)
{
    char path[BLK_PATH];
    int st = blk_path(rc, key, b, SIZE_MAX, path, err);
    if (st != SC_OK)
        return st;
    size_t first = 0, count = 0;
    sc_simblock_range(rc->m, rc->spec->model_blocks, b, &first, &count);
    blk_header h;
    int fd = -1;
    blk_open(path, count, &h, &fd);
    if (fd < 0)
        return sc_err_set(err, SC_EIO,
                          "%s: no valid rows of model block %zu on this host; "
                          "run task prepare/%zu/%zu first (its array element "
                          "must have succeeded)",
                          path, b, task_index(rc, d, k), b);
    memset(out, 0, sizeof *out);
    out->sp.fd = fd;
    out->sp.spilled = 1;
    out->sp.bytes = BLK_HEADER + (size_t)h.rows * (size_t)h.cols * 8;
    out->base = BLK_HEADER;
    out->rows = count;
    out->len = (size_t)h.cols;
    *pairwise = h.pairwise != 0;
    return SC_OK;
}

static int prepare_task(sc_runctx *rc, size_t d, size_t k, size_t b,
                        const char *path, sc_err *err)
{
    const run_metric *rm = &rc->metrics[k];
    size_t *rows = NULL, first = 0, count = 0;
    sc_simblock_range(rc->m, rc->spec->model_blocks, b, &first, &count);
    int st = sc_run_sim_rows(rc, d, &rows, err);
    sc_afile a;
    if (st == SC_OK)
        st = sc_afile_open(&a, path, err);
    if (st != SC_OK) {
        sc_free(rows);
        return st;
    }
    sc_simblock_rows out;
    size_t len = 0;
    run_lazy li = {rc, d, rows};
    st = sc_simblock_embed(rm->plugin, &rm->args.args, first, count,
                           rc->n_used[d], sc_run_load_lazy, &li,
                           rc->opts.threads, open_task, &a, &out, &len, err);
    if (st != SC_OK)
        sc_err_prefix(err,
                      "dataset '%s', metric '%s', model block %zu (models "
                      "numbered from 0 in spec order)",
                      rc->spec->datasets[d].name, rm->sm->name, b);
    blk_header h = {{0}, out.rows, len, len == 0 ? 1u : 0u};
    memcpy(h.magic, blk_magic, sizeof blk_magic);
    /* The pairwise marker has no rows: whatever a mixed block wrote goes. */
    if (st == SC_OK && len == 0 && ftruncate(a.fd, 0) != 0)
        st = sc_err_set(err, SC_EIO, "%s: cannot truncate: %s", path,
                        strerror(errno));
    if (st == SC_OK && pwrite(a.fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        st = sc_err_set(err, SC_EIO, "%s: cannot write: %s", path,
                        strerror(errno));
    sc_free(rows);
    if (st == SC_OK)
        return sc_afile_commit(&a, err);
    sc_afile_abort(&a);
    return st;
}

static int pairs_task(sc_runctx *rc, size_t d, size_t k, size_t b1, size_t b2,
                      const char *key, const char *path, sc_err *err)
{
    sc_simblock_rows A, B;
    bool pa = false, pb = false;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    A.sp.fd = B.sp.fd = -1;
    int st = open_rows(rc, d, k, key, b1, &A, &pa, err);
    if (st == SC_OK)
        st = open_rows(rc, d, k, key, b2, &B, &pb, err);
    bool pairwise = pa || pb || A.len != B.len;
    double *gab = NULL;
    if (st == SC_OK && !pairwise) {
        gab = sc_aligned_alloc(A.rows * B.rows + 1, sizeof *gab);
        if (gab == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    if (st == SC_OK && !pairwise)
        st = sc_simblock_product(&A, &B, b1 == b2, rc->opts.threads, gab, err);
    if (st == SC_OK)
        st = blk_write(path, A.rows, B.rows, pairwise, gab, err);
    sc_aligned_free(gab);
    sc_spill_close(&A.sp);
    sc_spill_close(&B.sp);
    return st;
}

static int block_task(sc_runctx *rc, size_t d, size_t k, size_t b, size_t b2,
                      bool *cached, char key[SC_SHA256_HEX], sc_err *err)
{
    *cached = false;
    int st = sc_run_sim_dataset(rc, d, err);
    if (st != SC_OK)
        return st;
    sc_run_sim_key(rc, d, k, key);
    char path[BLK_PATH];
    st = blk_path(rc, key, b, b2, path, err);
    if (st != SC_OK)
        return st;
    size_t f1, r1;
    sc_simblock_range(rc->m, rc->spec->model_blocks, b, &f1, &r1);
    blk_header h;
    int fd = -1;
    blk_open(path, r1, &h, &fd);
    if (fd >= 0) { /* done before: nothing to compute */
        close(fd);
        *cached = true;
        return SC_OK;
    }
    /* A metric that is not blocked (no embedding, or float32): only the
     * marker; its similarity task computes the whole matrix. */
    if (!sc_run_blocked(rc, k)) {
        size_t f2 = 0, r2 = 0;
        if (b2 != SIZE_MAX)
            sc_simblock_range(rc->m, rc->spec->model_blocks, b2, &f2, &r2);
        return blk_write(path, r1, r2, true, NULL, err);
    }
    if (b2 == SIZE_MAX)
        return prepare_task(rc, d, k, b, path, err);
    return pairs_task(rc, d, k, b, b2, key, path, err);
}

/* similarity/<i>: the pairs files. */
typedef struct task_pairs {
    sc_runctx *rc;
    size_t d, k;
    const char *key;
} task_pairs;

static int task_pair(void *ud, size_t b1, size_t b2, double *gab, int *pairwise,
                     sc_err *err)
{
    const task_pairs *tp = ud;
    sc_runctx *rc = tp->rc;
    size_t K = rc->spec->model_blocks, f, r1, r2;
    sc_simblock_range(rc->m, K, b1, &f, &r1);
    sc_simblock_range(rc->m, K, b2, &f, &r2);
    char path[BLK_PATH];
    int st = blk_path(rc, tp->key, b1, b2, path, err);
    if (st != SC_OK)
        return st;
    blk_header h;
    int fd = -1;
    blk_open(path, r1, &h, &fd);
    if (fd >= 0 && !h.pairwise && h.cols != r2) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        return sc_err_set(err, SC_EIO,
                          "%s: no valid products of model blocks %zu and %zu "
                          "on this host; run task pairs/%zu/%zu-%zu first "
                          "(its array element must have succeeded)",
                          path, b1, b2, task_index(rc, tp->d, tp->k), b1, b2);
    *pairwise = h.pairwise != 0;
    size_t bytes = r1 * r2 * sizeof *gab;
    ssize_t got = *pairwise ? 0 : pread(fd, gab, bytes, BLK_HEADER);
    close(fd);
    if (!*pairwise && got != (ssize_t)bytes)
        return sc_err_set(err, SC_EIO, "%s: cannot read %zu bytes", path,
                          bytes);
    return SC_OK;
}

/* similarity/<i> of a blocked metric (sc_run_matrix_fn): the pairs
 * files assembled, the cosines; the engine as with K = 1 when they mark
 * the pairwise path. */
static int task_assemble(sc_runctx *rc, size_t d, size_t k, size_t *rows,
                         sc_simmat *sm, sc_err *err)
{
    const run_metric *rm = &rc->metrics[k];
    char key[SC_SHA256_HEX];
    sc_run_sim_key(rc, d, k, key);
    task_pairs tp = {rc, d, k, key};
    size_t m = rc->m;
    double *g = sc_aligned_alloc(m * m, sizeof *g);
    int pairwise = 0;
    int st = g == NULL ? sc_err_set(err, SC_ENOMEM, "out of memory") : SC_OK;
    if (st == SC_OK)
        st = sc_simblock_assemble(m, rc->spec->model_blocks, task_pair, &tp, g,
                                  &pairwise, err);
    if (st == SC_OK && pairwise)
        st = sc_run_sim_matrix(rc, d, k, rows, sm, err);
    else if (st == SC_OK)
        st = sc_run_sim_names(rc, sm, err);
    if (st == SC_OK && !pairwise) {
        st = sc_simmat_cosines(rm->plugin, &rm->args.args, m, g, sm->s.data,
                               err);
        if (st != SC_OK)
            sc_err_prefix(err, "dataset '%s', metric '%s'",
                          rc->spec->datasets[d].name, rm->sm->name);
    }
    sc_aligned_free(g);
    return st;
}

int sc_run_similarity_task(const sc_spec *spec, const sc_run_opts *opts,
                           size_t d, size_t k, bool *cached, char key[65],
                           sc_err *err)
{
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, opts);
    int st = sc_run_ctx_load_metrics(&rc, err);
    if (st == SC_OK)
        st = sc_run_similarity_one(
            &rc, d, k, sc_run_blocked(&rc, k) ? task_assemble : NULL, cached,
            key, err);
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

/* prepare/<i>/<b> (*b2 = SIZE_MAX) or pairs/<i>/<b1>-<b2> (b1 <= b2 < K)
 * of a plan with K > 1 model blocks; false for anything else. */
static bool block_id(const sc_spec *spec, const char *id, size_t *i, size_t *b,
                     size_t *b2)
{
    size_t K = sc_plan_blocks(spec), nsim = sc_plan_nsim(spec);
    bool pairs = strncmp(id, "pairs/", 6) == 0;
    if (K < 2 || (!pairs && strncmp(id, "prepare/", 8) != 0))
        return false;
    const char *p = id + (pairs ? 6 : 8);
    char *end = NULL;
    unsigned long long x[3] = {0, 0, 0};
    for (int f = 0; f < (pairs ? 3 : 2); f++) {
        if (*p < '0' || *p > '9')
            return false;
        errno = 0;
        x[f] = strtoull(p, &end, 10);
        char want = f == 0 ? '/' : (f == 1 && pairs ? '-' : '\0');
        if (errno != 0 || *end != want)
            return false;
        p = end + (want != '\0');
    }
    *i = (size_t)x[0];
    *b = (size_t)x[1];
    *b2 = pairs ? (size_t)x[2] : SIZE_MAX;
    return x[0] < nsim && x[1] < K && (!pairs || (x[1] <= x[2] && x[2] < K));
}

/* Task prepare/<i>/<b> or pairs/<i>/<b>-<b2> (block_task above). */
static int run_block_task(const sc_spec *spec, const sc_run_opts *o,
                          const char *id, size_t i, size_t b, size_t b2,
                          sc_err *err)
{
    size_t M = spec->nmetrics, d = i / M, k = i % M;
    double t0 = sc_run_now();
    bool cached = false;
    char key[SC_SHA256_HEX] = "";
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, o);
    int st = sc_run_ctx_load_metrics(&rc, err);
    if (st == SC_OK)
        st = block_task(&rc, d, k, b, b2, &cached, key, err);
    sc_run_ctx_free(&rc);
    if (st != SC_OK)
        return sc_err_prefix(err, "task %s", id);
    char file[96];
    if (b2 == SIZE_MAX)
        snprintf(file, sizeof file, "prepare-%zu-%zu", i, b);
    else
        snprintf(file, sizeof file, "pairs-%zu-%zu-%zu", i, b, b2);
    st = sc_plan_write_record(o->out_dir, id, file, spec->datasets[d].name,
                              spec->metrics[k].name, cached, key,
                              sc_run_now() - t0, err);
    if (st == SC_OK && !o->quiet)
        fprintf(stderr, "simcon run: task %s (%s/%s): %s %s/.cache\n", id,
                spec->datasets[d].name, spec->metrics[k].name,
                cached ? "already done, in" : "wrote", o->task_dir);
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
    size_t bi = 0, b1 = 0, b2 = 0;
    bool block = block_id(spec, id, &bi, &b1, &b2);
    int g = -1;
    for (int s = 0; s < SC_PLAN_NSTAGES && g < 0; s++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s/", sc_plan_stage_names[s]);
        if (task_number(id, prefix, SIZE_MAX, &idx))
            g = s;
    }
    if (!assemble && !block && g < 0 &&
        !task_number(id, "similarity/", nsim, &idx))
        return sc_err_set(err, SC_EINVAL,
                          "--task '%s': no such task; the plan has %s"
                          "similarity/0 .. similarity/%zu, consistency/<c>, "
                          "contrasts/<c>, behaviour/<c> and assemble (see "
                          "--plan)",
                          id,
                          sc_plan_blocks(spec) > 1
                              ? "prepare/<i>/<b>, pairs/<i>/<b1>-<b2>, "
                              : "",
                          nsim > 0 ? nsim - 1 : 0);
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
    if (block)
        return run_block_task(spec, &o, id, bi, b1, b2, err);
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
