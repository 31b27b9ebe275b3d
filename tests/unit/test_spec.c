/* Unit tests of core/io/spec.c (sc_spec_load, sc_spec_path, sc_spec_canonical)
 * and core/io/inputs.c (sc_inputs_check, sc_behaviour_load).
 *
 * Expected values come from the spec texts themselves (the files in
 * tests/spec/ok/ and the strings below: what the user wrote is what the
 * struct must hold),
 * from the defaults documented in core/io/spec.h, and from the fixture shapes
 * written by tests/spec/data/make_data.py (12 rows; model mK has 2 + K
 * columns). Error messages are asserted verbatim where the path is stable
 * (docs/TESTING.md, "Unit tests"), otherwise from the ':line:col: ' on. The allocation
 * failure loops (sc_mem_fail_after) prove every failure path returns
 * SC_ENOMEM and, under -DSC_SANITIZE=address, leaks nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "inputs.h"
#include "mem.h"
#include "prep.h"
#include "spec.h"
#include "stats.h"

#define OK_DIR SC_TEST_DIR "/spec/ok"

static char tmp_path[256];

/* Write text to a fresh temporary spec file; returns its path. */
static const char *write_tmp(const char *text, size_t len)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/sc_test_spec_%ld.yaml",
             (long)getpid());
    FILE *f = fopen(tmp_path, "wb");
    if (f == NULL)
        return tmp_path;
    fwrite(text, 1, len, f);
    fclose(f);
    return tmp_path;
}

/* Load text as a spec; return status, message after the path in msg. */
static int load_text(const char *text, sc_spec *s, char *msg, size_t cap)
{
    const char *p = write_tmp(text, strlen(text));
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(p, s, &err);
    size_t plen = strlen(p);
    const char *tail =
        strncmp(err.msg, p, plen) == 0 ? err.msg + plen : err.msg;
    snprintf(msg, cap, "%s", tail);
    unlink(p);
    return rc;
}

static const char *HEAD = "name: t\n"
                          "data:\n"
                          "  features: \"{dataset}/{model}.npy\"\n"
                          "models:\n"
                          "  - {name: a, objective: sup}\n"
                          "  - {name: b, objective: ssl}\n"
                          "datasets:\n"
                          "  - {name: d1}\n"
                          "metrics:\n"
                          "  - {name: cka, plugin: cka}\n";

