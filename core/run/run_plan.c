/* Planned runs: the plan file, one task, task records (see run_plan.h). */
#include "run_plan.h"
#include "simblock.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "mem.h"
#include "npy.h"
#include "run_internal.h"
#include "sha256.h"
#include "simmat.h"
#include "spill.h"
#include "stat_limits.h"

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

static void assemble_deps(const sc_plan_layout *lay, size_t nsim, char *buf,
                          size_t cap);

size_t sc_plan_blocks(const sc_spec *spec)
{
    return spec->model_blocks > 1 ? spec->model_blocks : 1;
}

size_t sc_plan_npairs(const sc_spec *spec)
{
    size_t K = sc_plan_blocks(spec);
    return K > 1 ? K * (K + 1) / 2 : 0;
}

void sc_plan_pair_of(size_t K, size_t p, size_t *b1, size_t *b2)
{
    size_t a = 0;
    while (p >= K - a) {
        p -= K - a;
        a++;
    }
    *b1 = a;
    *b2 = a + p;
}

void sc_plan_each_task(const sc_spec *spec, const sc_plan_layout *lay,
                       sc_plan_task_fn fn, void *ud)
{
    size_t M = spec->nmetrics, nsim = sc_plan_nsim(spec);
    size_t K = sc_plan_blocks(spec), P = sc_plan_npairs(spec);
    char id[64], dep[256];
    for (size_t i = 0; i < nsim; i++) {
        const char *ds = spec->datasets[i / M].name;
        const char *mt = spec->metrics[i % M].name;
        for (size_t b = 0; b < K && P > 0; b++) {
            snprintf(id, sizeof id, "prepare/%zu/%zu", i, b);
            fn(ud, id, "prepare", ds, mt, "-");
        }
        for (size_t p = 0; p < P; p++) {
            size_t b1 = 0, b2 = 0;
            sc_plan_pair_of(K, p, &b1, &b2);
            snprintf(id, sizeof id, "pairs/%zu/%zu-%zu", i, b1, b2);
            if (b1 == b2)
                snprintf(dep, sizeof dep, "prepare/%zu/%zu", i, b1);
            else
                snprintf(dep, sizeof dep, "prepare/%zu/%zu,prepare/%zu/%zu", i,
                         b1, i, b2);
            fn(ud, id, "pairs", ds, mt, dep);
        }
        snprintf(id, sizeof id, "similarity/%zu", i);
        snprintf(dep, sizeof dep, "pairs/%zu/*", i);
        fn(ud, id, "similarity", ds, mt, P > 0 ? dep : "-");
    }
    snprintf(dep, sizeof dep, "similarity/0-%zu", nsim > 0 ? nsim - 1 : 0);
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        for (size_t c = 0; c < lay->chunks[g]; c++) {
            snprintf(id, sizeof id, "%s/%zu", sc_plan_stage_names[g], c);
            fn(ud, id, sc_plan_stage_names[g], "-", "-", dep);
        }
    assemble_deps(lay, nsim, dep, sizeof dep);
    fn(ud, "assemble", "assemble", "-", "-", dep);
}

static void sub_path(const char *out, const char *rel, char *buf, size_t cap)
{
    char work[SC_PLAN_PATH_CAP];
    sc_plan_work_dir(out, work, sizeof work);
    if (snprintf(buf, cap, "%s/%s", work, rel) >= (int)cap)
        buf[0] = '\0'; /* too long: no such path */
}

/* sc_runctx counts the units of each stage in this order. */
_Static_assert(sizeof(((sc_runctx *)0)->units_reused) / sizeof(size_t) ==
                   SC_PLAN_NSTAGES,
               "units_reused has one entry per statistics stage");

const char *const sc_plan_stage_names[SC_PLAN_NSTAGES] = {
    "consistency", "contrasts", "behaviour"};

/* Distinct non-empty domains of the datasets. */
static size_t count_domains(const sc_spec *spec)
{
    size_t n = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        const char *dm = spec->datasets[d].domain;
        bool seen = dm == NULL || dm[0] == '\0';
        for (size_t e = 0; e < d && !seen; e++)
            seen = spec->datasets[e].domain != NULL &&
                   strcmp(spec->datasets[e].domain, dm) == 0;
        n += !seen;
    }
    return n;
}

bool sc_plan_stimulus_reps(const sc_spec *spec)
{
    return SC_STIMULUS_CI_VALIDATED && spec->over == SC_OVER_STIMULI &&
           spec->bootstrap > 0;
}

size_t sc_plan_units(const sc_spec *spec, int stage)
{
    size_t D = spec->ndatasets, M = spec->nmetrics;
    bool stimuli = sc_plan_stimulus_reps(spec);
    switch (stage) {
    case SC_PLAN_CONS:
        if (!spec->consistency_enabled || D < 2 || stimuli)
            return 0;
        return M * (D * (D - 1) / 2);
    case SC_PLAN_CONTRASTS:
        return D < 2 ? 0 : M * spec->ncontrasts;
    case SC_PLAN_BEHAVIOUR:
        if (!spec->behaviour_enabled || stimuli)
            return 0;
        return M * (D + count_domains(spec) + 1);
    default:
        return 0;
    }
}

int sc_plan_chunks(const sc_spec *spec, size_t want, sc_plan_layout *lay,
                   sc_err *err)
{
    memset(lay, 0, sizeof *lay);
    sc_plan_cpu cpu;
    bool have_cpu = false;
    for (int g = 0; g < SC_PLAN_NSTAGES; g++) {
        size_t units = sc_plan_units(spec, g), n = want;
        if (units == 0)
            continue;
        if (n == 0) {
            if (!have_cpu) {
                int st = sc_plan_cpu_estimate(spec, &cpu, err);
                if (st != SC_OK)
                    return st;
                have_cpu = true;
            }
            double sec = g == SC_PLAN_CONS        ? cpu.consistency
                         : g == SC_PLAN_CONTRASTS ? cpu.contrasts
                                                  : cpu.behaviour;
            double c = ceil(sec / SC_PLAN_CHUNK_CPU);
            n = c < 1 ? 1 : c >= (double)units ? units : (size_t)c;
        }
        lay->chunks[g] = n < units ? n : units;
    }
    return SC_OK;
}

