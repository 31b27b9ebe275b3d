/* Input checks of an experiment: feature files, ids files, behaviour table.
 *
 * Purpose: `simcon check` and `simcon run` must refuse the same inputs with
 * the same messages, before any computing starts. This module holds those
 * checks so both call one implementation.
 *
 * Invariants:
 * - Every feature file of the spec (datasets x models, spec order) is
 *   looked at; ALL missing or broken ones are collected (one line each in
 *   the report) before failing, so a user fixes them in one round.
 * - Nothing is written anywhere; on failure the report still lists the
 *   problems found (the caller prints them) and err holds one summary line.
 * - Statuses: SC_EIO (a file is missing, unreadable, malformed, of the
 *   wrong shape), SC_ENUMERIC (NaN/Inf in a feature file, when scanned),
 *   SC_ENOMEM. All are data errors (exit status 1), not spec errors.
 *
 * References: spec.h (the spec), npy.h (sc_npy_peek / sc_npy_load). */
#ifndef SC_INPUTS_H
#define SC_INPUTS_H

#include <stddef.h>

#include "err.h"
#include "progress.h"
#include "spec.h"

/* Flags of sc_inputs_check. SC_INPUTS_SCAN_VALUES: also read every value
 * (NaN/Inf); costs a full read of each file, one at a time. */
#define SC_INPUTS_SCAN_VALUES 1u

typedef struct sc_inputs_report {
    size_t ndatasets, nmodels;
    size_t *rows;    /* ndatasets: stimuli per dataset (equal across its
                        models once the check passed), NULL until known */
    size_t *cols;    /* ndatasets x nmodels, row-major: feature dims     */
    char **problems; /* nproblems lines "<file>: <what is wrong>"        */
    size_t nproblems;
} sc_inputs_report;

/* Check every input the spec names, in this order:
 *  1. each feature file exists and its .npy header is valid (sc_npy_peek):
 *     all failures are collected into out->problems; then err says
 *     "<spec>:L:C: data.features: N of M feature files are missing or
 *     unreadable (listed above); ..." and SC_EIO is returned;
 *  2. all models of a dataset have the same row count (first mismatch:
 *     both files and both counts);
 *  3. ids files (data.ids) exist and hold one line per row;
 *  4. with SC_INPUTS_SCAN_VALUES: every feature file loads (no NaN/Inf),
 *     failures collected as in 1;
 *  5. the behaviour table (behaviour.accuracy), via sc_behaviour_load.
 * [in]  spec   a loaded spec.
 * [in]  flags  SC_INPUTS_* bits.
 * [out] out    caller-provided; filled on success and (partially, with the
 *              problem list) on failure; release with
 *              sc_inputs_report_deinit in both cases.
 * Returns SC_OK, SC_EIO, SC_ENUMERIC or SC_ENOMEM. */
int sc_inputs_check(const sc_spec *spec, unsigned flags, sc_inputs_report *out,
                    sc_err *err);
/* The same, showing the value scan (step 4) on progress (core/base/progress.h;
 * NULL: none). */
int sc_inputs_check_progress(const sc_spec *spec, unsigned flags,
                             sc_progress *progress, sc_inputs_report *out,
                             sc_err *err);
void sc_inputs_report_deinit(sc_inputs_report *r);

/* Steps 2 and 3 of sc_inputs_check for one dataset d, for callers that
 * read the headers themselves (the runner): the same checks, the same
 * messages. */
/* rows: the row counts of d's feature files (models in spec order). *n =
 * the common count; SC_EIO "<file>: R rows, but <first> has R0; ..." for
 * the first model that differs. */
int sc_inputs_rows(const sc_spec *spec, size_t d, const size_t *rows, size_t *n,
                   sc_err *err);
/* d's ids files (data.ids; none: SC_OK) hold n lines each (ids.h), and
 * per-model files list the first model's ids row by row. A file that
 * lists other ids is added to r->problems, or, with r NULL, is the error
 * (sc_ids_same's message). SC_EIO; SC_ENOMEM. */
int sc_inputs_ids(const sc_spec *spec, size_t d, size_t n, sc_inputs_report *r,
                  sc_err *err);

/* Read spec->behaviour_accuracy, a CSV whose header names (in any order)
 * the columns dataset, model, accuracy (other columns are ignored), one
 * row per (dataset, model); rows naming datasets or models not in the spec
 * are ignored, so one table can serve several specs. Fields are unquoted
 * (a '"' is an error); blank lines are skipped; '\r\n' line ends accepted.
 * [out] acc  ndatasets x nmodels doubles, row-major in spec order:
 *            acc[d * nmodels + m]; written only on SC_OK.
 * Errors (SC_EIO, one line): unreadable file; header without one of the
 * three columns; "<file>:<line>: ..." for a row with the wrong number of
 * fields, a quote, a non-finite or non-numeric accuracy, or a duplicate
 * (dataset, model) pair; "<file>: no accuracy for dataset 'd' and model
 * 'm'; ..." for the first missing pair in spec order. SC_EINVAL when the
 * spec has no behaviour table; SC_ENOMEM. */
int sc_behaviour_load(const sc_spec *spec, double *acc, sc_err *err);

#endif
