/* A spec's metrics checked against their plugins, before any data is
 * compared: used by `simcon check` and by the library's sc_check. */
#ifndef SC_SPEC_CHECK_H
#define SC_SPEC_CHECK_H

#include <stddef.h>

#include "err.h"
#include "inputs.h"
#include "spec.h"

/* Find metric k's plugin in dir and, if load, load it and parse its
 * params; errors point at the spec entry. */
int sc_check_metric(const sc_spec *spec, size_t k, const char *dir, int load,
                    sc_err *err);
/* Metric k's data-dependent constraints, given each dataset's row count. */
int sc_check_metric_rows(const sc_spec *spec, size_t k, const char *dir,
                         const size_t *rows, sc_err *err);
/* "ok: M models x D datasets x K metrics, n = ..." into buf. */
void sc_check_summary(const sc_spec *spec, const sc_inputs_report *rep,
                      int loaded, char *buf, size_t cap);

#endif
