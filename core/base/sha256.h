/* SHA-256 (FIPS 180-4) for result provenance and cache keys.
 *
 * Purpose: manifest.json records the SHA-256 of the effective spec and of
 * every input file, and `simcon run --resume` names cached similarity
 * matrices by a SHA-256 of everything they depend on. Our allowed libraries
 * (GSL, OpenBLAS, libyaml, libdl) offer no hash, so this is a small
 * hand-written implementation of the standard, checked against the FIPS
 * 180-2/180-4 example vectors in tests/unit/test_sha256.c.
 *
 * Two compression functions give the same bits: the portable C one, and
 * on x86-64 CPUs with the SHA extensions (SHA-NI) one built on their
 * round and message-schedule instructions, about 7x faster (1.7 against
 * 0.24 GB/s of CPU time on the project's AMD EPYC). The full-size
 * study hashes 3.5 GB of features per dataset before computing, so the
 * faster one is chosen at run time (CPUID) unless the environment says
 * SIMCON_SHA256=portable (benchmarks, or to rule the instructions out).
 *
 * Invariants: the context processes bytes in order; any split of the input
 * into update() calls, and either compression function, gives the same
 * digest. Digests are shown as 64 lower-case hex characters. Contexts are
 * independent: several threads may hash different files at once.
 *
 * References: NIST FIPS 180-4, "Secure Hash Standard", sections 4.1.2
 * (functions), 4.2.2 (constants), 5.1.1 (padding), 6.2 (computation);
 * Intel, "Intel SHA Extensions" white paper (Gulley et al., 2013) and the
 * Intel SDM vol. 2 entries SHA256RNDS2, SHA256MSG1, SHA256MSG2 for the
 * state layout (ABEF/CDGH) and the schedule split. */
#ifndef SC_SHA256_H
#define SC_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SC_SHA256_HEX 65 /* 64 hex digits + NUL */

/* Compression of n whole 64-byte blocks into the hash value h. */
typedef void (*sc_sha256_blocks_fn)(uint32_t h[8], const uint8_t *p, size_t n);

typedef struct sc_sha256 {
    uint32_t h[8];              /* running hash value H(i)          */
    uint64_t bytes;             /* message length so far, in bytes  */
    uint8_t block[64];          /* pending partial block            */
    size_t fill;                /* bytes pending in block (0 .. 63) */
    sc_sha256_blocks_fn blocks; /* the compression function in use  */
} sc_sha256;

/* The compression function a context uses. */
typedef enum sc_sha256_impl {
    SC_SHA256_AUTO,     /* SHA-NI when present and not SIMCON_SHA256=portable */
    SC_SHA256_PORTABLE, /* the C code, on every CPU                          */
    SC_SHA256_SHANI     /* the x86 SHA extensions                            */
} sc_sha256_impl;

/* Start a digest with the automatic choice (SC_SHA256_AUTO). */
void sc_sha256_init(sc_sha256 *c);
/* Start a digest with a given compression function (tests and
 * benchmarks compare them). Returns SC_OK, or SC_EINVAL for SHA-NI on a
 * CPU or build without it; c is then set up with the portable one. */
int sc_sha256_init_impl(sc_sha256 *c, sc_sha256_impl impl);
/* True when this build and CPU can run SHA-NI (CPUID leaf 7, EBX bit 29,
 * with SSSE3 and SSE4.1), whatever SIMCON_SHA256 says. */
bool sc_sha256_shani_available(void);
/* "sha-ni" or "portable": the compression function c uses. */
const char *sc_sha256_impl_name(const sc_sha256 *c);
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