SC_TEST(full_spec_fields)
{
    sc_spec s;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(OK_DIR "/full.yaml", &s, &err);
    if (!expect_int(rc, SC_OK, "load ok/full.yaml (%s)", err.msg))
        return;
    expect_str(s.name, "spec-full", "name");
    expect_int((long long)s.seed, 7, "seed");
    expect_str(s.dir, OK_DIR, "dir is the spec's folder");
    expect_str(s.root, OK_DIR "/../data/zoo", "root resolved against dir");
    expect_str(s.features, "{dataset}/{model}.npy", "features template");
    expect_str(s.ids, "{dataset}/ids.txt", "ids template");
    expect_int(s.normalize, SC_NORM_CENTER, "normalize center");
    expect_int((long long)s.max_stimuli, 10, "max_stimuli");
    expect_int((long long)s.nmodels, 4, "4 models");
    expect_str(s.models[2].name, "m3", "third model in file order");
    expect_int((long long)s.models[2].nmeta, 2, "m3 has 2 metadata keys");
    expect_str(s.models[2].meta[0].key, "objective", "meta key order");
    expect_str(sc_spec_model_meta(&s.models[2], "arch"), "cnn",
               "m3 arch = cnn");
    expect_true(sc_spec_model_meta(&s.models[2], "size") == NULL,
                "absent meta key -> NULL");
    expect_int(s.models[0].loc.line, 12, "models[0] at line 12");
    expect_int(s.models[0].loc.col, 5, "models[0] at column 5");
    expect_int((long long)s.ndatasets, 2, "2 datasets");
    expect_str(s.datasets[1].domain, "specialized", "d2 domain");
    expect_str(s.datasets[1].meta[0].value, "synthetic (seeded)",
               "d2 extra metadata, quoted value");
    expect_str(s.behaviour_accuracy, OK_DIR "/../data/behaviour.csv",
               "behaviour table resolved against dir");
    expect_int((long long)s.nmetrics, 3, "3 metrics");
    expect_str(s.metrics[1].name, "cka_rbf_0.4", "metric name with '.'");
    expect_int((long long)s.metrics[1].nparams, 2, "2 params");
    expect_str(s.metrics[1].keys[1], "sigma", "param key");
    expect_str(s.metrics[1].values[1], "0.4", "param value kept as text");
    expect_int(s.metrics[1].param_locs[1].line, 27, "sigma at line 27");
    expect_int(s.metrics[1].param_locs[1].col, 14, "sigma at column 14");
    /* A block mapping starts at its first key, the line after params:. */
    expect_int(s.metrics[1].param_loc.line, 26, "params mapping line 26");
    expect_int(s.metrics[1].param_loc.col, 7, "params mapping column 7");
    expect_int(s.metrics[0].nparams, 1, "cka_linear has 1 param");
    expect_int(s.consistency_enabled, 1, "consistency on");
    expect_int(s.consistency_corr, SC_CORR_SPEARMAN, "spearman");
    expect_int((long long)s.ngroupby, 2, "2 groupby keys");
    expect_str(s.groupby[1], "arch", "groupby order");
    expect_int((long long)s.nanchors, 1, "1 anchor");
    expect_str(s.anchors[0], "m1", "anchor m1");
    expect_int(s.behaviour_enabled, 1, "behaviour on");
    expect_int(s.behaviour_corr, SC_CORR_PEARSON, "behaviour pearson");
    expect_int((long long)s.ncontrasts, 1, "1 contrast");
    expect_str(s.contrasts[0].attribute, "objective", "contrast attribute");
    expect_int((long long)s.permutations, 99, "permutations");
    expect_int((long long)s.bootstrap, 50, "bootstrap");
    expect_int(s.over, SC_OVER_STIMULI, "over stimuli");
    expect_abs(s.ci, 0.9, 0.0, "ci 0.9 exactly as strtod reads it");
    expect_int(s.interval, SC_CI_PERCENTILE, "percentile");
    expect_int(s.correction, SC_PADJ_BH, "bh");
    expect_int((long long)s.threads, 2, "threads");
    expect_int((long long)s.memory, 512LL * 1024 * 1024, "512M bytes");
    expect_true(s.plugin_dir == NULL, "no plugin_dir");
    sc_spec_free(&s);
    expect_true(s.models == NULL && s.nmodels == 0, "free zeroes the spec");
}

