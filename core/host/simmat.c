/* All-pairs similarity matrix (see simmat.h for the design and its
 * invariants: prepare once, one SYRK per column block of the stacked
 * embeddings, bounded memory with a spill file (spill.h), results
 * independent of the thread count).
 *
 * Work split: prepares are indexed 0..m-1, pairs by their position in the
 * row-major upper triangle (or the full square for non-symmetric metrics).
 * The items run on the one thread pool (core/base/pool.h) with one BLAS
 * thread for every item, however many workers (sc_blas_serial: with
 * sc_blas_one_per_worker a lone item, such as the probe of representation
 * 0, ran on the caller's BLAS threads, and `simcon matrix -m rsa` gave
 * other bits for model 0 at --threads 2 than at 1), and every item
 * writes only its own output slot; on failure the error of the
 * lowest-numbered failed item is reported, so even errors do not depend on
 * scheduling. The SYRK blocks run in order, each cut into fixed parts
 * that the worker threads share (one BLAS thread each), the parts added
 * in order ("Products on every thread" below). */
#include "simmat.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "mem.h"
#include "gram.h"
#include "metric.h"
#include "spill.h"
#include "simcon/clones.h"

/* Default budget: half of physical RAM leaves room for the OS page cache
 * (which holds a spilled E) and for the plugin states of running threads. */
#define SIMMAT_DEFAULT_RAM_FRACTION 0.5
/* float32 mode: entries are embedded in double chunks of this many values
 * (512 KiB) and rounded to float once. */
#define SIMMAT_F32_CHUNK 65536

size_t sc_simmat_default_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return (size_t)1 << 30; /* unknown machine: 1 GiB */
    return (size_t)((double)pages * (double)size * SIMMAT_DEFAULT_RAM_FRACTION);
}

/* ## Shared run context */

typedef struct run {
    const sc_plugin *p;
    const sc_args *args;
    const sc_mat *reps;     /* in-memory inputs, or NULL with load */
    sc_simmat_load_fn load; /* lazy inputs (sc_simmat_compute_lazy) */
    void *load_ud;
    size_t m;
    size_t rows;           /* stimuli of every representation */
    const sc_spill *es;    /* E's storage (embed path) */
    size_t queued;         /* bytes of its writer's buffers (start_writer) */
    const char *cache_dir; /* its folder (messages), as sc_spill_dir */
    int f32;               /* E holds float32 */
    /* embed path */
    size_t len;   /* L */
    double *e;    /* m x L (float64 mode)  */
    float *ef;    /* m x L (float32 mode)  */
    size_t block; /* columns per SYRK block */
    size_t nblocks;
    double *g; /* m x m accumulated products */
    /* pairwise path */
    void **states;
    int symmetric;
    double *S;
    atomic_int mixed;      /* a state's embed_len differed from the first's */
    void *first;           /* state of representation 0 from probe_embed, handed
                              to embed item 0 (only that item touches it)      */
    sc_progress *progress; /* NULL: no display */
    const char *label;     /* phase label prefix, never NULL */
    unsigned threads;      /* the engine's threads                */
    atomic_uint busy;      /* items running (their Grams use the rest) */
} run;

static int prefix_rep(sc_err *err, size_t i)
{
    return sc_err_prefix(err, "representation %zu", i);
}

/* Prepare representation i: from memory, or loaded for just this call
 * (the features are freed as soon as the state exists, so a lazy run holds
 * one feature matrix per worker, never all m). Every state must have the
 * row count of representation 0. */
static int prepare_rep(run *r, size_t i, void **st, sc_err *err)
{
    sc_matrix owned = {0};
    sc_mat view;
    int rc = SC_OK;
    if (r->load != NULL)
        rc = r->load(r->load_ud, i, &owned, &view, err);
    else
        view = r->reps[i];
    /* A cache of its own: no metric to share with, but the Gram's panels
     * use the threads other items leave idle. */
    sc_gram_cache cache;
    sc_gram_cache_init(&cache);
    cache.threads = r->threads;
    cache.busy = &r->busy;
    atomic_fetch_add(&r->busy, 1);
    if (rc == SC_OK)
        rc = sc_metric_prepare_shared(r->p, r->args, &view, &cache, st, err);
    atomic_fetch_sub(&r->busy, 1);
    sc_gram_cache_clear(&cache);
    sc_matrix_deinit(&owned);
    if (rc == SC_OK && view.rows != r->rows) {
        sc_metric_release(r->p, *st);
        *st = NULL;
        rc = sc_err_set(err, SC_EINVAL,
                        "has %zu rows, expected %zu; all representations "
                        "must hold the same stimuli in the same order",
                        view.rows, r->rows);
    }
    if (rc == SC_OK)
        sc_progress_step(r->progress, 1);
    return rc;
}

/* dst[k] = src[k] rounded to float, k < len. Per-CPU clones
 * (simcon/clones.h). */
SC_CLONE_BODY void narrow_body(float *dst, const double *src, size_t len)
{
    for (size_t k = 0; k < len; k++)
        dst[k] = (float)src[k];
}
SC_CLONED(narrow, (float *dst, const double *src, size_t len), (dst, src, len))

/* Row i of a spilled E goes to the file chunk by chunk (no row is ever
 * whole in memory), each chunk embedded (float64) or rounded (float32)
 * straight into a buffer of the writer thread (sc_spill_take), which
 * writes it while this worker goes on. Chunks start at multiples of
 * SIMMAT_F32_CHUNK entries, so at aligned offsets of the row; the last
 * one is padded to the alignment (sc_spill_put). */
static int write_spilled(run *r, size_t i, void *st, sc_err *err)
{
    size_t len = r->len, esize = r->f32 ? sizeof(float) : sizeof(double);
    size_t chunk = len < SIMMAT_F32_CHUNK ? len : SIMMAT_F32_CHUNK;
    double *dbuf = r->f32 ? sc_malloc(chunk * sizeof *dbuf) : NULL;
    int rc = SC_OK;
    if (r->f32 && dbuf == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "out of memory (embed chunk)");
    for (size_t off = 0; rc == SC_OK && off < len; off += chunk) {
        size_t cnt = len - off < chunk ? len - off : chunk;
        void *wb = NULL;
        rc = sc_spill_take(r->es, &wb, err);
        if (rc != SC_OK) {
            sc_err_prefix(err, "%s", sc_spill_dir(r->cache_dir));
            break;
        }
        rc = sc_metric_embed(r->p, st, off, cnt, r->f32 ? dbuf : wb, err);
        if (rc != SC_OK) {
            sc_spill_untake(r->es, wb);
            break;
        }
        if (r->f32)
            narrow(wb, dbuf, cnt);
        rc = sc_spill_put(r->es, wb, cnt * esize,
                          i * r->es->stride + off * esize, err);
        if (rc != SC_OK) /* the writer's error: name the folder (ENOSPC) */
            sc_err_prefix(err, "%s", sc_spill_dir(r->cache_dir));
    }
    sc_free(dbuf);
    return rc;
}

