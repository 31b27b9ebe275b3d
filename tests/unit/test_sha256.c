/* SHA-256 against the FIPS 180-2 / 180-4 example vectors.
 *
 * Expected digests are the published values of NIST's "Examples with
 * Intermediate Values" for SHA-256 (csrc.nist.gov, FIPS 180-2 Appendix B:
 * "abc", the 448-bit message, one million 'a') plus the empty string and
 * the 896-bit message from the same NIST example set; each was also checked
 * with coreutils sha256sum 9.1 (independent implementation). Splitting the
 * input across update() calls at every offset must not change a digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "mem.h"
#include "sha256.h"

static const char *const msg448 =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char *const msg896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

SC_TEST(fips_vectors)
{
    char hex[SC_SHA256_HEX];
    sc_sha256_hex("", 0, hex);
    expect_str(hex,
               "e3b0c44298fc1c149afbf4c8996fb924"
               "27ae41e4649b934ca495991b7852b855",
               "empty string");
    sc_sha256_hex("abc", 3, hex);
    expect_str(hex,
               "ba7816bf8f01cfea414140de5dae2223"
               "b00361a396177a9cb410ff61f20015ad",
               "\"abc\" (FIPS 180-2 B.1)");
    sc_sha256_hex(msg448, strlen(msg448), hex);
    expect_str(hex,
               "248d6a61d20638b8e5c026930c3e6039"
               "a33ce45964ff2167f6ecedd419db06c1",
               "448-bit message (B.2, two blocks after padding)");
    sc_sha256_hex(msg896, strlen(msg896), hex);
    expect_str(hex,
               "cf5b16a778af8380036ce59e7b049237"
               "0b249b11e8f07a51afac45037afee9d1",
               "896-bit message");
}

SC_TEST(million_a_streamed)
{
    /* B.3: 10^6 repetitions of 'a', fed in uneven chunks of 997 bytes so
     * partial blocks are carried across calls. */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    sc_sha256 c;
    sc_sha256_init(&c);
    size_t left = 1000000;
    while (left > 0) {
        size_t take = left < sizeof chunk ? left : sizeof chunk;
        sc_sha256_update(&c, chunk, take);
        left -= take;
    }
    uint8_t d[32];
    sc_sha256_final(&c, d);
    char hex[SC_SHA256_HEX];
    for (size_t k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", d[k]);
    expect_str(hex,
               "cdc76e5c9914fb9281a1c7e284d73e67"
               "f1809a48a497200e046d39ccc7112cd0",
               "one million 'a' (B.3)");
}

SC_TEST(split_at_every_offset)
{
    /* Padding boundaries: 55, 56 and 64 bytes are the lengths where the
     * length field does or does not fit the last block. */
    char want[SC_SHA256_HEX];
    sc_sha256_hex(msg896, strlen(msg896), want);
    size_t len = strlen(msg896), bad = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        sc_sha256 c;
        uint8_t d[32];
        char got[SC_SHA256_HEX];
        sc_sha256_init(&c);
        sc_sha256_update(&c, msg896, cut);
        sc_sha256_update(&c, msg896 + cut, len - cut);
        sc_sha256_final(&c, d);
        for (size_t k = 0; k < 32; k++)
            snprintf(got + 2 * k, 3, "%02x", d[k]);
        if (strcmp(got, want) != 0)
            bad++;
    }
    expect_int((long long)bad, 0,
               "896-bit message split at each of %zu "
               "offsets gives one digest",
               len + 1);
}

SC_TEST(file_digest_and_error)
{
    char path[256];
    snprintf(path, sizeof path, "test_sha256_%ld.txt", (long)getpid());
    FILE *f = fopen(path, "wb");
    fputs("abc", f);
    fclose(f);
    char hex[SC_SHA256_HEX];
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_sha256_file(path, hex, &err), SC_OK, "hash a file");
    expect_str(hex,
               "ba7816bf8f01cfea414140de5dae2223"
               "b00361a396177a9cb410ff61f20015ad",
               "file holding \"abc\"");
    remove(path);
    expect_int(sc_sha256_file(path, hex, &err), SC_EIO, "missing file");
    expect_contains(err.msg,
                    ": cannot read: No such file or directory; "
                    "check the path",
                    "message names the problem");
}

int main(void)
{
    return sc_test_run();
}
