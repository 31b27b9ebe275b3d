/* The smallest inputs for which simcon reports a statistic (docs/STATISTICS.md,
 * "When simcon prints NA").
 *
 * Below these sizes an estimate or interval would look certain and is not:
 * the value is left empty (NA) and the row's note column says why. Each
 * threshold is backed by a simulation in the slow validation suite
 * (tests/stat/stat_validate.c, modes coverage_models and coverage_datasets;
 * figures in tests/stat/README.md). */
#ifndef SC_STAT_LIMITS_H
#define SC_STAT_LIMITS_H

/* A CI over models needs at least this many distinct models on
 * each side of the pair set (within: the category; between: each of the two
 * categories; all: every model; anchor: 1, the anchor, so never). With 3
 * models a leave-one-out set has 1 pair, so the jackknife-z interval
 * (boot_ci.h) does not exist, and the bootstrap only re-weights 3 pairs
 * (coverage 0.21 in issue 12's audit); with 5 the jackknife-z interval
 * covers 0.75-0.995 depending on the design, from 6 on 0.945-0.990
 * (docs/STATISTICS.md). */
#define SC_MIN_CI_MODELS 6

/* A correlation over model pairs needs at least this many pairs (with 2
 * pairs r is +-1 by construction). */
#define SC_MIN_CORR_PAIRS 3

/* A bootstrap CI of a mean over datasets needs at least this many datasets
 * (with 2, the "interval" is [min, max] of the two values; simulated
 * coverage of a nominal 95% interval is 0.46 with 2 datasets, 0.72 with 3,
 * 0.90 with 10 and 20, 0.95 with 30). */
#define SC_MIN_CI_DATASETS 30

#endif
