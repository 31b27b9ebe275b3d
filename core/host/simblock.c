/* Blocks of model pairs (see simblock.h). */
#include "simblock.h"

#include <stdatomic.h>
#include <string.h>

#include "blas.h"
#include "gram.h"
#include "mem.h"
#include "metric.h"
#include "pool.h"

/* The engine's part width (simmat.c), and parts read per group: a group
 * of a block of r rows holds 8 r x 4,096 x 16 bytes (512 KiB per row). */
#define SIMBLOCK_PART SC_SIMMAT_F32_BLOCK
#define SIMBLOCK_GROUP 16

void sc_simblock_range(size_t m, size_t K, size_t b, size_t *first,
                       size_t *count)
{
    if (K == 0)
        K = 1;
    /* b m / K without overflow for any realistic m (m < 2^32). */
    size_t a = b * m / K, e = (b + 1) * m / K;
    *first = a;
    *count = e - a;
}

int sc_simblock_read(const sc_simblock_rows *b, size_t r, size_t c0, size_t cnt,
                     double *dst, sc_err *err)
{
    size_t off = (r * b->len + c0) * sizeof(double);
    if (!b->sp.spilled) {
        memcpy(dst, (const char *)b->sp.data + off, cnt * sizeof(double));
        return SC_OK;
    }
    return sc_spill_read(&b->sp, dst, cnt * sizeof(double), b->base + off, err);
}

static int write_row_part(const sc_simblock_rows *b, size_t r, size_t c0,
                          size_t cnt, const double *src, sc_err *err)
{
    size_t off = (r * b->len + c0) * sizeof(double);
    if (!b->sp.spilled) {
        memcpy((char *)b->sp.data + off, src, cnt * sizeof(double));
        return SC_OK;
    }
    return sc_spill_write(&b->sp, src, cnt * sizeof(double), b->base + off,
                          err);
}

/* ## Embeddings of one block */

typedef struct embed_job {
    const sc_plugin *p;
    const sc_args *args;
    size_t first, rows;
    sc_simmat_load_fn load;
    void *ud;
    sc_simblock_open_fn open;
    void *ud_open;
    sc_simblock_rows *out;
    unsigned threads;
    atomic_uint busy;
    atomic_int mixed; /* a state's length differs from the first's (or 0) */
    size_t base;      /* first item of this pool run */
} embed_job;

static int embed_item(void *ctx, size_t item, sc_err *err)
{
    embed_job *j = ctx;
    size_t i = j->base + item, model = j->first + i;
    sc_matrix owned = {0};
    sc_mat view;
    int rc = j->load(j->ud, model, &owned, &view, err);
    if (rc == SC_OK && view.rows != j->rows)
        rc = sc_err_set(err, SC_EINVAL,
                        "has %zu rows, expected %zu; all representations "
                        "must hold the same stimuli in the same order",
                        view.rows, j->rows);
    sc_gram_cache cache;
    sc_gram_cache_init(&cache);
    cache.threads = j->threads;
    cache.busy = &j->busy;
    void *st = NULL;
    atomic_fetch_add(&j->busy, 1);
    if (rc == SC_OK)
        rc = sc_metric_prepare_shared(j->p, j->args, &view, &cache, &st, err);
    atomic_fetch_sub(&j->busy, 1);
    sc_gram_cache_clear(&cache);
    sc_matrix_deinit(&owned);
    size_t len = rc == SC_OK ? sc_metric_embed_len(j->p, st) : 0;
    if (rc == SC_OK && i == 0) {
        j->out->len = len;
        if (len > 0)
            rc = j->open(j->ud_open, j->out, err);
    }
    if (rc == SC_OK && (len == 0 || len != j->out->len))
        atomic_store(&j->mixed, 1);
    double *buf = NULL;
    if (rc == SC_OK && !atomic_load(&j->mixed)) {
        size_t chunk = len < SC_SIMBLOCK_CHUNK ? len : SC_SIMBLOCK_CHUNK;
        buf = sc_malloc(chunk * sizeof *buf);
        if (buf == NULL)
            rc = sc_err_set(err, SC_ENOMEM, "out of memory (embed chunk)");
        for (size_t off = 0; rc == SC_OK && off < len; off += chunk) {
            size_t cnt = len - off < chunk ? len - off : chunk;
            rc = sc_metric_embed(j->p, st, off, cnt, buf, err);
            if (rc == SC_OK)
                rc = write_row_part(j->out, i, off, cnt, buf, err);
        }
    }
    sc_free(buf);
    sc_metric_release(j->p, st);
    if (rc != SC_OK)
        return sc_err_prefix(err, "representation %zu", model);
    return SC_OK;
}

