/* Planned runs: the plan file, one task, task records (see run_plan.h). */
#include "run_plan.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "mem.h"
#include "npy.h"
#include "run_internal.h"
#include "sha256.h"

#define PLAN_MAGIC "# simcon plan v1"

void sc_plan_work_dir(const char *out, char *buf, size_t cap)
{
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        n--;
    snprintf(buf, cap, "%.*s.tasks", (int)n, out);
}

size_t sc_plan_nsim(const sc_spec *spec)
{
    return spec->ndatasets * spec->nmetrics;
}

static void sub_path(const char *out, const char *rel, char *buf, size_t cap)
{
    char work[SC_PLAN_PATH_CAP];
    sc_plan_work_dir(out, work, sizeof work);
    if (snprintf(buf, cap, "%s/%s", work, rel) >= (int)cap)
        buf[0] = '\0'; /* too long: no such path */
}

int sc_plan_write(const sc_spec *spec, const char *out, sc_err *err)
{
    char sha[SC_SHA256_HEX], path[SC_PLAN_PATH_CAP];
    int st = sc_sha256_file(spec->path, sha, err);
    const char *dirs[] = {".cache", "records"};
    for (size_t i = 0; i < 2 && st == SC_OK; i++) {
        sub_path(out, dirs[i], path, sizeof path);
        st = sc_mkdir_p(path, err);
    }
    if (st != SC_OK)
        return st;
    sc_buf b = {0};
    sc_buf_printf(&b,
                  "%s: the tasks of 'simcon run %s -o %s'; run one with "
                  "--task ID\nspec\t%s\nspec_sha256\t%s\n",
                  PLAN_MAGIC, spec->path, out, spec->path, sha);
    size_t M = spec->nmetrics, nsim = sc_plan_nsim(spec);
    for (size_t i = 0; i < nsim; i++)
        sc_buf_printf(&b, "task\tsimilarity/%zu\tsimilarity\t%s\t%s\t-\n", i,
                      spec->datasets[i / M].name, spec->metrics[i % M].name);
    sc_buf_printf(&b, "task\tassemble\tassemble\t-\t-\tsimilarity/0-%zu\n",
                  nsim > 0 ? nsim - 1 : 0);
    st = sc_buf_check(&b, "the plan", err);
    sub_path(out, "plan.txt", path, sizeof path);
    if (st == SC_OK)
        st = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return st;
}

void sc_plan_print(const sc_spec *spec, FILE *f)
{
    size_t M = spec->nmetrics, nsim = sc_plan_nsim(spec);
    fprintf(f, "%-16s %-11s %-20s %-20s %s\n", "ID", "STAGE", "DATASET",
            "METRIC", "DEPENDS");
    for (size_t i = 0; i < nsim; i++) {
        char id[64];
        snprintf(id, sizeof id, "similarity/%zu", i);
        fprintf(f, "%-16s %-11s %-20s %-20s %s\n", id, "similarity",
                spec->datasets[i / M].name, spec->metrics[i % M].name, "-");
    }
    char dep[64];
    snprintf(dep, sizeof dep, "similarity/0-%zu", nsim > 0 ? nsim - 1 : 0);
    fprintf(f, "%-16s %-11s %-20s %-20s %s\n", "assemble", "assemble", "-", "-",
            dep);
}

/* Read the plan's spec hash into sha. SC_EIO naming the path. */
static int plan_sha(const char *out, char sha[SC_SHA256_HEX], sc_err *err)
{
    char path[SC_PLAN_PATH_CAP];
    sub_path(out, "plan.txt", path, sizeof path);
    char *text = NULL;
    size_t len = 0;
    int st = sc_read_text(path, &text, &len, err);
    if (st != SC_OK)
        return st;
    const char *line = strstr(text, "\nspec_sha256\t");
    if (strncmp(text, PLAN_MAGIC, strlen(PLAN_MAGIC)) != 0 || line == NULL ||
        strlen(line) < 13 + SC_SHA256_HEX - 1) {
        sc_free(text);
        return sc_err_set(err, SC_EIO,
                          "%s: not a simcon plan; make it with 'simcon run "
                          "SPEC -o OUT --plan'",
                          path);
    }
    memcpy(sha, line + 13, SC_SHA256_HEX - 1);
    sha[SC_SHA256_HEX - 1] = '\0';
    sc_free(text);
    return SC_OK;
}

