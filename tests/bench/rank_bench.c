/* rank_bench: plugins/rsa.c's rank_triangle alone, on the RDM of a real-ish
 * model (not a test; built by hand, see below).
 *
 * Reads one float32 .npy (n x d, as tests/bench/paper_gen.py writes),
 * optionally duplicates stimuli (every k-th row copies the row before it,
 * so the RDM has exact ties: zeros and equal rows), forms the correlation
 * RDM with rsa.c's own compute_rdm from a float32 centred Gram (OpenBLAS
 * ssyrk, as the host's SC_GRAM_FLOAT32), then ranks copies of it `reps`
 * times and prints each call's process CPU and wall time and their
 * medians. Large blocks are mapped 2 MiB aligned with MADV_HUGEPAGE and
 * recycled already faulted in, as core/base/mem.c does for the plugin.
 * With OUT, the last ranks (spearman) or the order and the tie count
 * (kendall) are written there, to cmp two builds.
 *
 *   gcc -O3 -DNDEBUG -fno-math-errno -std=gnu11 -Iinclude -Itests/plugins \
 *       -DRSA_C='"plugins/rsa.c"' tests/bench/rank_bench.c \
 *       -o rank_bench -lopenblas -lm
 *   OPENBLAS_NUM_THREADS=1 ./rank_bench model.npy 20 5 spearman [OUT]
 *
 * RSA_C may name another rsa.c (an older version) to time both in one
 * session. */
#define _GNU_SOURCE
#include RSA_C

#include <cblas.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#include "plugin_source_host.h"

enum { KEPT = 8 };
#define HUGE_PAGE ((size_t)2 << 20)

typedef struct kept_block {
    void *p;
    size_t bytes;
    int used;
} kept_block;

static kept_block kept[KEPT];

static void *b_alloc(sc_ctx *ctx, size_t bytes)
{
    (void)ctx;
    if (bytes < HUGE_PAGE)
        return malloc(bytes);
    bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    for (int k = 0; k < KEPT; k++)
        if (kept[k].p != NULL && !kept[k].used && kept[k].bytes == bytes) {
            kept[k].used = 1;
            return kept[k].p;
        }
    char *raw = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = raw + (HUGE_PAGE - (uintptr_t)raw % HUGE_PAGE) % HUGE_PAGE;
    (void)madvise(p, bytes, MADV_HUGEPAGE);
    for (int k = 0; k < KEPT; k++)
        if (kept[k].p == NULL) {
            kept[k] = (kept_block){p, bytes, 1};
            return p;
        }
    return p; /* never recycled (not expected: few blocks) */
}

static void b_free(sc_ctx *ctx, void *p)
{
    (void)ctx;
    for (int k = 0; k < KEPT; k++)
        if (kept[k].p == p && p != NULL) {
            kept[k].used = 0;
            return;
        }
    if ((uintptr_t)p % HUGE_PAGE != 0)
        free(p);
}

/* host->gram with SC_GRAM_CENTRED | SC_GRAM_FLOAT32, as the host forms it:
 * two-pass column means in double, the centred features rounded to float,
 * float32 SYRK, widened to double. */
typedef struct bench_gram {
    sc_gram pub;
    double *g, *mean;
} bench_gram;

static int b_gram(sc_ctx *ctx, const sc_mat *x, uint32_t flags,
                  const sc_gram **out)
{
    size_t n = x->rows, d = x->cols;
    bench_gram *bg = calloc(1, sizeof *bg);
    bg->g = b_alloc(ctx, n * n * sizeof *bg->g);
    bg->mean = calloc(d, sizeof *bg->mean);
    float *a = malloc(n * d * sizeof *a);
    float *c = malloc(n * n * sizeof *c);
    for (size_t j = 0; j < d; j++) {
        double m = 0.0, r = 0.0;
        for (size_t i = 0; i < n; i++)
            m += x->data[i * x->ld + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++)
            r += x->data[i * x->ld + j] - m;
        bg->mean[j] = m + r / (double)n;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            a[i * d + j] = (float)(x->data[i * x->ld + j] - bg->mean[j]);
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)d, 1.0f,
                a, (int)d, 0.0f, c, (int)n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            bg->g[i * n + j] = bg->g[j * n + i] = (double)c[i * n + j];
    free(a);
    free(c);
    bg->pub = (sc_gram){n, d, flags, bg->g, bg->mean, 0.0, 0.0};
    *out = &bg->pub;
    return SC_OK;
}