int sc_simblock_embed(const sc_plugin *p, const sc_args *args, size_t first,
                      size_t count, size_t rows, sc_simmat_load_fn load,
                      void *ud, unsigned threads, sc_simblock_open_fn open,
                      void *ud_open, sc_simblock_rows *out, size_t *len,
                      sc_err *err)
{
    *len = 0;
    memset(out, 0, sizeof *out);
    out->sp.fd = -1;
    out->rows = count;
    if (count == 0 || p->desc->embed == NULL || p->desc->embed_len == NULL)
        return SC_OK;
    embed_job j = {0};
    j.p = p;
    j.args = args;
    j.first = first;
    j.rows = rows;
    j.load = load;
    j.ud = ud;
    j.open = open;
    j.ud_open = ud_open;
    j.out = out;
    j.threads = threads ? threads : 1;
    /* The first model alone: it fixes L and opens the store. */
    int rc = sc_pool_run(embed_item, &j, 1, j.threads, &sc_blas_serial, err);
    j.base = 1;
    if (rc == SC_OK && !atomic_load(&j.mixed))
        rc = sc_pool_run(embed_item, &j, count - 1, j.threads, &sc_blas_serial,
                         err);
    if (rc == SC_OK && !atomic_load(&j.mixed))
        *len = out->len;
    return rc;
}

/* ## Products of two blocks */

typedef struct prod {
    const double *a, *b; /* the group's columns: rows x gw each */
    size_t ra, rb, gw, cols;
    int diag;
    double *acc; /* SIMBLOCK_GROUP x ra x rb */
} prod;

static int part_item(void *ctx, size_t k, sc_err *err)
{
    const prod *pr = ctx;
    size_t c0 = k * SIMBLOCK_PART;
    size_t cnt = pr->cols - c0 < SIMBLOCK_PART ? pr->cols - c0 : SIMBLOCK_PART;
    double *c = pr->acc + k * pr->ra * pr->rb;
    if (pr->diag)
        return sc_blas_syrk(0, pr->ra, cnt, 1.0, pr->a + c0, pr->gw, 0.0, c,
                            pr->rb, err);
    return sc_blas_gemm(0, 1, pr->ra, pr->rb, cnt, 1.0, pr->a + c0, pr->gw,
                        pr->b + c0, pr->gw, 0.0, c, pr->rb, err);
}

/* Columns [c0, c0 + cols) of every row of blk into dst (rows x cols). */
static int read_group(const sc_simblock_rows *blk, size_t c0, size_t cols,
                      double *dst, sc_err *err)
{
    int rc = SC_OK;
    for (size_t r = 0; r < blk->rows && rc == SC_OK; r++)
        rc = sc_simblock_read(blk, r, c0, cols, dst + r * cols, err);
    return rc;
}

size_t sc_simblock_product_bytes(size_t ra, size_t rb)
{
    size_t w = (size_t)SIMBLOCK_GROUP * SIMBLOCK_PART * sizeof(double);
    return (ra + rb) * w + (size_t)SIMBLOCK_GROUP * ra * rb * sizeof(double) +
           ra * rb * sizeof(double);
}

int sc_simblock_product(const sc_simblock_rows *a, const sc_simblock_rows *b,
                        int diag, unsigned threads, double *g, sc_err *err)
{
    if (a->len != b->len || (diag && a->rows != b->rows))
        return sc_err_set(err, SC_EINVAL,
                          "blocks of embedding length %zu and %zu cannot be "
                          "multiplied",
                          a->len, b->len);
    size_t ra = a->rows, rb = b->rows, len = a->len, rr = ra * rb;
    size_t gw = len < (size_t)SIMBLOCK_GROUP * SIMBLOCK_PART
                    ? len
                    : (size_t)SIMBLOCK_GROUP * SIMBLOCK_PART;
    double *ba = sc_aligned_alloc(ra * (gw ? gw : 1), sizeof(double));
    double *bb =
        diag ? ba : sc_aligned_alloc(rb * (gw ? gw : 1), sizeof(double));
    double *acc =
        sc_aligned_alloc(SIMBLOCK_GROUP * (rr ? rr : 1), sizeof(double));
    int rc = SC_OK;
    if (ba == NULL || bb == NULL || acc == NULL)
        rc = sc_err_set(err, SC_ENOMEM,
                        "out of memory for the product of blocks of %zu and "
                        "%zu models",
                        ra, rb);
    if (rc == SC_OK)
        memset(g, 0, rr * sizeof *g);
    /* Groups of whole parts from column 0: the parts are the engine's
     * (simmat.c), added in column order. */
    for (size_t c0 = 0; c0 < len && rc == SC_OK; c0 += gw) {
        size_t cols = len - c0 < gw ? len - c0 : gw;
        rc = read_group(a, c0, cols, ba, err);
        if (rc == SC_OK && !diag)
            rc = read_group(b, c0, cols, bb, err);
        prod pr = {ba, bb, ra, rb, cols, cols, diag, acc};
        size_t parts = (cols + SIMBLOCK_PART - 1) / SIMBLOCK_PART;
        if (rc == SC_OK)
            rc = sc_pool_run(part_item, &pr, parts, threads ? threads : 1,
                             &sc_blas_serial, err);
        for (size_t k = 0; k < parts && rc == SC_OK; k++)
            for (size_t c = 0; c < rr; c++)
                g[c] += acc[k * rr + c];
    }
    sc_aligned_free(acc);
    if (!diag)
        sc_aligned_free(bb);
    sc_aligned_free(ba);
    return rc;
}

