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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mat.h"
#include "options.h"
#include "progress.h"
#include "sha256.h"
#include "simcsv.h"
#include "stats.h"

/* The digits of the paper's arXiv id (2411.05561): any fixed value would
 * do; this one is easy to recognise in a manifest. */
#define SC_MANTEL_DEFAULT_SEED_DIGITS 241105561
#define SC_MANTEL_DEFAULT_SEED ((uint64_t)SC_MANTEL_DEFAULT_SEED_DIGITS)
#define SC_MANTEL_DEFAULT_PERMS 9999
/* The help text shows the defaults: the digits of a macro as a string. */
#define DIGITS_(x) #x
#define DIGITS(x) DIGITS_(x)

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

/* ## The command line */

/* What the command line asked for. */
typedef struct mantel_args {
    sc_mantel_opts opts;
    uint64_t seed;
    bool quiet, seed_auto;
    const char *files[2];
    int nfiles;
} mantel_args;

static int take_perms(void *args, const char *opt, const char *val, sc_err *err)
{
    /* parse_u64 leaves v unset on failure: use it only on success
     * (gcc -O3 flagged the unconditional read, maybe-uninitialized). */
    uint64_t v = 0;
    int rc = parse_u64(opt, val, &v, err);
    if (rc == SC_OK && (v == 0 || v > SIZE_MAX / 2))
        rc = sc_err_set(err, SC_EINVAL, "--perms expects at least 1, got '%s'",
                        val);
    if (rc == SC_OK)
        ((mantel_args *)args)->opts.perms = (size_t)v;
    return rc;
}

static int take_seed(void *args, const char *opt, const char *val, sc_err *err)
{
    mantel_args *ma = args;
    if (strcmp(val, "auto") != 0)
        return parse_u64(opt, val, &ma->seed, err);
    ma->seed_auto = true;
    return SC_OK;
}

static int take_method(void *args, const char *opt, const char *val,
                       sc_err *err)
{
    (void)opt;
    return sc_corr_parse(val, &((mantel_args *)args)->opts.method, err);
}

static int take_alternative(void *args, const char *opt, const char *val,
                            sc_err *err)
{
    (void)opt;
    return sc_alternative_parse(val, &((mantel_args *)args)->opts.alternative,
                                err);
}

static int take_file(void *args, const char *arg, sc_err *err)
{
    mantel_args *ma = args;
    if (ma->nfiles == 2)
        return sc_err_set(err, SC_EINVAL,
                          "unexpected argument '%s'; give exactly two CSV "
                          "files",
                          arg);
    ma->files[ma->nfiles++] = arg;
    return SC_OK;
}

static int check_mantel(void *args, sc_err *err)
{
    if (((mantel_args *)args)->nfiles == 2)
        return SC_OK;
    return sc_err_set(err, SC_EINVAL,
                      "need two similarity matrices (A.csv B.csv); see "
                      "'simcon mantel --help'");
}

static const sc_opt mantel_options[] = {
    SC_OPT_CALLING("--perms", "N", take_perms),
    SC_OPT_CALLING("--seed", "S", take_seed),
    SC_OPT_CALLING("--method", "M", take_method),
    SC_OPT_CALLING("--alternative", "A", take_alternative),
    SC_OPT_FLAG_AT("--exact", mantel_args, opts.exact),
    SC_OPT_FLAG_AT("--quiet|-q", mantel_args, quiet),
};