static void b_gram_release(sc_ctx *ctx, const sc_gram *g)
{
    if (g == NULL)
        return;
    bench_gram *bg = (bench_gram *)(uintptr_t)g; /* pub is the first field */
    b_free(ctx, bg->g);
    free(bg->mean);
    free(bg);
}

/* A float32 C-order .npy as doubles (n x d). */
static double *read_npy(const char *path, size_t *n, size_t *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char pre[10];
    if (fread(pre, 1, 10, f) != 10)
        return NULL;
    size_t hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    char *h = calloc(hlen + 1, 1);
    if (fread(h, 1, hlen, f) != hlen || strstr(h, "<f4") == NULL)
        return NULL;
    char *s = strstr(h, "shape");
    if (s == NULL || sscanf(strchr(s, '(') + 1, "%zu, %zu", n, d) != 2)
        return NULL;
    free(h);
    float *raw = malloc(*n * *d * sizeof *raw);
    double *x = malloc(*n * *d * sizeof *x);
    if (fread(raw, sizeof *raw, *n * *d, f) != *n * *d)
        return NULL;
    fclose(f);
    for (size_t p = 0; p < *n * *d; p++)
        x[p] = (double)raw[p];
    free(raw);
    return x;
}

static double seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_dbl(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s MODEL.npy DUP_EVERY REPS "
                "spearman|kendall [OUT]\n",
                argv[0]);
        return 2;
    }
    size_t n, d, dup = (size_t)atol(argv[2]);
    int reps = atoi(argv[3]), ranks = strcmp(argv[4], "kendall") != 0;
    double *x = read_npy(argv[1], &n, &d);
    if (x == NULL) {
        fprintf(stderr, "%s: not a float32 2-d npy\n", argv[1]);
        return 1;
    }
    for (size_t i = 1; dup > 0 && i < n; i++)
        if (i % dup == 0)
            memcpy(x + i * d, x + (i - 1) * d, d * sizeof *x);
    const sc_host host = {.fail = t_fail,
                          .alloc = b_alloc,
                          .free = b_free,
                          .gram = b_gram,
                          .gram_release = b_gram_release};
    sc_ctx ctx = {0};
    sc_mat xm = {n, d, d, x};
    size_t len = n * (n - 1) / 2;
    double *t0 = b_alloc(&ctx, len * sizeof *t0);
    double *t = b_alloc(&ctx, len * sizeof *t);
    size_t *order = ranks ? NULL : b_alloc(&ctx, len * sizeof *order);
    if (compute_rdm(&host, &ctx, &xm, RDM_CORRELATION, 1, t0) != SC_OK) {
        fprintf(stderr, "compute_rdm failed\n");
        return 1;
    }
    double *cpu = calloc((size_t)reps, sizeof *cpu);
    double *wall = calloc((size_t)reps, sizeof *wall);
    uint64_t ties = 0;
    for (int r = 0; r < reps; r++) {
        memcpy(t, t0, len * sizeof *t);
        double c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        double w0 = seconds(CLOCK_MONOTONIC);
        int rc = rank_triangle(&host, &ctx, t, len, ranks, order, &ties);
        cpu[r] = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        wall[r] = seconds(CLOCK_MONOTONIC) - w0;
        if (rc != SC_OK)
            return 1;
        printf("call %d: cpu %.3f s wall %.3f s\n", r, cpu[r], wall[r]);
    }
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp_dbl);
    qsort(wall, (size_t)reps, sizeof *wall, cmp_dbl);
    printf("N %zu ties %llu median cpu %.3f s (%.1f ns/entry) wall %.3f s\n",
           len, (unsigned long long)ties, cpu[reps / 2],
           1e9 * cpu[reps / 2] / (double)len, wall[reps / 2]);
    if (argc > 5) {
        FILE *f = fopen(argv[5], "wb");
        if (ranks)
            fwrite(t, sizeof *t, len, f);
        else
            fwrite(order, sizeof *order, len, f);
        fwrite(&ties, sizeof ties, 1, f);
        fclose(f);
    }
    return 0;
}