void sc_plan_chunk_range(size_t units, size_t chunks, size_t c, size_t *u0,
                         size_t *u1)
{
    size_t base = chunks > 0 ? units / chunks : 0;
    size_t rem = chunks > 0 ? units % chunks : 0;
    *u0 = c * base + (c < rem ? c : rem);
    *u1 = *u0 + base + (c < rem);
}

/* simcon writes only in its output folder and its cache: DIR.tasks may be
 * missing, empty, or a task folder of simcon's (its plan.txt begins with
 * PLAN_MAGIC); anything else is a folder of the user's, which we refuse to
 * write into. SC_EIO naming it. */
static int own_work_dir(const char *out, sc_err *err)
{
    char work[SC_PLAN_PATH_CAP], plan[SC_PLAN_PATH_CAP];
    sc_plan_work_dir(out, work, sizeof work);
    sub_path(out, "plan.txt", plan, sizeof plan);
    DIR *d = opendir(work);
    if (d == NULL)
        return SC_OK; /* made by sc_mkdir_p, which names any error */
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    char head[sizeof PLAN_MAGIC] = "";
    FILE *f = empty ? NULL : fopen(plan, "rb");
    bool ours = f != NULL &&
                fread(head, 1, sizeof head - 1, f) == sizeof head - 1 &&
                strcmp(head, PLAN_MAGIC) == 0;
    if (f != NULL)
        fclose(f);
    if (empty || ours)
        return SC_OK;
    return sc_err_set(err, SC_EIO,
                      "%s: exists and is not a simcon task folder (no plan.txt "
                      "of simcon's); simcon writes only in its own folders: "
                      "move it away or choose another -o",
                      work);
}

/* What assemble depends on: every chunk task, or every similarity task
 * when there is none. */
static void assemble_deps(const sc_plan_layout *lay, size_t nsim, char *buf,
                          size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        if (lay->chunks[g] > 0 && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s/0-%zu",
                                    len > 0 ? "," : "", sc_plan_stage_names[g],
                                    lay->chunks[g] - 1);
    if (len == 0)
        snprintf(buf, cap, "similarity/0-%zu", nsim > 0 ? nsim - 1 : 0);
}

static void plan_line(void *ud, const char *id, const char *stage,
                      const char *ds, const char *metric, const char *dep)
{
    sc_buf_printf(ud, "task\t%s\t%s\t%s\t%s\t%s\n", id, stage, ds, metric, dep);
}

int sc_plan_write(const sc_spec *spec, const char *out,
                  const sc_plan_layout *lay, sc_err *err)
{
    char sha[SC_SHA256_HEX], path[SC_PLAN_PATH_CAP];
    int st = own_work_dir(out, err);
    if (st == SC_OK)
        st = sc_sha256_file(spec->path, sha, err);
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
    sc_plan_each_task(spec, lay, plan_line, &b);
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        sc_buf_printf(&b, "%s_chunks\t%zu\n", sc_plan_stage_names[g],
                      lay->chunks[g]);
    st = sc_buf_check(&b, "the plan", err);
    sub_path(out, "plan.txt", path, sizeof path);
    if (st == SC_OK)
        st = sc_atomic_write(path, b.data, b.len, err);
    sc_buf_deinit(&b);
    return st;
}

static void print_line(void *ud, const char *id, const char *stage,
                       const char *ds, const char *metric, const char *dep)
{
    fprintf(ud, "%-16s %-11s %-20s %-20s %s\n", id, stage, ds, metric, dep);
}

