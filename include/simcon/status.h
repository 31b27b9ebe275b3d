/* simcon status codes.
 *
 * Every fallible function in the core and every plugin callback returns one
 * of these. The numbering is append-only: the codes appear in logs and in
 * result manifests, so an existing value never changes meaning. */
#ifndef SIMCON_STATUS_H
#define SIMCON_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SC_STATUS_ENUM_DEFINED
#define SC_STATUS_ENUM_DEFINED
enum sc_status {
    SC_OK = 0,
    SC_EINVAL = 1,   /* bad argument or parameter value                   */
    SC_EDOM = 2,     /* outside the metric's domain: zero variance, n <= k */
    SC_ENOMEM = 3,   /* allocation failed                                  */
    SC_EIO = 4,      /* file missing, unreadable, truncated, malformed     */
    SC_ESPEC = 5,    /* experiment spec invalid                            */
    SC_EABI = 6,     /* plugin built for another ABI, bad descriptor       */
    SC_ENUMERIC = 7, /* NaN/Inf in data or result, non-convergence         */
    SC_EBLAS = 8,    /* dimension overflow or non-conformant BLAS call     */
    SC_ECANCELED = 9 /* a caller's cancellation callback asked to stop     */
};
#endif /* keep in sync with the copy in plugin.h */

#ifdef __cplusplus
}
#endif
#endif
