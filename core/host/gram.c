/* Shared Gram matrices (see gram.h). */
#include "gram.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "mem.h"
#include "pool.h"
#include "simcon/clones.h"
#include "simcon/plugin_util.h"

struct sc_gram_obj {
    sc_gram pub;       /* first: a const sc_gram * is the object */
    const double *key; /* the view it was computed from */
    size_t ld;
    double *g;
    double *mean;
    int cached;
};

static atomic_ulong computed;

unsigned long sc_gram_computed(void)
{
    return atomic_load(&computed);
}

void sc_gram_cache_init(sc_gram_cache *c)
{
    memset(c, 0, sizeof *c);
    const char *env = getenv("SIMCON_GRAM_CACHE");
    c->off = env != NULL && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0);
}

static void obj_free(sc_gram_obj *o)
{
    if (o == NULL)
        return;
    sc_aligned_free(o->g);
    sc_aligned_free(o->mean);
    sc_free(o);
}

void sc_gram_cache_clear(sc_gram_cache *c)
{
    for (size_t i = 0; i < c->used; i++)
        obj_free(c->slot[i]);
    c->used = 0;
}

/* ## Panels
 *
 * The Gram is computed in fixed row panels of SC_GRAM_PANEL rows: panel p
 * is C[r0:r1, r0:n] = A[r0:r1] A[r0:n]^T (one GEMM with one BLAS thread),
 * then its rows' upper triangle mirrored onto columns r0:r1 below the
 * diagonal (tiled: sc_blas_mirror_upper). A panel reads only its own rows
 * and writes below the diagonal only in its own columns, which no other
 * panel's GEMM touches, so the panels' mirrors run in parallel with no
 * race. (The former separate pass
 * g[i n + j] = g[j n + i] after all panels walked the lower triangle down
 * columns, one cache and TLB miss per entry: 3% of a full-size run.)
 * The panels are the same whatever the threads, and each is one
 * single-threaded BLAS call, so the matrix is bit-identical however many
 * threads share the panels; the threads are those left idle by the
 * engine's workers (gram.h). */
#define SC_GRAM_PANEL 256

typedef struct panels {
    const double *a;
    size_t lda;
    const float *af; /* float32: the rounded features (ld d) */
    size_t n, d;
    double *g;
    float *gf; /* float32: the float Gram (ld n) */
} panels;

static int panel_item(void *ctx, size_t p, sc_err *err)
{
    const panels *pl = ctx;
    size_t n = pl->n, r0 = p * SC_GRAM_PANEL;
    size_t rows = n - r0 < SC_GRAM_PANEL ? n - r0 : SC_GRAM_PANEL;
    int rc;
    if (pl->af != NULL) {
        rc = sc_blas_sgemm(0, 1, rows, n - r0, pl->d, 1.0f, pl->af + r0 * pl->d,
                           pl->d, pl->af + r0 * pl->d, pl->d, 0.0f,
                           pl->gf + r0 * n + r0, n, err);
        if (rc == SC_OK)
            sc_blas_smirror_upper(r0, r0 + rows, n, pl->gf, n);
        return rc;
    }
    rc = sc_blas_gemm(0, 1, rows, n - r0, pl->d, 1.0, pl->a + r0 * pl->lda,
                      pl->lda, pl->a + r0 * pl->lda, pl->lda, 0.0,
                      pl->g + r0 * n + r0, n, err);
    if (rc == SC_OK)
        sc_blas_mirror_upper(r0, r0 + rows, n, pl->g, n);
    return rc;
}

/* The panels on `threads` threads (policy: one BLAS thread each). */
static int run_panels(panels *pl, unsigned threads, sc_err *err)
{
    size_t n = pl->n;
    if (pl->d == 0) {
        if (pl->af != NULL)
            memset(pl->gf, 0, n * n * sizeof *pl->gf);
        else
            memset(pl->g, 0, n * n * sizeof *pl->g);
        return SC_OK;
    }
    size_t count = (n + SC_GRAM_PANEL - 1) / SC_GRAM_PANEL;
    return sc_pool_run(panel_item, pl, count, threads, &sc_blas_serial, err);
}

/* dst[k] = src[k], widened, for k < len, in index order: dst may cover
 * src's bytes from below (gram_rows). Per-CPU clones (simcon/clones.h). */
SC_CLONE_BODY void widen_body(double *dst, const float *src, size_t len)
{
    for (size_t k = 0; k < len; k++)
        dst[k] = (double)src[k];
}
SC_CLONED(widen, (double *dst, const float *src, size_t len), (dst, src, len))

/* Round the n x d doubles at own (ld d) to floats in place, into its first
 * 4 n d bytes. Each chunk is converted into a small buffer and then
 * copied down: by then the copy's bytes [4 k0, 4 (k0 + m)) belong to
 * doubles below k0 + m, all read already, and memcpy (unlike a float
 * store into double memory) keeps the compiler from moving a read of
 * those doubles after it. */
#define NARROW_CHUNK 2048

static float *narrow_in_place(double *own, size_t nd)
{
    float *xf = (float *)(void *)own, part[NARROW_CHUNK];
    for (size_t k0 = 0; k0 < nd; k0 += NARROW_CHUNK) {
        size_t m = nd - k0 < NARROW_CHUNK ? nd - k0 : NARROW_CHUNK;
        for (size_t k = 0; k < m; k++)
            part[k] = (float)own[k0 + k];
        memcpy(xf + k0, part, m * sizeof *part);
    }
    return xf;
}