/* ## Assembling */

/* Block (b1, b2) of G into g (m x m), both triangles. */
static void place(double *g, size_t m, size_t f1, size_t r1, size_t f2,
                  size_t r2, const double *gab)
{
    for (size_t i = 0; i < r1; i++)
        for (size_t j = 0; j < r2; j++) {
            g[(f1 + i) * m + f2 + j] = gab[i * r2 + j];
            g[(f2 + j) * m + f1 + i] = gab[i * r2 + j];
        }
}

int sc_simblock_assemble(size_t m, size_t K, sc_simblock_pair_fn pair, void *ud,
                         double *g, int *pairwise, sc_err *err)
{
    *pairwise = 0;
    size_t big = (m + K - 1) / K;
    double *gab = sc_aligned_alloc(big * big + 1, sizeof *gab);
    int st = gab == NULL ? sc_err_set(err, SC_ENOMEM, "out of memory") : SC_OK;
    for (size_t b1 = 0; b1 < K && st == SC_OK && !*pairwise; b1++)
        for (size_t b2 = b1; b2 < K && st == SC_OK && !*pairwise; b2++) {
            size_t f1, r1, f2, r2;
            sc_simblock_range(m, K, b1, &f1, &r1);
            sc_simblock_range(m, K, b2, &f2, &r2);
            st = pair(ud, b1, b2, gab, pairwise, err);
            if (st == SC_OK && !*pairwise)
                place(g, m, f1, r1, f2, r2, gab);
        }
    sc_aligned_free(gab);
    return st;
}

/* ## In one process */

typedef struct local_blocks {
    sc_simblock_rows *b;
    unsigned threads;
    size_t budget, in_memory; /* bytes of the blocks held in memory */
} local_blocks;

/* In memory while the blocks fit the budget together, else spilled. */
static int open_local(void *ud, sc_simblock_rows *out, sc_err *err)
{
    local_blocks *lb = ud;
    size_t bytes = 0;
    if (!sc_size_mul3(out->rows, out->len, sizeof(double), &bytes))
        return sc_err_set(err, SC_ENOMEM,
                          "a block of %zu rows of %zu overflows", out->rows,
                          out->len);
    size_t room = lb->budget > lb->in_memory ? lb->budget - lb->in_memory : 0;
    int st = sc_spill_open(&out->sp, bytes, room, NULL, err);
    if (st == SC_OK && !out->sp.spilled)
        lb->in_memory += bytes;
    return st;
}

static int local_pair(void *ud, size_t b1, size_t b2, double *gab,
                      int *pairwise, sc_err *err)
{
    const local_blocks *lb = ud;
    *pairwise = 0;
    return sc_simblock_product(&lb->b[b1], &lb->b[b2], b1 == b2, lb->threads,
                               gab, err);
}

int sc_simblock_matrix(const sc_plugin *p, const sc_args *args, size_t m,
                       size_t K, size_t rows, sc_simmat_load_fn load, void *ud,
                       unsigned threads, size_t budget, double *S,
                       int *pairwise, sc_err *err)
{
    *pairwise = 0;
    local_blocks lb = {sc_calloc(K, sizeof *lb.b), threads, budget, 0};
    double *g = sc_aligned_alloc(m * m, sizeof *g);
    int st = lb.b == NULL || g == NULL
                 ? sc_err_set(err, SC_ENOMEM, "out of memory")
                 : SC_OK;
    for (size_t b = 0; lb.b != NULL && b < K; b++)
        lb.b[b].sp.fd = -1;
    for (size_t b = 0; b < K && st == SC_OK && !*pairwise; b++) {
        size_t first = 0, count = 0, len = 0;
        sc_simblock_range(m, K, b, &first, &count);
        st = sc_simblock_embed(p, args, first, count, rows, load, ud, threads,
                               open_local, &lb, &lb.b[b], &len, err);
        if (st != SC_OK)
            sc_err_prefix(err, "model block %zu", b);
        *pairwise = len == 0 || len != lb.b[0].len;
    }
    if (st == SC_OK && !*pairwise)
        st = sc_simblock_assemble(m, K, local_pair, &lb, g, pairwise, err);
    if (st == SC_OK && !*pairwise)
        st = sc_simmat_cosines(p, args, m, g, S, err);
    for (size_t b = 0; lb.b != NULL && b < K; b++)
        sc_spill_close(&lb.b[b].sp);
    sc_free(lb.b);
    sc_aligned_free(g);
    return st;
}