void sc_plan_print(const sc_spec *spec, const sc_plan_layout *lay, FILE *f)
{
    print_line(f, "ID", "STAGE", "DATASET", "METRIC", "DEPENDS");
    sc_plan_each_task(spec, lay, print_line, f);
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

int sc_plan_read_layout(const char *out, sc_plan_layout *lay, sc_err *err)
{
    char path[SC_PLAN_PATH_CAP];
    sub_path(out, "plan.txt", path, sizeof path);
    char *text = NULL;
    size_t len = 0;
    memset(lay, 0, sizeof *lay);
    int st = sc_read_text(path, &text, &len, err);
    for (int g = 0; g < SC_PLAN_NSTAGES && st == SC_OK; g++) {
        char head[64];
        int hl = snprintf(head, sizeof head, "\n%s_chunks\t",
                          sc_plan_stage_names[g]);
        const char *line = strstr(text, head);
        char *end = NULL;
        unsigned long long v = 0;
        if (line != NULL)
            v = strtoull(line + hl, &end, 10);
        if (line == NULL || end == line + hl || *end != '\n')
            st = sc_err_set(err, SC_EIO,
                            "%s: no %s_chunks line (a plan of an older "
                            "simcon?); make a new plan with --plan or "
                            "simcon slurm",
                            path, sc_plan_stage_names[g]);
        lay->chunks[g] = (size_t)v;
    }
    sc_free(text);
    return st;
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

void sc_run_plan_records_json(const sc_runctx *rc, sc_buf *b)
{
    char path[SC_PLAN_PATH_CAP];
    snprintf(path, sizeof path, "%s/records", rc->opts.task_dir);
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
    /* The assemble step itself: this process, and the units of each
     * statistics stage it read from the tasks or computed. */
    sc_buf_puts(b, "\n    {\"task\": \"assemble\", ");
    where_json(b);
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        sc_buf_printf(b,
                      ", \"%s_units\": {\"reused\": %zu, \"computed\": "
                      "%zu}",
                      sc_plan_stage_names[g], rc->units_reused[g],
                      rc->units_computed[g]);
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

/* Bytes per entry of the largest E (core/host/simmat.h) from the spec's
 * text alone (no plugin loaded): 4 when every metric's params select
 * precision: float32 (stored in float32 by simcon run, run_simmat.c), else
 * 8. */
static double spec_entry_bytes(const sc_spec *spec)
{
    for (size_t k = 0; k < spec->nmetrics; k++) {
        const sc_spec_metric *sm = &spec->metrics[k];
        bool f32 = false;
        for (size_t j = 0; j < sm->nparams; j++)
            f32 = f32 || (strcmp(sm->keys[j], "precision") == 0 &&
                          strcmp(sm->values[j], "float32") == 0);
        if (!f32)
            return 8.0;
    }
    return spec->nmetrics > 0 ? 4.0 : 8.0;
}

/* The runner's .npy header flags (run_simmat.c): vectors and, with
 * data.flatten, N-D features read as n x prod(rest). */
static unsigned peek_flags(const sc_spec *spec)
{
    return (spec->allow_vector ? SC_NPY_ALLOW_VECTOR : 0) |
           (spec->flatten ? SC_NPY_FLATTEN : 0);
}

/* Features of dataset d from the .npy headers: n (every row, before
 * max_stimuli: used_shape applies it), the sum of the models' d and, when
 * dmax is not NULL, the largest d. */
static int dataset_shape(const sc_spec *spec, size_t d, double *n, double *dsum,
                         double *dmax, sc_err *err)
{
    char path[SC_PLAN_PATH_CAP];
    *n = 0;
    *dsum = 0;
    for (size_t i = 0; i < spec->nmodels; i++) {
        size_t rows = 0, cols = 0;
        int st = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                              spec->models[i].name, path, sizeof path, err);
        if (st == SC_OK)
            st = sc_npy_peek_ex(path, peek_flags(spec), &rows, &cols, err);
        if (st != SC_OK)
            return st;
        *n = (double)rows;
        *dsum += (double)cols;
        if (dmax != NULL && (double)cols > *dmax)
            *dmax = (double)cols;
    }
    return SC_OK;
}

/* dataset_shape with n after max_stimuli. */
static int used_shape(const sc_spec *spec, size_t d, double *n, double *dsum,
                      double *dmax, sc_err *err)
{
    int st = dataset_shape(spec, d, n, dsum, dmax, err);
    if (spec->max_stimuli > 0 && *n > (double)spec->max_stimuli)
        *n = (double)spec->max_stimuli;
    return st;
}

double sc_plan_worker_bytes(double n, double d)
{
    return 1.125 * (24.0 * n * n + 20.0 * n * d);
}

size_t sc_plan_reserve(unsigned threads, double n, double d)
{
    const char *fixed = getenv("SIMCON_WORKER_RESERVE"); /* tests only */
    if (fixed != NULL && *fixed != '\0')
        return (size_t)strtoull(fixed, NULL, 10);
    double r = (threads > 0 ? threads : 1) * sc_plan_worker_bytes(n, d);
    return r >= 1e18 ? (size_t)1e18 : (size_t)r;
}

size_t sc_plan_e_room(size_t budget, size_t reserve)
{
    return budget > reserve ? budget - reserve : 0;
}

int sc_plan_dataset_reserve(const sc_spec *spec, size_t d, size_t n,
                            unsigned threads, size_t *reserve, sc_err *err)
{
    double rows = 0, dsum = 0, dmax = 0;
    int st = dataset_shape(spec, d, &rows, &dsum, &dmax, err);
    *reserve = st == SC_OK ? sc_plan_reserve(threads, (double)n, dmax) : 0;
    return st;
}

int sc_plan_reserve_max(const sc_spec *spec, unsigned threads, size_t *reserve,
                        sc_err *err)
{
    *reserve = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        double n = 0, dmax = 0, dsum = 0;
        int st = used_shape(spec, d, &n, &dsum, &dmax, err);
        if (st != SC_OK)
            return st;
        size_t r = sc_plan_reserve(threads, n, dmax);
        *reserve = r > *reserve ? r : *reserve;
    }
    return SC_OK;
}

int sc_plan_estimate(const sc_spec *spec, unsigned threads, size_t budget,
                     size_t *sim_bytes, size_t *assemble_bytes, sc_err *err)
{
    const double base = 64.0 * 1024 * 1024;
    double m = (double)spec->nmodels, M = (double)spec->nmetrics;
    double D = (double)spec->ndatasets, T = threads > 0 ? threads : 1;
    double sim = 0, asmb = base + 32.0 * M * D * m * m;
    bool stimuli = sc_plan_stimulus_reps(spec);
    if (stimuli)
        asmb += 8.0 * (double)spec->bootstrap * M * D * m * m;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        double n = 0, dmax = 0, dsum = 0;
        int st = used_shape(spec, d, &n, &dsum, &dmax, err);
        if (st != SC_OK)
            return st;
        /* The workers' prepare memory is reserved first; E stays in
         * memory only in what is left (simmat.h), else it spills and its
         * products read it in two column blocks of at most a quarter of
         * the budget each (one computed while the next is read), after
         * the workers are done. */
        double e = spec_entry_bytes(spec) / 2 * m * n * (n + 1);
        double work = T * sc_plan_worker_bytes(n, dmax);
        if (budget > 0 && e > (double)sc_plan_e_room(budget, (size_t)work)) {
            double blk = e < budget / 2.0 ? e : budget / 2.0;
            e = blk > work ? blk - work : 0;
        }
        double s = base + work + e;
        sim = s > sim ? s : sim;
        if (stimuli) {
            /* The states resident in the stimulus bootstrap, capped by the
             * budget (run_simmat.c), and per worker one state being
             * prepared from its features and one compare_subset's
             * scratch. */
            double states = 16.0 * n * n * m + 8.0 * n * dsum;
            if (budget > 0 && states > (double)budget)
                states = (double)budget;
            double a = base + 32.0 * M * D * m * m +
                       8.0 * (double)spec->bootstrap * (M * D * m * m + n) +
                       states + T * (32.0 * n * n + 16.0 * n * dmax);
            asmb = a > asmb ? a : asmb;
        }
    }
    *sim_bytes = sim >= 1e18 ? (size_t)1e18 : (size_t)sim;
    *assemble_bytes = asmb >= 1e18 ? (size_t)1e18 : (size_t)asmb;
    return SC_OK;
}

