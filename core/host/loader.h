/* Plugin loader: find, dlopen, check and validate metric plugins.
 *
 * Search order for a plugin given by NAME (a path containing '/' is used as
 * is, no search): the extra directory passed by the caller (--plugin-dir or
 * the spec), then each directory of $SIMCON_PLUGIN_PATH (colon-separated),
 * then the build tree's plugin folder, then the installed plugin folder. The
 * first "<dir>/<NAME>.so" that exists is loaded; a broken one is an error,
 * never silently skipped.
 *
 * Plugins stay loaded until exit (no dlclose): that keeps sanitizer stack
 * traces symbolized and states valid for the whole run. */
#ifndef SC_LOADER_H
#define SC_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "simcon/plugin.h"

typedef struct sc_plugin {
    char *path;            /* the file that was loaded                  */
    void *handle;          /* dlopen handle, never closed                */
    const sc_metric *desc; /* validated descriptor                       */
    size_t nparams;        /* entries in desc->params before the {NULL} */
} sc_plugin;

/* Load (or return the already loaded) plugin NAME or PATH. extra_dir may be
 * NULL. The returned plugin is owned by the loader and lives until
 * sc_loader_shutdown. Errors: SC_EIO (not found: lists the directories
 * searched; dlopen failed: says "check dependencies with ldd"), SC_EABI (no
 * entry symbol, refused, wrong ABI: "rebuild the plugin", invalid
 * descriptor: every violation listed). */
int sc_loader_open(const char *name_or_path, const char *extra_dir,
                   const sc_plugin **out, sc_err *err);

/* Find the file sc_loader_open would load for NAME or PATH, without
 * opening it (no plugin code runs): writes it to path (cap bytes). Same
 * errors as sc_loader_open for a missing plugin. Used by
 * `simcon check --no-load`. */
int sc_loader_locate(const char *name_or_path, const char *extra_dir,
                     char *path, size_t cap, sc_err *err);

/* Names of every plugin found in the search path (deduplicated, first
 * occurrence wins, sorted). *names is an sc_malloc'ed array of sc_malloc'ed
 * strings; free with sc_loader_names_free. */
int sc_loader_find_all(const char *extra_dir, char ***names, size_t *count,
                       sc_err *err);
void sc_loader_names_free(char **names, size_t count);

/* Validate a descriptor as the loader does (exposed for tests). stem is the
 * file stem the name must equal (NULL: not checked). Fills err with every
 * violation, separated by "; ". */
int sc_loader_validate(const sc_metric *desc, const char *stem, sc_err *err);

/* Forget all loaded plugins (frees bookkeeping; does not dlclose). */
void sc_loader_shutdown(void);

/* Append "; item" ("item" when list is empty) to a one-line list of
 * problems; an item that no longer fits (cap bytes) is dropped. The
 * descriptor check and the parameter parser (argset.c) list with it. */
__attribute__((format(printf, 3, 4))) void
sc_loader_problem_add(char *list, size_t cap, const char *fmt, ...);

/* ## Parameters (argset.c) */

/* Parsed parameter values of one metric configuration (owns its arrays). */
typedef struct sc_argset {
    sc_args args; /* view handed to the plugin */
    double *value;
    uint8_t *given;
} sc_argset;

/* Parse "key=value" settings against the plugin's schema: unknown keys,
 * values out of bounds, non-integral INTs, unknown ENUM choices, repeated
 * keys are errors naming the key, what was found and what is allowed.
 * Defaults fill the rest; then the plugin's check_args runs. */
int sc_argset_parse(const sc_plugin *p, const char *const *keys,
                    const char *const *values, size_t count, sc_argset *out,
                    sc_err *err);
void sc_argset_deinit(sc_argset *a);
/* Canonical "k=v,k=v" text of all parameters (defaults included), for
 * manifests and cache keys. Writes at most cap bytes (NUL-terminated). */
void sc_argset_format(const sc_plugin *p, const sc_argset *a, char *buf,
                      size_t cap);

#endif
