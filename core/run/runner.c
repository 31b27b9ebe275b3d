/* `simcon run` orchestrator: options, staging, the stage sequence and
 * the hand-over of each stage's result to the stages after it (see
 * runner.h and run_internal.h). Only this file calls the stages.
 *
 * Data flow: the context (spec, options, metrics) and stage 1's matrices
 * go to every later stage; run_sets (attributes, model sets) to
 * consistency, contrasts and tables; run_cons to the medians and tables;
 * run_medians and run_contrasts to the tables; the accuracy table's
 * SHA-256 and the stage times to the manifest.
 *
 * Order of work: check the output folder may be (re)placed and create the
 * staging folder before anything expensive, so a wrong -o fails at once;
 * then stages 1-6; then move the staging folder into place. Any failure
 * removes the staging folder (sc_stage_abort). */
#include "runner.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "plot.h"
#include "run_internal.h"

/* Every result a stage hands on, owned here. */
typedef struct run_state {
    sc_runctx rc;
    run_sets sets;
    run_cons cons;
    run_medians med;
    run_contrasts con;
    run_manifest_in man;
    bool have_cons; /* consistency ran (analyses.consistency enabled) */
} run_state;

typedef int (*stage_fn)(run_state *rs, sc_err *err);

static int timed(run_state *rs, const char *name, stage_fn fn, sc_err *err)
{
    double t0 = sc_run_now();
    int st = fn(rs, err);
    run_manifest_in *man = &rs->man;
    if (man->nstages < SC_RUN_MAX_STAGES) {
        man->stages[man->nstages].name = name;
        man->stages[man->nstages].seconds = sc_run_now() - t0;
        man->nstages++;
    }
    return st;
}

static int stage_similarity(run_state *rs, sc_err *err)
{
    return sc_run_similarity(&rs->rc, err);
}

static int stage_analyses(run_state *rs, sc_err *err)
{
    int st = sc_run_build_sets(&rs->rc, &rs->sets, err);
    if (st == SC_OK && rs->rc.spec->consistency_enabled) {
        rs->have_cons = true;
        st = sc_run_consistency(&rs->rc, &rs->sets, &rs->cons, err);
    }
    return st;
}

static int stage_contrasts(run_state *rs, sc_err *err)
{
    return sc_run_contrasts(&rs->rc, &rs->sets, &rs->con, err);
}

static int stage_behaviour(run_state *rs, sc_err *err)
{
    return sc_run_behaviour(&rs->rc, rs->man.accuracy_sha, err);
}

/* The medians are an analysis of consistency's rows, but they run here,
 * after contrasts and behaviour, as they always have: the order of the
 * progress lines and of the caller's progress callbacks stays the same. */
static int stage_tables(run_state *rs, sc_err *err)
{
    bool cons = rs->have_cons && rs->rc.D >= 2;
    int st = SC_OK;
    if (cons)
        st = sc_run_medians(&rs->rc, &rs->sets, &rs->cons, &rs->med, err);
    if (st == SC_OK)
        st = sc_run_tables(&rs->rc, &rs->sets, cons ? &rs->cons : NULL,
                           cons ? &rs->med : NULL, &rs->con, err);
    return st;
}

static int stage_figures(run_state *rs, sc_err *err)
{
    sc_plot_opts po = {SC_PLOT_ORDER_SPEC, NULL, &rs->rc.progress,
                       rs->rc.spec->figure_formats};
    int st = sc_plot_results(rs->rc.out, &po, err);
    if (st != SC_OK)
        sc_err_prefix(err, "figures");
    return st;
}

/* Stages 1-6, the manifest and report.html into the staging folder. */
static int run_stages(run_state *rs, double t_start, sc_err *err)
{
    const sc_spec *spec = rs->rc.spec;
    int st = timed(rs, "similarity", stage_similarity, err);
    if (st == SC_OK)
        st = timed(rs, "consistency", stage_analyses, err);
    if (st == SC_OK && spec->ncontrasts > 0)
        st = timed(rs, "contrasts", stage_contrasts, err);
    if (st == SC_OK && spec->behaviour_enabled)
        st = timed(rs, "behaviour", stage_behaviour, err);
    if (st == SC_OK)
        st = timed(rs, "tables", stage_tables, err);
    /* Figures (issue 8) are made from the CSVs just written, inside the
     * staging folder, so they are part of the atomic result and listed in
     * the manifest. report.html shows the manifest, so it is written after
     * it (and is the one output the manifest does not list). A plotting
     * failure fails the run like any other stage. */
    if (st == SC_OK)
        st = sc_run_canceled(&rs->rc, err);
    if (st == SC_OK)
        st = timed(rs, "figures", stage_figures, err);
    if (st == SC_OK) {
        rs->man.total_seconds = sc_run_now() - t_start;
        st = sc_run_manifest(&rs->rc, &rs->man, err);
    }
    if (st == SC_OK && (st = sc_report_write(rs->rc.out, err)) != SC_OK)
        sc_err_prefix(err, "report.html");
    return st;
}

static void state_free(run_state *rs)
{
    sc_free(rs->con.rows);
    sc_free(rs->med.rows);
    sc_run_cons_free(&rs->cons);
    sc_run_sets_free(&rs->sets);
    sc_run_ctx_free(&rs->rc);
}

int sc_run(const sc_spec *spec, const sc_run_opts *opts, sc_err *err)
{
    double t_start = sc_run_now();
    run_state rs;
    memset(&rs, 0, sizeof rs);
    sc_runctx *rc = &rs.rc;
    sc_run_ctx_init(rc, spec, opts);
    char default_out[1024];
    if (rc->opts.out_dir == NULL) {
        snprintf(default_out, sizeof default_out, "results/%s", spec->name);
        rc->opts.out_dir = default_out;
    }

    int st = SC_OK;
    if (rc->m < 2)
        st = sc_err_set(err, SC_ESPEC,
                        "%s: models: %zu model(s); "
                        "similarity needs at least 2",
                        spec->path, rc->m);
    if (st == SC_OK)
        st = sc_run_ctx_load_metrics(rc, err);
    sc_stage stage = {0};
    if (st == SC_OK)
        st = sc_stage_begin(&stage, rc->opts.out_dir, spec->name, err);
    if (st == SC_OK) {
        rc->out = stage.tmp;
        st = run_stages(&rs, t_start, err);
        if (st == SC_OK)
            st = sc_stage_commit(&stage, err);
        else
            sc_stage_abort(&stage);
    }
    if (st == SC_OK)
        sc_run_note(rc,
                    "wrote %s/ (tables/, figures/, manifest.json; open "
                    "%s/report.html)",
                    rc->opts.out_dir, rc->opts.out_dir);
    state_free(&rs);
    return st;
}
