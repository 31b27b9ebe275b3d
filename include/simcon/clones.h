/* simcon per-CPU clones: one macro that compiles a hot elementwise loop
 * for AVX-512F, AVX2 and the generic x86-64 (SSE2) of the build, and runs
 * the widest one the CPU and the OS support.
 *
 * Why: the build targets generic x86-64, two doubles per vector
 * operation; the O(n^2) passes over kernels, distances and RDMs (CKA's
 * RBF exponentials, RSA's square roots and divisions, the float32 <->
 * float64 conversions) go four or eight at a time on a CPU that has it.
 *
 * The bits do not change. Each clone runs the same C operations in the
 * same order: additions, multiplications, divisions, square roots and
 * conversions are correctly rounded at every vector width; the build is
 * C11, where GCC does not contract a * b + c into an FMA
 * (-ffp-contract=off), and GCC vectorises a floating-point sum only in
 * its source order (no -fassociative-math), so no clone reassociates.
 * tests/clones checks it: the same matrices with the wider clones masked
 * (GLIBC_TUNABLES) must be byte-identical.
 *
 * Dispatch: each call asks glibc which features are active
 * (CPU_FEATURE_ACTIVE, <sys/platform/x86.h>, glibc >= 2.33: CPUID and the
 * OS's register saving, minus any glibc.cpu.hwcaps tunable) and calls that
 * clone. Not GCC's target_clones: its resolver reads CPUID itself
 * (libgcc), so no clone but the widest could be forced to prove the
 * above. The question costs a call per loop, not per element; callers put
 * a whole row or more in one loop.
 *
 * Elsewhere (clang, whose default -ffp-contract=on would fuse
 * multiply-adds in the AVX-512 clone; C++; non-x86-64; no glibc header;
 * or built with -DSC_NO_CLONES, a test-only escape) SC_CLONED defines only
 * the plain function: the build's own code path.
 *
 * Use (static functions returning void):
 *   SC_CLONE_BODY void scale_body(double *v, size_t len, double a)
 *   {
 *       for (size_t j = 0; j < len; j++)
 *           v[j] *= a;
 *   }
 *   SC_CLONED(scale, (double *v, size_t len, double a), (v, len, a))
 * defines static void scale(double *v, size_t len, double a). The body is
 * inlined into each clone; keep it a leaf (what it calls must inline too,
 * or runs generic code). Like plugin.h this header needs only what it
 * names and compiles as C99 and C++; it is no ABI (tests/loader). */
#ifndef SIMCON_CLONES_H
#define SIMCON_CLONES_H

#if !defined(SC_NO_CLONES) && defined(__GNUC__) && !defined(__clang__) &&      \
    !defined(__cplusplus) && defined(__x86_64__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define SC_CLONES_ON 1
#endif
#endif

#ifdef SC_CLONES_ON
#define SC_CLONE_BODY static inline __attribute__((always_inline))
#define SC_CLONED(name, params, args)                                          \
    __attribute__((target("avx512f"))) static void name##_avx512f params       \
    {                                                                          \
        name##_body args;                                                      \
    }                                                                          \
    __attribute__((target("avx2"))) static void name##_avx2 params             \
    {                                                                          \
        name##_body args;                                                      \
    }                                                                          \
    static void name params                                                    \
    {                                                                          \
        if (CPU_FEATURE_ACTIVE(AVX512F))                                       \
            name##_avx512f args;                                               \
        else if (CPU_FEATURE_ACTIVE(AVX2))                                     \
            name##_avx2 args;                                                  \
        else                                                                   \
            name##_body args;                                                  \
    }
#else
#define SC_CLONE_BODY static inline
#define SC_CLONED(name, params, args)                                          \
    static void name params                                                    \
    {                                                                          \
        name##_body args;                                                      \
    }
#endif

#endif