bool sc_plan_matches(const sc_spec *spec, const char *out, bool *exists)
{
    char path[SC_PLAN_PATH_CAP], want[SC_SHA256_HEX], have[SC_SHA256_HEX];
    sub_path(out, "plan.txt", path, sizeof path);
    *exists = access(path, F_OK) == 0;
    sc_err ignored;
    return *exists && plan_sha(out, want, &ignored) == SC_OK &&
           sc_sha256_file(spec->path, have, &ignored) == SC_OK &&
           strcmp(want, have) == 0;
}

/* ## Task records */

/* Where this process runs: host and the Slurm job ids of its environment
 * ("" outside Slurm), as JSON members. */
static void where_json(sc_buf *b)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    sc_buf_puts(b, "\"host\": ");
    sc_buf_json(b, host);
    const char *vars[][2] = {{"slurm_job_id", "SLURM_JOB_ID"},
                             {"slurm_array_job_id", "SLURM_ARRAY_JOB_ID"},
                             {"slurm_array_task_id", "SLURM_ARRAY_TASK_ID"}};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i][1]);
        sc_buf_printf(b, ", \"%s\": ", vars[i][0]);
        sc_buf_json(b, v != NULL ? v : "");
    }
    sc_buf_printf(b, ", \"pid\": %ld", (long)getpid());
}

int sc_plan_write_record(const char *out, const char *task, const char *file,
                         const char *ds, const char *metric, bool cached,
                         const char *key, double seconds, sc_err *err)
{
    sc_buf b = {0};
    sc_buf_puts(&b, "{\"task\": ");
    sc_buf_json(&b, task);
    sc_buf_puts(&b, ", \"dataset\": ");
    sc_buf_json(&b, ds);
    sc_buf_puts(&b, ", \"metric\": ");
    sc_buf_json(&b, metric);
    sc_buf_printf(&b, ", \"result\": \"%s\", \"key\": \"%s\", ",
                  cached ? "cached" : "computed", key);
    where_json(&b);
    sc_buf_printf(&b, ", \"seconds\": %.3f}\n", seconds);
    char host[256] = "", rel[512], path[SC_PLAN_PATH_CAP];
    (void)gethostname(host, sizeof host - 1);
    for (char *c = host; *c; c++)
        if (*c == '/')
            *c = '_';
    snprintf(rel, sizeof rel, "records/%s.%s.%ld.json", file, host,
             (long)getpid());
    sub_path(out, rel, path, sizeof path);
    int st = sc_buf_check(&b, "a task record", err);
    if (st == SC_OK)
        st = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sc_run_plan_records_json(const char *task_dir, sc_buf *b)
{
    char path[SC_PLAN_PATH_CAP];
    snprintf(path, sizeof path, "%s/records", task_dir);
    char **names = NULL;
    size_t n = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 ||
            strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char **grown = sc_realloc(names, (n + 1) * sizeof *names);
        if (grown == NULL)
            break;
        names = grown;
        if ((names[n] = sc_strdup(e->d_name)) != NULL)
            n++;
    }
    if (d != NULL)
        closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_str);
    sc_buf_puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        char full[SC_PLAN_PATH_CAP * 2];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        char *text = NULL;
        size_t len = 0;
        sc_err ignored;
        /* Our own one-line objects; anything else is skipped. */
        if (sc_read_text(full, &text, &len, &ignored) == SC_OK && len > 2 &&
            text[0] == '{' && text[len - 1] == '\n' && text[len - 2] == '}' &&
            memchr(text, '\n', len - 1) == NULL) {
            text[len - 1] = '\0';
            sc_buf_printf(b, "\n    %s,", text);
        }
        sc_free(text);
        sc_free(names[i]);
    }
    sc_free(names);
    /* The assemble step itself: this process. */
    sc_buf_puts(b, "\n    {\"task\": \"assemble\", ");
    where_json(b);
    sc_buf_puts(b, "}\n  ]");
}

/* ## Checks before a task */