int sc_plan_block_estimate(const sc_spec *spec, unsigned threads,
                           sc_plan_blocks_est *out, sc_err *err)
{
    const double base = 64.0 * 1024 * 1024, T = threads > 0 ? threads : 1;
    size_t K = sc_plan_blocks(spec), m = spec->nmodels;
    size_t rows = (m + K - 1) / K; /* the largest block */
    memset(out, 0, sizeof *out);
    double prep = 0, rows_b = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        double n = 0, dmax = 0, dsum = 0;
        int st = used_shape(spec, d, &n, &dsum, &dmax, err);
        if (st != SC_OK)
            return st;
        /* Per worker a model's features, its normalised copy and its
         * state (CKA: two n x n Grams) and one chunk of its embedding. */
        double p = base + T * (16.0 * n * dmax + 16.0 * n * n +
                               8.0 * SC_SIMBLOCK_CHUNK);
        double r = 4.0 * (double)rows * n * (n + 1);
        prep = p > prep ? p : prep;
        rows_b = r > rows_b ? r : rows_b;
    }
    double pairs = base + (double)sc_simblock_product_bytes(rows, rows);
    out->prepare = prep >= 1e18 ? (size_t)1e18 : (size_t)prep;
    out->rows = rows_b >= 1e18 ? (size_t)1e18 : (size_t)rows_b;
    out->pairs = (size_t)pairs;
    out->finalise = (size_t)(base + 24.0 * (double)m * (double)m);
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
            st = sc_npy_peek_ex(path, peek_flags(spec), &rows, &cols, err);
        if (st != SC_OK)
            return st;
        double n = (double)rows;
        if (spec->max_stimuli > 0 && n > (double)spec->max_stimuli)
            n = (double)spec->max_stimuli;
        double e = spec_entry_bytes(spec) / 2 * m * n * (n + 1);
        best = e > best ? e : best;
    }
    *bytes = best >= 1e18 ? (size_t)1e18 : (size_t)best;
    return SC_OK;
}

/* ## CPU estimate
 *
 * CPU time of each stage of a run, from the spec and the feature headers
 * (run_plan.h, sc_plan_cpu_estimate): the work counted in units whose
 * rates were measured (the similarity's and consistency's in run_plan.h,
 * the others below; tests/bench/RESULTS.md, "CPU-hours estimate").
 *
 * Similarity, per dataset of n stimuli (after max_stimuli) and m models
 * of summed width dsum (sc_plan_sim_seconds), with precision p of each
 * metric (its `precision` parameter; float64 unless float32):
 *   Gram      n^2 dsum at SC_PLAN_RATE_GRAM{32,64}: the SYRK of every
 *             model, computed once per model for all metrics that derive
 *             from the same Gram (cka, rsa with rdm correlation: centred;
 *             rsa cosine: uncentred; one per precision), as the all-pairs
 *             engine shares it (gram.h); any other metric counts its own;
 *   state     m n^2 SC_PLAN_STATE_{LINEAR,RBF,RSA} per metric: the
 *             n x n passes each metric makes over its Gram (centring;
 *             distances, exp and centring; RDM, ranking) and the fresh
 *             pages they touch; a plugin not measured counts the RSA cost
 *             (the dearest) on top of its own Gram; rsa with kendall,
 *             whose sort costs more, is not counted apart;
 *   products  m (m - 1) / 2 x n (n + 1) per metric at
 *             SC_PLAN_RATE_PAIRS{32,64} (E E^T, in blocks);
 *   E         the stacked embeddings written and read once, 2 x (4 or 8)
 *             m n (n + 1) / 2 bytes per metric at SC_PLAN_RATE_EMBED
 *             (fresh pages faulted in, or pwrite and pread when spilled).
 * A `simcon run` pays each shared Gram once per dataset (one pass: more
 * passes, when the spill does not fit the disk, repeat it); a task of
 * `simcon slurm`/--task computes one (dataset, metric), its own Gram, its
 * state, products and E. The rates are CPU-seconds, so the estimate does
 * not depend on --threads; wall time is about CPU / threads (the prepares
 * run one model per worker) plus the spill's I/O waits (sc_plan_wall).
 *
 * Statistics: a correlation over k model pairs costs SC_PLAN_COST_CORR +
 * k / SC_PLAN_RATE_TERMS seconds (contrasts and behaviour: their own rates
 * below). P permutations, or m! when the exact test is used (every CI
 * is a jackknife now: no stage draws bootstrap replicates):
 * consistency  per metric and set
 * over k pairs, P batched permutations (stats_many.c: each of the D - 1
 * datasets on the b side gathers its k permuted values and standardises
 * them, then one GEMM of the D - 1 unpermuted rows against them, (D - 1)^2
 * k multiply-adds) at SC_PLAN_COST_PERM + k (D - 1) /
 * SC_PLAN_RATE_PERM_GATHER + k (D - 1)^2 / SC_PLAN_RATE_PERM_GEMM seconds
 * each (D datasets), plus per dataset pair the observed r and its
 * jackknife-z CI, 1 + m correlations over the set;
 * contrasts    per category pair 1 + P evaluations of the permuted
 * statistic as dot products (sc_contrast_dots_stat: every dataset's values
 * over W_a and W_b gathered and standardised once) at
 * SC_COST_CONTRAST_PERM + D (|W_a| + |W_b|) / SC_RATE_CONTRAST_DOTS
 * seconds each, plus 2 x dataset pairs x (1 + J) correlations over W_a
 * and W_b (the observed effect and J = n_a + n_b leave-one-model-out
 * recomputations of the jackknife-t CI when printed), plus every category's
 * mean, dataset pairs x (1 + n_c when its jackknife-z CI is printed) over
 * W_c, at SC_COST_CONTRAST_CORR + k / SC_RATE_CONTRAST_TERMS; a category
 * with fewer than SC_MIN_CORR_PAIRS pairs has no mean and its rows no p;
 * behaviour    M x D x (1 + P + m (the jackknife-z CI, when printed))
 * over all m(m-1)/2 pairs, plus the mean rows, whose permutations recompute
 * every dataset of the mean, at SC_COST_BEH_CORR + k / SC_RATE_BEH_TERMS;
 * assemble     the medians' jackknife-z CIs (dataset pairs x (1 + the
 *                set's models) per within and between set, when
 *                printed), reading the features for their
 *                checksums at SC_RATE_READ, and SC_ASSEMBLE_FIXED seconds
 *                for tables, figures and the report.
 * Spearman ranks cost more than
 * Pearson's sums and are not counted apart: the margin of simcon slurm's
 * --time covers them. */

