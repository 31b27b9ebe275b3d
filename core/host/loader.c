/* Plugin loader (see loader.h).
 *
 * Steps, in order; a failing step ends the load with one message that says
 * what to do:
 *   1. resolve NAME to a file through the search path (or take a PATH);
 *   2. dlopen(RTLD_NOW | RTLD_LOCAL): unresolved symbols fail here, not in
 *      the middle of a run;
 *   3. look up sc_plugin_entry and call it with the host table;
 *   4. check abi_version (exact) and host_api_min (<= our revision);
 *   5. validate the descriptor, reporting every violation at once.
 * Loaded plugins are kept in a list and never dlclose'd. */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "guard.h"
#include "host.h"
#include "mem.h"
#include "numtext.h"

#ifndef SC_BUILD_PLUGIN_DIR
#define SC_BUILD_PLUGIN_DIR ""
#endif
#ifndef SC_INSTALL_PLUGIN_DIR
#define SC_INSTALL_PLUGIN_DIR ""
#endif

#ifndef SC_INSTALL_PLUGIN_RELDIR
#define SC_INSTALL_PLUGIN_RELDIR "lib/simcon/plugins"
#endif

#define MAX_SEARCH_DIRS 64

typedef struct loaded {
    sc_plugin plugin;
    struct loaded *next;
} loaded;

static loaded *loaded_list;
/* Guards loaded_list: library callers (core/run/api.c) may open metrics from
 * several threads at once. */
static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;

/* ## Search path */

typedef struct search_path {
    char *buf;          /* owns the strings dirs[] point into */
    char exe_rel[4096]; /* <folder of the executable>/../<libdir>/... */
    const char *dirs[MAX_SEARCH_DIRS];
    size_t count;
} search_path;

static void add_dir(search_path *sp, const char *dir)
{
    if (dir == NULL || dir[0] == '\0' || sp->count == MAX_SEARCH_DIRS)
        return;
    for (size_t i = 0; i < sp->count; i++)
        if (strcmp(sp->dirs[i], dir) == 0)
            return; /* listed once, searched once */
    sp->dirs[sp->count++] = dir;
}

/* extra_dir, then $SIMCON_PLUGIN_PATH, then the build and install dirs. */
static int search_path_init(search_path *sp, const char *extra_dir, sc_err *err)
{
    sp->count = 0;
    sp->buf = NULL;
    add_dir(sp, extra_dir);
    const char *env = getenv("SIMCON_PLUGIN_PATH");
    if (env != NULL && env[0] != '\0') {
        sp->buf = sc_strdup(env);
        if (sp->buf == NULL)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        char *save = NULL;
        for (char *tok = strtok_r(sp->buf, ":", &save); tok != NULL;
             tok = strtok_r(NULL, ":", &save))
            add_dir(sp, tok);
    }
    /* An installed simcon finds its own plugins relative to itself, so an
     * install tree can be moved (or live under a temporary prefix). */
    sp->exe_rel[0] = '\0';
    char exe[3901];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            int w = snprintf(sp->exe_rel, sizeof sp->exe_rel, "%.3900s/../%s",
                             exe, SC_INSTALL_PLUGIN_RELDIR);
            if (w > 0 && (size_t)w < sizeof sp->exe_rel &&
                access(sp->exe_rel, F_OK) == 0)
                add_dir(sp, sp->exe_rel);
        }
    }
    add_dir(sp, SC_BUILD_PLUGIN_DIR);
    add_dir(sp, SC_INSTALL_PLUGIN_DIR);
    return SC_OK;
}

