/* SHA-256 per FIPS 180-4 (see sha256.h). Hand-written because no library
 * we may link provides it; kept literal to the standard's notation (Ch,
 * Maj, Sigma0/1, sigma0/1, K, W) so it can be read against the text. */
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "atomic.h"

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

void sc_sha256_init(sc_sha256 *c)
{
    /* Sec. 5.3.3: fractional parts of the square roots of the first 8
     * primes. */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->bytes = 0;
    c->fill = 0;
}

void sc_sha256_update(sc_sha256 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->bytes += len;
    while (len > 0) {
        size_t take = 64 - c->fill;
        if (take > len)
            take = len;
        memcpy(c->block + c->fill, p, take);
        c->fill += take;
        p += take;
        len -= take;
        if (c->fill == 64) {
            compress(c->h, c->block);
            c->fill = 0;
        }
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
        compress(c->h, c->block);
        c->fill = 0;
    }
    memset(c->block + c->fill, 0, 56 - c->fill);
    for (size_t k = 0; k < 8; k++)
        c->block[56 + k] = (uint8_t)(bits >> (56 - 8 * k));
    compress(c->h, c->block);
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
