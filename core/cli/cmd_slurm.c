/* simcon slurm SPEC [-o DIR] [--partition P] [--time T] [--mem M]
 *                   [--cpus C] [--max-parallel K] [--chunks N]
 *                   [--plugin-dir DIR] [--submit] [--quiet]
 *
 * A run as Slurm job arrays (issue 14). Writes the plan (run_plan.h) and,
 * in DIR.tasks/slurm/:
 *   prepare.sbatch, pairs.sbatch
 *                       with runtime.model_blocks K > 1 only: one job array
 *                       each, element e = task prepare/<e / K>/<e % K>,
 *                       and block pair e % P of similarity task e / P
 *                       (P = K (K + 1) / 2), pairs afterok on prepare;
 *   similarity.sbatch   one job array, element i = task similarity/<i>
 *                       (afterok on the pairs array when there is one);
 *   consistency.sbatch, contrasts.sbatch, behaviour.sbatch
 *                       one job array each, element c = task <stage>/<c>
 *                       (none for a stage without chunk tasks);
 *   assemble.sbatch     one job, the assemble task;
 *   submit.sh           submits them: the statistics arrays with
 *                       --dependency=afterok on the similarity array, the
 *                       assemble job afterok on all of them.
 * Every task runs with --memory B: B is the budget the estimate assumed
 * (runtime.memory, else half of this machine's RAM), capped at 7/8 of a
 * --mem the user gives (the rest for the page cache and the few buffers
 * outside the budget). Without it a task would take half of its node's
 * RAM, which can exceed the job's --mem on a large node and get it killed.
 * --mem defaults to the estimate of sc_plan_estimate (per stage), --time to
 * twice sc_plan_cpu_estimate's CPU time of the job over its CPUs plus 10
 * minutes, --cpus to runtime.threads (else 1); --partition is left to the
 * cluster's default unless given. --submit runs sbatch --parsable itself
 * and prints the job ids. Failed elements can be resubmitted alone with
 * sbatch --array=<ids> DIR.tasks/slurm/<stage>.sbatch (README,
 * "Running on a cluster"). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "params.h"
#include "numtext.h"
#include "commands.h"
#include "inputs.h"
#include "loader.h"
#include "mem.h"
#include "options.h"
#include "run_plan.h"
#include "simmat.h"
#include "spec.h"

/* ## Paths and quoting */

/* Absolute form of path (which need not exist yet: its parent must, or it
 * is taken relative to the current folder). */
static int absolute(const char *path, char *buf, size_t cap, sc_err *err)
{
    char cwd[PATH_MAX];
    int len;
    if (path[0] == '/') {
        len = snprintf(buf, cap, "%s", path);
    } else {
        if (getcwd(cwd, sizeof cwd) == NULL)
            return sc_err_set(err, SC_EIO, "cannot get the current folder: %s",
                              strerror(errno));
        len = snprintf(buf, cap, "%s/%s", cwd, path);
    }
    /* A truncated path would point the scripts somewhere else. */
    if (len < 0 || (size_t)len >= cap)
        return sc_err_set(err, SC_EINVAL,
                          "%s: path too long (limit %zu bytes); use a "
                          "shorter output folder",
                          path, cap - 1);
    return SC_OK;
}

/* path in single quotes for sh ('\'' for a quote). */
static void sh_quote(sc_buf *b, const char *path)
{
    sc_buf_puts(b, "'");
    for (const char *c = path; *c; c++) {
        if (*c == '\'')
            sc_buf_puts(b, "'\\''");
        else
            sc_buf_printf(b, "%c", *c);
    }
    sc_buf_puts(b, "'");
}

/* A Slurm option value: no whitespace, quotes or '#' (it goes on an
 * #SBATCH line). */
static int check_value(const char *opt, const char *v, sc_err *err)
{
    if (v[0] == '\0' || strpbrk(v, " \t\n\r'\"#\\") != NULL)
        return sc_err_set(err, SC_EINVAL,
                          "%s '%s': give one word without spaces or quotes",
                          opt, v);
    return SC_OK;
}

typedef struct slurm_opts {
    const char *partition, *time, *mem;
    size_t mem_bytes; /* --mem in bytes (0: not given)                    */
    size_t budget;    /* --memory of every task (write_scripts sets it)   */
    unsigned long cpus, max_parallel, chunks;
    const char *plugin_dir;
    bool submit, quiet;
} slurm_opts;

/* Megabytes, rounded up to a multiple of 64, at least 256. */
static unsigned long long mem_mb(size_t bytes)
{
    unsigned long long mb = ((unsigned long long)bytes + (1u << 20) - 1) >> 20;
    mb = (mb + 63) / 64 * 64;
    return mb < 256 ? 256 : mb;
}

