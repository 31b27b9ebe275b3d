/* The one formatter of estimates and p-values for everything a reader sees
 * (Markdown/LaTeX tables, report.html, figure labels).
 *
 * Purpose: the same number must read the same in every table: tables/<name>.md
 * and report.html both print p as "<0.001" or three decimals. Figures
 * label points and brackets in less room, so they have their own style
 * (two significant digits), chosen by name at the call site instead of by
 * a second function. CSV files keep full precision and do not come here. */
#ifndef SC_FORMAT_H
#define SC_FORMAT_H

#include <stddef.h>

/* Text for a missing value in tables (CSV leaves the field empty). */
#define SC_FMT_NA "NA"

typedef enum sc_numstyle {
    /* Markdown tables and report.html: estimates at the caller's decimals
     * with "-0.00" folded to "0.00"; p "<0.001" or three decimals; a
     * missing value (NaN) is "NA". */
    SC_NUM_TABLE = 0,
    /* LaTeX tables: as SC_NUM_TABLE, with "<" in math mode ("$<$0.001"). */
    SC_NUM_TEX = 1,
    /* Labels inside figures: estimates "%.*f" as printed (no folding); p
     * "<0.0001" or two significant digits; a missing value is "n/a". */
    SC_NUM_FIGURE = 2
} sc_numstyle;

/* Fixed-point text of v at `digits` decimals; "-0.00" becomes "0.00" (a
 * rounded tiny negative is not a sign worth showing). */
void sc_fmt_fixed(char *out, size_t cap, double v, int digits);
/* An estimate with its interval at `digits` decimals: "0.71 [0.65, 0.77]";
 * "0.71" when lo or hi is NaN; the style's missing text when est is NaN. */
void sc_fmt_est(char *out, size_t cap, double est, double lo, double hi,
                int digits, sc_numstyle style);
/* A p- or q-value in the given style (see sc_numstyle); NaN is missing. */
void sc_fmt_p(char *out, size_t cap, double p, sc_numstyle style);

#endif