static const sc_cmdline mantel_cmdline = {
    .name = "mantel",
    /* The defaults are spliced into the text as digits. */
    /* clang-format off */
    .usage =
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
        "Writes no files; prints 'r p' on stdout (%.17g each).\n"
        "  --perms N         random permutations (default: "
        DIGITS(SC_MANTEL_DEFAULT_PERMS) ")\n"
        "  --seed S          seed of the permutation stream (default: "
        DIGITS(SC_MANTEL_DEFAULT_SEED_DIGITS) ",\n"
        "                    the same for every call, so related tests share "
        "their\n"
        "                    permutations); 'auto': derived from the two "
        "files'\n"
        "                    SHA-256, different for every pair of files, "
        "printed\n"
        "                    on stderr\n"
        "  --method M        pearson (default) or spearman\n"
        "  --alternative A   greater (default), less or two-sided\n"
        "  --exact           all m! permutations instead (m <= "
        DIGITS(SC_MANTEL_EXACT_MAX) "; default: "
        "random)\n"
        "  --quiet           no progress (default: progress with an ETA when "
        "stderr\n"
        "                    is a terminal)\n"
        "An asymmetric matrix (e.g. linreg's) is used as (S + S^T)/2, as "
        "'simcon run'\n"
        "does, with a warning on stderr.\n"
        "Defaults follow R's vegan::mantel.\n",
    /* clang-format on */
    SC_OPTS_TABLE(mantel_options),
    .positional = take_file,
    .unknown = "unknown or incomplete option",
    .see = "see",
    .check = check_mantel,
};

/* ## The test */

/* Both matrices, B in A's order, asymmetric ones symmetrised. An
 * asymmetric matrix (e.g. linreg's) is analysed as (S + S^T) / 2, exactly
 * as `simcon run` does, not through its upper triangle. */
static int load_symmetric(const char *const files[2], sc_simmat *a,
                          sc_simmat *b, sc_err *err)
{
    int rc = load_pair(files[0], files[1], a, b, err);
    for (int f = 0; f < 2 && rc == SC_OK; f++) {
        sc_simmat *sm = f == 0 ? a : b;
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
    if (rc == SC_OK && a->m < 3)
        rc = sc_err_set(err, SC_EINVAL,
                        "%s: %zu model(s); a Mantel test needs at least 3 "
                        "(2 give a single pair)",
                        files[0], a->m);
    return rc;
}

/* The permutation stream: none for --exact. */
static int seed_stream(mantel_args *ma, sc_rng *rng, sc_err *err)
{
    if (ma->opts.exact)
        return SC_OK;
    if (ma->seed_auto) {
        int rc = auto_seed(ma->files, &ma->seed, err);
        if (rc != SC_OK)
            return rc;
        fprintf(stderr, "simcon mantel: --seed auto: seed %" PRIu64 "\n",
                ma->seed);
    }
    return sc_rng_init(rng, sc_rng_task_seed(ma->seed, "mantel"), err);
}

static int test(mantel_args *ma, sc_mantel_result *res, sc_err *err)
{
    sc_simmat a = {0}, b = {0};
    sc_pairs pairs = {0};
    sc_rng rng = {0};
    int rc = load_symmetric(ma->files, &a, &b, err);
    if (rc == SC_OK)
        rc = sc_pairs_init_all(&pairs, a.m, err);
    if (rc == SC_OK)
        rc = seed_stream(ma, &rng, err);
    sc_progress prog;
    sc_progress_init(&prog, "simcon mantel", ma->quiet);
    if (rc == SC_OK)
        rc = sc_mantel_progress(&a.s, &b.s, &pairs, &ma->opts,
                                ma->opts.exact ? NULL : &rng, &prog, res, err);
    sc_progress_deinit(&prog);
    sc_rng_deinit(&rng);
    sc_pairs_deinit(&pairs);
    sc_simmat_deinit(&a);
    sc_simmat_deinit(&b);
    return rc;
}

int sc_cmd_mantel(int argc, char **argv)
{
    mantel_args ma = {
        {SC_CORR_PEARSON, SC_ALT_GREATER, SC_MANTEL_DEFAULT_PERMS, false},
        SC_MANTEL_DEFAULT_SEED,
        false,
        false,
        {NULL, NULL},
        0};
    int exit_status;
    if (!sc_opts_run(&mantel_cmdline, argc, argv, &ma, &exit_status))
        return exit_status;
    sc_err err;
    sc_err_clear(&err);
    sc_mantel_result res;
    int rc = test(&ma, &res, &err);
    if (rc == SC_OK)
        printf("%.17g %.17g\n", res.r, res.p);
    else
        sc_cli_fail("mantel", &err, 0);
    return sc_exit_code(rc);
}