/* --time for a job of cpu_seconds of work on so->cpus CPUs: twice the
 * estimate (run_plan.c; rates vary with the machine and its load) plus
 * 10 minutes for start-up and the shared filesystem, in whole minutes, as
 * D-HH:MM:00. */
static void time_limit(double cpu_seconds, unsigned long cpus, char *buf,
                       size_t cap)
{
    double wall = 2.0 * cpu_seconds / (double)(cpus > 0 ? cpus : 1) + 600.0;
    if (!(wall < 365.0 * 86400.0))
        wall = 365.0 * 86400.0;
    unsigned long long min = (unsigned long long)ceil(wall / 60.0);
    snprintf(buf, cap, "%llu-%02llu:%02llu:00", min / 1440, min / 60 % 24,
             min % 60);
}

static void header(sc_buf *b, const sc_spec *spec, const slurm_opts *so,
                   const char *stage, const char *logs, size_t bytes,
                   double cpu_seconds, bool array)
{
    sc_buf_printf(b, "#SBATCH --job-name=simcon-%s-%s\n", spec->name, stage);
    sc_buf_printf(b, "#SBATCH --cpus-per-task=%lu\n", so->cpus);
    if (so->mem != NULL)
        sc_buf_printf(b, "#SBATCH --mem=%s\n", so->mem);
    else
        sc_buf_printf(b, "#SBATCH --mem=%lluM\n", mem_mb(bytes));
    char t[64];
    time_limit(cpu_seconds, so->cpus, t, sizeof t);
    sc_buf_printf(b, "#SBATCH --time=%s\n", so->time != NULL ? so->time : t);
    if (so->partition != NULL)
        sc_buf_printf(b, "#SBATCH --partition=%s\n", so->partition);
    sc_buf_printf(b, "#SBATCH --output=%s/%s-%s.log\n", logs, stage,
                  array ? "%A_%a" : "%j");
}

static void command(sc_buf *b, const char *exe, const char *spec,
                    const char *out, const slurm_opts *so, const char *task)
{
    sc_buf_puts(b, "exec ");
    sh_quote(b, exe);
    sc_buf_puts(b, " run ");
    sh_quote(b, spec);
    sc_buf_puts(b, " -o ");
    sh_quote(b, out);
    sc_buf_printf(b, " --threads %lu --memory %zuK --quiet", so->cpus,
                  so->budget >> 10);
    if (so->plugin_dir != NULL) {
        sc_buf_puts(b, " --plugin-dir ");
        sh_quote(b, so->plugin_dir);
    }
    sc_buf_printf(b, " --task %s\n", task);
}