SC_TEST(defaults_and_canonical)
{
    sc_spec s;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(OK_DIR "/minimal.yaml", &s, &err);
    if (!expect_int(rc, SC_OK, "load ok/minimal.yaml (%s)", err.msg))
        return;
    /* Defaults as documented in core/io/spec.h. */
    expect_int((long long)s.seed, 0, "seed default 0");
    expect_int(s.normalize, SC_NORM_L2, "normalize default l2 (paper)");
    expect_true(s.ids == NULL, "ids default none");
    expect_int((long long)s.max_stimuli, 0, "max_stimuli default all");
    expect_int(s.consistency_enabled, 0, "no analyses section: off");
    expect_int(s.behaviour_enabled, 0, "behaviour off");
    expect_int((long long)s.permutations, 9999, "permutations 9999");
    expect_int((long long)s.bootstrap, 1000, "bootstrap 1000");
    expect_int(s.over, SC_OVER_MODELS, "over models");
    expect_abs(s.ci, 0.95, 0.0, "ci 0.95");
    expect_int(s.interval, SC_CI_BCA, "interval bca");
    expect_int(s.correction, SC_PADJ_HOLM, "correction holm");
    expect_int((long long)s.threads, 1, "threads 1");
    expect_int((long long)s.memory, 0, "memory default budget");
    expect_str(s.datasets[0].domain, "", "domain default empty");
    expect_int((long long)s.metrics[0].nparams, 0, "no params");
    char *text = NULL;
    rc = sc_spec_canonical(&s, &text, &err);
    expect_int(rc, SC_OK, "canonical");
    /* Written by hand from minimal.yaml and the defaults above. */
    const char *want =
        "# simcon effective spec (canonical form, defaults filled)\n"
        "name: \"spec-minimal\"\n"
        "seed: 0\n"
        "data:\n"
        "  root: \"" OK_DIR "/../data/zoo\"\n"
        "  features: \"{dataset}/{model}.npy\"\n"
        "  ids: null\n"
        "  normalize: l2\n"
        "  max_stimuli: 0\n"
        "models:\n"
        "  - {name: \"m1\"}\n"
        "  - {name: \"m2\"}\n"
        "datasets:\n"
        "  - {name: \"d1\", domain: \"\"}\n"
        "behaviour:\n"
        "  accuracy: null\n"
        "metrics:\n"
        "  - {name: \"cka\", plugin: \"cka\", params: {}}\n"
        "analyses:\n"
        "  consistency: null\n"
        "  behaviour: null\n"
        "  contrasts: []\n"
        "statistics:\n"
        "  permutations: 9999\n"
        "  bootstrap: 1000\n"
        "  over: models\n"
        "  ci: 0.94999999999999996\n"
        "  interval: bca\n"
        "  correction: holm\n"
        "  family: question\n"
        "runtime:\n"
        "  threads: 1\n"
        "  memory: 0\n"
        "  plugin_dir: null\n";
    expect_str(text, want, "canonical text of minimal.yaml");
    sc_free(text);

    char buf[512];
    rc = sc_spec_path(&s, s.features, "d1", "m2", buf, sizeof buf, &err);
    expect_int(rc, SC_OK, "sc_spec_path");
    expect_str(buf, OK_DIR "/../data/zoo/d1/m2.npy", "template expanded");
    rc = sc_spec_path(&s, "/abs/{dataset}.txt", "d1", NULL, buf, sizeof buf,
                      &err);
    expect_str(buf, "/abs/d1.txt", "absolute template ignores root");
    rc = sc_spec_path(&s, s.features, "d1", "m2", buf, 20, &err);
    expect_int(rc, SC_EINVAL, "path longer than the buffer");
    expect_contains(err.msg, "is longer than 20 bytes", "says how long");
    rc = sc_spec_path(&s, s.features, "d1", NULL, buf, sizeof buf, &err);
    expect_int(rc, SC_EINVAL, "{model} without a model name");
    sc_spec_where(&s, s.models[1].loc, buf, sizeof buf);
    expect_str(buf, OK_DIR "/minimal.yaml:9:5: ", "sc_spec_where");
    sc_spec_free(&s);
}

SC_TEST(canonical_ignores_quoting_and_flow_style)
{
    /* The same spec in block style with quotes must give the same text:
     * the manifest hash depends on content, not spelling. */
    const char *b = "name: 't'\n"
                    "data:\n"
                    "  features: '{dataset}/{model}.npy'\n"
                    "models:\n"
                    "  - name: a\n"
                    "    objective: \"sup\"\n"
                    "  - name: b\n"
                    "    objective: ssl\n"
                    "datasets:\n"
                    "  - name: d1\n"
                    "metrics:\n"
                    "  - name: cka\n"
                    "    plugin: cka\n";
    sc_spec s1, s2;
    char msg[SC_ERR_MSG];
    char *t1 = NULL, *t2 = NULL;
    int rc1 = load_text(HEAD, &s1, msg, sizeof msg);
    int rc2 = load_text(b, &s2, msg, sizeof msg);
    expect_int(rc1 | rc2, SC_OK, "both load");
    if (rc1 == SC_OK && rc2 == SC_OK) {
        sc_spec_canonical(&s1, &t1, NULL);
        sc_spec_canonical(&s2, &t2, NULL);
        expect_str(t1, t2, "flow vs block, plain vs quoted: same text");
    }
    sc_free(t1);
    sc_free(t2);
    sc_spec_free(&s1);
    sc_spec_free(&s2);
}

/* One case: spec text -> expected status and message after the path. */
typedef struct bad_case {
    const char *text;
    int rc;
    const char *msg;
} bad_case;