/* Buffers of E's writer thread: one being filled by each worker, one
 * being written, one queued; and, where spare bytes of the budget allow
 * (the room a spilled E leaves unused), one whole row of E more, so that
 * a worker hands its row over and goes on to its next representation
 * while the disk takes it. With only the first threads + 2, the workers
 * waited for a free buffer at 86% of their takes (17.9 s per full-size
 * dataset; one row: 0.2 s), a core idle each time the disk stalled.
 * *queued: the bytes of the buffers, for the caller's budget. */
static int start_writer(sc_spill *es, unsigned threads, size_t len,
                        size_t esize, size_t spare, size_t *queued, sc_err *err)
{
    *queued = 0;
    if (!es->spilled)
        return SC_OK;
    size_t chunk = len < SIMMAT_F32_CHUNK ? len : SIMMAT_F32_CHUNK;
    size_t cap = chunk * esize, each = sc_spill_round(es, cap);
    size_t nbuf = (size_t)threads + 2, row = (len + chunk - 1) / chunk;
    if (spare / each >= nbuf + row)
        nbuf += row;
    *queued = nbuf * each;
    return sc_spill_writer_start(es, nbuf, cap, err);
}

/* Write the embedding of state st (representation i) to row i of E. A
 * state whose embedding length differs from the first one's (e.g. 0:
 * linear CKA's feature-space states) sets r->mixed, and the caller falls
 * back to the pairwise path for this metric and all representations. */
static int write_embedding(run *r, size_t i, void *st, sc_err *err)
{
    size_t len = sc_metric_embed_len(r->p, st);
    if (len != r->len) {
        atomic_store(&r->mixed, 1);
        return sc_err_set(err, SC_EINVAL,
                          "representation %zu: embedding length %zu differs "
                          "from %zu",
                          i, len, r->len);
    }
    if (!r->f32 && !r->es->spilled)
        return sc_metric_embed(r->p, st, 0, len, r->e + i * len, err);
    if (r->es->spilled)
        return write_spilled(r, i, st, err);
    /* float32 in memory: chunks, each entry rounded once. */
    size_t chunk = len < SIMMAT_F32_CHUNK ? len : SIMMAT_F32_CHUNK;
    double *buf = sc_malloc(chunk * sizeof *buf);
    int rc = buf != NULL
                 ? SC_OK
                 : sc_err_set(err, SC_ENOMEM, "out of memory (embed chunk)");
    for (size_t off = 0; rc == SC_OK && off < len; off += chunk) {
        size_t cnt = len - off < chunk ? len - off : chunk;
        rc = sc_metric_embed(r->p, st, off, cnt, buf, err);
        if (rc == SC_OK)
            narrow(r->ef + i * len + off, buf, cnt);
    }
    sc_free(buf);
    return rc;
}

/* Embed path, item i: prepare X_i, write its embedding to row i of E,
 * release. After a length mismatch (r->mixed) the caller prepares every
 * representation again on the pairwise path, except representation 0 when
 * its probe state is still unused: the one case where a prepare repeats. */
static int embed_item(void *ctx, size_t i, sc_err *err)
{
    run *r = ctx;
    void *st = NULL;
    int rc = SC_OK;
    if (i == 0 && r->first != NULL) { /* prepared by probe_embed */
        st = r->first;
        r->first = NULL;
    } else {
        rc = prepare_rep(r, i, &st, err);
    }
    if (rc != SC_OK)
        return prefix_rep(err, i);
    rc = write_embedding(r, i, st, err);
    sc_metric_release(r->p, st);
    if (rc == SC_OK || atomic_load(&r->mixed))
        return rc;
    return prefix_rep(err, i);
}

/* Pairwise path, item i: prepare and keep. */
static int prepare_item(void *ctx, size_t i, sc_err *err)
{
    run *r = ctx;
    if (i == 0 && r->first != NULL) { /* prepared by probe_embed */
        r->states[0] = r->first;
        r->first = NULL;
        return SC_OK;
    }
    int rc = prepare_rep(r, i, &r->states[i], err);
    return rc == SC_OK ? SC_OK : prefix_rep(err, i);
}

/* Pairwise path, item k: the k-th pair (upper triangle with diagonal in
 * row-major order when symmetric, else the full square). */
static int pair_item(void *ctx, size_t k, sc_err *err)
{
    run *r = ctx;
    size_t m = r->m, i = 0, j;
    if (r->symmetric) {
        while (k >= m - i) {
            k -= m - i;
            i++;
        }
        j = i + k;
    } else {
        i = k / m;
        j = k % m;
    }
    double v = 0.0;
    int rc =
        sc_metric_compare(r->p, r->args, r->states[i], r->states[j], &v, err);
    if (rc != SC_OK)
        return sc_err_prefix(err, "pair (%zu, %zu)", i, j);
    r->S[i * m + j] = v;
    if (r->symmetric)
        r->S[j * m + i] = v;
    sc_progress_step(r->progress, 1);
    return SC_OK;
}

static double clamp_range(double v, uint32_t flags)
{
    if (flags & (SC_METRIC_RANGE_01 | SC_METRIC_RANGE_PM1)) {
        double lo = (flags & SC_METRIC_RANGE_01) ? 0.0 : -1.0;
        v = v > 1.0 ? 1.0 : (v < lo ? lo : v);
    }
    return v;
}

/* ## Paths */

/* Parts of the products (below): columns, and parts in flight. */
#define SIMMAT_PART SC_SIMMAT_F32_BLOCK
#define SIMMAT_PARTS 16

/* Columns per SYRK block: as many as fit a quarter of the budget, in
 * whole parts of SIMMAT_PART columns (at least one), so a spilled E is
 * streamed from the file with two blocks in memory: one in the products
 * while the next is read (products). Blocks depend on the budget and
 * the shape only, never on whether this E is in memory or spilled (which,
 * in sc_simmat_compute_multi, depends on the other metrics of the pass)
 * nor on the thread count; and since every block but the last is whole
 * parts, the parts (below) are the same columns whatever the budget. */
static size_t block_cols(const run *r, const sc_simmat_opts *o, size_t budget)
{
    size_t esize = r->f32 ? sizeof(float) : sizeof(double);
    size_t block = o->block_cols;
    if (block == 0) {
        size_t fit = budget / 4 / (r->m * esize) / SIMMAT_PART * SIMMAT_PART;
        block = fit < SIMMAT_PART ? SIMMAT_PART : fit;
    }
    if (block > r->len)
        block = r->len;
    return block;
}