/* Contrasts' correlations (the observed effect, the jackknifes and the
 * category means; before session 7 also each permutation, which recomputed
 * both categories' within-consistency over every dataset pair) and
 * behaviour (sc_mantel: one correlation over all model pairs per
 * permutation), each fitted like
 * consistency to the CPU time of the permutations alone (a run at P =
 * 20,000 minus consistency alone at 20,000, similarity from the cache, 1
 * thread) of two variants of the bundled example: contrasts by objective
 * (7.2e6 correlations over 4.75e7 terms: 1.36 s) and by family (7.2e5 over
 * 3.38e7: 0.68 s); behaviour at m = 20 (7.2e5 over 1.37e8: 1.99 s) and
 * its first 10 models (7.2e5 over 3.24e7: 0.56 s). Checked on contrasts by
 * architecture (0.81 s measured, 0.76 s predicted) and behaviour of the
 * first 15 models (1.26 s, 1.14 s). tests/bench/RESULTS.md, "CPU-hours
 * estimate". */
#define SC_COST_CONTRAST_CORR 6.6e-8
#define SC_RATE_CONTRAST_TERMS 5.4e7
/* The contrasts' permutations as dot products (sc_contrast_dots_stat):
 * seconds per evaluation (a shuffle, the pair lists) and gathered values
 * per second (D x (|W_a| + |W_b|)), fitted to the CPU time of the
 * permutations alone (contrast-only variants of the bundled example at
 * P = 200,000 minus P = 0, similarity from the cache, 1 thread, median of
 * 3): by objective (10 category pairs, 6.0e6 evaluations, 3.17e8 values:
 * 3.72 s) and by family (1 pair, 6.0e5 evaluations, 2.26e8 values:
 * 0.91 s). Checked on contrasts by architecture: 1.46 s measured, 1.46 s
 * predicted. tests/bench/RESULTS.md, "contrasts as dot products". */
#define SC_COST_CONTRAST_PERM 4.7e-7
#define SC_RATE_CONTRAST_DOTS 3.6e8
#define SC_COST_BEH_CORR 1.5e-7
#define SC_RATE_BEH_TERMS 7.3e7
/* Reading feature files for their SHA-256, bytes per CPU-second: with
 * the CPU's SHA extensions, 64 files of 3.5 GB in 2.5 CPU-s (RESULTS.md,
 * session 8; was 2.0e8 with the portable code). */
#define SC_RATE_READ 1.4e9
#define SC_ASSEMBLE_FIXED 2.0

static double pairs_of(double m)
{
    return m * (m - 1) / 2;
}

/* The text of metric sm's parameter key, or NULL. */
static const char *param_text(const sc_spec_metric *sm, const char *key)
{
    for (size_t j = 0; j < sm->nparams; j++)
        if (strcmp(sm->keys[j], key) == 0)
            return sm->values[j];
    return NULL;
}

static bool param_is(const sc_spec_metric *sm, const char *key,
                     const char *value, bool unset)
{
    const char *v = param_text(sm, key);
    return v == NULL ? unset : strcmp(v, value) == 0;
}

/* Which Gram metric sm derives its state from (bit 0: uncentred, bit 1:
 * float32; the gram.h flag sets the plugins ask for), and what its state
 * costs per model and n^2; -1: it computes its own (not shared). The
 * plugins' defaults: cka linear, rsa correlation, float64. */
static int metric_gram(const sc_spec_metric *sm, double *state)
{
    int f32 = param_is(sm, "precision", "float32", false) ? 2 : 0;
    if (strcmp(sm->plugin, "cka") == 0) {
        bool rbf = param_is(sm, "kernel", "rbf", false);
        *state = rbf ? SC_PLAN_STATE_RBF : SC_PLAN_STATE_LINEAR;
        return f32;
    }
    *state = SC_PLAN_STATE_RSA;
    if (strcmp(sm->plugin, "rsa") == 0) {
        if (param_is(sm, "rdm", "correlation", true))
            return f32;
        if (param_is(sm, "rdm", "cosine", false))
            return f32 | 1;
    }
    return -1;
}

void sc_plan_sim_seconds(const sc_spec *spec, double n, double m, double dsum,
                         double *run, double *task)
{
    bool have[4] = {false, false, false, false};
    *run = 0;
    *task = 0;
    for (size_t k = 0; k < spec->nmetrics; k++) {
        const sc_spec_metric *sm = &spec->metrics[k];
        double state = 0;
        int g = metric_gram(sm, &state);
        bool f32 = param_is(sm, "precision", "float32", false);
        double gram =
            n * n * dsum / (f32 ? SC_PLAN_RATE_GRAM32 : SC_PLAN_RATE_GRAM64);
        double e_bytes = (f32 ? 4.0 : 8.0) * m * n * (n + 1) / 2;
        double rest = m * n * n * state +
                      pairs_of(m) * n * (n + 1) /
                          (f32 ? SC_PLAN_RATE_PAIRS32 : SC_PLAN_RATE_PAIRS64) +
                      2 * e_bytes / SC_PLAN_RATE_EMBED;
        if (gram + rest > *task)
            *task = gram + rest;
        *run += rest + (g >= 0 && have[g] ? 0 : gram);
        if (g >= 0)
            have[g] = true;
    }
}

/* Models in category c of attribute at, and their within pairs. */
static double models_in(const run_attr *at, size_t c, size_t m)
{
    double k = 0;
    for (size_t i = 0; i < m; i++)
        k += at->label[i] == c;
    return k;
}

static double within(const run_attr *at, size_t c, size_t m)
{
    return pairs_of(models_in(at, c, m));
}

/* Distinct models in a pair set. */
static double set_models(const sc_pairs *p)
{
    size_t n = 0;
    bool *in = sc_calloc(p->m + 1, sizeof *in);
    if (in == NULL) /* an estimate: count every model then */
        return (double)p->m;
    for (size_t k = 0; k < p->n; k++)
        for (size_t side = 0; side < 2; side++) {
            size_t i = side == 0 ? p->i[k] : p->j[k];
            n += !in[i];
            in[i] = true;
        }
    sc_free(in);
    return (double)n;
}

