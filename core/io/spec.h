/* Experiment specs: the YAML file a user writes, as a checked C structure.
 *
 * Only core/io/spec_tree.c sees libyaml (spec_int.h lists the stages of
 * the reader). sc_spec_load parses, validates every key
 * (unknown keys are errors), fills defaults, resolves relative paths against
 * the spec file's folder and remembers each value's line:col so later stages
 * (missing feature files, unknown metric parameters, unknown anchor model)
 * can point at the spec. Errors read
 *     "<spec file>:<line>:<col>: <key>: expected <what>, found <what>"
 * and carry SC_ESPEC.
 *
 * Spec format (documented for users in README.md and experiments/example.yaml):
 *
 *   name: zoo-demo                 # [a-zA-Z0-9_.-]+, names results/<name>/
 *   seed: 42                       # master seed, 0 .. 2^64-1
 *   data:
 *     root: data/zoo               # relative to the spec file's folder
 *     features: "{dataset}/{model}.npy"
 *     ids: "{dataset}/ids.txt"     # optional; or "{dataset}/{model}.txt":
 *                                  # per model, checked row by row
 *     normalize: l2                # none | center | l2 (paper: l2)
 *     max_stimuli: 10000           # optional seeded subsample per dataset
 *     allow_vector: false          # true: a 1-D .npy (n,) is read as n x 1
 *     flatten: false               # N-D features (n x c x h x w) flattened
 *   models:                        # name plus any metadata keys (strings)
 *     - {name: resnet50, objective: supervised, architecture: cnn}
 *   datasets:
 *     - {name: flowers, domain: single-domain}
 *   behaviour:
 *     accuracy: behaviour.csv      # optional; columns dataset,model,accuracy
 *   metrics:
 *     - {name: cka_linear, plugin: cka, params: {kernel: linear}}
 *       (plugin: a name on the search path, or a path with a '/',
 *       relative to the spec's folder)
 *   analyses:
 *     consistency: {correlation: pearson, groupby: [objective], anchors: [m]}
 *     behaviour: {correlation: pearson}
 *     contrasts: [{attribute: objective}]
 *   statistics: {permutations: 9999, bootstrap: 1000, over: models,
 *                ci: 0.95, interval: bca, correction: holm,
 *                family: question}     # or metric (one family per metric)
 *   runtime: {threads: 1, memory: 8G, plugin_dir: path,    # optional
 *             model_blocks: 1}   # blocks of models per (dataset, metric)
 */