/* ## Products on every thread
 *
 * The columns of E are cut into parts of SIMMAT_PART columns, counted from
 * column 0 (the last one shorter; a forced block_cols that is not a
 * multiple of it cuts parts at block ends too): a cut that depends on the
 * shape only, never on the thread count or the budget. Each part is one
 * single-threaded SYRK into its own m x m buffer (the parts of a block run
 * on the engine's threads), and the buffers are added to G in column
 * order. So every bit of G is the same on 1, 2 or 3 threads and under any
 * budget (tests/simmat; tests/e2e run_stimuli_bounded), and both cores
 * work in the products, which before ran on one. At most SIMMAT_PARTS
 * parts are in flight at a time (their buffers, 8 m^2 bytes each, are
 * reused by the next group). The part width is that of the float32
 * blocks (SC_SIMMAT_F32_BLOCK, the float32 error bound of simmat.h; those
 * parts are summed in float64). */

typedef struct parts {
    run *r;
    const char *base; /* column 0 of the block */
    size_t ld, cols;
    size_t first; /* first part of this group */
    double *acc;  /* SIMMAT_PARTS x m x m */
    float *accf;  /* float32: the same in float */
} parts;

static int part_item(void *ctx, size_t k, sc_err *err)
{
    const parts *pt = ctx;
    const run *r = pt->r;
    size_t m = r->m, esize = r->f32 ? sizeof(float) : sizeof(double);
    size_t w = SIMMAT_PART;
    size_t c0 = (pt->first + k) * w;
    size_t cnt = pt->cols - c0 < w ? pt->cols - c0 : w;
    const char *a = pt->base + c0 * esize;
    if (!r->f32)
        return sc_blas_syrk(0, m, cnt, 1.0, (const double *)(const void *)a,
                            pt->ld, 0.0, pt->acc + k * m * m, m, err);
    return sc_blas_ssyrk(0, m, cnt, 1.0f, (const float *)(const void *)a,
                         pt->ld, 0.0f, pt->accf + k * m * m, m, err);
}

/* Columns of block b: [*first, *first + return value). */
static size_t block_span(const run *r, size_t b, size_t *first)
{
    *first = b * r->block;
    return r->len - *first < r->block ? r->len - *first : r->block;
}

/* The aligned read of block b's columns from each row of a spilled E
 * (sc_spill_span): returns its bytes per row, *at its offset in the row. */
static size_t block_read(const run *r, size_t b, size_t *at)
{
    size_t esize = r->f32 ? sizeof(float) : sizeof(double), first = 0;
    size_t cols = block_span(r, b, &first);
    return sc_spill_span(r->es, first * esize, cols * esize, at);
}

/* Block b of the products, added to r->g (zeroed first for block 0):
 * columns [first, first + cols) of every row of E, in place in memory
 * (blk NULL) or in blk as read from the spill file (block_read: rows of
 * the aligned span, the columns from first on). The padding the span adds
 * is never in a part: the parts are columns [0, cols) of the block, cut as
 * in memory. acc (and accf in float32 mode) hold SIMMAT_PARTS m x m
 * parts. */
static int product_block(run *r, size_t b, const void *blk, double *acc,
                         float *accf, sc_err *err)
{
    size_t m = r->m, mm = m * m, first = 0;
    size_t esize = r->f32 ? sizeof(float) : sizeof(double);
    size_t cols = block_span(r, b, &first);
    const char *base = r->f32 ? (const char *)r->ef : (const char *)r->e;
    size_t ld = r->len;
    if (blk != NULL) {
        size_t at = 0;
        ld = block_read(r, b, &at) / esize;
        base = (const char *)blk + (first * esize - at);
    } else {
        base += first * esize;
    }
    if (b == 0)
        memset(r->g, 0, mm * sizeof *r->g);
    parts pt = {r, base, ld, cols, 0, acc, accf};
    size_t w = SIMMAT_PART, total = (cols + w - 1) / w;
    int rc = SC_OK;
    for (pt.first = 0; pt.first < total && rc == SC_OK;
         pt.first += SIMMAT_PARTS) {
        size_t count =
            total - pt.first < SIMMAT_PARTS ? total - pt.first : SIMMAT_PARTS;
        rc = sc_pool_run(part_item, &pt, count, r->threads, &sc_blas_serial,
                         err);
        for (size_t k = 0; k < count && rc == SC_OK; k++)
            for (size_t c = 0; c < mm; c++)
                r->g[c] += r->f32 ? (double)accf[k * mm + c] : acc[k * mm + c];
        if (rc == SC_OK)
            sc_progress_step(r->progress, count);
    }
    return rc;
}

/* Starts reading block b of a spilled E into blk (sc_spill_fetch). */
static void fetch_block(const run *r, size_t b, void *blk, sc_spill_fetch *f)
{
    size_t at = 0, piece = block_read(r, b, &at);
    sc_spill_fetch_start(f, r->es, blk, r->m, piece, r->es->stride, at);
}

/* Parts of all blocks: the steps of the products' progress (ETA within a
 * block too: at n = 10,000 one block holds about 180 parts). */
static size_t total_parts(const run *r)
{
    size_t w = SIMMAT_PART, n = 0;
    for (size_t b = 0, first; b < r->nblocks; b++)
        n += (block_span(r, b, &first) + w - 1) / w;
    return n;
}

/* Test-only fault injection: SIMCON_FAULT_PRODUCTS=k makes the k-th
 * products of the process (counted from 1, in the order they start) fail
 * as a read of its E would, so the tests can check how a failure in
 * background products surfaces (tests/run/overlap.sh). */
static int fault_products(sc_err *err)
{
    static atomic_uint calls;
    const char *v = getenv("SIMCON_FAULT_PRODUCTS");
    unsigned k = atomic_fetch_add(&calls, 1) + 1;
    if (v == NULL || v[0] == '\0' || strtoul(v, NULL, 10) != k)
        return SC_OK;
    return sc_err_set(err, SC_EIO,
                      "spill file: read failed (injected by "
                      "SIMCON_FAULT_PRODUCTS=%s, a test-only setting)",
                      v);
}

