/* Quartiles of a sample: the one median and interquartile range behind the
 * consistency tables (tables/consistency_by_*.csv), report.html's summary
 * table and the box plots, so the three can never disagree.
 *
 * Definition: type 7 of Hyndman & Fan (1996), linear interpolation between
 * order statistics, which is numpy.quantile's default and GSL's
 * gsl_stats_quantile_from_sorted_data. */
#ifndef SC_QUARTILES_H
#define SC_QUARTILES_H

#include <stddef.h>

typedef struct sc_quartiles {
    double q1, med, q3;
} sc_quartiles;

/* Sort v[0..n) ascending in place (n >= 1, no NaN) and return its
 * quartiles. */
sc_quartiles sc_quartiles_sort(double *v, size_t n);

#endif