#ifndef SC_SPEC_H
#define SC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Limits of the parser (core/io/spec*.c). A spec lists models and datasets, so
 * 1 MiB is far above any real one (the paper's 64 x 23 spec is ~20 KB) while
 * keeping a mistaken `simcon check big.npy` cheap. Depth: the deepest real
 * key is metrics[i].params.KEY (4 levels); 16 leaves room without letting a
 * hostile file nest deeply. */
#define SC_SPEC_MAX_BYTES (1024 * 1024)
#define SC_SPEC_MAX_DEPTH 16
/* runtime.threads upper bound: a sanity cap, not a performance hint. */
#define SC_SPEC_MAX_THREADS 1024
/* Bounds on every count and length a spec can give (docs/SECURITY.md lists
 * them for users; `simcon check` names the bound it found exceeded). Each is
 * far above real use (the paper: 64 models, 23 datasets, 9999 permutations,
 * 1000 bootstrap replicates) and keeps the products the runner forms from
 * them (bootstrap x stimuli, bootstrap x models^2, models x datasets)
 * representable; those products are still overflow-checked where they are
 * formed (sc_size_mul, core/base/mem.h). */
#define SC_SPEC_MAX_MODELS 4096
#define SC_SPEC_MAX_DATASETS 4096
#define SC_SPEC_MAX_METRICS 256
#define SC_SPEC_MAX_META 64   /* metadata keys per model or dataset */
#define SC_SPEC_MAX_PARAMS 32 /* params per metric (= SC_CLI_MAX_PARAMS) */
#define SC_SPEC_MAX_PERMUTATIONS 10000000
#define SC_SPEC_MAX_BOOTSTRAP 1000000
#define SC_SPEC_MAX_STIMULI 100000000 /* data.max_stimuli */
/* Name lengths. Names become file names: the longest joined one is a
 * figure, "consistency_<metric>__anchor:<model>|<key>:<value>_NNN.svg" =
 * 12 + 64 + 2 + 7 + 64 + 1 + 32 + 1 + 48 + 8 = 239 bytes, under NAME_MAX
 * (255) by construction. Paths (data.root, templates, behaviour.accuracy,
 * plugins, runtime.plugin_dir) are bounded by PATH_MAX once joined. */
#define SC_SPEC_MAX_NAME 64   /* spec, model, dataset and metric names */
#define SC_SPEC_MAX_KEY 32    /* metadata keys and parameter names */
#define SC_SPEC_MAX_LABEL 48  /* metadata values (domain, objective, ...) */
#define SC_SPEC_MAX_VALUE 256 /* parameter values (numbers, words) */
/* sc_spec.correction when the spec says "correction: none": q = p. It is
 * not an sc_padjust_method value, so test for it before calling
 * sc_padjust(). */
#define SC_SPEC_CORRECTION_NONE (-1)

/* Where a value stood in the spec file (1-based; 0 = not from the file). */
typedef struct sc_spec_loc {
    unsigned line, col;
} sc_spec_loc;

/* One metadata entry of a model or dataset: key: value (both strings). */
typedef struct sc_spec_kv {
    char *key;
    char *value;
    sc_spec_loc loc;
} sc_spec_kv;

typedef struct sc_spec_model {
    char *name;
    sc_spec_kv *meta; /* every key but name, in file order */
    size_t nmeta;
    sc_spec_loc loc;
} sc_spec_model;

typedef struct sc_spec_dataset {
    char *name;
    char *domain; /* "" when not given */
    sc_spec_kv *meta;
    size_t nmeta;
    sc_spec_loc loc;
} sc_spec_dataset;

typedef struct sc_spec_metric {
    char *name;   /* label used in outputs, unique, [a-zA-Z0-9_.-]+ */
    char *plugin; /* plugin name (or path) */
    char **keys;  /* params, as text, in file order */
    char **values;
    size_t nparams;
    sc_spec_loc loc;
    sc_spec_loc param_loc; /* of the params mapping, for plugin errors */
    /* Added by the parser (appended, nothing renamed): */
    sc_spec_loc plugin_loc;  /* of the plugin value (unknown plugin)      */
    sc_spec_loc *param_locs; /* nparams entries: each value's line:col    */
} sc_spec_metric;

typedef struct sc_spec_contrast {
    char *attribute; /* model metadata key */
    sc_spec_loc loc;
} sc_spec_contrast;

/* statistics.family: which rows share one multiple-comparison correction
 * (docs/STATISTICS.md, "Correction families"). */
enum sc_spec_family {
    SC_FAMILY_QUESTION = 0, /* metric x groupby attribute x row kind      */
    SC_FAMILY_METRIC = 1    /* every row of one metric in one table        */
};

enum sc_spec_over {
    SC_OVER_MODELS = 0,
    SC_OVER_STIMULI = 1,
    SC_OVER_DATASETS = 2
};

typedef struct sc_spec {
    char *path; /* the spec file as given                          */
    char *dir;  /* its folder: base of relative paths               */
    char *name;
    uint64_t seed;

    /* data */
    char *root;         /* absolute or relative to dir, resolved       */
    char *features;     /* template with {dataset} and {model}        */
    char *ids;          /* template with {dataset} [and {model}] or NULL */
    int normalize;      /* enum sc_norm (core/num/prep.h); default l2     */
    int flatten;        /* data.flatten: N-D features -> n x prod(rest),
                           row-major (npy.h SC_NPY_FLATTEN); default 0 */
    size_t max_stimuli; /* 0 = all                                    */
    bool allow_vector;  /* 1-D feature files read as n x 1; default no */

    sc_spec_model *models;
    size_t nmodels;
    sc_spec_dataset *datasets;
    size_t ndatasets;
    sc_spec_metric *metrics;
    size_t nmetrics;

    char *behaviour_accuracy; /* resolved path or NULL */

    /* analyses; *_enabled = 0 when the section is absent */
    int consistency_enabled;
    int consistency_corr; /* sc_corr_method; default pearson        */
    char **groupby;       /* model metadata keys                    */
    size_t ngroupby;
    char **anchors; /* model names                            */
    size_t nanchors;
    int behaviour_enabled;
    int behaviour_corr; /* sc_corr_method                         */
    sc_spec_contrast *contrasts;
    size_t ncontrasts;

    /* statistics */
    size_t permutations; /* default 9999; 0 = no p-values          */
    size_t bootstrap;    /* default 1000; 0 = no CIs               */
    int over;            /* enum sc_spec_over; default models      */
    double ci;           /* default 0.95, in (0, 1)                */
    int interval;        /* sc_ci_method; default bca              */
    int correction;      /* sc_padjust_method; default holm        */
    int family;          /* enum sc_spec_family; default question  */

    /* runtime (CLI flags override) */
    unsigned threads; /* default 1                              */
    size_t memory;    /* bytes; 0 = default budget              */
    char *plugin_dir; /* resolved or NULL                       */

    /* Added by the parser (appended, nothing renamed): where keys stood,
     * so input checks (core/io/inputs.c) can point at the spec. */
    sc_spec_loc features_loc;  /* data.features value                  */
    sc_spec_loc ids_loc;       /* data.ids value (0:0 when absent)     */
    sc_spec_loc behaviour_loc; /* behaviour.accuracy value             */
    /* figures.format (issue 16): SC_PLOT_SVG | SC_PLOT_PDF | SC_PLOT_PNG
     * (plot.h); 0 = SVG only. Not part of the canonical spec. */
    unsigned figure_formats;
    /* runtime.model_blocks (issue 14): blocks of models that a planned run
     * splits each (dataset, metric) into (run_plan.h); 0 or 1 = one block
     * (today's single similarity task). At most nmodels. */
    size_t model_blocks;
} sc_spec;

/* Parse and validate the spec file at path. On failure spec is left empty
 * (safe to free) and err says file:line:col, key, expected and found.
 * Statuses: SC_EIO (unreadable file), SC_ESPEC (anything about content),
 * SC_ENOMEM. */
int sc_spec_load(const char *path, sc_spec *spec, sc_err *err);
void sc_spec_free(sc_spec *spec);

/* Expand a path template for (dataset, model) into buf (joined with root);
 * SC_EINVAL if it does not fit. model may be NULL for the ids template. */
int sc_spec_path(const sc_spec *spec, const char *tmpl, const char *dataset,
                 const char *model, char *buf, size_t cap, sc_err *err);

/* Metadata value of a model for key, or NULL when the model has none. */
const char *sc_spec_model_meta(const sc_spec_model *m, const char *key);

/* Format "<spec path>:<line>:<col>: " for loc into buf. */
void sc_spec_where(const sc_spec *spec, sc_spec_loc loc, char *buf, size_t cap);

/* The effective spec (defaults filled) as canonical YAML text, for the
 * manifest and the content hash; *out is sc_malloc'ed. */
int sc_spec_canonical(const sc_spec *spec, char **out, sc_err *err);

/* Figure formats (figures.formats, plot --formats). */
enum { SC_PLOT_SVG = 1u, SC_PLOT_PDF = 2u, SC_PLOT_PNG = 4u };

/* Parse "svg,pdf,png" (any subset, comma-separated) into *formats (SVG is
 * always included). SC_EINVAL with the unknown word copied to bad. */
int sc_plot_parse_formats(const char *text, unsigned *formats, char *bad,
                          size_t bad_size);

#endif
