/* The perturbations a tie-robust decision must survive (header only, for
 * the tests of core/num/tie.h's users): 1 ulp and 1e-14 relative either
 * way, about what another CPU's BLAS kernel moves a similarity by.
 *
 *     for (int k = 0; k < SC_NUDGES; k++)
 *         check(sc_nudge(v, k), "%s", sc_nudge_name[k]);
 */
#ifndef SC_TIE_NUDGE_H
#define SC_TIE_NUDGE_H

#include <math.h>

#define SC_NUDGES 4

/* v moved by perturbation mode (0 to SC_NUDGES - 1). */
static inline double sc_nudge(double v, int mode)
{
    switch (mode) {
    case 0:
        return nextafter(v, (double)INFINITY);
    case 1:
        return nextafter(v, -(double)INFINITY);
    case 2:
        return v * (1 + 1e-14);
    default:
        return v * (1 - 1e-14);
    }
}

static const char *const sc_nudge_name[SC_NUDGES] = {
    "+1 ulp", "-1 ulp", "+1e-14 rel", "-1e-14 rel"};

#endif