/* Gram of the n x d rows a (ld lda) into g (n x n): float64 panels, or
 * float32 (SC_GRAM_FLOAT32): the rows rounded to float (in own's bytes
 * when a is the caller's scratch copy own, ld d: the centred features,
 * so no second n x d buffer is allocated and first-touched; else in a
 * buffer of their own), then the float Gram formed and mirrored in the
 * upper half of g's own bytes (byte offset 4 n^2; mirrored there, half
 * the bytes of a double mirror) and widened forwards; double k covers
 * bytes [8k, 8k + 8), float j sits at 4 n^2 + 4 j, so a double store
 * reaches a float not yet read only if k >= n^2, which never happens. */
static int gram_rows(const double *a, size_t lda, double *own, size_t n,
                     size_t d, int f32, unsigned threads, double *g,
                     sc_err *err)
{
    panels pl = {a, lda, NULL, n, d, g, NULL};
    if (!f32)
        return run_panels(&pl, threads, err);
    float *xf = NULL;
    if (own != NULL) {
        xf = narrow_in_place(own, n * d);
    } else {
        xf = sc_aligned_alloc(n * d > 0 ? n * d : 1, sizeof *xf);
        if (xf == NULL)
            return sc_err_set(err, SC_ENOMEM,
                              "out of memory for %zu x %zu float32 features", n,
                              d);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++)
                xf[i * d + j] = (float)a[i * lda + j];
    }
    pl.a = NULL; /* own's doubles are floats now */
    pl.af = xf;
    pl.gf = (float *)(void *)((unsigned char *)g + n * n * sizeof(float));
    int rc = run_panels(&pl, threads, err);
    if (own == NULL)
        sc_aligned_free(xf);
    if (rc == SC_OK)
        widen(g, pl.gf, n * n);
    return rc;
}

/* Threads for one Gram: the engine's threads not busy with other items. */
static unsigned spare_threads(const sc_gram_cache *c)
{
    if (c == NULL || c->busy == NULL || c->threads <= 1)
        return 1;
    unsigned busy = atomic_load(c->busy);
    return busy >= c->threads ? 1 : c->threads - busy + 1;
}

/* Compute the Gram of x into o (o->g allocated here). */
static int compute(const sc_host *host, const sc_mat *x, uint32_t flags,
                   unsigned threads, sc_gram_obj *o, sc_err *err)
{
    size_t n = x->rows, d = x->cols, nn = 0, nd = 0;
    if (!sc_size_mul(n, n, &nn) || !sc_size_mul(n, d > 0 ? d : 1, &nd))
        return sc_err_set(err, SC_ENOMEM,
                          "a Gram matrix of %zu rows overflows size_t", n);
    o->g = sc_aligned_alloc(nn, sizeof *o->g);
    if (o->g == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory for a %zu x %zu Gram matrix", n, n);
    const double *a = x->data;
    size_t lda = x->ld;
    double *xc = NULL, var2 = 0.0, scale2 = 0.0;
    if (flags & SC_GRAM_CENTRED) {
        xc = sc_aligned_alloc(nd, sizeof *xc);
        o->mean = sc_aligned_alloc(2 * (d > 0 ? d : 1), sizeof *o->mean);
        if (xc == NULL || o->mean == NULL) {
            sc_aligned_free(xc);
            return sc_err_set(err, SC_ENOMEM,
                              "out of memory centring %zu x %zu features", n,
                              d);
        }
        sc_pu_centre(host, x, NULL, n, xc, o->mean, &var2, &scale2);
        a = xc;
        lda = d;
    } else {
        for (size_t i = 0; i < n; i++)
            scale2 += host->dot(d, x->data + i * x->ld, x->data + i * x->ld);
        var2 = scale2;
    }
    int rc = gram_rows(a, lda, xc, n, d, (flags & SC_GRAM_FLOAT32) != 0,
                       threads, o->g, err);
    sc_aligned_free(xc);
    if (rc != SC_OK)
        return rc;
    atomic_fetch_add(&computed, 1);
    o->pub.n = n;
    o->pub.d = d;
    o->pub.flags = flags;
    o->pub.g = o->g;
    o->pub.mean = o->mean;
    o->pub.var2 = var2;
    o->pub.scale2 = scale2;
    o->key = x->data;
    o->ld = x->ld;
    return SC_OK;
}

static sc_gram_obj *lookup(const sc_gram_cache *c, const sc_mat *x,
                           uint32_t flags)
{
    for (size_t i = 0; i < c->used; i++) {
        sc_gram_obj *o = c->slot[i];
        if (o->key == x->data && o->ld == x->ld && o->pub.n == x->rows &&
            o->pub.d == x->cols && o->pub.flags == flags)
            return o;
    }
    return NULL;
}

int sc_gram_get(sc_gram_cache *c, const sc_host *host, const sc_mat *x,
                uint32_t flags, const sc_gram **out, sc_err *err)
{
    *out = NULL;
    if (flags & ~(uint32_t)(SC_GRAM_CENTRED | SC_GRAM_FLOAT32))
        return sc_err_set(err, SC_EINVAL,
                          "host->gram: unknown flags 0x%x (plugin bug)",
                          (unsigned)flags);
    int use = c != NULL && !c->off;
    sc_gram_obj *o = use ? lookup(c, x, flags) : NULL;
    if (o != NULL) {
        *out = &o->pub;
        return SC_OK;
    }
    o = sc_calloc(1, sizeof *o);
    if (o == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory (Gram matrix)");
    int rc = compute(host, x, flags, spare_threads(c), o, err);
    if (rc != SC_OK) {
        obj_free(o);
        return rc;
    }
    if (use && c->used < SC_GRAM_SLOTS) {
        o->cached = 1;
        c->slot[c->used++] = o;
    }
    *out = &o->pub;
    return SC_OK;
}

void sc_gram_put(const sc_gram *g)
{
    if (g == NULL)
        return;
    sc_gram_obj *o = (sc_gram_obj *)(void *)(uintptr_t)g;
    if (!o->cached)
        obj_free(o);
}