/* G = E E^T into r->g (which the caller frees), block by block. */
static int products(run *r, const sc_simmat_opts *o, size_t budget, sc_err *err)
{
    if (fault_products(err) != SC_OK)
        return SC_EIO;
    size_t m = r->m;
    size_t mm = m * m; /* no overflow: run_embed checked m * m */
    r->block = block_cols(r, o, budget);
    r->nblocks = (r->len + r->block - 1) / r->block;
    r->g = sc_aligned_alloc(mm, sizeof(double));
    size_t pcells = 0;
    sc_size_mul(mm, SIMMAT_PARTS, &pcells); /* SIZE_MAX: the alloc fails */
    double *acc = r->f32 ? NULL : sc_aligned_alloc(pcells, sizeof *acc);
    float *accf = r->f32 ? sc_aligned_alloc(pcells, sizeof *accf) : NULL;
    /* Two column blocks of a spilled E; the second holds blocks 1, 3, ...
     * (with two blocks only the last, which may be shorter), so together
     * they never exceed E nor half the budget (core/run/run_plan.c), but
     * for the alignment of O_DIRECT: up to 2 x SC_SPILL_ALIGN more a row
     * (block_read), and align - 1 bytes to align the start (blk in raw). */
    void *raw[2] = {NULL, NULL}, *blk[2] = {NULL, NULL};
    for (size_t k = 0; k < 2 && k < r->nblocks && r->es->spilled; k++) {
        size_t piece = 0, at = 0, bytes = 0;
        for (size_t b = k; b < r->nblocks; b += 2) {
            size_t p = block_read(r, b, &at);
            piece = p > piece ? p : piece;
        }
        sc_size_mul(m, piece, &bytes); /* SIZE_MAX: the alloc fails */
        raw[k] = bytes <= SIZE_MAX - r->es->align
                     ? sc_aligned_alloc(bytes + r->es->align - 1, 1)
                     : NULL;
        blk[k] = raw[k] != NULL ? sc_spill_aligned(r->es, raw[k]) : NULL;
    }
    int rc = SC_OK;
    if (r->g == NULL || (r->f32 ? accf == NULL : acc == NULL) ||
        (r->es->spilled &&
         (blk[0] == NULL || (r->nblocks > 1 && blk[1] == NULL))))
        rc = sc_err_set(err, SC_ENOMEM,
                        "out of memory for the %zu x %zu product", m, m);
    else
        sc_progress_begin(r->progress, total_parts(r), "%sproducts", r->label);
    /* A spilled E: block b + 1 is read while block b is in the products,
     * the two buffers taking turns; the read's error (if the products
     * did not fail first) is reported after the products of block b. */
    sc_spill_fetch f;
    if (rc == SC_OK && r->es->spilled) {
        fetch_block(r, 0, blk[0], &f);
        rc = sc_spill_fetch_wait(&f, err);
    }
    for (size_t b = 0; b < r->nblocks && rc == SC_OK; b++) {
        int next = r->es->spilled && b + 1 < r->nblocks;
        if (next)
            fetch_block(r, b + 1, blk[(b + 1) % 2], &f);
        rc = product_block(r, b, blk[b % 2], acc, accf, err);
        if (next) {
            int frc = sc_spill_fetch_wait(&f, rc == SC_OK ? err : NULL);
            rc = rc == SC_OK ? frc : rc;
        }
    }
    if (rc == SC_OK)
        sc_progress_end(r->progress);
    sc_aligned_free(raw[0]);
    sc_aligned_free(raw[1]);
    sc_aligned_free(acc);
    sc_aligned_free(accf);
    return rc;
}

int sc_simmat_cosines(const sc_plugin *p, const sc_args *args, size_t m,
                      const double *g, double *S, sc_err *err)
{
    uint32_t flags = sc_metric_flags(p, args);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) {
            double gij = g[i * m + j];
            double d = sqrt(g[i * m + i] * g[j * m + j]);
            if (!(d > 0.0) || !isfinite(gij / d))
                return sc_err_set(err, SC_ENUMERIC,
                                  "pair (%zu, %zu): embedding norms give a "
                                  "non-finite similarity (plugin %s)",
                                  i, j, p->desc->name);
            S[i * m + j] = clamp_range(gij / d, flags);
        }
    return SC_OK;
}

static int cosines(const run *r, double *S, sc_err *err)
{
    return sc_simmat_cosines(r->p, r->args, r->m, r->g, S, err);
}

/* Embed path: every representation's embedding into E (worker threads),
 * then the products and the cosines (calling thread). */
static int run_embed(run *r, const sc_simmat_opts *o, int f32, size_t budget,
                     size_t room, unsigned threads, double *S,
                     sc_simmat_info *info, sc_err *err)
{
    size_t m = r->m, len = r->len;
    size_t esize = f32 ? sizeof(float) : sizeof(double);
    sc_spill es = {0};
    double t0 = sc_wall_seconds(), c0 = sc_cpu_seconds();
    size_t ebytes = 0, mm = 0;
    if (!sc_size_mul3(m, len, esize, &ebytes) || !sc_size_mul(m, m, &mm))
        return sc_err_set(err, SC_ENOMEM,
                          "%zu embeddings of length %zu overflow size_t", m,
                          len);
    int rc = sc_spill_open_rows(&es, m, len * esize, room, o->cache_dir, err);
    if (rc != SC_OK)
        return rc;
    rc = start_writer(&es, threads, len, esize, room, &r->queued, err);
    if (rc != SC_OK) {
        sc_spill_close(&es);
        return rc;
    }
    r->es = &es;
    r->cache_dir = o->cache_dir;
    r->f32 = f32;
    if (f32)
        r->ef = es.data;
    else
        r->e = es.data;
    rc = sc_pool_run(embed_item, r, m, threads, &sc_blas_serial, err);
    /* Every write done before the products read E; the writer's error
     * (seen by no item) is reported here, once. */
    int wrc = sc_spill_writer_finish(&es, rc == SC_OK ? err : NULL);
    rc = rc == SC_OK ? wrc : rc;
    double t1 = sc_wall_seconds(), c1 = sc_cpu_seconds();
    if (rc == SC_OK)
        rc = products(r, o, budget, err);
    if (rc == SC_OK)
        rc = cosines(r, S, err);
    if (rc == SC_OK && info) {
        info->used_embed = 1;
        info->spilled = es.spilled;
        info->spill_queue = r->queued;
        info->embed_len = len;
        info->blocks = r->nblocks;
        info->float32 = f32 != 0;
        info->seconds_prepare = t1 - t0;
        info->seconds_pairs = sc_wall_seconds() - t1;
        info->cpu_prepare = c1 - c0;
        info->cpu_pairs = sc_cpu_seconds() - c1;
    }
    sc_aligned_free(r->g);
    r->g = NULL;
    r->e = NULL;
    r->ef = NULL;
    r->es = NULL;
    sc_spill_close(&es);
    return rc;
}

