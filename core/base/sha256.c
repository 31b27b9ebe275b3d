/* SHA-256 per FIPS 180-4 (see sha256.h). Hand-written because no library
 * we may link provides it; the portable compression is kept literal to the
 * standard's notation (Ch, Maj, Sigma0/1, sigma0/1, K, W) so it can be read
 * against the text. The SHA-NI compression computes the same rounds with
 * the CPU's instructions; tests/unit/test_sha256.c checks both against
 * NIST's vectors and coreutils sha256sum. */
#include "sha256.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"

/* The SHA-NI path needs GCC/Clang intrinsics and x86-64; any other build
 * compiles the portable path only. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* FIPS 180-4 sec. 4.2.2: first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/* One 512-bit block (sec. 6.2.2). */
static void compress(uint32_t h[8], const uint8_t blk[64])
{
    uint32_t w[64];
    for (size_t t = 0; t < 16; t++)
        w[t] = (uint32_t)blk[4 * t] << 24 | (uint32_t)blk[4 * t + 1] << 16 |
               (uint32_t)blk[4 * t + 2] << 8 | (uint32_t)blk[4 * t + 3];
    for (size_t t = 16; t < 64; t++) {
        uint32_t s0 =
            rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 =
            rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5],
             g = h[6], hh = h[7];
    for (size_t t = 0; t < 64; t++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[t] + w[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

static void portable_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
    for (; n > 0; n--, p += 64)
        compress(h, p);
}

/* ## SHA-NI (x86 SHA extensions) */
#ifdef SHA256_X86

/* Only these functions are compiled for the extensions; the rest of the
 * build stays generic x86-64 and calls them only after CPUID said yes. */
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Rounds t .. t+3 (sec. 6.2.2 step 3). SHA256RNDS2 keeps the working
 * variables in two registers, ABEF and CDGH (A in the high lane), and does
 * two rounds with W + K from the low two lanes of wk. After two rounds the
 * old A, B, E, F are the new C, D, G, H, so the second pair reads the
 * first pair's input as its CDGH. */
SHANI_TARGET static inline void rounds4(__m128i *abef, __m128i *cdgh, __m128i w,
                                        size_t t)
{
    __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[t]));
    __m128i wk_high = _mm_shuffle_epi32(wk, 0x0e); /* lanes 2, 3 down */
    __m128i abef2 = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    __m128i abef4 = _mm_sha256rnds2_epu32(*abef, abef2, wk_high);
    *cdgh = abef2;
    *abef = abef4;
}

/* W[t .. t+3] from the sixteen words before them (sec. 6.2.2 step 1),
 * given as w0 = W[t-16 .. t-13] .. w3 = W[t-4 .. t-1]: MSG1 adds
 * sigma0(W[t-15+j]) to W[t-16+j], the byte shift brings W[t-7 .. t-4],
 * and MSG2 adds sigma1(W[t-2+j]), computing lanes 2 and 3 from the lanes
 * 0 and 1 it has just made. */
SHANI_TARGET static inline __m128i schedule4(__m128i w0, __m128i w1, __m128i w2,
                                             __m128i w3)
{
    __m128i w_7 = _mm_alignr_epi8(w3, w2, 4);
    __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), w_7);
    return _mm_sha256msg2_epu32(x, w3);
}

SHANI_TARGET static void shani_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
    /* Big-endian words (sec. 3.1): reverse the bytes of each lane. */
    const __m128i bswap =
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    /* H0..H3 = A..D and H4..H7 = E..H in memory order, to ABEF, CDGH. */
    __m128i badc = _mm_shuffle_epi32(_mm_loadu_si128((__m128i *)&h[0]), 0xb1);
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((__m128i *)&h[4]), 0x1b);
    __m128i abef = _mm_alignr_epi8(badc, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0);
    for (; n > 0; n--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, w[4];
        for (size_t i = 0; i < 4; i++) {
            __m128i raw = _mm_loadu_si128((const __m128i *)(p + 16 * i));
            w[i] = _mm_shuffle_epi8(raw, bswap);
            rounds4(&abef, &cdgh, w[i], 4 * i);
        }
        for (size_t t = 16; t < 64; t += 4) {
            __m128i next = schedule4(w[0], w[1], w[2], w[3]);
            w[0] = w[1];
            w[1] = w[2];
            w[2] = w[3];
            w[3] = next;
            rounds4(&abef, &cdgh, next, t);
        }
        abef = _mm_add_epi32(abef, abef0); /* sec. 6.2.2 step 4 */
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xf0));
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* CPUID leaf 7 (sub-leaf 0) EBX bit 29 is SHA; the code also uses SSSE3
 * (leaf 1 ECX bit 9) and SSE4.1 (ECX bit 19). */
static bool cpu_has_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    bool sse = (c >> 9 & 1u) && (c >> 19 & 1u);
    if (!sse || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return (b >> 29 & 1u) != 0;
}
#else
static bool cpu_has_shani(void)
{
    return false;
}
#endif

