/* The spec tests' fixture zoo as a spec file (2 datasets d1, d2 of 12
 * stimuli; models m1..m4 of widths 3, 4, 5, 6, objectives a, a, b, b;
 * committed .npy files under tests/spec/data), for unit tests that need a
 * whole spec on real inputs. The caller gives the name and what follows
 * the datasets (metrics, analyses, statistics). */
#ifndef SC_TEST_ZOO_SPEC_H
#define SC_TEST_ZOO_SPEC_H

#include <stdio.h>

#include "simcon/plugin.h" /* SC_OK, SC_EIO */

/* Write the spec to path; SC_EIO if it cannot be written. */
static inline int sc_test_zoo_spec(const char *path, const char *name,
                                   const char *tail)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return SC_EIO;
    fprintf(f,
            "name: %s\nseed: 3\n"
            "data: {root: %s/spec/data/zoo, features: "
            "\"{dataset}/{model}.npy\", normalize: l2}\n"
            "models:\n"
            "  - {name: m1, objective: a}\n  - {name: m2, objective: a}\n"
            "  - {name: m3, objective: b}\n  - {name: m4, objective: b}\n"
            "datasets: [{name: d1, domain: x}, {name: d2, domain: x}]\n"
            "%s",
            name, SC_TEST_DIR, tail);
    return fclose(f) == 0 ? SC_OK : SC_EIO;
}

#endif
