/* SHA-256 against the FIPS 180-2 / 180-4 example vectors, on both
 * compression functions (portable C and SHA-NI).
 *
 * Expected digests are the published values of NIST's "Examples with
 * Intermediate Values" for SHA-256 (csrc.nist.gov, FIPS 180-2 Appendix B:
 * "abc", the 448-bit message, one million 'a') plus the empty string and
 * the 896-bit message from the same NIST example set; each was also checked
 * with coreutils sha256sum 9.1 (independent implementation). Splitting the
 * input across update() calls at every offset must not change a digest.
 *
 * Random buffers of every length 0..1000 and a few MB (random contents,
 * split at random points) must give one digest on both paths. Their digests
 * against coreutils sha256sum: `test_sha256 --write DIR` writes the buffers
 * as files with a sums list per path, which tests/sha256/sums_check.sh
 * hands to `sha256sum --check`.
 *
 * On a CPU without SHA-NI the check "SHA-NI detection" says so and only the
 * portable path is tested; that CPUID reads the same as the kernel's
 * /proc/cpuinfo flag "sha_ni" is itself a check (Linux x86-64). */
#include <stdbool.h>
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

/* The paths this machine can test: portable always, SHA-NI if present. */
static size_t impls(sc_sha256_impl out[2])
{
    out[0] = SC_SHA256_PORTABLE;
    out[1] = SC_SHA256_SHANI;
    return sc_sha256_shani_available() ? 2 : 1;
}

static const char *impl_name(sc_sha256_impl impl)
{
    return impl == SC_SHA256_SHANI ? "sha-ni" : "portable";
}

static void to_hex(const uint8_t d[32], char hex[SC_SHA256_HEX])
{
    for (size_t k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", d[k]);
}

/* Digest of data with impl, fed to update() in pieces cut at cuts[0..nc-1]
 * (ascending offsets). */
static void digest(sc_sha256_impl impl, const void *data, size_t len,
                   const size_t *cuts, size_t nc, char hex[SC_SHA256_HEX])
{
    sc_sha256 c;
    uint8_t d[32];
    sc_sha256_init_impl(&c, impl);
    size_t at = 0;
    for (size_t k = 0; k < nc; k++) {
        sc_sha256_update(&c, (const char *)data + at, cuts[k] - at);
        at = cuts[k];
    }
    sc_sha256_update(&c, (const char *)data + at, len - at);
    sc_sha256_final(&c, d);
    to_hex(d, hex);
}

/* splitmix64 (Steele, Lea, Flood 2014): test inputs only. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)(next_random(&seed) >> 56);
}

/* Up to 4 random ascending cut points in [0, len]. */
static size_t random_cuts(size_t len, uint64_t *s, size_t cuts[4])
{
    size_t nc = (size_t)(next_random(s) % 5);
    for (size_t k = 0; k < nc; k++)
        cuts[k] = (size_t)(next_random(s) % (len + 1));
    for (size_t k = 1; k < nc; k++) /* insertion sort */
        for (size_t j = k; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    return nc;
}

/* Every length 0..1000 (all the padding cases: 55, 56, 63, 64 bytes mod
 * 64 and several blocks), then a few MB that stream thousands of blocks
 * through the multi-block path. */
static const size_t big_lens[] = {65535, 65536 + 55, 2097152 + 13, 3000017};
#define N_SMALL 1001
#define N_LENS (N_SMALL + sizeof big_lens / sizeof big_lens[0])

static size_t length_at(size_t k)
{
    return k < N_SMALL ? k : big_lens[k - N_SMALL];
}

/* Does /proc/cpuinfo list the flag "sha_ni"? -1 when unreadable. */
static int cpuinfo_sha_ni(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return -1;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni") != NULL)
            found = 1;
    fclose(f);
    return found;
}

SC_TEST(shani_detection)
{
    bool have = sc_sha256_shani_available();
    const char *tested =
        have ? "portable and sha-ni" : "portable only: this CPU lacks SHA-NI";
#if defined(__x86_64__) && defined(__linux__)
    int flag = cpuinfo_sha_ni();
    expect_int(have, flag,
               "SHA-NI detection: CPUID agrees with /proc/cpuinfo sha_ni; "
               "paths tested: %s",
               tested);
#else
    expect_int(have, 0,
               "SHA-NI detection: not an x86-64 Linux build; "
               "paths tested: %s",
               tested);
#endif
    sc_sha256 c;
    int st = sc_sha256_init_impl(&c, SC_SHA256_SHANI);
    expect_int(st, have ? SC_OK : SC_EINVAL, "asking for SHA-NI");
    expect_str(sc_sha256_impl_name(&c), have ? "sha-ni" : "portable",
               "the context names the path it uses");
}

SC_TEST(auto_follows_env)
{
    /* ctest runs this binary twice, once with SIMCON_SHA256=portable
     * (tests/sha256/CMakeLists.txt). */
    const char *env = getenv("SIMCON_SHA256");
    bool portable = env != NULL && strcmp(env, "portable") == 0;
    bool want_shani = sc_sha256_shani_available() && !portable;
    sc_sha256 c;
    sc_sha256_init(&c);
    expect_str(sc_sha256_impl_name(&c), want_shani ? "sha-ni" : "portable",
               "automatic choice with SIMCON_SHA256=%s",
               env != NULL ? env : "(unset)");
}

SC_TEST(fips_vectors)
{
    static const struct {
        const char *msg, *want, *what;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "empty string"},
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "\"abc\" (FIPS 180-2 B.1)"},
        {NULL,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
         "448-bit message (B.2, two blocks after padding)"},
        {NULL,
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
         "896-bit message"},
    };
    sc_sha256_impl im[2];
    size_t ni = impls(im);
    for (size_t i = 0; i < ni; i++)
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            const char *msg = v[k].msg != NULL ? v[k].msg
                              : k == 2         ? msg448
                                               : msg896;
            char hex[SC_SHA256_HEX];
            digest(im[i], msg, strlen(msg), NULL, 0, hex);
            expect_str(hex, v[k].want, "%s: %s", impl_name(im[i]), v[k].what);
        }
    char hex[SC_SHA256_HEX];
    sc_sha256_hex("abc", 3, hex);
    expect_str(hex,
               "ba7816bf8f01cfea414140de5dae2223"
               "b00361a396177a9cb410ff61f20015ad",
               "sc_sha256_hex of \"abc\"");
}