static void search_path_deinit(search_path *sp)
{
    sc_free(sp->buf);
    sp->buf = NULL;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

#ifndef S_ISVTX /* XSI; its value is fixed by POSIX tar and every Unix */
#define S_ISVTX 01000
#endif

/* A plugin file, or its folder, that anyone may write is code anyone may
 * replace: warn (one line on stderr), but load, since the user may have
 * reasons (a shared scratch folder). A sticky folder (like /tmp) only
 * lets owners replace their files, so it is not reported. */
static void warn_if_writable(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    const char *what = NULL, *which = NULL;
    if (stat(path, &st) == 0 && (st.st_mode & S_IWOTH)) {
        what = "plugin file";
        which = path;
    } else if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) &&
               !(st.st_mode & S_ISVTX)) {
        what = "plugin folder";
        which = dir;
    }
    if (what == NULL)
        return;
    char shown[1024];
    sc_escape_ctl(shown, sizeof shown, which);
    fprintf(stderr,
            "simcon: warning: %s %s is world-writable, so anyone on this "
            "machine can replace the code simcon runs; run chmod o-w on it\n",
            what, shown);
}

/* ## Descriptor validation */

static int valid_name(const char *s)
{
    if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '_'))
            return 0;
    return 1;
}

/* Number of '|'-separated choices; 0 if the list is empty or malformed. */
static size_t count_choices(const char *choices)
{
    if (choices == NULL || choices[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *c = choices; *c; c++) {
        if (*c == '|') {
            if (c[1] == '\0' || c[1] == '|')
                return 0;
            n++;
        }
    }
    return choices[0] == '|' ? 0 : n;
}

void sc_loader_problem_add(char *list, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(list);
    if (len + 3 >= cap)
        return;
    if (len > 0) {
        memcpy(list + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(list + len, cap - len, fmt, ap);
    va_end(ap);
}

static void validate_params(const sc_metric *d, char *problems, size_t cap)
{
    if (d->params == NULL) {
        sc_loader_problem_add(problems, cap,
                              "params is NULL (use an array holding only {0})");
        return;
    }
    for (size_t i = 0; d->params[i].name != NULL; i++) {
        const sc_param *pr = &d->params[i];
        if (!valid_name(pr->name))
            sc_loader_problem_add(
                problems, cap, "parameter %zu name '%s' is not [a-z][a-z0-9_]*",
                i, pr->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->params[j].name, pr->name) == 0)
                sc_loader_problem_add(problems, cap,
                                      "parameter '%s' is declared twice",
                                      pr->name);
        if (pr->doc == NULL || pr->doc[0] == '\0')
            sc_loader_problem_add(problems, cap,
                                  "parameter '%s' has no doc line", pr->name);
        switch (pr->type) {
        case SC_PARAM_INT:
        case SC_PARAM_REAL:
            if (!(pr->lo <= pr->hi))
                sc_loader_problem_add(problems, cap,
                                      "parameter '%s': lo %g > hi %g", pr->name,
                                      pr->lo, pr->hi);
            else if (!(pr->flags & SC_PARAM_OPTIONAL) &&
                     !(pr->lo <= pr->def && pr->def <= pr->hi))
                sc_loader_problem_add(
                    problems, cap,
                    "parameter '%s': default %g outside [%g, %g]", pr->name,
                    pr->def, pr->lo, pr->hi);
            if (pr->type == SC_PARAM_INT && !(pr->flags & SC_PARAM_OPTIONAL) &&
                pr->def != floor(pr->def))
                sc_loader_problem_add(problems, cap,
                                      "parameter '%s': integer default %g",
                                      pr->name, pr->def);
            break;
        case SC_PARAM_BOOL:
            if (pr->def != 0.0 && pr->def != 1.0)
                sc_loader_problem_add(
                    problems, cap,
                    "parameter '%s': bool default must be 0 or 1", pr->name);
            break;
        case SC_PARAM_ENUM: {
            size_t nc = count_choices(pr->choices);
            if (nc == 0)
                sc_loader_problem_add(
                    problems, cap, "parameter '%s': enum needs choices \"a|b\"",
                    pr->name);
            else if (pr->def < 0 || pr->def >= (double)nc ||
                     pr->def != floor(pr->def))
                sc_loader_problem_add(
                    problems, cap,
                    "parameter '%s': enum default %g is not a "
                    "choice index (0..%zu)",
                    pr->name, pr->def, nc - 1);
            break;
        }
        default:
            sc_loader_problem_add(problems, cap,
                                  "parameter '%s': unknown type %d", pr->name,
                                  pr->type);
        }
    }
}

int sc_loader_validate(const sc_metric *d, const char *stem, sc_err *err)
{
    char problems[SC_ERR_MSG - 128];
    problems[0] = '\0';
    if (!valid_name(d->name))
        sc_loader_problem_add(problems, sizeof problems,
                              "name '%s' is not [a-z][a-z0-9_]*",
                              d->name ? d->name : "(null)");
    else if (stem != NULL && strcmp(d->name, stem) != 0)
        sc_loader_problem_add(problems, sizeof problems,
                              "name '%s' differs from the file name '%s.so'",
                              d->name, stem);
    if (d->version == NULL || d->version[0] == '\0')
        sc_loader_problem_add(problems, sizeof problems, "version is empty");
    if (d->reference == NULL || d->reference[0] == '\0')
        sc_loader_problem_add(problems, sizeof problems,
                              "reference (citation) is empty");
    if (d->prepare == NULL)
        sc_loader_problem_add(problems, sizeof problems, "prepare is NULL");
    if (d->compare == NULL)
        sc_loader_problem_add(problems, sizeof problems, "compare is NULL");
    if (d->release == NULL)
        sc_loader_problem_add(problems, sizeof problems, "release is NULL");
    if ((d->embed == NULL) != (d->embed_len == NULL))
        sc_loader_problem_add(
            problems, sizeof problems,
            "embed and embed_len must be both set or both NULL");
    if ((d->flags & SC_METRIC_RANGE_01) && (d->flags & SC_METRIC_RANGE_PM1))
        sc_loader_problem_add(problems, sizeof problems,
                              "flags RANGE_01 and RANGE_PM1 are exclusive");
    validate_params(d, problems, sizeof problems);
    if (problems[0] != '\0')
        return sc_err_set(err, SC_EABI,
                          "invalid plugin descriptor: %s; fix the plugin "
                          "source and rebuild it",
                          problems);
    return SC_OK;
}

/* ## Loading */

static const char *path_stem(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len >= cap) /* a file name is at most NAME_MAX (255) bytes */
        len = cap - 1;
    memcpy(buf, base, len);
    buf[len] = '\0';
    char *dot = strrchr(buf, '.');
    if (dot != NULL)
        *dot = '\0';
    return buf;
}

static const sc_plugin *find_loaded(const char *path)
{
    for (loaded *l = loaded_list; l != NULL; l = l->next)
        if (strcmp(l->plugin.path, path) == 0)
            return &l->plugin;
    return NULL;
}

/* dlopen the file and call its entry point, each under the crash guard
 * (both run plugin code: the library's constructors, then the entry). */
static int open_plugin(const char *path, void **handle, const sc_metric **desc,
                       sc_err *err)
{
    sc_guard_frame g = sc_guard_enter(path, "load (dlopen)");
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    sc_guard_leave(g);
    if (*handle == NULL) {
        const char *why = dlerror();
        return sc_err_set(err, SC_EIO,
                          "%s: cannot load plugin: %s; check its "
                          "dependencies with ldd",
                          path, why ? why : "unknown dlopen error");
    }
    /* POSIX: converting the void* from dlsym to a function pointer is
     * defined by the platform; memcpy avoids the pedantic warning. */
    void *sym = dlsym(*handle, SC_PLUGIN_ENTRY_SYMBOL);
    if (sym == NULL)
        return sc_err_set(err, SC_EABI,
                          "%s: not an simcon plugin (no symbol %s); build it "
                          "with SC_PLUGIN_DEFINE from simcon/plugin.h",
                          path, SC_PLUGIN_ENTRY_SYMBOL);
    sc_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    g = sc_guard_enter(path, "load (" SC_PLUGIN_ENTRY_SYMBOL ")");
    *desc = entry(sc_host_get());
    sc_guard_leave(g);
    return SC_OK;
}

/* The descriptor fits this host (ABI, host API revision), is valid, and
 * its metric name is not loaded from another file yet: a second file
 * with the same name would make results ambiguous. */
static int check_descriptor(const char *path, const sc_metric *d, sc_err *err)
{
    if (d == NULL)
        return sc_err_set(err, SC_EABI,
                          "%s: the plugin refused to load (it needs a newer "
                          "simcon host API than %d); upgrade simcon or "
                          "rebuild the plugin",
                          path, SC_HOST_API_REV);
    if (d->abi_version != SC_ABI_VERSION)
        return sc_err_set(err, SC_EABI,
                          "%s: plugin built for ABI version %u, this simcon "
                          "has ABI version %d; rebuild the plugin against "
                          "this simcon's include/simcon/plugin.h",
                          path, (unsigned)d->abi_version, SC_ABI_VERSION);
    if (d->host_api_min > SC_HOST_API_REV)
        return sc_err_set(err, SC_EABI,
                          "%s: plugin needs host API revision %u, this "
                          "simcon has %d; upgrade simcon or rebuild the "
                          "plugin",
                          path, (unsigned)d->host_api_min, SC_HOST_API_REV);
    char stem[256];
    int rc = sc_loader_validate(d, path_stem(path, stem, sizeof stem), err);
    if (rc != SC_OK)
        return sc_err_prefix(err, "%s", path);
    for (loaded *l = loaded_list; l != NULL; l = l->next)
        if (strcmp(l->plugin.desc->name, d->name) == 0)
            return sc_err_set(err, SC_EABI,
                              "%s: metric '%s' is already loaded from %s; "
                              "remove one of the two",
                              path, d->name, l->plugin.path);
    return SC_OK;
}

/* Add the plugin to the loaded list (caller holds loaded_lock). */
static int register_plugin(const char *path, void *handle, const sc_metric *d,
                           const sc_plugin **out, sc_err *err)
{
    loaded *l = sc_calloc(1, sizeof *l);
    char *copy = sc_strdup(path);
    if (l == NULL || copy == NULL) {
        sc_free(l);
        sc_free(copy);
        return sc_err_set(err, SC_ENOMEM, "out of memory loading %s", path);
    }
    l->plugin.path = copy;
    l->plugin.handle = handle;
    l->plugin.desc = d;
    size_t np = 0;
    while (d->params[np].name != NULL)
        np++;
    l->plugin.nparams = np;
    l->next = loaded_list;
    loaded_list = l;
    *out = &l->plugin;
    return SC_OK;
}

static int load_path_locked(const char *path, const sc_plugin **out,
                            sc_err *err)
{
    const sc_plugin *have = find_loaded(path);
    if (have != NULL) {
        *out = have;
        return SC_OK;
    }
    if (!file_exists(path))
        return sc_err_set(err, SC_EIO, "%s: no such plugin file", path);
    warn_if_writable(path);
    void *handle = NULL;
    const sc_metric *d = NULL;
    int rc = open_plugin(path, &handle, &d, err);
    if (rc == SC_OK)
        rc = check_descriptor(path, d, err);
    if (rc == SC_OK)
        rc = register_plugin(path, handle, d, out, err);
    return rc;
}

static int load_path(const char *path, const sc_plugin **out, sc_err *err)
{
    pthread_mutex_lock(&loaded_lock);
    int rc = load_path_locked(path, out, err);
    pthread_mutex_unlock(&loaded_lock);
    return rc;
}

int sc_loader_locate(const char *name_or_path, const char *extra_dir,
                     char *found, size_t cap, sc_err *err)
{
    if (strchr(name_or_path, '/') != NULL) {
        if (!file_exists(name_or_path))
            return sc_err_set(err, SC_EIO, "%s: no such plugin file",
                              name_or_path);
        if ((size_t)snprintf(found, cap, "%s", name_or_path) >= cap)
            return sc_err_set(err, SC_EINVAL, "%s: plugin path too long",
                              name_or_path);
        return SC_OK;
    }
    if (!valid_name(name_or_path))
        return sc_err_set(err, SC_EINVAL,
                          "'%s' is not a metric name ([a-z][a-z0-9_]*); run "
                          "'simcon plugins' to list the metrics",
                          name_or_path);
    search_path sp;
    int rc = search_path_init(&sp, extra_dir, err);
    if (rc != SC_OK)
        return rc;
    for (size_t i = 0; i < sp.count; i++) {
        int w = snprintf(found, cap, "%s/%s.so", sp.dirs[i], name_or_path);
        if (w > 0 && (size_t)w < cap && file_exists(found)) {
            search_path_deinit(&sp);
            return SC_OK;
        }
    }
    char dirs[SC_ERR_MSG / 2];
    dirs[0] = '\0';
    for (size_t i = 0; i < sp.count; i++)
        sc_loader_problem_add(dirs, sizeof dirs, "%s", sp.dirs[i]);
    search_path_deinit(&sp);
    return sc_err_set(err, SC_EINVAL,
                      "unknown metric '%s' (no %s.so in: %s); run 'simcon "
                      "plugins' to list the metrics or set "
                      "SIMCON_PLUGIN_PATH",
                      name_or_path, name_or_path, dirs);
}

int sc_loader_open(const char *name_or_path, const char *extra_dir,
                   const sc_plugin **out, sc_err *err)
{
    *out = NULL;
    char path[4096];
    int rc = sc_loader_locate(name_or_path, extra_dir, path, sizeof path, err);
    return rc == SC_OK ? load_path(path, out, err) : rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sc_loader_find_all(const char *extra_dir, char ***names, size_t *count,
                       sc_err *err)
{
    *names = NULL;
    *count = 0;
    search_path sp;
    int rc = search_path_init(&sp, extra_dir, err);
    if (rc != SC_OK)
        return rc;
    char **list = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < sp.count && rc == SC_OK; i++) {
        DIR *dir = opendir(sp.dirs[i]);
        if (dir == NULL)
            continue; /* a missing directory in the path is not an error */
        struct dirent *ent;
        while ((ent = readdir(dir)) != NULL) {
            size_t len = strlen(ent->d_name);
            if (len < 4 || strcmp(ent->d_name + len - 3, ".so") != 0)
                continue;
            char stem[256];
            snprintf(stem, sizeof stem, "%.*s", (int)(len - 3), ent->d_name);
            if (!valid_name(stem))
                continue;
            int dup = 0;
            for (size_t k = 0; k < n; k++)
                dup |= strcmp(list[k], stem) == 0;
            if (dup)
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                char **grown = sc_realloc(list, ncap * sizeof *list);
                if (grown == NULL) {
                    rc = sc_err_set(err, SC_ENOMEM, "out of memory");
                    break;
                }
                list = grown;
                cap = ncap;
            }
            list[n] = sc_strdup(stem);
            if (list[n] == NULL) {
                rc = sc_err_set(err, SC_ENOMEM, "out of memory");
                break;
            }
            n++;
        }
        closedir(dir);
    }
    search_path_deinit(&sp);
    if (rc != SC_OK) {
        sc_loader_names_free(list, n);
        return rc;
    }
    if (n > 1)
        qsort(list, n, sizeof *list, cmp_str);
    *names = list;
    *count = n;
    return SC_OK;
}

void sc_loader_names_free(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        sc_free(names[i]);
    sc_free(names);
}

void sc_loader_shutdown(void)
{
    pthread_mutex_lock(&loaded_lock);
    while (loaded_list != NULL) {
        loaded *next = loaded_list->next;
        sc_free(loaded_list->plugin.path);
        sc_free(loaded_list);
        loaded_list = next;
    }
    pthread_mutex_unlock(&loaded_lock);
}
