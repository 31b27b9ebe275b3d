/* Probe of the RBF kernel's exponential in plugins/cka.c (exp_nonpos).
 * Not part of the test suite. Includes the plugin's source (CKA_SRC, by
 * default this tree's), so the kernel pass of an older cka.c can be timed
 * by the same code. Build and run from the repository root:
 *   cc -std=c11 -O3 -Iinclude -Itests/plugins -Itests \
 *      tests/bench/exp_probe.c -o exp_probe -lm
 *   ./exp_probe acc COUNT LO HI  max error in ulps against long double expl
 *                                on COUNT seeded arguments in [LO, HI] <= 0,
 *                                normal and subnormal results apart, and
 *                                how many differ from glibc's exp
 *   ./exp_probe kernel N REPS    CPU seconds of REPS kernel passes (sym_run:
 *                                exponentials, mirror, column sums) on the
 *                                squared distances of N seeded points
 * For an older cka.c: git show REV:plugins/cka.c > /tmp/cka_old.c and add
 * -DCKA_SRC='"/tmp/cka_old.c"' (kernel mode only). */
#ifndef CKA_SRC
#define CKA_SRC "../../plugins/cka.c"
#endif
#include CKA_SRC

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "plugin_source_host.h"

static long double ulp_of(long double y)
{
    int e;
    frexpl(y, &e);
    return ldexpl(1.0L, e - 53 < -1074 ? -1074 : e - 53);
}

#ifdef EXP_N
static int accuracy(long count, double lo, double hi)
{
    enum { B = 4096 };
    static double x[B], y[B];
    uint64_t seed = 12345;
    double worst_n = 0, worst_s = 0, at_n = 0, at_s = 0;
    long differ = 0, n = 0, subnormal = 0;
    for (long b = 0; b < count; b += B) {
        for (int j = 0; j < B; j++)
            y[j] = x[j] = lo + uniform(&seed) * (hi - lo);
        exp_nonpos(y, B);
        for (int j = 0; j < B; j++, n++) {
            long double ref = expl((long double)x[j]);
            double err = (double)(fabsl((long double)y[j] - ref) / ulp_of(ref));
            if ((double)ref < 0x1p-1022) {
                subnormal++;
                if (err > worst_s) {
                    worst_s = err;
                    at_s = x[j];
                }
            } else if (err > worst_n) {
                worst_n = err;
                at_n = x[j];
            }
            differ += y[j] != exp(x[j]);
        }
    }
    printf("[%g, %g]: %ld arguments, %ld subnormal or zero results\n"
           "max error vs expl: normal %.4f ulp at %a, subnormal %.4f ulp "
           "at %a\ndiffer from glibc exp: %ld (%.3f%%)\n",
           lo, hi, n, subnormal, worst_n, at_n, worst_s, at_s, differ,
           100.0 * (double)differ / (double)n);
    return 0;
}
#endif

static int kernel(size_t n, int reps)
{
    enum { D = 64 };
    double *x = malloc(n * D * sizeof *x), *d2 = malloc(n * n * sizeof *d2);
    double *k = malloc(n * n * sizeof *k), *colsum = malloc(n * sizeof *k);
    uint64_t seed = 1;
    for (size_t i = 0; i < n * D; i++)
        x[i] = uniform(&seed);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) {
            double s = 0.0;
            for (size_t c = 0; c < D; c++) {
                double e = x[i * D + c] - x[j * D + c];
                s += e * e;
            }
            d2[i * n + j] = s;
            sum += 2.0 * s;
        }
    /* bandwidth about the mean distance, as a median bandwidth gives */
    sym_pass p = {.count = n,
                  .d2 = d2,
                  .ld = n,
                  .gamma = -0.5 / (sum / ((double)n * (double)n)),
                  .k = k,
                  .unbiased = 1,
                  .colsum = colsum};
    clock_t c0 = clock();
    for (int r = 0; r < reps; r++)
        sym_run(&p);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    double check = 0.0;
    for (size_t j = 0; j < n; j++)
        check += colsum[j];
    printf("kernel n=%zu reps=%d: %.3f CPU s (%.3f per pass), sum %.17g\n", n,
           reps, cpu, cpu / reps, check);
    free(x);
    free(d2);
    free(k);
    free(colsum);
    return 0;
}

int main(int argc, char **argv)
{
#ifdef EXP_N
    if (argc == 5 && strcmp(argv[1], "acc") == 0)
        return accuracy(atol(argv[2]), atof(argv[3]), atof(argv[4]));
#endif
    if (argc == 4 && strcmp(argv[1], "kernel") == 0)
        return kernel((size_t)atol(argv[2]), atoi(argv[3]));
    fprintf(stderr, "usage: exp_probe acc COUNT LO HI | kernel N REPS\n");
    return 2;
}