SC_TEST(errors_verbatim)
{
    char big_depth[512];
    /* 17 nested flow sequences: one past SC_SPEC_MAX_DEPTH (16). */
    snprintf(big_depth, sizeof big_depth, "name: t\nx: %s%s\n",
             "[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]");
    const bad_case cases[] = {
        {big_depth, SC_ESPEC,
         ":2:19: nesting deeper than 16 levels; a spec needs at most 5"},
        {"? [a, b]\n: c\n", SC_ESPEC,
         ":1:3: mapping keys must be plain text, found a sequence"},
        {"name: t\nname: u\n", SC_ESPEC,
         ":2:1: duplicate key 'name' (first at line 1, column 1); remove one "
         "of them"},
        {"name: \xff\n", SC_ESPEC,
         ": byte offset 6: invalid leading UTF-8 octet; save the spec as "
         "UTF-8 text"},
        /* libyaml puts the empty document's null after the "---" line. */
        {"---\n", SC_ESPEC,
         ":2:1: top level: expected a mapping of keys (name:, data:, models:, "
         "...), found null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_spec s;
        char msg[SC_ERR_MSG];
        int rc = load_text(cases[i].text, &s, msg, sizeof msg);
        expect_int(rc, cases[i].rc, "case %zu status", i);
        expect_str(msg, cases[i].msg, "case %zu message", i);
        expect_true(s.name == NULL && s.models == NULL,
                    "case %zu: spec left empty", i);
        sc_spec_free(&s);
    }
}

SC_TEST(more_semantic_errors)
{
    /* HEAD plus one section; messages after the path. */
    const bad_case cases[] = {
        {"analyses:\n  consistency: {anchors: [a]}\n", SC_ESPEC,
         ":12:26: analyses.consistency.anchors: anchors are compared with "
         "each category of a groupby attribute; add groupby"},
        {"runtime: {threads: 0}\n", SC_ESPEC,
         ":11:20: runtime.threads: expected a positive integer up to 1024, "
         "found '0'"},
        {"runtime: {memory: lots}\n", SC_ESPEC,
         ":11:19: runtime.memory: expected a size such as 512M or 8G, found "
         "'lots'"},
        {"statistics: {over: pairs}\n", SC_ESPEC,
         ":11:20: statistics.over: expected one of models, stimuli, "
         "datasets, found 'pairs'"},
        {"statistics: {interval: normal}\n", SC_ESPEC,
         ":11:24: statistics.interval: expected one of percentile, bca, "
         "found 'normal'"},
        {"statistics: {ci: 0}\n", SC_ESPEC,
         ":11:18: statistics.ci: expected a confidence level strictly "
         "between 0 and 1 (e.g. 0.95), found '0'"},
        {"analyses:\n  contrasts: [{attribute: objective}, "
         "{attribute: objective}]\n",
         SC_ESPEC,
         ":12:51: analyses.contrasts[1].attribute: 'objective' is listed "
         "twice"},
        {"seed: -3\n", SC_ESPEC,
         ":11:7: seed: expected an integer from 0 to 2^64-1, found '-3'"},
        {"seed: 18446744073709551616\n", SC_ESPEC,
         ":11:7: seed: expected an integer from 0 to 2^64-1, found "
         "'18446744073709551616'"},
        {"behaviour: {accuracy: ''}\n", SC_ESPEC,
         ":11:23: behaviour.accuracy: expected a non-empty string, found "
         "''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%s%s", HEAD, cases[i].text);
        sc_spec s;
        char msg[SC_ERR_MSG];
        int rc = load_text(text, &s, msg, sizeof msg);
        expect_int(rc, cases[i].rc, "semantic case %zu status", i);
        expect_str(msg, cases[i].msg, "semantic case %zu message", i);
        sc_spec_free(&s);
    }
    /* Required keys are checked before values, so the name test needs
     * the full HEAD with its first line replaced. */
    {
        char text[2048];
        snprintf(text, sizeof text, "name: ..\n%s", HEAD + strlen("name: t\n"));
        sc_spec s;
        char msg[SC_ERR_MSG];
        int rc = load_text(text, &s, msg, sizeof msg);
        expect_int(rc, SC_ESPEC, "name '..' rejected");
        expect_str(msg,
                   ":1:7: name: expected a name of letters, digits, '_', "
                   "'.', '-' (not starting with '.' or '-'), found '..'",
                   "name '..' message");
        sc_spec_free(&s);
    }
    /* correction: none is representable. */
    char text[2048];
    snprintf(text, sizeof text, "%sstatistics: {correction: none}\n", HEAD);
    sc_spec s;
    char msg[SC_ERR_MSG];
    int rc = load_text(text, &s, msg, sizeof msg);
    expect_int(rc, SC_OK, "correction none loads");
    expect_int(s.correction, SC_SPEC_CORRECTION_NONE, "correction none");
    sc_spec_free(&s);
}

SC_TEST(file_level_errors)
{
    sc_spec s;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load("/nonexistent/x.yaml", &s, &err);
    expect_int(rc, SC_EIO, "missing spec file");
    expect_str(err.msg,
               "/nonexistent/x.yaml: cannot open the spec: No such file or "
               "directory",
               "missing spec message");
    /* One byte over 1 MiB of comment lines. */
    size_t n = SC_SPEC_MAX_BYTES + 1;
    char *big = malloc(n);
    if (big == NULL)
        return;
    memset(big, '#', n);
    for (size_t i = 79; i < n; i += 80)
        big[i] = '\n';
    const char *p = write_tmp(big, n);
    free(big);
    rc = sc_spec_load(p, &s, &err);
    expect_int(rc, SC_ESPEC, "spec over 1 MiB");
    expect_contains(err.msg,
                    ": spec larger than 1048576 bytes; a spec lists models "
                    "and datasets, not data",
                    "size cap message");
    unlink(p);
}

SC_TEST(inputs_check_fixture_zoo)
{
    sc_spec s;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(OK_DIR "/full.yaml", &s, &err);
    if (!expect_int(rc, SC_OK, "load full.yaml"))
        return;
    sc_inputs_report r;
    rc = sc_inputs_check(&s, SC_INPUTS_SCAN_VALUES, &r, &err);
    expect_int(rc, SC_OK, "inputs ok (%s)", err.msg);
    if (rc == SC_OK) {
        /* make_data.py: 12 x (3 + k) for model index k. */
        expect_int((long long)r.rows[0], 12, "d1 rows");
        expect_int((long long)r.rows[1], 12, "d2 rows");
        expect_int((long long)r.cols[1 * 4 + 3], 6, "d2/m4 has 6 columns");
        expect_int((long long)r.nproblems, 0, "no problems");
    }
    sc_inputs_report_deinit(&r);
    /* Behaviour values: first row of data/behaviour.csv as written by
     * make_data.py is d1,m1 with a 4-decimal accuracy in [0.5, 0.95]. */
    double acc[8];
    rc = sc_behaviour_load(&s, acc, &err);
    expect_int(rc, SC_OK, "behaviour table loads");
    FILE *f = fopen(SC_TEST_DIR "/spec/data/behaviour.csv", "r");
    char line[128];
    double want = -1;
    if (f != NULL && fgets(line, sizeof line, f) && fgets(line, sizeof line, f))
        want = strtod(strrchr(line, ',') + 1, NULL);
    if (f != NULL)
        fclose(f);
    expect_abs(acc[0], want, 0.0, "acc[d1][m1] equals the file's value");
    sc_spec_free(&s);
}

SC_TEST(behaviour_table_errors)
{
    sc_spec s;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spec_load(OK_DIR "/full.yaml", &s, &err);
    if (!expect_int(rc, SC_OK, "load full.yaml"))
        return;
    char *orig = s.behaviour_accuracy;
    char path[256];
    snprintf(path, sizeof path, "/tmp/sc_test_beh_%ld.csv", (long)getpid());
    s.behaviour_accuracy = path;
    const bad_case cases[] = {
        {"model,dataset,accuracy\nm1,d1,0.5\n", SC_EIO,
         ": no accuracy for dataset 'd1' and model 'm2'; add the row "
         "'d1,m2,ACCURACY'"},
        {"dataset,model,acc\n", SC_EIO,
         ":1: expected a header with the columns dataset,model,accuracy, "
         "found 'dataset'"},
        {"dataset,model,accuracy\r\nd1,m1,0.5\r\nd1,m1\r\n", SC_EIO,
         ":3: expected 3 fields like the header, found 2"},
        {"dataset,model,accuracy\nd1,m1,high\n", SC_EIO,
         ":2: accuracy: expected a finite number, found 'high'"},
        /* strtod reads hexadecimal; accuracies are decimal (issue 18). */
        {"dataset,model,accuracy\nd1,m1,0x1p-1\n", SC_EIO,
         ":2: accuracy: expected a finite number, found '0x1p-1'"},
        {"dataset,model,accuracy\nd1,m1,0.5\n\nd1,m1,0.6\n", SC_EIO,
         ":4: second row for dataset 'd1' and model 'm1' (first at line 2); "
         "keep one"},
        {"dataset,model,accuracy\n\"d1\",m1,0.5\n", SC_EIO,
         ":2: quoted fields are not supported; write plain "
         "dataset,model,accuracy values"},
        {"", SC_EIO,
         ": empty file; expected a header dataset,model,accuracy and one row "
         "per pair"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "w");
        if (f == NULL)
            break;
        fputs(cases[i].text, f);
        fclose(f);
        double acc[8];
        rc = sc_behaviour_load(&s, acc, &err);
        expect_int(rc, cases[i].rc, "behaviour case %zu status", i);
        const char *tail = strncmp(err.msg, path, strlen(path)) == 0
                               ? err.msg + strlen(path)
                               : err.msg;
        expect_str(tail, cases[i].msg, "behaviour case %zu message", i);
    }
    /* A complete table in another column order, with an extra column and
     * a row for a model the spec does not have. */
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs("accuracy,note,model,dataset\n", f);
        const char *ds[] = {"d1", "d2"}, *ms[] = {"m1", "m2", "m3", "m4"};
        for (int d = 0; d < 2; d++)
            for (int m = 0; m < 4; m++)
                fprintf(f, "%.3f,x,%s,%s\n", 0.5 + 0.01 * (d * 4 + m), ms[m],
                        ds[d]);
        fputs("0.1,x,other,d1\n", f);
        fclose(f);
    }
    double acc[8];
    rc = sc_behaviour_load(&s, acc, &err);
    expect_int(rc, SC_OK, "reordered columns load (%s)", err.msg);
    expect_abs(acc[1 * 4 + 2], 0.56, 1e-15, "acc[d2][m3] = 0.5 + 0.06");
    unlink(path);
    s.behaviour_accuracy = orig;
    sc_spec_free(&s);
}