/* Leave-one-model-out recomputations of a jackknife CI over n models: n
 * when the CI is computed (bootstrap > 0 and n >= min), else 0. */
static double jack_models(const sc_spec *spec, double n, double min)
{
    return spec->bootstrap > 0 && n >= min ? n : 0;
}

/* Seconds of n correlations over `terms` model-pair terms in all
 * (consistency's observed r and jackknife, the medians). */
static double corr_seconds(double n, double terms)
{
    return n * SC_PLAN_COST_CORR + terms / SC_PLAN_RATE_TERMS;
}

/* The same at the contrasts' rates. */
static double con_seconds(double n, double terms)
{
    return n * SC_COST_CONTRAST_CORR + terms / SC_RATE_CONTRAST_TERMS;
}

/* CPU-seconds of consistency, contrasts, behaviour and the medians (the
 * latter into out->assemble, to which the caller adds the rest). */
static void stats_seconds(const sc_runctx *rc, const run_sets *sets,
                          sc_plan_cpu *out)
{
    const sc_spec *spec = rc->spec;
    double m = (double)rc->m, M = (double)rc->M, D = (double)rc->D;
    double dp = (double)rc->npairs;
    bool exact = false;
    double P = (double)sc_run_perm_count(rc->m, spec->permutations, &exact);
    if (spec->consistency_enabled)
        for (size_t s = 0; s < sets->nsets; s++) {
            const run_set *set = &sets->sets[s];
            double np = (double)set->pairs.n;
            out->consistency +=
                M * P *
                    (SC_PLAN_COST_PERM +
                     np * (D - 1) / SC_PLAN_RATE_PERM_GATHER +
                     np * (D - 1) * (D - 1) / SC_PLAN_RATE_PERM_GEMM) +
                corr_seconds(M * dp * (1 + m), M * dp * (1 + m) * np);
            /* The set's median: its jackknife-z CI recomputes the median
             * over all models and without each model of the set (no
             * bootstrap replicates), when the CI is printed. */
            if (set->attr != SIZE_MAX &&
                strncmp(set->name, "anchor:", 7) != 0 &&
                np >= SC_MIN_CORR_PAIRS && set->side >= SC_MIN_CI_MODELS &&
                spec->bootstrap > 0) {
                double j = 1 + set_models(&set->pairs);
                out->assemble += corr_seconds(M * dp * j, M * dp * j * np);
            }
        }
    for (size_t g = 0; g < spec->ncontrasts; g++)
        for (size_t a = 0; a < sets->nattrs; a++) {
            const run_attr *at = &sets->attrs[a];
            if (strcmp(at->name, spec->contrasts[g].attribute) != 0)
                continue;
            for (size_t c1 = 0; c1 < at->ncat; c1++) {
                double w1 = within(at, c1, rc->m);
                if (w1 < SC_MIN_CORR_PAIRS) /* NA mean, rows skipped */
                    continue;
                double n1 = models_in(at, c1, rc->m);
                double n =
                    M * dp * (1 + jack_models(spec, n1, SC_MIN_CI_MODELS));
                out->contrasts += con_seconds(n, n * w1);
                for (size_t c2 = c1 + 1; c2 < at->ncat; c2++) {
                    double w2 = within(at, c2, rc->m);
                    if (w2 < SC_MIN_CORR_PAIRS)
                        continue;
                    double n2 = models_in(at, c2, rc->m);
                    double j = n1 < n2 ? n1 : n2;
                    j = j >= SC_MIN_CI_EFFECT_MODELS
                            ? jack_models(spec, n1 + n2, 0)
                            : 0;
                    double r = M * dp * (1 + j);
                    out->contrasts +=
                        con_seconds(2 * r, r * (w1 + w2)) +
                        M * (1 + P) *
                            (SC_COST_CONTRAST_PERM +
                             D * (w1 + w2) / SC_RATE_CONTRAST_DOTS);
                }
            }
            break;
        }
    /* Per dataset the observed r, the Mantel permutations and the
     * jackknife-z CI over models (none over stimuli); then the mean rows
     * (at most "all" and one domain per dataset), whose permutations
     * recompute every dataset averaged (their CI resamples datasets, not
     * correlations). */
    double jm = spec->over == SC_OVER_STIMULI
                    ? 0
                    : jack_models(spec, m, SC_MIN_CI_MODELS);
    double nb = M * D * (1 + P + jm) + 2 * M * D * (1 + P);
    if (spec->behaviour_enabled)
        out->behaviour =
            nb * SC_COST_BEH_CORR + nb * pairs_of(m) / SC_RATE_BEH_TERMS;
}

void sc_plan_wall(const sc_plan_cpu *cpu, unsigned threads, size_t models,
                  sc_plan_cpu *wall)
{
    double t = threads > 0 ? threads : 1;
    /* The similarity stage prepares one model per worker. */
    double ts = models > 0 && (double)models < t ? (double)models : t;
    wall->similarity_task = cpu->similarity_task / ts;
    wall->similarity = cpu->similarity / ts;
    wall->consistency = cpu->consistency / t;
    wall->contrasts = cpu->contrasts / t;
    wall->behaviour = cpu->behaviour / t;
    wall->assemble = cpu->assemble;
}

int sc_plan_cpu_estimate(const sc_spec *spec, sc_plan_cpu *out, sc_err *err)
{
    memset(out, 0, sizeof *out);
    double m = (double)spec->nmodels, bytes = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        double n = 0, dsum = 0;
        int st = dataset_shape(spec, d, &n, &dsum, NULL, err);
        if (st != SC_OK)
            return st;
        bytes += 4.0 * n * dsum; /* float32 on disk, the usual case */
        if (spec->max_stimuli > 0 && n > (double)spec->max_stimuli)
            n = (double)spec->max_stimuli;
        double run = 0, task = 0;
        sc_plan_sim_seconds(spec, n, m, dsum, &run, &task);
        if (sc_plan_stimulus_reps(spec)) {
            run *= 1 + (double)spec->bootstrap;
            task *= 1 + (double)spec->bootstrap;
        }
        out->similarity_task =
            task > out->similarity_task ? task : out->similarity_task;
        out->similarity += run;
    }
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, NULL);
    run_sets sets;
    memset(&sets, 0, sizeof sets);
    int st = sc_run_build_sets(&rc, &sets, err);
    if (st == SC_OK)
        stats_seconds(&rc, &sets, out);
    sc_run_sets_free(&sets);
    sc_run_ctx_free(&rc);
    if (st != SC_OK)
        return st;
    out->assemble += bytes / SC_RATE_READ + SC_ASSEMBLE_FIXED;
    return SC_OK;
}

