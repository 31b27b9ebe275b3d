/* sc_plot_results: stage every figure, then swap the staged folder in.
 *
 * Invariants: figures are written only into a fresh DIR/figures.tmp-<random>/
 * (sc_mkdir_unique); the previous DIR/figures/ is replaced only after every
 * figure and the index were written (sc_replace_dir, the same swap as a
 * result folder), so a failure leaves the old figures as they were and no
 * staging folder behind. DIR/figures that is a symbolic link is refused;
 * removal never follows links (sc_rmtree). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "atomic.h"
#include "mem.h"
#include "plot_int.h"
#include "results_schema.h"

static int draw_all(const sc_plotset *ps, const sc_plot_opts *opts,
                    sc_figsink *fs, sc_err *err)
{
    int rc = sc_plot_heatmaps(ps, opts, fs, err);
    sc_progress_step(opts->progress, 1);
    if (rc == SC_OK)
        rc = sc_plot_consistency(ps, opts, fs, err);
    sc_progress_step(opts->progress, 1);
    if (rc == SC_OK)
        rc = sc_plot_boxes(ps, fs, err);
    sc_progress_step(opts->progress, 1);
    if (rc == SC_OK)
        rc = sc_plot_behaviour(ps, fs, err);
    sc_progress_step(opts->progress, 1);
    if (rc == SC_OK)
        rc = sc_plot_summary(ps, fs, err);
    sc_progress_step(opts->progress, 1);
    if (rc == SC_OK) {
        char *path = sc_plot_join(fs->dir, "index.tsv");
        rc = path ? sc_svg_write_file(&fs->index, path, err)
                  : sc_err_set(err, SC_ENOMEM, "out of memory");
        sc_free(path);
    }
    return rc;
}

int sc_plot_results(const char *result_dir, const sc_plot_opts *opts,
                    sc_err *err)
{
    static const sc_plot_opts defaults = {SC_PLOT_ORDER_SPEC, NULL, NULL, 0};
    if (!opts)
        opts = &defaults;
    /* Steps: reading the CSVs, then the five figure kinds (draw_all). */
    sc_progress_begin(opts->progress, 6, "figures");
    sc_plotset ps;
    int rc = sc_plotset_load(result_dir, &ps, err);
    sc_progress_step(opts->progress, 1);
    if (rc != SC_OK) {
        sc_progress_end(opts->progress);
        return rc;
    }
    long band;
    rc = sc_plot_band(&ps, opts, &band, err);
    sc_figsink fs = {NULL, {0}, opts->formats};
    sc_svg_init(&fs.index);
    char *final = NULL, *prefix = NULL;
    if (rc == SC_OK) {
        final = sc_plot_join(result_dir, SC_RES_FIGURES_DIR);
        prefix = sc_plot_join(result_dir, "figures.tmp-");
        if (!final || !prefix)
            rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    /* DIR/figures must be a folder simcon made (or absent): a link is
     * refused before any work, and its target is never touched. */
    struct stat st;
    if (rc == SC_OK && lstat(final, &st) == 0 && !S_ISDIR(st.st_mode))
        rc = sc_err_set(err, SC_EIO,
                        "%s: is not a folder (a symbolic link or file), so "
                        "it is not replaced and its target is not touched; "
                        "remove it and rerun simcon plot",
                        final);
    if (rc == SC_OK)
        rc = sc_mkdir_unique(prefix, &fs.dir, err);
    if (rc == SC_OK) {
        rc = draw_all(&ps, opts, &fs, err);
        if (rc == SC_OK)
            rc = sc_replace_dir(fs.dir, final, err);
        if (rc != SC_OK) {
            sc_err ignored;
            (void)sc_rmtree(fs.dir, &ignored);
        } else {
            /* figures.tmp-* / figures.old-* of plots that were killed. */
            sc_remove_leftovers(final, NULL, NULL);
        }
    }
    sc_free(fs.dir);
    sc_free(final);
    sc_free(prefix);
    sc_svg_deinit(&fs.index);
    sc_plotset_deinit(&ps);
    sc_progress_end(opts->progress);
    return rc;
}
