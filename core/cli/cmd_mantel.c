/* simcon mantel [--perms N] [--seed S] [--method pearson|spearman]
 *               [--alternative greater|less|two-sided] [--exact] [--quiet]
 *               A.csv B.csv
 *
 * Mantel test between two similarity matrices over all model pairs; prints
 * "r p" as "%.17g %.17g". Defaults follow vegan::mantel (R): 9999
 * permutations, Pearson, alternative "greater". Models are matched by name
 * (B is reordered to A's order), so the files may list them in different
 * orders but must hold the same set. An asymmetric matrix (linreg) is
 * replaced by (S + S^T) / 2 with a warning on stderr, as `simcon run` does
 * (sc_symmetrize, mat.h), so both commands give the same r.
 *
 * Seeding: the permutation stream is seeded with
 * sc_rng_task_seed(S, "mantel") (rng.h), S defaulting to
 * SC_MANTEL_DEFAULT_SEED, so the same files and options always print the
 * same p. Every call with the default seed draws the same permutations, so
 * the Monte-Carlo errors of tests on related matrices are correlated (0.82
 * measured in issue 12); --seed auto takes S from the two files' contents:
 * S = h(A) XOR h(B), h = the first 16 hex digits of the file's SHA-256 read
 * as an unsigned 64-bit number, so different file pairs get different
 * streams and the same pair always the same one (S is printed on stderr).
 * --exact enumerates all m! permutations instead (m <= 8; then the seed is
 * unused and p = #{T* >= T} / m!). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mat.h"
#include "progress.h"
#include "sha256.h"
#include "simcsv.h"
#include "stats.h"

/* The digits of the paper's arXiv id (2411.05561): any fixed value would
 * do; this one is easy to recognise in a manifest. */
#define SC_MANTEL_DEFAULT_SEED UINT64_C(241105561)
#define SC_MANTEL_DEFAULT_PERMS 9999

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: simcon mantel [--perms N] [--seed S] [--method "
        "pearson|spearman]\n"
        "                     [--alternative greater|less|two-sided] "
        "[--exact]\n"
        "                     [--quiet] A.csv B.csv\n"
        "Mantel permutation test between two similarity matrices (CSV with "
        "header\n"
        "',name1,...' as written by 'simcon matrix' and 'simcon run'; models "
        "are\n"
        "matched by name). Paths are relative to the current directory.\n"
        "Writes no files; prints 'r p' on stdout (%%.17g each).\n"
        "  --perms N         random permutations (default: %d)\n"
        "  --seed S          seed of the permutation stream (default: %" PRIu64
        ",\n"
        "                    the same for every call, so related tests share "
        "their\n"
        "                    permutations); 'auto': derived from the two "
        "files'\n"
        "                    SHA-256, different for every pair of files, "
        "printed\n"
        "                    on stderr\n"
        "  --method M        pearson (default) or spearman\n"
        "  --alternative A   greater (default), less or two-sided\n"
        "  --exact           all m! permutations instead (m <= %d; default: "
        "random)\n"
        "  --quiet           no progress (default: progress with an ETA when "
        "stderr\n"
        "                    is a terminal)\n"
        "An asymmetric matrix (e.g. linreg's) is used as (S + S^T)/2, as "
        "'simcon run'\n"
        "does, with a warning on stderr.\n"
        "Defaults follow R's vegan::mantel.\n",
        SC_MANTEL_DEFAULT_PERMS, SC_MANTEL_DEFAULT_SEED, SC_MANTEL_EXACT_MAX);
}

static int parse_u64(const char *opt, const char *text, uint64_t *out,
                     sc_err *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] == '\0' || text[0] == '-' || *end != '\0' || errno == ERANGE)
        return sc_err_set(err, SC_EINVAL,
                          "%s expects a non-negative integer, got '%s'", opt,
                          text);
    *out = (uint64_t)v;
    return SC_OK;
}

/* Read both files and put B in A's model order. */
static int load_pair(const char *fa, const char *fb, sc_simmat *a, sc_simmat *b,
                     sc_err *err)
{
    sc_simmat raw_b = {0};
    int rc = sc_simcsv_read(fa, a, err);
    if (rc == SC_OK)
        rc = sc_simcsv_read(fb, &raw_b, err);
    if (rc == SC_OK)
        rc = sc_simmat_align(a, fa, &raw_b, fb, b, err);
    sc_simmat_deinit(&raw_b);
    return rc;
}

/* --seed auto: h(A) XOR h(B), h = first 16 hex digits of the SHA-256. */
static int auto_seed(const char *const files[2], uint64_t *seed, sc_err *err)
{
    *seed = 0;
    for (int f = 0; f < 2; f++) {
        char hex[SC_SHA256_HEX], head[17];
        int rc = sc_sha256_file(files[f], hex, err);
        if (rc != SC_OK)
            return rc;
        memcpy(head, hex, 16);
        head[16] = '\0';
        *seed ^= (uint64_t)strtoull(head, NULL, 16);
    }
    return SC_OK;
}