static int run_pairwise(run *r, unsigned threads, double *S,
                        sc_simmat_info *info, sc_err *err)
{
    size_t m = r->m;
    double t0 = sc_wall_seconds(), c0 = sc_cpu_seconds();
    r->states = sc_calloc(m, sizeof *r->states);
    if (r->states == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory for %zu states", m);
    r->symmetric = (sc_metric_flags(r->p, r->args) & SC_METRIC_SYMMETRIC) != 0;
    r->S = S;
    /* After a probe whose state is still unused, its prepare phase (which
     * counted representation 0) goes on; otherwise a new one starts. */
    if (r->first == NULL)
        sc_progress_begin(r->progress, m, "%sprepare", r->label);
    int rc = sc_pool_run(prepare_item, r, m, threads, &sc_blas_serial, err);
    double t1 = sc_wall_seconds(), c1 = sc_cpu_seconds();
    if (rc == SC_OK) {
        size_t pairs = r->symmetric ? m * (m + 1) / 2 : m * m;
        sc_progress_begin(r->progress, pairs, "%spairs", r->label);
        rc = sc_pool_run(pair_item, r, pairs, threads, &sc_blas_serial, err);
    }
    sc_progress_end(r->progress);
    for (size_t i = 0; i < m; i++)
        sc_metric_release(r->p, r->states[i]);
    sc_free(r->states);
    r->states = NULL;
    if (rc == SC_OK && info) {
        info->used_embed = 0;
        info->seconds_prepare = t1 - t0;
        info->seconds_pairs = sc_wall_seconds() - t1;
        info->cpu_prepare = c1 - c0;
        info->cpu_pairs = sc_cpu_seconds() - c1;
    }
    return rc;
}

/* Probe whether the embed path applies: the plugin offers it and the
 * first representation's state has a non-empty embedding. */
static int probe_embed(run *r, size_t *len, sc_err *err)
{
    *len = 0;
    const sc_metric *d = r->p->desc;
    if (d->embed == NULL || d->embed_len == NULL)
        return SC_OK;
    void *st = NULL;
    sc_progress_begin(r->progress, r->m, "%sprepare", r->label);
    int saved = sc_blas_serial.enter(1);
    int rc = prepare_rep(r, 0, &st, err);
    sc_blas_serial.leave(saved);
    if (rc != SC_OK)
        return prefix_rep(err, 0);
    *len = sc_metric_embed_len(r->p, st);
    r->first = st; /* reused by either path: no repeated prepare */
    return SC_OK;
}

/* Both entry points: r holds the inputs (reps or load). */
static int compute(run *r, const sc_simmat_opts *opts,
                   const sc_simmat_extra *extra, double *S,
                   sc_simmat_info *info, sc_err *err)
{
    const sc_plugin *p = r->p;
    size_t m = r->m;
    int f32 = extra != NULL && extra->float32;
    sc_simmat_opts o = {0};
    o.use_embed = 1;
    if (opts != NULL)
        o = *opts;
    unsigned threads = o.threads ? o.threads : 1;
    r->threads = threads;
    size_t budget =
        o.memory_budget ? o.memory_budget : sc_simmat_default_budget();
    size_t mm = 0;
    sc_size_mul(m, m, &mm); /* SIZE_MAX on overflow: the alloc fails */
    double *out = sc_aligned_alloc(mm, sizeof *out);
    if (out == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory for a %zu x %zu matrix", m, m);
    int rc = SC_OK, done = 0;
    size_t len = 0;
    /* The probe prepares representation 0: its time belongs to prepare
     * (added below), or the reported rate would count m prepares' flops in
     * the time of m - 1. */
    double pw0 = sc_wall_seconds(), pc0 = sc_cpu_seconds();
    r->progress = extra != NULL ? extra->progress : NULL;
    r->label = extra != NULL && extra->progress_label != NULL
                   ? extra->progress_label
                   : "";
    if (o.use_embed)
        rc = probe_embed(r, &len, err);
    double probe_wall = sc_wall_seconds() - pw0,
           probe_cpu = sc_cpu_seconds() - pc0;
    if (rc == SC_OK && len > 0) {
        sc_err tmp;
        sc_err_clear(&tmp);
        r->len = len;
        size_t reserve = extra != NULL ? extra->reserve : 0;
        size_t room = budget > reserve ? budget - reserve : 0;
        rc = run_embed(r, &o, f32, budget, room, threads, out, info, &tmp);
        if (rc == SC_OK)
            done = 1;
        else if (atomic_load(&r->mixed))
            rc = SC_OK; /* states differ in kind: pairwise for all */
        else if (err != NULL)
            *err = tmp;
    }
    if (rc == SC_OK && !done)
        rc = run_pairwise(r, threads, out, info, err);
    if (rc == SC_OK && info) {
        info->seconds_prepare += probe_wall;
        info->cpu_prepare += probe_cpu;
    }
    sc_progress_end(r->progress);
    sc_metric_release(p, r->first); /* unused if a path failed early */
    if (rc == SC_OK)
        memcpy(S, out, m * m * sizeof *S);
    sc_aligned_free(out);
    sc_mem_recycle_trim(); /* the states' recycled blocks (mem.h) */
    return rc;
}

int sc_simmat_compute_info(const sc_plugin *p, const sc_args *args,
                           const sc_mat *reps, size_t m,
                           const sc_simmat_opts *opts,
                           const sc_simmat_extra *extra, double *S,
                           sc_simmat_info *info, sc_err *err)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (m == 0 || S == NULL || reps == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "all-pairs similarity needs at least one "
                          "representation and an output matrix");
    for (size_t i = 1; i < m; i++)
        if (reps[i].rows != reps[0].rows)
            return sc_err_set(err, SC_EINVAL,
                              "representation %zu has %zu rows but "
                              "representation 0 has %zu; all must hold the "
                              "same stimuli in the same order",
                              i, reps[i].rows, reps[0].rows);
    run r = {0};
    r.p = p;
    r.args = args;
    r.reps = reps;
    r.m = m;
    r.rows = reps[0].rows;
    return compute(&r, opts, extra, S, info, err);
}

int sc_simmat_compute_lazy(const sc_plugin *p, const sc_args *args, size_t m,
                           size_t rows, sc_simmat_load_fn load, void *ud,
                           const sc_simmat_opts *opts,
                           const sc_simmat_extra *extra, double *S,
                           sc_simmat_info *info, sc_err *err)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (m == 0 || S == NULL || load == NULL)
        return sc_err_set(err, SC_EINVAL,
                          "all-pairs similarity needs at least one "
                          "representation, a loader and an output matrix");
    run r = {0};
    r.p = p;
    r.args = args;
    r.load = load;
    r.load_ud = ud;
    r.m = m;
    r.rows = rows;
    return compute(&r, opts, extra, S, info, err);
}

int sc_simmat_compute(const sc_plugin *p, const sc_args *args,
                      const sc_mat *reps, size_t m, const sc_simmat_opts *opts,
                      double *S, sc_err *err)
{
    return sc_simmat_compute_info(p, args, reps, m, opts, NULL, S, NULL, err);
}

/* ## Several metrics on the same representations */

typedef struct multi {
    run *runs;        /* one per job                                   */
    sc_spill *es;     /* each embed job's E                            */
    size_t *ebytes;   /* its size                                      */
    int *embed;       /* job on the shared embed path                  */
    size_t *fail_job; /* per representation: the job that failed       */
    /* Representation 0 decides each embed job (multi_first) while the
     * others run: they wait for job k's decision under lock, right before
     * they embed into its E. embed[k], runs[k].len/e/ef/es, es[k] and
     * ebytes[k] are written by representation 0 before it publishes
     * decided[k] and read by the others only after they have seen it. */
    int *decided; /* per job: MULTI_PENDING, _DECIDED or _FAILED       */
    pthread_mutex_t lock; /* both live during multi_embed's pool only     */
    pthread_cond_t cond;  /* (a deferred pass copies the struct)          */
    size_t njobs, m, rows;
    const sc_mat *reps;
    sc_simmat_load_fn load;
    void *load_ud;
    const char *cache_dir;
    sc_spill_gate *gate; /* E's opened behind it, or NULL (spill.h) */
    int f32;
    size_t budget;    /* the whole budget (blocks of a spilled E)     */
    size_t room;      /* what the workers' reserve leaves for E's     */
    size_t in_memory; /* bytes of the E's in memory and of the spilled
                         E's writer queues (start_writer)          */
    sc_progress *progress;
    unsigned threads;
    atomic_uint busy; /* items running (their Grams use the rest)  */
} multi;

