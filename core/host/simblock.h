/* Blocks of model pairs (issue 14): the all-pairs engine's embed path
 * (simmat.h) cut into pieces that separate processes can run.
 *
 * The models 0..m-1 are split into K contiguous blocks (sc_simblock_range).
 * For block b, sc_simblock_embed prepares its models and writes their
 * embeddings, the block's rows of E, into a store (memory, a spill file or
 * a task's cache file). For blocks b1 <= b2, sc_simblock_product computes
 * their block of G = E E^T: the columns are cut into the engine's parts of
 * SC_SIMMAT_F32_BLOCK columns counted from column 0; each part is one
 * single-threaded SYRK (b1 = b2, both triangles) or GEMM (b1 < b2) into
 * its own buffer, and the buffers are added in part order. A product reads
 * its two blocks SIMBLOCK_GROUP parts at a time, so it never holds whole
 * rows. sc_simmat_cosines (simmat.h) then turns the assembled G into S.
 *
 * Bits: a product depends only on the two blocks' values and shapes, never
 * on the store, the thread count or which process runs it, so a local run
 * and a planned run with the same K give the same bits
 * (tests/slurm/blocks_test.py). They are
 * not the bits of K = 1: OpenBLAS's kernels give an entry of a SYRK or GEMM
 * other last bits depending on the rows around it (measured: 6,976 of
 * 378,675 entries of GEMM sub-blocks differed from the full GEMM), so the
 * run's cache key names K when K > 1 (run_simmat.c). */
#ifndef SC_SIMBLOCK_H
#define SC_SIMBLOCK_H

#include <stddef.h>

#include "err.h"
#include "loader.h"
#include "simmat.h"
#include "spill.h"

/* Embeddings are written in chunks of this many values. */
#define SC_SIMBLOCK_CHUNK 65536

/* Models [*first, *first + *count) of block b of K over m models:
 * first = floor(b m / K). */
void sc_simblock_range(size_t m, size_t K, size_t b, size_t *first,
                       size_t *count);

/* A block's rows: rows x len doubles, row-major, held by sp (in memory, or
 * in a file at byte offset base). */
typedef struct sc_simblock_rows {
    sc_spill sp;
    size_t base;
    size_t rows, len;
} sc_simblock_rows;

/* Columns [c0, c0 + cnt) of row r into dst. */
int sc_simblock_read(const sc_simblock_rows *b, size_t r, size_t c0, size_t cnt,
                     double *dst, sc_err *err);

/* Prepare models [first, first + count) (loaded by load/ud, rows stimuli
 * each) on threads workers, and write their embeddings to out. The first
 * model fixes the length L; then open(ud_open, L, out, err) gives out its
 * store (out->rows = count, out->len = L set before the call). *len is L,
 * or 0 when the metric has no embedding here (no embed function, a state
 * of embedding length 0, or lengths differing within the block): the
 * matrix must then come from the pairwise path (nothing is stored). */
typedef int (*sc_simblock_open_fn)(void *ud, sc_simblock_rows *out,
                                   sc_err *err);
int sc_simblock_embed(const sc_plugin *p, const sc_args *args, size_t first,
                      size_t count, size_t rows, sc_simmat_load_fn load,
                      void *ud, unsigned threads, sc_simblock_open_fn open,
                      void *ud_open, sc_simblock_rows *out, size_t *len,
                      sc_err *err);

/* G_ab = A B^T (a->rows x b->rows, row-major) over the fixed parts; diag:
 * a and b are the same block (SYRK). Same len required. */
int sc_simblock_product(const sc_simblock_rows *a, const sc_simblock_rows *b,
                        int diag, unsigned threads, double *g, sc_err *err);

/* G (m x m, both triangles) from the K (K + 1) / 2 block pairs b1 <= b2
 * in row-major order: pair(ud, b1, b2, gab, pairwise, err) gives block
 * (b1, b2) in gab (rows of b1 x rows of b2), or sets *pairwise when the
 * metric took the pairwise path on these inputs; assembling then stops
 * with *pairwise set. */
typedef int (*sc_simblock_pair_fn)(void *ud, size_t b1, size_t b2, double *gab,
                                   int *pairwise, sc_err *err);
int sc_simblock_assemble(size_t m, size_t K, sc_simblock_pair_fn pair, void *ud,
                         double *g, int *pairwise, sc_err *err);

/* The whole matrix S (m x m) in K blocks in this process: each block's
 * rows in memory while they fit budget together, else in a spill file
 * (spill.h), then every block pair's product, then the cosines
 * (sc_simmat_cosines). *pairwise (S untouched) when the metric has no
 * embedding on these inputs: compute S with sc_simmat_compute_lazy. */
int sc_simblock_matrix(const sc_plugin *p, const sc_args *args, size_t m,
                       size_t K, size_t rows, sc_simmat_load_fn load, void *ud,
                       unsigned threads, size_t budget, double *S,
                       int *pairwise, sc_err *err);

/* Bytes a product holds: two blocks' column groups and the parts in
 * flight (for check --estimate). */
size_t sc_simblock_product_bytes(size_t ra, size_t rb);

#endif