int sc_cmd_mantel(int argc, char **argv)
{
    sc_mantel_opts opts = {SC_CORR_PEARSON, SC_ALT_GREATER,
                           SC_MANTEL_DEFAULT_PERMS, false};
    uint64_t seed = SC_MANTEL_DEFAULT_SEED;
    bool quiet = false, seed_auto = false;
    const char *files[2];
    int nfiles = 0;
    sc_err err;
    sc_err_clear(&err);
    int rc = SC_OK;
    for (int i = 1; i < argc && rc == SC_OK; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SC_EXIT_OK;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (strcmp(a, "--exact") == 0) {
            opts.exact = true;
        } else if (strcmp(a, "--perms") == 0 && val != NULL) {
            /* parse_u64 leaves v unset on failure: use it only on success
             * (gcc -O3 flagged the unconditional read, maybe-uninitialized). */
            uint64_t v = 0;
            rc = parse_u64(a, val, &v, &err);
            if (rc == SC_OK && (v == 0 || v > SIZE_MAX / 2))
                rc = sc_err_set(&err, SC_EINVAL,
                                "--perms expects at least 1, got '%s'", val);
            if (rc == SC_OK)
                opts.perms = (size_t)v;
            i++;
        } else if (strcmp(a, "--seed") == 0 && val != NULL) {
            if (strcmp(val, "auto") == 0)
                seed_auto = true;
            else
                rc = parse_u64(a, val, &seed, &err);
            i++;
        } else if (strcmp(a, "--method") == 0 && val != NULL) {
            rc = sc_corr_parse(val, &opts.method, &err);
            i++;
        } else if (strcmp(a, "--alternative") == 0 && val != NULL) {
            rc = sc_alternative_parse(val, &opts.alternative, &err);
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = sc_err_set(&err, SC_EINVAL,
                            "unknown or incomplete option '%s'; see 'simcon "
                            "mantel --help'",
                            a);
        } else if (nfiles < 2) {
            files[nfiles++] = a;
        } else {
            rc = sc_err_set(&err, SC_EINVAL,
                            "unexpected argument '%s'; give exactly two CSV "
                            "files",
                            a);
        }
    }
    if (rc == SC_OK && nfiles != 2)
        rc = sc_err_set(&err, SC_EINVAL,
                        "need two similarity matrices (A.csv B.csv); see "
                        "'simcon mantel --help'");
    if (rc != SC_OK) {
        fprintf(stderr, "simcon mantel: %s\n", err.msg);
        return SC_EXIT_USAGE;
    }

    sc_simmat a = {0}, b = {0};
    sc_pairs pairs = {0};
    sc_rng rng = {0};
    sc_mantel_result res;
    rc = load_pair(files[0], files[1], &a, &b, &err);
    /* An asymmetric matrix (e.g. linreg's) is analysed as (S + S^T) / 2,
     * exactly as `simcon run` does, not through its upper triangle. */
    for (int f = 0; f < 2 && rc == SC_OK; f++) {
        sc_simmat *sm = f == 0 ? &a : &b;
        double asym = sc_symmetrize(sm->s.data, sm->m);
        if (asym > 0.0) {
            char shown[512];
            sc_escape_ctl(shown, sizeof shown, files[f]);
            fprintf(stderr,
                    "simcon mantel: warning: %s is not symmetric (largest "
                    "|S - S^T| = %.3g); using (S + S^T) / 2 as 'simcon run' "
                    "does\n",
                    shown, asym);
        }
    }
    if (rc == SC_OK && a.m < 3)
        rc = sc_err_set(&err, SC_EINVAL,
                        "%s: %zu model(s); a Mantel test needs at least 3 "
                        "(2 give a single pair)",
                        files[0], a.m);
    if (rc == SC_OK)
        rc = sc_pairs_init_all(&pairs, a.m, &err);
    if (rc == SC_OK && seed_auto && !opts.exact) {
        rc = auto_seed(files, &seed, &err);
        if (rc == SC_OK)
            fprintf(stderr, "simcon mantel: --seed auto: seed %" PRIu64 "\n",
                    seed);
    }
    if (rc == SC_OK && !opts.exact)
        rc = sc_rng_init(&rng, sc_rng_task_seed(seed, "mantel"), &err);
    sc_progress prog;
    sc_progress_init(&prog, "simcon mantel", quiet);
    if (rc == SC_OK)
        rc = sc_mantel_progress(&a.s, &b.s, &pairs, &opts,
                                opts.exact ? NULL : &rng, &prog, &res, &err);
    sc_progress_deinit(&prog);
    if (rc == SC_OK)
        printf("%.17g %.17g\n", res.r, res.p);
    else
        fprintf(stderr, "simcon mantel: %s\n", err.msg);
    sc_rng_deinit(&rng);
    sc_pairs_deinit(&pairs);
    sc_simmat_deinit(&a);
    sc_simmat_deinit(&b);
    return sc_exit_code(rc);
}
