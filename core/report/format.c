/* The one formatter of estimates and p-values (see format.h). */
#include "format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Smallest p a table shows as a number; below it "<0.001" (three decimals
 * is what a table can show). */
#define P_FLOOR 0.001
/* Smallest p a figure label shows as a number (two significant digits
 * reach 0.0001 at the label widths the figures leave). */
#define P_FLOOR_FIGURE 1e-4

static const char *missing(sc_numstyle style)
{
    return style == SC_NUM_FIGURE ? "n/a" : SC_FMT_NA;
}

void sc_fmt_fixed(char *out, size_t cap, double v, int digits)
{
    snprintf(out, cap, "%.*f", digits, v);
    if (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1))
        memmove(out, out + 1, strlen(out));
}

/* One number of an estimate in the style: figures print it as it rounds. */
static void est_part(char *out, size_t cap, double v, int digits,
                     sc_numstyle style)
{
    if (style == SC_NUM_FIGURE)
        snprintf(out, cap, "%.*f", digits, v);
    else
        sc_fmt_fixed(out, cap, v, digits);
}

void sc_fmt_est(char *out, size_t cap, double est, double lo, double hi,
                int digits, sc_numstyle style)
{
    if (isnan(est)) {
        snprintf(out, cap, "%s", missing(style));
        return;
    }
    char e[64], l[64], h[64];
    est_part(e, sizeof e, est, digits, style);
    if (isnan(lo) || isnan(hi)) {
        snprintf(out, cap, "%s", e);
        return;
    }
    est_part(l, sizeof l, lo, digits, style);
    est_part(h, sizeof h, hi, digits, style);
    snprintf(out, cap, "%s [%s, %s]", e, l, h);
}

void sc_fmt_p(char *out, size_t cap, double p, sc_numstyle style)
{
    if (isnan(p))
        snprintf(out, cap, "%s", missing(style));
    else if (style == SC_NUM_FIGURE && p < P_FLOOR_FIGURE)
        snprintf(out, cap, "<0.0001");
    else if (style == SC_NUM_FIGURE)
        snprintf(out, cap, "%.2g", p);
    else if (p < P_FLOOR)
        snprintf(out, cap, "%s0.001", style == SC_NUM_TEX ? "$<$" : "<");
    else
        snprintf(out, cap, "%.3f", p);
}