/* States of mu->decided[k]. */
enum { MULTI_PENDING, MULTI_DECIDED, MULTI_FAILED };

/* Representation 0 publishes job k's decision (state MULTI_DECIDED), or,
 * when it failed, MULTI_FAILED for every job not decided yet, so that no
 * other representation waits forever (k = njobs: from the first pending). */
static void multi_publish(multi *mu, size_t k, int state)
{
    pthread_mutex_lock(&mu->lock);
    if (state == MULTI_DECIDED)
        mu->decided[k] = state;
    else
        for (size_t j = 0; j < mu->njobs; j++)
            if (mu->decided[j] == MULTI_PENDING)
                mu->decided[j] = state;
    pthread_cond_broadcast(&mu->cond);
    pthread_mutex_unlock(&mu->lock);
}

/* Job k's decision as seen by representation i > 0; wait: until there is
 * one. A waiting item is not busy: its thread may share the Grams. */
static int multi_decision(multi *mu, size_t k, int wait)
{
    pthread_mutex_lock(&mu->lock);
    int state = mu->decided[k];
    if (wait && state == MULTI_PENDING) {
        atomic_fetch_sub(&mu->busy, 1);
        while ((state = mu->decided[k]) == MULTI_PENDING)
            pthread_cond_wait(&mu->cond, &mu->lock);
        atomic_fetch_add(&mu->busy, 1);
    }
    pthread_mutex_unlock(&mu->lock);
    return state;
}

/* Representation 0 of embed job k: its state fixes the embedding length;
 * 0 takes the job off the shared path (computed on its own afterwards),
 * anything else opens its E. Only representation 0 runs it (so in_memory
 * and room need no lock); the others wait for its decision. */
static int multi_first(multi *mu, size_t k, void *st, sc_err *err)
{
    run *r = &mu->runs[k];
    r->len = sc_metric_embed_len(r->p, st);
    if (r->len == 0) {
        mu->embed[k] = 0;
        return SC_OK;
    }
    size_t esize = r->f32 ? sizeof(float) : sizeof(double);
    if (!sc_size_mul3(mu->m, r->len, esize, &mu->ebytes[k]))
        return sc_err_set(err, SC_ENOMEM,
                          "%zu embeddings of length %zu overflow size_t", mu->m,
                          r->len);
    size_t room = mu->room > mu->in_memory ? mu->room - mu->in_memory : 0;
    int rc = sc_spill_open_rows_gated(&mu->es[k], mu->m, r->len * esize, room,
                                      mu->cache_dir, mu->gate, err);
    /* A spilled E's queue takes its share of the room left: the jobs
     * still to decide keep theirs for E's that may fit in memory. */
    if (rc == SC_OK)
        rc = start_writer(&mu->es[k], mu->threads, r->len, esize,
                          room / (mu->njobs - k), &r->queued, err);
    if (rc != SC_OK)
        return rc;
    mu->in_memory += mu->es[k].spilled ? r->queued : mu->ebytes[k];
    r->es = &mu->es[k];
    r->cache_dir = mu->cache_dir;
    if (r->f32)
        r->ef = mu->es[k].data;
    else
        r->e = mu->es[k].data;
    return SC_OK;
}

/* Prepare and embed representation i for every embed job, the features
 * loaded once and the Gram shared (one cache for this representation).
 * Representation i > 0 prepares job k before its decision is known (a
 * state wasted only when representation 0 takes the job off the path)
 * and waits for it only to embed. When representation 0 failed, the
 * others stop: the pool reports its error (the lowest item), so theirs
 * (SC_ECANCELED) is never seen and names no job in fail_job. */
static int multi_jobs(multi *mu, size_t i, const sc_mat *view, sc_err *err)
{
    sc_gram_cache cache;
    sc_gram_cache_init(&cache);
    cache.threads = mu->threads;
    cache.busy = &mu->busy;
    int rc = SC_OK, cancelled = 0;
    for (size_t k = 0; k < mu->njobs && rc == SC_OK; k++) {
        run *r = &mu->runs[k];
        /* Representation 0 reads its own decisions. */
        int state = i == 0 ? MULTI_DECIDED : multi_decision(mu, k, 0);
        if ((state == MULTI_DECIDED && !mu->embed[k]) || atomic_load(&r->mixed))
            continue;
        void *st = NULL;
        rc = sc_metric_prepare_shared(r->p, r->args, view, &cache, &st, err);
        if (rc == SC_OK && i == 0) {
            rc = multi_first(mu, k, st, err);
            if (rc == SC_OK)
                multi_publish(mu, k, MULTI_DECIDED);
        } else if (rc == SC_OK && multi_decision(mu, k, 1) == MULTI_FAILED) {
            rc = sc_err_set(err, SC_ECANCELED, "representation 0 failed");
            cancelled = 1;
        }
        if (rc == SC_OK && mu->embed[k]) {
            rc = write_embedding(r, i, st, err);
            if (rc != SC_OK && atomic_load(&r->mixed)) {
                rc = SC_OK; /* this job goes pairwise afterwards */
                sc_err_clear(err);
            }
        }
        sc_metric_release(r->p, st);
        if (rc != SC_OK && !cancelled)
            mu->fail_job[i] = k; /* else njobs + 1 (multi_item) */
    }
    sc_gram_cache_clear(&cache);
    return rc;
}

static int multi_item(void *ctx, size_t item, sc_err *err)
{
    multi *mu = ctx;
    size_t i = item;
    sc_matrix owned = {0};
    sc_mat view;
    int rc = SC_OK;
    if (mu->load != NULL)
        rc = mu->load(mu->load_ud, i, &owned, &view, err);
    else
        view = mu->reps[i];
    if (rc == SC_OK && view.rows != mu->rows)
        rc = sc_err_set(err, SC_EINVAL,
                        "has %zu rows, expected %zu; all representations "
                        "must hold the same stimuli in the same order",
                        view.rows, mu->rows);
    atomic_fetch_add(&mu->busy, 1);
    if (rc == SC_OK)
        rc = multi_jobs(mu, i, &view, err);
    atomic_fetch_sub(&mu->busy, 1);
    sc_matrix_deinit(&owned);
    if (rc != SC_OK && i == 0) /* whatever failed: release the waiters */
        multi_publish(mu, mu->njobs, MULTI_FAILED);
    if (rc != SC_OK && mu->fail_job[i] == mu->njobs)
        mu->fail_job[i] = mu->njobs + 1; /* failed in no job (multi_failed) */
    if (rc != SC_OK)
        return prefix_rep(err, i);
    sc_progress_step(mu->progress, 1);
    return SC_OK;
}