static int write_file(const char *dir, const char *name, sc_buf *b, sc_err *err)
{
    char path[SC_PLAN_PATH_CAP + 128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int st = sc_buf_check(b, path, err);
    if (st == SC_OK)
        st = sc_atomic_write(path, b->data, b->len, err);
    if (st == SC_OK)
        (void)chmod(path, 0755);
    sc_buf_deinit(b);
    return st;
}

/* Absolute paths the scripts use: they run in another folder, on another
 * node. */
typedef struct script_paths {
    char exe[PATH_MAX];
    char spec[SC_PLAN_PATH_CAP], out[SC_PLAN_PATH_CAP];
    char logs[SC_PLAN_PATH_CAP + 32];
} script_paths;

static int resolve_paths(const sc_spec *spec, const char *out, script_paths *sp,
                         sc_err *err)
{
    ssize_t n = readlink("/proc/self/exe", sp->exe, sizeof sp->exe - 1);
    if (n <= 0)
        return sc_err_set(err, SC_EIO,
                          "cannot find the simcon executable "
                          "(/proc/self/exe): %s",
                          strerror(errno));
    sp->exe[n] = '\0';
    int st = absolute(spec->path, sp->spec, sizeof sp->spec, err);
    if (st == SC_OK)
        st = absolute(out, sp->out, sizeof sp->out, err);
    return st;
}

/* DIR.tasks/slurm/logs, made now, at an absolute path: sbatch resolves
 * relative ones against the folder it is called from. */
static int make_logs(const char *sdir, script_paths *sp, sc_err *err)
{
    char logs[SC_PLAN_PATH_CAP + 16];
    if (snprintf(logs, sizeof logs, "%s/logs", sdir) >= (int)sizeof logs)
        return sc_err_set(err, SC_EIO, "%s: path too long", sdir);
    int st = sc_mkdir_p(logs, err);
    if (st == SC_OK)
        st = absolute(logs, sp->logs, sizeof sp->logs, err);
    return st;
}

/* #SBATCH --array=0-(n-1), at most --max-parallel at once. */
static void array_line(sc_buf *b, const slurm_opts *so, size_t n)
{
    if (so->max_parallel > 0)
        sc_buf_printf(b, "#SBATCH --array=0-%zu%%%lu\n", n - 1,
                      so->max_parallel);
    else
        sc_buf_printf(b, "#SBATCH --array=0-%zu\n", n - 1);
}

static int write_similarity(const sc_spec *spec, const slurm_opts *so,
                            const script_paths *sp, const char *sdir,
                            size_t nsim, size_t bytes, double cpu, sc_err *err)
{
    sc_buf b = {0};
    sc_buf_printf(&b,
                  "#!/bin/bash\n"
                  "# simcon slurm: similarity stage of '%s', %zu task(s), "
                  "one per (dataset, metric)\n"
                  "# (list: simcon run SPEC -o DIR --plan). Element i runs "
                  "task similarity/i and\n"
                  "# writes DIR.tasks/.cache/<key>.csv; a finished task is "
                  "not redone.\n"
                  "# Resubmit failed elements alone: sbatch --array=<ids> "
                  "this file.\n",
                  spec->name, nsim);
    if (sc_plan_blocks(spec) > 1)
        sc_buf_puts(&b, "# Model blocks: a blocked metric's task only "
                        "assembles its pairs tasks' products.\n"
                        "# Submitted with --dependency=afterok:<the pairs "
                        "array>.\n");
    header(&b, spec, so, "similarity", sp->logs, bytes, cpu, true);
    array_line(&b, so, nsim);
    sc_buf_puts(&b, "set -eu\n");
    command(&b, sp->exe, sp->spec, sp->out, so,
            "\"similarity/${SLURM_ARRAY_TASK_ID}\"");
    return write_file(sdir, "similarity.sbatch", &b, err);
}

/* prepare.sbatch (element e: task prepare/<e / K>/<e % K>) or
 * pairs.sbatch (element e: block pair e % P of similarity task e / P, in
 * sc_plan_pair_of's order) of a plan with K > 1 model blocks. */
static int write_blocks(const sc_spec *spec, const slurm_opts *so,
                        const script_paths *sp, const char *sdir, bool pairs,
                        size_t bytes, double cpu, sc_err *err)
{
    size_t K = sc_plan_blocks(spec), P = sc_plan_npairs(spec);
    size_t n = sc_plan_nsim(spec) * (pairs ? P : K);
    const char *name = pairs ? "pairs" : "prepare";
    sc_buf b = {0};
    sc_buf_printf(&b,
                  "#!/bin/bash\n"
                  "# simcon slurm: %s stage of '%s' (runtime.model_blocks "
                  "%zu), %zu task(s)\n",
                  name, spec->name, K, n);
    if (pairs)
        sc_buf_printf(&b,
                      "# (list: simcon run SPEC -o DIR --plan). Element e "
                      "runs task pairs/<i>/<b1>-<b2>,\n"
                      "# block pair e %% %zu of similarity task e / %zu: the "
                      "products of two blocks' rows\n"
                      "# into DIR.tasks/.cache/pairs-<key>-*.bin. Submitted "
                      "with --dependency=afterok:<the prepare array>.\n",
                      P, P);
    else
        sc_buf_printf(&b,
                      "# (list: simcon run SPEC -o DIR --plan). Element e "
                      "runs task prepare/<e / %zu>/<e %% %zu>:\n"
                      "# the embedding rows of one block of models into "
                      "DIR.tasks/.cache/rows-<key>-*.bin.\n",
                      K, K);
    sc_buf_puts(&b, "# A finished task is not redone. Resubmit failed "
                    "elements alone: sbatch --array=<ids> this file.\n");
    header(&b, spec, so, name, sp->logs, bytes, cpu, true);
    array_line(&b, so, n);
    sc_buf_puts(&b, "set -eu\ne=${SLURM_ARRAY_TASK_ID}\n");
    if (pairs) {
        sc_buf_printf(&b,
                      "i=$((e / %zu)); p=$((e %% %zu)); b1=0\n"
                      "while [ \"$p\" -ge $((%zu - b1)) ]; do "
                      "p=$((p - %zu + b1)); b1=$((b1 + 1)); done\n",
                      P, P, K, K);
        command(&b, sp->exe, sp->spec, sp->out, so,
                "\"pairs/$i/$b1-$((b1 + p))\"");
    } else {
        char task[96];
        snprintf(task, sizeof task, "\"prepare/$((e / %zu))/$((e %% %zu))\"", K,
                 K);
        command(&b, sp->exe, sp->spec, sp->out, so, task);
    }
    char file[32];
    snprintf(file, sizeof file, "%s.sbatch", name);
    return write_file(sdir, file, &b, err);
}

/* What a unit of statistics stage g is, for the scripts' comments. */
static const char *const unit_words[SC_PLAN_NSTAGES] = {
    "metric x dataset pair", "metric x contrast", "metric x behaviour row"};

static int write_stage(const sc_spec *spec, const slurm_opts *so,
                       const script_paths *sp, const char *sdir, int g,
                       size_t chunks, size_t units, size_t bytes, double cpu,
                       sc_err *err)
{
    const char *name = sc_plan_stage_names[g];
    sc_buf b = {0};
    sc_buf_printf(&b,
                  "#!/bin/bash\n"
                  "# simcon slurm: %s stage of '%s', %zu task(s) over %zu "
                  "units\n"
                  "# (%s). Element c runs task %s/c: the rows of its units\n"
                  "# into DIR.tasks/.cache/%s-<key>.tsv; finished units are "
                  "not redone.\n"
                  "# Submitted with --dependency=afterok:<the similarity "
                  "array>.\n"
                  "# Resubmit failed elements alone: sbatch --array=<ids> "
                  "this file.\n",
                  name, spec->name, chunks, units, unit_words[g], name, name);
    header(&b, spec, so, name, sp->logs, bytes, cpu, true);
    array_line(&b, so, chunks);
    sc_buf_puts(&b, "set -eu\n");
    char task[64];
    snprintf(task, sizeof task, "\"%s/${SLURM_ARRAY_TASK_ID}\"", name);
    command(&b, sp->exe, sp->spec, sp->out, so, task);
    char file[64];
    snprintf(file, sizeof file, "%s.sbatch", name);
    return write_file(sdir, file, &b, err);
}

static int write_assemble(const sc_spec *spec, const slurm_opts *so,
                          const script_paths *sp, const char *sdir,
                          const sc_plan_layout *lay, size_t bytes, double cpu,
                          sc_err *err)
{
    char after[128] = "";
    size_t len = 0;
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        if (lay->chunks[g] > 0)
            len +=
                (size_t)snprintf(after + len, sizeof after - len, "%s%s",
                                 len > 0 ? ", " : "", sc_plan_stage_names[g]);
    sc_buf b = {0};
    sc_buf_printf(&b,
                  "#!/bin/bash\n"
                  "# simcon slurm: assemble stage of '%s': the tables from "
                  "the cached units\n"
                  "# (computing any that is missing, and any stage not "
                  "split into tasks),\n"
                  "# figures, manifest.json and report.html into DIR. "
                  "Submitted with\n"
                  "# --dependency=afterok:<the %s array(s)>.\n",
                  spec->name, len > 0 ? after : "similarity");
    header(&b, spec, so, "assemble", sp->logs, bytes, cpu, false);
    sc_buf_puts(&b, "set -eu\n");
    command(&b, sp->exe, sp->spec, sp->out, so, "assemble");
    return write_file(sdir, "assemble.sbatch", &b, err);
}

/* submit.sh: the similarity array; each statistics array after it; the
 * assemble job after every statistics array (or the similarity array). */
static int write_submit(const char *sdir, const sc_plan_layout *lay,
                        bool blocks, sc_err *err)
{
    static const char *const var[SC_PLAN_NSTAGES] = {"con", "ctr", "beh"};
    sc_buf b = {0};
    sc_buf_puts(&b, "#!/bin/bash\n"
                    "# Submits one job array per stage, each to start after "
                    "every element of\n"
                    "# the ones it needs succeeded (afterok); prints the job "
                    "ids.\n"
                    "set -eu\n"
                    "cd \"$(dirname \"$0\")\"\n");
    if (blocks)
        sc_buf_puts(&b, "pre=$(sbatch --parsable prepare.sbatch)\n"
                        "pre=${pre%%;*}\n"
                        "par=$(sbatch --parsable --dependency=afterok:$pre "
                        "pairs.sbatch)\n"
                        "par=${par%%;*}\n"
                        "sim=$(sbatch --parsable --dependency=afterok:$par "
                        "similarity.sbatch)\n"
                        "sim=${sim%%;*}\n");
    else
        sc_buf_puts(&b, "sim=$(sbatch --parsable similarity.sbatch)\n"
                        "sim=${sim%%;*}\n");
    char dep[64] = "";
    size_t len = 0;
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        if (lay->chunks[g] > 0) {
            sc_buf_printf(&b,
                          "%s=$(sbatch --parsable --dependency=afterok:$sim "
                          "%s.sbatch)\n"
                          "%s=${%s%%%%;*}\n",
                          var[g], sc_plan_stage_names[g], var[g], var[g]);
            len += (size_t)snprintf(dep + len, sizeof dep - len, "%s$%s",
                                    len > 0 ? ":" : "", var[g]);
        }
    sc_buf_printf(&b,
                  "asm=$(sbatch --parsable --dependency=afterok:%s "
                  "assemble.sbatch)\n"
                  "asm=${asm%%%%;*}\n",
                  len > 0 ? dep : "$sim");
    if (blocks)
        sc_buf_puts(&b, "echo \"prepare $pre\"\necho \"pairs $par\"\n");
    sc_buf_puts(&b, "echo \"similarity $sim\"\n");
    for (int g = 0; g < SC_PLAN_NSTAGES; g++)
        if (lay->chunks[g] > 0)
            sc_buf_printf(&b, "echo \"%s $%s\"\n", sc_plan_stage_names[g],
                          var[g]);
    sc_buf_puts(&b, "echo \"assemble $asm\"\n");
    return write_file(sdir, "submit.sh", &b, err);
}

/* The --memory of every task (file comment): the estimate's budget,
 * at most 7/8 of the user's --mem, at least SC_MIN_MEMORY. */
static size_t task_budget(const sc_spec *spec, const slurm_opts *so)
{
    size_t budget =
        spec->memory != 0 ? spec->memory : sc_simmat_default_budget();
    if (so->mem_bytes != 0 && so->mem_bytes / 8 * 7 < budget)
        budget = so->mem_bytes / 8 * 7;
    return budget < SC_MIN_MEMORY ? SC_MIN_MEMORY : budget;
}

/* similarity.sbatch, <stage>.sbatch per statistics stage with chunk
 * tasks, assemble.sbatch and submit.sh into sdir. */
static int write_scripts(const sc_spec *spec, const char *out,
                         const slurm_opts *user, const char *sdir,
                         const sc_plan_layout *lay, sc_err *err)
{
    slurm_opts opts = *user;
    const slurm_opts *so = &opts;
    opts.budget = task_budget(spec, user);
    script_paths sp;
    int st = resolve_paths(spec, out, &sp, err);
    size_t sim = 0, asmb = 0;
    if (st == SC_OK)
        st = sc_plan_estimate(spec, (unsigned)so->cpus, so->budget, &sim, &asmb,
                              err);
    sc_plan_cpu cpu;
    if (st == SC_OK)
        st = sc_plan_cpu_estimate(spec, &cpu, err);
    if (st == SC_OK)
        st = make_logs(sdir, &sp, err);
    if (st != SC_OK)
        return st;
    size_t nsim = sc_plan_nsim(spec);
    if (nsim == 0)
        return sc_err_set(err, SC_ESPEC,
                          "%s: no (dataset, metric) pairs; nothing to run",
                          spec->path);
    if (sc_plan_blocks(spec) > 1) {
        /* Each block's share of the largest similarity task (its prepares,
         * or about a K-th of its products). */
        sc_plan_blocks_est be;
        double per = cpu.similarity_task / (double)sc_plan_blocks(spec);
        st = sc_plan_block_estimate(spec, (unsigned)so->cpus, &be, err);
        if (st == SC_OK)
            st = write_blocks(spec, so, &sp, sdir, false, be.prepare, per, err);
        if (st == SC_OK)
            st = write_blocks(spec, so, &sp, sdir, true, be.pairs, per, err);
    }
    if (st == SC_OK)
        st = write_similarity(spec, so, &sp, sdir, nsim, sim,
                              cpu.similarity_task, err);
    const double stage_cpu[SC_PLAN_NSTAGES] = {cpu.consistency, cpu.contrasts,
                                               cpu.behaviour};
    double asm_cpu = cpu.assemble;
    for (int g = 0; g < SC_PLAN_NSTAGES && st == SC_OK; g++) {
        size_t chunks = lay->chunks[g], units = sc_plan_units(spec, g);
        if (chunks == 0) { /* not split: it runs in the assemble job */
            asm_cpu += stage_cpu[g];
            continue;
        }
        /* A chunk's share (chunks differ by at most one unit: take the
         * larger). */
        double per = stage_cpu[g] / (double)units *
                     (double)((units + chunks - 1) / chunks);
        st = write_stage(spec, so, &sp, sdir, g, chunks, units, asmb, per, err);
    }
    if (st == SC_OK)
        st = write_assemble(spec, so, &sp, sdir, lay, asmb, asm_cpu, err);
    if (st == SC_OK)
        st = write_submit(sdir, lay, sc_plan_blocks(spec) > 1, err);
    return st;
}

/* ## Submitting */

/* Is prog an executable file in a folder of $PATH? */
static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/bin:/bin";
    char dir[PATH_MAX + 64];
    while (*path) {
        size_t len = strcspn(path, ":");
        snprintf(dir, sizeof dir, "%.*s/%s", (int)len, len ? path : ".", prog);
        if (access(dir, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

/* sbatch --parsable [--dependency=afterok:DEP] SCRIPT; the job id into id.
 * A Slurm error gives SC_EIO with sbatch's first line of output. */
static int sbatch(const char *script, const char *dep, char *id, size_t cap,
                  sc_err *err)
{
    int fd[2];
    if (pipe(fd) != 0)
        return sc_err_set(err, SC_EIO, "pipe: %s", strerror(errno));
    char depopt[1200] = "";
    if (dep != NULL)
        snprintf(depopt, sizeof depopt, "--dependency=afterok:%s", dep);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return sc_err_set(err, SC_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        close(fd[1]);
        if (dep != NULL)
            execlp("sbatch", "sbatch", "--parsable", depopt, script,
                   (char *)NULL);
        else
            execlp("sbatch", "sbatch", "--parsable", script, (char *)NULL);
        fprintf(stderr, "cannot run sbatch: %s\n", strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    char text[4096];
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd[0], text + len, sizeof text - 1 - len)) > 0 ||
           (r < 0 && errno == EINTR))
        if (r > 0)
            len += (size_t)r;
    close(fd[0]);
    text[len] = '\0';
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* The last non-empty line: sbatch may print warnings before the id. */
    char *line = text, *last = NULL;
    for (char *c = strtok(line, "\r\n"); c != NULL; c = strtok(NULL, "\r\n"))
        last = c;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && last != NULL &&
              last[0] >= '0' && last[0] <= '9';
    if (!ok)
        return sc_err_set(err, SC_EIO,
                          "sbatch %s failed (%s %d): %s; nothing else was "
                          "submitted",
                          script, WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status)
                                            : WTERMSIG(status),
                          last != NULL ? last : "no output");
    last[strcspn(last, ";")] = '\0'; /* "id;cluster" */
    snprintf(id, cap, "%s", last);
    return SC_OK;
}

/* Stages in submission order, and what each waits for (afterok). */
enum { ST_PREPARE, ST_PAIRS, ST_SIM, ST_STATS, ST_ASSEMBLE = ST_STATS + 3 };
#define NSTAGE (ST_ASSEMBLE + 1)

static bool stage_present(const sc_plan_layout *lay, bool blocks, size_t i)
{
    if (i < ST_SIM)
        return blocks;
    if (i >= ST_STATS && i < ST_ASSEMBLE)
        return lay->chunks[i - ST_STATS] > 0;
    return true;
}

static int submit(const char *sdir, const sc_plan_layout *lay, bool blocks,
                  sc_err *err)
{
    if (!on_path("sbatch"))
        return sc_err_set(err, SC_EIO,
                          "sbatch not found on PATH; run on a Slurm login "
                          "node (package slurm-client), or submit %s/"
                          "submit.sh there",
                          sdir);
    /* prepare, then pairs (model blocks); the similarity array after
     * them; each statistics array after it; assemble after all of them. */
    const char *stage[NSTAGE] = {"prepare",
                                 "pairs",
                                 "similarity",
                                 sc_plan_stage_names[0],
                                 sc_plan_stage_names[1],
                                 sc_plan_stage_names[2],
                                 "assemble"};
    char script[SC_PLAN_PATH_CAP + 64], ids[NSTAGE][128], done[1200] = "";
    char stats[1024] = "";
    for (size_t i = 0; i < NSTAGE; i++) {
        if (!stage_present(lay, blocks, i))
            continue;
        const char *dep = i == ST_PREPARE ? NULL
                          : i == ST_PAIRS ? ids[ST_PREPARE]
                          : i == ST_SIM   ? (blocks ? ids[ST_PAIRS] : NULL)
                          : i < ST_ASSEMBLE || !stats[0] ? ids[ST_SIM]
                                                         : stats;
        snprintf(script, sizeof script, "%s/%s.sbatch", sdir, stage[i]);
        int st = sbatch(script, dep, ids[i], sizeof ids[i], err);
        if (st != SC_OK) {
            if (done[0] != '\0')
                sc_err_prefix(err,
                              "submitted already:%s; cancel with 'scancel "
                              "ID' or submit the rest yourself",
                              done);
            return st;
        }
        size_t len = strlen(done);
        snprintf(done + len, sizeof done - len, " %s %s", stage[i], ids[i]);
        if (i >= ST_STATS && i < ST_ASSEMBLE) {
            len = strlen(stats);
            snprintf(stats + len, sizeof stats - len, "%s%s",
                     len > 0 ? ":" : "", ids[i]);
        }
    }
    for (size_t i = 0; i < NSTAGE; i++)
        if (stage_present(lay, blocks, i))
            printf("%s %s\n", stage[i], ids[i]);
    return SC_OK;
}

/* ## The command line */

/* A Slurm memory size, as sbatch reads --mem: a whole number with an
 * optional unit K, M, G or T (default M), into bytes. Parsed here rather
 * than with sc_parse_bytes, whose default unit is the byte. */
static int slurm_size(const char *opt, const char *val, size_t *out,
                      sc_err *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v =
        val[0] >= '0' && val[0] <= '9' ? strtoull(val, &end, 10) : 0;
    unsigned shift = 20;
    if (end != NULL && *end != '\0' && end[1] == '\0') {
        const char *units = "KkMmGgTt", *u = strchr(units, *end);
        shift = u == NULL ? 0 : 10 * (unsigned)(1 + (u - units) / 2);
        end = u == NULL ? end : end + 1;
    }
    if (end == NULL || *end != '\0' || shift == 0 || errno != 0 || v == 0 ||
        v > (SIZE_MAX >> shift))
        return sc_err_set(err, SC_EINVAL,
                          "%s '%s': expected a Slurm memory size, a whole "
                          "number with an optional unit K, M, G or T "
                          "(default M), e.g. 16G or 16000",
                          opt, val);
    *out = (size_t)v << shift;
    return SC_OK;
}

/* What the command line asked for. */
typedef struct slurm_args {
    slurm_opts so;
    const char *spec_path, *out;
} slurm_args;

/* --partition, --time, --mem: one word for an #SBATCH line. */
static int take_word(void *args, const char *opt, const char *val, sc_err *err)
{
    slurm_opts *so = &((slurm_args *)args)->so;
    const char **slot = strcmp(opt, "--partition") == 0 ? &so->partition
                        : strcmp(opt, "--time") == 0    ? &so->time
                                                        : &so->mem;
    *slot = val;
    int rc = check_value(opt, val, err);
    if (rc == SC_OK && slot == &so->mem)
        rc = slurm_size(opt, val, &so->mem_bytes, err);
    return rc;
}

/* --cpus, --max-parallel, --chunks: 1 .. 100000. */
static int take_count(void *args, const char *opt, const char *val, sc_err *err)
{
    slurm_opts *so = &((slurm_args *)args)->so;
    unsigned long n = 0;
    int rc = sc_parse_uint(opt, val, &n, err);
    if (rc == SC_OK && (n == 0 || n > 100000))
        rc = sc_err_set(err, SC_EINVAL, "%s expects 1 .. 100000, got '%s'", opt,
                        val);
    if (strcmp(opt, "--cpus") == 0)
        so->cpus = n;
    else if (strcmp(opt, "--chunks") == 0)
        so->chunks = n;
    else
        so->max_parallel = n;
    return rc;
}

static int take_spec(void *args, const char *arg, sc_err *err)
{
    slurm_args *sa = args;
    if (sa->spec_path != NULL)
        return sc_err_set(err, SC_EINVAL,
                          "unexpected argument '%s'; give one spec file", arg);
    sa->spec_path = arg;
    return SC_OK;
}

static int check_slurm(void *args, sc_err *err)
{
    if (((slurm_args *)args)->spec_path != NULL)
        return SC_OK;
    return sc_err_set(err, SC_EINVAL,
                      "no spec file given; usage: simcon slurm SPEC "
                      "[-o DIR] (see 'simcon slurm --help')");
}

static const sc_opt slurm_options[] = {
    SC_OPT_STRING_AT("-o|--out", "DIR", slurm_args, out),
    SC_OPT_CALLING("--partition", "P", take_word),
    SC_OPT_CALLING("--time", "T", take_word),
    SC_OPT_CALLING("--mem", "M", take_word),
    SC_OPT_CALLING("--cpus", "C", take_count),
    SC_OPT_CALLING("--max-parallel", "K", take_count),
    SC_OPT_CALLING("--chunks", "N", take_count),
    SC_OPT_STRING_AT("--plugin-dir", "DIR", slurm_args, so.plugin_dir),
    SC_OPT_FLAG_AT("--submit", slurm_args, so.submit),
    SC_OPT_FLAG_AT("--quiet|-q", slurm_args, so.quiet),
};

static const sc_cmdline slurm_cmdline = {
    .name = "slurm",
    .usage =
        "usage: simcon slurm SPEC [-o DIR] [--partition P] [--time T] "
        "[--mem M]\n"
        "                    [--cpus C] [--max-parallel K] [--chunks N]\n"
        "                    [--plugin-dir DIR] [--submit] [--quiet]\n"
        "Runs the experiment as Slurm job arrays over a shared folder: "
        "writes the plan\n"
        "(as 'simcon run --plan') and sbatch scripts in DIR.tasks/slurm/:\n"
        "similarity.sbatch (one array element per (dataset, metric)), "
        "consistency.sbatch,\n"
        "contrasts.sbatch and behaviour.sbatch (one element per chunk of "
        "units, each\n"
        "after the similarity array succeeded), assemble.sbatch (tables, "
        "figures,\n"
        "manifest, report into DIR, after those arrays) and submit.sh. The "
        "result is\n"
        "byte-identical to 'simcon run SPEC -o DIR'.\n"
        "DIR (default: results/<spec name>/, relative to the current "
        "directory) must be\n"
        "on a filesystem every node shares; input paths inside SPEC are "
        "relative to\n"
        "the spec file's folder. Writes DIR.tasks/ (plan, cache, records, "
        "scripts, logs)\n"
        "now and DIR when the assemble job ran; prints the job ids with "
        "--submit,\n"
        "else the path of submit.sh, on stdout.\n"
        "  --partition P     #SBATCH --partition (default: the cluster's)\n"
        "  --time T          #SBATCH --time, e.g. 2-00:00:00 (default: "
        "twice the\n"
        "                    CPU time of 'simcon check --estimate' per "
        "job over C, plus\n"
        "                    10 minutes)\n"
        "  --mem M           #SBATCH --mem, e.g. 16G or 16000 (MB) "
        "(default: simcon's\n"
        "                    estimate per stage from n, d, m, the threads "
        "and\n"
        "                    runtime.memory); each task's --memory is at "
        "most 7/8 of it\n"
        "  --cpus C          #SBATCH --cpus-per-task and --threads "
        "(default:\n"
        "                    runtime.threads, else 1)\n"
        "  --max-parallel K  at most K array elements at once (%K; "
        "default: no limit)\n"
        "  --chunks N        N tasks per statistics stage (at most one per "
        "unit;\n"
        "                    default: chunks of about 30 CPU-minutes by the "
        "estimate)\n"
        "  --plugin-dir DIR  passed to every task (default: runtime."
        "plugin_dir, else\n"
        "                    the search path)\n"
        "  --submit          submit with sbatch and print the job ids "
        "(default: only\n"
        "                    write the scripts)\n"
        "  --quiet           nothing on stderr but errors\n",
    SC_OPTS_TABLE(slurm_options),
    .positional = take_spec,
    .unknown = "unknown or incomplete option",
    .see = "see",
    .check = check_slurm,
};

/* Plan, scripts, then submit them or name submit.sh. */
static int execute(const sc_spec *spec, const char *out, const slurm_opts *so,
                   sc_err *err)
{
    char work[SC_PLAN_PATH_CAP], sdir[SC_PLAN_PATH_CAP + 16];
    sc_plan_work_dir(out, work, sizeof work);
    snprintf(sdir, sizeof sdir, "%s/slurm", work);
    sc_plan_layout lay;
    int rc = sc_plan_chunks(spec, so->chunks, &lay, err);
    if (rc == SC_OK)
        rc = sc_plan_write(spec, out, &lay, err);
    if (rc == SC_OK)
        rc = write_scripts(spec, out, so, sdir, &lay, err);
    if (rc != SC_OK)
        return rc;
    bool blocks = sc_plan_blocks(spec) > 1;
    if (!so->quiet) {
        fprintf(stderr,
                "simcon slurm: wrote %s/plan.txt and %s/{%s"
                "similarity.sbatch,",
                work, sdir, blocks ? "prepare.sbatch,pairs.sbatch," : "");
        for (int g = 0; g < SC_PLAN_NSTAGES; g++)
            if (lay.chunks[g] > 0)
                fprintf(stderr, "%s.sbatch,", sc_plan_stage_names[g]);
        fprintf(stderr, "assemble.sbatch,submit.sh} (");
        if (blocks)
            fprintf(stderr, "%zu prepare task(s), %zu pairs task(s), ",
                    sc_plan_nsim(spec) * sc_plan_blocks(spec),
                    sc_plan_nsim(spec) * sc_plan_npairs(spec));
        fprintf(stderr, "%zu similarity task(s)", sc_plan_nsim(spec));
        for (int g = 0; g < SC_PLAN_NSTAGES; g++)
            fprintf(stderr, ", %zu %s task(s)", lay.chunks[g],
                    sc_plan_stage_names[g]);
        fprintf(stderr, ")\n");
    }
    if (so->submit)
        return submit(sdir, &lay, blocks, err);
    printf("%s/submit.sh\n", sdir);
    return SC_OK;
}

int sc_cmd_slurm(int argc, char **argv)
{
    slurm_args sa;
    memset(&sa, 0, sizeof sa);
    int exit_status;
    if (!sc_opts_run(&slurm_cmdline, argc, argv, &sa, &exit_status))
        return exit_status;
    sc_spec spec;
    const sc_data_overrides as_spec = {NULL, false, false};
    exit_status = sc_cli_open_spec("slurm", sa.spec_path, &as_spec, &spec);
    if (exit_status != SC_EXIT_OK)
        return exit_status;
    if (sa.so.cpus == 0)
        sa.so.cpus = spec.threads > 0 ? spec.threads : 1;
    char default_out[1024];
    const char *out =
        sc_cli_out_dir(sa.out, &spec, default_out, sizeof default_out);
    sc_err err;
    sc_err_clear(&err);
    int rc = execute(&spec, out, &sa.so, &err);
    if (rc != SC_OK)
        sc_cli_fail("slurm", &err, 0);
    sc_spec_free(&spec);
    sc_loader_shutdown();
    return sc_exit_code(rc);
}
