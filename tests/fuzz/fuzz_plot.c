/* libFuzzer harness: the result-folder reader of `simcon plot`
 * (sc_plotset_load in core/report/plot_data.c and the tidy-CSV reader in tidy.c), and, when
 * a folder loads, the rest of `simcon plot`: sc_plot_results (figures, with
 * the gap.csv reader of plot_data.c and UPGMA) and sc_report_write.
 *
 * Input format: a small archive of text files, each introduced by a line
 *     === RELATIVE/PATH
 * and followed by its contents up to the next such line, e.g.
 *     === similarity/digits/rsa.csv
 *     ,a,b
 *     ...
 *     === models.csv
 *     model,objective
 *     ...
 * The harness writes those files into a fresh folder inside its private
 * temporary folder (fuzz_util.h; /dev/shm unless $TMPDIR is set),
 * loads it as a result folder, then deletes it. Paths are limited to
 * [A-Za-z0-9_.-] components without "." or "..", at most 4 deep and 64 files,
 * so nothing is written outside the private folder.
 *
 * Checked contract (plot_int.h): a failure leaves the set empty with a
 * message; a success has nd >= 1 datasets, nk >= 1 metrics, m >= 1 models,
 * every matrix m x m with the model names of the first one in its order,
 * unique dataset names; and every cell of the optional tables can be asked
 * for as a number. sc_plot_results either writes figures/index.tsv or
 * leaves no figures/ folder (no partial output); report.html exists after
 * sc_report_write succeeds. The model order (spec or cluster) is taken
 * from the input's length, so both are fuzzed. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "plot_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 64
#define MAX_DEPTH 4
#define MAX_NAME 200

static char run_dir[4200]; /* <private folder>/r: the fake result folder */