int sc_plan_check(const sc_spec *spec, const char *out, sc_err *err)
{
    char path[SC_PLAN_PATH_CAP], want[SC_SHA256_HEX], have[SC_SHA256_HEX];
    char host[256] = "";
    (void)gethostname(host, sizeof host - 1);
    sub_path(out, "plan.txt", path, sizeof path);
    if (access(path, R_OK) != 0)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot read the plan on host %s (%s); run "
                          "'simcon run %s -o %s --plan' first, with -o on a "
                          "filesystem that every node shares",
                          path, host, strerror(errno), spec->path, out);
    int st = plan_sha(out, want, err);
    if (st == SC_OK)
        st = sc_sha256_file(spec->path, have, err);
    if (st != SC_OK)
        return st;
    if (strcmp(want, have) != 0)
        return sc_err_set(err, SC_EIO,
                          "%s: changed since the plan %s was made (spec "
                          "sha256 %.12s..., plan %.12s...); make a new plan "
                          "(--plan, or simcon slurm) and run its tasks",
                          spec->path, path, have, want);
    sub_path(out, ".cache", path, sizeof path);
    if (access(path, W_OK | X_OK) != 0)
        return sc_err_set(err, SC_EIO,
                          "%s: the task cache is not writable on host %s "
                          "(%s); -o must be on a filesystem that every node "
                          "shares",
                          path, host, strerror(errno));
    return SC_OK;
}

/* ## Memory estimate */

int sc_plan_estimate(const sc_spec *spec, unsigned threads, size_t budget,
                     size_t *sim_bytes, size_t *assemble_bytes, sc_err *err)
{
    const double base = 64.0 * 1024 * 1024;
    double m = (double)spec->nmodels, M = (double)spec->nmetrics;
    double D = (double)spec->ndatasets, T = threads > 0 ? threads : 1;
    double sim = 0, asmb = base + 32.0 * M * D * m * m;
    bool stimuli = spec->over == SC_OVER_STIMULI && spec->bootstrap > 0;
    if (stimuli)
        asmb += 8.0 * (double)spec->bootstrap * M * D * m * m;
    char path[SC_PLAN_PATH_CAP];
    for (size_t d = 0; d < spec->ndatasets; d++) {
        double n = 0, dmax = 0, dsum = 0;
        for (size_t i = 0; i < spec->nmodels; i++) {
            size_t rows = 0, cols = 0;
            int st = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                                  spec->models[i].name, path, sizeof path, err);
            if (st == SC_OK)
                st = sc_npy_peek_ex(
                    path, spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0, &rows,
                    &cols, err);
            if (st != SC_OK)
                return st;
            n = (double)rows;
            if (spec->max_stimuli > 0 && n > (double)spec->max_stimuli)
                n = (double)spec->max_stimuli;
            dmax = (double)cols > dmax ? (double)cols : dmax;
            dsum += (double)cols;
        }
        double e = 4.0 * m * n * (n + 1);
        if (budget > 0 && e > (double)budget)
            e = (double)budget;
        double s = base + T * (16.0 * n * dmax + 16.0 * n * n) + e;
        sim = s > sim ? s : sim;
        if (stimuli) {
            double a = base + 32.0 * M * D * m * m +
                       8.0 * (double)spec->bootstrap * M * D * m * m +
                       8.0 * n * dsum + T * 16.0 * n * n;
            asmb = a > asmb ? a : asmb;
        }
    }
    *sim_bytes = sim >= 1e18 ? (size_t)1e18 : (size_t)sim;
    *assemble_bytes = asmb >= 1e18 ? (size_t)1e18 : (size_t)asmb;
    return SC_OK;
}

int sc_plan_embed_bytes(const sc_spec *spec, size_t *bytes, sc_err *err)
{
    double m = (double)spec->nmodels, best = 0;
    char path[SC_PLAN_PATH_CAP];
    for (size_t d = 0; d < spec->ndatasets; d++) {
        size_t rows = 0, cols = 0;
        int st = SC_OK;
        if (spec->nmodels > 0)
            st = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                              spec->models[0].name, path, sizeof path, err);
        if (st == SC_OK && spec->nmodels > 0)
            st = sc_npy_peek_ex(path,
                                spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0,
                                &rows, &cols, err);
        if (st != SC_OK)
            return st;
        double n = (double)rows;
        if (spec->max_stimuli > 0 && n > (double)spec->max_stimuli)
            n = (double)spec->max_stimuli;
        double e = 4.0 * m * n * (n + 1);
        best = e > best ? e : best;
    }
    *bytes = best >= 1e18 ? (size_t)1e18 : (size_t)best;
    return SC_OK;
}
