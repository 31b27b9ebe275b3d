/* `simcon check`'s forecast of a run's statistics (core/stats/check_plan.c).
 *
 * From the spec alone (model metadata, dataset count, statistics block):
 * prints on out, per result table and correction family (statistics.family),
 * the number of tests, the smallest achievable p and the smallest
 * achievable q, as lines "stats: <table>: family <name> (x<metrics>): ...";
 * prints on warn one "simcon check: warning: ..." line for each thing the
 * run would report as NA or could never find significant: a single dataset
 * with consistency requested, groupby or contrast categories below the CI
 * threshold (core/stats/stat_limits.h), contrasts whose groups are too small to
 * permute, and families whose smallest q exceeds 0.05.
 * Returns the number of warnings. Writes nothing else. */
#ifndef SC_CHECK_PLAN_H
#define SC_CHECK_PLAN_H

#include <stdio.h>

#include "spec.h"

size_t sc_check_plan(const sc_spec *spec, FILE *out, FILE *warn);

#endif