/* A safe relative path: components of [A-Za-z0-9_.-], not "." or "..". */
static int safe_path(const char *s, size_t len)
{
    if (len == 0 || len > MAX_NAME)
        return 0;
    size_t depth = 1, comp = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : '/';
        if (c == '/') {
            if (comp == 0 || (comp == 1 && s[i - 1] == '.') ||
                (comp == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
                return 0;
            if (i < len && ++depth > MAX_DEPTH)
                return 0;
            comp = 0;
            continue;
        }
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return 0;
        comp++;
    }
    return 1;
}

static void write_file(const char *rel, size_t rlen, const uint8_t *body,
                       size_t blen)
{
    char path[4500];
    int w = snprintf(path, sizeof path, "%s/%.*s", run_dir, (int)rlen, rel);
    sc_fuzz_check(w > 0 && (size_t)w < sizeof path, "path too long");
    /* mkdir -p of the parents; failures (a file in the way) are inputs. */
    size_t base = strlen(run_dir) + 1;
    for (size_t i = base; path[i]; i++) {
        if (path[i] == '/') {
            path[i] = '\0';
            mkdir(path, 0700);
            path[i] = '/';
        }
    }
    FILE *f = fopen(path, "wbx");
    if (!f)
        return; /* exists already (repeated name) or a folder in the way */
    if (blen)
        fwrite(body, 1, blen, f);
    fclose(f);
}

static void unpack(const uint8_t *data, size_t size)
{
    static const char mark[] = "=== ";
    size_t pos = 0, nfiles = 0;
    /* Find the first header at the start of a line. */
    while (pos < size &&
           !(size - pos >= 4 && memcmp(data + pos, mark, 4) == 0 &&
             (pos == 0 || data[pos - 1] == '\n')))
        pos++;
    while (pos < size && nfiles < MAX_FILES) {
        size_t name = pos + 4, eol = name;
        while (eol < size && data[eol] != '\n')
            eol++;
        size_t body = eol < size ? eol + 1 : size, end = body;
        while (end < size && !(size - end >= 5 && data[end] == '\n' &&
                               memcmp(data + end + 1, mark, 4) == 0))
            end++;
        if (end < size)
            end++; /* the '\n' ends the body; the next header follows */
        size_t nlen = eol - name;
        if (safe_path((const char *)data + name, nlen)) {
            write_file((const char *)data + name, nlen, data + body,
                       end - body);
            nfiles++;
        }
        pos = end;
    }
}

static void check_loaded(const sc_plotset *ps)
{
    sc_fuzz_check(ps->nd >= 1 && ps->nk >= 1 && ps->m >= 1,
                  "empty result folder accepted");
    for (size_t d = 0; d < ps->nd; d++) {
        sc_fuzz_check(ps->datasets[d] && ps->datasets[d][0] && ps->domains[d],
                      "bad dataset entry");
        for (size_t e = 0; e < d; e++)
            sc_fuzz_check(strcmp(ps->datasets[d], ps->datasets[e]) != 0,
                          "repeated dataset");
    }
    for (size_t i = 0; i < ps->nd * ps->nk; i++) {
        const sc_simmat *s = &ps->sim[i];
        sc_fuzz_check(s->m == ps->m && s->s.rows == ps->m && s->s.cols == ps->m,
                      "matrix size differs from the model count");
        for (size_t k = 0; k < ps->m; k++)
            sc_fuzz_check(strcmp(s->names[k], ps->models[k]) == 0,
                          "matrix not aligned to the model order");
    }
    for (size_t i = 0; i < ps->m; i++)
        for (size_t a = 0; a < ps->na; a++)
            sc_fuzz_check(ps->meta[i * ps->na + a] != NULL, "missing meta");

    const sc_tidy *tabs[3] = {ps->has_cons ? &ps->cons : NULL,
                              ps->has_beh ? &ps->beh : NULL,
                              ps->has_contr ? &ps->contr : NULL};
    for (size_t t = 0; t < 3; t++) {
        if (!tabs[t])
            continue;
        for (size_t r = 0; r < tabs[t]->nrows; r++) {
            for (size_t c = 0; c < tabs[t]->ncols; c++) {
                double v;
                int present;
                sc_err err;
                sc_err_clear(&err);
                int rc = sc_tidy_num(tabs[t], r, (int)c, &v, &present, &err);
                if (rc != SC_OK)
                    sc_fuzz_check_err(rc, &err);
            }
        }
        (void)sc_tidy_col(tabs[t], "metric");
    }
    long attr;
    sc_err err;
    sc_err_clear(&err);
    sc_fuzz_check(sc_plot_band(ps, NULL, &attr, &err) == SC_OK,
                  "default band failed");
    if (attr >= 0)
        (void)sc_plot_cat_index(ps, ps->attrs[attr], ps->meta[(size_t)attr]);
}

static int exists(const char *rel)
{
    char path[4500];
    snprintf(path, sizeof path, "%s/%s", run_dir, rel);
    struct stat st;
    return lstat(path, &st) == 0;
}

/* What `simcon plot DIR` does after the folder loads (core/cli/cmd_plot.c). */
static void plot_all(sc_plot_order order)
{
    sc_plot_opts opts = {.order = order}; /* the rest 0: defaults */
    int had_figures = exists("figures");  /* the input may ship one */
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_plot_results(run_dir, &opts, &err);
    if (rc != SC_OK) {
        sc_fuzz_check_err(rc, &err);
        sc_fuzz_check(had_figures || !exists("figures"),
                      "failed plot left a figures folder");
        return;
    }
    sc_fuzz_check(exists("figures/index.tsv"), "plot wrote no index.tsv");
    sc_err_clear(&err);
    rc = sc_report_write(run_dir, &err);
    if (rc != SC_OK)
        sc_fuzz_check_err(rc, &err);
    else
        sc_fuzz_check(exists("report.html"), "report wrote no report.html");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!run_dir[0])
        snprintf(run_dir, sizeof run_dir, "%s/r", sc_fuzz_tmpdir());
    sc_fuzz_rm_tree(run_dir);
    sc_fuzz_check(mkdir(run_dir, 0700) == 0, "cannot create the run folder");
    unpack(data, size);

    sc_plotset ps;
    memset(&ps, 0xA5, sizeof ps); /* the loader must not rely on zeroed */
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_plotset_load(run_dir, &ps, &err);
    if (rc == SC_OK) {
        check_loaded(&ps);
        sc_plotset_deinit(&ps);
        plot_all(size & 1 ? SC_PLOT_ORDER_CLUSTER : SC_PLOT_ORDER_SPEC);
    } else {
        sc_fuzz_check_err(rc, &err);
        sc_fuzz_check(rc == SC_EIO || rc == SC_EINVAL || rc == SC_ENUMERIC ||
                          rc == SC_ENOMEM,
                      "undocumented status");
        sc_fuzz_check(ps.dir == NULL && ps.sim == NULL && ps.nd == 0,
                      "failed load left a partial set");
    }
    sc_fuzz_rm_tree(run_dir);
    return 0;
}