/* ## Spill of the similarity stage
 *
 * The all-pairs engine runs the metrics of a dataset in one pass
 * (sc_simmat_compute_multi): each metric with an embedding writes its own
 * E, m x L doubles, and they share the memory budget in metric order (an E
 * stays in memory while it fits what the earlier ones left), the rest go
 * to spill files that all exist at once. When they would not fit the spill
 * directory, the runner splits the metrics into consecutive passes, each
 * sharing one Gram per model among its metrics. The lengths are predicted
 * here from n and the parameters, so that `simcon check --estimate` and
 * the runner plan the same passes. */

/* Value of parameter name of p in args, as the index of choice in its
 * "a|b|c" choices (ENUM) or the value itself; -1 when p has no such
 * parameter. */
static double param_value(const sc_plugin *p, const sc_args *args,
                          const char *name, const char *choice)
{
    const sc_param *prm = p->desc->params;
    for (size_t i = 0; prm != NULL && prm[i].name != NULL; i++) {
        if (strcmp(prm[i].name, name) != 0 || i >= args->count)
            continue;
        if (choice == NULL || prm[i].choices == NULL)
            return args->value[i];
        size_t idx = 0, len = strlen(choice);
        for (const char *c = prm[i].choices; *c;) {
            const char *bar = strchr(c, '|');
            size_t cl = bar != NULL ? (size_t)(bar - c) : strlen(c);
            if (cl == len && strncmp(c, choice, len) == 0)
                return args->value[i] == (double)idx ? 1.0 : 0.0;
            idx++;
            c += cl + (bar != NULL);
        }
        return 0.0;
    }
    return -1.0;
}

size_t sc_plan_embed_len(const sc_plugin *p, const sc_args *args, size_t n,
                         size_t d)
{
    if (p->desc->embed == NULL || p->desc->embed_len == NULL || n < 2)
        return 0;
    const char *name = p->desc->name;
    size_t tri = n * (n - 1) / 2;
    if (strcmp(name, "rsa") == 0) /* every RDM entry; kendall: none */
        return param_value(p, args, "corr", "kendall") == 1.0 ? 0 : tri;
    if (strcmp(name, "cka") == 0) {
        /* Linear CKA on its feature path has no embedding (cka.c:
         * path=features, or auto with 2 d^2 <= n); d is model 0's, whose
         * state fixes the length for the whole dataset. */
        bool linear = param_value(p, args, "kernel", "linear") == 1.0;
        bool feat = param_value(p, args, "path", "features") == 1.0;
        bool aut = param_value(p, args, "path", "auto") == 1.0;
        if (linear && (feat || (aut && 2 * d * d <= n)))
            return 0;
        return param_value(p, args, "unbiased", NULL) != 0.0 ? tri : tri + n;
    }
    return tri + n; /* another plugin: CKA's biased length */
}

void sc_plan_passes(const size_t *ebytes, size_t nk, size_t budget,
                    size_t usable, size_t *first, sc_plan_spill *out)
{
    memset(out, 0, sizeof *out);
    out->too_big = SIZE_MAX;
    /* What one pass of jobs [a, b) spills: the engine's placement. */
    size_t a = 0, held = 0, spill = 0, total_held = 0;
    first[0] = 0;
    out->passes = nk > 0;
    for (size_t k = 0; k < nk; k++) {
        size_t e = ebytes[k];
        /* all metrics in one pass (the report) */
        if (e > budget - total_held)
            out->spill += e;
        else
            total_held += e;
        /* this metric alone: spilled when it exceeds the budget */
        if (e > budget && e > usable && out->too_big == SIZE_MAX) {
            out->too_big = k;
            out->too_big_bytes = e;
        }
        size_t add = e <= budget - held ? 0 : e;
        if (k > a && spill + add > usable) { /* start a new pass at k */
            first[out->passes++] = k;
            a = k;
            held = 0;
            spill = 0;
            add = e <= budget ? 0 : e;
        }
        if (add == 0)
            held += e;
        spill += add;
        out->max_pass = spill > out->max_pass ? spill : out->max_pass;
    }
    first[out->passes] = nk;
    if (out->too_big != SIZE_MAX)
        out->passes = 0;
}

int sc_plan_dataset_spill(const sc_runctx *rc, size_t d, size_t n,
                          const size_t *ks, size_t nk, size_t budget,
                          size_t usable, size_t *first, size_t *ebytes,
                          sc_plan_spill *out, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    char path[SC_PLAN_PATH_CAP];
    size_t rows = 0, cols = 0;
    int st = sc_spec_path(spec, spec->features, spec->datasets[d].name,
                          spec->models[0].name, path, sizeof path, err);
    if (st == SC_OK)
        st = sc_npy_peek_ex(path, peek_flags(spec), &rows, &cols, err);
    if (st != SC_OK)
        return st;
    for (size_t j = 0; j < nk; j++) {
        const run_metric *rm = &rc->metrics[ks[j]];
        size_t len = sc_plan_embed_len(rm->plugin, &rm->args.args, n, cols);
        /* 4-byte entries for precision=float32 (run_simmat.c) */
        size_t esize = rm->f32 ? sizeof(float) : sizeof(double);
        if (!sc_size_mul3(rc->m, len, esize, &ebytes[j]))
            ebytes[j] = SIZE_MAX;
    }
    sc_plan_passes(ebytes, nk, budget, usable, first, out);
    return SC_OK;
}

/* The estimate lines of one dataset (sc_plan_spill_report): the workers'
 * reserve, the run's peak, and the spill and passes; *fits false when a
 * metric alone cannot fit. */
