/* Stimulus id files: one id per row of the features, in row order.
 *
 * A spec's data.ids template names one file per dataset ("{dataset}/
 * ids.txt") or one per model ("{dataset}/{model}.txt", e.g. the
 * file_names.txt thingsvision writes with every extraction). With one file
 * per model, every model's file must list the same ids in the same order:
 * that is what makes row i the same stimulus in every model. sc_ids_same
 * checks it row by row and names the first row that differs.
 *
 * Lines: split at '\n', a trailing '\r' removed (files written on
 * Windows), a last line without '\n' counted. */
#ifndef SC_IDS_H
#define SC_IDS_H

#include "err.h"

/* SC_OK when path lists exactly the ids of ref (model names the owner of
 * path in the message; dataset the dataset). Otherwise SC_EIO, one line:
 * "<path>: row R is 'b' but row R of <ref> is 'a'; ..." (R 0-based; a
 * missing row reads "(no row)"), or the file's open/read error. */
int sc_ids_same(const char *ref, const char *path, const char *model,
                const char *dataset, sc_err *err);

#endif
