/* libFuzzer harness: the experiment-spec parser (core/io/spec.c).
 *
 * Each input is one spec file (YAML), handed to sc_spec_load through an
 * in-memory file. On success it also exercises what later stages call on a
 * loaded spec: sc_spec_canonical (the manifest text and content hash),
 * sc_spec_path for every (dataset, model), sc_spec_model_meta and
 * sc_spec_where. Checked contract (spec.h): a failure leaves the spec zeroed
 * with a status of the documented set and a message naming the file; a
 * success has at least one model, dataset and metric, and its canonical
 * text can be written. (The canonical text is a hash input, not a spec:
 * e.g. "ids: null" does not parse back, so no round trip is checked.) */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "mem.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const sc_spec *s)
{
    char buf[4096];
    sc_err err;
    for (size_t d = 0; d < s->ndatasets; d++) {
        for (size_t m = 0; m < s->nmodels; m++) {
            sc_err_clear(&err);
            int rc = sc_spec_path(s, s->features, s->datasets[d].name,
                                  s->models[m].name, buf, sizeof buf, &err);
            if (rc != SC_OK)
                sc_fuzz_check_err(rc, &err);
            else
                sc_fuzz_check(strlen(buf) < sizeof buf, "path overflow");
        }
        if (s->ids) {
            sc_err_clear(&err);
            int rc = sc_spec_path(s, s->ids, s->datasets[d].name, NULL, buf,
                                  sizeof buf, &err);
            if (rc != SC_OK)
                sc_fuzz_check_err(rc, &err);
        }
    }
    for (size_t m = 0; m < s->nmodels; m++)
        for (size_t k = 0; k < s->models[m].nmeta; k++)
            sc_fuzz_check(sc_spec_model_meta(&s->models[m],
                                             s->models[m].meta[k].key) != NULL,
                          "model_meta misses a listed key");
    for (size_t g = 0; g < s->ngroupby && s->nmodels; g++)
        (void)sc_spec_model_meta(&s->models[0], s->groupby[g]);
    sc_spec_where(s, s->features_loc, buf, 16); /* truncation is fine */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pathbuf[4200];
    const char *path =
        sc_fuzz_file(pathbuf, sizeof pathbuf, "spec.yaml", data, size);
    sc_spec s;
    memset(&s, 0xA5, sizeof s); /* the parser must not rely on a zeroed s */
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(path, &s, &err);
    if (rc != SC_OK) {
        sc_fuzz_check_err(rc, &err);
        sc_fuzz_check(rc == SC_ESPEC || rc == SC_EIO || rc == SC_ENOMEM,
                      "undocumented status");
        sc_fuzz_check(strstr(err.msg, path) != NULL,
                      "message does not name the spec file");
        sc_fuzz_check(s.name == NULL && s.models == NULL && s.nmodels == 0,
                      "failed load left a partial spec");
        sc_spec_free(&s);
        return 0;
    }
    sc_fuzz_check(s.nmodels >= 1 && s.ndatasets >= 1 && s.nmetrics >= 1,
                  "accepted a spec without models, datasets or metrics");
    sc_fuzz_check(s.name && s.root && s.features, "missing required field");
    exercise(&s);

    char *canon = NULL;
    sc_err_clear(&err);
    rc = sc_spec_canonical(&s, &canon, &err);
    sc_fuzz_check(rc == SC_OK && canon, "canonical text failed");
    sc_fuzz_check(strlen(canon) > 0, "empty canonical text");
    sc_free(canon);
    sc_spec_free(&s);
    return 0;
}
