/* Type-7 quartiles (see quartiles.h). */
#include "quartiles.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

sc_quartiles sc_quartiles_sort(double *v, size_t n)
{
    gsl_sort(v, 1, n);
    sc_quartiles q;
    q.q1 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
    q.med = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5);
    q.q3 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.75);
    return q;
}
