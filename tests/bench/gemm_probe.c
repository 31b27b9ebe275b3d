/* GEMM-rate probe for the benchmark: the machine's own OpenBLAS dgemm and
 * sgemm rate (GFLOP/s, 2 n^3 flops per n x n product), best of a few
 * repetitions after a warm-up. Not part of the build: tests/bench/run.sh
 * compiles it with cc against the system OpenBLAS. Threads follow
 * OPENBLAS_NUM_THREADS. Usage: gemm_probe [n]   (default 2000). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n < 64 || n > 20000) {
        fprintf(stderr, "gemm_probe: n must be in [64, 20000]\n");
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b),
           *c = malloc(nn * sizeof *c);
    float *fa = malloc(nn * sizeof *fa), *fb = malloc(nn * sizeof *fb),
          *fc = malloc(nn * sizeof *fc);
    if (!a || !b || !c || !fa || !fb || !fc) {
        fprintf(stderr, "gemm_probe: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (double)(i % 97) / 97.0 - 0.5;
        b[i] = (double)(i % 89) / 89.0 - 0.5;
        fa[i] = (float)a[i];
        fb[i] = (float)b[i];
    }
    /* Rates per wall second and per CPU second of this process (all its
     * threads): on a shared machine the CPU rate is what a core delivers
     * while we hold it, the figure to compare CPU-timed kernels with. */
    double flops = 2.0 * (double)n * (double)n * (double)n;
    double best[4] = {0, 0, 0, 0}; /* dgemm wall, dgemm cpu, sgemm ... */
    for (int rep = 0; rep < 4; rep++) {
        double w0 = clock_s(CLOCK_MONOTONIC);
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a,
                    n, b, n, 0.0, c, n);
        double w1 = clock_s(CLOCK_MONOTONIC);
        double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                    fa, n, fb, n, 0.0f, fc, n);
        double w2 = clock_s(CLOCK_MONOTONIC);
        double c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        double r[4] = {flops / (w1 - w0), flops / (c1 - c0), flops / (w2 - w1),
                       flops / (c2 - c1)};
        for (int k = 0; rep > 0 && k < 4; k++) /* rep 0 warms up */
            if (r[k] > best[k])
                best[k] = r[k];
    }
    printf("{\"n\": %d, \"dgemm_gflops\": %.3f, \"dgemm_gflops_cpu\": "
           "%.3f, \"sgemm_gflops\": %.3f, \"sgemm_gflops_cpu\": %.3f, "
           "\"check\": %.6g}\n",
           n, best[0] * 1e-9, best[1] * 1e-9, best[2] * 1e-9, best[3] * 1e-9,
           c[nn / 2] + (double)fc[nn / 3]);
    free(a);
    free(b);
    free(c);
    free(fa);
    free(fb);
    free(fc);
    return 0;
}
