/* The smallest inputs for which simcon reports a statistic (docs/STATISTICS.md,
 * "Thresholds, and the simulations behind them").
 *
 * Below these sizes an estimate or interval would look certain and is not:
 * the value is left empty (NA) and the row's note column says why. Each
 * threshold is backed by a simulation in the slow validation suite
 * (tests/stat/stat_validate.c, modes coverage_models, coverage_contrasts,
 * coverage_medians and coverage_datasets; figures in tests/stat/README.md).
 * Every user of a threshold (run, check, tables, report) reads it from here. */
#ifndef SC_STAT_LIMITS_H
#define SC_STAT_LIMITS_H

/* A CI over models needs at least this many distinct models on
 * each side of the pair set (within: the category; between: each of the two
 * categories; all: every model; anchor: 1, the anchor, so never), and a
 * contrast's category mean at least this many models in its category. It is
 * the smallest simulated size at which the jackknife-z interval (boot_ci.h)
 * covers within 0.93-0.97 by its point estimate in every simulated design
 * (4000 data sets per cell; the slow tests also require the binomial band
 * [0.9196, 0.9769]). With a weak model-level part it over-covers below,
 * because the jackknife counts the pair-level variance about twice: 0.985
 * at 8 models, 0.979 at 10, 0.971 at 12 (coverage_models) and 0.973 at 16
 * (coverage_contrasts' category mean); from 20 on 0.943-0.968 in every
 * design. With 3 models a leave-one-out set has 1 pair, so there is no
 * interval at all (docs/STATISTICS.md, "Thresholds"). */
#define SC_MIN_CI_MODELS 20

/* A contrast's effect (the difference of two category means) needs at
 * least this many models in EACH of the two categories for its
 * jackknife-t interval: the interval over-covers below (0.980-0.991 at
 * 6-16 per category, 0.972-0.979 at 20-24, 0.971 at 30 and 0.975 at 36 in
 * one of the two simulated designs, 0.962-0.964 at 40; 4000 data sets per
 * cell), even where each category
 * mean is in band, because the two means' small-sample biases cancel in
 * the difference while the jackknife's excess variance stays
 * (docs/STATISTICS.md, contrasts). */
#define SC_MIN_CI_EFFECT_MODELS 40

/* A correlation over model pairs needs at least this many pairs (with 2
 * pairs r is +-1 by construction). */
#define SC_MIN_CORR_PAIRS 3

/* A bootstrap CI of a mean over datasets needs at least this many datasets
 * (with 2, the "interval" is [min, max] of the two values; simulated
 * coverage of a nominal 95% interval is 0.46 with 2 datasets, 0.72 with 3,
 * 0.90 with 10 and 20, 0.95 with 30). */
#define SC_MIN_CI_DATASETS 30

/* Whether simcon prints the CI of the stimulus bootstrap (statistics.over:
 * stimuli: the percentile interval over stimulus resamples of a
 * consistency or per-dataset behaviour row). 0: not validated, so every
 * such row prints NA with the note SC_NOTE_STIMULUS_CI. The slow test
 * stat.coverage_stimuli (tests/stat/stat_validate.c) simulates linear CKA
 * with a closed-form population value: the interval covers 0.875 of 200 at
 * 50 stimuli (0.875-0.975 at 50-200 stimuli in two designs, below 0.93 in
 * most cells), because the finite-n bias of the CKA estimates (-0.10 to
 * +0.05 on the consistency at 50 stimuli) and the U-centred HSIC's
 * treatment of repeated stimuli shift it (docs/STATISTICS.md). Set to 1
 * only with a simulation in band for the metrics and sizes it would
 * cover. */
#define SC_STIMULUS_CI_VALIDATED 0
#define SC_NOTE_STIMULUS_CI                                                    \
    "no CI: the stimulus bootstrap is not validated (docs/STATISTICS.md)"

#endif
