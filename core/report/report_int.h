/* Internal interface between report.c (the page) and report_tables.c (its
 * HTML tables of the result CSVs); not installed. */
#ifndef SC_REPORT_INT_H
#define SC_REPORT_INT_H

#include "plot_int.h"

/* q below this counts as "significant": the conventional 5% family-wise /
 * false-discovery level. */
#define SC_REPORT_ALPHA 0.05

/* A <td> cell of text (class "n", right-aligned, when numeric). */
void sc_report_cell(sc_svg *h, const char *text, int numeric);
/* A note paragraph. */
void sc_report_note(sc_svg *h, const char *text);
/* The metrics as "<code>a</code>, <code>b</code>". */
void sc_report_metric_names(sc_svg *h, const sc_plotset *ps);
/* The headline: every category contrast of contrasts.csv in words, with
 * its effect, CI, p and q; after is the correction ("after Holm"). */
int sc_report_headline(sc_svg *h, const sc_plotset *ps, const char *after,
                       sc_err *err);
/* Per (metric, model set): dataset pairs, median and IQR of r, and how
 * many pairs have q < SC_REPORT_ALPHA (consistency.csv). */
int sc_report_consistency_table(sc_svg *h, const sc_plotset *ps, sc_err *err);
/* behaviour.csv as a table. */
int sc_report_behaviour_table(sc_svg *h, const sc_plotset *ps, sc_err *err);
/* The models with their attributes, and the datasets with their domains. */
void sc_report_models(sc_svg *h, const sc_plotset *ps);

#endif
