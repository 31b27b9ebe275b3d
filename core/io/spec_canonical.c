/* Spec reader, stage 3: sc_spec_canonical, the checked spec as canonical
 * text (see spec_int.h for the stages): every key in a fixed order,
 * defaults filled, every value quoted the same way, so two specs that mean
 * the same thing give the same text (and the same checksum and cache
 * keys). Formatted in the one text buffer (sc_buf). */
#include <stdio.h>

#include "buf.h"
#include "methods.h"
#include "prep.h"
#include "spec_int.h"

/* A double-quoted YAML string: every value is quoted the same way, so
 * the text does not depend on how the user quoted it. */
static void put_q(sc_buf *b, const char *s)
{
    sc_buf_printf(b, "\"");
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            sc_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            sc_buf_printf(b, "\\x%02x", ch);
        else
            sc_buf_printf(b, "%c", ch);
    }
    sc_buf_printf(b, "\"");
}

/* A quoted value, or null when absent. */
static void put_q_or_null(sc_buf *b, const char *s)
{
    if (s != NULL)
        put_q(b, s);
    else
        sc_buf_printf(b, "null");
}

static void put_kvs(sc_buf *b, const sc_spec_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sc_buf_printf(b, ", %s: ", kv[i].key);
        put_q(b, kv[i].value);
    }
}

static void put_data(sc_buf *b, const sc_spec *spec)
{
    sc_buf_printf(b, "name: ");
    put_q(b, spec->name);
    sc_buf_printf(
        b, "\nseed: %llu\ndata:\n  root: ", (unsigned long long)spec->seed);
    put_q(b, spec->root);
    sc_buf_printf(b, "\n  features: ");
    put_q(b, spec->features);
    sc_buf_printf(b, "\n  ids: ");
    put_q_or_null(b, spec->ids);
    sc_buf_printf(b, "\n  normalize: %s\n  max_stimuli: %zu\n",
                  sc_norm_name(spec->normalize), spec->max_stimuli);
    /* Only when set, so the canonical text of existing specs is unchanged
     * (and their checksums and cache keys). */
    if (spec->allow_vector)
        sc_buf_printf(b, "  allow_vector: true\n");
    if (spec->flatten)
        sc_buf_printf(b, "  flatten: true\n");
}

static void put_lists(sc_buf *b, const sc_spec *spec)
{
    sc_buf_printf(b, "models:\n");
    for (size_t i = 0; i < spec->nmodels; i++) {
        sc_buf_printf(b, "  - {name: ");
        put_q(b, spec->models[i].name);
        put_kvs(b, spec->models[i].meta, spec->models[i].nmeta);
        sc_buf_printf(b, "}\n");
    }
    sc_buf_printf(b, "datasets:\n");
    for (size_t i = 0; i < spec->ndatasets; i++) {
        sc_buf_printf(b, "  - {name: ");
        put_q(b, spec->datasets[i].name);
        sc_buf_printf(b, ", domain: ");
        put_q(b, spec->datasets[i].domain);
        put_kvs(b, spec->datasets[i].meta, spec->datasets[i].nmeta);
        sc_buf_printf(b, "}\n");
    }
    sc_buf_printf(b, "behaviour:\n  accuracy: ");
    put_q_or_null(b, spec->behaviour_accuracy);
    sc_buf_printf(b, "\nmetrics:\n");
    for (size_t i = 0; i < spec->nmetrics; i++) {
        const sc_spec_metric *m = &spec->metrics[i];
        sc_buf_printf(b, "  - {name: ");
        put_q(b, m->name);
        sc_buf_printf(b, ", plugin: ");
        put_q(b, m->plugin);
        sc_buf_printf(b, ", params: {");
        for (size_t k = 0; k < m->nparams; k++) {
            sc_buf_printf(b, "%s%s: ", k ? ", " : "", m->keys[k]);
            put_q(b, m->values[k]);
        }
        sc_buf_printf(b, "}}\n");
    }
}

static void put_analyses(sc_buf *b, const sc_spec *spec)
{
    sc_buf_printf(b, "analyses:\n  consistency: ");
    if (spec->consistency_enabled) {
        sc_buf_printf(b, "{correlation: %s, groupby: [",
                      sc_corr_name((sc_corr_method)spec->consistency_corr));
        for (size_t i = 0; i < spec->ngroupby; i++)
            sc_buf_printf(b, "%s%s", i ? ", " : "", spec->groupby[i]);
        sc_buf_printf(b, "], anchors: [");
        for (size_t i = 0; i < spec->nanchors; i++)
            sc_buf_printf(b, "%s%s", i ? ", " : "", spec->anchors[i]);
        sc_buf_printf(b, "]}\n");
    } else {
        sc_buf_printf(b, "null\n");
    }
    sc_buf_printf(b, "  behaviour: ");
    if (spec->behaviour_enabled)
        sc_buf_printf(b, "{correlation: %s}\n",
                      sc_corr_name((sc_corr_method)spec->behaviour_corr));
    else
        sc_buf_printf(b, "null\n");
    sc_buf_printf(b, "  contrasts: [");
    for (size_t i = 0; i < spec->ncontrasts; i++)
        sc_buf_printf(b, "%s{attribute: %s}", i ? ", " : "",
                      spec->contrasts[i].attribute);
}

static void put_statistics(sc_buf *b, const sc_spec *spec)
{
    static const char *const over[] = {"models", "stimuli", "datasets"};
    sc_buf_printf(
        b,
        "]\nstatistics:\n  permutations: %zu\n  bootstrap: %zu\n  over: %s\n"
        "  ci: %.17g\n  interval: %s\n  correction: %s\n  family: %s\n",
        spec->permutations, spec->bootstrap,
        spec->over >= 0 && spec->over <= 2 ? over[spec->over] : "unknown",
        spec->ci, sc_ci_name((sc_ci_method)spec->interval),
        spec->correction == SC_SPEC_CORRECTION_NONE
            ? "none"
            : sc_padjust_name((sc_padjust_method)spec->correction),
        spec->family == SC_FAMILY_METRIC ? "metric" : "question");
    sc_buf_printf(b, "runtime:\n  threads: %u\n  memory: %zu\n  plugin_dir: ",
                  spec->threads, spec->memory);
    put_q_or_null(b, spec->plugin_dir);
    sc_buf_printf(b, "\n");
    /* Only when set: the canonical form (and hash) of every spec without
     * the key stays as it was. */
    if (spec->model_blocks > 1)
        sc_buf_printf(b, "  model_blocks: %zu\n", spec->model_blocks);
}

int sc_spec_canonical(const sc_spec *spec, char **out, sc_err *err)
{
    sc_buf b = {0};
    sc_buf_printf(
        &b, "# simcon effective spec (canonical form, defaults filled)\n");
    put_data(&b, spec);
    put_lists(&b, spec);
    put_analyses(&b, spec);
    put_statistics(&b, spec);
    if (b.failed) {
        sc_buf_deinit(&b);
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory writing the canonical spec");
    }
    *out = b.data;
    return SC_OK;
}