SC_TEST(million_a_streamed)
{
    /* B.3: 10^6 repetitions of 'a', fed in uneven chunks of 997 bytes so
     * partial blocks are carried across calls. */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    sc_sha256_impl im[2];
    size_t ni = impls(im);
    for (size_t i = 0; i < ni; i++) {
        sc_sha256 c;
        sc_sha256_init_impl(&c, im[i]);
        size_t left = 1000000;
        while (left > 0) {
            size_t take = left < sizeof chunk ? left : sizeof chunk;
            sc_sha256_update(&c, chunk, take);
            left -= take;
        }
        uint8_t d[32];
        sc_sha256_final(&c, d);
        char hex[SC_SHA256_HEX];
        to_hex(d, hex);
        expect_str(hex,
                   "cdc76e5c9914fb9281a1c7e284d73e67"
                   "f1809a48a497200e046d39ccc7112cd0",
                   "%s: one million 'a' (B.3)", impl_name(im[i]));
    }
}

SC_TEST(split_at_every_offset)
{
    /* Padding boundaries: 55, 56 and 64 bytes are the lengths where the
     * length field does or does not fit the last block. */
    const char *want = "cf5b16a778af8380036ce59e7b049237"
                       "0b249b11e8f07a51afac45037afee9d1"; /* 896-bit */
    size_t len = strlen(msg896);
    sc_sha256_impl im[2];
    size_t ni = impls(im);
    for (size_t i = 0; i < ni; i++) {
        size_t bad = 0;
        for (size_t cut = 0; cut <= len; cut++) {
            char got[SC_SHA256_HEX];
            digest(im[i], msg896, len, &cut, 1, got);
            if (strcmp(got, want) != 0)
                bad++;
        }
        expect_int((long long)bad, 0,
                   "%s: 896-bit message split at each of %zu offsets gives "
                   "the published digest",
                   impl_name(im[i]), len + 1);
    }
}

SC_TEST(random_buffers_both_paths)
{
    /* The reference is the portable path in one update(); the other two
     * digests cut the input at random points. */
    sc_sha256_impl im[2];
    size_t ni = impls(im);
    uint8_t *buf = sc_malloc(big_lens[3]);
    if (!expect_true(buf != NULL, "allocate %zu bytes", big_lens[3]))
        return;
    size_t bad[2] = {0, 0};
    uint64_t s = 20261203;
    for (size_t k = 0; k < N_LENS; k++) {
        size_t len = length_at(k), cuts[4];
        fill_random(buf, len, 1000 + k);
        char want[SC_SHA256_HEX], got[SC_SHA256_HEX];
        digest(SC_SHA256_PORTABLE, buf, len, NULL, 0, want);
        for (size_t i = 0; i < ni; i++) {
            size_t nc = random_cuts(len, &s, cuts);
            digest(im[i], buf, len, cuts, nc, got);
            bad[i] += strcmp(got, want) != 0;
        }
    }
    sc_free(buf);
    for (size_t i = 0; i < ni; i++)
        expect_int((long long)bad[i], 0,
                   "%s split at random points equals the portable digest "
                   "for %zu random buffers (0..1000 bytes and up to %zu)",
                   impl_name(im[i]), N_LENS, big_lens[3]);
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

/* --write DIR: the random buffers as DIR/len-<n>.bin, and per path a
 * sha256sum list DIR/<path>.sums of our digests (random cuts). */
static int write_sums(const char *dir)
{
    sc_sha256_impl im[2];
    size_t ni = impls(im);
    FILE *sums[2] = {NULL, NULL};
    uint8_t *buf = malloc(big_lens[3]);
    char path[4096];
    int rc = buf == NULL;
    for (size_t i = 0; i < ni && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s.sums", dir, impl_name(im[i]));
        sums[i] = fopen(path, "w");
        rc = sums[i] == NULL;
    }
    uint64_t s = 7;
    for (size_t k = 0; k < N_LENS && rc == 0; k++) {
        size_t len = length_at(k), cuts[4];
        fill_random(buf, len, 1000 + k);
        snprintf(path, sizeof path, "%s/len-%zu.bin", dir, len);
        FILE *f = fopen(path, "wb");
        rc = f == NULL || fwrite(buf, 1, len, f) != len;
        rc |= f != NULL && fclose(f) != 0;
        for (size_t i = 0; i < ni && rc == 0; i++) {
            char hex[SC_SHA256_HEX];
            size_t nc = random_cuts(len, &s, cuts);
            digest(im[i], buf, len, cuts, nc, hex);
            fprintf(sums[i], "%s  len-%zu.bin\n", hex, len);
        }
    }
    for (size_t i = 0; i < ni; i++)
        if (sums[i] != NULL && fclose(sums[i]) != 0)
            rc = 1;
    free(buf);
    printf("%s: %zu buffers, paths: %s\n", rc ? "FAILED" : "wrote", N_LENS,
           ni == 2 ? "portable sha-ni" : "portable (no SHA-NI on this CPU)");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_sums(argv[2]);
    return sc_test_run();
}
