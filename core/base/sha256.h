/* SHA-256 (FIPS 180-4) for result provenance and cache keys.
 *
 * Purpose: manifest.json records the SHA-256 of the effective spec and of
 * every input file, and `simcon run --resume` names cached similarity
 * matrices by a SHA-256 of everything they depend on. Our allowed libraries
 * (GSL, OpenBLAS, libyaml, libdl) offer no hash, so this is a small
 * hand-written implementation of the standard, checked against the FIPS
 * 180-2/180-4 example vectors in tests/unit/test_sha256.c.
 *
 * Invariants: the context processes bytes in order; any split of the input
 * into update() calls gives the same digest. Digests are shown as 64
 * lower-case hex characters.
 *
 * Reference: NIST FIPS 180-4, "Secure Hash Standard", sections 4.1.2
 * (functions), 4.2.2 (constants), 5.1.1 (padding), 6.2 (computation). */
#ifndef SC_SHA256_H
#define SC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SC_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct sc_sha256 {
    uint32_t h[8];     /* running hash value H(i)                  */
    uint64_t bytes;    /* message length so far, in bytes          */
    uint8_t block[64]; /* pending partial block                    */
    size_t fill;       /* bytes pending in block (0 .. 63)         */
} sc_sha256;

void sc_sha256_init(sc_sha256 *c);
void sc_sha256_update(sc_sha256 *c, const void *data, size_t len);
/* Pad, finish and write the 32-byte digest; c must be re-initialised
 * before reuse. */
void sc_sha256_final(sc_sha256 *c, uint8_t digest[32]);

/* Digest of data[0..len-1] as lower-case hex into hex (65 bytes). */
void sc_sha256_hex(const void *data, size_t len, char hex[SC_SHA256_HEX]);

/* Digest of a whole file (streamed in 64 KiB blocks).
 * Statuses: SC_EIO "<path>: cannot read: <strerror>; check the path". */
int sc_sha256_file(const char *path, char hex[SC_SHA256_HEX], sc_err *err);

#endif