SC_TEST(no_leaks_under_allocation_failure)
{
    /* Fail the 1st, 2nd, ... allocation until a load succeeds; every
     * attempt must end in SC_OK or SC_ENOMEM with an empty spec. LSan (the
     * asan build) reports any leak at exit. */
    long n;
    int rc = SC_ENOMEM;
    for (n = 1; n < 5000 && rc == SC_ENOMEM; n++) {
        sc_spec s;
        sc_err err;
        sc_mem_fail_after(n);
        rc = sc_spec_load(OK_DIR "/full.yaml", &s, &err);
        char *text = NULL;
        int crc = rc == SC_OK ? sc_spec_canonical(&s, &text, &err) : SC_OK;
        sc_mem_fail_after(0);
        if (rc != SC_OK && rc != SC_ENOMEM)
            break;
        if (rc == SC_ENOMEM && s.models != NULL)
            break;
        if (crc == SC_ENOMEM)
            rc = SC_ENOMEM; /* keep going until canonical succeeds too */
        sc_free(text);
        sc_spec_free(&s);
    }
    expect_int(rc, SC_OK,
               "load + canonical succeed after %ld injected "
               "failures, each one SC_ENOMEM",
               n - 2);
    /* Same for an error path (unknown key deep in the file) and for the
     * input checks. */
    rc = SC_ENOMEM;
    char text[2048];
    snprintf(text, sizeof text, "%sstatistics: {bootsrap: 1}\n", HEAD);
    const char *p = write_tmp(text, strlen(text));
    for (n = 1; n < 5000 && rc == SC_ENOMEM; n++) {
        sc_spec s;
        sc_err err;
        sc_mem_fail_after(n);
        rc = sc_spec_load(p, &s, &err);
        sc_mem_fail_after(0);
        sc_spec_free(&s);
    }
    expect_int(rc, SC_ESPEC, "error path reached after injected failures");
    unlink(p);
    sc_spec s;
    sc_err err;
    rc = sc_spec_load(OK_DIR "/full.yaml", &s, &err);
    int irc = SC_ENOMEM;
    for (n = 1; n < 5000 && irc == SC_ENOMEM && rc == SC_OK; n++) {
        sc_inputs_report r;
        sc_mem_fail_after(n);
        irc = sc_inputs_check(&s, SC_INPUTS_SCAN_VALUES, &r, &err);
        sc_mem_fail_after(0);
        sc_inputs_report_deinit(&r);
    }
    expect_int(irc, SC_OK,
               "inputs check succeeds after %ld injected "
               "failures",
               n - 2);
    sc_spec_free(&s);
}

