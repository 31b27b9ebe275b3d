/* Names of the statistical methods a spec or a command line can choose:
 * correlation, confidence interval, p-value adjustment. They sit below
 * the spec reader (core/io) and the statistics (core/stats), which both
 * need them, so that neither depends on the other. */
#ifndef SC_METHODS_H
#define SC_METHODS_H

#include "err.h"

typedef enum sc_corr_method {
    SC_CORR_PEARSON = 0, /* gsl_stats_correlation                       */
    SC_CORR_SPEARMAN = 1 /* gsl_stats_spearman: Pearson of average ranks */
} sc_corr_method;

/* "pearson" / "spearman" -> method. SC_EINVAL names the text and the
 * choices. */
int sc_corr_parse(const char *text, sc_corr_method *out, sc_err *err);
const char *sc_corr_name(sc_corr_method method); /* never NULL */

typedef enum sc_ci_method {
    SC_CI_PERCENTILE = 0, /* quantiles (a/2, 1-a/2) of the replicates       */
    SC_CI_BCA = 1         /* bias-corrected and accelerated (E&T ch. 14.3) */
} sc_ci_method;

/* "percentile" / "bca" -> method; SC_EINVAL otherwise. */
int sc_ci_parse(const char *text, sc_ci_method *out, sc_err *err);
const char *sc_ci_name(sc_ci_method method); /* never NULL */

typedef enum sc_padjust_method {
    SC_PADJ_HOLM = 0, /* family-wise error, Holm (1979) step-down         */
    SC_PADJ_BH = 1    /* false discovery rate, Benjamini-Hochberg q-values */
} sc_padjust_method;

/* "holm" / "bh" (also "BH", "fdr") -> method; SC_EINVAL otherwise. */
int sc_padjust_parse(const char *text, sc_padjust_method *out, sc_err *err);
const char *sc_padjust_name(sc_padjust_method method); /* never NULL */

#endif