/* Products and cosines of embed job k into its S; frees its E. */
static int multi_finish(multi *mu, size_t k, const sc_simmat_job *job,
                        const sc_simmat_opts *o, sc_err *err)
{
    run *r = &mu->runs[k];
    double *out = sc_aligned_alloc(mu->m * mu->m, sizeof *out);
    int rc = out == NULL ? sc_err_set(err, SC_ENOMEM,
                                      "out of memory for a %zu x %zu matrix",
                                      mu->m, mu->m)
                         : products(r, o, mu->budget, err);
    if (rc == SC_OK)
        rc = cosines(r, out, err);
    if (rc == SC_OK)
        memcpy(job->S, out, mu->m * mu->m * sizeof *out);
    if (rc == SC_OK && job->info != NULL) {
        *job->info = (sc_simmat_info){0};
        job->info->used_embed = 1;
        job->info->spilled = mu->es[k].spilled;
        job->info->spill_queue = r->queued;
        job->info->embed_len = r->len;
        job->info->blocks = r->nblocks;
        job->info->float32 = r->f32;
    }
    sc_aligned_free(out);
    sc_aligned_free(r->g);
    r->g = NULL;
    /* E is done with: its memory, or its file with the pages still cached
     * or dirty, goes now rather than after the last job, so they do not
     * compete with the next E's products (multi_free closes it again). */
    sc_spill_close(&mu->es[k]);
    r->e = NULL;
    r->ef = NULL;
    return rc;
}

/* The shared embed pass over all representations. Jobs left (no
 * embedding, or mixed lengths) are marked in mu->embed / runs[k].mixed
 * for the caller. */
static int multi_embed(multi *mu, unsigned threads, const char *label,
                       sc_err *err)
{
    size_t m = mu->m;
    mu->decided = sc_calloc(mu->njobs, sizeof *mu->decided);
    if (mu->decided == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory for %zu metrics",
                          mu->njobs);
    for (size_t k = 0; k < mu->njobs; k++)
        mu->decided[k] = mu->embed[k] ? MULTI_PENDING : MULTI_DECIDED;
    pthread_mutex_init(&mu->lock, NULL);
    pthread_cond_init(&mu->cond, NULL);
    sc_progress_begin(mu->progress, m, "%sprepare", label);
    /* Representation 0 opens the E's (multi_first) while the others
     * prepare; the pool hands it out first, so it runs from the start and
     * never waits for anyone: no wait for its decisions can hang. */
    int rc = sc_pool_run(multi_item, mu, m, threads, &sc_blas_serial, err);
    pthread_cond_destroy(&mu->cond);
    pthread_mutex_destroy(&mu->lock);
    sc_free(mu->decided);
    mu->decided = NULL;
    /* Every write done before the products; a writer's error that no item
     * saw is reported once, charged to its job (which write failed is not
     * known: representation 0's slot). */
    for (size_t k = 0; k < mu->njobs; k++) {
        int wrc = sc_spill_writer_finish(&mu->es[k], rc == SC_OK ? err : NULL);
        if (rc == SC_OK && wrc != SC_OK) {
            rc = wrc;
            mu->fail_job[0] = k;
            sc_err_prefix(err, "%s", sc_spill_dir(mu->cache_dir));
        }
    }
    sc_progress_end(mu->progress);
    return rc;
}

/* Each embed job's products, in job order; *failed the job that failed. */
static int multi_products(multi *mu, const sc_simmat_job *jobs,
                          const sc_simmat_opts *o, size_t *failed, sc_err *err)
{
    int rc = SC_OK;
    for (size_t k = 0; k < mu->njobs && rc == SC_OK; k++)
        if (mu->embed[k] && !atomic_load(&mu->runs[k].mixed)) {
            rc = multi_finish(mu, k, &jobs[k], o, err);
            if (rc != SC_OK && failed != NULL)
                *failed = k;
        }
    return rc;
}

/* Can the products wait (extra->defer)? Only when they are all that is
 * left: every job on the embed path (none pairwise afterwards, whose
 * prepares would run alongside the next dataset's outside its budget)
 * and every E spilled (products that wait for the disk; an E in memory
 * would also hold its memory past this call). */
static int multi_deferrable(const multi *mu)
{
    for (size_t k = 0; k < mu->njobs; k++)
        if (!mu->embed[k] || atomic_load(&mu->runs[k].mixed) ||
            !mu->es[k].spilled)
            return 0;
    return 1;
}

/* Index of the job whose error the pool reported: that of the lowest
 * failed representation (njobs + 1: it failed outside a job, e.g. in its
 * load, and the first embed job stands for it). */
static size_t multi_failed(const multi *mu)
{
    for (size_t i = 0; i < mu->m; i++)
        if (mu->fail_job[i] < mu->njobs)
            return mu->fail_job[i];
        else if (mu->fail_job[i] > mu->njobs)
            break;
    for (size_t k = 0; k < mu->njobs; k++)
        if (mu->embed[k])
            return k;
    return 0;
}

static void multi_free(multi *mu)
{
    for (size_t k = 0; mu->es != NULL && k < mu->njobs; k++)
        sc_spill_close(&mu->es[k]);
    sc_free(mu->runs);
    sc_free(mu->es);
    sc_free(mu->ebytes);
    sc_free(mu->embed);
    sc_free(mu->fail_job);
}

/* Jobs off the shared path, one by one (mixed ones straight to pairwise). */
static int multi_rest(multi *mu, const sc_simmat_job *jobs,
                      const sc_simmat_opts *o, const sc_simmat_extra *extra,
                      size_t *failed, sc_err *err)
{
    for (size_t k = 0; k < mu->njobs; k++) {
        run *r = &mu->runs[k];
        int mixed = atomic_load(&r->mixed);
        if (mu->embed[k] && !mixed)
            continue;
        run one = {0};
        one.p = r->p;
        one.args = r->args;
        one.reps = mu->reps;
        one.load = mu->load;
        one.load_ud = mu->load_ud;
        one.m = mu->m;
        one.rows = mu->rows;
        sc_simmat_opts ok = *o;
        ok.use_embed = 0; /* no embedding, or known not to fit one E */
        sc_simmat_extra ex = extra != NULL ? *extra : (sc_simmat_extra){0};
        ex.progress_label = jobs[k].label;
        ex.float32 = r->f32; /* unused off the embed path */
        sc_simmat_info info = {0};
        int rc = compute(&one, &ok, &ex, jobs[k].S, &info, err);
        if (rc == SC_OK && jobs[k].info != NULL)
            *jobs[k].info = info;
        if (rc != SC_OK) {
            if (failed != NULL)
                *failed = k;
            return rc;
        }
    }
    return SC_OK;
}