/* ## Choosing the compression function */

/* Decided once per process: CPUID traps to the hypervisor on a VM, and
 * cache keys start many small digests. */
static pthread_once_t choice_once = PTHREAD_ONCE_INIT;
static bool has_shani;
static bool auto_shani;

static void choose(void)
{
    has_shani = cpu_has_shani();
    const char *env = getenv("SIMCON_SHA256");
    bool portable = env != NULL && strcmp(env, "portable") == 0;
    auto_shani = has_shani && !portable;
}

bool sc_sha256_shani_available(void)
{
    pthread_once(&choice_once, choose);
    return has_shani;
}

int sc_sha256_init_impl(sc_sha256 *c, sc_sha256_impl impl)
{
    /* Sec. 5.3.3: fractional parts of the square roots of the first 8
     * primes. */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->bytes = 0;
    c->fill = 0;
    c->blocks = portable_blocks;
    pthread_once(&choice_once, choose);
    bool shani =
        impl == SC_SHA256_SHANI || (impl == SC_SHA256_AUTO && auto_shani);
    if (!shani)
        return SC_OK;
    if (!has_shani)
        return SC_EINVAL;
#ifdef SHA256_X86
    c->blocks = shani_blocks;
#endif
    return SC_OK;
}

void sc_sha256_init(sc_sha256 *c)
{
    (void)sc_sha256_init_impl(c, SC_SHA256_AUTO); /* AUTO cannot fail */
}

const char *sc_sha256_impl_name(const sc_sha256 *c)
{
    return c->blocks == portable_blocks ? "portable" : "sha-ni";
}

/* ## Streaming */

void sc_sha256_update(sc_sha256 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->bytes += len;
    if (c->fill > 0) { /* complete the pending block first */
        size_t take = 64 - c->fill < len ? 64 - c->fill : len;
        memcpy(c->block + c->fill, p, take);
        c->fill += take;
        p += take;
        len -= take;
        if (c->fill < 64)
            return;
        c->blocks(c->h, c->block, 1);
        c->fill = 0;
    }
    /* Whole blocks straight from the caller's buffer, no copy. */
    size_t whole = len / 64;
    if (whole > 0) {
        c->blocks(c->h, p, whole);
        p += 64 * whole;
        len -= 64 * whole;
    }
    if (len > 0) {
        memcpy(c->block, p, len);
        c->fill = len;
    }
}

void sc_sha256_final(sc_sha256 *c, uint8_t digest[32])
{
    /* Sec. 5.1.1: a 1 bit, zeros to 448 mod 512, then the bit length as a
     * 64-bit big-endian integer. */
    uint64_t bits = c->bytes * 8u;
    c->block[c->fill++] = 0x80;
    if (c->fill > 56) {
        memset(c->block + c->fill, 0, 64 - c->fill);
        c->blocks(c->h, c->block, 1);
        c->fill = 0;
    }
    memset(c->block + c->fill, 0, 56 - c->fill);
    for (size_t k = 0; k < 8; k++)
        c->block[56 + k] = (uint8_t)(bits >> (56 - 8 * k));
    c->blocks(c->h, c->block, 1);
    for (size_t k = 0; k < 8; k++) {
        digest[4 * k] = (uint8_t)(c->h[k] >> 24);
        digest[4 * k + 1] = (uint8_t)(c->h[k] >> 16);
        digest[4 * k + 2] = (uint8_t)(c->h[k] >> 8);
        digest[4 * k + 3] = (uint8_t)c->h[k];
    }
}

static void to_hex(const uint8_t d[32], char hex[SC_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t k = 0; k < 32; k++) {
        hex[2 * k] = digits[d[k] >> 4];
        hex[2 * k + 1] = digits[d[k] & 15];
    }
    hex[64] = '\0';
}

void sc_sha256_hex(const void *data, size_t len, char hex[SC_SHA256_HEX])
{
    sc_sha256 c;
    uint8_t d[32];
    sc_sha256_init(&c);
    sc_sha256_update(&c, data, len);
    sc_sha256_final(&c, d);
    to_hex(d, hex);
}

int sc_sha256_file(const char *path, char hex[SC_SHA256_HEX], sc_err *err)
{
    int why = 0;
    FILE *f = sc_fopen_regular(path, &why);
    if (f == NULL)
        return sc_err_set(err, SC_EIO, "%s: cannot read: %s; check the path",
                          path, sc_open_strerror(why));
    sc_sha256 c;
    uint8_t buf[1 << 16], d[32];
    sc_sha256_init(&c);
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sc_sha256_update(&c, buf, got);
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed)
        return sc_err_set(err, SC_EIO, "%s: cannot read: %s; check the file",
                          path, strerror(saved));
    sc_sha256_final(&c, d);
    to_hex(d, hex);
    return SC_OK;
}
