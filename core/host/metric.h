/* Calling a loaded metric from the core.
 *
 * These wrappers build the per-call context (sc_ctx) that carries the error
 * record, hand the host function table to the plugin, check the plugin's
 * promises (state set on success, finite value) and turn a plugin failure
 * into an sc_err naming the metric. Every core caller (simcon compare, the
 * all-pairs engine, the runner, bootstrap over stimuli) goes through them. */
#ifndef SC_METRIC_H
#define SC_METRIC_H

#include <stddef.h>

#include "err.h"
#include "gram.h"
#include "loader.h"

/* States returned by sc_metric_prepare are HOST HANDLES (the plugin's state
 * plus the number of stimuli it was built from), not the plugin's own
 * pointer: pass them only to the sc_metric_* functions below, never to the
 * descriptor's functions directly. That lets the host reject a pair built
 * from different stimulus counts before any plugin code runs.
 *
 * prepare: x->rows below desc->min_rows is SC_EDOM with a message naming
 * both numbers. On failure *state is NULL. */
int sc_metric_prepare(const sc_plugin *p, const sc_args *args, const sc_mat *x,
                      void **state, sc_err *err);
/* The same, with the Gram cache of this representation (gram.h): the
 * plugin's host->gram requests are served from grams (NULL: none). */
int sc_metric_prepare_shared(const sc_plugin *p, const sc_args *args,
                             const sc_mat *x, sc_gram_cache *grams,
                             void **state, sc_err *err);
/* compare: states with different row counts are SC_EINVAL naming both
 * counts; a non-finite value is SC_ENUMERIC. */
int sc_metric_compare(const sc_plugin *p, const sc_args *args, const void *sx,
                      const void *sy, double *value, sc_err *err);
/* compare on a stimulus subset: uses desc->compare_subset when offered,
 * otherwise re-prepares from the rows x[idx], y[idx] (x, y then required). */
int sc_metric_compare_subset(const sc_plugin *p, const sc_args *args,
                             const void *sx, const void *sy, const sc_mat *x,
                             const sc_mat *y, const size_t *idx, size_t count,
                             double *value, sc_err *err);
void sc_metric_release(const sc_plugin *p, void *state);

/* Rows (stimuli) a prepared state was built from. */
size_t sc_metric_state_rows(const void *state);
/* Bytes a prepared state holds: the blocks its prepare obtained through
 * host->alloc and kept (measured by the host, not declared by the plugin),
 * plus the handle. Memory the plugin took elsewhere is not seen. */
size_t sc_metric_state_bytes(const void *state);

/* Batched path (see sc_metric.embed in plugin.h). embed_len is 0 when the
 * plugin offers no embedding. */
size_t sc_metric_embed_len(const sc_plugin *p, const void *state);
int sc_metric_embed(const sc_plugin *p, const void *state, size_t offset,
                    size_t count, double *out, sc_err *err);

/* Effective flags of a configuration (desc->flags_for or desc->flags). */
uint32_t sc_metric_flags(const sc_plugin *p, const sc_args *args);

/* The precision the metric computes in: the value of its 'precision'
 * parameter when it has one ("float64" / "float32"), else "float64"
 * (plugins compute in double unless a parameter says otherwise). Static
 * storage. */
const char *sc_metric_precision(const sc_plugin *p, const sc_args *args);

#endif