/* A pass whose products wait (sc_simmat_finish): the engine's state of
 * the pass, with copies of the jobs and options. */
struct sc_simmat_pending {
    multi mu;
    sc_simmat_job *jobs;
    sc_simmat_opts o;
};

void sc_simmat_pending_free(sc_simmat_pending *pd)
{
    if (pd == NULL)
        return;
    multi_free(&pd->mu);
    sc_free(pd->jobs);
    sc_free(pd);
}

void sc_simmat_pending_hold(sc_simmat_pending *pd, sc_spill_gate *g)
{
    for (size_t k = 0; k < pd->mu.njobs; k++)
        sc_spill_gate_hold(g, &pd->mu.es[k]);
}

int sc_simmat_finish(sc_simmat_pending *pd, size_t budget,
                     sc_progress *progress, size_t *failed, sc_err *err)
{
    multi *mu = &pd->mu;
    if (failed != NULL)
        *failed = 0;
    int rc = SC_OK;
    for (size_t k = 0; k < mu->njobs && rc == SC_OK; k++) {
        rc = sc_spill_reserved(&mu->es[k], mu->cache_dir, err);
        if (rc != SC_OK && failed != NULL)
            *failed = k;
    }
    mu->budget = budget;
    mu->progress = progress;
    for (size_t k = 0; k < mu->njobs; k++)
        mu->runs[k].progress = progress;
    if (rc == SC_OK)
        rc = multi_products(mu, pd->jobs, &pd->o, failed, err);
    sc_simmat_pending_free(pd);
    return rc;
}

/* Hands mu over to a pending pass in *out; mu is left empty. */
static int multi_defer(multi *mu, const sc_simmat_job *jobs,
                       const sc_simmat_opts *o, sc_simmat_pending **out,
                       sc_err *err)
{
    sc_simmat_pending *pd = sc_calloc(1, sizeof *pd);
    sc_simmat_job *jc = sc_calloc(mu->njobs, sizeof *jc);
    if (pd == NULL || jc == NULL) {
        sc_free(pd);
        sc_free(jc);
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    memcpy(jc, jobs, mu->njobs * sizeof *jc);
    pd->mu = *mu;
    pd->jobs = jc;
    pd->o = *o;
    /* The arrays stay where they are (the E's, runs[k].es and the
     * gate's list point into them); only the struct moves. */
    *mu = (multi){0};
    *out = pd;
    return SC_OK;
}

/* The shared embed pass, then its products now or, when they can wait
 * and defer is set, left in *defer. */
static int multi_shared(multi *mu, const sc_simmat_job *jobs,
                        const sc_simmat_opts *o, const char *label,
                        sc_simmat_pending **defer, size_t *failed, sc_err *err)
{
    int rc = multi_embed(mu, mu->threads, label, err);
    if (rc != SC_OK && failed != NULL)
        *failed = multi_failed(mu);
    if (rc == SC_OK && defer != NULL && multi_deferrable(mu))
        rc = multi_defer(mu, jobs, o, defer, err);
    else if (rc == SC_OK)
        rc = multi_products(mu, jobs, o, failed, err);
    return rc;
}

int sc_simmat_compute_multi(const sc_simmat_job *jobs, size_t njobs,
                            const sc_mat *reps, size_t m, size_t rows,
                            sc_simmat_load_fn load, void *ud,
                            const sc_simmat_opts *opts,
                            const sc_simmat_extra *extra, size_t *failed,
                            sc_err *err)
{
    if (failed != NULL)
        *failed = 0;
    if (m == 0 || njobs == 0 || (reps == NULL && load == NULL))
        return sc_err_set(err, SC_EINVAL,
                          "all-pairs similarity needs at least one "
                          "representation, one metric and the inputs");
    sc_simmat_opts o = {0};
    o.use_embed = 1;
    if (opts != NULL)
        o = *opts;
    multi mu = {0};
    mu.njobs = njobs;
    mu.m = m;
    mu.rows = rows;
    mu.reps = reps;
    mu.load = load;
    mu.load_ud = ud;
    mu.cache_dir = o.cache_dir;
    mu.gate = extra != NULL ? extra->gate : NULL;
    mu.f32 = extra != NULL && extra->float32;
    mu.budget = o.memory_budget ? o.memory_budget : sc_simmat_default_budget();
    size_t reserve = extra != NULL ? extra->reserve : 0;
    mu.room = mu.budget > reserve ? mu.budget - reserve : 0;
    mu.progress = extra != NULL ? extra->progress : NULL;
    mu.runs = sc_calloc(njobs, sizeof *mu.runs);
    mu.es = sc_calloc(njobs, sizeof *mu.es);
    mu.ebytes = sc_calloc(njobs, sizeof *mu.ebytes);
    mu.embed = sc_calloc(njobs, sizeof *mu.embed);
    mu.fail_job = sc_calloc(m, sizeof *mu.fail_job);
    int rc = SC_OK;
    if (mu.runs == NULL || mu.es == NULL || mu.ebytes == NULL ||
        mu.embed == NULL || mu.fail_job == NULL)
        rc = sc_err_set(err, SC_ENOMEM, "out of memory for %zu metrics", njobs);
    size_t nembed = 0;
    for (size_t k = 0; rc == SC_OK && k < njobs; k++) {
        run *r = &mu.runs[k];
        r->p = jobs[k].p;
        r->args = jobs[k].args;
        r->reps = reps;
        r->m = m;
        r->rows = rows;
        r->progress = mu.progress;
        r->label = jobs[k].label != NULL ? jobs[k].label : "";
        r->threads = o.threads ? o.threads : 1;
        r->f32 = mu.f32 || jobs[k].float32;
        mu.es[k].fd = -1;
        mu.embed[k] = o.use_embed && r->p->desc->embed != NULL &&
                      r->p->desc->embed_len != NULL;
        nembed += (size_t)mu.embed[k];
    }
    for (size_t i = 0; rc == SC_OK && i < m; i++)
        mu.fail_job[i] = njobs;
    unsigned threads = o.threads ? o.threads : 1;
    mu.threads = threads;
    const char *label = extra != NULL && extra->progress_label != NULL
                            ? extra->progress_label
                            : "";
    sc_simmat_pending **defer = extra != NULL ? extra->defer : NULL;
    if (defer != NULL)
        *defer = NULL;
    if (rc == SC_OK && nembed > 0)
        rc = multi_shared(&mu, jobs, &o, label, defer, failed, err);
    if (rc == SC_OK)
        rc = multi_rest(&mu, jobs, &o, extra, failed, err);
    multi_free(&mu);
    if (extra == NULL || !extra->keep_pages)
        sc_mem_recycle_trim(); /* the states' recycled blocks (mem.h) */
    return rc;
}