/* Issue 18, defect 11: duplicate keys are found through a hash index of
 * each mapping (it was a scan of every earlier key: 30 s of CPU for 95,000
 * keys). This checks the index finds them, with both positions, among many
 * keys (so the table has grown and rehashed many times) at the top level
 * and in a nested mapping, and that a map of distinct keys that all share a
 * long prefix passes the parser (the error then comes from validation). */
SC_TEST(duplicate_keys_among_many)
{
    enum { NKEYS = 60000 };
    size_t cap = (size_t)NKEYS * 32 + 256;
    char *text = malloc(cap);
    if (!expect_true(text != NULL, "allocate the spec text"))
        return;
    /* Top level: name, k0..k59999, then k31337 again. Key k_i is on line
     * i + 2 (line 1 is "name: t"). */
    size_t len = (size_t)snprintf(text, cap, "name: t\n");
    for (int i = 0; i < NKEYS; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%d: 1\n", i);
    len += (size_t)snprintf(text + len, cap - len, "k31337: 2\n");
    sc_spec s;
    char msg[SC_ERR_MSG];
    int rc = load_text(text, &s, msg, sizeof msg);
    expect_int(rc, SC_ESPEC, "top-level duplicate among %d keys", NKEYS);
    expect_str(msg,
               ":60002:1: duplicate key 'k31337' (first at line 31339, "
               "column 1); remove one of them",
               "top-level duplicate: both positions");
    sc_spec_free(&s);

    /* Nested: models[0] holds 40,000 metadata keys, the last repeating the
     * first; indented by 4 under "  - ". */
    len = (size_t)snprintf(text, cap, "name: t\nmodels:\n  - name: m\n");
    for (int i = 0; i < 40000; i++)
        len += (size_t)snprintf(text + len, cap - len, "    key_%d: v\n", i);
    len += (size_t)snprintf(text + len, cap - len, "    key_0: w\n");
    rc = load_text(text, &s, msg, sizeof msg);
    expect_int(rc, SC_ESPEC, "nested duplicate among 40,000 keys");
    expect_str(msg,
               ":40004:5: duplicate key 'key_0' (first at line 4, column 5); "
               "remove one of them",
               "nested duplicate: both positions");
    sc_spec_free(&s);

    /* No duplicate: the parser accepts the tree; the validator then stops
     * at the first unknown top-level key. */
    len = (size_t)snprintf(text, cap, "name: t\n");
    for (int i = 0; i < 35000; i++) /* 27 bytes each: under 1 MiB */
        len += (size_t)snprintf(text + len, cap - len,
                                "same_long_prefix_%d: 1\n", i);
    rc = load_text(text, &s, msg, sizeof msg);
    expect_int(rc, SC_ESPEC, "distinct keys pass the duplicate check");
    expect_true(strstr(msg, ":2:1: same_long_prefix_0: unknown key") != NULL,
                "distinct keys: the error is the validator's (%s)", msg);
    sc_spec_free(&s);
    free(text);
}

/* Issue 18, defect 12: a control character from a spec scalar reaches the
 * message escaped, so the message stays one line and sends no terminal
 * escape sequence. YAML's "\e", "\a", "\r", "\n" are ESC, BEL, CR, LF. */
SC_TEST(control_characters_escaped)
{
    sc_spec s;
    char msg[SC_ERR_MSG];
    char text[1024];
    /* HEAD with its first line (name: t) replaced. */
    snprintf(text, sizeof text, "name: \"a\\e[31mb\\a\\r\\nc\"\n%s",
             strchr(HEAD, '\n') + 1);
    int rc = load_text(text, &s, msg, sizeof msg);
    expect_int(rc, SC_ESPEC, "bad name status");
    expect_str(msg,
               ":1:7: name: expected a name of letters, digits, '_', '.', "
               "'-' (not starting with '.' or '-'), found "
               "'a\\x1b[31mb\\x07\\r\\nc'",
               "ESC, BEL, CR and LF are escaped");
    sc_spec_free(&s);
    char out[16];
    expect_int((long long)sc_escape_ctl(out, sizeof out, "\x1b\x1b\x1b\x1b"),
               12, "escape cuts at a whole escape");
    expect_str(out, "\\x1b\\x1b\\x1b", "three whole escapes fit in 16");
}

int main(void)
{
    return sc_test_run();
}