typedef struct spill_lines {
    const char *ds, *dir;
    size_t M, budget, reserve, room, usable, free_b;
    unsigned threads;
} spill_lines;

static void print_spill_lines(FILE *f, const sc_spec *spec,
                              const spill_lines *l, const size_t *eb,
                              const sc_plan_spill *sp_, bool *fits)
{
    const sc_plan_spill sp = *sp_;
    const char *ds = l->ds, *dir = l->dir;
    size_t M = l->M, budget = l->budget, reserve = l->reserve, room = l->room;
    size_t usable = l->usable, free_b = l->free_b;
    unsigned threads = l->threads;
    char x[SC_SPILL_SIZE_CAP], y[SC_SPILL_SIZE_CAP], z[SC_SPILL_SIZE_CAP],
        w[SC_SPILL_SIZE_CAP];
    sc_spill_size(y, budget);
    if (reserve > 0)
        fprintf(f,
                "estimate: similarity %s: %u worker thread(s) reserve %s "
                "of the memory budget (%s) for their prepare memory; the "
                "embedding matrices get the rest (%s)\n",
                ds, threads > 0 ? threads : 1, sc_spill_size(x, reserve), y,
                sc_spill_size(z, room));
    /* The run's peak on this dataset: the base, the workers and the
     * E's it holds in memory, with a spilled E's writer queue of about
     * one row of E (simmat.c, start_writer): at most what the workers
     * leave. */
    double held = 0, rows = 0;
    for (size_t k = 0; k < M; k++) {
        held += (double)eb[k];
        rows += spec->nmodels > 0 ? (double)eb[k] / (double)spec->nmodels : 0;
    }
    held -= (double)sp.spill;
    if (sp.spill > 0)
        held += rows;
    if (held > (double)room)
        held = (double)room;
    double peak = 64.0 * 1024 * 1024 + (double)reserve + held;
    fprintf(f,
            "estimate: similarity %s: simcon run with %u thread(s) "
            "peaks at about %.0f MiB (the workers' prepare memory and "
            "%.0f MiB of embedding matrices in memory or queued for the "
            "spill)\n",
            ds, threads > 0 ? threads : 1, peak / 1048576.0, held / 1048576.0);
    if (sp.spill == 0) {
        fprintf(f,
                "estimate: similarity %s: the %zu metrics' states fit "
                "the memory budget (%s): nothing spilled, 1 pass\n",
                ds, M, y);
    } else if (sp.passes == 0) {
        *fits = false;
        fprintf(f,
                "estimate: similarity %s: metric '%s' alone needs %s of "
                "spill beyond the memory budget (%s) but %s may be used "
                "of the %s free in %s: the run would fail; free disk "
                "space, set TMPDIR to a bigger disk, or raise --memory\n",
                ds, spec->metrics[sp.too_big].name,
                sc_spill_size(x, sp.too_big_bytes), y, sc_spill_size(z, usable),
                sc_spill_size(w, free_b), dir);
    } else {
        fprintf(f,
                "estimate: similarity %s: the %zu metrics' states need "
                "%s of spill beyond the memory budget (%s), %s free in "
                "%s: %zu pass%s, the largest spilling %s (the Gram is "
                "computed once per pass)\n",
                ds, M, sc_spill_size(x, sp.spill), y, sc_spill_size(z, free_b),
                dir, sp.passes, sp.passes == 1 ? "" : "es",
                sc_spill_size(w, sp.max_pass));
    }
}

int sc_plan_spill_report(const sc_spec *spec, size_t budget, unsigned threads,
                         const char *plugin_dir, FILE *f, bool *fits,
                         sc_err *err)
{
    *fits = true;
    if (budget == 0)
        budget = sc_simmat_default_budget();
    sc_run_opts o;
    memset(&o, 0, sizeof o);
    o.plugin_dir = plugin_dir;
    o.quiet = true;
    sc_runctx rc;
    sc_run_ctx_init(&rc, spec, &o);
    size_t M = spec->nmetrics;
    size_t *ks = sc_calloc(M + 1, sizeof *ks);
    size_t *first = sc_calloc(M + 1, sizeof *first);
    size_t *eb = sc_calloc(M + 1, sizeof *eb);
    int st = ks == NULL || first == NULL || eb == NULL
                 ? sc_err_set(err, SC_ENOMEM, "out of memory")
                 : sc_run_ctx_load_metrics(&rc, err);
    for (size_t k = 0; k < M && ks != NULL; k++)
        ks[k] = k;
    const char *dir = sc_spill_dir(NULL);
    size_t free_b = 0, usable = 0;
    bool asked = false;
    for (size_t d = 0; d < spec->ndatasets && st == SC_OK && M > 0; d++) {
        double n = 0, dsum = 0;
        st = dataset_shape(spec, d, &n, &dsum, NULL, err);
        if (spec->max_stimuli > 0 && n > (double)spec->max_stimuli)
            n = (double)spec->max_stimuli;
        sc_plan_spill sp;
        size_t reserve = 0;
        if (st == SC_OK)
            st = sc_plan_dataset_reserve(spec, d, (size_t)n, threads, &reserve,
                                         err);
        size_t room = sc_plan_e_room(budget, reserve);
        if (st == SC_OK)
            st = sc_plan_dataset_spill(&rc, d, (size_t)n, ks, M, room, SIZE_MAX,
                                       first, eb, &sp, err);
        if (st == SC_OK && sp.spill > 0 && !asked) {
            st = sc_spill_room(dir, &free_b, &usable, err);
            asked = true;
        }
        if (st == SC_OK && sp.spill > 0)
            st = sc_plan_dataset_spill(&rc, d, (size_t)n, ks, M, room, usable,
                                       first, eb, &sp, err);
        if (st != SC_OK)
            break;
        spill_lines l = {spec->datasets[d].name,
                         dir,
                         M,
                         budget,
                         reserve,
                         room,
                         usable,
                         free_b,
                         threads};
        print_spill_lines(f, spec, &l, eb, &sp, fits);
    }
    sc_run_ctx_free(&rc);
    sc_free(ks);
    sc_free(first);
    sc_free(eb);
    return st;
}
